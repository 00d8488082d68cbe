//! Encoders: `pfn_pte`, `pfn_pte(…, PAGE_NONE)`, `swp_entry_to_pte` and `pgoff_to_pte`, refusing
//! what the kernel's raw macros would silently truncate or spill into a neighbouring field.
//!
//! Every encoder re-classifies its result with [`classify`]: an encoder can only return a word
//! that the one classifier reads back as the requested state.

use core::fmt;

use crate::classify::{Decoded, SwapEntry, classify};
use crate::limits::Limits;
use crate::model::{Layout, bit_opt, low_mask};

/// The field a value did not fit ([`EncodeError::TooLarge`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Field {
    /// The swap type (`swap type`).
    SwapType,
    /// The swap offset (`swap offset`).
    SwapOffset,
    /// The pgoff of a nonlinear file entry (`file pgoff`).
    FilePgoff,
    /// The page frame number of a present or protnone entry (`pfn`).
    Pfn,
}

impl Field {
    /// The field's name in messages: `swap type`, `swap offset`, `file pgoff`, `pfn`.
    pub const fn name(self) -> &'static str {
        match self {
            Field::SwapType => "swap type",
            Field::SwapOffset => "swap offset",
            Field::FilePgoff => "file pgoff",
            Field::Pfn => "pfn",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a value cannot be encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncodeError {
    /// A value does not fit its field or exceeds a limit.
    TooLarge {
        /// The field (displayed as `swap type`, `swap offset`, `file pgoff`, `pfn`).
        field: Field,
        /// The value given.
        value: u64,
        /// The value must be below `2^limit_bits`.
        limit_bits: u32,
    },
    /// The layout has no such swap flag (`exclusive`, `soft-dirty`, `uffd-wp`).
    NoSuchSwapFlag {
        /// The flag.
        flag: &'static str,
    },
    /// Flag bits that are not named flags of the layout's present entries.
    UnknownFlagBits {
        /// The bits.
        bits: u64,
    },
    /// The layout has no nonlinear file entries (modern eras).
    NoFileEntries,
    /// The swap entry would encode as `pte_none()` (type 0, offset 0, no flag).
    WouldBeNone,
    /// The result would not classify as the requested state (e.g. flags that clear validity).
    NotRepresentable {
        /// The word that would have been produced.
        word: u64,
        /// The state requested.
        wanted: &'static str,
    },
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::TooLarge {
                field,
                value,
                limit_bits,
            } => write!(
                f,
                "{field} {value:#x} does not fit: it must be below 2^{limit_bits} ({:#x})",
                low_mask(*limit_bits).wrapping_add(1)
            ),
            EncodeError::NoSuchSwapFlag { flag } => {
                write!(f, "this layout has no {flag} bit in swap entries")
            }
            EncodeError::UnknownFlagBits { bits } => {
                write!(
                    f,
                    "bits {bits:#x} are not flags of this layout's present entries"
                )
            }
            EncodeError::NoFileEntries => f.write_str("this layout has no file PTEs"),
            EncodeError::WouldBeNone => {
                f.write_str("swap type 0, offset 0 without a flag would be pte_none()")
            }
            EncodeError::NotRepresentable { word, wanted } => {
                write!(f, "{word:#x} would not read back as a {wanted} entry")
            }
        }
    }
}

#[inline(always)]
const fn check(field: Field, value: u64, limit_bits: u32) -> Result<(), EncodeError> {
    if value > low_mask(limit_bits) {
        Err(EncodeError::TooLarge {
            field,
            value,
            limit_bits,
        })
    } else {
        Ok(())
    }
}

#[inline(always)]
const fn min(a: u32, b: u32) -> u32 {
    if a < b { a } else { b }
}

/// Propagates an error in a `const fn` (the `?` operator is not const).
macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return Err(e),
        }
    };
}

#[inline(always)]
const fn flag_bit(wanted: bool, bit: Option<u32>, flag: &'static str) -> Result<u64, EncodeError> {
    if !wanted {
        return Ok(0);
    }
    match bit {
        Some(_) => Ok(bit_opt(bit)),
        None => Err(EncodeError::NoSuchSwapFlag { flag }),
    }
}

