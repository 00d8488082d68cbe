//! A minimal, loom-friendly kernel for the fault-path models in `loom_fault.rs`.
//!
//! * [`Frames`]: a few physical frames whose contents are `loom::cell::UnsafeCell<u64>`.
//!   Zeroing, copying and swap-in write the cell; a reader that reaches a page through a present
//!   PTE reads it, so loom reports a causality violation if the write does not happen-before
//!   the read. Frames are never reused (a bump allocator), so every allocation and every free
//!   is visible at the end; a second free of a frame panics at once. Each frame has a map
//!   count (`FrameAllocator::share`, `is_exclusive`, `unmap`): 1 from its allocation, the last
//!   `unmap` frees it and scribbles on it, so a copy that read it must happen-before that.
//! * [`OneLeaf`]: a table walker with a single leaf slot and its split lock.
//! * [`TwoLevel`]: a walker whose leaf table is populated on demand by compare-and-swap on an
//!   upper-level entry (the reference populate a kernel would write), for the populate model.
//! * [`OnePageCache`], [`OneSlotSwap`]: a page cache with one page and a swap device with one
//!   slot, whose references (`SwapDevice::duplicate`, `free_slot`) and frees are counted with
//!   loom atomics (a freed slot reads as `None`).
//!
//! Everything shared between threads is a loom type, so loom sees every access; bookkeeping
//! that only the final checks read (after every thread is joined) is loom too, with Relaxed
//! orderings, which adds no synchronisation the protocol itself does not provide.
#![allow(dead_code)]

use std::sync::Arc;

use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicBool, AtomicUsize};
use pte_core::fault::lock::RawSpinLock;
use pte_core::fault::{
    Backing, Env, FrameAllocator, Leaf, PageCache, Strategy, SwapDevice, TableWalker, Vma,
};
use pte_core::{Arch, Decoded, Pte, PteSlot, SwapEntry};
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};

/// What a frame holds before it is first written: the previous owner's data.
pub const POISON: u64 = 0x5a5a_5a5a_5a5a_5a5a;
/// The PFN of frame 0.
pub const PFN_BASE: u64 = 0x100;
/// The faulting address; the mapping is one page.
pub const ADDR: u64 = 0x7000_0000;

/// An anonymous, writable one-page mapping at [`ADDR`] (4 KiB pages).
pub fn anon_vma() -> Vma {
    Vma {
        start: ADDR,
        end: ADDR + 0x1000,
        backing: Backing::Anonymous,
        writable: true,
        page_shift: 12,
    }
}

/// A private, writable one-page mapping of page 0 of file 0 at [`ADDR`] (copy-on-write).
pub fn private_file_vma() -> Vma {
    Vma {
        backing: Backing::PrivateFile { file: 0, pgoff: 0 },
        ..anon_vma()
    }
}

/// The physical frames.
pub struct Frames {
    cells: Box<[UnsafeCell<u64>]>,
    freed: Box<[AtomicBool]>,
    /// Map counts (`page_mapcount`): 1 from the allocation (the mapping it gets if published),
    /// + 1 per `share`, - 1 per `unmap`.
    maps: Box<[AtomicUsize]>,
    /// Negative control: `is_exclusive` answers `true` whatever the map count (reuse without
    /// the exclusive check).
    always_exclusive: bool,
    /// Calls of `alloc_zeroed`.
    zeroed: AtomicUsize,
    next: AtomicUsize,
    /// `false`: `alloc_zeroed` leaves the frame as it was (a strategy that zeroes after the
    /// publish calls [`Frames::zero`] itself: negative control).
    zero_on_alloc: bool,
    /// `true`: the first `alloc_zeroed` fails (out of memory); frame 0 is then never handed
    /// out (counted as allocated and freed, so [`Frames::assert_accounted`] ignores it).
    fail_first: bool,
}

// The cells are only accessed through loom's tracked `with` / `with_mut`.
unsafe impl Sync for Frames {}

impl Frames {
    /// `n` frames holding [`POISON`].
    pub fn new(n: usize) -> Self {
        Self::with_zeroing(n, true)
    }

