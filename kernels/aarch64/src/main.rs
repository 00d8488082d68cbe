//! The aarch64 example kernel under qemu `-M virt -smp 4`, with the MMU setting the Access
//! flag and the dirty state (FEAT_HAFDBS) itself when the CPU has it, in one of two
//! translation regimes chosen at boot from the CPU's features, as Linux does with
//! `CONFIG_ARM64_LPA2`:
//!
//! * with FEAT_LPA2 (qemu `-cpu max`): TCR_EL1.DS = 1, 52-bit output addresses, and pte's
//!   `aarch64-lpa2/6.18` layout, whose entries keep output address bits 51:50 in bits 9:8;
//!   before the workload a probe (`probe_lpa2`) has the MMU translate an entry the library
//!   built for a PFN with both of those bits set (`AT S1E1R`) and checks the physical address
//!   it reports;
//! * without (`-cpu max,lpa2=off`, `-cpu cortex-a57`): DS = 0, 48-bit output addresses, and
//!   `aarch64/6.6`.
//!
//! [`boot`] takes each CPU from reset to Rust at EL1 with the MMU on, [`exceptions`] sends
//! data aborts to [`page_fault`]; the rest is [`pte_kernel_common::run`], for the platform
//! of the regime in force ([`Virt<Vmsa48>`](Vmsa48) or [`Virt<Lpa2>`](Lpa2)).
#![no_std]
#![no_main]

mod boot;
mod exceptions;

use core::arch::asm;
use core::marker::PhantomData;
use core::panic::PanicInfo;
use core::ptr;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use arch_aarch64::{Aarch64_6_6, Aarch64_6_18, Aarch64Lpa2_6_18};
use pte_core::{Arch, CompareExchange, LockBit, Pte};
use pte_kernel_common::{HardwareAd, Platform, panic_report, run, say};

use boot::{
    CPUS, DESC_ADDR_HIGH_LPA2, DESC_ADDR_HIGH_SHIFT_LPA2, DESC_ADDR_MASK, DESC_ADDR_MASK_LPA2,
    DESC_TABLE, MMFR0_TGRAN4_SHIFT, MPIDR_AFF0_MASK, PARANGE_52, PROBE_VA, TCR_DS, TCR_HA, TCR_HD,
};

unsafe extern "C" {
    /// The level-0 boot table for TCR_EL1.DS = 0 (`boot.rs`).
    static BOOT_L0: [u64; 512];
    /// The level-0 boot table for TCR_EL1.DS = 1 (`boot.rs`).
    static BOOT_L0_LPA2: [u64; 512];
    /// The leaf table of the LPA2 probe's page (`boot.rs`), empty but while the probe runs.
    static mut BOOT_L3_PROBE: [u64; 512];
    /// Where PSCI CPU_ON starts a secondary CPU (`boot.rs`), with the MMU off.
    fn secondary_start() -> !;
}

/// qemu virt's PL011 UART (hw/arm/virt.c `VIRT_UART`).
const UART_BASE: usize = 0x0900_0000;
/// UARTDR, the data register (PL011 TRM, 3.3.1).
const UART_DR: usize = 0x00;
/// UARTFR, the flag register (PL011 TRM, 3.3.3).
const UART_FR: usize = 0x18;
/// UARTFR.TXFF, bit 5: the transmit FIFO is full.
const UART_FR_TXFF: u32 = 1 << 5;

/// PSCI 0.2+ CPU_ON, SMC64 function ID (Arm DEN 0022, 5.1.4).
const PSCI_CPU_ON_64: u64 = 0xc400_0003;
/// PSCI 0.2+ SYSTEM_OFF, SMC32 function ID (Arm DEN 0022, 5.1.9): qemu powers the machine
/// off and exits with status 0.
const PSCI_SYSTEM_OFF: u64 = 0x8400_0008;
/// PSCI return code SUCCESS (Arm DEN 0022, "Return error codes").
const PSCI_SUCCESS: u64 = 0;

