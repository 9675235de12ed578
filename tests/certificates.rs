//! Certificate pages and the ledger: every element a CPC or declaration requires, read
//! from the built HTML; versions, supersession and created/modified dates; a certificate
//! that gains a gap is never shown as valid; `--locked`; a hand-edited ledger.

mod common;

use common::*;
use scraper::{Html, Selector};
use std::fs;
use std::path::Path;

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

fn page(out: &Path, rel: &str) -> Html {
    let path = out.join(rel);
    Html::parse_document(
        &fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
}

/// The text of the element marked `data-element="<name>"` (whitespace collapsed).
fn element(html: &Html, name: &str) -> String {
    let el = html
        .select(&sel(&format!("[data-element=\"{name}\"]")))
        .next()
        .unwrap_or_else(|| panic!("no element {name}"));
    el.text()
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn field(html: &Html, name: &str) -> String {
    html.select(&sel(&format!("[data-field=\"{name}\"]")))
        .next()
        .unwrap_or_else(|| panic!("no field {name}"))
        .text()
        .collect::<String>()
        .trim()
        .to_string()
}

fn build(root: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "build",
        "--root",
        root.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    certpress(&args)
}

#[test]
fn a_cpc_page_shows_the_seven_elements_of_16_cfr_1110_11() {
    let (_dir, out) = build_example();
    let html = page(&out, "certificates/LO-RAINBOW-STACKER-US-CPC/index.html");
    assert_eq!(field(&html, "number"), "LO-RAINBOW-STACKER-US-CPC");
    assert!(field(&html, "status").contains("Valid"));
    assert_eq!(field(&html, "version"), "1 of 1");
    assert!(!field(&html, "created").is_empty() && !field(&html, "modified").is_empty());
    // 1. Product identification.
    let product = element(&html, "product");
    for s in ["Rainbow Stacking Rings", "LO-RS-01", "09521234000112"] {
        assert!(product.contains(s), "{product}");
    }
    // 2. Each rule, separately.
    let rules = element(&html, "rules");
    for s in [
        "15 U.S.C. 1278a",
        "16 CFR 1303",
        "16 CFR 1250",
        "16 CFR 1501",
    ] {
        assert!(rules.contains(s), "{rules}");
    }
    // 3. The certifier (the US importer) with address and phone.
    let certifier = element(&html, "certifier");
    for s in [
        "importer",
        "Little Oak Imports USA",
        "Portland, OR 97201",
        "+1 503 555 0142",
    ] {
        assert!(certifier.contains(s), "{certifier}");
    }
    // 4. The records custodian with address, e-mail and phone.
    let custodian = element(&html, "records-custodian");
    for s in [
        "Jane Doe",
        "jane.doe@littleoak.example",
        "+1 503 555 0199",
        "Portland",
    ] {
        assert!(custodian.contains(s), "{custodian}");
    }
    // 5. Date and place of manufacture, per lot.
    let made = element(&html, "manufacture");
    for s in ["2026-03A", "March 2026", "2026-07B", "July 2026", "Ningbo"] {
        assert!(made.contains(s), "{made}");
    }
    // 6. Date and place of testing.
    let tested = element(&html, "testing");
    for s in ["HTS-2026-0802", "2 August 2026", "Ningbo, China"] {
        assert!(tested.contains(s), "{tested}");
    }
    // 7. The third-party lab with address and phone.
    let labs = element(&html, "labs");
    for s in [
        "Harbour Testing Services",
        "Beilun District",
        "+86 574 0000 0300",
        "9901",
    ] {
        assert!(labs.contains(s), "{labs}");
    }
    // The product page links to it.
    let product_page = fs::read_to_string(out.join("products/rainbow-stacker/index.html")).unwrap();
    assert!(product_page.contains("/certificates/LO-RAINBOW-STACKER-US-CPC/"));
    // Prints without navigation.
    let css = fs::read_to_string(out.join("static/style.css")).unwrap();
    assert!(css.contains("@media print") && css.contains(".site-header"));
}

#[test]
fn an_eu_declaration_shows_the_annex_iii_items_with_a_colour_image() {
    let (_dir, out) = build_example();
    let html = page(&out, "certificates/LO-RAINBOW-STACKER-EU-DOC/index.html");
    assert!(element(&html, "number").contains("LO-RAINBOW-STACKER-EU-DOC"));
    assert!(element(&html, "manufacturer").contains("Little Oak Toys & Textiles Ltd."));
    assert!(element(&html, "responsibility").contains("sole responsibility of the manufacturer"));
    let object = html
        .select(&sel("[data-element=\"object\"] img"))
        .next()
        .expect("a colour image");
    let src = object.value().attr("src").unwrap();
    assert!(out.join(src.trim_start_matches('/')).is_file(), "{src}");
    assert!(element(&html, "legislation").contains("Directive 2009/48/EC"));
    let standards = element(&html, "standards");
    for s in ["EN 71-1", "EN 71-2", "EN 71-3", "HTS-EU-2026-0314"] {
        assert!(standards.contains(s), "{standards}");
    }
    assert!(
        !standards.contains("SI 2011/1881"),
        "a UK law is not an EU standard"
    );
    assert!(element(&html, "notified-body").contains("Where applicable"));
    assert!(element(&html, "signature").contains("Signed for and on behalf of"));
    // The UK declaration cites the UK regulations.
    let uk = page(&out, "certificates/LO-RAINBOW-STACKER-UK-DOC/index.html");
    assert!(element(&uk, "legislation").contains("SI 2011/1881"));
}

#[test]
fn a_blocked_certificate_has_no_page_and_is_not_issued() {
    let (_dir, out) = build_example();
    assert!(!out.join("certificates/LO-WOODEN-PULL-DUCK-US-CPC").exists());
    let lock = fs::read_to_string(repo().join("certificates.lock")).unwrap();
    assert!(!lock.contains("LO-WOODEN-PULL-DUCK-US-CPC"));
    assert!(lock.contains("LO-WOODEN-PULL-DUCK-EU-DOC v1"));
}

#[test]
fn versions_are_kept_and_a_new_gap_invalidates_the_certificate() {
    let site = example_copy();
    let root = site.path();
    let out = root.join("public");
    let record = root.join("content/products/toys/rainbow-stacker.yaml");
    let yaml = fs::read_to_string(&record).unwrap();

    // A new lot changes the certificate: the build warns, and fails under --locked.
    let with_lot = yaml.replace(
        "evidence:\n",
        "  - lot: \"2026-10C\"\n    made: 2026-10\n    place: Ningbo, Zhejiang, China\nevidence:\n",
    );
    fs::write(&record, &with_lot).unwrap();
    let o = build(root, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("LO-RAINBOW-STACKER-US-CPC changed since its last issued version"));
    let o = build(root, &out, &["--locked"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("error[unissued]"), "{}", stderr(&o));

    // Issuing on a later date records version 2; version 1 stays, superseded.
    let o = certpress(&[
        "issue",
        "--root",
        root.to_str().unwrap(),
        "--as-of",
        "2026-12-01",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("Issued LO-RAINBOW-STACKER-US-CPC v2"),
        "{}",
        stdout(&o)
    );
    let o = certpress(&[
        "issue",
        "--root",
        root.to_str().unwrap(),
        "--as-of",
        "2026-12-01",
    ]);
    assert!(
        stdout(&o).contains("0 new versions issued"),
        "{}",
        stdout(&o)
    );
    let o = build(root, &out, &["--locked", "--as-of", "2026-12-01"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let current = page(&out, "certificates/LO-RAINBOW-STACKER-US-CPC/index.html");
    assert_eq!(field(&current, "version"), "2 of 2");
    assert!(field(&current, "status").contains("Valid"));
    assert_eq!(field(&current, "created"), "23 November 2026");
    assert_eq!(field(&current, "modified"), "1 December 2026");
    assert!(element(&current, "manufacture").contains("2026-10C"));
    let v1 = page(&out, "certificates/LO-RAINBOW-STACKER-US-CPC/v1/index.html");
    assert!(field(&v1, "status").contains("Superseded"));
    assert!(
        !element(&v1, "manufacture").contains("2026-10C"),
        "v1 renders as issued"
    );
    let canonical = v1.select(&sel("link[rel=canonical]")).next().unwrap();
    assert!(
        canonical
            .value()
            .attr("href")
            .unwrap()
            .ends_with("/certificates/LO-RAINBOW-STACKER-US-CPC/")
    );

    // A failed report: the certificate is not valid, whatever was issued.
    let failed = with_lot.replace(
        "covers: [\"16 CFR 1303\", \"15 U.S.C. 1278a\", \"16 CFR 1250\", \"16 CFR 1501\"]\n    result: pass\n  - report: HTS-EU",
        "covers: [\"16 CFR 1303\", \"15 U.S.C. 1278a\", \"16 CFR 1250\", \"16 CFR 1501\"]\n    result: fail\n  - report: HTS-EU",
    );
    assert_ne!(failed, with_lot);
    fs::write(&record, &failed).unwrap();
    let o = build(root, &out, &["--as-of", "2026-12-01"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let blocked = page(&out, "certificates/LO-RAINBOW-STACKER-US-CPC/index.html");
    let status = field(&blocked, "status");
    assert!(
        status.contains("Not valid") && !status.contains("✓"),
        "{status}"
    );
    let alert: String = blocked
        .select(&sel("[role=alert]"))
        .next()
        .unwrap()
        .text()
        .collect();
    assert!(alert.contains("failed"), "{alert}");
    // The product page no longer links to it as issued.
    let product = page(&out, "products/rainbow-stacker/index.html");
    let us = product
        .select(&sel("#market-US"))
        .next()
        .unwrap()
        .parent()
        .unwrap();
    let us = scraper::ElementRef::wrap(us).unwrap();
    assert_eq!(us.select(&sel("a.cert-link")).count(), 0);
    let eu = product
        .select(&sel("#market-EU"))
        .next()
        .unwrap()
        .parent()
        .unwrap();
    assert_eq!(
        scraper::ElementRef::wrap(eu)
            .unwrap()
            .select(&sel("a.cert-link"))
            .count(),
        1
    );
}

#[test]
fn a_hand_edited_ledger_is_an_error_at_its_line() {
    let site = example_copy();
    let lock = fs::read_to_string(repo().join("certificates.lock")).unwrap();
    fs::write(
        site.path().join("certificates.lock"),
        lock.replacen("\"model\":\"LO-RS-01\"", "\"model\":\"LO-RS-99\"", 1),
    )
    .unwrap();
    let o = certpress(&["check", "--root", site.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("does not match its hash"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("certificates.lock:"), "{}", stderr(&o));
}

/// The lines of the `<p class="party-block">` (certificate) or `<address>` (product page)
/// elements under `scope`, each block as its text lines.
fn address_blocks(html: &Html, selector: &str) -> Vec<Vec<String>> {
    html.select(&sel(selector))
        .map(|el| {
            el.text()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(String::from)
                .collect()
        })
        .collect()
}

#[test]
fn every_party_states_its_full_mailing_address_with_the_country() {
    // `certpress new` writes parties whose address lines leave the country to `country:`;
    // give its lot the factory too, so every kind of party is on the certificate.
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    assert!(certpress(&["new", site.to_str().unwrap()]).status.success());
    let record = site.join("content/products/wooden-blocks.yaml");
    let text = fs::read_to_string(&record).unwrap();
    let text = text.replace(
        "    place: Ningbo, Zhejiang, China\n",
        "    place: Ningbo, Zhejiang, China\n    factory: my-factory\n",
    );
    assert!(text.contains("factory: my-factory"));
    fs::write(&record, text).unwrap();
    let root = site.to_str().unwrap();
    let o = certpress(&["issue", "--root", root]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = site.join("public");
    let o = build(&site, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));

    // The certificate: certifier, custodian and lab end with their country's name; the
    // factory's address in the lots table too.
    let cpc = page(&out, "certificates/CERT-WOODEN-BLOCKS-US-CPC/index.html");
    let blocks = address_blocks(&cpc, "p.party-block");
    let ends = |name: &str, country: &str| {
        let b = blocks
            .iter()
            .find(|b| b[0] == name)
            .unwrap_or_else(|| panic!("no block for {name}: {blocks:?}"));
        let street_end = b.iter().position(|l| l.contains(':')).unwrap_or(b.len());
        assert_eq!(b[street_end - 1], country, "{b:?}");
    };
    ends("My Brand Imports LLC", "United States");
    ends("Alex Example", "United States");
    ends("Example Testing Laboratory", "China");
    let made = element(&cpc, "manufacture");
    assert!(
        made.contains("My Factory Co., Ltd., 1 Example Road, Ningbo, Zhejiang 315000, China"),
        "{made}"
    );

    // The product page's party cards, the lot page's factory.
    let product = page(&out, "products/wooden-blocks/index.html");
    let cards = address_blocks(&product, "article.party address");
    assert!(cards.len() >= 5, "{cards:?}"); // maker, importer, custodian, lab, factory
    for card in &cards {
        let street_end = card
            .iter()
            .position(|l| l.contains(':'))
            .unwrap_or(card.len());
        let last = &card[street_end - 1];
        assert!(last == "United States" || last == "China", "{card:?}");
        assert!(!card.iter().any(|l| l == "US" || l == "CN"), "{card:?}");
    }
    // `new` names the lot after the month before the day it runs.
    let record: serde_yaml::Value =
        serde_yaml::from_str(&fs::read_to_string(&record).unwrap()).unwrap();
    let code = record["lots"][0]["lot"].as_str().unwrap();
    let lot = page(
        &out,
        &format!("products/wooden-blocks/lots/{code}/index.html"),
    );
    let lot_text = lot.root_element().text().collect::<String>();
    assert!(
        lot_text.contains("1 Example Road, Ningbo, Zhejiang 315000, China"),
        "{lot_text}"
    );

    // The JSON twin keeps `address` as written and adds the full address.
    let twin: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(out.join("api/v1/products/wooden-blocks.json")).unwrap(),
    )
    .unwrap();
    let importer = &twin["importers"]["US"];
    assert_eq!(importer["country"], "US");
    assert_eq!(importer["country_name"], "United States");
    assert_eq!(
        importer["address"],
        serde_json::json!(["100 Example Street", "Portland, OR 97201"])
    );
    assert_eq!(
        importer["mailing_address"],
        serde_json::json!(["100 Example Street", "Portland, OR 97201", "United States"])
    );
    assert_eq!(
        twin["lots"][0]["factory"]["mailing_address"][2], "China",
        "{}",
        twin["lots"][0]
    );
}

#[test]
fn an_address_that_already_ends_with_its_country_is_not_given_it_twice() {
    // The example site's parties write the country as their last line ("China",
    // "United States"): it is printed once.
    let (_dir, out) = build_example();
    let cpc = page(&out, "certificates/LO-RAINBOW-STACKER-US-CPC/index.html");
    for b in address_blocks(&cpc, "p.party-block") {
        let countries = b
            .iter()
            .filter(|l| ["China", "United States", "India"].contains(&l.as_str()))
            .count();
        assert_eq!(countries, 1, "{b:?}");
    }
    let product = page(&out, "products/rainbow-stacker/index.html");
    for card in address_blocks(&product, "article.party address") {
        assert!(
            !card
                .iter()
                .any(|l| l.len() == 2 && l.chars().all(|c| c.is_ascii_uppercase())),
            "a bare country code: {card:?}"
        );
        let countries = card
            .iter()
            .filter(|l| {
                [
                    "China",
                    "United States",
                    "India",
                    "Germany",
                    "United Kingdom",
                    "Canada",
                ]
                .contains(&l.as_str())
            })
            .count();
        assert_eq!(countries, 1, "{card:?}");
    }
}
