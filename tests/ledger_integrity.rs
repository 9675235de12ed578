//! The ledger's history cannot be lost quietly (SPEC §7: versions are never removed): a
//! version taken out of `certificates.lock` stops `check`, `build` and `issue` at the
//! ledger's line instead of leaving the site or being issued again under a new date;
//! concurrent `issue` runs take turns; a killed `issue` leaves the old ledger or the new one.

mod common;
#[path = "../benches/synth.rs"]
mod synth;

use common::*;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const US_CPC: &str = "LO-RAINBOW-STACKER-US-CPC";

fn run(args: &[&str], root: &Path) -> std::process::Output {
    let mut all = args.to_vec();
    all.extend(["--root", root.to_str().unwrap()]);
    certpress(&all)
}

fn ledger(root: &Path) -> String {
    fs::read_to_string(root.join("certificates.lock")).unwrap()
}

/// The 1-based line of the ledger that starts with `start`.
fn line_of(text: &str, start: &str) -> usize {
    text.lines()
        .position(|l| l.starts_with(start))
        .unwrap_or_else(|| panic!("no line {start}"))
        + 1
}

/// `text` without the line that starts with `start`.
fn without_line(text: &str, start: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with(start))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// A copy of the example site that prints only SVG labels: PNG and PDF labels take most
/// of a debug build's time, and these tests are about the ledger.
fn example_site() -> tempfile::TempDir {
    let site = example_copy();
    let config = site.path().join("site.toml");
    let toml = fs::read_to_string(&config).unwrap();
    let svg_only = toml.replace(
        "formats = [\"svg\", \"png\", \"pdf\", \"zpl\"]",
        "formats = [\"svg\"]",
    );
    assert_ne!(svg_only, toml);
    fs::write(&config, svg_only).unwrap();
    site
}

/// A new lot changes the US certificate of the rainbow stacker; issued on 2026-12-01 it
/// becomes v2.
fn issue_v2(root: &Path) {
    let record = root.join("content/products/toys/rainbow-stacker.yaml");
    let yaml = fs::read_to_string(&record).unwrap();
    let with_lot = yaml.replace(
        "evidence:\n",
        "  - lot: \"2026-10C\"\n    made: 2026-10\n    place: Ningbo, Zhejiang, China\nevidence:\n",
    );
    assert_ne!(with_lot, yaml);
    fs::write(&record, with_lot).unwrap();
    let o = run(&["issue", "--as-of", "2026-12-01"], root);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(&format!("Issued {US_CPC} v2")),
        "{}",
        stdout(&o)
    );
}

fn build(root: &Path) -> std::process::Output {
    run(&["build", "--as-of", "2026-12-01"], root)
}

/// Removing the latest version (here v2, whose removal breaks no chain: nothing follows
/// it) is caught against the published output: `check` and `build` report it at the line
/// of the version left, the build leaves public/ as it was, and `issue` issues nothing
/// (it would otherwise issue a new v2 under a new date).
#[test]
fn removing_the_latest_version_is_refused_at_its_ledger_line() {
    let site = example_site();
    let root = site.path();
    issue_v2(root);
    let o = build(root);
    assert!(o.status.success(), "{}", stderr(&o));
    let published = read_tree(&root.join("public"));
    assert!(published.contains_key(&format!("certificates/{US_CPC}/v2/index.html")));

    let shrunk = without_line(&ledger(root), &format!("{US_CPC} v2 "));
    fs::write(root.join("certificates.lock"), &shrunk).unwrap();
    let at = format!(
        "certificates.lock:{}:1",
        line_of(&shrunk, &format!("{US_CPC} v1 "))
    );

    let o = run(&["check"], root);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    for s in [
        "error[ledger-shrunk]",
        &format!("{US_CPC} v2, issued 2026-12-01"),
        &at,
        "never removed",
    ] {
        assert!(stderr(&o).contains(s), "{s}:\n{}", stderr(&o));
    }

    let o = build(root);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("error[ledger-shrunk]"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains(&at), "{}", stderr(&o));
    assert!(
        read_tree(&root.join("public")) == published,
        "public/ changed"
    );

    let o = run(&["issue", "--as-of", "2026-12-05"], root);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains(&at), "{}", stderr(&o));
    assert!(!stdout(&o).contains("Issued"), "{}", stdout(&o));
    assert_eq!(ledger(root), shrunk, "issue wrote the ledger");
}

