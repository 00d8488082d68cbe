//! The simulator's parts and deterministic regressions on real layouts (`cargo test -p pte-sim
//! --test sim_units`): the frame pool, page tables, page cache, swap device and MMU one by
//! one; the checker's negative controls; and races that a stress run rarely shows, staged
//! step by step.
//!
//! The end-to-end scenarios on every layout and strategy are `tests/sim_scenarios.rs`, the
//! multi-threaded runs `tests/sim_stress.rs`.

mod common;

use arch_aarch64::{Aarch64_6_6, Aarch64_6_18};
use arch_i386::{FlagsPae2_6_8, I386Pae2_6_8};
use arch_ia64_sim::Ia64_2_6_8;
use arch_x86_64::{X86_64_2_6_8, X86_64_6_6};
use common::config;
use pte_core::classify::{Decoded, SwapEntry};
use pte_core::fault::{
    Backing, Cmpxchg, Fault, FrameAllocator, Leaf, LockBitRefault, LockBitSpin, PageCache as _,
    Resolved, Step, Strategy, SwapDevice as _, TableWalker as _,
};
use pte_core::{Arch, LockBit, Pte};
use pte_sim::{
    AddressSpace, Expected, FIRST_SWAP_OFFSET, FileCache, FramePool, MapError, MmuFault, POISON,
    PageTables, Reclaim, SlotState, SwapArea, Violation, file_word, translate,
};

// ---------------------------------------------------------------- address space

/// FEAT_HAFDBS switched off and on between accesses: a write to a clean page then takes a
/// permission fault (DBM in software), an access to an old page after it is switched back
/// on does not fault.
#[test]
fn hafdbs_switch_at_run_time() {
    let s = AddressSpace::<Aarch64_6_6, _>::new(Cmpxchg::new(), config());
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
    assert!(s.pte(0x10000).unwrap().is_young());
    s.check(&Expected::new()).assert_ok();
}

#[test]
fn no_remap_without_file_entries() {
    let s = AddressSpace::<Aarch64_6_6, _>::new(Cmpxchg::new(), config());
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
    let t = PageTables::<X86_64_2_6_8>::new(0, 8);
    assert_eq!(t.geometry().name, "4-level");
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
    assert_eq!(seen, vec![0x1234_5000]);
    assert!(t.leaf(1 << 48).is_none(), "beyond the VA bits");
    // Racing populates: exactly one table per level wins.
    let t = PageTables::<X86_64_2_6_8>::new(0, 64);
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
    let pool = std::sync::Arc::new(FramePool::new(4, 12, false));
    let cache = FileCache::new(pool.clone(), &[2]);
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
    let pool = std::sync::Arc::new(FramePool::new(4, 12, false));
    let swap = SwapArea::new(pool.clone(), 2, 32);
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
    // x86: the MMU sets A and D itself; a write through a read-only entry faults.
    let x86 = X86_64_2_6_8::LAYOUT;
    let shared = Pte::<X86_64_2_6_8>::with_prot(0x100, x86.page_shared).unwrap();
    let w = translate(shared, true, false).unwrap();
    assert!(w.is_dirty() && w.is_young());
    let ro = Pte::<X86_64_2_6_8>::with_prot(0x100, x86.page_readonly).unwrap();
    assert_eq!(translate(ro, true, false), Err(MmuFault::WriteProtect));
    // ia64: the MMU sets nothing (Dirty-bit and Access-bit faults), HAFDBS or not.
    let soft = Pte::<Ia64_2_6_8>::with_prot(0x100, Ia64_2_6_8::LAYOUT.page_shared).unwrap();
    assert!(soft.is_young() && !soft.is_dirty(), "{soft:?}");
    assert_eq!(translate(soft, true, true), Err(MmuFault::DirtyBit));
    assert_eq!(
        translate(soft.make_old(), false, true),
        Err(MmuFault::AccessFlag)
    );
    // aarch64: DBM clears PTE_RDONLY under HAFDBS, faults without it.
    let arm = Aarch64_6_6::LAYOUT;
    let shared = Pte::<Aarch64_6_6>::with_prot(0x100, arm.page_shared).unwrap();
    assert_eq!(translate(shared, true, false), Err(MmuFault::WriteProtect));
    assert!(
        translate(shared, true, true).unwrap().is_dirty(),
        "DBM clears RDONLY"
    );
    let ro = Pte::<Aarch64_6_6>::with_prot(0x100, arm.page_readonly).unwrap();
    assert_eq!(translate(ro, true, true), Err(MmuFault::WriteProtect));
}

