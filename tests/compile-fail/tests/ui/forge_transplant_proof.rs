// Attack 2: a fake copy of x86_64/2.6.8 (same name, same limits, the NX bit 63 no longer a
// hardware bit) proves bit 63 any-state; its proof is then reused for a type with the real
// layout, where bit 63 is NX. `LockBit` is sealed: there is no proof to hand over.
use pte_core::{Arch, Layout, LockBit, LockProof};

const FAKE: Layout = Layout {
    hw_bits: arch_x86_64::LAYOUT_2_6_8.hw_bits & !(1 << 63),
    ..arch_x86_64::LAYOUT_2_6_8
};

#[derive(Clone, Copy)]
struct Fake;
impl Arch for Fake {
    type Word = pte_core::Word64;
    type Flags = arch_x86_64::Flags2_6_8;
    const LAYOUT: &'static Layout = &FAKE;
}
pte_core::lock_bit!(Fake, bit = 63, discipline = AnyState);

#[derive(Clone, Copy)]
struct Real;
impl Arch for Real {
    type Word = pte_core::Word64;
    type Flags = arch_x86_64::Flags2_6_8;
    const LAYOUT: &'static Layout = &arch_x86_64::LAYOUT_2_6_8;
}

impl LockBit for Real {
    const PROOF: LockProof = <Fake as LockBit>::PROOF;
    const BIT: u32 = <Fake as LockBit>::BIT;
    const DISCIPLINE: pte_core::Discipline = <Fake as LockBit>::DISCIPLINE;
    const MASK: u64 = <Fake as LockBit>::MASK;
}

fn main() {}
