//! The `kernels` step: build the example kernels of `kernels/` and boot each under
//! qemu-system, which walks the tables the library built, sets accessed/dirty bits itself and
//! traps on entries that are not present.
//!
//! qemu-system is NOT installed with apt: Debian 12's `qemu-system-x86`/`qemu-system-arm`/
//! `qemu-system-misc` 7.2 conflict with the newer `qemu-utils` these machines carry
//! (docs/DESIGN.md#toolchain, T4).
//! The packages and the libraries they need are fetched with `apt-get download` and unpacked
//! with `dpkg -x` into `.qemu/root` (git-ignored); the binaries then run with
//! `LD_LIBRARY_PATH` pointing there.

use std::fs::{self, File};
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use crate::Ctx;

/// A qemu machine the kernels boot on.
struct Machine {
    /// The qemu-system binary.
    qemu: &'static str,
    /// Machine arguments (before the CPU model, the CPU count and the common ones).
    args: &'static [&'static str],
    /// qemu's exit status for a pass: semihosting `SYS_EXIT` 0 on aarch64; on x86 the
    /// `isa-debug-exit` device turns the value 0x10 the kernel writes into (0x10 << 1) | 1;
    /// on RISC-V the test finisher's `FINISHER_PASS` is 0.
    pass_status: i32,
}

/// `-M virt`, exiting through semihosting.
const VIRT: Machine = Machine {
    qemu: "qemu-system-aarch64",
    args: &["-M", "virt", "-semihosting"],
    pass_status: 0,
};

/// `-M q35`, exiting through the `isa-debug-exit` device.
const Q35: Machine = Machine {
    qemu: "qemu-system-x86_64",
    args: &[
        "-M",
        "q35",
        "-device",
        "isa-debug-exit,iobase=0xf4,iosize=0x04",
    ],
    pass_status: 33,
};

/// RISC-V `-M virt` with OpenSBI as the M-mode firmware (`-bios default`: qemu's
/// `opensbi-riscv64-generic-fw_dynamic.bin`, shipped in `qemu-system-data`), exiting through
/// the SiFive test finisher (`FINISHER_PASS` ends qemu with status 0).
const RISCV_VIRT: Machine = Machine {
    qemu: "qemu-system-riscv64",
    args: &["-M", "virt", "-bios", "default"],
    pass_status: 0,
};

/// One example kernel and how to boot it.
struct Kernel {
    /// Name in the report and of the serial log.
    name: &'static str,
    /// Cargo package.
    package: &'static str,
    /// Rust target.
    target: &'static str,
    /// The machine.
    machine: &'static Machine,
    /// The CPU model (`-cpu`).
    cpu: &'static str,
    /// CPUs (`-smp`).
    cpus: u32,
    /// The layout the kernel must report in its banner (`layout NAME, lock bit …`): the
    /// aarch64 kernel picks its layout at boot from the CPU's features, so a boot on the
    /// wrong CPU model would otherwise pass with the other one.
    layout: &'static str,
    /// Whether the kernel runs the fork workload (`kernels/common/src/fork.rs`): its log must
    /// then have a `FORK` line whose counts show fork, copy-on-write, reuse and swap-ins of
    /// shared slots happened and whose checks passed ([`check_fork`]).
    fork: bool,
}

/// The kernels, in the order they run.
const KERNELS: &[Kernel] = &[
    // `-cpu max` without FEAT_LPA2 (the `lpa2` property of qemu 7.2's `max` CPU):
    // TCR_EL1.DS = 0, 48-bit output addresses, hardware AF/DBM.
    Kernel {
        name: "aarch64",
        package: "pte-kernel-aarch64",
        target: "aarch64-unknown-none-softfloat",
        machine: &VIRT,
        cpu: "max,lpa2=off",
        cpus: 4,
        layout: "aarch64/6.6",
        fork: true,
    },
    // The same kernel on `-cpu max` with FEAT_LPA2: it sets TCR_EL1.DS, runs the workload on
    // aarch64-lpa2/6.18 (output address bits 51:50 in entry bits 9:8), and first checks with
    // `AT S1E1R` that the MMU maps the library's entry for a PFN above 2^38 to that PFN.
    Kernel {
        name: "aarch64-lpa2",
        package: "pte-kernel-aarch64",
        target: "aarch64-unknown-none-softfloat",
        machine: &VIRT,
        cpu: "max",
        cpus: 4,
        layout: "aarch64-lpa2/6.18",
        fork: true,
    },
    // The same kernel on a CPU without FEAT_HAFDBS: every accessed and dirty bit is then set
    // by the fast path (access-flag and permission faults) instead of the MMU.
    Kernel {
        name: "aarch64-no-hafdbs",
        package: "pte-kernel-aarch64",
        target: "aarch64-unknown-none-softfloat",
        machine: &VIRT,
        cpu: "cortex-a57",
        cpus: 4,
        layout: "aarch64/6.6",
        fork: true,
    },
    Kernel {
        name: "i386-pae",
        package: "pte-kernel-i386-pae",
        target: "i586-unknown-linux-gnu",
        machine: &Q35,
        cpu: "max",
        cpus: 1,
        layout: "i386-pae/6.6",
        fork: false,
    },
    // S-mode under OpenSBI, Sv39; harts started with SBI HSM. qemu 7.2 sets A/D itself (the
    // kernel's boot probe finds out and reports it).
    Kernel {
        name: "riscv64",
        package: "pte-kernel-riscv64",
        target: "riscv64imac-unknown-none-elf",
        machine: &RISCV_VIRT,
        cpu: "rv64",
        cpus: 4,
        layout: "riscv64/6.6",
        fork: false,
    },
    Kernel {
        name: "x86_64",
        package: "pte-kernel-x86_64",
        target: "x86_64-unknown-none",
        machine: &Q35,
        cpu: "max",
        cpus: 4,
        layout: "x86_64/6.6",
        fork: true,
    },
];

