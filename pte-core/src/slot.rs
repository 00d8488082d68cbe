//! [`PteSlot`]: the only way to store a PTE.
//!
//! Orderings, and why:
//! * `load` is **Acquire**: a reader that sees a present entry must also see the page contents
//!   the installer wrote before publishing it.
//! * `store` is **Release**: publication; everything written before (zeroing or copying the
//!   page, unlocking) happens-before any Acquire load that sees the new entry.
//! * `compare_exchange` is **AcqRel** on success (it both reads a published entry and publishes
//!   one) and **Acquire** on failure (the loser reads the winner's entry and its page).
//! * `exchange` and `take` (get-and-clear) are **AcqRel**: it takes the old entry's page and
//!   publishes the new one in a single step, so there is never a transient none between two
//!   non-none values.
//! * `fetch_or` / `fetch_and` are **AcqRel**: a lock-bit acquire must see the previous holder's
//!   writes (Acquire); an A/D update or unlock must publish (Release).

use core::marker::PhantomData;
use core::sync::atomic::Ordering;

use crate::pte::{Arch, ArchChecked, LockBit, Pte};
use crate::word::{AtomicCell, PteWord};

/// An atomic PTE of layout `A`.
///
/// `#[repr(transparent)]` over the word's atomic cell, which is itself transparent over the
/// word outside loom: a slot has the size and alignment of `A::Word`, so a kernel can view an
/// entry of a hardware page table as a slot ([`PteSlot::from_ptr`]).
#[repr(transparent)]
pub struct PteSlot<A: Arch> {
    cell: <A::Word as PteWord>::Cell,
    _layout: PhantomData<A>,
}

impl<A: Arch> core::fmt::Debug for PteSlot<A> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("PteSlot").field(&self.load()).finish()
    }
}

impl<A: Arch> Default for PteSlot<A> {
    fn default() -> Self {
        Self::new(Pte::none())
    }
}

/// A word reinterpreted as its atomic cell, in `const` (trait methods cannot be `const`).
#[cfg(not(loom))]
union WordAsCell<W: Copy, C> {
    word: W,
    cell: core::mem::ManuallyDrop<C>,
}

impl<A: Arch> PteSlot<A> {
    /// A slot holding `pte` (`const`, so a static page table can be built without `unsafe`).
    ///
    /// ```
    /// use arch_x86_64::X86_64_6_6;
    /// use pte_core::{Pte, PteSlot};
    ///
    /// // A leaf table, all entries empty, as a kernel's static.
    /// static TABLE: [PteSlot<X86_64_6_6>; 512] = [const { PteSlot::none() }; 512];
    /// // One entry preset, in a const context.
    /// static ONE: PteSlot<X86_64_6_6> = PteSlot::new(Pte::none());
    ///
    /// assert!(TABLE.iter().all(|s| s.load().is_none()));
    /// assert!(ONE.load().is_none());
    /// ```
    #[cfg(not(loom))]
    pub const fn new(pte: Pte<A>) -> Self {
        const {
            assert!(
                core::mem::size_of::<<A::Word as PteWord>::Cell>()
                    == core::mem::size_of::<A::Word>()
            );
        }
        let pun = WordAsCell::<A::Word, <A::Word as PteWord>::Cell> { word: pte.word() };
        // SAFETY: outside loom the cell is `#[repr(transparent)]` over `atomic::Atomic<W>`,
        // which (atomic 0.6) is `#[repr(transparent)]` over `UnsafeCell<MaybeUninit<W>>`, so
        // every initialized `W` is a valid cell holding that word; `W` (u32 or `Word64`) has
        // no padding and the sizes are equal (asserted above), so `cell` reads exactly the
        // initialized bytes of `word`. `atomic` does not promise that representation: the
        // size assertion here and the size/alignment ones in `from_ptr` catch most drift, and
        // the slot tests (also under Miri) check that a `new` slot loads what it was given.
        let cell = unsafe { core::mem::ManuallyDrop::into_inner(pun.cell) };
        PteSlot {
            cell,
            _layout: PhantomData,
        }
    }

    /// A slot holding `pte` (under loom, whose atomics have no `const` constructor).
    #[cfg(loom)]
    pub fn new(pte: Pte<A>) -> Self {
        PteSlot {
            cell: AtomicCell::new(pte.word()),
            _layout: PhantomData,
        }
    }

    /// An empty slot ([`Pte::none`]), `const`: `[const { PteSlot::none() }; 512]` is a
    /// static leaf table (see [`new`](Self::new)).
    #[cfg(not(loom))]
    pub const fn none() -> Self {
        Self::new(Pte::none())
    }

    /// An empty slot (under loom: not `const`).
    #[cfg(loom)]
    pub fn none() -> Self {
        Self::new(Pte::none())
    }

