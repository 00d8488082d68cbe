//! A layout with what a tool needs to know about it at run time: its limits, its lock bit
//! (if one was declared and proved) and whether `CompareExchange` holds on this target.
//!
//! The `pte-layouts` crate lists the kernel layouts once and builds their entries; the
//! CLI and the test suite iterate over those instead of naming every type.

use crate::limits::Limits;
use crate::model::Layout;
use crate::proof::LockProof;
use crate::pte::{Arch, ArchChecked, LockBit};
use crate::word::PteWord;

/// One layout type, described at run time.
#[derive(Clone, Copy, Debug)]
pub struct LayoutEntry {
    /// The format model.
    pub layout: &'static Layout,
    /// The limits of the type (the defaults unless narrowed).
    pub limits: Limits,
    /// The declared, proved lock bit.
    pub lock: Option<LockProof>,
    /// Whether the word has lock-free compare-and-swap on this target ([`crate::CompareExchange`]).
    pub compare_exchange: bool,
}

impl LayoutEntry {
    /// A layout type without a lock bit.
    pub const fn of<A: Arch>() -> Self {
        LayoutEntry {
            layout: A::CHECKED_LAYOUT,
            limits: A::CHECKED_LIMITS,
            lock: None,
            compare_exchange: <A::Word as PteWord>::LOCK_FREE,
        }
    }

    /// A layout type with its lock bit.
    pub const fn locked<A: LockBit>() -> Self {
        LayoutEntry {
            lock: Some(A::PROOF),
            ..Self::of::<A>()
        }
    }
}
