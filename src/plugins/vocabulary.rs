//! What product records may say: the categories, attributes and declarations that the
//! enabled plugins declare. Anything else in a record is an error in that record.

use super::manifest::Manifest;
use crate::diagnostic::Diagnostic;
use crate::yaml::YamlPath;
use crate::ypath;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Deserialize, Debug, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct RawVocabulary {
    #[serde(default, deserialize_with = "crate::yaml::unique_keys")]
    pub categories: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "crate::yaml::unique_keys")]
    pub attributes: BTreeMap<String, RawAttribute>,
    #[serde(default, deserialize_with = "crate::yaml::unique_keys")]
    pub declarations: BTreeMap<String, String>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawAttribute {
    #[serde(rename = "type")]
    pub ty: AttrType,
    pub default: Option<serde_yaml::Value>,
    #[serde(default)]
    pub doc: String,
}

#[derive(Deserialize, Serialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum AttrType {
    Bool,
    Int,
    String,
}

/// A typed attribute value.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
#[serde(untagged)]
pub enum AttrValue {
    Bool(bool),
    Int(i64),
    String(String),
}

impl AttrType {
    /// Reads `v` as this type, or says what was expected.
    pub fn value(self, v: &serde_yaml::Value) -> Result<AttrValue, String> {
        match (self, v) {
            (AttrType::Bool, serde_yaml::Value::Bool(b)) => Ok(AttrValue::Bool(*b)),
            (AttrType::Int, serde_yaml::Value::Number(n)) if n.as_i64().is_some() => {
                Ok(AttrValue::Int(n.as_i64().unwrap_or_default()))
            }
            (AttrType::String, serde_yaml::Value::String(s)) => Ok(AttrValue::String(s.clone())),
            (t, _) => Err(format!("expected {}", t.describe())),
        }
    }

    fn describe(self) -> &'static str {
        match self {
            AttrType::Bool => "true or false",
            AttrType::Int => "a whole number",
            AttrType::String => "a string",
        }
    }

    fn zero(self) -> AttrValue {
        match self {
            AttrType::Bool => AttrValue::Bool(false),
            AttrType::Int => AttrValue::Int(0),
            AttrType::String => AttrValue::String(String::new()),
        }
    }
}

impl RawVocabulary {
    /// Problems inside one plugin's vocabulary, with the path to point at.
    pub fn check(&self) -> Vec<(YamlPath, String)> {
        let mut out = Vec::new();
        for (name, attr) in &self.attributes {
            if let Some(d) = &attr.default
                && let Err(e) = attr.ty.value(d)
            {
                out.push((
                    ypath!["vocabulary", "attributes", name, "default"],
                    format!("default of attribute `{name}`: {e}"),
                ));
            }
        }
        out
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Attribute {
    pub ty: AttrType,
    pub default: AttrValue,
    pub doc: String,
}

/// The union of the enabled plugins' vocabularies.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    pub categories: BTreeMap<String, String>,
    pub attributes: BTreeMap<String, Attribute>,
    pub declarations: BTreeMap<String, String>,
    /// The markets some enabled plugin assesses.
    pub markets: Vec<crate::ident::Market>,
    /// False when an enabled plugin failed to load: its terms are missing, so records
    /// are not checked against an incomplete vocabulary.
    pub complete: bool,
}

impl Vocabulary {
    /// Merges plugin vocabularies. Packs may repeat a term (the shipped packs share one
    /// vocabulary), but an attribute declared twice must have the same type and default,
    /// or a record would mean different things in different markets.
    pub(super) fn merge(plugins: &[Manifest]) -> (Vocabulary, Vec<Diagnostic>) {
        let mut v = Vocabulary {
            complete: true,
            ..Vocabulary::default()
        };
        let mut diags = Vec::new();
        let mut owner: BTreeMap<String, &str> = BTreeMap::new();
        for p in plugins {
            for (k, doc) in &p.vocabulary.categories {
                v.categories.entry(k.clone()).or_insert_with(|| doc.clone());
            }
            for (k, doc) in &p.vocabulary.declarations {
                v.declarations
                    .entry(k.clone())
                    .or_insert_with(|| doc.clone());
            }
            for (k, raw) in &p.vocabulary.attributes {
                let default = raw
                    .default
                    .as_ref()
                    .and_then(|d| raw.ty.value(d).ok())
                    .unwrap_or_else(|| raw.ty.zero());
                let attr = Attribute {
                    ty: raw.ty,
                    default,
                    doc: raw.doc.clone(),
                };
                match v.attributes.get(k) {
                    Some(prev) if prev.ty != attr.ty || prev.default != attr.default => {
                        diags.push(
                            Diagnostic::error(
                                "vocabulary-conflict",
                                &p.file,
                                format!(
                                    "attribute `{k}` is declared by `{}` as {:?} (default {:?}) and here as {:?} (default {:?})",
                                    owner[k], prev.ty, prev.default, attr.ty, attr.default
                                ),
                            )
                            .config(),
                        );
                    }
                    Some(_) => {}
                    None => {
                        owner.insert(k.clone(), &p.id);
                        v.attributes.insert(k.clone(), attr);
                    }
                }
            }
            v.markets.extend(p.markets.iter().cloned());
        }
        v.markets.sort();
        v.markets.dedup();
        (v, diags)
    }

    /// "one of `a`, `b`, `c`" for help texts.
    pub fn one_of<'a>(names: impl Iterator<Item = &'a String>) -> String {
        let list: Vec<String> = names.map(|n| format!("`{n}`")).collect();
        if list.is_empty() {
            "none are declared by the enabled plugins".to_string()
        } else {
            format!("declared: {}", list.join(", "))
        }
    }
}
