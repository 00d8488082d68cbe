//! [`AddressSpace`]: mappings, page tables, a strategy and the backing stores, with the
//! operations user threads and the kernel's other writers perform.

use std::sync::atomic::{AtomicBool, Ordering};

use super::Sharded;
use std::sync::Arc;

use crate::maplock::{MapLock, ReadGuard};
use pte_core::probe::{self, Work};

use super::cache::FileCache;
use super::fork::{ForkCounts, ForkStats, UnmapLocks};
use super::frames::{FrameKind, FramePool};
use super::mmu::{Mmu, MmuCounts, MmuFault, MmuStats, Op};
use super::swap::SwapArea;
use super::tables::PageTables;
use pte_core::CompareExchange;
use pte_core::classify::{Decoded, SwapEntry};
use pte_core::encode::EncodeError;
use pte_core::fault::{
    self, Backing, Env, Fault, FaultError, FrameAllocator, Leaf, Resolved, Strategy, TableWalker,
    Vma,
};
use pte_core::word::PteWord;
use pte_core::{Arch, Pte};

/// How to build an [`AddressSpace`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Index into `A::LAYOUT.geometries` (page size and levels).
    pub geometry: usize,
    /// Frames in the pool (anonymous pages, private copies, page cache).
    pub frames: usize,
    /// Slots on the swap device.
    pub swap_slots: usize,
    /// Page-table pages the tables may use, root included.
    pub max_tables: usize,
    /// The simulated files: their sizes in pages (file `i` is `file_pages[i]`).
    pub file_pages: Vec<u64>,
    /// FEAT_HAFDBS on aarch64 layouts (the MMU sets AF and clears RDONLY under DBM); other
    /// layouts ignore it. Can be switched later with [`AddressSpace::set_hafdbs`].
    pub hafdbs: bool,
    /// Faults one access may take before it is reported as
    /// [`AccessError::TooManyFaults`]: a fault that is "resolved" but does not make the
    /// access succeed would otherwise loop for ever.
    pub max_faults_per_access: u32,
    /// Fill freed frames with [`POISON`](super::frames::POISON).
    pub poison_on_free: bool,
    /// The PFN of the pool's first frame ([`FramePool::with_base`]); by default
    /// [`BASE_PFN`](super::frames::BASE_PFN).
    pub base_pfn: u64,
    /// Walk the tables under the strategy's mm lock ([`Strategy::mm_lock`], if it has one)
    /// before each fault, as Linux 2.6.8's `handle_mm_fault` held `page_table_lock` for the
    /// walk (and `do_anonymous_page` dropped it to allocate and retook it to install): the
    /// mm lock is then taken twice per fault.
    pub walk_under_mm_lock: bool,
    /// A TLB per simulated CPU ([`PageTables::with_tlbs`]): accesses use cached
    /// translations until a shootdown. Off, every access walks the tables. Runs under a
    /// virtual-time machine (`pte-machine`) turn it off: the TLB locks are `std` mutexes the
    /// machine's scheduler does not see, and its cost model charges walks, not TLB hits.
    pub tlb: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            geometry: 0,
            frames: 64,
            swap_slots: 64,
            max_tables: 16,
            file_pages: vec![8, 8],
            hafdbs: true,
            max_faults_per_access: 1000,
            poison_on_free: true,
            base_pfn: super::frames::BASE_PFN,
            walk_under_mm_lock: false,
            tlb: true,
        }
    }
}

/// Why an access failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccessError {
    /// The address is not 8-aligned.
    Unaligned,
    /// `SIGSEGV`: no mapping, or an access the mapping does not allow.
    Segv,
    /// `SIGBUS`: beyond the end of the file.
    Bus,
    /// Out of frames, swap slots or page tables.
    NoMemory,
    /// The fault handler found an entry the kernel could not have written.
    Corrupt,
    /// The strategy cannot resolve this fault on this layout
    /// ([`FaultError::Unsupported`]).
    Unsupported,
    /// A present entry maps a frame that is not in the pool.
    BadFrame,
    /// The access kept faulting although every fault was resolved.
    TooManyFaults {
        /// Faults taken.
        faults: u32,
    },
}

impl From<FaultError> for AccessError {
    fn from(e: FaultError) -> Self {
        match e {
            FaultError::NoMemory => AccessError::NoMemory,
            FaultError::Segv => AccessError::Segv,
            FaultError::Bus => AccessError::Bus,
            // `handle_retrying` never returns `Retry`.
            FaultError::Retry | FaultError::Corrupt => AccessError::Corrupt,
            FaultError::Unsupported => AccessError::Unsupported,
        }
    }
}

