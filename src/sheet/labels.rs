//! `labels.csv`: a row per label the printer makes (one per lot, one for a product
//! without lots), for label software (BarTender, P-touch, Dymo) to merge from. Every
//! value comes from the code that prints certpress's own labels, so a label merged
//! elsewhere says what the printed one says:
//!
//! - `qr_payload` is what the label's QR code encodes ([`crate::label::jobs`]): the GS1
//!   Digital Link URL of the lot when the product has a GTIN, else the lot's page;
//! - `tracking_label` is the tracking label's text before its warnings, a line each
//!   ([`crate::label::tracking_lines`], as the ZPL label prints it);
//! - per market the product is sold in, `<MARKET>.texts` holds the statements the rule
//!   packs require on the label there (one a line) and `<MARKET>.marks` the ids of the
//!   marks ([`crate::label::market_requirements`]); a market the product is not sold in
//!   has empty cells.
//!
//! Columns: `product, lot, gtin, qr_payload, tracking_label`, then `<MARKET>.texts,
//! <MARKET>.marks` for each market any product is sold in, sorted.

use super::layout::{Grid, LIST};
use crate::assess::Assessed;
use crate::site::Site;
use std::collections::BTreeSet;

/// The labels sheet of `site` as assessed.
pub fn grid(site: &Site, assessed: &Assessed) -> Grid {
    let markets: BTreeSet<&str> = site
        .content
        .products
        .iter()
        .flat_map(|p| p.markets.iter().map(|m| m.code()))
        .collect();
    let mut header: Vec<String> = ["product", "lot", "gtin", "qr_payload", "tracking_label"]
        .map(String::from)
        .into();
    for m in &markets {
        header.push(format!("{m}.texts"));
        header.push(format!("{m}.marks"));
    }
    let rows = crate::label::jobs(site, None, None)
        .into_iter()
        .map(|job| {
            let p = job.product;
            let tracking: Vec<String> = crate::label::tracking_lines(p, job.lot)
                .into_iter()
                .map(|(line, _, _)| line)
                .collect();
            let mut row = vec![
                p.id.clone(),
                job.lot.map(|l| l.lot.clone()).unwrap_or_default(),
                p.gtin.map(|g| g.as_gtin14()).unwrap_or_default(),
                job.url.clone(),
                tracking.join("\n"),
            ];
            for m in &markets {
                if p.markets.iter().any(|x| x.code() == *m) {
                    let (texts, marks) = crate::label::market_requirements(assessed, p, m);
                    let texts: Vec<&str> = texts.iter().map(|t| t.text.as_str()).collect();
                    row.push(texts.join("\n"));
                    row.push(marks.join(LIST));
                } else {
                    row.extend([String::new(), String::new()]);
                }
            }
            row
        })
        .collect();
    Grid { header, rows }
}
