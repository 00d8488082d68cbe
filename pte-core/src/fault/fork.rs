//! Fork: one entry of a parent address space copied into a child (Linux 6.6
//! `mm/memory.c`: `copy_pte_range`, `copy_present_pte`, `copy_nonpresent_pte`).
//!
//! # What the kernel promises
//!
//! * The parent's faults are excluded for the whole copy (Linux holds the parent's
//!   `mmap_lock` for write in `dup_mmap`); its MMU is not — the hardware keeps setting
//!   accessed and dirty bits — and neither are other writers going through
//!   [`Strategy::update`] (swap-out).
//! * The child is not running: its slot is empty and the caller's alone until the child runs.
//! * After the last entry is copied and before the parent's `mmap_lock` is released (and
//!   before the child runs), the kernel flushes the parent's TLBs for the copied range
//!   (Linux's `flush_tlb_mm` at the end of `dup_mmap`): `copy_entry` write-protects entries
//!   but does not flush, so until then other CPUs of the parent may still write through
//!   their cached writable translations into frames the child now maps. A write during the
//!   copy may or may not be seen by the child; none after the flush is.
//! * One [`Kernel`] serves both address spaces' frames, page cache and swap device (the
//!   child's tables are the caller's business: it passes the child's slot).
//!
//! # What the library does
//!
//! * A present page gets the child's reference *first* ([`FrameAllocator::share`] for an
//!   anonymous page — which fails if a racing swap-out already freed the frame; the entry is
//!   then read again — or [`PageCache::dup`] for a page-cache page, which the cache's own
//!   reference keeps alive), so a swap-out of the parent's entry racing with the copy cannot
//!   free the frame the child is about to map; the parent's entry is then re-validated, and
//!   if it no longer maps that page the reference is undone and the entry copied again.
//! * A writable entry of a private mapping is write-protected in the parent by **one atomic
//!   read-modify-write** ([`Strategy::update`]: a compare-and-swap loop, under the strategy's
//!   lock where it has one — `ptep_set_wrprotect`). A dirty bit the MMU sets between a read
//!   and a write of a non-atomic update would be lost, and the page later dropped as clean:
//!   data loss (loom model `m10_fork_wrprotect` in `pte-core/tests/loom_fault.rs` and its
//!   load-and-store control `i_load_store_wrprotect`).
//!   [`Pte::write_protect`] keeps the dirty state as the kernel does: x86 6.6 moves
//!   `_PAGE_DIRTY` into `_PAGE_SAVED_DIRTY`, arm64 copies the DBM hardware dirty
//!   (`!PTE_RDONLY`) into `PTE_DIRTY` before setting `PTE_RDONLY`.
//! * The child's entry is the parent's (write-protected for a private mapping), made old —
//!   and clean for a shared mapping (`pte_mkclean`, the parent's entry keeps the dirty bit).
//! * A swap entry gets one more reference to its slot ([`SwapDevice::duplicate`]); a
//!   nonlinear file entry is copied as is.
//!
//! After fork both entries of an anonymous page are read-only and its map count is two: the
//! first write in either address space copies ([`super::Resolved::CopyOnWrite`]); once one
//! side has copied and unmapped, the other finds the page exclusive and reuses it
//! ([`super::Resolved::Reused`]).

use core::cell::Cell;

use super::{
    Backing, FaultError, FrameAllocator, Kernel, Leaf, PageCache, Strategy, SwapDevice, Vma,
};
use crate::classify::Decoded;
use crate::pte::{Arch, Pte};
use crate::slot::PteSlot;

/// What [`copy_entry`] copied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Copied {
    /// Nothing: the parent's entry is empty.
    Nothing,
    /// An anonymous page, now mapped by both (map count + 1; a private mapping's entries are
    /// both read-only).
    Anonymous,
    /// A page-cache page, now mapped by both (one reference more).
    File,
    /// A swap entry (one reference more to its slot).
    Swap,
    /// A nonlinear file entry.
    Nonlinear,
}

/// What the validating update saw.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Seen<A: Arch> {
    /// The update left the entry without asking (a lock or marker held on it).
    Held,
    /// The entry no longer maps the page the reference was taken for.
    Changed,
    /// The entry maps the page; the child's entry is this.
    Child(Pte<A>),
}

/// Copies the parent's entry at `parent` into the child's empty slot `child`, for mapping
/// `vma` (see the module for the contract). `Ok` tells what was copied; `Err`:
/// [`FaultError::NoMemory`] when a swap count cannot grow, [`FaultError::Corrupt`] for a
/// word the kernel could not have written. On `Err` the child's slot is left empty and no
/// reference is taken.
#[doc(alias("copy_pte_range", "copy_present_pte", "copy_one_pte"))]
pub fn copy_entry<A: Arch, S: Strategy<A>, K: Kernel<A>>(
    strategy: &S,
    kernel: &K,
    vma: &Vma,
    parent: &Leaf<'_, A>,
    child: &PteSlot<A>,
) -> Result<Copied, FaultError> {
    let private = matches!(
        vma.backing,
        Backing::Anonymous | Backing::PrivateFile { .. }
    );
    loop {
        let cur = strategy.load(parent);
        let pfn = match strategy.classify(cur) {
            // A held lock or break marker is an install or copy-on-write in progress, which
            // the excluded faults cannot have started: nothing is mapped.
            Decoded::None | Decoded::LockedNone => return Ok(Copied::Nothing),
            Decoded::Swap(entry) => {
                // Swap-in is a fault (excluded), swap-out does not change a swap entry: the
                // entry stays as read while the count grows.
                if !kernel.swap().duplicate(entry) {
                    return Err(FaultError::NoMemory);
                }
                child.store(cur);
                return Ok(Copied::Swap);
            }
            Decoded::File { .. } => {
                child.store(cur);
                return Ok(Copied::Nonlinear);
            }
            Decoded::Present { pfn }
            | Decoded::ProtNone { pfn }
            | Decoded::PresentInvalid { pfn } => pfn,
            Decoded::Invalid(_) => return Err(FaultError::Corrupt),
        };
        let cached = kernel.cache().contains(pfn);
        // The child's reference first: it keeps the frame alive if swap-out unmaps the
        // parent's entry from here on.
        if cached {
            kernel.cache().dup(pfn);
        } else if !kernel.frames().share(pfn) {
            // Freed by a swap-out since we read the entry: the entry has changed.
            continue;
        }
        let seen = Cell::new(Seen::Held);
        strategy.update(parent, |now| {
            if now.pfn() != Some(pfn) || !now.is_present() {
                seen.set(Seen::Changed);
                return None;
            }
            if private && now.is_writable() {
                // `ptep_set_wrprotect`: decided on the value the compare-and-swap replaces,
                // so a dirty bit the MMU set since is kept.
                let protected = now.write_protect();
                seen.set(Seen::Child(protected));
                Some(protected)
            } else {
                seen.set(Seen::Child(now));
                None
            }
        });
        match seen.get() {
            Seen::Child(pte) => {
                let pte = if private { pte } else { pte.make_clean() };
                // The child is not running: a plain (Release) store.
                child.store(pte.make_old());
                return Ok(if cached {
                    Copied::File
                } else {
                    Copied::Anonymous
                });
            }
            Seen::Held | Seen::Changed => {
                if cached {
                    kernel.cache().put(pfn);
                } else {
                    kernel.frames().unmap(pfn);
                }
            }
        }
    }
}
