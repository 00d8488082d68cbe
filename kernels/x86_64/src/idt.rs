//! The interrupt descriptor table: the 32 exception vectors, page faults to the shared
//! fault handler, everything else reported as fatal.
//!
//! Every vector enters `isr_common` with the same frame (a zero is pushed where the CPU
//! pushes no error code), which saves all 15 general registers before calling Rust, so the
//! faulting code resumes with its registers intact after `iretq`. Interrupts stay disabled
//! (IF = 0 from boot; interrupt gates keep it clear), so only exceptions arrive here.

use core::arch::{asm, global_asm};

use crate::platform::PLATFORM;
use pte_kernel_common::x86::{PfError, pf_fast_path, pf_is_write};
use pte_kernel_common::{Platform, console};

/// The vectors the CPU reserves for exceptions (SDM Vol. 3A, 6.3.1).
const EXCEPTIONS: usize = 32;
/// NMI, vector 2 (SDM Vol. 3A, Table 6-1): a TLB shootdown from another CPU (the only NMI
/// source here).
const NMI: u64 = 2;
/// #PF, the page-fault exception (SDM Vol. 3A, 6.15 "Interrupt 14").
const PAGE_FAULT: u64 = 14;
/// The 64-bit code segment selector set up in `boot.rs` (GDT entry 1).
const KERNEL_CS: u16 = 0x08;
/// Gate type/attributes: P = 1, DPL = 0, type 0xE = 64-bit interrupt gate (SDM Vol. 3A,
/// 6.14.1, Figure 6-8); an interrupt gate clears IF on entry.
const INTERRUPT_GATE: u8 = 0x8E;

/// Mnemonics of the exception vectors (SDM Vol. 3A, Table 6-1); "-" = reserved.
const NAMES: [&str; EXCEPTIONS] = [
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "-", "#TS", "#NP", "#SS", "#GP",
    "#PF", "-", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "-", "-", "-", "-", "-", "-", "#HV",
    "#VC", "#SX", "-",
];

/// A 64-bit IDT gate descriptor (SDM Vol. 3A, 6.14.1, Figure 6-8).
#[derive(Clone, Copy)]
#[repr(C)]
struct Gate {
    /// Handler offset bits 15:0.
    offset_low: u16,
    /// Code-segment selector the handler runs in.
    selector: u16,
    /// Bits 2:0: Interrupt Stack Table index (0 = stay on the current stack); 7:3 zero.
    ist: u8,
    /// Type (bits 3:0), 0, DPL (6:5), P (7): [`INTERRUPT_GATE`].
    attributes: u8,
    /// Handler offset bits 31:16.
    offset_mid: u16,
    /// Handler offset bits 63:32.
    offset_high: u32,
    /// Reserved, zero.
    reserved: u32,
}

impl Gate {
    /// A not-present gate (P = 0): using it raises #NP (replaced by [`init`] before `lidt`).
    const MISSING: Gate = Gate {
        offset_low: 0,
        selector: 0,
        ist: 0,
        attributes: 0,
        offset_mid: 0,
        offset_high: 0,
        reserved: 0,
    };

    /// An interrupt gate to `handler` in the kernel code segment, on the current stack.
    fn interrupt(handler: u64) -> Gate {
        Gate {
            offset_low: handler as u16,
            selector: KERNEL_CS,
            ist: 0,
            attributes: INTERRUPT_GATE,
            offset_mid: (handler >> 16) as u16,
            offset_high: (handler >> 32) as u32,
            reserved: 0,
        }
    }
}

/// The operand of `lidt`: limit and linear base (SDM Vol. 3A, 6.10, Figure 6-1).
#[repr(C, packed)]
struct IdtPointer {
    /// Size of the IDT in bytes minus one.
    limit: u16,
    /// Linear address of the IDT.
    base: u64,
}

/// The IDT, written once by [`init`] before any exception can use it.
static mut IDT: [Gate; EXCEPTIONS] = [Gate::MISSING; EXCEPTIONS];

/// What `isr_common` pushed, lowest address first: the general registers, the vector and
/// error code, then the CPU's interrupt frame (SDM Vol. 3A, 6.14.2, Figure 6-9).
///
/// R15 … RAX are the interrupted code's registers, pushed by `isr_common` in reverse order
/// (RAX first, so at the highest address of the fifteen).
#[repr(C)]
struct Frame {
    /// R15 of the interrupted code (pushed last by `isr_common`).
    r15: u64,
    /// R14.
    r14: u64,
    /// R13.
    r13: u64,
    /// R12.
    r12: u64,
    /// R11.
    r11: u64,
    /// R10.
    r10: u64,
    /// R9.
    r9: u64,
    /// R8.
    r8: u64,
    /// RBP.
    rbp: u64,
    /// RDI.
    rdi: u64,
    /// RSI.
    rsi: u64,
    /// RDX.
    rdx: u64,
    /// RCX.
    rcx: u64,
    /// RBX.
    rbx: u64,
    /// RAX (pushed first by `isr_common`).
    rax: u64,
    /// The vector number, pushed by the entry stub.
    vector: u64,
    /// The CPU's error code, or 0 (pushed by the stub) for vectors without one.
    error_code: u64,
    /// Pushed by the CPU: the faulting instruction (for a fault) or the next one (a trap).
    rip: u64,
    /// Pushed by the CPU: the interrupted CS, zero-extended.
    cs: u64,
    /// Pushed by the CPU: the interrupted RFLAGS.
    rflags: u64,
    /// Pushed by the CPU (always, in 64-bit mode): the interrupted RSP.
    rsp: u64,
    /// Pushed by the CPU: the interrupted SS, zero-extended.
    ss: u64,
}

