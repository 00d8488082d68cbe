//! The PTE checks of `mm/debug_vm_pgtable.c` (Linux 6.6.87), on every layout; and the
//! `pte_mkwrite_novma()` checks Linux 6.19 added, on the layouts of 6.19 and later releases.

use pte_core::encode::{encode_present, encode_protnone, encode_swap};
use pte_core::helpers::{
    is_dirty, is_writable, is_young, make_clean, make_dirty, make_old, make_writable, make_young,
    with_protection, write_protect,
};
use pte_core::model::{HelperModel, low_mask};
use pte_core::{
    Decoded, Discipline, KernelVersion, LayoutEntry, State, SwapEntry, classify, classify_locked,
};
use pte_tests::all_layouts;

/// Present entries built from every subset of up to 8 single-bit named flags (multi-bit
/// fields at 0, ia64 access rights R and RWX), as `vm_get_page_prot()` would give a range.
fn present_words(e: &LayoutEntry) -> Vec<u64> {
    let l = e.layout;
    let single: Vec<u64> = l
        .flags
        .iter()
        .map(|f| f.mask)
        .filter(|m| m.count_ones() == 1)
        .take(8)
        .collect();
    let mut prots = vec![];
    for pick in 0u32..1 << single.len() {
        let bits = (0..single.len())
            .filter(|k| pick >> k & 1 == 1)
            .fold(0, |a, k| a | single[k]);
        prots.push(bits);
        if let HelperModel::Ia64 { ar, .. } = l.helpers {
            prots.push(bits | ar.put(3)); // _PAGE_AR_RWX
        }
    }
    prots
        .into_iter()
        .map(|p| encode_present(l, 0x1234, p).unwrap())
        .collect()
}

#[test]
fn pte_basic_tests() {
    for e in all_layouts() {
        let l = e.layout;
        for pte in present_words(e) {
            let n = l.name;
            assert!(
                !is_dirty(l, write_protect(l, make_clean(l, pte))),
                "{n} {pte:#x}"
            );
            assert!(is_young(l, make_young(l, make_old(l, pte))), "{n} {pte:#x}");
            assert!(
                is_dirty(l, make_dirty(l, make_clean(l, pte))),
                "{n} {pte:#x}"
            );
            assert!(
                is_writable(l, make_writable(l, write_protect(l, pte))),
                "{n} {pte:#x}"
            );
            assert!(
                !is_young(l, make_old(l, make_young(l, pte))),
                "{n} {pte:#x}"
            );
            assert!(
                !is_dirty(l, make_clean(l, make_dirty(l, pte))),
                "{n} {pte:#x}"
            );
            assert!(
                !is_writable(l, write_protect(l, make_writable(l, pte))),
                "{n} {pte:#x}"
            );
            // Write-protect keeps dirty (x86 SAVED_DIRTY, arm64 HW → SW dirty).
            assert!(
                is_dirty(l, write_protect(l, make_dirty(l, pte))),
                "{n} {pte:#x}"
            );
            // The helpers never change the PFN or the state.
            for f in [
                make_young,
                make_old,
                make_dirty,
                make_clean,
                make_writable,
                write_protect,
            ] {
                assert_eq!(
                    classify(l, &e.limits, f(l, pte)),
                    classify(l, &e.limits, pte),
                    "{n}"
                );
            }
        }
    }
}

/// The `pte_mkwrite_novma()` checks of `pte_basic_tests()` in Linux 6.19 `mm/debug_vm_pgtable.c`
/// (lines 107–111; the same in 7.0), on every layout whose releases reach 6.19. They came
/// with arm64's "avoid always making PTE dirty in pte_mkwrite()" (6.18): `pte_mkwrite_novma()`
/// of a clean entry must leave it clean. (aarch64/6.6, 5.19–6.9, clears `PTE_RDONLY` always,
/// as those releases do: `pte_mkwrite_no_longer_dirties_from_6_18` below.)
#[test]
fn pte_mkwrite_novma_tests_of_6_19() {
    let v6_19 = KernelVersion::new(6, 19);
    let mut checked = vec![];
    for e in all_layouts().filter(|e| e.layout.kernels.contains(v6_19)) {
        let l = e.layout;
        let n = l.name;
        checked.push(n);
        for pte in present_words(e) {
            assert!(
                is_dirty(l, make_writable(l, make_dirty(l, pte))),
                "{n} {pte:#x}"
            );
            assert!(
                !is_dirty(l, make_writable(l, make_clean(l, pte))),
                "{n} {pte:#x}: pte_mkwrite_novma(pte_mkclean(pte)) is dirty"
            );
            assert!(
                is_writable(l, make_dirty(l, make_writable(l, pte))),
                "{n} {pte:#x}"
            );
            assert!(
                is_writable(l, make_writable(l, write_protect(l, pte))),
                "{n} {pte:#x}"
            );
            assert!(
                !is_writable(l, write_protect(l, make_writable(l, pte))),
                "{n} {pte:#x}"
            );
        }
    }
    assert!(checked.contains(&"aarch64/6.18"), "{checked:?}");
}

