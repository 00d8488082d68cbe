// Attack 1: a genuine proof (x86_64/6.6 bit 56 none-only) with the provided constants
// overridden to bit 9 any-state. `LockBit` is sealed: only `lock_bit!` implements it.
use pte_core::{Arch, Discipline, LockBit, LockProof};

#[derive(Clone, Copy)]
struct Forged;

impl Arch for Forged {
    type Word = pte_core::Word64;
    type Flags = arch_x86_64::Flags6_6;
    const LAYOUT: &'static pte_core::Layout = &arch_x86_64::LAYOUT_6_6;
}

impl LockBit for Forged {
    const PROOF: LockProof =
        pte_core::proof::require(Self::LAYOUT, Self::LIMITS, 56, Discipline::NoneOnly);
    const BIT: u32 = 9;
    const DISCIPLINE: Discipline = Discipline::AnyState;
    const MASK: u64 = 1 << 9;
}

fn main() {}
