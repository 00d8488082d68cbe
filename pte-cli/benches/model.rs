//! The format model against hand-written masks, for each layout of `pte_layouts::for_each_layout!`.
//!
//! Three operations over fixed, seeded batches of 4096 inputs:
//!
//! * `classify/<layout>`: a word to its [`State`] — a mix of none, present, protnone, file and
//!   swap words made by the library's encoders, swap words with one bit flipped, and random
//!   words;
//! * `decode_swap/<layout>`: a swap word to `(type, offset)` (classify, then read the entry);
//! * `encode_swap/<layout>`: a [`SwapEntry`] to its word or a refusal (mostly encodable
//!   entries, some out of limits or with a flag the layout lacks).
//!
//! Each in up to four variants:
//!
//! * `model`: the library with the layout a compile-time constant — `classify(A::LAYOUT,
//!   &A::LIMITS, w)` in a generic `#[inline]` fn, as a kernel would call it;
//! * `dyn`: the library with the layout picked at run time from `pte_layouts::LAYOUTS`;
//! * `hand`: a hand-written chain of mask tests computing the same answer (checked equal to the
//!   library on the whole batch before anything is measured);
//! * `hand-raw` (decode only): the kernel macros alone (`__swp_type`, `__swp_offset`), which
//!   trust the word to be a swap entry — equal to the library here only because the batch holds
//!   nothing else.
//!
//! After a `cargo bench` run the ns per operation and the ratios are printed as a table.

mod common;

use std::hint::black_box;
use std::time::Duration;

use common::{Run, ns, ratio};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput};
use pte_core::encode::{encode_file, encode_present, encode_protnone, encode_swap};
use pte_core::model::low_mask;
use pte_core::{Arch, Decoded, LayoutEntry, State, SwapEntry, classify};
use pte_tests::hand::{Hand, NOT_SWAP};

/// Inputs per batch (one criterion iteration runs the whole batch).
const BATCH: usize = 4096;

// ------------------------------------------------------------------ the library, two ways

/// `classify` with the layout known at compile time.
#[inline]
fn model_classify<A: Arch>(w: u64) -> State {
    classify(A::LAYOUT, &A::LIMITS, w).state()
}

/// Classify a swap word and read its type and offset, layout known at compile time.
#[inline]
fn model_decode<A: Arch>(w: u64) -> (u64, u64) {
    swap_of(classify(A::LAYOUT, &A::LIMITS, w))
}

/// `encode_swap` with the layout known at compile time.
#[inline]
fn model_encode<A: Arch>(e: SwapEntry) -> Option<u64> {
    encode_swap(A::LAYOUT, &A::LIMITS, e).ok()
}

/// `classify` with the layout chosen at run time.
#[inline]
fn dyn_classify(l: &LayoutEntry, w: u64) -> State {
    classify(l.layout, &l.limits, w).state()
}

/// Classify and read a swap word, layout chosen at run time.
#[inline]
fn dyn_decode(l: &LayoutEntry, w: u64) -> (u64, u64) {
    swap_of(classify(l.layout, &l.limits, w))
}

/// `encode_swap` with the layout chosen at run time.
#[inline]
fn dyn_encode(l: &LayoutEntry, e: SwapEntry) -> Option<u64> {
    encode_swap(l.layout, &l.limits, e).ok()
}

#[inline]
fn swap_of(d: Decoded) -> (u64, u64) {
    match d {
        Decoded::Swap(e) => (e.ty, e.offset),
        _ => NOT_SWAP,
    }
}

// ------------------------------------------------------------------ batches

/// A small deterministic generator (splitmix64): the batches are the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value below `2^bits` with a random bit length, so small and large values both occur.
    fn below_pow2(&mut self, bits: u32) -> u64 {
        let len = (self.next() % (u64::from(bits) + 1)) as u32;
        if len == 0 {
            0
        } else {
            self.next() >> (64 - len)
        }
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            v.swap(i, self.below(i as u64 + 1) as usize);
        }
    }
}

/// A swap entry within the limits, with flags the layout has.
fn swap_entry<A: Arch>(rng: &mut Rng) -> SwapEntry {
    let (l, lim) = (A::LAYOUT, A::LIMITS);
    SwapEntry {
        ty: rng.below(low_mask(lim.swap_type_bits) + 1),
        offset: rng.below_pow2(lim.swap_offset_bits),
        exclusive: l.swap.exclusive.is_some() && rng.chance(50),
        soft_dirty: l.swap.soft_dirty.is_some() && rng.chance(30),
        uffd_wp: l.swap.uffd_wp.is_some() && rng.chance(30),
    }
}

