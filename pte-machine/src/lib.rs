//! # pte-machine
//!
//! A deterministic virtual-time multiprocessor of 1 to 1024 CPUs that runs the library's own
//! fault path — `pte_core::fault::handle` with any strategy, over `pte-sim`'s frames, tables,
//! page cache and swap — and charges every shared-memory operation by a cache-coherence and
//! NUMA cost model, so that the scalability curves of the 2004–2005 page-fault debate (8, 32
//! and 512 CPUs) are reproducible numbers on any host.
//!
//! * [`Profile`]: a machine — topology, latencies, local costs, kernel era — from a data
//!   file with a source for every parameter (`pte-machine/profiles/`);
//! * [`era`]: which kernel structure each shared line stands for, in 2.6.8 and in 6.6;
//! * [`coherence`]: the line model (owner/sharers, transfers by distance, busy lines);
//! * [`Machine`]: the scheduler — one OS thread per virtual CPU, one running at a time, the
//!   smallest virtual clock next; spinners parked until their line is written.
//!
//! The fault path reports its operations through `pte_core::probe` (the cargo feature
//! `probe`, which this crate turns on); a kernel or a `no_std` build without the feature
//! compiles none of it.
//!
//! ```
//! use arch_x86_64::X86_64_6_6;
//! use pte_core::fault::{Backing, Cmpxchg, Strategy};
//! use pte_machine::{Machine, Profile};
//! use pte_sim::{AddressSpace, Config};
//!
//! let machine = Machine::new(Profile::find("xeon-2s").unwrap().with_cpus(4).unwrap());
//! // TLBs off: the machine does not see their locks (`Config::tlb`).
//! let config = Config { tlb: false, ..Config::default() };
//! let space = AddressSpace::<X86_64_6_6, _>::new(Cmpxchg::new(), config);
//! space.map(0x10_0000, 64, Backing::Anonymous, true).unwrap();
//! let run = machine
//!     .run(<Cmpxchg as Strategy<X86_64_6_6>>::NAME, 4, |t| {
//!         for i in 0..16u64 {
//!             space.write(0x10_0000 + (t as u64 * 16 + i) * 4096, 1).unwrap();
//!         }
//!     })
//!     .unwrap();
//! assert!(run.makespan > 0);
//! ```
#![deny(missing_docs)]

pub mod coherence;
pub mod era;
mod machine;
pub mod profile;
pub mod published;

pub use coherence::{LineCost, Ps};
pub use era::Era;
pub use machine::{Machine, Outcome, RunError};
pub use profile::{Profile, ProfileError};
