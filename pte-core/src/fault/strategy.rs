//! How a prepared entry is published: five strategies, side by side.
//!
//! Every strategy has the same two operations, [`Strategy::install_empty`] (an empty entry
//! becomes present; the page is prepared by a closure) and [`Strategy::replace`] (exactly
//! `old` becomes `new`; the page was prepared by the caller), plus [`Strategy::update`] for
//! the other writers a fault races with (swap-out, zap, `mprotect`), which must follow the
//! same locking rule.
//!
//! * [`MmLock`] — Linux 2.6.8: one `page_table_lock` per address space. The page is
//!   allocated and zeroed with the lock dropped (as `do_anonymous_page` does), then the lock
//!   is taken and `pte_none` re-checked; every fault of the address space serialises here.
//! * [`SplitLock`] — Linux 2.6.15 (Hugh Dickins): the same protocol under the lock of the leaf
//!   table page, so faults on different tables do not contend.
//! * [`LockBitRefault`] — the August 2004 fastpath (v1/v2): set the lock bit on the empty
//!   entry (here with a compare-and-swap none → locked-none, so a non-empty entry is never
//!   touched); allocate and zero *while holding it*; publish by compare-and-swap from the
//!   locked word; a thread that finds it set returns [`Step::Retry`] and refaults, and
//!   [`Strategy::update`] leaves it alone. Kept to measure its livelock under
//!   oversubscription.
//! * [`LockBitSpin`] — a bit-spinlock held only for the install: allocate and zero outside,
//!   then spin for the bit, re-check, store.
//! * [`Cmpxchg`] — allocate and zero outside, publish with one compare-and-swap from the
//!   exact old value; the loser frees its page (the 2004 review's "more fruitful direction").
//!
//! Transitions other than empty → present (swap-in, copy-on-write, nonlinear, accessed/dirty)
//! are always one compare-and-swap from the exact old value: the MMU sets accessed/dirty
//! without taking any lock, so a plain store under a lock could lose its dirty bit. The
//! lock-based strategies take their lock around that CAS; [`LockBitSpin`] on an any-state
//! layout takes the bit; a none-only lock bit cannot cover those transitions at all (it may
//! only ever be set on an empty entry), so [`LockBitRefault`] and [`LockBitSpin`] on such a
//! layout rely on the CAS alone — never on a plain store.

use super::lock::{RawSpinLock, relax};
use super::{Leaf, Stats};
use crate::CompareExchange;
use crate::classify::{Decoded, Discipline};
use crate::probe::{self, Work};
use crate::pte::{Arch, ArchChecked, LockBit, Pte};

/// The result of publishing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step<A: Arch> {
    /// The new entry is published.
    Installed,
    /// Another writer changed the entry first; this is what it holds now. A prepared page has
    /// been given back (install) or must be (replace).
    Lost(Pte<A>),
    /// The lock bit is held: refault ([`LockBitRefault`]).
    Retry,
    /// The page could not be prepared.
    NoPage,
}

/// A concurrency strategy for publishing entries of layout `A`.
pub trait Strategy<A: Arch>: Sync {
    /// The strategy's name in reports.
    const NAME: &'static str;

    /// Classifies an entry read from a slot (a held none-only lock reads as locked-none, and
    /// so does the [`Pte::break_marker`] of an entry in the middle of a break-before-make: an
    /// empty entry someone else is filling).
    fn classify(&self, pte: Pte<A>) -> Decoded {
        if pte.is_break_marker() {
            Decoded::LockedNone
        } else {
            pte.decode()
        }
    }

    /// The entry a fault decides on, read once (Acquire). By default the slot's value; a
    /// strategy whose lock can be held on a non-empty entry ([`LockBitSpin`] on an any-state
    /// layout) waits until it is dropped, so that [`replace`](Self::replace) gets an `old`
    /// with the lock bit clear (its precondition) instead of a locked entry it can only lose
    /// on — after a wasted swap-in read or copy.
    fn load(&self, leaf: &Leaf<'_, A>) -> Pte<A> {
        leaf.slot.load()
    }