/// Words to classify: none, present, protnone, swap, file (made by the library's encoders),
/// swap words with one bit flipped, random words.
fn classify_batch<A: Arch>(rng: &mut Rng) -> Vec<u64> {
    let (l, lim) = (A::LAYOUT, A::LIMITS);
    let pfn_bits = l.pfn.bits();
    let mut v = Vec::with_capacity(BATCH);
    while v.len() < BATCH {
        let w = match rng.below(100) {
            0..8 => Some(rng.next() & l.none_ignore),
            8..30 => {
                let flags = l
                    .flags
                    .iter()
                    .filter(|_| rng.chance(30))
                    .fold(0, |m, f| m | f.mask);
                encode_present(l, rng.below_pow2(pfn_bits), flags).ok()
            }
            30..36 => encode_protnone(l, rng.below_pow2(pfn_bits)).ok(),
            36..72 => match (l.file, lim.file_pgoff_bits) {
                (Some(_), Some(m)) if rng.chance(30) => {
                    encode_file(l, &lim, rng.below_pow2(m)).ok()
                }
                _ => encode_swap(l, &lim, swap_entry::<A>(rng)).ok(),
            },
            72..86 => encode_swap(l, &lim, swap_entry::<A>(rng))
                .ok()
                .map(|w| w ^ 1 << rng.below(u64::from(l.word_bits))),
            _ if l.word_bits == 32 && rng.chance(12) => Some(rng.next()),
            _ => Some(rng.next() & l.word_mask()),
        };
        v.extend(w);
    }
    rng.shuffle(&mut v);
    v
}

/// Swap words (exact encodings, made by `encode_swap`).
fn decode_batch<A: Arch>(rng: &mut Rng) -> Vec<u64> {
    let mut v = Vec::with_capacity(BATCH);
    while v.len() < BATCH {
        v.extend(encode_swap(A::LAYOUT, &A::LIMITS, swap_entry::<A>(rng)).ok());
    }
    v
}

/// Entries to encode: 85% within the limits, the rest out of them, with a missing flag, or the
/// none entry.
fn encode_batch<A: Arch>(rng: &mut Rng) -> Vec<SwapEntry> {
    let (l, lim) = (A::LAYOUT, A::LIMITS);
    (0..BATCH)
        .map(|_| {
            let mut e = swap_entry::<A>(rng);
            match rng.below(100) {
                0..85 => {}
                85..90 => e.ty = low_mask(lim.swap_type_bits) + 1 + rng.below(100),
                90..95 => e.offset = (1 << lim.swap_offset_bits) + rng.below_pow2(20),
                95..98 => {
                    // A flag the layout lacks, where it lacks one.
                    e.exclusive |= l.swap.exclusive.is_none();
                    e.soft_dirty |= l.swap.soft_dirty.is_none();
                    e.uffd_wp |= l.swap.uffd_wp.is_none();
                }
                _ => e = SwapEntry::default(),
            }
            e
        })
        .collect()
}

// ------------------------------------------------------------------ measuring

/// Runs `f` over the batch: each input and output goes through `black_box`, so nothing is
/// hoisted out of the loop, vectorised across inputs, or skipped.
#[inline(always)]
fn each<I: Copy, O>(batch: &[I], f: impl Fn(I) -> O) {
    for &x in black_box(batch) {
        black_box(f(black_box(x)));
    }
}

/// The operations, in table order, with their variants.
const OPS: [(&str, &[&str]); 3] = [
    ("classify", &["model", "dyn", "hand"]),
    ("decode_swap", &["model", "dyn", "hand", "hand-raw"]),
    ("encode_swap", &["model", "dyn", "hand"]),
];

