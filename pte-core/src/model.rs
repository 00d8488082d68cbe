//! The format model: a PTE layout as `const` data.
//!
//! Every architecture crate describes its layouts with these types and nothing else; the
//! classifier ([`crate::classify()`]), the encoders ([`crate::encode`]), the proofs
//! ([`crate::proof`]) and the diagrams ([`crate::diagram`]) read them. All words are handled as
//! `u64` here; a 32-bit layout only ever uses the low [`Layout::word_bits`] bits.

use crate::kernels::Kernels;
use crate::limits::Limits;

/// A contiguous run of bits `shift .. shift + width` in a PTE word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Field {
    /// Position of the field's least significant bit.
    pub shift: u32,
    /// Number of bits (1..=64).
    pub width: u32,
}

/// `(1 << bits) - 1` without overflow for `bits == 64`.
#[inline(always)]
pub const fn low_mask(bits: u32) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

/// The mask of bits `lo..=hi` (`GENMASK_ULL(hi, lo)`).
#[inline(always)]
pub const fn bit_range(lo: u32, hi: u32) -> u64 {
    (u64::MAX >> (63 - hi)) & (u64::MAX << lo)
}

impl Field {
    /// A field of `width` bits starting at bit `shift`.
    pub const fn new(shift: u32, width: u32) -> Self {
        assert!(
            width >= 1 && shift + width <= 64,
            "field outside a 64-bit word"
        );
        Field { shift, width }
    }

    /// The word bits this field occupies.
    #[inline(always)]
    pub const fn mask(self) -> u64 {
        low_mask(self.width) << self.shift
    }

    /// Reads the field's value out of `word`.
    #[inline(always)]
    pub const fn get(self, word: u64) -> u64 {
        (word >> self.shift) & low_mask(self.width)
    }

    /// Places the low `width` bits of `value` at the field's position.
    #[inline(always)]
    pub const fn put(self, value: u64) -> u64 {
        (value & low_mask(self.width)) << self.shift
    }

    /// Whether word bit `bit` lies in the field.
    #[inline(always)]
    pub const fn contains(self, bit: u32) -> bool {
        bit >= self.shift && bit < self.shift + self.width
    }
}

/// A value spread over one or two fields (low part first), possibly stored inverted.
///
/// Split: i386/2.6.8's file pgoff (`pgoff_to_pte`: bits 0–4 of the pgoff in PTE bits 1–5,
/// the rest from bit 8). Inverted: x86's L1TF-safe swap offset (`~offset << SWP_OFFSET_SHIFT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ValueField {
    /// The low part.
    pub low: Field,
    /// The high part, if the value is split.
    pub high: Option<Field>,
    /// Whether the word stores the bitwise NOT of the value over the whole width.
    pub inverted: bool,
}

impl ValueField {
    /// A plain field.
    pub const fn plain(shift: u32, width: u32) -> Self {
        ValueField {
            low: Field::new(shift, width),
            high: None,
            inverted: false,
        }
    }

    /// A field stored inverted.
    pub const fn inverted(shift: u32, width: u32) -> Self {
        ValueField {
            low: Field::new(shift, width),
            high: None,
            inverted: true,
        }
    }

    /// A value split in two fields: `low` holds the value's low bits.
    pub const fn split(low: Field, high: Field) -> Self {
        ValueField {
            low,
            high: Some(high),
            inverted: false,
        }
    }

    /// Total value width in bits.
    #[inline(always)]
    pub const fn width(self) -> u32 {
        match self.high {
            Some(h) => self.low.width + h.width,
            None => self.low.width,
        }
    }

    /// All word bits the value occupies.
    #[inline(always)]
    pub const fn mask(self) -> u64 {
        match self.high {
            Some(h) => self.low.mask() | h.mask(),
            None => self.low.mask(),
        }
    }

    /// Decodes the value (undoing the inversion).
    #[inline(always)]
    pub const fn get(self, word: u64) -> u64 {
        let raw = match self.high {
            Some(h) => self.low.get(word) | (h.get(word) << self.low.width),
            None => self.low.get(word),
        };
        if self.inverted {
            !raw & low_mask(self.width())
        } else {
            raw
        }
    }

