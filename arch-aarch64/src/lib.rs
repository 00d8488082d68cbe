//! # arch-aarch64
//!
//! The arm64 Linux PTE layouts (AArch64 stage-1 page descriptors), as data for `pte-core`:
//!
//! * [`Aarch64_3_18`] — Linux 3.18 (`arch/arm64/include/asm/pgtable.h`, `pgtable-hwdef.h`):
//!   nonlinear file PTEs (`PTE_FILE` = bit 2), a software `PTE_WRITE` (bit 57),
//!   `PTE_PROT_NONE` = bit 58, swap type in bits 3–8 and offset in bits 9–57.
//! * [`Aarch64_6_6`] — Linux 6.6 (`pgtable-hwdef.h`, `pgtable-prot.h`, `pgtable.h`):
//!   `PTE_WRITE` = `PTE_DBM` (bit 51), hardware dirty tracking through `PTE_RDONLY`,
//!   `PTE_PROT_NONE` = bit 58, `PTE_DEVMAP` = bit 57, swap exclusive bit 2, type 3–7,
//!   offset 8–57.
//! * [`Aarch64_6_18`] — Linux 6.18: no `PTE_PROT_NONE`; protnone is a *present-invalid*
//!   entry (`PTE_PRESENT_INVALID` = `PTE_NG`, bit 11), `PTE_UFFD_WP` = bit 58, POIndex in
//!   bits 60–62, PFN in bits 12–49, swap exclusive bit 2, uffd-wp bit 3, type 6–10, offset
//!   12–61.
//! * [`Aarch64Lpa2_6_18`] — Linux 6.18 built for 52-bit physical addresses with 4K or 16K
//!   pages (`CONFIG_ARM64_PA_BITS_52`, so `CONFIG_ARM64_LPA2`) on a CPU with FEAT_LPA2, which
//!   sets TCR_EL1.DS: entry bits 8–9, the shareability field elsewhere, hold `PA[51:50]`, so
//!   the PFN is bits 12–49 with bits 8–9 on top (40 bits); no protection sets `PTE_SHARED`;
//!   swap offsets up to 2^42.
//!
//! ## Why LPA2 is a layout of its own, not a geometry of aarch64/6.18
//!
//! A [`Geometry`] is a page size and a table shape; everything a word *means* is the
//! [`Layout`]'s, and a layout has one PFN format, one set of protections, one set of hardware
//! bits and one set of limits. With TCR_EL1.DS set all four change: `pte_pfn()` reads bits
//! 8–9 as `PA[51:50]` (`__pte_to_phys()` under `CONFIG_ARM64_PA_BITS_52`), the protections
//! lose `PTE_SHARED` (`adjust_protection_map()`), bits 8–9 stop being an attribute and become
//! output address, and `MAX_PHYSMEM_BITS` grows from 48 to 52, which widens the swap-offset
//! limit from 38 to 42 bits. A geometry of `aarch64/6.18` could not express any of that: the
//! same word would have to decode to two PFNs. It is the same kernel *binary* — Linux picks
//! at boot (`lpa2_is_enabled()` reads TCR_EL1.DS) — but two layouts, in the way `i386/6.6`
//! and `i386-pae/6.6` are one kernel source in two paging modes; the name follows that
//! precedent. A PA_BITS_52 kernel on a CPU without LPA2 runs with DS clear and 48-bit
//! addresses, and its entries are then `aarch64/6.18`'s (`PTE_MAYBE_SHARED` is `PTE_SHARED`
//! and `__pte_to_phys()` clears bits 8–9 before reading the address).
//!
//! The difference matters from PFN 2^38 (PA 2^50, 1 PiB) up: below it bits 8–9 are 0 in an
//! LPA2 entry and both layouts read the same PFN; from it on `aarch64/6.18` drops the top
//! bits and its encoder refuses the PFN.
//!
//! ## Hardware access flag and dirty state
//!
//! With FEAT_HAFDBS and `CONFIG_ARM64_HW_AFDBM` (6.6, 6.18), the MMU updates a valid leaf
//! entry itself: an access to an entry with `PTE_AF` clear sets `PTE_AF` instead of raising
//! an access-flag fault, and a write to an entry with `PTE_RDONLY` (`AP[2]`) set *and*
//! `PTE_DBM` set clears `PTE_RDONLY` instead of raising a permission fault. Linux makes
//! `PTE_WRITE` the same bit as `PTE_DBM`, so a writable clean page is `WRITE | RDONLY`, and
//! `pte_hw_dirty() = pte_write() && !pte_rdonly()`; `pte_dirty()` is that or the software
//! `PTE_DIRTY` (bit 55). `pte_wrprotect()` and `pte_modify()` copy the hardware dirty state
//! into `PTE_DIRTY` before they set `PTE_RDONLY`. Without the feature (and always in 3.18,
//! whose tree has no `PTE_DBM`), the same updates happen in software on access-flag and
//! permission faults; 3.18's `set_pte_at()` derives `PTE_RDONLY` from the software
//! `PTE_DIRTY` and `PTE_WRITE`.
//!
//! ## Present-invalid (6.18)
//!
//! An entry with `PTE_VALID` (bit 0) clear is ignored by the MMU, whatever its other bits.
//! Linux 6.18 uses this for *present-invalid* entries: `PTE_PRESENT_INVALID` (= `PTE_NG`,
//! bit 11) set with `PTE_VALID` clear means "the fields are laid out as in a valid entry,
//! but any hardware access faults"; `pte_present()` is true for them. `pte_protnone()` is
//! present-invalid with `!pte_user()` and `!pte_user_exec()` (USER clear, UXN set), which is
//! what `PAGE_NONE` builds; `pte_mkinvalid()` produces the other present-invalid entries.
//! Swap entries keep bit 11 clear ("`PTE_PRESENT_INVALID` (must be zero)").
//!
//! ## Granules
//!
//! Each layout lists its 4K / 16K / 64K geometries (the first, 4K pages with 4 levels, is
//! the default; for `aarch64-lpa2/6.18`, 4K pages with 5 levels and 52-bit VAs). The PFN
//! field is described for the 4K granule, as `pte_pfn()` reads it there; with 16K or 64K
//! pages the low bits of the address field are zero in the entries Linux builds.
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

/// 4K pages, 4 levels, 48-bit VA (`CONFIG_ARM64_4K_PAGES`, `CONFIG_ARM64_VA_BITS_48`).
pub const G4K_4_LEVEL: Geometry = Geometry {
    name: "4K/4-level",
    page_shift: 12,
    level_bits: &[9, 9, 9, 9],
};
/// 4K pages, 3 levels, 39-bit VA (`CONFIG_ARM64_VA_BITS_39`).
pub const G4K_3_LEVEL: Geometry = Geometry {
    name: "4K/3-level",
    page_shift: 12,
    level_bits: &[9, 9, 9],
};
/// 16K pages, 3 levels, 47-bit VA (`CONFIG_ARM64_16K_PAGES`, `CONFIG_ARM64_VA_BITS_47`;
/// 6.x only).
pub const G16K_3_LEVEL: Geometry = Geometry {
    name: "16K/3-level",
    page_shift: 14,
    level_bits: &[11, 11, 11],
};
/// 16K pages, 4 levels, 48-bit VA: the root table has 2 entries (`CONFIG_ARM64_VA_BITS_48`;
/// 6.x only).
pub const G16K_4_LEVEL: Geometry = Geometry {
    name: "16K/4-level",
    page_shift: 14,
    level_bits: &[1, 11, 11, 11],
};
/// 4K pages, 5 levels, 52-bit VA: the root table has 16 entries (`CONFIG_ARM64_4K_PAGES`,
/// `CONFIG_ARM64_VA_BITS_52`: `PGTABLE_LEVELS` 5, Linux 6.18.35 `arch/arm64/Kconfig` line
/// 404). The geometry of [`Aarch64Lpa2_6_18`].
pub const G4K_5_LEVEL: Geometry = Geometry {
    name: "4K/5-level",
    page_shift: 12,
    level_bits: &[4, 9, 9, 9, 9],
};
/// 16K pages, 4 levels, 52-bit VA: the root table has 32 entries (`CONFIG_ARM64_16K_PAGES`,
/// `CONFIG_ARM64_VA_BITS_52`: `PGTABLE_LEVELS` 4, Linux 6.18.35 `arch/arm64/Kconfig` line
/// 402). The 16K geometry of [`Aarch64Lpa2_6_18`].
pub const G16K_4_LEVEL_52: Geometry = Geometry {
    name: "16K/4-level/52-bit",
    page_shift: 14,
    level_bits: &[5, 11, 11, 11],
};
/// 64K pages, 2 levels, 42-bit VA (`CONFIG_ARM64_64K_PAGES`, `CONFIG_ARM64_VA_BITS_42`).
pub const G64K_2_LEVEL: Geometry = Geometry {
    name: "64K/2-level",
    page_shift: 16,
    level_bits: &[13, 13],
};
/// 64K pages, 3 levels, 48-bit VA: the root table has 64 entries (`CONFIG_ARM64_VA_BITS_48`).
pub const G64K_3_LEVEL: Geometry = Geometry {
    name: "64K/3-level",
    page_shift: 16,
    level_bits: &[6, 13, 13],
};

