//! # pte-core
//!
//! The format model of real Linux page-table-entry layouts, the one classifier, encoders that
//! never truncate, compile-time lock-bit proofs, the atomic PTE slot and the page-fault fast
//! path: what a kernel runs, `no_std` and without an allocator. (The simulator that runs the
//! fast path outside a kernel is the `pte-sim` crate; the list of all layouts is
//! `pte-layouts`; the design is in `docs/DESIGN.md`.)
//!
//! * [`model`]: a layout as `const` data — fields, inverted and split fields, hardware and
//!   software bits, markers, geometry, hardware accessed/dirty behaviour.
//! * [`classify()`]: word → state (none, present, protnone, present-invalid, file, swap,
//!   invalid), in Linux's own order; used at run time, by the CLI and by the proofs.
//! * [`encode`]: `pfn_pte`, `PAGE_NONE`, `swp_entry_to_pte`, `pgoff_to_pte`, returning
//!   [`EncodeError`] instead of spilling into a neighbouring field.
//! * [`proof`]: the none-only and any-state lock-bit proofs, and [`lock_bit!`], which
//!   declares a layout's lock bit and fails to compile if the proof fails.
//! * [`Arch`], [`Pte`], [`LockBit`], [`CompareExchange`], [`PteSlot`]: the typed API a kernel
//!   uses.
//! * [`fault`]: the fast path, [`fault::handle`], generic over the layout, the strategy
//!   ([`fault::set`] lists the five) and the kernel ([`fault::Kernel`]).
//!
//! The layouts themselves live in the architecture crates (`arch-x86_64`, `arch-i386`,
//! `arch-ia64-sim`, `arch-aarch64`):
//!
//! ```
//! use arch_i386::I386_2_6_8;
//! use pte_core::{Arch, Decoded, SwapEntry, classify};
//!
//! // The 2004 fastpath's locked-empty word on i386 is a real swap entry.
//! let d = classify(I386_2_6_8::LAYOUT, &I386_2_6_8::LIMITS, 0x200);
//! assert_eq!(d, Decoded::Swap(SwapEntry { ty: 0, offset: 2, ..SwapEntry::default() }));
//! ```
#![no_std]
#![deny(missing_docs)]

#[cfg(test)]
extern crate std;

pub mod classify;
pub mod diagram;
pub mod encode;
pub mod fault;
pub mod helpers;
pub mod kernels;
pub mod limits;
pub mod message;
pub mod model;
pub mod probe;
pub mod proof;
mod pte;
pub mod registry;
mod slot;
pub mod word;

#[doc(hidden)]
pub use bitflags;

pub use classify::{Decoded, Discipline, Invalid, State, SwapEntry, classify, classify_locked};
pub use encode::{EncodeError, Field};
pub use kernels::{KernelRange, KernelVersion, Kernels};
pub use limits::{LimitError, Limits};
pub use model::Layout;
pub use proof::{Collision, LockProof, Verdict, prove};
#[doc(hidden)]
pub use pte::DeclareLockBit;
pub use pte::{Arch, ArchChecked, CompareExchange, LockBit, Pte, WordTooWide};
pub use registry::LayoutEntry;
pub use slot::PteSlot;
pub use word::{PteWord, Word64};

/// Declares the lock bit of a layout type and proves it in a `const`: the only way to get a
/// [`LockBit`].
///
/// Expands to a (hidden) declaration of the bit and discipline, and a `const` evaluation of
/// the [`LockBit`] constants, which pte-core computes by proving the bit
/// ([`proof::require`]) against the type's own checked layout and limits ([`ArchChecked`]).
/// A bit that collides is a compile error at this line whose message names the state and
/// field, e.g. `i386/2.6.8 bit 9 none-only: rejected, collides with swap: offset;
/// 0x00000200 is swap type 0, offset 2`; so is a type whose `Word` is not the layout's width
/// or whose `LIMITS` widen the layout's. See [`LockBit`] for why the result cannot be forged.
///
/// ```
/// pte_core::narrowed_arch!(
///     /// i386/2.6.8 with 23-bit swap offsets.
///     pub Swap23 = arch_i386::I386_2_6_8, swap_offset_bits = 23
/// );
/// pte_core::lock_bit!(Swap23, bit = 31, discipline = NoneOnly);
/// assert_eq!(<Swap23 as pte_core::LockBit>::BIT, 31);
/// ```
///
/// The 2004 choice does not compile (`0x00000200 is swap type 0, offset 2`):
///
/// ```compile_fail
/// # #[derive(Clone, Copy)] struct Mine;
/// # impl pte_core::Arch for Mine {
/// #     type Word = u32;
/// #     type Flags = arch_i386::Flags2_6_8;
/// #     const LAYOUT: &'static pte_core::Layout = &arch_i386::LAYOUT_2_6_8;
/// # }
/// pte_core::lock_bit!(Mine, bit = 9, discipline = NoneOnly);
/// ```
#[macro_export]
macro_rules! lock_bit {
    ($arch:ty, bit = $bit:expr, discipline = $disc:ident $(,)?) => {
        impl $crate::DeclareLockBit for $arch {
            const DECLARED_BIT: u32 = $bit;
            const DECLARED_DISCIPLINE: $crate::Discipline = $crate::Discipline::$disc;
        }
        const _: u64 = <$arch as $crate::LockBit>::MASK;
    };
}

