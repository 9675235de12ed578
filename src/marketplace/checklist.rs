//! The checklist of one US product: what marketplaces (Amazon, exports.md §2) reject
//! children's product certificates for, judged on the records and on the certificate
//! version in force. Every item passes, fails with what to change and where (as `check`
//! words a gap's fix), or does not apply, with the reason.

use crate::assess::{Assessment, FixAt, Status};
use crate::certificate::PartySnap;
use crate::content::Product;
use crate::content::party::Party;
use crate::content::raw::PartyKind;
use crate::ident::Market;
use crate::ledger::Standing;
use crate::plugins::rules::EvidenceKind;
use crate::register::Entry;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The market whose marketplaces the checklist speaks for.
pub const MARKET: &str = "US";

/// One product's checklist, as `checklist.json` holds it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Checklist {
    pub product: String,
    pub name: String,
    /// The product's record, relative to the site root: where most fixes are made.
    pub record: String,
    pub market: String,
    /// The certificate version in force, included as `certificate.pdf`.
    pub certificate: Option<CertificateFile>,
    /// The report files the evidence names, as copied into the folder.
    pub reports: Vec<ReportFile>,
    /// Every file of the product's folder (this one included), so the next run can
    /// remove those it no longer writes and nothing stale is handed on.
    pub files: Vec<String>,
    pub passes: usize,
    pub fails: usize,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CertificateFile {
    pub number: String,
    pub version: u32,
    pub issued: String,
    pub file: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReportFile {
    pub report: String,
    /// The file the evidence names, relative to `content/`.
    pub source: String,
    /// Its name in the folder.
    pub file: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum Verdict {
    #[serde(rename = "pass")]
    Pass,
    #[serde(rename = "fail")]
    Fail,
    #[serde(rename = "n/a")]
    NotApplicable,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::NotApplicable => "n/a",
        }
    }
}

/// One check.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Item {
    pub id: String,
    pub title: String,
    pub status: Verdict,
    /// What certpress found (for `n/a`, why the item does not apply).
    pub detail: String,
    /// When failing: what to change, and where.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<Fix>,
    /// What certpress cannot check and the seller must.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// `cpsc-lab`: one entry per tested rule.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RuleCheck>,
    /// `labels`: the warning statements the US pack requires on the product.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Fix {
    /// The record file to edit (relative to the site root), or the command to run.
    pub file: String,
    /// The field to change in it.
    pub field: String,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RuleCheck {
    pub cite: String,
    pub title: String,
    pub status: Verdict,
    pub reports: Vec<LabCheck>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LabCheck {
    pub report: String,
    pub lab: String,
    /// The lab's CPSC accreditation id, if it has one.
    pub cpsc: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Warning {
    pub requirement: String,
    pub cite: String,
    pub text: String,
    /// The assessment's label texts carry it.
    pub present: bool,
}

/// What the checklist reads for one product.
pub struct Subject<'a> {
    pub product: &'a Product,
    /// The US assessment with a certificate regime (CPC or GCC), else any US assessment.
    pub assessment: Option<&'a Assessment>,
    /// The register's entry for its certificate, when it has one.
    pub entry: Option<Entry<'a>>,
}

impl<'a> Subject<'a> {
    /// The reports a marketplace is handed: those the version in force rests on, or,
    /// with none in force, the product's passing reports. Never a failed report, nor one
    /// another report replaced, nor a report for another market's rules.
    pub fn relied_reports(&self) -> Vec<&'a crate::content::Evidence> {
        let evidence = &self.product.evidence;
        match self.entry.and_then(|e| e.in_force) {
            Some(v) => evidence
                .iter()
                .filter(|e| v.snapshot.tests.iter().any(|t| t.report == e.report))
                .collect(),
            None => evidence
                .iter()
                .filter(|e| e.result == crate::content::TestResult::Pass)
                .collect(),
        }
    }

    fn in_force(&self) -> Option<&crate::ledger::Version> {
        self.entry.and_then(|e| e.in_force)
    }

    fn certificate_kind(&self) -> Option<&str> {
        self.assessment
            .and_then(|a| a.certificate.as_ref())
            .map(|c| c.id.as_str())
    }

    /// The party the certificate names as its certifier in the records now: the US
    /// importer, else the manufacturer (as the US pack's `certifier: importer` reads).
    fn certifier(&self) -> (&'static str, &Party) {
        let us = Market::parse(MARKET).expect("US is a market");
        match self.product.importers.get(&us) {
            Some(p) => ("importer", p),
            None => ("manufacturer", &self.product.manufacturer),
        }
    }
}

