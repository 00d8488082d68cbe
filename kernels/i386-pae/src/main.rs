//! The i386 PAE example kernel: boots from qemu's Multiboot (v1) loader in 32-bit protected
//! mode, builds PAE page tables with an identity map of the first GiB and an empty page
//! directory for the window, turns on paging with NX, and runs the shared workload
//! (`pte_kernel_common::run`) on one CPU. Page faults in the window are resolved by
//! `pte_kernel_common::page_fault`, which installs leaf entries through the library
//! (`cmpxchg8b` on the 64-bit PAE entries).
#![no_std]
#![no_main]

mod cpu;
mod exceptions;
mod mem;
mod paging;

use pte_kernel_common::{HardwareAd, Platform, console, x86};

/// The value of EAX when a Multiboot-compliant loader enters the kernel (Multiboot 0.6.96,
/// 3.2 "Machine state").
const MULTIBOOT_BOOTLOADER_MAGIC: u32 = 0x2BAD_B002;
/// The Multiboot header's magic (Multiboot 0.6.96, 3.1.1).
const MULTIBOOT_HEADER_MAGIC: u32 = 0x1BAD_B002;
/// No Multiboot features requested: the ELF headers say where to load, and the kernel reads
/// neither the memory map nor modules.
const MULTIBOOT_HEADER_FLAGS: u32 = 0;

/// The boot stack: 256 KiB, 16-byte aligned as the i386 System V psABI requires at calls.
const STACK_SIZE: usize = 256 * 1024;

#[repr(C, align(16))]
struct Stack([u8; STACK_SIZE]);

/// The only CPU's stack (in .bss, zeroed by `_start` before it is used).
static mut BOOT_STACK: Stack = Stack([0; STACK_SIZE]);

// The Multiboot header and the entry point. The loader jumps to `_start` with paging off,
// flat 4 GiB segments and interrupts disabled (Multiboot 0.6.96, 3.2); EAX holds the
// bootloader magic. `_start` zeroes .bss (which contains the stack, so it runs without one),
// then calls `kmain(magic)` on the boot stack.
core::arch::global_asm!(
    ".pushsection .multiboot, \"a\"",
    ".balign 4",
    ".long {magic}",
    ".long {flags}",
    ".long {checksum}",
    ".popsection",
    ".pushsection .text._start, \"ax\"",
    ".global _start",
    "_start:",
    "cli",
    "cld",
    "mov edx, eax",
    "mov edi, offset __bss_start",
    "mov ecx, offset __bss_end",
    "sub ecx, edi",
    "shr ecx, 2",
    "xor eax, eax",
    "rep stosd",
    "mov esp, offset {stack} + {stack_size}",
    // Keep ESP 16-byte aligned at the call (psABI): 12 bytes of padding plus the argument.
    "sub esp, 12",
    "push edx",
    "call {kmain}",
    "ud2",
    ".popsection",
    magic = const MULTIBOOT_HEADER_MAGIC,
    flags = const MULTIBOOT_HEADER_FLAGS,
    checksum = const 0u32.wrapping_sub(MULTIBOOT_HEADER_MAGIC.wrapping_add(MULTIBOOT_HEADER_FLAGS)),
    stack = sym BOOT_STACK,
    stack_size = const STACK_SIZE,
    kmain = sym kmain,
);

/// The Rust entry, on the boot stack with .bss zeroed.
extern "C" fn kmain(magic: u32) -> ! {
    cpu::init_fpu();
    cpu::load_gdt();
    exceptions::load_idt();
    x86::serial_init();
    if magic != MULTIBOOT_BOOTLOADER_MAGIC {
        fail(format_args!(
            "not entered by a Multiboot loader: EAX = {magic:#x}"
        ));
    }
    if !cpu::has_pae() {
        fail(format_args!("the CPU has no PAE (CPUID 1 EDX bit 6)"));
    }
    if !cpu::has_nx() {
        fail(format_args!(
            "the CPU has no NX (CPUID 0x8000_0001 EDX bit 20); the library's entries set it"
        ));
    }
    cpu::enable_nx();
    paging::enable();
    pte_kernel_common::run(&PLATFORM)
}

/// Reports a boot failure over the serial port and exits qemu with the failure status.
fn fail(args: core::fmt::Arguments) -> ! {
    console::line_unlocked(&PLATFORM, format_args!("i386-pae boot: {args}"));
    PLATFORM.exit(false)
}

/// i386 with PAE paging on qemu q35, one CPU.
pub struct I386Pae;

/// The platform the shared code runs on.
pub static PLATFORM: I386Pae = I386Pae;

impl Platform for I386Pae {
    type A = arch_i386::I386Pae6_6;

    const NAME: &'static str = "i386-pae/6.6 on qemu q35";

    /// PDPT (bits 31:30), page directory (29:21), page table (20:12): Intel SDM Vol. 3A,
    /// 4.4.2, Figure 4-5.
    const LEVEL_SHIFTS: &'static [u32] = &[30, 21, 12];

    /// PDPT entry 2; `paging` points it at an empty page directory.
    const WINDOW: u64 = paging::WINDOW;

    fn root(&self) -> u64 {
        paging::pdpt_address()
    }

    fn table_descriptor(level: usize, table: u64) -> u64 {
        paging::table_descriptor(level, table)
    }

    fn next_table(level: usize, entry: u64) -> Option<u64> {
        paging::next_table(level, entry)
    }

    fn sync_tables(&self) {
        // The x86 page walker snoops ordinary stores (Intel SDM Vol. 3A, 4.10.4.3): ordering
        // the stores before the retried access in program order is all that is needed.
        core::sync::atomic::compiler_fence(core::sync::atomic::Ordering::SeqCst);
    }

    fn flush_tlb_page(&self, addr: u64) {
        cpu::invlpg(addr);
    }

    fn cpu_id(&self) -> usize {
        0
    }

    fn cpus(&self) -> usize {
        1
    }

    fn hardware_ad(&self) -> HardwareAd {
        // x86 paging always sets A and D itself (Intel SDM Vol. 3A, 4.8).
        HardwareAd {
            accessed: true,
            dirty: true,
        }
    }

    fn hw_young(raw: u64) -> bool {
        x86::hw_young(raw)
    }

    fn hw_dirty(raw: u64) -> bool {
        x86::hw_dirty(raw)
    }

    fn write_serial(&self, bytes: &[u8]) {
        x86::serial_write(bytes);
    }

    fn exit(&self, pass: bool) -> ! {
        x86::exit_qemu(pass)
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    pte_kernel_common::panic_report(&PLATFORM, info)
}
