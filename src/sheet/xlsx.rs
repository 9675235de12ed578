//! `records.xlsx` (`export csv --xlsx`): the same sheets as the CSV files, one worksheet
//! each, for people who open a workbook rather than a folder of files.
//!
//! Every cell is a text cell (`write_string`): a GTIN keeps its leading zeros, a lot
//! `2026` stays the text `2026`, a date stays as written, and no cell can be a formula,
//! since a text cell is never evaluated. So the workbook holds every value exactly, with
//! no `'` added: neutralisation ([`super::csv::neutralise`]) is for CSV alone, where a
//! spreadsheet program guesses each cell's type.
//!
//! The bytes are the same on every run for the same records and `as_of`: the document's
//! creation time (which rust_xlsxwriter would otherwise take from the clock) is `as_of`
//! at midnight UTC, and the zip entries carry a fixed time.

use super::Sheet;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};
use time::Date;

/// The file `--xlsx` writes.
pub const FILE: &str = "records.xlsx";

/// The workbook of `sheets`, created "on" `as_of`.
pub fn workbook(sheets: &[Sheet], as_of: Date) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let year = u16::try_from(as_of.year()).unwrap_or(1900);
    let created = ExcelDateTime::from_ymd(year, as_of.month().into(), as_of.day())?;
    book.set_properties(
        &DocProperties::new()
            .set_title("certpress records")
            .set_creation_datetime(&created),
    );
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    for s in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(s.title)?;
        for (c, h) in s.grid.header.iter().enumerate() {
            sheet.write_string_with_format(0, column(c)?, h, &bold)?;
        }
        for (r, row) in s.grid.rows.iter().enumerate() {
            let r = u32::try_from(r + 1).map_err(|_| XlsxError::RowColumnLimitError)?;
            for (c, value) in row.iter().enumerate() {
                // An empty cell stays blank, as an absent field is.
                if value.is_empty() {
                    continue;
                }
                if value.contains('\n') {
                    // Lines (an address, label texts) show as lines.
                    sheet.write_string_with_format(r, column(c)?, value, &wrap)?;
                } else {
                    sheet.write_string(r, column(c)?, value)?;
                }
            }
        }
        sheet.set_freeze_panes(1, 0)?;
    }
    book.save_to_buffer()
}

fn column(c: usize) -> Result<u16, XlsxError> {
    u16::try_from(c).map_err(|_| XlsxError::RowColumnLimitError)
}
