//! `pte`: inspect, decode, encode and prove page-table entries of real Linux layouts.
//!
//! Exit status: 0 on success (a "rejected" verdict is a successful answer), 2 on bad input
//! (a one-line message on stderr naming the bad value, and with `--json` also
//! `{"error": "…"}` on stdout), 1 when reading stdin or writing stdout fails.
//!
//! The command lives in the `pte_cli` library (so that the fuzz targets can drive it
//! in-process); this is the thin wrapper over the process's arguments and standard streams.

use std::ffi::OsString;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

/// Parses the command line, runs the subcommand and maps its outcome to the exit status.
fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let cli = match pte_cli::parse(&args) {
        Ok(cli) => cli,
        Err(e) => {
            if let Some(line) = pte_cli::parse_error_json(&e, &args) {
                let _ = writeln!(io::stdout(), "{line}");
            }
            // clap prints the message (coloured on a terminal) and exits: 2, or 0 for
            // `--help` and `--version`.
            e.exit();
        }
    };
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    pte_cli::run(cli, &mut io::stdin(), &mut out, &mut io::stderr())
}
