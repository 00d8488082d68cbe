//! Reviewer's tests: each one fails on the commit under review (07ba69a).

use arch_ia64_sim::Ia64_2_6_8;
use pte_core::fault::lock::RawSpinLock;
use pte_core::fault::{Backing, Leaf, LockBitSpin, Step, Strategy};
use pte_core::probe::{self, Work};
use pte_core::{Pte, PteSlot};
use pte_machine::{Machine, Outcome, Profile};
use pte_sim::{AddressSpace, Config};

const PAGE: u64 = 1 << 14;
const REGION: u64 = 1 << 30;

/// R1. A spinner in `LockBitSpin::install_empty` bumps `stats.spins` *after* its failed
/// lock attempt and *before* `relax()`, so the machine parks it on the Stats counter line,
/// not on the entry. The holder's unlocking store does not wake it; when nothing else is
/// ready it is "idle-resumed" at its own old clock + one hit (`pass_on`), i.e. *before* the
/// store it then observes. (When the release is an upgrade miss, `busy_until` happens to
/// push the re-load past it; here the holder already owns the line because it wrote the
/// neighbouring entry, so the release is a hit and nothing masks the time travel.)
#[test]
fn a_lock_bit_spinner_does_not_see_the_release_before_it_happens() {
    #[repr(C, align(128))]
    struct Line([PteSlot<Ia64_2_6_8>; 2]);
    let m = Machine::new(Profile::find("altix-32").unwrap());
    let line = Line([PteSlot::default(), PteSlot::default()]);
    let ptl = RawSpinLock::new();
    let s = LockBitSpin::new();
    let leaf = Leaf {
        slot: &line.0[0],
        ptl: &ptl,
    };
    let out = m
        .run(<LockBitSpin as Strategy<Ia64_2_6_8>>::NAME, 2, |t| {
            if t == 0 {
                line.0[0].try_lock_none().unwrap();
                // Let the other CPU find the bit held, then write the neighbour entry (the
                // same 128-byte line: this CPU owns the line again).
                probe::work(Work::FaultExit);
                probe::work(Work::FaultExit);
                line.0[1].store(Pte::file(9).unwrap());
                // Hold the lock bit for ~320 us of virtual time (zeroing 1 MiB).
                probe::work(Work::ZeroPage { bytes: 1 << 20 });
                line.0[0].store_unlocking(Pte::file(5).unwrap());
                "holder"
            } else {
                // Arrive after the holder took the bit.
                probe::work(Work::FaultExit);
                match s.install_empty(&leaf, || Some((Pte::file(6).unwrap(), ())), |_| {}) {
                    Step::Lost(_) => "lost",
                    Step::Installed => "installed",
                    _ => "other",
                }
            }
        })
        .unwrap();
    eprintln!(
        "{:?} clocks {:?} ops {} switches {} lines {:#?}",
        out.results, out.clocks, out.operations, out.switches, out.lines
    );
    assert_eq!(out.results, ["holder", "lost"]);
    // Thread 1 lost to thread 0's releasing store, so it cannot have finished before it.
    assert!(
        out.clocks[1] >= out.clocks[0],
        "the spinner finished at {} ps, before the release it observed (~{} ps)",
        out.clocks[1],
        out.clocks[0],
    );
}

/// R2. Host-address dependence: `Stats` (5 counters, 40 bytes) is keyed by host address /
/// line size, so whether `spins` shares a line with `faults` depends on where the caller put
/// the address space. Spinners park on that line (R1), so who wakes whom, and every number,
/// depends on the host address.
#[test]
fn results_do_not_depend_on_where_the_space_lives() {
    #[repr(C)]
    struct At<const N: usize> {
        _pad: [u64; N],
        space: AddressSpace<Ia64_2_6_8, LockBitSpin>,
    }
    fn one<const N: usize>(m: &Machine) -> (u64, Vec<u64>, u64, u64) {
        let b = Box::new(At::<N> {
            _pad: [0; N],
            space: AddressSpace::new(
                LockBitSpin::new(),
                Config {
                    frames: 4096,
                    max_tables: 4096,
                    tlb: false, // the machine does not see the TLB locks
                    ..Config::default()
                },
            ),
        });
        let space = &b.space;
        space.map(REGION, 64, Backing::Anonymous, true).unwrap();
        let out: Outcome<()> = m
            .run("lock-bit-spin", 8, |_| {
                for i in 0..64 {
                    space.write(REGION + i * PAGE, 1).unwrap();
                }
            })
            .unwrap();
        let stats = &<LockBitSpin as Strategy<Ia64_2_6_8>>::stats(space.strategy()).spins
            as *const _ as usize;
        eprintln!(
            "pad {N}: stats.spins at {:#x} (mod 128 = {}), makespan {}",
            stats,
            stats % 128,
            out.makespan
        );
        (out.makespan, out.clocks, out.operations, out.switches)
    }
    let m = Machine::new(Profile::find("altix-32").unwrap());
    let base = one::<0>(&m);
    let others = [
        one::<1>(&m),
        one::<2>(&m),
        one::<3>(&m),
        one::<4>(&m),
        one::<5>(&m),
        one::<6>(&m),
        one::<7>(&m),
        one::<8>(&m),
        one::<9>(&m),
        one::<10>(&m),
        one::<11>(&m),
        one::<12>(&m),
        one::<13>(&m),
        one::<14>(&m),
        one::<15>(&m),
    ];
    for (i, o) in others.iter().enumerate() {
        assert_eq!(&base, o, "padding {} words changed the run", i + 1);
    }
}

