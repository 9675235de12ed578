//! The full data set of one certificate version (16 CFR 1110 as revised; exports.md §1),
//! as the JSON document and the CSV rows carry it. Field names are the schema's
//! (`schema.json`); a change here is a change there.

use super::mapping;
use crate::certificate::{PartySnap, Snapshot, TestSnap};
use crate::content::Product;
use crate::ledger::Version;
use crate::site::Site;
use crate::url;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Filing {
    /// CPC or GCC.
    pub certificate_type: &'static str,
    pub number: String,
    pub version: u32,
    pub certificate_version_id: String,
    /// True when cpsc-registry.toml records no id for this version and the id is
    /// certpress's guess ([`mapping::provisional_version_id`]).
    pub certificate_version_id_provisional: bool,
    /// ISO date of issue.
    pub issued: String,
    /// `sha256:<hex>` of the version's content, as certificates.lock records it.
    pub content_hash: String,
    /// The certificate's page (the version in force), and its PDF when the site publishes
    /// certificate PDFs (`[build] certificate_pdfs`); null otherwise, as no such file exists.
    pub url: String,
    pub pdf_url: Option<String>,
    /// The page of this version, kept when later versions supersede it.
    pub version_url: String,
    pub product: FiledProduct,
    pub rules: Vec<FiledRule>,
    pub certifier: Certifier,
    pub manufacturer: Contact,
    pub records_custodian: Option<Contact>,
    /// One per lot the version lists; a product without lots has one entry whose lot,
    /// date and place are null.
    pub lots: Vec<FiledLot>,
}

#[derive(Debug, Serialize)]
pub struct FiledProduct {
    /// The certifier's Product ID and its type (SPEC §4.1).
    pub product_id: String,
    pub product_id_type: &'static str,
    /// certpress's product id (the record's file name).
    pub id: String,
    pub name: String,
    pub brand: Option<String>,
    pub model: String,
    /// GTIN-14, as stored.
    pub gtin: Option<String>,
    pub sku: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct FiledRule {
    pub cite: String,
    pub title: String,
    /// Provisional: see [`mapping::PROVISIONAL`].
    pub citation_code: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Contact {
    pub name: String,
    pub address: Vec<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl Contact {
    fn of(p: &PartySnap) -> Contact {
        Contact {
            name: p.name.clone(),
            address: p.address.clone(),
            country: p.country.clone(),
            email: p.email.clone(),
            phone: p.phone.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Certifier {
    /// `importer` (imported products) or `manufacturer` (domestic).
    pub role: String,
    pub cpsc_certifier_id: String,
    #[serde(flatten)]
    pub contact: Contact,
}

#[derive(Debug, Serialize)]
pub struct FiledLot {
    pub lot: Option<String>,
    /// Date of manufacture: year-month or full date, ISO.
    pub made: Option<String>,
    /// Place of manufacture.
    pub place: Option<String>,
    pub factory: Option<Contact>,
    /// The reports the version relies on that cover this lot.
    pub tests: Vec<FiledTest>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FiledTest {
    pub report: String,
    /// Date of testing, ISO.
    pub date: String,
    /// Place of testing.
    pub place: Option<String>,
    /// The citations the version relies on this report for.
    pub covers: Vec<String>,
    pub lab: Lab,
}

#[derive(Debug, Clone, Serialize)]
pub struct Lab {
    /// The lab's CPSC-accepted lab id (`accreditations: { cpsc: ... }`).
    pub cpsc_lab_id: Option<String>,
    #[serde(flatten)]
    pub contact: Contact,
}

impl Filing {
    pub fn new(
        site: &Site,
        version: &Version,
        product: &Product,
        cpsc_certifier_id: String,
        registered_version_id: Option<&str>,
    ) -> Filing {
        let s: &Snapshot = &version.snapshot;
        let base = site.config.base_url.as_str();
        let page = url::certificate(&s.number);
        let (product_id, product_id_type) = product_id(s, product);
        let lots = if s.lots.is_empty() {
            vec![FiledLot {
                lot: None,
                made: None,
                place: None,
                factory: None,
                tests: s.tests.iter().map(test).collect(),
            }]
        } else {
            s.lots
                .iter()
                .map(|l| FiledLot {
                    lot: Some(l.lot.clone()),
                    made: Some(l.made.clone()),
                    place: Some(l.place.clone()),
                    factory: l.factory.as_deref().map(Contact::of),
                    tests: s
                        .tests
                        .iter()
                        .filter(|t| t.lots.is_empty() || t.lots.contains(&l.lot))
                        .map(test)
                        .collect(),
                })
                .collect()
        };
        Filing {
            certificate_type: mapping::certificate_type(&s.kind).expect("a US certificate"),
            number: s.number.clone(),
            version: version.version,
            certificate_version_id: registered_version_id.map_or_else(
                || mapping::provisional_version_id(&s.number, version.version),
                str::to_string,
            ),
            certificate_version_id_provisional: registered_version_id.is_none(),
            issued: crate::date::iso(version.issued),
            content_hash: version.hash.clone(),
            url: page.under(base),
            pdf_url: site
                .config
                .certificate_pdfs
                .then(|| url::certificate_pdf(&page).under(base)),
            version_url: url::certificate_version(&s.number, version.version).under(base),
            product: FiledProduct {
                product_id,
                product_id_type,
                id: s.product.id.clone(),
                name: s.product.name.clone(),
                brand: s.product.brand.clone(),
                model: s.product.model.clone(),
                gtin: s.product.gtin.clone(),
                sku: s.product.sku.clone(),
                description: s.product.description.clone(),
            },
            rules: s
                .rules
                .iter()
                .map(|r| FiledRule {
                    cite: r.cite.clone(),
                    title: r.title.clone(),
                    citation_code: mapping::citation_code(&r.cite).to_string(),
                })
                .collect(),
            certifier: Certifier {
                role: s.certifier_role.clone(),
                cpsc_certifier_id,
                contact: Contact::of(&s.certifier),
            },
            manufacturer: Contact::of(&s.manufacturer),
            records_custodian: s.records_custodian.as_deref().map(Contact::of),
            lots,
        }
    }
}

/// The Product ID: the record's `cpsc` when it names one, else the issued version's GTIN,
/// SKU or model (SPEC §4.1), so the id matches what the version certifies.
fn product_id(s: &Snapshot, product: &Product) -> (String, &'static str) {
    if let Some(c) = &product.cpsc {
        return (c.product_id.clone(), c.product_id_type.as_str());
    }
    match (&s.product.gtin, &s.product.sku) {
        (Some(g), _) => (g.clone(), "gtin"),
        (None, Some(sku)) => (sku.clone(), "sku"),
        (None, None) => (s.product.model.clone(), "model"),
    }
}

fn test(t: &TestSnap) -> FiledTest {
    FiledTest {
        report: t.report.clone(),
        date: t.date.clone(),
        place: t.place.clone(),
        covers: t.covers.clone(),
        lab: Lab {
            cpsc_lab_id: t
                .lab
                .accreditations
                .iter()
                .find(|(scheme, _)| scheme == "cpsc")
                .map(|(_, id)| id.clone()),
            contact: Contact::of(&t.lab),
        },
    }
}