/// The output address for 4K pages: bits 12–47 (3.18 `PHYS_MASK`, `PHYS_MASK_SHIFT` 48;
/// 6.6 `PTE_ADDR_LOW = ((1 << (48 - PAGE_SHIFT)) - 1) << PAGE_SHIFT`).
const PFN_48: Field = Field {
    shift: 12,
    width: 36,
};

bitflags::bitflags! {
    /// Flags of a present aarch64/3.18 PTE (`arch/arm64/include/asm/pgtable-hwdef.h`,
    /// `pgtable.h`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct Flags3_18: u64 {
        /// `PTE_VALID` (bit 0).
        const VALID = 1 << 0;
        /// `PTE_TABLE_BIT` (bit 1): with `PTE_VALID`, `PTE_TYPE_PAGE` (3) marks a page
        /// descriptor.
        const TABLE = 1 << 1;
        /// `PTE_ATTRINDX_MASK` (bits 2–4): `PTE_ATTRINDX(t) = t << 2`, the MAIR index.
        /// Bit 2 is `PTE_FILE` when not present.
        const ATTRINDX = 7 << 2;
        /// NS (bit 5), the hardware non-secure bit; Linux defines no PTE macro for it.
        const NS = 1 << 5;
        /// `PTE_USER` (bit 6, `AP[1]`).
        const USER = 1 << 6;
        /// `PTE_RDONLY` (bit 7, `AP[2]`), derived by `set_pte_at()` from `PTE_DIRTY` and
        /// `PTE_WRITE`.
        const RDONLY = 1 << 7;
        /// `PTE_SHARED` (bits 8–9, `SH[1:0]` = inner shareable).
        const SHARED = 3 << 8;
        /// `PTE_AF` (bit 10), the access flag (managed in software in 3.18).
        const AF = 1 << 10;
        /// `PTE_NG` (bit 11), not-global.
        const NG = 1 << 11;
        /// Contiguous hint (bit 52): a hardware bit; 3.18 has no `PTE_CONT` and never sets it.
        const CONT = 1 << 52;
        /// `PTE_PXN` (bit 53), privileged execute-never.
        const PXN = 1 << 53;
        /// `PTE_UXN` (bit 54), unprivileged execute-never.
        const UXN = 1 << 54;
        /// `PTE_DIRTY` (bit 55), software dirty.
        const DIRTY = 1 << 55;
        /// `PTE_SPECIAL` (bit 56), software.
        const SPECIAL = 1 << 56;
        /// `PTE_WRITE` (bit 57), software write permission.
        const WRITE = 1 << 57;
    }
}

/// The releases with the aarch64/3.18 format: 3.13 to 3.19 (the copies of each release are
/// listed in docs/DESIGN.md, "Which layout for which kernel").
///
/// * **First, 3.13**: 3.13.0's `arch/arm64/include/asm/pgtable.h` has `PTE_FILE` bit 2,
///   `PTE_PROT_NONE` bit 58, `__SWP_TYPE_SHIFT 3`, `__SWP_TYPE_BITS 6`, `__SWP_OFFSET_BITS
///   49`, `pte_to_pgoff(x) = pte_val(x) >> 3`, `PTE_FILE_MAX_BITS 55`, as 3.18. 3.11 had
///   `PTE_PROT_NONE` bit 2, `PTE_FILE` bit 3 and the swap type from bit 4 (as 3.8.13 and
///   3.10.99); 3.12 was not read, so it is left out.
/// * **Last, 3.19**: 3.14.1, 3.15.5, 3.16, 3.18.30 and 3.19.8 have the same entry. 4.0 drops
///   `PTE_FILE` (Kirill Shutemov's removal of nonlinear mappings, 4.0; seen in 4.0.5's x86
///   and ia64 headers, arm64's not read).
pub const KERNELS_3_18: Kernels = Kernels {
    range: KernelRange::new(KernelVersion::new(3, 13), KernelVersion::new(3, 19)),
    notes: &[
        KernelNote {
            kernels: KernelRange::new(KernelVersion::new(3, 13), KernelVersion::new(3, 13)),
            text: "no PTE_WRITE: the write permission is !PTE_RDONLY (pte_write(), \
                   pte_mkwrite(), pte_wrprotect()) and bit 57 is unused, so this layout's \
                   write helpers do not apply (PTE_WRITE is in 3.14.1)",
        },
        KernelNote {
            kernels: KernelRange::new(KernelVersion::new(3, 13), KernelVersion::new(3, 14)),
            text: "PHYS_MASK_SHIFT is 40: pte_pfn() reads bits 12-39, and bits 40-47 are zero \
                   in every present entry these releases write (48 from 3.15.5 on)",
        },
    ],
};

