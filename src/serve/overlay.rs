//! The error overlay of `certpress serve`: when the latest build failed, every page of the
//! last good build is shown under a panel listing the problems, so the author sees both
//! what broke and what the site looked like before.

use crate::diagnostic::{Diagnostic, Severity};
use crate::html::escape;
use std::fmt::Write as _;

/// Scoped by the panel's id so the site's CSS and ours leave each other alone; the
/// highest z-index and `position: fixed` keep it above whatever the theme draws.
const STYLE: &str = "#certpress-overlay{position:fixed;top:0;left:0;right:0;max-height:100vh;\
overflow:auto;z-index:2147483647;box-sizing:border-box;margin:0;padding:1rem 1.5rem;\
background:#1e1e1e;color:#f4f4f4;border-bottom:4px solid #ff6b6b;text-align:left;\
font:15px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}\
#certpress-overlay h2{margin:0 0 .75rem;font:inherit;font-size:1.2rem;font-weight:700;color:#ff8a8a}\
#certpress-overlay ol{margin:0;padding:0 0 0 1.5rem}\
#certpress-overlay li{margin:0 0 .75rem;white-space:pre-wrap;overflow-wrap:anywhere}\
#certpress-overlay .cp-loc{color:#9cdcfe}\
#certpress-overlay .cp-error{color:#ff8a8a;font-weight:700}\
#certpress-overlay .cp-warning{color:#ffd479;font-weight:700}\
#certpress-overlay .cp-code{color:#c8c8c8}\
#certpress-overlay .cp-help{display:block;color:#b5e8b0}\
#certpress-overlay p{margin:.5rem 0 0;color:#c8c8c8}";

/// The overlay for a failed build, or `None` when nothing in `problems` is an error
/// (warnings alone do not stop a build, so they do not cover the page).
pub fn html(problems: &[Diagnostic]) -> Option<String> {
    if !problems.iter().any(|d| d.severity == Severity::Error) {
        return None;
    }
    let mut out = String::with_capacity(2048);
    out.push_str("<div id=\"certpress-overlay\" role=\"alert\"><style>");
    out.push_str(STYLE);
    out.push_str("</style><h2>certpress: the site did not build</h2><ol>");
    for d in problems {
        entry(&mut out, d);
    }
    out.push_str("</ol><p>Fix the file and save: this page reloads by itself.</p></div>");
    Some(out)
}

fn entry(out: &mut String, d: &Diagnostic) {
    let severity = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let _ = write!(
        out,
        "<li><span class=\"cp-loc\">{}</span> <span class=\"cp-{severity}\">{severity}</span> \
         <span class=\"cp-code\">[{}]</span> {}",
        escape(&location(d)),
        escape(d.code),
        escape(&d.message),
    );
    if let Some(help) = &d.help {
        let _ = write!(out, "<span class=\"cp-help\">help: {}</span>", escape(help));
    }
    out.push_str("</li>");
}

/// `file:line:column`, leaving out what is unknown (0), like the terminal output does.
fn location(d: &Diagnostic) -> String {
    match (d.line, d.column) {
        (0, _) => d.file.clone(),
        (line, 0) => format!("{}:{line}", d.file),
        (line, column) => format!("{}:{line}:{column}", d.file),
    }
}

/// Puts `fragment` right after the opening `<body ...>` tag, so it is the first thing in
/// the page; a document without one gets it at the end, where browsers still show it.
pub fn inject(page: &[u8], fragment: &str) -> Vec<u8> {
    let at = body_open_end(page).unwrap_or(page.len());
    let mut out = Vec::with_capacity(page.len() + fragment.len());
    out.extend_from_slice(&page[..at]);
    out.extend_from_slice(fragment.as_bytes());
    out.extend_from_slice(&page[at..]);
    out
}

/// The offset just past the `>` of the first `<body` tag (not `<bodyfoo`), skipping `>`
/// inside quoted attribute values.
fn body_open_end(page: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(found) = find_ascii_ci(&page[from..], b"<body") {
        let after = from + found + b"<body".len();
        match page.get(after) {
            Some(b'>' | b'/') | Some(b' ' | b'\t' | b'\n' | b'\r' | b'\x0c') => {
                return tag_end(page, after);
            }
            _ => from = after,
        }
    }
    None
}

fn tag_end(page: &[u8], mut i: usize) -> Option<usize> {
    let mut quote = None;
    while let Some(&b) = page.get(i) {
        match (quote, b) {
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), _) if q == b => quote = None,
            (None, b'>') => return Some(i + 1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// First position of an ASCII `needle` in `hay`, ignoring ASCII case (HTML tag names).
pub(crate) fn find_ascii_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// Last position of an ASCII `needle` in `hay`, ignoring ASCII case.
pub(crate) fn rfind_ascii_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len())
        .rposition(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error() -> Diagnostic {
        Diagnostic::error(
            "unknown-party",
            "content/products/x.yaml",
            "party `<script>alert(1)</script>` & \"co\" isn't known",
        )
        .at(12, 7)
        .with_help("add it to content/parties/")
    }

    #[test]
    fn none_without_errors() {
        assert_eq!(html(&[]), None);
        let warning = Diagnostic::warning("w", "a.yaml", "careful");
        assert_eq!(html(&[warning]), None);
    }

    #[test]
    fn escapes_user_content() {
        let out = html(&[error()]).unwrap();
        assert!(!out.contains("<script>"), "{out}");
        assert!(out.contains(
            "party `&lt;script&gt;alert(1)&lt;/script&gt;` &amp; &quot;co&quot; isn&#39;t known"
        ));
        assert!(out.contains("help: add it to content/parties/"));
        assert!(out.contains("[unknown-party]"));
        assert!(out.contains("certpress: the site did not build"));
        assert!(out.contains("Fix the file and save: this page reloads by itself."));
    }

    #[test]
    fn positions_leave_out_what_is_unknown() {
        let out = html(&[
            error(),
            Diagnostic::error("a", "site.toml", "m").at(3, 0),
            Diagnostic::warning("b", "theme/x.html", "m"),
        ])
        .unwrap();
        assert!(out.contains(">content/products/x.yaml:12:7<"));
        assert!(out.contains(">site.toml:3<"));
        assert!(out.contains(">theme/x.html<"));
        assert!(out.contains(">warning<"));
        assert_eq!(out.matches("<li>").count(), 3);
    }

    #[test]
    fn injects_after_the_body_tag() {
        let page = b"<html><BODY class=\"a>b\" data-x='>'><p>hi</p></body></html>";
        let out = String::from_utf8(inject(page, "[O]")).unwrap();
        assert_eq!(
            out,
            "<html><BODY class=\"a>b\" data-x='>'>[O]<p>hi</p></body></html>"
        );
        let out = String::from_utf8(inject(b"<bodyx><body>", "[O]")).unwrap();
        assert_eq!(out, "<bodyx><body>[O]");
        let out = String::from_utf8(inject(b"<p>no body</p>", "[O]")).unwrap();
        assert_eq!(out, "<p>no body</p>[O]");
    }
}
