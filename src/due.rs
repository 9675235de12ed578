//! Retest reminders (SPEC §13): the test reports that back a certificate today and
//! stop counting soon, because the certificate's rule pack retests every
//! `retest_months`. `check` warns of them and lists them as `due` in `check --json`;
//! `export calendar` puts them in a calendar. A report that has already lapsed is a gap
//! today (`expired`) and is not a reminder.

use crate::assess::{Assessed, Assessment, Status, months_before};
use crate::content::Product;
use crate::diagnostic::Diagnostic;
use crate::plugins::Engine;
use crate::plugins::rules::EvidenceKind;
use crate::site::Site;
use serde::Serialize;
use time::{Date, Month};

/// One report that backs one rule of one certificate, with the day it stops counting.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Due {
    pub product: String,
    /// The certificate's number.
    pub certificate: String,
    /// The certificate kind's title ("Children's Product Certificate").
    pub title: String,
    pub market: String,
    pub plugin: String,
    /// The rule's id, and what it cites.
    pub rule: String,
    pub cite: String,
    pub report: String,
    #[serde(serialize_with = "iso_date")]
    pub report_date: Date,
    pub retest_months: u32,
    /// The last day the report counts: a new report must be dated by then.
    #[serde(serialize_with = "iso_date")]
    pub valid_through: Date,
    /// The first day it no longer counts: from then the certificate is blocked.
    #[serde(serialize_with = "iso_date")]
    pub lapses: Date,
    /// Days from `as_of` to `lapses` (1: today is the last day it counts).
    pub days_left: i64,
    /// Whether the certificate is ready today: a lapse blocks it. When false it is
    /// already blocked by another gap, and the lapse adds one more.
    pub ready: bool,
    /// The lots the report covers, as its record says (empty: every lot). With product,
    /// certificate and rule it names the slot a retest fills, so a calendar event moves
    /// to the new report instead of staying.
    #[serde(skip)]
    pub lots: Vec<String>,
}

fn iso_date<S: serde::Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::date::iso(*d))
}

/// `date` plus `months`, keeping the day (clamped to the month's length); `None` past
/// the last date the calendar holds (year 9999).
fn months_after(date: Date, months: u32) -> Option<Date> {
    let total =
        i64::from(date.year()) * 12 + i64::from(u8::from(date.month())) - 1 + i64::from(months);
    let year = i32::try_from(total.div_euclid(12)).ok()?;
    let month = Month::try_from(total.rem_euclid(12) as u8 + 1).expect("1..=12");
    let day = date.day().min(time::util::days_in_month(month, year));
    Date::from_calendar_date(year, month, day).ok()
}

/// The first day on which a report dated `date` no longer counts under a `months`
/// retest interval: the first day whose cutoff ([`months_before`], as the assessment
/// computes it) is after `date`. Clamping makes that a few days after `date` + `months`
/// at the end of a month (a report of 28 February with a one-month interval still counts
/// on 31 March), so it is found from the assessment's own rule, not from arithmetic
/// that could disagree with it. `None` when that day is past the calendar's last: the
/// report never lapses as far as dates go.
pub fn lapses(date: Date, months: u32) -> Option<Date> {
    let mut day = months_after(date, months)?;
    while months_before(day, months) <= date {
        day = day.next_day()?;
    }
    Some(day)
}

/// Every report that backs a satisfied tested rule of a certificate today and lapses
/// within `window` days of `as_of` (every future lapse with `None`), sorted by lapse
/// date, then product, rule, certificate and report.
///
/// The reports that back a rule are those the assessment relied on: its evidence and
/// the report it found for each lot. Only rule packs say how often a rule is retested
/// (a command plugin's answer has no interval), so only their certificates are listed.
pub fn due(site: &Site, assessed: &Assessed, window: Option<u32>) -> Vec<Due> {
    let as_of = site.as_of;
    let mut found = Vec::new();
    // A withdrawn product's certificates are not in force whatever its reports say:
    // nothing of it is due.
    for product in site
        .content
        .products
        .iter()
        .filter(|p| p.status == crate::content::Status::Active)
    {
        let Some(list) = assessed.by_product.get(&product.id) else {
            continue;
        };
        for a in list {
            let Some(months) = retest_months(site, a) else {
                continue;
            };
            found.extend(for_assessment(product, a, months, as_of));
        }
    }
    found.retain(|d| d.days_left > 0 && window.is_none_or(|w| d.days_left <= i64::from(w)));
    sort(&mut found);
    found
}

