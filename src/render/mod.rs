//! The render stage: pages from the theme's templates, rendered in parallel and written
//! straight into the output (a staging folder, or memory for `serve`).

pub mod api;
pub mod batched;
pub mod certificate;
mod certificate_pdf;
pub mod keys;
pub mod lot;
pub mod names;
pub mod search;
pub mod sitemap;
pub mod view;

use crate::content::{GuidancePage, Product};
use crate::diagnostic::Diagnostic;
use crate::output::Sink;
use crate::progress::Progress;
use crate::site::Site;
use crate::theme::Theme;
use crate::url::{self, SitePath};
use rayon::prelude::*;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tera::Context;
use view::{GuidanceView, NavView, PageView, ProductSummary, ProductView, SiteView};

/// Products per page of the home page's list: a page stays small (about 40 KB) however
/// large the catalogue, and every product is a few links from the home page.
pub const HOME_PAGE: usize = 100;

/// One page to render.
enum Job<'a> {
    /// A page of the product list (`page` from 1, the home page; of `pages`), showing
    /// `products`.
    Home {
        page: usize,
        pages: usize,
        products: &'a [ProductSummary],
        total: usize,
    },
    Product(&'a Product),
    Lot(&'a Product, &'a crate::content::Lot),
    GuidanceIndex,
    Guidance(&'a GuidancePage),
    NotFound,
    /// A certificate's page (`version: None`: its latest issued version, or in `serve`
    /// the preview of one never issued) or one issued version.
    Certificate {
        number: &'a str,
        version: Option<&'a crate::ledger::Version>,
    },
}

impl<'a> Job<'a> {
    /// Where the page is published.
    fn path(&self) -> SitePath {
        match self {
            Job::Home { page, .. } => url::home_page(*page),
            Job::Product(p) => url::product(&p.id),
            Job::Lot(p, l) => url::lot(&p.id, &l.lot),
            Job::GuidanceIndex => url::guidance_index(),
            Job::Guidance(g) => url::guidance(&g.path),
            Job::NotFound => url::not_found(),
            Job::Certificate {
                number,
                version: None,
            } => url::certificate(number),
            Job::Certificate {
                number,
                version: Some(v),
            } => url::certificate_version(number, v.version),
        }
    }

    /// The certificate number and the issued version a version page shows.
    fn issued_version(&self) -> Option<(&'a str, &'a crate::ledger::Version)> {
        match self {
            Job::Certificate {
                number,
                version: Some(v),
            } => Some((number, v)),
            _ => None,
        }
    }

    /// Appends what tells this page from every other (its kind and the values its path
    /// is made of) without building the path: cheaper than [`Job::path`], for keys.
    fn identity(&self, out: &mut String) {
        match self {
            Job::Home { page, .. } => {
                out.push('h');
                out.push_str(&page.to_string());
            }
            Job::Product(p) => {
                out.push('p');
                out.push_str(&p.id);
            }
            Job::Lot(p, l) => {
                out.push('l');
                out.push_str(&p.id);
                out.push('\0');
                out.push_str(&l.lot);
            }
            Job::GuidanceIndex => out.push('g'),
            Job::Guidance(g) => {
                out.push('G');
                out.push_str(&g.path);
            }
            Job::NotFound => out.push('n'),
            Job::Certificate { number, version } => {
                out.push('c');
                out.push_str(number);
                if let Some(v) = version {
                    out.push('\0');
                    out.push_str(&v.version.to_string());
                }
            }
        }
    }
}

/// What the certificate pages are rendered from.
struct Issuance<'a> {
    register: crate::register::Register<'a>,
    /// The products that exist, for certificate pages to link back to (looked up once
    /// per certificate page, so a set, not a scan; a render in batches lends the whole
    /// site's to every batch).
    product_ids: &'a std::collections::HashSet<&'a str>,
}

#[derive(Debug, Default, Clone)]
pub struct Rendered {
    pub pages: usize,
    /// JSON twins, index shards, linksets, sitemap and the like.
    pub data_files: usize,
    /// Labels printed (each in every configured format).
    pub labels: usize,
    pub files_copied: usize,
    pub bytes: u64,
    /// The data files drawn from every product (lookup index, sitemap, redirects, ...):
    /// a partial render writes them all again, and forgets those it no longer makes.
    pub shared: Vec<String>,
    /// The pages of the home list (each shows many products).
    pub lists: Vec<String>,
    /// The pages and data files of the whole site, those a partial render kept included.
    pub all_pages: usize,
    pub all_data_files: usize,
}

impl Rendered {
    /// The files no one product or certificate owns that this build drew from the
    /// records (the lists, and the ledger's manifest and the output's marker): the next
    /// build makes them again and links none of them unread.
    pub fn drawn_from_records(&self) -> Vec<String> {
        self.shared
            .iter()
            .chain(&self.lists)
            .cloned()
            .chain([
                crate::ledger::MANIFEST.to_string(),
                crate::output::MARKER.to_string(),
            ])
            .collect()
    }
}

