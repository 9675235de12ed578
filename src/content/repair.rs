//! A record that fails to read still gets every problem in it reported in the same run.
//! serde stops at the first problem, so the record is read again after mending that
//! problem in the document tree: a stand-in value at a missing field, the unknown key
//! left out, a value of the expected type in place of a wrong one. Each mended problem
//! is reported; once the record reads, it is resolved for its other problems, and what
//! the stand-ins themselves cause is left out.

use crate::yaml::{Locator, Seg, YamlError, YamlPath};
use serde::de::DeserializeOwned;
use serde_yaml::Value;

/// At most this many problems are mended in one record (records have a few fields per
/// mapping; this bounds the work on hostile input).
const MAX_MENDED: usize = 24;

/// What was found in a record that did not read: every reading error (the first as the
/// strict reading gave it), the paths of the stand-ins, and the record read with them,
/// when the mending got that far.
pub struct Repaired<T> {
    pub errors: Vec<YamlError>,
    pub stand_ins: Vec<YamlPath>,
    /// Mappings an unknown key was taken out of: a problem with one of them as a whole
    /// (`age: { min_month: 12 }` reads as an empty `age`) is the key's doing.
    pub emptied: Vec<YamlPath>,
    pub raw: Option<T>,
}

impl<T> Repaired<T> {
    /// Whether a problem found in the mended record is the mending's doing, not the
    /// author's: about a stand-in, or about a mapping as a whole that lost a key.
    pub fn made(&self, path: &YamlPath) -> bool {
        about_stand_in(path, &self.stand_ins) || self.emptied.contains(path)
    }
}

/// The reading errors that can be mended: each names the place in the tree it is about.
const MENDABLE: &[&str] = &["missing-key", "unknown-key", "wrong-value", "wrong-type"];

/// Reads `text` as `T` after `first` (the error of the strict reading), mending one
/// problem at a time. `None` when `first` is not a problem that can be mended (syntax,
/// duplicate keys, indentation): then it is reported alone, as the reading found it.
pub fn repair<T: DeserializeOwned>(text: &str, first: &YamlError) -> Option<Repaired<T>> {
    // The tree is read whole, aliases expanded, and read again per mend: a document with
    // anchors (a few kilobytes can expand to gigabytes, under keys the strict reading
    // never reached) or larger than any record is reported as the strict reading found it.
    if !MENDABLE.contains(&first.code) || text.len() > MAX_TEXT || has_anchor(text) {
        return None;
    }
    let mut value: Value = serde_yaml::from_str(text).ok()?;
    let mut message = match serde_yaml::from_str::<T>(text) {
        Ok(_) => return None,
        Err(e) => without_position(&e),
    };
    let locator = Locator::new(text);
    let mut out = Repaired {
        errors: Vec::new(),
        stand_ins: Vec::new(),
        emptied: Vec::new(),
        raw: None,
    };
    let mut mended: Vec<(YamlPath, Value)> = Vec::new();
    // Unknown keys' suggested names, by mapping.
    let mut typos: Vec<(YamlPath, String)> = Vec::new();
    for _ in 0..MAX_MENDED {
        let Some(problem) = Problem::parse(&message) else {
            break;
        };
        let (path, replacement) = match &problem {
            Problem::Missing { at, field } => (at.key(field), Some(stand_in(field))),
            Problem::Unknown { at, field } => (at.key(field), None),
            Problem::Variant { at, first } => (at.clone(), Some(Value::String(first.clone()))),
            Problem::Type { at, expected } => (at.clone(), Some(of_type(expected))),
        };
        // The same mend twice would loop: stop with what was found.
        if mended
            .iter()
            .any(|(p, v)| *p == path && Some(v) == replacement.as_ref())
        {
            break;
        }
        // What a stand-in causes (the fields of a stand-in mapping, a stand-in that is
        // not one of the choices) is mended without being reported; so is a missing
        // field that an unknown key's suggestion already names (`modle:` lacks `model`:
        // one typo, one error).
        let typo = matches!(&problem, Problem::Missing { at, field }
            if typos.iter().any(|(a, f)| a == at && f == field));
        // The author's own problem, not one a stand-in made.
        let own = !about_stand_in(&path, &out.stand_ins);
        if own && !typo {
            let error = if out.errors.is_empty() {
                first.clone()
            } else {
                problem.error(&message, &locator)
            };
            if let (Problem::Unknown { at, .. }, Some(meant)) = (&problem, suggested(&error)) {
                typos.push((at.clone(), meant));
            }
            out.errors.push(error);
        }
        if !mend(&mut value, &path, replacement.clone()) {
            break;
        }
        if own {
            out.stand_ins.push(path.clone());
            if let Problem::Unknown { at, .. } = &problem {
                out.emptied.push(at.clone());
            }
        }
        mended.push((path, replacement.unwrap_or(Value::Null)));
        // Through text again, so the next error carries its path.
        let again = serde_yaml::to_string(&value).ok()?;
        match serde_yaml::from_str::<T>(&again) {
            Ok(raw) => {
                out.raw = Some(raw);
                break;
            }
            Err(e) => message = without_position(&e),
        }
    }
    (!out.errors.is_empty()).then_some(out)
}

