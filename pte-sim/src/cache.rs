//! [`FileCache`]: files of known contents, read in on first use.
//!
//! File `f` has a fixed number of pages; word `w` of page `p` initially holds
//! [`file_word(f, p, w)`](file_word), so a test can tell which page it reads. A page is
//! read in by the first [`get`](pte_core::fault::PageCache::get) (a frame from the pool, filled,
//! then published with a compare-and-swap; a loser gives its frame back). Pages are never
//! evicted: the cache holds one reference on each, plus one per [`get`] not yet
//! [`put`](pte_core::fault::PageCache::put).
//!
//! [`get`]: pte_core::fault::PageCache::get

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::frames::{FrameKind, FramePool};
use pte_core::probe::{self, Access, Site};

/// The initial contents of word `word` of page `pgoff` of file `file`: a tag byte, 12 bits
/// of file, 28 bits of page offset, 16 bits of word index.
pub const fn file_word(file: u32, pgoff: u64, word: u64) -> u64 {
    0xF1 << 56 | (file as u64 & 0xfff) << 44 | (pgoff & 0x0fff_ffff) << 16 | (word & 0xffff)
}

/// Counters of a [`FileCache`] (a snapshot).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheCounts {
    /// Pages read in.
    pub loads: u64,
    /// Read-ins that lost to another thread (the frame was given back).
    pub races: u64,
    /// References taken (`get`).
    pub gets: u64,
    /// References dropped (`put`).
    pub puts: u64,
    /// `put` of a frame that is not a page-cache page, or that would drop the cache's own
    /// reference: an invariant violation.
    pub bad_puts: u64,
    /// `get` beyond the end of a file (`SIGBUS`).
    pub beyond_eof: u64,
    /// `get` refused: no frame.
    pub no_memory: u64,
}

/// The page cache of the simulated files.
#[derive(Debug)]
pub struct FileCache {
    pool: Arc<FramePool>,
    /// Per file, per page: the PFN + 1, 0 = not read in.
    files: Box<[crate::Aligned<AtomicU64>]>,
    loads: AtomicU64,
    races: AtomicU64,
    gets: AtomicU64,
    puts: AtomicU64,
    bad_puts: AtomicU64,
    beyond_eof: AtomicU64,
    no_memory: AtomicU64,
}

impl FileCache {
    /// Files of `file_pages[f]` pages each, cached in frames of `pool`.
    pub fn new(pool: Arc<FramePool>, file_pages: &[u64]) -> Self {
        FileCache {
            pool,
            files: file_pages
                .iter()
                .map(|&n| crate::Aligned::new(n as usize, || AtomicU64::new(0)))
                .collect(),
            loads: AtomicU64::new(0),
            races: AtomicU64::new(0),
            gets: AtomicU64::new(0),
            puts: AtomicU64::new(0),
            bad_puts: AtomicU64::new(0),
            beyond_eof: AtomicU64::new(0),
            no_memory: AtomicU64::new(0),
        }
    }

    /// Number of files.
    pub fn files(&self) -> usize {
        self.files.len()
    }

    /// The size of `file` in pages.
    pub fn file_pages(&self, file: u32) -> Option<u64> {
        self.files.get(file as usize).map(|f| f.len() as u64)
    }

    fn entry(&self, file: u32, pgoff: u64) -> Option<&AtomicU64> {
        self.files
            .get(file as usize)?
            .get(usize::try_from(pgoff).ok()?)
    }

    /// The frame caching `(file, pgoff)`, if read in (no reference taken).
    pub fn cached(&self, file: u32, pgoff: u64) -> Option<u64> {
        match self.entry(file, pgoff)?.load(Ordering::Acquire) {
            0 => None,
            v => Some(v - 1),
        }
    }

    /// The current contents of word `word` of `(file, pgoff)`: the cached frame's, or the
    /// initial pattern if the page was never read in.
    pub fn word(&self, file: u32, pgoff: u64, word: usize) -> Option<u64> {
        self.entry(file, pgoff)?;
        match self.cached(file, pgoff) {
            Some(pfn) => self.pool.read_word(pfn, word),
            None => Some(file_word(file, pgoff, word as u64)),
        }
    }

    /// Every cached page: `(file, pgoff, pfn)`.
    pub fn pages(&self) -> impl Iterator<Item = (u32, u64, u64)> + '_ {
        self.files.iter().enumerate().flat_map(|(f, pages)| {
            pages
                .iter()
                .enumerate()
                .filter_map(move |(p, e)| match e.load(Ordering::Acquire) {
                    0 => None,
                    v => Some((f as u32, p as u64, v - 1)),
                })
        })
    }

    /// The counters.
    pub fn counts(&self) -> CacheCounts {
        CacheCounts {
            loads: self.loads.load(Ordering::Relaxed),
            races: self.races.load(Ordering::Relaxed),
            gets: self.gets.load(Ordering::Relaxed),
            puts: self.puts.load(Ordering::Relaxed),
            bad_puts: self.bad_puts.load(Ordering::Relaxed),
            beyond_eof: self.beyond_eof.load(Ordering::Relaxed),
            no_memory: self.no_memory.load(Ordering::Relaxed),
        }
    }
}

impl pte_core::fault::PageCache for FileCache {
    fn get(&self, file: u32, pgoff: u64) -> Option<u64> {
        let Some(e) = self.entry(file, pgoff) else {
            self.beyond_eof.fetch_add(1, Ordering::Relaxed);
            return None;
        };
        loop {
            probe::access(e, Access::Load, Site::PageCache);
            let v = e.load(Ordering::Acquire);
            if v != 0 {
                // Pages are never evicted: the cache's own reference keeps it alive.
                self.pool.get_ref(v - 1);
                self.gets.fetch_add(1, Ordering::Relaxed);
                return Some(v - 1);
            }
            let Some(pfn) = self.pool.alloc_raw(FrameKind::Cache) else {
                self.no_memory.fetch_add(1, Ordering::Relaxed);
                return None;
            };
            // Read the page in before publishing it (Release by the CAS).
            self.pool.fill(pfn, |w| file_word(file, pgoff, w));
            self.pool.set_owner(pfn, file, pgoff, 2);
            probe::access(e, Access::ReadModifyWrite, Site::PageCache);
            match e.compare_exchange(0, pfn + 1, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => {
                    self.loads.fetch_add(1, Ordering::Relaxed);
                    self.gets.fetch_add(1, Ordering::Relaxed);
                    return Some(pfn);
                }
                Err(_) => {
                    self.races.fetch_add(1, Ordering::Relaxed);
                    self.pool.free_cache_frame(pfn);
                }
            }
        }
    }

    fn contains(&self, pfn: u64) -> bool {
        self.pool.kind(pfn) == Some(FrameKind::Cache)
    }

    fn put(&self, pfn: u64) {
        if self.pool.kind(pfn) != Some(FrameKind::Cache) || !self.pool.put_ref(pfn) {
            self.bad_puts.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.puts.fetch_add(1, Ordering::Relaxed);
    }

    fn dup(&self, pfn: u64) {
        self.pool.get_ref(pfn);
        self.gets.fetch_add(1, Ordering::Relaxed);
    }
}
