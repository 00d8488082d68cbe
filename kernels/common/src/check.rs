//! The boot CPU's checks and the report over the serial port.
//!
//! Every check names what it found; a failed one is a *violation*, printed at once and
//! counted; the run passes only with none. What is checked, per strategy:
//! contents of every page; every entry the library built is present and agrees with the
//! architecture manual's accessed/dirty bits ([`Platform::hw_young`], [`Platform::hw_dirty`]);
//! the MMU set dirty after writes and accessed after the entries were made old; swap-out
//! and swap-in round trip with contents; the fault counts of the kernel and the library's
//! `Stats` add up. At the end: every pool frame is accounted for exactly once.

use core::sync::atomic::{AtomicU64, Ordering};

use pte_core::fault::{FrameAllocator, Resolved, Strategy, StrategyVisitor, TableWalker};
use pte_core::{Arch, Decoded, LockBit, Pte};

use crate::cache::{self, FILE_PAGES, FILES, file_word};
use crate::frames::{self, Frames, POOL_FRAMES, Use};
use crate::plan::{
    self, PAGES_PER_CPU, Region, STRATEGIES, Space, WORDS, anon_word, anon_word_addr, page_addr,
    page_addr_in, private_word, read, shared_word,
};
use crate::swap;
use crate::tables::Walker;
use crate::tally::{self, KINDS};
use crate::violation::{self, violation};
use crate::{Platform, say};

/// Entries whose library accessed/dirty bits were compared with the manual's, and how many
/// agreed.
static COMPARED: AtomicU64 = AtomicU64::new(0);
/// See [`COMPARED`].
static AGREED: AtomicU64 = AtomicU64::new(0);
/// `AccessDirty` faults of the strategy in progress before its entries were made old.
static AD_BEFORE: AtomicU64 = AtomicU64::new(0);
/// Pool frames per use when the strategy in progress started (boot CPU only).
static USE_BEFORE: [AtomicU64; 4] = [const { AtomicU64::new(0) }; 4];
/// Pages swapped out per strategy.
static SWAPPED: [AtomicU64; STRATEGIES] = [const { AtomicU64::new(0) }; STRATEGIES];

/// Checks a word read through the MMU.
pub fn word<P: Platform>(p: &P, addr: u64, found: u64, expected: u64, what: &str) {
    if found != expected {
        violation(
            p,
            format_args!("{what} at {addr:#x}: found {found:#018x}, expected {expected:#018x}"),
        );
    }
}

/// The boot banner: the platform, the layout and its lock bit.
pub fn banner<P: Platform>(p: &P) {
    let hw = p.hardware_ad();
    say!(p, "pte example kernel: {}", P::NAME);
    say!(
        p,
        "layout {}, lock bit {} ({:?}); {} CPU(s); MMU sets accessed: {}, dirty: {}",
        <P::A as Arch>::LAYOUT.name,
        <P::A as LockBit>::BIT,
        <P::A as LockBit>::DISCIPLINE,
        p.cpus().min(crate::MAX_CPUS),
        hw.accessed,
        hw.dirty
    );
}

/// The entry mapping `addr` (without populating anything).
pub(crate) fn entry<P: Platform>(p: &P, addr: u64) -> Option<Pte<P::A>> {
    Walker(p).find(addr).map(|slot| slot.load())
}

/// The present entry of `addr`, or a violation.
fn present<P: Platform>(p: &P, addr: u64, what: &str) -> Option<Pte<P::A>> {
    match entry(p, addr) {
        Some(pte) if pte.is_present() => Some(pte),
        other => {
            violation(
                p,
                format_args!("{what} at {addr:#x}: entry {other:?}, not present"),
            );
            None
        }
    }
}