/// What a partial render (`serve`, after an edit) makes again: the pages, twins and
/// linksets of these products, the pages of these certificates, and what is drawn from
/// every product (home page, lookup index, sitemap). The rest of the output stays.
#[derive(Debug, Default)]
pub struct Only {
    pub products: std::collections::HashSet<String>,
    pub certificates: std::collections::HashSet<String>,
}

impl Only {
    fn keeps(&self, job: &Job) -> bool {
        match job {
            Job::Home { .. } => true,
            Job::Product(p) | Job::Lot(p, _) => self.products.contains(&p.id),
            Job::Certificate { number, .. } => self.certificates.contains(*number),
            Job::GuidanceIndex | Job::Guidance(_) | Job::NotFound => false,
        }
    }
}

/// What a render made from every product, kept by `serve` between renders: a partial
/// render makes again only the parts of the lookup index, API index, sitemap and home
/// list that show a product it names. A full render fills it; after a failed render it
/// must be dropped.
#[derive(Default)]
pub struct Memo {
    search: search::Memo,
    index: api::IndexMemo,
    sitemap: sitemap::Memo,
    /// The ids each page of the home list showed.
    home: Vec<Vec<String>>,
}

/// Renders the site's pages and data files into `sink`, and copies its static files;
/// with `only`, what it names and what every product feeds (what of that did not
/// change is taken from `memo`, which must be the one the previous render filled).
pub fn render(
    site: &Site,
    assessed: &crate::assess::Assessed,
    register: &crate::register::Register,
    theme: &mut Theme,
    sink: &dyn Sink,
    only: Option<&Only>,
    memo: Option<&mut Memo>,
) -> Result<Rendered, Vec<Diagnostic>> {
    let mut own = Memo::default();
    let memo = memo.unwrap_or(&mut own);
    let base = site.config.base_path();
    set_globals(site, theme);
    let tera = &theme.tera;

    // People scan a list by name; the id breaks ties so the order is total.
    let listing = home_listing(
        site.content
            .products
            .par_iter()
            .map(|p| ProductSummary::new(p, base))
            .collect(),
    );
    let pages = listing.len().div_ceil(HOME_PAGE).max(1);
    let mut jobs = home_jobs(&listing);
    // A list page shows the same products as before, none of them changed: it stays.
    let changed = only.map(|o| &o.products);
    let home_kept: Vec<bool> = jobs
        .iter()
        .map(|j| match (j, changed) {
            (Job::Home { page, products, .. }, Some(c)) => {
                memo.home.get(page - 1).is_some_and(|ids| {
                    ids.len() == products.len()
                        && ids.iter().zip(products.iter()).all(|(id, p)| *id == p.id)
                }) && !products.iter().any(|p| c.contains(&p.id))
            }
            _ => false,
        })
        .collect();
    memo.home = jobs
        .iter()
        .map(|j| match j {
            Job::Home { products, .. } => products.iter().map(|p| p.id.clone()).collect(),
            _ => Vec::new(),
        })
        .collect();
    jobs.extend(site_jobs(site));
    jobs.extend(record_jobs(&site.content.products, register));
    let product_ids: std::collections::HashSet<&str> = site
        .content
        .products
        .iter()
        .map(|p| p.id.as_str())
        .collect();
    let issuance = Issuance {
        register: *register,
        product_ids: &product_ids,
    };

    let all_jobs = jobs;
    let jobs: Vec<&Job> = match only {
        Some(o) => all_jobs
            .iter()
            .filter(|j| match j {
                Job::Home { page, .. } => !home_kept[page - 1],
                _ => o.keeps(j),
            })
            .collect(),
        None => all_jobs.iter().collect(),
    };
    // Certificate PDFs are set in the theme's fonts, read once if any is due.
    let fonts = if pdfs_due(site, &jobs, &issuance.register) {
        Some(theme.fonts().map_err(|d| vec![d])?)
    } else {
        None
    };
    let progress = Progress::new(jobs.len(), "Rendering", "pages");
    let bytes = AtomicU64::new(0);
    let theme_dir = crate::source::relative(&site.root, &theme.dir);
    let maker = Pages {
        site,
        assessed,
        issuance: &issuance,
        tera,
        theme_dir: &theme_dir,
        fonts: fonts.as_deref(),
        sink,
        bytes: &bytes,
        progress: Some(&progress),
    };
    // The data files drawn from every product are made while the pages render: after an
    // edit (`serve`) the lookup index and the home page are most of the work.
    let render_pages = || -> Vec<Result<Vec<String>, Vec<Diagnostic>>> {
        jobs.par_iter().map(|&job| maker.render(job)).collect()
    };
    let (results, (owned, shared)) = rayon::join(render_pages, || {
        data_files(site, assessed, &issuance, &all_jobs, only, memo, sink)
    });
    progress.finish();
    let mut errors: Vec<Diagnostic> = Vec::new();
    let mut generated: std::collections::HashSet<String> = std::collections::HashSet::new();
    for r in results {
        match r {
            Ok(paths) => generated.extend(paths),
            Err(ds) => errors.extend(ds),
        }
    }
    sort_errors(&mut errors);
    let owned = match owned {
        Ok(owned) => owned,
        Err(e) => {
            errors.push(e);
            Vec::new()
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }

    let data_bytes = shared
        .par_iter()
        .map(|(path, body)| {
            sink.write_shared(path, body)
                .map(|()| body.len() as u64)
                .map_err(|e| write_failed(path, e))
        })
        .chain(owned.par_iter().map(|(_, n)| Ok(*n)))
        .collect::<Result<Vec<u64>, Diagnostic>>()
        .map_err(|e| vec![e])?;

    // Static files do not change with records: a partial render copies none, but checks
    // that none collides with a page it made (a product added since may be one).
    generated.extend(owned.iter().map(|(path, _)| path.clone()));
    generated.extend(shared.iter().map(|(path, _)| path.clone()));
    let copied = copy_files(site, theme, sink, generated, only.is_none())?;
    let all_data_files = owned_data_files(&site.content.products) + shared.len();
    Ok(Rendered {
        pages: jobs.len(),
        data_files: owned.len() + shared.len(),
        labels: 0,
        files_copied: copied,
        bytes: bytes.into_inner() + data_bytes.iter().sum::<u64>(),
        shared: shared.into_iter().map(|(path, _)| path).collect(),
        lists: (1..=pages).map(|n| url::home_page(n).file()).collect(),
        all_pages: all_jobs.len(),
        all_data_files,
    })
}

/// The theme's globals: the site and its navigation, the same on every page.
fn set_globals(site: &Site, theme: &mut Theme) {
    let globals = theme.tera.global_context();
    globals.insert("site", &SiteView::new(site));
    globals.insert(
        "nav",
        &NavView {
            home_url: url::home().under(site.config.base_path()),
            guidance_url: url::guidance_index().under(site.config.base_path()),
        },
    );
}

/// The home list's rows in order: people scan a list by name; the id breaks ties so the
/// order is total.
fn home_listing(mut rows: Vec<ProductSummary>) -> Vec<ProductSummary> {
    rows.par_sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    rows
}

/// A page job for each page of the home list ([`HOME_PAGE`] rows each; one page when
/// there are none).
fn home_jobs(listing: &[ProductSummary]) -> Vec<Job<'_>> {
    let pages = listing.len().div_ceil(HOME_PAGE).max(1);
    (0..pages)
        .map(|i| Job::Home {
            page: i + 1,
            pages,
            products: &listing
                [(i * HOME_PAGE).min(listing.len())..((i + 1) * HOME_PAGE).min(listing.len())],
            total: listing.len(),
        })
        .collect()
}

