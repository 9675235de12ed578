//! The command-plugin wire format, protocol 1 (SPEC §5): one request of products in,
//! one response of assessments and diagnostics out. Versioned, tolerant of fields it
//! does not know on read, and pinned by a golden test (tests/golden/). A product on the
//! wire carries every field conditions read as `product` (`plugins::product`), checked
//! by the test below, and more: names, lots and evidence, which a program judges itself.

use super::assessment::{CertificateStatus, LabelText, RequirementStatus};
use crate::content::Product;
use crate::plugins::Vocabulary;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::Date;

#[derive(Serialize, Debug)]
pub struct Request<'a> {
    pub protocol: u32,
    pub plugin: &'a str,
    pub as_of: String,
    pub products: Vec<WireProduct<'a>>,
}

#[derive(Serialize, Debug)]
pub struct WireParty<'a> {
    pub id: &'a str,
    pub kind: &'static str,
    pub name: &'a str,
    pub address: &'a [String],
    pub country: Option<&'a str>,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub accreditations: &'a BTreeMap<String, String>,
}

impl<'a> WireParty<'a> {
    fn new(p: &'a crate::content::Party) -> Self {
        WireParty {
            id: &p.id,
            kind: p.kind.as_str(),
            name: &p.name,
            address: &p.address,
            country: p.country.as_deref(),
            email: p.email.as_deref(),
            phone: p.phone.as_deref(),
            accreditations: &p.accreditations,
        }
    }
}

#[derive(Serialize, Debug)]
pub struct WireLot<'a> {
    pub lot: &'a str,
    pub made: String,
    pub place: &'a str,
}

#[derive(Serialize, Debug)]
pub struct WireEvidence<'a> {
    pub report: &'a str,
    pub lab: WireParty<'a>,
    pub date: String,
    pub place: Option<&'a str>,
    pub covers: &'a [String],
    pub result: crate::content::TestResult,
    pub lots: &'a [String],
}

/// A product as a command plugin receives it: the validated record, every declared
/// attribute and declaration filled in, parties resolved.
#[derive(Serialize, Debug)]
pub struct WireProduct<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub brand: Option<&'a str>,
    pub model: &'a str,
    pub gtin: Option<String>,
    pub categories: &'a [String],
    pub age: Option<crate::content::Age>,
    pub attributes: BTreeMap<&'a str, &'a crate::plugins::AttrValue>,
    pub declarations: BTreeMap<&'a str, bool>,
    pub markets: Vec<&'a str>,
    pub status: crate::content::Status,
    pub manufacturer: WireParty<'a>,
    pub importers: BTreeMap<&'a str, WireParty<'a>>,
    pub records_custodian: Option<WireParty<'a>>,
    pub lots: Vec<WireLot<'a>>,
    pub evidence: Vec<WireEvidence<'a>>,
}

impl<'a> WireProduct<'a> {
    /// The product as a program reads it, judged on `as_of`: a report dated after it is
    /// not sent (it has not happened, so it backs nothing, as in rule packs; the record's
    /// date is warned about when the site is read).
    pub fn new(p: &'a Product, vocabulary: &'a Vocabulary, as_of: Date) -> Self {
        WireProduct {
            id: &p.id,
            name: &p.name,
            brand: p.brand.as_deref(),
            model: &p.model,
            gtin: p.gtin.map(|g| g.as_gtin14()),
            categories: &p.categories,
            age: p.age,
            attributes: vocabulary
                .attributes
                .iter()
                .map(|(k, a)| (k.as_str(), p.attributes.get(k).unwrap_or(&a.default)))
                .collect(),
            declarations: vocabulary
                .declarations
                .keys()
                .map(|k| (k.as_str(), p.declarations.get(k).copied().unwrap_or(false)))
                .collect(),
            markets: p.markets.iter().map(|m| m.code()).collect(),
            status: p.status,
            manufacturer: WireParty::new(&p.manufacturer),
            importers: p
                .importers
                .iter()
                .map(|(m, i)| (m.code(), WireParty::new(i)))
                .collect(),
            records_custodian: p.records_custodian.as_deref().map(WireParty::new),
            lots: p
                .lots
                .iter()
                .map(|l| WireLot {
                    lot: &l.lot,
                    made: l.made.to_string(),
                    place: &l.place,
                })
                .collect(),
            evidence: p
                .evidence
                .iter()
                .filter(|e| e.date <= as_of)
                .map(|e| WireEvidence {
                    report: &e.report,
                    lab: WireParty::new(&e.lab),
                    date: crate::date::iso(e.date),
                    place: e.place.as_deref(),
                    covers: &e.covers,
                    result: e.result,
                    lots: &e.lots,
                })
                .collect(),
        }
    }
}

#[derive(Deserialize, Debug)]
pub struct Response {
    pub protocol: u32,
    #[serde(default)]
    pub assessments: Vec<WireAssessment>,
    #[serde(default)]
    pub diagnostics: Vec<WireDiagnostic>,
}

