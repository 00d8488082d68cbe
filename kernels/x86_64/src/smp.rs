//! Secondary CPUs (application processors) and TLB shootdown.
//!
//! The boot CPU reads the CPU count from qemu's fw_cfg, checks in the Multiboot memory map
//! that the page the real-mode trampoline goes to is RAM, copies the trampoline there and
//! starts all APs at once with the broadcast INIT-SIPI-SIPI sequence of the SDM (Vol. 3A,
//! 8.4.4.1 "Typical BSP Initialization Sequence"), timing its delays with the 8254 PIT. The
//! trampoline goes from real mode straight to long mode on the boot page tables; each AP
//! then takes a ticket (its dense CPU index - 1, which picks its stack) and records its
//! local APIC ID under that index, so nothing assumes APIC IDs 0..n.
//!
//! Interrupts stay disabled on every CPU (page faults are handled with IF = 0, and a CPU
//! can wait for another inside its fault handler), so a TLB shootdown is sent as an NMI,
//! which IF does not block: each receiver flushes its TLB and records the shootdown
//! generation it flushed for.

use core::arch::{asm, global_asm};
use core::hint::spin_loop;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};

use pte_kernel_common::{MAX_CPUS, Platform, console, x86};

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
/// ICR destination shorthand (bits 19:18) 0b11: all excluding self.
const ICR_ALL_OTHERS: u32 = 0b11 << 18;
/// ICR: level assert (bit 14) + delivery mode INIT (0b101 in bits 10:8), to every other CPU.
const ICR_INIT_OTHERS: u32 = (1 << 14) | (0b101 << 8) | ICR_ALL_OTHERS;
/// ICR: level assert + delivery mode Start-Up (0b110), to every other CPU; the vector is the
/// trampoline's page number.
const ICR_STARTUP_OTHERS: u32 = (1 << 14) | (0b110 << 8) | ICR_ALL_OTHERS;
/// ICR: level assert + delivery mode NMI (0b100), to the APIC ID in ICR_HIGH.
const ICR_NMI: u32 = (1 << 14) | (0b100 << 8);

/// Where the trampoline is copied: a 4 KiB page below 1 MiB (the STARTUP IPI's vector is
/// its page number, SDM Vol. 3A, 10.6.1 "Start-Up"). That it is RAM nobody else uses is
/// checked against the Multiboot memory map by [`check_trampoline_page`]; qemu puts its
/// Multiboot information at 0x9000 and up (`hw/i386/multiboot.c` `MULTIBOOT_STRUCT_ADDR`),
/// just above this page, and the kernel is done reading it before the copy.
const TRAMPOLINE: u64 = 0x8000;
// A STARTUP IPI's vector is a page number below 1 MiB.
const _: () = assert!(TRAMPOLINE.is_multiple_of(4096) && TRAMPOLINE < 0x10_0000);

/// qemu's fw_cfg I/O ports (docs/specs/fw_cfg.rst): selector (16-bit write) and data.
const FW_CFG_SELECTOR: u16 = 0x510;
/// fw_cfg data port: the selected item's bytes, in order.
const FW_CFG_DATA: u16 = 0x511;
/// fw_cfg item `FW_CFG_NB_CPUS`: the number of boot CPUs (`-smp`), little-endian u16.
const FW_CFG_NB_CPUS: u16 = 0x05;

// --- The Multiboot information structure (Multiboot 0.6.96, 3.3 "Boot information
// format"). ---

/// `flags` bit 6: `mmap_length` and `mmap_addr` are valid.
const MBI_FLAG_MMAP: u32 = 1 << 6;
/// Byte offset of `mmap_length`.
const MBI_MMAP_LENGTH: usize = 44;
/// Byte offset of `mmap_addr`.
const MBI_MMAP_ADDR: usize = 48;
/// Memory-map entry: offset of `base_addr` (u64) after the entry's `size` field (u32, at 0,
/// not counting itself).
const MMAP_BASE: usize = 4;
/// Memory-map entry: offset of `length` (u64).
const MMAP_LENGTH: usize = 12;
/// Memory-map entry: offset of `type` (u32).
const MMAP_TYPE: usize = 20;
/// Memory-map entry `type` 1: available RAM.
const MMAP_AVAILABLE: u32 = 1;

