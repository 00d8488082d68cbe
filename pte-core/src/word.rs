//! PTE word types and their atomic cells.
//!
//! A 64-bit PTE is stored as [`Word64`], an 8-aligned `u64`: on i686/i586 a plain `u64` is
//! only 4-aligned, and `atomic::Atomic<u64>` would then silently take the crate's global
//! spinlock instead of `lock cmpxchg8b`. Where a word is claimed lock-free
//! ([`LockFreeWord`]), `Atomic::<W>::is_lock_free()` is asserted at compile time.
//!
//! Under `cfg(loom)` the cells are loom's atomics, chosen with `cfg-if`, so the same slot code
//! is model-checked.

use core::fmt::Debug;
use core::sync::atomic::Ordering;

/// An 8-aligned 64-bit PTE word (lock-free `cmpxchg8b` on i586+).
///
/// For 32-bit x86 kernels: LLVM lowers a 64-bit atomic *load or store* to x87 `fild`/`fistp`
/// on i586 and to an SSE `movq` on i686 (only read-modify-writes use `lock cmpxchg8b`), so a
/// kernel built for the stock targets must allow FPU/SSE use where it touches slots and save
/// that state in its fault entry (`kernels/i386-pae` does `fnsave`/`frstor`); a target spec
/// without x87/SSE makes LLVM use `lock cmpxchg8b` for every access instead.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, bytemuck::NoUninit)]
#[repr(C, align(8))]
pub struct Word64(pub u64);

impl Debug for Word64 {
    #[inline]
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:#018x}", self.0)
    }
}

static_assertions::assert_eq_size!(Word64, u64);
static_assertions::const_assert_eq!(core::mem::align_of::<Word64>(), 8);

mod sealed {
    pub trait Sealed {}
    impl Sealed for u32 {}
    impl Sealed for super::Word64 {}
}

/// A PTE word: `u32` (2-level i386) or [`Word64`].
pub trait PteWord: Copy + Eq + Debug + Send + Sync + 'static + sealed::Sealed {
    /// The primitive of the layout's `bitflags` type.
    type Bits: Copy;
    /// The atomic cell that stores this word.
    type Cell: AtomicCell<Self>;
    /// Word width in bits.
    const BITS: u32;
    /// The zero word (`pte_none()`'s usual value, `const`).
    const ZERO: Self;
    /// Whether the word's atomic cell is lock-free on this target (then it is a
    /// [`LockFreeWord`] and layouts using it have [`CompareExchange`](crate::CompareExchange)).
    const LOCK_FREE: bool;
    /// Widens to `u64`.
    fn to_u64(self) -> u64;
    /// Narrows from `u64`; the caller has checked the value fits (layouts never exceed it).
    fn from_u64(v: u64) -> Self;
    /// From the flags primitive.
    fn from_bits(b: Self::Bits) -> Self;
    /// To the flags primitive.
    fn bits(self) -> Self::Bits;
}

impl PteWord for u32 {
    type Bits = u32;
    type Cell = Cell32;
    const BITS: u32 = 32;
    const ZERO: Self = 0;
    const LOCK_FREE: bool = cfg!(any(loom, target_has_atomic = "32"));
    #[inline]
    fn to_u64(self) -> u64 {
        self as u64
    }
    #[inline]
    fn from_u64(v: u64) -> Self {
        debug_assert!(v <= u32::MAX as u64);
        v as u32
    }
    #[inline]
    fn from_bits(b: u32) -> Self {
        b
    }
    #[inline]
    fn bits(self) -> u32 {
        self
    }
}

impl PteWord for Word64 {
    type Bits = u64;
    type Cell = Cell64;
    const BITS: u32 = 64;
    const ZERO: Self = Word64(0);
    const LOCK_FREE: bool = cfg!(any(loom, target_has_atomic = "64"));
    #[inline]
    fn to_u64(self) -> u64 {
        self.0
    }
    #[inline]
    fn from_u64(v: u64) -> Self {
        Word64(v)
    }
    #[inline]
    fn from_bits(b: u64) -> Self {
        Word64(b)
    }
    #[inline]
    fn bits(self) -> u64 {
        self.0
    }
}

