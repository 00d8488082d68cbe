//! Differential: the model (`classify`, the swap decode, `encode_swap`) against the
//! hand-written kernel masks of `pte_tests::hand` (independent of the model) on every layout,
//! and `pte_pfn()` on the two aarch64/6.18 layouts (with and without LPA2).
//!
//! Input: a word, a swap type, a swap offset (8 bytes each, little-endian, zero-padded), a flag
//! byte (exclusive, soft-dirty, uffd-wp) and a bit to flip. Checked per layout: the word itself
//! and cut to the layout's width; the swap entry's encodings by both; the model's encoding with
//! the bit flipped (so that near-swap words are common, not one in 2^40).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pte_core::encode::encode_swap;
use pte_core::{Arch, Decoded, SwapEntry, classify};
use pte_tests::hand::{Hand, NOT_SWAP, aarch64_6_18_pfn, aarch64_lpa2_6_18_pfn};

struct Input {
    word: u64,
    ty: u64,
    offset: u64,
    flags: u8,
    flip: u8,
}

fn input(data: &[u8]) -> Input {
    let mut b = [0u8; 26];
    let n = data.len().min(b.len());
    b[..n].copy_from_slice(&data[..n]);
    let u = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
    Input {
        word: u(0),
        ty: u(8),
        offset: u(16),
        flags: b[24],
        flip: b[25],
    }
}

fn model_decode<A: Arch>(w: u64) -> (u64, u64) {
    match classify(A::LAYOUT, &A::LIMITS, w) {
        Decoded::Swap(e) => (e.ty, e.offset),
        _ => NOT_SWAP,
    }
}

fn same_word<A: Hand>(w: u64) {
    let name = A::LAYOUT.name;
    let model = classify(A::LAYOUT, &A::LIMITS, w).state();
    assert_eq!(A::classify(w), model, "{name}: hand classify of {w:#x}");
    assert_eq!(A::decode(w), model_decode::<A>(w), "{name}: decode of {w:#x}");
}

/// `pte_pfn()` of the two aarch64/6.18 layouts, which differ in it (with LPA2, bits 8–9 hold
/// `PA[51:50]`): the model against the hand translations of the kernel's `__pte_to_phys()`.
fn same_pfn(w: u64) {
    let kernels: [(&str, fn(u64) -> u64); 2] = [
        ("aarch64/6.18", aarch64_6_18_pfn),
        ("aarch64-lpa2/6.18", aarch64_lpa2_6_18_pfn),
    ];
    for (name, hand) in kernels {
        let e = pte_layouts::find(name).expect("a listed layout");
        if let Some(pfn) = classify(e.layout, &e.limits, w).pfn() {
            assert_eq!(pfn, hand(w), "{name}: pte_pfn of {w:#x}");
        }
    }
}

fn layout<A: Hand>(i: &Input) {
    let l = A::LAYOUT;
    same_word::<A>(i.word);
    same_word::<A>(i.word & l.word_mask());
    // Small types and offsets are the interesting ones: keep the fuzzer's high bytes mostly
    // out of the way (the flag byte's top bits choose whether to).
    let keep = |v: u64, bits: u32| if i.flags & 0x80 != 0 { v } else { v & ((1u64 << bits) - 1) };
    let e = SwapEntry {
        ty: keep(i.ty, 6),
        offset: keep(i.offset, 52),
        exclusive: i.flags & 1 != 0,
        soft_dirty: i.flags & 2 != 0,
        uffd_wp: i.flags & 4 != 0,
    };
    let model = encode_swap(l, &A::LIMITS, e).ok();
    assert_eq!(A::encode(e), model, "{}: hand encode of {e:?}", l.name);
    if let Some(w) = model {
        same_word::<A>(w);
        assert_eq!(A::swap_raw(w), (e.ty, e.offset), "{}: raw decode of {w:#x}", l.name);
        same_word::<A>(w ^ 1u64 << (i.flip % 64));
    }
}

fuzz_target!(|data: &[u8]| {
    let i = input(data);
    macro_rules! every_layout {
        ($($id:ident => $ty:ty, $dir:literal, $lock:ident;)*) => {
            $(layout::<$ty>(&i);)*
        };
    }
    pte_layouts::for_each_layout!(every_layout);
    same_pfn(i.word);
});
