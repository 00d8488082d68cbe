//! Machine profiles: every parameter of the cost model, with its source, in a data file of
//! the repository (`pte-machine/profiles/*.json`, compiled in).
//!
//! A file describes a family of machines built from the same parts: the coherence unit, the
//! topology as nested levels (two CPUs are as far apart as the first level whose group holds
//! both), the latency of a cache-to-cache transfer and of a miss to memory at each level,
//! the cost of local work, and the kernel [`Era`] the family ran. Its `machines` are the
//! sizes measured in public (`altix-8`, `altix-32`, `altix-512`), each with the one parameter
//! calibrated per machine: the fault path's non-memory time.

use serde::Deserialize;

use crate::era::Era;

/// A value and where it comes from.
#[derive(Clone, Debug, Deserialize)]
pub struct Sourced<T> {
    /// The value.
    pub value: T,
    /// Its source (a public document, or how it was derived or calibrated).
    pub source: String,
}

/// One level of the topology.
#[derive(Clone, Debug, Deserialize)]
pub struct Level {
    /// What groups the CPUs at this level (a core, a node, a router).
    pub name: String,
    /// CPUs per group; each level's span is a multiple of the one before.
    pub span: usize,
    /// A dirty line moving between two CPUs first grouped here (ns).
    pub transfer_ns: Sourced<f64>,
    /// A miss served by memory (or the directory) at this distance (ns).
    pub memory_ns: Sourced<f64>,
}

/// One machine of a family.
#[derive(Clone, Debug, Deserialize)]
pub struct MachineSpec {
    /// The name on the command line and in JSON rows.
    pub name: String,
    /// Its CPUs.
    pub cpus: usize,
    /// The fault path's time that touches no shared line: exception entry and exit, the vma
    /// lookup, the handler's own code (ns), calibrated so that one thread's fault costs what
    /// was measured.
    pub fault_base_ns: Sourced<f64>,
    /// What the machine was.
    pub about: String,
}

/// A family of machines (one data file).
#[derive(Clone, Debug, Deserialize)]
pub struct Family {
    /// Its name.
    pub family: String,
    /// What it is.
    pub about: String,
    /// The kernel it ran, which decides the lines a fault shares ([`Era`]).
    pub era: Era,
    /// The coherence unit (bytes).
    pub line_bytes: Sourced<u64>,
    /// CPUs sharing a memory node (the home of the lines they touch first).
    pub cpus_per_node: Sourced<usize>,
    /// The topology, nearest level first.
    pub levels: Vec<Level>,
    /// A hit in the CPU's own cache, the cost of any access to a line it holds (ns).
    pub hit_ns: Sourced<f64>,
    /// The directory's (or snoop filter's) occupancy per request: concurrent requests for
    /// one line are served this far apart, and each invalidation of a sharer costs it (ns).
    pub directory_ns: Sourced<f64>,
    /// Zeroing a KiB of a new page (ns).
    pub zero_ns_per_kib: Sourced<f64>,
    /// Copying a KiB (ns).
    pub copy_ns_per_kib: Sourced<f64>,
    /// Taking a frame from, or giving one to, the CPU's own page list (ns).
    pub frame_ns: Sourced<f64>,
    /// The zone lock's hold time for a batch refill or drain (ns).
    pub zone_lock_hold_ns: Sourced<f64>,
    /// Accounting a newly mapped page: rmap, LRU pagevec, accessed flag (ns).
    pub account_ns: Sourced<f64>,
    /// The page-table walk of `handle_mm_fault` (ns); in 2.6.8 it ran under
    /// `page_table_lock`.
    pub walk_ns: Sourced<f64>,
    /// The machines of the family.
    pub machines: Vec<MachineSpec>,
}

/// Why a profile could not be had.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProfileError {
    /// No machine of that name.
    Unknown(String),
    /// `--cpus` outside 1..=the topology's CPUs (and 1024).
    Cpus {
        /// The machine.
        machine: String,
        /// The CPUs asked for.
        cpus: usize,
        /// The most it has.
        max: usize,
    },
    /// A data file is malformed (a bug of the repository, found by its tests).
    Invalid(String),
}

impl core::fmt::Display for ProfileError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ProfileError::Unknown(name) => write!(
                f,
                "unknown machine '{name}' (machines: {})",
                Profile::names().join(", ")
            ),
            ProfileError::Cpus { machine, cpus, max } => {
                write!(f, "{machine} cannot have {cpus} CPUs (1 to {max})")
            }
            ProfileError::Invalid(why) => write!(f, "invalid machine profile: {why}"),
        }
    }
}

impl std::error::Error for ProfileError {}

/// The most CPUs a machine may have.
pub const MAX_CPUS: usize = 1024;

/// The data files, compiled in.
const FILES: [(&str, &str); 3] = [
    ("altix", include_str!("../profiles/altix.json")),
    ("xeon-2s", include_str!("../profiles/xeon-2s.json")),
    ("host", include_str!("../profiles/host.json")),
];

/// A machine to run: a family's parameters, the machine's calibration and its CPU count.
#[derive(Clone, Debug)]
pub struct Profile {
    /// The family's parameters.
    pub family: Family,
    /// The machine.
    pub machine: MachineSpec,
    /// CPUs of this run (the machine's, or `--cpus`).
    pub cpus: usize,
}

