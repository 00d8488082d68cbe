//! Fork through the library: a second address space built from the first with
//! `pte_core::fault::fork::copy_entry`, both running, copy-on-write and swap of shared pages.
//!
//! The kernels run one set of hardware tables (`TTBR0_EL1` / `CR3` are never switched): the
//! child's address space is mapped in them [`CHILD_OFFSET`] above the parent's, with VMAs of
//! its own ([`vma_in`]), its own leaf tables and its own `mmap_lock` ([`MMAP_LOCK`]). Which
//! space a fault belongs to is decided by its address ([`crate::plan::locate`]); a CPU "runs
//! in" a space by touching only that space's addresses. Everything the library sees is as
//! with two page-table roots: two entries per page, two VMAs, one frame allocator, page
//! cache and swap device. (What is not exercised: a TLB tagged by address space, and a CPU
//! switching roots.)
//!
//! After the workload's phases of a strategy (its span holds the parent's four regions, all
//! pages present but for [`SWAPPED_BEFORE_FORK`] of CPU 0's), per strategy:
//!
//! 1. **prepare** (boot CPU alone): the parent's anonymous entries are made clean and old
//!    (TLBs flushed), so the MMU — or the fast path without hardware dirty management —
//!    must record the writes of step 2 anew; a few pages are swapped out, so fork copies
//!    swap entries too.
//! 2. **fork**: the boot CPU takes the parent's `mmap_lock` for write and copies every entry
//!    of the parent's four VMAs into the child's tables, then flushes the parent's
//!    translations (Linux's `flush_tlb_mm` at the end of `dup_mmap`) and unlocks. Meanwhile
//!    the other CPUs keep writing, through present entries, the parent's anonymous page
//!    whose entry fork is about to copy (the value the word already holds, so the contents
//!    fork copies are known): the MMU sets the dirty bit of the clean entry while fork
//!    write-protects it; a write that finds its entry write-protected faults and waits for
//!    the lock. (Without hardware dirty management every such write faults and waits.) Checked after: every page written
//!    during the copy is dirty in the parent (no D bit lost by the write-protect), every
//!    shared private page is read-only on both sides, the child's entries are old, and the
//!    contents of every page of both spaces are the pre-fork ones.
//! 3. **both run**: even CPUs in the parent, odd CPUs in the child; each reads every private
//!    page of its space (swapping in the pages fork copied as swap entries), and writes its
//!    own word ([`FORK_WORD`] + CPU) in some (every fourth page of the private anonymous
//!    region, the even pages of the shared one, every private file copy), so the two
//!    spaces' first writes race on pages they share: copy-on-write in one, and a reuse in
//!    place when the other side has already copied (map count back to one). Every read
//!    checks that a space sees the pre-fork contents until its own first write, then only
//!    its own writes — never the other space's.
//! 4. **swap-out** (boot CPU alone): every page of the shared anonymous region in both
//!    spaces; a page both still map (the odd ones, which nobody wrote) becomes one slot
//!    named by both entries (a second reference, as `try_to_unmap` does with
//!    `swap_duplicate`), written once the frame has no mapping left.
//! 5. **swap-in** (both spaces): every CPU reads the region back through the fast path,
//!    the two spaces racing on the shared slots, then writes its word in the odd pages.
//!
//! After steps 2, 3 and 5 the boot CPU checks every page of both spaces (contents read
//! through the identity map of the frame, not through the window, so checking neither
//! faults nor sets accessed bits) and takes a census: each anonymous frame's map count
//! equals the entries that map it, each page-cache page's references its mappings, each
//! swap slot's references the swap entries that name it, and no entry maps a free frame.

use core::hint::spin_loop;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use pte_core::fault::fork::{Copied, copy_entry};
use pte_core::fault::{
    Env, FaultError, FrameAllocator, Resolved, Strategy, StrategyVisitor, SwapDevice, TableWalker,
};
use pte_core::{Decoded, Pte};

use crate::cache::{self, Cache, FILE_PAGES, file_word};
use crate::check::{self, agrees, each_entry, entry, word};
use crate::frames::{self, Frames, POOL_FRAMES, Use, page_ptr};
use crate::plan::{
    self, CHILD_OFFSET, PAGES_PER_CPU, Region, SHARED_PAGES, Space, WORDS, anon_word, page_addr_in,
    private_word, read, shared_word, vma_in, with_strategy, write,
};
use crate::swap::{self, SLOTS, Swap};
use crate::sync::{BARRIER, RwSpin, boot_cpu_alone};
use crate::tables::Walker;
use crate::tally;
use crate::{MAX_CPUS, PAGE_SIZE, Platform, say};

/// Each address space's `mmap_lock`, by [`Space`]: faults take it for read, fork the
/// parent's for write.
pub static MMAP_LOCK: [RwSpin; 2] = [RwSpin::new(), RwSpin::new()];

