//! The simulator's single-threaded scenarios on every real layout, under every strategy the
//! layout supports (`cargo test -p pte-core --features sim --test sim_scenarios`).
//!
//! Anonymous, shared-file, private-file (copy-on-write), swap round trip, zap, accessed /
//! dirty (hardware on x86 and aarch64 with HAFDBS, software on ia64, aarch64/3.18 and
//! aarch64 without HAFDBS), `mprotect`, and nonlinear file entries where the layout has them
//! (x86_64/2.6.8, i386/2.6.8, i386-pae/2.6.8, ia64/2.6.8, aarch64/3.18).

use arch_aarch64::{Aarch64_3_18, Aarch64_6_6, Aarch64_6_18};
use arch_i386::{I386_2_6_8, I386_6_6, I386Pae2_6_8, I386Pae6_6};
use arch_ia64_sim::{Ia64_2_6_8, Ia64_2_6_8_Pgoff51, Ia64_6_6};
use arch_x86_64::{X86_64_2_6_8, X86_64_6_6};
use pte_core::Arch;
use pte_core::classify::Decoded;
use pte_core::fault::{Backing, Cmpxchg, LockBitRefault, LockBitSpin, MmLock, SplitLock};
use pte_sim::{AddressSpace, Config, Expected, file_word, scenarios};

fn config() -> Config {
    Config {
        frames: 32,
        swap_slots: 16,
        file_pages: vec![8, 8],
        ..Config::default()
    }
}

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

/// Every scenario under the three strategies any `Cmpxchg` layout supports.
macro_rules! plain {
    ($($name:ident: $a:ty;)*) => {$(
        #[test]
        fn $name() {
            let c = config();
            scenarios::all::<$a, _>(Cmpxchg::new, &c);
            scenarios::all::<$a, _>(MmLock::new, &c);
            scenarios::all::<$a, _>(SplitLock::new, &c);
        }
    )*};
}

/// …and the two lock-bit strategies.
macro_rules! locked {
    ($($name:ident: $a:ty;)*) => {$(
        #[test]
        fn $name() {
            let c = config();
            scenarios::all::<$a, _>(Cmpxchg::new, &c);
            scenarios::all::<$a, _>(MmLock::new, &c);
            scenarios::all::<$a, _>(SplitLock::new, &c);
            scenarios::all::<$a, _>(LockBitRefault::new, &c);
            scenarios::all::<$a, _>(LockBitSpin::new, &c);
        }
    )*};
}

plain! {
    i386_2_6_8: I386_2_6_8;
}

locked! {
    x86_64_2_6_8: X86_64_2_6_8;
    x86_64_6_6: X86_64_6_6;
    i386_6_6: I386_6_6;
    i386_pae_2_6_8: I386Pae2_6_8;
    i386_pae_6_6: I386Pae6_6;
    ia64_2_6_8: Ia64_2_6_8;
    ia64_2_6_8_pgoff51: Ia64_2_6_8_Pgoff51;
    ia64_6_6: Ia64_6_6;
    aarch64_3_18: Aarch64_3_18;
    aarch64_6_6: Aarch64_6_6;
    aarch64_6_18: Aarch64_6_18;
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
