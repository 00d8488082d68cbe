//! PTE helpers with the semantics `mm/debug_vm_pgtable.c` checks: `pte_mkyoung`, `pte_mkold`,
//! `pte_mkdirty`, `pte_mkclean`, `pte_mkwrite`, `pte_wrprotect`, `pte_modify`.
//!
//! Each works on a raw word of a present entry and follows the layout's [`HelperModel`]:
//! write-protect keeps dirty (x86 6.6 moves it into `_PAGE_SAVED_DIRTY`, arm64 copies the
//! hardware dirty state into `PTE_DIRTY`), and `modify` keeps accessed, dirty and a lock bit.

use crate::model::{HelperModel, Layout};

#[inline(always)]
const fn b(bit: u32) -> u64 {
    1u64 << bit
}

/// `pte_young()`.
#[inline(always)]
#[doc(alias = "pte_young")]
pub const fn is_young(layout: &Layout, w: u64) -> bool {
    w & accessed_mask(layout) != 0
}

#[inline(always)]
const fn accessed_mask(layout: &Layout) -> u64 {
    match layout.helpers {
        HelperModel::X86 { accessed, .. }
        | HelperModel::Ia64 { accessed, .. }
        | HelperModel::Aarch64 { accessed, .. }
        | HelperModel::WriteEnableDirty { accessed, .. } => b(accessed),
    }
}

/// `pte_mkyoung()`.
#[inline(always)]
#[doc(alias = "pte_mkyoung")]
pub const fn make_young(layout: &Layout, w: u64) -> u64 {
    w | accessed_mask(layout)
}

/// `pte_mkold()`.
#[inline(always)]
#[doc(alias = "pte_mkold")]
pub const fn make_old(layout: &Layout, w: u64) -> u64 {
    w & !accessed_mask(layout)
}

/// `pte_write()`.
#[inline(always)]
#[doc(alias = "pte_write")]
pub const fn is_writable(layout: &Layout, w: u64) -> bool {
    match layout.helpers {
        HelperModel::X86 { write, .. }
        | HelperModel::Aarch64 { write, .. }
        | HelperModel::WriteEnableDirty { write, .. } => w & b(write) != 0,
        // `pte_write()`: access rights RW, RWX, R_RW, RX_RWX or RWX_RW (`ar - 2 <= 4`).
        HelperModel::Ia64 { ar, .. } => ar.get(w).wrapping_sub(2) <= 4,
    }
}

/// `pte_dirty()`.
#[inline(always)]
#[doc(alias = "pte_dirty")]
pub const fn is_dirty(layout: &Layout, w: u64) -> bool {
    match layout.helpers {
        HelperModel::X86 {
            dirty, saved_dirty, ..
        } => w & (b(dirty) | crate::model::bit_opt(saved_dirty)) != 0,
        HelperModel::Ia64 { dirty, .. } => w & b(dirty) != 0,
        HelperModel::WriteEnableDirty {
            modified, hw_dirty, ..
        } => w & (b(modified) | b(hw_dirty)) != 0,
        HelperModel::Aarch64 {
            dirty,
            write,
            rdonly_hw_dirty,
            ..
        } => {
            let sw = w & b(dirty) != 0;
            let hw = match rdonly_hw_dirty {
                Some(rdonly) => w & b(write) != 0 && w & b(rdonly) == 0,
                None => false,
            };
            sw || hw
        }
    }
}

/// `pte_mkdirty()`.
#[inline(always)]
#[doc(alias = "pte_mkdirty")]
pub const fn make_dirty(layout: &Layout, w: u64) -> u64 {
    match layout.helpers {
        HelperModel::X86 {
            dirty, soft_dirty, ..
        } => mksaveddirty(layout, w | b(dirty) | crate::model::bit_opt(soft_dirty)),
        HelperModel::Ia64 { dirty, .. } => w | b(dirty),
        HelperModel::WriteEnableDirty {
            write,
            modified,
            hw_dirty,
            ..
        } => {
            let w = w | b(modified);
            if w & b(write) != 0 {
                w | b(hw_dirty)
            } else {
                w
            }
        }
        HelperModel::Aarch64 {
            dirty,
            write,
            rdonly_hw_dirty,
            ..
        } => {
            let w = w | b(dirty);
            match rdonly_hw_dirty {
                Some(rdonly) if w & b(write) != 0 => w & !b(rdonly),
                _ => w,
            }
        }
    }
}

/// x86 6.x `pte_mksaveddirty()`: a read-only entry keeps its dirtiness in
/// `_PAGE_SAVED_DIRTY` (Write=0,Dirty=1 would be a shadow-stack page).
#[inline(always)]
const fn mksaveddirty(layout: &Layout, w: u64) -> u64 {
    if let HelperModel::X86 {
        write,
        dirty,
        saved_dirty: Some(sd),
        ..
    } = layout.helpers
        && w & b(write) == 0
        && w & b(dirty) != 0
    {
        return (w & !b(dirty)) | b(sd);
    }
    w
}

/// x86 6.x `pte_clear_saveddirty()`: a writable entry moves `_PAGE_SAVED_DIRTY` back to
/// `_PAGE_DIRTY`.
#[inline(always)]
const fn clear_saveddirty(layout: &Layout, w: u64) -> u64 {
    if let HelperModel::X86 {
        write,
        dirty,
        saved_dirty: Some(sd),
        ..
    } = layout.helpers
        && w & b(write) != 0
        && w & b(sd) != 0
    {
        return (w & !b(sd)) | b(dirty);
    }
    w
}

