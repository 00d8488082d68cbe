//! The `Arch` trait (a layout as a type), the typed value [`Pte`], and the capabilities
//! [`LockBit`] and [`CompareExchange`].

use core::fmt;
use core::marker::PhantomData;

use crate::classify::{Decoded, Discipline, State, SwapEntry, classify, classify_locked};
use crate::encode::{EncodeError, encode_file, encode_present, encode_protnone, encode_swap};
use crate::helpers;
use crate::limits::Limits;
use crate::message::Message;
use crate::model::Layout;
use crate::proof::LockProof;
use crate::word::PteWord;

/// A PTE layout as a type: its word, its flags, its `const` [`Layout`] and [`Limits`].
///
/// Architecture crates implement it for one zero-sized type per layout
/// ([`layout_type!`](crate::layout_type)); a user narrows the limits with
/// [`narrowed_arch!`](crate::narrowed_arch). What an impl declares is not trusted: every use in
/// this crate goes through [`ArchChecked`], which refuses (at compile time) a `Word` whose width
/// is not the layout's and `LIMITS` wider than the layout's defaults.
pub trait Arch: Copy + Send + Sync + 'static {
    /// The stored word: `u32` for 2-level i386, [`Word64`](crate::Word64) otherwise. Its width
    /// must be [`Layout::word_bits`] ([`ArchChecked::CHECKED_LAYOUT`] checks).
    type Word: PteWord;
    /// The `bitflags` type of present-entry flags.
    type Flags: bitflags::Flags<Bits = <Self::Word as PteWord>::Bits> + Copy;
    /// The format model.
    const LAYOUT: &'static Layout;
    /// The limits in force (the layout's defaults unless narrowed). They may only narrow
    /// `LAYOUT.default_limits` ([`ArchChecked::CHECKED_LIMITS`] checks).
    const LIMITS: Limits = Self::LAYOUT.default_limits;
}

/// An [`Arch`] impl's declarations, checked: implemented by this crate for every `Arch`
/// (a blanket impl, so nothing here can be overridden).
///
/// Evaluating either constant is a compile error, naming the layout, if
/// * `<A::Word as PteWord>::BITS != A::LAYOUT.word_bits` (a 32-bit word on a 64-bit layout:
///   entries would be truncated), or
/// * `A::LIMITS` is wider than `A::LAYOUT.default_limits` in any limit, zero in any limit, or
///   disagrees with the layout on whether file PTEs exist (a wider limit admits words the
///   kernel never creates, and a lock-bit proof under it would be a proof about another
///   kernel).
///
/// [`Pte`], [`LockBit`] and [`LayoutEntry`](crate::LayoutEntry) read the layout and limits
/// only through these constants; [`layout_type!`](crate::layout_type),
/// [`narrowed_arch!`](crate::narrowed_arch) and [`lock_bit!`](crate::lock_bit) evaluate them at
/// the declaration. A hand-written `impl Arch` that is never used with them is not checked
/// (it is not used either).
pub trait ArchChecked: Arch {
    /// `A::LAYOUT`, after checking the word's width.
    const CHECKED_LAYOUT: &'static Layout;
    /// `A::LIMITS`, after checking they only narrow the layout's defaults.
    const CHECKED_LIMITS: Limits;
    /// The break-before-make marker word, proved to alias no state
    /// ([`proof::marker_bit`](crate::proof::marker_bit)); `None` if the layout has no bit for it.
    const BREAK_MARKER: Option<u64>;
}

