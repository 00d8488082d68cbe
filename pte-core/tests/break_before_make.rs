//! Copy-on-write and the TLB: on a break-before-make architecture (aarch64) the entry must be
//! invalid when the fast path asks the kernel to flush, and the copy installed only after; on
//! x86 the copy replaces the entry in one compare-and-swap and the flush comes after it. The
//! walker here records what the entry held at each `flush_tlb` call.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use arch_aarch64::Aarch64_6_6;
use arch_x86_64::X86_64_6_6;
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

/// Checks the aarch64 order for one strategy.
fn aarch64_breaks_before_make<S: Strategy<Aarch64_6_6>>(strategy: &S) {
    let (seen, after, refs, freed) = cow::<Aarch64_6_6, _>(strategy);
    assert_eq!(seen.len(), 1, "{}: one flush", S::NAME);
    assert!(
        !seen[0].is_present(),
        "{}: the entry was {:?} at the flush, must be invalid",
        S::NAME,
        seen[0]
    );
    assert!(after.is_present() && after.is_writable() && after.is_dirty());
    assert_ne!(after.pfn(), Some(CACHED), "{}: the copy is mapped", S::NAME);
    assert_eq!(refs, 0, "{}: the page-cache reference is dropped", S::NAME);
    assert_eq!(freed, 0, "{}: nothing lost a race", S::NAME);
}

/// Checks the x86 order for one strategy.
fn x86_flushes_after<S: Strategy<X86_64_6_6>>(strategy: &S) {
    let (seen, after, refs, freed) = cow::<X86_64_6_6, _>(strategy);
    assert_eq!(
        seen,
        vec![after],
        "{}: one flush, the copy already in place",
        S::NAME
    );
    assert_ne!(after.pfn(), Some(CACHED));
    assert_eq!((refs, freed), (0, 0), "{}", S::NAME);
}

#[test]
fn aarch64_copy_on_write_is_break_before_make_for_every_strategy() {
    assert!(<Aarch64_6_6 as Arch>::LAYOUT.family.break_before_make());
    struct Breaks;
    impl StrategyVisitor<Aarch64_6_6> for Breaks {
        type Output = ();
        fn visit<S: Strategy<Aarch64_6_6>>(self, strategy: &S) {
            aarch64_breaks_before_make(strategy);
        }
    }
    let set = Strategies::new();
    for kind in StrategyKind::ALL {
        set.with(kind, Breaks);
    }
}

#[test]
fn x86_copy_on_write_replaces_then_flushes_for_every_strategy() {
    assert!(!<X86_64_6_6 as Arch>::LAYOUT.family.break_before_make());
    struct FlushesAfter;
    impl StrategyVisitor<X86_64_6_6> for FlushesAfter {
        type Output = ();
        fn visit<S: Strategy<X86_64_6_6>>(self, strategy: &S) {
            x86_flushes_after(strategy);
        }
    }
    let set = Strategies::new();
    for kind in StrategyKind::ALL {
        set.with(kind, FlushesAfter);
    }
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
