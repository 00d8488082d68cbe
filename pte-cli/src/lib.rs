//! The `pte` command as a library: argument parsing ([`parse`]) and the subcommands
//! ([`run`], [`Cli::execute`]) over any standard input and output, so that `src/main.rs` is a
//! thin wrapper and the fuzz targets (`fuzz/`) can drive every parser in-process.
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

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use crate::error::{CliError, CliResult};

/// Inspect, decode, encode and prove PTEs of real Linux layouts.
#[derive(Parser, Debug)]
#[command(name = "pte", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
enum Command {
    /// List every layout: kernel releases, word bits, states, lock bit, cmpxchg, default
    /// limits; or, with `--kernel ARCH VERSION`, name the layout for a kernel.
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

    /// Runs the subcommand, reading `stdin` (`decode -`) and writing its output to `out`.
    fn run(self, stdin: &mut dyn Read, out: &mut dyn Write) -> CliResult {
        match self {
            Command::Layouts(a) => list::run(&a, out),
            Command::Layout(a) => draw::run(&a, out),
            Command::Decode(a) => decode::run(&a, stdin, out),
            Command::Encode(a) => encode::run(&a, out),
            Command::Prove(a) => prove::run(&a, out),
            Command::Bench(a) => bench::run(&a, out),
        }
    }
}

/// Parses a command line (`args[0]` is the program name), as `pte` does.
pub fn parse<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    Cli::try_parse_from(args)
}

/// The line `pte` prints on stdout, besides clap's message on stderr, when it refuses the
/// command line `args` and `--json` is among them: `{"error": "…"}` with the first paragraph
/// of clap's message. `None` when there is no such line (no `--json`, or `--help`/`--version`).
pub fn parse_error_json(e: &clap::Error, args: &[OsString]) -> Option<String> {
    if !e.use_stderr() || !args.iter().any(|a| a == "--json") {
        return None;
    }
    // The first paragraph of clap's message, on one line.
    let rendered = e.render().to_string();
    let para: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .take_while(|l| !l.is_empty())
        .collect();
    let joined = para.join(" ");
    let text = joined.strip_prefix("error: ").unwrap_or(&joined);
    Some(serde_json::json!({ "error": text }).to_string())
}

impl Cli {
    /// Whether this is `pte bench` (which measures for minutes: the fuzz targets check its
    /// options with [`Cli::check_bench`] instead of running it).
    pub fn is_bench(&self) -> bool {
        matches!(self.command, Command::Bench(_))
    }

    /// For `pte bench`: validates every option as a run would (and refuses what a run would
    /// refuse) without creating files or measuring anything. `None` for other subcommands.
    pub fn check_bench(&self) -> Option<CliResult> {
        match &self.command {
            Command::Bench(a) => Some(bench::check(a)),
            _ => None,
        }
    }

    /// Runs the subcommand: `stdin` is what `decode -` reads, `out` gets the output.
    pub fn execute(self, stdin: &mut dyn Read, out: &mut dyn Write) -> CliResult {
        self.command.run(stdin, out)
    }
}

/// Runs a parsed command and maps its outcome to the exit status, writing the output to
/// `out` and the one-line error message to `err`.
pub fn run(cli: Cli, stdin: &mut dyn Read, out: &mut dyn Write, err: &mut dyn Write) -> ExitCode {
    let json = cli.command.json();
    let result = cli.execute(stdin, out).and_then(|()| Ok(out.flush()?));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::BadInput(msg)) => {
            let _ = writeln!(err, "error: {msg}");
            if json {
                let _ = writeln!(out, "{}", serde_json::json!({ "error": msg }));
                let _ = out.flush();
            }
            ExitCode::from(2)
        }
        Err(CliError::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(CliError::Io(e)) => {
            let _ = writeln!(err, "error: {e}");
            ExitCode::from(1)
        }
    }
}

/// The parsers of single values and option lists, for the fuzz targets.
pub mod parsers {
    pub use crate::bench::options::{
        MAX_MEMORY, MAX_REPETITIONS, MAX_THREADS, Workload, parse_layouts, parse_memory,
        parse_repetitions, parse_seed, parse_strategies, parse_threads, parse_workloads,
    };
    pub use crate::input::{find_entry, parse_number, parse_u64, parse_word};
    pub use crate::list::parse_kernel_version;
}
