//! [`PageTables`]: software page tables of one layout geometry.
//!
//! Upper levels are tables of `AtomicU64` holding the index (plus one) of the next-level
//! table in an arena; they are populated with a compare-and-swap from empty, and the loser
//! gives its table back (counted: [`TableCounts::races`]). Leaf tables are arrays of real
//! [`PteSlot`]s, each table with its own [`RawSpinLock`] (the split ptlock). Tables are
//! allocated from a bounded arena on first use and never freed while the tables live, so a
//! walker can never race with page-table freeing (the hazard of docs/DESIGN.md#h9 is out of scope here).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use pte_core::Arch;
use pte_core::PteSlot;
use pte_core::fault::lock::RawSpinLock;
use pte_core::fault::{Leaf, TableWalker};
use pte_core::model::Geometry;
use pte_core::probe::{self, Access, Site};

use crate::Aligned;
use crate::tlb::Tlbs;

/// A leaf table: its entries and its lock. Aligned to a 128-byte line (the largest
/// coherence unit of the machine profiles), so every table's split lock has a line of its
/// own, the same in every run.
#[repr(align(128))]
struct LeafTable<A: Arch> {
    slots: Aligned<PteSlot<A>>,
    ptl: RawSpinLock,
}

/// One page-table page.
enum Table<A: Arch> {
    /// An upper level: child table index + 1, 0 = empty.
    Dir(Aligned<AtomicU64>),
    /// The last level.
    Leaf(LeafTable<A>),
}

/// Counters of a [`PageTables`] (a snapshot).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableCounts {
    /// Tables the arena can hold (root included).
    pub capacity: u64,
    /// Tables linked into the tree (root included).
    pub populated: u64,
    /// Populate races lost: the loser's table was given back.
    pub races: u64,
    /// Tables given back after a lost race and reused later.
    pub recycled: u64,
    /// Populates refused: the arena was full.
    pub exhausted: u64,
}

/// Software page tables for one geometry of layout `A`.
pub struct PageTables<A: Arch> {
    geometry: Geometry,
    arena: Box<[OnceLock<Table<A>>]>,
    next: AtomicUsize,
    /// Tables that lost a populate race, by level: never linked, so still empty.
    spare: Mutex<Vec<Vec<usize>>>,
    populated: AtomicU64,
    races: AtomicU64,
    recycled: AtomicU64,
    exhausted: AtomicU64,
    /// The CPUs' TLBs, if the MMU caches translations ([`with_tlbs`](Self::with_tlbs)).
    tlbs: Option<Tlbs>,
}

impl<A: Arch> core::fmt::Debug for PageTables<A> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PageTables")
            .field("layout", &A::LAYOUT.name)
            .field("geometry", &self.geometry.name)
            .field("counts", &self.counts())
            .finish()
    }
}

impl<A: Arch> PageTables<A> {
    /// Tables for `A::LAYOUT.geometries[geometry]`, at most `max_tables` table pages (root
    /// included).
    ///
    /// Panics if `geometry` is out of range, `max_tables` is 0, or the geometry translates
    /// all 64 address bits.
    pub fn new(geometry: usize, max_tables: usize) -> Self {
        let g = A::LAYOUT.geometries[geometry];
        assert!(
            g.levels() >= 1 && max_tables >= 1,
            "no room for the root table"
        );
        assert!(
            g.va_bits() < 64,
            "the geometry covers the whole address space"
        );
        let t = PageTables {
            geometry: g,
            arena: (0..max_tables).map(|_| OnceLock::new()).collect(),
            next: AtomicUsize::new(1),
            spare: Mutex::new((0..g.levels()).map(|_| Vec::new()).collect()),
            populated: AtomicU64::new(1),
            races: AtomicU64::new(0),
            recycled: AtomicU64::new(0),
            exhausted: AtomicU64::new(0),
            tlbs: None,
        };
        let _ = t.arena[0].set(t.build(0));
        t
    }

