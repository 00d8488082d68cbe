//! Copy-on-write against a fault racing inside the TLB flush (issue 11, bug 1): on every
//! layout with nonlinear file entries, under every strategy it has.
//!
//! A private nonlinear page (file entry → page-cache page at pgoff 3, mapped read-only) is
//! written; the walker's `flush_tlb` — called between the break and the install of the copy
//! — lets a second thread take a read fault on the same address and waits for it (or for a
//! deadline, if that fault waits on the entry). Before the fix the break left a plain none on
//! aarch64/3.18: the racing fault read none, mapped the *linear* page (pgoff 0), and the
//! writer's install lost — the address then mapped the wrong file page. Now the racer must
//! wait, refault or lose: the copy ends up mapped.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Duration;

use pte_core::fault::lock::RawSpinLock;
use pte_core::fault::{
    self, Backing, Env, Fault, FaultError, FrameAllocator, Leaf, PageCache, Resolved, Strategies,
    Strategy, StrategyKind, StrategyVisitor, SwapDevice, TableWalker, Vma,
};
use pte_core::{Arch, CompareExchange, LockBit, Pte, PteSlot, SwapEntry};

/// Page-cache frames: file 0, page `n` is frame `CACHE_BASE + n`.
const CACHE_BASE: u64 = 0x100;
/// The nonlinear entry's page offset.
const PGOFF: u64 = 3;
/// How long the flush waits for a racer that does not finish (it waits on the entry).
const DEADLINE: Duration = Duration::from_millis(100);

/// Frames from 0x200 up.
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
    // No fork: the copies are mapped once.
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

/// File 0's pages, references counted.
#[derive(Default)]
struct FilePages {
    refs: AtomicUsize,
}

