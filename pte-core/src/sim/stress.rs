//! A multi-threaded run: user threads fault and access memory while reclaim, zap and the
//! MMU's own accessed/dirty updates race with them; then [`AddressSpace::check`].
//!
//! Three regions:
//! * **owned** (anonymous, values checked): word `w` of every page belongs to worker
//!   `w % threads`; a worker writes its words and reads them back, and every read must
//!   return its own last write, across swap-outs and swap-ins by the reclaimer;
//! * **shared file** (values checked the same way, in the page cache): reclaim unmaps the
//!   pages, faults map them again;
//! * **contended** (anonymous, values not checked): every worker reads and writes random
//!   words of the same few pages while a zapper clears them, so installs race each other
//!   and the zap (lost races, frees, refaults).
//!
//! The reclaimer swaps out, unmaps and ages (`clear_young`) random pages of every region.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Barrier, Mutex};
use std::vec::Vec;

use super::cache::file_word;
use super::check::{Expected, Report, Violation};
use super::space::{AddressSpace, Config};
use crate::Cmpxchg;
use crate::fault::{Backing, Strategy};
use crate::pte::Arch;

/// The shape of a stress run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StressConfig {
    /// User threads.
    pub threads: usize,
    /// Operations per user thread.
    pub rounds: u64,
    /// Pages of the owned (value-checked) anonymous region.
    pub owned_pages: u64,
    /// Pages of the shared file region (file 0 must have at least this many).
    pub file_pages: u64,
    /// Pages of the contended region.
    pub contended_pages: u64,
    /// Run a reclaimer thread (swap-out, unmap, `clear_young`).
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
            contended_pages: 2,
            reclaim: true,
            zap: true,
            seed: 0x5eed,
        }
    }
}

impl StressConfig {
    /// A [`Config`] with room for this run: every page resident plus a margin for the
    /// frames in flight, a swap slot per anonymous page, tables for the regions.
    pub fn config(&self) -> Config {
        let pages = self.owned_pages + self.file_pages + self.contended_pages;
        Config {
            frames: (pages + 4 * self.threads as u64 + 8) as usize,
            swap_slots: (self.owned_pages + self.contended_pages + 4) as usize,
            max_tables: 32,
            file_pages: std::vec![self.file_pages.max(1)],
            ..Config::default()
        }
    }
}

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

