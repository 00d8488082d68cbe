//! The `msrv` and `package` steps: the declared `rust-version` builds the library crates, and
//! the crates a release publishes package (and their packages build).

use std::fs;
use std::process::Command;

use crate::{Ctx, NO_STD_LIBRARIES};

/// The bare-metal target the MSRV build covers besides the host (what a kernel builds for).
const MSRV_NO_STD_TARGET: &str = "x86_64-unknown-none";

/// The std library crate that shares the workspace's `rust-version` (host only).
const MSRV_STD_LIBRARIES: &[&str] = &["pte-sim"];

/// Where `cargo package` builds and leaves the `.crate` files (`<dir>/package`).
const PACKAGE_TARGET_DIR: &str = "target/release-package";

/// The crates a release publishes: the `no_std` libraries (cargo orders them by dependency).
const PACKAGES: &[&str] = NO_STD_LIBRARIES;

/// Files outside the crates whose changes `cargo package` counts as changes to the packages:
/// the licence files (the crates link to them) and the workspace manifest and lockfile.
const PACKAGED_ROOT_FILES: &[&str] = &["LICENSE-MIT", "LICENSE-APACHE", "Cargo.toml", "Cargo.lock"];

/// Builds the library crates with the toolchain named by `[workspace.package] rust-version`,
/// installing it (minimal profile) if it is missing, for the host and for a bare-metal target.
/// `build`, not `check`: codegen of the non-generic code also evaluates the constants it uses,
/// and on 2 cores it costs no more than `check` (10-15 s cold per target either way; the
/// toolchain download is ~15 s). `--locked`: the old cargo must accept the shared lockfile as it is.
pub(crate) fn msrv(ctx: &mut Ctx) {
    let manifest = ctx.root.join("Cargo.toml");
    let version = match fs::read_to_string(&manifest) {
        Ok(text) => workspace_rust_version(&text),
        Err(e) => {
            ctx.fail("rust-version", &format!("{}: {e}", manifest.display()));
            return;
        }
    };
    let Some(version) = version else {
        ctx.fail(
            "rust-version",
            "no `rust-version` in `[workspace.package]` of Cargo.toml",
        );
        return;
    };
    println!("\nMSRV (workspace rust-version): {version}");
    let installed = Command::new("rustup")
        .args(["run", &version, "rustc", "--version"])
        .env("RUSTUP_AUTO_INSTALL", "0")
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        println!("toolchain {version} not installed; installing it (minimal profile)");
        if !ctx.run(
            format!("rustup {version}"),
            &mut ctx.cmd(
                "rustup",
                &["toolchain", "install", &version, "--profile", "minimal"],
            ),
        ) {
            return;
        }
    }
    // Idempotent, and well under a second when the target is there.
    if !ctx.run(
        format!("rustup target {MSRV_NO_STD_TARGET}"),
        &mut ctx.cmd(
            "rustup",
            &["target", "add", MSRV_NO_STD_TARGET, "--toolchain", &version],
        ),
    ) {
        return;
    }
    let toolchain = format!("+{version}");
    // A target dir of its own: the older compiler's artefacts would evict the current ones.
    let base = [
        toolchain.as_str(),
        "build",
        "--locked",
        "--target-dir",
        "target/msrv",
    ];
    let mut host = base.to_vec();
    for p in NO_STD_LIBRARIES.iter().chain(MSRV_STD_LIBRARIES) {
        host.extend(["-p", p]);
    }
    ctx.run(format!("{version} host"), &mut ctx.cargo(&host));
    let mut bare = base.to_vec();
    bare.extend(["--target", MSRV_NO_STD_TARGET]);
    for p in NO_STD_LIBRARIES {
        bare.extend(["-p", p]);
    }
    ctx.run(
        format!("{version} {MSRV_NO_STD_TARGET}"),
        &mut ctx.cargo(&bare),
    );
}

