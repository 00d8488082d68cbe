//! The sixteen kernel layouts of the workspace, declared once in [`for_each_layout!`].
//!
//! Everything that needs "every layout" is generated from that one list: the run-time registry
//! [`LAYOUTS`], the name → type dispatch [`visit_layout`] (how the CLI reaches the generic
//! fault path from a layout name), the diagram files ([`diagram_path`]), and the test and
//! bench matrices (which call [`for_each_layout!`] with a macro of their own).
//!
//! # How to add a layout
//!
//! 1. Declare the type in its architecture crate (with `pte_core::lock_bit!` if a lock bit
//!    can be proved) and write its diagram file, `<crate>/diagrams/<name>.txt`.
//! 2. Add one line to [`for_each_layout!`]: `ident => $crate::arch_crate::Type, "crate-dir",
//!    locked;` (or `plain;` without a lock bit), in the place it should take in the order.
//!
//! The registry, the CLI (`pte layouts`, `pte bench --layouts`), the diagram check and the
//! simulator and bench matrices then include it; the per-layout code that cannot be
//! generated (a bench's hand-written masks, a test's expected values) fails to compile or
//! fails its test until it is written.
#![no_std]
#![deny(missing_docs)]

use core::fmt;

#[cfg(target_has_atomic = "64")]
use pte_core::{Arch, CompareExchange, LockBit};
use pte_core::{KernelVersion, LayoutEntry};

// The architecture crates, for the paths in `for_each_layout!` (users need no dependency of
// their own on them).
#[doc(hidden)]
pub use arch_aarch64;
#[doc(hidden)]
pub use arch_i386;
#[doc(hidden)]
pub use arch_ia64_sim;
#[doc(hidden)]
pub use arch_loongarch64;
#[doc(hidden)]
pub use arch_riscv64;
#[doc(hidden)]
pub use arch_x86_64;

/// The list of layouts: calls `$callback!` with one line per layout,
/// `ident => path::to::Type, "crate-dir", locked;` (or `plain;`), in registry order.
///
/// `ident` is the layout's name as a Rust identifier (for test and module names),
/// `"crate-dir"` the directory of its crate in the workspace, and `locked` marks a type with
/// a proved lock bit (it implements [`LockBit`]); `plain` one without.
///
/// ```
/// macro_rules! count {
///     ($($id:ident => $ty:ty, $dir:literal, $lock:ident;)*) => { [$(stringify!($id)),*].len() };
/// }
/// assert_eq!(pte_layouts::for_each_layout!(count), 16);
/// ```
#[macro_export]
macro_rules! for_each_layout {
    ($callback:ident) => {
        $callback! {
            x86_64_2_6_8 => $crate::arch_x86_64::X86_64_2_6_8, "arch-x86_64", locked;
            x86_64_6_6 => $crate::arch_x86_64::X86_64_6_6, "arch-x86_64", locked;
            i386_2_6_8 => $crate::arch_i386::I386_2_6_8, "arch-i386", plain;
            i386_pae_2_6_8 => $crate::arch_i386::I386Pae2_6_8, "arch-i386", locked;
            i386_6_6 => $crate::arch_i386::I386_6_6, "arch-i386", locked;
            i386_pae_6_6 => $crate::arch_i386::I386Pae6_6, "arch-i386", locked;
            ia64_2_6_8 => $crate::arch_ia64_sim::Ia64_2_6_8, "arch-ia64-sim", locked;
            ia64_6_6 => $crate::arch_ia64_sim::Ia64_6_6, "arch-ia64-sim", locked;
            aarch64_3_18 => $crate::arch_aarch64::Aarch64_3_18, "arch-aarch64", locked;
            aarch64_6_6 => $crate::arch_aarch64::Aarch64_6_6, "arch-aarch64", locked;
            aarch64_6_18 => $crate::arch_aarch64::Aarch64_6_18, "arch-aarch64", locked;
            aarch64_lpa2_6_18 => $crate::arch_aarch64::Aarch64Lpa2_6_18, "arch-aarch64", locked;
            riscv64_6_6 => $crate::arch_riscv64::Riscv64_6_6, "arch-riscv64", locked;
            riscv64_6_18 => $crate::arch_riscv64::Riscv64_6_18, "arch-riscv64", locked;
            loongarch64_6_6 => $crate::arch_loongarch64::Loongarch64_6_6, "arch-loongarch64", locked;
            loongarch64_6_18 => $crate::arch_loongarch64::Loongarch64_6_18, "arch-loongarch64", locked;
        }
    };
}

/// The registry entry of a listed type: `locked` ones carry their lock proof.
macro_rules! entry {
    ($ty:ty, locked) => {
        LayoutEntry::locked::<$ty>()
    };
    ($ty:ty, plain) => {
        LayoutEntry::of::<$ty>()
    };
}

