//! A rule pack (SPEC §5): `define`s, `certificates`, `requirements` and `marks`, each
//! with a CEL condition. Raw structs mirror `plugin.yaml`; [`compile`] checks every
//! condition against the vocabulary's schema and keeps the compiled programs, once per
//! plugin.

use super::condition::{Condition, ConditionError, Scope, Ty};
use super::product::product_type;
// The product's fields as a rule pack's conditions read them, for the assessment, which
// builds only the fields its packs' conditions read.
pub use super::product::{PartyValues, product_fields};
use super::vocabulary::Vocabulary;
use crate::yaml::YamlPath;
use crate::ypath;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawCertificate {
    pub id: String,
    pub title: String,
    pub when: String,
    pub certifier: Certifier,
    /// `any`, or the accreditation scheme a lab must hold (e.g. `cpsc`).
    #[serde(default = "any_lab")]
    pub lab: String,
    /// Test reports older than this many months before `as_of` are expired.
    pub retest_months: Option<u32>,
    /// The theme template that renders the certificate (default `certificate.html`).
    pub template: Option<String>,
    /// Citation keys of standards the certificate lists when a report it relies on
    /// covers them (the harmonised standards of an EU declaration, Annex III item 6).
    #[serde(default)]
    pub standards: Vec<String>,
}

fn any_lab() -> String {
    "any".to_string()
}

/// Who issues the certificate (16 CFR 1110: the importer, or the domestic manufacturer).
#[derive(Deserialize, Serialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Certifier {
    Importer,
    Manufacturer,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawRequirement {
    pub id: String,
    /// The citation key evidence `covers`.
    pub cite: String,
    pub title: String,
    #[serde(default = "always")]
    pub when: String,
    pub evidence: EvidenceKind,
    /// The label text, for `evidence: label`.
    pub label: Option<String>,
    /// Other keys a report may use for the same rule (e.g. `ASTM F963-23`).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// The declaration key, for `evidence: declaration` (default: the requirement id).
    pub declaration: Option<String>,
    /// For `evidence: record`: the condition on the record that satisfies the rule
    /// (e.g. an importer established in the market).
    pub satisfied_when: Option<String>,
    /// Where the rule is confirmed (regulations.md section and source).
    pub source: Option<String>,
    /// regulations.md's confidence tag for the rule: `C` (confirmed) or `S` (secondary).
    pub confidence: Option<Confidence>,
    /// For `evidence: record`: what the product lacks, as the public pages say it
    /// ("needs <this>", e.g. "a colour image of the toy").
    pub needs: Option<String>,
    /// For `evidence: record`: what the seller adds or changes, and the record's
    /// top-level key where (`image`, `importers`): `check` prints it under the gap.
    pub fix: Option<String>,
    pub field: Option<String>,
    /// The certificates of this pack the rule belongs to: when given, it applies only
    /// to a product that gets one of them (after `when` holds). For what a certificate
    /// itself must state (16 CFR 1110.11's contacts, places and dates): a product that
    /// needs no certificate is not asked. A tested rule cannot have it, since tested
    /// rules decide whether a certificate is needed at all.
    #[serde(default)]
    pub certificates: Vec<String>,
    /// While it applies and its `satisfied_when` does not hold (a record rule), the
    /// product is held for a certificate (chosen by the certificates' `when` as usual,
    /// and blocked by this rule) even if no tested rule applies yet: for a rule that decides which tested rules apply, such as the
    /// age grade of a product made for children. Without it such a product would read
    /// "no certificate needed" until the record said enough.
    #[serde(default)]
    pub holds_certificate: bool,
}

fn always() -> String {
    "true".to_string()
}

#[derive(Deserialize, Serialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum EvidenceKind {
    Test,
    Declaration,
    Label,
    Info,
    /// Satisfied by the record itself, when `satisfied_when` holds.
    Record,
}

#[derive(Deserialize, Serialize, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confidence {
    C,
    S,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawMark {
    pub id: String,
    pub when: String,
    pub title: Option<String>,
}

