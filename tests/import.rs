//! `certpress import` (issue 16, README "Importing spreadsheets"): the round trip with
//! `export csv` (CSV and XLSX) on the example site, bad cells reported with their row and
//! column, edits that keep what the sheet does not name, `--dry-run`, the mapping file.

mod common;
#[path = "../benches/synth.rs"]
mod synth;

use common::*;
use serde_json::Value as Json;
use std::fs;
use std::path::Path;

/// `import` into `root` with `args` (files, flags).
fn import(root: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["import", "--root", root.to_str().unwrap()];
    all.extend_from_slice(args);
    certpress(&all)
}

/// `import --mapping MAPPING FILE` into `root`.
fn import_mapped(root: &Path, mapping: &Path, file: &Path) -> std::process::Output {
    import(
        root,
        &[
            "--mapping",
            mapping.to_str().unwrap(),
            file.to_str().unwrap(),
        ],
    )
}

/// The example site without its product records (site.toml, parties, plugins, theme,
/// assets kept).
fn without_products() -> tempfile::TempDir {
    let site = example_copy();
    fs::remove_dir_all(site.path().join("content/products")).unwrap();
    site
}

/// A `check --json` document without the records' file names and positions (an
/// imported record is `content/products/<id>.yaml` where the original may sit in a
/// subfolder, and its keys may be laid out on other lines), diagnostics sorted.
fn comparable(mut json: Json) -> Json {
    fn strip(v: &mut Json) {
        match v {
            Json::Object(m) => {
                for k in ["file", "line", "column"] {
                    m.remove(k);
                }
                m.values_mut().for_each(strip);
            }
            Json::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut json);
    if let Some(d) = json["diagnostics"].as_array_mut() {
        d.sort_by_key(|x| x.to_string());
    }
    json
}

fn records(root: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    read_tree(&root.join("content"))
}

#[test]
fn csv_round_trip_rebuilds_the_products_check_json_equal() {
    let out = tempfile::tempdir().unwrap();
    export_csv(&repo(), out.path());
    let site = without_products();
    let files: Vec<String> = ["products.csv", "lots.csv", "evidence.csv"]
        .iter()
        .map(|f| out.path().join(f).to_string_lossy().into_owned())
        .collect();
    let args: Vec<&str> = files.iter().map(String::as_str).collect();
    let o = import(site.path(), &args);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("products: 19 created, 0 updated, 0 unchanged"),
        "{}",
        stdout(&o)
    );
    assert_eq!(
        comparable(check_json(site.path())),
        comparable(check_json(&repo()))
    );
    // New records are laid out as the example records are.
    let chair =
        fs::read_to_string(site.path().join("content/products/oak-high-chair.yaml")).unwrap();
    assert!(
        chair.starts_with(
            "id: oak-high-chair\nname: Grow-Along Wooden High Chair\nbrand: Little Oak\n"
        ),
        "{chair}"
    );
    assert!(
        chair.contains("age: { min_months: 6, max_months: 36 }\n"),
        "{chair}"
    );
}

#[test]
fn importing_what_was_just_exported_changes_no_file() {
    let out = tempfile::tempdir().unwrap();
    export_csv(&repo(), out.path());
    let site = example_copy();
    let before = records(site.path());
    let files: Vec<String> = [
        "products.csv",
        "lots.csv",
        "evidence.csv",
        "parties.csv",
        "labels.csv",
        "records.xlsx",
    ]
    .iter()
    .map(|f| out.path().join(f).to_string_lossy().into_owned())
    .collect();
    // The CSV files and the workbook each: the same records twice would be duplicates.
    for group in [&files[..5], &files[5..]] {
        let args: Vec<&str> = group.iter().map(String::as_str).collect();
        let o = import(site.path(), &args);
        assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
        assert!(
            stdout(&o).contains("products: 0 created, 0 updated, 19 unchanged"),
            "{}",
            stdout(&o)
        );
        assert!(stdout(&o).contains("Wrote 0 files."), "{}", stdout(&o));
        assert!(stderr(&o).contains("skipped: labels"), "{}", stderr(&o));
        assert_eq!(records(site.path()), before);
    }
}

#[test]
fn xlsx_round_trip_rebuilds_the_products_check_json_equal() {
    let out = tempfile::tempdir().unwrap();
    export_csv(&repo(), out.path());
    let site = without_products();
    let xlsx = out.path().join("records.xlsx");
    let o = import(site.path(), &[xlsx.to_str().unwrap()]);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("parties: 0 created, 0 updated, 10 unchanged"),
        "{}",
        stdout(&o)
    );
    assert_eq!(
        comparable(check_json(site.path())),
        comparable(check_json(&repo()))
    );
}

