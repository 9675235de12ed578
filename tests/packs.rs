//! The five shipped rule packs, requirement by requirement: for every requirement of every
//! pack, a product where it applies and a product that differs in one fact (an age at the
//! boundary, an attribute, a category, an exemption, the market) where it does not. A
//! check reads each pack's `plugin.yaml` so that a requirement added without a case here
//! fails the suite.

mod common;

use common::repo;
use common::site_test::SiteTest;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;

/// One pair: `yes` makes `requirement` apply; `no` is the nearest record where it does not.
/// Both are YAML lines added to a product sold in the pack's market. `no: None` means the
/// requirement applies to every product of the market, so the nearest product it does not
/// apply to is the same record sold only in another market.
struct Case {
    pack: &'static str,
    requirement: &'static str,
    yes: &'static str,
    no: Option<&'static str>,
}

const fn case(
    pack: &'static str,
    requirement: &'static str,
    yes: &'static str,
    no: &'static str,
) -> Case {
    Case {
        pack,
        requirement,
        yes,
        no: Some(no),
    }
}

const fn everywhere(pack: &'static str, requirement: &'static str, yes: &'static str) -> Case {
    Case {
        pack,
        requirement,
        yes,
        no: None,
    }
}

// Records reused by many cases. Ages in months: 156 is the 13th birthday, 168 the 14th,
// 180 the 15th.
const TOY_155: &str = "categories: [toy]\nage: { min_months: 155 }";
const TOY_156: &str = "categories: [toy]\nage: { min_months: 156 }";
const TOY_167: &str = "categories: [toy]\nage: { min_months: 167 }";
const TOY_168: &str = "categories: [toy]\nage: { min_months: 168 }";
const TOY_EU_IMPORTED: &str =
    "categories: [toy]\nage: { min_months: 36 }\nimporters: { EU: eu-importer }";
const TOY_EU_IMPORTED_ADULT: &str =
    "categories: [toy]\nage: { min_months: 168 }\nimporters: { EU: eu-importer }";

