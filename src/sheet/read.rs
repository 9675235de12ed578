//! Reading a spreadsheet (CSV, XLSX, ODS) into tables of text cells, the ground `import`
//! stands on (issue 16).
//!
//! Every cell becomes the text a person sees in it, so nothing the import layer must judge
//! is lost or guessed here: a lot `2026` typed as a number reads `2026`, a GTIN kept as text
//! keeps its leading zeros, a date reads `YYYY-MM-DD`. Row numbers are the ones the
//! spreadsheet program shows (the header is row 1 when the sheet starts at the top), even
//! when a quoted CSV cell spans lines or empty rows are skipped, so every problem the import
//! finds can be reported as `products.xlsx: sheet Products, row 12, column C`.

use crate::diagnostic::Diagnostic;
use calamine::{Data, Ods, Range, Reader, Xlsx};
use std::fmt;
use std::io::{BufReader, Cursor};
use std::path::{Path, PathBuf};

/// One sheet of a workbook, or a whole CSV file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub file: PathBuf,
    /// The sheet's name in a workbook; `None` for CSV.
    pub sheet: Option<String>,
    /// The first non-empty row. `header[i]` is column `i` (0 = A), as in [`Row::cells`].
    pub header: Vec<String>,
    /// Rows after the header that have at least one non-empty cell, each as wide as the
    /// table (padded with empty cells).
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The row's number as the spreadsheet shows it (1-based; the header of a sheet that
    /// starts at the top is row 1).
    pub number: usize,
    /// Cell texts; index 0 is column A.
    pub cells: Vec<String>,
}

/// Where a cell is, for messages: `row 12, column C`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    /// As the spreadsheet shows it (1-based).
    pub row: usize,
    /// 0-based column index (0 = A).
    pub column: usize,
}

impl Cell {
    /// The column's letters: A..Z, AA..AZ, BA.., as spreadsheets name them.
    pub fn letter(&self) -> String {
        column_letter(self.column)
    }
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "row {}, column {}", self.row, self.letter())
    }
}

