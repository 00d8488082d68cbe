//! Single-threaded scenarios every layout and strategy must pass (they panic on failure:
//! this is a test harness).
//!
//! Each builds its own [`AddressSpace`] from the strategy and [`Config`] given, runs one
//! kind of fault end to end through the software MMU, checks the outcome and the counters,
//! and returns the final [`Report`] (already asserted clean). [`all`] runs every scenario
//! that applies to the layout.

use super::cache::file_word;
use super::check::{Expected, Report};
use super::space::{AccessError, AddressSpace, Config, Reclaim};
use pte_core::Arch;
use pte_core::CompareExchange;
use pte_core::classify::Decoded;
use pte_core::fault::{Backing, Strategy};
use pte_core::model::HwAccessDirty;

/// Whether the MMU of `A` sets accessed/dirty itself (x86; aarch64 with HAFDBS).
pub fn hardware_sets_ad<A: Arch>(hafdbs: bool) -> bool {
    match A::LAYOUT.hw_ad {
        HwAccessDirty::SetsAccessedDirty => true,
        HwAccessDirty::AfDbmIfHafdbs => hafdbs,
        HwAccessDirty::SoftwareOnly => false,
    }
}

/// A page-aligned address `pages` pages before the end of the first leaf table, so that a
/// few pages from there cross into the second one.
fn near_table_end<A: Arch + CompareExchange, S: Strategy<A>>(
    s: &AddressSpace<A, S>,
    pages: u64,
) -> u64 {
    let g = s.tables().geometry();
    let span = s.page_size() << g.level_bits[g.levels() - 1];
    span - pages * s.page_size()
}

/// Anonymous memory: read and write faults install zeroed pages, values round-trip, pages
/// across two leaf tables, an unmapped address is `SIGSEGV`, an unaligned one refused.
pub fn anonymous<A: Arch + CompareExchange, S: Strategy<A>>(strategy: S, config: Config) -> Report {
    let s = AddressSpace::<A, S>::new(strategy, config);
    let ps = s.page_size();
    let start = near_table_end(&s, 2);
    s.map(start, 4, Backing::Anonymous, true).unwrap();
    let mut exp = Expected::new();
    // Page 0: read first (a zeroed page), then write.
    assert_eq!(s.read(start + 8), Ok(0));
    for i in 0..4 {
        let base = start + i * ps;
        let last = base + ps - 8;
        s.write(base + 8, 0xA000 + i).unwrap();
        s.write(last, 0xB000 + i).unwrap();
        exp.set(base + 8, 0xA000 + i);
        exp.set(last, 0xB000 + i);
        exp.set(base + 16, 0);
    }
    for (addr, value) in exp.iter() {
        assert_eq!(s.read(addr), Ok(value), "at {addr:#x}");
    }
    assert_eq!(s.read(start + 4 * ps), Err(AccessError::Segv));
    assert_eq!(s.read(start + 4), Err(AccessError::Unaligned));
    let r = checked(&s, &exp);
    assert_eq!(r.space.anonymous, 4, "{r}");
    assert_eq!(r.entries.present, 4);
    assert_eq!(r.pool.anon, 4);
    assert!(r.tables.populated >= 3, "two leaf tables and the root");
    r
}

/// Shared file mappings map the page-cache page itself: reads see the file's pattern, a
/// write is seen by a second mapping of the same page, a write to a read-only mapping is
/// `SIGSEGV`, a page beyond the end of the file `SIGBUS`.
pub fn shared_file<A: Arch + CompareExchange, S: Strategy<A>>(
    strategy: S,
    config: Config,
) -> Report {
    let s = AddressSpace::<A, S>::new(strategy, config);
    let ps = s.page_size();
    let size = s.cache().file_pages(0).expect("file 0");
    assert!(size >= 4, "file 0 needs 4 pages");
    let a = 16 * ps;
    let b = 32 * ps;
    let c = 48 * ps;
    s.map(a, 3, Backing::SharedFile { file: 0, pgoff: 1 }, true)
        .unwrap();
    s.map(b, 1, Backing::SharedFile { file: 0, pgoff: 2 }, false)
        .unwrap();
    s.map(
        c,
        2,
        Backing::SharedFile {
            file: 0,
            pgoff: size - 1,
        },
        false,
    )
    .unwrap();
    let mut exp = Expected::new();
    assert_eq!(s.read(a + 40), Ok(file_word(0, 1, 5)));
    exp.set(a + 40, file_word(0, 1, 5));
    // a + ps is file page 2, which b maps too.
    s.write(a + ps + 56, 0x5eed).unwrap();
    assert_eq!(s.read(b + 56), Ok(0x5eed));
    exp.set(a + ps + 56, 0x5eed);
    exp.set(b + 56, 0x5eed);
    assert_eq!(s.write(b, 1), Err(AccessError::Segv));
    assert_eq!(s.read(c), Ok(file_word(0, size - 1, 0)));
    assert_eq!(s.read(c + ps), Err(AccessError::Bus));
    assert_eq!(s.cache().word(0, 2, 7), Some(0x5eed));
    let r = checked(&s, &exp);
    assert_eq!(r.space.file, 4, "{r}");
    assert_eq!(r.space.bus, 1);
    assert_eq!(r.cache.loads, 3);
    r
}