/// The items, in the order of the list in the README.
pub fn items(s: &Subject) -> Vec<Item> {
    vec![
        us_contact(s),
        certifier_not_lab(s),
        cpsc_lab(s),
        age_grade(s),
        images(s),
        labels(s),
        certificate(s),
        report_files(s),
    ]
}

/// Item 8. Amazon asks for the test reports from a CPSC-accepted lab covering each rule:
/// each report the certificate rests on must have its file in the pack.
fn report_files(s: &Subject) -> Item {
    const TITLE: &str = "A file for each test report the certificate rests on";
    let relied = s.relied_reports();
    if relied.is_empty() {
        return item(
            "report-files",
            TITLE,
            Verdict::NotApplicable,
            "no report backs a certificate".into(),
        );
    }
    let missing: Vec<&str> = relied
        .iter()
        .filter(|e| e.file.is_none())
        .map(|e| e.report.as_str())
        .collect();
    if missing.is_empty() {
        return item(
            "report-files",
            TITLE,
            Verdict::Pass,
            format!("{} report file(s) in the folder", relied.len()),
        );
    }
    let mut it = item(
        "report-files",
        TITLE,
        Verdict::Fail,
        format!("no file for report {}", missing.join(", ")),
    );
    for report in missing {
        it.fixes.push(fix(
            &s.product.file,
            "evidence",
            format!("add `file: assets/…` to report {report}: the lab's report, as a PDF under content/assets/"),
        ));
    }
    it
}

fn item(id: &str, title: &str, status: Verdict, detail: String) -> Item {
    Item {
        id: id.into(),
        title: title.into(),
        status,
        detail,
        fixes: Vec::new(),
        note: None,
        rules: Vec::new(),
        warnings: Vec::new(),
    }
}

fn fix(file: &str, field: &str, text: impl Into<String>) -> Fix {
    Fix {
        file: file.into(),
        field: field.into(),
        text: text.into(),
    }
}

const NO_CERTIFICATE: &str = "the US pack requires no certificate for this product";

/// A fix made in the records reaches the certificate only through a new version.
fn reissue(s: &Subject, text: String) -> String {
    match s.in_force() {
        Some(v) => format!(
            "{text}; then run `certpress issue`: v{} in force shows the records as they were",
            v.version
        ),
        None => text,
    }
}

/// Item 1. Amazon: "the CPC lacks the US importer or domestic manufacturer name and US
/// mailing address".
fn us_contact(s: &Subject) -> Item {
    const TITLE: &str = "The certificate names the US importer (or the domestic manufacturer) with a US mailing address";
    if s.certificate_kind().is_none() {
        return item(
            "us-contact",
            TITLE,
            Verdict::NotApplicable,
            NO_CERTIFICATE.into(),
        );
    }
    let (role, party) = s.certifier();
    // The version in force is what the PDF shows; without one, what `issue` would record.
    let (shown_role, shown) = match s.in_force() {
        Some(v) => (
            v.snapshot.certifier_role.clone(),
            (*v.snapshot.certifier).clone(),
        ),
        None => (role.to_string(), snap(party)),
    };
    let in_us = shown.country.as_deref() == Some(MARKET);
    let has_address = shown.address.iter().any(|l| !l.trim().is_empty());
    let found = format!(
        "certifier: {} ({shown_role}), {}{}",
        shown.name,
        if has_address {
            shown.address.join(", ")
        } else {
            "no address".into()
        },
        shown
            .country
            .as_deref()
            .map_or(String::new(), |c| format!(", {c}"))
    );
    if in_us && has_address {
        return item("us-contact", TITLE, Verdict::Pass, found);
    }
    let mut it = item("us-contact", TITLE, Verdict::Fail, found);
    let records_pass = party.country.as_deref() == Some(MARKET)
        && party.address.iter().any(|l| !l.trim().is_empty());
    if records_pass {
        // Fixed in the records after the version in force was issued.
        it.fixes.push(fix(
            crate::ledger::FILE,
            "versions",
            format!(
                "run `certpress issue`: the records now name {} with a US address, but the version in force does not",
                party.name
            ),
        ));
        return it;
    }
    if role == "manufacturer" && party.country.as_deref() != Some(MARKET) {
        it.fixes.push(fix(
            &s.product.file,
            "importers",
            reissue(
                s,
                format!(
                    "name the US importer: add `importers: {{ US: <party id> }}`, a party with its US mailing address and `country: US` (the manufacturer, {}, is outside the US)",
                    party.name
                ),
            ),
        ));
        return it;
    }
    if party.country.as_deref() != Some(MARKET) {
        it.fixes.push(fix(
            &party.file,
            "country",
            reissue(
                s,
                format!(
                    "the {role} {} has no US mailing address: set `country: US` and its US `address`, or name a US importer in `importers: {{ US: … }}` in {}",
                    party.name, s.product.file
                ),
            ),
        ));
    }
    if !party.address.iter().any(|l| !l.trim().is_empty()) {
        it.fixes.push(fix(
            &party.file,
            "address",
            reissue(
                s,
                format!("add the {role}'s US mailing address as `address:` lines"),
            ),
        ));
    }
    it
}

