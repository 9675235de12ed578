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