/// The pages no record feeds: the guidance and the 404 page.
/// The data files `products` own: every product's twin, and its linkset when it has a
/// GTIN (rendered or, in a partial build, kept).
fn owned_data_files(products: &[Arc<Product>]) -> usize {
    products
        .iter()
        .map(|p| 1 + usize::from(p.gtin.is_some()))
        .sum()
}

fn site_jobs(site: &Site) -> Vec<Job<'_>> {
    let mut jobs = vec![Job::GuidanceIndex, Job::NotFound];
    jobs.extend(site.content.guidance.iter().map(Job::Guidance));
    jobs
}

/// The pages of `products` (each product and lot) and of the certificates `register`
/// holds: every certificate in its ledger, every version of it (kept forever), and the
/// previews.
fn record_jobs<'a>(
    products: &'a [Arc<Product>],
    register: &crate::register::Register<'a>,
) -> Vec<Job<'a>> {
    let mut jobs: Vec<Job> = products.iter().map(|p| Job::Product(p)).collect();
    jobs.extend(
        products
            .iter()
            .flat_map(|p| p.lots.iter().map(move |l| Job::Lot(p, l))),
    );
    for (number, versions) in &register.ledger().certificates {
        jobs.push(Job::Certificate {
            number,
            version: None,
        });
        jobs.extend(versions.iter().map(|v| Job::Certificate {
            number,
            version: Some(v),
        }));
    }
    jobs.extend(register.previews().map(|v| Job::Certificate {
        number: &v.number,
        version: None,
    }));
    jobs
}

/// Renders page jobs and writes their files (the page, its Digital Link path, its PDF):
/// the same for a whole render and for one batch of a render in batches.
struct Pages<'a> {
    site: &'a Site,
    assessed: &'a crate::assess::Assessed,
    issuance: &'a Issuance<'a>,
    tera: &'a tera::Tera,
    theme_dir: &'a str,
    fonts: Option<&'a crate::label::font::Fonts>,
    sink: &'a dyn Sink,
    bytes: &'a AtomicU64,
    /// Counts pages (a render in batches counts products instead).
    progress: Option<&'a Progress>,
}

