//! The page-table walker the fast path uses: the hardware's own tables, identity-mapped.
//!
//! Upper levels are populated the way the library expects (`TableWalker`): a zeroed table is
//! prepared outside any lock and published with one compare-and-swap over the empty entry
//! (AcqRel: the zeroing happens-before any walk through it); the loser frees its table and
//! follows the winner's. The leaf entry is handed out as a `PteSlot` over the table word.

use core::sync::atomic::{AtomicU64, Ordering};

use pte_core::PteSlot;
use pte_core::fault::{Leaf, TableWalker};

use crate::Platform;
use crate::frames::{self, Frames, Use, page_ptr};

/// Bits of index per level (512 eight-byte entries per 4 KiB table).
const INDEX_BITS: u32 = 9;

/// The index of `addr` in a table of the level with index shift `shift`.
fn index(addr: u64, shift: u32) -> usize {
    ((addr >> shift) & ((1 << INDEX_BITS) - 1)) as usize
}

/// The upper-level entry `index` of the table at physical address `table` (a byte address:
/// the PAE PDPT is only 32-byte aligned), as an atomic word.
fn upper_entry(table: u64, index: usize) -> &'static AtomicU64 {
    let entry = (table as usize as *mut u64).wrapping_add(index);
    // SAFETY: `table` is a page table (the root or one the walker published), identity-mapped
    // and 8-aligned, and `index` one of its entries; every access to them from here on is
    // atomic (the hardware walker only reads them).
    unsafe { AtomicU64::from_ptr(entry) }
}

/// The walker over the platform's tables.
pub struct Walker<'p, P: Platform>(pub &'p P);

impl<P: Platform> Walker<'_, P> {
    /// The leaf slot of `addr` if its tables exist (nothing is populated).
    pub fn find(&self, addr: u64) -> Option<&PteSlot<P::A>> {
        let shifts = P::LEVEL_SHIFTS;
        let mut table = self.0.root();
        for (level, &shift) in shifts[..shifts.len() - 1].iter().enumerate() {
            let entry = upper_entry(table, index(addr, shift)).load(Ordering::Acquire);
            table = P::next_table(level, entry)?;
        }
        Some(leaf_slot::<P>(table >> crate::PAGE_SHIFT, addr))
    }

    /// Calls `f` with the frame of every table that an upper-level entry covering part of
    /// `start..end` points to, once per such entry: a table linked twice is reported twice.
    pub fn each_table_link(&self, start: u64, end: u64, mut f: impl FnMut(u64)) {
        self.links(0, self.0.root(), 0, start, end, &mut f);
    }

    /// [`each_table_link`](Self::each_table_link) below `table` (a physical address), a table
    /// of level `level` whose entry 0 maps virtual address `base`.
    fn links(
        &self,
        level: usize,
        table: u64,
        base: u64,
        start: u64,
        end: u64,
        f: &mut impl FnMut(u64),
    ) {
        let shifts = P::LEVEL_SHIFTS;
        if level + 1 >= shifts.len() {
            return;
        }
        let span = 1u64 << shifts[level];
        for i in 0..1usize << INDEX_BITS {
            let lo = base + i as u64 * span;
            // Only the entries over the range: a PAE PDPT has just 4, the range never
            // reaches past them.
            if lo >= end || lo + span <= start {
                continue;
            }
            let entry = upper_entry(table, i).load(Ordering::Acquire);
            if let Some(next) = P::next_table(level, entry) {
                f(next >> crate::PAGE_SHIFT);
                self.links(level + 1, next, lo, start, end, f);
            }
        }
    }
}

/// The leaf entry of `addr` in leaf table frame `table`.
fn leaf_slot<P: Platform>(table: u64, addr: u64) -> &'static PteSlot<P::A> {
    let shift = P::LEVEL_SHIFTS[P::LEVEL_SHIFTS.len() - 1];
    let word = page_ptr(table)
        .cast::<<P::A as pte_core::Arch>::Word>()
        .wrapping_add(index(addr, shift));
    // SAFETY: a leaf table frame the walker published (or found), identity-mapped, entries
    // aligned to the word; all accesses are through slots or the MMU.
    unsafe { PteSlot::from_ptr(word) }
}

impl<P: Platform> TableWalker<P::A> for Walker<'_, P> {
    fn leaf(&self, addr: u64) -> Option<Leaf<'_, P::A>> {
        let shifts = P::LEVEL_SHIFTS;
        let frames = Frames(self.0);
        let mut table = self.0.root();
        for (level, &shift) in shifts[..shifts.len() - 1].iter().enumerate() {
            let entry = upper_entry(table, index(addr, shift));
            let seen = entry.load(Ordering::Acquire);
            let next = match P::next_table(level, seen) {
                Some(next) => next,
                None if seen == 0 => {
                    let fresh = frames.alloc_zeroed_as(Use::Table)?;
                    let descriptor = P::table_descriptor(level, fresh << crate::PAGE_SHIFT);
                    match entry.compare_exchange(0, descriptor, Ordering::AcqRel, Ordering::Acquire)
                    {
                        Ok(_) => {
                            self.0.sync_tables();
                            fresh << crate::PAGE_SHIFT
                        }
                        Err(now) => {
                            frames.release(fresh, Use::Table);
                            P::next_table(level, now)?
                        }
                    }
                }
                // A block or a malformed entry: not something the fast path can walk.
                None => return None,
            };
            table = next;
        }
        let leaf_table = table >> crate::PAGE_SHIFT;
        Some(Leaf {
            slot: leaf_slot::<P>(leaf_table, addr),
            ptl: frames::ptl(leaf_table),
        })
    }

    /// The platform's shootdown ([`Platform::flush_tlb_page`], which waits on no CPU that
    /// spins on a lock with interrupts off).
    fn flush_tlb(&self, addr: u64) {
        self.0.flush_tlb_page(addr & !(crate::PAGE_SIZE as u64 - 1));
    }
}