/// A certificate whose only version is removed leaves no chain to break: the build and
/// `issue` refuse it because the output publishes it, at the ledger's last line, and
/// `issue` writes nothing. Put back, everything works again.
#[test]
fn removing_a_published_certificate_is_refused_and_issue_writes_nothing() {
    let site = example_site();
    let root = site.path();
    let o = run(&["build"], root);
    assert!(o.status.success(), "{}", stderr(&o));
    let published = read_tree(&root.join("public"));

    let full = ledger(root);
    let shrunk = without_line(&full, "LO-RAINBOW-STACKER-EU-DOC v1 ");
    fs::write(root.join("certificates.lock"), &shrunk).unwrap();
    let at = format!("certificates.lock:{}:1", shrunk.lines().count());

    let o = run(&["build"], root);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    for s in [
        "error[ledger-shrunk]",
        "LO-RAINBOW-STACKER-EU-DOC v1, issued 2026-11-23 and published in public/",
        &at,
    ] {
        assert!(stderr(&o).contains(s), "{s}:\n{}", stderr(&o));
    }
    assert!(
        read_tree(&root.join("public")) == published,
        "public/ changed"
    );

    let o = run(&["issue"], root);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains(&at), "{}", stderr(&o));
    assert!(stderr(&o).contains("Nothing was issued"), "{}", stderr(&o));
    assert!(!stdout(&o).contains("Issued"), "{}", stdout(&o));
    assert_eq!(ledger(root), shrunk, "issue wrote the ledger");

    // The whole ledger gone is the same loss.
    fs::remove_file(root.join("certificates.lock")).unwrap();
    let o = run(&["issue"], root);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("certificates.lock is missing"),
        "{}",
        stderr(&o)
    );
    assert!(!root.join("certificates.lock").exists());

    fs::write(root.join("certificates.lock"), &full).unwrap();
    let o = run(&["issue"], root);
    assert!(
        stdout(&o).contains("0 new versions issued"),
        "{}",
        stdout(&o)
    );
    let o = run(&["build"], root);
    assert!(o.status.success(), "{}", stderr(&o));
    let manifest = fs::read_to_string(root.join("public/.certpress-ledger")).unwrap();
    assert!(
        manifest.contains("\nLO-RAINBOW-STACKER-EU-DOC v1 2026-11-23 sha256:"),
        "{manifest}"
    );
}

/// From v2 on a line names the hash of the line before it: a tampered `prev:` hash, or an
/// earlier version edited where its content hash does not reach (its date), is an error at
/// that line, for `check` and `build` alike.
#[test]
fn a_broken_chain_is_an_error_at_its_line() {
    let site = example_site();
    let root = site.path();
    issue_v2(root);
    let text = ledger(root);
    let v2 = line_of(&text, &format!("{US_CPC} v2 "));
    let v2_text = text.lines().nth(v2 - 1).unwrap();
    let column = v2_text
        .find(" prev:sha256:")
        .unwrap_or_else(|| panic!("v2 names no previous version: {v2_text}"))
        + 2;
    let at = format!("certificates.lock:{v2}:{column}");

    // One digit of the hash changed.
    let digit = column - 1 + "prev:sha256:".len();
    let flipped = if &v2_text[digit..=digit] == "0" {
        "1"
    } else {
        "0"
    };
    let tampered = format!("{}{flipped}{}", &v2_text[..digit], &v2_text[digit + 1..]);
    fs::write(
        root.join("certificates.lock"),
        text.replacen(v2_text, &tampered, 1),
    )
    .unwrap();
    for command in ["check", "build"] {
        let o = run(&[command], root);
        assert_eq!(o.status.code(), Some(1), "{command}: {}", stderr(&o));
        assert!(stderr(&o).contains("error[bad-ledger]"), "{}", stderr(&o));
        assert!(stderr(&o).contains(&at), "{command}: {at}\n{}", stderr(&o));
        assert!(
            stderr(&o).contains("was removed, renumbered or edited"),
            "{}",
            stderr(&o)
        );
    }

    // v1 re-dated: its content still matches its hash, but not the line v2 names.
    let redated = text.replacen(
        &format!("{US_CPC} v1 2026-11-23 "),
        &format!("{US_CPC} v1 2026-11-01 "),
        1,
    );
    assert_ne!(redated, text);
    fs::write(root.join("certificates.lock"), redated).unwrap();
    let o = run(&["check"], root);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains(&at), "{at}\n{}", stderr(&o));

    fs::write(root.join("certificates.lock"), &text).unwrap();
    let o = run(&["check"], root);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// Eight `issue` runs at once on a site with no ledger: all succeed, the ledger parses,