    /// Publishes the entry `prepare` builds over an empty entry. `prepare` returns the entry
    /// and a token for what it prepared (the fault path passes the frame number); if the
    /// entry is not published, the token — exactly what was prepared, nothing to decode — goes
    /// to `discard`: exactly once if `prepare` ran and returned `Some` and nothing was
    /// published, never otherwise (a strategy that gives up before preparing never calls
    /// `prepare`). `prepare` may run with the strategy's lock held (`LockBitRefault` holds the
    /// locked-empty entry): it must not fault on this entry, block on it, or panic — a panic
    /// leaves the lock set.
    fn install_empty<P>(
        &self,
        leaf: &Leaf<'_, A>,
        prepare: impl FnOnce() -> Option<(Pte<A>, P)>,
        discard: impl FnOnce(P),
    ) -> Step<A>;

    /// Replaces exactly `old` (as read, lock bit clear) by `new`: [`Step::Installed`],
    /// [`Step::Lost`] (with what the entry holds now), or [`Step::Retry`] for a strategy that
    /// refaults. The caller prepared `new`'s page and gives it back on anything but
    /// `Installed` (also on [`Step::NoPage`], which no built-in strategy returns here).
    fn replace(&self, leaf: &Leaf<'_, A>, old: Pte<A>, new: Pte<A>) -> Step<A>;

    /// Replaces exactly `old` (as read, lock bit clear) by `new`, an entry with a *new output
    /// address* (copy-on-write), break-before-make: `old` leaves the slot, `flush` runs (it
    /// must invalidate every CPU's TLB entry for the page and wait for it), and only then does
    /// `new` become visible — so no CPU can still read the old page through a stale
    /// translation after another CPU has seen a write to the new one (Linux's `wp_page_copy`:
    /// `ptep_clear_flush`, then `set_pte_at`). The slot is never a plain none in between that
    /// a lock-free fault could fill: the lock strategies hold their lock across the three
    /// steps (Linux's own protocol; every install over none re-checks under that lock), the
    /// lock-bit strategies break to their locked-empty word, [`Cmpxchg`] to the layout's
    /// proved [`Pte::break_marker`].
    ///
    /// [`Step::Installed`]: `flush` ran, `new` is published. [`Step::Lost`]: `old` was no
    /// longer there, nothing changed, `flush` did not run (or — only if another writer broke
    /// the protocol and overwrote the marker — the flush ran and that writer's entry is kept). [`Step::NoPage`]: the strategy
    /// cannot do it on this layout (`Cmpxchg` on a layout without a marker bit:
    /// i386/2.6.8 2-level); nothing changed. The caller gives `new`'s page back on anything
    /// but `Installed`.
    #[doc(alias("ptep_clear_flush", "break_before_make"))]
    fn replace_flushed(
        &self,
        leaf: &Leaf<'_, A>,
        old: Pte<A>,
        new: Pte<A>,
        flush: impl FnOnce(),
    ) -> Step<A>;

    /// Whether [`replace_flushed`](Self::replace_flushed) can work on this layout, so
    /// copy-on-write of a mapped page is possible: every strategy but [`Cmpxchg`] on a layout
    /// without a [`Pte::break_marker`].
    fn can_replace_flushed(&self) -> bool {
        true
    }

    /// Another writer's transition: `f` maps the current entry to its replacement (`None`:
    /// leave it). Returns the entry replaced. Done with compare-and-swap, under the same lock
    /// (or lock bit) the faults take — so `f` runs with that lock held: it must not fault on
    /// this entry, block on it, or panic (a panic leaves a lock bit set). An entry a fault
    /// holds (a break marker, a lock bit on an empty entry) is skipped, except by the lock
    /// strategies and any-state `LockBitSpin`, whose lock covers it (known gap: a zap that
    /// skips a copy-on-write's break returns before the copy is published over it).
    fn update(&self, leaf: &Leaf<'_, A>, f: impl FnMut(Pte<A>) -> Option<Pte<A>>)
    -> Option<Pte<A>>;

    /// The event counters.
    fn stats(&self) -> &Stats;

    /// The one lock over the whole address space, if the strategy has one (the mm lock's
    /// `page_table_lock`): a 2.6-era `handle_mm_fault` also held it for the page-table walk,
    /// which a simulator of that era takes it for.
    #[doc(alias = "page_table_lock")]
    fn mm_lock(&self) -> Option<&RawSpinLock> {
        None
    }
}

/// [`Strategy::classify`] of the lock-bit strategies: a held none-only lock and the break
/// marker (where its bit is not the lock bit) read as locked-none, like a held lock.
fn classify_locked<A: LockBit>(pte: Pte<A>) -> Decoded {
    if pte.is_break_marker() {
        Decoded::LockedNone
    } else {
        pte.decode_locked().0
    }
}

/// Compare-and-swap loop for [`Strategy::update`]: each attempt re-reads and re-decides, so a
/// concurrent accessed/dirty update by the MMU is never lost. An entry in the middle of a
/// break-before-make ([`Pte::break_marker`]) belongs to the fault replacing it, and one
/// `skip` says is held (a lock-bit strategy's locked-empty word) to its installer: both are
/// left alone, never handed to `f`. Known gap (review finding 3, issue-11 note): a zap that
/// skips a copy-on-write's break returns before the copy is published over it; waiting
/// instead made the loom models run for many minutes, and was not finished.
fn cas_update<A: CompareExchange>(
    leaf: &Leaf<'_, A>,
    skip: impl Fn(Pte<A>) -> bool,
    mut f: impl FnMut(Pte<A>) -> Option<Pte<A>>,
) -> Option<Pte<A>> {
    let mut cur = leaf.slot.load();
    loop {
        if cur.is_break_marker() || skip(cur) {
            return None;
        }
        let new = f(cur)?;
        match leaf.slot.compare_exchange(cur, new) {
            Ok(old) => return Some(old),
            Err(now) => cur = now,
        }
    }
}

/// One compare-and-swap from the exact old value.
fn cas_replace<A: CompareExchange>(leaf: &Leaf<'_, A>, old: Pte<A>, new: Pte<A>) -> Step<A> {
    match leaf.slot.compare_exchange(old, new) {
        Ok(_) => Step::Installed,
        Err(now) => Step::Lost(now),
    }
}

/// The lock-protected install shared by [`MmLock`] and [`SplitLock`]: prepare outside the
/// lock, then lock, re-check `pte_none`, store (Release), unlock.
#[inline]
fn locked_install<A: Arch, P>(
    lock: &RawSpinLock,
    stats: &Stats,
    leaf: &Leaf<'_, A>,
    prepare: impl FnOnce() -> Option<(Pte<A>, P)>,
    discard: impl FnOnce(P),
) -> Step<A> {
    let Some((new, token)) = prepare() else {
        return Step::NoPage;
    };
    let (step, spins) = lock.with(|| {
        let cur = leaf.slot.load();
        if cur.is_none() {
            // Only lock holders write an empty entry (the MMU never does), so a store is
            // enough; Release publishes the page's contents.
            leaf.slot.store(new);
            // Still under the lock, where 2.6.8 did the rss, rmap and LRU accounting.
            probe::work(Work::PageInstalled);
            Step::Installed
        } else {
            Step::Lost(cur)
        }
    });
    stats.spins.add(spins);
    match step {
        Step::Lost(cur) => lost_install(stats, discard, token, cur),
        step => step,
    }
}

/// An install that found the entry no longer empty: the prepared page is given back and the
/// lost race and the free are counted.
fn lost_install<A: Arch, P>(
    stats: &Stats,
    discard: impl FnOnce(P),
    token: P,
    cur: Pte<A>,
) -> Step<A> {
    discard(token);
    stats.lost_races.add(1);
    stats.frees.add(1);
    Step::Lost(cur)
}

/// [`Strategy::replace`] under `lock`: one compare-and-swap from the exact old value (the MMU
/// does not take the lock).
fn locked_replace<A: CompareExchange>(
    lock: &RawSpinLock,
    stats: &Stats,
    leaf: &Leaf<'_, A>,
    old: Pte<A>,
    new: Pte<A>,
) -> Step<A> {
    let (step, spins) = lock.with(|| cas_replace(leaf, old, new));
    stats.spins.add(spins);
    count_lost(stats, step)
}

/// [`Strategy::update`] under `lock`: the other writers serialise with the faults.
fn locked_update<A: CompareExchange>(
    lock: &RawSpinLock,
    stats: &Stats,
    leaf: &Leaf<'_, A>,
    f: impl FnMut(Pte<A>) -> Option<Pte<A>>,
) -> Option<Pte<A>> {
    // Under the lock no fault holds a marker (the lock strategies never write one).
    let (old, spins) = lock.with(|| cas_update(leaf, |_| false, f));
    stats.spins.add(spins);
    old
}

/// [`Strategy::replace_flushed`] under `lock`: Linux's own protocol (`wp_page_copy` under the
/// PTL): compare-and-swap `old` to none, flush, store `new` (Release), all with the lock
/// held. The transient none cannot be filled: every install over an empty entry takes this
/// same lock and re-checks `pte_none` under it, and the MMU never writes a none (the KNL
/// erratum's A/D on it are overwritten by the store, as `set_pte_at` does).
fn locked_replace_flushed<A: CompareExchange>(
    lock: &RawSpinLock,
    stats: &Stats,
    leaf: &Leaf<'_, A>,
    old: Pte<A>,
    new: Pte<A>,
    flush: impl FnOnce(),
) -> Step<A> {
    let (step, spins) = lock.with(|| match leaf.slot.compare_exchange(old, Pte::none()) {
        Ok(_) => {
            flush();
            leaf.slot.store(new);
            Step::Installed
        }
        Err(now) => Step::Lost(now),
    });
    stats.spins.add(spins);
    count_lost(stats, step)
}

/// Publishes `new` over `marker`, a word this thread wrote and nobody else replaces (a held
/// locked-empty entry, or the break marker): one compare-and-swap (Release on success). The
/// word may only have gained the bits `pte_none` ignores (the KNL erratum's A/D): it is
/// still ours, try again from it. Anything else is a writer that broke the protocol: `Err`
/// with what it wrote, which is kept.
fn publish_over<A: CompareExchange>(
    leaf: &Leaf<'_, A>,
    marker: Pte<A>,
    new: Pte<A>,
) -> Result<(), Pte<A>> {
    let ignore = A::CHECKED_LAYOUT.none_ignore;
    let mut cur = marker;
    loop {
        match leaf.slot.compare_exchange(cur, new) {
            Ok(_) => return Ok(()),
            Err(now) if now.raw() & !ignore == marker.raw() => cur = now,
            Err(now) => return Err(now),
        }
    }
}

/// Break-before-make through a marker word: compare-and-swap `old` → `marker`, `flush`, then
/// `marker` → `new`. Faults that read the marker wait (or refault), updates leave it.
fn replace_via_marker<A: CompareExchange>(
    stats: &Stats,
    leaf: &Leaf<'_, A>,
    old: Pte<A>,
    new: Pte<A>,
    marker: Pte<A>,
    flush: impl FnOnce(),
) -> Step<A> {
    if let Err(now) = leaf.slot.compare_exchange(old, marker) {
        return count_lost(stats, Step::Lost(now));
    }
    flush();
    match publish_over(leaf, marker, new) {
        Ok(()) => Step::Installed,
        Err(now) => count_lost(stats, Step::Lost(now)),
    }
}

/// Linux 2.6.8: one lock per address space (`mm->page_table_lock`).
///
/// Orderings: the lock's Acquire/Release order the critical sections among faulting threads;
/// the entry itself is still published with a Release store (the MMU and lock-free readers
/// do not take the lock, and `spin_unlock` alone does not order a preceding store to the page
/// before the PTE store as seen by a lock-free reader). Hazard: every fault of the address
/// space serialises on one cache line — Lameter's 512-CPU curve (docs/DESIGN.md#h1).
#[derive(Debug, Default)]
pub struct MmLock {
    lock: RawSpinLock,
    stats: Stats,
}

impl MmLock {
    /// A strategy instance for one address space (`const`: it can be a kernel's `static`).
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        MmLock {
            lock: RawSpinLock::new(),
            stats: Stats::new(),
        }
    }

    /// A strategy instance for one address space (loom's lock cannot be built in a `const`).
    #[cfg(loom)]
    pub fn new() -> Self {
        Self::default()
    }
}

impl<A: Arch + CompareExchange> Strategy<A> for MmLock {
    const NAME: &'static str = "mm-lock";

