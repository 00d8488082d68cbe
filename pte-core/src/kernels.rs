//! Which mainline Linux releases have a layout's PTE format ([`Kernels`], the
//! [`Layout::kernels`](crate::Layout::kernels) field), and kernel version numbers
//! ([`KernelVersion`]).
//!
//! # Why the range lives on [`Layout`](crate::Layout)
//!
//! The range is a fact about the format, found in the same kernel sources as the format
//! itself, so it is declared next to it, in the architecture crate, with the boundaries'
//! sources in the doc comment of each layout's `kernels` field. Narrowed types and run-time
//! entries ([`LayoutEntry`](crate::LayoutEntry)) read it through their layout.
//!
//! # What "the layout's format" means
//!
//! A release is in a layout's range when, for the configuration the layout models (its crate
//! docs say which), the release encodes every state exactly as the layout does: the bits
//! `pte_none()` ignores, the valid bit, the protnone (or present-invalid) rule, the swap
//! entry (type and offset fields, and the exclusive, soft-dirty and uffd-wp flag bits), the
//! nonlinear file entry, and the PFN as `pte_pfn()` reads it from every entry the release
//! writes. Then the classifier, the decoders and the encoders give that release's answers.
//!
//! Other things a layout describes may still differ inside the range: which software bits
//! Linux uses in present entries (`_PAGE_DEVMAP` came and went), which hardware bits it
//! enables, and the accessed / dirty / write helpers (`pte_modify()` and friends, whose fixes
//! are often backported to stable updates). Those that are known are listed as
//! [`KernelNote`]s with their own sub-range; they matter to lock-bit proofs (a bit that is
//! free in the layout may be a software bit in such a release) and to the helpers, not to
//! decoding.
//!
//! Ranges are of mainline releases (`6.12`, and before 3.0 `2.6.8`); a stable update
//! (`6.12.3`, `2.6.8.1`) belongs to its release. The L1TF swap-entry inversion is the known
//! case of a format change backported to stable updates (of 4.4 to 4.18), outside every
//! range here.

use core::fmt;

/// A mainline Linux release: `6.10`, or before 3.0, where releases had three numbers, `2.6.8`.
///
/// Ordered as the releases came out (`2.6.39 < 3.0 < 6.9 < 6.10`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KernelVersion {
    major: u16,
    minor: u16,
    /// The third number of a release before 3.0; 0 from 3.0 on.
    patch: u16,
}

/// The newest release every range was checked against. A [`KernelRange`] without a `last`
/// ends here: later releases have not been read, so no layout claims them.
pub const CHECKED_THROUGH: KernelVersion = KernelVersion::new(7, 0);

impl KernelVersion {
    /// The release `major.minor`, from 3.0 on (a `const` panic for an earlier one: those
    /// have three numbers, [`KernelVersion::old`]).
    pub const fn new(major: u16, minor: u16) -> Self {
        assert!(major >= 3, "a release before 3.0 has three numbers");
        KernelVersion {
            major,
            minor,
            patch: 0,
        }
    }

    /// The release `major.minor.patch`, before 3.0 (`KernelVersion::old(2, 6, 8)`; a `const`
    /// panic from 3.0 on).
    pub const fn old(major: u16, minor: u16, patch: u16) -> Self {
        assert!(major < 3, "from 3.0 on a release has two numbers");
        KernelVersion {
            major,
            minor,
            patch,
        }
    }

    /// The first number.
    pub const fn major(self) -> u16 {
        self.major
    }

    /// The second number.
    pub const fn minor(self) -> u16 {
        self.minor
    }

    /// The third number of a release before 3.0; `None` from 3.0 on.
    pub const fn patch(self) -> Option<u16> {
        if self.major < 3 {
            Some(self.patch)
        } else {
            None
        }
    }

    /// The release a version number belongs to: `6.12` and `6.12.3` (a stable update) give
    /// 6.12; `2.6.8` and `2.6.8.1` give 2.6.8. Only decimal numbers without leading zeros,
    /// separated by single dots, are accepted, and only as many as a version has: two or
    /// three from 3.0 on, three or four before (`2.6` names no release).
    pub fn parse(text: &str) -> Result<KernelVersion, VersionError> {
        if text.is_empty() {
            return Err(VersionError::Empty);
        }
        let mut parts = [0u16; 4];
        let mut count = 0;
        for part in text.split('.') {
            if count == parts.len() {
                return Err(VersionError::TooManyNumbers);
            }
            parts[count] = number(part)?;
            count += 1;
        }
        let major = parts[0];
        let (least, most) = if major < 3 { (3, 4) } else { (2, 3) };
        if count < least {
            return Err(VersionError::TooFewNumbers);
        }
        if count > most {
            return Err(VersionError::TooManyNumbers);
        }
        Ok(if major < 3 {
            KernelVersion::old(major, parts[1], parts[2])
        } else {
            KernelVersion::new(major, parts[1])
        })
    }
}

