//! `cargo bench --bench assess`: assessing a synthetic site of 10,000 products (by
//! default) against every enabled rule pack, timed apart from loading. The baseline,
//! measured in the same run, is loading the same site (reading, parsing and resolving
//! every record), and assessing with every condition evaluated for every product, as
//! before each pack's decisions were remembered by what they read (`assess::memo`).
//! Set CERTPRESS_BENCH_ASSESS=N for another size.

#[path = "synth.rs"]
mod synth;

use certpress::assess;
use certpress::site::{self, Overrides};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// CPU time of the whole process (every thread), user and system: the machine the
/// benchmark runs on may be shared, so wall time alone says little.
fn cpu() -> Duration {
    // SAFETY: rusage is plain data, zero is a valid value; getrusage fills it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: RUSAGE_SELF with a valid pointer to a rusage.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// Wall and CPU time of `f`.
fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration, Duration) {
    let (start, cpu_start) = (Instant::now(), cpu());
    let out = f();
    (out, start.elapsed(), cpu().saturating_sub(cpu_start))
}

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
    let mut unmemoised = Duration::MAX;
    let (mut assess_cpu, mut unmemoised_cpu) = (Duration::MAX, Duration::MAX);
    let mut assessments = 0;
    let mut evaluations = 0;
    for _ in 0..3 {
        let start = Instant::now();
        let (site, diags) = site::load(&dir, &Overrides::default());
        load = load.min(start.elapsed());
        let site = site.expect("the synthetic site loads");
        assert!(!diags.has_errors(), "the synthetic site has errors");
        let (assessed, wall, cpu) = timed(|| assess::assess_site(&site));
        assess = assess.min(wall);
        assess_cpu = assess_cpu.min(cpu);
        let (every, wall, cpu) = timed(|| assess::assess_unmemoised(&site));
        unmemoised = unmemoised.min(wall);
        unmemoised_cpu = unmemoised_cpu.min(cpu);
        assert!(
            every.by_product == assessed.by_product && every.diagnostics == assessed.diagnostics,
            "the memo changed the assessment"
        );
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
    let per_product = |cpu: Duration| cpu.as_secs_f64() * 1e6 / n as f64;
    println!(
        "  CPU               {:.0} µs per product",
        per_product(assess_cpu)
    );
    println!(
        "every condition     {:.3} s ({:.0} products/s), CPU {:.0} µs per product",
        unmemoised.as_secs_f64(),
        n as f64 / unmemoised.as_secs_f64(),
        per_product(unmemoised_cpu)
    );
    println!(
        "memo / every        {:.2} of the CPU",
        assess_cpu.as_secs_f64() / unmemoised_cpu.as_secs_f64()
    );
    println!("load (baseline)     {:.3} s", load.as_secs_f64());
    println!(
        "assess / load       {:.2}",
        assess.as_secs_f64() / load.as_secs_f64()
    );
}
