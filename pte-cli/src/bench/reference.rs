//! The two reference rows measured beside the strategies, on the same pages and threads.
//!
//! * **floor** — per page, zero a frame (word by word, as the simulator's frame pool does)
//!   and compare-and-swap one word into a flat array: no walk, no mapping lookup, no
//!   allocator, no strategy, no MMU. No fault path of the simulator can be cheaper. `file`
//!   only swaps in a page that already exists (no zeroing), `cow` copies one, `fork` copies
//!   one and swaps the copy's number over the shared page's, `churn` clears the words again
//!   after each cycle, `same-page` zeroes only where the word was still empty.
//! * **kernel** — the host kernel's own page faults: `mmap` (anonymous private, or a
//!   `memfd` mapped shared / private for `file` / `cow`), `MADV_NOHUGEPAGE` (one fault per
//!   page, not per 2 MiB), one write per page, `munmap`. Only the writes are timed (the maps
//!   and unmaps too for `churn`, as page_fault1 does). Its fault count is the threads'
//!   `ru_minflt`. In `fork` every page is written once and the process forks a child that
//!   only waits (untimed); the parent's threads then write every page again, each write a
//!   copy-on-write fault of the host kernel (the page is mapped twice), and the child is
//!   released and reaped after the timing.

use std::sync::atomic::{AtomicU64, Ordering};

use super::options::{Shape, Workload};
use super::report::Sample;
use super::timing::run_threads;

/// Frames of `words` 8-byte words, first-touched.
struct Frames {
    words: usize,
    data: Vec<AtomicU64>,
}

impl Frames {
    fn new(frames: u64, words: usize, fill: u64) -> Self {
        let data = (0..frames as usize * words)
            .map(|_| AtomicU64::new(fill))
            .collect();
        Frames { words, data }
    }

    fn frame(&self, i: u64) -> &[AtomicU64] {
        let s = i as usize * self.words;
        &self.data[s..s + self.words]
    }

    fn zero(&self, i: u64) {
        for w in self.frame(i) {
            w.store(0, Ordering::Relaxed);
        }
    }

    fn copy(&self, i: u64, from: &Frames) {
        for (d, s) in self.frame(i).iter().zip(from.frame(i)) {
            d.store(s.load(Ordering::Relaxed), Ordering::Relaxed);
        }
    }
}

/// The floor: zero a frame, compare-and-swap its number into the page's word.
pub fn floor(shape: &Shape) -> Sample {
    let words = (shape.page_size() / 8) as usize;
    let pages = shape.pages;
    let frames = Frames::new(pages, words, 1);
    let source = match shape.workload {
        Workload::File | Workload::Cow | Workload::Fork => Some(Frames::new(pages, words, 0xF1)),
        _ => None,
    };
    // `fork`: every word already holds its shared page (number `i + 1`), which the copy
    // (number `pages + i + 1`) replaces.
    let fork = shape.workload == Workload::Fork;
    let old = |i: u64| if fork { i + 1 } else { 0 };
    let new = |i: u64| if fork { pages + i + 1 } else { i + 1 };
    let slots: Vec<AtomicU64> = (0..pages).map(|i| AtomicU64::new(old(i))).collect();
    let threads = shape.threads as u64;
    let install = |i: u64| -> u64 {
        match shape.workload {
            Workload::File => {}
            Workload::Cow | Workload::Fork => frames.copy(i, source.as_ref().unwrap_or(&frames)),
            _ => frames.zero(i),
        }
        // AcqRel: the zeroing happens-before whoever reads the word (as the Cmpxchg path).
        let _ =
            slots[i as usize].compare_exchange(old(i), new(i), Ordering::AcqRel, Ordering::Acquire);
        1
    };
    let (measured, attempts) = run_threads(shape.threads, |t| -> u64 {
        let t = t as u64;
        let r = shape.region_pages;
        match shape.workload {
            Workload::Pft | Workload::File | Workload::Cow | Workload::Fork => {
                (t * r..(t + 1) * r).map(install).sum()
            }
            Workload::SameTable => (t..r).step_by(threads as usize).map(install).sum(),
            Workload::SamePage => (0..r)
                .map(|i| {
                    if slots[i as usize].load(Ordering::Acquire) == 0 {
                        install(i)
                    } else {
                        0
                    }
                })
                .sum(),
            Workload::Churn => {
                let mut n = 0;
                for c in 0..shape.cycles {
                    let (first, len) = shape.cycle(c);
                    let pages = t * r + first..t * r + first + len;
                    n += pages.clone().map(install).sum::<u64>();
                    for i in pages {
                        slots[i as usize].swap(0, Ordering::AcqRel);
                    }
                }
                n
            }
        }
    });
    Sample {
        wall: measured.wall,
        cpu: measured.cpu,
        pages,
        faults: attempts.iter().sum(),
        retries: None,
        lost_races: None,
        spins: None,
        installs: None,
        lines: Vec::new(),
    }
}

