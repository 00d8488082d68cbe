//! Decode, then re-encode: the property the `classify` fuzz target and the `reencode` proptests
//! (`tests/tests/reencode.rs`) check on arbitrary words.
//!
//! For every word and every layout, [`classify()`] returns without panicking (and
//! [`classify_locked`], [`check_locked`]), and a word it reads as
//!
//! * **swap** re-encodes to itself with [`encode_swap`] (type, offset and flags as decoded, under
//!   the same limits): the classifier accepts only exact encodings;
//! * **file** re-encodes to itself with [`encode_file`] (the pgoff as decoded);
//! * **present** re-encodes to itself with [`encode_present`] (the PFN as decoded and the rest of
//!   the word as flags) when it is in the encoder's domain, which the model defines: it carries
//!   the layout's `page_present` bits (aarch64: VALID *and* the page/table bit; a valid word
//!   without the page bit is present to Linux but not a leaf page `pfn_pte()` builds), and every
//!   bit outside the PFN is part of a named flag. Outside that domain the encoder must refuse
//!   with `UnknownFlagBits`, nothing else;
//! * **protnone** has one encoding per PFN (`pfn_pte(pfn, PAGE_NONE)`), so the check is the other
//!   way round: [`encode_protnone`] of the decoded PFN is a protnone word with that PFN.
//!
//! None, present-invalid and invalid words have no encoder.

use pte_core::encode::{EncodeError, encode_file, encode_present, encode_protnone, encode_swap};
use pte_core::{Decoded, Discipline, Layout, Limits, classify, classify_locked};

/// Classifies `w` and checks the re-encoding of its state; `Err` says what went wrong.
pub fn check(layout: &Layout, limits: &Limits, w: u64) -> Result<Decoded, String> {
    let d = classify(layout, limits, w);
    let name = layout.name;
    let fail = |what: String| Err(format!("{name} {w:#x} ({d:?}): {what}"));
    match d {
        Decoded::Swap(e) => {
            let r = encode_swap(layout, limits, e);
            if r != Ok(w) {
                return fail(format!("encode_swap gives {r:x?}"));
            }
        }
        Decoded::File { pgoff } => {
            let r = encode_file(layout, limits, pgoff);
            if r != Ok(w) {
                return fail(format!("encode_file gives {r:x?}"));
            }
        }
        Decoded::Present { pfn } => {
            let flags = w & !layout.pfn.put(pfn) & !layout.page_present;
            let known = layout.flags.iter().fold(0, |m, f| m | f.mask);
            let r = encode_present(layout, pfn, flags);
            let in_domain = w & layout.page_present == layout.page_present && flags & !known == 0;
            let ok = if in_domain {
                r == Ok(w)
            } else {
                // Only flag bits the layout does not name make the encoder refuse; a word
                // lacking `page_present` bits comes back with them.
                match r {
                    Ok(x) => flags & !known == 0 && x == w | layout.page_present,
                    Err(EncodeError::UnknownFlagBits { bits }) => bits == flags & !known,
                    Err(_) => false,
                }
            };
            if !ok {
                return fail(format!(
                    "encode_present(pfn {pfn:#x}, flags {flags:#x}) gives {r:x?}"
                ));
            }
        }
        Decoded::ProtNone { pfn } => {
            let r = encode_protnone(layout, pfn);
            let back = r.map(|x| classify(layout, limits, x));
            if back != Ok(Decoded::ProtNone { pfn }) {
                return fail(format!(
                    "encode_protnone gives {r:x?}, read back as {back:?}"
                ));
            }
        }
        Decoded::None
        | Decoded::PresentInvalid { .. }
        | Decoded::LockedNone
        | Decoded::Invalid(_) => {}
    }
    Ok(d)
}

/// [`classify_locked`] with lock bit `bit` under `discipline`: total, and a word it reports
/// unlocked classifies as [`classify()`] says.
pub fn check_locked(
    layout: &Layout,
    limits: &Limits,
    w: u64,
    bit: u32,
    discipline: Discipline,
) -> Result<(), String> {
    let bit = bit % layout.word_bits;
    let (d, locked) = classify_locked(layout, limits, w, Some((bit, discipline)));
    let plain = classify(layout, limits, w);
    if !locked && d != plain {
        return Err(format!(
            "{} {w:#x}: classify_locked(bit {bit}, {discipline:?}) unlocked gives {d:?}, \
             classify {plain:?}",
            layout.name
        ));
    }
    Ok(())
}
