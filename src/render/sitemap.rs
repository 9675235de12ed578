//! `sitemap.xml` (a sitemap index over numbered files beyond 50,000 URLs, the protocol's
//! limit per file) and `robots.txt` pointing at it.

use crate::url;
use rayon::prelude::*;
use std::sync::Arc;

/// URLs per sitemap file (sitemaps.org protocol).
const PER_FILE: usize = 50_000;

fn escape(url: &str) -> std::borrow::Cow<'_, str> {
    if !url.contains(['&', '<', '>', '"', '\'']) {
        return url.into();
    }
    url.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
        .into()
}

fn urlset(urls: &[String]) -> Vec<u8> {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for u in urls {
        out.push_str("  <url><loc>");
        out.push_str(&escape(u));
        out.push_str("</loc></url>\n");
    }
    out.push_str("</urlset>\n");
    out.into_bytes()
}

/// The sitemap as last made, kept by `serve`: most edits change no page's URL, and then
/// the files are the same.
#[derive(Default)]
pub struct Memo {
    /// What the listed pages were made from (see [`files`]).
    key: String,
    files: Vec<(String, Arc<[u8]>)>,
}

/// The sitemap's files. `key` spells every listed page's identity (ids, lot codes,
/// numbers) in one string, and `urls` makes their absolute URLs: when the key is the one
/// the memo was made from, the URLs are the same and are not made again (making and
/// sorting tens of thousands of URLs was a third of a one-product rebuild in `serve`).
/// An exact key, not a hash of it, so a changed site can never keep a stale sitemap.
/// URLs are written sorted, so the files do not depend on the order pages were listed in.
pub fn files(
    base_url: &str,
    key: String,
    urls: impl FnOnce() -> Vec<String>,
    memo: &mut Memo,
) -> Vec<(String, Arc<[u8]>)> {
    if key != memo.key || memo.files.is_empty() {
        let mut urls = urls();
        urls.par_sort_unstable();
        urls.dedup();
        memo.files = make(base_url, &urls);
        memo.key = key;
    }
    memo.files.clone()
}

fn make(base_url: &str, urls: &[String]) -> Vec<(String, Arc<[u8]>)> {
    let mut files: Vec<(String, Arc<[u8]>)> = Vec::new();
    if urls.len() <= PER_FILE {
        files.push((url::sitemap().file(), urlset(urls).into()));
    } else {
        let mut index = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
        );
        for (i, chunk) in urls.chunks(PER_FILE).enumerate() {
            let page = url::sitemap_page(i + 1);
            index.push_str(&format!(
                "  <sitemap><loc>{}</loc></sitemap>\n",
                escape(&page.under(base_url))
            ));
            files.push((page.file(), urlset(chunk).into()));
        }
        index.push_str("</sitemapindex>\n");
        files.push((url::sitemap().file(), index.into_bytes().into()));
    }
    files.push((
        url::robots().file(),
        format!(
            "User-agent: *\nAllow: /\n\nSitemap: {}\n",
            url::sitemap().under(base_url)
        )
        .into_bytes()
        .into(),
    ));
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_sites_get_an_index() {
        let urls: Vec<String> = (0..PER_FILE + 1)
            .map(|i| format!("https://x.example/p/{i}/"))
            .collect();
        let files = files(
            "https://x.example/",
            String::new(),
            || urls,
            &mut Memo::default(),
        );
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "sitemap-1.xml",
                "sitemap-2.xml",
                "sitemap.xml",
                "robots.txt"
            ]
        );
        let index = String::from_utf8(files[2].1.to_vec()).unwrap();
        assert!(index.contains("<loc>https://x.example/sitemap-2.xml</loc>"));
    }
}
