//! # arch-riscv64
//!
//! The riscv64 Linux PTE layouts (RV64 Sv39 / Sv48 / Sv57 leaf entries, 4 KiB pages), as
//! data for `pte-core`:
//!
//! * [`Riscv64_6_6`] — Linux 6.6 (`arch/riscv/include/asm/pgtable-bits.h`, `pgtable-64.h`,
//!   `pgtable.h`): V R W X U G A D in bits 0–7, RSW bits 8–9 (`_PAGE_SPECIAL` = 8), PFN in
//!   bits 10–53, Svpbmt memory type in 61–62, Svnapot in 63; `_PAGE_PROT_NONE` =
//!   `_PAGE_GLOBAL` (bit 5) marks protnone; swap exclusive bit 6, type 7–11, offset 12–63.
//! * [`Riscv64_6_18`] — Linux 6.18: as 6.6, plus the Svrsw60t59b software bits
//!   (`_PAGE_SOFT_DIRTY` = bit 59, `_PAGE_UFFD_WP` = bit 60) and their swap twins
//!   (`_PAGE_SWP_SOFT_DIRTY` = `_PAGE_EXEC`, bit 3; `_PAGE_SWP_UFFD_WP` = `_PAGE_USER`,
//!   bit 4).
//!
//! ## Configuration
//!
//! The `#ifdef`s that change a bit, and the choice made here:
//!
//! * `CONFIG_64BIT` = y (this crate is riscv64): `_PAGE_PFN_MASK = GENMASK(53, 10)`.
//! * `CONFIG_RISCV_ISA_SVPBMT` = y (defconfig): `_PAGE_MTMASK = 3 << 61` (`_PAGE_NOCACHE`
//!   1 << 61, `_PAGE_IO` 2 << 61). Without it (or on hardware without Svpbmt) the bits are
//!   0 in every entry Linux builds and reserved to the hardware; the layout is the same.
//! * `CONFIG_ERRATA_THEAD_MAE` / `ALT_THEAD_PMA` (T-Head's own memory types in bits 59–63):
//!   not modelled; a T-Head C9xx kernel writes bits 59–63 differently.
//! * `CONFIG_RISCV_ISA_SVNAPOT` = y (defconfig): `_PAGE_NAPOT` = bit 63, set only in hugetlb
//!   NAPOT leaves. In 6.6 `pte_pfn()` clears the low set bit of a NAPOT entry's PFN
//!   (`res & (res - 1)`); the model reads the PFN field as it is (ambiguity, see below).
//! * `CONFIG_NUMA_BALANCING` = y: `pte_protnone()` exists.
//! * 6.18 only: `CONFIG_MEM_SOFT_DIRTY` = y and `CONFIG_HAVE_ARCH_USERFAULTFD_WP` = y, and the
//!   CPU has Svrsw60t59b (`riscv_has_extension_unlikely(RISCV_ISA_EXT_SVRSW60T59B)`): the
//!   soft-dirty and uffd-wp bits are real bits. On a CPU without the extension both macros
//!   are 0 and the 6.18 entries are laid out as 6.6's.
//!
//! ## Hardware accessed / dirty
//!
//! The privileged architecture allows two behaviours for a leaf with A clear (any access)
//! or D clear (a store): raise a page fault (Svade) or set the bit atomically (Svadu).
//! Linux 6.6 knows neither extension by name and handles A/D faults in software through
//! `handle_mm_fault()` (`pte_mkyoung()`, `pte_mkdirty()`). Linux 6.18 knows both: Svadu is
//! only turned on (`menvcfg.ADUE` through the SBI FWFT `PTE_AD_HW_UPDATING` feature) when
//! the devicetree or ACPI lists Svadu and not Svade; with both listed, Svade is what Linux
//! keeps. The layouts here take Linux's default, Svade: [`HwAccessDirty::SoftwareOnly`].
//!
//! ## Geometry
//!
//! Sv39 (3 levels, 39-bit VA) is listed first as the default: every RV64 MMU implements
//! it; Sv48 and Sv57 follow (Linux picks the largest mode the hart supports at boot,
//! `pgtable_l4_enabled` / `pgtable_l5_enabled`, unless `no4lvl` / `no5lvl`). The PTE format
//! is the same in all three.
//!
//! ## Sources and ambiguities
//!
//! **Provenance, not yet verified against the tags.** The headers were read from stored
//! copies of the upstream tree whose exact version could not be pinned (no network clone was
//! possible): the 6.6 `pgtable-bits.h` is a 6.6-era copy (line numbers below are from it and
//! may differ by a few lines from the `v6.6` tag), the 6.18 `pgtable-bits.h` a copy carrying
//! the Svrsw60t59b soft-dirty / uffd-wp patches; `pgtable.h` and `pgtable-64.h` facts are
//! cited by macro and function name, and `MAX_PHYSMEM_BITS` (56) and 6.18's
//! `pte_present()`/`pte_none()` are from the stored copies and recollection, not a tagged
//! tree. Checking every value against `v6.6` and `v6.18` is open work (issue 13). Where the
//! headers were ambiguous:
//!
//! * `_PAGE_PROT_NONE` is `_PAGE_GLOBAL`: a *valid* kernel entry has G set, so the marker
//!   only means protnone when `_PAGE_PRESENT` is clear (`pte_protnone()` tests both).
//! * `__swp_offset(x) = x.val >> __SWP_OFFSET_SHIFT` is unmasked, so the offset field spans
//!   12–63; the real bound is the limit N (below).
//! * Bits 59–60: reserved (must be zero in valid leaves) in 6.6; software bits in 6.18 only
//!   if the hart has Svrsw60t59b.
#![no_std]
#![deny(missing_docs)]
#![allow(non_camel_case_types)]

