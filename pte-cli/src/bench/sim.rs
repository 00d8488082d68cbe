//! The strategy rows: the workloads run over the simulator (`pte_sim`), one fresh
//! [`AddressSpace`] per run, for a layout type chosen by name and a strategy chosen by name.
//!
//! The CLI is dynamic over layouts while the fault path is generic over the layout type `A`
//! and the strategy `S`: [`run_layout`] reaches the type through `pte_layouts::visit_layout`
//! and the strategy through `StrategyKind::with_new`; the lock-bit strategies are only
//! instantiated for the types that implement `LockBit` (for a layout without a proved lock
//! bit, asking for one is refused instead of compiled).
//!
//! `fork` needs two strategy instances of one type (the parent's and the child's: each
//! process has its own page tables and counters), so [`Run`] hands [`run`] the strategy's
//! constructor rather than one instance.

use pte_core::fault::{self, Backing, FrameAllocator, NewStrategyVisitor, Strategy};
use pte_core::{Arch, CompareExchange, LayoutEntry, LockBit};
use pte_layouts::LayoutVisitor;
use pte_machine::Machine;
use pte_sim::{AddressSpace, Config};

use super::options::{Shape, StrategyKind, Workload};
use super::report::Sample;
use super::timing::run_threads;

/// Why a strategy row could not be measured.
#[derive(Debug, PartialEq, Eq)]
pub enum SimError {
    /// A lock-bit strategy on a layout type without a lock bit.
    NoLockBit,
    /// A layout name with no type behind it.
    UnknownLayout,
    /// The workload copies on write and the strategy cannot on this layout
    /// ([`Strategy::can_replace_flushed`] is false: cmpxchg on a layout without a break
    /// marker, i386/2.6.8): every write would be refused (`FaultError::Unsupported`).
    NoCopyOnWrite,
    /// The run failed (an access error, or a mapping the simulator refused): a bug.
    Failed(String),
}

/// Runs `shape` on the layout named `layout` under `strategy`.
///
/// With `machine`, the threads are virtual CPUs of that machine and the times are virtual
/// (`pte bench --machine`); otherwise they are host threads timed by the wall clock.
pub fn run_layout(
    layout: &str,
    strategy: StrategyKind,
    shape: &Shape,
    machine: Option<&Machine>,
) -> Result<Sample, SimError> {
    pte_layouts::visit_layout(
        layout,
        OnLayout {
            strategy,
            shape,
            machine,
        },
    )
    .ok_or(SimError::UnknownLayout)?
}

/// The layout type chosen by name, then the strategy chosen by kind.
struct OnLayout<'a> {
    strategy: StrategyKind,
    shape: &'a Shape,
    machine: Option<&'a Machine>,
}

impl LayoutVisitor for OnLayout<'_> {
    type Output = Result<Sample, SimError>;

    fn visit<A: Arch + CompareExchange>(self, _: &'static LayoutEntry) -> Self::Output {
        let run = Run {
            shape: self.shape,
            machine: self.machine,
        };
        self.strategy
            .try_with_new::<A, _>(run)
            .unwrap_or(Err(SimError::NoLockBit))
    }

    fn visit_locked<A: LockBit + CompareExchange>(self, _: &'static LayoutEntry) -> Self::Output {
        self.strategy.with_new::<A, _>(Run {
            shape: self.shape,
            machine: self.machine,
        })
    }
}

/// One run of `shape` with a new strategy of the chosen type.
struct Run<'a> {
    shape: &'a Shape,
    machine: Option<&'a Machine>,
}

impl<A: Arch + CompareExchange> NewStrategyVisitor<A> for Run<'_> {
    type Output = Result<Sample, SimError>;

    fn visit<S: Strategy<A>>(self, new: fn() -> S) -> Self::Output {
        run::<A, S>(new, self.shape, self.machine)
    }
}

/// Whether `strategy` on the layout named `layout` can replace a present entry by a copy
/// ([`Strategy::can_replace_flushed`]), as the copy-on-write of `fork` needs.
pub fn can_copy_on_write(layout: &str, strategy: StrategyKind) -> Result<bool, SimError> {
    pte_layouts::visit_layout(layout, AskLayout { strategy })
        .ok_or(SimError::UnknownLayout)?
        .ok_or(SimError::NoLockBit)
}

/// [`can_copy_on_write`]'s layout visitor.
struct AskLayout {
    strategy: StrategyKind,
}

impl LayoutVisitor for AskLayout {
    type Output = Option<bool>;

    fn visit<A: Arch + CompareExchange>(self, _: &'static LayoutEntry) -> Self::Output {
        self.strategy.try_with_new::<A, _>(Ask).ok()
    }