/// Semihosting SYS_EXIT (Arm semihosting spec, 6.5.2).
const SYS_EXIT: u64 = 0x18;
/// ADP_Stopped_ApplicationExit: SYS_EXIT's reason for a normal end with an exit code.
const ADP_STOPPED_APPLICATION_EXIT: u64 = 0x20026;

/// Descriptor AF, bit 10 (Arm ARM D8.3, lower attributes).
const PTE_AF: u64 = 1 << 10;
/// Descriptor AP[2], bit 7: read-only when set (Arm ARM D8.4, data access permissions).
const PTE_AP2_RDONLY: u64 = 1 << 7;
/// Descriptor DBM, bit 51: writes clear AP[2] in hardware under TCR_EL1.HD (Arm ARM D8.4.6).
const PTE_DBM: u64 = 1 << 51;

/// What differs between the two translation regimes: the library's layout, the boot tables
/// and where a table descriptor keeps its address.
pub trait Regime: Sync + 'static {
    /// The layout of the leaf entries.
    type A: Arch + CompareExchange + LockBit;
    /// The platform's name in the report.
    const NAME: &'static str;
    /// The level-0 boot table of the regime.
    fn root() -> u64;
    /// The address field of a table descriptor pointing at the table at `table`.
    fn address_bits(table: u64) -> u64;
    /// The next-level table address of a table descriptor.
    fn table_address(entry: u64) -> u64;
}

/// TCR_EL1.DS = 0: 48-bit output addresses, layout `aarch64/6.6`.
pub struct Vmsa48;

impl Regime for Vmsa48 {
    type A = Aarch64_6_6;
    const NAME: &'static str = "aarch64/6.6 on qemu virt";
    fn root() -> u64 {
        (&raw const BOOT_L0) as u64
    }
    fn address_bits(table: u64) -> u64 {
        table & DESC_ADDR_MASK
    }
    fn table_address(entry: u64) -> u64 {
        entry & DESC_ADDR_MASK
    }
}

/// TCR_EL1.DS = 1 (FEAT_LPA2): 52-bit output addresses, bits 51:50 in descriptor bits 9:8;
/// layout `aarch64-lpa2/6.18`.
pub struct Lpa2;

impl Regime for Lpa2 {
    type A = Aarch64Lpa2_6_18;
    const NAME: &'static str = "aarch64-lpa2/6.18 on qemu virt (FEAT_LPA2, TCR_EL1.DS = 1)";
    fn root() -> u64 {
        (&raw const BOOT_L0_LPA2) as u64
    }
    fn address_bits(table: u64) -> u64 {
        (table & DESC_ADDR_MASK_LPA2) | ((table >> DESC_ADDR_HIGH_SHIFT_LPA2) & DESC_ADDR_HIGH_LPA2)
    }
    fn table_address(entry: u64) -> u64 {
        (entry & DESC_ADDR_MASK_LPA2) | ((entry & DESC_ADDR_HIGH_LPA2) << DESC_ADDR_HIGH_SHIFT_LPA2)
    }
}

/// qemu virt with the identity map of `boot.rs`, in regime `R`.
pub struct Virt<R>(PhantomData<R>);

/// The platform with TCR_EL1.DS = 0 (also used by the panic and exception reports, which
/// need only the serial port, the CPU id and the exit).
pub static PLATFORM: Virt<Vmsa48> = Virt(PhantomData);

/// The platform with TCR_EL1.DS = 1.
pub static PLATFORM_LPA2: Virt<Lpa2> = Virt(PhantomData);

/// Whether the boot code turned LPA2 on: TCR_EL1.DS, as Linux 6.18's `lpa2_is_enabled()`
/// reads it (6.18.35 `arch/arm64/include/asm/pgtable-prot.h` 87–90).
pub fn lpa2_enabled() -> bool {
    let tcr: u64;
    // SAFETY: reading TCR_EL1 has no side effects.
    unsafe { asm!("mrs {}, tcr_el1", out(reg) tcr, options(nomem, nostack, preserves_flags)) }
    tcr & TCR_DS != 0
}