#[test]
fn bad_cells_are_reported_with_row_and_column_all_at_once_and_nothing_is_written() {
    let site = example_copy();
    let dir = tempfile::tempdir().unwrap();
    let products = dir.path().join("products.csv");
    fs::write(
        &products,
        "id,name,gtin,categories,manufacturer,colour\n\
         rainbow-stacker,Rainbow,0614141000013,toy,little-oak-ltd,red\n\
         bath-boats,Boats,,toy; no-such-category,little-oak-lt,\n",
    )
    .unwrap();
    let lots = dir.path().join("lots.csv");
    fs::write(
        &lots,
        "product,lot,made,place\nrainbow-stacker,2027-01A,2027-13,Ningbo\nno-such-product,X1,2026-01,Ningbo\n",
    )
    .unwrap();
    let before = records(site.path());
    let o = import(
        site.path(),
        &[products.to_str().unwrap(), lots.to_str().unwrap()],
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    for needle in [
        "row 2, column C (gtin): invalid GTIN `0614141000013`",
        "row 3, column D (categories): unknown category `no-such-category`",
        "row 3, column E (manufacturer): unknown party `little-oak-lt` (did you mean `little-oak-ltd`?)",
        "row 1, column F (colour): unknown column `colour` for products",
        "row 2, column C (made): invalid date `2027-13`",
        "row 3, column A (product): no product `no-such-product`",
        "Nothing was written.",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in\n{err}");
    }
    assert_eq!(records(site.path()), before);
}

#[test]
fn a_duplicate_id_and_an_error_of_the_resulting_site_name_their_cells() {
    let site = example_copy();
    let dir = tempfile::tempdir().unwrap();
    let products = dir.path().join("products.csv");
    // `status` is checked by the loader, not by the cell: the error is the record's, and
    // is reported at the cell it came from.
    fs::write(
        &products,
        "id,status\nrainbow-stacker,sold-out\nrainbow-stacker,active\n",
    )
    .unwrap();
    let before = records(site.path());
    let o = import(site.path(), &[products.to_str().unwrap()]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("row 3, column A (id): id `rainbow-stacker` is also in products.csv row 2"),
        "{err}"
    );
    assert_eq!(records(site.path()), before);
    fs::write(&products, "id,status\nrainbow-stacker,sold-out\n").unwrap();
    let o = import(site.path(), &[products.to_str().unwrap()]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    // At the cell the value came from, naming the record it went into.
    assert!(
        err.contains(
            "products.csv: row 2, column B (status): status: `sold-out` is not a valid value"
        ),
        "{err}"
    );
    assert!(
        err.contains("(content/products/toys/rainbow-stacker.yaml as imported)"),
        "{err}"
    );
    assert_eq!(records(site.path()), before);
}

#[test]
fn an_update_keeps_comments_and_every_field_the_sheet_does_not_name() {
    let site = example_copy();
    let rel = "content/products/infant/oak-high-chair.yaml";
    let original = fs::read_to_string(site.path().join(rel)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let products = dir.path().join("products.csv");
    // The GTIN the record has: no change (`export csv` writes the 14-digit form of
    // every GTIN, and importing it changes no file: see above).
    fs::write(
        &products,
        "id,name,gtin,sku\noak-high-chair,Grow-Along High Chair,29521234000185,\n",
    )
    .unwrap();
    let o = import(site.path(), &[products.to_str().unwrap()]);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    let now = fs::read_to_string(site.path().join(rel)).unwrap();
    let expected = original
        .replace(
            "name: Grow-Along Wooden High Chair\n",
            "name: Grow-Along High Chair\n",
        )
        .replace("sku: LO-HC-14-NAT\n", "");
    assert_eq!(now, expected);
    assert!(now.contains("# Small parts (16 CFR 1501"));
}

#[test]
fn dry_run_shows_the_diff_and_writes_nothing() {
    let site = example_copy();
    let dir = tempfile::tempdir().unwrap();
    let lots = dir.path().join("lots.csv");
    fs::write(
        &lots,
        "product,lot,made,place,factory\noak-high-chair,2026-11H,2026-11,\"Ningbo, Zhejiang, China\",little-oak-ltd\n",
    )
    .unwrap();
    let before = records(site.path());
    let o = import(site.path(), &["--dry-run", lots.to_str().unwrap()]);
    let out = stdout(&o);
    assert!(o.status.success(), "{out}\n{}", stderr(&o));
    assert!(
        out.contains("--- a/content/products/infant/oak-high-chair.yaml"),
        "{out}"
    );
    assert!(
        out.contains("+  - lot: \"2026-11H\"\n+    made: 2026-11\n"),
        "{out}"
    );
    assert!(
        out.contains("lots: 1 created, 0 updated, 0 unchanged"),
        "{out}"
    );
    assert!(out.contains("nothing was written"), "{out}");
    assert_eq!(records(site.path()), before);
}

#[test]
fn a_mapping_file_names_other_headers_and_fixed_values() {
    let site = example_copy();
    let dir = tempfile::tempdir().unwrap();
    let sheet = dir.path().join("catalogue.csv");
    fs::write(
        &sheet,
        "Item;Title;Model no.;EAN;Type\nstar-blocks;Star Blocks;LO-SB-01;0614141000029;toy\n",
    )
    .unwrap();
    let mapping = dir.path().join("mapping.toml");
    fs::write(
        &mapping,
        "[columns]\nItem = \"id\"\nTitle = \"name\"\n\"Model no.\" = \"model\"\nEAN = \"gtin\"\nType = \"categories\"\n\n\
         [fixed]\nmanufacturer = \"little-oak-ltd\"\n\n[fixed.products]\nmarkets = \"EU\"\n\"importers.EU\" = \"oak-eu-gmbh\"\n\n\
         [sheets]\n\"catalogue.csv\" = \"products\"\n",
    )
    .unwrap();
    let o = import_mapped(site.path(), &mapping, &sheet);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    let text = fs::read_to_string(site.path().join("content/products/star-blocks.yaml")).unwrap();
    assert_eq!(
        text,
        "id: star-blocks\nname: Star Blocks\nmodel: LO-SB-01\ngtin: \"0614141000029\"\ncategories: [toy]\nmarkets: [EU]\nmanufacturer: little-oak-ltd\nimporters: { EU: oak-eu-gmbh }\n"
    );
    // An unknown key of the mapping file is an error at its line and column.
    fs::write(&mapping, "[columns]\nItem = \"id\"\n[colums]\n").unwrap();
    let o = import_mapped(site.path(), &mapping, &sheet);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("mapping.toml:3:2"), "{}", stderr(&o));
    // A key path no sheet has is an error too, not ignored.
    fs::write(
        &mapping,
        "[columns]\nItem = \"id\"\nTitle = \"nmae\"\n[fixed.lots]\nmarkets = \"US\"\n",
    )
    .unwrap();
    let o = import_mapped(site.path(), &mapping, &sheet);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("`nmae` is no column of any sheet"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("[fixed.lots] `markets` is not a column of lots"),
        "{}",
        stderr(&o)
    );
    // Every problem of the mapping file at once, each at its place, and no guess about
    // the sheets without it.
    fs::write(
        &mapping,
        "[fixd]\n[columns]\nTitle = \"nmae\"\n[sheets]\n\"catalogue.csv\" = \"prodcts\"\n",
    )
    .unwrap();
    let o = import_mapped(site.path(), &mapping, &sheet);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    for expected in [
        "mapping.toml:1:2",
        "unknown section `[fixd]`; did you mean `fixed`?",
        "mapping.toml:3:9",
        "`nmae` is no column of any sheet",
        "mapping.toml:5:19",
        "`prodcts` is not a kind of sheet (did you mean `products`?)",
    ] {
        assert!(err.contains(expected), "{expected}\n{err}");
    }
    assert!(!err.contains("cannot tell which records"), "{err}");
}

#[test]
fn the_sample_sheets_import_cleanly_into_the_example_site() {
    let site = example_copy();
    let dir = repo().join("examples/sheets");
    let mut files: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let args: Vec<&str> = files.iter().map(String::as_str).collect();
    let o = import(site.path(), &args);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    check_json(site.path());
}

#[test]
fn the_fixture_workbooks_report_the_columns_that_are_not_product_fields() {
    // tests/fixtures/sheets hold products as a spreadsheet program saves them, with
    // columns that are no record's (`tested`, `pieces`): each is named, nothing written.
    let site = example_copy();
    let before = records(site.path());
    for f in ["products.xlsx", "products.ods"] {
        let path = repo().join("tests/fixtures/sheets").join(f);
        let o = import(site.path(), &[path.to_str().unwrap()]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(
            err.contains(
                "sheet Products, row 1, column F (tested): unknown column `tested` for products"
            ),
            "{err}"
        );
        assert_eq!(records(site.path()), before);
    }
}

#[test]
fn the_fixture_csv_files_import_through_a_mapping_with_their_rows_named() {
    let site = example_copy();
    let before = records(site.path());
    let dir = tempfile::tempdir().unwrap();
    let fixtures = repo().join("tests/fixtures/sheets");
    // Excel's Windows-1252 CSV with `;`: read as products, `note` as the description. The
    // first id is not an id (`crème-brûlée`, read back from its 1252 bytes).
    let mapping = dir.path().join("m.toml");
    fs::write(
        &mapping,
        "[columns]\nnote = \"description\"\n[sheets]\n\"excel-1252.csv\" = \"products\"\n",
    )
    .unwrap();
    let csv = fixtures.join("excel-1252.csv");
    let o = import_mapped(site.path(), &mapping, &csv);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("row 2, column A (id): `crème-brûlée` is not an id"),
        "{err}"
    );
    assert_eq!(records(site.path()), before);
    // Excel's UTF-8 CSV with a byte-order mark and line breaks in cells: test reports for
    // one product (fixed by the mapping). They lack a lab, a date and a result: the
    // site's errors name the cells of the rows they came from.
    fs::write(
        &mapping,
        "[columns]\nnote = \"place\"\n[fixed.evidence]\nproduct = \"rainbow-stacker\"\n",
    )
    .unwrap();
    let csv = fixtures.join("utf8-bom.csv");
    let o = import_mapped(site.path(), &mapping, &csv);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    // A field the sheet has no column for is missing from each entry: at each row's id.
    for row in 2..=4 {
        assert!(
            err.contains(&format!(
                "utf8-bom.csv: row {row}, column A (report): evidence[{}]: missing field `date`",
                row + 3
            )),
            "{err}"
        );
    }
    assert!(
        err.contains("(content/products/toys/rainbow-stacker.yaml as imported)"),
        "{err}"
    );
    assert_eq!(records(site.path()), before);
    // The same with --dry-run and the missing fields fixed: the diff shows the covers
    // split on the cell's line breaks.
    fs::write(
        &mapping,
        "[columns]\nnote = \"place\"\n[fixed.evidence]\nproduct = \"rainbow-stacker\"\nlab = \"harbour-testing-ningbo\"\ndate = \"2026-03-11\"\nresult = \"pass\"\n",
    )
    .unwrap();
    let o = import(
        site.path(),
        &[
            "--dry-run",
            "--mapping",
            mapping.to_str().unwrap(),
            csv.to_str().unwrap(),
        ],
    );
    let out = stdout(&o);
    assert!(o.status.success(), "{out}\n{}", stderr(&o));
    assert!(
        out.contains("+    covers: [\"16 CFR 1303\", \"16 CFR 1250\"]"),
        "{out}"
    );
    assert!(out.contains("evidence: 3 created"), "{out}");
    assert_eq!(records(site.path()), before);
}

#[test]
fn round_trip_on_a_thousand_product_synthetic_site() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    synth::generate(&repo(), &site, 1000);
    let out = dir.path().join("out");
    export_csv(&site, &out);
    let sheets: Vec<String> = ["products.csv", "lots.csv", "evidence.csv", "parties.csv"]
        .iter()
        .map(|f| out.join(f).to_string_lossy().into_owned())
        .collect();
    let args: Vec<&str> = sheets.iter().map(String::as_str).collect();
    // Importing what was just exported changes no file.
    let before = records(&site);
    let o = import(&site, &args);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("products: 0 created, 0 updated, 1000 unchanged"),
        "{}",
        stdout(&o)
    );
    assert_eq!(records(&site), before);
    // Into a copy without its product records, the same check --json.
    let copy = dir.path().join("copy");
    copy_dir(&site, &copy);
    fs::remove_dir_all(copy.join("content/products")).unwrap();
    let o = import(&copy, &args[..3]);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("products: 1000 created"),
        "{}",
        stdout(&o)
    );
    assert_eq!(comparable(check_json(&copy)), comparable(check_json(&site)));
}

