//! Hand-written masks: the state of a word, the swap decode and the swap encode of each of the
//! sixteen layouts, translated by hand from the kernel headers (`source` of each layout); and
//! `pte_pfn()` of the two aarch64/6.18 layouts, which differ in it ([`aarch64_6_18_pfn`],
//! [`aarch64_lpa2_6_18_pfn`]).
//!
//! They are independent of the format model on purpose: every constant is a literal, nothing is
//! read from `Layout`, so a wrong model (or a wrong translation here) shows as a disagreement.
//! `pte-cli`'s `model` benchmark measures them against the library and the `hand_diff` fuzz
//! target (`fuzz/`) compares them with the library on arbitrary words and entries.

use arch_aarch64::{Aarch64_3_18, Aarch64_6_6, Aarch64_6_18, Aarch64Lpa2_6_18};
use arch_i386::{I386_2_6_8, I386_6_6, I386Pae2_6_8, I386Pae6_6};
use arch_ia64_sim::{Ia64_2_6_8, Ia64_6_6};
use arch_loongarch64::{Loongarch64_6_6, Loongarch64_6_18};
use arch_riscv64::{Riscv64_6_6, Riscv64_6_18};
use arch_x86_64::{X86_64_2_6_8, X86_64_6_6};
use pte_core::{Arch, State, SwapEntry};

/// What a decode returns for a word that is not a swap entry.
pub const NOT_SWAP: (u64, u64) = (u64::MAX, u64::MAX);

/// The same answers, written by hand from the kernel headers of each layout (the constants are
/// literals, not read from the model).
pub trait Hand: Arch {
    /// The state of `w`, in Linux's order (none, present, protnone, file, swap, else invalid).
    fn classify(w: u64) -> State;
    /// `(__swp_type(w), __swp_offset(w))`, trusting `w` to be a swap entry.
    fn swap_raw(w: u64) -> (u64, u64);
    /// The swap word of `e`, or `None` where the library refuses it.
    fn encode(e: SwapEntry) -> Option<u64>;

    /// Classify, then read the entry: the library's `decode_swap` answer on any word.
    #[inline]
    fn decode(w: u64) -> (u64, u64) {
        if Self::classify(w) == State::Swap {
            Self::swap_raw(w)
        } else {
            NOT_SWAP
        }
    }
}

/// `Some(w)` unless `w` is the none word (type 0, offset 0, no flag).
#[inline]
fn not_none(w: u64) -> Option<u64> {
    if w == 0 { None } else { Some(w) }
}

impl Hand for X86_64_2_6_8 {
    #[inline]
    fn classify(w: u64) -> State {
        if w == 0 {
            State::None
        } else if w & 0x1 != 0 {
            State::Present
        } else if w & 0x80 != 0 {
            State::ProtNone
        } else if w & 0x40 != 0 {
            // _PAGE_FILE | pgoff in bits 12–51.
            if w & !0x000F_FFFF_FFFF_F040 == 0 {
                State::File
            } else {
                State::Invalid
            }
        } else if w & !0x0000_00FF_FFFF_FF3E == 0 {
            // Type bits 1–5 (T = 5 of the 6-bit field), offset bits 8–39 (N = 32).
            State::Swap
        } else {
            State::Invalid
        }
    }
    #[inline]
    fn swap_raw(w: u64) -> (u64, u64) {
        ((w >> 1) & 0x3f, w >> 8)
    }
    #[inline]
    fn encode(e: SwapEntry) -> Option<u64> {
        if e.ty >= 1 << 5 || e.offset >= 1 << 32 || e.exclusive || e.soft_dirty || e.uffd_wp {
            return None;
        }
        not_none(e.ty << 1 | e.offset << 8)
    }
}

impl Hand for X86_64_6_6 {
    #[inline]
    fn classify(w: u64) -> State {
        if w & !0x60 == 0 {
            State::None
        } else if w & 0x1 != 0 {
            State::Present
        } else if w & 0x100 != 0 {
            State::ProtNone
        } else if w & 0xF0 == 0 && w & 0x07F8_0000_0000_0000 == 0x07F8_0000_0000_0000 {
            // Nothing in bits 4–7; ~offset in 9–58 with its top 8 bits set (N = 42).
            State::Swap
        } else {
            State::Invalid
        }
    }
    #[inline]
    fn swap_raw(w: u64) -> (u64, u64) {
        (w >> 59, (!w << 5) >> 14)
    }
    #[inline]
    fn encode(e: SwapEntry) -> Option<u64> {
        if e.ty >= 1 << 5 || e.offset >= 1 << 42 {
            return None;
        }
        let flags =
            u64::from(e.exclusive) << 3 | u64::from(e.soft_dirty) << 1 | u64::from(e.uffd_wp) << 2;
        Some(e.ty << 59 | (!e.offset << 14) >> 5 | flags)
    }
}

