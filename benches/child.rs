//! Running certpress as a child process and measuring it: wall time and peak resident
//! memory (from wait4, which std's Child::wait cannot give). Shared by the benchmarks.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The sizes to run: `CERTPRESS_BENCH_SIZES` (comma-separated), else `default`.
#[allow(dead_code)] // used by the benchmarks that take sizes only
pub fn sizes(default: &str) -> Vec<usize> {
    std::env::var("CERTPRESS_BENCH_SIZES")
        .unwrap_or_else(|_| default.into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

pub struct Measured {
    pub wall: Duration,
    pub peak_rss_kb: i64,
    /// User and system CPU time, all threads.
    #[allow(dead_code)] // read by some benchmarks only
    pub cpu: Duration,
    /// What it wrote to stderr (stage timings, when asked for).
    #[allow(dead_code)] // read by some benchmarks only
    pub stderr: String,
}

/// Runs `bin args`, panicking with the end of its stderr if it fails.
pub fn run(bin: &Path, args: &[&str]) -> Measured {
    let log = std::env::temp_dir().join(format!("certpress-bench-{}.stderr", std::process::id()));
    let start = Instant::now();
    // Reaped below with wait4.
    #[allow(clippy::zombie_processes)]
    let child = Command::new(bin)
        .args(args)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("stderr log"))
        .spawn()
        .expect("spawn certpress");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data, zero is a valid value; wait4 writes it for our child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for the child we spawned; `child` is not waited on elsewhere.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    assert_eq!(r, pid, "wait4 failed");
    let stderr = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{args:?} failed: {}",
        stderr.lines().rev().take(5).collect::<Vec<_>>().join("\n")
    );
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    Measured {
        wall,
        peak_rss_kb: usage.ru_maxrss,
        cpu: time(usage.ru_utime) + time(usage.ru_stime),
        stderr,
    }
}