/// Private file mappings: a read maps the page-cache page read-only, a write to it copies
/// (copy-on-write) and leaves the file unchanged; a write fault on an empty entry copies
/// directly.
pub fn private_file_cow<A: Arch + CompareExchange, S: Strategy<A>>(
    strategy: S,
    config: Config,
) -> Report {
    let s = AddressSpace::<A, S>::new(strategy, config);
    let ps = s.page_size();
    let p = 16 * ps;
    s.map(p, 2, Backing::PrivateFile { file: 1, pgoff: 0 }, true)
        .unwrap();
    assert_eq!(s.read(p + 24), Ok(file_word(1, 0, 3)));
    let ro = s.pte(p).unwrap();
    assert!(
        !ro.is_writable(),
        "a private read maps the cache page read-only"
    );
    if !s.strategy().can_replace_flushed() {
        // The lock-free strategy cannot copy a mapped page on a layout without a break
        // marker (i386/2.6.8 2-level): refused, the page-cache page left mapped.
        assert_eq!(s.write(p + 24, 0xC0C0), Err(AccessError::Unsupported));
        assert_eq!(s.pte(p), Some(ro));
        let mut exp = Expected::new();
        exp.set(p + 24, file_word(1, 0, 3));
        return checked(&s, &exp);
    }
    s.write(p + 24, 0xC0C0).unwrap();
    assert_eq!(s.read(p + 24), Ok(0xC0C0));
    assert_eq!(
        s.read(p + 32),
        Ok(file_word(1, 0, 4)),
        "the copy has the rest"
    );
    assert_ne!(s.pte(p).unwrap().pfn(), ro.pfn());
    assert_eq!(s.cache().word(1, 0, 3), Some(file_word(1, 0, 3)));
    s.write(p + ps, 0xD0D0).unwrap();
    assert_eq!(s.cache().word(1, 1, 0), Some(file_word(1, 1, 0)));
    let mut exp = Expected::new();
    exp.set(p + 24, 0xC0C0);
    exp.set(p + 32, file_word(1, 0, 4));
    exp.set(p + ps, 0xD0D0);
    exp.set(p + ps + 8, file_word(1, 1, 1));
    let r = checked(&s, &exp);
    // A read-only page copied on its write, and a write to an empty entry copied at once.
    assert_eq!(r.space.copy_on_write, 2, "{r}");
    assert_eq!(r.space.file, 1);
    assert_eq!(r.pool.anon, 2);
    r
}