    fn install_empty<P>(
        &self,
        leaf: &Leaf<'_, A>,
        prepare: impl FnOnce() -> Option<(Pte<A>, P)>,
        discard: impl FnOnce(P),
    ) -> Step<A> {
        locked_install(&self.lock, &self.stats, leaf, prepare, discard)
    }

    fn replace(&self, leaf: &Leaf<'_, A>, old: Pte<A>, new: Pte<A>) -> Step<A> {
        locked_replace(&self.lock, &self.stats, leaf, old, new)
    }

    fn replace_flushed(
        &self,
        leaf: &Leaf<'_, A>,
        old: Pte<A>,
        new: Pte<A>,
        flush: impl FnOnce(),
    ) -> Step<A> {
        locked_replace_flushed(&self.lock, &self.stats, leaf, old, new, flush)
    }

    fn update(
        &self,
        leaf: &Leaf<'_, A>,
        f: impl FnMut(Pte<A>) -> Option<Pte<A>>,
    ) -> Option<Pte<A>> {
        locked_update(&self.lock, &self.stats, leaf, f)
    }

    fn stats(&self) -> &Stats {
        &self.stats
    }

    fn mm_lock(&self) -> Option<&RawSpinLock> {
        Some(&self.lock)
    }
}

/// Linux 2.6.15: one lock per leaf page-table page (the walker's [`Leaf::ptl`]).
///
/// Same protocol and orderings as [`MmLock`], with the lock of the table the entry lives in:
/// faults on different 2 MiB (x86) regions no longer contend. Hazard: threads faulting in the
/// same leaf table (the `same-table` workload) still serialise.
#[derive(Debug, Default)]
pub struct SplitLock {
    stats: Stats,
}

impl SplitLock {
    /// A strategy instance (`const`: it can be a kernel's `static`).
    pub const fn new() -> Self {
        SplitLock {
            stats: Stats::new(),
        }
    }
}

impl<A: Arch + CompareExchange> Strategy<A> for SplitLock {
    const NAME: &'static str = "split-lock";

