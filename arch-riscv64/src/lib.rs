//! # arch-riscv64
//!
//! The riscv64 Linux PTE layouts (RV64 Sv39 / Sv48 / Sv57 leaf entries, 4 KiB pages), as
//! data for `pte-core`:
//!
//! * [`Riscv64_6_6`] — Linux 6.6 (`arch/riscv/include/asm/pgtable-bits.h`, `pgtable-64.h`,
//!   `pgtable.h`): V R W X U G A D in bits 0–7, RSW bits 8–9 (`_PAGE_SPECIAL` = 8), PFN in
//!   bits 10–53, reserved 54–60, Svpbmt memory type in 61–62, Svnapot in 63;
//!   `_PAGE_PROT_NONE` = `_PAGE_GLOBAL` (bit 5) marks protnone; swap exclusive bit 6, type
//!   7–11, offset 12–63.
//! * [`Riscv64_6_18`] — Linux 6.18: the same entry as 6.6, bit for bit. Linux 6.18 has no
//!   soft-dirty or uffd-wp bit on riscv (no `_PAGE_SOFT_DIRTY`, `_PAGE_UFFD_WP`,
//!   `_PAGE_SWP_SOFT_DIRTY`, `_PAGE_SWP_UFFD_WP`); those arrive with the Svrsw60t59b
//!   extension in Linux 6.19 (bits 59–60, and 3–4 in swap entries), which would be a
//!   separate `riscv64/6.19` layout.
//!
//! ## Configuration
//!
//! The `#ifdef`s that change a bit, and the choice made here:
//!
//! * `CONFIG_64BIT` = y (this crate is riscv64): `_PAGE_PFN_MASK = GENMASK(53, 10)`.
//! * `CONFIG_RISCV_ISA_SVPBMT` = y (defconfig): `_PAGE_MTMASK` is `riscv_page_mtmask()`,
//!   which on a hart with Svpbmt is `_PAGE_MTMASK_SVPBMT` = `_PAGE_NOCACHE_SVPBMT (1UL << 61)
//!   | _PAGE_IO_SVPBMT (1UL << 62)`. Without it (or on hardware without Svpbmt) the bits are
//!   0 in every entry Linux builds and reserved to the hardware; the layout is the same.
//! * `CONFIG_ERRATA_THEAD_MAE` / `ALT_THEAD_PMA` (T-Head's own memory types in bits 59–63):
//!   not modelled; a T-Head C9xx kernel writes bits 59–63 differently.
//! * `CONFIG_RISCV_ISA_SVNAPOT` = y (defconfig): `_PAGE_NAPOT` = bit 63, set only in hugetlb
//!   NAPOT leaves. In both 6.6 and 6.18 `pte_pfn()` clears the low set bit of a NAPOT
//!   entry's PFN (`res & (res - 1UL)`); the model reads the PFN field as it is (ambiguity,
//!   see below).
//! * `CONFIG_NUMA_BALANCING` = y: `pte_protnone()` exists.
//!
//! ## Hardware accessed / dirty
//!
//! The privileged architecture allows two behaviours for a leaf with A clear (any access)
//! or D clear (a store): raise a page fault (Svade) or set the bit atomically (Svadu).
//! Linux 6.6 knows neither extension by name and handles A/D faults in software through
//! `handle_mm_fault()` (`pte_mkyoung()`, `pte_mkdirty()`). Linux 6.18 knows both but does
//! not switch hardware updating on itself: "By default the M-mode firmware enables the
//! hardware updating scheme when only Svadu is present in DT" (`pgtable.h` comment above
//! `arch_has_hw_pte_young()`, lines 655–659), and when both are listed
//! `riscv_ext_svadu_validate()` (`arch/riscv/kernel/cpufeature.c` lines 267–274) drops
//! Svadu: "SVADE has already been detected, use SVADE only". The layouts here take Svade:
//! [`HwAccessDirty::SoftwareOnly`].
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
//! **Provenance.** Every value and line number was checked against stable kernel trees:
//! Linux 6.6.9 (`mihaelbh/adding-new-sched-policy-to-linux-6.6.9` @ `ad8d9458`) and 6.6.87
//! (`Yunbaby8/linux-6.6.87-lab` @ `12bdb170`), whose `arch/riscv/include/asm/pgtable-bits.h`
//! are byte-identical, and Linux 6.18.35 (`leftymods/linux-6.18.y` @ `02ebe6b2`; its
//! `pgtable-bits.h`, `pgtable-64.h` and `pgtable.h` are identical at the mirror's newest
//! commit `40a9e9f4`). The exact `v6.6` and `v6.18` tags were not read. 6.6 line numbers are
//! from 6.6.87 (`pgtable-bits.h` is the same in 6.6.9; `sparsemem.h` has `MAX_PHYSMEM_BITS
//! 56` at line 8 in both, differing only in the 32-bit branch; `pgtable.h` and
//! `pgtable-64.h` differ from 6.6.9 in a few places); 6.18 line numbers are from 6.18.35.
//! Where the headers were ambiguous:
//!
//! * `_PAGE_PROT_NONE` is `_PAGE_GLOBAL`: a *valid* kernel entry has G set, so the marker
//!   only means protnone when `_PAGE_PRESENT` is clear (`pte_protnone()` tests both).
//! * `__swp_offset(x) = x.val >> __SWP_OFFSET_SHIFT` is unmasked, so the offset field spans
//!   12–63; the real bound is the limit N (below). The 6.6 swap-format comment says "bits 11
//!   to XLEN-1: swap offset" (a typo; `__SWP_OFFSET_SHIFT` is 12); 6.18's says 12.
//! * NAPOT: `pte_pfn()` returns the PFN field with its lowest set bit cleared when
//!   `has_svnapot() && pte_napot(pte)`; the model's PFN is the raw field.
//! * Bits 54–60: reserved (must be zero in valid leaves) in 6.6 and 6.18. Linux 6.19 gives
//!   59–60 to software under Svrsw60t59b (soft-dirty, uffd-wp); not modelled here.
#![no_std]
#![deny(missing_docs)]
#![allow(non_camel_case_types)]

