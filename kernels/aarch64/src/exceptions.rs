//! The EL1 exception vectors: data aborts go to the shared page-fault handler, anything else
//! is reported and ends the run.

use core::arch::{asm, global_asm};

use pte_kernel_common::{Platform, console};

use crate::{PLATFORM, page_fault};

/// Bytes of the saved register frame: x0–x30, ELR_EL1, SPSR_EL1, padding to keep `sp`
/// 16-byte aligned (Arm ARM D1.8.2, SP alignment checking).
const FRAME_SIZE: usize = size_of::<Frame>();

/// The registers of the interrupted context, as `exception_common` pushes them.
#[repr(C)]
struct Frame {
    /// x0–x30.
    x: [u64; 31],
    /// ELR_EL1: where `eret` resumes.
    elr: u64,
    /// SPSR_EL1: the interrupted PSTATE.
    spsr: u64,
    /// Keeps the frame a multiple of 16 bytes.
    _pad: u64,
}

// `exception_common` stores x30 and ELR_EL1 with one `stp` at 240 and SPSR_EL1 at 256.
const _: () = assert!(FRAME_SIZE.is_multiple_of(16));
const _: () = assert!(core::mem::offset_of!(Frame, elr) == 248);
const _: () = assert!(core::mem::offset_of!(Frame, spsr) == 256);

/// The vector that takes synchronous exceptions from EL1 using SP_EL1 (VBAR_EL1 + 0x200,
/// Arm ARM D1.10.2, Table D1-7): entry 4 of 16, 0x80 bytes each.
const VECTOR_CURRENT_SPX_SYNC: u64 = 4;

/// The vector entries in table order, for the report of an unexpected exception.
const VECTOR_NAMES: [&str; 16] = [
    "sync, current EL, SP0",
    "IRQ, current EL, SP0",
    "FIQ, current EL, SP0",
    "SError, current EL, SP0",
    "sync, current EL, SPx",
    "IRQ, current EL, SPx",
    "FIQ, current EL, SPx",
    "SError, current EL, SPx",
    "sync, lower EL, AArch64",
    "IRQ, lower EL, AArch64",
    "FIQ, lower EL, AArch64",
    "SError, lower EL, AArch64",
    "sync, lower EL, AArch32",
    "IRQ, lower EL, AArch32",
    "FIQ, lower EL, AArch32",
    "SError, lower EL, AArch32",
];

// ESR_EL1 fields (Arm ARM D19.2 "ESR_EL1"; ISS encoding for a Data Abort, D19.2.40).

/// ESR_EL1.EC, bits[31:26].
const ESR_EC_SHIFT: u32 = 26;
/// EC 0b100101: Data Abort taken without a change in Exception level.
const EC_DATA_ABORT_SAME_EL: u64 = 0x25;
/// ISS.WnR, bit 6: the fault was on a write.
const ESR_WNR: u64 = 1 << 6;
/// ISS.DFSC, bits[5:0]; bits[5:2] say the kind, bits[1:0] the level.
const ESR_DFSC_MASK: u64 = 0x3f;
/// DFSC 0b0001LL: translation fault.
const DFSC_TRANSLATION: u64 = 0b0001;
/// DFSC 0b0011LL: permission fault (the highest of the three kinds the workload handles;
/// 0b0010LL between them is the Access flag fault).
const DFSC_PERMISSION: u64 = 0b0011;