#[test]
fn a_wide_sheet_with_a_row_per_lot_makes_the_product_and_its_lots() {
    let site = example_copy();
    let dir = tempfile::tempdir().unwrap();
    let sheet = dir.path().join("catalogue.csv");
    let header =
        "product,name,model,categories,markets,manufacturer,importers.US,lot,made,place,factory\n";
    fs::write(
        &sheet,
        format!(
            "{header}linen-tote,Linen Tote,LO-LT-21,general,US,kaveri-knits,oak-imports-usa,K1,2026-08,Tiruppur,kaveri-knits\n\
             linen-tote,Linen Tote,LO-LT-21,general,US,kaveri-knits,oak-imports-usa,K2,2026-09,Tiruppur,kaveri-knits\n"
        ),
    )
    .unwrap();
    let o = import(site.path(), &[sheet.to_str().unwrap()]);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("products: 1 created"), "{}", stdout(&o));
    assert!(stdout(&o).contains("lots: 2 created"), "{}", stdout(&o));
    let text = fs::read_to_string(site.path().join("content/products/linen-tote.yaml")).unwrap();
    assert!(
        text.starts_with("id: linen-tote\nname: Linen Tote\nmodel: LO-LT-21\n"),
        "{text}"
    );
    assert!(text.contains("  - lot: K2\n    made: 2026-09\n"), "{text}");
    check_json(site.path());
    // A product's columns that differ between its lots are an error at the cell.
    let before = records(site.path());
    fs::write(
        &sheet,
        format!(
            "{header}oak-tote,Oak Tote,LO-OT-1,general,US,kaveri-knits,oak-imports-usa,K1,2026-08,Tiruppur,kaveri-knits\n\
             oak-tote,Oak Bag,LO-OT-1,general,US,kaveri-knits,oak-imports-usa,K2,2026-09,Tiruppur,kaveri-knits\n"
        ),
    )
    .unwrap();
    let o = import(site.path(), &[sheet.to_str().unwrap()]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("row 3, column B (name): product `oak-tote` has `Oak Tote` here on row 2"),
        "{err}"
    );
    assert_eq!(records(site.path()), before);
}

