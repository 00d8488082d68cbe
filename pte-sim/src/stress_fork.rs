//! A multi-threaded run with fork and exit: a parent's threads write, read and fault while a
//! forker forks children from it, the children's threads write, read and fault in their own
//! copy, a reclaimer swaps out and ages pages of both, and the MMU sets accessed/dirty
//! throughout; then [`AddressSpace::check_set`] over the parent and every child, and again
//! after every process exited.
//!
//! Regions (each at the start of its own leaf table):
//! * **anon** (anonymous) and **private** (file [`PRIVATE_FILE`], `MAP_PRIVATE`), values
//!   checked: word `w` of every page belongs to thread `w % threads` of each process. The
//!   parent's thread writes its words (values increasing per word) and every read must
//!   return its own last write; a child's thread reads and writes the same words of its
//!   copy. A child must read the **pre-fork contents until its own first write, then only
//!   its own writes**: its first read of a word is recorded and every later read must return
//!   it (or its own last write); after the run each recorded value must be one the parent's
//!   thread wrote around the fork — not older than its last write that returned before fork
//!   began, not newer than its last write that began before fork returned (the parent keeps
//!   writing during fork: its faults wait on `mmap_sem`, its MMU does not).
//! * **shared** (file [`SHARED_FILE`], `MAP_SHARED`), values not checked: both processes
//!   write and read it (fork duplicates page-cache references, exit puts them).
//! * **cold** (anonymous): written once by the forker before the first fork, then only read
//!   (by every process, exactly checked) and reclaimed: its pages stay mapped by every live
//!   process, so swap-out and exit unmap frames whose map count is above one.
//! * **probes** (two anonymous pages no other thread touches): before each fork the forker
//!   writes the first in the parent, after the fork it writes it in the child (a
//!   copy-on-write: map count 2) and then in the parent (reused in place: the child copied);
//!   it writes the second and swaps it out before the fork, and reads it in the child (a
//!   swap-in of a slot two entries name: it must survive) and then in the parent. So every
//!   run has these fault kinds whatever the timing.
//!
//! After each fork the forker forks another child and exits it at once, while nearly every
//! page is still shared with the running parent. Fork `k + 1` happens before child `k` exits (child `k + 1`'s threads run while it exits):
//! for a while a page is mapped three times. The last child lives until the check.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Barrier, Mutex};

use super::cache::file_word;
use super::check::{Expected, SetReport, Violation};
use super::space::{AccessError, AddressSpace, Config, Reclaim, SpaceCounts};
use super::swap::SwapCounts;
use pte_core::Arch;
use pte_core::CompareExchange;
use pte_core::fault::{Backing, Strategy};

/// The file the shared region maps.
pub const SHARED_FILE: u32 = 0;
/// The file the private region maps.
pub const PRIVATE_FILE: u32 = 1;

/// The shape of a fork stress run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForkStressConfig {
    /// User threads per process (the parent's, and each child's).
    pub threads: usize,
    /// Operations per parent thread.
    pub rounds: u64,
    /// Operations per child thread.
    pub child_rounds: u64,
    /// Forks (children made one after the other; each but the last exits after the next
    /// one is forked).
    pub forks: u32,
    /// Pages of the anonymous region.
    pub anon_pages: u64,
    /// Pages of the private file region (file [`PRIVATE_FILE`] must have as many).
    pub private_pages: u64,
    /// Pages of the shared file region (file [`SHARED_FILE`] must have as many).
    pub shared_pages: u64,
    /// Pages of the cold region: anonymous, written once before the first fork and only read
    /// after it, so they stay shared by every process until reclaim or exit unmaps them.
    pub cold_pages: u64,
    /// Run a reclaimer thread (swap-out and `clear_young` in every live process).
    pub reclaim: bool,
    /// Seed of the threads' random choices.
    pub seed: u64,
}

