//! The failures the type system and the const proofs must produce.
//!
//! * `i386_bit9_none_only`: the 2004 lock bit; the error names the swap alias.
//! * `any_state_in_pfn` / `any_state_in_swap_offset`: any-state bits inside a PFN or a swap
//!   offset field.
//! * `lock_op_without_lockbit`: a lock-bit operation on a layout without `LockBit`.
//! * `lock_strategy_without_lockbit`: a lock-bit fault strategy on a layout without one.
//!
//! Forging a `LockBit` (`LockBit` is sealed; `lock_bit!` is the only way):
//!
//! * `forge_override_constants`: a genuine proof with `BIT`/`DISCIPLINE`/`MASK` overridden.
//! * `forge_transplant_proof`: the proof of a fake layout with the real one's name and limits
//!   reused for a type with the real layout.
//! * `forge_hand_written_require`: a hand-written impl calling `proof::require` for a colliding
//!   bit (refused at the declaration, not only where a lock operation is instantiated).
//!
//! What an `Arch` impl declares, checked (`ArchChecked`, evaluated by `lock_bit!`):
//!
//! * `word_width_mismatch`: a 32-bit `Word` on a 64-bit layout.
//! * `widened_limits`: a direct `const LIMITS` wider than the layout's defaults.
//! * `widened_limits_static`: the same, caught by a static table of the type (no `lock_bit!`).

#[test]
#[cfg_attr(miri, ignore = "runs rustc")]
fn compile_fail() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
