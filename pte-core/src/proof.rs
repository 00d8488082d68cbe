//! The lock-bit proofs (docs/DESIGN.md#proofs), evaluated in `const` by [`lock_bit!`](crate::lock_bit).
//!
//! * **none-only** — bit `b` is proved iff the locked-empty word `1 << b` classifies as
//!   invalid: not none by the layout's own `pte_none()`, not present, protnone or
//!   present-invalid, and not an exact in-limit swap or file word.
//! * **any-state** — none-only holds, `b` is never 1 in an in-limit swap or file word (every
//!   stored bit of an inverted field counts), `b` is not a hardware bit and not a Linux
//!   software bit.
//!
//! Both use [`classify`] and the layout's tables; the verdict carries the state and field a
//! rejected bit collides with and a witness word, and [`explain`] turns it into one sentence.

use crate::classify::{Decoded, Discipline, State, SwapEntry, classify};
use crate::encode::{encode_file, encode_swap};
use crate::limits::Limits;
use crate::message::{Message, invalid, swap_entry};
use crate::model::{Layout, ProtNoneRule, bit_opt};

/// What a rejected lock bit collides with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Collision {
    /// The state in which the bit has a meaning.
    pub state: State,
    /// The field or bit name in that state (`offset`, `type`, `marker`, `DIRTY`, …).
    pub field: &'static str,
    /// A word of that state in which the bit is 1 (for none-only: the locked-empty word).
    pub witness: u64,
}

/// The verdict of a proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The bit is safe under the discipline.
    Proven,
    /// The bit collides.
    Rejected(Collision),
}

impl Verdict {
    /// Whether the bit was proved.
    pub const fn is_proven(&self) -> bool {
        matches!(self, Verdict::Proven)
    }
}

/// The field of `state` that holds `bit` in the decoded word.
const fn field_in(layout: &Layout, d: &Decoded, bit: u32) -> &'static str {
    match d {
        Decoded::None => "pte_none() ignores it",
        Decoded::Present { .. } => {
            if bit == layout.valid_bit {
                "valid bit"
            } else {
                hw_name(layout, bit)
            }
        }
        Decoded::ProtNone { .. } | Decoded::PresentInvalid { .. } => {
            if bit == layout.protnone_marker() {
                match layout.protnone {
                    ProtNoneRule::Marker { .. } => "protnone marker",
                    ProtNoneRule::PresentInvalid { .. } => "present-invalid marker",
                }
            } else {
                hw_name(layout, bit)
            }
        }
        Decoded::File { .. } => match layout.file {
            Some(f) if f.marker == bit => "marker",
            _ => "pgoff",
        },
        Decoded::Swap(_) => swap_field(layout, bit),
        Decoded::LockedNone | Decoded::Invalid(_) => "none",
    }
}

const fn swap_field(layout: &Layout, bit: u32) -> &'static str {
    let s = &layout.swap;
    if bit_opt(s.exclusive) == 1u64 << bit {
        "exclusive"
    } else if bit_opt(s.soft_dirty) == 1u64 << bit {
        "soft-dirty"
    } else if bit_opt(s.uffd_wp) == 1u64 << bit {
        "uffd-wp"
    } else if s.type_field.contains(bit) {
        "type"
    } else {
        "offset"
    }
}

/// The name of a present-entry bit: a named flag, `pfn`, or `reserved`.
const fn hw_name(layout: &Layout, bit: u32) -> &'static str {
    if let Some(f) = layout.flag_at(bit) {
        return f.name;
    }
    if layout.pfn.contains(bit) {
        return "pfn";
    }
    if layout.reserved & (1u64 << bit) != 0 {
        return "reserved";
    }
    "hardware bit"
}

/// The none-only proof.
pub const fn prove_none_only(layout: &Layout, limits: &Limits, bit: u32) -> Verdict {
    let word = 1u64 << bit;
    let d = classify(layout, limits, word);
    match d {
        Decoded::Invalid(_) => Verdict::Proven,
        _ => Verdict::Rejected(Collision {
            state: d.state(),
            field: field_in(layout, &d, bit),
            witness: word,
        }),
    }
}

