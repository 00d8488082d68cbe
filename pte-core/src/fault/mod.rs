//! The page-fault fast path, generic over the layout `A`, the concurrency strategy `S` and
//! what the kernel provides (frames, page tables, page cache, swap device).
//!
//! What the kernel provides is one [`Kernel`]: a frame allocator, the page tables, the page
//! cache and the swap device ([`Env`] bundles four references; a kernel may also implement
//! [`Kernel`] on its own type).
//!
//! One function, [`handle`], resolves a fault: it walks to the leaf slot, reads the entry
//! once (Acquire, through [`Strategy::load`]: a lock held on a non-empty entry is waited
//! for), decides what the fault is from that value and the mapping, prepares the
//! new page *outside* any lock (allocate and zero, copy, read from swap or the page cache),
//! and lets the strategy publish it ([`fork::copy_entry`] copies one entry into a child
//! address space, write-protecting the parent's by one atomic read-modify-write). Six kinds
//! of fault are handled — the 2004 review's point
//! that anonymous memory alone is not enough:
//!
//! | entry found | mapping | what happens |
//! |---|---|---|
//! | none | anonymous | a zeroed frame is installed ([`Resolved::Anonymous`]) |
//! | none | shared file | the page-cache page is mapped (`nopage`, [`Resolved::File`]) |
//! | none | private file | read: the page-cache page, read-only ([`Resolved::File`]); write: a private copy ([`Resolved::CopyOnWrite`]) |
//! | present, read-only page-cache page | private file, write | copy-on-write: a copy replaces it break-before-make ([`Strategy::replace_flushed`], [`Resolved::CopyOnWrite`]) |
//! | present, read-only anonymous page mapped by this entry alone | anonymous or private file, write | made writable in place, no copy (`wp_page_reuse`, [`Resolved::Reused`]) |
//! | present, read-only anonymous page shared by fork | anonymous or private file, write | copied, break-before-make; the old mapping dropped after the flush ([`Resolved::CopyOnWrite`]) |
//! | swap entry | any | the page is read back and mapped; the slot is freed once, by the winner ([`Resolved::SwapIn`]) |
//! | file entry (2.6-era) | nonlinear file | the page-cache page at the entry's pgoff ([`Resolved::Nonlinear`]) |
//! | present, old / clean | any | the accessed / dirty bits set in software — ia64 always, aarch64 without HAFDBS ([`Resolved::AccessDirty`]) |
//!
//! # Orderings
//!
//! Every publication is a Release (a store under a lock, or a compare-and-swap), every read of
//! an entry whose page is then used is an Acquire ([`PteSlot`]): the zeroing, copy or swap-in
//! of a page happens-before any access through the new entry (the 2004 ppc64 bug of
//! `set_pte` without a barrier, docs/DESIGN.md#h6). No path writes a none between two
//! non-none values that a fault could fill: every transition other than the install over an
//! empty entry is one compare-and-swap from the exact old value, because the MMU's own
//! accessed/dirty writes (x86, aarch64 with HAFDBS) do not take any lock. A new output
//! address (copy-on-write) is break-before-make on every architecture
//! ([`Strategy::replace_flushed`]): the old entry becomes a marker no fault fills (or a none
//! under the lock every install takes), [`TableWalker::flush_tlb`] runs, and only then is the
//! copy published — so no CPU reads the old page after another saw a write to the new one.
//!
//! These orderings are checked by the loom models only (`pte-core/tests/loom_fault.rs`, run
//! with `RUSTFLAGS="--cfg loom" cargo test --release -p pte-core --test loom_fault
//! --target-dir target/loom`), and that is on purpose. Weakening any of them to `Relaxed` — the
//! compare-and-swap that publishes an install ([`PteSlot::compare_exchange`]), the acquire of
//! [`lock::RawSpinLock`], the Acquire load of [`PteSlot::load`] — passes every test that runs
//! on hardware, the simulator's stress (`pte-sim/tests/sim_stress.rs`) included: on an x86
//! host those orderings compile to the same instructions (`lock cmpxchg`, `mov`) and differ
//! only in what the compiler may move, which a stress run does not observe. The models fail
//! at once: a Relaxed install CAS (success and failure) fails models 1, 3, 7 and 8, a Relaxed
//! spinlock acquire models 1 and 5 ("double mapping" under `MmLock` and `SplitLock`) and 7, a
//! Relaxed slot load models 1, 3, 7 and 8 under every strategy. A stress test that could catch them would need a weakly
//! ordered host and luck, and would prove less than the models: do not add one; check a
//! change of ordering against the models instead.
//!
//! # Strategies
//!
//! See [`strategy`]: `MmLock` (2.6.8's `page_table_lock`), `SplitLock` (2.6.15's per-table
//! lock), `LockBitRefault` (the August 2004 fastpath: lock bit on the empty entry, losers
//! return and refault), `LockBitSpin` (a bit-spinlock held only for the install) and
//! `Cmpxchg` (the "more fruitful direction": one compare-and-swap, the loser frees its page).

pub mod fork;
pub mod lock;
pub mod set;
pub mod strategy;

use core::sync::atomic::Ordering;

