//! Golden vectors: worked examples, each derived by hand from the kernel macros of the file and
//! version named in its comment (and in the layout's `source`; see docs/DESIGN.md#sources),
//! checked against the encoders and the classifier.

use pte_core::encode::{encode_file, encode_present, encode_protnone, encode_swap};
use pte_core::{Decoded, Invalid, State, SwapEntry, classify};
use pte_tests::layout;

fn swap(ty: u64, offset: u64) -> SwapEntry {
    SwapEntry {
        ty,
        offset,
        ..SwapEntry::default()
    }
}

fn encode(name: &str, e: SwapEntry) -> u64 {
    let l = layout(name);
    encode_swap(l.layout, &l.limits, e).unwrap()
}

fn decode(name: &str, word: u64) -> Decoded {
    let l = layout(name);
    classify(l.layout, &l.limits, word)
}

/// Linux 2.6.8 `include/asm-i386/pgtable.h` (docs/DESIGN.md#i386-2-6-8): the 2004 lock bit.
/// The locked-empty word 0x200 is swap type 0, offset 2.
#[test]
fn i386_2_6_8_locked_none_is_a_real_swap_slot() {
    assert_eq!(decode("i386/2.6.8", 0x200), Decoded::Swap(swap(0, 2)));
    assert_eq!(encode("i386/2.6.8", swap(0, 2)), 0x200);
}

/// Linux 2.6.8 `include/asm-i386/pgtable-2level.h`: `pgoff_to_pte(2^29 - 1) = 0xffffff7e`.
#[test]
fn i386_2_6_8_largest_file_pte() {
    let l = layout("i386/2.6.8");
    assert_eq!(
        encode_file(l.layout, &l.limits, (1 << 29) - 1),
        Ok(0xffff_ff7e)
    );
    assert_eq!(
        decode("i386/2.6.8", 0xffff_ff7e),
        Decoded::File {
            pgoff: (1 << 29) - 1
        }
    );
}

/// Linux 2.6.8 `include/asm-i386/pgtable.h` and `mm/swapfile.c` (`sys_swapon`):
/// `maxpages = 0xfffffe`: the largest in-field offset round-trips.
#[test]
fn i386_2_6_8_offsets_fill_bits_8_to_31() {
    assert_eq!(encode("i386/2.6.8", swap(0, 0xff_ffff)), 0xffff_ff00);
    assert_eq!(encode("i386/2.6.8", swap(31, 0)), 0x3e);
}

/// Linux 6.6.87 `arch/x86/include/asm/pgtable_64.h`:
/// type 0 / offset 0 → 0x07fffffffffffe00; type 31 / offset 5 → 0xfffffffffffff400.
#[test]
fn x86_64_6_6_inverted_swap_examples() {
    assert_eq!(encode("x86_64/6.6", swap(0, 0)), 0x07ff_ffff_ffff_fe00);
    assert_eq!(encode("x86_64/6.6", swap(31, 5)), 0xffff_ffff_ffff_f400);
    assert_eq!(
        decode("x86_64/6.6", 0xffff_ffff_ffff_f400),
        Decoded::Swap(swap(31, 5))
    );
}

/// Linux 6.6.87 `arch/x86/include/asm/pgtable.h` (docs/DESIGN.md#h15):
/// `pte_none()` ignores A/D on x86_64/6.6 and PAE 6.6 (the KNL erratum), not on 2-level.
#[test]
fn knl_erratum_none() {
    for w in [0x20, 0x40, 0x60] {
        assert_eq!(decode("x86_64/6.6", w).state(), State::None);
        assert_eq!(decode("i386-pae/6.6", w).state(), State::None);
    }
    assert_eq!(decode("i386/6.6", 0x20), Decoded::Swap(swap(16, 0)));
}

/// Linux 6.6.87 `arch/x86/include/asm/pgtable-3level.h`: PAE 6.x type 1 / offset 3 → 0x0ffffffffffff800.
#[test]
fn i386_pae_6_6_example() {
    assert_eq!(encode("i386-pae/6.6", swap(1, 3)), 0x0fff_ffff_ffff_f800);
}

