//! The pipeline every command runs, one method per step:
//!
//! ```text
//! load    site.toml, plugins, content       Pipeline::load     (site)
//! assess  plugins × products                Pipeline::assess   (assess)
//! review  certificates against the ledger   Pipeline::review   (ledger, register); issue: Pipeline::issue
//! remind  reports that lapse soon (check)   Pipeline::remind   (due)
//! render  pages, JSON twins, lookup index   Pipeline::render   (render)
//! print   labels and sheets                 Pipeline::print    (label)
//! write   a staging folder, swapped in      Pipeline::build    (output)
//! ```
//!
//! A build is incremental on disk: a file whose bytes equal those the previous build
//! wrote at the same path is linked from the previous output instead of written again
//! (it keeps its inode and modification time), and when nothing the build reads changed
//! since the build that wrote the output ([`up_to_date`]), nothing runs at all. When only
//! records or the ledger changed, only the products and certificates whose keys changed
//! are rendered ([`crate::render::keys`]), with the lists drawn from every product; the
//! files of the rest are linked from the previous output unread.
//!
//! Each step returns its data and adds its problems to [`Pipeline::diagnostics`]; a step
//! whose input is missing (the configuration did not load) does nothing. `cli` runs the
//! steps a command needs; `serve` runs render and print into memory instead of a folder.

use crate::assess::Assessed;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::ledger::{self, Issued, Ledger, Review};
use crate::output::{self, Sink, Staging};
use crate::register::Register;
use crate::render::{Only, Rendered};
use crate::site::{self, Overrides, Site};
use crate::theme::Theme;
use std::path::{Path, PathBuf};

/// A site on its way through the pipeline: what each step made so far, and every problem.
pub struct Pipeline {
    pub root: PathBuf,
    /// `None` when site.toml could not be read or is invalid.
    pub site: Option<Site>,
    /// Present after [`Pipeline::assess`] when the configuration, plugins included, has
    /// no error: a plugin that failed to compile would make every product look
    /// unregulated.
    pub assessed: Option<Assessed>,
    /// Every issued version with its content; left empty by `check`, which reads only
    /// [`Pipeline::index`].
    pub ledger: Ledger,
    /// What the review needs of the ledger (read straight from the file by `check`).
    pub index: ledger::Index,
    pub review: Review,
    /// Every problem so far, sorted.
    pub diagnostics: Diagnostics,
}

/// What the review step is for: which ledger problems it reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// `check`: everything `build` and `issue` would refuse.
    Check,
    /// `issue`: the ledger must still hold what the output publishes; ready certificates
    /// are about to be issued, so they are not reported as unissued.
    Issue,
    /// `build`, `labels`, `serve`: ready certificates not issued are warnings, errors
    /// when `locked`. (The folder a build replaces is checked when it is written.)
    Publish { locked: bool },
}

/// What [`Pipeline::build`] wrote.
#[derive(Debug)]
pub struct Built {
    pub output: PathBuf,
    /// What was rendered (with [`Built::partial`], only what changed).
    pub rendered: Rendered,
    /// What the whole output holds (and the next build with nothing changed reports).
    pub summary: output::manifest::Summary,
    /// Files written, and files kept from the previous output (linked: the same bytes).
    pub written: u64,
    pub kept: u64,
    /// `Some` when only what changed since the previous build was rendered.
    pub partial: Option<Partial>,
}

/// A build that rendered only what changed: how much.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partial {
    /// Products and certificates rendered again.
    pub products: usize,
    pub certificates: usize,
    /// Files rendered (written, or linked when their bytes were the same; a file that
    /// could not be linked unread, and was copied, counts here too).
    pub files: u64,
    /// Files linked from the previous output without being rendered.
    pub carried: u64,
}

/// How a build may use the output it replaces.
#[derive(Debug, Clone, Default)]
pub struct Reuse {
    /// The sources and settings ([`crate::fingerprint`]), saved for the next build.
    pub sources: Option<crate::fingerprint::Sources>,
    /// Write every file, linking none from the previous output (`build --clean`).
    pub clean: bool,
}

/// An output that is already what a build would make: the build that wrote it read the
/// same sources with the same settings (`sources`, [`crate::fingerprint`]), and none of
/// its files has changed since (size and time as its manifest says).
#[derive(Debug)]
pub struct UpToDate {
    pub output: PathBuf,
    /// What that build reported.
    pub summary: output::manifest::Summary,
}

