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
use toml::de::{DeTable, DeValue};

#[derive(Debug, Default)]
pub struct Mapping {
    /// Their header (compared without case) → record key path.
    pub columns: BTreeMap<String, String>,
    /// (the kind it is for, or every kind whose sheet has the field; key path; cell text).
    pub fixed: Vec<(Option<Kind>, String, String)>,
    /// Sheet or file name (compared without case) → kind.
    pub sheets: BTreeMap<String, Kind>,
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

/// Whether a key path is a column of a kind's sheet (`None`: of any kind's).
pub type IsColumn<'a> = &'a dyn Fn(Option<Kind>, &str) -> bool;

/// Reads the mapping file at `path` (as `file` in messages); every problem in it at once.
pub fn read(path: &Path, is_column: IsColumn) -> Result<Mapping, Vec<Diagnostic>> {
    let file = path.to_string_lossy().replace('\\', "/");
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![Diagnostic::error(
            "unreadable-file",
            &file,
            format!("cannot read: {e}"),
        )]
    })?;
    parse(&file, &text, is_column)
}

/// The mapping file's text as a [`Mapping`]: text TOML cannot read is one error;
/// otherwise every unknown section, header mapped to no column, fixed value of no column,
/// unknown kind and sheet mapped to no kind is reported, each at its line and column. The
/// file is walked as TOML with places ([`toml::de::DeTable`]) rather than deserialised,
/// which would stop at the first problem.
pub fn parse(file: &str, text: &str, is_column: IsColumn) -> Result<Mapping, Vec<Diagnostic>> {
    const SHAPE: &str = "a mapping file has [columns] (header = key path), [fixed] (key path = value, or [fixed.<kind>]) and [sheets] (name = kind)";
    const KEY_PATHS: &str =
        "key paths are the headers `export csv` writes (README \"Importing spreadsheets\")";
    const KINDS: &str = "the kinds of sheet are products, lots, evidence and parties";
    let table = DeTable::parse(text).map_err(|e| {
        let (line, column) = e.span().map_or((0, 0), |s| line_col(text, s.start));
        vec![
            Diagnostic::error("bad-mapping", file, e.message().trim().to_string())
                .at(line, column)
                .with_help(SHAPE),
        ]
    })?;
    let mut wrong: Vec<Diagnostic> = Vec::new();
    let mut at = |span: std::ops::Range<usize>, message: String, help: &str| {
        let (line, column) = line_col(text, span.start);
        wrong.push(
            Diagnostic::error("bad-mapping", file, message)
                .at(line, column)
                .with_help(help.to_string()),
        );
    };
    let mut mapping = Mapping::default();
    for (section, value) in table.get_ref() {
        let name = section.get_ref().as_ref();
        let DeValue::Table(entries) = value.get_ref() else {
            at(
                value.span(),
                format!("`{name}` must be a section ([{name}])"),
                SHAPE,
            );
            continue;
        };
        match name {
            "columns" => {
                for (header, key) in entries {
                    let Some(key_path) = text_of(key.get_ref()) else {
                        at(
                            key.span(),
                            format!(
                                "[columns] `{}`: a key path is text in quotes",
                                header.get_ref()
                            ),
                            KEY_PATHS,
                        );
                        continue;
                    };
                    if !is_column(None, key_path.trim()) {
                        at(
                            key.span(),
                            format!(
                                "[columns] `{}` = `{key_path}`: `{key_path}` is no column of any sheet",
                                header.get_ref()
                            ),
                            KEY_PATHS,
                        );
                    }
                    mapping
                        .columns
                        .insert(header.get_ref().to_string(), key_path);
                }
            }
            "fixed" => {
                for (key, value) in entries {
                    let key_name = key.get_ref().to_string();
                    if let DeValue::Table(per_kind) = value.get_ref() {
                        let Some(kind) = Kind::named(&key_name) else {
                            at(
                                key.span(),
                                format!("[fixed.{key_name}]: `{key_name}` is not a kind of sheet"),
                                KINDS,
                            );
                            continue;
                        };
                        for (k, v) in per_kind {
                            let k_name = k.get_ref().to_string();
                            if !is_column(Some(kind), &k_name) {
                                at(
                                    k.span(),
                                    format!(
                                        "[fixed.{0}] `{k_name}` is not a column of {0}",
                                        kind.name()
                                    ),
                                    KEY_PATHS,
                                );
                            }
                            match scalar_text(v.get_ref()) {
                                Some(t) => mapping.fixed.push((Some(kind), k_name, t)),
                                None => at(
                                    v.span(),
                                    format!(
                                        "[fixed.{}] `{k_name}`: a value is text, a number or true/false",
                                        kind.name()
                                    ),
                                    SHAPE,
                                ),
                            }
                        }
                        continue;
                    }
                    if !is_column(None, &key_name) {
                        at(
                            key.span(),
                            format!("[fixed] `{key_name}` is no column of any sheet"),
                            KEY_PATHS,
                        );
                    }
                    match scalar_text(value.get_ref()) {
                        Some(t) => mapping.fixed.push((None, key_name, t)),
                        None => at(
                            value.span(),
                            format!(
                                "[fixed] `{key_name}`: a value is text, a number or true/false"
                            ),
                            SHAPE,
                        ),
                    }
                }
            }
            "sheets" => {
                for (sheet, kind) in entries {
                    let named = text_of(kind.get_ref());
                    match named.as_deref().and_then(|k| Kind::named(k.trim())) {
                        Some(k) => {
                            mapping.sheets.insert(sheet.get_ref().to_string(), k);
                        }
                        None => {
                            let said = named.unwrap_or_default();
                            let mut m = format!(
                                "[sheets] `{}` = `{said}`: `{said}` is not a kind of sheet",
                                sheet.get_ref()
                            );
                            let kinds = ["products", "lots", "evidence", "parties"];
                            if let Some(c) = crate::suggest::closest(&said, kinds.iter()) {
                                m.push_str(&format!(" (did you mean `{c}`?)"));
                            }
                            at(kind.span(), m, KINDS);
                        }
                    }
                }
            }
            other => {
                let mut m = format!("unknown section `[{other}]`");
                if let Some(c) =
                    crate::suggest::closest(other, ["columns", "fixed", "sheets"].iter())
                {
                    m.push_str(&format!("; did you mean `{c}`?"));
                }
                at(section.span(), m, SHAPE);
            }
        }
    }
    // In file order, as they are read.
    if !wrong.is_empty() {
        wrong.sort_by_key(|d| (d.line, d.column));
        return Err(wrong);
    }
    Ok(mapping)
}

