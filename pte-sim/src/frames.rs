//! [`FramePool`]: physical frames backed by real memory, with the metadata the invariant
//! checker needs.
//!
//! A frame is a slice of `AtomicU64` words of the geometry's page size, allocated on first
//! use (memory stays bounded by the frames actually touched). Zeroing, copying and poisoning
//! are real stores, word by word: the cost the 2004 patches moved out of the lock is paid
//! here too. The words are atomics (Relaxed) so that racing user threads are not undefined
//! behaviour; ordering comes from the PTE (Release publish, Acquire walk) and from the
//! frame's pin count (see [`FramePool::drain`]).

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicU64, Ordering, fence};
use std::sync::{Mutex, OnceLock};

use pte_core::probe::{self, Access, Site, Work};

use super::{SHARDS, Sharded, shard};

use pte_core::fault::FrameAllocator;

/// The first PFN the pool hands out by default ([`FramePool::new`]). PFN 0 is never used, so
/// an entry decoded from a stray word cannot alias a real frame.
pub const BASE_PFN: u64 = 0x100;

/// The value a frame is filled with when it is freed (if poisoning is on): a read through a
/// stale translation shows up in the contents check.
pub const POISON: u64 = 0xDEAD_BEEF_DEAD_BEEF;

const FREE: u8 = 0;
const ANON: u8 = 1;
const CACHE: u8 = 2;

/// Who owns a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FrameKind {
    /// In the free list.
    Free,
    /// Anonymous memory or a private copy: mapped by as many entries as its map count
    /// ([`FramePool::refs`]: one, plus one per fork that shared it and whose entry is still
    /// there), across every address space of the pool.
    Anon,
    /// A page-cache page: owned (and referenced) by the page cache.
    Cache,
}

impl FrameKind {
    fn from_u8(v: u8) -> Self {
        match v {
            ANON => FrameKind::Anon,
            CACHE => FrameKind::Cache,
            _ => FrameKind::Free,
        }
    }
}

/// Per-frame metadata (`struct page`), a 128-byte line each so that which frames share a
/// line does not depend on where the allocator put the array (a virtual-time machine charges
/// by line and must repeat exactly).
#[derive(Debug, Default)]
#[repr(align(128))]
struct FrameMeta {
    /// [`FrameKind`] as `u8`.
    kind: AtomicU8,
    /// Bumped on every allocation: tells two lives of one frame apart.
    generation: AtomicU64,
    /// In-flight accesses through a translation of this frame (a model of the TLB).
    pins: AtomicU32,
    /// Page-cache references (the cache's own included); for an anonymous frame its map
    /// count (`_mapcount`: 1 from allocation — the mapping it is prepared for — plus one
    /// per fork that shared it).
    refs: AtomicU64,
    /// Page-cache owner: file.
    file: AtomicU32,
    /// Page-cache owner: page offset.
    pgoff: AtomicU64,
    /// A user thread wrote through a translation of this frame (the truth the dirty bits
    /// must reflect).
    written: AtomicBool,
    /// `PG_dirty`: a dirty bit of an unmapped entry was transferred to the page.
    page_dirty: AtomicBool,
}

/// Counters of a [`FramePool`] (a snapshot).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolCounts {
    /// Frames in the pool.
    pub capacity: u64,
    /// Frames free now.
    pub free: u64,
    /// Anonymous frames now.
    pub anon: u64,
    /// Page-cache frames now.
    pub cache: u64,
    /// Successful allocations (anonymous and page cache).
    pub allocs: u64,
    /// Frames given back (anonymous and page cache).
    pub frees: u64,
    /// `free` of a frame that was already free: an invariant violation.
    pub double_frees: u64,
    /// `free` of a page-cache frame through the allocator: an invariant violation.
    pub bad_frees: u64,
    /// `alloc_copy` from a frame that was free at the time (a racing unmap; the copy is
    /// then never published if the fast path is right).
    pub stale_copies: u64,
    /// Allocations refused: the pool was empty.
    pub exhausted: u64,
    /// Words zeroed, copied or poisoned: the memory work done.
    pub words_touched: u64,
}