impl Default for ForkStressConfig {
    fn default() -> Self {
        ForkStressConfig {
            threads: 2,
            rounds: 2000,
            child_rounds: 600,
            forks: 4,
            anon_pages: 6,
            private_pages: 4,
            shared_pages: 2,
            cold_pages: 2,
            reclaim: true,
            seed: 0xF0_4C,
        }
    }
}

impl ForkStressConfig {
    /// A [`Config`] with room for this run: three processes' private pages (two children
    /// overlap the parent for a while), the page cache, frames in flight; a swap slot per
    /// private page of each.
    pub fn config(&self) -> Config {
        let private = self.anon_pages + self.private_pages + self.cold_pages + 2;
        let cache = self.private_pages + self.shared_pages;
        Config {
            frames: (3 * private + cache + 8 * self.threads as u64 + 8) as usize,
            swap_slots: (3 * private + 4) as usize,
            max_tables: 32,
            file_pages: vec![self.shared_pages.max(1), self.private_pages.max(1)],
            ..Config::default()
        }
    }
}

/// The outcome of [`run`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForkStressReport {
    /// The check with every thread joined, the parent and the last child alive (space 0 the
    /// parent, then the children that exited at once, then the others in fork order; all but
    /// the last exited).
    pub live: SetReport,
    /// The check after the parent and the last child exited too: nothing may be left.
    pub after_exit: SetReport,
}

impl ForkStressReport {
    /// Whether every invariant held in both checks.
    pub fn is_ok(&self) -> bool {
        self.live.is_ok() && self.after_exit.is_ok()
    }

    /// The counters of every process of the run, summed (after every exit).
    pub fn totals(&self) -> SpaceCounts {
        let mut t = SpaceCounts::default();
        for r in &self.after_exit.spaces {
            let s = &r.space;
            t.anonymous += s.anonymous;
            t.file += s.file;
            t.copy_on_write += s.copy_on_write;
            t.reused += s.reused;
            t.swap_in += s.swap_in;
            t.access_dirty += s.access_dirty;
            t.already_done += s.already_done;
            t.swap_outs += s.swap_outs;
            t.dirty_lost += s.dirty_lost;
            t.fork.forks += s.fork.forks;
            t.fork.anonymous += s.fork.anonymous;
            t.fork.file += s.fork.file;
            t.fork.swap += s.fork.swap;
            t.fork.nonlinear += s.fork.nonlinear;
            t.fork.write_protected += s.fork.write_protected;
            t.fork.write_protected_dirty += s.fork.write_protected_dirty;
            t.fork.drain_waits += s.fork.drain_waits;
            t.fork.exits += s.fork.exits;
        }
        t
    }

    /// The swap device's counters after every exit.
    pub fn swap(&self) -> SwapCounts {
        self.after_exit
            .spaces
            .first()
            .map(|r| r.swap)
            .unwrap_or_default()
    }

    /// One line of the fault kinds and fork counts of the run (the numbers a note quotes).
    pub fn summary(&self) -> String {
        let t = self.totals();
        let w = self.swap();
        format!(
            "forks {} exits {}; faults: cow {} reused {} swap-in {} (of a shared slot {}) \
             anon {} file {} a/d {} already {}; fork copied anon {} file {} swap {} \
             nonlinear {}, write-protected {} (dirty {}, drain waits {}); swap-outs {} \
             duplicates {} shared frees {}; dirty lost {}",
            t.fork.forks,
            t.fork.exits,
            t.copy_on_write,
            t.reused,
            t.swap_in,
            w.shared_reads,
            t.anonymous,
            t.file,
            t.access_dirty,
            t.already_done,
            t.fork.anonymous,
            t.fork.file,
            t.fork.swap,
            t.fork.nonlinear,
            t.fork.write_protected,
            t.fork.write_protected_dirty,
            t.fork.drain_waits,
            t.swap_outs,
            w.duplicates,
            w.shared_frees,
            t.dirty_lost
        )
    }
}

impl core::fmt::Display for ForkStressReport {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        writeln!(f, "{}", self.summary())?;
        writeln!(f, "live:")?;
        write!(f, "{}", self.live)?;
        writeln!(f, "after every exit:")?;
        write!(f, "{}", self.after_exit)
    }
}

