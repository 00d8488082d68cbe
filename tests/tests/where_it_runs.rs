//! Proves where the test binary actually runs.
//!
//! The cross step of `cargo xtask test` runs this crate's tests for foreign
//! targets under qemu-user. If the runner configuration were lost, cargo would
//! either fail to execute the foreign binary or (with binfmt_misc) run it
//! silently somewhere unexpected. This test reads what the *kernel* (or
//! qemu-user, which emulates the guest's auxiliary vector) says the process
//! platform is, `AT_PLATFORM` in `/proc/self/auxv`, and checks that it agrees
//! with what the binary was compiled for.
//!
//! Skipped only under Miri, which cannot read `/proc`.
#![cfg(target_os = "linux")]

use std::ffi::{CStr, c_char};
use std::io::Write as _;

/// `AT_NULL`: terminates the auxiliary vector.
const AT_NULL: usize = 0;
/// `AT_PLATFORM`: address of a NUL-terminated string naming the platform.
const AT_PLATFORM: usize = 15;

/// Parses `/proc/self/auxv` as native-endian `(type, value)` pairs of the
/// process's native word size and returns them up to (not including) `AT_NULL`.
fn auxv() -> Vec<(usize, usize)> {
    let raw = std::fs::read("/proc/self/auxv").expect("read /proc/self/auxv");
    const WORD: usize = size_of::<usize>();
    assert_eq!(
        raw.len() % (2 * WORD),
        0,
        "auxv length {} is not a multiple of two {WORD}-byte words: \
         the process word size disagrees with the compiled pointer width",
        raw.len()
    );
    let word = |chunk: &[u8]| usize::from_ne_bytes(chunk.try_into().unwrap());
    let mut entries = Vec::new();
    for pair in raw.chunks_exact(2 * WORD) {
        let (key, value) = (word(&pair[..WORD]), word(&pair[WORD..]));
        if key == AT_NULL {
            return entries;
        }
        entries.push((key, value));
    }
    panic!("auxv has no AT_NULL terminator ({} bytes)", raw.len());
}

fn at_platform() -> String {
    let entries = auxv();
    let &(_, addr) = entries
        .iter()
        .find(|&&(key, _)| key == AT_PLATFORM)
        .unwrap_or_else(|| panic!("no AT_PLATFORM in auxv: {entries:x?}"));
    assert_ne!(addr, 0, "AT_PLATFORM is a null pointer");
    // SAFETY: the kernel (or qemu-user, for the guest) places the AT_PLATFORM
    // string on the initial process stack, which stays mapped and unmodified
    // for the life of the process; it is NUL-terminated. `addr` is a guest
    // address, which is exactly what this (guest) process dereferences.
    let platform = unsafe { CStr::from_ptr(std::ptr::with_exposed_provenance::<c_char>(addr)) };
    platform
        .to_str()
        .expect("AT_PLATFORM is not UTF-8")
        .to_owned()
}

/// Does the `AT_PLATFORM` string name the architecture this was compiled for?
fn platform_matches_target_arch(platform: &str) -> bool {
    if cfg!(target_arch = "x86_64") {
        platform == "x86_64"
    } else if cfg!(target_arch = "aarch64") {
        // Big-endian aarch64 reports "aarch64_be".
        platform == "aarch64" || platform == "aarch64_be"
    } else if cfg!(target_arch = "x86") {
        // i386 .. i686 depending on the (emulated) CPU family.
        platform.len() == 4 && platform.starts_with('i') && platform.ends_with("86")
    } else {
        panic!(
            "where_it_runs: no expectation for target_arch {:?} (AT_PLATFORM {platform:?})",
            std::env::consts::ARCH
        )
    }
}

#[test]
#[cfg_attr(miri, ignore = "Miri cannot read /proc/self/auxv")]
fn runs_on_the_compiled_target() {
    let platform = at_platform();

    // Written straight to the stderr handle rather than with `eprintln!`,
    // which the libtest harness captures: this line is meant to show up in
    // the CI log of a *passing* run.
    let _ = writeln!(
        std::io::stderr(),
        "where_it_runs: AT_PLATFORM={platform:?} target_arch={} usize::BITS={}",
        std::env::consts::ARCH,
        usize::BITS,
    );

    assert!(
        platform_matches_target_arch(&platform),
        "AT_PLATFORM {platform:?} does not match target_arch {:?}",
        std::env::consts::ARCH
    );
}