    /// `n` frames; `zero_on_alloc = false` for the publish-before-zeroing control.
    pub fn with_zeroing(n: usize, zero_on_alloc: bool) -> Self {
        Frames {
            cells: (0..n).map(|_| UnsafeCell::new(POISON)).collect(),
            freed: (0..n).map(|_| AtomicBool::new(false)).collect(),
            maps: (0..n).map(|_| AtomicUsize::new(0)).collect(),
            always_exclusive: false,
            zeroed: AtomicUsize::new(0),
            next: AtomicUsize::new(0),
            zero_on_alloc,
            fail_first: false,
        }
    }

    /// `n` frames whose `is_exclusive` always answers `true`: the negative control of the
    /// two-process copy-on-write model (reuse without the exclusive check).
    pub fn always_exclusive(n: usize) -> Self {
        Frames {
            always_exclusive: true,
            ..Self::new(n)
        }
    }

    /// The map count of `pfn`.
    pub fn maps(&self, pfn: u64) -> usize {
        self.maps[self.index(pfn)].load(Relaxed)
    }

    /// Sets the map count of `pfn` (before any thread starts: the state fork leaves).
    pub fn set_maps(&self, pfn: u64, n: usize) {
        self.maps[self.index(pfn)].store(n, Relaxed);
    }

    /// Marks frame `i` freed; a second free panics.
    fn mark_freed(&self, i: usize) {
        let was = self.freed[i].swap(true, Relaxed);
        assert!(!was, "frame {:#x} freed twice", PFN_BASE + i as u64);
    }

    /// `n` frames, the first `alloc_zeroed` of which fails (the preparation-failure model).
    pub fn failing_first(n: usize) -> Self {
        Frames {
            fail_first: true,
            ..Self::new(n)
        }
    }

    fn index(&self, pfn: u64) -> usize {
        let i = pfn.checked_sub(PFN_BASE).expect("pfn below the frame pool") as usize;
        assert!(i < self.cells.len(), "pfn {pfn:#x} beyond the frame pool");
        i
    }

    /// A fresh frame (never reused), written with `value`.
    pub fn alloc_with(&self, value: u64) -> Option<u64> {
        let i = self.next.fetch_add(1, Relaxed);
        if i >= self.cells.len() {
            return None;
        }
        self.cells[i].with_mut(|p| unsafe { *p = value });
        self.maps[i].store(1, Relaxed);
        Some(PFN_BASE + i as u64)
    }

    /// Zeroes frame `pfn` (a write through the cell).
    pub fn zero(&self, pfn: u64) {
        let i = self.index(pfn);
        self.cells[i].with_mut(|p| unsafe { *p = 0 });
    }

    /// Reads frame `pfn` (what a thread that reached it through a PTE sees).
    pub fn read(&self, pfn: u64) -> u64 {
        let i = self.index(pfn);
        self.cells[i].with(|p| unsafe { *p })
    }

    /// Writes `value` to frame `pfn` (a store through a writable PTE).
    pub fn write(&self, pfn: u64, value: u64) {
        let i = self.index(pfn);
        self.cells[i].with_mut(|p| unsafe { *p = value });
    }

    /// Calls of `alloc_zeroed` (a fault that found an empty entry and prepared a page for it).
    pub fn zeroed(&self) -> usize {
        self.zeroed.load(Relaxed)
    }

    /// Frames handed out (whether or not they were freed since).
    pub fn allocated(&self) -> usize {
        self.next.load(Relaxed).min(self.cells.len())
    }

    /// Frames freed.
    pub fn freed(&self) -> usize {
        self.freed[..self.allocated()]
            .iter()
            .filter(|f| f.load(Relaxed))
            .count()
    }

    /// Whether `pfn` was freed.
    pub fn is_freed(&self, pfn: u64) -> bool {
        self.freed[self.index(pfn)].load(Relaxed)
    }

    /// Every allocated frame is either freed or `mapped` (the one the PTE holds, if any), and
    /// `mapped` is not freed.
    pub fn assert_accounted(&self, mapped: Option<u64>) {
        self.assert_live(mapped.as_slice());
    }

