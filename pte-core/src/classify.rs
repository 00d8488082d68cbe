//! The one classifier: a word to its state, in Linux's own order (docs/DESIGN.md#states).
//!
//! `none → present → protnone / present-invalid → file → swap`, else invalid. A not-present
//! word is a file or swap entry only if it is the *exact* encoding of what the kernel's
//! decoder reads out of it, within the [`Limits`]: stray bits, an out-of-limit type, offset or
//! pgoff make it invalid. The run-time decoder, the CLI and the compile-time lock-bit proofs
//! all call [`classify`]; there is no second copy of these rules.

use crate::limits::Limits;
use crate::model::{Layout, ProtNoneRule, low_mask};

/// The state of a PTE word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// `pte_none()`.
    None,
    /// The hardware valid bit is set.
    Present,
    /// `pte_protnone()` (NUMA hinting / `PROT_NONE`): software-present, hardware-invalid.
    ProtNone,
    /// aarch64/6.18 `pte_present_invalid()` that is not protnone.
    PresentInvalid,
    /// A nonlinear file entry (old eras).
    File,
    /// A swap entry (including the special types: migration, device, hwpoison, markers).
    Swap,
    /// An empty entry carrying only the lock bit (see [`classify_locked`]).
    LockedNone,
    /// Not an encoding the kernel can produce within the limits.
    Invalid,
}

impl State {
    /// The state's name as the CLI prints it.
    pub const fn name(self) -> &'static str {
        match self {
            State::None => "none",
            State::Present => "present",
            State::ProtNone => "protnone",
            State::PresentInvalid => "present-invalid",
            State::File => "file",
            State::Swap => "swap",
            State::LockedNone => "locked-none",
            State::Invalid => "invalid",
        }
    }
}

/// A decoded swap entry: `(type, offset)` plus the swap-PTE flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct SwapEntry {
    /// Swap type (`swp_type()`).
    pub ty: u64,
    /// Swap offset (`swp_offset()`).
    pub offset: u64,
    /// `pte_swp_exclusive()`.
    pub exclusive: bool,
    /// `pte_swp_soft_dirty()`.
    pub soft_dirty: bool,
    /// `pte_swp_uffd_wp()`.
    pub uffd_wp: bool,
}

/// Why a word is invalid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Invalid {
    /// Bits above the word width are set (32-bit layouts).
    BeyondWord {
        /// The offending bits.
        bits: u64,
    },
    /// `pte_file()` is true but the pgoff is at or beyond `2^file_pgoff_bits`.
    FilePgoffBeyondLimit {
        /// The decoded pgoff.
        pgoff: u64,
        /// M.
        limit_bits: u32,
    },
    /// `pte_file()` is true but bits outside the file encoding are set.
    FileStrayBits {
        /// The bits that `pgoff_to_pte(pte_to_pgoff(word))` does not reproduce.
        bits: u64,
    },
    /// The swap type is at or beyond `2^swap_type_bits`.
    SwapTypeBeyondLimit {
        /// The decoded type.
        ty: u64,
        /// T.
        limit_bits: u32,
    },
    /// The swap offset is at or beyond `2^swap_offset_bits`.
    SwapOffsetBeyondLimit {
        /// The decoded offset.
        offset: u64,
        /// N.
        limit_bits: u32,
    },
    /// Bits outside the swap encoding are set.
    SwapStrayBits {
        /// The bits that `__swp_entry_to_pte(__pte_to_swp_entry(word))` does not reproduce.
        bits: u64,
    },
}

/// A classified word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decoded {
    /// `pte_none()`.
    None,
    /// A valid entry and its `pte_pfn()`.
    Present {
        /// `pte_pfn()`.
        pfn: u64,
    },
    /// A protnone entry and its `pte_pfn()` (the inversion undone where L1TF applies).
    ProtNone {
        /// `pte_pfn()`.
        pfn: u64,
    },
    /// aarch64/6.18 present-invalid (not protnone).
    PresentInvalid {
        /// `pte_pfn()`.
        pfn: u64,
    },
    /// A nonlinear file entry.
    File {
        /// `pte_to_pgoff()`.
        pgoff: u64,
    },
    /// A swap entry.
    Swap(SwapEntry),
    /// An empty entry holding only the lock bit.
    LockedNone,
    /// Not a word the kernel can create within the limits.
    Invalid(Invalid),
}

impl Decoded {
    /// The state.
    pub const fn state(&self) -> State {
        match self {
            Decoded::None => State::None,
            Decoded::Present { .. } => State::Present,
            Decoded::ProtNone { .. } => State::ProtNone,
            Decoded::PresentInvalid { .. } => State::PresentInvalid,
            Decoded::File { .. } => State::File,
            Decoded::Swap(_) => State::Swap,
            Decoded::LockedNone => State::LockedNone,
            Decoded::Invalid(_) => State::Invalid,
        }
    }

    /// The PFN, for present, protnone and present-invalid entries.
    pub const fn pfn(&self) -> Option<u64> {
        match self {
            Decoded::Present { pfn }
            | Decoded::ProtNone { pfn }
            | Decoded::PresentInvalid { pfn } => Some(*pfn),
            _ => None,
        }
    }
}

/// The layout's own `pte_none()`.
#[inline(always)]
#[doc(alias = "pte_none")]
pub const fn is_none(layout: &Layout, word: u64) -> bool {
    word & !layout.none_ignore == 0
}

