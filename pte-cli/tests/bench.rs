//! End-to-end tests of `pte bench`: a tiny run produces the documented JSON (kernel and
//! floor rows beside every strategy), the table and the plot; invalid combinations are
//! refused with exit status 2 and one line naming the value. No assertion is about timing:
//! only the shape of the output and the counts that do not depend on the schedule.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Output;

use assert_cmd::Command;
use common::{keys, refused, set, succeeded};
use pte_core::fault::StrategyKind;
use serde_json::Value;

mod common;

fn pte() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pte"))
}

fn run(args: &[&str]) -> Output {
    pte().args(args).output().expect("run pte")
}

/// A path in the test's scratch directory.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-tests");
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir.join(name)
}

/// Runs `pte args`, asserting success; returns stdout.
fn ok(args: &[&str]) -> String {
    succeeded(args, &run(args))
}

/// Runs `pte args`, asserting exit status 2, nothing on stdout and one `error: …` line on
/// stderr naming every needle.
fn bad(args: &[&str], needles: &[&str]) {
    let (_, stdout, _) = refused(args, &run(args), needles);
    assert!(stdout.is_empty(), "pte {args:?}: partial output {stdout:?}");
}

/// The strategy names of the objects in the array `doc[key]`.
fn strategies<'d>(doc: &'d Value, key: &str) -> BTreeSet<&'d str> {
    doc[key]
        .as_array()
        .expect(key)
        .iter()
        .map(|o| o["strategy"].as_str().expect("name"))
        .collect()
}

fn number(v: &Value, what: &str) -> f64 {
    let x = v
        .as_f64()
        .unwrap_or_else(|| panic!("{what} is not a number: {v}"));
    assert!(x.is_finite() && x >= 0.0, "{what}: {x}");
    x
}

fn spread(v: &Value, what: &str) {
    assert_eq!(
        keys(v),
        set(&["median", "min", "max", "q1", "q3"]),
        "{what}"
    );
    let [min, q1, median, q3, max] =
        ["min", "q1", "median", "q3", "max"].map(|k| number(&v[k], what));
    assert!(
        min <= q1 && q1 <= median && median <= q3 && q3 <= max,
        "{what}: {v}"
    );
}

/// The fields of a row, as documented in `pte bench`'s module docs.
const ROW_FIELDS: [&str; 20] = [
    "layout",
    "workload",
    "kind",
    "strategy",
    "threads",
    "page_size",
    "pages",
    "pages_per_thread",
    "faults_per_wall_second",
    "faults_per_cpu_second",
    "wall_seconds",
    "cpu_seconds",
    "scaling",
    "faults_per_page",
    "retries_per_fault",
    "lost_races_per_fault",
    "spins_per_fault",
    "vs_floor",
    "vs_kernel",
    "samples",
];

const WORKLOADS: [&str; 7] = [
    "pft",
    "same-table",
    "same-page",
    "churn",
    "file",
    "cow",
    "fork",
];
/// Every strategy's name (`Strategy::NAME`, which the CLI's `--strategies` and its output
/// use), from the set.
const STRATEGIES: [&str; StrategyKind::ALL.len()] = {
    let mut names = [""; StrategyKind::ALL.len()];
    let mut i = 0;
    while i < names.len() {
        names[i] = StrategyKind::ALL[i].name();
        i += 1;
    }
    names
};

/// The names of the strategies that need a lock bit (`lock_bit: true`) or need none.
fn strategies_needing(lock_bit: bool) -> impl Iterator<Item = &'static str> {
    StrategyKind::ALL
        .into_iter()
        .filter(move |k| k.needs_lock_bit() == lock_bit)
        .map(StrategyKind::name)
}

