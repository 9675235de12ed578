//! The export's files, made from the filings: the JSON document and the three CSV tables.

use super::mapping::{self, Guess};
use super::model::{Contact, FiledLot, FiledTest, Filing};
use crate::assess::Assessed;
use crate::sheet::csv::Table;
use crate::site::Site;
use serde::Serialize;

/// The JSON document (`cpsc-efiling.json`).
#[derive(Serialize)]
struct Document<'a> {
    /// The schema beside it, by file name.
    #[serde(rename = "$schema")]
    schema: &'static str,
    format: &'static str,
    format_version: u32,
    as_of: String,
    site: &'a str,
    /// What the export guesses ([`mapping::PROVISIONAL`]).
    provisional: &'static [Guess],
    certificates: &'a [Filing],
}

pub fn json(site: &Site, filings: &[Filing]) -> Vec<u8> {
    let doc = Document {
        schema: super::SCHEMA,
        format: "certpress-cpsc-efiling",
        format_version: 1,
        as_of: crate::date::iso(site.as_of),
        site: site.config.base_url.as_str(),
        provisional: mapping::PROVISIONAL,
        certificates: filings,
    };
    let mut out = serde_json::to_vec_pretty(&doc).expect("the document serialises");
    out.push(b'\n');
    out
}

/// Address lines in one cell, one per line (the CSV quotes the cell), so they stay exact.
fn address(c: &Contact) -> String {
    c.address.join("\n")
}

fn contact_cells(c: Option<&Contact>) -> [String; 5] {
    match c {
        Some(c) => [
            c.name.clone(),
            address(c),
            c.country.clone().unwrap_or_default(),
            c.email.clone().unwrap_or_default(),
            c.phone.clone().unwrap_or_default(),
        ],
        None => Default::default(),
    }
}

fn contact_columns(prefix: &str) -> [String; 5] {
    ["name", "address", "country", "email", "phone"].map(|c| format!("{prefix}_{c}"))
}

/// The report a row about `cite` in `lot` cites: the most recent one the version relies
/// on for it (date and place of the most recent testing, regulations.md §1.4), the
/// report id breaking a tie.
fn latest_test<'a>(lot: &'a FiledLot, cite: &str) -> Option<&'a FiledTest> {
    lot.tests
        .iter()
        .filter(|t| t.covers.iter().any(|c| c == cite))
        .max_by(|a, b| (&a.date, &a.report).cmp(&(&b.date, &b.report)))
}

/// `cpsc-efiling.csv`: one row per certificate version × lot × rule, the layout of a
/// Full filing's lines, each row complete on its own (a spreadsheet filter or a
/// broker's import needs no joins). The test columns are the most recent report the
/// version relies on for that rule and lot; the JSON lists every report.
pub fn full_csv(filings: &[Filing]) -> Vec<u8> {
    let mut header: Vec<String> = [
        "certificate_type",
        "certificate_number",
        "certificate_version",
        "certificate_version_id",
        "certificate_version_id_provisional",
        "issued",
        "content_hash",
        "certificate_url",
        "certificate_pdf_url",
        "product_id",
        "product_id_type",
        "product_name",
        "brand",
        "model",
        "gtin",
        "sku",
        "description",
        "certifier_role",
        "cpsc_certifier_id",
    ]
    .map(String::from)
    .to_vec();
    header.extend(contact_columns("certifier"));
    header.extend(contact_columns("manufacturer"));
    header.extend(contact_columns("records_custodian"));
    header.extend(
        [
            "lot",
            "made",
            "place_of_manufacture",
            "cite",
            "rule_title",
            "citation_code",
        ]
        .map(String::from),
    );
    header.extend(["test_report", "test_date", "test_place", "lab_cpsc_id"].map(String::from));
    header.extend(contact_columns("lab"));
    let names: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut t = Table::new(&names);
    for f in filings {
        let mut head = vec![
            f.certificate_type.to_string(),
            f.number.clone(),
            f.version.to_string(),
            f.certificate_version_id.clone(),
            f.certificate_version_id_provisional.to_string(),
            f.issued.clone(),
            f.content_hash.clone(),
            f.url.clone(),
            f.pdf_url.clone().unwrap_or_default(),
            f.product.product_id.clone(),
            f.product.product_id_type.to_string(),
            f.product.name.clone(),
            f.product.brand.clone().unwrap_or_default(),
            f.product.model.clone(),
            f.product.gtin.clone().unwrap_or_default(),
            f.product.sku.clone().unwrap_or_default(),
            f.product.description.clone().unwrap_or_default(),
            f.certifier.role.clone(),
            f.certifier.cpsc_certifier_id.clone(),
        ];
        head.extend(contact_cells(Some(&f.certifier.contact)));
        head.extend(contact_cells(Some(&f.manufacturer)));
        head.extend(contact_cells(f.records_custodian.as_ref()));
        for lot in &f.lots {
            for rule in &f.rules {
                let mut row = head.clone();
                row.extend([
                    lot.lot.clone().unwrap_or_default(),
                    lot.made.clone().unwrap_or_default(),
                    lot.place.clone().unwrap_or_default(),
                    rule.cite.clone(),
                    rule.title.clone(),
                    rule.citation_code.clone(),
                ]);
                let test = latest_test(lot, &rule.cite);
                row.extend([
                    test.map(|t| t.report.clone()).unwrap_or_default(),
                    test.map(|t| t.date.clone()).unwrap_or_default(),
                    test.and_then(|t| t.place.clone()).unwrap_or_default(),
                    test.and_then(|t| t.lab.cpsc_lab_id.clone())
                        .unwrap_or_default(),
                ]);
                row.extend(contact_cells(test.map(|t| &t.lab.contact)));
                t.row(&row);
            }
        }
    }
    t.into_bytes()
}

