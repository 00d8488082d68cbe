//! The cost model of shared lines: MESI-like ownership, transfers priced by topology distance,
//! and a line that serializes the requests for it.
//!
//! Per line: an owner (modified/exclusive) or a set of sharers, the memory node that is its
//! home (the node of the first CPU to touch it: Linux allocates locally), and the time until
//! which it is busy. An access by CPU `c` at virtual time `t`:
//! * **hit** — `c` owns it, or loads it while sharing it: `hit_ns`;
//! * **load miss** — from the owner's cache (a dirty transfer at their distance; both then
//!   share it) or from the home (memory at `c`'s distance from it); with no other holder `c`
//!   gets it exclusive (MESI's E), so its next store is a hit;
//! * **write or read-modify-write miss** — from the owner, or from the home plus the
//!   invalidation of every sharer (the farthest sharer's distance, and `directory_ns` of
//!   directory time per sharer, which a directory spends one after another); `c` then owns it.
//!
//! A miss starts when the line is free (`busy_until`): a write keeps the line busy for its
//! whole transfer (the line is in flight to the new owner), a load for `directory_ns` (the
//! directory serves concurrent readers one after another). That is how one hot line
//! serializes every CPU that wants it, and why the cost grows with the CPUs and the distance.

use std::collections::HashMap;

use pte_core::probe::Access;

use crate::era::{Charge, LineKey};
use crate::profile::Profile;

/// Picoseconds: virtual time is an integer, so runs are exact and the same on any host.
pub type Ps = u64;

/// Nanoseconds (profile units) to picoseconds.
pub fn ps(ns: f64) -> Ps {
    (ns * 1000.0).round() as Ps
}

/// The CPUs holding a line shared.
#[derive(Clone, Debug, Default)]
struct Sharers(Vec<u64>);

impl Sharers {
    fn contains(&self, cpu: usize) -> bool {
        self.0
            .get(cpu / 64)
            .is_some_and(|w| w >> (cpu % 64) & 1 == 1)
    }
    fn insert(&mut self, cpu: usize) {
        if self.0.len() <= cpu / 64 {
            self.0.resize(cpu / 64 + 1, 0);
        }
        self.0[cpu / 64] |= 1 << (cpu % 64);
    }
    fn clear(&mut self) {
        self.0.clear();
    }
    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(i, &w)| {
            (0..64)
                .filter(move |b| w >> b & 1 == 1)
                .map(move |b| i * 64 + b)
        })
    }
}

#[derive(Clone, Debug)]
struct Line {
    owner: Option<usize>,
    sharers: Sharers,
    home_cpu: usize,
    busy_until: Ps,
}

/// The virtual time a line cost, by cause.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LineCost {
    /// Accesses.
    pub accesses: u64,
    /// Misses (transfers or memory fetches).
    pub misses: u64,
    /// Time of hits and transfers.
    pub transfer: Ps,
    /// Time waiting for the line to be free (another transfer in flight).
    pub queued: Ps,
    /// Time parked in a spin-wait on the line.
    pub spinning: Ps,
}

impl LineCost {
    /// All of it.
    pub fn total(&self) -> Ps {
        self.transfer + self.queued + self.spinning
    }
}

/// The state of every line.
#[derive(Debug)]
pub struct Coherence {
    lines: HashMap<LineKey, Line>,
    /// Costs by line.
    pub costs: HashMap<LineKey, LineCost>,
    hit: Ps,
    directory: Ps,
}

impl Coherence {
    /// No line touched yet.
    pub fn new(profile: &Profile) -> Self {
        Coherence {
            lines: HashMap::new(),
            costs: HashMap::new(),
            hit: ps(profile.family.hit_ns.value),
            directory: ps(profile.family.directory_ns.value),
        }
    }

    /// A transfer between two CPUs.
    fn transfer(profile: &Profile, a: usize, b: usize) -> Ps {
        profile
            .level_of(a, b)
            .map_or(0, |l| ps(l.transfer_ns.value))
    }

    /// A fetch by `cpu` from memory homed with `home_cpu`.
    fn memory(profile: &Profile, cpu: usize, home_cpu: usize) -> Ps {
        // The same CPU: its node's memory, priced at the nearest level.
        let level = profile
            .level_of(cpu, home_cpu)
            .unwrap_or(&profile.family.levels[0]);
        ps(level.memory_ns.value)
    }

