//! Secondary CPUs (application processors) and TLB shootdown.
//!
//! The boot CPU reads the CPU count from qemu's fw_cfg, copies a real-mode trampoline below
//! 1 MiB and starts each AP with INIT / STARTUP IPIs through its local APIC (SDM Vol. 3A,
//! 8.4.4 "MP Initialization Example"). The trampoline goes from real mode straight to long
//! mode on the boot page tables, then jumps to `ap_start64` in the image.
//!
//! Interrupts stay disabled on every CPU (page faults are handled with IF = 0, and a CPU
//! can wait for another inside its fault handler), so a TLB shootdown is sent as an NMI,
//! which IF does not block: each receiver flushes its TLB and acknowledges.

use core::arch::{asm, global_asm};
use core::hint::spin_loop;
use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use pte_kernel_common::MAX_CPUS;

use crate::platform::PLATFORM;

/// The local APIC's MMIO base (IA32_APIC_BASE reset value, SDM Vol. 3A, 10.4.4); identity-
/// mapped uncached by `boot.rs`.
const LAPIC: u64 = 0xFEE0_0000;
/// Local APIC ID register; the ID is bits 31:24 (SDM Vol. 3A, 10.4.6).
const LAPIC_ID: u64 = 0x20;
/// Spurious-interrupt vector register: bit 8 = APIC software enable (SDM Vol. 3A, 10.9).
const LAPIC_SVR: u64 = 0xF0;
/// SVR value: software-enabled, spurious vector 0xFF (never delivered: IF = 0).
const SVR_ENABLE: u32 = (1 << 8) | 0xFF;
/// Interrupt command register, low and high words (SDM Vol. 3A, 10.6.1, Figure 10-12).
const LAPIC_ICR_LOW: u64 = 0x300;
/// ICR bits 63:56 (register 0x310 bits 31:24): the destination APIC ID.
const LAPIC_ICR_HIGH: u64 = 0x310;
/// ICR delivery status (bit 12): the previous IPI is still being sent.
const ICR_PENDING: u32 = 1 << 12;
/// ICR: level assert (bit 14) + delivery mode INIT (0b101 in bits 10:8).
const ICR_INIT: u32 = (1 << 14) | (0b101 << 8);
/// ICR: level assert + delivery mode Start-Up (0b110); the vector is the start page number.
const ICR_STARTUP: u32 = (1 << 14) | (0b110 << 8);
/// ICR: level assert + delivery mode NMI (0b100) + shorthand "all excluding self" (0b11 in
/// bits 19:18).
const ICR_NMI_OTHERS: u32 = (1 << 14) | (0b100 << 8) | (0b11 << 18);

/// Where the trampoline is copied: a free 4 KiB page below 1 MiB (the STARTUP IPI's vector
/// is its page number). Must match `TRAMPOLINE` in the assembly.
const TRAMPOLINE: u64 = 0x8000;

/// qemu's fw_cfg I/O ports (docs/specs/fw_cfg.rst): selector (16-bit write) and data.
const FW_CFG_SELECTOR: u16 = 0x510;
/// fw_cfg data port: the selected item's bytes, in order.
const FW_CFG_DATA: u16 = 0x511;
/// fw_cfg item `FW_CFG_NB_CPUS`: the number of boot CPUs (`-smp`), little-endian u16.
const FW_CFG_NB_CPUS: u16 = 0x05;

/// How long to wait for an AP after a STARTUP IPI (spin iterations; generous under TCG).
const AP_WAIT_SPINS: u64 = 50_000_000;
/// Pause between INIT and STARTUP (the SDM's 10 ms, in spins; qemu needs none).
const INIT_SPINS: u64 = 100_000;

/// Stack size of each AP.
const STACK_SIZE: usize = 256 * 1024;

/// One AP stack.
#[repr(C, align(16))]
struct Stack([u8; STACK_SIZE]);

/// The APs' stacks, indexed by APIC ID - 1.
static mut AP_STACKS: [Stack; MAX_CPUS - 1] = [const { Stack([0; STACK_SIZE]) }; MAX_CPUS - 1];

