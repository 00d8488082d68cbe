//! The page allocator: a pool of frames inside the kernel image (identity-mapped, so a frame's
//! physical address is its address), a free stack under a spinlock, and a use tag per frame
//! so the checks can prove that no frame is lost, freed twice, or mapped twice.
//!
//! Anonymous frames (tag [`Use::Page`]) carry a map count, as Linux's `_mapcount`: 1 when
//! handed out by the [`FrameAllocator`] (the fault that publishes the frame makes it the one
//! mapping), +1 per [`share`](FrameAllocator::share) (fork), −1 per
//! [`unmap`](FrameAllocator::unmap) (copy-on-write, swap-out, fork undoing a share); the last
//! unmap puts the frame back on the free stack. This kernel has no swap cache (a swap-in
//! copies the slot into a fresh frame), so a frame is exclusive exactly when its map count
//! is 1.

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicU8, AtomicU32, AtomicU64, Ordering};

use pte_core::fault::FrameAllocator;
use pte_core::fault::lock::RawSpinLock;

use crate::violation::violation;
use crate::{PAGE_SHIFT, PAGE_SIZE, Platform};

/// Frames in the pool (8 MiB): page tables, anonymous pages, page-cache pages.
pub const POOL_FRAMES: usize = 2048;

// The free stack holds frame indices as `u16`.
const _: () = assert!(POOL_FRAMES <= 1 << 16);

/// One page of memory, page-aligned.
#[repr(C, align(4096))]
pub struct PageMem(UnsafeCell<[u8; PAGE_SIZE]>);

impl PageMem {
    /// A zeroed page (a `static` of these lands in `.bss`).
    pub const fn zeroed() -> PageMem {
        PageMem(UnsafeCell::new([0; PAGE_SIZE]))
    }

    /// The page's memory.
    pub fn ptr(&self) -> *mut u8 {
        self.0.get().cast()
    }

    /// The page's physical frame number (identity map: address >> `PAGE_SHIFT`).
    pub fn pfn(&self) -> u64 {
        (self.0.get() as usize as u64) >> PAGE_SHIFT
    }
}

/// The pool's memory.
struct Pool([PageMem; POOL_FRAMES]);

// SAFETY: the pool is plain memory; who may touch a frame is decided by the allocator (one
// owner per allocated frame) and by the page tables (the CPUs that map it).
unsafe impl Sync for Pool {}

static POOL: Pool = Pool([const { PageMem::zeroed() }; POOL_FRAMES]);

/// What a pool frame is used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Use {
    /// On the free stack.
    Free = 0,
    /// Handed out by the [`FrameAllocator`]: anonymous pages, private copies, swap-ins.
    Page = 1,
    /// A page table below the first level.
    Table = 2,
    /// A page-cache page.
    Cache = 3,
}

impl Use {
    /// The tag stored in [`USE`].
    fn from_u8(v: u8) -> Use {
        match v {
            1 => Use::Page,
            2 => Use::Table,
            3 => Use::Cache,
            _ => Use::Free,
        }
    }
}

/// The use tag of each pool frame.
static USE: [AtomicU8; POOL_FRAMES] = [const { AtomicU8::new(0) }; POOL_FRAMES];

/// The map count of each pool frame tagged [`Use::Page`] (0 for every other frame): the
/// entries that map it, over every address space.
static MAPCOUNT: [AtomicU32; POOL_FRAMES] = [const { AtomicU32::new(0) }; POOL_FRAMES];

/// The split page-table lock of each pool frame that is a leaf table (`SplitLock`, and the
/// lock every other writer of that table takes under it): like the kernel's `ptl` in
/// `struct page`.
static PTL: [RawSpinLock; POOL_FRAMES] = [const { RawSpinLock::new() }; POOL_FRAMES];

/// The free stack: indices into the pool.
struct FreeStack {
    /// Guards `stack` and `len`.
    lock: RawSpinLock,
    /// Free frame indices, `len` of them, the next to hand out last.
    stack: UnsafeCell<[u16; POOL_FRAMES]>,
    /// Entries in use.
    len: UnsafeCell<usize>,
}

