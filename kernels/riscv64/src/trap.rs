//! The S-mode trap vector: load and store/AMO page faults go to the shared page-fault handler
//! (or, during the boot probe, to [`crate::probe`]); anything else is reported and ends the
//! run.

use core::arch::{asm, global_asm};

use pte_kernel_common::{Platform, console, page_fault};

use crate::PLATFORM;

/// The registers of the interrupted context, as `trap_entry` pushes them.
#[repr(C)]
struct Frame {
    /// x0–x31 by register number; `x[0]` is unused, `x[2]` is the interrupted `sp`.
    x: [u64; 32],
    /// `sepc`: where `sret` resumes.
    sepc: u64,
    /// `sstatus` at the trap (SPP, SPIE: how `sret` returns).
    sstatus: u64,
}

/// Bytes of the frame; a multiple of 16 (the psABI's stack alignment).
const FRAME_SIZE: usize = size_of::<Frame>();
const _: () = assert!(FRAME_SIZE.is_multiple_of(16));
const _: () = assert!(core::mem::offset_of!(Frame, sepc) == 256);
const _: () = assert!(core::mem::offset_of!(Frame, sstatus) == 264);

// `scause` (RISC-V privileged spec 20211203, 4.1.9, Table 4.2).

/// `scause` bit 63: an interrupt, not an exception.
const SCAUSE_INTERRUPT: u64 = 1 << 63;
/// Exception code 13: load page fault.
const LOAD_PAGE_FAULT: u64 = 13;
/// Exception code 15: store/AMO page fault (`lr`/`sc` and AMOs fault as stores).
const STORE_PAGE_FAULT: u64 = 15;

/// The names of the exception codes, for the report of an unexpected trap.
fn cause_name(scause: u64) -> &'static str {
    if scause & SCAUSE_INTERRUPT != 0 {
        return "interrupt";
    }
    match scause {
        0 => "instruction address misaligned",
        1 => "instruction access fault",
        2 => "illegal instruction",
        3 => "breakpoint",
        4 => "load address misaligned",
        5 => "load access fault",
        6 => "store/AMO address misaligned",
        7 => "store/AMO access fault",
        8 => "environment call from U-mode",
        9 => "environment call from S-mode",
        12 => "instruction page fault",
        13 => "load page fault",
        15 => "store/AMO page fault",
        _ => "reserved",
    }
}

global_asm!(
    ".section .text.trap, \"ax\"",
    ".balign 4", // stvec.BASE: 4-byte aligned, MODE 0 (direct)
    ".global trap_entry",
    "trap_entry:",
    // Traps come only from S-mode on the interrupted code's own stack: push the frame there.
    "    addi sp, sp, -{frame}",
    ".irp n, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31",
    "    sd x\\n, (\\n * 8)(sp)",
    ".endr",
    "    addi t0, sp, {frame}",
    "    sd t0, 16(sp)", // the interrupted sp
    "    csrr t0, sepc",
    "    sd t0, 256(sp)",
    "    csrr t0, sstatus",
    "    sd t0, 264(sp)",
    "    mv a0, sp",
    "    call {handler}",
    "    ld t0, 256(sp)",
    "    csrw sepc, t0",
    "    ld t0, 264(sp)",
    "    csrw sstatus, t0",
    ".irp n, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31",
    "    ld x\\n, (\\n * 8)(sp)",
    ".endr",
    "    addi sp, sp, {frame}",
    "    sret",
    frame = const FRAME_SIZE,
    handler = sym handle_trap,
);

/// Called by `trap_entry` with the saved registers. Returns only for a page fault that was
/// resolved; `sret` then retries the access.
extern "C" fn handle_trap(frame: &mut Frame) {
    let scause: u64;
    let stval: u64;
    // SAFETY: reading the trap cause and value has no side effects.
    unsafe {
        asm!("csrr {}, scause", out(reg) scause, options(nomem, nostack, preserves_flags));
        asm!("csrr {}, stval", out(reg) stval, options(nomem, nostack, preserves_flags));
    }
    if scause == LOAD_PAGE_FAULT || scause == STORE_PAGE_FAULT {
        let write = scause == STORE_PAGE_FAULT;
        if crate::probe::fault(stval, write) || page_fault(&PLATFORM, stval, write) {
            return;
        }
    }
    fatal(scause, stval, frame)
}

/// Reports a trap nobody handled and fails the run.
fn fatal(scause: u64, stval: u64, frame: &Frame) -> ! {
    let p = &PLATFORM;
    console::line_unlocked(
        p,
        format_args!(
            "cpu {}: unhandled trap ({}): scause {scause:#x} stval {stval:#x} sepc {:#x} \
             sstatus {:#x}",
            p.cpu_id(),
            cause_name(scause),
            frame.sepc,
            frame.sstatus
        ),
    );
    for (row, r) in frame.x.chunks_exact(4).enumerate() {
        console::line_unlocked(
            p,
            format_args!(
                "  x{:<2} {:#018x} {:#018x} {:#018x} {:#018x}",
                row * 4,
                r[0],
                r[1],
                r[2],
                r[3]
            ),
        );
    }
    p.exit(false)
}
