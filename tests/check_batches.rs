//! `check` a batch of products at a time (`certpress::batch`) against `check` of the
//! whole site at once: the same problems in the same order, the same reports due and the
//! same `check --json` document, byte for byte, whatever the batch size, on sites with every kind of problem: the example site, every
//! invalid case, and an issued synthetic site with removed, changed, new, duplicated and
//! broken records spread over several batches.

mod common;
#[path = "../benches/synth.rs"]
mod synth;

use certpress::diagnostic::Diagnostic;
use certpress::pipeline::{Pipeline, Purpose};
use certpress::site::Overrides;
use common::*;
use std::fs;
use std::path::Path;

/// What a check reports: every problem, the reports due (as JSON, for the message) and
/// the `check --json` document.
type Report = (Vec<Diagnostic>, serde_json::Value, String);

/// `check` of the whole site, as it ran before batches.
fn whole(root: &Path, due: Option<u32>) -> Report {
    let mut p = Pipeline::load(root, &Overrides::default());
    if let (Some(days), Some(site)) = (due, p.site.as_mut()) {
        site.config.reminder_days = days;
    }
    p.assess().review(Purpose::Check).remind();
    p.theme();
    let soon = match &p.site {
        Some(site) => p.due(Some(site.config.reminder_days)),
        None => Vec::new(),
    };
    let json = certpress::report::json(p.site.as_ref(), p.assessed.as_ref(), &p.diagnostics);
    (
        p.diagnostics.iter().cloned().collect(),
        serde_json::to_value(soon).unwrap(),
        format!("{json}\n"),
    )
}

fn batched(root: &Path, due: Option<u32>, batch: usize) -> Report {
    let mut laps = certpress::timings::Laps::new();
    let mut json = Vec::new();
    let plain = certpress::batch::Ask {
        due_days: due,
        json: None,
        batch,
    };
    let checked = certpress::batch::check(root, &Overrides::default(), plain, &mut laps)
        .unwrap()
        .expect("a site of rule packs is checked in batches");
    let with_json = certpress::batch::Ask {
        due_days: due,
        json: Some(&mut json),
        batch,
    };
    certpress::batch::check(root, &Overrides::default(), with_json, &mut laps)
        .unwrap()
        .expect("and so is its JSON");
    (
        checked.pipeline.diagnostics.iter().cloned().collect(),
        serde_json::to_value(checked.due).unwrap(),
        String::from_utf8(json).unwrap(),
    )
}

/// Both ways agree at each batch size; the whole check's report.
fn agree(root: &Path, due: Option<u32>, sizes: &[usize]) -> Report {
    let expected = whole(root, due);
    for &size in sizes {
        let got = batched(root, due, size);
        assert_eq!(
            got.0,
            expected.0,
            "{}: batches of {size}: problems differ",
            root.display()
        );
        assert_eq!(
            got.1,
            expected.1,
            "{}: batches of {size}: reports due differ",
            root.display()
        );
        assert!(
            got.2 == expected.2,
            "{}: batches of {size}: the JSON documents differ:\n{}\n---\n{}",
            root.display(),
            got.2,
            expected.2
        );
    }
    expected
}

fn codes(report: &Report) -> Vec<&str> {
    let mut codes: Vec<&str> = report.0.iter().map(|d| d.code).collect();
    codes.sort_unstable();
    codes.dedup();
    codes
}

#[test]
fn the_example_site_is_reported_alike_in_batches_of_any_size() {
    let site = example_copy();
    let report = agree(site.path(), None, &[1, 2, 3, 7, 10_000]);
    // Every report lapsing within a year, so there is a list to merge across batches.
    let report_due = agree(site.path(), Some(365), &[1, 4]);
    assert!(
        !report_due.1.as_array().unwrap().is_empty(),
        "{:#?}",
        report.0
    );
}

#[test]
fn every_invalid_case_is_reported_alike_in_batches() {
    let cases = fs::read_dir(repo().join("tests/invalid")).unwrap();
    let mut seen = 0;
    for case in cases {
        let case = case.unwrap().path();
        if case.file_name().unwrap() == "_base" || !case.is_dir() {
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&repo().join("tests/invalid/_base"), dir.path());
        copy_dir(&repo().join("plugins"), &dir.path().join("plugins"));
        copy_dir(&repo().join("themes"), &dir.path().join("themes"));
        copy_dir(&case, dir.path());
        fs::remove_file(dir.path().join("expect.json")).ok();
        agree(dir.path(), None, &[1, 2]);
        seen += 1;
    }
    assert!(seen > 30, "only {seen} cases");
}