/// `cpsc-reference.csv`: per SKU and lot, the three ids of a Reference filing, then the
/// certificate, lot and product identifiers people match it with.
pub fn reference_csv(filings: &[Filing]) -> Vec<u8> {
    let mut t = Table::new(&[
        "certifier_id",
        "product_id",
        "product_id_type",
        "certificate_version_id",
        "provisional_certificate_version_id",
        "certificate_number",
        "certificate_version",
        "lot",
        "sku",
        "model",
        "gtin",
    ]);
    for f in filings {
        // Platforms import the third id as it stands: a guess never goes in its column.
        // Without an id from the Registry (cpsc-registry.toml) the column is empty and
        // certpress's guess sits in its own column, for people to compare.
        let (recorded, guessed) = if f.certificate_version_id_provisional {
            (String::new(), f.certificate_version_id.clone())
        } else {
            (f.certificate_version_id.clone(), String::new())
        };
        for lot in &f.lots {
            t.row(&[
                f.certifier.cpsc_certifier_id.clone(),
                f.product.product_id.clone(),
                f.product.product_id_type.to_string(),
                recorded.clone(),
                guessed.clone(),
                f.number.clone(),
                f.version.to_string(),
                lot.lot.clone().unwrap_or_default(),
                f.product.sku.clone().unwrap_or_default(),
                f.product.model.clone(),
                f.product.gtin.clone().unwrap_or_default(),
            ]);
        }
    }
    t.into_bytes()
}

/// A US product whose assessment requires no certificate.
pub struct Disclaim {
    product: String,
    name: String,
    model: String,
    sku: String,
    gtin: String,
    product_id: String,
    product_id_type: &'static str,
    plugin: String,
}

/// Every active product sold in the US whose US assessment names no certificate, in
/// product id order. Whether its tariff line is flagged for CPSC (and so needs a
/// disclaim at all) is not in the records: the filer decides per entry.
pub fn disclaims(site: &Site, assessed: &Assessed) -> Vec<Disclaim> {
    let mut out: Vec<Disclaim> = Vec::new();
    for p in &site.content.products {
        if p.status != crate::content::Status::Active
            || !p.markets.iter().any(|m| m.code() == mapping::MARKET)
        {
            continue;
        }
        let us: Vec<_> = assessed
            .by_product
            .get(&p.id)
            .into_iter()
            .flatten()
            .filter(|a| a.market == mapping::MARKET)
            .collect();
        // Unassessed (no US plugin enabled) is not "no certificate required".
        if us.is_empty() || us.iter().any(|a| a.certificate.is_some()) {
            continue;
        }
        let id = p.cpsc_id();
        out.push(Disclaim {
            product: p.id.clone(),
            name: p.name.clone(),
            model: p.model.clone(),
            sku: p.sku.clone().unwrap_or_default(),
            gtin: p.gtin.map(|g| g.as_gtin14()).unwrap_or_default(),
            product_id: id.product_id,
            product_id_type: id.product_id_type.as_str(),
            plugin: us
                .iter()
                .map(|a| a.plugin.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        });
    }
    out.sort_by(|a, b| a.product.cmp(&b.product));
    out
}

/// `cpsc-disclaim.csv`.
pub fn disclaim_csv(disclaims: &[Disclaim]) -> Vec<u8> {
    let mut t = Table::new(&[
        "product",
        "name",
        "product_id",
        "product_id_type",
        "model",
        "sku",
        "gtin",
        "assessed_by",
        "reason",
    ]);
    for d in disclaims {
        t.row(&[
            d.product.as_str(),
            &d.name,
            &d.product_id,
            d.product_id_type,
            &d.model,
            &d.sku,
            &d.gtin,
            &d.plugin,
            "no US rule requiring a certificate applies",
        ]);
    }
    t.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::efiling::model::Lab;

    fn report(report: &str, date: &str, covers: &[&str]) -> FiledTest {
        FiledTest {
            report: report.into(),
            date: date.into(),
            place: None,
            covers: covers.iter().map(|c| c.to_string()).collect(),
            lab: Lab {
                cpsc_lab_id: None,
                contact: Contact {
                    name: "Lab".into(),
                    address: vec![],
                    country: None,
                    email: None,
                    phone: None,
                },
            },
        }
    }

    #[test]
    fn a_row_cites_the_most_recent_report_for_its_rule() {
        let lot = FiledLot {
            lot: Some("L1".into()),
            made: Some("2026-03".into()),
            place: Some("Ningbo".into()),
            factory: None,
            tests: vec![
                report("R-NEW", "2026-08-02", &["16 CFR 1303"]),
                report("R-OLD", "2026-03-11", &["16 CFR 1303", "16 CFR 1501"]),
                report("R-B", "2026-08-02", &["16 CFR 1303"]),
            ],
        };
        // Same day: the report id breaks the tie, so the choice does not depend on order.
        assert_eq!(latest_test(&lot, "16 CFR 1303").unwrap().report, "R-NEW");
        assert_eq!(latest_test(&lot, "16 CFR 1501").unwrap().report, "R-OLD");
        assert!(latest_test(&lot, "16 CFR 1250").is_none());
    }
}