// SAFETY: `stack` and `len` are only touched with `lock` held.
unsafe impl Sync for FreeStack {}

/// The pool's free frames.
static FREE: FreeStack = FreeStack {
    lock: RawSpinLock::new(),
    stack: UnsafeCell::new([0; POOL_FRAMES]),
    len: UnsafeCell::new(0),
};

/// Frames handed out since boot (statistics: Relaxed).
static ALLOCS: AtomicU64 = AtomicU64::new(0);
/// Frames returned since boot.
static FREES: AtomicU64 = AtomicU64::new(0);

/// Fills the free stack with every pool frame. Boot CPU, once, before any fault.
pub fn init() {
    FREE.lock.lock();
    // SAFETY: lock held.
    let (stack, len) = unsafe { (&mut *FREE.stack.get(), &mut *FREE.len.get()) };
    for (i, s) in stack.iter_mut().enumerate() {
        // Pop order: lowest frame first.
        *s = (POOL_FRAMES - 1 - i) as u16;
    }
    *len = POOL_FRAMES;
    FREE.lock.unlock();
}

/// The pool index of `pfn`, if it is a pool frame.
pub fn index_of(pfn: u64) -> Option<usize> {
    let first = POOL.0[0].pfn();
    let i = pfn.checked_sub(first)? as usize;
    (i < POOL_FRAMES).then_some(i)
}

/// The pfn of pool frame `index`.
pub fn pfn_at(index: usize) -> u64 {
    POOL.0[index].pfn()
}

/// The address of frame `pfn` (identity map).
pub fn page_ptr(pfn: u64) -> *mut u8 {
    (pfn << PAGE_SHIFT) as usize as *mut u8
}

/// The use tag of pool frame `index`.
pub fn use_of(index: usize) -> Use {
    Use::from_u8(USE[index].load(Ordering::Acquire))
}

/// The split lock of the leaf table in frame `pfn` (a table outside the pool — never a leaf
/// table here — shares one fallback lock).
pub fn ptl(pfn: u64) -> &'static RawSpinLock {
    static OUTSIDE: RawSpinLock = RawSpinLock::new();
    index_of(pfn).map_or(&OUTSIDE, |i| &PTL[i])
}

/// The map count of pool frame `index` (0 unless it is an anonymous page).
pub fn map_count(index: usize) -> u32 {
    MAPCOUNT[index].load(Ordering::Acquire)
}

/// Pool frames per use, indexed by `Use as usize`.
pub fn count_by_use() -> [u64; 4] {
    let mut by_use = [0; 4];
    for i in 0..POOL_FRAMES {
        by_use[use_of(i) as usize] += 1;
    }
    by_use
}

/// Frames allocated and freed since boot.
pub fn totals() -> (u64, u64) {
    (
        ALLOCS.load(Ordering::Relaxed),
        FREES.load(Ordering::Relaxed),
    )
}

/// The page allocator as the fast path sees it.
pub struct Frames<'p, P: Platform>(pub &'p P);