use pte_core::Word64;
use pte_core::limits::Limits;
use pte_core::model::bit_range as bits;
use pte_core::model::{
    Family, Field, Geometry, HelperModel, HwAccessDirty, Layout, PfnFormat, ProtNoneRule,
    SwapFormat, ValueField,
};

/// Sv39: 4K pages, 3 levels, 39-bit VA (`satp.MODE` 8).
pub const SV39: Geometry = Geometry {
    name: "Sv39",
    page_shift: 12,
    level_bits: &[9, 9, 9],
};
/// Sv48: 4K pages, 4 levels, 48-bit VA (`satp.MODE` 9, `pgtable_l4_enabled`).
pub const SV48: Geometry = Geometry {
    name: "Sv48",
    page_shift: 12,
    level_bits: &[9, 9, 9, 9],
};
/// Sv57: 4K pages, 5 levels, 57-bit VA (`satp.MODE` 10, `pgtable_l5_enabled`).
pub const SV57: Geometry = Geometry {
    name: "Sv57",
    page_shift: 12,
    level_bits: &[9, 9, 9, 9, 9],
};

/// The PFN: `_PAGE_PFN_MASK = GENMASK(53, 10)` (6.6 `pgtable-64.h`; 6.18 `pgtable-bits.h`
/// line 73), `_PAGE_PFN_SHIFT 10` (6.6 `pgtable-bits.h` line 33; 6.18 line 71):
/// `__page_val_to_pfn(val) = (val & _PAGE_PFN_MASK) >> _PAGE_PFN_SHIFT`, 44 bits.
const PFN: PfnFormat = PfnFormat {
    field: Field {
        shift: 10,
        width: 44,
    },
    value_bits: 44,
    protnone_inverted: false,
};

/// `PAGE_NONE = __pgprot(_PAGE_PROT_NONE | _PAGE_READ)` (`pgtable.h`): G | R = 0x22.
const PAGE_NONE: u64 = 1 << 5 | 1 << 1;
/// `PAGE_READ = __pgprot(_PAGE_BASE | _PAGE_READ)`, `_PAGE_BASE = _PAGE_PRESENT |
/// _PAGE_ACCESSED | _PAGE_USER` (`pgtable.h`): 0x53.
const PAGE_READ: u64 = 1 | 1 << 6 | 1 << 4 | 1 << 1;
/// `PAGE_SHARED = PAGE_WRITE = __pgprot(_PAGE_BASE | _PAGE_READ | _PAGE_WRITE)`: 0x57.
const PAGE_WRITE: u64 = PAGE_READ | 1 << 2;

