//! `export efiling` (SPEC §13, exports.md §1): what an importer, customs broker or
//! shipping platform needs to file CPSC certificate data with CBP at entry:
//!
//! - the full data set of every US certificate (CPC or GCC) with a version in force, per
//!   version and lot, as one JSON document with its schema ([`schema`]) and as CSV;
//! - a reference file per SKU and lot: the three ids a Reference filing carries;
//! - the US products whose assessment requires no certificate, which need a disclaim
//!   when their tariff line is flagged.
//!
//! Everything comes from the issued version's snapshot in certificates.lock, as its page
//! and PDF show it, except what the Registry adds after issue: the certifier's id (the
//! party record) and the Certificate Version ID ([`registry`]). A certificate that is
//! not in force is never exported: filing it would present it as valid. Values are
//! written exactly as stored (ISO dates, GTIN-14), never formatted for people.

mod files;
pub mod mapping;
mod model;
pub mod registry;
pub mod schema;

use crate::assess::Assessed;
use crate::diagnostic::Diagnostic;
use crate::ident::Market;
use crate::ledger::Standing;
use crate::register::Register;
use crate::site::Site;
use model::Filing;
use std::collections::{BTreeMap, BTreeSet};

pub use registry::Registry;

/// The files `export efiling` writes, beside each other in the export folder.
pub const JSON: &str = "cpsc-efiling.json";
pub const SCHEMA: &str = "cpsc-efiling.schema.json";
pub const FULL_CSV: &str = "cpsc-efiling.csv";
pub const REFERENCE_CSV: &str = "cpsc-reference.csv";
pub const DISCLAIM_CSV: &str = "cpsc-disclaim.csv";

