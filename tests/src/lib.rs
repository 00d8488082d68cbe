//! The cross-architecture suite of the pte workspace.
//!
//! The library part is small: the registry of every layout the suite iterates over, and the
//! diagram file each layout's doc comment includes. The tests are in `tests/`; the README's
//! examples are compiled and run here as doctests.
#![doc = include_str!("../../README.md")]

use pte_core::LayoutEntry;

/// Every layout of the four architecture crates (the eleven kernel layouts).
pub fn all_layouts() -> impl Iterator<Item = &'static LayoutEntry> {
    arch_x86_64::LAYOUTS
        .iter()
        .chain(arch_i386::LAYOUTS.iter())
        .chain(arch_ia64_sim::LAYOUTS.iter())
        .chain(arch_aarch64::LAYOUTS.iter())
}

/// The layout named `name`.
pub fn layout(name: &str) -> &'static LayoutEntry {
    all_layouts()
        .find(|e| e.layout.name == name)
        .unwrap_or_else(|| panic!("no layout {name}"))
}

/// The diagram file (relative to the workspace root) that layout `name`'s doc comment includes.
pub fn diagram_path(name: &str) -> std::path::PathBuf {
    let krate = match name.split('/').next() {
        Some("x86_64") => "arch-x86_64",
        Some("i386") | Some("i386-pae") => "arch-i386",
        Some("ia64") => "arch-ia64-sim",
        Some("aarch64") => "arch-aarch64",
        _ => panic!("unknown family of {name}"),
    };
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    root.join(krate)
        .join("diagrams")
        .join(format!("{}.txt", name.replace('/', "-")))
}

/// The text a diagram file must hold: the rendering inside a `text` code block.
pub fn diagram_doc(entry: &LayoutEntry) -> String {
    let mut out = String::from("```text\n");
    pte_core::diagram::render(entry.layout, &mut out).expect("rendering into a String");
    out.push_str("```\n");
    out
}
