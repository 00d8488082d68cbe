//! Serial output: whole lines under one lock, so the CPUs' reports do not interleave.

use core::fmt::{self, Write};

use pte_core::fault::lock::RawSpinLock;

use crate::Platform;

/// Serialises the CPUs' lines.
static LOCK: RawSpinLock = RawSpinLock::new();

/// `core::fmt` onto the platform's serial port, `\n` → `\r\n`.
struct Serial<'p, P: Platform>(&'p P);

impl<P: Platform> Write for Serial<'_, P> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for (i, line) in s.split('\n').enumerate() {
            if i > 0 {
                self.0.write_serial(b"\r\n");
            }
            self.0.write_serial(line.as_bytes());
        }
        Ok(())
    }
}

/// Prints one line (the lock is held for the whole line).
pub fn line<P: Platform>(p: &P, args: fmt::Arguments<'_>) {
    LOCK.lock();
    let mut out = Serial(p);
    let _ = out.write_fmt(args);
    let _ = out.write_str("\n");
    LOCK.unlock();
}

/// Prints without the lock: for a panic, which may have happened with the lock held.
pub fn line_unlocked<P: Platform>(p: &P, args: fmt::Arguments<'_>) {
    let mut out = Serial(p);
    let _ = out.write_fmt(args);
    let _ = out.write_str("\n");
}

/// `println!` for the kernels: `say!(platform, "format", args…)`.
#[macro_export]
macro_rules! say {
    ($p:expr, $($arg:tt)*) => {
        $crate::console::line($p, format_args!($($arg)*))
    };
}
