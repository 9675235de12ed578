//! Hostile input (issue 12, finding 4): CEL conditions, YAML records and guidance Markdown
//! shaped to overflow the stack or to take quadratic time. Each must end quickly, in a
//! located error where it is one, never in an abort. The wall-clock guard only keeps a
//! regression from hanging the suite; it is not a speed target.

mod common;

use common::*;
use serde_json::Value;
use std::fs;
use std::path::Path;
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

/// Far above what each run takes (well under a second in release).
const GUARD: Duration = Duration::from_secs(60);

/// The outcome of a run: how it ended and what it printed.
struct Run {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Run {
    /// The exit code; a death by signal (a stack overflow aborts) fails the test.
    fn code(&self) -> i32 {
        self.status.code().unwrap_or_else(|| {
            panic!(
                "certpress died by a signal ({:?}):\n{}",
                self.status,
                tail(&self.stderr)
            )
        })
    }

    /// The diagnostics of `check --json`.
    fn diagnostics(&self) -> Vec<Value> {
        let json: Value = serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}):\n{}\n{}",
                tail(&self.stdout),
                tail(&self.stderr)
            )
        });
        json["diagnostics"].as_array().unwrap().clone()
    }
}

/// The end of a long output, for messages (a diagnostic quotes its source line, which
/// here can be 100 KB).
fn tail(s: &str) -> &str {
    let mut start = s.len().saturating_sub(2000);
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}

/// Runs certpress on `root` with `args`, killed after [`GUARD`]. Output goes through files:
/// a pipe nobody reads while waiting would fill and stall the run.
fn run(root: &Path, args: &[&str]) -> Run {
    let out = tempfile::tempdir().unwrap();
    let (so, se) = (out.path().join("stdout"), out.path().join("stderr"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_certpress"))
        .args(args)
        .arg("--root")
        .arg(root)
        .env_remove("SOURCE_DATE_EPOCH")
        .stdout(fs::File::create(&so).unwrap())
        .stderr(fs::File::create(&se).unwrap())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > GUARD {
            let _ = child.kill();
            let _ = child.wait();
            panic!("certpress {args:?} still running after {GUARD:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        status,
        stdout: String::from_utf8_lossy(&fs::read(so).unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&fs::read(se).unwrap()).into_owned(),
    }
}

/// The one error diagnostic of `code` in `diags`, with its (line, column).
fn located<'a>(diags: &'a [Value], code: &str, file: &str) -> (&'a Value, u64, u64) {
    let found: Vec<&Value> = diags
        .iter()
        .filter(|d| d["code"] == code && d["severity"] == "error")
        .collect();
    assert_eq!(found.len(), 1, "one {code} error expected: {diags:#?}");
    let d = found[0];
    assert_eq!(d["file"], file, "{d:#}");
    (
        d,
        d["line"].as_u64().unwrap(),
        d["column"].as_u64().unwrap(),
    )
}

#[test]
fn huge_cel_conditions_are_located_errors_not_stack_overflows() {
    let plugin = "plugins/us-cpsc/plugin.yaml";
    for (what, condition) in [
        (
            "2,000 `+` terms",
            format!("{} > 0", vec!["1"; 2000].join(" + ")),
        ),
        (
            "2,000 `||` terms",
            vec!["has(product.gtin)"; 2000].join(" || "),
        ),
        (
            "2,000 nested parentheses",
            format!("{}true{}", "(".repeat(2000), ")".repeat(2000)),
        ),
    ] {
        let site = base_site();
        let path = site.path().join(plugin);
        let text = fs::read_to_string(&path).unwrap();
        let define = text.find("\ndefine:\n").expect("us-cpsc has defines") + "\ndefine:\n".len();
        let line = text[..define].lines().count() as u64 + 1;
        // Used by a certificate's `when`, so it would be evaluated too.
        let text = format!(
            "{}  hostile: \"{condition}\"\n{}",
            &text[..define],
            &text[define..]
        )
        .replacen("when: \"childrens\"", "when: \"childrens && hostile\"", 1);
        assert!(text.contains("childrens && hostile"));
        fs::write(&path, text).unwrap();

        let out = run(site.path(), &["check", "--json"]);
        assert_eq!(
            out.code(),
            2,
            "{what}: a plugin error is a configuration error"
        );
        let diags = out.diagnostics();
        let (d, at, column) = located(&diags, "bad-condition", plugin);
        assert_eq!(at, line, "{what}: {d:#}");
        assert!(column > "  hostile: \"".len() as u64, "{what}: {d:#}");
        let message = d["message"].as_str().unwrap();
        assert!(message.starts_with("define.hostile: "), "{what}: {message}");
        assert!(
            message.contains("split it into `define`s"),
            "{what}: {message}"
        );
        // The terminal report names the file and line too.
        let human = run(site.path(), &["check"]);
        assert_eq!(human.code(), 2, "{what}");
        assert!(
            human.stderr.contains(&format!("{plugin}:{line}:")),
            "{what}: {}",
            tail(&human.stderr)
        );
    }
}

#[test]
fn deeply_nested_yaml_is_too_complex_at_its_position() {
    let site = base_site();
    let file = "content/products/good.yaml";
    let path = site.path().join(file);
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("id: good\nname: Good Toy\n"));
    fs::write(
        &path,
        text.replacen(
            "name: Good Toy",
            &format!("name: {}", "[".repeat(100 * 1024)),
            1,
        ),
    )
    .unwrap();
    let out = run(site.path(), &["check", "--json"]);
    assert_eq!(out.code(), 1, "{}", tail(&out.stderr));
    let diags = out.diagnostics();
    let (d, line, column) = located(&diags, "yaml-too-complex", file);
    // Line 2; the mapping is the first level, so the 64th `[` (after `name: `) is the 65th.
    assert_eq!((line, column), (2, 7 + 63), "{d:#}");
    assert!(
        !diags.iter().any(|d| d["code"] == "wrong-type"),
        "{diags:#?}"
    );
}

/// A site whose one guidance page has `body`, built into a folder of its own.
fn build_guidance(body: &str) -> (tempfile::TempDir, Run) {
    let site = base_site();
    fs::write(
        site.path().join("content/guidance/hostile.md"),
        format!("---\ntitle: Hostile\n---\n{body}"),
    )
    .unwrap();
    let output = site.path().join("public");
    let out = run(
        site.path(),
        &["build", "--output", output.to_str().unwrap()],
    );
    (site, out)
}

#[test]
fn forty_thousand_identical_headings_get_unique_ids() {
    let (site, out) = build_guidance(&"## Notes\n\nText.\n\n".repeat(40_000));
    assert_eq!(out.code(), 0, "{}", tail(&out.stderr));
    let html = fs::read_to_string(site.path().join("public/guidance/hostile/index.html")).unwrap();
    let page = scraper::Html::parse_document(&html);
    let ids: Vec<&str> = page
        .select(&scraper::Selector::parse("[id]").unwrap())
        .filter_map(|e| e.value().attr("id"))
        .collect();
    let unique: std::collections::HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "duplicate ids on the page");
    let headings: Vec<&str> = page
        .select(&scraper::Selector::parse("h2[id]").unwrap())
        .filter_map(|e| e.value().attr("id"))
        .filter(|id| *id == "notes" || id.starts_with("notes-"))
        .collect();
    assert_eq!(headings.len(), 40_000);
    assert_eq!(headings[0], "notes");
    assert_eq!(headings[1], "notes-1");
    assert_eq!(headings[39_999], "notes-39999");
}