#[test]
fn tiny_run_writes_the_documented_json_table_and_plot() {
    let json = scratch("tiny.json");
    let svg = scratch("tiny.svg");
    let (json_s, svg_s) = (json.to_str().unwrap(), svg.to_str().unwrap());
    let stdout = ok(&[
        "bench",
        "--memory",
        "256K",
        "--repetitions",
        "1",
        "--threads",
        "1,2",
        "--json",
        json_s,
        "--svg",
        svg_s,
    ]);

    // The table: a section per workload, a line per row, the references included.
    for w in WORKLOADS {
        assert!(
            stdout.contains(&format!("x86_64/6.6 {w} (")),
            "{w}: {stdout}"
        );
    }
    for name in STRATEGIES.iter().chain(&["floor", "kernel"]) {
        assert!(
            stdout.lines().any(|l| l.starts_with(name)),
            "no {name} row: {stdout}"
        );
    }

    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&json).expect("JSON file"))
        .expect("valid JSON");
    assert_eq!(
        keys(&doc),
        set(&[
            "command",
            "version",
            "host",
            "config",
            "skipped",
            "runs",
            "wall_seconds",
            "rows"
        ])
    );
    assert_eq!(
        keys(&doc["host"]),
        set(&["cpus", "os", "arch", "kernel", "page_size", "loadavg"])
    );
    assert_eq!(doc["config"]["threads"], serde_json::json!([1, 2]));
    assert_eq!(doc["config"]["memory_bytes"], Value::from(256 * 1024));
    assert_eq!(doc["config"]["layouts"], serde_json::json!(["x86_64/6.6"]));
    assert_eq!(doc["skipped"], serde_json::json!([]));

    let rows = doc["rows"].as_array().expect("rows");
    // 7 workloads x (5 strategies + floor + kernel) x 2 thread counts.
    assert_eq!(rows.len(), 7 * 7 * 2);
    assert_eq!(doc["runs"], Value::from(rows.len()));
    let fields = set(&ROW_FIELDS);
    for row in rows {
        let what = format!("{} {} {}", row["workload"], row["strategy"], row["threads"]);
        assert_eq!(keys(row), fields, "{what}");
        assert_eq!(row["layout"], "x86_64/6.6");
        assert_eq!(row["page_size"], 4096);
        for k in [
            "faults_per_wall_second",
            "faults_per_cpu_second",
            "wall_seconds",
            "cpu_seconds",
        ] {
            spread(&row[k], &format!("{what} {k}"));
        }
        let threads = row["threads"].as_u64().expect("threads");
        let pages = row["pages"].as_u64().expect("pages");
        // 64 pages of 4 KiB: split between the threads, or one region for same-*.
        assert_eq!(pages, 64, "{what}");
        let reference = row["kind"] == "reference";
        let name = row["strategy"].as_str().expect("strategy");
        if reference {
            assert!(name == "floor" || name == "kernel", "{what}");
            for k in [
                "retries_per_fault",
                "lost_races_per_fault",
                "spins_per_fault",
            ] {
                assert!(row[k].is_null(), "{what} {k}");
            }
        } else {
            assert_eq!(row["kind"], "strategy");
            assert!(STRATEGIES.contains(&name), "{what}");
            for k in [
                "retries_per_fault",
                "lost_races_per_fault",
                "spins_per_fault",
            ] {
                number(&row[k], &format!("{what} {k}"));
            }
        }
        number(&row["vs_floor"], &format!("{what} vs_floor"));
        number(&row["vs_kernel"], &format!("{what} vs_kernel"));
        // Scaling is against the same row at 1 thread: exactly 1 there.
        let scaling = number(&row["scaling"], &format!("{what} scaling"));
        if threads == 1 {
            assert_eq!(scaling, 1.0, "{what}");
        }
        if name == "floor" {
            assert_eq!(row["vs_floor"], 1.0, "{what}");
        }
        if name == "kernel" {
            assert_eq!(row["vs_kernel"], 1.0, "{what}");
        }
        // Every page is made present, and at least one fault is taken per page.
        let samples = row["samples"].as_array().expect("samples");
        assert_eq!(samples.len(), 1, "{what}");
        for s in samples {
            assert_eq!(
                keys(s),
                set(&[
                    "wall_seconds",
                    "cpu_seconds",
                    "pages",
                    "faults",
                    "retries",
                    "lost_races",
                    "spins",
                    "installs"
                ])
            );
            assert_eq!(s["pages"], Value::from(pages));
            let faults = s["faults"].as_u64().expect("faults");
            if name == "kernel" && (row["workload"] == "file" || row["workload"] == "cow") {
                // The kernel may map a large page-cache folio in one fault.
                assert!(faults > 0, "{what}: {s}");
            } else {
                assert!(faults >= pages, "{what}: {s}");
            }
            if reference {
                assert!(s["installs"].is_null());
            } else {
                // Each page installed exactly once, whoever won the races.
                assert_eq!(s["installs"], Value::from(pages), "{what}");
            }
        }
        number(&row["faults_per_page"], &what);
        let per_thread = row["pages_per_thread"].as_u64().expect("pages_per_thread");
        let expected = match row["workload"].as_str() {
            Some("same-page") => pages,
            Some("same-table") => pages.div_ceil(threads),
            _ => pages / threads,
        };
        assert_eq!(per_thread, expected, "{what}");
    }
    // The references exist for every (workload, threads).
    for w in WORKLOADS {
        for t in [1, 2] {
            for r in ["floor", "kernel"] {
                assert!(
                    rows.iter().any(|row| row["workload"] == w
                        && row["threads"] == t
                        && row["strategy"] == r),
                    "no {r} row for {w} at {t} threads"
                );
            }
        }
    }

    let plot = std::fs::read_to_string(&svg).expect("SVG file");
    assert!(plot.starts_with("<svg"), "{}", &plot[..plot.len().min(80)]);
    assert!(plot.trim_end().ends_with("</svg>"));
    for name in STRATEGIES.iter().chain(&["floor", "kernel", "same-page"]) {
        assert!(plot.contains(name), "the plot does not name {name}");
    }
}

