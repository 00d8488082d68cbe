//! From reset to Rust: the EL2 → EL1 drop, the boot page tables, the MMU, the stacks.
//!
//! Everything before the MMU is on is register-only assembly: with the MMU off, data
//! accesses are Device-nGnRnE and bypass the caches, so nothing is written to memory until
//! the translation regime (and with it Normal write-back memory) is in place. The boot
//! tables are therefore static data assembled into the image, not built at run time.
//!
//! Two translation regimes, chosen by every CPU in `boot_mmu_on` from ID_AA64MMFR0_EL1:
//!
//! * **FEAT_LPA2 with the 4 KB granule** (`TGran4` = 0b0001): TCR_EL1.DS = 1, IPS up to 52
//!   bits, the `BOOT_L0_LPA2` tables. With DS set, bits 9:8 of a block or page descriptor are
//!   output address bits 51:50, not the shareability field (which then comes from
//!   TCR_EL1.SH0), so these tables leave them 0 — what Linux does for its own tables
//!   (`remap_idmap_for_lpa2()`, 6.18.35 `arch/arm64/kernel/pi/map_kernel.c` 165–175: "clear
//!   bits \[9:8\] in all block or page descriptors … as otherwise they will be
//!   (mis)interpreted as physical address bits once we flick the LPA2 switch (TCR.DS)"). The
//!   library's layout is then `aarch64-lpa2/6.18`.
//! * **Otherwise**: DS = 0, IPS up to 48 bits, the `BOOT_L0` tables (Inner Shareable blocks),
//!   and the layout `aarch64/6.6`.
//!
//! Like Linux's `lpa2_is_enabled()`, the Rust side reads which one is in force from
//! TCR_EL1.DS ([`crate::lpa2_enabled`]). qemu 7.2's `-cpu max` has FEAT_LPA2 (TGran4 = 1,
//! PARange 52 bits); `-cpu max,lpa2=off` and `-cpu cortex-a57` do not. (That DS moves the
//! shareability of the mapped memory to TCR_EL1.SH0 is the Arm ARM's rule as remembered,
//! not re-read here; qemu does not model shareability, so a boot cannot show it.)

use core::arch::global_asm;
use core::cell::UnsafeCell;

/// The CPUs this kernel starts (qemu `-smp 4`).
pub const CPUS: usize = 4;

/// Bytes of stack per CPU.
const STACK_SIZE: usize = 64 * 1024;

/// One stack per CPU, indexed by MPIDR_EL1.Aff0; written only through `sp`. A CPU whose
/// affinity is outside `Aff0 < CPUS, Aff1 = Aff2 = Aff3 = 0` parks in `boot_stack` before
/// touching it.
#[repr(C, align(16))]
struct Stacks(UnsafeCell<[[u8; STACK_SIZE]; CPUS]>);

// SAFETY: each CPU uses only its own stack, reached through `sp`, never through a reference.
unsafe impl Sync for Stacks {}

static STACKS: Stacks = Stacks(UnsafeCell::new([[0; STACK_SIZE]; CPUS]));

// --- Translation table descriptors (Arm ARM DDI 0487, D8.3 "Translation table descriptor
// formats", VMSAv8-64 4 KB granule). ---

/// Descriptor bits[1:0] = 0b01: a block descriptor at level 1 (1 GiB with a 4 KB granule).
const DESC_BLOCK: u64 = 0b01;
/// Descriptor bits[1:0] = 0b11: a table descriptor at levels 0–2.
pub const DESC_TABLE: u64 = 0b11;
/// Lower attributes AttrIndx, bits[4:2]: index into MAIR_EL1.
const ATTR_INDX_SHIFT: u32 = 2;
/// Lower attributes SH, bits[9:8] = 0b11: Inner Shareable.
const SH_INNER: u64 = 0b11 << 8;
/// Lower attributes AF, bit 10: set, so the identity map never takes an Access flag fault.
const AF: u64 = 1 << 10;
/// Upper attributes PXN, bit 53: privileged execute-never.
const PXN: u64 = 1 << 53;
/// Upper attributes UXN, bit 54: unprivileged execute-never.
const UXN: u64 = 1 << 54;
/// Output address bits[47:12] of a table descriptor (TCR_EL1.DS = 0).
pub const DESC_ADDR_MASK: u64 = 0x0000_ffff_ffff_f000;
/// With TCR_EL1.DS = 1: next-level table address bits[49:12] in descriptor bits[49:12] …
pub const DESC_ADDR_MASK_LPA2: u64 = 0x0003_ffff_ffff_f000;
/// … and bits[51:50] in descriptor bits[9:8] (Arm ARM D8.3, 52-bit output addresses with the
/// 4 KB granule).
pub const DESC_ADDR_HIGH_LPA2: u64 = 0b11 << 8;
/// Where [`DESC_ADDR_HIGH_LPA2`] moves to in the address: bits 9:8 hold address bits 51:50.
pub const DESC_ADDR_HIGH_SHIFT_LPA2: u32 = 42;

