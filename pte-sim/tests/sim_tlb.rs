//! The simulated TLBs (`cargo test -p pte-sim --test sim_tlb`): cached translations serve
//! accesses without a walk, writes the cached permission does not allow walk, every writer
//! that revokes a translation shoots it down, a shootdown waits for the accesses in flight
//! through it — and the stale-translation test of copy-on-write without break-before-make
//! (issue 11).
//!
//! Threads that must use different TLBs are bound to simulated CPUs with
//! [`pte_sim::bind_cpu`].

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use arch_aarch64::Aarch64_6_6;
use arch_x86_64::X86_64_6_6;
use common::config;
use pte_core::fault::{Backing, Cmpxchg, MmLock, SplitLock, Strategy, TableWalker as _};
use pte_core::{Arch, CompareExchange};
use pte_sim::{AccessError, AddressSpace, MmuCounts, Reclaim, file_word};

const X: u64 = 0x10_0000;

fn mmu<A: Arch + CompareExchange, S: Strategy<A>>(s: &AddressSpace<A, S>) -> MmuCounts {
    s.counts().mmu
}

/// Spins (yielding) until `flag` is set or `limit` passes; whether it was set.
fn wait_for(flag: &AtomicBool, limit: Duration) -> bool {
    let t0 = Instant::now();
    // Acquire: what the setter did before its Release store is visible once we see it.
    while !flag.load(Ordering::Acquire) {
        if t0.elapsed() > limit {
            return false;
        }
        std::thread::yield_now();
    }
    true
}

// ---------------------------------------------------------------- hits and misses

/// A read-only cached translation (a page-cache page of a private mapping) serves reads
/// without a walk; a write through it walks (and copies on write); the writable copy's
/// translation then serves writes.
#[test]
fn read_only_translation_serves_reads_and_a_write_walks() {
    let s = AddressSpace::<X86_64_6_6, _>::new(Cmpxchg::new(), config());
    assert!(s.tables().has_tlbs(), "TLBs are on by default");
    s.map(X, 1, Backing::PrivateFile { file: 1, pgoff: 0 }, true)
        .unwrap();
    assert_eq!(s.read(X + 8), Ok(file_word(1, 0, 1)));
    let filled = mmu(&s);
    assert_eq!(
        (filled.tlb_hits, filled.tlb_misses),
        (0, 2),
        "fault, then walk"
    );
    for _ in 0..3 {
        assert_eq!(s.read(X + 8), Ok(file_word(1, 0, 1)));
    }
    let after = mmu(&s);
    assert_eq!(after.tlb_hits, 3, "served by the cached translation");
    assert_eq!(after.tlb_misses, filled.tlb_misses, "no walk");
    s.write(X, 7).unwrap();
    let written = mmu(&s);
    assert_eq!(
        written.tlb_hits, 3,
        "the read-only translation does not serve a write"
    );
    assert!(
        written.tlb_misses >= after.tlb_misses + 2,
        "walk, fault, walk"
    );
    assert_eq!(s.counts().copy_on_write, 1);
    s.write(X, 8).unwrap();
    assert_eq!(
        mmu(&s).tlb_hits,
        4,
        "the copy's writable, dirty translation"
    );
    assert_eq!(s.read(X), Ok(8));
}

/// x86: a translation filled by a read caches a clean entry; a write through it walks so that
/// the MMU sets the dirty bit, and is served by the TLB afterwards.
#[test]
fn clean_translation_walks_to_set_dirty() {
    let s = AddressSpace::<X86_64_6_6, _>::new(Cmpxchg::new(), config());
    s.map(X, 1, Backing::Anonymous, true).unwrap();
    s.read(X).unwrap();
    s.read(X).unwrap();
    assert!(!s.pte(X).unwrap().is_dirty());
    let before = mmu(&s);
    s.write(X, 1).unwrap();
    let after = mmu(&s);
    assert_eq!(after.tlb_misses, before.tlb_misses + 1, "the write walked");
    assert_eq!(after.hw_updates, before.hw_updates + 1, "the MMU set dirty");
    assert!(s.pte(X).unwrap().is_dirty());
    s.write(X, 2).unwrap();
    assert_eq!(mmu(&s).tlb_hits, after.tlb_hits + 1);
}

