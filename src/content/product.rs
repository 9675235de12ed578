//! Products: a raw record resolved into the validated model (SPEC §4.1).

use super::party::Party;
use super::problem::Problem;
use super::raw::{PartyKind, ProductIdType, RawAge, RawCpsc, RawProduct, Status, TestResult};
use crate::date::RecordDate;
use crate::gtin::Gtin;
use crate::ident::{self, Market};
use crate::plugins::{AttrValue, Vocabulary};
use crate::source;
use crate::yaml::YamlPath;
use crate::ypath;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;
use std::sync::Arc;
use time::Date;

/// The top-level keys of a product record that gaps and pack warnings point at.
pub const FIX_KEYS: &[&str] = &[
    "evidence",
    "declarations",
    "image",
    "importers",
    "lots",
    "age",
    "categories",
    "attributes",
    "markets",
    "manufacturer",
];

#[derive(Debug, Clone, Serialize)]
pub struct Product {
    pub id: String,
    pub name: String,
    pub brand: Option<String>,
    pub model: String,
    pub gtin: Option<Gtin>,
    pub sku: Option<String>,
    /// The Product ID the certifier files with CPSC, when the record names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpsc: Option<CpscId>,
    pub description: Option<String>,
    /// Relative to `content/`; verified to exist.
    pub image: Option<String>,
    pub categories: Vec<String>,
    pub age: Option<Age>,
    /// Attributes the record states (plugins fill in defaults for the rest).
    pub attributes: BTreeMap<String, AttrValue>,
    pub markets: Vec<Market>,
    pub manufacturer: Arc<Party>,
    pub importers: BTreeMap<Market, Arc<Party>>,
    pub records_custodian: Option<Arc<Party>>,
    pub lots: Vec<Lot>,
    pub evidence: Vec<Evidence>,
    pub declarations: BTreeMap<String, bool>,
    pub status: Status,
    /// The record's file, relative to the site root.
    pub file: String,
    /// Line and column of the record's `id` value, found when the file was read: where
    /// findings about the whole product (gaps, unissued certificates) point.
    pub id_at: (usize, usize),
    /// Where the top-level keys a fix may name (`evidence`, `importers`, `image`, ...)
    /// start, found when the file was read; keys the record leaves out are absent.
    #[serde(skip)]
    pub keys_at: Vec<(&'static str, (usize, usize))>,
}

impl Product {
    /// The product's labels (SPEC §8): one per lot, or one for a product without lots.
    /// Where a fix at the record's top-level `key` points: the key, or the `id` line when
    /// the record leaves the key out.
    pub fn key_at(&self, key: &str) -> (usize, usize) {
        self.keys_at
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(self.id_at, |(_, at)| *at)
    }

    /// Where lot `lot` is, or the `lots` key.
    pub fn lot_at(&self, lot: &str) -> (usize, usize) {
        self.lots
            .iter()
            .find(|l| l.lot == lot)
            .and_then(|l| l.at)
            .unwrap_or_else(|| self.key_at("lots"))
    }

    /// Where report `report` is, or the `evidence` key.
    pub fn report_at(&self, report: &str) -> (usize, usize) {
        self.evidence
            .iter()
            .find(|e| e.report == report)
            .and_then(|e| e.at)
            .unwrap_or_else(|| self.key_at("evidence"))
    }

    pub fn labelled_lots(&self) -> Vec<Option<&Lot>> {
        if self.lots.is_empty() {
            vec![None]
        } else {
            self.lots.iter().map(Some).collect()
        }
    }
}

/// A product's identifier for CPSC eFiling (SPEC §4.1), as the record writes it: the
/// Registry matches the text the certifier registered, so a GTIN is not normalised.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CpscId {
    pub product_id: String,
    pub product_id_type: ProductIdType,
}

impl Product {
    /// The Product ID filed with CPSC and its type: the record's `cpsc`, else the GTIN
    /// (GTIN-14, as stored), else the SKU, else the model (SPEC §4.1).
    pub fn cpsc_id(&self) -> CpscId {
        if let Some(c) = &self.cpsc {
            return c.clone();
        }
        let (product_id, product_id_type) = match (&self.gtin, &self.sku) {
            (Some(g), _) => (g.as_gtin14(), ProductIdType::Gtin),
            (None, Some(s)) => (s.clone(), ProductIdType::Sku),
            (None, None) => (self.model.clone(), ProductIdType::Model),
        };
        CpscId {
            product_id,
            product_id_type,
        }
    }
}