    fn visit_locked<A: LockBit + CompareExchange>(self, _: &'static LayoutEntry) -> Self::Output {
        Some(self.strategy.with_new::<A, _>(Ask))
    }
}

/// [`can_copy_on_write`]'s strategy visitor: asks a new instance.
struct Ask;

impl<A: Arch + CompareExchange> NewStrategyVisitor<A> for Ask {
    type Output = bool;

    fn visit<S: Strategy<A>>(self, new: fn() -> S) -> bool {
        new().can_replace_flushed()
    }
}

/// Page-table pages a run needs: per region, at every level below the root, the tables its
/// span touches (plus one for a misaligned end), and the root.
fn tables_needed(shape: &Shape, geometry: &pte_core::model::Geometry) -> usize {
    let span = shape.stride();
    let per_region: u64 = (1..geometry.levels())
        .map(|level| {
            let covers = 1u64 << (geometry.level_shift(level) + geometry.level_bits[level]);
            span / covers + 2
        })
        .sum();
    (1 + shape.regions() * per_region + 8) as usize
}

/// The simulator's configuration for `shape`: every page resident at once plus a frame in
/// flight per thread, the page cache's pages for the file workloads, no poisoning (freed
/// frames are not refilled: that would be measured), and no limit on faults per access.
fn config(
    shape: &Shape,
    geometry: &pte_core::model::Geometry,
    machine: Option<&Machine>,
) -> Config {
    let resident = match shape.workload {
        Workload::File => shape.pages,
        // The page-cache pages and their copies; the pages the child keeps and the copies.
        Workload::Cow | Workload::Fork => 2 * shape.pages,
        _ => shape.pages,
    };
    let file_pages = match shape.workload {
        Workload::File | Workload::Cow => vec![shape.region_pages; shape.threads],
        _ => Vec::new(),
    };
    Config {
        geometry: 0,
        frames: (resident + 4 * shape.threads as u64 + 16) as usize,
        swap_slots: 1,
        max_tables: tables_needed(shape, geometry),
        file_pages,
        hafdbs: true,
        max_faults_per_access: u32::MAX,
        poison_on_free: false,
        // A 2.6.8-era machine walks under the mm lock, as that kernel did.
        walk_under_mm_lock: machine.is_some_and(|m| m.profile().family.era.walk_under_mm_lock()),
        // A machine does not see the TLB locks (see `Config::tlb`).
        tlb: machine.is_none(),
        base_pfn: pte_sim::BASE_PFN,
    }
}