/// Why a mapping operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapError {
    /// An address is not page-aligned.
    Unaligned,
    /// Zero pages.
    Empty,
    /// Beyond what the tables translate, or beyond the file / the mapping.
    OutOfRange,
    /// Overlaps an existing mapping.
    Overlap,
    /// No such file.
    NoSuchFile,
    /// (Part of) the range is not mapped.
    NotMapped,
    /// The mapping is anonymous.
    NotFileBacked,
    /// The layout has no file entries (nonlinear mappings ended with Linux 4.0).
    NoFileEntries,
    /// The entry cannot be encoded.
    Encode(EncodeError),
    /// Out of page tables.
    NoMemory,
}

/// What [`AddressSpace::swap_out`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reclaim {
    /// Nothing mapped at the address.
    NotPresent,
    /// An anonymous page (or private copy) was written to swap and its entry replaced by
    /// `entry`; `dirty`: the replaced entry was dirty.
    SwappedOut {
        /// The swap entry now in the table.
        entry: SwapEntry,
        /// Whether the replaced entry was dirty.
        dirty: bool,
    },
    /// A page-cache page was unmapped (a file entry if nonlinear, else none).
    Unmapped {
        /// A nonlinear file entry replaced it.
        file_entry: bool,
        /// The replaced entry was dirty (transferred to the page).
        dirty: bool,
    },
    /// The entry changed under the swap-out (another writer won); nothing was done.
    Raced,
    /// No free swap slot.
    SwapFull,
}

/// Counters of an [`AddressSpace`] (a snapshot).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SpaceCounts {
    /// Faults resolved: anonymous page installed.
    pub anonymous: u64,
    /// Faults resolved: page-cache page (or private copy of it) mapped.
    pub file: u64,
    /// Faults resolved: copy-on-write that copied.
    pub copy_on_write: u64,
    /// Faults resolved: a read-only anonymous page this entry alone maps made writable
    /// (`wp_page_reuse`).
    pub reused: u64,
    /// Faults resolved: swap-in.
    pub swap_in: u64,
    /// Faults resolved: nonlinear file entry.
    pub nonlinear: u64,
    /// Faults resolved: accessed/dirty set in software.
    pub access_dirty: u64,
    /// Faults resolved: nothing left to do (another thread won).
    pub already_done: u64,
    /// Faults that failed: `SIGSEGV`.
    pub segv: u64,
    /// Faults that failed: `SIGBUS`.
    pub bus: u64,
    /// Faults that failed: out of memory.
    pub no_memory: u64,
    /// Faults that failed: corrupt entry.
    pub corrupt: u64,
    /// Faults that failed: the strategy cannot do it on this layout.
    pub unsupported: u64,
    /// Refaults asked for by the strategy (`handle_retrying`'s count).
    pub refaults: u64,
    /// Accesses abandoned after too many faults.
    pub too_many_faults: u64,
    /// Entries cleared by [`AddressSpace::zap`].
    pub zaps: u64,
    /// Anonymous pages written to swap.
    pub swap_outs: u64,
    /// Page-cache pages unmapped by [`AddressSpace::swap_out`].
    pub file_unmaps: u64,
    /// Swap-outs that lost to another writer.
    pub reclaim_races: u64,
    /// Entries changed by [`AddressSpace::mprotect`].
    pub mprotects: u64,
    /// Accessed bits cleared by [`AddressSpace::clear_young`].
    pub young_cleared: u64,
    /// File entries installed by [`AddressSpace::remap_file_pages`].
    pub file_entries: u64,
    /// Swap slots freed by zap / remap (swap-ins free theirs in the fast path).
    pub writer_slot_frees: u64,
    /// Waits for in-flight accesses before a frame was written out or freed.
    pub drain_waits: u64,
    /// Unmapped entries the writers could not account for (not a frame of the pool, or an
    /// invalid word): an invariant violation.
    pub bad_disposals: u64,
    /// Anonymous pages a thread wrote that [`AddressSpace::swap_out`] found mapped by a
    /// clean entry: a lost dirty bit (a kernel would drop such a page unwritten, e.g. one
    /// write-protected by fork while the MMU set D): an invariant violation.
    pub dirty_lost: u64,
    /// The software MMU.
    pub mmu: MmuCounts,
    /// Fork and exit ([`AddressSpace::fork`], [`AddressSpace::exit`]).
    pub fork: ForkCounts,
}

impl SpaceCounts {
    /// Faults resolved, of every kind (what the strategy's `faults` counter must equal).
    pub fn resolved(&self) -> u64 {
        self.anonymous
            + self.file
            + self.copy_on_write
            + self.reused
            + self.swap_in
            + self.nonlinear
            + self.access_dirty
            + self.already_done
    }
}

#[derive(Debug, Default)]
struct SpaceStats {
    anonymous: Sharded,
    file: Sharded,
    copy_on_write: Sharded,
    reused: Sharded,
    unsupported: Sharded,
    swap_in: Sharded,
    nonlinear: Sharded,
    access_dirty: Sharded,
    already_done: Sharded,
    segv: Sharded,
    bus: Sharded,
    no_memory: Sharded,
    corrupt: Sharded,
    refaults: Sharded,
    too_many_faults: Sharded,
    zaps: Sharded,
    swap_outs: Sharded,
    file_unmaps: Sharded,
    reclaim_races: Sharded,
    mprotects: Sharded,
    young_cleared: Sharded,
    file_entries: Sharded,
    writer_slot_frees: Sharded,
    drain_waits: Sharded,
    bad_disposals: Sharded,
    dirty_lost: Sharded,
}

