//! The strategy rows: the workloads run over the simulator (`pte_sim`), one fresh
//! [`AddressSpace`] per run, for a layout type chosen by name and a strategy chosen by name.
//!
//! The CLI is dynamic over layouts while the fault path is generic over the layout type `A`
//! and the strategy `S`: [`run_layout`] reaches the type through `pte_layouts::visit_layout`
//! and the strategy through `StrategyKind::with_new`; the lock-bit strategies are only
//! instantiated for the types that implement `LockBit` (for a layout without a proved lock
//! bit, asking for one is refused instead of compiled).

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
        run::<A, S>(new(), self.shape, self.machine)
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
        Workload::Cow => 2 * shape.pages,
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

/// One run of `shape` on a new address space of layout `A` under `strategy`.
///
/// Untimed: the address space is built, every frame of the pool is allocated and freed once
/// (so the timed faults recycle frames as a warm kernel does, instead of measuring
/// `malloc`), the mappings are made, and the files' pages are read into the page cache.
/// Timed: the threads' writes (and for `churn`, the maps and unmaps).
fn run<A: Arch + CompareExchange, S: Strategy<A>>(
    strategy: S,
    shape: &Shape,
    machine: Option<&Machine>,
) -> Result<Sample, SimError> {
    let geometry = &A::LAYOUT.geometries[0];
    let failed = |what: String| SimError::Failed(format!("{} {}: {what}", A::LAYOUT.name, S::NAME));
    let space = AddressSpace::<A, S>::new(strategy, config(shape, geometry, machine));
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
        Workload::Pft => {
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
            Workload::Pft | Workload::File | Workload::Cow => {
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
    if let Some(Err(e)) = results.into_iter().find(Result::is_err) {
        return Err(failed(e));
    }
    let c = space.strategy().stats().snapshot();
    let s = space.counts();
    let errors = s.segv + s.bus + s.no_memory + s.corrupt + s.too_many_faults;
    if errors != 0 {
        return Err(failed(format!("{errors} faults failed: {s:?}")));
    }
    Ok(Sample {
        wall,
        cpu,
        pages: shape.pages,
        faults: c.faults,
        retries: Some(c.retries),
        lost_races: Some(c.lost_races),
        spins: Some(c.spins),
        installs: Some(s.anonymous + s.file + s.copy_on_write),
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
                        Err(other) => {
                            panic!("{} {} {}: {other:?}", e.layout.name, w.name(), s.name())
                        }
                    }
                }
            }
        }
    }
}