const CASES: &[Case] = &[
    // --- us-cpsc ----------------------------------------------------------------------
    case("us-cpsc", "lead-substrate", TOY_155, TOY_156),
    case(
        "us-cpsc",
        "lead-paint",
        "categories: [toy]\nage: { min_months: 36 }\nattributes: { painted: true }",
        "categories: [toy]\nage: { min_months: 36 }\nattributes: { painted: false }",
    ),
    // Children's articles up to 12 years; toys whatever their age grade, or none.
    case(
        "us-cpsc",
        "lead-paint",
        "categories: [childrens-apparel]\nage: { min_months: 155 }\nattributes: { painted: true }",
        "categories: [childrens-apparel]\nage: { min_months: 156 }\nattributes: { painted: true }",
    ),
    case(
        "us-cpsc",
        "lead-paint",
        "categories: [toy]\nage: { min_months: 156 }\nattributes: { painted: true }",
        "categories: [general]\nage: { min_months: 156 }\nattributes: { painted: true }",
    ),
    case(
        "us-cpsc",
        "lead-paint",
        "categories: [toy]\nattributes: { painted: true }",
        "categories: [toy]\nattributes: { painted: false }",
    ),
    case(
        "us-cpsc",
        "age-grade",
        "categories: [toy]",
        "categories: [toy]\nage: { min_months: 36 }",
    ),
    // Every category made for children waits on the age; a general product does not.
    case(
        "us-cpsc",
        "age-grade",
        "categories: [childrens-apparel]",
        "categories: [apparel]",
    ),
    case(
        "us-cpsc",
        "age-grade",
        "categories: [durable-infant]",
        "categories: [durable-infant]\nage: { min_months: 6 }",
    ),
    case(
        "us-cpsc",
        "age-grade",
        "categories: [sleepwear]",
        "categories: [sleepwear]\nage: { min_months: 24, max_months: 60 }",
    ),
    case(
        "us-cpsc",
        "age-grade",
        "categories: [childrens-jewelry]",
        "categories: [general]",
    ),
    case(
        "us-cpsc",
        "age-grade",
        "categories: [child-care-article]",
        "categories: [child-care-article]\nage: { min_months: 6 }",
    ),
    // What the certificate states (16 CFR 1110.11): asked of every product that gets
    // one, not of a product that needs none.
    case("us-cpsc", "us-certifier", TOY_155, "categories: [general]"),
    case(
        "us-cpsc",
        "us-certifier-contact",
        TOY_155,
        "categories: [general]",
    ),
    case(
        "us-cpsc",
        "us-records-custodian",
        "categories: [apparel]",
        "categories: [general]",
    ),
    case(
        "us-cpsc",
        "us-records-custodian-contact",
        "categories: [apparel]\nrecords_custodian: keeper",
        "categories: [apparel]",
    ),
    case(
        "us-cpsc",
        "us-manufacture",
        TOY_155,
        "categories: [general]",
    ),
    case(
        "us-cpsc",
        "us-testing-place",
        TOY_155,
        "categories: [general]",
    ),
    // Third-party labs are named on a CPC; a GCC may rest on first-party tests.
    case(
        "us-cpsc",
        "us-lab-contact",
        TOY_155,
        "categories: [apparel]",
    ),
    // A GCC names a third-party lab it relies on too.
    case(
        "us-cpsc",
        "us-gcc-lab-contact",
        "categories: [apparel]",
        TOY_155,
    ),
    case(
        "us-cpsc",
        "phthalates",
        "categories: [toy]\nage: { min_months: 155 }\nattributes: { plasticized: true }",
        "categories: [toy]\nage: { min_months: 156 }\nattributes: { plasticized: true }",
    ),
    case(
        "us-cpsc",
        "phthalates-child-care",
        "categories: [child-care-article]\nage: { min_months: 6 }\nattributes: { plasticized: true }",
        "categories: [child-care-article]\nage: { min_months: 6 }\nattributes: { plasticized: false }",
    ),
    // A children's toy that is also a child care article has the toy rule only.
    case(
        "us-cpsc",
        "phthalates-child-care",
        "categories: [child-care-article]\nage: { min_months: 6 }\nattributes: { plasticized: true }",
        "categories: [toy, child-care-article]\nage: { min_months: 6 }\nattributes: { plasticized: true }",
    ),
    case("us-cpsc", "toy-safety", TOY_155, TOY_156),
    case(
        "us-cpsc",
        "small-parts",
        "categories: [toy]\nage: { min_months: 35 }",
        "categories: [toy]\nage: { min_months: 36 }",
    ),
    case(
        "us-cpsc",
        "small-parts",
        "categories: [child-care-article]\nage: { min_months: 35 }",
        "categories: [childrens-apparel]\nage: { min_months: 35 }",
    ),
    case(
        "us-cpsc",
        "small-balls",
        "categories: [toy]\nage: { min_months: 35 }",
        "categories: [toy]\nage: { min_months: 36 }",
    ),
    // "Toys/articles intended for children under 3": durable infant products and
    // children's jewelry too; children's apparel waits on an unconfirmed exemption.
    case(
        "us-cpsc",
        "small-parts",
        "categories: [durable-infant]\nage: { min_months: 6 }",
        "categories: [durable-infant]\nage: { min_months: 36 }",
    ),
    case(
        "us-cpsc",
        "small-parts",
        "categories: [childrens-jewelry]\nage: { min_months: 24 }",
        "categories: [childrens-jewelry]\nage: { min_months: 36 }",
    ),
    case(
        "us-cpsc",
        "choking-small-parts",
        "categories: [toy]\nage: { min_months: 36 }\nattributes: { small_parts: true }",
        "categories: [toy]\nage: { min_months: 35 }\nattributes: { small_parts: true }",
    ),
    case(
        "us-cpsc",
        "choking-small-parts",
        "categories: [toy]\nage: { min_months: 71 }\nattributes: { small_parts: true }",
        "categories: [toy]\nage: { min_months: 72 }\nattributes: { small_parts: true }",
    ),
    case(
        "us-cpsc",
        "choking-balloon",
        "categories: [toy]\nage: { min_months: 96 }\nattributes: { latex_balloon: true }",
        "categories: [toy]\nage: { min_months: 96 }\nattributes: { latex_balloon: false }",
    ),
    case(
        "us-cpsc",
        "choking-is-small-ball",
        "categories: [toy]\nage: { min_months: 36 }\nattributes: { small_ball: true, sold_as_ball_or_marble: true }",
        "categories: [toy]\nage: { min_months: 35 }\nattributes: { small_ball: true, sold_as_ball_or_marble: true }",
    ),
    case(
        "us-cpsc",
        "choking-has-small-ball",
        "categories: [toy]\nage: { min_months: 95 }\nattributes: { small_ball: true }",
        "categories: [toy]\nage: { min_months: 96 }\nattributes: { small_ball: true }",
    ),
    case(
        "us-cpsc",
        "choking-is-marble",
        "categories: [toy]\nage: { min_months: 36 }\nattributes: { marble: true, sold_as_ball_or_marble: true }",
        "categories: [toy]\nage: { min_months: 35 }\nattributes: { marble: true, sold_as_ball_or_marble: true }",
    ),
    case(
        "us-cpsc",
        "choking-has-marble",
        "categories: [toy]\nage: { min_months: 95 }\nattributes: { marble: true }",
        "categories: [toy]\nage: { min_months: 96 }\nattributes: { marble: true }",
    ),
    case(
        "us-cpsc",
        "choking-online",
        "categories: [toy]\nage: { min_months: 36 }\nattributes: { small_parts: true }",
        "categories: [toy]\nage: { min_months: 35 }\nattributes: { small_parts: true }",
    ),
    case("us-cpsc", "tracking-label", TOY_155, TOY_156),
    case(
        "us-cpsc",
        "durable-infant-registration",
        "categories: [durable-infant]\nage: { min_months: 59 }",
        "categories: [durable-infant]\nage: { min_months: 60 }",
    ),
    case(
        "us-cpsc",
        "durable-infant-marking",
        "categories: [durable-infant]\nage: { min_months: 59 }",
        "categories: [durable-infant]\nage: { min_months: 60 }",
    ),
    case(
        "us-cpsc",
        "sleepwear-0-6x",
        "categories: [sleepwear]\nage: { min_months: 83, max_months: 168 }",
        "categories: [sleepwear]\nage: { min_months: 84, max_months: 168 }",
    ),
    // Exemptions: tight-fitting garments and infant garments sized 9 months or less.
    case(
        "us-cpsc",
        "sleepwear-0-6x",
        "categories: [sleepwear]\nage: { min_months: 24, max_months: 84 }\nattributes: { tight_fitting: false }",
        "categories: [sleepwear]\nage: { min_months: 24, max_months: 84 }\nattributes: { tight_fitting: true }",
    ),
    case(
        "us-cpsc",
        "sleepwear-0-6x",
        "categories: [sleepwear]\nage: { min_months: 0, max_months: 10 }",
        "categories: [sleepwear]\nage: { min_months: 0, max_months: 9 }",
    ),
    case(
        "us-cpsc",
        "sleepwear-7-14",
        "categories: [sleepwear]\nage: { min_months: 24, max_months: 85 }",
        "categories: [sleepwear]\nage: { min_months: 24, max_months: 84 }",
    ),
    case(
        "us-cpsc",
        "infant-garments",
        "categories: [sleepwear]\nage: { min_months: 0, max_months: 9 }",
        "categories: [sleepwear]\nage: { min_months: 0, max_months: 10 }",
    ),
    case(
        "us-cpsc",
        "clothing-textiles",
        "categories: [sleepwear]\nage: { min_months: 0, max_months: 9 }",
        "categories: [sleepwear]\nage: { min_months: 0, max_months: 10 }",
    ),
    case(
        "us-cpsc",
        "clothing-textiles",
        "categories: [childrens-apparel]\nage: { min_months: 36 }",
        "categories: [toy]\nage: { min_months: 36 }",
    ),
    // Tight-fitting sleepwear is outside 1615/1616 but still wearing apparel.
    case(
        "us-cpsc",
        "clothing-textiles",
        "categories: [sleepwear]\nage: { min_months: 24, max_months: 60 }\nattributes: { tight_fitting: true }",
        "categories: [sleepwear]\nage: { min_months: 24, max_months: 60 }\nattributes: { tight_fitting: false }",
    ),
    // Toys subject to 16 CFR 1250 are outside 16 CFR 1263 and 1262.
    case(
        "us-cpsc",
        "button-batteries",
        "categories: [toy]\nage: { min_months: 156 }\nattributes: { button_battery: true }",
        "categories: [toy]\nage: { min_months: 155 }\nattributes: { button_battery: true }",
    ),
    case(
        "us-cpsc",
        "magnets",
        "categories: [childrens-jewelry]\nage: { min_months: 96 }\nattributes: { magnets: true, loose_magnets: true }",
        "categories: [toy]\nage: { min_months: 96 }\nattributes: { magnets: true, loose_magnets: true }",
    ),
    case(
        "us-cpsc",
        "magnets",
        "categories: [toy]\nage: { min_months: 156 }\nattributes: { magnets: true, loose_magnets: true }",
        "categories: [toy]\nage: { min_months: 155 }\nattributes: { magnets: true, loose_magnets: true }",
    ),
    case(
        "us-cpsc",
        "battery-packaging",
        "categories: [toy]\nage: { min_months: 48 }\nattributes: { button_battery: true }",
        "categories: [toy]\nage: { min_months: 48 }\nattributes: { button_battery: false }",
    ),
    case(
        "us-cpsc",
        "magnets",
        "categories: [general]\nattributes: { magnets: true, loose_magnets: true, subject_magnet_product: true }",
        "categories: [general]\nattributes: { magnets: true, loose_magnets: true }",
    ),
    case(
        "us-cpsc",
        "art-materials",
        "categories: [art-material]\nage: { min_months: 36 }",
        "categories: [toy]\nage: { min_months: 36 }",
    ),
    case(
        "us-cpsc",
        "art-materials-label",
        "categories: [art-material]",
        "categories: [general]",
    ),
    case(
        "us-cpsc",
        "bicycle-helmets",
        "categories: [general, bicycle-helmet]",
        "categories: [general]",
    ),
    // --- eu-toys: a toy is for play by children under 14 (168 months) --------------------
    case("eu-toys", "toy-safety", TOY_167, TOY_168),
    case("eu-toys", "harmonised-standards", TOY_167, TOY_168),
    case("eu-toys", "colour-image", TOY_167, TOY_168),
    case("eu-toys", "ce-marking", TOY_167, TOY_168),
    case("eu-toys", "toy-identification", TOY_167, TOY_168),
    case("eu-toys", "toy-contacts", TOY_167, TOY_168),
    case("eu-toys", "toy-language", TOY_167, TOY_168),
    case(
        "eu-toys",
        "under36-warning",
        "categories: [toy]\nage: { min_months: 36 }\nattributes: { small_parts: true }",
        "categories: [toy]\nage: { min_months: 35 }\nattributes: { small_parts: true }",
    ),
    case(
        "eu-toys",
        "under36-warning",
        "categories: [toy]\nage: { min_months: 36 }\nattributes: { small_parts: true }",
        "categories: [toy]\nage: { min_months: 36 }\nattributes: { small_parts: false }",
    ),
    case(
        "eu-toys",
        "eu-operator",
        TOY_EU_IMPORTED,
        TOY_EU_IMPORTED_ADULT,
    ),
    case("eu-toys", "eu-operator-contact", TOY_167, TOY_168),
    everywhere("eu-toys", "online-offer", "categories: [general]"),
    case("eu-toys", "gpsr-identification", TOY_168, TOY_167),
    case("eu-toys", "gpsr-contacts", TOY_168, TOY_167),
    case(
        "eu-toys",
        "gpsr-importer-contact",
        "categories: [general]",
        "categories: [general]\nmanufacturer: eu-maker",
    ),
    case("eu-toys", "gpsr-language", TOY_168, TOY_167),
    case(
        "eu-toys",
        "gpsr-operator",
        TOY_EU_IMPORTED_ADULT,
        TOY_EU_IMPORTED,
    ),
    // --- uk-toys -------------------------------------------------------------------------
    case("uk-toys", "toy-safety", TOY_167, TOY_168),
    case("uk-toys", "marking", TOY_167, TOY_168),
    case("uk-toys", "toy-identification", TOY_167, TOY_168),
    case("uk-toys", "manufacturer-contact", TOY_167, TOY_168),
    case("uk-toys", "gb-importer", TOY_167, TOY_168),
    case("uk-toys", "english-warnings", TOY_167, TOY_168),
    case("uk-toys", "colour-image", TOY_167, TOY_168),
    // --- ca-ccpsa ------------------------------------------------------------------------
    case("ca-ccpsa", "toys-regulations", TOY_167, TOY_168),
    case(
        "ca-ccpsa",
        "surface-coatings",
        "categories: [toy]\nage: { min_months: 167 }\nattributes: { painted: true }",
        "categories: [toy]\nage: { min_months: 168 }\nattributes: { painted: true }",
    ),
    case(
        "ca-ccpsa",
        "surface-coatings",
        "categories: [toy]\nage: { min_months: 36 }\nattributes: { painted: true }",
        "categories: [toy]\nage: { min_months: 36 }\nattributes: { painted: false }",
    ),
    case("ca-ccpsa", "bilingual-statements", TOY_167, TOY_168),
    case(
        "ca-ccpsa",
        "film-bag",
        "categories: [toy]\nage: { min_months: 36 }\nattributes: { film_bag: true }",
        "categories: [toy]\nage: { min_months: 36 }\nattributes: { film_bag: false }",
    ),
    case(
        "ca-ccpsa",
        "childrens-jewellery",
        "categories: [childrens-jewelry]\nage: { min_months: 179 }",
        "categories: [childrens-jewelry]\nage: { min_months: 180 }",
    ),
    case("ca-ccpsa", "lead-products", TOY_167, TOY_168),
    case(
        "ca-ccpsa",
        "lead-products",
        "categories: [childrens-apparel]\nage: { min_months: 167 }",
        "categories: [childrens-apparel]\nage: { min_months: 168 }",
    ),
    case(
        "ca-ccpsa",
        "lead-products",
        "categories: [durable-infant]\nage: { min_months: 47 }",
        "categories: [durable-infant]\nage: { min_months: 48 }",
    ),
    case(
        "ca-ccpsa",
        "lead-products",
        "categories: [art-material]\nage: { min_months: 167 }",
        "categories: [art-material]\nage: { min_months: 168 }",
    ),
    case(
        "ca-ccpsa",
        "lead-products",
        "categories: [child-care-article]\nage: { min_months: 6 }",
        "categories: [general]",
    ),
    case(
        "ca-ccpsa",
        "phthalates",
        "categories: [toy]\nage: { min_months: 167 }\nattributes: { plasticized: true }",
        "categories: [toy]\nage: { min_months: 168 }\nattributes: { plasticized: true }",
    ),
    case(
        "ca-ccpsa",
        "phthalates",
        "categories: [child-care-article]\nage: { min_months: 6 }\nattributes: { plasticized: true }",
        "categories: [child-care-article]\nage: { min_months: 6 }\nattributes: { plasticized: false }",
    ),
    // Prepackaged textile articles follow the Textile Labelling Act instead.
    case(
        "ca-ccpsa",
        "packaging-label",
        "categories: [toy]\nage: { min_months: 36 }",
        "categories: [childrens-apparel]\nage: { min_months: 36 }",
    ),
    everywhere("ca-ccpsa", "quebec-french", "categories: [general]"),
    everywhere("ca-ccpsa", "general-prohibition", "categories: [general]"),
    // --- au-accc: toys up to and including 36 months -------------------------------------
    case(
        "au-accc",
        "toys-36-months",
        "categories: [toy]\nage: { min_months: 36 }",
        "categories: [toy]\nage: { min_months: 37 }",
    ),
    case(
        "au-accc",
        "toys-36-months",
        "categories: [toy]\nage: { min_months: 35 }",
        "categories: [toy]\nage: { min_months: 35 }\nattributes: { au_toy_exclusion: porous-material-not-pompom }",
    ),
    case(
        "au-accc",
        "toys-36-months",
        "categories: [toy]\nage: { min_months: 12, max_months: 60 }",
        "categories: [toy]\nage: { min_months: 12, max_months: 60 }\nattributes: { au_toy_exclusion: book }",
    ),
    case(
        "au-accc",
        "button-battery-safety",
        "categories: [toy]\nage: { min_months: 48 }\nattributes: { button_battery: true }",
        "categories: [toy]\nage: { min_months: 48 }\nattributes: { button_battery: false }",
    ),
    case(
        "au-accc",
        "button-battery-warnings",
        "categories: [general]\nattributes: { button_battery: true }",
        "categories: [general]\nattributes: { button_battery: false }",
    ),
    case(
        "au-accc",
        "supplied-batteries",
        "categories: [general]\nattributes: { button_battery: true }",
        "categories: [general]\nattributes: { button_battery: false }",
    ),
];

