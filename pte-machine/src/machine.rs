//! The scheduler: N virtual CPUs, each an OS thread, of which exactly one runs at a time;
//! at every shared-memory operation the CPU with the smallest virtual clock runs next.
//!
//! **Why OS threads with hand-off, not stackful coroutines.** The fault path and the
//! simulator are ordinary Rust that blocks nowhere but in the hooks, so a thread per CPU runs
//! them unchanged and safely (no stack switching, no `unsafe`, panics unwind as usual), and
//! the standard library is all it needs. The cost is a host context switch per hand-off
//! (microseconds); a hand-off happens only when another CPU's clock is behind, and a spinning
//! CPU costs none at all (below), so a 512-CPU run of a few thousand faults takes seconds.
//!
//! **Order.** Before each operation ([`pte_core::probe::access`]) the running CPU gives the
//! token to the CPU with the smallest `(clock, index)` if that is not itself; the operation
//! is then made at its clock, and its cost (the coherence model) is added. Everything between
//! two hooks runs while no other CPU runs, so the interleaving — and every number — depends
//! only on the model: the same run gives byte-identical results on any host.
//!
//! **Spinning.** A CPU that calls [`relax`](pte_core::fault::lock::relax) after loading a
//! line is parked until another CPU writes that line, and resumes at the writer's completion
//! time: a spin costs the host nothing however long it lasts in virtual time, and the parked
//! time is charged to the line in the report. If no CPU can run (every one parked), the
//! parked CPU with the smallest clock is resumed, so a wait on something other than its last
//! line is still retried.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};

use pte_core::probe::{self, Access, Hooks, Site, Work};

use crate::coherence::{Coherence, LineCost, Ps, ps};
use crate::era::{Charge, Era, LineKey, Modelled};
use crate::profile::Profile;

/// A run's outcome.
#[derive(Debug)]
pub struct Outcome<R> {
    /// Each thread's result.
    pub results: Vec<R>,
    /// Each thread's virtual time at its end.
    pub clocks: Vec<Ps>,
    /// The virtual time of the whole run (the last thread's end).
    pub makespan: Ps,
    /// Virtual time by kind of line, dearest first.
    pub lines: Vec<(&'static str, LineCost)>,
    /// Shared-memory operations observed.
    pub operations: u64,
    /// Hand-offs between threads.
    pub switches: u64,
}

/// A virtual multiprocessor of a [`Profile`].
#[derive(Clone, Debug)]
pub struct Machine {
    profile: Profile,
}

/// Why a run could not be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunError {
    /// More threads than CPUs.
    TooManyThreads {
        /// Threads asked for.
        threads: usize,
        /// CPUs of the machine.
        cpus: usize,
    },
    /// Another user of `pte_core::probe` installed its hooks in this process first.
    ProbeTaken,
    /// A virtual CPU panicked (its message).
    Panicked(String),
}

impl core::fmt::Display for RunError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            RunError::TooManyThreads { threads, cpus } => {
                write!(f, "{threads} threads on a machine of {cpus} CPUs")
            }
            RunError::ProbeTaken => write!(f, "another machine's probe hooks are installed"),
            RunError::Panicked(m) => write!(f, "a virtual CPU panicked: {m}"),
        }
    }
}

impl std::error::Error for RunError {}

impl Machine {
    /// A machine of `profile`.
    pub fn new(profile: Profile) -> Self {
        Machine { profile }
    }

    /// Its profile.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The CPU thread `t` of `threads` runs on: spread evenly over the machine, as Linux's
    /// load balancing spreads runnable threads over idle nodes.
    pub fn cpu_of(&self, t: usize, threads: usize) -> usize {
        t * (self.profile.cpus / threads.max(1))
    }

