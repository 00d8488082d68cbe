//! loom models of the page-fault fast path (`pte_core::fault`), for every strategy on each
//! row of `loom_rows!` (a layout of `pte_layouts::for_each_layout!`): x86_64/2.6.8 (any-state
//! lock bit 56), x86_64/6.6 (none-only bit 56, the KNL erratum), aarch64/6.6 (any-state bit 63,
//! break-before-make), riscv64/6.6 and 6.18 (none-only bit 58, software accessed/dirty) and
//! loongarch64/6.6 and 6.18 (any-state bit 60, accessed/dirty set by the TLB exception
//! handlers); why these rows and not the others is said above `loom_rows!`.
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test -p pte-core --test loom_fault --release \
//!     --target-dir target/loom -- --nocapture
//! ```
//!
//! Each model prints its number of loom executions, its run time, its preemption bound and how
//! many distinct outcomes it reached. The kernel the fault path runs against is in
//! `loom_support/` (frames whose contents are loom cells, a one-leaf walker, a two-level walker
//! with a CAS populate, a one-page cache, a one-slot swap device).
//!
//! Models (each runs once per strategy type and row, unless noted):
//! 1. two installers (a write and a read fault) and a reader on one empty PTE;
//! 2. installer + `test_and_clear_young` (through `Strategy::update`) vs the MMU setting A/D
//!    (rows whose A/D are ORed in below the C fault path: x86_64, loongarch64);
//!    2c. a fault's mkyoung (through `Strategy::replace`) on a present, old entry vs the MMU
//!    (the same rows);
//!    2b. the KNL erratum (x86_64/6.6 only): a zap vs the MMU, whose A/D write lands on the
//!    zapped, empty entry (6.6's `pte_none()` ignores A/D for this reason); then a fault on it;
//! 3. a read fault vs swap-out (`update`: present → swap entry, slot written first);
//! 4. a fault vs zap (`update` to none, frame freed), from an empty and from a present entry;
//! 5. two faults through a two-level walker that populates the missing leaf table by CAS;
//! 6. `LockBitRefault`: two faults on the same empty page, refaults ≤ the preemption bound;
//! 7. copy-on-write of a private file page vs a read fault: break-before-make on every layout
//!    (`Strategy::replace_flushed`; the TLB flush runs while the slot maps no page), and the
//!    read fault never fills the break;
//! 8. two swap-ins (a write and a read fault) of one swap entry: the slot is freed exactly
//!    once, one frame is mapped, the loser's frame is freed;
//! 9. a preparation failure (the first `alloc_zeroed` returns `None`) vs a concurrent fault:
//!    the failing fault leaves the entry as it was (no lock bit left set), the other installs;
//!
//! and the fork models (issue 11), over two address spaces (`ForkKernel`: a leaf, a split lock
//! and a strategy instance each; frames with map counts and a swap slot with a count shared):
//! 10. fork's write-protect (`fork::copy_entry`) of a writable clean entry vs the MMU writing
//!     through it (a compare-and-swap setting the hardware dirty state; rows whose hardware
//!     dirties: x86_64, loongarch64, aarch64 with HAFDBS): the parent's entry ends read-only,
//!     and dirty if the MMU's write went through, else the write faulted;
//! 11. the parent's and the child's write faults on the anonymous page fork shared (map count
//!     2): they copy, or the second reuses the page once the first copied and unmapped it;
//!     never both writable on it; map counts and frames exact; each reads the pre-fork
//!     contents, then its own write;
//! 12. break-before-make vs a racing fault: a write fault copies the shared page
//!     (`replace_flushed`) while a read or write fault of the same address space hits the
//!     entry; no fresh zero page is ever installed over the data;
//! 13. swap-in of a swap entry fork copied (slot count 2) in both address spaces at once: both
//!     read the contents, the slot is freed once, by the last reference.
//!
//! Negative controls (each must fail, for the stated reason): (a) a plain-store install,
//! (b) zeroing after the publish, (c) clear-then-set swap-out, (d) the V14 stray-semicolon
//! populate, (e) a load/store `update` that loses the MMU's dirty bit, (f) a load/store zap
//! that loses a fault's dirty bit, (g) a swap-in loser that believes it won and frees the slot
//! too, (h) a `LockBitRefault` that leaves its bit set when the preparation fails, (i) fork's
//! write-protect as a load and a blind store (the MMU's dirty bit is lost), (j) copy-on-write
//! reuse without the exclusive check (both processes writable on one frame), (k) a plain none
//! as break-before-make's invalid step (the racing fault installs a fresh zero page: data
//! loss), (l) a `free_slot` that frees without the count (the slot freed while the other
//! address space's entry names it: its swap-in finds it freed, a stale read). (e) runs on every row with an OR-ing MMU, (i) on every
//! row whose hardware dirties, (h), (j), (k) and (l) on every row; the others on x86_64/6.6.
//!
//! loom 0.7.3 limitations these models work around (see `explore` and `loom_limits`):
//! * DPOR misses interleavings (tokio-rs/loom#392, #166): a thread that only loads an atomic
//!   is not reordered after another thread's load-then-write of it. Every model spawns all its
//!   actors (main only joins), runs two-actor races in both spawn orders, and asserts that the
//!   outcomes it exists for were reached (a vacuous model fails instead of passing).
//! * RMW atomicity is not enforced against plain stores (tokio-rs/loom#254, fix in the
//!   unmerged PR #391): a `fetch_or` that read value X can be ordered after a later plain
//!   store of the thread that wrote X, which "loses" that store. Races between a plain store
//!   and an unconditional RMW of the same entry are therefore not checked (`#[ignore]` with
//!   the reason); `loom_limits::rmw_vs_plain_store` pins the loom bug.
//!
//! Library bugs these models found, now fixed and kept as regressions:
//! * `LockBitSpin` with an any-state bit (x86_64/2.6.8) dropped a dirty bit the MMU set while
//!   the bit was held: `update` decided on the locked entry and CASed whatever was there to
//!   its result; `replace` wrote a `new` computed before the MMU's write (models m2, m2c).
//! * `LockBitRefault`/`LockBitSpin` on x86_64/6.6 looped forever on an empty entry holding the
//!   KNL erratum's A/D bits: `try_lock_none` compared against the word 0 (m2b, knl_none_word).
#![cfg(loom)]

mod loom_support;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64 as StdAtomicU64, AtomicUsize as StdAtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use arch_aarch64::Aarch64_6_6;
use arch_loongarch64::{Loongarch64_6_6, Loongarch64_6_18};
use arch_riscv64::{Riscv64_6_6, Riscv64_6_18};
use arch_x86_64::{X86_64_2_6_8, X86_64_6_6};
use loom::thread;
use loom_support::*;
use pte_core::fault::{
    Cmpxchg, Env, Fault, FaultError, FrameAllocator, Leaf, LockBitRefault, LockBitSpin, MmLock,
    Resolved, SplitLock, Stats, Step, Strategy, StrategyKind, handle, handle_retrying,
};
use pte_core::model::{HelperModel, HwAccessDirty};
use pte_core::{Arch, Decoded, LockBit, Pte};

/// The capabilities every layout of these models has.
trait Layout: Arch + LockBit + pte_core::CompareExchange {}
impl<A: Arch + LockBit + pte_core::CompareExchange> Layout for A {}

/// What a page holds before it is swapped out or zapped (models 2b, 3, 4).
const ORIG: u64 = 0x0123_4567_89ab_cdef;

// ---------------------------------------------------------------------------------------------
// Running a model.

/// What a model observed across all its executions (std types: outside loom's model).
struct Cov {
    seen: Mutex<BTreeSet<&'static str>>,
    max: StdAtomicU64,
}

impl Cov {
    /// Records that an execution reached `outcome`.
    fn saw(&self, outcome: &'static str) {
        self.seen.lock().unwrap().insert(outcome);
    }

    /// Records a value whose maximum over the executions is reported.
    fn max(&self, v: u64) {
        self.max.fetch_max(v, Ordering::Relaxed);
    }
}

struct Report {
    name: String,
    bound: Option<usize>,
    executions: Arc<StdAtomicUsize>,
    start: Instant,
    cov: Arc<Cov>,
    max_name: &'static str,
}

impl Drop for Report {
    fn drop(&mut self) {
        let max = if self.max_name.is_empty() {
            String::new()
        } else {
            format!(
                ", {} {}",
                self.max_name,
                self.cov.max.load(Ordering::Relaxed)
            )
        };
        let outcomes = self.cov.seen.lock().map(|s| s.len()).unwrap_or(0);
        println!(
            "loom {:<48} {:>6} executions {:>9.2?}  preemption bound {}, {} outcomes{}{}",
            self.name,
            self.executions.load(Ordering::Relaxed),
            self.start.elapsed(),
            self.bound.map_or("none".to_string(), |b| b.to_string()),
            outcomes,
            max,
            if std::thread::panicking() {
                "  (panicked)"
            } else {
                ""
            },
        );
    }
}