/// Linux 6.18's `pte_mkwrite_novma()` (`arch/arm64/include/asm/pgtable.h`, 6.18.2 lines
/// 293–299) clears `PTE_RDONLY` only when `PTE_DIRTY` is set; 6.9.0 and 6.17.0 clear it always.
/// So on aarch64/6.18 a clean read-only entry made writable is writable-clean
/// (`PTE_WRITE | PTE_RDONLY`: hardware DBM, or a permission fault, makes it dirty on the first
/// write), while on aarch64/6.6 it comes out hardware-dirty.
#[test]
fn pte_mkwrite_no_longer_dirties_from_6_18() {
    let (write, rdonly, dirty) = (1u64 << 51, 1u64 << 7, 1u64 << 55);
    for (name, keeps_clean) in [("aarch64/6.6", false), ("aarch64/6.18", true)] {
        let l = pte_tests::layout(name).layout;
        let ro = encode_present(l, 0x1234, l.page_readonly).unwrap();
        assert!(ro & rdonly != 0 && !is_dirty(l, ro), "{name} {ro:#x}");
        let w = make_writable(l, ro);
        assert!(is_writable(l, w), "{name}");
        if keeps_clean {
            let want = ro | write;
            assert!(
                w == want,
                "{name}: {w:#x}, want {want:#x} (only PTE_WRITE set)"
            );
            assert!(!is_dirty(l, w), "{name}: writable-clean");
        } else {
            let want = (ro | write) & !rdonly;
            assert!(
                w == want,
                "{name}: {w:#x}, want {want:#x} (PTE_RDONLY cleared)"
            );
            assert!(is_dirty(l, w), "{name}: hardware-dirty");
        }
        // A software-dirty entry loses PTE_RDONLY in every release.
        let d = make_writable(l, ro | dirty);
        let want = (ro | dirty | write) & !rdonly;
        assert!(d == want, "{name}: {d:#x}, want {want:#x}");
    }
}

#[test]
fn pte_protnone_tests() {
    for e in all_layouts() {
        let w = encode_protnone(e.layout, 0x42).unwrap();
        let d = classify(e.layout, &e.limits, w);
        assert_eq!(d, Decoded::ProtNone { pfn: 0x42 }, "{}", e.layout.name);
    }
}

/// The maximal swap entry: type 2^T − 1 and the largest offset, with every flag set and
/// cleared; exclusive must not alias soft-dirty (or uffd-wp).
#[test]
fn pte_swap_and_exclusive_tests() {
    for e in all_layouts() {
        let (l, lim) = (e.layout, &e.limits);
        let max = SwapEntry {
            ty: low_mask(lim.swap_type_bits),
            offset: low_mask(lim.swap_offset_bits),
            ..SwapEntry::default()
        };
        let w = encode_swap(l, lim, max).unwrap();
        assert_eq!(classify(l, lim, w), Decoded::Swap(max), "{}", l.name);
        if l.swap.exclusive.is_some() {
            let ex = SwapEntry {
                exclusive: true,
                ..max
            };
            let we = encode_swap(l, lim, ex).unwrap();
            assert_ne!(we, w);
            let Decoded::Swap(d) = classify(l, lim, we) else {
                panic!("{}", l.name)
            };
            assert!(d.exclusive && !d.soft_dirty && !d.uffd_wp, "{}", l.name);
            assert_eq!((d.ty, d.offset), (max.ty, max.offset), "{}", l.name);
        }
        if l.swap.soft_dirty.is_some() {
            let sd = encode_swap(
                l,
                lim,
                SwapEntry {
                    soft_dirty: true,
                    ..max
                },
            )
            .unwrap();
            let Decoded::Swap(d) = classify(l, lim, sd) else {
                panic!("{}", l.name)
            };
            assert!(d.soft_dirty && !d.exclusive, "{}", l.name);
        }
    }
}

/// `pte_modify()` keeps accessed, dirty and the lock bit. (LoongArch's `_PAGE_CHG_MASK` does
/// not keep `_PAGE_ACCESSED`, which is the hardware V bit: there `pte_modify()` makes the entry
/// old and the next access faults it young again; dirty is kept through `_PAGE_MODIFIED`.)
#[test]
fn modify_keeps_accessed_dirty_and_lock_bit() {
    for e in all_layouts() {
        let l = e.layout;
        let keeps_young = !matches!(l.helpers, HelperModel::WriteEnableDirty { .. });
        let any_state_lock = e
            .lock
            .filter(|p| p.discipline() == Discipline::AnyState)
            .map_or(0, |p| p.mask());
        for pte in present_words(e) {
            let pte = make_dirty(l, make_young(l, pte)) | any_state_lock;
            for prot in present_words(e) {
                let new = with_protection(l, pte, prot);
                assert!(
                    (is_young(l, new) || !keeps_young) && is_dirty(l, new),
                    "{} {pte:#x} {prot:#x}",
                    l.name
                );
                assert_eq!(new & any_state_lock, any_state_lock, "{}", l.name);
                let (d, locked) =
                    classify_locked(l, &e.limits, new, e.lock.map(|p| (p.bit(), p.discipline())));
                assert_eq!(d.pfn(), Some(0x1234), "{}", l.name);
                assert_eq!(locked, any_state_lock != 0);
            }
        }
    }
}

/// Present → protnone → present through `modify` keeps the PFN (L1TF flip where it applies).
#[test]
fn modify_to_protnone_and_back_keeps_the_pfn() {
    for e in all_layouts() {
        let l = e.layout;
        let pte = encode_present(l, 0x777, 0).unwrap();
        let none = with_protection(l, pte, l.page_none);
        assert_eq!(
            classify(l, &e.limits, none).state(),
            State::ProtNone,
            "{}",
            l.name
        );
        assert_eq!(
            classify(l, &e.limits, none).pfn(),
            Some(0x777),
            "{}",
            l.name
        );
        let back = with_protection(l, none, l.page_present);
        assert_eq!(
            classify(l, &e.limits, back),
            Decoded::Present { pfn: 0x777 },
            "{}",
            l.name
        );
    }
}
