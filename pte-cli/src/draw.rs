//! `pte layout NAME`: the bit diagram of every state, coloured by role on a terminal.

use std::io::{IsTerminal, Write};

use pte_core::LayoutEntry;
use pte_core::diagram::{Role, Segment, segments, states};
use serde_json::{Value, json};

use crate::error::CliResult;
use crate::input::{find_entry, lock_of};
use crate::output::limits_json;

/// When to colour the diagram.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and `NO_COLOR` is not set.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Options of `pte layout`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The layout, e.g. `i386/2.6.8` (see `pte layouts`).
    pub name: String,
    /// Colour the diagram by bit role.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print the segments of every state as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Whether to colour: `auto` means stdout is a terminal and `NO_COLOR` is unset or empty.
fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// The ANSI SGR parameters for a role.
fn sgr(role: Role) -> &'static str {
    match role {
        Role::Field => "36",     // cyan
        Role::Inverted => "35",  // magenta
        Role::Flag => "32",      // green
        Role::One => "1;33",     // bold yellow
        Role::Zero => "2",       // dim
        Role::Ignored => "2;37", // dim grey
        Role::Reserved => "31",  // red
    }
}

/// The role's name in JSON.
fn role_name(role: Role) -> &'static str {
    match role {
        Role::Field => "field",
        Role::Inverted => "inverted",
        Role::Flag => "flag",
        Role::One => "one",
        Role::Zero => "zero",
        Role::Ignored => "ignored",
        Role::Reserved => "reserved",
    }
}

/// The segments of one state, top bit first.
fn state_segments(entry: &LayoutEntry, state: pte_core::State) -> Vec<Segment> {
    let mut segs = Vec::new();
    segments(entry.layout, state, |s| segs.push(s));
    segs
}

/// The header lines: word size, lock bit, cmpxchg, limits, sources.
fn header(entry: &LayoutEntry) -> Vec<String> {
    let layout = entry.layout;
    let lock = match lock_of(entry) {
        Some((bit, d)) => format!("lock bit {bit} ({})", d.name()),
        None => "no lock bit".to_owned(),
    };
    let cmpxchg = if entry.compare_exchange {
        "cmpxchg"
    } else {
        "no cmpxchg"
    };
    let l = &entry.limits;
    let file = match l.file_pgoff_bits {
        Some(m) => format!("file pgoff < 2^{m}"),
        None => "no file PTEs".to_owned(),
    };
    vec![
        format!(
            "{}: {}-bit PTE, {lock}, {cmpxchg} on this target",
            layout.name, layout.word_bits
        ),
        format!(
            "limits: swap type < 2^{}, swap offset < 2^{}, {file}",
            l.swap_type_bits, l.swap_offset_bits
        ),
        format!("source: {}", layout.source),
    ]
}

/// Runs `pte layout`.
pub fn run(args: &Args, out: &mut dyn Write) -> CliResult {
    let entry = find_entry(&args.name)?;
    let layout = entry.layout;
    if args.json {
        let states: Vec<Value> = states(layout)
            .map(|state| {
                let segs: Vec<Value> = state_segments(entry, state)
                    .iter()
                    .map(|s| json!({ "hi": s.hi, "lo": s.lo, "label": s.label, "role": role_name(s.role) }))
                    .collect();
                json!({ "state": state.name(), "segments": segs })
            })
            .collect();
        let lock = lock_of(entry).map(|(bit, d)| json!({ "bit": bit, "discipline": d.name() }));
        let doc = json!({
            "name": layout.name,
            "word_bits": layout.word_bits,
            "lock_bit": lock,
            "cmpxchg": entry.compare_exchange,
            "limits": limits_json(&entry.limits),
            "states": states,
        });
        writeln!(out, "{doc}")?;
        return Ok(());
    }
    let color = use_color(args.color);
    for line in header(entry) {
        writeln!(out, "{line}")?;
    }
    writeln!(out)?;
    writeln!(out, "{:<16}bits {} down to 0", "", layout.word_bits - 1)?;
    for state in states(layout) {
        let mut line = format!("{:<16}", state.name());
        for seg in state_segments(entry, state) {
            if color {
                line.push_str(&format!("\x1b[{}m{seg}\x1b[0m", sgr(seg.role)));
            } else {
                line.push_str(&seg.to_string());
            }
        }
        writeln!(out, "{line}")?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "legend: NAME field or flag, ~NAME stored inverted, NAME=1 must be 1, 0 must be 0, x ignored, rsv reserved"
    )?;
    Ok(())
}
