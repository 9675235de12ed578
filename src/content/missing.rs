//! A record that lacks a required field still gets every other problem reported in the
//! same run. serde stops at the first missing field, so the record is read again with a
//! stand-in value at each missing field in turn; the record read that way is resolved
//! for its other problems, and what the stand-ins themselves cause is left out.

use crate::yaml::{Locator, Seg, YamlError, YamlPath};
use serde::de::DeserializeOwned;
use serde_yaml::Value;

/// At most this many missing fields are filled in one record (records have a few
/// required fields per mapping; this bounds the work on hostile input).
const MAX_FILLED: usize = 16;

/// A record read with stand-ins: the missing fields (as errors at their mappings), the
/// paths of the stand-ins, and the record.
pub struct Filled<T> {
    pub errors: Vec<YamlError>,
    pub stand_ins: Vec<YamlPath>,
    pub raw: T,
}

/// Reads `text` as `T` after `first` (a `missing-key` error of the strict reading),
/// filling each missing field with a stand-in. `None` when the record fails for another
/// reason as well: then only the first error is reported, as before.
pub fn fill<T: DeserializeOwned>(text: &str, first: &YamlError) -> Option<Filled<T>> {
    let mut value: Value = serde_yaml::from_str(text).ok()?;
    let locator = Locator::new(text);
    let mut errors = Vec::new();
    let mut stand_ins = Vec::new();
    let mut message = first.message.clone();
    for _ in 0..MAX_FILLED {
        let (at, field) = parse(&message)?;
        let path = at.key(&field);
        if stand_ins.contains(&path) {
            return None;
        }
        let (line, column) = if errors.is_empty() {
            (first.line, first.column)
        } else {
            locator.value(&at)
        };
        errors.push(YamlError {
            code: "missing-key",
            message: message.clone(),
            line,
            column,
            help: None,
        });
        let map = find(&mut value, &at)?.as_mapping_mut()?;
        map.insert(Value::String(field.clone()), stand_in(&field));
        stand_ins.push(path);
        // Through text again, so a further missing field's error carries its path.
        let again = serde_yaml::to_string(&value).ok()?;
        match serde_yaml::from_str::<T>(&again) {
            Ok(raw) => {
                return Some(Filled {
                    errors,
                    stand_ins,
                    raw,
                });
            }
            Err(e) if e.to_string().contains("missing field") => {
                let full = e.to_string();
                message = match full.find(" at line ") {
                    Some(i) => full[..i].to_string(),
                    None => full,
                };
            }
            Err(_) => return None,
        }
    }
    None
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

/// The mapping (by path) and field of serde_yaml's "`path`: missing field `x`" message.
fn parse(message: &str) -> Option<(YamlPath, String)> {
    let at = message.find("missing field `")?;
    let field = message[at + "missing field `".len()..].split('`').next()?;
    let prefix = message[..at].trim_end().trim_end_matches(':');
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
    Some((path, field.to_string()))
}

fn find<'v>(value: &'v mut Value, path: &YamlPath) -> Option<&'v mut Value> {
    let mut v = value;
    for seg in &path.0 {
        v = match seg {
            Seg::Key(k) => v.as_mapping_mut()?.get_mut(k.as_str())?,
            Seg::Index(i) => v.as_sequence_mut()?.get_mut(*i)?,
        };
    }
    Some(v)
}

/// Whether a problem found in the filled record is about a stand-in (and so not the
/// author's).
pub fn about_stand_in(path: &YamlPath, stand_ins: &[YamlPath]) -> bool {
    stand_ins.iter().any(|s| path.0.starts_with(&s.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_path_and_field_of_serde_yamls_message() {
        let (p, f) = parse("evidence[0]: missing field `result`").unwrap();
        assert_eq!(p, crate::ypath!["evidence", 0]);
        assert_eq!(f, "result");
        let (p, f) = parse("missing field `manufacturer`").unwrap();
        assert_eq!(p, YamlPath::root());
        assert_eq!(f, "manufacturer");
    }
}