/// Linux 2.6.8 `include/asm-i386/pgtable.h`, `pgtable-3level.h`:
/// a 2.6.8 PAE swap word with a non-zero `pte_high` is not an exact encoding.
#[test]
fn i386_pae_2_6_8_swap_needs_a_zero_high_word() {
    let w = encode("i386-pae/2.6.8", swap(3, 7));
    assert_eq!(w >> 32, 0);
    assert!(matches!(
        decode("i386-pae/2.6.8", w | 1 << 40),
        Decoded::Invalid(Invalid::SwapStrayBits {
            bits: 0x100_0000_0000
        })
    ));
    let l = layout("i386-pae/2.6.8");
    assert_eq!(
        encode_file(l.layout, &l.limits, 0xdead_beef),
        Ok(0xdead_beef_0000_0040)
    );
}

/// The prototype words `PAGE_NONE`, `PAGE_READONLY`, `PAGE_SHARED` of the x86 layouts, which
/// the fault path and `mprotect` build entries from. Linux 2.6.8 `include/asm-i386/pgtable.h`
/// (lines 124–148): `_PAGE_NX` is `1ULL << 63` under `CONFIG_X86_PAE` and 0 otherwise;
/// `PAGE_READONLY = _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED | _PAGE_NX`, but
/// `PAGE_SHARED = _PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED`, without NX (the
/// same in 2.6.9, 2.6.11 and 2.6.18), and `PAGE_NONE = _PAGE_PROTNONE | _PAGE_ACCESSED`.
/// 2.6.8 `include/asm-x86_64/pgtable.h` (lines 165–171): both carry `_PAGE_NX` (bit 63).
/// Linux 6.6.87 `arch/x86/include/asm/pgtable_types.h` (lines 206–212): `PAGE_NONE =
/// ___A | ___G`, both others `__NX`, which is 0 on 2-level i386.
#[test]
fn x86_prototype_words() {
    let words = |name: &str| {
        let l = layout(name).layout;
        format!(
            "{:#x} {:#x} {:#x}",
            l.page_none, l.page_readonly, l.page_shared
        )
    };
    let nx = "0x8000000000000";
    for (name, want) in [
        ("i386/2.6.8", "0xa0 0x25 0x27".to_string()),
        ("i386-pae/2.6.8", format!("0xa0 {nx}025 0x27")),
        ("x86_64/2.6.8", format!("0xa0 {nx}025 {nx}027")),
        ("i386/6.6", "0x120 0x25 0x27".to_string()),
        ("i386-pae/6.6", format!("0x120 {nx}025 {nx}027")),
        ("x86_64/6.6", format!("0x120 {nx}025 {nx}027")),
    ] {
        assert_eq!(
            words(name),
            want,
            "{name}: PAGE_NONE PAGE_READONLY PAGE_SHARED"
        );
    }
}

/// Linux 6.18.2 `arch/arm64/include/asm/pgtable.h`:
/// 6.18 type 31, offset 2^50 − 1 → 0x3ffffffffffff7c0 by the raw macros; beyond the
/// 38-bit limit, so the encoder refuses it and the classifier calls the word invalid.
#[test]
fn aarch64_6_18_raw_maximum() {
    let l = layout("aarch64/6.18");
    let raw = l.layout.swap.type_field.put(31) | l.layout.swap.offset.put((1 << 50) - 1);
    assert_eq!(raw, 0x3fff_ffff_ffff_f7c0);
    assert!(encode_swap(l.layout, &l.limits, swap(31, (1 << 50) - 1)).is_err());
    assert!(matches!(
        decode("aarch64/6.18", raw),
        Decoded::Invalid(Invalid::SwapOffsetBeyondLimit { limit_bits: 38, .. })
    ));
}

