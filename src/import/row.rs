//! A cell read as a value of its field ([`Type`]), and how it changes the record: the
//! value as it is written into the YAML, and as the loaded record means it (the text the
//! export's layout writes for it), so a cell that says what the record already says
//! changes nothing (`0614141000012` is the GTIN stored as `00614141000012`).

use crate::content::edit::Value;
use crate::date::RecordDate;
use crate::gtin::Gtin;
use crate::plugins::AttrType;
use crate::sheet::layout::{LINES, LIST, Type, split_list};
use crate::site::Site;
use std::collections::BTreeSet;

/// What a cell must be checked against besides its type.
pub struct Known<'a> {
    pub site: &'a Site,
    /// Parties the import's own sheets add.
    pub new_parties: &'a BTreeSet<String>,
}

/// A cell read: the value to write, and the text the layout would show for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    pub value: Value,
    pub shown: String,
}

/// What a cell does to its field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Keep,
    Set(Value),
    Remove,
}

/// The change a cell `text` makes to a field of type `ty` (its name in its family,
/// `name`, for attributes) whose record shows `now` (`None` for a record not loaded: a
/// new one). An empty cell removes the field.
pub fn change(
    ty: Type,
    name: &str,
    text: &str,
    now: Option<&str>,
    known: &Known,
) -> Result<Change, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(match now {
            Some(n) if !n.is_empty() => Change::Remove,
            _ => Change::Keep,
        });
    }
    let read = read(ty, name, text, known)?;
    if now == Some(read.shown.as_str()) {
        return Ok(Change::Keep);
    }
    if ty == Type::Kept {
        return Err(
            "import does not change this field (a list of certifications); edit the party's record"
                .into(),
        );
    }
    Ok(Change::Set(read.value))
}

fn items(text: &str, on: &[char]) -> Vec<String> {
    text.split(on)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// `text` (trimmed, not empty) as a value of type `ty`.
pub fn read(ty: Type, name: &str, text: &str, known: &Known) -> Result<Read, String> {
    let str_ = |s: &str| Read {
        value: Value::str(s),
        shown: s.to_string(),
    };
    let list = |items: Vec<String>, join: &str| Read {
        shown: items.join(join),
        value: Value::List(items),
    };
    let bool_ = |b: bool| Read {
        value: Value::Bool(b),
        shown: b.to_string(),
    };
    match ty {
        Type::Text | Type::Kept => Ok(str_(text)),
        Type::List => Ok(list(split_list(text), LIST)),
        Type::Categories => {
            let items = split_list(text);
            let vocabulary = &known.site.vocabulary;
            if vocabulary.complete {
                for c in &items {
                    if !vocabulary.categories.contains_key(c) {
                        return Err(unknown("category", c, vocabulary.categories.keys()));
                    }
                }
            }
            Ok(list(items, LIST))
        }
        Type::Lines => {
            let lines = if text.contains('\n') {
                items(text, &['\n'])
            } else {
                items(text, &[';'])
            };
            Ok(list(lines, LINES))
        }
        Type::Int => int(text).map(|i| Read {
            value: Value::Int(i),
            shown: i.to_string(),
        }),
        Type::Gtin => Gtin::parse(text)
            .map(|g| Read {
                value: Value::str(text),
                shown: g.as_gtin14(),
            })
            .map_err(|e| format!("invalid GTIN `{text}`: {e}")),
        Type::Date => RecordDate::parse(text)
            .map(|d| Read {
                value: Value::str(text),
                shown: d.to_string(),
            })
            .map_err(|e| format!("invalid date `{text}`: {e}")),
        Type::Day => RecordDate::parse_day(text)
            .map(|d| Read {
                value: Value::str(text),
                shown: crate::date::iso(d),
            })
            .map_err(|e| format!("invalid date `{text}`: {e}")),
        Type::Bool => boolean(text).map(bool_),
        Type::Attribute => {
            let vocabulary = &known.site.vocabulary;
            match vocabulary.attributes.get(name).map(|a| a.ty) {
                Some(AttrType::Bool) => boolean(text).map(bool_),
                Some(AttrType::Int) => int(text).map(|i| Read {
                    value: Value::Int(i),
                    shown: i.to_string(),
                }),
                Some(AttrType::String) => Ok(str_(text)),
                None if vocabulary.complete => {
                    Err(unknown("attribute", name, vocabulary.attributes.keys()))
                }
                None => Ok(str_(text)),
            }
        }
        Type::Party => {
            let parties = &known.site.content.parties;
            if parties.contains_key(text) || known.new_parties.contains(text) {
                Ok(str_(text))
            } else {
                Err(unknown(
                    "party",
                    text,
                    parties.keys().chain(known.new_parties.iter()),
                ))
            }
        }
    }
}

fn unknown<'a>(what: &str, name: &str, known: impl IntoIterator<Item = &'a String>) -> String {
    let known: Vec<&String> = known.into_iter().collect();
    match crate::suggest::closest(name, known.iter().copied()) {
        Some(s) => format!("unknown {what} `{name}` (did you mean `{s}`?)"),
        None => format!("unknown {what} `{name}`"),
    }
}

