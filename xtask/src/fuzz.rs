//! The `fuzz` step: builds the libFuzzer targets of `fuzz/` with nightly and the
//! sanitizer-coverage flags cargo-fuzz uses (no cargo-fuzz install needed), runs them at the
//! same time for a fixed budget each from a scratch copy of the checked-in corpus, fails on any
//! crash, and prints each target's executions and coverage.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Ctx, Outcome, find_on_path, flush};

/// The targets (`fuzz/fuzz_targets/<name>.rs`, corpus in `fuzz/corpus/<name>/`).
const TARGETS: &[&str] = &["classify", "hand_diff", "cli"];

/// Seconds each target runs unless `PTE_FUZZ_SECONDS` says otherwise.
const DEFAULT_SECONDS: u64 = 30;

/// What cargo-fuzz passes (`cargo fuzz build`, without its default AddressSanitizer: the code
/// under test is safe Rust, and ASan would halve the executions).
const RUSTFLAGS: &str = "-Cpasses=sancov-module \
    -Cllvm-args=-sanitizer-coverage-level=4 \
    -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
    -Cllvm-args=-sanitizer-coverage-pc-table \
    -Cllvm-args=-sanitizer-coverage-trace-compares \
    --cfg fuzzing -Cdebug-assertions -Coverflow-checks";

/// Relative to the workspace root.
const MANIFEST: &str = "fuzz/Cargo.toml";
const TARGET_DIR: &str = "target/fuzz";

pub fn fuzz(ctx: &mut Ctx) {
    let seconds = match std::env::var("PTE_FUZZ_SECONDS") {
        Ok(s) => match s.trim().parse::<u64>() {
            Ok(n) if n > 0 => n,
            _ => {
                ctx.fail(
                    "fuzz",
                    &format!("PTE_FUZZ_SECONDS={s:?} is not a positive number"),
                );
                return;
            }
        },
        Err(_) => DEFAULT_SECONDS,
    };
    // libfuzzer-sys compiles libFuzzer (C++) with the `cc` crate.
    if ["c++", "g++", "clang++"]
        .iter()
        .all(|c| find_on_path(c).is_none())
    {
        ctx.fail(
            "fuzz build",
            "no C++ compiler (c++, g++ or clang++) on PATH: libfuzzer-sys needs one \
             (Debian: apt-get install g++)",
        );
        return;
    }
    // Explicit `--target`, as cargo-fuzz does: RUSTFLAGS then skip build scripts and proc-macros.
    let Some(host) = nightly_host() else {
        ctx.fail(
            "fuzz build",
            "cannot read the host triple from `rustc +nightly -vV`",
        );
        return;
    };
    let mut build = ctx.cargo(&[
        "+nightly",
        "build",
        "--release",
        "--manifest-path",
        MANIFEST,
        "--target",
        &host,
        "--target-dir",
        TARGET_DIR,
        "--bins",
    ]);
    build.env("RUSTFLAGS", RUSTFLAGS);
    if !ctx.run("fuzz build", &mut build) {
        return;
    }

    let root = ctx.root.clone();
    let bin_dir = root.join(TARGET_DIR).join(&host).join("release");
    let scratch = root.join(TARGET_DIR).join("run");
    // All targets at once: about `seconds` of wall time for the lot, whatever the core count.
    let mut running = Vec::new();
    for &t in TARGETS {
        match start(&root, &bin_dir, &scratch, t, seconds) {
            Ok(r) => running.push(r),
            Err(e) => ctx.fail(format!("fuzz {t}"), &format!("{t}: {e}")),
        }
    }
    for mut r in running {
        let ok = r.child.wait().is_ok_and(|s| s.success());
        let time = r.started.elapsed();
        let log = fs::read_to_string(&r.log).unwrap_or_default();
        report(&r, ok, &log, time);
        ctx.parts.push(Outcome {
            label: format!("fuzz {}", r.name),
            ok,
            time,
        });
    }
}

struct Running {
    name: &'static str,
    child: std::process::Child,
    log: PathBuf,
    artifacts: PathBuf,
    started: Instant,
}

/// Copies the checked-in corpus to a scratch directory (new inputs land there, not in the
/// tree) and starts the target with its output going to a log file.
fn start(
    root: &Path,
    bin_dir: &Path,
    scratch: &Path,
    name: &'static str,
    seconds: u64,
) -> std::io::Result<Running> {
    let corpus = scratch.join("corpus").join(name);
    let artifacts = scratch.join("artifacts").join(name);
    let _ = fs::remove_dir_all(&corpus);
    fs::create_dir_all(&corpus)?;
    fs::create_dir_all(&artifacts)?;
    for f in fs::read_dir(root.join("fuzz/corpus").join(name))? {
        let f = f?;
        if f.file_type()?.is_file() {
            fs::copy(f.path(), corpus.join(f.file_name()))?;
        }
    }
    let log = scratch.join(format!("{name}.log"));
    let mut cmd = Command::new(bin_dir.join(name));
    cmd.current_dir(root)
        .arg(format!("-max_total_time={seconds}"))
        .arg("-print_final_stats=1")
        .arg("-timeout=10")
        .arg(format!("-artifact_prefix={}/", artifacts.display()));
    let dict = root.join("fuzz").join(format!("{name}.dict"));
    if dict.is_file() {
        cmd.arg(format!("-dict={}", dict.display()));
    }
    let out = fs::File::create(&log)?;
    cmd.arg(&corpus)
        .stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out);
    println!("\n$ {}", crate::display_command(&cmd));
    flush();
    let child = cmd.spawn()?;
    Ok(Running {
        name,
        child,
        log,
        artifacts,
        started: Instant::now(),
    })
}

/// Prints the target's final libFuzzer line, its executions, and on failure the end of its log
/// and the crashing input.
fn report(r: &Running, ok: bool, log: &str, time: Duration) {
    // `#2180890\tDONE   cov: 186 ft: 670 corp: 202/1252b lim: 437 exec/s: 70351 rss: 28Mb`
    let done = log
        .lines()
        .rfind(|l| l.split_whitespace().nth(1) == Some("DONE"))
        .unwrap_or("");
    let stat = |key: &str| {
        log.lines()
            .find_map(|l| l.strip_prefix(key))
            .map_or("?".into(), |v| v.trim().to_string())
    };
    let field = |key: &str| {
        done.split_whitespace()
            .skip_while(|w| *w != key)
            .nth(1)
            .unwrap_or("?")
            .to_string()
    };
    println!(
        "\nfuzz {}: {} in {:.1}s — executions {}, cov {}, ft {}, corpus {}, exec/s {}",
        r.name,
        if ok { "ok" } else { "FAILED" },
        time.as_secs_f64(),
        stat("stat::number_of_executed_units:"),
        field("cov:"),
        field("ft:"),
        field("corp:"),
        stat("stat::average_exec_per_sec:"),
    );
    if !ok {
        let lines: Vec<&str> = log.lines().collect();
        for l in &lines[lines.len().saturating_sub(40)..] {
            eprintln!("  | {l}");
        }
        eprintln!(
            "xtask: fuzz target {} failed; log {}, crashing input in {} (keep it in \
             fuzz/corpus/{} once fixed)",
            r.name,
            r.log.display(),
            r.artifacts.display(),
            r.name
        );
    }
    flush();
}

fn nightly_host() -> Option<String> {
    let out = Command::new("rustc")
        .args(["+nightly", "-vV"])
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(str::to_string)
}