use pte_core::Word64;
use pte_core::kernels::{KernelNote, KernelRange, KernelVersion, Kernels};
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

/// The PFN: `_PAGE_PFN_MASK GENMASK(53, 10)` (`pgtable-64.h` line 79 in 6.6 and 6.18),
/// `_PAGE_PFN_SHIFT 10` (`pgtable-bits.h` line 33 in 6.6 and 6.18):
/// `__page_val_to_pfn(val) = (val & _PAGE_PFN_MASK) >> _PAGE_PFN_SHIFT` (`pgtable.h` line 121
/// in 6.6, 122 in 6.18), 44 bits.
const PFN: PfnFormat = PfnFormat {
    field: Field {
        shift: 10,
        width: 44,
    },
    high: None,
    value_bits: 44,
    protnone_inverted: false,
};

/// `PAGE_NONE __pgprot(_PAGE_PROT_NONE | _PAGE_READ)` (`pgtable.h` line 180 in 6.6, 174 in
/// 6.18): G | R = 0x22.
const PAGE_NONE: u64 = 1 << 5 | 1 << 1;
/// `PAGE_READ __pgprot(_PAGE_BASE | _PAGE_READ)` (line 181 in 6.6, 175 in 6.18), `_PAGE_BASE
/// (_PAGE_PRESENT | _PAGE_ACCESSED | _PAGE_USER)` (line 178 in 6.6, 172 in 6.18): 0x53.
const PAGE_READ: u64 = 1 | 1 << 6 | 1 << 4 | 1 << 1;
/// `PAGE_SHARED PAGE_WRITE` (line 190 in 6.6, 184 in 6.18), `PAGE_WRITE __pgprot(_PAGE_BASE |
/// _PAGE_READ | _PAGE_WRITE)` (line 182 in 6.6, 176 in 6.18): 0x57.
const PAGE_WRITE: u64 = PAGE_READ | 1 << 2;