/// A bounded pool of frames of one page size, backed by real memory.
#[derive(Debug)]
pub struct FramePool {
    base_pfn: u64,
    page_shift: u32,
    words: usize,
    poison: bool,
    data: Box<[OnceLock<Box<[AtomicU64]>>]>,
    meta: Box<[FrameMeta]>,
    free: Box<[Mutex<Vec<u32>>]>,
    allocs: Sharded,
    frees: Sharded,
    double_frees: AtomicU64,
    bad_frees: AtomicU64,
    stale_copies: AtomicU64,
    exhausted: AtomicU64,
    words_touched: Sharded,
}

impl FramePool {
    /// A pool of `frames` frames of `1 << page_shift` bytes; `poison`: fill freed frames with
    /// [`POISON`] (catches accesses through stale translations, at the cost of a store per
    /// word).
    ///
    /// Panics if the page size is outside 8 B ..= 1 MiB or `frames` does not fit a `u32`.
    pub fn new(frames: usize, page_shift: u32, poison: bool) -> Self {
        Self::with_base(frames, page_shift, poison, BASE_PFN)
    }

    /// [`new`](Self::new) with the frames numbered from `base_pfn` instead of [`BASE_PFN`]:
    /// a pool high in the physical address space (e.g. above 2^50 bytes, where arm64 LPA2
    /// entries need their `PA[51:50]` bits).
    ///
    /// Panics as [`new`](Self::new) does, or if `base_pfn` is 0 or the last PFN overflows.
    pub fn with_base(frames: usize, page_shift: u32, poison: bool, base_pfn: u64) -> Self {
        assert!((3..=20).contains(&page_shift), "page size out of range");
        assert!(frames < u32::MAX as usize, "too many frames");
        assert!(
            base_pfn != 0 && base_pfn.checked_add(frames as u64).is_some(),
            "PFN 0 is never a frame, and the pool must not wrap"
        );
        FramePool {
            base_pfn,
            page_shift,
            words: 1 << (page_shift - 3),
            poison,
            data: (0..frames).map(|_| OnceLock::new()).collect(),
            meta: (0..frames).map(|_| FrameMeta::default()).collect(),
            // Frames dealt round-robin to the shards; each is popped from the end (the
            // lowest PFN of a shard first).
            free: (0..SHARDS)
                .map(|k| {
                    Mutex::new(
                        (0..frames as u32)
                            .rev()
                            .filter(|i| *i as usize % SHARDS == k)
                            .collect(),
                    )
                })
                .collect(),
            allocs: Sharded::default(),
            frees: Sharded::default(),
            double_frees: AtomicU64::new(0),
            bad_frees: AtomicU64::new(0),
            stale_copies: AtomicU64::new(0),
            exhausted: AtomicU64::new(0),
            words_touched: Sharded::default(),
        }
    }

    /// `PAGE_SHIFT` of the frames.
    pub fn page_shift(&self) -> u32 {
        self.page_shift
    }

    /// 8-byte words per frame.
    pub fn words_per_frame(&self) -> usize {
        self.words
    }

    /// Frames in the pool.
    pub fn capacity(&self) -> usize {
        self.meta.len()
    }

    /// The PFN of frame number `index`.
    pub fn pfn_at(&self, index: usize) -> u64 {
        self.base_pfn + index as u64
    }

    /// The PFN of the first frame.
    pub fn base_pfn(&self) -> u64 {
        self.base_pfn
    }

    fn index(&self, pfn: u64) -> Option<usize> {
        let i = pfn.checked_sub(self.base_pfn)?;
        (i < self.meta.len() as u64).then_some(i as usize)
    }

    fn meta(&self, pfn: u64) -> Option<&FrameMeta> {
        self.index(pfn).map(|i| &self.meta[i])
    }

    /// Whether `pfn` is a frame of this pool.
    pub fn contains(&self, pfn: u64) -> bool {
        self.index(pfn).is_some()
    }

    fn words_of(&self, index: usize) -> &[AtomicU64] {
        self.data[index].get_or_init(|| (0..self.words).map(|_| AtomicU64::new(0)).collect())
    }

    fn frame(&self, pfn: u64) -> Option<&[AtomicU64]> {
        self.index(pfn).map(|i| self.words_of(i))
    }

    /// Who owns `pfn` now (`None`: not a frame of this pool).
    pub fn kind(&self, pfn: u64) -> Option<FrameKind> {
        self.meta(pfn)
            .map(|m| FrameKind::from_u8(m.kind.load(Ordering::Acquire)))
    }