/// Checks `cpsc`: the id is one token (as a Certifier ID is), and a GTIN or UPC has
/// its length and check digit (a UPC-A is 12 digits).
fn cpsc(raw: RawCpsc, problems: &mut Vec<Problem>) -> Option<CpscId> {
    let at = ypath!["cpsc", "product_id"];
    let id = &raw.product_id;
    if let Err(why) = super::party::registry_id(id) {
        problems.push(Problem::error(
            "bad-cpsc-product-id",
            at,
            format!("cpsc product_id `{id}` {why}"),
        ));
        return None;
    }
    let digits = match raw.product_id_type {
        ProductIdType::Gtin => Some("a GTIN"),
        ProductIdType::Upc => Some("a UPC"),
        ProductIdType::Sku | ProductIdType::Model => None,
    };
    if let Some(what) = digits {
        let problem = match Gtin::parse(id) {
            Err(e) => Some(format!("cpsc product_id `{id}` is not {what}: {e}")),
            Ok(_) if raw.product_id_type == ProductIdType::Upc && id.len() != 12 => Some(format!(
                "cpsc product_id `{id}` is not a UPC: a UPC-A has 12 digits, this has {}",
                id.len()
            )),
            Ok(_) => None,
        };
        if let Some(message) = problem {
            problems.push(
                Problem::error("bad-cpsc-product-id", at, message)
                    .help("use product_id_type sku or model for an identifier that is not a GTIN"),
            );
            return None;
        }
    }
    Some(CpscId {
        product_id: raw.product_id,
        product_id_type: raw.product_id_type,
    })
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Age {
    pub min_months: u32,
    pub max_months: Option<u32>,
}

impl Age {
    /// "12 to 36 months", "from 3 years", ...
    pub fn describe(&self) -> String {
        fn span(m: u32) -> String {
            if m >= 24 && m.is_multiple_of(12) {
                format!("{} years", m / 12)
            } else {
                format!("{m} months")
            }
        }
        match self.max_months {
            Some(max) => format!("{} to {}", span(self.min_months), span(max)),
            None => format!("from {}", span(self.min_months)),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Lot {
    pub lot: String,
    pub made: RecordDate,
    pub place: String,
    pub factory: Option<Arc<Party>>,
    /// Line and column of its `lot` value, found when the file was read.
    #[serde(skip)]
    pub at: Option<(usize, usize)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    pub report: String,
    pub lab: Arc<Party>,
    #[serde(serialize_with = "iso_date")]
    pub date: Date,
    pub place: Option<String>,
    pub covers: Vec<String>,
    pub result: TestResult,
    /// Lots the report covers; empty means every lot.
    pub lots: Vec<String>,
    /// Relative to `content/`; verified to exist.
    pub file: Option<String>,
    /// Line and column of its `report` value, found when the file was read.
    #[serde(skip)]
    pub at: Option<(usize, usize)>,
}

fn iso_date<S: serde::Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::date::iso(*d))
}

/// What product resolution may look things up in.
pub struct Context<'a> {
    pub parties: &'a BTreeMap<String, Arc<Party>>,
    /// Party ids whose records failed to load: references to them are not reported again.
    pub broken_parties: &'a BTreeSet<String>,
    pub vocabulary: &'a Vocabulary,
    pub content_dir: &'a Path,
    /// The date the site is judged on: a report or lot dated after it has not happened.
    pub as_of: time::Date,
    /// The asset folders looked at so far (`image`, report `file`).
    pub folders: source::Folders,
}

impl Context<'_> {
    fn party(
        &self,
        id: &str,
        kinds: &[PartyKind],
        role: &str,
        at: YamlPath,
        problems: &mut Vec<Problem>,
    ) -> Option<Arc<Party>> {
        match self.parties.get(id) {
            Some(p) if kinds.contains(&p.kind) => Some(p.clone()),
            Some(p) => {
                let wanted: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
                problems.push(Problem::error(
                    "wrong-party-kind",
                    at,
                    format!(
                        "{role} `{id}` is {} {} ({}), expected {} {}",
                        article(p.kind.as_str()),
                        p.kind.as_str(),
                        p.file,
                        article(wanted[0]),
                        wanted.join(" or ")
                    ),
                ));
                None
            }
            None if self.broken_parties.contains(id) => None,
            None => {
                let mut p = Problem::error("unknown-party", at, format!("no party with id `{id}`"));
                if let Some(close) = crate::suggest::closest(id, self.parties.keys()) {
                    p = p.help(format!("did you mean `{close}`?"));
                } else {
                    p = p.help(format!("add content/parties/{id}.yaml"));
                }
                problems.push(p);
                None
            }
        }
    }
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// An unknown vocabulary term, with the likely intended one and the declared ones.
fn unknown_term<'a>(
    code: &'static str,
    what: &str,
    name: &str,
    at: YamlPath,
    known: impl Iterator<Item = &'a String> + Clone,
) -> Problem {
    let declared = Vocabulary::one_of(known.clone());
    let help = match crate::suggest::closest(name, known) {
        Some(close) => format!("did you mean `{close}`? {declared}"),
        None => declared,
    };
    Problem::error(code, at, format!("unknown {what} `{name}`")).help(help)
}