/// `aarch64/3.18`.
#[doc = include_str!("../diagrams/aarch64-3.18.txt")]
pub const LAYOUT_3_18: Layout = Layout {
    name: "aarch64/3.18",
    family: Family::Aarch64,
    word_bits: 64,
    // `PTE_VALID (1 << 0)`.
    valid_bit: 0,
    // `pte_none(pte) = !pte_val(pte)`.
    none_ignore: 0,
    // `pte_present(pte) = !!(pte_val(pte) & (PTE_VALID | PTE_PROT_NONE))`,
    // `PTE_PROT_NONE (1 << 58)` "only when !PTE_VALID".
    protnone: ProtNoneRule::Marker { bit: 58 },
    // `pte_pfn(pte) = (pte_val(pte) & PHYS_MASK) >> PAGE_SHIFT`, `PHYS_MASK_SHIFT (48)`.
    pfn: PfnFormat {
        field: PFN_48,
        high: None,
        value_bits: 36,
        protnone_inverted: false,
    },
    // `PTE_TYPE_PAGE (3 << 0)`.
    page_present: 3,
    // `PAGE_NONE = ((_PAGE_DEFAULT) & ~PTE_TYPE_MASK) | PTE_PROT_NONE | PTE_PXN | PTE_UXN`,
    // `_PAGE_DEFAULT = PROT_DEFAULT | PTE_ATTRINDX(MT_NORMAL)`, SMP
    // `PROT_DEFAULT = PTE_TYPE_PAGE | PTE_AF | PTE_SHARED`. `MT_NORMAL` 4 is taken from a
    // 3.x-era `asm/memory.h` (DEVICE_nGnRnE 0 … NORMAL 4); the 3.18.140 file itself was not
    // read. = 0x0460_0000_0000_0710.
    page_none: (4 << 2) | (1 << 10) | (3 << 8) | (1 << 58) | (1 << 53) | (1 << 54),
    // `_PAGE_DEFAULT = PTE_TYPE_PAGE | PTE_AF | PTE_SHARED | PTE_ATTRINDX(MT_NORMAL = 4)`;
    // `PAGE_READONLY = _PAGE_DEFAULT | PTE_USER | PTE_NG | PTE_PXN | PTE_UXN`, `PAGE_SHARED`
    // adds `PTE_WRITE` (bit 57).
    page_readonly: 3 | 4 << 2 | 1 << 10 | 3 << 8 | 1 << 6 | 1 << 11 | 1 << 53 | 1 << 54,
    page_shared: 3 | 4 << 2 | 1 << 10 | 3 << 8 | 1 << 6 | 1 << 11 | 1 << 53 | 1 << 54 | 1 << 57,
    // "bits 3-8: swap type, bits 9-57: swap offset": `__SWP_TYPE_SHIFT 3`,
    // `__SWP_TYPE_BITS 6`, `__SWP_OFFSET_SHIFT (__SWP_TYPE_BITS + __SWP_TYPE_SHIFT)` = 9,
    // `__SWP_OFFSET_BITS 49`; `__swp_type`/`__swp_offset` mask both.
    swap: SwapFormat {
        type_field: Field { shift: 3, width: 6 },
        offset: ValueField::plain(9, 49),
        exclusive: None,
        soft_dirty: None,
        uffd_wp: None,
    },
    // `PTE_FILE (1 << 2)`, `pte_to_pgoff(x) = pte_val(x) >> 3` (unmasked: a word with bits
    // 59–63 set decodes as a pgoff >= 2^55 and is refused by the limit M).
    file: Some(FileFormat {
        marker: 2,
        pgoff: ValueField::plain(3, 61),
    }),
    flags: pte_core::flag_table!(Flags3_18),
    // docs/DESIGN.md#hardware-bits: hardware bits 0–54 (attributes, output address, RES0 48–51, CONT, PXN, UXN).
    hw_bits: bits(0, 54),
    // No AF/DBM hardware update in 3.18: nothing in the PTE is written by the MMU.
    hw_set: 0,
    // Arm ARM: 55–58 "reserved for software use", 59–63 ignored in ARMv8.0 (59–62 become
    // PBHA only with FEAT_HPDS2 and TCR.HWU, which Linux never enables).
    hw_ignored: bits(55, 63),
    // Output address bits 51:48 are RES0 with a 48-bit physical address (`PHYS_MASK_SHIFT 48`).
    reserved: bits(48, 51),
    // `PTE_FILE` 2 (not-present only), `PTE_DIRTY` 55, `PTE_SPECIAL` 56, `PTE_WRITE` 57,
    // `PTE_PROT_NONE` 58.
    sw_bits: 1 << 2 | bits(55, 58),
    hw_ad: HwAccessDirty::SoftwareOnly,
    // `pte_mkyoung` sets `PTE_AF`, `pte_mkdirty` `PTE_DIRTY`, `pte_mkwrite` `PTE_WRITE`;
    // no `pte_hw_dirty()` in 3.18.
    helpers: HelperModel::Aarch64 {
        accessed: 10,
        dirty: 55,
        write: 57,
        rdonly_hw_dirty: None,
        // Not read without `rdonly_hw_dirty`: 3.18's `pte_mkwrite()` only sets `PTE_WRITE`.
        mkwrite_keeps_clean: false,
    },
    // `pte_modify()`: `mask = PTE_USER | PTE_PXN | PTE_UXN | PTE_RDONLY | PTE_PROT_NONE |
    // PTE_VALID | PTE_WRITE`; every other bit is kept.
    modify_keep: !(1 << 6 | 1 << 53 | 1 << 54 | 1 << 7 | 1 << 58 | 1 << 0 | 1 << 57),
    // MAX_SWAPFILES_SHIFT 5; N = min(__SWP_OFFSET_BITS 49, SWP_TYPE_SHIFT 57, 32-bit
    // `last_page`) = 32; M = PTE_FILE_MAX_BITS 55.
    default_limits: Limits {
        swap_type_bits: 5,
        swap_offset_bits: 32,
        file_pgoff_bits: Some(55),
    },
    // `CONFIG_ARM64_PGTABLE_LEVELS` 2 (64K/42-bit), 3 (4K/39-bit, 64K/48-bit), 4 (4K/48-bit).
    geometries: &[G4K_4_LEVEL, G4K_3_LEVEL, G64K_2_LEVEL, G64K_3_LEVEL],
    source: "Linux 3.18.140 arch/arm64/include/asm/pgtable.h, pgtable-hwdef.h, memory.h; include/linux/swap.h",
    kernels: KERNELS_3_18,
};

bitflags::bitflags! {
    /// Flags of a present aarch64/6.6 PTE (`arch/arm64/include/asm/pgtable-hwdef.h`,
    /// `pgtable-prot.h`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct Flags6_6: u64 {
        /// `PTE_VALID` (bit 0).
        const VALID = 1 << 0;
        /// `PTE_TABLE_BIT` (bit 1): with `PTE_VALID`, `PTE_TYPE_PAGE` (3) marks a page
        /// descriptor.
        const TABLE = 1 << 1;
        /// `PTE_ATTRINDX_MASK` (bits 2–4): `PTE_ATTRINDX(t) = t << 2`, the MAIR index.
        const ATTRINDX = 7 << 2;
        /// NS (bit 5), the hardware non-secure bit; Linux defines no PTE macro for it.
        const NS = 1 << 5;
        /// `PTE_USER` (bit 6, `AP[1]`).
        const USER = 1 << 6;
        /// `PTE_RDONLY` (bit 7, `AP[2]`); cleared by the MMU on a write when `PTE_DBM` is set.
        const RDONLY = 1 << 7;
        /// `PTE_SHARED` (bits 8–9, `SH[1:0]` = inner shareable).
        const SHARED = 3 << 8;
        /// `PTE_AF` (bit 10), the access flag; set by the MMU with FEAT_HAFDBS.
        const AF = 1 << 10;
        /// `PTE_NG` (bit 11), not-global.
        const NG = 1 << 11;
        /// `PTE_GP` (bit 50), BTI guarded page.
        const GP = 1 << 50;
        /// `PTE_WRITE = PTE_DBM` (bit 51): software write permission and the hardware
        /// dirty-bit modifier.
        const WRITE = 1 << 51;
        /// `PTE_CONT` (bit 52), contiguous hint.
        const CONT = 1 << 52;
        /// `PTE_PXN` (bit 53), privileged execute-never.
        const PXN = 1 << 53;
        /// `PTE_UXN` (bit 54), unprivileged execute-never.
        const UXN = 1 << 54;
        /// `PTE_DIRTY` (bit 55), software dirty.
        const DIRTY = 1 << 55;
        /// `PTE_SPECIAL` (bit 56), software.
        const SPECIAL = 1 << 56;
        /// `PTE_DEVMAP` (bit 57), software.
        const DEVMAP = 1 << 57;
    }
}

/// The releases with the aarch64/6.6 format: 5.19 to 6.9.
///
/// * **First, 5.19**: `PTE_SWP_EXCLUSIVE` bit 2 with `__SWP_TYPE_SHIFT 3`, `__SWP_TYPE_BITS
///   5`, `__SWP_OFFSET_BITS 50` ("arm64/pgtable: support __HAVE_ARCH_PTE_SWP_EXCLUSIVE", David
///   Hildenbrand, 5.19): 5.19.0 has them, 5.18.12 has `__SWP_TYPE_SHIFT 2` and 6 type bits.
/// * **Last, 6.9**: 6.9.0 still has `PTE_PROT_NONE` bit 58 and the 5.19 swap entry; 6.10.0
///   has present-invalid entries (`PTE_PRESENT_INVALID = PTE_NG`), `PTE_UFFD_WP` bit 58 and
///   the swap type in bits 6–10, offset from bit 12 ("arm64/mm: Remove PTE_PROT_NONE bit",
///   "Move PTE_PRESENT_INVALID to overlay PTE_NG", "Add uffd write-protect support", Ryan
///   Roberts, 6.10): [`KERNELS_6_18`].
///
/// 6.9's `pte_pfn()` reads two more bits, always zero with 48-bit physical addresses, and
/// 5.19–6.5 lack a `pte_modify()` fix: see the notes.
pub const KERNELS_6_6: Kernels = Kernels {
    range: KernelRange::new(KernelVersion::new(5, 19), KernelVersion::new(6, 9)),
    notes: &[
        KernelNote {
            kernels: KernelRange::new(KernelVersion::new(5, 19), KernelVersion::new(6, 5)),
            text: "pte_modify() does not make a software-dirty entry hardware-dirty again after \
                   taking PTE_RDONLY from the new protection (this layout does, as 6.6: 6.5.0 \
                   lacks the fix, 6.6.9 has it; stable updates of earlier releases got it too)",
        },
        KernelNote {
            kernels: KernelRange::new(KernelVersion::new(6, 9), KernelVersion::new(6, 9)),
            text: "PTE_ADDR_LOW spans bits 12-49 (widened for LPA2): pte_pfn() also reads bits \
                   48-49, which are zero in every entry a kernel with 48-bit physical \
                   addresses writes",
        },
    ],
};

