//! # arch-ia64-sim
//!
//! The ia64 (Itanium) Linux PTE layouts, as data for `pte-core`:
//!
//! * [`Ia64_2_6_8`] — Linux 2.6.8 (`include/asm-ia64/pgtable.h`): nonlinear file PTEs
//!   (`_PAGE_FILE` = bit 1, pgoff in bits 2–62), swap type in bits 2–8 and offset in bits
//!   9–62, `_PAGE_PROTNONE` = bit 63.
//! * [`Ia64_2_6_8_Pgoff51`] — the same layout with file pgoffs narrowed to 51 bits (pgoffs are
//!   bounded by `i_size`), which makes bit 56 an any-state lock bit: an explicit, typed
//!   trade-off.
//! * [`Ia64_6_6`] — Linux 6.6, the last release with `arch/ia64`
//!   (`arch/ia64/include/asm/pgtable.h`): swap type in bits 1–6, `_PAGE_SWP_EXCLUSIVE` =
//!   bit 7, offset in bits 8–62; no file PTEs.
//!
//! Both eras share the present-entry format, which is the hardware's: the PTE "matches the
//! VHPT short format, the first doubleword of the VHPD long format, and the first doubleword
//! of the TLB insertion format" (`pgtable.h`).
//!
//! ## What is simulated
//!
//! rustc has no Itanium target, so this crate builds and runs on any host. The layouts are
//! plain data; what ia64 hardware does differently from x86 is recorded in them and
//! reproduced by `pte-core`'s software MMU:
//!
//! * **Accessed and dirty bits are never written by the hardware**
//!   ([`HwAccessDirty::SoftwareOnly`], `hw_set` = 0). An access through an entry whose
//!   `_PAGE_A` is clear raises an Access-bit fault (IVT 0x2400 instruction, 0x2800 data); a
//!   write through an entry whose `_PAGE_D` is clear raises a Dirty-bit fault (IVT 0x2000).
//!   Linux's handlers in `arch/ia64/kernel/ivt.S` OR in `_PAGE_A` (respectively
//!   `_PAGE_D | _PAGE_A`) and write the PTE back with `cmpxchg8.acq`, an 8-byte
//!   compare-and-exchange with acquire semantics. In 6.6 they update only an entry that is
//!   still present; in 2.6.8 they re-check afterwards and purge the TLB (`ptc.l`) if the PTE
//!   changed meanwhile. They read-modify-write the whole word, so they keep a lock bit, but
//!   they do not honour it.
//! * **Page sizes** 4, 8, 16 and 64 KiB (`CONFIG_IA64_PAGE_SIZE_{4,8,16,64}KB`, `PAGE_SHIFT`
//!   12, 13, 14, 16; 16 KiB is the default and 64 KiB needs a non-Merced CPU). The layouts'
//!   PFN is that of the default: 16 KiB pages, word bits 14–49.
//! * **Levels**: 3 in 2.6.8; 3 (default) or 4 in 6.6 (`CONFIG_PGTABLE_LEVELS`, 4 not with
//!   64 KiB pages). Each of the 8 regions (address bits 61–63) has its own slice of the root
//!   table; see [`G16K_3_LEVEL`].
#![no_std]
#![deny(missing_docs)]
#![allow(non_camel_case_types)]

use pte_core::Word64;
use pte_core::kernels::{KernelRange, KernelVersion, Kernels};
use pte_core::limits::Limits;
use pte_core::model::bit_range as bits;
use pte_core::model::{
    Family, Field, FileFormat, Geometry, HelperModel, HwAccessDirty, Layout, PfnFormat,
    ProtNoneRule, SwapFormat, ValueField,
};

/// Index bits of the root (PGD) table **per region**: `PAGE_SHIFT - 6`.
///
/// `PTRS_PER_PGD = 1 << (PAGE_SHIFT - 3)` entries are shared by the 8 regions:
/// `pgd_index() = (region << (PAGE_SHIFT - 6)) | l1index`, so the root index also takes the
/// 3 region bits (61–63) of the address, and one region walks `PAGE_SHIFT - 6` bits of it.
const fn root_bits(page_shift: u32) -> u32 {
    page_shift - 6
}

