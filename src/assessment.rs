//! The assess stage: every product against every plugin whose markets it is sold in
//! (SPEC §5.2). Assessments are plain data that pages, labels and JSON all read;
//! plugins decide, themes render.

use crate::content::{Evidence, Product, TestResult};
use crate::diagnostic::Diagnostic;
use crate::ident::Market;
use crate::plugins::rules::{EvidenceKind, Requirement, Rules};
use crate::plugins::{Plugin, Vocabulary};
use crate::site::Site;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use time::{Date, Month};

/// One product in one plugin's market.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Assessment {
    pub plugin: String,
    pub market: String,
    /// None when the market has no certificate regime or no tested rule applies.
    pub certificate: Option<CertificateStatus>,
    pub requirements: Vec<RequirementStatus>,
    /// Texts the product's label must carry in this market.
    pub labels: Vec<LabelText>,
    /// Mark artwork ids the label must carry.
    pub marks: Vec<String>,
}

impl Assessment {
    /// Applicable requirements that are not satisfied.
    pub fn gaps(&self) -> impl Iterator<Item = &RequirementStatus> {
        self.requirements
            .iter()
            .filter(|r| r.status != Status::Satisfied)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CertificateStatus {
    pub id: String,
    pub title: String,
    /// `<PREFIX>-<PRODUCT ID>-<CERTIFICATE ID>`, upper-case (SPEC §6).
    pub number: String,
    pub status: Readiness,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Readiness {
    Ready,
    Blocked,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Satisfied,
    Missing,
    Failed,
    Expired,
    LabNotAccepted,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RequirementStatus {
    pub id: String,
    pub cite: String,
    pub title: String,
    pub kind: EvidenceKind,
    pub status: Status,
    /// The report (or declaration) relied on, or the one that decided a failing status.
    #[serde(default)]
    pub evidence: Option<String>,
    /// Why it is not satisfied, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// For tested rules: which current report covers each lot.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub lots: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LabelText {
    pub requirement: String,
    pub cite: String,
    pub text: String,
}

/// All assessments of a site, by product id, with the problems found evaluating them.
pub struct Assessed {
    pub by_product: BTreeMap<String, Vec<Assessment>>,
    pub diagnostics: Vec<Diagnostic>,
}

/// What a plugin answers for its products.
pub struct Answer {
    /// (product id, assessment) pairs.
    pub assessments: Vec<(String, Assessment)>,
    /// Problems the plugin reports (a command plugin's `diagnostics`).
    pub diagnostics: Vec<Diagnostic>,
}

/// A plugin that assesses products: a rule pack (evaluated here, in parallel) or a
/// command plugin (one batched request to its program). Both answer the same way.
pub trait Assessor {
    /// Assesses `products`, each sold in one of the plugin's markets and given with its
    /// value as conditions see it.
    fn assess(
        &self,
        products: &[(&Product, &ProductVal)],
        site: &Site,
    ) -> Result<Answer, Diagnostic>;
}

impl Assessor for Plugin {
    fn assess(
        &self,
        products: &[(&Product, &ProductVal)],
        site: &Site,
    ) -> Result<Answer, Diagnostic> {
        match &self.command {
            Some(command) => {
                let request = crate::plugins::command::Request {
                    protocol: crate::plugins::PROTOCOL,
                    plugin: &self.id,
                    as_of: crate::date::iso(site.as_of),
                    products: products
                        .iter()
                        .map(|(p, _)| {
                            crate::plugins::command::WireProduct::new(p, &site.vocabulary)
                        })
                        .collect(),
                };
                let asked: Vec<&Product> = products.iter().map(|(p, _)| *p).collect();
                command
                    .run(&request)
                    .and_then(|response| {
                        crate::plugins::command::answer(
                            &self.id, &self.file, response, &asked, &site.root,
                        )
                    })
                    .map_err(|e| {
                        Diagnostic::error(
                            "plugin-failed",
                            &self.file,
                            format!("command plugin `{}` {e}", self.id),
                        )
                        .config()
                    })
            }
            None => {
                let prefix = &site.config.certificate_prefix;
                // Constant defines once per plugin; one that fails to evaluate is left to
                // the per-product pass, which reports it against the product.
                let mut constants: Vec<(&str, cel::Value)> = Vec::new();
                {
                    let mut cx = cel::Context::default();
                    for name in self.rules.constant_defines() {
                        let (_, cond) = self.rules.defines.iter().find(|(n, _)| n == name).unwrap();
                        if let Ok(v) = cond.eval(&cx) {
                            cx.add_variable_from_value(name.to_string(), v.clone());
                            constants.push((name, v));
                        }
                    }
                }
                let root = || {
                    let mut cx = cel::Context::default();
                    for (name, v) in &constants {
                        cx.add_variable_from_value(name.to_string(), v.clone());
                    }
                    cx
                };
                let known: Vec<&str> = constants.iter().map(|(n, _)| *n).collect();
                let results: Vec<Result<(String, Assessment), Diagnostic>> = products
                    .par_iter()
                    .map_init(root, |root, (product, value)| {
                        let market = self
                            .markets
                            .iter()
                            .find(|m| product.markets.contains(m))
                            .expect("selected by market");
                        let given = Given {
                            root,
                            constants: &known,
                        };
                        assess(&given, value, product, self, market, site.as_of, prefix)
                            .map(|a| (product.id.clone(), a))
                    })
                    .collect();
                results
                    .into_iter()
                    .collect::<Result<_, _>>()
                    .map(|assessments| Answer {
                        assessments,
                        diagnostics: Vec::new(),
                    })
            }
        }
    }
}

/// Assesses every product against every enabled plugin whose markets it is sold in.
pub fn assess_site(site: &Site) -> Assessed {
    let values: Vec<ProductVal> = site
        .content
        .products
        .par_iter()
        .map(|p| ProductVal::new(product_value(p, &site.vocabulary)))
        .collect();
    let mut by_product: BTreeMap<String, Vec<Assessment>> = site
        .content
        .products
        .iter()
        .map(|p| (p.id.clone(), Vec::new()))
        .collect();
    let mut diagnostics = Vec::new();
    // A plugin without requirements or a command only declares vocabulary.
    for plugin in site
        .plugins
        .iter()
        .filter(|p| p.command.is_some() || !p.rules.requirements.is_empty())
    {
        let products: Vec<(&Product, &ProductVal)> = site
            .content
            .products
            .iter()
            .zip(&values)
            .filter(|(p, _)| plugin.markets.iter().any(|m| p.markets.contains(m)))
            .collect();
        if products.is_empty() {
            continue;
        }
        match plugin.assess(&products, site) {
            Ok(answer) => {
                for (id, a) in answer.assessments {
                    by_product.entry(id).or_default().push(a);
                }
                diagnostics.extend(answer.diagnostics);
            }
            Err(d) => diagnostics.push(d),
        }
    }
    Assessed {
        by_product,
        diagnostics,
    }
}

fn evaluation_error(product: &Product, plugin: &Plugin, what: &str, e: &str) -> Diagnostic {
    Diagnostic::error(
        "condition-failed",
        &product.file,
        format!("plugin `{}` could not evaluate {what} for this product: {e}", plugin.id),
    )
    .with_help(format!(
        "the condition in {} may read an optional field without has(); report it to the plugin's author",
        plugin.file
    ))
    .at(1, 1)
}

/// A product as conditions read it (`product`), converted once into CEL's value tree and
/// lent to every plugin's conditions: binding a `cel::Value` as a variable converts it
/// again, copying the whole record, for every plugin.
pub struct ProductVal(Box<dyn cel::common::value::Val>);

impl ProductVal {
    pub fn new(value: cel::Value) -> Self {
        // Only maps, lists and scalars are built by `product_value`; all convert.
        Self(value.try_into().expect("a product value converts"))
    }
}

impl cel::context::VariableResolver for ProductVal {
    fn resolve<'b>(&'b self, variable: &str) -> Option<cel::common::value::CowVal<'b, 'b>> {
        (variable == "product").then(|| cel::common::value::CowVal::Borrowed(self.0.as_ref()))
    }
}

/// What every product of one plugin shares: a context holding the plugin's constant
/// defines, already evaluated, and their names.
pub struct Given<'a> {
    pub root: &'a cel::Context<'a, 'a>,
    pub constants: &'a [&'a str],
}

/// Assesses one product in one plugin's market.
pub fn assess(
    given: &Given,
    value: &ProductVal,
    product: &Product,
    plugin: &Plugin,
    market: &Market,
    as_of: Date,
    prefix: &str,
) -> Result<Assessment, Diagnostic> {
    let rules: &Rules = &plugin.rules;
    let mut cx = given.root.new_inner_scope();
    cx.set_variable_resolver(value);
    for (name, cond) in &rules.defines {
        if given.constants.contains(&name.as_str()) {
            continue;
        }
        let v = cond
            .eval(&cx)
            .map_err(|e| evaluation_error(product, plugin, &format!("define `{name}`"), &e))?;
        cx.add_variable_from_value(name.clone(), v);
    }
    let mut applicable: Vec<&Requirement> = Vec::new();
    for r in &rules.requirements {
        let holds = r.when.holds(&cx).map_err(|e| {
            evaluation_error(product, plugin, &format!("requirement `{}`", r.raw.id), &e)
        })?;
        if holds {
            applicable.push(r);
        }
    }
    // A product subject to no tested rule needs no certificate (SPEC §5.2).
    let mut certificate = None;
    if applicable
        .iter()
        .any(|r| r.raw.evidence == EvidenceKind::Test)
    {
        for c in &rules.certificates {
            let holds = c.when.holds(&cx).map_err(|e| {
                evaluation_error(product, plugin, &format!("certificate `{}`", c.raw.id), &e)
            })?;
            if holds {
                certificate = Some(c);
                break;
            }
        }
    }
    let lab_rule = certificate.map_or("any", |c| c.raw.lab.as_str());
    let retest = certificate.and_then(|c| c.raw.retest_months);
    let mut requirements = Vec::with_capacity(applicable.len());
    for r in &applicable {
        let mut status = requirement_status(r, product, lab_rule, retest, as_of);
        if let Some(check) = &r.satisfied_when {
            let holds = check.holds(&cx).map_err(|e| {
                evaluation_error(product, plugin, &format!("requirement `{}`", r.raw.id), &e)
            })?;
            if holds {
                status.evidence = Some("the record".into());
            } else {
                status.status = Status::Missing;
                status.detail = Some(format!("the record does not show this: {}", r.raw.title));
            }
        }
        requirements.push(status);
    }
    let labels = applicable
        .iter()
        .filter(|r| r.raw.evidence == EvidenceKind::Label)
        .filter_map(|r| {
            r.raw.label.as_ref().map(|text| LabelText {
                requirement: r.raw.id.clone(),
                cite: r.raw.cite.clone(),
                text: text.clone(),
            })
        })
        .collect();
    let mut marks = Vec::new();
    for m in &rules.marks {
        if m.when
            .holds(&cx)
            .map_err(|e| evaluation_error(product, plugin, &format!("mark `{}`", m.raw.id), &e))?
        {
            marks.push(m.raw.id.clone());
        }
    }
    let certificate = certificate.map(|c| CertificateStatus {
        id: c.raw.id.clone(),
        title: c.raw.title.clone(),
        number: format!("{prefix}-{}-{}", product.id, c.raw.id).to_ascii_uppercase(),
        status: if requirements.iter().all(|r| r.status == Status::Satisfied) {
            Readiness::Ready
        } else {
            Readiness::Blocked
        },
    });
    Ok(Assessment {
        plugin: plugin.id.clone(),
        market: market.code().to_string(),
        certificate,
        requirements,
        labels,
        marks,
    })
}

/// Every unsatisfied requirement as a `gap` warning at the product's `id` line (errors
/// under `--strict`): certpress reports gaps and never certifies over them.
pub fn gap_diagnostics(site: &Site, assessed: &Assessed) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for product in &site.content.products {
        let Some(assessments) = assessed.by_product.get(&product.id) else {
            continue;
        };
        let mut messages = Vec::new();
        for a in assessments {
            let what = match &a.certificate {
                Some(c) => format!("{} {} is blocked", c.title, c.number),
                None => format!("{} requirements are not met", a.market),
            };
            for gap in a.gaps() {
                let detail = gap.detail.as_deref().unwrap_or("not satisfied");
                let status = serde_json::to_value(gap.status)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from));
                messages.push(format!(
                    "{} ({}): {what}: `{}` ({}) {}: {detail}",
                    a.market,
                    a.plugin,
                    gap.id,
                    gap.cite,
                    status.unwrap_or_default()
                ));
            }
        }
        if messages.is_empty() {
            continue;
        }
        let (line, column) = product.id_position(&site.root);
        out.extend(
            messages
                .into_iter()
                .map(|m| Diagnostic::warning("gap", &product.file, m).at(line, column)),
        );
    }
    out
}

