//! # arch-loongarch64
//!
//! The loongarch64 Linux PTE layouts, as data for `pte-core`:
//!
//! * [`Loongarch64_6_6`] — Linux 6.6 (`arch/loongarch/include/asm/pgtable-bits.h`,
//!   `pgtable.h`): hardware V (bit 0, reused as `_PAGE_ACCESSED`), D (1), PLV (2–3), MAT (4–5),
//!   G (6), PPN, NR (61), NX (62), RPLV (63); software `_PAGE_PRESENT` (7), `_PAGE_WRITE` (8),
//!   `_PAGE_MODIFIED` (9), `_PAGE_PROTNONE` (10), `_PAGE_SPECIAL` (11), `_PAGE_DEVMAP` (59);
//!   swap type 16–22, exclusive 23, offset 24–63.
//! * [`Loongarch64_6_18`] — Linux 6.18: as 6.6 without `_PAGE_DEVMAP` (removed with
//!   `pte_devmap()` from all architectures in 6.17).
//!
//! ## Configuration
//!
//! * `CONFIG_64BIT`, `CONFIG_PAGE_SIZE_16KB` (the `loongson3_defconfig` page size) and
//!   `CONFIG_PGTABLE_LEVELS` 3: `PAGE_SHIFT` 14, so `PFN_PTE_SHIFT = PAGE_SHIFT - 12 +
//!   _PAGE_PFN_SHIFT` = 14 and `_PFN_MASK` covers bits 14–47 (`_PAGE_PFN_END_SHIFT` 48).
//!   Other page sizes move the PFN and are not modelled.
//! * `CONFIG_NUMA_BALANCING` = y: `pte_protnone()` exists.
//!
//! ## Hardware accessed / dirty
//!
//! LoongArch refills its TLB in software (`handle_tlb_refill`, `lddir` / `ldpte`) and never
//! writes a page-table entry: an access through an entry with V clear raises a TLB load /
//! store / fetch exception, a store through an entry with D clear a page-modify exception
//! (`handle_tlb_modify`), and Linux sets the bits itself. Linux reuses V as
//! `_PAGE_ACCESSED` ("Reuse Valid for Accessed": `pte_mkold()` makes the hardware fault the
//! next access), keeps its own `_PAGE_PRESENT` (bit 7), and tracks dirtiness in software
//! with `_PAGE_MODIFIED` (bit 9): D is a write enable, set only when `_PAGE_WRITE` and
//! `_PAGE_MODIFIED` both hold ([`HelperModel::WriteEnableDirty`]).
//!
//! ## Sources and ambiguities
//!
//! The headers were read from stored copies of the upstream tree (no network clone was
//! possible), cited by macro name: `pgtable-bits.h` (the `_PAGE_*_SHIFT` list,
//! `PAGE_NONE`, `PAGE_READONLY`, `PAGE_SHARED`, `_PAGE_CHG_MASK`), `pgtable.h` (`pte_none`,
//! `pte_present`, `pte_protnone`, `mk_swap_pte`, `__swp_type`, `__swp_offset`, the
//! helpers), `sparsemem.h` (`MAX_PHYSMEM_BITS 48`). Ambiguities:
//!
//! * `_PAGE_PRESENT_INVALID` (bit 60) is used by `pmd_mkinvalid()` / `pmd_present()` only;
//!   it is not a PTE state here (as aarch64/6.6's `PMD_PRESENT_INVALID`).
//! * `pte_protnone()` is `pte_val(pte) & _PAGE_PROTNONE` without testing `_PAGE_PRESENT`;
//!   Linux never sets both, and the classifier tests present first.
//! * The swap type field is 7 bits wide (`& 0x7f`); the generic `MAX_SWAPFILES_SHIFT` 5
//!   bounds it.
//! * Bits 7–11 and 48–60 are outside `TLBELO`'s defined fields (PPN stops at PALEN 48);
//!   they are treated as ignored by the hardware.
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

/// 16K pages, 3 levels, 47-bit VA (`CONFIG_PAGE_SIZE_16KB`, `CONFIG_PGTABLE_LEVELS` 3; 2048
/// entries a table).
pub const G16K_3_LEVEL: Geometry = Geometry {
    name: "16K/3-level",
    page_shift: 14,
    level_bits: &[11, 11, 11],
};

