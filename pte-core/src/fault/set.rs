//! The five strategies as one set, chosen at run time: a tool (a CLI, a test matrix, a kernel
//! running each strategy in turn) names a [`StrategyKind`] and gets the strategy's type.
//!
//! The fault path is generic over the strategy `S`, so "the strategy chosen by this value"
//! is a visitor: [`StrategyVisitor::visit`] is called with a strategy of the chosen type.
//! [`Strategies`] holds one instance of each (a kernel keeps it in a `static`);
//! [`StrategyKind::with_new`] hands over a constructor instead, for callers that want a
//! fresh strategy (and so fresh statistics) per run. The lock-bit strategies exist only for
//! layouts with a proved lock bit (`A: LockBit`); the `try_` forms serve the other layouts
//! and refuse those kinds with [`NeedsLockBit`].
//!
//! # How to add a strategy
//!
//! 1. Write it in [`strategy`](super::strategy) (a type implementing [`Strategy`], with a
//!    `const fn new()` outside loom) and re-export it from [`fault`](super).
//! 2. Add a variant to [`StrategyKind`] (and to [`StrategyKind::ALL`], in report order), its
//!    name in [`StrategyKind::name`], whether it needs a lock bit in
//!    [`StrategyKind::needs_lock_bit`], a field to [`Strategies`], and an arm to the dispatching
//!    `match`es below (every `match` is exhaustive, so the compiler points at each one; a
//!    test checks that [`StrategyKind::ALL`] has no duplicate and no gap).
//!
//! The CLI (`pte bench --strategies`) and the simulator tests then run it; a test checks
//! that each kind's name is its strategy's [`Strategy::NAME`]. The example kernels give each
//! strategy a span of their window: a new one needs its entry in `kernels/common`'s
//! `plan::SPAN_STRATEGIES` (and `STRATEGIES`, which sizes the window).

use core::fmt;

use super::strategy::{Cmpxchg, LockBitRefault, LockBitSpin, MmLock, SplitLock, Strategy};
use crate::CompareExchange;
use crate::pte::{Arch, LockBit};

/// A fault-path strategy of [`fault`](super), as a value.
///
/// The declaration order is the order of `Ord` (and of `as usize`); [`StrategyKind::ALL`]
/// is the report order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StrategyKind {
    /// [`Cmpxchg`]: one compare-and-swap.
    Cmpxchg,
    /// [`MmLock`]: one lock per address space.
    MmLock,
    /// [`SplitLock`]: one lock per leaf table.
    SplitLock,
    /// [`LockBitRefault`]: the lock bit on the empty entry; losers refault.
    LockBitRefault,
    /// [`LockBitSpin`]: a bit-spinlock held for the install.
    LockBitSpin,
}

/// A lock-bit strategy was asked for on a layout without a proved lock bit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NeedsLockBit(pub StrategyKind);

impl fmt::Display for NeedsLockBit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} needs a layout with a lock bit", self.0.name())
    }
}

impl StrategyKind {
    /// Every strategy, in report order (the oldest kernel's first).
    pub const ALL: [StrategyKind; 5] = [
        StrategyKind::MmLock,
        StrategyKind::SplitLock,
        StrategyKind::LockBitRefault,
        StrategyKind::LockBitSpin,
        StrategyKind::Cmpxchg,
    ];

    /// The strategy's [`Strategy::NAME`] (a `const` of a generic impl, so it is spelled here
    /// too; a test keeps the two equal).
    pub const fn name(self) -> &'static str {
        match self {
            StrategyKind::Cmpxchg => "cmpxchg",
            StrategyKind::MmLock => "mm-lock",
            StrategyKind::SplitLock => "split-lock",
            StrategyKind::LockBitRefault => "lock-bit-refault",
            StrategyKind::LockBitSpin => "lock-bit-spin",
        }
    }

    /// The strategy whose [`name`](Self::name) is `name` (exactly).
    pub fn from_name(name: &str) -> Option<StrategyKind> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Whether the strategy needs a proved lock bit (`A: LockBit`).
    pub const fn needs_lock_bit(self) -> bool {
        match self {
            StrategyKind::LockBitRefault | StrategyKind::LockBitSpin => true,
            StrategyKind::Cmpxchg | StrategyKind::MmLock | StrategyKind::SplitLock => false,
        }
    }

    /// Runs `v` with a constructor of this strategy.
    pub fn with_new<A: LockBit + CompareExchange, V: NewStrategyVisitor<A>>(
        self,
        v: V,
    ) -> V::Output {
        match self {
            StrategyKind::Cmpxchg => v.visit(Cmpxchg::new),
            StrategyKind::MmLock => v.visit(MmLock::new),
            StrategyKind::SplitLock => v.visit(SplitLock::new),
            StrategyKind::LockBitRefault => v.visit(LockBitRefault::new),
            StrategyKind::LockBitSpin => v.visit(LockBitSpin::new),
        }
    }

    /// [`with_new`](Self::with_new) for any layout: the lock-bit kinds are refused.
    pub fn try_with_new<A: Arch + CompareExchange, V: NewStrategyVisitor<A>>(
        self,
        v: V,
    ) -> Result<V::Output, NeedsLockBit> {
        match self {
            StrategyKind::Cmpxchg => Ok(v.visit(Cmpxchg::new)),
            StrategyKind::MmLock => Ok(v.visit(MmLock::new)),
            StrategyKind::SplitLock => Ok(v.visit(SplitLock::new)),
            StrategyKind::LockBitRefault | StrategyKind::LockBitSpin => Err(NeedsLockBit(self)),
        }
    }
}

