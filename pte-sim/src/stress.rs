//! A multi-threaded run: user threads fault and access memory while reclaim, zap, remap and
//! the MMU's own accessed/dirty updates race with them; then [`AddressSpace::check`].
//!
//! One run exercises every fault kind the layout supports ([`StressConfig::kinds`]). Five
//! regions, each at the start of its own leaf table (faults in different regions take
//! different split locks; the first touches race to populate the tables):
//! * **owned** (anonymous, values checked): word `w` of every page belongs to worker
//!   `w % threads`; a worker writes its words and reads them back, and every read must
//!   return its own last write, across swap-outs and swap-ins by the reclaimer;
//! * **shared file** (file [`SHARED_FILE`], values checked the same way, in the page cache):
//!   reclaim unmaps the pages, faults map them again (`nopage`);
//! * **private file** (file [`PRIVATE_FILE`], `MAP_PRIVATE`): a read maps the page-cache page
//!   read-only, a write copies it (copy-on-write, or a direct private copy on an empty
//!   entry); the file itself is never written. Even pages are shared by word like the owned
//!   region (workers race to copy the same page); odd pages belong to one worker, which
//!   checks every word (its own writes, the file's pattern elsewhere) and now and then
//!   discards its copy (`MADV_DONTNEED`), so the read-only → copy cycle repeats;
//! * **nonlinear** (file [`NONLINEAR_FILE`], layouts with file entries only): a shared
//!   mapping whose pages are remapped by [`remap_file_pages`](AddressSpace::remap_file_pages)
//!   to [`nonlinear_pgoff`] (backwards, never the linear page), checked by word against that
//!   page's pattern; reclaim leaves file entries behind and the reclaimer re-remaps pages
//!   under the faults;
//! * **contended** (anonymous, values not checked): every worker reads and writes random
//!   words of the same few pages while a zapper clears them, so installs race each other
//!   and the zap (lost races, frees, refaults).
//!
//! The reclaimer swaps out (or unmaps), ages (`clear_young`) and re-remaps random pages of
//! every region. The MMU sets accessed/dirty itself where the layout's hardware does (x86;
//! aarch64 with HAFDBS), with one compare-and-swap that honours no software lock; elsewhere
//! the accesses take software accessed/dirty faults.
//!
//! Each thread is bound to its own simulated CPU ([`bind_cpu`](crate::bind_cpu): worker `t`
//! to CPU `t`, then the reclaimer and the zapper), so with the TLBs on
//! ([`Config::tlb`], the default) every worker reads and writes through its own cached
//! translations, and every reclaim, zap, remap and copy-on-write must shoot them down.
//!
//! After its rounds each worker waits (boundedly) until the reclaimer has swapped out an
//! owned page, then sweeps: it reads back one of its words on every page it may touch (so at
//! least one swap-in happens even in a short run) and, unless the run already copied on
//! write, discards one of its own private pages, reads it and writes it (a copy-on-write).
//! Finally a few never-written words of every checked page are added to the expected
//! contents (zero, or the pattern of the file page the address maps).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Barrier, Mutex};

use super::cache::file_word;
use super::check::{Expected, Report, Violation};
use super::scenarios::hardware_sets_ad;
use super::space::{AccessError, AddressSpace, Config, Reclaim, SpaceCounts};
use pte_core::Arch;
use pte_core::CompareExchange;
use pte_core::fault::{Backing, Resolved, Strategy};

/// The file the shared-file region maps.
pub const SHARED_FILE: u32 = 0;
/// The file the private-file region maps.
pub const PRIVATE_FILE: u32 = 1;
/// The file the nonlinear region maps (twice as many pages as the region).
pub const NONLINEAR_FILE: u32 = 2;

/// The shape of a stress run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StressConfig {
    /// User threads.
    pub threads: usize,
    /// Operations per user thread.
    pub rounds: u64,
    /// Pages of the owned (value-checked) anonymous region.
    pub owned_pages: u64,
    /// Pages of the shared file region (file [`SHARED_FILE`] must have at least this many).
    pub file_pages: u64,
    /// Pages of the private file region (file [`PRIVATE_FILE`] must have at least this
    /// many). Worker 0 owns page 1, so with 2 or more the final sweep makes sure of a
    /// copy-on-write.
    pub private_pages: u64,
    /// Pages of the nonlinear region (file [`NONLINEAR_FILE`] must have twice this many);
    /// ignored on layouts without file entries.
    pub nonlinear_pages: u64,
    /// Pages of the contended region.
    pub contended_pages: u64,
    /// Run a reclaimer thread (swap-out, unmap, `clear_young`, re-remap).
    pub reclaim: bool,
    /// Run a zapper thread on the contended region.
    pub zap: bool,
    /// Seed of the threads' random choices.
    pub seed: u64,
}