    /// Encodes `value` (its low `width` bits) into word bits.
    #[inline(always)]
    pub const fn put(self, value: u64) -> u64 {
        let v = if self.inverted { !value } else { value } & low_mask(self.width());
        match self.high {
            Some(h) => self.low.put(v) | h.put(v >> self.low.width),
            None => self.low.put(v),
        }
    }

    /// The value bit stored at word bit `bit`, if the field covers it.
    pub const fn value_bit(self, bit: u32) -> Option<u32> {
        if self.low.contains(bit) {
            return Some(bit - self.low.shift);
        }
        match self.high {
            Some(h) if h.contains(bit) => Some(bit - h.shift + self.low.width),
            _ => None,
        }
    }
}

/// A named bit or bit group of a present PTE (a Linux `_PAGE_*` / `PTE_*` macro).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NamedFlag {
    /// The name, as the `bitflags` constant (e.g. `ACCESSED`).
    pub name: &'static str,
    /// The word bits.
    pub mask: u64,
}

/// How `pte_present()` and `pte_protnone()` tell a software-present entry from a valid one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProtNoneRule {
    /// `pte_present() = valid | marker`; protnone = marker set and valid clear
    /// (x86 `_PAGE_PROTNONE`, ia64 `_PAGE_PROTNONE`, aarch64 `PTE_PROT_NONE`).
    Marker {
        /// The marker bit.
        bit: u32,
    },
    /// aarch64/6.18: `pte_present_invalid()` is `PTE_PRESENT_INVALID` set with `PTE_VALID`
    /// clear; `pte_protnone()` additionally needs `!pte_user() && !pte_user_exec()`.
    PresentInvalid {
        /// `PTE_PRESENT_INVALID` (= `PTE_NG`).
        bit: u32,
        /// `PTE_USER`.
        user_bit: u32,
        /// `PTE_UXN` (set = not user-executable).
        uxn_bit: u32,
    },
}

/// Where the page frame number lives and how `pte_pfn()` reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PfnFormat {
    /// The stored field: the PFN's low bits, or all of them when [`high`](Self::high) is
    /// `None`.
    pub field: Field,
    /// The PFN's top bits, where the entry keeps them apart from [`field`](Self::field):
    /// arm64 with FEAT_LPA2 and 4K/16K pages stores `PA[51:50]` in bits 8–9
    /// (`PTE_ADDR_HIGH`), so its PFN is `field`'s value with these two bits above it.
    pub high: Option<Field>,
    /// Width of the value `pte_pfn()` returns (PAE: 32, an `unsigned long`).
    pub value_bits: u32,
    /// x86 L1TF (`pgtable-invert.h`): a non-present, non-zero entry stores `~pfn` (over
    /// every stored bit, [`mask`](Self::mask)).
    pub protnone_inverted: bool,
}

impl PfnFormat {
    /// The stored bits as one value field (low part first).
    #[inline(always)]
    const fn stored(self) -> ValueField {
        ValueField {
            low: self.field,
            high: self.high,
            inverted: false,
        }
    }

    /// Number of stored PFN bits (both parts).
    #[inline(always)]
    pub const fn width(self) -> u32 {
        self.stored().width()
    }

    /// The widest PFN an entry holds: the smaller of [`width`](Self::width) and
    /// [`value_bits`](Self::value_bits). The encoders refuse a PFN of `1 << bits()` or more.
    #[inline(always)]
    pub const fn bits(self) -> u32 {
        let w = self.width();
        if self.value_bits < w {
            self.value_bits
        } else {
            w
        }
    }

    /// All word bits the PFN occupies (also the span the L1TF inversion flips).
    #[inline(always)]
    pub const fn mask(self) -> u64 {
        self.stored().mask()
    }

    /// The PFN stored in `word` (no inversion undone), cut to [`value_bits`](Self::value_bits).
    #[inline(always)]
    pub const fn get(self, word: u64) -> u64 {
        self.stored().get(word) & low_mask(self.value_bits)
    }

    /// The word bits of `pfn` (its low [`width`](Self::width) bits).
    #[inline(always)]
    pub const fn put(self, pfn: u64) -> u64 {
        self.stored().put(pfn)
    }

