//! `cargo bench --bench check`: `certpress check` of synthetic sites of 10,000, 100,000
//! and 1,000,000 products (with issued certificates, so a ledger of one line per
//! certificate) with the release binary: its time, CPU time, peak memory and bytes per
//! product, against a baseline measured in the same run: reading every file under
//! content/ whole, on as many threads (issue 17: a million products checked in under a
//! minute and 4 GB, about four times the cost of reading them). With stage timings
//! (`CERTPRESS_TIMINGS`), the CPU microseconds per product of each stage.
//!
//! Sites are generated once under target/bench-sites/ (a million products take a
//! while; `CERTPRESS_BENCH_SIZES=10000,100000` chooses sizes, `CERTPRESS_BENCH_PREPARE=1`
//! only generates them, `CERTPRESS_BENCH_BIN` runs another certpress binary, such as an
//! earlier build to compare with).

#[path = "child.rs"]
mod child;
#[path = "synth.rs"]
mod synth;

use rayon::prelude::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Reads every file under `content/` whole, in parallel: what any check must at least do.
fn read_baseline(site: &Path) -> Duration {
    let start = Instant::now();
    let files: Vec<PathBuf> = walkdir::WalkDir::new(site.join("content"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    let bytes: usize = files.par_iter().map(|f| fs::read(f).unwrap().len()).sum();
    assert!(bytes > 0);
    start.elapsed()
}

fn main() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    // Another binary (an earlier build, to compare) when given.
    let bin = std::env::var_os("CERTPRESS_BENCH_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_certpress")),
        PathBuf::from,
    );
    // Only make the sites (a million products' take a while), without timing.
    let prepare_only = std::env::var_os("CERTPRESS_BENCH_PREPARE").is_some();
    let sizes = child::sizes("10000,100000,1000000");
    let root = repo.join("target/bench-sites");
    let trash = root.join("trash");
    fs::create_dir_all(&trash).unwrap();
    println!(
        "{:>9} {:>8} {:>8} {:>8} {:>7} {:>9} {:>10}  stages (CPU µs per product)",
        "products", "check s", "CPU s", "read s", "ratio", "peak MB", "B/product"
    );
    for n in sizes {
        let site = root.join(format!("site-{n}"));
        synth::ensure(&repo, &site, n, &trash, Some(&bin));
        if prepare_only {
            continue;
        }
        let runs = if n >= 100_000 { 1 } else { 3 };
        let mut best: Option<child::Measured> = None;
        let mut read = Duration::MAX;
        // Interleaved, so both see the same machine.
        for _ in 0..runs {
            read = read.min(read_baseline(&site));
            // SAFETY: single-threaded here; the child inherits the variable.
            unsafe { std::env::set_var("CERTPRESS_TIMINGS", "1") };
            let m = child::run(&bin, &["check", "--root", site.to_str().unwrap()]);
            if best.as_ref().is_none_or(|b| m.wall < b.wall) {
                best = Some(m);
            }
        }
        let m = best.unwrap();
        let stages: Vec<String> = m
            .stderr
            .lines()
            .filter_map(|l| l.strip_prefix("timings: "))
            .flat_map(|l| l.split(", "))
            .filter_map(|part| {
                // "read 1234.5 ms cpu" → per product.
                let mut w = part.split(' ');
                let (what, ms) = (w.next()?, w.next()?.parse::<f64>().ok()?);
                (w.next() == Some("ms") && w.next() == Some("cpu"))
                    .then(|| format!("{what} {:.1}", ms * 1000.0 / n as f64))
            })
            .collect();
        println!(
            "{:>9} {:>8.2} {:>8.2} {:>8.2} {:>6.1}× {:>9.0} {:>10.0}  {}",
            n,
            m.wall.as_secs_f64(),
            m.cpu.as_secs_f64(),
            read.as_secs_f64(),
            m.wall.as_secs_f64() / read.as_secs_f64(),
            m.peak_rss_kb as f64 / 1024.0,
            m.peak_rss_kb as f64 * 1024.0 / n as f64,
            stages.join(", ")
        );
    }
    let _ = fs::remove_dir_all(&trash);
}