use crate::classify::{Decoded, SwapEntry};
use crate::pte::{Arch, ArchChecked, Pte};
use crate::slot::PteSlot;
use lock::RawSpinLock;
pub use set::{NeedsLockBit, NewStrategyVisitor, Strategies, StrategyKind, StrategyVisitor};
pub use strategy::{Cmpxchg, LockBitRefault, LockBitSpin, MmLock, SplitLock, Step, Strategy};

/// Physical frames, as the kernel's page allocator provides them.
///
/// Ownership: a frame returned by [`alloc_zeroed`](Self::alloc_zeroed) or
/// [`alloc_copy`](Self::alloc_copy) (or by [`SwapDevice::read`], which allocates here) belongs
/// to the fault that asked for it. If that fault publishes it in an entry, it belongs to the
/// mapping from then on and the fault path never frees it (unmapping is the kernel's business).
/// On every other path — a lost race, a refault ([`FaultError::Retry`]), an entry that cannot
/// be encoded, a strategy that gives up — the fault path returns it with [`free`](Self::free)
/// before `handle` returns. So an `Err` or [`Resolved::AlreadyDone`] leaves no frame behind.
pub trait FrameAllocator {
    /// A frame whose contents are zero, owned by the caller (see the trait). Zeroing is real
    /// work: lock-free strategies call this before taking anything. `None`: out of memory.
    fn alloc_zeroed(&self) -> Option<u64>;
    /// A new frame, owned by the caller, holding a copy of frame `src` (copy-on-write).
    /// `src` is only read: the caller holds a reference to it for the call (a page-cache
    /// reference, or the mapping of the entry being copied) and keeps it — except that a
    /// racing swap-out may unmap an anonymous source meanwhile (known gap, review finding 2:
    /// the copy is then discarded, never published). `None`: out of memory.
    fn alloc_copy(&self, src: u64) -> Option<u64>;
    /// Takes back a frame this allocator handed out ([`alloc_zeroed`](Self::alloc_zeroed),
    /// [`alloc_copy`](Self::alloc_copy), [`SwapDevice::read`]) that was never published: the
    /// loser of a race, or a fault that failed after allocating. The fault path never calls
    /// it for a published frame, nor for a page-cache page (those go to
    /// [`PageCache::put`]); the kernel may also call it for frames it unmaps.
    fn free(&self, pfn: u64);

    /// One reference more to anonymous frame `pfn` — only if it is still mapped (its count is
    /// not zero: `get_page_unless_zero`); `false` if it was freed meanwhile, and nothing
    /// changed. Fork shares a frame with the child this way (`page_dup_anon_rmap`: the map
    /// count + 1; Linux also clears `PageAnonExclusive`) *before* re-validating the entry it
    /// read, since swap-out is not excluded and may unmap (and free) the frame meanwhile; it
    /// undoes it with [`unmap`](Self::unmap). While the count is above one,
    /// [`is_exclusive`](Self::is_exclusive) answers `false`.
    #[doc(alias("page_dup_anon_rmap", "get_page_unless_zero"))]
    fn share(&self, pfn: u64) -> bool;

    /// Whether a write fault may reuse anonymous frame `pfn`, mapped read-only by the
    /// faulting entry, in place (`wp_page_reuse`): that entry is its only mapping and no swap
    /// cache holds it (`PageAnonExclusive`, or `wp_can_reuse_anon_folio`'s map count of one).
    ///
    /// Contract: a `true` stays true until the fault's replacement lands — nothing may gain a
    /// mapping of the frame meanwhile. Fork is the only way to gain one, and it runs with the
    /// faults of the address space whose entry maps the frame excluded (`mmap_lock` held for
    /// write), so a map count of one read by a fault of that address space is stable. A
    /// `false` may be stale (another mapping was just dropped): the fault then copies, which
    /// is always correct.
    ///
    /// Ordering: a `true` must come from an Acquire read of the count, so the reusing write
    /// happens after every other mapping's last access, which [`unmap`](Self::unmap)
    /// released (loom model 11 fails with Relaxed counts: the other side's copy-read of the
    /// page races the reuse's write).
    #[doc(alias("PageAnonExclusive", "page_mapcount"))]
    fn is_exclusive(&self, pfn: u64) -> bool;

    /// One mapping of anonymous frame `pfn` is gone: a copy-on-write replaced it and every TLB
    /// was flushed, or the kernel unmapped it (zap, exit, swap-out), or fork undoes a
    /// [`share`](Self::share). The last mapping frees the frame (`page_remove_rmap` +
    /// `put_page`). Never called for a frame that was not published (those go to
    /// [`free`](Self::free)).
    ///
    /// Ordering: a Release decrement (this mapping's accesses, the copy's read of the page
    /// included, happen-before whoever sees the lower count), Acquire too on the last one,
    /// which frees — Linux's fully ordered `atomic_add_negative` on `_mapcount` gives both.
    #[doc(alias = "page_remove_rmap")]
    fn unmap(&self, pfn: u64);
}

/// The leaf slot of an address and the lock of the table it lives in.
#[derive(Debug)]
pub struct Leaf<'t, A: Arch> {
    /// The entry.
    pub slot: &'t PteSlot<A>,
    /// The split page-table lock of the leaf table (`SplitLock`, and every other writer
    /// under it).
    pub ptl: &'t RawSpinLock,
}