/// What the export made: its files (name, bytes) in the order they are written, and
/// what it left out and why.
#[derive(Debug)]
pub struct Export {
    pub files: Vec<(&'static str, Vec<u8>)>,
    /// Certificate versions exported.
    pub certificates: usize,
    /// Products listed for a disclaim.
    pub disclaims: usize,
    /// US certificates not in force, with the reason: never exported.
    pub skipped: Vec<(String, String)>,
    /// Exported, with something the filer should know (`(number, note)`).
    pub notes: Vec<(String, String)>,
}

/// The export of `site` with the Certificate Version IDs of its cpsc-registry.toml, or
/// every problem that stops it, those of the registry file and of the records together
/// (nothing is written then).
pub fn export_site(
    site: &Site,
    assessed: &Assessed,
    register: &Register,
) -> Result<Export, Vec<Diagnostic>> {
    let (registry, mut problems) = match Registry::load(&site.root, register.ledger()) {
        Ok(r) => (r, Vec::new()),
        Err(p) => (Registry::default(), p),
    };
    match export(site, assessed, register, &registry) {
        Ok(e) if problems.is_empty() => Ok(e),
        Ok(_) => Err(problems),
        Err(more) => {
            problems.extend(more);
            Err(problems)
        }
    }
}

/// The export of `site`, or every problem that stops it (nothing is written then).
pub fn export(
    site: &Site,
    assessed: &Assessed,
    register: &Register,
    registry: &Registry,
) -> Result<Export, Vec<Diagnostic>> {
    let us = Market::parse(mapping::MARKET).expect("US is a market");
    let mut filings: Vec<Filing> = Vec::new();
    let mut skipped = BTreeMap::new();
    let mut notes = Vec::new();
    let mut problems = Vec::new();
    // Party file → (party id, certificates it certifies), for one error per party.
    let mut no_certifier_id: BTreeMap<String, (String, BTreeSet<String>)> = BTreeMap::new();
    let mut assessed_numbers = BTreeSet::new();

    for product in &site.content.products {
        for a in assessed.by_product.get(&product.id).into_iter().flatten() {
            let Some(c) = a.certificate.as_ref() else {
                continue;
            };
            if a.market != mapping::MARKET || mapping::certificate_type(&c.id).is_none() {
                continue;
            }
            assessed_numbers.insert(c.number.clone());
            let entry = register.entry(&c.number);
            let Some(version) = entry.in_force else {
                skipped.insert(c.number.clone(), not_in_force(entry.standing, a));
                continue;
            };
            if entry.standing == Standing::Changed {
                notes.push((
                    c.number.clone(),
                    format!(
                        "the records changed since v{} was issued; v{} stays in force and is exported (run `certpress issue` to issue the change)",
                        version.version, version.version
                    ),
                ));
            }
            let s = &version.snapshot;
            // A version that lacks an element 16 CFR 1110.11 asks for is not a full data
            // set: it is skipped with what is missing, never filed with blanks.
            let missing = missing_elements(s, c.id.as_str());
            if !missing.is_empty() {
                skipped.insert(
                    c.number.clone(),
                    format!(
                        "v{} lacks what 16 CFR 1110.11 asks a certificate to state: {}; complete the records and run `certpress issue`",
                        version.version,
                        missing.join("; ")
                    ),
                );
                continue;
            }
            // The certifying party as the records name it now; its Registry id is not
            // part of the issued content. It must still be the party the version names.
            let party = match s.certifier_role.as_str() {
                "importer" => product.importers.get(&us),
                _ => Some(&product.manufacturer),
            };
            let party = match party {
                Some(p) if p.name == s.certifier.name => p,
                now => {
                    // The version names no party id, only its details: a renamed or a
                    // replaced certifier look alike, and either way the Certifier ID on
                    // hand may not be the one of the party the version names.
                    let now = now.map_or_else(
                        || format!("names no US {}", s.certifier_role),
                        |p| format!("names {} ({})", p.name, p.file),
                    );
                    problems.push(
                        Diagnostic::error(
                            "certifier-changed",
                            product.file.as_str(),
                            format!(
                                "{} v{} in force names {} as its certifier ({}), but the record now {now}: its Certifier ID cannot be taken from the records",
                                c.number, version.version, s.certifier.name, s.certifier_role
                            ),
                        )
                        .at(product.id_at.0, product.id_at.1)
                        .with_help("run `certpress issue` to issue a version naming the current certifier"),
                    );
                    continue;
                }
            };
            let Some(certifier_id) = party.cpsc_certifier_id.clone() else {
                no_certifier_id
                    .entry(party.file.clone())
                    .or_insert_with(|| (party.id.clone(), BTreeSet::new()))
                    .1
                    .insert(c.number.clone());
                continue;
            };
            let version_id = registry.version_id(&c.number, version.version);
            filings.push(Filing::new(
                site,
                version,
                product,
                certifier_id,
                version_id,
            ));
        }
    }
    for (file, (id, numbers)) in no_certifier_id {
        let numbers: Vec<&str> = numbers.iter().map(String::as_str).collect();
        problems.push(
            Diagnostic::error(
                "missing-cpsc-certifier-id",
                file.as_str(),
                format!(
                    "party `{id}` certifies {} for the US but has no `cpsc_certifier_id`: a filing must carry its Certifier ID",
                    numbers.join(", ")
                ),
            )
            .with_help(format!(
                "add `cpsc_certifier_id: <the Certifier ID of your CPSC Product Registry account>` to {file}"
            )),
        );
    }
    // Issued US certificates no product has any more: not in force, said so.
    for (number, versions) in &register.ledger().certificates {
        let Some(last) = versions.last() else {
            continue;
        };
        let s = &last.snapshot;
        if s.market == mapping::MARKET
            && mapping::certificate_type(&s.kind).is_some()
            && !assessed_numbers.contains(number)
        {
            skipped.insert(
                number.clone(),
                "not in force: no product has this certificate any more".into(),
            );
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    filings.sort_by(|a, b| a.number.cmp(&b.number));
    notes.extend(
        filings
            .iter()
            .filter(|f| f.certificate_version_id_provisional)
            .map(|f| {
                (
                    f.number.clone(),
                    format!(
                        "v{}: no Certificate Version ID from the Registry in cpsc-registry.toml; the reference file leaves it empty (certpress's guess, {}, is in its own column)",
                        f.version, f.certificate_version_id
                    ),
                )
            }),
    );
    notes.sort();
    let disclaims = files::disclaims(site, assessed);
    let files = vec![
        (JSON, files::json(site, &filings)),
        (SCHEMA, schema::SCHEMA.as_bytes().to_vec()),
        (FULL_CSV, files::full_csv(&filings)),
        (REFERENCE_CSV, files::reference_csv(&filings)),
        (DISCLAIM_CSV, files::disclaim_csv(&disclaims)),
    ];
    Ok(Export {
        files,
        certificates: filings.len(),
        disclaims: disclaims.len(),
        skipped: skipped.into_iter().collect(),
        notes,
    })
}

/// Why a US certificate has no version in force.
/// The 16 CFR 1110.11 elements (regulations.md §1.3, [C]) an issued version does not
/// state: the certifier's and the records custodian's contacts, the date and place of
/// manufacture, the date and place of testing and, for a CPC, each lab's contact.
pub(crate) fn missing_elements(s: &crate::certificate::Snapshot, kind: &str) -> Vec<String> {
    let mut missing = Vec::new();
    let contact = |p: &crate::certificate::PartySnap, what: &str, email: bool| {
        let mut lacks = Vec::new();
        if p.address.is_empty() {
            lacks.push("mailing address");
        }
        if p.phone.as_deref().is_none_or(str::is_empty) {
            lacks.push("telephone number");
        }
        if email && p.email.as_deref().is_none_or(str::is_empty) {
            lacks.push("e-mail address");
        }
        (!lacks.is_empty()).then(|| format!("the {what}'s {}", lacks.join(" and ")))
    };
    missing.extend(contact(&s.certifier, "certifier", false));
    match &s.records_custodian {
        Some(r) => missing.extend(contact(r, "records custodian", true)),
        None => {
            missing.push("the individual maintaining the test records (`records_custodian`)".into())
        }
    }
    if s.lots.is_empty() {
        missing.push("a date and place of manufacture (a lot under `lots`)".into());
    }
    if s.tests
        .iter()
        .any(|t| t.place.as_deref().is_none_or(str::is_empty))
    {
        missing.push("the place of testing (`place` of each report)".into());
    }
    if kind == "us-cpc" {
        for t in &s.tests {
            missing.extend(contact(
                &t.lab,
                &format!("laboratory of report {}", t.report),
                false,
            ));
        }
    }
    missing.dedup();
    missing
}

pub(crate) fn not_in_force(standing: Standing, a: &crate::assess::Assessment) -> String {
    match standing {
        Standing::Blocked => {
            let gaps: BTreeSet<&str> = a.gaps().map(|g| &*g.cite).collect();
            let gaps: Vec<&str> = gaps.into_iter().collect();
            format!(
                "not in force: blocked by a gap ({})",
                if gaps.is_empty() {
                    "an open requirement".to_string()
                } else {
                    gaps.join(", ")
                }
            )
        }
        Standing::Withdrawn => "not in force: the product is withdrawn".into(),
        Standing::Unissued => "not in force: ready but never issued (run `certpress issue`)".into(),
        Standing::Retired => "not in force: no product has this certificate any more".into(),
        Standing::Current | Standing::Changed => unreachable!("in force"),
    }
}