/// The host's page size.
pub fn host_page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(n).unwrap_or(4096)
}

/// The last OS error, with what was being done.
fn os_error(what: &str) -> String {
    format!("{what}: {}", std::io::Error::last_os_error())
}

/// An anonymous private mapping of `len` bytes (`prot` as given), without huge pages.
fn map_anon(len: usize, prot: libc::c_int) -> Result<usize, String> {
    // SAFETY: a new anonymous mapping at an address the kernel chooses; nothing is aliased.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            prot,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return Err(os_error("mmap"));
    }
    // SAFETY: advice on the mapping just made; a failure (no THP in this kernel) is harmless.
    unsafe { libc::madvise(p, len, libc::MADV_NOHUGEPAGE) };
    Ok(p as usize)
}

fn unmap(addr: usize, len: usize) {
    // SAFETY: `addr..addr+len` is a mapping this module made and no longer uses.
    unsafe { libc::munmap(addr as *mut libc::c_void, len) };
}

/// One write to the first word of each of `pages` pages from `addr`.
///
/// # Safety
/// `addr..addr + pages * ps` must be mapped writable.
unsafe fn touch(addr: usize, pages: u64, ps: u64, value: u64, step: u64, first: u64) {
    let mut i = first;
    while i < pages {
        // SAFETY: within the writable mapping (the caller's contract).
        unsafe { ((addr + (i * ps) as usize) as *mut u64).write_volatile(value) };
        i += step;
    }
}

/// `regions` regions of `len` bytes read-write, `stride` bytes apart, in one reservation
/// of `regions * stride` bytes otherwise `PROT_NONE` (so that adjacent regions stay separate
/// VMAs). Returns the reservation's start.
fn map_regions(regions: usize, stride: usize, len: usize) -> Result<usize, String> {
    let base = map_anon(regions * stride, libc::PROT_NONE)?;
    for k in 0..regions {
        let start = base + k * stride;
        // SAFETY: a part of the reservation just made.
        if unsafe {
            libc::mprotect(
                start as *mut libc::c_void,
                len,
                libc::PROT_READ | libc::PROT_WRITE,
            )
        } != 0
        {
            let e = os_error("mprotect");
            unmap(base, regions * stride);
            return Err(e);
        }
    }
    Ok(base)
}

/// A child process made by `fork()` that only waits for [`release`](Child::release) (one
/// byte on a pipe, or the pipe's end), then exits: while it lives, every private page of
/// the parent is mapped twice, so the parent's next write to each is a copy-on-write fault.
#[derive(Debug)]
struct Child {
    pid: libc::pid_t,
    /// The pipe's write end (the child holds the read end).
    release: libc::c_int,
    /// Released and reaped.
    done: bool,
}