/// `aarch64/6.6`.
#[doc = include_str!("../diagrams/aarch64-6.6.txt")]
pub const LAYOUT_6_6: Layout = Layout {
    name: "aarch64/6.6",
    family: Family::Aarch64,
    word_bits: 64,
    // `PTE_VALID (1 << 0)`.
    valid_bit: 0,
    // `pte_none(pte) = !pte_val(pte)`.
    none_ignore: 0,
    // `pte_protnone(pte) = (pte_val(pte) & (PTE_VALID | PTE_PROT_NONE)) == PTE_PROT_NONE`,
    // `PTE_PROT_NONE (1 << 58)`.
    protnone: ProtNoneRule::Marker { bit: 58 },
    // `pte_pfn(pte) = __pte_to_phys(pte) >> PAGE_SHIFT`, `__pte_to_phys = pte_val & PTE_ADDR_MASK`,
    // `PTE_ADDR_LOW = ((1 << (48 - PAGE_SHIFT)) - 1) << PAGE_SHIFT`: bits 12–47.
    pfn: PfnFormat {
        field: PFN_48,
        high: None,
        value_bits: 36,
        protnone_inverted: false,
    },
    // `PTE_TYPE_PAGE (3 << 0)`.
    page_present: 3,
    // `PAGE_NONE = ((_PAGE_DEFAULT) & ~PTE_VALID) | PTE_PROT_NONE | PTE_RDONLY | PTE_NG |
    // PTE_PXN | PTE_UXN`, `_PAGE_DEFAULT = _PROT_DEFAULT | PTE_ATTRINDX(MT_NORMAL)`,
    // `_PROT_DEFAULT = PTE_TYPE_PAGE | PTE_AF | PTE_SHARED`, `MT_NORMAL 0`.
    // = 0x0460_0000_0000_0f82.
    page_none: (1 << 1)
        | (1 << 10)
        | (3 << 8)
        | (1 << 58)
        | (1 << 7)
        | (1 << 11)
        | (1 << 53)
        | (1 << 54),
    // `_PAGE_READONLY = _PAGE_DEFAULT | PTE_USER | PTE_RDONLY | PTE_NG | PTE_PXN | PTE_UXN`;
    // `_PAGE_SHARED` adds `PTE_WRITE` (= DBM, bit 51): writable but clean, "hence
    // PTE_RDONLY|PTE_WRITE".
    page_readonly: 3 | 1 << 10 | 3 << 8 | 1 << 6 | 1 << 7 | 1 << 11 | 1 << 53 | 1 << 54,
    page_shared: 3 | 1 << 10 | 3 << 8 | 1 << 6 | 1 << 7 | 1 << 11 | 1 << 53 | 1 << 54 | 1 << 51,
    // "bit 2: remember PG_anon_exclusive, bits 3-7: swap type, bits 8-57: swap offset":
    // `__SWP_TYPE_SHIFT 3`, `__SWP_TYPE_BITS 5`, `__SWP_OFFSET_SHIFT` 8,
    // `__SWP_OFFSET_BITS 50`, `PTE_SWP_EXCLUSIVE (1 << 2)`.
    swap: SwapFormat {
        type_field: Field { shift: 3, width: 5 },
        offset: ValueField::plain(8, 50),
        exclusive: Some(2),
        soft_dirty: None,
        uffd_wp: None,
    },
    file: None,
    flags: pte_core::flag_table!(Flags6_6),
    // docs/DESIGN.md#hardware-bits: hardware bits 0–54 (attributes, output address, RES0 48–49, GP, DBM, CONT,
    // PXN, UXN).
    hw_bits: bits(0, 54),
    // FEAT_HAFDBS: the MMU sets `PTE_AF` and, on a write with `PTE_DBM`, clears `PTE_RDONLY`.
    hw_set: 1 << 10 | 1 << 7,
    // Arm ARM: 55–58 "reserved for software use", 59–62 PBHA only with FEAT_HPDS2 and
    // TCR.HWU (never enabled by Linux 6.6), 63 ignored.
    hw_ignored: bits(55, 63),
    // `PTE_ADDR_LOW` stops at bit 47 (52-bit PAs use bits 12–15 with 64K pages): 48–49 RES0.
    reserved: bits(48, 49),
    // `PTE_WRITE` 51 (= `PTE_DBM`), `PTE_DIRTY` 55, `PTE_SPECIAL` 56, `PTE_DEVMAP` 57,
    // `PTE_PROT_NONE` 58. (`PMD_PRESENT_INVALID` 59 is used in PMDs only.)
    sw_bits: 1 << 51 | bits(55, 58),
    hw_ad: HwAccessDirty::AfDbmIfHafdbs,
    // `pte_hw_dirty(pte) = pte_write(pte) && !pte_rdonly(pte)`; `pte_mkdirty`, `pte_mkclean`,
    // `pte_mkwrite_novma`, `pte_wrprotect` keep `PTE_RDONLY` in step. `pte_mkwrite_novma()`
    // sets `PTE_WRITE` and clears `PTE_RDONLY` always (6.6.87 `pgtable.h` lines 184–189; the
    // same in 5.19.0, 6.3.8 and 6.9.0, named `pte_mkwrite()` before 6.6), so it makes a clean
    // entry hardware-dirty.
    helpers: HelperModel::Aarch64 {
        accessed: 10,
        dirty: 55,
        write: 51,
        rdonly_hw_dirty: Some(7),
        mkwrite_keeps_clean: false,
    },
    // `pte_modify()`: `mask = PTE_USER | PTE_PXN | PTE_UXN | PTE_RDONLY | PTE_PROT_NONE |
    // PTE_VALID | PTE_WRITE | PTE_GP | PTE_ATTRINDX_MASK`; every other bit is kept.
    modify_keep: !(1 << 6
        | 1 << 53
        | 1 << 54
        | 1 << 7
        | 1 << 58
        | 1 << 0
        | 1 << 51
        | 1 << 50
        | 7 << 2),
    // MAX_SWAPFILES_SHIFT 5; N = min(__SWP_OFFSET_BITS 50, SWP_TYPE_SHIFT 58,
    // max(32, MAX_PHYSMEM_BITS 48 - PAGE_SHIFT 12 + 2)) = 38.
    default_limits: Limits {
        swap_type_bits: 5,
        swap_offset_bits: 38,
        file_pgoff_bits: None,
    },
    geometries: &[
        G4K_4_LEVEL,
        G4K_3_LEVEL,
        G16K_3_LEVEL,
        G16K_4_LEVEL,
        G64K_2_LEVEL,
        G64K_3_LEVEL,
    ],
    source: "Linux 6.6.87 arch/arm64/include/asm/pgtable-hwdef.h, pgtable-prot.h, pgtable.h, memory.h; include/linux/swap.h, swapops.h",
    kernels: KERNELS_6_6,
};

bitflags::bitflags! {
    /// Flags of a present aarch64/6.18 PTE (`arch/arm64/include/asm/pgtable-hwdef.h`,
    /// `pgtable-prot.h`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct Flags6_18: u64 {
        /// `PTE_VALID` (bit 0).
        const VALID = 1 << 0;
        /// `PTE_TABLE_BIT` (bit 1): with `PTE_VALID`, `PTE_TYPE_PAGE` (3) marks a page
        /// descriptor.
        const TABLE = 1 << 1;
        /// `PTE_ATTRINDX_MASK` (bits 2–4): `PTE_ATTRINDX(t) = t << 2`, the MAIR index.
        const ATTRINDX = 7 << 2;
        /// NS (bit 5), the hardware non-secure bit; Linux defines no PTE macro for it.
        const NS = 1 << 5;
        /// `PTE_USER` (bit 6, `AP[1]`).
        const USER = 1 << 6;
        /// `PTE_RDONLY` (bit 7, `AP[2]`); cleared by the MMU on a write when `PTE_DBM` is set.
        const RDONLY = 1 << 7;
        /// `PTE_SHARED` (bits 8–9, `SH[1:0]` = inner shareable; with LPA2 on 4K/16K pages
        /// they hold `PA[51:50]` and `PTE_MAYBE_SHARED` is 0).
        const SHARED = 3 << 8;
        /// `PTE_AF` (bit 10), the access flag; set by the MMU with FEAT_HAFDBS.
        const AF = 1 << 10;
        /// `PTE_NG` (bit 11), not-global; `PTE_PRESENT_INVALID` when `PTE_VALID` is clear.
        const NG = 1 << 11;
        /// `PTE_GP` (bit 50), BTI guarded page.
        const GP = 1 << 50;
        /// `PTE_WRITE = PTE_DBM` (bit 51): software write permission and the hardware
        /// dirty-bit modifier.
        const WRITE = 1 << 51;
        /// `PTE_CONT` (bit 52), contiguous hint.
        const CONT = 1 << 52;
        /// `PTE_PXN` (bit 53), privileged execute-never.
        const PXN = 1 << 53;
        /// `PTE_UXN` (bit 54), unprivileged execute-never.
        const UXN = 1 << 54;
        /// `PTE_DIRTY` (bit 55), software dirty.
        const DIRTY = 1 << 55;
        /// `PTE_SPECIAL` (bit 56), software.
        const SPECIAL = 1 << 56;
        /// `PTE_UFFD_WP` (bit 58), software (`CONFIG_HAVE_ARCH_USERFAULTFD_WP`).
        const UFFD_WP = 1 << 58;
        /// `PTE_PO_IDX_MASK` (bits 60–62, `PTE_PO_IDX_0..2`): the permission-overlay index
        /// (FEAT_S1POE, used for pkeys).
        const PO_IDX = 7 << 60;
    }
}