/// [`UpToDate`] when the output of the site at `root` (`output`, else the configured
/// folder) is up to date, checked under the output's lock.
pub fn up_to_date(root: &Path, output: Option<&Path>, sources: &str) -> Option<UpToDate> {
    let text = std::fs::read_to_string(root.join(crate::config::FILE)).ok()?;
    let config = crate::config::parse(&text).ok()?;
    let target = output.map_or_else(|| root.join(&config.output), Path::to_path_buf);
    let _lock = output::claim(root, &target, || waiting(&target)).ok()?;
    // What killed runs left beside the output is cleared as by any build.
    output::park_abandoned(&target);
    let _sweep = output::sweep_trash(&target);
    // Read line by line: the manifest of a 100,000-product output lists 1.5 million files.
    let previous = output::manifest::previous(&target)?;
    // A command plugin may answer otherwise today than it did.
    if previous.sources != sources || !previous.summary.pure {
        return None;
    }
    previous.damaged.is_empty().then_some(UpToDate {
        output: target,
        summary: previous.summary,
    })
}

impl Pipeline {
    /// **load**: site.toml, plugins and content (with `overrides` from the command line).
    pub fn load(root: &Path, overrides: &Overrides) -> Pipeline {
        Self::loaded(root, site::load(root, overrides))
    }

    /// **load** for `serve`: reads again only the records that changed since the load
    /// that filled `cache`.
    pub fn load_again(
        root: &Path,
        overrides: &Overrides,
        cache: &mut crate::content::Cache,
    ) -> Pipeline {
        Self::loaded(root, site::load_cached(root, overrides, Some(cache)))
    }

    /// [`Pipeline::load_again`] after an edit to records only, keeping the rest of
    /// `site` ([`site::reload_records`]).
    pub fn reload_records(
        site: Site,
        overrides: &Overrides,
        kept: &[Diagnostic],
        cache: &mut crate::content::Cache,
    ) -> Pipeline {
        let root = site.root.clone();
        Self::loaded(&root, site::reload_records(site, overrides, kept, cache))
    }

    /// A pipeline whose site was loaded and checked elsewhere ([`crate::batch`]), with
    /// what was found.
    pub fn from_parts(root: &Path, site: Option<Site>, diagnostics: Diagnostics) -> Pipeline {
        Self::loaded(root, (site, diagnostics))
    }

    fn loaded(root: &Path, (site, diagnostics): (Option<Site>, Diagnostics)) -> Pipeline {
        Pipeline {
            root: root.to_path_buf(),
            site,
            assessed: None,
            ledger: Ledger::default(),
            index: ledger::Index::default(),
            review: Review::default(),
            diagnostics,
        }
    }

    /// Configuration problems (site.toml, plugins, theme) stop the pipeline after load.
    fn configured(&self) -> Option<&Site> {
        self.site
            .as_ref()
            .filter(|_| self.diagnostics.exit_code(false) != 2)
    }

    /// **assess**: every product against every plugin; open requirements are gaps.
    pub fn assess(&mut self) -> &mut Self {
        self.assess_again(None)
    }

    /// [`Pipeline::assess`], keeping what `earlier` found for the products that did not
    /// change (`serve`).
    pub fn assess_again(&mut self, earlier: Option<crate::assess::Earlier>) -> &mut Self {
        if let Some(site) = self.configured() {
            let assessed = crate::assess::assess_again(site, earlier);
            let gaps = crate::assess::gap_diagnostics(site, &assessed);
            self.diagnostics
                .extend(assessed.diagnostics.iter().cloned());
            self.diagnostics.extend(gaps);
            self.diagnostics.sort();
            self.assessed = Some(assessed);
        }
        self
    }

    /// **review**: reads certificates.lock and where each certificate stands against it.
    pub fn review(&mut self, purpose: Purpose) -> &mut Self {
        self.review_again(purpose, None)
    }