/// `as_of` minus `months`, keeping the day (clamped to the month's length).
pub fn months_before(as_of: Date, months: u32) -> Date {
    let total = as_of.year() * 12 + i32::from(u8::from(as_of.month())) - 1 - months as i32;
    let (year, month0) = (total.div_euclid(12), total.rem_euclid(12));
    let month = Month::try_from(month0 as u8 + 1).expect("1..=12");
    let day = as_of.day().min(time::util::days_in_month(month, year));
    Date::from_calendar_date(year, month, day).expect("clamped day exists")
}

fn requirement_status(
    r: &Requirement,
    product: &Product,
    lab_rule: &str,
    retest: Option<u32>,
    as_of: Date,
) -> RequirementStatus {
    let mut s = RequirementStatus {
        id: r.raw.id.clone(),
        cite: r.raw.cite.clone(),
        title: r.raw.title.clone(),
        kind: r.raw.evidence,
        status: Status::Satisfied,
        evidence: None,
        detail: None,
        lots: BTreeMap::new(),
    };
    match r.raw.evidence {
        // Record evidence is judged by its `satisfied_when` condition, by the caller.
        EvidenceKind::Info | EvidenceKind::Label | EvidenceKind::Record => {}
        EvidenceKind::Declaration => {
            let key = r.declaration_key();
            if product.declarations.get(key) == Some(&true) {
                s.evidence = Some(format!("declaration: {key}"));
            } else {
                s.status = Status::Missing;
                s.detail = Some(format!("the record does not declare `{key}: true`"));
            }
        }
        EvidenceKind::Test => test_status(&mut s, r, product, lab_rule, retest, as_of),
    }
    s
}