/// Column letters for a 0-based column index: 0 → A, 25 → Z, 26 → AA, 701 → ZZ, 702 → AAA.
pub fn column_letter(column: usize) -> String {
    // Bijective base 26: there is no zero digit, so "A" follows "Z" one place up.
    let mut n = column + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

impl Table {
    /// The header of column `column`, if it has one.
    pub fn column_name(&self, column: usize) -> Option<&str> {
        self.header
            .get(column)
            .map(String::as_str)
            .filter(|h| !h.trim().is_empty())
    }

    /// `sheet Products, row 12, column C (GTIN)`, or `row 12, column C (GTIN)` for CSV: the
    /// place of a cell in words, without the file.
    pub fn place(&self, cell: Cell) -> String {
        let mut s = String::new();
        if let Some(sheet) = &self.sheet {
            s.push_str(&format!("sheet {sheet}, "));
        }
        s.push_str(&cell.to_string());
        if let Some(name) = self.column_name(cell.column) {
            s.push_str(&format!(" ({name})"));
        }
        s
    }

    /// An error about a cell: the file as the diagnostic's file, the sheet, row and column in
    /// the message (a spreadsheet has no line and column in the sense of a text file).
    pub fn error(&self, code: &'static str, cell: Cell, message: impl fmt::Display) -> Diagnostic {
        Diagnostic::error(
            code,
            file_name(&self.file),
            format!("{}: {message}", self.place(cell)),
        )
    }
}

fn file_name(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// Reads a spreadsheet file, choosing the reader by its extension: `.csv` and `.txt` (CSV
/// with the delimiter sniffed, or named by Excel's `sep=` line), `.tsv` (tabs), `.xlsx`,
/// `.xlsm`, `.ods` (every sheet). Sheets without any non-empty cell are left out; a file
/// with none at all is an error.
pub fn read(path: impl AsRef<Path>) -> Result<Vec<Table>, Diagnostic> {
    let path = path.as_ref();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let kind = match ext.as_str() {
        "csv" | "tsv" | "txt" => Kind::Csv,
        "xlsx" | "xlsm" => Kind::Xlsx,
        "ods" => Kind::Ods,
        _ => {
            return Err(Diagnostic::error(
                "sheet-format",
                file_name(path),
                if ext.is_empty() {
                    "cannot tell what kind of spreadsheet this is: the file name has no extension"
                        .to_string()
                } else {
                    format!("`.{ext}` is not a spreadsheet format certpress reads")
                },
            )
            .with_help("save the sheet as .xlsx, .ods or .csv (.xls and .numbers are not read)"));
        }
    };
    let bytes = std::fs::read(path).map_err(|e| {
        Diagnostic::error(
            "sheet-read",
            file_name(path),
            format!("cannot read the file: {e}"),
        )
    })?;
    read_bytes(path, kind, bytes)
}

/// The formats [`read`] knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Csv,
    Xlsx,
    Ods,
}

/// [`read`] for bytes already in memory; `path` names the file in tables and messages.
pub fn read_bytes(path: &Path, kind: Kind, bytes: Vec<u8>) -> Result<Vec<Table>, Diagnostic> {
    if bytes.is_empty() {
        return Err(Diagnostic::error(
            "sheet-empty",
            file_name(path),
            "the file is empty",
        ));
    }
    let tables = match kind {
        Kind::Csv => vec![read_csv(path, &bytes)?],
        Kind::Xlsx | Kind::Ods => read_workbook(path, kind, bytes)?,
    };
    if tables.is_empty() {
        return Err(Diagnostic::error(
            "sheet-empty",
            file_name(path),
            "the file has no cells with anything in them",
        ));
    }
    Ok(tables)
}

// ---------------------------------------------------------------------------------------
// CSV

/// Text of a CSV file: UTF-16 when it starts with a UTF-16 byte-order mark; UTF-8 (a
/// byte-order mark dropped); or else Windows-1252, which is
/// what Excel on Windows writes for "CSV (Comma delimited)". 1252 gives every byte a
/// character, so this never fails; a file in another code page reads as mojibake that the
/// import's checks will show.
fn decode(bytes: &[u8]) -> String {
    // Excel's "Unicode Text (*.txt)" is UTF-16 with a byte-order mark (and tabs).
    for (bom, encoding) in [
        (&b"\xFF\xFE"[..], encoding_rs::UTF_16LE),
        (&b"\xFE\xFF"[..], encoding_rs::UTF_16BE),
    ] {
        if let Some(rest) = bytes.strip_prefix(bom) {
            return encoding.decode_without_bom_handling(rest).0.into_owned();
        }
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => {
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
            text.into_owned()
        }
    }
}

/// The delimiter of a CSV file: whichever of `,` `;` tab `|` occurs most often in the
/// header line outside quotes (Excel in European locales writes `;`); ties go to the one
/// listed first, and a header without any is one column, read with `,`.
fn sniff_delimiter(text: &str) -> u8 {
    const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];
    let mut counts = [0usize; 4];
    let mut in_quotes = false;
    for b in text.bytes() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' | b'\r' if !in_quotes => break,
            _ if !in_quotes => {
                if let Some(i) = CANDIDATES.iter().position(|&c| c == b) {
                    counts[i] += 1;
                }
            }
            _ => {}
        }
    }
    let mut best = 0;
    for i in 1..CANDIDATES.len() {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    CANDIDATES[best]
}