    /// [`Pipeline::review`], keeping what `earlier` (a review of the products given, whose
    /// assessments were kept, against the ledger given, read from certificates.lock as it
    /// still is) found for the products that did not change (`serve`).
    pub fn review_again(
        &mut self,
        purpose: Purpose,
        earlier: Option<(Review, &[std::sync::Arc<crate::content::Product>], Ledger)>,
    ) -> &mut Self {
        let (Some(site), Some(assessed)) = (&self.site, &self.assessed) else {
            return self;
        };
        let (earlier, known) = match earlier {
            Some((review, products, ledger)) => (Some((review, products)), Some(ledger)),
            None => (None, None),
        };
        let has = |id: &str| site.content.product(id).is_some();
        // `check` renders nothing: it needs no version's content, only the index, read
        // line by line without holding the file or the versions.
        let read = match (purpose, known) {
            (Purpose::Check, None) => ledger::Index::load(&site.root, &has),
            (_, known) => known.map_or_else(|| Ledger::load(&site.root), Ok).map(|l| {
                self.index = ledger::Index::of(&l, &has);
                self.ledger = l;
                std::mem::take(&mut self.index)
            }),
        };
        match read {
            Ok(index) => {
                self.index = index;
                // Every version the configured output publishes must still be in the
                // ledger: `issue` must not issue a removed version again, and `check`
                // says why `build` will fail.
                if matches!(purpose, Purpose::Check | Purpose::Issue)
                    && let Err(d) = ledger::check_published(
                        &self.index,
                        &site.root,
                        &site.root.join(&site.config.output),
                    )
                {
                    self.diagnostics.push(d);
                }
            }
            Err(d) => self.diagnostics.push(d),
        }
        let keep = match purpose {
            Purpose::Check => ledger::Keep::NotCurrent,
            _ => ledger::Keep::All,
        };
        self.review = ledger::review_again(
            site,
            assessed,
            &self.index,
            self.ledger.shared.clone(),
            keep,
            earlier,
        );
        match purpose {
            Purpose::Issue => {}
            Purpose::Check => {
                self.diagnostics
                    .extend(ledger::diagnostics(site, &self.review, false));
                // A product that names a broken party is dropped without an error of
                // its own: any record error means a missing product may not be removed.
                let records_have_errors = self
                    .diagnostics
                    .iter()
                    .any(|d| d.is_error() && crate::content::is_record(&d.file));
                self.diagnostics
                    .extend(ledger::removed_products(&self.index, records_have_errors));
            }
            Purpose::Publish { locked } => {
                self.diagnostics
                    .extend(ledger::diagnostics(site, &self.review, locked))
            }
        }
        self.diagnostics.sort();
        self
    }

    /// **remind** (`check`): a `retest-due` warning for every report that backs a
    /// certificate today and lapses within `[reminders] days` of `as_of`. Only `check`
    /// asks: a build is not refused over a report that still counts.
    pub fn remind(&mut self) -> &mut Self {
        let (Some(site), Some(assessed)) = (self.configured(), &self.assessed) else {
            return self;
        };
        let due = crate::due::due(site, assessed, Some(site.config.reminder_days));
        self.diagnostics.extend(crate::due::warnings(site, &due));
        self.diagnostics.sort();
        self
    }

    /// The reports [`Pipeline::remind`] warns of (`window`: `[reminders] days`; `None`:
    /// every future lapse).
    pub fn due(&self, window: Option<u32>) -> Vec<crate::due::Due> {
        match (&self.site, &self.assessed) {
            (Some(site), Some(assessed)) => crate::due::due(site, assessed, window),
            _ => Vec::new(),
        }
    }

    /// `build` and `labels`: a warning (an error when `strict`) when `base_url` is a
    /// placeholder (`example.com`, `.example`, `.test`, `localhost`, ...), so no label is
    /// printed with a QR code that leads nowhere by accident. `serve` serves at its own
    /// address and does not ask.
    pub fn placeholder_base_url(&mut self, strict: bool) -> &mut Self {
        let Some(site) = self.configured() else {
            return self;
        };
        let url = &site.config.base_url;
        let Some(why) = crate::config::placeholder(url) else {
            return self;
        };
        let (file, (line, column), name) = match site.config.base_url_at {
            Some(at) => (crate::config::FILE, at, "base_url"),
            None => ("--base-url", (0, 0), "the base URL"),
        };
        let message = format!(
            "{name} `{url}` is a placeholder ({why}): the site's links and the QR codes on its labels would point at it"
        );
        let d = if strict {
            Diagnostic::error("placeholder-base-url", file, message)
        } else {
            Diagnostic::warning("placeholder-base-url", file, message)
        };
        self.diagnostics.push(d.at(line, column).with_help(
            "set base_url in site.toml (or pass --base-url) to the address the site will be published at",
        ));
        self.diagnostics.sort();
        self
    }

