//! A `no_std`, no-`alloc` consumer: what a kernel's fault handler would call.
#![no_std]
#![deny(missing_docs)]

use arch_aarch64::Aarch64_6_6;
use arch_x86_64::X86_64_6_6;
use pte_core::{CompareExchange, Decoded, LockBit, Pte, PteSlot};

/// A static leaf table, every entry empty: built in safe code (`PteSlot::none` is `const`).
pub static LEAF: [PteSlot<X86_64_6_6>; 512] = [const { PteSlot::none() }; 512];

/// One preset entry, from a `const` `Pte`.
pub static PRESET: PteSlot<X86_64_6_6> = PteSlot::new(Pte::none());

/// Installs `new` in the static leaf table at `index`, if that entry is empty.
pub fn install_static(index: usize, new: Pte<X86_64_6_6>) -> bool {
    LEAF.get(index).is_some_and(|slot| install(slot, new))
}

/// Installs `new` over an empty entry with one compare-and-swap.
pub fn install<A: CompareExchange>(slot: &PteSlot<A>, new: Pte<A>) -> bool {
    slot.compare_exchange(Pte::none(), new).is_ok()
}

/// Takes the bit-spinlock of an any-state layout, runs `f`, and unlocks.
pub fn with_lock<A: LockBit>(slot: &PteSlot<A>, f: impl FnOnce(Pte<A>)) {
    while slot.test_and_set_lock().is_locked() {
        core::hint::spin_loop();
    }
    f(slot.load());
    slot.unlock();
}

/// The page frame mapped by an x86_64/6.6 entry, if present.
pub fn mapped_frame(slot: &PteSlot<X86_64_6_6>) -> Option<u64> {
    match slot.load().decode() {
        Decoded::Present { pfn } => Some(pfn),
        _ => None,
    }
}

/// An aarch64/6.6 entry's accessed bit, as the hardware (HAFDBS) may have set it.
pub fn young(slot: &PteSlot<Aarch64_6_6>) -> bool {
    slot.load().is_young()
}

/// The lock bit of the layout called `name`, from the one list of layouts (`pte-layouts`
/// is `no_std` too: a kernel tool can look layouts up by name).
pub fn lock_bit_of(name: &str) -> Option<u32> {
    pte_layouts::find(name)?.lock.map(|proof| proof.bit())
}
