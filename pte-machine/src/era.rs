//! What a fault shares in a kernel era: the lines the simulator's own words stand for, and
//! the lines the machine adds because the kernel had them and the simulator does not.
//!
//! **Linux 2.6.8 on ia64** (the 2004 debate; the facts are from the 2.6.8 sources):
//! * `mmap_sem.count` and `page_table_lock` sit in the same 128-byte line of `mm_struct`
//!   (bytes 56 and 80 of an LP64 `mm_struct`, `include/linux/sched.h`), so the mapping lock's
//!   two fetch-and-adds per fault (`down_read`/`up_read`, `include/asm-ia64/rwsem.h`) and the
//!   mm-lock strategy's spinlock contend for one line;
//! * `mm->rss` (the next line, byte 192) is incremented for every page installed, under
//!   `page_table_lock` with the rmap and LRU accounting (`do_anonymous_page`), and
//!   `handle_mm_fault` holds `page_table_lock` for its walk before the handler drops it to
//!   allocate: the mm lock is taken twice per fault;
//! * the page allocator refills a CPU's hot list under `zone->lock` every `batch` pages
//!   (`batch` = 4 with 16 KiB pages: `zone_batchsize`, `mm/page_alloc.c`) and
//!   `lru_cache_add_active` takes `zone->lru_lock` once per `PAGEVEC_SIZE` = 16 pages
//!   (`include/linux/pagevec.h`); both are per memory node (local allocation).
//!
//! **Linux 6.6** (a modern x86 server):
//! * a fault takes the per-VMA lock for reading (`lock_vma_under_rcu`, `vma_start_read`:
//!   `down_read_trylock(&vma->vm_lock->lock)`, Linux 6.4+, `mm/memory.c`), one line per VMA,
//!   and drops it at the end (`vma_end_read`): the mapping lock's line stands for it;
//! * `mm->page_table_lock` is a line of its own (the mm-lock strategy's lock);
//! * rss counters are per-CPU (`percpu_counter` since 6.2, `include/linux/mm_types.h`
//!   `rss_stat`): no shared line;
//! * the per-CPU page lists refill under `zone->lock` every `pcp->batch` = 63 pages
//!   (`zone_batchsize`: a large zone's 1 MiB / 4 KiB / 4 = 64, rounded to 2^n − 1), and the
//!   LRU takes `lruvec->lru_lock` once per `PAGEVEC_SIZE` = 15 (`include/linux/pagevec.h`).
//!
//! The library's [`Stats`](pte_core::fault::Stats) counters stand for the kernel's per-CPU
//! event counters (`count_vm_event`) in both eras: they are charged as hits.

use pte_core::probe::Site;
use serde::Deserialize;

/// A kernel era.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub enum Era {
    /// Linux 2.6.8 on ia64 (Altix).
    #[serde(rename = "2.6.8")]
    Linux2_6_8,
    /// Linux 6.6 on x86-64.
    #[serde(rename = "6.6")]
    Linux6_6,
}

impl core::fmt::Display for Era {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Era::Linux2_6_8 => "Linux 2.6.8",
            Era::Linux6_6 => "Linux 6.6",
        })
    }
}

/// A line the machine names (one per memory node where `node` matters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Modelled {
    /// 2.6.8 `mm_struct` line 0: `mmap_sem.count` and `page_table_lock`.
    MmLine0,
    /// 2.6.8 `mm_struct` line 1: `rss`.
    MmRss,
    /// 6.6 `mm->page_table_lock`, alone in its line.
    PageTableLock,
    /// 6.6 per-VMA lock (`vma_lock.lock`).
    VmaLock,
    /// `zone->lock` of a node.
    ZoneLock,
    /// `zone->lru_lock` (2.6.8) / `lruvec->lru_lock` (6.6) of a node.
    LruLock,
}