/// The page tables of one address space.
///
/// Ownership: the walker owns every table; the fault path only borrows a leaf slot and its
/// lock for the duration of one fault, and never allocates or frees a table.
pub trait TableWalker<A: Arch> {
    /// The leaf slot for `addr`, populating missing tables on the way, borrowed for as long
    /// as `&self`. Upper levels are populated with compare-and-swap; the loser of that race
    /// frees its own table (the walker's business: the fault path sees neither). `None`: out
    /// of memory, or `addr` outside the tables; nothing is then held by the fault.
    fn leaf(&self, addr: u64) -> Option<Leaf<'_, A>>;

    /// Invalidates every CPU's cached translation of the page at `addr` and waits until none
    /// is left and no access through one is still in flight (`flush_tlb_page`: `invlpg` plus
    /// a shootdown with acknowledgement, `tlbi vaae1is; dsb ish`). The fast path calls it
    /// when an entry gets a new output address (copy-on-write), between the invalid step and
    /// the new entry ([`Strategy::replace_flushed`]), on every architecture; it may be called
    /// with the strategy's lock held (the mm or split lock), as Linux's `ptep_clear_flush`
    /// is under the PTL, so it must not wait for a CPU that spins on that lock to do anything.
    /// Only after it returns does the fault path drop the old page ([`PageCache::put`],
    /// [`FrameAllocator::unmap`]).
    fn flush_tlb(&self, addr: u64);
}

/// The page cache: file pages by (file, page offset).
///
/// Ownership: page-cache frames belong to the cache; the fault path holds *references*, taken
/// by [`get`](Self::get) and dropped by [`put`](Self::put), never
/// [`FrameAllocator::free`]. A reference taken for a fault that publishes the page in an
/// entry becomes the mapping's reference (a present entry of a page-cache page holds one). On
/// a lost race, a refault or a failure the fault path puts it before `handle` returns. A
/// private write fault takes a reference only to copy the page and puts it right after
/// [`FrameAllocator::alloc_copy`]. Copy-on-write of a mapped page-cache page puts the
/// mapping's reference once the copy replaced it and the TLB is flushed. A copy-on-write that
/// loses the race to replace the entry puts nothing: the page is still mapped.
pub trait PageCache {
    /// The frame caching page `pgoff` of `file`, read in if needed, with a reference taken
    /// for the caller (see the trait). `None`: beyond the end of the file, or out of memory;
    /// no reference is then taken.
    fn get(&self, file: u32, pgoff: u64) -> Option<u64>;
    /// Drops one reference taken by [`get`](Self::get) (a lost race, a failed fault, the copy
    /// source of a private write, the replaced mapping of a copy-on-write, or an unmap).
    fn put(&self, pfn: u64);
    /// Whether `pfn` is a page-cache page (copy-on-write copies it and drops the reference;
    /// an anonymous page is reused in place when exclusive, else copied). A query: no
    /// reference changes hands.
    fn contains(&self, pfn: u64) -> bool;
    /// Fork maps page-cache page `pfn`, mapped by the parent, in the child too: one reference
    /// more (`get_page` + `page_dup_file_rmap`), the child's mapping's, dropped by
    /// [`put`](Self::put) when the child unmaps it. Like [`FrameAllocator::share`], taken
    /// before the parent's entry is validated and undone with `put`.
    #[doc(alias = "page_dup_file_rmap")]
    fn dup(&self, pfn: u64);
}

/// The swap device.
///
/// Ownership: a swap slot is referenced by every swap entry that names it — one after
/// swap-out, one more for each fork that copied the entry ([`duplicate`](Self::duplicate),
/// `swap_duplicate`) — and freed when the last reference is dropped. A swap-in drops its
/// entry's reference exactly once, by the one fault that published the page read from it
/// ([`free_slot`](Self::free_slot), `swap_free`); the slot survives while another address
/// space's entry still names it. The frame [`read`](Self::read) returns belongs to the
/// calling fault, like one from [`FrameAllocator::alloc_zeroed`].
pub trait SwapDevice {
    /// A new frame holding the contents of swap slot `entry`. `None`: out of memory, or the
    /// slot was freed meanwhile (another fault swapped the page in first); nothing is then
    /// held.
    ///
    /// The frame must come from the kernel's [`FrameAllocator`] (the `Kernel::Frames` of the
    /// same [`Kernel`]): it belongs to the calling fault, which publishes it or — on a lost
    /// race, a refault, or an entry that cannot be encoded — gives it back with
    /// [`FrameAllocator::free`], not to the swap device. The slot itself is left untouched:
    /// the loser of a race does not free it.
    ///
    /// Contract: a freed slot is not reused while a fault that read its entry may still read
    /// it (the kernel's swap cache and swap count give this); otherwise a stale read could be
    /// published over the same entry value — the ABA hazard of docs/DESIGN.md#h11.
    fn read(&self, entry: SwapEntry) -> Option<u64>;
    /// Drops the published entry's reference to the slot (`swap_free`): called exactly once
    /// per swap-in, by the fault that published the page read from it, after publishing
    /// (never by a loser, never for a failed fault). The slot is freed with its last
    /// reference — not while an entry copied by fork still names it. The published entry is
    /// dirty even after a read fault: its frame is now the mapping's only copy.
    #[doc(alias = "swap_free")]
    fn free_slot(&self, entry: SwapEntry);
    /// Fork copies a swap entry into the child: one reference more to its slot
    /// (`swap_duplicate`). `false`: the count cannot grow (the kernel's limit, or the slot is
    /// gone); fork then fails with [`FaultError::NoMemory`] and the child gets no entry.
    #[doc(alias = "swap_duplicate")]
    fn duplicate(&self, entry: SwapEntry) -> bool;
}

