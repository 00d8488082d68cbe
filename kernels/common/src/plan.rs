//! The window every CPU faults on: one span per strategy, four regions per span, the
//! addresses and the words written, and the strategy of each span. Shared by the workload
//! that writes them and the checks that read them back.

use core::ptr::{read_volatile, write_volatile};

use pte_core::fault::{Backing, Counts, Strategies, Strategy, StrategyKind, StrategyVisitor, Vma};
use pte_core::{Arch, LockBit};

use crate::cache::FILE_PAGES;
use crate::{MAX_CPUS, PAGE_SHIFT, PAGE_SIZE, Platform};

/// Strategies exercised, each in its own span of the window: every one of the set (a new
/// kind makes [`SPAN_STRATEGIES`] fail to compile until it has a span).
pub const STRATEGIES: usize = StrategyKind::ALL.len();
/// Bytes of window per strategy.
const SPAN: u64 = 16 << 20;
/// Pages of the private anonymous region per CPU.
pub const PAGES_PER_CPU: u64 = 16;
/// Pages of the anonymous region all CPUs write.
pub const SHARED_PAGES: u64 = 16;
/// Words written per private anonymous page, spread over the page.
pub const WORDS: usize = 8;
/// Distance between those words.
const WORD_STRIDE: u64 = (PAGE_SIZE / WORDS) as u64;

/// Anonymous pages of one strategy at most (each is swapped out once).
const MAX_ANON_PAGES: u64 = PAGES_PER_CPU * MAX_CPUS as u64 + SHARED_PAGES;

// Capacity for `MAX_CPUS` CPUs: a swap slot per anonymous page, and frames for every page
// mapped at the end plus the page cache and tables (a table per region and level at most).
const _: () = {
    let anon = STRATEGIES as u64 * MAX_ANON_PAGES;
    assert!(crate::swap::SLOTS as u64 >= anon);
    let cache = crate::cache::FILES as u64 * FILE_PAGES;
    let copies = STRATEGIES as u64 * FILE_PAGES;
    let tables = STRATEGIES as u64 * Region::ALL.len() as u64 * 4;
    // Fork gives every private page a second frame and the child tables of its own.
    assert!(crate::frames::POOL_FRAMES as u64 >= 2 * (anon + copies + tables) + cache);
    // Each region fits in its 2 MiB slot of the span.
    assert!(MAX_ANON_PAGES << PAGE_SHIFT <= 2 << 20);
};

/// The address space an address of the window belongs to. The example kernels run one set
/// of hardware tables: the child that fork builds ([`crate::fork`]) is mapped in the same
/// tables, [`CHILD_OFFSET`] above the parent, with VMAs of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Space {
    /// The address space the workload runs in (and fork copies).
    Parent = 0,
    /// The copy fork builds.
    Child = 1,
}

impl Space {
    /// Both, parent first.
    pub const ALL: [Space; 2] = [Space::Parent, Space::Child];

    /// Where the space's regions start in a span.
    pub fn offset(self) -> u64 {
        match self {
            Space::Parent => 0,
            Space::Child => CHILD_OFFSET,
        }
    }
}

/// The child's regions lie this far above the parent's in each span (the parent's four use
/// the first 8 MiB).
pub const CHILD_OFFSET: u64 = 8 << 20;

/// The regions of one strategy's span.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Region {
    /// Anonymous, `PAGES_PER_CPU` pages per CPU, each touched only by its CPU.
    Disjoint,
    /// Anonymous, `SHARED_PAGES` pages; every CPU writes its own word in each.
    Shared,
    /// `MAP_SHARED` of a file: read by everyone.
    FileShared,
    /// `MAP_PRIVATE` of a file: read by everyone, then written (copy-on-write).
    FilePrivate,
}

impl Region {
    /// All regions, in window order.
    pub const ALL: [Region; 4] = [
        Region::Disjoint,
        Region::Shared,
        Region::FileShared,
        Region::FilePrivate,
    ];

    /// Offset in the span (2 MiB apart: separate leaf tables).
    fn offset(self) -> u64 {
        match self {
            Region::Disjoint => 0,
            Region::Shared => 2 << 20,
            Region::FileShared => 4 << 20,
            Region::FilePrivate => 6 << 20,
        }
    }

    /// Pages in the region.
    pub fn pages(self, cpus: usize) -> u64 {
        match self {
            Region::Disjoint => PAGES_PER_CPU * cpus as u64,
            Region::Shared => SHARED_PAGES,
            Region::FileShared | Region::FilePrivate => FILE_PAGES,
        }
    }

    /// The file a file region maps (two files per strategy).
    pub fn file(self, strategy: usize) -> u32 {
        (strategy * 2 + usize::from(self == Region::FilePrivate)) as u32
    }
}

/// The address of page `page` of `region` in strategy `s`'s span.
pub fn page_addr<P: Platform>(s: usize, region: Region, page: u64) -> u64 {
    page_addr_in::<P>(s, Space::Parent, region, page)
}

/// The address of page `page` of `region` of address space `space` in strategy `s`'s span.
pub fn page_addr_in<P: Platform>(s: usize, space: Space, region: Region, page: u64) -> u64 {
    P::WINDOW + s as u64 * SPAN + space.offset() + region.offset() + (page << PAGE_SHIFT)
}

