//! [`SwapArea`]: the swap device, slots holding page contents.
//!
//! A slot is free, *reserved* (its entry may already be in a page table while the contents
//! are written: the locked swap-cache page of Linux) or *ready*. Reading or freeing a
//! reserved slot waits until it is ready.
//!
//! Swap entries are never reused within a run: the offset of a slot carries its
//! generation, `offset = FIRST_SWAP_OFFSET + slot + generation × slots`, and the generation
//! is bumped whenever the slot is freed. This is what the fault path's
//! [`SwapDevice`](pte_core::fault::SwapDevice) contract asks for (a freed slot is not reused
//! under a fault that read its entry — the ABA of docs/DESIGN.md#h11): a fault that lost the
//! swap-in race and reads the entry afterwards gets `None` (a *stale read*, counted), never
//! another page's contents, and a second free of an entry is recognised as a double free
//! even after the slot was reused. Offset 0 is never used (the swap header; on old x86
//! layouts type 0 offset 0 encodes as the empty entry); generations wrap within the
//! layout's offset bits.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use super::frames::{FrameKind, FramePool};
use pte_core::classify::SwapEntry;
use pte_core::probe::{self, Access, Site};

/// The first offset handed out.
pub const FIRST_SWAP_OFFSET: u64 = 1;

const FREE: u64 = 0;
const RESERVED: u64 = 1;
const READY: u64 = 2;

/// The state of a swap entry's slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SlotState {
    /// Not in use (or in use under another generation: the entry is stale).
    Free,
    /// Allocated, contents being written.
    Reserved,
    /// Holds the entry's page.
    Ready,
}

/// A slot: `generation << 2 | state` in one word, and the contents. A 128-byte line each
/// (the largest coherence unit of the machine profiles), so that which slots share a line
/// does not depend on where the allocator put the array.
#[derive(Debug, Default)]
#[repr(align(128))]
struct Slot {
    word: AtomicU64,
    /// Swap entries naming the slot (`swap_map`'s count): one from swap-out, one more per
    /// fork that copied an entry ([`SwapDevice::duplicate`](pte_core::fault::SwapDevice)).
    refs: AtomicU64,
    data: OnceLock<Box<[AtomicU64]>>,
}

/// Counters of a [`SwapArea`] (a snapshot).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SwapCounts {
    /// Slots on the device.
    pub capacity: u64,
    /// Slots holding a page now.
    pub ready: u64,
    /// Slots reserved now (0 once every thread is joined).
    pub reserved: u64,
    /// Pages written (swap-outs).
    pub writes: u64,
    /// Reservations given back unwritten (a swap-out lost its race).
    pub cancels: u64,
    /// Pages read back.
    pub reads: u64,
    /// Slots freed.
    pub frees: u64,
    /// References added by fork (`swap_duplicate`).
    pub duplicates: u64,
    /// References dropped that left the slot to other entries (a swap-in of a slot fork shared).
    pub shared_frees: u64,
    /// Pages read back from a slot more than one entry named (a swap-in of a slot fork
    /// shared: the slot must survive it).
    pub shared_reads: u64,
    /// Frees of an entry whose slot was already freed: an invariant violation.
    pub double_frees: u64,
    /// Reads of an entry whose slot was freed (answered `None`).
    pub stale_reads: u64,
    /// Reservations refused: the device was full.
    pub full: u64,
    /// Waits for a reserved slot to become ready.
    pub waits: u64,
}

/// A swap device of a fixed number of slots.
#[derive(Debug)]
pub struct SwapArea {
    pool: Arc<FramePool>,
    slots: Box<[Slot]>,
    /// Generations per slot before the offsets wrap.
    generations: u64,
    free: Mutex<Vec<usize>>,
    writes: AtomicU64,
    cancels: AtomicU64,
    reads: AtomicU64,
    frees: AtomicU64,
    duplicates: AtomicU64,
    shared_frees: AtomicU64,
    shared_reads: AtomicU64,
    double_frees: AtomicU64,
    stale_reads: AtomicU64,
    full: AtomicU64,
    waits: AtomicU64,
}

impl SwapArea {
    /// A device of `slots` slots for pages of `pool`'s size, whose offsets stay below
    /// `2^offset_bits` (the layout's swap-offset limit).
    ///
    /// Panics if the offsets cannot name every slot.
    pub fn new(pool: Arc<FramePool>, slots: usize, offset_bits: u32) -> Self {
        let limit = pte_core::model::low_mask(offset_bits.min(63));
        let n = slots.max(1) as u64;
        assert!(limit > n, "swap offsets too narrow for {slots} slots");
        SwapArea {
            pool,
            slots: (0..slots).map(|_| Slot::default()).collect(),
            generations: (limit - FIRST_SWAP_OFFSET + 1) / n,
            // Popped from the end: slot 0 first.
            free: Mutex::new((0..slots).rev().collect()),
            writes: AtomicU64::new(0),
            cancels: AtomicU64::new(0),
            reads: AtomicU64::new(0),
            frees: AtomicU64::new(0),
            duplicates: AtomicU64::new(0),
            shared_frees: AtomicU64::new(0),
            shared_reads: AtomicU64::new(0),
            double_frees: AtomicU64::new(0),
            stale_reads: AtomicU64::new(0),
            full: AtomicU64::new(0),
            waits: AtomicU64::new(0),
        }
    }