/// What the kernel provides to the fast path, for layout `A`: its page allocator, page tables,
/// page cache and swap device. Every function of the fast path takes one `K: Kernel<A>`.
///
/// Ownership across the four (each trait says the rest): the fault path returns a frame to
/// the allocator it came from — [`frames`](Self::frames) for frames from
/// [`FrameAllocator::alloc_zeroed`], [`FrameAllocator::alloc_copy`] *and*
/// [`SwapDevice::read`], [`cache`](Self::cache) for page-cache references — so the four must
/// belong together: the swap device must allocate from `frames()`. When
/// [`handle`] returns, the fault holds nothing: what it took was either published (and then
/// belongs to the mapping) or given back.
///
/// Two ways to provide it:
///
/// * [`Env`], four references: `Env { frames: &k, tables: &k, cache: &k, swap: &k }` (the
///   four may be different objects);
/// * an implementation on the kernel's own type, when one type holds all four — each
///   accessor returns `self` (or a field):
///
/// ```
/// use core::sync::atomic::{AtomicBool, Ordering};
/// use arch_x86_64::X86_64_6_6 as A;
/// use pte_core::fault::{self, lock::RawSpinLock, Backing, Fault, Kernel, Leaf, Resolved, Vma};
/// use pte_core::{PteSlot, SwapEntry};
///
/// /// A kernel with 4 frames and one leaf table of 512 entries.
/// struct MyKernel { used: [AtomicBool; 4], ptes: [PteSlot<A>; 512], ptl: RawSpinLock }
///
/// impl fault::FrameAllocator for MyKernel {
///     fn alloc_zeroed(&self) -> Option<u64> {
///         let pfn = self.used.iter().position(|u| !u.swap(true, Ordering::Acquire))?;
///         // ... zero frame `pfn` here: before the PTE is published ...
///         Some(pfn as u64)
///     }
///     fn alloc_copy(&self, _src: u64) -> Option<u64> { self.alloc_zeroed() /* then copy */ }
///     fn free(&self, pfn: u64) { self.used[pfn as usize].store(false, Ordering::Release) }
///     // No fork in this kernel: every anonymous frame has one mapping, `share` is never called.
///     fn share(&self, _pfn: u64) -> bool { true }
///     fn is_exclusive(&self, _pfn: u64) -> bool { true }
///     fn unmap(&self, pfn: u64) { self.free(pfn) }
/// }
/// impl fault::TableWalker<A> for MyKernel {
///     fn leaf(&self, addr: u64) -> Option<Leaf<'_, A>> {
///         let slot = self.ptes.get((addr >> 12) as usize % 512)?;
///         Some(Leaf { slot, ptl: &self.ptl })
///     }
///     fn flush_tlb(&self, _addr: u64) { /* invlpg + shootdown */ }
/// }
/// impl fault::PageCache for MyKernel {
///     fn get(&self, _file: u32, _pgoff: u64) -> Option<u64> { None }
///     fn put(&self, _pfn: u64) {}
///     fn contains(&self, _pfn: u64) -> bool { false }
///     fn dup(&self, _pfn: u64) {}
/// }
/// impl fault::SwapDevice for MyKernel {
///     fn read(&self, _entry: SwapEntry) -> Option<u64> { None }
///     fn free_slot(&self, _entry: SwapEntry) {}
///     fn duplicate(&self, _entry: SwapEntry) -> bool { false }
/// }
///
/// // The kernel is its own `Kernel`: no `Env` to build on every fault.
/// impl Kernel<A> for MyKernel {
///     type Frames = Self;
///     type Tables = Self;
///     type Cache = Self;
///     type Swap = Self;
///     fn frames(&self) -> &Self { self }
///     fn tables(&self) -> &Self { self }
///     fn cache(&self) -> &Self { self }
///     fn swap(&self) -> &Self { self }
/// }
///
/// let k = MyKernel {
///     used: Default::default(),
///     ptes: core::array::from_fn(|_| PteSlot::default()),
///     ptl: RawSpinLock::new(),
/// };
/// let vma = Vma { start: 0, end: 1 << 21, backing: Backing::Anonymous, writable: true, page_shift: 12 };
/// let strategy = fault::Cmpxchg::new();
/// let r = fault::handle(&strategy, &k, &vma, Fault { addr: 0x3000, write: true });
/// assert_eq!(r, Ok(Resolved::Anonymous));
/// assert!(k.ptes[3].load().is_present());
/// ```
pub trait Kernel<A: Arch> {
    /// The page allocator.
    type Frames: FrameAllocator;
    /// The page tables of the faulting address space.
    type Tables: TableWalker<A>;
    /// The page cache.
    type Cache: PageCache;
    /// The swap device.
    type Swap: SwapDevice;

