//! The kernel ranges of the layouts (`Layout::kernels`, docs/DESIGN.md "Which layout for which
//! kernel"): properties every range must have, and the boundaries found in the kernel
//! sources, which any change to a range must also change here.

use pte_core::kernels::{CHECKED_THROUGH, KernelRange};
use pte_core::model::HelperModel;
use pte_core::{KernelVersion, Layout};
use pte_tests::{all_layouts, layout};

fn v(text: &str) -> KernelVersion {
    KernelVersion::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// The parts of a layout that decide what every word is: a release in the range encodes
/// all of them as the layout does (pte_core::kernels, "What the layout's format means").
fn same_format(a: &Layout, b: &Layout) -> bool {
    a.word_bits == b.word_bits
        && a.valid_bit == b.valid_bit
        && a.none_ignore == b.none_ignore
        && a.protnone == b.protnone
        && a.pfn == b.pfn
        && a.swap == b.swap
        && a.file == b.file
        && a.default_limits == b.default_limits
}

#[test]
fn every_layout_is_named_after_its_architecture_and_a_release_in_its_range() {
    for e in all_layouts() {
        let l = e.layout;
        let (arch, release) = l.name.split_once('/').expect("ARCH/RELEASE");
        assert_eq!(arch, l.family.name(), "{}", l.name);
        let release = v(release);
        assert!(
            l.kernels.contains(release),
            "{} does not have the format of {release} ({})",
            l.name,
            l.kernels.range
        );
    }
}

#[test]
fn ranges_and_notes_are_well_formed() {
    for e in all_layouts() {
        let k = &e.layout.kernels;
        assert!(k.range.first <= k.range.last_checked(), "{}", e.layout.name);
        assert!(k.range.first <= CHECKED_THROUGH, "{}", e.layout.name);
        for note in k.notes {
            let inside = k.range.first <= note.kernels.first
                && note.kernels.last_checked() <= k.range.last_checked();
            assert!(
                inside,
                "{}: note {} outside the range {}",
                e.layout.name, note.kernels, k.range
            );
            assert!(!note.text.is_empty() && !note.text.contains("  "));
        }
    }
}

/// Within one architecture two layouts share a release exactly when they are the same
/// format: where the format changed, the range of one layout ends and the next begins.
/// (2-level i386 and PAE are two architectures: a kernel is configured for one of them, and
/// their ranges overlap.)
#[test]
fn ranges_of_one_architecture_overlap_only_between_layouts_of_one_format() {
    let all: Vec<_> = all_layouts().map(|e| e.layout).collect();
    let mut overlapping = Vec::new();
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            if a.family != b.family {
                continue;
            }
            let overlap = a.kernels.range.overlaps(&b.kernels.range);
            assert_eq!(
                overlap,
                same_format(a, b),
                "{} ({}) and {} ({}): overlapping ranges must mean one format, and one \
                 format overlapping ranges",
                a.name,
                a.kernels.range,
                b.name,
                b.kernels.range
            );
            if overlap {
                overlapping.push((a.name, b.name));
            }
        }
    }
    assert_eq!(
        overlapping,
        [
            ("riscv64/6.6", "riscv64/6.18"),
            ("loongarch64/6.6", "loongarch64/6.18")
        ]
    );
    // Configuration, not history: 2-level and PAE kernels of the same releases, and arm64
    // without and with LPA2 (TCR_EL1.DS, set at boot for the whole run).
    for (two, pae) in [
        ("i386/2.6.8", "i386-pae/2.6.8"),
        ("i386/6.6", "i386-pae/6.6"),
        ("aarch64/6.18", "aarch64-lpa2/6.18"),
    ] {
        let (two, pae) = (layout(two).layout, layout(pae).layout);
        assert!(two.kernels.range.overlaps(&pae.kernels.range));
        assert_ne!(two.family, pae.family);
        assert!(!same_format(two, pae));
    }
}

/// The two LoongArch layouts are one format and differ in `pte_modify()` only; for every
/// release one of them has no note about it.
#[test]
fn loongarch_layouts_split_at_the_pte_modify_change() {
    let old = layout("loongarch64/6.6").layout;
    let new = layout("loongarch64/6.18").layout;
    assert_ne!(old.helpers, new.helpers);
    let about_modify = |l: &Layout, r: &str| {
        l.kernels
            .notes_for(v(r))
            .any(|n| n.text.starts_with("pte_modify()"))
    };
    for r in ["6.3", "6.6", "6.12", "6.17", "6.18", "6.19", "7.0"] {
        assert_ne!(about_modify(old, r), about_modify(new, r), "{r}");
    }
    assert!(about_modify(old, "6.18") && about_modify(new, "6.17"));
}

/// aarch64/6.18's `make_writable` is Linux 6.18's `pte_mkwrite_novma()`, which leaves a clean
/// entry clean; the releases of its range before 6.18 clear `PTE_RDONLY` always (as
/// aarch64/6.6 does), and a note says so for exactly those.
#[test]
fn aarch64_6_18_notes_the_releases_with_the_older_pte_mkwrite() {
    let keeps_clean = |name: &str| match layout(name).layout.helpers {
        HelperModel::Aarch64 {
            mkwrite_keeps_clean,
            ..
        } => mkwrite_keeps_clean,
        _ => panic!("{name}"),
    };
    assert!(keeps_clean("aarch64/6.18") && !keeps_clean("aarch64/6.6"));
    let l = layout("aarch64/6.18").layout;
    let about_mkwrite = |r: &str| {
        l.kernels
            .notes_for(v(r))
            .any(|n| n.text.starts_with("pte_mkwrite_novma()"))
    };
    for r in ["6.10", "6.12.3", "6.14", "6.17"] {
        assert!(about_mkwrite(r), "{r}");
    }
    for r in ["6.18", "6.18.2", "6.19", "7.0"] {
        assert!(!about_mkwrite(r), "{r}");
    }
}

