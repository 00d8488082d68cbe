//! # arch-x86_64
//!
//! The x86-64 Linux PTE layouts, as data for `pte-core`:
//!
//! * [`X86_64_2_6_8`] — Linux 2.6.8 (`include/asm-x86_64/pgtable.h`): nonlinear file PTEs,
//!   a plain swap offset from bit 8, `_PAGE_PROTNONE` = bit 7.
//! * [`X86_64_6_6`] — Linux 6.6 (`arch/x86/include/asm/pgtable*.h`): L1TF-inverted swap
//!   offset and protnone PFN, swap type in bits 59–63, exclusive / soft-dirty / uffd-wp swap
//!   flags, `_PAGE_PROTNONE` = `_PAGE_GLOBAL` (bit 8), `pte_none()` ignoring A/D.
//!
//! The CPU sets `_PAGE_ACCESSED` and `_PAGE_DIRTY` itself with locked read-modify-writes.
#![no_std]
#![deny(missing_docs)]
#![allow(non_camel_case_types)]

use pte_core::Word64;
use pte_core::kernels::{KernelNote, KernelRange, KernelVersion, Kernels};
use pte_core::limits::Limits;
use pte_core::model::bit_range as bits;
use pte_core::model::{
    Family, Field, FileFormat, Geometry, HelperModel, HwAccessDirty, Layout, PfnFormat,
    ProtNoneRule, SwapFormat, ValueField,
};

/// 4-level paging: PML4 → PGD/PUD → PMD → PTE, 512 entries each (`PML4_SHIFT 39`).
pub const FOUR_LEVEL: Geometry = Geometry {
    name: "4-level",
    page_shift: 12,
    level_bits: &[9, 9, 9, 9],
};
/// 5-level paging (`pgtable_l5_enabled()`, `PGDIR_SHIFT 48`).
pub const FIVE_LEVEL: Geometry = Geometry {
    name: "5-level",
    page_shift: 12,
    level_bits: &[9, 9, 9, 9, 9],
};

/// `PTE_MASK` / `PTE_PFN_MASK`: the PFN in bits 12–51 (`__PHYSICAL_MASK_SHIFT` 40 in 2.6.8
/// still masks up to bit 51 through `PHYSICAL_PAGE_MASK`; 52 in 6.x).
const PFN_FIELD: Field = Field {
    shift: 12,
    width: 40,
};

bitflags::bitflags! {
    /// Flags of a present x86_64/2.6.8 PTE (`include/asm-x86_64/pgtable.h`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct Flags2_6_8: u64 {
        /// `_PAGE_PRESENT` (bit 0).
        const PRESENT = 1 << 0;
        /// `_PAGE_RW` (bit 1).
        const RW = 1 << 1;
        /// `_PAGE_USER` (bit 2).
        const USER = 1 << 2;
        /// `_PAGE_PWT` (bit 3).
        const PWT = 1 << 3;
        /// `_PAGE_PCD` (bit 4).
        const PCD = 1 << 4;
        /// `_PAGE_ACCESSED` (bit 5), set by the CPU.
        const ACCESSED = 1 << 5;
        /// `_PAGE_DIRTY` (bit 6), set by the CPU; `_PAGE_FILE` when not present.
        const DIRTY = 1 << 6;
        /// `_PAGE_PSE` (bit 7; 0 in 4K PTEs); `_PAGE_PROTNONE` when not present.
        const PSE = 1 << 7;
        /// `_PAGE_GLOBAL` (bit 8).
        const GLOBAL = 1 << 8;
        /// `_PAGE_NX` (bit 63).
        const NX = 1 << 63;
    }
}

/// The releases with the x86_64/2.6.8 format: 2.6.0 to 2.6.9 (the boundaries' sources;
/// the copies of each release are listed in docs/DESIGN.md, "Which layout for which
/// kernel").
///
/// * **First, 2.6.0**: `include/asm-x86_64/pgtable.h` and `page.h` of 2.6.0 define
///   `_PAGE_FILE` 0x040, `_PAGE_PROTNONE` 0x080, `pte_none`, `pte_present`, `pte_pfn`,
///   `__swp_type` / `__swp_offset`, `pte_to_pgoff` and `__PHYSICAL_MASK_SHIFT 40` exactly as
///   2.6.8 does (and `pte_modify()` / `_PAGE_CHG_MASK` too). The 2.5 development series is not
///   considered.
/// * **Last, 2.6.9**: 2.6.9 is the same. 2.6.11 has `__PHYSICAL_MASK_SHIFT 46`, so
///   `pte_pfn()` reads bits 12–57 and `pte_to_pgoff()` / `PTE_FILE_MAX_BITS` change: "convert
///   x86_64 to 4 level page tables" (Andi Kleen, Nick Piggin; posted 22 Dec 2004, two days
///   before 2.6.10, for 2.6.11). 2.6.10 was not read, so it is left out.
pub const KERNELS_2_6_8: Kernels = Kernels {
    range: KernelRange::new(KernelVersion::old(2, 6, 0), KernelVersion::old(2, 6, 9)),
    notes: &[],
};