/// Calls `f` with the address and entry of every page of every region of both spaces
/// (the child's only on a kernel that forks), for the entries whose tables exist.
pub fn each_entry<P: Platform>(p: &P, cpus: usize, mut f: impl FnMut(u64, Pte<P::A>)) {
    let spaces: &[Space] = if P::FORK {
        &Space::ALL
    } else {
        &[Space::Parent]
    };
    for s in 0..STRATEGIES {
        for &space in spaces {
            for region in Region::ALL {
                for i in 0..region.pages(cpus) {
                    let addr = page_addr_in::<P>(s, space, region, i);
                    if let Some(pte) = entry(p, addr) {
                        f(addr, pte);
                    }
                }
            }
        }
    }
}

/// The library's accessed/dirty helpers agree with the hardware bits of the manual.
pub(crate) fn agrees<P: Platform>(p: &P, addr: u64, pte: Pte<P::A>) {
    let raw = pte.raw();
    COMPARED.fetch_add(1, Ordering::Relaxed);
    if pte.is_young() == P::hw_young(raw) && pte.is_dirty() == P::hw_dirty(raw) {
        AGREED.fetch_add(1, Ordering::Relaxed);
    } else {
        violation(
            p,
            format_args!(
                "entry {raw:#018x} at {addr:#x}: library young {} dirty {}, hardware bits young {} dirty {}",
                pte.is_young(),
                pte.is_dirty(),
                P::hw_young(raw),
                P::hw_dirty(raw)
            ),
        );
    }
}

/// Every page of `region`, with its address.
fn pages<P: Platform>(s: usize, region: Region, cpus: usize) -> impl Iterator<Item = (u64, u64)> {
    (0..region.pages(cpus)).map(move |i| (i, page_addr::<P>(s, region, i)))
}

/// Before a strategy's phases (boot CPU, no fault in flight): what the pool holds.
pub fn begin() {
    for (before, now) in USE_BEFORE.iter().zip(frames::count_by_use()) {
        before.store(now, Ordering::Relaxed);
    }
}

/// Right after a read fault on a fresh private page (on the CPU that took it): mapped and
/// clean, by the library and by the manual's bits — so a dirty entry seen after the write was
/// made dirty by that write.
pub fn clean_after_read<P: Platform>(p: &P, addr: u64) {
    let Some(pte) = present(p, addr, "read-faulted page") else {
        return;
    };
    agrees(p, addr, pte);
    if pte.is_dirty() || P::hw_dirty(pte.raw()) {
        violation(
            p,
            format_args!("read fault at {addr:#x} installed a dirty entry {pte:?}"),
        );
    }
}

/// The fault path did `by_faults` of `total` accessed (or dirty) updates; with the MMU doing
/// them it must have done none, without it all of them.
fn expect_software<P: Platform>(p: &P, what: &str, mmu_does_it: bool, by_faults: u64, total: u64) {
    let expected = if mmu_does_it { 0 } else { total };
    if by_faults != expected {
        violation(
            p,
            format_args!(
                "{what}: {by_faults} of {total} set by faults, expected {expected} (the MMU sets them: {mmu_does_it})"
            ),
        );
    }
}

