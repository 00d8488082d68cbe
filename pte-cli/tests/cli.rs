//! End-to-end tests of the `pte` binary: every subcommand, human and `--json`, and every class
//! of bad input. The expectations are properties of the layouts (docs/DESIGN.md#proofs,
//! docs/DESIGN.md#limits and worked examples from the kernel macros), not outputs copied from the tool.

use std::collections::BTreeSet;
use std::process::Output;

use assert_cmd::Command;
use common::{keys, refused, set, succeeded, text};
use serde_json::Value;

mod common;

/// The layouts' names, in registry order (`pte_layouts::LAYOUTS`, which the CLI lists).
fn names() -> Vec<&'static str> {
    pte_layouts::LAYOUTS.iter().map(|e| e.layout.name).collect()
}

const STATES: [&str; 8] = [
    "none",
    "present",
    "protnone",
    "present-invalid",
    "swap",
    "file",
    "locked-none",
    "invalid",
];

fn pte() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pte"));
    cmd.env_remove("NO_COLOR");
    cmd
}

fn run(args: &[&str]) -> Output {
    pte().args(args).output().expect("run pte")
}

/// Runs `pte args`, asserting success and a silent stderr; returns stdout.
fn ok(args: &[&str]) -> String {
    succeeded(args, &run(args))
}

/// Runs `pte args`, asserting exit status 2 and a one-line `error: …` on stderr naming
/// every `needle`; returns the message (without `error: `).
fn bad(args: &[&str], needles: &[&str]) -> String {
    let (msg, stdout, stderr) = refused(args, &run(args), needles);
    assert!(stderr.ends_with('\n'));
    assert!(!stderr.contains("panicked"));
    if args.contains(&"--json") {
        let lines = json_lines(&stdout);
        assert_eq!(lines.len(), 1, "pte {args:?}: {stdout}");
        assert_eq!(keys(&lines[0]), set(&["error"]));
        assert_eq!(lines[0]["error"], Value::from(msg.clone()));
    } else {
        assert!(stdout.is_empty(), "pte {args:?}: partial output {stdout:?}");
    }
    msg
}

/// Parses JSON Lines.
fn json_lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l:?}: {e}")))
        .collect()
}

fn json_one(args: &[&str]) -> Value {
    let lines = json_lines(&ok(args));
    assert_eq!(lines.len(), 1, "pte {args:?}");
    lines.into_iter().next().unwrap()
}

/// The flag names of a decoded present entry.
fn flags(v: &Value) -> BTreeSet<String> {
    v["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_owned())
        .collect()
}

fn hex(v: &Value) -> u64 {
    let s = v.as_str().unwrap_or_else(|| panic!("not a string: {v}"));
    u64::from_str_radix(s.strip_prefix("0x").expect("0x prefix"), 16).expect("hex")
}

/// A JSON number, or a `0x` string for values ≥ 2^53.
fn num(v: &Value) -> u64 {
    match v {
        Value::Number(n) => n.as_u64().expect("unsigned"),
        Value::String(_) => {
            let n = hex(v);
            assert!(n >= 1 << 53, "{v} should be a JSON number");
            n
        }
        other => panic!("not a number: {other}"),
    }
}

fn layouts_json() -> Vec<Value> {
    let v: Value = serde_json::from_str(&ok(&["layouts", "--json"])).expect("JSON");
    v.as_array().expect("a list").clone()
}

fn layout_json(name: &str) -> Value {
    layouts_json()
        .into_iter()
        .find(|l| l["name"] == name)
        .expect("layout listed")
}

fn decode(name: &str, word: u64) -> Value {
    json_one(&["decode", name, &format!("{word:#x}"), "--json"])
}

/// Inclusive bit ranges `[(lo, hi), …]`.
type Ranges = &'static [(u32, u32)];

fn expand(r: &[(u32, u32)]) -> BTreeSet<u32> {
    r.iter().flat_map(|&(lo, hi)| lo..=hi).collect()
}

/// The bits `prove --all` reports as proven.
fn proven(name: &str, discipline: &str, extra: &[&str]) -> BTreeSet<u32> {
    let mut args = vec!["prove", name, "--all", "--discipline", discipline, "--json"];
    args.extend_from_slice(extra);
    let lines = json_lines(&ok(&args));
    let word_bits = layout_json(name)["word_bits"].as_u64().unwrap();
    assert_eq!(lines.len() as u64, word_bits, "one line per bit");
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(l["bit"], Value::from(i), "bits in order");
        assert_eq!(l["layout"], name);
        assert_eq!(l["discipline"], discipline);
    }
    lines
        .iter()
        .filter(|l| l["verdict"] == "proven")
        .map(|l| l["bit"].as_u64().unwrap() as u32)
        .collect()
}

// ---- layouts ------------------------------------------------------------------------------

