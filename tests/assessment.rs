//! The rule-pack engine against purpose-built products: every status of SPEC §5.2, lot
//! coverage, and for the shipped US pack the age boundaries (35/36, 71/72, 95/96,
//! 155/156 months), sleepwear size ranges and exemptions.

mod common;

use common::site_test::{SiteTest, check_site};
use common::*;
use serde_json::Value;
use std::fs;

/// The invalid-case base site plus an ISO-only lab and `products` (file name → YAML),
/// checked in-process as `check --json` would.
fn assess(products: &[(&str, String)]) -> Value {
    let mut site = SiteTest::invalid_base().with_shipped_plugins().party(
        "iso-lab",
        "id: iso-lab\nkind: lab\nname: ISO-only Lab\naccreditations: { iso17025: \"L9\" }\n",
    );
    for (name, yaml) in products {
        site = site.product(name, yaml);
    }
    site.check_clean()
}

/// A US children's product record.
fn product(id: &str, extra: &str) -> (&'static str, String) {
    let name: &'static str = Box::leak(id.to_string().into_boxed_str());
    (
        name,
        format!(
            "id: {id}\nname: {id}\nmodel: M-{id}\nmarkets: [US]\nmanufacturer: maker\nimporters: {{ US: importer }}\nrecords_custodian: keeper\n{extra}"
        ),
    )
}

fn us<'a>(json: &'a Value, id: &str) -> &'a Value {
    let p = json["products"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id)
        .unwrap_or_else(|| panic!("no {id}"));
    p["assessments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["market"] == "US")
        .unwrap_or_else(|| panic!("{id} not assessed"))
}

fn status<'a>(json: &'a Value, id: &str, requirement: &str) -> Option<&'a str> {
    us(json, id)["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == requirement)
        .map(|r| r["status"].as_str().unwrap())
}

fn applies(json: &Value, id: &str, requirement: &str) -> bool {
    status(json, id, requirement).is_some()
}

const TOY: &str = "categories: [toy]\ndeclarations: { tracking-label: true }\n";

#[test]
fn every_status() {
    let report = |r: &str, lab: &str, date: &str, result: &str, lots: &str| {
        format!(
            "  - {{ report: {r}, lab: {lab}, date: {date}, place: Shenzhen, covers: [\"16 CFR 1303\"], result: {result}{lots} }}\n"
        )
    };
    let age = "age: { min_months: 36, max_months: 96 }\nattributes: { painted: true }\n";
    let with = |reports: String| {
        format!(
            "{TOY}{age}lots:\n  - {{ lot: L1, made: 2026-03, place: Ningbo }}\n  - {{ lot: L2, made: 2026-06, place: Ningbo }}\nevidence:\n{reports}"
        )
    };
    let json = assess(&[
        product("ok", &with(report("R1", "lab", "2026-03-11", "pass", ""))),
        product("none", &format!("{TOY}{age}")),
        product(
            "failed",
            &with(
                report("R1", "lab", "2026-01-11", "pass", "")
                    + &report("R2", "lab", "2026-03-11", "fail", ""),
            ),
        ),
        product("old", &with(report("R1", "lab", "2025-11-22", "pass", ""))),
        product(
            "just-in-time",
            &with(report("R1", "lab", "2025-11-23", "pass", "")),
        ),
        product(
            "wrong-lab",
            &with(report("R1", "iso-lab", "2026-03-11", "pass", "")),
        ),
        product(
            "one-lot",
            &with(report("R1", "lab", "2026-03-11", "pass", ", lots: [L1]")),
        ),
        product(
            "two-lots",
            &with(
                report("R1", "lab", "2026-03-11", "pass", ", lots: [L1]")
                    + &report("R2", "lab", "2026-06-11", "pass", ", lots: [L2]"),
            ),
        ),
    ]);
    assert_eq!(status(&json, "ok", "lead-paint"), Some("satisfied"));
    assert_eq!(status(&json, "none", "lead-paint"), Some("missing"));
    assert_eq!(status(&json, "failed", "lead-paint"), Some("failed"));
    assert_eq!(status(&json, "old", "lead-paint"), Some("expired"));
    assert_eq!(
        status(&json, "just-in-time", "lead-paint"),
        Some("satisfied")
    );
    assert_eq!(
        status(&json, "wrong-lab", "lead-paint"),
        Some("lab-not-accepted")
    );
    assert_eq!(status(&json, "one-lot", "lead-paint"), Some("missing"));
    assert_eq!(status(&json, "two-lots", "lead-paint"), Some("satisfied"));
    let lots = &us(&json, "two-lots")["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "lead-paint")
        .unwrap()["lots"];
    assert_eq!(lots["L1"], "R1");
    assert_eq!(lots["L2"], "R2");
    // A certificate is ready only when everything applicable is satisfied; the base
    // product covers all its rules.
    assert_eq!(us(&json, "good")["certificate"]["status"], "ready");
    assert_eq!(
        us(&json, "good")["certificate"]["number"],
        "CERT-GOOD-US-CPC"
    );
    assert_eq!(us(&json, "ok")["certificate"]["status"], "blocked");
    // Every gap is a warning at the field to change (the failed report's section),
    // saying what to change.
    let gaps: Vec<&Value> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "gap" && d["file"] == "content/products/failed.yaml")
        .collect();
    assert!(!gaps.is_empty());
    assert!(gaps.iter().all(|d| d["severity"] == "warning"
        && d["line"].as_u64() > Some(1)
        && d["help"].is_string()));
}