/// The stack top the next AP takes (read by `ap_start64`).
#[unsafe(no_mangle)]
static AP_STACK_TOP: AtomicU64 = AtomicU64::new(0);
/// Set by an AP once it can take NMIs; cleared by the boot CPU before starting the next.
static AP_READY: AtomicBool = AtomicBool::new(false);
/// The number of CPUs running the workload (set by the boot CPU before starting APs).
static CPUS: AtomicUsize = AtomicUsize::new(1);
/// Held by the CPU that is shooting down a translation.
static SHOOTDOWN_LOCK: AtomicBool = AtomicBool::new(false);
/// CPUs that have not yet flushed for the current shootdown.
static SHOOTDOWN_PENDING: AtomicUsize = AtomicUsize::new(0);

/// The number of CPUs that run the workload.
pub fn cpus() -> usize {
    CPUS.load(Ordering::Relaxed)
}

/// This CPU's index: its local APIC ID (qemu numbers the `-smp` CPUs 0..n).
pub fn cpu_id() -> usize {
    if cpus() == 1 {
        return 0;
    }
    (lapic_read(LAPIC_ID) >> 24) as usize
}

/// Starts the APs that fw_cfg reports (at most [`MAX_CPUS`] CPUs in all); `Err` names the
/// APIC ID of an AP that did not come up.
pub fn start_aps() -> Result<(), usize> {
    let wanted = (fw_cfg_u16(FW_CFG_NB_CPUS) as usize).clamp(1, MAX_CPUS);
    if wanted == 1 {
        return Ok(());
    }
    unsafe extern "C" {
        /// The trampoline's first and one-past-last bytes (assembly below).
        static ap_trampoline: u8;
        static ap_trampoline_end: u8;
    }
    let start = &raw const ap_trampoline;
    let len = &raw const ap_trampoline_end as usize - start as usize;
    // SAFETY: the trampoline is `len` bytes of the image; the 4 KiB page at TRAMPOLINE is
    // free RAM below 1 MiB, identity-mapped, and nothing else uses it.
    unsafe { core::ptr::copy_nonoverlapping(start, TRAMPOLINE as *mut u8, len) };
    lapic_write(LAPIC_SVR, SVR_ENABLE);
    CPUS.store(wanted, Ordering::Relaxed);
    let stacks = &raw mut AP_STACKS;
    for apic_id in 1..wanted {
        // SAFETY: only the address of this AP's own stack is taken.
        let top = unsafe { (&raw mut (*stacks)[apic_id - 1]).add(1) } as u64;
        AP_STACK_TOP.store(top, Ordering::Relaxed);
        AP_READY.store(false, Ordering::Release);
        send_ipi(apic_id, ICR_INIT);
        spin(INIT_SPINS);
        // SDM 8.4.4.1: a second STARTUP IPI if the first was not taken.
        let vector = (TRAMPOLINE >> 12) as u32;
        if !(0..2).any(|_| {
            send_ipi(apic_id, ICR_STARTUP | vector);
            (0..AP_WAIT_SPINS).any(|_| {
                spin_loop();
                AP_READY.load(Ordering::Acquire)
            })
        }) {
            return Err(apic_id);
        }
    }
    Ok(())
}

/// Invalidates the translation of `addr` on every CPU and waits until all have.
pub fn flush_tlb_page(addr: u64) {
    let others = cpus() - 1;
    if others > 0 {
        while SHOOTDOWN_LOCK.swap(true, Ordering::Acquire) {
            spin_loop();
        }
        SHOOTDOWN_PENDING.store(others, Ordering::SeqCst);
        lapic_write(LAPIC_ICR_LOW, ICR_NMI_OTHERS);
        while SHOOTDOWN_PENDING.load(Ordering::SeqCst) != 0 {
            spin_loop();
        }
    }
    // SAFETY: INVLPG only drops this CPU's translations of `addr`; it reads no memory.
    unsafe { asm!("invlpg [{}]", in(reg) addr, options(nostack, preserves_flags)) };
    if others > 0 {
        SHOOTDOWN_LOCK.store(false, Ordering::Release);
    }
}

/// The NMI handler's part: flush this CPU's TLB and acknowledge the shootdown.
pub fn shootdown_ack() {
    // SAFETY: rewriting CR3 with its own value flushes all non-global translations (SDM
    // Vol. 3A, 4.10.4.1); the kernel maps nothing global.
    unsafe {
        asm!("mov {0}, cr3", "mov cr3, {0}", out(reg) _, options(nostack, preserves_flags));
    }
    SHOOTDOWN_PENDING.fetch_sub(1, Ordering::SeqCst);
}