/// `_PAGE_CHG_MASK (~(unsigned long)(_PAGE_PRESENT | _PAGE_READ | _PAGE_WRITE | _PAGE_EXEC |
/// _PAGE_USER | _PAGE_GLOBAL | _PAGE_MTMASK))` (`pgtable-64.h` line 168 in 6.6, 172 in 6.18):
/// what `pte_modify()` keeps.
const CHG_MASK: u64 = !(bits(0, 5) | 3 << 61);

/// "Format of swap PTE: bit 0: _PAGE_PRESENT (zero), bit 1 to 3: _PAGE_LEAF (zero), bit 5:
/// _PAGE_PROT_NONE (zero), bit 6: exclusive marker, bits 7 to 11: swap type, bits 12 to
/// XLEN-1: swap offset" (`pgtable.h` lines 1000–1006 in 6.18; 797–803 in 6.6, which says
/// "bits 11 to XLEN-1"): `__SWP_TYPE_SHIFT 7`, `__SWP_TYPE_BITS 5`, `__SWP_OFFSET_SHIFT
/// (__SWP_TYPE_BITS + __SWP_TYPE_SHIFT)` = 12, `__swp_offset(x) ((x).val >>
/// __SWP_OFFSET_SHIFT)` (unmasked: 52 bits) (lines 805–814 in 6.6, 1008–1017 in 6.18).
const SWAP_TYPE: Field = Field { shift: 7, width: 5 };
const SWAP_OFFSET: ValueField = ValueField::plain(12, 52);

/// The swap format of both eras: `_PAGE_SWP_EXCLUSIVE _PAGE_ACCESSED` (`pgtable-bits.h`
/// line 31 in 6.6 and 6.18); no soft-dirty or uffd-wp swap bit.
const SWAP: SwapFormat = SwapFormat {
    type_field: SWAP_TYPE,
    offset: SWAP_OFFSET,
    exclusive: Some(6),
    soft_dirty: None,
    uffd_wp: None,
};

/// The limits of both eras: `MAX_SWAPFILES_SHIFT 5` (`include/linux/swap.h` line 50 in 6.6,
/// 49 in 6.18); N = min(offset field 52, `SWP_TYPE_SHIFT` 58, max(32, `MAX_PHYSMEM_BITS` 56 −
/// `PAGE_SHIFT` 12 + 2)) = 46 (`arch/riscv/include/asm/sparsemem.h` line 8: `MAX_PHYSMEM_BITS
/// 56` under `CONFIG_64BIT`, in 6.6 and 6.18).
const LIMITS: Limits = Limits {
    swap_type_bits: 5,
    swap_offset_bits: 46,
    file_pgoff_bits: None,
};

/// Privileged spec, Sv39/48/57 PTE: V R W X U G A D (0–7), PPN (10–53), reserved 54–60
/// ("must be zeroed by software for forward compatibility", else a page fault), PBMT 61–62
/// (Svpbmt), N 63 (Svnapot). The `pgtable-64.h` comment (lines 75–77 in 6.6 and 6.18): "| 63
/// | 62 61 | 60 54 | 53 10 | 9 8 | ... N MT RSV PFN reserved for SW D A G U X W R V".
const HW_BITS: u64 = bits(0, 7) | bits(10, 63);
/// RSW, bits 8–9: "reserved for use by supervisor software" and ignored by the hardware.
const HW_IGNORED: u64 = bits(8, 9);
/// Bits 54–60 are reserved for future standard use.
const RESERVED: u64 = bits(54, 60);
/// `_PAGE_SPECIAL` 8. (`_PAGE_PROT_NONE` is the hardware G bit.)
const SW_BITS: u64 = 1 << 8;
/// `pte_write` / `pte_mkwrite_novma` / `pte_wrprotect`: `_PAGE_WRITE`; `pte_young` /
/// `pte_mkyoung` / `pte_mkold`: `_PAGE_ACCESSED`; `pte_dirty` / `pte_mkdirty` /
/// `pte_mkclean`: `_PAGE_DIRTY` (`pgtable.h`; `pte_mkdirty` sets only `_PAGE_DIRTY`, line 411
/// in 6.6, 425 in 6.18): plain bits, as x86 without saved-dirty or soft-dirty.
const HELPERS: HelperModel = HelperModel::X86 {
    write: 2,
    accessed: 6,
    dirty: 7,
    saved_dirty: None,
    soft_dirty: None,
};