fn snap(p: &Party) -> PartySnap {
    PartySnap {
        name: p.name.clone(),
        address: p.address.clone(),
        country: p.country.clone(),
        email: p.email.clone(),
        phone: p.phone.clone(),
        accreditations: Vec::new(),
    }
}

/// Names compared as people read them: case and spacing do not make two companies.
fn same_name(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.split_whitespace()
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
            .join(" ")
    };
    norm(a) == norm(b)
}

/// The reports the US assessment's tested rules rely on, in record order.
fn relied_reports<'a>(s: &Subject<'a>) -> Vec<&'a crate::content::Evidence> {
    let mut names: BTreeSet<&str> = BTreeSet::new();
    for r in s.assessment.into_iter().flat_map(|a| &a.requirements) {
        if r.kind == EvidenceKind::Test {
            names.extend(r.evidence.as_deref());
            names.extend(r.lots.values().map(String::as_str));
        }
    }
    s.product
        .evidence
        .iter()
        .filter(|e| names.contains(e.report.as_str()))
        .collect()
}

/// Item 2. Amazon: the CPC "is issued from the testing laboratory".
fn certifier_not_lab(s: &Subject) -> Item {
    const TITLE: &str = "The certifier is the importer or manufacturer, not the testing laboratory";
    if s.certificate_kind().is_none() {
        return item(
            "certifier-not-lab",
            TITLE,
            Verdict::NotApplicable,
            NO_CERTIFICATE.into(),
        );
    }
    let (role, party) = s.certifier();
    let shown_name = s
        .in_force()
        .map_or(party.name.clone(), |v| v.snapshot.certifier.name.clone());
    let mut labs: Vec<(String, String)> = relied_reports(s)
        .iter()
        .map(|e| (e.report.clone(), e.lab.name.clone()))
        .collect();
    if let Some(v) = s.in_force() {
        labs.extend(
            v.snapshot
                .tests
                .iter()
                .map(|t| (t.report.clone(), t.lab.name.clone())),
        );
    }
    labs.sort();
    labs.dedup();
    let same: Vec<&(String, String)> = labs
        .iter()
        .filter(|(_, lab)| same_name(lab, &shown_name) || same_name(lab, &party.name))
        .collect();
    let found = format!("certifier: {shown_name} ({role})");
    if party.kind != PartyKind::Lab && same.is_empty() {
        return item("certifier-not-lab", TITLE, Verdict::Pass, found);
    }
    let reports: Vec<String> = same.iter().map(|(r, l)| format!("{r} by {l}")).collect();
    let mut it = item(
        "certifier-not-lab",
        TITLE,
        Verdict::Fail,
        format!(
            "{found}; it is also the lab of report {}",
            reports.join(", ")
        ),
    );
    let field = if role == "importer" {
        "importers"
    } else {
        "manufacturer"
    };
    it.fixes.push(fix(
        &s.product.file,
        field,
        reissue(
            s,
            format!(
                "the certificate must be issued by the US importer or the manufacturer, not by the lab that tested the product: name the {role} in `{field}` as its own party, not the lab ({})",
                party.name
            ),
        ),
    ));
    it
}

