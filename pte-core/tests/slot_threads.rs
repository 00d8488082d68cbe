//! PteSlot under real threads (also run under Miri, which checks the atomics for data races
//! and undefined behaviour, on little- and big-endian targets).
#![cfg(not(loom))]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arch_i386::{Flags6_6, FlagsPae6_6, I386_6_6, I386Pae6_6};
use arch_x86_64::{Flags2_6_8, X86_64_2_6_8};
use pte_core::{Decoded, Pte, PteSlot};

const THREADS: u64 = 4;

/// Each thread installs its own PFN with one CAS; exactly one wins, the others read it back.
#[test]
fn one_cas_winner_per_empty_slot() {
    for _ in 0..if cfg!(miri) { 2 } else { 200 } {
        let slot = Arc::new(PteSlot::<I386Pae6_6>::default());
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let slot = Arc::clone(&slot);
                std::thread::spawn(move || {
                    let mine = Pte::<I386Pae6_6>::present(1 + t, FlagsPae6_6::RW).unwrap();
                    match slot.compare_exchange(Pte::none(), mine) {
                        Ok(_) => Some(t),
                        Err(theirs) => {
                            assert!(theirs.is_present());
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
        assert_eq!(winners.len(), 1);
        assert_eq!(slot.load().pfn(), Some(1 + winners[0]));
    }
}

/// An any-state bit-spinlock serialises a read-modify-write of plain data; hardware-style A/D
/// updates (atomic fetch_or) race with the holder and are never lost.
#[test]
fn bit_spinlock_excludes_and_keeps_ad_updates() {
    type A = X86_64_2_6_8;
    let slot = Arc::new(PteSlot::<A>::new(Pte::present(9, Flags2_6_8::RW).unwrap()));
    let counter = Arc::new(AtomicU64::new(0));
    let rounds = if cfg!(miri) { 5 } else { 2000 };
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let (slot, counter) = (Arc::clone(&slot), Arc::clone(&counter));
            std::thread::spawn(move || {
                for _ in 0..rounds {
                    if t == 0 {
                        slot.fetch_or(0x60); // the MMU setting A and D
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
    assert!(!end.is_locked() && end.is_young() && end.is_dirty());
    assert_eq!(end.decode(), Decoded::Present { pfn: 9 });
}

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
