//! Records as spreadsheets (`certpress export csv`, SPEC §13): products, lots, test
//! reports and parties as CSV (and one XLSX workbook on request), laid out by one table
//! ([`layout`]) whose headers are the records' own key paths, plus `labels.csv` for label
//! software ([`labels`]). Exported cells never start a formula ([`csv::neutralise`]).

pub mod csv;
pub mod labels;
pub mod layout;
pub mod read;
pub mod xlsx;

use crate::assess::Assessed;
use crate::site::Site;
use layout::Grid;

/// One sheet: the CSV file it is written as, the worksheet it is in the workbook, and
/// its cells.
pub struct Sheet {
    pub file: &'static str,
    pub title: &'static str,
    pub grid: Grid,
}

impl Sheet {
    /// The sheet as a CSV file (RFC 4180, cells neutralised), UTF-8 with a byte-order
    /// mark: without one, Excel and LibreOffice's default open a CSV in the machine's
    /// legacy code page and `Chêne` comes back from an edit as `ChÃªne`. (`import` reads
    /// the mark; label software reads UTF-8 with it.)
    pub fn csv(&self) -> Vec<u8> {
        let mut t = csv::Table::new(&self.grid.header);
        for row in &self.grid.rows {
            t.row(row);
        }
        let mut bytes = "\u{feff}".as_bytes().to_vec();
        bytes.extend(t.into_bytes());
        bytes
    }
}

/// The sheets of `site`, in the order they are written: products, lots, evidence,
/// parties (records, sorted as [`layout`] says) and labels.
pub fn sheets(site: &Site, assessed: &Assessed) -> Vec<Sheet> {
    let products = || site.content.products.iter().map(|p| p.as_ref());
    let lots: Vec<layout::LotRow> = products()
        .flat_map(|p| p.lots.iter().map(move |l| (p, l)))
        .collect();
    let evidence: Vec<layout::EvidenceRow> = products()
        .flat_map(|p| p.evidence.iter().map(move |e| (p, e)))
        .collect();
    let parties = site.content.parties.values().map(|p| p.as_ref());
    vec![
        Sheet {
            file: "products.csv",
            title: "Products",
            grid: layout::grid(site, layout::PRODUCTS, products()),
        },
        Sheet {
            file: "lots.csv",
            title: "Lots",
            grid: layout::grid(site, &layout::lots(), &lots),
        },
        Sheet {
            file: "evidence.csv",
            title: "Evidence",
            grid: layout::grid(site, &layout::evidence(), &evidence),
        },
        Sheet {
            file: "parties.csv",
            title: "Parties",
            grid: layout::grid(site, layout::PARTIES, parties),
        },
        Sheet {
            file: "labels.csv",
            title: "Labels",
            grid: labels::grid(site, assessed),
        },
    ]
}
