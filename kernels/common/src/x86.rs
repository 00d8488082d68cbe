//! What the i386 PAE and x86_64 kernels share: port I/O, the COM1 UART, qemu's exit
//! device, the accessed/dirty bits of a paging entry and the #PF error code.
//!
//! Both kernels run under `qemu-system-x86_64 -M q35`, whose PC devices (a 16550 at COM1,
//! `-device isa-debug-exit,iobase=0xf4,iosize=0x04`) sit at the same I/O ports for either.

use core::arch::asm;

/// Writes a byte to an I/O port (`OUT DX, AL`; Intel SDM Vol. 2B, "OUT").
///
/// # Safety
///
/// The port and the value must be meaningful for the device there.
pub unsafe fn outb(port: u16, value: u8) {
    // SAFETY: per the contract; OUT touches no memory.
    unsafe {
        asm!("out dx, al", in("dx") port, in("al") value, options(nomem, nostack, preserves_flags))
    };
}

/// Writes a doubleword to an I/O port (`OUT DX, EAX`).
///
/// # Safety
///
/// The port and the value must be meaningful for the device there.
pub unsafe fn outl(port: u16, value: u32) {
    // SAFETY: per the contract; OUT touches no memory.
    unsafe {
        asm!("out dx, eax", in("dx") port, in("eax") value, options(nomem, nostack, preserves_flags))
    };
}

/// Reads a byte from an I/O port (`IN AL, DX`; Intel SDM Vol. 2A, "IN").
///
/// # Safety
///
/// Reading the port must have no side effect on its device that the caller does not expect.
pub unsafe fn inb(port: u16) -> u8 {
    let value;
    // SAFETY: per the contract; IN touches no memory.
    unsafe {
        asm!("in al, dx", in("dx") port, out("al") value, options(nomem, nostack, preserves_flags))
    };
    value
}

// --- COM1: a 16550 UART at the PC's first serial port, which qemu connects to `-serial`.
// Register offsets and bits: National Semiconductor PC16550D datasheet, Table II
// ("Summary of Registers") and section 8 ("Registers"). ---

/// COM1's I/O base (the PC/AT convention; qemu `hw/char/serial-isa.c` `isa_serial_io[0]`).
const COM1: u16 = 0x3F8;
/// Register 0: transmit holding register (DLAB = 0) / divisor latch low byte (DLAB = 1).
const THR_DLL: u16 = COM1;
/// Register 1: interrupt enable register (DLAB = 0) / divisor latch high byte (DLAB = 1).
const IER_DLM: u16 = COM1 + 1;
/// Register 2 (write): FIFO control register.
const FCR: u16 = COM1 + 2;
/// Register 3: line control register.
const LCR: u16 = COM1 + 3;
/// Register 5: line status register.
const LSR: u16 = COM1 + 5;
/// LCR bit 7, DLAB: registers 0 and 1 become the baud-rate divisor latch.
const LCR_DLAB: u8 = 1 << 7;
/// LCR bits 1:0 = 0b11 (8 data bits), bit 2 = 0 (1 stop bit), bit 3 = 0 (no parity).
const LCR_8N1: u8 = 0b11;
/// FCR bit 0 (FIFO enable), bit 1 (clear receive FIFO), bit 2 (clear transmit FIFO).
const FCR_ENABLE_CLEAR: u8 = 0b111;
/// LSR bit 5, THRE: the transmit holding register is empty.
const LSR_THRE: u8 = 1 << 5;
/// Divisor 1 of the 1.8432 MHz clock / 16: 115200 baud.
const DIVISOR_115200: u8 = 1;

/// Programs COM1 for 115200 baud 8N1 with FIFOs and no interrupts (polled output only).
/// qemu's UART transmits at any setting; real hardware needs this.
pub fn serial_init() {
    // SAFETY: COM1 is a 16550 on every PC-compatible machine qemu emulates; these are its
    // documented registers, and writing them has no effect beyond the UART.
    unsafe {
        outb(IER_DLM, 0);
        outb(LCR, LCR_DLAB);
        outb(THR_DLL, DIVISOR_115200);
        outb(IER_DLM, 0);
        outb(LCR, LCR_8N1);
        outb(FCR, FCR_ENABLE_CLEAR);
    }
}

/// Writes `bytes` to COM1, waiting for the transmit holding register before each byte.
pub fn serial_write(bytes: &[u8]) {
    for &byte in bytes {
        // SAFETY: reading LSR and writing THR (DLAB = 0 after `serial_init`, and at reset)
        // are the UART's polled-transmit protocol.
        unsafe {
            while inb(LSR) & LSR_THRE == 0 {
                core::hint::spin_loop();
            }
            outb(THR_DLL, byte);
        }
    }
}

