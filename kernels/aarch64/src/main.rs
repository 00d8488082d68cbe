//! The aarch64 example kernel: pte's `aarch64/6.6` layout under qemu `-M virt -cpu max
//! -smp 4`, with the MMU setting the Access flag and the dirty state (FEAT_HAFDBS) itself
//! when the CPU has it.
//!
//! [`boot`] takes each CPU from reset to Rust at EL1 with the MMU on, [`exceptions`] sends
//! data aborts to [`pte_kernel_common::page_fault`]; the rest is [`pte_kernel_common::run`].
#![no_std]
#![no_main]

mod boot;
mod exceptions;

use core::arch::asm;
use core::panic::PanicInfo;
use core::ptr;
use core::sync::atomic::{AtomicBool, Ordering};

use pte_kernel_common::{HardwareAd, Platform, panic_report, run};

use boot::{CPUS, DESC_ADDR_MASK, DESC_TABLE, MPIDR_AFF0_MASK, TCR_HA, TCR_HD};

unsafe extern "C" {
    /// The level-0 boot table (`boot.rs`), loaded into TTBR0_EL1 by every CPU.
    static BOOT_L0: [u64; 512];
    /// Where PSCI CPU_ON starts a secondary CPU (`boot.rs`), with the MMU off.
    fn secondary_start() -> !;
}

/// qemu virt's PL011 UART (hw/arm/virt.c `VIRT_UART`).
const UART_BASE: usize = 0x0900_0000;
/// UARTDR, the data register (PL011 TRM, 3.3.1).
const UART_DR: usize = 0x00;
/// UARTFR, the flag register (PL011 TRM, 3.3.3).
const UART_FR: usize = 0x18;
/// UARTFR.TXFF, bit 5: the transmit FIFO is full.
const UART_FR_TXFF: u32 = 1 << 5;

/// PSCI 0.2+ CPU_ON, SMC64 function ID (Arm DEN 0022, 5.1.4).
const PSCI_CPU_ON_64: u64 = 0xc400_0003;
/// PSCI 0.2+ SYSTEM_OFF, SMC32 function ID (Arm DEN 0022, 5.1.9): qemu powers the machine
/// off and exits with status 0.
const PSCI_SYSTEM_OFF: u64 = 0x8400_0008;
/// PSCI return code SUCCESS (Arm DEN 0022, "Return error codes").
const PSCI_SUCCESS: u64 = 0;

/// Semihosting SYS_EXIT (Arm semihosting spec, 6.5.2).
const SYS_EXIT: u64 = 0x18;
/// ADP_Stopped_ApplicationExit: SYS_EXIT's reason for a normal end with an exit code.
const ADP_STOPPED_APPLICATION_EXIT: u64 = 0x20026;

/// Descriptor AF, bit 10 (Arm ARM D8.3, lower attributes).
const PTE_AF: u64 = 1 << 10;
/// Descriptor AP[2], bit 7: read-only when set (Arm ARM D8.4, data access permissions).
const PTE_AP2_RDONLY: u64 = 1 << 7;
/// Descriptor DBM, bit 51: writes clear AP[2] in hardware under TCR_EL1.HD (Arm ARM D8.4.6).
const PTE_DBM: u64 = 1 << 51;

/// qemu virt with the identity map of `boot.rs`.
pub struct Virt;

/// The platform every CPU passes to the shared code.
pub static PLATFORM: Virt = Virt;

impl Platform for Virt {
    type A = arch_aarch64::Aarch64_6_6;

    const NAME: &'static str = "aarch64/6.6 on qemu virt";

    /// 4 KB granule, 48-bit VA: levels 0–3.
    const LEVEL_SHIFTS: &'static [u32] = &[39, 30, 21, 12];

    /// 64 GiB: L0 entry 0 (the boot L1 table), L1 entry 64, which the boot tables leave
    /// empty.
    const WINDOW: u64 = 0x10_0000_0000;

