//! The assess stage (SPEC §5.2): every product against every plugin whose markets it is
//! sold in. A plugin assesses by its engine, a rule pack evaluated here ([`pack`]) or a
//! command plugin's program ([`command`]); both answer in the same plain data
//! ([`assessment`]) that pages, labels and JSON all read. Plugins decide, themes render.

pub mod assessment;
pub mod command;
mod memo;
mod pack;
pub mod wire;

pub use assessment::{
    Assessment, CertificateStatus, FixAt, LabelText, Lots, Readiness, RequirementStatus, Status,
};
pub use pack::months_before;

use crate::content::Product;
use crate::diagnostic::Diagnostic;
use crate::plugins::Engine;
use crate::plugins::rules::{PartyValues, product_fields};
use crate::site::Site;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::sync::Arc;

/// All assessments of a site, by product id, with the problems found evaluating them.
#[derive(Default)]
pub struct Assessed {
    pub by_product: BTreeMap<String, Vec<Assessment>>,
    pub diagnostics: Vec<Diagnostic>,
    /// Plugins whose answer was refused (an error in `diagnostics`): none of their
    /// assessments is kept.
    pub failed: Vec<String>,
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
    assess_again(site, None)
}

/// What an earlier assessment of the same site (same plugins, configuration and
/// `as_of`) found, for [`assess_again`] to keep.
pub struct Earlier {
    pub assessed: Assessed,
    /// The products it assessed: those still the same `Arc` are unchanged.
    pub products: Vec<Arc<Product>>,
}

/// [`assess_site`], keeping what `earlier` found for the products that did not change
/// (`serve` rebuilds assess only the records that changed). A rule pack's answer for
/// one product depends on that product alone; a command plugin answers for all at once,
/// so with one enabled, or when a plugin failed, everything is assessed again.
pub fn assess_again(site: &Site, earlier: Option<Earlier>) -> Assessed {
    assess_with(site, earlier, true)
}

/// [`assess_site`] evaluating every condition for every product: what the memo of each
/// pack's decisions must agree with (tests), and what it saves (`benches/assess.rs`).
pub fn assess_unmemoised(site: &Site) -> Assessed {
    assess_with(site, None, false)
}

/// [`assess_again`], remembering each rule pack's decisions by what they read when
/// `memoise` holds (see [`memo`]).
fn assess_with(site: &Site, earlier: Option<Earlier>, memoise: bool) -> Assessed {
    let products = &site.content.products;
    let any_command = site
        .plugins
        .iter()
        .any(|pl| matches!(pl.engine, Engine::Command(_)));
    let mut by_product: BTreeMap<String, Vec<Assessment>> = BTreeMap::new();
    let mut fresh: Vec<&Product> = Vec::new();
    let mut kept_diagnostics = Vec::new();
    match earlier {
        Some(e) if !any_command && e.assessed.failed.is_empty() => {
            let same: std::collections::HashMap<&str, &Arc<Product>> =
                e.products.iter().map(|p| (p.id.as_str(), p)).collect();
            // The earlier map, less the products that changed: one entry per product.
            by_product = e.assessed.by_product;
            for p in products {
                if !same.get(p.id.as_str()).is_some_and(|q| Arc::ptr_eq(p, q)) {
                    by_product.remove(&p.id);
                    fresh.push(p);
                }
            }
            if by_product.len() + fresh.len() != products.len() {
                // Products that are gone.
                by_product.retain(|id, _| site.content.product(id).is_some());
            }
            // What the packs said about the products kept (their warnings) stays.
            if !e.assessed.diagnostics.is_empty() {
                let fresh_files: std::collections::HashSet<&str> =
                    fresh.iter().map(|p| p.file.as_str()).collect();
                let files: std::collections::HashSet<&str> =
                    products.iter().map(|p| p.file.as_str()).collect();
                kept_diagnostics = e.assessed.diagnostics;
                kept_diagnostics.retain(|d| {
                    files.contains(d.file.as_str()) && !fresh_files.contains(d.file.as_str())
                });
            }
        }
        _ => fresh.extend(products.iter().map(|p| &**p)),
    }
    let partial = fresh.len() < products.len();
    for p in &fresh {
        by_product.insert(p.id.clone(), Vec::new());
    }
    // A pack without requirements or warnings only declares vocabulary.
    let plugins: Vec<&crate::plugins::Plugin> = site
        .plugins
        .iter()
        .filter(|plugin| {
            !matches!(&plugin.engine, Engine::Rules(rules)
                if rules.requirements.is_empty() && rules.warnings.is_empty())
        })
        .collect();
    let asks = |plugin: &crate::plugins::Plugin, p: &Product| {
        plugin.markets.iter().any(|m| p.markets.contains(m))
    };
    // Each plugin's answer so far (`None`: asked about no product), in plugin order.
    let mut answers: Vec<Option<Result<Answer, Diagnostic>>> =
        plugins.iter().map(|_| None).collect();
    // A command plugin answers for all its products at once.
    for (plugin, slot) in plugins.iter().zip(&mut answers) {
        if let Engine::Command(program) = &plugin.engine {
            let ask: Vec<&Product> = fresh.iter().copied().filter(|p| asks(plugin, p)).collect();
            if !ask.is_empty() {
                *slot = Some(command::assess(plugin, program, &ask, site));
            }
        }
    }
    // Each rule pack's decisions by what they were decided on, across chunks.
    let mut memos: Vec<Option<memo::Memo<pack::Decided>>> = plugins
        .iter()
        .map(|plugin| match &plugin.engine {
            Engine::Rules(rules) => Some(memo::Memo::new(rules, memoise)),
            Engine::Command(_) => None,
        })
        .collect();
    // The fields of `product` the packs' conditions read, unless some may read all.
    let read: Option<std::collections::BTreeSet<String>> = memos
        .iter()
        .flatten()
        .map(memo::Memo::fields)
        .try_fold(std::collections::BTreeSet::new(), |mut all, fields| {
            all.extend(fields?.into_iter().map(String::from));
            Some(all)
        });
    let wanted = |name: &str| read.as_ref().is_none_or(|read| read.contains(name));
    // Rule packs assess a chunk of products at a time, in product order: a product's
    // CEL fields (several KB) are made once for every pack and live only while its
    // chunk is assessed. A pack that fails keeps its first error, as one call would.
    for chunk in fresh.chunks(CHUNK) {
        // Each thread keeps the parties' values it builds for the chunk.
        let values: Vec<Record> = chunk
            .par_iter()
            .map_init(
                || std::cell::RefCell::new(PartyValues::default()),
                |parties, p| {
                    Record::new(product_fields(
                        p,
                        &site.vocabulary,
                        site.as_of,
                        &wanted,
                        parties,
                    ))
                },
            )
            .collect();
        for ((plugin, slot), memo) in plugins.iter().zip(&mut answers).zip(&mut memos) {
            let (Engine::Rules(rules), Some(memo)) = (&plugin.engine, memo) else {
                continue;
            };
            if matches!(slot, Some(Err(_))) {
                continue;
            }
            let ask: Vec<(&Product, &Record)> = chunk
                .iter()
                .copied()
                .zip(&values)
                .filter(|(p, _)| asks(plugin, p))
                .collect();
            if ask.is_empty() {
                continue;
            }
            *slot = Some(
                match (slot.take(), pack::assess(plugin, rules, &ask, site, memo)) {
                    (Some(Ok(mut so_far)), Ok(more)) => {
                        so_far.assessments.extend(more.assessments);
                        so_far.diagnostics.extend(more.diagnostics);
                        Ok(so_far)
                    }
                    (_, answer) => answer,
                },
            );
        }
    }
    let mut diagnostics = kept_diagnostics;
    let mut failed = Vec::new();
    for (plugin, answer) in plugins.into_iter().zip(answers) {
        let Some(answer) = answer else { continue };
        match answer {
            Ok(answer) => {
                for (id, a) in answer.assessments {
                    by_product.entry(id).or_default().push(a);
                }
                diagnostics.extend(answer.diagnostics);
            }
            // A plugin that fails for one product answers for none: the kept answers
            // must go too, as a first assessment would have none.
            Err(_) if partial => return assess_with(site, None, memoise),
            Err(d) => {
                diagnostics.push(d);
                failed.push(plugin.id.clone());
            }
        }
    }
    // Each product's list is kept to the end: no room left over from growing.
    for list in by_product.values_mut() {
        list.shrink_to_fit();
    }
    Assessed {
        by_product,
        diagnostics,
        failed,
    }
}