/// `pte_pfn(x) = (x.pte & _PFN_MASK) >> PFN_PTE_SHIFT`, `PFN_PTE_SHIFT = PAGE_SHIFT - 12 +
/// _PAGE_PFN_SHIFT` = 14, `_PAGE_PFN_END_SHIFT 48`: bits 14–47.
const PFN: PfnFormat = PfnFormat {
    field: Field {
        shift: 14,
        width: 34,
    },
    value_bits: 34,
    protnone_inverted: false,
};

/// `_PAGE_USER = PLV_USER (3) << _PAGE_PLV_SHIFT (2)`.
const USER: u64 = 3 << 2;
/// `_CACHE_CC = 1 << _CACHE_SHIFT (4)`, coherent cached.
const CACHE_CC: u64 = 1 << 4;

/// `PAGE_NONE = _PAGE_PROTNONE | _PAGE_NO_READ | _PAGE_USER | _CACHE_CC`.
const PAGE_NONE: u64 = 1 << 10 | 1 << 61 | USER | CACHE_CC;
/// `PAGE_READONLY = _PAGE_PRESENT | _PAGE_USER | _CACHE_CC`.
const PAGE_READONLY: u64 = 1 << 7 | USER | CACHE_CC;
/// `PAGE_SHARED = _PAGE_PRESENT | _PAGE_WRITE | _PAGE_USER | _CACHE_CC`.
const PAGE_SHARED: u64 = PAGE_READONLY | 1 << 8;

/// `mk_swap_pte(type, offset) = ((type & 0x7f) << 16) | (offset << 24)`, `__swp_type(x) =
/// (x.val >> 16) & 0x7f`, `__swp_offset(x) = x.val >> 24`, `_PAGE_SWP_EXCLUSIVE (1 << 23)`
/// ("We borrow bit 23 to store the exclusive marker in swap PTEs").
const SWAP: SwapFormat = SwapFormat {
    type_field: Field {
        shift: 16,
        width: 7,
    },
    offset: ValueField::plain(24, 40),
    exclusive: Some(23),
    soft_dirty: None,
    uffd_wp: None,
};

/// `MAX_SWAPFILES_SHIFT` 5; N = min(offset field 40, `SWP_TYPE_SHIFT` 58, max(32,
/// `MAX_PHYSMEM_BITS` 48 − `PAGE_SHIFT` 14 + 2)) = 36.
const LIMITS: Limits = Limits {
    swap_type_bits: 5,
    swap_offset_bits: 36,
    file_pgoff_bits: None,
};

/// Hardware bits (`TLBELO`): V D PLV MAT G (0–6), PPN 12–47 (PALEN 48), NR NX RPLV (61–63).
const HW_BITS: u64 = bits(0, 6) | bits(12, 47) | bits(61, 63);

/// `_PAGE_ACCESSED` = V (0), `_PAGE_WRITE` 8, `_PAGE_MODIFIED` 9, `_PAGE_DIRTY` = D (1).
const HELPERS: HelperModel = HelperModel::WriteEnableDirty {
    accessed: 0,
    write: 8,
    modified: 9,
    hw_dirty: 1,
};

