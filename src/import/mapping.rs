//! The mapping file (`import --mapping FILE`, TOML): other headers for the record key
//! paths, values fixed for every row of a kind, and which kind a sheet holds.
//!
//! ```toml
//! [columns]
//! "Item no." = "sku"
//! "EAN" = "gtin"
//! [fixed]
//! manufacturer = "little-oak-ltd"     # every sheet whose kind has the field
//! [fixed.products]
//! markets = "US; EU"
//! [sheets]
//! "Catalogue" = "products"
//! ```

use super::kind::Kind;
use crate::diagnostic::{Diagnostic, line_col};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Default)]
pub struct Mapping {
    /// Their header (compared without case) → record key path.
    pub columns: BTreeMap<String, String>,
    /// (the kind it is for, or every kind whose sheet has the field; key path; cell text).
    pub fixed: Vec<(Option<Kind>, String, String)>,
    /// Sheet or file name (compared without case) → kind.
    pub sheets: BTreeMap<String, Kind>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    columns: BTreeMap<String, String>,
    #[serde(default)]
    fixed: BTreeMap<String, Fixed>,
    #[serde(default)]
    sheets: BTreeMap<String, Kind>,
}

#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Fixed {
    Scalar(Scalar),
    Kind(BTreeMap<String, Scalar>),
}

#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Scalar {
    Text(String),
    Bool(bool),
    Int(i64),
}

impl Scalar {
    fn text(self) -> String {
        match self {
            Scalar::Text(s) => s,
            Scalar::Bool(b) => b.to_string(),
            Scalar::Int(i) => i.to_string(),
        }
    }
}

impl Mapping {
    /// The key path a header stands for: the mapped one, else the header itself.
    pub fn column<'a>(&'a self, header: &'a str) -> &'a str {
        let h = header.trim();
        self.columns
            .iter()
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(h))
            .map_or(h, |(_, v)| v.trim())
    }

    /// The kind `[sheets]` gives a sheet or file name.
    pub fn sheet(&self, name: &str) -> Option<Kind> {
        self.sheets
            .iter()
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(name.trim()))
            .map(|(_, v)| *v)
    }
}

/// Reads the mapping file at `path` (as `file` in messages).
pub fn read(path: &Path) -> Result<Mapping, Diagnostic> {
    let file = path.to_string_lossy().replace('\\', "/");
    let text = std::fs::read_to_string(path)
        .map_err(|e| Diagnostic::error("unreadable-file", &file, format!("cannot read: {e}")))?;
    parse(&file, &text)
}

pub fn parse(file: &str, text: &str) -> Result<Mapping, Diagnostic> {
    let raw: Raw = toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map_or((0, 0), |s| line_col(text, s.start));
        let message = e.message().trim().to_string();
        let mut d = Diagnostic::error("bad-mapping", file, message.clone()).at(line, column);
        if let Some((_, message, help)) = crate::suggest::retell(&message) {
            d.message = message;
            d.help = help;
        }
        if d.help.is_none() {
            d.help = Some(
                "a mapping file has [columns] (header = key path), [fixed] (key path = value, or [fixed.<kind>]) and [sheets] (name = kind)".into(),
            );
        }
        d
    })?;
    let mut fixed = Vec::new();
    for (key, value) in raw.fixed {
        match value {
            Fixed::Scalar(v) => fixed.push((None, key, v.text())),
            Fixed::Kind(map) => {
                let Some(kind) = Kind::named(&key) else {
                    return Err(Diagnostic::error(
                        "bad-mapping",
                        file,
                        format!(
                            "[fixed.{key}]: `{key}` is not a kind of sheet (products, lots, evidence, parties)"
                        ),
                    ));
                };
                fixed.extend(map.into_iter().map(|(k, v)| (Some(kind), k, v.text())));
            }
        }
    }
    Ok(Mapping {
        columns: raw.columns,
        fixed,
        sheets: raw.sheets,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_columns_fixed_and_sheets() {
        let m = parse(
            "m.toml",
            "[columns]\n\"EAN\" = \"gtin\"\n[fixed]\nmanufacturer = \"little-oak-ltd\"\n[fixed.products]\nmarkets = \"US; EU\"\n[sheets]\nCatalogue = \"products\"\n",
        )
        .unwrap();
        assert_eq!(m.column("ean "), "gtin");
        assert_eq!(m.column("sku"), "sku");
        assert_eq!(m.sheet("catalogue"), Some(Kind::Products));
        assert_eq!(
            m.fixed,
            vec![
                (None, "manufacturer".into(), "little-oak-ltd".into()),
                (Some(Kind::Products), "markets".into(), "US; EU".into())
            ]
        );
    }

    #[test]
    fn an_unknown_key_or_kind_is_an_error_with_its_place() {
        let e = parse("m.toml", "[columns]\n[colums]\nx = \"y\"\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 2), "{e:?}");
        assert!(e.message.contains("did you mean `columns`"), "{e:?}");
        let e = parse("m.toml", "[sheets]\nX = \"product\"\n").unwrap_err();
        assert_eq!(e.line, 2, "{e:?}");
    }
}