/// The releases with the aarch64/6.18 format: 6.10 to the newest checked (7.0).
///
/// * **First, 6.10**: 6.10.0's `pgtable-prot.h` and `pgtable.h` have `PTE_PRESENT_INVALID`,
///   `PTE_UFFD_WP` bit 58, `PTE_SWP_UFFD_WP` bit 3 and `__SWP_TYPE_SHIFT 6`, and `PTE_ADDR_LOW`
///   spans bits 12–49 (from 6.9); 6.9.0 has none of the first four (see [`KERNELS_6_6`]).
/// * **Last**: 6.11.11, 6.12.19, 6.13.7, 6.14, 6.17.0, 6.18.35, 6.19.0 and 7.0 have the same
///   encodings.
///
/// Inside the range, the permission-overlay bits (6.12), `PTE_DEVMAP` (until 6.14, gone by
/// 6.17) and `pte_mkwrite_novma()` (6.18) differ: see the notes. The helpers are those of
/// 6.18.2, the tree in `source`: `make_writable` clears `PTE_RDONLY` only on a
/// software-dirty entry. That came with commit 143937ca51cc ("arm64, mm: avoid always making
/// PTE dirty in pte_mkwrite()", Huang Ying, posted to LKML on 2025-10-15, in the 6.18 cycle):
/// 6.10.0, 6.11.11, 6.12.19, 6.13.7, 6.14.0 and 6.17.0 clear `PTE_RDONLY` always, 6.18.2,
/// 6.18.35, 6.19.0 and 7.0 only `if (pte_sw_dirty(pte))`; 6.18.0 itself was not read. The
/// format is the same on both sides, so the change is a note on 6.10–6.17, not a boundary.
/// The commit was also taken into stable updates of earlier releases (a downstream revert in
/// a 6.6.y tree names its stable commit 4f32f754343a; which updates, not read), so late
/// stable updates of 6.10–6.17 (and of aarch64/6.6's releases) may have the 6.18 rule.
pub const KERNELS_6_18: Kernels = Kernels {
    range: KernelRange::since(KernelVersion::new(6, 10)),
    notes: &[
        KernelNote {
            kernels: KernelRange::new(KernelVersion::new(6, 10), KernelVersion::new(6, 11)),
            text: "no permission overlays: bits 60-62 are not PTE_PO_IDX (from 6.12), Linux \
                   leaves them zero and pte_modify() keeps them",
        },
        KernelNote {
            kernels: KernelRange::new(KernelVersion::new(6, 10), KernelVersion::new(6, 16)),
            text: "PTE_DEVMAP is bit 57, a software bit of present entries, which this layout \
                   counts as free: bit 57 is not any-state here (read in 6.10.0 to 6.14; gone \
                   in 6.17.0; 6.15 and 6.16 not read)",
        },
        KernelNote {
            kernels: KernelRange::new(KernelVersion::new(6, 10), KernelVersion::new(6, 17)),
            text: "pte_mkwrite_novma() clears PTE_RDONLY always, so pte_mkwrite() makes a clean \
                   entry hardware-dirty; this layout's make_writable clears it only on a \
                   software-dirty entry, as 6.18 does (read in 6.10.0, 6.11.11, 6.12.19, 6.13.7, \
                   6.14.0 and 6.17.0; 6.15 and 6.16 not read; 6.18.2, 6.18.35, 6.19.0 and 7.0 \
                   have the 6.18 rule, which stable updates of earlier releases also got)",
        },
    ],
};

/// `aarch64/6.18`.
#[doc = include_str!("../diagrams/aarch64-6.18.txt")]
pub const LAYOUT_6_18: Layout = Layout {
    name: "aarch64/6.18",
    family: Family::Aarch64,
    word_bits: 64,
    // `PTE_VALID (1 << 0)`.
    valid_bit: 0,
    // `pte_none(pte) = !pte_val(pte)`.
    none_ignore: 0,
    // `pte_present_invalid(pte) = (pte_val(pte) & (PTE_VALID | PTE_PRESENT_INVALID)) ==
    // PTE_PRESENT_INVALID`, `PTE_PRESENT_INVALID (PTE_NG)`; `pte_protnone(pte) =
    // pte_present_invalid(pte) && !pte_user(pte) && !pte_user_exec(pte)`, `PTE_USER (1 << 6)`,
    // `pte_user_exec(pte) = !(pte_val(pte) & PTE_UXN)`, `PTE_UXN (1 << 54)`.
    protnone: ProtNoneRule::PresentInvalid {
        bit: 11,
        user_bit: 6,
        uxn_bit: 54,
    },
    // `pte_pfn(pte) = __pte_to_phys(pte) >> PAGE_SHIFT`, `__pte_to_phys = pte_val & PTE_ADDR_LOW`,
    // `PTE_ADDR_LOW = ((1 << (50 - PAGE_SHIFT)) - 1) << PAGE_SHIFT`: bits 12–49.
    pfn: PfnFormat {
        field: Field {
            shift: 12,
            width: 38,
        },
        high: None,
        value_bits: 38,
        protnone_inverted: false,
    },
    // `PTE_TYPE_PAGE (3 << 0)`.
    page_present: 3,
    // `PAGE_NONE = ((_PAGE_DEFAULT) & ~PTE_VALID) | PTE_PRESENT_INVALID | PTE_RDONLY | PTE_NG |
    // PTE_PXN | PTE_UXN`, `_PAGE_DEFAULT = _PROT_DEFAULT | PTE_ATTRINDX(MT_NORMAL)`,
    // `_PROT_DEFAULT = PTE_TYPE_PAGE | PTE_AF | PTE_SHARED`, `MT_NORMAL 0` (the 6.6 value;
    // the same names are used through 6.16). = 0x0060_0000_0000_0f82.
    page_none: (1 << 1) | (1 << 10) | (3 << 8) | (1 << 11) | (1 << 7) | (1 << 53) | (1 << 54),
    // `_PAGE_READONLY = _PAGE_DEFAULT | PTE_USER | PTE_RDONLY | PTE_NG | PTE_PXN | PTE_UXN`;
    // `_PAGE_SHARED` adds `PTE_WRITE` (= DBM, bit 51): writable but clean, "hence
    // PTE_RDONLY|PTE_WRITE".
    page_readonly: 3 | 1 << 10 | 3 << 8 | 1 << 6 | 1 << 7 | 1 << 11 | 1 << 53 | 1 << 54,
    page_shared: 3 | 1 << 10 | 3 << 8 | 1 << 6 | 1 << 7 | 1 << 11 | 1 << 53 | 1 << 54 | 1 << 51,
    // "bit 2: remember PG_anon_exclusive, bit 3: remember uffd-wp state, bits 6-10: swap type,
    // bit 11: PTE_PRESENT_INVALID (must be zero), bits 12-61: swap offset":
    // `__SWP_TYPE_SHIFT 6`, `__SWP_TYPE_BITS 5`, `__SWP_OFFSET_SHIFT 12`,
    // `__SWP_OFFSET_BITS 50`, `PTE_SWP_EXCLUSIVE (1 << 2)`, `PTE_SWP_UFFD_WP (1 << 3)`.
    swap: SwapFormat {
        type_field: Field { shift: 6, width: 5 },
        offset: ValueField::plain(12, 50),
        exclusive: Some(2),
        soft_dirty: None,
        uffd_wp: Some(3),
    },
    file: None,
    flags: pte_core::flag_table!(Flags6_18),
    // docs/DESIGN.md#hardware-bits: hardware bits 0–54 and 60–62 (POIndex, `PTE_PO_IDX_MASK`).
    hw_bits: bits(0, 54) | bits(60, 62),
    // FEAT_HAFDBS: the MMU sets `PTE_AF` and, on a write with `PTE_DBM`, clears `PTE_RDONLY`.
    hw_set: 1 << 10 | 1 << 7,
    // Arm ARM: 55–58 "reserved for software use" (`PTE_SWBITS_MASK = BIT(63) |
    // GENMASK(58, 55)`), 59 PBHA only with FEAT_HPDS2 (never enabled), 63 ignored.
    hw_ignored: bits(55, 59) | 1 << 63,
    // `PTE_ADDR_LOW` reaches bit 49 (LPA2), so Linux's PFN covers 48–49; nothing reserved.
    reserved: 0,
    // `PTE_WRITE` 51 (= `PTE_DBM`), `PTE_DIRTY` 55, `PTE_SPECIAL` 56, `PTE_UFFD_WP` 58.
    sw_bits: 1 << 51 | 1 << 55 | 1 << 56 | 1 << 58,
    hw_ad: HwAccessDirty::AfDbmIfHafdbs,
    // As 6.6: `pte_hw_dirty(pte) = pte_write(pte) && !pte_rdonly(pte)`. But
    // `pte_mkwrite_novma()` sets `PTE_WRITE` and clears `PTE_RDONLY` only `if
    // (pte_sw_dirty(pte))` (6.18.2 `pgtable.h` lines 293–299; 6.18.35, 6.19.0, 7.0), so a
    // clean entry stays clean; 6.10–6.17 clear it always (a note).
    helpers: HelperModel::Aarch64 {
        accessed: 10,
        dirty: 55,
        write: 51,
        rdonly_hw_dirty: Some(7),
        mkwrite_keeps_clean: true,
    },
    // `pte_modify()`: `mask = PTE_USER | PTE_PXN | PTE_UXN | PTE_RDONLY | PTE_PRESENT_INVALID |
    // PTE_VALID | PTE_WRITE | PTE_GP | PTE_ATTRINDX_MASK | PTE_PO_IDX_MASK`; every other bit
    // is kept.
    modify_keep: !(1 << 6
        | 1 << 53
        | 1 << 54
        | 1 << 7
        | 1 << 11
        | 1 << 0
        | 1 << 51
        | 1 << 50
        | 7 << 2
        | 7 << 60),
    // MAX_SWAPFILES_SHIFT 5; N = min(__SWP_OFFSET_BITS 50, SWP_TYPE_SHIFT 58,
    // max(32, MAX_PHYSMEM_BITS 48 - PAGE_SHIFT 12 + 2)) = 38.
    default_limits: Limits {
        swap_type_bits: 5,
        swap_offset_bits: 38,
        file_pgoff_bits: None,
    },
    geometries: &[
        G4K_4_LEVEL,
        G4K_3_LEVEL,
        G16K_3_LEVEL,
        G16K_4_LEVEL,
        G64K_2_LEVEL,
        G64K_3_LEVEL,
    ],
    source: "Linux 6.18.2 arch/arm64/include/asm/pgtable-hwdef.h, pgtable-prot.h, pgtable.h; include/linux/swap.h, swapops.h",
    kernels: KERNELS_6_18,
};

