//! Violations of what the checks expect, from any CPU or module: the run passes only with none.

use core::sync::atomic::{AtomicU64, Ordering};

use crate::{Platform, say};

/// Violations found so far (any CPU; Relaxed: read by the boot CPU after the last barrier).
static VIOLATIONS: AtomicU64 = AtomicU64::new(0);

/// Reports a violation (and counts it: the run fails).
pub fn violation<P: Platform>(p: &P, what: core::fmt::Arguments<'_>) {
    VIOLATIONS.fetch_add(1, Ordering::Relaxed);
    say!(p, "VIOLATION cpu{}: {what}", p.cpu_id());
}

/// Violations reported so far.
pub fn count() -> u64 {
    VIOLATIONS.load(Ordering::Relaxed)
}