/// R4. A modelled deadlock (a lock never released) is reported as `Err(Panicked)` — how long
/// does the DEADLOCK guard (2^20 idle resumptions) take in host time?
#[test]
fn a_deadlock_is_reported_quickly() {
    let m = Machine::new(Profile::find("altix-32").unwrap());
    let lock = RawSpinLock::new();
    let t0 = std::time::Instant::now();
    let r = m.run("mm-lock", 4, |t| {
        if t == 0 {
            lock.lock();
        } else {
            probe::work(Work::FaultExit);
            lock.lock();
        }
    });
    let host = t0.elapsed();
    eprintln!("{:?} after {host:?}", r.as_ref().map(|o| o.makespan));
    assert!(matches!(r, Err(pte_machine::RunError::Panicked(_))));
    assert!(host.as_secs() < 2, "{host:?}");
}

/// R5. 2.6.8, mm-lock: the walk `handle_mm_fault` makes before the handler holds the real
/// `page_table_lock` (the strategy's lock, `Config::walk_under_mm_lock`), so a fault that
/// arrives while another CPU holds it finishes only after the release. (The first version
/// charged a modelled hold of the line and ignored the real lock.)
#[test]
fn the_walk_waits_for_page_table_lock() {
    use arch_ia64_sim::Ia64_2_6_8;
    use pte_core::fault::{Backing, MmLock, Strategy};
    use pte_sim::{AddressSpace, Config};

    let m = Machine::new(Profile::find("altix-32").unwrap());
    let space = AddressSpace::<Ia64_2_6_8, MmLock>::new(
        MmLock::new(),
        Config {
            walk_under_mm_lock: true,
            tlb: false, // the machine does not see the TLB locks
            ..Config::default()
        },
    );
    let base = 1u64 << 30;
    space.map(base, 4, Backing::Anonymous, true).unwrap();
    let ptl = <MmLock as Strategy<Ia64_2_6_8>>::mm_lock(space.strategy()).expect("mm lock");
    let out = m
        .run("mm-lock", 2, |t| {
            if t == 0 {
                ptl.lock();
                probe::work(Work::ZeroPage { bytes: 1 << 20 }); // hold ~320 us
                ptl.unlock();
            } else {
                probe::work(Work::FaultExit); // arrive while it is held
                space.write(base, 1).unwrap(); // a fault: its walk takes page_table_lock
            }
        })
        .unwrap();
    assert!(
        out.clocks[1] >= out.clocks[0],
        "CPU 1 finished a fault at {} ps while CPU 0 held page_table_lock until {} ps",
        out.clocks[1],
        out.clocks[0]
    );
}

