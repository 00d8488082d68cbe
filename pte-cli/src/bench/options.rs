//! The options of `pte bench`: workloads, strategies, lists, sizes, and the shape of a run
//! (pages, pages per thread, where each thread's region lies).

use pte_core::LayoutEntry;
pub use pte_core::fault::StrategyKind;
use pte_core::model::Geometry;

use crate::error::CliError;
use crate::input::{find_entry, parse_u64};

/// The most threads one run may use (pft.c allowed 128; the 2004 tables reach 512).
pub const MAX_THREADS: usize = 1024;
/// The most memory one run may fault (the simulator, the floor and the kernel row each
/// hold that much at once, on a 24 GiB machine).
pub const MAX_MEMORY: u64 = 2 << 30;
/// The most repetitions.
pub const MAX_REPETITIONS: u64 = 1000;
/// Map / fault / unmap cycles per thread in `churn`.
pub const CHURN_CYCLES: u64 = 8;

/// What the threads do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Workload {
    /// Each thread faults its own region, one write per page (pft.c, stride = page size).
    Pft,
    /// One region; thread `t` writes pages `t, t + T, t + 2T, …`: every thread in every
    /// leaf table.
    SameTable,
    /// One region; every thread writes every page, in the same order: races on each entry.
    SamePage,
    /// Each thread maps a chunk, writes each page, unmaps it, in cycles (page_fault1).
    Churn,
    /// Each thread writes its own shared file mapping (page_fault3: the page-cache page is
    /// mapped).
    File,
    /// Each thread writes its own private file mapping (page_fault2: each write copies the
    /// page-cache page).
    Cow,
    /// Each thread's anonymous region is written once and the address space forked (both
    /// untimed); then each thread writes every page of its region again in the parent: every
    /// write copies a page the child still maps (page_fault3's shape, after `fork()`).
    Fork,
}

impl Workload {
    /// Every workload, in report order.
    pub const ALL: [Workload; 7] = [
        Workload::Pft,
        Workload::SameTable,
        Workload::SamePage,
        Workload::Churn,
        Workload::File,
        Workload::Cow,
        Workload::Fork,
    ];

    /// The name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Pft => "pft",
            Workload::SameTable => "same-table",
            Workload::SamePage => "same-page",
            Workload::Churn => "churn",
            Workload::File => "file",
            Workload::Cow => "cow",
            Workload::Fork => "fork",
        }
    }

    /// One line: what the threads do.
    pub fn describe(self) -> &'static str {
        match self {
            Workload::Pft => "each thread writes one word per page of its own region",
            Workload::SameTable => "one region, thread t writes pages t, t+T, t+2T, ...",
            Workload::SamePage => "one region, every thread writes every page",
            Workload::Churn => "each thread maps, writes and unmaps chunks of its region",
            Workload::File => "each thread writes its own shared file mapping",
            Workload::Cow => "each thread writes its own private file mapping (copy)",
            Workload::Fork => {
                "each thread rewrites its own anonymous region after fork (copy-on-write)"
            }
        }
    }

    /// Whether every thread has a region of its own (else one region for all).
    pub fn per_thread_regions(self) -> bool {
        !matches!(self, Workload::SameTable | Workload::SamePage)
    }
}

/// What a row measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Zero a frame and compare-and-swap one word into a flat array per page.
    Floor,
    /// The host kernel's own faults on the same pages and threads.
    Kernel,
    /// The simulator's fault path under a strategy.
    Strategy(StrategyKind),
}

impl Kind {
    /// The row's name: `floor`, `kernel` or the strategy's.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Floor => "floor",
            Kind::Kernel => "kernel",
            Kind::Strategy(s) => s.name(),
        }
    }

    /// `reference` for the floor and the kernel, else `strategy`.
    pub fn class(self) -> &'static str {
        match self {
            Kind::Floor | Kind::Kernel => "reference",
            Kind::Strategy(_) => "strategy",
        }
    }
}

/// Splits a comma list, trims the items and drops repeats (keeping the first).
fn items<'a>(option: &str, text: &'a str) -> Result<Vec<&'a str>, CliError> {
    let mut out: Vec<&str> = Vec::new();
    for item in text.split(',').map(str::trim) {
        if item.is_empty() {
            return Err(CliError::bad(format_args!(
                "empty item in {option} '{}' (expected a comma-separated list)",
                text.escape_debug()
            )));
        }
        if !out.contains(&item) {
            out.push(item);
        }
    }
    Ok(out)
}

