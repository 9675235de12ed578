//! Assessing by a rule pack (SPEC §5.2): the pack's compiled conditions evaluated on
//! each product, in parallel, and the evidence in the record judged against the rules
//! that apply.

use super::assessment::{
    Assessment, CertificateStatus, Fix, FixAt, LabelText, Lots, Readiness, RequirementStatus,
    Status,
};
use super::memo::Memo;
use super::{Answer, ProductVal, Record};
use crate::content::{Evidence, Product, TestResult};
use crate::diagnostic::Diagnostic;
use crate::ident::Market;
use crate::plugins::Plugin;
use crate::plugins::rules::{EvidenceKind, Requirement, Rules};
use crate::site::Site;
use rayon::prelude::*;
use std::sync::Arc;
use time::{Date, Month};

/// One product's assessment (by product id) and the pack's warnings about it.
type Judged = ((String, Assessment), Vec<Diagnostic>);

/// What a pack's conditions decide about one product: all that the product's CEL value
/// is read for. The same for every product the pack's conditions read alike, so it is
/// what [`Memo`] remembers; the evidence is judged per product ([`judge`]).
#[derive(Debug)]
pub(super) struct Decision {
    /// The certificate (index in the pack's `certificates`), if one is needed.
    certificate: Option<usize>,
    /// The requirements that apply (index in the pack's `requirements`, in order), with
    /// what their `satisfied_when` said.
    requirements: Box<[(usize, Option<bool>)]>,
    /// The marks whose `when` holds (index in the pack's `marks`).
    marks: Box<[usize]>,
    /// The warnings whose `when` holds (index in the pack's `warnings`).
    warnings: Box<[usize]>,
}

/// The first condition that could not be evaluated: what it is (`define `x``,
/// `requirement `y``) and the evaluator's error.
#[derive(Debug)]
pub(super) struct Failure {
    what: String,
    error: String,
}

/// A pack's decision about one product, or the condition that failed.
pub(super) type Decided = Result<Decision, Failure>;

/// Where a product's decision is: remembered, or the `n`th of those evaluated now.
enum Source {
    Known(Arc<Decided>),
    Fresh(usize),
}

/// Assesses `products` by the pack `rules` of `plugin`, remembering its decisions in
/// `memo` (kept across calls for the same pack).
pub(super) fn assess(
    plugin: &Plugin,
    rules: &Rules,
    products: &[(&Product, &Record)],
    site: &Site,
    memo: &mut Memo<Decided>,
) -> Result<Answer, Diagnostic> {
    let prefix = &site.config.certificate_prefix;
    // Constant defines once per plugin; one that fails to evaluate is left to
    // the per-product pass, which reports it against the product.
    let mut constants: Vec<(&str, cel::Value)> = Vec::new();
    {
        let mut cx = cel::Context::default();
        for name in rules.constant_defines() {
            let Some((_, cond)) = rules.defines.iter().find(|(n, _)| n == name) else {
                continue;
            };
            if let Ok(v) = cond.eval(&cx) {
                cx.add_variable_from_value(name.to_string(), v.clone());
                constants.push((name, v));
            }
        }
    }
    let root = || {
        let mut cx = cel::Context::default();
        for (name, v) in &constants {
            cx.add_variable_from_value(name.to_string(), v.clone());
        }
        cx
    };
    let known: Vec<&str> = constants.iter().map(|(n, _)| *n).collect();
    // Each product's key, then its decision: remembered, or among those `missing`,
    // evaluated once per key not yet decided (on its first product) and once per
    // product that cannot be keyed.
    let keys: Vec<Option<Box<[u8]>>> = products
        .par_iter()
        .map(|(_, record)| memo.key(record.fields()))
        .collect();
    let mut decided: Vec<Source> = Vec::with_capacity(products.len());
    let mut missing: Vec<(usize, Option<&[u8]>)> = Vec::new();
    let mut pending: std::collections::HashMap<&[u8], usize> = std::collections::HashMap::new();
    for (i, key) in keys.iter().enumerate() {
        decided.push(match key {
            Some(key) => match memo.get(key) {
                Some(d) => Source::Known(Arc::clone(d)),
                None => Source::Fresh(*pending.entry(key).or_insert_with(|| {
                    missing.push((i, Some(&key[..])));
                    missing.len() - 1
                })),
            },
            None => {
                missing.push((i, None));
                Source::Fresh(missing.len() - 1)
            }
        });
    }
    let fresh: Vec<Arc<Decided>> = missing
        .par_iter()
        .map_init(root, |root, (i, _)| {
            let given = Given {
                root,
                constants: &known,
            };
            Arc::new(decide(&given, products[*i].1.converted(), rules))
        })
        .collect();
    for ((_, key), d) in missing.iter().zip(&fresh) {
        if let Some(key) = key {
            memo.insert((*key).into(), Arc::clone(d));
        }
    }
    let results: Vec<Result<Judged, Diagnostic>> = products
        .par_iter()
        .zip(&decided)
        .map(|((product, _), decided)| {
            let market = plugin
                .markets
                .iter()
                .find(|m| product.markets.contains(m))
                .expect("selected by market");
            let decided = match decided {
                Source::Known(d) => d,
                Source::Fresh(m) => &fresh[*m],
            };
            let decision = match &**decided {
                Ok(d) => d,
                Err(f) => return Err(evaluation_error(product, plugin, &f.what, &f.error)),
            };
            let (a, warnings) = judge(decision, product, plugin, rules, market, site.as_of, prefix);
            Ok(((product.id.clone(), a), warnings))
        })
        .collect();
    let mut answer = Answer {
        assessments: Vec::with_capacity(results.len()),
        diagnostics: Vec::new(),
    };
    for r in results {
        let (assessment, warnings) = r?;
        answer.assessments.push(assessment);
        answer.diagnostics.extend(warnings);
    }
    Ok(answer)
}