    fn install_empty<P>(
        &self,
        leaf: &Leaf<'_, A>,
        prepare: impl FnOnce() -> Option<(Pte<A>, P)>,
        discard: impl FnOnce(P),
    ) -> Step<A> {
        locked_install(leaf.ptl, &self.stats, leaf, prepare, discard)
    }

    fn replace(&self, leaf: &Leaf<'_, A>, old: Pte<A>, new: Pte<A>) -> Step<A> {
        locked_replace(leaf.ptl, &self.stats, leaf, old, new)
    }

    fn replace_flushed(
        &self,
        leaf: &Leaf<'_, A>,
        old: Pte<A>,
        new: Pte<A>,
        flush: impl FnOnce(),
    ) -> Step<A> {
        locked_replace_flushed(leaf.ptl, &self.stats, leaf, old, new, flush)
    }

    fn update(
        &self,
        leaf: &Leaf<'_, A>,
        f: impl FnMut(Pte<A>) -> Option<Pte<A>>,
    ) -> Option<Pte<A>> {
        locked_update(leaf.ptl, &self.stats, leaf, f)
    }

    fn stats(&self) -> &Stats {
        &self.stats
    }
}

fn count_lost<A: Arch>(stats: &Stats, step: Step<A>) -> Step<A> {
    if let Step::Lost(_) = step {
        stats.lost_races.add(1);
    }
    step
}

/// The 2004 fastpath: lock bit on the empty entry, return-and-refault when it is held.
///
/// Orderings: the lock is taken by a compare-and-swap none → locked-none with Acquire (the
/// 2004 `test_and_set_bit` could set the bit in an entry that had just become present — on
/// i386 that is a swap-offset bit, the collision the review found); the install is one
/// compare-and-swap from the locked word (Release) that also drops the lock ("setting the pte
/// clears the pte lock"; 2004 used a store, which would overwrite an entry another writer put
/// there meanwhile), and [`Strategy::update`] skips a held entry. Hazard:
/// the holder allocates and zeroes while others refault; under oversubscription a preempted
/// holder makes the others spin through the whole fault path — Hugh's "feels livelocky"
/// (docs/DESIGN.md#h12). [`Stats::retries`] measures it.
#[derive(Debug, Default)]
pub struct LockBitRefault {
    stats: Stats,
}

impl LockBitRefault {
    /// A strategy instance (`const`: it can be a kernel's `static`).
    pub const fn new() -> Self {
        LockBitRefault {
            stats: Stats::new(),
        }
    }
}

impl<A: LockBit + CompareExchange> Strategy<A> for LockBitRefault {
    const NAME: &'static str = "lock-bit-refault";