impl Pages<'_> {
    /// Renders `job` and writes its files; returns their paths.
    fn render(&self, job: &Job) -> Result<Vec<String>, Vec<Diagnostic>> {
        let (site, sink, bytes) = (self.site, self.sink, self.bytes);
        let (html, paths) = match version_stub(site, self.issuance, job) {
            Some(stub) => (stub, vec![job.path().file()]),
            None => {
                let (template, paths, context) = page(site, self.assessed, self.issuance, job);
                let html = self.tera.render(template, &context).map_err(|e| {
                    let templates = format!("{}/templates", self.theme_dir);
                    let file = format!("{templates}/{template}");
                    crate::theme::template_error(&templates, &file, &e)
                })?;
                (crate::html::compact(&html), paths)
            }
        };
        for path in &paths {
            write(sink, path, html.as_bytes()).map_err(|d| vec![d])?;
            bytes.fetch_add(html.len() as u64, Ordering::Relaxed);
        }
        let mut paths = paths;
        if let Some((path, body)) = digital_link_page(site, job, &html) {
            write(sink, &path, body.as_bytes()).map_err(|d| vec![d])?;
            bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
            paths.push(path);
        }
        if let Some(fonts) = self.fonts
            && let Some(made) = certificate_pdf(site, self.assessed, self.issuance, job, fonts)
        {
            let (pdf_paths, pdf) = made.map_err(|d| vec![d])?;
            // One file at both places: `serve` keeps one copy in memory.
            let pdf: Arc<[u8]> = pdf.into();
            for path in pdf_paths {
                sink.write_shared(&path, &pdf)
                    .map_err(|e| vec![write_failed(&path, e)])?;
                bytes.fetch_add(pdf.len() as u64, Ordering::Relaxed);
                paths.push(path);
            }
        }
        if let Some(progress) = self.progress {
            progress.inc();
        }
        Ok(paths)
    }
}

/// Render errors in order, each once (many pages fail alike).
fn sort_errors(errors: &mut Vec<Diagnostic>) {
    errors.sort_by(|a, b| (&a.file, &a.message).cmp(&(&b.file, &b.message)));
    errors.dedup_by(|a, b| a.file == b.file && a.message == b.message);
}

fn write(sink: &dyn Sink, path: &str, body: &[u8]) -> Result<(), Diagnostic> {
    sink.write(path, body).map_err(|e| write_failed(path, e))
}

fn write_failed(path: &str, e: std::io::Error) -> Diagnostic {
    Diagnostic::error("write-failed", path, format!("cannot write output: {e}")).config()
}

/// The per-product data files written, by output path, with their sizes: each is written
/// as it is made (held until the end, a 100,000-product site's twins took gigabytes).
type Written = Result<Vec<(String, u64)>, Diagnostic>;

/// Files drawn from every product, by output path, shared with the memo that keeps them.
type SharedFiles = Vec<(String, Arc<[u8]>)>;

/// Everything that is not a page: JSON twins and the lookup index, the GS1 Digital Link
/// files, sitemap and robots.txt. Built in parallel where there is one per product.
/// Writes those that belong to one product (with `only`, to the products it names) into
/// `sink`, and returns those drawn from all.
fn data_files(
    site: &Site,
    assessed: &crate::assess::Assessed,
    issuance: &Issuance,
    jobs: &[Job],
    only: Option<&Only>,
    memo: &mut Memo,
    sink: &dyn Sink,
) -> (Written, SharedFiles) {
    let base_url = site.config.base_url.as_str();
    let base_path = site.config.base_path();
    let products = &site.content.products;
    let owned: Written = products
        .par_iter()
        .filter(|p| only.is_none_or(|o| o.products.contains(&p.id)))
        .map(|p| product_files(site, p, assessed, &issuance.register, sink))
        .collect::<Result<Vec<Vec<_>>, Diagnostic>>()
        .map(|v| v.into_iter().flatten().collect());
    let changed = only.map(|o| &o.products);
    let Memo {
        search: search_memo,
        index: index_memo,
        sitemap: sitemap_memo,
        ..
    } = memo;
    let listed = |j: &&Job| listed(&issuance.register, j);
    let urls = || -> Vec<String> {
        jobs.par_iter()
            .filter(listed)
            .map(|j| j.path().under(base_url))
            .collect()
    };
    let key = || {
        let mut key = String::with_capacity(jobs.len() * 32);
        key.push_str(base_url);
        for job in jobs.iter().filter(listed) {
            key.push('\n');
            job.identity(&mut key);
        }
        key
    };
    let (mut files, (search, sitemap)) = rayon::join(
        || api::index(site, assessed, &issuance.register, index_memo, changed),
        || {
            rayon::join(
                || search::files(site, assessed, &issuance.register, search_memo, changed),
                || sitemap::files(base_url, key(), urls, sitemap_memo),
            )
        },
    );
    files.extend(search);
    files.extend(site_files(
        site,
        crate::digital_link::redirects(
            base_path,
            products.iter().filter_map(|p| p.gtin),
            version_redirects(site, &issuance.register),
        ),
    ));
    files.extend(sitemap);
    (owned, files)
}

