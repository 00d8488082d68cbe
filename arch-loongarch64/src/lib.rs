//! # arch-loongarch64
//!
//! The loongarch64 Linux PTE layouts, as data for `pte-core`:
//!
//! * [`Loongarch64_6_6`] — Linux 6.6 (`arch/loongarch/include/asm/pgtable-bits.h`,
//!   `pgtable.h`): hardware V (bit 0, reused as `_PAGE_ACCESSED`), D (1), PLV (2–3), MAT (4–5),
//!   G (6), PPN, NR (61), NX (62), RPLV (63); software `_PAGE_PRESENT` (7), `_PAGE_WRITE` (8),
//!   `_PAGE_MODIFIED` (9), `_PAGE_PROTNONE` (10), `_PAGE_SPECIAL` (11); swap type 16–22,
//!   exclusive 23, offset 24–63. (6.6 has no `_PAGE_DEVMAP`: `pgtable-bits.h` of 6.6.9 and
//!   6.6.87 defines none.)
//! * [`Loongarch64_6_18`] — Linux 6.18: the same bits as 6.6 (`pgtable-bits.h` lines 9–91
//!   are identical in 6.6.87 and 6.18.35); `pte_modify()` differs: 6.18 first moves `_PAGE_DIRTY`
//!   into `_PAGE_MODIFIED` (`pgtable.h` lines 425–432 of 6.18.35).
//!
//! ## Configuration
//!
//! * `CONFIG_64BIT`, `CONFIG_PAGE_SIZE_16KB` (the `loongson3_defconfig` page size) and
//!   `CONFIG_PGTABLE_LEVELS` 3: `PAGE_SHIFT` 14, so `PFN_PTE_SHIFT = PAGE_SHIFT - 12 +
//!   _PAGE_PFN_SHIFT` = 14 and `_PFN_MASK` covers bits 14–47 (`_PAGE_PFN_END_SHIFT` 48).
//!   Other page sizes move the PFN and are not modelled.
//! * `CONFIG_NUMA_BALANCING` = y: `pte_protnone()` exists.
//!
//! Both are `arch/loongarch/configs/loongson3_defconfig`: `CONFIG_PAGE_SIZE_16KB=y` (line 41
//! in 6.6.9 and 6.6.87, line 53 in 6.18.35), `CONFIG_NUMA_BALANCING=y` (line 16; 23 in
//! 6.18.35). The defconfig does not set `CONFIG_PGTABLE_LEVELS`; 3 is the Kconfig default
//! for 16K pages (not re-read here).
//!
//! ## Hardware accessed / dirty
//!
//! LoongArch refills its TLB in software (`handle_tlb_refill`, `lddir` / `ldpte`): an access
//! through an entry with V clear raises a TLB load / store / fetch exception, a store through
//! an entry with D clear a page-modify exception. Linux reuses V as `_PAGE_ACCESSED` ("Reuse
//! Valid for Accessed"), keeps its own `_PAGE_PRESENT` (bit 7), and tracks dirtiness with
//! `_PAGE_MODIFIED` (bit 9): D is a write enable, set only when `_PAGE_WRITE` and
//! `_PAGE_MODIFIED` both hold ([`HelperModel::WriteEnableDirty`]).
//!
//! The exception handlers of `arch/loongarch/mm/tlbex.S` update the entry themselves, below
//! the C fault path, like an x86 MMU: `handle_tlb_load` ORs `_PAGE_VALID` into an entry with
//! `_PAGE_PRESENT` (lines 92–95 of 6.6.9 / 6.6.87, 95–98 of 6.18.35), `handle_tlb_store` and
//! `handle_tlb_modify` OR `_PAGE_VALID | _PAGE_DIRTY | _PAGE_MODIFIED` into one with
//! `_PAGE_PRESENT | _PAGE_WRITE` (lines 245–249 and 404 of 6.6.87; 251–255 and later in
//! 6.18.35); anything else goes to `do_page_fault`. The layouts therefore say
//! [`HwAccessDirty::SetsAccessedDirty`], `hw_set` = V | D | `_PAGE_MODIFIED`. (LoongArch does
//! not define `pte_sw_mkyoung`: in these trees only `arch/mips/include/asm/pgtable.h` does,
//! line 401 of 6.6.87; the generic one in `include/linux/pgtable.h`, lines 654–660 of 6.6.87,
//! 633–639 of 6.6.9, 958–964 of 6.18.35, returns the entry unchanged. An entry installed old is
//! made young by `handle_tlb_load` on its first access.)
//!
//! ## Sources and ambiguities
//!
//! Every value was checked against three kernel trees whose top-level `Makefile` gives the
//! version: 6.6.9 (GitHub `mihaelbh/adding-new-sched-policy-to-linux-6.6.9`, import commit
//! `ad8d9458f5c4`), 6.6.87 (`Yunbaby8/linux-6.6.87-lab`, `12bdb17085816`) and 6.18.35
//! (`leftymods/linux-6.18.y`, `02ebe6b2e340`). These are copies of the stable releases in
//! third-party repositories; the upstream tags themselves were not read. Line numbers are
//! 6.6.87's (6.6.9's are the same unless given), then 6.18.35's:
//!
//! * `arch/loongarch/include/asm/pgtable-bits.h`: the `_PAGE_*_SHIFT` list (lines 9–28),
//!   `_PFN_MASK` (58–59), `_CACHE_CC` (68), `_PAGE_CHG_MASK` (77: `_PAGE_MODIFIED |
//!   _PAGE_SPECIAL | _PFN_MASK | _CACHE_MASK | _PAGE_PLV`, no `_PAGE_ACCESSED`, so
//!   `pte_modify()` drops V), `PAGE_NONE` / `PAGE_SHARED` / `PAGE_READONLY` (80–84); the
//!   same lines in all three trees.
//! * `arch/loongarch/include/asm/pgtable.h`: `pte_pfn` (253; 261), `mk_swap_pte`,
//!   `__swp_type`, `__swp_offset` (281–285; 293–297), `pte_none`, `pte_present` (311–312;
//!   323–324), `pte_mkyoung` … `pte_mkwrite_novma` (383–409; 365–391), `pte_modify` (449–453;
//!   425–432), `pte_protnone` (604; 586).
//! * `include/linux/swap.h`: `MAX_SWAPFILES_SHIFT 5` (line 50; 49).
//! * `arch/loongarch/include/asm/sparsemem.h`: `MAX_PHYSMEM_BITS 48` (line 12).
//!
//! Ambiguities:
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
use pte_core::kernels::{KernelNote, KernelRange, KernelVersion, Kernels};
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
    high: None,
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

