//! Project automation. `cargo xtask test` is THE test command CI runs
//! (`.ci/run`); the alias lives in `.cargo/config.toml`.
//!
//! ```text
//! cargo xtask test                  # every step, in order
//! cargo xtask test --quick          # skip `cross` and `miri`
//! cargo xtask test --step clippy    # `setup`, then only `clippy` (repeatable)
//! ```
//!
//! Steps, in order: setup, fmt, clippy, host, cross, no_std, msrv, package, kernels, loom,
//! fuzz, miri. Each step is timed; every command is printed before it runs and its output
//! streams through. A failing step does not stop later steps (so the summary shows
//! everything), except `setup`, whose failure aborts the run. The process exits non-zero if
//! any step failed.
//!
//! std only, on purpose: this must build before anything else is installed.

use std::collections::BTreeSet;
use std::env;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

mod fuzz;
mod kernels;
mod loong64;
mod packaging;

/// Targets whose tests run under qemu-user (runners: `.cargo/qemu-runners.toml`).
/// loongarch64 is built with nightly's `-Zbuild-std` and its own linker, sysroot and qemu
/// (see [`loong64`]).
///
/// Not i586 any more (it was until the cold run neared 20 minutes): under qemu-user its
/// binaries run on Debian's i686 glibc, so the run proved little beyond i686's, and what is
/// i586's own — 64-bit atomics lowered to x87 `fild`/`fistp` and `lock cmpxchg8b` — runs
/// for real in the i386 PAE kernel, which is built for i586 and boots in the kernels step.
const CROSS_TARGETS: &[&str] = &[
    "aarch64-unknown-linux-gnu",
    "i686-unknown-linux-gnu",
    "riscv64gc-unknown-linux-gnu",
    loong64::TARGET,
];

/// Bare-metal targets the `no_std` consumer is built for.
const NO_STD_TARGETS: &[&str] = &["x86_64-unknown-none", "aarch64-unknown-none"];

/// A bare-metal target with 32-bit atomics only: the libraries (without the consumer, whose
/// 64-bit layouts need 64-bit compare-and-swap) must still build there.
const NARROW_ATOMICS_TARGET: &str = "thumbv7em-none-eabi";

/// The `no_std` library crates.
const NO_STD_LIBRARIES: &[&str] = &[
    "pte-core",
    "pte-layouts",
    "arch-x86_64",
    "arch-i386",
    "arch-ia64-sim",
    "arch-aarch64",
    "arch-riscv64",
    "arch-loongarch64",
];

/// Targets Miri interprets pte-core's tests for, besides the host.
/// s390x is the big-endian one. Miri builds its own sysroot for each of these
/// from `rust-src` (`cargo miri setup`), so none needs a rustup target.
const MIRI_TARGETS: &[&str] = &[
    "i686-unknown-linux-gnu",
    "aarch64-unknown-linux-gnu",
    "s390x-unknown-linux-gnu",
];

/// Packages tested on every cross target (the compile-fail crate,
/// `pte-compile-fail`, is host-only and deliberately not in this list).
const CROSS_PACKAGES: &[&str] = &[
    "pte-core",
    "pte-sim",
    "arch-x86_64",
    "arch-i386",
    "arch-ia64-sim",
    "arch-aarch64",
    "arch-riscv64",
    "arch-loongarch64",
    "pte-layouts",
    "pte-tests",
];

/// Used when `MIRIFLAGS` is not already set in the environment.
/// Strict provenance: page-table entries carry addresses as plain integers, so
/// have Miri reject any int-to-pointer cast instead of silently guessing an
/// "exposed" provenance for it.
const DEFAULT_MIRIFLAGS: &str = "-Zmiri-strict-provenance";

/// Relative to the workspace root (the working directory of every command).
const QEMU_RUNNERS: &str = ".cargo/qemu-runners.toml";
const NO_STD_MANIFEST: &str = "tests/no-std-consumer/Cargo.toml";