// --- MAIR_EL1 (Arm ARM D19.2 "MAIR_EL1"). ---

/// The MAIR index of Normal memory; the library's leaf entries use AttrIndx 0 (MT_NORMAL).
const MAIR_IDX_NORMAL: u64 = 0;
/// The MAIR index of Device memory (the PL011 and the rest of the low GiB).
const MAIR_IDX_DEVICE: u64 = 1;
/// Attr0 = 0xFF: Normal, Inner and Outer Write-Back Non-transient, Read- and
/// Write-Allocate. Attr1 = 0x00: Device-nGnRnE.
const MAIR: u64 = 0xff << (8 * MAIR_IDX_NORMAL) | 0x00 << (8 * MAIR_IDX_DEVICE);

/// qemu virt's RAM base (hw/arm/virt.c `VIRT_MEM`); its 1 GiB block is L1 entry 1.
const RAM_BASE: u64 = 0x4000_0000;

/// L1 entry 0: PA 0..1 GiB, qemu virt's devices (the PL011 at 0x0900_0000), Device-nGnRnE,
/// never executable.
const DEVICE_BLOCK: u64 = DESC_BLOCK | MAIR_IDX_DEVICE << ATTR_INDX_SHIFT | AF | PXN | UXN;
/// L1 entry 1: PA 1..2 GiB, RAM and the kernel image, Normal WB Inner Shareable, EL1 RW
/// (AP[2:1] = 0b00) and executable at EL1.
const RAM_BLOCK: u64 =
    RAM_BASE | DESC_BLOCK | MAIR_IDX_NORMAL << ATTR_INDX_SHIFT | SH_INNER | AF | UXN;
/// [`RAM_BLOCK`] for TCR_EL1.DS = 1: bits 9:8 are output address bits 51:50 (0 here); the
/// memory is Inner Shareable through TCR_EL1.SH0.
const RAM_BLOCK_LPA2: u64 = RAM_BLOCK & !SH_INNER;
/// The LPA2 probe's page: VA 2 GiB, L1 entry 2 → `BOOT_L2_PROBE` entry 0 → `BOOT_L3_PROBE`
/// entry 0. Only the `BOOT_L0_LPA2` tables map it, and only while the probe runs
/// ([`crate::probe_lpa2`]); nothing is ever accessed there (AT S1E1R translates only).
pub const PROBE_VA: u64 = 0x8000_0000;

// --- TCR_EL1 (Arm ARM D19.2 "TCR_EL1"). ---

/// T0SZ, bits[5:0] = 16: a 48-bit TTBR0 region, walked from level 0.
const TCR_T0SZ: u64 = 16;
/// IRGN0, bits[9:8] = 0b01: table walks are Inner Write-Back Read/Write-Allocate.
const TCR_IRGN0_WBWA: u64 = 0b01 << 8;
/// ORGN0, bits[11:10] = 0b01: table walks are Outer Write-Back Read/Write-Allocate.
const TCR_ORGN0_WBWA: u64 = 0b01 << 10;
/// SH0, bits[13:12] = 0b11: table walks are Inner Shareable (TG0, bits[15:14] = 0: 4 KB).
const TCR_SH0_INNER: u64 = 0b11 << 12;
/// EPD1, bit 23: no walks through TTBR1_EL1 (the kernel uses only the lower half).
const TCR_EPD1: u64 = 1 << 23;
/// TG1, bits[31:30] = 0b10: 4 KB (0b00 is reserved, even with EPD1 set).
const TCR_TG1_4K: u64 = 0b10 << 30;
/// The fixed part of TCR_EL1; IPS, HA and HD are added from the ID registers at boot.
const TCR_BASE: u64 =
    TCR_T0SZ | TCR_IRGN0_WBWA | TCR_ORGN0_WBWA | TCR_SH0_INNER | TCR_EPD1 | TCR_TG1_4K;
