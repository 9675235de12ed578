//! Certificates as documents: everything a ready certificate states, gathered from the
//! product record and its assessment into one self-contained snapshot. The ledger
//! (`certificates.lock`) keeps each issued version's snapshot, so a version renders
//! exactly as it was issued long after the records have moved on.

use crate::assess::{Assessment, Readiness};
use crate::content::{Party, Product};
use crate::plugins::Plugin;
use crate::plugins::rules::{Certifier, EvidenceKind};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

/// The content of one certificate version. Field order is the canonical JSON order the
/// ledger hashes; every list is sorted or in record order, so equal content hashes equal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub number: String,
    /// The plugin's certificate id, e.g. `us-cpc`.
    pub kind: String,
    pub title: String,
    pub plugin: String,
    pub market: String,
    /// The theme template that renders it.
    pub template: String,
    /// Shared by every certificate of the product ([`Shared`]).
    pub product: Arc<ProductId>,
    /// Each rule the product is certified to (16 CFR 1110.11(b); Annex III item 5).
    pub rules: Vec<Rule>,
    /// Harmonised standards or other specifications applied (Annex III item 6).
    pub standards: Vec<String>,
    /// Who issues it: `importer` or `manufacturer`.
    pub certifier_role: String,
    /// Parties are shared by every certificate that names them alike ([`Shared`]).
    pub certifier: Arc<PartySnap>,
    pub manufacturer: Arc<PartySnap>,
    pub records_custodian: Option<Arc<PartySnap>>,
    /// Date and place of manufacture, per lot.
    pub lots: Vec<LotSnap>,
    /// Date and place of testing, and the lab relied on, per report.
    pub tests: Vec<TestSnap>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProductId {
    pub id: String,
    pub name: String,
    pub brand: Option<String>,
    pub model: String,
    pub gtin: Option<String>,
    pub sku: Option<String>,
    pub description: Option<String>,
    /// Relative to `content/`, as the record gives it.
    pub image: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub cite: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PartySnap {
    pub name: String,
    pub address: Vec<String>,
    pub country: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Scheme → accreditation id (labs).
    pub accreditations: Vec<(String, String)>,
}

impl PartySnap {
    fn of(p: &Party) -> Self {
        PartySnap {
            name: p.name.clone(),
            address: p.address.clone(),
            country: p.country.clone(),
            email: p.email.clone(),
            phone: p.phone.clone(),
            accreditations: p
                .accreditations
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LotSnap {
    pub lot: String,
    /// Year-month or full date, ISO.
    pub made: String,
    pub place: String,
    pub factory: Option<Arc<PartySnap>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestSnap {
    pub report: String,
    pub date: String,
    pub place: Option<String>,
    pub lab: Arc<PartySnap>,
    /// The citations this certificate relies on the report for.
    pub covers: Vec<String>,
    /// Lots the report covers; empty means every lot.
    pub lots: Vec<String>,
}

/// The snapshot of `assessment`'s certificate when it is ready, else `None`: a blocked
/// certificate has no content to issue.
pub fn snapshot(product: &Product, assessment: &Assessment, plugin: &Plugin) -> Option<Snapshot> {
    let cert = assessment.certificate.as_ref()?;
    if cert.status != Readiness::Ready {
        return None;
    }
    let raw = plugin
        .rules()?
        .certificates
        .iter()
        .find(|c| c.raw.id == cert.id)?
        .raw
        .clone();
    let market = crate::ident::Market::parse(&assessment.market).ok()?;
    // The importer for the market certifies imported goods; the manufacturer certifies
    // goods made in the market, or when the pack names the manufacturer.
    let (certifier_role, certifier) = match raw.certifier {
        Certifier::Importer => match product.importers.get(&market) {
            Some(i) => ("importer", i.as_ref()),
            None => ("manufacturer", product.manufacturer.as_ref()),
        },
        Certifier::Manufacturer => ("manufacturer", product.manufacturer.as_ref()),
    };
    let tested: Vec<_> = assessment
        .requirements
        .iter()
        .filter(|r| r.kind == EvidenceKind::Test)
        .collect();
    let mut rules: Vec<Rule> = Vec::new();
    for r in &tested {
        if !rules.iter().any(|x| *x.cite == *r.cite) {
            rules.push(Rule {
                cite: r.cite.to_string(),
                title: r.title.to_string(),
            });
        }
    }
    // Every report a tested requirement relies on, for any lot.
    let mut relied: BTreeSet<&str> = BTreeSet::new();
    for r in &tested {
        relied.extend(r.evidence.as_deref());
        relied.extend(r.lots.values().map(String::as_str));
    }
    let tests: Vec<TestSnap> = product
        .evidence
        .iter()
        .filter(|e| relied.contains(e.report.as_str()))
        .map(|e| TestSnap {
            report: e.report.clone(),
            date: crate::date::iso(e.date),
            place: e.place.clone(),
            lab: Arc::new(PartySnap::of(&e.lab)),
            covers: tested
                .iter()
                .filter(|r| {
                    r.evidence.as_deref() == Some(e.report.as_str())
                        || r.lots.values().any(|v| *v == e.report)
                })
                .map(|r| r.cite.to_string())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
            lots: e.lots.clone(),
        })
        .collect();
    let standards: Vec<String> = product
        .evidence
        .iter()
        .filter(|e| relied.contains(e.report.as_str()))
        .flat_map(|e| e.covers.iter())
        .filter(|c| raw.standards.contains(c))
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    Some(Snapshot {
        number: cert.number.clone(),
        kind: cert.id.clone(),
        title: cert.title.clone(),
        plugin: plugin.id.clone(),
        market: assessment.market.clone(),
        template: raw
            .template
            .clone()
            .unwrap_or_else(|| "certificate.html".into()),
        product: Arc::new(ProductId {
            id: product.id.clone(),
            name: product.name.clone(),
            brand: product.brand.clone(),
            model: product.model.clone(),
            gtin: product.gtin.map(|g| g.as_gtin14()),
            sku: product.sku.clone(),
            description: product.description.clone(),
            image: product.image.clone(),
        }),
        rules,
        standards,
        certifier_role: certifier_role.into(),
        certifier: Arc::new(PartySnap::of(certifier)),
        manufacturer: Arc::new(PartySnap::of(&product.manufacturer)),
        records_custodian: product
            .records_custodian
            .as_deref()
            .map(|p| Arc::new(PartySnap::of(p))),
        lots: product
            .lots
            .iter()
            .map(|l| LotSnap {
                lot: l.lot.clone(),
                made: l.made.to_string(),
                place: l.place.clone(),
                factory: l.factory.as_deref().map(|p| Arc::new(PartySnap::of(p))),
            })
            .collect(),
        tests,
    })
}

impl Snapshot {
    /// The canonical JSON the ledger stores and hashes: one line, fields in declaration
    /// order.
    pub fn canonical_json(&self) -> String {
        serde_json::to_string(self).expect("a snapshot serialises")
    }

    /// `sha256:<hex>` of the canonical JSON.
    pub fn hash(&self) -> String {
        self.digest().to_string()
    }

    /// The SHA-256 of the canonical JSON, as bytes.
    pub fn digest(&self) -> crate::ledger::Digest {
        use sha2::Digest as _;
        // Hashed as it is written, without holding the text (every certificate of a
        // site is hashed on every check).
        let mut hasher = sha2::Sha256::new();
        serde_json::to_writer(&mut hasher, self).expect("a snapshot serialises");
        crate::ledger::Digest(hasher.finalize().into())
    }
}

/// Parties and products as many certificate snapshots repeat them, each held once: a
/// product's certificates name the same product, and a site's thousands of certificates
/// a few dozen parties. Snapshots passed through [`Shared::share`] point at one copy of
/// each equal party and product (content, JSON and hashes are unchanged).
#[derive(Debug, Default, Clone)]
pub struct Shared {
    parties: HashSet<Arc<PartySnap>>,
    products: HashSet<Arc<ProductId>>,
}

impl Shared {
    fn party(&mut self, p: &mut Arc<PartySnap>) {
        match self.parties.get(&**p) {
            Some(kept) => *p = Arc::clone(kept),
            None => {
                self.parties.insert(Arc::clone(p));
            }
        }
    }

    /// Makes `s` point at the parties and product already held, and holds those it
    /// names first.
    pub fn share(&mut self, s: &mut Snapshot) {
        match self.products.get(&*s.product) {
            Some(kept) => s.product = Arc::clone(kept),
            None => {
                self.products.insert(Arc::clone(&s.product));
            }
        }
        self.party(&mut s.certifier);
        self.party(&mut s.manufacturer);
        if let Some(p) = &mut s.records_custodian {
            self.party(p);
        }
        for l in &mut s.lots {
            if let Some(p) = &mut l.factory {
                self.party(p);
            }
        }
        for t in &mut s.tests {
            self.party(&mut t.lab);
        }
    }
}
