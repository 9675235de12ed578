//! `sitemap.xml` (a sitemap index over numbered files beyond 50,000 URLs, the protocol's
//! limit per file) and `robots.txt` pointing at it.

use crate::url;

/// URLs per sitemap file (sitemaps.org protocol).
const PER_FILE: usize = 50_000;

fn escape(url: &str) -> String {
    url.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
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

/// `urls` are absolute; they are written sorted, so the files do not depend on the
/// order pages were listed in.
pub fn files(base_url: &str, urls: &[String]) -> Vec<(String, Vec<u8>)> {
    let mut urls = urls.to_vec();
    urls.sort();
    urls.dedup();
    let mut files = Vec::new();
    if urls.len() <= PER_FILE {
        files.push((url::sitemap().file(), urlset(&urls)));
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
            files.push((page.file(), urlset(chunk)));
        }
        index.push_str("</sitemapindex>\n");
        files.push((url::sitemap().file(), index.into_bytes()));
    }
    files.push((
        url::robots().file(),
        format!(
            "User-agent: *\nAllow: /\n\nSitemap: {}\n",
            url::sitemap().under(base_url)
        )
        .into_bytes(),
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
        let files = files("https://x.example/", &urls);
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
        let index = String::from_utf8(files[2].1.clone()).unwrap();
        assert!(index.contains("<loc>https://x.example/sitemap-2.xml</loc>"));
    }
}