#[test]
fn list_items_holding_commas_or_semicolons_survive_the_round_trip() {
    // Rules are cited as their documents write them: `ASTM F963-23, section 4.3.5`.
    let site = example_copy();
    let record = site
        .path()
        .join("content/products/toys/rainbow-stacker.yaml");
    let text = fs::read_to_string(&record).unwrap();
    let text = text.replacen(
        "covers: [\"Directive 2009/48/EC\",",
        "covers: [\"ASTM F963-23, section 4.3.5\", \"EN 71-1; part 2\", \"Directive 2009/48/EC\",",
        1,
    );
    assert!(text.contains("section 4.3.5"));
    fs::write(&record, text).unwrap();
    let o = certpress(&["check", "--root", site.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = tempfile::tempdir().unwrap();
    export_csv(site.path(), out.path());
    let before = records(site.path());
    let files: Vec<String> = ["products.csv", "lots.csv", "evidence.csv", "parties.csv"]
        .iter()
        .map(|f| out.path().join(f).to_string_lossy().into_owned())
        .collect();
    let args: Vec<&str> = files.iter().map(String::as_str).collect();
    let o = import(site.path(), &args);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("Wrote 0 files."), "{}", stdout(&o));
    assert_eq!(records(site.path()), before);
}

#[test]
fn problems_the_check_finds_in_imported_records_are_reported_at_their_cells() {
    // Most cells read as a value of their field, so only the check of the site as it would
    // be finds what is wrong with them; that check runs beside the cells' own (new-b's bad
    // GTIN), and every problem is reported at once, at the cell it came from.
    let site = example_copy();
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        fs::write(&p, text).unwrap();
        p.to_string_lossy().into_owned()
    };
    let files = [
        write(
            "products.csv",
            "id,name,model,gtin,categories,markets,manufacturer,status\n\
             new-a,New A,NA-1,,toy,US; XX,little-oak-ltd,retired-ish\n\
             new-b,New B,NB-1,0614141000013,toy,US,little-oak-ltd,active\n",
        ),
        write(
            "lots.csv",
            "product,lot,made\nnew-a,L1,2026-03\nnew-a,~,2026-04\n",
        ),
        write(
            "evidence.csv",
            "product,report,lab,date,covers,result,lots\n\
             new-a,R-9,yiwu-quality-lab,2026-04-01,16 CFR 1303,maybe,L9\n",
        ),
    ];
    let before = records(site.path());
    let args: Vec<&str> = files.iter().map(String::as_str).collect();
    let o = import(site.path(), &args);
    assert!(!o.status.success());
    let err = stderr(&o);
    for expected in [
        "evidence.csv: row 2, column G (lots): report `R-9` names lot `L9`",
        "evidence.csv: row 2, column F (result):",
        "lots.csv: row 3, column B (lot): invalid lot code `~`",
        "products.csv: row 2, column F (markets): `XX` is not",
        "products.csv: row 2, column H (status):",
        "products.csv: row 3, column D (gtin): invalid GTIN",
        "lots.csv: row 2, column B (lot): lots[0]: missing field `place`",
    ] {
        assert!(err.contains(expected), "{expected}\n{err}");
    }
    assert!(err.contains("Nothing was written."), "{err}");
    assert_eq!(records(site.path()), before);
}
