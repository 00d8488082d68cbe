//! Fork, copy-on-write of anonymous pages shared by fork, swap slots shared by fork, and
//! exit, in the simulator (`cargo test -p pte-sim --test sim_fork`).
//!
//! * Targeted single-threaded tests, each over every layout of
//!   `pte_layouts::for_each_layout!` × every strategy the layout has (and aarch64/6.6
//!   without HAFDBS): copy on the first write after fork and reuse once the other side
//!   copied; a swap slot named by both processes; the D bit kept by fork's write-protect;
//!   exit giving every frame and slot back.
//! * The multi-threaded run of `pte_sim::stress_fork` per layout × strategy (see there), and
//!   its `small::*` variant, the one kept under Miri.
//!
//! Environment: `SIM_ROUNDS` / `SIM_SCALE` / `SIM_THREADS` as in `sim_stress`;
//! `SIM_PRINT=1` prints each stress report with its fork counts (`-- --nocapture`).
//!
//! Layout × strategy where copy-on-write cannot work: `Cmpxchg` on i386/2.6.8 (2-level) has
//! no bit for a break marker (`Strategy::can_replace_flushed()` is false), so every
//! copy-on-write is refused there (`AccessError::Unsupported`). Anonymous pages shared by
//! fork cannot be written on that combination: the tests assert the refusal (and that
//! nothing changed) instead of the copy, and the stress skips it.

use arch_aarch64::Aarch64_6_6;
use pte_core::fault::{Backing, NewStrategyVisitor, Strategy, StrategyKind};
use pte_core::{Arch, CompareExchange};
use pte_sim::stress_fork::{self, ForkStressConfig};
use pte_sim::{AccessError, AddressSpace, Config, Expected, Reclaim, SlotState};

fn config(hafdbs: bool) -> Config {
    Config {
        frames: 32,
        swap_slots: 16,
        file_pages: vec![8, 8],
        hafdbs,
        ..Config::default()
    }
}

/// A page-aligned address inside the first leaf table's span, away from 0.
fn base<A: Arch + CompareExchange, S: Strategy<A>>(s: &AddressSpace<A, S>) -> u64 {
    16 * s.page_size()
}

fn pfn<A: Arch + CompareExchange, S: Strategy<A>>(s: &AddressSpace<A, S>, addr: u64) -> u64 {
    let pte = s.pte(addr).expect("the leaf table exists");
    pte.pfn()
        .filter(|_| pte.is_present())
        .expect("a present entry")
}

/// Exits every space, then checks that nothing is left: every anonymous frame and every
/// swap slot free, the invariants of the set intact.
fn exit_all<A: Arch + CompareExchange, S: Strategy<A>>(spaces: &[&AddressSpace<A, S>]) {
    for s in spaces {
        s.exit();
    }
    let none = Expected::new();
    let set: Vec<_> = spaces.iter().map(|s| (*s, &none)).collect();
    let r = AddressSpace::check_set(&set);
    r.assert_ok();
    let (pool, swap) = (spaces[0].pool().counts(), spaces[0].swap().counts());
    assert_eq!(pool.anon, 0, "anonymous frames left after every exit:\n{r}");
    assert_eq!(
        (swap.ready, swap.reserved),
        (0, 0),
        "swap slots left after every exit:\n{r}"
    );
}

fn label<A: Arch, S: Strategy<A>>(hafdbs: bool) -> String {
    format!("{} / {} (hafdbs {hafdbs})", A::LAYOUT.name, S::NAME)
}

// ---------------------------------------------------------------- the cases

/// Fork, then the child writes: it copies (the page is mapped twice: map count 2), the
/// parent still reads the old value; then the parent writes: the page is its alone now
/// (map count 1), so it is reused in place, and the child keeps its value.
#[derive(Clone, Copy)]
struct CowThenReuse {
    hafdbs: bool,
}

