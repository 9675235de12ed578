//! Retest reminders (SPEC §13): `check` warns of the reports that back a certificate and
//! lapse within `[reminders] days` (or `--due DAYS`) of as_of, lists them as `due` in
//! `check --json`, and `export calendar` writes them as an iCalendar file. The site is
//! checked as of 2026-11-23; the US pack retests every 12 months.

mod common;

use common::site_test::SiteTest;
use common::*;
use serde_json::Value;
use std::path::Path;

const COVERS: &str = r#"["16 CFR 1303", "15 U.S.C. 1278a", "16 CFR 1250", "16 CFR 1501"]"#;

/// A painted US toy for ages 1–3 (lead paint, lead substrate, toy safety and small
/// parts are tested rules), with `lots` and `evidence` as given.
fn toy(id: &str, lots: &str, evidence: &str) -> String {
    // A certificate states a date and place of manufacture: one lot unless given.
    let lots = if lots.is_empty() {
        "lots:\n  - { lot: A, made: 2025-10, place: Ningbo }\n"
    } else {
        lots
    };
    format!(
        "id: {id}\nname: Toy {id}\nmodel: M-{id}\ncategories: [toy]\nage: {{ min_months: 12, max_months: 36 }}\nattributes: {{ small_parts: false, painted: true }}\nmarkets: [US]\nmanufacturer: maker\nimporters: {{ US: importer }}\nrecords_custodian: keeper\ndeclarations: {{ tracking-label: true }}\n{lots}evidence:\n{evidence}"
    )
}

/// One passing report from the CPSC-accepted lab.
fn report(id: &str, date: &str, covers: &str, lots: &str) -> String {
    format!(
        "  - report: {id}\n    lab: lab\n    date: {date}\n    place: Shenzhen, China\n    covers: {covers}\n    result: pass\n{lots}"
    )
}

/// The products every test checks:
/// - `soon`: its only report lapses in 54 days;
/// - `later`: in 191 days (outside the default 60);
/// - `old`: lapsed yesterday (a gap today, never due);
/// - `edge`: today is the last day its report counts (1 day left);
/// - `lots`: lot L1 rests on an older report (49 days) than lot L2;
/// - `renewed`: an older report, replaced by a newer one that still has long to run;
/// - `partial`: blocked today (no small-parts report); its reports still lapse.
fn site() -> SiteTest {
    let lots = "lots:\n  - { lot: L1, made: 2026-01, place: Ningbo }\n  - { lot: L2, made: 2026-08, place: Ningbo }\n";
    SiteTest::new()
        .with_shipped_plugins()
        .product(
            "soon",
            &toy("soon", "", &report("R-SOON", "2026-01-15", COVERS, "")),
        )
        .product(
            "later",
            &toy("later", "", &report("R-LATER", "2026-06-01", COVERS, "")),
        )
        .product(
            "old",
            &toy("old", "", &report("R-OLD", "2025-11-22", COVERS, "")),
        )
        .product(
            "edge",
            &toy("edge", "", &report("R-EDGE", "2025-11-23", COVERS, "")),
        )
        .product(
            "lots",
            &toy(
                "lots",
                lots,
                &(report("R-L1", "2026-01-10", COVERS, "    lots: [L1]\n")
                    + &report("R-L2", "2026-09-01", COVERS, "    lots: [L2]\n")),
            ),
        )
        .product(
            "renewed",
            &toy(
                "renewed",
                "",
                &(report("R-FIRST", "2026-01-05", COVERS, "")
                    + &report("R-SECOND", "2026-10-01", COVERS, "")),
            ),
        )
        .product(
            "partial",
            &toy(
                "partial",
                "",
                &report(
                    "R-PART",
                    "2026-01-20",
                    r#"["16 CFR 1303", "15 U.S.C. 1278a", "16 CFR 1250"]"#,
                    "",
                ),
            ),
        )
}