/// The boundaries found in the kernel sources (the doc comments of each `KERNELS_*` const
/// give them): first and last release, `None` for still current.
#[test]
fn the_boundaries_found_in_the_kernel_sources() {
    let expected: [(&str, &str, Option<&str>); 16] = [
        ("x86_64/2.6.8", "2.6.0", Some("2.6.9")),
        ("x86_64/6.6", "5.19", None),
        ("i386/2.6.8", "2.6.8", Some("2.6.28")),
        ("i386-pae/2.6.8", "2.6.8", Some("2.6.8")),
        ("i386/6.6", "6.3", None),
        ("i386-pae/6.6", "6.3", None),
        ("ia64/2.6.8", "2.6.8", Some("3.19")),
        ("ia64/6.6", "6.3", Some("6.6")),
        ("aarch64/3.18", "3.13", Some("3.19")),
        ("aarch64/6.6", "5.19", Some("6.9")),
        ("aarch64/6.18", "6.10", None),
        ("aarch64-lpa2/6.18", "6.10", None),
        ("riscv64/6.6", "6.3", Some("6.18")),
        ("riscv64/6.18", "6.3", Some("6.18")),
        ("loongarch64/6.6", "6.3", None),
        ("loongarch64/6.18", "6.3", None),
    ];
    let names: Vec<&str> = all_layouts().map(|e| e.layout.name).collect();
    assert_eq!(names, expected.map(|(n, _, _)| n));
    for (name, first, last) in expected {
        assert_eq!(
            layout(name).layout.kernels.range,
            KernelRange {
                first: v(first),
                last: last.map(v)
            },
            "{name}"
        );
    }
    assert_eq!(CHECKED_THROUGH, v("7.0"));
}

/// `pte_layouts::for_kernel`, the lookup behind `pte layouts --kernel`.
#[test]
fn for_kernel_names_the_layouts_of_a_release() {
    let names = |arch: &str, r: &str| -> Vec<&str> {
        pte_layouts::for_kernel(arch, v(r))
            .map(|e| e.layout.name)
            .collect()
    };
    assert_eq!(names("aarch64", "6.12"), ["aarch64/6.18"]);
    assert_eq!(names("aarch64", "6.12.3"), ["aarch64/6.18"]);
    assert_eq!(names("aarch64", "6.9"), ["aarch64/6.6"]);
    assert_eq!(names("aarch64", "6.10"), ["aarch64/6.18"]);
    assert_eq!(names("aarch64", "3.18.140"), ["aarch64/3.18"]);
    assert_eq!(names("aarch64-lpa2", "6.12"), ["aarch64-lpa2/6.18"]);
    assert!(
        names("aarch64-lpa2", "6.9").is_empty(),
        "LPA2 with the 6.6 swap entry: not modelled"
    );
    assert!(names("aarch64", "3.12").is_empty());
    assert!(names("aarch64", "4.19").is_empty());
    assert_eq!(names("x86_64", "2.6.8.1"), ["x86_64/2.6.8"]);
    assert!(names("x86_64", "2.6.11").is_empty());
    assert_eq!(names("x86_64", "6.18"), ["x86_64/6.6"]);
    assert_eq!(names("i386", "2.6.28"), ["i386/2.6.8"]);
    assert!(names("i386", "2.6.29").is_empty());
    assert_eq!(names("i386-pae", "2.6.8"), ["i386-pae/2.6.8"]);
    assert!(names("i386-pae", "2.6.9").is_empty());
    assert_eq!(names("ia64", "6.6"), ["ia64/6.6"]);
    assert!(names("ia64", "6.7").is_empty());
    assert_eq!(names("riscv64", "6.12"), ["riscv64/6.6", "riscv64/6.18"]);
    assert!(names("riscv64", "6.19").is_empty());
    assert_eq!(
        names("loongarch64", "7.0"),
        ["loongarch64/6.6", "loongarch64/6.18"]
    );
    assert!(
        names("loongarch64", "7.1").is_empty(),
        "after CHECKED_THROUGH"
    );
    assert!(
        names("arm64", "6.12").is_empty(),
        "not an architecture name here"
    );
    let arches: Vec<&str> = pte_layouts::arch_names().collect();
    assert_eq!(
        arches,
        [
            "x86_64",
            "i386",
            "i386-pae",
            "ia64",
            "aarch64",
            "aarch64-lpa2",
            "riscv64",
            "loongarch64"
        ]
    );
}

/// aarch64-lpa2/6.18 has the range of aarch64/6.18 and its notes (the LPA2 parts are older:
/// 6.9), with the `pte_mkwrite_novma()` note worded for the copy it cites.
#[test]
fn lpa2_shares_the_range_and_notes_of_aarch64_6_18() {
    let plain = layout("aarch64/6.18").layout.kernels;
    let lpa2 = layout("aarch64-lpa2/6.18").layout.kernels;
    assert_eq!(lpa2.range, plain.range);
    assert_eq!(lpa2.notes.len(), plain.notes.len());
    for (a, b) in lpa2.notes.iter().zip(plain.notes) {
        assert_eq!(a.kernels, b.kernels);
        assert_eq!(
            a.text.split(';').next(),
            b.text.split(';').next(),
            "the same difference"
        );
    }
}