impl<A: Arch + CompareExchange> NewStrategyVisitor<A> for CowThenReuse {
    type Output = ();
    fn visit<S: Strategy<A>>(self, new: fn() -> S) {
        let at = label::<A, S>(self.hafdbs);
        let parent = AddressSpace::<A, S>::new(new(), config(self.hafdbs));
        let a = base(&parent);
        parent.map(a, 2, Backing::Anonymous, true).unwrap();
        parent.write(a, 1).unwrap();
        let frame = pfn(&parent, a);
        let child = parent.fork_with(new()).unwrap();
        assert_eq!(parent.pool().refs(frame), 2, "{at}: map count after fork");
        assert_eq!(parent.counts().fork.anonymous, 1, "{at}");
        if !parent.strategy().can_replace_flushed() {
            // Cmpxchg on i386/2.6.8: no break marker, copy-on-write refused (see the module).
            assert_eq!(child.write(a, 2), Err(AccessError::Unsupported), "{at}");
            assert_eq!(parent.write(a, 3), Err(AccessError::Unsupported), "{at}");
            assert_eq!((parent.read(a), child.read(a)), (Ok(1), Ok(1)), "{at}");
            exit_all(&[&parent, &child]);
            return;
        }
        child.write(a, 2).unwrap();
        let c = child.counts();
        assert_eq!(
            (c.copy_on_write, c.reused),
            (1, 0),
            "{at}: child's first write"
        );
        assert_eq!(
            parent.pool().refs(frame),
            1,
            "{at}: map count after the copy"
        );
        assert_ne!(pfn(&child, a), frame, "{at}: the child has its copy");
        assert_eq!(
            parent.read(a),
            Ok(1),
            "{at}: parent after the child's write"
        );
        parent.write(a, 3).unwrap();
        let p = parent.counts();
        assert_eq!((p.copy_on_write, p.reused), (0, 1), "{at}: parent's write");
        assert_eq!(pfn(&parent, a), frame, "{at}: reused in place");
        assert_eq!(child.read(a), Ok(2), "{at}: child after the parent's write");
        assert_eq!(parent.read(a), Ok(3), "{at}");
        let (mut ep, mut ec) = (Expected::new(), Expected::new());
        ep.set(a, 3);
        ec.set(a, 2);
        AddressSpace::check_set(&[(&parent, &ep), (&child, &ec)]).assert_ok();
        exit_all(&[&parent, &child]);
    }
}

/// Swap-out, then fork: both entries name one slot (`duplicate`: 2 references). The parent
/// swaps in (the slot must survive: 2 → 1), the child swaps in later and reads the contents;
/// then the slot is free.
#[derive(Clone, Copy)]
struct SharedSlot {
    hafdbs: bool,
}

impl<A: Arch + CompareExchange> NewStrategyVisitor<A> for SharedSlot {
    type Output = ();
    fn visit<S: Strategy<A>>(self, new: fn() -> S) {
        let at = label::<A, S>(self.hafdbs);
        let parent = AddressSpace::<A, S>::new(new(), config(self.hafdbs));
        let a = base(&parent);
        parent.map(a, 2, Backing::Anonymous, true).unwrap();
        parent.write(a, 7).unwrap();
        let Reclaim::SwappedOut { entry, .. } = parent.swap_out(a) else {
            panic!("{at}: swap-out failed");
        };
        let child = parent.fork_with(new()).unwrap();
        assert_eq!(parent.counts().fork.swap, 1, "{at}");
        assert_eq!(parent.swap().refs(entry), 2, "{at}: references after fork");
        assert_eq!(parent.read(a), Ok(7), "{at}: parent's swap-in");
        assert_eq!(parent.counts().swap_in, 1, "{at}");
        assert_eq!(
            parent.swap().refs(entry),
            1,
            "{at}: the child's reference is left"
        );
        assert_eq!(parent.swap().state(entry), Some(SlotState::Ready), "{at}");
        // Another page swapped out meanwhile may take a freed slot: it must not be this one.
        parent.write(a + parent.page_size(), 9).unwrap();
        assert!(matches!(
            parent.swap_out(a + parent.page_size()),
            Reclaim::SwappedOut { .. }
        ));
        assert_eq!(
            child.read(a),
            Ok(7),
            "{at}: child's swap-in of the shared slot"
        );
        assert_eq!(child.counts().swap_in, 1, "{at}");
        assert_eq!(parent.swap().state(entry), Some(SlotState::Free), "{at}");
        assert_eq!(parent.swap().counts().shared_reads, 1, "{at}");
        let (mut ep, mut ec) = (Expected::new(), Expected::new());
        ep.set(a, 7);
        ep.set(a + parent.page_size(), 9);
        ec.set(a, 7);
        AddressSpace::check_set(&[(&parent, &ep), (&child, &ec)]).assert_ok();
        exit_all(&[&parent, &child]);
    }
}