impl Hand for I386_2_6_8 {
    #[inline]
    fn classify(w: u64) -> State {
        if w >> 32 != 0 {
            State::Invalid
        } else if w == 0 {
            State::None
        } else if w & 0x1 != 0 {
            State::Present
        } else if w & 0x80 != 0 {
            State::ProtNone
        } else if w & 0x40 != 0 {
            // Every 32-bit word with _PAGE_FILE is an exact pgoff (bits 1–5 and 8–31).
            State::File
        } else {
            // Likewise every other one is an exact swap entry (type 1–5, offset 8–31).
            State::Swap
        }
    }
    #[inline]
    fn swap_raw(w: u64) -> (u64, u64) {
        ((w >> 1) & 0x1f, w >> 8)
    }
    #[inline]
    fn encode(e: SwapEntry) -> Option<u64> {
        if e.ty >= 1 << 5 || e.offset >= 1 << 24 || e.exclusive || e.soft_dirty || e.uffd_wp {
            return None;
        }
        not_none(e.ty << 1 | e.offset << 8)
    }
}

impl Hand for I386Pae2_6_8 {
    #[inline]
    fn classify(w: u64) -> State {
        if w == 0 {
            State::None
        } else if w & 0x1 != 0 {
            State::Present
        } else if w & 0x80 != 0 {
            State::ProtNone
        } else if w & 0x40 != 0 {
            // _PAGE_FILE in pte_low, the pgoff is pte_high.
            if w & 0xFFFF_FFBF == 0 {
                State::File
            } else {
                State::Invalid
            }
        } else if w & !0xFFFF_FF3E == 0 {
            State::Swap
        } else {
            State::Invalid
        }
    }
    #[inline]
    fn swap_raw(w: u64) -> (u64, u64) {
        ((w >> 1) & 0x1f, (w & 0xFFFF_FFFF) >> 8)
    }
    #[inline]
    fn encode(e: SwapEntry) -> Option<u64> {
        if e.ty >= 1 << 5 || e.offset >= 1 << 24 || e.exclusive || e.soft_dirty || e.uffd_wp {
            return None;
        }
        not_none(e.ty << 1 | e.offset << 8)
    }
}

impl Hand for I386_6_6 {
    #[inline]
    fn classify(w: u64) -> State {
        if w >> 32 != 0 {
            State::Invalid
        } else if w == 0 {
            State::None
        } else if w & 0x1 != 0 {
            State::Present
        } else if w & 0x100 != 0 {
            State::ProtNone
        } else if w & 0x40 != 0 {
            // Bit 6 is the only bit outside type (1–5), exclusive (7) and offset (9–31).
            State::Invalid
        } else {
            State::Swap
        }
    }
    #[inline]
    fn swap_raw(w: u64) -> (u64, u64) {
        ((w >> 1) & 0x1f, w >> 9)
    }
    #[inline]
    fn encode(e: SwapEntry) -> Option<u64> {
        if e.ty >= 1 << 5 || e.offset >= 1 << 23 || e.soft_dirty || e.uffd_wp {
            return None;
        }
        not_none(e.ty << 1 | e.offset << 9 | u64::from(e.exclusive) << 7)
    }
}

impl Hand for I386Pae6_6 {
    #[inline]
    fn classify(w: u64) -> State {
        if w & !0x60 == 0 {
            State::None
        } else if w & 0x1 != 0 {
            State::Present
        } else if w & 0x100 != 0 {
            State::ProtNone
        } else if w & 0x7E == 0 && w & 0x07FF_FFF8_0000_0000 == 0x07FF_FFF8_0000_0000 {
            // Nothing in bits 1–6; ~offset in 9–58 with its top 24 bits set (N = 26).
            State::Swap
        } else {
            State::Invalid
        }
    }
    #[inline]
    fn swap_raw(w: u64) -> (u64, u64) {
        (w >> 59, (!w << 5) >> 14)
    }
    #[inline]
    fn encode(e: SwapEntry) -> Option<u64> {
        if e.ty >= 1 << 5 || e.offset >= 1 << 26 || e.soft_dirty || e.uffd_wp {
            return None;
        }
        Some(e.ty << 59 | (!e.offset << 14) >> 5 | u64::from(e.exclusive) << 7)
    }
}

