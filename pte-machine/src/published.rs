//! The published pft results of the 2004–2005 debate (`pte-machine/data/published.json`,
//! compiled in; a table per series in `data/PUBLISHED.md`), which the Altix profiles are
//! validated against (docs/RESULTS.md) and `pte bench --svg` draws over the modelled curves.

use serde::Deserialize;

/// One point of a published table.
#[derive(Clone, Debug, Deserialize)]
pub struct Point {
    /// pft threads.
    pub threads: usize,
    /// pft's `fault/wsec`.
    pub faults_per_wall_second: Option<f64>,
}

/// One published table.
#[derive(Clone, Debug, Deserialize)]
pub struct Series {
    /// A unique id (date, patch, machine, memory).
    pub id: String,
    /// The machine profile it was measured on (`altix-8`, …).
    pub machine: String,
    /// The strategy of this library it corresponds to, if any.
    pub strategy: Option<String>,
    /// The base kernel.
    pub kernel: String,
    /// Where it was published.
    pub source: String,
    /// Set when the rows repeat another series'.
    #[serde(default)]
    pub duplicate_of: Option<String>,
    /// The rows.
    pub points: Vec<Point>,
}

#[derive(Deserialize)]
struct File {
    series: Vec<Series>,
}

/// Every series (the file is checked by this crate's tests).
pub fn all() -> Vec<Series> {
    serde_json::from_str::<File>(include_str!("../data/published.json"))
        .map(|f| f.series)
        .unwrap_or_default()
}

/// The series measured on `machine` that correspond to a strategy, without duplicates.
pub fn for_machine(machine: &str) -> Vec<Series> {
    all()
        .into_iter()
        .filter(|s| s.machine == machine && s.strategy.is_some() && s.duplicate_of.is_none())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_file_parses_and_every_altix_has_series() {
        let all = all();
        assert!(all.len() >= 30, "{} series", all.len());
        for s in &all {
            assert!(!s.points.is_empty(), "{}", s.id);
            assert!(s.points.iter().all(|p| p.threads >= 1), "{}", s.id);
        }
        for m in ["altix-8", "altix-32", "altix-512"] {
            let here = for_machine(m);
            assert!(!here.is_empty(), "{m}");
            // Every machine the data names with a strategy has a profile.
            assert!(crate::Profile::find(m).is_ok(), "{m}");
            for s in here {
                let name = s.strategy.as_deref().unwrap_or_default();
                assert!(
                    pte_core::fault::set::StrategyKind::from_name(name).is_some(),
                    "{}: unknown strategy {name}",
                    s.id
                );
            }
        }
    }
}