/// After a shootdown the next access misses; the shootdown is counted, with the entry it
/// dropped.
#[test]
fn flush_makes_the_next_access_miss() {
    let s = AddressSpace::<X86_64_6_6, _>::new(Cmpxchg::new(), config());
    s.map(X, 1, Backing::Anonymous, true).unwrap();
    s.write(X, 5).unwrap();
    s.read(X).unwrap();
    let before = mmu(&s);
    s.tables().flush_tlb(X + 16);
    let flushed = mmu(&s);
    assert_eq!(flushed.shootdowns, before.shootdowns + 1);
    assert_eq!(flushed.tlb_invalidations, before.tlb_invalidations + 1);
    assert_eq!(s.read(X), Ok(5));
    let after = mmu(&s);
    assert_eq!(after.tlb_misses, before.tlb_misses + 1);
    assert_eq!(after.tlb_hits, before.tlb_hits);
}

/// Without TLBs every access walks and nothing is counted as a hit.
#[test]
fn tlb_off_walks_every_time() {
    let config = pte_sim::Config {
        tlb: false,
        ..config()
    };
    let s = AddressSpace::<X86_64_6_6, _>::new(Cmpxchg::new(), config);
    s.map(X, 1, Backing::Anonymous, true).unwrap();
    for i in 0..4 {
        s.write(X, i).unwrap();
    }
    s.tables().flush_tlb(X);
    let c = mmu(&s);
    assert_eq!((c.tlb_hits, c.tlb_misses, c.shootdowns), (0, 0, 0));
}

// ---------------------------------------------------------------- writers shoot down

/// Every writer that revokes a translation flushes it: after `mprotect` to read-only a write
/// through the cached writable translation is refused; after `clear_young` the next access
/// walks and sets the accessed bit again; after a swap-out and a zap the data comes from the
/// swap slot / a new zero page, never through the old frame.
#[test]
fn writers_shoot_down() {
    let s = AddressSpace::<X86_64_6_6, _>::new(Cmpxchg::new(), config());
    s.map(X, 2, Backing::Anonymous, true).unwrap();
    s.write(X, 1).unwrap();
    s.write(X, 2).unwrap(); // a hit through the writable, dirty translation

    let before = mmu(&s).shootdowns;
    assert_eq!(s.mprotect(X, X + 0x1000, false), Ok(1));
    assert_eq!(mmu(&s).shootdowns, before + 1);
    assert_eq!(
        s.write(X, 3),
        Err(AccessError::Segv),
        "no write through a stale TLB"
    );
    assert_eq!(s.read(X), Ok(2));
    s.mprotect(X, X + 0x1000, true).unwrap();
    s.write(X, 3).unwrap();

    s.read(X).unwrap();
    assert!(s.clear_young(X));
    assert!(!s.pte(X).unwrap().is_young());
    s.read(X).unwrap();
    assert!(s.pte(X).unwrap().is_young(), "the read walked and set A");

    let before = mmu(&s).shootdowns;
    assert!(matches!(s.swap_out(X), Reclaim::SwappedOut { .. }));
    assert_eq!(mmu(&s).shootdowns, before + 1);
    assert_eq!(
        s.read(X),
        Ok(3),
        "swapped in, not read through the freed frame"
    );
    assert_eq!(s.counts().swap_in, 1);

    let before = mmu(&s).shootdowns;
    assert!(s.zap(X).is_some());
    assert_eq!(mmu(&s).shootdowns, before + 1);
    assert_eq!(s.read(X), Ok(0), "a new zero page");
    s.check(&pte_sim::Expected::new()).assert_ok();
}

/// A shootdown waits for an access in flight through the old translation (the ack): a TLB
/// hit is held open by a hook; the flush does not return until it is let go.
#[test]
fn flush_waits_for_an_access_in_flight() {
    #[derive(Default)]
    struct Gate {
        hold: AtomicBool,
        entered: AtomicBool,
        release: AtomicBool,
    }
    pte_sim::bind_cpu(0);
    let s = AddressSpace::<X86_64_6_6, _>::new(Cmpxchg::new(), config());
    s.map(X, 1, Backing::Anonymous, true).unwrap();
    s.write(X, 9).unwrap();
    let gate = Arc::new(Gate::default());
    let g = Arc::clone(&gate);
    assert!(s.tables().on_tlb_hit(move |_| {
        if g.hold.swap(false, Ordering::AcqRel) {
            g.entered.store(true, Ordering::Release);
            // Bounded: a broken flush must fail the test, not hang it.
            wait_for(&g.release, Duration::from_secs(10));
        }
    }));
    let flushed = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            pte_sim::bind_cpu(1);
            assert_eq!(s.read(X), Ok(9)); // fill
            gate.hold.store(true, Ordering::Release);
            s.read(X) // a hit, held open
        });
        assert!(wait_for(&gate.entered, Duration::from_secs(10)));
        let flusher = scope.spawn(|| {
            pte_sim::bind_cpu(2);
            s.tables().flush_tlb(X);
            flushed.store(true, Ordering::Release);
        });
        std::thread::sleep(Duration::from_millis(100));
        assert!(
            !flushed.load(Ordering::Acquire),
            "the shootdown returned while an access through the old translation was in flight"
        );
        gate.release.store(true, Ordering::Release);
        flusher.join().unwrap();
        assert_eq!(reader.join().unwrap(), Ok(9));
    });
    assert!(flushed.load(Ordering::Acquire));
    assert_eq!(
        mmu(&s).tlb_invalidations,
        2,
        "the entries of CPU 0 (this thread's write) and of the reader were dropped"
    );
}