/// The data-abort handler's call: the shared page-fault handler on the regime in force.
pub fn page_fault(addr: u64, write: bool) -> bool {
    if lpa2_enabled() {
        pte_kernel_common::page_fault(&PLATFORM_LPA2, addr, write)
    } else {
        pte_kernel_common::page_fault(&PLATFORM, addr, write)
    }
}

impl<R: Regime> Platform for Virt<R> {
    type A = R::A;

    const NAME: &'static str = R::NAME;

    /// 4 KB granule, 48-bit VA: levels 0–3 (also with TCR_EL1.DS = 1, where T0SZ = 16 still
    /// starts the walk at level 0; Linux would use 52-bit VAs and 5 levels there, the entries
    /// are the same).
    const LEVEL_SHIFTS: &'static [u32] = &[39, 30, 21, 12];

    /// The fork workload runs here (`pte_kernel_common::fork`), with and without FEAT_HAFDBS
    /// and FEAT_LPA2.
    const FORK: bool = true;

    /// 64 GiB: L0 entry 0 (the boot L1 table), L1 entry 64, which the boot tables leave
    /// empty.
    const WINDOW: u64 = 0x10_0000_0000;

    fn root(&self) -> u64 {
        R::root()
    }

    fn table_descriptor(_level: usize, table: u64) -> u64 {
        R::address_bits(table) | DESC_TABLE
    }

    fn next_table(_level: usize, entry: u64) -> Option<u64> {
        (entry & 0b11 == DESC_TABLE).then_some(R::table_address(entry))
    }

    fn sync_tables(&self) {
        // SAFETY: barriers only: the table stores complete before the walker's next look.
        unsafe { asm!("dsb ishst", "isb", options(nostack, preserves_flags)) }
    }

    fn flush_tlb_page(&self, addr: u64) {
        // TLBI VAAE1IS takes VA[55:12] in bits[43:0] (Arm ARM C5.5, TLBI VAAE1IS): every
        // ASID, every CPU of the Inner Shareable domain.
        // SAFETY: TLB maintenance and barriers; no memory is changed.
        unsafe {
            asm!(
                "dsb ishst",
                "tlbi vaae1is, {page}",
                "dsb ish",
                "isb",
                page = in(reg) addr >> 12,
                options(nostack, preserves_flags)
            )
        }
    }

    fn cpu_id(&self) -> usize {
        let mpidr: u64;
        // SAFETY: reading MPIDR_EL1 has no side effects.
        unsafe {
            asm!("mrs {}, mpidr_el1", out(reg) mpidr, options(nomem, nostack, preserves_flags))
        }
        (mpidr & MPIDR_AFF0_MASK) as usize
    }

    fn cpus(&self) -> usize {
        CPUS
    }

    fn hardware_ad(&self) -> HardwareAd {
        let tcr: u64;
        // SAFETY: reading TCR_EL1 has no side effects.
        unsafe { asm!("mrs {}, tcr_el1", out(reg) tcr, options(nomem, nostack, preserves_flags)) }
        HardwareAd {
            accessed: tcr & TCR_HA != 0,
            dirty: tcr & TCR_HD != 0,
        }
    }

    fn hw_young(raw: u64) -> bool {
        raw & PTE_AF != 0
    }

    fn hw_dirty(raw: u64) -> bool {
        raw & PTE_DBM != 0 && raw & PTE_AP2_RDONLY == 0
    }

    fn write_serial(&self, bytes: &[u8]) {
        let fr = (UART_BASE + UART_FR) as *const u32;
        let dr = (UART_BASE + UART_DR) as *mut u32;
        for &b in bytes {
            // SAFETY: the PL011's registers, identity-mapped as Device memory by `boot.rs`.
            unsafe {
                while ptr::read_volatile(fr) & UART_FR_TXFF != 0 {}
                ptr::write_volatile(dr, u32::from(b));
            }
        }
    }

