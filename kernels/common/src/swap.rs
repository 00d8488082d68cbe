//! A swap device in RAM.
//!
//! Slots are handed out in order and never reused within a run: the library's `SwapDevice`
//! contract (a freed slot is not reused while a fault that read its entry may still read it —
//! the ABA hazard of docs/DESIGN.md#h11) holds trivially. A slot is reserved before the entry
//! that names it is published, and filled only after that entry replaced the present one and
//! the TLBs were flushed (no CPU can write the page any more); a fault that reads a slot still
//! being written waits for it, as a fault waits on a locked page in the swap cache.

use core::hint::spin_loop;
use core::sync::atomic::{AtomicU8, AtomicU64, Ordering};

use pte_core::SwapEntry;
use pte_core::fault::{FrameAllocator, SwapDevice};

use crate::frames::{Frames, PageMem, page_ptr};
use crate::violation::violation;
use crate::{PAGE_SIZE, Platform};

/// Slots on the device (4 MiB): every anonymous page of every strategy with `MAX_CPUS` CPUs
/// (checked at compile time in `workload`).
pub const SLOTS: usize = 1024;

/// The swap type of this device.
pub const SWAP_TYPE: u64 = 0;

/// A slot's state: reserved for a swap-out that has not written it yet.
const RESERVED: u8 = 1;
/// Written: readable by swap-ins.
const FULL: u8 = 2;
/// Freed by the swap-in that won, or abandoned; never reused.
const FREED: u8 = 3;

/// The slots' memory.
struct Store([PageMem; SLOTS]);
// SAFETY: a slot's memory is written by the swapper between RESERVED and FULL (Release) and
// only read after an Acquire load sees FULL.
unsafe impl Sync for Store {}

/// The device's memory.
static STORE: Store = Store([const { PageMem::zeroed() }; SLOTS]);
/// Each slot's state (0: never used).
static STATE: [AtomicU8; SLOTS] = [const { AtomicU8::new(0) }; SLOTS];
/// The next slot to reserve (slots are handed out in order, never reused).
static NEXT: AtomicU64 = AtomicU64::new(0);
/// Slots freed or abandoned.
static FREED_SLOTS: AtomicU64 = AtomicU64::new(0);

/// The swap offset of slot `index` (offset 0 is left unused, as Linux leaves the header page).
fn offset_of(index: usize) -> u64 {
    index as u64 + 1
}

/// The slot of a swap entry of this device.
fn slot_of(entry: SwapEntry) -> Option<usize> {
    if entry.ty != SWAP_TYPE {
        return None;
    }
    let index = usize::try_from(entry.offset.checked_sub(1)?).ok()?;
    (index < SLOTS).then_some(index)
}

/// Reserves the next slot: its swap entry, to be published before [`fill`].
pub fn reserve() -> Option<SwapEntry> {
    let index = usize::try_from(NEXT.fetch_add(1, Ordering::Relaxed)).ok()?;
    if index >= SLOTS {
        return None;
    }
    STATE[index].store(RESERVED, Ordering::Relaxed);
    Some(SwapEntry {
        ty: SWAP_TYPE,
        offset: offset_of(index),
        ..SwapEntry::default()
    })
}

/// Writes frame `pfn` to the reserved slot of `entry` and makes it readable (Release).
///
/// # Panics
///
/// If `entry` did not come from [`reserve`].
pub fn fill(entry: SwapEntry, pfn: u64) {
    let index = slot_of(entry).expect("reserved by `reserve`");
    // SAFETY: the slot is RESERVED: only this CPU writes it; `pfn` is a frame no CPU can write
    // any more (its entry was replaced and the TLBs flushed).
    unsafe {
        core::ptr::copy_nonoverlapping(page_ptr(pfn), STORE.0[index].ptr(), PAGE_SIZE);
    }
    STATE[index].store(FULL, Ordering::Release);
}

/// Gives back a reserved slot that was never published (the page was gone).
pub fn abandon(entry: SwapEntry) {
    if let Some(index) = slot_of(entry) {
        STATE[index].store(FREED, Ordering::Release);
        FREED_SLOTS.fetch_add(1, Ordering::Relaxed);
    }
}

/// Slots reserved and slots freed since boot.
pub fn totals() -> (u64, u64) {
    let reserved = NEXT.load(Ordering::Relaxed).min(SLOTS as u64);
    (reserved, FREED_SLOTS.load(Ordering::Relaxed))
}

/// The swap device as the fast path sees it.
pub struct Swap<'p, P: Platform>(pub &'p P);

impl<P: Platform> SwapDevice for Swap<'_, P> {
    fn read(&self, entry: SwapEntry) -> Option<u64> {
        let Some(index) = slot_of(entry) else {
            violation(
                self.0,
                format_args!("swap entry {entry} is not on this device"),
            );
            return None;
        };
        loop {
            match STATE[index].load(Ordering::Acquire) {
                RESERVED => spin_loop(),
                FULL => break,
                // Freed by the fault that won: the caller re-reads the entry.
                _ => return None,
            }
        }
        // The slot is never reused, so a copy taken after a concurrent free is still the
        // page's contents; the publish that follows fails because the entry changed.
        Frames(self.0).alloc_copy(STORE.0[index].pfn())
    }

    fn free_slot(&self, entry: SwapEntry) {
        let Some(index) = slot_of(entry) else {
            violation(
                self.0,
                format_args!("free of swap entry {entry}, not on this device"),
            );
            return;
        };
        if STATE[index]
            .compare_exchange(FULL, FREED, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            violation(self.0, format_args!("swap slot {entry} freed twice"));
            return;
        }
        FREED_SLOTS.fetch_add(1, Ordering::Relaxed);
    }
}