    /// The page allocator.
    fn frames(&self) -> &Self::Frames;
    /// The page tables.
    fn tables(&self) -> &Self::Tables;
    /// The page cache.
    fn cache(&self) -> &Self::Cache;
    /// The swap device.
    fn swap(&self) -> &Self::Swap;
}

/// What the kernel provides to the fast path, as four references: the ready-made [`Kernel`].
#[derive(Debug)]
pub struct Env<'k, F, W, C, D> {
    /// The page allocator.
    pub frames: &'k F,
    /// The page tables.
    pub tables: &'k W,
    /// The page cache.
    pub cache: &'k C,
    /// The swap device.
    pub swap: &'k D,
}

impl<A, F, W, C, D> Kernel<A> for Env<'_, F, W, C, D>
where
    A: Arch,
    F: FrameAllocator,
    W: TableWalker<A>,
    C: PageCache,
    D: SwapDevice,
{
    type Frames = F;
    type Tables = W;
    type Cache = C;
    type Swap = D;

    #[inline]
    fn frames(&self) -> &F {
        self.frames
    }
    #[inline]
    fn tables(&self) -> &W {
        self.tables
    }
    #[inline]
    fn cache(&self) -> &C {
        self.cache
    }
    #[inline]
    fn swap(&self) -> &D {
        self.swap
    }
}

/// What backs a mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backing {
    /// Anonymous memory.
    Anonymous,
    /// A shared file mapping (`MAP_SHARED`): faults map the page-cache page itself.
    SharedFile {
        /// The file.
        file: u32,
        /// The file page at the mapping's start.
        pgoff: u64,
    },
    /// A private file mapping (`MAP_PRIVATE`): writes copy the page-cache page.
    PrivateFile {
        /// The file.
        file: u32,
        /// The file page at the mapping's start.
        pgoff: u64,
    },
}

/// A mapping: the part of a VMA the fast path needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Vma {
    /// First address.
    pub start: u64,
    /// One past the last address.
    pub end: u64,
    /// What backs it.
    pub backing: Backing,
    /// Whether writes are allowed (`VM_WRITE`).
    pub writable: bool,
    /// `PAGE_SHIFT` of the layout geometry in use.
    pub page_shift: u32,
}

impl Vma {
    /// The file page of `addr` for a file mapping.
    pub fn file_page(&self, addr: u64) -> Option<(u32, u64)> {
        let index = (addr - self.start) >> self.page_shift;
        match self.backing {
            Backing::Anonymous => None,
            Backing::SharedFile { file, pgoff } | Backing::PrivateFile { file, pgoff } => {
                Some((file, pgoff + index))
            }
        }
    }
}

/// A fault: the address and the access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Fault {
    /// The faulting address.
    pub addr: u64,
    /// A write access.
    pub write: bool,
}

/// How a fault was resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Resolved {
    /// A zeroed anonymous page was installed.
    Anonymous,
    /// A page-cache page itself was mapped over an empty entry: any fault of a shared file
    /// mapping, a read fault of a private one (mapped read-only). A private write gets a copy
    /// and is [`CopyOnWrite`](Self::CopyOnWrite).
    File,
    /// A write fault of a private page that copied it: a private copy of the page-cache page
    /// was installed over an empty entry, or a copy replaced a read-only page — a page-cache
    /// page, or an anonymous page shared by fork — break-before-make
    /// ([`Strategy::replace_flushed`]; `wp_page_copy`). A page the entry alone maps is
    /// [`Reused`](Self::Reused) instead.
    #[doc(alias = "wp_page_copy")]
    CopyOnWrite,
    /// A write fault of a read-only anonymous page (or an earlier private copy) that its
    /// entry alone maps ([`FrameAllocator::is_exclusive`]): made writable in place, no copy
    /// (`wp_page_reuse`).
    #[doc(alias = "wp_page_reuse")]
    Reused,
    /// A swapped-out page was read back.
    SwapIn,
    /// A nonlinear file entry was resolved.
    Nonlinear,
    /// Accessed / dirty were set in software.
    AccessDirty,
    /// Another thread resolved it first (the loser's page was freed), or nothing was left to
    /// do: the access can simply be retried by the hardware.
    AlreadyDone,
}

/// Why a fault was not resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultError {
    /// Out of memory (frames or page tables).
    NoMemory,
    /// The strategy asks the caller to refault (`LockBitRefault` found the lock held).
    Retry,
    /// The access is not allowed (a write to a read-only mapping, a PROT_NONE entry).
    Segv,
    /// The address lies beyond the file (`SIGBUS`).
    Bus,
    /// The entry is not a word the kernel could have written.
    Corrupt,
    /// The strategy cannot make this transition on this layout: copy-on-write of a mapped
    /// page by [`Cmpxchg`] on a layout with no break-marker bit (i386/2.6.8 2-level; see
    /// [`Pte::break_marker`]). A lock strategy can.
    Unsupported,
}

cfg_if::cfg_if! {
    if #[cfg(target_has_atomic = "64")] {
        type CounterCell = core::sync::atomic::AtomicU64;
    } else {
        // Targets with narrower atomics (e.g. 32-bit microcontrollers): the counters are
        // pointer-width and wrap, rather than the whole crate failing to build.
        type CounterCell = core::sync::atomic::AtomicUsize;
    }
}

