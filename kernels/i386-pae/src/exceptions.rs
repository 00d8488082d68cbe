//! The IDT for the 32 architectural exception vectors (Intel SDM Vol. 3A, 6.15).
//!
//! Every vector enters a stub that pushes the same frame (a zero error code where the CPU
//! pushes none), saves all general registers (`pushad`) and the x87 state (`fnsave`: the
//! i586 target uses x87 instructions, e.g. `fild`/`fistp` for 64-bit atomic loads, and the
//! fault handler must not disturb an interrupted one), and calls [`exception`]. A page fault
//! the shared code resolves returns through the stub, which restores everything and
//! `iretd`s to retry the faulting instruction; everything else is reported and exits.

use crate::PLATFORM;
use crate::cpu::{DescriptorTablePointer, KERNEL_CS, read_cr2};
use pte_kernel_common::x86::{PfError, pf_fast_path, pf_is_write};
use pte_kernel_common::{Platform, console};

/// The number of architecture-defined exception vectors.
const VECTORS: usize = 32;
/// #PF, the page-fault vector (Intel SDM Vol. 3A, 6.15 "Interrupt 14").
const PAGE_FAULT: u32 = 14;
/// The bytes `fnsave` stores in 32-bit protected mode (Intel SDM Vol. 1, 8.1.10, Figure 8-9).
const FNSAVE_BYTES: usize = 108;

/// What the stubs leave on the stack, lowest address first.
#[repr(C)]
struct Frame {
    /// The x87 state, `fnsave` format.
    fpu: [u8; FNSAVE_BYTES],
    /// `pushad` order (Intel SDM Vol. 2B, "PUSHA/PUSHAD"): EDI lowest, EAX highest.
    edi: u32,
    /// ESI of the interrupted code.
    esi: u32,
    /// EBP of the interrupted code.
    ebp: u32,
    /// The ESP `pushad` saw when it started: the address of [`vector`](Self::vector), NOT
    /// the interrupted code's ESP (that is [`Frame::interrupted_esp`]). `popad` skips it.
    pushad_esp: u32,
    /// EBX of the interrupted code.
    ebx: u32,
    /// EDX of the interrupted code.
    edx: u32,
    /// ECX of the interrupted code.
    ecx: u32,
    /// EAX of the interrupted code.
    eax: u32,
    /// The vector number, pushed by the stub.
    vector: u32,
    /// The CPU's error code, or 0 (pushed by the stub) for vectors without one.
    error: u32,
    /// Pushed by the CPU: the faulting instruction (for a fault) or the next one (a trap).
    eip: u32,
    /// Pushed by the CPU: the interrupted CS, zero-extended to 32 bits.
    cs: u32,
    /// Pushed by the CPU: the interrupted EFLAGS. The kernel runs at CPL 0 only, so no
    /// exception changes privilege and the CPU pushes no ESP/SS above this (Intel SDM
    /// Vol. 3A, 6.12.1, Figure 6-4 "Stack Usage on Transfers to Interrupt and Exception
    /// Handling Routines").
    eflags: u32,
}

impl Frame {
    /// The interrupted code's ESP: on an exception without a privilege change the CPU pushes
    /// EFLAGS, CS, EIP (and the error code) onto the interrupted stack itself (SDM Vol. 3A,
    /// 6.12.1), so that ESP is the address just above the pushed EFLAGS.
    fn interrupted_esp(&self) -> u32 {
        (&raw const self.eflags) as u32 + size_of::<u32>() as u32
    }
}

// The 32 entry stubs and the table of their addresses. The vectors with an error code are
// 8, 10-14, 17, 21, 29, 30 (Intel SDM Vol. 3A, Table 6-1; 29 and 30 are AMD's #VC and #SX).
core::arch::global_asm!(
    ".pushsection .text.exception_stubs, \"ax\"",
    ".irp vector, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31",
    "exception_stub_\\vector:",
    ".if \\vector != 8 && (\\vector < 10 || \\vector > 14) && \\vector != 17 && \\vector != 21 && \\vector != 29 && \\vector != 30",
    "push 0",
    ".endif",
    "push \\vector",
    "jmp {common}",
    ".endr",
    ".popsection",
    ".pushsection .rodata.exception_stubs, \"a\"",
    ".balign 4",
    ".global pte_kernel_i386_exception_stubs",
    "pte_kernel_i386_exception_stubs:",
    ".irp vector, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31",
    ".long exception_stub_\\vector",
    ".endr",
    ".popsection",
    common = sym exception_common,
);

