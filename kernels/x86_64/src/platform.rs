//! [`Platform`] for x86_64 under qemu q35: 4-level paging, COM1, isa-debug-exit.

use core::arch::asm;
use core::fmt;
use core::sync::atomic::{Ordering, compiler_fence};

use pte_kernel_common::{HardwareAd, Platform};

/// The one platform instance the fault handler and [`run`](pte_kernel_common::run) use.
pub static PLATFORM: X86_64Platform = X86_64Platform;

/// x86_64 with 4-level paging, 1 to `MAX_CPUS` CPUs (qemu `-smp`).
pub struct X86_64Platform;

/// Paging-structure entry bits (SDM Vol. 3A, 4.5, Tables 4-14 to 4-19).
const P: u64 = 1 << 0;
/// Writable.
const RW: u64 = 1 << 1;
/// User accessible: the library's leaf entries set U/S, and the CPU ANDs U/S over all
/// levels, so table entries must set it too.
const US: u64 = 1 << 2;
/// Accessed (set by the MMU on any access through the entry).
const A: u64 = 1 << 5;
/// Dirty (set by the MMU on a write through a leaf entry).
const D: u64 = 1 << 6;
/// Page size: a PDPTE/PDE maps a 1 GiB / 2 MiB page instead of pointing to a table.
const PS: u64 = 1 << 7;
/// Physical address bits 51:12 of an entry (MAXPHYADDR is at most 52).
const ADDRESS_MASK: u64 = 0x000F_FFFF_FFFF_F000;

/// COM1's data register (the 16550 UART's THR when written).
const COM1: u16 = 0x3F8;
/// COM1's line status register (16550 register 5).
const COM1_LSR: u16 = COM1 + 5;
/// LSR bit 5: the transmit holding register is empty.
const LSR_THR_EMPTY: u8 = 1 << 5;
/// qemu's `isa-debug-exit` device (`-device isa-debug-exit,iobase=0xf4,iosize=0x04`):
/// writing `v` exits qemu with status `(v << 1) | 1`.
const DEBUG_EXIT: u16 = 0xF4;
/// Exit status 33: pass.
const EXIT_PASS: u32 = 0x10;
/// Exit status 35: fail.
const EXIT_FAIL: u32 = 0x11;

impl Platform for X86_64Platform {
    type A = arch_x86_64::X86_64_6_6;
    const NAME: &'static str = "x86_64/6.6 on qemu q35";
    const LEVEL_SHIFTS: &'static [u32] = &[39, 30, 21, 12];
    /// PML4 entry 1: 512 GiB, left empty by the boot tables.
    const WINDOW: u64 = 0x80_0000_0000;

    fn root(&self) -> u64 {
        crate::boot::pml4()
    }

    fn table_descriptor(_level: usize, table: u64) -> u64 {
        table | P | RW | US
    }

    fn next_table(level: usize, entry: u64) -> Option<u64> {
        // PS is reserved in PML4Es (must be 0) and means "large page" in PDPTEs and PDEs;
        // the leaf level is never asked.
        let large = level > 0 && entry & PS != 0;
        (entry & P != 0 && !large).then_some(entry & ADDRESS_MASK)
    }

    fn sync_tables(&self) {
        // The page walker snoops the caches (SDM Vol. 3A, 4.10.4): only keep the compiler
        // from sinking the table writes below the retried access.
        compiler_fence(Ordering::SeqCst);
    }

    fn flush_tlb_page(&self, addr: u64) {
        crate::smp::flush_tlb_page(addr);
    }

    fn cpu_id(&self) -> usize {
        crate::smp::cpu_id()
    }

    fn cpus(&self) -> usize {
        crate::smp::cpus()
    }

    fn hardware_ad(&self) -> HardwareAd {
        // x86 sets A and D in paging-structure entries itself (SDM Vol. 3A, 4.8).
        HardwareAd {
            accessed: true,
            dirty: true,
        }
    }

    fn hw_young(raw: u64) -> bool {
        raw & A != 0
    }

    fn hw_dirty(raw: u64) -> bool {
        raw & D != 0
    }

    fn write_serial(&self, bytes: &[u8]) {
        for &byte in bytes {
            // SAFETY: COM1's registers are I/O ports: reading LSR and writing THR touch no
            // memory. qemu's 16550 transmits at any line setting, so no setup is needed.
            unsafe {
                while inb(COM1_LSR) & LSR_THR_EMPTY == 0 {}
                asm!("out dx, al", in("dx") COM1, in("al") byte, options(nomem, nostack, preserves_flags));
            }
        }
    }

    fn exit(&self, pass: bool) -> ! {
        let value = if pass { EXIT_PASS } else { EXIT_FAIL };
        // SAFETY: a write to the debug-exit port ends qemu; it touches no memory.
        unsafe {
            asm!("out dx, eax", in("dx") DEBUG_EXIT, in("eax") value, options(nomem, nostack, preserves_flags))
        };
        // Without the device, stop here rather than run on.
        loop {
            // SAFETY: with interrupts disabled HLT stops the CPU for good.
            unsafe { asm!("cli; hlt", options(nomem, nostack)) };
        }
    }
}

/// Reads an I/O port byte.
///
/// # Safety
/// Reading `port` must have no side effect the caller does not expect.
unsafe fn inb(port: u16) -> u8 {
    let value: u8;
    // SAFETY: the caller vouches for the port; IN touches no memory.
    unsafe {
        asm!("in al, dx", out("al") value, in("dx") port, options(nomem, nostack, preserves_flags))
    };
    value
}

/// The serial port as a [`fmt::Write`] for fatal reports, bypassing the console lock.
pub struct Serial;

impl fmt::Write for Serial {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        PLATFORM.write_serial(s.as_bytes());
        Ok(())
    }
}
