//! Multi-threaded simulator runs on real layouts (`cargo test -p pte-sim --test sim_stress`):
//! user threads fault and access memory while a reclaimer (swap-out, unmap, `clear_young`,
//! re-remap), a zapper and the MMU's own A/D updates race with them; then every invariant is
//! checked, and that every fault kind the layout supports was resolved at least once (see
//! `pte_sim::stress`).
//!
//! The matrix: every layout of `pte_layouts::for_each_layout!` (hardware A/D where the layout
//! has the choice), plus aarch64/6.6 without HAFDBS, × every strategy of the set the layout
//! has (all five with a lock bit; i386/2.6.8 has none: the three strategies that need none).
//! Test `layout::strategy`, e.g. `aarch64_3_18::lock_bit_spin`.
//! Thread counts cycle through 2, 4 and 8 across the matrix.
//!
//! Environment:
//! * `SIM_ROUNDS` — operations per thread (default 8000; under Miri 12);
//! * `SIM_SCALE` — divides the rounds (default 10 when the tests are not built for x86_64,
//!   i.e. under qemu-user, which is 10–30× slower; 1 otherwise);
//! * `SIM_THREADS` — overrides every test's thread count;
//! * `SIM_PRINT=1` — prints each report (`-- --nocapture`).
//!
//! `stress_totals_by_strategy` prints a table of per-strategy totals (`-- --nocapture`).
//! Under Miri only the two `small::*` runs are kept:
//! `MIRIFLAGS=-Zmiri-strict-provenance cargo +nightly miri test -p pte-sim --test sim_stress`.

use std::fmt::Write as _;

use arch_aarch64::{Aarch64_6_6, Aarch64Lpa2_6_18};
use arch_i386::I386Pae2_6_8;
use arch_ia64_sim::{Ia64_2_6_8, Ia64_6_6};
use arch_x86_64::{X86_64_2_6_8, X86_64_6_6};
use pte_core::fault::{
    Cmpxchg, LockBitRefault, LockBitSpin, NewStrategyVisitor, Resolved, Strategy, StrategyKind,
};
use pte_core::{Arch, CompareExchange, LockBit};
use pte_sim::stress::StressConfig;
use pte_sim::{Config, Report, stress};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Operations per thread of a matrix run.
fn rounds() -> u64 {
    if cfg!(miri) {
        return env("SIM_ROUNDS", 12);
    }
    let scale = env(
        "SIM_SCALE",
        if cfg!(target_arch = "x86_64") { 1 } else { 10 },
    );
    (env("SIM_ROUNDS", 8000) / scale.max(1)).max(1)
}

/// Below this many rounds per thread only the kinds that every run must resolve are
/// asserted ([`MUST`]; software accessed/dirty faults need an aged or clean page touched
/// again, which a short run may not do).
const THOROUGH_ROUNDS: u64 = 300;

/// The kinds every run resolves, however short: the first touch of an anonymous, file or
/// nonlinear page faults (the nonlinear entries are all file entries when the threads
/// start), and each worker's final sweep waits for the reclaimer to swap out an owned page,
/// then touches every page (a swap-in), and copies one of its private pages on write if
/// nobody did.
const MUST: [Resolved; 5] = [
    Resolved::Anonymous,
    Resolved::File,
    Resolved::CopyOnWrite,
    Resolved::SwapIn,
    Resolved::Nonlinear,
];

/// The matrix's shape with `threads` user threads.
fn shape(threads: usize) -> StressConfig {
    StressConfig {
        threads: env("SIM_THREADS", threads as u64) as usize,
        rounds: rounds(),
        owned_pages: 4,
        file_pages: 3,
        private_pages: 6,
        nonlinear_pages: 3,
        contended_pages: 2,
        ..StressConfig::default()
    }
}

