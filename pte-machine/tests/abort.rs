//! Reviewer's test (own binary: on the commit under review it aborts the process).

use arch_ia64_sim::Ia64_2_6_8;
use pte_core::fault::{Backing, MmLock};
use pte_machine::{Machine, Profile, RunError};
use pte_sim::{AddressSpace, Config};

const PAGE: u64 = 1 << 14;
const REGION: u64 = 1 << 30;

/// R3. One virtual CPU panics while the others are inside the fault path. The others are
/// unwound with `Aborted` from `wait_for`; unwinding drops the fault path's `ReadGuard`
/// (mmap_sem), whose `Drop` calls the access hook, whose `catch_up` hands the token to a
/// CPU with a smaller clock and calls `wait_for` again, which sees `panic` set and
/// `resume_unwind`s *during unwinding*: "panic in a destructor during cleanup", the process
/// aborts instead of `run` returning `Err(Panicked)`.
#[test]
fn a_panicking_cpu_makes_run_return_an_error() {
    let m = Machine::new(Profile::find("altix-32").unwrap());
    let threads = 16u64;
    let pages = 64u64;
    let space = AddressSpace::<Ia64_2_6_8, MmLock>::new(
        MmLock::new(),
        Config {
            frames: (threads * pages + 64) as usize,
            max_tables: 4096,
            tlb: false, // the machine does not see the TLB locks
            ..Config::default()
        },
    );
    for t in 0..threads {
        space
            .map(REGION * (t + 1), pages, Backing::Anonymous, true)
            .unwrap();
    }
    let r = m.run("mm-lock", threads as usize, |t| {
        for i in 0..pages {
            if t == 3 && i == 5 {
                panic!("thread 3 gives up");
            }
            space.write(REGION * (t as u64 + 1) + i * PAGE, 7).unwrap();
        }
    });
    match r {
        Err(RunError::Panicked(m)) => assert!(m.contains("gives up"), "{m}"),
        other => panic!("expected Panicked, got {:?}", other.map(|o| o.makespan)),
    }
}