/// `_PAGE_CHG_MASK = ~(_PAGE_PRESENT | _PAGE_READ | _PAGE_WRITE | _PAGE_EXEC | _PAGE_USER |
/// _PAGE_GLOBAL | _PAGE_MTMASK)` (6.6 `pgtable-64.h`): what `pte_modify()` keeps.
const CHG_MASK: u64 = !(bits(0, 5) | 3 << 61);

/// "Format of swap PTE: bit 0: _PAGE_PRESENT (zero), bit 1 to 3: _PAGE_LEAF (zero), bit 5:
/// _PAGE_PROT_NONE (zero), bit 6: exclusive marker, bits 7 to 11: swap type, bits 12 to
/// XLEN-1: swap offset" (`pgtable.h`): `__SWP_TYPE_SHIFT 7`, `__SWP_TYPE_BITS 5`,
/// `__SWP_OFFSET_SHIFT (__SWP_TYPE_BITS + __SWP_TYPE_SHIFT)` = 12, `__swp_offset(x) =
/// x.val >> __SWP_OFFSET_SHIFT` (unmasked: 52 bits).
const SWAP_TYPE: Field = Field { shift: 7, width: 5 };
const SWAP_OFFSET: ValueField = ValueField::plain(12, 52);

/// The limits of both eras: `MAX_SWAPFILES_SHIFT` 5; N = min(offset field 52,
/// `SWP_TYPE_SHIFT` 58, max(32, `MAX_PHYSMEM_BITS` 56 − `PAGE_SHIFT` 12 + 2)) = 46
/// (`arch/riscv/include/asm/sparsemem.h`: `MAX_PHYSMEM_BITS 56` under `CONFIG_64BIT`).
const LIMITS: Limits = Limits {
    swap_type_bits: 5,
    swap_offset_bits: 46,
    file_pgoff_bits: None,
};

bitflags::bitflags! {
    /// Flags of a present riscv64/6.6 PTE (`arch/riscv/include/asm/pgtable-bits.h`,
    /// `pgtable-64.h`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct Flags6_6: u64 {
        /// `_PAGE_PRESENT (1 << 0)` (`pgtable-bits.h` line 11), the hardware V bit.
        const PRESENT = 1 << 0;
        /// `_PAGE_READ (1 << 1)` (line 12), R.
        const READ = 1 << 1;
        /// `_PAGE_WRITE (1 << 2)` (line 13), W.
        const WRITE = 1 << 2;
        /// `_PAGE_EXEC (1 << 3)` (line 14), X.
        const EXEC = 1 << 3;
        /// `_PAGE_USER (1 << 4)` (line 15), U.
        const USER = 1 << 4;
        /// `_PAGE_GLOBAL (1 << 5)` (line 16), G; `_PAGE_PROT_NONE` when V is clear
        /// (line 28).
        const GLOBAL = 1 << 5;
        /// `_PAGE_ACCESSED (1 << 6)` (line 17), A; `_PAGE_SWP_EXCLUSIVE` in swap entries
        /// (line 31).
        const ACCESSED = 1 << 6;
        /// `_PAGE_DIRTY (1 << 7)` (line 18), D.
        const DIRTY = 1 << 7;
        /// `_PAGE_SPECIAL (1 << 8)` (line 21), "RSW: 0x1"; `_PAGE_SOFT (3 << 8)` (line 19)
        /// is the whole RSW field.
        const SPECIAL = 1 << 8;
        /// `_PAGE_MTMASK (3 << 61)` (`pgtable-64.h`, `CONFIG_RISCV_ISA_SVPBMT`): the
        /// Svpbmt memory type (`_PAGE_NOCACHE` 1 << 61, `_PAGE_IO` 2 << 61).
        const MTMASK = 3 << 61;
        /// `_PAGE_NAPOT = BIT(_PAGE_NAPOT_SHIFT)`, `_PAGE_NAPOT_SHIFT 63` (`pgtable-64.h`,
        /// `CONFIG_RISCV_ISA_SVNAPOT`): Svnapot's N.
        const NAPOT = 1 << 63;
    }
}