/// Rust targets the kernels build for (added by the setup step).
pub fn kernel_targets() -> impl Iterator<Item = &'static str> {
    let mut targets: Vec<_> = KERNELS.iter().map(|k| k.target).collect();
    targets.sort_unstable();
    targets.dedup();
    targets.into_iter()
}

/// Where qemu-system is unpacked, relative to the workspace root (git-ignored).
const QEMU_DIR: &str = ".qemu";

/// The Debian packages unpacked there: the qemu-system packages (`-misc` has
/// `qemu-system-riscv64`), their shared files and firmware (`qemu-system-data` carries qemu's
/// OpenSBI build for RISC-V `-bios default`; Debian's `opensbi` package is not needed), and
/// the libraries the binaries link that a base system lacks.
const QEMU_PACKAGES: &[&str] = &[
    "qemu-system-arm",
    "qemu-system-x86",
    "qemu-system-misc",
    "qemu-system-common",
    "qemu-system-data",
    "seabios",
    "libfdt1",
    "libpmem1",
    "libndctl6",
    "libdaxctl1",
    "librdmacm1",
    "libibverbs1",
    "libnl-3-200",
    "libnl-route-3-200",
    "libslirp0",
    "libvdeplug2",
];

/// How long a kernel may run before it counts as hung. A run takes 0.2–4 s on a quiet
/// 2-core machine; the spinning vCPUs of an SMP guest slow down badly when the host is busy
/// (x86_64 `-smp 4` took 63 s with three copies running on 2 cores).
const TIMEOUT: Duration = Duration::from_secs(300);

/// Marks a complete unpack (written last): the list of the packages unpacked.
const STAMP: &str = "root/.unpacked";

/// Fetches and unpacks qemu-system into `.qemu/root` unless it is there already, with the
/// packages of [`QEMU_PACKAGES`] (a stamp from a shorter list fetches them all again).
pub fn ensure_qemu(ctx: &mut Ctx) {
    let dir = ctx.root.join(QEMU_DIR);
    let unpacked = fs::read_to_string(dir.join(STAMP)).unwrap_or_default();
    if QEMU_PACKAGES
        .iter()
        .all(|p| unpacked.lines().any(|l| l == *p))
    {
        println!("\nqemu-system: unpacked in {}", dir.join("root").display());
        return;
    }
    let debs = dir.join("debs");
    if let Err(e) = fs::create_dir_all(&debs) {
        ctx.fail(
            "qemu-system",
            &format!("cannot create {}: {e}", debs.display()),
        );
        return;
    }
    let mut download = ctx.cmd("apt-get", &["download"]);
    download.args(QEMU_PACKAGES).current_dir(&debs);
    if !ctx.run("apt-get download qemu-system", &mut download) {
        // The package lists may be missing on a fresh machine: update them and retry once.
        ctx.parts.pop();
        ctx.run(
            "apt-get update",
            &mut ctx.cmd("apt-get", &["-o", "DPkg::Lock::Timeout=600", "update"]),
        );
        let mut again = ctx.cmd("apt-get", &["download"]);
        again.args(QEMU_PACKAGES).current_dir(&debs);
        if !ctx.run("apt-get download qemu-system", &mut again) {
            return;
        }
    }
    let root = dir.join("root");
    // One command for all the packages (one line in the summary).
    let mut unpack = ctx.cmd(
        "sh",
        &[
            "-c",
            r#"for deb in "$1"/*.deb; do dpkg -x "$deb" "$2" || exit 1; done"#,
            "unpack",
        ],
    );
    unpack.arg(&debs).arg(&root);
    if !ctx.run("dpkg -x qemu-system", &mut unpack) {
        return;
    }
    if let Err(e) = fs::write(dir.join(STAMP), QEMU_PACKAGES.join("\n")) {
        ctx.fail("qemu-system", &format!("cannot write the stamp: {e}"));
    }
}

