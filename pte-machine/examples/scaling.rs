//! pft on a machine, every strategy, threads 1..N: `cargo run --release -p pte-machine
//! --example scaling -- altix-512 [pages-per-thread]`.
use arch_ia64_sim::Ia64_2_6_8;
use pte_core::fault::{Backing, Cmpxchg, LockBitSpin, MmLock, SplitLock, Strategy};
use pte_machine::{Machine, Profile};
use pte_sim::{AddressSpace, Config};

fn pft<S: Strategy<Ia64_2_6_8> + Default>(
    m: &Machine,
    threads: usize,
    pages: u64,
) -> (f64, Vec<(&'static str, u64)>) {
    let ps = 1u64 << 14;
    let space = AddressSpace::<Ia64_2_6_8, S>::new(
        S::default(),
        Config {
            frames: (threads as u64 * pages + 64) as usize,
            max_tables: 4096,
            ..Config::default()
        },
    );
    let region = 1u64 << 30;
    for t in 0..threads as u64 {
        space
            .map(region * (t + 1), pages, Backing::Anonymous, true)
            .unwrap();
    }
    let out = m
        .run(S::NAME, threads, |t| {
            for i in 0..pages {
                space.write(region * (t as u64 + 1) + i * ps, 1).unwrap();
            }
        })
        .unwrap();
    let secs = out.makespan as f64 / 1e12;
    let faults = threads as f64 * pages as f64;
    let per_fault: Vec<_> = out
        .lines
        .iter()
        .take(3)
        .map(|(k, c)| (*k, c.total() / (faults as u64)))
        .collect();
    (faults / secs, per_fault)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let profile = Profile::find(args.get(1).map_or("altix-8", |s| s)).unwrap();
    let pages: u64 = args.get(2).map_or(64, |s| s.parse().unwrap());
    let cpus = profile.cpus;
    let m = Machine::new(profile);
    let mut t = 1;
    while t <= cpus {
        let start = std::time::Instant::now();
        let rows = [
            ("mm-lock", pft::<MmLock>(&m, t, pages)),
            ("split-lock", pft::<SplitLock>(&m, t, pages)),
            ("lock-bit-spin", pft::<LockBitSpin>(&m, t, pages)),
            ("cmpxchg", pft::<Cmpxchg>(&m, t, pages)),
        ];
        for (name, (fps, lines)) in rows {
            println!("{t:4} {name:14} {fps:12.0} {lines:?}");
        }
        eprintln!("  host {:?}", start.elapsed());
        t *= 2;
    }
}
