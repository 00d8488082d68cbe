//! # arch-i386
//!
//! The 32-bit x86 Linux PTE layouts, as data for `pte-core`:
//!
//! * [`I386_2_6_8`] — 2-level paging, 32-bit entries, Linux 2.6.8. **No provable lock bit**:
//!   every bit of a not-present entry means something in a swap, file or protnone entry. The
//!   2004 fastpath patch took bit 9, and the locked-empty word `0x200` is swap type 0,
//!   offset 2 — a real swap slot. [`I386_2_6_8_Swap23`] narrows swap offsets to 23 bits, which
//!   makes bit 31 a none-only lock bit: an explicit, typed trade-off.
//! * [`I386Pae2_6_8`] — PAE (3-level, 64-bit entries), Linux 2.6.8: swap entries live in the
//!   low word with the high word zero; file entries keep the pgoff in the high word.
//! * [`I386_6_6`] — 2-level, Linux 6.6: swap offset from bit 9, exclusive marker in bit 7.
//! * [`I386Pae6_6`] — PAE, Linux 6.6: the x86_64-style L1TF-inverted swap entry, offsets
//!   limited to 26 bits by the 32-bit `swp_entry_t`.
//!
//! The CPU sets `_PAGE_ACCESSED` and `_PAGE_DIRTY`. `CompareExchange` holds where the target
//! has `cmpxchg` (2-level, 486+) or `cmpxchg8b` (PAE, Pentium+); the 80386 has neither, so no
//! fault-path strategy compiles there (each needs compare-and-swap for the transitions the MMU
//! races with); its `lock bts` can take a lock bit, which is not enough.
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

/// 2-level paging: `PGDIR_SHIFT 22`, 1024 × 1024 entries, PMD folded.
pub const TWO_LEVEL: Geometry = Geometry {
    name: "2-level",
    page_shift: 12,
    level_bits: &[10, 10],
};
/// PAE: `PTRS_PER_PGD 4`, `PTRS_PER_PMD 512`, `PTRS_PER_PTE 512`.
pub const PAE: Geometry = Geometry {
    name: "PAE 3-level",
    page_shift: 12,
    level_bits: &[2, 9, 9],
};

/// `_PAGE_ACCESSED` | `_PAGE_DIRTY`.
const AD: u64 = 0x20 | 0x40;

/// The x86 helper rules; 6.x moves a write-protected dirty bit into `_PAGE_SAVED_DIRTY`,
/// `_PAGE_BIT_SOFTW2` (bit 10) on 32-bit kernels.
const fn helpers(saved_dirty: Option<u32>) -> HelperModel {
    HelperModel::X86 {
        write: 1,
        accessed: 5,
        dirty: 6,
        saved_dirty,
        soft_dirty: None,
    }
}

bitflags::bitflags! {
    /// Flags of a present 2-level i386/2.6.8 PTE (`include/asm-i386/pgtable.h`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct Flags2_6_8: u32 {
        /// `_PAGE_PRESENT` 0x001.
        const PRESENT = 1 << 0;
        /// `_PAGE_RW` 0x002.
        const RW = 1 << 1;
        /// `_PAGE_USER` 0x004.
        const USER = 1 << 2;
        /// `_PAGE_PWT` 0x008.
        const PWT = 1 << 3;
        /// `_PAGE_PCD` 0x010.
        const PCD = 1 << 4;
        /// `_PAGE_ACCESSED` 0x020, set by the CPU.
        const ACCESSED = 1 << 5;
        /// `_PAGE_DIRTY` 0x040, set by the CPU (`_PAGE_FILE` when not present).
        const DIRTY = 1 << 6;
        /// `_PAGE_PSE` 0x080 (PDE only; `_PAGE_PROTNONE` when not present).
        const PSE = 1 << 7;
        /// `_PAGE_GLOBAL` 0x100.
        const GLOBAL = 1 << 8;
    }
}