#[test]
fn a_layout_without_a_lock_bit_skips_the_lock_bit_strategies_by_default() {
    let json = scratch("i386.json");
    let stdout = ok(&[
        "bench",
        "--layouts",
        "i386/2.6.8",
        "--workloads",
        "pft,same-page",
        "--threads",
        "2",
        "--memory",
        "64K",
        "--repetitions",
        "1",
        "--json",
        json.to_str().unwrap(),
    ]);
    assert!(
        stdout.contains("lock-bit-refault skipped (no lock bit)"),
        "{stdout}"
    );
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("JSON")).expect("JSON");
    let skipped = strategies(&doc, "skipped");
    assert_eq!(skipped, strategies_needing(true).collect());
    for k in doc["skipped"].as_array().expect("skipped") {
        assert_eq!(keys(k), set(&["layout", "strategy", "workload", "reason"]));
        assert_eq!(k["workload"], Value::Null, "{k}");
        assert_eq!(k["reason"], "no lock bit", "{k}");
    }
    let names = strategies(&doc, "rows");
    assert_eq!(
        names,
        ["floor", "kernel"]
            .into_iter()
            .chain(strategies_needing(false))
            .collect()
    );
}

/// cmpxchg cannot copy on write on i386/2.6.8 (no break marker): its `fork` row is skipped
/// with a note unless both were named, and then refused; its other workloads still run.
#[test]
fn fork_without_copy_on_write_is_skipped_by_default_and_refused_when_named() {
    let json = scratch("i386-fork.json");
    let stdout = ok(&[
        "bench",
        "--layouts",
        "i386/2.6.8",
        "--strategies",
        "cmpxchg,mm-lock",
        "--threads",
        "1,2",
        "--memory",
        "64K",
        "--repetitions",
        "1",
        "--json",
        json.to_str().unwrap(),
    ]);
    assert!(
        stdout.contains("# i386/2.6.8: cmpxchg skipped in fork (no break marker"),
        "{stdout}"
    );
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("JSON")).expect("JSON");
    assert_eq!(
        doc["skipped"],
        serde_json::json!([{
            "layout": "i386/2.6.8",
            "strategy": "cmpxchg",
            "workload": "fork",
            "reason": "no break marker: copy-on-write refused",
        }])
    );
    let rows = doc["rows"].as_array().expect("rows");
    let has = |w: &str, s: &str| {
        rows.iter()
            .any(|r| r["workload"] == w && r["strategy"] == s)
    };
    assert!(!has("fork", "cmpxchg"));
    for r in ["floor", "kernel", "mm-lock"] {
        assert!(has("fork", r), "no fork {r} row");
    }
    for w in WORKLOADS.iter().filter(|&&w| w != "fork") {
        assert!(has(w, "cmpxchg"), "no {w} cmpxchg row");
    }
    // Both named: refused (exit 2), naming the layout, the strategy and the workload.
    bad(
        &[
            "bench",
            "--layouts",
            "i386/2.6.8",
            "--strategies",
            "cmpxchg",
            "--workloads",
            "pft,fork",
        ],
        &["i386/2.6.8", "'cmpxchg'", "'fork'", "break marker"],
    );
    // Only the workload named: the strategy is skipped in it.
    let text = ok(&[
        "bench",
        "--layouts",
        "i386/2.6.8",
        "--workloads",
        "fork",
        "--threads",
        "1",
        "--memory",
        "64K",
        "--repetitions",
        "1",
    ]);
    assert!(text.contains("cmpxchg skipped in fork"), "{text}");
    assert!(!text.lines().any(|l| l.starts_with("cmpxchg")), "{text}");
}