/// Each pack's market.
fn market(pack: &str) -> &'static str {
    match pack {
        "us-cpsc" => "US",
        "eu-toys" => "EU",
        "uk-toys" => "GB",
        "ca-ccpsa" => "CA",
        "au-accc" => "AU",
        other => panic!("unknown pack {other}"),
    }
}

/// A product record sold in `markets`, with `body` added; the maker and US importer of
/// the base site unless `body` names its own.
fn record(id: &str, markets: &str, body: &str) -> String {
    let mut yaml = format!("id: {id}\nname: {id}\nmodel: M-{id}\nmarkets: [{markets}]\n");
    if !body.contains("manufacturer:") {
        yaml.push_str("manufacturer: maker\n");
    }
    if !body.contains("importers:") {
        yaml.push_str("importers: { US: importer }\n");
    }
    yaml.push_str(body);
    yaml.push('\n');
    yaml
}

/// The invalid-case base site with EU and GB operators, plus `products`, checked
/// in-process as `check --json` would.
fn check(products: &[(String, String)]) -> Value {
    let mut site = SiteTest::invalid_base().with_shipped_plugins();
    let parties = [
        ("eu-maker", "manufacturer", "DE"),
        ("eu-importer", "importer", "NL"),
        ("gb-importer", "importer", "GB"),
    ];
    for (id, kind, country) in parties {
        site = site.party(
            id,
            &format!(
                "id: {id}\nkind: {kind}\nname: {id}\naddress: [\"1 Street\"]\ncountry: {country}\n"
            ),
        );
    }
    for (id, yaml) in products {
        site = site.product(id, yaml);
    }
    site.check_clean()
}

