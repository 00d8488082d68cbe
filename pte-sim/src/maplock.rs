//! [`MapLock`]: the reader-writer lock that plays `mmap_sem`, built on one atomic word so a
//! virtual-time machine sees every operation on it (`pte_core::probe`).
//!
//! Faults take it for reading with one fetch-and-add and drop it with another, as ia64's
//! `down_read`/`up_read` do (`ia64_fetchadd4_acq(+1)` / `_rel(-1)`, Linux 2.6.8
//! `include/asm-ia64/rwsem.h`): every fault writes the lock's line twice, which is what made
//! `mmap_sem` the last hotspot of the 2005 fault path. A writer first announces itself
//! (`WAITING`, so that a stream of faults cannot starve it, as the kernel queues writers),
//! then waits for the readers to drain. Waits go through `crate::wait_step`
//! (`pte_core::fault::lock::relax`, which a machine parks until the word is written, and a
//! yield, so that a descheduled writer does not stall spinning readers for a time slice); a `std::sync::RwLock` would block an OS
//! thread inside a machine that runs one thread at a time.

use std::cell::UnsafeCell;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering};

use pte_core::probe::{self, Access, Site};

/// A writer holds the lock.
const WRITER: u64 = 1 << 63;
/// A writer waits: new readers stay out.
const WAITING: u64 = 1 << 62;
/// The readers inside (or entering and about to back out).
const READERS: u64 = WAITING - 1;

/// A reader-writer spinlock over `T`.
pub(crate) struct MapLock<T> {
    word: AtomicU64,
    value: UnsafeCell<T>,
}

// SAFETY: the lock gives `&T` to readers only while no writer holds it, and `&mut T` to one
// writer only while no reader or other writer does (the protocol below).
unsafe impl<T: Send + Sync> Sync for MapLock<T> {}

impl<T> MapLock<T> {
    pub(crate) fn new(value: T) -> Self {
        MapLock {
            word: AtomicU64::new(0),
            value: UnsafeCell::new(value),
        }
    }

    fn load(&self) -> u64 {
        probe::access(&self.word, Access::Load, Site::MappingLock);
        // Relaxed: only a hint for the waits; the acquiring RMWs below order.
        self.word.load(Ordering::Relaxed)
    }

    /// `down_read`: Acquire on entry, so the mappings the last writer published are seen.
    pub(crate) fn read(&self) -> ReadGuard<'_, T> {
        loop {
            probe::access(&self.word, Access::ReadModifyWrite, Site::MappingLock);
            let before = self.word.fetch_add(1, Ordering::Acquire);
            if before & (WRITER | WAITING) == 0 {
                return ReadGuard { lock: self };
            }
            // A writer holds or waits: back out and wait for it.
            probe::access(&self.word, Access::ReadModifyWrite, Site::MappingLock);
            self.word.fetch_sub(1, Ordering::Relaxed);
            while self.load() & (WRITER | WAITING) != 0 {
                crate::wait_step();
            }
        }
    }

    /// `down_write`: announce (`WAITING`, one writer at a time), then wait for the readers
    /// to leave and take the lock (Acquire: the readers' and last writer's work is seen).
    pub(crate) fn write(&self) -> WriteGuard<'_, T> {
        loop {
            let w = self.load();
            if w & (WRITER | WAITING) == 0 {
                probe::access(&self.word, Access::ReadModifyWrite, Site::MappingLock);
                if self
                    .word
                    .compare_exchange(w, w | WAITING, Ordering::Relaxed, Ordering::Relaxed)
                    .is_ok()
                {
                    break;
                }
            } else {
                crate::wait_step();
            }
        }
        loop {
            let w = self.load();
            if w & READERS == 0 {
                probe::access(&self.word, Access::ReadModifyWrite, Site::MappingLock);
                if self
                    .word
                    .compare_exchange(
                        w,
                        w - WAITING + WRITER,
                        Ordering::Acquire,
                        Ordering::Relaxed,
                    )
                    .is_ok()
                {
                    return WriteGuard { lock: self };
                }
            } else {
                crate::wait_step();
            }
        }
    }
}

/// A read hold (`up_read` on drop, Release: nothing read under it moves after).
pub(crate) struct ReadGuard<'a, T> {
    lock: &'a MapLock<T>,
}

impl<T> Deref for ReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: a reader is in, so no writer holds the lock.
        unsafe { &*self.lock.value.get() }
    }
}

impl<T> Drop for ReadGuard<'_, T> {
    fn drop(&mut self) {
        probe::access(&self.lock.word, Access::ReadModifyWrite, Site::MappingLock);
        self.lock.word.fetch_sub(1, Ordering::Release);
    }
}

/// A write hold (`up_write` on drop, Release: the new mappings are published).
pub(crate) struct WriteGuard<'a, T> {
    lock: &'a MapLock<T>,
}

impl<T> Deref for WriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: this writer holds the lock alone.
        unsafe { &*self.lock.value.get() }
    }
}

impl<T> DerefMut for WriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: this writer holds the lock alone.
        unsafe { &mut *self.lock.value.get() }
    }
}

impl<T> Drop for WriteGuard<'_, T> {
    fn drop(&mut self) {
        probe::access(&self.lock.word, Access::ReadModifyWrite, Site::MappingLock);
        // Readers backing out may have the count above zero: subtract, never store.
        self.lock.word.fetch_sub(WRITER, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writers_exclude_readers_and_each_other() {
        let lock = MapLock::new(0u64);
        std::thread::scope(|s| {
            for t in 0..4 {
                let lock = &lock;
                s.spawn(move || {
                    for i in 0..2000u64 {
                        if (i + t) % 4 == 0 {
                            let mut w = lock.write();
                            // Two steps: a reader between them would see an odd value.
                            *w += 1;
                            *w += 1;
                        } else {
                            let r = lock.read();
                            assert_eq!(*r % 2, 0, "a reader saw a writer's half-done update");
                        }
                    }
                });
            }
        });
        assert_eq!(*lock.read(), 2 * 2000);
        assert_eq!(lock.word.load(Ordering::Relaxed), 0);
    }
}
