//! Unit tests of the simulator on test layouts (the arch crates' types would be another copy
//! of this crate here): an x86_64/2.6.8-like layout (hardware A/D, file entries, any-state
//! lock bit), the same with software-only A/D (ia64's behaviour) and an aarch64/6.6-like
//! layout (HAFDBS). The integration tests `tests/sim_*.rs` run the same scenarios on the
//! real layouts.

use std::vec::Vec;

use super::scenarios;
use super::stress::{self, StressConfig};
use super::*;
use crate::classify::{Decoded, SwapEntry};
use crate::fault::{
    Backing, Cmpxchg, FrameAllocator, LockBitRefault, LockBitSpin, MmLock, SplitLock, Strategy,
};
use crate::limits::Limits;
use crate::model::bit_range as bits;
use crate::model::{
    Family, Field, FileFormat, Geometry, HelperModel, HwAccessDirty, Layout, PfnFormat,
    ProtNoneRule, SwapFormat, ValueField,
};
use crate::{Arch, Pte, Word64};

bitflags::bitflags! {
    /// x86_64/2.6.8-like flags.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct XFlags: u64 {
        const PRESENT = 1 << 0;
        const RW = 1 << 1;
        const USER = 1 << 2;
        const ACCESSED = 1 << 5;
        const DIRTY = 1 << 6;
        const PSE = 1 << 7;
        const GLOBAL = 1 << 8;
        const NX = 1 << 63;
    }
}

const FOUR_LEVEL: Geometry = Geometry {
    name: "4-level",
    page_shift: 12,
    level_bits: &[9, 9, 9, 9],
};
const TWO_LEVEL_16K: Geometry = Geometry {
    name: "16K/2-level",
    page_shift: 14,
    level_bits: &[4, 11],
};

/// A copy of x86_64/2.6.8.
const TEST_X86: Layout = Layout {
    name: "test-x86",
    family: Family::X86_64,
    word_bits: 64,
    valid_bit: 0,
    none_ignore: 0,
    protnone: ProtNoneRule::Marker { bit: 7 },
    pfn: PfnFormat {
        field: Field {
            shift: 12,
            width: 40,
        },
        value_bits: 40,
        protnone_inverted: false,
    },
    page_present: 1,
    page_none: 0x80 | 0x20,
    page_readonly: 1 | 1 << 2 | 0x20 | 1 << 63,
    page_shared: 1 | 1 << 1 | 1 << 2 | 0x20 | 1 << 63,
    swap: SwapFormat {
        type_field: Field { shift: 1, width: 6 },
        offset: ValueField::plain(8, 56),
        exclusive: None,
        soft_dirty: None,
        uffd_wp: None,
    },
    file: Some(FileFormat {
        marker: 6,
        pgoff: ValueField::plain(12, 40),
    }),
    flags: crate::flag_table!(XFlags),
    hw_bits: bits(0, 8) | bits(12, 51) | 1 << 63,
    hw_set: 0x20 | 0x40,
    hw_ignored: bits(9, 11) | bits(52, 62),
    reserved: 0,
    sw_bits: 0,
    hw_ad: HwAccessDirty::SetsAccessedDirty,
    helpers: HelperModel::X86 {
        write: 1,
        accessed: 5,
        dirty: 6,
        saved_dirty: None,
        soft_dirty: None,
    },
    modify_keep: bits(12, 51) | 0x20 | 0x40,
    default_limits: Limits {
        swap_type_bits: 5,
        swap_offset_bits: 32,
        file_pgoff_bits: Some(40),
    },
    geometries: &[FOUR_LEVEL, TWO_LEVEL_16K],
    source: "test",
};

/// The same layout whose MMU sets nothing (ia64's Access-bit and Dirty-bit faults).
const TEST_SOFT: Layout = Layout {
    name: "test-soft",
    hw_set: 0,
    hw_ad: HwAccessDirty::SoftwareOnly,
    ..TEST_X86
};

bitflags::bitflags! {
    /// aarch64/6.6-like flags.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct AFlags: u64 {
        const VALID = 1 << 0;
        const TABLE = 1 << 1;
        const USER = 1 << 6;
        const RDONLY = 1 << 7;
        const SHARED = 3 << 8;
        const AF = 1 << 10;
        const NG = 1 << 11;
        const WRITE = 1 << 51;
        const PXN = 1 << 53;
        const UXN = 1 << 54;
        const DIRTY = 1 << 55;
    }
}