fn evaluation_error(product: &Product, plugin: &Plugin, what: &str, e: &str) -> Diagnostic {
    Diagnostic::error(
        "condition-failed",
        &product.file,
        format!("plugin `{}` could not evaluate {what} for this product: {e}", plugin.id),
    )
    .with_help(format!(
        "the condition in {} may read an optional field without has(); report it to the plugin's author",
        plugin.file
    ))
    .at(1, 1)
}

/// What every product of one plugin shares: a context holding the plugin's constant
/// defines, already evaluated, and their names.
struct Given<'a> {
    root: &'a cel::Context<'a, 'a>,
    constants: &'a [&'a str],
}

/// Evaluates the pack's conditions on one product's value, in the order a reader of the
/// pack expects: defines, requirements' `when`, what holds a certificate, certificates'
/// `when`, `satisfied_when`, marks and warnings. The first that fails is the answer.
fn decide(given: &Given, value: &ProductVal, rules: &Rules) -> Decided {
    let failed = |what: String| move |error: String| Failure { what, error };
    let mut cx = given.root.new_inner_scope();
    cx.set_variable_resolver(value);
    for (name, cond) in &rules.defines {
        if given.constants.contains(&name.as_str()) {
            continue;
        }
        let v = cond.eval(&cx).map_err(failed(format!("define `{name}`")))?;
        cx.add_variable_from_value(name.clone(), v);
    }
    let requirement = |r: &Requirement| format!("requirement `{}`", r.raw.id);
    let mut applicable: Vec<usize> = Vec::new();
    for (i, r) in rules.requirements.iter().enumerate() {
        if r.when.holds(&cx).map_err(failed(requirement(r)))? {
            applicable.push(i);
        }
    }
    // A product subject to no tested rule needs no certificate (SPEC §5.2), unless a
    // rule that decides which tested rules apply is still open (`holds_certificate`,
    // a record rule whose `satisfied_when` does not hold): once it is met, the tested
    // rules it decided say whether a certificate is needed.
    let mut held = false;
    for r in applicable
        .iter()
        .map(|&i| &rules.requirements[i])
        .filter(|r| r.raw.holds_certificate)
    {
        if let Some(check) = &r.satisfied_when {
            held |= !check.holds(&cx).map_err(failed(requirement(r)))?;
        }
    }
    let mut certificate = None;
    if held
        || applicable
            .iter()
            .any(|&i| rules.requirements[i].raw.evidence == EvidenceKind::Test)
    {
        for (i, c) in rules.certificates.iter().enumerate() {
            let what = || format!("certificate `{}`", c.raw.id);
            if c.when.holds(&cx).map_err(|e| failed(what())(e))? {
                certificate = Some(i);
                break;
            }
        }
    }
    // Rules that belong to certain certificates apply once the certificate is known.
    applicable.retain(|&i| {
        let r = &rules.requirements[i];
        r.raw.certificates.is_empty()
            || certificate
                .is_some_and(|c| r.raw.certificates.contains(&rules.certificates[c].raw.id))
    });
    let mut requirements = Vec::with_capacity(applicable.len());
    for i in applicable {
        let r = &rules.requirements[i];
        let satisfied = match &r.satisfied_when {
            Some(check) => Some(check.holds(&cx).map_err(failed(requirement(r)))?),
            None => None,
        };
        requirements.push((i, satisfied));
    }
    let mut marks = Vec::new();
    for (i, m) in rules.marks.iter().enumerate() {
        if m.when
            .holds(&cx)
            .map_err(failed(format!("mark `{}`", m.raw.id)))?
        {
            marks.push(i);
        }
    }
    let mut warnings = Vec::new();
    for (i, w) in rules.warnings.iter().enumerate() {
        if w.when
            .holds(&cx)
            .map_err(failed(format!("warning `{}`", w.raw.id)))?
        {
            warnings.push(i);
        }
    }
    Ok(Decision {
        certificate,
        requirements: requirements.into(),
        marks: marks.into(),
        warnings: warnings.into(),
    })
}