/// Index bits of the lower levels (PUD, PMD, PTE): `PTRS_PER_PTD_SHIFT = PAGE_SHIFT - 3`
/// (a page of 8-byte entries).
const fn dir_bits(page_shift: u32) -> u32 {
    page_shift - 3
}

/// 16 KiB pages, 3 levels: the default of both eras (`CONFIG_IA64_PAGE_SIZE_16KB`).
///
/// Levels per region: the root table indexes `PAGE_SHIFT - 6` bits and the others
/// `PAGE_SHIFT - 3` (`PMD_SHIFT = PAGE_SHIFT + (PAGE_SHIFT - 3)`,
/// `PGDIR_SHIFT = PAGE_SHIFT + 2 * (PAGE_SHIFT - 3)`). The PGD is one table for the whole
/// address space: its index also takes the 3 region bits,
/// `pgd_index() = (region << (PAGE_SHIFT - 6)) | l1index`, so each of the 8 regions owns
/// `PTRS_PER_PGD / 8` entries (user regions 0–4: `USER_PTRS_PER_PGD = 5 * PTRS_PER_PGD / 8`).
/// [`Geometry::va_bits`] is therefore the span of one region: 44 bits here.
pub const G16K_3_LEVEL: Geometry = Geometry {
    name: "16K/3-level",
    page_shift: 14,
    level_bits: &[root_bits(14), dir_bits(14), dir_bits(14)],
};
/// 4 KiB pages, 3 levels (`CONFIG_IA64_PAGE_SIZE_4KB`); levels as in [`G16K_3_LEVEL`].
pub const G4K_3_LEVEL: Geometry = Geometry {
    name: "4K/3-level",
    page_shift: 12,
    level_bits: &[root_bits(12), dir_bits(12), dir_bits(12)],
};
/// 8 KiB pages, 3 levels (`CONFIG_IA64_PAGE_SIZE_8KB`); levels as in [`G16K_3_LEVEL`].
pub const G8K_3_LEVEL: Geometry = Geometry {
    name: "8K/3-level",
    page_shift: 13,
    level_bits: &[root_bits(13), dir_bits(13), dir_bits(13)],
};
/// 64 KiB pages, 3 levels (`CONFIG_IA64_PAGE_SIZE_64KB`, `depends on !ITANIUM`); levels as in
/// [`G16K_3_LEVEL`].
pub const G64K_3_LEVEL: Geometry = Geometry {
    name: "64K/3-level",
    page_shift: 16,
    level_bits: &[root_bits(16), dir_bits(16), dir_bits(16)],
};
/// 4 KiB pages, 4 levels (6.x `CONFIG_PGTABLE_LEVELS=4`: a PUD between PGD and PMD,
/// `PUD_SHIFT = PMD_SHIFT + PTRS_PER_PTD_SHIFT`); root per region as in [`G16K_3_LEVEL`].
pub const G4K_4_LEVEL: Geometry = Geometry {
    name: "4K/4-level",
    page_shift: 12,
    level_bits: &[root_bits(12), dir_bits(12), dir_bits(12), dir_bits(12)],
};
/// 8 KiB pages, 4 levels (6.x `CONFIG_PGTABLE_LEVELS=4`); see [`G4K_4_LEVEL`].
pub const G8K_4_LEVEL: Geometry = Geometry {
    name: "8K/4-level",
    page_shift: 13,
    level_bits: &[root_bits(13), dir_bits(13), dir_bits(13), dir_bits(13)],
};
/// 16 KiB pages, 4 levels (6.x `CONFIG_PGTABLE_LEVELS=4`); see [`G4K_4_LEVEL`]. There is no
/// 64 KiB 4-level geometry (`PGTABLE_LEVELS_4` depends on `!IA64_PAGE_SIZE_64KB`).
pub const G16K_4_LEVEL: Geometry = Geometry {
    name: "16K/4-level",
    page_shift: 14,
    level_bits: &[root_bits(14), dir_bits(14), dir_bits(14), dir_bits(14)],
};

