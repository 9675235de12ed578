//! The one table of guesses in `export efiling`. exports.md §1 tags these facts [unv]:
//! certpress must still write something, so each guess is named here, written into the
//! JSON document (`provisional`) and listed in the README, and nothing else in the export
//! states them as what CPSC requires. When a guess is confirmed, change it here.

use serde::Serialize;

/// One provisional choice: which exported field it shapes, what certpress writes, and why
/// that is a guess.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Guess {
    pub field: &'static str,
    pub certpress_writes: &'static str,
    pub unverified: &'static str,
}

/// Every guess the export makes (README "Exports: CPSC eFiling").
pub const PROVISIONAL: &[Guess] = &[
    Guess {
        field: "certificate_version_id",
        certpress_writes: "the id cpsc-registry.toml records for \"<number> v<version>\"; without one, <number>-V<version as two digits> with certificate_version_id_provisional = true",
        unverified: "whether the Registry assigns the Certificate Version ID or the filer chooses it, and its format",
    },
    Guess {
        field: "citation_code",
        certpress_writes: "the rule pack's citation key as written (\"16 CFR 1303\")",
        unverified: "the Registry's citation code list (\"1303\", \"16 CFR 1303\" or opaque ids) was not found",
    },
    Guess {
        field: "product_id_type",
        certpress_writes: "gtin, upc, sku or model, as the records spell them",
        unverified: "how the Registry and CBP message sets spell identifier types",
    },
    Guess {
        field: "cpsc_certifier_id",
        certpress_writes: "the certifying party's cpsc_certifier_id as written; only empty ids, whitespace and control characters are refused",
        unverified: "the Certifier ID's length and character set",
    },
    Guess {
        field: "csv columns",
        certpress_writes: "certpress's own column names (snake_case, as in the JSON)",
        unverified: "the Registry's bulk-upload fields and limits, and whether its web interface takes a CSV at all",
    },
];

/// The Registry citation code for a rule pack citation key (the `citation_code` guess).
pub fn citation_code(cite: &str) -> &str {
    cite
}

/// The Certificate Version ID used when cpsc-registry.toml records none (the
/// `certificate_version_id` guess): stable for a version, and distinct across versions
/// and certificates because certificate numbers are.
pub fn provisional_version_id(number: &str, version: u32) -> String {
    format!("{number}-V{version:02}")
}

/// The certificate type filed for a US pack's certificate id: a 16 CFR 1110 certificate
/// is a Children's Product Certificate or a General Certificate of Conformity (SPEC §13,
/// regulations.md §1.2). Other kinds are not eFiled.
pub fn certificate_type(kind: &str) -> Option<&'static str> {
    match kind {
        "us-cpc" => Some("CPC"),
        "us-gcc" => Some("GCC"),
        _ => None,
    }
}

/// The market whose certificates are eFiled.
pub const MARKET: &str = "US";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provisional_ids_differ_by_version_and_number() {
        assert_eq!(provisional_version_id("LO-X-US-CPC", 1), "LO-X-US-CPC-V01");
        assert_ne!(
            provisional_version_id("A", 12),
            provisional_version_id("A", 1)
        );
        assert_eq!(certificate_type("us-gcc"), Some("GCC"));
        assert_eq!(certificate_type("eu-doc"), None);
    }
}