    /// The same tables with a TLB per simulated CPU ([`TLB_ENTRIES`](crate::TLB_ENTRIES)
    /// entries each): the MMU caches the translations it validates, and
    /// [`flush_tlb`](TableWalker::flush_tlb) is a shootdown that waits for every CPU.
    pub fn with_tlbs(mut self) -> Self {
        self.tlbs = Some(Tlbs::new());
        self
    }

    /// Whether the MMU caches translations ([`with_tlbs`](Self::with_tlbs)).
    pub fn has_tlbs(&self) -> bool {
        self.tlbs.is_some()
    }

    pub(crate) fn tlbs(&self) -> Option<&Tlbs> {
        self.tlbs.as_ref()
    }

    /// Test hook: `hook(page)` runs at the start of every shootdown, before any TLB is
    /// touched, on the flusher's thread (a shootdown whose IPIs are slow to arrive). One
    /// hook per tables; `false` if there are no TLBs or a hook is already set.
    pub fn on_shootdown(&self, hook: impl Fn(u64) + Send + Sync + 'static) -> bool {
        self.tlbs
            .as_ref()
            .is_some_and(|t| t.before_shootdown.set(Box::new(hook)).is_ok())
    }

    /// Test hook: `hook(page)` runs during every TLB hit, with the CPU's TLB lock held (an
    /// access in flight that a shootdown must wait for). Same terms as
    /// [`on_shootdown`](Self::on_shootdown).
    pub fn on_tlb_hit(&self, hook: impl Fn(u64) + Send + Sync + 'static) -> bool {
        self.tlbs
            .as_ref()
            .is_some_and(|t| t.during_hit.set(Box::new(hook)).is_ok())
    }

    /// Drops every CPU's every cached translation (a change all of them depend on).
    pub fn flush_all_tlbs(&self) {
        if let Some(t) = &self.tlbs {
            t.flush_all();
        }
    }

    /// The geometry in use.
    pub fn geometry(&self) -> &Geometry {
        &self.geometry
    }

    /// One past the highest address the tables translate.
    pub fn va_limit(&self) -> u64 {
        1u64 << self.geometry.va_bits()
    }

    fn build(&self, level: usize) -> Table<A> {
        let n = self.geometry.entries(level) as usize;
        if level + 1 == self.geometry.levels() {
            Table::Leaf(LeafTable {
                slots: Aligned::new(n, PteSlot::default),
                ptl: RawSpinLock::new(),
            })
        } else {
            Table::Dir(Aligned::new(n, || AtomicU64::new(0)))
        }
    }

    fn index(&self, addr: u64, level: usize) -> usize {
        ((addr >> self.geometry.level_shift(level)) & (self.geometry.entries(level) - 1)) as usize
    }

    fn table(&self, i: usize) -> Option<&Table<A>> {
        self.arena.get(i)?.get()
    }

