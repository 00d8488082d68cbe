//! `pte bench`: fault-path scalability of every strategy over the simulator, beside the
//! host kernel's own page faults and the floor no fault path can go below.
//!
//! Workloads (`--workloads`, see [`Workload`]): `pft` (Lameter's 2004 pft.c, its stride
//! bug fixed — the stride is the layout's page size, not a hard-coded 16384), `same-table`,
//! `same-page`, `churn` (will-it-scale page_fault1), `file` and `cow` (page_fault3 / 2), and
//! `fork` (page_fault3's shape after `fork()`: each thread's anonymous region written once
//! and the process forked, untimed; then every write is a copy-on-write of a page the child
//! still maps). A strategy that cannot copy on write on a layout (cmpxchg on i386/2.6.8,
//! which has no break marker) cannot run `fork` there: refused when both were asked for by
//! name (`--strategies` and `--workloads`), else skipped with a note, as a lock-bit strategy
//! on a layout without a lock bit is.
//! `--memory` is the total faulted per run, split between the threads as pft.c did (its
//! `-g` is the total and each thread faults `bytes / threads`); `same-table` and `same-page`
//! fault it as one region.
//!
//! Every row reports, over `--repetitions` (median, min–max and quartiles in JSON): faults
//! per wall second (pft's `fault/wsec`: pages made present per second of wall time) and per
//! CPU second (`flt/cpu/s`, with each thread's `CLOCK_THREAD_CPUTIME_ID`), scaling against 1
//! thread, faults taken per page, the strategy's retries, lost races and spins per fault
//! taken (`Stats`), and the ratio of its rate to the floor's and to the kernel's at the same
//! threads. The JSON document (`--json FILE`) is:
//!
//! ```text
//! { "command", "version", "host": {cpus, loadavg, os, arch, kernel, page_size},
//!   "config": {layouts, strategies, workloads, threads, memory_bytes, repetitions, seed},
//!   "skipped": [{layout, strategy, workload (null: every workload), reason}], "runs",
//!   "wall_seconds",
//!   "rows": [{ layout, workload, kind ("strategy" | "reference"),
//!              strategy (a strategy's name, "kernel" or "floor"), threads, page_size, pages,
//!              pages_per_thread, faults_per_wall_second {median, min, max, q1, q3},
//!              faults_per_cpu_second {…}, wall_seconds {…}, cpu_seconds {…},
//!              scaling, faults_per_page, retries_per_fault, lost_races_per_fault,
//!              spins_per_fault, vs_floor, vs_kernel,
//!              samples: [{wall_seconds, cpu_seconds, pages, faults, retries, lost_races,
//!                         spins, installs}] }] }
//! ```
//!
//! With `--machine` (the virtual-time multiprocessor of `pte-machine`) there are no floor or
//! kernel rows, the document gains `"machine": {name, cpus, era, line_bytes}`, every row
//! `"machine"`, `"cpus"` and `"faults_per_second"` (virtual pages per virtual second, the
//! median of `faults_per_wall_second`), and every sample `"lines"`: `[{line, accesses,
//! misses, transfer_ps, queued_ps, spinning_ps, ns_per_fault}]`, dearest first; wall and CPU
//! seconds are then virtual:
//!
//! ```text
//! pte bench --machine altix-512 --workloads pft --json altix.json
//! ```
//!
//! (`null` where a number does not apply: no 1-thread row, or a reference row's retries.)

pub(crate) mod options;
mod plot;
mod reference;
mod report;
mod sim;
mod timing;

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use pte_core::LayoutEntry;
use pte_machine::{Era, Machine, Profile};
use serde_json::json;

use crate::error::{CliError, CliResult};
use options::{Kind, Shape, StrategyKind, Workload};
use report::{Row, Sample};
use sim::SimError;

/// The layouts of a run without `--layouts`: one, so that the default run stays under a
/// minute on 2 cores.
pub const DEFAULT_LAYOUTS: &str = "x86_64/6.6";

