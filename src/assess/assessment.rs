//! What an assessment says: one product in one plugin's market, as plain data that
//! pages, labels, certificates and JSON all read. Both engines answer in these types;
//! a command plugin's response is read straight into them.

use crate::plugins::rules::EvidenceKind;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// One product in one plugin's market.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Assessment {
    pub plugin: String,
    pub market: String,
    /// None when the market has no certificate regime or no tested rule applies.
    pub certificate: Option<CertificateStatus>,
    pub requirements: Vec<RequirementStatus>,
    /// Texts the product's label must carry in this market.
    pub labels: Vec<LabelText>,
    /// Mark artwork ids the label must carry.
    pub marks: Vec<String>,
}

impl Assessment {
    /// Applicable requirements that are not satisfied.
    pub fn gaps(&self) -> impl Iterator<Item = &RequirementStatus> {
        self.requirements
            .iter()
            .filter(|r| r.status != Status::Satisfied)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CertificateStatus {
    pub id: String,
    pub title: String,
    /// `<PREFIX>-<PRODUCT ID>-<CERTIFICATE ID>`, upper-case (SPEC §6).
    pub number: String,
    pub status: Readiness,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Readiness {
    Ready,
    Blocked,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Satisfied,
    Missing,
    Failed,
    Expired,
    LabNotAccepted,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RequirementStatus {
    /// Shared with the plugin's rule and every other product's status for it.
    pub id: Arc<str>,
    pub cite: Arc<str>,
    pub title: Arc<str>,
    pub kind: EvidenceKind,
    pub status: Status,
    /// The report (or declaration) relied on, or the one that decided a failing status.
    #[serde(default)]
    pub evidence: Option<String>,
    /// Why it is not satisfied, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// For tested rules: which current report covers each lot.
    #[serde(default, skip_serializing_if = "Lots::is_empty")]
    pub lots: Lots,
    /// What the seller changes to satisfy it, and where: `check` prints it under the gap.
    /// Not part of the published JSON (it speaks to the seller, not to the public).
    #[serde(skip)]
    pub fix: Option<Box<Fix>>,
}

/// Lot code → report id, sorted by lot code: a map with a few entries, held as a sorted
/// list (a map node is room for eleven), read and written as a JSON object.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lots(Vec<(String, String)>);

impl Lots {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Sets `lot`'s report (replacing one set before).
    pub fn insert(&mut self, lot: String, report: String) {
        match self.0.binary_search_by(|(l, _)| l.as_str().cmp(&lot)) {
            Ok(i) => self.0[i].1 = report,
            Err(i) => self.0.insert(i, (lot, report)),
        }
    }

    pub fn get(&self, lot: &str) -> Option<&String> {
        self.0
            .binary_search_by(|(l, _)| l.as_str().cmp(lot))
            .ok()
            .map(|i| &self.0[i].1)
    }

    /// (lot, report) pairs, by lot.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0.iter().map(|(l, r)| (l, r))
    }

    /// Reports, by lot.
    pub fn values(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(_, r)| r)
    }
}

impl Serialize for Lots {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for Lots {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<String, String>::deserialize(deserializer)?;
        Ok(Lots(map.into_iter().collect()))
    }
}

/// How to close a gap, for the seller.
#[derive(Debug, Clone, PartialEq)]
pub struct Fix {
    pub at: FixAt,
    pub text: String,
}

/// Where in the product record a fix is made.
#[derive(Debug, Clone, PartialEq)]
pub enum FixAt {
    /// A top-level key (`evidence`, `importers`, `image`, ...).
    Key(String),
    /// One test report, by its `report` id.
    Report(String),
    /// One lot, by its code.
    Lot(String),
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LabelText {
    pub requirement: String,
    pub cite: String,
    pub text: String,
}