/// A product's JSON twin, and its linkset when it has a GTIN, written into `sink`: their
/// paths and sizes.
fn product_files(
    site: &Site,
    p: &Product,
    assessed: &crate::assess::Assessed,
    register: &crate::register::Register,
    sink: &dyn Sink,
) -> Result<Vec<(String, u64)>, Diagnostic> {
    let twin = api::product(site, p, assessed, register);
    let mut out = vec![(url::product_json(&p.id).file(), api::to_bytes(&twin))];
    if let Some(g) = p.gtin {
        let links = api::links(site, p, &twin);
        out.push((
            url::linkset(&g.as_gtin14()).file(),
            api::to_bytes(&crate::digital_link::linkset(
                site.config.base_url.as_str(),
                &links,
            )),
        ));
    }
    out.into_iter()
        .map(|(path, body)| {
            write(sink, &path, &body)?;
            Ok((path, body.len() as u64))
        })
        .collect()
}

/// The JSON schemas, the Digital Link resolver description and `_redirects` (`redirects`,
/// made from every product).
fn site_files(site: &Site, redirects: String) -> Vec<(String, Arc<[u8]>)> {
    let base_url = site.config.base_url.as_str();
    let mut files: Vec<(String, Arc<[u8]>)> = api::schemas(base_url)
        .into_iter()
        .map(|(path, bytes)| (path, bytes.into()))
        .collect();
    files.push((
        url::resolver().file(),
        api::to_bytes(&crate::digital_link::resolver(&site.config.title, base_url)).into(),
    ));
    files.push((url::redirects().file(), redirects.into_bytes().into()));
    files
}

/// The page at the GS1 Digital Link path of a product or lot page with a GTIN (SPEC §6):
/// its file and bytes, the page itself (`html`) or a stub that sends the browser on to it
/// (`[build] digital_link`). Neither is listed in the sitemap: both name the product or lot
/// page as canonical.
fn digital_link_page<'h>(
    site: &Site,
    job: &Job,
    html: &'h str,
) -> Option<(String, std::borrow::Cow<'h, str>)> {
    let (path, title, gtin14) = match job {
        Job::Product(p) => {
            let g = p.gtin?.as_gtin14();
            (url::digital_link(&g, None), p.name.clone(), g)
        }
        Job::Lot(p, l) => {
            let g = p.gtin?.as_gtin14();
            let title = format!("{} — lot {}", p.name, l.lot);
            (url::digital_link(&g, Some(&l.lot)), title, g)
        }
        _ => return None,
    };
    let body = match site.config.digital_link {
        // A copy with the same canonical link: a phone that scans a label lands on the
        // page without a hop, at the cost of every such page twice.
        crate::config::Alias::Copy => html.into(),
        crate::config::Alias::Stub => {
            let page = job.path();
            crate::html::stub(
                &site.config.language,
                &title,
                &page.under(site.config.base_url.as_str()),
                &page.under(site.config.base_path()),
                Some(&url::linkset(&gtin14).under(site.config.base_path())),
            )
            .into()
        }
    };
    Some((path.file(), body))
}

/// Pages listed in the sitemap: those that are their own canonical, not earlier
/// certificate versions, previews or the 404 page.
fn listed(register: &crate::register::Register, job: &Job) -> bool {
    match job {
        Job::Certificate {
            version: Some(_), ..
        }
        | Job::NotFound => false,
        Job::Certificate { number, .. } => register.entry(number).issued(),
        _ => true,
    }
}

/// The page a version page of a certificate's version in force is with `[build]
/// version_in_force = "stub"`: a stub that sends the browser on to the certificate's own
/// page, which shows that version (the version's own page is made when it is superseded).
fn version_stub(site: &Site, issuance: &Issuance, job: &Job) -> Option<String> {
    let (number, v) = job.issued_version()?;
    if site.config.version_in_force != crate::config::Alias::Stub
        || !issuance.register.entry(number).is_in_force(v.version)
    {
        return None;
    }
    let page = url::certificate(number);
    Some(crate::html::stub(
        &site.config.language,
        &format!("{} {number}, version {}", v.snapshot.title, v.version),
        &page.under(site.config.base_url.as_str()),
        &page.under(site.config.base_path()),
        None,
    ))
}