/// `pte_pfn(pte) = (pte_val(pte) & _PFN_MASK) >> PAGE_SHIFT`, `_PFN_MASK = _PAGE_PPN_MASK`
/// = bits 12–49 (`IA64_MAX_PHYS_BITS 50`). With the default 16 KiB pages (`PAGE_SHIFT 14`)
/// the PFN is bits 14–49, 36 bits; `pfn_pte()` shifts by `PAGE_SHIFT`, so bits 12–13 are 0.
const PFN: PfnFormat = PfnFormat {
    field: Field {
        shift: 14,
        width: 36,
    },
    high: None,
    value_bits: 36,
    protnone_inverted: false,
};

/// `_PAGE_P` (`_PAGE_P_BIT 0`).
const PAGE_P: u64 = 1 << 0;
/// `_PAGE_A` (`_PAGE_A_BIT 5`).
const PAGE_A: u64 = 1 << 5;
/// `_PAGE_PL_MASK` (`3 << 7`).
const PAGE_PL_MASK: u64 = 3 << 7;
/// `_PAGE_AR_MASK` (`7 << 9`).
const PAGE_AR_MASK: u64 = 7 << 9;
/// `_PAGE_ED` (`1 << 52`).
const PAGE_ED: u64 = 1 << 52;
/// `_PAGE_PROTNONE` (`1 << 63`).
const PAGE_PROTNONE: u64 = 1 << 63;

/// `PAGE_NONE = __pgprot(_PAGE_PROTNONE | _PAGE_A)` (both eras).
const PAGE_NONE: u64 = PAGE_PROTNONE | PAGE_A;

/// `_PAGE_CHG_MASK = (_PAGE_P | _PAGE_PROTNONE | _PAGE_PL_MASK | _PAGE_AR_MASK | _PAGE_ED)`
/// ("the odd bits are there for _PAGE_PROTNONE"): the bits `pte_modify()` takes from the new
/// protection, `(pte_val(pte) & ~_PAGE_CHG_MASK) | (pgprot_val(newprot) & _PAGE_CHG_MASK)`.
const PAGE_CHG_MASK: u64 = PAGE_P | PAGE_PROTNONE | PAGE_PL_MASK | PAGE_AR_MASK | PAGE_ED;

/// docs/DESIGN.md#hardware-bits: hardware bits 0–52 (p, rv, ma, a, d, pl, ar, ppn, rv, ed).
const HW_BITS: u64 = bits(0, 52);
/// SDM §4.1.5: bits 53–63 are `ig`, "available – field for software use".
const HW_IGNORED: u64 = bits(53, 63);
/// SDM §4.1.5: bit 1 and bits 50–51 are `rv` (an entry with a reserved bit set is not
/// inserted into the TLB).
const RESERVED: u64 = 1 << 1 | bits(50, 51);

/// `pte_young`/`pte_mkyoung`/`pte_mkold` use `_PAGE_A` (bit 5), `pte_dirty`/`pte_mkdirty`/
/// `pte_mkclean` `_PAGE_D` (bit 6); `pte_write` reads `_PAGE_AR_MASK >> _PAGE_AR_SHIFT`
/// (`(unsigned)(ar - 2) <= 4`) and `pte_wrprotect`/`pte_mkwrite` clear/set
/// `_PAGE_AR_RW = 2 << 9` (bit 10). Identical in both eras.
const HELPERS: HelperModel = HelperModel::Ia64 {
    accessed: 5,
    dirty: 6,
    ar: Field { shift: 9, width: 3 },
    ar_rw: 10,
};