bitflags::bitflags! {
    /// Flags of a present PAE i386-pae/2.6.8 PTE (`pgtable.h`, `pgtable-3level.h`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct FlagsPae2_6_8: u64 {
        /// `_PAGE_PRESENT` 0x001.
        const PRESENT = 1 << 0;
        /// `_PAGE_RW` 0x002.
        const RW = 1 << 1;
        /// `_PAGE_USER` 0x004.
        const USER = 1 << 2;
        /// `_PAGE_PWT` 0x008.
        const PWT = 1 << 3;
        /// `_PAGE_PCD` 0x010.
        const PCD = 1 << 4;
        /// `_PAGE_ACCESSED` 0x020, set by the CPU.
        const ACCESSED = 1 << 5;
        /// `_PAGE_DIRTY` 0x040, set by the CPU (`_PAGE_FILE` when not present).
        const DIRTY = 1 << 6;
        /// `_PAGE_PSE` 0x080 (`_PAGE_PROTNONE` when not present).
        const PSE = 1 << 7;
        /// `_PAGE_GLOBAL` 0x100.
        const GLOBAL = 1 << 8;
        /// `_PAGE_NX` (`_PAGE_BIT_NX 63`).
        const NX = 1 << 63;
    }
}

bitflags::bitflags! {
    /// Flags of a present 2-level i386/6.6 PTE (`arch/x86/include/asm/pgtable_types.h`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct Flags6_6: u32 {
        /// `_PAGE_PRESENT`.
        const PRESENT = 1 << 0;
        /// `_PAGE_RW`.
        const RW = 1 << 1;
        /// `_PAGE_USER`.
        const USER = 1 << 2;
        /// `_PAGE_PWT`.
        const PWT = 1 << 3;
        /// `_PAGE_PCD`.
        const PCD = 1 << 4;
        /// `_PAGE_ACCESSED`, set by the CPU.
        const ACCESSED = 1 << 5;
        /// `_PAGE_DIRTY`, set by the CPU.
        const DIRTY = 1 << 6;
        /// `_PAGE_PAT` (bit 7 in a 4K PTE).
        const PAT = 1 << 7;
        /// `_PAGE_GLOBAL` (`_PAGE_PROTNONE` when not present).
        const GLOBAL = 1 << 8;
        /// `_PAGE_SPECIAL` (`_PAGE_BIT_SOFTW1`).
        const SPECIAL = 1 << 9;
        /// `_PAGE_SAVED_DIRTY` (`_PAGE_BIT_SOFTW2` on 32-bit).
        const SAVED_DIRTY = 1 << 10;
    }
}

bitflags::bitflags! {
    /// Flags of a present PAE i386-pae/6.6 PTE (`arch/x86/include/asm/pgtable_types.h`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct FlagsPae6_6: u64 {
        /// `_PAGE_PRESENT`.
        const PRESENT = 1 << 0;
        /// `_PAGE_RW`.
        const RW = 1 << 1;
        /// `_PAGE_USER`.
        const USER = 1 << 2;
        /// `_PAGE_PWT`.
        const PWT = 1 << 3;
        /// `_PAGE_PCD`.
        const PCD = 1 << 4;
        /// `_PAGE_ACCESSED`, set by the CPU.
        const ACCESSED = 1 << 5;
        /// `_PAGE_DIRTY`, set by the CPU.
        const DIRTY = 1 << 6;
        /// `_PAGE_PAT` (bit 7 in a 4K PTE).
        const PAT = 1 << 7;
        /// `_PAGE_GLOBAL` (`_PAGE_PROTNONE` when not present).
        const GLOBAL = 1 << 8;
        /// `_PAGE_SPECIAL` (`_PAGE_BIT_SOFTW1`).
        const SPECIAL = 1 << 9;
        /// `_PAGE_SAVED_DIRTY` (`_PAGE_BIT_SOFTW2` on 32-bit).
        const SAVED_DIRTY = 1 << 10;
        /// `_PAGE_DEVMAP` (`_PAGE_BIT_SOFTW4`, bit 57).
        const DEVMAP = 1 << 57;
        /// `_PAGE_NX`.
        const NX = 1 << 63;
    }
}

/// 2.6.8 swap (`asm-i386/pgtable.h`, shared by 2-level and PAE, on `pte_low` only):
/// `__swp_type(x) = ((x).val >> 1) & 0x1f`, `__swp_offset(x) = (x).val >> 8`.
const SWAP_2_6_8: SwapFormat = SwapFormat {
    type_field: Field { shift: 1, width: 5 },
    offset: ValueField::plain(8, 24),
    exclusive: None,
    soft_dirty: None,
    uffd_wp: None,
};

