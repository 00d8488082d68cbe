//! The loongarch64 cross target's toolchain pieces, which Debian 12 does not have.
//!
//! * No `gcc-loongarch64-linux-gnu` / `libc6-dev-loong64-cross` in Debian 12 (`apt-get install`:
//!   "E: Unable to locate package gcc-loongarch64-linux-gnu"). Debian 13's cross glibc and
//!   libgcc (architecture `all`: plain files) are fetched instead, and
//!   `.cargo/loongarch64-linux-gnu-ld` links against them with the toolchain's `rust-lld`
//!   (Debian 13's cross gcc itself would need a newer host glibc).
//! * Debian 12's `qemu-loongarch64` (7.2) has no LSX, which the Rust target enables: every test
//!   binary dies with "qemu: uncaught target signal 4 (Illegal instruction)". Debian 13's
//!   `qemu-user` (10.0) is statically linked; only its `qemu-loongarch64` is unpacked, and
//!   `.cargo/qemu-loongarch64` runs it.
//! * No `rust-std` for the target to download (`rustup target add`: HTTP 404), so the cross step
//!   builds the standard library from nightly's `rust-src` (`-Zbuild-std`).
//!
//! Everything lands in `.qemu/loong64` (git-ignored, about 115 MB), fetched once with
//! `apt-get download` from a Debian 13 package list fetched into `.qemu/loong64/apt` (the
//! machine's own apt sources and lists are not changed; the list and the `.deb`s are deleted
//! after the unpack) and unpacked with `dpkg -x`.

use std::fs;
use std::path::Path;

use crate::Ctx;

/// The target this module serves.
pub const TARGET: &str = "loongarch64-unknown-linux-gnu";

/// Relative to the workspace root; the two `.cargo/` scripts expect it there.
const DIR: &str = ".qemu/loong64";

/// Debian 13 packages unpacked whole (cross glibc and gcc's runtime: start files, libgcc).
const LIB_PACKAGES: &[&str] = &[
    "libc6-loong64-cross",
    "libc6-dev-loong64-cross",
    "libgcc-s1-loong64-cross",
    "libgcc-14-dev-loong64-cross",
];

/// The Debian 13 package of which only `usr/bin/qemu-loongarch64` is unpacked.
const QEMU_PACKAGE: &str = "qemu-user";

/// Marks a complete unpack (written last).
const STAMP: &str = ".unpacked";

const SOURCES: &str = "\
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
";

/// Fetches and unpacks the loongarch64 sysroot and qemu into `.qemu/loong64` unless done.
pub fn ensure(ctx: &mut Ctx) {
    let dir = ctx.root.join(DIR);
    if dir.join(STAMP).is_file() {
        println!(
            "\nloongarch64 sysroot and qemu: unpacked in {}",
            dir.display()
        );
        return;
    }
    if let Err(e) = prepare(&dir) {
        ctx.fail("loong64", &format!("cannot prepare {}: {e}", dir.display()));
        return;
    }
    let apt = dir.join("apt");
    let opt = |k: &str, v: &Path| format!("{k}={}", v.display());
    let opts = [
        opt("Dir::Etc::SourceList", &apt.join("trixie.sources")),
        "Dir::Etc::SourceParts=/dev/null".into(),
        opt("Dir::State::Lists", &apt.join("lists")),
        opt("Dir::Cache", &apt.join("cache")),
        "Dir::State::status=/dev/null".into(),
    ];
    let apt_get = |ctx: &Ctx, args: &[&str]| {
        let mut c = ctx.cmd("apt-get", &[]);
        for o in &opts {
            c.args(["-o", o]);
        }
        c.args(args);
        c
    };
    if !ctx.run("apt-get update (Debian 13)", &mut apt_get(ctx, &["update"])) {
        return;
    }
    let debs = dir.join("debs");
    let mut download = apt_get(ctx, &["download"]);
    download
        .args(LIB_PACKAGES)
        .arg(QEMU_PACKAGE)
        .current_dir(&debs);
    if !ctx.run("apt-get download loong64", &mut download) {
        return;
    }
    let mut unpack = ctx.cmd(
        "sh",
        &[
            "-c",
            r#"set -e
cd "$1"
for p in $2; do dpkg -x "$p"_*.deb "$3"; done
dpkg-deb --fsys-tarfile "$4"_*.deb | tar -x -C "$3" ./usr/bin/qemu-loongarch64
"$3"/usr/bin/qemu-loongarch64 --version | head -n 1"#,
            "unpack",
        ],
    );
    unpack
        .arg(&debs)
        .arg(LIB_PACKAGES.join(" "))
        .arg(&dir)
        .arg(QEMU_PACKAGE);
    if !ctx.run("dpkg -x loong64", &mut unpack) {
        return;
    }
    // The qemu-user package is 70 MB (only its one binary is kept), the list 28 MB.
    let _ = fs::remove_dir_all(&debs);
    let _ = fs::remove_dir_all(&apt);
    if let Err(e) = fs::write(
        dir.join(STAMP),
        [LIB_PACKAGES, &[QEMU_PACKAGE]].concat().join("\n"),
    ) {
        ctx.fail("loong64", &format!("cannot write the stamp: {e}"));
    }
}

fn prepare(dir: &Path) -> std::io::Result<()> {
    let apt = dir.join("apt");
    fs::create_dir_all(apt.join("lists/partial"))?;
    fs::create_dir_all(apt.join("cache/archives/partial"))?;
    fs::create_dir_all(dir.join("debs"))?;
    fs::write(apt.join("trixie.sources"), SOURCES)
}