bitflags::bitflags! {
    /// Flags of a present ia64/2.6.8 PTE (`include/asm-ia64/pgtable.h`).
    ///
    /// The multi-bit fields are one flag each; their values (`_PAGE_AR_RW`, `_PAGE_PL_3`, …)
    /// are inherent constants. Bit 1 (hardware `rv`) is `_PAGE_FILE` and bit 63 (hardware
    /// `ig`) is `_PAGE_PROTNONE`, both only in not-present entries, so neither is a flag here.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct Flags2_6_8: u64 {
        /// `_PAGE_P` (`_PAGE_P_BIT 0`): present.
        const P = 1 << 0;
        /// `_PAGE_MA_MASK` (`0x7 << 2`): memory attribute (WB 0, UC 4, UCE 5, WC 6, NaT 7).
        const MA = 0x7 << 2;
        /// `_PAGE_A` (`_PAGE_A_BIT 5`): accessed, set by software on an Access-bit fault.
        const A = 1 << 5;
        /// `_PAGE_D` (`_PAGE_D_BIT 6`): dirty, set by software on a Dirty-bit fault.
        const D = 1 << 6;
        /// `_PAGE_PL_MASK` (`3 << 7`): privilege level (0 kernel … 3 user).
        const PL = 3 << 7;
        /// `_PAGE_AR_MASK` (`7 << 9`, `_PAGE_AR_SHIFT 9`): access rights.
        const AR = 7 << 9;
        /// `_PAGE_ED` (`1 << 52`): exception deferral.
        const ED = 1 << 52;
    }
}

/// The kernel's multi-bit field values (`_PAGE_MA_*`, `_PAGE_PL_*`, `_PAGE_AR_*`) and
/// protections, as inherent constants. They are not `bitflags` flags, so the layout's flag
/// table keeps one entry per field.
impl Flags2_6_8 {
    /// `_PAGE_MA_WB` (`0x0 << 2`): write-back memory attribute.
    pub const MA_WB: Self = Self::from_bits_retain(0x0 << 2);
    /// `_PAGE_MA_UC` (`0x4 << 2`): uncacheable.
    pub const MA_UC: Self = Self::from_bits_retain(0x4 << 2);
    /// `_PAGE_MA_UCE` (`0x5 << 2`): uncacheable, exported.
    pub const MA_UCE: Self = Self::from_bits_retain(0x5 << 2);
    /// `_PAGE_MA_WC` (`0x6 << 2`): write coalescing.
    pub const MA_WC: Self = Self::from_bits_retain(0x6 << 2);
    /// `_PAGE_MA_NAT` (`0x7 << 2`): NaTPage.
    pub const MA_NAT: Self = Self::from_bits_retain(0x7 << 2);
    /// `_PAGE_PL_0` (`0 << 7`): privilege level 0 (kernel).
    pub const PL_0: Self = Self::from_bits_retain(0 << 7);
    /// `_PAGE_PL_3` (`3 << 7`): privilege level 3 (user).
    pub const PL_3: Self = Self::from_bits_retain(3 << 7);
    /// `_PAGE_AR_R` (`0 << 9`): read only.
    pub const AR_R: Self = Self::from_bits_retain(0 << 9);
    /// `_PAGE_AR_RX` (`1 << 9`): read & execute.
    pub const AR_RX: Self = Self::from_bits_retain(1 << 9);
    /// `_PAGE_AR_RW` (`2 << 9`): read & write; the bit `pte_mkwrite`/`pte_wrprotect`
    /// set and clear.
    pub const AR_RW: Self = Self::from_bits_retain(2 << 9);
    /// `_PAGE_AR_RWX` (`3 << 9`): read, write & execute.
    pub const AR_RWX: Self = Self::from_bits_retain(3 << 9);
    /// `_PAGE_AR_R_RW` (`4 << 9`): read / read & write.
    pub const AR_R_RW: Self = Self::from_bits_retain(4 << 9);
    /// `_PAGE_AR_RX_RWX` (`5 << 9`): read & exec / read, write & exec.
    pub const AR_RX_RWX: Self = Self::from_bits_retain(5 << 9);
    /// `_PAGE_AR_RWX_RW` (`6 << 9`): read, write & exec / read & write.
    pub const AR_RWX_RW: Self = Self::from_bits_retain(6 << 9);
    /// `_PAGE_AR_X_RX` (`7 << 9`): exec & promote / read & exec.
    pub const AR_X_RX: Self = Self::from_bits_retain(7 << 9);
    /// `__ACCESS_BITS = _PAGE_ED | _PAGE_A | _PAGE_P | _PAGE_MA_WB`.
    pub const ACCESS_BITS: Self = Self::from_bits_retain(1 << 52 | 1 << 5 | 1 << 0);
    /// `PAGE_SHARED = __pgprot(__ACCESS_BITS | _PAGE_PL_3 | _PAGE_AR_RW)`.
    pub const PAGE_SHARED: Self =
        Self::from_bits_retain(Self::ACCESS_BITS.bits() | 3 << 7 | 2 << 9);
    /// `PAGE_READONLY = __pgprot(__ACCESS_BITS | _PAGE_PL_3 | _PAGE_AR_R)`.
    pub const PAGE_READONLY: Self = Self::from_bits_retain(Self::ACCESS_BITS.bits() | 3 << 7);
    /// `PAGE_KERNEL = __pgprot(__DIRTY_BITS | _PAGE_PL_0 | _PAGE_AR_RWX)`, with
    /// `__DIRTY_BITS = _PAGE_ED | _PAGE_A | _PAGE_P | _PAGE_D | _PAGE_MA_WB`.
    pub const PAGE_KERNEL: Self =
        Self::from_bits_retain(Self::ACCESS_BITS.bits() | 1 << 6 | 3 << 9);
}