/// Host tools the cross step needs, and the Debian packages providing them.
/// A path containing '/' is checked as a file, anything else is looked up on PATH.
const DEBIAN_NEEDS: &[(&str, &[&str])] = &[
    ("qemu-aarch64", &["qemu-user"]),
    ("qemu-i386", &["qemu-user"]),
    ("qemu-riscv64", &["qemu-user"]),
    ("aarch64-linux-gnu-gcc", &["gcc-aarch64-linux-gnu"]),
    ("i686-linux-gnu-gcc", &["gcc-i686-linux-gnu"]),
    ("riscv64-linux-gnu-gcc", &["gcc-riscv64-linux-gnu"]),
    // Cross glibc: needed to link, and by qemu (`-L /usr/<triple>`) to run.
    (
        "/usr/aarch64-linux-gnu/lib/crt1.o",
        &["libc6-dev-arm64-cross"],
    ),
    ("/usr/i686-linux-gnu/lib/crt1.o", &["libc6-dev-i386-cross"]),
    (
        "/usr/riscv64-linux-gnu/lib/crt1.o",
        &["libc6-dev-riscv64-cross"],
    ),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Setup,
    Fmt,
    Clippy,
    Host,
    Cross,
    NoStd,
    Msrv,
    Package,
    Kernels,
    Loom,
    Fuzz,
    Miri,
}

impl Step {
    const ALL: [Step; 12] = [
        Step::Setup,
        Step::Fmt,
        Step::Clippy,
        Step::Host,
        Step::Cross,
        Step::NoStd,
        Step::Msrv,
        Step::Package,
        Step::Kernels,
        Step::Loom,
        Step::Fuzz,
        Step::Miri,
    ];

    fn name(self) -> &'static str {
        match self {
            Step::Setup => "setup",
            Step::Fmt => "fmt",
            Step::Clippy => "clippy",
            Step::Host => "host",
            Step::Cross => "cross",
            Step::NoStd => "no_std",
            Step::Msrv => "msrv",
            Step::Package => "package",
            Step::Kernels => "kernels",
            Step::Loom => "loom",
            Step::Fuzz => "fuzz",
            Step::Miri => "miri",
        }
    }

    fn parse(s: &str) -> Option<Step> {
        let s = s.to_ascii_lowercase().replace(['-', ' '], "_");
        Some(match s.as_str() {
            "setup" => Step::Setup,
            "fmt" => Step::Fmt,
            "clippy" => Step::Clippy,
            "host" | "host_tests" => Step::Host,
            "cross" | "cross_tests" => Step::Cross,
            "no_std" | "nostd" => Step::NoStd,
            "msrv" => Step::Msrv,
            "package" => Step::Package,
            "kernels" => Step::Kernels,
            "loom" => Step::Loom,
            "fuzz" => Step::Fuzz,
            "miri" => Step::Miri,
            _ => return None,
        })
    }
}

/// The usage text; the step names come from [`Step::ALL`], so a new step cannot be left out.
fn usage() -> String {
    let names: Vec<&str> = Step::ALL.iter().map(|s| s.name()).collect();
    let names = names.join(" ");
    format!(
        "\
usage: cargo xtask test [--quick | --step NAME...]

  (no option)    run every step: {names}
  --quick        skip the slow steps (cross, miri)
  --step NAME    run `setup` and then only step NAME; may be repeated
                 (names: {names})

Environment: MIRIFLAGS overrides the default Miri flags; PTE_FUZZ_SECONDS sets each fuzz\ntarget's budget (default 30)."
    )
}

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    match parse_args(&args) {
        Ok(Some(selection)) => run(&selection),
        Ok(None) => {
            println!("{}", usage());
            ExitCode::SUCCESS
        }
        Err(msg) => {
            eprintln!("xtask: {msg}\n\n{}", usage());
            ExitCode::from(2)
        }
    }
}

/// Which steps to run.
struct Selection {
    steps: BTreeSet<Step>,
    /// `--quick` was given (only used to say why a step was skipped).
    quick: bool,
}