/// One number of a version: decimal digits, no sign, no leading zero, at most 65535.
fn number(part: &str) -> Result<u16, VersionError> {
    if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
        return Err(VersionError::NotANumber);
    }
    if part.len() > 1 && part.starts_with('0') {
        return Err(VersionError::LeadingZero);
    }
    part.parse().map_err(|_| VersionError::TooLarge)
}

impl fmt::Display for KernelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.patch() {
            Some(patch) => write!(f, "{}.{}.{patch}", self.major, self.minor),
            None => write!(f, "{}.{}", self.major, self.minor),
        }
    }
}

/// Why [`KernelVersion::parse`] refused a text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VersionError {
    /// The text is empty.
    Empty,
    /// A part between dots is empty or not all decimal digits (`6.x`, `6..1`, `-6.1`,
    /// `6.12-rc1`).
    NotANumber,
    /// A number has a leading zero (`6.01`).
    LeadingZero,
    /// A number is larger than 65535.
    TooLarge,
    /// Too few numbers: one from 3.0 on (`6`), or fewer than three before (`2.6`).
    TooFewNumbers,
    /// Too many numbers: more than three from 3.0 on (`6.12.3.1`), more than four before.
    TooManyNumbers,
}

impl fmt::Display for VersionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            VersionError::Empty => "empty",
            VersionError::NotANumber => "each part between dots must be a decimal number",
            VersionError::LeadingZero => "a number has a leading zero",
            VersionError::TooLarge => "a number is larger than 65535",
            VersionError::TooFewNumbers => {
                "too few numbers: a release is X.Y from 3.0 on and X.Y.Z before (2.6.8)"
            }
            VersionError::TooManyNumbers => {
                "too many numbers: X.Y or X.Y.Z from 3.0 on, X.Y.Z or X.Y.Z.W before"
            }
        })
    }
}

/// An inclusive range of mainline releases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KernelRange {
    /// The first release.
    pub first: KernelVersion,
    /// The last release; `None` while the newest release checked ([`CHECKED_THROUGH`]) is
    /// still in the range.
    pub last: Option<KernelVersion>,
}

impl KernelRange {
    /// The releases `first` to `last`.
    pub const fn new(first: KernelVersion, last: KernelVersion) -> Self {
        assert!(
            !last.lt(first),
            "a kernel range must not end before it starts"
        );
        KernelRange {
            first,
            last: Some(last),
        }
    }

    /// The releases from `first` on, through [`CHECKED_THROUGH`].
    pub const fn since(first: KernelVersion) -> Self {
        assert!(
            !CHECKED_THROUGH.lt(first),
            "a kernel range must start by the newest release checked"
        );
        KernelRange { first, last: None }
    }

    /// The last release, [`CHECKED_THROUGH`] for a range that is still current.
    pub const fn last_checked(&self) -> KernelVersion {
        match self.last {
            Some(last) => last,
            None => CHECKED_THROUGH,
        }
    }

    /// Whether release `v` is in the range (never a release after [`CHECKED_THROUGH`]).
    pub const fn contains(&self, v: KernelVersion) -> bool {
        !v.lt(self.first) && !self.last_checked().lt(v)
    }

    /// Whether the two ranges share a release.
    pub const fn overlaps(&self, other: &KernelRange) -> bool {
        !self.last_checked().lt(other.first) && !other.last_checked().lt(self.first)
    }
}

impl KernelVersion {
    /// `self < other`, in a `const`.
    const fn lt(self, other: KernelVersion) -> bool {
        if self.major != other.major {
            return self.major < other.major;
        }
        if self.minor != other.minor {
            return self.minor < other.minor;
        }
        self.patch < other.patch
    }
}

impl fmt::Display for KernelRange {
    /// `2.6.8-2.6.28`, `2.6.8` (one release), or `6.10+` for a range that is still current.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.last {
            Some(last) if last == self.first => write!(f, "{}", self.first),
            Some(last) => write!(f, "{}-{last}", self.first),
            None => write!(f, "{}+", self.first),
        }
    }
}

/// A difference, inside a layout's range, between some releases and the layout in something
/// that does not change the format (see the [module docs](self)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KernelNote {
    /// The releases it applies to.
    pub kernels: KernelRange,
    /// What differs, and how it was found.
    pub text: &'static str,
}

