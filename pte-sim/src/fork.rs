//! [`AddressSpace::fork`] and [`AddressSpace::exit`]: a second process over the same
//! frames, page cache and swap device, and its teardown.
//!
//! Fork is Linux's `dup_mmap`: the parent's `mmap_sem` ([`MapLock`](crate::maplock)) is held
//! for writing for the whole copy, so the parent's faults wait; its MMU keeps setting
//! accessed/dirty bits and the reclaimer keeps swapping out, as in the kernel. Every entry of
//! every mapping is copied by [`pte_core::fault::fork::copy_entry`] (the child's reference
//! first, the parent's write-protect by one atomic read-modify-write that keeps D). A
//! write-protected page's in-flight accesses are then drained and its TLB entry flushed
//! before fork returns (`flush_tlb_mm(oldmm)` at the end of `dup_mmap`): a write that went
//! through the old writable translation lands before the child can run, so both see the
//! same pre-fork contents.
//!
//! Exit is `exit_mmap`: with the process's threads gone, every entry is zapped under the
//! mmap lock (anonymous frames unmapped by map count, swap entries dropping one reference to
//! their slot, page-cache references put); the reclaimer may still race with it.

use pte_core::CompareExchange;
use pte_core::classify::Decoded;
use pte_core::fault::fork::{Copied, copy_entry};
use pte_core::fault::{Env, FaultError, Strategy, TableWalker};
use pte_core::{Arch, Pte};

use super::Sharded;
use super::space::{AddressSpace, MapError};

/// Fork and exit counters of an [`AddressSpace`] (a snapshot; part of
/// [`SpaceCounts`](crate::SpaceCounts)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ForkCounts {
    /// Children made by [`AddressSpace::fork`] of this space.
    pub forks: u64,
    /// Forks that failed (out of page tables or swap counts; the child was torn down).
    pub failed: u64,
    /// Entries copied into children: anonymous pages (map count + 1).
    pub anonymous: u64,
    /// Entries copied into children: page-cache pages (one reference more).
    pub file: u64,
    /// Entries copied into children: swap entries (`swap_duplicate`).
    pub swap: u64,
    /// Entries copied into children: nonlinear file entries.
    pub nonlinear: u64,
    /// Parent entries write-protected by the copy (a writable private page).
    pub write_protected: u64,
    /// Of those, dirty at the time: the D bit fork must keep.
    pub write_protected_dirty: u64,
    /// Waits for in-flight accesses through a write-protected entry before fork returned.
    pub drain_waits: u64,
    /// [`AddressSpace::exit`]s of this space.
    pub exits: u64,
    /// Entries cleared by exit.
    pub exit_zaps: u64,
}

/// Live counters behind [`ForkCounts`].
#[derive(Debug, Default)]
pub(crate) struct ForkStats {
    forks: Sharded,
    failed: Sharded,
    anonymous: Sharded,
    file: Sharded,
    swap: Sharded,
    nonlinear: Sharded,
    write_protected: Sharded,
    write_protected_dirty: Sharded,
    drain_waits: Sharded,
    exits: Sharded,
    exit_zaps: Sharded,
}

impl ForkStats {
    pub(crate) fn snapshot(&self) -> ForkCounts {
        ForkCounts {
            forks: self.forks.sum(),
            failed: self.failed.sum(),
            anonymous: self.anonymous.sum(),
            file: self.file.sum(),
            swap: self.swap.sum(),
            nonlinear: self.nonlinear.sum(),
            write_protected: self.write_protected.sum(),
            write_protected_dirty: self.write_protected_dirty.sum(),
            drain_waits: self.drain_waits.sum(),
            exits: self.exits.sum(),
            exit_zaps: self.exit_zaps.sum(),
        }
    }
}

/// How many times exit looks again at an entry it could not clear (a none-only lock or a
/// break marker held by a racing writer) before it counts it as a bad disposal.
const EXIT_TRIES: u32 = 100_000;

impl<A: Arch + CompareExchange, S: Strategy<A>> AddressSpace<A, S> {
    /// `fork()` with a new strategy of the same type ([`Default`]): see
    /// [`fork_with`](Self::fork_with).
    pub fn fork(&self) -> Result<Self, MapError>
    where
        S: Default,
    {
        self.fork_with(S::default())
    }

