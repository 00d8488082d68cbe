//! Which accessed/dirty management the MMU does, found out at boot by trying it.
//!
//! RISC-V leaves it to the implementation (privileged spec 20211203, 4.3.1): either the MMU
//! sets A and D itself (what the Svadu extension later named), or an access that needs them
//! set raises a page fault and software sets them (Svade). qemu 7.2, Debian 12's, has no
//! property for it (`svadu`/`svade` appeared in later versions); rather than rely on what one
//! version does, the boot hart maps one page with A and D clear, reads it and writes it, and
//! sees whether the MMU set the bits or the trap handler had to. The answer is what
//! [`Platform::hardware_ad`](pte_kernel_common::Platform::hardware_ad) reports, so the checks
//! expect the accessed/dirty faults of exactly the bits the MMU does not set.

use core::arch::asm;
use core::ptr;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use pte_kernel_common::HardwareAd;

use crate::boot::{PTE_A, PTE_D, PTE_R, PTE_V, PTE_W, ROOT, Table};
use crate::{leaf_entry, table_entry};

/// The probe's virtual address: 128 GiB, root entry 128, which nothing else uses.
const PROBE_VA: u64 = 0x20_0000_0000;

/// The probe's level-1 and leaf tables.
static PROBE_L1: Table = Table::empty();
/// See [`PROBE_L1`].
static PROBE_L0: Table = Table::empty();
/// The page the probe maps (a page of atomics, as good as any).
static PROBE_PAGE: Table = Table::empty();

/// Set while the probe runs: its page faults are [`fault`]'s.
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// Page faults taken on the probe page.
static FAULTS: AtomicU64 = AtomicU64::new(0);

/// The trap handler's first call for a page fault: `true` if it was the probe's, which is
/// then resolved as software A/D management would (A, and D for a store, set in the entry).
pub fn fault(addr: u64, write: bool) -> bool {
    if !ACTIVE.load(Ordering::Relaxed) || addr & !0xfff != PROBE_VA {
        return false;
    }
    let bits = if write { PTE_A | PTE_D } else { PTE_A };
    PROBE_L0.0[0].fetch_or(bits, Ordering::Relaxed);
    FAULTS.fetch_add(1, Ordering::Relaxed);
    flush_local();
    true
}

/// `sfence.vma` on this hart: every translation, and orders the table stores before the
/// next walk.
fn flush_local() {
    // SAFETY: a TLB fence; no memory is changed.
    unsafe { asm!("sfence.vma", options(nostack, preserves_flags)) }
}

/// Maps the probe page with A and D clear, reads it, writes it, unmaps it: what the MMU
/// did itself. The boot hart, once, with no other hart started.
pub fn hardware_ad() -> HardwareAd {
    let leaf = &PROBE_L0.0[0];
    let page = PROBE_PAGE.0.as_ptr() as u64;
    leaf.store(leaf_entry(page, PTE_V | PTE_R | PTE_W), Ordering::Relaxed);
    PROBE_L1.0[0].store(table_entry(PROBE_L0.0.as_ptr() as u64), Ordering::Relaxed);
    let root = &ROOT.0[(PROBE_VA >> 30) as usize];
    root.store(table_entry(PROBE_L1.0.as_ptr() as u64), Ordering::Relaxed);
    ACTIVE.store(true, Ordering::Relaxed);
    flush_local();
    let va = PROBE_VA as usize as *mut u64;
    // SAFETY: PROBE_VA maps PROBE_PAGE, which nothing else uses; a fault on it is resolved
    // by `fault`.
    let _ = unsafe { ptr::read_volatile(va) };
    let read_faults = FAULTS.load(Ordering::Relaxed);
    let accessed = read_faults == 0 && leaf.load(Ordering::Relaxed) & PTE_A != 0;
    // SAFETY: as above.
    unsafe { ptr::write_volatile(va, 1) };
    let dirty =
        FAULTS.load(Ordering::Relaxed) == read_faults && leaf.load(Ordering::Relaxed) & PTE_D != 0;
    root.store(0, Ordering::Relaxed);
    flush_local();
    ACTIVE.store(false, Ordering::Relaxed);
    HardwareAd { accessed, dirty }
}