/// The layout of a `--machine` run of a 2.6.8-era machine without `--layouts`: the kernel it
/// ran.
pub const DEFAULT_LAYOUTS_2_6_8: &str = "ia64/2.6.8";

/// The thread counts of a host run without `--threads`.
pub const DEFAULT_THREADS: &str = "1,2,4,8,16,32";

/// Options of `pte bench`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Layouts, comma-separated (see `pte layouts`) [default: x86_64/6.6].
    #[arg(long, value_name = "LIST", allow_hyphen_values = true)]
    pub layouts: Option<String>,
    /// Strategies: mm-lock, split-lock, lock-bit-refault, lock-bit-spin, cmpxchg
    /// [default: every one the layout has].
    #[arg(long, value_name = "LIST", allow_hyphen_values = true)]
    pub strategies: Option<String>,
    /// Workloads: pft, same-table, same-page, churn, file, cow, fork [default: all].
    #[arg(long, value_name = "LIST", allow_hyphen_values = true)]
    pub workloads: Option<String>,
    /// Thread counts, comma-separated (more than the CPUs is intended) [default:
    /// 1,2,4,8,16,32; with --machine, its powers of two up to its CPUs].
    #[arg(long, value_name = "LIST", allow_hyphen_values = true)]
    pub threads: Option<String>,
    /// Memory faulted per run, split between the threads: bytes or K, M, G.
    #[arg(
        long,
        value_name = "SIZE",
        default_value = "32M",
        allow_hyphen_values = true
    )]
    pub memory: String,
    /// Repetitions of every row (median and spread are over them) [default: 3; with
    /// --machine 1, since a virtual run repeats exactly].
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub repetitions: Option<String>,
    /// Seed of the order the runs are made in (shuffled in every repetition).
    #[arg(
        long,
        value_name = "N",
        default_value = "2004",
        allow_hyphen_values = true
    )]
    pub seed: String,
    /// Run on a virtual-time multiprocessor instead of this host: altix-8, altix-32,
    /// altix-512, xeon-2s or host (profiles in pte-machine/profiles/). Rows are then
    /// virtual faults per second, the same on any host, with the lines that cost the most.
    #[arg(long, value_name = "PROFILE", allow_hyphen_values = true)]
    pub machine: Option<String>,
    /// With --machine: its CPUs, 1 up to what its topology holds [default: the machine's].
    #[arg(
        long,
        value_name = "N",
        allow_hyphen_values = true,
        requires = "machine"
    )]
    pub cpus: Option<String>,
    /// Write the results as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Plot faults/s against threads to FILE (SVG).
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
}

/// The validated plan of a run.
struct Plan {
    layouts: Vec<&'static LayoutEntry>,
    /// Per layout: its strategies.
    strategies: Vec<Vec<StrategyKind>>,
    workloads: Vec<Workload>,
    threads: Vec<usize>,
    memory: u64,
    repetitions: u64,
    seed: u64,
    skipped: Vec<Skip>,
    /// `--machine`: the virtual machine the rows run on.
    machine: Option<Machine>,
}

/// A strategy a layout cannot run, in every workload or in one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Skip {
    layout: &'static str,
    strategy: StrategyKind,
    /// `None`: every workload (no lock bit); `Some(fork)`: no copy-on-write.
    workload: Option<Workload>,
}

impl Skip {
    /// Why, in a few words.
    fn reason(&self) -> &'static str {
        match self.workload {
            None => "no lock bit",
            Some(_) => "no break marker: copy-on-write refused",
        }
    }
}

/// `--machine` and `--cpus`.
fn parse_machine(args: &Args) -> Result<Option<Machine>, CliError> {
    let Some(name) = &args.machine else {
        return Ok(None);
    };
    let profile = Profile::find(name).map_err(|e| CliError::bad(format_args!("--machine: {e}")))?;
    let profile = match &args.cpus {
        None => profile,
        Some(text) => {
            let cpus: usize = text.trim().parse().map_err(|_| {
                CliError::bad(format_args!(
                    "--cpus '{}' is not a number of CPUs",
                    text.escape_debug()
                ))
            })?;
            profile
                .with_cpus(cpus)
                .map_err(|e| CliError::bad(format_args!("--cpus {cpus}: {e}")))?
        }
    };
    Ok(Some(Machine::new(profile)))
}

