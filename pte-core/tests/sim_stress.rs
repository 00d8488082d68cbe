//! Multi-threaded simulator runs on real layouts: user threads fault and access memory while
//! a reclaimer (swap-out, unmap, `clear_young`), a zapper and the MMU's own A/D updates race
//! with them; then every invariant is checked
//! (`cargo test -p pte-core --features sim --test sim_stress`).
//!
//! `SIM_ROUNDS` (operations per thread) and `SIM_THREADS` scale a run; `SIM_PRINT=1` prints
//! each report (`-- --nocapture`).

use arch_aarch64::{Aarch64_3_18, Aarch64_6_6};
use arch_i386::{I386_2_6_8, I386_6_6, I386Pae6_6};
use arch_ia64_sim::{Ia64_2_6_8, Ia64_6_6};
use arch_x86_64::{X86_64_2_6_8, X86_64_6_6};
use pte_core::fault::{Cmpxchg, LockBitRefault, LockBitSpin, MmLock, SplitLock, Strategy};
use pte_core::sim::{Report, stress};
use pte_core::{Arch, Cmpxchg as CasCapable};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn shape() -> stress::StressConfig {
    stress::StressConfig {
        threads: env("SIM_THREADS", 3) as usize,
        rounds: env("SIM_ROUNDS", if cfg!(miri) { 20 } else { 3000 }),
        owned_pages: 4,
        file_pages: 3,
        contended_pages: 2,
        ..stress::StressConfig::default()
    }
}

fn run<A: Arch + CasCapable, S: Strategy<A>>(strategy: S, hafdbs: bool) -> Report {
    let st = shape();
    let config = pte_core::sim::Config {
        hafdbs,
        ..st.config()
    };
    let r = stress::run::<A, S>(strategy, config, &st);
    if std::env::var_os("SIM_PRINT").is_some() {
        eprintln!("{r}");
    }
    r.assert_ok();
    assert!(r.space.mmu.accesses >= st.rounds, "{r}");
    r
}

macro_rules! stress {
    ($($name:ident: $a:ty, $s:expr, $hafdbs:expr;)*) => {$(
        #[test]
        fn $name() {
            run::<$a, _>($s, $hafdbs);
        }
    )*};
}

stress! {
    x86_64_6_6_cmpxchg: X86_64_6_6, Cmpxchg::new(), true;
    x86_64_6_6_mm_lock: X86_64_6_6, MmLock::new(), true;
    x86_64_6_6_split_lock: X86_64_6_6, SplitLock::new(), true;
    x86_64_6_6_lock_bit_refault: X86_64_6_6, LockBitRefault::new(), true;
    x86_64_6_6_lock_bit_spin: X86_64_6_6, LockBitSpin::new(), true;
    x86_64_2_6_8_cmpxchg: X86_64_2_6_8, Cmpxchg::new(), true;
    i386_2_6_8_mm_lock: I386_2_6_8, MmLock::new(), true;
    i386_6_6_lock_bit_spin: I386_6_6, LockBitSpin::new(), true;
    i386_pae_6_6_lock_bit_refault: I386Pae6_6, LockBitRefault::new(), true;
    ia64_6_6_cmpxchg: Ia64_6_6, Cmpxchg::new(), true;
    ia64_2_6_8_split_lock: Ia64_2_6_8, SplitLock::new(), true;
    ia64_2_6_8_lock_bit_refault: Ia64_2_6_8, LockBitRefault::new(), true;
    aarch64_6_6_hafdbs_cmpxchg: Aarch64_6_6, Cmpxchg::new(), true;
    aarch64_6_6_no_hafdbs_split_lock: Aarch64_6_6, SplitLock::new(), false;
    aarch64_3_18_mm_lock: Aarch64_3_18, MmLock::new(), true;
}