/// The releases with the ia64/2.6.8 format: 2.6.8 to 3.19 (the copies of each release are
/// listed in docs/DESIGN.md, "Which layout for which kernel").
///
/// * **First, 2.6.8**: the releases before 2.6.8 were not read. 2.6.8's own
///   `include/asm-ia64/pgtable.h` has every value of this layout, `_PAGE_CHG_MASK` included
///   (the form the layout inferred, see `modify_keep`).
/// * **Last, 3.19**: `_PAGE_FILE`, `_PAGE_PROTNONE`, `pte_none`, `pte_present`, `pte_pfn`,
///   `__swp_type` / `__swp_offset` and `pte_to_pgoff` are the same in 2.6.9, 2.6.11, 2.6.18,
///   2.6.24, through the mainline history to v2.6.33, and in 3.18.30 and 3.19.8
///   (`arch/ia64/include/asm/pgtable.h`). 4.0.5 has no `_PAGE_FILE`, and the swap type moved
///   to bit 1 (`__swp_type(entry) = (((entry).val >> 1) & 0x7f)`): Kirill Shutemov's removal
///   of nonlinear mappings, 4.0.
pub const KERNELS_2_6_8: Kernels = Kernels {
    range: KernelRange::new(KernelVersion::old(2, 6, 8), KernelVersion::new(3, 19)),
    notes: &[],
};

