//! `cargo bench --bench build`: builds synthetic sites of 1,000, 10,000 and 100,000
//! products with the release binary and reports pages per second and peak memory, with
//! a baseline measured in the same run (copying the same input files) so figures from
//! different machines compare as ratios.
//!
//! Sites are generated once under target/bench-sites/. Old output is moved aside and
//! deleted outside the timed part.

#[path = "child.rs"]
mod child;
#[path = "synth.rs"]
mod synth;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

struct Run {
    wall: Duration,
    peak_rss_kb: i64,
    pages: usize,
}

/// Runs the build in a child process, with its peak resident memory.
fn build(bin: &Path, site: &Path, out: &Path) -> Run {
    let m = child::run(
        bin,
        &[
            "build",
            "--root",
            site.to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
        ],
    );
    let pages = walkdir::WalkDir::new(out)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "html"))
        .count();
    Run {
        wall: m.wall,
        peak_rss_kb: m.peak_rss_kb,
        pages,
    }
}

/// The baseline: read every input file and write it to a fresh folder.
fn copy_baseline(site: &Path, to: &Path) -> Duration {
    let start = Instant::now();
    for e in walkdir::WalkDir::new(site.join("content"))
        .into_iter()
        .filter_map(Result::ok)
    {
        let dest = to.join(e.path().strip_prefix(site).unwrap());
        if e.file_type().is_dir() {
            fs::create_dir_all(&dest).unwrap();
        } else {
            fs::write(&dest, fs::read(e.path()).unwrap()).unwrap();
        }
    }
    start.elapsed()
}

fn main() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_certpress"));
    let sizes: Vec<usize> = std::env::var("CERTPRESS_BENCH_SIZES")
        .unwrap_or_else(|_| "1000,10000,100000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let root = repo.join("target/bench-sites");
    let scratch = root.join("scratch");
    let trash = root.join("trash");
    fs::create_dir_all(&scratch).unwrap();
    fs::create_dir_all(&trash).unwrap();

    println!(
        "{:>8} {:>8} {:>9} {:>10} {:>11} {:>10} {:>13}",
        "products", "pages", "build s", "pages/s", "peak MB", "copy s", "build/copy"
    );
    let mut per_product: Vec<(usize, f64, f64)> = Vec::new();
    for n in sizes {
        let site = root.join(format!("site-{n}"));
        synth::ensure(&repo, &site, n, &trash, Some(&bin));
        let runs = if n >= 100_000 { 1 } else { 3 };
        let mut best: Option<Run> = None;
        let mut copy = Duration::MAX;
        for r in 0..runs {
            let out = scratch.join(format!("out-{n}-{r}"));
            let run = build(&bin, &site, &out);
            let copy_to = scratch.join(format!("copy-{n}-{r}"));
            copy = copy.min(copy_baseline(&site, &copy_to));
            // Move outputs aside; they are deleted after all timing is done.
            for p in [&out, &copy_to] {
                fs::rename(
                    p,
                    trash.join(format!(
                        "{}-{}",
                        p.file_name().unwrap().to_string_lossy(),
                        std::process::id()
                    )),
                )
                .unwrap();
            }
            if best.as_ref().is_none_or(|b| run.wall < b.wall) {
                best = Some(run);
            }
        }
        let run = best.unwrap();
        let secs = run.wall.as_secs_f64();
        let mb = run.peak_rss_kb as f64 / 1024.0;
        println!(
            "{n:>8} {:>8} {:>9.3} {:>10.0} {:>11.1} {:>10.3} {:>13.2}",
            run.pages,
            secs,
            run.pages as f64 / secs,
            mb,
            copy.as_secs_f64(),
            secs / copy.as_secs_f64()
        );
        per_product.push((n, secs / n as f64, mb));
    }
    if let Some(&(n0, t0, m0)) = per_product.first() {
        println!("\nscaling against {n0} products (1.00 = linear):");
        for &(n, t, m) in &per_product {
            println!(
                "{n:>8}: time per product x{:.2}, peak memory x{:.2} for x{:.0} products",
                t / t0,
                m / m0,
                n as f64 / n0 as f64
            );
        }
    }
    // Deletion is slow on some disks: it happens here, after all timing.
    let _ = fs::remove_dir_all(&trash);
}