impl Modelled {
    /// The kernel structure, for reports.
    pub const fn name(self) -> &'static str {
        match self {
            Modelled::MmLine0 => "mm_struct line 0 (mmap_sem.count + page_table_lock)",
            Modelled::MmRss => "mm_struct line 1 (rss)",
            Modelled::PageTableLock => "mm->page_table_lock",
            Modelled::VmaLock => "vma_lock.lock (per-VMA lock)",
            Modelled::ZoneLock => "zone->lock",
            Modelled::LruLock => "lru_lock",
        }
    }
}

/// A coherence line of the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LineKey {
    /// A real line of the simulator's memory: its site and address / line size. Sites never
    /// share a key, so two structures that happen to be neighbours in the host's memory do
    /// not falsely share a line the kernel did not share.
    Real {
        /// What the words stand for.
        site: Site,
        /// Address / line size.
        line: u64,
    },
    /// A line the era names.
    Named {
        /// Which.
        what: Modelled,
        /// Its memory node (0 for per-mm lines).
        node: usize,
    },
}

impl LineKey {
    /// The name of the line's kind in reports (`strategy` decides what a `lock` is).
    pub fn kind(self, strategy: &str) -> &'static str {
        match self {
            LineKey::Named { what, .. } => what.name(),
            LineKey::Real { site, .. } => match site {
                Site::Entry => "pte lines (leaf entries)",
                Site::UpperEntry => "upper-level entries",
                Site::Lock if strategy == "split-lock" => "split ptlock (per leaf table)",
                Site::Lock => "strategy lock",
                Site::Counter => "Stats counters (per-CPU in a kernel: hits)",
                Site::MappingLock => "mapping lock",
                Site::PageCache => "page cache (slot and page refcount)",
                Site::SwapSlot => "swap slot",
                Site::Pin => "simulator pins (no kernel line: free)",
            },
        }
    }
}

/// How a line is charged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Charge {
    /// By the coherence model.
    Coherent,
    /// As a hit in the CPU's own cache (a per-CPU structure in the kernel).
    Local,
    /// Not at all (no kernel line); still tracked so that waits on it wake.
    Free,
}

impl Era {
    /// The line the word at `addr` of `site` stands for, and how it is charged.
    pub fn line(
        self,
        site: Site,
        addr: usize,
        line_bytes: u64,
        strategy: &str,
    ) -> (LineKey, Charge) {
        let real = LineKey::Real {
            site,
            line: addr as u64 / line_bytes,
        };
        let named = |what| LineKey::Named { what, node: 0 };
        match (self, site) {
            (_, Site::Counter) => (real, Charge::Local),
            (_, Site::Pin) => (real, Charge::Free),
            (Era::Linux2_6_8, Site::MappingLock) => (named(Modelled::MmLine0), Charge::Coherent),
            (Era::Linux2_6_8, Site::Lock) if strategy == "mm-lock" => {
                (named(Modelled::MmLine0), Charge::Coherent)
            }
            (Era::Linux6_6, Site::MappingLock) => (named(Modelled::VmaLock), Charge::Coherent),
            (Era::Linux6_6, Site::Lock) if strategy == "mm-lock" => {
                (named(Modelled::PageTableLock), Charge::Coherent)
            }
            _ => (real, Charge::Coherent),
        }
    }

    /// Pages per `zone->lock` refill of a CPU's list.
    pub const fn zone_batch(self) -> u64 {
        match self {
            Era::Linux2_6_8 => 4,
            Era::Linux6_6 => 63,
        }
    }

    /// Pages per LRU lock acquisition.
    pub const fn lru_batch(self) -> u64 {
        match self {
            Era::Linux2_6_8 => 16,
            Era::Linux6_6 => 15,
        }
    }

    /// Whether `handle_mm_fault` walks the tables under `page_table_lock` before the
    /// handler runs (2.6.8: taken at the walk, dropped to allocate, retaken to install).
    pub const fn walk_under_mm_lock(self) -> bool {
        matches!(self, Era::Linux2_6_8)
    }

    /// Whether each installed page writes a shared rss line.
    pub const fn shared_rss(self) -> bool {
        matches!(self, Era::Linux2_6_8)
    }
}