/// After the fault and copy-on-write phases. Entries are read before the pages: reading
/// first would set accessed bits itself.
pub fn after_faults<P: Platform>(p: &P, s: usize, cpus: usize) {
    let name = plan::strategy_name(s);
    let mut young_dirty = 0u64;
    for (i, addr) in pages::<P>(s, Region::Disjoint, cpus) {
        let pte = present(p, addr, "anonymous page");
        for w in 0..WORDS {
            let at = anon_word_addr(addr, w);
            word(p, at, read(at), anon_word(s, i, w), "anonymous page");
        }
        let Some(pte) = pte else {
            continue;
        };
        agrees(p, addr, pte);
        if pte.is_dirty() && pte.is_young() {
            young_dirty += 1;
        } else {
            violation(
                p,
                format_args!("read-then-written page {addr:#x}: {pte:?} not young+dirty"),
            );
        }
    }
    for (i, addr) in pages::<P>(s, Region::Shared, cpus) {
        let pte = present(p, addr, "shared page");
        for c in 0..cpus {
            word(
                p,
                addr + c as u64 * 8,
                read(addr + c as u64 * 8),
                shared_word(s, i, c),
                "shared page",
            );
        }
        if let Some(pte) = pte {
            agrees(p, addr, pte);
            if !pte.is_dirty() {
                violation(
                    p,
                    format_args!("written shared page {addr:#x}: {pte:?} not dirty"),
                );
            }
        }
    }
    for region in [Region::FileShared, Region::FilePrivate] {
        let file = region.file(s);
        for (i, addr) in pages::<P>(s, region, cpus) {
            let Some(pte) = present(p, addr, "file page") else {
                continue;
            };
            agrees(p, addr, pte);
            if region == Region::FileShared && !pte.is_young() {
                violation(
                    p,
                    format_args!("read shared file page {addr:#x}: {pte:?} not young"),
                );
            }
            let cached = cache::lookup(file, i).map(|(pfn, _)| pfn);
            let shares = pte.pfn() == cached;
            word(p, addr, read(addr), file_word(file, i, 0), "file page");
            match region {
                Region::FileShared if !shares || pte.is_dirty() => violation(
                    p,
                    format_args!(
                        "shared file page {addr:#x}: {pte:?} (cache frame {cached:?}), expected the clean cache page"
                    ),
                ),
                Region::FilePrivate if shares || !pte.is_dirty() || !pte.is_writable() => {
                    violation(
                        p,
                        format_args!(
                            "written private file page {addr:#x}: {pte:?} (cache frame {cached:?}), expected a dirty private copy"
                        ),
                    )
                }
                Region::FilePrivate => word(
                    p,
                    addr + 8,
                    read(addr + 8),
                    private_word(s, i),
                    "private copy",
                ),
                _ => {}
            }
        }
    }
    let written = PAGES_PER_CPU * cpus as u64;
    let by_faults = tally::total(s, Resolved::AccessDirty, cpus);
    expect_software(p, "dirty bits", p.hardware_ad().dirty, by_faults, written);
    say!(
        p,
        "[{name}] dirty: {young_dirty}/{written} pages young+dirty after a read fault (entry checked clean) and a write; set by the MMU on {}, by dirty faults on {by_faults}",
        written - by_faults.min(written),
    );
}

/// `f` applied to the entry of `addr` through strategy `s` (`Strategy::update`: CAS under the
/// strategy's rule), then the TLB flush the change needs.
pub(crate) fn update<P: Platform>(
    p: &P,
    s: usize,
    addr: u64,
    f: impl FnMut(Pte<P::A>) -> Option<Pte<P::A>>,
) -> Option<Pte<P::A>> {
    let old = update_unflushed(p, s, addr, f);
    if old.is_some() {
        p.flush_tlb_page(addr);
    }
    old
}

/// [`update`] without the TLB flush: the caller flushes (a range, once) before any CPU may
/// use the address again.
pub(crate) fn update_unflushed<P: Platform>(
    p: &P,
    s: usize,
    addr: u64,
    f: impl FnMut(Pte<P::A>) -> Option<Pte<P::A>>,
) -> Option<Pte<P::A>> {
    struct Update<'a, P, F> {
        p: &'a P,
        addr: u64,
        f: F,
    }
    impl<P: Platform, F: FnMut(Pte<P::A>) -> Option<Pte<P::A>>> StrategyVisitor<P::A>
        for Update<'_, P, F>
    {
        type Output = Option<Pte<P::A>>;
        fn visit<S: Strategy<P::A>>(self, strategy: &S) -> Self::Output {
            let walker = Walker(self.p);
            let leaf = walker.leaf(self.addr)?;
            strategy.update(&leaf, self.f)
        }
    }
    plan::with_strategy::<P::A, _>(s, Update { p, addr, f })
}