/// The PDF a certificate job writes (SPEC §13): a version page writes its version's PDF
/// beside it; the version in force's goes beside the certificate's own page, and beside
/// the version page too with `[build] version_in_force = "copy"` (made once: both name
/// the certificate's URL; with "stub" `_redirects` sends the version's PDF URL there).
/// The pages those PDFs sit beside, and the version; `None` for the certificate's own
/// page and for a preview.
fn pdf_pages<'a>(
    site: &Site,
    job: &Job<'a>,
    register: &crate::register::Register<'a>,
) -> Option<(Vec<url::SitePath>, &'a crate::ledger::Version)> {
    let (number, v) = job.issued_version()?;
    let pages = if !register.entry(number).is_in_force(v.version) {
        vec![url::certificate_version(number, v.version)]
    } else if site.config.version_in_force == crate::config::Alias::Copy {
        vec![
            url::certificate_version(number, v.version),
            url::certificate(number),
        ]
    } else {
        vec![url::certificate(number)]
    };
    Some((pages, v))
}

/// Whether any of `jobs` publishes a certificate PDF: the site publishes them (`[build]
/// certificate_pdfs`) and a job is an issued version's. Pages write PDFs only with the
/// theme's fonts, which are read when this holds.
fn pdfs_due(site: &Site, jobs: &[&Job], register: &crate::register::Register) -> bool {
    site.config.certificate_pdfs && jobs.iter().any(|j| pdf_pages(site, j, register).is_some())
}

/// `_redirects` rules (Netlify and Cloudflare Pages syntax) from the `/v<n>/` PDF URL of
/// each certificate's version in force to the certificate's PDF, where `[build]
/// version_in_force = "stub"` publishes it once (none when the site publishes no PDFs).
fn version_redirects(site: &Site, register: &crate::register::Register) -> Vec<String> {
    if site.config.version_in_force != crate::config::Alias::Stub || !site.config.certificate_pdfs {
        return Vec::new();
    }
    let base = site.config.base_path();
    register
        .ledger()
        .certificates
        .keys()
        .filter_map(|number| {
            let v = register.entry(number).in_force?;
            let from = url::certificate_pdf(&url::certificate_version(number, v.version));
            let to = url::certificate_pdf(&url::certificate(number));
            Some(format!("{} {} 302", from.under(base), to.under(base)))
        })
        .collect()
}

/// The PDF of certificate `number`'s issued `version`: the bytes a build publishes for
/// it (`/certificates/<number>/v<version>/certificate.pdf`, and beside the certificate's
/// own page when that version is in force), made by the same code, so a file handed to
/// others is the one the site shows. `None` when the ledger holds no such version.
pub fn certificate_version_pdf(
    site: &Site,
    assessed: &crate::assess::Assessed,
    register: &crate::register::Register,
    number: &str,
    version: u32,
    fonts: &crate::label::font::Fonts,
) -> Option<Result<Vec<u8>, Diagnostic>> {
    let shown = register
        .entry(number)
        .versions
        .iter()
        .find(|v| v.version == version)?;
    let product_ids = site
        .content
        .products
        .iter()
        .map(|p| p.id.as_str())
        .collect();
    let issuance = Issuance {
        register: *register,
        product_ids: &product_ids,
    };
    let job = Job::Certificate {
        number,
        version: Some(shown),
    };
    certificate_pdf(site, assessed, &issuance, &job, fonts).map(|made| made.map(|(_, pdf)| pdf))
}

/// A PDF to write: its output paths (one file, at each) and bytes.
type PdfFile = (Vec<String>, Vec<u8>);

/// The PDF a certificate job writes, if any.
fn certificate_pdf(
    site: &Site,
    assessed: &crate::assess::Assessed,
    issuance: &Issuance,
    job: &Job,
    fonts: &crate::label::font::Fonts,
) -> Option<Result<PdfFile, Diagnostic>> {
    let (pages, shown) = pdf_pages(site, job, &issuance.register)?;
    let Job::Certificate { number, .. } = job else {
        return None;
    };
    let entry = issuance.register.entry(number);
    let s = &shown.snapshot;
    let product_exists = issuance.product_ids.contains(s.product.id.as_str());
    let base = site.config.base_path();
    let view = certificate::view(number, shown, &entry, assessed, product_exists, base);
    let paper = certificate_pdf::paper(site.config.certificate_paper, &s.market);
    // The declaration's colour image, when its file is one a PDF can carry.
    let image = s
        .product
        .image
        .as_ref()
        .filter(|_| s.kind.ends_with("-doc"))
        .and_then(|i| {
            let path = site.root.join("content").join(i);
            // One byte past the cap tells a larger file, left to the web page whole
            // rather than embedded cut short.
            crate::source::read_prefix(&site.root, &path, MAX_IMAGE_BYTES + 1)
                .filter(|b| b.len() as u64 <= MAX_IMAGE_BYTES)
        })
        .and_then(|bytes| certificate_pdf::Image::new(bytes, fonts));
    let base_url = site.config.base_url.as_str();
    let urls = certificate_pdf::Urls {
        certificate: url::certificate(number).under(base_url),
        version: url::certificate_version(number, shown.version).under(base_url),
    };
    let paths: Vec<String> = pages
        .iter()
        .map(|p| url::certificate_pdf(p).file())
        .collect();
    Some(
        certificate_pdf::pdf(&view, fonts, paper, &urls, image.as_ref())
            .map(|bytes| (paths.clone(), bytes))
            .map_err(|m| {
                Diagnostic::error(
                    "certificate-pdf",
                    &paths[0],
                    format!("cannot make the PDF: {m}"),
                )
                .config()
            }),
    )
}

