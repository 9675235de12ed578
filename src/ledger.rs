//! The certificate ledger, `certificates.lock` (SPEC §7): every issued version of every
//! certificate, one line each, sorted, never removed. A line holds the number, version,
//! issue date, the SHA-256 of the content and the content itself (canonical JSON), so a
//! version renders as issued however the records change later.
//!
//! ```text
//! LO-RAINBOW-STACKER-US-CPC v1 2026-11-23 sha256:… {"number":"LO-RAINBOW-STACKER-US-CPC",…}
//! ```

use crate::certificate::Snapshot;
use crate::diagnostic::Diagnostic;
use std::collections::BTreeMap;
use std::path::Path;
use time::Date;

pub const FILE: &str = "certificates.lock";

const HEADER: &str = "\
# certpress certificate ledger (SPEC §7). Written by `certpress issue`; do not edit.
# One line per issued version: number, version, issue date, content hash, content.
";

#[derive(Debug, Clone, PartialEq)]
pub struct Version {
    pub number: String,
    pub version: u32,
    pub issued: Date,
    pub hash: String,
    pub snapshot: Snapshot,
}

/// Every issued version, by certificate number, oldest first.
#[derive(Debug, Default, Clone)]
pub struct Ledger {
    pub certificates: BTreeMap<String, Vec<Version>>,
}

/// What `issue` did to one certificate.
#[derive(Debug, PartialEq, Eq)]
pub struct Issued {
    pub number: String,
    pub version: u32,
}

/// The largest ledger read (it holds every version's content, for its page).
pub const MAX_BYTES: u64 = 1 << 30;

impl Ledger {
    /// Reads `certificates.lock` under `root`; no file is an empty ledger.
    pub fn load(root: &Path) -> Result<Ledger, Diagnostic> {
        let path = root.join(FILE);
        if !path.exists() {
            return Ok(Ledger::default());
        }
        // About 1.3 KB per certificate version: room for a few hundred thousand.
        let text = crate::source::read_text_capped(root, &path, MAX_BYTES, "the ledger")?;
        Ledger::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Ledger, Diagnostic> {
        let mut ledger = Ledger::default();
        for (i, line) in text.lines().enumerate() {
            let line_no = i + 1;
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let v = parse_line(line)
                .map_err(|(column, m)| {
                    Diagnostic::error("bad-ledger", FILE, m)
                        .at(line_no, column)
                        .with_help("the ledger is written by `certpress issue`; restore it from version control")
                })?;
            let versions = ledger.certificates.entry(v.number.clone()).or_default();
            let expected = versions.last().map_or(1, |l| l.version + 1);
            if v.version != expected {
                return Err(Diagnostic::error(
                    "bad-ledger",
                    FILE,
                    format!(
                        "{} v{} is out of order: expected v{expected}",
                        v.number, v.version
                    ),
                )
                .at(line_no, 1));
            }
            versions.push(v);
        }
        Ok(ledger)
    }

    pub fn latest(&self, number: &str) -> Option<&Version> {
        self.certificates.get(number).and_then(|v| v.last())
    }

    /// Records a new version of every snapshot whose content differs from its latest
    /// issued version, dated `as_of`.
    pub fn issue(&mut self, snapshots: &[Snapshot], as_of: Date) -> Vec<Issued> {
        let mut issued = Vec::new();
        for s in snapshots {
            let hash = s.hash();
            let versions = self.certificates.entry(s.number.clone()).or_default();
            if versions.last().is_some_and(|v| v.hash == hash) {
                continue;
            }
            let version = versions.len() as u32 + 1;
            versions.push(Version {
                number: s.number.clone(),
                version,
                issued: as_of,
                hash,
                snapshot: s.clone(),
            });
            issued.push(Issued {
                number: s.number.clone(),
                version,
            });
        }
        issued
    }

    pub fn to_text(&self) -> String {
        let mut out = String::from(HEADER);
        for v in self.certificates.values().flatten() {
            out.push_str(&format!(
                "{} v{} {} {} {}\n",
                v.number,
                v.version,
                crate::date::iso(v.issued),
                v.hash,
                v.snapshot.canonical_json()
            ));
        }
        out
    }

    /// Writes the ledger beside a temporary file and renames it over the old one, so an
    /// interrupted write never leaves half a ledger.
    pub fn save(&self, root: &Path) -> std::io::Result<()> {
        let tmp = root.join(format!(".{FILE}.tmp"));
        std::fs::write(&tmp, self.to_text())?;
        std::fs::rename(&tmp, root.join(FILE))
    }
}

/// One line; errors carry the 1-based column they concern.
fn parse_line(line: &str) -> Result<Version, (usize, String)> {
    let mut fields = line.splitn(5, ' ');
    let mut next = |what: &str, column: usize| {
        fields
            .next()
            .filter(|f| !f.is_empty())
            .ok_or((column, format!("missing {what}")))
    };
    let number = next("certificate number", 1)?.to_string();
    let col_version = number.len() + 2;
    let version = next("version", col_version)?;
    let version: u32 = version
        .strip_prefix('v')
        .and_then(|n| n.parse().ok())
        .filter(|n| *n >= 1)
        .ok_or((col_version, format!("`{version}` is not a version like v1")))?;
    let col_date = col_version + format!("v{version}").len() + 1;
    let date = next("issue date", col_date)?;
    let issued = crate::date::RecordDate::parse_day(date).map_err(|e| (col_date, e.to_string()))?;
    let col_hash = col_date + date.len() + 1;
    let hash = next("content hash", col_hash)?.to_string();
    let col_json = col_hash + hash.len() + 1;
    let json = next("content", col_json)?;
    let snapshot: Snapshot = serde_json::from_str(json).map_err(|e| {
        (
            col_json + e.column().saturating_sub(1),
            format!("content: {e}"),
        )
    })?;
    if snapshot.hash() != hash {
        return Err((
            col_hash,
            format!("{number} v{version}: the content does not match its hash (edited by hand?)"),
        ));
    }
    if snapshot.number != number {
        return Err((
            col_json,
            format!("the content is for {}, not {number}", snapshot.number),
        ));
    }
    Ok(Version {
        number,
        version,
        issued,
        hash,
        snapshot,
    })
}

/// Where a certificate stands against the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Standing {
    /// Ready, and its content is the latest issued version.
    Current,
    /// Ready, but its content changed since the latest issued version.
    Changed,
    /// Ready, never issued.
    Unissued,
    /// A requirement is open: not valid, whatever was issued before.
    Blocked,
    /// The product is withdrawn.
    Withdrawn,
    /// In the ledger, but the product no longer has this certificate.
    Retired,
}

