//! What every CPU runs, and the fault handler's entry into the library.
//!
//! The lazily-mapped window holds one 16 MiB span per strategy; each span has four regions
//! (VMAs): anonymous pages private to each CPU, anonymous pages all CPUs write, a shared file
//! mapping and a private file mapping. Per strategy the CPUs go through the same phases,
//! separated by barriers, and the boot CPU checks after each (see [`crate::check`]):
//!
//! 1. **fault**: each CPU reads then writes its own pages (read fault installs a clean entry;
//!    the write is left to the MMU's dirty tracking), then — all CPUs released together —
//!    writes its word in every shared page (concurrent faults on the same entries), and reads
//!    both file mappings;
//! 2. **copy-on-write**: each private file page is written by one CPU;
//! 3. **accessed**: the boot CPU makes entries old (CAS through the strategy, TLB flush); the
//!    CPUs touch them again and the MMU (or the fast path) sets them young;
//! 4. **swap-out**: the boot CPU replaces every anonymous entry by a swap entry;
//! 5. **swap-in**: all CPUs read everything back through the fast path, the shared pages
//!    first, racing on them.

use core::hint::spin_loop;
use core::panic::PanicInfo;
use core::ptr::{read_volatile, write_volatile};
use core::sync::atomic::{AtomicU64, Ordering};

use pte_core::fault::{
    Backing, Counts, Env, Fault, Resolved, Strategies, Strategy, StrategyKind, StrategyVisitor,
    Vma, handle_retrying,
};
use pte_core::{Arch, LockBit};

use crate::cache::{Cache, FILE_PAGES, file_word};
use crate::check;
use crate::frames::{self, Frames};
use crate::swap::Swap;
use crate::sync::Barrier;
use crate::tables::Walker;
use crate::{MAX_CPUS, PAGE_SHIFT, PAGE_SIZE, Platform, say};

/// Strategies exercised, each in its own span of the window.
pub const STRATEGIES: usize = 5;
/// Bytes of window per strategy.
const SPAN: u64 = 16 << 20;
/// Pages of the private anonymous region per CPU.
pub const PAGES_PER_CPU: u64 = 16;
/// Pages of the anonymous region all CPUs write.
pub const SHARED_PAGES: u64 = 16;
/// Words written per private anonymous page, spread over the page.
pub const WORDS: usize = 8;
/// Distance between those words.
const WORD_STRIDE: u64 = (PAGE_SIZE / WORDS) as u64;

/// Anonymous pages of one strategy at most (each is swapped out once).
const MAX_ANON_PAGES: u64 = PAGES_PER_CPU * MAX_CPUS as u64 + SHARED_PAGES;

// Capacity for `MAX_CPUS` CPUs: a swap slot per anonymous page, and frames for every page
// mapped at the end plus the page cache and tables (a table per region and level at most).
const _: () = {
    let anon = STRATEGIES as u64 * MAX_ANON_PAGES;
    assert!(crate::swap::SLOTS as u64 >= anon);
    let cache = crate::cache::FILES as u64 * FILE_PAGES;
    let copies = STRATEGIES as u64 * FILE_PAGES;
    let tables = STRATEGIES as u64 * Region::ALL.len() as u64 * 4;
    assert!(crate::frames::POOL_FRAMES as u64 >= anon + cache + copies + tables);
    // Each region fits in its 2 MiB slot of the span.
    assert!(MAX_ANON_PAGES << PAGE_SHIFT <= 2 << 20);
};

/// The regions of one strategy's span.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Region {
    /// Anonymous, `PAGES_PER_CPU` pages per CPU, each touched only by its CPU.
    Disjoint,
    /// Anonymous, `SHARED_PAGES` pages; every CPU writes its own word in each.
    Shared,
    /// `MAP_SHARED` of a file: read by everyone.
    FileShared,
    /// `MAP_PRIVATE` of a file: read by everyone, then written (copy-on-write).
    FilePrivate,
}

