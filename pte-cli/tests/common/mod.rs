//! Shared by the end-to-end tests: reading a run of `pte` and the assertions every test makes
//! on a success or a refusal.

use std::collections::BTreeSet;
use std::process::Output;

use serde_json::Value;

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

/// `out`, the run of `pte args`: asserts exit status `code`; returns stdout and stderr.
fn exited(args: &[&str], out: &Output, code: i32) -> (String, String) {
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(
        out.status.code(),
        Some(code),
        "pte {args:?}\nstdout: {stdout}\nstderr: {stderr}"
    );
    (stdout, stderr)
}

/// `out`, the run of `pte args`: asserts success and a silent stderr (not a terminal: no
/// progress bar); returns stdout.
pub fn succeeded(args: &[&str], out: &Output) -> String {
    let (stdout, stderr) = exited(args, out, 0);
    assert!(
        stderr.is_empty(),
        "pte {args:?}: unexpected stderr {stderr:?}"
    );
    stdout
}

/// `out`, the run of `pte args`: asserts exit status 2 and one `error: …` line on stderr
/// naming every `needle`. Returns the message (without `error: `), stdout and stderr.
pub fn refused(args: &[&str], out: &Output, needles: &[&str]) -> (String, String, String) {
    let (stdout, stderr) = exited(args, out, 2);
    assert_eq!(
        stderr.lines().count(),
        1,
        "pte {args:?}: stderr is not one line: {stderr:?}"
    );
    let msg = stderr
        .trim_end()
        .strip_prefix("error: ")
        .unwrap_or_else(|| panic!("pte {args:?}: {stderr:?} does not start with 'error: '"))
        .to_owned();
    for needle in needles {
        assert!(
            msg.contains(needle),
            "pte {args:?}: {msg:?} does not name {needle:?}"
        );
    }
    (msg, stdout, stderr)
}

/// The keys of a JSON object.
pub fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .expect("a JSON object")
        .keys()
        .cloned()
        .collect()
}

pub fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}