/// `pte_mkclean()`.
#[inline(always)]
#[doc(alias = "pte_mkclean")]
pub const fn make_clean(layout: &Layout, w: u64) -> u64 {
    match layout.helpers {
        HelperModel::X86 {
            dirty, saved_dirty, ..
        } => w & !(b(dirty) | crate::model::bit_opt(saved_dirty)),
        HelperModel::Ia64 { dirty, .. } => w & !b(dirty),
        HelperModel::WriteEnableDirty {
            modified, hw_dirty, ..
        } => w & !(b(modified) | b(hw_dirty)),
        HelperModel::Aarch64 {
            dirty,
            rdonly_hw_dirty,
            ..
        } => {
            let w = w & !b(dirty);
            match rdonly_hw_dirty {
                Some(rdonly) => w | b(rdonly),
                None => w,
            }
        }
    }
}

/// `pte_wrprotect()`: clears write and keeps the entry dirty.
#[inline(always)]
#[doc(alias = "pte_wrprotect")]
pub const fn write_protect(layout: &Layout, w: u64) -> u64 {
    match layout.helpers {
        HelperModel::X86 { write, .. } => mksaveddirty(layout, w & !b(write)),
        // "we convert AR_RWX to AR_RX and AR_RW to AR_R by clearing the 2nd bit".
        HelperModel::Ia64 { ar_rw, .. } => w & !b(ar_rw),
        HelperModel::WriteEnableDirty {
            write, hw_dirty, ..
        } => w & !(b(write) | b(hw_dirty)),
        HelperModel::Aarch64 {
            dirty: d,
            write,
            rdonly_hw_dirty,
            ..
        } => {
            let mut w = w;
            if let Some(rdonly) = rdonly_hw_dirty {
                // Hardware dirty (DBM: writable and not read-only) moves into PTE_DIRTY.
                if w & b(write) != 0 && w & b(rdonly) == 0 {
                    w |= b(d);
                }
                w |= b(rdonly);
            }
            w & !b(write)
        }
    }
}

/// `pte_mkwrite()` (`pte_mkwrite_novma()` plus, on x86, `pte_clear_saveddirty()`).
///
/// On aarch64 with hardware dirty tracking it also clears `PTE_RDONLY`, which makes the
/// entry hardware-dirty: always before Linux 6.18, and from 6.18 only when the entry is
/// software-dirty, so a clean entry stays writable-clean
/// ([`HelperModel::Aarch64`]`::mkwrite_keeps_clean`).
#[inline(always)]
#[doc(alias = "pte_mkwrite")]
pub const fn make_writable(layout: &Layout, w: u64) -> u64 {
    match layout.helpers {
        HelperModel::X86 { write, .. } => clear_saveddirty(layout, w | b(write)),
        HelperModel::Ia64 { ar_rw, .. } => w | b(ar_rw),
        HelperModel::WriteEnableDirty {
            write,
            modified,
            hw_dirty,
            ..
        } => {
            let w = w | b(write);
            if w & b(modified) != 0 {
                w | b(hw_dirty)
            } else {
                w
            }
        }
        HelperModel::Aarch64 {
            write,
            dirty,
            rdonly_hw_dirty,
            mkwrite_keeps_clean,
            ..
        } => {
            let w = w | b(write);
            match rdonly_hw_dirty {
                // 6.18: `if (pte_sw_dirty(pte)) pte = clear_pte_bit(pte,
                // __pgprot(PTE_RDONLY));` before: always.
                Some(rdonly) if !mkwrite_keeps_clean || w & b(dirty) != 0 => w & !b(rdonly),
                _ => w,
            }
        }
    }
}

/// `pte_modify(pte, newprot)`.
///
/// Bits in [`Layout::modify_keep`] (PFN, accessed, dirty, …) come from `old`, the rest from
/// `prot`. Bits that are neither hardware nor Linux software bits are kept as well: that is
/// where an any-state lock bit lives, and x86's own `pte_modify()` would drop it. Where L1TF
/// applies, the PFN is flipped when the entry moves between present and protnone.
#[doc(alias = "pte_modify")]
pub const fn with_protection(layout: &Layout, old: u64, prot: u64) -> u64 {
    let mut old = old;
    if let HelperModel::Aarch64 {
        rdonly_hw_dirty: Some(_),
        dirty: d,
        ..
    } = layout.helpers
    {
        // "preserve the hardware dirty information"
        if is_dirty(layout, old) {
            old |= b(d);
        }
    }
    if let HelperModel::WriteEnableDirty {
        modified,
        hw_dirty,
        modify_saves_dirty: true,
        ..
    } = layout.helpers
    {
        // LoongArch 6.18: `if (pte_val(pte) & _PAGE_DIRTY) pte_val(pte) |= _PAGE_MODIFIED;`
        if old & b(hw_dirty) != 0 {
            old |= b(modified);
        }
    }
    let keep = layout.modify_keep | (layout.word_mask() & !(layout.hw_bits | layout.sw_bits));
    let mut new = (old & keep) | (prot & !keep & !layout.pfn.mask());
    if layout.pfn.protnone_inverted {
        // flip_protnone_guard()
        let valid = b(layout.valid_bit);
        if needs_invert(old, valid) != needs_invert(new, valid) {
            new ^= layout.pfn.mask();
        }
    }
    match layout.helpers {
        HelperModel::X86 { write, .. } => {
            if old & b(write) != 0 {
                mksaveddirty(layout, new)
            } else {
                clear_saveddirty(layout, new)
            }
        }
        HelperModel::Aarch64 { dirty: d, .. } if new & b(d) != 0 => make_dirty(layout, new),
        _ => new,
    }
}

/// `__pte_needs_invert()`: a non-zero entry without the valid bit.
const fn needs_invert(v: u64, valid: u64) -> bool {
    v != 0 && v & valid == 0
}
