//! Command plugins, protocol 1: the wire format pinned by golden files, and real plugin
//! programs (Python and sh, present on every machine this project targets) exercising
//! success and every failure: crash, timeout, invalid JSON, protocol mismatch, a
//! program that writes its answer before reading its (large) request, one that closes
//! stdout and never exits, one that leaves processes behind, one that writes without
//! end, and the diagnostics a plugin reports.

mod common;
#[path = "../benches/synth.rs"]
mod synth;

use certpress::assess::command::{self, Request, RunError, WireProduct};
use common::*;
use serde_json::Value;
use std::fs;
use std::path::Path;

/// Adds a command plugin `zz-cmd` whose program is `script` (Python).
fn add_plugin(root: &Path, script: &str, timeout: u64) {
    add_program(
        root,
        "assess.py",
        &format!("#!/usr/bin/env python3\nimport json, sys, time\n{script}\n"),
        timeout,
    );
}

/// Adds a command plugin `zz-cmd` whose program is `script` (sh).
fn add_shell_plugin(root: &Path, script: &str, timeout: u64) {
    add_program(
        root,
        "assess.sh",
        &format!("#!/bin/sh\n{script}\n"),
        timeout,
    );
}

fn add_program(root: &Path, name: &str, text: &str, timeout: u64) {
    let dir = root.join("plugins/zz-cmd");
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("plugin.yaml"),
        format!("id: zz-cmd\nname: Test command plugin\nprotocol: 1\nversion: 0.1.0\nmarkets: [US]\ncommand: ./{name}\ntimeout_seconds: {timeout}\n"),
    )
    .unwrap();
    let program = dir.join(name);
    fs::write(&program, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&program, fs::Permissions::from_mode(0o755)).unwrap();
    }
}

const ANSWER: &str = r#"
req = json.load(sys.stdin)
print("zz-cmd: assessing", len(req["products"]), "products", file=sys.stderr)
out = {"protocol": 1, "assessments": [
    {"product": p["id"], "market": "US",
     "requirements": [{"id": "echo", "cite": "TEST 1", "title": "Echo of " + p["name"], "kind": "info", "status": "satisfied"}],
     "labels": [], "marks": []} for p in req["products"]], "diagnostics": []}
json.dump(out, sys.stdout)
"#;

fn check(root: &Path) -> (i32, Value, String) {
    let o = certpress(&["check", "--json", "--root", root.to_str().unwrap()]);
    let json = serde_json::from_str(&stdout(&o)).unwrap_or_else(|e| panic!("{e}: {}", stdout(&o)));
    (o.status.code().unwrap(), json, stderr(&o))
}

fn plugin_error(json: &Value) -> String {
    let d = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "plugin-failed")
        .expect("a plugin-failed error");
    assert_eq!(d["file"], "plugins/zz-cmd/plugin.yaml");
    d["message"].as_str().unwrap().to_string()
}