    /// How many times `pfn` has been allocated.
    pub fn generation(&self, pfn: u64) -> Option<u64> {
        self.meta(pfn).map(|m| m.generation.load(Ordering::Relaxed))
    }

    /// Reads word `word` of frame `pfn` (Relaxed: ordering comes from the PTE and the pins).
    pub fn read_word(&self, pfn: u64, word: usize) -> Option<u64> {
        self.frame(pfn)?
            .get(word)
            .map(|w| w.load(Ordering::Relaxed))
    }

    /// Writes word `word` of frame `pfn`.
    pub fn write_word(&self, pfn: u64, word: usize, value: u64) -> bool {
        match self.frame(pfn).and_then(|f| f.get(word)) {
            Some(w) => {
                w.store(value, Ordering::Relaxed);
                true
            }
            None => false,
        }
    }

    /// Copies frame `pfn` into `out` (at most a frame).
    pub(crate) fn copy_out(&self, pfn: u64, out: &[AtomicU64]) {
        if let Some(src) = self.frame(pfn) {
            for (d, s) in out.iter().zip(src) {
                d.store(s.load(Ordering::Relaxed), Ordering::Relaxed);
            }
            self.touched(out.len());
        }
    }

    /// Fills frame `pfn` from `src`.
    pub(crate) fn copy_in(&self, pfn: u64, src: &[AtomicU64]) {
        if let Some(dst) = self.frame(pfn) {
            for (d, s) in dst.iter().zip(src) {
                d.store(s.load(Ordering::Relaxed), Ordering::Relaxed);
            }
            self.touched(dst.len());
        }
    }

    /// Fills frame `pfn` with `f(word index)`.
    pub(crate) fn fill(&self, pfn: u64, f: impl Fn(u64) -> u64) {
        if let Some(dst) = self.frame(pfn) {
            for (i, d) in dst.iter().enumerate() {
                d.store(f(i as u64), Ordering::Relaxed);
            }
            self.touched(dst.len());
        }
    }

    fn touched(&self, words: usize) {
        self.words_touched.add(words as u64);
    }

    /// Takes a free frame for `kind` (contents undefined).
    pub(crate) fn alloc_raw(&self, kind: FrameKind) -> Option<u64> {
        // This thread's list first, then the others (the pool is bounded, not partitioned).
        let home = shard();
        let index = (0..SHARDS).find_map(|k| {
            let mut free = self.free[(home + k) % SHARDS]
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            free.pop()
        });
        let Some(index) = index else {
            self.exhausted.fetch_add(1, Ordering::Relaxed);
            return None;
        };
        probe::work(Work::AllocFrame);
        let m = &self.meta[index as usize];
        let k = match kind {
            FrameKind::Anon => ANON,
            FrameKind::Cache => CACHE,
            FrameKind::Free => unreachable!("allocating a free frame"),
        };
        m.generation.fetch_add(1, Ordering::Relaxed);
        m.refs
            .store(u64::from(kind == FrameKind::Anon), Ordering::Relaxed);
        m.written.store(false, Ordering::Relaxed);
        m.page_dirty.store(false, Ordering::Relaxed);
        let prev = m.kind.swap(k, Ordering::AcqRel);
        debug_assert_eq!(prev, FREE, "the free list held an allocated frame");
        self.allocs.add(1);
        Some(self.pfn_at(index as usize))
    }

    /// Returns a frame of `expected` kind to the free list; counts a double or bad free.
    fn release(&self, pfn: u64, expected: u8) -> bool {
        let Some(i) = self.index(pfn) else {
            self.bad_frees.fetch_add(1, Ordering::Relaxed);
            return false;
        };
        let m = &self.meta[i];
        match m
            .kind
            .compare_exchange(expected, FREE, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => {}
            Err(FREE) => {
                self.double_frees.fetch_add(1, Ordering::Relaxed);
                return false;
            }
            Err(_) => {
                self.bad_frees.fetch_add(1, Ordering::Relaxed);
                return false;
            }
        }
        if self.poison {
            self.fill(pfn, |_| POISON);
        }
        self.frees.add(1);
        probe::work(Work::FreeFrame);
        let mut free = self.free[shard()].lock().unwrap_or_else(|e| e.into_inner());
        free.push(i as u32);
        true
    }

