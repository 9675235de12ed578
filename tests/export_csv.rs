//! `certpress export csv [--xlsx]` (SPEC §13, README "Exports: spreadsheets"): every file
//! is read back with a real CSV parser (and the workbook with calamine) and compared
//! with the example site's records, its labels and its assessment.

mod common;

use common::*;
use serde_yaml::Value as Yaml;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const FILES: [&str; 5] = [
    "products.csv",
    "lots.csv",
    "evidence.csv",
    "parties.csv",
    "labels.csv",
];

/// A sheet read back: its header and its rows as header → cell, cells as in the file.
struct Csv {
    header: Vec<String>,
    rows: Vec<BTreeMap<String, String>>,
}

fn read_csv(path: &Path) -> Csv {
    let bytes = fs::read(path).unwrap();
    // Records end with CRLF (RFC 4180); UTF-8 with a byte-order mark, or spreadsheets
    // open the file in a legacy code page (the csv crate skips the mark).
    assert!(bytes.ends_with(b"\r\n"), "{}", path.display());
    assert!(
        bytes.starts_with("\u{feff}".as_bytes()),
        "{}",
        path.display()
    );
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(bytes.as_slice());
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|rec| {
            let rec = rec.unwrap();
            assert_eq!(rec.len(), header.len());
            header
                .iter()
                .cloned()
                .zip(rec.iter().map(String::from))
                .collect()
        })
        .collect();
    Csv { header, rows }
}

/// A cell's value: without the one leading `'` a neutralised cell has.
fn restore(cell: &str) -> String {
    certpress::sheet::csv::restore(cell).into_owned()
}

/// Every YAML record under `dir`, sorted by id.
fn records(dir: &Path) -> BTreeMap<String, Yaml> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "yaml"))
        .map(|e| {
            let y: Yaml = serde_yaml::from_str(&fs::read_to_string(e.path()).unwrap()).unwrap();
            (y["id"].as_str().unwrap().to_string(), y)
        })
        .collect()
}

/// A scalar as the record writes it (empty when absent).
fn scalar(v: &Yaml) -> String {
    match v {
        Yaml::Null => String::new(),
        Yaml::String(s) => s.clone(),
        Yaml::Bool(b) => b.to_string(),
        Yaml::Number(n) => n.to_string(),
        other => panic!("not a scalar: {other:?}"),
    }
}

fn list(v: &Yaml) -> String {
    v.as_sequence()
        .map(|s| s.iter().map(scalar).collect::<Vec<_>>().join("; "))
        .unwrap_or_default()
}

fn gtin14(v: &Yaml) -> String {
    match scalar(v) {
        s if s.is_empty() => s,
        s => format!("{s:0>14}"),
    }
}

struct Exported {
    _dir: tempfile::TempDir,
    out: PathBuf,
}

fn exported(root: &Path) -> Exported {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sheets");
    export_csv(root, &out);
    Exported { _dir: dir, out }
}

