//! From the Multiboot loader's 32-bit protected mode to 64-bit Rust.
//!
//! qemu's Multiboot (v1) loader enters `_start32` with paging off, flat 32-bit segments,
//! `EAX = 0x2BADB002` and EBX = the physical address of the Multiboot information structure
//! (Multiboot 0.6.96, 3.2 "Machine state"), which is passed on to [`kmain`](crate::kmain)
//! (`smp.rs` reads its memory map). The code here zeroes .bss,
//! builds the boot tables (PML4 → PDPT → 4 PDs with 2 MiB pages identity-mapping the first
//! 4 GiB: the 256 MiB of RAM, and the local APIC at 0xFEE0_0000 in the uncached last
//! GiB), turns on PAE + long mode + NX, enables paging with CR0.WP, far-jumps to a 64-bit
//! code segment and calls [`kmain`](crate::kmain) on the boot stack. The APs reuse these
//! tables and the GDT (`smp.rs`).
//!
//! PML4 entry 1 (`0x80_0000_0000`, [`WINDOW`](crate::platform::X86_64Platform)) stays empty:
//! the shared walker populates it on the first fault in the window.

use core::arch::global_asm;

/// Size of the boot CPU's stack.
const STACK_SIZE: usize = 256 * 1024;

/// The boot PML4 (CR3's table), filled by `_start32`.
pub fn pml4() -> u64 {
    unsafe extern "C" {
        /// The 4 KiB-aligned PML4 in .bss, defined in the assembly below.
        static boot_pml4: [u64; 512];
    }
    // Only the address is taken; the table itself is accessed through the identity map by
    // the shared walker.
    (&raw const boot_pml4) as u64
}

global_asm!(
    r#"
    /* Multiboot 0.6.96, 3.1.1-3.1.3: magic, flags, checksum; flags bit 1 asks for the
       memory information (the mmap_* fields, read by smp.rs), bit 16 ("a.out kludge") says
       the address fields below are valid, which qemu requires to load an ELF64 file. */
    .set MB_MAGIC, 0x1BADB002
    .set MB_FLAGS, (1 << 1) | (1 << 16)

    .section .multiboot, "a"
    .balign 4
multiboot_header:
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)
    .long multiboot_header      /* header_addr */
    .long __image_start         /* load_addr */
    .long __load_end            /* load_end_addr */
    .long __bss_end             /* bss_end_addr */
    .long _start32              /* entry_addr */

    /* Architectural numbers (Intel SDM Vol. 3A):
       CR4.PAE bit 5 (2.5); IA32_EFER MSR 0xC0000080: LME bit 8, NXE bit 11 (2.2.1);
       CR0: PE bit 0, WP bit 16 (supervisor writes honour R/W: read-only entries fault),
       PG bit 31 (2.5); paging-structure entries: P bit 0, R/W bit 1, PS bit 7 (4.5). */
    .set CR4_PAE, 1 << 5
    .set MSR_EFER, 0xC0000080
    .set EFER_LME, 1 << 8
    .set EFER_NXE, 1 << 11
    .set CR0_PE, 1 << 0
    .set CR0_WP, 1 << 16
    .set CR0_PG, 1 << 31
    .set PTE_P_RW, 0x3
    .set PDE_2M_P_RW, 0x83
    /* PWT bit 3 | PCD bit 4: uncached, for the last GiB (MMIO: local APIC, SDM 11.12.3). */
    .set PDE_UNCACHED, 0x18
    /* CPUID 0x80000001 EDX: NX bit 20, LM bit 29 (SDM Vol. 2A, CPUID). */
    .set CPUID_NX_LM, (1 << 20) | (1 << 29)
    /* isa-debug-exit (iobase 0xf4): value v exits qemu with status (v << 1) | 1. */
    .set DEBUG_EXIT_PORT, 0xf4
    .set DEBUG_EXIT_FAIL, 0x11

    .section .text.boot, "ax"
    .code32
    .global _start32