    fn root(&self) -> u64 {
        (&raw const BOOT_L0) as u64
    }

    fn table_descriptor(_level: usize, table: u64) -> u64 {
        table | DESC_TABLE
    }

    fn next_table(_level: usize, entry: u64) -> Option<u64> {
        (entry & 0b11 == DESC_TABLE).then_some(entry & DESC_ADDR_MASK)
    }

    fn sync_tables(&self) {
        // SAFETY: barriers only: the table stores complete before the walker's next look.
        unsafe { asm!("dsb ishst", "isb", options(nostack, preserves_flags)) }
    }

    fn flush_tlb_page(&self, addr: u64) {
        // TLBI VAAE1IS takes VA[55:12] in bits[43:0] (Arm ARM C5.5, TLBI VAAE1IS): every
        // ASID, every CPU of the Inner Shareable domain.
        // SAFETY: TLB maintenance and barriers; no memory is changed.
        unsafe {
            asm!(
                "dsb ishst",
                "tlbi vaae1is, {page}",
                "dsb ish",
                "isb",
                page = in(reg) addr >> 12,
                options(nostack, preserves_flags)
            )
        }
    }

    fn cpu_id(&self) -> usize {
        let mpidr: u64;
        // SAFETY: reading MPIDR_EL1 has no side effects.
        unsafe {
            asm!("mrs {}, mpidr_el1", out(reg) mpidr, options(nomem, nostack, preserves_flags))
        }
        (mpidr & MPIDR_AFF0_MASK) as usize
    }

    fn cpus(&self) -> usize {
        CPUS
    }

    fn hardware_ad(&self) -> HardwareAd {
        let tcr: u64;
        // SAFETY: reading TCR_EL1 has no side effects.
        unsafe { asm!("mrs {}, tcr_el1", out(reg) tcr, options(nomem, nostack, preserves_flags)) }
        HardwareAd {
            accessed: tcr & TCR_HA != 0,
            dirty: tcr & TCR_HD != 0,
        }
    }

    fn hw_young(raw: u64) -> bool {
        raw & PTE_AF != 0
    }

    fn hw_dirty(raw: u64) -> bool {
        raw & PTE_DBM != 0 && raw & PTE_AP2_RDONLY == 0
    }

    fn write_serial(&self, bytes: &[u8]) {
        let fr = (UART_BASE + UART_FR) as *const u32;
        let dr = (UART_BASE + UART_DR) as *mut u32;
        for &b in bytes {
            // SAFETY: the PL011's registers, identity-mapped as Device memory by `boot.rs`.
            unsafe {
                while ptr::read_volatile(fr) & UART_FR_TXFF != 0 {}
                ptr::write_volatile(dr, u32::from(b));
            }
        }
    }

    fn exit(&self, pass: bool) -> ! {
        // Without `-semihosting`, HLT is UNDEFINED at EL1 (Arm ARM C6.2 "HLT": halting is
        // not allowed without an external debugger), so the call below raises an exception
        // whose report ends here again: the guard sends that second call (on this CPU)
        // straight to the power-off.
        if !EXITING[self.cpu_id()].swap(true, Ordering::Relaxed) {
            let block = [ADP_STOPPED_APPLICATION_EXIT, u64::from(!pass)];
            // SAFETY: the semihosting call (HLT #0xF000 in AArch64, semihosting spec 2.2)
            // only reads the parameter block; qemu `-semihosting` ends the process with
            // the exit code.
            unsafe {
                asm!(
                    "hlt #0xf000",
                    in("x0") SYS_EXIT,
                    in("x1") block.as_ptr(),
                    options(nostack, readonly)
                )
            }
        }
        // No semihosting: stop the VM through PSCI. qemu then exits with status 0 whatever
        // `pass` says; the xtask still tells a failure by the missing `PTE-KERNEL PASS`.
        psci_call(conduit(), PSCI_SYSTEM_OFF, 0, 0, 0);
        // SYSTEM_OFF does not return (Arm DEN 0022, 5.1.9); if a firmware did, stop here.
        loop {
            // SAFETY: waits for an event; no state changes.
            unsafe { asm!("wfe", options(nomem, nostack, preserves_flags)) }
        }
    }
}