    /// Gives a page-cache frame back (the cache lost a race to load it).
    pub(crate) fn free_cache_frame(&self, pfn: u64) -> bool {
        self.release(pfn, CACHE)
    }

    // ------------------------------------------------------------------ pins (the TLB)

    /// An access is about to use a translation of `pfn`. The SeqCst fence pairs with the one
    /// in [`drain`](Self::drain): either the accessor's re-validation of the entry sees the
    /// unmap, or the unmapper sees the pin and waits.
    pub(crate) fn pin(&self, pfn: u64) -> bool {
        match self.meta(pfn) {
            Some(m) => {
                probe::access(&m.pins, Access::ReadModifyWrite, Site::Pin);
                m.pins.fetch_add(1, Ordering::SeqCst);
                fence(Ordering::SeqCst);
                true
            }
            None => false,
        }
    }

    /// The access is done (Release: its stores happen-before the unmapper's copy or free).
    pub(crate) fn unpin(&self, pfn: u64) {
        if let Some(m) = self.meta(pfn) {
            probe::access(&m.pins, Access::ReadModifyWrite, Site::Pin);
            m.pins.fetch_sub(1, Ordering::Release);
        }
    }

    /// The TLB shootdown: called after an entry mapping `pfn` was replaced, waits until no
    /// access still uses an old translation. Returns the number of waits.
    ///
    /// Real hardware finishes an access in flight against the translation it started with;
    /// the kernel flushes the TLB (and waits for the IPIs) before it reuses the frame or
    /// writes its contents out. Without this, a write could land in a frame already copied
    /// to swap or handed to another mapping.
    pub fn drain(&self, pfn: u64) -> u64 {
        let Some(m) = self.meta(pfn) else {
            return 0;
        };
        fence(Ordering::SeqCst);
        let mut waits = 0;
        while {
            probe::access(&m.pins, Access::Load, Site::Pin);
            m.pins.load(Ordering::Acquire) != 0
        } {
            waits += 1;
            crate::wait_step();
        }
        waits
    }

    /// In-flight accesses on `pfn` (0 once every thread is joined).
    pub fn pins(&self, pfn: u64) -> u32 {
        self.meta(pfn).map_or(0, |m| m.pins.load(Ordering::Acquire))
    }

    // ------------------------------------------------------------------ flags

    pub(crate) fn mark_written(&self, pfn: u64) {
        if let Some(m) = self.meta(pfn) {
            m.written.store(true, Ordering::Relaxed);
        }
    }

    /// Whether a user thread wrote to the frame since it was allocated.
    pub fn written(&self, pfn: u64) -> bool {
        self.meta(pfn)
            .is_some_and(|m| m.written.load(Ordering::Relaxed))
    }

    pub(crate) fn mark_page_dirty(&self, pfn: u64) {
        if let Some(m) = self.meta(pfn) {
            m.page_dirty.store(true, Ordering::Relaxed);
        }
    }

    /// `PageDirty`: a dirty entry mapping this page was unmapped.
    pub fn page_dirty(&self, pfn: u64) -> bool {
        self.meta(pfn)
            .is_some_and(|m| m.page_dirty.load(Ordering::Relaxed))
    }

    // ------------------------------------------------------------------ page-cache refs

    pub(crate) fn set_owner(&self, pfn: u64, file: u32, pgoff: u64, refs: u64) {
        if let Some(m) = self.meta(pfn) {
            m.file.store(file, Ordering::Relaxed);
            m.pgoff.store(pgoff, Ordering::Relaxed);
            m.refs.store(refs, Ordering::Relaxed);
        }
    }

    /// The (file, page offset) of a page-cache frame.
    pub fn owner(&self, pfn: u64) -> Option<(u32, u64)> {
        let m = self.meta(pfn)?;
        (m.kind.load(Ordering::Acquire) == CACHE).then(|| {
            (
                m.file.load(Ordering::Relaxed),
                m.pgoff.load(Ordering::Relaxed),
            )
        })
    }

    /// Page-cache references of `pfn`, or its map count if it is anonymous.
    pub fn refs(&self, pfn: u64) -> u64 {
        self.meta(pfn).map_or(0, |m| m.refs.load(Ordering::Acquire))
    }

