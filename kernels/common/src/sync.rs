//! The barrier that separates the workload's phases on all CPUs.

use core::hint::spin_loop;
use core::sync::atomic::{AtomicUsize, Ordering};

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