/// Runs `f(cov, variant)` under loom for each `variant` in `0..variants` and reports the
/// executions (counted with a std atomic outside loom: `Builder::check` runs the closure once
/// per execution), the run time and the outcomes reached.
///
/// `bound`: the preemption bound (`None`: exhaustive, unless `LOOM_MAX_PREEMPTIONS` is set).
///
/// `expect`: outcomes some execution must reach (`Cov::saw`). loom 0.7's DPOR misses
/// interleavings (tokio-rs/loom#392, #166), so every model asserts that the interleavings it
/// exists for were explored.
fn explore<F>(
    name: &str,
    bound: Option<usize>,
    max_name: &'static str,
    expect: &[&'static str],
    variants: usize,
    f: F,
) where
    F: Fn(&Cov, usize) + Send + Sync + 'static,
{
    let executions = Arc::new(StdAtomicUsize::new(0));
    let cov = Arc::new(Cov {
        seen: Mutex::new(BTreeSet::new()),
        max: StdAtomicU64::new(0),
    });
    let _report = Report {
        name: name.to_string(),
        bound,
        executions: executions.clone(),
        start: Instant::now(),
        cov: cov.clone(),
        max_name,
    };
    let f = Arc::new(f);
    for variant in 0..variants {
        let mut builder = loom::model::Builder::new();
        if bound.is_some() {
            builder.preemption_bound = bound;
        }
        let (c, e, f) = (cov.clone(), executions.clone(), f.clone());
        builder.check(move || {
            e.fetch_add(1, Ordering::Relaxed);
            f(&c, variant);
        });
    }
    let seen = cov.seen.lock().unwrap();
    for want in expect {
        assert!(
            seen.contains(want),
            "{name}: loom never explored \"{want}\" (explored: {seen:?})"
        );
    }
}

/// Runs two actors as threads, `b` spawned first if `b_first` (loom's DPOR depends on the
/// spawn order, see `explore`), and joins both.
fn both<RA, RB>(
    b_first: bool,
    a: impl FnOnce() -> RA + Send + 'static,
    b: impl FnOnce() -> RB + Send + 'static,
) -> (RA, RB)
where
    RA: Send + 'static,
    RB: Send + 'static,
{
    if b_first {
        let tb = thread::spawn(b);
        let ta = thread::spawn(a);
        (ta.join().unwrap(), tb.join().unwrap())
    } else {
        let ta = thread::spawn(a);
        let tb = thread::spawn(b);
        (ta.join().unwrap(), tb.join().unwrap())
    }
}

fn fault(write: bool) -> Fault {
    Fault { addr: ADDR, write }
}

/// A fault on the model's page through `handle_retrying`: the result and the refaults.
fn do_fault<A: Layout, S: Strategy<A>>(
    s: &S,
    k: &LoomKernel<A>,
    write: bool,
) -> (Result<Resolved, pte_core::fault::FaultError>, u64) {
    handle_retrying(s, &k.env(), &anon_vma(), fault(write))
}

/// Zap (`zap_pte_range`): a present entry becomes none through the strategy; the frame it
/// mapped is freed. Returns the entry replaced (its dirty bit says whether the page must be
/// written back).
fn zap<A: Layout, S: Strategy<A>>(s: &S, k: &LoomKernel<A>) -> Option<Pte<A>> {
    let old = s.update(&k.leaf(), |p| match s.classify(p) {
        Decoded::Present { .. } => Some(Pte::none()),
        _ => None,
    })?;
    let pfn = old.pfn().expect("zap replaced a present entry");
    k.frames.free(pfn);
    Some(old)
}

/// The x86 MMU on a write access: if the entry is present and writable, `lock or` A|D into it.
/// (A load, then the RMW: on KNL the RMW can land after another CPU cleared the entry.)
/// Returns the entry the OR was applied to.
fn mmu_write_access<A: Layout, S: Strategy<A>>(s: &S, k: &LoomKernel<A>) -> Option<Pte<A>> {
    let p = k.slot().load();
    if matches!(s.classify(p), Decoded::Present { .. }) && p.is_writable() {
        Some(k.slot().fetch_or(A::LAYOUT.hw_set))
    } else {
        None
    }
}

/// Whether a page mapped with the protection `prot` (`PAGE_SHARED`, `PAGE_READONLY`) is old.
/// On loongarch64 it is: its accessed bit is the hardware V, which no prototype holds (the
/// TLB load handler sets it on the first access). A read fault that finds such a page first
/// makes it young through `Strategy::replace` (`Resolved::AccessDirty`) instead of finding the
/// work done; on the other layouts of the models the prototypes hold the accessed bit.
fn maps_old<A: Layout>(prot: u64) -> bool {
    !Pte::<A>::with_prot(PFN_BASE, prot)
        .expect("the prototype encodes")
        .is_young()
}

// ---------------------------------------------------------------------------------------------
// Model 1: two installers on one empty PTE, and a reader.

fn install_race<A: Layout, S: Strategy<A> + Send + 'static>(
    name: &str,
    bound: Option<usize>,
    make_kernel: fn() -> LoomKernel<A>,
    make_strategy: fn(&Arc<LoomKernel<A>>) -> S,
) {
    let mut expect = vec![
        "the write fault installed",
        "the read fault installed",
        "the reader saw the zeroed page",
        "the reader saw no page",
    ];
    expect.push(if S::NAME == <LockBitRefault as Strategy<A>>::NAME {
        "the loser refaulted"
    } else {
        "the loser's frame was freed"
    });
    explore(name, bound, "max refaults", &expect, 1, move |cov, _| {
        let k = Arc::new(make_kernel());
        let s = Arc::new(make_strategy(&k));
        let spawn_fault = |write: bool| {
            let (k, s) = (k.clone(), s.clone());
            thread::spawn(move || {
                let (r, refaults) = do_fault(&*s, &k, write);
                // The access is retried: it must now reach a page.
                (r, refaults, access(&*s, k.slot(), &k.frames))
            })
        };
        let writer = spawn_fault(true);
        let reader_fault = spawn_fault(false);
        // A third thread walks the PTE and reads the page if it is mapped.
        let reader = {
            let (k, s) = (k.clone(), s.clone());
            thread::spawn(move || access(&*s, k.slot(), &k.frames))
        };
        let a = writer.join().unwrap();
        let b = reader_fault.join().unwrap();
        let seen = reader.join().unwrap();

        for r in [&a.0, &b.0] {
            assert!(
                matches!(
                    r,
                    Ok(Resolved::Anonymous | Resolved::AlreadyDone | Resolved::AccessDirty)
                ),
                "a fault failed: {r:?}"
            );
        }
        let installs = [&a.0, &b.0]
            .iter()
            .filter(|r| ***r == Ok(Resolved::Anonymous))
            .count();
        assert!(
            installs < 2,
            "double mapping: both faults report installing a page"
        );
        assert_eq!(
            installs, 1,
            "no fault installed the page: {:?} {:?}",
            a.0, b.0
        );
        let mapped = match s.classify(k.slot().load()) {
            Decoded::Present { pfn } => pfn,
            d => panic!("entry not present after both faults: {d:?}"),
        };
        k.frames.assert_accounted(Some(mapped));
        assert!(
            a.2.is_some() && b.2.is_some(),
            "a faulting thread found no page after its fault"
        );
        for (pfn, v) in [a.2, b.2, seen].into_iter().flatten() {
            assert_eq!(
                pfn, mapped,
                "a thread reached a frame that is not the one mapped"
            );
            assert_eq!(v, 0, "a reader saw the page before its zeroing");
        }
        let refaults = a.1 + b.1;
        assert_eq!(
            refaults,
            s.stats().snapshot().retries,
            "refaults and Stats::retries disagree"
        );

        cov.max(refaults);
        cov.saw(if a.0 == Ok(Resolved::Anonymous) {
            "the write fault installed"
        } else {
            "the read fault installed"
        });
        cov.saw(if seen.is_some() {
            "the reader saw the zeroed page"
        } else {
            "the reader saw no page"
        });
        if k.frames.freed() > 0 {
            cov.saw("the loser's frame was freed");
        }
        if refaults > 0 {
            cov.saw("the loser refaulted");
        }
    });
}

fn m1_install_race<A: Layout, S: Strategy<A> + Default + Send + 'static>(
    name: &str,
    bound: Option<usize>,
) {
    install_race::<A, S>(name, bound, || LoomKernel::new(4), |_| S::default());
}

// ---------------------------------------------------------------------------------------------
// Model 2: installer (+ test_and_clear_young through `update`) vs the MMU setting A/D.

fn hw_ad<A: Layout, S: Strategy<A> + Send + 'static>(
    name: &str,
    bound: Option<usize>,
    make_strategy: fn() -> S,
) {
    let expect = [
        "the MMU found no page",
        "the MMU wrote before test_and_clear_young",
        "the MMU wrote after test_and_clear_young",
    ];
    explore(name, bound, "", &expect, 2, move |cov, variant| {
        let k = Arc::new(LoomKernel::<A>::new(2));
        let s = Arc::new(make_strategy());
        let installer = {
            let (k, s) = (k.clone(), s.clone());
            move || {
                let (r, _) = do_fault(&*s, &k, false);
                // The aging scanner's ptep_test_and_clear_young, by the same strategy rule.
                let aged = s.update(&k.leaf(), |p| match s.classify(p) {
                    Decoded::Present { .. } => Some(p.make_old()),
                    _ => None,
                });
                (r, aged)
            }
        };
        let mmu = {
            let (k, s) = (k.clone(), s.clone());
            move || mmu_write_access(&*s, &k)
        };
        let ((r, aged), mmu) = both(variant == 1, installer, mmu);

        assert_eq!(r, Ok(Resolved::Anonymous), "the installer did not install");
        let fin = k.slot().load();
        let pfn = match s.classify(fin) {
            Decoded::Present { pfn } => pfn,
            d => panic!("entry not present at the end: {d:?}"),
        };
        assert_eq!(
            pfn, PFN_BASE,
            "the entry does not map the installer's frame"
        );
        k.frames.assert_accounted(Some(pfn));
        let aged = aged.expect("test_and_clear_young found the installed entry");
        let mmu_ran = mmu.is_some();
        if let Some(prev) = mmu {
            assert_eq!(
                prev.pfn(),
                Some(PFN_BASE),
                "the MMU set A/D on another entry"
            );
        }
        // Dirty is only ever set (by the MMU): it is there iff the MMU ran.
        assert!(
            !mmu_ran || fin.is_dirty(),
            "the dirty bit set by the MMU was lost: {fin:?}"
        );
        assert!(
            mmu_ran || !fin.is_dirty(),
            "a dirty bit appeared without a write: {fin:?}"
        );
        // Accessed: cleared by the scanner, set again only by an MMU access after it (the
        // entry the scanner replaced tells which came first: the MMU sets D with A).
        let young = mmu_ran && !aged.is_dirty();
        assert_eq!(
            fin.is_young(),
            young,
            "accessed bit wrong after test_and_clear_young vs the MMU (replaced {aged:?}, \
             MMU ran: {mmu_ran}, final {fin:?})"
        );
        cov.saw(match (mmu_ran, aged.is_dirty()) {
            (false, _) => "the MMU found no page",
            (true, true) => "the MMU wrote before test_and_clear_young",
            (true, false) => "the MMU wrote after test_and_clear_young",
        });
    });
}

fn m2_hw_ad<A: Layout, S: Strategy<A> + Default + Send + 'static>(
    name: &str,
    bound: Option<usize>,
) {
    hw_ad::<A, S>(name, bound, S::default);
}

// Model 2c: a spurious read fault on a present, old entry (mkyoung through `replace`) vs the
// MMU setting A/D. The fault path's `replace` must not drop a dirty bit the MMU set.

fn m2c_replace_vs_mmu<A: Layout, S: Strategy<A> + Default + Send + 'static>(
    name: &str,
    bound: Option<usize>,
) {
    let expect = [
        "the fault made the entry young",
        "the MMU wrote before the fault's replace",
        "the MMU wrote after the fault's replace",
    ];
    explore(name, bound, "", &expect, 2, |cov, variant| {
        let k = Arc::new(LoomKernel::<A>::new(2));
        let p0 = k.map_initial(ORIG);
        // Aged by the scanner before the threads start: present, clean, old.
        k.slot().store(k.slot().load().make_old());
        let s = Arc::new(S::default());
        let faulter = {
            let (k, s) = (k.clone(), s.clone());
            move || do_fault(&*s, &k, false).0
        };
        let mmu = {
            let (k, s) = (k.clone(), s.clone());
            move || mmu_write_access(&*s, &k)
        };
        let (r, mmu) = both(variant == 1, faulter, mmu);

        assert!(
            matches!(r, Ok(Resolved::AccessDirty | Resolved::AlreadyDone)),
            "the fault failed: {r:?}"
        );
        let fin = k.slot().load();
        assert_eq!(
            s.classify(fin),
            Decoded::Present { pfn: p0 },
            "the entry changed page"
        );
        k.frames.assert_accounted(Some(p0));
        assert!(
            mmu.is_none() || fin.is_dirty(),
            "the dirty bit set by the MMU was lost: {fin:?}"
        );
        // Either the fault's mkyoung was published, or it lost to (or found nothing left after)
        // the MMU, which sets A itself.
        assert!(fin.is_young(), "the entry is old after the fault: {fin:?}");
        if r == Ok(Resolved::AccessDirty) {
            cov.saw("the fault made the entry young");
        }
        match mmu {
            Some(prev) if prev.is_young() => cov.saw("the MMU wrote after the fault's replace"),
            Some(_) => cov.saw("the MMU wrote before the fault's replace"),
            None => cov.saw("the MMU found no page"),
        }
    });
}

// ---------------------------------------------------------------------------------------------
// Model 2b: the KNL erratum. The MMU loads a present entry, a zap clears it, and the MMU's A/D
// OR lands on the cleared entry: an empty entry now holds A|D (Linux 6.6's `pte_none()` ignores
// `_PAGE_KNL_ERRATUM_MASK` for this reason). A fault on it must still install.
//
// Two phases: zap ‖ MMU (joined), then fault ‖ MMU. A fault concurrent with the first phase
// would race the lock strategies' plain store with the MMU's `fetch_or`, which loom 0.7.3
// cannot model (tokio-rs/loom#254); the fault-vs-zap race itself is model 4.

fn m2b_knl_erratum<A: Layout, S: Strategy<A> + Default + Send + 'static>(
    name: &str,
    bound: Option<usize>,
) {
    let expect = [
        "the MMU's A/D write landed on the zapped, empty entry",
        "the MMU wrote before the zap",
        "the MMU dirtied the new page",
    ];
    explore(name, bound, "", &expect, 2, |cov, variant| {
        let k = Arc::new(LoomKernel::<A>::new(3));
        let p0 = k.map_initial(ORIG);
        let s = Arc::new(S::default());
        let zapper = {
            let (k, s) = (k.clone(), s.clone());
            move || zap(&*s, &k)
        };
        let mmu = {
            let (k, s) = (k.clone(), s.clone());
            move || mmu_write_access(&*s, &k)
        };
        let (zapped, mmu1) = both(variant == 1, zapper, mmu);
        assert_eq!(
            zapped.and_then(|o| o.pfn()),
            Some(p0),
            "the zap did not find the initial page"
        );
        let erratum = mmu1.is_some_and(|prev| prev.is_none());
        if erratum {
            assert!(
                k.slot().load().is_none(),
                "an erratum word that is not none"
            );
        }

        let faulter = {
            let (k, s) = (k.clone(), s.clone());
            move || do_fault(&*s, &k, true).0
        };
        let mmu = {
            let (k, s) = (k.clone(), s.clone());
            move || mmu_write_access(&*s, &k)
        };
        let (r, mmu2) = both(variant == 1, faulter, mmu);
        assert_eq!(r, Ok(Resolved::Anonymous), "the fault did not install");
        let fin = k.slot().load();
        let mapped = match s.classify(fin) {
            Decoded::Present { pfn } => pfn,
            d => panic!("entry not present after the fault: {d:?}"),
        };
        k.frames.assert_accounted(Some(mapped));
        assert!(fin.is_dirty(), "a write fault left the page clean");
        cov.saw(match mmu1 {
            Some(_) if erratum => "the MMU's A/D write landed on the zapped, empty entry",
            Some(_) => "the MMU wrote before the zap",
            None => "the MMU found no page",
        });
        if mmu2.is_some() {
            cov.saw("the MMU dirtied the new page");
        }
    });
}

