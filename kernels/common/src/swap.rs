//! A swap device in RAM.
//!
//! Slots are handed out in order and never reused within a run: the library's `SwapDevice`
//! contract (a freed slot is not reused while a fault that read its entry may still read it —
//! the ABA hazard of docs/DESIGN.md#h11) holds trivially. A slot is reserved before the entry
//! that names it is published, and filled only after that entry replaced the present one and
//! the TLBs were flushed (no CPU can write the page any more); a fault that reads a slot still
//! being written waits for it, as a fault waits on a locked page in the swap cache.
//!
//! Each slot counts the swap entries that name it (`swap_map`'s count): 1 when reserved, +1
//! per [`duplicate`](SwapDevice::duplicate) (fork copying a swap entry, or a swap-out
//! replacing a second mapping of the page by the same entry, as `try_to_unmap` does), −1
//! per [`free_slot`](SwapDevice::free_slot) (a swap-in that published the page); the last
//! reference frees the slot.

use core::hint::spin_loop;
use core::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicU64, Ordering};

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
/// Each slot's references: the swap entries naming it (0: free or never used).
static REFS: [AtomicU32; SLOTS] = [const { AtomicU32::new(0) }; SLOTS];
/// Whether a slot ever had a second reference ([`SwapDevice::duplicate`]).
static SHARED: [AtomicBool; SLOTS] = [const { AtomicBool::new(false) }; SLOTS];
/// References added by [`SwapDevice::duplicate`] since boot.
static DUPLICATES: AtomicU64 = AtomicU64::new(0);
/// Swap-ins ([`SwapDevice::free_slot`] calls) of slots that had more than one reference.
static SHARED_SWAP_INS: AtomicU64 = AtomicU64::new(0);
/// The most references a slot may have (`SWAP_MAP_MAX` is 0x3e in Linux).
const MAX_REFS: u32 = 0x3e;
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
    REFS[index].store(1, Ordering::Relaxed);
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
        REFS[index].store(0, Ordering::Relaxed);
        STATE[index].store(FREED, Ordering::Release);
        FREED_SLOTS.fetch_add(1, Ordering::Relaxed);
    }
}

/// Slots reserved and slots freed since boot.
pub fn totals() -> (u64, u64) {
    let reserved = NEXT.load(Ordering::Relaxed).min(SLOTS as u64);
    (reserved, FREED_SLOTS.load(Ordering::Relaxed))
}

/// The references of the slot of `entry` (0: freed, never used, or not on this device).
pub fn refs(entry: SwapEntry) -> u32 {
    slot_of(entry).map_or(0, |index| REFS[index].load(Ordering::Acquire))
}

/// Slots still referenced by some swap entry.
pub fn referenced_slots() -> u64 {
    REFS.iter()
        .filter(|r| r.load(Ordering::Acquire) != 0)
        .count() as u64
}

/// References added by duplication, and swap-ins of slots that had been duplicated.
pub fn shared_totals() -> (u64, u64) {
    (
        DUPLICATES.load(Ordering::Relaxed),
        SHARED_SWAP_INS.load(Ordering::Relaxed),
    )
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
        // One entry's reference: the slot lives on while another entry names it.
        let Ok(before) =
            REFS[index].fetch_update(Ordering::AcqRel, Ordering::Acquire, |r| r.checked_sub(1))
        else {
            violation(
                self.0,
                format_args!("swap slot {entry} freed with no reference left"),
            );
            return;
        };
        if SHARED[index].load(Ordering::Relaxed) {
            SHARED_SWAP_INS.fetch_add(1, Ordering::Relaxed);
        }
        if before > 1 {
            return;
        }
        if STATE[index]
            .compare_exchange(FULL, FREED, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            violation(self.0, format_args!("swap slot {entry} freed twice"));
            return;
        }
        FREED_SLOTS.fetch_add(1, Ordering::Relaxed);
    }

    fn duplicate(&self, entry: SwapEntry) -> bool {
        let Some(index) = slot_of(entry) else {
            violation(
                self.0,
                format_args!("duplicate of swap entry {entry}, not on this device"),
            );
            return false;
        };
        // A reference to a live slot only: 0 means the slot is gone.
        let grown = REFS[index].fetch_update(Ordering::AcqRel, Ordering::Acquire, |r| {
            (r > 0 && r < MAX_REFS).then_some(r + 1)
        });
        if grown.is_err() {
            return false;
        }
        SHARED[index].store(true, Ordering::Relaxed);
        DUPLICATES.fetch_add(1, Ordering::Relaxed);
        true
    }
}