/// A shootdown by a CPU that holds a page-table lock (Linux's `ptep_clear_flush` under the
/// PTL) while another CPU's fault spins on that lock: the spinner holds no TLB lock while it
/// waits, so the shootdown completes.
#[test]
fn flush_under_the_page_table_lock_does_not_deadlock() {
    pte_sim::bind_cpu(0);
    let s = Arc::new(AddressSpace::<X86_64_6_6, _>::new(
        SplitLock::new(),
        config(),
    ));
    s.map(X, 2, Backing::Anonymous, true).unwrap();
    s.write(X + 0x1000, 1).unwrap(); // the leaf table exists
    let leaf = s.tables().lookup(X).unwrap();
    leaf.ptl.lock();
    let faulted = Arc::new(AtomicBool::new(false));
    let spinner = {
        let (s, faulted) = (Arc::clone(&s), Arc::clone(&faulted));
        std::thread::spawn(move || {
            pte_sim::bind_cpu(1);
            s.read(X + 0x1000).unwrap(); // fills CPU 1's TLB
            s.write(X, 2).unwrap(); // faults, spins on the PTL
            faulted.store(true, Ordering::Release);
        })
    };
    std::thread::sleep(Duration::from_millis(50));
    let flushed = Arc::new(AtomicBool::new(false));
    {
        let (s, flushed) = (Arc::clone(&s), Arc::clone(&flushed));
        std::thread::spawn(move || {
            pte_sim::bind_cpu(2);
            s.tables().flush_tlb(X + 0x1000);
            flushed.store(true, Ordering::Release);
        });
    }
    // On failure the threads are left behind, stuck: the test fails instead of hanging.
    assert!(
        wait_for(&flushed, Duration::from_secs(10)),
        "the shootdown deadlocked with a CPU spinning on the page-table lock"
    );
    assert!(
        !faulted.load(Ordering::Acquire),
        "the fault waited for the PTL"
    );
    leaf.ptl.unlock();
    spinner.join().unwrap();
    assert_eq!(s.read(X), Ok(2));
}

// ---------------------------------------------------------------- stale translations

/// What the stale-translation test saw.
#[derive(Debug)]
struct Seen {
    /// CPU B's read of the flag, and then of word 1 of the copied page.
    b: Option<(u64, u64)>,
    old: u64,
    new: u64,
}