    /// `cpu` makes `access` on `key` at `now`; returns when it completes.
    pub fn access(
        &mut self,
        profile: &Profile,
        cpu: usize,
        now: Ps,
        key: LineKey,
        access: Access,
        charge: Charge,
    ) -> Ps {
        let cost = self.costs.entry(key).or_default();
        cost.accesses += 1;
        match charge {
            Charge::Free => return now,
            Charge::Local => {
                cost.transfer += self.hit;
                return now + self.hit;
            }
            Charge::Coherent => {}
        }
        let line = self.lines.entry(key).or_insert_with(|| Line {
            owner: None,
            sharers: Sharers::default(),
            home_cpu: cpu,
            busy_until: 0,
        });
        let hit = match access {
            Access::Load => line.owner == Some(cpu) || line.sharers.contains(cpu),
            Access::Store | Access::ReadModifyWrite => line.owner == Some(cpu),
        };
        if hit {
            cost.transfer += self.hit;
            return now + self.hit;
        }
        cost.misses += 1;
        let start = now.max(line.busy_until);
        let latency;
        let busy;
        if access == Access::Load {
            latency = match line.owner.take() {
                Some(o) => {
                    line.sharers.insert(o);
                    Self::transfer(profile, cpu, o)
                }
                None => Self::memory(profile, cpu, line.home_cpu),
            };
            if line.sharers.iter().next().is_none() {
                // Nobody else holds it: granted exclusive (MESI's E), so a store that
                // follows is a hit.
                line.owner = Some(cpu);
            } else {
                line.sharers.insert(cpu);
            }
            busy = self.directory;
        } else {
            latency = match line.owner {
                Some(o) => Self::transfer(profile, cpu, o),
                None => {
                    let others: Vec<usize> = line.sharers.iter().filter(|&s| s != cpu).collect();
                    let fetch = if line.sharers.contains(cpu) {
                        // An upgrade: the home's directory grants ownership (a round trip
                        // to it, at least a directory access).
                        Self::transfer(profile, cpu, line.home_cpu).max(self.directory)
                    } else {
                        Self::memory(profile, cpu, line.home_cpu)
                    };
                    let invalidate = others
                        .iter()
                        .map(|&s| Self::transfer(profile, cpu, s))
                        .max()
                        .unwrap_or(0);
                    fetch.max(invalidate) + self.directory * others.len() as Ps
                }
            };
            line.owner = Some(cpu);
            line.sharers.clear();
            busy = latency;
        }
        line.busy_until = start + busy;
        cost.queued += start - now;
        cost.transfer += latency;
        start + latency
    }

    /// Keeps `key` busy until `until` (a lock held: requests queue behind it).
    pub fn hold(&mut self, key: LineKey, until: Ps) {
        if let Some(l) = self.lines.get_mut(&key) {
            l.busy_until = l.busy_until.max(until);
        }
    }

    /// Charges `spun` of parked time to `key`.
    pub fn spun(&mut self, key: LineKey, spun: Ps) {
        self.costs.entry(key).or_default().spinning += spun;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::era::Modelled;

    fn key() -> LineKey {
        LineKey::Named {
            what: Modelled::MmLine0,
            node: 0,
        }
    }

    #[test]
    fn a_hot_line_serializes_writers_and_costs_more_far_away() {
        let p = Profile::find("altix-512").unwrap();
        let mut c = Coherence::new(&p);
        let rmw = Access::ReadModifyWrite;
        // CPU 0 owns it; a second access is a hit.
        let t0 = c.access(&p, 0, 0, key(), rmw, Charge::Coherent);
        let t1 = c.access(&p, 0, t0, key(), rmw, Charge::Coherent);
        assert_eq!(t1 - t0, ps(p.family.hit_ns.value));
        // Two CPUs asking at the same time are served one after the other.
        let near = c.access(&p, 1, t1, key(), rmw, Charge::Coherent);
        let after = c.access(&p, 2, t1, key(), rmw, Charge::Coherent);
        assert!(
            after > near,
            "the second request must wait for the first transfer"
        );
        // A transfer across the machine costs more than one within the node.
        let mut fresh = Coherence::new(&p);
        let a = fresh.access(&p, 0, 0, key(), rmw, Charge::Coherent);
        let b = fresh.access(&p, 1, a, key(), rmw, Charge::Coherent) - a;
        let far = fresh.access(&p, 511, a + b, key(), rmw, Charge::Coherent) - (a + b);
        assert!(far > b, "far {far} <= near {b}");
    }

    #[test]
    fn a_write_invalidates_readers() {
        let p = Profile::find("altix-32").unwrap();
        let mut c = Coherence::new(&p);
        let mut t = c.access(&p, 0, 0, key(), Access::Store, Charge::Coherent);
        for cpu in 1..8 {
            t = c.access(&p, cpu, t, key(), Access::Load, Charge::Coherent);
        }
        // Every reader now hits.
        let hit = ps(p.family.hit_ns.value);
        assert_eq!(
            c.access(&p, 5, t, key(), Access::Load, Charge::Coherent) - t,
            hit
        );
        // A write by CPU 0 invalidates 7 sharers: dearer than a write with one sharer.
        let many = c.access(&p, 0, t, key(), Access::Store, Charge::Coherent) - t;
        let t2 = t + many;
        let t3 = c.access(&p, 1, t2, key(), Access::Load, Charge::Coherent);
        let one = c.access(&p, 0, t3, key(), Access::Store, Charge::Coherent) - t3;
        assert!(many > one, "{many} <= {one}");
        // After the write the old readers miss again.
        assert!(
            c.access(&p, 5, t3 + one, key(), Access::Load, Charge::Coherent) - (t3 + one) > hit
        );
    }
}
