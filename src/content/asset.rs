//! What may be published from `content/assets/`. Assets are served from the site's own
//! origin, so a file a browser runs (an HTML page, a script, an SVG with a script in it)
//! could act as the site: read its pages, rewrite what a visitor sees of a certificate.
//! certpress refuses such active content instead of sanitising it: a certificate site
//! needs pictures and report PDFs, not programs, and a refused file says why, where a
//! silently altered one would surprise its author.

use crate::diagnostic::Diagnostic;
use crate::source;
use std::path::Path;

/// What may be published from `content/assets/`, by extension: pictures, documents and
/// media a browser shows or downloads but never runs. Anything else (`.html`, `.js`,
/// `.xml`, `.svgz`, a file with no extension, ...) is refused: the list of types a
/// browser runs, or will run one day, is longer than the list of types a site needs.
const PUBLISHED: [&str; 25] = [
    "jpg", "jpeg", "png", "gif", "webp", "avif", "svg", "ico", "bmp", "tif", "tiff", "pdf", "txt",
    "csv", "xlsx", "xls", "docx", "doc", "odt", "ods", "mp4", "webm", "woff", "woff2", "zip",
];

/// The most an SVG asset may be to be checked (drawings from mapping tools run to
/// megabytes; larger than this is not a picture for a certificate page).
const MAX_SVG_BYTES: u64 = 64 * 1024 * 1024;

/// SVG elements that run script, or embed a document that can.
const ACTIVE_ELEMENTS: [&str; 8] = [
    "script",
    "foreignObject",
    "iframe",
    "embed",
    "object",
    "handler",
    "listener",
    "frame",
];

/// URL schemes a link or reference in an SVG may use; anything else (`javascript:`,
/// `vbscript:`, `data:text/html`, ...) is refused. Relative and `#fragment` references
/// have no scheme.
const SCHEMES: [&str; 3] = ["http", "https", "mailto"];

/// `data:` URLs an SVG may embed: raster images, which cannot run anything.
const DATA_IMAGES: [&str; 5] = [
    "data:image/png",
    "data:image/jpeg",
    "data:image/gif",
    "data:image/webp",
    "data:image/avif",
];

/// Problems with the asset at `path` (under `content/assets/`), an error each.
pub fn check(root: &Path, path: &Path) -> Vec<Diagnostic> {
    let rel = source::relative(root, path);
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if !PUBLISHED.contains(&ext.as_str()) {
        let what = if ext.is_empty() {
            "a file without an extension".to_string()
        } else {
            format!("a .{ext} file")
        };
        return vec![
            Diagnostic::error(
                "active-content",
                rel,
                format!("{what} is not published: a browser could run it as part of the site"),
            )
            .with_help(format!(
                "content/assets/ publishes {}; link other pages instead",
                PUBLISHED.join(", ")
            )),
        ];
    }
    if ext != "svg" {
        return Vec::new();
    }
    let text = match source::read_text_capped(root, path, MAX_SVG_BYTES, "an SVG asset") {
        Ok(t) => t,
        Err(d) => return vec![d],
    };
    svg(&text)
        .err()
        .map(|(offset, message)| {
            let (line, column) = crate::diagnostic::line_col(&text, offset);
            Diagnostic::error("active-content", rel, message)
                .at(line, column)
                .with_help(
                    "remove scripts, event handlers and script links from the SVG \
                     (or export it again as a plain image)",
                )
        })
        .into_iter()
        .collect()
}

