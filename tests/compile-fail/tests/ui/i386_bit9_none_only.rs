// i386/2.6.8 bit 9 under the 2004 none-only discipline: 0x200 is swap type 0, offset 2.
#[derive(Clone, Copy)]
struct Fastpath2004;

impl pte_core::Arch for Fastpath2004 {
    type Word = u32;
    type Flags = arch_i386::Flags2_6_8;
    const LAYOUT: &'static pte_core::Layout = &arch_i386::LAYOUT_2_6_8;
}

pte_core::lock_bit!(Fastpath2004, bit = 9, discipline = NoneOnly);

fn main() {}