impl Region {
    /// All regions, in window order.
    pub const ALL: [Region; 4] = [
        Region::Disjoint,
        Region::Shared,
        Region::FileShared,
        Region::FilePrivate,
    ];

    /// Offset in the span (2 MiB apart: separate leaf tables).
    fn offset(self) -> u64 {
        match self {
            Region::Disjoint => 0,
            Region::Shared => 2 << 20,
            Region::FileShared => 4 << 20,
            Region::FilePrivate => 6 << 20,
        }
    }

    /// Pages in the region.
    pub fn pages(self, cpus: usize) -> u64 {
        match self {
            Region::Disjoint => PAGES_PER_CPU * cpus as u64,
            Region::Shared => SHARED_PAGES,
            Region::FileShared | Region::FilePrivate => FILE_PAGES,
        }
    }

    /// The file a file region maps (two files per strategy).
    pub fn file(self, strategy: usize) -> u32 {
        (strategy * 2 + usize::from(self == Region::FilePrivate)) as u32
    }
}

/// The address of page `page` of `region` in strategy `s`'s span.
pub fn page_addr<P: Platform>(s: usize, region: Region, page: u64) -> u64 {
    P::WINDOW + s as u64 * SPAN + region.offset() + (page << PAGE_SHIFT)
}

/// The VMA of `region` in strategy `s`'s span.
pub fn vma<P: Platform>(s: usize, region: Region, cpus: usize) -> Vma {
    let start = page_addr::<P>(s, region, 0);
    let backing = match region {
        Region::Disjoint | Region::Shared => Backing::Anonymous,
        Region::FileShared => Backing::SharedFile {
            file: region.file(s),
            pgoff: 0,
        },
        Region::FilePrivate => Backing::PrivateFile {
            file: region.file(s),
            pgoff: 0,
        },
    };
    Vma {
        start,
        end: start + (region.pages(cpus) << PAGE_SHIFT),
        backing,
        writable: true,
        page_shift: PAGE_SHIFT,
    }
}

/// The strategy span and region of a faulting address.
fn locate<P: Platform>(addr: u64, cpus: usize) -> Option<(usize, Region)> {
    let rel = addr.checked_sub(P::WINDOW)?;
    let s = usize::try_from(rel / SPAN).ok()?;
    if s >= STRATEGIES {
        return None;
    }
    let region = Region::ALL.into_iter().find(|r| {
        let v = vma::<P>(s, *r, cpus);
        (v.start..v.end).contains(&addr)
    })?;
    Some((s, region))
}

// The page contents below are arbitrary tags (top nibble: which region wrote it), chosen so
// that every word written anywhere in a run is distinct and never zero.

/// The word `w` of private page `page` (of the CPU that owns it) in strategy `s`.
pub fn anon_word(s: usize, page: u64, w: usize) -> u64 {
    0xA000_0000_0000_0000 | (s as u64) << 40 | page << 16 | w as u64
}

/// The word CPU `cpu` writes in shared page `page` in strategy `s`.
pub fn shared_word(s: usize, page: u64, cpu: usize) -> u64 {
    0x5000_0000_0000_0000 | (s as u64) << 40 | page << 16 | cpu as u64
}

/// The word written into private file page `page` (its word 1), which copies it.
pub fn private_word(s: usize, page: u64) -> u64 {
    0xC000_0000_0000_0000 | (s as u64) << 40 | page << 16
}

/// Address of word `w` of a private anonymous page.
pub fn anon_word_addr(page_addr: u64, w: usize) -> u64 {
    page_addr + w as u64 * WORD_STRIDE
}

/// Reads a word through the MMU (volatile: the access is the point).
pub fn read(addr: u64) -> u64 {
    // SAFETY: `addr` lies in a region of the window: mapped, or faulted in by the handler.
    unsafe { read_volatile(addr as usize as *const u64) }
}

/// Writes a word through the MMU.
fn write(addr: u64, value: u64) {
    // SAFETY: as `read`; the region is writable (or the fault copies it).
    unsafe { write_volatile(addr as usize as *mut u64, value) }
}

