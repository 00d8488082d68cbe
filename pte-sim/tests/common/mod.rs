//! Shared by the scenario and unit tests.

use pte_sim::Config;

/// A small simulator: 32 frames, 16 swap slots, two files of 8 pages.
pub fn config() -> Config {
    Config {
        frames: 32,
        swap_slots: 16,
        file_pages: vec![8, 8],
        ..Config::default()
    }
}
