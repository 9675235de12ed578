//! HTML that certpress writes itself, outside templates (tera escapes those): the `serve`
//! error overlay, the marketplace checklist page and the stubs published at a page's second
//! URL. Record text and messages quoting it are anyone's.

/// `text` safe in HTML element content and in quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The page published at a second URL of a page (`[build] digital_link` and
/// `version_in_force` = "stub"; a few hundred bytes): canonical to the page, sending the
/// browser on to it with a zero-second refresh (one hop on any static host, no redirect
/// rules), with a link for a browser that does not refresh, and kept out of search
/// indexes. `canonical` is the page's absolute URL (as the page names itself), `target`
/// and `linkset` (a GS1 Digital Link path's linkset) are under the site's path prefix like
/// every other link.
pub fn stub(
    language: &str,
    title: &str,
    canonical: &str,
    target: &str,
    linkset: Option<&str>,
) -> String {
    let linkset = linkset.map_or(String::new(), |l| {
        format!(
            "<link rel=\"linkset\" type=\"application/linkset+json\" href=\"{}\">\n",
            escape(l)
        )
    });
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{title}</title>\n<meta name=\"robots\" content=\"noindex\">\n\
         <link rel=\"canonical\" href=\"{canonical}\">\n{linkset}\
         <meta http-equiv=\"refresh\" content=\"0; url={target}\">\n</head>\n\
         <body>\n<p><a href=\"{target}\">{title}</a></p>\n</body>\n</html>\n",
        lang = escape(language),
        title = escape(title),
        canonical = escape(canonical),
        target = escape(target),
    )
}

/// `html` with the indentation templates leave between and inside elements taken out:
/// every run of white space that holds a line break becomes one line break. A browser
/// shows the page the same (a run of white space in text is one space, a line break
/// included) except inside `<pre>` and `<textarea>`, which are kept as they are, like
/// `<script>` and `<style>` and attribute values. About 15% of a product page.
pub fn compact(html: &str) -> String {
    let b = html.as_bytes();
    let mut out = String::with_capacity(html.len());
    // Start of the text not yet copied.
    let mut from = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'<' => {
                // A tag, comment or declaration, copied as it is up to its end; then a
                // raw element's content up to its end tag.
                let end = tag_end(b, i);
                let raw = raw_element(&b[i..end]);
                i = match raw {
                    Some(name) => find_end_tag(b, end, name),
                    None => end,
                };
            }
            c if c.is_ascii_whitespace() => {
                let start = i;
                while i < b.len() && b[i].is_ascii_whitespace() {
                    i += 1;
                }
                if b[start..i].contains(&b'\n') && (i - start > 1 || b[start] != b'\n') {
                    out.push_str(&html[from..start]);
                    out.push('\n');
                    from = i;
                }
            }
            _ => i += 1,
        }
    }
    out.push_str(&html[from..]);
    out
}

/// The index just past the tag, comment or declaration that starts at `start` (a `<`):
/// quoted attribute values may hold `>`.
fn tag_end(b: &[u8], start: usize) -> usize {
    if b[start..].starts_with(b"<!--") {
        return find(b, start + 4, b"-->").map_or(b.len(), |e| e + 3);
    }
    let mut quote = None;
    for (k, &c) in b.iter().enumerate().skip(start + 1) {
        match (quote, c) {
            (None, b'"' | b'\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, b'>') => return k + 1,
            _ => {}
        }
    }
    b.len()
}

/// The name of the element whose content must be kept byte for byte, when `tag` opens one.
fn raw_element(tag: &[u8]) -> Option<&'static str> {
    ["pre", "textarea", "script", "style"]
        .into_iter()
        .find(|name| {
            tag.len() > name.len() + 1
                && tag[1..=name.len()].eq_ignore_ascii_case(name.as_bytes())
                && matches!(
                    tag[name.len() + 1],
                    b'>' | b'/' | b' ' | b'\t' | b'\n' | b'\r'
                )
        })
}

/// The index just past `</name ...>` at or after `from` (the end of `b` if none).
fn find_end_tag(b: &[u8], from: usize, name: &str) -> usize {
    let mut k = from;
    while let Some(at) = find(b, k, b"</") {
        let after = at + 2 + name.len();
        if after <= b.len() && b[at + 2..after].eq_ignore_ascii_case(name.as_bytes()) {
            return tag_end(b, at);
        }
        k = at + 2;
    }
    b.len()
}

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    b.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_takes_out_indentation_and_keeps_what_shows() {
        let page = "<!DOCTYPE html>\n<html>\n  <body>\n    <p class=\"a\n   b\" title='x >\n  y'>\n      Some   text\n      <b>bold</b>\n    </p>\n    <pre>\n  keep\n    this\n</pre>\n  <PRE class=x>\n a\n</PRE>\n    <textarea>\n  t\n</textarea>\n  <script>\n  let s = `a\n    b`;\n  </script>\n  <style>\n  p { }\n  </style>\n  <!-- a\n    comment <pre> -->\n  <p>x</p>\n  </body>\n</html>\n";
        let c = compact(page);
        assert_eq!(
            c,
            "<!DOCTYPE html>\n<html>\n<body>\n<p class=\"a\n   b\" title='x >\n  y'>\nSome   text\n<b>bold</b>\n</p>\n<pre>\n  keep\n    this\n</pre>\n<PRE class=x>\n a\n</PRE>\n<textarea>\n  t\n</textarea>\n<script>\n  let s = `a\n    b`;\n  </script>\n<style>\n  p { }\n  </style>\n<!-- a\n    comment <pre> -->\n<p>x</p>\n</body>\n</html>\n"
        );
        assert_eq!(compact(&c), c, "compacting twice changes nothing more");
        // Text and attributes read the same to a browser.
        let squash = |d: &scraper::Html| -> (String, Vec<String>) {
            let text: Vec<&str> = d.root_element().text().collect();
            let text = text
                .concat()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            let attrs = d
                .root_element()
                .descendants()
                .filter_map(scraper::ElementRef::wrap)
                .flat_map(|e| {
                    e.value()
                        .attrs()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                })
                .collect();
            (text, attrs)
        };
        let (a, b) = (
            scraper::Html::parse_document(page),
            scraper::Html::parse_document(&c),
        );
        assert_eq!(squash(&a), squash(&b));
        let pre = scraper::Selector::parse("pre, textarea, script, style").unwrap();
        let raw =
            |d: &scraper::Html| -> Vec<String> { d.select(&pre).map(|e| e.inner_html()).collect() };
        assert_eq!(raw(&a), raw(&b));
        // Broken markup ends without a panic, kept as it is.
        for cut in [
            "<p",
            "<p title=\"x",
            "<!-- x",
            "<pre>\n  x",
            "<pre>x</pr",
            "a \n",
        ] {
            let _ = compact(cut);
        }
        assert_eq!(compact("<pre>\n  x"), "<pre>\n  x");
    }
}