/// xorshift64*: reproducible choices.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Area {
    Anon,
    Private,
    Shared,
    Cold,
}

#[derive(Clone, Copy, Debug)]
struct Region {
    area: Area,
    base: u64,
    pages: u64,
}

impl Region {
    fn initial(&self, i: u64, word: u64) -> u64 {
        match self.area {
            Area::Anon => 0,
            Area::Private => file_word(PRIVATE_FILE, i, word),
            Area::Shared => file_word(SHARED_FILE, i, word),
            Area::Cold if cold_word(word) => 0xE0 << 56 | i << 16 | word,
            Area::Cold => 0,
        }
    }
}

/// Whether the forker writes word `word` of each cold page: words 0, 1 and every 64th (a
/// few per page, cheap enough under Miri, spread over the page).
fn cold_word(word: u64) -> bool {
    word < 2 || word.is_multiple_of(64) && word > 0
}

/// One write of a parent thread: the value and the fork epoch read before it started and
/// after it returned (fork `k` runs from epoch `2k + 1` to `2k + 2`).
#[derive(Clone, Copy, Debug)]
struct Write {
    value: u64,
    before: u64,
    after: u64,
}

/// What child `fork` read first at `addr`.
#[derive(Clone, Copy, Debug)]
struct Snapshot {
    fork: u64,
    addr: u64,
    value: u64,
}

type Space<A, S> = AddressSpace<A, S>;

