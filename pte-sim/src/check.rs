//! The invariant checker: [`AddressSpace::check`] after a run, with every thread joined.
//!
//! It walks the tables and the pool, the page cache and the swap device, and reports every
//! way they disagree ([`Violation`]), together with the counters of every part
//! ([`Report`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use core::fmt;

use super::cache::CacheCounts;
use super::frames::{FrameKind, PoolCounts};
use super::space::{AccessError, AddressSpace, SpaceCounts};
use super::swap::{SlotState, SwapCounts};
use super::tables::TableCounts;
use pte_core::Arch;
use pte_core::CompareExchange;
use pte_core::classify::Decoded;
use pte_core::fault::{Counts, Strategy};

/// The values the test expects at given addresses (what the threads wrote last).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expected {
    values: BTreeMap<u64, u64>,
}

impl Expected {
    /// Nothing expected.
    pub fn new() -> Self {
        Self::default()
    }

    /// `addr` must hold `value`.
    pub fn set(&mut self, addr: u64, value: u64) {
        self.values.insert(addr, value);
    }

    /// Stops checking `[start, end)` (e.g. after a zap).
    pub fn forget_range(&mut self, start: u64, end: u64) {
        self.values.retain(|&a, _| a < start || a >= end);
    }

    /// The value expected at `addr`.
    pub fn get(&self, addr: u64) -> Option<u64> {
        self.values.get(&addr).copied()
    }

    /// Adds another thread's expectations (its values win on the same address).
    pub fn merge(&mut self, other: Expected) {
        self.values.extend(other.values);
    }

    /// Every `(addr, value)`.
    pub fn iter(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.values.iter().map(|(&a, &v)| (a, v))
    }