/// The KNL erratum word in a single thread: the entry holds only A|D (none for 6.6) and one
/// fault must install. (The deterministic form of the livelock model 2b finds.)
fn knl_none_word<A: Layout, S: Strategy<A> + Default + Send + 'static>(
    name: &str,
    bound: Option<usize>,
) {
    explore(name, bound, "", &[], 1, |_, _| {
        let k = Arc::new(LoomKernel::<A>::new(2));
        let erratum = Pte::<A>::from_raw(A::LAYOUT.hw_set).unwrap();
        assert!(
            erratum.is_none(),
            "the layout's pte_none() does not ignore A/D"
        );
        k.slot().store(erratum);
        let s = S::default();
        let (r, _) = do_fault(&s, &k, true);
        assert_eq!(r, Ok(Resolved::Anonymous), "the fault did not install");
    });
}

// ---------------------------------------------------------------------------------------------
// Model 3: a read fault vs swap-out.

/// How the swap-out changes the PTE.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SwapOut {
    /// Through `Strategy::update`: one CAS from present to the swap entry.
    Update,
    /// Negative control: `ptep_get_and_clear` then `set_pte` of the swap entry (the 2004 v1
    /// swap code: a transient none).
    ClearThenSet,
}

fn swap_race<A: Layout, S: Strategy<A> + Default + Send + 'static>(
    name: &str,
    bound: Option<usize>,
    how: SwapOut,
) {
    // `map_initial` maps `PAGE_SHARED`: when that is old, the read fault that comes first
    // makes it young instead of finding it present (`maps_old`).
    let initially_old = maps_old::<A>(A::LAYOUT.page_shared);
    let expect = [
        if initially_old {
            "the fault made the page young"
        } else {
            "the fault found the page present"
        },
        "the fault swapped the page in",
    ];
    explore(name, bound, "", &expect, 2, move |cov, variant| {
        let k = Arc::new(LoomKernel::<A>::new(3));
        let p0 = k.map_initial(ORIG);
        let s = Arc::new(S::default());
        // Swap-out: write the page to the slot, then replace the PTE; free the frame.
        let swapper = {
            let (k, s) = (k.clone(), s.clone());
            move || {
                let swp = Pte::<A>::swap(SLOT).unwrap();
                k.swap.write_slot(k.frames.read(p0));
                let swapped = match how {
                    SwapOut::Update => s
                        .update(&k.leaf(), |p| match s.classify(p) {
                            Decoded::Present { pfn } if pfn == p0 => Some(swp),
                            _ => None,
                        })
                        .is_some(),
                    SwapOut::ClearThenSet => {
                        k.slot().take();
                        k.slot().store(swp);
                        true
                    }
                };
                if swapped {
                    k.frames.free(p0);
                }
                swapped
            }
        };
        let faulter = {
            let (k, s) = (k.clone(), s.clone());
            move || {
                let (r, _) = do_fault(&*s, &k, false);
                assert_ne!(
                    r,
                    Ok(Resolved::Anonymous),
                    "the fault saw a transient none and installed a fresh zero page over a \
                     page being swapped out"
                );
                (r, access(&*s, k.slot(), &k.frames))
            }
        };
        let (swapped, (r, seen)) = both(variant == 1, swapper, faulter);

        assert!(
            matches!(r, Ok(Resolved::AlreadyDone | Resolved::SwapIn))
                || (initially_old && r == Ok(Resolved::AccessDirty)),
            "the fault failed: {r:?}"
        );
        if let Some((_, v)) = seen {
            assert_eq!(
                v, ORIG,
                "the faulting thread read other contents than the page's"
            );
        }
        let frees = k.swap.frees();
        assert!(frees <= 1, "swap slot freed {frees} times");
        assert_eq!(
            frees == 1,
            r == Ok(Resolved::SwapIn),
            "swap slot freed but not by the swap-in"
        );
        let mapped = match s.classify(k.slot().load()) {
            Decoded::Present { pfn } => {
                assert_eq!(k.frames.read(pfn), ORIG, "page contents lost");
                assert_eq!(pfn == p0, !swapped, "mapped frame vs swap-out disagree");
                assert_eq!(
                    frees,
                    usize::from(pfn != p0),
                    "swapped in but the slot not freed exactly once"
                );
                Some(pfn)
            }
            Decoded::Swap(e) => {
                assert_eq!(e, SLOT, "the swap entry was corrupted");
                assert_eq!(
                    frees, 0,
                    "swap slot freed while the entry still refers to it"
                );
                None
            }
            d => panic!("entry neither present nor the swap entry: {d:?}"),
        };
        k.frames.assert_accounted(mapped);
        cov.saw(match r {
            Ok(Resolved::SwapIn) => "the fault swapped the page in",
            Ok(Resolved::AccessDirty) => "the fault made the page young",
            _ => "the fault found the page present",
        });
    });
}

fn m3_swap<A: Layout, S: Strategy<A> + Default + Send + 'static>(name: &str, bound: Option<usize>) {
    swap_race::<A, S>(name, bound, SwapOut::Update);
}

// ---------------------------------------------------------------------------------------------
// Model 4: a fault vs zap.

fn zap_race<A: Layout, S: Strategy<A> + Default + Send + 'static>(
    name: &str,
    bound: Option<usize>,
    start_present: bool,
) {
    let expect: &[&'static str] = if start_present {
        &[
            "the fault dirtied the initial page, then the zap took it",
            "the zap took the initial page, then the fault installed",
            "the fault lost its update to the zap",
        ]
    } else {
        &["the zap found the installed page", "the zap found no page"]
    };
    explore(name, bound, "", expect, 2, move |cov, variant| {
        let k = Arc::new(LoomKernel::<A>::new(3));
        let p0 = start_present.then(|| k.map_initial(ORIG));
        let s = Arc::new(S::default());
        let faulter = {
            let (k, s) = (k.clone(), s.clone());
            move || do_fault(&*s, &k, true).0
        };
        let zapper = {
            let (k, s) = (k.clone(), s.clone());
            move || zap(&*s, &k)
        };
        let (r, zapped) = both(variant == 1, faulter, zapper);

        assert!(
            matches!(
                r,
                Ok(Resolved::Anonymous | Resolved::AlreadyDone | Resolved::AccessDirty)
            ),
            "the fault failed: {r:?}"
        );
        let fin = k.slot().load();
        let mapped = match s.classify(fin) {
            Decoded::Present { pfn } => Some(pfn),
            Decoded::None => None,
            d => panic!("after fault and zap the entry is neither none nor present: {d:?}"),
        };
        if start_present {
            let old = zapped.expect("the zap did not find the initial page");
            assert_eq!(
                old.pfn(),
                p0,
                "the zap freed a page other than the initial one"
            );
            // The write fault dirtied the initial page iff its CAS came first: the zap must
            // then return that dirty bit (else a dirty page is dropped as clean).
            assert_eq!(
                old.is_dirty(),
                r == Ok(Resolved::AccessDirty),
                "the zap lost the fault's dirty bit (zap replaced {old:?}, fault {r:?})"
            );
        } else if let Some(old) = zapped {
            assert!(
                old.is_dirty(),
                "the zap lost the fault's dirty bit (zap replaced {old:?})"
            );
        }
        if r == Ok(Resolved::Anonymous) && zapped.is_none() {
            assert!(
                mapped.is_some(),
                "the installed page vanished without a zap"
            );
        }
        k.frames.assert_accounted(mapped);
        cov.saw(match (start_present, zapped, r) {
            (false, Some(_), _) => "the zap found the installed page",
            (false, None, _) => "the zap found no page",
            (true, _, Ok(Resolved::AccessDirty)) => {
                "the fault dirtied the initial page, then the zap took it"
            }
            (true, _, Ok(Resolved::Anonymous)) => {
                "the zap took the initial page, then the fault installed"
            }
            (true, _, _) => "the fault lost its update to the zap",
        });
    });
}

fn m4_zap_empty<A: Layout, S: Strategy<A> + Default + Send + 'static>(
    name: &str,
    bound: Option<usize>,
) {
    zap_race::<A, S>(name, bound, false);
}

fn m4_zap_present<A: Layout, S: Strategy<A> + Default + Send + 'static>(
    name: &str,
    bound: Option<usize>,
) {
    zap_race::<A, S>(name, bound, true);
}

// ---------------------------------------------------------------------------------------------
// Model 5: the upper-level populate race, then the install race, through a two-level walker
// (`TwoLevel::populate` in `loom_support` is the reference populate under test).

struct TwoLevelKernel<A: Arch> {
    frames: Arc<Frames>,
    tables: TwoLevel<A>,
    cache: OnePageCache,
    swap: OneSlotSwap,
}

impl<A: Arch> TwoLevelKernel<A> {
    fn new(stray_semicolon: bool) -> Self {
        let frames = Arc::new(Frames::new(3));
        TwoLevelKernel {
            swap: OneSlotSwap::new(frames.clone()),
            cache: OnePageCache::new(u64::MAX >> 12),
            tables: TwoLevel::new(2, stray_semicolon),
            frames,
        }
    }

    fn env(&self) -> Env<'_, Frames, TwoLevel<A>, OnePageCache, OneSlotSwap> {
        Env {
            frames: &self.frames,
            tables: &self.tables,
            cache: &self.cache,
            swap: &self.swap,
        }
    }
}

fn populate_race<A: Layout, S: Strategy<A> + Default + Send + 'static>(
    name: &str,
    bound: Option<usize>,
    stray_semicolon: bool,
) {
    let expect = [
        "a populate lost its race and freed its table",
        "one populate found the table already there",
    ];
    explore(name, bound, "", &expect, 1, move |cov, _| {
        let k = Arc::new(TwoLevelKernel::<A>::new(stray_semicolon));
        let s = Arc::new(S::default());
        let spawn_fault = |write: bool| {
            let (k, s) = (k.clone(), s.clone());
            thread::spawn(move || handle_retrying(&*s, &k.env(), &anon_vma(), fault(write)).0)
        };
        let a = spawn_fault(true);
        let b = spawn_fault(false);
        let (a, b) = (a.join().unwrap(), b.join().unwrap());

        let (allocated, freed) = k.tables.counts();
        let table = k.tables.installed().expect("no leaf table installed");
        assert!(
            !k.tables.is_freed(table),
            "the installed leaf table was freed"
        );
        assert_eq!(
            allocated - freed,
            1,
            "{allocated} leaf tables allocated, {freed} freed: exactly one must survive"
        );
        for r in [&a, &b] {
            assert!(
                matches!(
                    r,
                    Ok(Resolved::Anonymous | Resolved::AlreadyDone | Resolved::AccessDirty)
                ),
                "a fault failed: {r:?}"
            );
        }
        let installs = [&a, &b]
            .iter()
            .filter(|r| ***r == Ok(Resolved::Anonymous))
            .count();
        assert_eq!(installs, 1, "installs: {a:?} {b:?}");
        let mapped = match s.classify(k.tables.slot(table).load()) {
            Decoded::Present { pfn } => pfn,
            d => panic!("entry not present after both faults: {d:?}"),
        };
        k.frames.assert_accounted(Some(mapped));
        cov.saw(if allocated == 2 {
            "a populate lost its race and freed its table"
        } else {
            "one populate found the table already there"
        });
    });
}

fn m5_populate<A: Layout, S: Strategy<A> + Default + Send + 'static>(
    name: &str,
    bound: Option<usize>,
) {
    populate_race::<A, S>(name, bound, false);
}

// ---------------------------------------------------------------------------------------------
// Model 6: LockBitRefault's refaults, bounded by the preemption bound.
//
// Why the bound holds: a refault happens only when a thread finds the lock bit held, i.e. while
// the other thread is between its `try_lock_none` and its `store_unlocking` (prepare: allocate
// and zero). The refaulting thread then yields (`handle_retrying` calls `fault::lock::relax`, which
// is `loom::thread::yield_now` under loom), and loom does not run a yielded thread while another is
// runnable, so the holder runs until it publishes unless loom preempts it. Each further
// refault therefore costs one preemption of the holder inside its critical section, and there
// is only one critical section (once it ends the entry is present and nobody takes the bit
// again). Hence refaults ≤ preemption bound. Without a bound the refaults are still finite
// (≤ the scheduling points inside the critical section), but a real scheduler gives no such
// bound: that is the livelock of docs/DESIGN.md#h12.