impl Profile {
    /// Every family, parsed and checked.
    pub fn families() -> Result<Vec<Family>, ProfileError> {
        FILES
            .iter()
            .map(|(name, text)| {
                let f: Family = serde_json::from_str(text)
                    .map_err(|e| ProfileError::Invalid(format!("{name}.json: {e}")))?;
                f.check()
                    .map_err(|e| ProfileError::Invalid(format!("{name}.json: {e}")))?;
                Ok(f)
            })
            .collect()
    }

    /// Every machine name.
    pub fn names() -> Vec<String> {
        Self::families()
            .map(|fs| {
                fs.iter()
                    .flat_map(|f| f.machines.iter().map(|m| m.name.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The machine `name` with its own CPU count.
    pub fn find(name: &str) -> Result<Profile, ProfileError> {
        for family in Self::families()? {
            if let Some(m) = family.machines.iter().find(|m| m.name == name) {
                let machine = m.clone();
                let cpus = machine.cpus;
                return Ok(Profile {
                    family,
                    machine,
                    cpus,
                });
            }
        }
        Err(ProfileError::Unknown(name.to_string()))
    }

    /// The same machine with `cpus` CPUs (at most what its topology holds).
    pub fn with_cpus(mut self, cpus: usize) -> Result<Profile, ProfileError> {
        let max = self.family.capacity().min(MAX_CPUS);
        if cpus == 0 || cpus > max {
            return Err(ProfileError::Cpus {
                machine: self.machine.name.clone(),
                cpus,
                max,
            });
        }
        self.cpus = cpus;
        Ok(self)
    }

    /// The memory node of `cpu`.
    pub fn node_of(&self, cpu: usize) -> usize {
        cpu / self.family.cpus_per_node.value
    }

    /// The level at which `a` and `b` first share a group (`None`: the same CPU).
    pub fn level_of(&self, a: usize, b: usize) -> Option<&Level> {
        if a == b {
            return None;
        }
        let levels = &self.family.levels;
        Some(
            levels
                .iter()
                .find(|l| a / l.span == b / l.span)
                .unwrap_or(&levels[levels.len() - 1]),
        )
    }
}

impl Family {
    /// The CPUs the topology holds.
    pub fn capacity(&self) -> usize {
        self.levels.last().map_or(0, |l| l.span)
    }

    /// Checks the invariants the model relies on.
    fn check(&self) -> Result<(), String> {
        if self.levels.is_empty() {
            return Err("no levels".into());
        }
        let mut span = 1;
        for l in &self.levels {
            if l.span <= span || l.span % span != 0 {
                return Err(format!(
                    "level '{}': span {} is not a multiple above {span}",
                    l.name, l.span
                ));
            }
            span = l.span;
        }
        let node = self.cpus_per_node.value;
        if node == 0 || self.levels.iter().all(|l| l.span % node != 0) {
            return Err(format!("cpus_per_node {node} is not a level's divisor"));
        }
        if !self.line_bytes.value.is_power_of_two() {
            return Err(format!(
                "line_bytes {} is not a power of two",
                self.line_bytes.value
            ));
        }
        let costs = [
            &self.hit_ns,
            &self.directory_ns,
            &self.zero_ns_per_kib,
            &self.copy_ns_per_kib,
            &self.frame_ns,
            &self.zone_lock_hold_ns,
            &self.account_ns,
            &self.walk_ns,
        ];
        let level_costs = self
            .levels
            .iter()
            .flat_map(|l| [&l.transfer_ns, &l.memory_ns]);
        for c in costs.into_iter().chain(level_costs) {
            if !(c.value.is_finite() && c.value >= 0.0) || c.source.trim().is_empty() {
                return Err(format!("a cost is negative or unsourced: {c:?}"));
            }
        }
        for m in &self.machines {
            if m.cpus == 0 || m.cpus > self.capacity() || m.cpus > MAX_CPUS {
                return Err(format!("machine {} has {} CPUs", m.name, m.cpus));
            }
            if !(m.fault_base_ns.value.is_finite() && m.fault_base_ns.value >= 0.0) {
                return Err(format!("machine {}: fault_base_ns", m.name));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_profile_parses_and_names_are_unique() {
        let families = Profile::families().expect("profiles");
        let mut names = Profile::names();
        let n = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), n, "duplicate machine names");
        for f in &families {
            for m in &f.machines {
                let p = Profile::find(&m.name).expect("find");
                assert_eq!(p.cpus, m.cpus);
            }
        }
        for required in ["altix-8", "altix-32", "altix-512", "host"] {
            assert!(Profile::find(required).is_ok(), "{required}");
        }
    }

    #[test]
    fn bad_names_and_cpu_counts_are_refused() {
        assert!(matches!(
            Profile::find("altix-9"),
            Err(ProfileError::Unknown(_))
        ));
        let p = Profile::find("altix-8").unwrap();
        assert!(matches!(
            p.clone().with_cpus(0),
            Err(ProfileError::Cpus { .. })
        ));
        assert!(matches!(
            p.clone().with_cpus(MAX_CPUS + 1),
            Err(ProfileError::Cpus { .. })
        ));
        assert_eq!(p.with_cpus(4).unwrap().cpus, 4);
    }

    #[test]
    fn distance_grows_with_the_level() {
        let p = Profile::find("altix-512").unwrap();
        assert!(p.level_of(3, 3).is_none());
        let near = p.level_of(0, 1).unwrap().transfer_ns.value;
        let far = p.level_of(0, 511).unwrap().transfer_ns.value;
        assert!(near < far, "{near} !< {far}");
    }
}