impl<A: Arch> ArchChecked for A {
    const CHECKED_LAYOUT: &'static Layout = {
        let layout = A::LAYOUT;
        let bits = <A::Word as PteWord>::BITS;
        if bits != layout.word_bits {
            let m = Message::new()
                .push(layout.name)
                .push(": the Arch impl's Word has ")
                .dec(bits as u64)
                .push(" bits but the layout's entries have ")
                .dec(layout.word_bits as u64)
                .push(" (use the word type of the layout's crate)");
            panic!("{}", m.as_str());
        }
        layout
    };
    const CHECKED_LIMITS: Limits = {
        let layout = A::CHECKED_LAYOUT;
        let (l, d) = (A::LIMITS, layout.default_limits);
        let m = Message::new().push(layout.name).push(": Arch::LIMITS.");
        let bad = match (l.file_pgoff_bits, d.file_pgoff_bits) {
            (Some(a), Some(b)) => limit_msg(m, "file_pgoff_bits", a, b),
            (None, None) => None,
            (Some(_), None) => {
                Some(m.push("file_pgoff_bits is Some but the layout has no file PTEs"))
            }
            (None, Some(_)) => Some(
                m.push("file_pgoff_bits is None but the layout has file PTEs (narrow it instead)"),
            ),
        };
        let bad = match bad {
            None => limit_msg(m, "swap_type_bits", l.swap_type_bits, d.swap_type_bits),
            b => b,
        };
        let bad = match bad {
            None => limit_msg(
                m,
                "swap_offset_bits",
                l.swap_offset_bits,
                d.swap_offset_bits,
            ),
            b => b,
        };
        if let Some(m) = bad {
            panic!("{}", m.as_str());
        }
        l
    };
    const BREAK_MARKER: Option<u64> =
        match crate::proof::marker_bit(A::CHECKED_LAYOUT, &A::CHECKED_LIMITS) {
            Some(bit) => Some(1 << bit),
            None => None,
        };
}

/// The message for a limit that is not a narrowing of the default, if it is not.
const fn limit_msg(m: Message, name: &str, requested: u32, default: u32) -> Option<Message> {
    if requested == 0 {
        Some(m.push(name).push(" is 0, which forbids every value"))
    } else if requested > default {
        Some(
            m.push(name)
                .push(" is ")
                .dec(requested as u64)
                .push(", wider than the layout's ")
                .dec(default as u64)
                .push("; limits can only be narrowed (narrowed_arch!)"),
        )
    } else {
        None
    }
}

/// The declaration [`lock_bit!`](crate::lock_bit) writes: a bit and a discipline, nothing
/// proved. Not part of the API: use the macro.
///
/// Declaring is all it does; [`LockBit`] (a blanket impl over this trait) re-proves the bit
/// against the type's own checked layout and limits. A hand-written impl of this trait can
/// therefore not forge anything; it only loses the macro's evaluation at the declaration, so
/// a colliding bit is then reported where the type is first used as a `LockBit`.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no lock bit: none was declared with `pte_core::lock_bit!`",
    label = "`{Self}` is not a `LockBit` layout",
    note = "a lock bit is declared (and proved) with `pte_core::lock_bit!(Type, bit = B, discipline = NoneOnly | AnyState)`"
)]
pub trait DeclareLockBit: Arch {
    /// The declared bit.
    const DECLARED_BIT: u32;
    /// The declared discipline.
    const DECLARED_DISCIPLINE: Discipline;
}

mod sealed {
    /// Implemented exactly for the types with a [`DeclareLockBit`](super::DeclareLockBit)
    /// impl: `LockBit` cannot be implemented by hand.
    #[diagnostic::on_unimplemented(
        message = "`LockBit` cannot be implemented by hand for `{Self}`: declare the bit with `pte_core::lock_bit!`, which proves it",
        label = "not declared with `pte_core::lock_bit!`",
        note = "`LockBit`'s constants are computed by pte-core from the type's own layout and limits; they cannot be written, overridden or copied from another type"
    )]
    pub trait Proved {}
    impl<A: super::DeclareLockBit> Proved for A {}
}

