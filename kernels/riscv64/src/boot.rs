//! From OpenSBI to Rust: the stacks, the boot page table, Sv39, the trap vector.
//!
//! OpenSBI (`-bios default`, qemu's bundled `fw_dynamic`) enters `_start` in S-mode on one
//! hart, picked by its boot lottery, with the MMU off (`satp` = 0), `a0` = the hart ID and
//! `a1` = the device tree; the other harts wait in the firmware until SBI HSM `hart_start`
//! sends them to `secondary_start` (`a0` = hart ID, `a1` = the opaque value, here the CPU
//! index). Unlike aarch64 nothing needs the MMU to be on before memory is written: without
//! translation, accesses follow the physical memory attributes (RAM is cacheable), so the boot
//! table is an ordinary initialised `static`.

use core::arch::global_asm;
use core::cell::UnsafeCell;
use core::sync::atomic::AtomicU64;

use pte_kernel_common::MAX_CPUS;

/// log2 of the bytes of stack per CPU (a shift: `boot_stack` runs before anything else,
/// and `global_asm!` is assembled without the M extension's `mul`).
const STACK_SHIFT: u32 = 16;
/// Bytes of stack per CPU.
const STACK_SIZE: usize = 1 << STACK_SHIFT;

/// One stack per CPU, indexed by the CPU index in `tp`; written only through `sp`.
#[repr(C, align(16))]
struct Stacks(UnsafeCell<[[u8; STACK_SIZE]; MAX_CPUS]>);

// SAFETY: each CPU uses only its own stack, reached through `sp`, never through a reference.
unsafe impl Sync for Stacks {}

static STACKS: Stacks = Stacks(UnsafeCell::new([[0; STACK_SIZE]; MAX_CPUS]));

// --- Sv39 page-table entries (RISC-V privileged spec 20211203, 4.4.1 "Addressing and Memory
// Protection", Figure 4.21). ---

/// V, bit 0: the entry is valid.
pub const PTE_V: u64 = 1 << 0;
/// R, bit 1: readable. R, W and X all clear make a valid entry a pointer to the next table.
pub const PTE_R: u64 = 1 << 1;
/// W, bit 2: writable.
pub const PTE_W: u64 = 1 << 2;
/// X, bit 3: executable.
pub const PTE_X: u64 = 1 << 3;
/// G, bit 5: global (in every address space).
const PTE_G: u64 = 1 << 5;
/// A, bit 6: accessed.
pub const PTE_A: u64 = 1 << 6;
/// D, bit 7: dirty.
pub const PTE_D: u64 = 1 << 7;
/// The PPN field, bits 53:10 (44 bits).
pub const PTE_PPN_SHIFT: u32 = 10;
/// The PPN field's width.
pub const PTE_PPN_MASK: u64 = (1 << 44) - 1;

/// A leaf entry mapping physical address `pa`.
const fn leaf(pa: u64, flags: u64) -> u64 {
    (pa >> 12) << PTE_PPN_SHIFT | flags
}

/// Root entry 0: PA 0..1 GiB, qemu virt's devices (the test finisher at 0x10_0000, the
/// 16550 at 0x1000_0000): a 1 GiB gigapage, read/write, never executable. A and D are set so
/// that the identity map never needs an accessed/dirty update (which under Svade would be a
/// page fault).
const DEVICE_GIGAPAGE: u64 = leaf(0, PTE_V | PTE_R | PTE_W | PTE_G | PTE_A | PTE_D);
/// qemu virt's RAM base (hw/riscv/virt.c `VIRT_DRAM`); its gigapage is root entry 2.
const RAM_BASE: u64 = 0x8000_0000;
/// Root entry 2: PA 2..3 GiB, RAM (OpenSBI, which PMP keeps from S-mode, and this image),
/// read/write/execute, A and D set.
const RAM_GIGAPAGE: u64 = leaf(
    RAM_BASE,
    PTE_V | PTE_R | PTE_W | PTE_X | PTE_G | PTE_A | PTE_D,
);

