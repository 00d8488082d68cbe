//! The limits in force: real kernel bounds that make some encodings impossible (docs/DESIGN.md#limits).
//!
//! Each limit is a bit count: a swap type must be `< 2^swap_type_bits`, a swap offset
//! `< 2^swap_offset_bits`, a file pgoff `< 2^file_pgoff_bits`. The defaults are the kernel's
//! own (powers of two covering the exact maxima); a user may only *narrow* them, never widen,
//! because a wider limit would admit words the kernel can never create.

use core::fmt;

/// Limits on swap and file encodings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Limits {
    /// T: `MAX_SWAPFILES_SHIFT` (5 in every era).
    pub swap_type_bits: u32,
    /// N: bits of a real swap offset (docs/DESIGN.md#limits).
    pub swap_offset_bits: u32,
    /// M: `PTE_FILE_MAX_BITS`, or `None` where the layout has no file PTEs.
    pub file_pgoff_bits: Option<u32>,
}

/// A limit could not be applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitError {
    /// The requested limit is wider than the layout's default.
    Wider {
        /// Which limit (`swap type bits`, `swap offset bits`, `file pgoff bits`).
        limit: &'static str,
        /// The requested bit count.
        requested: u32,
        /// The default (the widest allowed).
        default: u32,
    },
    /// A limit of zero bits would forbid every value.
    Zero {
        /// Which limit.
        limit: &'static str,
    },
    /// The layout has no file PTEs.
    NoFileEntries,
}

impl fmt::Display for LimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LimitError::Wider {
                limit,
                requested,
                default,
            } => write!(
                f,
                "{limit} {requested} is wider than the layout's limit {default}; limits can only be narrowed"
            ),
            LimitError::Zero { limit } => write!(f, "{limit} 0 would forbid every value"),
            LimitError::NoFileEntries => f.write_str("this layout has no file PTEs"),
        }
    }
}

impl Limits {
    /// Narrows the swap-offset limit to `bits`.
    pub const fn with_swap_offset_bits(self, bits: u32) -> Result<Limits, LimitError> {
        match narrow("swap offset bits", self.swap_offset_bits, bits) {
            Ok(b) => Ok(Limits {
                swap_offset_bits: b,
                ..self
            }),
            Err(e) => Err(e),
        }
    }

    /// Narrows the swap-type limit to `bits`.
    pub const fn with_swap_type_bits(self, bits: u32) -> Result<Limits, LimitError> {
        match narrow("swap type bits", self.swap_type_bits, bits) {
            Ok(b) => Ok(Limits {
                swap_type_bits: b,
                ..self
            }),
            Err(e) => Err(e),
        }
    }

    /// Narrows the file-pgoff limit to `bits`.
    pub const fn with_file_pgoff_bits(self, bits: u32) -> Result<Limits, LimitError> {
        match self.file_pgoff_bits {
            None => Err(LimitError::NoFileEntries),
            Some(current) => match narrow("file pgoff bits", current, bits) {
                Ok(b) => Ok(Limits {
                    file_pgoff_bits: Some(b),
                    ..self
                }),
                Err(e) => Err(e),
            },
        }
    }

    /// Unwraps a narrowing in a `const` (a compile error if it is not a narrowing).
    pub const fn expect(r: Result<Limits, LimitError>) -> Limits {
        match r {
            Ok(l) => l,
            Err(LimitError::Wider { .. }) => panic!("limits can only be narrowed"),
            Err(LimitError::Zero { .. }) => panic!("a limit of zero bits forbids every value"),
            Err(LimitError::NoFileEntries) => panic!("this layout has no file PTEs"),
        }
    }
}

const fn narrow(limit: &'static str, current: u32, requested: u32) -> Result<u32, LimitError> {
    if requested == 0 {
        Err(LimitError::Zero { limit })
    } else if requested > current {
        Err(LimitError::Wider {
            limit,
            requested,
            default: current,
        })
    } else {
        Ok(requested)
    }
}