#[test]
fn us_age_boundaries() {
    let aged = |id: &str, min: u32, attrs: &str| {
        product(
            id,
            &format!("{TOY}age: {{ min_months: {min} }}\nattributes: {{ {attrs} }}\n"),
        )
    };
    let json = assess(&[
        aged("m155", 155, ""),
        aged("m156", 156, ""),
        aged("m35", 35, "small_parts: true"),
        aged("m36", 36, "small_parts: true"),
        aged("m71", 71, "small_parts: true"),
        aged("m72", 72, "small_parts: true"),
        aged("b95", 95, "small_ball: true"),
        aged("b96", 96, "small_ball: true"),
        aged(
            "ball96",
            96,
            "small_ball: true, sold_as_ball_or_marble: true",
        ),
        aged("marble40", 40, "marble: true"),
        aged("balloon", 120, "latex_balloon: true"),
    ]);
    // Children's product: 12 years or younger, i.e. under 156 months.
    assert_eq!(us(&json, "m155")["certificate"]["id"], "us-cpc");
    assert!(applies(&json, "m155", "lead-substrate") && applies(&json, "m155", "tracking-label"));
    assert!(!applies(&json, "m156", "lead-substrate"));
    assert!(
        us(&json, "m156")["certificate"].is_null(),
        "no tested rule applies, so no certificate"
    );
    // Small parts banned under 3; the warning is for ages 3 to under 6.
    assert!(applies(&json, "m35", "small-parts") && !applies(&json, "m35", "choking-small-parts"));
    assert!(!applies(&json, "m36", "small-parts") && applies(&json, "m36", "choking-small-parts"));
    assert!(
        applies(&json, "m71", "choking-small-parts")
            && !applies(&json, "m72", "choking-small-parts")
    );
    assert!(applies(&json, "m36", "choking-online"));
    // Small balls: "contains" for ages 3 to under 8; "is a small ball" from 3 up.
    assert!(
        applies(&json, "b95", "choking-has-small-ball")
            && !applies(&json, "b96", "choking-has-small-ball")
    );
    assert!(applies(&json, "ball96", "choking-is-small-ball"));
    assert!(applies(&json, "marble40", "choking-has-marble"));
    assert!(applies(&json, "balloon", "choking-balloon"));
    // The exact prescribed statement goes on the label.
    let labels = us(&json, "m36")["labels"].as_array().unwrap();
    assert_eq!(
        labels[0]["text"],
        "WARNING: CHOKING HAZARD—Small parts. Not for children under 3 yrs."
    );
}