/// Advice a pack gives about a record, reported as a warning: it blocks nothing (that is
/// what requirements do), but tells the seller what the record leaves undecided, e.g.
/// that a toy's age grade decides which rules apply.
#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawWarning {
    pub id: String,
    pub when: String,
    /// What the seller reads: which field to give or change, and why.
    pub message: String,
    /// Where the advice is confirmed (regulations.md section and source).
    pub source: Option<String>,
    pub confidence: Option<Confidence>,
}

/// The rule sections of `plugin.yaml`, as written.
#[derive(Debug, Clone, Default)]
pub struct RawRules {
    pub define: Vec<(String, String)>,
    pub certificates: Vec<RawCertificate>,
    pub requirements: Vec<RawRequirement>,
    pub marks: Vec<RawMark>,
    pub warnings: Vec<RawWarning>,
}

#[derive(Debug)]
pub struct Certificate {
    pub raw: RawCertificate,
    pub when: Condition,
}

#[derive(Debug)]
pub struct Requirement {
    pub raw: RawRequirement,
    /// `raw`'s id, cite and title as every assessment of the rule shares them.
    pub id: std::sync::Arc<str>,
    pub cite: std::sync::Arc<str>,
    pub title: std::sync::Arc<str>,
    pub when: Condition,
    /// For `evidence: record`.
    pub satisfied_when: Option<Condition>,
}

impl Requirement {
    /// Whether a report's `covers` entry names this rule.
    pub fn covered_by(&self, key: &str) -> bool {
        self.raw.cite == key || self.raw.aliases.iter().any(|a| a == key)
    }

    pub fn declaration_key(&self) -> &str {
        self.raw.declaration.as_deref().unwrap_or(&self.raw.id)
    }
}

#[derive(Debug)]
pub struct Mark {
    pub raw: RawMark,
    pub when: Condition,
}

#[derive(Debug)]
pub struct Warning {
    pub raw: RawWarning,
    pub when: Condition,
}

/// A compiled rule pack.
#[derive(Debug, Default)]
pub struct Rules {
    pub defines: Vec<(String, Condition)>,
    pub certificates: Vec<Certificate>,
    pub requirements: Vec<Requirement>,
    pub marks: Vec<Mark>,
    pub warnings: Vec<Warning>,
}

impl Rules {
    /// The defines that read nothing of the product (such as a list of member states),
    /// only literals and other constant defines: they are the same for every product, so
    /// the assessment evaluates them once rather than per product.
    pub fn constant_defines(&self) -> Vec<&str> {
        let mut constant: Vec<&str> = Vec::new();
        for (name, cond) in &self.defines {
            let reads_product = |r: &String| r == "product" || r.starts_with("product.");
            if cond
                .reads
                .iter()
                .all(|r| !reads_product(r) && constant.contains(&r.as_str()))
            {
                constant.push(name);
            }
        }
        constant
    }
}

/// A condition that failed to compile, with the path of the YAML string it is in.
#[derive(Debug)]
pub struct CompileError {
    pub path: YamlPath,
    pub error: ConditionError,
}

/// Compiles a condition that must be true or false.
fn compile_bool(
    src: &str,
    path: YamlPath,
    scope: &Scope,
    errors: &mut Vec<CompileError>,
) -> Option<Condition> {
    match Condition::compile(src, scope) {
        Ok((c, Ty::Bool | Ty::Dyn)) => Some(c),
        Ok((_, ty)) => {
            let message = format!("a condition must be true or false, this is {ty}");
            errors.push(CompileError {
                path,
                error: ConditionError { offset: 0, message },
            });
            None
        }
        Err(error) => {
            errors.push(CompileError { path, error });
            None
        }
    }
}