impl Hand for Ia64_2_6_8 {
    #[inline]
    fn classify(w: u64) -> State {
        if w == 0 {
            State::None
        } else if w & 0x1 != 0 {
            State::Present
        } else if w & 0x8000_0000_0000_0000 != 0 {
            State::ProtNone
        } else if w & 0x2 != 0 {
            // pgoff in bits 2–62: every such word is exact.
            State::File
        } else if w & !0x0000_01FF_FFFF_FE7C == 0 {
            // Type bits 2–6 (T = 5 of 7), offset bits 9–40 (N = 32).
            State::Swap
        } else {
            State::Invalid
        }
    }
    #[inline]
    fn swap_raw(w: u64) -> (u64, u64) {
        ((w >> 2) & 0x7f, (w << 1) >> 10)
    }
    #[inline]
    fn encode(e: SwapEntry) -> Option<u64> {
        if e.ty >= 1 << 5 || e.offset >= 1 << 32 || e.exclusive || e.soft_dirty || e.uffd_wp {
            return None;
        }
        not_none(e.ty << 2 | e.offset << 9)
    }
}

impl Hand for Ia64_6_6 {
    #[inline]
    fn classify(w: u64) -> State {
        if w == 0 {
            State::None
        } else if w & 0x1 != 0 {
            State::Present
        } else if w & 0x8000_0000_0000_0000 != 0 {
            State::ProtNone
        } else if w & !0x0000_3FFF_FFFF_FFBE == 0 {
            // Type bits 1–5 (T = 5 of 6), exclusive 7, offset bits 8–45 (N = 38).
            State::Swap
        } else {
            State::Invalid
        }
    }
    #[inline]
    fn swap_raw(w: u64) -> (u64, u64) {
        ((w >> 1) & 0x3f, (w << 1) >> 9)
    }
    #[inline]
    fn encode(e: SwapEntry) -> Option<u64> {
        if e.ty >= 1 << 5 || e.offset >= 1 << 38 || e.soft_dirty || e.uffd_wp {
            return None;
        }
        not_none(e.ty << 1 | e.offset << 8 | u64::from(e.exclusive) << 7)
    }
}

impl Hand for Aarch64_3_18 {
    #[inline]
    fn classify(w: u64) -> State {
        if w == 0 {
            State::None
        } else if w & 0x1 != 0 {
            State::Present
        } else if w & 0x0400_0000_0000_0000 != 0 {
            State::ProtNone
        } else if w & 0x4 != 0 {
            // PTE_FILE: bit 1 must be clear and the pgoff below 2^55 (bits 59–63 clear).
            if w & 0xF800_0000_0000_0002 == 0 {
                State::File
            } else {
                State::Invalid
            }
        } else if w & !0x0000_01FF_FFFF_FEF8 == 0 {
            // Type bits 3–7 (T = 5 of 6), offset bits 9–40 (N = 32).
            State::Swap
        } else {
            State::Invalid
        }
    }
    #[inline]
    fn swap_raw(w: u64) -> (u64, u64) {
        ((w >> 3) & 0x3f, (w >> 9) & ((1 << 49) - 1))
    }
    #[inline]
    fn encode(e: SwapEntry) -> Option<u64> {
        if e.ty >= 1 << 5 || e.offset >= 1 << 32 || e.exclusive || e.soft_dirty || e.uffd_wp {
            return None;
        }
        not_none(e.ty << 3 | e.offset << 9)
    }
}

impl Hand for Aarch64_6_6 {
    #[inline]
    fn classify(w: u64) -> State {
        if w == 0 {
            State::None
        } else if w & 0x1 != 0 {
            State::Present
        } else if w & 0x0400_0000_0000_0000 != 0 {
            State::ProtNone
        } else if w & !0x0000_3FFF_FFFF_FFFC == 0 {
            // Exclusive 2, type bits 3–7, offset bits 8–45 (N = 38).
            State::Swap
        } else {
            State::Invalid
        }
    }
    #[inline]
    fn swap_raw(w: u64) -> (u64, u64) {
        ((w >> 3) & 0x1f, (w >> 8) & ((1 << 50) - 1))
    }
    #[inline]
    fn encode(e: SwapEntry) -> Option<u64> {
        if e.ty >= 1 << 5 || e.offset >= 1 << 38 || e.soft_dirty || e.uffd_wp {
            return None;
        }
        not_none(e.ty << 3 | e.offset << 8 | u64::from(e.exclusive) << 2)
    }
}

