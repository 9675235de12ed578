//! The assess stage (SPEC §5.2): every product against every plugin whose markets it is
//! sold in. A plugin assesses by its engine, a rule pack evaluated here ([`pack`]) or a
//! command plugin's program ([`command`]); both answer in the same plain data
//! ([`assessment`]) that pages, labels and JSON all read. Plugins decide, themes render.

pub mod assessment;
pub mod command;
mod pack;
pub mod wire;

pub use assessment::{
    Assessment, CertificateStatus, LabelText, Readiness, RequirementStatus, Status,
};
pub use pack::months_before;

use crate::content::Product;
use crate::diagnostic::Diagnostic;
use crate::plugins::{Engine, product_value};
use crate::site::Site;
use rayon::prelude::*;
use std::collections::BTreeMap;

/// All assessments of a site, by product id, with the problems found evaluating them.
pub struct Assessed {
    pub by_product: BTreeMap<String, Vec<Assessment>>,
    pub diagnostics: Vec<Diagnostic>,
}

/// What a plugin answers for its products, whichever its engine.
pub struct Answer {
    /// (product id, assessment) pairs.
    pub assessments: Vec<(String, Assessment)>,
    /// Problems the plugin reports (a command plugin's `diagnostics`).
    pub diagnostics: Vec<Diagnostic>,
}

/// Assesses every product against every enabled plugin whose markets it is sold in.
pub fn assess_site(site: &Site) -> Assessed {
    let values: Vec<ProductVal> = site
        .content
        .products
        .par_iter()
        .map(|p| ProductVal::new(product_value(p, &site.vocabulary)))
        .collect();
    let mut by_product: BTreeMap<String, Vec<Assessment>> = site
        .content
        .products
        .iter()
        .map(|p| (p.id.clone(), Vec::new()))
        .collect();
    let mut diagnostics = Vec::new();
    for plugin in &site.plugins {
        // A pack without requirements only declares vocabulary.
        if matches!(&plugin.engine, Engine::Rules(rules) if rules.requirements.is_empty()) {
            continue;
        }
        let products: Vec<(&Product, &ProductVal)> = site
            .content
            .products
            .iter()
            .zip(&values)
            .filter(|(p, _)| plugin.markets.iter().any(|m| p.markets.contains(m)))
            .collect();
        if products.is_empty() {
            continue;
        }
        let answer = match &plugin.engine {
            Engine::Rules(rules) => pack::assess(plugin, rules, &products, site),
            Engine::Command(program) => command::assess(plugin, program, &products, site),
        };
        match answer {
            Ok(answer) => {
                for (id, a) in answer.assessments {
                    by_product.entry(id).or_default().push(a);
                }
                diagnostics.extend(answer.diagnostics);
            }
            Err(d) => diagnostics.push(d),
        }
    }
    Assessed {
        by_product,
        diagnostics,
    }
}

/// A product as conditions read it (`product`), converted once into CEL's value tree and
/// lent to every plugin's conditions: binding a `cel::Value` as a variable converts it
/// again, copying the whole record, for every plugin.
pub struct ProductVal(Box<dyn cel::common::value::Val>);

impl ProductVal {
    pub fn new(value: cel::Value) -> Self {
        // Only maps, lists and scalars are built by `product_value`; all convert.
        Self(value.try_into().expect("a product value converts"))
    }
}

impl cel::context::VariableResolver for ProductVal {
    fn resolve<'b>(&'b self, variable: &str) -> Option<cel::common::value::CowVal<'b, 'b>> {
        (variable == "product").then(|| cel::common::value::CowVal::Borrowed(self.0.as_ref()))
    }
}

/// Every unsatisfied requirement as a `gap` warning at the product's `id` line (errors
/// under `--strict`): certpress reports gaps and never certifies over them.
pub fn gap_diagnostics(site: &Site, assessed: &Assessed) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for product in &site.content.products {
        let Some(assessments) = assessed.by_product.get(&product.id) else {
            continue;
        };
        let mut messages = Vec::new();
        for a in assessments {
            let what = match &a.certificate {
                Some(c) => format!("{} {} is blocked", c.title, c.number),
                None => format!("{} requirements are not met", a.market),
            };
            for gap in a.gaps() {
                let detail = gap.detail.as_deref().unwrap_or("not satisfied");
                let status = serde_json::to_value(gap.status)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from));
                messages.push(format!(
                    "{} ({}): {what}: `{}` ({}) {}: {detail}",
                    a.market,
                    a.plugin,
                    gap.id,
                    gap.cite,
                    status.unwrap_or_default()
                ));
            }
        }
        if messages.is_empty() {
            continue;
        }
        let (line, column) = product.id_position(&site.root);
        out.extend(
            messages
                .into_iter()
                .map(|m| Diagnostic::warning("gap", &product.file, m).at(line, column)),
        );
    }
    out
}
