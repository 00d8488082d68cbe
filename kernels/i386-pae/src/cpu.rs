//! Control registers, MSRs, CPUID and the GDT.

use core::arch::asm;
use core::arch::x86::__cpuid;

/// CR0.MP, monitor coprocessor: WAIT/FWAIT honour TS (Intel SDM Vol. 3A, 2.5).
const CR0_MP: u32 = 1 << 1;
/// CR0.EM: set would make every x87 instruction raise #NM.
const CR0_EM: u32 = 1 << 2;
/// CR0.TS: set would make the first x87 instruction raise #NM.
const CR0_TS: u32 = 1 << 3;
/// CR0.NE: report x87 errors as #MF rather than through the legacy IRQ 13.
const CR0_NE: u32 = 1 << 5;
/// CR0.WP: supervisor writes honour read-only entries (copy-on-write faults need it).
const CR0_WP: u32 = 1 << 16;
/// CR0.PG: paging on.
const CR0_PG: u32 = 1 << 31;
/// CR4.PAE: 64-bit entries, 3-level tables, PDPT at CR3 (Intel SDM Vol. 3A, 4.4).
const CR4_PAE: u32 = 1 << 5;

/// The IA32_EFER MSR (Intel SDM Vol. 4, Table 2-2).
const IA32_EFER: u32 = 0xC000_0080;
/// IA32_EFER.NXE: bit 63 of PAE entries is XD instead of reserved.
const EFER_NXE: u64 = 1 << 11;

/// CPUID leaf 1 EDX bit 6: PAE (Intel SDM Vol. 2A, CPUID, Table 3-11).
const CPUID1_EDX_PAE: u32 = 1 << 6;
/// The highest extended CPUID leaf is reported by leaf 0x8000_0000 in EAX.
const CPUID_EXT_MAX: u32 = 0x8000_0000;
/// Extended features leaf.
const CPUID_EXT_FEATURES: u32 = 0x8000_0001;
/// CPUID 0x8000_0001 EDX bit 20: execute-disable (NX) available.
const CPUID_EXT_EDX_NX: u32 = 1 << 20;

/// Flat segments, base 0 and limit 4 GiB (G = 1, D/B = 1): a ring-0 code segment
/// (type 0xA, execute/read) and a ring-0 data segment (type 0x2, read/write); Intel SDM
/// Vol. 3A, 3.4.5, Figure 3-8.
static GDT: [u64; 3] = [0, 0x00CF_9A00_0000_FFFF, 0x00CF_9200_0000_FFFF];
/// The GDT selector of the code segment (entry 1, RPL 0).
pub const KERNEL_CS: u16 = 0x08;
/// The GDT selector of the data segment (entry 2, RPL 0).
const KERNEL_DS: u16 = 0x10;

/// The operand of `lgdt`/`lidt`: 16-bit limit, 32-bit linear base (Intel SDM Vol. 3A, 3.5.1).
#[repr(C, packed)]
pub struct DescriptorTablePointer {
    /// Size of the table in bytes minus one.
    pub limit: u16,
    /// Linear address of the table.
    pub base: u32,
}

/// Loads our own GDT and reloads every segment register from it: the Multiboot
/// specification leaves the loader's GDT undefined for the kernel (0.6.96, 3.2).
pub fn load_gdt() {
    let pointer = DescriptorTablePointer {
        limit: (size_of_val(&GDT) - 1) as u16,
        base: GDT.as_ptr() as u32,
    };
    // SAFETY: the GDT is a static with flat code and data segments identical to the ones the
    // loader left in force, so every address stays the same; the far return reloads CS.
    unsafe {
        asm!(
            "lgdt [{pointer}]",
            "push {cs}",
            "lea {tmp}, [2f]",
            "push {tmp}",
            "retf",
            "2:",
            "mov ds, {ds:x}",
            "mov es, {ds:x}",
            "mov fs, {ds:x}",
            "mov gs, {ds:x}",
            "mov ss, {ds:x}",
            pointer = in(reg) &pointer,
            cs = const KERNEL_CS,
            ds = in(reg) u32::from(KERNEL_DS),
            tmp = out(reg) _,
        );
    }
}

