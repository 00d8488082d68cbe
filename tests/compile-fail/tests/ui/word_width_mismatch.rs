// Attack 3: a 32-bit word on the 64-bit x86_64/6.6 layout; bit 56 would not even be stored.
#[derive(Clone, Copy)]
struct Narrow;

impl pte_core::Arch for Narrow {
    type Word = u32;
    type Flags = arch_i386::Flags6_6;
    const LAYOUT: &'static pte_core::Layout = &arch_x86_64::LAYOUT_6_6;
}

pte_core::lock_bit!(Narrow, bit = 56, discipline = NoneOnly);

fn main() {}