/// A dirty writable page, fork: the parent's entry is read-only and still dirty
/// (`Pte::is_dirty` counts x86 6.6's SAVED_DIRTY and arm64's PTE_DIRTY), and so is the
/// child's; a swap-out after fork writes the page out as dirty and the contents come back.
#[derive(Clone, Copy)]
struct DirtyKept {
    hafdbs: bool,
}

impl<A: Arch + CompareExchange> NewStrategyVisitor<A> for DirtyKept {
    type Output = ();
    fn visit<S: Strategy<A>>(self, new: fn() -> S) {
        let at = label::<A, S>(self.hafdbs);
        let parent = AddressSpace::<A, S>::new(new(), config(self.hafdbs));
        let a = base(&parent);
        parent.map(a, 1, Backing::Anonymous, true).unwrap();
        parent.write(a, 5).unwrap();
        let before = parent.pte(a).unwrap();
        assert!(
            before.is_writable() && before.is_dirty(),
            "{at}: {before:?}"
        );
        let child = parent.fork_with(new()).unwrap();
        let (p, c) = (parent.pte(a).unwrap(), child.pte(a).unwrap());
        assert!(!p.is_writable(), "{at}: parent still writable: {p:?}");
        assert!(
            p.is_dirty(),
            "{at}: fork's write-protect lost D: {before:?} -> {p:?}"
        );
        assert!(!c.is_writable() && c.is_dirty(), "{at}: child {c:?}");
        let c = parent.counts().fork;
        assert_eq!((c.write_protected, c.write_protected_dirty), (1, 1), "{at}");
        // Swap-out after fork: written out as dirty (the map count drops, the child keeps
        // the frame); both read the contents back.
        let out = parent.swap_out(a);
        assert!(
            matches!(out, Reclaim::SwappedOut { dirty: true, .. }),
            "{at}: {out:?}"
        );
        assert_eq!(parent.counts().dirty_lost, 0, "{at}");
        assert_eq!((parent.read(a), child.read(a)), (Ok(5), Ok(5)), "{at}");
        let mut e = Expected::new();
        e.set(a, 5);
        AddressSpace::check_set(&[(&parent, &e), (&child, &e)]).assert_ok();
        exit_all(&[&parent, &child]);
    }
}

/// The child exits first: its map counts go, so the parent's next write reuses its page in
/// place (no copy); page-cache references of a shared file mapping are put by exit too.
#[derive(Clone, Copy)]
struct ExitThenReuse {
    hafdbs: bool,
}

impl<A: Arch + CompareExchange> NewStrategyVisitor<A> for ExitThenReuse {
    type Output = ();
    fn visit<S: Strategy<A>>(self, new: fn() -> S) {
        let at = label::<A, S>(self.hafdbs);
        let parent = AddressSpace::<A, S>::new(new(), config(self.hafdbs));
        let ps = parent.page_size();
        let a = base(&parent);
        let f = a + 4 * ps;
        parent.map(a, 1, Backing::Anonymous, true).unwrap();
        parent
            .map(f, 2, Backing::SharedFile { file: 0, pgoff: 0 }, true)
            .unwrap();
        parent.write(a, 11).unwrap();
        parent.write(f, 12).unwrap();
        let frame = pfn(&parent, a);
        let child = parent.fork_with(new()).unwrap();
        assert_eq!(parent.counts().fork.file, 1, "{at}");
        assert_eq!(child.read(f), Ok(12), "{at}: the shared file page");
        assert_eq!(child.read(a), Ok(11), "{at}");
        child.exit();
        assert_eq!(
            child.read(a),
            Err(AccessError::Segv),
            "{at}: nothing after exit"
        );
        assert_eq!(parent.pool().refs(frame), 1, "{at}: map count after exit");
        parent.write(a, 13).unwrap();
        let p = parent.counts();
        assert_eq!((p.copy_on_write, p.reused), (0, 1), "{at}");
        let mut e = Expected::new();
        e.set(a, 13);
        e.set(f, 12);
        AddressSpace::check_set(&[(&parent, &e), (&child, &Expected::new())]).assert_ok();
        exit_all(&[&parent, &child]);
    }
}

