//! arm64 LPA2 (`aarch64-lpa2/6.18`) against `aarch64/6.18`: the PFN's top bits in entry bits
//! 8–9 (docs/DESIGN.md#format, the crate docs of `arch-aarch64`).
//!
//! The expected PFNs come from `pte_tests::hand`, the kernel's `__pte_to_phys()` /
//! `__phys_to_pte_val()` translated by hand with literal masks, not from the model; the
//! properties run over random PFNs and flags, so the statement "a PFN of 2^38 or more decodes
//! wrongly with aarch64/6.18" is checked on the inputs proptest draws, not on a few hand-picked
//! words.

use arch_aarch64::{Aarch64_6_18, Aarch64Lpa2_6_18, Flags6_18, FlagsLpa2_6_18};
use proptest::prelude::*;
use pte_core::encode::{EncodeError, Field};
use pte_core::{Arch, Decoded, Pte, State};
use pte_tests::hand::{aarch64_6_18_pfn, aarch64_lpa2_6_18_pfn, aarch64_lpa2_6_18_pfn_bits};

type Lpa2 = Aarch64Lpa2_6_18;
type Old = Aarch64_6_18;

/// Bits 8–9: `PTE_ADDR_HIGH` with LPA2, `PTE_SHARED` without.
const BITS_8_9: u64 = 0x300;

/// A PFN below 2^40 (a 52-bit physical address with 4K pages).
fn pfn40() -> impl Strategy<Value = u64> {
    0..1u64 << 40
}

/// A PFN of 2^38 or more: `PA[51:50]` not both zero.
fn high_pfn() -> impl Strategy<Value = u64> {
    1u64 << 38..1u64 << 40
}

/// Any set of the LPA2 layout's named flags (the page-type bits come from the encoder).
fn lpa2_flags() -> impl Strategy<Value = FlagsLpa2_6_18> {
    any::<u64>().prop_map(FlagsLpa2_6_18::from_bits_truncate)
}

fn too_large(r: Result<Pte<Lpa2>, EncodeError>, value: u64) {
    assert_eq!(
        r,
        Err(EncodeError::TooLarge {
            field: Field::Pfn,
            value,
            limit_bits: 40,
        })
    );
}