/// `fork` on the virtual-time machine: every strategy copies every page once.
#[test]
fn fork_runs_on_the_machine() {
    let json = scratch("machine-fork.json");
    ok(&[
        "bench",
        "--machine",
        "altix-8",
        "--cpus",
        "4",
        "--workloads",
        "fork",
        "--memory",
        "512K",
        "--json",
        json.to_str().unwrap(),
    ]);
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("JSON")).expect("JSON");
    let rows = doc["rows"].as_array().expect("rows");
    // ia64/2.6.8 (the machine's layout) has a lock bit and a break marker: every strategy,
    // at 1, 2 and 4 threads.
    assert_eq!(rows.len(), STRATEGIES.len() * 3);
    for r in rows {
        assert_eq!(r["workload"], "fork");
        let s = &r["samples"][0];
        assert_eq!(s["installs"], r["pages"], "{}", r["strategy"]);
        assert_eq!(s["faults"], r["pages"], "{}", r["strategy"]);
        assert!(number(&r["faults_per_second"], "faults_per_second") > 0.0);
    }
}

#[test]
fn lock_bit_strategies_are_refused_on_a_layout_without_a_lock_bit() {
    for s in strategies_needing(true) {
        bad(
            &["bench", "--layouts", "i386/2.6.8", "--strategies", s],
            &["i386/2.6.8", s, "lock bit"],
        );
        // Also when another layout in the list has one.
        bad(
            &[
                "bench",
                "--layouts",
                "x86_64/6.6,i386/2.6.8",
                "--strategies",
                &format!("cmpxchg,{s}"),
            ],
            &["i386/2.6.8", s],
        );
    }
}

#[test]
fn bad_lists_and_values_are_refused_naming_the_value() {
    bad(
        &["bench", "--workloads", "pft,bogus"],
        &["bogus", "--workloads", "same-page"],
    );
    bad(&["bench", "--workloads", ""], &["--workloads"]);
    bad(
        &["bench", "--strategies", "rcu"],
        &["rcu", "--strategies", "cmpxchg"],
    );
    bad(&["bench", "--layouts", "sparc/2.6.8"], &["sparc/2.6.8"]);
    bad(&["bench", "--threads", "1,x"], &["'x'", "--threads"]);
    bad(&["bench", "--threads", "0"], &["'0'", "--threads"]);
    bad(&["bench", "--threads", "1,,2"], &["'1,,2'", "--threads"]);
    bad(&["bench", "--threads", "-4"], &["'-4'", "--threads"]);
    bad(
        &["bench", "--threads", "100000"],
        &["'100000'", "--threads"],
    );
    bad(&["bench", "--memory", "12Q"], &["'12Q'", "--memory"]);
    bad(&["bench", "--memory", "0"], &["'0'", "--memory"]);
    bad(&["bench", "--memory", "64G"], &["'64G'", "--memory"]);
    bad(
        &["bench", "--memory", "8K", "--threads", "1,4"],
        &["8K", "4 threads", "x86_64/6.6"],
    );
    bad(&["bench", "--repetitions", "0"], &["'0'", "--repetitions"]);
    bad(&["bench", "--seed", "seed"], &["'seed'", "--seed"]);
    let dir = scratch("no-such-dir").join("out.json");
    bad(
        &["bench", "--json", dir.to_str().unwrap()],
        &["--json", "no-such-dir"],
    );
}