#[test]
fn every_record_is_a_row_with_its_values() {
    let e = exported(&repo());
    let products = records(&repo().join("content/products"));
    let parties = records(&repo().join("content/parties"));

    // Products: a row each, by id, every cell the record's value.
    let sheet = read_csv(&e.out.join("products.csv"));
    let ids: Vec<&str> = sheet.rows.iter().map(|r| r["id"].as_str()).collect();
    assert_eq!(ids, products.keys().map(String::as_str).collect::<Vec<_>>());
    for row in &sheet.rows {
        let y = &products[&row["id"]];
        let cell = |k: &str| restore(&row[k]);
        for key in [
            "name",
            "brand",
            "model",
            "sku",
            "description",
            "image",
            "manufacturer",
            "records_custodian",
        ] {
            assert_eq!(cell(key), scalar(&y[key]), "{} {key}", row["id"]);
        }
        assert_eq!(cell("gtin"), gtin14(&y["gtin"]), "{}", row["id"]);
        assert_eq!(cell("categories"), list(&y["categories"]));
        assert_eq!(cell("markets"), list(&y["markets"]));
        let status = scalar(&y["status"]);
        assert_eq!(
            cell("status"),
            if status.is_empty() { "active" } else { &status }
        );
        if y["age"].is_mapping() {
            let min = scalar(&y["age"]["min_months"]);
            assert_eq!(
                cell("age.min_months"),
                if min.is_empty() { "0" } else { &min }
            );
            assert_eq!(cell("age.max_months"), scalar(&y["age"]["max_months"]));
        } else {
            assert_eq!(cell("age.min_months"), "");
            assert_eq!(cell("age.max_months"), "");
        }
        assert_eq!(
            cell("cpsc.product_id"),
            scalar(&y["cpsc"]["product_id"]),
            "{}",
            row["id"]
        );
        // Map fields: a column per key, the record's value under it, empty elsewhere.
        for (family, map) in [
            ("importers", &y["importers"]),
            ("attributes", &y["attributes"]),
            ("declarations", &y["declarations"]),
        ] {
            let prefix = format!("{family}.");
            for h in sheet.header.iter().filter(|h| h.starts_with(&prefix)) {
                let key = &h[prefix.len()..];
                assert_eq!(cell(h), scalar(&map[key]), "{} {h}", row["id"]);
            }
            for key in map.as_mapping().into_iter().flat_map(|m| m.keys()) {
                let h = format!("{prefix}{}", scalar(key));
                assert!(sheet.header.contains(&h), "no column {h}");
            }
        }
    }
    // The leading zero of a GTIN stays.
    let boats = sheet.rows.iter().find(|r| r["id"] == "bath-boats").unwrap();
    assert_eq!(boats["gtin"], "00614141001026");

    // Lots: a row each, by product and then record order, dates as written.
    let lots = read_csv(&e.out.join("lots.csv"));
    assert_eq!(lots.header, ["product", "lot", "made", "place", "factory"]);
    let expected: Vec<Vec<String>> = products
        .iter()
        .flat_map(|(id, y)| {
            y["lots"].as_sequence().into_iter().flatten().map(|l| {
                vec![
                    id.clone(),
                    scalar(&l["lot"]),
                    scalar(&l["made"]),
                    scalar(&l["place"]),
                    scalar(&l["factory"]),
                ]
            })
        })
        .collect();
    let got: Vec<Vec<String>> = lots
        .rows
        .iter()
        .map(|r| lots.header.iter().map(|h| restore(&r[h])).collect())
        .collect();
    assert_eq!(got, expected);
    assert!(
        got.iter().any(|l| l[2].len() == 7),
        "a year-month stays one"
    );

    // Evidence: a row per report.
    let evidence = read_csv(&e.out.join("evidence.csv"));
    let expected: Vec<Vec<String>> = products
        .iter()
        .flat_map(|(id, y)| {
            y["evidence"].as_sequence().into_iter().flatten().map(|r| {
                vec![
                    id.clone(),
                    scalar(&r["report"]),
                    scalar(&r["lab"]),
                    scalar(&r["date"]),
                    scalar(&r["place"]),
                    list(&r["covers"]),
                    scalar(&r["result"]),
                    list(&r["lots"]),
                    scalar(&r["file"]),
                ]
            })
        })
        .collect();
    let got: Vec<Vec<String>> = evidence
        .rows
        .iter()
        .map(|r| evidence.header.iter().map(|h| restore(&r[h])).collect())
        .collect();
    assert_eq!(got, expected);

    // Parties: a row each, address lines as lines, phone numbers exact.
    let sheet = read_csv(&e.out.join("parties.csv"));
    let ids: Vec<&str> = sheet.rows.iter().map(|r| r["id"].as_str()).collect();
    assert_eq!(ids, parties.keys().map(String::as_str).collect::<Vec<_>>());
    for row in &sheet.rows {
        let y = &parties[&row["id"]];
        for key in [
            "kind",
            "name",
            "country",
            "email",
            "phone",
            "cpsc_certifier_id",
        ] {
            assert_eq!(row[key], scalar(&y[key]), "{} {key}", row["id"]);
        }
        let lines: Vec<String> = y["address"]
            .as_sequence()
            .into_iter()
            .flatten()
            .map(scalar)
            .collect();
        assert_eq!(row["address"], lines.join("\n"));
        for (scheme, id) in y["accreditations"].as_mapping().into_iter().flatten() {
            assert_eq!(
                row[&format!("accreditations.{}", scalar(scheme))],
                scalar(id)
            );
        }
        for (i, c) in y["certifications"]
            .as_sequence()
            .into_iter()
            .flatten()
            .enumerate()
        {
            for f in ["standard", "number", "issuer", "valid_until"] {
                assert_eq!(
                    row[&format!("certifications.{i}.{f}")],
                    scalar(&c[f]),
                    "{} {i} {f}",
                    row["id"]
                );
            }
        }
    }
    let phones: Vec<&str> = sheet.rows.iter().map(|r| r["phone"].as_str()).collect();
    assert!(
        phones.iter().any(|p| p.starts_with("+86 ")),
        "a phone number starting + is written as it is: {phones:?}"
    );
}