/// The largest image a certificate PDF embeds (a product photo; anything larger is left
/// to the web page).
const MAX_IMAGE_BYTES: u64 = 16 * 1024 * 1024;

/// The template, output path and context of a page.
fn page<'a>(
    site: &Site,
    assessed: &crate::assess::Assessed,
    issuance: &Issuance<'a>,
    job: &'a Job,
) -> (&'a str, Vec<String>, Context) {
    let base = site.config.base_path();
    let path = job.path();
    let mut cx = Context::new();
    let paths = vec![path.file()];
    let template = match job {
        Job::Home {
            page,
            pages,
            products,
            total,
        } => {
            let title = match page {
                1 => site.config.title.clone(),
                n => format!("{} — products, page {n} of {pages}", site.config.title),
            };
            cx.insert("page", &PageView::new(site, "home", title, &path));
            cx.insert("products", products);
            cx.insert("product_count", total);
            cx.insert(
                "pager",
                &view::PagerView::new(*page, *pages, HOME_PAGE, *total, base),
            );
            cx.insert("index_url", &url::search_manifest().under(base));
            "index.html"
        }
        Job::Product(p) => {
            cx.insert("page", &PageView::new(site, "product", &p.name, &path));
            cx.insert(
                "product",
                &ProductView::new(p, &site.vocabulary, base, site.as_of),
            );
            let assessments = assessed
                .by_product
                .get(&p.id)
                .map_or(&[][..], Vec::as_slice);
            cx.insert(
                "assessments",
                &view::assessments(assessments, &site.plugins),
            );
            let unassessed: Vec<view::MarketView> = p
                .markets
                .iter()
                .filter(|m| !assessments.iter().any(|a| a.market == m.code()))
                .map(|m| view::MarketView {
                    code: m.code(),
                    name: m.name(),
                })
                .collect();
            cx.insert("unassessed", &unassessed);
            // Links to the issued certificates: number → page URL, for those in force.
            let issued: std::collections::BTreeMap<&str, String> = assessments
                .iter()
                .filter_map(|a| a.certificate.as_ref())
                .filter(|c| issuance.register.entry(&c.number).valid())
                .map(|c| (c.number.as_str(), url::certificate(&c.number).under(base)))
                .collect();
            cx.insert("issued", &issued);
            cx.insert("json_url", &url::product_json(&p.id).under(base));
            // `serve` only: the ready certificates never issued, shown as previews.
            let previews: std::collections::BTreeMap<&str, String> = assessments
                .iter()
                .filter_map(|a| a.certificate.as_ref())
                .filter(|c| issuance.register.entry(&c.number).preview.is_some())
                .map(|c| (c.number.as_str(), url::certificate(&c.number).under(base)))
                .collect();
            cx.insert("previews", &previews);
            cx.insert("labels", &view::labels(site, p));
            // (Its GS1 Digital Link path is written beside it: `digital_link_page`.)
            if let Some(g) = p.gtin {
                cx.insert("linkset_url", &url::linkset(&g.as_gtin14()).under(base));
            }
            "product.html"
        }
        Job::Lot(p, l) => {
            let title = format!("{} — lot {}", p.name, l.lot);
            cx.insert("page", &PageView::new(site, "lot", title, &path));
            cx.insert("product", &view::ProductSummary::new(p, base));
            let assessments = assessed
                .by_product
                .get(&p.id)
                .map_or(&[][..], Vec::as_slice);
            cx.insert(
                "lot",
                &lot::view(
                    p,
                    l,
                    assessments,
                    &issuance.register,
                    &site.plugins,
                    site.config.base_url.as_str(),
                    base,
                ),
            );
            if let Some(g) = p.gtin {
                cx.insert("linkset_url", &url::linkset(&g.as_gtin14()).under(base));
            }
            "lot.html"
        }
        Job::GuidanceIndex => {
            cx.insert(
                "page",
                &PageView::new(site, "guidance-index", "Guidance", &path),
            );
            cx.insert(
                "groups",
                &view::guidance_groups(&site.content.guidance, base),
            );
            "guidance_index.html"
        }
        Job::Guidance(g) => {
            cx.insert("page", &PageView::new(site, "guidance", &g.title, &path));
            cx.insert("guidance", &GuidanceView::new(g));
            "guidance.html"
        }
        Job::Certificate { number, version } => {
            let entry = issuance.register.entry(number);
            let shown = version
                .or(entry.versions.last())
                .or(entry.preview)
                .expect("listed from the ledger or the previews");
            let product_exists = issuance
                .product_ids
                .contains(shown.snapshot.product.id.as_str());
            let title = format!("{} {number}", shown.snapshot.title);
            let mut pv = PageView::new(site, "certificate", title, &path);
            // Every version page names the certificate's own page as canonical.
            pv.canonical = url::certificate(number).under(site.config.base_url.as_str());
            cx.insert("page", &pv);
            let mut view = certificate::view(number, shown, &entry, assessed, product_exists, base);
            // The PDF beside this page: the certificate's own page has the version in
            // force's; otherwise (a version page, or no version in force) the PDF of the
            // version shown, which says where it stands. None for a preview, and on a site
            // that publishes no PDFs (`[build] certificate_pdfs`).
            let published = site.config.certificate_pdfs && !entry.versions.is_empty();
            view.pdf_url = published.then(|| {
                let page = match version {
                    None if entry.is_in_force(shown.version) => url::certificate(number),
                    _ => url::certificate_version(number, shown.version),
                };
                url::certificate_pdf(&page).under(base)
            });
            cx.insert("certificate", &view);
            shown.snapshot.template.as_str()
        }
        Job::NotFound => {
            cx.insert(
                "page",
                &PageView::new(site, "not-found", "Page not found", &path),
            );
            "404.html"
        }
    };
    (template, paths, cx)
}