/// The releases with the i386/2.6.8 (2-level) format: 2.6.8 to 2.6.28 (the copies of each
/// release are listed in docs/DESIGN.md, "Which layout for which kernel").
///
/// * **First, 2.6.8**: the releases before 2.6.8 were not read, so they are left out.
/// * **Last, 2.6.28**: `_PAGE_FILE` 0x040, `_PAGE_PROTNONE` 0x080, `__swp_type` /
///   `__swp_offset`, `pte_to_pgoff` / `pgoff_to_pte` and `pte_none` are the same in 2.6.9,
///   2.6.11, 2.6.18, 2.6.24 (`include/asm-i386/`, then `include/asm-x86/pgtable-2level.h`) and
///   at the v2.6.25 to v2.6.28 tags of the mainline history. Commit 1796316a8b02 "x86:
///   consolidate __swp_XXX() macros" (Jan Beulich, v2.6.29-rc1) moved `_PAGE_PROTNONE` to
///   `_PAGE_GLOBAL` (bit 8), the swap offset to bit 9 and the 2-level file pgoff around both.
pub const KERNELS_2_6_8: Kernels = Kernels {
    range: KernelRange::new(KernelVersion::old(2, 6, 8), KernelVersion::old(2, 6, 28)),
    notes: &[
        KernelNote {
            kernels: KernelRange::new(KernelVersion::old(2, 6, 26), KernelVersion::old(2, 6, 28)),
            text: "_PAGE_CHG_MASK also keeps _PAGE_PCD and _PAGE_PWT (PAT), so pte_modify() \
                   keeps them from the old entry (v2.6.26 tag)",
        },
        KernelNote {
            kernels: KernelRange::new(KernelVersion::old(2, 6, 27), KernelVersion::old(2, 6, 28)),
            text: "bit 9 is _PAGE_SPECIAL (_PAGE_BIT_UNUSED1), a software bit of present entries \
                   that _PAGE_CHG_MASK keeps (v2.6.27 tag)",
        },
    ],
};

/// `i386/2.6.8` (2-level).
#[doc = include_str!("../diagrams/i386-2.6.8.txt")]
pub const LAYOUT_2_6_8: Layout = Layout {
    name: "i386/2.6.8",
    family: Family::I386,
    word_bits: 32,
    valid_bit: 0,
    // `pte_none(x) = !(x).pte_low`.
    none_ignore: 0,
    // `pte_present(x) = (x).pte_low & (_PAGE_PRESENT | _PAGE_PROTNONE)`, `_PAGE_PROTNONE` 0x080.
    protnone: ProtNoneRule::Marker { bit: 7 },
    // `PTE_MASK = PAGE_MASK`: PFN in bits 12–31.
    pfn: PfnFormat {
        field: Field {
            shift: 12,
            width: 20,
        },
        high: None,
        value_bits: 20,
        protnone_inverted: false,
    },
    page_present: 1,
    // `PAGE_NONE = __pgprot(_PAGE_PROTNONE | _PAGE_ACCESSED)`.
    page_none: 0x80 | 0x20,
    // `PAGE_READONLY = __pgprot(_PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED | _PAGE_NX)`, with
    // `_PAGE_NX` 0 without `CONFIG_X86_PAE`; `PAGE_SHARED = __pgprot(_PAGE_PRESENT | _PAGE_RW
    // | _PAGE_USER | _PAGE_ACCESSED)` (2.6.8 `pgtable.h` lines 124–148).
    page_readonly: 1 | 1 << 2 | 0x20,
    page_shared: 1 | 1 << 1 | 1 << 2 | 0x20,
    swap: SWAP_2_6_8,
    // `pgoff_to_pte(off) = ((off & 0x1f) << 1) + ((off >> 5) << 8) + _PAGE_FILE`.
    file: Some(FileFormat {
        marker: 6,
        pgoff: ValueField::split(
            Field { shift: 1, width: 5 },
            Field {
                shift: 8,
                width: 24,
            },
        ),
    }),
    flags: pte_core::flag_table!(Flags2_6_8),
    // docs/DESIGN.md#hardware-bits: hardware bits 0–8, 12–31.
    hw_bits: bits(0, 8) | bits(12, 31),
    hw_set: AD,
    // SDM Table 4-6: "11:9 Ignored" (`_PAGE_UNUSED1..3`, "available for programmer").
    hw_ignored: bits(9, 11),
    reserved: 0,
    sw_bits: 0,
    hw_ad: HwAccessDirty::SetsAccessedDirty,
    helpers: helpers(None),
    // `_PAGE_CHG_MASK = (PTE_MASK | _PAGE_ACCESSED | _PAGE_DIRTY)`.
    modify_keep: bits(12, 31) | AD,
    // T = 5; N = 24 (offsets end at 2^24 - 3); M = PTE_FILE_MAX_BITS 29.
    default_limits: Limits {
        swap_type_bits: 5,
        swap_offset_bits: 24,
        file_pgoff_bits: Some(29),
    },
    geometries: &[TWO_LEVEL],
    source: "Linux 2.6.8 include/asm-i386/pgtable.h, pgtable-2level.h, pgtable-2level-defs.h",
    kernels: KERNELS_2_6_8,
};