/// `base` with one contended page and nothing else, zapped but not reclaimed: every install
/// races every other.
fn one_contended_page(base: StressConfig) -> StressConfig {
    StressConfig {
        owned_pages: 0,
        file_pages: 0,
        private_pages: 0,
        nonlinear_pages: 0,
        contended_pages: 1,
        reclaim: false,
        zap: true,
        ..base
    }
}

/// The shape of the `small::*` runs (the ones kept under Miri).
fn small() -> StressConfig {
    StressConfig {
        threads: 2,
        rounds: if cfg!(miri) { rounds() } else { 200 },
        owned_pages: 2,
        file_pages: 1,
        private_pages: 2,
        nonlinear_pages: 2,
        contended_pages: 1,
        ..StressConfig::default()
    }
}

/// Runs `st` on a new address space and asserts the invariants and the fault kinds.
fn run<A: Arch + CompareExchange, S: Strategy<A>>(
    strategy: S,
    hafdbs: bool,
    st: &StressConfig,
) -> Report {
    let config = Config {
        hafdbs,
        ..st.config()
    };
    run_with::<A, S>(strategy, config, st)
}

/// [`run`] with a [`Config`] of its own (another geometry).
fn run_with<A: Arch + CompareExchange, S: Strategy<A>>(
    strategy: S,
    config: Config,
    st: &StressConfig,
) -> Report {
    // A strategy that cannot copy a mapped page here (the lock-free one on i386/2.6.8, which
    // has no break-marker bit) refuses every copy-on-write: no private region for it.
    let without_private;
    let st = if strategy.can_replace_flushed() {
        st
    } else {
        without_private = StressConfig {
            private_pages: 0,
            ..st.clone()
        };
        &without_private
    };
    let hafdbs = config.hafdbs;
    let tlb = config.tlb;
    let r = stress::run::<A, S>(strategy, config, st);
    if std::env::var_os("SIM_PRINT").is_some() {
        eprintln!("{} threads × {} rounds: {r}", st.threads, st.rounds);
    }
    assert!(
        r.is_ok(),
        "{} threads × {} rounds: invariants violated:\n{r}",
        st.threads,
        st.rounds
    );
    assert!(r.space.mmu.accesses >= st.rounds, "{r}");
    if tlb {
        // The workers read back what they wrote through their own TLBs, and reclaim and
        // zap shoot translations down under them.
        assert!(r.space.mmu.tlb_hits > 0, "no TLB hit: {r}");
        if st.reclaim || st.zap {
            assert!(r.space.mmu.shootdowns > 0, "no shootdown: {r}");
        }
    }
    let thorough = !cfg!(miri) && st.rounds >= THOROUGH_ROUNDS;
    let missing: Vec<Resolved> = st
        .missing_kinds::<A>(hafdbs, &r)
        .into_iter()
        .filter(|k| thorough || MUST.contains(k))
        .collect();
    assert!(
        missing.is_empty(),
        "{} threads × {} rounds: fault kinds never resolved: {missing:?} (of {:?})\n{r}",
        st.threads,
        st.rounds,
        st.kinds::<A>(hafdbs)
    );
    r
}

/// Thread counts of the matrix: column `col` of a row rotated by `rot`.
const THREADS: [usize; 3] = [2, 4, 8];

/// [`run`] with a new strategy of the chosen type.
struct Run<'a> {
    hafdbs: bool,
    st: &'a StressConfig,
}

impl<A: Arch + CompareExchange> NewStrategyVisitor<A> for Run<'_> {
    type Output = Report;
    fn visit<S: Strategy<A>>(self, new: fn() -> S) -> Report {
        run::<A, S>(new(), self.hafdbs, self.st)
    }
}

/// The strategy a matrix test is named after (its name with `_` for `-`).
fn kind(test: &str) -> StrategyKind {
    StrategyKind::from_name(&test.replace('_', "-"))
        .unwrap_or_else(|| panic!("no strategy is called {test}"))
}

/// The cell of the matrix for strategy `test` (the test's name) on layout `A`.
fn locked<A: LockBit + CompareExchange>(test: &str, hafdbs: bool, rot: usize) {
    let kind = kind(test);
    let st = shape(threads(kind, rot));
    kind.with_new::<A, _>(Run { hafdbs, st: &st });
}