    /// `build`: a warning when the output this build replaces publishes certificate PDFs
    /// and this one will not (`[build] certificate_pdfs`, off by default since certpress
    /// stopped publishing them unasked): their URLs would answer 404 without a word. Only
    /// the first few certificates' folders are looked at, so a build of any size pays a
    /// few `stat`s; once an output without PDFs is in place the warning is not repeated.
    pub fn dropped_pdfs(&mut self, output: Option<&Path>) -> &mut Self {
        let Some(site) = self.configured() else {
            return self;
        };
        if site.config.certificate_pdfs {
            return self;
        }
        let Ok(folders) = std::fs::read_dir(site.output(output).join("certificates")) else {
            return self;
        };
        let published = folders
            .flatten()
            .take(16)
            .find(|f| f.path().join(crate::url::CERTIFICATE_PDF).is_file());
        if let Some(folder) = published {
            let example = format!(
                "certificates/{}/{}",
                folder.file_name().to_string_lossy(),
                crate::url::CERTIFICATE_PDF
            );
            self.diagnostics.push(
                Diagnostic::warning(
                    "certificate-pdfs-off",
                    crate::config::FILE,
                    format!(
                        "the output this build replaces publishes certificate PDFs ({example}, ...) and this build will not: `[build] certificate_pdfs` is off"
                    ),
                )
                .with_help(
                    "set `certificate_pdfs = true` under [build] in site.toml to keep publishing them; left off, links to them answer 404 once this build is in place (`certpress export marketplace` still makes them)",
                ),
            );
            self.diagnostics.sort();
        }
        self
    }

    /// `serve`: the ready certificates never issued get pages marked "not issued —
    /// preview" (a build publishes nothing for them).
    pub fn preview(&mut self) -> &mut Self {
        if let Some(site) = &self.site {
            self.review.preview(site.as_of);
        }
        self
    }