#[test]
fn us_sleepwear_and_exemptions() {
    let rec = |id: &str, body: &str| {
        product(
            id,
            &format!("declarations: {{ tracking-label: true }}\n{body}"),
        )
    };
    let json = assess(&[
        rec(
            "pj-6x",
            "categories: [sleepwear]\nage: { min_months: 24, max_months: 84 }\n",
        ),
        rec(
            "pj-7-14",
            "categories: [sleepwear]\nage: { min_months: 84, max_months: 168 }\n",
        ),
        rec(
            "pj-tight",
            "categories: [sleepwear]\nage: { min_months: 24, max_months: 84 }\nattributes: { tight_fitting: true }\n",
        ),
        rec(
            "pj-infant",
            "categories: [sleepwear]\nage: { min_months: 0, max_months: 9 }\n",
        ),
        rec(
            "battery-toy",
            "categories: [toy]\nage: { min_months: 48 }\nattributes: { button_battery: true }\n",
        ),
        rec(
            "battery-lamp",
            "categories: [general]\nattributes: { button_battery: true }\n",
        ),
        rec(
            "magnet-toy",
            "categories: [toy]\nage: { min_months: 96 }\nattributes: { loose_magnets: true, magnets: true }\n",
        ),
        rec(
            "magnet-jewelry",
            "categories: [childrens-jewelry]\nage: { min_months: 96 }\nattributes: { loose_magnets: true, magnets: true }\n",
        ),
        rec(
            "chair",
            "categories: [durable-infant]\nage: { min_months: 6, max_months: 36 }\n",
        ),
        rec(
            "big-chair",
            "categories: [durable-infant]\nage: { min_months: 60 }\n",
        ),
        rec(
            "cup",
            "categories: [child-care-article]\nage: { min_months: 6, max_months: 36 }\nattributes: { plasticized: true }\n",
        ),
    ]);
    assert!(
        applies(&json, "pj-6x", "sleepwear-0-6x") && !applies(&json, "pj-6x", "sleepwear-7-14")
    );
    assert!(
        applies(&json, "pj-7-14", "sleepwear-7-14") && !applies(&json, "pj-7-14", "sleepwear-0-6x")
    );
    assert!(!applies(&json, "pj-tight", "sleepwear-0-6x"));
    assert!(
        !applies(&json, "pj-infant", "sleepwear-0-6x")
            && applies(&json, "pj-infant", "clothing-textiles")
    );
    // Toys subject to 16 CFR 1250 are outside 16 CFR 1263 and 1262.
    assert!(
        applies(&json, "battery-toy", "toy-safety")
            && !applies(&json, "battery-toy", "button-batteries")
    );
    assert!(applies(&json, "battery-lamp", "button-batteries"));
    assert_eq!(us(&json, "battery-lamp")["certificate"]["id"], "us-gcc");
    assert!(
        !applies(&json, "magnet-toy", "magnets") && applies(&json, "magnet-jewelry", "magnets")
    );
    // Durable infant products for children under 5.
    assert!(
        applies(&json, "chair", "durable-infant-registration")
            && applies(&json, "chair", "durable-infant-marking")
    );
    assert!(!applies(&json, "big-chair", "durable-infant-registration"));
    assert_eq!(
        status(&json, "chair", "durable-infant-registration"),
        Some("missing")
    );
    // Child care articles: phthalates and small parts.
    assert!(applies(&json, "cup", "phthalates-child-care") && applies(&json, "cup", "small-parts"));
}

#[test]
fn example_site_assessments_snapshot() {
    // The example site's outcome per product and market: the certificate and its status,
    // every applicable requirement with its status, and the marks. Regenerate with
    // CERTPRESS_BLESS=1 after a deliberate change, and review the diff.
    let json = check_site(&repo(), true).clean();
    let mut lines = Vec::new();
    for p in json["products"].as_array().unwrap() {
        for a in p["assessments"].as_array().unwrap() {
            let cert = &a["certificate"];
            let cert = if cert.is_null() {
                "-".to_string()
            } else {
                format!(
                    "{}:{}",
                    cert["id"].as_str().unwrap(),
                    cert["status"].as_str().unwrap()
                )
            };
            lines.push(format!(
                "{} {} {} {}",
                p["id"].as_str().unwrap(),
                a["market"].as_str().unwrap(),
                a["plugin"].as_str().unwrap(),
                cert
            ));
            for r in a["requirements"].as_array().unwrap() {
                lines.push(format!(
                    "  {} {}",
                    r["id"].as_str().unwrap(),
                    r["status"].as_str().unwrap()
                ));
            }
            let marks: Vec<&str> = a["marks"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m.as_str().unwrap())
                .collect();
            if !marks.is_empty() {
                lines.push(format!("  marks: {}", marks.join(", ")));
            }
        }
    }
    let actual = lines.join("\n") + "\n";
    let path = repo().join("tests/snapshots/example-assessments.txt");
    if std::env::var_os("CERTPRESS_BLESS").is_some() {
        fs::write(&path, &actual).unwrap();
    }
    let expected = fs::read_to_string(&path).unwrap();
    assert_eq!(actual, expected, "the example site's assessments changed");
}

