//! Links the kernel with `link.ld` as a static (non-PIE) image at its load address.

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    println!("cargo:rustc-link-arg-bins=-T{dir}/link.ld");
    // x86_64-unknown-none links static-PIE by default; a PIE's absolute pointers are
    // R_X86_64_RELATIVE relocations that nothing would apply (the Multiboot loader copies the
    // file verbatim). `--no-pie` makes lld resolve them at link time for the fixed address.
    println!("cargo:rustc-link-arg-bins=--no-pie");
    println!("cargo:rerun-if-changed=link.ld");
}
