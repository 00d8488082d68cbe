//! Copy-on-write and the TLB, on every layout of `pte_layouts::for_each_layout!` under every
//! strategy it has: on a break-before-make architecture (aarch64) the entry must be invalid
//! when the fast path asks the kernel to flush, and the copy installed only after; elsewhere
//! the copy replaces the entry in one compare-and-swap and the flush comes after it. The
//! walker here records what the entry held at each `flush_tlb` call. Also run under Miri (on
//! the host, i686, aarch64 and big-endian s390x): each layout's fault path through the
//! install of a page-cache page and the copy.

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
}

/// One leaf entry; every flush records the entry as it was then.
struct OneEntry<A: Arch> {
    slot: PteSlot<A>,
    ptl: RawSpinLock,
    at_flush: Mutex<Vec<Pte<A>>>,
}

impl<A: Arch> TableWalker<A> for OneEntry<A> {
    fn leaf(&self, _addr: u64) -> Option<Leaf<'_, A>> {
        Some(Leaf {
            slot: &self.slot,
            ptl: &self.ptl,
        })
    }
    fn flush_tlb(&self, _addr: u64) {
        self.at_flush.lock().unwrap().push(self.slot.load());
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
}

struct NoSwap;
impl SwapDevice for NoSwap {
    fn read(&self, _entry: SwapEntry) -> Option<u64> {
        None
    }
    fn free_slot(&self, _entry: SwapEntry) {}
}

/// A private file page mapped read-only, then written: what the walker saw at each flush,
/// the entry after, the cache references and the frames freed.
fn cow<A: Arch + CompareExchange, S: Strategy<A>>(
    strategy: &S,
) -> (Vec<Pte<A>>, Pte<A>, usize, usize) {
    let frames = Frames::default();
    let tables = OneEntry::<A> {
        slot: PteSlot::default(),
        ptl: RawSpinLock::new(),
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
    assert_eq!(write, Ok(Resolved::CopyOnWrite));
    let seen = tables.at_flush.lock().unwrap().clone();
    (
        seen,
        tables.slot.load(),
        cache.refs.load(Ordering::Relaxed),
        frames.freed.load(Ordering::Relaxed),
    )
}

/// Checks the order of the copy's flush on layout `A` under one strategy: break-before-make
/// where the layout's family needs it, else replace then flush.
fn flush_order<A: Arch + CompareExchange, S: Strategy<A>>(strategy: &S) {
    let (seen, after, refs, freed) = cow::<A, _>(strategy);
    let who = format!("{} {}", A::LAYOUT.name, S::NAME);
    assert!(
        after.is_present() && after.is_writable() && after.is_dirty(),
        "{who}: the copy is not mapped writable and dirty: {after:?}"
    );
    assert_ne!(after.pfn(), Some(CACHED), "{who}: the copy is mapped");
    assert_eq!(refs, 0, "{who}: the page-cache reference is dropped");
    assert_eq!(freed, 0, "{who}: nothing lost a race");
    if A::LAYOUT.family.break_before_make() {
        assert_eq!(seen.len(), 1, "{who}: one flush");
        assert!(
            !seen[0].is_present(),
            "{who}: the entry was {:?} at the flush, must be invalid",
            seen[0]
        );
    } else {
        assert_eq!(
            seen,
            vec![after],
            "{who}: one flush, the copy already in place"
        );
    }
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

/// The list holds a break-before-make layout and one that is not, so both orders are checked.
#[test]
fn both_orders_are_checked() {
    let layouts = pte_layouts::LAYOUTS;
    let bbm = layouts
        .iter()
        .filter(|e| e.layout.family.break_before_make())
        .count();
    assert!(0 < bbm && bbm < layouts.len(), "{bbm} of {}", layouts.len());
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