// ---------------------------------------------------------------- the matrix

/// Every layout × every strategy it has, with `v`.
macro_rules! every_cell {
    ($($id:ident => $a:ty, $dir:literal, $lock:ident;)*) => {
        fn every_cell<V>(v: V)
        where
            V: Copy $(+ NewStrategyVisitor<$a, Output = ()>)*,
        {
            $(every_cell!(@one $lock, $a, v);)*
        }
    };
    (@one locked, $a:ty, $v:ident) => {
        for k in StrategyKind::ALL {
            k.with_new::<$a, _>($v);
        }
    };
    (@one plain, $a:ty, $v:ident) => {
        for k in StrategyKind::ALL {
            // The lock-bit strategies need a lock bit the layout does not have.
            let _ = k.try_with_new::<$a, _>($v);
        }
    };
}
pte_layouts::for_each_layout!(every_cell);

/// [`every_cell`] with hardware A/D where the layout has the choice, then aarch64/6.6
/// without HAFDBS (software A/D, every strategy).
macro_rules! targeted {
    ($name:ident, $case:ident) => {
        #[test]
        #[cfg_attr(miri, ignore = "every layout × strategy: minutes under Miri")]
        fn $name() {
            every_cell($case { hafdbs: true });
            for k in StrategyKind::ALL {
                k.with_new::<Aarch64_6_6, _>($case { hafdbs: false });
            }
        }
    };
}

targeted!(fork_then_write_copies_then_reuses, CowThenReuse);
targeted!(
    swap_slot_shared_by_fork_survives_the_first_swap_in,
    SharedSlot
);
targeted!(fork_write_protect_keeps_the_dirty_bit, DirtyKept);
targeted!(exit_drops_map_counts_and_references, ExitThenReuse);

// ---------------------------------------------------------------- stress

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Operations per parent thread (children do a third as many per fork).
fn rounds() -> u64 {
    if cfg!(miri) {
        return env("SIM_ROUNDS", 12);
    }
    let scale = env(
        "SIM_SCALE",
        if cfg!(target_arch = "x86_64") { 1 } else { 10 },
    );
    (env("SIM_ROUNDS", 6000) / scale.max(1)).max(1)
}

fn shape() -> ForkStressConfig {
    let rounds = rounds();
    ForkStressConfig {
        threads: env("SIM_THREADS", 2) as usize,
        rounds,
        child_rounds: (rounds / 3).max(1),
        ..ForkStressConfig::default()
    }
}

/// The `small::*` shape (the one kept under Miri): one fork, tiny regions.
fn small() -> ForkStressConfig {
    ForkStressConfig {
        threads: 2,
        rounds: if cfg!(miri) { rounds() } else { 200 },
        child_rounds: if cfg!(miri) { rounds() } else { 60 },
        forks: 1,
        anon_pages: 2,
        private_pages: 1,
        shared_pages: 1,
        cold_pages: 1,
        ..ForkStressConfig::default()
    }
}

