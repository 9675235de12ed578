//! `certpress export efiling` (SPEC §13, exports.md §1): every file it writes is read
//! back and compared with the ledger's snapshots and the assessment of the example site.

mod common;

use common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

const PARTY: &str = "content/parties/importers/oak-imports-usa.yaml";
const STACKER: &str = "content/products/toys/rainbow-stacker.yaml";

/// Runs the export on `root` into `out`.
fn export(root: &Path, out: &Path) -> std::process::Output {
    certpress(&[
        "export",
        "efiling",
        "--root",
        root.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ])
}

/// Exports `root` into `<root>/exports`, asserting success; the folder.
fn exported(root: &Path) -> std::path::PathBuf {
    let out = root.join("exports");
    let o = export(root, &out);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    out
}

/// A minimal RFC 4180 reader: rows of cells (quoted cells may hold commas, quotes and
/// line breaks). Asserts that every record ends with CRLF.
fn read_csv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let text = fs::read_to_string(path).unwrap();
    let mut rows: Vec<Vec<String>> = Vec::new();
    let (mut row, mut cell) = (Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') if cell.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "records end with CRLF");
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, '\n') => panic!("a bare LF outside quotes in {}", path.display()),
            (false, c) => cell.push(c),
        }
    }
    assert!(cell.is_empty() && row.is_empty(), "the file ends with CRLF");
    let header = rows.remove(0);
    rows.into_iter()
        .map(|r| {
            assert_eq!(r.len(), header.len(), "{r:?}");
            header.iter().cloned().zip(r).collect()
        })
        .collect()
}

/// The ledger's versions: (number, version) → (issue date, hash, snapshot).
fn ledger(root: &Path) -> BTreeMap<(String, u64), (String, String, Value)> {
    let text = fs::read_to_string(root.join("certificates.lock")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let mut parts = l.splitn(5, ' ');
            let number = parts.next().unwrap().to_string();
            let version: u64 = parts.next().unwrap()[1..].parse().unwrap();
            let date = parts.next().unwrap().to_string();
            let hash = parts.next().unwrap().to_string();
            // A later version carries `prev:<hash>` before its content.
            let rest = parts.next().unwrap();
            let rest = match rest.strip_prefix("prev:") {
                Some(chained) => chained.split_once(' ').unwrap().1,
                None => rest,
            };
            let snapshot: Value = serde_json::from_str(rest).unwrap();
            ((number, version), (date, hash, snapshot))
        })
        .collect()
}

/// The US certificates (CPC, GCC) with a version in force, and that version, as the
/// library's register says.
fn in_force(root: &Path) -> BTreeMap<String, u32> {
    use certpress::pipeline::{Pipeline, Purpose};
    let mut p = Pipeline::load(root, &certpress::site::Overrides::default());
    p.assess().review(Purpose::Publish { locked: false });
    let register = p.register();
    let mut out = BTreeMap::new();
    for (number, versions) in &register.ledger().certificates {
        let s = &versions.last().unwrap().snapshot;
        if s.market == "US"
            && ["us-cpc", "us-gcc"].contains(&s.kind.as_str())
            && let Some(v) = register.entry(number).in_force
        {
            out.insert(number.clone(), v.version);
        }
    }
    out
}