/// A layout with a proved software lock bit.
///
/// **[`lock_bit!`](crate::lock_bit) is the only way to get one.** The macro writes a
/// declaration (the bit and the discipline) and this crate implements `LockBit` for every
/// declared type (a blanket impl; the trait is sealed, so a hand-written `impl LockBit` does
/// not compile). All four constants are *computed* there:
/// `PROOF = proof::require(CHECKED_LAYOUT, CHECKED_LIMITS, bit, discipline)`, and `BIT`,
/// `DISCIPLINE`, `MASK` are read from that proof. Why this is sound:
///
/// * nothing can be overridden: the constants belong to the blanket impl, not to the user;
/// * nothing can be transplanted: the proof is made against the type's own
///   [`Arch::LAYOUT`] and [`Arch::LIMITS`], never taken from another type;
/// * the layout and limits themselves are checked ([`ArchChecked`]): the word type has the
///   layout's width and the limits only narrow the layout's defaults;
/// * `lock_bit!` evaluates the proof at the declaration, so a colliding bit is a compile
///   error there (under `cargo check` too), naming the state, the field and a witness word.
///
/// What remains: `unsafe` code can do anything (e.g. transmute a [`PteSlot`](crate::PteSlot)
/// of one layout into another's), and a layout type describes *a* layout — a user who writes a
/// wrong `Layout` gets proofs about that wrong layout. A hand-written (hidden, unsupported)
/// declaration impl forges nothing, but its proof is then evaluated only where the type is
/// used as a `LockBit`.
///
/// What a proof promises depends on the discipline ([`Discipline`]): an **any-state** bit is
/// never 1 in any in-limit entry of any state; a **none-only** bit only makes the locked-empty
/// word invalid, and may well be a field bit of other states — e.g. on x86_64/6.6 bit 56 lies
/// in the inverted swap offset and bits 12–51 in the PFN of present entries. That is by
/// design: a none-only bit is only ever set on an empty entry.
pub trait LockBit: Arch + sealed::Proved {
    /// The proof of the bit under its discipline, for this type's layout and limits.
    const PROOF: LockProof;
    /// The lock bit.
    const BIT: u32;
    /// The discipline.
    const DISCIPLINE: Discipline;
    /// The lock bit as a mask.
    const MASK: u64;
}

impl<A: DeclareLockBit> LockBit for A {
    const PROOF: LockProof = crate::proof::require(
        A::CHECKED_LAYOUT,
        A::CHECKED_LIMITS,
        A::DECLARED_BIT,
        A::DECLARED_DISCIPLINE,
    );
    const BIT: u32 = Self::PROOF.bit();
    const DISCIPLINE: Discipline = Self::PROOF.discipline();
    const MASK: u64 = Self::PROOF.mask();
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
            A::CHECKED_LAYOUT.name,
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
    /// The empty entry (`const`: a static table can be built from it).
    pub const fn none() -> Self {
        Self::from_word(<A::Word as PteWord>::ZERO)
    }

    /// Wraps a stored word.
    ///
    /// Every `Pte<A>` is made here, which evaluates [`ArchChecked`]'s checks of `A` (at
    /// compile time; nothing is checked at run time).
    pub const fn from_word(word: A::Word) -> Self {
        const {
            let _ = A::CHECKED_LIMITS;
        }
        Pte {
            word,
            _layout: PhantomData,
        }
    }

    /// Wraps a raw value, refusing bits beyond the word.
    #[doc(alias = "__pte")]
    pub fn from_raw(raw: u64) -> Result<Self, WordTooWide> {
        if raw & !A::CHECKED_LAYOUT.word_mask() != 0 {
            return Err(WordTooWide {
                value: raw,
                word_bits: A::CHECKED_LAYOUT.word_bits,
            });
        }
        Ok(Self::from_word(A::Word::from_u64(raw)))
    }

    /// The stored word.
    pub const fn word(self) -> A::Word {
        self.word
    }

    /// The raw value.
    #[doc(alias = "pte_val")]
    pub fn raw(self) -> u64 {
        self.word.to_u64()
    }

    /// Classifies the entry (no lock bit considered).
    pub fn decode(self) -> Decoded {
        classify(A::CHECKED_LAYOUT, &A::CHECKED_LIMITS, self.raw())
    }

    /// The entry's state.
    pub fn state(self) -> State {
        self.decode().state()
    }