/// The word (index in the page, 8-byte words) where CPU `c` writes after fork: `c` words
/// past this one. Zero before fork in an anonymous page (past the shared region's per-CPU words,
/// between the private region's spread words), a file word in a private file copy.
pub const FORK_WORD: usize = 32;

/// CPU 0's private pages swapped out before fork: their swap entries are what fork copies
/// with `SwapDevice::duplicate`.
pub const SWAPPED_BEFORE_FORK: u64 = 4;

/// The parent address whose entry fork is copying next (0: none), published before the
/// copy of each entry.
static FORK_AT: AtomicU64 = AtomicU64::new(0);
/// The last [`FORK_AT`] a writing CPU read: fork waits (boundedly) for it before copying,
/// so that the write races with the copy's write-protect.
static FORK_SEEN: AtomicU64 = AtomicU64::new(0);
/// Spins fork waits for a writing CPU to see the entry it is about to copy before going on
/// without (a vCPU the host did not schedule).
const SEEN_SPINS: u32 = 1 << 14;
/// Anonymous pages of the parent written during the copy: the private region's, then the
/// shared region's.
static WROTE: [AtomicBool; PAGES_PER_CPU as usize * MAX_CPUS + SHARED_PAGES as usize] =
    [const { AtomicBool::new(false) }; PAGES_PER_CPU as usize * MAX_CPUS + SHARED_PAGES as usize];

/// Set by the boot CPU when the copy is done and the parent's `mmap_lock` released: the
/// other CPUs stop writing.
static FORK_DONE: AtomicBool = AtomicBool::new(false);

/// Totals over every strategy, for the final line ([`report`]).
struct Totals {
    /// Entries copied by fork (present pages and swap entries).
    copied: AtomicU64,
    /// Swap entries among them.
    copied_swap: AtomicU64,
    /// Copy-on-write faults after fork.
    copy_on_write: AtomicU64,
    /// Write faults that reused the page in place after fork.
    reused: AtomicU64,
    /// Swap-ins of slots with more than one reference.
    shared_swap_ins: AtomicU64,
    /// Pages written during the copy, and those found dirty in the parent after it.
    written: AtomicU64,
    /// See `written`.
    dirty_kept: AtomicU64,
    /// Pages mapped by both spaces swapped out to one slot.
    shared_swap_outs: AtomicU64,
    /// Strategies forked.
    strategies: AtomicU64,
}

static TOTALS: Totals = Totals {
    copied: AtomicU64::new(0),
    copied_swap: AtomicU64::new(0),
    copy_on_write: AtomicU64::new(0),
    reused: AtomicU64::new(0),
    shared_swap_ins: AtomicU64::new(0),
    written: AtomicU64::new(0),
    dirty_kept: AtomicU64::new(0),
    shared_swap_outs: AtomicU64::new(0),
    strategies: AtomicU64::new(0),
};

/// The strategy in progress: the fault counts and shared swap-ins before its fork, its
/// copied entries and shared swap-outs (boot CPU only, between barriers).
struct Current {
    /// Faults by kind before fork, in [`tally::KINDS`] order.
    before: [AtomicU64; tally::KINDS.len()],
    /// Shared-slot swap-ins before fork.
    shared_ins_before: AtomicU64,
    /// Entries copied (present and swap).
    copied: AtomicU64,
    /// Swap entries copied.
    copied_swap: AtomicU64,
    /// Shared swap-outs.
    shared_outs: AtomicU64,
}

static CURRENT: Current = Current {
    before: [const { AtomicU64::new(0) }; tally::KINDS.len()],
    shared_ins_before: AtomicU64::new(0),
    copied: AtomicU64::new(0),
    copied_swap: AtomicU64::new(0),
    shared_outs: AtomicU64::new(0),
};

/// The space CPU `cpu` runs in after fork: even CPUs the parent, odd ones the child.
fn space_of(cpu: usize) -> Space {
    if cpu.is_multiple_of(2) {
        Space::Parent
    } else {
        Space::Child
    }
}

/// The word CPU `cpu` writes after fork at [`FORK_WORD`] + `cpu` of page `page` of `region`
/// in space `space` of strategy `s` (distinct from every other word of the run).
pub fn fork_word(s: usize, space: Space, region: Region, page: u64, cpu: usize) -> u64 {
    0xD000_0000_0000_0000
        | (s as u64) << 40
        | (space as u64) << 36
        | (region as u64) << 32
        | page << 16
        | cpu as u64
}

/// How far the post-fork writes have got (right after fork nothing is written).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    /// After step 3: the private regions, the even pages of the shared region.
    Written,
    /// After step 5: the odd pages of the shared region too.
    SwappedIn,
}

/// The regions fork copies, with the pages each CPU writes after it.
const PRIVATE: [Region; 3] = [Region::Disjoint, Region::Shared, Region::FilePrivate];