impl Standing {
    /// The latest issued version is in force: the certificate is ready and issued (its
    /// content may have changed since). Blocked, withdrawn, retired and unissued ones
    /// have no version in force, whatever was issued before.
    pub fn in_force(self) -> bool {
        matches!(self, Standing::Current | Standing::Changed)
    }
}

/// The site's certificates against the ledger.
#[derive(Debug, Default)]
pub struct Review {
    /// The content of every ready certificate of an active product.
    pub ready: Vec<Snapshot>,
    /// Every certificate number assessed now or in the ledger.
    pub standing: BTreeMap<String, Standing>,
}

pub fn review(
    site: &crate::site::Site,
    assessed: &crate::assessment::Assessed,
    ledger: &Ledger,
) -> Review {
    let mut out = Review::default();
    for product in &site.content.products {
        let Some(list) = assessed.by_product.get(&product.id) else {
            continue;
        };
        for a in list {
            let Some(cert) = &a.certificate else { continue };
            let plugin = site.plugins.iter().find(|p| p.id == a.plugin);
            let standing = if product.status == crate::content::Status::Withdrawn {
                Standing::Withdrawn
            } else {
                match plugin.and_then(|p| crate::certificate::snapshot(product, a, p)) {
                    None => Standing::Blocked,
                    Some(s) => {
                        let standing = match ledger.latest(&s.number) {
                            Some(v) if v.hash == s.hash() => Standing::Current,
                            Some(_) => Standing::Changed,
                            None => Standing::Unissued,
                        };
                        out.ready.push(s);
                        standing
                    }
                }
            };
            out.standing.insert(cert.number.clone(), standing);
        }
    }
    for number in ledger.certificates.keys() {
        out.standing
            .entry(number.clone())
            .or_insert(Standing::Retired);
    }
    out
}

