//! Real-browser checks of the built example site: builds it with the debug binary, then
//! runs `node tests/browser/run.mjs <site>`, which serves it on 127.0.0.1 and drives
//! headless Chromium (playwright-core, axe-core): clean page loads, no serious
//! accessibility violations, no horizontal scrolling on a phone, no request to another
//! host, a real 404 page. The checks themselves live in tests/browser/run.mjs.
//!
//! Needs Node, `npm ci --prefix tests/browser` and Chromium (env `CHROMIUM`, default
//! /usr/bin/chromium). Without them the test is skipped, unless
//! `CERTPRESS_BROWSER_TESTS=required` (as in CI), when it fails.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// What is missing for the browser checks, if anything.
fn missing(chromium: &Path) -> Vec<String> {
    let mut missing = Vec::new();
    let node_ok = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !node_ok {
        missing.push("`node` is not on PATH (Node 20 or later)".to_string());
    }
    let modules = repo().join("tests/browser/node_modules");
    for file in ["playwright-core/package.json", "axe-core/axe.min.js"] {
        if !modules.join(file).is_file() {
            missing.push(format!(
                "{} is missing: run `npm ci --prefix tests/browser`",
                modules.join(file).display()
            ));
        }
    }
    if !chromium.is_file() {
        missing.push(format!(
            "no Chromium at {}: run `apt-get install chromium`, or set CHROMIUM to its path",
            chromium.display()
        ));
    }
    missing
}

#[test]
fn example_site_in_a_real_browser() {
    let chromium = std::env::var_os("CHROMIUM")
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    let missing = missing(&chromium);
    if !missing.is_empty() {
        let list = missing.join("\n  ");
        if std::env::var("CERTPRESS_BROWSER_TESTS").as_deref() == Ok("required") {
            panic!(
                "CERTPRESS_BROWSER_TESTS=required but the browser tests cannot run:\n  {list}\n\
                 Install with `npm ci --prefix tests/browser` and `apt-get install chromium`."
            );
        }
        eprintln!(
            "skipped: browser tests (set CERTPRESS_BROWSER_TESTS=required to fail instead):\n  {list}"
        );
        return;
    }

    let (_dir, out) = build_example();
    let start = Instant::now();
    let o = Command::new("node")
        .arg(repo().join("tests/browser/run.mjs"))
        .arg(&out)
        .env("CHROMIUM", &chromium)
        .env("FORCE_COLOR", "0")
        .current_dir(repo())
        .output()
        .expect("run node");
    let log = format!("{}{}", stdout(&o), stderr(&o));
    assert!(
        o.status.success(),
        "browser checks failed ({}):\n{log}",
        o.status
    );
    println!(
        "{log}browser checks took {:.1} s",
        start.elapsed().as_secs_f64()
    );
}