proptest! {
    /// `pfn_pte()` then `pte_pfn()` gives the PFN back, for every 40-bit PFN; the word's
    /// address bits are exactly the kernel's `__phys_to_pte_val(pfn << PAGE_SHIFT)`, and the
    /// kernel's `pte_pfn()` reads the same PFN out of it.
    #[test]
    fn every_40_bit_pfn_round_trips(pfn in pfn40(), flags in lpa2_flags()) {
        let pte = Pte::<Lpa2>::present(pfn, flags).unwrap();
        prop_assert_eq!(pte.decode(), Decoded::Present { pfn });
        prop_assert_eq!(pte.pfn(), Some(pfn));
        let w = pte.raw();
        prop_assert_eq!(w & Lpa2::LAYOUT.pfn.mask(), aarch64_lpa2_6_18_pfn_bits(pfn));
        prop_assert_eq!(aarch64_lpa2_6_18_pfn(w), pfn);
        let none = Pte::<Lpa2>::protnone(pfn).unwrap();
        prop_assert_eq!(none.decode(), Decoded::ProtNone { pfn });
        prop_assert_eq!(aarch64_lpa2_6_18_pfn(none.raw()), pfn);
    }

    /// From 2^38 on, an LPA2 entry read as aarch64/6.18 has the wrong PFN: 6.18's
    /// `pte_pfn()` (the hand translation and the model agree on it) drops `PA[51:50]`, which
    /// it takes for the shareability field, and 6.18's encoder refuses the PFN outright.
    #[test]
    fn pfns_from_2_pow_38_decode_wrongly_as_6_18(pfn in high_pfn(), flags in lpa2_flags()) {
        let w = Pte::<Lpa2>::present(pfn, flags).unwrap().raw();
        prop_assert!(w & BITS_8_9 != 0);
        let read_as_old = Pte::<Old>::from_raw(w).unwrap();
        let old_pfn = read_as_old.pfn().unwrap();
        prop_assert_eq!(old_pfn, aarch64_6_18_pfn(w));
        prop_assert_ne!(old_pfn, pfn);
        prop_assert_eq!(old_pfn, pfn % (1 << 38));
        prop_assert!(Pte::<Old>::present(pfn, Flags6_18::empty()).is_err());
        prop_assert!(Pte::<Old>::protnone(pfn).is_err());
    }

    /// Below 2^38 the two layouts agree on the PFN of an LPA2 entry (bits 8–9 are 0).
    #[test]
    fn pfns_below_2_pow_38_agree(pfn in 0..1u64 << 38, flags in lpa2_flags()) {
        let w = Pte::<Lpa2>::present(pfn, flags).unwrap().raw();
        prop_assert_eq!(w & BITS_8_9, 0);
        prop_assert_eq!(Pte::<Old>::from_raw(w).unwrap().pfn(), Some(pfn));
    }

    /// Every word whose state has a PFN: the model's PFN is the kernel's `pte_pfn()`, on both
    /// layouts (the hand translations use literal masks).
    #[test]
    fn model_pfn_is_the_kernels(w in any::<u64>()) {
        let lpa2 = Pte::<Lpa2>::from_raw(w).unwrap();
        if let Some(pfn) = lpa2.pfn() {
            prop_assert_eq!(pfn, aarch64_lpa2_6_18_pfn(w));
        }
        let old = Pte::<Old>::from_raw(w).unwrap();
        if let Some(pfn) = old.pfn() {
            prop_assert_eq!(pfn, aarch64_6_18_pfn(w));
        }
        // Present, protnone and present-invalid are the same words on both layouts: only the
        // PFN read out of them differs.
        let has_pfn = |s: State| matches!(s, State::Present | State::ProtNone | State::PresentInvalid);
        prop_assert_eq!(has_pfn(lpa2.state()), has_pfn(old.state()));
    }

    /// The helpers (`pte_mkyoung`, `pte_mkdirty`, `pte_wrprotect`, `pte_modify`, …) never
    /// touch the PFN's top bits: they are output address, not an attribute. (`pte_modify()`
    /// to a valid protection, and to `PAGE_NONE`: NUMA balancing's protnone.)
    #[test]
    fn helpers_keep_the_pfn(pfn in high_pfn(), flags in lpa2_flags(), prot in lpa2_flags()) {
        let pte = Pte::<Lpa2>::present(pfn, flags).unwrap();
        let page_none = FlagsLpa2_6_18::from_bits_retain(Lpa2::LAYOUT.page_none);
        let numa = pte.with_protection(page_none);
        prop_assert_eq!(numa.decode(), Decoded::ProtNone { pfn });
        for p in [
            pte.make_young(),
            pte.make_old(),
            pte.make_dirty(),
            pte.make_clean(),
            pte.make_writable(),
            pte.write_protect(),
            pte.with_protection(prot | FlagsLpa2_6_18::VALID),
            numa.with_protection(prot | FlagsLpa2_6_18::VALID),
        ] {
            prop_assert_eq!(p.pfn(), Some(pfn), "{:#x} from {:#x}", p.raw(), pte.raw());
        }
    }

    /// A PFN that does not fit 40 bits is refused with a `Result` error, not cut.
    #[test]
    fn pfns_from_2_pow_40_are_refused(pfn in 1u64 << 40.., flags in lpa2_flags()) {
        too_large(Pte::<Lpa2>::present(pfn, flags), pfn);
        too_large(Pte::<Lpa2>::protnone(pfn), pfn);
        too_large(Pte::<Lpa2>::with_prot(pfn, Lpa2::LAYOUT.page_shared), pfn);
        // The kernel's macro would wrap instead: `__phys_to_pte_val()` of a 53-bit or wider
        // address loses its top bits.
        prop_assert_ne!(aarch64_lpa2_6_18_pfn(aarch64_lpa2_6_18_pfn_bits(pfn)), pfn);
    }
}

/// No protection of the LPA2 layout sets bits 8–9 (`adjust_protection_map()` clears
/// `PTE_SHARED`), while aarch64/6.18's all do; and `SHARED` is not a flag of the LPA2 layout.
#[test]
fn protections_leave_bits_8_and_9_to_the_address() {
    let (new, old) = (Lpa2::LAYOUT, Old::LAYOUT);
    for (n, o) in [
        (new.page_none, old.page_none),
        (new.page_readonly, old.page_readonly),
        (new.page_shared, old.page_shared),
    ] {
        assert_eq!(n & BITS_8_9, 0);
        assert_eq!(o & BITS_8_9, BITS_8_9);
        assert_eq!(n, o & !BITS_8_9, "otherwise the same protection");
    }
    assert!(new.flag_named("SHARED").is_none());
    assert_eq!(old.flag_named("SHARED").map(|f| f.mask), Some(BITS_8_9));
}

/// Both layouts read the same swap entries below 2^38; LPA2 adds offsets up to 2^42
/// (`MAX_PHYSMEM_BITS` 52).
#[test]
fn swap_limits() {
    assert_eq!(Old::LIMITS.swap_offset_bits, 38);
    assert_eq!(Lpa2::LIMITS.swap_offset_bits, 42);
    assert_eq!(Lpa2::LAYOUT.swap, Old::LAYOUT.swap);
}