/// In the order [`due`] lists them: by lapse date, then product, rule, certificate and
/// report (lists made of parts, such as `check`'s batches, are sorted again).
pub fn sort(list: &mut [Due]) {
    list.sort_by(|a, b| {
        (a.lapses, &a.product, &a.rule, &a.certificate, &a.report).cmp(&(
            b.lapses,
            &b.product,
            &b.rule,
            &b.certificate,
            &b.report,
        ))
    });
}

/// The retest interval of the assessment's certificate, from its rule pack.
fn retest_months(site: &Site, a: &Assessment) -> Option<u32> {
    let certificate = a.certificate.as_ref()?;
    let plugin = site.plugins.iter().find(|p| p.id == a.plugin)?;
    let Engine::Rules(rules) = &plugin.engine else {
        return None;
    };
    rules
        .certificates
        .iter()
        .find(|c| c.raw.id == certificate.id)?
        .raw
        .retest_months
}

fn for_assessment(product: &Product, a: &Assessment, months: u32, as_of: Date) -> Vec<Due> {
    let Some(certificate) = &a.certificate else {
        return Vec::new();
    };
    let ready = certificate.status == crate::assess::Readiness::Ready;
    let mut found = Vec::new();
    for r in &a.requirements {
        if r.kind != EvidenceKind::Test || r.status != Status::Satisfied {
            continue;
        }
        let mut backing: Vec<&str> = r.evidence.iter().map(String::as_str).collect();
        backing.extend(r.lots.values().map(String::as_str));
        backing.sort_unstable();
        backing.dedup();
        for id in backing {
            // "the record" (a rule the record satisfies) is no report and never lapses.
            let Some(e) = product.evidence.iter().find(|e| e.report == id) else {
                continue;
            };
            let Some(lapses) = lapses(e.date, months) else {
                continue;
            };
            // The report's own lots (none: all of them), as the record states them: a
            // retest of the same lots fills the same slot, whichever report is newest.
            let mut lots = e.lots.clone();
            lots.sort_unstable();
            lots.dedup();
            found.push(Due {
                product: product.id.clone(),
                certificate: certificate.number.clone(),
                title: certificate.title.clone(),
                market: a.market.clone(),
                plugin: a.plugin.clone(),
                rule: r.id.to_string(),
                cite: r.cite.to_string(),
                report: e.report.clone(),
                report_date: e.date,
                retest_months: months,
                valid_through: lapses.previous_day().expect("after the report's date"),
                lapses,
                days_left: (lapses - as_of).whole_days(),
                ready,
                lots,
            });
        }
    }
    found
}

/// `check`'s warning for one report of `product` that backs the rules in `group` (one
/// certificate's; they lapse together), at the report in the record.
fn warning(product: &Product, group: &[&Due]) -> Diagnostic {
    let d = group[0];
    let (line, column) = product.report_at(&d.report);
    let consequence = if d.ready {
        format!("or the certificate is blocked from {}", iso(d.lapses))
    } else {
        format!(
            "or the certificate, already blocked by another gap, has one more from {}",
            iso(d.lapses)
        )
    };
    let cites: Vec<&str> = group.iter().map(|d| d.cite.as_str()).collect();
    Diagnostic::warning(
        "retest-due",
        &product.file,
        format!(
            "{} ({}): report {} backs {} for the {} {} until {} ({}-month retest, {} left): test again by then, {consequence}",
            d.market,
            d.plugin,
            d.report,
            and_list(&cites),
            d.title,
            d.certificate,
            iso(d.valid_through),
            d.retest_months,
            days(d.days_left),
        ),
    )
    .at(line, column)
    .with_help(format!(
        "add the new report under `evidence`, covering {}, dated {} or earlier",
        and_list(
            &cites
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
        ),
        iso(d.valid_through)
    ))
}

