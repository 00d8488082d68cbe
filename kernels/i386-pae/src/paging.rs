//! The boot page tables: PAE paging (Intel SDM Vol. 3A, 4.4) with an identity map of the
//! first GiB in 2 MiB pages and an empty page directory under the window.

use pte_kernel_common::x86::{PTE_ACCESSED, PTE_DIRTY};

/// P, present (bit 0 of every PAE entry; Intel SDM Vol. 3A, Tables 4-8 to 4-11).
const PRESENT: u64 = 1 << 0;
/// R/W: writes allowed (page directory entries).
const WRITABLE: u64 = 1 << 1;
/// U/S: user accesses allowed. x86 ANDs U/S over all levels and the library's leaf entries
/// are user pages, so the tables above them must allow user access too.
const USER: u64 = 1 << 2;
/// PS in a page directory entry: the entry maps a 2 MiB page (Table 4-9).
const PAGE_SIZE_2M: u64 = 1 << 7;
/// The physical-address field of PAE entries: bits 51:12 (the CPU's MAXPHYADDR may be less;
/// the bits above it are then reserved and zero in anything we build).
const ADDRESS_MASK: u64 = 0x000F_FFFF_FFFF_F000;

/// The window the shared workload faults in: PDPT entry 2 (bits 31:30 = 0b10).
pub const WINDOW: u64 = 0x8000_0000;
/// PDPT index of the identity map.
const IDENTITY_SLOT: usize = 0;
/// PDPT index of the window.
const WINDOW_SLOT: usize = (WINDOW >> 30) as usize;
/// Bytes one page directory entry maps with PS set.
const LARGE_PAGE: u64 = 1 << 21;

/// 512 64-bit entries of a page directory (4 KiB, page aligned).
#[repr(C, align(4096))]
struct PageDirectory([u64; 512]);

/// The 4 PDPT entries: CR3 holds its address, which must be 32-byte aligned
/// (Intel SDM Vol. 3A, 4.4.1).
#[repr(C, align(32))]
struct Pdpt([u64; 4]);

/// The root. Written once before paging is on; the walker only reads it.
static mut PDPT: Pdpt = Pdpt([0; 4]);
/// Maps 0 .. 1 GiB (kernel image, stack, frame pool) with 2 MiB pages.
static mut IDENTITY_PD: PageDirectory = PageDirectory([0; 512]);
/// The window's page directory, empty at boot: the shared walker fills it with page-table
/// entries (`table_descriptor(1, ..)`) as faults arrive. It must exist from boot because
/// the CPU loads the four PDPT entries into registers when CR3 is written (4.4.1).
static mut WINDOW_PD: PageDirectory = PageDirectory([0; 512]);

/// The physical (= virtual) address of the PDPT.
pub fn pdpt_address() -> u64 {
    (&raw const PDPT) as u64
}

/// The entry of level `level` pointing at `table`.
///
/// Level 0 is a PDPT entry: in PAE mode bits 1, 2 and 5-8 are reserved (Table 4-8), so only
/// P is set. Level 1 is a page directory entry referencing a page table (Table 4-10).
pub fn table_descriptor(level: usize, table: u64) -> u64 {
    match level {
        0 => table | PRESENT,
        _ => table | PRESENT | WRITABLE | USER,
    }
}

/// The table an entry of level `level` points to: `None` if not present, or if it is a page
/// directory entry mapping a 2 MiB page.
pub fn next_table(level: usize, entry: u64) -> Option<u64> {
    let is_large = level == 1 && entry & PAGE_SIZE_2M != 0;
    (entry & PRESENT != 0 && !is_large).then_some(entry & ADDRESS_MASK)
}

/// Builds the tables and turns paging on.
pub fn enable() {
    let identity = (&raw const IDENTITY_PD) as u64;
    let window = (&raw const WINDOW_PD) as u64;
    // SAFETY: runs once, on the only CPU, before paging and before anything else refers to
    // the tables; the writes go through raw pointers, no reference to a `static mut` exists.
    unsafe {
        let pd = &raw mut IDENTITY_PD;
        for (i, base) in (0..512u64).map(|i| (i as usize, i * LARGE_PAGE)) {
            // A and D preset: the CPU would set them on first use anyway.
            (*pd).0[i] = base | PRESENT | WRITABLE | PAGE_SIZE_2M | PTE_ACCESSED | PTE_DIRTY;
        }
        let pdpt = &raw mut PDPT;
        (*pdpt).0[IDENTITY_SLOT] = table_descriptor(0, identity);
        (*pdpt).0[WINDOW_SLOT] = table_descriptor(0, window);
        // SAFETY: the identity map covers the first GiB, which holds the whole image (linked
        // at 1 MiB, see link.ld); the PDPT is 32-byte aligned by its type.
        crate::cpu::enable_paging(pdpt_address() as u32);
    }
}
