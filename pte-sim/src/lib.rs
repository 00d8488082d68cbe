//! # pte-sim
//!
//! A software MMU simulator for multi-threaded fault tests (std): the environment in which
//! `pte_core::fault` runs outside a kernel.
//!
//! Everything a kernel gives the fast path ([`pte_core::fault`]) exists here for real, so that
//! many user threads can fault, race and check the outcome:
//!
//! * [`FramePool`] — frames of the geometry's page size backed by real memory (zeroing and
//!   copying are real stores), with owner, generation and pin metadata;
//! * [`PageTables`] — software tables for any geometry of a layout, upper levels populated
//!   by compare-and-swap, leaves of real [`PteSlot`](pte_core::PteSlot)s with a split lock;
//! * [`FileCache`] — the page cache: files of known contents ([`file_word`]), reference counted;
//! * [`SwapArea`] — the swap device: slots of page contents, with double-free and stale-read detection;
//! * [`AddressSpace`] — mappings (anonymous, shared and private file, nonlinear), a
//!   [`Strategy`](pte_core::fault::Strategy), the user accesses [`read`](AddressSpace::read) /
//!   [`write`](AddressSpace::write) through the software MMU ([`translate`]), and the
//!   other writers ([`swap_out`](AddressSpace::swap_out), [`zap`](AddressSpace::zap),
//!   [`mprotect`](AddressSpace::mprotect), [`clear_young`](AddressSpace::clear_young),
//!   [`remap_file_pages`](AddressSpace::remap_file_pages)), all through
//!   [`Strategy::update`](pte_core::fault::Strategy::update);
//! * [`AddressSpace::fork`] / [`AddressSpace::exit`] — a child process over the same frames,
//!   page cache and swap device (entries copied by `pte_core::fault::fork::copy_entry` under
//!   the parent's `mmap_sem` for writing), and its teardown; anonymous frames carry map
//!   counts and swap slots reference counts, and every unmap drops one;
//! * [`AddressSpace::check`] — the invariants after a run, as a [`Report`], and
//!   [`AddressSpace::check_set`] over a parent and its children, as a [`SetReport`];
//! * [`scenarios`] — single-threaded checks every layout and strategy must pass,
//!   [`stress`] — a multi-threaded run, and [`stress_fork`] — one with fork and exit.
//!
//! The MMU is a concurrent actor: on x86 it sets accessed/dirty, on aarch64 with HAFDBS it
//! sets AF and clears RDONLY under DBM, each with one compare-and-swap from the entry it
//! read and without any software lock (docs/DESIGN.md#h4); where the hardware sets nothing (ia64,
//! aarch64 without HAFDBS) the access faults and the fast path sets the bits. An access pins
//! its frame, and whoever unmaps a frame waits for the pins to drain before writing it out
//! or freeing it ([`FramePool::drain`]): the TLB shootdown.
//!
//! ```
//! use arch_x86_64::X86_64_6_6;
//! use pte_core::fault::{Backing, Cmpxchg};
//! use pte_sim::{AddressSpace, Config, Expected};
//!
//! let space = AddressSpace::<X86_64_6_6, _>::new(Cmpxchg::new(), Config::default());
//! space.map(0x10000, 4, Backing::Anonymous, true).unwrap();
//! space.write(0x10008, 42).unwrap();
//! assert_eq!(space.read(0x10008), Ok(42));
//! let mut expected = Expected::new();
//! expected.set(0x10008, 42);
//! space.check(&expected).assert_ok();
//! ```
#![deny(missing_docs)]

mod cache;
mod check;
mod fork;
mod frames;
mod maplock;
mod mmu;
pub mod scenarios;
mod space;
pub mod stress;
pub mod stress_fork;
mod swap;
mod tables;

pub use cache::{CacheCounts, FileCache, file_word};
pub use check::{EntryCounts, Expected, Report, SetReport, Violation};
pub use fork::ForkCounts;
pub use frames::{BASE_PFN, FrameKind, FramePool, POISON, PoolCounts};
pub use mmu::{MmuCounts, MmuFault, translate};
pub use space::{AccessError, AddressSpace, Config, MapError, Reclaim, SpaceCounts};
pub use swap::{FIRST_SWAP_OFFSET, SlotState, SwapArea, SwapCounts};
pub use tables::{PageTables, TableCounts};

use std::sync::atomic::{AtomicU64, Ordering};

/// The simulator's free lists and hot counters are split this many ways (by thread), as a
/// kernel keeps per-CPU page lists and counters: one shared lock or counter line would make every fault of every
/// thread contend here, and the simulator, not the strategy, would set the scaling.
pub(crate) const SHARDS: usize = 16;

/// A counter split by thread; each part on its own cache line.
#[derive(Debug, Default)]
pub(crate) struct Sharded([Padded; SHARDS]);

#[derive(Debug, Default)]
#[repr(align(128))]
struct Padded(AtomicU64);

impl Sharded {
    pub(crate) fn add(&self, by: u64) {
        self.0[shard()].0.fetch_add(by, Ordering::Relaxed);
    }

    pub(crate) fn sum(&self) -> u64 {
        self.0.iter().map(|p| p.0.load(Ordering::Relaxed)).sum()
    }
}

/// A slice whose first element is aligned to [`TABLE_ALIGN`] bytes, as a kernel's page-table
/// pages are: which entries share a cache line is then the same in every run, so a
/// virtual-time machine that charges by line (`pte-machine`) repeats exactly. (An allocation
/// is only 8- or 16-aligned; the slice is cut from a larger one.)
pub(crate) struct Aligned<T> {
    buf: Box<[T]>,
    start: usize,
    len: usize,
}

/// The alignment of [`Aligned`] slices: a 4 KiB page, a multiple of every coherence line.
pub(crate) const TABLE_ALIGN: usize = 4096;

impl<T> Aligned<T> {
    /// `len` elements made by `f` (and as many spare ones before them as aligning takes).
    pub(crate) fn new(len: usize, mut f: impl FnMut() -> T) -> Self {
        let size = std::mem::size_of::<T>().max(1);
        let slack = TABLE_ALIGN.div_ceil(size);
        let buf: Box<[T]> = (0..len + slack).map(|_| f()).collect();
        let base = buf.as_ptr() as usize;
        let start = (base.next_multiple_of(TABLE_ALIGN) - base) / size;
        // Sizes here (8-byte words) divide the alignment, so `start` lands exactly on it.
        Aligned { buf, start, len }
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Aligned<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T> std::ops::Deref for Aligned<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.buf[self.start..self.start + self.len]
    }
}

/// One step of a wait loop: [`relax`](pte_core::fault::lock::relax) (which a virtual-time
/// machine parks until the line last loaded is written) and a yield to the host scheduler
/// (the stress tests run more threads than CPUs).
pub(crate) fn wait_step() {
    pte_core::fault::lock::relax();
    std::thread::yield_now();
}

/// This thread's shard: its virtual CPU's under a machine (so the run is the same whatever
/// threads the process made before), else by order of first use.
pub(crate) fn shard() -> usize {
    if let Some(cpu) = pte_core::probe::cpu() {
        return cpu % SHARDS;
    }
    use std::sync::atomic::AtomicUsize;
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    std::thread_local! {
        static SHARD: usize = NEXT.fetch_add(1, Ordering::Relaxed) % SHARDS;
    }
    SHARD.with(|s| *s)
}