bitflags::bitflags! {
    /// Flags of a present aarch64-lpa2/6.18 PTE: those of [`Flags6_18`] without `SHARED`,
    /// whose bits 8–9 hold the PFN's top bits (`PA[51:50]`, `PTE_ADDR_HIGH`) once TCR_EL1.DS
    /// is set (`arch/arm64/include/asm/pgtable-hwdef.h`, `pgtable-prot.h`, Linux 6.18.35).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct FlagsLpa2_6_18: u64 {
        /// `PTE_VALID` (bit 0).
        const VALID = 1 << 0;
        /// `PTE_TABLE_BIT` (bit 1): with `PTE_VALID`, `PTE_TYPE_PAGE` (3) marks a page
        /// descriptor.
        const TABLE = 1 << 1;
        /// `PTE_ATTRINDX_MASK` (bits 2–4): `PTE_ATTRINDX(t) = t << 2`, the MAIR index.
        const ATTRINDX = 7 << 2;
        /// NS (bit 5), the hardware non-secure bit; Linux defines no PTE macro for it.
        const NS = 1 << 5;
        /// `PTE_USER` (bit 6, `AP[1]`).
        const USER = 1 << 6;
        /// `PTE_RDONLY` (bit 7, `AP[2]`); cleared by the MMU on a write when `PTE_DBM` is set.
        const RDONLY = 1 << 7;
        /// `PTE_AF` (bit 10), the access flag; set by the MMU with FEAT_HAFDBS.
        const AF = 1 << 10;
        /// `PTE_NG` (bit 11), not-global; `PTE_PRESENT_INVALID` when `PTE_VALID` is clear.
        const NG = 1 << 11;
        /// `PTE_GP` (bit 50), BTI guarded page.
        const GP = 1 << 50;
        /// `PTE_WRITE = PTE_DBM` (bit 51): software write permission and the hardware
        /// dirty-bit modifier.
        const WRITE = 1 << 51;
        /// `PTE_CONT` (bit 52), contiguous hint.
        const CONT = 1 << 52;
        /// `PTE_PXN` (bit 53), privileged execute-never.
        const PXN = 1 << 53;
        /// `PTE_UXN` (bit 54), unprivileged execute-never.
        const UXN = 1 << 54;
        /// `PTE_DIRTY` (bit 55), software dirty.
        const DIRTY = 1 << 55;
        /// `PTE_SPECIAL` (bit 56), software.
        const SPECIAL = 1 << 56;
        /// `PTE_UFFD_WP` (bit 58), software (`CONFIG_HAVE_ARCH_USERFAULTFD_WP`).
        const UFFD_WP = 1 << 58;
        /// `PTE_PO_IDX_MASK` (bits 60–62, `PTE_PO_IDX_0..2`): the permission-overlay index
        /// (FEAT_S1POE, used for pkeys).
        const PO_IDX = 7 << 60;
    }
}

/// The releases with the aarch64-lpa2/6.18 format: 6.10 to the newest checked (7.0), the
/// range of [`KERNELS_6_18`], with its notes (the permission overlays from 6.12, `PTE_DEVMAP`
/// until 6.16, `pte_mkwrite_novma()` before 6.18).
///
/// * **LPA2 itself** is older: 6.9.0 already has `PTE_ADDR_HIGH = 0x3 << 8`,
///   `PTE_ADDR_HIGH_SHIFT 42` and `PHYS_TO_PTE_ADDR_MASK = GENMASK_ULL(49, 8)`
///   (`pgtable-hwdef.h`), `__pte_to_phys()` clearing `PTE_MAYBE_SHARED` and
///   `__phys_to_pte_val()` (`pgtable.h`), `PTE_MAYBE_SHARED = lpa2_is_enabled() ? 0 :
///   PTE_SHARED` (`pgtable-prot.h`), `adjust_protection_map()` clearing `PTE_SHARED`
///   (`arch/arm64/mm/mmap.c`) and `CONFIG_ARM64_LPA2` for 4K/16K pages (`Kconfig`). But 6.9's
///   swap entry and protnone are aarch64/6.6's, so **the first release is 6.10**, where they
///   changed (see [`KERNELS_6_18`]).
/// * **Through 7.0**: the same LPA2 lines are in 6.10, 6.11.11, 6.12.19, 6.13.7, 6.14, 6.17,
///   6.18.2, 6.18.35, 6.19 and 7.0 (the copies listed in docs/DESIGN.md "Which layout for
///   which kernel"). `MAX_PHYSMEM_BITS` (`asm/sparsemem.h`) is `CONFIG_ARM64_PA_BITS` in
///   6.9–6.11 and `PHYS_MASK_SHIFT` from 6.12: 52 both ways for this configuration, so the
///   swap-offset limit is 42 bits throughout.
pub const KERNELS_LPA2_6_18: Kernels = Kernels {
    range: KERNELS_6_18.range,
    notes: &[
        KERNELS_6_18.notes[0],
        KERNELS_6_18.notes[1],
        // Both layouts model 6.18's `pte_mkwrite_novma()` (`mkwrite_keeps_clean`), so the
        // note is aarch64/6.18's: 6.10-6.17 clear PTE_RDONLY always.
        KERNELS_6_18.notes[2],
    ],
};