/// `riscv64/6.6`.
#[doc = include_str!("../diagrams/riscv64-6.6.txt")]
pub const LAYOUT_6_6: Layout = Layout {
    name: "riscv64/6.6",
    family: Family::Riscv64,
    word_bits: 64,
    // `_PAGE_PRESENT (1 << 0)` (pgtable-bits.h line 11).
    valid_bit: 0,
    // `pte_none(pte) = pte_val(pte) == 0` (pgtable.h).
    none_ignore: 0,
    // `pte_present(pte) = pte_val(pte) & (_PAGE_PRESENT | _PAGE_PROT_NONE)`,
    // `pte_protnone(pte) = (pte_val(pte) & (_PAGE_PRESENT | _PAGE_PROT_NONE)) ==
    // _PAGE_PROT_NONE` (pgtable.h), `_PAGE_PROT_NONE _PAGE_GLOBAL` (pgtable-bits.h line 28).
    protnone: ProtNoneRule::Marker { bit: 5 },
    pfn: PFN,
    // `_PAGE_PRESENT`.
    page_present: 1,
    page_none: PAGE_NONE,
    page_readonly: PAGE_READ,
    page_shared: PAGE_WRITE,
    // `_PAGE_SWP_EXCLUSIVE _PAGE_ACCESSED` (pgtable-bits.h line 31).
    swap: SwapFormat {
        type_field: SWAP_TYPE,
        offset: SWAP_OFFSET,
        exclusive: Some(6),
        soft_dirty: None,
        uffd_wp: None,
    },
    file: None,
    flags: pte_core::flag_table!(Flags6_6),
    // Privileged spec, Sv39/48/57 PTE: V R W X U G A D (0–7), PPN (10–53), reserved 54–60
    // ("must be zeroed by software for forward compatibility", else a page fault), PBMT
    // 61–62 (Svpbmt), N 63 (Svnapot).
    hw_bits: bits(0, 7) | bits(10, 63),
    // Svade (Linux's default): the MMU writes nothing; A/D clear raise page faults.
    hw_set: 0,
    // RSW, bits 8–9: "reserved for use by supervisor software" and ignored by the hardware.
    hw_ignored: bits(8, 9),
    // Bits 54–60 are reserved for future standard use.
    reserved: bits(54, 60),
    // `_PAGE_SPECIAL` 8. (`_PAGE_PROT_NONE` is the hardware G bit.)
    sw_bits: 1 << 8,
    hw_ad: HwAccessDirty::SoftwareOnly,
    // `pte_write` / `pte_mkwrite_novma` / `pte_wrprotect`: `_PAGE_WRITE`; `pte_young` /
    // `pte_mkyoung` / `pte_mkold`: `_PAGE_ACCESSED`; `pte_dirty` / `pte_mkdirty` /
    // `pte_mkclean`: `_PAGE_DIRTY` (pgtable.h): plain bits, as x86 without saved-dirty.
    helpers: HelperModel::X86 {
        write: 2,
        accessed: 6,
        dirty: 7,
        saved_dirty: None,
        soft_dirty: None,
    },
    modify_keep: CHG_MASK,
    default_limits: LIMITS,
    geometries: &[SV39, SV48, SV57],
    source: "Linux 6.6 arch/riscv/include/asm/pgtable-bits.h, pgtable-64.h, pgtable.h, sparsemem.h; include/linux/swap.h, swapops.h",
};

