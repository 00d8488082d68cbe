//! The x86_64 example kernel: boots under `qemu-system-x86_64 -M q35` as a Multiboot (v1)
//! image, identity-maps the first 4 GiB with 4-level paging (hardware accessed/dirty bits,
//! NX enabled for the library's NX leaf entries), routes #PF to
//! [`pte_kernel_common::page_fault`] and runs the shared workload on every CPU that qemu's
//! `-smp` gives (one by default).
#![no_std]
#![no_main]

mod boot;
mod idt;
mod platform;
mod smp;

use core::fmt::Write;

use platform::PLATFORM;
use pte_kernel_common::Platform;

/// The 64-bit entry, called by `boot.rs` with paging on and a stack.
#[unsafe(no_mangle)]
extern "C" fn kmain() -> ! {
    idt::init();
    if let Err(apic_id) = smp::start_aps() {
        let mut out = platform::Serial;
        // Serial output cannot fail.
        let _ = writeln!(out, "x86_64: CPU with APIC ID {apic_id} did not start");
        PLATFORM.exit(false);
    }
    pte_kernel_common::run(&PLATFORM)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    pte_kernel_common::panic_report(&PLATFORM, info)
}