/// `_PAGE_CHG_MASK = _PAGE_MODIFIED | _PAGE_SPECIAL | _PFN_MASK | _CACHE_MASK | _PAGE_PLV`.
const CHG_MASK: u64 = 1 << 9 | 1 << 11 | bits(14, 47) | 3 << 4 | 3 << 2;

/// What the TLB exception handlers OR into an entry: `_PAGE_VALID | _PAGE_DIRTY |
/// _PAGE_MODIFIED` (`arch/loongarch/mm/tlbex.S`).
const TLBEX_SET: u64 = 1 << 0 | 1 << 1 | 1 << 9;

/// Hardware bits (`TLBELO`): V D PLV MAT G (0–6), PPN 12–47 (PALEN 48), NR NX RPLV (61–63).
const HW_BITS: u64 = bits(0, 6) | bits(12, 47) | bits(61, 63);

/// `_PAGE_ACCESSED` = V (0), `_PAGE_WRITE` 8, `_PAGE_MODIFIED` 9, `_PAGE_DIRTY` = D (1);
/// 6.6's `pte_modify()` masks the entry only (`pgtable.h` lines 449–453 of 6.6.9 / 6.6.87).
const HELPERS_6_6: HelperModel = HelperModel::WriteEnableDirty {
    accessed: 0,
    write: 8,
    modified: 9,
    hw_dirty: 1,
    modify_saves_dirty: false,
};

