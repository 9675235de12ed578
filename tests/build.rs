//! Builds the example site and small fixture sites into temp folders and checks the
//! real output: parsed HTML, resolved links, byte-identical rebuilds, and an untouched
//! output folder after a failed build.

mod common;

use common::*;
use scraper::{Html, Selector};
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

fn page(out: &Path, rel: &str) -> Html {
    let text = fs::read_to_string(out.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    Html::parse_document(&text)
}

fn text(html: &Html, selector: &str) -> Vec<String> {
    html.select(&sel(selector))
        .map(|e| e.text().collect::<String>().trim().to_string())
        .collect()
}

fn example_products() -> Vec<(String, String)> {
    // (id, name) from the records themselves.
    walkdir::WalkDir::new(repo().join("content/products"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "yaml"))
        .map(|e| {
            let v: serde_yaml::Value =
                serde_yaml::from_str(&fs::read_to_string(e.path()).unwrap()).unwrap();
            (
                v["id"].as_str().unwrap().to_string(),
                v["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn example_site_has_a_page_per_product_linked_from_home() {
    let (_dir, out) = build_example();
    let products = example_products();
    assert!(
        products.len() >= 14,
        "the example site needs at least 14 products"
    );
    let home = page(&out, "index.html");
    let links: BTreeSet<String> = home
        .select(&sel("main a[href]"))
        .map(|a| a.value().attr("href").unwrap().to_string())
        .collect();
    for (id, name) in &products {
        let url = format!("/products/{id}/");
        assert!(links.contains(&url), "home does not link {url}");
        let p = page(&out, &format!("products/{id}/index.html"));
        assert_eq!(text(&p, "h1"), vec![name.clone()], "h1 of {id}");
        let canonical = p
            .select(&sel("link[rel=canonical]"))
            .next()
            .unwrap()
            .value()
            .attr("href")
            .unwrap()
            .to_string();
        assert_eq!(
            canonical,
            format!("https://certs.littleoak.example/products/{id}/")
        );
    }
}

#[test]
fn product_page_shows_identity_lots_and_evidence() {
    let (_dir, out) = build_example();
    let p = page(&out, "products/rainbow-stacker/index.html");
    let body = p.root_element().text().collect::<String>();
    // GTIN normalised to 14 digits, every lot, every report and its lab.
    let record: serde_yaml::Value = serde_yaml::from_str(
        &fs::read_to_string(repo().join("content/products/toys/rainbow-stacker.yaml")).unwrap(),
    )
    .unwrap();
    let gtin = record["gtin"].as_str().unwrap();
    assert!(body.contains(&format!("{gtin:0>14}")), "GTIN-14 missing");
    for lot in record["lots"].as_sequence().unwrap() {
        assert!(body.contains(lot["lot"].as_str().unwrap()));
    }
    for ev in record["evidence"].as_sequence().unwrap() {
        assert!(body.contains(ev["report"].as_str().unwrap()));
    }
    let img = p.select(&sel("img")).next().expect("product image");
    let src = img.value().attr("src").unwrap();
    assert!(
        out.join(src.trim_start_matches('/')).is_file(),
        "image {src} not copied"
    );
    assert!(!img.value().attr("alt").unwrap_or_default().is_empty());
}

#[test]
fn guidance_pages_have_a_toc_matching_heading_anchors() {
    let (_dir, out) = build_example();
    let index = page(&out, "guidance/index.html");
    let pages: Vec<String> = index
        .select(&sel("main a[href^='/guidance/']"))
        .map(|a| a.value().attr("href").unwrap().to_string())
        .collect();
    assert!(pages.len() >= 5, "guidance index lists {pages:?}");
    for url in pages {
        let html = page(&out, &format!("{}index.html", url.trim_start_matches('/')));
        let ids: BTreeSet<&str> = html
            .select(&sel("[id]"))
            .map(|e| e.value().attr("id").unwrap())
            .collect();
        let toc: Vec<&str> = html
            .select(&sel("nav a[href^='#']"))
            .map(|a| a.value().attr("href").unwrap().trim_start_matches('#'))
            .filter(|h| *h != "main")
            .collect();
        assert!(!toc.is_empty(), "{url} has no table of contents");
        for t in toc {
            assert!(ids.contains(t), "{url}: toc entry #{t} has no target");
        }
        assert_eq!(html.select(&sel("h1")).count(), 1, "{url} must have one h1");
    }
}

/// Every href and src on every page resolves to a built file (or an anchor on it).
#[test]
fn every_internal_link_resolves() {
    let (_dir, out) = build_example();
    let mut checked = 0;
    for (rel, bytes) in read_tree(&out) {
        if !rel.ends_with(".html") {
            continue;
        }
        let html = Html::parse_document(&String::from_utf8(bytes).unwrap());
        for el in html.select(&sel("[href], [src]")) {
            let v = el.value();
            let link = v.attr("href").or(v.attr("src")).unwrap();
            if link.contains(':') || link.starts_with('#') || link.starts_with("//") {
                continue; // external, mailto:, tel:, same-page anchor
            }
            assert!(link.starts_with('/'), "{rel}: relative link {link}");
            let (path, fragment) = link.split_once('#').unwrap_or((link, ""));
            let mut target = out.join(path.trim_start_matches('/'));
            if path.ends_with('/') {
                target = target.join("index.html");
            }
            assert!(target.is_file(), "{rel}: broken link {link}");
            if !fragment.is_empty() && target.extension().is_some_and(|x| x == "html") {
                let t = Html::parse_document(&fs::read_to_string(&target).unwrap());
                let found = t
                    .select(&sel(&format!("[id='{fragment}']")))
                    .next()
                    .is_some();
                assert!(found, "{rel}: {link} has no #{fragment}");
            }
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} links checked");
}

#[test]
fn builds_are_byte_identical() {
    let (_a, out_a) = build_example();
    let (_b, out_b) = build_example();
    let a = read_tree(&out_a);
    let b = read_tree(&out_b);
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (k, v) in &a {
        assert!(v == &b[k], "{k} differs between builds");
    }
}

#[test]
fn a_failed_build_leaves_the_previous_output_untouched() {
    let site = example_copy();
    let root = site.path().to_str().unwrap();
    let o = certpress(&["build", "--root", root]);
    assert!(o.status.success(), "{}", stderr(&o));
    let before = read_tree(&site.path().join("public"));
    assert!(before.len() > 30);

    // A broken record: the build must fail and public/ must not change at all.
    fs::write(
        site.path().join("content/products/broken.yaml"),
        "id: broken\nname: Broken\nmodel: B\nmanufacturer: nobody\n",
    )
    .unwrap();
    // A page other guidance links to (the CPC guide links periodic testing).
    let guide = site
        .path()
        .join("plugins/us-cpsc/guidance/us/periodic-testing.md");
    let guide_text = fs::read(&guide).unwrap();
    fs::remove_file(&guide).unwrap();
    let o = certpress(&["build", "--root", root]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("unknown-party"));
    assert_eq!(
        read_tree(&site.path().join("public")),
        before,
        "public/ changed after a failed build"
    );

    assert!(stderr(&o).contains("broken-link"));

    // A theme error is found only while rendering: still nothing changes.
    fs::remove_file(site.path().join("content/products/broken.yaml")).unwrap();
    fs::write(&guide, guide_text).unwrap();
    fs::write(
        site.path().join("themes/default/templates/product.html"),
        "{{ product.no_such_field }}",
    )
    .unwrap();
    let o = certpress(&["build", "--root", root]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("template-error"), "{}", stderr(&o));
    assert_eq!(
        read_tree(&site.path().join("public")),
        before,
        "public/ changed after a failed render"
    );
    // No half-written output is left beside it under a visible name.
    let visible: Vec<_> = fs::read_dir(site.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("public") && !n.starts_with('.'))
        .collect();
    assert_eq!(visible, vec!["public"]);
}

#[test]
fn record_text_is_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    let o = certpress(&["new", site.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let hostile = r#"Blocks <script>alert("x")</script> & "Co" 'quoted'"#;
    let record = fs::read_to_string(site.join("content/products/wooden-blocks.yaml"))
        .unwrap()
        .replace(
            "name: Wooden Building Blocks",
            &format!("name: '{}'", hostile.replace('\'', "''")),
        )
        .replace("brand: My Brand", "brand: \"<img src=x onerror=alert(1)>\"");
    fs::write(site.join("content/products/wooden-blocks.yaml"), record).unwrap();
    let o = certpress(&["build", "--root", site.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    for rel in ["index.html", "products/wooden-blocks/index.html"] {
        let raw = fs::read_to_string(site.join("public").join(rel)).unwrap();
        assert!(!raw.contains("<script>"), "{rel} has an unescaped script");
        assert!(!raw.contains("<img src=x"), "{rel} has an unescaped img");
        let html = Html::parse_document(&raw);
        // The only script is the theme's own file (the lookup); none is inline.
        assert_eq!(html.select(&sel("script:not([src])")).count(), 0);
        assert!(
            html.root_element()
                .text()
                .collect::<String>()
                .contains(hostile),
            "{rel} lost the text"
        );
    }
}

#[test]
fn new_scaffolds_a_site_that_builds() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("my-site");
    let o = certpress(&["new", site.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Its one certificate is ready; until it is issued, the site says so.
    let o = certpress(&["check", "--root", site.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("warning[unissued]"), "{}", stderr(&o));
    let o = certpress(&["issue", "--root", site.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("Issued CERT-WOODEN-BLOCKS-US-CPC v1"),
        "{}",
        stdout(&o)
    );
    let o = certpress(&["check", "--root", site.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
    let o = certpress(&["build", "--root", site.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let html = page(&site.join("public"), "products/wooden-blocks/index.html");
    assert_eq!(text(&html, "h1"), vec!["Wooden Building Blocks"]);
    assert!(site.join("plugins/us-cpsc/plugin.yaml").is_file());
    assert!(
        site.join("public/certificates/CERT-WOODEN-BLOCKS-US-CPC/index.html")
            .is_file()
    );
    // Refuses to overwrite.
    let o = certpress(&["new", site.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn exit_codes_and_json() {
    let root = repo();
    let root = root.to_str().unwrap();
    let o = certpress(&["check", "--json", "--root", root]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(json["as_of"], "2026-11-23");
    assert_eq!(
        json["products"].as_array().unwrap().len(),
        example_products().len()
    );

    let o = certpress(&["check", "--json", "--as-of", "2027-01-05", "--root", root]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(json["as_of"], "2027-01-05");

    assert_eq!(
        certpress(&["check", "--as-of", "2027-02-30", "--root", root])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(certpress(&["frobnicate"]).status.code(), Some(2));
    let empty = tempfile::tempdir().unwrap();
    let o = certpress(&["check", "--root", empty.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("site.toml"));
}

#[test]
fn base_url_override_moves_every_link_under_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = certpress(&[
        "build",
        "--root",
        repo().to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
        "--base-url",
        "https://example.github.io/certs",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let html = page(&out, "products/rainbow-stacker/index.html");
    for a in html.select(&sel("a[href^='/'], link[href^='/'], img[src^='/']")) {
        let v = a.value();
        let link = v.attr("href").or(v.attr("src")).unwrap();
        assert!(link.starts_with("/certs/"), "{link} is outside /certs/");
    }
    // The Digital Link stub sends the browser on under the path prefix too, and names
    // the page's absolute URL as canonical.
    let stub = page(&out, "01/09521234000112/10/2026-03A/index.html");
    let attr = |css: &str, name: &str| {
        let e = stub.select(&sel(css)).next().unwrap();
        e.value().attr(name).unwrap().to_string()
    };
    let lot = "/certs/products/rainbow-stacker/lots/2026-03A/";
    assert_eq!(
        attr("meta[http-equiv=refresh]", "content"),
        format!("0; url={lot}")
    );
    assert_eq!(attr("body a", "href"), lot);
    assert_eq!(
        attr("link[rel=canonical]", "href"),
        format!("https://example.github.io{lot}")
    );
    let guide =
        fs::read_to_string(out.join("guidance/us/childrens-product-certificate/index.html"))
            .unwrap();
    assert!(
        guide.contains("href=\"/certs/guidance/"),
        "guidance links are not rewritten under the base path"
    );
}

#[test]
fn build_refuses_output_folders_it_would_destroy() {
    let site = example_copy();
    let root = site.path().to_str().unwrap();
    let precious = site.path().join("notes");
    fs::create_dir(&precious).unwrap();
    fs::write(precious.join("draft.txt"), "keep me").unwrap();
    for target in [
        site.path().join("content"),
        site.path().join("content/assets/out"),
        site.path().to_path_buf(),
        precious.clone(),
    ] {
        let o = certpress(&[
            "build",
            "--root",
            root,
            "--output",
            target.to_str().unwrap(),
        ]);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{} was accepted:\n{}",
            target.display(),
            stderr(&o)
        );
        assert!(stderr(&o).contains("bad-output"), "{}", stderr(&o));
    }
    assert_eq!(
        fs::read_to_string(precious.join("draft.txt")).unwrap(),
        "keep me"
    );
    assert!(site.path().join("content/products").is_dir());
    // The configured output is fine, and so is rebuilding over it.
    for _ in 0..2 {
        let o = certpress(&["build", "--root", root]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
}

#[test]
fn a_blocked_certificate_is_never_shown_as_issued() {
    let (_dir, out) = build_example();
    let status = |id: &str| {
        let html = page(&out, &format!("products/{id}/index.html"));
        let market = html
            .select(&sel("#market-US"))
            .next()
            .unwrap_or_else(|| panic!("{id}: no US section"));
        let section = market.parent().unwrap();
        scraper::ElementRef::wrap(section)
            .unwrap()
            .text()
            .collect::<String>()
    };
    let blocked = status("wooden-pull-duck");
    assert!(
        blocked.contains("Blocked") && blocked.contains("not issued"),
        "{blocked}"
    );
    assert!(!blocked.contains("Ready"), "{blocked}");
    assert!(
        blocked.contains("16 CFR 1303") && blocked.contains("missing"),
        "{blocked}"
    );
    let ready = status("rainbow-stacker");
    assert!(
        ready.contains("Ready") && ready.contains("LO-RAINBOW-STACKER-US-CPC"),
        "{ready}"
    );
    // Canada has no certificate document: the page says so rather than naming one.
    let html = fs::read_to_string(out.join("products/rainbow-stacker/index.html")).unwrap();
    assert!(
        !html.contains("Not assessed"),
        "all five markets have packs"
    );
    let doc = scraper::Html::parse_document(&html);
    let canada = doc
        .select(&sel("#market-CA"))
        .next()
        .unwrap()
        .parent()
        .unwrap();
    let canada: String = scraper::ElementRef::wrap(canada).unwrap().text().collect();
    assert!(
        canada.contains("No certificate document is required"),
        "{canada}"
    );
}

#[test]
fn a_market_without_a_rule_pack_is_not_assessed() {
    // Nothing is claimed for a market no enabled pack covers.
    let site = example_copy();
    let path = site
        .path()
        .join("content/products/toys/rainbow-stacker.yaml");
    let yaml = fs::read_to_string(&path).unwrap();
    fs::write(
        &path,
        yaml.replace(
            "markets: [US, EU, GB, CA, AU]",
            "markets: [US, EU, GB, CA, AU, JP]",
        ),
    )
    .unwrap();
    let out = site.path().join("public");
    let o = certpress(&[
        "build",
        "--root",
        site.path().to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let html = fs::read_to_string(out.join("products/rainbow-stacker/index.html")).unwrap();
    let doc = scraper::Html::parse_document(&html);
    let note: String = doc
        .select(&sel(".unassessed"))
        .next()
        .expect("an unassessed note")
        .text()
        .collect();
    assert!(
        note.contains("Not assessed") && note.contains("(JP)"),
        "{note}"
    );
}

#[test]
fn gaps_are_warnings_and_errors_under_strict() {
    let o = certpress(&["check", "--root", repo().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("warning[gap]"), "{}", stderr(&o));
    let o = certpress(&["check", "--strict", "--root", repo().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = certpress(&[
        "build",
        "--strict",
        "--root",
        repo().to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(!out.exists(), "a strict build with gaps writes nothing");
}

#[test]
fn public_pages_name_marks_accreditations_and_evidence_in_words() {
    let (_dir, out) = build_example();
    let visible = |rel: &str| {
        let html = page(&out, rel);
        html.select(&sel("main"))
            .flat_map(|m| m.text())
            .collect::<Vec<_>>()
            .join(" ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let product = visible("products/rainbow-stacker/index.html");
    for s in [
        "CPSC-accepted lab no. 9901",
        "ISO/IEC 17025 accreditation L9901-EX",
        "CE marking (at least 5 mm high)",
        "CE marking (accepted in Great Britain)",
    ] {
        assert!(product.contains(s), "product page lacks {s:?}");
    }
    // Evidence in words where a table shows the requirements: a product with a market
    // not yet certified (a certified market's table gives way to a line of counts).
    let open = visible("products/wooden-pull-duck/index.html");
    for s in ["Stated in the record", "Shown in the record"] {
        assert!(open.contains(s), "product page lacks {s:?}");
    }
    let lot = visible("products/rainbow-stacker/lots/2026-03A/index.html");
    assert!(lot.contains("CE marking (at least 5 mm high)"), "{lot}");
    let cpc = visible("certificates/LO-RAINBOW-STACKER-US-CPC/index.html");
    assert!(cpc.contains("CPSC-accepted lab no. 9901"), "{cpc}");
    // A toy for the under-3s sold in the EU: the age pictogram by name.
    let under3 = fs::read_dir(out.join("products"))
        .unwrap()
        .map(|e| {
            visible(&format!(
                "products/{}/index.html",
                e.unwrap().file_name().to_string_lossy()
            ))
        })
        .find(|t| t.contains("Age warning symbol"));
    assert!(under3.is_some(), "no page names the age-0-3 mark");
    // The ids are gone from what people read.
    for page_text in [&product, &lot, &cpc] {
        for id in [
            "declaration: tracking-label",
            "Accreditation (cpsc)",
            "cpsc 9901",
            "iso17025",
            "Marks required: ce",
        ] {
            assert!(!page_text.contains(id), "{id:?} shown");
        }
    }
}