// --- qemu's `isa-debug-exit` device (qemu `hw/misc/debugexit.c`): a write of `v` to its
// port exits qemu with status `(v << 1) | 1`. The xtask passes
// `-device isa-debug-exit,iobase=0xf4,iosize=0x04`. ---

/// The device's port (`iobase=0xf4`).
const DEBUG_EXIT_PORT: u16 = 0xF4;
/// Written for a pass: qemu exits with status (0x10 << 1) | 1 = 33.
const EXIT_PASS: u32 = 0x10;
/// Written for a failure: qemu exits with status (0x11 << 1) | 1 = 35.
const EXIT_FAIL: u32 = 0x11;

/// Exits qemu through `isa-debug-exit` with status 33 (pass) or 35 (fail). Without the
/// device the write goes nowhere: the CPU then stops for good (`cli; hlt`), so the run ends
/// by the xtask's timeout instead of running on.
pub fn exit_qemu(pass: bool) -> ! {
    let value = if pass { EXIT_PASS } else { EXIT_FAIL };
    // SAFETY: a write to the debug-exit port ends qemu; on a machine without the device the
    // port is unused.
    unsafe { outl(DEBUG_EXIT_PORT, value) };
    loop {
        // SAFETY: with IF clear, HLT stops the CPU until an NMI or reset; no state changes.
        unsafe { asm!("cli", "hlt", options(nomem, nostack)) };
    }
}

// --- Paging-entry bits the MMU writes (Intel SDM Vol. 3A, 4.8 "Accessed and Dirty Flags";
// Tables 4-14 to 4-20 for 4-level paging, 4-8 to 4-11 for PAE: the same bit positions). ---

/// A, bit 5: set by the processor on any access through the entry.
pub const PTE_ACCESSED: u64 = 1 << 5;
/// D, bit 6: set by the processor on a write through a leaf entry (Table 4-19, 4 KiB page).
pub const PTE_DIRTY: u64 = 1 << 6;

/// The accessed bit of a leaf entry as the processor records it (for `Platform::hw_young`).
pub fn hw_young(raw: u64) -> bool {
    raw & PTE_ACCESSED != 0
}

/// The dirty bit of a leaf entry as the processor records it (for `Platform::hw_dirty`).
pub fn hw_dirty(raw: u64) -> bool {
    raw & PTE_DIRTY != 0
}

// --- The #PF error code (Intel SDM Vol. 3A, 4.7 "Page-Fault Exceptions", Figure 4-12). ---

/// P, bit 0: 0 = the entry was not present; 1 = a protection violation.
pub const PF_PRESENT: u64 = 1 << 0;
/// W/R, bit 1: the access was a write.
pub const PF_WRITE: u64 = 1 << 1;
/// U/S, bit 2: the access was a user-mode access (CPL 3).
pub const PF_USER: u64 = 1 << 2;
/// RSVD, bit 3: a reserved bit was set in some paging-structure entry.
pub const PF_RESERVED: u64 = 1 << 3;
/// I/D, bit 4: the access was an instruction fetch.
pub const PF_FETCH: u64 = 1 << 4;

/// Whether the fast path may resolve a #PF with this error code: not a reserved-bit fault
/// (a malformed entry, which no retry fixes: the fault would repeat forever) and not an
/// instruction fetch (the workload never executes from its window; a fetch there is a bug).
/// Everything else (not present, or a write to a read-only entry) goes to
/// [`page_fault`](crate::page_fault).
pub fn pf_fast_path(error_code: u64) -> bool {
    error_code & (PF_RESERVED | PF_FETCH) == 0
}

/// Whether the faulting access was a write (the `is_write` of [`page_fault`](crate::page_fault)).
pub fn pf_is_write(error_code: u64) -> bool {
    error_code & PF_WRITE != 0
}

/// The #PF error code in words for a fault report, e.g. `write not-present supervisor`.
#[derive(Clone, Copy, Debug)]
pub struct PfError(pub u64);

impl core::fmt::Display for PfError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let e = self.0;
        f.write_str(if e & PF_FETCH != 0 {
            "fetch"
        } else if e & PF_WRITE != 0 {
            "write"
        } else {
            "read"
        })?;
        f.write_str(if e & PF_PRESENT != 0 {
            " protection"
        } else {
            " not-present"
        })?;
        f.write_str(if e & PF_USER != 0 {
            " user"
        } else {
            " supervisor"
        })?;
        if e & PF_RESERVED != 0 {
            f.write_str(" reserved-bit")?;
        }
        Ok(())
    }
}
