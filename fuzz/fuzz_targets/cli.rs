//! The `pte` command in-process: argument parsing (clap and the subcommands' own parsers),
//! `decode -` on stdin, `encode`'s numbers and flags, `prove`'s bits and limits, and `bench`'s
//! options (validated, never run). Nothing panics; every refusal is clap's usage error (exit
//! status 2) or `CliError::BadInput` (exit status 2), never an I/O error; and `decode`, given
//! only well-formed words of a known layout, succeeds with one line per word.
//!
//! Input: NUL-separated pieces: the first is stdin, the rest are the arguments after `pte`
//! (bytes, not necessarily UTF-8). A second, direct pass hands the same pieces to each of the
//! single-value parsers (`--memory`, `--threads`, `--layouts`, `--strategies`, `--workloads`,
//! `--repetitions`, `--seed`, `--kernel`'s version, words and numbers).
#![no_main]

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use libfuzzer_sys::fuzz_target;
use pte_cli::parsers;
use pte_cli::{CliError, CliResult};

fuzz_target!(|data: &[u8]| {
    let mut pieces = data.split(|&b| b == 0);
    let stdin = pieces.next().unwrap_or_default();
    let args: Vec<&[u8]> = pieces.collect();
    command(stdin, &args);
    for a in &args {
        parsers_alone(&String::from_utf8_lossy(a));
    }
    parsers_alone(&String::from_utf8_lossy(stdin));
});

/// A refusal must be bad input, never an I/O error (stdin and stdout are in memory here).
fn refused_well(what: &str, r: &CliResult) {
    if let Err(CliError::Io(e)) = r {
        panic!("{what}: I/O error {e:?} instead of a bad-input refusal");
    }
}

fn command(stdin: &[u8], args: &[&[u8]]) {
    let argv: Vec<OsString> = std::iter::once(OsString::from("pte"))
        .chain(args.iter().map(|a| OsString::from_vec(a.to_vec())))
        .collect();
    let cli = match pte_cli::parse(&argv) {
        Ok(cli) => cli,
        Err(e) => {
            // What `pte` prints: clap's message (and the JSON line under `--json`).
            let _ = e.render().to_string();
            let _ = pte_cli::parse_error_json(&e, &argv);
            let code = e.exit_code();
            assert!(code == 2 || (code == 0 && !e.use_stderr()), "clap exit code {code}: {e}");
            return;
        }
    };
    if let Some(r) = cli.check_bench() {
        refused_well("bench options", &r);
        return;
    }
    let decode = decode_oracle(stdin, args);
    let mut out = Vec::new();
    let r = cli.execute(&mut &stdin[..], &mut out);
    refused_well("command", &r);
    if let Some(lines) = decode {
        assert!(r.is_ok(), "decode of well-formed words refused: {r:?}");
        let printed = out.iter().filter(|&&b| b == b'\n').count();
        assert_eq!(printed, lines, "decode printed {printed} lines for {lines} words");
    }
    if r.is_err() {
        assert!(out.is_empty(), "output before a refusal: {:?}", String::from_utf8_lossy(&out));
    }
}

/// For `decode NAME WORD… [--json]` whose layout is known and whose words (and stdin lines, for
/// `-`) are all well-formed by [`word`]: the number of words. `None` for anything else.
fn decode_oracle(stdin: &[u8], args: &[&[u8]]) -> Option<usize> {
    let args: Vec<&str> = args.iter().map(|a| std::str::from_utf8(a).ok()).collect::<Option<_>>()?;
    let (&"decode", rest) = args.split_first()? else {
        return None;
    };
    let rest: Vec<&str> = rest.iter().copied().filter(|&a| a != "--json").collect();
    let (name, words) = rest.split_first()?;
    if words.is_empty() || name.starts_with('-') || parsers::find_entry(name).is_err() {
        return None;
    }
    let mut n = 0;
    let mut stdin_read = false;
    for w in words {
        if *w == "-" {
            if !stdin_read {
                stdin_read = true;
                for line in String::from_utf8_lossy(stdin).split('\n') {
                    let line = line.trim();
                    if !line.is_empty() {
                        word(line)?;
                        n += 1;
                    }
                }
            }
        } else {
            word(w)?;
            n += 1;
        }
    }
    Some(n)
}

/// An independent reading of a word: `0x`/`0X` hex or decimal digits with `_` separators, at
/// least one digit, at most 64 bits (through u128 arithmetic, not `from_str_radix`).
fn word(text: &str) -> Option<u64> {
    let (digits, radix) = match text.get(..2) {
        Some("0x" | "0X") => (&text[2..], 16u32),
        _ => (text, 10),
    };
    let mut v: u128 = 0;
    let mut any = false;
    for c in digits.chars() {
        if c == '_' {
            continue;
        }
        let d = c.to_digit(radix)?;
        v = v * u128::from(radix) + u128::from(d);
        if v > u128::from(u64::MAX) {
            return None;
        }
        any = true;
    }
    any.then_some(v as u64)
}

/// Each single-value parser on `text`: no panic; refusals are bad input; the word parser agrees
/// with [`word`].
fn parsers_alone(text: &str) {
    let bad = |what: &str, r: Result<(), CliError>| refused_well(what, &r);
    assert_eq!(parsers::parse_u64(text), word(text), "parse_u64 of {text:?}");
    bad("word", parsers::parse_word(text).map(drop));
    bad("number", parsers::parse_number("--offset", text).map(drop));
    bad("--layouts", parsers::parse_layouts(text).map(drop));
    bad("--strategies", parsers::parse_strategies(text).map(drop));
    bad("--workloads", parsers::parse_workloads(text).map(drop));
    bad("--threads", parsers::parse_threads(text).map(drop));
    bad("--repetitions", parsers::parse_repetitions(text).map(drop));
    bad("--seed", parsers::parse_seed(text).map(drop));
    match parsers::parse_kernel_version(text) {
        // The release a version belongs to is the version without its stable number.
        Ok(release) => assert!(text.starts_with(&release.to_string()), "--kernel {text:?} = {release}"),
        Err(e) => refused_well("--kernel", &Err(e)),
    }
    match parsers::parse_memory(text) {
        Ok(bytes) => assert!(bytes > 0 && bytes <= parsers::MAX_MEMORY, "--memory {text:?} = {bytes}"),
        Err(e) => refused_well("--memory", &Err(e)),
    }
}
