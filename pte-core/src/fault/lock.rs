//! A raw spinlock for the lock-based strategies (`page_table_lock`, the split ptlock).
//!
//! `no_std`, no alloc; under `cfg(loom)` its flag is loom's, and its spin loop yields so loom
//! can explore the schedules.

cfg_if::cfg_if! {
    if #[cfg(loom)] {
        use loom::sync::atomic::AtomicBool;
        fn relax() {
            loom::thread::yield_now();
        }
    } else {
        use core::sync::atomic::AtomicBool;
        fn relax() {
            core::hint::spin_loop();
        }
    }
}
use core::sync::atomic::Ordering;

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
            if self
                .held
                .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                return spins;
            }
            // Wait on a plain load so the cache line is not bounced by failed RMWs.
            while self.held.load(Ordering::Relaxed) {
                spins += 1;
                relax();
            }
        }
    }

    /// Releases the lock (Release: everything done under it is published).
    #[inline]
    pub fn unlock(&self) {
        self.held.store(false, Ordering::Release);
    }

    /// Runs `f` under the lock; returns its result and the spins.
    pub fn with<R>(&self, f: impl FnOnce() -> R) -> (R, u64) {
        let spins = self.lock();
        let r = f();
        self.unlock();
        (r, spins)
    }
}
