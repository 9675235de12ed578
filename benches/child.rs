//! Running certpress as a child process and measuring it: wall time and peak resident
//! memory (from wait4, which std's Child::wait cannot give). Shared by the benchmarks.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub struct Measured {
    pub wall: Duration,
    pub peak_rss_kb: i64,
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
    Measured {
        wall,
        peak_rss_kb: usage.ru_maxrss,
    }
}
