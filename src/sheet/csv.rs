//! A small CSV writer (RFC 4180): the exports need only to write plain text cells, which
//! does not justify a crate. Records end with CRLF; a cell is quoted when it holds a
//! comma, a quote, CR or LF, or begins or ends with a space, and quotes inside are doubled.
//!
//! Spreadsheets run a cell that begins with `=`, `+`, `-`, `@`, tab or CR as a formula
//! (CSV injection), so such a cell gets a leading `'` unless it is a plain number
//! (`-5`, `+3.25`) or a phone number. A cell that already begins with `'` gets one more,
//! so that [`restore`] (strip one leading `'`) gives back every value exactly: `import`
//! reverses what `export csv` did without guessing. That is the only change a value
//! undergoes; the JSON documents and the XLSX workbook keep every value exact (README
//! "Exports: CPSC eFiling", "Exports: spreadsheets (CSV and XLSX)").

use std::borrow::Cow;

/// A CSV table, written row by row.
pub struct Table {
    out: String,
    columns: usize,
}

impl Table {
    /// A table with a header row.
    pub fn new<S: AsRef<str>>(header: &[S]) -> Table {
        let mut t = Table {
            out: String::new(),
            columns: header.len(),
        };
        t.row(header);
        t
    }

    /// One record; it must have as many cells as the header.
    pub fn row<S: AsRef<str>>(&mut self, cells: &[S]) {
        assert_eq!(cells.len(), self.columns, "a row has a cell per column");
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            self.out.push_str(&cell(c.as_ref()));
        }
        self.out.push_str("\r\n");
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.out.into_bytes()
    }
}

/// One cell, neutralised and quoted as needed.
fn cell(value: &str) -> String {
    let value = neutralise(value);
    let quote =
        value.contains([',', '"', '\r', '\n']) || value.starts_with(' ') || value.ends_with(' ');
    if quote {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.into_owned()
    }
}

/// `value` with a leading `'` when a spreadsheet would read it as a formula: a leading
/// `=`, `@`, tab or carriage return always; a leading `+` or `-` unless the cell is a
/// number or a phone number (`+86 574 8000 0000`), which no spreadsheet runs and a
/// machine reading the file must get as written. A value that begins with `'` itself
/// gets one more, or [`restore`] would take its own `'` away.
pub fn neutralise(value: &str) -> Cow<'_, str> {
    let always = value.starts_with(['=', '@', '\t', '\r', '\'']);
    let sign = value.starts_with(['+', '-']);
    if always || (sign && !is_number(value) && !is_phone(value)) {
        format!("'{value}").into()
    } else {
        value.into()
    }
}

/// The value a cell [`neutralise`]d: without one leading `'`, when it has one. For every
/// string `s`, `restore(&neutralise(s)) == s`.
pub fn restore(cell: &str) -> Cow<'_, str> {
    match cell.strip_prefix('\'') {
        Some(rest) => rest.into(),
        None => cell.into(),
    }
}

/// A phone number as party records write it: `+`, then digits, spaces, dots, dashes
/// and parentheses, with at least six digits.
fn is_phone(s: &str) -> bool {
    s.strip_prefix('+').is_some_and(|rest| {
        rest.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '.' | '-' | '(' | ')'))
            && rest.chars().filter(char::is_ascii_digit).count() >= 6
    })
}

/// A plain decimal number: an optional sign, digits, and an optional fraction.
fn is_number(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (whole, fraction) = s.split_once('.').unwrap_or((s, "0"));
    !whole.is_empty()
        && !fraction.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_follows_rfc_4180() {
        let mut t = Table::new(&["a", "b"]);
        t.row(&["x,y", "say \"hi\""]);
        t.row(&["line\nbreak", " padded"]);
        let text = String::from_utf8(t.into_bytes()).unwrap();
        assert_eq!(
            text,
            "a,b\r\n\"x,y\",\"say \"\"hi\"\"\"\r\n\"line\nbreak\",\" padded\"\r\n"
        );
    }

    #[test]
    fn formulas_are_neutralised_numbers_are_not() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("+1 503 555 0142"), "+1 503 555 0142");
        assert_eq!(cell("+86 (574) 8000-0000"), "+86 (574) 8000-0000");
        assert_eq!(cell("+SUM(A1)"), "'+SUM(A1)");
        assert_eq!(cell("-1+2"), "'-1+2");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("\tx"), "'\tx");
        assert_eq!(cell("\rx"), "\"'\rx\"");
        assert_eq!(cell("-cmd"), "'-cmd");
        assert_eq!(cell("-5"), "-5");
        assert_eq!(cell("+3.25"), "+3.25");
        assert_eq!(cell("-"), "'-");
        assert_eq!(cell("LO-RS-01"), "LO-RS-01");
        assert_eq!(cell("'quoted"), "''quoted");
        assert_eq!(cell("it's"), "it's");
    }

    /// The strings a cell is most likely to get wrong: every trigger character, alone,
    /// doubled, after a `'`, and numbers and phone numbers with either sign.
    const EDGES: &[&str] = &[
        "",
        "'",
        "''",
        "'=1",
        "=",
        "==",
        "@",
        "+",
        "-",
        "\t",
        "\r",
        "\n",
        " ",
        "-5",
        "+3.25",
        "-0.5",
        "-.5",
        "5.",
        "+86 574 8000 0000",
        "+1 (503) 555-0142",
        "+12",
        "-cmd",
        "=cmd",
        "'-cmd",
        "'+86 574 8000 0000",
        "\t=1",
        " =1",
        "2026",
        "00614141000012",
        "héllo",
        "'é",
        "a'b",
    ];

    #[test]
    fn restore_inverts_neutralise_on_edge_cases() {
        for s in EDGES {
            let n = neutralise(s);
            assert_eq!(restore(&n), *s, "{s:?}");
            // What a spreadsheet would run never leaves the writer unguarded.
            if n.starts_with(['=', '@', '\t', '\r']) {
                panic!("{s:?} is written as {n:?}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn restore_inverts_neutralise(s in "['=+@\\-\t\r0-9 .()a-z]{0,3}\\PC{0,12}") {
            let written = neutralise(&s);
            let read = restore(&written);
            proptest::prop_assert_eq!(read.as_ref(), s.as_str());
        }

        #[test]
        fn restore_inverts_neutralise_on_any_text(s in "\\PC*") {
            let written = neutralise(&s);
            let read = restore(&written);
            proptest::prop_assert_eq!(read.as_ref(), s.as_str());
        }
    }
}