/// `aarch64-lpa2/6.18`: Linux 6.18 built for 52-bit physical addresses with 4K or 16K pages
/// (`CONFIG_ARM64_PA_BITS_52`, hence `CONFIG_ARM64_LPA2`) on a CPU with FEAT_LPA2, where the
/// kernel sets TCR_EL1.DS and `lpa2_is_enabled()` is true.
///
/// Line numbers are those of Linux 6.18.35 (`github.com/leftymods/linux-6.18.y` @
/// `40a9e9f43d449b2211807f1ed30bd485aaff228e`, `Makefile` 6.18.35).
///
/// What differs from [`LAYOUT_6_18`]:
///
/// * **The PFN.** `pgtable.h` 150–160, under `CONFIG_ARM64_PA_BITS_52`:
///   `__pte_to_phys(pte)` clears `PTE_MAYBE_SHARED` and returns `(pte_val(pte) &
///   PTE_ADDR_LOW) | ((pte_val(pte) & PTE_ADDR_HIGH) << PTE_ADDR_HIGH_SHIFT)`;
///   `__phys_to_pte_val(phys) = (phys | (phys >> PTE_ADDR_HIGH_SHIFT)) &
///   PHYS_TO_PTE_ADDR_MASK`; `pte_pfn(pte) = __pte_to_phys(pte) >> PAGE_SHIFT` (173).
///   `pgtable-hwdef.h` 179–188, for 4K/16K pages:
///   `PTE_ADDR_LOW = ((1 << (50 - PAGE_SHIFT)) - 1) << PAGE_SHIFT` (bits 12–49),
///   `PTE_ADDR_HIGH = 0x3 << 8`, `PTE_ADDR_HIGH_SHIFT 42`,
///   `PHYS_TO_PTE_ADDR_MASK = GENMASK_ULL(49, 8)`. With LPA2 enabled `PTE_MAYBE_SHARED` is 0
///   (`pgtable-prot.h` 87–92: `lpa2_is_enabled()` reads TCR_EL1.DS; `PTE_MAYBE_SHARED =
///   lpa2_is_enabled() ? 0 : PTE_SHARED`), so bits 8–9 are `PA[51:50]`: the PFN is bits
///   12–49 with bits 8–9 above them, 40 bits in all. [`LAYOUT_6_18`] reads bits 12–49 only
///   and keeps 8–9 as the shareability field, so a PFN of 2^38 or more decodes wrongly there
///   (its top bits are dropped) and its encoder refuses it.
/// * **The protections.** `_PROT_DEFAULT` still names `PTE_SHARED` (`pgtable-prot.h` 38),
///   but `adjust_protection_map()` clears it from every `protection_map[]` entry when
///   `lpa2_is_enabled()` (`arch/arm64/mm/mmap.c` 78–82), and `pte_modify()` takes only its
///   mask's bits from the new protection (`pgtable.h` 1258–1280; bits 8–9 are not in the
///   mask, so they stay the PFN's), so user entries have bits 8–9 free for the address. The
///   shareability of the mapped memory comes from TCR_EL1.SH0/SH1 instead (the Arm ARM's
///   rule for TCR_ELx.DS = 1, as remembered and not re-read here; qemu does not model
///   shareability, so the `kernels/aarch64` boot does not test it either).
/// * **The limits.** `MAX_PHYSMEM_BITS = PHYS_MASK_SHIFT` (`asm/sparsemem.h` 10),
///   `PHYS_MASK_SHIFT = lpa2_is_enabled() ? CONFIG_ARM64_PA_BITS : 48` (`pgtable-prot.h` 94)
///   = 52, so N = max(32, 52 − 12 + 2) = 42 (`include/linux/swapops.h` 36, 64:
///   `SWP_PFN_BITS`, `SWP_MIG_TOTAL_BITS`).
/// * **The geometries.** 4K and 16K pages only (`CONFIG_ARM64_LPA2` depends on
///   `CONFIG_ARM64_PA_BITS_52 && !CONFIG_ARM64_64K_PAGES`, `Kconfig` 1497–1499; 64K pages
///   keep `PA[51:48]` in bits 12–15, another format), and 52-bit VAs: `PA_BITS_52` needs
///   `VA_BITS_52` with 4K/16K pages (`Kconfig` 1479–1481), and the kernel sets TCR_EL1.DS
///   exactly when it runs with 52-bit VAs (`arch/arm64/kernel/pi/map_kernel.c` 260–263 and
///   284–285: without LPA2 `va_bits = VA_BITS_MIN`; `arch/arm64/mm/proc.S` 498–505).
///
/// Everything else — swap format, present-invalid and protnone, software bits, POIndex,
/// `pte_modify()`'s mask, the lock bit — is [`LAYOUT_6_18`]'s, checked against the same
/// 6.18.35 files.
#[doc = include_str!("../diagrams/aarch64-lpa2-6.18.txt")]
pub const LAYOUT_LPA2_6_18: Layout = Layout {
    name: "aarch64-lpa2/6.18",
    family: Family::Aarch64Lpa2,
    word_bits: 64,
    // `PTE_VALID (1 << 0)` (pgtable-hwdef.h 164).
    valid_bit: 0,
    // `pte_none(pte) = !pte_val(pte)` (pgtable.h 177).
    none_ignore: 0,
    // As 6.18: `pte_present_invalid()` (pgtable.h 209), `pte_protnone()` (597),
    // `PTE_PRESENT_INVALID (PTE_NG)` (pgtable-prot.h 26), `pte_user()`, `pte_user_exec()`
    // (pgtable.h 188–189).
    protnone: ProtNoneRule::PresentInvalid {
        bit: 11,
        user_bit: 6,
        uxn_bit: 54,
    },
    // `pte_pfn(pte) = __pte_to_phys(pte) >> PAGE_SHIFT` with `PTE_MAYBE_SHARED` = 0:
    // `PTE_ADDR_LOW` bits 12–49 are PFN bits 0–37, `PTE_ADDR_HIGH` (`0x3 << 8`) shifted left
    // by `PTE_ADDR_HIGH_SHIFT` 42 lands at PA bits 50–51, PFN bits 38–39.
    pfn: PfnFormat {
        field: Field {
            shift: 12,
            width: 38,
        },
        high: Some(Field { shift: 8, width: 2 }),
        value_bits: 40,
        protnone_inverted: false,
    },
    // `PTE_TYPE_PAGE (3 << 0)`.
    page_present: 3,
    // `protection_map[VM_NONE] = PAGE_NONE` with `PTE_SHARED` cleared (mmap.c 78–82):
    // `((_PAGE_DEFAULT) & ~PTE_VALID) | PTE_PRESENT_INVALID | PTE_RDONLY | PTE_NG | PTE_PXN |
    // PTE_UXN` (pgtable-prot.h 124), `_PAGE_DEFAULT = _PROT_DEFAULT | PTE_ATTRINDX(MT_NORMAL)`
    // (53), `MT_NORMAL 0` (memory.h 171). = 0x0060_0000_0000_0c82.
    page_none: (1 << 1) | (1 << 10) | (1 << 11) | (1 << 7) | (1 << 53) | (1 << 54),
    // `_PAGE_READONLY = _PAGE_DEFAULT | PTE_USER | PTE_RDONLY | PTE_NG | PTE_PXN | PTE_UXN`,
    // `_PAGE_SHARED` adds `PTE_WRITE` (pgtable-prot.h 61, 63); `PTE_SHARED` cleared by
    // `adjust_protection_map()`.
    page_readonly: 3 | 1 << 10 | 1 << 6 | 1 << 7 | 1 << 11 | 1 << 53 | 1 << 54,
    page_shared: 3 | 1 << 10 | 1 << 6 | 1 << 7 | 1 << 11 | 1 << 53 | 1 << 54 | 1 << 51,
    // As 6.18 (pgtable.h 1539–1557): exclusive 2, uffd-wp 3, type 6–10, bit 11 zero,
    // offset 12–61.
    swap: SwapFormat {
        type_field: Field { shift: 6, width: 5 },
        offset: ValueField::plain(12, 50),
        exclusive: Some(2),
        soft_dirty: None,
        uffd_wp: Some(3),
    },
    file: None,
    flags: pte_core::flag_table!(FlagsLpa2_6_18),
    // Hardware bits 0–54 (bits 8–9 are now output address) and 60–62 (POIndex,
    // `PTE_PO_IDX_MASK`, pgtable-hwdef.h 213).
    hw_bits: bits(0, 54) | bits(60, 62),
    // FEAT_HAFDBS: the MMU sets `PTE_AF` and, on a write with `PTE_DBM`, clears `PTE_RDONLY`.
    hw_set: 1 << 10 | 1 << 7,
    // As 6.18: `PTE_SWBITS_MASK = BIT(63) | GENMASK(58, 55)` (pgtable-hwdef.h 177), 59 PBHA
    // only with FEAT_HPDS2 (never enabled).
    hw_ignored: bits(55, 59) | 1 << 63,
    // Every output-address bit is used with a 52-bit PA.
    reserved: 0,
    // `PTE_WRITE` 51 (= `PTE_DBM`), `PTE_DIRTY` 55, `PTE_SPECIAL` 56, `PTE_UFFD_WP` 58
    // (pgtable-prot.h 16–31).
    sw_bits: 1 << 51 | 1 << 55 | 1 << 56 | 1 << 58,
    hw_ad: HwAccessDirty::AfDbmIfHafdbs,
    // As 6.18: `pte_hw_dirty(pte) = pte_write(pte) && !pte_rdonly(pte)` (pgtable.h 204), and
    // `pte_mkwrite_novma` clears `PTE_RDONLY` only on a software-dirty entry (6.18; see
    // `AARCH64_6_18`).
    helpers: HelperModel::Aarch64 {
        accessed: 10,
        dirty: 55,
        write: 51,
        rdonly_hw_dirty: Some(7),
        mkwrite_keeps_clean: true,
    },
    // `pte_modify()` (pgtable.h 1264–1266): `mask = PTE_USER | PTE_PXN | PTE_UXN |
    // PTE_RDONLY | PTE_PRESENT_INVALID | PTE_VALID | PTE_WRITE | PTE_GP | PTE_ATTRINDX_MASK |
    // PTE_PO_IDX_MASK`; every other bit, bits 8–9 (`PA[51:50]`) included, is kept.
    modify_keep: !(1 << 6
        | 1 << 53
        | 1 << 54
        | 1 << 7
        | 1 << 11
        | 1 << 0
        | 1 << 51
        | 1 << 50
        | 7 << 2
        | 7 << 60),
    // MAX_SWAPFILES_SHIFT 5 (include/linux/swap.h 49); N = min(__SWP_OFFSET_BITS 50,
    // SWP_TYPE_SHIFT 58, max(32, MAX_PHYSMEM_BITS 52 - PAGE_SHIFT 12 + 2)) = 42.
    default_limits: Limits {
        swap_type_bits: 5,
        swap_offset_bits: 42,
        file_pgoff_bits: None,
    },
    geometries: &[G4K_5_LEVEL, G16K_4_LEVEL_52],
    source: "Linux 6.18.35 arch/arm64/include/asm/pgtable-hwdef.h, pgtable-prot.h, pgtable.h, sparsemem.h; arch/arm64/mm/mmap.c; arch/arm64/Kconfig (CONFIG_ARM64_PA_BITS_52, CONFIG_ARM64_LPA2, TCR_EL1.DS set); include/linux/swap.h, swapops.h",
    kernels: KERNELS_LPA2_6_18,
};