/// The any-state bit-spinlock with an MMU that sets A/D (x86): the MMU ignores the bit, so
/// every release must keep what it did meanwhile.
#[test]
fn any_state_lock_bit_spin_with_hardware_ad() {
    run::<X86_64_2_6_8, _>(LockBitSpin::new(), true);
}

/// The same on aarch64 with HAFDBS, where the MMU dirties an entry by *clearing*
/// `PTE_RDONLY`. The window is narrow and this MMU re-walks every access (no TLB), so a run
/// rarely shows it; `sim::tests::lock_bit_spin_replace_vs_dbm_dirty` shows it every time.
#[test]
fn any_state_lock_bit_spin_with_dbm() {
    run::<Aarch64_6_6, _>(LockBitSpin::new(), true);
}

/// Software A/D (ia64): the MMU writes nothing, so the any-state bit-spinlock is safe.
#[test]
fn any_state_lock_bit_spin_with_software_ad() {
    run::<Ia64_6_6, _>(LockBitSpin::new(), true);
}

/// Lameter's pft-like case: every thread faults the same fresh pages at once.
#[test]
fn install_races_are_counted() {
    let st = stress::StressConfig {
        owned_pages: 0,
        file_pages: 0,
        contended_pages: 1,
        reclaim: false,
        zap: true,
        ..shape()
    };
    let r = stress::run::<X86_64_6_6, _>(Cmpxchg::new(), st.config(), &st);
    r.assert_ok();
    assert!(r.space.zaps > 0 || cfg!(miri), "{r}");
}

/// Negative control: an install that stores without re-checking the entry (no lock, no CAS)
/// overwrites a racing install; the checker must see the frame it leaked.
#[test]
#[cfg_attr(miri, ignore = "needs many racing installs")]
fn checker_sees_a_blind_install() {
    use pte_core::Pte;
    use pte_core::fault::{Leaf, Stats, Step};

    #[derive(Default)]
    struct BlindStore(Stats);

    impl<A: Arch + CasCapable> Strategy<A> for BlindStore {
        const NAME: &'static str = "blind-store";
        fn install_empty(
            &self,
            leaf: &Leaf<'_, A>,
            prepare: impl FnOnce() -> Option<Pte<A>>,
            _discard: impl FnOnce(Pte<A>),
        ) -> Step<A> {
            match prepare() {
                Some(new) => {
                    leaf.slot.store(new);
                    Step::Installed
                }
                None => Step::NoPage,
            }
        }
        fn replace(&self, leaf: &Leaf<'_, A>, old: Pte<A>, new: Pte<A>) -> Step<A> {
            match leaf.slot.compare_exchange(old, new) {
                Ok(_) => Step::Installed,
                Err(now) => Step::Lost(now),
            }
        }
        fn update(
            &self,
            leaf: &Leaf<'_, A>,
            mut f: impl FnMut(Pte<A>) -> Option<Pte<A>>,
        ) -> Option<Pte<A>> {
            let mut cur = leaf.slot.load();
            loop {
                let new = f(cur)?;
                match leaf.slot.compare_exchange(cur, new) {
                    Ok(old) => return Some(old),
                    Err(now) => cur = now,
                }
            }
        }
        fn stats(&self) -> &Stats {
            &self.0
        }
    }

    let st = stress::StressConfig {
        threads: 4,
        rounds: 3000,
        owned_pages: 0,
        file_pages: 0,
        contended_pages: 2,
        reclaim: false,
        zap: true,
        ..shape()
    };
    for attempt in 0..20 {
        let r = stress::run::<X86_64_6_6, _>(BlindStore::default(), st.config(), &st);
        if !r.is_ok() {
            assert!(
                r.has(|v| matches!(
                    v,
                    pte_core::sim::Violation::Leaked { .. }
                        | pte_core::sim::Violation::Access { .. }
                        | pte_core::sim::Violation::Counter { .. }
                )),
                "{r}"
            );
            eprintln!("found on attempt {attempt}:\n{r}");
            return;
        }
    }
    panic!("20 runs of a blind install and no violation found");
}