fn m6_refault_bound<A: Layout>(name: &str, bound: usize) {
    explore(
        name,
        Some(bound),
        "max refaults",
        &["a fault refaulted"],
        1,
        move |cov, _| {
            let k = Arc::new(LoomKernel::<A>::new(3));
            let s = Arc::new(LockBitRefault::new());
            let spawn_fault = |write: bool| {
                let (k, s) = (k.clone(), s.clone());
                thread::spawn(move || do_fault(&*s, &k, write))
            };
            let a = spawn_fault(true);
            let b = spawn_fault(true);
            let (a, b) = (a.join().unwrap(), b.join().unwrap());
            assert!(
                a.0.is_ok() && b.0.is_ok(),
                "a fault did not complete: {a:?} {b:?}"
            );
            let refaults = a.1 + b.1;
            cov.max(refaults);
            if refaults > 0 {
                cov.saw("a fault refaulted");
            }
            assert!(
                refaults <= bound as u64,
                "{refaults} refaults under preemption bound {bound}"
            );
            assert_eq!(refaults, Strategy::<A>::stats(&*s).snapshot().retries);
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Broken strategies for the negative controls.

/// (a)/(e): publishes an install with a check-then-plain-store (no lock, no CAS), and runs
/// `update` as load / compute / plain store.
#[derive(Debug, Default)]
struct PlainStore {
    stats: Stats,
}

impl<A: Layout> Strategy<A> for PlainStore {
    const NAME: &'static str = "broken-plain-store";

    fn install_empty<P>(
        &self,
        leaf: &Leaf<'_, A>,
        prepare: impl FnOnce() -> Option<(Pte<A>, P)>,
        discard: impl FnOnce(P),
    ) -> Step<A> {
        let Some((new, token)) = prepare() else {
            return Step::NoPage;
        };
        let cur = leaf.slot.load();
        if cur.is_none() {
            leaf.slot.store(new);
            Step::Installed
        } else {
            discard(token);
            Step::Lost(cur)
        }
    }

    fn replace(&self, leaf: &Leaf<'_, A>, old: Pte<A>, new: Pte<A>) -> Step<A> {
        // Not under test: the library's compare-and-swap.
        Strategy::<A>::replace(&Cmpxchg::new(), leaf, old, new)
    }

    fn replace_flushed(
        &self,
        leaf: &Leaf<'_, A>,
        old: Pte<A>,
        new: Pte<A>,
        flush: impl FnOnce(),
    ) -> Step<A> {
        // Not under test: the library's break-before-make.
        Strategy::<A>::replace_flushed(&Cmpxchg::new(), leaf, old, new, flush)
    }

    fn update(
        &self,
        leaf: &Leaf<'_, A>,
        mut f: impl FnMut(Pte<A>) -> Option<Pte<A>>,
    ) -> Option<Pte<A>> {
        let cur = leaf.slot.load();
        let new = f(cur)?;
        leaf.slot.store(new);
        Some(cur)
    }

    fn stats(&self) -> &Stats {
        &self.stats
    }
}

/// (g): the `Cmpxchg` protocol, but a `replace` whose CAS failed reports `Installed`: the
/// loser of a swap-in race frees the slot too (and keeps its frame).
#[derive(Debug, Default)]
struct LoserWins {
    stats: Stats,
}

impl<A: Layout> Strategy<A> for LoserWins {
    const NAME: &'static str = "broken-loser-wins";

    fn install_empty<P>(
        &self,
        leaf: &Leaf<'_, A>,
        prepare: impl FnOnce() -> Option<(Pte<A>, P)>,
        discard: impl FnOnce(P),
    ) -> Step<A> {
        // Not under test: the library's compare-and-swap.
        Strategy::<A>::install_empty(&Cmpxchg::new(), leaf, prepare, discard)
    }

    fn replace(&self, leaf: &Leaf<'_, A>, old: Pte<A>, new: Pte<A>) -> Step<A> {
        let _ = leaf.slot.compare_exchange(old, new);
        Step::Installed
    }

    fn replace_flushed(
        &self,
        leaf: &Leaf<'_, A>,
        old: Pte<A>,
        new: Pte<A>,
        flush: impl FnOnce(),
    ) -> Step<A> {
        // Not under test: the library's break-before-make.
        Strategy::<A>::replace_flushed(&Cmpxchg::new(), leaf, old, new, flush)
    }

    fn update(
        &self,
        leaf: &Leaf<'_, A>,
        f: impl FnMut(Pte<A>) -> Option<Pte<A>>,
    ) -> Option<Pte<A>> {
        // Not under test: the library's compare-and-swap loop.
        Strategy::<A>::update(&Cmpxchg::new(), leaf, f)
    }

    fn stats(&self) -> &Stats {
        &self.stats
    }
}

/// (h): the `LockBitRefault` install, but a failed preparation returns with the bit still
/// set.
#[derive(Debug, Default)]
struct LockLeftSet {
    stats: Stats,
}

impl<A: Layout> Strategy<A> for LockLeftSet {
    const NAME: &'static str = "broken-lock-left-set";

    fn classify(&self, pte: Pte<A>) -> Decoded {
        pte.decode_locked().0
    }

    fn install_empty<P>(
        &self,
        leaf: &Leaf<'_, A>,
        prepare: impl FnOnce() -> Option<(Pte<A>, P)>,
        _discard: impl FnOnce(P),
    ) -> Step<A> {
        loop {
            match leaf.slot.try_lock_none() {
                Ok(()) => break,
                Err(cur) if cur.is_locked() => return Step::Retry,
                Err(cur) if cur.is_none() => continue,
                Err(cur) => return Step::Lost(cur),
            }
        }
        match prepare() {
            Some((new, _)) => {
                leaf.slot.store_unlocking(new);
                Step::Installed
            }
            // The bug: no unlock.
            None => Step::NoPage,
        }
    }

    fn replace(&self, leaf: &Leaf<'_, A>, old: Pte<A>, new: Pte<A>) -> Step<A> {
        Strategy::<A>::replace(&LockBitRefault::new(), leaf, old, new)
    }

    fn replace_flushed(
        &self,
        leaf: &Leaf<'_, A>,
        old: Pte<A>,
        new: Pte<A>,
        flush: impl FnOnce(),
    ) -> Step<A> {
        // Not under test: the library's break-before-make.
        Strategy::<A>::replace_flushed(&LockBitRefault::new(), leaf, old, new, flush)
    }

    fn update(
        &self,
        leaf: &Leaf<'_, A>,
        f: impl FnMut(Pte<A>) -> Option<Pte<A>>,
    ) -> Option<Pte<A>> {
        Strategy::<A>::update(&LockBitRefault::new(), leaf, f)
    }

    fn stats(&self) -> &Stats {
        &self.stats
    }
}

/// (b): the `Cmpxchg` protocol, but the frame is zeroed after the publish (the allocator
/// leaves it as it was).
struct ZeroAfterPublish {
    frames: Arc<Frames>,
    stats: Stats,
}

impl<A: Layout> Strategy<A> for ZeroAfterPublish {
    const NAME: &'static str = "broken-zero-after-publish";

    fn install_empty<P>(
        &self,
        leaf: &Leaf<'_, A>,
        prepare: impl FnOnce() -> Option<(Pte<A>, P)>,
        discard: impl FnOnce(P),
    ) -> Step<A> {
        let Some((new, token)) = prepare() else {
            return Step::NoPage;
        };
        let cur = leaf.slot.load();
        if !cur.is_none() {
            discard(token);
            return Step::Lost(cur);
        }
        match leaf.slot.compare_exchange(cur, new) {
            Ok(_) => {
                self.frames.zero(new.pfn().unwrap());
                Step::Installed
            }
            Err(now) => {
                discard(token);
                Step::Lost(now)
            }
        }
    }

    fn replace(&self, leaf: &Leaf<'_, A>, old: Pte<A>, new: Pte<A>) -> Step<A> {
        // Not under test: the library's compare-and-swap.
        Strategy::<A>::replace(&Cmpxchg::new(), leaf, old, new)
    }

    fn replace_flushed(
        &self,
        leaf: &Leaf<'_, A>,
        old: Pte<A>,
        new: Pte<A>,
        flush: impl FnOnce(),
    ) -> Step<A> {
        // Not under test: the library's break-before-make.
        Strategy::<A>::replace_flushed(&Cmpxchg::new(), leaf, old, new, flush)
    }

    fn update(
        &self,
        leaf: &Leaf<'_, A>,
        f: impl FnMut(Pte<A>) -> Option<Pte<A>>,
    ) -> Option<Pte<A>> {
        // Not under test: the library's compare-and-swap loop.
        Strategy::<A>::update(&Cmpxchg::new(), leaf, f)
    }

    fn stats(&self) -> &Stats {
        &self.stats
    }
}

// ---------------------------------------------------------------------------------------------
// Model 7: copy-on-write of a private file page vs a read fault on the same entry. The copy
// replaces the page-cache page break-before-make on every layout (`Strategy::replace_flushed`):
// the entry goes to the strategy's invalid step (a none under the lock, the locked-empty word,
// or the break marker), the TLB is flushed (`OneLeaf::flush_tlb` asserts the slot maps no page
// then), and the copy is installed. The read fault must never fill the break: before the
// issue-11 fix it re-installed the page-cache page in aarch64's transient none (for a
// nonlinear entry, the wrong page); now it waits, refaults or loses. Its access after the fault
// may still meet the break (the fault completed before it): the access would refault.

/// What the file page holds.
const FILE: u64 = 0x0f11_e0f1_1e0f_11e0;

fn m7_cow<A: Layout, S: Strategy<A> + Default + Send + 'static>(name: &str, bound: Option<usize>) {
    // `with_cached_page` maps `PAGE_READONLY`: when that is old, a read fault that comes
    // before the copy makes it young (`maps_old`), and the copy then loses its race.
    let cached_old = maps_old::<A>(A::LAYOUT.page_readonly);
    let mut expect = vec!["the copy won", "the read fault found the work done"];
    if cached_old {
        expect.push("the read fault made the page-cache page young");
    }
    // The access meets the break only if the read fault completed before it. Where the page
    // is mapped old and `LockBitSpin` holds an any-state bit (loongarch64), the read fault
    // first makes it young, so the copy either completed before it (it waited on the held
    // bit) or loses to it: no break is left for the access to meet.
    let any_state_spin = S::NAME == <LockBitSpin as Strategy<A>>::NAME
        && A::DISCIPLINE == pte_core::Discipline::AnyState;
    if !(cached_old && any_state_spin) {
        expect.push("the reader's access met the break");
    }
    explore(name, bound, "", &expect, 2, move |cov, variant| {
        let k = Arc::new(LoomKernel::<A>::with_cached_page(4, FILE));
        let cached = k.slot().load().pfn().unwrap();
        let s = Arc::new(S::default());
        let go = |write: bool| {
            let (k, s) = (k.clone(), s.clone());
            move || {
                let r = handle_retrying(&*s, &k.env(), &private_file_vma(), fault(write)).0;
                (r, access(&*s, k.slot(), &k.frames))
            }
        };
        let ((w, _), (r, seen)) = both(variant == 1, go(true), go(false));

        assert!(
            matches!(w, Ok(Resolved::CopyOnWrite | Resolved::AlreadyDone)),
            "the write fault failed: {w:?}"
        );
        assert_ne!(
            r,
            Ok(Resolved::File),
            "the read fault re-installed the page-cache page in the break"
        );
        assert!(
            r == Ok(Resolved::AlreadyDone) || (cached_old && r == Ok(Resolved::AccessDirty)),
            "the read fault failed: {r:?}"
        );
        match seen {
            Some((_, value)) => assert_eq!(
                value, FILE,
                "the reader saw a page without the file's contents"
            ),
            // The read fault completed before the break; the access meets it and refaults.
            None => cov.saw("the reader's access met the break"),
        }
        assert_eq!(
            k.tables.flushes(),
            usize::from(w == Ok(Resolved::CopyOnWrite)),
            "TLB flushes vs copies (write fault {w:?})"
        );
        let fin = k.slot().load();
        let pfn = fin.pfn().expect("the entry is present after both faults");
        if pfn == cached {
            // The read fault's mkyoung changed the entry first: the copy lost and was given
            // back (the write access would refault and copy then).
            assert_eq!(w, Ok(Resolved::AlreadyDone));
            assert_eq!(r, Ok(Resolved::AccessDirty), "the copy lost to nothing");
            assert!(
                !fin.is_writable(),
                "the page-cache page is mapped writable: {fin:?}"
            );
            assert_eq!(k.cache.refs(), 1, "one mapping, one page-cache reference");
            assert_eq!(k.frames.allocated() - k.frames.freed(), 1, "a copy leaked");
        } else {
            assert_eq!(
                w,
                Ok(Resolved::CopyOnWrite),
                "a copy mapped, but not by the writer"
            );
            assert!(
                fin.is_writable() && fin.is_dirty(),
                "the copy is not writable+dirty: {fin:?}"
            );
            assert_eq!(
                k.frames.read(pfn),
                FILE,
                "the copy lost the file's contents"
            );
            assert_eq!(
                k.cache.refs(),
                0,
                "the page-cache reference was not dropped"
            );
            assert!(!k.frames.is_freed(cached) && !k.frames.is_freed(pfn));
            assert_eq!(k.frames.allocated() - k.frames.freed(), 2, "a copy leaked");
            cov.saw("the copy won");
        }
        match r {
            Ok(Resolved::AccessDirty) => cov.saw("the read fault made the page-cache page young"),
            _ => cov.saw("the read fault found the work done"),
        }
    });
}

// ---------------------------------------------------------------------------------------------
// Model 8: two swap-ins of one swap entry (a write and a read fault). Exactly one publishes
// (the winner frees the slot, once); the loser gives its frame back, or finds the slot freed
// (the swap device then reads `None`) or the page present and reads nothing.

fn swap_in_race<A: Layout, S: Strategy<A> + Send + 'static>(
    name: &str,
    bound: Option<usize>,
    make_strategy: fn() -> S,
) {
    let expect = [
        "the write fault swapped the page in",
        "the read fault swapped the page in",
        "the loser read the slot and gave its frame back",
        "the loser found the work done without a frame",
    ];
    explore(name, bound, "", &expect, 2, move |cov, variant| {
        let k = Arc::new(LoomKernel::<A>::new(3));
        k.swap.write_slot(ORIG);
        k.slot().store(Pte::<A>::swap(SLOT).unwrap());
        let s = Arc::new(make_strategy());
        let go = |write: bool| {
            let (k, s) = (k.clone(), s.clone());
            move || {
                let (r, _) = do_fault(&*s, &k, write);
                (r, access(&*s, k.slot(), &k.frames))
            }
        };
        let ((w, w_seen), (r, r_seen)) = both(variant == 1, go(true), go(false));

        for res in [&w, &r] {
            assert!(
                matches!(
                    res,
                    Ok(Resolved::SwapIn | Resolved::AlreadyDone | Resolved::AccessDirty)
                ),
                "a fault failed: {res:?}"
            );
        }
        let swap_ins = [&w, &r]
            .iter()
            .filter(|res| ***res == Ok(Resolved::SwapIn))
            .count();
        let frees = k.swap.frees();
        assert_eq!(
            frees, 1,
            "swap slot freed {frees} times (faults: {w:?} {r:?})"
        );
        assert_eq!(swap_ins, 1, "swap-ins reported: {w:?} {r:?}");
        let mapped = match s.classify(k.slot().load()) {
            Decoded::Present { pfn } => pfn,
            d => panic!("entry not present after both swap-ins: {d:?}"),
        };
        assert_eq!(k.frames.read(mapped), ORIG, "page contents lost");
        k.frames.assert_accounted(Some(mapped));
        for seen in [w_seen, r_seen] {
            assert_eq!(
                seen,
                Some((mapped, ORIG)),
                "a faulting thread did not reach the swapped-in page"
            );
        }
        cov.saw(if w == Ok(Resolved::SwapIn) {
            "the write fault swapped the page in"
        } else {
            "the read fault swapped the page in"
        });
        cov.saw(if k.frames.allocated() == 2 {
            "the loser read the slot and gave its frame back"
        } else {
            "the loser found the work done without a frame"
        });
    });
}

fn m8_swap_in_race<A: Layout, S: Strategy<A> + Default + Send + 'static>(
    name: &str,
    bound: Option<usize>,
) {
    swap_in_race::<A, S>(name, bound, S::default);
}

