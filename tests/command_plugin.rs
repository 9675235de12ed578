//! Command plugins, protocol 1: the wire format pinned by golden files, and a real
//! plugin program (Python, present on every machine this project targets) exercising
//! success and every failure: crash, timeout, invalid JSON, protocol mismatch, and a
//! program that writes its answer before reading its (large) request.

mod common;
#[path = "../benches/synth.rs"]
mod synth;

use certpress::plugins::command::{self, Request, RunError, WireProduct};
use common::*;
use serde_json::Value;
use std::fs;
use std::path::Path;

fn base_site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("tests/invalid/_base"), dir.path());
    copy_dir(&repo().join("plugins"), &dir.path().join("plugins"));
    copy_dir(&repo().join("themes"), &dir.path().join("themes"));
    dir
}

/// Adds a command plugin `zz-cmd` whose program is `script` (Python).
fn add_plugin(root: &Path, script: &str, timeout: u64) {
    let dir = root.join("plugins/zz-cmd");
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("plugin.yaml"),
        format!("id: zz-cmd\nname: Test command plugin\nprotocol: 1\nversion: 0.1.0\nmarkets: [US]\ncommand: ./assess.py\ntimeout_seconds: {timeout}\n"),
    )
    .unwrap();
    let program = dir.join("assess.py");
    fs::write(
        &program,
        format!("#!/usr/bin/env python3\nimport json, sys, time\n{script}\n"),
    )
    .unwrap();
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
            .map(|p| WireProduct::new(p, &site.vocabulary))
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
    let list = command::assessments("zz-cmd", parsed, &["good"]).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        list[0].1.certificate.as_ref().unwrap().number,
        "CERT-GOOD-XX-DOC"
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
        ("time.sleep(30)", 1, "did not answer within 1 s"),
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