/// The intended age (SPEC §4.1: either bound may be left out; the minimum defaults
/// to 0), or problems worded for sellers rather than for YAML types.
fn age(raw: RawAge, problems: &mut Vec<Problem>) -> Option<Age> {
    if raw.min_months.is_none() && raw.max_months.is_none() {
        problems.push(
            Problem::error(
                "bad-age",
                ypath!["age"],
                "`age` gives neither `min_months` nor `max_months`",
            )
            .help("give the intended ages in months, e.g. `age: { min_months: 36 }` for 3 years and up; leave `age` out for a general-use product"),
        );
        return None;
    }
    let mut months = |key: &'static str, v: Option<i64>| -> Result<Option<u32>, ()> {
        match v {
            None => Ok(None),
            // Ages in months up to 150 years: anything else is a slip of the keyboard.
            Some(m) if (0..=1800).contains(&m) => Ok(Some(m as u32)),
            Some(m) => {
                let why = if m < 0 {
                    "an age in months is 0 or more"
                } else {
                    "that is over 150 years"
                };
                problems.push(
                    Problem::error(
                        "bad-age",
                        ypath!["age", key],
                        format!("`{key}` is {m}: {why}"),
                    )
                    .help("ages are in months: e.g. 36 for 3 years, 0 from birth"),
                );
                Err(())
            }
        }
    };
    let min = months("min_months", raw.min_months);
    let max = months("max_months", raw.max_months);
    let (Ok(min), Ok(max_months)) = (min, max) else {
        return None;
    };
    let min_months = min.unwrap_or(0);
    if let Some(max) = max_months
        && max < min_months
    {
        problems.push(Problem::error(
            "bad-age",
            ypath!["age", "max_months"],
            format!("max_months {max} is below min_months {min_months}"),
        ));
    }
    Some(Age {
        min_months,
        max_months,
    })
}