bitflags::bitflags! {
    /// Flags of a present loongarch64/6.6 PTE (`arch/loongarch/include/asm/pgtable-bits.h`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct Flags6_6: u64 {
        /// `_PAGE_VALID` (`_PAGE_VALID_SHIFT 0`), the hardware V; also `_PAGE_ACCESSED`
        /// (`_PAGE_ACCESSED_SHIFT 0`, "Reuse Valid for Accessed").
        const VALID = 1 << 0;
        /// `_PAGE_DIRTY` (`_PAGE_DIRTY_SHIFT 1`), the hardware D (a write enable).
        const DIRTY = 1 << 1;
        /// `_PAGE_PLV` (`_PAGE_PLV_SHIFT 2`, two bits): `_PAGE_USER` = PLV 3.
        const PLV = 3 << 2;
        /// `_CACHE_MASK` (`_CACHE_SHIFT 4`, two bits): the memory access type (MAT).
        const MAT = 3 << 4;
        /// `_PAGE_GLOBAL` (`_PAGE_GLOBAL_SHIFT 6`); `pte_none()` ignores it.
        const GLOBAL = 1 << 6;
        /// `_PAGE_PRESENT` (`_PAGE_PRESENT_SHIFT 7`), software.
        const PRESENT = 1 << 7;
        /// `_PAGE_WRITE` (`_PAGE_WRITE_SHIFT 8`), software.
        const WRITE = 1 << 8;
        /// `_PAGE_MODIFIED` (`_PAGE_MODIFIED_SHIFT 9`), software dirty.
        const MODIFIED = 1 << 9;
        /// `_PAGE_SPECIAL` (`_PAGE_SPECIAL_SHIFT 11`), software.
        const SPECIAL = 1 << 11;
        /// `_PAGE_DEVMAP` (`_PAGE_DEVMAP_SHIFT 59`), software.
        const DEVMAP = 1 << 59;
        /// `_PAGE_NO_READ` (`_PAGE_NO_READ_SHIFT 61`), the hardware NR.
        const NO_READ = 1 << 61;
        /// `_PAGE_NO_EXEC` (`_PAGE_NO_EXEC_SHIFT 62`), the hardware NX.
        const NO_EXEC = 1 << 62;
        /// `_PAGE_RPLV` (`_PAGE_RPLV_SHIFT 63`), the hardware RPLV.
        const RPLV = 1 << 63;
    }
}

/// `loongarch64/6.6`.
#[doc = include_str!("../diagrams/loongarch64-6.6.txt")]
pub const LAYOUT_6_6: Layout = Layout {
    name: "loongarch64/6.6",
    family: Family::Loongarch64,
    word_bits: 64,
    // `pte_present(pte) = pte_val(pte) & (_PAGE_PRESENT | _PAGE_PROTNONE)`: Linux's own
    // present bit (7); the hardware V (0) is the accessed bit.
    valid_bit: 7,
    // `pte_none(pte) = !(pte_val(pte) & ~_PAGE_GLOBAL)`.
    none_ignore: 1 << 6,
    // `pte_protnone(pte) = pte_val(pte) & _PAGE_PROTNONE`, `_PAGE_PROTNONE_SHIFT 10`.
    protnone: ProtNoneRule::Marker { bit: 10 },
    pfn: PFN,
    // `_PAGE_PRESENT`.
    page_present: 1 << 7,
    page_none: PAGE_NONE,
    page_readonly: PAGE_READONLY,
    page_shared: PAGE_SHARED,
    swap: SWAP,
    file: None,
    flags: pte_core::flag_table!(Flags6_6),
    hw_bits: HW_BITS,
    // Software TLB refill: the hardware writes nothing.
    hw_set: 0,
    hw_ignored: bits(7, 11) | bits(48, 60),
    reserved: 0,
    // `_PAGE_PRESENT` 7, `_PAGE_WRITE` 8, `_PAGE_MODIFIED` 9, `_PAGE_PROTNONE` 10,
    // `_PAGE_SPECIAL` 11, `_PAGE_DEVMAP` 59.
    sw_bits: bits(7, 11) | 1 << 59,
    hw_ad: HwAccessDirty::SoftwareOnly,
    helpers: HELPERS,
    // `_PAGE_CHG_MASK = _PAGE_MODIFIED | _PAGE_SPECIAL | _PAGE_DEVMAP | _PFN_MASK |
    // _CACHE_MASK | _PAGE_PLV`.
    modify_keep: 1 << 9 | 1 << 11 | 1 << 59 | bits(14, 47) | 3 << 4 | 3 << 2,
    default_limits: LIMITS,
    geometries: &[G16K_3_LEVEL],
    source: "Linux 6.6 arch/loongarch/include/asm/pgtable-bits.h, pgtable.h, sparsemem.h; include/linux/swap.h, swapops.h",
};