/// Set by [`Platform::exit`] on the CPU that calls it: a second call on the same CPU (from
/// the exception the semihosting call raises without `-semihosting`) skips semihosting.
/// Per CPU, so that two CPUs failing at once both report their status through semihosting.
static EXITING: [AtomicBool; CPUS] = [const { AtomicBool::new(false) }; CPUS];

/// Whether PSCI is called with SMC (kernel entered at EL2), else HVC; set by the boot CPU.
static PSCI_SMC: AtomicBool = AtomicBool::new(false);

/// The PSCI conduit recorded by [`boot_main`].
fn conduit() -> Conduit {
    if PSCI_SMC.load(Ordering::Relaxed) {
        Conduit::Smc
    } else {
        Conduit::Hvc
    }
}

/// How PSCI is called: qemu virt uses HVC when it starts the kernel at EL1 and SMC when
/// it starts it at EL2 (`virtualization=on`), where HVC would trap to the kernel itself.
/// (Arm DEN 0022, "Conduits"; the SMC Calling Convention, Arm DEN 0028.)
#[derive(Clone, Copy)]
enum Conduit {
    /// `HVC #0`: the hypervisor call, taken by qemu's built-in PSCI when EL2 is absent.
    Hvc,
    /// `SMC #0`: the secure monitor call, for a kernel that qemu started at EL2.
    Smc,
}

/// Calls PSCI function `function` with arguments x1–x3; returns x0.
fn psci_call(conduit: Conduit, function: u64, a1: u64, a2: u64, a3: u64) -> u64 {
    let mut ret = function;
    // SAFETY: the callers pass PSCI functions that touch no memory of this kernel (CPU_ON
    // starts a CPU at an entry point of the image, SYSTEM_OFF stops the machine); the SMC
    // Calling Convention lets the firmware clobber x0–x17 (clobber_abi("C") covers them).
    unsafe {
        match conduit {
            Conduit::Hvc => asm!(
                "hvc #0",
                inout("x0") ret, in("x1") a1, in("x2") a2, in("x3") a3,
                clobber_abi("C"), options(nostack)
            ),
            Conduit::Smc => asm!(
                "smc #0",
                inout("x0") ret, in("x1") a1, in("x2") a2, in("x3") a3,
                clobber_abi("C"), options(nostack)
            ),
        }
    }
    ret
}

/// Starts CPU `cpu` (MPIDR_EL1.Aff0) at `secondary_start` with the MMU off, through PSCI
/// CPU_ON (context id 0).
fn cpu_on(conduit: Conduit, cpu: u64) -> u64 {
    let entry = secondary_start as *const () as u64;
    psci_call(conduit, PSCI_CPU_ON_64, cpu, entry, 0)
}

/// The boot CPU, from `_start` at EL1 with the MMU on and .bss zeroed; `boot_el` is the
/// exception level qemu entered the kernel at.
extern "C" fn boot_main(boot_el: u64) -> ! {
    PSCI_SMC.store(boot_el == 2, Ordering::Relaxed);
    let conduit = conduit();
    for cpu in 1..CPUS as u64 {
        let ret = cpu_on(conduit, cpu);
        assert_eq!(ret, PSCI_SUCCESS, "PSCI CPU_ON of cpu {cpu} failed");
    }
    run(&PLATFORM)
}

/// A secondary CPU, from `secondary_start` at EL1 with the MMU on.
extern "C" fn secondary_main() -> ! {
    run(&PLATFORM)
}

#[panic_handler]
fn panic(info: &PanicInfo<'_>) -> ! {
    panic_report(&PLATFORM, info)
}