/// `pte_pfn()`: the PFN field, with x86's L1TF inversion undone for non-present entries.
#[inline(always)]
#[doc(alias = "pte_pfn")]
pub const fn pfn_of(layout: &Layout, word: u64) -> u64 {
    let mut w = word;
    // `__pte_needs_invert(val) = val && !(val & _PAGE_PRESENT)` (pgtable-invert.h).
    if layout.pfn.protnone_inverted && w != 0 && w & (1u64 << layout.valid_bit) == 0 {
        w ^= layout.pfn.mask();
    }
    layout.pfn.get(w)
}

/// Classifies `word` for `layout` under `limits`.
#[inline(always)]
pub const fn classify(layout: &Layout, limits: &Limits, word: u64) -> Decoded {
    let beyond = word & !layout.word_mask();
    if beyond != 0 {
        return Decoded::Invalid(Invalid::BeyondWord { bits: beyond });
    }
    if is_none(layout, word) {
        return Decoded::None;
    }
    if word & (1u64 << layout.valid_bit) != 0 {
        return Decoded::Present {
            pfn: pfn_of(layout, word),
        };
    }
    match layout.protnone {
        ProtNoneRule::Marker { bit } => {
            if word & (1u64 << bit) != 0 {
                return Decoded::ProtNone {
                    pfn: pfn_of(layout, word),
                };
            }
        }
        ProtNoneRule::PresentInvalid {
            bit,
            user_bit,
            uxn_bit,
        } => {
            if word & (1u64 << bit) != 0 {
                let pfn = pfn_of(layout, word);
                let user = word & (1u64 << user_bit) != 0;
                let user_exec = word & (1u64 << uxn_bit) == 0;
                return if !user && !user_exec {
                    Decoded::ProtNone { pfn }
                } else {
                    Decoded::PresentInvalid { pfn }
                };
            }
        }
    }
    if let Some(file) = layout.file
        && word & (1u64 << file.marker) != 0
    {
        let pgoff = file.pgoff.get(word);
        let limit_bits = match limits.file_pgoff_bits {
            Some(m) => m,
            None => 0,
        };
        if pgoff > low_mask(limit_bits) {
            return Decoded::Invalid(Invalid::FilePgoffBeyondLimit { pgoff, limit_bits });
        }
        let exact = (1u64 << file.marker) | file.pgoff.put(pgoff);
        if exact != word {
            return Decoded::Invalid(Invalid::FileStrayBits { bits: exact ^ word });
        }
        return Decoded::File { pgoff };
    }
    classify_swap(layout, limits, word)
}

/// The swap branch: `pte_swp_clear_flags()`, then `__pte_to_swp_entry()`, then exactness.
#[inline(always)]
const fn classify_swap(layout: &Layout, limits: &Limits, word: u64) -> Decoded {
    let swap = &layout.swap;
    let flags = word & swap.flag_mask();
    let rest = word & !swap.flag_mask();
    let ty = swap.type_field.get(rest);
    let offset = swap.offset.get(rest);
    if ty > low_mask(limits.swap_type_bits) {
        return Decoded::Invalid(Invalid::SwapTypeBeyondLimit {
            ty,
            limit_bits: limits.swap_type_bits,
        });
    }
    if offset > low_mask(limits.swap_offset_bits) {
        return Decoded::Invalid(Invalid::SwapOffsetBeyondLimit {
            offset,
            limit_bits: limits.swap_offset_bits,
        });
    }
    let exact = swap.type_field.put(ty) | swap.offset.put(offset) | flags;
    if exact != word {
        return Decoded::Invalid(Invalid::SwapStrayBits { bits: exact ^ word });
    }
    Decoded::Swap(SwapEntry {
        ty,
        offset,
        exclusive: has(word, swap.exclusive),
        soft_dirty: has(word, swap.soft_dirty),
        uffd_wp: has(word, swap.uffd_wp),
    })
}

#[inline(always)]
const fn has(word: u64, bit: Option<u32>) -> bool {
    match bit {
        Some(b) => word & (1u64 << b) != 0,
        None => false,
    }
}

/// How a lock bit is used (docs/DESIGN.md#proofs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Discipline {
    /// Only ever set on an empty PTE (the 2004 fastpath); installing the entry clears it.
    NoneOnly,
    /// A bit-spinlock that may be held across every state.
    AnyState,
}

impl Discipline {
    /// The discipline's name as the CLI prints it.
    pub const fn name(self) -> &'static str {
        match self {
            Discipline::NoneOnly => "none-only",
            Discipline::AnyState => "any-state",
        }
    }
}

/// Classifies `word` where `lock` (bit, discipline) is the layout's lock bit.
///
/// Returns the state and whether the lock is held. Under none-only the lock is held exactly
/// when the word is the locked-empty word; under any-state the bit is stripped before
/// classifying, so a locked swap entry still decodes as that swap entry.
#[inline(always)]
pub const fn classify_locked(
    layout: &Layout,
    limits: &Limits,
    word: u64,
    lock: Option<(u32, Discipline)>,
) -> (Decoded, bool) {
    match lock {
        None => (classify(layout, limits, word), false),
        Some((bit, Discipline::NoneOnly)) => {
            if word & !layout.none_ignore == 1u64 << bit {
                (Decoded::LockedNone, true)
            } else {
                (classify(layout, limits, word), false)
            }
        }
        Some((bit, Discipline::AnyState)) => {
            let locked = word & (1u64 << bit) != 0;
            let d = classify(layout, limits, word & !(1u64 << bit));
            match d {
                Decoded::None if locked => (Decoded::LockedNone, true),
                _ => (d, locked),
            }
        }
    }
}