/// One run of `shape` on a new address space of layout `A` under a strategy made by `new`.
///
/// Untimed: the address space is built, every frame of the pool is allocated and freed once
/// (so the timed faults recycle frames as a warm kernel does, instead of measuring
/// `malloc`), the mappings are made, and the files' pages are read into the page cache; for
/// `fork`, every page is written once and the space forked (the child, under a second
/// strategy from `new`, lives until the timed part is over, then exits). Timed: the
/// threads' writes (and for `churn`, the maps and unmaps). The sample's counts are those of
/// the timed part (the counters are read before and after it).
fn run<A: Arch + CompareExchange, S: Strategy<A>>(
    new: fn() -> S,
    shape: &Shape,
    machine: Option<&Machine>,
) -> Result<Sample, SimError> {
    let geometry = &A::LAYOUT.geometries[0];
    let failed = |what: String| SimError::Failed(format!("{} {}: {what}", A::LAYOUT.name, S::NAME));
    let space = AddressSpace::<A, S>::new(new(), config(shape, geometry, machine));
    if shape.workload == Workload::Fork && !space.strategy().can_replace_flushed() {
        return Err(SimError::NoCopyOnWrite);
    }
    let ps = space.page_size();
    if shape.end() > space.tables().va_limit() {
        return Err(failed(format!(
            "{} of regions do not fit the {}-bit address space",
            super::options::size(shape.end()),
            geometry.va_bits()
        )));
    }
    warm(space.pool());
    let setup = |r: u64, backing: Backing| {
        space
            .map(shape.region_start(r), shape.region_pages, backing, true)
            .map(|_| ())
            .map_err(|e| failed(format!("map region {r}: {e:?}")))
    };
    match shape.workload {
        Workload::Pft | Workload::Fork => {
            for r in 0..shape.regions() {
                setup(r, Backing::Anonymous)?;
            }
        }
        Workload::SameTable | Workload::SamePage => setup(0, Backing::Anonymous)?,
        Workload::Churn => {}
        Workload::File | Workload::Cow => {
            for r in 0..shape.regions() {
                let file = r as u32;
                let backing = if shape.workload == Workload::File {
                    Backing::SharedFile { file, pgoff: 0 }
                } else {
                    Backing::PrivateFile { file, pgoff: 0 }
                };
                setup(r, backing)?;
                for pgoff in 0..shape.region_pages {
                    let pfn = fault::PageCache::get(space.cache(), file, pgoff)
                        .ok_or_else(|| failed(format!("read file {file} page {pgoff}")))?;
                    fault::PageCache::put(space.cache(), pfn);
                }
            }
        }
    }
    // fork: every page present, writable and dirty (written by its thread's value), then
    // the child: every entry write-protected in both, every page mapped twice.
    let child = if shape.workload == Workload::Fork {
        for r in 0..shape.regions() {
            let base = shape.region_start(r);
            for i in 0..shape.region_pages {
                let addr = base + i * ps;
                space
                    .write(addr, r + 1)
                    .map_err(|e| failed(format!("write {addr:#x} before fork: {e:?}")))?;
            }
        }
        let child = space
            .fork_with(new())
            .map_err(|e| failed(format!("fork: {e:?}")))?;
        Some(child)
    } else {
        None
    };
    let stats_before = space.strategy().stats().snapshot();
    let counts_before = space.counts();
    let threads = shape.threads as u64;
    let work = |t: usize| -> Result<(), String> {
        let t = t as u64;
        let value = t + 1;
        let write = |addr: u64| {
            space
                .write(addr, value)
                .map_err(|e| format!("thread {t}: write {addr:#x}: {e:?}"))
        };
        match shape.workload {
            Workload::Pft | Workload::File | Workload::Cow | Workload::Fork => {
                let base = shape.region_start(t);
                for i in 0..shape.region_pages {
                    write(base + i * ps)?;
                }
            }
            Workload::SameTable => {
                let base = shape.region_start(0);
                let mut i = t;
                while i < shape.region_pages {
                    write(base + i * ps)?;
                    i += threads;
                }
            }
            Workload::SamePage => {
                let base = shape.region_start(0);
                for i in 0..shape.region_pages {
                    write(base + i * ps)?;
                }
            }
            Workload::Churn => {
                let base = shape.region_start(t);
                for c in 0..shape.cycles {
                    let (first, n) = shape.cycle(c);
                    let start = base + first * ps;
                    space
                        .map(start, n, Backing::Anonymous, true)
                        .map_err(|e| format!("thread {t}: map {start:#x}: {e:?}"))?;
                    for i in 0..n {
                        write(start + i * ps)?;
                    }
                    space.zap_range(start, start + n * ps);
                }
            }
        }
        Ok(())
    };
    let (wall, cpu, lines, results) = match machine {
        None => {
            let (measured, results) = run_threads(shape.threads, work);
            (measured.wall, measured.cpu, Vec::new(), results)
        }
        Some(m) => {
            let out = m
                .run(S::NAME, shape.threads, work)
                .map_err(|e| failed(e.to_string()))?;
            let secs = |ps: u64| ps as f64 / 1e12;
            let cpu = out.clocks.iter().map(|&c| secs(c)).sum();
            (secs(out.makespan), cpu, out.lines, out.results)
        }
    };
    let c = space.strategy().stats().snapshot();
    let s = space.counts();
    // The child exits (untimed): it still maps every page as it was before the fork.
    let child_zapped = child.map(|child| child.exit());
    if let Some(Err(e)) = results.into_iter().find(Result::is_err) {
        return Err(failed(e));
    }
    let errors = s.segv + s.bus + s.no_memory + s.corrupt + s.unsupported + s.too_many_faults;
    if errors != 0 {
        return Err(failed(format!("{errors} faults failed: {s:?}")));
    }
    let b = &counts_before;
    if let Some(zapped) = child_zapped {
        // Each thread alone in its region: every write is a copy of a page the child maps
        // (map count 2: never reused in place, never a fresh page).
        let copies = s.copy_on_write - b.copy_on_write;
        let (reused, fresh) = (s.reused - b.reused, s.anonymous - b.anonymous);
        if copies != shape.pages || reused != 0 || fresh != 0 || zapped != shape.pages {
            return Err(failed(format!(
                "fork: {copies} copies, {reused} reused, {fresh} new pages and {zapped} of the \
                 child's entries for {} pages",
                shape.pages
            )));
        }
    }
    Ok(Sample {
        wall,
        cpu,
        pages: shape.pages,
        faults: c.faults - stats_before.faults,
        retries: Some(c.retries - stats_before.retries),
        lost_races: Some(c.lost_races - stats_before.lost_races),
        spins: Some(c.spins - stats_before.spins),
        // Pages made present in the timed part: new pages, and copies (`cow`, `fork`).
        installs: Some(
            (s.anonymous - b.anonymous) + (s.file - b.file) + (s.copy_on_write - b.copy_on_write),
        ),
        lines,
    })
}

