//! The render of a site in batches (`build` of a large catalogue, [`crate::batch`]):
//! each batch's product, lot and certificate pages, JSON twins and linksets are rendered
//! and written with the batch ([`Gathered::batch`]), and what the files drawn from every
//! product need of them is gathered in compact form: each product's home-list row,
//! lookup terms and API index entry, its GTIN. Once every batch is in, [`Gathered::finish`]
//! makes those files (the sitemap from the rows and the ledger's numbers) and the pages no
//! record feeds. The files are the ones a whole render makes, byte for byte
//! (`tests/build_batches.rs`).

use super::{
    Issuance, Only, Pages, ProductSummary, Rendered, api, home_jobs, home_listing, listed,
    product_files, record_jobs, search, set_globals, site_files, site_jobs, sitemap,
    version_redirects,
};
use crate::assess::Assessed;
use crate::diagnostic::Diagnostic;
use crate::label::font::Fonts;
use crate::output::Sink;
use crate::progress::Progress;
use crate::register::Register;
use crate::site::Site;
use crate::theme::Theme;
use crate::url;
use rayon::prelude::*;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// What the batches rendered so far left for the lists, and what they wrote.
pub struct Gathered {
    /// Each product's home-list row, in the order of the site's products.
    rows: Vec<ProductSummary>,
    /// Every product's lookup terms, numbered in the order of the site's products.
    postings: search::Postings,
    /// Each product's API index entry, as JSON.
    entries: Vec<Box<serde_json::value::RawValue>>,
    gtins: Vec<crate::gtin::Gtin>,
    /// `_redirects` rules of the certificates' versions in force.
    redirects: Vec<String>,
    /// Files written that a file of the site's `static/` could collide with (all the
    /// others cannot, and are not held).
    generated: HashSet<String>,
    /// The site's `static/` files' output paths, and the folders above them, lower case.
    statics: HashSet<String>,
    static_folders: HashSet<String>,
    /// Pages and data files rendered, and those the output has (those of the products
    /// and certificates a partial build did not render again included).
    pages: usize,
    data_files: usize,
    all_pages: usize,
    all_data_files: usize,
    bytes: u64,
    /// Certificate PDFs are set in the theme's fonts, read once when the first is due.
    fonts: Option<Arc<Fonts>>,
    progress: Progress,
}

impl Gathered {
    /// Sets the theme's globals for `site` (the site without its products), and a
    /// progress bar over `products` products.
    pub fn new(site: &Site, theme: &mut Theme, products: usize) -> Gathered {
        set_globals(site, theme);
        let statics: HashSet<String> = theme
            .root_files
            .iter()
            .map(|(_, to)| to.to_lowercase())
            .collect();
        let static_folders = statics
            .iter()
            .flat_map(|s| s.match_indices('/').map(|(i, _)| s[..i].to_string()))
            .collect();
        Gathered {
            rows: Vec::new(),
            postings: Vec::new(),
            entries: Vec::new(),
            gtins: Vec::new(),
            redirects: Vec::new(),
            generated: HashSet::new(),
            statics,
            static_folders,
            pages: 0,
            data_files: 0,
            all_pages: 0,
            all_data_files: 0,
            bytes: 0,
            fonts: None,
            progress: Progress::new(products, "Building", "products"),
        }
    }

    /// Whether a static file could be published at `path`'s place, or above or below
    /// it: what [`super::copy_files`] looks at.
    fn may_collide(&self, path: &str) -> bool {
        let lower = path.to_lowercase();
        self.statics.contains(&lower)
            || self.static_folders.contains(&lower)
            || lower
                .match_indices('/')
                .any(|(i, _)| self.statics.contains(&lower[..i]))
    }