impl Default for StressConfig {
    fn default() -> Self {
        StressConfig {
            threads: 4,
            rounds: 2000,
            owned_pages: 8,
            file_pages: 4,
            private_pages: 4,
            nonlinear_pages: 4,
            contended_pages: 2,
            reclaim: true,
            zap: true,
            seed: 0x5eed,
        }
    }
}

impl StressConfig {
    /// A [`Config`] with room for this run: every page resident (page-cache pages and
    /// private copies both) plus a margin for the frames in flight, a swap slot per
    /// anonymous page, tables for the regions, the three files.
    pub fn config(&self) -> Config {
        let anon = self.owned_pages + self.private_pages + self.contended_pages;
        let cache = self.file_pages + self.private_pages + self.nonlinear_pages;
        Config {
            frames: (anon + cache + 4 * self.threads as u64 + 8) as usize,
            swap_slots: (anon + 4) as usize,
            max_tables: 32,
            file_pages: vec![
                self.file_pages.max(1),
                self.private_pages.max(1),
                (2 * self.nonlinear_pages).max(1),
            ],
            ..Config::default()
        }
    }

    /// The fault kinds a run of this shape on layout `A` resolves (given enough rounds):
    /// anonymous, file (`nopage`), copy-on-write, swap-in, nonlinear (layouts with file
    /// entries) and software accessed/dirty (where the MMU does not set them: ia64, aarch64
    /// without HAFDBS or before 4.x).
    pub fn kinds<A: Arch>(&self, hafdbs: bool) -> Vec<Resolved> {
        let nonlinear = if A::LAYOUT.file.is_some() {
            self.nonlinear_pages
        } else {
            0
        };
        let anon = self.owned_pages + self.contended_pages;
        let any = anon + self.file_pages + self.private_pages + nonlinear > 0;
        let mut kinds = Vec::new();
        if anon > 0 {
            kinds.push(Resolved::Anonymous);
        }
        if self.file_pages + self.private_pages > 0 {
            kinds.push(Resolved::File);
        }
        if self.private_pages > 0 {
            kinds.push(Resolved::CopyOnWrite);
        }
        if self.reclaim && anon + self.private_pages > 0 {
            kinds.push(Resolved::SwapIn);
        }
        if nonlinear > 0 {
            kinds.push(Resolved::Nonlinear);
        }
        if any && !hardware_sets_ad::<A>(hafdbs) {
            kinds.push(Resolved::AccessDirty);
        }
        kinds
    }

    /// The kinds of [`kinds`](Self::kinds) that `report` never resolved.
    pub fn missing_kinds<A: Arch>(&self, hafdbs: bool, report: &Report) -> Vec<Resolved> {
        self.kinds::<A>(hafdbs)
            .into_iter()
            .filter(|&k| resolved(&report.space, k) == 0)
            .collect()
    }
}

/// How many faults of `kind` the counters record.
pub fn resolved(counts: &SpaceCounts, kind: Resolved) -> u64 {
    match kind {
        Resolved::Anonymous => counts.anonymous,
        Resolved::File => counts.file,
        Resolved::CopyOnWrite => counts.copy_on_write,
        Resolved::Reused => counts.reused,
        Resolved::SwapIn => counts.swap_in,
        Resolved::Nonlinear => counts.nonlinear,
        Resolved::AccessDirty => counts.access_dirty,
        Resolved::AlreadyDone => counts.already_done,
    }
}

/// The file page that page `i` of an `n`-page nonlinear region is remapped to: backwards
/// from the end of a `2n`-page file, so that no page maps its linear pgoff (reclaim then
/// always leaves a file entry behind).
pub fn nonlinear_pgoff(n: u64, i: u64) -> u64 {
    2 * n - 1 - i
}

/// The worker owning page `i` of the private region: even pages are shared by word (`None`),
/// odd pages belong to one worker.
fn private_owner(i: u64, threads: u64) -> Option<u64> {
    (i % 2 == 1).then_some((i / 2) % threads)
}