/// Whether the CPUs of a space have written page `page` of `region` by `stage`.
/// Every fourth page of the private region is written (each copy-on-write costs a TLB
/// shootdown: the boot stays short), the others only read, and stay shared.
fn written(region: Region, page: u64, stage: Stage) -> bool {
    match region {
        Region::FileShared => false,
        Region::Shared if page % 2 == 1 => stage >= Stage::SwappedIn,
        Region::Disjoint if !page.is_multiple_of(WRITTEN_PRIVATE_EVERY) => false,
        _ => stage >= Stage::Written,
    }
}

/// See [`written`].
const WRITTEN_PRIVATE_EVERY: u64 = 4;

/// The word at index `w` of page `page` of `region` before fork (what the workload left).
fn pre_fork(s: usize, region: Region, page: u64, w: usize, cpus: usize) -> u64 {
    let stride = PAGE_SIZE / 8 / WORDS;
    match region {
        Region::Disjoint if w.is_multiple_of(stride) => anon_word(s, page, w / stride),
        Region::Disjoint => 0,
        Region::Shared if w < cpus => shared_word(s, page, w),
        Region::Shared => 0,
        Region::FilePrivate if w == 1 => private_word(s, page),
        Region::FilePrivate | Region::FileShared => file_word(region.file(s), page, w),
    }
}

/// The words of a page the checks read: the workload's (the spread private words, the
/// shared region's per-CPU words, the private copy's word 1, the file's first and last) and
/// the post-fork words of every CPU.
fn checked_words(cpus: usize) -> impl Iterator<Item = usize> {
    let stride = PAGE_SIZE / 8 / WORDS;
    (0..cpus.max(2))
        .chain((1..WORDS).map(move |w| w * stride))
        .chain(FORK_WORD..FORK_WORD + cpus)
        .chain(core::iter::once(PAGE_SIZE / 8 - 1))
}

/// The word at index `w` of a page of space `space` once its CPUs are at `stage`.
fn expected(
    s: usize,
    space: Space,
    region: Region,
    page: u64,
    w: usize,
    cpus: usize,
    stage: Stage,
) -> u64 {
    match w.checked_sub(FORK_WORD) {
        Some(c) if c < cpus && space_of(c) == space && written(region, page, stage) => {
            fork_word(s, space, region, page, c)
        }
        _ => pre_fork(s, region, page, w, cpus),
    }
}

/// Word `w` of frame `pfn`, read through the identity map (no fault, no accessed bit).
fn frame_word(pfn: u64, w: usize) -> u64 {
    // SAFETY: `pfn` is a pool frame an entry maps (checked by the caller), identity-mapped;
    // `w` is below PAGE_SIZE / 8; a volatile read of a word other CPUs may write.
    unsafe { page_ptr(pfn).cast::<u64>().add(w).read_volatile() }
}

/// The census (boot CPU, no fault in flight): every anonymous frame's map count equals the
/// entries mapping it, every page-cache page's references its mappings, every swap slot's
/// references the swap entries naming it; no entry maps a free frame, no slot is referenced
/// by nothing.
fn census<P: Platform>(p: &P, cpus: usize, when: &str) {
    let mut mapped = [0u8; POOL_FRAMES];
    let mut named = [0u8; SLOTS];
    each_entry::<P>(p, cpus, |addr, pte| match pte.decode() {
        Decoded::Swap(e) => match usize::try_from(e.offset)
            .ok()
            .and_then(|o| o.checked_sub(1))
        {
            Some(slot) if slot < SLOTS => named[slot] = named[slot].saturating_add(1),
            _ => violation_at(p, when, addr, "a swap entry not of this device"),
        },
        _ => {
            if let Some(pfn) = pte.pfn() {
                match frames::index_of(pfn) {
                    Some(i) => mapped[i] = mapped[i].saturating_add(1),
                    None => violation_at(p, when, addr, "maps a frame outside the pool"),
                }
            }
        }
    });
    let mut refs = [0u64; POOL_FRAMES];
    for file in 0..cache::FILES as u32 {
        for pgoff in 0..FILE_PAGES {
            if let Some((pfn, r)) = cache::lookup(file, pgoff)
                && let Some(i) = frames::index_of(pfn)
            {
                refs[i] = r;
            }
        }
    }
    for (i, &m) in mapped.iter().enumerate() {
        let ok = match frames::use_of(i) {
            Use::Free => m == 0,
            Use::Page => u32::from(m) == frames::map_count(i),
            Use::Cache => u64::from(m) == refs[i],
            Use::Table => m == 0,
        };
        if !ok {
            crate::violation::violation(
                p,
                format_args!(
                    "{when}: frame {:#x} ({:?}) mapped by {m} entries, map count {}, cache references {}",
                    frames::pfn_at(i),
                    frames::use_of(i),
                    frames::map_count(i),
                    refs[i]
                ),
            );
        }
    }
    let mut referenced = 0;
    for (slot, &n) in named.iter().enumerate() {
        let entry = pte_core::SwapEntry {
            ty: swap::SWAP_TYPE,
            offset: slot as u64 + 1,
            ..pte_core::SwapEntry::default()
        };
        let r = swap::refs(entry);
        referenced += u64::from(r != 0);
        if u32::from(n) != r {
            crate::violation::violation(
                p,
                format_args!("{when}: swap slot {entry} named by {n} entries, {r} references"),
            );
        }
    }
    if referenced != swap::referenced_slots() {
        crate::violation::violation(
            p,
            format_args!(
                "{when}: {referenced} slots named, {} referenced",
                swap::referenced_slots()
            ),
        );
    }
}