/// Allocates (and so zeroes, which first-touches its memory) every frame of the pool once,
/// then frees them all.
fn warm(pool: &pte_sim::FramePool) {
    let mut taken = Vec::with_capacity(pool.capacity());
    while let Some(pfn) = pool.alloc_zeroed() {
        taken.push(pfn);
    }
    for pfn in taken {
        pool.free(pfn);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::entries;

    #[test]
    fn every_workload_installs_each_page_once() {
        for e in entries() {
            let g = &e.layout.geometries[0];
            for w in Workload::ALL {
                let shape = Shape::new(w, 2, 96 << g.page_shift, g).expect("shape");
                for s in StrategyKind::ALL {
                    match run_layout(e.layout.name, s, &shape, None) {
                        Ok(sample) => assert_eq!(
                            sample.installs,
                            Some(shape.pages),
                            "{} {} {}",
                            e.layout.name,
                            w.name(),
                            s.name()
                        ),
                        Err(SimError::NoLockBit) => {
                            assert!(s.needs_lock_bit() && e.lock.is_none());
                        }
                        Err(SimError::NoCopyOnWrite) => {
                            assert_eq!(w, Workload::Fork);
                            assert_eq!(can_copy_on_write(e.layout.name, s), Ok(false));
                        }
                        Err(other) => {
                            panic!("{} {} {}: {other:?}", e.layout.name, w.name(), s.name())
                        }
                    }
                }
            }
        }
    }

    /// `fork` copies every page exactly once on every layout and strategy that can copy on
    /// write (`run` itself fails unless the timed writes made exactly `pages` copies, reused
    /// none in place, installed no fresh page, and the child still mapped every page), and
    /// only cmpxchg on i386/2.6.8 (no break marker) cannot.
    #[test]
    fn fork_copies_every_page_once_where_copy_on_write_is_possible() {
        let mut refused = Vec::new();
        for e in entries() {
            let g = &e.layout.geometries[0];
            for threads in [1, 3] {
                let shape =
                    Shape::new(Workload::Fork, threads, 40 << g.page_shift, g).expect("shape");
                for s in StrategyKind::ALL {
                    let what = format!("{} {} x{threads}", e.layout.name, s.name());
                    let can = can_copy_on_write(e.layout.name, s);
                    match run_layout(e.layout.name, s, &shape, None) {
                        Ok(sample) => {
                            assert_eq!(can, Ok(true), "{what}");
                            assert_eq!(sample.installs, Some(shape.pages), "{what}");
                            // One thread per region: one fault per page, no race lost.
                            assert_eq!(sample.faults, shape.pages, "{what}");
                            assert_eq!(sample.lost_races, Some(0), "{what}");
                        }
                        Err(SimError::NoLockBit) => assert_eq!(can, Err(SimError::NoLockBit)),
                        Err(SimError::NoCopyOnWrite) => {
                            assert_eq!(can, Ok(false), "{what}");
                            if threads == 1 {
                                refused.push((e.layout.name, s));
                            }
                        }
                        Err(other) => panic!("{what}: {other:?}"),
                    }
                }
            }
        }
        assert_eq!(refused, [("i386/2.6.8", StrategyKind::Cmpxchg)]);
    }

    /// On the virtual-time machine too (a 2.6.8-era machine walks under the mm lock, which
    /// fork takes for writing before the run).
    #[test]
    fn fork_runs_on_the_machine() {
        let profile = pte_machine::Profile::find("altix-8")
            .expect("altix-8")
            .with_cpus(4)
            .expect("4 CPUs");
        let machine = Machine::new(profile);
        let layout = "ia64/2.6.8";
        let e = pte_layouts::LAYOUTS
            .iter()
            .find(|e| e.layout.name == layout)
            .expect("ia64/2.6.8");
        let g = &e.layout.geometries[0];
        let shape = Shape::new(Workload::Fork, 4, 64 << g.page_shift, g).expect("shape");
        for s in StrategyKind::ALL {
            let sample = run_layout(layout, s, &shape, Some(&machine))
                .unwrap_or_else(|err| panic!("{}: {err:?}", s.name()));
            assert_eq!(sample.installs, Some(shape.pages), "{}", s.name());
            assert!(
                sample.wall > 0.0 && !sample.lines.is_empty(),
                "{}",
                s.name()
            );
        }
    }
}
