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
//!    first, racing on them;
//! 6. on a kernel that forks ([`Platform::FORK`]): the phases of [`crate::fork`].

use core::hint::spin_loop;
use core::panic::PanicInfo;
use core::sync::atomic::{AtomicU64, Ordering};

use pte_core::fault::{Env, Fault, Resolved, Strategy, StrategyVisitor, Vma, handle_retrying};

use crate::cache::{Cache, FILE_PAGES, file_word};
use crate::check;
use crate::frames::{self, Frames};
use crate::plan::{
    PAGES_PER_CPU, Region, SHARED_PAGES, STRATEGIES, WORDS, anon_word, anon_word_addr, locate,
    page_addr, private_word, read, shared_word, strategy_name, vma_in, with_strategy, write,
};
use crate::swap::Swap;
use crate::sync::{BARRIER, boot_cpu_alone};
use crate::tables::Walker;
use crate::tally;
use crate::{MAX_CPUS, PAGE_SHIFT, PAGE_SIZE, Platform, say};

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
    let Some((s, space, region)) = locate::<P>(addr, cpus) else {
        say!(p, "cpu{cpu}: page fault at {addr:#x} outside the window");
        return false;
    };
    let go = Resolve {
        p,
        vma: vma_in::<P>(s, space, region, cpus),
        fault: Fault { addr, write },
    };
    // The address space's `mmap_lock` for read: fork (holding it for write) excludes the
    // faults of the space it copies.
    let mm = &crate::fork::MMAP_LOCK[space as usize];
    mm.read();
    let result = with_strategy::<P::A, _>(s, go);
    mm.read_unlock();
    match result {
        Ok(kind) => {
            tally::record(s, cpu, kind);
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
        let pass = check::finish(p, cpus, || {
            if P::FORK && cpus >= 2 {
                crate::fork::report(p);
            }
        });
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
    boot_cpu_alone(cpu, cpus, || {
        check::after_faults(p, s, cpus);
        check::make_old(p, s, cpus);
    });
    // 3. accessed
    for i in 0..PAGES_PER_CPU {
        read(page_addr::<P>(s, Region::Disjoint, own(i)));
    }
    for i in (0..FILE_PAGES).filter(|i| *i as usize % cpus == cpu) {
        read(page_addr::<P>(s, Region::FileShared, i));
    }
    boot_cpu_alone(cpu, cpus, || {
        check::young_again(p, s, cpus);
        check::swap_out(p, s, cpus);
    });
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
    boot_cpu_alone(cpu, cpus, || {
        check::after_swap_in(p, s, cpus);
    });
    if P::FORK && cpus >= 2 {
        crate::fork::phases(p, s, cpu, cpus);
    }
}
