//! `export marketplace` (SPEC §13, exports.md §2): what a seller uploads to a
//! marketplace's compliance page for each product sold in the US, one folder per product:
//!
//! - `certificate.pdf`: the US certificate version in force, the very bytes a site with
//!   `[build] certificate_pdfs = true` publishes (made by
//!   [`crate::render::certificate_version_pdf`] whether or not it does); none when no version
//!   is in force, since handing it on would present it as valid;
//! - the test report files the product's evidence names, copied byte for byte;
//! - `checklist.json` and `checklist.html`: what marketplaces reject certificates for,
//!   item by item ([`checklist`]).
//!
//! Failing items are findings for the seller, not errors: the files are written anyway.

pub mod checklist;
mod html;

use crate::assess::Assessed;
use crate::diagnostic::Diagnostic;
use crate::ident::Market;
use crate::register::Register;
use crate::site::Site;
use checklist::{Checklist, ReportFile, Subject, Verdict};
use std::collections::BTreeSet;

/// The folder under `exports/` the export writes into by default.
pub const FOLDER: &str = "marketplace";
pub const CERTIFICATE_PDF: &str = "certificate.pdf";
pub const CHECKLIST_JSON: &str = "checklist.json";
pub const CHECKLIST_HTML: &str = "checklist.html";

/// The largest report file copied (a scanned report is rarely over a few MB).
const MAX_REPORT_BYTES: u64 = 256 * 1024 * 1024;

/// One product's folder: its name (the product id) and files (name, bytes) in the order
/// they are written, and its checklist.
#[derive(Debug)]
pub struct Folder {
    pub product: String,
    pub files: Vec<(String, Vec<u8>)>,
    pub checklist: Checklist,
}

/// Every US product's folder, in product id order, or every problem that stops the
/// export (nothing is written then).
pub fn export(
    site: &Site,
    assessed: &Assessed,
    register: &Register,
    fonts: &crate::label::font::Fonts,
) -> Result<Vec<Folder>, Vec<Diagnostic>> {
    let us = Market::parse(checklist::MARKET).expect("US is a market");
    let mut products: Vec<_> = site
        .content
        .products
        .iter()
        .filter(|p| p.markets.contains(&us))
        .collect();
    products.sort_by(|a, b| a.id.cmp(&b.id));
    let mut folders = Vec::new();
    let mut problems = Vec::new();
    for product in products {
        let list = assessed
            .by_product
            .get(&product.id)
            .map_or(&[][..], Vec::as_slice);
        let us_assessments = list.iter().filter(|a| a.market == checklist::MARKET);
        // The assessment whose certificate is a CPC or GCC is the one marketplaces ask
        // about; a US plugin without a certificate regime adds nothing to it.
        let assessment = us_assessments
            .clone()
            .find(|a| {
                a.certificate
                    .as_ref()
                    .is_some_and(|c| crate::efiling::mapping::certificate_type(&c.id).is_some())
            })
            .or_else(|| us_assessments.clone().find(|a| a.certificate.is_some()))
            .or_else(|| us_assessments.clone().next());
        let entry = assessment
            .and_then(|a| a.certificate.as_ref())
            .map(|c| register.entry(&c.number));
        let subject = Subject {
            product,
            assessment,
            entry,
        };
        let mut files: Vec<(String, Vec<u8>)> = Vec::new();
        let mut certificate = None;
        if let (Some(v), Some(c)) = (
            entry.and_then(|e| e.in_force),
            assessment.and_then(|a| a.certificate.as_ref()),
        ) {
            match crate::render::certificate_version_pdf(
                site, assessed, register, &c.number, v.version, fonts,
            ) {
                Some(Ok(pdf)) => {
                    files.push((CERTIFICATE_PDF.into(), pdf));
                    certificate = Some(checklist::certificate_file(v));
                }
                Some(Err(d)) => problems.push(d),
                None => unreachable!("the version in force is in the ledger"),
            }
        }
        let mut reports = Vec::new();
        let mut taken: BTreeSet<String> = [CERTIFICATE_PDF, CHECKLIST_JSON, CHECKLIST_HTML]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut copied: Vec<(&str, String)> = Vec::new();
        // Only the reports the certificate rests on: a failed, replaced or other
        // market's report is not what a marketplace is shown.
        for e in subject.relied_reports() {
            let Some(source) = &e.file else { continue };
            // One file named by two reports is copied once.
            if let Some((_, name)) = copied.iter().find(|(s, _)| *s == source.as_str()) {
                reports.push(ReportFile {
                    report: e.report.clone(),
                    source: source.clone(),
                    file: name.clone(),
                });
                continue;
            }
            let path = site.root.join("content").join(source);
            let bytes = match read_report(site, &path) {
                Ok(b) => b,
                Err(d) => {
                    problems.push(d);
                    continue;
                }
            };
            let name = free_name(source, &taken);
            taken.insert(name.clone());
            copied.push((source, name.clone()));
            reports.push(ReportFile {
                report: e.report.clone(),
                source: source.clone(),
                file: name.clone(),
            });
            files.push((name, bytes));
        }
        let items = checklist::items(&subject);
        let mut names: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
        names.extend([CHECKLIST_JSON.to_string(), CHECKLIST_HTML.to_string()]);
        names.sort();
        let checklist = Checklist {
            product: product.id.clone(),
            name: product.name.clone(),
            record: product.file.clone(),
            market: checklist::MARKET.into(),
            certificate,
            reports,
            files: names,
            passes: items.iter().filter(|i| i.status == Verdict::Pass).count(),
            fails: items.iter().filter(|i| i.status == Verdict::Fail).count(),
            items,
        };
        let mut json = serde_json::to_vec_pretty(&checklist).expect("a checklist serializes");
        json.push(b'\n');
        files.push((CHECKLIST_JSON.into(), json));
        files.push((CHECKLIST_HTML.into(), html::page(&checklist).into_bytes()));
        folders.push(Folder {
            product: product.id.clone(),
            files,
            checklist,
        });
    }
    if problems.is_empty() {
        Ok(folders)
    } else {
        Err(problems)
    }
}