/// Copy-on-write of a private file page with a TLB shootdown that is slow to arrive.
///
/// CPU B reads page X (a page-cache page mapped read-only in a private mapping) and the flag
/// page F, caching both translations. CPU A writes X: copy-on-write. At the start of the
/// shootdown that follows (a hook: the IPIs have not reached B yet), CPU W writes word 1 of X
/// and then the flag; then B reads the flag and word 1 of X. Message passing under program
/// order (x86-TSO): if B sees W's flag, it must see W's write to X. B's old read-only
/// translation still points at the page-cache page, so that holds only if, when any CPU can
/// write the copy, no TLB holds the old translation — the copy must not be visible before the
/// shootdown (break-before-make), and no other fault may install a copy in between.
///
/// W and B wait for the hook boundedly: if the fault path makes them wait (a lock held
/// across the shootdown, an entry that makes faults wait), they go on after it.
fn stale_cow<A: Arch + CompareExchange, S: Strategy<A>>(strategy: S) -> Seen {
    #[derive(Default)]
    struct Stage {
        armed: AtomicBool,
        fired: AtomicBool,
        b_ready: AtomicBool,
        go_w: AtomicBool,
        w_done: AtomicBool,
        go_b: AtomicBool,
        b_done: AtomicBool,
        over: AtomicBool,
    }
    pte_sim::bind_cpu(0);
    let s = AddressSpace::<A, S>::new(strategy, config());
    let ps = s.page_size();
    let f = X + ps; // another TLB slot (direct-mapped by page number)
    s.map(X, 1, Backing::PrivateFile { file: 1, pgoff: 0 }, true)
        .unwrap();
    s.map(f, 1, Backing::Anonymous, true).unwrap();
    s.write(f, 0).unwrap();
    let old = file_word(1, 0, 1);
    let new = !old;
    let stage = Arc::new(Stage::default());
    let st = Arc::clone(&stage);
    let limit = Duration::from_secs(1);
    assert!(s.tables().on_shootdown(move |page| {
        if page != X || !st.armed.load(Ordering::Acquire) || st.fired.swap(true, Ordering::AcqRel) {
            return;
        }
        // The IPIs are late: W, then B, run first.
        st.go_w.store(true, Ordering::Release);
        wait_for(&st.w_done, limit);
        st.go_b.store(true, Ordering::Release);
        wait_for(&st.b_done, limit);
    }));
    let b = std::thread::scope(|scope| {
        let (s, stage) = (&s, &stage);
        let b = scope.spawn(move || {
            pte_sim::bind_cpu(1);
            assert_eq!(s.read(X + 8), Ok(old));
            assert_eq!(s.read(f), Ok(0));
            stage.b_ready.store(true, Ordering::Release);
            while !wait_for(&stage.go_b, Duration::from_millis(10)) {
                if stage.over.load(Ordering::Acquire) {
                    return None;
                }
            }
            let flag = s.read(f).unwrap();
            let x = s.read(X + 8).unwrap();
            stage.b_done.store(true, Ordering::Release);
            Some((flag, x))
        });
        scope.spawn(move || {
            pte_sim::bind_cpu(2);
            while !wait_for(&stage.go_w, Duration::from_millis(10)) {
                if stage.over.load(Ordering::Acquire) {
                    return;
                }
            }
            s.write(X + 8, new).unwrap();
            s.write(f, 1).unwrap();
            stage.w_done.store(true, Ordering::Release);
        });
        scope
            .spawn(move || {
                pte_sim::bind_cpu(3);
                assert!(wait_for(&stage.b_ready, Duration::from_secs(10)));
                stage.armed.store(true, Ordering::Release);
                s.write(X, 1).unwrap();
                stage.over.store(true, Ordering::Release);
            })
            .join()
            .unwrap();
        b.join().unwrap()
    });
    assert_eq!(s.read(X), Ok(1));
    if b.is_some() {
        assert_eq!(s.read(X + 8), Ok(new), "W's write is in the copy");
    }
    s.check(&pte_sim::Expected::new()).assert_ok();
    Seen { b, old, new }
}

fn assert_no_stale_read(seen: Seen) {
    if let Some((flag, x)) = seen.b {
        assert!(
            flag == 0 || x == seen.new,
            "CPU B saw the flag ({flag}) and then read X = {x:#x} (the page-cache page's {:#x}) \
             instead of {:#x}: a stale TLB translation survived the copy-on-write's publish",
            seen.old,
            seen.new,
        );
    }
}

/// x86_64/6.6 (no break-before-make), `Cmpxchg`: the copy is published before the shootdown.
#[test]
fn stale_translation_after_cow_x86_cmpxchg() {
    assert_no_stale_read(stale_cow::<X86_64_6_6, _>(Cmpxchg::new()));
}

/// The same under the split page-table lock.
#[test]
fn stale_translation_after_cow_x86_split_lock() {
    assert_no_stale_read(stale_cow::<X86_64_6_6, _>(SplitLock::new()));
}

/// The same under the mm lock.
#[test]
fn stale_translation_after_cow_x86_mm_lock() {
    assert_no_stale_read(stale_cow::<X86_64_6_6, _>(MmLock::new()));
}

/// aarch64/6.6 (break-before-make) under the split lock. It failed before issue 11's fix
/// too: the break and the make were two steps each under the lock, the shootdown ran between
/// them without it, and W's fault on the empty entry installed its own copy before the
/// shootdown (Linux holds the PTL from the break to the make).
#[test]
fn stale_translation_after_cow_aarch64_split_lock() {
    assert_no_stale_read(stale_cow::<Aarch64_6_6, _>(SplitLock::new()));
}

/// aarch64/6.6 (break-before-make) under `Cmpxchg`: there is no lock, so the break must
/// leave an entry that makes other faults wait (a break marker, not none), or W installs its
/// own copy before the shootdown.
#[test]
fn stale_translation_after_cow_aarch64_cmpxchg() {
    assert_no_stale_read(stale_cow::<Aarch64_6_6, _>(Cmpxchg::new()));
}