/// `--layouts`: layout names (see `pte layouts`).
pub fn parse_layouts(text: &str) -> Result<Vec<&'static LayoutEntry>, CliError> {
    let mut out: Vec<&'static LayoutEntry> = Vec::new();
    for item in items("--layouts", text)? {
        let e = find_entry(item)?;
        if !out.iter().any(|o| o.layout.name == e.layout.name) {
            out.push(e);
        }
    }
    Ok(out)
}

/// `--strategies`.
pub fn parse_strategies(text: &str) -> Result<Vec<StrategyKind>, CliError> {
    items("--strategies", text)?
        .into_iter()
        .map(|item| {
            StrategyKind::ALL
                .into_iter()
                .find(|s| s.name().eq_ignore_ascii_case(item))
                .ok_or_else(|| {
                    let known: Vec<&str> = StrategyKind::ALL.iter().map(|s| s.name()).collect();
                    CliError::bad(format_args!(
                        "unknown strategy '{}' in --strategies (known: {})",
                        item.escape_debug(),
                        known.join(", ")
                    ))
                })
        })
        .collect()
}

/// `--workloads`.
pub fn parse_workloads(text: &str) -> Result<Vec<Workload>, CliError> {
    items("--workloads", text)?
        .into_iter()
        .map(|item| {
            Workload::ALL
                .into_iter()
                .find(|w| w.name().eq_ignore_ascii_case(item))
                .ok_or_else(|| {
                    let known: Vec<&str> = Workload::ALL.iter().map(|w| w.name()).collect();
                    CliError::bad(format_args!(
                        "unknown workload '{}' in --workloads (known: {})",
                        item.escape_debug(),
                        known.join(", ")
                    ))
                })
        })
        .collect()
}

/// `--threads`: thread counts from 1 to [`MAX_THREADS`], in the order given.
pub fn parse_threads(text: &str) -> Result<Vec<usize>, CliError> {
    items("--threads", text)?
        .into_iter()
        .map(|item| {
            parse_u64(item)
                .and_then(|n| usize::try_from(n).ok())
                .filter(|n| (1..=MAX_THREADS).contains(n))
                .ok_or_else(|| {
                    CliError::bad(format_args!(
                        "bad thread count '{}' in --threads '{}' (expected a number from 1 to {MAX_THREADS})",
                        item.escape_debug(),
                        text.escape_debug()
                    ))
                })
        })
        .collect()
}

/// `--memory`: bytes, with an optional binary suffix `K`, `M` or `G` (`KiB`, `MB`… too).
pub fn parse_memory(text: &str) -> Result<u64, CliError> {
    let bad = |why: &str| {
        CliError::bad(format_args!(
            "bad size '{}' for --memory ({why})",
            text.escape_debug()
        ))
    };
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '_'))
        .unwrap_or(t.len());
    let (digits, suffix) = t.split_at(split);
    let n = parse_u64(digits).ok_or_else(|| bad("expected a number with K, M or G, e.g. 16M"))?;
    let unit: u64 = match suffix.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(bad("expected a number with K, M or G, e.g. 16M")),
    };
    let bytes = n.checked_mul(unit).ok_or_else(|| bad("too large"))?;
    if bytes == 0 {
        return Err(bad("must not be zero"));
    }
    if bytes > MAX_MEMORY {
        return Err(bad(&format!("at most {}", size(MAX_MEMORY))));
    }
    Ok(bytes)
}

/// `--repetitions`: 1 to [`MAX_REPETITIONS`].
pub fn parse_repetitions(text: &str) -> Result<u64, CliError> {
    parse_u64(text)
        .filter(|n| (1..=MAX_REPETITIONS).contains(n))
        .ok_or_else(|| {
            CliError::bad(format_args!(
                "bad count '{}' for --repetitions (expected a number from 1 to {MAX_REPETITIONS})",
                text.escape_debug()
            ))
        })
}

/// `--seed`: any 64-bit number.
pub fn parse_seed(text: &str) -> Result<u64, CliError> {
    parse_u64(text).ok_or_else(|| {
        CliError::bad(format_args!(
            "bad seed '{}' for --seed (expected 0x-hex or decimal, at most 64 bits)",
            text.escape_debug()
        ))
    })
}

/// `16 MiB`, `4 KiB`, `1.5 GiB`.
pub fn size(bytes: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (name, unit) in UNITS {
        if bytes >= unit {
            return if bytes.is_multiple_of(unit) {
                format!("{} {name}", bytes / unit)
            } else {
                format!("{:.1} {name}", bytes as f64 / unit as f64)
            };
        }
    }
    format!("{bytes} B")
}