/// Item 3. Amazon: test reports from a CPSC-accepted lab covering each rule.
fn cpsc_lab(s: &Subject) -> Item {
    const TITLE: &str = "Each tested rule's report is from a CPSC-accepted lab";
    let Some(kind) = s.certificate_kind() else {
        return item(
            "cpsc-lab",
            TITLE,
            Verdict::NotApplicable,
            NO_CERTIFICATE.into(),
        );
    };
    if kind == "us-gcc" {
        return item(
            "cpsc-lab",
            TITLE,
            Verdict::NotApplicable,
            "a General Certificate of Conformity may rest on any lab's tests: CPSC acceptance is asked of labs testing children's products".into(),
        );
    }
    let tested: Vec<_> = s
        .assessment
        .into_iter()
        .flat_map(|a| &a.requirements)
        .filter(|r| r.kind == EvidenceKind::Test)
        .collect();
    if tested.is_empty() {
        return item(
            "cpsc-lab",
            TITLE,
            Verdict::NotApplicable,
            "no tested rule applies to this product".into(),
        );
    }
    let mut it = item("cpsc-lab", TITLE, Verdict::Pass, String::new());
    let mut fixed_labs: BTreeSet<String> = BTreeSet::new();
    for r in tested {
        let mut names: BTreeSet<&str> = BTreeSet::new();
        names.extend(r.evidence.as_deref());
        names.extend(r.lots.values().map(String::as_str));
        let reports: Vec<_> = s
            .product
            .evidence
            .iter()
            .filter(|e| names.contains(e.report.as_str()))
            .collect();
        let checks: Vec<LabCheck> = reports
            .iter()
            .map(|e| LabCheck {
                report: e.report.clone(),
                lab: e.lab.name.clone(),
                cpsc: e.lab.accreditations.get("cpsc").cloned(),
            })
            .collect();
        // A failed or lapsed report is not a lab problem; the rule's gap says what it is.
        let covered = !reports.is_empty() && r.status != Status::Missing;
        let accepted = covered && checks.iter().all(|c| c.cpsc.is_some());
        if !covered {
            let (field, text) = match &r.fix {
                Some(f) => (field_of(&f.at), f.text.clone()),
                None => (
                    "evidence".to_string(),
                    format!(
                        "add a report under `evidence` that covers `{}`, from a CPSC-accepted lab",
                        r.cite
                    ),
                ),
            };
            it.fixes.push(fix(&s.product.file, &field, text));
        }
        for e in reports
            .iter()
            .filter(|e| !e.lab.accreditations.contains_key("cpsc"))
        {
            if fixed_labs.insert(e.lab.id.clone()) {
                it.fixes.push(fix(
                    &e.lab.file,
                    "accreditations",
                    format!(
                        "{} (report {}) has no `cpsc` accreditation: if the CPSC accepts it for these rules, add `accreditations: {{ cpsc: <its CPSC lab id> }}`; otherwise have the product tested by a CPSC-accepted lab and list that report in {}",
                        e.lab.name, e.report, s.product.file
                    ),
                ));
            }
        }
        if !accepted {
            it.status = Verdict::Fail;
        }
        if !it.rules.iter().any(|x| *x.cite == *r.cite) {
            it.rules.push(RuleCheck {
                cite: r.cite.to_string(),
                title: r.title.to_string(),
                status: if accepted {
                    Verdict::Pass
                } else {
                    Verdict::Fail
                },
                reports: checks,
            });
        }
    }
    let failing = it
        .rules
        .iter()
        .filter(|r| r.status == Verdict::Fail)
        .count();
    it.detail = format!(
        "{} tested rule{}, {failing} without a report from a CPSC-accepted lab",
        it.rules.len(),
        if it.rules.len() == 1 { "" } else { "s" }
    );
    it
}