    fn classify(&self, pte: Pte<A>) -> Decoded {
        classify_locked(pte)
    }

    fn install_empty<P>(
        &self,
        leaf: &Leaf<'_, A>,
        prepare: impl FnOnce() -> Option<(Pte<A>, P)>,
        discard: impl FnOnce(P),
    ) -> Step<A> {
        loop {
            match leaf.slot.try_lock_none() {
                Ok(()) => break,
                Err(cur) if cur.is_locked() => {
                    self.stats.retries.add(1);
                    return Step::Retry;
                }
                // A none word with erratum A/D bits: read again.
                Err(cur) if cur.is_none() => continue,
                Err(cur) => {
                    self.stats.lost_races.add(1);
                    return Step::Lost(cur);
                }
            }
        }
        // The lock is held across allocation and zeroing, as in 2004: this is what keeps the
        // refaulting threads busy. Every writer through `update` leaves the held entry alone,
        // so the install normally cannot lose; it still publishes (and a failed preparation
        // unlocks) by compare-and-swap from the locked word, never by a plain store, so a
        // writer that changed the slot meanwhile without the strategy is not overwritten.
        match prepare() {
            Some((new, token)) => match unlock_none_to(leaf, new) {
                Ok(()) => {
                    probe::work(Work::PageInstalled);
                    Step::Installed
                }
                Err(now) => lost_install(&self.stats, discard, token, now),
            },
            None => {
                let _ = unlock_none_to(leaf, Pte::none());
                Step::NoPage
            }
        }
    }