pte_core::layout_type!(
    /// The aarch64/3.18 layout type.
    pub Aarch64_3_18 { word: Word64, flags: Flags3_18, layout: LAYOUT_3_18 }
);

pte_core::layout_type!(
    /// The aarch64/6.6 layout type.
    pub Aarch64_6_6 { word: Word64, flags: Flags6_6, layout: LAYOUT_6_6 }
);

pte_core::layout_type!(
    /// The aarch64/6.18 layout type.
    pub Aarch64_6_18 { word: Word64, flags: Flags6_18, layout: LAYOUT_6_18 }
);

pte_core::layout_type!(
    /// The aarch64-lpa2/6.18 layout type: aarch64/6.18 with FEAT_LPA2 enabled (TCR_EL1.DS),
    /// 52-bit physical addresses, 4K/16K pages.
    pub Aarch64Lpa2_6_18 { word: Word64, flags: FlagsLpa2_6_18, layout: LAYOUT_LPA2_6_18 }
);

// aarch64/3.18: bit 63, any-state. Bits 59–63 are the only any-state bits: 0 in every swap
// entry (the offset stops at bit 57), above every file pgoff < 2^55 (bit 57 at most), and
// ignored by the MMU in valid entries. Bits 59–62 become PBHA when FEAT_HPDS2 is enabled;
// bit 63 is ignored by every revision of the architecture.
pte_core::lock_bit!(Aarch64_3_18, bit = 63, discipline = AnyState);

// aarch64/6.6: bit 63, any-state. Bits 59–63 are free in every PTE state (the swap offset
// stops at bit 57, 58 is PTE_PROT_NONE), but 59–62 are PBHA under FEAT_HPDS2 and bit 59 is
// PMD_PRESENT_INVALID at PMD level; bit 63 is ignored by every revision of the architecture.
pte_core::lock_bit!(Aarch64_6_6, bit = 63, discipline = AnyState);

// aarch64/6.18: bit 63, any-state. The swap offset now reaches bit 61 (its top bits lie
// beyond N = 38, which frees 50–61 only for none-only), 60–62 are POIndex and 58 is
// PTE_UFFD_WP; of the any-state bits 57, 59 and 63, bit 59 is PBHA under FEAT_HPDS2 and 57
// was PTE_DEVMAP in earlier releases (6.6), while bit 63 is ignored by every revision of the
// architecture.
pte_core::lock_bit!(Aarch64_6_18, bit = 63, discipline = AnyState);

// aarch64-lpa2/6.18: bit 63, any-state, as on aarch64/6.18. LPA2 turns bits 8–9 into PFN
// bits (hardware bits in every state but swap, where they are type bits anyway) and widens
// the swap offset's limit to 42 bits (bits 12–53), so none-only loses 50–53; the any-state
// bits stay 57, 59 and 63, and 63 is ignored by every revision of the architecture.
pte_core::lock_bit!(Aarch64Lpa2_6_18, bit = 63, discipline = AnyState);

static_assertions::assert_eq_size!(pte_core::Pte<Aarch64_6_18>, u64);
static_assertions::assert_impl_all!(Aarch64_3_18: pte_core::LockBit);
static_assertions::assert_impl_all!(Aarch64_6_6: pte_core::LockBit);
static_assertions::assert_impl_all!(Aarch64_6_18: pte_core::LockBit);
static_assertions::assert_impl_all!(Aarch64Lpa2_6_18: pte_core::LockBit);

// The VA widths of the geometries (`VA_BITS`).
static_assertions::const_assert_eq!(G4K_4_LEVEL.va_bits(), 48);
static_assertions::const_assert_eq!(G4K_3_LEVEL.va_bits(), 39);
static_assertions::const_assert_eq!(G16K_3_LEVEL.va_bits(), 47);
static_assertions::const_assert_eq!(G16K_4_LEVEL.va_bits(), 48);
static_assertions::const_assert_eq!(G64K_2_LEVEL.va_bits(), 42);
static_assertions::const_assert_eq!(G64K_3_LEVEL.va_bits(), 48);
static_assertions::const_assert_eq!(G4K_5_LEVEL.va_bits(), 52);
static_assertions::const_assert_eq!(G16K_4_LEVEL_52.va_bits(), 52);

// `pfn_pte(pfn, PAGE_NONE)` is protnone under each layout's own rule.
static_assertions::const_assert!(matches!(
    pte_core::classify(
        &LAYOUT_3_18,
        &LAYOUT_3_18.default_limits,
        LAYOUT_3_18.page_none
    ),
    pte_core::Decoded::ProtNone { pfn: 0 }
));
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
static_assertions::const_assert!(matches!(
    pte_core::classify(
        &LAYOUT_LPA2_6_18,
        &LAYOUT_LPA2_6_18.default_limits,
        LAYOUT_LPA2_6_18.page_none
    ),
    pte_core::Decoded::ProtNone { pfn: 0 }
));
// The PFN's top bits are bits 8–9: PFN 2^38 (PA 2^50) sets bit 8 and nothing else.
static_assertions::const_assert_eq!(LAYOUT_LPA2_6_18.pfn.put(1 << 38), 1 << 8);
static_assertions::const_assert_eq!(LAYOUT_LPA2_6_18.pfn.get(1 << 9), 1 << 39);
// No protection of the LPA2 layout names the old shareability bits.
static_assertions::const_assert_eq!(
    (LAYOUT_LPA2_6_18.page_none | LAYOUT_LPA2_6_18.page_readonly | LAYOUT_LPA2_6_18.page_shared)
        & (3 << 8),
    0
);
