//! Samples, the rows they make (median and spread over repetitions, scaling, ratios to the
//! floor and the kernel), the terminal table and the JSON document.

use std::io::{self, Write};

use serde_json::{Value, json};

use super::options::{Kind, Shape, Workload, size};

/// One repetition of one row.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sample {
    /// Wall seconds, first thread's start to last thread's end.
    pub wall: f64,
    /// CPU seconds of all threads.
    pub cpu: f64,
    /// Pages made present: the work, one fault per page in pft's sense.
    pub pages: u64,
    /// Faults taken: the strategy's `Stats::faults` (every resolved fault, a lost race
    /// included), the kernel's `ru_minflt`, the floor's installs attempted.
    pub faults: u64,
    /// `Stats::retries`: refaults asked for (strategies only).
    pub retries: Option<u64>,
    /// `Stats::lost_races` (strategies only).
    pub lost_races: Option<u64>,
    /// `Stats::spins` (strategies only).
    pub spins: Option<u64>,
    /// Entries installed (anonymous, file and copy-on-write faults; strategies only).
    pub installs: Option<u64>,
    /// On a virtual machine (`--machine`): virtual time by kind of line, dearest first
    /// (`wall` is then the virtual makespan and `cpu` the sum of the CPUs' virtual times).
    pub lines: Vec<(&'static str, pte_machine::LineCost)>,
}

impl Sample {
    /// Pages per wall second (pft's `fault/wsec`).
    pub fn rate_wall(&self) -> f64 {
        per(self.pages as f64, self.wall)
    }

    /// Pages per CPU second (pft's `flt/cpu/s`).
    pub fn rate_cpu(&self) -> f64 {
        per(self.pages as f64, self.cpu)
    }
}

fn per(n: f64, secs: f64) -> f64 {
    if secs > 0.0 { n / secs } else { 0.0 }
}

/// Median, quartiles and extremes of some values.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Spread {
    /// The median.
    pub median: f64,
    /// The smallest.
    pub min: f64,
    /// The largest.
    pub max: f64,
    /// First quartile (linear interpolation).
    pub q1: f64,
    /// Third quartile.
    pub q3: f64,
}

impl Spread {
    /// Of `values` (empty: all zero).
    pub fn of(values: impl IntoIterator<Item = f64>) -> Self {
        let mut v: Vec<f64> = values.into_iter().collect();
        if v.is_empty() {
            return Spread::default();
        }
        v.sort_by(f64::total_cmp);
        let q = |p: f64| {
            let x = p * (v.len() - 1) as f64;
            let (lo, hi) = (x.floor() as usize, x.ceil() as usize);
            v[lo] + (v[hi] - v[lo]) * (x - lo as f64)
        };
        Spread {
            median: q(0.5),
            min: v[0],
            max: v[v.len() - 1],
            q1: q(0.25),
            q3: q(0.75),
        }
    }

    fn json(&self) -> Value {
        json!({
            "median": self.median,
            "min": self.min,
            "max": self.max,
            "q1": self.q1,
            "q3": self.q3,
        })
    }
}

/// One row: a (layout, workload, strategy or reference, threads) and its repetitions.
#[derive(Clone, Debug)]
pub struct Row {
    /// The layout's name.
    pub layout: &'static str,
    /// The workload.
    pub workload: Workload,
    /// Strategy, floor or kernel.
    pub kind: Kind,
    /// The pages and threads.
    pub shape: Shape,
    /// One per repetition.
    pub samples: Vec<Sample>,
}

/// A row's numbers, derived from its samples and the rows beside it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Derived {
    /// Faults (pages) per wall second.
    pub wall: Spread,
    /// Faults (pages) per CPU second.
    pub cpu: Spread,
    /// Wall seconds.
    pub wall_seconds: Spread,
    /// CPU seconds.
    pub cpu_seconds: Spread,
    /// Median rate over the median rate of the same row with 1 thread.
    pub scaling: Option<f64>,
    /// Faults taken per page made present.
    pub faults_per_page: f64,
    /// Retries per fault taken.
    pub retries_per_fault: Option<f64>,
    /// Lost races per fault taken.
    pub lost_races_per_fault: Option<f64>,
    /// Spins per fault taken.
    pub spins_per_fault: Option<f64>,
    /// Median rate over the floor's median rate (same layout, workload, threads).
    pub vs_floor: Option<f64>,
    /// Median rate over the kernel's median rate.
    pub vs_kernel: Option<f64>,
}

fn ratio(sum: impl Fn(&Sample) -> Option<u64>, samples: &[Sample]) -> Option<f64> {
    let faults: u64 = samples.iter().map(|s| s.faults).sum();
    let n: Option<u64> = samples.iter().map(sum).sum();
    n.map(|n| per(n as f64, faults as f64))
}

