//! [`Platform`] for x86_64 under qemu q35: 4-level paging; COM1, isa-debug-exit and the A/D
//! bits come from [`pte_kernel_common::x86`].

use core::sync::atomic::{Ordering, compiler_fence};

use pte_kernel_common::{HardwareAd, Platform, x86};

/// The one platform instance the fault handler and [`run`](pte_kernel_common::run) use.
pub static PLATFORM: X86_64Platform = X86_64Platform;

/// x86_64 with 4-level paging, 1 to `MAX_CPUS` CPUs (qemu `-smp`).
pub struct X86_64Platform;

/// Paging-structure entry bits (SDM Vol. 3A, 4.5, Tables 4-14 to 4-19).
const P: u64 = 1 << 0;
/// Writable.
const RW: u64 = 1 << 1;
/// User accessible: the library's leaf entries set U/S, and the CPU ANDs U/S over all
/// levels, so table entries must set it too.
const US: u64 = 1 << 2;
/// Page size: a PDPTE/PDE maps a 1 GiB / 2 MiB page instead of pointing to a table.
const PS: u64 = 1 << 7;
/// Physical address bits 51:12 of an entry (MAXPHYADDR is at most 52).
const ADDRESS_MASK: u64 = 0x000F_FFFF_FFFF_F000;

impl Platform for X86_64Platform {
    type A = arch_x86_64::X86_64_6_6;
    const NAME: &'static str = "x86_64/6.6 on qemu q35";
    const LEVEL_SHIFTS: &'static [u32] = &[39, 30, 21, 12];
    /// The fork workload runs here (`pte_kernel_common::fork`).
    const FORK: bool = true;
    /// PML4 entry 1: 512 GiB, left empty by the boot tables.
    const WINDOW: u64 = 0x80_0000_0000;

    fn root(&self) -> u64 {
        crate::boot::pml4()
    }

    fn table_descriptor(_level: usize, table: u64) -> u64 {
        table | P | RW | US
    }

    fn next_table(level: usize, entry: u64) -> Option<u64> {
        // PS is reserved in PML4Es (must be 0) and means "large page" in PDPTEs and PDEs;
        // the leaf level is never asked.
        let large = level > 0 && entry & PS != 0;
        (entry & P != 0 && !large).then_some(entry & ADDRESS_MASK)
    }

    fn sync_tables(&self) {
        // The page walker snoops the caches (SDM Vol. 3A, 4.10.4): only keep the compiler
        // from sinking the table writes below the retried access.
        compiler_fence(Ordering::SeqCst);
    }

    fn flush_tlb_page(&self, addr: u64) {
        crate::smp::flush_tlb_page(addr);
    }

    fn flush_tlb_range(&self, start: u64, end: u64) {
        crate::smp::flush_tlb_range(start, end);
    }

    fn cpu_id(&self) -> usize {
        crate::smp::cpu_id()
    }

    fn cpus(&self) -> usize {
        crate::smp::cpus()
    }

    fn hardware_ad(&self) -> HardwareAd {
        // x86 sets A and D in paging-structure entries itself (SDM Vol. 3A, 4.8).
        HardwareAd {
            accessed: true,
            dirty: true,
        }
    }

    fn hw_young(raw: u64) -> bool {
        x86::hw_young(raw)
    }

    fn hw_dirty(raw: u64) -> bool {
        x86::hw_dirty(raw)
    }

    fn write_serial(&self, bytes: &[u8]) {
        x86::serial_write(bytes);
    }

    fn exit(&self, pass: bool) -> ! {
        x86::exit_qemu(pass)
    }
}