/// A copy of aarch64/6.6 (4K pages).
const TEST_ARM: Layout = Layout {
    name: "test-arm",
    family: Family::Aarch64,
    word_bits: 64,
    valid_bit: 0,
    none_ignore: 0,
    protnone: ProtNoneRule::Marker { bit: 58 },
    pfn: PfnFormat {
        field: Field {
            shift: 12,
            width: 36,
        },
        value_bits: 36,
        protnone_inverted: false,
    },
    page_present: 3,
    page_none: (1 << 1) | (1 << 10) | (3 << 8) | (1 << 58) | (1 << 7) | (1 << 11) | (3 << 53),
    page_readonly: 3 | 1 << 10 | 3 << 8 | 1 << 6 | 1 << 7 | 1 << 11 | 3 << 53,
    page_shared: 3 | 1 << 10 | 3 << 8 | 1 << 6 | 1 << 7 | 1 << 11 | 3 << 53 | 1 << 51,
    swap: SwapFormat {
        type_field: Field { shift: 3, width: 5 },
        offset: ValueField::plain(8, 50),
        exclusive: Some(2),
        soft_dirty: None,
        uffd_wp: None,
    },
    file: None,
    flags: crate::flag_table!(AFlags),
    hw_bits: bits(0, 54),
    hw_set: 1 << 10 | 1 << 7,
    hw_ignored: bits(55, 63),
    reserved: bits(48, 49),
    sw_bits: 1 << 51 | bits(55, 58),
    hw_ad: HwAccessDirty::AfDbmIfHafdbs,
    helpers: HelperModel::Aarch64 {
        accessed: 10,
        dirty: 55,
        write: 51,
        rdonly_hw_dirty: Some(7),
    },
    modify_keep: !(1 << 6 | 1 << 53 | 1 << 54 | 1 << 7 | 1 << 58 | 1 << 0 | 1 << 51 | 7 << 2),
    default_limits: Limits {
        swap_type_bits: 5,
        swap_offset_bits: 38,
        file_pgoff_bits: None,
    },
    geometries: &[FOUR_LEVEL],
    source: "test",
};

crate::layout_type!(
    /// x86_64/2.6.8-like.
    pub TestX86 { word: Word64, flags: XFlags, layout: TEST_X86 }
);
crate::layout_type!(
    /// Software-only A/D.
    pub TestSoft { word: Word64, flags: XFlags, layout: TEST_SOFT }
);
crate::layout_type!(
    /// aarch64/6.6-like.
    pub TestArm { word: Word64, flags: AFlags, layout: TEST_ARM }
);
crate::lock_bit!(TestX86, bit = 56, discipline = AnyState);
crate::lock_bit!(TestSoft, bit = 56, discipline = AnyState);
crate::lock_bit!(TestArm, bit = 63, discipline = AnyState);

fn config() -> Config {
    Config {
        frames: 32,
        swap_slots: 16,
        file_pages: std::vec![8, 8],
        ..Config::default()
    }
}

// ---------------------------------------------------------------- the brief's scenarios

#[test]
fn anonymous_fault_write_read() {
    scenarios::anonymous::<TestX86, _>(Cmpxchg::new(), config());
    scenarios::anonymous::<TestX86, _>(MmLock::new(), config());
}

#[test]
fn anonymous_on_a_16k_two_level_geometry() {
    let cfg = Config {
        geometry: 1,
        ..config()
    };
    let r = scenarios::anonymous::<TestX86, _>(SplitLock::new(), cfg);
    assert_eq!(r.geometry, "16K/2-level");
}

#[test]
fn shared_file_reads_the_page_cache_pattern() {
    scenarios::shared_file::<TestX86, _>(Cmpxchg::new(), config());
    scenarios::shared_file::<TestX86, _>(MmLock::new(), config());
}

#[test]
fn private_file_write_copies() {
    scenarios::private_file_cow::<TestX86, _>(Cmpxchg::new(), config());
    scenarios::private_file_cow::<TestX86, _>(MmLock::new(), config());
}

#[test]
fn swap_out_then_touch_swaps_back_in() {
    scenarios::swap_round_trip::<TestX86, _>(Cmpxchg::new(), config());
    scenarios::swap_round_trip::<TestX86, _>(MmLock::new(), config());
}

