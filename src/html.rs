//! Text made safe for HTML that certpress writes itself, outside templates (tera escapes
//! those): the `serve` error overlay and the marketplace checklist page. Record text and
//! messages quoting it are anyone's.

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