/// Something to do with one strategy instance, whatever its type ([`Strategies::with`]).
pub trait StrategyVisitor<A: Arch> {
    /// The result.
    type Output;
    /// Called with the chosen strategy.
    fn visit<S: Strategy<A>>(self, strategy: &S) -> Self::Output;
}

/// Something to do with a strategy type, given its constructor ([`StrategyKind::with_new`]):
/// for a fresh strategy per run, or several.
pub trait NewStrategyVisitor<A: Arch> {
    /// The result.
    type Output;
    /// Called with the chosen strategy's `new`.
    fn visit<S: Strategy<A>>(self, new: fn() -> S) -> Self::Output;
}

/// One instance of each strategy, for callers that keep them (a kernel's `static`: the
/// constructors are `const`).
#[derive(Debug, Default)]
pub struct Strategies {
    mm_lock: MmLock,
    split_lock: SplitLock,
    lock_bit_refault: LockBitRefault,
    lock_bit_spin: LockBitSpin,
    cmpxchg: Cmpxchg,
}

impl Strategies {
    /// A fresh instance of each strategy (`const`: it can be a kernel's `static`).
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        Strategies {
            mm_lock: MmLock::new(),
            split_lock: SplitLock::new(),
            lock_bit_refault: LockBitRefault::new(),
            lock_bit_spin: LockBitSpin::new(),
            cmpxchg: Cmpxchg::new(),
        }
    }

    /// A fresh instance of each strategy (loom's locks cannot be built in a `const`).
    #[cfg(loom)]
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `v` with the instance of strategy `kind`.
    pub fn with<A: LockBit + CompareExchange, V: StrategyVisitor<A>>(
        &self,
        kind: StrategyKind,
        v: V,
    ) -> V::Output {
        match kind {
            StrategyKind::Cmpxchg => v.visit(&self.cmpxchg),
            StrategyKind::MmLock => v.visit(&self.mm_lock),
            StrategyKind::SplitLock => v.visit(&self.split_lock),
            StrategyKind::LockBitRefault => v.visit(&self.lock_bit_refault),
            StrategyKind::LockBitSpin => v.visit(&self.lock_bit_spin),
        }
    }

    /// [`with`](Self::with) for any layout: the lock-bit kinds are refused.
    pub fn try_with<A: Arch + CompareExchange, V: StrategyVisitor<A>>(
        &self,
        kind: StrategyKind,
        v: V,
    ) -> Result<V::Output, NeedsLockBit> {
        match kind {
            StrategyKind::Cmpxchg => Ok(v.visit(&self.cmpxchg)),
            StrategyKind::MmLock => Ok(v.visit(&self.mm_lock)),
            StrategyKind::SplitLock => Ok(v.visit(&self.split_lock)),
            StrategyKind::LockBitRefault | StrategyKind::LockBitSpin => Err(NeedsLockBit(kind)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::StrategyKind;

    /// `ALL` holds distinct kinds whose discriminants are exactly `0..ALL.len()`: no
    /// duplicate, and no gap (a kind missing from `ALL` is caught unless it is the one
    /// declared last; the exhaustive `match`es of this module catch that one).
    #[test]
    fn all_lists_each_kind_once() {
        let mut seen = [false; StrategyKind::ALL.len()];
        for kind in StrategyKind::ALL {
            let i = kind as usize;
            assert!(i < seen.len(), "{kind:?} is declared but ALL is too short");
            assert!(!seen[i], "{kind:?} twice in ALL");
            seen[i] = true;
        }
        assert!(seen.iter().all(|&s| s));
    }
}
