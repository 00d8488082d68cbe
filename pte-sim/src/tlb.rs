//! [`Tlbs`]: the per-CPU translation caches of one address space, and their shootdown.
//!
//! Each simulated CPU (the calling thread's shard, [`crate::shard`]: its virtual CPU under a
//! machine, else the CPU it was bound to with [`crate::bind_cpu`], else its order of first
//! use) has one TLB of [`TLB_ENTRIES`] entries, **direct-mapped** by virtual page number
//! (folded, see `slot`): a lookup is one index, and a shootdown of one page looks at one entry
//! per CPU. (LRU would
//! only change which entry a conflicting fill evicts; the stress runs touch a few dozen
//! pages, so conflicts happen either way, which exercises refills.)
//!
//! An entry caches what the MMU validated on a walk: the frame and whether a write may go
//! through without the MMU writing the entry (writable, and dirty where the hardware keeps
//! a dirty bit). A read hit or an allowed write hit touches only the frame; anything else
//! walks the tables ([`crate::mmu`]) and refills.
//!
//! **Locking (the "ack").** Every access holds its own CPU's TLB lock from the lookup to the
//! end of the frame access (hit) or of the walk, its fill included (miss): as a hardware
//! walk and fill is atomic with respect to a shootdown IPI. The lock is never held while
//! waiting for anything else: a walk does not populate, spin or fault (a fault is handled
//! after the lock is dropped). [`Tlbs::flush`] takes every CPU's lock in turn and drops the
//! page's entry under it: when it returns, no TLB holds the old translation *and* every
//! access that used it has finished (its stores happen-before the flusher's return, by the
//! lock's release/acquire). A flusher may hold a page-table lock meanwhile (Linux's
//! `ptep_clear_flush` under the PTL): the CPUs it waits for hold their TLB lock only for a
//! bounded access, never while spinning on that page-table lock.
//!
//! The locks are `std` mutexes, invisible to a virtual-time machine (`pte-machine`), whose
//! scheduler would not know that a thread blocked on one waits for a parked CPU: runs under
//! a machine set [`Config::tlb`](crate::Config::tlb) off.

use std::sync::{Mutex, MutexGuard, OnceLock};

use crate::{SHARDS, Sharded};

/// Entries per CPU TLB (direct-mapped).
pub const TLB_ENTRIES: usize = 32;

/// A hook called with the page address (see [`Tlbs`]'s users in `PageTables`).
pub(crate) type Hook = Box<dyn Fn(u64) + Send + Sync>;

/// One cached translation.
#[derive(Clone, Copy, Debug, Default)]
struct Entry {
    /// Virtual page number + 1; 0 = empty.
    tag: u64,
    pfn: u64,
    /// A write may go through without a walk.
    write: bool,
}

/// One CPU's TLB, on a line of its own (the flusher's lock traffic touches no neighbour).
#[derive(Debug, Default)]
#[repr(align(128))]
struct CpuTlb(Mutex<[Entry; TLB_ENTRIES]>);

/// A hit: what the access may use.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Hit {
    pub(crate) pfn: u64,
}

/// The calling CPU's TLB, locked for one access.
pub(crate) struct Locked<'a> {
    entries: MutexGuard<'a, [Entry; TLB_ENTRIES]>,
}

/// The entry of page `vpn`: its low bits, folded with the bits above a 512-entry table (and
/// the next level), so that regions aligned to leaf tables (the stress run's) do not all
/// start in entry 0. Consecutive pages still take consecutive entries.
fn slot(vpn: u64) -> usize {
    ((vpn ^ (vpn >> 9) ^ (vpn >> 18)) % TLB_ENTRIES as u64) as usize
}

impl Locked<'_> {
    /// The cached translation of `vpn`, if it serves this access (a write needs `write`).
    pub(crate) fn lookup(&self, vpn: u64, write: bool) -> Option<Hit> {
        let e = self.entries[slot(vpn)];
        (e.tag == vpn + 1 && (e.write || !write)).then_some(Hit { pfn: e.pfn })
    }

    /// Caches the translation a walk just validated (evicting whatever shared the slot).
    pub(crate) fn fill(&mut self, vpn: u64, pfn: u64, write: bool) {
        self.entries[slot(vpn)] = Entry {
            tag: vpn + 1,
            pfn,
            write,
        };
    }

    /// Drops the translation of `vpn` (an access through it faulted: x86 invalidates the
    /// faulting address's entry).
    pub(crate) fn drop_page(&mut self, vpn: u64) {
        let e = &mut self.entries[slot(vpn)];
        if e.tag == vpn + 1 {
            *e = Entry::default();
        }
    }
}

/// Counters of the TLBs (folded into [`MmuCounts`](crate::MmuCounts)).
#[derive(Debug, Default)]
pub(crate) struct TlbStats {
    pub(crate) hits: Sharded,
    pub(crate) misses: Sharded,
    pub(crate) shootdowns: Sharded,
    pub(crate) invalidated: Sharded,
}

/// The TLBs of every CPU of one address space.
pub(crate) struct Tlbs {
    cpus: Box<[CpuTlb]>,
    pub(crate) stats: TlbStats,
    /// Test hook: called by [`flush`](Self::flush) before it invalidates anything (a
    /// shootdown whose IPIs are slow to arrive).
    pub(crate) before_shootdown: OnceLock<Hook>,
    /// Test hook: called during a hit, with the CPU's TLB lock held (an access in flight).
    pub(crate) during_hit: OnceLock<Hook>,
}

impl core::fmt::Debug for Tlbs {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Tlbs")
            .field("cpus", &self.cpus.len())
            .finish_non_exhaustive()
    }
}

impl Tlbs {
    /// One empty TLB per shard.
    pub(crate) fn new() -> Self {
        Tlbs {
            cpus: (0..SHARDS).map(|_| CpuTlb::default()).collect(),
            stats: TlbStats::default(),
            before_shootdown: OnceLock::new(),
            during_hit: OnceLock::new(),
        }
    }

    fn lock(&self, cpu: usize) -> MutexGuard<'_, [Entry; TLB_ENTRIES]> {
        // A panic while holding it (a test's hook) leaves valid entries: keep going.
        self.cpus[cpu % self.cpus.len()]
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// The calling thread's CPU's TLB, locked: hold it for the whole access.
    pub(crate) fn mine(&self) -> Locked<'_> {
        Locked {
            entries: self.lock(crate::shard()),
        }
    }

    /// The shootdown of page `vpn`: on every CPU, under its lock, the entry is dropped.
    /// Returns once every CPU acknowledged (its lock was taken), so no access through the old
    /// translation is in flight.
    pub(crate) fn flush(&self, vpn: u64, page_addr: u64) {
        if let Some(hook) = self.before_shootdown.get() {
            hook(page_addr);
        }
        self.stats.shootdowns.add(1);
        let mut dropped = 0;
        for cpu in 0..self.cpus.len() {
            let mut t = self.lock(cpu);
            let e = &mut t[slot(vpn)];
            if e.tag == vpn + 1 {
                *e = Entry::default();
                dropped += 1;
            }
        }
        self.stats.invalidated.add(dropped);
    }

    /// Every translation of every CPU (a change that affects them all, e.g. HAFDBS).
    pub(crate) fn flush_all(&self) {
        self.stats.shootdowns.add(1);
        let mut dropped = 0;
        for cpu in 0..self.cpus.len() {
            let mut t = self.lock(cpu);
            for e in t.iter_mut().filter(|e| e.tag != 0) {
                *e = Entry::default();
                dropped += 1;
            }
        }
        self.stats.invalidated.add(dropped);
    }
}