    fn replace(&self, leaf: &Leaf<'_, A>, old: Pte<A>, new: Pte<A>) -> Step<A> {
        count_lost(&self.stats, cas_replace(leaf, old, new))
    }

    /// Breaks to the locked-empty word: to every other fault it is an install in progress
    /// (they refault), to `update` a held entry (skipped).
    fn replace_flushed(
        &self,
        leaf: &Leaf<'_, A>,
        old: Pte<A>,
        new: Pte<A>,
        flush: impl FnOnce(),
    ) -> Step<A> {
        replace_via_marker(&self.stats, leaf, old, new, Pte::locked_none(), flush)
    }

    fn update(
        &self,
        leaf: &Leaf<'_, A>,
        f: impl FnMut(Pte<A>) -> Option<Pte<A>>,
    ) -> Option<Pte<A>> {
        // The bit is only ever set on an empty entry, by an install or a copy-on-write's
        // break in progress: wait for it (as `LockBitSpin` does on a none-only layout) instead
        // of handing it to `f`, which might replace it by an entry the holder would then
        // overwrite or give way to.
        cas_update(leaf, |p| p.is_locked(), f)
    }

    fn stats(&self) -> &Stats {
        &self.stats
    }
}

/// Publishes `new` over the empty entry this thread locked with
/// [`PteSlot::try_lock_none`](crate::PteSlot::try_lock_none), dropping the lock: one compare-and-swap from the locked word (Release
/// on success). The word may only have gained the bits `pte_none` ignores (the KNL erratum's
/// A/D): it is still ours, try again from it. Anything else is another writer's entry, which
/// is kept: `Err` with it.
fn unlock_none_to<A: LockBit + CompareExchange>(
    leaf: &Leaf<'_, A>,
    new: Pte<A>,
) -> Result<(), Pte<A>> {
    publish_over(leaf, Pte::locked_none(), new)
}

/// A bit-spinlock in the entry, held only for the install.
///
/// Orderings: Acquire on taking the bit, Release on the store or compare-and-swap that drops
/// it. With an any-state bit the lock covers every transition (and [`Strategy::update`]
/// takes it too, so swap-out and zap serialise with faults); with a none-only bit only the
/// empty → present install is locked and everything else is one compare-and-swap. Hazard:
/// a preempted holder makes waiters spin (no refault, but no progress either).
#[derive(Debug, Default)]
pub struct LockBitSpin {
    stats: Stats,
}

impl LockBitSpin {
    /// A strategy instance (`const`: it can be a kernel's `static`).
    pub const fn new() -> Self {
        LockBitSpin {
            stats: Stats::new(),
        }
    }

    /// Takes the any-state bit lock of a slot; returns the entry it held (lock bit clear).
    fn lock_any<A: LockBit>(&self, leaf: &Leaf<'_, A>) -> Pte<A> {
        loop {
            let prev = leaf.slot.test_and_set_lock();
            if !prev.is_locked() {
                return prev;
            }
            self.stats.spins.add(1);
            while leaf.slot.load().is_locked() {
                relax();
            }
        }
    }

    /// [`Strategy::replace`], running `held` at the point where the bit is held on `old`
    /// (any-state; right before the compare-and-swap on a none-only layout) — the window in
    /// which only the MMU can still change the entry. A seam for staged tests (the MMU's
    /// write in that window, deterministically); not for kernels. `held` runs with the bit
    /// held: it must not fault on, update or replace this entry (that would spin forever on
    /// its own bit) and must not panic (the bit would stay set).
    #[doc(hidden)]
    pub fn replace_staged<A: LockBit + CompareExchange>(
        &self,
        leaf: &Leaf<'_, A>,
        old: Pte<A>,
        new: Pte<A>,
        held: impl FnOnce(),
    ) -> Step<A> {
        if A::DISCIPLINE == Discipline::NoneOnly {
            held();
            return count_lost(&self.stats, cas_replace(leaf, old, new));
        }
        let locked = self.lock_any(leaf);
        if locked != old {
            leaf.slot.unlock();
            return count_lost(&self.stats, Step::Lost(locked));
        }
        held();
        self.unlock_to(leaf, old, new)
    }