    fn exit(&self, pass: bool) -> ! {
        // Without `-semihosting`, HLT is UNDEFINED at EL1 (Arm ARM C6.2 "HLT": halting is
        // not allowed without an external debugger), so the call below raises an exception
        // whose report ends here again: the guard sends that second call (on this CPU)
        // straight to the power-off.
        if !EXITING[self.cpu_id()].swap(true, Ordering::Relaxed) {
            let block = [ADP_STOPPED_APPLICATION_EXIT, u64::from(!pass)];
            // SAFETY: the semihosting call (HLT #0xF000 in AArch64, semihosting spec 2.2)
            // only reads the parameter block; qemu `-semihosting` ends the process with
            // the exit code.
            unsafe {
                asm!(
                    "hlt #0xf000",
                    in("x0") SYS_EXIT,
                    in("x1") block.as_ptr(),
                    options(nostack, readonly)
                )
            }
        }
        // No semihosting: stop the VM through PSCI. qemu then exits with status 0 whatever
        // `pass` says; the xtask still tells a failure by the missing `PTE-KERNEL PASS`.
        psci_call(conduit(), PSCI_SYSTEM_OFF, 0, 0, 0);
        // SYSTEM_OFF does not return (Arm DEN 0022, 5.1.9); if a firmware did, stop here.
        loop {
            // SAFETY: waits for an event; no state changes.
            unsafe { asm!("wfe", options(nomem, nostack, preserves_flags)) }
        }
    }
}

/// Set by [`Platform::exit`] on the CPU that calls it: a second call on the same CPU (from
/// the exception the semihosting call raises without `-semihosting`) skips semihosting.
/// Per CPU, so that two CPUs failing at once both report their status through semihosting.
static EXITING: [AtomicBool; CPUS] = [const { AtomicBool::new(false) }; CPUS];

/// Whether PSCI is called with SMC (kernel entered at EL2), else HVC; set by the boot CPU.
static PSCI_SMC: AtomicBool = AtomicBool::new(false);

/// The PSCI conduit recorded by [`boot_main`].
fn conduit() -> Conduit {
    if PSCI_SMC.load(Ordering::Relaxed) {
        Conduit::Smc
    } else {
        Conduit::Hvc
    }
}

/// How PSCI is called: qemu virt uses HVC when it starts the kernel at EL1 and SMC when
/// it starts it at EL2 (`virtualization=on`), where HVC would trap to the kernel itself.
/// (Arm DEN 0022, "Conduits"; the SMC Calling Convention, Arm DEN 0028.)
#[derive(Clone, Copy)]
enum Conduit {
    /// `HVC #0`: the hypervisor call, taken by qemu's built-in PSCI when EL2 is absent.
    Hvc,
    /// `SMC #0`: the secure monitor call, for a kernel that qemu started at EL2.
    Smc,
}

/// Calls PSCI function `function` with arguments x1–x3; returns x0.
fn psci_call(conduit: Conduit, function: u64, a1: u64, a2: u64, a3: u64) -> u64 {
    let mut ret = function;
    // SAFETY: the callers pass PSCI functions that touch no memory of this kernel (CPU_ON
    // starts a CPU at an entry point of the image, SYSTEM_OFF stops the machine); the SMC
    // Calling Convention lets the firmware clobber x0–x17 (clobber_abi("C") covers them).
    unsafe {
        match conduit {
            Conduit::Hvc => asm!(
                "hvc #0",
                inout("x0") ret, in("x1") a1, in("x2") a2, in("x3") a3,
                clobber_abi("C"), options(nostack)
            ),
            Conduit::Smc => asm!(
                "smc #0",
                inout("x0") ret, in("x1") a1, in("x2") a2, in("x3") a3,
                clobber_abi("C"), options(nostack)
            ),
        }
    }
    ret
}