/// The assessment of product `id` by `pack`, if the pack assessed it.
fn assessment<'a>(json: &'a Value, id: &str, pack: &str) -> Option<&'a Value> {
    json["products"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id)
        .unwrap_or_else(|| panic!("no product {id}"))["assessments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["plugin"] == pack)
}

fn requirement<'a>(json: &'a Value, id: &str, pack: &str, req: &str) -> Option<&'a Value> {
    assessment(json, id, pack)?["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == req)
}

fn marks(json: &Value, id: &str, pack: &str) -> Vec<String> {
    assessment(json, id, pack).unwrap()["marks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_requirement_applies_and_just_does_not() {
    let mut products = Vec::new();
    let mut pairs = Vec::new();
    for (i, c) in CASES.iter().enumerate() {
        let m = market(c.pack);
        let yes = format!("case{i}-yes");
        let no = format!("case{i}-no");
        products.push((yes.clone(), record(&yes, m, c.yes)));
        match c.no {
            Some(body) => products.push((no.clone(), record(&no, m, body))),
            // The same record, sold only in a market the pack does not assess.
            None => {
                let other = if m == "US" { "CA" } else { "US" };
                products.push((no.clone(), record(&no, other, c.yes)));
            }
        }
        pairs.push((c, yes, no));
    }
    let json = check(&products);
    let mut wrong = Vec::new();
    for (c, yes, no) in &pairs {
        if requirement(&json, yes, c.pack, c.requirement).is_none() {
            wrong.push(format!(
                "{} {} should apply to:\n{}",
                c.pack, c.requirement, c.yes
            ));
        }
        if requirement(&json, no, c.pack, c.requirement).is_some() {
            wrong.push(format!(
                "{} {} should not apply to:\n{}",
                c.pack,
                c.requirement,
                c.no.unwrap_or("(another market)")
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

#[test]
fn every_requirement_of_every_pack_has_a_case() {
    let covered: BTreeSet<(&str, &str)> = CASES.iter().map(|c| (c.pack, c.requirement)).collect();
    let mut missing = Vec::new();
    let mut packs = BTreeMap::new();
    for entry in fs::read_dir(repo().join("plugins")).unwrap() {
        let dir = entry.unwrap().path();
        let text = fs::read_to_string(dir.join("plugin.yaml")).unwrap();
        let yaml: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
        let id = yaml["id"].as_str().unwrap().to_string();
        let ids: Vec<String> = yaml["requirements"]
            .as_sequence()
            .map(|rs| {
                rs.iter()
                    .map(|r| r["id"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default();
        for r in &ids {
            if !covered.contains(&(id.as_str(), r.as_str())) {
                missing.push(format!("{id}: {r}"));
            }
        }
        packs.insert(id, ids.len());
    }
    assert!(
        missing.is_empty(),
        "requirements without a case: {missing:?}"
    );
    // The five shipped packs all encode rules.
    for pack in ["us-cpsc", "eu-toys", "uk-toys", "ca-ccpsa", "au-accc"] {
        assert!(
            packs.get(pack).copied().unwrap_or(0) > 0,
            "{pack} has no rules"
        );
    }
}

#[test]
fn marks_labels_operators_and_certificates_by_market() {
    let all = "US, EU, GB, CA, AU";
    let toy36 = "categories: [toy]\nage: { min_months: 36 }\nattributes: { small_parts: true }";
    let products = vec![
        ("everywhere".to_string(), record("everywhere", all, toy36)),
        (
            "gb-only".to_string(),
            record(
                "gb-only",
                "GB",
                "categories: [toy]\nage: { min_months: 12 }\nimporters: { GB: gb-importer }",
            ),
        ),
        (
            "eu-imported".to_string(),
            record("eu-imported", "EU", TOY_EU_IMPORTED),
        ),
        (
            "eu-made".to_string(),
            record(
                "eu-made",
                "EU",
                "categories: [toy]\nage: { min_months: 12 }\nmanufacturer: eu-maker",
            ),
        ),
        (
            "baby-ball".to_string(),
            record(
                "baby-ball",
                "US",
                "categories: [toy]\nage: { min_months: 12 }\nattributes: { small_ball: true }",
            ),
        ),
        (
            "buttoned-romper".to_string(),
            record(
                "buttoned-romper",
                "US",
                "categories: [childrens-apparel]\nage: { min_months: 6 }\nattributes: { small_parts: true }",
            ),
        ),
        (
            "teen".to_string(),
            record(
                "teen",
                "EU, GB",
                "categories: [toy]\nage: { min_months: 168 }",
            ),
        ),
    ];
    let json = check(&products);

    // EU: CE on every toy; the 0-3 symbol and warning where small parts make a toy for 3+
    // unsuitable for under-3s. GB: CE when the toy is CE-marked for the EU anyway.
    assert_eq!(marks(&json, "everywhere", "eu-toys"), ["ce", "age-0-3"]);
    assert_eq!(marks(&json, "everywhere", "uk-toys"), ["ce"]);
    assert_eq!(marks(&json, "gb-only", "uk-toys"), ["ukca"]);
    assert!(
        marks(&json, "teen", "eu-toys").is_empty() && marks(&json, "teen", "uk-toys").is_empty()
    );
    let label = |pack: &str| {
        assessment(&json, "everywhere", pack).unwrap()["labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["text"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        label("eu-toys"),
        ["Warning: Not suitable for children under 36 months. Small parts. Choking hazard."]
    );
    assert_eq!(
        label("us-cpsc"),
        ["WARNING: CHOKING HAZARD\u{2014}Small parts. Not for children under 3 yrs."]
    );

    // Certificates: EU and UK declarations for toys; none in Canada or Australia.
    let cert =
        |id: &str, pack: &str| assessment(&json, id, pack).unwrap()["certificate"]["id"].clone();
    assert_eq!(cert("everywhere", "us-cpsc"), "us-cpc");
    assert_eq!(cert("everywhere", "eu-toys"), "eu-doc");
    assert_eq!(cert("everywhere", "uk-toys"), "uk-doc");
    assert!(cert("everywhere", "ca-ccpsa").is_null() && cert("everywhere", "au-accc").is_null());
    assert!(
        cert("teen", "eu-toys").is_null(),
        "not a toy under the Directive"
    );

    // The economic operator established in the market, judged from the record.
    let status = |id: &str, pack: &str, req: &str| {
        requirement(&json, id, pack, req).unwrap()["status"].clone()
    };
    assert_eq!(status("eu-imported", "eu-toys", "eu-operator"), "satisfied");
    assert_eq!(status("eu-made", "eu-toys", "eu-operator"), "satisfied");
    assert_eq!(status("everywhere", "eu-toys", "eu-operator"), "missing");
    assert_eq!(status("gb-only", "uk-toys", "gb-importer"), "satisfied");
    // The declarations show a colour image of the toy: a record without one is blocked.
    assert_eq!(status("everywhere", "eu-toys", "colour-image"), "missing");
    assert_eq!(
        assessment(&json, "everywhere", "eu-toys").unwrap()["certificate"]["status"],
        "blocked"
    );
    assert_eq!(status("gb-only", "uk-toys", "colour-image"), "missing");
    assert_eq!(status("everywhere", "uk-toys", "gb-importer"), "missing");
    // A small ball for children under 3 is banned: never certified, whatever the reports.
    assert_eq!(status("baby-ball", "us-cpsc", "small-balls"), "missing");
    assert_eq!(
        assessment(&json, "baby-ball", "us-cpsc").unwrap()["certificate"]["status"],
        "blocked"
    );
    // Clothing for under-3s with small parts: the exemption from 16 CFR 1501 is
    // unconfirmed, so the pack does not ask the test and a warning says so.
    assert!(requirement(&json, "buttoned-romper", "us-cpsc", "small-parts").is_none());
    let advice: Vec<&str> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["file"] == "content/products/buttoned-romper.yaml" && d["code"] != "gap")
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert!(
        advice
            .iter()
            .any(|m| m.contains("16 CFR 1501") && m.contains("unconfirmed")),
        "{advice:?}"
    );
    // A test requirement with no report is missing in a market without certificates too,
    // and reported as a gap.
    assert_eq!(
        status("everywhere", "ca-ccpsa", "toys-regulations"),
        "missing"
    );
    assert_eq!(status("everywhere", "au-accc", "toys-36-months"), "missing");
    let gaps: Vec<String> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "gap" && d["file"] == "content/products/everywhere.yaml")
        .map(|d| d["message"].as_str().unwrap().to_string())
        .collect();
    assert!(
        gaps.iter()
            .any(|g| g.contains("CA (ca-ccpsa)") && g.contains("SOR/2011-17"))
    );
    assert!(gaps.iter().any(|g| g.contains("AU (au-accc)")));
}