fn bump(c: &Sharded, by: u64) {
    c.add(by);
}

fn load(c: &Sharded) -> u64 {
    c.sum()
}

/// One simulated address space of layout `A` under strategy `S`.
///
/// Every method takes `&self`: user threads share it (e.g. with `std::thread::scope`).
/// Mappings are guarded by a reader-writer lock that plays `mmap_sem`: faults take it for
/// reading, [`map`](Self::map) and [`mprotect`](Self::mprotect) for writing. Swap-out, zap,
/// `clear_young` and the MMU never take it for writing, as in Linux.
pub struct AddressSpace<A: Arch + CompareExchange, S: Strategy<A>> {
    pub(crate) strategy: S,
    pub(crate) pool: Arc<FramePool>,
    pub(crate) tables: PageTables<A>,
    pub(crate) cache: Arc<FileCache>,
    pub(crate) swap: Arc<SwapArea>,
    pub(crate) vmas: MapLock<Vec<Vma>>,
    hafdbs: AtomicBool,
    max_faults: u32,
    walk_under_mm_lock: bool,
    stats: SpaceStats,
    pub(crate) mmu_stats: MmuStats,
    /// What [`with_shared`](Self::with_shared) was built from (fork builds the child alike).
    pub(crate) config: Config,
    pub(crate) fork_stats: ForkStats,
    /// Swap-out of an entry vs fork's copy of it (the page-table lock's part there).
    pub(crate) unmap_locks: UnmapLocks,
}

impl<A: Arch + CompareExchange, S: Strategy<A>> core::fmt::Debug for AddressSpace<A, S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AddressSpace")
            .field("layout", &A::LAYOUT.name)
            .field("strategy", &S::NAME)
            .field("tables", &self.tables)
            .field("vmas", &self.vmas())
            .finish()
    }
}

impl<A: Arch + CompareExchange, S: Strategy<A>> AddressSpace<A, S> {
    /// An empty address space with its own frames, page cache and swap device.
    ///
    /// Panics if `config.geometry` is not an index of `A::LAYOUT.geometries`.
    pub fn new(strategy: S, config: Config) -> Self {
        let geometry = A::LAYOUT
            .geometries
            .get(config.geometry)
            .expect("geometry index out of range");
        let pool = Arc::new(FramePool::with_base(
            config.frames,
            geometry.page_shift,
            config.poison_on_free,
            config.base_pfn,
        ));
        let cache = Arc::new(FileCache::new(Arc::clone(&pool), &config.file_pages));
        let swap = Arc::new(SwapArea::new(
            Arc::clone(&pool),
            config.swap_slots,
            <A as pte_core::ArchChecked>::CHECKED_LIMITS.swap_offset_bits,
        ));
        Self::with_shared(strategy, config, pool, cache, swap)
    }

    /// An empty address space with its own page tables, sharing `pool`, `cache` and `swap`
    /// with others (fork's child: one kernel, many processes). `config`'s frame, slot and
    /// file numbers are the shared parts' business and are not used here.
    ///
    /// Panics if `config.geometry` is not an index of `A::LAYOUT.geometries`, or if the
    /// pool's page size is not the geometry's.
    pub(crate) fn with_shared(
        strategy: S,
        config: Config,
        pool: Arc<FramePool>,
        cache: Arc<FileCache>,
        swap: Arc<SwapArea>,
    ) -> Self {
        assert_eq!(
            A::LAYOUT.geometries[config.geometry].page_shift,
            pool.page_shift(),
            "the shared frames are not of the geometry's page size"
        );
        let tables = PageTables::new(config.geometry, config.max_tables);
        AddressSpace {
            strategy,
            tables: if config.tlb {
                tables.with_tlbs()
            } else {
                tables
            },
            pool,
            cache,
            swap,
            vmas: MapLock::new(Vec::new()),
            hafdbs: AtomicBool::new(config.hafdbs),
            max_faults: config.max_faults_per_access.max(1),
            walk_under_mm_lock: config.walk_under_mm_lock,
            stats: SpaceStats::default(),
            mmu_stats: MmuStats::default(),
            config,
            fork_stats: ForkStats::default(),
            unmap_locks: UnmapLocks::default(),
        }
    }

    // ------------------------------------------------------------------ accessors

    /// The strategy (its [`Stats`](pte_core::fault::Stats) are the fast path's counters).
    pub fn strategy(&self) -> &S {
        &self.strategy
    }

    /// The frames.
    pub fn pool(&self) -> &FramePool {
        &self.pool
    }

    /// The page tables.
    pub fn tables(&self) -> &PageTables<A> {
        &self.tables
    }

