//! Printing a set of labels: each in every requested format, and the sheet, in parallel.

use super::fit::{self, Failure};
use super::output;
use super::pdf;
use super::sheet;
use super::text::Lettered;
use super::{Job, Printer, zpl};
use crate::assess::Assessed;
use crate::config::Calibration;
use crate::config::LabelFormat;
use crate::diagnostic::Diagnostic;
use crate::output::Sink;
use crate::progress::Progress;
use crate::register::Register;
use crate::site::Site;
use rayon::prelude::*;

/// Where a sheet goes and how it is placed.
pub struct SheetRequest {
    pub start_at: u32,
    pub calibration: Calibration,
    /// The sheet's path under the output folder ([`crate::url::sheet`]).
    pub path: String,
}

/// Labels drawn and written together when there is no sheet: a batch of a large
/// catalogue prints 8,000, whose SVGs and text held at once were the largest part of a
/// build's memory.
const GROUP: usize = 512;

/// Prints `jobs` in the printer's formats, and the sheet, into `sink`: a group of labels
/// at a time ([`GROUP`]; every label at once when there is a sheet, which needs them all),
/// each drawn and checked, then its files rendered and written as they are made, so
/// memory holds a group's SVGs, not every label's PNG and PDF. A label that cannot be
/// drawn fails the whole print, with the same errors and advice however the labels are
/// grouped (every label is still drawn); what was written by then is the sink's to drop
/// (a build's staging folder, `serve`'s render in memory).
pub fn print(
    assessed: &Assessed,
    register: &Register,
    printer: &Printer,
    jobs: &[Job],
    sheet: Option<&SheetRequest>,
    sink: &dyn Sink,
) -> Result<(), Vec<Diagnostic>> {
    let o = &printer.options;
    let failed = |mut errors: Vec<Diagnostic>| {
        errors.sort_by(|a, b| (&a.file, &a.message).cmp(&(&b.file, &b.message)));
        errors
    };
    let group = match sheet {
        Some(_) => jobs.len().max(1),
        None => GROUP,
    };
    let progress = Progress::new(jobs.len(), "Labels", "labels");
    let mut failures: Vec<(&Job, Failure)> = Vec::new();
    let mut errors: Vec<Diagnostic> = Vec::new();
    let mut lettered: Vec<Lettered> = Vec::new();
    for group in jobs.chunks(group) {
        // Each label's SVG, and the same split for drawing (text set by certpress).
        let drawn: Vec<Result<(String, Lettered), Failure>> = group
            .par_iter()
            .map(|job| printer.draw(assessed, register, job, o.layout, &o.template))
            .collect();
        if !failures.is_empty() || drawn.iter().any(Result::is_err) {
            failures.extend(
                group
                    .iter()
                    .zip(drawn)
                    .filter_map(|(job, r)| Some((job, r.err()?))),
            );
            continue;
        }
        let drawn: Vec<(String, Lettered)> = drawn.into_iter().filter_map(Result::ok).collect();
        errors.extend(write_group(
            assessed, register, printer, group, &drawn, sink, &progress,
        ));
        if sheet.is_some() {
            lettered.extend(drawn.into_iter().map(|(_, l)| l));
        }
    }
    progress.finish();
    if !failures.is_empty() {
        // Labels that another sheet or template would hold: which ones do, tried once
        // for all of them.
        let mendable: Vec<&Job> = failures
            .iter()
            .filter(|(_, f)| f.mendable())
            .map(|(job, _)| *job)
            .collect();
        let advice = (!mendable.is_empty()).then(|| {
            fit::alternatives(printer, assessed, register, &mendable)
                .advice(o.layout.name, &o.template)
        });
        let errors: Vec<Diagnostic> = failures
            .iter()
            .map(|(job, f)| match (&advice, f.mendable()) {
                (Some(a), true) => label_error(job, format!("{}: {a}", f.message())),
                _ => label_error(job, f.message().to_string()),
            })
            .collect();
        return Err(failed(errors));
    }
    if !errors.is_empty() {
        return Err(failed(errors));
    }
    if let Some(req) = sheet {
        let pages = sheet::pages(o.layout, &lettered, req.start_at, &req.calibration);
        drop(lettered);
        let progress = Progress::new(pages.len(), "Sheet", "pages");
        let pdf = pdf::pdf(
            &pages,
            &printer.fonts,
            printer.usvg_options(),
            Some(&progress),
        );
        progress.finish();
        let pdf =
            pdf.map_err(|m| vec![Diagnostic::error("label", crate::config::FILE, m).config()])?;
        put(sink, req.path.clone(), &pdf).map_err(|d| vec![d])?;
    }
    Ok(())
}