/// A whole number; `6.0` too (a spreadsheet's number).
fn int(text: &str) -> Result<i64, String> {
    let t = text.strip_suffix(".0").unwrap_or(text);
    t.parse::<i64>()
        .map_err(|_| format!("`{text}` is not a whole number"))
}

/// `true` / `false`, `TRUE` / `FALSE`, `1` / `0` (ODS saves booleans as 1 / 0), yes / no.
fn boolean(text: &str) -> Result<bool, String> {
    match text.to_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(format!("`{text}` is not true or false")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> Site {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        crate::site::load(root, &Default::default()).0.unwrap()
    }

    #[test]
    fn cells_read_as_their_fields_mean_them() {
        let site = site();
        let none = BTreeSet::new();
        let k = Known {
            site: &site,
            new_parties: &none,
        };
        let r = read(Type::Gtin, "", "0614141000012", &k).unwrap();
        assert_eq!(r.shown, "00614141000012");
        assert!(read(Type::Gtin, "", "0614141000013", &k).is_err());
        // One kind of separator per cell: line breaks, else `;`, else `,` (an item may
        // hold the weaker ones: `ASTM F963-23, section 4.3.5`).
        let list = |text: &str| read(Type::List, "", text, &k).unwrap().value;
        let items = |v: &[&str]| Value::List(v.iter().map(|s| s.to_string()).collect());
        assert_eq!(list("US, EU,CA"), items(&["US", "EU", "CA"]));
        assert_eq!(list("US; EU;CA"), items(&["US", "EU", "CA"]));
        assert_eq!(
            list("F963-23, 4.3.5; EN 71-1"),
            items(&["F963-23, 4.3.5", "EN 71-1"])
        );
        assert_eq!(list("A; b\r\nEN 71-1\r\n"), items(&["A; b", "EN 71-1"]));
        assert_eq!(
            read(Type::Bool, "", "TRUE", &k).unwrap().value,
            Value::Bool(true)
        );
        assert_eq!(
            read(Type::Bool, "", "0", &k).unwrap().value,
            Value::Bool(false)
        );
        assert_eq!(read(Type::Int, "", "6.0", &k).unwrap().value, Value::Int(6));
        assert!(read(Type::Day, "", "2026-13-01", &k).is_err());
        assert!(read(Type::Day, "", "2026-03", &k).is_err());
        assert!(read(Type::Date, "", "2026-03", &k).is_ok());
        assert_eq!(read(Type::Lines, "", "a; b", &k).unwrap().shown, "a\nb");
        let e = read(Type::Party, "", "little-oak-lt", &k).unwrap_err();
        assert!(e.contains("did you mean `little-oak-ltd`"), "{e}");
        assert!(read(Type::Categories, "", "toy; nope", &k).is_err());
        // The same value changes nothing; an empty cell removes what is there.
        assert_eq!(
            change(Type::Gtin, "", "0614141000012", Some("00614141000012"), &k),
            Ok(Change::Keep)
        );
        assert_eq!(
            change(Type::Text, "", " ", Some("x"), &k),
            Ok(Change::Remove)
        );
        assert_eq!(change(Type::Text, "", "", None, &k), Ok(Change::Keep));
    }
}