/// One event counter (Relaxed: statistics, read after the threads are joined). 64-bit where
/// the target has 64-bit atomics, pointer-width (wrapping) elsewhere.
#[derive(Debug, Default)]
pub struct Counter(CounterCell);

impl Counter {
    /// Zero.
    pub const fn new() -> Self {
        Counter(CounterCell::new(0))
    }

    /// Adds `by` (nothing to do for 0: no locked add on the fast path).
    #[inline]
    pub(crate) fn add(&self, by: u64) {
        if by != 0 {
            crate::probe::access(
                &self.0,
                crate::probe::Access::ReadModifyWrite,
                crate::probe::Site::Counter,
            );
            // Truncation only where the cell is narrower than 64 bits: documented wrapping.
            self.0.fetch_add(by as _, Ordering::Relaxed);
        }
    }

    /// The current value.
    #[allow(
        clippy::unnecessary_cast,
        reason = "the cell is usize on targets without 64-bit atomics"
    )]
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed) as u64
    }
}

/// Event counters of a strategy.
#[derive(Debug, Default)]
pub struct Stats {
    /// Faults resolved (any [`Resolved`]).
    pub faults: Counter,
    /// Refaults asked for ([`FaultError::Retry`]).
    pub retries: Counter,
    /// Races lost: a prepared page was given back because another writer got there first.
    pub lost_races: Counter,
    /// Frames and page-cache references given back after a lost race.
    pub frees: Counter,
    /// Spins while waiting for a lock or a lock bit.
    pub spins: Counter,
}

/// A snapshot of [`Stats`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Faults resolved.
    pub faults: u64,
    /// Refaults asked for.
    pub retries: u64,
    /// Races lost.
    pub lost_races: u64,
    /// Frames and references given back after lost races.
    pub frees: u64,
    /// Spins on locks and lock bits.
    pub spins: u64,
}

impl Stats {
    /// All counters zero (`const`: strategies can live in a kernel's statics).
    pub const fn new() -> Self {
        Stats {
            faults: Counter::new(),
            retries: Counter::new(),
            lost_races: Counter::new(),
            frees: Counter::new(),
            spins: Counter::new(),
        }
    }

    /// The current counts.
    pub fn snapshot(&self) -> Counts {
        Counts {
            faults: self.faults.get(),
            retries: self.retries.get(),
            lost_races: self.lost_races.get(),
            frees: self.frees.get(),
            spins: self.spins.get(),
        }
    }
}

/// Where a prepared frame goes back to if it loses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    /// A frame of the allocator.
    Frame,
    /// A page-cache reference.
    Cache,
}

/// Gives a prepared frame back after a lost race.
fn give_back<A: Arch, K: Kernel<A>>(kernel: &K, src: Source, pfn: u64) {
    match src {
        Source::Frame => kernel.frames().free(pfn),
        Source::Cache => kernel.cache().put(pfn),
    }
}

/// What a fault's install or replacement through the strategy means for the caller:
/// `Installed` is `done`, a lost race is [`Resolved::AlreadyDone`] (the strategy has counted
/// it and, for an install, given the page back), `Retry` asks for a refault, and `NoPage` is
/// `no_page` (why the page could not be prepared).
fn outcome<A: Arch>(
    step: Step<A>,
    done: Resolved,
    no_page: FaultError,
) -> Result<Resolved, FaultError> {
    match step {
        Step::Installed => Ok(done),
        Step::Lost(_) => Ok(Resolved::AlreadyDone),
        Step::Retry => Err(FaultError::Retry),
        Step::NoPage => Err(no_page),
    }
}

/// Resolves one fault. [`FaultError::Retry`] asks the caller to refault (see
/// [`handle_retrying`]).
///
/// `kernel` is anything implementing [`Kernel`]: an [`Env`] of four references, or the
/// kernel's own type.
pub fn handle<A: Arch, S: Strategy<A>, K: Kernel<A>>(
    strategy: &S,
    kernel: &K,
    vma: &Vma,
    fault: Fault,
) -> Result<Resolved, FaultError> {
    if fault.addr < vma.start || fault.addr >= vma.end || (fault.write && !vma.writable) {
        return Err(FaultError::Segv);
    }
    let result = resolve(strategy, kernel, vma, fault);
    if result.is_ok() {
        strategy.stats().faults.add(1);
    }
    result
}

