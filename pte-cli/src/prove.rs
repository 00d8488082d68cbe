//! `pte prove NAME (--bit B | --all)`: the lock-bit proofs of docs/DESIGN.md#proofs, bit by bit.

use std::io::Write;

use pte_core::proof::explain;
use pte_core::{Discipline, LayoutEntry, Limits, Verdict, classify, prove};
use serde_json::{Value, json};

use crate::error::{CliError, CliResult};
use crate::input::{Narrowing, find_entry, narrow_limits, parse_number};
use crate::output::{describe, hex_word, limits_short, ranges, write_table};

/// The lock discipline, as named on the command line.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DisciplineArg {
    /// The lock is only ever set on an empty PTE.
    NoneOnly,
    /// A bit-spinlock that may be held across every state.
    AnyState,
}

impl From<DisciplineArg> for Discipline {
    fn from(d: DisciplineArg) -> Self {
        match d {
            DisciplineArg::NoneOnly => Discipline::NoneOnly,
            DisciplineArg::AnyState => Discipline::AnyState,
        }
    }
}

/// Options of `pte prove`.
#[derive(clap::Args, Debug)]
#[command(group = clap::ArgGroup::new("which").required(true).args(["bit", "all"]))]
pub struct Args {
    /// The layout, e.g. `i386/2.6.8` (see `pte layouts`).
    pub name: String,
    /// The candidate lock bit.
    #[arg(long, value_name = "B", allow_negative_numbers = true)]
    pub bit: Option<String>,
    /// Every bit of the word.
    #[arg(long)]
    pub all: bool,
    /// How the lock bit is used.
    #[arg(long, value_enum, default_value = "none-only")]
    pub discipline: DisciplineArg,
    /// Narrow the swap-type limit to N bits.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub swap_type_bits: Option<String>,
    /// Narrow the swap-offset limit to N bits.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub swap_offset_bits: Option<String>,
    /// Narrow the file-pgoff limit to N bits.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub file_pgoff_bits: Option<String>,
    /// Print one JSON object per bit (JSON Lines).
    #[arg(long)]
    pub json: bool,
}

/// One bit's proof.
struct Row {
    /// The bit.
    bit: u32,
    /// Its verdict under the limits and discipline in force.
    verdict: Verdict,
}

/// `state: field` of a rejected verdict.
fn collides_with(v: &Verdict) -> Option<String> {
    match v {
        Verdict::Proven => None,
        Verdict::Rejected(c) => Some(format!("{}: {}", c.state.name(), c.field)),
    }
}

/// The JSON object of one bit.
fn row_json(entry: &LayoutEntry, limits: &Limits, d: Discipline, row: &Row) -> Value {
    let layout = entry.layout;
    let witness = match row.verdict {
        Verdict::Proven => None,
        Verdict::Rejected(c) => Some(hex_word(layout.word_bits, c.witness)),
    };
    json!({
        "layout": layout.name,
        "bit": row.bit,
        "discipline": d.name(),
        "verdict": if row.verdict.is_proven() { "proven" } else { "rejected" },
        "collides_with": collides_with(&row.verdict),
        "witness": witness,
        "explanation": explain(layout, limits, row.bit, d, &row.verdict).as_str(),
    })
}

/// Runs `pte prove`.
pub fn run(args: &Args, out: &mut dyn Write) -> CliResult {
    let entry = find_entry(&args.name)?;
    let layout = entry.layout;
    let limits = narrow_limits(
        entry,
        &[
            Narrowing {
                option: "--swap-type-bits",
                text: args.swap_type_bits.as_deref(),
                apply: Limits::with_swap_type_bits,
            },
            Narrowing {
                option: "--swap-offset-bits",
                text: args.swap_offset_bits.as_deref(),
                apply: Limits::with_swap_offset_bits,
            },
            Narrowing {
                option: "--file-pgoff-bits",
                text: args.file_pgoff_bits.as_deref(),
                apply: Limits::with_file_pgoff_bits,
            },
        ],
    )?;
    let d = Discipline::from(args.discipline);
    let bits: Vec<u32> = match &args.bit {
        Some(text) => {
            let bit = parse_number("--bit", text)?;
            if bit >= u64::from(layout.word_bits) {
                return Err(CliError::bad(format_args!(
                    "bit {bit} is beyond the {}-bit word of {} (bits 0 to {})",
                    layout.word_bits,
                    layout.name,
                    layout.word_bits - 1
                )));
            }
            vec![bit as u32]
        }
        None => (0..layout.word_bits).collect(),
    };
    let rows: Vec<Row> = bits
        .into_iter()
        .map(|bit| Row {
            bit,
            verdict: prove(layout, &limits, bit, d),
        })
        .collect();
    if args.json {
        for row in &rows {
            writeln!(out, "{}", row_json(entry, &limits, d, row))?;
        }
    } else if !args.all {
        for row in &rows {
            writeln!(
                out,
                "{}",
                explain(layout, &limits, row.bit, d, &row.verdict)
            )?;
        }
    } else {
        write_all_table(out, entry, &limits, d, &rows)?;
    }
    Ok(())
}

/// The `--all` table: one row per bit, then the proven set.
fn write_all_table(
    out: &mut dyn Write,
    entry: &LayoutEntry,
    limits: &Limits,
    d: Discipline,
    rows: &[Row],
) -> std::io::Result<()> {
    let layout = entry.layout;
    writeln!(
        out,
        "{} {} ({})",
        layout.name,
        d.name(),
        limits_short(limits)
    )?;
    let mut table = vec![
        [
            "BIT",
            "VERDICT",
            "COLLIDES WITH",
            "WITNESS",
            "WITNESS DECODES AS",
        ]
        .map(String::from),
    ];
    for row in rows {
        let cells = match row.verdict {
            Verdict::Proven => [
                row.bit.to_string(),
                "proven".into(),
                String::new(),
                String::new(),
                String::new(),
            ],
            Verdict::Rejected(c) => {
                let decoded = classify(layout, limits, c.witness);
                let what = format!(
                    "{}: {}",
                    decoded.state().name(),
                    describe(entry, c.witness, &decoded)
                );
                [
                    row.bit.to_string(),
                    "rejected".into(),
                    collides_with(&row.verdict).unwrap_or_default(),
                    hex_word(layout.word_bits, c.witness),
                    what,
                ]
            }
        };
        table.push(cells);
    }
    write_table(out, &table)?;
    let proven: Vec<u32> = rows
        .iter()
        .filter(|r| r.verdict.is_proven())
        .map(|r| r.bit)
        .collect();
    writeln!(out, "proven: {}", ranges(&proven))?;
    if d == Discipline::NoneOnly {
        // The copy-on-write break marker is the highest none-only bit (docs/DESIGN.md#tlb).
        match pte_core::proof::marker_bit(layout, limits) {
            Some(bit) => writeln!(
                out,
                "break marker: bit {bit} ({})",
                hex_word(layout.word_bits, 1 << bit)
            ),
            None => writeln!(
                out,
                "break marker: none (no bit passes; cmpxchg refuses copy-on-write of a mapped page)"
            ),
        }
    } else {
        Ok(())
    }
}
