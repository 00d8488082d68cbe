//! PteSlot under real threads, on every layout of `pte_layouts::for_each_layout!` (also run
//! under Miri, which checks the atomics for data races and undefined behaviour, on the host,
//! i686, aarch64 and big-endian s390x).
#![cfg(not(loom))]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arch_i386::{Flags6_6, I386_6_6};
use pte_core::{Arch, CompareExchange, Decoded, Discipline, LockBit, Pte, PteSlot};

/// Threads of a race (under Miri, which interprets every one of them, one fewer: still two
/// lockers beside the A/D writer in the bit-spinlock test).
const THREADS: u64 = if cfg!(miri) { 3 } else { 4 };

/// Rounds of a race: a few under Miri, which interprets every thread. (Each test runs once per
/// layout, fifteen times in all, also under qemu-user on the cross targets: the native counts
/// are per layout.)
fn rounds(native: u64, miri: u64) -> u64 {
    if cfg!(miri) { miri } else { native }
}

/// A present entry of layout `A` mapping `pfn` (`PAGE_SHARED`).
fn shared<A: Arch>(pfn: u64) -> Pte<A> {
    Pte::with_prot(pfn, A::LAYOUT.page_shared).expect("PAGE_SHARED encodes")
}

/// Each thread installs its own PFN with one CAS; exactly one wins, the others read it back.
fn one_cas_winner_per_empty_slot<A: Arch + CompareExchange>() {
    for _ in 0..rounds(20, 1) {
        let slot = Arc::new(PteSlot::<A>::default());
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let slot = Arc::clone(&slot);
                std::thread::spawn(move || {
                    match slot.compare_exchange(Pte::none(), shared(1 + t)) {
                        Ok(_) => Some(t),
                        Err(theirs) => {
                            assert!(theirs.is_present(), "{theirs:?}");
                            None
                        }
                    }
                })
            })
            .collect();
        let winners: Vec<u64> = handles
            .into_iter()
            .filter_map(|h| h.join().unwrap())
            .collect();
        assert_eq!(winners.len(), 1, "{}", A::LAYOUT.name);
        assert_eq!(slot.load().pfn(), Some(1 + winners[0]));
    }
}

/// The lock-bit strategies' first step on one empty entry: each thread tries to lock it
/// (`try_lock_none`), exactly one does and installs its page, dropping the lock in the same
/// Release store (`store_unlocking`); every other thread finds the entry locked-none or the
/// winner's page, never anything else.
fn one_lock_none_winner<A: LockBit + CompareExchange>() {
    for _ in 0..rounds(20, 1) {
        let slot = Arc::new(PteSlot::<A>::default());
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let slot = Arc::clone(&slot);
                std::thread::spawn(move || match slot.try_lock_none() {
                    Ok(()) => {
                        assert!(slot.load().is_locked());
                        slot.store_unlocking(shared(1 + t));
                        Some(t)
                    }
                    Err(cur) => {
                        assert!(cur.is_locked() || cur.is_present(), "{cur:?}");
                        None
                    }
                })
            })
            .collect();
        let winners: Vec<u64> = handles
            .into_iter()
            .filter_map(|h| h.join().unwrap())
            .collect();
        assert_eq!(winners.len(), 1, "{}", A::LAYOUT.name);
        let end = slot.load();
        assert!(!end.is_locked(), "{end:?}");
        assert_eq!(
            end.decode(),
            Decoded::Present {
                pfn: 1 + winners[0]
            }
        );
    }
}

/// An any-state bit-spinlock serialises a read-modify-write of plain data; accessed/dirty
/// updates by another writer (an atomic OR, as the MMU's) race with the holder and are never
/// lost.
fn bit_spinlock_excludes_and_keeps_ad_updates<A: LockBit>() {
    assert_eq!(A::DISCIPLINE, Discipline::AnyState);
    let start = shared::<A>(9);
    // The bits `pte_mkyoung` and `pte_mkdirty` set on this entry.
    let ad = start.make_young().make_dirty().raw() & !start.raw();
    assert_ne!(ad, 0, "{}: no accessed or dirty bit to set", A::LAYOUT.name);
    let slot = Arc::new(PteSlot::<A>::new(start));
    let counter = Arc::new(AtomicU64::new(0));
    let rounds = rounds(500, 5);
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let (slot, counter) = (Arc::clone(&slot), Arc::clone(&counter));
            std::thread::spawn(move || {
                for _ in 0..rounds {
                    if t == 0 {
                        slot.fetch_or(ad); // the MMU setting A and D
                        continue;
                    }
                    while slot.test_and_set_lock().is_locked() {
                        std::hint::spin_loop();
                    }
                    // Not atomic as a whole: only correct under the lock.
                    let v = counter.load(Ordering::Relaxed);
                    counter.store(v + 1, Ordering::Relaxed);
                    slot.unlock();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(counter.load(Ordering::Relaxed), (THREADS - 1) * rounds);
    let end = slot.load();
    assert!(
        !end.is_locked() && end.is_young() && end.is_dirty(),
        "{end:?}"
    );
    assert_eq!(end.decode(), Decoded::Present { pfn: 9 });
}

/// A layout without a lock bit: the compare-and-swap race.
fn plain<A: Arch + CompareExchange>() {
    one_cas_winner_per_empty_slot::<A>();
}

/// A layout with a lock bit: the compare-and-swap race, the lock-none race, and for an
/// any-state bit the bit-spinlock against accessed/dirty updates.
fn locked<A: LockBit + CompareExchange>() {
    one_cas_winner_per_empty_slot::<A>();
    one_lock_none_winner::<A>();
    if A::DISCIPLINE == Discipline::AnyState {
        bit_spinlock_excludes_and_keeps_ad_updates::<A>();
    }
}

/// `under_threads::<layout>`, one test per layout of the list.
macro_rules! every_layout {
    ($($id:ident => $ty:ty, $dir:literal, $lock:ident;)*) => {
        mod under_threads {
            use super::*;
            $(
                #[test]
                fn $id() {
                    $lock::<$ty>();
                }
            )*
        }
    };
}

pte_layouts::for_each_layout!(every_layout);

/// 32-bit words: lock-free on every target with 32-bit atomics.
#[test]
fn u32_slot_exchange_and_lock() {
    let slot = PteSlot::<I386_6_6>::new(Pte::present(3, Flags6_6::USER).unwrap());
    assert!(PteSlot::<I386_6_6>::is_lock_free());
    let old = slot.take();
    assert_eq!(old.pfn(), Some(3));
    assert!(slot.load().is_none());
    assert_eq!(slot.try_lock_none(), Ok(()));
    assert_eq!(slot.load().raw(), 1 << 6);
    slot.store_unlocking(old);
    assert_eq!(slot.load(), old);
}