/// The strategy of each span of the window, in span order.
pub const SPAN_STRATEGIES: [StrategyKind; STRATEGIES] = [
    StrategyKind::Cmpxchg,
    StrategyKind::LockBitSpin,
    StrategyKind::LockBitRefault,
    StrategyKind::SplitLock,
    StrategyKind::MmLock,
];

/// A strategy's event counters.
struct StatsOf;
impl<A: Arch> StrategyVisitor<A> for StatsOf {
    type Output = Counts;
    fn visit<S: Strategy<A>>(self, strategy: &S) -> Counts {
        strategy.stats().snapshot()
    }
}

/// The strategies: a plain static, as a kernel keeps them (their constructors are `const`).
static STRATEGY_SET: Strategies = Strategies::new();
static BARRIER: Barrier = Barrier::new();

/// Runs `v` with the strategy of span `s`.
pub fn with_strategy<A: LockBit + pte_core::Cmpxchg, V: StrategyVisitor<A>>(
    s: usize,
    v: V,
) -> V::Output {
    STRATEGY_SET.with(SPAN_STRATEGIES[s], v)
}

/// Name of strategy `s`.
pub fn strategy_name(s: usize) -> &'static str {
    SPAN_STRATEGIES[s].name()
}

/// The library's counters of strategy `s`.
pub fn strategy_counts<A: LockBit + pte_core::Cmpxchg>(s: usize) -> Counts {
    with_strategy::<A, _>(s, StatsOf)
}

/// How faults were resolved, per strategy and CPU (the kernel's own count, to be compared
/// with the library's `Stats`).
pub struct CpuCounts {
    /// By [`Resolved`] kind, in [`KINDS`] order.
    pub kinds: [AtomicU64; KINDS.len()],
}

/// The counter of `kind` (its position in [`KINDS`]).
fn kind_index(kind: Resolved) -> usize {
    match kind {
        Resolved::Anonymous => 0,
        Resolved::File => 1,
        Resolved::CopyOnWrite => 2,
        Resolved::SwapIn => 3,
        Resolved::Nonlinear => 4,
        Resolved::AccessDirty => 5,
        Resolved::AlreadyDone => 6,
    }
}

/// The [`Resolved`] kinds, in counter order.
pub const KINDS: [Resolved; 7] = [
    Resolved::Anonymous,
    Resolved::File,
    Resolved::CopyOnWrite,
    Resolved::SwapIn,
    Resolved::Nonlinear,
    Resolved::AccessDirty,
    Resolved::AlreadyDone,
];

static COUNTS: [[CpuCounts; MAX_CPUS]; STRATEGIES] = [const {
    [const {
        CpuCounts {
            kinds: [const { AtomicU64::new(0) }; KINDS.len()],
        }
    }; MAX_CPUS]
}; STRATEGIES];

/// Faults of strategy `s` resolved as `kind`, on CPU `cpu`.
pub fn count(s: usize, cpu: usize, kind: Resolved) -> u64 {
    COUNTS[s][cpu].kinds[kind_index(kind)].load(Ordering::Relaxed)
}

/// Faults of strategy `s` resolved as `kind`, all CPUs.
pub fn total(s: usize, kind: Resolved, cpus: usize) -> u64 {
    (0..cpus).map(|c| count(s, c, kind)).sum()
}

/// Faults in a row at one address that find nothing to do before the handler gives up: the
/// MMU keeps faulting on an entry the library considers fine (a wrong permission or
/// attribute bit), which would otherwise spin until the run's timeout. Far above any run of
/// lost races (bounded by the CPUs faulting on one entry).
const STUCK_LIMIT: u64 = 100_000;

/// Per CPU: the last address that faulted and how many faults in a row there found nothing
/// to do (only the CPU itself touches its pair: Relaxed).
static STREAK: [(AtomicU64, AtomicU64); MAX_CPUS] =
    [const { (AtomicU64::new(0), AtomicU64::new(0)) }; MAX_CPUS];

