//! `certpress build` one batch of products at a time (issue 17: a 100,000-product site
//! built in under 1 GB). Each batch's records are read, assessed and reviewed against the
//! ledger's index (read once, line by line); the versions of the certificates it shows are
//! read from `certificates.lock` at the offsets the index keeps; its product, lot and
//! certificate pages, twins, linksets and labels are written into the staging folder; and
//! the batch is dropped. What spans products is gathered as it goes: the home list's rows,
//! lookup terms and API index entries ([`Gathered`]), and the keys the next build renders
//! only what changed by ([`keys::Gathered`]). Certificates the ledger holds
//! that no product is assessed for now (retired) are rendered after the last batch.
//!
//! The output is the whole build's ([`Pipeline::build`]), file for file, and so are the
//! problems reported (`tests/build_batches.rs` builds sites both ways). A batch renders
//! only while no error has been found (under `strict`, no problem at all): a build that
//! fails goes on reading records to report every problem, and its staging folder is
//! dropped. Where only the whole site can answer, [`build`] returns `None` having
//! published nothing, and the caller builds the whole site: a site of one batch, a
//! configuration with errors, a command plugin (it answers for all its products at once)
//! or a rule pack that fails on a product, and the label sheet (one PDF of every label).
//!
//! A rebuild whose site-wide sources did not change since the output it replaces renders
//! again only the products and certificates whose keys changed ([`Rebuild`]), batch by
//! batch, and links the files of the others from that output unread.

use crate::assess::{self, Assessed};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::ledger::{self, Index, Keep, Review, Standing};
use crate::output::{self, Sink as _, Staging};
use crate::pipeline::{Built, Pipeline, Reuse};
use crate::register::Register;
use crate::render::batched::Gathered;
use crate::render::keys;
use crate::site::{self, Overrides, Site};
use crate::theme::Theme;
use crate::timings::Laps;
use crate::url;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// What `build` is asked for.
pub struct Ask<'a> {
    /// `--output` (default: the configured folder).
    pub output: Option<PathBuf>,
    /// `--locked`: a ready certificate not issued is an error.
    pub locked: bool,
    /// `--strict` (site.toml's `strict` is read with the site).
    pub strict: bool,
    pub reuse: &'a Reuse,
    /// Products a batch ([`super::BUILD_BATCH`]; tests use small ones).
    pub batch: usize,
}

