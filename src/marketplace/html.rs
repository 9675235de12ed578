//! `checklist.html`: the checklist as one page a seller opens from the folder, with no
//! script, font, image or style sheet from anywhere else (it may be read offline or
//! forwarded). Every value from the records is escaped: record text is anyone's.

use super::checklist::{Checklist, Item, Verdict};
use crate::html::escape;
use std::fmt::Write;

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}\
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.4rem;vertical-align:top;text-align:left}\
.pass{color:#0a6b2d}.fail{color:#b00020}.na{color:#666}.status{font-weight:bold;white-space:nowrap}\
code{background:#f3f3f3;padding:0 .2rem}small{color:#555}ul{margin:.3rem 0;padding-left:1.2rem}";

/// The page.
pub fn page(c: &Checklist) -> String {
    let mut h = String::new();
    let e = escape;
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <title>Marketplace checklist: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>Marketplace checklist: {}</h1>\n<p><small>Product <code>{}</code> ({}), market {}: \
         {} pass, {} fail.</small></p>\n",
        e(&c.name),
        e(&c.name),
        e(&c.product),
        e(&c.record),
        e(&c.market),
        c.passes,
        c.fails
    );
    match &c.certificate {
        Some(cert) => {
            let _ = writeln!(
                h,
                "<p>Certificate: <a href=\"{}\">{} v{}</a>, issued {}.</p>",
                e(&cert.file),
                e(&cert.number),
                cert.version,
                e(&cert.issued)
            );
        }
        None => h.push_str("<p>No certificate in force: no PDF is included.</p>\n"),
    }
    if !c.reports.is_empty() {
        h.push_str("<p>Test reports:</p>\n<ul>\n");
        for r in &c.reports {
            let _ = writeln!(
                h,
                "<li><a href=\"{}\">{}</a> (report {})</li>",
                e(&r.file),
                e(&r.file),
                e(&r.report)
            );
        }
        h.push_str("</ul>\n");
    }
    h.push_str("<table>\n<tr><th>Status</th><th>Check</th><th>Found, and what to fix</th></tr>\n");
    for item in &c.items {
        row(&mut h, item);
    }
    h.push_str("</table>\n</body>\n</html>\n");
    h
}

fn class(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "pass",
        Verdict::Fail => "fail",
        Verdict::NotApplicable => "na",
    }
}

fn row(h: &mut String, item: &Item) {
    let e = escape;
    let _ = write!(
        h,
        "<tr id=\"{}\"><td class=\"status {}\">{}</td><td>{}</td><td>{}",
        e(&item.id),
        class(item.status),
        item.status.as_str(),
        e(&item.title),
        e(&item.detail)
    );
    if !item.rules.is_empty() {
        h.push_str("<ul>");
        for r in &item.rules {
            let reports: Vec<String> = r
                .reports
                .iter()
                .map(|l| {
                    format!(
                        "{} by {} ({})",
                        e(&l.report),
                        e(&l.lab),
                        l.cpsc
                            .as_deref()
                            .map_or("no CPSC accreditation".into(), |id| format!(
                                "CPSC {}",
                                e(id)
                            ))
                    )
                })
                .collect();
            let _ = write!(
                h,
                "<li><span class=\"{}\">{}</span> {} — {}: {}</li>",
                class(r.status),
                r.status.as_str(),
                e(&r.cite),
                e(&r.title),
                if reports.is_empty() {
                    "no report".into()
                } else {
                    reports.join("; ")
                }
            );
        }
        h.push_str("</ul>");
    }
    if !item.warnings.is_empty() {
        h.push_str("<ul>");
        for w in &item.warnings {
            let _ = write!(
                h,
                "<li>{} ({}): “{}”{}</li>",
                e(&w.requirement),
                e(&w.cite),
                e(&w.text),
                if w.present {
                    ""
                } else {
                    " — not among the label texts"
                }
            );
        }
        h.push_str("</ul>");
    }
    if !item.fixes.is_empty() {
        h.push_str("<ul>");
        for f in &item.fixes {
            let _ = write!(
                h,
                "<li>Fix <code>{}</code> in <code>{}</code>: {}</li>",
                e(&f.field),
                e(&f.file),
                e(&f.text)
            );
        }
        h.push_str("</ul>");
    }
    if let Some(note) = &item.note {
        let _ = write!(h, "<br><small>{}</small>", e(note));
    }
    h.push_str("</td></tr>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_record_text_is_escaped() {
        assert_eq!(
            escape(r#"<script>alert("x&y")</script>'"#),
            "&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt;&#39;"
        );
    }
}