/// A report file's bytes, read as every site file is (no link on the way, no pipe).
fn read_report(site: &Site, path: &std::path::Path) -> Result<Vec<u8>, Diagnostic> {
    use std::io::Read;
    let rel = crate::source::relative(&site.root, path);
    let file = crate::source::open(&site.root, path)?;
    let mut bytes = Vec::new();
    file.take(MAX_REPORT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Diagnostic::error("unreadable-file", &rel, format!("cannot read: {e}")))?;
    if bytes.len() as u64 > MAX_REPORT_BYTES {
        return Err(Diagnostic::error(
            "file-too-large",
            &rel,
            format!("report file is over {MAX_REPORT_BYTES} bytes"),
        ));
    }
    Ok(bytes)
}

/// The report's file name in the folder: its own, or, when another file already has
/// that name (two labs both sending `report.pdf`), `<stem>-2.<ext>`, `-3`, ...
fn free_name(source: &str, taken: &BTreeSet<String>) -> String {
    let name = source.rsplit('/').next().unwrap_or(source).to_string();
    if !taken.contains(&name) {
        return name;
    }
    let (stem, ext) = match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i..]),
        _ => (name.as_str(), ""),
    };
    (2..)
        .map(|n| format!("{stem}-{n}{ext}"))
        .find(|n| !taken.contains(n))
        .expect("some number is free")
}

/// The files an earlier run listed in `folder`'s checklist that this run does not write:
/// removed, so a certificate no longer in force or a report no longer named is not handed
/// on. Only plain names the checklist lists are touched, never other files of the folder.
pub fn stale(folder: &std::path::Path, now: &[(String, Vec<u8>)]) -> Vec<std::path::PathBuf> {
    let Ok(text) = std::fs::read(folder.join(CHECKLIST_JSON)) else {
        return Vec::new();
    };
    let Ok(earlier) = serde_json::from_slice::<Checklist>(&text) else {
        return Vec::new();
    };
    earlier
        .files
        .into_iter()
        .filter(|n| {
            !n.is_empty()
                && !n.starts_with('.')
                && !n.contains(['/', '\\'])
                && !now.iter().any(|(m, _)| m == n)
        })
        .map(|n| folder.join(n))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_reports_with_one_file_name_keep_both() {
        let mut taken: BTreeSet<String> = [CERTIFICATE_PDF.to_string()].into();
        let a = free_name("assets/reports/a/report.pdf", &taken);
        taken.insert(a.clone());
        let b = free_name("assets/reports/b/report.pdf", &taken);
        taken.insert(b.clone());
        let c = free_name("assets/c/report.pdf", &taken);
        assert_eq!(
            (a.as_str(), b.as_str(), c.as_str()),
            ("report.pdf", "report-2.pdf", "report-3.pdf")
        );
        assert_eq!(
            free_name("assets/certificate.pdf", &taken),
            "certificate-2.pdf"
        );
        assert_eq!(
            free_name("assets/README", &["README".to_string()].into()),
            "README-2"
        );
    }

    #[test]
    fn only_files_the_earlier_checklist_listed_are_stale() {
        let dir = tempfile::tempdir().unwrap();
        let listed = serde_json::json!({
            "product": "p", "name": "P", "record": "r", "market": "US", "certificate": null,
            "reports": [], "passes": 0, "fails": 0, "items": [],
            "files": ["certificate.pdf", "checklist.json", "../escape", ".hidden", "old.pdf"]
        });
        std::fs::write(dir.path().join(CHECKLIST_JSON), listed.to_string()).unwrap();
        let now = vec![(CHECKLIST_JSON.to_string(), Vec::new())];
        let gone: Vec<String> = stale(dir.path(), &now)
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(gone, ["certificate.pdf", "old.pdf"]);
    }
}
