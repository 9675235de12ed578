//! Parties: manufacturers, importers, labs, people and representatives (SPEC §4.2).

use super::problem::Problem;
use super::raw::{PartyKind, RawCertification, RawParty};
use crate::date::RecordDate;
use crate::ident;
use crate::ypath;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct Party {
    pub id: String,
    pub kind: PartyKind,
    pub name: String,
    pub address: Vec<String>,
    pub country: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Scheme (`cpsc`, `iso17025`, ...) → accreditation id.
    pub accreditations: BTreeMap<String, String>,
    pub certifications: Vec<RawCertification>,
    /// The record's file, relative to the site root.
    pub file: String,
}

impl Party {
    /// A CPSC-accepted lab carries its CPSC lab id under `accreditations.cpsc`.
    pub fn cpsc_accepted(&self) -> bool {
        self.accreditations.contains_key("cpsc")
    }
}

/// Validates a party record read from `file` (whose stem is `stem`).
pub fn resolve(raw: RawParty, file: &str, stem: &str) -> (Option<Party>, Vec<Problem>) {
    let mut problems = Vec::new();
    if !ident::is_valid_id(&raw.id) {
        problems.push(Problem::error(
            "bad-id",
            ypath!["id"],
            format!(
                "party id `{}` must match ^[a-z0-9][a-z0-9-]{{0,63}}$",
                raw.id
            ),
        ));
    } else if raw.id != stem {
        problems.push(
            Problem::error(
                "id-mismatch",
                ypath!["id"],
                format!("id `{}` must equal the file name `{stem}`", raw.id),
            )
            .help(format!(
                "rename the file to {}.yaml or set `id: {stem}`",
                raw.id
            )),
        );
    }
    if raw.name.trim().is_empty() {
        problems.push(Problem::error(
            "empty-field",
            ypath!["name"],
            "name must not be empty",
        ));
    }
    if let Some(c) = &raw.country
        && !ident::is_country(c)
    {
        problems.push(Problem::error(
            "bad-country",
            ypath!["country"],
            format!("`{c}` is not an ISO 3166-1 alpha-2 country code"),
        ));
    }
    if let Some(e) = &raw.email
        && !looks_like_email(e)
    {
        problems.push(Problem::error(
            "bad-email",
            ypath!["email"],
            format!("`{e}` is not an e-mail address"),
        ));
    }
    for (i, c) in raw.certifications.iter().enumerate() {
        if let Some(v) = &c.valid_until
            && let Err(e) = RecordDate::parse(v)
        {
            problems.push(Problem::error(
                "bad-date",
                ypath!["certifications", i, "valid_until"],
                e.to_string(),
            ));
        }
    }
    if raw.kind == PartyKind::Lab && raw.accreditations.is_empty() {
        problems.push(
            Problem::warning(
                "lab-without-accreditation",
                ypath!["kind"],
                format!("lab `{}` lists no accreditations", raw.id),
            )
            .help("add e.g. `accreditations: { cpsc: \"1234\", iso17025: \"L1234\" }`"),
        );
    }
    let ok = !problems
        .iter()
        .any(|p| p.severity == crate::diagnostic::Severity::Error);
    let party = ok.then(|| Party {
        id: raw.id,
        kind: raw.kind,
        name: raw.name,
        address: raw.address,
        country: raw.country,
        email: raw.email,
        phone: raw.phone,
        accreditations: raw.accreditations,
        certifications: raw.certifications,
        file: file.to_string(),
    });
    (party, problems)
}

fn looks_like_email(e: &str) -> bool {
    match e.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !e.contains(char::is_whitespace)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_shape() {
        assert!(looks_like_email("lab@example.test"));
        for bad in ["lab", "@x.y", "a@b", "a b@c.d", "a@.x"] {
            assert!(!looks_like_email(bad), "{bad}");
        }
    }
}