    /// The slot of `entry` and the generation the entry names.
    fn locate(&self, entry: SwapEntry) -> Option<(&Slot, u64)> {
        if entry.ty != 0 {
            return None;
        }
        let i = entry.offset.checked_sub(FIRST_SWAP_OFFSET)?;
        let n = self.slots.len() as u64;
        let slot = self.slots.get(usize::try_from(i % n).ok()?)?;
        Some((slot, i / n))
    }

    fn entry_of(&self, slot: usize, generation: u64) -> SwapEntry {
        SwapEntry {
            ty: 0,
            offset: FIRST_SWAP_OFFSET + slot as u64 + generation * self.slots.len() as u64,
            ..SwapEntry::default()
        }
    }

    fn next_generation(&self, generation: u64) -> u64 {
        (generation + 1) % self.generations
    }

    fn data<'s>(&self, slot: &'s Slot) -> &'s [AtomicU64] {
        slot.data.get_or_init(|| {
            (0..self.pool.words_per_frame())
                .map(|_| AtomicU64::new(0))
                .collect()
        })
    }

    /// The state of `entry`'s slot as far as `entry` is concerned (`None`: not an entry of
    /// this device).
    pub fn state(&self, entry: SwapEntry) -> Option<SlotState> {
        let (slot, generation) = self.locate(entry)?;
        let w = slot.word.load(Ordering::Acquire);
        Some(match (w >> 2 == generation, w & 3) {
            (true, RESERVED) => SlotState::Reserved,
            (true, READY) => SlotState::Ready,
            _ => SlotState::Free,
        })
    }

    /// How many swap entries name `entry`'s slot (0 if the entry is stale or not ours).
    pub fn refs(&self, entry: SwapEntry) -> u64 {
        match (self.locate(entry), self.state(entry)) {
            (Some((slot, _)), Some(SlotState::Ready | SlotState::Reserved)) => {
                slot.refs.load(Ordering::Acquire)
            }
            _ => 0,
        }
    }

    /// Every slot in use: its current entry and state.
    pub fn live(&self) -> impl Iterator<Item = (SwapEntry, SlotState)> + '_ {
        self.slots.iter().enumerate().filter_map(|(i, s)| {
            let w = s.word.load(Ordering::Acquire);
            let state = match w & 3 {
                RESERVED => SlotState::Reserved,
                READY => SlotState::Ready,
                _ => return None,
            };
            Some((self.entry_of(i, w >> 2), state))
        })
    }

    /// Allocates a slot for a page about to be written (`get_swap_page`).
    pub fn reserve(&self) -> Option<SwapEntry> {
        let index = {
            let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
            free.pop()
        };
        let Some(i) = index else {
            self.full.fetch_add(1, Ordering::Relaxed);
            return None;
        };
        let slot = &self.slots[i];
        let w = slot.word.load(Ordering::Acquire);
        debug_assert_eq!(w & 3, FREE, "the free list held a live slot");
        slot.refs.store(1, Ordering::Relaxed);
        probe::access(&slot.word, Access::Store, Site::SwapSlot);
        slot.word.store(w | RESERVED, Ordering::Release);
        Some(self.entry_of(i, w >> 2))
    }

    /// Writes frame `pfn` into `entry`'s reserved slot and makes it ready (Release: a
    /// reader that sees it ready sees the contents).
    pub fn fill(&self, entry: SwapEntry, pfn: u64) {
        let Some((slot, generation)) = self.locate(entry) else {
            return;
        };
        if slot.word.load(Ordering::Acquire) != generation << 2 | RESERVED {
            return;
        }
        self.pool.copy_out(pfn, self.data(slot));
        probe::access(&slot.word, Access::Store, Site::SwapSlot);
        slot.word.store(generation << 2 | READY, Ordering::Release);
        self.writes.fetch_add(1, Ordering::Relaxed);
    }

    /// Gives a reserved slot back unwritten.
    pub fn cancel(&self, entry: SwapEntry) {
        let Some((slot, generation)) = self.locate(entry) else {
            return;
        };
        let next = self.next_generation(generation) << 2 | FREE;
        probe::access(&slot.word, Access::ReadModifyWrite, Site::SwapSlot);
        if slot
            .word
            .compare_exchange(
                generation << 2 | RESERVED,
                next,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
        {
            self.cancels.fetch_add(1, Ordering::Relaxed);
            self.push_free(entry);
        }
    }

    fn push_free(&self, entry: SwapEntry) {
        let i = (entry.offset - FIRST_SWAP_OFFSET) % self.slots.len() as u64;
        self.free
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(i as usize);
    }

    /// Allocates a slot and writes frame `pfn` into it.
    pub fn write(&self, pfn: u64) -> Option<SwapEntry> {
        let e = self.reserve()?;
        self.fill(e, pfn);
        Some(e)
    }

    /// Word `word` of the page in `entry`'s slot, if it is ready.
    pub fn word(&self, entry: SwapEntry, word: usize) -> Option<u64> {
        let (slot, generation) = self.locate(entry)?;
        if slot.word.load(Ordering::Acquire) != generation << 2 | READY {
            return None;
        }
        self.data(slot).get(word).map(|w| w.load(Ordering::Relaxed))
    }

    /// The slot word once it is not reserved under `generation` any more.
    fn settled(&self, slot: &Slot, generation: u64) -> u64 {
        loop {
            probe::access(&slot.word, Access::Load, Site::SwapSlot);
            let w = slot.word.load(Ordering::Acquire);
            if w != generation << 2 | RESERVED {
                return w;
            }
            self.waits.fetch_add(1, Ordering::Relaxed);
            crate::wait_step();
        }
    }

    /// The counters.
    pub fn counts(&self) -> SwapCounts {
        let mut c = SwapCounts {
            capacity: self.slots.len() as u64,
            writes: self.writes.load(Ordering::Relaxed),
            cancels: self.cancels.load(Ordering::Relaxed),
            reads: self.reads.load(Ordering::Relaxed),
            frees: self.frees.load(Ordering::Relaxed),
            duplicates: self.duplicates.load(Ordering::Relaxed),
            shared_frees: self.shared_frees.load(Ordering::Relaxed),
            shared_reads: self.shared_reads.load(Ordering::Relaxed),
            double_frees: self.double_frees.load(Ordering::Relaxed),
            stale_reads: self.stale_reads.load(Ordering::Relaxed),
            full: self.full.load(Ordering::Relaxed),
            waits: self.waits.load(Ordering::Relaxed),
            ..SwapCounts::default()
        };
        for s in self.slots.iter() {
            match s.word.load(Ordering::Acquire) & 3 {
                READY => c.ready += 1,
                RESERVED => c.reserved += 1,
                _ => {}
            }
        }
        c
    }
}

