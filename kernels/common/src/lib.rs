//! What the example kernels share.
//!
//! Each kernel (`kernels/aarch64`, `kernels/i386-pae`, `kernels/riscv64`, `kernels/x86_64`)
//! boots its CPU(s), builds an identity map, enables the MMU with the hardware's
//! accessed/dirty management, and implements [`Platform`]. Everything after that is here,
//! written only against pte's public API, exactly as an outside kernel would use it:
//!
//! * [`frames`]: the page allocator (`FrameAllocator`) over a pool of frames in the image,
//!   with a state per frame so the checks can tell a lost or doubly-mapped frame;
//! * [`tables`]: the page-table walker (`TableWalker`): real hardware tables, upper levels
//!   populated by compare-and-swap, leaf entries handed to the library as `PteSlot`s;
//! * [`cache`], [`swap`]: a page cache of patterned files and a RAM swap device;
//! * [`fork`]: on the kernels that ask for it ([`Platform::FORK`]), a second address space
//!   built by the library's fork, both running, copy-on-write and swap of shared pages;
//! * [`workload`]: what every CPU runs — faults on a lazily-mapped window, one window per
//!   strategy, then the checks of [`check`] and a report over the serial port.
//!
//! The kernel's fault handler calls [`page_fault`]; every CPU calls [`run`] once booted.
#![no_std]
#![deny(missing_docs)]

pub mod cache;
pub mod check;
pub mod console;
pub mod fork;
pub mod frames;
pub mod plan;
pub mod swap;
pub mod sync;
pub mod tables;
pub mod tally;
pub mod violation;
pub mod workload;
/// What the two x86 kernels share: port I/O, COM1, qemu's exit device, A/D bits, #PF codes.
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
pub mod x86;

pub use workload::{page_fault, panic_report, run};

use pte_core::{Arch, CompareExchange, LockBit};

/// Which accessed/dirty management the kernel turned on in the MMU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HardwareAd {
    /// The MMU sets the accessed bit itself (x86 always; aarch64 with TCR_EL1.HA; RISC-V
    /// when the implementation updates A in hardware rather than faulting, Svadu vs Svade).
    pub accessed: bool,
    /// The MMU records writes in the entry itself (x86 D; aarch64 DBM with TCR_EL1.HD;
    /// RISC-V D, as for `accessed`).
    pub dirty: bool,
}

/// What a kernel provides to the shared code.
///
/// Page tables are identity-mapped physical memory: a table or frame at physical address
/// `pa` is accessed at virtual address `pa`. Every table entry above the leaf is a 64-bit
/// word.
pub trait Platform: Sync + 'static {
    /// The PTE layout of the leaf tables (the library's layout type).
    type A: Arch + CompareExchange + LockBit;

    /// What the report calls this kernel, e.g. `aarch64/6.6 on qemu virt`.
    const NAME: &'static str;

    /// The index shift of each level the walker visits, first level first, leaf last
    /// (x86_64 and aarch64 4 KiB: `[39, 30, 21, 12]`; i386 PAE and RISC-V Sv39:
    /// `[30, 21, 12]`).
    const LEVEL_SHIFTS: &'static [u32];

    /// Whether the kernel runs the fork workload of [`fork`] after each strategy's phases (a
    /// second address space built by `pte_core::fault::fork::copy_entry`; needs 2 CPUs).
    const FORK: bool = false;

    /// Base of the lazily-mapped window: 5 × 16 MiB of virtual addresses that the boot
    /// tables leave unmapped (the first-level entry may be a table already, but nothing below
    /// it is populated). Aligned to 16 MiB.
    const WINDOW: u64;

    /// The physical address of the first-level table (`TTBR0_EL1`, `CR3`'s PML4, `satp`'s
    /// root; for PAE the PDPT, whose 4 entries are loaded at `CR3` write time and must
    /// therefore be present from boot).
    fn root(&self) -> u64;

    /// The entry of level `level` (index into [`LEVEL_SHIFTS`](Self::LEVEL_SHIFTS)) that points
    /// to the next-level table at physical address `table`.
    fn table_descriptor(level: usize, table: u64) -> u64;

    /// The next-level table an entry of level `level` points to; `None` for an empty entry
    /// (the walker then populates it) or anything that is not a table entry.
    fn next_table(level: usize, entry: u64) -> Option<u64>;

    /// Makes table writes visible to the hardware walker before the faulting access is
    /// retried (aarch64: `dsb ishst; isb`; x86: nothing, the walker snoops; RISC-V:
    /// `sfence.vma`, since a hart may cache invalid entries).
    fn sync_tables(&self);

    /// Invalidates the translation of `addr` on every CPU (after an entry stopped being
    /// present, was made old, or was replaced by another page), and waits for completion.
    ///
    /// The library calls it (through `TableWalker::flush_tlb`) between the break of a
    /// copy-on-write — none under the strategy's lock, the locked-empty word, or the break
    /// marker — and the install of the copy, possibly with a spinlock held (the mm lock or a
    /// split page-table lock); the fork workload calls it with the parent's `mmap_lock` held
    /// for write. Other CPUs may be spinning on those locks inside their fault handlers with
    /// interrupts off, so the shootdown must not need them to take a maskable interrupt:
    /// x86_64 sends an NMI and the receiver acknowledges from its NMI handler; aarch64 uses
    /// the broadcast `tlbi vaae1is; dsb ish`, which completes without the other CPUs'
    /// software; RISC-V asks OpenSBI (`sbi_remote_sfence_vma`), whose M-mode IPIs S-mode
    /// cannot mask; the i386 PAE kernel has one CPU (`invlpg`).
    fn flush_tlb_page(&self, addr: u64);

    /// Invalidates the translations of the pages of `start..end` on every CPU and waits for
    /// completion, like [`flush_tlb_page`](Self::flush_tlb_page) for each (Linux's
    /// `flush_tlb_range` / `flush_tlb_mm`); a platform whose shootdown is costly overrides it
    /// with one shootdown for the range.
    fn flush_tlb_range(&self, start: u64, end: u64) {
        let mut page = start & !(PAGE_SIZE as u64 - 1);
        while page < end {
            self.flush_tlb_page(page);
            page += PAGE_SIZE as u64;
        }
    }

    /// This CPU's index, `0..cpus()`.
    fn cpu_id(&self) -> usize;

    /// The number of CPUs that call [`run`].
    fn cpus(&self) -> usize;

    /// The accessed/dirty management the kernel enabled.
    fn hardware_ad(&self) -> HardwareAd;

    /// The accessed bit as the architecture manual defines it (x86 bit 5; aarch64 AF, bit 10;
    /// RISC-V A, bit 6), independent of the library: the checks compare the library's
    /// `young()` with it.
    fn hw_young(raw: u64) -> bool;

    /// "Written since made clean" as the hardware records it (x86 D, bit 6; aarch64 DBM
    /// (bit 51) set and AP[2] (bit 7) clear; RISC-V D, bit 7): compared with the library's
    /// `dirty()`.
    fn hw_dirty(raw: u64) -> bool;

    /// Writes bytes to the serial port (called with the console lock held).
    fn write_serial(&self, bytes: &[u8]);

    /// Ends the run: exits qemu with a status that says pass or fail.
    fn exit(&self, pass: bool) -> !;
}

/// The page size of every kernel here (4 KiB granule).
pub const PAGE_SHIFT: u32 = 12;
/// Bytes per page.
pub const PAGE_SIZE: usize = 1 << PAGE_SHIFT;
/// The most CPUs the shared code keeps counters for.
pub const MAX_CPUS: usize = 8;