bitflags::bitflags! {
    /// Flags of a present riscv64/6.18 PTE (`arch/riscv/include/asm/pgtable-bits.h`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct Flags6_18: u64 {
        /// `_PAGE_PRESENT (1 << 0)` (`pgtable-bits.h` line 21), the hardware V bit.
        const PRESENT = 1 << 0;
        /// `_PAGE_READ (1 << 1)` (line 22), R.
        const READ = 1 << 1;
        /// `_PAGE_WRITE (1 << 2)` (line 23), W.
        const WRITE = 1 << 2;
        /// `_PAGE_EXEC (1 << 3)` (line 24), X; `_PAGE_SWP_SOFT_DIRTY` in swap entries
        /// (line 43).
        const EXEC = 1 << 3;
        /// `_PAGE_USER (1 << 4)` (line 25), U; `_PAGE_SWP_UFFD_WP` in swap entries
        /// (line 61).
        const USER = 1 << 4;
        /// `_PAGE_GLOBAL (1 << 5)` (line 26), G; `_PAGE_PROT_NONE` when V is clear
        /// (line 106).
        const GLOBAL = 1 << 5;
        /// `_PAGE_ACCESSED (1 << 6)` (line 27), A; `_PAGE_SWP_EXCLUSIVE` in swap entries
        /// (line 109).
        const ACCESSED = 1 << 6;
        /// `_PAGE_DIRTY (1 << 7)` (line 28), D.
        const DIRTY = 1 << 7;
        /// `_PAGE_SPECIAL (1 << 8)` (line 31), "RSW: 0x1".
        const SPECIAL = 1 << 8;
        /// `_PAGE_SOFT_DIRTY (1UL << 59)` (line 36, `CONFIG_MEM_SOFT_DIRTY`, Svrsw60t59b).
        const SOFT_DIRTY = 1 << 59;
        /// `_PAGE_UFFD_WP (1UL << 60)` (line 54, `CONFIG_HAVE_ARCH_USERFAULTFD_WP`,
        /// Svrsw60t59b).
        const UFFD_WP = 1 << 60;
        /// `_PAGE_MTMASK (UL(3) << 61)` (line 90, `CONFIG_RISCV_ISA_SVPBMT`).
        const MTMASK = 3 << 61;
        /// `_PAGE_NAPOT = BIT(_PAGE_NAPOT_SHIFT)`, `_PAGE_NAPOT_SHIFT 63` (lines 98–99,
        /// `CONFIG_RISCV_ISA_SVNAPOT`).
        const NAPOT = 1 << 63;
    }
}

/// `riscv64/6.18`.
#[doc = include_str!("../diagrams/riscv64-6.18.txt")]
pub const LAYOUT_6_18: Layout = Layout {
    name: "riscv64/6.18",
    family: Family::Riscv64,
    word_bits: 64,
    // `_PAGE_PRESENT (1 << 0)` (pgtable-bits.h line 21).
    valid_bit: 0,
    // `pte_none(pte) = pte_val(pte) == 0` (pgtable.h).
    none_ignore: 0,
    // As 6.6: `pte_present()` tests `_PAGE_PRESENT | _PAGE_PROT_NONE`, `pte_protnone()`
    // the marker without `_PAGE_PRESENT`; `_PAGE_PROT_NONE _PAGE_GLOBAL` (line 106).
    protnone: ProtNoneRule::Marker { bit: 5 },
    // 6.18 `pte_pfn(pte) = __page_val_to_pfn(pte_val(pte))` (no NAPOT adjustment).
    pfn: PFN,
    page_present: 1,
    page_none: PAGE_NONE,
    page_readonly: PAGE_READ,
    page_shared: PAGE_WRITE,
    // `_PAGE_SWP_EXCLUSIVE _PAGE_ACCESSED` (line 109), `_PAGE_SWP_SOFT_DIRTY _PAGE_EXEC`
    // ("Bit 3 is always zero for swap entry computation", line 43), `_PAGE_SWP_UFFD_WP
    // _PAGE_USER` ("Bit 4 is not involved into swap entry computation", line 61).
    swap: SwapFormat {
        type_field: SWAP_TYPE,
        offset: SWAP_OFFSET,
        exclusive: Some(6),
        soft_dirty: Some(3),
        uffd_wp: Some(4),
    },
    file: None,
    flags: pte_core::flag_table!(Flags6_18),
    // As 6.6, but Svrsw60t59b gives bits 59–60 to software: hardware bits 0–7, 10–58,
    // 61–63.
    hw_bits: bits(0, 7) | bits(10, 58) | bits(61, 63),
    hw_set: 0,
    // RSW 8–9, and 59–60 under Svrsw60t59b.
    hw_ignored: bits(8, 9) | bits(59, 60),
    reserved: bits(54, 58),
    // `_PAGE_SPECIAL` 8, `_PAGE_SOFT_DIRTY` 59, `_PAGE_UFFD_WP` 60.
    sw_bits: 1 << 8 | 1 << 59 | 1 << 60,
    hw_ad: HwAccessDirty::SoftwareOnly,
    // As 6.6, and `pte_mkdirty(pte) = pte_val(pte) | _PAGE_DIRTY | _PAGE_SOFT_DIRTY`.
    helpers: HelperModel::X86 {
        write: 2,
        accessed: 6,
        dirty: 7,
        saved_dirty: None,
        soft_dirty: Some(59),
    },
    // `_PAGE_CHG_MASK` as 6.6 (soft-dirty and uffd-wp are kept).
    modify_keep: CHG_MASK,
    default_limits: LIMITS,
    geometries: &[SV39, SV48, SV57],
    source: "Linux 6.18 arch/riscv/include/asm/pgtable-bits.h, pgtable.h, sparsemem.h; include/linux/swap.h, swapops.h",
};