#[test]
fn machine_options_are_refused_naming_the_value() {
    bad(&["bench", "--machine", "cray-1"], &["cray-1", "altix-512"]);
    bad(
        &["bench", "--machine", "altix-8", "--cpus", "0"],
        &["0", "altix-8"],
    );
    bad(
        &["bench", "--machine", "altix-8", "--cpus", "x"],
        &["'x'", "--cpus"],
    );
    bad(
        &["bench", "--machine", "altix-512", "--cpus", "2048"],
        &["2048", "altix-512"],
    );
    bad(
        &["bench", "--machine", "altix-8", "--threads", "1,16"],
        &["--threads 16", "altix-8", "8 CPUs"],
    );
    let out = run(&["bench", "--cpus", "4"]);
    assert_eq!(out.status.code(), Some(2), "--cpus without --machine");
}

#[test]
fn a_machine_run_is_virtual_deterministic_and_names_its_lines() {
    let args = |json: &str| -> Vec<String> {
        [
            "bench",
            "--machine",
            "altix-32",
            "--cpus",
            "8",
            "--workloads",
            "pft",
            "--strategies",
            "mm-lock,cmpxchg",
            "--memory",
            "4M",
            "--json",
            json,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let (a, b) = (scratch("machine-a.json"), scratch("machine-b.json"));
    let run_to = |p: &PathBuf| {
        let v = args(p.to_str().expect("utf-8 path"));
        let v: Vec<&str> = v.iter().map(String::as_str).collect();
        ok(&v)
    };
    let table = run_to(&a);
    run_to(&b);
    assert!(table.contains("altix-32 (8 CPUs"), "{table}");
    assert!(table.contains("dearest lines"), "{table}");
    let doc = |p: &PathBuf| -> Value {
        serde_json::from_str(&std::fs::read_to_string(p).expect("json")).expect("valid json")
    };
    let (da, db) = (doc(&a), doc(&b));
    // Same run, same numbers: the rows are byte-identical.
    assert_eq!(da["rows"], db["rows"]);
    let rows = da["rows"].as_array().expect("rows");
    // Threads default to the machine's powers of two; no host reference rows.
    let threads: BTreeSet<u64> = rows
        .iter()
        .map(|r| r["threads"].as_u64().unwrap())
        .collect();
    assert_eq!(threads, BTreeSet::from([1, 2, 4, 8]));
    for r in rows {
        assert_eq!(r["machine"], "altix-32");
        assert_eq!(r["cpus"], 8);
        assert_eq!(r["kind"], "strategy");
        assert_eq!(
            r["layout"], "ia64/2.6.8",
            "a 2.6.8 machine runs the 2.6.8 layout"
        );
        assert!(number(&r["faults_per_second"], "faults_per_second") > 0.0);
        let lines = r["samples"][0]["lines"].as_array().expect("lines");
        assert!(!lines.is_empty());
    }
    // The mm lock's line is mmap_sem's in 2.6.8, and it is the dearest at 8 threads.
    let mm8 = rows
        .iter()
        .find(|r| r["strategy"] == "mm-lock" && r["threads"] == 8)
        .expect("mm-lock x8");
    assert_eq!(
        mm8["samples"][0]["lines"][0]["line"],
        "mm_struct line 0 (mmap_sem.count + page_table_lock)"
    );
}

/// The dearest-lines report is at the most threads, whatever order `--threads` gives (it
/// took the last row of each group; found by review).
#[test]
fn dearest_lines_are_at_the_most_threads() {
    let text = ok(&[
        "bench",
        "--machine",
        "altix-8",
        "--memory",
        "1M",
        "--workloads",
        "pft",
        "--strategies",
        "cmpxchg",
        "--threads",
        "8,2",
    ]);
    let line = text
        .lines()
        .find(|l| l.starts_with("#   ia64/2.6.8 pft cmpxchg"))
        .expect("a dearest-lines line");
    assert!(line.contains(" x8:"), "{line}");
}