impl<P: Platform> Frames<'_, P> {
    /// Takes a frame off the free stack, tagged `tag`, contents unspecified.
    pub fn alloc(&self, tag: Use) -> Option<u64> {
        FREE.lock.lock();
        // SAFETY: lock held.
        let (stack, len) = unsafe { (&*FREE.stack.get(), &mut *FREE.len.get()) };
        let index = if *len == 0 {
            None
        } else {
            *len -= 1;
            Some(stack[*len] as usize)
        };
        FREE.lock.unlock();
        let index = index?;
        let was = USE[index].swap(tag as u8, Ordering::AcqRel);
        if was != Use::Free as u8 {
            violation(
                self.0,
                format_args!("frame {:#x} on the free stack was in use", pfn_at(index)),
            );
        }
        // An anonymous page starts with the one mapping the fault that asked for it publishes.
        MAPCOUNT[index].store(u32::from(tag == Use::Page), Ordering::Relaxed);
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        Some(pfn_at(index))
    }

    /// A zeroed frame tagged `tag`.
    pub fn alloc_zeroed_as(&self, tag: Use) -> Option<u64> {
        let pfn = self.alloc(tag)?;
        // SAFETY: the frame was just taken off the free stack: this CPU owns it.
        unsafe { core::ptr::write_bytes(page_ptr(pfn), 0, PAGE_SIZE) };
        Some(pfn)
    }

    /// Puts frame `pfn`, tagged `tag`, back on the free stack; a frame that is not a pool
    /// frame with that tag is a violation (a double free or a stray pfn) and is not freed.
    pub fn release(&self, pfn: u64, tag: Use) {
        let Some(index) = index_of(pfn) else {
            violation(self.0, format_args!("free of {pfn:#x}, not a pool frame"));
            return;
        };
        if let Err(was) = USE[index].compare_exchange(
            tag as u8,
            Use::Free as u8,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            violation(
                self.0,
                format_args!(
                    "free of frame {pfn:#x} as {tag:?}, but it is {:?}",
                    Use::from_u8(was)
                ),
            );
            return;
        }
        MAPCOUNT[index].store(0, Ordering::Relaxed);
        FREES.fetch_add(1, Ordering::Relaxed);
        FREE.lock.lock();
        // SAFETY: lock held; the stack has room for every pool frame.
        unsafe {
            let len = &mut *FREE.len.get();
            (*FREE.stack.get())[*len] = index as u16;
            *len += 1;
        }
        FREE.lock.unlock();
    }
}

impl<P: Platform> FrameAllocator for Frames<'_, P> {
    fn alloc_zeroed(&self) -> Option<u64> {
        self.alloc_zeroed_as(Use::Page)
    }

    fn alloc_copy(&self, src: u64) -> Option<u64> {
        let pfn = self.alloc(Use::Page)?;
        // SAFETY: `pfn` is ours; `src` is a frame the caller holds a reference to (a mapped
        // page, a page-cache page, or a filled swap slot), identity-mapped, and a different
        // frame from `pfn`.
        unsafe {
            core::ptr::copy_nonoverlapping(page_ptr(src), page_ptr(pfn), PAGE_SIZE);
        }
        Some(pfn)
    }

    fn free(&self, pfn: u64) {
        // Never published: the map count the allocation set is still the only one.
        if let Some(index) = index_of(pfn) {
            let count = map_count(index);
            if count != 1 {
                violation(
                    self.0,
                    format_args!("free of unpublished frame {pfn:#x} with map count {count}"),
                );
                return;
            }
        }
        self.release(pfn, Use::Page)
    }

    fn share(&self, pfn: u64) -> bool {
        let Some(index) = index_of(pfn) else {
            violation(self.0, format_args!("share of {pfn:#x}, not a pool frame"));
            return false;
        };
        // Only a mapped anonymous page (`get_page_unless_zero`): a count of 0 is a frame
        // already freed by a racing unmap, and the caller re-reads its entry.
        MAPCOUNT[index]
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |c| {
                (c > 0 && use_of(index) == Use::Page).then(|| c.saturating_add(1))
            })
            .is_ok()
    }

    fn is_exclusive(&self, pfn: u64) -> bool {
        // No swap cache here: exclusive is a map count of one.
        index_of(pfn).is_some_and(|index| map_count(index) == 1)
    }

    fn unmap(&self, pfn: u64) {
        let Some(index) = index_of(pfn) else {
            violation(self.0, format_args!("unmap of {pfn:#x}, not a pool frame"));
            return;
        };
        match MAPCOUNT[index]
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |c| c.checked_sub(1))
        {
            // The last mapping is gone (every TLB flushed by the caller): free the frame.
            Ok(1) => self.release(pfn, Use::Page),
            Ok(_) => {}
            Err(_) => violation(
                self.0,
                format_args!("unmap of frame {pfn:#x} with map count 0 (freed while mapped?)"),
            ),
        }
    }
}