#[test]
fn zap_then_touch_gets_a_zero_page() {
    scenarios::zap_then_touch::<TestX86, _>(Cmpxchg::new(), config());
    scenarios::zap_then_touch::<TestX86, _>(MmLock::new(), config());
}

#[test]
fn software_ad_faults() {
    let r = scenarios::access_dirty::<TestSoft, _>(Cmpxchg::new(), config());
    assert_eq!(r.space.access_dirty, 2);
    let r = scenarios::access_dirty::<TestSoft, _>(MmLock::new(), config());
    assert_eq!(r.space.access_dirty, 2);
    let r = scenarios::access_dirty::<TestX86, _>(Cmpxchg::new(), config());
    assert_eq!(r.space.access_dirty, 0);
}

#[test]
fn hafdbs_on_and_off() {
    let on = Config {
        hafdbs: true,
        ..config()
    };
    let off = Config {
        hafdbs: false,
        ..config()
    };
    let r = scenarios::access_dirty::<TestArm, _>(Cmpxchg::new(), on);
    assert_eq!(r.space.access_dirty, 0);
    let r = scenarios::access_dirty::<TestArm, _>(MmLock::new(), off);
    assert_eq!(r.space.access_dirty, 2);
}

#[test]
fn hafdbs_switch_at_run_time() {
    let s = AddressSpace::<TestArm, _>::new(Cmpxchg::new(), config());
    s.map(0x10000, 1, Backing::Anonymous, true).unwrap();
    s.read(0x10000).unwrap();
    s.set_hafdbs(false);
    s.write(0x10000, 1).unwrap();
    assert_eq!(
        s.counts().access_dirty,
        1,
        "permission fault, DBM in software"
    );
    s.set_hafdbs(true);
    s.clear_young(0x10000);
    s.read(0x10000).unwrap();
    assert_eq!(s.counts().access_dirty, 1, "AF set by the hardware");
    assert!(s.pte(0x10000).unwrap().young());
    s.check(&Expected::new()).assert_ok();
}

#[test]
fn nonlinear_file_entry_resolved_at_its_pgoff() {
    scenarios::nonlinear::<TestX86, _>(Cmpxchg::new(), config());
    scenarios::nonlinear::<TestX86, _>(MmLock::new(), config());
}

#[test]
fn mprotect_keeps_dirty_and_page_copy() {
    scenarios::mprotect_round_trip::<TestX86, _>(Cmpxchg::new(), config());
    scenarios::mprotect_round_trip::<TestArm, _>(SplitLock::new(), config());
}

#[test]
#[cfg_attr(
    miri,
    ignore = "minutes under Miri; the single scenarios above cover it"
)]
fn every_scenario_every_strategy() {
    let c = config();
    scenarios::all::<TestX86, _>(Cmpxchg::new, &c);
    scenarios::all::<TestX86, _>(MmLock::new, &c);
    scenarios::all::<TestX86, _>(SplitLock::new, &c);
    scenarios::all::<TestX86, _>(LockBitRefault::new, &c);
    scenarios::all::<TestX86, _>(LockBitSpin::new, &c);
    scenarios::all::<TestSoft, _>(LockBitSpin::new, &c);
    scenarios::all::<TestArm, _>(LockBitRefault::new, &c);
}

#[test]
fn no_remap_without_file_entries() {
    let s = AddressSpace::<TestArm, _>::new(Cmpxchg::new(), config());
    s.map(0x10000, 1, Backing::SharedFile { file: 0, pgoff: 0 }, true)
        .unwrap();
    assert_eq!(
        s.remap_file_pages(0x10000, 1, 3),
        Err(MapError::NoFileEntries)
    );
}

// ---------------------------------------------------------------- parts

#[test]
fn pool_zeroes_copies_and_counts() {
    let pool = FramePool::new(2, 12, true);
    let a = pool.alloc_zeroed().unwrap();
    assert!(pool.write_word(a, 3, 7));
    let b = pool.alloc_copy(a).unwrap();
    assert_eq!(pool.read_word(b, 3), Some(7));
    assert_eq!(pool.alloc_zeroed(), None, "bounded");
    pool.free(a);
    assert_eq!(pool.read_word(a, 3), Some(POISON));
    pool.free(a);
    let c = pool.counts();
    assert_eq!((c.double_frees, c.exhausted, c.anon, c.free), (1, 1, 1, 1));
    let again = pool.alloc_zeroed().unwrap();
    assert_eq!(again, a);
    assert_eq!(pool.read_word(again, 3), Some(0), "zeroed");
    assert_eq!(pool.generation(a), Some(2));
}