/// Builds every kernel, boots it, and checks its exit status and report.
pub fn kernels(ctx: &mut Ctx) {
    let qemu = ctx.root.join(QEMU_DIR).join("root");
    for k in KERNELS {
        // From `kernels/`, so that `kernels/.cargo/config.toml` applies.
        let mut lint = ctx.cargo(&[
            "clippy",
            "--release",
            "-p",
            k.package,
            "--target",
            k.target,
            "--",
            "-D",
            "warnings",
        ]);
        lint.current_dir(ctx.root.join("kernels"));
        ctx.run(format!("clippy {}", k.name), &mut lint);
        let mut build = ctx.cargo(&["build", "--release", "-p", k.package, "--target", k.target]);
        build.current_dir(ctx.root.join("kernels"));
        if !ctx.run(format!("build {}", k.name), &mut build) {
            continue;
        }
        let elf = ctx
            .root
            .join("kernels/target")
            .join(k.target)
            .join("release")
            .join(k.package);
        boot(ctx, k, &qemu, &elf);
    }
}

/// What the serial log of a kernel that exited with the pass status must show: the banner
/// line of the `layout` the xtask expects (`layout NAME, lock bit …`, printed by
/// `kernels/common`) and `PTE-KERNEL PASS`.
fn check_log(layout: &str, text: &str) -> Result<(), String> {
    let ran = text.lines().find_map(|l| {
        let l = l.trim_end_matches('\r');
        l.strip_prefix("layout ")?.split(',').next()
    });
    if ran != Some(layout) {
        return Err(format!(
            "the kernel ran layout {}, expected {layout} (see its first lines: the aarch64 \
             kernel reports FEAT_LPA2 and picks its layout from it)",
            ran.unwrap_or("(none reported)"),
        ));
    }
    if !text.lines().any(|l| l.trim_end() == "PTE-KERNEL PASS") {
        return Err("no `PTE-KERNEL PASS` line in the serial log".into());
    }
    Ok(())
}

/// The counts of the fork workload's line (`FORK key=value ...`, printed by
/// `kernels/common/src/fork.rs` before the verdict) that must be positive: entries copied by
/// fork, copy-on-write and reuse faults after it, swap-ins of slots shared by two entries.
const FORK_POSITIVE: [&str; 4] = ["copied", "copy_on_write", "reused", "shared_swap_ins"];

/// What the serial log of a kernel that forks must show besides [`check_log`]'s: one `FORK`
/// line with `checks=passed`, every count of [`FORK_POSITIVE`] above zero, and
/// `dirty_kept=K/W` with K = W > 0 (every page written during the copy found dirty after it).
fn check_fork(text: &str) -> Result<(), String> {
    let mut lines = text
        .lines()
        .filter_map(|l| l.trim_end_matches('\r').strip_prefix("FORK "));
    let (Some(line), None) = (lines.next(), lines.next()) else {
        return Err("expected exactly one `FORK ...` line in the serial log".into());
    };
    let value = |key: &str| {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
    };
    if value("checks") != Some("passed") {
        return Err(format!("fork checks did not pass: FORK {line}"));
    }
    for key in FORK_POSITIVE {
        match value(key).map(str::parse::<u64>) {
            Some(Ok(n)) if n > 0 => {}
            _ => {
                return Err(format!(
                    "fork: `{key}` missing or not above 0 in FORK {line}"
                ));
            }
        }
    }
    let kept = value("dirty_kept")
        .and_then(|v| v.split_once('/'))
        .and_then(|(k, w)| Some((k.parse::<u64>().ok()?, w.parse::<u64>().ok()?)));
    match kept {
        Some((k, w)) if k == w && w > 0 => Ok(()),
        _ => Err(format!(
            "fork: `dirty_kept` must be K/K with K > 0 (no dirty bit lost): FORK {line}"
        )),
    }
}