    /// Whether word bit `bit` holds a PFN bit.
    #[inline(always)]
    pub const fn contains(self, bit: u32) -> bool {
        self.stored().value_bit(bit).is_some()
    }

    /// Whether word bit `bit` lies in the separate top part ([`high`](Self::high)).
    #[inline(always)]
    pub const fn in_high(self, bit: u32) -> bool {
        match self.high {
            Some(h) => h.contains(bit),
            None => false,
        }
    }
}

/// The swap-entry encoding (`__swp_entry`, `__swp_type`, `__swp_offset` and the swap-PTE flags).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SwapFormat {
    /// The type field as `__swp_type()` masks it.
    pub type_field: Field,
    /// The offset as `__swp_offset()` reads it.
    pub offset: ValueField,
    /// `_PAGE_SWP_EXCLUSIVE` / `PTE_SWP_EXCLUSIVE` bit, if the era has it.
    pub exclusive: Option<u32>,
    /// `_PAGE_SWP_SOFT_DIRTY` bit, if configured on the layout.
    pub soft_dirty: Option<u32>,
    /// `_PAGE_SWP_UFFD_WP` / `PTE_SWP_UFFD_WP` bit, if configured on the layout.
    pub uffd_wp: Option<u32>,
}

impl SwapFormat {
    /// The flag bits `pte_swp_clear_flags()` strips before decoding.
    #[inline(always)]
    pub const fn flag_mask(&self) -> u64 {
        bit_opt(self.exclusive) | bit_opt(self.soft_dirty) | bit_opt(self.uffd_wp)
    }
}

/// `1 << bit` for an optional bit, 0 for none.
#[inline(always)]
pub const fn bit_opt(bit: Option<u32>) -> u64 {
    match bit {
        Some(b) => 1u64 << b,
        None => 0,
    }
}

/// The nonlinear file-PTE encoding of old eras (`pgoff_to_pte`, `pte_to_pgoff`, `pte_file`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FileFormat {
    /// `_PAGE_FILE` / `PTE_FILE`: `pte_file()` tests this bit.
    pub marker: u32,
    /// The pgoff as `pte_to_pgoff()` reads it.
    pub pgoff: ValueField,
}

/// What the MMU does to the accessed and dirty state of a present leaf entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HwAccessDirty {
    /// x86: the CPU sets `_PAGE_ACCESSED` and `_PAGE_DIRTY` with a locked read-modify-write.
    /// LoongArch: the TLB load / store / modify exception handlers (`tlbex.S`, below the C
    /// fault path) set V (accessed) on a present entry, and V, D and `_PAGE_MODIFIED` on a
    /// present writable one.
    SetsAccessedDirty,
    /// aarch64 with FEAT_HAFDBS (`CONFIG_ARM64_HW_AFDBM`): sets `PTE_AF`; on a write to an
    /// entry with `PTE_DBM` it clears `PTE_RDONLY`. Without the feature: access-flag and
    /// permission faults, handled in software.
    AfDbmIfHafdbs,
    /// Nothing is set by hardware (ia64; aarch64/3.18 has no AF/DBM support): access-bit and
    /// dirty-bit faults are handled in software.
    SoftwareOnly,
}

