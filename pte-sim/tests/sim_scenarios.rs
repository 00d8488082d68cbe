//! The simulator's single-threaded scenarios on every real layout, under every strategy the
//! layout supports (`cargo test -p pte-sim --test sim_scenarios`).
//!
//! Anonymous, shared-file, private-file (copy-on-write), swap round trip, zap, accessed /
//! dirty (hardware on x86 and aarch64 with HAFDBS, software on ia64, aarch64/3.18 and
//! aarch64 without HAFDBS), `mprotect`, and nonlinear file entries where the layout has them
//! (x86_64/2.6.8, i386/2.6.8, i386-pae/2.6.8, ia64/2.6.8, aarch64/3.18).

mod common;

use arch_aarch64::{Aarch64_6_6, Aarch64_6_18, Aarch64Lpa2_6_18};
use arch_i386::I386_2_6_8;
use arch_ia64_sim::{Ia64_2_6_8, Ia64_2_6_8_Pgoff51, Ia64_6_6};
use arch_x86_64::X86_64_6_6;
use common::config;
use pte_core::classify::Decoded;
use pte_core::fault::{
    Backing, Cmpxchg, LockBitRefault, LockBitSpin, MmLock, NewStrategyVisitor, SplitLock, Strategy,
    StrategyKind,
};
use pte_core::{Arch, CompareExchange, LockBit};
use pte_sim::{AccessError, AddressSpace, Config, Expected, file_word, scenarios};

fn geometry<A: Arch>(name: &str) -> Config {
    let geometry = A::LAYOUT
        .geometries
        .iter()
        .position(|g| g.name == name)
        .unwrap_or_else(|| panic!("{} has no geometry {name}", A::LAYOUT.name));
    Config {
        geometry,
        ..config()
    }
}

/// Every scenario under one strategy.
struct AllScenarios<'c>(&'c Config);

impl<A: Arch + CompareExchange> NewStrategyVisitor<A> for AllScenarios<'_> {
    type Output = ();
    fn visit<S: Strategy<A>>(self, new: fn() -> S) {
        scenarios::all::<A, S>(new, self.0);
    }
}

/// Every scenario under every strategy (layouts with a lock bit).
fn locked<A: LockBit + CompareExchange>() {
    for kind in StrategyKind::ALL {
        kind.with_new::<A, _>(AllScenarios(&config()));
    }
}

/// Every scenario under the strategies that need no lock bit.
fn plain<A: Arch + CompareExchange>() {
    for kind in StrategyKind::ALL {
        // The lock-bit strategies are refused: they do not exist for `A`.
        kind.try_with_new::<A, _>(AllScenarios(&config())).ok();
    }
}

/// One test per layout of `pte_layouts`, named after it.
macro_rules! every_layout {
    ($($id:ident => $ty:ty, $dir:literal, $lock:ident;)*) => {$(
        #[test]
        fn $id() {
            $lock::<$ty>();
        }
    )*};
}

pte_layouts::for_each_layout!(every_layout);

/// Not one of the eleven kernel layouts: ia64/2.6.8 with file pgoffs narrowed to 51 bits.
#[test]
fn ia64_2_6_8_pgoff51() {
    locked::<Ia64_2_6_8_Pgoff51>();
}

#[test]
fn aarch64_without_hafdbs() {
    let off = Config {
        hafdbs: false,
        ..config()
    };
    scenarios::all::<Aarch64_6_6, _>(Cmpxchg::new, &off);
    scenarios::all::<Aarch64_6_18, _>(LockBitSpin::new, &off);
    let r = scenarios::access_dirty::<Aarch64_6_6, _>(MmLock::new(), off.clone());
    assert_eq!(
        r.space.access_dirty, 2,
        "permission fault and access-flag fault"
    );
    let on = Config {
        hafdbs: true,
        ..config()
    };
    let r = scenarios::access_dirty::<Aarch64_6_6, _>(MmLock::new(), on);
    assert_eq!(r.space.access_dirty, 0, "the MMU sets AF and clears RDONLY");
}

#[test]
fn ia64_software_access_and_dirty_bits() {
    for r in [
        scenarios::access_dirty::<Ia64_6_6, _>(Cmpxchg::new(), config()),
        scenarios::access_dirty::<Ia64_2_6_8, _>(MmLock::new(), config()),
    ] {
        assert_eq!(r.space.access_dirty, 2, "{r}");
        assert_eq!(r.space.mmu.hw_updates, 0, "the ia64 MMU writes nothing");
    }
}