/// Runs the fork stress on a new address space of layout `A`, each process under a new
/// strategy from `new`, and checks it (see the module). Violations seen by the threads are
/// added to the live report's.
///
/// Panics if a region does not fit one leaf table or `config` cannot hold the regions (use
/// [`ForkStressConfig::config`]).
pub fn run<A: Arch + CompareExchange, S: Strategy<A>>(
    new: fn() -> S,
    config: Config,
    st: &ForkStressConfig,
) -> ForkStressReport {
    let threads = st.threads.max(1) as u64;
    let parent = AddressSpace::<A, S>::new(new(), config);
    let ps = parent.page_size();
    let words = parent.words_per_page();
    let geometry = parent.tables().geometry();
    let span = ps * geometry.entries(geometry.levels() - 1);
    let plan = [
        (Area::Anon, st.anon_pages),
        (Area::Private, st.private_pages),
        (Area::Shared, st.shared_pages),
        (Area::Cold, st.cold_pages),
    ];
    let mut regions = Vec::new();
    for (slot, &(area, pages)) in plan.iter().enumerate() {
        if pages == 0 {
            continue;
        }
        let base = (slot as u64 + 1) * span;
        let backing = match area {
            Area::Anon | Area::Cold => Backing::Anonymous,
            Area::Private => Backing::PrivateFile {
                file: PRIVATE_FILE,
                pgoff: 0,
            },
            Area::Shared => Backing::SharedFile {
                file: SHARED_FILE,
                pgoff: 0,
            },
        };
        parent
            .map(base, pages, backing, true)
            .unwrap_or_else(|e| panic!("map {area:?}: {e:?}"));
        regions.push(Region { area, base, pages });
    }
    let probe = (plan.len() as u64 + 1) * span;
    let swap_probe = probe + ps;
    parent
        .map(probe, 2, Backing::Anonymous, true)
        .unwrap_or_else(|e| panic!("map probe: {e:?}"));

    let cold = regions.iter().find(|r| r.area == Area::Cold).copied();
    // The cold pages, written once before any thread reads them.
    let mut early = Vec::new();
    if let Some(r) = &cold {
        for i in 0..r.pages {
            for w in (0..words).filter(|&w| cold_word(w)) {
                let addr = r.base + i * ps + w * 8;
                if let Err(e) = parent.write(addr, r.initial(i, w)) {
                    early.push(Violation::Access { addr, error: e });
                }
            }
        }
    }
    let epoch = AtomicU64::new(0);
    let done = AtomicBool::new(false);
    // Parent operations done (the forker forks at fractions of the total).
    let progress = AtomicU64::new(0);
    let parents_left = AtomicU64::new(threads);
    let found: Mutex<Vec<Violation>> = Mutex::new(early);
    let start = Barrier::new(threads as usize + 1 + st.reclaim as usize);
    let total = threads * st.rounds;

    let (mut parent_mine, mut logs) = (Expected::new(), Vec::new());
    // The children, owned here (the forker is this thread): the strategy need not be Send.
    let mut children: Vec<Space<A, S>> = Vec::new();
    let mut ephemeral: Vec<Space<A, S>> = Vec::new();
    let (mut child_mine, mut snapshots) = (Expected::new(), Vec::new());

    std::thread::scope(|scope| {
        let (parent, regions, epoch, done, progress, found, start) =
            (&parent, &regions, &epoch, &done, &progress, &found, &start);
        let parents_left = &parents_left;
        if st.reclaim {
            scope.spawn(move || {
                start.wait();
                reclaim(&[parent], regions, ps, st.seed ^ 0xEC1A, done);
            });
        }
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    start.wait();
                    let r =
                        parent_thread(parent, t, regions, ps, words, threads, st, epoch, progress);
                    parents_left.fetch_sub(1, Ordering::Relaxed);
                    r
                })
            })
            .collect();

        // The forker.
        start.wait();
        let mut bad = Vec::new();
        for k in 0..u64::from(st.forks) {
            let due = (k + 1) * total / (u64::from(st.forks) + 1);
            while progress.load(Ordering::Relaxed) < due && parents_left.load(Ordering::Relaxed) > 0
            {
                std::thread::yield_now();
            }
            // The probe, written in the parent before the fork.
            let pv = 0xB0 << 56 | k << 8;
            if let Err(e) = parent.write(probe, pv) {
                bad.push(Violation::Access {
                    addr: probe,
                    error: e,
                });
            }
            // The swap probe, written and swapped out: fork copies its swap entry.
            let sv = 0xD0 << 56 | k << 8;
            if let Err(e) = parent.write(swap_probe, sv) {
                bad.push(Violation::Access {
                    addr: swap_probe,
                    error: e,
                });
            }
            if !matches!(parent.swap_out(swap_probe), Reclaim::SwappedOut { .. }) {
                bad.push(Violation::Misuse {
                    what: "the swap probe could not be swapped out",
                    count: 1,
                });
            }
            // Epochs by read-modify-write (AcqRel): a parent write whose epoch RMW comes
            // before this one in the word's order happens-before the fork.
            epoch.fetch_add(1, Ordering::AcqRel);
            let forked = parent.fork_with(new());
            epoch.fetch_add(1, Ordering::AcqRel);
            let child = match forked {
                Ok(c) => c,
                Err(e) => {
                    std::eprintln!("fork {k}: {e:?}");
                    bad.push(Violation::Misuse {
                        what: "fork failed",
                        count: 1,
                    });
                    break;
                }
            };
            // Copy-on-write in the child (map count 2), then reuse in the parent.
            let cv = 0xC0 << 56 | k << 8;
            bad.extend(read_violation(probe, child.read(probe), pv));
            if let Err(e) = child.write(probe, cv) {
                bad.push(Violation::Access {
                    addr: probe,
                    error: e,
                });
            }
            if let Err(e) = parent.write(probe, pv | 1) {
                bad.push(Violation::Access {
                    addr: probe,
                    error: e,
                });
            }
            bad.extend(read_violation(probe, child.read(probe), cv));
            bad.extend(read_violation(probe, parent.read(probe), pv | 1));
            // Both swap the probe in: the first reads a slot two entries name.
            bad.extend(read_violation(swap_probe, child.read(swap_probe), sv));
            bad.extend(read_violation(swap_probe, parent.read(swap_probe), sv));
            // A child that exits at once, while nearly every page is still shared with the
            // parent (whose threads keep going): exit must drop map counts and slot
            // references, never free what the parent maps.
            match parent.fork_with(new()) {
                Ok(e) => {
                    e.exit();
                    ephemeral.push(e);
                }
                Err(e) => {
                    std::eprintln!("fork {k} (exits at once): {e:?}");
                    bad.push(Violation::Misuse {
                        what: "fork failed",
                        count: 1,
                    });
                }
            }
            children.push(child);
            // The child's threads run while the previous child exits (its pages were
            // mapped by three processes since this fork).
            let (prev, this) = match children.as_slice() {
                [.., prev, this] => (Some(prev), this),
                [this] => (None, this),
                [] => unreachable!("just pushed"),
            };
            let (mut mine, s, v) = run_child(this, prev, k, regions, ps, words, threads, st);
            mine.set(probe, cv);
            mine.set(swap_probe, sv);
            child_mine = mine;
            snapshots.extend(s);
            bad.extend(v);
        }
        lock(found).extend(bad);

        let mut panicked = None;
        for w in workers {
            match w.join() {
                Ok((mine, log, v)) => {
                    parent_mine.merge(mine);
                    logs.extend(log);
                    lock(found).extend(v);
                }
                Err(p) => panicked = Some(p),
            }
        }
        done.store(true, Ordering::Relaxed);
        if let Some(p) = panicked {
            std::panic::resume_unwind(p);
        }
    });

    // Each child's first read of a word: one of the parent's values around its fork.
    let mut history: std::collections::BTreeMap<u64, Vec<Write>> = Default::default();
    for (addr, w) in logs {
        history.entry(addr).or_default().push(w);
    }
    let mut bad = lock(&found).split_off(0);
    for s in &snapshots {
        let initial = regions
            .iter()
            .find(|r| s.addr >= r.base && s.addr < r.base + r.pages * ps)
            .map_or(0, |r| r.initial((s.addr - r.base) / ps, (s.addr % ps) / 8));
        let h = history.get(&s.addr).map_or(&[][..], |h| &h[..]);
        if !pre_fork_value(h, initial, s.fork, s.value) {
            bad.push(Violation::Contents {
                addr: s.addr,
                expected: h
                    .iter()
                    .rev()
                    .find(|w| w.before <= 2 * s.fork + 1)
                    .map_or(initial, |w| w.value),
                found: Some(s.value),
            });
        }
    }

    // Words nobody wrote keep their initial contents in the parent.
    for r in regions.iter().filter(|r| r.area != Area::Shared) {
        for i in 0..r.pages {
            for w in [0, words - 1] {
                let addr = r.base + i * ps + w * 8;
                if parent_mine.get(addr).is_none() {
                    parent_mine.set(addr, r.initial(i, w));
                }
            }
        }
    }
    if let Some(r) = &cold {
        for i in 0..r.pages {
            for w in (0..words).filter(|&w| cold_word(w)) {
                let addr = r.base + i * ps + w * 8;
                parent_mine.set(addr, r.initial(i, w));
                child_mine.set(addr, r.initial(i, w));
            }
        }
    }
    if let Some(last) = children.len().checked_sub(1) {
        // The probe's last value in the parent: the forker's write after the last fork.
        parent_mine.set(probe, 0xB0 << 56 | (last as u64) << 8 | 1);
        parent_mine.set(swap_probe, 0xD0 << 56 | (last as u64) << 8);
    }
    let none = Expected::new();
    let mut set: Vec<(&Space<A, S>, &Expected)> = vec![(&parent, &parent_mine)];
    set.extend(ephemeral.iter().map(|e| (e, &none)));
    for (i, c) in children.iter().enumerate() {
        let e = if i + 1 == children.len() {
            &child_mine
        } else {
            &none
        };
        set.push((c, e));
    }
    let mut live = AddressSpace::check_set(&set);
    live.violations.extend(bad);
    // The parent and the last child (the others exited already).
    parent.exit();
    if let Some(last) = children.last() {
        last.exit();
    }
    let empty: Vec<(&Space<A, S>, &Expected)> = set.iter().map(|(s, _)| (*s, &none)).collect();
    let mut after_exit = AddressSpace::check_set(&empty);
    let (pool, swap) = (parent.pool().counts(), parent.swap().counts());
    if pool.anon != 0 {
        after_exit.violations.push(Violation::Misuse {
            what: "anonymous frames left after every process exited",
            count: pool.anon,
        });
    }
    if swap.ready + swap.reserved != 0 {
        after_exit.violations.push(Violation::Misuse {
            what: "swap slots left after every process exited",
            count: swap.ready + swap.reserved,
        });
    }
    ForkStressReport { live, after_exit }
}

