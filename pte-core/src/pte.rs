//! The `Arch` trait (a layout as a type), the typed value [`Pte`], and the capabilities
//! [`LockBit`] and [`CompareExchange`].

use core::fmt;
use core::marker::PhantomData;

use crate::classify::{Decoded, Discipline, State, SwapEntry, classify, classify_locked};
use crate::encode::{EncodeError, encode_file, encode_present, encode_protnone, encode_swap};
use crate::helpers;
use crate::limits::Limits;
use crate::model::Layout;
use crate::proof::LockProof;
use crate::word::PteWord;

/// A PTE layout as a type: its word, its flags, its `const` [`Layout`] and [`Limits`].
///
/// Architecture crates implement it for one zero-sized type per layout; a user narrows the
/// limits with [`narrowed_arch!`](crate::narrowed_arch).
pub trait Arch: Copy + Send + Sync + 'static {
    /// The stored word: `u32` for 2-level i386, [`Word64`](crate::Word64) otherwise.
    type Word: PteWord;
    /// The `bitflags` type of present-entry flags.
    type Flags: bitflags::Flags<Bits = <Self::Word as PteWord>::Bits> + Copy;
    /// The format model.
    const LAYOUT: &'static Layout;
    /// The limits in force (the layout's defaults unless narrowed).
    const LIMITS: Limits = Self::LAYOUT.default_limits;
}

/// A layout with a proved software lock bit (see [`lock_bit!`](crate::lock_bit)).
///
/// The only way to build the [`LockProof`] is [`proof::require`](crate::proof::require),
/// which evaluates the proof at compile time.
pub trait LockBit: Arch {
    /// The proof of the bit under its discipline.
    const PROOF: LockProof;
    /// The lock bit, after checking the proof was made for this layout and its limits.
    const BIT: u32 = {
        assert!(
            Self::PROOF.is_for(Self::LAYOUT, &Self::LIMITS),
            "the lock-bit proof was made for another layout or other limits"
        );
        Self::PROOF.bit()
    };
    /// The discipline.
    const DISCIPLINE: Discipline = Self::PROOF.discipline();
    /// The lock bit as a mask.
    const MASK: u64 = 1u64 << Self::BIT;
}

/// The PTE word has lock-free compare-and-swap on this target.
///
/// Implemented for every [`Arch`] whose word type is lock-free here (decided at compile time
/// from `target_has_atomic`; see [`LockFreeWord`](crate::word::LockFreeWord)).
#[doc(alias = "cmpxchg")]
pub trait CompareExchange: Arch {}

impl<A: Arch> CompareExchange for A where A::Word: crate::word::LockFreeWord {}

/// A typed PTE value of layout `A`.
#[repr(transparent)]
pub struct Pte<A: Arch> {
    word: A::Word,
    _layout: PhantomData<A>,
}

impl<A: Arch> Clone for Pte<A> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<A: Arch> Copy for Pte<A> {}
impl<A: Arch> PartialEq for Pte<A> {
    fn eq(&self, other: &Self) -> bool {
        self.word == other.word
    }
}
impl<A: Arch> Eq for Pte<A> {}

impl<A: Arch> fmt::Debug for Pte<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Pte<{}>({:#x}: {:?})",
            A::LAYOUT.name,
            self.raw(),
            self.decode()
        )
    }
}

/// A raw value wider than the layout's word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WordTooWide {
    /// The value given.
    pub value: u64,
    /// The layout's word width.
    pub word_bits: u32,
}

impl fmt::Display for WordTooWide {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:#x} does not fit a {}-bit PTE",
            self.value, self.word_bits
        )
    }
}

impl<A: Arch> Pte<A> {
    /// The empty entry.
    pub fn none() -> Self {
        Self::from_word(A::Word::from_u64(0))
    }

    /// Wraps a stored word.
    pub fn from_word(word: A::Word) -> Self {
        Pte {
            word,
            _layout: PhantomData,
        }
    }