/// Declares a zero-sized layout type and its [`Arch`] impl.
///
/// ```text
/// pte_core::layout_type!(
///     /// The x86_64/6.6 layout type.
///     pub X86_64_6_6 { word: Word64, flags: Flags6_6, layout: LAYOUT_6_6 }
/// );
/// ```
#[macro_export]
macro_rules! layout_type {
    ($(#[$m:meta])* $vis:vis $name:ident { word: $w:ty, flags: $f:ty, layout: $l:expr $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, Default)]
        $vis struct $name;
        impl $crate::Arch for $name {
            type Word = $w;
            type Flags = $f;
            const LAYOUT: &'static $crate::Layout = &$l;
        }
        const _: $crate::Limits = <$name as $crate::ArchChecked>::CHECKED_LIMITS;
    };
}

/// Declares a layout type with narrowed limits: an explicit, typed trade-off.
///
/// `narrowed_arch!(Name = Base, limit = bits, …)` declares a zero-sized type with `Base`'s
/// word, flags and layout, and `Base`'s limits narrowed. The limits (each a bit count: a value
/// must be below `2^bits`; [`Limits`], docs/DESIGN.md#limits) are:
///
/// * `swap_type_bits` — T, the swap type (`MAX_SWAPFILES_SHIFT`, 5 everywhere);
/// * `swap_offset_bits` — N, the swap offset;
/// * `file_pgoff_bits` — M, the pgoff of a nonlinear file entry (only layouts with file PTEs:
///   the old eras).
///
/// Any non-empty combination may be given, each at most once, in any order; each is applied
/// with [`Limits::with_swap_type_bits`] and friends, so it may only narrow (a wider or zero
/// limit, or `file_pgoff_bits` on a layout without file PTEs, is a compile error at the
/// declaration). Narrowing removes states: fewer words classify as swap or file entries, so
/// more lock bits may be provable — and the kernel must then really never create the words
/// given up.
///
/// ```
/// // One limit: i386/2.6.8 with 23-bit swap offsets frees bit 31 (none-only).
/// pte_core::narrowed_arch!(
///     /// i386/2.6.8, swap offsets below 2^23.
///     pub Swap23 = arch_i386::I386_2_6_8, swap_offset_bits = 23
/// );
/// pte_core::lock_bit!(Swap23, bit = 31, discipline = NoneOnly);
///
/// // Several: ia64/2.6.8 with 51-bit file pgoffs, 30-bit offsets and 4 swap types.
/// pte_core::narrowed_arch!(
///     /// ia64/2.6.8, narrowed three ways.
///     pub Small = arch_ia64_sim::Ia64_2_6_8,
///         file_pgoff_bits = 51, swap_offset_bits = 30, swap_type_bits = 2
/// );
/// pte_core::lock_bit!(Small, bit = 56, discipline = AnyState);
/// let l = <Small as pte_core::Arch>::LIMITS;
/// assert_eq!((l.swap_type_bits, l.swap_offset_bits, l.file_pgoff_bits), (2, 30, Some(51)));
/// ```
///
/// Widening does not compile:
///
/// ```compile_fail
/// pte_core::narrowed_arch!(
///     /// i386/2.6.8 with 25-bit offsets: the kernel stops at 24.
///     pub Wide = arch_i386::I386_2_6_8, swap_offset_bits = 25
/// );
/// ```
///
/// Nor does a file limit on a layout without file PTEs:
///
/// ```compile_fail
/// pte_core::narrowed_arch!(
///     /// x86_64/6.6 has no nonlinear file entries.
///     pub NoFile = arch_x86_64::X86_64_6_6, file_pgoff_bits = 20
/// );
/// ```
#[macro_export]
macro_rules! narrowed_arch {
    ($(#[$m:meta])* $vis:vis $name:ident = $base:ty, $($limit:ident = $bits:expr),+ $(,)?) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, Default)]
        $vis struct $name;
        impl $crate::Arch for $name {
            type Word = <$base as $crate::Arch>::Word;
            type Flags = <$base as $crate::Arch>::Flags;
            const LAYOUT: &'static $crate::Layout = <$base as $crate::Arch>::LAYOUT;
            const LIMITS: $crate::Limits = {
                let l = <$base as $crate::Arch>::LIMITS;
                $( let l = $crate::narrowed_arch!(@narrow l, $limit, $bits); )+
                l
            };
        }
        const _: $crate::Limits = <$name as $crate::ArchChecked>::CHECKED_LIMITS;
    };
    (@narrow $l:ident, swap_offset_bits, $bits:expr) => {
        $crate::Limits::expect($l.with_swap_offset_bits($bits))
    };
    (@narrow $l:ident, swap_type_bits, $bits:expr) => {
        $crate::Limits::expect($l.with_swap_type_bits($bits))
    };
    (@narrow $l:ident, file_pgoff_bits, $bits:expr) => {
        $crate::Limits::expect($l.with_file_pgoff_bits($bits))
    };
}