    /// Every allocated frame is either freed or one of `live` (distinct frames), and none of
    /// `live` is freed.
    pub fn assert_live(&self, live: &[u64]) {
        for &pfn in live {
            assert!(!self.is_freed(pfn), "the mapped frame {pfn:#x} was freed");
        }
        let left = self.allocated() - self.freed();
        assert_eq!(
            left,
            live.len(),
            "frame leaked: {} allocated, {} freed, mapped {live:x?}",
            self.allocated(),
            self.freed()
        );
    }
}

impl FrameAllocator for Frames {
    fn alloc_zeroed(&self) -> Option<u64> {
        self.zeroed.fetch_add(1, Relaxed);
        let i = self.next.fetch_add(1, Relaxed);
        if i >= self.cells.len() {
            return None;
        }
        if self.fail_first && i == 0 {
            self.freed[0].store(true, Relaxed);
            return None;
        }
        if self.zero_on_alloc {
            self.cells[i].with_mut(|p| unsafe { *p = 0 });
        }
        self.maps[i].store(1, Relaxed);
        Some(PFN_BASE + i as u64)
    }

    fn alloc_copy(&self, src: u64) -> Option<u64> {
        let v = self.read(src);
        self.alloc_with(v)
    }

    fn free(&self, pfn: u64) {
        self.mark_freed(self.index(pfn));
    }

    /// Map count + 1 unless it is 0 (`get_page_unless_zero`; AcqRel: a copy-on-write pins the
    /// page it then reads this way). `false`: the frame was freed.
    fn share(&self, pfn: u64) -> bool {
        let i = self.index(pfn);
        self.maps[i]
            .fetch_update(AcqRel, Acquire, |c| (c > 0).then(|| c + 1))
            .is_ok()
    }

    /// Map count == 1 (Acquire: pairs with `unmap`'s Release, so everything the other mapping
    /// did with the page — a copy reading it — happens-before the reuse writes it).
    fn is_exclusive(&self, pfn: u64) -> bool {
        let i = self.index(pfn);
        self.always_exclusive || self.maps[i].load(Acquire) == 1
    }

    /// Map count - 1 (AcqRel, as Linux's fully ordered `atomic_add_negative`); the last
    /// mapping frees the frame, which the allocator scribbles on: a read of the page not
    /// ordered before the last unmap is a data race loom reports.
    fn unmap(&self, pfn: u64) {
        let i = self.index(pfn);
        let was = self.maps[i].fetch_sub(1, AcqRel);
        assert!(was > 0, "unmap of frame {pfn:#x} with map count 0");
        if was == 1 {
            self.mark_freed(i);
            self.cells[i].with_mut(|p| unsafe { *p = POISON });
        }
    }
}

/// A walker with a single leaf slot and the lock of its table.
pub struct OneLeaf<A: Arch> {
    /// The slot.
    pub slot: PteSlot<A>,
    /// The split page-table lock.
    pub ptl: RawSpinLock,
    /// TLB flushes done.
    flushes: AtomicUsize,
}

impl<A: Arch> OneLeaf<A> {
    /// A leaf holding `pte`.
    pub fn new(pte: Pte<A>) -> Self {
        OneLeaf {
            slot: PteSlot::new(pte),
            ptl: RawSpinLock::new(),
            flushes: AtomicUsize::new(0),
        }
    }

    /// TLB flushes done (one per break-before-make that got as far as the flush).
    pub fn flushes(&self) -> usize {
        self.flushes.load(Relaxed)
    }
}

impl<A: Arch> TableWalker<A> for OneLeaf<A> {
    fn leaf(&self, _addr: u64) -> Option<Leaf<'_, A>> {
        Some(Leaf {
            slot: &self.slot,
            ptl: &self.ptl,
        })
    }
    /// The models have no TLB. The fault path flushes when an entry gets a new output address,
    /// break-before-make on every layout: between the invalid step (the break marker, the
    /// locked-empty word, or a none under the lock) and the new entry. So while it runs the
    /// slot maps no page: neither the old one (still in some TLB) nor the new one.
    fn flush_tlb(&self, _addr: u64) {
        self.flushes.fetch_add(1, Relaxed);
        let now = self.slot.load();
        assert!(
            !now.is_present(),
            "break-before-make: the slot maps a page during the TLB flush: {now:?}"
        );
    }
}

/// A page cache with one page (file 0, pgoff 0); references counted.
pub struct OnePageCache {
    pfn: u64,
    refs: AtomicUsize,
}