impl Hand for Aarch64_6_18 {
    #[inline]
    fn classify(w: u64) -> State {
        if w == 0 {
            State::None
        } else if w & 0x1 != 0 {
            State::Present
        } else if w & 0x800 != 0 {
            // PTE_PRESENT_INVALID: protnone iff !PTE_USER && PTE_UXN.
            if w & 0x0040_0000_0000_0040 == 0x0040_0000_0000_0000 {
                State::ProtNone
            } else {
                State::PresentInvalid
            }
        } else if w & !0x0003_FFFF_FFFF_F7CC == 0 {
            // Exclusive 2, uffd-wp 3, type bits 6–10, offset bits 12–49 (N = 38).
            State::Swap
        } else {
            State::Invalid
        }
    }
    #[inline]
    fn swap_raw(w: u64) -> (u64, u64) {
        ((w >> 6) & 0x1f, (w >> 12) & ((1 << 50) - 1))
    }
    #[inline]
    fn encode(e: SwapEntry) -> Option<u64> {
        if e.ty >= 1 << 5 || e.offset >= 1 << 38 || e.soft_dirty {
            return None;
        }
        not_none(
            e.ty << 6 | e.offset << 12 | u64::from(e.exclusive) << 2 | u64::from(e.uffd_wp) << 3,
        )
    }
}

// Linux 6.18.35 arch/arm64, CONFIG_ARM64_PA_BITS_52 with 4K pages and TCR_EL1.DS set: the
// swap format of aarch64/6.18 (pgtable.h 1548-1557), but MAX_PHYSMEM_BITS = PHYS_MASK_SHIFT =
// 52 (sparsemem.h 10, pgtable-prot.h 94) gives N = 52 - 12 + 2 = 42 (offset bits 12-53).
impl Hand for Aarch64Lpa2_6_18 {
    #[inline]
    fn classify(w: u64) -> State {
        if w == 0 {
            State::None
        } else if w & 0x1 != 0 {
            State::Present
        } else if w & 0x800 != 0 {
            // PTE_PRESENT_INVALID: protnone iff !PTE_USER && PTE_UXN.
            if w & 0x0040_0000_0000_0040 == 0x0040_0000_0000_0000 {
                State::ProtNone
            } else {
                State::PresentInvalid
            }
        } else if w & !0x003F_FFFF_FFFF_F7CC == 0 {
            // Exclusive 2, uffd-wp 3, type bits 6–10, offset bits 12–53 (N = 42).
            State::Swap
        } else {
            State::Invalid
        }
    }
    #[inline]
    fn swap_raw(w: u64) -> (u64, u64) {
        ((w >> 6) & 0x1f, (w >> 12) & ((1 << 50) - 1))
    }
    #[inline]
    fn encode(e: SwapEntry) -> Option<u64> {
        if e.ty >= 1 << 5 || e.offset >= 1 << 42 || e.soft_dirty {
            return None;
        }
        not_none(
            e.ty << 6 | e.offset << 12 | u64::from(e.exclusive) << 2 | u64::from(e.uffd_wp) << 3,
        )
    }
}

/// aarch64/6.18 `pte_pfn()` (Linux 6.18.35 `arch/arm64/include/asm/pgtable.h` 162–165 and
/// 173, 48-bit PAs): `(pte_val & PTE_ADDR_LOW) >> PAGE_SHIFT`, `PTE_ADDR_LOW` = bits 12–49
/// (`pgtable-hwdef.h` 179).
#[inline]
pub fn aarch64_6_18_pfn(w: u64) -> u64 {
    (w & 0x0003_FFFF_FFFF_F000) >> 12
}

/// aarch64-lpa2/6.18 `pte_pfn()` (the same files, `CONFIG_ARM64_PA_BITS_52`, lines 151–156
/// and 173, with `PTE_MAYBE_SHARED` = 0 under TCR_EL1.DS): `((pte_val & PTE_ADDR_LOW) |
/// ((pte_val & PTE_ADDR_HIGH) << PTE_ADDR_HIGH_SHIFT)) >> PAGE_SHIFT`, `PTE_ADDR_HIGH` =
/// 0x300, `PTE_ADDR_HIGH_SHIFT` 42 (`pgtable-hwdef.h` 186–187).
#[inline]
pub fn aarch64_lpa2_6_18_pfn(w: u64) -> u64 {
    ((w & 0x0003_FFFF_FFFF_F000) | ((w & 0x300) << 42)) >> 12
}