/// Builds the site at `root` a batch of products at a time: the pipeline (its site
/// without products, and every problem, sorted) and what was built, `None` when the build
/// failed. `None` when only the whole site can be built (see the module's notes).
pub fn build(
    root: &Path,
    overrides: &Overrides,
    ask: Ask,
    laps: &mut Laps,
) -> Option<(Pipeline, Option<Built>)> {
    let (site, diags, unread) = site::load_deferred(root, overrides);
    let (site, unread) = (site?, unread?);
    let batch = ask.batch.max(1);
    if unread.products.len() <= batch
        || diags.exit_code(false) == 2
        || !crate::pipeline::pure(&site)
        || crate::pipeline::sheet(&site)
    {
        return None;
    }
    let strict = ask.strict || site.config.strict;
    let target = site.output(ask.output.as_deref());
    // The fingerprint of every source but the records and the ledger: when the last
    // build kept the same, only what changed is rendered, which needs every key first.
    let records: HashSet<String> = unread
        .products
        .iter()
        .map(|p| crate::source::relative(root, p))
        .chain(site.content.parties.values().map(|p| p.file.clone()))
        .chain([ledger::FILE.to_string()])
        .collect();
    let site_key = ask
        .reuse
        .sources
        .as_ref()
        .map(|s| s.except(&records.iter().map(String::as_str).collect()));
    drop(records);
    // The output is this run's from here (another run writing it is waited for), so
    // its files are as the manifest read next says while they are linked.
    let claim = crate::pipeline::claim(root, &target).ok()?;
    let previous = match ask.reuse.clean {
        true => None,
        false => output::manifest::previous(&target),
    }
    .unwrap_or_default();
    // Kept with the same fingerprint: only what changed is rendered again.
    let rebuild = previous
        .keys
        .filter(|kept| site_key.as_ref() == Some(&kept.site))
        .and_then(|kept| Rebuild::new(kept, &previous.damaged));
    drop(previous.damaged);

    let mut p = Pipeline::from_parts(root, Some(site), diags);
    p.placeholder_base_url(strict).dropped_pdfs(Some(&target));
    let mut diags = std::mem::take(&mut p.diagnostics);
    // The theme's own problems are reported as the whole build reports them: only when
    // nothing else stops the build.
    let theme = p.theme();
    let theme_diags = std::mem::take(&mut p.diagnostics);
    let mut site = p.site.take()?;

    // A product is taken to exist when a record file is named after it: exact when the
    // records have no error (`id-mismatch`), and a build with errors publishes nothing.
    let stems: HashSet<String> = unread
        .products
        .iter()
        .filter_map(|p| Some(p.file_stem()?.to_str()?.to_string()))
        .collect();
    let ids: HashSet<&str> = stems.iter().map(String::as_str).collect();
    laps.lap_load("load");
    let index = match Index::load(root, &|id| ids.contains(id)) {
        Ok(index) => index,
        Err(d) => {
            diags.push(d);
            Index::default()
        }
    };
    laps.lap("index");

    let mut run = Run {
        root,
        target: &target,
        strict,
        theme_failed: theme.is_none() || (strict && !theme_diags.is_empty()),
        theme,
        reuse: previous.reuse,
        rebuild,
        claim: Some(claim),
        out: None,
        index: &index,
        ids: &ids,
        keys: keys::Gathered::new(&index),
        labels: 0,
        products: unread.products.len(),
        laps,
    };
    let content_dir = root.join("content");
    let overlay = crate::content::Overlay::default();
    let mut batches = crate::content::Batches::new(
        root,
        &overlay,
        crate::content::product::Context {
            parties: &site.content.parties,
            broken_parties: &unread.broken_parties,
            vocabulary: &site.vocabulary,
            content_dir: &content_dir,
            as_of: site.as_of,
            folders: Default::default(),
        },
    );
    // The numbers some product is assessed for; the ledger's others are retired.
    let mut reviewed: HashSet<String> = HashSet::new();
    for paths in unread.products.chunks(batch) {
        site.content.products = batches.next(paths, &mut diags);
        run.laps.lap_load("load");
        let assessed = assess::assess_site(&site);
        if !assessed.failed.is_empty() {
            return None;
        }
        diags.extend(assessed.diagnostics.iter().cloned());
        diags.extend(assess::gap_diagnostics(&site, &assessed));
        run.laps.lap("assess");
        let review = ledger::review_batch(&site, &assessed, &index, Keep::All);
        diags.extend(ledger::diagnostics(&site, &review, ask.locked));
        reviewed.extend(review.standing.keys().cloned());
        run.laps.lap("review");
        run.render(&site, &assessed, review, &mut diags);
        site.content.products = Vec::new();
        drop(assessed);
        run.laps.lap("drop");
    }
    let retired: Vec<&str> = index.numbers().filter(|n| !reviewed.contains(*n)).collect();
    drop(reviewed);
    for numbers in retired.chunks(batch) {
        let review = Review {
            standing: numbers
                .iter()
                .map(|n| (n.to_string(), Standing::Retired))
                .collect(),
            ..Review::default()
        };
        run.render(&site, &Assessed::default(), review, &mut diags);
    }
    run.laps.lap("retired");

    diags.sort();
    let sources = ask.reuse.sources.as_ref().map(|s| s.whole());
    let built = run.finish(&site, &mut diags, theme_diags, sources, site_key);
    Some((Pipeline::from_parts(root, Some(site), diags), built))
}