/// Boots one kernel with a timeout; the serial log goes to `target/kernels/<name>.log` and is
/// printed.
fn boot(ctx: &mut Ctx, k: &Kernel, root: &Path, elf: &Path) {
    let label = format!("boot {}", k.name);
    let logs = ctx.root.join("target/kernels");
    let log = logs.join(format!("{}.log", k.name));
    let file = match fs::create_dir_all(&logs).and_then(|()| File::create(&log)) {
        Ok(f) => f,
        Err(e) => return ctx.fail(label, &format!("cannot create {}: {e}", log.display())),
    };
    let Ok(stderr) = file.try_clone() else {
        return ctx.fail(label, "cannot share the log file with stderr");
    };
    let lib = [
        root.join("usr/lib/x86_64-linux-gnu"),
        root.join("lib/x86_64-linux-gnu"),
    ];
    let mut cmd = Command::new(root.join("usr/bin").join(k.machine.qemu));
    cmd.args(["-L"])
        .arg(root.join("usr/share/qemu"))
        .args(["-L"])
        .arg(root.join("usr/share/seabios"))
        .args(k.machine.args)
        .args(["-cpu", k.cpu, "-smp", &k.cpus.to_string()])
        .args([
            "-m",
            "256M",
            "-nographic",
            "-nodefaults",
            "-monitor",
            "none",
            "-serial",
            "stdio",
            "-kernel",
        ])
        .arg(elf)
        .env(
            "LD_LIBRARY_PATH",
            std::env::join_paths(lib).unwrap_or_default(),
        )
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(stderr);
    println!("\n$ {}  > {}", crate::display_command(&cmd), log.display());
    crate::flush();
    let start = Instant::now();
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return ctx.fail(label, &format!("cannot start {}: {e}", k.machine.qemu)),
    };
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if start.elapsed() < TIMEOUT => sleep(Duration::from_millis(50)),
            Ok(None) | Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    let time = start.elapsed();
    let text = fs::read_to_string(&log).unwrap_or_default();
    for line in text.lines() {
        println!("  | {}", line.trim_end_matches('\r'));
    }
    let verdict = match status {
        None => Err(format!("timed out after {}s", TIMEOUT.as_secs())),
        Some(s) if s.code() != Some(k.machine.pass_status) => Err(format!(
            "exit status {s}, expected {} (pass)",
            k.machine.pass_status
        )),
        Some(_) => check_log(k.layout, &text)
            .and_then(|()| if k.fork { check_fork(&text) } else { Ok(()) }),
    };
    println!(
        "  -> {} {} in {:.1}s",
        k.name,
        if verdict.is_ok() { "passed" } else { "FAILED" },
        time.as_secs_f64()
    );
    match verdict {
        Ok(()) => ctx.parts.push(crate::Outcome {
            label,
            ok: true,
            time,
        }),
        Err(why) => {
            ctx.fail(&label, &format!("kernel {}: {why}", k.name));
            if let Some(last) = ctx.parts.last_mut() {
                last.time = time;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{check_fork, check_log};

    const FORK: &str = "violations: 0\r\n\
                        FORK strategies=5 copied=480 copied_swap=20 copy_on_write=422 \
                        reused=338 shared_swap_ins=120 shared_swap_outs=40 \
                        dirty_kept=280/280 checks=passed\r\n\
                        PTE-KERNEL PASS\r\n";

    #[test]
    fn a_fork_line_with_every_count_passes() {
        assert_eq!(check_fork(FORK), Ok(()));
    }

    #[test]
    fn a_fork_line_without_reuse_or_with_failed_checks_fails() {
        for (from, to, why) in [
            ("reused=338", "reused=0", "`reused`"),
            ("copy_on_write=422 ", "", "`copy_on_write`"),
            ("checks=passed", "checks=FAILED", "did not pass"),
            (
                "dirty_kept=280/280",
                "dirty_kept=279/280",
                "no dirty bit lost",
            ),
            (
                "shared_swap_ins=120",
                "shared_swap_ins=x",
                "`shared_swap_ins`",
            ),
        ] {
            let e = check_fork(&FORK.replace(from, to)).unwrap_err();
            assert!(e.contains(why), "{to}: {e}");
        }
        let e = check_fork("PTE-KERNEL PASS\n").unwrap_err();
        assert!(e.contains("exactly one"), "{e}");
    }

    const LPA2: &str = "FEAT_LPA2 (4 KB granule): present\r\n\
                        pte example kernel: aarch64-lpa2/6.18 on qemu virt\r\n\
                        layout aarch64-lpa2/6.18, lock bit 63 (AnyState); 4 CPU(s)\r\n\
                        PTE-KERNEL PASS\r\n";

    #[test]
    fn the_expected_layout_passes() {
        assert_eq!(check_log("aarch64-lpa2/6.18", LPA2), Ok(()));
    }

    #[test]
    fn another_layout_fails_even_with_a_pass_line() {
        let e = check_log("aarch64/6.6", LPA2).unwrap_err();
        assert!(
            e.contains("ran layout aarch64-lpa2/6.18, expected aarch64/6.6"),
            "{e}"
        );
        let e = check_log("aarch64-lpa2/6.18", "PTE-KERNEL PASS\n").unwrap_err();
        assert!(e.contains("(none reported)"), "{e}");
    }

    #[test]
    fn the_pass_line_is_still_needed() {
        let text = LPA2.replace("PTE-KERNEL PASS", "violations: 1");
        assert!(check_log("aarch64-lpa2/6.18", &text).is_err());
    }
}