/// aarch64-lpa2/6.18 `pfn_pte(pfn, 0)`: `__phys_to_pte_val(pfn << PAGE_SHIFT) = (phys |
/// (phys >> PTE_ADDR_HIGH_SHIFT)) & PHYS_TO_PTE_ADDR_MASK` (`pgtable.h` 157–160,
/// `PHYS_TO_PTE_ADDR_MASK = GENMASK_ULL(49, 8)`, `pgtable-hwdef.h` 188). Like the kernel's, it
/// drops what does not fit instead of refusing it.
#[inline]
pub fn aarch64_lpa2_6_18_pfn_bits(pfn: u64) -> u64 {
    let phys = pfn << 12;
    (phys | (phys >> 42)) & 0x0003_FFFF_FFFF_FF00
}

// Linux 6.6 and 6.18.35 arch/riscv/include/asm/pgtable.h, the same macros in both (6.18.35
// lines in brackets): pte_none = (val == 0) [369]; pte_present = val & (_PAGE_PRESENT 0x1 |
// _PAGE_PROT_NONE 0x20) [351]; pte_protnone = PROT_NONE without PRESENT [465]; swap
// [1008-1017]: _PAGE_SWP_EXCLUSIVE 0x40, __SWP_TYPE_SHIFT 7 (5 bits), __SWP_OFFSET_SHIFT 12,
// no soft-dirty or uffd-wp swap bit (those are 6.19's Svrsw60t59b); MAX_PHYSMEM_BITS 56 gives
// N = 46 (offset bits 12-57). One translation serves both versions.
macro_rules! riscv64_hand {
    ($ty:ty) => {
        impl Hand for $ty {
            #[inline]
            fn classify(w: u64) -> State {
                if w == 0 {
                    State::None
                } else if w & 0x1 != 0 {
                    State::Present
                } else if w & 0x20 != 0 {
                    State::ProtNone
                } else if w & !0x03FF_FFFF_FFFF_FFC0 == 0 {
                    // Exclusive 6, type bits 7-11, offset bits 12-57.
                    State::Swap
                } else {
                    State::Invalid
                }
            }
            #[inline]
            fn swap_raw(w: u64) -> (u64, u64) {
                ((w >> 7) & 0x1f, w >> 12)
            }
            #[inline]
            fn encode(e: SwapEntry) -> Option<u64> {
                if e.ty >= 1 << 5 || e.offset >= 1 << 46 || e.soft_dirty || e.uffd_wp {
                    return None;
                }
                not_none(e.ty << 7 | e.offset << 12 | u64::from(e.exclusive) << 6)
            }
        }
    };
}
riscv64_hand!(Riscv64_6_6);
riscv64_hand!(Riscv64_6_18);

// Linux 6.6 / 6.18 arch/loongarch/include/asm/pgtable.h: pte_none = !(val & ~_PAGE_GLOBAL
// 0x40); pte_present = val & (_PAGE_PRESENT 0x80 | _PAGE_PROTNONE 0x400); mk_swap_pte =
// (type & 0x7f) << 16 | offset << 24, _PAGE_SWP_EXCLUSIVE 1 << 23; MAX_PHYSMEM_BITS 48 and
// 16K pages give N = 36 (offset bits 24–59), T = 5 (type bits 16–20).
macro_rules! loongarch_hand {
    ($ty:ty) => {
        impl Hand for $ty {
            #[inline]
            fn classify(w: u64) -> State {
                if w & !0x40 == 0 {
                    State::None
                } else if w & 0x80 != 0 {
                    State::Present
                } else if w & 0x400 != 0 {
                    State::ProtNone
                } else if w & !0x0FFF_FFFF_FF9F_0000 == 0 {
                    State::Swap
                } else {
                    State::Invalid
                }
            }
            #[inline]
            fn swap_raw(w: u64) -> (u64, u64) {
                ((w >> 16) & 0x7f, w >> 24)
            }
            #[inline]
            fn encode(e: SwapEntry) -> Option<u64> {
                if e.ty >= 1 << 5 || e.offset >= 1 << 36 || e.soft_dirty || e.uffd_wp {
                    return None;
                }
                not_none(e.ty << 16 | e.offset << 24 | u64::from(e.exclusive) << 23)
            }
        }
    };
}
loongarch_hand!(Loongarch64_6_6);
loongarch_hand!(Loongarch64_6_18);