/// A violation about the entry of `addr`.
fn violation_at<P: Platform>(p: &P, when: &str, addr: u64, what: &str) {
    crate::violation::violation(p, format_args!("{when}: {addr:#x}: {what}"));
}

/// Copies one entry through strategy `S` ([`copy_entry`]).
struct CopyOne<'a, P: Platform> {
    /// The platform.
    p: &'a P,
    /// The parent's VMA of the entry.
    vma: pte_core::fault::Vma,
    /// The parent's address.
    parent: u64,
}

impl<P: Platform> StrategyVisitor<P::A> for CopyOne<'_, P> {
    type Output = Result<Copied, FaultError>;
    fn visit<S: Strategy<P::A>>(self, strategy: &S) -> Self::Output {
        let walker = Walker(self.p);
        let env = Env {
            frames: &Frames(self.p),
            tables: &walker,
            cache: &Cache(self.p),
            swap: &Swap(self.p),
        };
        let parent = walker.leaf(self.parent).ok_or(FaultError::NoMemory)?;
        let child = walker
            .leaf(self.parent + CHILD_OFFSET)
            .ok_or(FaultError::NoMemory)?;
        copy_entry(strategy, &env, &self.vma, &parent, child.slot)
    }
}

/// Swaps out the page that the entries at `addrs` (one, or the parent's and the child's)
/// all map, through strategy `s`: each entry becomes the same swap entry (the slot gets a
/// reference per entry), the frame is written to the slot once no TLB maps it, and each
/// mapping is dropped (the last frees the frame). Boot CPU alone; `false` (reported) if an
/// entry was not the expected present page.
fn swap_out<P: Platform>(p: &P, s: usize, addrs: &[u64]) -> bool {
    let Some(pfn) = addrs.first().and_then(|&a| entry(p, a)).and_then(Pte::pfn) else {
        violation_at(
            p,
            "swap-out",
            addrs.first().copied().unwrap_or(0),
            "not mapped",
        );
        return false;
    };
    for &addr in addrs {
        if entry(p, addr).and_then(Pte::pfn) != Some(pfn) {
            violation_at(
                p,
                "swap-out",
                addr,
                "does not map the frame of the first entry",
            );
            return false;
        }
    }
    let Some(slot) = swap::reserve() else {
        violation_at(p, "swap-out", addrs[0], "swap device full");
        return false;
    };
    let Ok(swp) = Pte::<P::A>::swap(slot) else {
        violation_at(p, "swap-out", addrs[0], "swap entry not encodable");
        swap::abandon(slot);
        return false;
    };
    let mut done = 0;
    for (k, &addr) in addrs.iter().enumerate() {
        // The second entry's reference (`swap_duplicate` in `try_to_unmap_one`).
        if k > 0 && !Swap(p).duplicate(slot) {
            violation_at(p, "swap-out", addr, "swap count cannot grow");
            break;
        }
        let old = check::update(p, s, addr, |cur| {
            (cur.is_present() && cur.pfn() == Some(pfn)).then_some(swp)
        });
        if old.is_none() {
            violation_at(p, "swap-out", addr, "entry changed under the swap-out");
            break;
        }
        done += 1;
    }
    if done == 0 {
        swap::abandon(slot);
        return false;
    }
    // Every entry naming the slot was published and its TLBs flushed (`check::update`).
    swap::fill(slot, pfn);
    for _ in 0..done {
        Frames(p).unmap(pfn);
    }
    done == addrs.len()
}