/// Swap: pages written, swapped out (each entry becomes a swap entry, contents on the
/// device), touched again (swapped back in intact), swapped out again and zapped (the slot
/// is freed).
pub fn swap_round_trip<A: Arch + CompareExchange, S: Strategy<A>>(
    strategy: S,
    config: Config,
) -> Report {
    let s = AddressSpace::<A, S>::new(strategy, config);
    let ps = s.page_size();
    let start = 16 * ps;
    s.map(start, 3, Backing::Anonymous, true).unwrap();
    let mut exp = Expected::new();
    for i in 0..3 {
        for w in [0, 5, s.words_per_page() - 1] {
            let addr = start + i * ps + w * 8;
            let v = 0x5000_0000 + i * 0x100 + w;
            s.write(addr, v).unwrap();
            exp.set(addr, v);
        }
    }
    for i in 0..3 {
        let r = s.swap_out(start + i * ps);
        assert!(
            matches!(r, Reclaim::SwappedOut { dirty: true, .. }),
            "{r:?}"
        );
        assert!(matches!(
            s.pte(start + i * ps).unwrap().decode(),
            Decoded::Swap(_)
        ));
    }
    let mid = s.check(&exp);
    mid.assert_ok();
    assert_eq!(mid.entries.swap, 3);
    assert_eq!(mid.pool.anon, 0);
    // Page 0 by a read, page 1 by a write.
    assert_eq!(s.read(start + 40), Ok(0x5000_0005));
    // The read freed the slot: the frame is the page's only copy, so it is dirty, or a
    // reclaim trusting the entry would drop it (Linux: `folio_free_swap` dirties the folio).
    assert!(s.pte(start).unwrap().is_dirty(), "{:?}", s.pte(start));
    assert!(
        matches!(s.swap_out(start), Reclaim::SwappedOut { dirty: true, .. }),
        "a page read back from swap must be written out again"
    );
    assert_eq!(s.read(start + 40), Ok(0x5000_0005));
    s.write(start + ps + 16, 0x77).unwrap();
    exp.set(start + ps + 16, 0x77);
    for (addr, v) in exp.iter() {
        assert_eq!(s.read(addr), Ok(v), "at {addr:#x}");
    }
    // Swapped out again, then zapped while on swap: the slot is freed.
    assert!(matches!(s.swap_out(start + ps), Reclaim::SwappedOut { .. }));
    assert!(s.zap(start + ps).is_some());
    exp.forget_range(start + ps, start + 2 * ps);
    assert_eq!(s.read(start + ps + 16), Ok(0));
    exp.set(start + ps + 16, 0);
    let r = checked(&s, &exp);
    assert_eq!(r.space.swap_in, 4, "{r}");
    assert_eq!(r.space.swap_outs, 5);
    assert_eq!(r.space.writer_slot_frees, 1);
    assert_eq!(r.swap.ready, 0);
    r
}

/// Zap: an anonymous page zapped is freed and the next touch gets a zeroed page; a shared
/// file page zapped keeps its (shared) contents in the page cache.
pub fn zap_then_touch<A: Arch + CompareExchange, S: Strategy<A>>(
    strategy: S,
    config: Config,
) -> Report {
    let s = AddressSpace::<A, S>::new(strategy, config);
    let ps = s.page_size();
    let a = 16 * ps;
    let f = 32 * ps;
    s.map(a, 1, Backing::Anonymous, true).unwrap();
    s.map(f, 1, Backing::SharedFile { file: 0, pgoff: 0 }, true)
        .unwrap();
    s.write(a + 8, 99).unwrap();
    s.write(f + 8, 98).unwrap();
    let old = s.zap(a).expect("a present entry");
    assert!(old.is_present());
    assert!(s.pte(a).unwrap().is_none());
    assert_eq!(s.pool().counts().anon, 0);
    assert!(s.zap(a).is_none(), "nothing left to zap");
    assert_eq!(s.read(a + 8), Ok(0));
    assert!(s.zap(f).is_some());
    assert!(s.pool().page_dirty(s.cache().cached(0, 0).unwrap()));
    assert_eq!(s.read(f + 8), Ok(98));
    let mut exp = Expected::new();
    exp.set(a + 8, 0);
    exp.set(f + 8, 98);
    let r = checked(&s, &exp);
    assert_eq!(r.space.anonymous, 2, "{r}");
    assert_eq!(r.space.zaps, 2);
    r
}

