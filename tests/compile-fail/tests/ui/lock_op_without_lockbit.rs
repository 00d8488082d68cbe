// i386/2.6.8 has no LockBit: its slots have no lock operations.
use arch_i386::I386_2_6_8;
use pte_core::PteSlot;

fn main() {
    let slot = PteSlot::<I386_2_6_8>::default();
    slot.test_and_set_lock();
}