macro_rules! registry {
    ($($id:ident => $ty:ty, $dir:literal, $lock:ident;)*) => {
        /// Every layout, in the order of [`for_each_layout!`] (x86_64, i386, ia64, aarch64, riscv64,
        /// loongarch64).
        pub static LAYOUTS: &[LayoutEntry] = &[$(entry!($ty, $lock)),*];

        /// The crate directories, index for index with [`LAYOUTS`].
        static CRATE_DIRS: &[&str] = &[$($dir),*];

        /// Runs `v` on the type of the layout called `name` (exact name).
        #[cfg(target_has_atomic = "64")]
        fn dispatch<V: LayoutVisitor>(name: &str, v: V) -> Option<V::Output> {
            $(
                if name == <$ty as Arch>::LAYOUT.name {
                    return Some(visit!(v, $ty, $lock));
                }
            )*
            None
        }
    };
}

/// Calls the visitor method the type's lock bit allows.
#[cfg(target_has_atomic = "64")]
macro_rules! visit {
    ($v:ident, $ty:ty, locked) => {
        $v.visit_locked::<$ty>(entry_of::<$ty>())
    };
    ($v:ident, $ty:ty, plain) => {
        $v.visit::<$ty>(entry_of::<$ty>())
    };
}

for_each_layout!(registry);

/// The registry entry of type `A` (which is listed).
#[cfg(target_has_atomic = "64")]
fn entry_of<A: Arch>() -> &'static LayoutEntry {
    find(A::LAYOUT.name).expect("a listed type has an entry")
}

/// The layout called `name` (exact name, as in [`pte_core::Layout::name`]).
pub fn find(name: &str) -> Option<&'static LayoutEntry> {
    LAYOUTS.iter().find(|e| e.layout.name == name)
}

/// The architecture names of the layouts ([`Family::name`](pte_core::model::Family::name),
/// the part of a layout name before `/`), each once, in registry order: `x86_64`, `i386`,
/// `i386-pae`, `ia64`, `aarch64`, `riscv64`, `loongarch64`.
pub fn arch_names() -> impl Iterator<Item = &'static str> {
    LAYOUTS
        .iter()
        .enumerate()
        .filter(|&(i, e)| {
            LAYOUTS[..i]
                .iter()
                .all(|p| p.layout.family != e.layout.family)
        })
        .map(|(_, e)| e.layout.family.name())
}

/// The layouts of architecture `arch` ([`arch_names`], exact) that have the PTE format of
/// release `release` ([`pte_core::Kernels::contains`]), in registry order.
///
/// More than one answers where two layouts share a format: riscv64/6.6 and riscv64/6.18
/// are the same entry, and the two LoongArch layouts differ only in `pte_modify()`
/// (their [`notes`](pte_core::Kernels::notes_for) say which matches a release better).
/// 2-level i386 and PAE are two architectures here (`i386`, `i386-pae`): a kernel is built
/// for one of them (`CONFIG_X86_PAE`).
pub fn for_kernel(
    arch: &str,
    release: KernelVersion,
) -> impl Iterator<Item = &'static LayoutEntry> {
    LAYOUTS
        .iter()
        .filter(move |e| e.layout.family.name() == arch && e.layout.kernels.contains(release))
}

/// Something to do with one layout type, chosen by name at run time ([`visit_layout`]).
///
/// The fault path is generic over the layout type; this is how a tool that only has a name
/// reaches it. Types with a proved lock bit go to [`LayoutVisitor::visit_locked`], so the
/// lock-bit strategies can be instantiated for them and only for them.
///
/// Only on targets with 64-bit atomics, where every listed layout has
/// [`CompareExchange`]; elsewhere (e.g. `thumbv7em-none-eabi`) the registry, [`find`] and
/// [`diagram_path`] remain.
#[cfg(target_has_atomic = "64")]
pub trait LayoutVisitor: Sized {
    /// The result.
    type Output;

    /// Called with a layout type and its registry entry.
    fn visit<A: Arch + CompareExchange>(self, entry: &'static LayoutEntry) -> Self::Output;

    /// Called instead of [`visit`](Self::visit) for a type with a proved lock bit.
    fn visit_locked<A: LockBit + CompareExchange>(
        self,
        entry: &'static LayoutEntry,
    ) -> Self::Output {
        self.visit::<A>(entry)
    }
}

/// Runs `v` on the type of the layout called `name`; `None` if no layout has that name.
#[cfg(target_has_atomic = "64")]
pub fn visit_layout<V: LayoutVisitor>(name: &str, v: V) -> Option<V::Output> {
    dispatch(name, v)
}

/// Where a layout's diagram lives, relative to the workspace root:
/// `<crate-dir>/diagrams/<name with '/' as '-'>.txt` (its doc comment includes that file).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiagramPath {
    /// The directory of the layout's crate (`arch-x86_64`).
    pub crate_dir: &'static str,
    /// The layout's name (`x86_64/6.6`).
    pub name: &'static str,
}

impl fmt::Display for DiagramPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/diagrams/", self.crate_dir)?;
        for part in self.name.split('/').enumerate() {
            match part {
                (0, p) => f.write_str(p)?,
                (_, p) => write!(f, "-{p}")?,
            }
        }
        f.write_str(".txt")
    }
}

/// The diagram file of the layout called `name`.
pub fn diagram_path(name: &str) -> Option<DiagramPath> {
    let i = LAYOUTS.iter().position(|e| e.layout.name == name)?;
    Some(DiagramPath {
        crate_dir: CRATE_DIRS[i],
        name: LAYOUTS[i].layout.name,
    })
}