/// [`handle`] after the permission checks: read the entry once and dispatch on it.
fn resolve<A: Arch, S: Strategy<A>, K: Kernel<A>>(
    strategy: &S,
    kernel: &K,
    vma: &Vma,
    fault: Fault,
) -> Result<Resolved, FaultError> {
    let leaf = kernel
        .tables()
        .leaf(fault.addr)
        .ok_or(FaultError::NoMemory)?;
    // Through the strategy: a lock held on a non-empty entry is waited for, never dispatched.
    let old = strategy.load(&leaf);
    match strategy.classify(old) {
        // A held lock bit on an empty entry: the strategy refaults or waits.
        Decoded::None | Decoded::LockedNone => fault_empty(strategy, kernel, vma, fault, &leaf),
        Decoded::Present { pfn } => fault_present(strategy, kernel, vma, fault, &leaf, old, pfn),
        Decoded::Swap(entry) => {
            let Some(pfn) = kernel.swap().read(entry) else {
                // Freed by the fault that won, or out of memory: which one, the entry says
                // (read through the strategy, so a lock briefly held on it is not a change).
                return if strategy.load(&leaf) == old {
                    Err(FaultError::NoMemory)
                } else {
                    Ok(Resolved::AlreadyDone)
                };
            };
            // Dirty even for a read: the winner drops the entry's slot reference below, so
            // this frame becomes the mapping's only copy and must be written out again before
            // it is dropped (Linux dirties the folio when `folio_free_swap` frees the slot).
            let new =
                present::<A>(pfn, true, vma.writable).inspect_err(|_| kernel.frames().free(pfn))?;
            if publish(strategy, kernel, &leaf, old, new, Source::Frame, pfn)? {
                // Only the winner frees the slot: exactly once.
                kernel.swap().free_slot(entry);
                Ok(Resolved::SwapIn)
            } else {
                Ok(Resolved::AlreadyDone)
            }
        }
        Decoded::File { pgoff } => {
            let file = match vma.backing {
                Backing::SharedFile { file, .. } | Backing::PrivateFile { file, .. } => file,
                Backing::Anonymous => return Err(FaultError::Corrupt),
            };
            let pfn = kernel.cache().get(file, pgoff).ok_or(FaultError::Bus)?;
            let shared = matches!(vma.backing, Backing::SharedFile { .. });
            let new = present::<A>(pfn, fault.write && shared, vma.writable && shared)
                .inspect_err(|_| kernel.cache().put(pfn))?;
            let won = publish(strategy, kernel, &leaf, old, new, Source::Cache, pfn)?;
            Ok(if won {
                Resolved::Nonlinear
            } else {
                Resolved::AlreadyDone
            })
        }
        Decoded::ProtNone { .. } | Decoded::PresentInvalid { .. } => Err(FaultError::Segv),
        Decoded::Invalid(_) => Err(FaultError::Corrupt),
    }
}

/// Calls [`handle`] until it stops asking for a refault; returns the result and the number of
/// refaults (the 2004 "return and refault" loop, whose length is the livelock measure).
/// Between two attempts it calls [`lock::relax`].
pub fn handle_retrying<A: Arch, S: Strategy<A>, K: Kernel<A>>(
    strategy: &S,
    kernel: &K,
    vma: &Vma,
    fault: Fault,
) -> (Result<Resolved, FaultError>, u64) {
    let mut refaults = 0;
    loop {
        match handle(strategy, kernel, vma, fault) {
            Err(FaultError::Retry) => {
                refaults += 1;
                lock::relax();
            }
            other => return (other, refaults),
        }
    }
}

/// `pfn_pte(pfn, PAGE_SHARED or PAGE_READONLY)`, dirtied for a write.
fn present<A: Arch>(pfn: u64, dirty: bool, writable: bool) -> Result<Pte<A>, FaultError> {
    let layout = A::CHECKED_LAYOUT;
    let prot = if writable {
        layout.page_shared
    } else {
        layout.page_readonly
    };
    let pte = Pte::<A>::with_prot(pfn, prot).map_err(|_| FaultError::Corrupt)?;
    Ok(if dirty { pte.make_dirty() } else { pte })
}

/// An empty entry: anonymous, `nopage`, or a private file page (copied on a write).
fn fault_empty<A: Arch, S: Strategy<A>, K: Kernel<A>>(
    strategy: &S,
    kernel: &K,
    vma: &Vma,
    fault: Fault,
    leaf: &Leaf<'_, A>,
) -> Result<Resolved, FaultError> {
    let (src, kind) = match vma.backing {
        Backing::Anonymous => (Source::Frame, Resolved::Anonymous),
        Backing::SharedFile { .. } => (Source::Cache, Resolved::File),
        // A private write copies the page-cache page straight away.
        Backing::PrivateFile { .. } if fault.write => (Source::Frame, Resolved::CopyOnWrite),
        Backing::PrivateFile { .. } => (Source::Cache, Resolved::File),
    };
    let mut failed = None;
    // The entry and, for `discard`, the frame it maps: exactly the one prepared.
    let prepare = || {
        let pfn = match (vma.backing, src) {
            (Backing::Anonymous, _) => kernel.frames().alloc_zeroed(),
            (_, Source::Cache) => {
                let (file, pgoff) = vma.file_page(fault.addr)?;
                match kernel.cache().get(file, pgoff) {
                    Some(p) => Some(p),
                    None => {
                        failed = Some(FaultError::Bus);
                        None
                    }
                }
            }
            (_, Source::Frame) => {
                // Private write: copy the page-cache page, drop the reference.
                let (file, pgoff) = vma.file_page(fault.addr)?;
                let Some(cached) = kernel.cache().get(file, pgoff) else {
                    failed = Some(FaultError::Bus);
                    return None;
                };
                let copy = kernel.frames().alloc_copy(cached);
                kernel.cache().put(cached);
                copy
            }
        };
        let pfn = pfn?;
        // A shared mapping maps the cache page writable; a private one only its own copy.
        let writable = vma.writable
            && (src == Source::Frame || matches!(vma.backing, Backing::SharedFile { .. }));
        match present::<A>(pfn, fault.write, writable) {
            Ok(pte) => Some((pte, pfn)),
            Err(e) => {
                give_back(kernel, src, pfn);
                failed = Some(e);
                None
            }
        }
    };
    let discard = |pfn: u64| give_back(kernel, src, pfn);
    let step = strategy.install_empty(leaf, prepare, discard);
    outcome(step, kind, failed.unwrap_or(FaultError::NoMemory))
}