    /// Runs `body(t)` for `t` in `0..threads`, thread `t` on CPU [`cpu_of`](Self::cpu_of),
    /// `strategy` naming the fault path's strategy (it decides which line a lock is).
    pub fn run<R: Send>(
        &self,
        strategy: &str,
        threads: usize,
        body: impl Fn(usize) -> R + Sync,
    ) -> Result<Outcome<R>, RunError> {
        if threads == 0 || threads > self.profile.cpus {
            return Err(RunError::TooManyThreads {
                threads,
                cpus: self.profile.cpus,
            });
        }
        install()?;
        let core = Arc::new(Core::new(
            self.profile.clone(),
            strategy,
            (0..threads).map(|t| self.cpu_of(t, threads)).collect(),
        ));
        let results = std::thread::scope(|s| {
            let mut handles = Vec::with_capacity(threads);
            for t in 0..threads {
                let mine = Arc::clone(&core);
                let body = &body;
                let spawned = std::thread::Builder::new()
                    .name(format!("vcpu{t}"))
                    .stack_size(1 << 20)
                    .spawn_scoped(s, move || mine.thread(t, || body(t)));
                match spawned {
                    Ok(h) => handles.push(h),
                    Err(e) => {
                        // The threads already made wait for a turn: release them.
                        core.abort(format!("cannot start virtual CPU {t}: {e}"));
                        break;
                    }
                }
            }
            if handles.len() == threads {
                core.start_and_wait();
            }
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or(None))
                .collect::<Vec<Option<R>>>()
        });
        let state = core.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(why) = &state.panic {
            return Err(RunError::Panicked(why.clone()));
        }
        let results = results
            .into_iter()
            .map(|r| r.expect("every thread finished"))
            .collect();
        let mut lines: HashMap<&'static str, LineCost> = HashMap::new();
        for (key, c) in &state.coherence.costs {
            let l = lines.entry(key.kind(&core.strategy)).or_default();
            l.accesses += c.accesses;
            l.misses += c.misses;
            l.transfer += c.transfer;
            l.queued += c.queued;
            l.spinning += c.spinning;
        }
        let mut lines: Vec<_> = lines.into_iter().collect();
        lines.sort_by(|a, b| b.1.total().cmp(&a.1.total()).then(a.0.cmp(b.0)));
        Ok(Outcome {
            results,
            makespan: state.clock.iter().copied().max().unwrap_or(0),
            clocks: state.clock.clone(),
            lines,
            operations: state.operations,
            switches: state.switches,
        })
    }
}

/// The hooks, installed once per process.
fn install() -> Result<(), RunError> {
    static HOOKS: Hooks = Hooks {
        access: hook_access,
        work: hook_work,
        relax: hook_relax,
        cpu: hook_cpu,
    };
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    let ours = *INSTALLED.get_or_init(|| match probe::install(&HOOKS) {
        Ok(()) => true,
        Err(h) => core::ptr::eq(h, &HOOKS),
    });
    if ours {
        Ok(())
    } else {
        Err(RunError::ProbeTaken)
    }
}

thread_local! {
    /// The machine and thread index of a virtual CPU thread.
    static CURRENT: RefCell<Option<(Arc<Core>, usize)>> = const { RefCell::new(None) };
}

fn with_current(f: impl FnOnce(&Core, usize)) {
    CURRENT.with(|c| {
        if let Some((core, t)) = &*c.borrow() {
            f(core, *t);
        }
    });
}

fn hook_access(addr: usize, access: Access, site: Site) {
    with_current(|core, t| core.access(t, addr, access, site));
}

fn hook_work(work: Work) {
    with_current(|core, t| core.work(t, work));
}

fn hook_relax() {
    with_current(|core, t| core.relax(t));
}

fn hook_cpu() -> Option<usize> {
    CURRENT.with(|c| c.borrow().as_ref().map(|(core, t)| core.cpu_of[*t]))
}

/// A panic that unwinds a virtual CPU because another one panicked.
struct Aborted;

/// After this many resumptions of parked CPUs with no write in between, every CPU waits for
/// something no CPU will do: the modelled program is deadlocked.
const DEADLOCK: u64 = 1 << 16;