/// A build in batches under way.
struct Run<'a> {
    root: &'a Path,
    target: &'a Path,
    strict: bool,
    /// The theme, its globals set for the site once the first batch renders.
    theme: Option<Theme>,
    /// The theme did not load, or has problems under `strict`.
    theme_failed: bool,
    /// The previous output's files as it wrote them, to link where the bytes are the same.
    reuse: output::manifest::Reusable,
    /// Rendering only what changed since the previous output.
    rebuild: Option<Rebuild>,
    /// The output's lock, until the first batch renders into it.
    claim: Option<Claim>,
    /// The output being written, from the first batch rendered.
    out: Option<Output>,
    index: &'a Index,
    ids: &'a HashSet<&'a str>,
    keys: keys::Gathered,
    labels: usize,
    /// Product records to build, for the progress bar.
    products: usize,
    laps: &'a mut Laps,
}

/// The staging folder, held with the output's lock, and what was rendered into it.
struct Output {
    staging: Staging,
    gathered: Gathered,
    _claim: Claim,
}

/// The output's lock, and the sweep of what earlier runs left beside it.
type Claim = (output::TargetLock, std::thread::JoinHandle<()>);

impl Run<'_> {
    /// Whether the build can still succeed, so a batch is worth rendering.
    fn going(&self, diags: &Diagnostics) -> bool {
        !self.theme_failed && !diags.has_errors() && (!self.strict || diags.is_empty())
    }

    /// Renders a batch (`site`'s products, the certificates `review` stands for), unless
    /// the build has already failed; problems go to `diags`.
    fn render(
        &mut self,
        site: &Site,
        assessed: &Assessed,
        review: Review,
        diags: &mut Diagnostics,
    ) {
        if !self.going(diags) {
            return;
        }
        if let Err(ds) = self.try_render(site, assessed, review) {
            diags.extend(ds);
        }
    }

    fn try_render(
        &mut self,
        site: &Site,
        assessed: &Assessed,
        review: Review,
    ) -> Result<(), Vec<Diagnostic>> {
        if self.out.is_none() {
            self.out = Some(self.open(site)?);
        }
        let (Some(out), Some(theme)) = (self.out.as_mut(), self.theme.as_ref()) else {
            return Err(Vec::new());
        };
        let ledger = ledger::read_versions(
            self.root,
            self.index,
            review.standing.keys().map(String::as_str),
        )
        .map_err(|d| vec![d])?;
        self.laps.lap("versions");
        let register = Register::new(&ledger, &review);
        self.keys.batch(site, assessed, &register, self.index);
        let only = self
            .rebuild
            .as_mut()
            .map(|r| r.batch(site, &register, &self.keys, self.index, self.ids));
        self.laps.lap("keys");
        out.gathered.batch(
            site,
            assessed,
            &register,
            theme,
            self.ids,
            &out.staging,
            only.as_ref(),
        )?;
        self.laps.lap("render");
        let printed = crate::label::print::for_build(
            site,
            assessed,
            &register,
            &out.staging,
            only.as_ref().map(|o| &o.products),
        )?;
        // A partial build counts every label the output has.
        self.labels += match only {
            Some(_) => crate::label::jobs(site, None, None).len(),
            None => printed,
        };
        self.laps.lap("labels");
        Ok(())
    }

    /// Takes the output for this build and opens its staging folder.
    fn open(&mut self, site: &Site) -> Result<Output, Vec<Diagnostic>> {
        let claim = self.claim.take().ok_or_else(Vec::new)?;
        let staging = Staging::reusing(self.target, std::mem::take(&mut self.reuse))
            .map_err(|e| self.write_error(&e))?;
        let theme = self.theme.as_mut().ok_or_else(Vec::new)?;
        let gathered = Gathered::new(site, theme, self.products);
        Ok(Output {
            staging,
            gathered,
            _claim: claim,
        })
    }

    fn write_error(&self, e: &std::io::Error) -> Vec<Diagnostic> {
        vec![crate::pipeline::write_error(self.target, "the output", e)]
    }

    /// When every problem is in (`diags`, sorted) and allows it, and then the theme's:
    /// makes the lists, writes the ledger's manifest and swaps the output in, recording
    /// `sources` and the keys of every product and certificate with `site_key`.
    fn finish(
        self,
        site: &Site,
        diags: &mut Diagnostics,
        theme_diags: Diagnostics,
        sources: Option<String>,
        site_key: Option<String>,
    ) -> Option<Built> {
        if diags.has_errors() || (self.strict && !diags.is_empty()) {
            return None;
        }
        diags.extend(theme_diags);
        diags.sort();
        match self.made(site, diags, sources, site_key) {
            Ok(built) => built,
            Err(ds) => {
                diags.extend(ds);
                diags.sort();
                None
            }
        }
    }

    fn made(
        self,
        site: &Site,
        diags: &Diagnostics,
        sources: Option<String>,
        site_key: Option<String>,
    ) -> Result<Option<Built>, Vec<Diagnostic>> {
        let (Some(out), Some(theme)) = (self.out, self.theme.as_ref()) else {
            return Ok(None);
        };
        if self.theme_failed {
            return Ok(None);
        }
        let failed =
            |e: std::io::Error| vec![crate::pipeline::write_error(self.target, "the output", &e)];
        let Output {
            staging,
            gathered,
            _claim,
        } = out;
        if let Some(rebuild) = &self.rebuild {
            rebuild.carry(self.target, &staging).map_err(failed)?;
            self.laps.lap("carry");
        }
        let rendered = gathered.finish(site, theme, &staging, self.index.numbers(), self.labels)?;
        self.laps.lap("lists");
        staging
            .write(ledger::MANIFEST, ledger::manifest_of(self.index).as_bytes())
            .map_err(failed)?;
        ledger::check_published(self.index, self.root, self.target).map_err(|d| vec![d])?;
        // What the next build with nothing changed replays.
        let lasting = diags.about_the_inputs();
        let summary = output::manifest::Summary {
            pages: rendered.all_pages,
            data_files: rendered.all_data_files,
            labels: rendered.labels,
            files_copied: rendered.files_copied,
            warnings: lasting.warnings(),
            report: crate::report::render_plain(self.root, &lasting),
            pure: true,
        };
        let count = |n: &std::sync::atomic::AtomicU64| n.load(std::sync::atomic::Ordering::Relaxed);
        let (written, linked, carried) = (
            count(&staging.written),
            count(&staging.linked),
            count(&staging.carried),
        );
        let inputs = site_key.map(|key| {
            let mut inputs = self.keys.finish(self.index, self.ids, key);
            inputs.lists = rendered.drawn_from_records();
            inputs
        });
        self.laps.lap("keys");
        staging
            .commit_recorded((sources.unwrap_or_default(), summary.clone(), inputs))
            .map_err(failed)?;
        self.laps.lap("commit");
        Ok(Some(Built {
            output: self.target.to_path_buf(),
            rendered,
            summary,
            written,
            kept: linked + carried,
            partial: self.rebuild.map(|r| crate::pipeline::Partial {
                products: r.products,
                certificates: r.certificates,
                files: written + linked,
                carried,
            }),
        }))
    }
}