/// Copies the theme's static files to `/static/`, `content/assets/` to `/assets/` and
/// the site's `static/` folder to the output root (unless not `copy`: a partial render,
/// which keeps them, only checks). A file of the site's `static/` whose output path is one
/// certpress writes (`generated`, the pages and data files already written, those copied
/// here, labels and the output's own bookkeeping) is an error that names both, and
/// nothing is copied. Returns the number of files copied, or that would be.
fn copy_files(
    site: &Site,
    theme: &Theme,
    sink: &dyn Sink,
    mut generated: std::collections::HashSet<String>,
    copy: bool,
) -> Result<usize, Vec<Diagnostic>> {
    let mut files: Vec<(PathBuf, String)> = theme
        .static_files
        .iter()
        .map(|(p, rel)| (p.clone(), url::theme_static(rel).file()))
        .collect();
    // Walk problems under content/assets were reported when the site loaded.
    let content = site.root.join("content");
    let (asset_files, _) = crate::source::walk(&site.root, &content.join("assets"), None);
    files.extend(asset_files.into_iter().map(|p| {
        // Relative to content/, as records refer to assets (`assets/...`).
        let reference = crate::source::relative(&content, &p);
        (p, url::asset(&reference).file())
    }));
    generated.extend(files.iter().map(|(_, to)| to.clone()));
    // Compared without case (on macOS and Windows `Index.html` is `index.html`), and
    // against the generated folders too (a file `products` where pages need a folder).
    let files_lower: std::collections::HashSet<String> =
        generated.iter().map(|g| g.to_lowercase()).collect();
    let taken: std::collections::HashSet<String> = files_lower
        .iter()
        .flat_map(|g| {
            g.match_indices('/')
                .map(|(i, _)| g[..i].to_string())
                .chain(std::iter::once(g.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    let collisions: Vec<Diagnostic> = theme
        .root_files
        .iter()
        .filter_map(|(from, to)| {
            let lower = to.to_lowercase();
            let reserved = [crate::output::MARKER, crate::ledger::MANIFEST]
                .iter()
                .any(|r| r.to_lowercase() == lower)
                || lower.starts_with("labels/")
                || lower == "labels";
            let under_generated_file = lower
                .match_indices('/')
                .any(|(i, _)| files_lower.contains(&lower[..i]));
            (reserved || taken.contains(&lower) || under_generated_file).then(|| {
                let file = crate::source::relative(&site.root, from);
                Diagnostic::error(
                    "static-collision",
                    &file,
                    if to.starts_with("labels/") {
                        format!(
                            "`{file}` would be published as `{to}`, in the labels/ folder certpress writes the labels into"
                        )
                    } else {
                        format!(
                            "`{file}` would be published as `{to}`, which certpress generates itself: one would replace the other"
                        )
                    },
                )
                .with_help(format!("rename or remove `{file}`"))
                .config()
            })
        })
        .collect();
    if !collisions.is_empty() {
        return Err(collisions);
    }
    files.extend(theme.root_files.iter().cloned());
    if !copy {
        return Ok(files.len());
    }
    let errors: Vec<Diagnostic> = files
        .par_iter()
        .filter_map(|(from, to)| {
            sink.copy(from, to).err().map(|e| {
                Diagnostic::error(
                    "write-failed",
                    crate::source::relative(&site.root, from),
                    format!("cannot copy to output: {e}"),
                )
                .config()
            })
        })
        .collect();
    if errors.is_empty() {
        Ok(files.len())
    } else {
        Err(errors)
    }
}