/// IPS, bits[34:32]: intermediate physical address size, encoded as ID_AA64MMFR0_EL1.PARange.
const TCR_IPS_SHIFT: u32 = 32;
/// PARange 0b0101 = 48 bits: the largest size a 4 KB granule reaches without TCR_EL1.DS.
const PARANGE_48: u64 = 0b0101;
/// PARange 0b0110 = 52 bits: with TCR_EL1.DS and FEAT_LPA2.
pub const PARANGE_52: u64 = 0b0110;
/// DS, bit 59: 52-bit output addresses with the 4 KB and 16 KB granules (FEAT_LPA2); Linux's
/// `TCR_DS` (6.18.35 `arch/arm64/include/asm/pgtable-hwdef.h` 326).
pub const TCR_DS: u64 = 1 << 59;
/// ID_AA64MMFR0_EL1.TGran4, bits[31:28] (a signed field; Linux 6.18.35
/// `arch/arm64/tools/sysreg` 2118–2122).
pub const MMFR0_TGRAN4_SHIFT: u32 = 28;
/// TGran4 = 0b0001 (`52_BIT`): the 4 KB granule with 52-bit addresses, FEAT_LPA2. Linux
/// tests the signed field for `>= ID_AA64MMFR0_EL1_TGRAN4_LPA2` (`cpu_has_lpa2()`, 6.18.35
/// `arch/arm64/include/asm/cpufeature.h` 1063–1079; `sysreg.h` 893), and so does the boot
/// code.
pub const TGRAN4_52_BIT: u64 = 0b0001;
/// HA, bit 39: hardware Access flag update.
pub const TCR_HA: u64 = 1 << 39;
/// HD, bit 40: hardware dirty state (DBM) update; only with HA.
pub const TCR_HD: u64 = 1 << 40;
/// ID_AA64MMFR1_EL1.HAFDBS (bits[3:0]) value for "Access flag and dirty state".
const HAFDBS_AF_DIRTY: u64 = 0b0010;
/// ID_AA64MMFR1_EL1.PAN, bits[23:20]: non-zero when PSTATE.PAN exists.
const MMFR1_PAN_SHIFT: u32 = 20;

// --- SCTLR_EL1 (Arm ARM D19.2 "SCTLR_EL1"). ---

/// M, bit 0: stage 1 translation on.
const SCTLR_M: u64 = 1 << 0;
/// C, bit 2: data accesses may be cached (without it Normal memory is Non-cacheable).
const SCTLR_C: u64 = 1 << 2;
/// SA, bit 3: SP alignment check at EL1.
const SCTLR_SA: u64 = 1 << 3;
/// EOS, bit 11: exception return is context synchronizing (RES1 without FEAT_ExS).
const SCTLR_EOS: u64 = 1 << 11;
/// I, bit 12: instruction fetches may be cached.
const SCTLR_I: u64 = 1 << 12;
/// TSCXT, bit 20: EL0 SCXTNUM_EL0 accesses trap (RES1 without FEAT_CSV2_2).
const SCTLR_TSCXT: u64 = 1 << 20;
/// EIS, bit 22: exception entry is context synchronizing (RES1 without FEAT_ExS).
const SCTLR_EIS: u64 = 1 << 22;
/// SPAN, bit 23 = 1: taking an exception to EL1 leaves PSTATE.PAN alone. The library's leaf
/// entries are EL0-accessible (AP[1] = 1), so with PAN set every EL1 access to the window
/// would be a permission fault.
const SCTLR_SPAN: u64 = 1 << 23;
/// nTLSMD, bit 28: no trap of A32/T32 multiple loads to Device memory (RES1 without
/// FEAT_LSMAOC).
const SCTLR_NTLSMD: u64 = 1 << 28;
/// LSMAOE, bit 29: ordering of A32/T32 multiples kept (RES1 without FEAT_LSMAOC).
const SCTLR_LSMAOE: u64 = 1 << 29;
/// SCTLR_EL1 with the MMU and the caches on; everything not named here is 0 (no alignment
/// faults, no WXN, no MTE/BTI/PAC).
const SCTLR: u64 = SCTLR_M
    | SCTLR_C
    | SCTLR_SA
    | SCTLR_EOS
    | SCTLR_I
    | SCTLR_TSCXT
    | SCTLR_EIS
    | SCTLR_SPAN
    | SCTLR_NTLSMD
    | SCTLR_LSMAOE;

// --- EL2 → EL1 (Arm ARM D19.2 "HCR_EL2", C5.2 "SPSR_EL2"). ---

/// HCR_EL2.RW, bit 31: EL1 is AArch64.
const HCR_EL2_RW: u64 = 1 << 31;
/// SPSR_EL2: M[3:0] = 0b0101 (EL1h, SP_EL1) with D, A, I, F (bits 9:6) masked.
const SPSR_EL1H_MASKED: u64 = 0b1111 << 6 | 0b0101;