    /// Number of addresses.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether nothing is expected.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// One way the state after a run is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Violation {
    /// A present entry maps a free frame (use after free).
    FreeFrameMapped {
        /// The frame.
        pfn: u64,
        /// An address mapping it.
        addr: u64,
    },
    /// A present entry maps a frame that is not in the pool.
    ForeignFrame {
        /// The address.
        addr: u64,
        /// The PFN.
        pfn: u64,
    },
    /// An anonymous frame's map count is not the number of present entries mapping it
    /// across the address spaces checked (fork shares a frame: one count per entry).
    MapCount {
        /// The frame.
        pfn: u64,
        /// Its map count.
        refs: u64,
        /// Present entries mapping it.
        mapped: u64,
    },
    /// An anonymous frame is allocated but mapped by no entry (leaked).
    Leaked {
        /// The frame.
        pfn: u64,
    },
    /// A page-cache page's references are not its mappings plus the cache's own.
    CacheRefs {
        /// The frame.
        pfn: u64,
        /// References counted.
        refs: u64,
        /// Present entries mapping it + 1.
        expected: u64,
    },
    /// A page-cache frame the cache does not know.
    CacheOrphan {
        /// The frame.
        pfn: u64,
    },
    /// A page that a thread wrote is neither dirty (entry or page) nor written out.
    DirtyLost {
        /// The frame.
        pfn: u64,
        /// An address mapping it (0 if none).
        addr: u64,
    },
    /// A frame is still pinned by an access (threads not joined?).
    Pinned {
        /// The frame.
        pfn: u64,
        /// Pins.
        pins: u32,
    },
    /// A swap entry refers to a slot that is not holding a page.
    DanglingSwap {
        /// The address.
        addr: u64,
        /// The slot offset.
        offset: u64,
    },
    /// A swap slot holds a page no entry refers to (leaked).
    SwapLeaked {
        /// The slot offset.
        offset: u64,
    },
    /// A swap slot's reference count is not the number of swap entries naming it across the
    /// address spaces checked (fork copies an entry with `swap_duplicate`).
    SwapRefs {
        /// The slot offset.
        offset: u64,
        /// Its reference count.
        refs: u64,
        /// Swap entries naming it.
        entries: u64,
    },
    /// A swap slot is still reserved (a swap-out never finished).
    SwapStuck {
        /// The slot offset.
        offset: u64,
    },
    /// An entry still carries a lock (locked-none, or a stray bit outside every field).
    LockHeld {
        /// The address.
        addr: u64,
        /// The word.
        raw: u64,
    },
    /// An entry the kernel could not have written (invalid, protnone, present-invalid).
    BadEntry {
        /// The address.
        addr: u64,
        /// The word.
        raw: u64,
    },
    /// A non-empty entry outside every mapping.
    OutsideMapping {
        /// The address.
        addr: u64,
    },
    /// An address does not hold what the test expects.
    Contents {
        /// The address.
        addr: u64,
        /// Expected value.
        expected: u64,
        /// What a read would return now (`None`: nothing reachable).
        found: Option<u64>,
    },
    /// A user thread's access failed during a run.
    Access {
        /// The address.
        addr: u64,
        /// The error.
        error: AccessError,
    },
    /// A counter of misuse is not zero (double frees, bad puts, …).
    Misuse {
        /// Which counter.
        what: &'static str,
        /// Its value.
        count: u64,
    },
    /// Two counters that must agree do not.
    Counter {
        /// The relation.
        what: &'static str,
        /// Left side.
        left: u64,
        /// Right side.
        right: u64,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::FreeFrameMapped { pfn, addr } => {
                write!(f, "free frame {pfn:#x} mapped at {addr:#x}")
            }
            Violation::ForeignFrame { addr, pfn } => {
                write!(f, "{addr:#x} maps pfn {pfn:#x}, not a frame of the pool")
            }
            Violation::MapCount { pfn, refs, mapped } => write!(
                f,
                "anonymous frame {pfn:#x} has map count {refs} but {mapped} entries map it"
            ),
            Violation::Leaked { pfn } => write!(f, "anonymous frame {pfn:#x} leaked"),
            Violation::CacheRefs {
                pfn,
                refs,
                expected,
            } => write!(
                f,
                "page-cache frame {pfn:#x} has {refs} references, expected {expected}"
            ),
            Violation::CacheOrphan { pfn } => {
                write!(f, "page-cache frame {pfn:#x} unknown to the cache")
            }
            Violation::DirtyLost { pfn, addr } => write!(
                f,
                "frame {pfn:#x} (at {addr:#x}) was written but nothing records it dirty"
            ),
            Violation::Pinned { pfn, pins } => write!(f, "frame {pfn:#x} still has {pins} pins"),
            Violation::DanglingSwap { addr, offset } => write!(
                f,
                "{addr:#x} holds swap offset {offset}, whose slot holds no page"
            ),
            Violation::SwapLeaked { offset } => write!(f, "swap slot {offset} leaked"),
            Violation::SwapRefs {
                offset,
                refs,
                entries,
            } => write!(
                f,
                "swap slot {offset} has {refs} references but {entries} entries name it"
            ),
            Violation::SwapStuck { offset } => write!(f, "swap slot {offset} still reserved"),
            Violation::LockHeld { addr, raw } => {
                write!(f, "{addr:#x}: lock still held in {raw:#x}")
            }
            Violation::BadEntry { addr, raw } => write!(f, "{addr:#x}: bad entry {raw:#x}"),
            Violation::OutsideMapping { addr } => {
                write!(f, "{addr:#x}: entry outside every mapping")
            }
            Violation::Contents {
                addr,
                expected,
                found,
            } => write!(f, "{addr:#x}: expected {expected:#x}, found {found:x?}"),
            Violation::Access { addr, error } => write!(f, "{addr:#x}: access failed: {error:?}"),
            Violation::Misuse { what, count } => write!(f, "{what}: {count}"),
            Violation::Counter { what, left, right } => {
                write!(f, "counters disagree: {what} ({left} vs {right})")
            }
        }
    }
}

/// Entries found in the tables, by state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EntryCounts {
    /// Present entries.
    pub present: u64,
    /// Of which dirty.
    pub dirty: u64,
    /// Swap entries.
    pub swap: u64,
    /// Nonlinear file entries.
    pub file: u64,
    /// Entries still locked.
    pub locked: u64,
    /// Anything else (invalid, protnone).
    pub other: u64,
}