/// [`locked`] for a layout without a lock bit.
fn plain<A: Arch + CompareExchange>(test: &str, hafdbs: bool, rot: usize) {
    let kind = kind(test);
    let st = shape(threads(kind, rot));
    kind.try_with_new::<A, _>(Run { hafdbs, st: &st })
        .unwrap_or_else(|e| panic!("{e}"));
}

/// The thread count of a cell: the column is the declaration order (cmpxchg first).
fn threads(kind: StrategyKind, rot: usize) -> usize {
    THREADS[(rot + kind as usize) % THREADS.len()]
}

/// The rotation of layout `A`'s row: its place in [`pte_layouts::LAYOUTS`].
fn row<A: Arch>() -> usize {
    pte_layouts::LAYOUTS
        .iter()
        .position(|e| e.layout.name == A::LAYOUT.name)
        .unwrap_or_else(|| panic!("{} is not listed", A::LAYOUT.name))
}

/// The strategies, once, as test names: calls `$callback!` with the arguments given and
/// `name: locked` (needs a lock bit) or `name: plain` per strategy, in
/// [`StrategyKind::ALL`] order. `strategies_are_strategy_kind_all` checks it against the set
/// (and a new kind fails to compile below until it is listed here).
macro_rules! for_each_strategy {
    ($callback:ident!($($args:tt)*)) => {
        $callback! {
            $($args)*
            mm_lock: plain,
            split_lock: plain,
            lock_bit_refault: locked,
            lock_bit_spin: locked,
            cmpxchg: plain,
        }
    };
}

macro_rules! count {
    ($($s:ident: $needs:ident,)*) => {
        [$(stringify!($s)),*].len()
    };
}
const _: () = assert!(for_each_strategy!(count!()) == StrategyKind::ALL.len());

macro_rules! names {
    ($($s:ident: $needs:ident,)*) => {
        [$((stringify!($s), stringify!($needs))),*]
    };
}

/// The list of [`for_each_strategy!`] is [`StrategyKind::ALL`], in order, and says which
/// strategies need a lock bit.
#[test]
fn strategies_are_strategy_kind_all() {
    let listed = for_each_strategy!(names!());
    assert_eq!(listed.len(), StrategyKind::ALL.len());
    for ((name, needs), kind) in listed.into_iter().zip(StrategyKind::ALL) {
        assert_eq!(self::kind(name), kind, "{name}");
        assert_eq!(needs == "locked", kind.needs_lock_bit(), "{name}");
    }
}

/// One test per strategy the row's layout has (`locked`: every strategy, `plain`: those
/// that need no lock bit), named after the strategy.
macro_rules! cells {
    ($lock:ident, $a:ty, $hafdbs:expr, $rot:expr; $($s:ident: $needs:ident,)*) => {$(
        cells!(@cell $lock $needs $s, $a, $hafdbs, $rot);
    )*};
    (@cell plain locked $($rest:tt)*) => {};
    (@cell $lock:ident $needs:ident $s:ident, $a:ty, $hafdbs:expr, $rot:expr) => {
        #[test]
        #[cfg_attr(miri, ignore = "about half a minute per run under Miri: see `small::*`")]
        fn $s() {
            $lock::<$a>(stringify!($s), $hafdbs, $rot);
        }
    };
}

/// One module per layout of [`pte_layouts::for_each_layout!`], with hardware A/D where the
/// layout has the choice, rotated by its place in the list.
macro_rules! matrix {
    ($($id:ident => $a:ty, $dir:literal, $lock:ident;)*) => {$(
        mod $id {
            use super::*;
            for_each_strategy!(cells!($lock, $a, true, row::<$a>();));
        }
    )*};
}