    /// The page cache.
    pub fn cache(&self) -> &FileCache {
        &self.cache
    }

    /// The swap device.
    pub fn swap(&self) -> &SwapArea {
        &self.swap
    }

    /// `PAGE_SIZE`.
    pub fn page_size(&self) -> u64 {
        1u64 << self.pool.page_shift()
    }

    /// 8-byte words per page.
    pub fn words_per_page(&self) -> u64 {
        self.page_size() / 8
    }

    /// Switches FEAT_HAFDBS (aarch64 layouts; ignored elsewhere). Takes effect at the next
    /// access: every TLB is flushed, as the translations cached under the old setting
    /// assumed it.
    pub fn set_hafdbs(&self, on: bool) {
        self.hafdbs.store(on, Ordering::Relaxed);
        self.tables.flush_all_tlbs();
    }

    /// Whether FEAT_HAFDBS is on.
    pub fn hafdbs(&self) -> bool {
        self.hafdbs.load(Ordering::Relaxed)
    }

    /// The mappings, sorted by address.
    pub fn vmas(&self) -> Vec<Vma> {
        self.read_vmas().clone()
    }

    fn read_vmas(&self) -> ReadGuard<'_, Vec<Vma>> {
        self.vmas.read()
    }

    /// The mapping containing `addr`.
    pub fn vma_of(&self, addr: u64) -> Option<Vma> {
        find(&self.read_vmas(), addr)
    }

    /// The entry for `addr`, if its leaf table exists.
    pub fn pte(&self, addr: u64) -> Option<Pte<A>> {
        self.tables.lookup(addr).map(|l| l.slot.load())
    }

    /// The counters.
    pub fn counts(&self) -> SpaceCounts {
        let s = &self.stats;
        SpaceCounts {
            anonymous: load(&s.anonymous),
            file: load(&s.file),
            copy_on_write: load(&s.copy_on_write),
            reused: load(&s.reused),
            unsupported: load(&s.unsupported),
            swap_in: load(&s.swap_in),
            nonlinear: load(&s.nonlinear),
            access_dirty: load(&s.access_dirty),
            already_done: load(&s.already_done),
            segv: load(&s.segv),
            bus: load(&s.bus),
            no_memory: load(&s.no_memory),
            corrupt: load(&s.corrupt),
            refaults: load(&s.refaults),
            too_many_faults: load(&s.too_many_faults),
            zaps: load(&s.zaps),
            swap_outs: load(&s.swap_outs),
            file_unmaps: load(&s.file_unmaps),
            reclaim_races: load(&s.reclaim_races),
            mprotects: load(&s.mprotects),
            young_cleared: load(&s.young_cleared),
            file_entries: load(&s.file_entries),
            writer_slot_frees: load(&s.writer_slot_frees),
            drain_waits: load(&s.drain_waits),
            bad_disposals: load(&s.bad_disposals),
            dirty_lost: load(&s.dirty_lost),
            mmu: self.mmu_stats.snapshot(self.tables.tlbs()),
            fork: self.fork_stats.snapshot(),
        }
    }

    // ------------------------------------------------------------------ mappings

    /// Maps `pages` pages at `start` (`mmap` with `MAP_FIXED`).
    pub fn map(
        &self,
        start: u64,
        pages: u64,
        backing: Backing,
        writable: bool,
    ) -> Result<Vma, MapError> {
        let ps = self.page_size();
        if !start.is_multiple_of(ps) {
            return Err(MapError::Unaligned);
        }
        if pages == 0 {
            return Err(MapError::Empty);
        }
        let end = pages
            .checked_mul(ps)
            .and_then(|len| start.checked_add(len))
            .filter(|&e| e <= self.tables.va_limit())
            .ok_or(MapError::OutOfRange)?;
        if let Backing::SharedFile { file, .. } | Backing::PrivateFile { file, .. } = backing
            && self.cache.file_pages(file).is_none()
        {
            return Err(MapError::NoSuchFile);
        }
        let vma = Vma {
            start,
            end,
            backing,
            writable,
            page_shift: self.pool.page_shift(),
        };
        let mut vmas = self.vmas.write();
        if vmas.iter().any(|v| v.start < end && start < v.end) {
            return Err(MapError::Overlap);
        }
        vmas.push(vma);
        vmas.sort_by_key(|v| v.start);
        Ok(vma)
    }

    /// `remap_file_pages(addr, pages, pgoff)`: installs nonlinear file entries
    /// (`pgoff_to_pte(pgoff + i)`) over `pages` pages of a file mapping from `addr`. Whatever
    /// the entries held is replaced in one step (never through none) and released.
    pub fn remap_file_pages(&self, addr: u64, pages: u64, pgoff: u64) -> Result<(), MapError> {
        if A::LAYOUT.file.is_none() {
            return Err(MapError::NoFileEntries);
        }
        let ps = self.page_size();
        if !addr.is_multiple_of(ps) {
            return Err(MapError::Unaligned);
        }
        let vmas = self.read_vmas();
        let vma = find(&vmas, addr).ok_or(MapError::NotMapped)?;
        let file = match vma.backing {
            Backing::SharedFile { file, .. } | Backing::PrivateFile { file, .. } => file,
            Backing::Anonymous => return Err(MapError::NotFileBacked),
        };
        let size = self.cache.file_pages(file).ok_or(MapError::NoSuchFile)?;
        let end = pages
            .checked_mul(ps)
            .and_then(|l| addr.checked_add(l))
            .ok_or(MapError::OutOfRange)?;
        if end > vma.end || pgoff.checked_add(pages).is_none_or(|e| e > size) {
            return Err(MapError::OutOfRange);
        }
        for i in 0..pages {
            let new = Pte::<A>::file(pgoff + i).map_err(MapError::Encode)?;
            let leaf = self.tables.leaf(addr + i * ps).ok_or(MapError::NoMemory)?;
            if let Some(old) = self.replace_entry(&leaf, new) {
                self.flush_if_present(addr + i * ps, old);
                self.dispose(old);
            }
            bump(&self.stats.file_entries, 1);
        }
        Ok(())
    }

    /// Replaces whatever `leaf` holds by `new` through the strategy, waiting while a
    /// none-only lock is held on it (an install in progress). The entry replaced, if any.
    fn replace_entry(&self, leaf: &Leaf<'_, A>, new: Pte<A>) -> Option<Pte<A>> {
        loop {
            let old = self.strategy.update(leaf, |p| {
                let busy = self.strategy.classify(p) == Decoded::LockedNone;
                (!busy && p != new).then_some(new)
            });
            // Nothing replaced: done only if the entry is `new` by now. A held lock (which a
            // strategy may skip without asking the closure) or an entry that changed after it
            // was looked at means: look again.
            if old.is_some() || leaf.slot.load() == new {
                return old;
            }
            crate::wait_step();
        }
    }

    /// `mprotect(start, end - start, writable ? RW : R)`: splits the mappings at the range's
    /// ends, sets their permission and changes every present entry with `pte_modify()` in a
    /// compare-and-swap loop through the strategy (accessed, dirty and an any-state lock bit
    /// are kept). In a private file mapping, page-cache pages stay read-only (`PAGE_COPY`):
    /// only private copies become writable. Returns the entries changed.
    pub fn mprotect(&self, start: u64, end: u64, writable: bool) -> Result<u64, MapError> {
        let ps = self.page_size();
        if !start.is_multiple_of(ps) || !end.is_multiple_of(ps) {
            return Err(MapError::Unaligned);
        }
        if start >= end {
            return Err(MapError::Empty);
        }
        // `mmap_sem` for writing: no fault runs meanwhile (the MMU and reclaim still do).
        let mut vmas = self.vmas.write();
        let mut cover = start;
        for v in vmas.iter().filter(|v| v.end > start && v.start < end) {
            if v.start > cover {
                return Err(MapError::NotMapped);
            }
            cover = cover.max(v.end);
        }
        if cover < end {
            return Err(MapError::NotMapped);
        }
        split_at(&mut vmas, start);
        split_at(&mut vmas, end);
        let mut changed = 0;
        for v in vmas.iter_mut().filter(|v| v.start >= start && v.end <= end) {
            v.writable = writable;
            let mut addr = v.start;
            while addr < v.end {
                changed += self.protect_one(v, addr, writable);
                addr += ps;
            }
        }
        bump(&self.stats.mprotects, changed);
        Ok(changed)
    }

    fn protect_one(&self, vma: &Vma, addr: u64, writable: bool) -> u64 {
        let Some(leaf) = self.tables.lookup(addr) else {
            return 0;
        };
        let layout = A::LAYOUT;
        let changed = self.strategy.update(&leaf, |p| {
            let Decoded::Present { pfn } = self.strategy.classify(p) else {
                return None;
            };
            let may_write = writable
                && match vma.backing {
                    Backing::Anonymous | Backing::SharedFile { .. } => true,
                    Backing::PrivateFile { .. } => self.pool.kind(pfn) == Some(FrameKind::Anon),
                };
            let prot = if may_write {
                layout.page_shared
            } else {
                layout.page_readonly
            };
            let new = p.with_protection(flags::<A>(prot));
            (new != p).then_some(new)
        });
        // Read-only now, or writable: either way the cached permission is stale
        // (`change_protection` flushes the range).
        if changed.is_some() {
            self.tables.flush_tlb(addr);
        }
        changed.is_some() as u64
    }

    // ------------------------------------------------------------------ user accesses

    /// Reads the 8 bytes at `addr` (8-aligned), faulting as needed.
    pub fn read(&self, addr: u64) -> Result<u64, AccessError> {
        self.access(addr, Op::Read)
    }

    /// Writes the 8 bytes at `addr` (8-aligned), faulting as needed.
    pub fn write(&self, addr: u64, value: u64) -> Result<(), AccessError> {
        self.access(addr, Op::Write(value)).map(|_| ())
    }

    fn access(&self, addr: u64, op: Op) -> Result<u64, AccessError> {
        if !addr.is_multiple_of(8) {
            return Err(AccessError::Unaligned);
        }
        let mut faults = 0u32;
        loop {
            let mmu = Mmu {
                tables: &self.tables,
                pool: &self.pool,
                hafdbs: self.hafdbs(),
                stats: &self.mmu_stats,
            };
            match mmu.access(addr, op) {
                Ok(v) => return Ok(v),
                Err(MmuFault::BadFrame) => return Err(AccessError::BadFrame),
                Err(_) => {}
            }
            faults += 1;
            if faults > self.max_faults {
                bump(&self.stats.too_many_faults, 1);
                return Err(AccessError::TooManyFaults { faults: faults - 1 });
            }
            let fault = Fault {
                addr,
                write: matches!(op, Op::Write(_)),
            };
            self.fault(fault)?;
        }
    }

    /// Runs the fast path for one fault (under `mmap_sem` for reading) and counts the
    /// outcome.
    pub fn fault(&self, fault: Fault) -> Result<Resolved, AccessError> {
        probe::work(Work::FaultEntry);
        let result = self.fault_locked(fault);
        probe::work(Work::FaultExit);
        result
    }

    fn fault_locked(&self, fault: Fault) -> Result<Resolved, AccessError> {
        let vmas = self.read_vmas();
        match self.strategy.mm_lock() {
            Some(lock) if self.walk_under_mm_lock => {
                // The spins are the strategy's to count; the walk's wait shows in the
                // machine's line report.
                let _ = lock.with(|| probe::work(Work::Walk));
            }
            _ => probe::work(Work::Walk),
        }
        let Some(vma) = find(&vmas, fault.addr) else {
            bump(&self.stats.segv, 1);
            return Err(AccessError::Segv);
        };
        let env = Env {
            frames: &*self.pool,
            tables: &self.tables,
            cache: &*self.cache,
            swap: &*self.swap,
        };
        let (result, refaults) = fault::handle_retrying(&self.strategy, &env, &vma, fault);
        drop(vmas);
        let s = &self.stats;
        bump(&s.refaults, refaults);
        match result {
            Ok(r) => {
                let c = match r {
                    Resolved::Anonymous => &s.anonymous,
                    Resolved::File => &s.file,
                    Resolved::CopyOnWrite => &s.copy_on_write,
                    Resolved::Reused => &s.reused,
                    Resolved::SwapIn => &s.swap_in,
                    Resolved::Nonlinear => &s.nonlinear,
                    Resolved::AccessDirty => &s.access_dirty,
                    Resolved::AlreadyDone => &s.already_done,
                };
                bump(c, 1);
                Ok(r)
            }
            Err(e) => {
                bump(
                    match e {
                        FaultError::Segv => &s.segv,
                        FaultError::Bus => &s.bus,
                        FaultError::NoMemory => &s.no_memory,
                        FaultError::Retry | FaultError::Corrupt => &s.corrupt,
                        FaultError::Unsupported => &s.unsupported,
                    },
                    1,
                );
                Err(e.into())
            }
        }
    }

    // ------------------------------------------------------------------ other writers

    /// Reclaims the page at `addr` (`try_to_unmap` + `pageout`).
    ///
    /// An anonymous page (or private copy): a swap slot is reserved, the entry is replaced
    /// by the swap entry with one compare-and-swap from the exact present entry through
    /// [`Strategy::update`] (never through none; a D bit the MMU sets meanwhile makes the
    /// CAS fail and the loop re-read — and the entry returned is the last one, dirty bit
    /// included), every TLB is flushed and in-flight accesses are drained (the shootdown), the
    /// contents are written to the slot, and only then is this entry's mapping of the frame
    /// dropped ([`FrameAllocator::unmap`]: freed with its last mapping; a frame fork shared
    /// stays mapped by the other process). A fault on the new swap entry
    /// waits for the slot to be written (the locked swap-cache page). If the entry changed
    /// to something else first (a zap, another swap-out), the reserved slot is given back.
    ///
    /// A page-cache page: the entry is replaced by none, or by a file entry if the page is
    /// not the one the address maps linearly (a nonlinear mapping); a dirty bit goes to the
    /// page; the mapping's reference is put.
    ///
    /// An anonymous page's unmap is serialised with fork's copy of the same entry (the
    /// page-table lock's part in Linux): fork takes its reference to the frame after reading
    /// the entry. (Nothing under that lock takes `mmap_sem`, which fork holds around it.)
    pub fn swap_out(&self, addr: u64) -> Reclaim {
        let Some(leaf) = self.tables.lookup(addr) else {
            return Reclaim::NotPresent;
        };
        let Decoded::Present { pfn } = self.strategy.classify(leaf.slot.load()) else {
            return Reclaim::NotPresent;
        };
        let same_page = |p: Pte<A>| matches!(self.strategy.classify(p), Decoded::Present { pfn: q } if q == pfn);
        match self.pool.kind(pfn) {
            Some(FrameKind::Anon) => self.unmap_locks.with(addr >> self.pool.page_shift(), || {
                let Some(entry) = self.swap.reserve() else {
                    return Reclaim::SwapFull;
                };
                let swp = match Pte::<A>::swap(entry) {
                    Ok(p) if !p.is_none() => p,
                    _ => {
                        self.swap.cancel(entry);
                        return Reclaim::SwapFull;
                    }
                };
                let Some(old) = self.strategy.update(&leaf, |p| same_page(p).then_some(swp)) else {
                    self.swap.cancel(entry);
                    bump(&self.stats.reclaim_races, 1);
                    return Reclaim::Raced;
                };
                // `try_to_unmap`'s flush: no write through an old translation may land
                // after the contents are copied out.
                self.tables.flush_tlb(addr);
                bump(&self.stats.drain_waits, self.pool.drain(pfn));
                // Drained: every write through this entry is done and marked. A written page
                // must have left a dirty entry (written implies dirty for anonymous memory:
                // nothing cleans an anonymous entry, fork's write-protect keeps D).
                if self.pool.written(pfn) && !old.is_dirty() {
                    bump(&self.stats.dirty_lost, 1);
                }
                self.swap.fill(entry, pfn);
                // This entry's mapping is gone; a frame fork shared stays with the other
                // process's entry (the map count drops, the last mapping frees it).
                FrameAllocator::unmap(&*self.pool, pfn);
                bump(&self.stats.swap_outs, 1);
                Reclaim::SwappedOut {
                    entry,
                    dirty: old.is_dirty(),
                }
            }),
            Some(FrameKind::Cache) => {
                let (file, pgoff) = self.pool.owner(pfn).unwrap_or((u32::MAX, u64::MAX));
                let linear = self.vma_of(addr).and_then(|v| v.file_page(addr));
                let target = if linear == Some((file, pgoff)) || A::LAYOUT.file.is_none() {
                    Pte::none()
                } else {
                    match Pte::<A>::file(pgoff) {
                        Ok(p) => p,
                        Err(_) => return Reclaim::Raced,
                    }
                };
                let Some(old) = self
                    .strategy
                    .update(&leaf, |p| same_page(p).then_some(target))
                else {
                    bump(&self.stats.reclaim_races, 1);
                    return Reclaim::Raced;
                };
                // Before the mapping's reference is put (the page may then be dropped).
                self.tables.flush_tlb(addr);
                let dirty = old.is_dirty();
                if dirty {
                    self.pool.mark_page_dirty(pfn);
                }
                fault::PageCache::put(&*self.cache, pfn);
                bump(&self.stats.file_unmaps, 1);
                Reclaim::Unmapped {
                    file_entry: !target.is_none(),
                    dirty,
                }
            }
            _ => {
                // The entry was read without a lock: a zap may have freed the frame since.
                // Only if the entry still maps it is a free frame mapped.
                if same_page(leaf.slot.load()) {
                    bump(&self.stats.bad_disposals, 1);
                }
                bump(&self.stats.reclaim_races, 1);
                Reclaim::Raced
            }
        }
    }

    /// `zap_pte_range` for one page (`MADV_DONTNEED`): get-and-clear through
    /// [`Strategy::update`]; an anonymous frame is unmapped (after the in-flight accesses
    /// drain; freed with its last mapping), a page-cache page is put (its dirty bit
    /// transferred), the entry's reference to a swap slot dropped (freed with the last), a
    /// file entry just cleared. An entry a fault holds (an install under a lock bit, a
    /// copy-on-write's break marker) is skipped by [`Strategy::update`] under the lock-free
    /// strategies: a copy-on-write in flight can then publish after the zap (review finding
    /// 3 of issue 11, open). Returns the entry cleared.
    pub fn zap(&self, addr: u64) -> Option<Pte<A>> {
        let leaf = self.tables.lookup(addr)?;
        let old = self
            .strategy
            .update(&leaf, |p| match self.strategy.classify(p) {
                Decoded::None | Decoded::LockedNone => None,
                _ => Some(Pte::none()),
            })?;
        bump(&self.stats.zaps, 1);
        self.flush_if_present(addr, old);
        self.dispose(old);
        Some(old)
    }

    /// [`zap`](Self::zap) over `[start, end)`; returns the entries cleared.
    pub fn zap_range(&self, start: u64, end: u64) -> u64 {
        let ps = self.page_size();
        let mut n = 0;
        let mut a = start & !(ps - 1);
        while a < end {
            n += self.zap(a).is_some() as u64;
            a += ps;
        }
        n
    }

    /// `ptep_test_and_clear_young` through [`Strategy::update`]: whether the accessed bit
    /// was set. On layouts whose MMU does not set it (ia64; aarch64 without HAFDBS) the next
    /// access takes an access-bit fault.
    pub fn clear_young(&self, addr: u64) -> bool {
        let Some(leaf) = self.tables.lookup(addr) else {
            return false;
        };
        let cleared = self
            .strategy
            .update(&leaf, |p| match self.strategy.classify(p) {
                Decoded::Present { .. } if p.is_young() => Some(p.make_old()),
                _ => None,
            })
            .is_some();
        if cleared {
            // `ptep_clear_flush_young`: a cached translation would let accesses go on
            // without setting the bit again (or without the access-flag fault).
            self.tables.flush_tlb(addr);
            bump(&self.stats.young_cleared, 1);
        }
        cleared
    }

    /// The shootdown after `old` was taken out of `addr`'s entry, if it could be cached (only
    /// present entries are): before what it mapped is released.
    fn flush_if_present(&self, addr: u64, old: Pte<A>) {
        if let Decoded::Present { .. } = self.strategy.classify(old) {
            self.tables.flush_tlb(addr);
        }
    }

    /// Counts an entry a writer could not account for (see [`SpaceCounts::bad_disposals`]).
    pub(crate) fn count_bad_disposal(&self) {
        bump(&self.stats.bad_disposals, 1);
    }

    /// Releases what an entry taken out of the tables referenced: every unmap of a published
    /// anonymous frame goes through [`FrameAllocator::unmap`] and of a swap entry through
    /// `SwapDevice::free_slot`, as fork may have shared either.
    pub(crate) fn dispose(&self, old: Pte<A>) {
        match self.strategy.classify(old) {
            Decoded::None | Decoded::LockedNone | Decoded::File { .. } => {}
            Decoded::Present { pfn } => match self.pool.kind(pfn) {
                Some(FrameKind::Anon) => {
                    bump(&self.stats.drain_waits, self.pool.drain(pfn));
                    // One mapping of a frame fork may have shared: freed with the last.
                    FrameAllocator::unmap(&*self.pool, pfn);
                }
                Some(FrameKind::Cache) => {
                    if old.is_dirty() {
                        self.pool.mark_page_dirty(pfn);
                    }
                    fault::PageCache::put(&*self.cache, pfn);
                }
                _ => bump(&self.stats.bad_disposals, 1),
            },
            Decoded::Swap(e) => {
                // Drops this entry's reference; a slot fork shared survives for the other.
                fault::SwapDevice::free_slot(&*self.swap, e);
                bump(&self.stats.writer_slot_frees, 1);
            }
            _ => bump(&self.stats.bad_disposals, 1),
        }
    }

    // ------------------------------------------------------------------ inspection

    /// The 8 bytes at `addr` as a thread would read them now, without faulting or touching
    /// any bit: from the frame, the swap slot or the page cache the entry leads to. `None`:
    /// not mapped, or an entry that leads nowhere.
    pub fn peek(&self, addr: u64) -> Option<u64> {
        let vma = self.vma_of(addr)?;
        let word = ((addr & (self.page_size() - 1)) / 8) as usize;
        let linear = || match vma.file_page(addr) {
            None => Some(0),
            Some((file, pgoff)) => self.cache.word(file, pgoff, word),
        };
        let Some(leaf) = self.tables.lookup(addr) else {
            return linear();
        };
        match self.strategy.classify(leaf.slot.load()) {
            Decoded::None | Decoded::LockedNone => linear(),
            Decoded::Present { pfn } => self.pool.read_word(pfn, word),
            Decoded::Swap(e) => self.swap.word(e, word),
            Decoded::File { pgoff } => {
                let (file, _) = vma.file_page(addr)?;
                self.cache.word(file, pgoff, word)
            }
            _ => None,
        }
    }
}

/// The protection `prot` (raw) as the layout's flags type.
fn flags<A: Arch>(prot: u64) -> A::Flags {
    <A::Flags as pte_core::bitflags::Flags>::from_bits_retain(A::Word::from_u64(prot).bits())
}

fn find(vmas: &[Vma], addr: u64) -> Option<Vma> {
    vmas.iter()
        .find(|v| v.start <= addr && addr < v.end)
        .copied()
}

/// Splits the mapping that strictly contains `at` into two.
fn split_at(vmas: &mut Vec<Vma>, at: u64) {
    let Some(i) = vmas.iter().position(|v| v.start < at && at < v.end) else {
        return;
    };
    let v = vmas[i];
    let shift = |b: Backing| match b {
        Backing::Anonymous => b,
        Backing::SharedFile { file, pgoff } => Backing::SharedFile {
            file,
            pgoff: pgoff + ((at - v.start) >> v.page_shift),
        },
        Backing::PrivateFile { file, pgoff } => Backing::PrivateFile {
            file,
            pgoff: pgoff + ((at - v.start) >> v.page_shift),
        },
    };
    vmas[i].end = at;
    vmas.insert(
        i + 1,
        Vma {
            start: at,
            backing: shift(v.backing),
            ..v
        },
    );
}