/// Step 1 (boot CPU alone): fault counts before fork, the parent's anonymous entries clean
/// and old, CPU 0's first pages swapped out.
fn prepare<P: Platform>(p: &P, s: usize, cpus: usize) {
    for (b, k) in CURRENT.before.iter().zip(tally::KINDS) {
        b.store(tally::total(s, k, cpus), Ordering::Relaxed);
    }
    CURRENT
        .shared_ins_before
        .store(swap::shared_totals().1, Ordering::Relaxed);
    CURRENT.copied.store(0, Ordering::Relaxed);
    CURRENT.copied_swap.store(0, Ordering::Relaxed);
    CURRENT.shared_outs.store(0, Ordering::Relaxed);
    FORK_DONE.store(false, Ordering::Relaxed);
    FORK_AT.store(0, Ordering::Relaxed);
    FORK_SEEN.store(0, Ordering::Relaxed);
    for w in &WROTE {
        w.store(false, Ordering::Relaxed);
    }
    for region in [Region::Disjoint, Region::Shared] {
        for i in 0..region.pages(cpus) {
            let addr = page_addr_in::<P>(s, Space::Parent, region, i);
            // Flushed below, for the region at once, before any other CPU runs.
            check::update_unflushed(p, s, addr, |cur| {
                cur.is_present().then(|| cur.make_clean().make_old())
            });
            match entry(p, addr) {
                Some(pte) if pte.is_present() && !pte.is_dirty() && !P::hw_dirty(pte.raw()) => {}
                other => {
                    crate::violation::violation(p, format_args!("made clean {addr:#x}: {other:?}"))
                }
            }
        }
    }
    for region in [Region::Disjoint, Region::Shared] {
        let vma = vma_in::<P>(s, Space::Parent, region, cpus);
        p.flush_tlb_range(vma.start, vma.end);
    }
    for i in 0..SWAPPED_BEFORE_FORK {
        swap_out(
            p,
            s,
            &[page_addr_in::<P>(s, Space::Parent, Region::Disjoint, i)],
        );
    }
}

/// Step 2 on the boot CPU: the copy under the parent's `mmap_lock`, then the flush of the
/// parent's translations.
fn fork_copy<P: Platform>(p: &P, s: usize, cpus: usize) {
    MMAP_LOCK[Space::Parent as usize].write();
    let (mut copied, mut swaps) = (0u64, 0u64);
    for region in Region::ALL {
        let vma = vma_in::<P>(s, Space::Parent, region, cpus);
        for i in 0..region.pages(cpus) {
            let parent = page_addr_in::<P>(s, Space::Parent, region, i);
            FORK_AT.store(parent, Ordering::Release);
            let mut spins = 0;
            while FORK_SEEN.load(Ordering::Acquire) != parent && spins < SEEN_SPINS {
                spin_loop();
                spins += 1;
            }
            match with_strategy::<P::A, _>(s, CopyOne { p, vma, parent }) {
                Ok(Copied::Nothing) => {
                    violation_at(p, "fork", parent, "the parent's entry is empty")
                }
                Ok(Copied::Swap) => {
                    copied += 1;
                    swaps += 1;
                }
                Ok(_) => copied += 1,
                Err(e) => crate::violation::violation(
                    p,
                    format_args!("fork: copy of {parent:#x} failed: {e:?}"),
                ),
            }
        }
    }
    // `flush_tlb_mm`: no CPU keeps a writable translation of a write-protected entry.
    for region in Region::ALL {
        let vma = vma_in::<P>(s, Space::Parent, region, cpus);
        p.flush_tlb_range(vma.start, vma.end);
    }
    FORK_AT.store(0, Ordering::Relaxed);
    MMAP_LOCK[Space::Parent as usize].write_unlock();
    CURRENT.copied.store(copied, Ordering::Relaxed);
    CURRENT.copied_swap.store(swaps, Ordering::Relaxed);
    FORK_DONE.store(true, Ordering::Release);
}

/// Step 2 on the other CPUs: until fork is done, write the parent's anonymous page whose
/// entry fork is about to copy ([`FORK_AT`], acknowledged in [`FORK_SEEN`]) — the word the
/// page already holds there, so the contents are unchanged — so that the MMU sets the dirty
/// bit of a clean entry while fork write-protects it. Private pages and the even pages of
/// the shared region only (the odd ones stay unwritten, shared by both spaces until step
/// 4), and not the swapped-out ones; only while the entry is writable (a write that lost
/// the race would wait in its fault until the copy is done). Each page written is marked
/// in [`WROTE`].
fn write_during_fork<P: Platform>(p: &P, s: usize, cpu: usize, cpus: usize) {
    loop {
        let at = FORK_AT.load(Ordering::Acquire);
        FORK_SEEN.store(at, Ordering::Release);
        // Only while the entry is still writable: a write that finds it write-protected
        // faults and waits for the end of the copy, and this CPU would race no more.
        let writable = || Walker(p).find(at).is_some_and(|e| e.load().is_writable());
        if let Some((region, i)) = parent_page::<P>(s, at, cpus).filter(|_| writable()) {
            let addr = page_addr_in::<P>(s, Space::Parent, region, i);
            let wrote = match region {
                Region::Disjoint if i >= SWAPPED_BEFORE_FORK => {
                    write(addr, anon_word(s, i, 0));
                    true
                }
                Region::Shared if i % 2 == 0 => {
                    write(addr + cpu as u64 * 8, shared_word(s, i, cpu));
                    true
                }
                _ => false,
            };
            if wrote && let Some(k) = wrote_index(region, i) {
                WROTE[k].store(true, Ordering::Relaxed);
            }
        }
        if FORK_DONE.load(Ordering::Acquire) {
            return;
        }
        spin_loop();
    }
}

