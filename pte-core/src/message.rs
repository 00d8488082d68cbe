//! Text built in `const` (a compile-time error cannot allocate), shared by the proofs'
//! compile errors, `Display` impls and the CLI, so every message is worded once.

use core::fmt;

use crate::classify::{Invalid, SwapEntry};

/// A fixed-capacity message, built in `const` (compile-time errors cannot allocate).
#[derive(Clone, Copy)]
pub struct Message {
    buf: [u8; 320],
    len: usize,
}

impl Default for Message {
    fn default() -> Self {
        Self::new()
    }
}

impl Message {
    /// An empty message.
    pub const fn new() -> Self {
        Message {
            buf: [0; 320],
            len: 0,
        }
    }

    /// Appends text.
    pub const fn push(mut self, s: &str) -> Self {
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() && self.len < self.buf.len() {
            self.buf[self.len] = b[i];
            self.len += 1;
            i += 1;
        }
        self
    }

    const fn push_byte(mut self, c: u8) -> Self {
        if self.len < self.buf.len() {
            self.buf[self.len] = c;
            self.len += 1;
        }
        self
    }

    /// Appends a decimal number.
    pub const fn dec(mut self, v: u64) -> Self {
        let mut digits = [0u8; 20];
        let mut n = 0;
        let mut x = v;
        loop {
            digits[n] = b'0' + (x % 10) as u8;
            n += 1;
            x /= 10;
            if x == 0 {
                break;
            }
        }
        while n > 0 {
            n -= 1;
            self = self.push_byte(digits[n]);
        }
        self
    }

    /// `0x`-hex, zero-padded to `digits` digits (0: as few as needed).
    pub const fn hex(mut self, v: u64, digits: u32) -> Self {
        self = self.push("0x");
        let mut i = if digits == 0 {
            let mut n = 1;
            while n < 16 && v >> (n * 4) != 0 {
                n += 1;
            }
            n
        } else {
            digits
        };
        while i > 0 {
            i -= 1;
            let d = ((v >> (i * 4)) & 0xf) as u8;
            self = self.push_byte(if d < 10 { b'0' + d } else { b'a' + d - 10 });
        }
        self
    }

    /// The text.
    pub const fn as_str(&self) -> &str {
        let (bytes, _) = self.buf.split_at(self.len);
        match core::str::from_utf8(bytes) {
            Ok(s) => s,
            Err(_) => "(message not UTF-8)",
        }
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Appends a swap entry in words: `type 0, offset 2, exclusive`.
pub const fn swap_entry(m: Message, e: SwapEntry) -> Message {
    let mut m = m.push("type ").dec(e.ty).push(", offset ").dec(e.offset);
    if e.exclusive {
        m = m.push(", exclusive");
    }
    if e.soft_dirty {
        m = m.push(", soft-dirty");
    }
    if e.uffd_wp {
        m = m.push(", uffd-wp");
    }
    m
}

/// Appends why a word is invalid, naming the field and the limit.
pub const fn invalid(m: Message, r: Invalid) -> Message {
    match r {
        Invalid::BeyondWord { bits } => m.push("bits ").hex(bits, 0).push(" lie beyond the word"),
        Invalid::FilePgoffBeyondLimit { pgoff, limit_bits } => m
            .push("file pgoff ")
            .hex(pgoff, 0)
            .push(" is not below 2^")
            .dec(limit_bits as u64)
            .push(" (file_pgoff_bits)"),
        Invalid::FileStrayBits { bits } => m
            .push("bits ")
            .hex(bits, 0)
            .push(" are outside the pgoff_to_pte() encoding"),
        Invalid::SwapTypeBeyondLimit { ty, limit_bits } => m
            .push("swap type ")
            .dec(ty)
            .push(" is not below 2^")
            .dec(limit_bits as u64)
            .push(" (swap_type_bits)"),
        Invalid::SwapOffsetBeyondLimit { offset, limit_bits } => m
            .push("swap offset ")
            .hex(offset, 0)
            .push(" is not below 2^")
            .dec(limit_bits as u64)
            .push(" (swap_offset_bits)"),
        Invalid::SwapStrayBits { bits } => m
            .push("bits ")
            .hex(bits, 0)
            .push(" are outside the swap encoding (type, offset, swap flags)"),
    }
}

impl fmt::Display for SwapEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        swap_entry(Message::new(), *self).fmt(f)
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        invalid(Message::new(), *self).fmt(f)
    }
}