    /// The entry at `ptr` of a page table the kernel owns, viewed as a slot: how a kernel's
    /// [`TableWalker`](crate::fault::TableWalker) hands out the entries the MMU walks.
    ///
    /// # Safety
    ///
    /// For `'a`, `ptr` is valid for reads and writes, aligned to `align_of::<A::Word>()`
    /// (8 for a 64-bit word, also on i686), and every access to the entry is atomic: through
    /// slots, or by the MMU's own accessed/dirty updates. (Not available under loom, whose
    /// atomics are not plain words.)
    #[cfg(not(loom))]
    #[inline]
    pub unsafe fn from_ptr<'a>(ptr: *mut A::Word) -> &'a Self {
        const {
            assert!(core::mem::size_of::<Self>() == core::mem::size_of::<A::Word>());
            assert!(core::mem::align_of::<Self>() == core::mem::align_of::<A::Word>());
        }
        // SAFETY: `PteSlot` is transparent over the cell, the cell over `Atomic<A::Word>`,
        // and that over `UnsafeCell<A::Word>` (sizes and alignments asserted above); the caller
        // guarantees validity, alignment and atomic-only access for `'a`.
        unsafe { &*ptr.cast::<Self>() }
    }

    /// Whether this slot's operations are lock-free on this target. When false, `atomic`'s
    /// fallback lock is in use and the layout does not implement [`CompareExchange`](crate::CompareExchange).
    pub fn is_lock_free() -> bool {
        <<A::Word as PteWord>::Cell as AtomicCell<A::Word>>::is_lock_free()
    }

    /// Reads the entry (Acquire).
    #[doc(alias = "ptep_get")]
    pub fn load(&self) -> Pte<A> {
        Pte::from_word(self.cell.load(Ordering::Acquire))
    }

    /// Publishes `pte` (Release).
    #[doc(alias = "set_pte")]
    pub fn store(&self, pte: Pte<A>) {
        self.cell.store(pte.word(), Ordering::Release)
    }

    /// Replaces the entry with `pte` in one step and returns the old one (AcqRel): swap-out
    /// (present → swap entry) and get-and-clear (`pte` = none).
    #[doc(alias = "xchg")]
    pub fn exchange(&self, pte: Pte<A>) -> Pte<A> {
        Pte::from_word(self.cell.swap(pte.word(), Ordering::AcqRel))
    }

    /// `ptep_get_and_clear()`.
    #[doc(alias = "ptep_get_and_clear")]
    pub fn take(&self) -> Pte<A> {
        self.exchange(Pte::none())
    }

    /// Installs `new` only if the entry is exactly `current` (AcqRel / Acquire); on failure
    /// returns what is there.
    #[doc(alias = "ptep_cmpxchg")]
    pub fn compare_exchange(&self, current: Pte<A>, new: Pte<A>) -> Result<Pte<A>, Pte<A>>
    where
        A: crate::CompareExchange,
    {
        self.cell
            .compare_exchange(
                current.word(),
                new.word(),
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .map(Pte::from_word)
            .map_err(Pte::from_word)
    }

    /// Sets `bits` (AcqRel) and returns the previous entry: hardware-style A/D updates.
    pub fn fetch_or(&self, bits: u64) -> Pte<A> {
        Pte::from_word(
            self.cell
                .fetch_or(bits & A::CHECKED_LAYOUT.word_mask(), Ordering::AcqRel),
        )
    }

    /// Clears the bits not in `keep` (AcqRel) and returns the previous entry.
    pub fn fetch_and(&self, keep: u64) -> Pte<A> {
        Pte::from_word(
            self.cell
                .fetch_and(keep | !A::CHECKED_LAYOUT.word_mask(), Ordering::AcqRel),
        )
    }
}

impl<A: LockBit> PteSlot<A> {
    /// Atomic test-and-set of the lock bit (`lock bts`), Acquire: returns the previous entry.
    ///
    /// The lock is taken iff the previous entry did not have it. Under the none-only
    /// discipline the bit means "locked" only on an empty entry: call this only where every
    /// writer of an empty entry takes the lock first (the 2004 protocol), so a non-empty
    /// previous entry means the caller must not have set a meaningful bit — see
    /// [`PteSlot::try_lock_none`] for the compare-and-swap form that never touches one.
    #[doc(alias = "test_and_set_bit")]
    pub fn test_and_set_lock(&self) -> Pte<A> {
        Pte::from_word(self.cell.fetch_or(A::MASK, Ordering::Acquire))
    }

    /// Locks an empty entry: none → locked-none by one compare-and-swap from the empty word
    /// just read (which may carry the KNL erratum's A/D bits on x86 6.x), so a non-empty
    /// entry is never modified. Returns the entry found on failure (the caller re-reads an
    /// empty one: the erratum may have changed it).
    pub fn try_lock_none(&self) -> Result<(), Pte<A>>
    where
        A: crate::CompareExchange,
    {
        let seen = self.load();
        if !seen.is_none() {
            return Err(seen);
        }
        self.cell
            .compare_exchange(
                seen.word(),
                Pte::<A>::locked_none().word(),
                Ordering::Acquire,
                Ordering::Acquire,
            )
            .map(|_| ())
            .map_err(Pte::from_word)
    }

    /// Clears the lock bit (Release): everything written under the lock is published.
    pub fn unlock(&self) -> Pte<A> {
        Pte::from_word(self.cell.fetch_and(!A::MASK, Ordering::Release))
    }

    /// Installs `pte` and drops a none-only lock in one Release store ("setting the pte
    /// clears the pte lock").
    pub fn store_unlocking(&self, pte: Pte<A>) {
        debug_assert!(pte.raw() & A::MASK == 0 || A::DISCIPLINE == crate::Discipline::NoneOnly);
        self.cell.store(pte.word(), Ordering::Release)
    }
}