/// The releases with the i386-pae/2.6.8 format: 2.6.8 alone.
///
/// * **First, 2.6.8**: the releases before 2.6.8 were not read. (2.6.8's `PAGE_READONLY`
///   carries `_PAGE_NX`, bit 63 of a PAE entry, and so does this layout's `page_readonly`;
///   its `PAGE_SHARED` does not.)
/// * **Last, 2.6.8**: 2.6.9 moved PAE swap entries to the high word:
///   `__pte_to_swp_entry(pte) = ((swp_entry_t){ (pte).pte_high })`, `__swp_type(x) =
///   ((x).val) & 0x1f`, `__swp_offset(x) = (x).val >> 5` (`include/asm-i386/pgtable-3level.h`
///   of 2.6.9; the same in 2.6.11, 2.6.18, 2.6.24).
pub const KERNELS_PAE_2_6_8: Kernels = Kernels {
    range: KernelRange::new(KernelVersion::old(2, 6, 8), KernelVersion::old(2, 6, 8)),
    notes: &[],
};

/// `i386-pae/2.6.8`.
#[doc = include_str!("../diagrams/i386-pae-2.6.8.txt")]
pub const LAYOUT_PAE_2_6_8: Layout = Layout {
    name: "i386-pae/2.6.8",
    family: Family::I386Pae,
    word_bits: 64,
    valid_bit: 0,
    // `pte_none(pte) = !pte.pte_low && !pte.pte_high`.
    none_ignore: 0,
    protnone: ProtNoneRule::Marker { bit: 7 },
    // `pte_pfn = (pte_low >> PAGE_SHIFT) | (pte_high << (32 - PAGE_SHIFT))`, an unsigned long:
    // word bits 12–43.
    pfn: PfnFormat {
        field: Field {
            shift: 12,
            width: 32,
        },
        high: None,
        value_bits: 32,
        protnone_inverted: false,
    },
    page_present: 1,
    // `PAGE_NONE = __pgprot(_PAGE_PROTNONE | _PAGE_ACCESSED)`.
    page_none: 0x80 | 0x20,
    // 2.6.8 `pgtable.h` lines 124–148: under `CONFIG_X86_PAE` `_PAGE_NX` is
    // `(1ULL<<_PAGE_BIT_NX)`, `_PAGE_BIT_NX 63`; `PAGE_READONLY = __pgprot(_PAGE_PRESENT |
    // _PAGE_USER | _PAGE_ACCESSED | _PAGE_NX)`, but `PAGE_SHARED = __pgprot(_PAGE_PRESENT |
    // _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED)` has no NX in 2.6.8's i386 (unlike x86_64's;
    // the same in 2.6.9, 2.6.11 and 2.6.18). `pfn_pte()` masks the protection with
    // `__supported_pte_mask`, which keeps NX when the CPU has it and `noexec` is on (as the
    // i386-pae/6.6 prototypes, this layout models such a CPU, EFER.NXE set).
    page_readonly: 1 | 1 << 2 | 0x20 | 1 << 63,
    page_shared: 1 | 1 << 1 | 1 << 2 | 0x20,
    // `__swp_entry_to_pte(x) = (pte_t){ (x).val }`: pte_low = val, pte_high = 0.
    swap: SWAP_2_6_8,
    // `pte_to_pgoff(pte) = (pte).pte_high`, `pgoff_to_pte(off) = { _PAGE_FILE, (off) }`.
    file: Some(FileFormat {
        marker: 6,
        pgoff: ValueField::plain(32, 32),
    }),
    flags: pte_core::flag_table!(FlagsPae2_6_8),
    // docs/DESIGN.md#hardware-bits: 0–8, 12–63 (PAE paging has no ignored high bits).
    hw_bits: bits(0, 8) | bits(12, 63),
    hw_set: AD,
    hw_ignored: bits(9, 11),
    // SDM Table 4-11: bits 62..MAXPHYADDR reserved; 52–62 whatever the CPU.
    reserved: bits(52, 62),
    sw_bits: 0,
    hw_ad: HwAccessDirty::SetsAccessedDirty,
    helpers: helpers(None),
    // `pte_modify()` keeps `_PAGE_CHG_MASK` of pte_low and pte_high except NX.
    modify_keep: bits(12, 31) | AD | bits(32, 62),
    // PTE_FILE_MAX_BITS 32.
    default_limits: Limits {
        swap_type_bits: 5,
        swap_offset_bits: 24,
        file_pgoff_bits: Some(32),
    },
    geometries: &[PAE],
    source: "Linux 2.6.8 include/asm-i386/pgtable.h, pgtable-3level.h, pgtable-3level-defs.h",
    kernels: KERNELS_PAE_2_6_8,
};