/// Newest first; the report id breaks ties so the choice never depends on file order.
fn newest_first(mut reports: Vec<&Evidence>) -> Vec<&Evidence> {
    reports.sort_by(|a, b| (b.date, &b.report).cmp(&(a.date, &a.report)));
    reports
}

fn test_status(
    s: &mut RequirementStatus,
    r: &Requirement,
    product: &Product,
    lab_rule: &str,
    retest: Option<u32>,
    as_of: Date,
) {
    let covering = newest_first(
        product
            .evidence
            .iter()
            .filter(|e| e.covers.iter().any(|k| r.covered_by(k)))
            .collect(),
    );
    let Some(newest) = covering.first() else {
        s.status = Status::Missing;
        s.detail = Some(format!("no test report covers {}", r.raw.cite));
        return;
    };
    if newest.result == TestResult::Fail {
        s.status = Status::Failed;
        s.evidence = Some(newest.report.clone());
        s.detail = Some(format!(
            "report {} ({}) failed",
            newest.report,
            crate::date::iso(newest.date)
        ));
        return;
    }
    let passing: Vec<&Evidence> = covering
        .iter()
        .copied()
        .filter(|e| e.result == TestResult::Pass)
        .collect();
    let accepted: Vec<&Evidence> = passing
        .iter()
        .copied()
        .filter(|e| lab_rule == "any" || e.lab.accreditations.contains_key(lab_rule))
        .collect();
    let Some(newest_accepted) = accepted.first() else {
        let e = passing[0];
        s.status = Status::LabNotAccepted;
        s.evidence = Some(e.report.clone());
        s.detail = Some(format!(
            "report {} is from {}, which has no `{lab_rule}` accreditation",
            e.report, e.lab.name
        ));
        return;
    };
    let cutoff = retest.map(|m| months_before(as_of, m));
    let current: Vec<&Evidence> = accepted
        .iter()
        .copied()
        .filter(|e| cutoff.is_none_or(|c| e.date >= c))
        .collect();
    if current.is_empty() {
        s.status = Status::Expired;
        s.evidence = Some(newest_accepted.report.clone());
        s.detail = Some(format!(
            "the newest accepted report, {} of {}, is older than {} months before {}",
            newest_accepted.report,
            crate::date::iso(newest_accepted.date),
            retest.unwrap_or_default(),
            crate::date::iso(as_of)
        ));
        return;
    }
    s.evidence = Some(current[0].report.clone());
    // Every lot needs a current report: one that lists it, or lists no lots (all lots).
    let mut uncovered = Vec::new();
    for lot in &product.lots {
        match current
            .iter()
            .find(|e| e.lots.is_empty() || e.lots.contains(&lot.lot))
        {
            Some(e) => {
                s.lots.insert(lot.lot.clone(), e.report.clone());
            }
            None => uncovered.push(lot.lot.as_str()),
        }
    }
    if !uncovered.is_empty() {
        s.status = Status::Missing;
        s.detail = Some(format!(
            "no current report covers lot {}",
            uncovered.join(", ")
        ));
    }
}