    /// `fork()`: a child address space with its own page tables and a copy of the mappings,
    /// under `strategy` (a fresh instance: the child's counters are its own), sharing this
    /// space's frames, page cache and swap device. Every present, swap and file entry is
    /// copied by [`copy_entry`] with the parent's `mmap_sem` held for writing (the parent's
    /// faults wait; the MMU and the reclaimer do not). See the module documentation.
    ///
    /// `Err(MapError::NoMemory)`: the child's tables or a swap count could not grow; the
    /// partial child is torn down and nothing the parent holds changed (its entries may be
    /// write-protected: the next write copies or reuses).
    pub fn fork_with(&self, strategy: S) -> Result<Self, MapError> {
        let vmas = self.vmas.write();
        let child = Self::with_shared(
            strategy,
            crate::Config {
                hafdbs: self.hafdbs(),
                ..self.config.clone()
            },
            self.pool.clone(),
            self.cache.clone(),
            self.swap.clone(),
        );
        // The child runs nothing yet: its lock is uncontended.
        child.vmas.write().clone_from(&vmas);
        let env = Env {
            frames: &*self.pool,
            tables: &self.tables,
            cache: &*self.cache,
            swap: &*self.swap,
        };
        let st = &self.fork_stats;
        let ps = self.page_size();
        let mut result = Ok(());
        'copy: for vma in vmas.iter() {
            let mut addr = vma.start;
            while addr < vma.end {
                let here = addr;
                addr += ps;
                let Some(parent) = self.tables.lookup(here) else {
                    continue;
                };
                let before = self.strategy.load(&parent);
                if before == Pte::<A>::none() {
                    // Nothing to copy (and no child table to populate for it).
                    continue;
                }
                let Some(child_leaf) = child.tables.leaf(here) else {
                    result = Err(MapError::NoMemory);
                    break 'copy;
                };
                match copy_entry(&self.strategy, &env, vma, &parent, child_leaf.slot) {
                    Ok(Copied::Nothing) => {}
                    Ok(Copied::Anonymous) => {
                        st.anonymous.add(1);
                        if before.is_writable() {
                            self.after_write_protect(here, child_leaf.slot.load());
                        }
                    }
                    Ok(Copied::File) => st.file.add(1),
                    Ok(Copied::Swap) => st.swap.add(1),
                    Ok(Copied::Nonlinear) => st.nonlinear.add(1),
                    Err(FaultError::NoMemory) => {
                        result = Err(MapError::NoMemory);
                        break 'copy;
                    }
                    Err(_) => {
                        // A word the kernel could not have written: left alone in the parent
                        // (the checker reports it), not copied.
                        self.count_bad_disposal();
                    }
                }
            }
        }
        drop(vmas);
        match result {
            Ok(()) => {
                st.forks.add(1);
                Ok(child)
            }
            Err(e) => {
                st.failed.add(1);
                child.exit();
                Err(e)
            }
        }
    }

    /// After an anonymous page mapped writable was copied (the copy write-protected the
    /// parent's entry: the mapping is private and the page anonymous): the in-flight accesses
    /// through its old writable translation are drained and its TLB entry flushed, so a write
    /// that went through it is in the frame before the child can read it.
    fn after_write_protect(&self, addr: u64, child: Pte<A>) {
        let Decoded::Present { pfn } = child.decode() else {
            return;
        };
        self.fork_stats.write_protected.add(1);
        // The child's entry is the parent's write-protected one (made old): its D bit is
        // what the parent's kept.
        if child.is_dirty() {
            self.fork_stats.write_protected_dirty.add(1);
        }
        TableWalker::flush_tlb(&self.tables, addr);
        self.fork_stats.drain_waits.add(self.pool.drain(pfn));
    }

    /// `exit_mmap`: removes every mapping (later faults are `SIGSEGV`) and zaps every entry,
    /// so that once every process sharing the frames exited, every anonymous frame and swap
    /// slot is free. Call it with the space's own threads done (the reclaimer may still
    /// run). Returns the entries cleared.
    pub fn exit(&self) -> u64 {
        let mut vmas = self.vmas.write();
        let ps = self.page_size();
        let mut cleared = 0;
        for vma in vmas.iter() {
            let mut addr = vma.start;
            while addr < vma.end {
                cleared += self.exit_one(addr);
                addr += ps;
            }
        }
        vmas.clear();
        drop(vmas);
        self.fork_stats.exits.add(1);
        self.fork_stats.exit_zaps.add(cleared);
        cleared
    }

    /// Clears the entry at `addr` for exit: zaps until the slot is empty, waiting (boundedly)
    /// while a racing writer holds a none-only lock or marker on it.
    fn exit_one(&self, addr: u64) -> u64 {
        let Some(leaf) = self.tables.lookup(addr) else {
            return 0;
        };
        let mut cleared = 0;
        for _ in 0..EXIT_TRIES {
            if self.zap(addr).is_some() {
                cleared += 1;
            }
            if leaf.slot.load() == Pte::<A>::none() {
                return cleared;
            }
            crate::wait_step();
        }
        self.count_bad_disposal();
        cleared
    }
}