// ---------------------------------------------------------------------------------------------
// Model 9: a preparation failure. The first `alloc_zeroed` fails (out of memory): the fault
// that made it returns `NoMemory` and leaves the empty entry as it was — no lock bit left set —
// and the concurrent fault (the second allocation) installs. Each fault refaults at most
// `MAX_REFAULTS` times: a lock bit left set would make the other one refault forever.

const MAX_REFAULTS: usize = 16;

fn prepare_fails<A: Layout, S: Strategy<A> + Send + 'static>(
    name: &str,
    bound: Option<usize>,
    make_strategy: fn() -> S,
) {
    let expect = [
        "the write fault's preparation failed",
        "the read fault's preparation failed",
    ];
    explore(name, bound, "", &expect, 2, move |cov, variant| {
        let k = Arc::new(LoomKernel::<A>::with_frames(Frames::failing_first(2)));
        let s = Arc::new(make_strategy());
        let go = |write: bool| {
            let (k, s) = (k.clone(), s.clone());
            move || {
                for _ in 0..MAX_REFAULTS {
                    match handle(&*s, &k.env(), &anon_vma(), fault(write)) {
                        Err(FaultError::Retry) => pte_core::fault::lock::relax(),
                        other => return other,
                    }
                }
                panic!(
                    "a fault refaulted {MAX_REFAULTS} times: the lock bit was left set ({:?})",
                    k.slot().load()
                );
            }
        };
        let (w, r) = both(variant == 1, go(true), go(false));

        let fin = k.slot().load();
        assert!(
            !fin.is_locked(),
            "the lock bit was left set after a failed preparation: {fin:?}"
        );
        let failed = [&w, &r]
            .iter()
            .filter(|res| ***res == Err(FaultError::NoMemory))
            .count();
        let installed = [&w, &r]
            .iter()
            .filter(|res| ***res == Ok(Resolved::Anonymous))
            .count();
        assert_eq!(
            (failed, installed),
            (1, 1),
            "one fault must fail, the other install: {w:?} {r:?}"
        );
        let mapped = match s.classify(fin) {
            Decoded::Present { pfn } => pfn,
            d => panic!("entry not present after the concurrent fault: {d:?}"),
        };
        assert_eq!(k.frames.read(mapped), 0, "the installed page is not zeroed");
        k.frames.assert_accounted(Some(mapped));
        cov.saw(if w == Err(FaultError::NoMemory) {
            "the write fault's preparation failed"
        } else {
            "the read fault's preparation failed"
        });
    });
}

fn m9_prepare_fails<A: Layout, S: Strategy<A> + Default + Send + 'static>(
    name: &str,
    bound: Option<usize>,
) {
    prepare_fails::<A, S>(name, bound, S::default);
}

// ---------------------------------------------------------------------------------------------
// Models 10–13: fork (issue 11). Two address spaces, parent and child, each with its own leaf,
// split lock and strategy instance (one per mm), sharing the frames (with map counts) and the
// swap device (with slot counts): `ForkKernel` in `loom_support`.

/// What the parent and the child write once their own write fault is resolved (models 11, 13).
const PARENT_WRITES: u64 = 0x0000_0000_0000_0a0a;
/// See [`PARENT_WRITES`].
const CHILD_WRITES: u64 = 0x0000_0000_0000_0c0c;

/// The MMU on a write access through `slot`, as the hardware does it: walk, then one locked
/// compare-and-swap from the entry it read, which re-validates it (the sim's `Mmu`). A write
/// through a read-only entry faults (`None`); otherwise the hardware dirty state is set —
/// x86 and LoongArch OR A|D (`hw_set`), aarch64 with HAFDBS sets AF and, on a DBM entry,
/// clears `PTE_RDONLY` — and `Some(entry the write went through)` is returned (its own CAS,
/// or nothing to write if the entry already was young and dirty). The walk does not know
/// the strategies' lock bits (aarch64's bit 63 and the others are ignored by the hardware).
fn mmu_write<A: Layout>(slot: &pte_core::PteSlot<A>) -> Option<Pte<A>> {
    loop {
        let cur = slot.load();
        let raw = cur.raw();
        // What the hardware sees: an any-state lock bit is a bit it ignores.
        let seen = match A::DISCIPLINE {
            pte_core::Discipline::AnyState => Pte::<A>::from_raw(raw & !A::MASK).unwrap(),
            _ => cur,
        };
        if seen.state() != pte_core::State::Present {
            return None;
        }
        let new = match (A::LAYOUT.hw_ad, A::LAYOUT.helpers) {
            (HwAccessDirty::SetsAccessedDirty, _) => {
                if !seen.is_writable() {
                    return None;
                }
                raw | A::LAYOUT.hw_set
            }
            (
                HwAccessDirty::AfDbmIfHafdbs,
                HelperModel::Aarch64 {
                    accessed,
                    write: dbm,
                    rdonly_hw_dirty: Some(rdonly),
                    ..
                },
            ) => {
                let mut new = raw | 1 << accessed;
                if raw & 1 << rdonly != 0 {
                    if raw & 1 << dbm == 0 {
                        return None;
                    }
                    // DBM: the write clears AP[2] (`PTE_RDONLY`) instead of faulting.
                    new &= !(1 << rdonly);
                }
                new
            }
            _ => panic!("{}: no hardware dirty bit to model", A::LAYOUT.name),
        };
        let new = Pte::<A>::from_raw(new).expect("the MMU's word fits");
        if new == cur {
            return Some(cur);
        }
        if slot.compare_exchange(cur, new).is_ok() {
            return Some(cur);
        }
    }
}

// Model 10: fork's write-protect of the parent's entry vs the parent's MMU writing through it.

/// How fork write-protects the parent's entry.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Wrprotect {
    /// `fork::copy_entry`: one atomic read-modify-write through `Strategy::update`.
    CopyEntry,
    /// Negative control: `ptep_set_wrprotect` as a load, then a blind store of the
    /// write-protected value (what `copy_entry` does, without the compare-and-swap). The store
    /// is an atomic exchange, not a plain store: loom 0.7.3 may order the MMU's
    /// compare-and-swap, having read the value before a plain store, after that store
    /// (tokio-rs/loom#254, `loom_limits`), a C11-impossible execution that would fail the
    /// control for another reason (the parent's entry writable). An exchange is as blind as a
    /// store, and loom orders it correctly against the CAS.
    LoadStore,
}

fn fork_wrprotect<A: Layout, S: Strategy<A> + Default + Send + 'static>(
    name: &str,
    bound: Option<usize>,
    how: Wrprotect,
) {
    let expect = [
        "the MMU dirtied the page before the write-protect",
        "the MMU's write faulted on the write-protected entry",
    ];
    explore(name, bound, "", &expect, 2, move |cov, variant| {
        let k = Arc::new(ForkKernel::<A>::new(Frames::new(2), SlotFree::Counted));
        let x = k.map_parent(ORIG);
        let start = k.parent.slot.load();
        assert!(
            start.is_writable() && !start.is_dirty(),
            "the parent's page does not start writable and clean: {start:?}"
        );
        let s = Arc::new(S::default());
        let forker = {
            let (k, s) = (k.clone(), s.clone());
            move || match how {
                Wrprotect::CopyEntry => pte_core::fault::fork::copy_entry(
                    &*s,
                    &k.parent_env(),
                    &anon_vma(),
                    &k.parent_leaf(),
                    &k.child.slot,
                ),
                Wrprotect::LoadStore => {
                    let cur = k.parent.slot.load();
                    k.frames.share(x);
                    let protected = cur.write_protect();
                    k.parent.slot.exchange(protected);
                    k.child.slot.store(protected.make_old());
                    Ok(pte_core::fault::fork::Copied::Anonymous)
                }
            }
        };
        let mmu = {
            let k = k.clone();
            move || mmu_write(&k.parent.slot)
        };
        let (copied, mmu) = both(variant == 1, forker, mmu);

        assert_eq!(
            copied,
            Ok(pte_core::fault::fork::Copied::Anonymous),
            "fork did not copy the page"
        );
        let fin = k.parent.slot.load();
        assert_eq!(fin.pfn(), Some(x), "the parent's entry changed page");
        assert!(
            fin.is_present() && !fin.is_writable(),
            "the parent's entry is writable after fork: {fin:?}"
        );
        match mmu {
            Some(through) => {
                assert!(
                    through.is_writable(),
                    "the MMU wrote through a read-only entry: {through:?}"
                );
                assert!(
                    fin.is_dirty(),
                    "the dirty bit set by the MMU was lost by the write-protect: {fin:?}"
                );
            }
            None => assert!(
                !fin.is_dirty(),
                "a dirty bit appeared without a write: {fin:?}"
            ),
        }
        assert_eq!(
            k.child.slot.load(),
            fin.make_old(),
            "the child's entry is not the parent's, made old"
        );
        assert_eq!(k.frames.maps(x), 2, "map count after fork");
        k.frames.assert_live(&[x]);
        cov.saw(match mmu {
            Some(_) => "the MMU dirtied the page before the write-protect",
            None => "the MMU's write faulted on the write-protected entry",
        });
    });
}