/// Records a resolved fault; `false` when `cpu` has hit [`STUCK_LIMIT`] at `addr`.
fn making_progress(cpu: usize, addr: u64, kind: Resolved) -> bool {
    let (last, streak) = &STREAK[cpu];
    let page = addr >> PAGE_SHIFT;
    let previous = last.swap(page, Ordering::Relaxed);
    if kind != Resolved::AlreadyDone || previous != page {
        streak.store(0, Ordering::Relaxed);
        return true;
    }
    streak.fetch_add(1, Ordering::Relaxed) + 1 < STUCK_LIMIT
}

/// One fault through strategy `S`.
struct Resolve<'a, P: Platform> {
    p: &'a P,
    vma: Vma,
    fault: Fault,
}

impl<P: Platform> StrategyVisitor<P::A> for Resolve<'_, P> {
    type Output = Result<Resolved, pte_core::fault::FaultError>;
    fn visit<S: Strategy<P::A>>(self, strategy: &S) -> Self::Output {
        let env = Env {
            frames: &Frames(self.p),
            tables: &Walker(self.p),
            cache: &Cache(self.p),
            swap: &Swap(self.p),
        };
        // The refaults are the library's `Stats::retries`, reported per strategy.
        handle_retrying(strategy, &env, &self.vma, self.fault).0
    }
}

/// The page-fault handler's call: resolves a fault at `addr` through the library's fast path.
/// `true`: resolved, retry the access. `false`: not a fault the kernel can resolve (already
/// reported on the console); the caller reports its registers and ends the run.
pub fn page_fault<P: Platform>(p: &P, addr: u64, write: bool) -> bool {
    let cpus = p.cpus().min(MAX_CPUS);
    let cpu = p.cpu_id().min(MAX_CPUS - 1);
    let Some((s, region)) = locate::<P>(addr, cpus) else {
        say!(p, "cpu{cpu}: page fault at {addr:#x} outside the window");
        return false;
    };
    let go = Resolve {
        p,
        vma: vma::<P>(s, region, cpus),
        fault: Fault { addr, write },
    };
    let result = with_strategy::<P::A, _>(s, go);
    let counts = &COUNTS[s][cpu];
    match result {
        Ok(kind) => {
            counts.kinds[kind_index(kind)].fetch_add(1, Ordering::Relaxed);
            if !making_progress(cpu, addr, kind) {
                say!(
                    p,
                    "cpu{cpu}: {STUCK_LIMIT} faults in a row at {addr:#x} found nothing to do: the \
                     MMU and the library disagree about entry {:?}",
                    Walker(p).find(addr).map(|slot| slot.load())
                );
                return false;
            }
            // More rights on a present entry: drop a cached read-only or old translation, which
            // the architecture may keep (a new page, copy-on-write, was flushed by the library
            // through `TableWalker::flush_tlb`; an install over a non-present entry needs none).
            if kind == Resolved::AccessDirty {
                p.flush_tlb_page(addr & !(PAGE_SIZE as u64 - 1));
            }
            p.sync_tables();
            true
        }
        Err(e) => {
            say!(
                p,
                "cpu{cpu}: page fault at {addr:#x} ({}, {:?}, {}) not resolved: {e:?}",
                if write { "write" } else { "read" },
                region,
                strategy_name(s)
            );
            false
        }
    }
}

/// Prints a panic and ends the run as failed.
pub fn panic_report<P: Platform>(p: &P, info: &PanicInfo<'_>) -> ! {
    crate::console::line_unlocked(p, format_args!("cpu{}: PANIC: {info}", p.cpu_id()));
    p.exit(false)
}

