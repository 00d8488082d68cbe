//! The RISC-V example kernel: pte's `riscv64/6.6` layout under qemu `-M virt -bios default
//! -smp 4`, in S-mode under OpenSBI, with Sv39 translation.
//!
//! [`boot`] takes each hart from OpenSBI to Rust with the MMU on, [`probe`] finds out whether
//! the MMU sets accessed/dirty bits itself, [`trap`] sends load and store/AMO page faults to
//! [`pte_kernel_common::page_fault`]; the rest is [`pte_kernel_common::run`].
#![no_std]
#![no_main]

mod boot;
mod probe;
mod trap;

use core::arch::asm;
use core::panic::PanicInfo;
use core::ptr;
use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering, fence};

use pte_kernel_common::{HardwareAd, MAX_CPUS, Platform, panic_report, run};

use boot::{PTE_A, PTE_D, PTE_PPN_MASK, PTE_PPN_SHIFT, PTE_R, PTE_V, PTE_W, PTE_X, ROOT};

unsafe extern "C" {
    /// Where SBI HSM `hart_start` starts a secondary hart (`boot.rs`), with the MMU off.
    fn secondary_start() -> !;
}

/// qemu virt's NS16550A UART (hw/riscv/virt.c `VIRT_UART0`), initialised by OpenSBI.
const UART_BASE: usize = 0x1000_0000;
/// THR, the transmit holding register (offset 0, write).
const UART_THR: usize = 0;
/// LSR, the line status register.
const UART_LSR: usize = 5;
/// LSR.THRE, bit 5: the transmit holding register is empty.
const UART_LSR_THRE: u8 = 1 << 5;

/// qemu virt's SiFive test finisher (hw/riscv/virt.c `VIRT_TEST`, hw/misc/sifive_test.c).
const TEST_BASE: usize = 0x10_0000;
/// FINISHER_PASS: qemu exits with status 0.
const TEST_PASS: u32 = 0x5555;
/// FINISHER_FAIL: qemu exits with the status in bits 31:16.
const TEST_FAIL: u32 = 0x3333;
/// The exit status of a failed run.
const FAIL_STATUS: u32 = 1;

// SBI (RISC-V Supervisor Binary Interface v1.0): `ecall` with the extension ID in a7, the
// function ID in a6; the error comes back in a0, the value in a1.

/// The Hart State Management extension, "HSM".
const SBI_EXT_HSM: u64 = 0x48_534D;
/// HSM `sbi_hart_start(hartid, start_addr, opaque)`.
const SBI_HSM_HART_START: u64 = 0;
/// HSM `sbi_hart_get_status(hartid)`: an error for a hart ID that does not exist.
const SBI_HSM_HART_GET_STATUS: u64 = 2;
/// The RFENCE extension, "RFNC".
const SBI_EXT_RFENCE: u64 = 0x5246_4E43;
/// RFENCE `sbi_remote_sfence_vma(hart_mask, hart_mask_base, start_addr, size)`.
const SBI_RFENCE_SFENCE_VMA: u64 = 1;
/// SBI_SUCCESS.
const SBI_SUCCESS: i64 = 0;

/// Hart IDs this kernel looks for (`hart_get_status` from 0 up; qemu virt numbers its harts
/// 0..n-1). The remote fence's hart mask is one 64-bit word from base 0.
const MAX_HART_ID: u64 = 64;

/// The leaf entry the MMU reads for physical address `pa` with `flags` (Sv39, Figure 4.21).
pub fn leaf_entry(pa: u64, flags: u64) -> u64 {
    (pa >> 12) << PTE_PPN_SHIFT | flags
}

/// The non-leaf entry pointing to the table at physical address `table`: V set, R, W, X
/// clear (and A, D, U clear, as the spec requires of non-leaf entries).
pub fn table_entry(table: u64) -> u64 {
    (table >> 12) << PTE_PPN_SHIFT | PTE_V
}

/// qemu virt with the identity map of `boot.rs`.
pub struct Virt;

/// The platform every hart passes to the shared code.
pub static PLATFORM: Virt = Virt;

/// CPUs started (the boot hart counts the harts before starting any).
static CPUS: AtomicUsize = AtomicUsize::new(1);
/// The hart ID of each CPU index (`tp`).
static HART_OF: [AtomicU64; MAX_CPUS] = [const { AtomicU64::new(0) }; MAX_CPUS];
/// The hardware A/D found by [`probe::hardware_ad`] at boot.
static HW_ACCESSED: AtomicBool = AtomicBool::new(false);
/// See [`HW_ACCESSED`].
static HW_DIRTY: AtomicBool = AtomicBool::new(false);

impl Platform for Virt {
    type A = arch_riscv64::Riscv64_6_6;

    const NAME: &'static str = "riscv64/6.6 on qemu virt (S-mode under OpenSBI, Sv39)";

    /// Sv39: three levels of 512 entries, 4 KiB pages.
    const LEVEL_SHIFTS: &'static [u32] = &[30, 21, 12];

    /// 64 GiB: root entry 64, which the boot table leaves empty (Sv39 reaches 256 GiB in
    /// the lower half).
    const WINDOW: u64 = 0x10_0000_0000;

    fn root(&self) -> u64 {
        ROOT.0.as_ptr() as u64
    }

    fn table_descriptor(_level: usize, table: u64) -> u64 {
        table_entry(table)
    }

    fn next_table(_level: usize, entry: u64) -> Option<u64> {
        (entry & PTE_V != 0 && entry & (PTE_R | PTE_W | PTE_X) == 0)
            .then_some(((entry >> PTE_PPN_SHIFT) & PTE_PPN_MASK) << 12)
    }