bitflags::bitflags! {
    /// Flags of a present riscv64/6.6 PTE (`arch/riscv/include/asm/pgtable-bits.h`,
    /// `pgtable-64.h`; Linux 6.6.87).
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
        /// `_PAGE_SPECIAL _PAGE_SOFT` (line 21), `_PAGE_SOFT (1 << 8)` (line 19, "Reserved
        /// for software"): RSW bit 0.
        const SPECIAL = 1 << 8;
        /// `_PAGE_MTMASK riscv_page_mtmask()` (`pgtable-64.h` line 165,
        /// `CONFIG_RISCV_ISA_SVPBMT`): with Svpbmt `_PAGE_MTMASK_SVPBMT` (line 125) =
        /// `_PAGE_NOCACHE_SVPBMT (1UL << 61)` | `_PAGE_IO_SVPBMT (1UL << 62)` (lines 123–124).
        const MTMASK = 3 << 61;
        /// `_PAGE_NAPOT BIT(_PAGE_NAPOT_SHIFT)`, `_PAGE_NAPOT_SHIFT 63` (`pgtable-64.h`
        /// lines 86–87, `CONFIG_RISCV_ISA_SVNAPOT`): Svnapot's N.
        const NAPOT = 1 << 63;
    }
}

/// The releases with the riscv64/6.6 format: 6.3 to 6.18 (the copies of each release are
/// listed in docs/DESIGN.md, "Which layout for which kernel").
///
/// * **First, 6.3**: `_PAGE_SWP_EXCLUSIVE = _PAGE_ACCESSED` and `__SWP_TYPE_SHIFT 7` arrived
///   with "mm: support __HAVE_ARCH_PTE_SWP_EXCLUSIVE on all architectures with swap PTEs"
///   (David Hildenbrand, 6.3): 6.3.8 has them, 6.2.12 has `__SWP_TYPE_SHIFT 6` and no exclusive
///   bit. `_PAGE_PFN_MASK GENMASK(53, 10)` and `_PAGE_PROT_NONE = _PAGE_GLOBAL` are older
///   (5.19.0 has both).
/// * **Last, 6.18**: 6.5, 6.6.9, 6.9, 6.10, 6.11.11, 6.12.19, 6.13.7, 6.14, 6.17.0 and 6.18.35
///   encode alike. 6.19.0 adds `_PAGE_SWP_SOFT_DIRTY` (bit 3) and `_PAGE_SWP_UFFD_WP` (bit 4)
///   to swap entries, and soft-dirty / uffd-wp bits 59–60 to present ones, on harts with
///   Svrsw60t59b. A 6.19 or 7.0 kernel on a hart without it encodes as 6.18 does, but the
///   format then depends on the hart, which no layout here models: the range stops at 6.18.
///
/// `_PAGE_DEVMAP` uses bit 9 in 6.11–6.14: see the notes. (6.3's `pte_pfn()` has no Svnapot
/// adjustment yet; the model has none either.)
pub const KERNELS_6_6: Kernels = Kernels {
    range: KernelRange::new(KernelVersion::new(6, 3), KernelVersion::new(6, 18)),
    notes: &[KernelNote {
        kernels: KernelRange::new(KernelVersion::new(6, 11), KernelVersion::new(6, 16)),
        text: "_PAGE_DEVMAP is RSW bit 9, a software bit of present entries (read in 6.11.11 \
               to 6.14; gone in 6.17.0; 6.15 and 6.16 not read)",
    }],
};