// --- The 8254 PIT's channel 2, the one timer a PC has at a fixed frequency (Intel 82C54
// datasheet, "Control Word Format"; how q35's ICH9 wires it: ICH9 datasheet, 5.8 "8254
// Timers" and 13.7.1 "NMI_SC—NMI Status and Control Register", I/O port 61h). ---

/// The 8254's input clock: 14.31818 MHz / 12 (ICH9 datasheet, 5.8).
const PIT_HZ: u64 = 1_193_182;
/// Channel 2's counter port.
const PIT_CHANNEL2: u16 = 0x42;
/// The control-word port.
const PIT_CONTROL: u16 = 0x43;
/// Control word: counter 2 (bits 7:6 = 10), low then high byte (5:4 = 11), mode 0
/// "interrupt on terminal count" (3:1 = 000: OUT goes high when the count reaches 0),
/// binary (0 = 0).
const PIT_CH2_ONESHOT: u8 = 0b1011_0000;
/// NMI_SC (port 61h): bit 0 gates counter 2, bit 1 drives the speaker from it, bit 5 reads
/// counter 2's OUT.
const NMI_SC: u16 = 0x61;
/// NMI_SC bit 0, TIM_CNT2_EN: counter 2 counts.
const NMI_SC_GATE2: u8 = 1 << 0;
/// NMI_SC bit 1, SPKR_DAT_EN: the speaker follows counter 2 (kept off).
const NMI_SC_SPEAKER: u8 = 1 << 1;
/// NMI_SC bit 5, TMR2_OUT_STS: counter 2's OUT.
const NMI_SC_OUT2: u8 = 1 << 5;

/// The PIT count for `micros` µs; at most 65535 (≈ 54.9 ms), checked at compile time.
const fn pit_ticks(micros: u64) -> u16 {
    let ticks = micros * PIT_HZ / 1_000_000;
    assert!(ticks > 0 && ticks <= u16::MAX as u64);
    ticks as u16
}

/// The wait after the INIT IPI: 10 ms (SDM Vol. 3A, 8.4.4.1).
const INIT_DELAY: u16 = pit_ticks(10_000);
/// The wait after each STARTUP IPI: 200 µs (SDM Vol. 3A, 8.4.4.1).
const STARTUP_DELAY: u16 = pit_ticks(200);
/// How often the boot CPU looks at the AP count while waiting: 10 ms.
const POLL_DELAY: u16 = pit_ticks(10_000);
/// After this many polls (5 s) without all APs up, say so once (and keep waiting: the
/// xtask's timeout bounds the run, and a slow host may simply not have scheduled a vCPU).
const POLLS_BEFORE_NOTE: u32 = 500;

/// Stack size of each AP.
const STACK_SIZE: usize = 256 * 1024;

/// One AP stack.
#[repr(C, align(16))]
struct Stack([u8; STACK_SIZE]);

/// The number of AP stacks; an AP whose ticket is not below it parks without a stack.
const AP_STACK_COUNT: usize = MAX_CPUS - 1;

/// The APs' stacks, indexed by ticket (CPU index - 1); reached only through `rsp`.
static mut AP_STACKS: [Stack; AP_STACK_COUNT] = [const { Stack([0; STACK_SIZE]) }; AP_STACK_COUNT];

/// The next AP ticket, taken with `lock xadd` by `ap_start64`.
static AP_TICKETS: AtomicU32 = AtomicU32::new(0);
/// APs that have recorded their APIC ID and loaded the IDT.
static APS_UP: AtomicUsize = AtomicUsize::new(0);
/// Set by the boot CPU once every AP is up: only then do the APs start the workload, so
/// every CPU that can send a shootdown knows every other's APIC ID.
static APS_GO: AtomicBool = AtomicBool::new(false);
/// The number of CPUs running the workload (set by the boot CPU before starting APs).
static CPUS: AtomicUsize = AtomicUsize::new(1);
/// The local APIC ID of each CPU, by dense CPU index (boot CPU 0).
static APIC_IDS: [AtomicU32; MAX_CPUS] = [const { AtomicU32::new(u32::MAX) }; MAX_CPUS];
/// Held by the CPU that is shooting down a translation.
static SHOOTDOWN_LOCK: AtomicBool = AtomicBool::new(false);
/// The number of the latest shootdown (bumped by its sender under [`SHOOTDOWN_LOCK`]).
static SHOOTDOWN_GENERATION: AtomicU64 = AtomicU64::new(0);
/// The shootdown generation each CPU last flushed its TLB for, by CPU index. A stray NMI
/// only rewrites the current generation after a flush, so it can neither hide a pending
/// flush nor make the sender wait forever.
static FLUSHED: [AtomicU64; MAX_CPUS] = [const { AtomicU64::new(0) }; MAX_CPUS];