/// As 6.6, but `pte_modify()` first sets `_PAGE_MODIFIED` if `_PAGE_DIRTY` is set (`pgtable.h`
/// lines 425–432 of 6.18.35).
const HELPERS_6_18: HelperModel = HelperModel::WriteEnableDirty {
    accessed: 0,
    write: 8,
    modified: 9,
    hw_dirty: 1,
    modify_saves_dirty: true,
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
        /// `_PAGE_NO_READ` (`_PAGE_NO_READ_SHIFT 61`), the hardware NR.
        const NO_READ = 1 << 61;
        /// `_PAGE_NO_EXEC` (`_PAGE_NO_EXEC_SHIFT 62`), the hardware NX.
        const NO_EXEC = 1 << 62;
        /// `_PAGE_RPLV` (`_PAGE_RPLV_SHIFT 63`), the hardware RPLV.
        const RPLV = 1 << 63;
    }
}

/// The notes of both LoongArch layouts.
const PTE_DIRTY_6_3: KernelNote = KernelNote {
    kernels: KernelRange::new(KernelVersion::new(6, 3), KernelVersion::new(6, 4)),
    text: "pte_dirty() tests _PAGE_MODIFIED alone (6.3.8; 6.5.0 tests both bits, a change \
           made with the hardware page-table walker support; 6.4 not read): the same answer on \
           every entry these releases write, as they set D only together with _PAGE_MODIFIED",
};
const DEVMAP: KernelNote = KernelNote {
    kernels: KernelRange::new(KernelVersion::new(6, 11), KernelVersion::new(6, 16)),
    text: "_PAGE_DEVMAP is bit 59, a software bit of present entries that _PAGE_CHG_MASK keeps: \
           bit 59 is not any-state here (read in 6.11.11 to 6.14; gone in 6.17.0; 6.15 and \
           6.16 not read)",
};