fn field_of(at: &FixAt) -> String {
    match at {
        FixAt::Key(k) => k.clone(),
        FixAt::Report(r) => format!("evidence ({r})"),
        FixAt::Lot(l) => format!("lots ({l})"),
    }
}

/// Item 4. Amazon: the age grade on the listing must match the one in the test report.
fn age_grade(s: &Subject) -> Item {
    const TITLE: &str = "The record states an age grade";
    let note = "Amazon compares the listing's age grade with the age grade in the third-party test report; certpress cannot read the report, so check that it states the same age grade".to_string();
    let mut it = match &s.product.age {
        // The pack judged it a general-use product (a GCC): no age grade to compare.
        None if s.certificate_kind() == Some("us-gcc") => {
            return item(
                "age-grade",
                TITLE,
                Verdict::NotApplicable,
                "a general-use product (General Certificate of Conformity): marketplaces compare age grades of children's products".into(),
            );
        }
        Some(age) => item(
            "age-grade",
            TITLE,
            Verdict::Pass,
            format!("age grade: {}", age.describe()),
        ),
        None => {
            let mut it = item("age-grade", TITLE, Verdict::Fail, "no age grade".into());
            it.fixes.push(fix(
                &s.product.file,
                "age",
                "add `age: { min_months: N }` (and `max_months` if the grade has an upper end), the age grade the test report and the listing state",
            ));
            it
        }
    };
    it.note = Some(note);
    it
}

/// Item 5. Amazon: images of the product and its packaging, showing the manufacturer's name
/// and address and the warning label.
fn images(s: &Subject) -> Item {
    const TITLE: &str = "Product images present";
    let mut it = match &s.product.image {
        Some(image) => item("images", TITLE, Verdict::Pass, format!("image: {image}")),
        None => {
            let mut it = item("images", TITLE, Verdict::Fail, "no image".into());
            it.fixes.push(fix(
                &s.product.file,
                "image",
                "add `image: assets/…`, a photo of the product under content/assets/",
            ));
            it
        }
    };
    it.note = Some("Amazon asks for images of every side of the product and its packaging that show the manufacturer's name and address and the warning label; certpress checks only that the record has an image".into());
    it
}

/// Item 6. Amazon: images or a report proving the tracking label, and the warning labels.
fn labels(s: &Subject) -> Item {
    const TITLE: &str =
        "Tracking label declared and every required warning label among the label texts";
    const TRACKING: &str = "tracking-label";
    let requirements = s.assessment.into_iter().flat_map(|a| &a.requirements);
    let tracking = requirements.clone().any(|r| &*r.id == TRACKING);
    let declared = s.product.declarations.get(TRACKING) == Some(&true);
    let texts = s.assessment.map_or(&[][..], |a| a.labels.as_slice());
    let warnings: Vec<Warning> = requirements
        .filter(|r| r.kind == EvidenceKind::Label)
        .map(|r| {
            let text = texts.iter().find(|t| *t.requirement == *r.id);
            Warning {
                requirement: r.id.to_string(),
                cite: r.cite.to_string(),
                text: text.map_or_else(|| r.title.to_string(), |t| t.text.clone()),
                present: text.is_some(),
            }
        })
        .collect();
    if !tracking && warnings.is_empty() {
        return item(
            "labels",
            TITLE,
            Verdict::NotApplicable,
            "the US pack requires neither a tracking label nor a warning label for this product"
                .into(),
        );
    }
    let mut found = Vec::new();
    if tracking {
        found.push(if declared {
            "tracking label declared"
        } else {
            "tracking label not declared"
        });
    }
    let missing = warnings.iter().filter(|w| !w.present).count();
    let count = format!(
        "{} warning label{} required{}",
        warnings.len(),
        if warnings.len() == 1 { "" } else { "s" },
        if missing > 0 {
            format!(", {missing} not among the label texts")
        } else {
            String::new()
        }
    );
    found.push(&count);
    let ok = (!tracking || declared) && missing == 0;
    let mut it = item(
        "labels",
        TITLE,
        if ok { Verdict::Pass } else { Verdict::Fail },
        found.join("; "),
    );
    if tracking && !declared {
        it.fixes.push(fix(
            &s.product.file,
            "declarations",
            "once the tracking label is permanently marked on the product and its packaging, add `declarations: { tracking-label: true }`",
        ));
    }
    for w in warnings.iter().filter(|w| !w.present) {
        it.fixes.push(fix(
            &s.product.file,
            "labels",
            format!(
                "the US pack requires the warning `{}` ({}) but the assessment gives no label text for it: check the plugin's `label`",
                w.requirement, w.cite
            ),
        ));
    }
    it.note = Some("Amazon asks for images (or a report) showing the tracking label and each warning label on the product and its packaging".into());
    it.warnings = warnings;
    it
}