/// The atomic operations a [`PteSlot`](crate::PteSlot) needs, with the caller's orderings.
pub trait AtomicCell<W>: Send + Sync {
    /// A cell holding `w`.
    fn new(w: W) -> Self;
    /// Atomic load.
    fn load(&self, order: Ordering) -> W;
    /// Atomic store.
    fn store(&self, w: W, order: Ordering);
    /// Atomic exchange.
    fn swap(&self, w: W, order: Ordering) -> W;
    /// Strong compare-and-exchange.
    fn compare_exchange(
        &self,
        current: W,
        new: W,
        success: Ordering,
        failure: Ordering,
    ) -> Result<W, W>;
    /// Atomic OR; returns the previous word.
    fn fetch_or(&self, bits: u64, order: Ordering) -> W;
    /// Atomic AND; returns the previous word.
    fn fetch_and(&self, bits: u64, order: Ordering) -> W;
    /// Whether the operations are lock-free on this target.
    fn is_lock_free() -> bool;
}

/// Words whose atomic cell is lock-free on this target: the [`CompareExchange`](crate::CompareExchange) capability.
pub trait LockFreeWord: PteWord {}

cfg_if::cfg_if! {
    if #[cfg(loom)] {
        use loom::sync::atomic::{AtomicU32 as Inner32, AtomicU64 as Inner64};

        /// The cell of a 32-bit word (loom model).
        #[derive(Debug)]
        pub struct Cell32(Inner32);
        /// The cell of a 64-bit word (loom model).
        #[derive(Debug)]
        pub struct Cell64(Inner64);

        impl AtomicCell<u32> for Cell32 {
            #[inline]
            fn new(w: u32) -> Self { Cell32(Inner32::new(w)) }
            #[inline]
            fn load(&self, o: Ordering) -> u32 { self.0.load(o) }
            #[inline]
            fn store(&self, w: u32, o: Ordering) { self.0.store(w, o) }
            #[inline]
            fn swap(&self, w: u32, o: Ordering) -> u32 { self.0.swap(w, o) }
            #[inline]
            fn compare_exchange(&self, c: u32, n: u32, s: Ordering, f: Ordering) -> Result<u32, u32> {
                self.0.compare_exchange(c, n, s, f)
            }
            #[inline]
            fn fetch_or(&self, b: u64, o: Ordering) -> u32 { self.0.fetch_or(b as u32, o) }
            #[inline]
            fn fetch_and(&self, b: u64, o: Ordering) -> u32 { self.0.fetch_and(b as u32, o) }
            #[inline]
            fn is_lock_free() -> bool { true }
        }

        impl AtomicCell<Word64> for Cell64 {
            #[inline]
            fn new(w: Word64) -> Self { Cell64(Inner64::new(w.0)) }
            #[inline]
            fn load(&self, o: Ordering) -> Word64 { Word64(self.0.load(o)) }
            #[inline]
            fn store(&self, w: Word64, o: Ordering) { self.0.store(w.0, o) }
            #[inline]
            fn swap(&self, w: Word64, o: Ordering) -> Word64 { Word64(self.0.swap(w.0, o)) }
            #[inline]
            fn compare_exchange(&self, c: Word64, n: Word64, s: Ordering, f: Ordering) -> Result<Word64, Word64> {
                self.0.compare_exchange(c.0, n.0, s, f).map(Word64).map_err(Word64)
            }
            #[inline]
            fn fetch_or(&self, b: u64, o: Ordering) -> Word64 { Word64(self.0.fetch_or(b, o)) }
            #[inline]
            fn fetch_and(&self, b: u64, o: Ordering) -> Word64 { Word64(self.0.fetch_and(b, o)) }
            #[inline]
            fn is_lock_free() -> bool { true }
        }

        impl LockFreeWord for u32 {}
        impl LockFreeWord for Word64 {}
    } else {
        use atomic::Atomic;
        use crate::probe::{self, Access, Site};

        /// The failure ordering that goes with a read-modify-write ordering.
        #[inline]
        fn load_part(order: Ordering) -> Ordering {
            match order {
                Ordering::AcqRel | Ordering::Acquire => Ordering::Acquire,
                Ordering::SeqCst => Ordering::SeqCst,
                _ => Ordering::Relaxed,
            }
        }

        /// The cell of a 32-bit word: `atomic::Atomic<u32>` (transparent: a slot can view a
        /// hardware table entry, see `PteSlot::from_ptr`).
        #[derive(Debug)]
        #[repr(transparent)]
        pub struct Cell32(Atomic<u32>);
        /// The cell of a 64-bit word: `atomic::Atomic<Word64>` (8-aligned, transparent).
        #[derive(Debug)]
        #[repr(transparent)]
        pub struct Cell64(Atomic<Word64>);

        impl AtomicCell<u32> for Cell32 {
            #[inline]
            fn new(w: u32) -> Self {
                Cell32(Atomic::new(w))
            }
            #[inline]
            fn load(&self, o: Ordering) -> u32 {
                probe::access(self, Access::Load, Site::Entry);
                self.0.load(o)
            }
            #[inline]
            fn store(&self, w: u32, o: Ordering) {
                probe::access(self, Access::Store, Site::Entry);
                self.0.store(w, o)
            }
            #[inline]
            fn swap(&self, w: u32, o: Ordering) -> u32 {
                probe::access(self, Access::ReadModifyWrite, Site::Entry);
                self.0.swap(w, o)
            }
            #[inline]
            fn compare_exchange(&self, c: u32, n: u32, s: Ordering, f: Ordering) -> Result<u32, u32> {
                probe::access(self, Access::ReadModifyWrite, Site::Entry);
                self.0.compare_exchange(c, n, s, f)
            }
            // A 32-bit word has native `lock or` / `lock and` (`lock bts` on an 80386).
            #[inline]
            fn fetch_or(&self, b: u64, o: Ordering) -> u32 {
                probe::access(self, Access::ReadModifyWrite, Site::Entry);
                self.0.fetch_or(b as u32, o)
            }
            #[inline]
            fn fetch_and(&self, b: u64, o: Ordering) -> u32 {
                probe::access(self, Access::ReadModifyWrite, Site::Entry);
                self.0.fetch_and(b as u32, o)
            }
            #[inline]
            fn is_lock_free() -> bool {
                Atomic::<u32>::is_lock_free()
            }
        }

        impl AtomicCell<Word64> for Cell64 {
            #[inline]
            fn new(w: Word64) -> Self {
                Cell64(Atomic::new(w))
            }
            #[inline]
            fn load(&self, o: Ordering) -> Word64 {
                probe::access(self, Access::Load, Site::Entry);
                self.0.load(o)
            }
            #[inline]
            fn store(&self, w: Word64, o: Ordering) {
                probe::access(self, Access::Store, Site::Entry);
                self.0.store(w, o)
            }
            #[inline]
            fn swap(&self, w: Word64, o: Ordering) -> Word64 {
                probe::access(self, Access::ReadModifyWrite, Site::Entry);
                self.0.swap(w, o)
            }
            #[inline]
            fn compare_exchange(&self, c: Word64, n: Word64, s: Ordering, f: Ordering) -> Result<Word64, Word64> {
                probe::access(self, Access::ReadModifyWrite, Site::Entry);
                self.0.compare_exchange(c, n, s, f)
            }
            // `Atomic<T>` offers fetch_or only for primitives, so a newtype word uses a
            // compare-and-swap loop: still lock-free, one extra reload under contention.
            #[inline]
            fn fetch_or(&self, b: u64, o: Ordering) -> Word64 {
                probe::access(self, Access::ReadModifyWrite, Site::Entry);
                let r = self.0.fetch_update(o, load_part(o), |w| Some(Word64(w.0 | b)));
                match r {
                    Ok(w) | Err(w) => w,
                }
            }
            #[inline]
            fn fetch_and(&self, b: u64, o: Ordering) -> Word64 {
                probe::access(self, Access::ReadModifyWrite, Site::Entry);
                let r = self.0.fetch_update(o, load_part(o), |w| Some(Word64(w.0 & b)));
                match r {
                    Ok(w) | Err(w) => w,
                }
            }
            #[inline]
            fn is_lock_free() -> bool {
                Atomic::<Word64>::is_lock_free()
            }
        }

        cfg_if::cfg_if! {
            if #[cfg(target_has_atomic = "32")] {
                // Where CompareExchange is claimed, a fallback lock would be a compile error.
                static_assertions::const_assert!(Atomic::<u32>::is_lock_free());
                impl LockFreeWord for u32 {}
            }
        }
        cfg_if::cfg_if! {
            if #[cfg(target_has_atomic = "64")] {
                static_assertions::const_assert!(Atomic::<Word64>::is_lock_free());
                impl LockFreeWord for Word64 {}
            }
        }
    }
}
