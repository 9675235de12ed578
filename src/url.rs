//! Where everything is on a built site (SPEC §6, README "What a build publishes"): the one
//! place that spells a page's folder, a JSON twin's file, a GS1 Digital Link path or a
//! label's file. Pages, twins, the lookup index, sitemaps, linksets, labels and guidance
//! links all ask here, so a page and every link to it cannot drift apart.
//!
//! A [`SitePath`] is relative to the site's root; it becomes the file written
//! ([`SitePath::file`]) or a URL under the site's `base_path` (links inside the site,
//! which keep working in the Digital Link copies of pages) or `base_url` (twins, labels
//! and sitemaps, read without the site around them) ([`SitePath::under`]).
//!
//! Ids, lot codes and certificate numbers are validated to URL-safe characters when they
//! are loaded; each is percent-encoded as a path segment anyway, so a URL stays one
//! segment per value if those rules ever widen (GS1 allows `/` and `%` in lot codes).

/// A place on the site, relative to its root: a page's folder (`products/x/`, served as
/// its `index.html`; empty for the home page) or a file (`api/v1/products/x.json`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SitePath(String);

impl SitePath {
    /// A path written from the site's root without the leading `/`, as a guidance author
    /// writes `/products/x/`.
    pub fn from_root(path: &str) -> SitePath {
        SitePath(path.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The file written for it, relative to the output folder: a page's `index.html`, or
    /// the file itself.
    pub fn file(&self) -> String {
        if self.is_page() {
            format!("{}index.html", self.0)
        } else {
            self.0.clone()
        }
    }

    /// Its URL under `base`, the site's `base_path` or `base_url` (both end with `/`).
    pub fn under(&self, base: &str) -> String {
        format!("{base}{}", self.0)
    }

    /// A page: a folder served by its `index.html`.
    fn is_page(&self) -> bool {
        self.0.is_empty() || self.0.ends_with('/')
    }
}

/// Percent-encodes a value for one URI path segment: everything outside RFC 3986's
/// unreserved set.
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

pub fn home() -> SitePath {
    SitePath(String::new())
}

/// Page `n` (from 1) of the home page's product list: the home page itself, then
/// `/page/2/`, `/page/3/`, ... (as Hugo and Zola number list pages).
pub fn home_page(n: usize) -> SitePath {
    match n {
        0 | 1 => home(),
        n => SitePath(format!("page/{n}/")),
    }
}

pub fn not_found() -> SitePath {
    SitePath("404.html".into())
}

pub fn product(id: &str) -> SitePath {
    SitePath(format!("products/{}/", encode_segment(id)))
}

pub fn lot(product: &str, lot: &str) -> SitePath {
    SitePath(format!(
        "products/{}/lots/{}/",
        encode_segment(product),
        encode_segment(lot)
    ))
}

/// A certificate's own page: its latest issued version, and the canonical of every
/// version page.
pub fn certificate(number: &str) -> SitePath {
    SitePath(format!("certificates/{}/", encode_segment(number)))
}

/// One issued version of a certificate, kept forever.
pub fn certificate_version(number: &str, version: u32) -> SitePath {
    SitePath(format!(
        "certificates/{}/v{version}/",
        encode_segment(number)
    ))
}

/// The PDF beside a certificate's page (SPEC §13): `page` is [`certificate`] (the
/// version in force) or [`certificate_version`].
pub fn certificate_pdf(page: &SitePath) -> SitePath {
    SitePath(format!("{}{CERTIFICATE_PDF}", page.0))
}

/// The name of a certificate's PDF in its page's folder.
pub const CERTIFICATE_PDF: &str = "certificate.pdf";

pub fn guidance_index() -> SitePath {
    SitePath("guidance/".into())
}

/// A guidance page; `path` is its path under `/guidance/` (`us/tracking-labels`), each
/// segment encoded.
pub fn guidance(path: &str) -> SitePath {
    let segments: Vec<String> = path.split('/').map(encode_segment).collect();
    SitePath(format!("guidance/{}/", segments.join("/")))
}

/// A file a record refers to, relative to `content/` (`assets/...`, checked by
/// `source::asset`): `content/assets/` is published as `/assets/`, so at the same path.
pub fn asset(reference: &str) -> SitePath {
    SitePath(reference.to_string())
}

/// A file of the theme's `static/` folder (`rel` relative to it).
pub fn theme_static(rel: &str) -> SitePath {
    SitePath(format!("static/{rel}"))
}

/// The GS1 Digital Link folder of a GTIN (`01/<gtin14>/`) or of one of its lots
/// (`01/<gtin14>/10/<lot>/`): the product and lot pages, copied or as
/// stubs that send the browser on (`[build] digital_link`).
pub fn digital_link(gtin14: &str, lot: Option<&str>) -> SitePath {
    match lot {
        None => SitePath(format!("01/{gtin14}/")),
        Some(l) => SitePath(format!("01/{gtin14}/10/{}/", encode_segment(l))),
    }
}

/// The GS1 Digital Link URI, without a trailing slash as GS1 writes it: what a label's QR
/// code encodes. `base_url` ends with `/`.
pub fn digital_link_uri(base_url: &str, gtin14: &str, lot: Option<&str>) -> String {
    let folder = digital_link(gtin14, lot).under(base_url);
    folder.trim_end_matches('/').to_string()
}

/// The GTIN's RFC 9264 linkset, beside its Digital Link page.
pub fn linkset(gtin14: &str) -> SitePath {
    SitePath(format!("{}linkset.json", digital_link(gtin14, None).0))
}

/// Whose an output file is, when it belongs to one product or certificate: a product's
/// pages and lot pages, JSON twin and labels (by id as the path spells it, encoded), its
/// GTIN's Digital Link copies and linkset, a certificate's pages (by number, encoded).
/// `serve` forgets a changed product's files before it renders them again, so a lot
/// that was removed leaves no page behind; one lookup per file, however many changed.
#[derive(Debug, PartialEq, Eq, Hash, Clone, Copy)]
pub enum Owner<'a> {
    Product(&'a str),
    Gtin(&'a str),
    Certificate(&'a str),
}

pub fn owner(path: &str) -> Option<Owner<'_>> {
    fn folder(rest: &str) -> Option<&str> {
        rest.split_once('/').map(|(seg, _)| seg)
    }
    if let Some(rest) = path.strip_prefix("products/") {
        return folder(rest).map(Owner::Product);
    }
    if let Some(rest) = path.strip_prefix("certificates/") {
        return folder(rest).map(Owner::Certificate);
    }
    if let Some(rest) = path.strip_prefix("01/") {
        return folder(rest).map(Owner::Gtin);
    }
    if let Some(rest) = path.strip_prefix("api/v1/products/") {
        return rest
            .strip_suffix(".json")
            .filter(|id| !id.contains('/'))
            .map(Owner::Product);
    }
    if let Some(rest) = path.strip_prefix("labels/") {
        return match rest.split_once('/') {
            Some((id, _)) => Some(Owner::Product(id)),
            // `labels/<id>.<ext>`: ids may hold dots, extensions do not.
            None => rest.rsplit_once('.').map(|(id, _)| Owner::Product(id)),
        };
    }
    None
}

/// The prefixes under which every file [`owner`] gives to `who` lies (others may lie
/// there too: `labels/a.b.` holds the labels of a product `a.b.c`).
pub fn owned_prefixes(who: Owner) -> Vec<String> {
    match who {
        Owner::Product(id) => vec![
            format!("products/{id}/"),
            format!("api/v1/products/{id}.json"),
            format!("labels/{id}/"),
            format!("labels/{id}."),
        ],
        Owner::Gtin(g) => vec![format!("01/{g}/")],
        Owner::Certificate(n) => vec![format!("certificates/{n}/")],
    }
}

/// A product's JSON twin.
pub fn product_json(id: &str) -> SitePath {
    SitePath(format!("api/v1/products/{}.json", encode_segment(id)))
}

/// The index of every product (or of its pages, on a large site).
pub fn index_json() -> SitePath {
    SitePath("api/v1/index.json".into())
}

/// Page `n` (from 1) of the product index on a large site.
pub fn index_page(n: usize) -> SitePath {
    SitePath(format!("api/v1/index/{n}.json"))
}

/// A JSON Schema the twins, the index and the lookup shards follow.
pub fn schema(name: &str) -> SitePath {
    SitePath(format!("api/v1/schemas/{name}"))
}

/// The folder of the lookup's shards; the theme's `lookup.js` reads shards from it.
pub fn search_folder() -> SitePath {
    SitePath("api/v1/search/".into())
}

/// A file in the lookup's folder (a shard, or the shard list).
pub fn search_file(name: &str) -> SitePath {
    SitePath(format!("{}{name}", search_folder().0))
}

/// The lookup's shard list, which the home page reads first.
pub fn search_manifest() -> SitePath {
    search_file("shards.json")
}

pub fn sitemap() -> SitePath {
    SitePath("sitemap.xml".into())
}

/// File `n` (from 1) of a sitemap too large for one.
pub fn sitemap_page(n: usize) -> SitePath {
    SitePath(format!("sitemap-{n}.xml"))
}

pub fn robots() -> SitePath {
    SitePath("robots.txt".into())
}

/// Static hosts' redirect rules (the GTIN-8/12/13 forms).
pub fn redirects() -> SitePath {
    SitePath("_redirects".into())
}

/// The GS1 resolver description.
pub fn resolver() -> SitePath {
    SitePath(".well-known/gs1resolver".into())
}

/// A label's file: `labels/<id>/<lot>.<ext>`, or `labels/<id>.<ext>` for a product
/// without lots.
pub fn label(product: &str, lot: Option<&str>, extension: &str) -> SitePath {
    let product = encode_segment(product);
    match lot {
        None => SitePath(format!("labels/{product}.{extension}")),
        Some(l) => SitePath(format!(
            "labels/{product}/{}.{extension}",
            encode_segment(l)
        )),
    }
}

/// A run's sheet (SPEC §9): `labels/sheets/<layout>.pdf` for every label; a run limited
/// to a product, or a lot, names them, so it never replaces the full sheet.
pub fn sheet(layout: &str, product: Option<&str>, lot: Option<&str>) -> SitePath {
    let mut stem = layout.to_string();
    for part in [product, lot].into_iter().flatten() {
        stem.push('-');
        stem.push_str(&encode_segment(part));
    }
    SitePath(format!("labels/sheets/{stem}.pdf"))
}

/// The layout's outline test page. The `.` keeps it apart from a product's sheet
/// (`<layout>-<id>`: ids have no dot).
pub fn outline_sheet(layout: &str) -> SitePath {
    SitePath(format!("labels/sheets/{layout}.outline.pdf"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_file_of_a_product_or_certificate_has_it_as_owner() {
        let g = "09521234000112";
        let id = encode_segment("a.b");
        let mine = [
            product("a.b").file(),
            lot("a.b", "L 1").file(),
            product_json("a.b").file(),
            label("a.b", None, "svg").file(),
            label("a.b", Some("L 1"), "png").file(),
        ];
        let under = |path: &str, who: Owner| {
            owned_prefixes(who)
                .iter()
                .any(|p| path.starts_with(p.as_str()))
        };
        for path in &mine {
            assert_eq!(owner(path), Some(Owner::Product(&id)), "{path}");
            assert!(under(path, Owner::Product(&id)), "{path}");
        }
        for path in [
            digital_link(g, None).file(),
            digital_link(g, Some("L 1")).file(),
            linkset(g).file(),
        ] {
            assert_eq!(owner(&path), Some(Owner::Gtin(g)), "{path}");
            assert!(under(&path, Owner::Gtin(g)), "{path}");
        }
        for path in [
            certificate("C/1").file(),
            certificate_version("C/1", 2).file(),
        ] {
            let n = encode_segment("C/1");
            assert_eq!(owner(&path), Some(Owner::Certificate(&n)), "{path}");
            assert!(under(&path, Owner::Certificate(&n)), "{path}");
        }
        for path in [home().file(), label("a.b.c", None, "svg").file()] {
            assert_ne!(owner(&path), Some(Owner::Product(&id)), "{path}");
        }
        assert_eq!(owner(&home().file()), None);
    }

    use super::*;

    const URL: &str = "https://certs.example/sub/";
    const PATH: &str = "/sub/";

    #[test]
    fn pages_are_folders_written_as_index_html() {
        assert_eq!(home().file(), "index.html");
        assert_eq!(home().under(PATH), "/sub/");
        assert_eq!(
            product("rainbow-stacker").as_str(),
            "products/rainbow-stacker/"
        );
        assert_eq!(
            product("rainbow-stacker").file(),
            "products/rainbow-stacker/index.html"
        );
        assert_eq!(
            product("rainbow-stacker").under(URL),
            "https://certs.example/sub/products/rainbow-stacker/"
        );
        assert_eq!(
            lot("rainbow-stacker", "2026-03A").under(PATH),
            "/sub/products/rainbow-stacker/lots/2026-03A/"
        );
        assert_eq!(guidance_index().file(), "guidance/index.html");
        assert_eq!(
            guidance("us/tracking-labels").under(PATH),
            "/sub/guidance/us/tracking-labels/"
        );
        assert_eq!(not_found().file(), "404.html");
        assert_eq!(not_found().under(PATH), "/sub/404.html");
    }

    #[test]
    fn certificates_and_their_versions() {
        assert_eq!(
            certificate("LO-RAINBOW-STACKER-US-CPC").under(PATH),
            "/sub/certificates/LO-RAINBOW-STACKER-US-CPC/"
        );
        assert_eq!(
            certificate_version("LO-RAINBOW-STACKER-US-CPC", 2).file(),
            "certificates/LO-RAINBOW-STACKER-US-CPC/v2/index.html"
        );
    }

    #[test]
    fn data_files_are_files() {
        assert_eq!(product_json("x").file(), "api/v1/products/x.json");
        assert_eq!(
            product_json("x").under(URL),
            format!("{URL}api/v1/products/x.json")
        );
        assert_eq!(index_json().file(), "api/v1/index.json");
        assert_eq!(index_page(2).file(), "api/v1/index/2.json");
        assert_eq!(
            schema("product.schema.json").file(),
            "api/v1/schemas/product.schema.json"
        );
        assert_eq!(search_folder().under(PATH), "/sub/api/v1/search/");
        assert_eq!(search_manifest().file(), "api/v1/search/shards.json");
        assert_eq!(search_file("s61.json").file(), "api/v1/search/s61.json");
        assert_eq!(sitemap().file(), "sitemap.xml");
        assert_eq!(sitemap_page(1).file(), "sitemap-1.xml");
        assert_eq!(robots().file(), "robots.txt");
        assert_eq!(redirects().file(), "_redirects");
        assert_eq!(resolver().file(), ".well-known/gs1resolver");
        assert_eq!(asset("assets/a/b.svg").under(PATH), "/sub/assets/a/b.svg");
        assert_eq!(theme_static("style.css").file(), "static/style.css");
    }

    #[test]
    fn digital_link_paths_follow_gs1_shape() {
        assert_eq!(
            digital_link_uri("https://x.example/", "09521234543213", Some("ABC123")),
            "https://x.example/01/09521234543213/10/ABC123"
        );
        assert_eq!(
            digital_link_uri("https://x.example/certs/", "09521234543213", None),
            "https://x.example/certs/01/09521234543213"
        );
        assert_eq!(
            digital_link("00614141000012", Some("2026-03A")).file(),
            "01/00614141000012/10/2026-03A/index.html"
        );
        assert_eq!(
            digital_link("00614141000012", None).under(PATH),
            "/sub/01/00614141000012/"
        );
        assert_eq!(
            linkset("00614141000012").under(URL),
            "https://certs.example/sub/01/00614141000012/linkset.json"
        );
    }

    #[test]
    fn labels_and_sheets() {
        assert_eq!(
            label("x", Some("2026-03A"), "svg").file(),
            "labels/x/2026-03A.svg"
        );
        assert_eq!(label("x", None, "zpl").file(), "labels/x.zpl");
        assert_eq!(
            sheet("avery-5163", None, None).file(),
            "labels/sheets/avery-5163.pdf"
        );
        assert_eq!(
            sheet("avery-5163", Some("x"), Some("L1")).file(),
            "labels/sheets/avery-5163-x-L1.pdf"
        );
        assert_eq!(
            outline_sheet("avery-5163").file(),
            "labels/sheets/avery-5163.outline.pdf"
        );
    }

    #[test]
    fn reserved_characters_are_encoded_one_segment_per_value() {
        assert_eq!(encode_segment("A/B C%"), "A%2FB%20C%25");
        assert_eq!(encode_segment("a.b_c-d~"), "a.b_c-d~");
        assert_eq!(encode_segment("é"), "%C3%A9");
        assert_eq!(lot("p", "A/B").as_str(), "products/p/lots/A%2FB/");
        assert_eq!(
            digital_link("00614141000012", Some("A/B C")).as_str(),
            "01/00614141000012/10/A%2FB%20C/"
        );
        assert_eq!(certificate("A B").as_str(), "certificates/A%20B/");
        assert_eq!(label("p", Some("A/B"), "svg").file(), "labels/p/A%2FB.svg");
        assert_eq!(
            sheet("l", Some("p"), Some("A/B")).file(),
            "labels/sheets/l-p-A%2FB.pdf"
        );
        // A guidance path keeps its folders; each name is encoded.
        assert_eq!(guidance("us/a b").as_str(), "guidance/us/a%20b/");
    }
}