impl OnePageCache {
    /// The page is frame `pfn`.
    pub fn new(pfn: u64) -> Self {
        OnePageCache {
            pfn,
            refs: AtomicUsize::new(0),
        }
    }

    /// References held.
    pub fn refs(&self) -> usize {
        self.refs.load(Relaxed)
    }
}

impl PageCache for OnePageCache {
    fn get(&self, file: u32, pgoff: u64) -> Option<u64> {
        if file != 0 || pgoff != 0 {
            return None;
        }
        self.refs.fetch_add(1, Relaxed);
        Some(self.pfn)
    }

    fn contains(&self, pfn: u64) -> bool {
        pfn == self.pfn
    }

    fn put(&self, pfn: u64) {
        assert_eq!(pfn, self.pfn, "put of a page the cache does not hold");
        let was = self.refs.fetch_sub(1, Relaxed);
        assert!(was > 0, "page-cache reference dropped twice");
    }

    fn dup(&self, pfn: u64) {
        assert_eq!(pfn, self.pfn, "dup of a page the cache does not hold");
        let was = self.refs.fetch_add(1, Relaxed);
        assert!(was > 0, "dup of a page-cache page nobody maps");
    }
}

/// The swap slot every swap-out in the models uses.
pub const SLOT: SwapEntry = SwapEntry {
    ty: 1,
    offset: 3,
    exclusive: false,
    soft_dirty: false,
    uffd_wp: false,
};

/// How [`OneSlotSwap::free_slot`] treats the slot's reference count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotFree {
    /// `swap_free`: drops one reference; the last one frees the slot.
    Counted,
    /// Negative control: frees the slot on every call, whatever the count (a swap-in in one
    /// address space frees a slot another address space's entry, copied by fork, still names).
    Uncounted,
}

/// A swap device with one slot ([`SLOT`]): its contents are a loom cell (written by the
/// swap-out before it publishes the swap entry, read by the swap-in); its references
/// (`swap_map`'s count: one from the swap-out, one more per fork that copied the entry) and
/// its frees are one atomic word, so that a swap-in reads both in one access.
pub struct OneSlotSwap {
    frames: Arc<Frames>,
    contents: UnsafeCell<u64>,
    /// References held by swap entries (the low [`REFS_BITS`] bits) and times the slot was
    /// freed (above: 0 or 1 unless it was freed again).
    state: AtomicUsize,
    free_rule: SlotFree,
    /// Bit `n` set: a swap-in read the slot's state while `n` (at most 2) references were
    /// held. Coverage only, read after the threads are joined: a std atomic, outside loom's
    /// model (it adds no interleavings).
    read_at_refs: std::sync::atomic::AtomicUsize,
}

/// Bits of [`OneSlotSwap`]'s state that count references.
const REFS_BITS: u32 = 8;
/// One free in [`OneSlotSwap`]'s state.
const ONE_FREE: usize = 1 << REFS_BITS;
/// The references in [`OneSlotSwap`]'s state.
const REFS: usize = ONE_FREE - 1;

unsafe impl Sync for OneSlotSwap {}

impl OneSlotSwap {
    /// A device whose swap-ins allocate from `frames`.
    pub fn new(frames: Arc<Frames>) -> Self {
        Self::with_free_rule(frames, SlotFree::Counted)
    }