/// The accessed / dirty / write helpers' rules (`pte_mkyoung`, `pte_mkdirty`, `pte_wrprotect`…).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HelperModel {
    /// x86: write = `_PAGE_RW`; dirty = `_PAGE_DIRTY` (or `_PAGE_SAVED_DIRTY`, into which
    /// `pte_wrprotect()` moves it when user shadow stacks are enabled).
    X86 {
        /// `_PAGE_RW`.
        write: u32,
        /// `_PAGE_ACCESSED`.
        accessed: u32,
        /// `_PAGE_DIRTY`.
        dirty: u32,
        /// `_PAGE_SAVED_DIRTY`, where `pte_wrprotect()` moves a hardware dirty bit.
        saved_dirty: Option<u32>,
        /// `_PAGE_SOFT_DIRTY`, which `pte_mkdirty()` also sets.
        soft_dirty: Option<u32>,
    },
    /// ia64: accessed/dirty are `_PAGE_A`/`_PAGE_D` (set by software); write is the
    /// `_PAGE_AR_RW` bit of the access-rights field.
    Ia64 {
        /// `_PAGE_A`.
        accessed: u32,
        /// `_PAGE_D`.
        dirty: u32,
        /// The access-rights field (`_PAGE_AR_MASK`).
        ar: Field,
        /// `_PAGE_AR_RW`, the bit `pte_mkwrite`/`pte_wrprotect` set and clear.
        ar_rw: u32,
    },
    /// aarch64: software `PTE_WRITE` and `PTE_DIRTY`; from 6.x hardware dirty is
    /// `PTE_WRITE && !PTE_RDONLY` (DBM), and the helpers keep `PTE_RDONLY` in step.
    Aarch64 {
        /// `PTE_AF`.
        accessed: u32,
        /// `PTE_DIRTY` (software dirty).
        dirty: u32,
        /// `PTE_WRITE`.
        write: u32,
        /// `PTE_RDONLY`, if the era tracks hardware dirty through it (`PTE_DBM`).
        rdonly_hw_dirty: Option<u32>,
        /// Whether `pte_mkwrite_novma()` clears `PTE_RDONLY` only on a software-dirty entry,
        /// so that a clean entry stays clean (writable-clean, `PTE_WRITE | PTE_RDONLY`, until
        /// the first write sets hardware dirty through DBM or a permission fault): Linux 6.18,
        /// `if (pte_sw_dirty(pte)) pte = clear_pte_bit(pte, __pgprot(PTE_RDONLY));` (commit
        /// 143937ca51cc, "arm64, mm: avoid always making PTE dirty in pte_mkwrite()"). When
        /// false it clears `PTE_RDONLY` always, and `pte_mkwrite()` makes every entry
        /// hardware-dirty (5.x to 6.17). Only read with `rdonly_hw_dirty`.
        mkwrite_keeps_clean: bool,
    },
    /// A hardware dirty bit that is really a write enable (LoongArch, as MIPS): Linux keeps
    /// a software write permission and a software "modified" bit, and sets the hardware bit
    /// only when both hold (`pte_mkdirty()` sets modified, and the hardware bit if writable;
    /// `pte_mkwrite()` sets write, and the hardware bit if modified; `pte_wrprotect()` clears
    /// write and the hardware bit; `pte_dirty()` is either bit).
    WriteEnableDirty {
        /// The accessed bit (LoongArch: `_PAGE_ACCESSED`, which is the hardware V bit).
        accessed: u32,
        /// The software write permission (`_PAGE_WRITE`).
        write: u32,
        /// The software dirty bit (`_PAGE_MODIFIED`).
        modified: u32,
        /// The hardware dirty / write-enable bit (`_PAGE_DIRTY`, the TLB's D).
        hw_dirty: u32,
        /// Whether `pte_modify()` first sets the software dirty bit when the hardware one is
        /// set (LoongArch 6.18: `if (pte_val(pte) & _PAGE_DIRTY) pte_val(pte) |=
        /// _PAGE_MODIFIED;`; 6.6 only masks).
        modify_saves_dirty: bool,
    },
}

/// One paging geometry of a layout: page size and the index width of each level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Geometry {
    /// A short name (`4-level`, `16K/3-level`, …).
    pub name: &'static str,
    /// `PAGE_SHIFT`.
    pub page_shift: u32,
    /// Index bits per level, from the root (PGD) down to the leaf (PTE) table.
    pub level_bits: &'static [u32],
}

impl Geometry {
    /// Number of levels.
    pub const fn levels(&self) -> usize {
        self.level_bits.len()
    }

    /// Entries in a table of level `level` (0 = root).
    pub const fn entries(&self, level: usize) -> u64 {
        1u64 << self.level_bits[level]
    }

    /// Virtual-address bits translated (page offset included).
    pub const fn va_bits(&self) -> u32 {
        let mut total = self.page_shift;
        let mut i = 0;
        while i < self.level_bits.len() {
            total += self.level_bits[i];
            i += 1;
        }
        total
    }

    /// Shift of the address bits that index level `level`.
    pub const fn level_shift(&self, level: usize) -> u32 {
        let mut shift = self.page_shift;
        let mut i = self.level_bits.len();
        while i > level + 1 {
            i -= 1;
            shift += self.level_bits[i];
        }
        shift
    }
}