bitflags::bitflags! {
    /// Flags of a present loongarch64/6.18 PTE (`arch/loongarch/include/asm/pgtable-bits.h`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct Flags6_18: u64 {
        /// `_PAGE_VALID` / `_PAGE_ACCESSED` (bit 0), the hardware V.
        const VALID = 1 << 0;
        /// `_PAGE_DIRTY` (bit 1), the hardware D (a write enable).
        const DIRTY = 1 << 1;
        /// `_PAGE_PLV` (bits 2–3).
        const PLV = 3 << 2;
        /// `_CACHE_MASK` (bits 4–5), MAT.
        const MAT = 3 << 4;
        /// `_PAGE_GLOBAL` (bit 6).
        const GLOBAL = 1 << 6;
        /// `_PAGE_PRESENT` (bit 7), software.
        const PRESENT = 1 << 7;
        /// `_PAGE_WRITE` (bit 8), software.
        const WRITE = 1 << 8;
        /// `_PAGE_MODIFIED` (bit 9), software dirty.
        const MODIFIED = 1 << 9;
        /// `_PAGE_SPECIAL` (bit 11), software.
        const SPECIAL = 1 << 11;
        /// `_PAGE_NO_READ` (bit 61), NR.
        const NO_READ = 1 << 61;
        /// `_PAGE_NO_EXEC` (bit 62), NX.
        const NO_EXEC = 1 << 62;
        /// `_PAGE_RPLV` (bit 63), RPLV.
        const RPLV = 1 << 63;
    }
}

/// `loongarch64/6.18`.
#[doc = include_str!("../diagrams/loongarch64-6.18.txt")]
pub const LAYOUT_6_18: Layout = Layout {
    name: "loongarch64/6.18",
    family: Family::Loongarch64,
    word_bits: 64,
    valid_bit: 7,
    none_ignore: 1 << 6,
    protnone: ProtNoneRule::Marker { bit: 10 },
    pfn: PFN,
    page_present: 1 << 7,
    page_none: PAGE_NONE,
    page_readonly: PAGE_READONLY,
    page_shared: PAGE_SHARED,
    swap: SWAP,
    file: None,
    flags: pte_core::flag_table!(Flags6_18),
    hw_bits: HW_BITS,
    hw_set: 0,
    hw_ignored: bits(7, 11) | bits(48, 60),
    reserved: 0,
    // `_PAGE_PRESENT` 7, `_PAGE_WRITE` 8, `_PAGE_MODIFIED` 9, `_PAGE_PROTNONE` 10,
    // `_PAGE_SPECIAL` 11.
    sw_bits: bits(7, 11),
    hw_ad: HwAccessDirty::SoftwareOnly,
    helpers: HELPERS,
    // `_PAGE_CHG_MASK` without `_PAGE_DEVMAP`.
    modify_keep: 1 << 9 | 1 << 11 | bits(14, 47) | 3 << 4 | 3 << 2,
    default_limits: LIMITS,
    geometries: &[G16K_3_LEVEL],
    source: "Linux 6.18 arch/loongarch/include/asm/pgtable-bits.h, pgtable.h, sparsemem.h; include/linux/swap.h, swapops.h",
};

pte_core::layout_type!(
    /// The loongarch64/6.6 layout type.
    pub Loongarch64_6_6 { word: Word64, flags: Flags6_6, layout: LAYOUT_6_6 }
);

pte_core::layout_type!(
    /// The loongarch64/6.18 layout type.
    pub Loongarch64_6_18 { word: Word64, flags: Flags6_18, layout: LAYOUT_6_18 }
);

// loongarch64/6.6 and 6.18: bit 60, any-state, the only any-state bit. The swap offset
// fills 24–59 under N = 36, the hardware uses 0–6, 12–47 and 61–63, and Linux's software
// bits are 7–11 (and 59 on 6.6). Bit 60 is `_PAGE_PRESENT_INVALID` in PMDs only
// (`pmd_mkinvalid()`), never in a PTE.
pte_core::lock_bit!(Loongarch64_6_6, bit = 60, discipline = AnyState);
pte_core::lock_bit!(Loongarch64_6_18, bit = 60, discipline = AnyState);

static_assertions::assert_eq_size!(pte_core::Pte<Loongarch64_6_6>, u64);
static_assertions::assert_impl_all!(Loongarch64_6_6: pte_core::LockBit);
static_assertions::assert_impl_all!(Loongarch64_6_18: pte_core::LockBit);
static_assertions::const_assert_eq!(G16K_3_LEVEL.va_bits(), 47);

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
