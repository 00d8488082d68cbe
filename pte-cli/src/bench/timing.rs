//! The measurement harness: threads released together by a barrier, each timing its own
//! work with the wall clock and its own CPU clock (`CLOCK_THREAD_CPUTIME_ID`: user + system
//! time of that thread, as pft's `utime + stime`), and counting its minor faults
//! (`getrusage(RUSAGE_THREAD)`: the kernel row's fault count).

use std::sync::Barrier;
use std::time::Instant;

/// What one timed run measured.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Measured {
    /// From the first thread's start to the last thread's end, in seconds.
    pub wall: f64,
    /// CPU seconds of all threads together.
    pub cpu: f64,
    /// Minor faults the kernel counted in the threads while they ran.
    pub minflt: u64,
}

/// The calling thread's CPU time in seconds (user + system).
pub fn thread_cpu() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant the kernel knows.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return 0.0;
    }
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// Minor faults of the calling thread so far.
pub fn thread_minflt() -> u64 {
    // SAFETY: an all-zero `rusage` is a valid value of this plain C struct.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a valid, writable rusage.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut ru) };
    if rc != 0 {
        return 0;
    }
    u64::try_from(ru.ru_minflt).unwrap_or(0)
}

/// Runs `work(t)` on `threads` threads released together; returns the measurements and each
/// thread's result, in thread order. Whatever the threads need is prepared before (by the
/// caller) so that only the work is timed.
pub fn run_threads<R, F>(threads: usize, work: F) -> (Measured, Vec<R>)
where
    R: Send,
    F: Fn(usize) -> R + Sync,
{
    let barrier = Barrier::new(threads);
    let work = &work;
    let barrier = &barrier;
    let parts: Vec<(Instant, Instant, f64, u64, R)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    barrier.wait();
                    let f0 = thread_minflt();
                    let c0 = thread_cpu();
                    let t0 = Instant::now();
                    let r = work(t);
                    let t1 = Instant::now();
                    let c1 = thread_cpu();
                    let f1 = thread_minflt();
                    (t0, t1, (c1 - c0).max(0.0), f1.saturating_sub(f0), r)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let start = parts.iter().map(|p| p.0).min();
    let end = parts.iter().map(|p| p.1).max();
    let wall = match (start, end) {
        (Some(s), Some(e)) => e.duration_since(s).as_secs_f64(),
        _ => 0.0,
    };
    let mut m = Measured {
        wall,
        ..Measured::default()
    };
    let mut results = Vec::with_capacity(parts.len());
    for (_, _, cpu, minflt, r) in parts {
        m.cpu += cpu;
        m.minflt += minflt;
        results.push(r);
    }
    (m, results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_move() {
        let c0 = thread_cpu();
        let mut x = 0u64;
        for i in 0..2_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        assert!(thread_cpu() > c0);
    }

    #[test]
    fn results_in_thread_order() {
        let (m, r) = run_threads(3, |t| t * 10);
        assert_eq!(r, vec![0, 10, 20]);
        assert!(m.wall >= 0.0 && m.cpu >= 0.0);
    }
}