/// aarch64/6.18 (Linux 6.18 `pte_mkwrite_novma()`): making a clean read-only entry writable
/// leaves it clean, `PTE_WRITE | PTE_RDONLY`, so the hardware-dirty convention still decides:
/// the first write clears `PTE_RDONLY` by DBM under HAFDBS, or takes a permission fault that
/// the fault path resolves with `pte_mkdirty()`; the entry `wp_page_reuse` builds
/// (`make_writable().make_young().make_dirty()`) takes writes without a fault.
#[test]
fn aarch64_6_18_make_writable_keeps_a_clean_entry_clean_until_the_write() {
    let l = Aarch64_6_18::LAYOUT;
    let rdonly = 1 << 7;
    let ro = Pte::<Aarch64_6_18>::with_prot(0x100, l.page_readonly).unwrap();
    let w = ro.make_writable();
    assert!(w.is_writable() && !w.is_dirty(), "{w:?}");
    assert_ne!(w.raw() & rdonly, 0, "{w:?}");
    let hw = translate(w, true, true).unwrap();
    assert!(hw.is_dirty() && hw.raw() & rdonly == 0, "DBM: {hw:?}");
    assert_eq!(translate(w, false, true), Ok(w), "a read leaves it clean");
    assert_eq!(translate(w, true, false), Err(MmuFault::WriteProtect));
    let resolved = w.make_dirty();
    assert_eq!(translate(resolved, true, false), Ok(resolved));
    let reuse = ro.make_writable().make_young().make_dirty();
    assert!(reuse.is_dirty() && reuse.raw() & rdonly == 0, "{reuse:?}");
    assert_eq!(translate(reuse, true, false), Ok(reuse));
}

/// i386-pae/2.6.8: a read fault on a read-only mapping installs `pfn_pte(pfn, PAGE_READONLY)`,
/// which carries `_PAGE_NX` (bit 63) under PAE in Linux 2.6.8; a write fault on a writable one
/// installs `PAGE_SHARED`, which does not; `mprotect` moves an entry between the two.
#[test]
fn i386_pae_2_6_8_read_only_entries_carry_nx() {
    let s = AddressSpace::<I386Pae2_6_8, _>::new(Cmpxchg::new(), config());
    let ps = s.page_size();
    let (f, a) = (16 * ps, 32 * ps);
    s.map(f, 1, Backing::PrivateFile { file: 1, pgoff: 2 }, false)
        .unwrap();
    assert_eq!(s.read(f), Ok(file_word(1, 2, 0)));
    let ro = s.pte(f).unwrap();
    assert!(
        ro.flags().contains(FlagsPae2_6_8::NX) && !ro.is_writable(),
        "{ro:?}"
    );
    s.map(a, 1, Backing::Anonymous, true).unwrap();
    s.write(a, 7).unwrap();
    let rw = s.pte(a).unwrap();
    assert!(
        !rw.flags().contains(FlagsPae2_6_8::NX) && rw.is_writable(),
        "{rw:?}"
    );
    assert_eq!(s.mprotect(a, a + ps, false), Ok(1));
    let now = s.pte(a).unwrap();
    assert!(
        now.flags().contains(FlagsPae2_6_8::NX) && now.is_dirty(),
        "{now:?}"
    );
    assert_eq!(s.read(a), Ok(7));
    let mut exp = Expected::new();
    exp.set(a, 7);
    s.check(&exp).assert_ok();
}

// ---------------------------------------------------------------- negative controls

