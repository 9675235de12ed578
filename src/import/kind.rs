//! Which kind of record a sheet holds: by the mapping file's `[sheets]`, the sheet's
//! name, the file's name, or last its headers.

use crate::sheet::read::Table;

/// A kind of sheet, in the order tables are imported: parties before the products that
/// name them, products before the lots and reports that go into them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Parties,
    Products,
    Lots,
    Evidence,
}

pub const ALL: [Kind; 4] = [Kind::Parties, Kind::Products, Kind::Lots, Kind::Evidence];

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Parties => "parties",
            Kind::Products => "products",
            Kind::Lots => "lots",
            Kind::Evidence => "evidence",
        }
    }

    /// `Products`, `products`, `product`: a sheet or file named for a kind.
    pub fn named(name: &str) -> Option<Kind> {
        let n = name.trim().to_lowercase();
        ALL.into_iter().find(|k| {
            n == k.name()
                || n == k.name().trim_end_matches('s')
                || n == "party" && *k == Kind::Parties
        })
    }
}

/// What a table is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    Records(Kind),
    /// `Labels` / labels.csv: what `export csv` writes for label software, not records.
    Labels,
}

/// The kind of `table`: `sheets` (the mapping file's, by sheet or file name) first, then
/// the sheet's name, the file's stem, and last the (mapped) headers. `None` when nothing
/// tells.
pub fn of(
    table: &Table,
    headers: &[String],
    sheets: &dyn Fn(&str) -> Option<Kind>,
) -> Option<Found> {
    let file = table
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = table
        .file
        .file_stem()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let names: Vec<&str> = table
        .sheet
        .iter()
        .map(String::as_str)
        .chain([file.as_str(), stem.as_str()])
        .collect();
    if let Some(k) = names.iter().find_map(|n| sheets(n)) {
        return Some(Found::Records(k));
    }
    // The sheet's own name first: a workbook (records.xlsx) holds several kinds.
    let own = table.sheet.as_deref().into_iter().chain([stem.as_str()]);
    for n in own {
        if n.trim().eq_ignore_ascii_case("labels") {
            return Some(Found::Labels);
        }
        if let Some(k) = Kind::named(n) {
            return Some(Found::Records(k));
        }
    }
    let has = |h: &str| headers.iter().any(|x| x.trim().eq_ignore_ascii_case(h));
    let kind = if has("report") {
        Kind::Evidence
    } else if has("lot") && has("product") {
        Kind::Lots
    } else if has("kind") {
        Kind::Parties
    } else if has("id") && has("model") {
        Kind::Products
    } else {
        return None;
    };
    Some(Found::Records(kind))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn table(file: &str, sheet: Option<&str>) -> Table {
        Table {
            file: PathBuf::from(file),
            sheet: sheet.map(String::from),
            header: Vec::new(),
            rows: Vec::new(),
        }
    }

    fn h(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn by_mapping_then_sheet_then_file_then_headers() {
        let none = |_: &str| None;
        let t = table("records.xlsx", Some("Products"));
        assert_eq!(of(&t, &[], &none), Some(Found::Records(Kind::Products)));
        let t = table("x/LOTS.csv", None);
        assert_eq!(of(&t, &[], &none), Some(Found::Records(Kind::Lots)));
        let t = table("labels.csv", None);
        assert_eq!(of(&t, &[], &none), Some(Found::Labels));
        let t = table("log.csv", None);
        assert_eq!(
            of(&t, &h(&["Product", "Report"]), &none),
            Some(Found::Records(Kind::Evidence))
        );
        assert_eq!(
            of(&t, &h(&["product", "lot"]), &none),
            Some(Found::Records(Kind::Lots))
        );
        assert_eq!(
            of(&t, &h(&["id", "kind"]), &none),
            Some(Found::Records(Kind::Parties))
        );
        assert_eq!(
            of(&t, &h(&["id", "model"]), &none),
            Some(Found::Records(Kind::Products))
        );
        assert_eq!(of(&t, &h(&["what"]), &none), None);
        let mapped = |n: &str| (n == "log.csv").then_some(Kind::Parties);
        assert_eq!(
            of(&t, &h(&["id", "model"]), &mapped),
            Some(Found::Records(Kind::Parties))
        );
    }
}