/// `cargo package` of the published crates, together: cargo (1.90+) verifies each package by
/// building it from its `.crate`, against an overlay registry holding the packages of this
/// run, so the arch crates and pte-layouts verify against the packaged pte-core before any of
/// them is published. The `.crate` files go to `target/release-package/package`.
pub(crate) fn package(ctx: &mut Ctx) {
    // Its own target directory, emptied first: cargo treats a registry package as immutable,
    // so artefacts built from an earlier run's pte-core 0.1.0 (in the workspace's target dir)
    // would be reused to verify this run's dependents.
    let _ = fs::remove_dir_all(ctx.root.join(PACKAGE_TARGET_DIR));
    let mut args = vec!["package", "--locked", "--target-dir", PACKAGE_TARGET_DIR];
    for p in PACKAGES {
        args.extend(["-p", p]);
    }
    // A clean checkout (CI) packages as it is. Uncommitted changes to what the packages hold
    // make `cargo package` refuse; then package the working tree, and say so.
    let mut paths: Vec<&str> = PACKAGES.to_vec();
    paths.extend(PACKAGED_ROOT_FILES);
    let dirty = Command::new("git")
        .args(["status", "--porcelain", "--"])
        .args(&paths)
        .current_dir(&ctx.root)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    if !dirty.trim().is_empty() {
        println!(
            "\nuncommitted changes in the packaged crates; packaging the working tree \
             (--allow-dirty; a release needs a clean tree):\n{dirty}"
        );
        args.push("--allow-dirty");
    }
    forget_stale_overlay_sources();
    ctx.run("cargo package", &mut ctx.cargo(&args));
}

/// Removes what earlier `cargo package` runs unpacked from their overlay registries.
///
/// Cargo unpacks each overlay package into `$CARGO_HOME/registry/src/-<hash>/<name>-<version>`,
/// the hash derived from the overlay's path (`<target dir>/package/tmp-registry`),
/// and reuses that directory when it exists. A checkout at a path an earlier run used (a CI
/// clone in the same place) would then verify the dependents against the *old* pte-core of
/// that run, and fail on anything added since (seen: `no variant Riscv64 in Family`). Only
/// the `-<hash>` registries (local overlays, never crates.io's `index.crates.io-…`) are
/// touched, and only our own package names. (The artefacts built from them are under
/// [`PACKAGE_TARGET_DIR`], which the step empties too.)
fn forget_stale_overlay_sources() {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".cargo")));
    let Some(src) = cargo_home.map(|h| h.join("registry").join("src")) else {
        return;
    };
    let Ok(registries) = fs::read_dir(&src) else {
        return;
    };
    for registry in registries.flatten() {
        if !registry.file_name().to_string_lossy().starts_with('-') {
            continue;
        }
        let Ok(unpacked) = fs::read_dir(registry.path()) else {
            continue;
        };
        for dir in unpacked.flatten() {
            let name = dir.file_name().to_string_lossy().into_owned();
            let ours = PACKAGES.iter().any(|p| {
                name.strip_prefix(p)
                    .and_then(|rest| rest.strip_prefix('-'))
                    .is_some_and(|version| version.starts_with(|c: char| c.is_ascii_digit()))
            });
            if ours && fs::remove_dir_all(dir.path()).is_ok() {
                println!(
                    "removed the stale unpacked overlay package {}",
                    dir.path().display()
                );
            }
        }
    }
}

/// `rust-version` of the `[workspace.package]` table (a plain `key = "value"` line).
fn workspace_rust_version(manifest: &str) -> Option<String> {
    let mut in_table = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_table = line == "[workspace.package]";
            continue;
        }
        if !in_table {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if key.trim() == "rust-version" {
            let value = value.split('#').next()?.trim();
            return Some(value.trim_matches('"').to_string()).filter(|v| !v.is_empty());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::workspace_rust_version;

    #[test]
    fn reads_the_workspace_rust_version() {
        let toml = "[package]\nrust-version = \"1.1\"\n\n[workspace.package]\nedition = \
                    \"2024\"\nrust-version = \"1.88\" # MSRV\n\n[workspace.dependencies]\n";
        assert_eq!(workspace_rust_version(toml).as_deref(), Some("1.88"));
        assert_eq!(
            workspace_rust_version("[package]\nrust-version = \"1.1\"\n"),
            None
        );
    }

    #[test]
    fn the_workspace_declares_one() {
        let text = std::fs::read_to_string(crate::workspace_root().join("Cargo.toml")).unwrap();
        assert!(workspace_rust_version(&text).is_some());
    }
}