    /// Wraps a raw value, refusing bits beyond the word.
    #[doc(alias = "__pte")]
    pub fn from_raw(raw: u64) -> Result<Self, WordTooWide> {
        if raw & !A::LAYOUT.word_mask() != 0 {
            return Err(WordTooWide {
                value: raw,
                word_bits: A::LAYOUT.word_bits,
            });
        }
        Ok(Self::from_word(A::Word::from_u64(raw)))
    }

    /// The stored word.
    pub fn word(self) -> A::Word {
        self.word
    }

    /// The raw value.
    #[doc(alias = "pte_val")]
    pub fn raw(self) -> u64 {
        self.word.to_u64()
    }

    /// Classifies the entry (no lock bit considered).
    pub fn decode(self) -> Decoded {
        classify(A::LAYOUT, &A::LIMITS, self.raw())
    }

    /// The entry's state.
    pub fn state(self) -> State {
        self.decode().state()
    }

    /// `pte_none()`.
    #[doc(alias = "pte_none")]
    pub fn is_none(self) -> bool {
        crate::classify::is_none(A::LAYOUT, self.raw())
    }

    /// `pte_present()` (valid, protnone or present-invalid).
    #[doc(alias = "pte_present")]
    pub fn is_present(self) -> bool {
        matches!(
            self.state(),
            State::Present | State::ProtNone | State::PresentInvalid
        )
    }

    /// `pte_pfn()` of a present-like entry.
    #[doc(alias = "pte_pfn")]
    pub fn pfn(self) -> Option<u64> {
        self.decode().pfn()
    }

    /// The present-entry flags (every named bit that is set).
    pub fn flags(self) -> A::Flags {
        <A::Flags as bitflags::Flags>::from_bits_truncate(self.word.bits())
    }

    /// `pfn_pte(pfn, flags)`.
    #[doc(alias = "pfn_pte")]
    pub fn present(pfn: u64, flags: A::Flags) -> Result<Self, EncodeError> {
        let bits = A::Word::from_bits(bitflags::Flags::bits(&flags)).to_u64();
        encode_present(A::LAYOUT, pfn, bits).map(Self::from_valid)
    }

    /// `pfn_pte(pfn, prot)` with a raw protection (e.g. [`Layout::page_shared`]).
    #[doc(alias = "pfn_pte")]
    pub fn with_prot(pfn: u64, prot: u64) -> Result<Self, EncodeError> {
        encode_present(A::LAYOUT, pfn, prot).map(Self::from_valid)
    }

    /// `pfn_pte(pfn, PAGE_NONE)`.
    pub fn protnone(pfn: u64) -> Result<Self, EncodeError> {
        encode_protnone(A::LAYOUT, pfn).map(Self::from_valid)
    }

    /// `swp_entry_to_pte()` with the swap-PTE flags.
    #[doc(alias = "swp_entry_to_pte")]
    pub fn swap(entry: SwapEntry) -> Result<Self, EncodeError> {
        encode_swap(A::LAYOUT, &A::LIMITS, entry).map(Self::from_valid)
    }

    /// `pgoff_to_pte()`.
    #[doc(alias = "pgoff_to_pte")]
    pub fn file(pgoff: u64) -> Result<Self, EncodeError> {
        encode_file(A::LAYOUT, &A::LIMITS, pgoff).map(Self::from_valid)
    }

    fn from_valid(raw: u64) -> Self {
        Self::from_word(A::Word::from_u64(raw))
    }