fn text_of(v: &DeValue) -> Option<String> {
    match v {
        DeValue::String(s) => Some(s.to_string()),
        _ => None,
    }
}

/// A fixed value as the cell text it stands for.
fn scalar_text(v: &DeValue) -> Option<String> {
    match v {
        DeValue::String(s) => Some(s.to_string()),
        DeValue::Boolean(b) => Some(b.to_string()),
        DeValue::Integer(i) => Some(i.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn any(_: Option<Kind>, _: &str) -> bool {
        true
    }

    #[test]
    fn reads_columns_fixed_and_sheets() {
        let m = parse(
            "m.toml",
            "[columns]\n\"EAN\" = \"gtin\"\n[fixed]\nmanufacturer = \"little-oak-ltd\"\n[fixed.products]\nmarkets = \"US; EU\"\n[sheets]\nCatalogue = \"products\"\n",
            &any,
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
        let e = parse("m.toml", "[columns]\n[colums]\nx = \"y\"\n", &any).unwrap_err();
        assert_eq!((e[0].line, e[0].column), (2, 2), "{e:?}");
        assert!(e[0].message.contains("did you mean `columns`"), "{e:?}");
        let e = parse("m.toml", "[sheets]\nX = \"prodcts\"\n", &any).unwrap_err();
        assert_eq!((e[0].line, e[0].column), (2, 5), "{e:?}");
        assert!(e[0].message.contains("did you mean `products`"), "{e:?}");
    }

    #[test]
    fn every_wrong_name_is_reported_at_once_at_its_place() {
        let known = |kind: Option<Kind>, key: &str| match kind {
            None => ["name", "gtin", "lot"].contains(&key),
            Some(Kind::Products) => ["name", "gtin"].contains(&key),
            Some(_) => key == "lot",
        };
        let text = "[columns]\nTitle = \"nmae\"\nEAN = \"gtin\"\n[fixed]\nbrnd = \"x\"\n[fixed.prodcts]\nname = \"y\"\n[fixed.lots]\ngtin = \"z\"\n[sheets]\n\"catalogue.csv\" = \"prodcts\"\n";
        let e = parse("m.toml", text, &known).unwrap_err();
        let found: Vec<(usize, usize, &str)> = e
            .iter()
            .map(|d| (d.line, d.column, d.message.as_str()))
            .collect();
        assert_eq!(found.len(), 5, "{found:#?}");
        assert!(
            found.contains(&(
                2,
                9,
                "[columns] `Title` = `nmae`: `nmae` is no column of any sheet"
            )),
            "{found:#?}"
        );
        assert!(
            found.contains(&(5, 1, "[fixed] `brnd` is no column of any sheet")),
            "{found:#?}"
        );
        assert!(
            found
                .iter()
                .any(|f| f.0 == 6 && f.2.contains("`prodcts` is not a kind")),
            "{found:#?}"
        );
        assert!(
            found.contains(&(9, 1, "[fixed.lots] `gtin` is not a column of lots")),
            "{found:#?}"
        );
        assert!(
            found
                .iter()
                .any(|f| f.0 == 11 && f.2.contains("did you mean `products`")),
            "{found:#?}"
        );
    }
}