    fn sync_tables(&self) {
        // An implementation may cache invalid entries (privileged spec 4.2.1): the faulting
        // hart must fence before it retries, as Linux's update_mmu_cache does on RISC-V.
        // SAFETY: a TLB fence; no memory is changed.
        unsafe { asm!("sfence.vma", options(nostack, preserves_flags)) }
    }

    fn flush_tlb_page(&self, addr: u64) {
        // SAFETY: a TLB fence for one page on this hart; no memory is changed.
        unsafe { asm!("sfence.vma {}, zero", in(reg) addr, options(nostack, preserves_flags)) }
        let me = self.cpu_id();
        let mask = (0..self.cpus())
            .filter(|&cpu| cpu != me)
            .fold(0u64, |m, cpu| m | 1 << HART_OF[cpu].load(Ordering::Relaxed));
        if mask != 0 {
            // OpenSBI returns once every hart of the mask has fenced.
            let (err, _) = sbi_call(SBI_EXT_RFENCE, SBI_RFENCE_SFENCE_VMA, [mask, 0, addr, 4096]);
            assert_eq!(err, SBI_SUCCESS, "SBI remote sfence.vma failed");
        }
    }

    fn cpu_id(&self) -> usize {
        let tp: usize;
        // SAFETY: reads `tp`, which holds the CPU index from boot on (nothing else uses it:
        // no thread-local storage here).
        unsafe { asm!("mv {}, tp", out(reg) tp, options(nomem, nostack, preserves_flags)) }
        tp
    }

    fn cpus(&self) -> usize {
        CPUS.load(Ordering::Relaxed)
    }

    fn hardware_ad(&self) -> HardwareAd {
        HardwareAd {
            accessed: HW_ACCESSED.load(Ordering::Relaxed),
            dirty: HW_DIRTY.load(Ordering::Relaxed),
        }
    }

    fn hw_young(raw: u64) -> bool {
        raw & PTE_A != 0
    }

    fn hw_dirty(raw: u64) -> bool {
        raw & PTE_D != 0
    }

    fn write_serial(&self, bytes: &[u8]) {
        let lsr = (UART_BASE + UART_LSR) as *const u8;
        let thr = (UART_BASE + UART_THR) as *mut u8;
        for &b in bytes {
            // SAFETY: the 16550's registers, in the identity-mapped device gigapage.
            unsafe {
                while ptr::read_volatile(lsr) & UART_LSR_THRE == 0 {}
                ptr::write_volatile(thr, b);
            }
        }
    }

    fn exit(&self, pass: bool) -> ! {
        let code = if pass {
            TEST_PASS
        } else {
            TEST_FAIL | FAIL_STATUS << 16
        };
        // SAFETY: the test finisher's register, in the identity-mapped device gigapage;
        // qemu ends the process on this write.
        unsafe { ptr::write_volatile(TEST_BASE as *mut u32, code) };
        loop {
            // SAFETY: waits for an interrupt (none is enabled); no state changes.
            unsafe { asm!("wfi", options(nomem, nostack, preserves_flags)) }
        }
    }
}

/// An SBI call: extension `ext`, function `fid`, arguments a0–a3; returns (error, value).
fn sbi_call(ext: u64, fid: u64, args: [u64; 4]) -> (i64, u64) {
    let (err, value);
    // SAFETY: the callers pass SBI functions that touch no memory of this kernel (start a
    // hart at an entry point of the image, fence TLBs, read a hart's state); SBI preserves
    // every register but a0 and a1.
    unsafe {
        asm!(
            "ecall",
            inlateout("a0") args[0] => err,
            inlateout("a1") args[1] => value,
            in("a2") args[2],
            in("a3") args[3],
            in("a6") fid,
            in("a7") ext,
            options(nostack)
        )
    }
    (err, value)
}

/// The boot hart, from `_start` with the MMU on and .bss zeroed; `hart` is its hart ID.
extern "C" fn boot_main(hart: u64) -> ! {
    let ad = probe::hardware_ad();
    HW_ACCESSED.store(ad.accessed, Ordering::Relaxed);
    HW_DIRTY.store(ad.dirty, Ordering::Relaxed);
    HART_OF[0].store(hart, Ordering::Relaxed);
    // Every hart that exists gets a CPU index, the boot hart 0, before any is started, so
    // that `cpus()` is final when the first one calls `run`.
    let mut cpus = 1;
    for id in (0..MAX_HART_ID).filter(|&id| id != hart) {
        let (err, _) = sbi_call(SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, [id, 0, 0, 0]);
        if err == SBI_SUCCESS && cpus < MAX_CPUS {
            HART_OF[cpus].store(id, Ordering::Relaxed);
            cpus += 1;
        }
    }
    CPUS.store(cpus, Ordering::Relaxed);
    let entry = secondary_start as *const () as u64;
    // `fence rw, rw`: the stores above (and .bss zeroing) are visible to a hart before it
    // starts; it reads them with the MMU off and then on.
    fence(Ordering::SeqCst);
    for (cpu, hart_of) in HART_OF.iter().enumerate().take(cpus).skip(1) {
        let id = hart_of.load(Ordering::Relaxed);
        let (err, _) = sbi_call(SBI_EXT_HSM, SBI_HSM_HART_START, [id, entry, cpu as u64, 0]);
        assert_eq!(err, SBI_SUCCESS, "SBI HSM hart_start of hart {id} failed");
    }
    run(&PLATFORM)
}

/// A secondary hart, from `secondary_start` with the MMU on.
extern "C" fn secondary_main() -> ! {
    run(&PLATFORM)
}

#[panic_handler]
fn panic(info: &PanicInfo<'_>) -> ! {
    panic_report(&PLATFORM, info)
}
