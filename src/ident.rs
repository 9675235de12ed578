//! Identifiers that reach URLs and labels: record ids, lot codes and market codes.

/// Product and party ids: `^[a-z0-9][a-z0-9-]{0,63}$` (SPEC §4.1). They become URL path
/// segments and certificate numbers, so nothing else is allowed.
pub fn is_valid_id(id: &str) -> bool {
    let b = id.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

/// Lot codes: `^[A-Za-z0-9._-]{1,20}$`, a subset of GS1 AI 10's character set that needs
/// no percent-encoding in a Digital Link URI and is safe as a file name.
pub fn is_valid_lot(lot: &str) -> bool {
    (1..=20).contains(&lot.len())
        && lot
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
        // `.` and `..` would be path traversal when the lot becomes a folder name.
        && lot != "."
        && lot != ".."
}

/// A market: an ISO 3166-1 alpha-2 country code, or `EU`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Market(String);

impl Market {
    pub fn parse(code: &str) -> Result<Market, String> {
        if code == "EU" || rust_iso3166::from_alpha2(code).is_some() {
            return Ok(Market(code.to_string()));
        }
        let upper = code.to_ascii_uppercase();
        let hint = match upper.as_str() {
            "UK" => " (the United Kingdom is `GB`)".to_string(),
            _ if upper != code && Market::parse(&upper).is_ok() => {
                format!(" (did you mean `{upper}`?)")
            }
            // A country's three-letter code or its name: the two-letter code is meant.
            _ => rust_iso3166::from_alpha3(&upper)
                .or_else(|| {
                    rust_iso3166::ALL
                        .iter()
                        .find(|c| c.name.eq_ignore_ascii_case(code.trim()))
                        .copied()
                })
                .map_or(String::new(), |c| {
                    format!(" (did you mean `{}`?)", c.alpha2)
                }),
        };
        Err(format!(
            "`{code}` is not an ISO 3166-1 alpha-2 country code or `EU`{hint}"
        ))
    }

    pub fn code(&self) -> &str {
        &self.0
    }

    pub fn name(&self) -> &'static str {
        if self.0 == "EU" {
            return "European Union";
        }
        rust_iso3166::from_alpha2(&self.0).map_or("", |c| c.name)
    }
}

/// A country code on a party record (no `EU`).
pub fn is_country(code: &str) -> bool {
    rust_iso3166::from_alpha2(code).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        for ok in ["a", "rainbow-stacker", "0abc", &"a".repeat(64)] {
            assert!(is_valid_id(ok), "{ok}");
        }
        for bad in [
            "",
            "-a",
            "A",
            "a_b",
            "a b",
            "a/b",
            "é",
            &"a".repeat(65),
            "..",
        ] {
            assert!(!is_valid_id(bad), "{bad}");
        }
    }

    #[test]
    fn lots() {
        for ok in ["2026-03A", "A", "a.b_c-d", &"9".repeat(20)] {
            assert!(is_valid_lot(ok), "{ok}");
        }
        for bad in [
            "",
            "a b",
            "a/b",
            "..",
            ".",
            "lot#1",
            "ñ",
            &"9".repeat(21),
            "a%20",
        ] {
            assert!(!is_valid_lot(bad), "{bad}");
        }
    }

    #[test]
    fn markets() {
        assert_eq!(
            Market::parse("US").unwrap().name(),
            "United States of America"
        );
        assert_eq!(Market::parse("EU").unwrap().name(), "European Union");
        assert!(Market::parse("UK").unwrap_err().contains("`GB`"));
        assert!(
            Market::parse("us")
                .unwrap_err()
                .contains("did you mean `US`")
        );
        assert!(
            Market::parse("USA")
                .unwrap_err()
                .contains("did you mean `US`")
        );
        assert!(
            Market::parse("Germany")
                .unwrap_err()
                .contains("did you mean `DE`")
        );
        assert!(Market::parse("XX").is_err());
        assert!(is_country("CN") && !is_country("EU"));
    }
}
