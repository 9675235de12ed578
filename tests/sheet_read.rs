//! Reading real spreadsheet files (tests/fixtures/sheets, made by make.py there with
//! LibreOffice) into text cells: what `import` will stand on (issue 16).

use certpress::sheet::read::{Cell, Table, read};
use std::path::Path;

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sheets")
        .join(name)
}

/// Rows as (number, cells) for comparing.
fn rows(t: &Table) -> Vec<(usize, Vec<&str>)> {
    t.rows
        .iter()
        .map(|r| (r.number, r.cells.iter().map(String::as_str).collect()))
        .collect()
}

const PRODUCTS_HEADER: [&str; 10] = [
    "id",
    "name",
    "gtin",
    "lot",
    "made",
    "tested",
    "pieces",
    "weight_kg",
    "painted",
    "sku",
];

/// `bools` is how the sheet's TRUE and FALSE read: LibreOffice saves them in ODS as the
/// numbers 1 and 0 with a boolean number format, which calamine does not expose, so the
/// import layer must take `1`/`0` as well as `true`/`false`.
fn check_products(tables: &[Table], bools: [&str; 2]) {
    // The empty third sheet is left out.
    let names: Vec<_> = tables
        .iter()
        .map(|t| t.sheet.as_deref().unwrap_or(""))
        .collect();
    assert_eq!(names, ["Products", "Lots"]);
    let p = &tables[0];
    assert_eq!(p.header, PRODUCTS_HEADER);
    assert_eq!(
        rows(p),
        [
            (
                2,
                vec![
                    "rainbow-stacker",
                    "Rainbow Stacking Rings",
                    "00614141000012", // text: leading zeros kept
                    "2026",           // a number: no `.0`
                    "2026-03-11",     // a date serial with a date format
                    "2026-03-11T14:30:00",
                    "7",
                    "0.35",
                    bools[0],
                    "rainbow-stacker-EA", // a formula's cached value
                ]
            ),
            (
                3,
                vec![
                    "bath-boats",
                    "Bath Time Boats (set of 3)",
                    "614141001026",
                    "2026", // text
                    "2025-10-14",
                    "",
                    "3",
                    "0.1",
                    bools[1],
                    "LO-BB-08-SET",
                ]
            ),
            // Row 4 is empty: skipped, and the numbers after it are the sheet's.
            (
                5,
                vec![
                    "crème-brûlée",
                    "Süße Grüße™",
                    "614141001033", // a GTIN typed as a number
                    "2026-03A",
                    "2026-01-15",
                    "",
                    "",
                    "1.25",
                    "",
                    "=1+2", // text that looks like a formula
                ]
            ),
        ]
    );
    // A sheet whose cells start at B3: columns still count from A, rows from 1.
    let lots = &tables[1];
    assert_eq!(lots.header, ["", "lot", "made"]);
    assert_eq!(rows(lots), [(4, vec!["", "2026-03A", "2026-03"])]);
    assert_eq!(
        lots.place(Cell { row: 4, column: 1 }),
        "sheet Lots, row 4, column B (lot)"
    );
}

#[test]
fn xlsx_saved_by_a_spreadsheet_program_reads_as_typed() {
    let tables = read(fixture("products.xlsx")).unwrap();
    check_products(&tables, ["true", "false"]);
    assert_eq!(tables[0].file, fixture("products.xlsx"));
}

#[test]
fn ods_reads_the_same_as_xlsx() {
    check_products(&read(fixture("products.ods")).unwrap(), ["1", "0"]);
}

#[test]
fn an_error_cell_is_reported_with_sheet_row_and_column() {
    let e = read(fixture("errors.xlsx")).unwrap_err();
    assert_eq!(e.code, "sheet-cell-error");
    assert!(
        e.file.ends_with("tests/fixtures/sheets/errors.xlsx"),
        "{}",
        e.file
    );
    assert_eq!(
        e.message,
        "sheet Evidence, row 3, column B (pages): the cell holds the error #DIV/0!"
    );
}

