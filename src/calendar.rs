//! `export calendar` (SPEC §13): the retest due dates as an iCalendar file (RFC 5545),
//! for a compliance manager's calendar. It is never part of the public site: the
//! reports, labs and dates of retests are the seller's business.
//!
//! The file depends on the site and `as_of` alone (no clock, no random ids), so the
//! same site gives the same bytes, and a calendar that imports it again updates the
//! events it already has (same `UID`) instead of adding copies. An event is the slot a
//! retest fills (product, certificate, rule and the lots the report backs), not the
//! report: after a retest the new file moves the event to the new date (a higher
//! `SEQUENCE`, from the newer report's date) rather than leaving the old one behind.

use crate::due::Due;
use crate::site::Site;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use time::Date;

/// The calendar's file name in that folder.
pub const FILE: &str = "retests.ics";

/// The longest content line, in octets, before it is folded (RFC 5545 §3.1).
const LINE_OCTETS: usize = 75;

/// The calendar of `due` for `site`.
pub fn calendar(site: &Site, due: &[Due]) -> String {
    let mut out = Lines::default();
    out.line("BEGIN:VCALENDAR");
    out.line("VERSION:2.0");
    out.line("PRODID:-//certpress//Retest reminders//EN");
    out.line("CALSCALE:GREGORIAN");
    out.line("METHOD:PUBLISH");
    out.line(&format!(
        "X-WR-CALNAME:{}",
        text(&format!("Retests: {}", site.config.title))
    ));
    let host = site.config.base_url.host_str().unwrap_or("certpress");
    // Midnight UTC of as_of: when the file was made, as far as the records go.
    let stamp = format!("{}T000000Z", date(site.as_of));
    for d in due {
        let name = site
            .content
            .product(&d.product)
            .map_or(d.product.as_str(), |p| p.name.as_str());
        out.line("BEGIN:VEVENT");
        out.line(&format!("UID:{}@{}", uid(d), text(host)));
        out.line(&format!("DTSTAMP:{stamp}"));
        // Revisions of one event must rise (RFC 5545 §3.8.7.4): a retest is dated later.
        out.line(&format!("SEQUENCE:{}", sequence(d.report_date)));
        // An all-day event on the last day the report counts; it ends (exclusive) on
        // the day it lapses.
        out.line(&format!("DTSTART;VALUE=DATE:{}", date(d.valid_through)));
        out.line(&format!("DTEND;VALUE=DATE:{}", date(d.lapses)));
        out.line(&format!(
            "SUMMARY:{}",
            text(&format!(
                "Retest due: {} for {name} ({}, report {})",
                d.cite, d.certificate, d.report
            ))
        ));
        let blocked = if d.ready {
            "the certificate is blocked"
        } else {
            "the certificate (already blocked by another gap) has one more gap"
        };
        out.line(&format!(
            "DESCRIPTION:{}",
            text(&format!(
                "Report {} of {} backs {} (rule {}) for the {} {} of {name} (product {}), {} market, plugin {}.\nIt counts through {} ({}-month retest). Add a new report covering {} dated {} or earlier; from {} {blocked}.",
                d.report,
                crate::date::iso(d.report_date),
                d.cite,
                d.rule,
                d.title,
                d.certificate,
                d.product,
                d.market,
                d.plugin,
                crate::date::iso(d.valid_through),
                d.retest_months,
                d.cite,
                crate::date::iso(d.valid_through),
                crate::date::iso(d.lapses),
            ))
        ));
        out.line("CATEGORIES:Retest");
        // A reminder, not a meeting: it does not make anyone look busy.
        out.line("TRANSP:TRANSPARENT");
        out.line("END:VEVENT");
    }
    out.line("END:VCALENDAR");
    out.0
}

/// A stable event id: the same product, certificate, rule and lots give the same id on
/// every run, whichever report backs them.
fn uid(d: &Due) -> String {
    let mut h = Sha256::new();
    let parts = [&d.product, &d.certificate, &d.rule]
        .into_iter()
        .chain(&d.lots);
    for part in parts {
        h.update(part.as_bytes());
        // A separator no id holds, so ("a", "bc") and ("ab", "c") differ.
        h.update([0]);
    }
    let digest = h.finalize();
    let mut hex = String::from("retest-");
    for b in &digest[..16] {
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

/// The event's revision: days from 1970-01-01 to the report's date, so a later report
/// (a retest) revises the event and an earlier one never does.
fn sequence(report_date: Date) -> i64 {
    let epoch = time::macros::date!(1970 - 01 - 01);
    (report_date - epoch).whole_days().max(0)
}

/// `20270115`: a DATE value.
fn date(d: Date) -> String {
    format!("{:04}{:02}{:02}", d.year(), u8::from(d.month()), d.day())
}

/// A TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and newline escaped.
/// Other control characters are not allowed in TEXT; record text may hold them, so they
/// become spaces.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Content lines, each ended by CRLF and folded at 75 octets (RFC 5545 §3.1).
#[derive(Default)]
struct Lines(String);

impl Lines {
    fn line(&mut self, line: &str) {
        let mut room = LINE_OCTETS;
        let mut used = 0;
        for c in line.chars() {
            // Never inside a character: a fold splits between whole UTF-8 sequences.
            if used + c.len_utf8() > room {
                self.0.push_str("\r\n ");
                // The leading space of a continuation line counts.
                room = LINE_OCTETS - 1;
                used = 0;
            }
            self.0.push(c);
            used += c.len_utf8();
        }
        self.0.push_str("\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(text("a,b;c\\d\ne\r\n\u{1b}"), "a\\,b\\;c\\\\d\\ne\\n ");
    }

    #[test]
    fn long_lines_fold_between_characters() {
        let mut l = Lines::default();
        let long = format!("SUMMARY:{}", "é".repeat(80));
        l.line(&long);
        let lines: Vec<&str> = l.0.split("\r\n").collect();
        assert_eq!(lines.last(), Some(&""));
        for line in &lines[..lines.len() - 1] {
            assert!(line.len() <= LINE_OCTETS, "{line:?}");
        }
        assert!(lines[1].starts_with(' '));
        let unfolded = l.0.replace("\r\n ", "");
        assert_eq!(unfolded, format!("{long}\r\n"));
    }
}