/// The number of CPUs that run the workload.
pub fn cpus() -> usize {
    CPUS.load(Ordering::Relaxed)
}

/// This CPU's dense index: where its local APIC ID is in [`APIC_IDS`].
pub fn cpu_id() -> usize {
    if cpus() == 1 {
        return 0;
    }
    let apic_id = lapic_id();
    match APIC_IDS[..cpus()]
        .iter()
        .position(|id| id.load(Ordering::Relaxed) == apic_id)
    {
        Some(cpu) => cpu,
        // Only registered CPUs run code that asks; report without calling `cpu_id` again.
        None => {
            console::line_unlocked(
                &PLATFORM,
                format_args!("x86_64: CPU with APIC ID {apic_id} is not registered"),
            );
            PLATFORM.exit(false)
        }
    }
}

/// Starts the APs that fw_cfg reports (at most [`MAX_CPUS`] CPUs in all) and waits until
/// all are up; `multiboot_info` is the address the loader passed in EBX.
pub fn start_aps(multiboot_info: u32) {
    APIC_IDS[0].store(lapic_id(), Ordering::Relaxed);
    let wanted = (fw_cfg_u16(FW_CFG_NB_CPUS) as usize).clamp(1, MAX_CPUS);
    if wanted == 1 {
        return;
    }
    if let Err(why) = check_trampoline_page(multiboot_info) {
        console::line_unlocked(
            &PLATFORM,
            format_args!("x86_64: cannot start the APs: {why}"),
        );
        PLATFORM.exit(false);
    }
    unsafe extern "C" {
        /// The trampoline's first byte (assembly below).
        static ap_trampoline: u8;
        /// One past the trampoline's last byte.
        static ap_trampoline_end: u8;
    }
    let start = &raw const ap_trampoline;
    let len = &raw const ap_trampoline_end as usize - start as usize;
    assert!(len <= 4096, "the AP trampoline exceeds its page");
    // SAFETY: the trampoline is `len` <= 4096 bytes of the image; the page at TRAMPOLINE is
    // available RAM (checked above), identity-mapped, below the image (1 MiB), and nothing
    // else uses it (the Multiboot information is no longer read).
    unsafe { core::ptr::copy_nonoverlapping(start, TRAMPOLINE as *mut u8, len) };
    lapic_write(LAPIC_SVR, SVR_ENABLE);
    CPUS.store(wanted, Ordering::Relaxed);
    // SDM Vol. 3A, 8.4.4.1: INIT, 10 ms, STARTUP, 200 µs, STARTUP, 200 µs, to all APs. An AP
    // that already left the wait-for-SIPI state ignores the second STARTUP.
    let vector = (TRAMPOLINE >> 12) as u32;
    send_ipi(0, ICR_INIT_OTHERS);
    pit_delay(INIT_DELAY);
    for _ in 0..2 {
        send_ipi(0, ICR_STARTUP_OTHERS | vector);
        pit_delay(STARTUP_DELAY);
    }
    let mut polls = 0;
    while APS_UP.load(Ordering::Acquire) < wanted - 1 {
        pit_delay(POLL_DELAY);
        polls += 1;
        if polls == POLLS_BEFORE_NOTE {
            console::line_unlocked(
                &PLATFORM,
                format_args!(
                    "x86_64: still waiting for the APs: {} of {} up",
                    APS_UP.load(Ordering::Relaxed),
                    wanted - 1
                ),
            );
        }
    }
    APS_GO.store(true, Ordering::Release);
}