    pub(crate) fn get_ref(&self, pfn: u64) {
        if let Some(m) = self.meta(pfn) {
            probe::access(&m.refs, Access::ReadModifyWrite, Site::PageCache);
            m.refs.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// Drops a reference; `false` (and nothing done) if it would drop the cache's own.
    pub(crate) fn put_ref(&self, pfn: u64) -> bool {
        let Some(m) = self.meta(pfn) else {
            return false;
        };
        probe::access(&m.refs, Access::ReadModifyWrite, Site::PageCache);
        m.refs
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |r| {
                (r > 1).then(|| r - 1)
            })
            .is_ok()
    }

    // ------------------------------------------------------------------ report

    /// The counters and the frames by owner.
    pub fn counts(&self) -> PoolCounts {
        let mut c = PoolCounts {
            capacity: self.meta.len() as u64,
            allocs: self.allocs.sum(),
            frees: self.frees.sum(),
            double_frees: self.double_frees.load(Ordering::Relaxed),
            bad_frees: self.bad_frees.load(Ordering::Relaxed),
            stale_copies: self.stale_copies.load(Ordering::Relaxed),
            exhausted: self.exhausted.load(Ordering::Relaxed),
            words_touched: self.words_touched.sum(),
            ..PoolCounts::default()
        };
        for m in self.meta.iter() {
            match FrameKind::from_u8(m.kind.load(Ordering::Acquire)) {
                FrameKind::Free => c.free += 1,
                FrameKind::Anon => c.anon += 1,
                FrameKind::Cache => c.cache += 1,
            }
        }
        c
    }

    /// Every PFN of the pool with its owner.
    pub fn frames(&self) -> impl Iterator<Item = (u64, FrameKind)> + '_ {
        self.meta.iter().enumerate().map(|(i, m)| {
            (
                self.pfn_at(i),
                FrameKind::from_u8(m.kind.load(Ordering::Acquire)),
            )
        })
    }
}

impl FrameAllocator for FramePool {
    fn alloc_zeroed(&self) -> Option<u64> {
        let pfn = self.alloc_raw(FrameKind::Anon)?;
        probe::work(Work::ZeroPage {
            bytes: 1 << self.page_shift,
        });
        self.fill(pfn, |_| 0);
        Some(pfn)
    }

    fn alloc_copy(&self, src: u64) -> Option<u64> {
        if self.kind(src) == Some(FrameKind::Free) {
            self.stale_copies.fetch_add(1, Ordering::Relaxed);
        }
        let src_words = self.frame(src)?;
        let pfn = self.alloc_raw(FrameKind::Anon)?;
        probe::work(Work::CopyPage {
            bytes: 1 << self.page_shift,
        });
        self.copy_in(pfn, src_words);
        Some(pfn)
    }

    fn free(&self, pfn: u64) {
        self.release(pfn, ANON);
    }

    fn share(&self, pfn: u64) {
        if let Some(m) = self.meta(pfn) {
            probe::access(&m.refs, Access::ReadModifyWrite, Site::PageCache);
            m.refs.fetch_add(1, Ordering::AcqRel);
        }
    }

    fn is_exclusive(&self, pfn: u64) -> bool {
        self.meta(pfn).is_some_and(|m| {
            probe::access(&m.refs, Access::Load, Site::PageCache);
            m.kind.load(Ordering::Acquire) == ANON && m.refs.load(Ordering::Acquire) == 1
        })
    }

    fn unmap(&self, pfn: u64) {
        let Some(m) = self.meta(pfn) else {
            self.bad_frees.fetch_add(1, Ordering::Relaxed);
            return;
        };
        probe::access(&m.refs, Access::ReadModifyWrite, Site::PageCache);
        // AcqRel: the last unmapper sees every other mapping's accesses before the free.
        if m.refs.fetch_sub(1, Ordering::AcqRel) == 1 {
            // The last mapping: an access may still be in flight through it (a copy-on-write
            // replaced the entry and the library's `flush_tlb` is the caller's; the sim's
            // TLB is the pins), so wait for it before the frame is poisoned and reused.
            self.drain(pfn);
            self.release(pfn, ANON);
        }
    }
}