#[test]
fn tables_populate_and_count_races() {
    use crate::fault::TableWalker;
    let t = PageTables::<TestX86>::new(0, 8);
    assert!(t.lookup(0x1234_5000).is_none());
    let l = t.leaf(0x1234_5000).unwrap();
    l.slot.store(Pte::file(9).unwrap());
    assert_eq!(
        t.lookup(0x1234_5000).unwrap().slot.load().decode(),
        Decoded::File { pgoff: 9 }
    );
    assert_eq!(t.counts().populated, 4);
    let mut seen = Vec::new();
    t.for_each_slot(|a, s| {
        if !s.load().is_none() {
            seen.push(a);
        }
    });
    assert_eq!(seen, std::vec![0x1234_5000]);
    assert!(t.leaf(1 << 48).is_none(), "beyond the VA bits");
    // Racing populates: exactly one table per level wins.
    let t = PageTables::<TestX86>::new(0, 64);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                t.leaf(0x7000_0000_0000).unwrap();
            });
        }
    });
    let c = t.counts();
    assert_eq!(c.populated, 4, "{c:?}");
}

#[test]
fn cache_refcounts_and_eof() {
    use crate::fault::PageCache as _;
    let pool = std::sync::Arc::new(FramePool::new(4, 12, false));
    let cache = PageCache::new(pool.clone(), &[2]);
    let p = cache.get(0, 1).unwrap();
    assert_eq!(pool.read_word(p, 9), Some(file_word(0, 1, 9)));
    assert_eq!(cache.get(0, 1), Some(p));
    assert_eq!(pool.refs(p), 3);
    cache.put(p);
    cache.put(p);
    cache.put(p);
    assert_eq!(
        cache.counts().bad_puts,
        1,
        "the cache's own reference stays"
    );
    assert_eq!(cache.get(0, 2), None);
    assert_eq!(cache.get(1, 0), None);
}

#[test]
fn swap_detects_double_free_and_stale_read() {
    use crate::fault::SwapDevice as _;
    let pool = std::sync::Arc::new(FramePool::new(4, 12, false));
    let swap = SwapDevice::new(pool.clone(), 2, 32);
    let f = pool.alloc_zeroed().unwrap();
    pool.write_word(f, 0, 0xABC);
    let e = swap.write(f).unwrap();
    assert_eq!(e.offset, FIRST_SWAP_OFFSET);
    let back = swap.read(e).unwrap();
    assert_eq!(pool.read_word(back, 0), Some(0xABC));
    swap.free_slot(e);
    swap.free_slot(e);
    assert_eq!(swap.read(e), None, "stale");
    // The slot is reused under a new offset: the old entry stays stale and freeing it again
    // is still a double free.
    let again = swap.write(f).unwrap();
    assert_ne!(again, e);
    assert_eq!(swap.state(e), Some(SlotState::Free));
    assert_eq!(swap.state(again), Some(SlotState::Ready));
    swap.free_slot(e);
    assert_eq!(swap.state(again), Some(SlotState::Ready));
    let c = swap.counts();
    assert_eq!((c.double_frees, c.stale_reads, c.ready), (2, 1, 1));
}

#[test]
fn translate_follows_the_hardware() {
    let shared = Pte::<TestX86>::with_prot(0x100, TEST_X86.page_shared).unwrap();
    let w = translate(shared, true, false).unwrap();
    assert!(w.dirty() && w.young());
    let ro = Pte::<TestX86>::with_prot(0x100, TEST_X86.page_readonly).unwrap();
    assert_eq!(translate(ro, true, false), Err(MmuFault::WriteProtect));
    let soft = Pte::<TestSoft>::with_prot(0x100, TEST_SOFT.page_shared).unwrap();
    assert_eq!(translate(soft, true, true), Err(MmuFault::DirtyBit));
    assert_eq!(
        translate(soft.mkold(), false, true),
        Err(MmuFault::AccessFlag)
    );
    let arm = Pte::<TestArm>::with_prot(0x100, TEST_ARM.page_shared).unwrap();
    assert_eq!(translate(arm, true, false), Err(MmuFault::WriteProtect));
    assert!(
        translate(arm, true, true).unwrap().dirty(),
        "DBM clears RDONLY"
    );
    let arm_ro = Pte::<TestArm>::with_prot(0x100, TEST_ARM.page_readonly).unwrap();
    assert_eq!(translate(arm_ro, true, true), Err(MmuFault::WriteProtect));
}