    /// Renders and writes one batch: `site` holds the batch's products, `assessed` and
    /// `register` their assessments and certificates (the register's ledger holds the
    /// certificates whose pages this batch makes); `product_ids` is every product of the
    /// whole site, for certificate pages to link to. With `only`, the pages and files of
    /// the products and certificates it names alone (a partial build: the others' are
    /// linked from the previous output); what the lists need is gathered for all.
    #[allow(clippy::too_many_arguments)]
    pub fn batch(
        &mut self,
        site: &Site,
        assessed: &Assessed,
        register: &Register,
        theme: &Theme,
        product_ids: &HashSet<&str>,
        sink: &dyn Sink,
        only: Option<&Only>,
    ) -> Result<(), Vec<Diagnostic>> {
        let all_jobs = record_jobs(&site.content.products, register);
        let jobs: Vec<&super::Job> = all_jobs
            .iter()
            .filter(|j| only.is_none_or(|o| o.keeps(j)))
            .collect();
        if self.fonts.is_none() && super::pdfs_due(site, &jobs, register) {
            self.fonts = Some(theme.fonts().map_err(|d| vec![d])?);
        }
        let issuance = Issuance {
            register: *register,
            product_ids,
        };
        let bytes = AtomicU64::new(0);
        let theme_dir = crate::source::relative(&site.root, &theme.dir);
        let maker = Pages {
            site,
            assessed,
            issuance: &issuance,
            tera: &theme.tera,
            theme_dir: &theme_dir,
            fonts: self.fonts.as_deref(),
            sink,
            bytes: &bytes,
            progress: None,
        };
        let products = &site.content.products;
        let (pages, owned) = rayon::join(
            || {
                jobs.par_iter()
                    .map(|job| maker.render(job))
                    .collect::<Vec<_>>()
            },
            || {
                products
                    .par_iter()
                    .filter(|p| only.is_none_or(|o| o.products.contains(&p.id)))
                    .map(|p| product_files(site, p, assessed, register, sink))
                    .collect::<Vec<_>>()
            },
        );
        let mut errors = Vec::new();
        for paths in pages {
            match paths {
                Ok(paths) => {
                    let relevant: Vec<String> =
                        paths.into_iter().filter(|p| self.may_collide(p)).collect();
                    self.generated.extend(relevant);
                }
                Err(ds) => errors.extend(ds),
            }
        }
        for files in owned {
            match files {
                Ok(files) => {
                    self.data_files += files.len();
                    for (path, n) in files {
                        bytes.fetch_add(n, Ordering::Relaxed);
                        if self.may_collide(&path) {
                            self.generated.insert(path);
                        }
                    }
                }
                Err(d) => errors.push(d),
            }
        }
        if !errors.is_empty() {
            super::sort_errors(&mut errors);
            return Err(errors);
        }
        self.pages += jobs.len();
        self.all_pages += all_jobs.len();
        self.all_data_files += super::owned_data_files(products);
        self.bytes += bytes.into_inner();

        let base_url = site.config.base_url.as_str();
        let base = site.config.base_path();
        let first = self.rows.len();
        let (postings, entries): (Vec<search::Postings>, Vec<_>) = products
            .par_iter()
            .enumerate()
            .map(|(i, p)| {
                (
                    search::product_postings(first + i, p, assessed, register),
                    api::entry_json(p, base_url, assessed, register),
                )
            })
            .unzip();
        self.postings.extend(postings.into_iter().flatten());
        self.entries.extend(entries);
        self.rows
            .extend(products.iter().map(|p| ProductSummary::new(p, base)));
        self.gtins.extend(products.iter().filter_map(|p| p.gtin));
        self.redirects.extend(version_redirects(site, register));
        self.progress.inc_by(products.len());
        Ok(())
    }