/// Runs the stress test on a new address space of layout `A` under `strategy`, and checks
/// it. Violations seen by the workers (a read that did not return their own last write, an
/// access error) are added to the report's.
pub fn run<A: Arch + Cmpxchg, S: Strategy<A>>(
    strategy: S,
    config: Config,
    stress: &StressConfig,
) -> Report {
    let threads = stress.threads.max(1) as u64;
    let space = AddressSpace::<A, S>::new(strategy, config);
    let ps = space.page_size();
    let words = space.words_per_page();
    let owned = 16 * ps;
    let file = owned + (stress.owned_pages + 16) * ps;
    let contended = file + (stress.file_pages + 16) * ps;
    let mut regions = Vec::new();
    if stress.owned_pages > 0 {
        space
            .map(owned, stress.owned_pages, Backing::Anonymous, true)
            .expect("map owned");
        regions.push((owned, stress.owned_pages));
    }
    if stress.file_pages > 0 {
        space
            .map(
                file,
                stress.file_pages,
                Backing::SharedFile { file: 0, pgoff: 0 },
                true,
            )
            .expect("map file");
        regions.push((file, stress.file_pages));
    }
    if stress.contended_pages > 0 {
        space
            .map(contended, stress.contended_pages, Backing::Anonymous, true)
            .expect("map contended");
        regions.push((contended, stress.contended_pages));
    }
    let done = AtomicBool::new(false);
    let reclaimer = stress.reclaim && !regions.is_empty();
    let zapper = stress.zap && stress.contended_pages > 0;
    // Everyone starts together, so the first touches race and the writers run throughout.
    let start = Barrier::new(threads as usize + reclaimer as usize + zapper as usize);
    let found: Mutex<Vec<Violation>> = Mutex::new(Vec::new());
    let mut expected = Expected::new();

    std::thread::scope(|scope| {
        if reclaimer {
            let (space, done, regions, start) = (&space, &done, &regions, &start);
            scope.spawn(move || {
                start.wait();
                let mut rng = Rng::new(stress.seed ^ 0xEC1A);
                while !done.load(Ordering::Relaxed) {
                    let &(base, pages) = &regions[rng.below(regions.len() as u64) as usize];
                    let page = base + rng.below(pages) * ps;
                    if rng.below(4) == 0 {
                        space.clear_young(page);
                    } else {
                        space.swap_out(page);
                    }
                    // A reclaimer or zapper that never pauses can starve a faulting thread
                    // (each fault undone before the access retries): not what is measured.
                    std::thread::yield_now();
                }
            });
        }
        if zapper {
            let (space, done, start) = (&space, &done, &start);
            scope.spawn(move || {
                start.wait();
                let mut rng = Rng::new(stress.seed ^ 0x2A9);
                while !done.load(Ordering::Relaxed) {
                    space.zap(contended + rng.below(stress.contended_pages) * ps);
                    std::thread::yield_now();
                }
            });
        }
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (space, found, start) = (&space, &found, &start);
                scope.spawn(move || {
                    start.wait();
                    let mut rng = Rng::new(stress.seed ^ (t + 1) << 32);
                    let mut mine = Expected::new();
                    let mut bad = Vec::new();
                    // Own word slots: w ≡ t (mod threads).
                    let own_words = words.saturating_sub(t).div_ceil(threads).max(1);
                    for round in 0..stress.rounds {
                        if round % 32 == 31 {
                            // Let the reclaimer and the zapper in, even on few cores.
                            std::thread::yield_now();
                        }
                        let op = rng.below(8);
                        let (base, pages) = match op {
                            0..=3 if stress.owned_pages > 0 => (owned, stress.owned_pages),
                            4 | 5 if stress.file_pages > 0 => (file, stress.file_pages),
                            _ if stress.contended_pages > 0 => (contended, stress.contended_pages),
                            _ => continue,
                        };
                        let page = base + rng.below(pages) * ps;
                        if base == contended {
                            let addr = page + rng.below(words) * 8;
                            let r = if rng.below(2) == 0 {
                                space.read(addr).map(|_| ())
                            } else {
                                space.write(addr, t << 48 | round)
                            };
                            if let Err(e) = r {
                                bad.push(access_violation(addr, e));
                            }
                            continue;
                        }
                        let w = t + rng.below(own_words) * threads;
                        if w >= words {
                            continue;
                        }
                        let addr = page + w * 8;
                        let initial = if base == file {
                            file_word(0, (page - file) / ps, w)
                        } else {
                            0
                        };
                        let want = mine.get(addr).unwrap_or(initial);
                        if rng.below(2) == 0 {
                            match space.read(addr) {
                                Ok(v) if v == want => {}
                                Ok(v) => bad.push(Violation::Contents {
                                    addr,
                                    expected: want,
                                    found: Some(v),
                                }),
                                Err(e) => bad.push(access_violation(addr, e)),
                            }
                        } else {
                            let v = (t + 1) << 56 | round << 16 | w;
                            match space.write(addr, v) {
                                Ok(()) => mine.set(addr, v),
                                Err(e) => bad.push(access_violation(addr, e)),
                            }
                        }
                    }
                    found.lock().unwrap_or_else(|e| e.into_inner()).extend(bad);
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

    let mut report = space.check(&expected);
    report
        .violations
        .extend(found.into_inner().unwrap_or_else(|e| e.into_inner()));
    report
}

fn access_violation(addr: u64, e: super::space::AccessError) -> Violation {
    Violation::Access { addr, error: e }
}
