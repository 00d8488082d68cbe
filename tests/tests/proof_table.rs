//! The table of lock-bit verdicts in docs/DESIGN.md#proof-table, reproduced from the proofs for every bit of
//! every layout under the default limits. A difference is a bug in the code or in docs/DESIGN.md.

use pte_core::{Discipline, prove};
use pte_tests::{all_layouts, layout};

/// Expands `[(lo, hi), …]` ranges into a sorted bit list.
fn ranges(r: &[(u32, u32)]) -> Vec<u32> {
    r.iter().flat_map(|&(lo, hi)| lo..=hi).collect()
}

fn proven(name: &str, discipline: Discipline, limits: Option<pte_core::Limits>) -> Vec<u32> {
    let e = layout(name);
    let limits = limits.unwrap_or(e.limits);
    (0..e.layout.word_bits)
        .filter(|&b| prove(e.layout, &limits, b, discipline).is_proven())
        .collect()
}

/// loongarch64 (6.6 and 6.18): bit 0 (V) alone is not `_PAGE_PRESENT`; 6 is `_PAGE_GLOBAL`,
/// which `pte_none()` ignores; 7 present, 10 protnone, 16–20 type, 23 exclusive, 24–59 offset.
const LA_NONE_ONLY: [u32; 19] = [
    0, 1, 2, 3, 4, 5, 8, 9, 11, 12, 13, 14, 15, 21, 22, 60, 61, 62, 63,
];

/// docs/DESIGN.md#proof-table, "Expected results under the default limits".
fn expected() -> Vec<(&'static str, Vec<u32>, Vec<u32>)> {
    vec![
        ("x86_64/2.6.8", ranges(&[(40, 63)]), ranges(&[(52, 62)])),
        ("x86_64/6.6", ranges(&[(1, 4), (7, 7), (9, 63)]), vec![]),
        ("i386/2.6.8", vec![], vec![]),
        ("i386-pae/2.6.8", ranges(&[(32, 63)]), vec![]),
        ("i386/6.6", vec![6], vec![]),
        ("i386-pae/6.6", ranges(&[(1, 4), (7, 7), (9, 63)]), vec![]),
        ("ia64/2.6.8", ranges(&[(7, 8), (41, 62)]), vec![]),
        ("ia64/6.6", ranges(&[(6, 6), (46, 62)]), ranges(&[(53, 62)])),
        (
            "aarch64/3.18",
            ranges(&[(1, 1), (8, 8), (41, 57), (59, 63)]),
            ranges(&[(59, 63)]),
        ),
        (
            "aarch64/6.6",
            ranges(&[(1, 1), (46, 57), (59, 63)]),
            ranges(&[(59, 63)]),
        ),
        (
            "aarch64/6.18",
            ranges(&[(1, 1), (4, 5), (50, 63)]),
            vec![57, 59, 63],
        ),
        // As aarch64/6.18, but swap offsets reach 2^42 (bits 12–53), so 50–53 are no longer
        // none-only; bits 8–9 (PFN_HI) are swap type bits anyway.
        (
            "aarch64-lpa2/6.18",
            ranges(&[(1, 1), (4, 5), (54, 63)]),
            vec![57, 59, 63],
        ),
        ("riscv64/6.6", ranges(&[(1, 4), (58, 63)]), vec![]),
        ("riscv64/6.18", ranges(&[(1, 4), (58, 63)]), vec![]),
        ("loongarch64/6.6", LA_NONE_ONLY.to_vec(), vec![60]),
        ("loongarch64/6.18", LA_NONE_ONLY.to_vec(), vec![60]),
    ]
}

#[test]
fn every_layout_has_a_row() {
    let names: Vec<_> = expected().into_iter().map(|(n, _, _)| n).collect();
    let have: Vec<_> = all_layouts().map(|e| e.layout.name).collect();
    assert_eq!(have, names);
}

#[test]
fn none_only_verdicts_match_design() {
    for (name, none_only, _) in expected() {
        assert_eq!(
            proven(name, Discipline::NoneOnly, None),
            none_only,
            "{name} none-only"
        );
    }
}

#[test]
fn any_state_verdicts_match_design() {
    for (name, _, any_state) in expected() {
        assert_eq!(
            proven(name, Discipline::AnyState, None),
            any_state,
            "{name} any-state"
        );
    }
}

#[test]
fn ia64_2_6_8_any_state_with_51_bit_pgoffs() {
    let limits = layout("ia64/2.6.8")
        .limits
        .with_file_pgoff_bits(51)
        .unwrap();
    assert_eq!(
        proven("ia64/2.6.8", Discipline::AnyState, Some(limits)),
        ranges(&[(53, 62)])
    );
}

#[test]
fn i386_2_6_8_bit_31_with_23_bit_offsets() {
    let limits = layout("i386/2.6.8")
        .limits
        .with_swap_offset_bits(23)
        .unwrap();
    assert_eq!(
        proven("i386/2.6.8", Discipline::NoneOnly, Some(limits)),
        vec![31]
    );
}

#[test]
fn any_state_implies_none_only() {
    for e in all_layouts() {
        for b in 0..e.layout.word_bits {
            if prove(e.layout, &e.limits, b, Discipline::AnyState).is_proven() {
                assert!(prove(e.layout, &e.limits, b, Discipline::NoneOnly).is_proven());
            }
        }
    }
}

#[test]
fn declared_lock_bits_are_proven_under_their_discipline() {
    for e in all_layouts() {
        if let Some(lock) = e.lock {
            let v = prove(e.layout, &e.limits, lock.bit(), lock.discipline());
            assert!(v.is_proven(), "{} bit {}", e.layout.name, lock.bit());
        }
    }
}

#[test]
fn only_i386_2_6_8_lacks_a_lock_bit() {
    let without: Vec<_> = all_layouts()
        .filter(|e| e.lock.is_none())
        .map(|e| e.layout.name)
        .collect();
    assert_eq!(without, ["i386/2.6.8"]);
}
