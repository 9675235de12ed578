//! GS1 Digital Link (labels.md §3, regulations.md §7): the `/01/<gtin14>[/10/<lot>]` paths
//! a label's QR code opens, the linkset that lists a GTIN's links (RFC 9264), the
//! resolver description and the `_redirects` rules for static hosts.

use crate::content::Product;
use serde_json::{Value, json};

/// GS1's web vocabulary: link types are `https://gs1.org/voc/<name>` (`gs1:<name>`).
pub const GS1_VOC: &str = "https://gs1.org/voc/";

/// Percent-encodes a key qualifier value for a URI path segment: everything outside
/// RFC 3986's unreserved set. Lot codes are validated to a safe subset today; encoding
/// anyway keeps URIs right if that subset ever widens to GS1's character set 82.
pub fn encode_segment(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The site-relative folder of a GTIN's page (`01/<gtin14>/`) or of one of its lots
/// (`01/<gtin14>/10/<lot>/`), for writing files. The lot is used as a folder name as
/// is: lot codes are restricted to `[A-Za-z0-9._-]` and never `.` or `..`.
pub fn path(gtin14: &str, lot: Option<&str>) -> String {
    match lot {
        None => format!("01/{gtin14}/"),
        Some(l) => format!("01/{gtin14}/10/{}/", encode_segment(l)),
    }
}

/// The GS1 Digital Link URI (no trailing slash, as GS1 writes it): what a label's QR
/// encodes. `base_url` ends with `/`.
pub fn uri(base_url: &str, gtin14: &str, lot: Option<&str>) -> String {
    let p = path(gtin14, lot);
    format!("{base_url}{}", p.trim_end_matches('/'))
}

/// What a product's linkset links to: its pages and its certificates in force.
pub struct Links<'a> {
    pub product: &'a Product,
    pub gtin14: String,
    /// Absolute URL of the product page.
    pub page: String,
    /// (lot, absolute URL of its lot page).
    pub lots: Vec<(&'a str, String)>,
    /// (title, absolute URL, lots its version in force lists) of each certificate in
    /// force.
    pub certificates: Vec<(String, String, Vec<String>)>,
    /// Absolute URL of the product's JSON twin.
    pub json: String,
    pub language: &'a str,
}

fn link(href: &str, title: &str, media: &str, language: &str) -> Value {
    json!({ "href": href, "title": title, "type": media, "hreflang": [language] })
}

/// The RFC 9264 linkset (`application/linkset+json`) of one GTIN: one context object for
/// the GTIN and one per lot, each with `gs1:pip` (the default link) and
/// `gs1:certificationInfo`.
pub fn linkset(base_url: &str, l: &Links) -> Value {
    let pip = format!("{GS1_VOC}pip");
    let cert = format!("{GS1_VOC}certificationInfo");
    let default = format!("{GS1_VOC}defaultLink");
    // A lot's context lists only the certificates whose version in force lists the lot.
    let certificates = |lot: Option<&str>| -> Vec<Value> {
        l.certificates
            .iter()
            .filter(|(_, _, lots)| lot.is_none_or(|x| lots.iter().any(|y| y == x)))
            .map(|(title, href, _)| link(href, title, "text/html", l.language))
            .collect()
    };
    let name = &l.product.name;
    let mut contexts = Vec::new();
    let mut product = serde_json::Map::new();
    product.insert("anchor".into(), uri(base_url, &l.gtin14, None).into());
    let page = link(&l.page, name, "text/html", l.language);
    product.insert(default.clone(), json!([page.clone()]));
    product.insert(
        pip.clone(),
        json!([
            page,
            link(
                &l.json,
                &format!("{name} (JSON)"),
                "application/json",
                l.language
            )
        ]),
    );
    let all = certificates(None);
    if !all.is_empty() {
        product.insert(cert.clone(), Value::Array(all));
    }
    contexts.push(Value::Object(product));
    for (lot, href) in &l.lots {
        let mut ctx = serde_json::Map::new();
        ctx.insert("anchor".into(), uri(base_url, &l.gtin14, Some(lot)).into());
        let page = link(href, &format!("{name}, lot {lot}"), "text/html", l.language);
        ctx.insert(default.clone(), json!([page.clone()]));
        ctx.insert(pip.clone(), json!([page]));
        let covering = certificates(Some(lot));
        if !covering.is_empty() {
            ctx.insert(cert.clone(), Value::Array(covering));
        }
        contexts.push(Value::Object(ctx));
    }
    json!({ "linkset": contexts })
}

/// The resolver description published at `/.well-known/gs1resolver`.
pub fn resolver(title: &str, base_url: &str) -> Value {
    json!({
        "name": title,
        "resolverRoot": base_url.trim_end_matches('/'),
        "supportedPrimaryKeys": ["01"],
        "supportedLinkType": [
            { "namespace": GS1_VOC, "prefix": "gs1:", "profile": format!("{GS1_VOC}?show=linktypes") }
        ],
        // A static site answers with the product or lot page (`gs1:pip`); the full list
        // of links is `linkset.json` beside it.
        "linkTypeDefaultCanBeAll": false,
    })
}

/// `_redirects` (Netlify and Cloudflare Pages syntax): the GTIN-8/12/13 forms of each
/// GTIN, with and without a lot, to the GTIN-14 path. Hosts without redirects still
/// serve the GTIN-14 paths, which are real pages.
pub fn redirects(base_path: &str, products: &[Product]) -> String {
    let mut out = String::from(
        "# GS1 Digital Link: shorter GTIN forms to the 14-digit path (written by certpress).\n",
    );
    let mut rules: Vec<String> = Vec::new();
    for p in products {
        let Some(g) = p.gtin else { continue };
        let full = g.as_gtin14();
        for short in g.short_forms() {
            rules.push(format!("{base_path}01/{short} {base_path}01/{full}/ 301"));
            rules.push(format!(
                "{base_path}01/{short}/* {base_path}01/{full}/:splat 301"
            ));
        }
    }
    rules.sort();
    for r in rules {
        out.push_str(&r);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_follow_gs1_shape() {
        assert_eq!(
            uri("https://x.example/", "09521234543213", Some("ABC123")),
            "https://x.example/01/09521234543213/10/ABC123"
        );
        assert_eq!(
            uri("https://x.example/certs/", "09521234543213", None),
            "https://x.example/certs/01/09521234543213"
        );
        assert_eq!(
            path("00614141000012", Some("2026-03A")),
            "01/00614141000012/10/2026-03A/"
        );
    }

    #[test]
    fn reserved_characters_are_encoded() {
        assert_eq!(encode_segment("A/B C%"), "A%2FB%20C%25");
        assert_eq!(encode_segment("a.b_c-d~"), "a.b_c-d~");
    }
}
