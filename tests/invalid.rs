//! Every defect SPEC §10 lists, one site each under tests/invalid/<case>/: the shared
//! `_base` site with the case's files laid over it. Each case's expect.json names the
//! exit code and the diagnostics (code, file, line, and column where given, and text the
//! message or help must hold: `message_contains`, `help_contains`) that
//! `check --json` must report. The cases are checked in-process (tests/common/site_test.rs);
//! one test runs a few of them through the binary and expects the same answers.

mod common;

use common::site_test::{Checked, SiteTest, check_site};
use common::*;
use serde_json::Value;
use std::fs;
use std::path::Path;

/// The base site with the shipped plugins and theme, and `case`'s files laid over it.
fn case_test(case: &Path) -> SiteTest {
    SiteTest::invalid_base()
        .with_shipped_plugins()
        .with_shipped_theme()
        .overlay(case, &["expect.json"])
}

/// The same site in a temporary folder, for a test that adds to it on disk.
fn case_site(case: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("tests/invalid/_base"), dir.path());
    copy_dir(&repo().join("plugins"), &dir.path().join("plugins"));
    copy_dir(&repo().join("themes"), &dir.path().join("themes"));
    copy_dir(case, dir.path());
    fs::remove_file(dir.path().join("expect.json")).unwrap();
    dir
}

/// `certpress check --json` and `certpress check` of the site at `root`, through the binary.
fn check_binary(root: &Path) -> (i32, Value, String) {
    let o = certpress(&["check", "--json", "--root", root.to_str().unwrap()]);
    let json: Value = serde_json::from_str(&stdout(&o)).unwrap_or_else(|e| {
        panic!(
            "check --json printed invalid JSON ({e}):\n{}\n{}",
            stdout(&o),
            stderr(&o)
        )
    });
    let human = certpress(&["check", "--root", root.to_str().unwrap()]);
    (o.status.code().unwrap_or(-1), json, stderr(&human))
}

#[test]
fn the_base_site_is_clean() {
    let Checked { exit, json, .. } = SiteTest::invalid_base()
        .with_shipped_plugins()
        .with_shipped_theme()
        .check();
    assert_eq!(exit, 0, "{json:#}");
    assert_eq!(json["diagnostics"].as_array().unwrap().len(), 0, "{json:#}");
}

#[test]
fn the_binary_reports_as_the_library_does() {
    // The in-process check is `cli::run`'s `check` retold: the binary must agree with it
    // on the exit code, the whole JSON document and the terminal text, for a clean site,
    // a configuration error (exit 2), a plugin error and a content error (exit 1).
    for case in [
        None,
        Some("unknown-plugin"),
        Some("plugin-bad-condition"),
        Some("bad-gtin"),
        Some("theme-error"),
    ] {
        let (dir, checked) = match case {
            None => {
                let dir = base_site();
                let checked = check_site(dir.path(), true);
                (dir, checked)
            }
            Some(case) => {
                let dir = case_site(&repo().join("tests/invalid").join(case));
                let checked = check_site(dir.path(), true);
                (dir, checked)
            }
        };
        let (exit, json, human) = check_binary(dir.path());
        assert_eq!(exit, checked.exit, "{case:?}: exit code");
        assert_eq!(json, checked.json, "{case:?}: check --json");
        assert!(
            human.starts_with(&checked.human),
            "{case:?}: terminal text\n{human}\n---\n{}",
            checked.human
        );
    }
}