    /// A device whose `free_slot` follows `free_rule`.
    pub fn with_free_rule(frames: Arc<Frames>, free_rule: SlotFree) -> Self {
        OneSlotSwap {
            frames,
            contents: UnsafeCell::new(POISON),
            state: AtomicUsize::new(0),
            free_rule,
            read_at_refs: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// `swap_writepage`: the swap-out reserves the slot (one reference, the entry it is about
    /// to publish) and writes the page to it (before the PTE changes).
    pub fn write_slot(&self, value: u64) {
        self.state.store(1, Relaxed);
        self.contents.with_mut(|p| unsafe { *p = value });
    }

    /// Times the slot was freed.
    pub fn frees(&self) -> usize {
        self.state.load(Relaxed) >> REFS_BITS
    }

    /// References left to the slot.
    pub fn refs(&self) -> usize {
        self.state.load(Relaxed) & REFS
    }

    /// Whether a swap-in read the slot (or found it freed) while `n` references were held.
    pub fn read_at_refs(&self, n: usize) -> bool {
        self.read_at_refs.load(Relaxed) & 1 << n.min(2) != 0
    }
}

impl SwapDevice for OneSlotSwap {
    /// `None` once the slot is freed (another fault swapped the page in and published it).
    /// The state is read with a read-modify-write (AcqRel), which reads the latest value: it
    /// stands for the swap device's own locking (`swap_info`'s lock around `swap_map`), so a
    /// read after a free, in that lock's order, sees it (and the winner's entry).
    fn read(&self, entry: SwapEntry) -> Option<u64> {
        assert_eq!(entry, SLOT, "swap-in of a corrupted swap entry");
        let state = self.state.fetch_add(0, AcqRel);
        self.read_at_refs
            .fetch_or(1 << (state & REFS).min(2), Relaxed);
        if state >> REFS_BITS > 0 {
            return None;
        }
        let v = self.contents.with(|p| unsafe { *p });
        self.frames.alloc_with(v)
    }

    /// Drops one reference (AcqRel: every swap-in's read of the slot happens-before the free
    /// by the last reference); the last one frees the slot. A drop with no reference left is
    /// counted as one more free (a double free: the checks report the count).
    fn free_slot(&self, entry: SwapEntry) {
        assert_eq!(entry, SLOT, "free of a corrupted swap entry");
        let uncounted = self.free_rule == SlotFree::Uncounted;
        self.state
            .fetch_update(AcqRel, Acquire, |s| {
                let refs = s & REFS;
                let freed = refs <= 1 || uncounted;
                Some((s & !REFS) + refs.saturating_sub(1) + if freed { ONE_FREE } else { 0 })
            })
            .unwrap();
    }

    /// One reference more, unless the slot is gone.
    fn duplicate(&self, entry: SwapEntry) -> bool {
        assert_eq!(entry, SLOT, "duplicate of a corrupted swap entry");
        self.state
            .fetch_update(Relaxed, Relaxed, |s| {
                (s & REFS > 0 && s >> REFS_BITS == 0).then_some(s + 1)
            })
            .is_ok()
    }
}

/// The kernel of one model: frames, a one-leaf table, a one-page cache, a one-slot swap device.
/// Not a `fault::Kernel`: it hands the fault path an [`Env`] of its parts ([`Self::env`]).
pub struct LoomKernel<A: Arch> {
    /// The frames.
    pub frames: Arc<Frames>,
    /// The page tables.
    pub tables: OneLeaf<A>,
    /// The page cache.
    pub cache: OnePageCache,
    /// The swap device.
    pub swap: OneSlotSwap,
}

impl<A: Arch> LoomKernel<A> {
    /// `n` frames, an empty leaf.
    pub fn new(n: usize) -> Self {
        Self::with_frames(Frames::new(n))
    }

    /// A kernel over `frames`, with an empty leaf.
    pub fn with_frames(frames: Frames) -> Self {
        let frames = Arc::new(frames);
        LoomKernel {
            swap: OneSlotSwap::new(frames.clone()),
            cache: OnePageCache::new(u64::MAX >> 12),
            tables: OneLeaf::new(Pte::none()),
            frames,
        }
    }

    /// `n` frames, the first of which is the page cache's page holding `value`, mapped
    /// read-only (`PAGE_READONLY`, as a private read fault maps it) with its reference taken.
    pub fn with_cached_page(n: usize, value: u64) -> Self {
        let mut k = Self::new(n);
        let pfn = k
            .frames
            .alloc_with(value)
            .expect("a frame for the cached page");
        k.cache = OnePageCache::new(pfn);
        assert_eq!(k.cache.get(0, 0), Some(pfn));
        let pte = Pte::<A>::with_prot(pfn, A::LAYOUT.page_readonly).unwrap();
        k.tables.slot.store(pte);
        k
    }

    /// The environment the fault path takes.
    pub fn env(&self) -> Env<'_, Frames, OneLeaf<A>, OnePageCache, OneSlotSwap> {
        Env {
            frames: &self.frames,
            tables: &self.tables,
            cache: &self.cache,
            swap: &self.swap,
        }
    }

    /// The leaf slot.
    pub fn slot(&self) -> &PteSlot<A> {
        &self.tables.slot
    }

    /// The leaf (for `Strategy::update`).
    pub fn leaf(&self) -> Leaf<'_, A> {
        self.tables.leaf(ADDR).unwrap()
    }

