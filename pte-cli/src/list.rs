//! `pte layouts`: every layout with its word size, states, lock bit, compare-and-swap
//! (`CompareExchange`, the `cmpxchg` column) and limits.

use std::io::Write;

use pte_core::LayoutEntry;
use pte_core::diagram::states;
use serde_json::{Value, json};

use crate::error::CliResult;
use crate::input::{entries, lock_of};
use crate::output::{limits_json, limits_short, write_table};

/// Options of `pte layouts`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print a JSON list instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// The state names of a layout, in classification order.
fn state_names(entry: &LayoutEntry) -> Vec<&'static str> {
    states(entry.layout).map(|s| s.name()).collect()
}

/// One layout as the JSON object of the list.
fn entry_json(entry: &LayoutEntry) -> Value {
    let lock = lock_of(entry).map(|(bit, d)| json!({ "bit": bit, "discipline": d.name() }));
    json!({
        "name": entry.layout.name,
        "word_bits": entry.layout.word_bits,
        "states": state_names(entry),
        "lock_bit": lock,
        "cmpxchg": entry.compare_exchange,
        "limits": limits_json(&entry.limits),
    })
}

/// Runs `pte layouts`.
pub fn run(args: &Args, out: &mut dyn Write) -> CliResult {
    if args.json {
        let list: Vec<Value> = entries().map(entry_json).collect();
        writeln!(out, "{}", Value::Array(list))?;
        return Ok(());
    }
    let header = ["LAYOUT", "BITS", "STATES", "LOCK BIT", "CMPXCHG", "LIMITS"].map(String::from);
    let mut rows = vec![header];
    for entry in entries() {
        let lock = match lock_of(entry) {
            Some((bit, d)) => format!("{bit} {}", d.name()),
            None => "none".to_owned(),
        };
        rows.push([
            entry.layout.name.to_owned(),
            entry.layout.word_bits.to_string(),
            state_names(entry).join(","),
            lock,
            if entry.compare_exchange { "yes" } else { "no" }.to_owned(),
            limits_short(&entry.limits),
        ]);
    }
    write_table(out, &rows)?;
    writeln!(
        out,
        "limits: T = swap type bits, N = swap offset bits, M = file pgoff bits"
    )?;
    Ok(())
}
