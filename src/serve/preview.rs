//! What `serve` shows: the site run through the pipeline into memory after each change,
//! and the last build that succeeded, kept on screen under the errors of a failed one.
//!
//! A rebuild after edits to product or party records is incremental: the loader reads
//! again only the files that changed (and the products naming a changed party), the
//! rule packs assess and the ledger reviews only the products that changed, and the
//! render makes again only those products' pages, twins and labels, their
//! certificates' pages, and what every product feeds (home page, lookup index,
//! sitemap). Any other change (site.toml, plugins, theme, guidance, assets, the ledger)
//! rebuilds everything. Either way the files equal those of a clean build.

use super::http::Snapshot;
use crate::assess::{Assessed, Earlier};
use crate::content::Product;
use crate::diagnostic::Diagnostics;
use crate::ledger::{Review, Standing};
use crate::output::{Files, Memory};
use crate::pipeline::{Pipeline, Purpose};
use crate::render::{Only, Rendered};
use crate::site::Overrides;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub struct Preview {
    root: PathBuf,
    overrides: Overrides,
    /// The files of the latest build that succeeded.
    good: Arc<Files>,
    /// What the previous runs found, for an incremental rebuild; `None`: rebuild all.
    memo: Option<Memo>,
}

#[derive(Default)]
struct Memo {
    content: crate::content::Cache,
    /// The products, assessments and review of the previous run.
    earlier: Option<(Vec<Arc<Product>>, Assessed, Review)>,
    /// What the files shown were rendered from.
    shown: Option<Shown>,
}

/// The inputs of the files shown, to tell what an edit changed.
struct Shown {
    products: HashMap<String, Arc<Product>>,
    standing: BTreeMap<String, Standing>,
    previews: BTreeSet<String>,
    /// Files drawn from every product, written again by every render.
    shared: Vec<String>,
}

/// One rebuild: what to show, and what to tell the terminal.
pub struct Outcome {
    pub snapshot: Snapshot,
    pub diagnostics: Diagnostics,
    /// `None` when the build failed.
    pub rendered: Option<Rendered>,
    /// The rebuild read, assessed and rendered only what the edit changed.
    pub incremental: bool,
    pub elapsed: std::time::Duration,
}

impl Preview {
    /// `overrides` carry the server's own URL as `base_url`, so every link stays on it.
    pub fn new(root: &Path, overrides: Overrides) -> Preview {
        Preview {
            root: root.to_path_buf(),
            overrides,
            good: Arc::default(),
            memo: None,
        }
    }

    /// Runs the pipeline into memory after `changed` (paths relative to the site root;
    /// empty: build everything). Ready certificates never issued are shown as previews;
    /// warnings do not stop the preview (`strict` is for builds).
    pub fn rebuild(&mut self, changed: &[PathBuf]) -> Outcome {
        let started = std::time::Instant::now();
        let records_only = !changed.is_empty()
            && changed
                .iter()
                .all(|p| p.starts_with("content/products") || p.starts_with("content/parties"));
        if !records_only || self.memo.is_none() {
            self.memo = Some(Memo::default());
        }
        let memo = self.memo.as_mut().expect("set above");
        let mut p = Pipeline::load_again(&self.root, &self.overrides, &mut memo.content);
        let (earlier_assessed, earlier_review) = match memo.earlier.take() {
            Some((products, assessed, review)) => (
                Some(Earlier {
                    assessed,
                    products: products.clone(),
                }),
                Some((review, products)),
            ),
            None => (None, None),
        };
        p.assess_again(earlier_assessed);
        let purpose = Purpose::Publish { locked: false };
        match earlier_review {
            Some((review, products)) => p.review_again(purpose, Some((review, &products))),
            None => p.review_again(purpose, None),
        };
        p.preview();
        let theme = p.theme();
        let products: Vec<Arc<Product>> = p
            .site
            .as_ref()
            .map(|s| s.content.products.clone())
            .unwrap_or_default();
        let mut rendered = None;
        let mut incremental = false;
        if let (Some(mut theme), Some(_)) = (theme, p.publishable(false)) {
            let (only, memory) = match memo
                .shown
                .as_ref()
                .and_then(|shown| changes(shown, &p, &products))
            {
                Some((only, forget)) => {
                    let memory = Memory::new((*self.good).clone());
                    memory.retain(|path| !forget(path));
                    incremental = true;
                    (Some(only), memory)
                }
                None => (None, Memory::default()),
            };
            match p.publish(&mut theme, &memory, only.as_ref()) {
                Ok(r) => {
                    self.good = Arc::new(memory.into_files());
                    memo.shown = Some(Shown {
                        products: products.iter().map(|x| (x.id.clone(), x.clone())).collect(),
                        standing: p.review.standing.clone(),
                        previews: p.review.previews.keys().cloned().collect(),
                        shared: r.shared.clone(),
                    });
                    rendered = Some(r);
                }
                Err(ds) => {
                    p.diagnostics.extend(ds);
                    p.diagnostics.sort();
                }
            }
        }
        if let Some(assessed) = p.assessed.take() {
            memo.earlier = Some((products, assessed, std::mem::take(&mut p.review)));
        }
        Outcome {
            snapshot: Snapshot {
                files: Arc::clone(&self.good),
                problems: if rendered.is_some() {
                    Vec::new()
                } else {
                    p.diagnostics.iter().cloned().collect()
                },
            },
            diagnostics: p.diagnostics,
            rendered,
            incremental,
            elapsed: started.elapsed(),
        }
    }
}

