//! `Pte::is_locked` (a mask test, used in the spin loops) gives the same answer as the
//! classifier's `decode_locked().1` (used for the decisions), for every layout with a lock bit,
//! both disciplines, on the words that matter and on pseudo-random ones.

use pte_core::{LockBit, Pte};

/// Every word checked: the empty and locked-empty words with and without the bits `pte_none`
/// ignores, present entries with and without the bit, and pseudo-random words.
fn words<A: LockBit>() -> Vec<u64> {
    let layout = A::LAYOUT;
    let mask = layout.word_mask();
    let mut w = vec![
        0,
        A::MASK,
        layout.none_ignore,
        A::MASK | layout.none_ignore,
        mask,
        mask & !A::MASK,
    ];
    for pfn in [1, 2, 0x1234] {
        if let Ok(p) = Pte::<A>::with_prot(pfn, layout.page_shared) {
            w.push(p.raw());
            w.push(p.raw() | A::MASK);
        }
    }
    // xorshift64: deterministic, no dependency.
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..20_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        w.push(x & mask);
        // Sparse words too: most random words are nowhere near none or locked-none.
        w.push(x & mask & (A::MASK | layout.none_ignore | 1 << (x % 64)));
    }
    w
}

fn agrees<A: LockBit>() {
    for raw in words::<A>() {
        let pte = Pte::<A>::from_raw(raw).expect("inside the word");
        assert_eq!(
            pte.is_locked(),
            pte.decode_locked().1,
            "{} {:?}: {raw:#x}",
            A::LAYOUT.name,
            A::DISCIPLINE
        );
    }
}

#[test]
fn is_locked_is_the_classifiers_answer() {
    agrees::<arch_x86_64::X86_64_6_6>(); // none-only, erratum A/D bits ignored by pte_none
    agrees::<arch_x86_64::X86_64_2_6_8>(); // any-state
    agrees::<arch_i386::I386_6_6>(); // none-only, 32-bit word
    agrees::<arch_i386::I386Pae6_6>(); // none-only, 64-bit PAE
    agrees::<arch_i386::I386_2_6_8_Swap23>(); // none-only, narrowed limits
    agrees::<arch_aarch64::Aarch64_6_6>(); // any-state, bit 63
    agrees::<arch_ia64_sim::Ia64_2_6_8>(); // none-only
    agrees::<arch_ia64_sim::Ia64_6_6>(); // any-state
}
