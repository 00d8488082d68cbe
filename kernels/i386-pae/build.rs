//! Links the kernel freestanding: no C runtime, no libc, our own linker script.
//!
//! The i586 target is a `linux-gnu` target (there is no bare-metal i586/i686 target on
//! stable), so gcc would otherwise add crt files and libc.

fn main() {
    println!("cargo:rerun-if-changed=link.ld");
    // Only the kernel's own target gets the bare-metal link line; a host `cargo check` of the
    // workspace must not.
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("x86") {
        let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
        println!("cargo:rustc-link-arg-bins=-nostartfiles");
        println!("cargo:rustc-link-arg-bins=-nostdlib");
        println!("cargo:rustc-link-arg-bins=-static");
        println!("cargo:rustc-link-arg-bins=-Wl,--build-id=none");
        println!("cargo:rustc-link-arg-bins=-T{dir}/link.ld");
    }
}