/// R6. coherence.rs: a load miss on an unowned line leaves the reader a *sharer* (no
/// Exclusive state), so its next store is an "upgrade" priced `transfer(cpu, home_cpu)`.
/// For the home CPU that is `level_of(c, c) == None` → 0 ps: the store is cheaper than a
/// hit (and is counted as a miss); for the home's neighbour it is a full node-level dirty
/// transfer (200 ns on Altix) although no data moves and nobody else holds the line.
#[test]
fn a_sole_readers_store_costs_at_least_a_hit() {
    use pte_core::probe::Access;
    use pte_machine::coherence::Coherence;
    use pte_machine::era::{Charge, LineKey, Modelled};
    let p = Profile::find("altix-32").unwrap();
    let key = LineKey::Named {
        what: Modelled::MmRss,
        node: 0,
    };
    let hit = (p.family.hit_ns.value * 1000.0) as u64;
    let mut c = Coherence::new(&p);
    let t = c.access(&p, 0, 0, key, Access::Load, Charge::Coherent);
    let store = c.access(&p, 0, t, key, Access::Store, Charge::Coherent) - t;
    let miss = c.costs[&key].misses;
    eprintln!(
        "home CPU: store after its own sole load costs {store} ps (hit {hit} ps), misses {miss}"
    );
    assert!(
        store >= hit,
        "a store cost {store} ps, less than a hit ({hit} ps)"
    );
}

/// R8. Nobody waits on a Stats counter in a kernel (they are per-CPU), but the lock-bit
/// strategies bump a counter right before `relax()` (`spins` in LockBitSpin::load and
/// install_empty, `retries` before `Step::Retry` → `handle_retrying`'s relax), so the
/// machine parks them on the counter's line: their wait is charged to "Stats counters" and
/// they are woken by every other CPU's `faults.add(1)` instead of by the entry's release.
#[test]
fn nobody_spins_on_a_stats_counter() {
    fn same_page<S: Strategy<Ia64_2_6_8> + Default>(m: &Machine, threads: usize) -> Outcome<()> {
        let space = AddressSpace::<Ia64_2_6_8, S>::new(
            S::default(),
            Config {
                frames: 4096,
                max_tables: 4096,
                tlb: false, // the machine does not see the TLB locks
                ..Config::default()
            },
        );
        space.map(REGION, 32, Backing::Anonymous, true).unwrap();
        m.run(S::NAME, threads, |_| {
            for i in 0..32 {
                space.write(REGION + i * PAGE, 1).unwrap();
            }
        })
        .unwrap()
    }
    let m = Machine::new(Profile::find("altix-32").unwrap());
    for (name, out) in [
        (
            "lock-bit-refault",
            same_page::<pte_core::fault::LockBitRefault>(&m, 16),
        ),
        ("lock-bit-spin", same_page::<LockBitSpin>(&m, 16)),
    ] {
        let stats = out
            .lines
            .iter()
            .find(|(k, _)| k.starts_with("Stats counters"))
            .map_or(0, |(_, c)| c.spinning);
        let pte = out
            .lines
            .iter()
            .find(|(k, _)| k.starts_with("pte lines"))
            .map_or(0, |(_, c)| c.spinning);
        eprintln!("{name}: spinning on Stats counters {stats} ps, on pte lines {pte} ps");
        assert_eq!(
            stats, 0,
            "{name}: {stats} ps of spinning on a per-CPU counter"
        );
    }
}

/// R10. Swap slots are a plain `Box<[Slot]>` (32-byte slots, malloc-aligned), not `Aligned`
/// like the tables, cache and frame metadata: which slots share a coherence line depends on
/// where the allocator put the array, so a run that swaps is not the same on every host /
/// heap state. Here the heap state is varied by a live junk allocation before the space.
#[test]
fn a_swapping_run_does_not_depend_on_the_heap() {
    fn one(m: &Machine, junk: usize) -> (u64, Vec<u64>, u64) {
        let _junk: Vec<Box<[u8]>> = (0..junk)
            .map(|k| vec![0u8; 24 + 16 * k].into_boxed_slice())
            .collect();
        let space = AddressSpace::<Ia64_2_6_8, pte_core::fault::Cmpxchg>::new(
            pte_core::fault::Cmpxchg::new(),
            Config {
                frames: 256,
                swap_slots: 64,
                max_tables: 256,
                tlb: false, // the machine does not see the TLB locks
                ..Config::default()
            },
        );
        space.map(REGION, 32, Backing::Anonymous, true).unwrap();
        let out = m
            .run("cmpxchg", 8, |t| {
                for i in 0..4 {
                    let a = REGION + (t as u64 * 4 + i) * PAGE;
                    space.write(a, 1).unwrap();
                    space.swap_out(a);
                    assert_eq!(space.read(a), Ok(1));
                }
            })
            .unwrap();
        (out.makespan, out.clocks, out.operations)
    }
    let m = Machine::new(Profile::find("altix-32").unwrap());
    let base = one(&m, 0);
    for junk in 1..24 {
        let o = one(&m, junk);
        assert_eq!(base, o, "junk {junk} changed the run");
    }
}
