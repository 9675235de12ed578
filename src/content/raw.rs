//! Serde structs that mirror the record files exactly (SPEC §4). Nothing here is
//! validated beyond its YAML shape; `product` and `party` resolve these into the model.

use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawProduct {
    pub id: String,
    pub name: String,
    pub brand: Option<String>,
    pub model: String,
    #[serde(default, deserialize_with = "gtin_text")]
    pub gtin: Option<String>,
    pub sku: Option<String>,
    /// The Product ID for CPSC eFiling (SPEC §4.1, §13).
    pub cpsc: Option<RawCpsc>,
    pub description: Option<String>,
    pub image: Option<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    pub age: Option<RawAge>,
    #[serde(default, deserialize_with = "crate::yaml::unique_keys")]
    pub attributes: BTreeMap<String, serde_yaml::Value>,
    #[serde(default)]
    pub markets: Vec<String>,
    pub manufacturer: String,
    #[serde(default, deserialize_with = "crate::yaml::unique_keys")]
    pub importers: BTreeMap<String, String>,
    pub records_custodian: Option<String>,
    #[serde(default)]
    pub lots: Vec<RawLot>,
    #[serde(default)]
    pub evidence: Vec<RawEvidence>,
    #[serde(default, deserialize_with = "crate::yaml::unique_keys")]
    pub declarations: BTreeMap<String, bool>,
    #[serde(default)]
    pub status: Status,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawCpsc {
    pub product_id: String,
    pub product_id_type: ProductIdType,
}

/// The identifier types the CPSC Product Registry takes for a Product ID (exports.md §1:
/// GTIN/UPC, SKU or model number). An unknown type is a serde error at its value.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProductIdType {
    Gtin,
    Upc,
    Sku,
    Model,
}

impl ProductIdType {
    pub fn as_str(self) -> &'static str {
        match self {
            ProductIdType::Gtin => "gtin",
            ProductIdType::Upc => "upc",
            ProductIdType::Sku => "sku",
            ProductIdType::Model => "model",
        }
    }
}

#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RawAge {
    /// Signed, so a negative age is a plain error about ages, not a type error.
    pub min_months: Option<i64>,
    pub max_months: Option<i64>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawLot {
    pub lot: String,
    pub made: String,
    pub place: String,
    pub factory: Option<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawEvidence {
    pub report: String,
    pub lab: String,
    pub date: String,
    pub place: Option<String>,
    pub covers: Vec<String>,
    pub result: TestResult,
    #[serde(default)]
    pub lots: Vec<String>,
    pub file: Option<String>,
}

#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TestResult {
    Pass,
    Fail,
}

#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    #[default]
    Active,
    Withdrawn,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawParty {
    pub id: String,
    pub kind: PartyKind,
    pub name: String,
    #[serde(default)]
    pub address: Vec<String>,
    pub country: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    #[serde(default, deserialize_with = "crate::yaml::unique_keys")]
    pub accreditations: BTreeMap<String, String>,
    /// The certifier's permanent CPSC Product Registry id (SPEC §4.2, §13).
    pub cpsc_certifier_id: Option<String>,
    #[serde(default)]
    pub certifications: Vec<RawCertification>,
}

#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PartyKind {
    Manufacturer,
    Importer,
    Lab,
    Person,
    Representative,
}

impl PartyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PartyKind::Manufacturer => "manufacturer",
            PartyKind::Importer => "importer",
            PartyKind::Lab => "lab",
            PartyKind::Person => "person",
            PartyKind::Representative => "representative",
        }
    }
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawCertification {
    pub standard: String,
    pub number: String,
    pub issuer: String,
    pub valid_until: Option<String>,
}

/// A GTIN may be written unquoted. YAML reads digits without a leading zero as an
/// integer; that is harmless because every GTIN is compared in its zero-padded 14-digit
/// form (digits with a leading zero stay a string).
fn gtin_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct V;
    impl serde::de::Visitor<'_> for V {
        type Value = Option<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a GTIN as a string of digits")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    d.deserialize_any(V)
}

impl RawProduct {
    /// Every party id the record names, as written (resolved or not).
    pub fn party_refs(&self) -> Vec<String> {
        std::iter::once(&self.manufacturer)
            .chain(self.importers.values())
            .chain(&self.records_custodian)
            .chain(self.lots.iter().filter_map(|l| l.factory.as_ref()))
            .chain(self.evidence.iter().map(|e| &e.lab))
            .cloned()
            .collect()
    }
}