    /// Publishes `new` over the locked `old` and drops the bit, in one compare-and-swap from
    /// exactly `old | lock`. If the MMU changed the locked entry meanwhile (it ignores the lock
    /// bit: sets accessed/dirty, or clears `PTE_RDONLY` under DBM), `new` — decided from
    /// `old` — would undo that: the bit is dropped instead and the fault lost its race.
    fn unlock_to<A: LockBit + CompareExchange>(
        &self,
        leaf: &Leaf<'_, A>,
        old: Pte<A>,
        new: Pte<A>,
    ) -> Step<A> {
        // `old` was read with the bit clear and the discipline is any-state: `old` with the
        // bit set is the word we hold.
        match leaf.slot.compare_exchange(old.with_lock_bit(), new) {
            Ok(_) => Step::Installed,
            Err(_) => {
                let now = leaf.slot.unlock();
                count_lost(&self.stats, Step::Lost(now.without_lock_bit()))
            }
        }
    }
}

impl<A: LockBit + CompareExchange> Strategy<A> for LockBitSpin {
    const NAME: &'static str = "lock-bit-spin";

    fn classify(&self, pte: Pte<A>) -> Decoded {
        classify_locked(pte)
    }

    fn load(&self, leaf: &Leaf<'_, A>) -> Pte<A> {
        loop {
            let pte = leaf.slot.load();
            // A held none-only bit is an install in progress: `install_empty` waits for it.
            if A::DISCIPLINE == Discipline::NoneOnly || !pte.is_locked() {
                return pte;
            }
            self.stats.spins.add(1);
            relax();
        }
    }

    fn install_empty<P>(
        &self,
        leaf: &Leaf<'_, A>,
        prepare: impl FnOnce() -> Option<(Pte<A>, P)>,
        discard: impl FnOnce(P),
    ) -> Step<A> {
        let Some((new, token)) = prepare() else {
            return Step::NoPage;
        };
        loop {
            match leaf.slot.try_lock_none() {
                Ok(()) => {
                    leaf.slot.store_unlocking(new);
                    probe::work(Work::PageInstalled);
                    return Step::Installed;
                }
                Err(cur) if cur.is_locked() => {
                    self.stats.spins.add(1);
                    relax();
                }
                Err(cur) if cur.is_none() => {}
                Err(cur) => return lost_install(&self.stats, discard, token, cur),
            }
        }
    }

    fn replace(&self, leaf: &Leaf<'_, A>, old: Pte<A>, new: Pte<A>) -> Step<A> {
        self.replace_staged(leaf, old, new, || {})
    }

    /// Any-state: the bit is taken on `old` first and stays held through the break (locked
    /// `old` → locked empty → `new`), so faults and `update` spin on it. None-only: one
    /// compare-and-swap to the locked-empty word, which installs wait on.
    fn replace_flushed(
        &self,
        leaf: &Leaf<'_, A>,
        old: Pte<A>,
        new: Pte<A>,
        flush: impl FnOnce(),
    ) -> Step<A> {
        if A::DISCIPLINE == Discipline::NoneOnly {
            return replace_via_marker(&self.stats, leaf, old, new, Pte::locked_none(), flush);
        }
        let held = self.lock_any(leaf);
        if held != old {
            leaf.slot.unlock();
            return count_lost(&self.stats, Step::Lost(held));
        }
        if leaf
            .slot
            .compare_exchange(old.with_lock_bit(), Pte::locked_none())
            .is_err()
        {
            // The MMU changed the locked entry meanwhile (accessed): lost, as in `unlock_to`.
            let now = leaf.slot.unlock();
            return count_lost(&self.stats, Step::Lost(now.without_lock_bit()));
        }
        flush();
        match publish_over(leaf, Pte::locked_none(), new) {
            Ok(()) => Step::Installed,
            Err(now) => count_lost(&self.stats, Step::Lost(now)),
        }
    }