#[derive(Deserialize, Debug)]
pub struct WireAssessment {
    pub product: String,
    pub market: String,
    #[serde(default)]
    pub certificate: Option<CertificateStatus>,
    #[serde(default)]
    pub requirements: Vec<RequirementStatus>,
    #[serde(default)]
    pub labels: Vec<LabelText>,
    #[serde(default)]
    pub marks: Vec<String>,
}

/// A problem the plugin reports. It becomes a diagnostic of the run ([`super::command::answer`]): an
/// `error` counts as one (a build fails), a `warning` is a warning. Every field is
/// untrusted text, shown in the terminal (escaped by the report) and in JSON.
#[derive(Deserialize, Debug)]
pub struct WireDiagnostic {
    /// `error` (the default) or `warning`; anything else makes the response invalid.
    #[serde(default = "error_word")]
    pub severity: String,
    /// The plugin's own code for the problem, quoted in the message.
    #[serde(default)]
    pub code: Option<String>,
    /// The product the problem is about, one of the request's; none for a problem of
    /// the plugin itself.
    #[serde(default)]
    pub product: Option<String>,
    pub message: String,
}

fn error_word() -> String {
    "error".into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugins::product_fixture as fixture;
    use serde_json::Value as Json;

    /// Fields of `product` a command plugin does not receive: protocol 1 was pinned
    /// without them (tests/golden/request.json), and adding them changes the request.
    const NOT_ON_WIRE: &[&str] = &["sku", "image"];

    const AS_OF: Date = time::macros::date!(2026 - 11 - 23);

    fn json(v: &cel::Value) -> Json {
        match v {
            cel::Value::Bool(b) => Json::from(*b),
            cel::Value::Int(i) => Json::from(*i),
            cel::Value::String(s) => Json::from(s.as_str()),
            cel::Value::List(items) => items.iter().map(json).collect(),
            cel::Value::Map(m) => m
                .map
                .iter()
                .map(|(k, v)| match k {
                    cel::objects::Key::String(k) => (k.to_string(), json(v)),
                    other => panic!("a product value has a key {other:?}"),
                })
                .collect::<serde_json::Map<_, _>>()
                .into(),
            other => panic!("a product value holds {other:?}"),
        }
    }

    /// Every field of `cel` is in `wire`, with the same value; `wire` may carry more.
    fn carried(cel: &Json, wire: &Json, at: &str) -> Result<(), String> {
        match (cel, wire) {
            (Json::Object(c), Json::Object(w)) => c.iter().try_for_each(|(k, v)| match w.get(k) {
                Some(wv) => carried(v, wv, &format!("{at}.{k}")),
                None => Err(format!("{at}.{k} is not on the wire")),
            }),
            (Json::Array(c), Json::Array(w)) if c.len() == w.len() => c
                .iter()
                .zip(w)
                .enumerate()
                .try_for_each(|(i, (c, w))| carried(c, w, &format!("{at}[{i}]"))),
            _ if cel == wire => Ok(()),
            _ => Err(format!(
                "{at} is {cel} for conditions but {wire} on the wire"
            )),
        }
    }

    #[test]
    fn the_wire_product_carries_what_conditions_read() {
        let vocabulary = fixture::vocabulary();
        let product = fixture::full_product();
        let mut cel = json(&crate::plugins::product_value(&product, &vocabulary, AS_OF));
        for name in NOT_ON_WIRE {
            assert!(
                cel.as_object_mut().unwrap().remove(*name).is_some(),
                "`{name}` is no longer a field of `product`"
            );
        }
        let wire = serde_json::to_value(WireProduct::new(&product, &vocabulary, AS_OF)).unwrap();
        carried(&cel, &wire, "product").unwrap();
        for name in NOT_ON_WIRE {
            assert!(
                wire.get(*name).is_none(),
                "`{name}` is on the wire now: drop it from NOT_ON_WIRE"
            );
        }
    }

    #[test]
    fn a_report_dated_after_as_of_is_not_sent() {
        let vocabulary = fixture::vocabulary();
        let mut product = fixture::full_product();
        let report = |id: &str, date: Date| crate::content::Evidence {
            report: id.into(),
            lab: product.manufacturer.clone(),
            date,
            place: None,
            covers: vec!["16 CFR 1303".into()],
            result: crate::content::TestResult::Pass,
            lots: Vec::new(),
            file: None,
            at: None,
        };
        let (past, future) = (
            report("R-PAST", AS_OF),
            report("R-FUTURE", AS_OF.next_day().unwrap()),
        );
        product.evidence = vec![past, future];
        // Conditions do not see it either: the two agree, report for report.
        let cel = json(&crate::plugins::product_value(&product, &vocabulary, AS_OF));
        let seen: Vec<&str> = cel["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["report"].as_str().unwrap())
            .collect();
        assert_eq!(seen, ["R-PAST"]);
        let wire = serde_json::to_value(WireProduct::new(&product, &vocabulary, AS_OF)).unwrap();
        let sent: Vec<&str> = wire["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["report"].as_str().unwrap())
            .collect();
        assert_eq!(sent, ["R-PAST"]);
    }
}