fn contact(exported: &Value, snap: &Value) {
    for key in ["name", "address", "country", "email", "phone"] {
        assert_eq!(exported[key], snap[key], "{key}");
    }
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

#[test]
fn every_in_force_us_certificate_is_exported_with_all_its_elements() {
    let site = example_copy();
    let root = site.path();
    let out = exported(root);
    let doc = json(&out.join("cpsc-efiling.json"));

    // The document follows the schema published beside it.
    let schema = json(&out.join("cpsc-efiling.schema.json"));
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // ... and the schema holds it to the elements: a certificate without its Certifier ID
    // or with a rule-less, lot-less body does not pass.
    let mut broken = doc.clone();
    broken["certificates"][0]["certifier"]
        .as_object_mut()
        .unwrap()
        .remove("cpsc_certifier_id");
    broken["certificates"][1]["rules"] = Value::Array(vec![]);
    broken["certificates"][2]["lots"][0]["tests"][0]["lab"]["extra"] = "x".into();
    assert_eq!(validator.iter_errors(&broken).count(), 3);

    let expected = in_force(root);
    assert!(expected.len() >= 10, "{expected:?}");
    let ledger = ledger(root);
    let certs = doc["certificates"].as_array().unwrap();
    let numbers: BTreeMap<String, u64> = certs
        .iter()
        .map(|c| {
            (
                c["number"].as_str().unwrap().to_string(),
                c["version"].as_u64().unwrap(),
            )
        })
        .collect();
    let wanted: BTreeMap<String, u64> = expected
        .iter()
        .map(|(n, v)| (n.clone(), u64::from(*v)))
        .collect();
    assert_eq!(numbers, wanted);

    for c in certs {
        let number = c["number"].as_str().unwrap();
        let version = c["version"].as_u64().unwrap();
        let (date, hash, s) = &ledger[&(number.to_string(), version)];
        let what = format!("{number} v{version}");
        let kind = s["kind"].as_str().unwrap();
        let ty = if kind == "us-cpc" { "CPC" } else { "GCC" };
        assert_eq!(c["certificate_type"], ty, "{what}");
        assert_eq!(c["issued"], date.as_str(), "{what}");
        assert_eq!(c["content_hash"], hash.as_str(), "{what}");
        let page = format!("https://certs.littleoak.example/certificates/{number}/");
        assert_eq!(c["url"], page.as_str());
        assert_eq!(c["pdf_url"], format!("{page}certificate.pdf").as_str());
        // No cpsc-registry.toml: the id is certpress's guess, and says so.
        assert_eq!(c["certificate_version_id_provisional"], true);
        assert_eq!(
            c["certificate_version_id"],
            format!("{number}-V{version:02}").as_str()
        );

        let p = &c["product"];
        for key in ["id", "name", "brand", "model", "gtin", "sku", "description"] {
            assert_eq!(p[key], s["product"][key], "{what} {key}");
        }
        if s["product"]["id"] == "rainbow-stacker" {
            assert_eq!(p["product_id"], "LO-RS-01-EA");
            assert_eq!(p["product_id_type"], "sku");
        } else if !s["product"]["gtin"].is_null() {
            assert_eq!(p["product_id"], s["product"]["gtin"], "{what}");
            assert_eq!(p["product_id_type"], "gtin", "{what}");
        }

        let rules: Vec<(&Value, &Value)> = c["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (&r["cite"], &r["title"]))
            .collect();
        let snap_rules: Vec<(&Value, &Value)> = s["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (&r["cite"], &r["title"]))
            .collect();
        assert_eq!(rules, snap_rules, "{what}");

        assert_eq!(c["certifier"]["role"], s["certifier_role"]);
        assert_eq!(c["certifier"]["cpsc_certifier_id"], "LITTLEOAK-EXAMPLE");
        contact(&c["certifier"], &s["certifier"]);
        contact(&c["manufacturer"], &s["manufacturer"]);
        if s["records_custodian"].is_null() {
            assert!(c["records_custodian"].is_null());
        } else {
            contact(&c["records_custodian"], &s["records_custodian"]);
        }

        // Per lot: date and place of manufacture, and every report relied on that
        // covers the lot, with its date, place and lab (CPSC lab id).
        let snap_lots = s["lots"].as_array().unwrap();
        let lots = c["lots"].as_array().unwrap();
        assert_eq!(lots.len(), snap_lots.len().max(1), "{what}");
        for (i, lot) in lots.iter().enumerate() {
            let code = snap_lots.get(i).map(|l| l["lot"].clone());
            if let Some(l) = snap_lots.get(i) {
                for key in ["lot", "made", "place"] {
                    assert_eq!(lot[key], l[key], "{what} {key}");
                }
            } else {
                assert!(lot["lot"].is_null() && lot["made"].is_null());
            }
            let applies = |t: &Value| {
                let lots = t["lots"].as_array().unwrap();
                lots.is_empty() || code.as_ref().is_some_and(|c| lots.contains(c))
            };
            let snap_tests: Vec<&Value> = s["tests"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|t| applies(t))
                .collect();
            let tests = lot["tests"].as_array().unwrap();
            assert_eq!(tests.len(), snap_tests.len(), "{what} lot {i}");
            assert!(!tests.is_empty(), "{what} lot {i} has no tests");
            for (t, st) in tests.iter().zip(snap_tests) {
                for key in ["report", "date", "place", "covers"] {
                    assert_eq!(t[key], st[key], "{what} {key}");
                }
                contact(&t["lab"], &st["lab"]);
                let cpsc = st["lab"]["accreditations"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|a| a[0] == "cpsc")
                    .map(|a| a[1].clone())
                    .unwrap_or(Value::Null);
                assert_eq!(t["lab"]["cpsc_lab_id"], cpsc, "{what}");
                if ty == "CPC" {
                    assert!(t["lab"]["cpsc_lab_id"].is_string(), "{what}: CPC lab id");
                }
            }
        }
    }

    // The CSV says the same, one row per version × lot × rule.
    let rows = read_csv(&out.join("cpsc-efiling.csv"));
    let mut expected_rows = 0;
    for c in certs {
        let lots = c["lots"].as_array().unwrap().len();
        expected_rows += lots * c["rules"].as_array().unwrap().len();
    }
    assert_eq!(rows.len(), expected_rows);
    for r in &rows {
        let c = certs
            .iter()
            .find(|c| c["number"] == r["certificate_number"].as_str())
            .unwrap();
        assert_eq!(r["content_hash"], c["content_hash"].as_str().unwrap());
        assert_eq!(
            r["certifier_name"],
            c["certifier"]["name"].as_str().unwrap()
        );
        assert!(!r["test_report"].is_empty(), "{r:?}");
        // A phone number begins with `+` but runs nothing: kept as written.
        assert!(r["certifier_phone"].starts_with("+1 "), "{r:?}");
        let address: Vec<&str> = c["certifier"]["address"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect();
        assert_eq!(r["certifier_address"], address.join("\n"));
    }
}

#[test]
fn the_reference_file_has_a_row_per_sku_and_lot() {
    let site = example_copy();
    let out = exported(site.path());
    let doc = json(&out.join("cpsc-efiling.json"));
    let rows = read_csv(&out.join("cpsc-reference.csv"));
    let mut expected = BTreeSet::new();
    for c in doc["certificates"].as_array().unwrap() {
        for lot in c["lots"].as_array().unwrap() {
            expected.insert((
                c["number"].as_str().unwrap().to_string(),
                lot["lot"].as_str().unwrap_or("").to_string(),
                c["product"]["sku"].as_str().unwrap_or("").to_string(),
            ));
        }
    }
    let got: BTreeSet<(String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["certificate_number"].clone(),
                r["lot"].clone(),
                r["sku"].clone(),
            )
        })
        .collect();
    assert_eq!(rows.len(), got.len(), "no duplicate rows");
    assert_eq!(got, expected);
    for r in &rows {
        assert_eq!(r["certifier_id"], "LITTLEOAK-EXAMPLE");
        // No id from the Registry: the column platforms import stays empty, the guess
        // is beside it.
        assert!(!r["product_id"].is_empty() && r["certificate_version_id"].is_empty());
        assert!(!r["provisional_certificate_version_id"].is_empty());
    }
    let stacker: Vec<_> = rows
        .iter()
        .filter(|r| r["certificate_number"] == "LO-RAINBOW-STACKER-US-CPC")
        .collect();
    assert_eq!(stacker.len(), 2, "two lots");
    assert!(
        stacker
            .iter()
            .all(|r| r["product_id"] == "LO-RS-01-EA" && r["product_id_type"] == "sku")
    );
}

#[test]
fn the_disclaim_list_is_the_us_products_that_need_no_certificate() {
    let site = example_copy();
    let root = site.path();
    // A general-use product no US rule applies to: every example product sold in the US
    // has a certificate.
    fs::write(
        root.join("content/products/adult/oak-tote-bag.yaml"),
        "id: oak-tote-bag\nname: Canvas Tote Bag\nmodel: LO-TB-01\nsku: LO-TB-01-NAT\nmarkets: [US]\nmanufacturer: little-oak-ltd\nimporters: { US: oak-imports-usa }\n",
    )
    .unwrap();
    let out = exported(root);
    let rows = read_csv(&out.join("cpsc-disclaim.csv"));
    let check = check_json(root);
    let mut expected = BTreeSet::new();
    for p in check["products"].as_array().unwrap() {
        let us: Vec<&Value> = p["assessments"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["market"] == "US")
            .collect();
        if !us.is_empty() && us.iter().all(|a| a["certificate"].is_null()) {
            expected.insert(p["id"].as_str().unwrap().to_string());
        }
    }
    let got: BTreeSet<String> = rows.iter().map(|r| r["product"].clone()).collect();
    assert_eq!(got, expected);
    assert_eq!(got, BTreeSet::from(["oak-tote-bag".to_string()]));
    let tote = &rows[0];
    assert_eq!(
        (
            tote["product_id"].as_str(),
            tote["product_id_type"].as_str()
        ),
        ("LO-TB-01-NAT", "sku"),
        "no GTIN: the SKU"
    );
}

#[test]
fn a_certificate_with_a_gap_is_not_exported() {
    let site = example_copy();
    let root = site.path();
    // Without its tracking-label declaration the stacker's US certificate has a gap.
    let path = root.join(STACKER);
    edit(
        &path,
        "  tracking-label: true\n",
        "  tracking-label: false\n",
    );
    let out = root.join("exports");
    let o = export(root, &out);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("Skipped LO-RAINBOW-STACKER-US-CPC: not in force: blocked by a gap"),
        "{}",
        stdout(&o)
    );
    for file in [
        "cpsc-efiling.json",
        "cpsc-efiling.csv",
        "cpsc-reference.csv",
    ] {
        let text = fs::read_to_string(out.join(file)).unwrap();
        assert!(!text.contains("LO-RAINBOW-STACKER-US-CPC"), "{file}");
        assert!(text.contains("LO-SKY-TILES-MAGNETIC-US-CPC"), "{file}");
    }
}

#[test]
fn a_missing_certifier_id_names_the_party_file_and_writes_nothing() {
    let site = example_copy();
    let root = site.path();
    let path = root.join(PARTY);
    edit(&path, "cpsc_certifier_id: LITTLEOAK-EXAMPLE\n", "");
    let out = root.join("exports");
    let o = export(root, &out);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains(PARTY), "{err}");
    assert!(err.contains("cpsc_certifier_id"), "{err}");
    assert!(err.contains("LO-RAINBOW-STACKER-US-CPC"), "{err}");
    assert!(!out.exists(), "nothing is written");
}