/// Checks that the Multiboot memory map shows the trampoline's page as available RAM (type
/// 1): not the real-mode IVT/BDA, the EBDA or the BIOS area, which the map reports reserved
/// or leaves out.
fn check_trampoline_page(multiboot_info: u32) -> Result<(), &'static str> {
    let info = multiboot_info as usize;
    // SAFETY (this and the reads below): the loader's information structure and memory map
    // lie in low RAM, identity-mapped by `boot.rs`; nothing has written them since boot.
    // The map's fields are not naturally aligned, hence unaligned reads.
    let read_u32 = |addr: usize| unsafe { (addr as *const u32).read_unaligned() };
    let read_u64 = |addr: usize| unsafe { (addr as *const u64).read_unaligned() };
    if read_u32(info) & MBI_FLAG_MMAP == 0 {
        return Err("the Multiboot loader passed no memory map");
    }
    let mut entry = read_u32(info + MBI_MMAP_ADDR) as usize;
    let end = entry + read_u32(info + MBI_MMAP_LENGTH) as usize;
    while entry < end {
        let base = read_u64(entry + MMAP_BASE);
        let length = read_u64(entry + MMAP_LENGTH);
        if read_u32(entry + MMAP_TYPE) == MMAP_AVAILABLE
            && base <= TRAMPOLINE
            && base.saturating_add(length) >= TRAMPOLINE + 4096
        {
            return Ok(());
        }
        // `size` counts the entry without itself (Multiboot 3.3).
        entry += read_u32(entry) as usize + size_of::<u32>();
    }
    Err("the memory map does not show the trampoline page (0x8000) as available RAM")
}

/// Invalidates the translation of `addr` on every CPU and waits until all have.
pub fn flush_tlb_page(addr: u64) {
    flush_tlb_range(addr, addr + 1);
}

/// Invalidates the translations of the pages of `start..end` on every CPU and waits until all
/// have: one shootdown (each receiver reloads CR3, which drops every translation), then
/// `invlpg` here for each page.
pub fn flush_tlb_range(start: u64, end: u64) {
    let cpus = cpus();
    let me = cpu_id();
    if cpus > 1 {
        while SHOOTDOWN_LOCK.swap(true, Ordering::Acquire) {
            spin_loop();
        }
        // Under the lock only this CPU writes the generation. The caller's entry update is
        // ordered before this store (x86 keeps stores in order, SDM Vol. 3A, 8.2.2).
        let generation = SHOOTDOWN_GENERATION.load(Ordering::Relaxed) + 1;
        SHOOTDOWN_GENERATION.store(generation, Ordering::SeqCst);
        for cpu in (0..cpus).filter(|&cpu| cpu != me) {
            send_ipi(APIC_IDS[cpu].load(Ordering::Relaxed), ICR_NMI);
        }
        for cpu in (0..cpus).filter(|&cpu| cpu != me) {
            while FLUSHED[cpu].load(Ordering::Acquire) < generation {
                spin_loop();
            }
        }
    }
    let mut addr = start & !0xfff;
    while addr < end {
        // SAFETY: INVLPG only drops this CPU's translations of `addr`; it reads no memory.
        unsafe { asm!("invlpg [{}]", in(reg) addr, options(nostack, preserves_flags)) };
        addr += 0x1000;
    }
    if cpus > 1 {
        SHOOTDOWN_LOCK.store(false, Ordering::Release);
    }
}

/// The NMI handler's part: flush this CPU's TLB and record the generation flushed for.
pub fn shootdown_ack() {
    // Read before the flush: the flush then comes after the entry update of that generation.
    let generation = SHOOTDOWN_GENERATION.load(Ordering::Acquire);
    // SAFETY: rewriting CR3 with its own value flushes all non-global translations (SDM
    // Vol. 3A, 4.10.4.1); the kernel maps nothing global.
    unsafe {
        asm!("mov {0}, cr3", "mov cr3, {0}", out(reg) _, options(nostack, preserves_flags));
    }
    FLUSHED[cpu_id()].store(generation, Ordering::Release);
}

/// The 64-bit entry of an AP, called by `ap_start64` on the stack of `ticket`.
#[unsafe(no_mangle)]
extern "C" fn ap_main(ticket: u32) -> ! {
    let cpu = ticket as usize + 1;
    if cpu >= cpus() {
        // More CPUs than fw_cfg reported (or than MAX_CPUS): this one stays out.
        park();
    }
    APIC_IDS[cpu].store(lapic_id(), Ordering::Relaxed);
    crate::idt::load();
    APS_UP.fetch_add(1, Ordering::Release);
    while !APS_GO.load(Ordering::Acquire) {
        spin_loop();
    }
    pte_kernel_common::run(&PLATFORM)
}

