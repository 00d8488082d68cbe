// A lock-bit strategy needs `A: LockBit`; i386/2.6.8 has no provable bit.
use arch_i386::I386_2_6_8;
use pte_core::fault::{LockBitRefault, Strategy};

fn uses_strategy<A: pte_core::Arch, S: Strategy<A>>(_: &S) {}

fn main() {
    uses_strategy::<I386_2_6_8, _>(&LockBitRefault::new());
}
