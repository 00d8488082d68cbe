//! `pte`: inspect, decode, encode and prove page-table entries of real Linux layouts.
//!
//! Exit status: 0 on success (a "rejected" verdict is a successful answer), 2 on bad input
//! (a one-line message on stderr naming the bad value, and with `--json` also
//! `{"error": "…"}` on stdout), 1 when reading stdin or writing stdout fails.

mod bench;
mod decode;
mod draw;
mod encode;
mod error;
mod input;
mod list;
mod output;
mod prove;

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::error::{CliError, CliResult};

/// Inspect, decode, encode and prove PTEs of real Linux layouts.
#[derive(Parser, Debug)]
#[command(name = "pte", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
enum Command {
    /// List every layout: word bits, states, lock bit, cmpxchg, default limits.
    Layouts(list::Args),
    /// Draw a layout's bit diagram, one line per state.
    Layout(draw::Args),
    /// Classify PTE words (or `-`: one word per line from stdin).
    Decode(decode::Args),
    /// Build a PTE word: swap, file, present or protnone.
    Encode(encode::Args),
    /// Prove (or reject) a lock bit under a discipline.
    Prove(prove::Args),
    /// Measure fault-path strategies against threads, beside the kernel and the floor.
    Bench(bench::Args),
}

impl Command {
    /// Whether the user asked for JSON output.
    fn json(&self) -> bool {
        match self {
            Command::Layouts(a) => a.json,
            Command::Layout(a) => a.json,
            Command::Decode(a) => a.json,
            Command::Encode(a) => a.json,
            Command::Prove(a) => a.json,
            // `--json FILE` writes a file; errors stay on stderr.
            Command::Bench(_) => false,
        }
    }

    /// Runs the subcommand, writing its output to `out`.
    fn run(self, out: &mut dyn Write) -> CliResult {
        match self {
            Command::Layouts(a) => list::run(&a, out),
            Command::Layout(a) => draw::run(&a, out),
            Command::Decode(a) => decode::run(&a, out),
            Command::Encode(a) => encode::run(&a, out),
            Command::Prove(a) => prove::run(&a, out),
            Command::Bench(a) => bench::run(&a, out),
        }
    }
}

/// Parses the command line, runs the subcommand and maps its outcome to the exit status.
fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            if e.use_stderr() && std::env::args_os().any(|a| a == "--json") {
                // The first paragraph of clap's message, on one line.
                let rendered = e.render().to_string();
                let para: Vec<&str> = rendered
                    .lines()
                    .map(str::trim)
                    .take_while(|l| !l.is_empty())
                    .collect();
                let joined = para.join(" ");
                let text = joined.strip_prefix("error: ").unwrap_or(&joined);
                let _ = writeln!(io::stdout(), "{}", serde_json::json!({ "error": text }));
            }
            e.exit();
        }
    };
    let json = cli.command.json();
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let result = cli.command.run(&mut out).and_then(|()| Ok(out.flush()?));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::BadInput(msg)) => {
            let _ = writeln!(io::stderr(), "error: {msg}");
            if json {
                let _ = writeln!(out, "{}", serde_json::json!({ "error": msg }));
                let _ = out.flush();
            }
            ExitCode::from(2)
        }
        Err(CliError::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(CliError::Io(e)) => {
            let _ = writeln!(io::stderr(), "error: {e}");
            ExitCode::from(1)
        }
    }
}
