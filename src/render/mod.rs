//! The render stage: pages from the theme's templates, rendered in parallel and written
//! straight into the staging folder.

pub mod view;

use crate::content::{GuidancePage, Product};
use crate::diagnostic::Diagnostic;
use crate::output::Staging;
use crate::progress::Progress;
use crate::site::Site;
use crate::theme::Theme;
use rayon::prelude::*;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use tera::Context;
use view::{GuidanceView, NavView, PageView, ProductSummary, ProductView, SiteView};

/// One page to render.
enum Job<'a> {
    Home,
    Product(&'a Product),
    GuidanceIndex,
    Guidance(&'a GuidancePage),
    NotFound,
}

#[derive(Debug, Default, Clone, Copy)]
pub struct Rendered {
    pub pages: usize,
    pub files_copied: usize,
    pub bytes: u64,
}

pub fn render(
    site: &Site,
    assessed: &crate::assessment::Assessed,
    theme: &mut Theme,
    staging: &Staging,
) -> Result<Rendered, Vec<Diagnostic>> {
    let base = site.config.base_path();
    {
        let globals = theme.tera.global_context();
        globals.insert("site", &SiteView::new(site));
        globals.insert(
            "nav",
            &NavView {
                home_url: base.to_string(),
                guidance_url: format!("{base}guidance/"),
            },
        );
    }
    let tera = &theme.tera;

    let mut jobs = vec![Job::Home, Job::GuidanceIndex, Job::NotFound];
    jobs.extend(site.content.products.iter().map(Job::Product));
    jobs.extend(site.content.guidance.iter().map(Job::Guidance));

    let progress = Progress::new(jobs.len(), "Rendering");
    let bytes = AtomicU64::new(0);
    let theme_dir = crate::source::relative(&site.root, &theme.dir);
    let results: Vec<Result<(), Diagnostic>> = jobs
        .par_iter()
        .map(|job| {
            let (template, path, context) = page(site, assessed, job);
            let html = tera.render(template, &context).map_err(|e| {
                Diagnostic::error(
                    "template-error",
                    format!("{theme_dir}/templates/{template}"),
                    e.to_string(),
                )
                .config()
            })?;
            staging.write(&path, html.as_bytes()).map_err(|e| {
                Diagnostic::error(
                    "write-failed",
                    path.clone(),
                    format!("cannot write output: {e}"),
                )
                .config()
            })?;
            bytes.fetch_add(html.len() as u64, Ordering::Relaxed);
            progress.inc();
            Ok(())
        })
        .collect();
    progress.finish();
    let mut errors: Vec<Diagnostic> = results.into_iter().filter_map(Result::err).collect();
    errors.sort_by(|a, b| (&a.file, &a.message).cmp(&(&b.file, &b.message)));
    errors.dedup_by(|a, b| a.file == b.file && a.message == b.message);
    if !errors.is_empty() {
        return Err(errors);
    }

    let copied = copy_files(site, theme, staging)?;
    Ok(Rendered {
        pages: jobs.len(),
        files_copied: copied,
        bytes: bytes.into_inner(),
    })
}

/// The template, output path and context of a page.
fn page(
    site: &Site,
    assessed: &crate::assessment::Assessed,
    job: &Job,
) -> (&'static str, String, Context) {
    let base = site.config.base_path();
    let mut cx = Context::new();
    match job {
        Job::Home => {
            cx.insert("page", &PageView::new(site, "home", &site.config.title, ""));
            let mut products: Vec<ProductSummary> = site
                .content
                .products
                .iter()
                .map(|p| ProductSummary::new(p, base))
                .collect();
            // People scan a list by name; the id breaks ties so the order is total.
            products.sort_by(|a, b| (a.name, a.id).cmp(&(b.name, b.id)));
            cx.insert("products", &products);
            ("index.html", "index.html".into(), cx)
        }
        Job::Product(p) => {
            let path = format!("products/{}/", p.id);
            cx.insert("page", &PageView::new(site, "product", &p.name, &path));
            cx.insert("product", &ProductView::new(p, &site.vocabulary, base));
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
            ("product.html", format!("{path}index.html"), cx)
        }
        Job::GuidanceIndex => {
            cx.insert(
                "page",
                &PageView::new(site, "guidance-index", "Guidance", "guidance/"),
            );
            cx.insert(
                "groups",
                &view::guidance_groups(&site.content.guidance, base),
            );
            ("guidance_index.html", "guidance/index.html".into(), cx)
        }
        Job::Guidance(g) => {
            let path = format!("guidance/{}/", g.path);
            cx.insert("page", &PageView::new(site, "guidance", &g.title, &path));
            cx.insert("guidance", &GuidanceView::new(g));
            ("guidance.html", format!("{path}index.html"), cx)
        }
        Job::NotFound => {
            cx.insert(
                "page",
                &PageView::new(site, "not-found", "Page not found", "404.html"),
            );
            ("404.html", "404.html".into(), cx)
        }
    }
}

/// Copies the theme's static files to `/static/` and `content/assets/` to `/assets/`.
fn copy_files(site: &Site, theme: &Theme, staging: &Staging) -> Result<usize, Vec<Diagnostic>> {
    let mut files: Vec<(PathBuf, String)> = theme
        .static_files
        .iter()
        .map(|(p, rel)| (p.clone(), format!("static/{rel}")))
        .collect();
    // Walk problems under content/assets were reported when the site loaded.
    let assets = site.root.join("content").join("assets");
    let (asset_files, _) = crate::source::walk(&site.root, &assets, None);
    files.extend(asset_files.into_iter().map(|p| {
        let rel = crate::source::relative(&assets, &p);
        (p, format!("assets/{rel}"))
    }));
    let errors: Vec<Diagnostic> = files
        .par_iter()
        .filter_map(|(from, to)| {
            staging.copy(from, to).err().map(|e| {
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
