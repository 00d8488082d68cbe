//! Decode, then re-encode, on every layout: `classify` never panics on any 64-bit word (also
//! with bits beyond a 32-bit layout's word), and every swap, file and in-domain present word it
//! accepts re-encodes to itself with the layout's encoder (`pte_tests::roundtrip::check` says
//! exactly what is checked per state). `encoders.rs` checks the other direction (encode, then
//! classify); the `classify` fuzz target (`fuzz/`) runs the same check on the fuzzer's words.

use proptest::prelude::*;
use pte_core::Discipline;
use pte_core::encode::{encode_file, encode_present, encode_protnone, encode_swap};
use pte_core::model::low_mask;
use pte_core::{LayoutEntry, Limits, SwapEntry};
use pte_tests::all_layouts;
use pte_tests::roundtrip::{check, check_locked};

fn layouts() -> Vec<&'static LayoutEntry> {
    all_layouts().collect()
}

/// Any word; real swap, file, present and protnone encodings; each maybe with one bit flipped
/// (including bits beyond a 32-bit word).
fn word(e: &'static LayoutEntry) -> impl Strategy<Value = u64> {
    let l = e.layout;
    let swap = (any::<u64>(), any::<u64>(), any::<u8>()).prop_map(move |(t, o, f)| {
        let entry = SwapEntry {
            ty: t & low_mask(e.limits.swap_type_bits),
            offset: o & low_mask(e.limits.swap_offset_bits),
            exclusive: f & 1 != 0 && l.swap.exclusive.is_some(),
            soft_dirty: f & 2 != 0 && l.swap.soft_dirty.is_some(),
            uffd_wp: f & 4 != 0 && l.swap.uffd_wp.is_some(),
        };
        encode_swap(l, &e.limits, entry).unwrap_or(0)
    });
    let file = any::<u64>().prop_map(move |p| match e.limits.file_pgoff_bits {
        Some(m) => encode_file(l, &e.limits, p & low_mask(m)).unwrap_or(0),
        None => p,
    });
    let pfn_bits = l.pfn.bits();
    let present = (any::<u64>(), any::<u64>()).prop_map(move |(p, pick)| {
        let flags = l
            .flags
            .iter()
            .enumerate()
            .filter(|(k, _)| pick >> (k % 64) & 1 == 1)
            .fold(0, |m, (_, f)| m | f.mask);
        encode_present(l, p & low_mask(pfn_bits), flags).unwrap_or(1)
    });
    let protnone =
        any::<u64>().prop_map(move |p| encode_protnone(l, p & low_mask(pfn_bits)).unwrap_or(0));
    let base = prop_oneof![
        any::<u64>(),
        any::<u64>().prop_map(move |w| w & l.word_mask()),
        swap,
        file,
        present,
        protnone,
    ];
    (base, 0..=64u32).prop_map(|(w, flip)| if flip < 64 { w ^ 1 << flip } else { w })
}

/// The layout's limits, or narrowed by one bit each where that is possible.
fn limits(e: &LayoutEntry, narrow: bool) -> Limits {
    if !narrow {
        return e.limits;
    }
    let l = e.limits;
    let l = l.with_swap_type_bits(l.swap_type_bits - 1).unwrap_or(l);
    let l = l.with_swap_offset_bits(l.swap_offset_bits - 1).unwrap_or(l);
    match l.file_pgoff_bits {
        Some(m) => l.with_file_pgoff_bits(m - 1).unwrap_or(l),
        None => l,
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 8 } else { 2048 },
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn decoded_words_reencode_to_themselves(
        (i, w) in (0..layouts().len()).prop_flat_map(|i| (Just(i), word(layouts()[i]))),
        narrow in any::<bool>(),
        bit in 0..64u32,
        any_state in any::<bool>(),
    ) {
        let e = layouts()[i];
        let lim = limits(e, narrow);
        if let Err(msg) = check(e.layout, &lim, w) {
            prop_assert!(false, "{}", msg);
        }
        let d = if any_state { Discipline::AnyState } else { Discipline::NoneOnly };
        if let Err(msg) = check_locked(e.layout, &lim, w, bit, d) {
            prop_assert!(false, "{}", msg);
        }
    }
}

/// The edges: 0, all ones, each single bit and each all-but-one, on every layout.
#[test]
fn edge_words_reencode_to_themselves() {
    for e in all_layouts() {
        let mut words = vec![0, u64::MAX, e.layout.word_mask()];
        for b in 0..64 {
            words.extend([1u64 << b, !(1u64 << b), e.layout.word_mask() & !(1u64 << b)]);
        }
        for w in words {
            if let Err(msg) = check(e.layout, &e.limits, w) {
                panic!("{msg}");
            }
        }
    }
}
