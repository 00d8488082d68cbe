//! The kernel's own count of resolved faults, per strategy, CPU and kind: compared at the end
//! with the library's `Stats`.

use core::sync::atomic::{AtomicU64, Ordering};

use pte_core::fault::Resolved;

use crate::MAX_CPUS;
use crate::plan::STRATEGIES;

/// How faults were resolved, per strategy and CPU (the kernel's own count, to be compared
/// with the library's `Stats`).
pub struct CpuCounts {
    /// By [`Resolved`] kind, in [`KINDS`] order.
    pub kinds: [AtomicU64; KINDS.len()],
}

/// The counter of `kind` (its position in [`KINDS`]).
fn kind_index(kind: Resolved) -> usize {
    match kind {
        Resolved::Anonymous => 0,
        Resolved::File => 1,
        Resolved::CopyOnWrite => 2,
        Resolved::SwapIn => 3,
        Resolved::Nonlinear => 4,
        Resolved::AccessDirty => 5,
        Resolved::AlreadyDone => 6,
        Resolved::Reused => 7,
    }
}

/// The [`Resolved`] kinds, in counter order.
pub const KINDS: [Resolved; 8] = [
    Resolved::Anonymous,
    Resolved::File,
    Resolved::CopyOnWrite,
    Resolved::SwapIn,
    Resolved::Nonlinear,
    Resolved::AccessDirty,
    Resolved::AlreadyDone,
    Resolved::Reused,
];

static COUNTS: [[CpuCounts; MAX_CPUS]; STRATEGIES] = [const {
    [const {
        CpuCounts {
            kinds: [const { AtomicU64::new(0) }; KINDS.len()],
        }
    }; MAX_CPUS]
}; STRATEGIES];

/// Counts one fault of strategy `s` on CPU `cpu` resolved as `kind` (Relaxed: each CPU
/// writes its own counters; they are read after a barrier).
pub fn record(s: usize, cpu: usize, kind: Resolved) {
    COUNTS[s][cpu].kinds[kind_index(kind)].fetch_add(1, Ordering::Relaxed);
}

/// Faults of strategy `s` resolved as `kind`, on CPU `cpu`.
pub fn count(s: usize, cpu: usize, kind: Resolved) -> u64 {
    COUNTS[s][cpu].kinds[kind_index(kind)].load(Ordering::Relaxed)
}

/// Faults of strategy `s` resolved as `kind`, all CPUs.
pub fn total(s: usize, kind: Resolved, cpus: usize) -> u64 {
    (0..cpus).map(|c| count(s, c, kind)).sum()
}
