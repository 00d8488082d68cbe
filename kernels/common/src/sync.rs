//! Boot-time synchronisation between the CPUs: a cell initialised once by the boot CPU and a
//! barrier that separates the workload's phases.

use core::cell::UnsafeCell;
use core::hint::spin_loop;
use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

/// A value the boot CPU initialises once and every CPU then reads (no allocator, no `std`).
pub struct Once<T> {
    /// 0 empty, 1 being written, 2 ready.
    state: AtomicU8,
    value: UnsafeCell<MaybeUninit<T>>,
}

// SAFETY: the value is written once, before `state` becomes 2 with Release, and only read
// after an Acquire load sees 2: shared `&T` across CPUs needs `T: Sync`, moving it in `Send`.
unsafe impl<T: Send + Sync> Sync for Once<T> {}

impl<T> Once<T> {
    /// An empty cell.
    pub const fn new() -> Self {
        Once {
            state: AtomicU8::new(0),
            value: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }

    /// Stores `value`; `None` if the cell was already set (the value is dropped).
    pub fn set(&self, value: T) -> Option<&T> {
        if self
            .state
            .compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            return None;
        }
        // SAFETY: state 1 is held by this CPU alone; nobody reads before state 2.
        unsafe { (*self.value.get()).write(value) };
        self.state.store(2, Ordering::Release);
        self.get()
    }

    /// The value, if set.
    pub fn get(&self) -> Option<&T> {
        if self.state.load(Ordering::Acquire) == 2 {
            // SAFETY: state 2 (Acquire) means the write above happened-before and is final.
            Some(unsafe { (*self.value.get()).assume_init_ref() })
        } else {
            None
        }
    }

    /// Spins until the value is set.
    pub fn wait(&self) -> &T {
        loop {
            if let Some(v) = self.get() {
                return v;
            }
            spin_loop();
        }
    }
}

impl<T> Default for Once<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// A reusable barrier for a fixed number of CPUs (generation counting).
#[derive(Debug, Default)]
pub struct Barrier {
    arrived: AtomicUsize,
    generation: AtomicUsize,
}

impl Barrier {
    /// A barrier nobody has reached.
    pub const fn new() -> Self {
        Barrier {
            arrived: AtomicUsize::new(0),
            generation: AtomicUsize::new(0),
        }
    }

    /// Waits until `cpus` CPUs have called `wait`. Everything a CPU did before its call
    /// happens-before everything any CPU does after it returns: the arrivals are AcqRel on
    /// `arrived`, the last one publishes the new generation with Release, the others Acquire it.
    pub fn wait(&self, cpus: usize) {
        let generation = self.generation.load(Ordering::Acquire);
        if self.arrived.fetch_add(1, Ordering::AcqRel) + 1 == cpus {
            // Reset before the release: a CPU that sees the new generation sees 0 here.
            self.arrived.store(0, Ordering::Relaxed);
            self.generation.fetch_add(1, Ordering::Release);
        } else {
            while self.generation.load(Ordering::Acquire) == generation {
                spin_loop();
            }
        }
    }
}