/// `riscv64/6.6`.
#[doc = include_str!("../diagrams/riscv64-6.6.txt")]
pub const LAYOUT_6_6: Layout = Layout {
    name: "riscv64/6.6",
    family: Family::Riscv64,
    word_bits: 64,
    // `_PAGE_PRESENT (1 << 0)` (pgtable-bits.h line 11).
    valid_bit: 0,
    // `pte_none(pte) = pte_val(pte) == 0` (pgtable.h line 355).
    none_ignore: 0,
    // `pte_present(pte) = pte_val(pte) & (_PAGE_PRESENT | _PAGE_PROT_NONE)` (pgtable.h line
    // 350), `pte_protnone(pte) = (pte_val(pte) & (_PAGE_PRESENT | _PAGE_PROT_NONE)) ==
    // _PAGE_PROT_NONE` (line 451), `_PAGE_PROT_NONE _PAGE_GLOBAL` (pgtable-bits.h line 28).
    protnone: ProtNoneRule::Marker { bit: 5 },
    // `pte_pfn()` (pgtable.h line 326): `__page_val_to_pfn(pte_val(pte))`, with the NAPOT
    // adjustment `res & (res - 1UL)` not modelled.
    pfn: PFN,
    // `_PAGE_PRESENT`.
    page_present: 1,
    page_none: PAGE_NONE,
    page_readonly: PAGE_READ,
    page_shared: PAGE_WRITE,
    swap: SWAP,
    file: None,
    flags: pte_core::flag_table!(Flags6_6),
    hw_bits: HW_BITS,
    // Svade (Linux's default): the MMU writes nothing; A/D clear raise page faults.
    hw_set: 0,
    hw_ignored: HW_IGNORED,
    reserved: RESERVED,
    sw_bits: SW_BITS,
    hw_ad: HwAccessDirty::SoftwareOnly,
    helpers: HELPERS,
    modify_keep: CHG_MASK,
    default_limits: LIMITS,
    geometries: &[SV39, SV48, SV57],
    source: "Linux 6.6 (checked against 6.6.9 and 6.6.87) arch/riscv/include/asm/pgtable-bits.h, pgtable-64.h, pgtable.h, sparsemem.h; include/linux/swap.h, swapops.h",
    kernels: KERNELS_6_6,
};

bitflags::bitflags! {
    /// Flags of a present riscv64/6.18 PTE (`arch/riscv/include/asm/pgtable-bits.h`,
    /// `pgtable-64.h`; Linux 6.18.35): the same bits as [`Flags6_6`]. 6.18 has no
    /// `_PAGE_SOFT_DIRTY` or `_PAGE_UFFD_WP` (Svrsw60t59b support is Linux 6.19).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct Flags6_18: u64 {
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
        /// `_PAGE_SPECIAL (1 << 8)` (line 21, "RSW: 0x1"); `_PAGE_SOFT (3 << 8)` (line 19)
        /// is the whole RSW field.
        const SPECIAL = 1 << 8;
        /// `_PAGE_MTMASK riscv_page_mtmask()` (`pgtable-64.h` line 169,
        /// `CONFIG_RISCV_ISA_SVPBMT`): with Svpbmt `_PAGE_MTMASK_SVPBMT` (line 125) =
        /// `_PAGE_NOCACHE_SVPBMT (1UL << 61)` | `_PAGE_IO_SVPBMT (1UL << 62)` (lines 123–124).
        const MTMASK = 3 << 61;
        /// `_PAGE_NAPOT BIT(_PAGE_NAPOT_SHIFT)`, `_PAGE_NAPOT_SHIFT 63` (`pgtable-64.h`
        /// lines 86–87, `CONFIG_RISCV_ISA_SVNAPOT`): Svnapot's N.
        const NAPOT = 1 << 63;
    }
}

/// The releases with the riscv64/6.18 format: the same as riscv64/6.6 ([`KERNELS_6_6`]),
/// because the two layouts are one format, bit for bit.
pub const KERNELS_6_18: Kernels = KERNELS_6_6;

