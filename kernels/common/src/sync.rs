//! The barrier that separates the workload's phases on all CPUs, and the address spaces'
//! `mmap_lock`.

use core::hint::spin_loop;
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

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

/// A reader-writer spinlock: the kernel's `mmap_lock` of one address space. Faults hold it
/// for read; fork holds the parent's for write, which excludes the parent's faults for the
/// whole copy (the contract of `pte_core::fault::fork`). A waiting writer blocks new
/// readers, so a stream of faults cannot starve fork.
///
/// Waiting here never needs another CPU to take an interrupt: a CPU that spins on it (with
/// interrupts off, inside its fault handler) still answers TLB shootdowns (x86: NMI;
/// aarch64: broadcast `tlbi`, no IPI at all).
#[derive(Debug, Default)]
pub struct RwSpin {
    /// [`WRITER`] when a writer holds or waits for the lock, plus the readers holding it.
    state: AtomicU32,
}

/// [`RwSpin::state`]: a writer holds the lock or waits for the readers to leave.
const WRITER: u32 = 1 << 31;

impl RwSpin {
    /// An unlocked lock.
    pub const fn new() -> Self {
        RwSpin {
            state: AtomicU32::new(0),
        }
    }

    /// Takes the lock for read (Acquire: what the last writer did is visible).
    pub fn read(&self) {
        loop {
            let s = self.state.load(Ordering::Relaxed);
            if s & WRITER == 0
                && self
                    .state
                    .compare_exchange_weak(s, s + 1, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
            {
                return;
            }
            spin_loop();
        }
    }

    /// Drops a read hold (Release).
    pub fn read_unlock(&self) {
        self.state.fetch_sub(1, Ordering::Release);
    }

    /// Takes the lock for write: claims it against other writers and new readers, then waits
    /// until the readers inside have left.
    pub fn write(&self) {
        while self
            .state
            .fetch_update(Ordering::Acquire, Ordering::Relaxed, |s| {
                (s & WRITER == 0).then_some(s | WRITER)
            })
            .is_err()
        {
            spin_loop();
        }
        while self.state.load(Ordering::Acquire) != WRITER {
            spin_loop();
        }
    }

    /// Drops the write hold (Release: the copy happens-before the next reader).
    pub fn write_unlock(&self) {
        self.state.fetch_and(!WRITER, Ordering::Release);
    }
}

/// Separates the workload's phases (all CPUs).
pub static BARRIER: Barrier = Barrier::new();

/// Every CPU waits, the boot CPU alone runs `f` (a check between phases), and every CPU
/// waits again before the next phase.
pub fn boot_cpu_alone(cpu: usize, cpus: usize, f: impl FnOnce()) {
    BARRIER.wait(cpus);
    if cpu == 0 {
        f();
    }
    BARRIER.wait(cpus);
}