/// Accessed / dirty: where the MMU sets them (x86; aarch64 with HAFDBS) no fault is taken;
/// where it does not (ia64; aarch64 without HAFDBS or 3.18) the first write to a clean page
/// and the first access after `clear_young` fault and the fast path sets the bit.
pub fn access_dirty<A: Arch + CompareExchange, S: Strategy<A>>(
    strategy: S,
    config: Config,
) -> Report {
    let hw = hardware_sets_ad::<A>(config.hafdbs);
    let s = AddressSpace::<A, S>::new(strategy, config);
    let a = 16 * s.page_size();
    s.map(a, 1, Backing::Anonymous, true).unwrap();
    assert_eq!(s.read(a), Ok(0));
    let clean = s.pte(a).unwrap();
    assert!(clean.is_young() && !clean.is_dirty(), "{clean:?}");
    s.write(a, 1).unwrap();
    assert!(s.pte(a).unwrap().is_dirty());
    let after_write = s.counts().access_dirty;
    assert_eq!(after_write, if hw { 0 } else { 1 });
    assert!(s.clear_young(a));
    assert!(!s.pte(a).unwrap().is_young());
    assert_eq!(s.read(a), Ok(1));
    assert!(s.pte(a).unwrap().is_young());
    s.write(a, 2).unwrap();
    let mut exp = Expected::new();
    exp.set(a, 2);
    let r = checked(&s, &exp);
    assert_eq!(r.space.access_dirty, if hw { 0 } else { 2 }, "{r}");
    assert_eq!(r.space.mmu.hw_updates > 0, hw, "{r}");
    r
}

/// Nonlinear mappings (2.6-era layouts with file entries): `remap_file_pages` installs a
/// file entry, the fault maps the page-cache page at its pgoff (not the linear one),
/// reclaim puts the file entry back, and a private nonlinear page copies on write.
pub fn nonlinear<A: Arch + CompareExchange, S: Strategy<A>>(strategy: S, config: Config) -> Report {
    assert!(A::LAYOUT.file.is_some(), "the layout has no file entries");
    let s = AddressSpace::<A, S>::new(strategy, config);
    let ps = s.page_size();
    let size = s.cache().file_pages(0).expect("file 0");
    assert!(size >= 6, "file 0 needs 6 pages");
    let m = 16 * ps;
    s.map(m, 4, Backing::SharedFile { file: 0, pgoff: 0 }, true)
        .unwrap();
    s.remap_file_pages(m, 1, 5).unwrap();
    assert_eq!(
        s.pte(m).unwrap().decode(),
        Decoded::File { pgoff: 5 },
        "pgoff_to_pte(5)"
    );
    assert_eq!(s.read(m + 16), Ok(file_word(0, 5, 2)));
    assert_eq!(s.counts().nonlinear, 1);
    assert_eq!(s.pte(m).unwrap().pfn(), s.cache().cached(0, 5));
    s.write(m + 16, 0xF11E).unwrap();
    assert_eq!(s.cache().word(0, 5, 2), Some(0xF11E));
    assert_eq!(
        s.swap_out(m),
        Reclaim::Unmapped {
            file_entry: true,
            dirty: true
        }
    );
    assert_eq!(s.pte(m).unwrap().decode(), Decoded::File { pgoff: 5 });
    assert_eq!(s.read(m + 16), Ok(0xF11E));
    // The linear neighbour unmaps to none.
    assert_eq!(s.read(m + ps), Ok(file_word(0, 1, 0)));
    assert_eq!(
        s.swap_out(m + ps),
        Reclaim::Unmapped {
            file_entry: false,
            dirty: false
        }
    );
    assert!(s.pte(m + ps).unwrap().is_none());
    // Private nonlinear: mapped read-only at its pgoff, then copied on write.
    let p = 32 * ps;
    s.map(p, 2, Backing::PrivateFile { file: 1, pgoff: 0 }, true)
        .unwrap();
    s.remap_file_pages(p, 1, 3).unwrap();
    let cow = s.strategy().can_replace_flushed();
    if cow {
        s.write(p + 8, 0xAB).unwrap();
    } else {
        // No break marker (i386/2.6.8) and a lock-free strategy: the copy is refused.
        assert_eq!(s.write(p + 8, 0xAB), Err(AccessError::Unsupported));
    }
    assert_eq!(s.read(p + 16), Ok(file_word(1, 3, 2)));
    assert_eq!(s.cache().word(1, 3, 1), Some(file_word(1, 3, 1)));
    // Remapping a present page-cache page releases it.
    s.remap_file_pages(m, 1, 4).unwrap();
    assert_eq!(s.read(m), Ok(file_word(0, 4, 0)));
    let mut exp = Expected::new();
    exp.set(m, file_word(0, 4, 0));
    exp.set(m + ps, file_word(0, 1, 0));
    exp.set(p + 8, if cow { 0xAB } else { file_word(1, 3, 1) });
    exp.set(p + 16, file_word(1, 3, 2));
    let r = checked(&s, &exp);
    assert_eq!(r.space.nonlinear, 4, "{r}");
    assert_eq!(r.space.copy_on_write, u64::from(cow));
    assert_eq!(r.space.file_entries, 3);
    r
}