/// The pages whose accessed bit the accessed phase clears and the CPUs touch again.
fn aged<P: Platform>(s: usize, cpus: usize) -> impl Iterator<Item = u64> {
    pages::<P>(s, Region::Disjoint, cpus)
        .chain(pages::<P>(s, Region::FileShared, cpus))
        .map(|(_, addr)| addr)
}

/// Makes the private anonymous and shared file entries old (`pte_mkold`, TLB flushed).
pub fn make_old<P: Platform>(p: &P, s: usize, cpus: usize) {
    AD_BEFORE.store(
        tally::total(s, Resolved::AccessDirty, cpus),
        Ordering::Relaxed,
    );
    for addr in aged::<P>(s, cpus) {
        update(p, s, addr, |cur| cur.is_present().then(|| cur.make_old()));
        match entry(p, addr) {
            Some(pte) if pte.is_present() && !pte.is_young() && !P::hw_young(pte.raw()) => {}
            other => violation(p, format_args!("made old {addr:#x}: {other:?}")),
        }
    }
}

/// After the CPUs touched the old entries again: young again, by the MMU or the fast path.
pub fn young_again<P: Platform>(p: &P, s: usize, cpus: usize) {
    let mut young = 0u64;
    let mut total = 0u64;
    for addr in aged::<P>(s, cpus) {
        total += 1;
        let Some(pte) = present(p, addr, "touched page") else {
            continue;
        };
        agrees(p, addr, pte);
        if pte.is_young() {
            young += 1;
        } else {
            violation(p, format_args!("touched page {addr:#x}: {pte:?} still old"));
        }
    }
    let sw = tally::total(s, Resolved::AccessDirty, cpus) - AD_BEFORE.load(Ordering::Relaxed);
    expect_software(p, "accessed bits", p.hardware_ad().accessed, sw, total);
    say!(
        p,
        "[{}] accessed: {total} entries made old, {young} young again after a touch: set by the MMU on {}, by access faults on {sw}",
        plan::strategy_name(s),
        young.saturating_sub(sw),
    );
}

/// Swap-out: every anonymous entry, present → swap entry by one compare-and-swap through the
/// strategy; the TLBs are flushed before the page is copied to its slot and freed.
pub fn swap_out<P: Platform>(p: &P, s: usize, cpus: usize) {
    let mut out = 0;
    for region in [Region::Disjoint, Region::Shared] {
        for (_, addr) in pages::<P>(s, region, cpus) {
            let Some(slot) = swap::reserve() else {
                violation(p, format_args!("swap device full at {addr:#x}"));
                return;
            };
            let swp = match Pte::<P::A>::swap(slot) {
                Ok(swp) => swp,
                Err(e) => {
                    violation(p, format_args!("swap entry {slot} for {addr:#x}: {e}"));
                    swap::abandon(slot);
                    continue;
                }
            };
            let Some(old) = update(p, s, addr, |cur| cur.is_present().then_some(swp)) else {
                violation(p, format_args!("swap-out of {addr:#x}: entry not present"));
                swap::abandon(slot);
                continue;
            };
            let Some(pfn) = old.pfn() else {
                violation(
                    p,
                    format_args!("swap-out of {addr:#x} replaced {old:?}, which maps no frame"),
                );
                swap::abandon(slot);
                continue;
            };
            swap::fill(slot, pfn);
            // The entry's mapping is gone and the TLBs flushed (`update`): its last one frees
            // the frame.
            Frames(p).unmap(pfn);
            out += 1;
            match entry(p, addr).map(|pte| pte.decode()) {
                Some(Decoded::Swap(found)) if found == slot => {}
                other => violation(
                    p,
                    format_args!("swapped-out {addr:#x}: {other:?}, expected {slot}"),
                ),
            }
        }
    }
    SWAPPED[s].store(out, Ordering::Relaxed);
}

