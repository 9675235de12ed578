//! `certpress export marketplace` (SPEC §13, exports.md §2): the folders it writes are
//! read back and compared with the built site, the records and the checklist they should
//! hold.

mod common;

use common::site_test::SiteTest;
use common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

const STACKER: &str = "content/products/toys/rainbow-stacker.yaml";
const ITEMS: [&str; 7] = [
    "us-contact",
    "certifier-not-lab",
    "cpsc-lab",
    "age-grade",
    "images",
    "labels",
    "certificate",
];

/// Runs the export on `root` (into `out`, or the default folder).
fn export(root: &Path, out: Option<&Path>) -> std::process::Output {
    let mut args = vec!["export", "marketplace", "--root", root.to_str().unwrap()];
    if let Some(out) = out {
        args.extend(["--output", out.to_str().unwrap()]);
    }
    certpress(&args)
}

fn exported(root: &Path) -> std::path::PathBuf {
    let o = export(root, None);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    root.join("exports/marketplace")
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&fs::read(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn item<'a>(checklist: &'a Value, id: &str) -> &'a Value {
    checklist["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("no item {id}"))
}

/// The product ids sold in the US, and the US certificate (CPC or GCC) version in force
/// for each, as the library's register says.
fn us_products(root: &Path) -> BTreeMap<String, Option<(String, u32)>> {
    use certpress::pipeline::{Pipeline, Purpose};
    let mut p = Pipeline::load(root, &certpress::site::Overrides::default());
    p.assess().review(Purpose::Publish { locked: false });
    let register = p.register();
    let site = p.site.as_ref().unwrap();
    let assessed = p.assessed.as_ref().unwrap();
    let mut out = BTreeMap::new();
    for product in &site.content.products {
        if !product.markets.iter().any(|m| m.code() == "US") {
            continue;
        }
        let in_force = assessed.by_product[&product.id]
            .iter()
            .filter(|a| a.market == "US")
            .filter_map(|a| a.certificate.as_ref())
            .filter(|c| ["us-cpc", "us-gcc"].contains(&c.id.as_str()))
            .find_map(|c| {
                register
                    .entry(&c.number)
                    .in_force
                    .map(|v| (c.number.clone(), v.version))
            });
        out.insert(product.id.clone(), in_force);
    }
    out
}

/// The example site with two report files (both named `report.pdf`) on the stacker's
/// US reports.
fn example_with_reports() -> tempfile::TempDir {
    let site = example_copy();
    let root = site.path();
    let record = fs::read_to_string(root.join(STACKER)).unwrap();
    let record = record
        .replace(
            "  - report: HTS-2026-0311\n",
            "  - report: HTS-2026-0311\n    file: assets/reports/march/report.pdf\n",
        )
        .replace(
            "  - report: HTS-2026-0802\n",
            "  - report: HTS-2026-0802\n    file: assets/reports/august/report.pdf\n",
        );
    fs::write(root.join(STACKER), record).unwrap();
    for (dir, bytes) in [
        ("march", &b"%PDF-1.4 march \xff\x00\r\n"[..]),
        ("august", &b"%PDF-1.4 august \xfe\x01\n"[..]),
    ] {
        let d = root.join("content/assets/reports").join(dir);
        fs::create_dir_all(&d).unwrap();
        fs::write(d.join("report.pdf"), bytes).unwrap();
    }
    site
}

#[test]
fn every_us_product_gets_its_pdf_reports_and_checklist() {
    let site = example_with_reports();
    let root = site.path();
    let public = root.join("built");
    let o = certpress(&[
        "build",
        "--root",
        root.to_str().unwrap(),
        "--output",
        public.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = exported(root);
    let products = us_products(root);
    assert!(products.values().filter(|v| v.is_some()).count() >= 5);
    let folders: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(folders.len(), products.len(), "{folders:?}");
    for (id, in_force) in &products {
        let dir = out.join(id);
        let c = json(&dir.join("checklist.json"));
        assert_eq!(c["product"], id.as_str());
        let html = fs::read_to_string(dir.join("checklist.html")).unwrap();
        for i in ITEMS {
            let it = item(&c, i);
            assert!(["pass", "fail", "n/a"].contains(&it["status"].as_str().unwrap()));
            assert!(html.contains(&format!("<tr id=\"{i}\">")), "{id}: {i}");
            assert!(html.contains(&html_escape(it["title"].as_str().unwrap())));
        }
        // Nothing from elsewhere: the page works offline and leaks nothing.
        assert!(
            !html.contains("http://") && !html.contains("https://") && !html.contains("<script")
        );
        match in_force {
            Some((number, version)) => {
                assert_eq!(c["certificate"]["number"], number.as_str());
                assert_eq!(c["certificate"]["version"], *version);
                assert_eq!(item(&c, "certificate")["status"], "pass");
                let pdf = fs::read(dir.join("certificate.pdf")).unwrap();
                let site_pdf =
                    fs::read(public.join(format!("certificates/{number}/certificate.pdf")))
                        .unwrap();
                assert!(pdf == site_pdf, "{id}: the PDF differs from the site's");
            }
            None => {
                assert!(c["certificate"].is_null());
                assert!(!dir.join("certificate.pdf").exists(), "{id}");
                assert_ne!(item(&c, "certificate")["status"], "pass");
            }
        }
    }
    // The stacker's two reports, both `report.pdf`, are both there, byte for byte.
    let dir = out.join("rainbow-stacker");
    let c = json(&dir.join("checklist.json"));
    let mut copied = BTreeMap::new();
    for r in c["reports"].as_array().unwrap() {
        let source = root.join("content").join(r["source"].as_str().unwrap());
        let file = dir.join(r["file"].as_str().unwrap());
        assert_eq!(fs::read(&file).unwrap(), fs::read(&source).unwrap());
        copied.insert(r["report"].as_str().unwrap().to_string(), r["file"].clone());
    }
    // Only the report the certificate in force rests on: 0311, which 0802 replaced, is
    // not handed on (two reports' files of one name are kept apart: a unit test).
    assert_eq!(copied.len(), 1, "{copied:?}");
    assert_eq!(copied["HTS-2026-0802"], "report.pdf");
    let files: Vec<&str> = c["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        [
            "certificate.pdf",
            "checklist.html",
            "checklist.json",
            "report.pdf"
        ]
    );
    assert_eq!(c["passes"], 8, "{c:#}");
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[test]
fn two_runs_write_the_same_bytes_and_output_inside_public_is_refused() {
    let site = example_with_reports();
    let root = site.path();
    let out = exported(root);
    let first = read_tree(&out);
    assert!(!first.is_empty());
    exported(root);
    assert!(first == read_tree(&out), "a second run changed the files");

    let inside = root.join("public/marketplace");
    let o = export(root, Some(&inside));
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stderr(&o).contains("output folder"), "{}", stderr(&o));
    assert!(!inside.exists());
}

#[test]
fn records_with_errors_write_nothing() {
    let site = example_copy();
    let root = site.path();
    let record = fs::read_to_string(root.join(STACKER)).unwrap();
    fs::write(
        root.join(STACKER),
        record.replace("manufacturer: little-oak-ltd", "manufacturer: nobody"),
    )
    .unwrap();
    let o = export(root, None);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stderr(&o).contains("No marketplace files were written"));
    assert!(!root.join("exports").exists());
}

/// Parties and products each failing some items, and one passing all.
fn failing_site() -> SiteTest {
    SiteTest::new()
        .with_shipped_plugins()
        .with_shipped_theme()
        .party(
            "nolab",
            "id: nolab\nkind: lab\nname: Plain Lab\naccreditations: { iso17025: \"L2\" }\n",
        )
        // A manufacturer that is, under another record, the lab that tested its toy.
        .party(
            "maker-lab",
            "id: maker-lab\nkind: manufacturer\nname: \"plain  LAB\"\naddress: [\"3 Lane\", \"Shenzhen\"]\ncountry: CN\n",
        )
        .party(
            "far-importer",
            "id: far-importer\nkind: importer\nname: Far Importer\naddress: []\ncountry: CA\n",
        )
        .file("content/assets/duck.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>")
        .file("content/assets/r1.pdf", "%PDF-1.4\n%%EOF\n")
        // Items 1–5 and 7: no US contact, made by its own lab, tested by a lab without a
        // CPSC accreditation, no age grade, no image; blocked.
        .product(
            "no-age",
            "id: no-age\nname: No Age Toy\nmodel: N-1\ncategories: [toy]\nattributes: { painted: true }\nmarkets: [US]\nmanufacturer: maker-lab\nlots:\n  - { lot: L1, made: 2026-03, place: \"Shenzhen, China\" }\nevidence:\n  - { report: P1, lab: nolab, date: 2026-03-11, covers: [\"16 CFR 1303\"], result: pass }\n",
        )
        // Item 6: no tracking label; hostile text in its name and lot place.
        .product(
            "hostile",
            "id: hostile\nname: \"<script>alert('x')</script> Duck & Co\"\nmodel: H-1\nimage: assets/duck.svg\ncategories: [toy]\nage: { min_months: 36 }\nattributes: { small_parts: true }\nmarkets: [US]\nmanufacturer: maker\nimporters: { US: far-importer }\nlots:\n  - { lot: L1, made: 2026-03, place: \"<img src=x onerror=alert(1)>\" }\nevidence:\n  - { report: \"R<b>1\", lab: lab, date: 2026-03-11, covers: [\"16 CFR 1250\", \"15 U.S.C. 1278a\"], result: pass }\n",
        )
        .product(
            "good",
            "id: good\nname: Good Toy\nmodel: G-1\nimage: assets/duck.svg\ncategories: [toy]\nage: { min_months: 36 }\nattributes: { small_parts: true }\nmarkets: [US]\nmanufacturer: maker\nimporters: { US: importer }\nrecords_custodian: keeper\nlots:\n  - { lot: L1, made: 2026-03, place: \"Ningbo, China\" }\nevidence:\n  - { report: R1, lab: lab, date: 2026-03-11, place: \"Shenzhen, China\", covers: [\"16 CFR 1250\", \"15 U.S.C. 1278a\"], result: pass, file: assets/r1.pdf }\ndeclarations: { tracking-label: true }\n",
        )
}

fn issue(root: &Path) {
    let o = certpress(&["issue", "--root", root.to_str().unwrap()]);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
}

fn fixes(item: &Value) -> Vec<(String, String, String)> {
    item["fixes"]
        .as_array()
        .map(|fs| {
            fs.iter()
                .map(|f| {
                    (
                        f["file"].as_str().unwrap().to_string(),
                        f["field"].as_str().unwrap().to_string(),
                        f["text"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn each_failing_item_says_what_to_fix() {
    let (site, _public) = failing_site().build();
    let root = site.path();
    issue(root);
    let o = export(root, None);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("good: 8 pass\n"), "{text}");
    assert!(
        text.contains("no-age: 0 pass, 7 fail (us-contact, certifier-not-lab, cpsc-lab, age-grade, images, certificate, report-files)"),
        "{text}"
    );
    assert!(
        text.contains("hostile: 4 pass, 4 fail (us-contact, labels, certificate, report-files)"),
        "{text}"
    );
    let out = root.join("exports/marketplace");

    let c = json(&out.join("no-age/checklist.json"));
    let record = "content/products/no-age.yaml";
    let f = fixes(item(&c, "us-contact"));
    assert_eq!((f[0].0.as_str(), f[0].1.as_str()), (record, "importers"));
    assert!(f[0].2.contains("importers: { US: <party id> }"), "{f:?}");
    let it = item(&c, "certifier-not-lab");
    assert!(
        it["detail"].as_str().unwrap().contains("P1 by Plain Lab"),
        "{it}"
    );
    assert_eq!(fixes(it)[0].1, "manufacturer");
    let it = item(&c, "cpsc-lab");
    assert_eq!(it["rules"][0]["cite"], "16 CFR 1303");
    assert_eq!(it["rules"][0]["status"], "fail");
    assert!(it["rules"][0]["reports"][0]["cpsc"].is_null());
    let f = fixes(it);
    assert_eq!(
        (f[0].0.as_str(), f[0].1.as_str()),
        ("content/parties/nolab.yaml", "accreditations")
    );
    let it = item(&c, "age-grade");
    assert_eq!(fixes(it)[0].1, "age");
    assert!(
        it["note"]
            .as_str()
            .unwrap()
            .contains("cannot read the report")
    );
    assert_eq!(fixes(item(&c, "images"))[0].1, "image");
    assert_eq!(item(&c, "labels")["status"], "n/a");
    let it = item(&c, "certificate");
    assert!(it["detail"].as_str().unwrap().contains("blocked"), "{it}");
    assert!(fixes(it).iter().any(|f| f.1 == "age"), "{it}");
    assert!(!out.join("no-age/certificate.pdf").exists());

    let c = json(&out.join("hostile/checklist.json"));
    let f = fixes(item(&c, "us-contact"));
    let fields: Vec<(&str, &str)> = f.iter().map(|f| (f.0.as_str(), f.1.as_str())).collect();
    assert_eq!(
        fields,
        [
            ("content/parties/far-importer.yaml", "country"),
            ("content/parties/far-importer.yaml", "address")
        ]
    );
    let it = item(&c, "labels");
    assert_eq!(it["status"], "fail");
    assert_eq!(fixes(it)[0].1, "declarations");
    assert!(fixes(it)[0].2.contains("tracking-label: true"));
    assert_eq!(it["warnings"][0]["cite"], "16 CFR 1500.19");
    assert!(
        it["warnings"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("WARNING: CHOKING HAZARD—Small parts")
    );
    assert_eq!(item(&c, "cpsc-lab")["status"], "pass");
    assert_eq!(item(&c, "certifier-not-lab")["status"], "pass");
    let html = fs::read_to_string(out.join("hostile/checklist.html")).unwrap();
    assert!(!html.contains("<script") && !html.contains("<img") && !html.contains("<b>"));
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Duck &amp; Co"));
    assert!(html.contains("R&lt;b&gt;1"));
    assert!(html.contains("WARNING: CHOKING HAZARD—Small parts"));

    // The one passing every item carries the PDF the site publishes.
    let c = json(&out.join("good/checklist.json"));
    assert_eq!(c["fails"], 0);
    let number = c["certificate"]["number"].as_str().unwrap().to_string();
    let public_after = root.join("built");
    with_certificate_pdfs(root);
    let o = certpress(&[
        "build",
        "--root",
        root.to_str().unwrap(),
        "--output",
        public_after.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        fs::read(out.join("good/certificate.pdf")).unwrap(),
        fs::read(public_after.join(format!("certificates/{number}/certificate.pdf"))).unwrap()
    );

    // Once it is blocked, its PDF is taken out of the folder on the next run.
    let good = root.join("content/products/good.yaml");
    let text = fs::read_to_string(&good).unwrap();
    fs::write(
        &good,
        text.replace("declarations: { tracking-label: true }\n", ""),
    )
    .unwrap();
    let o = export(root, None);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("good: 6 pass, 2 fail (labels, certificate)"),
        "{}",
        stdout(&o)
    );
    assert!(!out.join("good/certificate.pdf").exists());
}

#[test]
#[cfg(unix)]
fn a_link_planted_where_a_product_folder_goes_is_not_written_through() {
    let site = example_copy();
    let root = site.path();
    let victim = tempfile::tempdir().unwrap();
    let out = root.join("exports/marketplace");
    fs::create_dir_all(&out).unwrap();
    std::os::unix::fs::symlink(victim.path(), out.join("rainbow-stacker")).unwrap();
    let o = export(root, None);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stderr(&o).contains("is a link"), "{}", stderr(&o));
    assert_eq!(fs::read_dir(victim.path()).unwrap().count(), 0);
    // Checked before anything is written: no other folder either.
    assert_eq!(fs::read_dir(&out).unwrap().count(), 1);
}