/// A label's problem, at its product's record.
fn label_error(job: &Job, m: String) -> Diagnostic {
    let what = match job.lot {
        Some(l) => format!("the label for lot {} of `{}`", l.lot, job.product.id),
        None => format!("the label for `{}`", job.product.id),
    };
    let (line, column) = job.product.id_at;
    Diagnostic::error("label", &job.product.file, format!("{what}: {m}")).at(line, column)
}

fn put(sink: &dyn Sink, path: String, bytes: &[u8]) -> Result<(), Diagnostic> {
    sink.write(&path, bytes)
        .map_err(|e| Diagnostic::error("write-failed", path, format!("cannot write: {e}")).config())
}

/// Writes the files of a group of labels (`jobs`, `drawn` each one's SVG and lettering) in
/// every format; the problems met.
fn write_group(
    assessed: &Assessed,
    register: &Register,
    printer: &Printer,
    jobs: &[Job],
    drawn: &[(String, Lettered)],
    sink: &dyn Sink,
    progress: &Progress,
) -> Vec<Diagnostic> {
    let o = &printer.options;
    let (w, h) = (o.layout.label_w, o.layout.label_h);
    jobs.par_iter()
        .zip(drawn)
        .filter_map(|(job, (svg, lettered))| {
            let files = || -> Result<(), Diagnostic> {
                // The artwork, parsed once for the PNG and the PDF.
                let tree = if o
                    .formats
                    .iter()
                    .any(|f| matches!(f, LabelFormat::Png | LabelFormat::Pdf))
                {
                    Some(
                        output::parse(&lettered.artwork, printer.usvg_options())
                            .map_err(|m| label_error(job, m))?,
                    )
                } else {
                    None
                };
                for format in &o.formats {
                    let (extension, bytes) = match format {
                        LabelFormat::Svg => ("svg", svg.as_bytes().to_vec()),
                        LabelFormat::Png => {
                            let tree = tree.as_ref().expect("parsed for PNG");
                            let png =
                                output::png(tree, &lettered.runs, &printer.fonts, w, h, o.dpi)
                                    .map_err(|m| label_error(job, m))?;
                            ("png", png)
                        }
                        LabelFormat::Pdf => {
                            let tree = tree.as_ref().expect("parsed for PDF");
                            let pdf = pdf::label(tree, &lettered.runs, w, h, &printer.fonts)
                                .map_err(|m| label_error(job, m))?;
                            ("pdf", pdf)
                        }
                        LabelFormat::Zpl => {
                            let data = zpl_data(printer, assessed, register, job)
                                .map_err(|m| label_error(job, m))?;
                            let (z, _) =
                                zpl::label(&data, o.dpi).map_err(|m| label_error(job, m))?;
                            ("zpl", z.into_bytes())
                        }
                    };
                    put(sink, job.file(extension).file(), &bytes)?;
                }
                Ok(())
            };
            let result = files();
            progress.inc();
            result.err()
        })
        .collect()
}

/// The ZPL label's content: the tracking label's text, for the printer's own fonts.
fn zpl_data<'a>(
    printer: &Printer,
    assessed: &'a Assessed,
    register: &Register,
    job: &'a Job,
) -> Result<zpl::Data<'a>, String> {
    let p = job.product;
    let (_, warnings) = printer.requirements(assessed, p)?;
    let mut lines = super::tracking_lines(p, job.lot);
    for w in warnings {
        lines.push((w.text.to_string(), w.alert, 4));
    }
    Ok(zpl::Data {
        width_mm: printer.options.layout.label_w,
        height_mm: printer.options.layout.label_h,
        url: &job.url,
        level: printer.options.level,
        caption: printer.caption(assessed, register, job),
        lines,
    })
}

/// What `build` prints into its output: every label in the configured formats,
/// and the configured sheet (when PDF is among them) laid out for the default printer.
/// `only` (`serve`, after an edit): the labels of these products alone, unless there is
/// a sheet, which needs every label. Returns the number of labels printed.
pub fn for_build(
    site: &Site,
    assessed: &Assessed,
    register: &Register,
    sink: &dyn Sink,
    only: Option<&std::collections::HashSet<String>>,
) -> Result<usize, Vec<Diagnostic>> {
    let options = super::Options::from_config(site).map_err(|d| vec![d])?;
    let calibration = site
        .config
        .labels
        .calibration(None)
        .map_err(|m| vec![Diagnostic::error("bad-config", crate::config::FILE, m).config()])?;
    let sheet = options
        .formats
        .contains(&LabelFormat::Pdf)
        .then_some(SheetRequest {
            start_at: 1,
            calibration,
            path: crate::url::sheet(options.layout.name, None, None).file(),
        });
    let printer = Printer::load(site, options).map_err(|d| vec![d])?;
    let mut jobs = super::jobs(site, None, None);
    if let (Some(only), None) = (only, &sheet) {
        jobs.retain(|j| only.contains(&j.product.id));
    }
    print(assessed, register, &printer, &jobs, sheet.as_ref(), sink)?;
    Ok(jobs.len())
}

