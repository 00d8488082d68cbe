//! The x86_64 example kernel: boots under `qemu-system-x86_64 -M q35` as a Multiboot (v1)
//! image, identity-maps the first 4 GiB with 4-level paging (hardware accessed/dirty bits,
//! NX enabled for the library's NX leaf entries), routes #PF to
//! [`pte_kernel_common::page_fault`] and runs the shared workload on every CPU that qemu's
//! `-smp` gives (one by default).
//! COM1, the exit device, the A/D bits and the #PF error code are shared with the i386 PAE
//! kernel in [`pte_kernel_common::x86`].
#![no_std]
#![no_main]

mod boot;
mod idt;
mod platform;
mod smp;

use platform::PLATFORM;

/// The 64-bit entry, called by `boot.rs` with paging on and a stack; `multiboot_info` is the
/// address of the loader's Multiboot information structure.
#[unsafe(no_mangle)]
extern "C" fn kmain(multiboot_info: u32) -> ! {
    pte_kernel_common::x86::serial_init();
    idt::init();
    smp::start_aps(multiboot_info);
    pte_kernel_common::run(&PLATFORM)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    pte_kernel_common::panic_report(&PLATFORM, info)
}