    fn update(
        &self,
        leaf: &Leaf<'_, A>,
        mut f: impl FnMut(Pte<A>) -> Option<Pte<A>>,
    ) -> Option<Pte<A>> {
        if A::DISCIPLINE == Discipline::NoneOnly {
            // The bit is only ever set on an empty entry: skip a held one (an install).
            return cas_update(leaf, |p| p.is_locked(), f);
        }
        let held = self.lock_any(leaf);
        // Decide on the entry as it is when the decision is published: if the MMU changes
        // it while the bit is held, decide again (a test-and-clear-young must not drop the
        // dirty bit set meanwhile).
        let mut base = held;
        loop {
            let Some(new) = f(base) else {
                leaf.slot.unlock();
                return None;
            };
            match leaf.slot.compare_exchange(base.with_lock_bit(), new) {
                Ok(_) => return Some(base),
                Err(now) => base = now.without_lock_bit(),
            }
        }
    }

    fn stats(&self) -> &Stats {
        &self.stats
    }
}

/// How many times [`Cmpxchg`]'s install re-reads an entry held at the break marker before it
/// gives up and refaults ([`Step::Retry`]): the marker is held across one TLB shootdown, so
/// this is a bound for a preempted holder, not the normal case.
pub const MARKER_WAIT_LIMIT: u32 = 1 << 12;

/// One compare-and-swap from the exact old value; the loser frees its page.
///
/// Orderings: AcqRel on success (the zeroing happens-before any Acquire load that sees the
/// entry), Acquire on failure (the loser sees the winner's page). Hazards: the loser's
/// zeroing is wasted work; ABA (none → P → none → CAS succeeds) is harmless only while the
/// table page cannot be freed and reused under the fault (docs/DESIGN.md#h11) — the walker's
/// lifetime rules, not the CAS, must guarantee that.
#[derive(Debug, Default)]
pub struct Cmpxchg {
    stats: Stats,
}

impl Cmpxchg {
    /// A strategy instance (`const`: it can be a kernel's `static`).
    pub const fn new() -> Self {
        Cmpxchg {
            stats: Stats::new(),
        }
    }
}

impl<A: Arch + CompareExchange> Strategy<A> for Cmpxchg {
    const NAME: &'static str = "cmpxchg";

    fn install_empty<P>(
        &self,
        leaf: &Leaf<'_, A>,
        prepare: impl FnOnce() -> Option<(Pte<A>, P)>,
        discard: impl FnOnce(P),
    ) -> Step<A> {
        let Some((new, token)) = prepare() else {
            return Step::NoPage;
        };
        let mut cur = leaf.slot.load();
        let mut waits = 0;
        loop {
            if cur.is_break_marker() {
                // Another fault is replacing this entry (break-before-make): its flush is
                // bounded, so wait — counted — for the new entry, which this install then
                // loses to. Past the bound, refault rather than spin on.
                if waits == MARKER_WAIT_LIMIT {
                    discard(token);
                    self.stats.retries.add(1);
                    return Step::Retry;
                }
                waits += 1;
                self.stats.spins.add(1);
                relax();
                cur = leaf.slot.load();
                continue;
            }
            if !cur.is_none() {
                return lost_install(&self.stats, discard, token, cur);
            }
            match leaf.slot.compare_exchange(cur, new) {
                Ok(_) => {
                    probe::work(Work::PageInstalled);
                    return Step::Installed;
                }
                Err(now) => cur = now,
            }
        }
    }

    fn replace(&self, leaf: &Leaf<'_, A>, old: Pte<A>, new: Pte<A>) -> Step<A> {
        count_lost(&self.stats, cas_replace(leaf, old, new))
    }

    fn can_replace_flushed(&self) -> bool {
        A::BREAK_MARKER.is_some()
    }

    /// Breaks to the layout's [`Pte::break_marker`]; refuses ([`Step::NoPage`]) on a layout
    /// without one.
    fn replace_flushed(
        &self,
        leaf: &Leaf<'_, A>,
        old: Pte<A>,
        new: Pte<A>,
        flush: impl FnOnce(),
    ) -> Step<A> {
        match Pte::break_marker() {
            Some(marker) => replace_via_marker(&self.stats, leaf, old, new, marker, flush),
            None => Step::NoPage,
        }
    }

    fn update(
        &self,
        leaf: &Leaf<'_, A>,
        f: impl FnMut(Pte<A>) -> Option<Pte<A>>,
    ) -> Option<Pte<A>> {
        cas_update(leaf, |_| false, f)
    }

    fn stats(&self) -> &Stats {
        &self.stats
    }
}