/// `x86_64/2.6.8`.
#[doc = include_str!("../diagrams/x86_64-2.6.8.txt")]
pub const LAYOUT_2_6_8: Layout = Layout {
    name: "x86_64/2.6.8",
    family: Family::X86_64,
    word_bits: 64,
    valid_bit: 0,
    // `pte_none(x) = !pte_val(x)`.
    none_ignore: 0,
    // `pte_present(x) = pte_val(x) & (_PAGE_PRESENT | _PAGE_PROTNONE)`, `_PAGE_PROTNONE` 0x080.
    protnone: ProtNoneRule::Marker { bit: 7 },
    pfn: PfnFormat {
        field: PFN_FIELD,
        high: None,
        value_bits: 40,
        protnone_inverted: false,
    },
    page_present: 1,
    // `PAGE_NONE = __pgprot(_PAGE_PROTNONE | _PAGE_ACCESSED)`.
    page_none: 0x80 | 0x20,
    // `PAGE_READONLY`/`PAGE_SHARED`: _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED | _PAGE_NX,
    // PAGE_SHARED adding _PAGE_RW.
    page_readonly: 1 | 1 << 2 | 0x20 | 1 << 63,
    page_shared: 1 | 1 << 1 | 1 << 2 | 0x20 | 1 << 63,
    // `__swp_type(x) = ((x).val >> 1) & 0x3f`, `__swp_offset(x) = (x).val >> 8`.
    swap: SwapFormat {
        type_field: Field { shift: 1, width: 6 },
        offset: ValueField::plain(8, 56),
        exclusive: None,
        soft_dirty: None,
        uffd_wp: None,
    },
    // `pte_to_pgoff(pte) = (pte_val & PHYSICAL_PAGE_MASK) >> PAGE_SHIFT`, `_PAGE_FILE` 0x040.
    file: Some(FileFormat {
        marker: 6,
        pgoff: ValueField::plain(12, 40),
    }),
    flags: pte_core::flag_table!(Flags2_6_8),
    // docs/DESIGN.md#hardware-bits: hardware bits 0–8, 12–51, 63.
    hw_bits: bits(0, 8) | bits(12, 51) | 1 << 63,
    hw_set: 0x20 | 0x40,
    // 2004 SDM: 11:9 ignored, "Bits 62:52 are available for use by system programmers".
    hw_ignored: bits(9, 11) | bits(52, 62),
    // Bits 51..MAXPHYADDR are reserved on real CPUs, but Linux's PFN mask covers them.
    reserved: 0,
    sw_bits: 0,
    hw_ad: HwAccessDirty::SetsAccessedDirty,
    helpers: HelperModel::X86 {
        write: 1,
        accessed: 5,
        dirty: 6,
        saved_dirty: None,
        soft_dirty: None,
    },
    // `_PAGE_CHG_MASK = PTE_MASK | _PAGE_ACCESSED | _PAGE_DIRTY`.
    modify_keep: bits(12, 51) | 0x20 | 0x40,
    // MAX_SWAPFILES_SHIFT 5; 32-bit `last_page`; PTE_FILE_MAX_BITS = __PHYSICAL_MASK_SHIFT = 40.
    default_limits: Limits {
        swap_type_bits: 5,
        swap_offset_bits: 32,
        file_pgoff_bits: Some(40),
    },
    geometries: &[FOUR_LEVEL],
    source: "Linux 2.6.8 include/asm-x86_64/pgtable.h, page.h; include/linux/swap.h",
    kernels: KERNELS_2_6_8,
};