impl Child {
    /// Forks the waiting child.
    fn fork() -> Result<Self, String> {
        let mut fds = [0 as libc::c_int; 2];
        // SAFETY: `fds` is a writable array of two descriptors.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            return Err(os_error("pipe2"));
        }
        let [read_end, write_end] = fds;
        // SAFETY: the parent may be multithreaded: the child runs only async-signal-safe
        // calls (close, read, _exit) on values made before the fork, and never returns.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            // The child. Its copy of the write end is closed so that the parent's exit (or
            // close) ends the read; a byte from the parent ends it too (a write end another
            // thread's child inherited cannot hold it up).
            // SAFETY: closing this process's copy of a descriptor made above.
            unsafe { libc::close(write_end) };
            let mut byte = 0u8;
            loop {
                // SAFETY: reads at most one byte into `byte`, a valid writable byte.
                let n = unsafe { libc::read(read_end, (&raw mut byte).cast(), 1) };
                // (`last_os_error` reads errno: no allocation.)
                if n >= 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
                    break;
                }
            }
            // SAFETY: ends the child at once: no destructors, no atexit handlers, no flush of
            // buffers the parent owns.
            unsafe { libc::_exit(0) };
        }
        // SAFETY: the parent's copy of the read end is the child's business.
        unsafe { libc::close(read_end) };
        if pid < 0 {
            let e = os_error("fork");
            // SAFETY: closing the write end made above.
            unsafe { libc::close(write_end) };
            return Err(e);
        }
        Ok(Child {
            pid,
            release: write_end,
            done: false,
        })
    }

    /// Lets the child exit and reaps it.
    fn release(mut self) -> Result<(), String> {
        self.end()
    }

    /// [`release`](Self::release), once.
    fn end(&mut self) -> Result<(), String> {
        if std::mem::replace(&mut self.done, true) {
            return Ok(());
        }
        let byte = 1u8;
        // SAFETY: writes one byte from a valid byte to the pipe this process owns; then
        // closes it (the close alone ends the child's read too).
        unsafe {
            libc::write(self.release, (&raw const byte).cast(), 1);
            libc::close(self.release);
        }
        let mut status = 0;
        loop {
            // SAFETY: waits for this process's own child; `status` is writable.
            let rc = unsafe { libc::waitpid(self.pid, &mut status, 0) };
            if rc == self.pid {
                return Ok(());
            }
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::EINTR) {
                return Err(format!("waitpid of the forked child: {e}"));
            }
        }
    }
}

impl Drop for Child {
    /// A child not released (an early return) is released here.
    fn drop(&mut self) {
        let _ = self.end();
    }
}