/// The numbers of `row`, given all rows (for scaling and the references).
pub fn derive(row: &Row, rows: &[Row]) -> Derived {
    let median = |r: &Row| Spread::of(r.samples.iter().map(Sample::rate_wall)).median;
    let find = |kind: Kind, threads: usize| {
        rows.iter().find(|r| {
            r.layout == row.layout
                && r.workload == row.workload
                && r.kind == kind
                && r.shape.threads == threads
        })
    };
    let wall = Spread::of(row.samples.iter().map(Sample::rate_wall));
    let against = |other: Option<&Row>| {
        other
            .map(median)
            .filter(|&m| m > 0.0)
            .map(|m| wall.median / m)
    };
    let pages: u64 = row.samples.iter().map(|s| s.pages).sum();
    let faults: u64 = row.samples.iter().map(|s| s.faults).sum();
    Derived {
        wall,
        cpu: Spread::of(row.samples.iter().map(Sample::rate_cpu)),
        wall_seconds: Spread::of(row.samples.iter().map(|s| s.wall)),
        cpu_seconds: Spread::of(row.samples.iter().map(|s| s.cpu)),
        scaling: against(find(row.kind, 1)),
        faults_per_page: per(faults as f64, pages as f64),
        retries_per_fault: ratio(|s| s.retries, &row.samples),
        lost_races_per_fault: ratio(|s| s.lost_races, &row.samples),
        spins_per_fault: ratio(|s| s.spins, &row.samples),
        vs_floor: against(find(Kind::Floor, row.shape.threads)),
        vs_kernel: against(find(Kind::Kernel, row.shape.threads)),
    }
}

/// A rate with three significant digits and an SI suffix: `845k`, `1.23M`.
pub fn si(v: f64) -> String {
    // A value that rounds up to the next unit is shown in it (999.9k is 1.00M).
    let (x, unit) = [(1e9, "G"), (1e6, "M"), (1e3, "k")]
        .into_iter()
        .find(|&(d, _)| v >= d * 0.9995)
        .map_or((v, ""), |(d, u)| (v / d, u));
    if x >= 99.95 {
        format!("{x:.0}{unit}")
    } else if x >= 9.995 {
        format!("{x:.1}{unit}")
    } else {
        format!("{x:.2}{unit}")
    }
}

fn opt(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map_or_else(|| "-".to_owned(), f)
}

/// The section title of a (layout, workload).
fn title(row: &Row, repetitions: u64) -> String {
    let s = &row.shape;
    format!(
        "{} {} ({}): {} pages of {} ({}), {} repetition{}",
        row.layout,
        row.workload.name(),
        row.workload.describe(),
        s.pages,
        size(s.page_size()),
        size(s.pages * s.page_size()),
        repetitions,
        if repetitions == 1 { "" } else { "s" }
    )
}

/// Writes the table: one section per (layout, workload), one line per row.
pub fn write_table(out: &mut dyn Write, rows: &[Row], repetitions: u64) -> io::Result<()> {
    let header = [
        "strategy",
        "thr",
        "fault/wsec",
        "min-max",
        "flt/cpu/s",
        "scaling",
        "flt/page",
        "retry/flt",
        "lost/flt",
        "x floor",
        "x kernel",
    ]
    .map(str::to_owned);
    let mut i = 0;
    while i < rows.len() {
        let (layout, workload) = (rows[i].layout, rows[i].workload);
        let mut table = vec![header.clone()];
        let section_start = i;
        while i < rows.len() && rows[i].layout == layout && rows[i].workload == workload {
            let r = &rows[i];
            let d = derive(r, rows);
            table.push([
                r.kind.name().to_owned(),
                r.shape.threads.to_string(),
                si(d.wall.median),
                format!("{}-{}", si(d.wall.min), si(d.wall.max)),
                si(d.cpu.median),
                opt(d.scaling, |v| format!("{v:.2}")),
                format!("{:.2}", d.faults_per_page),
                opt(d.retries_per_fault, |v| format!("{v:.3}")),
                opt(d.lost_races_per_fault, |v| format!("{v:.3}")),
                opt(d.vs_floor, |v| format!("{v:.3}")),
                opt(d.vs_kernel, |v| format!("{v:.2}")),
            ]);
            i += 1;
        }
        writeln!(out, "{}", title(&rows[section_start], repetitions))?;
        crate::output::write_table(out, &table)?;
        writeln!(out)?;
    }
    Ok(())
}

fn json_opt(v: Option<f64>) -> Value {
    v.map_or(Value::Null, Value::from)
}