global_asm!(
    ".section .text.vectors, \"ax\"",
    ".balign 2048", // VBAR_EL1 bits[10:0] are RES0
    ".global exception_vectors",
    "exception_vectors:",
    // 16 entries of 0x80 bytes; each passes its index to the common path in x0.
    ".irp vector, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15",
    ".balign 0x80",
    "    sub sp, sp, #{frame}",
    "    stp x0, x1, [sp]",
    "    mov x0, #\\vector",
    "    b exception_common",
    ".endr",
    //
    // Saves the rest of the interrupted context, calls `handle_exception(vector, frame)`
    // and resumes the interrupted code where ELR_EL1 says.
    "exception_common:",
    "    stp x2, x3, [sp, #16]",
    "    stp x4, x5, [sp, #32]",
    "    stp x6, x7, [sp, #48]",
    "    stp x8, x9, [sp, #64]",
    "    stp x10, x11, [sp, #80]",
    "    stp x12, x13, [sp, #96]",
    "    stp x14, x15, [sp, #112]",
    "    stp x16, x17, [sp, #128]",
    "    stp x18, x19, [sp, #144]",
    "    stp x20, x21, [sp, #160]",
    "    stp x22, x23, [sp, #176]",
    "    stp x24, x25, [sp, #192]",
    "    stp x26, x27, [sp, #208]",
    "    stp x28, x29, [sp, #224]",
    "    mrs x1, elr_el1",
    "    stp x30, x1, [sp, #240]",
    "    mrs x1, spsr_el1",
    "    str x1, [sp, #256]",
    "    mov x1, sp",
    "    bl {handler}",
    "    ldr x1, [sp, #256]",
    "    msr spsr_el1, x1",
    "    ldp x30, x1, [sp, #240]",
    "    msr elr_el1, x1",
    "    ldp x28, x29, [sp, #224]",
    "    ldp x26, x27, [sp, #208]",
    "    ldp x24, x25, [sp, #192]",
    "    ldp x22, x23, [sp, #176]",
    "    ldp x20, x21, [sp, #160]",
    "    ldp x18, x19, [sp, #144]",
    "    ldp x16, x17, [sp, #128]",
    "    ldp x14, x15, [sp, #112]",
    "    ldp x12, x13, [sp, #96]",
    "    ldp x10, x11, [sp, #80]",
    "    ldp x8, x9, [sp, #64]",
    "    ldp x6, x7, [sp, #48]",
    "    ldp x4, x5, [sp, #32]",
    "    ldp x2, x3, [sp, #16]",
    "    ldp x0, x1, [sp]",
    "    add sp, sp, #{frame}",
    "    eret",
    frame = const FRAME_SIZE,
    handler = sym handle_exception,
);

/// Called by `exception_common` with the vector's index and the saved registers. Returns
/// only for a page fault the shared handler resolved; the access is then retried.
extern "C" fn handle_exception(vector: u64, frame: &mut Frame) {
    let esr: u64;
    let far: u64;
    // SAFETY: reading the syndrome and fault address registers has no side effects.
    unsafe {
        asm!("mrs {}, esr_el1", out(reg) esr, options(nomem, nostack, preserves_flags));
        asm!("mrs {}, far_el1", out(reg) far, options(nomem, nostack, preserves_flags));
    }
    let dfsc_kind = (esr & ESR_DFSC_MASK) >> 2;
    let page_fault_kind = (DFSC_TRANSLATION..=DFSC_PERMISSION).contains(&dfsc_kind);
    if vector == VECTOR_CURRENT_SPX_SYNC
        && esr >> ESR_EC_SHIFT == EC_DATA_ABORT_SAME_EL
        && page_fault_kind
        && page_fault(far, esr & ESR_WNR != 0)
    {
        return;
    }
    fatal(vector, esr, far, frame)
}

/// Reports an exception nobody handled and fails the run.
fn fatal(vector: u64, esr: u64, far: u64, frame: &Frame) -> ! {
    let p = &PLATFORM;
    let name = VECTOR_NAMES.get(vector as usize).copied().unwrap_or("?");
    console::line_unlocked(
        p,
        format_args!(
            "cpu {}: unhandled exception ({name}): ESR_EL1 {esr:#x} FAR_EL1 {far:#x} \
             ELR_EL1 {:#x} SPSR_EL1 {:#x}",
            p.cpu_id(),
            frame.elr,
            frame.spsr
        ),
    );
    // x0–x30 and, as the 32nd register, the interrupted `sp` (just above the frame).
    let mut regs = [0u64; 32];
    regs[..31].copy_from_slice(&frame.x);
    regs[31] = frame as *const Frame as u64 + FRAME_SIZE as u64;
    for (row, r) in regs.chunks_exact(4).enumerate() {
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
