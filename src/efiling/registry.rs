//! `cpsc-registry.toml`: the Certificate Version IDs the CPSC Product Registry holds for
//! issued versions. They are kept outside `certificates.lock` on purpose: the ledger's
//! lines are hashed and chained, and an id learned after issue must not change an issued
//! version's content or hash. The file maps `"<number> v<version>"` to the id:
//!
//! ```toml
//! "LO-RAINBOW-STACKER-US-CPC v1" = "TOY-A1B2C3D4E5"
//! ```

use crate::diagnostic::{Diagnostic, line_col};
use crate::ledger::Ledger;
use std::collections::BTreeMap;
use std::path::Path;

/// The file's name at the site root.
pub const FILE: &str = "cpsc-registry.toml";

/// Certificate Version IDs by (certificate number, version).
#[derive(Debug, Default)]
pub struct Registry {
    ids: BTreeMap<(String, u32), String>,
}

impl Registry {
    /// The recorded id of `number` version `version`, if any.
    pub fn version_id(&self, number: &str, version: u32) -> Option<&str> {
        self.ids
            .get(&(number.to_string(), version))
            .map(String::as_str)
    }

    /// Reads the file at `root` (an absent file records nothing), checking every entry
    /// against `ledger`: an id for a version never issued is a slip that would file the
    /// wrong certificate. Every problem at once.
    pub fn load(root: &Path, ledger: &Ledger) -> Result<Registry, Vec<Diagnostic>> {
        let path = root.join(FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Registry::default());
            }
            Err(e) => {
                return Err(vec![Diagnostic::error(
                    "unreadable-file",
                    FILE,
                    format!("cannot read {FILE}: {e}"),
                )]);
            }
        };
        Self::parse(&text, ledger)
    }

    fn parse(text: &str, ledger: &Ledger) -> Result<Registry, Vec<Diagnostic>> {
        let at = |offset: usize, d: Diagnostic| {
            let (line, column) = line_col(text, offset);
            d.at(line, column)
        };
        let table = match toml::de::DeTable::parse(text) {
            Ok(t) => t.into_inner(),
            Err(e) => {
                let d = Diagnostic::error("bad-toml", FILE, e.message().to_string());
                return Err(vec![at(e.span().map_or(0, |s| s.start), d)]);
            }
        };
        let mut problems = Vec::new();
        let mut ids = BTreeMap::new();
        let mut seen: BTreeMap<String, (String, u32)> = BTreeMap::new();
        for (key, value) in table.iter() {
            let key_at = key.span().start;
            let name = key.get_ref().as_ref();
            let Some((number, version)) = parse_key(name) else {
                let d = Diagnostic::error(
                    "bad-registry-key",
                    FILE,
                    format!("`{name}` is not \"<certificate number> v<version>\""),
                )
                .with_help(
                    "write e.g. \"LO-RAINBOW-STACKER-US-CPC v1\" = \"<id from the Registry>\"",
                );
                problems.push(at(key_at, d));
                continue;
            };
            let issued = ledger
                .certificates
                .get(number)
                .is_some_and(|vs| vs.iter().any(|v| v.version == version));
            if !issued {
                let what = if ledger.certificates.contains_key(number) {
                    format!("certificate {number} has no version {version} in certificates.lock")
                } else {
                    format!("no certificate {number} in certificates.lock")
                };
                problems.push(at(
                    key_at,
                    Diagnostic::error("unknown-certificate-version", FILE, what),
                ));
                continue;
            }
            let toml::de::DeValue::String(id) = value.get_ref() else {
                let d = Diagnostic::error(
                    "bad-certificate-version-id",
                    FILE,
                    format!("the Certificate Version ID of {name} must be a string"),
                );
                problems.push(at(value.span().start, d));
                continue;
            };
            let id: &str = id.as_ref();
            if let Err(why) = crate::content::party::registry_id(id) {
                let d = Diagnostic::error(
                    "bad-certificate-version-id",
                    FILE,
                    format!("Certificate Version ID `{id}` of {name} {why}"),
                );
                problems.push(at(value.span().start, d));
                continue;
            }
            // One id names one version: the same id twice would file two certificates
            // as one.
            if let Some((n, v)) = seen.get(id) {
                let d = Diagnostic::error(
                    "duplicate-certificate-version-id",
                    FILE,
                    format!("Certificate Version ID `{id}` is also given to {n} v{v}"),
                );
                problems.push(at(value.span().start, d));
                continue;
            }
            seen.insert(id.to_string(), (number.to_string(), version));
            ids.insert((number.to_string(), version), id.to_string());
        }
        if problems.is_empty() {
            Ok(Registry { ids })
        } else {
            // The parser keeps keys in sorted order; report in file order.
            problems.sort_by_key(|d| (d.line, d.column));
            Err(problems)
        }
    }
}

/// `"<number> v<version>"` split into its parts.
fn parse_key(key: &str) -> Option<(&str, u32)> {
    let (number, version) = key.rsplit_once(" v")?;
    let version: u32 = version.parse().ok().filter(|v| *v > 0)?;
    (!number.is_empty() && !number.contains(char::is_whitespace)).then_some((number, version))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger() -> Ledger {
        let mut l = Ledger::default();
        let day = crate::date::RecordDate::parse_day("2026-01-01").unwrap();
        l.issue(&[crate::ledger::tests::snapshot("A", "M1")], day);
        l
    }

    #[test]
    fn ids_are_read_by_number_and_version() {
        let r = Registry::parse("# ids\n\"A v1\" = \"TOY-1\"\n", &ledger()).unwrap();
        assert_eq!(r.version_id("A", 1), Some("TOY-1"));
        assert_eq!(r.version_id("A", 2), None);
    }

    #[test]
    fn unknown_versions_and_bad_ids_are_errors_at_their_line() {
        let text =
            "\"A v1\" = \"TOY-1\"\n\"A v2\" = \"TOY-2\"\n\"B v1\" = \"TOY-3\"\n\"A\" = \"x\"\n";
        let errors = Registry::parse(text, &ledger()).unwrap_err();
        let lines: Vec<(usize, &str)> = errors.iter().map(|d| (d.line, d.code)).collect();
        assert_eq!(
            lines,
            [
                (2, "unknown-certificate-version"),
                (3, "unknown-certificate-version"),
                (4, "bad-registry-key")
            ]
        );
        let errors = Registry::parse("\"A v1\" = \"has space\"\n", &ledger()).unwrap_err();
        assert_eq!(
            (errors[0].line, errors[0].code),
            (1, "bad-certificate-version-id")
        );
    }
}