bitflags::bitflags! {
    /// Flags of a present x86_64/6.6 PTE (`arch/x86/include/asm/pgtable_types.h`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct Flags6_6: u64 {
        /// `_PAGE_PRESENT` (bit 0).
        const PRESENT = 1 << 0;
        /// `_PAGE_RW` (bit 1).
        const RW = 1 << 1;
        /// `_PAGE_USER` (bit 2).
        const USER = 1 << 2;
        /// `_PAGE_PWT` (bit 3).
        const PWT = 1 << 3;
        /// `_PAGE_PCD` (bit 4).
        const PCD = 1 << 4;
        /// `_PAGE_ACCESSED` (bit 5), set by the CPU.
        const ACCESSED = 1 << 5;
        /// `_PAGE_DIRTY` (bit 6), set by the CPU.
        const DIRTY = 1 << 6;
        /// `_PAGE_PAT` (bit 7 in a 4K PTE).
        const PAT = 1 << 7;
        /// `_PAGE_GLOBAL` (bit 8); `_PAGE_PROTNONE` when not present.
        const GLOBAL = 1 << 8;
        /// `_PAGE_SPECIAL` (`_PAGE_BIT_SOFTW1`, bit 9).
        const SPECIAL = 1 << 9;
        /// `_PAGE_UFFD_WP` (`_PAGE_BIT_SOFTW2`, bit 10).
        const UFFD_WP = 1 << 10;
        /// `_PAGE_SOFT_DIRTY` (`_PAGE_BIT_SOFTW3`, bit 11).
        const SOFT_DIRTY = 1 << 11;
        /// `_PAGE_DEVMAP` (`_PAGE_BIT_SOFTW4`, bit 57).
        const DEVMAP = 1 << 57;
        /// `_PAGE_SAVED_DIRTY` (`_PAGE_BIT_SOFTW5`, bit 58).
        const SAVED_DIRTY = 1 << 58;
        /// `_PAGE_PKEY_BIT0` (bit 59).
        const PKEY_BIT0 = 1 << 59;
        /// `_PAGE_PKEY_BIT1` (bit 60).
        const PKEY_BIT1 = 1 << 60;
        /// `_PAGE_PKEY_BIT2` (bit 61).
        const PKEY_BIT2 = 1 << 61;
        /// `_PAGE_PKEY_BIT3` (bit 62).
        const PKEY_BIT3 = 1 << 62;
        /// `_PAGE_NX` (bit 63).
        const NX = 1 << 63;
    }
}

/// The releases with the x86_64/6.6 format: 5.19 to the newest checked (7.0).
///
/// * **First, 5.19**: `_PAGE_SWP_EXCLUSIVE = _PAGE_PWT` (`pgtable_64_types.h`), the last part
///   of the swap format to arrive: 5.19.0 has it, 5.18.12 has no swap exclusive bit ("mm:
///   COW fixes part 2", David Hildenbrand, 5.19). The older parts — the inverted offset and
///   the type in bits 59–63 (L1TF), the soft-dirty and uffd-wp swap bits, `pte_none()`
///   ignoring A/D (`_PAGE_KNL_ERRATUM_MASK`) and the PFN in bits 12–51
///   (`__PHYSICAL_MASK_SHIFT 52`) — are in 5.19.0 as in 6.6.
/// * **Last**: 7.0 has the same `pgtable_64.h` swap macros, `pgtable_types.h` bits,
///   `pgtable-invert.h` and `pte_none` / `pte_present` / `pte_protnone` / `pte_pfn`, and the
///   same helpers (6.6.9 and 7.0 compared function by function).
///
/// 5.19–6.5 lack `_PAGE_SAVED_DIRTY`, and `_PAGE_DEVMAP` is gone by 6.17: see the notes.
pub const KERNELS_6_6: Kernels = Kernels {
    range: KernelRange::since(KernelVersion::new(5, 19)),
    notes: &[
        KernelNote {
            kernels: KernelRange::new(KernelVersion::new(5, 19), KernelVersion::new(6, 5)),
            text: "no _PAGE_SAVED_DIRTY: bit 58 is unused, and pte_wrprotect() and pte_modify() \
                   leave _PAGE_DIRTY where it is (this layout moves it to bit 58, as 6.6 does; \
                   6.5.0 has no saved-dirty bit, 6.6.9 has it)",
        },
        KernelNote {
            kernels: KernelRange::since(KernelVersion::new(6, 15)),
            text: "_PAGE_DEVMAP (bit 57) is removed: bit 57 is unused and _PAGE_CHG_MASK no \
                   longer keeps it (read in 6.17.0, 6.18.35 and 7.0; 6.14 still has it; 6.15 \
                   and 6.16 not read)",
        },
    ],
};