    /// `pte_none()`.
    #[doc(alias = "pte_none")]
    pub fn is_none(self) -> bool {
        crate::classify::is_none(A::CHECKED_LAYOUT, self.raw())
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
        encode_present(A::CHECKED_LAYOUT, pfn, bits).map(Self::from_valid)
    }

    /// `pfn_pte(pfn, prot)` with a raw protection (e.g. [`Layout::page_shared`]).
    #[doc(alias = "pfn_pte")]
    pub fn with_prot(pfn: u64, prot: u64) -> Result<Self, EncodeError> {
        encode_present(A::CHECKED_LAYOUT, pfn, prot).map(Self::from_valid)
    }

    /// `pfn_pte(pfn, PAGE_NONE)`.
    pub fn protnone(pfn: u64) -> Result<Self, EncodeError> {
        encode_protnone(A::CHECKED_LAYOUT, pfn).map(Self::from_valid)
    }

    /// `swp_entry_to_pte()` with the swap-PTE flags.
    #[doc(alias = "swp_entry_to_pte")]
    pub fn swap(entry: SwapEntry) -> Result<Self, EncodeError> {
        encode_swap(A::CHECKED_LAYOUT, &A::CHECKED_LIMITS, entry).map(Self::from_valid)
    }

    /// `pgoff_to_pte()`.
    #[doc(alias = "pgoff_to_pte")]
    pub fn file(pgoff: u64) -> Result<Self, EncodeError> {
        encode_file(A::CHECKED_LAYOUT, &A::CHECKED_LIMITS, pgoff).map(Self::from_valid)
    }

    /// The break-before-make marker: the invalid word an entry holds while it is being
    /// replaced by one with a new output address and every TLB drops the old translation
    /// ([`Strategy::replace_flushed`](crate::fault::Strategy::replace_flushed) of the
    /// lock-free strategy). It is `1 << b` for the highest bit `b` the none-only proof accepts,
    /// so it is proved, at compile time, to alias no state: a fault that reads it waits
    /// instead of filling it (a none would be filled with a fresh zero page), the MMU does not
    /// translate it, swap-out leaves it. On aarch64 it is bit 63 — the word of the locked
    /// empty entry. `None`: the layout has no such bit (i386/2.6.8 2-level).
    #[doc(alias("pte_marker", "break-before-make"))]
    pub fn break_marker() -> Option<Self> {
        A::BREAK_MARKER.map(Self::from_valid)
    }

    /// Whether the entry is the [`break_marker`](Self::break_marker), ignoring the bits
    /// `pte_none()` ignores (the MMU may set those on a non-present entry: x86's KNL erratum).
    #[inline]
    pub fn is_break_marker(self) -> bool {
        matches!(A::BREAK_MARKER, Some(m) if self.raw() & !A::CHECKED_LAYOUT.none_ignore == m)
    }

    fn from_valid(raw: u64) -> Self {
        Self::from_word(A::Word::from_u64(raw))
    }

    fn map(self, f: impl FnOnce(&'static Layout, u64) -> u64) -> Self {
        Self::from_valid(f(A::CHECKED_LAYOUT, self.raw()))
    }

    /// `pte_young()`.
    #[doc(alias = "pte_young")]
    pub fn is_young(self) -> bool {
        helpers::is_young(A::CHECKED_LAYOUT, self.raw())
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
        helpers::is_dirty(A::CHECKED_LAYOUT, self.raw())
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
        helpers::is_writable(A::CHECKED_LAYOUT, self.raw())
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
        Self::from_valid(helpers::with_protection(
            A::CHECKED_LAYOUT,
            self.raw(),
            prot,
        ))
    }
}

impl<A: LockBit> Pte<A> {
    /// Classifies the entry knowing the lock bit: `(decoded, locked)`.
    pub fn decode_locked(self) -> (Decoded, bool) {
        classify_locked(
            A::CHECKED_LAYOUT,
            &A::CHECKED_LIMITS,
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
            Discipline::NoneOnly => raw & !A::CHECKED_LAYOUT.none_ignore == A::MASK,
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