/// After the swap-in phase: entries back, and the counts of the kernel and the library agree.
pub fn after_swap_in<P: Platform>(p: &P, s: usize, cpus: usize) {
    let name = plan::strategy_name(s);
    for region in [Region::Disjoint, Region::Shared] {
        for (_, addr) in pages::<P>(s, region, cpus) {
            if let Some(pte) = present(p, addr, "swapped-in page") {
                agrees(p, addr, pte);
            }
        }
    }
    let lib = plan::strategy_counts::<P::A>(s);
    let kind = |k| tally::total(s, k, cpus);
    let anon = Region::Disjoint.pages(cpus) + Region::Shared.pages(cpus);
    let swapped = SWAPPED[s].load(Ordering::Relaxed);
    let expect = |what: &str, found: u64, expected: u64| {
        if found != expected {
            violation(
                p,
                format_args!("[{name}] {what}: {found}, expected {expected}"),
            );
        }
    };
    // Every frame a strategy took is mapped at the end or was given back: the private pages
    // (anonymous, swapped back in) and the copies are exactly the pages mapped, the cache
    // holds this strategy's two files. A loser's page not given back shows here.
    let now = frames::count_by_use();
    let delta = |u: Use| now[u as usize] - USE_BEFORE[u as usize].load(Ordering::Relaxed);
    expect(
        "pages held (private pages and copies)",
        delta(Use::Page),
        anon + FILE_PAGES,
    );
    expect(
        "page-cache pages read in",
        delta(Use::Cache),
        2 * FILE_PAGES,
    );
    expect("anonymous installs", kind(Resolved::Anonymous), anon);
    expect("file installs", kind(Resolved::File), 2 * FILE_PAGES);
    expect(
        "copy-on-write faults",
        kind(Resolved::CopyOnWrite),
        FILE_PAGES,
    );
    expect("swap-ins", kind(Resolved::SwapIn), swapped);
    expect("pages swapped out", swapped, anon);
    expect("nonlinear faults", kind(Resolved::Nonlinear), 0);
    if lib.frees > lib.lost_races {
        violation(
            p,
            format_args!(
                "[{name}] {} give-backs but only {} lost races",
                lib.frees, lib.lost_races
            ),
        );
    }
    if lib.lost_races > kind(Resolved::AlreadyDone) {
        violation(
            p,
            format_args!(
                "[{name}] {} lost races but only {} faults found the work done",
                lib.lost_races,
                kind(Resolved::AlreadyDone)
            ),
        );
    }
    let mut per_cpu = [0u64; crate::MAX_CPUS];
    for (c, n) in per_cpu.iter_mut().enumerate().take(cpus) {
        *n = KINDS.iter().map(|k| tally::count(s, c, *k)).sum();
    }
    say!(p, "[{name}] faults per CPU: {:?}", &per_cpu[..cpus]);
    say!(
        p,
        "[{name}] resolved: anonymous {} file {} copy-on-write {} swap-in {} accessed/dirty {} already-done {}; library: faults {} retries {} lost races {} frees {} spins {}",
        kind(Resolved::Anonymous),
        kind(Resolved::File),
        kind(Resolved::CopyOnWrite),
        kind(Resolved::SwapIn),
        kind(Resolved::AccessDirty),
        kind(Resolved::AlreadyDone),
        lib.faults,
        lib.retries,
        lib.lost_races,
        lib.frees,
        lib.spins
    );
    say!(
        p,
        "[{name}] swap: {swapped} pages out (present -> swap entry by CAS), {} back in through the fast path, contents checked by every CPU",
        kind(Resolved::SwapIn)
    );
}