/// Runs the fork stress and asserts its invariants and the fault kinds the probes make
/// certain (see `pte_sim::stress_fork`).
fn stress<A: Arch + CompareExchange, S: Strategy<A>>(
    new: fn() -> S,
    config: Config,
    st: &ForkStressConfig,
) {
    if !new().can_replace_flushed() {
        // Cmpxchg on i386/2.6.8: no break marker, so every copy-on-write is refused and
        // anonymous pages shared by fork cannot be written (see the module).
        return;
    }
    let r = stress_fork::run::<A, S>(new, config, st);
    let at = format!(
        "{} / {}: {} threads × {} rounds, {} forks",
        A::LAYOUT.name,
        S::NAME,
        st.threads,
        st.rounds,
        st.forks
    );
    if std::env::var_os("SIM_PRINT").is_some() {
        eprintln!("{at}: {}", r.summary());
    }
    assert!(r.is_ok(), "{at}: invariants violated:\n{r}");
    let (t, forks) = (r.totals(), u64::from(st.forks));
    // Each fork is followed by one whose child exits at once.
    assert_eq!(t.fork.forks, 2 * forks, "{at}\n{r}");
    assert_eq!(t.fork.exits, 2 * forks + 1, "{at}\n{r}");
    // The probes: per fork a copy-on-write in the child, a reuse in the parent, a swap
    // entry copied and swapped in from a shared slot, a dirty page write-protected.
    assert!(t.copy_on_write >= forks && t.reused >= forks, "{at}\n{r}");
    assert!(
        t.fork.swap >= forks && r.swap().shared_reads >= forks,
        "{at}\n{r}"
    );
    assert!(t.fork.write_protected_dirty >= forks, "{at}\n{r}");
}

/// [`stress`] with a new strategy of the chosen type.
struct Stress<'a> {
    hafdbs: bool,
    st: &'a ForkStressConfig,
}

impl<A: Arch + CompareExchange> NewStrategyVisitor<A> for Stress<'_> {
    type Output = ();
    fn visit<S: Strategy<A>>(self, new: fn() -> S) {
        let config = Config {
            hafdbs: self.hafdbs,
            ..self.st.config()
        };
        stress::<A, S>(new, config, self.st);
    }
}

fn kind(test: &str) -> StrategyKind {
    StrategyKind::from_name(&test.replace('_', "-"))
        .unwrap_or_else(|| panic!("no strategy is called {test}"))
}

fn locked<A: pte_core::LockBit + CompareExchange>(test: &str, hafdbs: bool) {
    kind(test).with_new::<A, _>(Stress {
        hafdbs,
        st: &shape(),
    });
}

fn plain<A: Arch + CompareExchange>(test: &str, hafdbs: bool) {
    kind(test)
        .try_with_new::<A, _>(Stress {
            hafdbs,
            st: &shape(),
        })
        .unwrap_or_else(|e| panic!("{e}"));
}

/// One test per strategy the layout has (as in `sim_stress`).
macro_rules! cells {
    ($lock:ident, $a:ty, $hafdbs:expr; $($s:ident: $needs:ident,)*) => {$(
        cells!(@cell $lock $needs $s, $a, $hafdbs);
    )*};
    (@cell plain locked $($rest:tt)*) => {};
    (@cell $lock:ident $needs:ident $s:ident, $a:ty, $hafdbs:expr) => {
        #[test]
        #[cfg_attr(miri, ignore = "see `small::*`")]
        fn $s() {
            $lock::<$a>(stringify!($s), $hafdbs);
        }
    };
}

macro_rules! strategies {
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

/// The stress per layout of [`pte_layouts::for_each_layout!`] × strategy, `stress::layout::
/// strategy`.
mod stress_matrix {
    use super::*;

    macro_rules! matrix {
        ($($id:ident => $a:ty, $dir:literal, $lock:ident;)*) => {$(
            mod $id {
                use super::*;
                strategies!(cells!($lock, $a, true;));
            }
        )*};
    }
    pte_layouts::for_each_layout!(matrix);

    /// aarch64/6.6 without HAFDBS (software A/D).
    mod aarch64_6_6_no_hafdbs {
        use super::*;
        strategies!(cells!(locked, Aarch64_6_6, false;));
    }
}

/// Tiny runs, the ones kept under Miri: hardware A/D with the any-state lock bit, and
/// software A/D (aarch64 without HAFDBS) with the lock-free strategy.
mod small {
    use super::*;
    use arch_x86_64::X86_64_6_6;
    use pte_core::fault::{Cmpxchg, LockBitSpin};

    #[test]
    fn x86_64_6_6_lock_bit_spin() {
        let st = small();
        stress::<X86_64_6_6, _>(LockBitSpin::new, st.config(), &st);
    }

    #[test]
    fn aarch64_6_6_no_hafdbs_cmpxchg() {
        let st = small();
        let config = Config {
            hafdbs: false,
            ..st.config()
        };
        stress::<Aarch64_6_6, _>(Cmpxchg::new, config, &st);
    }
}