/// Refusal of `fork` under a strategy that cannot copy on write on the layout.
fn no_copy_on_write(layout: &str, s: StrategyKind) -> CliError {
    CliError::bad(format_args!(
        "workload 'fork' copies on write and strategy '{}' cannot on layout '{layout}' \
         (no break marker for break-before-make; see `pte prove {layout} --all`)",
        s.name()
    ))
}

/// Refusal of a lock-bit strategy on a layout without a lock bit.
fn no_lock_bit(layout: &str, s: StrategyKind) -> CliError {
    CliError::bad(format_args!(
        "strategy '{}' needs a lock bit and layout '{layout}' has none \
         (no bit is provable; see `pte prove {layout} --all`)",
        s.name()
    ))
}

fn plan(args: &Args) -> Result<Plan, CliError> {
    let machine_era = args
        .machine
        .as_deref()
        .and_then(|m| Profile::find(m).ok())
        .map(|p| p.family.era);
    let default_layouts = match machine_era {
        Some(Era::Linux2_6_8) => DEFAULT_LAYOUTS_2_6_8,
        _ => DEFAULT_LAYOUTS,
    };
    let layouts = options::parse_layouts(args.layouts.as_deref().unwrap_or(default_layouts))?;
    let explicit = args
        .strategies
        .as_deref()
        .map(options::parse_strategies)
        .transpose()?;
    let workloads = match args.workloads.as_deref() {
        Some(w) => options::parse_workloads(w)?,
        None => Workload::ALL.to_vec(),
    };
    let machine = parse_machine(args)?;
    let threads = match (&args.threads, &machine) {
        (Some(list), _) => options::parse_threads(list)?,
        (None, None) => options::parse_threads(DEFAULT_THREADS)?,
        (None, Some(m)) => (0..)
            .map(|k| 1usize << k)
            .take_while(|&t| t <= m.profile().cpus)
            .collect(),
    };
    if let Some(m) = &machine
        && let Some(&t) = threads.iter().find(|&&t| t > m.profile().cpus)
    {
        return Err(CliError::bad(format_args!(
            "--threads {t}: the machine {} has {} CPUs (a virtual CPU runs one thread)",
            m.profile().machine.name,
            m.profile().cpus
        )));
    }
    let memory = options::parse_memory(&args.memory)?;
    let repetitions = match (&args.repetitions, &machine) {
        (Some(r), _) => options::parse_repetitions(r)?,
        (None, None) => 3,
        (None, Some(_)) => 1,
    };
    let seed = options::parse_seed(&args.seed)?;
    let mut strategies = Vec::new();
    let mut skipped = Vec::new();
    for e in &layouts {
        let name = e.layout.name;
        // Every registry entry is a listed type, and has a lock bit exactly when its type does.
        let has_lock = e.lock.is_some();
        if !e.compare_exchange {
            return Err(CliError::bad(format_args!(
                "layout '{name}' has no lock-free compare-and-swap on this target; the simulator needs one"
            )));
        }
        let list = match &explicit {
            Some(list) => {
                if let Some(&s) = list.iter().find(|s| s.needs_lock_bit() && !has_lock) {
                    return Err(no_lock_bit(name, s));
                }
                list.clone()
            }
            None => StrategyKind::ALL
                .into_iter()
                .filter(|s| {
                    let ok = has_lock || !s.needs_lock_bit();
                    if !ok {
                        skipped.push(Skip {
                            layout: name,
                            strategy: *s,
                            workload: None,
                        });
                    }
                    ok
                })
                .collect(),
        };
        if workloads.contains(&Workload::Fork) {
            for &s in &list {
                let can = sim::can_copy_on_write(name, s)
                    .map_err(|e| failure(format_args!("{name} {}: {e:?}", s.name())))?;
                if can {
                    continue;
                }
                // Both named: refused, as a named lock-bit strategy is; else skipped.
                if explicit.is_some() && args.workloads.is_some() {
                    return Err(no_copy_on_write(name, s));
                }
                skipped.push(Skip {
                    layout: name,
                    strategy: s,
                    workload: Some(Workload::Fork),
                });
            }
        }
        strategies.push(list);
        let g = &e.layout.geometries[0];
        for &t in &threads {
            for &w in &workloads {
                let shape = Shape::new(w, t, memory, g).ok_or_else(|| {
                    CliError::bad(format_args!(
                        "--memory {} is {} pages of {} on {name}: fewer than the {t} threads of --threads",
                        args.memory.escape_debug(),
                        memory >> g.page_shift,
                        options::size(1 << g.page_shift),
                    ))
                })?;
                if shape.end() > 1u64 << g.va_bits() {
                    return Err(CliError::bad(format_args!(
                        "--memory {} with {t} threads does not fit the {}-bit address space of {name}",
                        args.memory.escape_debug(),
                        g.va_bits()
                    )));
                }
            }
        }
    }
    Ok(Plan {
        layouts,
        strategies,
        workloads,
        threads,
        memory,
        repetitions,
        seed,
        skipped,
        machine,
    })
}

