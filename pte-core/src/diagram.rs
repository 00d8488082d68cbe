//! Bit diagrams of a layout's states, rendered from the tables (as the kernel's headers draw
//! them by hand). Each layout's doc comment carries the rendering, and a test re-renders it,
//! so the picture cannot drift from the data.

use core::fmt;

use crate::classify::State;
use crate::model::{Layout, ProtNoneRule, bit_opt};

/// What a run of bits is in one state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A value field (`PFN`, `TYPE`, `OFFSET`, `PGOFF`).
    Field,
    /// A value field stored inverted (`~OFFSET`, `~PFN`).
    Inverted,
    /// A named flag.
    Flag,
    /// A marker that must be 1.
    One,
    /// Must be 0.
    Zero,
    /// Ignored (by hardware, or by `pte_none()`).
    Ignored,
    /// Reserved: must be 0 in a present entry.
    Reserved,
}

/// A run of bits `lo..=hi` with one role and label in one state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Highest bit.
    pub hi: u32,
    /// Lowest bit.
    pub lo: u32,
    /// Name (empty for plain zeros).
    pub label: &'static str,
    /// Role.
    pub role: Role,
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.hi == self.lo {
            write!(f, "[{} ", self.hi)?;
        } else {
            write!(f, "[{}-{} ", self.hi, self.lo)?;
        }
        match self.role {
            Role::Inverted => write!(f, "~{}]", self.label),
            Role::One => write!(f, "{}=1]", self.label),
            Role::Zero if self.label.is_empty() => f.write_str("0]"),
            Role::Zero => write!(f, "{}=0]", self.label),
            Role::Ignored => f.write_str("x]"),
            Role::Reserved => f.write_str("rsv]"),
            Role::Field | Role::Flag => write!(f, "{}]", self.label),
        }
    }
}

/// The states drawn for a layout, in classification order.
pub fn states(layout: &Layout) -> impl Iterator<Item = State> + '_ {
    [
        State::None,
        State::Present,
        State::ProtNone,
        State::PresentInvalid,
        State::File,
        State::Swap,
    ]
    .into_iter()
    .filter(move |s| match s {
        State::PresentInvalid => matches!(layout.protnone, ProtNoneRule::PresentInvalid { .. }),
        State::File => layout.file.is_some(),
        _ => true,
    })
}

fn present_role(layout: &Layout, bit: u32) -> (Role, &'static str) {
    if bit == layout.valid_bit {
        return (Role::One, "VALID");
    }
    if let Some(flag) = layout.flag_at(bit) {
        return (Role::Flag, flag.name);
    }
    if layout.pfn.contains(bit) {
        return (Role::Field, pfn_label(layout, bit));
    }
    if layout.reserved & (1u64 << bit) != 0 {
        return (Role::Reserved, "");
    }
    (Role::Ignored, "")
}

/// `PFN`, or `PFN_HI` for the PFN's separate top part (arm64 LPA2: bits 8–9 hold the top two
/// PFN bits, `PA[51:50]`).
const fn pfn_label(layout: &Layout, bit: u32) -> &'static str {
    if layout.pfn.in_high(bit) {
        "PFN_HI"
    } else {
        "PFN"
    }
}

/// The role and label of `bit` in `state`.
pub fn role(layout: &Layout, state: State, bit: u32) -> (Role, &'static str) {
    let b = 1u64 << bit;
    match state {
        State::None | State::LockedNone | State::Invalid => {
            if layout.none_ignore & b != 0 {
                (Role::Ignored, "")
            } else {
                (Role::Zero, "")
            }
        }
        State::Present => present_role(layout, bit),
        State::ProtNone | State::PresentInvalid => {
            if bit == layout.valid_bit {
                return (Role::Zero, "VALID");
            }
            match layout.protnone {
                ProtNoneRule::Marker { bit: m } if m == bit => return (Role::One, "PROTNONE"),
                ProtNoneRule::PresentInvalid {
                    bit: m,
                    user_bit,
                    uxn_bit,
                } => {
                    if m == bit {
                        return (Role::One, "PRESENT_INVALID");
                    }
                    if state == State::ProtNone && bit == user_bit {
                        return (Role::Zero, "USER");
                    }
                    if state == State::ProtNone && bit == uxn_bit {
                        return (Role::One, "UXN");
                    }
                }
                _ => {}
            }
            if layout.pfn.contains(bit) && state == State::ProtNone {
                let role = if layout.pfn.protnone_inverted {
                    Role::Inverted
                } else {
                    Role::Field
                };
                return (role, pfn_label(layout, bit));
            }
            present_role(layout, bit)
        }
        State::File => match layout.file {
            Some(f) if f.marker == bit => (Role::One, "FILE"),
            Some(f) if f.pgoff.mask() & b != 0 => (Role::Field, "PGOFF"),
            _ => (Role::Zero, ""),
        },
        State::Swap => {
            let s = &layout.swap;
            if bit_opt(s.exclusive) == b {
                (Role::Flag, "E")
            } else if bit_opt(s.soft_dirty) == b {
                (Role::Flag, "SD")
            } else if bit_opt(s.uffd_wp) == b {
                (Role::Flag, "UFFD_WP")
            } else if s.type_field.contains(bit) {
                (Role::Field, "TYPE")
            } else if s.offset.mask() & b != 0 {
                let role = if s.offset.inverted {
                    Role::Inverted
                } else {
                    Role::Field
                };
                (role, "OFFSET")
            } else {
                (Role::Zero, "")
            }
        }
    }
}

/// Calls `f` with the segments of `state`, from the top bit down.
pub fn segments(layout: &Layout, state: State, mut f: impl FnMut(Segment)) {
    let mut bit = layout.word_bits;
    let mut current: Option<Segment> = None;
    while bit > 0 {
        bit -= 1;
        let (role, label) = role(layout, state, bit);
        match current {
            Some(ref mut seg) if seg.role == role && seg.label == label => {
                seg.lo = bit;
            }
            _ => {
                if let Some(seg) = current.take() {
                    f(seg);
                }
                current = Some(Segment {
                    hi: bit,
                    lo: bit,
                    label,
                    role,
                });
            }
        }
    }
    if let Some(seg) = current {
        f(seg);
    }
}

/// Renders the diagram: a title line, then one line per state.
pub fn render(layout: &Layout, w: &mut impl fmt::Write) -> fmt::Result {
    writeln!(
        w,
        "{} ({}-bit PTE), bits from {} down to 0:",
        layout.name,
        layout.word_bits,
        layout.word_bits - 1
    )?;
    for state in states(layout) {
        write!(w, "{:<16}", state.name())?;
        let mut result = Ok(());
        segments(layout, state, |seg| {
            if result.is_ok() {
                result = write!(w, "{seg}");
            }
        });
        result?;
        writeln!(w)?;
    }
    Ok(())
}
