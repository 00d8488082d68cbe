//! Copy-on-write and the TLB, on every layout of `pte_layouts::for_each_layout!` under every
//! strategy it has: break-before-make everywhere (issue 11). When the fast path asks the
//! kernel to flush, the entry must be invalid — not the old page, not yet the copy — and not a
//! none a lock-free fault could fill: the layout's break marker (or the locked-empty word of a
//! lock-bit strategy), or a none only while the lock every install takes is held. The copy
//! is installed only after the flush. The walker here records what the entry held (and
//! whether the locks were held) at each `flush_tlb` call. Also run under Miri (on the host,
//! i686, aarch64 and big-endian s390x): each layout's fault path through the install of a
//! page-cache page and the copy.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use arch_aarch64::Aarch64_6_6;
use pte_core::fault::lock::RawSpinLock;
use pte_core::fault::{
    self, Backing, Env, Fault, FrameAllocator, Leaf, PageCache, Resolved, Strategies, Strategy,
    StrategyKind, StrategyVisitor, SwapDevice, TableWalker, Vma,
};
use pte_core::{Arch, CompareExchange, LockBit, Pte, PteSlot, SwapEntry};

/// The page-cache frame of file 0, page 0.
const CACHED: u64 = 0x100;

/// Frames from 0x200 up; frees counted.
#[derive(Default)]
struct Frames {
    next: AtomicU64,
    freed: AtomicUsize,
}

impl FrameAllocator for Frames {
    fn alloc_zeroed(&self) -> Option<u64> {
        Some(0x200 + self.next.fetch_add(1, Ordering::Relaxed))
    }
    fn alloc_copy(&self, _src: u64) -> Option<u64> {
        self.alloc_zeroed()
    }
    fn free(&self, _pfn: u64) {
        self.freed.fetch_add(1, Ordering::Relaxed);
    }
    // No fork here: the only anonymous pages are the copies, each mapped once.
    fn share(&self, _pfn: u64) -> bool {
        true
    }
    fn is_exclusive(&self, _pfn: u64) -> bool {
        true
    }
    fn unmap(&self, pfn: u64) {
        self.free(pfn)
    }
}

/// What a flush saw: the entry, and whether the split lock or the mm lock was held.
type AtFlush<A> = (Pte<A>, bool);

/// One leaf entry; every flush records the entry as it was then.
struct OneEntry<'s, A: Arch> {
    slot: PteSlot<A>,
    ptl: RawSpinLock,
    /// The strategy's mm lock, if it has one.
    mm: Option<&'s RawSpinLock>,
    at_flush: Mutex<Vec<AtFlush<A>>>,
}

impl<A: Arch> TableWalker<A> for OneEntry<'_, A> {
    fn leaf(&self, _addr: u64) -> Option<Leaf<'_, A>> {
        Some(Leaf {
            slot: &self.slot,
            ptl: &self.ptl,
        })
    }
    fn flush_tlb(&self, _addr: u64) {
        let locked = self.ptl.is_locked() || self.mm.is_some_and(RawSpinLock::is_locked);
        self.at_flush
            .lock()
            .unwrap()
            .push((self.slot.load(), locked));
    }
}

/// One cached page with a reference count.
struct OnePage {
    refs: AtomicUsize,
}

impl PageCache for OnePage {
    fn get(&self, file: u32, pgoff: u64) -> Option<u64> {
        (file == 0 && pgoff == 0).then(|| {
            self.refs.fetch_add(1, Ordering::Relaxed);
            CACHED
        })
    }
    fn put(&self, pfn: u64) {
        assert_eq!(pfn, CACHED);
        self.refs.fetch_sub(1, Ordering::Relaxed);
    }
    fn contains(&self, pfn: u64) -> bool {
        pfn == CACHED
    }
    fn dup(&self, _pfn: u64) {
        self.refs.fetch_add(1, Ordering::Relaxed);
    }
}

struct NoSwap;
impl SwapDevice for NoSwap {
    fn read(&self, _entry: SwapEntry) -> Option<u64> {
        None
    }
    fn free_slot(&self, _entry: SwapEntry) {}
    fn duplicate(&self, _entry: SwapEntry) -> bool {
        false
    }
}

/// What [`cow`] saw: each flush, the write's result, the entry after, the cache references
/// and the frames freed.
struct Cow<A: Arch> {
    seen: Vec<AtFlush<A>>,
    write: Result<Resolved, fault::FaultError>,
    after: Pte<A>,
    refs: usize,
    freed: usize,
}

/// A private file page mapped read-only, then written.
fn cow<A: Arch + CompareExchange, S: Strategy<A>>(strategy: &S) -> Cow<A> {
    let frames = Frames::default();
    let tables = OneEntry::<A> {
        slot: PteSlot::default(),
        ptl: RawSpinLock::new(),
        mm: strategy.mm_lock(),
        at_flush: Mutex::new(Vec::new()),
    };
    let cache = OnePage {
        refs: AtomicUsize::new(0),
    };
    let env = Env {
        frames: &frames,
        tables: &tables,
        cache: &cache,
        swap: &NoSwap,
    };
    let vma = Vma {
        start: 0x10000,
        end: 0x11000,
        backing: Backing::PrivateFile { file: 0, pgoff: 0 },
        writable: true,
        page_shift: 12,
    };
    let read = fault::handle(
        strategy,
        &env,
        &vma,
        Fault {
            addr: 0x10008,
            write: false,
        },
    );
    assert_eq!(read, Ok(Resolved::File));
    assert_eq!(tables.slot.load().pfn(), Some(CACHED));
    assert!(
        tables.at_flush.lock().unwrap().is_empty(),
        "a first install needs no flush"
    );
    let write = fault::handle(
        strategy,
        &env,
        &vma,
        Fault {
            addr: 0x10008,
            write: true,
        },
    );
    let seen = tables.at_flush.lock().unwrap().clone();
    Cow {
        seen,
        write,
        after: tables.slot.load(),
        refs: cache.refs.load(Ordering::Relaxed),
        freed: frames.freed.load(Ordering::Relaxed),
    }
}

