//! `pte decode NAME WORD…`: classify words (or a page-table dump on stdin, one word a line).

use std::io::{Read, Write};

use pte_core::{Decoded, LayoutEntry, classify_locked};
use serde_json::{Map, Value, json};

use crate::error::{CliError, CliResult};
use crate::input::{find_entry, lock_of, parse_word};
use crate::output::{describe, flag_names, hex_word, json_num};

/// Options of `pte decode`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The layout, e.g. `i386/2.6.8` (see `pte layouts`).
    pub name: String,
    /// Words (`0x`-hex or decimal, `_` separators allowed); `-` reads one word per line from
    /// stdin (blank lines are skipped).
    #[arg(required = true, value_name = "WORD", allow_negative_numbers = true)]
    pub words: Vec<String>,
    /// Print one JSON object per word (JSON Lines).
    #[arg(long)]
    pub json: bool,
}

/// Reads words from stdin, one per line; blank lines are skipped, a bad line is bad input.
fn read_stdin(stdin: &mut dyn Read, words: &mut Vec<u64>) -> CliResult {
    let mut bytes = Vec::new();
    stdin.read_to_end(&mut bytes)?;
    for (n, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let text = String::from_utf8_lossy(line);
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let word = parse_word(text).map_err(|e| match e {
            CliError::BadInput(msg) => CliError::BadInput(format!("{msg} on stdin line {}", n + 1)),
            other => other,
        })?;
        words.push(word);
    }
    Ok(())
}

/// The JSON object for one decoded word.
fn word_json(entry: &LayoutEntry, word: u64, decoded: &Decoded, locked: bool) -> Value {
    let layout = entry.layout;
    let mut m = Map::new();
    m.insert("layout".into(), layout.name.into());
    m.insert("raw".into(), hex_word(layout.word_bits, word).into());
    m.insert("state".into(), decoded.state().name().into());
    match decoded {
        Decoded::Present { pfn } | Decoded::ProtNone { pfn } | Decoded::PresentInvalid { pfn } => {
            m.insert("pfn".into(), json_num(*pfn));
            m.insert("flags".into(), flag_names(entry, word).into());
        }
        Decoded::Swap(e) => {
            let swap = json!({
                "type": json_num(e.ty),
                "offset": json_num(e.offset),
                "exclusive": e.exclusive,
                "soft_dirty": e.soft_dirty,
                "uffd_wp": e.uffd_wp,
            });
            m.insert("swap".into(), swap);
        }
        Decoded::File { pgoff } => {
            m.insert("pgoff".into(), json_num(*pgoff));
        }
        Decoded::None | Decoded::LockedNone | Decoded::Invalid(_) => {}
    }
    m.insert("locked".into(), locked.into());
    if let Decoded::Invalid(why) = decoded {
        m.insert("reason".into(), why.to_string().into());
    }
    Value::Object(m)
}

/// Runs `pte decode`.
pub fn run(args: &Args, stdin: &mut dyn Read, out: &mut dyn Write) -> CliResult {
    let entry = find_entry(&args.name)?;
    // Parse everything first: bad input produces no partial output.
    let mut words = Vec::new();
    let mut read_stdin_once = false;
    for text in &args.words {
        if text == "-" {
            if !read_stdin_once {
                read_stdin(stdin, &mut words)?;
                read_stdin_once = true;
            }
        } else {
            words.push(parse_word(text)?);
        }
    }
    let lock = lock_of(entry);
    for word in words {
        let (decoded, locked) = classify_locked(entry.layout, &entry.limits, word, lock);
        if args.json {
            writeln!(out, "{}", word_json(entry, word, &decoded, locked))?;
        } else {
            let raw = hex_word(entry.layout.word_bits, word);
            let state = decoded.state().name();
            let mut what = describe(entry, word, &decoded);
            if locked && decoded != Decoded::LockedNone {
                what.push_str(", locked");
            }
            writeln!(out, "{raw}  {state}  {what}")?;
        }
    }
    Ok(())
}