/// `MPIDR_EL1.Aff0`, bits[7:0] (Arm ARM D19.2 "MPIDR_EL1"): qemu virt numbers its CPUs
/// 0..n there (up to its cluster size).
pub const MPIDR_AFF0_MASK: u64 = 0xff;
/// `MPIDR_EL1.Aff1`, bits[15:8], and `Aff2`, bits[23:16]: zero for every CPU with a stack.
const MPIDR_AFF1_SHIFT: u32 = 8;
/// `MPIDR_EL1.Aff3`, bits[39:32]: zero for every CPU with a stack.
const MPIDR_AFF3_SHIFT: u32 = 32;

global_asm!(
    // The boot tables: L0 entry 0 → the L1 table, whose entries 0 and 1 map the low 2 GiB
    // with 1 GiB blocks. L1 entry 64 (the window at 64 GiB) stays empty; the common
    // walker hangs tables there on demand, so the tables live in writable .data.
    ".section .data.boot_tables, \"aw\"",
    ".balign 4096",
    ".global BOOT_L0",
    "BOOT_L0:",
    "    .quad BOOT_L1 + {table}",
    "    .fill 511, 8, 0",
    "BOOT_L1:",
    "    .quad {device_block}",
    "    .quad {ram_block}",
    "    .fill 510, 8, 0",
    // The same for TCR_EL1.DS = 1 (RAM block without SH bits), and L1 entry 2 → an L2 and an
    // empty L3 table for the LPA2 probe's page at 2 GiB. Table addresses here are below
    // 2^50, so their bits 9:8 (address bits 51:50) are 0 in either regime.
    ".global BOOT_L0_LPA2",
    "BOOT_L0_LPA2:",
    "    .quad BOOT_L1_LPA2 + {table}",
    "    .fill 511, 8, 0",
    "BOOT_L1_LPA2:",
    "    .quad {device_block}",
    "    .quad {ram_block_lpa2}",
    "    .quad BOOT_L2_PROBE + {table}",
    "    .fill 509, 8, 0",
    "BOOT_L2_PROBE:",
    "    .quad BOOT_L3_PROBE + {table}",
    "    .fill 511, 8, 0",
    ".global BOOT_L3_PROBE",
    "BOOT_L3_PROBE:",
    "    .fill 512, 8, 0",
    //
    ".section .text.boot, \"ax\"",
    // The boot CPU: qemu enters here at EL1 (or EL2 with virtualization=on), MMU off.
    ".global _start",
    "_start:",
    "    mrs x19, CurrentEL",
    "    lsr x19, x19, #2", // CurrentEL.EL, bits[3:2]: kept for the PSCI conduit.
    "    bl boot_to_el1",
    "    bl boot_mmu_on",
    // The stack and .bss may be touched now that memory is Normal write-back.
    "    adrp x0, __bss_start",
    "    add x0, x0, :lo12:__bss_start",
    "    adrp x1, __bss_end",
    "    add x1, x1, :lo12:__bss_end",
    "1:  cmp x0, x1",
    "    b.hs 2f",
    "    stp xzr, xzr, [x0], #16",
    "    b 1b",
    "2:  bl boot_stack",
    "    mov x0, x19",
    "    b {boot_main}",
    //
    // A secondary CPU, entered by PSCI CPU_ON at the EL the boot CPU was entered at.
    ".global secondary_start",
    "secondary_start:",
    "    bl boot_to_el1",
    "    bl boot_mmu_on",
    "    bl boot_stack",
    "    b {secondary_main}",
    //
    // Leaves EL2 for EL1 (AArch64, SP_EL1, interrupts masked) if entered at EL2.
    // Clobbers x9.
    "boot_to_el1:",
    "    mrs x9, CurrentEL",
    "    cmp x9, #(2 << 2)",
    "    b.ne 1f",
    "    mov x9, #{hcr_rw}",
    "    msr hcr_el2, x9",
    "    mov x9, #{spsr}",
    "    msr spsr_el2, x9",
    "    msr elr_el2, x30",
    "    eret",
    "1:  ret",
    //
    // Programs MAIR, TCR, TTBR0, VBAR and SCTLR_EL1 and turns the MMU on; the same values
    // on every CPU. Register-only. Clobbers x9, x10, x11, x12.
    "boot_mmu_on:",
    "    movz x9, #{mair}",
    "    msr mair_el1, x9",
    "    movz x9, #{tcr_lo}",
    "    movk x9, #{tcr_hi}, lsl #16",
    // FEAT_LPA2 with the 4 KB granule: DS, IPS up to 52 bits, the LPA2 tables (x12 = the
    // L0 table, x11 = the largest IPS); otherwise 48 bits and the DS = 0 tables.
    "    mrs x10, id_aa64mmfr0_el1",
    "    sbfx x10, x10, #{tgran4_shift}, #4",
    "    adrp x12, BOOT_L0",
    "    mov x11, #{parange_48}",
    "    cmp x10, #{tgran4_52}",
    "    b.lt 5f",
    "    orr x9, x9, #{tcr_ds}",
    "    adrp x12, BOOT_L0_LPA2",
    "    mov x11, #{parange_52}",
    "5:  mrs x10, id_aa64mmfr0_el1",
    "    and x10, x10, #0xf", // PARange, bits[3:0]
    "    cmp x10, x11",
    "    b.ls 1f",
    "    mov x10, x11",
    "1:  orr x9, x9, x10, lsl #{ips_shift}",
    "    mrs x10, id_aa64mmfr1_el1",
    "    and x10, x10, #0xf", // HAFDBS, bits[3:0]
    "    cbz x10, 2f",
    "    orr x9, x9, #{tcr_ha}",
    "    cmp x10, #{hafdbs_dirty}",
    "    b.lo 2f",
    "    orr x9, x9, #{tcr_hd}",
    "2:  msr tcr_el1, x9",
    "    msr ttbr0_el1, x12",
    "    adrp x9, exception_vectors",
    "    add x9, x9, :lo12:exception_vectors",
    "    msr vbar_el1, x9",
    "    isb",
    "    tlbi vmalle1", // nothing cached from before reset may survive
    "    dsb nsh",
    "    movz x9, #{sctlr_lo}",
    "    movk x9, #{sctlr_hi}, lsl #16",
    "    msr sctlr_el1, x9",
    "    isb",
    "    mrs x10, id_aa64mmfr1_el1",
    "    ubfx x10, x10, #{pan_shift}, #4",
    "    cbz x10, 3f",
    "    msr S3_0_C4_C2_3, xzr", // PSTATE.PAN = 0 (PAN register, Arm ARM C5.2)
    "3:  ret",
    //
    // sp = the top of this CPU's stack (MPIDR_EL1.Aff0 picks it). A CPU without a stack
    // (Aff0 >= CPUS, or a non-zero Aff1/Aff2/Aff3, which `cpu_id` would alias) parks
    // here for good: it never writes memory. Clobbers x9, x10.
    "boot_stack:",
    "    mrs x9, mpidr_el1",
    "    ubfx x10, x9, #{aff1_shift}, #16", // Aff1, Aff2: bits[23:8]
    "    cbnz x10, 4f",
    "    ubfx x10, x9, #{aff3_shift}, #8", // Aff3: bits[39:32]
    "    cbnz x10, 4f",
    "    and x9, x9, #{aff0}",
    "    cmp x9, #{cpus}",
    "    b.hs 4f",
    "    add x9, x9, #1",
    "    mov x10, #{stack_size}",
    "    mul x9, x9, x10",
    "    adrp x10, {stacks}",
    "    add x10, x10, :lo12:{stacks}",
    "    add sp, x10, x9",
    "    ret",
    "4:  wfe",
    "    b 4b",
    table = const DESC_TABLE,
    device_block = const DEVICE_BLOCK,
    ram_block = const RAM_BLOCK,
    ram_block_lpa2 = const RAM_BLOCK_LPA2,
    boot_main = sym crate::boot_main,
    secondary_main = sym crate::secondary_main,
    hcr_rw = const HCR_EL2_RW,
    spsr = const SPSR_EL1H_MASKED,
    mair = const MAIR,
    tcr_lo = const TCR_BASE & 0xffff,
    tcr_hi = const TCR_BASE >> 16,
    parange_48 = const PARANGE_48,
    parange_52 = const PARANGE_52,
    tgran4_shift = const MMFR0_TGRAN4_SHIFT,
    tgran4_52 = const TGRAN4_52_BIT,
    tcr_ds = const TCR_DS,
    ips_shift = const TCR_IPS_SHIFT,
    tcr_ha = const TCR_HA,
    tcr_hd = const TCR_HD,
    hafdbs_dirty = const HAFDBS_AF_DIRTY,
    sctlr_lo = const SCTLR & 0xffff,
    sctlr_hi = const SCTLR >> 16,
    pan_shift = const MMFR1_PAN_SHIFT,
    aff0 = const MPIDR_AFF0_MASK,
    aff1_shift = const MPIDR_AFF1_SHIFT,
    aff3_shift = const MPIDR_AFF3_SHIFT,
    cpus = const CPUS,
    stack_size = const STACK_SIZE,
    stacks = sym STACKS,
);