/// Whether `value`, a child of fork `k`'s first read of a word whose parent writes were
/// `h` (in order), is one of the pre-fork contents: not older than the last write that
/// returned before fork began (epoch `2k + 1`), not newer than the last write that began
/// before it returned (epoch `2k + 2`).
fn pre_fork_value(h: &[Write], initial: u64, k: u64, value: u64) -> bool {
    let began = 2 * k + 1;
    let lo = h.iter().rposition(|w| w.after < began);
    let hi = h.iter().rposition(|w| w.before <= began);
    let from = lo.unwrap_or(0);
    if lo.is_none() && value == initial {
        return true;
    }
    match hi {
        Some(hi) if from <= hi => h[from..=hi].iter().any(|w| w.value == value),
        _ => false,
    }
}

/// A parent thread: its own words of the anon and private regions written (values
/// increasing) and read back, the shared region written and read unchecked. Returns its last
/// writes, its write log (address, write) and what it found wrong.
#[allow(clippy::too_many_arguments)]
fn parent_thread<A: Arch + CompareExchange, S: Strategy<A>>(
    space: &Space<A, S>,
    t: u64,
    regions: &[Region],
    ps: u64,
    words: u64,
    threads: u64,
    st: &ForkStressConfig,
    epoch: &AtomicU64,
    progress: &AtomicU64,
) -> (Expected, Vec<(u64, Write)>, Vec<Violation>) {
    let mut rng = Rng::new(st.seed ^ (t + 1) << 32);
    let mut mine = Expected::new();
    let mut log = Vec::new();
    let mut bad = Vec::new();
    let own_words = words.saturating_sub(t).div_ceil(threads).max(1);
    for round in 0..st.rounds {
        progress.fetch_add(1, Ordering::Relaxed);
        if round % 32 == 31 {
            std::thread::yield_now();
        }
        let r = regions[rng.below(regions.len() as u64) as usize];
        let i = rng.below(r.pages);
        let page = r.base + i * ps;
        if r.area == Area::Cold {
            // Read only (swapped back in if reclaimed: fork shares it again).
            let w = [0, 1, 64.min(words - 1)][rng.below(3) as usize];
            let addr = page + w * 8;
            bad.extend(read_violation(addr, space.read(addr), r.initial(i, w)));
            continue;
        }
        if r.area == Area::Shared {
            let addr = page + rng.below(words) * 8;
            let res = if rng.below(2) == 0 {
                space.read(addr).map(|_| ())
            } else {
                space.write(addr, (t + 1) << 56 | round)
            };
            if let Err(e) = res {
                bad.push(Violation::Access { addr, error: e });
            }
            continue;
        }
        let w = t + rng.below(own_words) * threads;
        if w >= words {
            continue;
        }
        let addr = page + w * 8;
        let want = mine.get(addr).unwrap_or_else(|| r.initial(i, w));
        if rng.below(2) == 0 {
            bad.extend(read_violation(addr, space.read(addr), want));
        } else {
            let value = (t + 1) << 56 | (round + 1) << 8;
            // Acquire: an epoch of 2k + 2 read here means fork k returned before this write
            // starts (its RMW released the copy).
            let before = epoch.load(Ordering::Acquire);
            let res = space.write(addr, value);
            // An RMW (AcqRel), not a load: if it comes before the forker's in the epoch's
            // order, the write happens-before the fork that follows.
            let after = epoch.fetch_add(0, Ordering::AcqRel);
            match res {
                Ok(()) => {
                    mine.set(addr, value);
                    log.push((
                        addr,
                        Write {
                            value,
                            before,
                            after,
                        },
                    ));
                }
                Err(e) => bad.push(Violation::Access { addr, error: e }),
            }
        }
    }
    // The final sweep: one own word of every page reads back.
    for r in regions
        .iter()
        .filter(|r| matches!(r.area, Area::Anon | Area::Private))
    {
        for i in 0..r.pages {
            if t >= words {
                continue;
            }
            let addr = r.base + i * ps + t * 8;
            let want = mine.get(addr).unwrap_or_else(|| r.initial(i, t));
            bad.extend(read_violation(addr, space.read(addr), want));
        }
    }
    (mine, log, bad)
}