/// A memfd of `len` bytes with every page allocated in its page cache (`fallocate`).
fn memfd(len: usize) -> Result<libc::c_int, String> {
    // SAFETY: the name is a NUL-terminated string.
    let fd = unsafe { libc::memfd_create(c"pte-bench".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(os_error("memfd_create"));
    }
    // SAFETY: `fd` is the memfd just created.
    if unsafe { libc::ftruncate(fd, len as libc::off_t) } != 0
        || unsafe { libc::fallocate(fd, 0, 0, len as libc::off_t) } != 0
    {
        let e = os_error("ftruncate/fallocate of a memfd");
        // SAFETY: closing the fd we own.
        unsafe { libc::close(fd) };
        return Err(e);
    }
    Ok(fd)
}

/// The kernel row: the host's own faults on `shape.pages` pages of the host's page size.
pub fn kernel(shape: &Shape) -> Result<Sample, String> {
    let ps = host_page_size();
    let r = shape.region_pages;
    let threads = shape.threads as u64;
    // Per-thread or one region, each followed by a PROT_NONE guard page so that adjacent
    // regions stay separate VMAs.
    let region_len = ((r + 1) * ps) as usize;
    let (measured, results) = match shape.workload {
        Workload::Pft | Workload::SameTable | Workload::SamePage => {
            let regions = shape.regions() as usize;
            let base = map_regions(regions, region_len, (r * ps) as usize)?;
            let out = run_threads(shape.threads, |t| -> Result<(), String> {
                let t = t as u64;
                // SAFETY: each region is mapped read-write until the unmap below, after the
                // threads are joined.
                unsafe {
                    match shape.workload {
                        Workload::Pft => touch(base + t as usize * region_len, r, ps, t + 1, 1, 0),
                        Workload::SameTable => touch(base, r, ps, t + 1, threads, t),
                        _ => touch(base, r, ps, t + 1, 1, 0),
                    }
                }
                Ok(())
            });
            unmap(base, regions * region_len);
            out
        }
        Workload::Fork => {
            let regions = shape.regions() as usize;
            let base = map_regions(regions, region_len, (r * ps) as usize)?;
            // Untimed: every page present, writable and dirty, then the child shares them.
            for k in 0..regions {
                // SAFETY: region `k` is mapped read-write until the unmap below.
                unsafe { touch(base + k * region_len, r, ps, k as u64 + 1, 1, 0) };
            }
            let child = match Child::fork() {
                Ok(c) => c,
                Err(e) => {
                    unmap(base, regions * region_len);
                    return Err(e);
                }
            };
            let out = run_threads(shape.threads, |t| -> Result<(), String> {
                // SAFETY: region `t` is mapped read-write until the unmap below, after the
                // threads are joined (the child's copy of the mapping is its own).
                unsafe { touch(base + t * region_len, r, ps, threads + t as u64 + 1, 1, 0) };
                Ok(())
            });
            let released = child.release();
            unmap(base, regions * region_len);
            released?;
            out
        }
        Workload::Churn => run_threads(shape.threads, |t| -> Result<(), String> {
            for c in 0..shape.cycles {
                let (_, n) = shape.cycle(c);
                let len = (n * ps) as usize;
                let p = map_anon(len, libc::PROT_READ | libc::PROT_WRITE)?;
                // SAFETY: mapped read-write just above, unmapped just below.
                unsafe { touch(p, n, ps, t as u64 + 1, 1, 0) };
                unmap(p, len);
            }
            Ok(())
        }),
        Workload::File | Workload::Cow => {
            let len = (r * ps) as usize;
            let flags = if shape.workload == Workload::File {
                libc::MAP_SHARED
            } else {
                libc::MAP_PRIVATE
            };
            let mut maps: Vec<(libc::c_int, usize)> = Vec::new();
            let cleanup = |maps: &[(libc::c_int, usize)]| {
                for &(fd, addr) in maps {
                    unmap(addr, len);
                    // SAFETY: closing a memfd this function opened.
                    unsafe { libc::close(fd) };
                }
            };
            for _ in 0..shape.threads {
                let made = memfd(len).and_then(|fd| {
                    // SAFETY: a new mapping of the whole memfd.
                    let p = unsafe {
                        libc::mmap(
                            std::ptr::null_mut(),
                            len,
                            libc::PROT_READ | libc::PROT_WRITE,
                            flags,
                            fd,
                            0,
                        )
                    };
                    if p == libc::MAP_FAILED {
                        let e = os_error("mmap of a memfd");
                        // SAFETY: closing the memfd just opened.
                        unsafe { libc::close(fd) };
                        return Err(e);
                    }
                    // SAFETY: advice on the mapping just made.
                    unsafe { libc::madvise(p, len, libc::MADV_NOHUGEPAGE) };
                    Ok((fd, p as usize))
                });
                match made {
                    Ok(m) => maps.push(m),
                    Err(e) => {
                        cleanup(&maps);
                        return Err(e);
                    }
                }
            }
            let out = run_threads(shape.threads, |t| -> Result<(), String> {
                // SAFETY: mapped read-write until the cleanup after the threads are joined.
                unsafe { touch(maps[t].1, r, ps, t as u64 + 1, 1, 0) };
                Ok(())
            });
            cleanup(&maps);
            out
        }
    };
    if let Some(Err(e)) = results.into_iter().find(Result::is_err) {
        return Err(format!("kernel {}: {e}", shape.workload.name()));
    }
    Ok(Sample {
        wall: measured.wall,
        cpu: measured.cpu,
        pages: shape.pages,
        faults: measured.minflt,
        retries: None,
        lost_races: None,
        spins: None,
        installs: None,
        lines: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(w: Workload, threads: usize) -> Shape {
        let g = &arch_x86_64::LAYOUT_6_6.geometries[0];
        Shape::new(w, threads, 64 << 12, g).expect("shape")
    }

    #[test]
    fn floor_installs_every_page() {
        for w in Workload::ALL {
            let s = floor(&shape(w, 2));
            assert_eq!(s.pages, 64, "{}", w.name());
            assert!(s.faults >= 64, "{}: {}", w.name(), s.faults);
        }
    }

    #[test]
    fn kernel_faults_every_page() {
        for w in Workload::ALL {
            let s = kernel(&shape(w, 2)).expect("kernel run");
            assert_eq!(s.pages, 64, "{}", w.name());
            // An anonymous write fault maps one page (huge pages are advised off): at least
            // one minor fault per page, more if threads raced. A shared file mapping may map a
            // whole large folio of the page cache at once, if the kernel made one.
            if matches!(w, Workload::File | Workload::Cow) {
                assert!(s.faults > 0, "{}", w.name());
            } else {
                assert!(s.faults >= 64, "{}: {} faults", w.name(), s.faults);
            }
        }
    }
}