/// A page table: 512 entries, page-aligned, every access atomic (the MMU only reads them,
/// and sets A/D in the leaf entries the library manages).
#[repr(C, align(4096))]
pub struct Table(pub [AtomicU64; 512]);

impl Table {
    /// An empty table.
    pub const fn empty() -> Table {
        Table([const { AtomicU64::new(0) }; 512])
    }
}

/// The Sv39 root table (`satp`'s PPN) of every hart: the two gigapages of the identity map.
/// The rest stays empty; the common walker hangs tables below entry 64 (the window at
/// 64 GiB) on demand, so it is writable `.data`.
pub static ROOT: Table = Table(from_words({
    let mut words = [0u64; 512];
    words[0] = DEVICE_GIGAPAGE;
    words[(RAM_BASE >> 30) as usize] = RAM_GIGAPAGE;
    words
}));

/// The atomics of a table image (a `const fn` loop: `AtomicU64::new` is const).
const fn from_words(words: [u64; 512]) -> [AtomicU64; 512] {
    let mut out = [const { AtomicU64::new(0) }; 512];
    let mut i = 0;
    while i < 512 {
        out[i] = AtomicU64::new(words[i]);
        i += 1;
    }
    out
}

// --- CSRs (RISC-V privileged spec 20211203, 4.1). ---

/// `satp.MODE` = 8, bits 63:60: Sv39.
const SATP_SV39: u64 = 8 << 60;
/// `sstatus.SUM`, bit 18: S-mode may access pages with U = 1. The library's leaf entries are
/// user pages (Linux's `PAGE_*` protections include `_PAGE_USER`), so without SUM every
/// kernel access to the window would fault.
const SSTATUS_SUM: u64 = 1 << 18;

global_asm!(
    ".section .text.boot, \"ax\"",
    // The boot hart: S-mode, MMU off, a0 = hart ID, a1 = device tree.
    ".global _start",
    "_start:",
    "    li tp, 0", // the boot hart is CPU 0
    "    mv s0, a0",
    "    la t0, __bss_start",
    "    la t1, __bss_end",
    "1:  bgeu t0, t1, 2f",
    "    sd zero, 0(t0)",
    "    addi t0, t0, 8",
    "    j 1b",
    "2:  call boot_stack",
    "    call boot_mmu_on",
    "    mv a0, s0",
    "    tail {boot_main}",
    //
    // A secondary hart, started by SBI HSM hart_start: S-mode, MMU off, a0 = hart ID,
    // a1 = its CPU index (the opaque argument).
    ".global secondary_start",
    ".balign 4",
    "secondary_start:",
    "    mv tp, a1",
    "    call boot_stack",
    "    call boot_mmu_on",
    "    tail {secondary_main}",
    //
    // sp = the top of CPU tp's stack (tp < MAX_CPUS: the boot hart gives out the indices).
    // Clobbers t0, t1.
    "boot_stack:",
    "    addi t0, tp, 1",
    "    slli t0, t0, {stack_shift}",
    "    la t1, {stacks}",
    "    add sp, t1, t0",
    "    ret",
    //
    // The trap vector (direct mode), SUM, then Sv39 on ROOT; the same on every hart.
    // Clobbers t0, t1.
    "boot_mmu_on:",
    "    la t0, trap_entry",
    "    csrw stvec, t0",
    "    li t0, {sum}",
    "    csrs sstatus, t0",
    "    la t0, {root}",
    "    srli t0, t0, 12",
    "    li t1, {sv39}",
    "    or t0, t0, t1",
    "    sfence.vma", // order the boot table's stores before the first walk
    "    csrw satp, t0",
    "    sfence.vma", // nothing cached from before may survive
    "    ret",
    boot_main = sym crate::boot_main,
    secondary_main = sym crate::secondary_main,
    stack_shift = const STACK_SHIFT,
    stacks = sym STACKS,
    sum = const SSTATUS_SUM,
    root = sym ROOT,
    sv39 = const SATP_SV39,
);
