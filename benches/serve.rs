//! `cargo bench --bench serve`: how long `certpress serve` takes from saving an edit to
//! serving the page that shows it, on a synthetic site of 10,000 products
//! (`CERTPRESS_BENCH_SERVE` sets another size), against a full `certpress build` of the
//! same site measured in the same run.
//!
//! Two edits are timed, five times each: one product's name (its page must show the new
//! name), and the name of a lab that 1,000 products name (a page of one of them must show
//! it). The clock starts before the file is written and stops when an HTTP fetch of the
//! page returns the new text, so it includes the file watcher's settling time.

// Shared with other benchmarks and the tests, which use more of them.
#[allow(dead_code)]
#[path = "child.rs"]
mod child;
#[allow(dead_code)]
#[path = "../tests/common/http.rs"]
mod http;
#[path = "synth.rs"]
mod synth;

use certpress::serve::{Options, Serve};
use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Writes `file` with the value `from` of its `name:` replaced by `to`, then polls
/// `target` until it shows `to`.
fn edit_and_wait(addr: SocketAddr, file: &Path, from: &str, to: &str, target: &str) -> Duration {
    let text = fs::read_to_string(file).unwrap();
    let (from, new) = (format!("name: {from}\n"), format!("name: {to}\n"));
    assert!(text.contains(&from), "{} lacks {from}", file.display());
    let start = Instant::now();
    fs::write(file, text.replace(&from, &new)).unwrap();
    loop {
        let page = http::get(addr, target).text();
        if page.contains(to) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(600),
            "{target} never showed {to}"
        );
        // Often enough to measure to a few ms, seldom enough to leave the cores to serve.
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Edits `file` five times (each to a new value) and back; the median and the slowest.
fn timed_edits(addr: SocketAddr, file: &Path, from: &str, target: &str) -> (Duration, Duration) {
    let mut times = Vec::new();
    let mut current = from.to_string();
    for round in 0..5 {
        let next = format!("{from} edit {round}");
        times.push(edit_and_wait(addr, file, &current, &next, target));
        current = next;
    }
    let text = fs::read_to_string(file).unwrap();
    let back = text.replace(&format!("name: {current}\n"), &format!("name: {from}\n"));
    fs::write(file, back).unwrap();
    times.sort();
    (times[times.len() / 2], times[times.len() - 1])
}

fn main() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_certpress"));
    let n: usize = std::env::var("CERTPRESS_BENCH_SERVE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let root = repo.join("target/bench-sites");
    let trash = root.join("trash");
    let site = root.join(format!("site-{n}"));
    synth::ensure(&repo, &site, n, &trash, Some(&bin));

    // The baseline: a full build of the same site by the release binary.
    let out = root.join("scratch/serve-baseline");
    let measured = child::run(
        &bin,
        &[
            "build",
            "--root",
            site.to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
        ],
    );
    let (full, build_rss) = (measured.wall, measured.peak_rss_kb);
    fs::create_dir_all(&trash).unwrap();
    fs::rename(
        &out,
        trash.join(format!("serve-baseline-{}", std::process::id())),
    )
    .unwrap();

    let started = Instant::now();
    let serve = Serve::start(&site, &Options::default(), |_| {}).unwrap();
    let first = started.elapsed();
    let addr = serve.addr();

    // product-5 is a toy in folder 000 (synth: category by i % 5, folder by i / 1000).
    let product = site.join("content/products/toy/000/product-5.yaml");
    let (p_median, p_max) = timed_edits(
        addr,
        &product,
        "Synthetic product 5",
        "/products/product-5/",
    );
    // lab-3 tests every product whose number is 3 modulo the number of labs.
    let labs = (n / 1000).clamp(2, 100);
    let lab = site.join("content/parties/lab-3.yaml");
    let users = n / labs;
    let (l_median, l_max) = timed_edits(addr, &lab, "Testing Lab 3", "/products/product-3/");
    serve.stop();

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "site of {n} products; full build by the release binary: {:.0} ms",
        ms(full)
    );
    println!("serve's first build into memory: {:.0} ms", ms(first));
    // This process is the server: its peak is what serve holds (the whole site's files
    // in memory, and the pipeline's model).
    // SAFETY: rusage is plain data; getrusage fills it for this process.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer to the struct above.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    println!(
        "serve's peak memory: {:.0} MB (the release build's: {:.0} MB)",
        usage.ru_maxrss as f64 / 1024.0,
        build_rss as f64 / 1024.0
    );
    println!(
        "{:<44} {:>10} {:>10} {:>14}",
        "edit → page served", "median ms", "max ms", "build/median"
    );
    for (what, median, max) in [
        ("one product's record".to_string(), p_median, p_max),
        (format!("a lab that {users} products name"), l_median, l_max),
    ] {
        println!(
            "{what:<44} {:>10.0} {:>10.0} {:>14.1}",
            ms(median),
            ms(max),
            full.as_secs_f64() / median.as_secs_f64()
        );
    }
    let _ = fs::remove_dir_all(&trash);
}
