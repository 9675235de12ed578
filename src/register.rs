//! The register: for every certificate, where it stands today and which issued version,
//! if any, is in force. Product and lot pages, certificate pages, JSON twins and
//! linksets, the lookup index and labels all read it, so none of them can show as valid
//! what another shows as not (README "Certificates are issued, not merely rendered";
//! SPEC §7):
//!
//! - ready and issued as it stands (`current`): the latest issued version is in force;
//! - ready, but changed since its latest issued version (`changed`): that issued version
//!   stays in force until `certpress issue` records the new content;
//! - blocked by a gap, withdrawn, or no longer assessed (`retired`): nothing is in force,
//!   whatever was issued before;
//! - ready but never issued (`unissued`): nothing is in force — no page, and no number on
//!   a label, until it is issued. Only `serve` shows its page, as a preview of what
//!   `issue` would record, marked "not issued — preview" ([`Entry::preview`]).

use crate::assess::Assessed;
use crate::ledger::{Ledger, Review, Standing, Version};

/// The ledger read against today's review.
#[derive(Clone, Copy)]
pub struct Register<'a> {
    ledger: &'a Ledger,
    review: &'a Review,
}

/// One certificate, as the register holds it.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    pub standing: Standing,
    /// Every issued version, oldest first (empty when never issued).
    pub versions: &'a [Version],
    /// The issued version in force, if any.
    pub in_force: Option<&'a Version>,
    /// `serve` only: a ready certificate never issued, as `issue` would record it.
    pub preview: Option<&'a Version>,
}

impl Entry<'_> {
    /// A version is in force: the certificate may be presented as valid.
    pub fn valid(&self) -> bool {
        self.in_force.is_some()
    }

    /// Some version was issued (the certificate has a page, even when none is in force).
    pub fn issued(&self) -> bool {
        !self.versions.is_empty()
    }

    /// `version` is the one in force (not superseded, and the certificate valid today).
    pub fn is_in_force(&self, version: u32) -> bool {
        self.in_force.is_some_and(|v| v.version == version)
    }

    /// The version in force lists `lot`, so it certifies that lot.
    pub fn covers_lot(&self, lot: &str) -> bool {
        self.in_force
            .is_some_and(|v| v.snapshot.lots.iter().any(|l| l.lot == lot))
    }
}