/// Linux 6.18.35 `arch/arm64/include/asm/pgtable.h` 157–160 and `pgtable-hwdef.h` 185–188
/// (`CONFIG_ARM64_PA_BITS_52`, 4K pages): `__phys_to_pte_val(phys) = (phys | (phys >> 42)) &
/// GENMASK_ULL(49, 8)`. The largest PFN, 2^40 − 1 (PA 0x000f_ffff_ffff_f000): `phys >> 42` is
/// 0x3ff, the OR is 0x000f_ffff_ffff_f3ff, the mask leaves 0x0003_ffff_ffff_f300; with
/// `PAGE_READONLY` less `PTE_SHARED` (`mmap.c` 78–82: 0x0060_0000_0000_0cc3) the entry is
/// 0x0063_ffff_ffff_ffc3. aarch64/6.18 reads bits 12–49 only: PFN 2^38 − 1.
#[test]
fn aarch64_lpa2_6_18_largest_pfn() {
    let lpa2 = layout("aarch64-lpa2/6.18").layout;
    assert_eq!(lpa2.page_readonly, 0x0060_0000_0000_0cc3);
    let w = encode_present(lpa2, (1 << 40) - 1, lpa2.page_readonly & !3).unwrap();
    assert_eq!(w, 0x0063_ffff_ffff_ffc3);
    assert_eq!(
        decode("aarch64-lpa2/6.18", w),
        Decoded::Present { pfn: (1 << 40) - 1 }
    );
    assert_eq!(
        decode("aarch64/6.18", w),
        Decoded::Present { pfn: (1 << 38) - 1 }
    );
    assert!(encode_present(lpa2, 1 << 40, 0).is_err());
}

/// The same macros: PFN 2^38 (PA 2^50, 1 PiB) is `__phys_to_pte_val(1 << 50) = ((1 << 50) |
/// (1 << 8)) & GENMASK_ULL(49, 8) = 0x100`: bit 8 alone. `pfn_pte(2^38, PAGE_NONE)` with
/// `PAGE_NONE` less `PTE_SHARED` (0x0060_0000_0000_0c82) is 0x0060_0000_0000_0d82, protnone
/// PFN 2^38; aarch64/6.18 sees bit 8 as half of `PTE_SHARED` and PFN 0.
#[test]
fn aarch64_lpa2_6_18_pfn_2_pow_38_is_bit_8() {
    let lpa2 = layout("aarch64-lpa2/6.18").layout;
    assert_eq!(lpa2.page_none, 0x0060_0000_0000_0c82);
    assert_eq!(encode_protnone(lpa2, 1 << 38), Ok(0x0060_0000_0000_0d82));
    assert_eq!(
        decode("aarch64-lpa2/6.18", 0x0060_0000_0000_0d82),
        Decoded::ProtNone { pfn: 1 << 38 }
    );
    assert_eq!(
        decode("aarch64/6.18", 0x0060_0000_0000_0d82),
        Decoded::ProtNone { pfn: 0 }
    );
    let old = layout("aarch64/6.18").layout;
    assert!(encode_protnone(old, 1 << 38).is_err());
}

/// Linux 6.18.35 `arch/arm64/include/asm/pgtable.h` 1548–1557, `asm/sparsemem.h` 10,
/// `pgtable-prot.h` 94, `include/linux/swapops.h` 36 and 64: with LPA2 `MAX_PHYSMEM_BITS` is
/// 52, so swap offsets reach 2^42 − 1: type 31, offset 2^42 − 1 → `31 << 6 | (2^42 − 1) << 12`
/// = 0x003f_ffff_ffff_f7c0, beyond aarch64/6.18's 38-bit limit.
#[test]
fn aarch64_lpa2_6_18_largest_swap_entry() {
    assert_eq!(
        encode("aarch64-lpa2/6.18", swap(31, (1 << 42) - 1)),
        0x003f_ffff_ffff_f7c0
    );
    assert_eq!(
        decode("aarch64-lpa2/6.18", 0x003f_ffff_ffff_f7c0),
        Decoded::Swap(swap(31, (1 << 42) - 1))
    );
    assert!(matches!(
        decode("aarch64/6.18", 0x003f_ffff_ffff_f7c0),
        Decoded::Invalid(Invalid::SwapOffsetBeyondLimit { limit_bits: 38, .. })
    ));
    let l = layout("aarch64-lpa2/6.18");
    assert!(encode_swap(l.layout, &l.limits, swap(0, 1 << 42)).is_err());
}

/// Linux 2.6.8 `include/asm-ia64/pgtable.h` (docs/DESIGN.md#h1):
/// Lameter's ia64 lock bit 56: `1 << 56` decodes by format as type 0, offset 2^47 —
/// never a real slot, so invalid under the limits.
#[test]
fn ia64_2_6_8_bit_56_is_offset_2_pow_47() {
    assert!(matches!(
        decode("ia64/2.6.8", 1 << 56),
        Decoded::Invalid(Invalid::SwapOffsetBeyondLimit { offset, .. }) if offset == 1 << 47
    ));
}