/// Compiles every condition of `raw` in order: a define may use the defines above it.
pub fn compile(raw: &RawRules, vocabulary: &Vocabulary) -> Result<Rules, Vec<CompileError>> {
    let mut scope = Scope::default().with("product", product_type(vocabulary));
    let mut errors = Vec::new();
    let mut rules = Rules::default();
    for (name, src) in &raw.define {
        match Condition::compile(src, &scope) {
            Ok((c, ty)) => {
                scope.insert(name, ty);
                rules.defines.push((name.clone(), c));
            }
            Err(error) => {
                // Keep the name known (as a bool, the usual case) so later conditions
                // do not all fail with "unknown name".
                scope.insert(name, Ty::Dyn);
                errors.push(CompileError {
                    path: ypath!["define", name],
                    error,
                });
            }
        }
    }
    for (i, c) in raw.certificates.iter().enumerate() {
        if let Some(when) = compile_bool(
            &c.when,
            ypath!["certificates", i, "when"],
            &scope,
            &mut errors,
        ) {
            rules.certificates.push(Certificate {
                raw: c.clone(),
                when,
            });
        }
    }
    for (i, r) in raw.requirements.iter().enumerate() {
        let when = compile_bool(
            &r.when,
            ypath!["requirements", i, "when"],
            &scope,
            &mut errors,
        );
        let satisfied_when = r.satisfied_when.as_deref().and_then(|src| {
            compile_bool(
                src,
                ypath!["requirements", i, "satisfied_when"],
                &scope,
                &mut errors,
            )
        });
        if let Some(when) = when {
            rules.requirements.push(Requirement {
                raw: r.clone(),
                id: r.id.as_str().into(),
                cite: r.cite.as_str().into(),
                title: r.title.as_str().into(),
                when,
                satisfied_when,
            });
        }
    }
    for (i, m) in raw.marks.iter().enumerate() {
        if let Some(when) = compile_bool(&m.when, ypath!["marks", i, "when"], &scope, &mut errors) {
            rules.marks.push(Mark {
                raw: m.clone(),
                when,
            });
        }
    }
    for (i, w) in raw.warnings.iter().enumerate() {
        if let Some(when) =
            compile_bool(&w.when, ypath!["warnings", i, "when"], &scope, &mut errors)
        {
            rules.warnings.push(Warning {
                raw: w.clone(),
                when,
            });
        }
    }
    if errors.is_empty() {
        Ok(rules)
    } else {
        Err(errors)
    }
}