/// The region and page of `addr` if it is a page of the parent's anonymous regions of span
/// `s`.
fn parent_page<P: Platform>(s: usize, addr: u64, cpus: usize) -> Option<(Region, u64)> {
    [Region::Disjoint, Region::Shared]
        .into_iter()
        .find_map(|region| {
            let start = page_addr_in::<P>(s, Space::Parent, region, 0);
            let i = addr.checked_sub(start)? >> crate::PAGE_SHIFT;
            (i < region.pages(cpus)).then_some((region, i))
        })
}

/// The index in [`WROTE`] of page `i` of an anonymous region.
fn wrote_index(region: Region, i: u64) -> Option<usize> {
    let i = usize::try_from(i).ok()?;
    match region {
        Region::Disjoint => Some(i),
        Region::Shared => Some(PAGES_PER_CPU as usize * MAX_CPUS + i),
        Region::FileShared | Region::FilePrivate => None,
    }
}

/// After step 2 (boot CPU alone).
fn after_fork<P: Platform>(p: &P, s: usize, cpus: usize) {
    let name = plan::strategy_name(s);
    // No D bit lost: every page written during the copy is dirty in the parent (kept by the
    // write-protect, or a copy made by a write fault after it).
    let (mut written, mut dirty) = (0u64, 0u64);
    for region in [Region::Disjoint, Region::Shared] {
        for i in 0..region.pages(cpus) {
            if !wrote_index(region, i).is_some_and(|k| WROTE[k].load(Ordering::Relaxed)) {
                continue;
            }
            written += 1;
            let addr = page_addr_in::<P>(s, Space::Parent, region, i);
            match entry(p, addr) {
                Some(pte) if pte.is_present() && pte.is_dirty() => dirty += 1,
                other => crate::violation::violation(
                    p,
                    format_args!(
                        "[{name}] fork lost a dirty bit: {addr:#x} written during the copy, parent entry {other:?}"
                    ),
                ),
            }
        }
    }
    TOTALS.written.fetch_add(written, Ordering::Relaxed);
    TOTALS.dirty_kept.fetch_add(dirty, Ordering::Relaxed);
    for region in Region::ALL {
        for i in 0..region.pages(cpus) {
            let pa = page_addr_in::<P>(s, Space::Parent, region, i);
            let ca = pa + CHILD_OFFSET;
            let (Some(pe), Some(ce)) = (entry(p, pa), entry(p, ca)) else {
                violation_at(p, "after fork", ca, "no child table");
                continue;
            };
            if let Decoded::Swap(e) = ce.decode() {
                // A swap entry copied: both name the slot, which has a reference each.
                if pe.raw() != ce.raw() || swap::refs(e) != 2 {
                    violation_at(p, "after fork", ca, "swap entry not shared by both");
                }
                continue;
            }
            if !ce.is_present() || ce.is_young() {
                violation_at(p, "after fork", ca, "child entry not present and old");
                continue;
            }
            let shared = pe.pfn() == ce.pfn();
            let private = region != Region::FileShared;
            // A private page both map is read-only on both sides; the parent may already
            // have its own copy (a write fault that waited for the lock).
            if private && (ce.is_writable() || (shared && pe.is_writable())) {
                violation_at(p, "after fork", ca, "a shared private page is writable");
            }
            if !private && (!shared || ce.is_dirty()) {
                violation_at(
                    p,
                    "after fork",
                    ca,
                    "shared file page not the clean cache page",
                );
            }
            for w in checked_words(cpus) {
                let exp = pre_fork(s, region, i, w, cpus);
                if let Some(pfn) = ce.pfn() {
                    word(
                        p,
                        ca + w as u64 * 8,
                        frame_word(pfn, w),
                        exp,
                        "child after fork",
                    );
                }
                if let Some(pfn) = pe.pfn() {
                    word(
                        p,
                        pa + w as u64 * 8,
                        frame_word(pfn, w),
                        exp,
                        "parent after fork",
                    );
                }
            }
        }
    }
    census(p, cpus, "after fork");
}

/// The checks of one read of a page by CPU `cpu` in its space (steps 3 and 5): the other
/// space's words are the pre-fork ones, this space's other CPUs' are pre-fork or theirs,
/// this CPU's is pre-fork until its write (`mine_written`) and then its own.
#[allow(clippy::too_many_arguments)]
fn check_read<P: Platform>(
    p: &P,
    s: usize,
    cpu: usize,
    cpus: usize,
    region: Region,
    page: u64,
    addr: u64,
    mine_written: bool,
) {
    let space = space_of(cpu);
    for w in checked_words(cpus) {
        let found = read(addr + w as u64 * 8);
        let before = pre_fork(s, region, page, w, cpus);
        let ok = match w.checked_sub(FORK_WORD) {
            Some(c) if c < cpus && c == cpu && mine_written => {
                found == fork_word(s, space, region, page, c)
            }
            Some(c) if c < cpus && c != cpu && space_of(c) == space => {
                found == before || found == fork_word(s, space, region, page, c)
            }
            _ => found == before,
        };
        if !ok {
            crate::violation::violation(
                p,
                format_args!(
                    "cpu{cpu} in {space:?}: {region:?} page {page} word {w} at {addr:#x}: {found:#018x}, expected {before:#018x}{}",
                    if mine_written {
                        " or this space's writes"
                    } else {
                        " (before this CPU's first write)"
                    }
                ),
            );
        }
    }
}