// The any-state bit-spinlock (`lock_bit_spin` on x86_64/2.6.8, ia64/6.6, aarch64) with an MMU
// that sets A/D ignoring the bit (x86), or dirties by *clearing* `PTE_RDONLY` (aarch64 with
// HAFDBS): every release must keep what the MMU did meanwhile. The window is narrow and this
// MMU re-walks every access (no TLB), so a run rarely shows it;
// `sim_units::lock_bit_spin_replace_vs_dbm_dirty` shows it every time. With software A/D
// (ia64; aarch64 without HAFDBS, 3.18) the MMU writes nothing. The eras before Linux 4.0
// (2.6.8, aarch64/3.18) have nonlinear file entries (`remap_file_pages`); no bit of
// i386/2.6.8 can be a lock bit.
pte_layouts::for_each_layout!(matrix);

/// aarch64/6.6 without HAFDBS too (software A/D); the row after the listed ones.
mod aarch64_6_6_no_hafdbs {
    use super::*;
    for_each_strategy!(cells!(
        locked,
        Aarch64_6_6,
        false,
        pte_layouts::LAYOUTS.len();
    ));
}

/// Tiny runs, the only ones kept under Miri: both lock-bit disciplines, hardware and
/// software A/D, file entries.
mod small {
    use super::*;

    /// Any-state bit-spinlock, hardware A/D, nonlinear.
    #[test]
    fn x86_64_2_6_8_lock_bit_spin() {
        run::<X86_64_2_6_8, _>(LockBitSpin::new(), true, &small());
    }

    /// None-only lock bit with refaults, software A/D, nonlinear; 4K pages (a quarter of
    /// the default 16K's words to zero and copy under Miri).
    #[test]
    fn ia64_2_6_8_4k_lock_bit_refault() {
        let st = small();
        let geometry = Ia64_2_6_8::LAYOUT
            .geometries
            .iter()
            .position(|g| g.name == "4K/3-level")
            .expect("ia64/2.6.8 has 4K pages");
        let config = Config {
            geometry,
            ..st.config()
        };
        let r = run_with::<Ia64_2_6_8, _>(LockBitRefault::new(), config, &st);
        assert_eq!(r.geometry, "4K/3-level");
    }
}

/// Lameter's pft-like case: every thread faults the same fresh pages at once.
#[test]
#[cfg_attr(miri, ignore = "see `small::*`")]
fn install_races_are_counted() {
    let st = one_contended_page(shape(4));
    let r = stress::run::<X86_64_6_6, _>(Cmpxchg::new(), st.config(), &st);
    r.assert_ok();
    assert!(r.space.zaps > 0, "{r}");
    assert_eq!(st.missing_kinds::<X86_64_6_6>(true, &r), [], "{r}");
}

/// arm64 LPA2 with the frame pool above 2^50 bytes (PFNs from 3 << 38, so `PA[51:50]` is in
/// bits 8–9 of every entry): threads, the MMU's AF and DBM writes, swap-out and zap under the
/// any-state bit-spinlock must all keep the PFN's top bits.
#[test]
#[cfg_attr(miri, ignore = "see `small::*`")]
fn aarch64_lpa2_frames_above_2_pow_50() {
    let st = shape(4);
    let config = Config {
        hafdbs: true,
        base_pfn: 3 << 38,
        ..st.config()
    };
    run_with::<Aarch64Lpa2_6_18, _>(LockBitSpin::new(), config, &st);
}

/// The same run with the TLBs off (`Config::tlb`, as under a virtual-time machine): every
/// access walks, no hit or shootdown is counted.
#[test]
#[cfg_attr(miri, ignore = "see `small::*`")]
fn tlb_off() {
    let st = shape(4);
    let config = Config {
        tlb: false,
        ..st.config()
    };
    let r = run_with::<X86_64_6_6, _>(Cmpxchg::new(), config, &st);
    assert_eq!(
        (r.space.mmu.tlb_hits, r.space.mmu.shootdowns),
        (0, 0),
        "{r}"
    );
}

// ---------------------------------------------------------------- totals