/// The line (1-based) where a quoted cell opens and is never closed, if one is. The csv
/// crate reads such a cell to the end of the file without complaint, which would turn the
/// rest of the sheet into one cell; this says where the quote went missing instead.
fn unclosed_quote(text: &str, delimiter: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut line = 1;
    let mut at_field_start = true;
    let mut open_at: Option<usize> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if open_at.is_some() {
            if b == b'"' {
                if bytes.get(i + 1) == Some(&b'"') {
                    i += 1; // an escaped quote inside the cell
                } else {
                    open_at = None;
                    at_field_start = false;
                }
            }
        } else if b == b'"' && at_field_start {
            open_at = Some(line);
        } else {
            at_field_start = b == delimiter || b == b'\n' || b == b'\r';
        }
        if b == b'\n' {
            line += 1;
        }
        i += 1;
    }
    open_at
}

fn read_csv(path: &Path, bytes: &[u8]) -> Result<Table, Diagnostic> {
    let file = file_name(path);
    let text = decode(bytes);
    if text.trim().is_empty() {
        return Err(Diagnostic::error(
            "sheet-empty",
            file,
            "the file has no cells with anything in them",
        ));
    }
    // Excel writes and honours a first line `sep=;` naming the delimiter, and does not show
    // it as a row; a .tsv file is tab-separated by name; others are sniffed.
    let (text, sep, line_offset) = match text.split_once('\n') {
        Some((first, rest)) if first.trim_end().len() == 5 && first.starts_with("sep=") => {
            (rest.to_string(), first.as_bytes().get(4).copied(), 1)
        }
        _ => (text, None, 0),
    };
    let tsv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("tsv"));
    let delimiter = sep
        .or(tsv.then_some(b'\t'))
        .unwrap_or_else(|| sniff_delimiter(&text));
    if let Some(line) = unclosed_quote(&text, delimiter).map(|l| l + line_offset) {
        return Err(Diagnostic::error(
            "sheet-csv",
            file,
            format!("a quoted cell that starts on line {line} is never closed"),
        )
        .at(line, 0)
        .with_help(
            "a cell that starts with `\"` must end with `\"`; a quote inside it is written `\"\"`",
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());

    // The spreadsheet shows one row per record, however many lines its quoted cells span,
    // and an empty line as an empty row. The csv crate gives the line a record starts on
    // and skips empty lines, so a record's row is its line less the line breaks inside the
    // cells of the records before it.
    let mut breaks_before = 0usize;
    let mut records: Vec<(usize, Vec<String>)> = Vec::new();
    for result in reader.records() {
        let record = result.map_err(|e| {
            let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
            Diagnostic::error(
                "sheet-csv",
                file.clone(),
                format!("cannot read the CSV: {e}"),
            )
            .at(line, 0)
        })?;
        // The position is where the reader began this record, before the empty lines it
        // skips: step over them to the record's own line.
        let (mut line, mut at) = record
            .position()
            .map(|p| (p.line() as usize, p.byte() as usize))
            .unwrap_or((1, 0));
        while let Some(&b) = text.as_bytes().get(at) {
            match b {
                b'\n' => line += 1,
                b'\r' => {}
                _ => break,
            }
            at += 1;
        }
        let number = line.saturating_sub(breaks_before).max(1);
        let cells: Vec<String> = record.iter().map(str::to_string).collect();
        breaks_before += cells.iter().map(|c| c.matches('\n').count()).sum::<usize>();
        // A lone `\r` line break inside a cell (old Mac files) counts for the csv crate's
        // line only as `\n` does, so it needs no adjustment.
        records.push((number, cells));
    }
    let mut rows = records
        .into_iter()
        .filter(|(_, cells)| !is_empty_row(cells));
    let Some((header_number, header)) = rows.next() else {
        return Err(Diagnostic::error(
            "sheet-empty",
            file,
            "the file has no cells with anything in them",
        ));
    };
    let mut header = header;
    trim_trailing_empty(&mut header);
    let width = header.len();
    let mut out = Vec::new();
    for (number, mut cells) in rows {
        trim_trailing_empty(&mut cells);
        if cells.len() > width {
            let cell = Cell {
                row: number,
                column: width,
            };
            return Err(Diagnostic::error(
                "sheet-ragged-row",
                file,
                format!(
                    "{cell}: row {number} has {} cells but the header (row {header_number}) names {width} columns",
                    cells.len()
                ),
            )
            .with_help(format!(
                "give column {} a header, or check the row for a delimiter (`{}`) inside a cell that is not quoted",
                cell.letter(),
                delimiter as char
            )));
        }
        cells.resize(width, String::new());
        out.push(Row { number, cells });
    }
    Ok(Table {
        file: path.to_path_buf(),
        sheet: None,
        header,
        rows: out,
    })
}

fn is_empty_row(cells: &[String]) -> bool {
    cells.iter().all(|c| c.is_empty())
}

fn trim_trailing_empty(cells: &mut Vec<String>) {
    while cells.last().is_some_and(|c| c.is_empty()) {
        cells.pop();
    }
}

// ---------------------------------------------------------------------------------------
// XLSX and ODS

/// A sheet's non-empty cells: (row, column, value), 0-based.
type Cells = Vec<(u32, u32, Data)>;

/// The most cells a sheet's table may span (rows × columns from A1 to its last used cell):
/// a stray value in row 1,048,576 or column XFD must be a clear error, not all of memory.
const MAX_TABLE_CELLS: u64 = 50_000_000;

fn read_workbook(path: &Path, kind: Kind, bytes: Vec<u8>) -> Result<Vec<Table>, Diagnostic> {
    let file = file_name(path);
    // calamine parses ZIP and XML from the file; a panic in it on some malformed file must
    // not take `import` down, so it becomes an error like any other unreadable file.
    let result = std::panic::catch_unwind(move || -> Result<Vec<(String, Cells)>, String> {
        let cursor = BufReader::new(Cursor::new(bytes));
        match kind {
            Kind::Xlsx => {
                let mut book = Xlsx::new(cursor).map_err(|e: calamine::XlsxError| e.to_string())?;
                xlsx_sheets(&mut book)
            }
            _ => {
                let mut book = Ods::new(cursor).map_err(|e: calamine::OdsError| e.to_string())?;
                ods_sheets(&mut book)
            }
        }
    });
    let what = if kind == Kind::Xlsx { "XLSX" } else { "ODS" };
    let sheets = match result {
        Ok(Ok(sheets)) => sheets,
        Ok(Err(e)) => {
            return Err(Diagnostic::error(
                "sheet-read",
                file,
                format!("cannot read the file as {what}: {e}"),
            )
            .with_help("the file may be damaged, cut short, or another format with this extension; open it in a spreadsheet program and save it again"));
        }
        Err(_) => {
            return Err(Diagnostic::error(
                "sheet-read",
                file,
                format!("cannot read the file as {what}: the reader failed on its contents"),
            )
            .with_help("open it in a spreadsheet program and save it again"));
        }
    };
    let mut tables = Vec::new();
    for (name, cells) in sheets {
        if let Some(table) = table_of(path, &name, cells)? {
            tables.push(table);
        }
    }
    Ok(tables)
}

/// XLSX sheets cell by cell: calamine's `worksheet_range` would allocate every cell of the
/// rectangle up to the last used one, however sparse.
fn xlsx_sheets(
    book: &mut Xlsx<BufReader<Cursor<Vec<u8>>>>,
) -> Result<Vec<(String, Cells)>, String> {
    let mut out = Vec::new();
    for name in book.sheet_names() {
        let mut reader = book
            .worksheet_cells_reader(&name)
            .map_err(|e| format!("sheet {name}: {e}"))?;
        let mut cells = Vec::new();
        while let Some(cell) = reader
            .next_cell()
            .map_err(|e| format!("sheet {name}: {e}"))?
        {
            let (row, col) = cell.get_position();
            let value = Data::from(cell.get_value().clone());
            if value != Data::Empty {
                cells.push((row, col, value));
            }
        }
        out.push((name, cells));
    }
    Ok(out)
}

fn ods_sheets(book: &mut Ods<BufReader<Cursor<Vec<u8>>>>) -> Result<Vec<(String, Cells)>, String> {
    let mut out = Vec::new();
    for name in book.sheet_names() {
        let range: Range<Data> = book
            .worksheet_range(&name)
            .map_err(|e| format!("sheet {name}: {e}"))?;
        let cells = range
            .used_cells()
            .filter_map(|(r, c, v)| {
                let (r0, c0) = range.start()?;
                Some((r0 + r as u32, c0 + c as u32, v.clone()))
            })
            .collect();
        out.push((name, cells));
    }
    Ok(out)
}

fn table_of(path: &Path, sheet: &str, mut cells: Cells) -> Result<Option<Table>, Diagnostic> {
    let mut table = Table {
        file: path.to_path_buf(),
        sheet: Some(sheet.to_string()),
        header: Vec::new(),
        rows: Vec::new(),
    };
    // Text first, so empty strings and error cells are known before the size is judged.
    let mut error: Option<(Cell, String)> = None;
    let mut texts: Vec<(u32, u32, String)> = Vec::with_capacity(cells.len());
    cells.sort_by_key(|(r, c, _)| (*r, *c));
    for (r, c, value) in cells {
        match cell_text(&value) {
            Ok(text) if text.is_empty() => {}
            Ok(text) => texts.push((r, c, text)),
            Err(e) => {
                let cell = Cell {
                    row: r as usize + 1,
                    column: c as usize,
                };
                error.get_or_insert((cell, e));
            }
        }
    }
    let Some(&(last_row, _, _)) = texts.last() else {
        return match error {
            Some((cell, e)) => Err(table
                .error(
                    "sheet-cell-error",
                    cell,
                    format!("the cell holds the error {e}"),
                )
                .with_help(
                    "fix the formula or type the value in; certpress reads the value a cell shows",
                )),
            None => Ok(None),
        };
    };
    let width = texts
        .iter()
        .map(|(_, c, _)| *c as u64 + 1)
        .max()
        .unwrap_or(0);
    if (last_row as u64 + 1) * width > MAX_TABLE_CELLS {
        let far = Cell {
            row: last_row as usize + 1,
            column: width as usize - 1,
        };
        return Err(table
            .error(
                "sheet-too-large",
                far,
                format!(
                    "the sheet spans {} rows and {} columns, more than certpress reads",
                    last_row + 1,
                    width
                ),
            )
            .with_help("delete stray cells far below or right of the data, or split the sheet"));
    }
    let width = width as usize;
    // Rows in order; each as wide as the table, columns counted from A.
    let mut rows: Vec<Row> = Vec::new();
    for (r, c, text) in texts {
        let number = r as usize + 1;
        if rows.last().is_none_or(|row| row.number != number) {
            rows.push(Row {
                number,
                cells: vec![String::new(); width],
            });
        }
        if let Some(row) = rows.last_mut() {
            row.cells[c as usize] = text;
        }
    }
    let header = rows.remove(0).cells;
    table.header = header;
    table.rows = rows;
    if let Some((cell, e)) = error {
        return Err(table
            .error(
                "sheet-cell-error",
                cell,
                format!("the cell holds the error {e}"),
            )
            .with_help(
                "fix the formula or type the value in; certpress reads the value a cell shows",
            ));
    }
    Ok(Some(table))
}

/// A cell's value as the text the import layer reads; an error cell (`#REF!`) is `Err`
/// with the error's text.
fn cell_text(value: &Data) -> Result<String, String> {
    Ok(match value {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number_text(*f),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, mo, d, h, mi, s, ms) = dt.to_ymd_hms_milli();
            date_time_text(y, mo, d, h, mi, s, ms)
        }
        // A duration (`[hh]:mm`) is not something a record holds; its serial number keeps
        // every digit for the import layer to reject or read.
        Data::DateTime(dt) => number_text(dt.as_f64()),
        Data::DateTimeIso(s) => iso_text(s),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => return Err(e.to_string()),
    })
}

