//! The lookup site beyond its pages: lot pages, GS1 Digital Link paths and linksets,
//! `_redirects`, the resolver description, JSON twins checked against the schemas the
//! site publishes, the sharded lookup index (on the example and on a site large enough
//! to shard), sitemap and robots.txt.

mod common;
#[path = "../benches/synth.rs"]
mod synth;

use common::*;
use scraper::{Html, Selector};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const BASE: &str = "https://certs.littleoak.example/";

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

fn json(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The output file an absolute or root-relative URL of the site names.
fn file_for(out: &Path, url: &str) -> PathBuf {
    let path = url
        .strip_prefix(BASE)
        .or_else(|| url.strip_prefix('/'))
        .unwrap_or_else(|| panic!("{url} is not on the site"));
    // A folder is its index.html (Digital Link URIs have no trailing slash).
    let f = out.join(path);
    if f.is_dir() { f.join("index.html") } else { f }
}

/// Every string in a JSON value that is a URL on the site.
fn site_urls(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) if s.starts_with(BASE) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| site_urls(x, out)),
        Value::Object(o) => o.values().for_each(|x| site_urls(x, out)),
        _ => {}
    }
}

fn canonical(html: &Html) -> String {
    html.select(&sel("link[rel=canonical]"))
        .next()
        .and_then(|l| l.value().attr("href"))
        .unwrap()
        .to_string()
}

/// The page a Digital Link stub sends the browser to, checked: its canonical link, its
/// refresh and its visible link all name that page (which exists), it is kept out of
/// search indexes, links the GTIN's linkset, and is small.
fn stub_target(out: &Path, stub: &Path) -> PathBuf {
    let bytes = fs::read(stub).unwrap_or_else(|e| panic!("{}: {e}", stub.display()));
    assert!(
        bytes.len() < 700,
        "{}: {} bytes",
        stub.display(),
        bytes.len()
    );
    let html = Html::parse_document(&String::from_utf8(bytes).unwrap());
    let attr = |css: &str, name: &str| -> String {
        html.select(&sel(css))
            .next()
            .and_then(|e| e.value().attr(name))
            .unwrap_or_else(|| panic!("{}: no {css}", stub.display()))
            .to_string()
    };
    assert_eq!(attr("meta[name=robots]", "content"), "noindex");
    let refresh = attr("meta[http-equiv=refresh]", "content");
    let to = refresh
        .strip_prefix("0; url=")
        .unwrap_or_else(|| panic!("refresh {refresh}"));
    assert!(to.starts_with('/'), "{to}");
    assert_eq!(attr("body a", "href"), to);
    let page = file_for(out, to);
    assert!(page.is_file(), "{to}");
    assert_eq!(file_for(out, &canonical(&html)), page);
    // The page names itself as canonical: the stub and the page agree.
    let target = Html::parse_document(&fs::read_to_string(&page).unwrap());
    assert_eq!(canonical(&target), canonical(&html));
    let linkset = attr("link[rel=linkset]", "href");
    assert!(file_for(out, &linkset).is_file(), "{linkset}");
    page
}