#[test]
fn record_evidence_judges_the_record_itself() {
    // A throwaway pack: an importer established in the US, from a manufacturer in
    // China. Exercises the importers map, party countries and `evidence: record`.
    let json = SiteTest::invalid_base()
        .with_shipped_plugins()
        .plugin(
            "zz-operators",
            "id: zz-operators\nname: Operators\nprotocol: 1\nversion: 0.0.1\nmarkets: [US]\nrequirements:\n  - id: local-importer\n    cite: X\n    title: Importer established in the US\n    evidence: record\n    satisfied_when: \"has(product.importers.US) && has(product.importers.US.country) && product.importers.US.country == 'US' && product.manufacturer.country == 'CN'\"\n",
        )
        .product(
            "no-importer",
            "id: no-importer\nname: N\nmodel: N\nmarkets: [US]\nmanufacturer: maker\n",
        )
        .check_clean();
    let find = |id: &str| {
        let p = json["products"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .unwrap();
        p["assessments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["plugin"] == "zz-operators")
            .unwrap()["requirements"][0]
            .clone()
    };
    assert_eq!(find("good")["status"], "satisfied");
    assert_eq!(find("no-importer")["status"], "missing");
    assert!(
        find("no-importer")["detail"]
            .as_str()
            .unwrap()
            .contains("Importer established in the US")
    );
}

#[test]
fn explain_shows_conditions_values_and_evidence() {
    let root = repo();
    let root = root.to_str().unwrap();
    let o = certpress(&["check", "--explain", "wooden-pull-duck", "--root", root]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("us-cpsc"), "{text}");
    assert!(
        text.contains(
            "chosen because `childrens || age_unknown` is true [age_unknown = false, childrens = true"
        ),
        "{text}"
    );
    // The open requirement, why it applies, the value read and the verdict.
    assert!(
        text.contains(
            "✗ lead-paint (16 CFR 1303) applies: `(childrens || toy || age_unknown) && product.attributes.painted` is true"
        ),
        "{text}"
    );
    assert!(text.contains("product.attributes.painted = true"), "{text}");
    assert!(
        text.contains("missing: no test report covers 16 CFR 1303"),
        "{text}"
    );
    // A requirement that does not apply, with the value that decided it.
    assert!(
        text.contains("· phthalates (16 CFR 1307) does not apply"),
        "{text}"
    );
    // A rule of another certificate says so.
    assert!(
        text.contains("· us-gcc-lab-contact (16 CFR 1110.11) does not apply: it belongs to us-gcc and this product's certificate is us-cpc"),
        "{text}"
    );
    let o = certpress(&["check", "--explain", "no-such-product", "--root", root]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("wooden-pull-duck"),
        "lists the products"
    );
    // A near miss names the product likely meant.
    let o = certpress(&["check", "--explain", "wooden-pull-dock", "--root", root]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("  = help: did you mean `wooden-pull-duck`? products: "),
        "{}",
        stderr(&o)
    );
}

#[test]
fn plugins_lists_rules_and_vocabulary() {
    let o = certpress(&["plugins", "--root", repo().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("us-cpsc 1.0.0"), "{text}");
    assert!(text.contains("certificates: us-cpc, us-gcc"), "{text}");
    assert!(text.contains("small_parts"), "{text}");
    assert!(text.contains("tracking-label"), "{text}");
}

#[test]
fn a_site_with_one_short_pack_and_one_product() {
    // The builder's smallest site: no shipped pack, so only this one judges the record.
    let json = SiteTest::new()
        .plugin(
            "zz-one",
            "id: zz-one\nname: One\nprotocol: 1\nversion: 0.0.1\nmarkets: [US]\nrequirements:\n  - id: has-model\n    cite: X\n    title: Has a model number\n    evidence: record\n    satisfied_when: \"product.model == 'M-1'\"\n",
        )
        .product(
            "duck",
            "id: duck\nname: Duck\nmodel: M-1\nmarkets: [US]\nmanufacturer: maker\n",
        )
        .check_clean();
    let a = &json["products"][0]["assessments"];
    assert_eq!(a.as_array().unwrap().len(), 1, "{a:#}");
    assert_eq!(a[0]["plugin"], "zz-one");
    assert_eq!(a[0]["requirements"][0]["status"], "satisfied");
}

/// The diagnostics of `json` with `code`, as (file, line, column, message).
fn diagnostics(json: &Value, code: &str) -> Vec<(String, u64, u64, String)> {
    json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == code)
        .map(|d| {
            (
                d["file"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap_or(0),
                d["column"].as_u64().unwrap_or(0),
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The 1-based line and column where `needle` starts in `text`.
fn line_col(text: &str, needle: &str) -> (u64, u64) {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in {text}"));
    let line = text[..at].matches('\n').count() as u64 + 1;
    let column = text[..at].rsplit('\n').next().unwrap().chars().count() as u64 + 1;
    (line, column)
}

/// The US pack's assessment of product `product`.
fn us_assessment(json: &Value, product: &str) -> Value {
    let p = json["products"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == product)
        .unwrap_or_else(|| panic!("{product} not assessed: {json:#}"));
    p["assessments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["plugin"] == "us-cpsc")
        .cloned()
        .unwrap()
}

/// The US pack's requirement `id` for product `product`.
fn us_requirement(json: &Value, product: &str, id: &str) -> Value {
    us_assessment(json, product)["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .cloned()
        .unwrap_or(Value::Null)
}

#[test]
fn nothing_rests_on_a_test_or_a_lot_after_the_as_of_date() {
    // As of 2026-11-23: a report dated 2062 (a typo in the year) and a lot made next
    // year. The report must not satisfy the rule (it would never expire), and both dates
    // are warnings at their lines.
    let yaml = "id: duck\nname: Duck\nmodel: D-1\ncategories: [toy]\nage: { min_months: 36 }\nmarkets: [US]\nmanufacturer: maker\nimporters: { US: importer }\nlots:\n  - { lot: L1, made: 2026-03, place: \"Ningbo, China\" }\n  - { lot: L2, made: 2027-02, place: \"Ningbo, China\" }\nevidence:\n  - report: R-FUTURE\n    lab: lab\n    date: 2062-01-20\n    covers: [\"15 U.S.C. 1278a\"]\n    result: pass\n";
    let json = SiteTest::new()
        .with_shipped_plugins()
        .product("duck", yaml)
        .check_clean();
    let lead = us_requirement(&json, "duck", "lead-substrate");
    assert_eq!(lead["status"], "missing", "{lead:#}");
    let detail = lead["detail"].as_str().unwrap();
    assert!(
        detail.contains("R-FUTURE") && detail.contains("2062-01-20"),
        "{detail}"
    );
    let file = "content/products/duck.yaml".to_string();
    let future = diagnostics(&json, "future-date");
    let (line, column) = line_col(yaml, "2062-01-20");
    assert!(
        future
            .iter()
            .any(|d| d.0 == file && (d.1, d.2) == (line, column) && d.3.contains("R-FUTURE")),
        "{future:?}"
    );
    let (line, column) = line_col(yaml, "2027-02");
    assert!(
        future
            .iter()
            .any(|d| d.0 == file && (d.1, d.2) == (line, column) && d.3.contains("L2")),
        "{future:?}"
    );
    assert_eq!(future.len(), 2, "{future:?}");

    // With a report that has happened, the lot made next year is the gap, at that lot.
    let dated = yaml
        .replace("R-FUTURE", "R-PAST")
        .replace("2062-01-20", "2026-05-01");
    let json = SiteTest::new()
        .with_shipped_plugins()
        .product("duck", &dated)
        .check_clean();
    let (line, column) = line_col(&dated, "L2");
    let gaps = diagnostics(&json, "gap");
    assert!(
        gaps.iter()
            .any(|d| d.3.contains("lot L2 is made 2027-02") && (d.1, d.2) == (line, column)),
        "{gaps:?}"
    );

    // The public page lists the report, and says beside it that it is not counted.
    let (_dir, public) = SiteTest::new()
        .with_shipped_plugins()
        .with_shipped_theme()
        .product("duck", yaml)
        .build();
    let html = std::fs::read_to_string(public.join("products/duck/index.html")).unwrap();
    let page = scraper::Html::parse_document(&html);
    let rows = scraper::Selector::parse("table.evidence tbody tr").unwrap();
    let row: String = page
        .select(&rows)
        .map(|r| r.text().collect::<String>())
        .find(|t| t.contains("R-FUTURE"))
        .unwrap_or_else(|| panic!("no row for R-FUTURE: {html}"));
    assert!(
        row.contains("after 2026-11-23, the date this site was checked on: not counted"),
        "{row}"
    );
}

#[test]
fn ages_as_sellers_write_them() {
    let product = |id: &str, age: &str| {
        format!(
            "id: {id}\nname: {id}\nmodel: M-{id}\ncategories: [toy]\n{age}\nmarkets: [US]\nmanufacturer: maker\nimporters: {{ US: importer }}\n"
        )
    };
    let upto = product("upto", "age: { max_months: 24 }");
    let empty = product("empty", "age: {}");
    let negative = product("negative", "age: { min_months: -3 }");
    let checked = SiteTest::new()
        .with_shipped_plugins()
        .product("upto", &upto)
        .product("empty", &empty)
        .product("negative", &negative)
        .check();
    let json = &checked.json;
    // Only a maximum: the minimum is 0 (SPEC §4.1), a children's product in the US.
    let upto_us = us_assessment(json, "upto");
    assert_eq!(upto_us["certificate"]["id"], "us-cpc", "{upto_us:#}");
    let bad = diagnostics(json, "bad-age");
    let (line, column) = line_col(&empty, "{}");
    assert!(
        bad.iter().any(|d| d.0.ends_with("empty.yaml")
            && (d.1, d.2) == (line, column)
            && d.3.contains("neither `min_months` nor `max_months`")),
        "{bad:?}"
    );
    let (line, column) = line_col(&negative, "-3");
    assert!(
        bad.iter().any(|d| d.0.ends_with("negative.yaml")
            && (d.1, d.2) == (line, column)
            && d.3.contains("0 or more")),
        "{bad:?}"
    );
    // Plain words, never the YAML type.
    assert!(!checked.human.contains("u32"), "{}", checked.human);
    assert_eq!(bad.len(), 2, "{bad:?}");
}

#[test]
fn a_toy_without_an_age_gets_the_rules_for_every_toy_and_a_blocked_certificate_until_it_has_one() {
    let yaml = "id: ageless\nname: Painted top\nmodel: T-1\ncategories: [toy]\nattributes: { painted: true }\nmarkets: [US]\nmanufacturer: maker\nimporters: { US: importer }\n";
    let json = SiteTest::new()
        .with_shipped_plugins()
        .product("ageless", yaml)
        .check_clean();
    // 16 CFR 1303 covers toys whatever their age; the children's product rules wait on
    // the age grade, and so does any certificate (a GCC is for products that are not
    // children's products).
    assert_eq!(
        us_requirement(&json, "ageless", "lead-paint")["cite"],
        "16 CFR 1303"
    );
    assert_eq!(
        us_requirement(&json, "ageless", "lead-substrate"),
        Value::Null
    );
    let age = us_requirement(&json, "ageless", "age-grade");
    assert_eq!(age["status"], "missing", "{age:#}");
    assert_eq!(
        age["detail"],
        "needs the intended age of the product's users"
    );
    let us = us_assessment(&json, "ageless");
    // Held as a blocked CPC: its pages say a certificate is needed and why it waits,
    // never that none is required.
    assert_eq!(us["certificate"]["id"], "us-cpc", "{us:#}");
    assert_eq!(us["certificate"]["status"], "blocked", "{us:#}");
    // The warning names the field to add, at the record's id (the field is absent).
    let gaps: Vec<&Value> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "gap" && d["message"].as_str().unwrap().contains("age-grade"))
        .collect();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    let (line, column) = line_col(yaml, "ageless");
    assert_eq!(
        (gaps[0]["line"].as_u64(), gaps[0]["column"].as_u64()),
        (Some(line), Some(column))
    );
    assert!(
        gaps[0]["help"]
            .as_str()
            .unwrap()
            .contains("`age: { min_months: N }`"),
        "{:#}",
        gaps[0]
    );
}

#[test]
fn a_pack_warning_blocks_nothing_and_points_at_the_record() {
    let json = SiteTest::new()
        .plugin(
            "zz-advice",
            "id: zz-advice\nname: Advice\nprotocol: 1\nversion: 0.0.1\nmarkets: [US]\nrequirements:\n  - id: has-model\n    cite: X\n    title: Has a model number\n    evidence: record\n    satisfied_when: \"size(product.model) > 0\"\nwarnings:\n  - id: no-brand\n    when: \"!has(product.brand)\"\n    message: \"no `brand`: marketplaces ask for one\"\n",
        )
        .product(
            "duck",
            "id: duck\nname: Duck\nmodel: M-1\nmarkets: [US]\nmanufacturer: maker\n",
        )
        .product(
            "branded",
            "id: branded\nname: Branded\nbrand: Oak\nmodel: M-2\nmarkets: [US]\nmanufacturer: maker\n",
        )
        .check_clean();
    let warned = diagnostics(&json, "pack-warning");
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert_eq!(warned[0].0, "content/products/duck.yaml");
    assert_eq!((warned[0].1, warned[0].2), (1, 5));
    assert_eq!(
        warned[0].3,
        "US (zz-advice): no `brand`: marketplaces ask for one"
    );
}

#[test]
fn gaps_point_at_the_field_to_change_and_say_what_to_add() {
    // A painted toy for 3+ whose only report (from an accepted lab) covers lead in
    // substrate but not paint; no image for the EU declaration; no EU importer.
    let yaml = "id: duck\nname: Duck\nmodel: D-1\ncategories: [toy]\nage: { min_months: 36 }\nattributes: { painted: true }\nmarkets: [US, EU]\nmanufacturer: maker\nimporters: { US: importer }\nevidence:\n  - report: R-1\n    lab: lab\n    date: 2026-10-01\n    covers: [\"15 U.S.C. 1278a\"]\n    result: pass\n";
    let json = SiteTest::new()
        .with_shipped_plugins()
        .product("duck", yaml)
        .check_clean();
    let gap = |id: &str| -> Value {
        json["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| {
                d["code"] == "gap" && d["message"].as_str().unwrap().contains(&format!("`{id}`"))
            })
            .unwrap_or_else(|| panic!("no gap {id}: {json:#}"))
            .clone()
    };
    let at = |d: &Value| (d["line"].as_u64().unwrap(), d["column"].as_u64().unwrap());
    let paint = gap("lead-paint");
    assert_eq!(at(&paint), line_col(yaml, "R-1"));
    assert!(
        paint["help"]
            .as_str()
            .unwrap()
            .contains("add `16 CFR 1303` to its `covers`"),
        "{paint:#}"
    );
    let image = gap("colour-image");
    assert!(
        image["message"]
            .as_str()
            .unwrap()
            .contains("needs a colour image of the toy"),
        "{image:#}"
    );
    assert!(
        image["help"]
            .as_str()
            .unwrap()
            .contains("`image: assets/<file>`"),
        "{image:#}"
    );
    let operator = gap("eu-operator");
    assert_eq!(at(&operator), line_col(yaml, "importers:"));
    assert!(
        operator["help"]
            .as_str()
            .unwrap()
            .contains("`EU: <party id>` under `importers`"),
        "{operator:#}"
    );
}

/// A product made for children whose record leaves out the age: never a General
/// Certificate of Conformity and never "no certificate needed"; it waits on the age.
#[test]
fn childrens_categories_without_an_age_wait_on_it() {
    let cases = [
        ("toy", "categories: [toy]\nattributes: { painted: true }"),
        ("plain-toy", "categories: [toy]"),
        ("apparel", "categories: [childrens-apparel]"),
        (
            "jewelry",
            "categories: [childrens-jewelry]\nattributes: { loose_magnets: true }",
        ),
        ("sleepwear", "categories: [sleepwear]"),
        (
            "care-pvc",
            "categories: [child-care-article]\nattributes: { plasticized: true }",
        ),
        ("care", "categories: [child-care-article]"),
        ("infant", "categories: [durable-infant]"),
    ];
    let products: Vec<(&str, String)> = cases
        .iter()
        .map(|(id, body)| product(id, &format!("{body}\n")))
        .collect();
    let json = assess(&products);
    for (id, _) in cases {
        let us = us_assessment(&json, id);
        assert_ne!(us["certificate"]["id"], "us-gcc", "{id}: {us:#}");
        assert_eq!(
            us_requirement(&json, id, "age-grade")["status"],
            "missing",
            "{id}"
        );
        // Held as a blocked CPC even where no tested rule applies until the age is
        // known (sleepwear, an unpainted toy): never "no certificate needed".
        assert_eq!(us["certificate"]["id"], "us-cpc", "{id}: {us:#}");
        assert_eq!(us["certificate"]["status"], "blocked", "{id}");
    }
    // Children's products by definition get the children's rules at once.
    for id in ["care", "care-pvc", "infant"] {
        assert_eq!(status(&json, id, "lead-substrate"), Some("missing"), "{id}");
        assert_eq!(us_assessment(&json, id)["certificate"]["id"], "us-cpc");
    }
    assert_eq!(
        status(&json, "care-pvc", "phthalates-child-care"),
        Some("missing")
    );
    assert!(applies(&json, "infant", "durable-infant-registration"));
}

/// A US certificate states the 16 CFR 1110.11 elements: a record missing one has its
/// certificate blocked, with a gap saying what to add where.
#[test]
fn a_us_certificate_missing_an_element_is_blocked_with_a_fix() {
    let full = "categories: [toy]\nage: { min_months: 36 }\ndeclarations: { tracking-label: true }\nlots:\n  - { lot: L1, made: 2026-03, place: Ningbo }\nevidence:\n  - { report: R1, lab: LAB, date: 2026-03-11, place: PLACE, covers: [\"16 CFR 1250\", \"15 U.S.C. 1278a\"], result: pass }\n";
    let with = |lab: &str, place: &str| full.replace("LAB", lab).replace("PLACE", place);
    let mut site = SiteTest::invalid_base()
        .with_shipped_plugins()
        .party(
            "bare-lab",
            "id: bare-lab\nkind: lab\nname: Bare Lab\naccreditations: { cpsc: \"2\" }\n",
        )
        .party(
            "quiet-keeper",
            "id: quiet-keeper\nkind: person\nname: Quiet Keeper\naddress: [\"1 Way\"]\nphone: \"+1 555 0100\"\n",
        );
    let complete = |id: &str| product(id, &with("lab", "Shenzhen")).1;
    let records: Vec<(&str, String)> = vec![
        ("complete", complete("complete")),
        ("no-place", product("no-place", &with("lab", "''")).1),
        (
            "bare-lab",
            product("bare-lab", &with("bare-lab", "Shenzhen")).1,
        ),
        (
            "no-lots",
            complete("no-lots")
                .replace("lots:\n  - { lot: L1, made: 2026-03, place: Ningbo }\n", ""),
        ),
        (
            "no-keeper",
            complete("no-keeper").replace("records_custodian: keeper\n", ""),
        ),
        (
            "quiet-keeper",
            complete("quiet-keeper").replace("custodian: keeper", "custodian: quiet-keeper"),
        ),
        (
            "no-importer",
            complete("no-importer").replace("importers: { US: importer }\n", ""),
        ),
    ];
    for (name, yaml) in &records {
        site = site.product(name, yaml);
    }
    let json = site.check_clean();
    let cert = |id: &str| us_assessment(&json, id)["certificate"]["status"].clone();
    assert_eq!(
        cert("complete"),
        "ready",
        "{:#}",
        us_assessment(&json, "complete")
    );
    for (id, rule) in [
        ("no-place", "us-testing-place"),
        ("bare-lab", "us-lab-contact"),
        ("no-lots", "us-manufacture"),
        ("no-keeper", "us-records-custodian"),
        ("quiet-keeper", "us-records-custodian-contact"),
        ("no-importer", "us-certifier"),
    ] {
        assert_eq!(cert(id), "blocked", "{id}");
        let r = us_requirement(&json, id, rule);
        assert_eq!(r["status"], "missing", "{id}: {r:#}");
        // The others hold, so each record is blocked by the one element it lacks.
        let open: Vec<String> = us_assessment(&json, id)["requirements"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["status"] != "satisfied")
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(open, [rule], "{id}");
        let gap = json["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| {
                d["code"] == "gap"
                    && d["file"] == format!("content/products/{id}.yaml")
                    && d["message"].as_str().unwrap().contains(rule)
            })
            .unwrap_or_else(|| panic!("{id}: no gap for {rule}"));
        assert!(gap["help"].is_string(), "{gap:#}");
    }
    // A foreign manufacturer does not certify its own imports.
    assert!(
        us_requirement(&json, "no-importer", "us-certifier")["detail"]
            .as_str()
            .unwrap()
            .contains("a US importer")
    );
}