/// How long a worker waits for the reclaimer before its final sweep (yields).
const SWEEP_WAIT_YIELDS: u32 = 100_000;

/// xorshift64*: the threads' random choices, reproducible from the seed.
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
    Owned,
    Shared,
    Private,
    Nonlinear,
    Contended,
}

#[derive(Clone, Copy, Debug)]
struct Region {
    area: Area,
    base: u64,
    pages: u64,
    /// Relative frequency of the workers' operations on the region.
    weight: u64,
}

impl Region {
    /// What word `word` of page `i` holds before anyone writes it.
    fn initial(&self, i: u64, word: u64) -> u64 {
        match self.area {
            Area::Owned | Area::Contended => 0,
            Area::Shared => file_word(SHARED_FILE, i, word),
            Area::Private => file_word(PRIVATE_FILE, i, word),
            Area::Nonlinear => file_word(NONLINEAR_FILE, nonlinear_pgoff(self.pages, i), word),
        }
    }
}

/// Runs the stress test on a new address space of layout `A` under `strategy`, and checks
/// it. Violations seen by the threads (a read that did not return the thread's own last
/// write or the file's pattern, an access error, a failed remap) are added to the report's.
///
/// Panics if a region does not fit one leaf table, or if `config` cannot hold the regions
/// (use [`StressConfig::config`]).
pub fn run<A: Arch + CompareExchange, S: Strategy<A>>(
    strategy: S,
    config: Config,
    stress: &StressConfig,
) -> Report {
    let threads = stress.threads.max(1) as u64;
    let space = AddressSpace::<A, S>::new(strategy, config);
    let ps = space.page_size();
    let words = space.words_per_page();
    let geometry = space.tables().geometry();
    let leaf_entries = geometry.entries(geometry.levels() - 1);
    let span = ps * leaf_entries;
    let nonlinear_pages = if A::LAYOUT.file.is_some() {
        stress.nonlinear_pages
    } else {
        0
    };
    let plan = [
        (Area::Owned, stress.owned_pages, 3),
        (Area::Shared, stress.file_pages, 2),
        (Area::Private, stress.private_pages, 2),
        (Area::Nonlinear, nonlinear_pages, 2),
        (Area::Contended, stress.contended_pages, 2),
    ];
    let mut regions = Vec::new();
    for (slot, &(area, pages, weight)) in plan.iter().enumerate() {
        if pages == 0 {
            continue;
        }
        assert!(pages <= leaf_entries, "a region must fit one leaf table");
        // Leaf table 0 stays empty (no mapping at address 0).
        let base = (slot as u64 + 1) * span;
        let backing = match area {
            Area::Owned | Area::Contended => Backing::Anonymous,
            Area::Shared => Backing::SharedFile {
                file: SHARED_FILE,
                pgoff: 0,
            },
            Area::Private => Backing::PrivateFile {
                file: PRIVATE_FILE,
                pgoff: 0,
            },
            Area::Nonlinear => Backing::SharedFile {
                file: NONLINEAR_FILE,
                pgoff: 0,
            },
        };
        space
            .map(base, pages, backing, true)
            .unwrap_or_else(|e| panic!("map {area:?}: {e:?}"));
        if area == Area::Nonlinear {
            for i in 0..pages {
                space
                    .remap_file_pages(base + i * ps, 1, nonlinear_pgoff(pages, i))
                    .unwrap_or_else(|e| panic!("remap_file_pages: {e:?}"));
            }
        }
        regions.push(Region {
            area,
            base,
            pages,
            weight,
        });
    }
    let total_weight: u64 = regions.iter().map(|r| r.weight).sum();
    let contended = regions.iter().find(|r| r.area == Area::Contended).copied();
    let done = AtomicBool::new(false);
    // Owned pages the reclaimer swapped out: nobody zaps those, so the final sweep swaps
    // at least one back in.
    let owned_swapped = AtomicU64::new(0);
    let reclaimer = stress.reclaim && !regions.is_empty();
    let zapper = stress.zap && contended.is_some();
    // Everyone starts together, so the first touches race and the writers run throughout.
    let start = Barrier::new(threads as usize + reclaimer as usize + zapper as usize);
    let found: Mutex<Vec<Violation>> = Mutex::new(Vec::new());
    let mut expected = Expected::new();

    std::thread::scope(|scope| {
        if reclaimer {
            let (space, done, regions, start, found, owned_swapped) =
                (&space, &done, &regions, &start, &found, &owned_swapped);
            scope.spawn(move || {
                // One simulated CPU (and TLB) per thread: workers 0.., then the helpers.
                crate::bind_cpu(threads as usize);
                start.wait();
                let mut rng = Rng::new(stress.seed ^ 0xEC1A);
                while !done.load(Ordering::Relaxed) {
                    let r = regions[rng.below(regions.len() as u64) as usize];
                    let i = rng.below(r.pages);
                    let page = r.base + i * ps;
                    match rng.below(8) {
                        0 | 1 => {
                            space.clear_young(page);
                        }
                        2 if r.area == Area::Nonlinear => {
                            // Re-remap to the same pgoff: whatever the entry holds (a page
                            // being faulted in, written, aged) becomes the file entry again.
                            if let Err(e) =
                                space.remap_file_pages(page, 1, nonlinear_pgoff(r.pages, i))
                            {
                                std::eprintln!("remap_file_pages({page:#x}): {e:?}");
                                lock(found).push(Violation::Misuse {
                                    what: "remap_file_pages failed during the run",
                                    count: 1,
                                });
                            }
                        }
                        _ => {
                            let out = space.swap_out(page);
                            if r.area == Area::Owned && matches!(out, Reclaim::SwappedOut { .. }) {
                                owned_swapped.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                    // A reclaimer or zapper that never pauses can starve a faulting thread
                    // (each fault undone before the access retries): not what is measured.
                    std::thread::yield_now();
                }
            });
        }
        if let Some(c) = contended.filter(|_| zapper) {
            let (space, done, start) = (&space, &done, &start);
            scope.spawn(move || {
                crate::bind_cpu(threads as usize + 1);
                start.wait();
                let mut rng = Rng::new(stress.seed ^ 0x2A9);
                while !done.load(Ordering::Relaxed) {
                    space.zap(c.base + rng.below(c.pages) * ps);
                    std::thread::yield_now();
                }
            });
        }
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (space, found, start, regions, owned_swapped) =
                    (&space, &found, &start, &regions, &owned_swapped);
                scope.spawn(move || {
                    crate::bind_cpu(t as usize);
                    start.wait();
                    let mut rng = Rng::new(stress.seed ^ (t + 1) << 32);
                    let mut mine = Expected::new();
                    let mut bad = Vec::new();
                    // Own word slots: w ≡ t (mod threads).
                    let own_words = words.saturating_sub(t).div_ceil(threads).max(1);
                    // The private pages this worker touches: the shared ones and its own.
                    let private_pages = regions
                        .iter()
                        .find(|r| r.area == Area::Private)
                        .map_or(0, |r| r.pages);
                    let private: Vec<u64> = (0..private_pages)
                        .filter(|&i| private_owner(i, threads).is_none_or(|o| o == t))
                        .collect();
                    for round in 0..stress.rounds {
                        if round % 32 == 31 {
                            // Let the reclaimer and the zapper in, even on few cores.
                            std::thread::yield_now();
                        }
                        let mut pick = rng.below(total_weight);
                        let Some(&r) = regions.iter().find(|r| {
                            let hit = pick < r.weight;
                            pick = pick.saturating_sub(r.weight);
                            hit
                        }) else {
                            break; // no region at all
                        };
                        let i = match r.area {
                            Area::Private => private[rng.below(private.len() as u64) as usize],
                            _ => rng.below(r.pages),
                        };
                        let page = r.base + i * ps;
                        let w = match r.area {
                            Area::Contended => {
                                let addr = page + rng.below(words) * 8;
                                let res = if rng.below(2) == 0 {
                                    space.read(addr).map(|_| ())
                                } else {
                                    space.write(addr, t << 48 | round)
                                };
                                if let Err(e) = res {
                                    bad.push(access_violation(addr, e));
                                }
                                continue;
                            }
                            Area::Private if private_owner(i, threads).is_some() => {
                                if rng.below(8) == 0 {
                                    // MADV_DONTNEED on its own page: the copy is dropped, the
                                    // next read maps the file page again.
                                    space.zap(page);
                                    mine.forget_range(page, page + ps);
                                    continue;
                                }
                                rng.below(words)
                            }
                            _ => t + rng.below(own_words) * threads,
                        };
                        if w >= words {
                            continue;
                        }
                        let addr = page + w * 8;
                        let want = mine.get(addr).unwrap_or_else(|| r.initial(i, w));
                        if rng.below(2) == 0 {
                            bad.extend(read_violation(addr, space.read(addr), want));
                        } else {
                            let v = (t + 1) << 56 | round << 16 | w;
                            match space.write(addr, v) {
                                Ok(()) => mine.set(addr, v),
                                Err(e) => bad.push(access_violation(addr, e)),
                            }
                        }
                    }
                    // The final sweep: wait (boundedly) until the reclaimer swapped out an
                    // owned page, then read back one own word of every page.
                    if reclaimer && regions.iter().any(|r| r.area == Area::Owned) {
                        for _ in 0..SWEEP_WAIT_YIELDS {
                            if owned_swapped.load(Ordering::Relaxed) > 0 {
                                break;
                            }
                            std::thread::yield_now();
                        }
                    }
                    for r in regions.iter().filter(|r| r.area != Area::Contended) {
                        let pages = match r.area {
                            Area::Private => private.clone(),
                            _ => (0..r.pages).collect(),
                        };
                        for i in pages {
                            // Word t is this worker's, except on its own private pages
                            // (all words are).
                            let mine_all =
                                r.area == Area::Private && private_owner(i, threads) == Some(t);
                            let w = if mine_all { 0 } else { t };
                            if w >= words {
                                continue;
                            }
                            let addr = r.base + i * ps + w * 8;
                            let want = mine.get(addr).unwrap_or_else(|| r.initial(i, w));
                            bad.extend(read_violation(addr, space.read(addr), want));
                        }
                    }
                    // One read-only → copy cycle on an own private page, unless the run
                    // already copied on write (a few tries: reclaim may unmap the read-only
                    // page between the read and the write).
                    let own_private = private
                        .iter()
                        .map(|&i| (i, regions.iter().find(|r| r.area == Area::Private)))
                        .find(|&(i, _)| private_owner(i, threads) == Some(t));
                    if let Some((i, Some(r))) = own_private {
                        let page = r.base + i * ps;
                        for _ in 0..4 {
                            if space.counts().copy_on_write > 0 {
                                break;
                            }
                            space.zap(page);
                            mine.forget_range(page, page + ps);
                            bad.extend(read_violation(page, space.read(page), r.initial(i, 0)));
                            let v = (t + 1) << 56 | stress.rounds << 16;
                            match space.write(page, v) {
                                Ok(()) => mine.set(page, v),
                                Err(e) => bad.push(access_violation(page, e)),
                            }
                        }
                    }
                    lock(found).extend(bad);
                    mine
                })
            })
            .collect();
        let mut panicked = None;
        for w in workers {
            match w.join() {
                Ok(mine) => expected.merge(mine),
                Err(p) => panicked = Some(p),
            }
        }
        // Stop the helpers before re-raising a worker's panic, or the scope never ends.
        done.store(true, Ordering::Relaxed);
        if let Some(p) = panicked {
            std::panic::resume_unwind(p);
        }
    });

    // Words nobody wrote (last) must still hold what they started with: zero, or the
    // pattern of the file page the address maps (its remapped pgoff if nonlinear). A few
    // per page.
    for r in regions.iter().filter(|r| r.area != Area::Contended) {
        for i in 0..r.pages {
            for w in [0, 1, words / 2, words - 1] {
                let addr = r.base + i * ps + w * 8;
                if expected.get(addr).is_none() {
                    expected.set(addr, r.initial(i, w));
                }
            }
        }
    }
    let mut report = space.check(&expected);
    report.violations.extend(lock(&found).drain(..));
    report
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn access_violation(addr: u64, e: AccessError) -> Violation {
    Violation::Access { addr, error: e }
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
        Err(e) => Some(access_violation(addr, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonlinear_pages_never_map_their_linear_pgoff() {
        for n in 1..20 {
            let mut seen: Vec<u64> = (0..n).map(|i| nonlinear_pgoff(n, i)).collect();
            assert!(
                seen.iter()
                    .enumerate()
                    .all(|(i, &p)| p != i as u64 && p < 2 * n)
            );
            seen.sort_unstable();
            seen.dedup();
            assert_eq!(seen.len() as u64, n, "distinct pages");
        }
    }

    #[test]
    fn private_pages_alternate_shared_and_owned() {
        let owners: Vec<_> = (0..6).map(|i| private_owner(i, 2)).collect();
        assert_eq!(
            owners,
            [None, Some(0), None, Some(1), None, Some(0)],
            "{owners:?}"
        );
    }
}
