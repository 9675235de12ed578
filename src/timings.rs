//! Where a run's time and memory go, printed to stderr when `CERTPRESS_TIMINGS` is set
//! (for the people who make certpress faster; `benches/check.rs` reads it).
//!
//! A stage run on one thread at a time is timed by [`Laps`] with the process's CPU time
//! (all threads) and its resident memory after it. The stages of loading a record (read,
//! parse, resolve) run interleaved on every thread, so each is summed across threads by
//! a [`Counter`] of thread CPU time instead.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Whether `CERTPRESS_TIMINGS` is set (read once).
pub fn on() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("CERTPRESS_TIMINGS").is_some())
}

/// CPU time of this process, all threads (user and system).
#[cfg(unix)]
fn process_cpu() -> Duration {
    // SAFETY: rusage is plain data, zero is a valid value; getrusage fills it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: RUSAGE_SELF with a valid pointer.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    time(usage.ru_utime) + time(usage.ru_stime)
}

#[cfg(not(unix))]
fn process_cpu() -> Duration {
    Duration::ZERO
}

/// CPU time of the calling thread.
#[cfg(unix)]
fn thread_cpu() -> Duration {
    // SAFETY: timespec is plain data; clock_gettime fills it.
    let mut t: libc::timespec = unsafe { std::mem::zeroed() };
    // SAFETY: a valid clock id and pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

#[cfg(not(unix))]
fn thread_cpu() -> Duration {
    Duration::ZERO
}

/// Resident memory now, in bytes (Linux; 0 elsewhere).
fn resident() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split(' ').nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

/// Thread CPU time spent in one stage, summed over threads.
pub struct Counter(AtomicU64);

impl Counter {
    pub const fn new() -> Counter {
        Counter(AtomicU64::new(0))
    }

    /// Runs `f`, adding the thread CPU time it took when timings are on.
    pub fn time<T>(&self, f: impl FnOnce() -> T) -> T {
        if !on() {
            return f();
        }
        let start = thread_cpu();
        let out = f();
        let spent = thread_cpu().saturating_sub(start);
        self.0.fetch_add(spent.as_nanos() as u64, Ordering::Relaxed);
        out
    }

    fn take(&self) -> Duration {
        Duration::from_nanos(self.0.swap(0, Ordering::Relaxed))
    }
}

impl Default for Counter {
    fn default() -> Self {
        Counter::new()
    }
}

/// Reading a record file's bytes.
pub static READ: Counter = Counter::new();
/// Parsing a record's YAML.
pub static PARSE: Counter = Counter::new();
/// Resolving a parsed record into the model (validation, party references, positions).
pub static RESOLVE: Counter = Counter::new();

/// One stage's figures.
struct Lap {
    what: &'static str,
    wall: Duration,
    cpu: Duration,
    resident: u64,
}

/// The stages of one run, in order.
pub struct Laps {
    on: bool,
    wall: Instant,
    cpu: Duration,
    laps: Vec<Lap>,
}

impl Laps {
    pub fn new() -> Laps {
        let on = on();
        Laps {
            on,
            wall: Instant::now(),
            cpu: if on { process_cpu() } else { Duration::ZERO },
            laps: Vec::new(),
        }
    }

    /// Ends the stage `what` (which began when the last one ended).
    pub fn lap(&mut self, what: &'static str) {
        if !self.on {
            return;
        }
        let lap = self.end(what);
        self.add(lap);
    }

    /// The stage `what` ended now (it began when the last one ended); the next begins.
    fn end(&mut self, what: &'static str) -> Lap {
        let cpu = process_cpu();
        let lap = Lap {
            what,
            wall: self.wall.elapsed(),
            cpu: cpu.saturating_sub(self.cpu),
            resident: resident(),
        };
        self.wall = Instant::now();
        self.cpu = cpu;
        lap
    }

    /// Records `lap`, added to the stage of the same name when there is one (`check`
    /// in batches runs each stage once a batch): its times summed, its memory the most
    /// seen after it.
    fn add(&mut self, lap: Lap) {
        match self.laps.iter_mut().find(|l| l.what == lap.what) {
            Some(l) => {
                l.wall += lap.wall;
                l.cpu += lap.cpu;
                l.resident = l.resident.max(lap.resident);
            }
            None => self.laps.push(lap),
        }
    }

    /// Ends the loading stage `what`, split into the record stages the [`Counter`]s
    /// measured during it (and the rest of it under `what`).
    pub fn lap_load(&mut self, what: &'static str) {
        if !self.on {
            return;
        }
        let load = self.end(what);
        let mut rest = load.cpu;
        for (name, counter) in [("read", &READ), ("parse", &PARSE), ("resolve", &RESOLVE)] {
            let cpu = counter.take();
            rest = rest.saturating_sub(cpu);
            self.add(Lap {
                what: name,
                wall: Duration::ZERO,
                cpu,
                resident: load.resident,
            });
        }
        self.add(Lap { cpu: rest, ..load });
    }

    /// `timings: <stage> <cpu> ms cpu <wall> ms wall <resident> MiB, ...` on stderr.
    pub fn report(&self) {
        if !self.on {
            return;
        }
        let parts: Vec<String> = self
            .laps
            .iter()
            .map(|l| {
                format!(
                    "{} {:.1} ms cpu {:.1} ms wall {} MiB",
                    l.what,
                    l.cpu.as_secs_f64() * 1000.0,
                    l.wall.as_secs_f64() * 1000.0,
                    l.resident >> 20
                )
            })
            .collect();
        eprintln!("timings: {}", parts.join(", "));
    }
}

impl Default for Laps {
    fn default() -> Self {
        Laps::new()
    }
}
