//! What the lot page shows: one production lot, and each market's certificate as it
//! applies to that lot — whether the issued version in force lists the lot, and which
//! current report covers the lot for each tested rule.

use crate::assess::{Assessment, LabelText, RequirementStatus, Status};
use crate::content::{Lot, Product};
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

/// A tested rule and the current report that covers this lot for it.
#[derive(Serialize)]
pub struct LotTest<'a> {
    pub cite: &'a str,
    pub title: &'a str,
    pub status: Status,
    pub report: Option<&'a str>,
}

#[derive(Serialize)]
pub struct LotMarket<'a> {
    pub market: &'a str,
    pub market_name: &'static str,
    pub certificate: Option<LotCertificate<'a>>,
    /// Applicable requirements that are not satisfied, for any lot.
    pub gaps: Vec<&'a RequirementStatus>,
    pub tests: Vec<LotTest<'a>>,
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
    let markets = assessments
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
            tests: a
                .requirements
                .iter()
                .filter(|r| r.kind == EvidenceKind::Test)
                .map(|r| LotTest {
                    cite: &r.cite,
                    title: &r.title,
                    status: r.status,
                    report: r.lots.get(&lot.lot).map(String::as_str),
                })
                .collect(),
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
    }
}