fn m10_fork_wrprotect<A: Layout, S: Strategy<A> + Default + Send + 'static>(
    name: &str,
    bound: Option<usize>,
) {
    fork_wrprotect::<A, S>(name, bound, Wrprotect::CopyEntry);
}

/// The state fork leaves (`fork::copy_entry`, run before the threads start): frame `x`,
/// holding [`ORIG`], mapped read-only by parent and child, map count 2.
fn forked_anon_page<A: Layout, S: Strategy<A>>(s: &S, k: &ForkKernel<A>) -> u64 {
    let x = k.map_parent(ORIG);
    let copied = pte_core::fault::fork::copy_entry(
        s,
        &k.parent_env(),
        &anon_vma(),
        &k.parent_leaf(),
        &k.child.slot,
    );
    assert_eq!(copied, Ok(pte_core::fault::fork::Copied::Anonymous));
    assert_eq!(k.frames.maps(x), 2);
    for slot in [&k.parent.slot, &k.child.slot] {
        let pte = slot.load();
        assert!(
            pte.pfn() == Some(x) && !pte.is_writable(),
            "after fork: {pte:?}"
        );
    }
    x
}

// Model 11: the parent's and the child's write faults on the page fork shared. Each either
// copies (map count 2: `is_exclusive` says no) or — when the other already copied and
// unmapped it — reuses it in place; never both on it. After its fault each thread reads the
// page through its entry (the pre-fork contents) and writes its own value.

fn cow_two_processes<A: Layout, S: Strategy<A> + Default + Send + 'static>(
    name: &str,
    bound: Option<usize>,
    frames: fn() -> Frames,
    accesses: bool,
) {
    let expect = [
        "both copied",
        "the parent copied, the child reused the page",
        "the child copied, the parent reused the page",
    ];
    explore(name, bound, "", &expect, 2, move |cov, variant| {
        let k = Arc::new(ForkKernel::<A>::new(frames(), SlotFree::Counted));
        let parent_s = Arc::new(S::default());
        let child_s = Arc::new(S::default());
        let x = forked_anon_page(&*parent_s, &k);
        let go = |child: bool, value: u64| {
            let k = k.clone();
            let s = if child {
                child_s.clone()
            } else {
                parent_s.clone()
            };
            move || {
                let env = if child { k.child_env() } else { k.parent_env() };
                let r = handle_retrying(&*s, &env, &anon_vma(), fault(true)).0;
                let tables = if child { &k.child } else { &k.parent };
                let seen = access(&*s, &tables.slot, &k.frames);
                if let Some((pfn, _)) = seen.filter(|_| accesses) {
                    // The write the fault was for, retried through the now-writable entry.
                    k.frames.write(pfn, value);
                }
                (r, seen)
            }
        };
        let ((pr, pseen), (cr, cseen)) = both(
            variant == 1,
            go(false, PARENT_WRITES),
            go(true, CHILD_WRITES),
        );

        let (pe, ce) = (k.parent.slot.load(), k.child.slot.load());
        assert!(
            !(pe.pfn() == ce.pfn() && pe.is_writable() && ce.is_writable()),
            "both entries writable on one frame {:#x} (parent {pr:?}, child {cr:?})",
            pe.pfn().unwrap_or(0)
        );
        for (who, r, e) in [("parent", pr, pe), ("child", cr, ce)] {
            let pfn = e
                .pfn()
                .unwrap_or_else(|| panic!("the {who}'s entry is not present"));
            assert!(
                e.is_present() && e.is_writable() && e.is_dirty(),
                "the {who}'s entry after its write fault: {e:?}"
            );
            match r {
                Ok(Resolved::Reused) => assert_eq!(pfn, x, "the {who} reused another frame"),
                Ok(Resolved::CopyOnWrite) => assert_ne!(pfn, x, "the {who}'s copy is the page"),
                r => panic!("the {who}'s write fault: {r:?}"),
            }
        }
        for (who, seen) in [("parent", pseen), ("child", cseen)] {
            let (_, v) = seen.unwrap_or_else(|| panic!("the {who} found no page after its fault"));
            assert_eq!(
                v, ORIG,
                "the {who} read other contents than the pre-fork page"
            );
        }
        let on_x = [pe, ce].iter().filter(|e| e.pfn() == Some(x)).count();
        assert_eq!(k.frames.maps(x), on_x, "map count of the shared page");
        assert_eq!(
            k.frames.is_freed(x),
            on_x == 0,
            "the shared page freed vs its mappings"
        );
        let live: Vec<u64> = [pe, ce].iter().filter_map(|e| e.pfn()).collect();
        for &pfn in &live {
            assert_eq!(k.frames.maps(pfn), 1, "map count of {pfn:#x}");
        }
        k.frames.assert_live(&live);
        if accesses {
            assert_eq!(
                k.frames.read(pe.pfn().unwrap()),
                PARENT_WRITES,
                "the parent's write"
            );
            assert_eq!(
                k.frames.read(ce.pfn().unwrap()),
                CHILD_WRITES,
                "the child's write"
            );
        }
        cov.saw(match (pr, cr) {
            (Ok(Resolved::Reused), _) => "the child copied, the parent reused the page",
            (_, Ok(Resolved::Reused)) => "the parent copied, the child reused the page",
            _ => "both copied",
        });
    });
}

fn m11_cow_two_processes<A: Layout, S: Strategy<A> + Default + Send + 'static>(
    name: &str,
    bound: Option<usize>,
) {
    cow_two_processes::<A, S>(name, bound, || Frames::new(4), true);
}

// Model 12: break-before-make vs a racing fault. The parent's write fault copies the page fork
// shared (map count 2) through `Strategy::replace_flushed`, while another of the parent's
// threads faults on the same entry (a read, or a write that copies too). The racer must never
// fill the break with a fresh zero page (the data would be lost): it waits, refaults or loses.

fn bbm_racer<A: Layout, S: Strategy<A> + Default + Send + 'static>(
    name: &str,
    bound: Option<usize>,
) {
    let expect = [
        "the writer's copy is mapped",
        "the racing write fault's copy is mapped",
        "a fault met the other's break and did not fill it",
    ];
    explore(name, bound, "", &expect, 4, move |cov, variant| {
        let racer_writes = variant >= 2;
        let k = Arc::new(ForkKernel::<A>::new(Frames::new(4), SlotFree::Counted));
        let s = Arc::new(S::default());
        let x = forked_anon_page(&*s, &k);
        let go = |write: bool| {
            let (k, s) = (k.clone(), s.clone());
            move || {
                let r = handle_retrying(&*s, &k.parent_env(), &anon_vma(), fault(write)).0;
                assert_ne!(
                    r,
                    Ok(Resolved::Anonymous),
                    "data loss: a racing fault installed a fresh zero page over the page being \
                     copied"
                );
                (r, access(&*s, &k.parent.slot, &k.frames))
            }
        };
        let ((w, wseen), (r, rseen)) = both(variant % 2 == 1, go(true), go(racer_writes));

        let copies = [w, r]
            .iter()
            .filter(|res| **res == Ok(Resolved::CopyOnWrite))
            .count();
        // A fault that finds the other's copy (writable) may still make it young: the copy is
        // mapped `PAGE_SHARED`, which is old on loongarch64 (`maps_old`).
        assert!(
            matches!(
                w,
                Ok(Resolved::CopyOnWrite | Resolved::AlreadyDone | Resolved::AccessDirty)
            ),
            "the write fault: {w:?}"
        );
        if racer_writes {
            assert!(
                matches!(
                    r,
                    Ok(Resolved::CopyOnWrite | Resolved::AlreadyDone | Resolved::AccessDirty)
                ),
                "the racing write fault: {r:?}"
            );
        } else {
            assert!(
                matches!(r, Ok(Resolved::AlreadyDone | Resolved::AccessDirty)),
                "the racing read fault: {r:?}"
            );
        }
        assert!(copies <= 1, "two copies published: {w:?} {r:?}");
        assert_eq!(k.parent.flushes(), copies, "TLB flushes vs copies");
        for seen in [wseen, rseen].into_iter().flatten() {
            assert_eq!(
                seen.1, ORIG,
                "a fault's access read other contents than the page's"
            );
        }
        let fin = k.parent.slot.load();
        let pfn = match s.classify(fin) {
            Decoded::Present { pfn } => pfn,
            d => panic!("the entry is not present after both faults: {d:?}"),
        };
        assert_eq!(
            k.frames.read(pfn),
            ORIG,
            "data loss: the mapped page lost the contents"
        );
        let child_maps_x = k.child.slot.load().pfn() == Some(x);
        assert!(child_maps_x, "the child's entry changed");
        if copies == 1 {
            assert_ne!(pfn, x, "a copy was published but the page is mapped");
            assert!(fin.is_writable() && fin.is_dirty(), "the copy: {fin:?}");
            assert_eq!(
                k.frames.maps(x),
                1,
                "the parent's mapping of the page not dropped"
            );
            assert_eq!(k.frames.maps(pfn), 1);
            k.frames.assert_live(&[x, pfn]);
        } else {
            // A racing read fault made the entry young first: the copy lost (the write access
            // would refault and copy then).
            assert_eq!(pfn, x);
            assert!(
                !racer_writes && r == Ok(Resolved::AccessDirty),
                "no copy, and nothing changed the entry: {w:?} {r:?}"
            );
            assert_eq!(k.frames.maps(x), 2);
            k.frames.assert_live(&[x]);
        }
        let st = s.stats().snapshot();
        if k.frames.zeroed() > 0 || st.retries > 0 || st.spins > 0 {
            cov.saw("a fault met the other's break and did not fill it");
        }
        cov.saw(match (w, r) {
            (Ok(Resolved::CopyOnWrite), _) => "the writer's copy is mapped",
            (_, Ok(Resolved::CopyOnWrite)) => "the racing write fault's copy is mapped",
            _ => "a racing read fault made the page young first",
        });
    });
}

fn m12_bbm_racer<A: Layout, S: Strategy<A> + Default + Send + 'static>(
    name: &str,
    bound: Option<usize>,
) {
    bbm_racer::<A, S>(name, bound);
}

// Model 13: swap-in of a slot fork shared. The parent's entry was swapped out (slot count 1),
// fork copied it (`SwapDevice::duplicate`: 2); both address spaces fault on it at once. Each
// reads the slot and maps its own page; the slot is freed once, by the last reference.

fn shared_swap_in<A: Layout, S: Strategy<A> + Default + Send + 'static>(
    name: &str,
    bound: Option<usize>,
    free_rule: SlotFree,
) {
    let expect = [
        "a swap-in read the slot while both references were held",
        "a swap-in read the slot after the other dropped its reference",
    ];
    explore(name, bound, "", &expect, 2, move |cov, variant| {
        let k = Arc::new(ForkKernel::<A>::new(Frames::new(3), free_rule));
        k.swap.write_slot(ORIG);
        k.parent.slot.store(Pte::<A>::swap(SLOT).unwrap());
        let parent_s = Arc::new(S::default());
        let child_s = Arc::new(S::default());
        let copied = pte_core::fault::fork::copy_entry(
            &*parent_s,
            &k.parent_env(),
            &anon_vma(),
            &k.parent_leaf(),
            &k.child.slot,
        );
        assert_eq!(copied, Ok(pte_core::fault::fork::Copied::Swap));
        assert_eq!(k.swap.refs(), 2, "slot count after fork");
        let go = |child: bool, write: bool| {
            let k = k.clone();
            let s = if child {
                child_s.clone()
            } else {
                parent_s.clone()
            };
            move || {
                let env = if child { k.child_env() } else { k.parent_env() };
                let tables = if child { &k.child } else { &k.parent };
                let r = handle_retrying(&*s, &env, &anon_vma(), fault(write)).0;
                if r == Err(FaultError::NoMemory)
                    && matches!(s.classify(tables.slot.load()), Decoded::Swap(_))
                {
                    panic!(
                        "stale swap-in: the slot was freed while an entry still referenced it \
                         (the {} found it gone, {} frees)",
                        if child { "child" } else { "parent" },
                        k.swap.frees()
                    );
                }
                (r, access(&*s, &tables.slot, &k.frames))
            }
        };
        let ((pr, pseen), (cr, cseen)) = both(variant == 1, go(false, true), go(true, false));

        let frees = k.swap.frees();
        assert!(
            frees <= 1,
            "the slot was freed while an entry still referenced it ({frees} frees)"
        );
        for (who, r, seen) in [("parent", pr, pseen), ("child", cr, cseen)] {
            assert_eq!(r, Ok(Resolved::SwapIn), "the {who}'s swap-in: {r:?}");
            let (_, v) = seen.unwrap_or_else(|| panic!("the {who} found no page after its fault"));
            assert_eq!(
                v, ORIG,
                "the {who} read other contents than the swapped-out page"
            );
        }
        assert_eq!(frees, 1, "the slot was not freed after its last reference");
        assert_eq!(k.swap.refs(), 0, "slot references left");
        let (pp, cp) = (
            k.parent.slot.load().pfn().unwrap(),
            k.child.slot.load().pfn().unwrap(),
        );
        assert_ne!(pp, cp, "parent and child mapped one swap-in frame");
        assert_eq!((k.frames.maps(pp), k.frames.maps(cp)), (1, 1));
        k.frames.assert_live(&[pp, cp]);
        if k.swap.read_at_refs(2) {
            cov.saw("a swap-in read the slot while both references were held");
        }
        if k.swap.read_at_refs(1) {
            cov.saw("a swap-in read the slot after the other dropped its reference");
        }
    });
}