#[test]
fn a_catalogue_with_every_kind_of_problem_is_reported_alike_across_batches() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    synth::generate(&repo(), &site, 60);
    let o = certpress(&["issue", "--root", site.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let products = site.join("content/products");
    let files: Vec<std::path::PathBuf> = walkdir::WalkDir::new(&products)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    assert_eq!(files.len(), 60);
    let text = |i: usize| fs::read_to_string(&files[i]).unwrap();

    // Removed products, while no record has an error: `removed-product` warnings.
    let gone = files[3].clone();
    let gone_text = text(3);
    fs::remove_file(&gone).unwrap();
    fs::remove_file(&files[40]).unwrap();
    // A changed certificate, and a new product never issued.
    let changed = text(10).replace("name: ", "name: Renamed ");
    fs::write(&files[10], changed).unwrap();
    let new = gone_text.replace(
        &format!("id: {}", files[3].file_stem().unwrap().to_string_lossy()),
        "id: brand-new",
    );
    let new = drop_gtin(&new);
    fs::write(files[3].with_file_name("brand-new.yaml"), new).unwrap();
    let clean = agree(&site, None, &[1, 7, 25, 1000]);
    let found = codes(&clean);
    for code in ["removed-product", "unissued"] {
        assert!(found.contains(&code), "{code} not in {found:?}");
    }

    // Records with errors, in different batches: a duplicate id (the first file keeps
    // it), a duplicate GTIN, an id that is not its file's name, YAML that does not
    // parse, a party that breaks (its products are dropped without a word), and a
    // product naming a party that does not exist.
    let late = products.join("zz-late");
    fs::create_dir_all(&late).unwrap();
    let first_id = files[0].file_stem().unwrap().to_string_lossy().to_string();
    fs::write(late.join(format!("{first_id}.yaml")), text(0)).unwrap();
    let dup_gtin = text(20).replace(
        &format!("id: {}", files[20].file_stem().unwrap().to_string_lossy()),
        "id: twin",
    );
    fs::write(late.join("twin.yaml"), dup_gtin).unwrap();
    fs::write(late.join("misnamed.yaml"), drop_gtin(&text(30))).unwrap();
    fs::write(late.join("broken.yaml"), "id: broken\nname: [unclosed\n").unwrap();
    let party = walkdir::WalkDir::new(site.join("content/parties"))
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .find(|e| e.file_type().is_file())
        .unwrap()
        .into_path();
    fs::write(&party, "id: [\n").unwrap();
    let unknown = text(50).replace("manufacturer: ", "manufacturer: no-such-party-");
    fs::write(&files[50], unknown).unwrap();
    let broken = agree(&site, Some(400), &[1, 3, 16, 1000]);
    let found = codes(&broken);
    for code in ["duplicate-id", "duplicate-gtin", "id-mismatch"] {
        assert!(found.contains(&code), "{code} not in {found:?}");
    }
    // While records have errors, a product that failed is not one that was removed.
    assert!(!found.contains(&"removed-product"), "{found:?}");
}

/// A product record without its `gtin` line (a copy would share its GS1 path).
fn drop_gtin(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with("gtin:"))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn a_site_with_a_command_plugin_is_checked_whole() {
    let site = example_copy();
    let dir = site.path().join("plugins/zz-cmd");
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("plugin.yaml"),
        "id: zz-cmd\nname: Test command plugin\nprotocol: 1\nversion: 0.1.0\nmarkets: [US]\ncommand: ./assess.sh\ntimeout_seconds: 10\n",
    )
    .unwrap();
    let program = dir.join("assess.sh");
    fs::write(&program, "#!/bin/sh\ncat >/dev/null\necho '{\"protocol\": 1, \"assessments\": [], \"diagnostics\": []}'\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&program, fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut laps = certpress::timings::Laps::new();
    let mut json = Vec::new();
    let ask = certpress::batch::Ask {
        due_days: None,
        json: Some(&mut json),
        batch: 4,
    };
    let checked = certpress::batch::check(site.path(), &Overrides::default(), ask, &mut laps);
    assert!(
        checked.unwrap().is_none(),
        "a command plugin answers for all products at once"
    );
    assert!(json.is_empty(), "nothing is written then");
}
