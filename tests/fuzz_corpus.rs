//! Replays the fuzz corpora (`fuzz/corpus/<target>/`) and crash reproducers
//! (`fuzz/regressions/<target>/`) through the entry points the fuzz targets call
//! (`certpress::fuzzing`), on stable Rust and without a fuzzer: an input the fuzzer once
//! found interesting, or once crashed on, must still run to the end without a panic.

use certpress::fuzzing::{TARGETS, Target};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

fn replay(name: &str) {
    let target: Target = TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
        .unwrap_or_else(|| panic!("no fuzz target `{name}` in certpress::fuzzing::TARGETS"));
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let corpus = files(&fuzz.join("corpus").join(name));
    assert!(
        !corpus.is_empty(),
        "fuzz/corpus/{name}/ is empty: the corpus is committed with the target"
    );
    let regressions = files(&fuzz.join("regressions").join(name));
    let started = Instant::now();
    let mut slowest = (Duration::ZERO, PathBuf::new());
    for path in corpus.iter().chain(&regressions) {
        let bytes = std::fs::read(path).unwrap();
        let one = Instant::now();
        let run = std::panic::catch_unwind(|| target(&bytes));
        assert!(run.is_ok(), "{name}: {} panics", path.display());
        slowest = slowest.max((one.elapsed(), path.clone()));
    }
    eprintln!(
        "{name}: {} corpus and {} regression inputs in {:.1?} (slowest {:.1?}: {})",
        corpus.len(),
        regressions.len(),
        started.elapsed(),
        slowest.0,
        slowest.1.display()
    );
}

#[test]
fn every_target_is_replayed_here() {
    let here = include_str!("fuzz_corpus.rs");
    for (name, _) in TARGETS {
        assert!(
            here.contains(&format!("fn {name}() {{")),
            "add a test for fuzz target `{name}`"
        );
    }
}

#[test]
fn record() {
    replay("record");
}

#[test]
fn party() {
    replay("party");
}

#[test]
fn site_toml() {
    replay("site_toml");
}

#[test]
fn guidance() {
    replay("guidance");
}

#[test]
fn plugin() {
    replay("plugin");
}

#[test]
fn ident() {
    replay("ident");
}

#[test]
fn ledger() {
    replay("ledger");
}

#[test]
fn plugin_response() {
    replay("plugin_response");
}