unsafe extern "C" {
    /// The 32 entry stubs' addresses, vector order (assembly below).
    static isr_table: [u64; EXCEPTIONS];
}

/// Fills the IDT and loads it (boot CPU, before the APs start; interrupts disabled).
pub fn init() {
    let idt = &raw mut IDT;
    // SAFETY: `isr_table` is immutable data defined in the assembly below. `IDT` is written
    // only here, once, before `lidt` and before anything can raise an exception that would
    // read it, on the only CPU.
    unsafe {
        for (gate, &stub) in (*idt).iter_mut().zip(&isr_table) {
            *gate = Gate::interrupt(stub);
        }
    }
    load();
}

/// Loads the IDT filled by [`init`] on this CPU.
pub fn load() {
    let pointer = IdtPointer {
        limit: (size_of::<[Gate; EXCEPTIONS]>() - 1) as u16,
        base: (&raw const IDT) as u64,
    };
    // SAFETY: `pointer` describes the static IDT, which `init` filled on the boot CPU before
    // any AP started; its gates point at the stubs below with the kernel code selector.
    unsafe { asm!("lidt [{}]", in(reg) &pointer, options(readonly, nostack, preserves_flags)) };
}

/// Called by `isr_common` for every exception; returning resumes the interrupted code.
#[unsafe(no_mangle)]
extern "C" fn x86_exception(frame: &mut Frame) {
    if frame.vector == NMI {
        crate::smp::shootdown_ack();
        return;
    }
    let mut fault_address = 0;
    if frame.vector == PAGE_FAULT {
        // SAFETY: reading CR2 (the faulting linear address, SDM Vol. 3A, 2.5) has no side
        // effect; we are at CPL 0.
        unsafe {
            asm!("mov {}, cr2", out(reg) fault_address, options(nomem, nostack, preserves_flags))
        };
        // Reserved-bit faults and instruction fetches are never the fast path's to resolve
        // (retrying them would fault again forever): reported below.
        if pf_fast_path(frame.error_code)
            && pte_kernel_common::page_fault(
                &PLATFORM,
                fault_address,
                pf_is_write(frame.error_code),
            )
        {
            return;
        }
    }
    report(frame, fault_address);
    PLATFORM.exit(false);
}

/// Prints an exception that the kernel cannot handle, straight to the serial port (the
/// console lock may be held by the interrupted code).
fn report(frame: &Frame, fault_address: u64) {
    let p = &PLATFORM;
    let name = NAMES.get(frame.vector as usize).copied().unwrap_or("?");
    console::line_unlocked(
        p,
        format_args!(
            "\nx86_64: unhandled exception {} {name}: error code {:#x}, rip {:#x}, rsp {:#x}, \
             rflags {:#x}",
            frame.vector, frame.error_code, frame.rip, frame.rsp, frame.rflags,
        ),
    );
    if frame.vector == PAGE_FAULT {
        console::line_unlocked(
            p,
            format_args!(
                "  page fault at {fault_address:#x}: {}",
                PfError(frame.error_code)
            ),
        );
    }
    console::line_unlocked(
        p,
        format_args!(
            "  rax {:#x} rbx {:#x} rcx {:#x} rdx {:#x} rsi {:#x} rdi {:#x} rbp {:#x}\n  \
             r8 {:#x} r9 {:#x} r10 {:#x} r11 {:#x} r12 {:#x} r13 {:#x} r14 {:#x} r15 {:#x}",
            frame.rax,
            frame.rbx,
            frame.rcx,
            frame.rdx,
            frame.rsi,
            frame.rdi,
            frame.rbp,
            frame.r8,
            frame.r9,
            frame.r10,
            frame.r11,
            frame.r12,
            frame.r13,
            frame.r14,
            frame.r15,
        ),
    );
}

global_asm!(
    r#"
    /* Vectors for which the CPU pushes an error code (SDM Vol. 3A, Table 6-1):
       #DF 8, #TS 10, #NP 11, #SS 12, #GP 13, #PF 14, #AC 17, #CP 21, #VC 29, #SX 30. */
    .macro isr_error vector
    .balign 16
isr_\vector:
    push $\vector
    jmp isr_common
    .endm
    .macro isr_no_error vector
    .balign 16
isr_\vector:
    push $0
    push $\vector
    jmp isr_common
    .endm

    .section .text.isr, "ax"
    .irp v, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,22,23,24,25,26,27,28,31
    isr_no_error \v
    .endr
    .irp v, 8,10,11,12,13,14,17,21,29,30
    isr_error \v
    .endr

    /* Stack here: vector, error code, RIP, CS, RFLAGS, RSP, SS. The CPU aligned RSP to 16
       before pushing its 5 words (SDM Vol. 3A, 6.14.2); 2 + 15 more words keep it aligned
       for the call (SysV ABI). */
isr_common:
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, %rdi
    cld
    call x86_exception
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rbp
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rbx
    pop %rax
    add $16, %rsp               /* vector and error code */
    iretq

    .section .rodata.isr, "a"
    .balign 8
    .global isr_table
isr_table:
    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .quad isr_\v
    .endr
"#,
    options(att_syntax)
);