_start32:
    cli
    cld
    cmp $0x2BADB002, %eax       /* Multiboot 3.2: EAX holds this magic */
    jne boot_fail
    mov %ebx, %esi              /* the Multiboot information; CPUID clobbers EBX */
    mov $0x80000001, %eax
    cpuid
    and $CPUID_NX_LM, %edx
    cmp $CPUID_NX_LM, %edx
    jne boot_fail

    /* Zero .bss (the loader zeroes up to bss_end_addr too; this does not rely on it). */
    mov $__bss_start, %edi
    mov $__bss_end, %ecx
    sub %edi, %ecx
    xor %eax, %eax
    rep stosb

    /* PML4[0] -> PDPT, PDPT[i] -> PD i, PD i[j] = (512 i + j) * 2 MiB: identity map of
       0 .. 4 GiB, uncached from 3 GiB. */
    mov $boot_pdpt, %eax
    or $PTE_P_RW, %eax
    mov %eax, boot_pml4
    mov $boot_pd, %eax
    or $PTE_P_RW, %eax
    mov $boot_pdpt, %edi
    mov $4, %ecx
1:  mov %eax, (%edi)
    add $4096, %eax
    add $8, %edi
    loop 1b
    mov $boot_pd, %edi
    mov $PDE_2M_P_RW, %eax
    mov $(3 * 512), %ecx
1:  mov %eax, (%edi)
    add $0x200000, %eax
    add $8, %edi
    loop 1b
    or $PDE_UNCACHED, %eax
    mov $512, %ecx
1:  mov %eax, (%edi)
    add $0x200000, %eax
    add $8, %edi
    loop 1b

    mov $boot_pml4, %eax
    mov %eax, %cr3
    mov %cr4, %eax
    or $CR4_PAE, %eax
    mov %eax, %cr4
    mov $MSR_EFER, %ecx
    rdmsr
    or $(EFER_LME | EFER_NXE), %eax
    wrmsr
    mov %cr0, %eax
    or $(CR0_PE | CR0_WP | CR0_PG), %eax
    mov %eax, %cr0              /* long mode is active from here (EFER.LMA) */

    lgdt boot_gdt_ptr
    ljmp $0x08, $start64

boot_fail:
    mov $DEBUG_EXIT_FAIL, %eax
    out %eax, $DEBUG_EXIT_PORT
2:  hlt
    jmp 2b

    .code64
start64:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %eax, %eax
    mov %ax, %fs
    mov %ax, %gs
    lea boot_stack_top(%rip), %rsp
    xor %ebp, %ebp
    /* kmain(multiboot_info: u32). The upper halves of the registers are undefined after
       the switch from 32-bit mode (SDM Vol. 1, 3.4.1.1); a 32-bit move zero-extends. */
    mov %esi, %edi
    call kmain
    ud2

    /* GDT (SDM Vol. 3A, 3.4.5 and 5.2.1): null; 0x08 = 64-bit code (L=1, P, DPL 0, type
       execute/read, accessed); 0x10 = data (P, DPL 0, read/write, accessed, 4 GiB). The
       accessed bits are preset so loading a selector never writes the table. */
    .section .rodata.boot, "a"
    .balign 8
    .global boot_gdt
    .global boot_gdt_limit
boot_gdt:
    .quad 0
    .quad 0x00AF9B000000FFFF
    .quad 0x00CF93000000FFFF
    .set boot_gdt_limit, . - boot_gdt - 1
boot_gdt_ptr:
    .word boot_gdt_limit
    .long boot_gdt

    .section .bss.boot, "aw", @nobits
    .balign 4096
    .global boot_pml4
boot_pml4:
    .skip 4096
boot_pdpt:
    .skip 4096
boot_pd:
    .skip 4 * 4096
    .balign 16
boot_stack:
    .skip {stack_size}
boot_stack_top:
"#,
    stack_size = const STACK_SIZE,
    options(att_syntax)
);