    /// Makes the pages and files no batch could make alone (the home list, the lookup
    /// and API indexes, the sitemap, `_redirects`), the guidance and 404 pages, and
    /// copies the static files. `site` is the site without its products; `certificates`
    /// every certificate the ledger holds (the batches rendered each one's pages).
    /// `labels`: the labels the batches printed.
    pub fn finish<'n>(
        self,
        site: &Site,
        theme: &Theme,
        sink: &dyn Sink,
        certificates: impl Iterator<Item = &'n str>,
        labels: usize,
    ) -> Result<Rendered, Vec<Diagnostic>> {
        self.progress.finish();
        let base_url = site.config.base_url.as_str();
        // Each list is written as soon as it is made and dropped: together they are
        // a tenth of a gigabyte on a 100,000-product site.
        let mut shared: Vec<String> = Vec::new();
        let mut data_bytes = 0;
        let mut put = |files: Vec<(String, Arc<[u8]>)>| -> Result<(), Vec<Diagnostic>> {
            data_bytes += files
                .par_iter()
                .map(|(path, body)| {
                    sink.write_shared(path, body)
                        .map(|()| body.len() as u64)
                        .map_err(|e| super::write_failed(path, e))
                })
                .sum::<Result<u64, Diagnostic>>()
                .map_err(|e| vec![e])?;
            shared.extend(files.into_iter().map(|(path, _)| path));
            Ok(())
        };
        put(api::index_of(site, &self.entries))?;
        drop(self.entries);
        let rows = self.rows;
        put(search::files_of(site, self.postings, &|i| {
            search::ProductRef::of_summary(&rows[i])
        }))?;
        // The sitemap lists every product and lot page and every certificate's own page
        // (all issued: the ledger's), besides the pages made here.
        let mut urls: Vec<String> = rows
            .iter()
            .flat_map(|row| {
                let lots = row.lots.iter().map(|l| url::lot(&row.id, l));
                std::iter::once(url::product(&row.id)).chain(lots)
            })
            .chain(certificates.map(url::certificate))
            .map(|page| page.under(base_url))
            .collect();
        let listing = home_listing(rows);
        let mut jobs = home_jobs(&listing);
        let home_pages = jobs.len();
        jobs.extend(site_jobs(site));

        let (ledger, review) = (crate::ledger::Ledger::default(), Default::default());
        let register = Register::new(&ledger, &review);
        let no_products = HashSet::new();
        let issuance = Issuance {
            register,
            product_ids: &no_products,
        };
        let bytes = AtomicU64::new(0);
        let theme_dir = crate::source::relative(&site.root, &theme.dir);
        let maker = Pages {
            site,
            assessed: &Assessed::default(),
            issuance: &issuance,
            tera: &theme.tera,
            theme_dir: &theme_dir,
            fonts: None,
            sink,
            bytes: &bytes,
            progress: None,
        };
        let mut generated = self.generated;
        let mut errors = Vec::new();
        for r in jobs.par_iter().map(|j| maker.render(j)).collect::<Vec<_>>() {
            match r {
                Ok(paths) => generated.extend(paths),
                Err(ds) => errors.extend(ds),
            }
        }
        if !errors.is_empty() {
            super::sort_errors(&mut errors);
            return Err(errors);
        }
        urls.extend(
            jobs.iter()
                .filter(|j| listed(&register, j))
                .map(|j| j.path().under(base_url)),
        );
        let jobs_made = jobs.len();
        drop(jobs);
        drop(listing);
        put(site_files(
            site,
            crate::digital_link::redirects(site.config.base_path(), self.gtins, self.redirects),
        ))?;
        put(sitemap::files(
            base_url,
            String::new(),
            || urls,
            &mut sitemap::Memo::default(),
        ))?;
        generated.extend(shared.iter().cloned());
        let copied = super::copy_files(site, theme, sink, generated, true)?;
        Ok(Rendered {
            pages: self.pages + jobs_made,
            data_files: self.data_files + shared.len(),
            labels,
            files_copied: copied,
            bytes: self.bytes + bytes.into_inner() + data_bytes,
            lists: (1..=home_pages).map(|n| url::home_page(n).file()).collect(),
            all_pages: self.all_pages + jobs_made,
            all_data_files: self.all_data_files + shared.len(),
            shared,
        })
    }
}