/// Architecture family of a layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    /// x86-64 long mode.
    X86_64,
    /// i386, 2-level 32-bit paging.
    I386,
    /// i386 with PAE (3-level, 64-bit entries).
    I386Pae,
    /// Itanium (simulated).
    Ia64,
    /// AArch64 stage-1, Linux arm64.
    Aarch64,
    /// AArch64 stage-1 with FEAT_LPA2 in use (TCR_EL1.DS = 1: 52-bit output addresses with
    /// the 4K and 16K granules, address bits 51:50 in entry bits 9:8).
    Aarch64Lpa2,
    /// RISC-V 64-bit (RV64 Sv39 / Sv48 / Sv57), Linux riscv.
    Riscv64,
    /// LoongArch64 (software-refilled TLB, page tables walked by the refill handler).
    Loongarch64,
}

impl Family {
    /// Whether a valid entry may only get a new output address (pfn) by *break-before-make*:
    /// write an invalid entry, invalidate the TLBs, then write the new one. Arm requires it
    /// (Arm ARM DDI 0487, "Using break-before-make when updating translation table entries";
    /// Linux arm64 checks live changes with `pgattr_change_is_safe()`, which refuses a new
    /// output address): two live translations of one address may otherwise both hit in a TLB.
    /// x86 allows the direct replacement (the old translation stays usable until `invlpg`);
    /// the ia64 simulation follows x86 here.
    ///
    /// RISC-V does not require it: the privileged architecture (Volume II, "Supervisor
    /// Memory-Management Fence Instruction") lets a hart keep using a stale translation until
    /// an `SFENCE.VMA`, and defines no conflict between the old and the new leaf; Linux riscv
    /// replaces a valid leaf directly (`set_pte()` is a plain store, `ptep_set_access_flags()`
    /// rewrites in place) and flushes afterwards. (Only Svnapot's contiguous ranges need a
    /// clear-then-flush when their size changes; Linux handles that in its hugetlb code.)
    /// LoongArch does not either: the TLB is refilled by software from the page table, a
    /// replaced entry stays cached until `invtlb`, and the two translations never coexist in
    /// hardware as a conflict (Linux loongarch's `set_pte()` is a plain store).
    pub const fn break_before_make(self) -> bool {
        matches!(self, Family::Aarch64 | Family::Aarch64Lpa2)
    }

    /// The architecture's name, as the layout names start with it (`i386-pae/6.6`):
    /// `x86_64`, `i386`, `i386-pae`, `ia64`, `aarch64`, `aarch64-lpa2`, `riscv64`,
    /// `loongarch64`. 2-level i386 and PAE are two names because a kernel is built for one or
    /// the other (`CONFIG_X86_PAE`), and their entries differ in width. `aarch64-lpa2` is the
    /// paging mode an arm64 kernel built with `CONFIG_ARM64_LPA2` (52-bit physical addresses,
    /// 4K/16K pages) enters at boot when the CPU has FEAT_LPA2, for the whole run: its entries
    /// keep address bits 51:50 where `aarch64` has the shareability field.
    pub const fn name(self) -> &'static str {
        match self {
            Family::X86_64 => "x86_64",
            Family::I386 => "i386",
            Family::I386Pae => "i386-pae",
            Family::Ia64 => "ia64",
            Family::Aarch64 => "aarch64",
            Family::Aarch64Lpa2 => "aarch64-lpa2",
            Family::Riscv64 => "riscv64",
            Family::Loongarch64 => "loongarch64",
        }
    }
}