/// The pages and regions of one run of a workload: the same page counts for the
/// simulator, the floor and the kernel row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// The workload.
    pub workload: Workload,
    /// Threads.
    pub threads: usize,
    /// `PAGE_SHIFT` of the layout's default geometry.
    pub page_shift: u32,
    /// Bytes one leaf table maps (regions are aligned to it).
    pub table_span: u64,
    /// Pages made present by the run (the work: faults in pft's sense; in `fork`, pages
    /// copied).
    pub pages: u64,
    /// Pages of each thread's region (per-thread workloads), or of the one region.
    pub region_pages: u64,
    /// Churn: map / fault / unmap cycles per thread (1 for the other workloads).
    pub cycles: u64,
}

impl Shape {
    /// The shape of `workload` with `threads` threads faulting `memory` bytes in pages of
    /// `geometry`; `None` if there are fewer pages than threads.
    pub fn new(
        workload: Workload,
        threads: usize,
        memory: u64,
        geometry: &Geometry,
    ) -> Option<Self> {
        let page_shift = geometry.page_shift;
        let total = memory >> page_shift;
        let t = threads as u64;
        if total < t {
            return None;
        }
        let leaf = geometry.levels() - 1;
        let table_span = geometry.entries(leaf) << page_shift;
        let (pages, region_pages) = if workload.per_thread_regions() {
            let per = total / t;
            (per * t, per)
        } else {
            (total, total)
        };
        let cycles = if workload == Workload::Churn {
            CHURN_CYCLES.min(region_pages)
        } else {
            1
        };
        Some(Shape {
            workload,
            threads,
            page_shift,
            table_span,
            pages,
            region_pages,
            cycles,
        })
    }

    /// The page size.
    pub fn page_size(&self) -> u64 {
        1 << self.page_shift
    }

    /// Pages each thread writes: its region, its share of the one region (`same-table`,
    /// rounded up), or all of it (`same-page`).
    pub fn pages_per_thread(&self) -> u64 {
        match self.workload {
            Workload::SameTable => self.region_pages.div_ceil(self.threads as u64),
            _ => self.region_pages,
        }
    }

    /// Regions: one per thread, or one.
    pub fn regions(&self) -> u64 {
        if self.workload.per_thread_regions() {
            self.threads as u64
        } else {
            1
        }
    }

    /// Distance between two threads' regions: the region rounded up to whole leaf tables,
    /// plus one empty table, so that no two threads share a leaf table.
    pub fn stride(&self) -> u64 {
        let bytes = self.region_pages << self.page_shift;
        bytes.div_ceil(self.table_span) * self.table_span + self.table_span
    }

    /// Start of region `r` (the first table span is left unmapped).
    pub fn region_start(&self, r: u64) -> u64 {
        self.table_span + r * self.stride()
    }

    /// One past the last byte of the last region.
    pub fn end(&self) -> u64 {
        self.region_start(self.regions())
    }

    /// Churn: the first page and the page count of cycle `c` of a region.
    pub fn cycle(&self, c: u64) -> (u64, u64) {
        let base = self.region_pages / self.cycles;
        let extra = self.region_pages % self.cycles;
        let first = c * base + c.min(extra);
        (first, base + u64::from(c < extra))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_sizes() {
        assert_eq!(parse_memory("16M").ok(), Some(16 << 20));
        assert_eq!(parse_memory("4k").ok(), Some(4096));
        assert_eq!(parse_memory("1GiB").ok(), Some(1 << 30));
        assert_eq!(parse_memory("8192").ok(), Some(8192));
        for bad in ["", "M", "16X", "-1M", "0", "3G", "16 M M"] {
            assert!(parse_memory(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn thread_lists() {
        assert_eq!(parse_threads("1,2,32").ok(), Some(vec![1, 2, 32]));
        assert_eq!(parse_threads("2, 1,2").ok(), Some(vec![2, 1]));
        for bad in ["", "0", "1,,2", "x", "1,2000", "-1"] {
            assert!(parse_threads(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn churn_cycles_cover_the_region() {
        let g = &arch_x86_64::LAYOUT_6_6.geometries[0];
        for pages in [1u64, 7, 8, 9, 100, 4096] {
            let s = Shape::new(Workload::Churn, 1, pages << 12, g).expect("shape");
            let mut next = 0;
            for c in 0..s.cycles {
                let (first, n) = s.cycle(c);
                assert_eq!(first, next);
                assert!(n > 0);
                next += n;
            }
            assert_eq!(next, pages);
        }
    }

    #[test]
    fn regions_do_not_share_tables() {
        let g = &arch_x86_64::LAYOUT_6_6.geometries[0];
        let s = Shape::new(Workload::Pft, 3, 3 << 21, g).expect("shape");
        assert_eq!(s.table_span, 2 << 20);
        assert_eq!(s.stride(), 4 << 20);
        assert_eq!(s.region_start(1) - s.region_start(0), 4 << 20);
    }
}