/// Child `k`'s threads: each reads and writes its own words of its copy, checking that a
/// word reads what it read first until the thread writes it, then its own last write. The
/// previous child (if any) exits meanwhile, and a reclaimer works on both. Returns the
/// expected contents (snapshots and own writes), the snapshots and what was found wrong.
#[allow(clippy::too_many_arguments)]
fn run_child<A: Arch + CompareExchange, S: Strategy<A>>(
    child: &Space<A, S>,
    prev: Option<&Space<A, S>>,
    k: u64,
    regions: &[Region],
    ps: u64,
    words: u64,
    threads: u64,
    st: &ForkStressConfig,
) -> (Expected, Vec<Snapshot>, Vec<Violation>) {
    let mut expected = Expected::new();
    let mut snaps = Vec::new();
    let mut bad = Vec::new();
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let done = &done;
        if st.reclaim {
            scope.spawn(move || {
                let spaces: Vec<&Space<A, S>> = [Some(child), prev].into_iter().flatten().collect();
                reclaim(&spaces, regions, ps, st.seed ^ 0xC1 ^ k << 8, done);
            });
        }
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || child_thread(child, k, t, regions, ps, words, threads, st))
            })
            .collect();
        if let Some(p) = prev {
            p.exit();
        }
        for h in handles {
            match h.join() {
                Ok((known, s, b)) => {
                    expected.merge(known);
                    snaps.extend(s);
                    bad.extend(b);
                }
                Err(p) => {
                    done.store(true, Ordering::Relaxed);
                    std::panic::resume_unwind(p)
                }
            }
        }
        done.store(true, Ordering::Relaxed);
    });
    (expected, snaps, bad)
}