/// The releases with the loongarch64/6.6 and loongarch64/6.18 format (the two layouts differ
/// only in `pte_modify()`): 6.3 to the newest checked (7.0). The copies of each release are
/// listed in docs/DESIGN.md, "Which layout for which kernel".
///
/// * **First, 6.3**: `_PAGE_SWP_EXCLUSIVE` (bit 23) and the 7-bit swap type (`& 0x7f`)
///   arrived with "mm: support __HAVE_ARCH_PTE_SWP_EXCLUSIVE on all architectures with swap
///   PTEs" (David Hildenbrand, 6.3): 6.3.8 has them, 6.2.12 has an 8-bit type (`& 0xff`) and
///   no exclusive bit.
/// * **Last**: `pgtable-bits.h` and the `pte_none` / `pte_present` / `pte_protnone` /
///   `pte_pfn` / swap macros of `pgtable.h` give the same 64-bit entries in 6.5, 6.6.9,
///   6.6.87, 6.9, 6.12.19, 6.17.0, 6.18.35, 6.19.0 and 7.0 (6.19 rewrote the swap macros with
///   `__SWP_TYPE_SHIFT` 16, `__SWP_TYPE_BITS` 7, `__SWP_OFFSET_SHIFT` 24: the same values).
///
/// loongarch64/6.6 has 6.6's `pte_modify()`, which masks; from 6.18 it first copies
/// `_PAGE_DIRTY` into `_PAGE_MODIFIED` (loongarch64/6.18): see the notes.
pub const KERNELS_6_6: Kernels = Kernels {
    range: KernelRange::since(KernelVersion::new(6, 3)),
    notes: &[
        PTE_DIRTY_6_3,
        DEVMAP,
        KernelNote {
            kernels: KernelRange::since(KernelVersion::new(6, 18)),
            text: "pte_modify() first copies _PAGE_DIRTY into _PAGE_MODIFIED (\"LoongArch: Let \
                   {pte,pmd}_modify() record the status of _PAGE_DIRTY\", applied 7 Nov 2025; \
                   read in 6.18.2, 6.18.35, 6.19.0 and 7.0, not in 6.17.0): loongarch64/6.18 \
                   models that",
        },
    ],
};

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
    // `handle_tlb_load` / `handle_tlb_store` / `handle_tlb_modify` (`tlbex.S`) set V, D and
    // `_PAGE_MODIFIED`.
    hw_set: TLBEX_SET,
    hw_ignored: bits(7, 11) | bits(48, 60),
    reserved: 0,
    // `_PAGE_PRESENT` 7, `_PAGE_WRITE` 8, `_PAGE_MODIFIED` 9, `_PAGE_PROTNONE` 10,
    // `_PAGE_SPECIAL` 11.
    sw_bits: bits(7, 11),
    hw_ad: HwAccessDirty::SetsAccessedDirty,
    helpers: HELPERS_6_6,
    // `_PAGE_CHG_MASK = _PAGE_MODIFIED | _PAGE_SPECIAL | _PFN_MASK | _CACHE_MASK | _PAGE_PLV`
    // (`pgtable-bits.h` line 77): not `_PAGE_ACCESSED`.
    modify_keep: CHG_MASK,
    default_limits: LIMITS,
    geometries: &[G16K_3_LEVEL],
    source: "Linux 6.6 arch/loongarch/include/asm/pgtable-bits.h, pgtable.h, sparsemem.h; include/linux/swap.h, swapops.h",
    kernels: KERNELS_6_6,
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

/// The releases with the loongarch64/6.18 format: the same range as loongarch64/6.6
/// ([`KERNELS_6_6`]); the two differ in `pte_modify()`, whose change is in 6.18.2, 6.18.35,
/// 6.19.0 and 7.0 and not in 6.17.0 (the LoongArch tree applied it on 7 Nov 2025, during the
/// 6.18 release candidates; 6.18.0 itself was not read, 6.18.2 came two weeks after it).
pub const KERNELS_6_18: Kernels = Kernels {
    range: KernelRange::since(KernelVersion::new(6, 3)),
    notes: &[
        PTE_DIRTY_6_3,
        DEVMAP,
        KernelNote {
            kernels: KernelRange::new(KernelVersion::new(6, 3), KernelVersion::new(6, 17)),
            text: "pte_modify() only masks: an entry with _PAGE_DIRTY (set by the hardware \
                   page-table walker) but not _PAGE_MODIFIED loses its dirtiness \
                   (loongarch64/6.6 models that)",
        },
    ],
};

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
    hw_set: TLBEX_SET,
    hw_ignored: bits(7, 11) | bits(48, 60),
    reserved: 0,
    // `_PAGE_PRESENT` 7, `_PAGE_WRITE` 8, `_PAGE_MODIFIED` 9, `_PAGE_PROTNONE` 10,
    // `_PAGE_SPECIAL` 11.
    sw_bits: bits(7, 11),
    hw_ad: HwAccessDirty::SetsAccessedDirty,
    helpers: HELPERS_6_18,
    // `_PAGE_CHG_MASK`, as 6.6 (`pgtable-bits.h` line 77 of 6.18.35).
    modify_keep: CHG_MASK,
    default_limits: LIMITS,
    geometries: &[G16K_3_LEVEL],
    source: "Linux 6.18 arch/loongarch/include/asm/pgtable-bits.h, pgtable.h, sparsemem.h; include/linux/swap.h, swapops.h",
    kernels: KERNELS_6_18,
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
// bits are 7–11. Bit 60 is `_PAGE_PRESENT_INVALID` in PMDs only
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