#[test]
fn the_wire_format_is_pinned() {
    // A fixed vocabulary, so the golden file changes only when the format does.
    let site_dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("tests/invalid/_base"), site_dir.path());
    let vocab = site_dir.path().join("plugins/zz-vocab");
    fs::create_dir_all(&vocab).unwrap();
    fs::write(
        vocab.join("plugin.yaml"),
        "id: zz-vocab\nname: Vocabulary\nprotocol: 1\nversion: 1.0.0\nmarkets: [US]\nvocabulary:\n  categories: { toy: Toy }\n  attributes: { painted: { type: bool, default: false }, pieces: { type: int, default: 1 } }\n  declarations: { tracking-label: Tracking label }\n",
    )
    .unwrap();
    let (site, diags) = certpress::site::load(site_dir.path(), &Default::default());
    assert!(!diags.has_errors());
    let site = site.unwrap();
    let request = Request {
        protocol: 1,
        plugin: "zz-cmd",
        as_of: certpress::date::iso(site.as_of),
        products: site
            .content
            .products
            .iter()
            .map(|p| WireProduct::new(p, &site.vocabulary, site.as_of))
            .collect(),
    };
    let got: Value = serde_json::to_value(&request).unwrap();
    if std::env::var_os("CERTPRESS_BLESS").is_some() {
        fs::write(
            repo().join("tests/golden/request.json"),
            serde_json::to_string_pretty(&got).unwrap() + "\n",
        )
        .unwrap();
    }
    let golden: Value = serde_json::from_str(
        &fs::read_to_string(repo().join("tests/golden/request.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        got, golden,
        "the request format changed: protocol 1 plugins depend on it"
    );

    let response = fs::read(repo().join("tests/golden/response.json")).unwrap();
    let parsed = command::parse_response(&response).unwrap();
    let asked: Vec<_> = site.content.products.iter().map(|p| &**p).collect();
    let answer = command::answer("zz-cmd", "plugins/zz-cmd/plugin.yaml", parsed, &asked).unwrap();
    let list = answer.assessments;
    assert_eq!(list.len(), 1);
    assert_eq!(
        list[0].1.certificate.as_ref().unwrap().number,
        "CERT-GOOD-XX-DOC"
    );
    // Its diagnostic is the run's, at the product's `id` line.
    let d = &answer.diagnostics[..];
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(
        (d[0].severity, d[0].file.as_str(), d[0].line),
        (
            certpress::diagnostic::Severity::Warning,
            "content/products/good.yaml",
            1
        )
    );
    assert_eq!(
        d[0].message,
        "plugin `zz-cmd` reports `example`: an example diagnostic"
    );
    // Unknown fields are tolerated; a missing protocol or another one is refused.
    assert!(command::parse_response(br#"{"protocol":1,"assessments":[],"future":true}"#).is_ok());
    assert_eq!(
        command::parse_response(br#"{"protocol":2}"#).unwrap_err(),
        RunError::Protocol(2, 1)
    );
    assert!(matches!(
        command::parse_response(br#"{"assessments":[]}"#),
        Err(RunError::BadJson(_))
    ));
}

#[test]
fn a_command_plugin_assesses_in_one_batch() {
    let site = base_site();
    add_plugin(site.path(), ANSWER, 20);
    let (code, json, log) = check(site.path());
    assert_eq!(code, 0, "{json:#}");
    assert!(
        log.contains("zz-cmd: assessing 1 products"),
        "stderr passes through: {log}"
    );
    let good = json["products"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "good")
        .unwrap();
    let a = good["assessments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["plugin"] == "zz-cmd")
        .expect("assessed by zz-cmd");
    assert_eq!(a["requirements"][0]["title"], "Echo of Good Toy");
    // Its assessments render like a rule pack's.
    let out = site.path().join("public");
    let o = certpress(&["build", "--root", site.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        fs::read_to_string(out.join("products/good/index.html"))
            .unwrap()
            .contains("Echo of Good Toy")
    );
}

#[test]
fn failures_are_clear_errors_naming_the_plugin() {
    for (script, timeout, expect) in [
        (
            "sys.stdin.read()\nprint('boom', file=sys.stderr)\nsys.exit(3)",
            20,
            "exited with exit status: 3",
        ),
        ("time.sleep(30)", 1, "did not finish within 1 s"),
        (
            "sys.stdin.read()\nprint('this is not json')",
            20,
            "invalid JSON",
        ),
        (
            "sys.stdin.read()\nprint(json.dumps({'protocol': 2}))",
            20,
            "protocol 2",
        ),
        (
            "sys.stdin.read()\nprint(json.dumps({'protocol': 1, 'assessments': [{'product': 'nobody', 'market': 'US'}]}))",
            20,
            "not in the request",
        ),
    ] {
        let site = base_site();
        add_plugin(site.path(), script, timeout);
        let started = std::time::Instant::now();
        let (code, json, _) = check(site.path());
        assert_eq!(code, 2, "{script}: {json:#}");
        let message = plugin_error(&json);
        assert!(
            message.contains("command plugin `zz-cmd`") && message.contains(expect),
            "{script}: {message}"
        );
        assert!(
            started.elapsed().as_secs() < 15,
            "{script} was not stopped in time"
        );
    }
}

#[test]
fn a_plugin_that_answers_before_reading_does_not_deadlock() {
    // 400 products make a request far larger than a pipe's buffer; the program fills
    // stdout (leading whitespace is valid JSON) before it reads stdin.
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    synth::generate(&repo(), &site, 400);
    add_plugin(
        &site,
        &format!("sys.stdout.write(' ' * 300000)\nsys.stdout.flush()\n{ANSWER}"),
        20,
    );
    let (code, json, _) = check(&site);
    assert_eq!(code, 0, "{:#}", json["diagnostics"]);
    let assessed = json["products"].as_array().unwrap().iter().filter(|p| {
        p["assessments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["plugin"] == "zz-cmd")
    });
    assert_eq!(assessed.count(), 400);
}

#[test]
fn a_command_must_stay_in_its_folder() {
    let site = base_site();
    add_plugin(site.path(), ANSWER, 20);
    let manifest = site.path().join("plugins/zz-cmd/plugin.yaml");
    let text = fs::read_to_string(&manifest)
        .unwrap()
        .replace("./assess.py", "../../../bin/sh");
    fs::write(&manifest, text).unwrap();
    let (code, json, _) = check(site.path());
    assert_eq!(code, 2);
    let d = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "bad-plugin")
        .expect("bad-plugin");
    assert_eq!(d["line"], 6);
}

// ---------- Stopping a plugin: one deadline, the whole process group, capped output ----------

/// A number no other process on the machine has in its command line: `sleep 1000.<it>`
/// sleeps as long as `sleep 1000` and lets the test find the processes it started.
fn marker() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{}{nanos:09}{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Live processes whose command line contains one of `needles` (a zombie's is empty).
fn processes_with(needles: &[&str]) -> Vec<(i32, String)> {
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").unwrap().filter_map(Result::ok) {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(bytes) = fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&bytes).replace('\0', " ");
        if needles.iter().any(|n| cmdline.contains(n)) {
            found.push((pid, cmdline));
        }
    }
    found
}

/// The processes matching `needles` still alive after a grace second (a killed process
/// takes a moment to leave /proc). Any found are killed, by pid, so a failing test
/// leaves nothing behind either.
fn survivors(needles: &[&str]) -> Vec<(i32, String)> {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(1);
    loop {
        let found = processes_with(needles);
        if found.is_empty() || std::time::Instant::now() > until {
            for (pid, _) in &found {
                // SAFETY: kill has no memory effects; these are this test's sleeps.
                unsafe {
                    libc::kill(*pid, libc::SIGKILL);
                }
            }
            return found;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// `certpress check --json` on `root`, killed if it runs longer than `limit` (so a hang
/// fails the test instead of stalling it), optionally with its data segment capped at
/// `data` bytes (so a runaway reader fails the test instead of eating the machine).
/// Output goes to files, not pipes: a process the plugin leaves behind must not keep
/// the test waiting for the end of a pipe. Returns (exit code, stdout, stderr, time);
/// `None` for the code when certpress was killed or died of a signal.
fn check_within(
    root: &Path,
    limit: std::time::Duration,
    data: Option<u64>,
) -> (Option<i32>, String, String, std::time::Duration) {
    use std::io::{Read, Seek};
    let mut out = tempfile::tempfile().unwrap();
    let mut err = tempfile::tempfile().unwrap();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_certpress"));
    command
        .args(["check", "--json", "--root", root.to_str().unwrap()])
        .env_remove("SOURCE_DATE_EPOCH")
        .stdin(std::process::Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(err.try_clone().unwrap());
    if let Some(bytes) = data {
        use std::os::unix::process::CommandExt;
        // SAFETY: setrlimit is async-signal-safe and allocates nothing.
        unsafe {
            command.pre_exec(move || {
                let l = libc::rlimit {
                    rlim_cur: bytes,
                    rlim_max: bytes,
                };
                if libc::setrlimit(libc::RLIMIT_DATA, &l) == 0 {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error())
                }
            });
        }
    }
    let started = std::time::Instant::now();
    let mut child = command.spawn().unwrap();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if started.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let took = started.elapsed();
    let read = |f: &mut fs::File| {
        let mut s = String::new();
        f.rewind().unwrap();
        f.read_to_string(&mut s).unwrap();
        s
    };
    (
        status.and_then(|s| s.code()),
        read(&mut out),
        read(&mut err),
        took,
    )
}

/// The one `plugin-failed` error of a `check --json` run's output.
fn plugin_failure(code: Option<i32>, out: &str, err: &str) -> String {
    assert_eq!(code, Some(2), "stdout: {out}\nstderr: {err}");
    plugin_error(&serde_json::from_str(out).unwrap())
}

#[test]
fn a_plugin_is_stopped_with_everything_it_started() {
    // Three plugins at once (each waits out its own timeout), each leaving sleeps
    // behind whose command line carries a marker:
    // - `closed` closes stdout and never exits, with a background sleep: stdout ends at
    //   once, the program does not, and the deadline must still cover its exit;
    // - `held` leaves a sleep holding stdout open, and never exits;
    // - `answered` answers and exits, leaving a sleep holding stdout: its answer
    //   counts, without waiting for the deadline, and the sleep is killed.
    let cases = [
        (
            "closed",
            "exec >&-\nsleep 1000.{m} &\nsleep 1000.{m}",
            2,
            Some("did not finish within 2 s"),
        ),
        (
            "held",
            "sleep 1000.{m} &\nexec >&-\nsleep 1000.{m}",
            2,
            Some("did not finish within 2 s"),
        ),
        (
            "answered",
            "cat >/dev/null\nsleep 1000.{m} &\nprintf '%s' '{\"protocol\":1,\"assessments\":[],\"diagnostics\":[]}'",
            10,
            None,
        ),
    ];
    let runs: Vec<_> = cases
        .into_iter()
        .map(|(name, script, timeout, expect)| {
            std::thread::spawn(move || {
                let site = base_site();
                let m = marker();
                add_shell_plugin(site.path(), &script.replace("{m}", &m), timeout);
                let program = site
                    .path()
                    .canonicalize()
                    .unwrap()
                    .join("plugins/zz-cmd/assess.sh");
                let (code, out, err, took) =
                    check_within(site.path(), std::time::Duration::from_secs(20), None);
                let left = survivors(&[&m, program.to_str().unwrap()]);
                (name, timeout, expect, code, out, err, took, left)
            })
        })
        .collect();
    for run in runs {
        let (name, timeout, expect, code, out, err, took, left) = run.join().unwrap();
        assert!(
            took.as_secs_f64() < timeout as f64 + 2.0,
            "{name}: certpress took {took:?} with a {timeout} s timeout (stderr: {err})"
        );
        match expect {
            Some(expect) => {
                let message = plugin_failure(code, &out, &err);
                assert!(message.contains(expect), "{name}: {message}");
            }
            None => assert_eq!(code, Some(0), "{name}: {out}\n{err}"),
        }
        assert!(
            left.is_empty(),
            "{name}: processes of the plugin outlived the run: {left:?}"
        );
    }
}

#[test]
fn a_plugin_writing_without_end_is_stopped_at_the_cap() {
    // `yes` never reads its request and never stops writing. The data segment is capped
    // at 1 GiB: a host reading without a limit aborts there instead of eating the
    // machine (and fails the test), one with the cap stops at 16 MiB and some.
    let site = base_site();
    add_shell_plugin(site.path(), "exec yes", 5);
    let (code, out, err, took) = check_within(
        site.path(),
        std::time::Duration::from_secs(20),
        Some(1 << 30),
    );
    let message = plugin_failure(code, &out, &err);
    assert!(
        message.contains("command plugin `zz-cmd`")
            && message.contains("wrote more than 16.1 MiB on stdout")
            && message.contains("1 product(s) (16 MiB plus 64 KiB a product)"),
        "{message}"
    );
    assert!(took.as_secs() < 5, "not stopped at the cap: {took:?}");
}

#[test]
fn a_plugins_diagnostics_count() {
    let respond = |diagnostics: &str| {
        format!(
            "sys.stdin.read()\nprint(json.dumps({{'protocol': 1, 'assessments': [], 'diagnostics': {diagnostics}}}))"
        )
    };
    // An error about a product is a content error at its record's `id` line (exit 1); a
    // warning about no product stays a warning, at the plugin's manifest.
    let site = base_site();
    add_plugin(
        site.path(),
        &respond(
            "[{'severity': 'error', 'message': 'bad thing', 'product': 'good'}, \
             {'severity': 'warning', 'code': 'stale-db', 'message': 'old data \\x1b[31m'}]",
        ),
        20,
    );
    let (code, json, _) = check(site.path());
    assert_eq!(code, 1, "{json:#}");
    let diagnostics = json["diagnostics"].as_array().unwrap();
    let ours: Vec<&Value> = diagnostics
        .iter()
        .filter(|d| d["code"] == "plugin-diagnostic")
        .collect();
    assert_eq!(ours.len(), 2, "{diagnostics:#?}");
    let error = ours.iter().find(|d| d["severity"] == "error").unwrap();
    assert_eq!(error["file"], "content/products/good.yaml");
    assert_eq!((&error["line"], &error["column"]), (&1.into(), &5.into()));
    assert_eq!(error["message"], "plugin `zz-cmd` reports: bad thing");
    let warning = ours.iter().find(|d| d["severity"] == "warning").unwrap();
    assert_eq!(warning["file"], "plugins/zz-cmd/plugin.yaml");
    // Untrusted text reaches JSON as it was sent (JSON escapes it); the terminal
    // report escapes it.
    assert_eq!(
        warning["message"],
        "plugin `zz-cmd` reports `stale-db`: old data \u{1b}[31m"
    );
    let o = certpress(&["check", "--root", site.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let report = stderr(&o) + &stdout(&o);
    assert!(
        report.contains("error[plugin-diagnostic]") && report.contains("bad thing"),
        "{report}"
    );

    // A warning about a product alone: the run passes, with the warning listed.
    let site = base_site();
    add_plugin(
        site.path(),
        &respond("[{'severity': 'warning', 'message': 'check this', 'product': 'good'}]"),
        20,
    );
    let (code, json, _) = check(site.path());
    assert_eq!(code, 0, "{json:#}");
    let d = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "plugin-diagnostic")
        .expect("the warning is listed");
    assert_eq!(
        (&d["severity"], &d["file"]),
        (&"warning".into(), &"content/products/good.yaml".into())
    );

    // An error about no product is the plugin's own (configuration, exit 2); an
    // unknown severity or product makes the whole response invalid.
    for (diagnostics, code_wanted, expect) in [
        (
            "[{'message': 'licence expired'}]",
            "plugin-diagnostic",
            "licence expired",
        ),
        (
            "[{'severity': 'fatal', 'message': 'x', 'product': 'good'}]",
            "plugin-failed",
            "severity \"fatal\"",
        ),
        (
            "[{'severity': 'error', 'message': 'x', 'product': 'nobody'}]",
            "plugin-failed",
            "product `nobody`, which was not in the request",
        ),
    ] {
        let site = base_site();
        add_plugin(site.path(), &respond(diagnostics), 20);
        let (code, json, _) = check(site.path());
        assert_eq!(code, 2, "{diagnostics}: {json:#}");
        let d = json["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["code"] == code_wanted)
            .unwrap_or_else(|| panic!("{diagnostics}: {json:#}"));
        assert_eq!(d["severity"], "error");
        assert_eq!(d["file"], "plugins/zz-cmd/plugin.yaml");
        assert!(
            d["message"].as_str().unwrap().contains(expect),
            "{diagnostics}: {d}"
        );
    }
}
