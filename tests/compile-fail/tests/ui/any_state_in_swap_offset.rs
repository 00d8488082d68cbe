// x86_64/2.6.8 bit 10: free in present entries (hardware-ignored) but swap-offset bit 2.
#[derive(Clone, Copy)]
struct OffsetLock;

impl pte_core::Arch for OffsetLock {
    type Word = pte_core::Word64;
    type Flags = arch_x86_64::Flags2_6_8;
    const LAYOUT: &'static pte_core::Layout = &arch_x86_64::LAYOUT_2_6_8;
}

pte_core::lock_bit!(OffsetLock, bit = 10, discipline = AnyState);

fn main() {}
