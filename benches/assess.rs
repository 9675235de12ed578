//! `cargo bench --bench assess`: assessing a synthetic site of 10,000 products (by
//! default) against every enabled rule pack, timed apart from loading. The baseline,
//! measured in the same run, is loading the same site (reading, parsing and resolving
//! every record). Set CERTPRESS_BENCH_ASSESS=N for another size.

#[path = "synth.rs"]
mod synth;

use certpress::assess;
use certpress::site::{self, Overrides};
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn main() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let n: usize = std::env::var("CERTPRESS_BENCH_ASSESS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let dir = repo.join(format!("target/bench-sites/assess-{n}"));
    let trash = repo.join("target/bench-sites/trash");
    synth::ensure(&repo, &dir, n, &trash, None);

    let mut load = Duration::MAX;
    let mut assess = Duration::MAX;
    let mut assessments = 0;
    let mut evaluations = 0;
    for _ in 0..3 {
        let start = Instant::now();
        let (site, diags) = site::load(&dir, &Overrides::default());
        load = load.min(start.elapsed());
        let site = site.expect("the synthetic site loads");
        assert!(!diags.has_errors(), "the synthetic site has errors");
        let start = Instant::now();
        let assessed = assess::assess_site(&site);
        assess = assess.min(start.elapsed());
        assessments = assessed.by_product.values().map(Vec::len).sum::<usize>();
        let conditions: usize = site
            .plugins
            .iter()
            .filter_map(|p| p.rules())
            .map(|r| r.defines.len() + r.requirements.len() + r.certificates.len() + r.marks.len())
            .sum();
        evaluations = n * conditions;
    }
    let packs = assessments as f64 / n as f64;
    println!("products            {n}");
    println!("assessments         {assessments} ({packs:.1} rule packs per product)");
    println!(
        "assess              {:.3} s ({:.0} products/s, about {:.2} µs per condition)",
        assess.as_secs_f64(),
        n as f64 / assess.as_secs_f64(),
        assess.as_secs_f64() * 1e6 / evaluations as f64
    );
    println!("load (baseline)     {:.3} s", load.as_secs_f64());
    println!(
        "assess / load       {:.2}",
        assess.as_secs_f64() / load.as_secs_f64()
    );
}