/// Starts CPU `cpu` (MPIDR_EL1.Aff0) at `secondary_start` with the MMU off, through PSCI
/// CPU_ON (context id 0).
fn cpu_on(conduit: Conduit, cpu: u64) -> u64 {
    let entry = secondary_start as *const () as u64;
    psci_call(conduit, PSCI_CPU_ON_64, cpu, entry, 0)
}

/// The boot CPU, from `_start` at EL1 with the MMU on and .bss zeroed; `boot_el` is the
/// exception level qemu entered the kernel at.
extern "C" fn boot_main(boot_el: u64) -> ! {
    PSCI_SMC.store(boot_el == 2, Ordering::Relaxed);
    report_lpa2();
    if lpa2_enabled() && !probe_lpa2() {
        PLATFORM.exit(false)
    }
    let conduit = conduit();
    for cpu in 1..CPUS as u64 {
        let ret = cpu_on(conduit, cpu);
        assert_eq!(ret, PSCI_SUCCESS, "PSCI CPU_ON of cpu {cpu} failed");
    }
    start()
}

/// A secondary CPU, from `secondary_start` at EL1 with the MMU on.
extern "C" fn secondary_main() -> ! {
    start()
}

/// The shared code, on the platform of the regime `boot.rs` chose (the same on every CPU:
/// they all read the same ID register).
fn start() -> ! {
    if lpa2_enabled() {
        run(&PLATFORM_LPA2)
    } else {
        run(&PLATFORM)
    }
}

/// ID_AA64MMFR0_EL1.
fn mmfr0() -> u64 {
    let v: u64;
    // SAFETY: reading an ID register has no side effects.
    unsafe {
        asm!("mrs {}, id_aa64mmfr0_el1", out(reg) v, options(nomem, nostack, preserves_flags))
    }
    v
}

/// The boot probe's line: whether the CPU has FEAT_LPA2 with the 4 KB granule and which
/// regime the boot code chose.
fn report_lpa2() {
    let m = mmfr0();
    // TGran4 is a signed field: 0b1111 (-1) is "not implemented".
    let tgran4 = ((m << (60 - MMFR0_TGRAN4_SHIFT)) as i64) >> 60;
    let parange = m & 0xf;
    let (has, regime) = if lpa2_enabled() {
        ("present", "TCR_EL1.DS = 1, layout aarch64-lpa2/6.18")
    } else {
        ("absent", "TCR_EL1.DS = 0, layout aarch64/6.6")
    };
    say!(
        &PLATFORM,
        "FEAT_LPA2 (4 KB granule): {has} (ID_AA64MMFR0_EL1 {m:#018x}: TGran4 {tgran4}, \
         PARange {parange:#x}); {regime}"
    );
}