/// Checks an SVG has nothing that runs: no script elements or embedded documents, no
/// event-handler attributes, no reference with a scheme that runs, no animation that
/// sets a link. The error is (byte offset, message).
pub fn svg(text: &str) -> Result<(), (usize, String)> {
    let options = roxmltree::ParsingOptions {
        // Drawing programs write a DOCTYPE; roxmltree bounds entity expansion.
        allow_dtd: true,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(text, options).map_err(|e| {
        (
            offset_of(text, e.pos()),
            format!("the SVG does not parse: {e}"),
        )
    })?;
    // A DOCTYPE may declare attribute defaults (`<!ATTLIST svg onload ...>`, a default
    // `xmlns` that turns elements into HTML) that a browser applies and roxmltree does
    // not report: nothing in a picture needs them.
    if let Some(at) = find_ascii_ci(text, "<!ATTLIST") {
        return Err((
            at,
            "the SVG's DOCTYPE declares attributes, which can add script".into(),
        ));
    }
    for node in doc.descendants() {
        // `<?xml-stylesheet?>` can transform the file with XSLT into a page that runs.
        if let Some(pi) = node.pi()
            && pi.target.eq_ignore_ascii_case("xml-stylesheet")
        {
            return Err((
                node.range().start,
                "the SVG has an xml-stylesheet instruction, which can run script".into(),
            ));
        }
    }
    for node in doc.descendants().filter(|n| n.is_element()) {
        let name = node.tag_name();
        let at = node.range().start;
        if ACTIVE_ELEMENTS
            .iter()
            .any(|a| a.eq_ignore_ascii_case(name.name()))
            || matches!(
                name.namespace(),
                Some("http://www.w3.org/1999/xhtml" | "http://www.w3.org/1999/XSL/Transform")
            )
        {
            return Err((
                at,
                format!(
                    "the SVG has a <{}> element, which can run script",
                    name.name()
                ),
            ));
        }
        let animates_link = matches!(name.name(), "set" | "animate")
            && node
                .attribute("attributeName")
                .is_some_and(|a| a.trim().ends_with("href"));
        if animates_link {
            return Err((
                at,
                format!(
                    "the SVG's <{}> changes a link, which can run script",
                    name.name()
                ),
            ));
        }
        for attr in node.attributes() {
            let local = attr.name();
            let at = attr.range().start;
            if local.len() > 2 && local[..2].eq_ignore_ascii_case("on") {
                return Err((
                    at,
                    format!("the SVG has an event handler `{local}`, which runs script"),
                ));
            }
            if matches!(local, "href" | "src" | "action" | "formaction")
                && !allowed_reference(attr.value())
            {
                return Err((
                    at,
                    format!(
                        "the SVG links to `{}`, a kind of link that can run script",
                        attr.value().chars().take(60).collect::<String>()
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// A reference with no scheme, an allowed scheme, or a raster `data:` image. Browsers
/// ignore tabs, newlines and leading spaces in a scheme, so they are ignored here too.
fn allowed_reference(value: &str) -> bool {
    let cleaned: String = value
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    // A scheme is letters, digits, `+`, `-`, `.` before the first `:`, ahead of any `/?#`.
    let scheme = cleaned.split_once(':').map(|(s, _)| s).filter(|s| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    match scheme {
        None => true,
        Some("data") => DATA_IMAGES.iter().any(|p| {
            cleaned
                .strip_prefix(p)
                .is_some_and(|rest| rest.starts_with(';') || rest.starts_with(','))
        }),
        Some(s) => SCHEMES.contains(&s),
    }
}

/// Byte offset of `needle` (ASCII) in `text`, ignoring ASCII case.
fn find_ascii_ci(text: &str, needle: &str) -> Option<usize> {
    text.as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

fn offset_of(text: &str, pos: roxmltree::TextPos) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(pos.row.saturating_sub(1) as usize)
        .map(str::len)
        .sum();
    let col: usize = text[line_start..]
        .chars()
        .take(pos.col.saturating_sub(1) as usize)
        .map(char::len_utf8)
        .sum();
    (line_start + col).min(text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svgs_that_run_script_are_refused() {
        let plain = r##"<?xml version="1.0"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10">
  <defs><linearGradient id="g"/></defs>
  <rect width="10" height="10" fill="url(#g)"/>
  <use xlink:href="#g"/><a href="https://example.com/x"><text>ok</text></a>
  <image href="data:image/png;base64,iVBORw0KGgo="/><image href="pic.png"/>
</svg>"##;
        assert_eq!(svg(plain), Ok(()));
        let svg_with = |inner: &str| {
            format!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">{inner}</svg>"#
            )
        };
        for bad in [
            "<script>alert(1)</script>",
            "<SCRIPT xmlns='http://www.w3.org/2000/svg'/>",
            "<rect onload=\"alert(1)\"/>",
            "<rect ONCLICK=\"alert(1)\"/>",
            "<a href=\"javascript:alert(1)\"><text>x</text></a>",
            "<a xlink:href=\" jav&#x09;ascript:alert(1)\"><text>x</text></a>",
            "<a href=\"data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;\"/>",
            "<image href=\"data:image/svg+xml;base64,PHN2Zz4=\"/>",
            "<foreignObject><body xmlns=\"http://www.w3.org/1999/xhtml\"/></foreignObject>",
            "<div xmlns=\"http://www.w3.org/1999/xhtml\"/>",
            "<a><set attributeName=\"href\" to=\"javascript:alert(1)\"/></a>",
            "<iframe src=\"https://x\"/>",
            "<x:template xmlns:x=\"http://www.w3.org/1999/XSL/Transform\"/>",
        ] {
            let text = svg_with(bad);
            assert!(svg(&text).is_err(), "{bad}");
        }
        // What a browser applies from the prologue (found by review in Chromium).
        for bad in [
            "<!DOCTYPE svg [ <!ATTLIST svg onload CDATA \"alert(1)\"> ]>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
            "<!DOCTYPE svg [ <!attlist img xmlns CDATA \"http://www.w3.org/1999/xhtml\"> ]>\n<svg xmlns=\"http://www.w3.org/2000/svg\"><img/></svg>",
            "<?xml-stylesheet type=\"text/xsl\" href=\"x.svg\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
        ] {
            assert!(svg(bad).is_err(), "{bad}");
        }
        assert!(svg("<svg><rect").is_err());
    }
}