/// A swap word, within the limits, in which `bit` is 1 (if there is one).
const fn swap_witness(layout: &Layout, limits: &Limits, bit: u32) -> Option<u64> {
    let s = &layout.swap;
    let mut e = SwapEntry {
        ty: 0,
        offset: 0,
        exclusive: false,
        soft_dirty: false,
        uffd_wp: false,
    };
    if bit_opt(s.exclusive) == 1u64 << bit {
        e.exclusive = true;
    } else if bit_opt(s.soft_dirty) == 1u64 << bit {
        e.soft_dirty = true;
    } else if bit_opt(s.uffd_wp) == 1u64 << bit {
        e.uffd_wp = true;
    } else if s.type_field.contains(bit) {
        let vb = bit - s.type_field.shift;
        if vb >= limits.swap_type_bits {
            return None;
        }
        e.ty = 1u64 << vb;
    } else {
        match s.offset.value_bit(bit) {
            None => return None,
            Some(vb) => {
                if s.offset.inverted {
                    // Every stored bit of an inverted field is 1 for offset 0 (type 1 keeps
                    // the word from being the all-zero none word on no layout we know, but
                    // an inverted offset is never zero anyway).
                    e.offset = 0;
                } else if vb >= limits.swap_offset_bits {
                    return None;
                } else {
                    e.offset = 1u64 << vb;
                }
            }
        }
    }
    match encode_swap(layout, limits, e) {
        Ok(w) if w & (1u64 << bit) != 0 => Some(w),
        _ => None,
    }
}

/// A file word, within the limits, in which `bit` is 1 (if there is one).
const fn file_witness(layout: &Layout, limits: &Limits, bit: u32) -> Option<u64> {
    let Some(f) = layout.file else {
        return None;
    };
    let Some(m) = limits.file_pgoff_bits else {
        return None;
    };
    let pgoff = if f.marker == bit {
        0
    } else {
        match f.pgoff.value_bit(bit) {
            Some(vb) if vb < m => 1u64 << vb,
            _ => return None,
        }
    };
    match encode_file(layout, limits, pgoff) {
        Ok(w) if w & (1u64 << bit) != 0 => Some(w),
        _ => None,
    }
}

/// The any-state proof.
pub const fn prove_any_state(layout: &Layout, limits: &Limits, bit: u32) -> Verdict {
    let v = prove_none_only(layout, limits, bit);
    if !v.is_proven() {
        return v;
    }
    if let Some(w) = swap_witness(layout, limits, bit) {
        return Verdict::Rejected(Collision {
            state: State::Swap,
            field: swap_field(layout, bit),
            witness: w,
        });
    }
    if let Some(w) = file_witness(layout, limits, bit) {
        let field = match layout.file {
            Some(f) if f.marker == bit => "marker",
            _ => "pgoff",
        };
        return Verdict::Rejected(Collision {
            state: State::File,
            field,
            witness: w,
        });
    }
    let b = 1u64 << bit;
    if layout.hw_bits & b != 0 || layout.sw_bits & b != 0 {
        return Verdict::Rejected(Collision {
            state: State::Present,
            field: hw_name(layout, bit),
            witness: layout.page_present | b,
        });
    }
    Verdict::Proven
}

/// Proves `bit` under `discipline`.
pub const fn prove(layout: &Layout, limits: &Limits, bit: u32, discipline: Discipline) -> Verdict {
    if bit >= layout.word_bits {
        return Verdict::Rejected(Collision {
            state: State::Invalid,
            field: "beyond the word",
            witness: 0,
        });
    }
    match discipline {
        Discipline::NoneOnly => prove_none_only(layout, limits, bit),
        Discipline::AnyState => prove_any_state(layout, limits, bit),
    }
}

/// The bit of a layout's break-before-make marker
/// ([`Pte::break_marker`](crate::Pte::break_marker)): the highest bit that passes the
/// none-only proof, so the marker word `1 << bit` is no state at all — not none (a lock-free
/// fault cannot fill it), not present (the MMU does not use it), not a swap or file entry.
/// `None` when no bit passes (i386/2.6.8 2-level: every bit of a non-present word is swap).
pub const fn marker_bit(layout: &Layout, limits: &Limits) -> Option<u32> {
    let mut bit = layout.word_bits;
    while bit > 0 {
        bit -= 1;
        if prove_none_only(layout, limits, bit).is_proven() {
            return Some(bit);
        }
    }
    None
}