/// The outcome of [`AddressSpace::check`]: the numbers of a run and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// The layout's name.
    pub layout: &'static str,
    /// The geometry's name.
    pub geometry: &'static str,
    /// The strategy's name.
    pub strategy: &'static str,
    /// The fast path's counters (the strategy's).
    pub fast_path: Counts,
    /// The address space's counters (faults by outcome, writers, MMU).
    pub space: SpaceCounts,
    /// The frames.
    pub pool: PoolCounts,
    /// The page tables.
    pub tables: TableCounts,
    /// The page cache.
    pub cache: CacheCounts,
    /// The swap device.
    pub swap: SwapCounts,
    /// The entries found.
    pub entries: EntryCounts,
    /// Addresses whose contents were checked.
    pub values_checked: u64,
    /// Everything that is wrong; empty when the run kept every invariant.
    pub violations: Vec<Violation>,
}

impl Report {
    /// Whether every invariant held.
    pub fn is_ok(&self) -> bool {
        self.violations.is_empty()
    }

    /// Panics with the report if an invariant failed (for tests).
    #[track_caller]
    pub fn assert_ok(&self) {
        assert!(self.is_ok(), "invariants violated:\n{self}");
    }

    /// Whether a violation matching `f` was found.
    pub fn has(&self, f: impl Fn(&Violation) -> bool) -> bool {
        self.violations.iter().any(f)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.space;
        writeln!(f, "{} ({}) / {}", self.layout, self.geometry, self.strategy)?;
        writeln!(
            f,
            "  fast path: faults {} refaults {} lost races {} frees {} spins {}",
            self.fast_path.faults,
            self.fast_path.retries,
            self.fast_path.lost_races,
            self.fast_path.frees,
            self.fast_path.spins
        )?;
        writeln!(
            f,
            "  resolved: anon {} file {} cow {} swap-in {} nonlinear {} a/d {} already {}; \
             failed: segv {} bus {} nomem {} corrupt {}",
            s.anonymous,
            s.file,
            s.copy_on_write,
            s.swap_in,
            s.nonlinear,
            s.access_dirty,
            s.already_done,
            s.segv,
            s.bus,
            s.no_memory,
            s.corrupt
        )?;
        writeln!(
            f,
            "  writers: zaps {} swap-outs {} file unmaps {} reclaim races {} mprotect {} \
             young cleared {} file entries {} drain waits {}",
            s.zaps,
            s.swap_outs,
            s.file_unmaps,
            s.reclaim_races,
            s.mprotects,
            s.young_cleared,
            s.file_entries,
            s.drain_waits
        )?;
        let k = &s.fork;
        writeln!(
            f,
            "  fork: forks {} (failed {}) copied anon {} file {} swap {} nonlinear {}; \
             write-protected {} (dirty {}); reused {}; exits {} (entries {}); \
             swap duplicates {} shared frees {} shared reads {}; dirty lost {}",
            k.forks,
            k.failed,
            k.anonymous,
            k.file,
            k.swap,
            k.nonlinear,
            k.write_protected,
            k.write_protected_dirty,
            s.reused,
            k.exits,
            k.exit_zaps,
            self.swap.duplicates,
            self.swap.shared_frees,
            self.swap.shared_reads,
            s.dirty_lost
        )?;
        writeln!(
            f,
            "  mmu: accesses {} faults {} hw a/d {} revalidations {}",
            s.mmu.accesses, s.mmu.faults, s.mmu.hw_updates, s.mmu.revalidations
        )?;
        writeln!(
            f,
            "  frames: {} free {} anon {} cache (allocs {} frees {}); tables {} (races {}); \
             swap ready {} (writes {} reads {} frees {} stale reads {})",
            self.pool.free,
            self.pool.anon,
            self.pool.cache,
            self.pool.allocs,
            self.pool.frees,
            self.tables.populated,
            self.tables.races,
            self.swap.ready,
            self.swap.writes,
            self.swap.reads,
            self.swap.frees,
            self.swap.stale_reads
        )?;
        writeln!(
            f,
            "  entries: present {} (dirty {}) swap {} file {}; values checked {}",
            self.entries.present,
            self.entries.dirty,
            self.entries.swap,
            self.entries.file,
            self.values_checked
        )?;
        if self.violations.is_empty() {
            writeln!(f, "  no violations")
        } else {
            writeln!(f, "  {} violations:", self.violations.len())?;
            for v in self.violations.iter().take(50) {
                writeln!(f, "    - {v}")?;
            }
            Ok(())
        }
    }
}