fn m13_shared_swap_in<A: Layout, S: Strategy<A> + Default + Send + 'static>(
    name: &str,
    bound: Option<usize>,
) {
    shared_swap_in::<A, S>(name, bound, SlotFree::Counted);
}

/// Control (12): `Cmpxchg`, but `replace_flushed` breaks to a plain none, with no lock held —
/// aarch64's copy-on-write before issue 11, on an anonymous page: a racing fault sees an empty
/// entry and fills it with a fresh zero page.
#[derive(Debug, Default)]
struct NoneBreak {
    stats: Stats,
}

impl<A: Layout> Strategy<A> for NoneBreak {
    const NAME: &'static str = "broken-none-break";

    fn install_empty<P>(
        &self,
        leaf: &Leaf<'_, A>,
        prepare: impl FnOnce() -> Option<(Pte<A>, P)>,
        discard: impl FnOnce(P),
    ) -> Step<A> {
        // Not under test: the library's compare-and-swap.
        Strategy::<A>::install_empty(&Cmpxchg::new(), leaf, prepare, discard)
    }

    fn replace(&self, leaf: &Leaf<'_, A>, old: Pte<A>, new: Pte<A>) -> Step<A> {
        // Not under test: the library's compare-and-swap.
        Strategy::<A>::replace(&Cmpxchg::new(), leaf, old, new)
    }

    /// The bug: the invalid step is a plain none that no lock protects.
    fn replace_flushed(
        &self,
        leaf: &Leaf<'_, A>,
        old: Pte<A>,
        new: Pte<A>,
        flush: impl FnOnce(),
    ) -> Step<A> {
        if let Err(now) = leaf.slot.compare_exchange(old, Pte::none()) {
            return Step::Lost(now);
        }
        flush();
        match leaf.slot.compare_exchange(Pte::none(), new) {
            Ok(_) => Step::Installed,
            Err(now) => Step::Lost(now),
        }
    }

    fn update(
        &self,
        leaf: &Leaf<'_, A>,
        f: impl FnMut(Pte<A>) -> Option<Pte<A>>,
    ) -> Option<Pte<A>> {
        // Not under test: the library's compare-and-swap loop.
        Strategy::<A>::update(&Cmpxchg::new(), leaf, f)
    }

    fn stats(&self) -> &Stats {
        &self.stats
    }
}

// ---------------------------------------------------------------------------------------------
// The tests: one module per row of `loom_rows!` (a layout), in it one module per model and in
// that one test per strategy, e.g. `riscv64_6_6::m3_swap::lock_bit_spin`.

/// Preemption bound of model 1 (three threads; 1.1k–3.6k executions, about 1 s each). Without
/// a bound model 1 also passes for every strategy, but takes 9.7k (cmpxchg) to 112k
/// (lock-bit-spin) executions, 1–18 s each: too slow for the default run. All the other models
/// run exhaustively.
const P1: Option<usize> = Some(3);

/// `model/strategy/layout`, for the report.
fn name<A: Layout, S: Strategy<A>>(model: &str) -> String {
    format!("{model}/{}/{}", S::NAME, A::LAYOUT.name)
}

/// Whether the layout's `pte_none()` ignores every bit its MMU sets (x86's
/// `_PAGE_KNL_ERRATUM_MASK`, docs/DESIGN.md#h15), so that the KNL erratum's word is none:
/// what models 2b and `knl_none_word` are about.
const fn knl_erratum<A: Arch>() -> bool {
    let hw = A::LAYOUT.hw_set;
    hw != 0 && A::LAYOUT.none_ignore & hw == hw
}

/// The strategies, once, as `test_name: Type,` in `StrategyKind::ALL` order: calls
/// `$callback!` with the arguments given, then the list (`strategies_are_strategy_kind_all`
/// checks it against the strategy set).
macro_rules! for_each_strategy {
    ($callback:ident!($($args:tt)*)) => {
        $callback! {
            $($args)*
            mm_lock: MmLock,
            split_lock: SplitLock,
            lock_bit_refault: LockBitRefault,
            lock_bit_spin: LockBitSpin,
            cmpxchg: Cmpxchg,
        }
    };
}

