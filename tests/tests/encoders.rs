//! Every encoder: proptest round trips within the limits, and refusal of each out-of-limit
//! value (never a silent truncation).

use proptest::prelude::*;
use pte_core::encode::{EncodeError, encode_file, encode_present, encode_protnone, encode_swap};
use pte_core::model::low_mask;
use pte_core::{Decoded, LayoutEntry, SwapEntry, classify};
use pte_tests::all_layouts;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: if cfg!(miri) { 4 } else { 256 },
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn layouts() -> Vec<&'static LayoutEntry> {
    all_layouts().collect()
}

/// A value below `2^bits`, biased towards the edges.
fn below(bits: u32) -> impl Strategy<Value = u64> {
    let max = low_mask(bits);
    prop_oneof![
        Just(0u64),
        Just(max),
        Just(max >> 1),
        any::<u64>().prop_map(move |v| v & max)
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn swap_round_trips(i in 0..layouts().len(), ty in below(5), off in any::<u64>(), fl in any::<[bool; 3]>()) {
        let e = layouts()[i];
        let s = &e.layout.swap;
        let entry = SwapEntry {
            ty: ty & low_mask(e.limits.swap_type_bits),
            offset: off & low_mask(e.limits.swap_offset_bits),
            exclusive: fl[0] && s.exclusive.is_some(),
            soft_dirty: fl[1] && s.soft_dirty.is_some(),
            uffd_wp: fl[2] && s.uffd_wp.is_some(),
        };
        match encode_swap(e.layout, &e.limits, entry) {
            Ok(w) => prop_assert_eq!(classify(e.layout, &e.limits, w), Decoded::Swap(entry)),
            Err(EncodeError::WouldBeNone) => {
                prop_assert_eq!(entry, SwapEntry::default());
                prop_assert!(!e.layout.swap.offset.inverted);
            }
            Err(err) => prop_assert!(false, "{}: {}", e.layout.name, err),
        }
    }

    #[test]
    fn file_round_trips(i in 0..layouts().len(), pgoff in any::<u64>()) {
        let e = layouts()[i];
        let r = encode_file(e.layout, &e.limits, pgoff & low_mask(e.limits.file_pgoff_bits.unwrap_or(0)));
        match (e.layout.file, r) {
            (Some(_), Ok(w)) => prop_assert_eq!(
                classify(e.layout, &e.limits, w),
                Decoded::File { pgoff: pgoff & low_mask(e.limits.file_pgoff_bits.unwrap()) }
            ),
            (None, Err(EncodeError::NoFileEntries)) => {}
            (f, r) => prop_assert!(false, "{}: {:?} {:?}", e.layout.name, f.is_some(), r),
        }
    }

    #[test]
    fn present_round_trips(i in 0..layouts().len(), pfn in any::<u64>(), pick in any::<u64>()) {
        let e = layouts()[i];
        let pfn = pfn & low_mask(e.layout.pfn.bits());
        let flags = e.layout.flags.iter().enumerate()
            .filter(|(k, _)| pick >> (k % 64) & 1 == 1)
            .fold(0, |acc, (_, f)| acc | f.mask);
        let w = encode_present(e.layout, pfn, flags).unwrap();
        prop_assert_eq!(classify(e.layout, &e.limits, w), Decoded::Present { pfn });
        prop_assert_eq!(w & flags, flags);
    }

    #[test]
    fn protnone_round_trips(i in 0..layouts().len(), pfn in any::<u64>()) {
        let e = layouts()[i];
        let pfn = pfn & low_mask(e.layout.pfn.bits());
        let w = encode_protnone(e.layout, pfn).unwrap();
        prop_assert_eq!(classify(e.layout, &e.limits, w), Decoded::ProtNone { pfn });
    }
}

fn too_large(r: Result<u64, EncodeError>, field: &str, limit: u32) {
    match r {
        Err(EncodeError::TooLarge {
            field: f,
            limit_bits,
            ..
        }) => {
            assert_eq!((f.name(), limit_bits), (field, limit));
        }
        other => panic!("{field}: expected TooLarge below 2^{limit}, got {other:?}"),
    }
}

#[test]
fn every_encoder_refuses_each_out_of_limit_value() {
    for e in all_layouts() {
        let (l, lim) = (e.layout, &e.limits);
        let t = lim.swap_type_bits;
        let n = lim.swap_offset_bits;
        let at = |ty, offset| SwapEntry {
            ty,
            offset,
            ..SwapEntry::default()
        };
        too_large(encode_swap(l, lim, at(1 << t, 1)), "swap type", t);
        too_large(encode_swap(l, lim, at(u64::MAX, 1)), "swap type", t);
        too_large(encode_swap(l, lim, at(1, 1 << n)), "swap offset", n);
        too_large(encode_swap(l, lim, at(1, u64::MAX)), "swap offset", n);
        let p = l.pfn.bits();
        too_large(encode_present(l, 1 << p, 0), "pfn", p);
        too_large(encode_protnone(l, 1 << p), "pfn", p);
        match lim.file_pgoff_bits {
            Some(m) => too_large(encode_file(l, lim, 1 << m), "file pgoff", m),
            None => assert_eq!(encode_file(l, lim, 1), Err(EncodeError::NoFileEntries)),
        }
        let s = &l.swap;
        for (has, flag, entry) in [
            (
                s.exclusive,
                "exclusive",
                SwapEntry {
                    exclusive: true,
                    ..at(1, 1)
                },
            ),
            (
                s.soft_dirty,
                "soft-dirty",
                SwapEntry {
                    soft_dirty: true,
                    ..at(1, 1)
                },
            ),
            (
                s.uffd_wp,
                "uffd-wp",
                SwapEntry {
                    uffd_wp: true,
                    ..at(1, 1)
                },
            ),
        ] {
            if has.is_none() {
                assert_eq!(
                    encode_swap(l, lim, entry),
                    Err(EncodeError::NoSuchSwapFlag { flag })
                );
            }
        }
        let unknown = l.word_mask() & !l.flags.iter().fold(0, |a, f| a | f.mask);
        if unknown != 0 {
            let bit = unknown & unknown.wrapping_neg();
            assert_eq!(
                encode_present(l, 1, bit),
                Err(EncodeError::UnknownFlagBits { bits: bit })
            );
        }
    }
}

#[test]
fn narrowed_limits_are_enforced() {
    let e = pte_tests::layout("i386/2.6.8");
    let lim = e.limits.with_swap_offset_bits(23).unwrap();
    let entry = SwapEntry {
        ty: 0,
        offset: 1 << 23,
        ..SwapEntry::default()
    };
    too_large(encode_swap(e.layout, &lim, entry), "swap offset", 23);
    assert!(
        e.limits.with_swap_offset_bits(25).is_err(),
        "limits only narrow"
    );
}

/// `swp_entry(0, 0)` without a flag is the none word where the offset is not inverted.
#[test]
fn empty_swap_entry_is_refused_where_it_would_be_none() {
    for e in all_layouts() {
        let r = encode_swap(e.layout, &e.limits, SwapEntry::default());
        if e.layout.swap.offset.inverted {
            assert!(r.is_ok(), "{}", e.layout.name);
        } else {
            assert_eq!(r, Err(EncodeError::WouldBeNone), "{}", e.layout.name);
        }
    }
}