/// (product, report, rule, lapses, days_left) of each `due` entry, in order.
fn brief(json: &Value) -> Vec<(String, String, String, String, i64)> {
    json["due"]
        .as_array()
        .unwrap_or_else(|| panic!("no `due` list: {json:#}"))
        .iter()
        .map(|d| {
            (
                d["product"].as_str().unwrap().to_string(),
                d["report"].as_str().unwrap().to_string(),
                d["rule"].as_str().unwrap().to_string(),
                d["lapses"].as_str().unwrap().to_string(),
                d["days_left"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn entries(
    product: &str,
    report: &str,
    rules: &[&str],
    lapses: &str,
    days: i64,
) -> Vec<(String, String, String, String, i64)> {
    rules
        .iter()
        .map(|r| {
            (
                product.into(),
                report.into(),
                r.to_string(),
                lapses.into(),
                days,
            )
        })
        .collect()
}

const ALL: &[&str] = &["lead-paint", "lead-substrate", "small-parts", "toy-safety"];

/// What the site is due within 60 days, sorted by lapse date, product and rule.
fn within_60() -> Vec<(String, String, String, String, i64)> {
    [
        entries("edge", "R-EDGE", ALL, "2026-11-24", 1),
        entries("lots", "R-L1", ALL, "2027-01-11", 49),
        entries("soon", "R-SOON", ALL, "2027-01-16", 54),
        entries(
            "partial",
            "R-PART",
            &["lead-paint", "lead-substrate", "toy-safety"],
            "2027-01-21",
            59,
        ),
    ]
    .concat()
}

#[test]
fn check_lists_the_reports_that_lapse_within_the_window() {
    let checked = site().check();
    assert_eq!(checked.exit, 0, "{}", checked.human);
    let json = &checked.json;
    assert_eq!(brief(json), within_60(), "{:#}", json["due"]);
    // One entry whole: every field, with its dates.
    let soon = json["due"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["product"] == "soon" && d["rule"] == "lead-paint")
        .unwrap();
    assert_eq!(
        soon,
        &serde_json::json!({
            "product": "soon",
            "certificate": "CERT-SOON-US-CPC",
            "title": "Children's Product Certificate",
            "market": "US",
            "plugin": "us-cpsc",
            "rule": "lead-paint",
            "cite": "16 CFR 1303",
            "report": "R-SOON",
            "report_date": "2026-01-15",
            "retest_months": 12,
            "valid_through": "2027-01-15",
            "lapses": "2027-01-16",
            "days_left": 54,
            "ready": true
        })
    );
    // Already blocked today: the entry says so, and the certificate is not "ready".
    let partial = json["due"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["product"] == "partial")
        .unwrap();
    assert_eq!(partial["ready"], false);
    // A lapsed report is a gap today, not a reminder; a report a newer one replaced
    // backs nothing; an older report for one lot is due although a newer one is the
    // rule's evidence.
    let reports: Vec<&str> = json["due"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["report"].as_str().unwrap())
        .collect();
    for gone in ["R-OLD", "R-FIRST", "R-SECOND", "R-LATER", "R-L2"] {
        assert!(!reports.contains(&gone), "{gone} in {reports:?}");
    }
    let old = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "gap" && d["file"] == "content/products/old.yaml")
        .unwrap_or_else(|| panic!("old has no gap: {:#}", json["diagnostics"]));
    assert!(
        old["message"].as_str().unwrap().contains("expired"),
        "{old}"
    );
    // The other fields are as they were.
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["as_of", "diagnostics", "due", "products"]);
}

#[test]
fn check_warns_at_each_report_naming_the_certificate_it_would_block() {
    let checked = site().check();
    let human = &checked.human;
    let warning = "warning[retest-due]: US (us-cpsc): report R-SOON backs 16 CFR 1303, 15 U.S.C. 1278a, 16 CFR 1501 and 16 CFR 1250 for the Children's Product Certificate CERT-SOON-US-CPC until 2027-01-15 (12-month retest, 54 days left): test again by then, or the certificate is blocked from 2027-01-16";
    assert!(human.contains(warning), "{human}");
    // At the report's `report` value (line 15, column 13 of the record).
    assert!(
        human.contains("content/products/soon.yaml:15:13"),
        "{human}"
    );
    assert!(
        human.contains("help: add the new report under `evidence`, covering `16 CFR 1303`, `15 U.S.C. 1278a`, `16 CFR 1501` and `16 CFR 1250`, dated 2027-01-15 or earlier"),
        "{human}"
    );
    assert!(human.contains("report R-EDGE backs"), "{human}");
    assert!(human.contains("(12-month retest, 1 day left)"), "{human}");
    assert!(
        human.contains("report R-PART backs 16 CFR 1303, 15 U.S.C. 1278a and 16 CFR 1250 for the Children's Product Certificate CERT-PARTIAL-US-CPC until 2027-01-20 (12-month retest, 59 days left): test again by then, or the certificate, already blocked by another gap, has one more from 2027-01-21"),
        "{human}"
    );
    // One warning per report and certificate, whatever the number of rules it backs.
    let codes: Vec<_> = checked.json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "retest-due")
        .map(|d| d["file"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        codes,
        [
            "content/products/edge.yaml",
            "content/products/lots.yaml",
            "content/products/partial.yaml",
            "content/products/soon.yaml"
        ]
    );
    for quiet in ["R-LATER", "R-OLD", "R-FIRST", "R-SECOND", "R-L2"] {
        assert!(!human.contains(&format!("report {quiet} backs")), "{human}");
    }
}

#[test]
fn the_window_comes_from_site_toml_or_the_command_line() {
    let wide = [
        within_60(),
        entries("later", "R-LATER", ALL, "2027-06-02", 191),
        entries("lots", "R-L2", ALL, "2027-09-02", 283),
        entries("renewed", "R-SECOND", ALL, "2027-10-02", 313),
    ]
    .concat();
    // [reminders] days in site.toml.
    let toml = "title = \"Test site\"\nbase_url = \"https://certs.example.test\"\nas_of = \"2026-11-23\"\n[reminders]\ndays = 365\n";
    let json = site().file("site.toml", toml).check_clean();
    assert_eq!(brief(&json), wide);
    let none = "title = \"Test site\"\nbase_url = \"https://certs.example.test\"\nas_of = \"2026-11-23\"\n[reminders]\ndays = 0\n";
    let json = site().file("site.toml", none).check_clean();
    assert_eq!(brief(&json), []);

    // `check --due DAYS` replaces it for one run; the human output ends with the
    // certificates that would be blocked. (The binary's `check` loads the theme.)
    let dir = site().with_shipped_theme().write();
    let root = dir.path().to_str().unwrap();
    let o = certpress(&["check", "--root", root, "--json", "--due", "365"]);
    let json: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(brief(&json), wide);
    let o = certpress(&["check", "--root", root, "--due", "50"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("Retests due: 2 reports lapse within 50 days of as_of. Certificates blocked unless retested:\n  CERT-EDGE-US-CPC from 2026-11-24\n  CERT-LOTS-US-CPC from 2027-01-11\n"),
        "{err}"
    );
    assert!(!err.contains("R-SOON"), "{err}");
    let o = certpress(&["check", "--root", root, "--due", "0"]);
    assert!(!stderr(&o).contains("retest-due"), "{}", stderr(&o));
    // --strict: a reminder is a warning like any other.
    let o = certpress(&["check", "--root", root, "--strict"]);
    assert_eq!(o.status.code(), Some(1));
    let o = certpress(&["check", "--root", root, "--due=-3"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("not a number of days from 0 to 36500"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn reminders_in_site_toml_are_checked() {
    let base = "title = \"Test site\"\nbase_url = \"https://certs.example.test\"\nas_of = \"2026-11-23\"\n[reminders]\n";
    let check = |rest: &str| {
        let c = SiteTest::new()
            .file("site.toml", format!("{base}{rest}"))
            .check();
        assert_eq!(c.exit, 2, "{rest}: {}", c.human);
        c.json["diagnostics"][0].clone()
    };
    let d = check("days = -1\n");
    assert_eq!(
        (d["code"].as_str(), d["line"].as_u64()),
        (Some("bad-config"), Some(5))
    );
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("reminders.days -1 must be a whole number of days from 0 to 36500"),
        "{d}"
    );
    let d = check("days = 2.5\n");
    assert_eq!(
        (d["code"].as_str(), d["line"].as_u64()),
        (Some("bad-config"), Some(5))
    );
    let d = check("dyas = 30\n");
    assert_eq!(d["code"], "unknown-key", "{d}");
    assert!(d["message"].as_str().unwrap().contains("`days`"), "{d}");
}

/// The content lines of an iCalendar file, unfolded, checking on the way what RFC 5545
/// §3.1 asks of its lines: CRLF after each, at most 75 octets, continuation lines
/// starting with one space.
fn unfold(bytes: &[u8]) -> Vec<String> {
    let text = std::str::from_utf8(bytes).expect("UTF-8");
    assert!(text.ends_with("\r\n"), "no CRLF at the end");
    let mut lines: Vec<String> = Vec::new();
    for raw in text[..text.len() - 2].split("\r\n") {
        assert!(
            !raw.contains('\n') && !raw.contains('\r'),
            "bare LF or CR: {raw:?}"
        );
        assert!(raw.len() <= 75, "{} octets: {raw:?}", raw.len());
        match raw.strip_prefix(' ') {
            Some(rest) => lines.last_mut().expect("a first line").push_str(rest),
            None => {
                assert!(!raw.is_empty(), "an empty line");
                lines.push(raw.to_string());
            }
        }
    }
    lines
}

/// The calendar's events, each as its (name, value) properties; checks the calendar's
/// frame and that every event has what RFC 5545 requires and a calendar shows, with the
/// `DTSTAMP` of as_of (not the clock).
fn parse_events(lines: &[String], stamp: &str) -> Vec<Vec<(String, String)>> {
    assert_eq!(lines.first().map(String::as_str), Some("BEGIN:VCALENDAR"));
    assert_eq!(lines.last().map(String::as_str), Some("END:VCALENDAR"));
    assert!(lines.iter().any(|l| l == "VERSION:2.0"), "{lines:?}");
    assert!(lines.iter().any(|l| l.starts_with("PRODID:")), "{lines:?}");
    let mut events = Vec::new();
    let mut open: Option<Vec<(String, String)>> = None;
    for l in lines {
        match l.as_str() {
            "BEGIN:VEVENT" => {
                assert!(open.is_none(), "nested VEVENT");
                open = Some(Vec::new());
            }
            "END:VEVENT" => events.push(open.take().expect("END without BEGIN")),
            _ => {
                let (name, value) = l.split_once(':').unwrap_or_else(|| panic!("{l:?}"));
                if let Some(e) = open.as_mut() {
                    e.push((name.to_string(), value.to_string()));
                }
            }
        }
    }
    assert!(open.is_none(), "an unclosed VEVENT");
    for e in &events {
        for name in [
            "UID",
            "DTSTAMP",
            "DTSTART;VALUE=DATE",
            "SUMMARY",
            "DESCRIPTION",
        ] {
            assert_eq!(
                e.iter().filter(|(n, _)| n == name).count(),
                1,
                "{name} in {e:?}"
            );
        }
        assert_eq!(value(e, "DTSTAMP"), stamp, "{e:?}");
    }
    events
}

fn value<'a>(event: &'a [(String, String)], name: &str) -> &'a str {
    &event.iter().find(|(n, _)| n == name).unwrap().1
}

fn export(root: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["export", "calendar", "--root", root.to_str().unwrap()];
    all.extend(args);
    certpress(&all)
}

#[test]
fn the_calendar_has_an_event_for_every_future_lapse() {
    let dir = site().write();
    let o = export(dir.path(), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("Wrote 27 retest dates → exports/retests.ics"),
        "{}",
        stdout(&o)
    );
    let path = dir.path().join("exports/retests.ics");
    let first = std::fs::read(&path).unwrap();
    let lines = unfold(&first);
    let events = parse_events(&lines, "20261123T000000Z");
    // Every future lapse (the window of `check` does not apply): 60 days' worth, then
    // R-LATER, R-L2 and R-SECOND; no lapsed or replaced report.
    assert_eq!(events.len(), 15 + 3 * 4, "{lines:#?}");
    let soon = events
        .iter()
        .find(|e| {
            value(e, "SUMMARY")
                == "Retest due: 16 CFR 1303 for Toy soon (CERT-SOON-US-CPC\\, report R-SOON)"
        })
        .unwrap_or_else(|| panic!("{lines:#?}"));
    assert_eq!(value(soon, "DTSTART;VALUE=DATE"), "20270115");
    assert_eq!(value(soon, "DTEND;VALUE=DATE"), "20270116");
    assert!(
        value(soon, "DESCRIPTION").contains("It counts through 2027-01-15 (12-month retest). Add a new report covering 16 CFR 1303 dated 2027-01-15 or earlier\\; from 2027-01-16 the certificate is blocked."),
        "{}",
        value(soon, "DESCRIPTION")
    );
    assert!(value(soon, "DESCRIPTION").contains("\\n"));
    for gone in ["R-OLD", "R-FIRST"] {
        assert!(
            !events.iter().any(|e| value(e, "SUMMARY").contains(gone)),
            "{gone}"
        );
    }
    // Every event its own id.
    let mut uids: Vec<&str> = events.iter().map(|e| value(e, "UID")).collect();
    uids.sort_unstable();
    uids.dedup();
    assert_eq!(uids.len(), events.len());

    // The same site gives the same bytes, so the same ids.
    let o = export(dir.path(), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read(&path).unwrap(), first);
    // An id belongs to the product, certificate, rule and lots: it stays when the
    // calendar is made on another day, or with other events.
    let o = export(dir.path(), &["--as-of", "2026-12-01", "--due", "60"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let later = std::fs::read(&path).unwrap();
    let later_events = parse_events(&unfold(&later), "20261201T000000Z");
    assert!(later_events.len() < events.len());
    let uid_of = |es: &[Vec<(String, String)>]| {
        es.iter()
            .find(|e| value(e, "SUMMARY").contains("16 CFR 1303 for Toy soon"))
            .map(|e| value(e, "UID").to_string())
            .unwrap()
    };
    assert_eq!(uid_of(&later_events), uid_of(&events));
    assert!(!String::from_utf8(later).unwrap().contains("R-LATER"));

    // A retest moves the event: the same id, a later date, a higher revision, so a
    // calendar that imports the new file keeps one event, not the old one beside it.
    let retested = site()
        .product(
            "soon",
            &toy(
                "soon",
                "",
                &(report("R-SOON", "2026-01-15", COVERS, "")
                    + &report("R-SOON-2", "2026-11-20", COVERS, "")),
            ),
        )
        // Lot L1 retested alone: its event moves, L2's stays as it was.
        .product(
            "lots",
            &toy(
                "lots",
                "lots:\n  - { lot: L1, made: 2026-01, place: Ningbo }\n  - { lot: L2, made: 2026-08, place: Ningbo }\n",
                &(report("R-L1", "2026-01-10", COVERS, "    lots: [L1]\n")
                    + &report("R-L2", "2026-09-01", COVERS, "    lots: [L2]\n")
                    + &report("R-L1-2", "2026-11-01", COVERS, "    lots: [L1]\n")),
            ),
        )
        .write();
    let o = export(retested.path(), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let after = parse_events(
        &unfold(&std::fs::read(retested.path().join("exports/retests.ics")).unwrap()),
        "20261123T000000Z",
    );
    assert_eq!(
        after.len(),
        events.len(),
        "one event per rule and lots, as before"
    );
    let find = |es: &[Vec<(String, String)>], uid: &str| {
        es.iter()
            .find(|e| value(e, "UID") == uid)
            .cloned()
            .unwrap_or_else(|| panic!("no event {uid}"))
    };
    let uid = uid_of(&events);
    let (before, moved) = (find(&events, &uid), find(&after, &uid));
    assert!(
        value(&moved, "SUMMARY").contains("report R-SOON-2"),
        "{moved:?}"
    );
    assert_eq!(value(&moved, "DTSTART;VALUE=DATE"), "20271120");
    let revision = |e: &[(String, String)]| value(e, "SEQUENCE").parse::<u64>().unwrap();
    assert!(revision(&moved) > revision(&before));
    // Lots backed by different reports are different events; a retest of one lot moves
    // its event and leaves the other's.
    let lot_event = |es: &[Vec<(String, String)>], report: &str| {
        es.iter()
            .find(|e| {
                let s = value(e, "SUMMARY");
                s.contains("16 CFR 1303 for Toy lots") && s.contains(&format!("report {report})"))
            })
            .map(|e| value(e, "UID").to_string())
            .unwrap_or_else(|| panic!("no 16 CFR 1303 event of {report}"))
    };
    assert_ne!(lot_event(&events, "R-L1"), lot_event(&events, "R-L2"));
    assert_eq!(lot_event(&after, "R-L1-2"), lot_event(&events, "R-L1"));
    assert_eq!(lot_event(&after, "R-L2"), lot_event(&events, "R-L2"));

    // Never in the public site, nor anywhere in the site's output folder.
    assert!(!dir.path().join("public").exists());
    for inside in ["public", "public/calendars", "./public/../public/x"] {
        let o = export(
            dir.path(),
            &["--output", &dir.path().join(inside).to_string_lossy()],
        );
        assert_eq!(o.status.code(), Some(2), "{inside}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("inside the site's output folder"),
            "{}",
            stderr(&o)
        );
    }
    assert!(!dir.path().join("public").exists());
    let elsewhere = tempfile::tempdir().unwrap();
    let o = export(
        dir.path(),
        &["--output", elsewhere.path().to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(elsewhere.path().join("retests.ics")).unwrap(),
        first
    );
}

#[test]
fn record_text_is_escaped_and_long_lines_folded() {
    let name = "Toy; with, commas \\ and a very long name that runs well past seventy-five octets — ünïcödé";
    let yaml = toy("long", "", &report("R-LONG", "2026-01-15", COVERS, "")).replace(
        "name: Toy long",
        &format!("name: \"{}\"", name.replace('\\', "\\\\")),
    );
    let dir = SiteTest::new()
        .with_shipped_plugins()
        .product("long", &yaml)
        .write();
    let o = export(dir.path(), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let bytes = std::fs::read(dir.path().join("exports/retests.ics")).unwrap();
    let raw = String::from_utf8(bytes.clone()).unwrap();
    assert!(raw.contains("\r\n "), "nothing folded");
    let lines = unfold(&bytes);
    let events = parse_events(&lines, "20261123T000000Z");
    assert_eq!(events.len(), 4);
    assert!(
        value(&events[0], "SUMMARY").contains(
            "Toy\\; with\\, commas \\\\ and a very long name that runs well past seventy-five octets — ünïcödé"
        ),
        "{}",
        value(&events[0], "SUMMARY")
    );
}

#[test]
fn an_export_of_a_site_with_errors_writes_nothing() {
    let dir = site()
        .product("broken", "id: broken\nname: Broken\n")
        .write();
    let o = export(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("No calendar was written."),
        "{}",
        stderr(&o)
    );
    assert!(!dir.path().join("exports").exists());
}