// ---------------------------------------------------------------- negative controls

#[test]
fn checker_catches_a_freed_mapped_frame() {
    let s = AddressSpace::<TestX86, _>::new(Cmpxchg::new(), config());
    s.map(0x10000, 1, Backing::Anonymous, true).unwrap();
    s.write(0x10000, 5).unwrap();
    let pfn = s.pte(0x10000).unwrap().pfn().unwrap();
    s.pool().free(pfn);
    s.pool().free(pfn);
    let r = s.check(&Expected::new());
    assert!(
        r.has(|v| matches!(v, Violation::FreeFrameMapped { .. })),
        "{r}"
    );
    assert!(r.has(|v| matches!(v, Violation::Misuse { .. })), "{r}");
}

#[test]
fn checker_catches_a_lost_dirty_bit_and_wrong_contents() {
    let s = AddressSpace::<TestX86, _>::new(Cmpxchg::new(), config());
    s.map(0x10000, 1, Backing::Anonymous, true).unwrap();
    s.write(0x10000, 5).unwrap();
    // A writer that overwrites the entry with a plain store and loses D.
    let leaf = s.tables().lookup(0x10000).unwrap();
    leaf.slot.store(leaf.slot.load().mkclean());
    let mut exp = Expected::new();
    exp.set(0x10000, 6);
    let r = s.check(&exp);
    assert!(r.has(|v| matches!(v, Violation::DirtyLost { .. })), "{r}");
    assert!(r.has(|v| matches!(v, Violation::Contents { .. })), "{r}");
}

#[test]
fn checker_catches_leaks_and_dangling_swap() {
    let s = AddressSpace::<TestX86, _>::new(Cmpxchg::new(), config());
    s.map(0x10000, 2, Backing::Anonymous, true).unwrap();
    s.write(0x10000, 5).unwrap();
    s.write(0x11000, 5).unwrap();
    assert!(matches!(s.swap_out(0x11000), Reclaim::SwappedOut { .. }));
    // Clear both entries behind the strategy's back: a frame and a slot leak.
    s.tables().lookup(0x10000).unwrap().slot.take();
    s.tables().lookup(0x11000).unwrap().slot.take();
    s.pool().alloc_zeroed().unwrap();
    let r = s.check(&Expected::new());
    assert!(r.has(|v| matches!(v, Violation::Leaked { .. })), "{r}");
    assert!(r.has(|v| matches!(v, Violation::SwapLeaked { .. })), "{r}");
    // An entry naming a slot that holds nothing.
    let leaf = s.tables().lookup(0x10000).unwrap();
    leaf.slot.store(
        Pte::swap(SwapEntry {
            ty: 0,
            offset: 9,
            ..SwapEntry::default()
        })
        .unwrap(),
    );
    let r = s.check(&Expected::new());
    assert!(
        r.has(|v| matches!(v, Violation::DanglingSwap { .. })),
        "{r}"
    );
}

// ---------------------------------------------------------------- threads

fn small_stress() -> StressConfig {
    StressConfig {
        threads: 3,
        rounds: if cfg!(miri) { 30 } else { 4000 },
        owned_pages: 3,
        file_pages: 2,
        contended_pages: 2,
        ..StressConfig::default()
    }
}

fn stress_all<A, S>(make: impl Fn() -> S)
where
    A: Arch + crate::Cmpxchg,
    S: Strategy<A>,
{
    let st = small_stress();
    let r = stress::run::<A, S>(make(), st.config(), &st);
    r.assert_ok();
    assert!(r.space.mmu.accesses > 0);
}

#[test]
fn stress_cmpxchg() {
    stress_all::<TestX86, _>(Cmpxchg::new);
}

#[test]
fn stress_mm_lock() {
    stress_all::<TestX86, _>(MmLock::new);
}

#[test]
fn stress_split_lock_software_ad() {
    stress_all::<TestSoft, _>(SplitLock::new);
}

#[test]
fn stress_lock_bit_refault_hafdbs() {
    stress_all::<TestArm, _>(LockBitRefault::new);
}