/// `ia64/2.6.8`.
///
/// No exact 2.6.8 copy of `include/asm-ia64/pgtable.h` was read: every value below is
/// identical in a pre-2.6.0 copy, the 2.6.9-based RHEL4 copy and the 2.6.12 copy, except
/// `_PAGE_CHG_MASK`, which changed in 2.6.0 (see `modify_keep`).
#[doc = include_str!("../diagrams/ia64-2.6.8.txt")]
pub const LAYOUT_2_6_8: Layout = Layout {
    name: "ia64/2.6.8",
    family: Family::Ia64,
    word_bits: 64,
    // `_PAGE_P_BIT 0`.
    valid_bit: 0,
    // `pte_none(pte) = (!pte_val(pte))`.
    none_ignore: 0,
    // `pte_present(pte) = pte_val(pte) & (_PAGE_P | _PAGE_PROTNONE)`, `_PAGE_PROTNONE` 1 << 63.
    protnone: ProtNoneRule::Marker { bit: 63 },
    // `pte_pfn(_pte) = ((pte_val(_pte) & _PFN_MASK) >> PAGE_SHIFT)`, 16 KiB pages.
    pfn: PFN,
    // `_PAGE_P`.
    page_present: PAGE_P,
    // `PAGE_NONE = __pgprot(_PAGE_PROTNONE | _PAGE_A)`.
    page_none: PAGE_NONE,
    // `PAGE_READONLY = __ACCESS_BITS | _PAGE_PL_3 | _PAGE_AR_R`, `PAGE_SHARED` with `_PAGE_AR_RW`.
    page_readonly: Flags2_6_8::PAGE_READONLY.bits(),
    page_shared: Flags2_6_8::PAGE_SHARED.bits(),
    // `__swp_type(entry) = (((entry).val >> 2) & 0x7f)` (bits 2–8),
    // `__swp_offset(entry) = (((entry).val << 1) >> 10)` (bits 9–62: bit 63 is shifted out),
    // `__swp_entry(type,offset) = ((type) << 2) | ((long) (offset) << 9)`. No swap-PTE flags.
    swap: SwapFormat {
        type_field: Field { shift: 2, width: 7 },
        offset: ValueField::plain(9, 54),
        exclusive: None,
        soft_dirty: None,
        uffd_wp: None,
    },
    // `pte_file(pte) = ((pte_val(pte) & _PAGE_FILE) != 0)`, `_PAGE_FILE` 1 << 1;
    // `pte_to_pgoff(pte) = ((pte_val(pte) << 1) >> 3)` (bits 2–62),
    // `pgoff_to_pte(off) = ((off) << 2) | _PAGE_FILE`.
    file: Some(FileFormat {
        marker: 1,
        pgoff: ValueField::plain(2, 61),
    }),
    flags: pte_core::flag_table!(Flags2_6_8),
    // docs/DESIGN.md#hardware-bits: hardware bits 0–52.
    hw_bits: HW_BITS,
    // The hardware sets neither `_PAGE_A` nor `_PAGE_D` (Access-bit / Dirty-bit faults).
    hw_set: 0,
    // SDM: 53–63 `ig`.
    hw_ignored: HW_IGNORED,
    // SDM: 1 and 50–51 `rv`.
    reserved: RESERVED,
    // `_PAGE_PROTNONE` (63) and `_PAGE_FILE` (1), "Valid only for a PTE with the present bit
    // cleared".
    sw_bits: PAGE_PROTNONE | 1 << 1,
    hw_ad: HwAccessDirty::SoftwareOnly,
    helpers: HELPERS,
    // `pte_modify()` keeps `~_PAGE_CHG_MASK`. The 2.6.9 (RHEL4) and 2.6.12 copies have the new
    // `_PAGE_CHG_MASK = (_PAGE_P | _PAGE_PROTNONE | _PAGE_PL_MASK | _PAGE_AR_MASK | _PAGE_ED)`;
    // a pre-2.6.0 copy has the old `(_PFN_MASK | _PAGE_A | _PAGE_D)`. The fix "was taken into
    // 2.6.0" (LKML, 5 Aug 2004), so 2.6.8 has the new form: inferred, not read from 2.6.8.
    modify_keep: !PAGE_CHG_MASK,
    // T = MAX_SWAPFILES_SHIFT 5; N = min(offset field 54, SWP_TYPE_SHIFT 59, 32-bit
    // `last_page`) = 32; M = PTE_FILE_MAX_BITS 61.
    default_limits: Limits {
        swap_type_bits: 5,
        swap_offset_bits: 32,
        file_pgoff_bits: Some(61),
    },
    // 3 levels (`PGDIR_SHIFT = PAGE_SHIFT + 2*(PAGE_SHIFT-3)`), 16 KiB pages by default.
    geometries: &[G16K_3_LEVEL, G4K_3_LEVEL, G8K_3_LEVEL, G64K_3_LEVEL],
    source: "Linux 2.6.8 include/asm-ia64/pgtable.h (bracketed by pre-2.6.0, 2.6.9 RHEL4 and 2.6.12 copies); include/linux/swap.h; arch/ia64/kernel/ivt.S",
    kernels: KERNELS_2_6_8,
};

/// Flags of a present ia64/6.6 PTE: the same bits as 2.6.8 (`_PAGE_FILE` is gone, and bit 7
/// is `_PAGE_SWP_EXCLUSIVE` only in swap entries).
pub type Flags6_6 = Flags2_6_8;

/// The releases with the ia64/6.6 format: 6.3 to 6.6, the last release with ia64.
///
/// * **First, 6.3**: `_PAGE_SWP_EXCLUSIVE (1 << 7)` and the 6-bit swap type (`& 0x3f`)
///   arrived with "mm: support __HAVE_ARCH_PTE_SWP_EXCLUSIVE on all architectures with swap
///   PTEs" (David Hildenbrand, 6.3): 6.3.8 has them, 6.2.12 has the 7-bit type of 4.0–6.2 and
///   no exclusive bit.
/// * **Last, 6.6**: 6.5 and 6.6 (6.6.9, 6.6.87) are the same; "arch: Remove Itanium (IA-64)
///   architecture" removed `arch/ia64` in 6.7 (6.9 has none; 6.7 and 6.8 were not read).
pub const KERNELS_6_6: Kernels = Kernels {
    range: KernelRange::new(KernelVersion::new(6, 3), KernelVersion::new(6, 6)),
    notes: &[],
};