/// `check`'s warnings for `due`: one per report and certificate, naming every rule the
/// report backs there (a report of several standards would otherwise repeat itself).
pub fn warnings(site: &Site, due: &[Due]) -> Vec<Diagnostic> {
    let mut groups: Vec<Vec<&Due>> = Vec::new();
    let mut index: std::collections::HashMap<(&str, &str, &str), usize> =
        std::collections::HashMap::new();
    for d in due {
        let key = (
            d.product.as_str(),
            d.certificate.as_str(),
            d.report.as_str(),
        );
        match index.get(&key) {
            Some(&i) => groups[i].push(d),
            None => {
                index.insert(key, groups.len());
                groups.push(vec![d]);
            }
        }
    }
    groups
        .iter()
        .filter_map(|g| Some(warning(site.content.product(&g[0].product)?, g)))
        .collect()
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// The certificates `due` would block, each with the first day it would be: one line
/// each, for the end of `check`'s output.
pub fn blocked_summary(due: &[Due], window: u32) -> Option<String> {
    let mut first: Vec<(&str, Date)> = Vec::new();
    for d in due.iter().filter(|d| d.ready) {
        match first.iter_mut().find(|(c, _)| *c == d.certificate) {
            Some((_, day)) => *day = (*day).min(d.lapses),
            None => first.push((&d.certificate, d.lapses)),
        }
    }
    if due.is_empty() {
        return None;
    }
    first.sort_by(|a, b| (a.1, a.0).cmp(&(b.1, b.0)));
    let mut reports: Vec<(&str, &str)> = due
        .iter()
        .map(|d| (d.product.as_str(), d.report.as_str()))
        .collect();
    reports.sort_unstable();
    reports.dedup();
    let mut text = format!(
        "Retests due: {} within {} of as_of.",
        if reports.len() == 1 {
            "1 report lapses".to_string()
        } else {
            format!("{} reports lapse", reports.len())
        },
        days(i64::from(window)),
    );
    if !first.is_empty() {
        text.push_str(" Certificates blocked unless retested:");
        for (c, day) in first {
            text.push_str(&format!("\n  {c} from {}", iso(day)));
        }
    }
    Some(text)
}

fn iso(d: Date) -> String {
    crate::date::iso(d)
}

fn days(n: i64) -> String {
    if n == 1 {
        "1 day".into()
    } else {
        format!("{n} days")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        crate::date::RecordDate::parse_day(s).unwrap()
    }

    #[test]
    fn a_report_counts_through_the_same_day_months_later() {
        let lapses = |date, months| lapses(d(date), months).unwrap();
        assert_eq!(lapses("2025-11-23", 12), d("2026-11-24"));
        assert_eq!(lapses("2026-01-15", 12), d("2027-01-16"));
        // Leap day: the cutoff of 2025-02-28 is 2024-02-28, before the report.
        assert_eq!(lapses("2024-02-29", 12), d("2025-03-01"));
        assert_eq!(lapses("2026-11-23", 0), d("2026-11-24"));
    }

    #[test]
    fn lapses_agree_with_the_assessment_at_month_ends() {
        // The cutoff of every day from 28 to 31 March is 28 February.
        assert_eq!(lapses(d("2026-02-28"), 1), Some(d("2026-04-01")));
        assert_eq!(lapses(d("2026-01-31"), 1), Some(d("2026-03-01")));
        for (date, months) in [("2026-02-28", 1), ("2025-08-31", 6), ("2024-02-29", 24)] {
            let (date, l) = (d(date), lapses(d(date), months).unwrap());
            assert!(months_before(l, months) > date);
            assert!(months_before(l.previous_day().unwrap(), months) <= date);
        }
    }

    #[test]
    fn a_lapse_past_the_calendar_is_none() {
        assert_eq!(lapses(d("9999-06-01"), 12), None);
        assert_eq!(lapses(d("2026-01-01"), u32::MAX), None);
    }
}