/// `LockBitSpin::update` on an any-state layout: the MMU sets D on the locked entry while
/// `f` runs (it honours no software lock). A swap-out's swap entry must come out exact, and
/// a present → present update (here `pte_mkold`, as `clear_young` does) must keep the D.
#[test]
fn lock_bit_spin_update_vs_mmu_dirty() {
    let s = AddressSpace::<TestX86, _>::new(LockBitSpin::new(), config());
    s.map(0x10000, 2, Backing::Anonymous, true).unwrap();
    s.read(0x10000).unwrap();
    s.read(0x11000).unwrap();
    let mmu_sets_dirty = |leaf: &crate::fault::Leaf<'_, TestX86>| {
        let cur = leaf.slot.load();
        leaf.slot
            .compare_exchange(cur, Pte::from_raw(cur.raw() | 0x40).unwrap())
            .unwrap();
    };
    let leaf = s.tables().lookup(0x10000).unwrap();
    let swp = Pte::<TestX86>::swap(SwapEntry {
        ty: 0,
        offset: 1,
        ..SwapEntry::default()
    })
    .unwrap();
    let old = s.strategy().update(&leaf, |_| {
        mmu_sets_dirty(&leaf);
        Some(swp)
    });
    assert_eq!(leaf.slot.load(), swp, "no A/D merged into the swap entry");
    assert!(old.unwrap().dirty(), "the entry replaced carries the D");
    let leaf = s.tables().lookup(0x11000).unwrap();
    s.strategy().update(&leaf, |p| {
        mmu_sets_dirty(&leaf);
        Some(p.mkold())
    });
    assert!(
        leaf.slot.load().dirty(),
        "D set by the MMU while the bit was held is lost: {:?}",
        leaf.slot.load()
    );
}

/// The fast path's copy-on-write puts the replaced read-only page back to the page cache:
/// right for a page-cache page, wrong for an anonymous private copy that is read-only (a
/// kernel whose `mprotect` keeps private pages read-only, `PAGE_COPY`, makes one). This
/// simulator's `mprotect` makes private copies writable again, so it never gets there;
/// the entry is write-protected by hand here.
#[test]
fn cow_of_a_read_only_private_copy() {
    let s = AddressSpace::<TestX86, _>::new(Cmpxchg::new(), config());
    s.map(0x10000, 1, Backing::PrivateFile { file: 0, pgoff: 0 }, true)
        .unwrap();
    s.write(0x10000, 1).unwrap();
    let leaf = s.tables().lookup(0x10000).unwrap();
    let cur = leaf.slot.load();
    leaf.slot.compare_exchange(cur, cur.wrprotect()).unwrap();
    s.write(0x10000, 2).unwrap();
    let mut exp = Expected::new();
    exp.set(0x10000, 2);
    s.check(&exp).assert_ok();
}

/// `LockBitSpin::replace` on an any-state aarch64 layout: while the fault waits for the bit,
/// the MMU (HAFDBS + DBM) dirties the entry by *clearing* `PTE_RDONLY`. The fault's
/// `pte_mkyoung` of the entry it read must not set `PTE_RDONLY` again (the hardware dirty
/// state would be lost).
#[test]
fn lock_bit_spin_replace_vs_dbm_dirty() {
    use crate::LockBit;
    let s = AddressSpace::<TestArm, _>::new(LockBitSpin::new(), config());
    s.map(0x10000, 1, Backing::Anonymous, true).unwrap();
    s.read(0x10000).unwrap();
    assert!(s.clear_young(0x10000));
    let leaf = s.tables().lookup(0x10000).unwrap();
    let old = leaf.slot.load();
    assert!(!old.dirty() && !old.young());
    // Another writer holds the bit.
    leaf.slot.test_and_set_lock();
    std::thread::scope(|scope| {
        let fault = scope.spawn(|| {
            <LockBitSpin as Strategy<TestArm>>::replace(s.strategy(), &leaf, old, old.mkyoung())
        });
        // The MMU writes through the (locked) entry: DBM clears RDONLY.
        let locked = leaf.slot.load();
        let dirtied = Pte::<TestArm>::from_raw(locked.raw() & !(1 << 7)).unwrap();
        leaf.slot.compare_exchange(locked, dirtied).unwrap();
        leaf.slot.fetch_and(!<TestArm as LockBit>::MASK);
        fault.join().unwrap();
    });
    let now = leaf.slot.load();
    assert!(now.dirty(), "hardware dirty state lost: {now:?}");
}
