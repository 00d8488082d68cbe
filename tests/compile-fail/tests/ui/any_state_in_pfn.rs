// aarch64/6.6 bit 47: the top PFN bit of a present entry (PTE_ADDR_LOW, bits 12–47). It is
// none-only safe (an offset of 2^39 is beyond the 38-bit limit) but not any-state.
#[derive(Clone, Copy)]
struct PfnLock;

impl pte_core::Arch for PfnLock {
    type Word = pte_core::Word64;
    type Flags = arch_aarch64::Flags6_6;
    const LAYOUT: &'static pte_core::Layout = &arch_aarch64::LAYOUT_6_6;
}

pte_core::lock_bit!(PfnLock, bit = 47, discipline = AnyState);

fn main() {}
