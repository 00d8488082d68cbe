//! The cross-architecture suite of the pte workspace.
//!
//! The library part is small: the registry of every layout the suite iterates over, the
//! diagram file each layout's doc comment includes, and the hand-written masks ([`hand`]) that
//! `pte-cli`'s `model` benchmark and the `hand_diff` fuzz target compare the model with. The tests are in `tests/`; the README's
//! examples are compiled and run here as doctests.
#![doc = include_str!("../../README.md")]

use pte_core::LayoutEntry;

pub mod hand;
pub mod roundtrip;

/// Every layout of the architecture crates (the kernel layouts of `pte_layouts::LAYOUTS`).
pub fn all_layouts() -> impl Iterator<Item = &'static LayoutEntry> {
    pte_layouts::LAYOUTS.iter()
}

/// The layout named `name`.
pub fn layout(name: &str) -> &'static LayoutEntry {
    pte_layouts::find(name).unwrap_or_else(|| panic!("no layout {name}"))
}

/// The diagram file that layout `name`'s doc comment includes.
pub fn diagram_path(name: &str) -> std::path::PathBuf {
    let path = pte_layouts::diagram_path(name).unwrap_or_else(|| panic!("no layout {name}"));
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    root.join(path.to_string())
}

/// The text a diagram file must hold: the rendering inside a `text` code block.
pub fn diagram_doc(entry: &LayoutEntry) -> String {
    let mut out = String::from("```text\n");
    pte_core::diagram::render(entry.layout, &mut out).expect("rendering into a String");
    out.push_str("```\n");
    out
}