    /// Maps a new frame holding `value` (before any thread starts): `PAGE_SHARED`, clean.
    pub fn map_initial(&self, value: u64) -> u64 {
        let pfn = self
            .frames
            .alloc_with(value)
            .expect("a frame for the initial page");
        let pte = Pte::<A>::with_prot(pfn, A::LAYOUT.page_shared).unwrap();
        self.tables.slot.store(pte);
        pfn
    }
}

/// Two address spaces, parent and child, after fork: one leaf each (each with its own split
/// lock), and one page allocator, page cache and swap device for both (the fork models).
pub struct ForkKernel<A: Arch> {
    /// The frames, with map counts.
    pub frames: Arc<Frames>,
    /// The parent's page tables.
    pub parent: OneLeaf<A>,
    /// The child's page tables.
    pub child: OneLeaf<A>,
    /// The page cache (holds no page the models map).
    pub cache: OnePageCache,
    /// The swap device.
    pub swap: OneSlotSwap,
}

/// The [`Env`] of one address space of a [`ForkKernel`].
pub type ForkEnv<'k, A> = Env<'k, Frames, OneLeaf<A>, OnePageCache, OneSlotSwap>;

impl<A: Arch> ForkKernel<A> {
    /// Both leaves empty; the swap device frees slots by `free_rule`.
    pub fn new(frames: Frames, free_rule: SlotFree) -> Self {
        let frames = Arc::new(frames);
        ForkKernel {
            swap: OneSlotSwap::with_free_rule(frames.clone(), free_rule),
            cache: OnePageCache::new(u64::MAX >> 12),
            parent: OneLeaf::new(Pte::none()),
            child: OneLeaf::new(Pte::none()),
            frames,
        }
    }

    /// The environment of the parent's faults.
    pub fn parent_env(&self) -> ForkEnv<'_, A> {
        self.env(&self.parent)
    }

    /// The environment of the child's faults.
    pub fn child_env(&self) -> ForkEnv<'_, A> {
        self.env(&self.child)
    }

    fn env<'k>(&'k self, tables: &'k OneLeaf<A>) -> ForkEnv<'k, A> {
        Env {
            frames: &self.frames,
            tables,
            cache: &self.cache,
            swap: &self.swap,
        }
    }

    /// The parent's leaf (for `fork::copy_entry`).
    pub fn parent_leaf(&self) -> Leaf<'_, A> {
        self.parent.leaf(ADDR).unwrap()
    }

    /// Maps a new anonymous frame holding `value` in the parent (before any thread starts):
    /// `PAGE_SHARED` (writable), clean, map count 1.
    pub fn map_parent(&self, value: u64) -> u64 {
        let pfn = self
            .frames
            .alloc_with(value)
            .expect("a frame for the parent's page");
        let pte = Pte::<A>::with_prot(pfn, A::LAYOUT.page_shared).unwrap();
        self.parent.slot.store(pte);
        pfn
    }
}

/// What a thread sees when it accesses the page after a fault (the hardware retrying the
/// access): the PTE (Acquire), and if it maps a page, that page's contents.
pub fn access<A: Arch, S: Strategy<A>>(
    s: &S,
    slot: &PteSlot<A>,
    frames: &Frames,
) -> Option<(u64, u64)> {
    match s.classify(slot.load()) {
        Decoded::Present { pfn } => Some((pfn, frames.read(pfn))),
        _ => None,
    }
}

/// One leaf table of [`TwoLevel`]: a "page" whose header is cleared before the table is
/// published (`pte_alloc_one` + clear) and poisoned when it is freed.
pub struct LeafTable<A: Arch> {
    header: UnsafeCell<u64>,
    freed: AtomicBool,
    slot: PteSlot<A>,
    ptl: RawSpinLock,
}

/// The header of a cleared table.
pub const TABLE_CLEARED: u64 = 0;