/// The releases with the i386/6.6 (2-level) format: 6.3 to the newest checked (7.0).
///
/// * **First, 6.3**: `_PAGE_SWP_EXCLUSIVE = _PAGE_PSE` (`pgtable-2level.h`) arrived with
///   "mm: support __HAVE_ARCH_PTE_SWP_EXCLUSIVE on all architectures with swap PTEs" (David
///   Hildenbrand, 6.3): 6.3.8 has it, 6.2.12 does not. The rest of the entry (swap type 1–5,
///   offset from bit 9) is older.
/// * **Last**: `pgtable-2level.h` and the 32-bit `pgtable_types.h` bits are the same in 7.0.
pub const KERNELS_6_6: Kernels = Kernels {
    range: KernelRange::since(KernelVersion::new(6, 3)),
    notes: &[KernelNote {
        kernels: KernelRange::new(KernelVersion::new(6, 3), KernelVersion::new(6, 5)),
        text: "no _PAGE_SAVED_DIRTY: bit 10 is unused, and pte_wrprotect() and pte_modify() \
               leave _PAGE_DIRTY where it is (this layout moves it to bit 10, as 6.6 does; \
               6.5.0 has no saved-dirty bit, 6.6.9 has it)",
    }],
};

/// `i386/6.6` (2-level).
#[doc = include_str!("../diagrams/i386-6.6.txt")]
pub const LAYOUT_6_6: Layout = Layout {
    name: "i386/6.6",
    family: Family::I386,
    word_bits: 32,
    valid_bit: 0,
    // `_PAGE_KNL_ERRATUM_MASK` is 0 without PAE: the whole word is tested.
    none_ignore: 0,
    // `_PAGE_BIT_PROTNONE = _PAGE_BIT_GLOBAL`.
    protnone: ProtNoneRule::Marker { bit: 8 },
    // No inversion on 2-level: `protnone_mask()` returns 0.
    pfn: PfnFormat {
        field: Field {
            shift: 12,
            width: 20,
        },
        high: None,
        value_bits: 20,
        protnone_inverted: false,
    },
    page_present: 1,
    // `PAGE_NONE = __pg(0|0|0|___A|0|0|0|___G)`.
    page_none: 0x20 | 0x100,
    // `PAGE_READONLY = __pg(__PP|0|_USR|___A|__NX|…)` with `_PAGE_NX` 0 on 2-level.
    page_readonly: 1 | 1 << 2 | 0x20,
    page_shared: 1 | 1 << 1 | 1 << 2 | 0x20,
    // `_SWP_TYPE_SHIFT = _PAGE_BIT_PRESENT + 1`, `_SWP_TYPE_MASK 0x1f`,
    // `SWP_OFFSET_SHIFT = _PAGE_BIT_PROTNONE + 1`, `_PAGE_SWP_EXCLUSIVE = _PAGE_PSE`.
    swap: SwapFormat {
        type_field: Field { shift: 1, width: 5 },
        offset: ValueField::plain(9, 23),
        exclusive: Some(7),
        soft_dirty: None,
        uffd_wp: None,
    },
    file: None,
    flags: pte_core::flag_table!(Flags6_6),
    hw_bits: bits(0, 8) | bits(12, 31),
    hw_set: AD,
    hw_ignored: bits(9, 11),
    reserved: 0,
    // docs/DESIGN.md#software-bits: 9 SPECIAL, 10 SAVED_DIRTY.
    sw_bits: 1 << 9 | 1 << 10,
    hw_ad: HwAccessDirty::SetsAccessedDirty,
    helpers: helpers(Some(10)),
    // `_PAGE_CHG_MASK`: PFN, PCD, PWT, SPECIAL, ACCESSED, DIRTY, SAVED_DIRTY, PAT (soft-dirty,
    // devmap and uffd-wp are 0 on 2-level).
    modify_keep: bits(12, 31) | 1 << 4 | 1 << 3 | 1 << 9 | AD | 1 << 10 | 1 << 7,
    // N = the 23-bit arch offset field (bits 9–31).
    default_limits: Limits {
        swap_type_bits: 5,
        swap_offset_bits: 23,
        file_pgoff_bits: None,
    },
    geometries: &[TWO_LEVEL],
    source: "Linux 6.6.87 arch/x86/include/asm/pgtable-2level.h, pgtable_types.h, pgtable.h",
    kernels: KERNELS_6_6,
};