/// Per-strategy sums of the counters of several runs.
#[derive(Clone, Copy, Debug, Default)]
struct Totals {
    runs: u64,
    faults: u64,
    retries: u64,
    lost_races: u64,
    frees: u64,
    spins: u64,
    anonymous: u64,
    file: u64,
    cow: u64,
    swap_ins: u64,
    swap_outs: u64,
    nonlinear: u64,
    access_dirty: u64,
    already_done: u64,
    populate_races: u64,
    mmu_revalidations: u64,
}

impl Totals {
    fn add(&mut self, r: &Report) {
        let (f, s) = (&r.fast_path, &r.space);
        self.runs += 1;
        self.faults += f.faults;
        self.retries += f.retries;
        self.lost_races += f.lost_races;
        self.frees += f.frees;
        self.spins += f.spins;
        self.anonymous += s.anonymous;
        self.file += s.file;
        self.cow += s.copy_on_write;
        self.swap_ins += s.swap_in;
        self.swap_outs += s.swap_outs;
        self.nonlinear += s.nonlinear;
        self.access_dirty += s.access_dirty;
        self.already_done += s.already_done;
        self.populate_races += r.tables.races;
        self.mmu_revalidations += s.mmu.revalidations;
    }

    const HEADER: [&'static str; 16] = [
        "runs",
        "faults",
        "retries",
        "lost",
        "frees",
        "spins",
        "anon",
        "file",
        "cow",
        "swap-in",
        "swap-out",
        "nonlin",
        "a/d",
        "already",
        "tbl-race",
        "mmu-reval",
    ];

    fn cells(&self) -> [u64; 16] {
        [
            self.runs,
            self.faults,
            self.retries,
            self.lost_races,
            self.frees,
            self.spins,
            self.anonymous,
            self.file,
            self.cow,
            self.swap_ins,
            self.swap_outs,
            self.nonlinear,
            self.access_dirty,
            self.already_done,
            self.populate_races,
            self.mmu_revalidations,
        ]
    }
}

fn table(title: &str, rows: &[(String, Totals)]) -> String {
    let first = rows
        .iter()
        .map(|(n, _)| n.len())
        .max()
        .unwrap_or(0)
        .max(title.len());
    let mut out = format!("{title:<first$}");
    for h in Totals::HEADER {
        write!(out, " {h:>9}").unwrap();
    }
    out.push('\n');
    for (name, t) in rows {
        write!(out, "{name:<first$}").unwrap();
        for c in t.cells() {
            write!(out, " {c:>9}").unwrap();
        }
        out.push('\n');
    }
    out
}

/// Every strategy on layout `A`, same shape and seed, in [`StrategyKind::ALL`] order.
fn every_strategy<A: Arch + CompareExchange + LockBit>(
    hafdbs: bool,
    st: &StressConfig,
) -> [Report; StrategyKind::ALL.len()] {
    StrategyKind::ALL.map(|kind| kind.with_new::<A, _>(Run { hafdbs, st }))
}