/// The VMA of `region` in strategy `s`'s span.
pub fn vma<P: Platform>(s: usize, region: Region, cpus: usize) -> Vma {
    vma_in::<P>(s, Space::Parent, region, cpus)
}

/// The VMA of `region` of address space `space` in strategy `s`'s span (the child's is
/// the parent's, [`CHILD_OFFSET`] higher, as fork copies the VMAs).
pub fn vma_in<P: Platform>(s: usize, space: Space, region: Region, cpus: usize) -> Vma {
    let start = page_addr_in::<P>(s, space, region, 0);
    let backing = match region {
        Region::Disjoint | Region::Shared => Backing::Anonymous,
        Region::FileShared => Backing::SharedFile {
            file: region.file(s),
            pgoff: 0,
        },
        Region::FilePrivate => Backing::PrivateFile {
            file: region.file(s),
            pgoff: 0,
        },
    };
    Vma {
        start,
        end: start + (region.pages(cpus) << PAGE_SHIFT),
        backing,
        writable: true,
        page_shift: PAGE_SHIFT,
    }
}

/// The strategy span, address space and region of a faulting address (a child address only
/// on a platform that forks, [`Platform::FORK`]).
pub fn locate<P: Platform>(addr: u64, cpus: usize) -> Option<(usize, Space, Region)> {
    let rel = addr.checked_sub(P::WINDOW)?;
    let s = usize::try_from(rel / SPAN).ok()?;
    if s >= STRATEGIES {
        return None;
    }
    let spaces: &[Space] = if P::FORK {
        &Space::ALL
    } else {
        &[Space::Parent]
    };
    spaces.iter().find_map(|&space| {
        let region = Region::ALL.into_iter().find(|r| {
            let v = vma_in::<P>(s, space, *r, cpus);
            (v.start..v.end).contains(&addr)
        })?;
        Some((s, space, region))
    })
}

// The page contents below are arbitrary tags (top nibble: which region wrote it), chosen so
// that every word written anywhere in a run is distinct and never zero.

/// The word `w` of private page `page` (of the CPU that owns it) in strategy `s`.
pub fn anon_word(s: usize, page: u64, w: usize) -> u64 {
    0xA000_0000_0000_0000 | (s as u64) << 40 | page << 16 | w as u64
}

/// The word CPU `cpu` writes in shared page `page` in strategy `s`.
pub fn shared_word(s: usize, page: u64, cpu: usize) -> u64 {
    0x5000_0000_0000_0000 | (s as u64) << 40 | page << 16 | cpu as u64
}

/// The word written into private file page `page` (its word 1), which copies it.
pub fn private_word(s: usize, page: u64) -> u64 {
    0xC000_0000_0000_0000 | (s as u64) << 40 | page << 16
}

/// Address of word `w` of a private anonymous page.
pub fn anon_word_addr(page_addr: u64, w: usize) -> u64 {
    page_addr + w as u64 * WORD_STRIDE
}

/// Reads a word through the MMU (volatile: the access is the point).
pub fn read(addr: u64) -> u64 {
    // SAFETY: `addr` lies in a region of the window: mapped, or faulted in by the handler.
    unsafe { read_volatile(addr as usize as *const u64) }
}

/// Writes a word through the MMU.
pub fn write(addr: u64, value: u64) {
    // SAFETY: as `read`; the region is writable (or the fault copies it).
    unsafe { write_volatile(addr as usize as *mut u64, value) }
}

/// The strategy of each span of the window, in span order.
pub const SPAN_STRATEGIES: [StrategyKind; STRATEGIES] = [
    StrategyKind::Cmpxchg,
    StrategyKind::LockBitSpin,
    StrategyKind::LockBitRefault,
    StrategyKind::SplitLock,
    StrategyKind::MmLock,
];

// Every kind has a span (so, with `STRATEGIES` spans, none has two).
const _: () = {
    let mut i = 0;
    while i < StrategyKind::ALL.len() {
        let mut j = 0;
        while SPAN_STRATEGIES[j] as usize != StrategyKind::ALL[i] as usize {
            j += 1;
            assert!(j < STRATEGIES, "a strategy without a span");
        }
        i += 1;
    }
};

/// A strategy's event counters.
struct StatsOf;
impl<A: Arch> StrategyVisitor<A> for StatsOf {
    type Output = Counts;
    fn visit<S: Strategy<A>>(self, strategy: &S) -> Counts {
        strategy.stats().snapshot()
    }
}

/// The strategies: a plain static, as a kernel keeps them (their constructors are `const`).
static STRATEGY_SET: Strategies = Strategies::new();

/// Runs `v` with the strategy of span `s`.
pub fn with_strategy<A: LockBit + pte_core::CompareExchange, V: StrategyVisitor<A>>(
    s: usize,
    v: V,
) -> V::Output {
    STRATEGY_SET.with(SPAN_STRATEGIES[s], v)
}

/// Name of strategy `s`.
pub fn strategy_name(s: usize) -> &'static str {
    SPAN_STRATEGIES[s].name()
}

/// The library's counters of strategy `s`.
pub fn strategy_counts<A: LockBit + pte_core::CompareExchange>(s: usize) -> Counts {
    with_strategy::<A, _>(s, StatsOf)
}