    /// A table of `level`, never linked: a spare one or a new one from the arena.
    fn alloc(&self, level: usize) -> Option<usize> {
        let spare = {
            let mut s = self.spare.lock().unwrap_or_else(|e| e.into_inner());
            s[level].pop()
        };
        if let Some(i) = spare {
            self.recycled.fetch_add(1, Ordering::Relaxed);
            return Some(i);
        }
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        if i >= self.arena.len() {
            self.next.fetch_sub(1, Ordering::Relaxed);
            self.exhausted.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        let _ = self.arena[i].get_or_init(|| self.build(level));
        Some(i)
    }

    /// Walks to the leaf table of `addr`, populating missing tables if `populate`.
    fn walk(&self, addr: u64, populate: bool) -> Option<&LeafTable<A>> {
        if addr >= self.va_limit() {
            return None;
        }
        let mut t = 0usize;
        for level in 0..self.geometry.levels() - 1 {
            let Some(Table::Dir(entries)) = self.table(t) else {
                return None;
            };
            let e = &entries[self.index(addr, level)];
            probe::access(e, Access::Load, Site::UpperEntry);
            let mut v = e.load(Ordering::Acquire);
            if v == 0 {
                if !populate {
                    return None;
                }
                let new = self.alloc(level + 1)?;
                // Release: the new table's empty entries are visible to whoever follows the
                // pointer (`pgd_test_and_populate`).
                probe::access(e, Access::ReadModifyWrite, Site::UpperEntry);
                match e.compare_exchange(0, new as u64 + 1, Ordering::AcqRel, Ordering::Acquire) {
                    Ok(_) => {
                        self.populated.fetch_add(1, Ordering::Relaxed);
                        v = new as u64 + 1;
                    }
                    Err(cur) => {
                        // Lost: give the (never linked, still empty) table back.
                        self.races.fetch_add(1, Ordering::Relaxed);
                        let mut s = self.spare.lock().unwrap_or_else(|e| e.into_inner());
                        s[level + 1].push(new);
                        v = cur;
                    }
                }
            }
            t = (v - 1) as usize;
        }
        match self.table(t)? {
            Table::Leaf(l) => Some(l),
            Table::Dir(_) => None,
        }
    }

    /// The leaf of `addr` without populating (the hardware walker): `None` if a table on the
    /// way is missing.
    pub fn lookup(&self, addr: u64) -> Option<Leaf<'_, A>> {
        let l = self.walk(addr, false)?;
        let i = self.index(addr, self.geometry.levels() - 1);
        Some(Leaf {
            slot: &l.slots[i],
            ptl: &l.ptl,
        })
    }

    /// Calls `f(addr, slot)` for every slot of every populated leaf table.
    pub fn for_each_slot(&self, mut f: impl FnMut(u64, &PteSlot<A>)) {
        self.visit(0, 0, 0, &mut f);
    }

    fn visit(&self, t: usize, level: usize, base: u64, f: &mut impl FnMut(u64, &PteSlot<A>)) {
        let shift = self.geometry.level_shift(level);
        match self.table(t) {
            Some(Table::Dir(entries)) => {
                for (i, e) in entries.iter().enumerate() {
                    let v = e.load(Ordering::Acquire);
                    if v != 0 {
                        self.visit((v - 1) as usize, level + 1, base | (i as u64) << shift, f);
                    }
                }
            }
            Some(Table::Leaf(l)) => {
                for (i, s) in l.slots.iter().enumerate() {
                    f(base | (i as u64) << shift, s);
                }
            }
            None => {}
        }
    }

    /// The counters.
    pub fn counts(&self) -> TableCounts {
        TableCounts {
            capacity: self.arena.len() as u64,
            populated: self.populated.load(Ordering::Relaxed),
            races: self.races.load(Ordering::Relaxed),
            recycled: self.recycled.load(Ordering::Relaxed),
            exhausted: self.exhausted.load(Ordering::Relaxed),
        }
    }
}

impl<A: Arch> TableWalker<A> for PageTables<A> {
    fn leaf(&self, addr: u64) -> Option<Leaf<'_, A>> {
        let l = self.walk(addr, true)?;
        let i = self.index(addr, self.geometry.levels() - 1);
        Some(Leaf {
            slot: &l.slots[i],
            ptl: &l.ptl,
        })
    }

    /// The shootdown of `addr`'s page (the per-CPU TLBs of `tlb.rs`): every CPU's entry dropped under
    /// its TLB lock, so on return no TLB holds it and no access through it is in flight.
    /// Without TLBs nothing is cached (in-flight walks are frame pins, drained before a
    /// frame is reused).
    fn flush_tlb(&self, addr: u64) {
        if let Some(t) = &self.tlbs {
            let shift = self.geometry.page_shift;
            t.flush(addr >> shift, addr & !((1u64 << shift) - 1));
        }
    }
}