#[test]
fn deeply_nested_guidance_is_a_located_error() {
    let file = "content/guidance/hostile.md";
    // The body starts on line 4, after the front matter.
    for (what, body, column, message) in [
        (
            "50,000 nested `>`",
            format!("{} deep\n", ">".repeat(50_000)),
            101,
            "more than 100 levels deep",
        ),
        (
            "40,000 nested `<div>`",
            format!("{}\n", "<div>".repeat(40_000)),
            1,
            "more than 500 tags",
        ),
        (
            "150 nested `<div>`",
            format!("{}\n", "<div>".repeat(150)),
            1,
            "more than 100 levels deep",
        ),
        (
            "unclosed `<b>`s re-opened at every paragraph",
            format!(
                "<div>{}</div>{}\n",
                (0..100)
                    .map(|i| format!("<b title=\"{i}\">"))
                    .collect::<String>(),
                "<p>x</p>".repeat(350)
            ),
            1,
            "8-fold",
        ),
    ] {
        let (site, out) = build_guidance(&body);
        assert_eq!(out.code(), 1, "{what}: {}", tail(&out.stderr));
        let check = run(site.path(), &["check", "--json"]);
        assert_eq!(check.code(), 1, "{what}");
        let diags = check.diagnostics();
        let (d, line, col) = located(&diags, "guidance-too-complex", file);
        assert_eq!((line, col), (4, column), "{what}: {d:#}");
        assert!(
            d["message"].as_str().unwrap().contains(message),
            "{what}: {d:#}"
        );
        assert!(
            out.stderr.contains("guidance-too-complex"),
            "{what}: {}",
            tail(&out.stderr)
        );
    }
}