/// What `certpress labels` was asked for (`cli` reads it from the command line).
#[derive(Debug)]
pub struct Request {
    /// Only this product's labels.
    pub product: Option<String>,
    /// Only this lot's label (with --product).
    pub lot: Option<String>,
    /// Formats to write (repeatable; default: labels.formats in site.toml).
    pub formats: Vec<LabelFormat>,
    /// Sheet layout for the labels' size and the PDF sheet (default: labels.sheet).
    pub sheet: Option<String>,
    /// Label template in themes/<theme>/labels/ (default: labels.template).
    pub template: Option<String>,
    /// First free position on a partly used sheet (1 = top left, row by row).
    pub start_at: u32,
    /// Printer whose calibration to apply ([labels.printers.<name>] in site.toml).
    pub printer: Option<String>,
    /// Resolution for PNG and ZPL (default: labels.dpi; Zebra printers: 203, 300, 600).
    pub dpi: Option<u32>,
    /// Write the sheet's outline test page (every position outlined and numbered, to
    /// print on plain paper and hold against a sheet) instead of labels.
    pub outline: bool,
}

/// A mistake on the command line (SPEC §9: exit 2): something `labels` was asked for
/// does not exist. Not the configuration's fault, so not reported against site.toml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    /// What is wrong, e.g. "no product `knight-castle`".
    pub message: String,
    /// What exists, and the one likely meant.
    pub help: String,
}

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "error: {}\n  = help: {}", self.message, self.help)
    }
}

/// "did you mean `x`? products: a, b, c": the likely one (when close) and what exists,
/// at most 20 names of a long list.
fn choices<'a>(asked: &str, what: &str, names: impl Iterator<Item = &'a str> + Clone) -> String {
    const SHOWN: usize = 20;
    let total = names.clone().count();
    let mut list = crate::suggest::quoted(names.clone().take(SHOWN));
    if total > SHOWN {
        list.push_str(&format!(" and {} more", total - SHOWN));
    }
    if total == 0 {
        list = "none".to_string();
    }
    match crate::suggest::closest(asked, names) {
        Some(close) => format!("did you mean `{close}`? {what}: {list}"),
        None => format!("{what}: {list}"),
    }
}

impl Request {
    /// Checks that the product, lot, sheet, template and printer asked for exist, and
    /// says what does when one does not. `content_errors`: some records failed to load
    /// (a product missing from the site may be one of them, so that is not called a
    /// usage error: the content errors say what is wrong).
    pub fn usage_error(&self, site: &Site, content_errors: bool) -> Option<Usage> {
        // A lot code is unique only within its product: say which products have it.
        if let (None, Some(lot)) = (&self.product, &self.lot) {
            let owners: Vec<&str> = site
                .content
                .products
                .iter()
                .filter(|p| p.lots.iter().any(|l| &l.lot == lot))
                .map(|p| p.id.as_str())
                .collect();
            let help = match owners.first() {
                Some(first) => format!(
                    "lot `{lot}` is a lot of {}: add e.g. --product {first}",
                    crate::suggest::quoted(&owners)
                ),
                None => {
                    let mut lots: Vec<&str> = site
                        .content
                        .products
                        .iter()
                        .flat_map(|p| p.lots.iter().map(|l| l.lot.as_str()))
                        .collect();
                    lots.sort_unstable();
                    lots.dedup();
                    format!(
                        "no product has lot `{lot}`; {}",
                        choices(lot, "lots", lots.iter().copied())
                    )
                }
            };
            return Some(Usage {
                message: "--lot needs --product: a lot code names a lot within one product"
                    .to_string(),
                help,
            });
        }
        if let Some(id) = &self.product {
            match site.content.product(id) {
                None if content_errors => return None,
                None => {
                    let ids = site.content.products.iter().map(|p| p.id.as_str());
                    return Some(Usage {
                        message: format!("no product `{id}`"),
                        help: choices(id, "products", ids),
                    });
                }
                Some(p) => {
                    if let Some(lot) = &self.lot
                        && !p.lots.iter().any(|l| &l.lot == lot)
                    {
                        let help = if p.lots.is_empty() {
                            format!("`{id}` has no lots: leave out --lot to print its one label")
                        } else {
                            choices(lot, "its lots", p.lots.iter().map(|l| l.lot.as_str()))
                        };
                        return Some(Usage {
                            message: format!("product `{id}` has no lot `{lot}`"),
                            help,
                        });
                    }
                }
            }
        }
        if let Some(name) = &self.sheet
            && crate::config::sheets::find(name).is_none()
        {
            return Some(Usage {
                message: format!("no sheet layout `{name}`"),
                help: choices(name, "layouts", crate::config::sheets::all()),
            });
        }
        if let Some(name) = &self.template {
            let dir = site
                .root
                .join("themes")
                .join(&site.config.theme)
                .join("labels");
            let file = dir.join(format!("{name}.svg"));
            if name.contains(['/', '\\']) || std::fs::symlink_metadata(&file).is_err() {
                let mut names: Vec<String> = std::fs::read_dir(&dir)
                    .into_iter()
                    .flatten()
                    .filter_map(|e| {
                        let n = e.ok()?.file_name().into_string().ok()?;
                        n.strip_suffix(".svg").map(str::to_string)
                    })
                    .collect();
                names.sort();
                return Some(Usage {
                    message: format!(
                        "the theme `{}` has no label template `{name}`",
                        site.config.theme
                    ),
                    help: choices(name, "templates", names.iter().map(String::as_str)),
                });
            }
        }
        if let Some(name) = &self.printer
            && !site.config.labels.printers.contains_key(name)
        {
            let known = site.config.labels.printers.keys().map(String::as_str);
            let setup = format!(
                "[labels.printers.{name}] in site.toml, with x_offset_mm, y_offset_mm, x_scale, y_scale"
            );
            return Some(Usage {
                message: format!("no printer `{name}`"),
                help: if site.config.labels.printers.is_empty() {
                    format!("site.toml sets up no printers: add {setup}")
                } else {
                    format!("{}; a new one is {setup}", choices(name, "printers", known))
                },
            });
        }
        None
    }
}