/// One thread of child `k` (see [`run_child`]).
#[allow(clippy::too_many_arguments)]
fn child_thread<A: Arch + CompareExchange, S: Strategy<A>>(
    child: &Space<A, S>,
    k: u64,
    t: u64,
    regions: &[Region],
    ps: u64,
    words: u64,
    threads: u64,
    st: &ForkStressConfig,
) -> (Expected, Vec<Snapshot>, Vec<Violation>) {
    let mut rng = Rng::new(st.seed ^ (k + 1) << 40 ^ (t + 1) << 20);
    let mut known = Expected::new();
    let mut snaps = Vec::new();
    let mut bad = Vec::new();
    let own_words = words.saturating_sub(t).div_ceil(threads).max(1);
    let mut access = |addr: u64, write: Option<u64>, bad: &mut Vec<Violation>| match write {
        Some(v) => match child.write(addr, v) {
            Ok(()) => known.set(addr, v),
            Err(e) => bad.push(Violation::Access { addr, error: e }),
        },
        None => match (child.read(addr), known.get(addr)) {
            (Err(e), _) => bad.push(Violation::Access { addr, error: e }),
            (Ok(v), Some(want)) if v != want => bad.push(Violation::Contents {
                addr,
                expected: want,
                found: Some(v),
            }),
            (Ok(_), Some(_)) => {}
            (Ok(v), None) => {
                known.set(addr, v);
                snaps.push(Snapshot {
                    fork: k,
                    addr,
                    value: v,
                });
            }
        },
    };
    // First a read of one own word of every page: the pre-fork contents (a swap-in of the
    // slot fork shared among them).
    for r in regions
        .iter()
        .filter(|r| matches!(r.area, Area::Anon | Area::Private))
    {
        for i in 0..r.pages {
            if t < words {
                access(r.base + i * ps + t * 8, None, &mut bad);
            }
        }
    }
    for round in 0..st.child_rounds {
        if round % 32 == 31 {
            std::thread::yield_now();
        }
        let r = regions[rng.below(regions.len() as u64) as usize];
        let i = rng.below(r.pages);
        let page = r.base + i * ps;
        if r.area == Area::Cold {
            // Read only: the page stays shared with the parent (and the other children).
            let w = [0, 1, 64.min(words - 1)][rng.below(3) as usize];
            let addr = page + w * 8;
            bad.extend(read_violation(addr, child.read(addr), r.initial(i, w)));
            continue;
        }
        if r.area == Area::Shared {
            let addr = page + rng.below(words) * 8;
            let res = if rng.below(2) == 0 {
                child.read(addr).map(|_| ())
            } else {
                child.write(addr, 0x80 << 56 | k << 48 | round)
            };
            if let Err(e) = res {
                bad.push(Violation::Access { addr, error: e });
            }
            continue;
        }
        let w = t + rng.below(own_words) * threads;
        if w >= words {
            continue;
        }
        let value = (0x40 | (t + 1)) << 56 | (k + 1) << 44 | (round + 1) << 8;
        let write = (rng.below(2) == 0).then_some(value);
        access(page + w * 8, write, &mut bad);
    }
    (known, snaps, bad)
}