/// The outcome of [`AddressSpace::check_set`]: one [`Report`] per address space (its
/// entries, counters and contents) and what is wrong across them (frames, page cache, swap
/// slots: shared by the set).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetReport {
    /// Per address space, in the order given; each one's `violations` are its own.
    pub spaces: Vec<Report>,
    /// Violations of the shared parts: map counts, swap references, leaks, frees.
    pub violations: Vec<Violation>,
}

impl SetReport {
    /// Whether every invariant held, in every space and across them.
    pub fn is_ok(&self) -> bool {
        self.violations.is_empty() && self.spaces.iter().all(Report::is_ok)
    }

    /// Panics with the report if an invariant failed (for tests).
    #[track_caller]
    pub fn assert_ok(&self) {
        assert!(self.is_ok(), "invariants violated:\n{self}");
    }

    /// Whether a violation matching `f` was found, in a space or across them.
    pub fn has(&self, f: impl Fn(&Violation) -> bool) -> bool {
        self.violations.iter().any(&f) || self.spaces.iter().any(|r| r.has(&f))
    }
}

impl fmt::Display for SetReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.spaces.iter().enumerate() {
            write!(f, "[space {i}] {r}")?;
        }
        if self.violations.is_empty() {
            writeln!(f, "  across the spaces: no violations")
        } else {
            writeln!(
                f,
                "  across the spaces: {} violations:",
                self.violations.len()
            )?;
            for v in self.violations.iter().take(50) {
                writeln!(f, "    - {v}")?;
            }
            Ok(())
        }
    }
}

/// Present entries by frame (space index, address; any dirty) and swap entries by offset,
/// gathered over the spaces.
#[derive(Default)]
struct Mappings {
    frames: BTreeMap<u64, (Vec<u64>, bool)>,
    slots: BTreeMap<u64, u64>,
}

impl<A: Arch + CompareExchange, S: Strategy<A>> AddressSpace<A, S> {
    /// Checks every invariant and the contents in `expected`. Call it with every thread
    /// joined: an in-flight access or swap-out shows up as a violation. The frames, page
    /// cache and swap slots are checked as if this space were the only one (a child of a
    /// fork still alive shows up as map counts above the entries: use
    /// [`check_set`](Self::check_set)).
    pub fn check(&self, expected: &Expected) -> Report {
        let mut set = Self::check_set(&[(self, expected)]);
        let mut report = set.spaces.pop().unwrap_or_else(|| self.empty_report());
        report.violations.append(&mut set.violations);
        report
    }

    /// Checks a set of address spaces sharing one frame pool, page cache and swap device
    /// (a parent and the children of its forks, exited ones included): every space's
    /// entries and contents (`expected` per space), and across them that each anonymous
    /// frame's map count is the number of present entries mapping it, each page-cache
    /// page's references its mappings plus the cache's own, each swap slot's references
    /// the swap entries naming it, that no mapped frame is free and no frame or slot leaked.
    /// With every space exited, that means every anonymous frame and slot is free.
    pub fn check_set(spaces: &[(&Self, &Expected)]) -> SetReport {
        let mut all = Mappings::default();
        let mut reports: Vec<Report> = spaces
            .iter()
            .map(|(s, _)| {
                let mut r = s.empty_report();
                r.entries = s.scan(&mut all, &mut r.violations);
                r
            })
            .collect();
        let mut v = Vec::new();
        let Some((first, _)) = spaces.first() else {
            return SetReport {
                spaces: reports,
                violations: v,
            };
        };
        if spaces.iter().any(|(s, _)| {
            !Arc::ptr_eq(&s.pool, &first.pool)
                || !Arc::ptr_eq(&s.cache, &first.cache)
                || !Arc::ptr_eq(&s.swap, &first.swap)
        }) {
            v.push(Violation::Misuse {
                what: "address spaces of a set that do not share frames, cache and swap",
                count: 1,
            });
        }
        first.check_shared(&all, &mut v);
        let (mut swap_ins, mut writer_frees) = (0, 0);
        for ((space, expected), report) in spaces.iter().zip(&mut reports) {
            swap_ins += report.space.swap_in;
            writer_frees += report.space.writer_slot_frees;
            space.check_own(expected, report);
        }
        let swap = &reports[0].swap;
        if swap.frees + swap.shared_frees != swap_ins + writer_frees {
            v.push(Violation::Counter {
                what: "swap slot references dropped (frees + shared) == swap-ins + zap/remap/exit frees",
                left: swap.frees + swap.shared_frees,
                right: swap_ins + writer_frees,
            });
        }
        SetReport {
            spaces: reports,
            violations: v,
        }
    }