/// Problems in a pack that are not about conditions: duplicate ids, a label
/// requirement without text, a declaration no vocabulary declares.
pub fn check(raw: &RawRules, vocabulary: &Vocabulary) -> Vec<(YamlPath, String)> {
    let mut out = Vec::new();
    let mut seen = BTreeMap::new();
    for (i, r) in raw.requirements.iter().enumerate() {
        if seen.insert(r.id.as_str(), i).is_some() {
            out.push((
                ypath!["requirements", i, "id"],
                format!("requirement id `{}` is used twice", r.id),
            ));
        }
        if r.evidence == EvidenceKind::Label && r.label.as_deref().is_none_or(str::is_empty) {
            out.push((
                ypath!["requirements", i, "evidence"],
                format!(
                    "requirement `{}` has evidence: label but no `label` text",
                    r.id
                ),
            ));
        }
        if (r.evidence == EvidenceKind::Record) != r.satisfied_when.is_some() {
            out.push((
                ypath!["requirements", i, "evidence"],
                format!("requirement `{}`: `satisfied_when` goes with evidence: record, and only with it", r.id),
            ));
        }
        if r.evidence == EvidenceKind::Declaration {
            let key = r.declaration.as_deref().unwrap_or(&r.id);
            if !vocabulary.declarations.contains_key(key) {
                out.push((
                    ypath!["requirements", i, "evidence"],
                    format!("requirement `{}` asks for declaration `{key}`, which no vocabulary declares", r.id),
                ));
            }
        }
    }
    for (i, r) in raw.requirements.iter().enumerate() {
        if !r.certificates.is_empty() && r.evidence == EvidenceKind::Test {
            out.push((
                ypath!["requirements", i, "certificates"],
                format!("requirement `{}`: a tested rule decides whether a certificate is needed, so it cannot depend on which one", r.id),
            ));
        }
        if r.holds_certificate && r.evidence != EvidenceKind::Record {
            out.push((
                ypath!["requirements", i, "holds_certificate"],
                format!("requirement `{}`: `holds_certificate` goes with evidence: record (the product is held while its `satisfied_when` does not hold)", r.id),
            ));
        }
        if r.holds_certificate && !r.certificates.is_empty() {
            out.push((
                ypath!["requirements", i, "holds_certificate"],
                format!("requirement `{}`: a rule that holds a product for a certificate cannot also depend on which certificate it gets", r.id),
            ));
        }
        for (j, c) in r.certificates.iter().enumerate() {
            if !raw.certificates.iter().any(|k| k.id == *c) {
                let known: Vec<&str> = raw.certificates.iter().map(|k| k.id.as_str()).collect();
                out.push((
                    ypath!["requirements", i, "certificates", j],
                    format!("requirement `{}` names certificate `{c}`, which this pack does not define (it defines: {})", r.id, known.join(", ")),
                ));
            }
        }
    }
    let mut certs = BTreeMap::new();
    for (i, c) in raw.certificates.iter().enumerate() {
        if certs.insert(c.id.as_str(), i).is_some() {
            out.push((
                ypath!["certificates", i, "id"],
                format!("certificate id `{}` is used twice", c.id),
            ));
        }
        if !crate::ident::is_valid_id(&c.id) {
            out.push((ypath!["certificates", i, "id"], format!("certificate id `{}` becomes part of certificate numbers: use lower-case letters, digits and `-`", c.id)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_defines_read_no_product() {
        let raw = RawRules {
            define: [
                ("states", "['AT', 'BE']"),
                ("belgium", "'BE' in states"),
                ("named", "product.id in states"),
                ("after", "named || belgium"),
            ]
            .map(|(n, c)| (n.to_string(), c.to_string()))
            .to_vec(),
            ..RawRules::default()
        };
        let rules = compile(&raw, &Vocabulary::default()).unwrap();
        assert_eq!(rules.constant_defines(), ["states", "belgium"]);
    }

    /// A requirement's `certificates` and `holds_certificate` are checked when the pack
    /// loads: no circular rule, no unknown certificate, nothing that could hold a product
    /// for a certificate once met.
    #[test]
    fn certificate_keys_of_requirements_are_checked() {
        let requirement = |yaml: &str| -> RawRequirement {
            serde_yaml::from_str(&format!("cite: X\ntitle: T\n{yaml}")).unwrap()
        };
        let certificate: RawCertificate =
            serde_yaml::from_str("id: cpc\ntitle: C\nwhen: \"true\"\ncertifier: importer").unwrap();
        let raw = RawRules {
            certificates: vec![certificate],
            requirements: vec![
                requirement("id: tested\nevidence: test\ncertificates: [cpc]"),
                requirement("id: unknown\nevidence: info\ncertificates: [gcc]"),
                requirement("id: held\nevidence: info\nholds_certificate: true"),
                requirement(
                    "id: both\nevidence: record\nsatisfied_when: \"false\"\nholds_certificate: true\ncertificates: [cpc]",
                ),
                requirement(
                    "id: fine\nevidence: record\nsatisfied_when: \"false\"\nholds_certificate: true",
                ),
                requirement("id: scoped\nevidence: info\ncertificates: [cpc]"),
            ],
            ..RawRules::default()
        };
        let problems: Vec<String> = check(&raw, &Vocabulary::default())
            .into_iter()
            .map(|(_, m)| m)
            .collect();
        let about = |id: &str| {
            problems
                .iter()
                .filter(|m| m.contains(&format!("`{id}`")))
                .count()
        };
        assert_eq!(about("tested"), 1, "{problems:#?}");
        assert_eq!(about("unknown"), 1, "{problems:#?}");
        assert_eq!(about("held"), 1, "{problems:#?}");
        assert_eq!(about("both"), 1, "{problems:#?}");
        assert_eq!(about("fine") + about("scoped"), 0, "{problems:#?}");
        assert!(problems.iter().any(|m| m.contains("(it defines: cpc)")));
    }
}