/// A PTE layout: one architecture in one kernel era, as `const` data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Layout {
    /// The layout's name, e.g. `x86_64/6.6`.
    pub name: &'static str,
    /// Architecture family.
    pub family: Family,
    /// Width of the PTE word: 32 or 64.
    pub word_bits: u32,
    /// The hardware valid bit (`_PAGE_PRESENT`, `_PAGE_P`, `PTE_VALID`): bit 0 everywhere.
    pub valid_bit: u32,
    /// Bits `pte_none()` ignores (x86 6.x with PAE or 64-bit: `_PAGE_KNL_ERRATUM_MASK`).
    pub none_ignore: u64,
    /// How protnone / present-invalid entries are recognised.
    pub protnone: ProtNoneRule,
    /// The PFN of present, protnone and present-invalid entries.
    pub pfn: PfnFormat,
    /// Bits every present leaf page entry has (x86 `_PAGE_PRESENT`; arm64 `PTE_TYPE_PAGE`).
    pub page_present: u64,
    /// The `PAGE_NONE` protection bits (`pfn_pte(pfn, PAGE_NONE)` builds a protnone entry).
    pub page_none: u64,
    /// The `PAGE_READONLY` protection of a user page (valid bits included).
    pub page_readonly: u64,
    /// The `PAGE_SHARED` protection of a writable user page (clean: `pte_mkdirty` dirties it).
    pub page_shared: u64,
    /// The swap encoding.
    pub swap: SwapFormat,
    /// The nonlinear file encoding (old eras only).
    pub file: Option<FileFormat>,
    /// Named flags of present entries: hardware bits and Linux software bits.
    pub flags: &'static [NamedFlag],
    /// Hardware bits of present entries: interpreted, reserved, or set/cleared by the MMU.
    pub hw_bits: u64,
    /// Bits the MMU itself writes in present entries.
    pub hw_set: u64,
    /// Bits the MMU ignores in present entries (available to software by the manual).
    pub hw_ignored: u64,
    /// Bits that must be zero in present entries (reserved; setting one faults).
    pub reserved: u64,
    /// Bits Linux gives a software meaning in present / protnone entries.
    pub sw_bits: u64,
    /// What the MMU does to accessed/dirty.
    pub hw_ad: HwAccessDirty,
    /// Rules of the accessed / dirty / write helpers.
    pub helpers: HelperModel,
    /// Bits `pte_modify()` keeps from the old entry (the rest come from the new protection).
    pub modify_keep: u64,
    /// The default (kernel) limits; a user may only narrow them.
    pub default_limits: Limits,
    /// Supported paging geometries (the first is the default).
    pub geometries: &'static [Geometry],
    /// The kernel sources the layout follows.
    pub source: &'static str,
    /// The mainline releases with this format, and the known differences inside them that
    /// do not change it ([`crate::kernels`]); the doc comment at each layout gives the
    /// sources of the boundaries.
    pub kernels: Kernels,
}

impl Layout {
    /// All bits of the word.
    #[inline(always)]
    pub const fn word_mask(&self) -> u64 {
        low_mask(self.word_bits)
    }

    /// The protnone / present-invalid marker bit.
    pub const fn protnone_marker(&self) -> u32 {
        match self.protnone {
            ProtNoneRule::Marker { bit } => bit,
            ProtNoneRule::PresentInvalid { bit, .. } => bit,
        }
    }

    /// The named flag covering `bit`, if any.
    pub const fn flag_at(&self, bit: u32) -> Option<&'static NamedFlag> {
        let mut i = 0;
        while i < self.flags.len() {
            if self.flags[i].mask & (1u64 << bit) != 0 {
                return Some(&self.flags[i]);
            }
            i += 1;
        }
        None
    }

    /// The named flag called `name` (ASCII case-insensitive).
    pub fn flag_named(&self, name: &str) -> Option<&'static NamedFlag> {
        self.flags
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }
}

/// Builds a `[NamedFlag; N]` from a `bitflags` type's named constants, in a `const`.
///
/// The flag table of a [`Layout`] is derived from the architecture's `bitflags` type, so the
/// names cannot drift apart.
#[macro_export]
macro_rules! flag_table {
    ($flags:ty) => {{
        const N: usize = <$flags as $crate::bitflags::Flags>::FLAGS.len();
        const TABLE: [$crate::model::NamedFlag; N] = {
            let mut out = [$crate::model::NamedFlag { name: "", mask: 0 }; N];
            let mut i = 0;
            while i < N {
                let f = &<$flags as $crate::bitflags::Flags>::FLAGS[i];
                out[i] = $crate::model::NamedFlag {
                    name: f.name(),
                    mask: f.value().bits() as u64,
                };
                i += 1;
            }
            out
        };
        &TABLE
    }};
}
