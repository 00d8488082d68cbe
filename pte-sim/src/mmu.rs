//! The software MMU: what the hardware does to a leaf entry on an access.
//!
//! [`translate`] is the pure decision (fault, or the entry the hardware writes back);
//! [`Mmu::access`] is the concurrent actor: it walks the tables without populating them,
//! pins the frame, writes the accessed/dirty update back with one compare-and-swap from the
//! exact entry it read (which also re-validates the translation), does the 8-byte access on
//! the frame's memory and unpins. With TLBs ([`crate::tlb`]) the access first looks in its
//! CPU's TLB and walks only on a miss (or a write the cached translation does not allow),
//! refilling it from what the walk validated.
//!
//! Why a compare-and-swap and not `fetch_or`: the x86 CPU's locked A/D update re-checks the
//! present bit; a blind OR of `_PAGE_DIRTY` into an entry that a swap-out replaced meanwhile
//! would turn the swap entry into another word (bit 6 is `_PAGE_FILE` on 2.6-era x86). The
//! CAS is still a lock-free atomic read-modify-write that honours no software lock, which is
//! the hazard the fast path must survive (docs/DESIGN.md#h4, docs/DESIGN.md#h7).

use super::Sharded;

use super::frames::FramePool;
use super::tables::PageTables;
use super::tlb::Tlbs;
use pte_core::CompareExchange;
use pte_core::classify::Decoded;
use pte_core::model::{HelperModel, HwAccessDirty};
use pte_core::{Arch, Pte};

/// Why an access faulted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MmuFault {
    /// A table on the way is missing.
    NoTable,
    /// The entry is not a valid page entry (none, swap, file, protnone, locked-none).
    NotPresent,
    /// Accessed / access flag clear where the hardware does not set it (ia64 Access-bit
    /// fault, aarch64 access-flag fault without HAFDBS).
    AccessFlag,
    /// A write the entry does not allow (x86 `!_PAGE_RW`; aarch64 `PTE_RDONLY` without DBM
    /// or without HAFDBS; ia64 access rights).
    WriteProtect,
    /// A write through a clean entry where the hardware does not set dirty (ia64 Dirty-bit
    /// fault; aarch64/3.18).
    DirtyBit,
    /// The entry maps a frame that is not in the pool: a corrupt entry.
    BadFrame,
}

fn bit(b: u32) -> u64 {
    1u64 << b
}

/// What the MMU does on an access through present entry `cur`: `Ok(new)` is the entry it
/// leaves (`new == cur` when it writes nothing), `Err` the fault it raises. `hafdbs`
/// switches FEAT_HAFDBS on aarch64 layouts ([`HwAccessDirty::AfDbmIfHafdbs`]); other layouts
/// ignore it.
pub fn translate<A: Arch>(cur: Pte<A>, write: bool, hafdbs: bool) -> Result<Pte<A>, MmuFault> {
    let layout = A::LAYOUT;
    let software = |cur: Pte<A>| {
        if !cur.is_young() {
            Err(MmuFault::AccessFlag)
        } else if write && !cur.is_writable() {
            Err(MmuFault::WriteProtect)
        } else if write && !cur.is_dirty() {
            Err(MmuFault::DirtyBit)
        } else {
            Ok(cur)
        }
    };
    match (layout.hw_ad, layout.helpers) {
        (
            HwAccessDirty::SetsAccessedDirty,
            HelperModel::X86 {
                accessed, dirty, ..
            },
        ) => {
            if write && !cur.is_writable() {
                return Err(MmuFault::WriteProtect);
            }
            // The hardware bits only: `pte_mkdirty()` would also set soft-dirty.
            let set = bit(accessed) | if write { bit(dirty) } else { 0 };
            Ok(Pte::from_raw(cur.raw() | set).unwrap_or(cur))
        }
        (HwAccessDirty::SetsAccessedDirty, _) => {
            if write && !cur.is_writable() {
                return Err(MmuFault::WriteProtect);
            }
            let new = cur.make_young();
            Ok(if write { new.make_dirty() } else { new })
        }
        (
            HwAccessDirty::AfDbmIfHafdbs,
            HelperModel::Aarch64 {
                accessed,
                write: dbm,
                rdonly_hw_dirty: Some(rdonly),
                ..
            },
        ) => {
            let raw = cur.raw();
            let read_only = raw & bit(rdonly) != 0;
            if hafdbs {
                let mut new = raw | bit(accessed);
                if write && read_only {
                    if raw & bit(dbm) == 0 {
                        return Err(MmuFault::WriteProtect);
                    }
                    // DBM: the write clears AP[2] instead of faulting.
                    new &= !bit(rdonly);
                }
                Ok(Pte::from_raw(new).unwrap_or(cur))
            } else if raw & bit(accessed) == 0 {
                Err(MmuFault::AccessFlag)
            } else if write && read_only {
                Err(MmuFault::WriteProtect)
            } else {
                Ok(cur)
            }
        }
        _ => software(cur),
    }
}

/// Counters of the software MMU (a snapshot).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MmuCounts {
    /// Accesses completed.
    pub accesses: u64,
    /// Accesses that faulted (each fault counted once).
    pub faults: u64,
    /// Accessed/dirty updates the hardware wrote back.
    pub hw_updates: u64,
    /// Translations that had to be redone: the entry changed between the walk and the
    /// compare-and-swap / re-validation.
    pub revalidations: u64,
    /// Accesses served by a cached translation, without a walk (0 without TLBs).
    pub tlb_hits: u64,
    /// Accesses that looked in their CPU's TLB and walked (0 without TLBs).
    pub tlb_misses: u64,
    /// TLB shootdowns ([`flush_tlb`](pte_core::fault::TableWalker::flush_tlb) calls, and
    /// whole flushes), each acknowledged by every CPU.
    pub shootdowns: u64,
    /// Cached translations the shootdowns dropped.
    pub tlb_invalidations: u64,
}