#[test]
fn other_geometries() {
    let c = geometry::<X86_64_6_6>("5-level");
    scenarios::all::<X86_64_6_6, _>(Cmpxchg::new, &c);
    let c = geometry::<Ia64_6_6>("4K/4-level");
    scenarios::all::<Ia64_6_6, _>(SplitLock::new, &c);
    let c = geometry::<Ia64_2_6_8>("64K/3-level");
    scenarios::all::<Ia64_2_6_8, _>(Cmpxchg::new, &c);
    let c = geometry::<Aarch64_6_6>("64K/2-level");
    scenarios::all::<Aarch64_6_6, _>(MmLock::new, &c);
    let c = geometry::<Aarch64_6_18>("16K/4-level");
    scenarios::all::<Aarch64_6_18, _>(LockBitRefault::new, &c);
}

/// arm64 LPA2: a frame pool above 2^50 bytes (PFNs from 3 << 38, so both `PA[51:50]` bits,
/// entry bits 8–9, are set in every entry), every scenario under every strategy on
/// aarch64-lpa2/6.18, on both its geometries. aarch64/6.18 cannot map those frames: its
/// `pfn_pte()` refuses a PFN of 2^38 or more, and the fault path reports the fault as corrupt
/// instead of installing an entry that would point elsewhere.
#[test]
fn aarch64_lpa2_frames_above_2_pow_50() {
    let high = Config {
        base_pfn: 3 << 38,
        ..config()
    };
    for kind in StrategyKind::ALL {
        kind.with_new::<Aarch64Lpa2_6_18, _>(AllScenarios(&high));
    }
    let sixteen_k = Config {
        base_pfn: 3 << 38,
        ..geometry::<Aarch64Lpa2_6_18>("16K/4-level/52-bit")
    };
    scenarios::all::<Aarch64Lpa2_6_18, _>(Cmpxchg::new, &sixteen_k);
    let no_hafdbs = Config {
        hafdbs: false,
        ..high.clone()
    };
    scenarios::all::<Aarch64Lpa2_6_18, _>(SplitLock::new, &no_hafdbs);

    let s = AddressSpace::<Aarch64Lpa2_6_18, _>::new(Cmpxchg::new(), high.clone());
    s.map(0x40_0000, 1, Backing::Anonymous, true).unwrap();
    s.write(0x40_0008, 7).unwrap();
    let pte = s.pte(0x40_0000).unwrap();
    assert_eq!(pte.raw() & 0x300, 0x300, "PA[51:50] in bits 8-9");
    assert_eq!(pte.pfn().map(|pfn| pfn >> 38), Some(3));

    let s = AddressSpace::<Aarch64_6_18, _>::new(Cmpxchg::new(), high);
    s.map(0x40_0000, 1, Backing::Anonymous, true).unwrap();
    assert_eq!(s.write(0x40_0008, 7), Err(AccessError::Corrupt));
}

/// The nonlinear entry of i386/2.6.8 splits the pgoff (bits 1–5 and 8–31): a pgoff with
/// bits in both parts comes back through the fault.
#[test]
fn i386_2_6_8_split_pgoff() {
    let s = AddressSpace::<I386_2_6_8, _>::new(
        Cmpxchg::new(),
        Config {
            file_pages: vec![64],
            ..config()
        },
    );
    s.map(
        0x40_0000,
        1,
        Backing::SharedFile { file: 0, pgoff: 0 },
        true,
    )
    .unwrap();
    s.remap_file_pages(0x40_0000, 1, 0x2b).unwrap();
    let pte = s.pte(0x40_0000).unwrap();
    assert_eq!(pte.decode(), Decoded::File { pgoff: 0x2b });
    assert_eq!(pte.raw(), 0x40 | (0x0b << 1) | (1 << 8));
    assert_eq!(s.read(0x40_0018), Ok(file_word(0, 0x2b, 3)));
    let mut exp = Expected::new();
    exp.set(0x40_0018, file_word(0, 0x2b, 3));
    let r = s.check(&exp);
    r.assert_ok();
    assert_eq!(r.space.nonlinear, 1);
}