#[test]
fn labels_carry_the_printed_qr_payload_and_the_required_texts() {
    let e = exported(&repo());
    let labels = read_csv(&e.out.join("labels.csv"));
    let products = records(&repo().join("content/products"));
    let base = "https://certs.littleoak.example";

    // A row per label: per lot, and one for a product without lots.
    let expected: usize = products
        .values()
        .map(|y| y["lots"].as_sequence().map_or(1, |l| l.len().max(1)))
        .sum();
    assert_eq!(labels.rows.len(), expected);
    for row in &labels.rows {
        let y = &products[&row["product"]];
        let lot = &row["lot"];
        let want = match (gtin14(&y["gtin"]), lot.is_empty()) {
            (g, false) if !g.is_empty() => format!("{base}/01/{g}/10/{lot}"),
            (g, true) if !g.is_empty() => format!("{base}/01/{g}"),
            (_, false) => format!("{base}/products/{}/lots/{lot}/", row["product"]),
            (_, true) => format!("{base}/products/{}/", row["product"]),
        };
        assert_eq!(row["qr_payload"], want);
        assert!(
            row["tracking_label"].starts_with(&scalar(&y["name"])),
            "{}",
            row["tracking_label"]
        );
    }

    // The payload is what the printed label's QR encodes: the SVG label carries it.
    let dir = tempfile::tempdir().unwrap();
    for (product, lot) in [("bath-boats", "2026-03C"), ("acorn-necklace", "2026-10J")] {
        let o = certpress(&[
            "labels",
            "--root",
            repo().to_str().unwrap(),
            "--product",
            product,
            "--lot",
            lot,
            "--format",
            "svg",
            "--output",
            dir.path().to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let svg =
            fs::read_to_string(dir.path().join(format!("labels/{product}/{lot}.svg"))).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let url = doc.root_element().attribute("data-url").unwrap();
        let row = labels
            .rows
            .iter()
            .find(|r| r["product"] == product && r["lot"] == lot)
            .unwrap();
        assert_eq!(row["qr_payload"], url, "{product} {lot}");
    }

    // Each market's texts and marks are those the assessment asks of the label.
    let check = check_json(&repo());
    let mut seen_text = false;
    for p in check["products"].as_array().unwrap() {
        let id = p["id"].as_str().unwrap();
        let mut by_market: BTreeMap<String, (Vec<String>, Vec<String>)> = BTreeMap::new();
        for a in p["assessments"].as_array().unwrap() {
            let (texts, marks) = by_market
                .entry(a["market"].as_str().unwrap().to_string())
                .or_default();
            for l in a["labels"].as_array().unwrap() {
                let t = l["text"].as_str().unwrap().to_string();
                if !texts.contains(&t) {
                    texts.push(t);
                }
            }
            for m in a["marks"].as_array().unwrap() {
                let m = m.as_str().unwrap().to_string();
                if !marks.contains(&m) {
                    marks.push(m);
                }
            }
        }
        let sold: BTreeSet<String> = products[id]["markets"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(scalar)
            .collect();
        for row in labels.rows.iter().filter(|r| r["product"] == id) {
            for h in labels.header.iter().filter(|h| h.ends_with(".texts")) {
                let market = h.trim_end_matches(".texts");
                let (texts, marks) = match by_market.get(market) {
                    Some(x) if sold.contains(market) => x.clone(),
                    _ => Default::default(),
                };
                assert_eq!(restore(&row[h]), texts.join("\n"), "{id} {h}");
                assert_eq!(row[&format!("{market}.marks")], marks.join("; "), "{id}");
                seen_text |= !texts.is_empty();
            }
        }
    }
    assert!(seen_text, "the example site has products with label texts");
}

/// Edits the record `file` (under `root`) as YAML and writes it back.
fn edit(root: &Path, file: &str, change: impl FnOnce(&mut Yaml)) {
    let path = root.join(file);
    let mut y: Yaml = serde_yaml::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    change(&mut y);
    fs::write(path, serde_yaml::to_string(&y).unwrap()).unwrap();
}

#[test]
fn cells_never_start_a_formula_and_read_back_exactly() {
    let site = example_copy();
    let root = site.path();
    let boats = "content/products/toys/bath-boats.yaml";
    let stacker = "content/products/toys/rainbow-stacker.yaml";
    edit(root, boats, |y| {
        y["description"] = "=cmd|' /C calc'!A0".into();
        y["sku"] = "'quoted".into();
    });
    edit(root, stacker, |y| {
        y["description"] = "-x".into();
        y["lots"][0]["place"] = "-5".into();
    });
    check_json(root);
    let e = exported(root);

    let text = fs::read_to_string(e.out.join("products.csv")).unwrap();
    let products = read_csv(&e.out.join("products.csv"));
    let row = |id: &str| products.rows.iter().find(|r| r["id"] == id).unwrap();
    assert_eq!(row("bath-boats")["description"], "'=cmd|' /C calc'!A0");
    assert_eq!(
        restore(&row("bath-boats")["description"]),
        "=cmd|' /C calc'!A0"
    );
    assert_eq!(row("bath-boats")["sku"], "''quoted");
    assert_eq!(restore(&row("bath-boats")["sku"]), "'quoted");
    assert_eq!(row("rainbow-stacker")["description"], "'-x");
    assert_eq!(restore(&row("rainbow-stacker")["description"]), "-x");
    assert!(!text.contains(",=cmd"), "{text}");

    // A number is a number: no `'`.
    let lots = read_csv(&e.out.join("lots.csv"));
    let lot = lots
        .rows
        .iter()
        .find(|r| r["product"] == "rainbow-stacker")
        .unwrap();
    assert_eq!(lot["place"], "-5");

    // No cell of any file starts what a spreadsheet runs as a formula.
    for f in FILES {
        let sheet = read_csv(&e.out.join(f));
        for r in &sheet.rows {
            for (h, c) in r {
                let risky = c.starts_with(['=', '@', '\t', '\r'])
                    || (c.starts_with(['+', '-'])
                        && !(c[1..].chars().all(|c| c.is_ascii_digit() || c == '.')
                            || (h == "phone" && c.starts_with('+'))));
                assert!(!risky, "{f}: {h} = {c:?}");
            }
        }
    }
}

#[test]
fn the_workbook_holds_the_same_cells_as_text() {
    use calamine::{Data, Reader, Xlsx};
    let e = exported(&repo());
    let mut book: Xlsx<_> = calamine::open_workbook(e.out.join("records.xlsx")).unwrap();
    assert_eq!(
        book.sheet_names(),
        ["Products", "Lots", "Evidence", "Parties", "Labels"]
    );
    for (title, file) in book.sheet_names().into_iter().zip(FILES) {
        let range = book.worksheet_range(&title).unwrap();
        let csv = read_csv(&e.out.join(file));
        let rows: Vec<Vec<Data>> = range.rows().map(|r| r.to_vec()).collect();
        assert_eq!(rows.len(), csv.rows.len() + 1, "{title}");
        let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
        assert_eq!(header, csv.header, "{title}");
        for (xr, cr) in rows[1..].iter().zip(&csv.rows) {
            for (i, h) in csv.header.iter().enumerate() {
                // Every cell is text (or blank, for an empty value), and exactly the
                // value: the CSV's `'` is not in the workbook.
                let got = match xr.get(i) {
                    None | Some(Data::Empty) => String::new(),
                    Some(Data::String(s)) => s.clone(),
                    Some(other) => panic!("{title} {h}: not a text cell: {other:?}"),
                };
                assert_eq!(got, restore(&cr[h]), "{title} {h}");
            }
        }
    }
    let range = book.worksheet_range("Products").unwrap();
    let gtin = range
        .rows()
        .next()
        .unwrap()
        .iter()
        .position(|c| *c == Data::String("gtin".into()));
    let boats = range
        .rows()
        .find(|r| r[0] == Data::String("bath-boats".into()))
        .unwrap();
    assert_eq!(boats[gtin.unwrap()], Data::String("00614141001026".into()));
}

#[test]
fn two_runs_write_the_same_bytes() {
    let a = exported(&repo());
    let b = exported(&repo());
    let (ta, tb) = (read_tree(&a.out), read_tree(&b.out));
    assert_eq!(
        ta.keys().collect::<Vec<_>>(),
        [
            "evidence.csv",
            "labels.csv",
            "lots.csv",
            "parties.csv",
            "products.csv",
            "records.xlsx"
        ]
    );
    for (name, bytes) in &ta {
        assert!(tb[name] == *bytes, "{name} differs between runs");
    }
}

#[test]
fn a_site_with_errors_writes_nothing() {
    let site = example_copy();
    let root = site.path();
    edit(root, "content/products/toys/bath-boats.yaml", |y| {
        y["manufacturer"] = "nobody-at-all".into();
    });
    let out = root.join("out");
    let o = certpress(&[
        "export",
        "csv",
        "--root",
        root.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("No spreadsheets were written"));
    assert!(!out.exists());
}