/// How many products' CEL values are held at once while rule packs assess them.
const CHUNK: usize = 1024;

/// A product's CEL fields (those the packs' conditions read, by name), as [`memo`]
/// keys them, made into the value `product` for evaluation only when some pack has to
/// evaluate its conditions on it (converting copies the whole value).
struct Record {
    fields: Vec<(&'static str, cel::Value)>,
    converted: std::sync::OnceLock<ProductVal>,
}

impl Record {
    fn new(fields: Vec<(&'static str, cel::Value)>) -> Self {
        Record {
            fields,
            converted: std::sync::OnceLock::new(),
        }
    }

    fn fields(&self) -> &[(&'static str, cel::Value)] {
        &self.fields
    }

    fn converted(&self) -> &ProductVal {
        self.converted.get_or_init(|| {
            let value: std::collections::HashMap<String, cel::Value> = self
                .fields
                .iter()
                .map(|(name, v)| ((*name).to_string(), v.clone()))
                .collect();
            ProductVal::new(cel::Value::from(value))
        })
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
    site.content
        .products
        .par_iter()
        .flat_map_iter(|product| {
            let assessments = assessed
                .by_product
                .get(&product.id)
                .map_or(&[][..], Vec::as_slice);
            let mut found = Vec::new();
            for a in assessments {
                // Most assessments have no gap: their wording is made only when needed.
                let mut gaps = a.gaps().peekable();
                if gaps.peek().is_none() {
                    continue;
                }
                let what = match &a.certificate {
                    Some(c) => format!("{} {} is blocked", c.title, c.number),
                    None => format!("{} requirements are not met", a.market),
                };
                for gap in gaps {
                    let detail = gap.detail.as_deref().unwrap_or("not satisfied");
                    let status = serde_json::to_value(gap.status)
                        .ok()
                        .and_then(|v| v.as_str().map(String::from));
                    let message = format!(
                        "{} ({}): {what}: `{}` ({}) {}: {detail}",
                        a.market,
                        a.plugin,
                        gap.id,
                        gap.cite,
                        status.unwrap_or_default()
                    );
                    // At the field to change, with what to change, when the rule says.
                    let (line, column) = match gap.fix.as_ref().map(|f| &f.at) {
                        Some(FixAt::Key(key)) => product.key_at(key),
                        Some(FixAt::Report(report)) => product.report_at(report),
                        Some(FixAt::Lot(lot)) => product.lot_at(lot),
                        None => product.id_at,
                    };
                    let mut d = Diagnostic::warning("gap", &product.file, message).at(line, column);
                    if let Some(f) = &gap.fix {
                        d = d.with_help(f.text.clone());
                    }
                    found.push(d);
                }
            }
            found
        })
        .collect()
}