/// A two-level walker: an upper-level entry (0 = none, else table index + 1, like a PMD
/// holding the table's frame number) and a pool of table pages.
///
/// [`TwoLevel::populate`] is the reference implementation a kernel writes
/// (`__pte_alloc`/`pmd_populate` with a compare-and-swap instead of the lock): read the entry
/// (Acquire); if none, allocate and clear a table, publish it by CAS (AcqRel: the clearing
/// happens-before any walker that sees the entry; Acquire on failure: the loser walks the
/// winner's table); the loser frees its own table.
pub struct TwoLevel<A: Arch> {
    upper: AtomicUsize,
    pool: Box<[LeafTable<A>]>,
    next: AtomicUsize,
    /// Negative control: the V14 `if (!pgd_test_and_populate(mm, pgd, new)); pud_free(new);`
    /// — a stray `;` frees the new table whether or not it won.
    stray_semicolon: bool,
}

unsafe impl<A: Arch> Sync for TwoLevel<A> {}

impl<A: Arch> TwoLevel<A> {
    /// A walker with `n` table pages in its pool and the upper entry empty.
    pub fn new(n: usize, stray_semicolon: bool) -> Self {
        TwoLevel {
            upper: AtomicUsize::new(0),
            pool: (0..n)
                .map(|_| LeafTable {
                    header: UnsafeCell::new(POISON),
                    freed: AtomicBool::new(false),
                    slot: PteSlot::new(Pte::none()),
                    ptl: RawSpinLock::new(),
                })
                .collect(),
            next: AtomicUsize::new(0),
            stray_semicolon,
        }
    }

    fn alloc_table(&self) -> Option<usize> {
        let i = self.next.fetch_add(1, Relaxed);
        if i >= self.pool.len() {
            return None;
        }
        self.pool[i]
            .header
            .with_mut(|p| unsafe { *p = TABLE_CLEARED });
        Some(i)
    }

    fn free_table(&self, i: usize) {
        let t = &self.pool[i];
        let was = t.freed.swap(true, Relaxed);
        assert!(!was, "leaf table {i} freed twice");
        // The page allocator scribbles on a freed page.
        t.header.with_mut(|p| unsafe { *p = POISON });
    }

    /// The leaf table, populated if missing: the reference populate.
    pub fn populate(&self) -> Option<usize> {
        let cur = self.upper.load(Acquire);
        if cur != 0 {
            return Some(cur - 1);
        }
        let new = self.alloc_table()?;
        match self.upper.compare_exchange(0, new + 1, AcqRel, Acquire) {
            Ok(_) => {
                if self.stray_semicolon {
                    self.free_table(new);
                }
                Some(new)
            }
            Err(now) => {
                self.free_table(new);
                Some(now - 1)
            }
        }
    }

    /// Table pages allocated and freed.
    pub fn counts(&self) -> (usize, usize) {
        let allocated = self.next.load(Relaxed).min(self.pool.len());
        let freed = self.pool[..allocated]
            .iter()
            .filter(|t| t.freed.load(Relaxed))
            .count();
        (allocated, freed)
    }

    /// The table the upper entry holds, if any.
    pub fn installed(&self) -> Option<usize> {
        self.upper.load(Relaxed).checked_sub(1)
    }

    /// Whether table `i` was freed.
    pub fn is_freed(&self, i: usize) -> bool {
        self.pool[i].freed.load(Relaxed)
    }

    /// The leaf slot of table `i`.
    pub fn slot(&self, i: usize) -> &PteSlot<A> {
        &self.pool[i].slot
    }
}

impl<A: Arch> TableWalker<A> for TwoLevel<A> {
    fn leaf(&self, _addr: u64) -> Option<Leaf<'_, A>> {
        let i = self.populate()?;
        let t = &self.pool[i];
        // Walking into the table reads it: it must be cleared, and not freed.
        let header = t.header.with(|p| unsafe { *p });
        assert_eq!(
            header, TABLE_CLEARED,
            "walked into a freed or uncleared leaf table"
        );
        Some(Leaf {
            slot: &t.slot,
            ptl: &t.ptl,
        })
    }
    /// The models have no TLB.
    fn flush_tlb(&self, _addr: u64) {}
}