#[test]
fn layouts_json_lists_every_layout_with_the_documented_keys() {
    let list = layouts_json();
    let names: Vec<&str> = list.iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert_eq!(names, self::names());
    for l in &list {
        let name = l["name"].as_str().unwrap();
        assert_eq!(
            keys(l),
            set(&[
                "name",
                "kernels",
                "word_bits",
                "states",
                "lock_bit",
                "cmpxchg",
                "limits"
            ]),
            "{name}"
        );
        let word_bits = l["word_bits"].as_u64().unwrap();
        assert_eq!(
            word_bits,
            if name == "i386/2.6.8" || name == "i386/6.6" {
                32
            } else {
                64
            }
        );
        let states: Vec<&str> = l["states"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert_eq!(&states[..2], ["none", "present"], "{name}");
        assert!(
            states.contains(&"protnone") && states.contains(&"swap"),
            "{name}"
        );
        assert!(states.iter().all(|s| STATES.contains(s)), "{name}");
        // File PTEs exist exactly in the old eras, present-invalid only on aarch64/6.18 (with
        // or without LPA2).
        let old = name.ends_with("2.6.8") || name.ends_with("3.18");
        assert_eq!(states.contains(&"file"), old, "{name}");
        assert_eq!(
            states.contains(&"present-invalid"),
            name == "aarch64/6.18" || name == "aarch64-lpa2/6.18",
            "{name}"
        );
        assert!(l["cmpxchg"].is_boolean());
        let kernels = &l["kernels"];
        assert_eq!(keys(kernels), set(&["first", "last", "notes"]), "{name}");
        assert!(kernels["first"].is_string(), "{name}");
        assert!(
            kernels["last"].is_string() || kernels["last"].is_null(),
            "{name}"
        );
        for note in kernels["notes"].as_array().unwrap() {
            assert_eq!(keys(note), set(&["kernels", "text"]), "{name}");
            assert_eq!(keys(&note["kernels"]), set(&["first", "last"]), "{name}");
        }
        let limits = &l["limits"];
        assert_eq!(
            keys(limits),
            set(&["swap_type_bits", "swap_offset_bits", "file_pgoff_bits"])
        );
        assert_eq!(
            limits["swap_type_bits"], 5,
            "{name}: T = MAX_SWAPFILES_SHIFT"
        );
        assert_eq!(limits["file_pgoff_bits"].is_null(), !old, "{name}");
        match &l["lock_bit"] {
            Value::Null => {}
            lock => {
                assert_eq!(keys(lock), set(&["bit", "discipline"]));
                assert!(lock["bit"].as_u64().unwrap() < word_bits);
                assert!(["none-only", "any-state"].contains(&lock["discipline"].as_str().unwrap()));
            }
        }
    }
}

#[test]
fn layouts_json_limits_are_design_defaults() {
    // docs/DESIGN.md#limits: (N, M) per layout.
    let expected: [(&str, u64, Option<u64>); 12] = [
        ("x86_64/2.6.8", 32, Some(40)),
        ("x86_64/6.6", 42, None),
        ("i386/2.6.8", 24, Some(29)),
        ("i386-pae/2.6.8", 24, Some(32)),
        ("i386/6.6", 23, None),
        ("i386-pae/6.6", 26, None),
        ("ia64/2.6.8", 32, Some(61)),
        ("ia64/6.6", 38, None),
        ("aarch64/3.18", 32, Some(55)),
        ("aarch64/6.6", 38, None),
        ("aarch64/6.18", 38, None),
        ("aarch64-lpa2/6.18", 42, None),
    ];
    let list = layouts_json();
    for (name, n, m) in expected {
        let l = list.iter().find(|l| l["name"] == name).unwrap();
        assert_eq!(l["limits"]["swap_offset_bits"], n, "{name}");
        assert_eq!(l["limits"]["file_pgoff_bits"].as_u64(), m, "{name}");
    }
}

#[test]
fn i386_2_6_8_has_no_lock_bit_and_every_declared_lock_bit_proves() {
    assert!(
        layout_json("i386/2.6.8")["lock_bit"].is_null(),
        "the 2004 finding"
    );
    for l in layouts_json() {
        let Value::Object(lock) = &l["lock_bit"] else {
            continue;
        };
        let name = l["name"].as_str().unwrap();
        let bit = lock["bit"].to_string();
        let d = lock["discipline"].as_str().unwrap();
        let v = json_one(&["prove", name, "--bit", &bit, "--discipline", d, "--json"]);
        assert_eq!(v["verdict"], "proven", "{name} bit {bit} {d}");
    }
}

#[test]
fn layouts_table_has_a_row_per_layout_in_aligned_columns() {
    let out = ok(&["layouts"]);
    let lines: Vec<&str> = out.lines().collect();
    let header = lines[0];
    assert!(header.starts_with("LAYOUT"));
    let col = |h: &str| header.find(h).unwrap();
    let names = names();
    for (line, name) in lines[1..=names.len()].iter().zip(names) {
        assert!(line.starts_with(&format!("{name} ")), "{line}");
        let l = layout_json(name);
        assert_eq!(
            line[col("BITS")..].split_whitespace().next(),
            Some(&*l["word_bits"].to_string())
        );
        let states = line[col("STATES")..].split_whitespace().next().unwrap();
        let want: Vec<&str> = l["states"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert_eq!(states, want.join(","));
        let kernels = line[col("KERNELS")..].split_whitespace().next().unwrap();
        let k = &l["kernels"];
        let want = match (k["first"].as_str().unwrap(), k["last"].as_str()) {
            (first, None) => format!("{first}+"),
            (first, Some(last)) if last == first => first.to_owned(),
            (first, Some(last)) => format!("{first}-{last}"),
        };
        assert_eq!(kernels, want, "{name}");
        let lock = &line[col("LOCK BIT")..col("CMPXCHG")];
        match &l["lock_bit"] {
            Value::Null => assert_eq!(lock.trim(), "none"),
            v => assert_eq!(
                lock.trim(),
                format!("{} {}", v["bit"], v["discipline"].as_str().unwrap())
            ),
        }
    }
    assert!(!out.contains('\x1b'));
}

/// `pte layouts --kernel ARCH VERSION`: the layouts with that release's PTE format, the
/// closest first, as found in the kernel sources (the `KERNELS_*` consts of the arch crates).
#[test]
fn layouts_kernel_names_the_layout_of_a_release() {
    let cases: &[(&str, &str, &[&str])] = &[
        // arm64 moved its swap entry and made protnone present-invalid in 6.10.
        ("aarch64", "6.12", &["aarch64/6.18"]),
        ("aarch64", "6.12.3", &["aarch64/6.18"]),
        ("aarch64", "6.10", &["aarch64/6.18"]),
        ("aarch64", "7.0", &["aarch64/6.18"]),
        ("aarch64", "6.9", &["aarch64/6.6"]),
        ("aarch64", "5.19", &["aarch64/6.6"]),
        ("aarch64", "3.13", &["aarch64/3.18"]),
        ("aarch64", "3.19.8", &["aarch64/3.18"]),
        ("AArch64", "6.6", &["aarch64/6.6"]),
        ("x86_64", "2.6.0", &["x86_64/2.6.8"]),
        ("x86_64", "2.6.8.1", &["x86_64/2.6.8"]),
        ("x86_64", "6.6.87", &["x86_64/6.6"]),
        ("x86_64", "4.19", &[]),
        ("i386", "2.6.28", &["i386/2.6.8"]),
        ("i386", "6.6", &["i386/6.6"]),
        ("i386-pae", "6.12", &["i386-pae/6.6"]),
        ("i386-pae", "2.6.8", &["i386-pae/2.6.8"]),
        ("ia64", "3.19", &["ia64/2.6.8"]),
        ("ia64", "6.4", &["ia64/6.6"]),
        // One format, two layouts: both, in registry order.
        ("riscv64", "6.12", &["riscv64/6.6", "riscv64/6.18"]),
        // One format; 6.18 changed pte_modify(), which loongarch64/6.18 models.
        (
            "loongarch64",
            "6.12",
            &["loongarch64/6.6", "loongarch64/6.18"],
        ),
        (
            "loongarch64",
            "6.18",
            &["loongarch64/6.18", "loongarch64/6.6"],
        ),
    ];
    for &(arch, version, want) in cases {
        let args = ["layouts", "--kernel", arch, version];
        if want.is_empty() {
            bad(&args, &[arch, version]);
            continue;
        }
        let out = ok(&args);
        let names: Vec<&str> = out.lines().filter(|l| !l.starts_with(' ')).collect();
        assert_eq!(names, want, "pte {args:?}");
        assert!(
            out.lines()
                .filter(|l| l.starts_with(' '))
                .all(|l| l.starts_with("  note (")),
            "pte {args:?}: {out}"
        );
        let mut json_args = args.to_vec();
        json_args.push("--json");
        let v = json_one(&json_args);
        assert_eq!(keys(&v), set(&["arch", "version", "release", "layouts"]));
        assert_eq!(v["version"], version);
        let listed: Vec<&str> = v["layouts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["name"].as_str().unwrap())
            .collect();
        assert_eq!(listed, want, "pte {json_args:?}");
    }
    // The release a stable update belongs to.
    let v = json_one(&["layouts", "--kernel", "aarch64", "6.12.3", "--json"]);
    assert_eq!(
        (v["arch"].as_str(), v["release"].as_str()),
        (Some("aarch64"), Some("6.12"))
    );
    // A release inside a note's range shows the note; one outside does not.
    let with_note = ok(&["layouts", "--kernel", "aarch64", "6.12"]);
    assert!(with_note.contains("PTE_DEVMAP"), "{with_note}");
    let mkwrite = ok(&["layouts", "--kernel", "aarch64", "6.17"]);
    assert!(
        mkwrite.contains("note (6.10-6.17): pte_mkwrite_novma()")
            && !mkwrite.contains("PTE_DEVMAP"),
        "{mkwrite}"
    );
    let without = ok(&["layouts", "--kernel", "aarch64", "6.18"]);
    assert_eq!(without, "aarch64/6.18\n");
}

#[test]
fn layouts_kernel_refuses_what_no_layout_covers_or_is_not_a_version() {
    // Before the first release of every aarch64 range, between ranges, after 7.0.
    let msg = bad(
        &["layouts", "--kernel", "aarch64", "3.12"],
        &["aarch64 3.12"],
    );
    for range in [
        "aarch64/3.18: 3.13-3.19",
        "aarch64/6.6: 5.19-6.9",
        "aarch64/6.18: 6.10+",
    ] {
        assert!(msg.contains(range), "{msg}");
    }
    bad(
        &["layouts", "--kernel", "aarch64", "4.19"],
        &["aarch64 4.19"],
    );
    bad(
        &["layouts", "--kernel", "x86_64", "2.4.37"],
        &["x86_64 2.4.37", "x86_64/2.6.8: 2.6.0-2.6.9"],
    );
    bad(
        &["layouts", "--kernel", "aarch64", "7.1", "--json"],
        &["aarch64 7.1", "after 7.0"],
    );
    bad(&["layouts", "--kernel", "ia64", "6.7"], &["ia64 6.7"]);
    // Not an architecture here (Linux's own name for aarch64, and 32/64 ambiguity).
    for arch in ["arm64", "x86", "riscv", "", "aarch64/6.18"] {
        let msg = bad(
            &["layouts", "--kernel", arch, "6.12"],
            &["unknown architecture"],
        );
        assert!(msg.contains(&format!("'{arch}'")), "{msg}");
        assert!(
            msg.contains("i386-pae") && msg.contains("loongarch64"),
            "{msg}"
        );
    }
    // Not a version: the message names the text and says why.
    for (version, why) in [
        ("", "empty"),
        ("6", "too few numbers"),
        ("2.6", "too few numbers"),
        ("6.12.3.1", "too many numbers"),
        ("2.6.8.1.1", "too many numbers"),
        ("6.x", "decimal number"),
        ("6..12", "decimal number"),
        ("v6.12", "decimal number"),
        ("6.12-rc1", "decimal number"),
        ("6.12.0-18-amd64", "decimal number"),
        ("6.01", "leading zero"),
        ("6.99999999999999999999", "larger than 65535"),
        ("65536.1", "larger than 65535"),
    ] {
        let msg = bad(&["layouts", "--kernel", "aarch64", version], &[why]);
        assert!(msg.contains(&format!("'{version}'")), "{msg}");
    }
    // clap: --kernel takes two values.
    let out = run(&["layouts", "--kernel", "aarch64"]);
    assert_eq!(out.status.code(), Some(2));
}

// ---- layout -------------------------------------------------------------------------------

/// Parses a diagram line's segments `[hi-lo label]` into `(hi, lo, label)`.
fn segments(line: &str) -> Vec<(u32, u32, String)> {
    line.split('[')
        .skip(1)
        .map(|seg| {
            let seg = seg.split(']').next().unwrap();
            let (range, label) = seg.split_once(' ').unwrap();
            let (hi, lo) = range.split_once('-').unwrap_or((range, range));
            (hi.parse().unwrap(), lo.parse().unwrap(), label.to_owned())
        })
        .collect()
}

#[test]
fn layout_draws_every_state_covering_every_bit_plain_when_piped() {
    for name in names() {
        let l = layout_json(name);
        let word_bits = l["word_bits"].as_u64().unwrap() as u32;
        let out = ok(&["layout", name]);
        assert!(!out.contains('\x1b'), "{name}: colour in a pipe");
        let first = out.lines().next().unwrap();
        assert!(
            first.contains(name) && first.contains(&format!("{word_bits}-bit")),
            "{first}"
        );
        match &l["lock_bit"] {
            Value::Null => assert!(first.contains("no lock bit")),
            v => assert!(first.contains(&format!("lock bit {}", v["bit"])), "{first}"),
        }
        assert!(out.contains(&format!(
            "swap offset < 2^{}",
            l["limits"]["swap_offset_bits"]
        )));
        for state in l["states"].as_array().unwrap() {
            let state = state.as_str().unwrap();
            let line = out
                .lines()
                .find(|line| line.split_whitespace().next() == Some(state))
                .unwrap_or_else(|| panic!("{name}: no {state} line"));
            let segs = segments(line);
            // Contiguous from the top bit down to 0.
            let mut next = word_bits;
            for (hi, lo, _) in &segs {
                assert_eq!(*hi + 1, next, "{name} {state}: {line}");
                assert!(lo <= hi);
                next = *lo;
            }
            assert_eq!(next, 0, "{name} {state}");
        }
    }
}

#[test]
fn layout_i386_2_6_8_swap_diagram_matches_the_reference() {
    // pgtable-2level.h: type in bits 1-5, offset from bit 8; the valid bit is 0.
    let out = ok(&["layout", "i386/2.6.8"]);
    let swap = out.lines().find(|l| l.starts_with("swap ")).unwrap();
    let segs = segments(swap);
    assert!(segs.contains(&(31, 8, "OFFSET".into())), "{swap}");
    assert!(segs.contains(&(5, 1, "TYPE".into())), "{swap}");
    assert!(segs.contains(&(0, 0, "0".into())), "{swap}");
}

#[test]
fn layout_colours_only_when_asked_or_on_a_terminal() {
    let plain = ok(&["layout", "x86_64/6.6"]);
    let coloured = ok(&["layout", "x86_64/6.6", "--color", "always"]);
    assert!(coloured.contains("\x1b["));
    // Stripping the escapes gives the plain diagram back.
    let mut stripped = String::new();
    let mut rest = coloured.as_str();
    while let Some(i) = rest.find("\x1b[") {
        stripped.push_str(&rest[..i]);
        let after = &rest[i..];
        rest = &after[after.find('m').unwrap() + 1..];
    }
    stripped.push_str(rest);
    assert_eq!(stripped, plain);
    let out = pte()
        .args(["layout", "x86_64/6.6"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!text(&out.stdout).contains('\x1b'));
    assert_eq!(ok(&["layout", "x86_64/6.6", "--color", "never"]), plain);
}

#[test]
fn layout_json_segments_cover_the_word() {
    let v = json_one(&["layout", "aarch64/6.18", "--json"]);
    assert_eq!(v["name"], "aarch64/6.18");
    let states: Vec<&str> = v["states"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["state"].as_str().unwrap())
        .collect();
    let listed = layout_json("aarch64/6.18")["states"].clone();
    assert_eq!(Value::from(states), listed);
    for s in v["states"].as_array().unwrap() {
        let total: u64 = s["segments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|seg| seg["hi"].as_u64().unwrap() - seg["lo"].as_u64().unwrap() + 1)
            .sum();
        assert_eq!(total, 64);
    }
}

// ---- decode -------------------------------------------------------------------------------

#[test]
fn decode_0x200_on_i386_2_6_8_is_swap_type_0_offset_2() {
    let v = decode("i386/2.6.8", 0x200);
    assert_eq!(keys(&v), set(&["layout", "raw", "state", "swap", "locked"]));
    assert_eq!(v["layout"], "i386/2.6.8");
    assert_eq!(v["raw"], "0x00000200");
    assert_eq!(v["state"], "swap");
    assert_eq!(
        keys(&v["swap"]),
        set(&["type", "offset", "exclusive", "soft_dirty", "uffd_wp"])
    );
    assert_eq!(v["swap"]["type"], 0);
    assert_eq!(v["swap"]["offset"], 2);
    assert_eq!(v["locked"], false);

    let human = ok(&["decode", "i386/2.6.8", "0x200"]);
    assert_eq!(human.lines().count(), 1);
    let fields: Vec<&str> = human.split_whitespace().collect();
    assert_eq!(fields[..2], ["0x00000200", "swap"]);
    assert!(human.contains("type 0, offset 2"), "{human}");
}

#[test]
fn decode_accepts_several_words_in_hex_decimal_and_with_separators() {
    let out = ok(&[
        "decode",
        "i386/2.6.8",
        "0x200",
        "512",
        "0x2_00",
        "0",
        "--json",
    ]);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 4);
    for v in &lines[..3] {
        assert_eq!(v["raw"], "0x00000200");
        assert_eq!(v["state"], "swap");
    }
    assert_eq!(lines[3]["state"], "none");
    assert_eq!(keys(&lines[3]), set(&["layout", "raw", "state", "locked"]));
    let human = ok(&["decode", "i386/2.6.8", "0x200", "0"]);
    assert_eq!(human.lines().count(), 2);
}

#[test]
fn decode_present_reports_pfn_and_named_flags() {
    // i386: PFN in bits 12-31; 0x67 = PRESENT|RW|USER|ACCESSED|DIRTY.
    let v = decode("i386/2.6.8", 0x1234_5067);
    assert_eq!(
        keys(&v),
        set(&["layout", "raw", "state", "pfn", "flags", "locked"])
    );
    assert_eq!(v["state"], "present");
    assert_eq!(v["pfn"], 0x12345);
    assert_eq!(
        flags(&v),
        set(&["PRESENT", "RW", "USER", "ACCESSED", "DIRTY"])
    );
    let human = ok(&["decode", "i386/2.6.8", "0x12345067"]);
    assert!(human.contains("present") && human.contains("0x12345") && human.contains("DIRTY"));
}

#[test]
fn decode_protnone_undoes_the_l1tf_inversion() {
    // x86_64/6.6: PAGE_NONE is ACCESSED|GLOBAL(=PROTNONE); the PFN is stored inverted.
    let stored = !0x1234u64 & ((1 << 40) - 1);
    let word = 0x120 | stored << 12;
    let v = decode("x86_64/6.6", word);
    assert_eq!(v["state"], "protnone");
    assert_eq!(v["pfn"], 0x1234);
    assert!(v["flags"].is_array());
}

#[test]
fn decode_file_and_large_values_as_hex_strings() {
    // i386/2.6.8 pgoff_to_pte: pgoff bits 0-4 in PTE bits 1-5, the rest from bit 8; FILE = bit 6.
    let v = decode("i386/2.6.8", 0x40 | 3 << 8 | 0b10101 << 1);
    assert_eq!(
        keys(&v),
        set(&["layout", "raw", "state", "pgoff", "locked"])
    );
    assert_eq!(v["state"], "file");
    assert_eq!(v["pgoff"], (3 << 5) | 0b10101);
    // ia64/2.6.8 file pgoffs reach 2^61: one beyond 2^53 is a "0x…" string.
    let raw = json_one(&[
        "encode",
        "ia64/2.6.8",
        "file",
        "--pgoff",
        "0x20_0000_0000_0001",
        "--json",
    ]);
    let v = json_one(&[
        "decode",
        "ia64/2.6.8",
        raw["raw"].as_str().unwrap(),
        "--json",
    ]);
    assert_eq!(v["state"], "file");
    assert_eq!(v["pgoff"], "0x20000000000001");
    assert_eq!(num(&v["pgoff"]), 0x20_0000_0000_0001);
}

#[test]
fn decode_invalid_words_give_a_reason_naming_field_and_limit() {
    // x86_64/6.6 stores ~offset in bits 9-58: bit 9 alone is offset 2^50 - 2, beyond 2^42.
    let v = decode("x86_64/6.6", 1 << 9);
    assert_eq!(
        keys(&v),
        set(&["layout", "raw", "state", "locked", "reason"])
    );
    assert_eq!(v["state"], "invalid");
    let reason = v["reason"].as_str().unwrap();
    assert!(
        reason.contains("swap offset") && reason.contains("2^42"),
        "{reason}"
    );
    assert!(
        reason.contains(&format!("{:#x}", (1u64 << 50) - 2)),
        "{reason}"
    );
    // Beyond a 32-bit word: invalid, not malformed.
    let v = decode("i386/2.6.8", 1 << 32);
    assert_eq!(v["state"], "invalid");
    assert_eq!(v["raw"], "0x100000000");
    assert!(v["reason"].as_str().unwrap().contains("beyond"));
    // Stray bits next to a swap entry: i386/2.6.8 bit 7 is neither type nor offset.
    let v = decode("i386/2.6.8", 0x280);
    assert_eq!(v["state"], "protnone", "bit 7 is the protnone marker");
    let human = ok(&["decode", "x86_64/6.6", "0x200"]);
    assert!(
        human.contains("invalid") && human.contains("2^42"),
        "{human}"
    );
}

#[test]
fn decode_uses_the_lock_bit() {
    // x86_64/6.6: bit 56 none-only; the locked-empty word is locked-none.
    let v = decode("x86_64/6.6", 1 << 56);
    assert_eq!(v["state"], "locked-none");
    assert_eq!(v["locked"], true);
    assert_eq!(keys(&v), set(&["layout", "raw", "state", "locked"]));
    // x86_64/2.6.8: bit 56 any-state; a locked swap entry is still that swap entry.
    let swap = json_one(&[
        "encode",
        "x86_64/2.6.8",
        "swap",
        "--type",
        "3",
        "--offset",
        "77",
        "--json",
    ]);
    let word = hex(&swap["raw"]) | 1 << 56;
    let v = decode("x86_64/2.6.8", word);
    assert_eq!(v["state"], "swap");
    assert_eq!(v["locked"], true);
    assert_eq!(
        (v["swap"]["type"].clone(), v["swap"]["offset"].clone()),
        (3.into(), 77.into())
    );
    // i386/2.6.8 has no lock bit: 0x200 is never "locked".
    assert_eq!(decode("i386/2.6.8", 0x200)["locked"], false);
}

#[test]
fn decode_dash_reads_one_word_per_line_from_stdin() {
    let out = pte()
        .args(["decode", "i386/2.6.8", "-", "--json"])
        .write_stdin("0x200\n\n   0x0000_0200  \r\n0\n\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lines = json_lines(&text(&out.stdout));
    assert_eq!(lines.len(), 3, "blank lines are skipped");
    assert_eq!(lines[0]["state"], "swap");
    assert_eq!(lines[1]["swap"]["offset"], 2);
    assert_eq!(lines[2]["state"], "none");

    let out = pte()
        .args(["decode", "i386/2.6.8", "-"])
        .write_stdin("0x200\n0x41\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout).lines().count(), 2);
}

#[test]
fn decode_bad_stdin_line_is_bad_input() {
    for json in [false, true] {
        let mut args = vec!["decode", "i386/2.6.8", "-"];
        if json {
            args.push("--json");
        }
        let out = pte()
            .args(&args)
            .write_stdin("0x200\nzz\n")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let stderr = text(&out.stderr);
        assert_eq!(stderr.lines().count(), 1);
        assert!(
            stderr.starts_with("error: ") && stderr.contains("'zz'") && stderr.contains("line 2")
        );
        let stdout = text(&out.stdout);
        if json {
            let lines = json_lines(&stdout);
            assert_eq!(lines.len(), 1, "no partial output before the error");
            assert!(lines[0]["error"].as_str().unwrap().contains("zz"));
        } else {
            assert!(stdout.is_empty());
        }
    }
}

// ---- encode -------------------------------------------------------------------------------

#[test]
fn encode_swap_round_trips_through_decode_on_every_layout() {
    for l in layouts_json() {
        let name = l["name"].as_str().unwrap();
        let n = l["limits"]["swap_offset_bits"].as_u64().unwrap();
        let max_offset = (1u64 << n) - 1;
        for (ty, offset) in [(0, 2), (1, 5), (31, max_offset), (17, 0x1234)] {
            let (t, o) = (ty.to_string(), format!("{offset:#x}"));
            let v = json_one(&[
                "encode", name, "swap", "--type", &t, "--offset", &o, "--json",
            ]);
            assert_eq!(keys(&v), set(&["layout", "raw"]));
            assert_eq!(v["layout"], name);
            let raw = v["raw"].as_str().unwrap();
            let width = l["word_bits"].as_u64().unwrap() as usize / 4;
            assert_eq!(raw.len(), 2 + width, "{raw}: full width");
            let human = ok(&["encode", name, "swap", "--type", &t, "--offset", &o]);
            assert_eq!(human.trim_end(), raw);
            let d = json_one(&["decode", name, raw, "--json"]);
            assert_eq!(d["state"], "swap", "{name} {ty} {offset:#x}: {d}");
            assert_eq!(num(&d["swap"]["type"]), ty);
            assert_eq!(num(&d["swap"]["offset"]), offset);
        }
        // The swap-PTE flags the layout has round-trip too.
        for flag in ["exclusive", "soft-dirty", "uffd-wp"] {
            let opt = format!("--{flag}");
            let out = run(&[
                "encode", name, "swap", "--type", "2", "--offset", "9", &opt, "--json",
            ]);
            match out.status.code() {
                Some(0) => {
                    let raw = json_lines(&text(&out.stdout))[0]["raw"]
                        .as_str()
                        .unwrap()
                        .to_owned();
                    let d = json_one(&["decode", name, &raw, "--json"]);
                    assert_eq!(d["swap"][flag.replace('-', "_")], true, "{name} {flag}");
                    assert_eq!(d["swap"]["offset"], 9);
                }
                _ => {
                    bad(
                        &["encode", name, "swap", "--type", "2", "--offset", "9", &opt],
                        &[flag],
                    );
                }
            }
        }
    }
}

#[test]
fn encode_reference_swap_entry_is_0x200() {
    assert_eq!(
        ok(&[
            "encode",
            "i386/2.6.8",
            "swap",
            "--type",
            "0",
            "--offset",
            "2"
        ])
        .trim(),
        "0x00000200"
    );
}

#[test]
fn encode_file_round_trips_on_old_layouts() {
    for l in layouts_json() {
        let name = l["name"].as_str().unwrap();
        let Some(m) = l["limits"]["file_pgoff_bits"].as_u64() else {
            bad(&["encode", name, "file", "--pgoff", "1"], &[name, "file"]);
            continue;
        };
        for pgoff in [0, 1, 12345, (1u64 << m) - 1] {
            let p = pgoff.to_string();
            let v = json_one(&["encode", name, "file", "--pgoff", &p, "--json"]);
            let d = json_one(&["decode", name, v["raw"].as_str().unwrap(), "--json"]);
            assert_eq!(d["state"], "file", "{name} {pgoff}");
            assert_eq!(num(&d["pgoff"]), pgoff);
        }
        let beyond = format!("{:#x}", 1u64 << m);
        bad(
            &["encode", name, "file", "--pgoff", &beyond],
            &[&beyond, &format!("2^{m}")],
        );
    }
}

#[test]
fn encode_present_with_named_flags_case_insensitively() {
    let v = json_one(&[
        "encode",
        "x86_64/6.6",
        "present",
        "--pfn",
        "0x1234",
        "--flags",
        "Rw,user,NX",
        "--json",
    ]);
    let d = json_one(&["decode", "x86_64/6.6", v["raw"].as_str().unwrap(), "--json"]);
    assert_eq!(d["state"], "present");
    assert_eq!(d["pfn"], 0x1234);
    assert_eq!(flags(&d), set(&["PRESENT", "RW", "USER", "NX"]));
    // Without flags: just the page bits and the PFN.
    let raw = ok(&["encode", "i386/2.6.8", "present", "--pfn", "5"]);
    assert_eq!(raw.trim(), "0x00005001");
}

#[test]
fn encode_protnone_round_trips() {
    for name in names() {
        let v = json_one(&["encode", name, "protnone", "--pfn", "0x1234", "--json"]);
        let d = json_one(&["decode", name, v["raw"].as_str().unwrap(), "--json"]);
        assert_eq!(d["state"], "protnone", "{name}: {d}");
        assert_eq!(d["pfn"], 0x1234, "{name}");
    }
}

// ---- prove --------------------------------------------------------------------------------

/// A `prove --json` line has every key of the verdict (null where it does not apply).
fn assert_prove_keys(v: &Value) {
    for k in [
        "layout",
        "bit",
        "discipline",
        "verdict",
        "collides_with",
        "witness",
    ] {
        assert!(v.get(k).is_some(), "missing {k}: {v}");
    }
}

#[test]
fn prove_i386_2_6_8_bit_9_is_rejected_by_swap_offset_0x200() {
    let v = json_one(&["prove", "i386/2.6.8", "--bit", "9", "--json"]);
    assert_prove_keys(&v);
    assert_eq!(v["layout"], "i386/2.6.8");
    assert_eq!(v["bit"], 9);
    assert_eq!(v["discipline"], "none-only", "the default discipline");
    assert_eq!(v["verdict"], "rejected");
    assert_eq!(v["collides_with"], "swap: offset");
    assert_eq!(v["witness"], "0x00000200");
    // The witness really is that swap entry.
    let d = decode("i386/2.6.8", hex(&v["witness"]));
    assert_eq!(
        (d["state"].as_str(), d["swap"]["offset"].as_u64()),
        (Some("swap"), Some(2))
    );

    let human = ok(&["prove", "i386/2.6.8", "--bit", "9"]);
    assert_eq!(human.lines().count(), 1, "one sentence");
    assert!(
        human.contains("rejected") && human.contains("swap: offset"),
        "{human}"
    );
    assert!(
        human.contains("0x00000200 is swap type 0, offset 2"),
        "{human}"
    );
}

#[test]
fn prove_i386_2_6_8_bit_31_needs_23_bit_swap_offsets() {
    let v = json_one(&["prove", "i386/2.6.8", "--bit", "31", "--json"]);
    assert_eq!(v["verdict"], "rejected");
    let v = json_one(&[
        "prove",
        "i386/2.6.8",
        "--bit",
        "31",
        "--swap-offset-bits",
        "23",
        "--json",
    ]);
    assert_eq!(v["verdict"], "proven");
    assert!(v["collides_with"].is_null() && v["witness"].is_null());
    let human = ok(&[
        "prove",
        "i386/2.6.8",
        "--bit",
        "31",
        "--swap-offset-bits",
        "23",
    ]);
    assert!(human.contains("proven"), "{human}");
}

#[test]
fn prove_all_matches_the_design_table() {
    // docs/DESIGN.md#proof-table, "Expected results under the default limits".
    let table: [(&str, Ranges, Ranges); 12] = [
        ("x86_64/2.6.8", &[(40, 63)], &[(52, 62)]),
        ("x86_64/6.6", &[(1, 4), (7, 7), (9, 63)], &[]),
        ("i386/2.6.8", &[], &[]),
        ("i386-pae/2.6.8", &[(32, 63)], &[]),
        ("i386/6.6", &[(6, 6)], &[]),
        ("i386-pae/6.6", &[(1, 4), (7, 7), (9, 63)], &[]),
        ("ia64/2.6.8", &[(7, 8), (41, 62)], &[]),
        ("ia64/6.6", &[(6, 6), (46, 62)], &[(53, 62)]),
        (
            "aarch64/3.18",
            &[(1, 1), (8, 8), (41, 57), (59, 63)],
            &[(59, 63)],
        ),
        ("aarch64/6.6", &[(1, 1), (46, 57), (59, 63)], &[(59, 63)]),
        (
            "aarch64/6.18",
            &[(1, 1), (4, 5), (50, 63)],
            &[(57, 57), (59, 59), (63, 63)],
        ),
        (
            "aarch64-lpa2/6.18",
            &[(1, 1), (4, 5), (54, 63)],
            &[(57, 57), (59, 59), (63, 63)],
        ),
    ];
    for (name, none_only, any_state) in table {
        assert_eq!(
            proven(name, "none-only", &[]),
            expand(none_only),
            "{name} none-only"
        );
        assert_eq!(
            proven(name, "any-state", &[]),
            expand(any_state),
            "{name} any-state"
        );
    }
    // "none (file pgoffs reach 62); 53–62 with M = 51".
    assert_eq!(
        proven("ia64/2.6.8", "any-state", &["--file-pgoff-bits", "51"]),
        expand(&[(53, 62)])
    );
}

#[test]
fn prove_all_json_lines_have_the_documented_shape() {
    let lines = json_lines(&ok(&[
        "prove",
        "x86_64/6.6",
        "--all",
        "--discipline",
        "none-only",
        "--json",
    ]));
    assert_eq!(lines.len(), 64);
    for v in &lines {
        assert_prove_keys(v);
        match v["verdict"].as_str().unwrap() {
            "proven" => assert!(v["collides_with"].is_null() && v["witness"].is_null()),
            "rejected" => {
                let c = v["collides_with"].as_str().unwrap();
                let (state, field) = c.split_once(": ").expect("state: field");
                assert!(STATES.contains(&state) && !field.is_empty(), "{c}");
                let w = hex(&v["witness"]);
                assert_ne!(
                    w & 1 << v["bit"].as_u64().unwrap(),
                    0,
                    "the witness has the bit set"
                );
            }
            other => panic!("verdict {other}"),
        }
    }
    // Under none-only the witness is the locked-empty word and decodes to the colliding state.
    let bit8 = &lines[8];
    assert_eq!(bit8["witness"], "0x0000000000000100");
    let d = decode("x86_64/6.6", 0x100);
    assert_eq!(
        bit8["collides_with"].as_str().unwrap().split(':').next(),
        d["state"].as_str()
    );
}

#[test]
fn prove_all_human_table_has_a_row_per_bit() {
    let out = ok(&["prove", "x86_64/6.6", "--all"]);
    let rows: Vec<&str> = out
        .lines()
        .filter(|l| {
            l.split_whitespace()
                .next()
                .is_some_and(|b| b.parse::<u32>().is_ok())
        })
        .collect();
    assert_eq!(rows.len(), 64);
    for (bit, row) in rows.iter().enumerate() {
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cols[0], bit.to_string());
        let want = if expand(&[(1, 4), (7, 7), (9, 63)]).contains(&(bit as u32)) {
            "proven"
        } else {
            "rejected"
        };
        assert_eq!(cols[1], want, "bit {bit}");
    }
    let proven = out.lines().find(|l| l.starts_with("proven: ")).unwrap();
    assert!(proven.contains("1-4, 7, 9-63"), "{proven}");
    // The break marker is the highest none-only bit.
    assert_eq!(
        out.lines().last().unwrap(),
        "break marker: bit 63 (0x8000000000000000)"
    );
    let out = ok(&["prove", "i386/2.6.8", "--all", "--discipline", "any-state"]);
    assert!(out.lines().last().unwrap().ends_with("none"));
    let out = ok(&["prove", "i386/2.6.8", "--all"]);
    assert!(
        out.lines()
            .last()
            .unwrap()
            .starts_with("break marker: none"),
        "{out}"
    );
}

#[test]
fn prove_rejected_verdict_exits_zero_any_state_too() {
    let v = json_one(&[
        "prove",
        "x86_64/6.6",
        "--bit",
        "56",
        "--discipline",
        "any-state",
        "--json",
    ]);
    assert_eq!(v["verdict"], "rejected");
    assert_eq!(v["discipline"], "any-state");
}

// ---- bad input ----------------------------------------------------------------------------

#[test]
fn unknown_layout_is_bad_input_listing_the_known_ones() {
    for sub in [&["layout"][..], &["decode"], &["prove"]] {
        let mut args = sub.to_vec();
        args.push("x86/9.9");
        match sub[0] {
            "decode" => args.push("0"),
            "prove" => args.push("--all"),
            _ => {}
        }
        let msg = bad(&args, &["x86/9.9", "i386/2.6.8", "aarch64/6.18"]);
        assert!(msg.contains("unknown layout"));
        args.push("--json");
        bad(&args, &["x86/9.9"]);
    }
    bad(
        &[
            "encode", "x86/9.9", "swap", "--type", "0", "--offset", "1", "--json",
        ],
        &["x86/9.9"],
    );
}

#[test]
fn malformed_words_and_numbers_are_bad_input() {
    for word in [
        "zz",
        "0x",
        "-1",
        "0xg",
        "1.5",
        "0x1_0000_0000_0000_0000",
        "18446744073709551616",
    ] {
        bad(
            &["decode", "i386/2.6.8", word],
            &[&format!("'{word}'"), "malformed"],
        );
        bad(&["decode", "x86_64/6.6", "0x200", word, "--json"], &[word]);
    }
    // The largest word parses (it is invalid on a 32-bit layout, not malformed).
    let v = decode("i386/2.6.8", u64::MAX);
    assert_eq!(v["state"], "invalid");
    bad(
        &[
            "encode",
            "i386/2.6.8",
            "swap",
            "--type",
            "x",
            "--offset",
            "1",
        ],
        &["'x'", "--type"],
    );
    bad(
        &["encode", "i386/2.6.8", "present", "--pfn", "0xzz", "--json"],
        &["'0xzz'"],
    );
    bad(&["prove", "i386/2.6.8", "--bit", "nine"], &["'nine'"]);
    // Negative numbers reach the parser (and are malformed), they are not taken for options.
    bad(
        &[
            "encode",
            "i386/2.6.8",
            "swap",
            "--type",
            "0",
            "--offset",
            "-1",
        ],
        &["'-1'", "--offset"],
    );
    bad(
        &["prove", "i386/2.6.8", "--bit", "-1", "--json"],
        &["'-1'", "--bit"],
    );
}

#[test]
fn values_beyond_a_limit_are_bad_input() {
    // The spec's example, verbatim.
    let msg = bad(
        &[
            "encode",
            "x86_64/2.6.8",
            "swap",
            "--type",
            "0",
            "--offset",
            "0x100000000",
        ],
        &[],
    );
    assert_eq!(
        msg,
        "swap offset 0x100000000 does not fit: it must be below 2^32 (0x100000000)"
    );
    bad(
        &[
            "encode",
            "i386/2.6.8",
            "swap",
            "--type",
            "0",
            "--offset",
            "0x1000000",
            "--json",
        ],
        &["0x1000000", "2^24"],
    );
    bad(
        &[
            "encode",
            "i386/2.6.8",
            "swap",
            "--type",
            "32",
            "--offset",
            "1",
        ],
        &["0x20", "2^5"],
    );
    bad(
        &["encode", "i386/2.6.8", "file", "--pgoff", "0x20000000"],
        &["0x20000000", "2^29"],
    );
    bad(
        &["encode", "i386/2.6.8", "present", "--pfn", "0x100000"],
        &["0x100000", "pfn"],
    );
    bad(
        &[
            "encode",
            "x86_64/6.6",
            "protnone",
            "--pfn",
            "0x10000000000",
            "--json",
        ],
        &["0x10000000000", "pfn"],
    );
    // A swap entry that would be pte_none().
    bad(
        &[
            "encode",
            "i386/2.6.8",
            "swap",
            "--type",
            "0",
            "--offset",
            "0",
        ],
        &["pte_none"],
    );
    // u64::MAX is a number, but beyond every limit.
    bad(
        &[
            "encode",
            "x86_64/6.6",
            "swap",
            "--type",
            "0",
            "--offset",
            "0xffffffffffffffff",
        ],
        &["0xffffffffffffffff"],
    );
}

#[test]
fn unknown_flag_is_bad_input_listing_the_valid_ones() {
    let msg = bad(
        &[
            "encode",
            "x86_64/6.6",
            "present",
            "--pfn",
            "1",
            "--flags",
            "rw,bogus",
        ],
        &["'bogus'", "RW", "NX", "SOFT_DIRTY"],
    );
    assert!(msg.contains("unknown flag"));
    bad(
        &[
            "encode",
            "i386/2.6.8",
            "present",
            "--pfn",
            "1",
            "--flags",
            "NX",
            "--json",
        ],
        &["'NX'", "GLOBAL"],
    );
}

#[test]
fn widening_a_limit_is_bad_input() {
    bad(
        &[
            "prove",
            "i386/2.6.8",
            "--bit",
            "31",
            "--swap-offset-bits",
            "25",
        ],
        &["25", "24", "narrowed"],
    );
    bad(
        &[
            "prove",
            "i386/2.6.8",
            "--all",
            "--file-pgoff-bits",
            "30",
            "--json",
        ],
        &["30", "29"],
    );
    bad(
        &["prove", "i386/2.6.8", "--all", "--swap-type-bits", "6"],
        &["6", "5"],
    );
    bad(
        &["prove", "i386/2.6.8", "--all", "--swap-offset-bits", "0"],
        &["0"],
    );
    bad(
        &[
            "prove",
            "x86_64/6.6",
            "--all",
            "--swap-offset-bits",
            "99999999999",
        ],
        &["99999999999"],
    );
    // No file PTEs to narrow.
    bad(
        &["prove", "x86_64/6.6", "--all", "--file-pgoff-bits", "10"],
        &["--file-pgoff-bits", "x86_64/6.6"],
    );
}

#[test]
fn a_bit_beyond_the_word_is_bad_input() {
    bad(&["prove", "i386/2.6.8", "--bit", "32"], &["32", "32-bit"]);
    bad(&["prove", "x86_64/6.6", "--bit", "64", "--json"], &["64"]);
    bad(
        &["prove", "x86_64/6.6", "--bit", "0xffffffffffffffff"],
        &["18446744073709551615"],
    );
    // The top bit itself is fine.
    ok(&["prove", "i386/2.6.8", "--bit", "31"]);
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["prove", "i386/2.6.8"][..],
        &["prove", "i386/2.6.8", "--bit", "1", "--all"],
        &[
            "prove",
            "i386/2.6.8",
            "--bit",
            "1",
            "--discipline",
            "sometimes",
        ],
        &["decode", "i386/2.6.8"],
        &["encode", "i386/2.6.8", "swap", "--offset", "1"],
        &["frobnicate"],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(text(&out.stderr).starts_with("error:"), "{args:?}");
    }
    let out = run(&["prove", "i386/2.6.8", "--json"]);
    assert_eq!(out.status.code(), Some(2));
    let v = json_lines(&text(&out.stdout));
    assert!(v[0]["error"].as_str().unwrap().contains("--bit"));
}

#[test]
fn nothing_panics_on_extreme_input() {
    for name in names() {
        for word in [
            "0",
            "0xffffffffffffffff",
            "0xffffffff",
            "0x8000000000000000",
            "1",
        ] {
            let out = run(&["decode", name, word, "--json"]);
            assert_eq!(out.status.code(), Some(0), "{name} {word}");
        }
        for args in [
            &[
                "encode",
                name,
                "swap",
                "--type",
                "0xffffffffffffffff",
                "--offset",
                "1",
            ][..],
            &["encode", name, "file", "--pgoff", "0xffffffffffffffff"],
            &["encode", name, "present", "--pfn", "0xffffffffffffffff"],
            &["encode", name, "protnone", "--pfn", "0xffffffffffffffff"],
            &[
                "prove",
                name,
                "--all",
                "--swap-offset-bits",
                "1",
                "--swap-type-bits",
                "1",
            ],
        ] {
            let out = run(args);
            assert!(matches!(out.status.code(), Some(0 | 2)), "{args:?}");
            assert!(!text(&out.stderr).contains("panicked"), "{args:?}");
        }
    }
}

/// `--kernel` given twice is bad input, not a panic (found by the `cli` fuzz target:
/// `layouts --kernel "" layouts --kernel aaaarch33 6.12.3` hit an `unreachable!`).
#[test]
fn a_repeated_kernel_option_is_refused() {
    bad(
        &[
            "layouts", "--kernel", "aarch64", "6.12", "--kernel", "x", "1.2",
        ],
        &["--kernel", "4 values", "aarch64 6.12 x 1.2"],
    );
}