/// Live counters of an [`Mmu`].
#[derive(Debug, Default)]
pub(crate) struct MmuStats {
    accesses: Sharded,
    faults: Sharded,
    hw_updates: Sharded,
    revalidations: Sharded,
}

impl MmuStats {
    /// The counters, those of the TLBs (if any) included.
    pub(crate) fn snapshot(&self, tlbs: Option<&Tlbs>) -> MmuCounts {
        let mut c = MmuCounts {
            accesses: self.accesses.sum(),
            faults: self.faults.sum(),
            hw_updates: self.hw_updates.sum(),
            revalidations: self.revalidations.sum(),
            ..MmuCounts::default()
        };
        if let Some(t) = tlbs {
            c.tlb_hits = t.stats.hits.sum();
            c.tlb_misses = t.stats.misses.sum();
            c.shootdowns = t.stats.shootdowns.sum();
            c.tlb_invalidations = t.stats.invalidated.sum();
        }
        c
    }
}

/// An access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Read,
    Write(u64),
}

/// The MMU of one address space: its tables and the frames they map.
pub(crate) struct Mmu<'a, A: Arch> {
    pub(crate) tables: &'a PageTables<A>,
    pub(crate) pool: &'a FramePool,
    pub(crate) hafdbs: bool,
    pub(crate) stats: &'a MmuStats,
}

impl<A: Arch + CompareExchange> Mmu<'_, A> {
    /// One 8-byte access at `addr` (8-aligned): the value read, or the value written.
    pub(crate) fn access(&self, addr: u64, op: Op) -> Result<u64, MmuFault> {
        let r = match self.tables.tlbs() {
            Some(tlbs) => self.access_cached(tlbs, addr, op),
            None => self.try_access(addr, op).map(|(v, _)| v),
        };
        let counter = if r.is_ok() {
            &self.stats.accesses
        } else {
            &self.stats.faults
        };
        counter.add(1);
        r
    }

    /// The access through this CPU's TLB, its lock held throughout (the shootdown's ack):
    /// a hit touches only the frame; a miss walks and refills. Nothing here waits.
    fn access_cached(&self, tlbs: &Tlbs, addr: u64, op: Op) -> Result<u64, MmuFault> {
        let shift = self.pool.page_shift();
        let vpn = addr >> shift;
        let write = matches!(op, Op::Write(_));
        let mut tlb = tlbs.mine();
        if let Some(hit) = tlb.lookup(vpn, write) {
            tlbs.stats.hits.add(1);
            if let Some(hook) = tlbs.during_hit.get() {
                hook(vpn << shift);
            }
            // No pin: a frame is freed or written out only after a shootdown, which waits
            // for this lock.
            return self.frame_access(hit.pfn, addr, op);
        }
        tlbs.stats.misses.add(1);
        match self.try_access(addr, op) {
            Ok((v, (pfn, entry))) => {
                // Writes may then hit only if the MMU would write nothing for one: writable,
                // and (where the hardware keeps it) dirty already.
                let write_ok = translate(entry, true, self.hafdbs) == Ok(entry);
                tlb.fill(vpn, pfn, write_ok);
                Ok(v)
            }
            Err(f) => {
                tlb.drop_page(vpn);
                Err(f)
            }
        }
    }

    /// The 8-byte access on the frame's memory.
    fn frame_access(&self, pfn: u64, addr: u64, op: Op) -> Result<u64, MmuFault> {
        let page_mask = (1u64 << self.pool.page_shift()) - 1;
        let word = ((addr & page_mask) >> 3) as usize;
        let value = match op {
            Op::Read => self.pool.read_word(pfn, word),
            Op::Write(v) => {
                let ok = self.pool.write_word(pfn, word, v);
                self.pool.mark_written(pfn);
                ok.then_some(v)
            }
        };
        value.ok_or(MmuFault::BadFrame)
    }

    /// The walk: the value, and the frame and entry it validated (what a TLB caches).
    fn try_access(&self, addr: u64, op: Op) -> Result<(u64, (u64, Pte<A>)), MmuFault> {
        let leaf = self.tables.lookup(addr).ok_or(MmuFault::NoTable)?;
        let write = matches!(op, Op::Write(_));
        loop {
            let cur = leaf.slot.load();
            let Decoded::Present { pfn } = cur.decode() else {
                return Err(MmuFault::NotPresent);
            };
            let new = translate(cur, write, self.hafdbs)?;
            if !self.pool.pin(pfn) {
                return Err(MmuFault::BadFrame);
            }
            // After the pin (and its SeqCst fence): the CAS or the re-read re-validates the
            // translation against a concurrent unmap (see `FramePool::drain`).
            let valid = if new != cur {
                let ok = leaf.slot.compare_exchange(cur, new).is_ok();
                if ok {
                    self.stats.hw_updates.add(1);
                }
                ok
            } else {
                leaf.slot.load() == cur
            };
            if !valid {
                self.pool.unpin(pfn);
                self.stats.revalidations.add(1);
                continue;
            }
            let value = self.frame_access(pfn, addr, op);
            self.pool.unpin(pfn);
            return value.map(|v| (v, (pfn, new)));
        }
    }
}
