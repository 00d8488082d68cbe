//! The uncontended cost of publishing one entry over an empty slot, for each strategy, against
//! the raw primitives the strategies are made of.
//!
//! Group `install/<layout>`, one thread, one slot, the slot's cache line hot:
//!
//! * every strategy of `StrategyKind::ALL` (`cmpxchg`, `mm-lock`, `split-lock`,
//!   `lock-bit-refault`, `lock-bit-spin`), named by `Strategy::NAME`:
//!   `Strategy::install_empty` with a `Leaf { slot, ptl }` and a `prepare` closure that returns
//!   a prebuilt entry;
//! * `raw-cas`: `PteSlot::compare_exchange(none, pte)`;
//! * `raw-spinlock`: `RawSpinLock::lock`, `PteSlot::store`, `RawSpinLock::unlock`;
//! * `raw-lockbit`: `PteSlot::try_lock_none`, `PteSlot::store_unlocking`;
//! * `reset-only`: the reset alone;
//! * `std-cas`, `std-reset`: for reference, the same compare-and-swap and reset, and the reset
//!   alone, on a plain `std` atomic of the word's width (`AtomicU64`/`AtomicU32`), which the
//!   compiler inlines completely.
//!
//! Every variant (the baseline included) ends with the same reset, `slot.take()` (`std-*`:
//! the atomic's own `swap(0)`), so the slot is empty again for the next iteration; the table
//! printed after a `cargo bench` run gives each time with the reset and with the reset alone
//! (`reset-only`, `std-reset`) subtracted, and both as a ratio to `raw-cas`.

mod common;

use std::hint::black_box;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use arch_aarch64::Aarch64_6_6;
use arch_i386::{I386_6_6, I386Pae6_6};
use arch_x86_64::X86_64_6_6;
use common::{Run, ns, ratio};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion};
use pte_core::fault::lock::RawSpinLock;
use pte_core::fault::{Leaf, Step, Strategies, Strategy, StrategyKind, StrategyVisitor};
use pte_core::{Arch, LockBit, Pte, PteSlot};

/// The table's rows before the strategies: the primitives they are made of.
const PRIMITIVES: [&str; 3] = ["raw-cas", "raw-spinlock", "raw-lockbit"];

/// The table's rows after the strategies: the reset alone and the `std` references.
const REFERENCES: [&str; 3] = ["reset-only", "std-cas", "std-reset"];

/// The variants, in table order: the primitives, every strategy of [`StrategyKind::ALL`] by
/// name in declaration order (cmpxchg first, the order the table has always had), the
/// references.
fn variants() -> Vec<&'static str> {
    let mut kinds = StrategyKind::ALL;
    kinds.sort();
    PRIMITIVES
        .into_iter()
        .chain(kinds.map(StrategyKind::name))
        .chain(REFERENCES)
        .collect()
}

/// A value on a cache line of its own (a slot and its table lock do not share one in a
/// kernel either).
#[repr(align(64))]
struct Line<T>(T);

/// For each strategy: checks that one install publishes `pte` and the reset empties the slot
/// again, then measures install + reset.
struct Bench<'g, 'a, 'l, A: Arch> {
    g: &'g mut BenchmarkGroup<'a, WallTime>,
    leaf: &'l Leaf<'l, A>,
    pte: Pte<A>,
}

impl<A: Arch> StrategyVisitor<A> for Bench<'_, '_, '_, A> {
    type Output = ();

    fn visit<S: Strategy<A>>(self, s: &S) {
        let Bench { g, leaf, pte } = self;
        let step = s.install_empty(leaf, || Some((pte, ())), |()| panic!("nothing to lose to"));
        assert!(
            matches!(step, Step::Installed),
            "{}: not installed",
            S::NAME
        );
        assert_eq!(leaf.slot.take(), pte, "{}", S::NAME);
        assert!(leaf.slot.load().is_none());
        g.bench_function(S::NAME, |b| {
            b.iter(|| {
                black_box(s.install_empty(leaf, || Some((black_box(pte), ())), |()| ()));
                leaf.slot.take()
            })
        });
    }
}

/// A `std` atomic of the word's width, for the `std-cas` reference.
trait StdCas: Default {
    fn cas_and_reset(&self, new: u64) -> u64;
    fn reset(&self) -> u64;
}

impl StdCas for AtomicU64 {
    #[inline]
    fn cas_and_reset(&self, new: u64) -> u64 {
        black_box(self.compare_exchange(0, new, Ordering::AcqRel, Ordering::Acquire)).ok();
        self.reset()
    }
    #[inline]
    fn reset(&self) -> u64 {
        self.swap(0, Ordering::AcqRel)
    }
}