/// Lets the x87 unit run without traps: the i586 target uses x87 instructions (e.g. `fild`/
/// `fistp` for 64-bit atomic loads), and the exception entry saves the state with `fnsave`.
pub fn init_fpu() {
    // SAFETY: only the x87 control bits of CR0 change; `fninit` resets the unit, which holds
    // no state yet.
    unsafe {
        let cr0 = read_cr0();
        write_cr0((cr0 & !(CR0_EM | CR0_TS)) | CR0_MP | CR0_NE);
        asm!("fninit", options(nomem, nostack));
    }
}

/// Whether the CPU supports PAE paging.
pub fn has_pae() -> bool {
    __cpuid(1).edx & CPUID1_EDX_PAE != 0
}

/// Whether the CPU supports execute-disable, which the library's entries set (bit 63).
pub fn has_nx() -> bool {
    __cpuid(CPUID_EXT_MAX).eax >= CPUID_EXT_FEATURES
        && __cpuid(CPUID_EXT_FEATURES).edx & CPUID_EXT_EDX_NX != 0
}

/// Makes bit 63 of PAE entries the execute-disable bit; without it every entry with NX set
/// is a reserved-bit fault.
pub fn enable_nx() {
    // SAFETY: the caller checked CPUID for NX, so EFER exists and NXE is writable; nothing
    // else in EFER changes.
    unsafe { write_msr(IA32_EFER, read_msr(IA32_EFER) | EFER_NXE) }
}

/// Turns on PAE paging with `pdpt` as the root: CR4.PAE, CR3, then CR0.PG with WP, the order
/// of Intel SDM Vol. 3A, 4.1.2 / 9.8.1.
///
/// # Safety
///
/// `pdpt` must be a 32-byte-aligned PDPT whose present entries point at valid page
/// directories that identity-map all code, data and stack in use.
pub unsafe fn enable_paging(pdpt: u32) {
    // SAFETY: per the contract, execution continues at the same addresses after CR0.PG.
    unsafe {
        asm!("mov {tmp}, cr4", "or {tmp}, {pae}", "mov cr4, {tmp}",
             tmp = out(reg) _, pae = const CR4_PAE, options(nostack));
        asm!("mov cr3, {}", in(reg) pdpt, options(nostack));
        write_cr0(read_cr0() | CR0_PG | CR0_WP);
    }
}

/// The faulting linear address of the last #PF.
pub fn read_cr2() -> u32 {
    let cr2;
    // SAFETY: reading CR2 has no side effects at CPL 0.
    unsafe { asm!("mov {}, cr2", out(reg) cr2, options(nomem, nostack, preserves_flags)) };
    cr2
}

/// Invalidates the TLB entry (and paging-structure caches) for the page of `addr`
/// (Intel SDM Vol. 3A, 4.10.4.1).
pub fn invlpg(addr: u64) {
    // SAFETY: invalidating a translation is always safe; the next access re-walks.
    unsafe { asm!("invlpg [{}]", in(reg) addr as u32, options(nostack, preserves_flags)) };
}

/// Reads CR0.
fn read_cr0() -> u32 {
    let cr0;
    // SAFETY: reading CR0 has no side effects at CPL 0.
    unsafe { asm!("mov {}, cr0", out(reg) cr0, options(nomem, nostack, preserves_flags)) };
    cr0
}

/// Writes CR0.
///
/// # Safety
///
/// The new mode must keep the running code valid.
unsafe fn write_cr0(cr0: u32) {
    // SAFETY: per the contract.
    unsafe { asm!("mov cr0, {}", in(reg) cr0, options(nostack, preserves_flags)) };
}

/// Reads a model-specific register.
///
/// # Safety
///
/// The MSR must exist on this CPU.
unsafe fn read_msr(msr: u32) -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: per the contract.
    unsafe { asm!("rdmsr", in("ecx") msr, out("eax") lo, out("edx") hi, options(nomem, nostack)) };
    u64::from(hi) << 32 | u64::from(lo)
}

/// Writes a model-specific register.
///
/// # Safety
///
/// The MSR must exist and the value must be valid for it.
unsafe fn write_msr(msr: u32, value: u64) {
    // SAFETY: per the contract.
    unsafe {
        asm!("wrmsr", in("ecx") msr, in("eax") value as u32, in("edx") (value >> 32) as u32,
             options(nostack));
    }
}