/// Item 7. A certificate in force, and its PDF in the folder.
fn certificate(s: &Subject) -> Item {
    const TITLE: &str = "A certificate is in force and its PDF is included";
    let (Some(a), Some(entry)) = (s.assessment, s.entry) else {
        return item(
            "certificate",
            TITLE,
            Verdict::NotApplicable,
            NO_CERTIFICATE.into(),
        );
    };
    let Some(c) = &a.certificate else {
        return item(
            "certificate",
            TITLE,
            Verdict::NotApplicable,
            NO_CERTIFICATE.into(),
        );
    };
    if let Some(v) = entry.in_force {
        let mut it = item(
            "certificate",
            TITLE,
            Verdict::Pass,
            format!(
                "{} v{} issued {}: {}",
                c.number,
                v.version,
                crate::date::iso(v.issued),
                super::CERTIFICATE_PDF
            ),
        );
        if entry.standing == Standing::Changed {
            it.note = Some(format!(
                "the records changed since v{} was issued; v{} stays in force and is included (run `certpress issue` to issue the change)",
                v.version, v.version
            ));
        }
        return it;
    }
    let why = crate::efiling::not_in_force(entry.standing, a);
    let mut it = item(
        "certificate",
        TITLE,
        Verdict::Fail,
        format!("{}: {why}; no PDF is included", c.number),
    );
    match entry.standing {
        Standing::Blocked => {
            for g in a.gaps() {
                let (field, text) = match &g.fix {
                    Some(f) => (field_of(&f.at), f.text.clone()),
                    None => (
                        "evidence".to_string(),
                        format!(
                            "{} ({}) is {}: {}",
                            g.cite,
                            g.title,
                            status_word(g.status),
                            g.detail.clone().unwrap_or_default()
                        ),
                    ),
                };
                let f = fix(&s.product.file, &field, text);
                // Several rules resting on one report share its fix: said once.
                if !it.fixes.contains(&f) {
                    it.fixes.push(f);
                }
            }
            it.fixes.push(fix(
                crate::ledger::FILE,
                "versions",
                "then run `certpress issue`",
            ));
        }
        Standing::Unissued => it.fixes.push(fix(
            crate::ledger::FILE,
            "versions",
            "run `certpress issue` to issue the certificate",
        )),
        Standing::Withdrawn => it.fixes.push(fix(
            &s.product.file,
            "status",
            "the product is withdrawn: a withdrawn product is not listed for sale",
        )),
        _ => {}
    }
    it
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Satisfied => "satisfied",
        Status::Missing => "missing",
        Status::Failed => "failed",
        Status::Expired => "expired",
        Status::LabNotAccepted => "tested by a lab not accepted",
    }
}

/// The version in force, as the folder's `certificate.pdf`.
pub fn certificate_file(v: &crate::ledger::Version) -> CertificateFile {
    CertificateFile {
        number: v.number.clone(),
        version: v.version,
        issued: crate::date::iso(v.issued),
        file: super::CERTIFICATE_PDF.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_company_under_two_spellings_is_one_party() {
        assert!(same_name("Plain Lab", "  plain   LAB "));
        assert!(!same_name("Plain Lab", "Plain Labs"));
    }

    #[test]
    fn verdicts_are_spelled_as_the_json_spells_them() {
        for v in [Verdict::Pass, Verdict::Fail, Verdict::NotApplicable] {
            assert_eq!(
                serde_json::to_value(v).unwrap(),
                serde_json::Value::from(v.as_str())
            );
        }
    }
}