/// The 64-bit entry of an AP, called by `ap_start64` on its own stack.
#[unsafe(no_mangle)]
extern "C" fn ap_main() -> ! {
    crate::idt::load();
    AP_READY.store(true, Ordering::Release);
    pte_kernel_common::run(&PLATFORM)
}

/// Sends an IPI to the CPU with local APIC ID `apic_id` and waits until it is delivered.
fn send_ipi(apic_id: usize, command: u32) {
    lapic_write(LAPIC_ICR_HIGH, (apic_id as u32) << 24);
    lapic_write(LAPIC_ICR_LOW, command);
    while lapic_read(LAPIC_ICR_LOW) & ICR_PENDING != 0 {
        spin_loop();
    }
}

fn spin(iterations: u64) {
    for _ in 0..iterations {
        spin_loop();
    }
}

fn lapic_read(register: u64) -> u32 {
    // SAFETY: the local APIC's registers are identity-mapped uncached; reading ID/ICR has
    // no side effect.
    unsafe { ((LAPIC + register) as *const u32).read_volatile() }
}

fn lapic_write(register: u64, value: u32) {
    // SAFETY: as in `lapic_read`; the callers write SVR and ICR only.
    unsafe { ((LAPIC + register) as *mut u32).write_volatile(value) }
}

/// Reads a 16-bit fw_cfg item.
fn fw_cfg_u16(item: u16) -> u16 {
    let (low, high): (u8, u8);
    // SAFETY: fw_cfg's ports select an item and stream its bytes; no memory is touched.
    unsafe {
        asm!("out dx, ax", in("dx") FW_CFG_SELECTOR, in("ax") item, options(nomem, nostack, preserves_flags));
        asm!("in al, dx", out("al") low, in("dx") FW_CFG_DATA, options(nomem, nostack, preserves_flags));
        asm!("in al, dx", out("al") high, in("dx") FW_CFG_DATA, options(nomem, nostack, preserves_flags));
    }
    u16::from_le_bytes([low, high])
}

global_asm!(
    r#"
    .set TRAMPOLINE, 0x8000
    .set CR4_PAE, 1 << 5
    .set MSR_EFER, 0xC0000080
    .set EFER_LME_NXE, (1 << 8) | (1 << 11)
    .set CR0_PE_WP_PG, (1 << 0) | (1 << 16) | (1 << 31)

    /* Copied to TRAMPOLINE and entered in real mode at CS:IP = TRAMPOLINE >> 4 : 0 (SDM
       Vol. 3A, 8.4.4.1). Addresses inside it are TRAMPOLINE + offset; DS = 0. The CPU goes
       from real mode to long mode in one CR0 write (PE and PG together with EFER.LME). */
    .section .rodata.ap_trampoline, "a"
    .code16
    .global ap_trampoline
    .global ap_trampoline_end
ap_trampoline:
    cli
    cld
    xor %ax, %ax
    mov %ax, %ds
    mov %cr4, %eax
    or $CR4_PAE, %eax
    mov %eax, %cr4
    mov $boot_pml4, %eax
    mov %eax, %cr3
    mov $MSR_EFER, %ecx
    rdmsr
    or $EFER_LME_NXE, %eax
    wrmsr
    lgdtl TRAMPOLINE + (ap_gdt_ptr - ap_trampoline)
    mov %cr0, %eax
    or $CR0_PE_WP_PG, %eax
    mov %eax, %cr0
    ljmpl $0x08, $(TRAMPOLINE + (ap_trampoline64 - ap_trampoline))
    .code64
ap_trampoline64:
    movabs $ap_start64, %rax
    jmp *%rax
    .balign 8
ap_gdt_ptr:
    .word boot_gdt_limit
    .long boot_gdt
ap_trampoline_end:

    .section .text.ap, "ax"
ap_start64:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %eax, %eax
    mov %ax, %fs
    mov %ax, %gs
    mov AP_STACK_TOP(%rip), %rsp
    xor %ebp, %ebp
    call ap_main
    ud2
"#,
    options(att_syntax)
);