/// A warning (an error under `--locked`) for every ready certificate the ledger does not
/// hold as issued, at the product's `id` line.
pub fn diagnostics(site: &crate::site::Site, review: &Review, locked: bool) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let products: std::collections::HashMap<&str, &crate::content::Product> = site
        .content
        .products
        .iter()
        .map(|p| (p.id.as_str(), p))
        .collect();
    for s in &review.ready {
        let message = match review.standing.get(&s.number) {
            Some(Standing::Unissued) => format!(
                "{} {} is ready but not issued: its page is not published until `certpress issue` records it",
                s.title, s.number
            ),
            Some(Standing::Changed) => format!(
                "{} {} changed since its last issued version: the site shows that version until `certpress issue` records the new one",
                s.title, s.number
            ),
            _ => continue,
        };
        let Some(product) = products.get(s.product.id.as_str()) else {
            continue;
        };
        let (line, column) = product.id_position(&site.root);
        let d = if locked {
            Diagnostic::error("unissued", &product.file, message)
        } else {
            Diagnostic::warning("unissued", &product.file, message)
        };
        out.push(
            d.at(line, column).with_help(
                "run `certpress issue` to record ready certificates in certificates.lock",
            ),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certificate::{PartySnap, ProductId};

    fn snapshot(number: &str, model: &str) -> Snapshot {
        let party = PartySnap {
            name: "P".into(),
            address: vec![],
            country: None,
            email: None,
            phone: None,
            accreditations: vec![],
        };
        Snapshot {
            number: number.into(),
            kind: "us-cpc".into(),
            title: "Children's Product Certificate".into(),
            plugin: "us-cpsc".into(),
            market: "US".into(),
            template: "certificate.html".into(),
            product: ProductId {
                id: "x".into(),
                name: "X".into(),
                brand: None,
                model: model.into(),
                gtin: None,
                sku: None,
                description: None,
                image: None,
            },
            rules: vec![],
            standards: vec![],
            certifier_role: "importer".into(),
            certifier: party.clone(),
            manufacturer: party,
            records_custodian: None,
            lots: vec![],
            tests: vec![],
        }
    }

    fn day(s: &str) -> Date {
        crate::date::RecordDate::parse_day(s).unwrap()
    }

    #[test]
    fn issues_a_version_only_when_content_changes_and_round_trips() {
        let mut l = Ledger::default();
        let a = snapshot("A-1", "M1");
        assert_eq!(
            l.issue(std::slice::from_ref(&a), day("2026-01-01")).len(),
            1
        );
        assert!(
            l.issue(std::slice::from_ref(&a), day("2026-02-01"))
                .is_empty()
        );
        let changed = snapshot("A-1", "M2");
        let issued = l.issue(&[changed, snapshot("B-1", "M")], day("2026-03-01"));
        assert_eq!(
            issued,
            [
                Issued {
                    number: "A-1".into(),
                    version: 2
                },
                Issued {
                    number: "B-1".into(),
                    version: 1
                }
            ]
        );
        let text = l.to_text();
        let back = Ledger::parse(&text).unwrap();
        assert_eq!(back.to_text(), text);
        assert_eq!(back.latest("A-1").unwrap().version, 2);
        assert_eq!(back.certificates["A-1"][0].snapshot.product.model, "M1");
        assert_eq!(back.certificates["A-1"][0].issued, day("2026-01-01"));
    }

    #[test]
    fn a_hand_edited_line_is_an_error_at_its_line_and_column() {
        let mut l = Ledger::default();
        l.issue(&[snapshot("A-1", "M1")], day("2026-01-01"));
        let text = l.to_text().replace("\"M1\"", "\"M9\"");
        let e = Ledger::parse(&text).unwrap_err();
        assert_eq!(e.line, 3);
        assert!(
            e.message.contains("does not match its hash"),
            "{}",
            e.message
        );
        let e = Ledger::parse("A-1 v2 2026-01-01 sha256:x {}\n").unwrap_err();
        assert!(e.message.contains("content"), "{}", e.message);
        let e = Ledger::parse("A-1 version 2026-01-01 h {}\n").unwrap_err();
        assert_eq!((e.line, e.column), (1, 5));
    }
}