#[test]
fn a_certifier_other_than_the_one_the_version_names_is_an_error() {
    let site = example_copy();
    let root = site.path();
    let path = root.join(PARTY);
    edit(&path, "Little Oak Imports USA, Inc.", "Oak Imports Corp.");
    let out = root.join("exports");
    let o = export(root, &out);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("certifier-changed"), "{err}");
    assert!(err.contains(&format!("{STACKER}:1:5")), "{err}");
    assert!(err.contains("certpress issue"), "{err}");
    assert!(!out.exists());
}

/// The diagnostics of `check --json` with `code`: (file, line, column).
fn located(root: &Path, code: &str) -> Vec<(String, u64, u64)> {
    let o = certpress(&["check", "--json", "--root", root.to_str().unwrap()]);
    let json: Value = serde_json::from_str(&stdout(&o)).unwrap();
    json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == code)
        .map(|d| {
            (
                d["file"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn bad_cpsc_fields_are_errors_at_their_line() {
    let site = example_copy();
    let root = site.path();
    let stacker = root.join(STACKER);
    let original = fs::read_to_string(&stacker).unwrap();
    let line = original
        .lines()
        .position(|l| l.starts_with("cpsc:"))
        .unwrap() as u64
        + 1;
    let with = |cpsc: &str| {
        let text = original.replace(
            "cpsc: { product_id: LO-RS-01-EA, product_id_type: sku }",
            cpsc,
        );
        fs::write(&stacker, text).unwrap();
    };
    // A GTIN with a wrong check digit.
    with("cpsc: { product_id: \"9521234000113\", product_id_type: gtin }");
    assert_eq!(
        located(root, "bad-cpsc-product-id"),
        [(STACKER.to_string(), line, 21)]
    );
    // A UPC is 12 digits.
    with("cpsc: { product_id: \"9521234000112\", product_id_type: upc }");
    assert_eq!(located(root, "bad-cpsc-product-id").len(), 1);
    // An id with a space.
    with("cpsc: { product_id: \"LO RS\", product_id_type: sku }");
    assert_eq!(located(root, "bad-cpsc-product-id").len(), 1);
    // An unknown type, and an unknown key: YAML shape errors at their line.
    for bad in [
        "cpsc: { product_id: X1, product_id_type: ean }",
        "cpsc: { product_id: X1, product_id_type: sku, note: x }",
    ] {
        with(bad);
        let o = certpress(&["check", "--root", root.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1));
        let err = stderr(&o);
        assert!(err.contains(&format!("{STACKER}:{line}:")), "{bad}: {err}");
    }
    fs::write(&stacker, &original).unwrap();

    // A certifier id with whitespace, at its line in the party file.
    let party = root.join(PARTY);
    let text = fs::read_to_string(&party).unwrap();
    let line = text
        .lines()
        .position(|l| l.starts_with("cpsc_certifier_id:"))
        .unwrap() as u64
        + 1;
    fs::write(&party, text.replace("LITTLEOAK-EXAMPLE", "\"LITTLE OAK\"")).unwrap();
    assert_eq!(
        located(root, "bad-cpsc-certifier-id"),
        [(PARTY.to_string(), line, 20)]
    );
}

#[test]
fn registry_ids_replace_the_provisional_ones_and_are_checked() {
    let site = example_copy();
    let root = site.path();
    fs::write(
        root.join("cpsc-registry.toml"),
        "# from the Registry\n\"LO-RAINBOW-STACKER-US-CPC v1\" = \"TOY-A1B2C3D4E5\"\n",
    )
    .unwrap();
    let out = exported(root);
    let rows = read_csv(&out.join("cpsc-reference.csv"));
    for r in &rows {
        let stacker = r["certificate_number"] == "LO-RAINBOW-STACKER-US-CPC";
        assert_eq!(r["certificate_version_id"] == "TOY-A1B2C3D4E5", stacker);
        assert_eq!(r["provisional_certificate_version_id"].is_empty(), stacker);
    }

    fs::write(
        root.join("cpsc-registry.toml"),
        "\"LO-RAINBOW-STACKER-US-CPC v1\" = \"TOY-A1B2C3D4E5\"\n\"LO-RAINBOW-STACKER-US-CPC v2\" = \"TOY-2\"\n\"LO-NOPE v1\" = \"TOY-3\"\n",
    )
    .unwrap();
    let fresh = root.join("fresh");
    let o = export(root, &fresh);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("cpsc-registry.toml:2:1"), "{err}");
    assert!(err.contains("cpsc-registry.toml:3:1"), "{err}");
    assert!(!fresh.exists());

    // With a certifier id missing too, both files' problems are reported at once.
    let party = root.join(PARTY);
    edit(&party, "cpsc_certifier_id: LITTLEOAK-EXAMPLE\n", "");
    let o = export(root, &fresh);
    let err = stderr(&o);
    assert!(
        err.contains("cpsc-registry.toml:2:1") && err.contains(PARTY),
        "{err}"
    );
    assert!(!fresh.exists());
}

#[test]
fn output_is_byte_identical_across_runs_and_never_inside_the_site() {
    let site = example_copy();
    let root = site.path();
    let (a, b) = (root.join("a"), root.join("b"));
    for dir in [&a, &b] {
        let o = export(root, dir);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let (a, b) = (read_tree(&a), read_tree(&b));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        [
            "cpsc-disclaim.csv",
            "cpsc-efiling.csv",
            "cpsc-efiling.json",
            "cpsc-efiling.schema.json",
            "cpsc-reference.csv"
        ]
    );
    assert!(a == b, "two runs differ");

    let o = export(root, &root.join("public/exports"));
    assert_eq!(o.status.code(), Some(2));
    assert!(!root.join("public/exports").exists());
}

/// Replaces `from` with `to` in the file at `path`.
fn edit(path: &Path, from: &str, to: &str) {
    let text = fs::read_to_string(path).unwrap();
    fs::write(path, text.replace(from, to)).unwrap();
}