/// The releases with the i386-pae/6.6 format: 6.3 to the newest checked (7.0).
///
/// * **First, 6.3**: `_PAGE_SWP_EXCLUSIVE = _PAGE_PSE` (`pgtable-3level.h`), as for 2-level
///   (6.3.8 has it, 6.2.12 does not). The inverted swap entry (L1TF) is older.
/// * **Last**: `pgtable-3level.h`, `pgtable-invert.h` and the `pgtable_types.h` bits are the
///   same in 7.0.
pub const KERNELS_PAE_6_6: Kernels = Kernels {
    range: KernelRange::since(KernelVersion::new(6, 3)),
    notes: &[
        KernelNote {
            kernels: KernelRange::new(KernelVersion::new(6, 3), KernelVersion::new(6, 5)),
            text: "no _PAGE_SAVED_DIRTY: bit 10 is unused, and pte_wrprotect() and pte_modify() \
                   leave _PAGE_DIRTY where it is (this layout moves it to bit 10, as 6.6 does; \
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

/// `i386-pae/6.6`.
#[doc = include_str!("../diagrams/i386-pae-6.6.txt")]
pub const LAYOUT_PAE_6_6: Layout = Layout {
    name: "i386-pae/6.6",
    family: Family::I386Pae,
    word_bits: 64,
    valid_bit: 0,
    // The KNL erratum mask applies to PAE: `pte_none()` ignores A/D.
    none_ignore: AD,
    protnone: ProtNoneRule::Marker { bit: 8 },
    // `PTE_PFN_MASK` covers bits 12–51 (`__PHYSICAL_MASK_SHIFT 52`) and is what L1TF inverts;
    // `pte_pfn()` returns an unsigned long: bits 12–43.
    pfn: PfnFormat {
        field: Field {
            shift: 12,
            width: 40,
        },
        high: None,
        value_bits: 32,
        protnone_inverted: true,
    },
    page_present: 1,
    page_none: 0x20 | 0x100,
    // `PAGE_READONLY = __pg(__PP|0|_USR|___A|__NX|…)`, `PAGE_SHARED` adds `__RW`.
    page_readonly: 1 | 1 << 2 | 0x20 | 1 << 63,
    page_shared: 1 | 1 << 1 | 1 << 2 | 0x20 | 1 << 63,
    // `__swp_pteval_entry(type, offset) = (~offset << SWP_OFFSET_SHIFT >> SWP_TYPE_BITS) |
    // (type << (64 - SWP_TYPE_BITS))`; `_PAGE_SWP_EXCLUSIVE = _PAGE_PSE`.
    swap: SwapFormat {
        type_field: Field {
            shift: 59,
            width: 5,
        },
        offset: ValueField::inverted(9, 50),
        exclusive: Some(7),
        soft_dirty: None,
        uffd_wp: None,
    },
    file: None,
    flags: pte_core::flag_table!(FlagsPae6_6),
    hw_bits: bits(0, 8) | bits(12, 63),
    hw_set: AD,
    hw_ignored: bits(9, 11),
    reserved: bits(52, 62),
    // docs/DESIGN.md#software-bits: 9 SPECIAL, 10 SAVED_DIRTY, 57 DEVMAP.
    sw_bits: 1 << 9 | 1 << 10 | 1 << 57,
    hw_ad: HwAccessDirty::SetsAccessedDirty,
    helpers: helpers(Some(10)),
    modify_keep: bits(12, 51) | 1 << 4 | 1 << 3 | 1 << 9 | AD | 1 << 10 | 1 << 57 | 1 << 7,
    // N = the generic 32-bit swp_entry_t offset: SWP_TYPE_SHIFT = (32 - 1) - 5 = 26.
    default_limits: Limits {
        swap_type_bits: 5,
        swap_offset_bits: 26,
        file_pgoff_bits: None,
    },
    geometries: &[PAE],
    source: "Linux 6.6.87 arch/x86/include/asm/pgtable-3level.h, pgtable-3level_types.h, pgtable-invert.h",
    kernels: KERNELS_PAE_6_6,
};

pte_core::layout_type!(
    /// The i386/2.6.8 (2-level) layout type. It has no lock bit: see the crate docs.
    pub I386_2_6_8 { word: u32, flags: Flags2_6_8, layout: LAYOUT_2_6_8 }
);

pte_core::layout_type!(
    /// The i386-pae/2.6.8 layout type.
    pub I386Pae2_6_8 { word: Word64, flags: FlagsPae2_6_8, layout: LAYOUT_PAE_2_6_8 }
);

pte_core::layout_type!(
    /// The i386/6.6 (2-level) layout type.
    pub I386_6_6 { word: u32, flags: Flags6_6, layout: LAYOUT_6_6 }
);

pte_core::layout_type!(
    /// The i386-pae/6.6 layout type.
    pub I386Pae6_6 { word: Word64, flags: FlagsPae6_6, layout: LAYOUT_PAE_6_6 }
);

pte_core::narrowed_arch!(
    /// i386/2.6.8 with swap offsets below 2^23 (half of the 24-bit field). The price: swap
    /// areas of at most 2^23 pages (32 GiB per swap file). The gain: bit 31 becomes a
    /// none-only lock bit, since `0x80000000` would be offset 2^23.
    pub I386_2_6_8_Swap23 = I386_2_6_8, swap_offset_bits = 23
);

// i386/2.6.8 narrowed: bit 31 is the only bit the narrowing frees.
pte_core::lock_bit!(I386_2_6_8_Swap23, bit = 31, discipline = NoneOnly);

// i386-pae/2.6.8: bit 62, none-only. Bits 32–63 are all provable (a locked-empty word with a
// non-zero high word is not an exact swap entry); none is any-state (PFN, reserved, NX, and
// the file pgoff in the high word). Bit 62 is reserved in present entries, so a lock bit that
// leaked into one would fault (#PF with RSVD) instead of mapping silently.
pte_core::lock_bit!(I386Pae2_6_8, bit = 62, discipline = NoneOnly);

// i386/6.6: bit 6, none-only — the only provable bit: 0x40 decodes as swap (0, 0) whose
// exact encoding is 0. It is the hardware dirty bit of present entries, which is why no
// any-state bit exists.
pte_core::lock_bit!(I386_6_6, bit = 6, discipline = NoneOnly);

// i386-pae/6.6: bit 62, none-only (a swap type bit: 1 << 62 has offset 2^50 - 1, beyond
// 2^26), reserved in present PAE entries as for 2.6.8.
pte_core::lock_bit!(I386Pae6_6, bit = 62, discipline = NoneOnly);

static_assertions::assert_eq_size!(pte_core::Pte<I386_2_6_8>, u32);
static_assertions::assert_eq_size!(pte_core::Pte<I386Pae6_6>, u64);
static_assertions::assert_not_impl_any!(I386_2_6_8: pte_core::LockBit);
