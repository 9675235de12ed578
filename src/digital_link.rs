//! GS1 Digital Link (labels.md §3, regulations.md §7): the linkset that lists a GTIN's
//! links (RFC 9264), the resolver description and the `_redirects` rules for static
//! hosts. The `/01/<gtin14>[/10/<lot>]` paths themselves are spelled in [`crate::url`].

use crate::content::Product;
use crate::url;
use serde_json::{Value, json};

/// GS1's web vocabulary: link types are `https://gs1.org/voc/<name>` (`gs1:<name>`).
pub const GS1_VOC: &str = "https://gs1.org/voc/";

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
    product.insert(
        "anchor".into(),
        url::digital_link_uri(base_url, &l.gtin14, None).into(),
    );
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
        ctx.insert(
            "anchor".into(),
            url::digital_link_uri(base_url, &l.gtin14, Some(lot)).into(),
        );
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
/// GTIN, with and without a lot, to the GTIN-14 path (hosts without redirects still serve
/// the GTIN-14 paths, which are real pages), and the `other` rules the build adds.
pub fn redirects(
    base_path: &str,
    gtins: impl IntoIterator<Item = crate::gtin::Gtin>,
    other: Vec<String>,
) -> String {
    let mut out = String::from(
        "# Written by certpress: GS1 Digital Link's shorter GTIN forms to the 14-digit path,\n# and the PDF URL of each certificate's version in force to the certificate's PDF.\n",
    );
    let mut rules: Vec<String> = other;
    for g in gtins {
        let to = url::digital_link(&g.as_gtin14(), None).under(base_path);
        for short in g.short_forms() {
            let from = url::digital_link(&short, None).under(base_path);
            rules.push(format!("{} {to} 301", from.trim_end_matches('/')));
            rules.push(format!("{from}* {to}:splat 301"));
        }
    }
    rules.sort();
    for r in rules {
        out.push_str(&r);
        out.push('\n');
    }
    out
}