/// One test, `$test`, running `$model::<$a, $s>` (with the attributes given).
macro_rules! cell {
    ($(#[$m:meta])* $model:ident, $a:ty, $bound:expr, $test:ident: $s:ty) => {
        #[test]
        $(#[$m])*
        fn $test() {
            $model::<$a, $s>(&name::<$a, $s>(stringify!($model)), $bound);
        }
    };
}

/// Module `$model`: the model on layout `$a` under every strategy.
macro_rules! per_strategy {
    ($model:ident, $a:ty, $bound:expr; $($test:ident: $s:ty,)*) => {
        mod $model {
            use super::*;
            $(cell!($model, $a, $bound, $test: $s);)*
        }
    };
}

/// Model 4 from an empty entry. On a layout with an any-state bit, `lock_bit_spin` is ignored:
/// the zap's `lock_any` (`fetch_or` of the bit) races with the install's `store_unlocking` (a
/// plain store), and loom 0.7.3 lets the `fetch_or`, which read the installer's locked-none,
/// land after the installer's later store (RMW atomicity not enforced against plain stores),
/// so the bit "stays set" and the zap spins until loom's branch limit — impossible in C11 and
/// on hardware. Run with `--ignored` once loom is fixed (`loom_limits` says when).
macro_rules! zap_empty {
    (NoneOnly, $a:ty; $($test:ident: $s:ty,)*) => {
        per_strategy!(m4_zap_empty, $a, None; $($test: $s,)*);
    };
    (AnyState, $a:ty; $($test:ident: $s:ty,)*) => {
        mod m4_zap_empty {
            use super::*;
            $(zap_empty!(@any_state $a, $test: $s);)*
        }
    };
    (@any_state $a:ty, lock_bit_spin: $s:ty) => {
        cell!(
            #[ignore = "loom 0.7.3 false positive: tokio-rs/loom#254 (RMW vs plain store), \
                        see loom_limits"]
            m4_zap_empty, $a, None, lock_bit_spin: $s
        );
    };
    (@any_state $a:ty, $test:ident: $s:ty) => {
        cell!(m4_zap_empty, $a, None, $test: $s);
    };
}

/// The models of an MMU that ORs accessed/dirty into the entry below the C fault path
/// (`HwAccessDirty::SetsAccessedDirty`: the x86 MMU, LoongArch's TLB exception handlers),
/// which `mmu_write_access` is: models 2 and 2c. With software A/D (`SoftwareOnly`) nothing
/// but the fault path writes A/D, which models 4 and 2c's fault already race; aarch64's DBM
/// dirties by *clearing* `PTE_RDONLY`, which the OR does not model (`AfDbmIfHafdbs`; the
/// simulator's `sim_units::lock_bit_spin_replace_vs_dbm_dirty` covers it).
macro_rules! hardware_ad_models {
    (SetsAccessedDirty, $a:ty) => {
        for_each_strategy!(per_strategy!(m2_hw_ad, $a, None;));
        for_each_strategy!(per_strategy!(m2c_replace_vs_mmu, $a, None;));
    };
    ($other:ident, $a:ty) => {};
}

/// Model 10 and its control (i) where the hardware sets a dirty bit on a write through the
/// entry — ORed in (`SetsAccessedDirty`: x86, LoongArch) or by clearing `PTE_RDONLY` on a DBM
/// entry (`AfDbmIfHafdbs`: aarch64 with HAFDBS, which the model assumes) — so fork's
/// write-protect races with it. With software A/D only the fault path dirties, and the parent's
/// faults are excluded during fork.
macro_rules! fork_wrprotect_models {
    (SoftwareOnly, $a:ty) => {};
    ($hw:ident, $a:ty) => {
        for_each_strategy!(per_strategy!(m10_fork_wrprotect, $a, None;));

        /// (i) of this row: fork's write-protect as a load and a plain store.
        mod negative_fork_wrprotect {
            use super::*;

            /// (i) `ptep_set_wrprotect` as a load, then a plain store: a dirty bit the MMU
            /// sets in between is overwritten (the page is later dropped as clean).
            #[test]
            #[should_panic(expected = "the dirty bit set by the MMU was lost by the write-protect")]
            fn i_load_store_wrprotect() {
                fork_wrprotect::<$a, Cmpxchg>(
                    &format!(
                        "negative/i load-store wrprotect/{}",
                        <$a as Arch>::LAYOUT.name
                    ),
                    None,
                    Wrprotect::LoadStore,
                );
            }
        }
    };
}

/// The KNL erratum's models (2b, `knl_none_word`) where `pte_none()` ignores A/D.
macro_rules! knl_models {
    (knl_erratum, $a:ty) => {
        for_each_strategy!(per_strategy!(m2b_knl_erratum, $a, None;));
        for_each_strategy!(per_strategy!(knl_none_word, $a, None;));
    };
    (no_knl_erratum, $a:ty) => {};
}

/// The row's KNL marker as a `bool`.
macro_rules! knl_marker {
    (knl_erratum) => {
        true
    };
    (no_knl_erratum) => {
        false
    };
}

/// Control (e) where the row has an OR-ing MMU whose dirty bit a load/store `update` loses.
macro_rules! control_e {
    (SetsAccessedDirty, $a:ty) => {
        /// (e) A load/compute/store `update`: the MMU's dirty bit is overwritten.
        #[test]
        #[should_panic(expected = "the dirty bit set by the MMU was lost")]
        fn e_plain_store_update() {
            hw_ad::<$a, PlainStore>(
                &format!(
                    "negative/e plain-store update/{}",
                    <$a as Arch>::LAYOUT.name
                ),
                None,
                PlainStore::default,
            );
        }
    };
    ($other:ident, $a:ty) => {};
}

/// The rows: `module => Type, discipline, accessed/dirty, KNL;` per layout. Each row runs,
/// under every strategy, models 1, 3, 4 (from a present and from an empty entry), 5, 7, 8, 9,
/// 11, 12 and 13; model 6 (`LockBitRefault`'s refault bound, preemption bounds 2 and 3); models
/// 2 and 2c if its MMU ORs A/D in (`SetsAccessedDirty`); model 10 if its hardware dirties
/// (`SetsAccessedDirty`, `AfDbmIfHafdbs`); models 2b and `knl_none_word` if it has the KNL
/// erratum (`knl_erratum`); and the layout's negative controls (h, j, k, l; e with an OR-ing
/// MMU; i with a dirtying one), which must fail. The markers must be the type's own (discipline: `LockBit::DISCIPLINE`;
/// A/D: `Layout::hw_ad`; KNL: `knl_erratum`): checked at compile time, so a row cannot claim
/// a property its layout lacks, nor leave out models its layout needs.
macro_rules! loom_rows {
    ($($id:ident => $a:ty, $discipline:ident, $ad:ident, $knl:ident;)*) => {
        /// `(module, layout name)` of each row (`rows_are_listed_layouts`).
        const ROWS: &[(&str, &str)] = &[$((stringify!($id), <$a as Arch>::LAYOUT.name)),*];
        $(
            mod $id {
                use super::*;

                const _: () = assert!(
                    matches!(<$a as LockBit>::DISCIPLINE, pte_core::Discipline::$discipline),
                    concat!(
                        stringify!($id),
                        ": the lock bit's discipline is not ",
                        stringify!($discipline)
                    )
                );
                const _: () = assert!(
                    matches!(<$a as Arch>::LAYOUT.hw_ad, HwAccessDirty::$ad),
                    concat!(stringify!($id), ": the layout's hw_ad is not ", stringify!($ad))
                );
                const _: () = assert!(
                    knl_erratum::<$a>() == knl_marker!($knl),
                    concat!(stringify!($id), ": the KNL marker is not ", stringify!($knl))
                );

                for_each_strategy!(per_strategy!(m1_install_race, $a, P1;));
                for_each_strategy!(per_strategy!(m3_swap, $a, None;));
                for_each_strategy!(per_strategy!(m4_zap_present, $a, None;));
                for_each_strategy!(zap_empty!($discipline, $a;));
                for_each_strategy!(per_strategy!(m5_populate, $a, None;));
                for_each_strategy!(per_strategy!(m7_cow, $a, None;));
                for_each_strategy!(per_strategy!(m8_swap_in_race, $a, None;));
                for_each_strategy!(per_strategy!(m9_prepare_fails, $a, None;));
                for_each_strategy!(per_strategy!(m11_cow_two_processes, $a, None;));
                for_each_strategy!(per_strategy!(m12_bbm_racer, $a, None;));
                for_each_strategy!(per_strategy!(m13_shared_swap_in, $a, None;));
                hardware_ad_models!($ad, $a);
                fork_wrprotect_models!($ad, $a);
                knl_models!($knl, $a);

                mod m6_refault_bound {
                    use super::*;
                    #[test]
                    fn lock_bit_refault_bound_2() {
                        let name = format!("m6_refault_bound/{} (P=2)", <$a as Arch>::LAYOUT.name);
                        m6_refault_bound::<$a>(&name, 2);
                    }
                    #[test]
                    fn lock_bit_refault_bound_3() {
                        let name = format!("m6_refault_bound/{} (P=3)", <$a as Arch>::LAYOUT.name);
                        m6_refault_bound::<$a>(&name, 3);
                    }
                }

                /// The layout's negative controls: each must fail, for the stated reason.
                mod negative {
                    use super::*;

                    /// (h) `LockBitRefault` leaving its bit set when the preparation fails:
                    /// the other fault refaults forever.
                    #[test]
                    #[should_panic(expected = "the lock bit was left set")]
                    fn h_lock_left_set_on_failure() {
                        prepare_fails::<$a, LockLeftSet>(
                            &format!(
                                "negative/h lock left set on failure/{}",
                                <$a as Arch>::LAYOUT.name
                            ),
                            None,
                            LockLeftSet::default,
                        );
                    }

                    control_e!($ad, $a);

                    /// (j) Reuse without the exclusive check (`is_exclusive` always `true`):
                    /// both processes make the page fork shared writable in place.
                    #[test]
                    #[should_panic(expected = "both entries writable on one frame")]
                    fn j_reuse_without_exclusive_check() {
                        cow_two_processes::<$a, Cmpxchg>(
                            &format!(
                                "negative/j reuse without the exclusive check/{}",
                                <$a as Arch>::LAYOUT.name
                            ),
                            None,
                            || Frames::always_exclusive(4),
                            false,
                        );
                    }

                    /// (k) A plain none as break-before-make's invalid step, no lock held: the
                    /// racing fault fills it with a fresh zero page over the data.
                    #[test]
                    #[should_panic(expected = "data loss: a racing fault installed a fresh zero page")]
                    fn k_none_as_the_invalid_step() {
                        bbm_racer::<$a, NoneBreak>(
                            &format!(
                                "negative/k none as the invalid step/{}",
                                <$a as Arch>::LAYOUT.name
                            ),
                            None,
                        );
                    }

                    /// (l) A `free_slot` that frees without the count: the first swap-in frees
                    /// the slot the other address space's entry still names, and the other
                    /// swap-in finds it freed (the stale read; or, when both read it first,
                    /// the second drop frees it again: "2 frees").
                    #[test]
                    #[should_panic(expected = "stale swap-in: the slot was freed while an entry still referenced it")]
                    fn l_free_slot_without_the_count() {
                        shared_swap_in::<$a, Cmpxchg>(
                            &format!(
                                "negative/l free_slot without the count/{}",
                                <$a as Arch>::LAYOUT.name
                            ),
                            None,
                            SlotFree::Uncounted,
                        );
                    }
                }
            }
        )*
    };
}

// Which layouts are rows. Every model is generic over the layout; what a layout changes in
// them is its lock bit (discipline and position), who else writes accessed/dirty and how,
// whether `pte_none()` ignores A/D (KNL), break-before-make (model 7) and its prototypes
// (`maps_old`). The rows:
// * x86_64/2.6.8: any-state bit 56, an OR-ing MMU;
// * x86_64/6.6: none-only bit 56, an OR-ing MMU, the KNL erratum;
// * aarch64/6.6: any-state bit 63, break-before-make, hardware AF/DBM;
// * riscv64/6.6 and 6.18: none-only bit 58, software A/D (Svade), a `pte_none()` that tests
//   the whole word;
// * loongarch64/6.6 and 6.18: any-state bit 60, A/D ORed in by the TLB exception handlers,
//   prototypes without the accessed bit (V), hence old mappings, which only these rows make.
// The 6.6 and 6.18 versions of riscv64 and of loongarch64 have the same entry (see their arch
// crates), but each is a row: a row costs about 3 s of the loom step on 2 cores. The other
// listed layouts are not rows: the models on all fourteen layouts with a lock bit add about
// 2 minutes of compilation to the loom step (measured). What they would add: a 32-bit word
// (i386/6.6; the slot's atomics are generic over the word, and `slot_threads.rs` runs every
// layout's slot under Miri), a none-only bit with an OR-ing MMU and a whole-word `pte_none()`
// (i386-pae/2.6.8), an any-state bit with software A/D (ia64/6.6, aarch64/3.18); for these
// models i386-pae/6.6 is as x86_64/6.6, ia64/2.6.8 as riscv64 and aarch64/6.18 as
// aarch64/6.6. (i386/2.6.8 has no lock bit.) A layout becomes a row by one line here.
loom_rows! {
    x86_64_2_6_8 => X86_64_2_6_8, AnyState, SetsAccessedDirty, no_knl_erratum;
    x86_64_6_6 => X86_64_6_6, NoneOnly, SetsAccessedDirty, knl_erratum;
    aarch64_6_6 => Aarch64_6_6, AnyState, AfDbmIfHafdbs, no_knl_erratum;
    riscv64_6_6 => Riscv64_6_6, NoneOnly, SoftwareOnly, no_knl_erratum;
    riscv64_6_18 => Riscv64_6_18, NoneOnly, SoftwareOnly, no_knl_erratum;
    loongarch64_6_6 => Loongarch64_6_6, AnyState, SetsAccessedDirty, no_knl_erratum;
    loongarch64_6_18 => Loongarch64_6_18, AnyState, SetsAccessedDirty, no_knl_erratum;
}

/// `(module, layout name)` of every layout of `pte_layouts::for_each_layout!`.
macro_rules! listed {
    ($($id:ident => $ty:ty, $dir:literal, $lock:ident;)*) => {
        &[$((stringify!($id), <$ty as Arch>::LAYOUT.name)),*]
    };
}
const LISTED: &[(&str, &str)] = pte_layouts::for_each_layout!(listed);

/// Each row is a layout of the one list, `pte_layouts::for_each_layout!`, under the list's
/// name for it; prints the listed layouts that are not rows (why: above `loom_rows!`).
#[test]
fn rows_are_listed_layouts() {
    for row in ROWS {
        assert!(
            LISTED.contains(row),
            "loom row {row:?} is not a layout of pte_layouts::for_each_layout! under that name"
        );
    }
    let without: Vec<&str> = LISTED
        .iter()
        .filter(|l| !ROWS.contains(l))
        .map(|l| l.1)
        .collect();
    println!(
        "loom rows: {} of the {} listed layouts; without a row: {}",
        ROWS.len(),
        LISTED.len(),
        without.join(", ")
    );
}

/// `for_each_strategy!` is `StrategyKind::ALL`, in order, each test named after its
/// strategy's `NAME`.
#[test]
fn strategies_are_strategy_kind_all() {
    macro_rules! names {
        ($($test:ident: $s:ty,)*) => {
            [$((stringify!($test), <$s as Strategy<X86_64_6_6>>::NAME)),*]
        };
    }
    let listed = for_each_strategy!(names!());
    let kinds = StrategyKind::ALL.map(StrategyKind::name);
    assert_eq!(listed.map(|(_, name)| name), kinds);
    for (test, name) in listed {
        assert_eq!(test.replace('_', "-"), name);
    }
}

// ---------------------------------------------------------------------------------------------
// The layout-independent negative controls (on x86_64/6.6): each must fail, for the stated
// reason. Controls (e) and (h) depend on the layout and run in its row (`loom_rows!`).

mod negative {
    use super::*;

    /// (a) A check-then-plain-store install: both faults see none and both store.
    #[test]
    #[should_panic(expected = "double mapping")]
    fn a_plain_store_install() {
        install_race::<X86_64_6_6, PlainStore>(
            "negative/a plain-store install",
            P1,
            || LoomKernel::new(4),
            |_| PlainStore::default(),
        );
    }

    /// (b) Zeroing after the publish: loom sees the reader's read race with the zeroing.
    #[test]
    #[should_panic(expected = "Causality violation")]
    fn b_zero_after_publish() {
        install_race::<X86_64_6_6, ZeroAfterPublish>(
            "negative/b zero after publish",
            P1,
            || LoomKernel::with_frames(Frames::with_zeroing(4, false)),
            |k| ZeroAfterPublish {
                frames: k.frames.clone(),
                stats: Stats::default(),
            },
        );
    }

    /// (c) Clear-then-set swap-out: the fault sees the transient none.
    #[test]
    #[should_panic(expected = "installed a fresh zero page")]
    fn c_clear_then_set_swap_out() {
        swap_race::<X86_64_6_6, Cmpxchg>(
            "negative/c clear-then-set swap-out",
            None,
            SwapOut::ClearThenSet,
        );
    }

    /// (d) The V14 stray semicolon: the populate frees its table even when it won.
    #[test]
    #[should_panic(expected = "walked into a freed or uncleared leaf table")]
    fn d_stray_semicolon_populate() {
        populate_race::<X86_64_6_6, Cmpxchg>("negative/d stray-semicolon populate", None, true);
    }

    /// (f) A load/store zap (no get-and-clear): a fault's dirty bit set between the zap's
    /// read and its store is dropped with the page.
    #[test]
    #[should_panic(expected = "the zap lost the fault's dirty bit")]
    fn f_plain_store_zap() {
        zap_race::<X86_64_6_6, PlainStore>("negative/f plain-store zap", None, true);
    }

    /// (g) A loser that believes it won (its `replace` reports `Installed` when the CAS
    /// failed): both swap-ins free the slot.
    #[test]
    #[should_panic(expected = "swap slot freed 2 times")]
    fn g_loser_frees_the_slot() {
        swap_in_race::<X86_64_6_6, LoserWins>(
            "negative/g loser frees the slot",
            None,
            LoserWins::default,
        );
    }
}

// ---------------------------------------------------------------------------------------------
// loom's own limitation, pinned: when this test starts failing ("did not panic"), loom enforces
// RMW atomicity against plain stores (tokio-rs/loom#254 fixed) and the `#[ignore]`d model above
// can run.

mod loom_limits {
    use loom::sync::atomic::AtomicU64;
    use std::sync::Arc;
    use std::sync::atomic::Ordering::{AcqRel, Acquire, Release};

    /// T1: CAS 0 → 1, then store 2. T2: fetch_or(1). If the fetch_or read T1's 1, it is
    /// ordered right after the CAS, hence before T1's store: the final value must be 2. loom
    /// 0.7.3 finds an execution ending with 1.
    #[test]
    #[should_panic(expected = "loom#254")]
    fn rmw_vs_plain_store() {
        loom::model(|| {
            let a = Arc::new(AtomicU64::new(0));
            let t1 = {
                let a = a.clone();
                loom::thread::spawn(move || {
                    let _ = a.compare_exchange(0, 1, Acquire, Acquire);
                    a.store(2, Release);
                })
            };
            let t2 = {
                let a = a.clone();
                loom::thread::spawn(move || a.fetch_or(1, AcqRel))
            };
            t1.join().unwrap();
            let prev = t2.join().unwrap();
            let fin = a.load(Acquire);
            if prev == 1 {
                assert_eq!(
                    fin, 2,
                    "loom#254: the RMW was ordered after a later plain store"
                );
            }
        });
    }
}