/// What changed since the files shown were rendered: what to render again, and which of
/// the shown files to forget first. `None` when products were added or removed (every
/// certificate page says whether its product exists): then everything is rendered.
#[allow(clippy::type_complexity)]
fn changes<'a>(
    shown: &'a Shown,
    p: &'a Pipeline,
    products: &'a [Arc<Product>],
) -> Option<(Only, Box<dyn Fn(&str) -> bool + 'a>)> {
    if products.len() != shown.products.len()
        || products.iter().any(|x| !shown.products.contains_key(&x.id))
    {
        return None;
    }
    let assessed = p.assessed.as_ref()?;
    let mut only = Only::default();
    // Products edited, or naming a party that was.
    let mut gone: Vec<(&str, Option<String>)> = Vec::new();
    for x in products {
        let before = &shown.products[&x.id];
        if !Arc::ptr_eq(before, x) {
            only.products.insert(x.id.clone());
            for g in [before.gtin, x.gtin].into_iter().flatten() {
                gone.push((x.id.as_str(), Some(g.as_gtin14())));
            }
            gone.push((x.id.as_str(), None));
            for a in assessed.by_product.get(&x.id).into_iter().flatten() {
                if let Some(c) = &a.certificate {
                    only.certificates.insert(c.number.clone());
                }
            }
        }
    }
    // Certificates whose standing or preview changed (their products are among those).
    let standing = &p.review.standing;
    for (number, s) in standing {
        if shown.standing.get(number) != Some(s) {
            only.certificates.insert(number.clone());
        }
    }
    for number in shown.standing.keys() {
        if !standing.contains_key(number) {
            only.certificates.insert(number.clone());
        }
    }
    let previews: BTreeSet<&String> = p.review.previews.keys().collect();
    for number in previews.iter().copied().chain(&shown.previews) {
        if previews.contains(number) != shown.previews.contains(number) {
            only.certificates.insert(number.clone());
        }
    }
    let certificates: Vec<String> = only
        .certificates
        .iter()
        .map(|n| crate::url::certificate(n).file())
        .map(|f| f.trim_end_matches("index.html").to_string())
        .collect();
    let shared: std::collections::HashSet<&str> = shown.shared.iter().map(String::as_str).collect();
    let forget = move |path: &str| {
        shared.contains(path)
            || certificates.iter().any(|c| path.starts_with(c.as_str()))
            || gone
                .iter()
                .any(|(id, g)| crate::url::owned_by_product(path, id, g.as_deref()))
    };
    Some((only, Box::new(forget)))
}