/// Step 3 on every CPU: read every private page of its space; in those its space writes,
/// write its word and read again.
fn both_write<P: Platform>(p: &P, s: usize, cpu: usize, cpus: usize) {
    let space = space_of(cpu);
    for region in PRIVATE {
        for i in 0..region.pages(cpus) {
            let addr = page_addr_in::<P>(s, space, region, i);
            // Every page is read (the swapped-out ones come back in both spaces).
            check_read(p, s, cpu, cpus, region, i, addr, false);
            if !written(region, i, Stage::Written) {
                continue;
            }
            write(
                addr + (FORK_WORD + cpu) as u64 * 8,
                fork_word(s, space, region, i, cpu),
            );
            check_read(p, s, cpu, cpus, region, i, addr, true);
        }
    }
}

/// After step 3, and after step 5 (boot CPU alone): every page of both spaces.
fn check_spaces<P: Platform>(p: &P, s: usize, cpus: usize, stage: Stage) {
    for space in Space::ALL {
        for region in Region::ALL {
            for i in 0..region.pages(cpus) {
                let addr = page_addr_in::<P>(s, space, region, i);
                let Some(pte) = entry(p, addr).filter(|e| e.is_present()) else {
                    violation_at(p, "after the writes", addr, "not present");
                    continue;
                };
                if pte.is_writable() {
                    agrees(p, addr, pte);
                }
                let Some(pfn) = pte.pfn() else { continue };
                // Written, and not swapped out and in since: the even shared pages come back
                // clean from a read fault (the data was in the slot; a kernel marks the page
                // itself dirty when it drops the slot, as `folio_free_swap` does).
                let swapped_since = stage == Stage::SwappedIn
                    && region == Region::Shared
                    && written(region, i, Stage::Written);
                if written(region, i, stage)
                    && !swapped_since
                    && !(pte.is_dirty() && pte.is_writable())
                {
                    crate::violation::violation(
                        p,
                        format_args!("{addr:#x}: written page, entry {pte:?} not writable+dirty"),
                    );
                }
                for w in checked_words(cpus) {
                    let exp = expected(s, space, region, i, w, cpus, stage);
                    word(
                        p,
                        addr + w as u64 * 8,
                        frame_word(pfn, w),
                        exp,
                        "after the writes",
                    );
                }
            }
        }
    }
    // Pages nobody wrote since fork are still one frame in both spaces.
    if stage == Stage::Written {
        for i in (0..SHARED_PAGES).filter(|&i| !written(Region::Shared, i, stage)) {
            let pa = page_addr_in::<P>(s, Space::Parent, Region::Shared, i);
            let (pe, ce) = (entry(p, pa), entry(p, pa + CHILD_OFFSET));
            if pe.and_then(Pte::pfn).is_none() || pe.and_then(Pte::pfn) != ce.and_then(Pte::pfn) {
                violation_at(p, "after the writes", pa, "unwritten page no longer shared");
            }
        }
    }
    census(p, cpus, "after the writes");
}

/// Step 4 (boot CPU alone): the shared anonymous region of both spaces to swap.
fn swap_out_shared<P: Platform>(p: &P, s: usize) {
    let mut shared = 0;
    for i in 0..SHARED_PAGES {
        let pa = page_addr_in::<P>(s, Space::Parent, Region::Shared, i);
        let ca = pa + CHILD_OFFSET;
        if entry(p, pa).and_then(Pte::pfn) == entry(p, ca).and_then(Pte::pfn) {
            shared += u64::from(swap_out(p, s, &[pa, ca]));
        } else {
            swap_out(p, s, &[pa]);
            swap_out(p, s, &[ca]);
        }
    }
    CURRENT.shared_outs.store(shared, Ordering::Relaxed);
}

/// Step 5 on every CPU: read the shared region back (swap-in, racing with the other space
/// on the shared slots), then write its word in the odd pages.
fn both_swap_in<P: Platform>(p: &P, s: usize, cpu: usize, cpus: usize) {
    let space = space_of(cpu);
    let region = Region::Shared;
    for i in 0..SHARED_PAGES {
        let addr = page_addr_in::<P>(s, space, region, i);
        check_read(
            p,
            s,
            cpu,
            cpus,
            region,
            i,
            addr,
            written(region, i, Stage::Written),
        );
    }
    for i in (0..SHARED_PAGES).filter(|&i| !written(region, i, Stage::Written)) {
        let addr = page_addr_in::<P>(s, space, region, i);
        write(
            addr + (FORK_WORD + cpu) as u64 * 8,
            fork_word(s, space, region, i, cpu),
        );
        check_read(p, s, cpu, cpus, region, i, addr, true);
    }
}