struct Core {
    profile: Profile,
    strategy: String,
    era: Era,
    cpu_of: Vec<usize>,
    state: Mutex<State>,
    turns: Vec<Condvar>,
    finished: Condvar,
}

struct State {
    running: Option<usize>,
    clock: Vec<Ps>,
    ready: BinaryHeap<Reverse<(Ps, usize)>>,
    parked: BTreeMap<LineKey, Vec<(usize, Ps)>>,
    /// Each thread's last load or write of a shared line, with the line's write count then.
    last: Vec<Option<(LineKey, u64)>>,
    /// Writes per line: a spinner whose line was written since it loaded it is not parked.
    writes: HashMap<LineKey, u64>,
    live: usize,
    panic: Option<String>,
    coherence: Coherence,
    allocs: Vec<u64>,
    installs: Vec<u64>,
    frees: Vec<u64>,
    operations: u64,
    switches: u64,
    idle_resumes: u64,
}

impl Core {
    fn new(profile: Profile, strategy: &str, cpu_of: Vec<usize>) -> Self {
        let n = cpu_of.len();
        Core {
            era: profile.family.era,
            state: Mutex::new(State {
                running: None,
                clock: vec![0; n],
                ready: BinaryHeap::new(),
                parked: BTreeMap::new(),
                last: vec![None; n],
                writes: HashMap::new(),
                live: n,
                panic: None,
                coherence: Coherence::new(&profile),
                allocs: vec![0; n],
                installs: vec![0; n],
                frees: vec![0; n],
                operations: 0,
                switches: 0,
                idle_resumes: 0,
            }),
            turns: (0..n).map(|_| Condvar::new()).collect(),
            finished: Condvar::new(),
            strategy: strategy.to_string(),
            cpu_of,
            profile,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Gives the token to `next`.
    fn hand(&self, g: &mut State, next: usize) {
        g.running = Some(next);
        g.switches += 1;
        self.turns[next].notify_one();
    }

    /// Blocks until thread `t` holds the token; unwinds if the run was aborted.
    fn wait_for<'a>(&'a self, mut g: MutexGuard<'a, State>, t: usize) -> MutexGuard<'a, State> {
        while g.running != Some(t) && g.panic.is_none() {
            g = self.turns[t].wait(g).unwrap_or_else(|e| e.into_inner());
        }
        if g.panic.is_some() && !std::thread::panicking() {
            drop(g);
            std::panic::resume_unwind(Box::new(Aborted));
        }
        g
    }

    /// If another thread's clock is behind `t`'s, lets it (and any other behind) run first.
    fn catch_up<'a>(&'a self, mut g: MutexGuard<'a, State>, t: usize) -> MutexGuard<'a, State> {
        let me = (g.clock[t], t);
        if let Some(&Reverse(first)) = g.ready.peek()
            && first < me
        {
            g.ready.push(Reverse(me));
            let Reverse((_, next)) = g.ready.pop().expect("not empty");
            self.hand(&mut g, next);
            g = self.wait_for(g, t);
        }
        g
    }

    /// `t` stops running (parked or done): the next ready thread runs, or, if none, the
    /// parked one with the smallest clock.
    fn pass_on(&self, g: &mut State, now: Ps) {
        if let Some(Reverse((_, next))) = g.ready.pop() {
            self.hand(g, next);
            return;
        }
        let best = g
            .parked
            .iter()
            .flat_map(|(k, v)| v.iter().enumerate().map(move |(i, &(u, _))| (u, *k, i)))
            .min_by_key(|&(u, _, _)| (g.clock[u], u));
        if let Some((u, key, i)) = best {
            let list = g.parked.get_mut(&key).expect("parked list");
            let (_, since) = list.remove(i);
            if list.is_empty() {
                g.parked.remove(&key);
            }
            g.idle_resumes += 1;
            if g.idle_resumes > DEADLOCK {
                g.panic = Some("every virtual CPU waits and none writes: deadlock".into());
                for c in &self.turns {
                    c.notify_all();
                }
                self.finished.notify_all();
                return;
            }
            // The resumed CPU re-checks one hit after the present (the passing CPU's
            // clock): virtual time never goes back.
            g.clock[u] = g.clock[u].max(now) + ps(self.profile.family.hit_ns.value).max(1);
            let spun = g.clock[u] - since;
            g.coherence.spun(key, spun);
            self.hand(g, u);
        } else {
            g.running = None;
        }
    }

    /// The body of thread `t`.
    fn thread<R>(self: &Arc<Self>, t: usize, body: impl FnOnce() -> R) -> Option<R> {
        CURRENT.with(|c| *c.borrow_mut() = Some((Arc::clone(self), t)));
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
            drop(self.wait_for(self.lock(), t));
            body()
        }));
        CURRENT.with(|c| *c.borrow_mut() = None);
        let mut g = self.lock();
        g.live -= 1;
        let out = match result {
            Ok(r) => {
                let now = g.clock[t];
                self.pass_on(&mut g, now);
                Some(r)
            }
            Err(payload) => {
                if !payload.is::<Aborted>() && g.panic.is_none() {
                    let msg = payload
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_else(|| "a panic".into());
                    g.panic = Some(format!("thread {t}: {msg}"));
                    for c in &self.turns {
                        c.notify_all();
                    }
                }
                None
            }
        };
        if g.live == 0 || g.panic.is_some() {
            self.finished.notify_all();
        }
        out
    }

    /// Ends the run with `why`: every waiting thread unwinds.
    fn abort(&self, why: String) {
        let mut g = self.lock();
        if g.panic.is_none() {
            g.panic = Some(why);
        }
        for c in &self.turns {
            c.notify_all();
        }
        self.finished.notify_all();
    }

    /// Starts the first thread and waits until every thread is done.
    fn start_and_wait(&self) {
        let mut g = self.lock();
        for t in 0..self.cpu_of.len() {
            g.ready.push(Reverse((0, t)));
        }
        let Reverse((_, first)) = g.ready.pop().expect("threads");
        self.hand(&mut g, first);
        while g.live > 0 && g.panic.is_none() {
            g = self.finished.wait(g).unwrap_or_else(|e| e.into_inner());
        }
        // On a panic the waiting threads unwind (wait_for) and finish on their own.
    }

    /// Charges `access` on `key` to `t` and wakes the spinners a write releases.
    fn charge(&self, g: &mut State, t: usize, key: LineKey, access: Access, charge: Charge) {
        let now = g.clock[t];
        let end = g
            .coherence
            .access(&self.profile, self.cpu_of[t], now, key, access, charge);
        g.clock[t] = end;
        g.operations += 1;
        if charge == Charge::Local {
            // A per-CPU line: nobody waits on it, so it is not the line a spin watches.
            return;
        }
        if access.writes() {
            *g.writes.entry(key).or_default() += 1;
        }
        let version = g.writes.get(&key).copied().unwrap_or(0);
        g.last[t] = Some((key, version));
        if access.writes()
            && let Some(waiters) = g.parked.remove(&key)
        {
            g.idle_resumes = 0;
            for (u, since) in waiters {
                let resume = g.clock[u].max(end);
                g.coherence.spun(key, resume - since);
                g.clock[u] = resume;
                g.ready.push(Reverse((resume, u)));
            }
        }
    }

    fn access(&self, t: usize, addr: usize, access: Access, site: Site) {
        let (key, charge) = self.era.line(
            site,
            addr,
            self.profile.family.line_bytes.value,
            &self.strategy,
        );
        let g = self.lock();
        if g.panic.is_some() {
            return;
        }
        // A per-CPU line needs no ordering against the other CPUs: no hand-off (which could
        // otherwise fall between a spinner's load and its `relax`).
        let mut g = if charge == Charge::Local {
            g
        } else {
            self.catch_up(g, t)
        };
        self.charge(&mut g, t, key, access, charge);
    }

    /// A named line of the era, on `t`'s node.
    fn modelled(&self, t: usize, what: Modelled) -> LineKey {
        let node = match what {
            Modelled::ZoneLock | Modelled::LruLock => self.profile.node_of(self.cpu_of[t]),
            _ => 0,
        };
        LineKey::Named { what, node }
    }

    /// Takes and releases a modelled lock line, holding it `hold`.
    fn lock_line(&self, g: &mut State, t: usize, key: LineKey, hold: Ps) {
        self.charge(g, t, key, Access::ReadModifyWrite, Charge::Coherent);
        g.clock[t] += hold;
        g.coherence.hold(key, g.clock[t]);
        self.charge(g, t, key, Access::Store, Charge::Coherent);
    }

    fn work(&self, t: usize, work: Work) {
        let f = &self.profile.family;
        let g = self.lock();
        if g.panic.is_some() {
            return;
        }
        let mut g = self.catch_up(g, t);
        let per_kib = |ns: f64, bytes: u64| ps(ns * bytes as f64 / 1024.0);
        match work {
            Work::FaultEntry => {
                g.clock[t] += ps(self.profile.machine.fault_base_ns.value / 2.0);
            }
            // Under the strategy's real mm lock when the simulator walks under it
            // (`Config::walk_under_mm_lock`, set for the 2.6.8 era).
            Work::Walk => g.clock[t] += ps(f.walk_ns.value),
            Work::FaultExit => {
                g.clock[t] += ps(self.profile.machine.fault_base_ns.value / 2.0);
            }
            Work::PageInstalled => {
                g.clock[t] += ps(f.account_ns.value);
                g.installs[t] += 1;
                if self.era.shared_rss() {
                    let key = self.modelled(t, Modelled::MmRss);
                    self.charge(&mut g, t, key, Access::ReadModifyWrite, Charge::Coherent);
                }
                if g.installs[t].is_multiple_of(self.era.lru_batch()) {
                    let key = self.modelled(t, Modelled::LruLock);
                    self.lock_line(&mut g, t, key, ps(f.zone_lock_hold_ns.value));
                }
            }
            Work::ZeroPage { bytes } => g.clock[t] += per_kib(f.zero_ns_per_kib.value, bytes),
            Work::CopyPage { bytes } => g.clock[t] += per_kib(f.copy_ns_per_kib.value, bytes),
            Work::AllocFrame => {
                g.clock[t] += ps(f.frame_ns.value);
                g.allocs[t] += 1;
                let n = g.allocs[t];
                if n % self.era.zone_batch() == 1 {
                    let key = self.modelled(t, Modelled::ZoneLock);
                    self.lock_line(&mut g, t, key, ps(f.zone_lock_hold_ns.value));
                }
            }
            Work::FreeFrame => {
                g.clock[t] += ps(f.frame_ns.value);
                g.frees[t] += 1;
                if g.frees[t].is_multiple_of(self.era.zone_batch()) {
                    let key = self.modelled(t, Modelled::ZoneLock);
                    self.lock_line(&mut g, t, key, ps(f.zone_lock_hold_ns.value));
                }
            }
        }
    }

    fn relax(&self, t: usize) {
        let mut g = self.lock();
        if g.panic.is_some() {
            return;
        }
        let hit = ps(self.profile.family.hit_ns.value).max(1);
        let Some((key, seen)) = g.last[t] else {
            g.clock[t] += hit;
            return;
        };
        if g.writes.get(&key).copied().unwrap_or(0) != seen {
            // Written since the spinner loaded it: look again instead of waiting.
            g.clock[t] += hit;
            return;
        }
        let since = g.clock[t];
        g.parked.entry(key).or_default().push((t, since));
        self.pass_on(&mut g, since);
        drop(self.wait_for(g, t));
    }
}