/// A number as text: integral values without `.0` (a lot `2026` typed as a number, or a
/// GTIN typed as a number, keeps every digit it still has; the sheet itself has already
/// dropped a GTIN's leading zeros, which the import layer's GTIN check will say), others in
/// the shortest decimal that reads back as the same number. Rust's `Display` for `f64` is
/// exactly that and never uses an exponent.
fn number_text(f: f64) -> String {
    if f == 0.0 {
        // -0.0 displays as "-0".
        return "0".into();
    }
    f.to_string()
}

fn date_time_text(y: u16, mo: u8, d: u8, h: u8, mi: u8, s: u8, ms: u16) -> String {
    let date = format!("{y:04}-{mo:02}-{d:02}");
    match (h, mi, s, ms) {
        (0, 0, 0, 0) => date,
        (_, _, _, 0) => format!("{date}T{h:02}:{mi:02}:{s:02}"),
        _ => format!("{date}T{h:02}:{mi:02}:{s:02}.{ms:03}"),
    }
}

/// An ODS date cell's ISO text, without a midnight time (`2026-03-11T00:00:00` is the date
/// `2026-03-11`).
fn iso_text(s: &str) -> String {
    for midnight in ["T00:00:00", "T00:00:00.000", "T00:00"] {
        if let Some(date) = s.strip_suffix(midnight) {
            return date.to_string();
        }
    }
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(text: &[u8]) -> Result<Table, Diagnostic> {
        read_csv(Path::new("t.csv"), text)
    }

    #[test]
    fn column_letters_are_bijective_base_26() {
        let cases = [
            (0, "A"),
            (1, "B"),
            (25, "Z"),
            (26, "AA"),
            (27, "AB"),
            (51, "AZ"),
            (52, "BA"),
            (701, "ZZ"),
            (702, "AAA"),
            (16383, "XFD"),
        ];
        for (i, s) in cases {
            assert_eq!(column_letter(i), s, "column {i}");
        }
        assert_eq!(Cell { row: 12, column: 2 }.to_string(), "row 12, column C");
    }

    #[test]
    fn the_delimiter_is_the_commonest_outside_quotes() {
        assert_eq!(sniff_delimiter("a,b,c\n1;2;3"), b',');
        assert_eq!(sniff_delimiter("a;b;c\n"), b';');
        assert_eq!(sniff_delimiter("\"a,b,c\";d\n"), b';');
        assert_eq!(sniff_delimiter("a\tb\n"), b'\t');
        assert_eq!(sniff_delimiter("a|b|c"), b'|');
        assert_eq!(sniff_delimiter("one column\n"), b',');
        // A header cell that spans lines: the line break inside quotes does not end it.
        assert_eq!(sniff_delimiter("\"a\nb\";c;d\n"), b';');
    }

    #[test]
    fn rows_are_numbered_as_a_spreadsheet_shows_them() {
        let t = csv(b"id,note\n\"a\",\"two\nlines\"\n\nb,x\n\"c\",\"three\r\nlines\nhere\"\nd,y\n")
            .unwrap();
        assert_eq!(t.header, ["id", "note"]);
        let got: Vec<(usize, &str, &str)> = t
            .rows
            .iter()
            .map(|r| (r.number, r.cells[0].as_str(), r.cells[1].as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (2, "a", "two\nlines"),
                (4, "b", "x"),
                (5, "c", "three\r\nlines\nhere"),
                (6, "d", "y")
            ]
        );
    }

    #[test]
    fn utf16_text_as_excel_saves_unicode_text() {
        let utf16: Vec<u8> = [0xFEFF_u16]
            .into_iter()
            .chain("name\tnote\r\nSüße™\t😀\r\n".encode_utf16())
            .flat_map(u16::to_le_bytes)
            .collect();
        let t = read_csv(Path::new("t.txt"), &utf16).unwrap();
        assert_eq!(t.header, ["name", "note"]);
        assert_eq!(t.rows[0].cells, ["Süße™", "😀"]);
    }

    #[test]
    fn excel_sep_line_and_tsv() {
        let t = csv(b"sep=;\r\na,b;c\r\n1,5;2\r\n").unwrap();
        assert_eq!(t.header, ["a,b", "c"]);
        assert_eq!(t.rows[0].number, 2);
        assert_eq!(t.rows[0].cells, ["1,5", "2"]);
        let t = read_csv(Path::new("t.TSV"), b"a,b\tc\n1\t2\n").unwrap();
        assert_eq!(t.header, ["a,b", "c"]);
        assert_eq!(t.rows[0].cells, ["1", "2"]);
    }

    #[test]
    fn short_rows_are_padded_and_long_rows_are_refused() {
        let t = csv(b"a,b,c\n1\n2,,,\n").unwrap();
        assert_eq!(t.rows[0].cells, ["1", "", ""]);
        assert_eq!(t.rows[1].cells, ["2", "", ""]);
        let e = csv(b"a,b\n1,2\n3,4,5\n").unwrap_err();
        assert_eq!(e.code, "sheet-ragged-row");
        assert!(e.message.contains("row 3, column C"), "{}", e.message);
    }

    #[test]
    fn an_unclosed_quote_is_reported_where_it_opens() {
        let e = csv(b"a,b\n1,2\n3,\"open\n4,5\n").unwrap_err();
        assert_eq!(e.code, "sheet-csv");
        assert_eq!(e.line, 3);
        // A quote in the middle of a cell is a character, not an opening quote.
        let t = csv(b"a,b\n5\" tall,x\n").unwrap();
        assert_eq!(t.rows[0].cells, ["5\" tall", "x"]);
    }

    #[test]
    fn empty_and_blank_files_are_errors() {
        assert_eq!(
            read_bytes(Path::new("e.csv"), Kind::Csv, vec![])
                .unwrap_err()
                .code,
            "sheet-empty"
        );
        assert_eq!(csv(b"\xEF\xBB\xBF\n\n").unwrap_err().code, "sheet-empty");
        assert_eq!(csv(b",,\n,,\n").unwrap_err().code, "sheet-empty");
    }

    #[test]
    fn a_leading_apostrophe_is_kept_for_the_import_layer() {
        let t = csv(b"name\n'=1+2\n").unwrap();
        assert_eq!(t.rows[0].cells, ["'=1+2"]);
    }

    #[test]
    fn numbers_read_as_a_person_typed_them() {
        assert_eq!(number_text(2026.0), "2026");
        assert_eq!(number_text(614141000012.0), "614141000012");
        assert_eq!(number_text(0.1), "0.1");
        assert_eq!(number_text(1.0 / 3.0), "0.3333333333333333");
        assert_eq!(number_text(-0.0), "0");
        assert_eq!(number_text(1e21), "1000000000000000000000");
        assert_eq!(date_time_text(2026, 3, 11, 0, 0, 0, 0), "2026-03-11");
        assert_eq!(
            date_time_text(2026, 3, 11, 9, 5, 0, 0),
            "2026-03-11T09:05:00"
        );
        assert_eq!(iso_text("2026-03-11T00:00:00"), "2026-03-11");
        assert_eq!(iso_text("2026-03-11T10:00:00"), "2026-03-11T10:00:00");
    }

    #[test]
    fn garbage_in_a_workbook_is_an_error_not_a_panic() {
        for kind in [Kind::Xlsx, Kind::Ods] {
            for bytes in [
                b"not a zip".to_vec(),
                b"PK\x03\x04\x14\x00\x00\x00".to_vec(),
                vec![0u8; 4096],
            ] {
                let e = read_bytes(Path::new("x.xlsx"), kind, bytes).unwrap_err();
                assert_eq!(e.code, "sheet-read", "{e}");
            }
        }
    }
}
