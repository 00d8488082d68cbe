// A direct `const LIMITS` that widens the layout's (i386/6.6 swap offsets stop at 2^23):
// `narrowed_arch!` refuses this, and so does every use of the type.
#[derive(Clone, Copy)]
struct Wide;

impl pte_core::Arch for Wide {
    type Word = u32;
    type Flags = arch_i386::Flags6_6;
    const LAYOUT: &'static pte_core::Layout = &arch_i386::LAYOUT_6_6;
    const LIMITS: pte_core::Limits = pte_core::Limits {
        swap_offset_bits: 27,
        ..arch_i386::LAYOUT_6_6.default_limits
    };
}

pte_core::lock_bit!(Wide, bit = 6, discipline = NoneOnly);

fn main() {}