/// One product's assessment in one plugin's market from what the pack's conditions
/// decided about it, the evidence in its record judged; with the pack's warnings.
fn judge(
    decision: &Decision,
    product: &Product,
    plugin: &Plugin,
    rules: &Rules,
    market: &Market,
    as_of: Date,
    prefix: &str,
) -> (Assessment, Vec<Diagnostic>) {
    let certificate = decision.certificate.map(|i| &rules.certificates[i]);
    let lab_rule = certificate.map_or("any", |c| c.raw.lab.as_str());
    let retest = certificate.and_then(|c| c.raw.retest_months);
    let mut requirements = Vec::with_capacity(decision.requirements.len());
    for &(i, satisfied) in &decision.requirements {
        let r = &rules.requirements[i];
        let mut status = requirement_status(r, product, lab_rule, retest, as_of);
        match satisfied {
            None => {}
            Some(true) => status.evidence = Some("the record".into()),
            Some(false) => {
                status.status = Status::Missing;
                status.detail = Some(match &r.raw.needs {
                    Some(needs) => format!("needs {needs}"),
                    None => format!("not shown by the record: {}", r.raw.title),
                });
                status.fix = r.raw.fix.as_ref().map(|text| {
                    fix(
                        FixAt::Key(r.raw.field.clone().unwrap_or_else(|| "id".into())),
                        text.clone(),
                    )
                });
            }
        }
        requirements.push(status);
    }
    let labels = decision
        .requirements
        .iter()
        .map(|&(i, _)| &rules.requirements[i])
        .filter(|r| r.raw.evidence == EvidenceKind::Label)
        .filter_map(|r| {
            r.raw.label.as_ref().map(|text| LabelText {
                requirement: r.raw.id.clone(),
                cite: r.raw.cite.clone(),
                text: text.clone(),
            })
        })
        .collect();
    let marks = decision
        .marks
        .iter()
        .map(|&i| rules.marks[i].raw.id.clone())
        .collect();
    let warnings = decision
        .warnings
        .iter()
        .map(|&i| {
            let (line, column) = product.id_at;
            Diagnostic::warning(
                "pack-warning",
                &product.file,
                format!(
                    "{} ({}): {}",
                    market.code(),
                    plugin.id,
                    rules.warnings[i].raw.message
                ),
            )
            .at(line, column)
        })
        .collect();
    let certificate = certificate.map(|c| CertificateStatus {
        id: c.raw.id.clone(),
        title: c.raw.title.clone(),
        number: format!("{prefix}-{}-{}", product.id, c.raw.id).to_ascii_uppercase(),
        status: if requirements.iter().all(|r| r.status == Status::Satisfied) {
            Readiness::Ready
        } else {
            Readiness::Blocked
        },
    });
    let assessment = Assessment {
        plugin: plugin.id.clone(),
        market: market.code().to_string(),
        certificate,
        requirements,
        labels,
        marks,
    };
    (assessment, warnings)
}

/// `as_of` minus `months`, keeping the day (clamped to the month's length).
pub fn months_before(as_of: Date, months: u32) -> Date {
    let total = as_of.year() * 12 + i32::from(u8::from(as_of.month())) - 1 - months as i32;
    let (year, month0) = (total.div_euclid(12), total.rem_euclid(12));
    let month = Month::try_from(month0 as u8 + 1).expect("1..=12");
    let day = as_of.day().min(time::util::days_in_month(month, year));
    Date::from_calendar_date(year, month, day).expect("clamped day exists")
}

