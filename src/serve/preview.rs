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
use crate::ledger::{Ledger, Review, Standing};
use crate::output::{Files, Memory};
use crate::pipeline::{Pipeline, Purpose};
use crate::render::{Only, Rendered};
use crate::site::Overrides;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
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
    /// The date assessments were judged on: a preview left running past midnight (no
    /// `as_of` set) judges again from scratch.
    as_of: Option<time::Date>,
    content: crate::content::Cache,
    earlier: Option<LastRun>,
    /// What the files shown were rendered from.
    shown: Option<Shown>,
    /// What their render kept for the next one.
    render: crate::render::Memo,
    /// The site the last run loaded, and what its load found wrong outside the records:
    /// kept after an edit to records only.
    site: Option<(crate::site::Site, Vec<crate::diagnostic::Diagnostic>)>,
}

/// The products, assessments and review of the previous run, and the ledger it read
/// (when it read without error): what the next one keeps for unchanged products.
struct LastRun {
    products: Vec<Arc<Product>>,
    assessed: Assessed,
    review: Review,
    ledger: Option<Ledger>,
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
        // The watcher saw these change: read them again whatever their stamps say.
        let paths: Vec<PathBuf> = changed.iter().map(|p| self.root.join(p)).collect();
        memo.content.forget(&paths);
        let mut laps = Laps::new();
        let mut p = match memo.site.take() {
            Some((site, kept)) => {
                Pipeline::reload_records(site, &self.overrides, &kept, &mut memo.content)
            }
            None => Pipeline::load_again(&self.root, &self.overrides, &mut memo.content),
        };
        let kept: Vec<crate::diagnostic::Diagnostic> = p
            .diagnostics
            .iter()
            .filter(|d| !crate::content::is_record(&d.file))
            .cloned()
            .collect();
        let as_of = p.site.as_ref().map(|s| s.as_of);
        if memo.as_of != as_of {
            memo.earlier = None;
            memo.shown = None;
            memo.as_of = as_of;
        }
        laps.lap("load");
        let (earlier_assessed, earlier_review) = match memo.earlier.take() {
            Some(LastRun {
                products,
                assessed,
                review,
                ledger,
            }) => (
                Some(Earlier {
                    assessed,
                    products: products.clone(),
                }),
                ledger.map(|l| (review, products, l)),
            ),
            None => (None, None),
        };
        p.assess_again(earlier_assessed);
        laps.lap("assess");
        // A command plugin may answer differently for a product that did not change:
        // then every certificate is reviewed again.
        let pure = p.site.as_ref().is_some_and(|s| {
            s.plugins
                .iter()
                .all(|pl| matches!(pl.engine, crate::plugins::Engine::Rules(_)))
        });
        let earlier_review = earlier_review.filter(|_| pure);
        if !pure {
            // Its answer for one product may change with another's edit: render all.
            memo.shown = None;
        }
        let purpose = Purpose::Publish { locked: false };
        match earlier_review {
            Some((review, products, ledger)) => {
                p.review_again(purpose, Some((review, &products, ledger)))
            }
            None => p.review_again(purpose, None),
        };
        p.preview();
        laps.lap("review");
        let theme = p.theme();
        laps.lap("theme");
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
                Some((only, stale)) => {
                    let memory = Memory::new(Files::clone(&self.good));
                    stale.forget_in(&memory);
                    incremental = true;
                    (Some(only), memory)
                }
                None => (None, Memory::default()),
            };
            laps.lap("changes");
            let mut render_memo = std::mem::take(&mut memo.render);
            match p.publish(&mut theme, &memory, only.as_ref(), Some(&mut render_memo)) {
                Ok(r) => {
                    memo.render = render_memo;
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
        laps.lap("render and print");
        laps.report();
        // A site whose configuration failed is loaded again in full.
        if p.assessed.is_some() {
            memo.site = p.site.take().map(|s| (s, kept));
        }
        if let Some(assessed) = p.assessed.take() {
            // A ledger that did not read is read again next time, to report it again.
            let ledger_read = !p
                .diagnostics
                .iter()
                .any(|d| d.file == crate::ledger::FILE && d.is_error());
            let ledger = ledger_read.then(|| std::mem::take(&mut p.ledger));
            memo.earlier = Some(LastRun {
                products,
                assessed,
                review: std::mem::take(&mut p.review),
                ledger,
            });
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

/// The shown files a partial render makes again (or that are gone): forgotten first.
#[derive(Default)]
struct Stale {
    /// Files drawn from every product.
    shared: HashSet<String>,
    /// Encoded ids, GTIN-14s and encoded numbers ([`crate::url::owner`]).
    products: HashSet<String>,
    gtins: HashSet<String>,
    certificates: HashSet<String>,
}

impl Stale {
    /// Forgets the stale files, looking only where they lie.
    fn forget_in(&self, memory: &Memory) {
        use crate::url::Owner;
        for path in &self.shared {
            memory.forget(path, |p| p == path);
        }
        let owners = (self.products.iter().map(|id| Owner::Product(id)))
            .chain(self.gtins.iter().map(|g| Owner::Gtin(g)))
            .chain(self.certificates.iter().map(|n| Owner::Certificate(n)));
        for who in owners {
            for prefix in crate::url::owned_prefixes(who) {
                memory.forget(&prefix, |p| crate::url::owner(p) == Some(who));
            }
        }
    }
}

/// What changed since the files shown were rendered: what to render again, and which of
/// the shown files to forget first. `None` when products were added or removed (every
/// certificate page says whether its product exists): then everything is rendered.
fn changes(shown: &Shown, p: &Pipeline, products: &[Arc<Product>]) -> Option<(Only, Stale)> {
    use crate::url::encode_segment;
    if products.len() != shown.products.len()
        || products.iter().any(|x| !shown.products.contains_key(&x.id))
    {
        return None;
    }
    let assessed = p.assessed.as_ref()?;
    let mut only = Only::default();
    let mut stale = Stale {
        shared: shown.shared.iter().cloned().collect(),
        ..Stale::default()
    };
    // Products edited, or naming a party that was.
    for x in products {
        let before = &shown.products[&x.id];
        if Arc::ptr_eq(before, x) {
            continue;
        }
        only.products.insert(x.id.clone());
        stale.products.insert(encode_segment(&x.id));
        stale.gtins.extend(
            [before.gtin, x.gtin]
                .into_iter()
                .flatten()
                .map(|g| g.as_gtin14()),
        );
        for a in assessed.by_product.get(&x.id).into_iter().flatten() {
            if let Some(c) = &a.certificate {
                only.certificates.insert(c.number.clone());
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
    stale.certificates = only
        .certificates
        .iter()
        .map(|n| encode_segment(n))
        .collect();
    Some((only, stale))
}

/// Where a rebuild's time goes, printed to stderr when `CERTPRESS_TIMINGS` is set (for
/// the people who make certpress faster).
struct Laps {
    on: bool,
    last: std::time::Instant,
    laps: Vec<(&'static str, std::time::Duration)>,
}

impl Laps {
    fn new() -> Laps {
        Laps {
            on: std::env::var_os("CERTPRESS_TIMINGS").is_some(),
            last: std::time::Instant::now(),
            laps: Vec::new(),
        }
    }

    fn lap(&mut self, what: &'static str) {
        if self.on {
            self.laps.push((what, self.last.elapsed()));
            self.last = std::time::Instant::now();
        }
    }

    fn report(&self) {
        if self.on {
            let parts: Vec<String> = self
                .laps
                .iter()
                .map(|(what, d)| format!("{what} {:.1} ms", d.as_secs_f64() * 1000.0))
                .collect();
            eprintln!("timings: {}", parts.join(", "));
        }
    }
}
