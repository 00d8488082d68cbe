//! How results are shown: hex words, JSON numbers and limits, flag names, the description
//! of a decoded word, bit ranges and text tables.

use std::io::{self, Write};

use pte_core::{Decoded, LayoutEntry, Limits};
use serde_json::Value;

use crate::input::lock_of;

/// A word as `0x` and the layout's full width of hex digits (`0x00000200`).
pub fn hex_word(word_bits: u32, word: u64) -> String {
    format!("{word:#0width$x}", width = (word_bits / 4) as usize + 2)
}

/// A JSON number when exactly representable as a double (< 2^53), else a `0x` string.
pub fn json_num(v: u64) -> Value {
    if v < 1 << 53 {
        Value::from(v)
    } else {
        Value::from(format!("{v:#x}"))
    }
}

/// `T=5 N=32 M=40` (M is `-` for layouts without file PTEs).
pub fn limits_short(limits: &Limits) -> String {
    let m = limits
        .file_pgoff_bits
        .map_or_else(|| "-".to_owned(), |m| m.to_string());
    format!(
        "T={} N={} M={m}",
        limits.swap_type_bits, limits.swap_offset_bits
    )
}

/// The limits as a JSON object.
pub fn limits_json(limits: &Limits) -> Value {
    serde_json::json!({
        "swap_type_bits": limits.swap_type_bits,
        "swap_offset_bits": limits.swap_offset_bits,
        "file_pgoff_bits": limits.file_pgoff_bits,
    })
}

/// Names of `entry`'s named flags that are fully set in `word`.
///
/// In a protnone or present-invalid entry the marker bit is the marker, not the present
/// flag that shares its position (x86 `_PAGE_PSE`/`_PAGE_GLOBAL`, arm64 `PTE_NG`).
pub fn flag_names(entry: &LayoutEntry, word: u64) -> Vec<&'static str> {
    let layout = entry.layout;
    let word = if word & 1 << layout.valid_bit == 0 {
        word & !(1 << layout.protnone_marker())
    } else {
        word
    };
    layout
        .flags
        .iter()
        .filter(|f| f.mask != 0 && word & f.mask == f.mask)
        .map(|f| f.name)
        .collect()
}

/// A one-line description of a decoded word (without the word and state).
pub fn describe(entry: &LayoutEntry, word: u64, decoded: &Decoded) -> String {
    match decoded {
        Decoded::None => "pte_none()".to_owned(),
        Decoded::Present { pfn } | Decoded::ProtNone { pfn } | Decoded::PresentInvalid { pfn } => {
            let flags = flag_names(entry, word);
            if flags.is_empty() {
                format!("pfn {pfn:#x}")
            } else {
                format!("pfn {pfn:#x}, flags {}", flags.join("|"))
            }
        }
        Decoded::File { pgoff } => format!("pgoff {pgoff}"),
        Decoded::Swap(e) => e.to_string(),
        Decoded::LockedNone => match lock_of(entry) {
            Some((bit, d)) => format!("empty, lock bit {bit} held ({})", d.name()),
            None => "empty, lock bit held".to_owned(),
        },
        Decoded::Invalid(why) => why.to_string(),
    }
}

/// A bit list as ranges: `1-4, 7, 9-63`, or `none`.
pub fn ranges(bits: &[u32]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < bits.len() {
        let start = bits[i];
        let mut end = start;
        while i + 1 < bits.len() && bits[i + 1] == end + 1 {
            i += 1;
            end = bits[i];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    if parts.is_empty() {
        "none".to_owned()
    } else {
        parts.join(", ")
    }
}

/// Writes rows as left-aligned columns separated by two spaces.
pub fn write_table<const N: usize>(out: &mut dyn Write, rows: &[[String; N]]) -> io::Result<()> {
    let mut widths = [0usize; N];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in rows {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
            if i + 1 == N {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<w$}  "));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_ranges() {
        assert_eq!(ranges(&[]), "none");
        assert_eq!(ranges(&[1, 2, 3, 4, 7, 9, 10]), "1-4, 7, 9-10");
    }

    #[test]
    fn json_numbers() {
        assert_eq!(json_num(5), Value::from(5u64));
        assert_eq!(json_num(1 << 53), Value::from("0x20000000000000"));
    }

    #[test]
    fn hex_words() {
        assert_eq!(hex_word(32, 0x200), "0x00000200");
        assert_eq!(hex_word(64, 1), "0x0000000000000001");
    }
}
