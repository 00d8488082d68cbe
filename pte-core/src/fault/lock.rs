//! A raw spinlock for the lock-based strategies (`page_table_lock`, the split ptlock), and
//! [`relax`], the one spin-wait step of the fast path.
//!
//! `no_std`, no alloc; under `cfg(loom)` its flag is loom's, and [`relax`] yields so loom
//! can explore the schedules.

#[cfg(not(loom))]
use core::sync::atomic::AtomicBool;
use core::sync::atomic::Ordering;

use crate::probe::{self, Access, Site};
#[cfg(loom)]
use loom::sync::atomic::AtomicBool;

/// One step of a spin-wait: the lock's wait loop, the lock-bit waits of the strategies and
/// [`handle_retrying`](super::handle_retrying)'s refault loop all call it.
///
/// `core::hint::spin_loop` (`pause`, `yield`); under `cfg(loom)`, `loom::thread::yield_now`,
/// because loom must see the yield to schedule another thread (a spin loop it cannot see
/// would be explored forever). A virtual-time machine sees it too ([`probe::relax`]): it
/// parks the spinner until the line it last loaded is written.
#[inline]
pub fn relax() {
    #[cfg(loom)]
    loom::thread::yield_now();
    #[cfg(not(loom))]
    {
        probe::relax();
        core::hint::spin_loop();
    }
}

/// A test-and-test-and-set spinlock.
#[derive(Debug)]
pub struct RawSpinLock {
    held: AtomicBool,
}

impl Default for RawSpinLock {
    #[inline]
    fn default() -> Self {
        Self::new()
    }
}

impl RawSpinLock {
    /// An unlocked lock.
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        RawSpinLock {
            held: AtomicBool::new(false),
        }
    }

    /// An unlocked lock.
    #[cfg(loom)]
    #[inline]
    pub fn new() -> Self {
        RawSpinLock {
            held: AtomicBool::new(false),
        }
    }

    /// Takes the lock (Acquire: the previous holder's writes are visible) and returns the
    /// number of times it found the lock held.
    #[inline]
    pub fn lock(&self) -> u64 {
        let mut spins = 0;
        loop {
            probe::access(&self.held, Access::ReadModifyWrite, Site::Lock);
            if self
                .held
                .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                return spins;
            }
            // Wait on a plain load so the cache line is not bounced by failed RMWs.
            while {
                probe::access(&self.held, Access::Load, Site::Lock);
                self.held.load(Ordering::Relaxed)
            } {
                spins += 1;
                relax();
            }
        }
    }

    /// Releases the lock (Release: everything done under it is published).
    #[inline]
    pub fn unlock(&self) {
        probe::access(&self.held, Access::Store, Site::Lock);
        self.held.store(false, Ordering::Release);
    }

    /// Whether some thread holds the lock now (Relaxed: a snapshot for assertions and
    /// diagnostics, never for synchronisation).
    pub fn is_locked(&self) -> bool {
        self.held.load(Ordering::Relaxed)
    }

    /// Runs `f` under the lock; returns its result and the spins.
    #[inline]
    pub fn with<R>(&self, f: impl FnOnce() -> R) -> (R, u64) {
        let spins = self.lock();
        let r = f();
        self.unlock();
        (r, spins)
    }
}