/// The largest record that is mended (records are a few kilobytes).
const MAX_TEXT: usize = 64 * 1024;

/// Whether `text` may define a YAML anchor (`&name` after white space or a flow
/// indicator). A `&` inside text (`A &B Co`) counts too: such a record is then reported
/// as the strict reading found it, which is safe.
fn has_anchor(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().any(|(i, &b)| {
        b == b'&'
            && bytes.get(i + 1).is_some_and(|c| c.is_ascii_alphanumeric())
            && (i == 0
                || matches!(
                    bytes[i - 1],
                    b' ' | b'\t' | b'\n' | b'[' | b'{' | b',' | b':' | b'-'
                ))
    })
}

/// The name an unknown-key error suggests ("did you mean `model`?").
fn suggested(error: &YamlError) -> Option<String> {
    let rest = error.message.split("did you mean `").nth(1)?;
    Some(rest.split('`').next()?.to_string())
}

/// serde_yaml's message without the " at line L column C" it appends.
fn without_position(e: &serde_yaml::Error) -> String {
    let full = e.to_string();
    match full.find(" at line ") {
        Some(i) => full[..i].to_string(),
        None => full,
    }
}

/// A reading error, as serde_yaml words it: `path: missing field `x``, `path: unknown
/// field `x`, expected ...`, `path: unknown variant `x`, expected one of `a`, ...`,
/// `path: invalid type: ..., expected ...`.
#[derive(Debug, PartialEq)]
enum Problem {
    Missing { at: YamlPath, field: String },
    Unknown { at: YamlPath, field: String },
    Variant { at: YamlPath, first: String },
    Type { at: YamlPath, expected: String },
}

impl Problem {
    fn parse(message: &str) -> Option<Problem> {
        let markers = [
            "missing field `",
            "unknown field `",
            "unknown variant `",
            "invalid type: ",
            "invalid value: ",
            "invalid length ",
        ];
        let (start, marker) = markers
            .iter()
            .filter_map(|m| message.find(m).map(|i| (i, *m)))
            .min()?;
        let at = path(&message[..start])?;
        let rest = &message[start + marker.len()..];
        let name = || rest.split('`').next().map(str::to_string);
        let expected = || rest.rsplit_once("expected ").map(|(_, e)| e.to_string());
        Some(match marker {
            "missing field `" => Problem::Missing { at, field: name()? },
            "unknown field `" => Problem::Unknown { at, field: name()? },
            "unknown variant `" => Problem::Variant {
                at,
                first: expected()?.split('`').nth(1)?.to_string(),
            },
            _ => Problem::Type {
                at,
                expected: expected()?,
            },
        })
    }

    /// The error as `yaml::parse` reports it (the same codes and wording), at its place
    /// in the author's text.
    fn error(&self, message: &str, locator: &Locator) -> YamlError {
        let (line, column) = match self {
            Problem::Missing { at, .. } => locator.value(at),
            Problem::Unknown { at, field } => locator.key(&at.key(field)),
            Problem::Variant { at, .. } | Problem::Type { at, .. } => locator.value(at),
        };
        crate::yaml::reading_error(message, line, column)
    }
}

/// The path serde_yaml writes before a message (`lots[0].made:`; nothing at the root).
fn path(prefix: &str) -> Option<YamlPath> {
    let prefix = prefix.trim_end().trim_end_matches(':');
    let mut path = YamlPath::root();
    for part in prefix.split('.').filter(|p| !p.is_empty()) {
        let (key, rest) = part.split_once('[').unwrap_or((part, ""));
        if !key.is_empty() {
            path = path.key(key);
        }
        for index in rest.split('[') {
            let index = index.trim_end_matches(']');
            if !index.is_empty() {
                path = path.index(index.parse().ok()?);
            }
        }
    }
    Some(path)
}

/// A value of the right shape for a required field: a list for `covers`, the first
/// choice for `result`, a string otherwise (an empty one, which no check accepts, but
/// whatever a stand-in makes the resolver say is left out).
fn stand_in(field: &str) -> Value {
    match field {
        "covers" => Value::Sequence(vec![Value::String(String::new())]),
        "result" => Value::String("pass".into()),
        _ => Value::String(String::new()),
    }
}

/// A value of the type serde expected (`a sequence`, `struct RawLot`, `u32`, ...).
fn of_type(expected: &str) -> Value {
    let e = expected.to_ascii_lowercase();
    if e.contains("sequence") || e.contains("list") {
        Value::Sequence(Vec::new())
    } else if e.contains("map") || e.contains("struct") {
        Value::Mapping(serde_yaml::Mapping::new())
    } else if e.contains("bool") {
        Value::Bool(false)
    } else if e.contains("f64") || e.contains("f32") || e.contains("float") {
        Value::Number(0.0.into())
    } else if e.contains("integer")
        || ["u8", "u16", "u32", "u64", "i32", "i64", "usize"]
            .iter()
            .any(|t| {
                e.split(|c: char| !c.is_ascii_alphanumeric())
                    .any(|w| w == *t)
            })
    {
        Value::Number(0.into())
    } else {
        Value::String(String::new())
    }
}