/// What `word` is, in words (`swap type 0, offset 2`, `a present entry`, …).
const fn describe(m: Message, layout: &Layout, limits: &Limits, word: u64) -> Message {
    let digits = layout.word_bits / 4;
    let m = m.hex(word, digits).push(" is ");
    match classify(layout, limits, word) {
        Decoded::None => m.push("pte_none()"),
        Decoded::Present { pfn } => m.push("a present entry (pfn ").hex(pfn, 0).push(")"),
        Decoded::ProtNone { pfn } => m.push("a protnone entry (pfn ").hex(pfn, 0).push(")"),
        Decoded::PresentInvalid { pfn } => m
            .push("a present-invalid entry (pfn ")
            .hex(pfn, 0)
            .push(")"),
        Decoded::File { pgoff } => m.push("file pgoff ").dec(pgoff),
        Decoded::Swap(e) => swap_entry(m.push("swap "), e),
        Decoded::LockedNone => m.push("a locked empty entry"),
        Decoded::Invalid(r) => invalid(m.push("invalid: "), r),
    }
}

/// One sentence explaining a verdict, e.g. `0x00000200 is swap type 0, offset 2`.
pub const fn explain(
    layout: &Layout,
    limits: &Limits,
    bit: u32,
    discipline: Discipline,
    verdict: &Verdict,
) -> Message {
    let m = Message::new()
        .push(layout.name)
        .push(" bit ")
        .dec(bit as u64)
        .push(" ")
        .push(discipline.name())
        .push(": ");
    match verdict {
        Verdict::Proven => match discipline {
            Discipline::NoneOnly => describe(m.push("proven, the locked-empty word "), layout, limits, 1u64 << bit),
            Discipline::AnyState => m.push(
                "proven, never set in an in-limit swap or file entry and neither a hardware nor a Linux software bit",
            ),
        },
        Verdict::Rejected(c) => {
            let m = m
                .push("rejected, collides with ")
                .push(c.state.name())
                .push(": ")
                .push(c.field)
                .push("; ");
            if bit >= layout.word_bits {
                m.push("the word has only ").dec(layout.word_bits as u64).push(" bits")
            } else if matches!(c.state, State::Present) && !matches!(discipline, Discipline::NoneOnly)
                && c.witness != 1u64 << bit
            {
                m.push("bit ").dec(bit as u64).push(" is ").push(c.field).push(" in present entries (")
                    .hex(c.witness, layout.word_bits / 4).push(")")
            } else {
                describe(m, layout, limits, c.witness)
            }
        }
    }
}

/// Evaluates a proof and fails (at compile time, in a `const`) with [`explain`]'s sentence.
pub const fn require(
    layout: &'static Layout,
    limits: Limits,
    bit: u32,
    discipline: Discipline,
) -> LockProof {
    let v = prove(layout, &limits, bit, discipline);
    if let Verdict::Rejected(_) = v {
        let msg = explain(layout, &limits, bit, discipline, &v);
        panic!("{}", msg.as_str());
    }
    LockProof {
        layout,
        limits,
        bit,
        discipline,
    }
}

/// Evidence that a lock bit was proved: only [`require`] makes one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockProof {
    layout: &'static Layout,
    limits: Limits,
    bit: u32,
    discipline: Discipline,
}

impl LockProof {
    /// The proved bit.
    pub const fn bit(&self) -> u32 {
        self.bit
    }

    /// The discipline it was proved under.
    pub const fn discipline(&self) -> Discipline {
        self.discipline
    }

    /// The layout it was proved for.
    pub const fn layout(&self) -> &'static Layout {
        self.layout
    }

    /// The limits it was proved under.
    pub const fn limits(&self) -> Limits {
        self.limits
    }

    /// The mask of the bit.
    pub const fn mask(&self) -> u64 {
        1u64 << self.bit
    }

    /// Whether this proof was made for a layout of `layout`'s name under `limits`.
    ///
    /// Informational only: a [`LockBit`](crate::LockBit)'s proof is computed from the type's
    /// own layout and limits, never compared with one made elsewhere.
    pub const fn is_for(&self, layout: &Layout, limits: &Limits) -> bool {
        same_str(self.layout.name, layout.name)
            && self.limits.swap_type_bits == limits.swap_type_bits
            && self.limits.swap_offset_bits == limits.swap_offset_bits
            && match (self.limits.file_pgoff_bits, limits.file_pgoff_bits) {
                (Some(a), Some(b)) => a == b,
                (None, None) => true,
                _ => false,
            }
    }
}

const fn same_str(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}
