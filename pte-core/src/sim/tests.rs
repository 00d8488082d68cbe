//! Intentionally empty: the simulator's tests run on the real layouts of the arch crates,
//! which a unit test of this crate cannot use (they would be another copy of it), so they
//! are integration tests (feature `sim`):
//!
//! * `tests/sim_units.rs` — the parts (frame pool, tables, page cache, swap device, MMU), the
//!   checker's negative controls, and staged races (`lock_bit_spin_update_vs_mmu_dirty`,
//!   `lock_bit_spin_replace_vs_dbm_dirty`, `cow_of_a_read_only_private_copy`);
//! * `tests/sim_scenarios.rs` — every scenario on every layout under every strategy;
//! * `tests/sim_stress.rs` — the multi-threaded matrix.
//!
//! The stress run's private helpers are tested in `stress.rs` itself. This file and the
//! `mod tests` declaration in `mod.rs` can go.
