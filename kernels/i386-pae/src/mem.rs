//! The C memory functions. The i586 target is a `linux-gnu` target, so the compiler emits
//! calls to libc's `memcpy`, `memmove`, `memset`, `memcmp` and `bcmp`; this kernel has no libc.
//!
//! The copies and fills are `rep movsb`/`rep stosb` in inline assembly, so the compiler
//! cannot recognise them as a copy loop and turn them back into a call to themselves. ESI is
//! reserved by LLVM on x86-32 (a base pointer), so the asm swaps it in and out itself.

use core::arch::asm;

/// Copies `n` bytes from `src` to `dest`; the ranges must not overlap.
///
/// # Safety
///
/// `src` must be readable and `dest` writable for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcpy(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: per the contract; DF is clear (psABI), so the copy runs upwards.
    unsafe {
        asm!(
            "xchg esi, {src}",
            "rep movsb",
            "xchg esi, {src}",
            src = inout(reg) src => _,
            inout("edi") dest => _,
            inout("ecx") n => _,
            options(nostack, preserves_flags),
        );
    }
    dest
}

/// Copies `n` bytes from `src` to `dest`; the ranges may overlap.
///
/// # Safety
///
/// `src` must be readable and `dest` writable for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memmove(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if (dest as usize).wrapping_sub(src as usize) >= n {
        // `dest` is below `src` or past its end: an upward copy never overwrites unread bytes.
        // SAFETY: per the contract.
        return unsafe { memcpy(dest, src, n) };
    }
    // `dest` lies inside the source: copy downwards from the last byte with DF set, then clear
    // DF again as the psABI requires.
    // SAFETY: per the contract; n > 0 here, so the last bytes exist.
    unsafe {
        asm!(
            "xchg esi, {src}",
            "std",
            "rep movsb",
            "cld",
            "xchg esi, {src}",
            src = inout(reg) src.add(n - 1) => _,
            inout("edi") dest.add(n - 1) => _,
            inout("ecx") n => _,
            options(nostack),
        );
    }
    dest
}

/// Fills `n` bytes at `dest` with the low byte of `c`.
///
/// # Safety
///
/// `dest` must be writable for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memset(dest: *mut u8, c: i32, n: usize) -> *mut u8 {
    // SAFETY: per the contract; DF is clear (psABI).
    unsafe {
        asm!(
            "rep stosb",
            inout("edi") dest => _,
            inout("ecx") n => _,
            in("al") c as u8,
            options(nostack, preserves_flags),
        );
    }
    dest
}

/// Compares `n` bytes: negative, zero or positive as the first differing byte of `a` is
/// below, equal to or above that of `b` (as unsigned bytes).
///
/// # Safety
///
/// `a` and `b` must be readable for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // LLVM recognises copy and fill loops, not comparison loops: this stays a loop.
    for i in 0..n {
        // SAFETY: i < n, per the contract.
        let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
        if x != y {
            return i32::from(x) - i32::from(y);
        }
    }
    0
}

/// Compares `n` bytes for equality only: zero if equal.
///
/// # Safety
///
/// `a` and `b` must be readable for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: per the contract.
    unsafe { memcmp(a, b, n) }
}