/// Checks break-before-make of the copy on layout `A` under one strategy.
fn flush_order<A: Arch + CompareExchange, S: Strategy<A>>(strategy: &S) {
    let Cow {
        seen,
        write,
        after,
        refs,
        freed,
    } = cow::<A, _>(strategy);
    let who = format!("{} {}", A::LAYOUT.name, S::NAME);
    if let Some(marker) = Pte::<A>::break_marker() {
        // Proved at compile time; checked here through the run-time classifier too.
        assert!(
            matches!(marker.decode(), pte_core::Decoded::Invalid(_)) && !marker.is_none(),
            "{who}: the marker {marker:?} aliases a state"
        );
        assert_eq!(
            strategy.classify(marker),
            pte_core::Decoded::LockedNone,
            "{who}"
        );
    }
    if Pte::<A>::break_marker().is_none() && S::NAME == "cmpxchg" {
        // No marker bit (i386/2.6.8 2-level): the lock-free strategy refuses, leaving the
        // page-cache page mapped and giving the copy back.
        assert_eq!(write, Err(fault::FaultError::Unsupported), "{who}");
        assert_eq!(
            after.pfn(),
            Some(CACHED),
            "{who}: the old page stays mapped"
        );
        assert_eq!((refs, freed), (1, 1), "{who}: the copy is freed");
        assert!(seen.is_empty(), "{who}: no flush");
        return;
    }
    assert_eq!(write, Ok(Resolved::CopyOnWrite), "{who}");
    assert!(
        after.is_present() && after.is_writable() && after.is_dirty(),
        "{who}: the copy is not mapped writable and dirty: {after:?}"
    );
    assert_ne!(after.pfn(), Some(CACHED), "{who}: the copy is mapped");
    assert_eq!(refs, 0, "{who}: the page-cache reference is dropped");
    assert_eq!(freed, 0, "{who}: nothing lost a race");
    assert_eq!(seen.len(), 1, "{who}: one flush");
    let (entry, locked) = seen[0];
    assert!(
        !entry.is_present() && entry.pfn().is_none(),
        "{who}: the entry was {entry:?} at the flush: the old page (or the copy) is still \
         visible"
    );
    // A none at the flush could be filled by a lock-free fault, unless every install must
    // first take the lock held here.
    assert!(
        !entry.is_none() || locked,
        "{who}: a plain none at the flush with no lock held"
    );
    assert!(
        entry.is_none() || strategy.classify(entry) == pte_core::Decoded::LockedNone,
        "{who}: the invalid step {entry:?} is not one every fault waits on"
    );
}

/// [`flush_order`] as a visitor of the strategy set.
struct FlushOrder;

impl<A: Arch + CompareExchange> StrategyVisitor<A> for FlushOrder {
    type Output = ();
    fn visit<S: Strategy<A>>(self, strategy: &S) {
        flush_order::<A, S>(strategy);
    }
}

/// Every strategy (a layout with a lock bit).
fn locked<A: LockBit + CompareExchange>() {
    let set = Strategies::new();
    for kind in StrategyKind::ALL {
        set.with::<A, _>(kind, FlushOrder);
    }
}

/// The strategies that need no lock bit (the others are refused: they do not exist for `A`).
fn plain<A: Arch + CompareExchange>() {
    let set = Strategies::new();
    for kind in StrategyKind::ALL {
        let _ = set.try_with::<A, _>(kind, FlushOrder);
    }
}

/// `copy_on_write_flush_order::<layout>`, one test per layout of the list.
macro_rules! every_layout {
    ($($id:ident => $ty:ty, $dir:literal, $lock:ident;)*) => {
        mod copy_on_write_flush_order {
            use super::*;
            $(
                #[test]
                fn $id() {
                    $lock::<$ty>();
                }
            )*
        }
    };
}

pte_layouts::for_each_layout!(every_layout);

/// On aarch64 the marker is the any-state lock bit 63 on the empty entry (issue 11): one
/// word means "being replaced" to every strategy.
#[test]
fn aarch64_marker_is_the_locked_empty_entry() {
    assert_eq!(
        Pte::<Aarch64_6_6>::break_marker(),
        Some(Pte::<Aarch64_6_6>::locked_none())
    );
    assert_eq!(<Aarch64_6_6 as LockBit>::BIT, 63);
}

/// Only the layout without a bit the none-only proof accepts lacks a marker.
#[test]
fn only_i386_2_6_8_lacks_a_marker() {
    assert_eq!(Pte::<arch_i386::I386_2_6_8>::break_marker(), None);
    assert!(Pte::<arch_x86_64::X86_64_6_6>::break_marker().is_some());
    assert!(Pte::<arch_i386::I386_6_6>::break_marker().is_some());
}

/// The lock bit of the aarch64 layout is any-state: `LockBitSpin` takes it on the present
/// entry for the break, so the strategy under test really exercises the bit lock.
#[test]
fn aarch64_lock_bit_is_any_state() {
    assert_eq!(
        <Aarch64_6_6 as LockBit>::DISCIPLINE,
        pte_core::Discipline::AnyState
    );
}
