//! `cargo bench --bench labels`: prints 10,000 labels (a synthetic site of 5,000
//! products with two lots each) in each format with the release binary, each run also
//! laying them all out on the configured sheet (avery-5163, 1,000 US Letter pages) as
//! one PDF. The baseline, measured in the same run, is `certpress check` on the same
//! site (loading and assessing it), so the figures compare across machines as ratios.
//! `CERTPRESS_BENCH_LABELS=N` sets the number of products.
//!
//! Target (issue 5): SVG labels and the PDF sheet for 10,000 labels in under 10 s.

#[path = "child.rs"]
mod child;
#[path = "synth.rs"]
mod synth;

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

fn run(bin: &Path, args: &[&str]) -> Duration {
    child::run(bin, args).wall
}

fn main() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let products: usize = std::env::var("CERTPRESS_BENCH_LABELS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5_000);
    let status = Command::new("cargo")
        .args(["build", "--release", "--quiet"])
        .current_dir(repo)
        .status()
        .expect("cargo build");
    assert!(status.success());
    let bin = repo.join("target/release/certpress");
    let root = repo.join("target/bench-sites");
    let site = root.join(format!("labels-{products}"));
    let scratch = root.join("scratch");
    let trash = root.join("trash");
    fs::create_dir_all(&scratch).unwrap();
    fs::create_dir_all(&trash).unwrap();
    synth::ensure(repo, &site, products, &trash, Some(&bin));
    let site_arg = site.to_str().unwrap();
    let labels = products * 2;

    // Baseline: load and assess the same site.
    let baseline = (0..3)
        .map(|_| run(&bin, &["check", "--root", site_arg]))
        .min()
        .unwrap();
    println!(
        "{labels} labels ({products} products), avery-5163 sheet of {} pages",
        labels.div_ceil(10)
    );
    println!(
        "baseline `certpress check` (load + assess): {:.2} s",
        baseline.as_secs_f64()
    );
    println!(
        "{:>6} {:>9} {:>12} {:>12} {:>10} {:>9}",
        "format", "wall s", "labels/s", "MB written", "/baseline", "peak MB"
    );
    for format in ["svg", "png", "pdf", "zpl"] {
        let out = scratch.join(format!("labels-{format}"));
        let measured = child::run(
            &bin,
            &[
                "labels",
                "--root",
                site_arg,
                "--output",
                out.to_str().unwrap(),
                "--format",
                format,
            ],
        );
        let wall = measured.wall;
        let bytes: u64 = walkdir::WalkDir::new(&out)
            .into_iter()
            .filter_map(Result::ok)
            .filter_map(|e| e.metadata().ok())
            .filter(|m| m.is_file())
            .map(|m| m.len())
            .sum();
        println!(
            "{format:>6} {:>9.2} {:>12.0} {:>12.1} {:>10.2} {:>9.0}",
            wall.as_secs_f64(),
            labels as f64 / wall.as_secs_f64(),
            bytes as f64 / 1e6,
            wall.as_secs_f64() / baseline.as_secs_f64(),
            measured.peak_rss_kb as f64 / 1024.0
        );
        // Moved aside now, deleted after the timing.
        fs::rename(
            &out,
            trash.join(format!("labels-{format}-{}", std::process::id())),
        )
        .unwrap();
    }
    let _ = fs::remove_dir_all(&trash);
}