/// The reclaimer: swap-out (3 in 4) and `clear_young` of random pages of random spaces of
/// `spaces`, until `done`.
fn reclaim<A: Arch + CompareExchange, S: Strategy<A>>(
    spaces: &[&Space<A, S>],
    regions: &[Region],
    ps: u64,
    seed: u64,
    done: &AtomicBool,
) {
    let mut rng = Rng::new(seed);
    while !done.load(Ordering::Relaxed) {
        let space = spaces[rng.below(spaces.len() as u64) as usize];
        let r = regions[rng.below(regions.len() as u64) as usize];
        let page = r.base + rng.below(r.pages) * ps;
        if rng.below(4) == 0 {
            space.clear_young(page);
        } else {
            space.swap_out(page);
        }
        // A reclaimer that never pauses can starve a faulting thread.
        std::thread::yield_now();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What is wrong with `read`, the result of reading `addr`, where `want` was expected.
fn read_violation(addr: u64, read: Result<u64, AccessError>, want: u64) -> Option<Violation> {
    match read {
        Ok(v) if v == want => None,
        Ok(v) => Some(Violation::Contents {
            addr,
            expected: want,
            found: Some(v),
        }),
        Err(e) => Some(Violation::Access { addr, error: e }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(value: u64, before: u64, after: u64) -> Write {
        Write {
            value,
            before,
            after,
        }
    }

    #[test]
    fn pre_fork_values_are_bounded_by_the_epochs() {
        // Fork 0 runs from epoch 1 to 2: 10 returned before, 11 overlapped, 12 began after.
        let h = [w(10, 0, 0), w(11, 1, 1), w(12, 2, 2)];
        assert!(
            !pre_fork_value(&h, 0, 0, 0),
            "older than a write done before fork"
        );
        assert!(pre_fork_value(&h, 0, 0, 10));
        assert!(pre_fork_value(&h, 0, 0, 11));
        assert!(
            !pre_fork_value(&h, 0, 0, 12),
            "a write begun after fork returned"
        );
        // Nothing written before: the initial contents, or a write that overlapped.
        let h = [w(11, 0, 1), w(12, 2, 2)];
        assert!(pre_fork_value(&h, 7, 0, 7));
        assert!(pre_fork_value(&h, 7, 0, 11));
        assert!(!pre_fork_value(&h, 7, 0, 12));
        assert!(pre_fork_value(&[], 7, 3, 7));
        assert!(!pre_fork_value(&[], 7, 3, 8));
    }
}
