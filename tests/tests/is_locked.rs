//! `Pte::is_locked` (a mask test, used in the spin loops) gives the same answer as the
//! classifier's `decode_locked().1` (used for the decisions), for every layout with a lock bit
//! (the `locked` rows of `pte_layouts::for_each_layout!`, and the narrowed types, which are
//! not in that list), both disciplines, on the words that matter and on pseudo-random ones.

use pte_core::{Discipline, LockBit, Pte};

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

/// Checks every word of [`words`] on `A`; both answers must occur, or the check proves
/// nothing.
fn agrees<A: LockBit>() {
    let (mut locked, mut unlocked) = (0, 0);
    for raw in words::<A>() {
        let pte = Pte::<A>::from_raw(raw).expect("inside the word");
        let expected = pte.decode_locked().1;
        assert_eq!(
            pte.is_locked(),
            expected,
            "{} {:?}: {raw:#x}",
            A::LAYOUT.name,
            A::DISCIPLINE
        );
        if expected {
            locked += 1;
        } else {
            unlocked += 1;
        }
    }
    assert!(
        locked > 0 && unlocked > 0,
        "{}: {locked} locked and {unlocked} unlocked words",
        A::LAYOUT.name
    );
}

/// [`agrees`] on `A`, with its discipline and whether `pte_none` ignores bits of its word.
fn check<A: LockBit>() -> (Discipline, bool) {
    agrees::<A>();
    (A::DISCIPLINE, A::LAYOUT.none_ignore != 0)
}

/// [`check`] on every `locked` row of the list.
macro_rules! locked_rows {
    ($($id:ident => $ty:ty, $dir:literal, $lock:ident;)*) => {
        [$(locked_rows!(@row $lock, $ty)),*].into_iter().flatten().collect::<Vec<_>>()
    };
    (@row locked, $ty:ty) => {
        Some(check::<$ty>())
    };
    (@row plain, $ty:ty) => {
        None
    };
}

#[test]
fn is_locked_is_the_classifiers_answer() {
    let mut checked = pte_layouts::for_each_layout!(locked_rows);
    assert_eq!(
        checked.len(),
        pte_layouts::LAYOUTS
            .iter()
            .filter(|e| e.lock.is_some())
            .count(),
        "every listed layout with a lock bit"
    );
    // The narrowed types, which the list leaves out by design.
    checked.push(check::<arch_i386::I386_2_6_8_Swap23>()); // none-only, 32-bit word
    checked.push(check::<arch_ia64_sim::Ia64_2_6_8_Pgoff51>()); // any-state
    // Both disciplines, and a none-only layout whose `pte_none` ignores bits (x86 6.x's
    // erratum A/D bits), are among them.
    assert!(
        checked.contains(&(Discipline::NoneOnly, true)),
        "{checked:?}"
    );
    assert!(
        checked.contains(&(Discipline::NoneOnly, false)),
        "{checked:?}"
    );
    assert!(
        checked.iter().any(|&(d, _)| d == Discipline::AnyState),
        "{checked:?}"
    );
}
