//! Shared by the benches: the criterion configuration and the read-back of criterion's own
//! estimates, so each bench can print its ratio table after the run.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use criterion::Criterion;

/// Short runs (`measure` per benchmark): the whole `cargo bench -p pte-cli` has to fit in
/// about two minutes on two cores. Command-line flags (`--measurement-time`, `--sample-size`,
/// …) still override these.
pub fn criterion(measure: Duration) -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(150))
        .measurement_time(measure)
        .sample_size(20)
        .nresamples(2_000)
        .noise_threshold(0.03)
        .without_plots()
        .configure_from_args()
}

/// One bench run: where criterion writes its estimates and which of them this run wrote.
pub struct Run {
    started: SystemTime,
    dir: PathBuf,
    measuring: bool,
}

impl Run {
    /// Call before the first benchmark.
    pub fn start() -> Self {
        let args: Vec<String> = std::env::args().collect();
        let has = |flag: &str| args.iter().any(|a| a == flag);
        // `cargo bench` passes `--bench`; `cargo test --benches` does not (criterion then runs
        // every routine once, as a test) and `--list` measures nothing.
        let measuring = has("--bench") && !has("--test") && !has("--list");
        // The same search order as criterion: $CRITERION_HOME, $CARGO_TARGET_DIR/criterion,
        // else the workspace's target directory.
        let dir = std::env::var_os("CRITERION_HOME")
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("CARGO_TARGET_DIR").map(|t| PathBuf::from(t).join("criterion"))
            })
            .unwrap_or_else(|| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/criterion")
            });
        Run {
            started: SystemTime::now(),
            dir,
            measuring,
        }
    }

    /// Whether this run measures (so there is a table to print).
    pub fn measuring(&self) -> bool {
        self.measuring
    }

    /// criterion's typical estimate (the slope, else the mean) of `group/function`, in ns per
    /// iteration — only if this run measured it (a filter may have skipped it).
    pub fn ns(&self, group: &str, function: &str) -> Option<f64> {
        let safe = |s: &str| s.replace(['?', '"', '/', '\\', '*', '<', '>', ':', '|', '^'], "_");
        let path = self
            .dir
            .join(safe(group))
            .join(safe(function))
            .join("new/estimates.json");
        let modified = std::fs::metadata(&path).ok()?.modified().ok()?;
        if modified < self.started {
            return None;
        }
        let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).ok()?).ok()?;
        let typical = if json["slope"].is_null() {
            &json["mean"]
        } else {
            &json["slope"]
        };
        typical["point_estimate"].as_f64()
    }
}

/// `a / b` as `1.23x`, or `-` when either is missing.
pub fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}x", a / b),
        _ => "-".into(),
    }
}

/// A time in ns with two decimals, or `-`.
pub fn ns(t: Option<f64>) -> String {
    t.map_or_else(|| "-".into(), |t| format!("{t:.2}"))
}