/// `Ok(None)` means "help was asked for".
fn parse_args(args: &[String]) -> Result<Option<Selection>, String> {
    let Some((cmd, rest)) = args.split_first() else {
        return Err("missing command".into());
    };
    match cmd.as_str() {
        "test" => {}
        "help" | "-h" | "--help" => return Ok(None),
        other => return Err(format!("unknown command `{other}`")),
    }
    let mut quick = false;
    let mut steps = BTreeSet::new();
    let mut it = rest.iter();
    while let Some(arg) = it.next() {
        let step_name = if arg == "--step" {
            Some(it.next().ok_or("--step needs a NAME")?.as_str())
        } else {
            arg.strip_prefix("--step=")
        };
        if let Some(name) = step_name {
            steps.insert(Step::parse(name).ok_or_else(|| format!("unknown step `{name}`"))?);
            continue;
        }
        match arg.as_str() {
            "--quick" => quick = true,
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    if quick && !steps.is_empty() {
        return Err("--quick and --step cannot be combined".into());
    }
    if steps.is_empty() {
        steps.extend(Step::ALL);
        if quick {
            steps.remove(&Step::Cross);
            steps.remove(&Step::Miri);
        }
    }
    // Setup always runs first.
    steps.insert(Step::Setup);
    Ok(Some(Selection { steps, quick }))
}

/// Outcome of one command (or one check) inside a step.
struct Outcome {
    label: String,
    ok: bool,
    time: Duration,
}

enum Status {
    Pass,
    Fail,
    Skipped(&'static str),
}

struct StepResult {
    step: Step,
    status: Status,
    time: Duration,
    parts: Vec<Outcome>,
}

/// Runs commands inside one step and records each one's outcome.
struct Ctx {
    root: PathBuf,
    selected: BTreeSet<Step>,
    parts: Vec<Outcome>,
}

impl Ctx {
    fn cargo(&self, args: &[&str]) -> Command {
        self.cmd("cargo", args)
    }

    fn cmd(&self, program: &str, args: &[&str]) -> Command {
        let mut c = Command::new(program);
        c.args(args).current_dir(&self.root);
        // `cargo run` (how `cargo xtask` starts us) sets these for *this*
        // package; don't leak them into the cargo commands we start.
        for (key, _) in env::vars_os() {
            let Some(key) = key.to_str() else { continue };
            if key == "CARGO" || key.starts_with("CARGO_PKG_") || key.starts_with("CARGO_MANIFEST_")
            {
                c.env_remove(key);
            }
        }
        c
    }

    /// Prints `cmd`, runs it with inherited stdio (output streams through),
    /// records the outcome under `label` and returns whether it succeeded.
    fn run(&mut self, label: impl Into<String>, cmd: &mut Command) -> bool {
        let label = label.into();
        println!("\n$ {}", display_command(cmd));
        flush();
        let start = Instant::now();
        let ok = match cmd.status() {
            Ok(status) if status.success() => true,
            Ok(status) => {
                eprintln!("xtask: command failed ({status}): {}", display_command(cmd));
                false
            }
            Err(e) => {
                eprintln!(
                    "xtask: could not start `{}`: {e}",
                    cmd.get_program().to_string_lossy()
                );
                false
            }
        };
        let time = start.elapsed();
        println!(
            "  -> {} in {:.1}s",
            if ok { "ok" } else { "FAILED" },
            time.as_secs_f64()
        );
        self.parts.push(Outcome { label, ok, time });
        ok
    }

    /// Records a failed check that is not a command.
    fn fail(&mut self, label: impl Into<String>, msg: &str) {
        eprintln!("xtask: {msg}");
        self.parts.push(Outcome {
            label: label.into(),
            ok: false,
            time: Duration::ZERO,
        });
    }
}

fn run(selection: &Selection) -> ExitCode {
    let selected = &selection.steps;
    let root = workspace_root();
    let started = Instant::now();
    let mut results = Vec::new();
    let mut abort = false;

    for step in Step::ALL {
        if !selected.contains(&step) {
            let why = if selection.quick {
                "--quick"
            } else {
                "not selected"
            };
            results.push(skipped(step, why));
            continue;
        }
        if abort {
            results.push(skipped(step, "setup failed"));
            continue;
        }
        println!(
            "\n==================== {} ====================",
            step.name()
        );
        flush();
        let mut ctx = Ctx {
            root: root.clone(),
            selected: selected.clone(),
            parts: Vec::new(),
        };
        let start = Instant::now();
        match step {
            Step::Setup => setup(&mut ctx),
            Step::Fmt => fmt(&mut ctx),
            Step::Clippy => clippy(&mut ctx),
            Step::Host => host_tests(&mut ctx),
            Step::Cross => cross_tests(&mut ctx),
            Step::NoStd => no_std(&mut ctx),
            Step::Msrv => packaging::msrv(&mut ctx),
            Step::Package => packaging::package(&mut ctx),
            Step::Kernels => kernels::kernels(&mut ctx),
            Step::Loom => loom(&mut ctx),
            Step::Fuzz => fuzz::fuzz(&mut ctx),
            Step::Miri => miri(&mut ctx),
        }
        let time = start.elapsed();
        let ok = ctx.parts.iter().all(|p| p.ok);
        println!(
            "\n==> {}: {} in {:.1}s",
            step.name(),
            if ok { "PASS" } else { "FAIL" },
            time.as_secs_f64()
        );
        flush();
        if step == Step::Setup && !ok {
            eprintln!("xtask: setup failed; not running any further step");
            abort = true;
        }
        let status = if ok { Status::Pass } else { Status::Fail };
        results.push(StepResult {
            step,
            status,
            time,
            parts: ctx.parts,
        });
    }

    let failed = results.iter().any(|r| matches!(r.status, Status::Fail));
    print!("{}", summary(&results, started.elapsed(), failed));
    flush();
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn skipped(step: Step, why: &'static str) -> StepResult {
    StepResult {
        step,
        status: Status::Skipped(why),
        time: Duration::ZERO,
        parts: Vec::new(),
    }
}

fn summary(results: &[StepResult], total: Duration, failed: bool) -> String {
    let mut rows: Vec<(String, String, String)> = Vec::new();
    for r in results {
        let (status, secs) = match r.status {
            Status::Pass => ("PASS".to_string(), format!("{:.1}", r.time.as_secs_f64())),
            Status::Fail => ("FAIL".to_string(), format!("{:.1}", r.time.as_secs_f64())),
            Status::Skipped(why) => (format!("SKIP ({why})"), "-".to_string()),
        };
        rows.push((r.step.name().to_string(), status, secs));
        // Show the per-command breakdown for steps made of several commands.
        if r.parts.len() > 1 {
            for p in &r.parts {
                rows.push((
                    format!("  {}", p.label),
                    if p.ok { "pass" } else { "FAIL" }.to_string(),
                    format!("{:.1}", p.time.as_secs_f64()),
                ));
            }
        }
    }
    rows.push((
        "total".into(),
        if failed { "FAIL" } else { "PASS" }.into(),
        format!("{:.1}", total.as_secs_f64()),
    ));

    // A column's width: its widest cell or its heading.
    let width = |cell: fn(&(String, String, String)) -> &String, heading: &str| {
        rows.iter()
            .map(|r| cell(r).len())
            .max()
            .unwrap_or(0)
            .max(heading.len())
    };
    let w0 = width(|r| &r.0, "step");
    let w1 = width(|r| &r.1, "result");
    let w2 = width(|r| &r.2, "seconds");
    let line = format!(
        "+-{}-+-{}-+-{}-+\n",
        "-".repeat(w0),
        "-".repeat(w1),
        "-".repeat(w2)
    );
    let mut out = String::from("\n==================== summary ====================\n");
    out.push_str(&line);
    let _ = writeln!(
        out,
        "| {:w0$} | {:w1$} | {:>w2$} |",
        "step", "result", "seconds"
    );
    out.push_str(&line);
    let last = rows.len() - 1;
    for (i, (a, b, c)) in rows.iter().enumerate() {
        if i == last {
            out.push_str(&line);
        }
        let _ = writeln!(out, "| {a:w0$} | {b:w1$} | {c:>w2$} |");
    }
    out.push_str(&line);
    out
}

// ---------------------------------------------------------------- steps

fn setup(ctx: &mut Ctx) {
    // Rust targets and components: always asked for (rustup is idempotent and
    // answers from its local state in well under a second when all is
    // present). Targets go to the active toolchain, the one every non-Miri
    // step uses (stable, unless the caller chose e.g. `cargo +1.95.0 xtask`).
    let mut targets = vec!["target", "add"];
    // loongarch64 has no rust-std to download (HTTP 404): the cross step builds it.
    targets.extend(CROSS_TARGETS.iter().filter(|&&t| t != loong64::TARGET));
    targets.extend(NO_STD_TARGETS);
    targets.push(NARROW_ATOMICS_TARGET);
    targets.extend(kernels::kernel_targets());
    ctx.run("rustup targets", &mut ctx.cmd("rustup", &targets));
    ctx.run(
        "rustup components",
        &mut ctx.cmd("rustup", &["component", "add", "rustfmt", "clippy"]),
    );

    // Nightly with Miri. Install nightly only if it is absent: re-running
    // `rustup toolchain install nightly` would update an existing nightly.
    let have_nightly = Command::new("rustup")
        .args(["run", "nightly", "rustc", "--version"])
        .env("RUSTUP_AUTO_INSTALL", "0")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_nightly {
        println!("\nnightly toolchain not installed; installing it (minimal profile)");
        ctx.run(
            "rustup nightly",
            &mut ctx.cmd(
                "rustup",
                &["toolchain", "install", "nightly", "--profile", "minimal"],
            ),
        );
    }
    // Miri builds each target's sysroot from rust-src itself (`cargo miri
    // setup`, run implicitly by the miri step); no rustup target is needed.
    ctx.run(
        "rustup miri",
        &mut ctx.cmd(
            "rustup",
            &[
                "component",
                "add",
                "--toolchain",
                "nightly",
                "miri",
                "rust-src",
            ],
        ),
    );

    debian_packages(ctx);
    if ctx.selected.contains(&Step::Cross) {
        loong64::ensure(ctx);
    }
    if ctx.selected.contains(&Step::Kernels) {
        kernels::ensure_qemu(ctx);
    }
}

/// Cross linkers, qemu-user and cross glibc: needed by the cross step (and the i686 gcc by the
/// kernels step, which links the i386 kernel with it).
fn debian_packages(ctx: &mut Ctx) {
    if !ctx.selected.contains(&Step::Cross) && !ctx.selected.contains(&Step::Kernels) {
        println!(
            "\nDebian cross packages: not checked, neither the cross nor the kernels step is \
             selected"
        );
        return;
    }
    let missing = missing_debian_packages();
    if missing.is_empty() {
        println!("\nDebian cross packages: all needed binaries and files present");
        for (what, _) in DEBIAN_NEEDS {
            println!("  found {}", locate(what).unwrap_or_default().display());
        }
        return;
    }
    let pkgs: Vec<&str> = missing
        .iter()
        .map(|(_, p)| *p)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    println!("\nmissing for the cross step:");
    for (what, pkg) in &missing {
        println!("  {what} (Debian package {pkg})");
    }
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let apt = find_on_path("apt-get");
    if !is_root || apt.is_none() {
        let why = if apt.is_none() {
            "apt-get not found"
        } else {
            "not running as root"
        };
        ctx.fail(
            "debian packages",
            &format!(
                "cannot install the cross-build packages ({why}). Install them, e.g.\n    \
                 sudo apt-get install --no-install-recommends {}\n  \
                 or run `cargo xtask test --quick` (skips cross and miri).",
                pkgs.join(" ")
            ),
        );
        return;
    }
    // Wait for a concurrent apt/dpkg (up to 10 min) instead of failing on its lock.
    let lock = "DPkg::Lock::Timeout=600";
    if !ctx.run(
        "apt-get update",
        &mut ctx.cmd("apt-get", &["-o", lock, "update"]),
    ) {
        return;
    }
    let mut args = vec!["-o", lock, "install", "-y", "--no-install-recommends"];
    args.extend(&pkgs);
    let mut install = ctx.cmd("apt-get", &args);
    install.env("DEBIAN_FRONTEND", "noninteractive");
    if !ctx.run("apt-get install", &mut install) {
        return;
    }
    let still: Vec<&str> = missing_debian_packages().iter().map(|(w, _)| *w).collect();
    if !still.is_empty() {
        ctx.fail(
            "debian packages",
            &format!("still missing after apt-get install: {}", still.join(", ")),
        );
    }
}

fn missing_debian_packages() -> Vec<(&'static str, &'static str)> {
    DEBIAN_NEEDS
        .iter()
        .filter(|(what, _)| locate(what).is_none())
        .flat_map(|&(what, pkgs)| pkgs.iter().map(move |&p| (what, p)))
        .collect()
}

fn fmt(ctx: &mut Ctx) {
    ctx.run("workspace", &mut ctx.cargo(&["fmt", "--all", "--check"]));
    // The no_std consumer is excluded from the workspace, so `--all` does not
    // reach it.
    if ctx.root.join(NO_STD_MANIFEST).is_file() {
        ctx.run(
            "no-std-consumer",
            &mut ctx.cargo(&["fmt", "--manifest-path", NO_STD_MANIFEST, "--check"]),
        );
    } else {
        ctx.fail(
            "no-std-consumer",
            &format!("{NO_STD_MANIFEST} does not exist"),
        );
    }
    // The example kernels are a workspace of their own.
    ctx.run(
        "kernels",
        &mut ctx.cargo(&[
            "fmt",
            "--all",
            "--manifest-path",
            "kernels/Cargo.toml",
            "--check",
        ]),
    );
}

fn clippy(ctx: &mut Ctx) {
    ctx.run(
        "clippy",
        &mut ctx.cargo(&[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
    );
}

fn host_tests(ctx: &mut Ctx) {
    // Unit, integration, doc, trybuild and CLI tests: all in workspace crates.
    ctx.run(
        "host tests",
        &mut ctx.cargo(&["test", "--workspace", "--no-fail-fast"]),
    );
    // Broken intra-doc links and missing docs are errors too.
    let mut doc = ctx.cargo(&["doc", "--workspace", "--no-deps"]);
    doc.env("RUSTDOCFLAGS", "-D warnings");
    ctx.run("docs", &mut doc);
}

fn cross_tests(ctx: &mut Ctx) {
    // One cargo invocation per target rather than one with three `--target`s:
    // measured equally fast (the targets share host-side work through the
    // target dir either way), but with a single invocation a compile error on
    // one target (say, i586-only code) stops every target's tests from
    // running, so the summary could not say which targets pass.
    for t in CROSS_TARGETS {
        let mut args = vec!["test", "--no-fail-fast", "--target", t];
        if *t == loong64::TARGET {
            // No rust-std for it can be downloaded: build it from nightly's rust-src (which
            // setup installs for Miri).
            args.splice(0..0, ["+nightly"]);
            args.push("-Zbuild-std");
        }
        for p in CROSS_PACKAGES {
            args.extend(["-p", p]);
        }
        // The simulator's stress tests scale themselves down under qemu.
        args.extend(["--config", QEMU_RUNNERS]);
        // The fork stress matrix (`sim_fork`'s 80+ cells, 18–36 s per target under qemu) runs
        // on the host and on i686, the 32-bit target; the 64-bit ones keep its `small` cells
        // and targeted tests (the cold run must stay under 20 minutes).
        if *t != "i686-unknown-linux-gnu" {
            args.extend(["--", "--skip", "stress_matrix"]);
        }
        ctx.run(*t, &mut ctx.cargo(&args));
    }
}

fn no_std(ctx: &mut Ctx) {
    for t in NO_STD_TARGETS {
        ctx.run(
            *t,
            &mut ctx.cargo(&[
                "build",
                "--manifest-path",
                NO_STD_MANIFEST,
                "--target",
                t,
                // Share the workspace's target directory (in-tree on purpose).
                "--target-dir",
                "target",
            ]),
        );
    }
    let mut args = vec!["build", "--target", NARROW_ATOMICS_TARGET];
    for p in NO_STD_LIBRARIES {
        args.extend(["-p", p]);
    }
    ctx.run(NARROW_ATOMICS_TARGET, &mut ctx.cargo(&args));
}

fn loom(ctx: &mut Ctx) {
    // `--cfg loom` swaps the slot's atomics for loom's; its own target dir keeps the
    // ordinary builds' artefacts (compiled without the cfg) from being rebuilt each time.
    let mut cmd = ctx.cargo(&[
        "test",
        "--release",
        "-p",
        "pte-core",
        "--test",
        "loom",
        "--test",
        "loom_fault",
        "--target-dir",
        "target/loom",
    ]);
    cmd.env("RUSTFLAGS", "--cfg loom");
    ctx.run("loom models", &mut cmd);
}

fn miri(ctx: &mut Ctx) {
    let flags: OsString = env::var_os("MIRIFLAGS").unwrap_or_else(|| DEFAULT_MIRIFLAGS.into());
    let host = ["miri", "test", "-p", "pte-core"];
    let mut runs: Vec<(String, Vec<&str>)> = vec![("host".into(), host.to_vec())];
    for t in MIRI_TARGETS {
        let mut args = host.to_vec();
        args.extend(["--target", t]);
        runs.push(((*t).into(), args));
    }
    // A small simulator stress run (threads, the MMU actor, swap-out) on the host only:
    // about 45 s under Miri, too slow to repeat per target.
    runs.push((
        "host sim stress".into(),
        vec!["miri", "test", "-p", "pte-sim", "--test", "sim_stress"],
    ));
    for (label, args) in runs {
        let mut all = vec!["+nightly"];
        all.extend(args);
        let mut cmd = ctx.cargo(&all);
        cmd.env("MIRIFLAGS", &flags);
        ctx.run(label, &mut cmd);
    }
}

// ---------------------------------------------------------------- helpers

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// A `what` containing '/' is a file path; anything else is a program on PATH.
fn locate(what: &str) -> Option<PathBuf> {
    if what.contains('/') {
        let p = PathBuf::from(what);
        p.is_file().then_some(p)
    } else {
        find_on_path(what)
    }
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| is_executable(p))
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    p.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(p: &Path) -> bool {
    p.is_file()
}

/// The command as a shell line, with the environment variables we set.
fn display_command(cmd: &Command) -> String {
    let mut parts = Vec::new();
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            parts.push(format!(
                "{}={}",
                k.to_string_lossy(),
                quote(&v.to_string_lossy())
            ));
        }
    }
    parts.push(quote(&cmd.get_program().to_string_lossy()));
    parts.extend(cmd.get_args().map(|a| quote(&a.to_string_lossy())));
    parts.join(" ")
}

fn quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:+,@%".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

fn flush() {
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn default_runs_everything() {
        let steps = parse_args(&args("test")).unwrap().unwrap().steps;
        assert_eq!(steps.into_iter().collect::<Vec<_>>(), Step::ALL);
    }

    #[test]
    fn quick_skips_cross_and_miri() {
        let steps = parse_args(&args("test --quick")).unwrap().unwrap();
        assert!(steps.quick);
        let steps = steps.steps;
        assert!(!steps.contains(&Step::Cross) && !steps.contains(&Step::Miri));
        assert!(steps.contains(&Step::Setup) && steps.contains(&Step::Host));
    }

    #[test]
    fn step_adds_setup() {
        let sel = parse_args(&args("test --step no-std --step=fmt"))
            .unwrap()
            .unwrap();
        assert!(!sel.quick);
        assert_eq!(
            sel.steps.into_iter().collect::<Vec<_>>(),
            [Step::Setup, Step::Fmt, Step::NoStd]
        );
    }

    #[test]
    fn bad_usage() {
        assert!(parse_args(&args("")).is_err());
        assert!(parse_args(&args("build")).is_err());
        assert!(parse_args(&args("test --step")).is_err());
        assert!(parse_args(&args("test --step nope")).is_err());
        assert!(parse_args(&args("test --quick --step fmt")).is_err());
        assert!(parse_args(&args("test --help")).unwrap().is_none());
    }

    #[test]
    fn quoting() {
        assert_eq!(quote("-D"), "-D");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), r"'it'\''s'");
    }
}