/// After step 5 (boot CPU alone): the pages, the census, and the counts of this strategy.
fn finish_strategy<P: Platform>(p: &P, s: usize, cpus: usize) {
    check_spaces(p, s, cpus, Stage::SwappedIn);
    let name = plan::strategy_name(s);
    let delta = |k: Resolved| {
        let i = tally::KINDS.iter().position(|x| *x == k).unwrap_or(0);
        tally::total(s, k, cpus) - CURRENT.before[i].load(Ordering::Relaxed)
    };
    let copied = CURRENT.copied.load(Ordering::Relaxed);
    let copied_swap = CURRENT.copied_swap.load(Ordering::Relaxed);
    let shared_outs = CURRENT.shared_outs.load(Ordering::Relaxed);
    let shared_ins = swap::shared_totals().1 - CURRENT.shared_ins_before.load(Ordering::Relaxed);
    let pages: u64 = Region::ALL.iter().map(|r| r.pages(cpus)).sum();
    let expect = |what: &str, found: u64, want: u64| {
        if found != want {
            crate::violation::violation(
                p,
                format_args!("[{name}] fork: {what}: {found}, expected {want}"),
            );
        }
    };
    expect("entries copied", copied, pages);
    expect("swap entries copied", copied_swap, SWAPPED_BEFORE_FORK);
    // Half the shared region was never written after fork: still one frame, one slot.
    expect("shared pages swapped out", shared_outs, SHARED_PAGES / 2);
    // Each space swaps in each shared slot once: two swap-ins per slot.
    expect(
        "swap-ins of shared slots",
        shared_ins,
        2 * (copied_swap + shared_outs),
    );
    let (cow, reused) = (delta(Resolved::CopyOnWrite), delta(Resolved::Reused));
    say!(
        p,
        "[{name}] fork: {copied} entries copied ({copied_swap} swap entries) with the parent's faults excluded; copy-on-write {cow}, reused {reused}, swap-in {} ({shared_ins} of shared slots, {shared_outs} shared pages swapped out), already-done {}",
        delta(Resolved::SwapIn),
        delta(Resolved::AlreadyDone),
    );
    TOTALS.copied.fetch_add(copied, Ordering::Relaxed);
    TOTALS.copied_swap.fetch_add(copied_swap, Ordering::Relaxed);
    TOTALS.copy_on_write.fetch_add(cow, Ordering::Relaxed);
    TOTALS.reused.fetch_add(reused, Ordering::Relaxed);
    TOTALS
        .shared_swap_ins
        .fetch_add(shared_ins, Ordering::Relaxed);
    TOTALS
        .shared_swap_outs
        .fetch_add(shared_outs, Ordering::Relaxed);
    TOTALS.strategies.fetch_add(1, Ordering::Relaxed);
}

/// The fork phases of strategy `s` (every CPU; see the module doc). Needs 2 CPUs or more.
pub fn phases<P: Platform>(p: &P, s: usize, cpu: usize, cpus: usize) {
    boot_cpu_alone(cpu, cpus, || prepare(p, s, cpus));
    if cpu == 0 {
        fork_copy(p, s, cpus);
    } else {
        write_during_fork(p, s, cpu, cpus);
    }
    boot_cpu_alone(cpu, cpus, || after_fork(p, s, cpus));
    both_write(p, s, cpu, cpus);
    boot_cpu_alone(cpu, cpus, || {
        check_spaces(p, s, cpus, Stage::Written);
        swap_out_shared(p, s);
    });
    both_swap_in(p, s, cpu, cpus);
    BARRIER.wait(cpus);
    if cpu == 0 {
        finish_strategy(p, s, cpus);
    }
    BARRIER.wait(cpus);
}

/// The final line of the fork workload, which the xtask parses (`FORK key=value ...`):
/// the totals over every strategy and whether every check passed so far.
pub fn report<P: Platform>(p: &P) {
    let t = |a: &AtomicU64| a.load(Ordering::Relaxed);
    say!(
        p,
        "FORK strategies={} copied={} copied_swap={} copy_on_write={} reused={} shared_swap_ins={} shared_swap_outs={} dirty_kept={}/{} checks={}",
        t(&TOTALS.strategies),
        t(&TOTALS.copied),
        t(&TOTALS.copied_swap),
        t(&TOTALS.copy_on_write),
        t(&TOTALS.reused),
        t(&TOTALS.shared_swap_ins),
        t(&TOTALS.shared_swap_outs),
        t(&TOTALS.dirty_kept),
        t(&TOTALS.written),
        if crate::violation::count() == 0 {
            "passed"
        } else {
            "FAILED"
        }
    );
}
