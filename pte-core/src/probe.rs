//! Observation points for a virtual-time machine: every shared-memory operation the fast path
//! makes, reported before it is made (cargo feature `probe`).
//!
//! A machine that runs the fault path of N virtual CPUs (the `pte-machine` crate) must see
//! each load, store and read-modify-write of shared memory, in order to decide which CPU runs
//! next and to charge the coherence cost of the line; and it must see every spin-wait step
//! ([`relax`]), so that a spinner can be parked until the line it watches is written instead
//! of burning host time. The slot's atomic cells, [`RawSpinLock`](crate::fault::lock::RawSpinLock),
//! the [`Stats`](crate::fault::Stats) counters and [`relax`](crate::fault::lock::relax) call
//! the functions here; the simulator's kernel environment (`pte-sim`) calls them for its own
//! shared lines.
//!
//! **Cost.** Without the feature every function here is an empty `#[inline(always)]` body:
//! the kernels and the `no_std` library build compile exactly the code they did before. With
//! the feature but no machine installed, an observation is one relaxed load of a static flag
//! and a predictable branch, the call itself out of line and cold (docs/RESULTS.md compares
//! the criterion `install` bench with and without the feature). Under `cfg(loom)` nothing is
//! observed.
//!
//! **Contract of a machine.** [`install`] takes `&'static` [`Hooks`], once per process. The
//! hooks are called on every thread: a machine must return at once on threads that are not
//! its virtual CPUs (it keeps that in its own thread-local state). An [`access`] hook is
//! called *before* the operation, and the operation is made right after it returns, with
//! nothing shared in between, so a machine that lets one thread run at a time between hooks
//! decides the order in which the operations happen.

#[cfg(all(feature = "probe", not(loom)))]
use core::sync::atomic::{AtomicBool, AtomicPtr, Ordering};

/// The kind of a shared-memory operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// A load: the line can be shared.
    Load,
    /// A store: the line must be owned, sharers are invalidated.
    Store,
    /// An atomic read-modify-write (`cmpxchg`, `fetchadd`, `xchg`, `lock or`): owned.
    ReadModifyWrite,
}

impl Access {
    /// Whether the operation writes (needs the line exclusively).
    pub const fn writes(self) -> bool {
        !matches!(self, Access::Load)
    }
}

/// What the accessed word stands for in a kernel: names a line in a machine's report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Site {
    /// A leaf page-table entry (a [`PteSlot`](crate::PteSlot)).
    Entry,
    /// An upper-level table entry (populated once, then only read by walks).
    UpperEntry,
    /// A strategy's spinlock word: `page_table_lock` for the mm lock, the leaf table's
    /// split ptlock for the split lock.
    Lock,
    /// A [`Stats`](crate::fault::Stats) counter (the kernel's per-CPU event counters).
    Counter,
    /// The lock that excludes faults from mapping changes (`mmap_sem`; the per-VMA lock in
    /// Linux 6.4+).
    MappingLock,
    /// Page-cache state of a page (its reference count, `find_get_page`).
    PageCache,
    /// A swap slot's state (`swap_map`, the swap-cache lock).
    SwapSlot,
    /// A frame's in-use pin: the simulator's stand-in for a TLB entry, no kernel line.
    Pin,
}

/// Work done without touching shared lines, charged by time in a machine's cost model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Work {
    /// A fault enters the kernel (exception entry, the vma lookup, the non-memory path).
    FaultEntry,
    /// A fault is done (return to user).
    FaultExit,
    /// `handle_mm_fault`'s walk of the upper page-table levels (under `page_table_lock` in
    /// 2.6-era kernels with the mm lock).
    Walk,
    /// A page of `bytes` is zeroed (`clear_page`).
    ZeroPage {
        /// Page size.
        bytes: u64,
    },
    /// A page of `bytes` is copied (`copy_page`).
    CopyPage {
        /// Page size.
        bytes: u64,
    },
    /// A new page's entry was published by `install_empty` (inside the strategy's lock, if
    /// it has one): where a kernel accounts the page (rss, rmap, LRU).
    PageInstalled,
    /// A frame is taken from the allocator (the per-CPU list; a machine adds the zone
    /// lock of a batch refill).
    AllocFrame,
    /// A frame is given back.
    FreeFrame,
}

