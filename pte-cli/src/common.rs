//! What every subcommand shares: errors, number parsing, the layout registry, hex and JSON
//! formatting, and the description of a decoded word.

use std::fmt;
use std::io::{self, Write};

use pte_core::{Decoded, Discipline, LayoutEntry, LimitError, Limits};
use serde_json::Value;

/// A failed command.
#[derive(Debug)]
pub enum CliError {
    /// Bad user input: exit status 2, a one-line message naming the bad value.
    BadInput(String),
    /// Reading stdin or writing stdout failed: exit status 1 (a closed pipe is not an error).
    Io(io::Error),
}

impl CliError {
    /// A bad-input error from anything printable.
    pub fn bad(msg: impl fmt::Display) -> Self {
        CliError::BadInput(msg.to_string())
    }
}

impl From<io::Error> for CliError {
    fn from(e: io::Error) -> Self {
        CliError::Io(e)
    }
}

/// The result of a subcommand.
pub type CliResult = Result<(), CliError>;

/// All known layout entries (`pte_layouts::LAYOUTS`, in its order).
pub fn entries() -> impl Iterator<Item = &'static LayoutEntry> {
    pte_layouts::LAYOUTS.iter()
}

/// The entry called `name` (exact match first, then ASCII case-insensitive).
pub fn find_entry(name: &str) -> Result<&'static LayoutEntry, CliError> {
    entries()
        .find(|e| e.layout.name == name)
        .or_else(|| entries().find(|e| e.layout.name.eq_ignore_ascii_case(name)))
        .ok_or_else(|| {
            let known: Vec<&str> = entries().map(|e| e.layout.name).collect();
            CliError::bad(format_args!(
                "unknown layout '{}' (known: {})",
                name.escape_debug(),
                known.join(", ")
            ))
        })
}

/// The entry's lock bit as [`pte_core::classify_locked`] takes it.
pub fn lock_of(entry: &LayoutEntry) -> Option<(u32, Discipline)> {
    entry.lock.map(|p| (p.bit(), p.discipline()))
}

/// Parses `0x`-hex or decimal, with `_` separators; `None` if malformed or wider than 64 bits.
pub fn parse_u64(text: &str) -> Option<u64> {
    let (digits, radix) = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => (hex, 16),
        None => (text, 10),
    };
    let digits: String = digits.chars().filter(|&c| c != '_').collect();
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(&digits, radix).ok()
}

/// Parses a PTE word; a malformed one is bad input naming it.
pub fn parse_word(text: &str) -> Result<u64, CliError> {
    parse_u64(text).ok_or_else(|| CliError::bad(malformed("word", text)))
}

/// Parses the number given for option `what` (e.g. `--offset`).
pub fn parse_number(what: &str, text: &str) -> Result<u64, CliError> {
    parse_u64(text)
        .ok_or_else(|| CliError::bad(format_args!("{} for {what}", malformed("number", text))))
}

/// `malformed word 'zz' (…)`, saying why.
fn malformed(kind: &str, text: &str) -> String {
    let shown = text.escape_debug();
    let looks_numeric = {
        let t = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X"));
        let radix = if t.is_some() { 16 } else { 10 };
        let d: Vec<char> = t.unwrap_or(text).chars().filter(|&c| c != '_').collect();
        !d.is_empty() && d.iter().all(|c| c.is_digit(radix))
    };
    if looks_numeric {
        format!("malformed {kind} '{shown}' (more than 64 bits)")
    } else {
        format!("malformed {kind} '{shown}' (expected 0x-hex or decimal)")
    }
}

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

/// A narrowing limit option as given on the command line.
pub struct Narrowing<'a> {
    /// The option (`--swap-offset-bits`).
    pub option: &'static str,
    /// The text given.
    pub text: Option<&'a str>,
    /// The narrowing function.
    pub apply: fn(Limits, u32) -> Result<Limits, LimitError>,
}

/// Applies the narrowing options to `entry`'s limits; widening is bad input.
pub fn narrow_limits(entry: &LayoutEntry, options: &[Narrowing<'_>]) -> Result<Limits, CliError> {
    let mut limits = entry.limits;
    for n in options {
        let Some(text) = n.text else { continue };
        let value = parse_number(n.option, text)?;
        let bits = u32::try_from(value).map_err(|_| {
            CliError::bad(format_args!(
                "{} {value} is wider than the layout's limit; limits can only be narrowed",
                n.option
            ))
        })?;
        limits = (n.apply)(limits, bits).map_err(|e| match e {
            LimitError::NoFileEntries => CliError::bad(format_args!(
                "{} {bits}: {} has no file PTEs",
                n.option, entry.layout.name
            )),
            other => CliError::bad(format_args!("{}: {other}", n.option)),
        })?;
    }
    Ok(limits)
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
    fn numbers() {
        assert_eq!(parse_u64("0x200"), Some(0x200));
        assert_eq!(parse_u64("0X2_00"), Some(0x200));
        assert_eq!(parse_u64("1_000"), Some(1000));
        assert_eq!(parse_u64("0xffff_ffff_ffff_ffff"), Some(u64::MAX));
        assert_eq!(parse_u64("0x1_0000_0000_0000_0000"), None);
        assert_eq!(parse_u64("18446744073709551616"), None);
        for bad in ["", "0x", "_", "zz", "+1", "-1", "0xg", "1 2", "0b1"] {
            assert_eq!(parse_u64(bad), None, "{bad}");
        }
    }

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
