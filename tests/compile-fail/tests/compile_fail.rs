//! The failures the type system and the const proofs must produce.
//!
//! * `i386_bit9_none_only`: the 2004 lock bit; the error names the swap alias.
//! * `any_state_in_pfn` / `any_state_in_swap_offset`: any-state bits inside a PFN or a swap
//!   offset field.
//! * `lock_op_without_lockbit`: a lock-bit operation on a layout without `LockBit`.
//! * `lock_strategy_without_lockbit`: a lock-bit fault strategy on a layout without one.

#[test]
#[cfg_attr(miri, ignore = "runs rustc")]
fn compile_fail() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
