//! The machine's properties on the fault path: exact repetition, and the 2004 result (the
//! mm lock collapses where the compare-and-swap fast path keeps scaling) on a 32-CPU Altix.

use arch_ia64_sim::Ia64_2_6_8;
use pte_core::fault::{Backing, Cmpxchg, MmLock, Strategy};
use pte_machine::{Machine, Outcome, Profile};
use pte_sim::{AddressSpace, Config};

const PAGE: u64 = 1 << 14;
const REGION: u64 = 1 << 30;

/// pft: each of `threads` writes one word per page of its own region of `pages` pages.
fn pft<S: Strategy<Ia64_2_6_8> + Default>(m: &Machine, threads: usize, pages: u64) -> Outcome<()> {
    let space = AddressSpace::<Ia64_2_6_8, S>::new(
        S::default(),
        Config {
            frames: (threads as u64 * pages + 64) as usize,
            max_tables: 4096,
            tlb: false, // the machine does not see the TLB locks
            ..Config::default()
        },
    );
    for t in 0..threads as u64 {
        space
            .map(REGION * (t + 1), pages, Backing::Anonymous, true)
            .unwrap();
    }
    let out = m
        .run(S::NAME, threads, |t| {
            for i in 0..pages {
                space.write(REGION * (t as u64 + 1) + i * PAGE, 7).unwrap();
            }
        })
        .unwrap();
    assert_eq!(space.counts().anonymous, threads as u64 * pages);
    out
}

fn rate(out: &Outcome<()>, faults: u64) -> f64 {
    faults as f64 / (out.makespan as f64 / 1e12)
}

#[test]
fn the_same_run_gives_the_same_numbers() {
    let m = Machine::new(Profile::find("altix-32").unwrap());
    let a = pft::<MmLock>(&m, 16, 8);
    let b = pft::<MmLock>(&m, 16, 8);
    assert_eq!(a.makespan, b.makespan);
    assert_eq!(a.clocks, b.clocks);
    assert_eq!(a.lines, b.lines);
    assert_eq!(a.operations, b.operations);
}

#[test]
fn the_mm_lock_collapses_where_cmpxchg_scales() {
    let m = Machine::new(Profile::find("altix-32").unwrap());
    let pages = 8;
    let mm: Vec<f64> = [1, 4, 32]
        .map(|t| rate(&pft::<MmLock>(&m, t, pages), t as u64 * pages))
        .to_vec();
    let cas: Vec<f64> = [1, 4, 32]
        .map(|t| rate(&pft::<Cmpxchg>(&m, t, pages), t as u64 * pages))
        .to_vec();
    // One thread: the same fault path cost, whatever the strategy (within 2 %).
    assert!((mm[0] / cas[0] - 1.0).abs() < 0.02, "{mm:?} {cas:?}");
    // The mm lock: 32 threads fault slower than 4 (the 2004 collapse).
    assert!(mm[2] < mm[1], "mm-lock did not collapse: {mm:?}");
    // cmpxchg keeps scaling, and at 32 threads beats the mm lock several times over.
    assert!(cas[2] > cas[1] && cas[2] > 3.0 * mm[2], "{cas:?} vs {mm:?}");
}

#[test]
fn a_spinning_cpu_costs_no_host_work_per_virtual_spin() {
    // 32 CPUs on one lock: every fault waits. Parking spinners keeps the number of observed
    // operations per fault small; a busy spin would make it grow with the wait.
    let m = Machine::new(Profile::find("altix-32").unwrap());
    let pages = 8;
    let out = pft::<MmLock>(&m, 32, pages);
    let faults = 32 * pages;
    let per_fault = out.operations as f64 / faults as f64;
    let spun: u64 = out.lines.iter().map(|(_, c)| c.spinning).sum();
    assert!(spun > 0, "no CPU ever waited: the test does not test");
    assert!(per_fault < 200.0, "{per_fault} operations per fault");
}