fn config_error(message: String) -> Vec<Diagnostic> {
    vec![Diagnostic::error("bad-labels", crate::config::FILE, message).config()]
}

/// `certpress labels`: prints what `request` asks for into `sink` (the output
/// folder's `labels/` staged, swapped in by the caller), returning a one-line summary.
pub fn run(
    site: &Site,
    assessed: &Assessed,
    register: &Register,
    request: &Request,
    sink: &dyn Sink,
) -> Result<String, Vec<Diagnostic>> {
    let mut options = super::Options::from_config(site).map_err(|d| vec![d])?;
    if let Some(name) = &request.sheet {
        options.layout =
            crate::config::sheets::find(name).ok_or_else(|| vec![super::unknown_sheet(name)])?;
    }
    if let Some(t) = &request.template {
        options.template = t.clone();
    }
    if !request.formats.is_empty() {
        options.formats = request.formats.clone();
    }
    if let Some(dpi) = request.dpi {
        options.dpi = dpi;
    }
    let calibration = site
        .config
        .labels
        .calibration(request.printer.as_deref())
        .map_err(config_error)?;
    let layout = options.layout;
    let printer = Printer::load(site, options).map_err(|d| vec![d])?;
    let summary = if request.outline {
        let page = sheet::outline(layout, &calibration, &printer.fonts);
        let pdf = pdf::pdf(
            std::slice::from_ref(&page),
            &printer.fonts,
            printer.usvg_options(),
            None,
        )
        .map_err(config_error)?;
        let path = crate::url::outline_sheet(layout.name).file();
        sink.write(&path, &pdf)
            .map_err(|e| config_error(format!("cannot write {path}: {e}")))?;
        format!(
            "Wrote the outline test page of {} ({})",
            layout.name, layout.title
        )
    } else {
        let jobs = super::jobs(site, request.product.as_deref(), request.lot.as_deref());
        if jobs.is_empty() {
            return Err(config_error(match (&request.product, &request.lot) {
                (Some(p), Some(l)) => format!("product `{p}` has no lot `{l}`"),
                (Some(p), None) => format!("no product `{p}`"),
                _ => "the site has no products to label".to_string(),
            }));
        }
        let sheet_request = SheetRequest {
            start_at: request.start_at,
            calibration,
            path: crate::url::sheet(
                layout.name,
                request.product.as_deref(),
                request.lot.as_deref(),
            )
            .file(),
        };
        print(
            assessed,
            register,
            &printer,
            &jobs,
            Some(&sheet_request),
            sink,
        )?;
        let o = &printer.options;
        let formats: Vec<String> = o
            .formats
            .iter()
            .map(|f| format!("{f:?}").to_lowercase())
            .collect();
        let skip = (request.start_at - 1) % layout.per_page();
        let pages = (skip as usize + jobs.len()).div_ceil(layout.per_page() as usize);
        format!(
            "Printed {} ({} at {} dpi) and a {}-page {} sheet starting at position {}",
            if jobs.len() == 1 {
                "1 label".to_string()
            } else {
                format!("{} labels", jobs.len())
            },
            formats.join(", "),
            o.dpi,
            pages,
            layout.name,
            skip + 1
        )
    };
    Ok(summary)
}
