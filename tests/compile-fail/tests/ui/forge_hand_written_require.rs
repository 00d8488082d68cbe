// A hand-written `impl LockBit` calling `proof::require` for a colliding bit (i386/2.6.8 bit
// 9): it used to pass `cargo check` and fail only where a lock operation was instantiated.
// Now the impl itself is refused, at the declaration.
use pte_core::{Arch, Discipline, LockBit, LockProof};

#[derive(Clone, Copy)]
struct Fastpath2004;

impl Arch for Fastpath2004 {
    type Word = u32;
    type Flags = arch_i386::Flags2_6_8;
    const LAYOUT: &'static pte_core::Layout = &arch_i386::LAYOUT_2_6_8;
}

impl LockBit for Fastpath2004 {
    const PROOF: LockProof =
        pte_core::proof::require(Self::LAYOUT, Self::LIMITS, 9, Discipline::NoneOnly);
    const BIT: u32 = 9;
    const DISCIPLINE: Discipline = Discipline::NoneOnly;
    const MASK: u64 = 1 << 9;
}

fn main() {}