// The common part: save, call `exception(&Frame)` on a 16-byte-aligned stack (psABI), restore,
// drop vector and error code, return. EBX is callee-saved, so it keeps the frame address across
// the call. `cld` gives the handler the direction flag the ABI expects (`iretd` restores the
// interrupted EFLAGS).
core::arch::global_asm!(
    ".pushsection .text.exception_common, \"ax\"",
    "{common}:",
    "pushad",
    "sub esp, {fnsave}",
    "fnsave [esp]",
    "cld",
    "mov ebx, esp",
    "and esp, -16",
    "sub esp, 12",
    "push ebx",
    "call {handler}",
    "mov esp, ebx",
    "frstor [esp]",
    "add esp, {fnsave}",
    "popad",
    "add esp, 8",
    "iretd",
    ".popsection",
    common = sym exception_common,
    fnsave = const FNSAVE_BYTES,
    handler = sym exception,
);

unsafe extern "C" {
    /// The stubs' addresses, by vector.
    #[link_name = "pte_kernel_i386_exception_stubs"]
    static EXCEPTION_STUBS: [u32; VECTORS];
    /// The common entry code (only its address is used).
    fn exception_common();
}

/// A 32-bit interrupt gate (type 0xE, DPL 0, present: 0x8E), which also clears IF on entry
/// (Intel SDM Vol. 3A, 6.11, Figure 6-2).
const INTERRUPT_GATE: u64 = 0x8E;

/// The IDT: 32 gates of 8 bytes.
static mut IDT: [u64; VECTORS] = [0; VECTORS];

/// Fills the IDT with the stubs and loads it.
pub fn load_idt() {
    // SAFETY: runs once at boot on the only CPU with interrupts disabled; the IDT is written
    // through a raw pointer before `lidt` makes the CPU use it, and the stubs it points to are
    // valid entry code in the code segment `KERNEL_CS`.
    unsafe {
        let idt = &raw mut IDT;
        for (vector, &stub) in EXCEPTION_STUBS.iter().enumerate() {
            let offset = u64::from(stub);
            (*idt)[vector] = (offset & 0xFFFF)
                | u64::from(KERNEL_CS) << 16
                | INTERRUPT_GATE << 40
                | (offset >> 16) << 48;
        }
        let pointer = DescriptorTablePointer {
            limit: (size_of::<[u64; VECTORS]>() - 1) as u16,
            base: idt as u32,
        };
        core::arch::asm!("lidt [{}]", in(reg) &pointer, options(readonly, nostack));
    }
}

/// The Rust side of every exception. Returns only for a page fault the shared code resolved.
extern "C" fn exception(frame: &Frame) {
    let fault_addr = (frame.vector == PAGE_FAULT).then(read_cr2);
    let error = u64::from(frame.error);
    if let Some(addr) = fault_addr
        && pf_fast_path(error)
        && pte_kernel_common::page_fault(&PLATFORM, u64::from(addr), pf_is_write(error))
    {
        return;
    }
    report(frame, fault_addr);
    PLATFORM.exit(false)
}

/// Prints an unhandled exception with all saved registers, without the console lock (the
/// interrupted code may hold it).
fn report(frame: &Frame, fault_addr: Option<u32>) {
    let p = &PLATFORM;
    console::line_unlocked(
        p,
        format_args!(
            "\ni386-pae: unhandled exception {} error {:#x} at eip {:#010x} cs {:#x} eflags {:#x}",
            frame.vector, frame.error, frame.eip, frame.cs, frame.eflags
        ),
    );
    if let Some(addr) = fault_addr {
        console::line_unlocked(
            p,
            format_args!(
                "  page fault at {addr:#010x}: {}",
                PfError(u64::from(frame.error))
            ),
        );
    }
    console::line_unlocked(
        p,
        format_args!(
            "  eax {:#010x} ebx {:#010x} ecx {:#010x} edx {:#010x}\n  \
             esi {:#010x} edi {:#010x} ebp {:#010x} esp {:#010x}",
            frame.eax,
            frame.ebx,
            frame.ecx,
            frame.edx,
            frame.esi,
            frame.edi,
            frame.ebp,
            frame.interrupted_esp()
        ),
    );
}
