//! Each layout's doc comment includes a bit diagram from a file; the diagram must be what the
//! tables render, so it cannot drift. `PTE_BLESS=1 cargo test -p pte-tests --test diagrams`
//! rewrites the files after a deliberate change to a layout.

use pte_tests::{all_layouts, diagram_doc, diagram_path};

#[test]
#[cfg_attr(miri, ignore = "reads files")]
fn diagrams_match_the_tables() {
    let bless = std::env::var_os("PTE_BLESS").is_some();
    for e in all_layouts() {
        let path = diagram_path(e.layout.name);
        let want = diagram_doc(e);
        if bless {
            std::fs::write(&path, &want).expect("write diagram");
            continue;
        }
        let have = std::fs::read_to_string(&path).expect("read diagram");
        assert_eq!(
            have,
            want,
            "{} drifted from its tables; re-bless",
            path.display()
        );
    }
}

#[test]
fn every_state_has_a_line_and_every_line_covers_the_word() {
    for e in all_layouts() {
        let l = e.layout;
        for state in pte_core::diagram::states(l) {
            let mut next_hi = l.word_bits;
            pte_core::diagram::segments(l, state, |seg| {
                assert_eq!(
                    seg.hi + 1,
                    next_hi,
                    "{} {:?}: gap above {}",
                    l.name,
                    state,
                    seg.hi
                );
                assert!(seg.lo <= seg.hi);
                next_hi = seg.lo;
            });
            assert_eq!(next_hi, 0, "{} {:?} stops above bit 0", l.name, state);
        }
    }
}