#[test]
fn excel_csv_in_windows_1252_with_semicolons() {
    let tables = read(fixture("excel-1252.csv")).unwrap();
    assert_eq!(tables.len(), 1);
    let t = &tables[0];
    assert_eq!(t.sheet, None);
    assert_eq!(t.header, ["id", "name", "brand", "note"]);
    assert_eq!(
        rows(t),
        [
            (
                2,
                vec![
                    "crème-brûlée",
                    "Crème Brûlée Spielküche",
                    "Little Oak™",
                    "für Kinder ab 3; größer"
                ]
            ),
            (3, vec!["strasse", "Straße", "Öko", ""]),
            (4, vec!["plain", "Plain", "", "ends here"]),
        ]
    );
}

#[test]
fn utf8_bom_csv_with_cells_over_several_lines() {
    let t = &read(fixture("utf8-bom.csv")).unwrap()[0];
    assert_eq!(t.header, ["report", "covers", "note"]); // no BOM in the first header
    assert_eq!(
        rows(t),
        [
            (
                2,
                vec![
                    "R-2026-0311",
                    "16 CFR 1303\n16 CFR 1250",
                    "said \"pass\", twice"
                ]
            ),
            (3, vec!["R-2026-0312", "EN 71-1", "one line"]),
            // A leading `'` is the import layer's to judge.
            (
                4,
                vec!["R-2026-0313", "EN 71-2\nEN 71-3\nEN 71-4", "'+86 574 0000"]
            ),
        ]
    );
}

#[test]
fn bad_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    // Cut short: the first half of a real workbook.
    let xlsx = std::fs::read(fixture("products.xlsx")).unwrap();
    let e = read(write("cut.xlsx", &xlsx[..xlsx.len() / 2])).unwrap_err();
    assert_eq!(e.code, "sheet-read");
    assert!(
        e.file.ends_with("cut.xlsx") && e.message.starts_with("cannot read the file as XLSX"),
        "{e}"
    );
    let ods = std::fs::read(fixture("products.ods")).unwrap();
    assert_eq!(
        read(write("cut.ods", &ods[..ods.len() / 3]))
            .unwrap_err()
            .code,
        "sheet-read"
    );
    // A CSV named .xlsx.
    assert_eq!(
        read(write("text.xlsx", b"a,b\n1,2\n")).unwrap_err().code,
        "sheet-read"
    );
    assert_eq!(
        read(write("empty.csv", b"")).unwrap_err().code,
        "sheet-empty"
    );
    assert_eq!(
        read(write("empty.xlsx", b"")).unwrap_err().code,
        "sheet-empty"
    );
    let e = read(write("ragged.csv", b"a;b\n1;2\n3;4;5\n")).unwrap_err();
    assert_eq!(e.code, "sheet-ragged-row");
    assert!(e.message.starts_with("row 3, column C:"), "{e}");
    assert_eq!(
        read(write("book.xls", b"x")).unwrap_err().code,
        "sheet-format"
    );
    assert_eq!(read(write("noext", b"x")).unwrap_err().code, "sheet-format");
    assert_eq!(
        read(dir.path().join("missing.csv")).unwrap_err().code,
        "sheet-read"
    );
    // Every prefix of a real workbook: an error or tables, never a panic.
    for cut in (0..xlsx.len()).step_by(97) {
        let _ = read(write("prefix.xlsx", &xlsx[..cut]));
    }
}

#[test]
fn a_stray_cell_in_the_last_row_and_column_is_an_error_not_all_of_memory() {
    let e = read(fixture("stray.xlsx")).unwrap_err();
    assert_eq!(e.code, "sheet-too-large");
    assert!(
        e.message.starts_with(
            "sheet Stray, row 1048576, column XFD: the sheet spans 1048576 rows and 16384 columns"
        ),
        "{e}"
    );
}