/// Linux 3.18.140 `arch/arm64/include/asm/pgtable.h`:
/// aarch64/3.18 file words with bits 59–63 set are invalid (pte_to_pgoff does not mask).
#[test]
fn aarch64_3_18_file_with_high_bits_is_invalid() {
    let l = layout("aarch64/3.18");
    let w = encode_file(l.layout, &l.limits, 12345).unwrap();
    assert_eq!(decode("aarch64/3.18", w), Decoded::File { pgoff: 12345 });
    assert!(matches!(
        decode("aarch64/3.18", w | 1 << 60),
        Decoded::Invalid(Invalid::FilePgoffBeyondLimit { limit_bits: 55, .. })
    ));
}

/// Linux 6.6.87 `arch/x86/include/asm/pgtable-invert.h`, 2.6.8 `include/asm-x86_64/pgtable.h`:
/// protnone PFNs are stored inverted on x86_64/6.6 (L1TF), plain on 2.6.8.
#[test]
fn protnone_pfn_inversion() {
    let new = layout("x86_64/6.6").layout;
    let w = encode_protnone(new, 0x1234).unwrap();
    assert_eq!(
        w & 0xfff,
        0x120,
        "PAGE_NONE = _PAGE_ACCESSED | _PAGE_GLOBAL"
    );
    assert_eq!((w >> 12) & ((1 << 40) - 1), !0x1234u64 & ((1 << 40) - 1));
    assert_eq!(
        classify(new, &new.default_limits, w),
        Decoded::ProtNone { pfn: 0x1234 }
    );
    let old = layout("x86_64/2.6.8").layout;
    assert_eq!(encode_protnone(old, 0x1234), Ok(0x1234 << 12 | 0xa0));
}

/// docs/DESIGN.md#states: aarch64 present = bit 0 only (VALID with the table bit clear is still present).
#[test]
fn aarch64_valid_without_page_bit_is_present() {
    for name in [
        "aarch64/3.18",
        "aarch64/6.6",
        "aarch64/6.18",
        "aarch64-lpa2/6.18",
    ] {
        assert_eq!(decode(name, 1 | 5 << 12), Decoded::Present { pfn: 5 });
    }
}

/// Linux 6.18.2 `arch/arm64/include/asm/pgtable.h`:
/// 6.18 present-invalid is protnone only with USER clear and UXN set.
#[test]
fn aarch64_6_18_present_invalid_vs_protnone() {
    let l = layout("aarch64/6.18").layout;
    let pn = encode_protnone(l, 42).unwrap();
    assert_eq!(decode("aarch64/6.18", pn), Decoded::ProtNone { pfn: 42 });
    assert_eq!(
        decode("aarch64/6.18", pn | 1 << 6),
        Decoded::PresentInvalid { pfn: 42 }
    );
    assert_eq!(
        decode("aarch64/6.18", pn & !(1 << 54)),
        Decoded::PresentInvalid { pfn: 42 }
    );
}

/// Linux 6.6 `arch/riscv/include/asm/pgtable.h`: `__swp_entry(type, offset) = (type << 7) |
/// (offset << 12)`, `_PAGE_SWP_EXCLUSIVE = _PAGE_ACCESSED` (0x40):
/// type 3 / offset 0x1234 → 0x0123_4180; with exclusive → 0x0123_41c0; `PAGE_NONE =
/// _PAGE_PROT_NONE | _PAGE_READ` → `pfn_pte(0x42, PAGE_NONE)` = 0x42 << 10 | 0x22 = 0x10822.
#[test]
fn riscv64_6_6_words() {
    assert_eq!(encode("riscv64/6.6", swap(3, 0x1234)), 0x0123_4180);
    let excl = SwapEntry {
        exclusive: true,
        ..swap(3, 0x1234)
    };
    assert_eq!(encode("riscv64/6.6", excl), 0x0123_41c0);
    assert_eq!(decode("riscv64/6.6", 0x0123_41c0), Decoded::Swap(excl));
    let l = layout("riscv64/6.6").layout;
    assert_eq!(encode_protnone(l, 0x42), Ok(0x10822));
    // `_PAGE_GLOBAL` with `_PAGE_PRESENT` is a valid global page, not protnone.
    assert_eq!(
        decode("riscv64/6.6", 0x10821),
        Decoded::Present { pfn: 0x42 }
    );
    // Bit 3 (`_PAGE_EXEC`, "must be zero" in the 6.6 swap format) makes the word invalid.
    assert_eq!(
        classify(l, &l.default_limits, 0x0123_4188).state(),
        State::Invalid
    );
    // The largest offset below N = 46: 0x3fff_ffff_ffff << 12.
    assert_eq!(
        encode("riscv64/6.6", swap(0, (1 << 46) - 1)),
        0x03ff_ffff_ffff_f000
    );
}

