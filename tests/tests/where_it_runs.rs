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
//! RISC-V has no `AT_PLATFORM` under qemu-user (measured with Debian 12's qemu-riscv64
//! 7.2: the auxiliary vector has no entry 15), so there the proof is `AT_HWCAP` instead:
//! on RISC-V it holds one bit per single-letter ISA extension, and an rv64gc binary must see
//! I, M, A, F, D and C and no bit at or above 26 (on x86_64, `AT_HWCAP` is CPUID.1:EDX,
//! whose bit 26 is SSE2, present on every x86_64 CPU).
//!
//! Skipped only under Miri, which cannot read `/proc`.
#![cfg(target_os = "linux")]

use std::ffi::{CStr, c_char};
use std::io::Write as _;

/// `AT_NULL`: terminates the auxiliary vector.
const AT_NULL: usize = 0;
/// `AT_PLATFORM`: address of a NUL-terminated string naming the platform.
const AT_PLATFORM: usize = 15;
/// `AT_HWCAP`: the CPU's feature bits (on RISC-V, bit `c - 'a'` for ISA extension `c`).
const AT_HWCAP: usize = 16;

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

/// The `AT_PLATFORM` string, or `None` when the auxiliary vector has no such entry.
fn at_platform(entries: &[(usize, usize)]) -> Option<String> {
    let &(_, addr) = entries.iter().find(|&&(key, _)| key == AT_PLATFORM)?;
    assert_ne!(addr, 0, "AT_PLATFORM is a null pointer");
    // SAFETY: the kernel (or qemu-user, for the guest) places the AT_PLATFORM
    // string on the initial process stack, which stays mapped and unmodified
    // for the life of the process; it is NUL-terminated. `addr` is a guest
    // address, which is exactly what this (guest) process dereferences.
    let platform = unsafe { CStr::from_ptr(std::ptr::with_exposed_provenance::<c_char>(addr)) };
    Some(
        platform
            .to_str()
            .expect("AT_PLATFORM is not UTF-8")
            .to_owned(),
    )
}

fn at_hwcap(entries: &[(usize, usize)]) -> Option<usize> {
    entries
        .iter()
        .find(|&&(key, _)| key == AT_HWCAP)
        .map(|&(_, value)| value)
}

/// On RISC-V: does `AT_HWCAP` name exactly single-letter extensions (bits 0..26) and among
/// them those of `rv64gc`, I, M, A, F, D and C?
fn hwcap_is_riscv_gc(hwcap: usize) -> bool {
    let bit = |c: u8| 1usize << (c - b'a');
    let gc = b"imafdc".iter().fold(0, |m, &c| m | bit(c));
    hwcap >> 26 == 0 && hwcap & gc == gc
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
    } else if cfg!(target_arch = "loongarch64") {
        // What qemu-loongarch64 10.0 reports (measured), as Linux does.
        platform == "loongarch"
    } else if cfg!(target_arch = "riscv64") {
        // qemu-riscv64 gives none (see the module docs); accept a RISC-V name should a
        // later one start giving it.
        platform.starts_with("riscv")
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
    let entries = auxv();
    let platform = at_platform(&entries);
    let hwcap = at_hwcap(&entries);

    // Written straight to the stderr handle rather than with `eprintln!`,
    // which the libtest harness captures: this line is meant to show up in
    // the CI log of a *passing* run.
    let _ = writeln!(
        std::io::stderr(),
        "where_it_runs: AT_PLATFORM={platform:?} AT_HWCAP={} target_arch={} usize::BITS={}",
        hwcap.map_or("none".into(), |h| format!("{h:#x}")),
        std::env::consts::ARCH,
        usize::BITS,
    );

    match platform {
        Some(platform) => assert!(
            platform_matches_target_arch(&platform),
            "AT_PLATFORM {platform:?} does not match target_arch {:?}",
            std::env::consts::ARCH
        ),
        // Only RISC-V may lack AT_PLATFORM; there AT_HWCAP proves the architecture.
        None if cfg!(target_arch = "riscv64") => {
            let hwcap = hwcap.unwrap_or_else(|| {
                panic!("neither AT_PLATFORM nor AT_HWCAP in auxv: {entries:x?}")
            });
            assert!(
                hwcap_is_riscv_gc(hwcap),
                "no AT_PLATFORM, and AT_HWCAP {hwcap:#x} is not RISC-V rv64gc's (I, M, A, F, D, \
                 C and nothing above bit 25)"
            );
        }
        None => panic!("no AT_PLATFORM in auxv: {entries:x?}"),
    }
}

/// The RISC-V `AT_HWCAP` check against the values it must tell apart (host-independent).
#[test]
fn riscv_hwcap_check() {
    // qemu-riscv64 7.2's rv64gc: I M A F D C.
    assert!(hwcap_is_riscv_gc(0x112d));
    // With V (bit 21) too.
    assert!(hwcap_is_riscv_gc(0x112d | 1 << 21));
    // Without C: not rv64gc.
    assert!(!hwcap_is_riscv_gc(0x112d & !(1 << 2)));
    // An x86_64 CPUID.1:EDX (has I, M, A, F, D, C's bit positions set, but also SSE2, bit 26).
    assert!(!hwcap_is_riscv_gc(0x178b_fbff));
}