pte_core::layout_type!(
    /// The riscv64/6.6 layout type.
    pub Riscv64_6_6 { word: Word64, flags: Flags6_6, layout: LAYOUT_6_6 }
);

pte_core::layout_type!(
    /// The riscv64/6.18 layout type.
    pub Riscv64_6_18 { word: Word64, flags: Flags6_18, layout: LAYOUT_6_18 }
);

// riscv64/6.6: bit 58, none-only. No bit is any-state: bits 0–7 and 10–63 are hardware bits
// (58 among the reserved 54–60), 8 is `_PAGE_SPECIAL`, and 9 lies in the swap type. The
// locked-empty word 1 << 58 decodes as swap offset 2^46, just beyond N = 46: invalid. Of the
// none-only bits (1–4, 58–63) bit 58 is reserved in every RV64 revision so far and unused by
// Linux: should the bit ever leak into a valid leaf, the hart raises a page fault instead
// of silently using it (59–60 became software bits with Svrsw60t59b, 61–63 are Svpbmt and
// Svnapot, and 1–4 are R W X U).
pte_core::lock_bit!(Riscv64_6_6, bit = 58, discipline = NoneOnly);

// riscv64/6.18: bit 58, none-only, for the same reasons; bits 3 and 4 are now swap flags
// (soft-dirty and uffd-wp), so the none-only bits are 1, 2 and 58–63.
pte_core::lock_bit!(Riscv64_6_18, bit = 58, discipline = NoneOnly);

static_assertions::assert_eq_size!(pte_core::Pte<Riscv64_6_6>, u64);
static_assertions::assert_impl_all!(Riscv64_6_6: pte_core::LockBit);
static_assertions::assert_impl_all!(Riscv64_6_18: pte_core::LockBit);

// The VA widths of the geometries.
static_assertions::const_assert_eq!(SV39.va_bits(), 39);
static_assertions::const_assert_eq!(SV48.va_bits(), 48);
static_assertions::const_assert_eq!(SV57.va_bits(), 57);

// `pfn_pte(pfn, PAGE_NONE)` is protnone.
static_assertions::const_assert!(matches!(
    pte_core::classify(
        &LAYOUT_6_6,
        &LAYOUT_6_6.default_limits,
        LAYOUT_6_6.page_none
    ),
    pte_core::Decoded::ProtNone { pfn: 0 }
));
static_assertions::const_assert!(matches!(
    pte_core::classify(
        &LAYOUT_6_18,
        &LAYOUT_6_18.default_limits,
        LAYOUT_6_18.page_none
    ),
    pte_core::Decoded::ProtNone { pfn: 0 }
));