    /// The answer to "which version of this certificate is in force", for every stage
    /// after review.
    pub fn register(&self) -> Register<'_> {
        Register::new(&self.ledger, &self.review)
    }

    /// Loads the site's theme (the render step needs it; `check` reports its problems).
    pub fn theme(&mut self) -> Option<Theme> {
        let site = self.site.as_ref()?;
        let loaded = crate::theme::load(&site.root, &site.config.theme);
        let theme = match loaded {
            Ok(mut t) => {
                self.diagnostics.extend(std::mem::take(&mut t.warnings));
                Some(t)
            }
            Err(ds) => {
                self.diagnostics.extend(ds);
                None
            }
        };
        self.diagnostics.sort();
        theme
    }

    /// **issue**: records every ready certificate whose content changed as a new version
    /// dated `as_of`, and saves the ledger. Call after [`Pipeline::review`] with
    /// [`Purpose::Issue`], and only when there is no error.
    pub fn issue(&mut self) -> std::io::Result<Vec<Issued>> {
        let Some(site) = &self.site else {
            return Ok(Vec::new());
        };
        let issued = self.ledger.issue(&self.review.ready, site.as_of);
        self.ledger.save(&site.root)?;
        Ok(issued)
    }

    /// The site and its assessment, when the pipeline got that far with no error (or,
    /// under `strict`, no diagnostic at all): what render and print need.
    pub fn publishable(&self, strict: bool) -> Option<(&Site, &Assessed)> {
        if self.diagnostics.has_errors() || (strict && !self.diagnostics.is_empty()) {
            return None;
        }
        Some((self.site.as_ref()?, self.assessed.as_ref()?))
    }

    /// **render**: pages, JSON twins, the lookup index and the site's files into `sink`;
    /// with `only`, what changed (`serve`, which keeps a `memo` from one render to the
    /// next).
    pub fn render(
        &self,
        theme: &mut Theme,
        sink: &dyn Sink,
        only: Option<&Only>,
        memo: Option<&mut crate::render::Memo>,
    ) -> Result<Rendered, Vec<Diagnostic>> {
        let (site, assessed) = self.publishable(false).ok_or_else(Vec::new)?;
        crate::render::render(site, assessed, &self.register(), theme, sink, only, memo)
    }

    /// **print**: every label in the configured formats, and the configured sheet, into
    /// `sink` (with `only`, the labels of the products it names). Returns the number of
    /// labels.
    pub fn print(&self, sink: &dyn Sink, only: Option<&Only>) -> Result<usize, Vec<Diagnostic>> {
        let (site, assessed) = self.publishable(false).ok_or_else(Vec::new)?;
        let products = only.map(|o| &o.products);
        crate::label::print::for_build(site, assessed, &self.register(), sink, products)
    }

    /// render and print into `sink`: the whole published site, or with `only` what
    /// changed (and the `memo` of the previous render).
    pub fn publish(
        &self,
        theme: &mut Theme,
        sink: &dyn Sink,
        only: Option<&Only>,
        memo: Option<&mut crate::render::Memo>,
    ) -> Result<Rendered, Vec<Diagnostic>> {
        if only.is_none() {
            // One after the other, so each shows its own progress bar.
            let mut rendered = self.render(theme, sink, None, memo)?;
            rendered.labels = self.print(sink, None)?;
            return Ok(rendered);
        }
        // After an edit both are small: side by side, the edit shows sooner.
        let (rendered, labels) = rayon::join(
            || self.render(theme, sink, only, memo),
            || self.print(sink, only),
        );
        let mut rendered = rendered?;
        rendered.labels = labels?;
        Ok(rendered)
    }

    /// **write** (`build`): renders and prints into a staging folder beside `output`
    /// (default: the configured output folder) and swaps it in. Fails, leaving the
    /// previous output as it was, when there is an error (any diagnostic under
    /// `strict`) before or during the run; its problems are in the diagnostics.
    pub fn build(&mut self, output: Option<PathBuf>, strict: bool, reuse: &Reuse) -> Option<Built> {
        let site = self.site.as_ref()?;
        let target = site.output(output.as_deref());
        self.publishable(strict)?;
        match self.write(&target, strict, reuse) {
            Ok(built) => Some(built),
            Err(ds) => {
                self.diagnostics.extend(ds);
                self.diagnostics.sort();
                None
            }
        }
    }

    /// Renders into a staging folder for `target` and swaps it in.
    fn write(
        &mut self,
        target: &Path,
        strict: bool,
        reuse: &Reuse,
    ) -> Result<Built, Vec<Diagnostic>> {
        let root = self.root.clone();
        let _claim = claim(&root, target)?;
        let mut theme = self.theme().ok_or_else(Vec::new)?;
        if strict && !self.diagnostics.is_empty() {
            return Err(Vec::new());
        }
        let failed = |e: std::io::Error| vec![write_error(target, "the output", &e)];
        let previous = match reuse.clean {
            true => None,
            false => output::Manifest::read(target),
        };
        let inputs = reuse.sources.as_ref().and_then(|s| self.inputs(s));
        let plan = match (&previous, &inputs) {
            (Some(m), Some(now)) => self
                .site
                .as_ref()
                .and_then(|site| crate::render::keys::plan(m, target, now, site, sheet(site))),
            _ => None,
        };
        // The previous output's files that are as it wrote them, to link where the new
        // bytes are the same (with a plan, those it renders again).
        let (plan, reuse_files) = match (plan, previous) {
            (Some(mut plan), _) => {
                let files = std::mem::take(&mut plan.reuse);
                (Some(plan), files)
            }
            (None, Some(m)) => (None, m.intact(target).0),
            (None, None) => Default::default(),
        };
        let staging = Staging::reusing(target, reuse_files.into()).map_err(failed)?;
        let only = plan.as_ref().map(|p| &p.only);
        // Linking is waiting on the disk, rendering is work: side by side. They touch
        // other files (what is rendered is not linked).
        let this = &*self;
        let (carried, rendered) = rayon::join(
            || plan.as_ref().map_or(Ok(()), |p| staging.carry(&p.carry)),
            || this.publish(&mut theme, &staging, only, None),
        );
        carried.map_err(failed)?;
        let rendered = rendered?;
        // What this output publishes, and no swap for a ledger that lost versions the
        // output it replaces publishes (SPEC §7: versions are never removed).
        staging
            .write(ledger::MANIFEST, ledger::manifest(&self.ledger).as_bytes())
            .map_err(failed)?;
        ledger::check_published(&self.index, &root, target).map_err(|d| vec![d])?;
        let site = self.site.as_ref().ok_or_else(Vec::new)?;
        // What the next build with nothing changed replays.
        let lasting = self.diagnostics.about_the_inputs();
        let summary = output::manifest::Summary {
            pages: rendered.all_pages,
            data_files: rendered.all_data_files,
            // A partial render prints the labels of the products it names.
            labels: match only {
                Some(_) => crate::label::jobs(site, None, None).len(),
                None => rendered.labels,
            },
            files_copied: rendered.files_copied,
            warnings: lasting.warnings(),
            report: crate::report::render_plain(&root, &lasting),
            pure: pure(site),
        };
        let count = |n: &std::sync::atomic::AtomicU64| n.load(std::sync::atomic::Ordering::Relaxed);
        let (written, linked, carried) = (
            count(&staging.written),
            count(&staging.linked),
            count(&staging.carried),
        );
        // Without a fingerprint the next build still links from this output, but runs.
        let sources = reuse
            .sources
            .as_ref()
            .map(|s| s.whole())
            .unwrap_or_default();
        let inputs = inputs.map(|mut i| {
            i.lists = rendered.drawn_from_records();
            i
        });
        staging
            .commit_recorded((sources, summary.clone(), inputs))
            .map_err(failed)?;
        let partial = plan.map(|p| Partial {
            products: p.only.products.len(),
            certificates: p.only.certificates.len(),
            files: written + linked,
            carried,
        });
        Ok(Built {
            output: target.to_path_buf(),
            rendered,
            summary,
            written,
            kept: linked + carried,
            partial,
        })
    }

    /// The keys of this build's products and certificates ([`crate::render::keys`]),
    /// with the fingerprint of every source but the records and the ledger; `None` when
    /// a plugin may answer otherwise for the same record (a command plugin): then every
    /// build renders everything.
    fn inputs(&self, sources: &crate::fingerprint::Sources) -> Option<output::manifest::Inputs> {
        let (site, assessed) = self.publishable(false)?;
        if !pure(site) {
            return None;
        }
        let records: std::collections::HashSet<&str> = site
            .content
            .products
            .iter()
            .map(|p| p.file.as_str())
            .chain(site.content.parties.values().map(|p| p.file.as_str()))
            .chain([ledger::FILE])
            .collect();
        Some(crate::render::keys::of(
            site,
            assessed,
            &self.register(),
            sources.except(&records),
        ))
    }

    /// **print** for `certpress labels`: what `request` asks for, written as `build`
    /// writes (into a folder certpress may replace, staged beside it) with only
    /// `<target>/labels/` swapped in. Returns a one-line summary.
    pub fn labels(
        &self,
        request: &crate::label::print::Request,
        target: &Path,
    ) -> Result<String, Vec<Diagnostic>> {
        let (site, assessed) = self.publishable(false).ok_or_else(Vec::new)?;
        let _claim = claim(&site.root, target)?;
        let failed = |e: std::io::Error| vec![write_error(target, "the labels", &e)];
        let staging = Staging::subtree(target, "labels").map_err(failed)?;
        let summary =
            crate::label::print::run(site, assessed, &self.register(), request, &staging)?;
        staging.commit().map_err(failed)?;
        Ok(summary)
    }
}