/// `swp_entry_to_pte()` with the swap-PTE flags: type, offset, exclusive, soft-dirty, uffd-wp.
#[inline(always)]
pub const fn encode_swap(
    layout: &Layout,
    limits: &Limits,
    entry: SwapEntry,
) -> Result<u64, EncodeError> {
    let swap = &layout.swap;
    tri!(check(
        Field::SwapType,
        entry.ty,
        min(limits.swap_type_bits, swap.type_field.width)
    ));
    tri!(check(
        Field::SwapOffset,
        entry.offset,
        min(limits.swap_offset_bits, swap.offset.width())
    ));
    let flags = tri!(flag_bit(entry.exclusive, swap.exclusive, "exclusive"))
        | tri!(flag_bit(entry.soft_dirty, swap.soft_dirty, "soft-dirty"))
        | tri!(flag_bit(entry.uffd_wp, swap.uffd_wp, "uffd-wp"));
    let word = swap.type_field.put(entry.ty) | swap.offset.put(entry.offset) | flags;
    match classify(layout, limits, word) {
        Decoded::Swap(_) => Ok(word),
        Decoded::None => Err(EncodeError::WouldBeNone),
        _ => Err(EncodeError::NotRepresentable {
            word,
            wanted: "swap",
        }),
    }
}

/// `pgoff_to_pte()`: a nonlinear file entry.
#[inline(always)]
pub const fn encode_file(layout: &Layout, limits: &Limits, pgoff: u64) -> Result<u64, EncodeError> {
    let Some(file) = layout.file else {
        return Err(EncodeError::NoFileEntries);
    };
    let Some(m) = limits.file_pgoff_bits else {
        return Err(EncodeError::NoFileEntries);
    };
    tri!(check(Field::FilePgoff, pgoff, min(m, file.pgoff.width())));
    let word = (1u64 << file.marker) | file.pgoff.put(pgoff);
    match classify(layout, limits, word) {
        Decoded::File { .. } => Ok(word),
        _ => Err(EncodeError::NotRepresentable {
            word,
            wanted: "file",
        }),
    }
}

#[inline(always)]
const fn pfn_bits(layout: &Layout, pfn: u64, inverted: bool) -> Result<u64, EncodeError> {
    let f = layout.pfn;
    tri!(check(Field::Pfn, pfn, f.bits()));
    Ok(if inverted { f.put(!pfn) } else { f.put(pfn) })
}

/// `pfn_pte(pfn, prot)` for a present entry: the layout's page bits, the PFN and `flags`.
///
/// `flags` must be named flags of the layout (see [`Layout::flags`]).
#[inline]
pub const fn encode_present(layout: &Layout, pfn: u64, flags: u64) -> Result<u64, EncodeError> {
    let mut known = 0u64;
    let mut i = 0;
    while i < layout.flags.len() {
        known |= layout.flags[i].mask;
        i += 1;
    }
    let unknown = flags & !known;
    if unknown != 0 {
        return Err(EncodeError::UnknownFlagBits { bits: unknown });
    }
    let word = layout.page_present | flags | tri!(pfn_bits(layout, pfn, false));
    let limits = layout.default_limits;
    match classify(layout, &limits, word) {
        Decoded::Present { .. } => Ok(word),
        _ => Err(EncodeError::NotRepresentable {
            word,
            wanted: "present",
        }),
    }
}

/// `pfn_pte(pfn, PAGE_NONE)`: a protnone entry (PFN inverted where L1TF applies).
pub const fn encode_protnone(layout: &Layout, pfn: u64) -> Result<u64, EncodeError> {
    let word = layout.page_none | tri!(pfn_bits(layout, pfn, layout.pfn.protnone_inverted));
    let limits = layout.default_limits;
    match classify(layout, &limits, word) {
        Decoded::ProtNone { .. } => Ok(word),
        _ => Err(EncodeError::NotRepresentable {
            word,
            wanted: "protnone",
        }),
    }
}