/// Every CPU's life after boot: the workload for each strategy, then (boot CPU) the final
/// checks and the exit.
pub fn run<P: Platform>(p: &P) -> ! {
    let cpus = p.cpus().min(MAX_CPUS);
    let cpu = p.cpu_id();
    if cpu == 0 {
        frames::init();
        check::banner(p);
    }
    // The pool is ready once every CPU is past this.
    BARRIER.wait(cpus);
    for s in 0..STRATEGIES {
        strategy_phases(p, s, cpu, cpus);
    }
    if cpu == 0 {
        let pass = check::finish(p, cpus);
        p.exit(pass)
    }
    // The boot CPU ends the run.
    loop {
        spin_loop();
    }
}

/// The phases of one strategy (see the module doc).
fn strategy_phases<P: Platform>(p: &P, s: usize, cpu: usize, cpus: usize) {
    let own = |i: u64| cpu as u64 * PAGES_PER_CPU + i;
    if cpu == 0 {
        check::begin();
    }
    BARRIER.wait(cpus);
    // 1. fault
    for i in 0..PAGES_PER_CPU {
        let page = page_addr::<P>(s, Region::Disjoint, own(i));
        // The read fault maps a zeroed page, clean: the write below is the MMU's to record.
        for w in 0..PAGE_SIZE as u64 / 8 {
            check::word(
                p,
                page + w * 8,
                read(page + w * 8),
                0,
                "fresh anonymous page",
            );
        }
        check::clean_after_read(p, page);
        for w in 0..WORDS {
            write(anon_word_addr(page, w), anon_word(s, own(i), w));
        }
    }
    // All CPUs start on the shared pages together: concurrent faults on the same entries.
    BARRIER.wait(cpus);
    for i in 0..SHARED_PAGES {
        let page = page_addr::<P>(s, Region::Shared, i);
        write(page + cpu as u64 * 8, shared_word(s, i, cpu));
    }
    for region in [Region::FileShared, Region::FilePrivate] {
        for i in 0..FILE_PAGES {
            let page = page_addr::<P>(s, region, i);
            let last = PAGE_SIZE / 8 - 1;
            let file = region.file(s);
            check::word(p, page, read(page), file_word(file, i, 0), "file page");
            let end = page + (last as u64) * 8;
            check::word(p, end, read(end), file_word(file, i, last), "file page");
        }
    }
    BARRIER.wait(cpus);
    // 2. copy-on-write
    for i in (0..FILE_PAGES).filter(|i| *i as usize % cpus == cpu) {
        write(
            page_addr::<P>(s, Region::FilePrivate, i) + 8,
            private_word(s, i),
        );
    }
    BARRIER.wait(cpus);
    if cpu == 0 {
        check::after_faults(p, s, cpus);
        check::make_old(p, s, cpus);
    }
    BARRIER.wait(cpus);
    // 3. accessed
    for i in 0..PAGES_PER_CPU {
        read(page_addr::<P>(s, Region::Disjoint, own(i)));
    }
    for i in (0..FILE_PAGES).filter(|i| *i as usize % cpus == cpu) {
        read(page_addr::<P>(s, Region::FileShared, i));
    }
    BARRIER.wait(cpus);
    if cpu == 0 {
        check::young_again(p, s, cpus);
        check::swap_out(p, s, cpus);
    }
    BARRIER.wait(cpus);
    // 5. swap-in: every shared page first (all CPUs race on these), then the own pages
    for i in 0..SHARED_PAGES {
        let page = page_addr::<P>(s, Region::Shared, i);
        for c in 0..cpus {
            let at = page + c as u64 * 8;
            check::word(
                p,
                at,
                read(at),
                shared_word(s, i, c),
                "swapped-in shared page",
            );
        }
    }
    for i in 0..PAGES_PER_CPU {
        let page = page_addr::<P>(s, Region::Disjoint, own(i));
        for w in 0..WORDS {
            let at = anon_word_addr(page, w);
            check::word(p, at, read(at), anon_word(s, own(i), w), "swapped-in page");
        }
    }
    BARRIER.wait(cpus);
    if cpu == 0 {
        check::after_swap_in(p, s, cpus);
    }
    BARRIER.wait(cpus);
}