    fn map(self, f: impl FnOnce(&'static Layout, u64) -> u64) -> Self {
        Self::from_valid(f(A::LAYOUT, self.raw()))
    }

    /// `pte_young()`.
    #[doc(alias = "pte_young")]
    pub fn is_young(self) -> bool {
        helpers::is_young(A::LAYOUT, self.raw())
    }

    /// `pte_mkyoung()`.
    #[doc(alias = "pte_mkyoung")]
    #[must_use]
    pub fn make_young(self) -> Self {
        self.map(helpers::make_young)
    }

    /// `pte_mkold()`.
    #[doc(alias = "pte_mkold")]
    #[must_use]
    pub fn make_old(self) -> Self {
        self.map(helpers::make_old)
    }

    /// `pte_dirty()`.
    #[doc(alias = "pte_dirty")]
    pub fn is_dirty(self) -> bool {
        helpers::is_dirty(A::LAYOUT, self.raw())
    }

    /// `pte_mkdirty()`.
    #[doc(alias = "pte_mkdirty")]
    #[must_use]
    pub fn make_dirty(self) -> Self {
        self.map(helpers::make_dirty)
    }

    /// `pte_mkclean()`.
    #[doc(alias = "pte_mkclean")]
    #[must_use]
    pub fn make_clean(self) -> Self {
        self.map(helpers::make_clean)
    }

    /// `pte_write()`.
    #[doc(alias = "pte_write")]
    pub fn is_writable(self) -> bool {
        helpers::is_writable(A::LAYOUT, self.raw())
    }

    /// `pte_mkwrite()`.
    #[doc(alias = "pte_mkwrite")]
    #[must_use]
    pub fn make_writable(self) -> Self {
        self.map(helpers::make_writable)
    }

    /// `pte_wrprotect()` (keeps dirty).
    #[doc(alias = "pte_wrprotect")]
    #[must_use]
    pub fn write_protect(self) -> Self {
        self.map(helpers::write_protect)
    }

    /// `pte_modify(pte, prot)`: takes the protection from `prot`, keeps PFN, accessed, dirty
    /// and every bit Linux gives no meaning (where an any-state lock bit lives).
    #[doc(alias = "pte_modify")]
    #[must_use]
    pub fn with_protection(self, prot: A::Flags) -> Self {
        let prot = A::Word::from_bits(bitflags::Flags::bits(&prot)).to_u64();
        Self::from_valid(helpers::with_protection(A::LAYOUT, self.raw(), prot))
    }
}

impl<A: LockBit> Pte<A> {
    /// Classifies the entry knowing the lock bit: `(decoded, locked)`.
    pub fn decode_locked(self) -> (Decoded, bool) {
        classify_locked(
            A::LAYOUT,
            &A::LIMITS,
            self.raw(),
            Some((A::BIT, A::DISCIPLINE)),
        )
    }

    /// The locked-empty entry.
    pub fn locked_none() -> Self {
        Self::from_valid(A::MASK)
    }

    /// Whether the lock is held: the `locked` half of [`decode_locked`](Self::decode_locked),
    /// computed with masks only, so spin loops do not run the classifier.
    ///
    /// Any-state: the bit is set. None-only: the bit means "locked" only on an empty entry, so
    /// the word is exactly the mask (ignoring the bits `pte_none` ignores, e.g. the erratum
    /// A/D bits of x86 6.x).
    #[inline]
    pub fn is_locked(self) -> bool {
        let raw = self.raw();
        match A::DISCIPLINE {
            Discipline::NoneOnly => raw & !A::LAYOUT.none_ignore == A::MASK,
            Discipline::AnyState => raw & A::MASK != 0,
        }
    }

    /// The entry with the lock bit set. Infallible: the proof behind [`LockBit::BIT`] checked
    /// that the bit lies inside the word. (Meaningful only where the discipline allows the bit
    /// on this entry: any-state, or an empty entry.)
    #[inline]
    pub(crate) fn with_lock_bit(self) -> Self {
        Self::from_valid(self.raw() | A::MASK)
    }

    /// The entry with the lock bit clear (clearing a bit cannot leave the word).
    #[inline]
    pub(crate) fn without_lock_bit(self) -> Self {
        Self::from_valid(self.raw() & !A::MASK)
    }
}
