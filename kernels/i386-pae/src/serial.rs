//! COM1, the 16550 UART qemu connects to `-serial stdio`.

use crate::cpu::{inb, outb};

/// COM1's I/O base (PC convention).
const COM1: u16 = 0x3F8;
/// Transmit holding register (DLAB = 0) / divisor latch low byte (DLAB = 1).
const THR_DLL: u16 = COM1;
/// Interrupt enable register (DLAB = 0) / divisor latch high byte (DLAB = 1).
const IER_DLM: u16 = COM1 + 1;
/// FIFO control register.
const FCR: u16 = COM1 + 2;
/// Line control register.
const LCR: u16 = COM1 + 3;
/// Line status register.
const LSR: u16 = COM1 + 5;
/// LCR bit 7, DLAB: the first two registers become the baud divisor.
const LCR_DLAB: u8 = 1 << 7;
/// LCR bits 1:0 = 0b11: 8 data bits, 1 stop bit, no parity.
const LCR_8N1: u8 = 0b11;
/// FCR: enable and clear both FIFOs.
const FCR_ENABLE_CLEAR: u8 = 0b111;
/// LSR bit 5, THRE: the transmit holding register is empty.
const LSR_THRE: u8 = 1 << 5;
/// Divisor 1 of the 1.8432 MHz / 16 clock: 115200 baud.
const DIVISOR_115200: u8 = 1;

/// Programs 115200 8N1 with FIFOs and no interrupts (polled output only).
pub fn init() {
    // SAFETY: COM1 is a 16550 on every PC-compatible machine qemu emulates; these are its
    // documented registers.
    unsafe {
        outb(IER_DLM, 0);
        outb(LCR, LCR_DLAB);
        outb(THR_DLL, DIVISOR_115200);
        outb(IER_DLM, 0);
        outb(LCR, LCR_8N1);
        outb(FCR, FCR_ENABLE_CLEAR);
    }
}

/// Writes `bytes`, waiting for room before each byte.
pub fn write(bytes: &[u8]) {
    for &byte in bytes {
        // SAFETY: reading LSR and writing THR are the UART's polled-transmit protocol.
        unsafe {
            while inb(LSR) & LSR_THRE == 0 {
                core::hint::spin_loop();
            }
            outb(THR_DLL, byte);
        }
    }
}

/// `fmt::Write` straight to COM1, without the shared console lock: for the exception and
/// boot-failure reports, which may run while the interrupted code holds that lock.
pub struct Writer;

impl core::fmt::Write for Writer {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        write(s.as_bytes());
        Ok(())
    }
}