impl PageCache for FilePages {
    fn get(&self, file: u32, pgoff: u64) -> Option<u64> {
        (file == 0 && pgoff < 8).then(|| {
            self.refs.fetch_add(1, Ordering::Relaxed);
            CACHE_BASE + pgoff
        })
    }
    fn put(&self, _pfn: u64) {
        self.refs.fetch_sub(1, Ordering::Relaxed);
    }
    fn contains(&self, pfn: u64) -> bool {
        (CACHE_BASE..CACHE_BASE + 8).contains(&pfn)
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

/// One entry; the first flush starts the racer and waits for it (or the deadline).
struct RacingWalker<A: Arch> {
    slot: PteSlot<A>,
    ptl: RawSpinLock,
    go: Mutex<Option<Sender<()>>>,
    done: Mutex<Receiver<()>>,
    /// What the entry held at the flush.
    at_flush: Mutex<Option<Pte<A>>>,
}

impl<A: Arch> TableWalker<A> for RacingWalker<A> {
    fn leaf(&self, _addr: u64) -> Option<Leaf<'_, A>> {
        Some(Leaf {
            slot: &self.slot,
            ptl: &self.ptl,
        })
    }
    fn flush_tlb(&self, _addr: u64) {
        *self.at_flush.lock().unwrap() = Some(self.slot.load());
        if let Some(go) = self.go.lock().unwrap().take() {
            go.send(()).unwrap();
            // The racer either finishes (it could fault the entry in) or waits on it.
            let _ = self.done.lock().unwrap().recv_timeout(DEADLINE);
        }
    }
}

/// The race on layout `A` under one strategy; returns a description of what went wrong.
fn race<A: Arch + CompareExchange, S: Strategy<A>>(strategy: &S) -> Result<(), String> {
    let who = format!("{} {}", A::LAYOUT.name, S::NAME);
    let (go_tx, go_rx) = channel();
    let (done_tx, done_rx) = channel();
    let tables = RacingWalker::<A> {
        slot: PteSlot::new(Pte::file(PGOFF).expect("pgoff 3 encodes")),
        ptl: RawSpinLock::new(),
        go: Mutex::new(Some(go_tx)),
        done: Mutex::new(done_rx),
        at_flush: Mutex::new(None),
    };
    let frames = Frames::default();
    let cache = FilePages::default();
    let env = Env {
        frames: &frames,
        tables: &tables,
        cache: &cache,
        swap: &NoSwap,
    };
    let vma = Vma {
        start: 0x10000,
        end: 0x18000,
        backing: Backing::PrivateFile { file: 0, pgoff: 0 },
        writable: true,
        page_shift: 12,
    };
    let read = Fault {
        addr: 0x10000,
        write: false,
    };
    let mapped = fault::handle(strategy, &env, &vma, read);
    if mapped != Ok(Resolved::Nonlinear) || tables.slot.load().pfn() != Some(CACHE_BASE + PGOFF) {
        return Err(format!("{who}: the nonlinear read gave {mapped:?}"));
    }
    let (write, racer) = std::thread::scope(|s| {
        let (env, vma) = (&env, &vma);
        let racer = s.spawn(move || {
            go_rx.recv().unwrap();
            let r = fault::handle(strategy, env, vma, read);
            let _ = done_tx.send(());
            r
        });
        let write = fault::handle(
            strategy,
            env,
            vma,
            Fault {
                write: true,
                ..read
            },
        );
        // No flush (a refusal): let the racer run anyway, so the scope can end.
        if let Some(go) = tables.go.lock().unwrap().take() {
            go.send(()).unwrap();
        }
        (write, racer.join().unwrap())
    });
    let after = tables.slot.load();
    let at_flush = *tables.at_flush.lock().unwrap();
    if !strategy.can_replace_flushed() {
        return match (write, after.pfn()) {
            (Err(FaultError::Unsupported), Some(p)) if p == CACHE_BASE + PGOFF => Ok(()),
            _ => Err(format!(
                "{who}: expected a refusal, got {write:?}, {after:?}"
            )),
        };
    }
    if write != Ok(Resolved::CopyOnWrite) {
        return Err(format!(
            "{who}: the write gave {write:?}; the racer's read fault gave {racer:?}; the address \
             now maps {after:?} (page-cache page of pgoff {:?}, the nonlinear entry's was {PGOFF})",
            after.pfn().map(|p| p.wrapping_sub(CACHE_BASE))
        ));
    }
    if after.pfn().is_none_or(|p| p < 0x200) || !after.is_writable() {
        return Err(format!(
            "{who}: the address maps {after:?} after the copy-on-write, not the writable copy \
             (the racer's fault gave {racer:?}; the entry at the flush was {at_flush:?})"
        ));
    }
    if !matches!(
        racer,
        Ok(Resolved::AlreadyDone) | Err(FaultError::Retry) | Ok(Resolved::AccessDirty)
    ) {
        return Err(format!("{who}: the racer resolved {racer:?}"));
    }
    if cache.refs.load(Ordering::Relaxed) != 0 {
        return Err(format!("{who}: a page-cache reference leaked"));
    }
    Ok(())
}

/// [`race`] as a visitor of the strategy set.
struct Race;

impl<A: Arch + CompareExchange> StrategyVisitor<A> for Race {
    type Output = ();
    fn visit<S: Strategy<A>>(self, strategy: &S) {
        if let Err(e) = race::<A, S>(strategy) {
            panic!("{e}");
        }
    }
}

/// Every strategy the layout has, fresh for each run (a strategy's lock must start free).
fn locked<A: LockBit + CompareExchange>() {
    if A::LAYOUT.file.is_none() {
        return;
    }
    for kind in StrategyKind::ALL {
        Strategies::new().with::<A, _>(kind, Race);
    }
}

/// The strategies that need no lock bit.
fn plain<A: Arch + CompareExchange>() {
    if A::LAYOUT.file.is_none() {
        return;
    }
    for kind in StrategyKind::ALL {
        let _ = Strategies::new().try_with::<A, _>(kind, Race);
    }
}

macro_rules! every_layout {
    ($($id:ident => $ty:ty, $dir:literal, $lock:ident;)*) => {
        mod nonlinear_copy_on_write_vs_racing_read {
            use super::*;
            $(
                #[test]
                #[cfg_attr(miri, ignore = "threads and a deadline")]
                fn $id() {
                    $lock::<$ty>();
                }
            )*
        }
    };
}

pte_layouts::for_each_layout!(every_layout);