/// Takes `target` for this run (waiting, and saying so, while another run writes it),
/// and deletes what earlier runs left beside it while this one works: only once the
/// target is known to be ours, so nothing beside a refused folder is touched. Both
/// last as long as the returned pair.
pub(crate) fn claim(
    root: &Path,
    target: &Path,
) -> Result<(output::TargetLock, std::thread::JoinHandle<()>), Vec<Diagnostic>> {
    let lock = output::claim(root, target, || waiting(target)).map_err(|d| vec![d])?;
    Ok((lock, output::sweep_trash(target)))
}

/// The build prints the label sheet, which holds every label: then every label is
/// printed, whatever changed (what does not read counts as printed).
pub(crate) fn sheet(site: &Site) -> bool {
    crate::label::Options::from_config(site).map_or(true, |o| {
        o.formats.contains(&crate::config::LabelFormat::Pdf)
    })
}

/// Every plugin is a rule pack: the same records get the same answers.
pub(crate) fn pure(site: &Site) -> bool {
    site.plugins
        .iter()
        .all(|p| matches!(p.engine, crate::plugins::Engine::Rules(_)))
}

fn waiting(target: &Path) {
    eprintln!(
        "Waiting for another certpress run writing {} to finish…",
        target.display()
    )
}

pub(crate) fn write_error(target: &Path, what: &str, e: &std::io::Error) -> Diagnostic {
    Diagnostic::error(
        "write-failed",
        target.display().to_string(),
        format!("cannot write {what}: {e}"),
    )
    .config()
}
