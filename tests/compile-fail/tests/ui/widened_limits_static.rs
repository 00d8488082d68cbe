// Widened limits without `lock_bit!`: every `Pte` of the type is made by `Pte::from_word`,
// which evaluates the check, so a static table of it does not compile either.
#[derive(Clone, Copy)]
struct Wide;

impl pte_core::Arch for Wide {
    type Word = u32;
    type Flags = arch_i386::Flags6_6;
    const LAYOUT: &'static pte_core::Layout = &arch_i386::LAYOUT_6_6;
    const LIMITS: pte_core::Limits = pte_core::Limits {
        swap_type_bits: 6,
        ..arch_i386::LAYOUT_6_6.default_limits
    };
}

static TABLE: [pte_core::PteSlot<Wide>; 4] = [const { pte_core::PteSlot::none() }; 4];

fn main() {
    let _ = &TABLE;
}