#[test]
fn checker_catches_a_freed_mapped_frame() {
    let s = AddressSpace::<X86_64_2_6_8, _>::new(Cmpxchg::new(), config());
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
    let s = AddressSpace::<X86_64_2_6_8, _>::new(Cmpxchg::new(), config());
    s.map(0x10000, 1, Backing::Anonymous, true).unwrap();
    s.write(0x10000, 5).unwrap();
    // A writer that overwrites the entry with a plain store and loses D.
    let leaf = s.tables().lookup(0x10000).unwrap();
    leaf.slot.store(leaf.slot.load().make_clean());
    let mut exp = Expected::new();
    exp.set(0x10000, 6);
    let r = s.check(&exp);
    assert!(r.has(|v| matches!(v, Violation::DirtyLost { .. })), "{r}");
    assert!(r.has(|v| matches!(v, Violation::Contents { .. })), "{r}");
}

#[test]
fn checker_catches_leaks_and_dangling_swap() {
    let s = AddressSpace::<X86_64_2_6_8, _>::new(Cmpxchg::new(), config());
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

// ---------------------------------------------------------------- staged races

/// `LockBitSpin::update` on an any-state layout (x86_64/2.6.8): the MMU sets D on the locked
/// entry while `f` runs (it honours no software lock). A swap-out's swap entry must come out
/// exact, and a present → present update (here `pte_mkold`, as `clear_young` does) must
/// keep the D.
#[test]
fn lock_bit_spin_update_vs_mmu_dirty() {
    const DIRTY: u64 = 1 << 6;
    let s = AddressSpace::<X86_64_2_6_8, _>::new(LockBitSpin::new(), config());
    s.map(0x10000, 2, Backing::Anonymous, true).unwrap();
    s.read(0x10000).unwrap();
    s.read(0x11000).unwrap();
    let mmu_sets_dirty = |leaf: &Leaf<'_, X86_64_2_6_8>| {
        let cur = leaf.slot.load();
        leaf.slot
            .compare_exchange(cur, Pte::from_raw(cur.raw() | DIRTY).unwrap())
            .unwrap();
    };
    let leaf = s.tables().lookup(0x10000).unwrap();
    assert!(!leaf.slot.load().is_dirty());
    let swp = Pte::<X86_64_2_6_8>::swap(SwapEntry {
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
    assert!(old.unwrap().is_dirty(), "the entry replaced carries the D");
    let leaf = s.tables().lookup(0x11000).unwrap();
    s.strategy().update(&leaf, |p| {
        mmu_sets_dirty(&leaf);
        Some(p.make_old())
    });
    assert!(
        leaf.slot.load().is_dirty(),
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
    let s = AddressSpace::<X86_64_2_6_8, _>::new(Cmpxchg::new(), config());
    s.map(0x10000, 1, Backing::PrivateFile { file: 0, pgoff: 0 }, true)
        .unwrap();
    s.write(0x10000, 1).unwrap();
    let leaf = s.tables().lookup(0x10000).unwrap();
    let cur = leaf.slot.load();
    leaf.slot
        .compare_exchange(cur, cur.write_protect())
        .unwrap();
    s.write(0x10000, 2).unwrap();
    let mut exp = Expected::new();
    exp.set(0x10000, 2);
    s.check(&exp).assert_ok();
}

/// `LockBitSpin::replace` on an any-state aarch64 layout: while the fault holds the bit, the
/// MMU (HAFDBS + DBM) dirties the entry by *clearing* `PTE_RDONLY` (it honours no software
/// lock). The fault's `pte_mkyoung` of the entry it read must not set `PTE_RDONLY` again: the
/// publishing compare-and-swap of `unlock_to` fails, the bit is dropped and the fault loses.
/// Staged through `replace_staged`, whose hook runs exactly while the bit is held, so a
/// plain-store `unlock_to` fails this every time.
#[test]
fn lock_bit_spin_replace_vs_dbm_dirty() {
    const PTE_RDONLY: u64 = 1 << 7;
    let s = AddressSpace::<Aarch64_6_6, _>::new(LockBitSpin::new(), config());
    s.map(0x10000, 1, Backing::Anonymous, true).unwrap();
    s.read(0x10000).unwrap();
    assert!(s.clear_young(0x10000));
    let leaf = s.tables().lookup(0x10000).unwrap();
    let old = leaf.slot.load();
    assert!(!old.is_dirty() && !old.is_young());
    assert_ne!(old.raw() & PTE_RDONLY, 0, "clean: PTE_RDONLY set");
    let mut mmu_wrote = false;
    let step = s
        .strategy()
        .replace_staged(&leaf, old, old.make_young(), || {
            // The MMU writes through the (locked) entry: DBM clears RDONLY.
            let locked = leaf.slot.load();
            assert!(locked.is_locked(), "the hook runs with the bit held");
            let dirtied = Pte::<Aarch64_6_6>::from_raw(locked.raw() & !PTE_RDONLY).unwrap();
            leaf.slot.compare_exchange(locked, dirtied).unwrap();
            mmu_wrote = true;
        });
    assert!(mmu_wrote, "replace never held the bit on the entry");
    let now = leaf.slot.load();
    assert!(now.is_dirty(), "hardware dirty state lost: {now:?}");
    assert!(!now.is_locked(), "the bit was left set: {now:?}");
    assert!(
        matches!(step, Step::Lost(p) if p == now),
        "the fault's stale mkyoung was published: {step:?}"
    );
}

/// `LockBitRefault` holds its none-only bit on the empty entry while it prepares the page. A
/// writer that ignores the lock (here one that puts a swap entry over the held word with a
/// compare-and-swap of its own) must not be overwritten by the install (the swap slot's
/// reference would leak), nor erased by the unlock of a failed preparation: its entry stays
/// and the install gives its page back. Staged in one thread: the writer runs inside
/// `prepare`, where the bit is held. (A writer through `Strategy::update` waits for the held
/// bit since issue 11 — a zap must not return before a copy-on-write in flight publishes —
/// so it cannot run inside `prepare` on this entry.)
fn lock_bit_refault_install_vs_blind_writer<A: LockBit + pte_core::CompareExchange>() {
    let t = PageTables::<A>::new(0, 8);
    let leaf = t.leaf(0x10000).unwrap();
    let swp = Pte::<A>::swap(SwapEntry {
        ty: 0,
        offset: 1,
        ..SwapEntry::default()
    })
    .unwrap();
    let page = Pte::<A>::with_prot(0x100, A::LAYOUT.page_shared).unwrap();
    for prepared in [true, false] {
        leaf.slot.store(Pte::none());
        let strategy = LockBitRefault::new();
        let mut wrote = None;
        let mut discarded = None;
        let step = Strategy::<A>::install_empty(
            &strategy,
            &leaf,
            || {
                assert!(leaf.slot.load().is_locked(), "prepare runs under the bit");
                let held = leaf.slot.load();
                wrote = leaf.slot.compare_exchange(held, swp).ok();
                prepared.then_some((page, 0x100u64))
            },
            |pfn| discarded = Some(pfn),
        );
        let now = leaf.slot.load();
        let what = if prepared {
            "install"
        } else {
            "failed preparation"
        };
        assert!(!now.is_locked(), "{what}: the bit was left set: {now:?}");
        match wrote {
            Some(_) => {
                assert_eq!(
                    now, swp,
                    "{what}: the writer's swap entry, written through `update` while the \
                     bit was held, was overwritten (a leaked swap reference): {now:?}"
                );
                if prepared {
                    assert!(matches!(step, Step::Lost(p) if p == swp), "{what}");
                    assert_eq!(
                        discarded,
                        Some(0x100),
                        "{what}: the page was not given back"
                    );
                }
            }
            None => {
                assert_eq!(discarded, None, "{what}");
                if prepared {
                    assert!(matches!(step, Step::Installed) && now == page, "{what}");
                } else {
                    assert!(matches!(step, Step::NoPage) && now.is_none(), "{what}");
                }
            }
        }
        if !prepared {
            assert!(matches!(step, Step::NoPage), "{what}");
        }
    }
}

#[test]
fn lock_bit_refault_install_vs_blind_writer_none_only() {
    lock_bit_refault_install_vs_blind_writer::<X86_64_6_6>();
}

#[test]
fn lock_bit_refault_install_vs_blind_writer_any_state() {
    lock_bit_refault_install_vs_blind_writer::<X86_64_2_6_8>();
}

/// `LockBitSpin` on an any-state layout (x86_64/2.6.8): a fault that reads a swap entry whose
/// bit another writer holds must wait for the bit before deciding (`Strategy::load`), not
/// read the swap slot and hand the locked entry to `replace` (whose precondition is an `old`
/// with the bit clear): that `replace` can only lose, after a wasted swap-in read, and the
/// access refaults.
#[test]
fn lock_bit_spin_fault_waits_for_a_held_bit() {
    let s = AddressSpace::<X86_64_2_6_8, _>::new(LockBitSpin::new(), config());
    s.map(0x10000, 1, Backing::Anonymous, true).unwrap();
    s.write(0x10000, 7).unwrap();
    assert!(matches!(s.swap_out(0x10000), Reclaim::SwappedOut { .. }));
    let leaf = s.tables().lookup(0x10000).unwrap();
    assert!(matches!(leaf.slot.load().decode(), Decoded::Swap(_)));
    // Another writer (a swap-out or zap under the bit) holds the bit.
    let prev = leaf.slot.test_and_set_lock();
    assert!(!prev.is_locked());
    let spins = || {
        Strategy::<X86_64_2_6_8>::stats(s.strategy())
            .snapshot()
            .spins
    };
    let r = std::thread::scope(|scope| {
        let fault = scope.spawn(|| {
            s.fault(Fault {
                addr: 0x10000,
                write: false,
            })
        });
        // The fault waits for the bit (before deciding, or in `replace` without the fix).
        while spins() == 0 {
            std::thread::yield_now();
        }
        leaf.slot.unlock();
        fault.join().unwrap()
    });
    assert_eq!(
        r,
        Ok(Resolved::SwapIn),
        "the fault decided on the locked entry (a wasted swap-in read, then a lost replace)"
    );
    let mut exp = Expected::new();
    exp.set(0x10000, 7);
    s.check(&exp).assert_ok();
}

/// `remap_file_pages` over an empty entry that a fault is installing under a none-only lock
/// bit must wait for the install and then replace the page (as it does under
/// `LockBitRefault`). Under `LockBitSpin` on a none-only layout (here ia64/2.6.8) it returns
/// `Ok` at once and installs nothing: `LockBitSpin::update` skips a held entry without
/// calling the closure, so `AddressSpace::replace_entry` never sees it busy, and
/// `file_entries` is counted anyway. The fix belongs in `space.rs` (re-read the entry when
/// the update did nothing and retry while it is locked-none).
#[test]
fn remap_waits_for_an_install_under_a_none_only_lock() {
    let s = AddressSpace::<Ia64_2_6_8, _>::new(LockBitSpin::new(), config());
    let ps = s.page_size();
    let addr = 16 * ps;
    s.map(addr, 1, Backing::SharedFile { file: 0, pgoff: 0 }, true)
        .unwrap();
    let leaf = s.tables().leaf(addr).unwrap();
    // A fault holds the lock bit on the empty entry while it prepares the page.
    leaf.slot.try_lock_none().unwrap();
    let early = std::thread::scope(|scope| {
        let remap = scope.spawn(|| s.remap_file_pages(addr, 1, 5));
        let mut early = false;
        for _ in 0..200 {
            if remap.is_finished() {
                early = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        // The fault publishes the linear page-cache page, dropping the bit.
        let pfn = s.cache().get(0, 0).unwrap();
        let page = Pte::<Ia64_2_6_8>::with_prot(pfn, Ia64_2_6_8::LAYOUT.page_shared).unwrap();
        leaf.slot.store_unlocking(page);
        assert_eq!(remap.join().unwrap(), Ok(()));
        early
    });
    assert!(
        !early,
        "remap_file_pages returned while the install held the bit"
    );
    assert_eq!(s.pte(addr).unwrap().decode(), Decoded::File { pgoff: 5 });
    s.check(&Expected::new()).assert_ok();
}