/// Every strategy on one layout per architecture (the 6.6 ones, and i386-pae/2.6.8 for the
/// nonlinear entries), four threads each: the totals by strategy, and by layout and
/// strategy, printed (`-- --nocapture`). Only the invariants are asserted, never a count
/// that depends on timing.
#[test]
#[cfg_attr(miri, ignore = "see `small::*`")]
fn stress_totals_by_strategy() {
    let st = shape(4);
    let layouts: [(&str, [Report; StrategyKind::ALL.len()]); 5] = [
        ("x86_64/6.6", every_strategy::<X86_64_6_6>(true, &st)),
        ("i386-pae/2.6.8", every_strategy::<I386Pae2_6_8>(true, &st)),
        ("ia64/6.6", every_strategy::<Ia64_6_6>(true, &st)),
        (
            "aarch64/6.6+hafdbs",
            every_strategy::<Aarch64_6_6>(true, &st),
        ),
        (
            "aarch64/6.6-hafdbs",
            every_strategy::<Aarch64_6_6>(false, &st),
        ),
    ];
    let mut by_strategy = [Totals::default(); StrategyKind::ALL.len()];
    let mut by_layout = Vec::new();
    for (layout, reports) in &layouts {
        for (i, r) in reports.iter().enumerate() {
            by_strategy[i].add(r);
            let mut t = Totals::default();
            t.add(r);
            by_layout.push((format!("{layout} {}", StrategyKind::ALL[i].name()), t));
        }
    }
    let by_strategy: Vec<(String, Totals)> = StrategyKind::ALL
        .iter()
        .zip(by_strategy)
        .map(|(s, t)| (s.name().to_string(), t))
        .collect();
    println!(
        "stress totals: {} threads × {} rounds, {} layouts\n{}\n{}",
        st.threads,
        st.rounds,
        layouts.len(),
        table("strategy", &by_strategy),
        table("layout strategy", &by_layout)
    );
    for (s, t) in &by_strategy {
        assert_eq!(t.runs, layouts.len() as u64, "{s}");
        assert!(t.frees <= t.lost_races, "{s}: {t:?}");
    }
}

// ---------------------------------------------------------------- negative control

/// Negative control: an install that stores without re-checking the entry (no lock, no CAS)
/// overwrites a racing install; the checker must see the frame it leaked.
#[test]
#[cfg_attr(miri, ignore = "needs many racing installs")]
fn checker_sees_a_blind_install() {
    use pte_core::Pte;
    use pte_core::fault::{Leaf, Stats, Step};

    #[derive(Default)]
    struct BlindStore(Stats);

    impl<A: Arch + CompareExchange> Strategy<A> for BlindStore {
        const NAME: &'static str = "blind-store";
        fn install_empty<P>(
            &self,
            leaf: &Leaf<'_, A>,
            prepare: impl FnOnce() -> Option<(Pte<A>, P)>,
            _discard: impl FnOnce(P),
        ) -> Step<A> {
            match prepare() {
                Some((new, _)) => {
                    leaf.slot.store(new);
                    Step::Installed
                }
                None => Step::NoPage,
            }
        }
        // Not under test: the library's compare-and-swap replace and update.
        fn replace(&self, leaf: &Leaf<'_, A>, old: Pte<A>, new: Pte<A>) -> Step<A> {
            Strategy::<A>::replace(&Cmpxchg::new(), leaf, old, new)
        }
        fn replace_flushed(
            &self,
            leaf: &Leaf<'_, A>,
            old: Pte<A>,
            new: Pte<A>,
            flush: impl FnOnce(),
        ) -> Step<A> {
            Strategy::<A>::replace_flushed(&Cmpxchg::new(), leaf, old, new, flush)
        }
        fn update(
            &self,
            leaf: &Leaf<'_, A>,
            f: impl FnMut(Pte<A>) -> Option<Pte<A>>,
        ) -> Option<Pte<A>> {
            Strategy::<A>::update(&Cmpxchg::new(), leaf, f)
        }
        fn stats(&self) -> &Stats {
            &self.0
        }
    }

    // One page: every install races every other (a 2-core machine rarely interleaves two
    // installs on one of two pages within 20 runs).
    const ATTEMPTS: u32 = 50;
    let st = one_contended_page(StressConfig {
        threads: 4,
        rounds: 3000,
        ..StressConfig::default()
    });
    for attempt in 0..ATTEMPTS {
        let r = stress::run::<X86_64_6_6, _>(BlindStore::default(), st.config(), &st);
        if !r.is_ok() {
            assert!(
                r.has(|v| matches!(
                    v,
                    pte_sim::Violation::Leaked { .. }
                        | pte_sim::Violation::Access { .. }
                        | pte_sim::Violation::Counter { .. }
                )),
                "{r}"
            );
            eprintln!("found on attempt {attempt}:\n{r}");
            return;
        }
    }
    panic!("{ATTEMPTS} runs of a blind install and no violation found");
}