fn requirement_status(
    r: &Requirement,
    product: &Product,
    lab_rule: &str,
    retest: Option<u32>,
    as_of: Date,
) -> RequirementStatus {
    let mut s = RequirementStatus {
        id: Arc::clone(&r.id),
        cite: Arc::clone(&r.cite),
        title: Arc::clone(&r.title),
        kind: r.raw.evidence,
        status: Status::Satisfied,
        evidence: None,
        detail: None,
        lots: Lots::default(),
        fix: None,
    };
    match r.raw.evidence {
        // Record evidence is judged by its `satisfied_when` condition, by the caller.
        EvidenceKind::Info | EvidenceKind::Label | EvidenceKind::Record => {}
        EvidenceKind::Declaration => {
            let key = r.declaration_key();
            if product.declarations.get(key) == Some(&true) {
                s.evidence = Some(format!("declaration: {key}"));
            } else {
                s.status = Status::Missing;
                s.detail = Some(format!("not declared: {}", r.raw.title));
                s.fix = Some(fix(
                    FixAt::Key("declarations".into()),
                    format!("once it holds, add `{key}: true` under `declarations`"),
                ));
            }
        }
        EvidenceKind::Test => test_status(&mut s, r, product, lab_rule, retest, as_of),
    }
    s
}

/// Newest first; the report id breaks ties so the choice never depends on file order.
fn newest_first(mut reports: Vec<&Evidence>) -> Vec<&Evidence> {
    reports.sort_by(|a, b| (b.date, &b.report).cmp(&(a.date, &a.report)));
    reports
}

fn test_status(
    s: &mut RequirementStatus,
    r: &Requirement,
    product: &Product,
    lab_rule: &str,
    retest: Option<u32>,
    as_of: Date,
) {
    let (covering, mut future): (Vec<&Evidence>, Vec<&Evidence>) = product
        .evidence
        .iter()
        .filter(|e| e.covers.iter().any(|k| r.covered_by(k)))
        .partition(|e| e.date <= as_of);
    // A report dated after `as_of` has not happened: it backs nothing (a typo in its
    // year would otherwise make a certificate valid that never expires).
    let covering = newest_first(covering);
    let Some(newest) = covering.first() else {
        s.status = Status::Missing;
        future.sort_by(|a, b| (a.date, &a.report).cmp(&(b.date, &b.report)));
        match future.first() {
            Some(f) => {
                s.detail = Some(format!(
                    "no report dated on or before {} covers {}; the earliest that does, {}, is dated {}",
                    crate::date::iso(as_of),
                    r.raw.cite,
                    f.report,
                    crate::date::iso(f.date)
                ));
                s.fix = Some(fix(
                    FixAt::Report(f.report.clone()),
                    format!(
                        "check the `date` of report {}: a report counts from the day it is dated",
                        f.report
                    ),
                ));
            }
            None => {
                s.detail = Some(format!("no test report covers {}", r.raw.cite));
                s.fix = Some(missing_fix(product, r, lab_rule, as_of));
            }
        }
        return;
    };
    if newest.result == TestResult::Fail {
        s.status = Status::Failed;
        s.evidence = Some(newest.report.clone());
        s.detail = Some(format!(
            "report {} ({}) failed",
            newest.report,
            crate::date::iso(newest.date)
        ));
        s.fix = Some(fix(
            FixAt::Key("evidence".into()),
            format!(
                "the newest report covering {} failed: once the product is put right, add a passing report under `evidence`",
                r.raw.cite
            ),
        ));
        return;
    }
    let passing: Vec<&Evidence> = covering
        .iter()
        .copied()
        .filter(|e| e.result == TestResult::Pass)
        .collect();
    let accepted: Vec<&Evidence> = passing
        .iter()
        .copied()
        .filter(|e| lab_rule == "any" || e.lab.accreditations.contains_key(lab_rule))
        .collect();
    let Some(newest_accepted) = accepted.first() else {
        let e = passing[0];
        s.status = Status::LabNotAccepted;
        s.evidence = Some(e.report.clone());
        s.detail = Some(format!(
            "report {} is from {}, which is not {}",
            e.report,
            e.lab.name,
            lab_phrase(lab_rule)
        ));
        s.fix = Some(fix(
            FixAt::Report(e.report.clone()),
            format!(
                "use a report from {}; if {} is one, add its `{lab_rule}` id under `accreditations` in its party record",
                lab_phrase(lab_rule),
                e.lab.name
            ),
        ));
        return;
    };
    let cutoff = retest.map(|m| months_before(as_of, m));
    let current: Vec<&Evidence> = accepted
        .iter()
        .copied()
        .filter(|e| cutoff.is_none_or(|c| e.date >= c))
        .collect();
    if current.is_empty() {
        s.status = Status::Expired;
        s.evidence = Some(newest_accepted.report.clone());
        s.detail = Some(format!(
            "the newest accepted report, {} of {}, is older than {} months before {}",
            newest_accepted.report,
            crate::date::iso(newest_accepted.date),
            retest.unwrap_or_default(),
            crate::date::iso(as_of)
        ));
        s.fix = Some(fix(
            FixAt::Key("evidence".into()),
            format!(
                "add a report dated {} or later that covers {} (this rule is retested every {} months)",
                crate::date::iso(cutoff.unwrap_or(as_of)),
                r.raw.cite,
                retest.unwrap_or_default()
            ),
        ));
        return;
    }
    s.evidence = Some(current[0].report.clone());
    // Every lot needs a current report: one that lists it, or lists no lots (all lots).
    // A lot made after `as_of` has not been made: no report can have tested it.
    let (made, unmade): (Vec<&crate::content::Lot>, Vec<&crate::content::Lot>) = product
        .lots
        .iter()
        .partition(|l| l.made.first_day() <= as_of);
    if let Some(l) = unmade.first() {
        s.status = Status::Missing;
        s.detail = Some(format!(
            "lot {} is made {}, after {}",
            l.lot,
            l.made,
            crate::date::iso(as_of)
        ));
        s.fix = Some(fix(
            FixAt::Lot(l.lot.clone()),
            format!("check the `made` date of lot {}", l.lot),
        ));
        return;
    }
    let mut uncovered = Vec::new();
    for lot in made {
        match current
            .iter()
            .find(|e| e.lots.is_empty() || e.lots.contains(&lot.lot))
        {
            Some(e) => {
                s.lots.insert(lot.lot.clone(), e.report.clone());
            }
            None => uncovered.push(lot.lot.as_str()),
        }
    }
    if !uncovered.is_empty() {
        s.status = Status::Missing;
        s.detail = Some(format!(
            "no current report covers lot {}",
            uncovered.join(", ")
        ));
        s.fix = Some(fix(
            FixAt::Key("evidence".into()),
            format!(
                "add lot {} to the `lots` of a current report covering {} (a report without `lots` covers every lot)",
                uncovered.join(", "),
                r.raw.cite
            ),
        ));
    }
}