/// A build that renders again only the products and certificates whose keys changed
/// since the output it replaces (or whose files there were edited by hand), and links
/// the files of the others from it unread once every batch is in ([`Rebuild::carry`]).
/// Keys are compared batch by batch; what cannot be told yet (a product named on a
/// certificate of a later batch, a certificate naming a product of one) is rendered.
struct Rebuild {
    kept: output::manifest::KeptKeys,
    /// The owners of the previous output's files edited or removed by hand since, as
    /// paths name them (encoded ids and numbers, GTIN-14s): rendered again.
    touched: Owners,
    /// The owners whose files are linked unread, as paths name them.
    unread: Owners,
    /// Products and certificates rendered again.
    products: usize,
    certificates: usize,
}

/// Owners of output files as paths name them ([`url::owner`]).
#[derive(Default)]
struct Owners {
    products: HashSet<Box<str>>,
    gtins: HashSet<Box<str>>,
    certificates: HashSet<Box<str>>,
}

impl Owners {
    fn contains(&self, owner: Option<url::Owner>) -> bool {
        match owner {
            Some(url::Owner::Product(id)) => self.products.contains(id),
            Some(url::Owner::Gtin(g)) => self.gtins.contains(g),
            Some(url::Owner::Certificate(n)) => self.certificates.contains(n),
            None => false,
        }
    }
}