impl StdCas for AtomicU32 {
    #[inline]
    fn cas_and_reset(&self, new: u64) -> u64 {
        let new = new as u32;
        black_box(self.compare_exchange(0, new, Ordering::AcqRel, Ordering::Acquire)).ok();
        self.reset()
    }
    #[inline]
    fn reset(&self) -> u64 {
        u64::from(self.swap(0, Ordering::AcqRel))
    }
}

fn bench_layout<A: LockBit + pte_core::CompareExchange, W: StdCas>(c: &mut Criterion) -> String {
    let id = A::LAYOUT.name.replace('/', "-");
    let pte = Pte::<A>::with_prot(0x1234, A::LAYOUT.page_shared).expect("a present entry");
    let slot = Line(PteSlot::<A>::new(Pte::none()));
    let ptl = Line(RawSpinLock::new());
    let leaf = Leaf {
        slot: &slot.0,
        ptl: &ptl.0,
    };
    let slot = leaf.slot;

    let mut g = c.benchmark_group(format!("install/{id}"));

    assert!(slot.compare_exchange(Pte::none(), pte).is_ok());
    assert_eq!(slot.take(), pte);
    g.bench_function("raw-cas", |b| {
        b.iter(|| {
            black_box(slot.compare_exchange(Pte::none(), black_box(pte))).ok();
            slot.take()
        })
    });
    g.bench_function("raw-spinlock", |b| {
        b.iter(|| {
            black_box(leaf.ptl.lock());
            slot.store(black_box(pte));
            leaf.ptl.unlock();
            slot.take()
        })
    });
    assert!(slot.try_lock_none().is_ok());
    assert!(slot.load().is_locked());
    slot.store_unlocking(pte);
    assert_eq!(slot.take(), pte);
    g.bench_function("raw-lockbit", |b| {
        b.iter(|| {
            black_box(slot.try_lock_none()).ok();
            slot.store_unlocking(black_box(pte));
            slot.take()
        })
    });

    let strategies = Strategies::new();
    for kind in StrategyKind::ALL {
        let bench = Bench {
            g: &mut g,
            leaf: &leaf,
            pte,
        };
        strategies.with::<A, _>(kind, bench);
    }

    g.bench_function("reset-only", |b| b.iter(|| slot.take()));

    let std_word = Line(W::default());
    assert_eq!(std_word.0.cas_and_reset(pte.raw()), pte.raw());
    g.bench_function("std-cas", |b| {
        b.iter(|| std_word.0.cas_and_reset(black_box(pte.raw())))
    });
    g.bench_function("std-reset", |b| b.iter(|| std_word.0.reset()));
    g.finish();
    assert!(slot.load().is_none());
    id
}

fn main() {
    let run = Run::start();
    // 44 benchmarks: 0.6 s each (the atomics are noisier than the pure functions).
    let mut c = common::criterion(Duration::from_millis(600));
    let layouts = [
        bench_layout::<X86_64_6_6, AtomicU64>(&mut c),
        bench_layout::<I386Pae6_6, AtomicU64>(&mut c),
        bench_layout::<I386_6_6, AtomicU32>(&mut c),
        bench_layout::<Aarch64_6_6, AtomicU64>(&mut c),
    ];
    c.final_summary();
    if !run.measuring() {
        return;
    }

    println!(
        "\nns per install + reset (criterion's typical estimate); `- reset` subtracts the reset \
         alone (reset-only; std-reset for the std-* rows)"
    );
    println!("| layout | variant | ns | / raw-cas | ns - reset | / raw-cas (- reset) |");
    println!("|---|---|---:|---:|---:|---:|");
    for id in &layouts {
        let group = format!("install/{id}");
        let cas = run.ns(&group, "raw-cas");
        let less_reset = |t: Option<f64>| Some(t? - run.ns(&group, "reset-only")?);
        for v in variants() {
            let t = run.ns(&group, v);
            if t.is_none() {
                continue;
            }
            let less = |t: Option<f64>| {
                if v.starts_with("std-") {
                    Some(t? - run.ns(&group, "std-reset")?)
                } else {
                    less_reset(t)
                }
            };
            println!(
                "| {id} | {v} | {} | {} | {} | {} |",
                ns(t),
                ratio(t, cas),
                ns(less(t)),
                ratio(less(t), less_reset(cas)),
            );
        }
    }
}
