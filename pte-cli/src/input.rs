//! What the user typed: layout names, numbers and words, and the limit-narrowing options.

use pte_core::{Discipline, LayoutEntry, LimitError, Limits};

use crate::error::CliError;

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
}