impl Rebuild {
    /// `None` when everything is rendered again: a file of the previous output that
    /// belongs to no product or certificate and is not a list (`damaged`, those edited or
    /// removed by hand) cannot be made alone.
    fn new(kept: output::manifest::KeptKeys, damaged: &[String]) -> Option<Rebuild> {
        let mut touched = Owners::default();
        for rel in damaged {
            match url::owner(rel) {
                Some(url::Owner::Product(id)) => touched.products.insert(id.into()),
                Some(url::Owner::Gtin(g)) => touched.gtins.insert(g.into()),
                Some(url::Owner::Certificate(n)) => touched.certificates.insert(n.into()),
                None if kept.lists.contains(rel) => true,
                None => return None,
            };
        }
        Some(Rebuild {
            kept,
            touched,
            unread: Owners::default(),
            products: 0,
            certificates: 0,
        })
    }

    /// What of a batch (`site`'s products, `register`'s certificates, just hashed into
    /// `keys`) is rendered again; the rest is noted to be linked unread.
    fn batch(
        &mut self,
        site: &Site,
        register: &Register,
        keys: &keys::Gathered,
        index: &Index,
        exists: &HashSet<&str>,
    ) -> crate::render::Only {
        let mut only = keys.changed(register, index, exists, &self.kept);
        for p in &site.content.products {
            let id = url::encode_segment(&p.id);
            let gtin = p.gtin.map(|g| g.as_gtin14());
            if self.touched.products.contains(id.as_str())
                || gtin
                    .as_deref()
                    .is_some_and(|g| self.touched.gtins.contains(g))
            {
                only.products.insert(p.id.clone());
            }
            if !only.products.contains(&p.id) {
                self.unread.products.insert(id.into());
                self.unread.gtins.extend(gtin.map(String::into_boxed_str));
            }
        }
        for n in register.ledger().certificates.keys() {
            let number = url::encode_segment(n);
            if self.touched.certificates.contains(number.as_str()) {
                only.certificates.insert(n.clone());
            }
            if !only.certificates.contains(n) {
                self.unread.certificates.insert(number.into());
            }
        }
        self.products += only.products.len();
        self.certificates += only.certificates.len();
        only
    }

    /// Links the files of the products and certificates not rendered again from the
    /// output at `target` (as its manifest lists them, those still as written) into
    /// `staging`, unread.
    fn carry(&self, target: &Path, staging: &Staging) -> std::io::Result<()> {
        let mut block: Vec<(String, output::manifest::Entry)> = Vec::new();
        let mut result = Ok(());
        let read = output::manifest::read_lines(target, |rel, entry| {
            if self.unread.contains(url::owner(rel)) && staging.as_written(rel, &entry) {
                block.push((rel.to_string(), entry));
            }
            if block.len() >= 1 << 16 {
                if result.is_ok() {
                    result = staging.carry(&block);
                }
                block.clear();
            }
        });
        result?;
        if read.is_none() {
            return Err(std::io::Error::other(
                "the previous output's manifest changed while it was read",
            ));
        }
        staging.carry(&block)
    }
}