/// Puts `replacement` at `path` (or takes the entry out, for `None`). `false` when the
/// path is not in the tree.
fn mend(value: &mut Value, path: &YamlPath, replacement: Option<Value>) -> bool {
    let Some((last, parent)) = path.0.split_last() else {
        return match replacement {
            Some(r) => {
                *value = r;
                true
            }
            None => false,
        };
    };
    let Some(parent) = find(value, parent) else {
        return false;
    };
    match (last, parent, replacement) {
        (Seg::Key(k), Value::Mapping(m), Some(r)) => {
            m.insert(Value::String(k.clone()), r);
            true
        }
        (Seg::Key(k), Value::Mapping(m), None) => m.shift_remove(k.as_str()).is_some(),
        (Seg::Index(i), Value::Sequence(s), Some(r)) if *i < s.len() => {
            s[*i] = r;
            true
        }
        (Seg::Index(i), Value::Sequence(s), None) if *i < s.len() => {
            s.remove(*i);
            true
        }
        _ => false,
    }
}

fn find<'v>(value: &'v mut Value, path: &[Seg]) -> Option<&'v mut Value> {
    let mut v = value;
    for seg in path {
        v = match seg {
            Seg::Key(k) => v.as_mapping_mut()?.get_mut(k.as_str())?,
            Seg::Index(i) => v.as_sequence_mut()?.get_mut(*i)?,
        };
    }
    Some(v)
}

/// Whether a problem found in the mended record is about a stand-in (and so not the
/// author's).
fn about_stand_in(path: &YamlPath, stand_ins: &[YamlPath]) -> bool {
    stand_ins.iter().any(|s| path.0.starts_with(&s.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_path_and_problem_of_serde_yamls_messages() {
        assert_eq!(
            Problem::parse("evidence[0]: missing field `result`"),
            Some(Problem::Missing {
                at: crate::ypath!["evidence", 0],
                field: "result".into()
            })
        );
        assert_eq!(
            Problem::parse("missing field `manufacturer`"),
            Some(Problem::Missing {
                at: YamlPath::root(),
                field: "manufacturer".into()
            })
        );
        assert_eq!(
            Problem::parse("lots[1]: unknown field `made_on`, expected one of `lot`, `made`"),
            Some(Problem::Unknown {
                at: crate::ypath!["lots", 1],
                field: "made_on".into()
            })
        );
        assert_eq!(
            Problem::parse(
                "evidence[0].result: unknown variant `passed`, expected `pass` or `fail`"
            ),
            Some(Problem::Variant {
                at: crate::ypath!["evidence", 0, "result"],
                first: "pass".into()
            })
        );
        assert_eq!(
            Problem::parse("markets: invalid type: string \"US\", expected a sequence"),
            Some(Problem::Type {
                at: crate::ypath!["markets"],
                expected: "a sequence".into()
            })
        );
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Record {
        id: String,
        name: String,
        count: u32,
        tags: Vec<String>,
        lots: Vec<Lot>,
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Lot {
        lot: String,
        result: Verdict,
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(rename_all = "lowercase")]
    enum Verdict {
        Pass,
        Fail,
    }

    #[test]
    fn a_record_with_anchors_is_not_expanded_to_be_mended() {
        let mut text = String::from("id: x\nname: N\ncount: 1\ntags: []\nlots: []\nbomb: &a [");
        text.push_str(&"x, ".repeat(30));
        text.push_str("x]\nmore: [*a, *a, *a]\n");
        let first = crate::yaml::parse::<Record>(&text).unwrap_err();
        assert!(repair::<Record>(&text, &first).is_none());
        assert!(has_anchor("a: &x 1") && !has_anchor("name: A&B Co"));
    }

    #[test]
    fn every_problem_of_a_record_is_found_in_one_reading() {
        let text = "id: x\nnmae: X\ncount: many\ntags: one\nlots:\n  - { lot: a, result: passed }\n  - { result: fail }\n";
        let first = crate::yaml::parse::<Record>(text).unwrap_err();
        let r = repair::<Record>(text, &first).unwrap();
        let found: Vec<(&str, usize)> = r.errors.iter().map(|e| (e.code, e.line)).collect();
        assert_eq!(
            found,
            [
                ("unknown-key", 2),
                ("wrong-type", 3),
                ("wrong-type", 4),
                ("wrong-value", 6),
                ("missing-key", 7),
            ],
            "{:#?}",
            r.errors
        );
        assert!(r.raw.is_some());
        // `nmae` is `name` mistyped: the missing `name` is that one error, not another.
        assert!(
            !r.errors
                .iter()
                .any(|e| e.message.contains("missing field `name`")),
            "{:#?}",
            r.errors
        );
        // One value where a list belongs: the list to write.
        assert_eq!(
            r.errors[2].help.as_deref(),
            Some("write a list, even of one: `[one]`")
        );
    }
}
