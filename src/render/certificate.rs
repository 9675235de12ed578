//! What certificate templates see: one issued version of a certificate, with its place
//! in the version history and where the certificate stands today.

use crate::assess::{Assessed, RequirementStatus};
use crate::certificate::{LotSnap, PartySnap, Snapshot, TestSnap};
use crate::date::{RecordDate, iso};
use crate::ledger::{Standing, Version};
use crate::register::Entry;
use crate::url;
use serde::Serialize;

#[derive(Serialize)]
pub struct VersionLink {
    pub version: u32,
    pub issued: String,
    pub issued_iso: String,
    pub url: String,
    /// This is the version the page shows.
    pub shown: bool,
}

/// A party as the issued version recorded it, with its full mailing address and its
/// accreditations in words.
#[derive(Serialize)]
pub struct PartyLines<'a> {
    pub name: &'a str,
    #[serde(flatten)]
    pub mailing: crate::address::Mailing<'a>,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub accreditations: Vec<super::view::Accreditation<'a>>,
}

impl<'a> PartyLines<'a> {
    fn new(p: &'a PartySnap) -> Self {
        PartyLines {
            name: &p.name,
            mailing: crate::address::Mailing::new(&p.address, p.country.as_deref()),
            email: p.email.as_deref(),
            phone: p.phone.as_deref(),
            accreditations: super::view::Accreditation::all(
                p.accreditations.iter().map(|(s, i)| (s, i)),
            ),
        }
    }
}

#[derive(Serialize)]
pub struct LotLine<'a> {
    pub lot: &'a str,
    pub made: String,
    pub made_iso: &'a str,
    pub place: &'a str,
    pub factory: Option<PartyLines<'a>>,
}

#[derive(Serialize)]
pub struct TestLine<'a> {
    pub report: &'a str,
    pub date: String,
    pub date_iso: &'a str,
    pub place: Option<&'a str>,
    pub lab: PartyLines<'a>,
    pub covers: &'a [String],
    pub lots: &'a [String],
}

#[derive(Serialize)]
pub struct CertificateView<'a> {
    pub number: &'a str,
    pub title: &'a str,
    pub kind: &'a str,
    pub market: &'a str,
    pub market_name: &'static str,
    pub version: u32,
    pub issued: String,
    pub issued_iso: String,
    /// The first version's issue date.
    pub created: String,
    pub created_iso: String,
    /// The latest version's issue date.
    pub modified: String,
    pub modified_iso: String,
    pub hash: &'a str,
    pub versions: Vec<VersionLink>,
    pub latest_url: String,
    /// Where the certificate stands today (`current`, `changed`, `blocked`, ...).
    pub standing: Standing,
    /// A later version exists.
    pub superseded: bool,
    /// The version shown is the one in force: the latest, and the certificate is not
    /// blocked, withdrawn or retired.
    pub valid: bool,
    /// `serve` only: a ready certificate never issued, shown as `issue` would record it.
    pub preview: bool,
    /// When blocked: the requirements open today.
    pub gaps: Vec<&'a RequirementStatus>,
    pub product: &'a crate::certificate::ProductId,
    /// The product's record is no longer in the site (its certificate is retired).
    pub product_removed: bool,
    pub product_url: Option<String>,
    pub image_url: Option<String>,
    pub rules: &'a [crate::certificate::Rule],
    pub standards: &'a [String],
    pub certifier_role: &'a str,
    pub certifier: PartyLines<'a>,
    pub manufacturer: PartyLines<'a>,
    pub records_custodian: Option<PartyLines<'a>>,
    pub lots: Vec<LotLine<'a>>,
    pub tests: Vec<TestLine<'a>>,
    /// The PDF of the version shown, when one is published (set by the page: see
    /// `render::pdf_page`).
    pub pdf_url: Option<String>,
}

fn day(iso_date: &str) -> String {
    RecordDate::parse(iso_date).map_or_else(|_| iso_date.to_string(), |d| d.display())
}

fn lot(l: &LotSnap) -> LotLine<'_> {
    LotLine {
        lot: &l.lot,
        made: day(&l.made),
        made_iso: &l.made,
        place: &l.place,
        factory: l.factory.as_deref().map(PartyLines::new),
    }
}

fn test(t: &TestSnap) -> TestLine<'_> {
    TestLine {
        report: &t.report,
        date: day(&t.date),
        date_iso: &t.date,
        place: t.place.as_deref(),
        lab: PartyLines::new(&t.lab),
        covers: &t.covers,
        lots: &t.lots,
    }
}

/// The view of `shown`, one version of certificate `number`, which `entry` holds.
pub fn view<'a>(
    number: &'a str,
    shown: &'a Version,
    entry: &Entry<'a>,
    assessed: &'a Assessed,
    product_exists: bool,
    base_path: &str,
) -> CertificateView<'a> {
    // A preview (never issued) stands alone as its own first version.
    let versions = if entry.versions.is_empty() {
        std::slice::from_ref(shown)
    } else {
        entry.versions
    };
    let first = &versions[0];
    let latest = versions.last().expect("a ledger entry has a version");
    let s: &Snapshot = &shown.snapshot;
    let superseded = shown.version < latest.version;
    let standing = entry.standing;
    let gaps = if standing == Standing::Blocked {
        assessed
            .by_product
            .get(&s.product.id)
            .into_iter()
            .flatten()
            .filter(|a| a.certificate.as_ref().is_some_and(|c| c.number == number))
            .flat_map(|a| a.gaps())
            .collect()
    } else {
        Vec::new()
    };
    CertificateView {
        number,
        title: &s.title,
        kind: &s.kind,
        market: &s.market,
        market_name: crate::ident::Market::parse(&s.market).map_or("", |m| m.name()),
        version: shown.version,
        issued: RecordDate::Day(shown.issued).display(),
        issued_iso: iso(shown.issued),
        created: RecordDate::Day(first.issued).display(),
        created_iso: iso(first.issued),
        modified: RecordDate::Day(latest.issued).display(),
        modified_iso: iso(latest.issued),
        hash: &shown.hash,
        versions: versions
            .iter()
            .map(|v| VersionLink {
                version: v.version,
                issued: RecordDate::Day(v.issued).display(),
                issued_iso: iso(v.issued),
                url: url::certificate_version(number, v.version).under(base_path),
                shown: v.version == shown.version,
            })
            .collect(),
        latest_url: url::certificate(number).under(base_path),
        standing,
        superseded,
        valid: entry.is_in_force(shown.version),
        preview: entry.versions.is_empty(),
        gaps,
        product: &s.product,
        product_removed: !product_exists,
        product_url: product_exists.then(|| url::product(&s.product.id).under(base_path)),
        image_url: s
            .product
            .image
            .as_ref()
            .map(|i| url::asset(i).under(base_path)),
        rules: &s.rules,
        standards: &s.standards,
        certifier_role: &s.certifier_role,
        certifier: PartyLines::new(&s.certifier),
        manufacturer: PartyLines::new(&s.manufacturer),
        records_custodian: s.records_custodian.as_deref().map(PartyLines::new),
        lots: s.lots.iter().map(lot).collect(),
        tests: s.tests.iter().map(test).collect(),
        pdf_url: None,
    }
}