/// The releases whose PTE format a layout is ([`Layout::kernels`](crate::Layout::kernels)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Kernels {
    /// The releases with exactly this format.
    pub range: KernelRange,
    /// Known differences inside the range that do not change the format.
    pub notes: &'static [KernelNote],
}

impl Kernels {
    /// Whether release `v` has this format.
    pub const fn contains(&self, v: KernelVersion) -> bool {
        self.range.contains(v)
    }

    /// The notes that apply to release `v`.
    pub fn notes_for(&self, v: KernelVersion) -> impl Iterator<Item = &'static KernelNote> {
        self.notes.iter().filter(move |n| n.kernels.contains(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    const V2_6_8: KernelVersion = KernelVersion::old(2, 6, 8);

    #[test]
    fn parse_gives_the_release() {
        let ok = |t: &str| KernelVersion::parse(t).unwrap_or_else(|e| panic!("{t}: {e}"));
        assert_eq!(ok("6.12"), KernelVersion::new(6, 12));
        assert_eq!(ok("6.12.3"), KernelVersion::new(6, 12));
        assert_eq!(ok("6.12.0"), KernelVersion::new(6, 12));
        assert_eq!(ok("4.19"), KernelVersion::new(4, 19));
        assert_eq!(ok("3.0"), KernelVersion::new(3, 0));
        assert_eq!(ok("2.6.8"), V2_6_8);
        assert_eq!(ok("2.6.8.1"), V2_6_8);
        assert_eq!(ok("2.4.37"), KernelVersion::old(2, 4, 37));
        assert_eq!(ok("65535.0"), KernelVersion::new(65535, 0));
    }

    #[test]
    fn parse_refuses_what_is_not_a_version() {
        use VersionError::*;
        for (text, why) in [
            ("", Empty),
            (".", NotANumber),
            ("6.", NotANumber),
            (".6", NotANumber),
            ("6..1", NotANumber),
            ("6.x", NotANumber),
            ("v6.12", NotANumber),
            ("6.12-rc1", NotANumber),
            ("6.12.3-arch1", NotANumber),
            ("+6.1", NotANumber),
            ("-6.1", NotANumber),
            ("6.1 ", NotANumber),
            ("６.1", NotANumber),
            ("06.12", LeadingZero),
            ("6.01", LeadingZero),
            ("65536.0", TooLarge),
            ("6.99999999999999999999999", TooLarge),
            ("6", TooFewNumbers),
            ("2.6", TooFewNumbers),
            ("2", TooFewNumbers),
            ("6.12.3.1", TooManyNumbers),
            ("2.6.8.1.1", TooManyNumbers),
            ("1.2.3.4.5.6.7", TooManyNumbers),
        ] {
            assert_eq!(KernelVersion::parse(text), Err(why), "{text:?}");
        }
    }

    #[test]
    fn order_and_display() {
        let v = |t| KernelVersion::parse(t).unwrap();
        assert!(v("2.6.39") < v("3.0"));
        assert!(v("2.6.9") < v("2.6.10"));
        assert!(v("6.9") < v("6.10"));
        assert!(v("2.6.28") < v("3.13"));
        for t in ["2.6.8", "6.10", "3.0", "7.0"] {
            assert_eq!(v(t).to_string(), t);
        }
        assert_eq!(v("6.12.3").to_string(), "6.12");
        assert_eq!(V2_6_8.patch(), Some(8));
        assert_eq!(v("6.12").patch(), None);
    }

    #[test]
    fn ranges() {
        let r = KernelRange::new(KernelVersion::new(5, 19), KernelVersion::new(6, 9));
        assert!(r.contains(KernelVersion::new(5, 19)) && r.contains(KernelVersion::new(6, 9)));
        assert!(!r.contains(KernelVersion::new(6, 10)) && !r.contains(V2_6_8));
        assert_eq!(r.to_string(), "5.19-6.9");
        let open = KernelRange::since(KernelVersion::new(6, 10));
        assert!(open.contains(CHECKED_THROUGH));
        assert!(!open.contains(KernelVersion::new(CHECKED_THROUGH.major() + 1, 0)));
        assert_eq!(open.to_string(), "6.10+");
        assert!(!r.overlaps(&open) && !open.overlaps(&r));
        let one = KernelRange::new(V2_6_8, V2_6_8);
        assert_eq!(one.to_string(), "2.6.8");
        assert!(one.overlaps(&one));
        assert!(
            KernelRange::new(KernelVersion::new(6, 9), KernelVersion::new(6, 10)).overlaps(&open)
        );
    }
}