#[test]
fn every_invalid_case_reports_its_diagnostic() {
    let mut cases: Vec<_> = fs::read_dir(repo().join("tests/invalid"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("expect.json").is_file())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 20,
        "expected a case per SPEC §10 defect, found {}",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let expect: Value =
            serde_json::from_str(&fs::read_to_string(case.join("expect.json")).unwrap()).unwrap();
        let Checked {
            exit: code,
            json,
            human,
        } = case_test(case).check();
        if i64::from(code) != expect["exit"].as_i64().unwrap() {
            failures.push(format!(
                "{name}: exit {code}, expected {}\n{json:#}",
                expect["exit"]
            ));
            continue;
        }
        let got = json["diagnostics"].as_array().unwrap();
        for want in expect["diagnostics"].as_array().unwrap() {
            let found = got.iter().any(|d| {
                d["code"] == want["code"]
                    && d["file"] == want["file"]
                    && d["severity"] == "error"
                    && want.get("line").is_none_or(|l| d["line"] == *l)
                    && want.get("column").is_none_or(|c| d["column"] == *c)
                    && contains(d, "message", want)
                    && contains(d, "help", want)
            });
            if !found {
                failures.push(format!("{name}: no diagnostic like {want}; got {got:#?}"));
            }
            // The human output names the same place, compiler-style.
            if let Some(line) = want.get("line") {
                let place = format!("{}:{}:", want["file"].as_str().unwrap(), line);
                if !human.contains(&place) {
                    failures.push(format!("{name}: human output lacks {place}:\n{human}"));
                }
            }
        }
        // A file whose problems are all reading errors gets those and nothing else: the
        // stand-ins that let the rest of it be read (for a missing or mistyped field)
        // must not make errors of their own.
        let wants = expect["diagnostics"].as_array().unwrap();
        let mut files: Vec<&str> = wants.iter().filter_map(|w| w["file"].as_str()).collect();
        files.dedup();
        for file in files {
            let wanted: Vec<&Value> = wants.iter().filter(|w| w["file"] == file).collect();
            if !wanted.iter().all(|w| {
                ["unknown-key", "wrong-type", "wrong-value", "missing-key"]
                    .contains(&w["code"].as_str().unwrap())
            }) {
                continue;
            }
            let errors: Vec<&Value> = got
                .iter()
                .filter(|d| d["file"] == file && d["severity"] == "error")
                .collect();
            if errors.len() != wanted.len() {
                failures.push(format!(
                    "{name}: {file} has {} errors, {} expected: {errors:#?}",
                    errors.len(),
                    wanted.len()
                ));
            }
        }
        assert!(!human.contains("panicked"), "{name} panicked:\n{human}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Whether diagnostic `d`'s `field` (message or help) holds every text `want` lists under
/// `<field>_contains` (one string or several).
fn contains(d: &Value, field: &str, want: &Value) -> bool {
    let Some(texts) = want.get(format!("{field}_contains")) else {
        return true;
    };
    let have = d[field].as_str().unwrap_or_default();
    match texts {
        Value::Array(all) => all.iter().all(|t| have.contains(t.as_str().unwrap())),
        t => have.contains(t.as_str().unwrap()),
    }
}

#[test]
fn a_100_mb_record_is_refused_without_reading_it() {
    let site = case_site(&repo().join("tests/invalid/bad-age"));
    let f = fs::File::create(site.path().join("content/products/huge.yaml")).unwrap();
    f.set_len(100 * 1024 * 1024).unwrap();
    let Checked {
        exit: code, json, ..
    } = check_site(site.path(), true);
    assert_eq!(code, 1);
    let d = &json["diagnostics"];
    assert!(
        d.as_array()
            .unwrap()
            .iter()
            .any(|d| d["code"] == "file-too-large" && d["file"] == "content/products/huge.yaml"),
        "{d:#}"
    );
}

#[test]
fn all_problems_are_reported_in_one_run() {
    // Two defective files and several defects in one record: every one is reported.
    let Checked {
        exit: code, json, ..
    } = case_test(&repo().join("tests/invalid/bad-gtin"))
        .overlay(&repo().join("tests/invalid/unknown-party"), &["expect.json"])
        .product(
            "many",
            "id: many\nname: Many\nmodel: M\nmanufacturer: nobody\ngtin: \"123\"\nmarkets: [XX]\ncategories: [robot]\n",
        )
        .check();
    assert_eq!(code, 1);
    let codes: Vec<(&str, &str)> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["file"].as_str().unwrap(), d["code"].as_str().unwrap()))
        .collect();
    for want in [
        ("content/products/bad.yaml", "unknown-party"),
        ("content/products/many.yaml", "unknown-party"),
        ("content/products/many.yaml", "bad-gtin"),
        ("content/products/many.yaml", "bad-market"),
        ("content/products/many.yaml", "unknown-category"),
    ] {
        assert!(codes.contains(&want), "missing {want:?} in {codes:?}");
    }
}

/// Problems that leave no record to read on: the document does not parse (syntax,
/// indentation, repeated keys, too large or deep), or two records are compared.
const UNMENDABLE: &[&str] = &[
    "yaml-syntax",
    "duplicate-key",
    "bad-indent",
    "not-utf8",
    "yaml-too-complex",
    "yaml-too-deep",
    "file-too-large",
    "duplicate-gtin",
];

#[test]
fn a_missing_required_field_hides_no_other_problem() {
    // Every invalid case whose problems are in product or party records, with a required
    // field taken out of each such record (`manufacturer` of a product, `kind` of a
    // party): the case's own problems are still reported, reading errors included, and
    // so is the missing field, in the same run.
    let mut failures = Vec::new();
    let (mut tried, mut tried_reading) = (0, 0);
    let mut cases: Vec<_> = fs::read_dir(repo().join("tests/invalid"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("expect.json").is_file())
        .collect();
    cases.sort();
    let required = |file: &str| {
        if file.starts_with("content/products/") {
            Some("manufacturer")
        } else if file.starts_with("content/parties/") {
            Some("kind")
        } else {
            None
        }
    };
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let expect: Value =
            serde_json::from_str(&fs::read_to_string(case.join("expect.json")).unwrap()).unwrap();
        let wants: Vec<&Value> = expect["diagnostics"].as_array().unwrap().iter().collect();
        let in_records = |w: &&Value| w["file"].as_str().and_then(required).is_some();
        // Two records sharing a GTIN are compared once both are read whole; syntax and
        // indentation errors leave no tree to mend: not these.
        let whole = wants
            .iter()
            .any(|w| UNMENDABLE.contains(&w["code"].as_str().unwrap()));
        if wants.is_empty() || !wants.iter().all(in_records) || whole {
            continue;
        }
        let mut site = case_test(case);
        let mut changed = Vec::new();
        for w in &wants {
            let file = w["file"].as_str().unwrap();
            let field = required(file).unwrap();
            let Ok(text) = fs::read_to_string(case.join(file)) else {
                continue;
            };
            let prefix = format!("{field}:");
            let Some((at, line)) = text
                .lines()
                .enumerate()
                .find(|(_, l)| l.starts_with(&prefix))
            else {
                continue;
            };
            // A case about that very line (a manufacturer of the wrong kind) would lose
            // its problem with it.
            let about_it = w["line"].as_u64() == Some(at as u64 + 1);
            if changed.contains(&(file, field)) || line.contains("nobody") || about_it {
                continue;
            }
            let without: String = text
                .lines()
                .filter(|l| !l.starts_with(&prefix))
                .map(|l| format!("{l}\n"))
                .collect();
            site = site.file(file, without);
            changed.push((file, field));
        }
        if changed.is_empty() {
            continue;
        }
        tried += 1;
        if wants.iter().any(|w| {
            ["wrong-type", "unknown-key", "wrong-value"].contains(&w["code"].as_str().unwrap())
        }) {
            tried_reading += 1;
        }
        let Checked { json, .. } = site.check();
        let got = json["diagnostics"].as_array().unwrap();
        let has = |code: &str, file: &str| {
            got.iter()
                .any(|d| d["code"] == code && d["file"] == file && d["severity"] == "error")
        };
        for w in &wants {
            let (code, file) = (w["code"].as_str().unwrap(), w["file"].as_str().unwrap());
            if !has(code, file) {
                failures.push(format!(
                    "{name} without a required field: no {code} in {file}: {got:#?}"
                ));
            }
        }
        for (file, field) in &changed {
            let missing = got.iter().any(|d| {
                d["code"] == "missing-key"
                    && d["file"] == *file
                    && d["message"]
                        .as_str()
                        .unwrap()
                        .contains(&format!("`{field}`"))
            });
            if !missing {
                failures.push(format!(
                    "{name}: {file} lacks `{field}`, not reported: {got:#?}"
                ));
            }
        }
    }
    assert!(tried >= 20, "only {tried} cases tried");
    assert!(
        tried_reading >= 4,
        "only {tried_reading} cases with reading errors tried"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