    /// A report with this space's counters and nothing checked yet.
    fn empty_report(&self) -> Report {
        Report {
            layout: A::LAYOUT.name,
            geometry: self.tables.geometry().name,
            strategy: S::NAME,
            fast_path: self.strategy.stats().snapshot(),
            space: self.counts(),
            pool: self.pool.counts(),
            tables: self.tables.counts(),
            cache: self.cache.counts(),
            swap: self.swap.counts(),
            entries: EntryCounts::default(),
            values_checked: 0,
            violations: Vec::new(),
        }
    }

    /// Walks this space's tables: its own entry violations into `v`, its present and swap
    /// entries into `all`.
    fn scan(&self, all: &mut Mappings, v: &mut Vec<Violation>) -> EntryCounts {
        let mut entries = EntryCounts::default();
        let layout = A::LAYOUT;
        let vmas = self.vmas();
        // Bits that no field of a present entry uses: where an any-state lock bit lives.
        let unused = layout.word_mask() & !(layout.hw_bits | layout.sw_bits);

        self.tables.for_each_slot(|addr, slot| {
            let pte = slot.load();
            if pte.is_none() && pte.raw() == 0 {
                return;
            }
            if !vmas.iter().any(|m| m.start <= addr && addr < m.end) {
                v.push(Violation::OutsideMapping { addr });
            }
            match self.strategy.classify(pte) {
                Decoded::None => {
                    if pte.decode() != Decoded::None {
                        entries.locked += 1;
                        v.push(Violation::LockHeld {
                            addr,
                            raw: pte.raw(),
                        });
                    }
                }
                Decoded::LockedNone => {
                    entries.locked += 1;
                    v.push(Violation::LockHeld {
                        addr,
                        raw: pte.raw(),
                    });
                }
                Decoded::Present { pfn } => {
                    entries.present += 1;
                    if pte.is_dirty() {
                        entries.dirty += 1;
                    }
                    if pte.raw() & unused != 0 {
                        entries.locked += 1;
                        v.push(Violation::LockHeld {
                            addr,
                            raw: pte.raw(),
                        });
                    }
                    if !self.pool.contains(pfn) {
                        v.push(Violation::ForeignFrame { addr, pfn });
                        return;
                    }
                    let e = all.frames.entry(pfn).or_default();
                    e.0.push(addr);
                    e.1 |= pte.is_dirty();
                }
                Decoded::Swap(e) => {
                    entries.swap += 1;
                    *all.slots.entry(e.offset).or_default() += 1;
                    if self.swap.state(e) != Some(SlotState::Ready) {
                        v.push(Violation::DanglingSwap {
                            addr,
                            offset: e.offset,
                        });
                    }
                }
                Decoded::File { .. } => entries.file += 1,
                _ => {
                    entries.other += 1;
                    v.push(Violation::BadEntry {
                        addr,
                        raw: pte.raw(),
                    });
                }
            }
        });
        entries
    }

