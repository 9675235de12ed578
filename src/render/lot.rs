//! What the lot page shows: one production lot, and each market's certificate as it
//! applies to that lot — whether the issued version in force lists the lot — and the
//! current reports that cover the lot, each with the rules it backs in each market.
//!
//! The reports are listed once each rather than once per market and rule: one report
//! usually backs several rules in several markets, and a page per lot is the most
//! numerous page a site has (issue 17: a 10,000-product site under 500 MB). A lot page
//! names rules by citation; their titles are on the product and certificate pages.

use crate::assess::{Assessment, LabelText, RequirementStatus};
use crate::content::{Lot, Product, TestResult};
use crate::date::{RecordDate, iso};
use crate::ledger::Standing;
use crate::plugins::rules::EvidenceKind;
use crate::register::Register;
use crate::url;
use serde::Serialize;

/// A market's certificate, seen from one lot.
#[derive(Serialize)]
pub struct LotCertificate<'a> {
    pub title: &'a str,
    pub number: &'a str,
    pub standing: Standing,
    /// The issued version in force, when there is one.
    pub version: Option<u32>,
    pub issued: Option<String>,
    pub issued_iso: Option<String>,
    pub url: Option<String>,
    /// The version in force lists this lot (so it certifies it).
    pub covers_lot: bool,
}

/// A current report that covers this lot, and the rules it backs for the lot.
#[derive(Serialize)]
pub struct LotReport<'a> {
    pub report: &'a str,
    /// The laboratory's name; None when the product records no such report (a command
    /// plugin may cite one).
    pub lab: Option<&'a str>,
    pub date: Option<String>,
    pub date_iso: Option<String>,
    pub result: Option<TestResult>,
    /// Per market, in the page's market order: the citations of the rules it backs there.
    pub markets: Vec<(&'a str, Vec<&'a str>)>,
}

#[derive(Serialize)]
pub struct LotMarket<'a> {
    pub market: &'a str,
    pub market_name: &'static str,
    pub certificate: Option<LotCertificate<'a>>,
    /// Applicable requirements that are not satisfied, for any lot (a tested rule no
    /// current report covers for some lot is one: its detail names the lot).
    pub gaps: Vec<&'a RequirementStatus>,
    pub labels: &'a [LabelText],
    pub marks: Vec<super::names::MarkView<'a>>,
    /// The market's pack issues certificates (see `AssessmentView::regime`).
    pub regime: bool,
}

/// Whether `plugin` issues certificates (a rule pack with `certificates`; a command
/// plugin may).
pub fn issues_certificates(plugins: &[crate::plugins::Plugin], plugin: &str) -> bool {
    plugins
        .iter()
        .find(|p| p.id == plugin)
        .is_none_or(|p| match &p.engine {
            crate::plugins::Engine::Rules(r) => !r.certificates.is_empty(),
            crate::plugins::Engine::Command(_) => true,
        })
}

#[derive(Serialize)]
pub struct LotView<'a> {
    pub lot: &'a str,
    pub made: String,
    pub made_iso: String,
    pub place: &'a str,
    pub factory: Option<super::view::PartyView<'a>>,
    pub url: String,
    /// The GS1 Digital Link URI its labels encode, when the product has a GTIN.
    pub digital_link: Option<String>,
    pub markets: Vec<LotMarket<'a>>,
    pub reports: Vec<LotReport<'a>>,
}

/// The certificate in force for `number`, as it applies to `lot`.
fn certificate<'a>(
    register: &Register,
    title: &'a str,
    number: &'a str,
    lot: &str,
    base_path: &str,
) -> LotCertificate<'a> {
    let entry = register.entry(number);
    let in_force = entry.in_force;
    LotCertificate {
        title,
        number,
        standing: entry.standing,
        version: in_force.map(|v| v.version),
        issued: in_force.map(|v| RecordDate::Day(v.issued).display()),
        issued_iso: in_force.map(|v| iso(v.issued)),
        url: in_force.map(|_| url::certificate(number).under(base_path)),
        covers_lot: entry.covers_lot(lot),
    }
}

pub fn view<'a>(
    product: &'a Product,
    lot: &'a Lot,
    assessments: &'a [Assessment],
    register: &Register,
    plugins: &[crate::plugins::Plugin],
    base_url: &str,
    base_path: &str,
) -> LotView<'a> {
    let markets: Vec<LotMarket> = assessments
        .iter()
        .map(|a| LotMarket {
            market: &a.market,
            market_name: crate::ident::Market::parse(&a.market).map_or("", |m| m.name()),
            certificate: a
                .certificate
                .as_ref()
                .map(|c| certificate(register, &c.title, &c.number, &lot.lot, base_path)),
            gaps: a.gaps().collect(),
            regime: issues_certificates(plugins, &a.plugin),
            labels: &a.labels,
            marks: super::names::marks(plugins, &a.plugin, &a.marks),
        })
        .collect();
    LotView {
        lot: &lot.lot,
        made: lot.made.display(),
        made_iso: lot.made.to_string(),
        place: &lot.place,
        factory: lot.factory.as_deref().map(super::view::PartyView::new),
        url: url::lot(&product.id, &lot.lot).under(base_path),
        digital_link: product
            .gtin
            .map(|g| url::digital_link_uri(base_url, &g.as_gtin14(), Some(&lot.lot))),
        markets,
        reports: reports(product, &lot.lot, assessments),
    }
}

/// The current reports covering `lot`, in the order the markets' tested rules first name
/// them, each with the rules it backs per market.
fn reports<'a>(
    product: &'a Product,
    lot: &str,
    assessments: &'a [Assessment],
) -> Vec<LotReport<'a>> {
    let mut reports: Vec<LotReport> = Vec::new();
    for a in assessments {
        let tested = a
            .requirements
            .iter()
            .filter(|r| r.kind == EvidenceKind::Test);
        for (r, report) in tested.filter_map(|r| Some((r, r.lots.get(lot)?.as_str()))) {
            let i = match reports.iter().position(|x| x.report == report) {
                Some(i) => i,
                None => {
                    let ev = product.evidence.iter().find(|e| e.report == report);
                    reports.push(LotReport {
                        report,
                        lab: ev.map(|e| e.lab.name.as_str()),
                        date: ev.map(|e| RecordDate::Day(e.date).display()),
                        date_iso: ev.map(|e| iso(e.date)),
                        result: ev.map(|e| e.result),
                        markets: Vec::new(),
                    });
                    reports.len() - 1
                }
            };
            let markets = &mut reports[i].markets;
            match markets.last_mut() {
                Some((m, cites)) if *m == a.market.as_str() => cites.push(&r.cite),
                _ => markets.push((&a.market, vec![&r.cite])),
            }
        }
    }
    reports
}