impl<'a> Register<'a> {
    pub fn new(ledger: &'a Ledger, review: &'a Review) -> Register<'a> {
        Register { ledger, review }
    }

    /// Every issued version of every certificate: what a build publishes pages for.
    pub fn ledger(&self) -> &'a Ledger {
        self.ledger
    }

    pub fn entry(&self, number: &str) -> Entry<'a> {
        let versions = self
            .ledger
            .certificates
            .get(number)
            .map_or(&[][..], Vec::as_slice);
        // The review covers every certificate assessed now and every one in the ledger;
        // a number it lacks was never assessed, so it is in force nowhere.
        let standing =
            self.review
                .standing
                .get(number)
                .copied()
                .unwrap_or(if versions.is_empty() {
                    Standing::Unissued
                } else {
                    Standing::Retired
                });
        Entry {
            standing,
            versions,
            in_force: standing.in_force().then(|| versions.last()).flatten(),
            preview: self.review.previews.get(number),
        }
    }

    /// The previews `serve` shows beside the ledger's certificates (empty in a build).
    pub fn previews(&self) -> impl Iterator<Item = &'a Version> {
        self.review.previews.values()
    }

    /// Numbers of the product's certificates that have a version in force, in
    /// assessment order: what labels print and the index and lookup list.
    pub fn numbers_in_force<'x>(&self, assessed: &'x Assessed, product: &str) -> Vec<&'x str> {
        assessed
            .by_product
            .get(product)
            .into_iter()
            .flatten()
            .filter_map(|a| a.certificate.as_ref())
            .filter(|c| self.entry(&c.number).valid())
            .map(|c| c.number.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::{Assessment, CertificateStatus, Readiness};
    use crate::certificate::LotSnap;
    use crate::ledger::tests::snapshot;
    use std::collections::BTreeMap;

    fn day(s: &str) -> time::Date {
        crate::date::RecordDate::parse_day(s).unwrap()
    }

    /// A ledger where `A` (lot L1) has v1 and v2, `B` has v1, and `C` was never issued,
    /// reviewed with `standing`.
    fn fixture(standing: &[(&str, Standing)]) -> (Ledger, Review) {
        let mut ledger = Ledger::default();
        let mut a = snapshot("A", "M1");
        a.lots = vec![LotSnap {
            lot: "L1".into(),
            made: "2026-03".into(),
            place: "P".into(),
            factory: None,
        }];
        ledger.issue(&[a.clone(), snapshot("B", "M1")], day("2026-01-01"));
        std::sync::Arc::make_mut(&mut a.product).model = "M2".into();
        ledger.issue(&[a], day("2026-02-01"));
        let review = Review {
            ready: vec![],
            standing: standing
                .iter()
                .map(|(n, s)| (n.to_string(), *s))
                .collect::<BTreeMap<_, _>>(),
            ..Review::default()
        };
        (ledger, review)
    }

    #[test]
    fn issued_and_current_has_its_latest_version_in_force() {
        let (ledger, review) = fixture(&[("A", Standing::Current)]);
        let e = Register::new(&ledger, &review).entry("A");
        assert_eq!(e.standing, Standing::Current);
        assert!(e.valid() && e.issued());
        assert_eq!(e.in_force.map(|v| v.version), Some(2));
        assert!(e.is_in_force(2) && !e.is_in_force(1), "v1 is superseded");
        assert!(e.covers_lot("L1") && !e.covers_lot("L2"));
    }

    #[test]
    fn changed_since_issue_keeps_the_issued_version_in_force() {
        let (ledger, review) = fixture(&[("A", Standing::Changed)]);
        let e = Register::new(&ledger, &review).entry("A");
        assert!(e.valid());
        assert_eq!(e.in_force.map(|v| v.version), Some(2));
    }

    #[test]
    fn blocked_by_gaps_is_not_valid_whatever_was_issued() {
        let (ledger, review) = fixture(&[("A", Standing::Blocked), ("B", Standing::Withdrawn)]);
        let register = Register::new(&ledger, &review);
        for number in ["A", "B"] {
            let e = register.entry(number);
            assert!(e.issued(), "{number} keeps its pages");
            assert!(!e.valid() && e.in_force.is_none(), "{number}");
            assert!(!e.is_in_force(e.versions.len() as u32), "{number}");
            assert!(!e.covers_lot("L1"), "{number}");
        }
    }

    #[test]
    fn ready_but_never_issued_is_not_valid_and_has_no_version() {
        let (ledger, review) = fixture(&[("C", Standing::Unissued)]);
        let e = Register::new(&ledger, &review).entry("C");
        assert_eq!(e.standing, Standing::Unissued);
        assert!(!e.valid() && !e.issued());
        assert!(e.versions.is_empty());
    }

    #[test]
    fn numbers_not_reviewed_are_in_force_nowhere() {
        let (ledger, review) = fixture(&[]);
        let register = Register::new(&ledger, &review);
        assert_eq!(register.entry("A").standing, Standing::Retired);
        assert_eq!(register.entry("Z").standing, Standing::Unissued);
        assert!(!register.entry("A").valid());
    }

    #[test]
    fn only_numbers_in_force_are_listed_for_labels_and_the_index() {
        let (ledger, review) = fixture(&[
            ("A", Standing::Changed),
            ("B", Standing::Blocked),
            ("C", Standing::Unissued),
        ]);
        let certificate = |number: &str, status| Assessment {
            plugin: "p".into(),
            market: "US".into(),
            certificate: Some(CertificateStatus {
                id: "c".into(),
                title: "T".into(),
                number: number.into(),
                status,
            }),
            requirements: vec![],
            labels: vec![],
            marks: vec![],
        };
        let assessed = Assessed {
            by_product: BTreeMap::from([(
                "x".to_string(),
                vec![
                    certificate("C", Readiness::Ready),
                    certificate("B", Readiness::Blocked),
                    certificate("A", Readiness::Ready),
                ],
            )]),
            diagnostics: vec![],
            failed: vec![],
        };
        let register = Register::new(&ledger, &review);
        // `C` is ready but was never issued: no number on a label (the bug this fixes).
        assert_eq!(register.numbers_in_force(&assessed, "x"), ["A"]);
        assert!(register.numbers_in_force(&assessed, "y").is_empty());
    }
}