/// The record as conditions see it (`product`): every declared attribute and
/// declaration present, defaults filled in; optional fields present only when set.
pub fn product_value(p: &Product, vocabulary: &Vocabulary) -> cel::Value {
    use cel::Value as V;
    let strings = |items: Vec<String>| {
        V::List(std::sync::Arc::new(
            items.into_iter().map(V::from).collect(),
        ))
    };
    let mut m: HashMap<String, V> = HashMap::new();
    m.insert("id".into(), V::from(p.id.clone()));
    m.insert("name".into(), V::from(p.name.clone()));
    m.insert("model".into(), V::from(p.model.clone()));
    if let Some(b) = &p.brand {
        m.insert("brand".into(), V::from(b.clone()));
    }
    if let Some(g) = p.gtin {
        m.insert("gtin".into(), V::from(g.as_gtin14()));
    }
    if let Some(s) = &p.sku {
        m.insert("sku".into(), V::from(s.clone()));
    }
    if let Some(i) = &p.image {
        m.insert("image".into(), V::from(i.clone()));
    }
    m.insert("categories".into(), strings(p.categories.clone()));
    let party = |party: &crate::content::Party| {
        let mut o: HashMap<String, V> = HashMap::new();
        o.insert("id".into(), V::from(party.id.clone()));
        o.insert("kind".into(), V::from(party.kind.as_str()));
        if let Some(c) = &party.country {
            o.insert("country".into(), V::from(c.clone()));
        }
        V::from(o)
    };
    m.insert("manufacturer".into(), party(&p.manufacturer));
    let importers: HashMap<String, V> = p
        .importers
        .iter()
        .map(|(market, i)| (market.code().to_string(), party(i)))
        .collect();
    m.insert("importers".into(), V::from(importers));
    m.insert(
        "markets".into(),
        strings(p.markets.iter().map(|x| x.code().to_string()).collect()),
    );
    if let Some(age) = p.age {
        let mut a: HashMap<String, V> = HashMap::new();
        a.insert("min_months".into(), V::Int(i64::from(age.min_months)));
        if let Some(max) = age.max_months {
            a.insert("max_months".into(), V::Int(i64::from(max)));
        }
        m.insert("age".into(), V::from(a));
    }
    let attributes: HashMap<String, V> = vocabulary
        .attributes
        .iter()
        .map(|(name, attr)| {
            let v = p.attributes.get(name).unwrap_or(&attr.default);
            let v = match v {
                crate::plugins::AttrValue::Bool(b) => V::Bool(*b),
                crate::plugins::AttrValue::Int(i) => V::Int(*i),
                crate::plugins::AttrValue::String(s) => V::from(s.clone()),
            };
            (name.clone(), v)
        })
        .collect();
    m.insert("attributes".into(), V::from(attributes));
    let declarations: HashMap<String, V> = vocabulary
        .declarations
        .keys()
        .map(|k| {
            (
                k.clone(),
                V::Bool(p.declarations.get(k).copied().unwrap_or(false)),
            )
        })
        .collect();
    m.insert("declarations".into(), V::from(declarations));
    let status = match p.status {
        crate::content::Status::Active => "active",
        crate::content::Status::Withdrawn => "withdrawn",
    };
    m.insert("status".into(), V::from(status));
    V::from(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_before_clamps_the_day() {
        let d = |s| crate::date::RecordDate::parse_day(s).unwrap();
        assert_eq!(months_before(d("2026-11-23"), 12), d("2025-11-23"));
        assert_eq!(months_before(d("2026-03-31"), 1), d("2026-02-28"));
        assert_eq!(months_before(d("2024-03-31"), 1), d("2024-02-29"));
        assert_eq!(months_before(d("2026-01-15"), 36), d("2023-01-15"));
    }
}