/// A machine's callbacks (see the module docs for their contract).
#[derive(Debug)]
pub struct Hooks {
    /// Before a shared-memory operation at `addr`.
    pub access: fn(addr: usize, access: Access, site: Site),
    /// Local work.
    pub work: fn(work: Work),
    /// One step of a spin-wait: the caller's last [`access`](Hooks::access) was a load of
    /// the line it waits on.
    pub relax: fn(),
    /// The virtual CPU running this thread, if any.
    pub cpu: fn() -> Option<usize>,
}

#[cfg(all(feature = "probe", not(loom)))]
static HOOKS: AtomicPtr<Hooks> = AtomicPtr::new(core::ptr::null_mut());

/// Whether hooks are installed: the one load every observation point makes (Relaxed: the
/// hooks themselves are read with Acquire on the cold path).
#[cfg(all(feature = "probe", not(loom)))]
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Installs `hooks` for the rest of the process; `Err` with the installed ones if a machine
/// was installed first (a process has one). Without the feature `probe` (or under loom) the
/// hooks are never called, and this returns `Err(hooks)`.
pub fn install(hooks: &'static Hooks) -> Result<(), &'static Hooks> {
    #[cfg(all(feature = "probe", not(loom)))]
    {
        // Release: a thread that sees the pointer (Acquire in `hooks`) sees the table.
        match HOOKS.compare_exchange(
            core::ptr::null_mut(),
            hooks as *const Hooks as *mut Hooks,
            Ordering::Release,
            Ordering::Acquire,
        ) {
            Ok(_) => {
                ACTIVE.store(true, Ordering::Release);
                Ok(())
            }
            // SAFETY: only `&'static Hooks` are ever stored.
            Err(p) => Err(unsafe { &*p }),
        }
    }
    #[cfg(not(all(feature = "probe", not(loom))))]
    {
        Err(hooks)
    }
}

/// Whether a machine is installed: a relaxed load of a flag that changes once, and a branch
/// the CPU predicts; the calls are out of line and cold, so the fast path stays as it was.
#[cfg(all(feature = "probe", not(loom)))]
#[inline(always)]
fn active() -> bool {
    ACTIVE.load(Ordering::Relaxed)
}

/// The installed hooks.
#[cfg(all(feature = "probe", not(loom)))]
#[inline]
fn hooks() -> Option<&'static Hooks> {
    // Acquire pairs with `install`'s Release. On x86 and arm64 an Acquire load of a word that
    // never changes again is a plain load.
    let p = HOOKS.load(Ordering::Acquire);
    // SAFETY: null or a `&'static Hooks` stored by `install`.
    unsafe { p.as_ref() }
}

/// Reports an operation on the word at `addr`, before it is made.
#[inline(always)]
pub fn access<T: ?Sized>(addr: *const T, access: Access, site: Site) {
    #[cfg(all(feature = "probe", not(loom)))]
    if active() {
        access_cold(addr as *const () as usize, access, site);
    }
    #[cfg(not(all(feature = "probe", not(loom))))]
    let _ = (addr, access, site);
}

#[cfg(all(feature = "probe", not(loom)))]
#[cold]
#[inline(never)]
fn access_cold(addr: usize, access: Access, site: Site) {
    if let Some(h) = hooks() {
        (h.access)(addr, access, site);
    }
}

/// Reports local work.
#[inline(always)]
pub fn work(work: Work) {
    #[cfg(all(feature = "probe", not(loom)))]
    if active() {
        work_cold(work);
    }
    #[cfg(not(all(feature = "probe", not(loom))))]
    let _ = work;
}

#[cfg(all(feature = "probe", not(loom)))]
#[cold]
#[inline(never)]
fn work_cold(work: Work) {
    if let Some(h) = hooks() {
        (h.work)(work);
    }
}

/// Reports one spin-wait step (called by [`relax`](crate::fault::lock::relax)).
#[inline(always)]
pub fn relax() {
    #[cfg(all(feature = "probe", not(loom)))]
    if active() {
        relax_cold();
    }
}

#[cfg(all(feature = "probe", not(loom)))]
#[cold]
#[inline(never)]
fn relax_cold() {
    if let Some(h) = hooks() {
        (h.relax)();
    }
}

/// The virtual CPU running this thread, if a machine runs it.
#[inline(always)]
pub fn cpu() -> Option<usize> {
    #[cfg(all(feature = "probe", not(loom)))]
    if active()
        && let Some(h) = hooks()
    {
        return (h.cpu)();
    }
    None
}
