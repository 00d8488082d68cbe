//! Any word × any layout (and narrowed limits): `classify` and `classify_locked` never panic,
//! and a swap, file or in-domain present word re-encodes to itself
//! (`pte_tests::roundtrip::check` says exactly what is checked per state).
//!
//! Input: a word (8 bytes, little-endian; shorter inputs are zero-padded), one byte choosing
//! which limits to narrow and by how much, and one byte choosing a lock bit (low 6 bits) and
//! its discipline (bit 6) for `classify_locked`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pte_core::Limits;
use pte_core::Discipline;
use pte_tests::roundtrip::{check, check_locked};

fuzz_target!(|data: &[u8]| {
    let mut bytes = [0u8; 8];
    let n = data.len().min(8);
    bytes[..n].copy_from_slice(&data[..n]);
    let w = u64::from_le_bytes(bytes);
    let narrow = data.get(8).copied().unwrap_or(0);
    let lock = data.get(9).copied().unwrap_or(0);
    let discipline = if lock & 0x40 != 0 {
        Discipline::AnyState
    } else {
        Discipline::NoneOnly
    };
    for e in pte_layouts::LAYOUTS {
        let limits = narrowed(e.limits, narrow);
        // The word as given, and cut to the layout's width.
        for word in [w, w & e.layout.word_mask()] {
            for lim in [e.limits, limits] {
                if let Err(msg) = check(e.layout, &lim, word) {
                    panic!("{msg}");
                }
                let bit = u32::from(lock & 0x3f);
                if let Err(msg) = check_locked(e.layout, &lim, word, bit, discipline) {
                    panic!("{msg}");
                }
            }
        }
    }
});

/// Narrows the limit picked by `sel`'s low two bits by `sel >> 2` bits (never to zero; a
/// refusal leaves the limits as they were).
fn narrowed(l: Limits, sel: u8) -> Limits {
    let by = u32::from(sel >> 2);
    let to = |bits: u32| bits.saturating_sub(by).max(1);
    let r = match sel & 3 {
        0 => Ok(l),
        1 => l.with_swap_type_bits(to(l.swap_type_bits)),
        2 => l.with_swap_offset_bits(to(l.swap_offset_bits)),
        _ => match l.file_pgoff_bits {
            Some(m) => l.with_file_pgoff_bits(to(m)),
            None => Ok(l),
        },
    };
    r.unwrap_or(l)
}