/// The batch's composition as the library classifies it.
fn mix(l: &LayoutEntry, words: &[u64]) -> String {
    let states = [
        State::None,
        State::Present,
        State::ProtNone,
        State::PresentInvalid,
        State::File,
        State::Swap,
        State::Invalid,
    ];
    states
        .iter()
        .map(|s| {
            let n = words.iter().filter(|&&w| dyn_classify(l, w) == *s).count();
            format!("{} {n}", s.name())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Measures an operation over `batch` in the group `name`: `model`, `dyn` (the layout picked
/// at run time, out of `entry`) and `hand`. Returns the group for more variants.
fn bench_op<'c, I: Copy, O>(
    c: &'c mut Criterion,
    name: String,
    batch: &[I],
    entry: &LayoutEntry,
    model: impl Fn(I) -> O,
    dyn_: impl Fn(&LayoutEntry, I) -> O,
    hand: impl Fn(I) -> O,
) -> BenchmarkGroup<'c, WallTime> {
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function("model", |b| b.iter(|| each(batch, &model)));
    g.bench_function("dyn", |b| {
        b.iter(|| {
            let l = black_box(entry);
            each(batch, |x| dyn_(l, x))
        })
    });
    g.bench_function("hand", |b| b.iter(|| each(batch, &hand)));
    g
}

/// Checks the variants agree on every input, then measures them. Returns the layout's id and
/// its batch composition.
fn bench_layout<A: Hand>(c: &mut Criterion, all: &[LayoutEntry]) -> (String, String) {
    let name = A::LAYOUT.name;
    let id = name.replace('/', "-");
    // Chosen at run time, out of a list the optimiser cannot see through.
    let entry: &LayoutEntry = black_box(all)
        .iter()
        .find(|e| e.layout.name == name)
        .expect("every layout type is in LAYOUTS");
    assert_eq!(entry.limits, A::LIMITS, "{name}: LAYOUTS has other limits");

    // A fixed seed per layout (FNV-1a of the name).
    let seed = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let mut rng = Rng(seed);
    let words = classify_batch::<A>(&mut rng);
    let swaps = decode_batch::<A>(&mut rng);
    let entries = encode_batch::<A>(&mut rng);

    for &w in &words {
        let want = model_classify::<A>(w);
        assert_eq!(A::classify(w), want, "{name}: hand classify of {w:#x}");
        assert_eq!(
            dyn_classify(entry, w),
            want,
            "{name}: dyn classify of {w:#x}"
        );
        assert_eq!(
            A::decode(w),
            model_decode::<A>(w),
            "{name}: decode of {w:#x}"
        );
    }
    for &w in &swaps {
        let want = model_decode::<A>(w);
        assert_ne!(want, NOT_SWAP, "{name}: {w:#x} is not a swap word");
        assert_eq!(A::decode(w), want, "{name}: hand decode of {w:#x}");
        assert_eq!(A::swap_raw(w), want, "{name}: raw decode of {w:#x}");
        assert_eq!(dyn_decode(entry, w), want, "{name}: dyn decode of {w:#x}");
    }
    for &e in &entries {
        let want = model_encode::<A>(e);
        assert_eq!(A::encode(e), want, "{name}: hand encode of {e:?}");
        assert_eq!(dyn_encode(entry, e), want, "{name}: dyn encode of {e:?}");
    }

    bench_op(
        c,
        format!("classify/{id}"),
        &words,
        entry,
        model_classify::<A>,
        dyn_classify,
        A::classify,
    )
    .finish();
    let mut g = bench_op(
        c,
        format!("decode_swap/{id}"),
        &swaps,
        entry,
        model_decode::<A>,
        dyn_decode,
        A::decode,
    );
    g.bench_function("hand-raw", |b| b.iter(|| each(&swaps, A::swap_raw)));
    g.finish();
    bench_op(
        c,
        format!("encode_swap/{id}"),
        &entries,
        entry,
        model_encode::<A>,
        dyn_encode,
        A::encode,
    )
    .finish();

    (id, mix(entry, &words))
}

fn main() {
    let run = Run::start();
    // Ten benchmarks per layout of the list: 0.3 s each.
    let mut c = common::criterion(Duration::from_millis(300));
    let all = pte_layouts::LAYOUTS;

    macro_rules! bench_every_layout {
        ($($id:ident => $ty:ty, $dir:literal, $lock:ident;)*) => {
            [$(bench_layout::<$ty>(&mut c, all)),*]
        };
    }
    let layouts = pte_layouts::for_each_layout!(bench_every_layout);
    c.final_summary();
    if !run.measuring() {
        return;
    }

    let per_op = |group: &str, f: &str| run.ns(group, f).map(|t| t / BATCH as f64);
    println!("\nns per operation (criterion's typical estimate / {BATCH}); ratios = time / hand");
    println!(
        "| layout | op | model | dyn | hand | model/hand | dyn/hand | hand-raw | model/hand-raw |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for (id, _) in &layouts {
        for (op, variants) in OPS {
            let group = format!("{op}/{id}");
            let [model, dyn_, hand] = ["model", "dyn", "hand"].map(|f| per_op(&group, f));
            let raw = variants
                .contains(&"hand-raw")
                .then(|| per_op(&group, "hand-raw"))
                .flatten();
            if model.is_none() && dyn_.is_none() && hand.is_none() && raw.is_none() {
                continue;
            }
            println!(
                "| {id} | {op} | {} | {} | {} | {} | {} | {} | {} |",
                ns(model),
                ns(dyn_),
                ns(hand),
                ratio(model, hand),
                ratio(dyn_, hand),
                ns(raw),
                ratio(model, raw),
            );
        }
    }
    println!("\nclassify batches ({BATCH} words each, as the library classifies them):");
    for (id, mix) in &layouts {
        println!("  {id}: {mix}");
    }
}