/// A present entry: copy-on-write, or accessed/dirty in software, or nothing left to do.
fn fault_present<A: Arch, S: Strategy<A>, K: Kernel<A>>(
    strategy: &S,
    kernel: &K,
    vma: &Vma,
    fault: Fault,
    leaf: &Leaf<'_, A>,
    old: Pte<A>,
    pfn: u64,
) -> Result<Resolved, FaultError> {
    if fault.write && !old.is_writable() {
        let private = matches!(
            vma.backing,
            Backing::PrivateFile { .. } | Backing::Anonymous
        );
        if !(private && vma.writable) {
            return Err(FaultError::Segv);
        }
        return copy_on_write(strategy, kernel, fault, leaf, old, pfn);
    }
    let mut new = old.make_young();
    if fault.write {
        new = new.make_dirty();
    }
    if new == old {
        return Ok(Resolved::AlreadyDone);
    }
    let step = strategy.replace(leaf, old, new);
    outcome(step, Resolved::AccessDirty, FaultError::NoMemory)
}

/// A write fault on read-only page `pfn` of a writable private mapping (`do_wp_page`).
///
/// An anonymous page (or an earlier private copy) that this entry alone maps is made
/// writable in place ([`Resolved::Reused`]). Otherwise — a page-cache page, or an anonymous
/// page fork shared — a copy replaces it break-before-make ([`Strategy::replace_flushed`]):
/// no CPU's TLB still holds the old translation when the copy becomes visible, and the slot
/// is never a none a lock-free fault could fill (it would map the linear file page of a
/// nonlinear entry, or a fresh zero page over shared anonymous data). Only then is the old
/// mapping dropped: the page-cache reference ([`PageCache::put`]) or the anonymous mapping
/// ([`FrameAllocator::unmap`]).
fn copy_on_write<A: Arch, S: Strategy<A>, K: Kernel<A>>(
    strategy: &S,
    kernel: &K,
    fault: Fault,
    leaf: &Leaf<'_, A>,
    old: Pte<A>,
    pfn: u64,
) -> Result<Resolved, FaultError> {
    let cached = kernel.cache().contains(pfn);
    if !cached && kernel.frames().is_exclusive(pfn) {
        let new = old.make_writable().make_young().make_dirty();
        let step = strategy.replace(leaf, old, new);
        return outcome(step, Resolved::Reused, FaultError::NoMemory);
    }
    // Known gap (review finding 2): the entry does not pin an anonymous page while we copy
    // it; a racing swap-out may unmap and free it, the copy is then of a freed frame and is
    // discarded (the replace below loses). Pinning it with `share` made the loom models too
    // slow to finish in the session that found it.
    let copy = kernel
        .frames()
        .alloc_copy(pfn)
        .ok_or(FaultError::NoMemory)?;
    let new = present::<A>(copy, true, true).inspect_err(|_| kernel.frames().free(copy))?;
    let flush = || kernel.tables().flush_tlb(fault.addr);
    let step = strategy.replace_flushed(leaf, old, new, flush);
    if !matches!(step, Step::Installed) {
        kernel.frames().free(copy);
    }
    match step {
        Step::Installed => {
            // The old mapping is gone from the entry and every TLB: drop it.
            if cached {
                kernel.cache().put(pfn);
            } else {
                kernel.frames().unmap(pfn);
            }
            Ok(Resolved::CopyOnWrite)
        }
        Step::Lost(_) => {
            strategy.stats().frees.add(1);
            Ok(Resolved::AlreadyDone)
        }
        Step::Retry => Err(FaultError::Retry),
        Step::NoPage => Err(FaultError::Unsupported),
    }
}

/// Replaces `old` by `new` through the strategy: `true` if published; a lost race gives the
/// prepared frame back and returns `false`.
fn publish<A: Arch, S: Strategy<A>, K: Kernel<A>>(
    strategy: &S,
    kernel: &K,
    leaf: &Leaf<'_, A>,
    old: Pte<A>,
    new: Pte<A>,
    src: Source,
    pfn: u64,
) -> Result<bool, FaultError> {
    match strategy.replace(leaf, old, new) {
        Step::Installed => Ok(true),
        Step::Lost(_) => {
            give_back(kernel, src, pfn);
            strategy.stats().frees.add(1);
            Ok(false)
        }
        Step::Retry => {
            give_back(kernel, src, pfn);
            Err(FaultError::Retry)
        }
        // No built-in strategy answers a `replace` with `NoPage`; a kernel's own strategy
        // might, and the prepared page must not leak then either.
        Step::NoPage => {
            give_back(kernel, src, pfn);
            Err(FaultError::NoMemory)
        }
    }
}