/// One measurement to make.
#[derive(Clone, Copy, Debug)]
struct Task {
    layout: usize,
    workload: Workload,
    threads: usize,
    kind: Kind,
}

/// xorshift64*: the run order, reproducible from `--seed`.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n as u64) as usize
    }

    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
}

/// Opens an output file early, so that a bad path is refused before the run.
fn create(option: &str, path: &Path) -> Result<File, CliError> {
    File::create(path).map_err(|e| {
        CliError::bad(format_args!(
            "cannot write {option} '{}': {e}",
            path.display().to_string().escape_debug()
        ))
    })
}

fn failure(msg: impl std::fmt::Display) -> CliError {
    CliError::Io(io::Error::other(format!("bench: {msg}")))
}

/// Measures one task.
fn measure(plan: &Plan, task: &Task) -> Result<Sample, CliError> {
    let e = plan.layouts[task.layout];
    let shape = Shape::new(
        task.workload,
        task.threads,
        plan.memory,
        &e.layout.geometries[0],
    )
    .ok_or_else(|| failure("no shape"))?;
    match task.kind {
        Kind::Floor => Ok(reference::floor(&shape)),
        Kind::Kernel => reference::kernel(&shape).map_err(failure),
        Kind::Strategy(s) => sim::run_layout(e.layout.name, s, &shape, plan.machine.as_ref())
            .map_err(|err| match err {
                SimError::NoLockBit => no_lock_bit(e.layout.name, s),
                SimError::NoCopyOnWrite => no_copy_on_write(e.layout.name, s),
                SimError::UnknownLayout => failure(format_args!("no type for {}", e.layout.name)),
                SimError::Failed(m) => failure(m),
            }),
    }
}

/// The host: CPUs, kernel release, page size.
fn host() -> serde_json::Value {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    // SAFETY: an all-zero utsname is a valid value of this plain C struct.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: `u` is a valid, writable utsname.
    let kernel = if unsafe { libc::uname(&mut u) } == 0 {
        // SAFETY: uname NUL-terminates `release`.
        unsafe { std::ffi::CStr::from_ptr(u.release.as_ptr()) }
            .to_string_lossy()
            .into_owned()
    } else {
        String::new()
    };
    // Other work on the machine shows here (the run shares the CPUs with it).
    let loadavg = std::fs::read_to_string("/proc/loadavg").ok().and_then(|l| {
        l.split_whitespace()
            .next()
            .and_then(|v| v.parse::<f64>().ok())
    });
    json!({
        "cpus": cpus,
        "loadavg": loadavg,
        "os": std::env::consts::OS,
        "arch": std::env::consts::ARCH,
        "kernel": kernel,
        "page_size": reference::host_page_size(),
    })
}

