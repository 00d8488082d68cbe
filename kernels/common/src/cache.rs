//! A page cache of patterned files: each file page is "read in" (filled with its pattern) on
//! first use into a pool frame that then stays cached; a reference is counted per mapping, so
//! the checks can compare references with the entries that map the page.

use core::sync::atomic::{AtomicU64, Ordering};

use pte_core::fault::PageCache;
use pte_core::fault::lock::RawSpinLock;

use crate::frames::{self, Frames, Use, page_ptr};
use crate::violation::violation;
use crate::{PAGE_SIZE, Platform};

/// Files in the cache (two per strategy).
pub const FILES: usize = 10;
/// Pages per file; a page beyond is beyond the end of the file.
pub const FILE_PAGES: u64 = 8;

/// The word at `word` of page `pgoff` of `file`, as the file holds it (an arbitrary tag,
/// distinct per file, page and word).
pub fn file_word(file: u32, pgoff: u64, word: usize) -> u64 {
    0xF11E_0000_0000_0000 ^ (u64::from(file) << 40) ^ (pgoff << 20) ^ (word as u64 * 0x9E37)
}

/// One cached page: its frame (0: not read in yet) and the references taken on it.
struct Entry {
    /// The frame (0: not read in; set once, under the table's lock).
    pfn: AtomicU64,
    /// References taken by `get` and not yet dropped by `put`: one per mapping.
    refs: AtomicU64,
}

/// Every file page of the cache.
struct Table {
    /// Orders read-ins (a page is read in once).
    lock: RawSpinLock,
    /// By file, then page.
    entries: [[Entry; FILE_PAGES as usize]; FILES],
}

/// The page cache.
static TABLE: Table = Table {
    lock: RawSpinLock::new(),
    entries: [const {
        [const {
            Entry {
                pfn: AtomicU64::new(0),
                refs: AtomicU64::new(0),
            }
        }; FILE_PAGES as usize]
    }; FILES],
};

/// Where `file`/`pgoff` lives in the table.
fn entry(file: u32, pgoff: u64) -> Option<&'static Entry> {
    let f = TABLE.entries.get(file as usize)?;
    f.get(usize::try_from(pgoff).ok()?)
}

/// The cached frame of `file`/`pgoff` and the references on it (`None`: never read in).
pub fn lookup(file: u32, pgoff: u64) -> Option<(u64, u64)> {
    let e = entry(file, pgoff)?;
    let pfn = e.pfn.load(Ordering::Acquire);
    (pfn != 0).then(|| (pfn, e.refs.load(Ordering::Acquire)))
}

/// The page cache as the fast path sees it.
pub struct Cache<'p, P: Platform>(pub &'p P);

impl<P: Platform> PageCache for Cache<'_, P> {
    fn get(&self, file: u32, pgoff: u64) -> Option<u64> {
        let e = entry(file, pgoff)?;
        TABLE.lock.lock();
        let mut pfn = e.pfn.load(Ordering::Relaxed);
        if pfn == 0 {
            // "Read in": fill a fresh frame with the file's contents, then publish it.
            let Some(fresh) = Frames(self.0).alloc(Use::Cache) else {
                TABLE.lock.unlock();
                return None;
            };
            let words = page_ptr(fresh).cast::<u64>();
            for w in 0..PAGE_SIZE / 8 {
                // SAFETY: the frame was just allocated to the cache; nobody else sees it yet.
                unsafe { words.add(w).write(file_word(file, pgoff, w)) };
            }
            e.pfn.store(fresh, Ordering::Release);
            pfn = fresh;
        }
        e.refs.fetch_add(1, Ordering::AcqRel);
        TABLE.lock.unlock();
        Some(pfn)
    }

    fn put(&self, pfn: u64) {
        for e in TABLE.entries.iter().flatten() {
            if e.pfn.load(Ordering::Acquire) == pfn {
                if e.refs
                    .fetch_update(Ordering::AcqRel, Ordering::Acquire, |r| r.checked_sub(1))
                    .is_err()
                {
                    violation(
                        self.0,
                        format_args!("page-cache put of {pfn:#x} without a reference"),
                    );
                }
                return;
            }
        }
        violation(
            self.0,
            format_args!("page-cache put of {pfn:#x}, not a cached page"),
        );
    }

    fn contains(&self, pfn: u64) -> bool {
        frames::index_of(pfn).is_some_and(|i| frames::use_of(i) == Use::Cache)
    }

    fn dup(&self, pfn: u64) {
        for e in TABLE.entries.iter().flatten() {
            if e.pfn.load(Ordering::Acquire) == pfn {
                // Fork maps a page the parent maps: it holds a reference already.
                if e.refs
                    .fetch_update(Ordering::AcqRel, Ordering::Acquire, |r| {
                        (r > 0).then(|| r.saturating_add(1))
                    })
                    .is_err()
                {
                    violation(
                        self.0,
                        format_args!("page-cache dup of {pfn:#x}, which nothing maps"),
                    );
                }
                return;
            }
        }
        violation(
            self.0,
            format_args!("page-cache dup of {pfn:#x}, not a cached page"),
        );
    }
}

/// Frames the cache holds (for the frame accounting).
pub fn cached_frames() -> u64 {
    TABLE
        .entries
        .iter()
        .flatten()
        .filter(|e| e.pfn.load(Ordering::Acquire) != 0)
        .count() as u64
}
