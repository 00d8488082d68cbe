//! `pte encode NAME (swap|file|present|protnone) …`: build a word with the layout's encoders.

use std::io::Write;

use pte_core::encode::{encode_file, encode_present, encode_protnone, encode_swap};
use pte_core::{LayoutEntry, SwapEntry};
use serde_json::json;

use crate::error::{CliError, CliResult};
use crate::input::{find_entry, parse_number};
use crate::output::hex_word;

/// Options of `pte encode`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The layout, e.g. `i386/2.6.8` (see `pte layouts`).
    pub name: String,
    /// What to encode.
    #[command(subcommand)]
    pub what: What,
    /// Print `{"layout", "raw"}` instead of the bare word.
    #[arg(long, global = true)]
    pub json: bool,
}

/// The kinds of entry `pte encode` builds.
#[derive(clap::Subcommand, Debug)]
pub enum What {
    /// A swap entry (`swp_entry_to_pte()` plus the swap-PTE flags).
    Swap {
        /// Swap type.
        #[arg(long = "type", value_name = "T", allow_negative_numbers = true)]
        ty: String,
        /// Swap offset.
        #[arg(long, value_name = "O", allow_negative_numbers = true)]
        offset: String,
        /// Set the exclusive bit.
        #[arg(long)]
        exclusive: bool,
        /// Set the swap soft-dirty bit.
        #[arg(long)]
        soft_dirty: bool,
        /// Set the swap uffd-wp bit.
        #[arg(long)]
        uffd_wp: bool,
    },
    /// A nonlinear file entry (`pgoff_to_pte()`, old eras only).
    File {
        /// Page offset in the file.
        #[arg(long, value_name = "P", allow_negative_numbers = true)]
        pgoff: String,
    },
    /// A present entry (`pfn_pte()`): the layout's page bits, the PFN and named flags.
    Present {
        /// Page frame number.
        #[arg(long, value_name = "N", allow_negative_numbers = true)]
        pfn: String,
        /// Named flags, comma-separated, case-insensitive (e.g. `rw,user`).
        #[arg(long, value_delimiter = ',', value_name = "FLAGS")]
        flags: Vec<String>,
    },
    /// A protnone entry (`pfn_pte(pfn, PAGE_NONE)`).
    Protnone {
        /// Page frame number.
        #[arg(long, value_name = "N", allow_negative_numbers = true)]
        pfn: String,
    },
}

/// The mask of the named flags; an unknown name is bad input listing the valid ones.
fn flags_mask(entry: &LayoutEntry, names: &[String]) -> Result<u64, CliError> {
    let layout = entry.layout;
    let mut mask = 0;
    for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        let flag = layout.flag_named(name).ok_or_else(|| {
            let valid: Vec<&str> = layout.flags.iter().map(|f| f.name).collect();
            CliError::bad(format_args!(
                "unknown flag '{}' for {} (valid: {})",
                name.escape_debug(),
                layout.name,
                valid.join(", ")
            ))
        })?;
        mask |= flag.mask;
    }
    Ok(mask)
}

/// Encodes the requested entry.
fn encode(entry: &LayoutEntry, what: &What) -> Result<u64, CliError> {
    let (layout, limits) = (entry.layout, &entry.limits);
    let result = match what {
        What::Swap {
            ty,
            offset,
            exclusive,
            soft_dirty,
            uffd_wp,
        } => {
            let e = SwapEntry {
                ty: parse_number("--type", ty)?,
                offset: parse_number("--offset", offset)?,
                exclusive: *exclusive,
                soft_dirty: *soft_dirty,
                uffd_wp: *uffd_wp,
            };
            encode_swap(layout, limits, e)
        }
        What::File { pgoff } => encode_file(layout, limits, parse_number("--pgoff", pgoff)?),
        What::Present { pfn, flags } => {
            let pfn = parse_number("--pfn", pfn)?;
            encode_present(layout, pfn, flags_mask(entry, flags)?)
        }
        What::Protnone { pfn } => encode_protnone(layout, parse_number("--pfn", pfn)?),
    };
    result.map_err(|e| match e {
        pte_core::EncodeError::TooLarge { .. } => CliError::bad(e),
        other => CliError::bad(format_args!("{}: {other}", layout.name)),
    })
}

/// Runs `pte encode`.
pub fn run(args: &Args, out: &mut dyn Write) -> CliResult {
    let entry = find_entry(&args.name)?;
    let word = encode(entry, &args.what)?;
    let raw = hex_word(entry.layout.word_bits, word);
    if args.json {
        writeln!(
            out,
            "{}",
            json!({ "layout": entry.layout.name, "raw": raw })
        )?;
    } else {
        writeln!(out, "{raw}")?;
    }
    Ok(())
}