/// `ia64/6.6`.
#[doc = include_str!("../diagrams/ia64-6.6.txt")]
pub const LAYOUT_6_6: Layout = Layout {
    name: "ia64/6.6",
    family: Family::Ia64,
    word_bits: 64,
    // `_PAGE_P_BIT 0`.
    valid_bit: 0,
    // `pte_none(pte) = (!pte_val(pte))`.
    none_ignore: 0,
    // `pte_present(pte) = (pte_val(pte) & (_PAGE_P | _PAGE_PROTNONE))`; ia64 has no
    // `pte_protnone()` of its own (no NUMA balancing), the marker is `_PAGE_PROTNONE` 1 << 63.
    protnone: ProtNoneRule::Marker { bit: 63 },
    // `pte_pfn(_pte) = ((pte_val(_pte) & _PFN_MASK) >> PAGE_SHIFT)`, 16 KiB pages.
    pfn: PFN,
    // `_PAGE_P`.
    page_present: PAGE_P,
    // `PAGE_NONE = __pgprot(_PAGE_PROTNONE | _PAGE_A)`.
    page_none: PAGE_NONE,
    // `PAGE_READONLY = __ACCESS_BITS | _PAGE_PL_3 | _PAGE_AR_R`, `PAGE_SHARED` with `_PAGE_AR_RW`.
    page_readonly: Flags2_6_8::PAGE_READONLY.bits(),
    page_shared: Flags2_6_8::PAGE_SHARED.bits(),
    // `__swp_type(entry) = (((entry).val >> 1) & 0x3f)` (bits 1–6),
    // `__swp_offset(entry) = (((entry).val << 1) >> 9)` (bits 8–62: bit 63 is shifted out),
    // `__swp_entry(type, offset) = ((type & 0x3f) << 1) | ((long) (offset) << 8)`;
    // `_PAGE_SWP_EXCLUSIVE (1 << 7)` ("We borrow bit 7"). No soft-dirty, no uffd-wp.
    swap: SwapFormat {
        type_field: Field { shift: 1, width: 6 },
        offset: ValueField::plain(8, 55),
        exclusive: Some(7),
        soft_dirty: None,
        uffd_wp: None,
    },
    // `_PAGE_FILE` and `pte_file()` are gone (nonlinear mappings were removed in 4.0).
    file: None,
    flags: pte_core::flag_table!(Flags6_6),
    // docs/DESIGN.md#hardware-bits: hardware bits 0–52.
    hw_bits: HW_BITS,
    // The hardware sets neither `_PAGE_A` nor `_PAGE_D` (Access-bit / Dirty-bit faults).
    hw_set: 0,
    // SDM: 53–63 `ig`.
    hw_ignored: HW_IGNORED,
    // SDM: 1 and 50–51 `rv`.
    reserved: RESERVED,
    // `_PAGE_PROTNONE` (63).
    sw_bits: PAGE_PROTNONE,
    hw_ad: HwAccessDirty::SoftwareOnly,
    helpers: HELPERS,
    // `pte_modify(_pte, newprot) = (pte_val(_pte) & ~_PAGE_CHG_MASK) |
    // (pgprot_val(newprot) & _PAGE_CHG_MASK)`.
    modify_keep: !PAGE_CHG_MASK,
    // T = MAX_SWAPFILES_SHIFT 5; N = min(offset field 55, SWP_TYPE_SHIFT 58,
    // max(32, MAX_PHYSMEM_BITS 50 - PAGE_SHIFT 14 + 2)) = 38 with the default 16 KiB pages
    // (4 KiB pages would give 40, 8 KiB 39, 64 KiB 36).
    default_limits: Limits {
        swap_type_bits: 5,
        swap_offset_bits: 38,
        file_pgoff_bits: None,
    },
    // `CONFIG_PGTABLE_LEVELS` 3 (default) or 4 (not with 64 KiB pages).
    geometries: &[
        G16K_3_LEVEL,
        G4K_3_LEVEL,
        G8K_3_LEVEL,
        G64K_3_LEVEL,
        G4K_4_LEVEL,
        G8K_4_LEVEL,
        G16K_4_LEVEL,
    ],
    source: "Linux 6.6 arch/ia64/include/asm/pgtable.h, sparsemem.h, kernel/ivt.S; include/linux/swap.h, swapops.h",
    kernels: KERNELS_6_6,
};