/// Linux 6.18.35 `arch/riscv/include/asm/pgtable.h` (lines 1008–1020) and
/// `pgtable-bits.h` (line 31): the 6.6 swap format, with no soft-dirty or uffd-wp swap bit
/// (`_PAGE_SWP_SOFT_DIRTY` / `_PAGE_SWP_UFFD_WP` arrive with Svrsw60t59b in 6.19): type 3 /
/// offset 0x1234 exclusive → 0x1234 << 12 | 3 << 7 | 0x40 = 0x0123_41c0; the largest offset
/// below N = 46 → 0x03ff_ffff_ffff_f000; `pfn_pte(0x42, PAGE_NONE)` = 0x10822. The words
/// 0x1098 and 0x1090 (type 1 / offset 1 with bit 3 or bit 4 set, what 6.19's soft-dirty and
/// uffd-wp swap bits would give) are invalid: bits 1–3 are `_PAGE_LEAF` (zero) and bit 4 is
/// outside the swap format.
#[test]
fn riscv64_6_18_words() {
    let excl = SwapEntry {
        exclusive: true,
        ..swap(3, 0x1234)
    };
    assert_eq!(encode("riscv64/6.18", excl), 0x0123_41c0);
    assert_eq!(decode("riscv64/6.18", 0x0123_41c0), Decoded::Swap(excl));
    assert_eq!(
        encode("riscv64/6.18", swap(0, (1 << 46) - 1)),
        0x03ff_ffff_ffff_f000
    );
    let l = layout("riscv64/6.18");
    assert_eq!(encode_protnone(l.layout, 0x42), Ok(0x10822));
    for word in [0x1098, 0x1090, 0x1088] {
        assert_eq!(
            classify(l.layout, &l.limits, word).state(),
            State::Invalid,
            "{word:#x}"
        );
    }
    // No soft-dirty or uffd-wp swap flag to encode.
    for e in [
        SwapEntry {
            soft_dirty: true,
            ..swap(1, 1)
        },
        SwapEntry {
            uffd_wp: true,
            ..swap(1, 1)
        },
    ] {
        assert!(encode_swap(l.layout, &l.limits, e).is_err());
    }
}

/// Linux 6.6 `arch/loongarch/include/asm/pgtable.h`, `pgtable-bits.h`: `mk_swap_pte(3, 0x1234)
/// = 3 << 16 | 0x1234 << 24` = 0x12_3403_0000; with `_PAGE_SWP_EXCLUSIVE` (1 << 23)
/// 0x12_3483_0000. `pte_none()` ignores `_PAGE_GLOBAL` (0x40); V alone (0x1) is neither none
/// nor present. `PAGE_NONE = _PAGE_PROTNONE | _PAGE_NO_READ | _PAGE_USER | _CACHE_CC` =
/// 0x2000_0000_0000_041c; `pfn_pte(0x42, PAGE_NONE)` adds 0x42 << 14.
#[test]
fn loongarch64_6_6_words() {
    assert_eq!(encode("loongarch64/6.6", swap(3, 0x1234)), 0x12_3403_0000);
    let excl = SwapEntry {
        exclusive: true,
        ..swap(3, 0x1234)
    };
    assert_eq!(encode("loongarch64/6.6", excl), 0x12_3483_0000);
    assert_eq!(decode("loongarch64/6.6", 0x40), Decoded::None);
    let l = layout("loongarch64/6.6").layout;
    assert_eq!(classify(l, &l.default_limits, 0x1).state(), State::Invalid);
    assert_eq!(
        encode_protnone(l, 0x42),
        Ok(0x2000_0000_0000_041c | 0x42 << 14)
    );
    // `PAGE_READONLY | _PAGE_VALID`: present.
    assert_eq!(
        decode("loongarch64/6.18", 0x9d | 0x42 << 14),
        Decoded::Present { pfn: 0x42 }
    );
}