/// `riscv64/6.18`.
#[doc = include_str!("../diagrams/riscv64-6.18.txt")]
pub const LAYOUT_6_18: Layout = Layout {
    name: "riscv64/6.18",
    family: Family::Riscv64,
    word_bits: 64,
    // `_PAGE_PRESENT (1 << 0)` (pgtable-bits.h line 11).
    valid_bit: 0,
    // `pte_none(pte) = pte_val(pte) == 0` (pgtable.h line 369).
    none_ignore: 0,
    // As 6.6: `pte_present()` (pgtable.h line 351) tests `_PAGE_PRESENT | _PAGE_PROT_NONE`,
    // `pte_protnone()` (line 465) the marker without `_PAGE_PRESENT`; `_PAGE_PROT_NONE
    // _PAGE_GLOBAL` (pgtable-bits.h line 28).
    protnone: ProtNoneRule::Marker { bit: 5 },
    // `pte_pfn()` (pgtable.h lines 321–329): as 6.6, `__page_val_to_pfn(pte_val(pte))` with
    // the NAPOT adjustment `res & (res - 1UL)` (not modelled).
    pfn: PFN,
    page_present: 1,
    page_none: PAGE_NONE,
    page_readonly: PAGE_READ,
    page_shared: PAGE_WRITE,
    // As 6.6: `_PAGE_SWP_EXCLUSIVE _PAGE_ACCESSED` (pgtable-bits.h line 31); no swap
    // soft-dirty or uffd-wp bit.
    swap: SWAP,
    file: None,
    flags: pte_core::flag_table!(Flags6_18),
    // As 6.6: bits 54–60 are reserved (the pgtable-64.h comment, lines 75–77, still says
    // "60 54 RSV").
    hw_bits: HW_BITS,
    // Svade: see the crate docs (Svadu is left to the firmware and dropped when Svade is
    // also listed).
    hw_set: 0,
    hw_ignored: HW_IGNORED,
    reserved: RESERVED,
    sw_bits: SW_BITS,
    hw_ad: HwAccessDirty::SoftwareOnly,
    // As 6.6: `pte_mkdirty(pte) = __pte(pte_val(pte) | _PAGE_DIRTY)` (pgtable.h line 425).
    helpers: HELPERS,
    // `_PAGE_CHG_MASK` as 6.6 (pgtable-64.h line 172).
    modify_keep: CHG_MASK,
    default_limits: LIMITS,
    geometries: &[SV39, SV48, SV57],
    source: "Linux 6.18 (checked against 6.18.35) arch/riscv/include/asm/pgtable-bits.h, pgtable-64.h, pgtable.h, sparsemem.h; include/linux/swap.h, swapops.h",
    kernels: KERNELS_6_18,
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
// of silently using it (59–60 become software bits with Svrsw60t59b, which Linux uses from
// 6.19; 61–63 are Svpbmt and Svnapot; and 1–4 are R W X U).
pte_core::lock_bit!(Riscv64_6_6, bit = 58, discipline = NoneOnly);

// riscv64/6.18: the same entry as 6.6, so the same bit, none-only, for the same reasons (the
// none-only bits are again 1–4 and 58–63).
pte_core::lock_bit!(Riscv64_6_18, bit = 58, discipline = NoneOnly);

static_assertions::assert_eq_size!(pte_core::Pte<Riscv64_6_6>, u64);
static_assertions::assert_impl_all!(Riscv64_6_6: pte_core::LockBit);
static_assertions::assert_impl_all!(Riscv64_6_18: pte_core::LockBit);

// The VA widths of the geometries.
static_assertions::const_assert_eq!(SV39.va_bits(), 39);
static_assertions::const_assert_eq!(SV48.va_bits(), 48);
static_assertions::const_assert_eq!(SV57.va_bits(), 57);

// 6.18 declares the same bits as 6.6.
static_assertions::const_assert_eq!(Flags6_6::all().bits(), Flags6_18::all().bits());

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