pte_core::layout_type!(
    /// The ia64/2.6.8 layout type.
    pub Ia64_2_6_8 { word: Word64, flags: Flags2_6_8, layout: LAYOUT_2_6_8 }
);

pte_core::layout_type!(
    /// The ia64/6.6 layout type.
    pub Ia64_6_6 { word: Word64, flags: Flags6_6, layout: LAYOUT_6_6 }
);

// ia64/2.6.8: bit 56, none-only. Lameter's 2004 choice: `_PAGE_IG_BITS 53`,
// `_PAGE_LOCK_BIT (_PAGE_IG_BITS+3) /* bit 56. Aligned to 8 bits */`, taken only on an empty
// PTE. The locked-empty word 1 << 56 decodes as swap type 0, offset 2^47, far beyond
// 2^32: invalid. With the default limits no bit is any-state: file pgoffs (M = 61) reach
// bit 62, and 63 is `_PAGE_PROTNONE`.
pte_core::lock_bit!(Ia64_2_6_8, bit = 56, discipline = NoneOnly);

pte_core::narrowed_arch!(
    /// ia64/2.6.8 with file pgoffs below 2^51: bits 53–62 become any-state lock bits.
    ///
    /// A nonlinear pgoff is bounded by the file size: `filemap_populate`/`shmem_populate`
    /// return `-EINVAL` past EOF, and with `i_size < 2^63` and `PAGE_SHIFT >= 12` every pgoff
    /// is below 2^51, so file entries use bits 1–52 only. Out-of-tree `->populate`
    /// implementations are not covered: hence a separate type.
    pub Ia64_2_6_8_Pgoff51 = Ia64_2_6_8, file_pgoff_bits = 51
);

// ia64/2.6.8 with M = 51: bit 56, any-state. Bits 53–62 are hardware `ig`, unused by Linux in
// present entries, beyond every real swap offset (< 2^32, bits ≤ 40) and every i_size-bounded
// pgoff (< 2^51, bits ≤ 52); 56 is Lameter's bit.
pte_core::lock_bit!(Ia64_2_6_8_Pgoff51, bit = 56, discipline = AnyState);

// ia64/6.6: bit 56, any-state. Bits 53–62 are hardware `ig` and unused by Linux; swap offsets
// stop below 2^38 (PFN-carrying entries need 50 - 14 + 2 bits), i.e. at word bit 45; there are
// no file entries. Bit 56 keeps Lameter's choice.
pte_core::lock_bit!(Ia64_6_6, bit = 56, discipline = AnyState);

static_assertions::assert_eq_size!(pte_core::Pte<Ia64_2_6_8>, u64);
static_assertions::assert_eq_size!(pte_core::Pte<Ia64_6_6>, u64);
static_assertions::assert_impl_all!(Ia64_2_6_8: pte_core::LockBit);
static_assertions::assert_impl_all!(Ia64_2_6_8_Pgoff51: pte_core::LockBit);
static_assertions::assert_impl_all!(Ia64_6_6: pte_core::LockBit);
// The lock bit is one the hardware ignores, in both eras.
static_assertions::const_assert!(LAYOUT_2_6_8.hw_ignored & 1 << 56 != 0);
static_assertions::const_assert!(LAYOUT_6_6.hw_ignored & 1 << 56 != 0);
// The default geometry is 16 KiB pages, 3 levels, 44 bits per region; the PFN matches it.
static_assertions::const_assert_eq!(G16K_3_LEVEL.va_bits(), 44);
static_assertions::const_assert_eq!(PFN.field.shift, G16K_3_LEVEL.page_shift);