impl pte_core::fault::SwapDevice for SwapArea {
    fn read(&self, entry: SwapEntry) -> Option<u64> {
        let stale = || {
            self.stale_reads.fetch_add(1, Ordering::Relaxed);
            None
        };
        let Some((slot, generation)) = self.locate(entry) else {
            return stale();
        };
        let ready = generation << 2 | READY;
        if self.settled(slot, generation) != ready {
            return stale();
        }
        let pfn = self.pool.alloc_raw(FrameKind::Anon)?;
        self.pool.copy_in(pfn, self.data(slot));
        // Freed (and maybe rewritten by a reuse) while we copied: the copy is not the
        // entry's page.
        if slot.word.load(Ordering::Acquire) != ready {
            pte_core::fault::FrameAllocator::free(&*self.pool, pfn);
            return stale();
        }
        self.reads.fetch_add(1, Ordering::Relaxed);
        // Relaxed: a statistic; the count only grows under fork, which excludes the faults
        // of the space whose entry names the slot.
        if slot.refs.load(Ordering::Relaxed) > 1 {
            self.shared_reads.fetch_add(1, Ordering::Relaxed);
        }
        Some(pfn)
    }

    fn free_slot(&self, entry: SwapEntry) {
        let Some((slot, generation)) = self.locate(entry) else {
            self.double_frees.fetch_add(1, Ordering::Relaxed);
            return;
        };
        let ready = generation << 2 | READY;
        let next = self.next_generation(generation) << 2 | FREE;
        if self.settled(slot, generation) != ready {
            self.double_frees.fetch_add(1, Ordering::Relaxed);
            return;
        }
        // Another entry (copied by fork) still names the slot: drop ours only.
        if slot
            .refs
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |r| {
                (r > 1).then(|| r - 1)
            })
            .is_ok()
        {
            self.shared_frees.fetch_add(1, Ordering::Relaxed);
            return;
        }
        if slot
            .word
            .compare_exchange(ready, next, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            self.double_frees.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.frees.fetch_add(1, Ordering::Relaxed);
        self.push_free(entry);
    }

    fn duplicate(&self, entry: SwapEntry) -> bool {
        let Some((slot, generation)) = self.locate(entry) else {
            return false;
        };
        if self.settled(slot, generation) != generation << 2 | READY {
            return false;
        }
        // The caller's entry holds a reference, so the count cannot reach 0 under us.
        slot.refs.fetch_add(1, Ordering::AcqRel);
        self.duplicates.fetch_add(1, Ordering::Relaxed);
        true
    }
}
