//! Classification is total and unique: over random words (and perturbed real encodings) of
//! every layout, exactly one recogniser — written here independently of the classifier's
//! order — accepts a word, and it agrees with `classify`.

use proptest::prelude::*;
use pte_core::classify::{is_none, pfn_of};
use pte_core::encode::{encode_file, encode_swap};
use pte_core::model::ProtNoneRule;
use pte_core::{Decoded, LayoutEntry, State, SwapEntry, classify};
use pte_tests::all_layouts;

fn layouts() -> Vec<&'static LayoutEntry> {
    all_layouts().collect()
}

/// Every state whose own definition (docs/DESIGN.md#states) accepts `w`, in no particular order.
fn recognisers(e: &LayoutEntry, w: u64) -> Vec<State> {
    let l = e.layout;
    let mut out = vec![];
    let valid = w & 1 << l.valid_bit != 0;
    if is_none(l, w) {
        out.push(State::None);
    }
    if valid && !is_none(l, w) {
        out.push(State::Present);
    }
    if !valid && !is_none(l, w) {
        match l.protnone {
            ProtNoneRule::Marker { bit } if w & 1 << bit != 0 => out.push(State::ProtNone),
            ProtNoneRule::PresentInvalid {
                bit,
                user_bit,
                uxn_bit,
            } if w & 1 << bit != 0 => {
                let protnone = w & 1 << user_bit == 0 && w & 1 << uxn_bit != 0;
                out.push(if protnone {
                    State::ProtNone
                } else {
                    State::PresentInvalid
                });
            }
            _ => {}
        }
    }
    if let Some(f) = l.file
        && encode_file(l, &e.limits, f.pgoff.get(w)) == Ok(w)
    {
        out.push(State::File);
    }
    let s = &l.swap;
    let flags = |b: Option<u32>| b.is_some_and(|b| w & 1 << b != 0);
    let entry = SwapEntry {
        ty: s.type_field.get(w),
        offset: s.offset.get(w & !s.flag_mask()),
        exclusive: flags(s.exclusive),
        soft_dirty: flags(s.soft_dirty),
        uffd_wp: flags(s.uffd_wp),
    };
    if encode_swap(l, &e.limits, entry) == Ok(w) {
        out.push(State::Swap);
    }
    out
}

/// Random words, real encodings and real encodings with one bit flipped.
fn word(e: &'static LayoutEntry) -> impl Strategy<Value = u64> {
    let mask = e.layout.word_mask();
    let swap =
        (any::<u64>(), any::<u64>(), any::<u8>()).prop_filter_map("encodable", move |(t, o, f)| {
            let s = &e.layout.swap;
            let entry = SwapEntry {
                ty: t & ((1 << e.limits.swap_type_bits) - 1),
                offset: o & ((1 << e.limits.swap_offset_bits) - 1),
                exclusive: f & 1 != 0 && s.exclusive.is_some(),
                soft_dirty: f & 2 != 0 && s.soft_dirty.is_some(),
                uffd_wp: f & 4 != 0 && s.uffd_wp.is_some(),
            };
            encode_swap(e.layout, &e.limits, entry).ok()
        });
    // Layouts without file entries draw a random word here instead.
    let file = any::<u64>().prop_map(move |p| match e.limits.file_pgoff_bits {
        Some(m) => encode_file(e.layout, &e.limits, p & ((1u64 << m) - 1)).unwrap_or(0),
        None => p & mask,
    });
    let base = prop_oneof![
        any::<u64>().prop_map(move |w| w & mask),
        swap,
        file,
        Just(0u64)
    ];
    (base, 0..=e.layout.word_bits).prop_map(move |(w, flip)| {
        if flip < e.layout.word_bits {
            w ^ 1 << flip
        } else {
            w
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 8 } else { 2048 },
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn total_and_unique((i, w) in (0..layouts().len()).prop_flat_map(|i| (Just(i), word(layouts()[i])))) {
        let e = layouts()[i];
        let d = classify(e.layout, &e.limits, w);
        let r = recognisers(e, w);
        prop_assert!(r.len() <= 1, "{} {:#x}: several states {:?}", e.layout.name, w, r);
        match r.first() {
            Some(s) => prop_assert_eq!(d.state(), *s, "{} {:#x}", e.layout.name, w),
            None => prop_assert_eq!(d.state(), State::Invalid, "{} {:#x}", e.layout.name, w),
        }
        if let Some(pfn) = d.pfn() {
            prop_assert_eq!(pfn, pfn_of(e.layout, w));
        }
        if let Decoded::Invalid(_) = d {
            prop_assert!(!is_none(e.layout, w));
        }
    }
}
