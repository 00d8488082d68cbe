//! The typed API on real layouts: `Pte<A>`, `PteSlot<A>`, `LockBit`, `Cmpxchg`.

use std::sync::Arc;

use arch_aarch64::Aarch64_6_6;
use arch_i386::{I386_2_6_8, I386_6_6, I386Pae6_6};
use arch_x86_64::{Flags6_6, X86_64_2_6_8, X86_64_6_6};
use pte_core::{Arch, Decoded, LockBit, Pte, PteSlot, State, SwapEntry};

#[test]
fn slots_are_lock_free_where_cmpxchg_is_claimed() {
    // Every target this suite runs on (x86_64, aarch64, i686, i586) has 64-bit atomics.
    assert!(PteSlot::<X86_64_6_6>::is_lock_free());
    assert!(PteSlot::<I386Pae6_6>::is_lock_free());
    assert!(PteSlot::<I386_2_6_8>::is_lock_free());
    assert_eq!(core::mem::align_of::<PteSlot<I386Pae6_6>>(), 8);
}

#[test]
fn typed_round_trip() {
    let pte = Pte::<X86_64_6_6>::present(99, Flags6_6::RW | Flags6_6::USER).unwrap();
    assert_eq!(pte.pfn(), Some(99));
    assert!(pte.flags().contains(Flags6_6::RW | Flags6_6::PRESENT));
    assert!(pte.is_writable() && !pte.is_dirty());
    let wp = pte.make_dirty().write_protect();
    assert!(!wp.is_writable() && wp.is_dirty());
    assert!(
        wp.flags().contains(Flags6_6::SAVED_DIRTY),
        "6.6 moves D into SAVED_DIRTY"
    );
    let s = Pte::<X86_64_6_6>::swap(SwapEntry {
        ty: 2,
        offset: 77,
        ..Default::default()
    })
    .unwrap();
    assert_eq!(s.state(), State::Swap);
    assert!(Pte::<X86_64_6_6>::from_raw(0x60).unwrap().is_none());
    assert!(Pte::<I386_6_6>::from_raw(1 << 40).is_err());
}

#[test]
fn cmpxchg_install_has_one_winner() {
    let slot = Arc::new(PteSlot::<X86_64_6_6>::default());
    let winners: usize = (0..4)
        .map(|t| {
            let slot = Arc::clone(&slot);
            std::thread::spawn(move || {
                let new = Pte::<X86_64_6_6>::present(100 + t, Flags6_6::empty()).unwrap();
                slot.compare_exchange(Pte::none(), new).is_ok() as usize
            })
        })
        .map(|h| h.join().unwrap())
        .sum();
    assert_eq!(winners, 1);
    assert!(matches!(
        slot.load().decode(),
        Decoded::Present { pfn: 100..=103 }
    ));
}

#[test]
fn swap_out_never_leaves_a_transient_none() {
    let slot = PteSlot::<Aarch64_6_6>::new(Pte::present(5, arch_aarch64::Flags6_6::AF).unwrap());
    let entry = Pte::<Aarch64_6_6>::swap(SwapEntry {
        ty: 1,
        offset: 5,
        ..Default::default()
    })
    .unwrap();
    let old = slot.exchange(entry);
    assert_eq!(old.pfn(), Some(5));
    assert_eq!(slot.load(), entry);
    assert_eq!(slot.take(), entry);
    assert!(slot.load().is_none());
}

#[test]
fn none_only_lock_protocol() {
    let slot = PteSlot::<X86_64_6_6>::default();
    assert_eq!(slot.try_lock_none(), Ok(()));
    assert_eq!(slot.load().decode_locked(), (Decoded::LockedNone, true));
    assert!(
        slot.try_lock_none().is_err(),
        "a held lock is not taken twice"
    );
    // Installing clears a none-only lock ("setting the pte clears the pte lock").
    let pte = Pte::<X86_64_6_6>::present(7, Flags6_6::empty()).unwrap();
    slot.store_unlocking(pte);
    assert_eq!(
        slot.load().decode_locked(),
        (Decoded::Present { pfn: 7 }, false)
    );
    assert!(
        slot.try_lock_none().is_err(),
        "a present entry is never locked"
    );
    assert_eq!(slot.load(), pte, "and never modified by the attempt");
}

#[test]
fn any_state_lock_survives_hardware_ad_updates() {
    type A = X86_64_2_6_8;
    let pte = Pte::<A>::present(3, arch_x86_64::Flags2_6_8::RW).unwrap();
    let slot = PteSlot::<A>::new(pte);
    let before = slot.test_and_set_lock();
    assert!(!before.is_locked());
    slot.fetch_or(0x60); // what the CPU does: set A and D with a locked RMW
    let held = slot.load();
    assert!(held.is_locked() && held.is_young() && held.is_dirty());
    assert_eq!(held.decode_locked().0, Decoded::Present { pfn: 3 });
    slot.unlock();
    assert!(!slot.load().is_locked());
    assert_eq!(<A as LockBit>::BIT, 56);
    assert_eq!(<A as Arch>::LAYOUT.name, "x86_64/2.6.8");
}