/// and each certificate is issued exactly once (the runs take turns, so all but one find
/// nothing new), never overwritten by a run that read the ledger before another saved.
#[test]
fn concurrent_issue_runs_take_turns() {
    let site = example_site();
    let root = site.path();
    fs::remove_file(root.join("certificates.lock")).unwrap();
    let children: Vec<_> = (0..8)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_certpress"))
                .args(["issue", "--root", root.to_str().unwrap()])
                .env_remove("SOURCE_DATE_EPOCH")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut issued: BTreeMap<String, usize> = BTreeMap::new();
    for child in children {
        let o = child.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        for line in stdout(&o).lines() {
            if let Some(version) = line.strip_prefix("Issued ") {
                *issued.entry(version.to_string()).or_default() += 1;
            }
        }
    }
    let text = ledger(root);
    let held: Vec<String> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split(' ').take(2).collect::<Vec<_>>().join(" "))
        .collect();
    assert!(held.len() > 20, "{text}");
    assert_eq!(issued.keys().cloned().collect::<Vec<_>>(), held);
    assert!(issued.values().all(|n| *n == 1), "{issued:#?}");
    let o = run(&["check"], root);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(temporary_ledgers(root), Vec::<String>::new());
}

/// Files beside the ledger that are not it: temporary ledgers.
fn temporary_ledgers(root: &Path) -> Vec<String> {
    fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".certificates.lock"))
        .collect()
}

/// `kill -9` of `issue` at any moment: 20 kills, the first at its start and the rest
/// closing in (by bisection) on the moment the ledger is replaced, where a torn write
/// would show. The ledger is always exactly the old one or the new one, and a killed
/// run's temporary file neither breaks the next run nor outlives it.
#[test]
fn a_killed_issue_leaves_the_old_ledger_or_the_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    synth::generate(&repo(), &site, 60);
    let o = run(&["issue"], &site);
    assert!(o.status.success(), "{}", stderr(&o));
    let old = ledger(&site);
    // A new name for every maker changes every certificate: each gets a v2.
    for e in fs::read_dir(site.join("content/parties")).unwrap() {
        let path = e.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("maker-")
        {
            let yaml = fs::read_to_string(&path).unwrap();
            fs::write(&path, yaml.replace("Co., Ltd.", "Company Ltd.")).unwrap();
        }
    }
    let args = [
        "issue",
        "--as-of",
        "2026-12-01",
        "--root",
        site.to_str().unwrap(),
    ];
    // The new ledger, from a run left to finish; timed, to know where to aim.
    let started = Instant::now();
    let o = certpress(&args);
    let full_run = started.elapsed();
    assert!(o.status.success(), "{}", stderr(&o));
    let new = ledger(&site);
    assert!(new.contains(" v2 ") && new.len() > old.len());

    let (mut early, mut late) = (Duration::ZERO, full_run * 2);
    let (mut saw_old, mut saw_new) = (0, 0);
    let mut torn = std::collections::BTreeSet::new();
    for i in 0..20 {
        let delay = if i == 0 { early } else { (early + late) / 2 };
        fs::write(site.join("certificates.lock"), &old).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_certpress"))
            .args(args)
            .env_remove("SOURCE_DATE_EPOCH")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        // SIGKILL: no destructor, no cleanup.
        let _ = child.kill();
        child.wait().unwrap();
        // Named by process: the next run removes them, so count each one seen.
        torn.extend(temporary_ledgers(&site));
        let now = ledger(&site);
        if now == old {
            saw_old += 1;
            early = delay;
        } else if now == new {
            saw_new += 1;
            late = delay;
        } else {
            panic!(
                "after a kill at {delay:?} the ledger is neither the old nor the new one ({} bytes)",
                now.len()
            );
        }
    }
    eprintln!(
        "full run {full_run:?}; kills: {saw_old} left the old ledger, {saw_new} the new, \
         {} a temporary file; replaced between {early:?} and {late:?}",
        torn.len()
    );
    assert!(saw_old > 0);

    // Whatever killed runs left behind, the next run finishes the job and tidies up.
    let o = certpress(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(ledger(&site), new);
    assert_eq!(temporary_ledgers(&site), Vec::<String>::new());
}

/// A build records what it published, sorted, one line per version; a build of the same
/// ledger writes the same manifest.
#[test]
fn a_build_records_the_versions_it_publishes() {
    let site = example_site();
    let o = run(&["build"], site.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let manifest = fs::read_to_string(site.path().join("public/.certpress-ledger")).unwrap();
    let lines: Vec<&str> = manifest.lines().filter(|l| !l.starts_with('#')).collect();
    let text = ledger(site.path());
    let held: Vec<String> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split(' ').take(4).collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(lines, held);
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(lines, sorted);
}