/// The contention report of a `--machine` run: for each layout, workload and strategy, at
/// its most threads, the three lines that cost the most virtual time per fault.
pub fn write_lines(out: &mut dyn std::io::Write, rows: &[Row]) -> std::io::Result<()> {
    writeln!(
        out,
        "# dearest lines (virtual ns per fault, at the most threads):"
    )?;
    for r in rows {
        let group = |n: &&Row| (n.layout, n.workload, n.kind) == (r.layout, r.workload, r.kind);
        // The group's row with the most threads (the thread list may be in any order), once.
        let most = rows
            .iter()
            .filter(group)
            .max_by_key(|n| n.shape.threads)
            .is_some_and(|m| std::ptr::eq(m, r));
        let Some(sample) = r.samples.first() else {
            continue;
        };
        if !most || sample.lines.is_empty() {
            continue;
        }
        let top: Vec<String> = sample
            .lines
            .iter()
            .take(3)
            .map(|(name, c)| format!("{name} {:.0}", ns_per_fault(c, sample)))
            .collect();
        writeln!(
            out,
            "#   {} {} {} x{}: {}",
            r.layout,
            r.workload.name(),
            r.kind.name(),
            r.shape.threads,
            top.join("; ")
        )?;
    }
    Ok(())
}

/// The validation of a `--machine` run of an Altix: for each published table of the same
/// machine and strategy (and workload `pft`, which is what was published), the model's rate
/// over the published one at every thread count both have.
pub fn write_published(
    out: &mut dyn std::io::Write,
    rows: &[Row],
    published: &[pte_machine::published::Series],
) -> std::io::Result<()> {
    let mut header = false;
    for s in published {
        let Some(strategy) = s.strategy.as_deref() else {
            continue;
        };
        let ratios: Vec<String> = s
            .points
            .iter()
            .filter_map(|p| {
                let published = p.faults_per_wall_second?;
                let row = rows.iter().find(|r| {
                    r.workload == super::options::Workload::Pft
                        && r.kind.name() == strategy
                        && r.shape.threads == p.threads
                })?;
                let model = Spread::of(row.samples.iter().map(Sample::rate_wall)).median;
                Some(format!("{}:{:.2}", p.threads, model / published))
            })
            .collect();
        if ratios.is_empty() {
            continue;
        }
        if !header {
            writeln!(out, "# model / published (pft fault/wsec; threads:ratio):")?;
            header = true;
        }
        writeln!(out, "#   {} {strategy}: {}", s.id, ratios.join(" "))?;
    }
    Ok(())
}

/// Virtual nanoseconds of `cost` per page made present.
pub fn ns_per_fault(cost: &pte_machine::LineCost, sample: &Sample) -> f64 {
    per(cost.total() as f64 / 1000.0, sample.pages as f64)
}

/// The JSON object of one row.
pub fn row_json(row: &Row, rows: &[Row]) -> Value {
    let d = derive(row, rows);
    let s = &row.shape;
    let samples: Vec<Value> = row
        .samples
        .iter()
        .map(|x| {
            let mut v = json!({
                "wall_seconds": x.wall,
                "cpu_seconds": x.cpu,
                "pages": x.pages,
                "faults": x.faults,
                "retries": x.retries,
                "lost_races": x.lost_races,
                "spins": x.spins,
                "installs": x.installs,
            });
            if let (false, Some(o)) = (x.lines.is_empty(), v.as_object_mut()) {
                o.insert(
                    "lines".into(),
                    x.lines
                        .iter()
                        .map(|(name, c)| {
                            json!({
                                "line": name,
                                "accesses": c.accesses,
                                "misses": c.misses,
                                "transfer_ps": c.transfer,
                                "queued_ps": c.queued,
                                "spinning_ps": c.spinning,
                                "ns_per_fault": ns_per_fault(c, x),
                            })
                        })
                        .collect::<Vec<_>>()
                        .into(),
                );
            }
            v
        })
        .collect();
    json!({
        "layout": row.layout,
        "workload": row.workload.name(),
        "kind": row.kind.class(),
        "strategy": row.kind.name(),
        "threads": s.threads,
        "page_size": s.page_size(),
        "pages": s.pages,
        "pages_per_thread": s.pages_per_thread(),
        "faults_per_wall_second": d.wall.json(),
        "faults_per_cpu_second": d.cpu.json(),
        "wall_seconds": d.wall_seconds.json(),
        "cpu_seconds": d.cpu_seconds.json(),
        "scaling": json_opt(d.scaling),
        "faults_per_page": d.faults_per_page,
        "retries_per_fault": json_opt(d.retries_per_fault),
        "lost_races_per_fault": json_opt(d.lost_races_per_fault),
        "spins_per_fault": json_opt(d.spins_per_fault),
        "vs_floor": json_opt(d.vs_floor),
        "vs_kernel": json_opt(d.vs_kernel),
        "samples": samples,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreads() {
        let s = Spread::of([3.0, 1.0, 2.0]);
        assert_eq!((s.min, s.median, s.max), (1.0, 2.0, 3.0));
        let s = Spread::of([1.0, 2.0, 3.0, 4.0]);
        assert_eq!(s.median, 2.5);
        assert_eq!(Spread::of([]).median, 0.0);
    }

    #[test]
    fn si_units() {
        assert_eq!(si(845_123.0), "845k");
        assert_eq!(si(1_234_567.0), "1.23M");
        assert_eq!(si(12.0), "12.0");
        assert_eq!(si(999_999.99), "1.00M");
        assert_eq!(si(99_960.0), "100k");
    }
}
