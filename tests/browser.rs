//! Real-browser checks, with headless Chromium driven by playwright-core:
//!
//! - `example_site_in_a_real_browser` builds the example site with the debug binary, then
//!   runs `node tests/browser/run.mjs <site>`, which serves it on 127.0.0.1: clean page
//!   loads, no serious accessibility violations (axe-core), no horizontal scrolling on a
//!   phone, no request to another host, a real 404 page; at 390 px no word of a product
//!   name split across lines and every compliance table's status cell in view without
//!   scrolling. The checks live in run.mjs.
//! - `serve_reloads_the_open_tab_after_an_edit` starts `certpress serve` on a copy of the
//!   example site and runs `node tests/browser/serve.mjs <url> <copy>`: with a tab open on a
//!   product page, renaming the product reloads the tab by itself, breaking its record lays
//!   the error overlay (file:line:column) over the page, fixing it takes the overlay away.
//!
//! Needs Node, `npm ci --prefix tests/browser` and Chromium (env `CHROMIUM`, default
//! /usr/bin/chromium). Without them the tests are skipped, unless
//! `CERTPRESS_BROWSER_TESTS=required` (as in CI), when they fail.

mod common;

use common::*;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

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

/// The Chromium to use, or `None` when the browser tests cannot run here and may be skipped
/// (said on stderr). Panics instead under `CERTPRESS_BROWSER_TESTS=required`.
/// Runs `node tests/browser/<script> <args>` with `chromium`, from the repository.
fn node(script: &str, args: &[&std::ffi::OsStr], chromium: &Path) -> std::process::Output {
    Command::new("node")
        .arg(repo().join("tests/browser").join(script))
        .args(args)
        .env("CHROMIUM", chromium)
        .env("FORCE_COLOR", "0")
        .current_dir(repo())
        .output()
        .expect("run node")
}

fn chromium_or_skip() -> Option<PathBuf> {
    let chromium = std::env::var_os("CHROMIUM")
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    let missing = missing(&chromium);
    if missing.is_empty() {
        return Some(chromium);
    }
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
    None
}

#[test]
fn example_site_in_a_real_browser() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    let (_dir, out) = build_example();
    let start = Instant::now();
    let o = node("run.mjs", &[out.as_os_str()], &chromium);
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

/// A running `certpress serve`, killed when dropped, so a failing test leaves no server
/// behind. `log` collects everything it printed, for failure messages.
struct Server {
    child: Child,
    url: String,
    log: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `certpress serve --root <root> --port 0` and waits for its `Serving the site
    /// at <url>` line (the first build comes before it).
    fn start(root: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_certpress"))
            .args(["serve", "--root", root.to_str().unwrap(), "--port", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start certpress serve");
        let log = Arc::new(Mutex::new(String::new()));
        // Both streams are read to the end on their own threads, so a full pipe can never
        // block the server while it rebuilds; stdout's lines also go to `lines` so the
        // URL can be picked out.
        let (tx, lines) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        let out_log = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                out_log.lock().unwrap().push_str(&format!("{line}\n"));
                let _ = tx.send(line);
            }
        });
        let mut err = child.stderr.take().unwrap();
        let err_log = Arc::clone(&log);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = err.read(&mut buf) {
                err_log
                    .lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let mut server = Server {
            child,
            url: String::new(),
            log,
        };
        // The first build takes ~3 s in debug; 120 s leaves room for a loaded machine.
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(url) = line.strip_prefix("Serving the site at ") {
                        server.url = url.trim().to_string();
                        return server;
                    }
                }
                Err(e) => panic!(
                    "certpress serve printed no `Serving the site at` line ({e:?}):\n{}",
                    server.log()
                ),
            }
        }
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn serve_reloads_the_open_tab_after_an_edit() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    // serve.mjs edits a record, so it works on a copy.
    let site = example_copy();
    let start = Instant::now();
    let server = Server::start(site.path());
    let o = node(
        "serve.mjs",
        &[server.url.as_ref(), site.path().as_os_str()],
        &chromium,
    );
    let log = format!("{}{}", stdout(&o), stderr(&o));
    assert!(
        o.status.success(),
        "serve in the browser failed ({}):\n{log}\n--- certpress serve printed:\n{}",
        o.status,
        server.log()
    );
    println!(
        "{log}serve in the browser took {:.1} s",
        start.elapsed().as_secs_f64()
    );
}