/// Stops this CPU for good (IF is clear; no NMI is ever sent to a CPU that is not in
/// [`APIC_IDS`]).
fn park() -> ! {
    loop {
        // SAFETY: CLI; HLT stops the CPU; no state changes.
        unsafe { asm!("cli", "hlt", options(nomem, nostack)) };
    }
}

/// This CPU's local APIC ID.
fn lapic_id() -> u32 {
    lapic_read(LAPIC_ID) >> 24
}

/// Sends an IPI (to the CPU with local APIC ID `apic_id` unless `command` has a shorthand)
/// and waits until the local APIC has sent it (delivery status idle, SDM Vol. 3A, 10.6.1).
fn send_ipi(apic_id: u32, command: u32) {
    lapic_write(LAPIC_ICR_HIGH, apic_id << 24);
    lapic_write(LAPIC_ICR_LOW, command);
    while lapic_read(LAPIC_ICR_LOW) & ICR_PENDING != 0 {
        spin_loop();
    }
}

/// Waits `ticks` periods of the PIT's 1.193182 MHz clock, with counter 2 in one-shot mode
/// (boot CPU only, before the APs run: the PIT is one device for all CPUs).
fn pit_delay(ticks: u16) {
    let [low, high] = ticks.to_le_bytes();
    // SAFETY: NMI_SC and the PIT's counter 2 are the ICH9's documented ports; counter 2
    // drives nothing but the (disabled) speaker, and the NMI_SC bits written are its gate
    // and speaker enable only.
    unsafe {
        let control = x86::inb(NMI_SC);
        x86::outb(NMI_SC, (control & !NMI_SC_SPEAKER) | NMI_SC_GATE2);
        x86::outb(PIT_CONTROL, PIT_CH2_ONESHOT);
        x86::outb(PIT_CHANNEL2, low);
        x86::outb(PIT_CHANNEL2, high);
        while x86::inb(NMI_SC) & NMI_SC_OUT2 == 0 {
            spin_loop();
        }
    }
}

/// Reads a local APIC register (`register` is its offset from [`LAPIC`]).
fn lapic_read(register: u64) -> u32 {
    // SAFETY: the local APIC's registers are identity-mapped uncached; reading ID/ICR has
    // no side effect.
    unsafe { ((LAPIC + register) as *const u32).read_volatile() }
}

/// Writes a local APIC register (`register` is its offset from [`LAPIC`]).
fn lapic_write(register: u64, value: u32) {
    // SAFETY: as in `lapic_read`; the callers write SVR and ICR only.
    unsafe { ((LAPIC + register) as *mut u32).write_volatile(value) }
}

/// Reads a 16-bit fw_cfg item.
fn fw_cfg_u16(item: u16) -> u16 {
    // SAFETY: fw_cfg's ports select an item and stream its bytes; no memory is touched.
    unsafe {
        asm!("out dx, ax", in("dx") FW_CFG_SELECTOR, in("ax") item, options(nomem, nostack, preserves_flags));
        u16::from_le_bytes([x86::inb(FW_CFG_DATA), x86::inb(FW_CFG_DATA)])
    }
}

global_asm!(
    r#"
    /* The architectural numbers are those of boot.rs (SDM Vol. 3A): CR4.PAE bit 5;
       IA32_EFER MSR 0xC0000080, LME bit 8, NXE bit 11; CR0 PE bit 0, WP bit 16, PG bit 31;
       selectors 0x08 (64-bit code) and 0x10 (data) of boot_gdt. */
    .set TRAMPOLINE, {trampoline}
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
    /* ticket = AP_TICKETS++ (dense CPU index - 1). A ticket without a stack parks here,
       before any memory is written through rsp. */
    mov $1, %eax
    lock xadd %eax, {tickets}(%rip)
    cmp ${stack_count}, %eax
    jae 2f
    mov %eax, %edi              /* ap_main(ticket); the 32-bit ops zero-extended rax */
    lea 1(%rax), %rcx
    imul ${stack_size}, %rcx, %rcx
    lea {stacks}(%rip), %rsp
    add %rcx, %rsp              /* the top of AP_STACKS[ticket] */
    xor %ebp, %ebp
    call ap_main
    ud2
2:  cli
    hlt
    jmp 2b
"#,
    trampoline = const TRAMPOLINE,
    tickets = sym AP_TICKETS,
    stack_count = const AP_STACK_COUNT,
    stack_size = const STACK_SIZE,
    stacks = sym AP_STACKS,
    options(att_syntax)
);