fn fix(at: FixAt, text: String) -> Box<Fix> {
    Box::new(Fix { at, text })
}

/// A lab meeting `rule`, in words.
fn lab_phrase(rule: &str) -> String {
    match rule {
        "any" => "a testing lab".into(),
        "cpsc" => "a CPSC-accepted lab".into(),
        "iso17025" => "an ISO/IEC 17025 accredited lab".into(),
        other => format!("a lab with a `{other}` accreditation"),
    }
}

/// How to add the report no report gives: name the report that most likely tested it
/// (the newest passing one from an acceptable lab, already dated), else ask for one.
fn missing_fix(product: &Product, r: &Requirement, lab_rule: &str, as_of: Date) -> Box<Fix> {
    let candidate = newest_first(
        product
            .evidence
            .iter()
            .filter(|e| {
                e.result == TestResult::Pass
                    && e.date <= as_of
                    && (lab_rule == "any" || e.lab.accreditations.contains_key(lab_rule))
            })
            .collect(),
    );
    match candidate.first() {
        Some(e) => fix(
            FixAt::Report(e.report.clone()),
            format!(
                "if report {} tested it, add `{}` to its `covers`; otherwise add a report under `evidence` that covers it, from {}",
                e.report,
                r.raw.cite,
                lab_phrase(lab_rule)
            ),
        ),
        None => fix(
            FixAt::Key("evidence".into()),
            format!(
                "add a report under `evidence` that covers `{}`, from {}",
                r.raw.cite,
                lab_phrase(lab_rule)
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_before_clamps_the_day() {
        let d = |s| crate::date::RecordDate::parse_day(s).unwrap();
        assert_eq!(months_before(d("2026-11-23"), 12), d("2025-11-23"));
        assert_eq!(months_before(d("2026-03-31"), 1), d("2026-02-28"));
        assert_eq!(months_before(d("2024-03-31"), 1), d("2024-02-29"));
        assert_eq!(months_before(d("2026-01-15"), 36), d("2023-01-15"));
    }
}