/// `mprotect`: read-only makes writes `SIGSEGV` and keeps the dirty bit; read-write again
/// lets them through. In a private file mapping the page-cache page stays read-only and a
/// write still copies.
pub fn mprotect_round_trip<A: Arch + CompareExchange, S: Strategy<A>>(
    strategy: S,
    config: Config,
) -> Report {
    let s = AddressSpace::<A, S>::new(strategy, config);
    let ps = s.page_size();
    let a = 16 * ps;
    s.map(a, 2, Backing::Anonymous, true).unwrap();
    s.write(a, 1).unwrap();
    s.write(a + ps, 2).unwrap();
    assert_eq!(s.mprotect(a, a + ps, false), Ok(1));
    assert_eq!(s.vmas().len(), 2, "split");
    assert_eq!(s.write(a, 3), Err(AccessError::Segv));
    assert_eq!(s.read(a), Ok(1));
    let ro = s.pte(a).unwrap();
    assert!(!ro.is_writable() && ro.is_dirty(), "{ro:?}");
    s.write(a + ps, 4).unwrap();
    // The read-only page changes; the already writable one changes only if the layout's
    // `pte_modify()` does not give back the entry it got. LoongArch's `_PAGE_CHG_MASK` keeps
    // neither V (`_PAGE_ACCESSED`) nor D (`_PAGE_DIRTY`), and `PAGE_SHARED` has neither, so
    // the entry comes back old and write-disabled (the TLB handlers set both again on the
    // next access): the kernel's `change_pte_range()` writes that entry too.
    let rw = s.pte(a + ps).unwrap().raw();
    let rw_changes = pte_core::helpers::with_protection(A::LAYOUT, rw, A::LAYOUT.page_shared) != rw;
    assert_eq!(
        s.mprotect(a, a + 2 * ps, true),
        Ok(1 + u64::from(rw_changes))
    );
    s.write(a, 5).unwrap();
    let p = 32 * ps;
    s.map(p, 1, Backing::PrivateFile { file: 1, pgoff: 2 }, false)
        .unwrap();
    assert_eq!(s.read(p), Ok(file_word(1, 2, 0)));
    s.mprotect(p, p + ps, true).unwrap();
    assert!(
        !s.pte(p).unwrap().is_writable(),
        "PAGE_COPY: the cache page stays read-only"
    );
    let cow = s.strategy().can_replace_flushed();
    if cow {
        s.write(p, 6).unwrap();
    } else {
        assert_eq!(s.write(p, 6), Err(AccessError::Unsupported));
    }
    assert_eq!(s.cache().word(1, 2, 0), Some(file_word(1, 2, 0)));
    let mut exp = Expected::new();
    exp.set(a, 5);
    exp.set(a + ps, 4);
    exp.set(p, if cow { 6 } else { file_word(1, 2, 0) });
    let r = checked(&s, &exp);
    assert_eq!(r.space.copy_on_write, u64::from(cow), "{r}");
    assert_eq!(r.space.segv, 1);
    r
}

/// The report on `s` against `exp`, asserted clean (a failure points at the scenario's line).
#[track_caller]
fn checked<A: Arch + CompareExchange, S: Strategy<A>>(
    s: &AddressSpace<A, S>,
    exp: &Expected,
) -> Report {
    let r = s.check(exp);
    r.assert_ok();
    r
}

/// Runs every scenario that applies to `A` with strategies from `make`; each asserts its own
/// outcome.
pub fn all<A: Arch + CompareExchange, S: Strategy<A>>(make: impl Fn() -> S, config: &Config) {
    anonymous::<A, S>(make(), config.clone());
    shared_file::<A, S>(make(), config.clone());
    private_file_cow::<A, S>(make(), config.clone());
    swap_round_trip::<A, S>(make(), config.clone());
    zap_then_touch::<A, S>(make(), config.clone());
    access_dirty::<A, S>(make(), config.clone());
    mprotect_round_trip::<A, S>(make(), config.clone());
    if A::LAYOUT.file.is_some() {
        nonlinear::<A, S>(make(), config.clone());
    }
}