/// `x86_64/6.6`.
#[doc = include_str!("../diagrams/x86_64-6.6.txt")]
pub const LAYOUT_6_6: Layout = Layout {
    name: "x86_64/6.6",
    family: Family::X86_64,
    word_bits: 64,
    valid_bit: 0,
    // `pte_none(pte) = !(pte.pte & ~(_PAGE_KNL_ERRATUM_MASK))`, mask = _PAGE_DIRTY | _PAGE_ACCESSED.
    none_ignore: 0x20 | 0x40,
    // `_PAGE_BIT_PROTNONE = _PAGE_BIT_GLOBAL`.
    protnone: ProtNoneRule::Marker { bit: 8 },
    // `pte_pfn()` XORs `protnone_mask()` (pgtable-invert.h).
    pfn: PfnFormat {
        field: PFN_FIELD,
        high: None,
        value_bits: 40,
        protnone_inverted: true,
    },
    page_present: 1,
    // `PAGE_NONE = __pg(0|0|0|___A|0|0|0|___G)`.
    page_none: 0x20 | 0x100,
    // `PAGE_READONLY = __pg(__PP|0|_USR|___A|__NX|0|0|0)`, `PAGE_SHARED` adds `__RW`.
    page_readonly: 1 | 1 << 2 | 0x20 | 1 << 63,
    page_shared: 1 | 1 << 1 | 1 << 2 | 0x20 | 1 << 63,
    // `| TYPE (59-63) | ~OFFSET (9-58) |0|0|X|X| X| E|F|SD|0|`; SWP_TYPE_BITS 5,
    // SWP_OFFSET_FIRST_BIT 9; E = _PAGE_PWT, SD = _PAGE_RW, UFFD_WP = _PAGE_USER.
    swap: SwapFormat {
        type_field: Field {
            shift: 59,
            width: 5,
        },
        offset: ValueField::inverted(9, 50),
        exclusive: Some(3),
        soft_dirty: Some(1),
        uffd_wp: Some(2),
    },
    file: None,
    flags: pte_core::flag_table!(Flags6_6),
    // docs/DESIGN.md#hardware-bits: hardware bits 0–8, 12–51, 59–62 (PKEY), 63.
    hw_bits: bits(0, 8) | bits(12, 51) | bits(59, 62) | 1 << 63,
    hw_set: 0x20 | 0x40,
    // SDM: "11:9 Ignored", "58:52 Ignored" (62:59 ignored too unless CR4.PKE).
    hw_ignored: bits(9, 11) | bits(52, 58),
    reserved: 0,
    // SPECIAL 9, UFFD_WP 10, SOFT_DIRTY 11, DEVMAP 57, SAVED_DIRTY 58.
    sw_bits: bits(9, 11) | 1 << 57 | 1 << 58,
    hw_ad: HwAccessDirty::SetsAccessedDirty,
    helpers: HelperModel::X86 {
        write: 1,
        accessed: 5,
        dirty: 6,
        saved_dirty: Some(58),
        soft_dirty: Some(11),
    },
    // `_PAGE_CHG_MASK = _COMMON_PAGE_CHG_MASK | _PAGE_PAT`: PFN, PCD, PWT, SPECIAL, ACCESSED,
    // DIRTY, SAVED_DIRTY, SOFT_DIRTY, DEVMAP, UFFD_WP, PAT.
    modify_keep: bits(12, 51)
        | 1 << 4
        | 1 << 3
        | 1 << 9
        | 1 << 5
        | 1 << 6
        | 1 << 58
        | 1 << 11
        | 1 << 57
        | 1 << 10
        | 1 << 7,
    // N = min(50, SWP_TYPE_SHIFT 58, max(32, MAX_PHYSMEM_BITS 52 - PAGE_SHIFT 12 + 2)) = 42.
    default_limits: Limits {
        swap_type_bits: 5,
        swap_offset_bits: 42,
        file_pgoff_bits: None,
    },
    geometries: &[FOUR_LEVEL, FIVE_LEVEL],
    source: "Linux 6.6.87 arch/x86/include/asm/pgtable_types.h, pgtable_64.h, pgtable_64_types.h, pgtable.h, pgtable-invert.h",
    kernels: KERNELS_6_6,
};

pte_core::layout_type!(
    /// The x86_64/2.6.8 layout type.
    pub X86_64_2_6_8 { word: Word64, flags: Flags2_6_8, layout: LAYOUT_2_6_8 }
);

pte_core::layout_type!(
    /// The x86_64/6.6 layout type.
    pub X86_64_6_6 { word: Word64, flags: Flags6_6, layout: LAYOUT_6_6 }
);

// x86_64/2.6.8: bit 56, any-state. Bits 52–62 are the only any-state bits (the 2004 SDM's
// "available" 62:52, outside every real swap offset < 2^32 and every pgoff < 2^40). Of
// those, 52–58 stay "Ignored" in every later SDM while 59–62 became protection keys, and
// bit 56 starts the top byte ("aligned to 8 bits", as Lameter placed ia64's bit 56).
pte_core::lock_bit!(X86_64_2_6_8, bit = 56, discipline = AnyState);

// x86_64/6.6: bit 56, none-only. No bit is any-state (the inverted swap offset fills 9–58,
// the type 59–63, the rest are hardware bits). The locked-empty word 1 << 56 decodes as an
// offset of 2^50 - 1 - 2^47, far beyond 2^42: invalid. Bit 56 is ignored by the MMU and
// unused by Linux 6.6 in present entries, so a leaked lock bit would change nothing there.
pte_core::lock_bit!(X86_64_6_6, bit = 56, discipline = NoneOnly);

static_assertions::assert_eq_size!(pte_core::Pte<X86_64_6_6>, u64);
static_assertions::assert_impl_all!(X86_64_2_6_8: pte_core::LockBit);
static_assertions::assert_impl_all!(X86_64_6_6: pte_core::LockBit);