/// The end: every pool frame accounted for exactly once, every swap slot freed; then
/// `before_verdict` (the fork workload's line) and the verdict. Returns whether the whole
/// run passed.
pub fn finish<P: Platform>(p: &P, cpus: usize, before_verdict: impl FnOnce()) -> bool {
    let mut mapped = [0u8; POOL_FRAMES];
    // Table entries pointing at each frame, over the whole window.
    let mut table = [0u8; POOL_FRAMES];
    let window = page_addr::<P>(0, Region::Disjoint, 0);
    let window_end = page_addr::<P>(STRATEGIES, Region::Disjoint, 0);
    // Boot tables above the window are the kernel's own, not pool frames: not counted.
    Walker(p).each_table_link(window, window_end, |t| {
        if let Some(i) = frames::index_of(t) {
            table[i] = table[i].saturating_add(1);
        }
    });
    each_entry::<P>(p, cpus, |addr, pte| {
        let Some(pfn) = pte.pfn() else { return };
        match frames::index_of(pfn) {
            Some(i) => mapped[i] = mapped[i].saturating_add(1),
            None => violation(p, format_args!("{addr:#x} maps {pfn:#x}, not a pool frame")),
        }
    });
    let mut refs = [0u64; POOL_FRAMES];
    for file in 0..FILES as u32 {
        for pgoff in 0..FILE_PAGES {
            if let Some((pfn, r)) = cache::lookup(file, pgoff)
                && let Some(i) = frames::index_of(pfn)
            {
                refs[i] = r;
            }
        }
    }
    let mut by_use = [0u64; 4];
    for i in 0..POOL_FRAMES {
        let use_ = frames::use_of(i);
        by_use[use_ as usize] += 1;
        let ok = match use_ {
            Use::Free => mapped[i] == 0 && table[i] == 0,
            // Mapped exactly as often as its map count says, and at least once.
            Use::Page => {
                mapped[i] >= 1 && u32::from(mapped[i]) == frames::map_count(i) && table[i] == 0
            }
            Use::Table => mapped[i] == 0 && table[i] == 1,
            Use::Cache => u64::from(mapped[i]) == refs[i] && table[i] == 0,
        };
        if !ok {
            violation(
                p,
                format_args!(
                    "frame {:#x} is {use_:?}, mapped {} times (map count {}), linked {} times as a table, cache references {}",
                    frames::pfn_at(i),
                    mapped[i],
                    frames::map_count(i),
                    table[i],
                    refs[i]
                ),
            );
        }
    }
    let (allocs, frees) = frames::totals();
    let in_use = POOL_FRAMES as u64 - by_use[Use::Free as usize];
    if allocs - frees != in_use {
        violation(
            p,
            format_args!("allocated {allocs} - freed {frees} != {in_use} frames in use"),
        );
    }
    if by_use[Use::Cache as usize] != cache::cached_frames() {
        violation(
            p,
            format_args!(
                "{} cache frames, the cache holds {}",
                by_use[Use::Cache as usize],
                cache::cached_frames()
            ),
        );
    }
    let (reserved, freed) = swap::totals();
    if reserved != freed {
        violation(
            p,
            format_args!("swap: {reserved} slots used, {freed} freed"),
        );
    }
    say!(
        p,
        "frames: {POOL_FRAMES} in pool: {} free, {} anonymous/private pages mapped as often as their map counts say, {} page tables each linked once, {} page-cache pages (references = mappings); {allocs} allocations, {frees} frees",
        by_use[Use::Free as usize],
        by_use[Use::Page as usize],
        by_use[Use::Table as usize],
        by_use[Use::Cache as usize],
    );
    say!(p, "swap: {reserved} slots written, {freed} freed");
    let (compared, agreed) = (
        COMPARED.load(Ordering::Relaxed),
        AGREED.load(Ordering::Relaxed),
    );
    say!(
        p,
        "accessed/dirty: the library's young()/dirty() agreed with the manual's bits on {agreed} of {compared} entry readings"
    );
    let contended: u64 = (0..STRATEGIES)
        .map(|s| tally::total(s, Resolved::AlreadyDone, cpus))
        .sum();
    say!(
        p,
        "contended faults (found the work done by another CPU): {contended}"
    );
    before_verdict();
    let violations = violation::count();
    let pass = violations == 0;
    say!(p, "violations: {violations}");
    say!(p, "PTE-KERNEL {}", if pass { "PASS" } else { "FAIL" });
    pass
}