/// Validates the options of `pte bench` as [`run`] does, without running anything.
pub fn check(args: &Args) -> CliResult {
    plan(args).map(drop)
}

/// Runs `pte bench`.
pub fn run(args: &Args, out: &mut dyn Write) -> CliResult {
    let plan = plan(args)?;
    let json_file = args
        .json
        .as_ref()
        .map(|p| create("--json", p))
        .transpose()?;
    if let Some(p) = &args.svg {
        create("--svg", p)?;
    }
    let command = std::iter::once("pte".to_owned())
        .chain(std::env::args().skip(1))
        .collect::<Vec<_>>()
        .join(" ");

    // Every (layout, workload, kind, threads), in report order.
    let mut tasks = Vec::new();
    for (li, _) in plan.layouts.iter().enumerate() {
        for &workload in &plan.workloads {
            // The reference rows are this host's: not on a virtual machine.
            let references = if plan.machine.is_some() {
                &[][..]
            } else {
                &[Kind::Floor, Kind::Kernel][..]
            };
            let layout = plan.layouts[li].layout.name;
            let kinds = references.iter().copied().chain(
                plan.strategies[li]
                    .iter()
                    .filter(|&&s| {
                        !plan.skipped.contains(&Skip {
                            layout,
                            strategy: s,
                            workload: Some(workload),
                        })
                    })
                    .map(|&s| Kind::Strategy(s)),
            );
            for kind in kinds {
                for &threads in &plan.threads {
                    tasks.push(Task {
                        layout: li,
                        workload,
                        threads,
                        kind,
                    });
                }
            }
        }
    }

    // Warm up (untimed): the host's memory for the kernel row and the allocator for the
    // simulator, at the largest thread count.
    let tmax = plan.threads.iter().copied().max().unwrap_or(1);
    let warm = Task {
        layout: 0,
        workload: Workload::Pft,
        threads: tmax,
        kind: Kind::Kernel,
    };
    // (A virtual machine has nothing to warm: its times do not depend on the host.)
    if plan.machine.is_none() {
        measure(&plan, &warm)?;
        measure(
            &plan,
            &Task {
                kind: Kind::Strategy(
                    plan.strategies[0]
                        .first()
                        .copied()
                        .unwrap_or(StrategyKind::Cmpxchg),
                ),
                ..warm
            },
        )?;
    }

    let total = tasks.len() as u64 * plan.repetitions;
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {msg} (eta {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let tty = io::stderr().is_terminal();
    let mut shown = false;
    let started = Instant::now();
    let mut samples: HashMap<usize, Vec<Sample>> = HashMap::new();
    let mut rng = Rng::new(plan.seed);
    let mut order: Vec<usize> = (0..tasks.len()).collect();
    for _ in 0..plan.repetitions {
        rng.shuffle(&mut order);
        for &i in &order {
            let task = &tasks[i];
            if tty && !shown && started.elapsed() > Duration::from_secs(2) {
                bar.set_draw_target(ProgressDrawTarget::stderr());
                shown = true;
            }
            bar.set_message(format!(
                "{} {} {} x{}",
                plan.layouts[task.layout].layout.name,
                task.workload.name(),
                task.kind.name(),
                task.threads
            ));
            let sample = measure(&plan, task).inspect_err(|_| bar.finish_and_clear())?;
            samples.entry(i).or_default().push(sample);
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();

    let rows: Vec<Row> = tasks
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let e = plan.layouts[t.layout];
            Row {
                layout: e.layout.name,
                workload: t.workload,
                kind: t.kind,
                shape: Shape::new(t.workload, t.threads, plan.memory, &e.layout.geometries[0])
                    .expect("validated by plan"),
                samples: samples.remove(&i).unwrap_or_default(),
            }
        })
        .collect();

    if let Some(m) = &plan.machine {
        let p = m.profile();
        writeln!(
            out,
            "# machine {} ({} CPUs, {} era): virtual time — faults/s are virtual, the same on any host",
            p.machine.name, p.cpus, p.family.era
        )?;
    }
    report::write_table(out, &rows, plan.repetitions)?;
    let published = plan
        .machine
        .as_ref()
        .map(|m| pte_machine::published::for_machine(&m.profile().machine.name))
        .unwrap_or_default();
    if plan.machine.is_some() {
        report::write_lines(out, &rows)?;
        report::write_published(out, &rows, &published)?;
    }
    for k in &plan.skipped {
        let (layout, s) = (k.layout, k.strategy.name());
        match k.workload {
            None => writeln!(out, "# {layout}: {s} skipped ({})", k.reason())?,
            Some(w) => writeln!(
                out,
                "# {layout}: {s} skipped in {} ({})",
                w.name(),
                k.reason()
            )?,
        }
    }
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    if tmax > cpus && plan.machine.is_none() {
        writeln!(
            out,
            "# {cpus} CPUs: beyond {cpus} threads the threads are time-sliced, so those rows \
             measure preemption and time-slicing, not parallelism"
        )?;
    }
    writeln!(out, "# {} runs in {elapsed:.1} s: {command}", total)?;

    if let Some(mut f) = json_file {
        let doc = json!({
            "command": command,
            "version": env!("CARGO_PKG_VERSION"),
            "host": host(),
            "config": {
                "layouts": plan.layouts.iter().map(|e| e.layout.name).collect::<Vec<_>>(),
                "strategies": plan.strategies.iter().map(|l| l.iter().map(|s| s.name()).collect::<Vec<_>>()).collect::<Vec<_>>(),
                "workloads": plan.workloads.iter().map(|w| w.name()).collect::<Vec<_>>(),
                "threads": plan.threads,
                "memory_bytes": plan.memory,
                "repetitions": plan.repetitions,
                "seed": plan.seed,
            },
            "skipped": plan.skipped.iter().map(|k| json!({
                "layout": k.layout,
                "strategy": k.strategy.name(),
                "workload": k.workload.map(Workload::name),
                "reason": k.reason(),
            })).collect::<Vec<_>>(),
            "runs": total,
            "wall_seconds": elapsed,
            "rows": rows.iter().map(|r| {
                let mut v = report::row_json(r, &rows);
                if let (Some(m), Some(o)) = (&plan.machine, v.as_object_mut()) {
                    let rate = report::derive(r, &rows).wall.median;
                    o.insert("machine".into(), json!(m.profile().machine.name));
                    o.insert("cpus".into(), json!(m.profile().cpus));
                    o.insert("faults_per_second".into(), json!(rate));
                    // The published pft rows of this machine, strategy and threads.
                    let same: Vec<_> = published
                        .iter()
                        .filter(|s| r.workload == Workload::Pft && s.strategy.as_deref() == Some(r.kind.name()))
                        .flat_map(|s| s.points.iter().filter(|p| p.threads == r.shape.threads).filter_map(|p| {
                            p.faults_per_wall_second.map(|f| json!({"series": s.id, "faults_per_wall_second": f}))
                        }))
                        .collect();
                    o.insert("published".into(), json!(same));
                }
                v
            }).collect::<Vec<_>>(),
        });
        let mut doc = doc;
        if let (Some(m), Some(o)) = (&plan.machine, doc.as_object_mut()) {
            o.insert(
                "machine".into(),
                json!({
                    "name": m.profile().machine.name,
                    "cpus": m.profile().cpus,
                    "era": m.profile().family.era.to_string(),
                    "line_bytes": m.profile().family.line_bytes.value,
                }),
            );
        }
        serde_json::to_writer_pretty(&mut f, &doc).map_err(io::Error::from)?;
        writeln!(f)?;
    }
    if let Some(p) = &args.svg {
        plot::write_svg(p, &rows, &command, &published).map_err(failure)?;
    }
    Ok(())
}