/// Resolves a product record. Returns the product only when it has no errors.
pub fn resolve(
    raw: RawProduct,
    file: &str,
    stem: &str,
    cx: &Context,
) -> (Option<Product>, Vec<Problem>) {
    let mut problems = Vec::new();

    problems.extend(super::problem::check_id("product", &raw.id, file, stem));
    for (key, value) in [("name", &raw.name), ("model", &raw.model)] {
        if value.trim().is_empty() {
            problems.push(Problem::error(
                "empty-field",
                ypath![key],
                format!("{key} must not be empty"),
            ));
        }
    }

    let gtin = raw
        .gtin
        .as_deref()
        .and_then(|g| match Gtin::parse(g.trim()) {
            Ok(g) => Some(g),
            Err(e) => {
                problems.push(Problem::error(
                    "bad-gtin",
                    ypath!["gtin"],
                    format!("invalid GTIN `{g}`: {e}"),
                ));
                None
            }
        });

    let cpsc = raw.cpsc.and_then(|c| cpsc(c, &mut problems));

    let image =
        raw.image
            .as_deref()
            .and_then(|r| match source::asset_in(cx.content_dir, r, &cx.folders) {
                Ok(p) => Some(p),
                Err((code, msg)) => {
                    problems.push(Problem::error(code, ypath!["image"], msg));
                    None
                }
            });

    // With a plugin missing, its vocabulary is missing too: say nothing rather than
    // call every term it declares unknown.
    let vocabulary_known = cx.vocabulary.complete;
    for (i, c) in raw.categories.iter().enumerate() {
        if vocabulary_known && !cx.vocabulary.categories.contains_key(c) {
            let at = ypath!["categories", i];
            problems.push(unknown_term(
                "unknown-category",
                "category",
                c,
                at,
                cx.vocabulary.categories.keys(),
            ));
        }
    }

    let age = raw.age.and_then(|a| age(a, &mut problems));

    let mut attributes = BTreeMap::new();
    for (name, value) in &raw.attributes {
        match cx.vocabulary.attributes.get(name) {
            None if !vocabulary_known => {}
            None => {
                let at = ypath!["attributes", name];
                let keys = cx.vocabulary.attributes.keys();
                problems
                    .push(unknown_term("unknown-attribute", "attribute", name, at, keys).on_key());
            }
            Some(attr) => match attr.ty.value(value) {
                Ok(v) => {
                    attributes.insert(name.clone(), v);
                }
                Err(e) => problems.push(Problem::error(
                    "wrong-type",
                    ypath!["attributes", name],
                    format!("attribute `{name}`: {e}"),
                )),
            },
        }
    }

    let mut markets = Vec::new();
    for (i, m) in raw.markets.iter().enumerate() {
        match Market::parse(m) {
            Ok(m) if markets.contains(&m) => problems.push(Problem::warning(
                "duplicate-market",
                ypath!["markets", i],
                format!("market `{}` is listed twice", m.code()),
            )),
            Ok(m) => {
                if !cx.vocabulary.markets.contains(&m) {
                    problems.push(Problem::warning(
                        "uncovered-market",
                        ypath!["markets", i],
                        format!("no enabled plugin assesses market `{}`", m.code()),
                    ));
                }
                markets.push(m);
            }
            Err(msg) => problems.push(Problem::error("bad-market", ypath!["markets", i], msg)),
        }
    }
    if raw.markets.is_empty() {
        problems.push(
            Problem::warning(
                "no-markets",
                ypath!["id"],
                "the product lists no markets, so no plugin assesses it",
            )
            .help("add e.g. `markets: [US, EU]`"),
        );
    }

    let manufacturer = cx.party(
        &raw.manufacturer,
        &[PartyKind::Manufacturer],
        "manufacturer",
        ypath!["manufacturer"],
        &mut problems,
    );
    let mut importers = BTreeMap::new();
    for (market, id) in &raw.importers {
        let at = ypath!["importers", market];
        match Market::parse(market) {
            Err(msg) => problems.push(Problem::error("bad-market", at.clone(), msg).on_key()),
            Ok(m) => {
                if !markets.contains(&m) {
                    problems.push(
                        Problem::warning(
                            "importer-outside-markets",
                            at.clone(),
                            format!(
                                "an importer is named for `{market}`, which is not in `markets`"
                            ),
                        )
                        .on_key(),
                    );
                }
                let kinds = [
                    PartyKind::Importer,
                    PartyKind::Manufacturer,
                    PartyKind::Representative,
                ];
                if let Some(p) = cx.party(id, &kinds, "importer", at, &mut problems) {
                    importers.insert(m, p);
                }
            }
        }
    }
    let records_custodian = raw.records_custodian.as_deref().and_then(|id| {
        cx.party(
            id,
            &[PartyKind::Person],
            "records custodian",
            ypath!["records_custodian"],
            &mut problems,
        )
    });

    let mut lots: Vec<Lot> = Vec::new();
    // Case-insensitively: lot codes become folder names, and `A` and `a` are one folder
    // on case-insensitive file systems.
    let mut seen_lots: HashSet<String> = HashSet::new();
    for (i, l) in raw.lots.iter().enumerate() {
        let at = |key: &str| ypath!["lots", i, key];
        let mut lot_ok = true;
        if !ident::is_valid_lot(&l.lot) {
            problems.push(
                Problem::error(
                    "bad-lot",
                    at("lot"),
                    format!("invalid lot code `{}`", l.lot),
                )
                .help("lot codes are 1–20 characters from A–Z, a–z, 0–9, `.`, `_` and `-`"),
            );
            lot_ok = false;
        } else if !seen_lots.insert(l.lot.to_ascii_lowercase()) {
            let message = format!("lot `{}` is listed twice", l.lot);
            problems.push(Problem::error("duplicate-lot", at("lot"), message));
            lot_ok = false;
        }
        let made = RecordDate::parse(&l.made)
            .map_err(|e| problems.push(Problem::error("bad-date", at("made"), e.to_string())))
            .ok();
        if let Some(m) = made
            && m.first_day() > cx.as_of
        {
            problems.push(
                Problem::warning(
                    "future-date",
                    at("made"),
                    format!(
                        "lot `{}` is made {m}, after the as-of date {}: a lot not yet made",
                        l.lot,
                        crate::date::iso(cx.as_of)
                    ),
                )
                .help("check the year and month; reports cannot cover a lot before it is made"),
            );
        }
        if l.place.trim().is_empty() {
            let message = "place of manufacture must not be empty";
            problems.push(Problem::error("empty-field", at("place"), message));
        }
        let factory = l.factory.as_deref().and_then(|id| {
            let kinds = [PartyKind::Manufacturer];
            cx.party(id, &kinds, "factory", at("factory"), &mut problems)
        });
        if let (true, Some(made)) = (lot_ok, made) {
            lots.push(Lot {
                lot: l.lot.clone(),
                made,
                place: l.place.clone(),
                factory,
                at: None,
            });
        }
    }

    let mut evidence: Vec<Evidence> = Vec::new();
    let lot_codes: HashSet<&str> = raw.lots.iter().map(|l| l.lot.as_str()).collect();
    let mut seen_reports: HashSet<&str> = HashSet::new();
    for (i, e) in raw.evidence.iter().enumerate() {
        if !seen_reports.insert(&e.report) {
            problems.push(Problem::error(
                "duplicate-report",
                ypath!["evidence", i, "report"],
                format!("report `{}` is listed twice", e.report),
            ));
        }
        let lab = cx.party(
            &e.lab,
            &[PartyKind::Lab],
            "lab",
            ypath!["evidence", i, "lab"],
            &mut problems,
        );
        let date = match RecordDate::parse_day(&e.date) {
            Ok(d) if d > cx.as_of => {
                problems.push(
                    Problem::warning(
                        "future-date",
                        ypath!["evidence", i, "date"],
                        format!(
                            "report `{}` is dated {}, after the as-of date {}: a test that has not happened backs nothing",
                            e.report,
                            crate::date::iso(d),
                            crate::date::iso(cx.as_of)
                        ),
                    )
                    .help("check the date (a typo in the year is common); the report counts from that day on"),
                );
                Some(d)
            }
            Ok(d) => Some(d),
            Err(err) => {
                problems.push(Problem::error(
                    "bad-date",
                    ypath!["evidence", i, "date"],
                    err.to_string(),
                ));
                None
            }
        };
        if e.covers.is_empty() {
            problems.push(Problem::error(
                "empty-field",
                ypath!["evidence", i, "covers"],
                "a report must cover at least one citation",
            ));
        }
        for (j, lot) in e.lots.iter().enumerate() {
            if !lot_codes.contains(lot.as_str()) {
                problems.push(Problem::error(
                    "unknown-lot",
                    ypath!["evidence", i, "lots", j],
                    format!(
                        "report `{}` names lot `{lot}`, which is not in `lots`",
                        e.report
                    ),
                ));
            }
        }
        let file_ref = e.file.as_deref().and_then(|r| {
            match source::asset_in(cx.content_dir, r, &cx.folders) {
                Ok(p) => Some(p),
                Err((code, msg)) => {
                    problems.push(Problem::error(code, ypath!["evidence", i, "file"], msg));
                    None
                }
            }
        });
        if let (Some(lab), Some(date)) = (lab, date) {
            evidence.push(Evidence {
                report: e.report.clone(),
                lab,
                date,
                place: e.place.clone(),
                covers: e.covers.clone(),
                result: e.result,
                lots: e.lots.clone(),
                file: file_ref,
                at: None,
            });
        }
    }

    for key in raw.declarations.keys() {
        if vocabulary_known && !cx.vocabulary.declarations.contains_key(key) {
            let at = ypath!["declarations", key];
            let keys = cx.vocabulary.declarations.keys();
            problems
                .push(unknown_term("unknown-declaration", "declaration", key, at, keys).on_key());
        }
    }

    let has_errors = problems
        .iter()
        .any(|p| p.severity == crate::diagnostic::Severity::Error);
    let product = match manufacturer {
        Some(manufacturer) if !has_errors => Some(Product {
            id: raw.id,
            name: raw.name,
            brand: raw.brand,
            model: raw.model,
            gtin,
            sku: raw.sku,
            cpsc,
            description: raw.description,
            image,
            categories: raw.categories,
            age,
            attributes,
            markets,
            manufacturer,
            importers,
            records_custodian,
            lots,
            evidence,
            declarations: raw.declarations,
            status: raw.status,
            file: file.to_string(),
            id_at: (0, 0),
            keys_at: Vec::new(),
        }),
        _ => None,
    };
    (product, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typo_suggestions() {
        let known = ["little-oak-ltd".to_string(), "sgs-shenzhen".to_string()];
        let closest = |name| crate::suggest::closest(name, known.iter());
        assert_eq!(closest("little-oak-lt"), Some("little-oak-ltd"));
        assert_eq!(closest("nobody"), None);
    }

    #[test]
    fn age_text() {
        assert_eq!(
            Age {
                min_months: 12,
                max_months: Some(36)
            }
            .describe(),
            "12 months to 3 years"
        );
        assert_eq!(
            Age {
                min_months: 36,
                max_months: None
            }
            .describe(),
            "from 3 years"
        );
        assert_eq!(
            Age {
                min_months: 0,
                max_months: Some(18)
            }
            .describe(),
            "0 months to 18 months"
        );
    }
}
