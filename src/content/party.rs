//! Parties: manufacturers, importers, labs, people and representatives (SPEC §4.2).

use super::problem::Problem;
use super::raw::{PartyKind, RawParty};
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
    /// The certifier's CPSC Product Registry id, for `export efiling`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpsc_certifier_id: Option<String>,
    pub certifications: Vec<Certification>,
    /// The record's file, relative to the site root.
    pub file: String,
}

/// A management-system certificate a party holds (shown on the site).
#[derive(Debug, Clone, Serialize)]
pub struct Certification {
    pub standard: String,
    pub number: String,
    pub issuer: String,
    pub valid_until: Option<RecordDate>,
}

/// Validates a party record read from `file` (whose stem is `stem`).
pub fn resolve(raw: RawParty, file: &str, stem: &str) -> (Option<Party>, Vec<Problem>) {
    let mut problems = Vec::new();
    problems.extend(super::problem::check_id("party", &raw.id, file, stem));
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
    if let Some(p) = &raw.phone
        && !looks_like_phone(p)
    {
        problems.push(
            Problem::error(
                "bad-phone",
                ypath!["phone"],
                format!("`{p}` is not a phone number"),
            )
            .help("use digits, spaces and + - ( ) . only, e.g. \"+1 503 555 0100\""),
        );
    }
    if let Some(id) = &raw.cpsc_certifier_id
        && let Err(why) = registry_id(id)
    {
        problems.push(
            Problem::error(
                "bad-cpsc-certifier-id",
                ypath!["cpsc_certifier_id"],
                format!("cpsc_certifier_id `{id}` {why}"),
            )
            .help("copy the Certifier ID your CPSC Product Registry account shows"),
        );
    }
    let mut certifications = Vec::new();
    for (i, c) in raw.certifications.into_iter().enumerate() {
        let valid_until = match c.valid_until.as_deref().map(RecordDate::parse) {
            Some(Err(e)) => {
                let at = ypath!["certifications", i, "valid_until"];
                problems.push(Problem::error("bad-date", at, e.to_string()));
                None
            }
            Some(Ok(d)) => Some(d),
            None => None,
        };
        certifications.push(Certification {
            standard: c.standard,
            number: c.number,
            issuer: c.issuer,
            valid_until,
        });
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
        cpsc_certifier_id: raw.cpsc_certifier_id,
        certifications,
        file: file.to_string(),
    });
    (party, problems)
}

/// An id the CPSC Product Registry gave or took (Certifier ID, Product ID): its length
/// and character set are not known (exports.md §1, [unv]), so only what no id can hold
/// is refused: nothing, whitespace (a filing field is one token) and control characters.
pub fn registry_id(id: &str) -> Result<(), &'static str> {
    if id.is_empty() {
        Err("is empty")
    } else if id.chars().any(char::is_whitespace) {
        Err("holds whitespace")
    } else if id.chars().any(char::is_control) {
        Err("holds a control character")
    } else {
        Ok(())
    }
}

/// An address that is safe in a `mailto:` link: one `@`, a dotted domain, and none of
/// the characters that would add headers or recipients (`?`, `&`, `,`, `;`, ...).
fn looks_like_email(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else {
        return false;
    };
    let plain = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-_+".contains(&b))
    };
    !local.is_empty()
        && plain(local)
        && plain(domain)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
}

/// A phone number as people write it; it becomes a `tel:` link.
fn looks_like_phone(p: &str) -> bool {
    p.bytes().filter(u8::is_ascii_digit).count() >= 4
        && p.bytes()
            .all(|b| b.is_ascii_digit() || b" +-().".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_ids_are_one_token_of_any_shape() {
        for good in ["LITTLEOAK-EXAMPLE", "12345", "a.b_c/d", "Ünïcode"] {
            assert_eq!(registry_id(good), Ok(()), "{good}");
        }
        assert_eq!(registry_id(""), Err("is empty"));
        assert_eq!(registry_id("LITTLE OAK"), Err("holds whitespace"));
        assert_eq!(registry_id("A\u{a0}B"), Err("holds whitespace"));
        assert_eq!(registry_id("A\u{7}B"), Err("holds a control character"));
    }

    #[test]
    fn email_shape() {
        assert!(looks_like_email("lab@example.test"));
        assert!(looks_like_email("first.last+certs@example.co.uk"));
        for bad in [
            "lab",
            "@x.y",
            "a@b",
            "a b@c.d",
            "a@.x",
            "a@b.c?bcc=x@y.z",
            "a@b.c,d@e.f",
            "<a@b.c>",
        ] {
            assert!(!looks_like_email(bad), "{bad}");
        }
        assert!(looks_like_phone("+1 (503) 555-0100"));
        for bad in ["", "call us", "+1 503 555 0100;x", "12"] {
            assert!(!looks_like_phone(bad), "{bad}");
        }
    }
}