/// The LPA2 probe (boot CPU, before the workload): the library builds a present entry for a
/// PFN with both output address bits 51:50 set (PA 3 << 50 and up), the kernel stores it in
/// the probe's leaf table, and `AT S1E1R` asks the MMU for the physical address it maps.
/// It must be the library's PFN: the MMU reads bits 9:8 as address bits 51:50, as
/// `aarch64-lpa2/6.18` does; `aarch64/6.18` would read another PFN out of the same word
/// (bits 9:8 are its shareability field) and refuses to encode this one. The negative
/// control: an `aarch64/6.6` entry (whose protections set `PTE_SHARED`, bits 9:8) for a low
/// PFN translates, under DS = 1, to an address 3 << 50 higher. Nothing is accessed at these
/// addresses (there is no memory there); the entry is removed again.
fn probe_lpa2() -> bool {
    type L = Aarch64Lpa2_6_18;
    let p = &PLATFORM_LPA2;
    let parange = mmfr0() & 0xf;
    if parange < PARANGE_52 {
        say!(
            p,
            "LPA2 probe: PARange {parange:#x} is below 52 bits; cannot probe PA[51:50]"
        );
        return false;
    }
    let low: u64 = 0x1_2345;
    let pfn: u64 = 3 << 38 | low;
    let Ok(pte) = Pte::<L>::with_prot(pfn, <L as Arch>::LAYOUT.page_readonly) else {
        say!(p, "LPA2 probe: the library refused PFN {pfn:#x}");
        return false;
    };
    let par = translate(pte.raw());
    // PAR_EL1 (Arm ARM D19.2): F, bit 0, set on a fault (FST in bits 6:1); PA in bits 51:12
    // with FEAT_LPA / FEAT_LPA2.
    let pa = par & 0x000f_ffff_ffff_f000;
    let ok = par & 1 == 0 && pa == pfn << 12 && pte.pfn() == Some(pfn);
    // The same word read as aarch64/6.18 (0 if it were not present there: it is).
    let old_pfn = Pte::<Aarch64_6_18>::from_raw(pte.raw())
        .ok()
        .and_then(Pte::pfn)
        .unwrap_or(0);
    let refused = Pte::<Aarch64_6_18>::with_prot(pfn, 0).is_err();
    say!(
        p,
        "LPA2 probe: entry {:#018x} for PFN {pfn:#x} (bits 9:8 = {:#b}); AT S1E1R {PROBE_VA:#x}: \
         PAR_EL1 {par:#018x}, PA {pa:#x}{}; aarch64/6.18 reads PFN {old_pfn:#x} from the same \
         word{}",
        pte.raw(),
        (pte.raw() >> 8) & 0b11,
        if ok {
            " = PFN << 12"
        } else {
            ", NOT the library's PFN"
        },
        if refused {
            " and refuses to encode this PFN"
        } else {
            " and ENCODES this PFN"
        },
    );
    // Negative control: the 48-bit layout's entry for the low PFN, `PTE_SHARED` included.
    let Ok(old) = Pte::<Aarch64_6_6>::with_prot(low, arch_aarch64::LAYOUT_6_6.page_readonly) else {
        say!(p, "LPA2 probe: aarch64/6.6 refused PFN {low:#x}");
        return false;
    };
    let par_old = translate(old.raw());
    let pa_old = par_old & 0x000f_ffff_ffff_f000;
    let control = par_old & 1 == 0 && pa_old == (3 << 50 | low << 12);
    say!(
        p,
        "LPA2 probe, control: aarch64/6.6 entry {:#018x} for PFN {low:#x} (PTE_SHARED in bits \
         9:8); AT S1E1R: PA {pa_old:#x}{}",
        old.raw(),
        if control {
            ", its shareability bits read as PA[51:50] under DS = 1"
        } else {
            ", NOT what the architecture says (PFN << 12 | 3 << 50)"
        }
    );
    ok && refused && control
}

/// Stores `word` in the LPA2 probe's leaf entry, has the MMU translate [`PROBE_VA`] for an
/// EL1 read (`AT S1E1R`), removes the entry again and returns PAR_EL1.
fn translate(word: u64) -> u64 {
    let entry: *mut u64 = (&raw mut BOOT_L3_PROBE).cast();
    // SAFETY: `BOOT_L3_PROBE` is a leaf table of the `BOOT_L0_LPA2` tables (the ones in
    // TTBR0_EL1), 4096-aligned, touched only here, on the boot CPU, before any other CPU
    // runs; the MMU reads it only for the `AT` below.
    let slot = unsafe { AtomicU64::from_ptr(entry) };
    slot.store(word, Ordering::Release);
    let par: u64;
    // SAFETY: barriers, an address translation (no memory access at the output address) and
    // a read of PAR_EL1.
    unsafe {
        asm!(
            "dsb ishst",
            "isb",
            "at s1e1r, {va}",
            "isb",
            "mrs {par}, par_el1",
            va = in(reg) PROBE_VA,
            par = out(reg) par,
            options(nostack, preserves_flags)
        )
    }
    slot.store(0, Ordering::Release);
    PLATFORM_LPA2.flush_tlb_page(PROBE_VA);
    par
}

#[panic_handler]
fn panic(info: &PanicInfo<'_>) -> ! {
    panic_report(&PLATFORM, info)
}