/// `[build] digital_link = "copy"` publishes byte copies of the product and lot pages, and
/// `version_in_force = "copy"` the version in force's page and PDF at its `/v<n>/` URLs too.
#[test]
fn copies_are_the_pages() {
    let dir = example_copy();
    let toml = dir.path().join("site.toml");
    let text = fs::read_to_string(&toml).unwrap();
    assert!(text.contains("[build]\n"));
    fs::write(
        &toml,
        text.replace(
            "[build]\n",
            "[build]\ndigital_link = \"copy\"\nversion_in_force = \"copy\"\n",
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let o = certpress(&[
        "build",
        "--root",
        dir.path().to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut copies = 0;
    for r in records() {
        let id = r["id"].as_str().unwrap();
        let Some(g) = r["gtin"].as_str().map(|g| format!("{g:0>14}")) else {
            continue;
        };
        let product = fs::read(out.join(format!("products/{id}/index.html"))).unwrap();
        let copy = fs::read(out.join(format!("01/{g}/index.html"))).unwrap();
        assert_eq!(copy, product, "/01/{g}/ is not the product page");
        copies += 1;
        for lot in r["lots"].as_sequence().into_iter().flatten() {
            let code = lot["lot"].as_str().unwrap();
            let page = fs::read(out.join(format!("products/{id}/lots/{code}/index.html"))).unwrap();
            let copy = fs::read(out.join(format!("01/{g}/10/{code}/index.html"))).unwrap();
            assert_eq!(copy, page, "/01/{g}/10/{code}/ is not the lot page");
            copies += 1;
        }
    }
    assert!(copies >= 20, "{copies}");

    let mut versions = 0;
    for cert in fs::read_dir(out.join("certificates")).unwrap() {
        let own = cert.unwrap().path();
        let Ok(pdf) = fs::read(own.join("certificate.pdf")) else {
            continue; // no version in force
        };
        let latest = (1..)
            .take_while(|v| own.join(format!("v{v}")).is_dir())
            .last()
            .unwrap();
        let folder = own.join(format!("v{latest}"));
        assert!(
            fs::read(folder.join("certificate.pdf")).unwrap() == pdf,
            "{}: the version in force's PDF is not at v{latest}/",
            own.display()
        );
        let page = fs::read_to_string(folder.join("index.html")).unwrap();
        assert!(
            page.contains("data-field=\"pdf\"")
                && page.contains(&format!("v{latest}/certificate.pdf")),
            "{}: v{latest}/ is not the version's page",
            own.display()
        );
        versions += 1;
    }
    assert!(versions >= 5, "{versions}");
    assert!(
        !fs::read_to_string(out.join("_redirects"))
            .unwrap()
            .contains("/certificate.pdf"),
        "no PDF redirects when the versions are copies"
    );
}

fn records() -> Vec<serde_yaml::Value> {
    walkdir::WalkDir::new(repo().join("content/products"))
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "yaml"))
        .map(|e| serde_yaml::from_str(&fs::read_to_string(e.path()).unwrap()).unwrap())
        .collect()
}

#[test]
fn lot_pages_and_gs1_digital_link_paths() {
    let (_dir, out) = build_example();
    let mut lots = 0;
    let mut with_gtin = 0;
    for r in records() {
        let id = r["id"].as_str().unwrap();
        let product = out.join(format!("products/{id}/index.html"));
        let gtin = r["gtin"].as_str().map(|g| format!("{g:0>14}"));
        if let Some(g) = &gtin {
            with_gtin += 1;
            // The Digital Link path is a stub that sends the browser on to the product
            // page, canonical to it (the default `[build] digital_link = "stub"`).
            let stub = out.join(format!("01/{g}/index.html"));
            assert_eq!(stub_target(&out, &stub), product, "/01/{g}/");
            let html = Html::parse_document(&fs::read_to_string(&product).unwrap());
            assert_eq!(canonical(&html), format!("{BASE}products/{id}/"));
            let linkset = html
                .select(&sel("link[rel=linkset]"))
                .next()
                .expect("product pages with a GTIN link their linkset");
            assert_eq!(
                linkset.value().attr("type"),
                Some("application/linkset+json")
            );
        }
        for lot in r["lots"].as_sequence().into_iter().flatten() {
            lots += 1;
            let code = lot["lot"].as_str().unwrap();
            let page = out.join(format!("products/{id}/lots/{code}/index.html"));
            let bytes = fs::read(&page).unwrap_or_else(|_| panic!("no lot page {code}"));
            let html = Html::parse_document(&String::from_utf8(bytes.clone()).unwrap());
            assert_eq!(
                canonical(&html),
                format!("{BASE}products/{id}/lots/{code}/")
            );
            let facts: String = html
                .select(&sel("[data-element=lot]"))
                .next()
                .unwrap()
                .text()
                .collect();
            assert!(facts.contains(code));
            assert!(facts.contains(lot["place"].as_str().unwrap()));
            if let Some(g) = &gtin {
                let stub = out.join(format!("01/{g}/10/{code}/index.html"));
                assert_eq!(stub_target(&out, &stub), page, "/01/{g}/10/{code}/");
                assert!(facts.contains(&format!("{BASE}01/{g}/10/{code}")));
            }
        }
    }
    assert!(
        lots >= 20 && with_gtin >= 10,
        "{lots} lots, {with_gtin} GTINs"
    );

    // A lot the certificate in force lists links it; a blocked one says it is not issued.
    let rainbow = Html::parse_document(
        &fs::read_to_string(out.join("products/rainbow-stacker/lots/2026-03A/index.html")).unwrap(),
    );
    let us: String = rainbow
        .select(&sel("[data-market=US]"))
        .next()
        .unwrap()
        .text()
        .collect();
    assert!(us.contains("Certified") && us.contains("LO-RAINBOW-STACKER-US-CPC"));
    let cert_links: Vec<&str> = rainbow
        .select(&sel("a.cert-link"))
        .filter_map(|a| a.value().attr("href"))
        .collect();
    assert!(cert_links.contains(&"/certificates/LO-RAINBOW-STACKER-US-CPC/"));
}

#[test]
fn linksets_redirects_and_resolver() {
    let (_dir, out) = build_example();
    let redirects = fs::read_to_string(out.join("_redirects")).unwrap();
    let mut checked = 0;
    for r in records() {
        let Some(g) = r["gtin"].as_str() else {
            continue;
        };
        let id = r["id"].as_str().unwrap();
        let g14 = format!("{g:0>14}");
        let set = json(&out.join(format!("01/{g14}/linkset.json")));
        let contexts = set["linkset"].as_array().unwrap();
        let lots: Vec<&str> = r["lots"]
            .as_sequence()
            .into_iter()
            .flatten()
            .map(|l| l["lot"].as_str().unwrap())
            .collect();
        assert_eq!(contexts.len(), 1 + lots.len());
        assert_eq!(contexts[0]["anchor"], format!("{BASE}01/{g14}"));
        let pip = &contexts[0]["https://gs1.org/voc/pip"][0];
        assert_eq!(pip["href"], format!("{BASE}products/{id}/"));
        assert_eq!(pip["type"], "text/html");
        for (ctx, lot) in contexts[1..].iter().zip(&lots) {
            assert_eq!(ctx["anchor"], format!("{BASE}01/{g14}/10/{lot}"));
            assert_eq!(
                ctx["https://gs1.org/voc/pip"][0]["href"],
                format!("{BASE}products/{id}/lots/{lot}/")
            );
        }
        // Every link resolves; certificate links are certificate pages.
        let mut urls = Vec::new();
        site_urls(&set, &mut urls);
        for u in &urls {
            assert!(
                file_for(&out, u).is_file(),
                "{id}: linkset link {u} is broken"
            );
        }
        for c in contexts[0]["https://gs1.org/voc/certificationInfo"]
            .as_array()
            .into_iter()
            .flatten()
        {
            assert!(c["href"].as_str().unwrap().contains("/certificates/"));
        }
        // Shorter GTIN forms redirect to the 14-digit path.
        let short = g14.trim_start_matches('0');
        if short.len() <= 13 {
            let g13 = &g14[1..];
            assert!(
                redirects.contains(&format!("/01/{g13} /01/{g14}/ 301")),
                "no redirect for {g13}"
            );
            assert!(redirects.contains(&format!("/01/{g13}/* /01/{g14}/:splat 301")));
        }
        checked += 1;
    }
    assert!(checked >= 10);
    // Every redirect lands on a real page.
    for line in redirects.lines().filter(|l| !l.starts_with('#')) {
        let to = line.split_whitespace().nth(1).unwrap();
        let to = to.trim_end_matches(":splat");
        assert!(file_for(&out, to).is_file(), "redirect to {to}");
    }

    let resolver = json(&out.join(".well-known/gs1resolver"));
    assert_eq!(resolver["resolverRoot"], BASE.trim_end_matches('/'));
    assert_eq!(resolver["supportedPrimaryKeys"][0], "01");
}

fn validator(out: &Path, name: &str) -> jsonschema::Validator {
    let schema = json(&out.join(format!("api/v1/schemas/{name}")));
    jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn assert_valid(v: &jsonschema::Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
}

#[test]
fn json_twins_follow_their_published_schemas() {
    let (_dir, out) = build_example();
    let product_schema = validator(&out, "product.schema.json");
    let index_schema = validator(&out, "index.schema.json");
    let index = json(&out.join("api/v1/index.json"));
    assert_valid(&index_schema, &index, "index.json");
    let entries = index["products"].as_array().unwrap();
    let ids: BTreeSet<&str> = entries.iter().map(|e| e["id"].as_str().unwrap()).collect();
    let expected: BTreeSet<String> = records()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        ids,
        expected.iter().map(String::as_str).collect(),
        "index.json lists every product"
    );
    assert_eq!(index["count"], entries.len());

    for e in entries {
        let id = e["id"].as_str().unwrap();
        let twin = json(&out.join(format!("api/v1/products/{id}.json")));
        assert_valid(&product_schema, &twin, id);
        assert_eq!(twin["id"], id);
        assert_eq!(e["json"], format!("{BASE}api/v1/products/{id}.json"));
        let mut urls = Vec::new();
        site_urls(&twin, &mut urls);
        for u in urls.iter().filter(|u| !u.contains("/schemas/")) {
            assert!(file_for(&out, u).is_file(), "{id}: {u} is broken");
        }
        // The certificates the index lists are the valid ones in the twin.
        let valid: Vec<&str> = twin["certificates"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["valid"] == true)
            .map(|c| c["number"].as_str().unwrap())
            .collect();
        let listed: Vec<&str> = e["certificates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        assert_eq!(valid, listed, "{id}");
    }

    // A blocked certificate is in the twin, not valid, with its gap in the assessment.
    let boats = json(&out.join("api/v1/products/bath-boats.json"));
    let cpc = boats["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["market"] == "US")
        .unwrap();
    assert_eq!(cpc["standing"], "blocked");
    assert_eq!(cpc["valid"], false);
    let us = boats["assessments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["market"] == "US")
        .unwrap();
    assert!(
        us["requirements"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["status"] == "expired")
    );
}

/// Shard files for a query word, as `lookup.js` finds them: the unsplit shard whose
/// prefix starts the word, else every shard (exact or not) whose prefix the word starts.
fn shards_for(out: &Path, manifest: &Value, word: &str) -> Vec<PathBuf> {
    let list = |k: &str| -> Vec<String> {
        manifest[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_string())
            .collect()
    };
    let file = |prefix: &str, exact: bool| {
        let hex: String = prefix.bytes().map(|b| format!("{b:02x}")).collect();
        let dir = manifest["path"].as_str().unwrap().trim_start_matches('/');
        out.join(dir)
            .join(format!("s{hex}{}.json", if exact { "-exact" } else { "" }))
    };
    let (shards, exact) = (list("shards"), list("exact"));
    if let Some(best) = shards
        .iter()
        .filter(|p| word.starts_with(p.as_str()))
        .max_by_key(|p| p.len())
    {
        return vec![file(best, false)];
    }
    let mut files: Vec<PathBuf> = shards
        .iter()
        .filter(|p| p.starts_with(word))
        .map(|p| file(p, false))
        .collect();
    files.extend(
        exact
            .iter()
            .filter(|p| p.starts_with(word))
            .map(|p| file(p, true)),
    );
    files
}

/// The lookup as `lookup.js` does it: product id → hits for a query word.
fn lookup(out: &Path, manifest: &Value, word: &str) -> BTreeMap<String, Vec<Value>> {
    let files = shards_for(out, manifest, word);
    assert!(files.len() <= 8, "{word}: {} shards", files.len());
    let mut found: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for f in files {
        let shard = json(&f);
        for t in shard["terms"].as_array().unwrap() {
            if !t["term"].as_str().unwrap().starts_with(word) {
                continue;
            }
            for h in t["hits"].as_array().unwrap() {
                let p = &shard["products"][h["p"].as_u64().unwrap() as usize];
                found
                    .entry(p["id"].as_str().unwrap().to_string())
                    .or_default()
                    .push(h.clone());
            }
        }
    }
    found
}

/// Every shard file the manifest names.
fn all_shards(out: &Path, manifest: &Value) -> Vec<PathBuf> {
    let mut files = shards_for(out, manifest, "");
    files.sort();
    files
}

fn digits(g: &str) -> String {
    g.trim_start_matches('0').to_string()
}

#[test]
fn the_lookup_index_finds_every_identifier() {
    let (_dir, out) = build_example();
    let search_schema = validator(&out, "search.schema.json");
    let manifest = json(&out.join("api/v1/search/shards.json"));
    assert_valid(&search_schema, &manifest, "shards.json");
    let files = all_shards(&out, &manifest);
    assert!(!files.is_empty());
    for f in files {
        assert_valid(&search_schema, &json(&f), "shard");
    }
    let index = json(&out.join("api/v1/index.json"));
    for e in index["products"].as_array().unwrap() {
        let id = e["id"].as_str().unwrap();
        if let Some(g) = e["gtin"].as_str() {
            // Any length: GTIN-14, and the 13- and 12-digit forms when they exist.
            for form in [g, &g[1..], &g[2..]] {
                if form.len() < 14 && !g[..14 - form.len()].bytes().all(|b| b == b'0') {
                    continue;
                }
                let hits = lookup(&out, &manifest, &digits(form));
                assert!(hits.contains_key(id), "{id} not found by GTIN {form}");
            }
        }
        for lot in e["lots"].as_array().unwrap() {
            let lot = lot.as_str().unwrap();
            let word: String = lot
                .chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect();
            let hits = lookup(&out, &manifest, &word);
            let h = hits
                .get(id)
                .unwrap_or_else(|| panic!("{id} not found by lot {lot}"));
            assert!(h.iter().any(|h| h["field"] == "lot" && h["value"] == lot));
        }
        for number in e["certificates"].as_array().unwrap() {
            let number = number.as_str().unwrap();
            let word = number.replace('-', "").to_lowercase();
            let hits = lookup(&out, &manifest, &word);
            let h = &hits[id];
            let cert = h.iter().find(|h| h["field"] == "certificate").unwrap();
            assert_eq!(cert["url"], format!("/certificates/{number}/"));
            // As you type: a prefix finds it too.
            assert!(lookup(&out, &manifest, &word[..6]).contains_key(id));
        }
        let model = e["model"].as_str().unwrap().replace('-', "").to_lowercase();
        assert!(lookup(&out, &manifest, &model).contains_key(id));
    }
    // A name word finds every product that has it.
    let oak = lookup(&out, &manifest, "rainbow");
    assert!(oak.contains_key("rainbow-stacker"));
}

#[test]
fn a_large_site_shards_its_index() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    synth::generate(&repo(), &site, 1_200);
    let root = site.to_str().unwrap();
    assert!(certpress(&["issue", "--root", root]).status.success());
    let o = certpress(&["build", "--root", root]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = site.join("public");
    let base = "https://bench.example/";

    // The product index is paged.
    let index = json(&out.join("api/v1/index.json"));
    assert!(index.get("products").is_none());
    let pages = index["pages"].as_array().unwrap();
    assert_eq!(pages.len(), 2);
    let mut listed = 0;
    for p in pages {
        let path = p.as_str().unwrap().strip_prefix(base).unwrap();
        listed += json(&out.join(path))["products"].as_array().unwrap().len();
    }
    assert_eq!(listed, 1_200);

    // The home page's list is paged: every list page is small, and following the page
    // links from the home page reaches every product, each once.
    let (mut todo, mut seen_pages) = (vec!["/".to_string()], BTreeSet::new());
    let mut products: Vec<String> = Vec::new();
    while let Some(href) = todo.pop() {
        if !seen_pages.insert(href.clone()) {
            continue;
        }
        let file = file_for(&out, &href);
        let size = fs::metadata(&file).unwrap().len();
        assert!(size < 200_000, "{href}: {size} bytes");
        let html = Html::parse_document(&fs::read_to_string(&file).unwrap());
        products.extend(
            html.select(&sel("table.products tbody th a"))
                .map(|a| a.attr("href").unwrap().to_string()),
        );
        todo.extend(
            html.select(&sel("nav.pager a"))
                .map(|a| a.attr("href").unwrap().to_string()),
        );
    }
    assert_eq!(seen_pages.len(), 12, "{seen_pages:?}");
    assert_eq!(products.len(), 1_200);
    assert_eq!(products.iter().collect::<BTreeSet<_>>().len(), 1_200);
    assert!(products.iter().all(|p| file_for(&out, p).is_file()));

    // The lookup is sharded, and no shard is large.
    let manifest = json(&out.join("api/v1/search/shards.json"));
    let files = all_shards(&out, &manifest);
    assert!(files.len() > 10, "only {} shards", files.len());
    let on_disk = fs::read_dir(out.join("api/v1/search")).unwrap().count();
    assert_eq!(on_disk, files.len() + 1, "the manifest names every shard");
    let largest = files
        .iter()
        .map(|f| fs::metadata(f).unwrap().len())
        .max()
        .unwrap();
    assert!(largest < 150_000, "largest shard {largest} bytes");
    let manifest_size = fs::metadata(out.join("api/v1/search/shards.json"))
        .unwrap()
        .len();
    assert!(manifest_size < 10_000, "shard list {manifest_size} bytes");

    // Products are found by GTIN, as typed, through the shards.
    for p in pages {
        let path = p.as_str().unwrap().strip_prefix(base).unwrap();
        for e in json(&out.join(path))["products"]
            .as_array()
            .unwrap()
            .iter()
            .step_by(37)
        {
            let g = digits(e["gtin"].as_str().unwrap());
            let id = e["id"].as_str().unwrap();
            for typed in [&g[..3], &g[..8], &g[..]] {
                let files = shards_for(&out, &manifest, typed);
                if files.len() > 8 {
                    // The lookup asks for more characters first; never for a whole GTIN.
                    assert!(typed.len() < g.len());
                    continue;
                }
                assert!(
                    lookup(&out, &manifest, typed).contains_key(id),
                    "{id} not found by GTIN {typed}"
                );
            }
        }
    }
}

#[test]
fn sitemap_lists_every_canonical_page_and_robots_points_at_it() {
    let (_dir, out) = build_example();
    let sitemap = fs::read_to_string(out.join("sitemap.xml")).unwrap();
    let locs: Vec<&str> = sitemap
        .split("<loc>")
        .skip(1)
        .map(|s| s.split("</loc>").next().unwrap())
        .collect();
    assert!(locs.len() > 50);
    let mut html_pages = 0;
    for (rel, bytes) in read_tree(&out) {
        if !rel.ends_with("index.html") {
            continue;
        }
        let html = Html::parse_document(&String::from_utf8(bytes).unwrap());
        let c = canonical(&html);
        // Every page's canonical URL is in the sitemap, and is a real page.
        assert!(locs.contains(&c.as_str()), "{rel}: {c} not in the sitemap");
        assert!(file_for(&out, &c).is_file());
        html_pages += 1;
    }
    for l in &locs {
        assert!(file_for(&out, l).is_file(), "sitemap lists {l}");
    }
    assert!(
        html_pages > locs.len(),
        "copies and versions share canonicals"
    );
    let robots = fs::read_to_string(out.join("robots.txt")).unwrap();
    assert!(robots.contains(&format!("Sitemap: {BASE}sitemap.xml")));
}

/// A cell's text with its whitespace collapsed.
fn text(e: scraper::ElementRef) -> String {
    e.text()
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn a_lot_page_lists_each_covering_report_once_with_the_rules_it_backs() {
    let (_dir, out) = build_example();
    let rows = lot_reports_match_the_twins(&out);
    assert!(rows >= 20, "{rows} report rows on the example's lot pages");

    // A report that covers one lot of two: the other lot's page does not list it, and
    // says which rules no current report covers for that lot.
    let site = example_copy();
    let record = site
        .path()
        .join("content/products/toys/rainbow-stacker.yaml");
    let yaml = fs::read_to_string(&record).unwrap();
    let edited = yaml.replace(
        "    covers: [\"SOR/2011-17\", \"SOR/2011-17 s. 23\", \"SOR/2018-83\"]\n    result: pass\n",
        "    covers: [\"SOR/2011-17\", \"SOR/2011-17 s. 23\", \"SOR/2018-83\"]\n    result: pass\n    lots: [\"2026-03A\"]\n",
    );
    assert_ne!(edited, yaml, "the example's Canadian report moved");
    fs::write(&record, edited).unwrap();
    let out = site.path().join("out");
    let o = certpress(&[
        "build",
        "--root",
        site.path().to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    lot_reports_match_the_twins(&out);
    let page = Html::parse_document(
        &fs::read_to_string(out.join("products/rainbow-stacker/lots/2026-07B/index.html")).unwrap(),
    );
    let reports: Vec<String> = page
        .select(&sel("table.lot-reports tbody th"))
        .map(text)
        .collect();
    assert!(
        !reports.contains(&"HTS-CA-2026-0315".to_string()),
        "{reports:?}"
    );
    let ca = text(page.select(&sel("[data-market=CA]")).next().unwrap());
    assert!(
        ca.contains("SOR/2018-83") && ca.contains("no current report covers lot 2026-07B"),
        "{ca}"
    );
}

/// Checks every lot page's table of reports against its product's JSON twin: each report
/// that backs a tested rule for the lot listed once, with exactly the rules it backs per
/// market, its date and result. Returns the rows seen.
fn lot_reports_match_the_twins(out: &Path) -> usize {
    let mut rows = 0;
    for entry in fs::read_dir(out.join("api/v1/products")).unwrap() {
        let twin = json(&entry.unwrap().path());
        let id = twin["id"].as_str().unwrap();
        for lot in twin["lots"].as_array().unwrap() {
            let code = lot["lot"].as_str().unwrap();
            // What the twin says backs this lot: report → (market, cite) per tested rule.
            let mut expected: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
            for a in twin["assessments"].as_array().unwrap() {
                for q in a["requirements"].as_array().unwrap() {
                    if let Some(report) = q["lots"][code].as_str() {
                        expected.entry(report.to_string()).or_default().insert((
                            a["market"].as_str().unwrap().to_string(),
                            q["cite"].as_str().unwrap().to_string(),
                        ));
                    }
                }
            }
            let page = Html::parse_document(
                &fs::read_to_string(out.join(format!("products/{id}/lots/{code}/index.html")))
                    .unwrap(),
            );
            // Report → (market, cite) as the page shows them: one line per market,
            // "US: 16 CFR 1303; 16 CFR 1250".
            let mut shown: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
            for tr in page.select(&sel("table.lot-reports tbody tr")) {
                let report = text(tr.select(&sel("th")).next().unwrap());
                let cell = tr.select(&sel("td")).last().unwrap().inner_html();
                let mut backed = BTreeSet::new();
                for line in cell.split("<br>") {
                    let line = text(Html::parse_fragment(line).root_element());
                    let (market, cites) = line.split_once(": ").unwrap();
                    for cite in cites.split("; ") {
                        backed.insert((market.to_string(), cite.to_string()));
                    }
                }
                assert!(
                    shown.insert(report.clone(), backed).is_none(),
                    "{id} lot {code}: {report} listed twice"
                );
                // Its date and result are the product's evidence's.
                let ev = twin["evidence"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|e| e["report"] == report.as_str())
                    .unwrap_or_else(|| panic!("{id}: {report} is not in the twin"));
                let date = tr.select(&sel("time")).next().unwrap();
                assert_eq!(date.value().attr("datetime"), ev["date"].as_str());
                let result = text(tr.select(&sel("strong.result")).next().unwrap());
                let recorded = ev["result"].as_str().unwrap();
                assert!(
                    result.to_lowercase().ends_with(recorded),
                    "{result} {recorded}"
                );
                rows += 1;
            }
            assert_eq!(shown, expected, "{id} lot {code}");
        }
    }
    rows
}

#[test]
fn a_certified_market_is_summed_up_and_an_open_one_shows_its_table() {
    let (_dir, out) = build_example();
    let (mut summed, mut tabled) = (0, 0);
    for r in records() {
        let id = r["id"].as_str().unwrap();
        let twin = json(&out.join(format!("api/v1/products/{id}.json")));
        let page = Html::parse_document(
            &fs::read_to_string(out.join(format!("products/{id}/index.html"))).unwrap(),
        );
        for a in twin["assessments"].as_array().unwrap() {
            let market = a["market"].as_str().unwrap();
            let article = page
                .select(&sel(&format!("article[aria-labelledby=market-{market}]")))
                .next()
                .unwrap_or_else(|| panic!("{id}: no {market} section"));
            let requirements = a["requirements"].as_array().unwrap();
            let in_force = twin["certificates"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["market"] == market && c["valid"] == true);
            let table_rows = article.select(&sel("table.requirements tbody tr")).count();
            if let Some(c) = in_force {
                // A line of counts instead of the table, the certificate linked.
                assert_eq!(table_rows, 0, "{id} {market}");
                let summary = text(article.select(&sel("p.req-summary")).next().unwrap());
                let n = requirements.len();
                assert!(
                    summary.starts_with(&format!("{n} requirements apply"))
                        || (n == 1 && summary.starts_with("One requirement applies")),
                    "{id} {market}: {summary}"
                );
                let tested = requirements.iter().filter(|q| q["kind"] == "test").count();
                if tested > 0 {
                    assert!(
                        summary.contains(&format!("{tested} met by the test reports")),
                        "{id} {market}: {summary}"
                    );
                }
                let links: Vec<&str> = article
                    .select(&sel("a"))
                    .filter_map(|l| l.value().attr("href"))
                    .collect();
                let cert = c["url"].as_str().unwrap().strip_prefix(BASE).unwrap();
                assert!(
                    links.contains(&format!("/{cert}").as_str()),
                    "{id} {market}: {links:?}"
                );
                assert!(
                    links.contains(&format!("/api/v1/products/{id}.json").as_str()),
                    "{id} {market}: {links:?}"
                );
                summed += 1;
            } else {
                assert_eq!(table_rows, requirements.len(), "{id} {market}");
                tabled += 1;
            }
        }
    }
    assert!(
        summed >= 5 && tabled >= 5,
        "{summed} summed up, {tabled} tables"
    );
}
