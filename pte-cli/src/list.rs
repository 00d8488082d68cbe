//! `pte layouts`: every layout with the kernel releases of its format, its word size, states,
//! lock bit, compare-and-swap (`CompareExchange`, the `cmpxchg` column) and limits; and
//! `pte layouts --kernel ARCH VERSION`, the layout to use for a kernel.

use std::io::Write;

use pte_core::diagram::states;
use pte_core::kernels::{CHECKED_THROUGH, KernelNote, KernelRange, Kernels};
use pte_core::{KernelVersion, LayoutEntry};
use serde_json::{Value, json};

use crate::error::{CliError, CliResult};
use crate::input::{entries, lock_of};
use crate::output::{limits_json, limits_short, write_table};

/// Options of `pte layouts`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print a JSON list instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Name the layout with the PTE format of a kernel instead of listing every layout: ARCH
    /// is the part of a layout name before `/` (x86_64, i386, i386-pae, ia64, aarch64,
    /// riscv64, loongarch64), VERSION a release or a stable update of it (6.12, 6.12.3;
    /// before 3.0 2.6.8, 2.6.8.1). Exit status 2 if no layout has that format.
    #[arg(long, num_args = 2, value_names = ["ARCH", "VERSION"])]
    pub kernel: Option<Vec<String>>,
}

/// The state names of a layout, in classification order.
fn state_names(entry: &LayoutEntry) -> Vec<&'static str> {
    states(entry.layout).map(|s| s.name()).collect()
}

/// A range as JSON: `{"first": "6.10", "last": null}` (`null`: still current).
fn range_json(range: &KernelRange) -> Value {
    json!({
        "first": range.first.to_string(),
        "last": range.last.map(|v| v.to_string()),
    })
}

/// A note as JSON: its range and text.
fn note_json(note: &KernelNote) -> Value {
    json!({
        "kernels": range_json(&note.kernels),
        "text": note.text,
    })
}

/// A layout's releases and notes as JSON.
fn kernels_json(kernels: &Kernels) -> Value {
    let mut range = range_json(&kernels.range);
    range["notes"] = kernels.notes.iter().map(note_json).collect();
    range
}

/// One layout as the JSON object of the list.
fn entry_json(entry: &LayoutEntry) -> Value {
    let lock = lock_of(entry).map(|(bit, d)| json!({ "bit": bit, "discipline": d.name() }));
    json!({
        "name": entry.layout.name,
        "kernels": kernels_json(&entry.layout.kernels),
        "word_bits": entry.layout.word_bits,
        "states": state_names(entry),
        "lock_bit": lock,
        "cmpxchg": entry.compare_exchange,
        "limits": limits_json(&entry.limits),
    })
}

/// Runs `pte layouts`.
pub fn run(args: &Args, out: &mut dyn Write) -> CliResult {
    if let Some(kernel) = &args.kernel {
        // clap takes two values per `--kernel`, but the option may be repeated.
        let [arch, version] = kernel.as_slice() else {
            return Err(CliError::bad(format_args!(
                "--kernel takes one ARCH VERSION pair, not {} values ('{}')",
                kernel.len(),
                kernel.join(" ").escape_debug()
            )));
        };
        return run_kernel(arch, version, args.json, out);
    }
    if args.json {
        let list: Vec<Value> = entries().map(entry_json).collect();
        writeln!(out, "{}", Value::Array(list))?;
        return Ok(());
    }
    let header = [
        "LAYOUT", "KERNELS", "BITS", "STATES", "LOCK BIT", "CMPXCHG", "LIMITS",
    ]
    .map(String::from);
    let mut rows = vec![header];
    for entry in entries() {
        let lock = match lock_of(entry) {
            Some((bit, d)) => format!("{bit} {}", d.name()),
            None => "none".to_owned(),
        };
        rows.push([
            entry.layout.name.to_owned(),
            entry.layout.kernels.range.to_string(),
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
        "kernels: the mainline releases with the layout's PTE format (+: through {CHECKED_THROUGH}, the newest checked); `pte layouts --kernel ARCH VERSION` names the layout for one"
    )?;
    writeln!(
        out,
        "limits: T = swap type bits, N = swap offset bits, M = file pgoff bits"
    )?;
    Ok(())
}

/// The architecture `text` names (exact, then ASCII case-insensitive).
fn arch_named(text: &str) -> Result<&'static str, CliError> {
    let known = || pte_layouts::arch_names();
    known()
        .find(|&a| a == text)
        .or_else(|| known().find(|a| a.eq_ignore_ascii_case(text)))
        .ok_or_else(|| {
            CliError::bad(format_args!(
                "unknown architecture '{}' for --kernel (known: {})",
                text.escape_debug(),
                known().collect::<Vec<_>>().join(", ")
            ))
        })
}

/// Parses `--kernel`'s VERSION into the release it belongs to.
pub fn parse_kernel_version(text: &str) -> Result<KernelVersion, CliError> {
    KernelVersion::parse(text).map_err(|e| {
        CliError::bad(format_args!(
            "malformed kernel version '{}' ({e})",
            text.escape_debug()
        ))
    })
}

/// `pte layouts --kernel ARCH VERSION`: the layouts with that release's format, one line
/// each, the closest first (fewest notes for that release, then registry order), each
/// followed by its notes for that release, indented.
fn run_kernel(arch: &str, version: &str, json: bool, out: &mut dyn Write) -> CliResult {
    let arch = arch_named(arch)?;
    let release = parse_kernel_version(version)?;
    let mut found: Vec<(&LayoutEntry, Vec<&KernelNote>)> = pte_layouts::for_kernel(arch, release)
        .map(|e| (e, e.layout.kernels.notes_for(release).collect()))
        .collect();
    found.sort_by_key(|(_, notes)| notes.len());
    if found.is_empty() {
        let ranges: Vec<String> = entries()
            .filter(|e| e.layout.family.name() == arch)
            .map(|e| format!("{}: {}", e.layout.name, e.layout.kernels.range))
            .collect();
        let why = if release > CHECKED_THROUGH {
            format!(
                "no layout is known to have the PTE format of {arch} {release}: releases after {CHECKED_THROUGH} were not checked"
            )
        } else {
            format!("no layout has the PTE format of {arch} {release}")
        };
        return Err(CliError::bad(format_args!("{why} ({})", ranges.join("; "))));
    }
    if json {
        let layouts: Vec<Value> = found
            .iter()
            .map(|(e, notes)| {
                json!({
                    "name": e.layout.name,
                    "kernels": range_json(&e.layout.kernels.range),
                    "notes": notes.iter().map(|n| note_json(n)).collect::<Vec<_>>(),
                })
            })
            .collect();
        let doc = json!({
            "arch": arch,
            "version": version,
            "release": release.to_string(),
            "layouts": layouts,
        });
        writeln!(out, "{doc}")?;
        return Ok(());
    }
    for (entry, notes) in &found {
        writeln!(out, "{}", entry.layout.name)?;
        for note in notes {
            writeln!(out, "  note ({}): {}", note.kernels, note.text)?;
        }
    }
    Ok(())
}