    /// The frames, page cache and swap slots (shared by every space of a set) against the
    /// entries of all of them.
    fn check_shared(&self, all: &Mappings, v: &mut Vec<Violation>) {
        // Frames.
        let mut cache_extra_refs = 0u64;
        for (pfn, kind) in self.pool.frames() {
            let pins = self.pool.pins(pfn);
            if pins != 0 {
                v.push(Violation::Pinned { pfn, pins });
            }
            let (addrs, dirty) = all
                .frames
                .get(&pfn)
                .map_or((&[][..], false), |(a, d)| (&a[..], *d));
            let first = addrs.first().copied().unwrap_or(0);
            match kind {
                FrameKind::Free => {
                    if !addrs.is_empty() {
                        v.push(Violation::FreeFrameMapped { pfn, addr: first });
                    }
                }
                FrameKind::Anon => {
                    let refs = self.pool.refs(pfn);
                    let mapped = addrs.len() as u64;
                    if mapped == 0 {
                        v.push(Violation::Leaked { pfn });
                    } else if refs != mapped {
                        v.push(Violation::MapCount { pfn, refs, mapped });
                    }
                    if self.pool.written(pfn) && !addrs.is_empty() && !dirty {
                        v.push(Violation::DirtyLost { pfn, addr: first });
                    }
                }
                FrameKind::Cache => {
                    let refs = self.pool.refs(pfn);
                    let expected_refs = addrs.len() as u64 + 1;
                    if refs != expected_refs {
                        v.push(Violation::CacheRefs {
                            pfn,
                            refs,
                            expected: expected_refs,
                        });
                    }
                    cache_extra_refs += refs.saturating_sub(1);
                    let known = self
                        .pool
                        .owner(pfn)
                        .is_some_and(|(f, p)| self.cache.cached(f, p) == Some(pfn));
                    if !known {
                        v.push(Violation::CacheOrphan { pfn });
                    }
                    if self.pool.written(pfn) && !self.pool.page_dirty(pfn) && !dirty {
                        v.push(Violation::DirtyLost { pfn, addr: first });
                    }
                }
            }
        }

        // Swap slots.
        let mut live_refs = 0;
        for (entry, state) in self.swap.live() {
            let entries = all.slots.get(&entry.offset).copied().unwrap_or(0);
            let refs = self.swap.refs(entry);
            live_refs += refs;
            match state {
                SlotState::Reserved => v.push(Violation::SwapStuck {
                    offset: entry.offset,
                }),
                SlotState::Ready if entries == 0 => v.push(Violation::SwapLeaked {
                    offset: entry.offset,
                }),
                SlotState::Ready if refs != entries => v.push(Violation::SwapRefs {
                    offset: entry.offset,
                    refs,
                    entries,
                }),
                _ => {}
            }
        }

        // Counters of the shared parts.
        let pool = self.pool.counts();
        let cache = self.cache.counts();
        let swap = self.swap.counts();
        let mut misuse = |what, count| {
            if count != 0 {
                v.push(Violation::Misuse { what, count });
            }
        };
        misuse("frames freed twice", pool.double_frees);
        misuse("page-cache frames freed as anonymous", pool.bad_frees);
        misuse("bad page-cache puts", cache.bad_puts);
        misuse("swap slots freed twice", swap.double_frees);
        let mut agree = |what, left: u64, right: u64| {
            if left != right {
                v.push(Violation::Counter { what, left, right });
            }
        };
        agree(
            "frames allocated - freed == frames in use",
            pool.allocs - pool.frees,
            pool.anon + pool.cache,
        );
        agree(
            "swap slots written - freed == slots holding a page",
            swap.writes - swap.frees,
            swap.ready,
        );
        agree(
            "swap references made (writes + duplicates) - dropped == references held",
            (swap.writes + swap.duplicates).saturating_sub(swap.frees + swap.shared_frees),
            live_refs,
        );
        agree(
            "page-cache gets - puts == references held by entries",
            cache.gets - cache.puts,
            cache_extra_refs,
        );
        agree(
            "page-cache frames == pages the cache holds",
            pool.cache,
            self.cache.pages().count() as u64,
        );
    }

    /// This space's own counters and contents, into `report`.
    fn check_own(&self, expected: &Expected, report: &mut Report) {
        let v = &mut report.violations;
        let (fast_path, space) = (&report.fast_path, &report.space);
        let mut misuse = |what, count| {
            if count != 0 {
                v.push(Violation::Misuse { what, count });
            }
        };
        misuse(
            "entries the writers could not dispose of",
            space.bad_disposals,
        );
        misuse(
            "written anonymous pages swapped out clean (dirty bit lost)",
            space.dirty_lost,
        );
        let mut agree = |what, left: u64, right: u64| {
            if left != right {
                v.push(Violation::Counter { what, left, right });
            }
        };
        agree(
            "strategy faults == faults resolved by the address space",
            fast_path.faults,
            space.resolved(),
        );
        agree(
            "strategy retries == refaults",
            fast_path.retries,
            space.refaults,
        );
        if fast_path.frees > fast_path.lost_races {
            v.push(Violation::Counter {
                what: "strategy frees <= lost races",
                left: fast_path.frees,
                right: fast_path.lost_races,
            });
        }

        // Contents.
        for (addr, want) in expected.iter() {
            let found = self.peek(addr);
            if found != Some(want) {
                v.push(Violation::Contents {
                    addr,
                    expected: want,
                    found,
                });
            }
        }
        report.values_checked = expected.len() as u64;
    }
}
