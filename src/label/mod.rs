//! Labels (SPEC §8, labels.md): one per lot (and per product without lots), drawn by a
//! tera SVG template of the theme with the lot's QR code as vector paths, then rendered
//! to PNG, PDF and sheets from that same SVG, and to ZPL from the same data.

pub mod fit;
pub mod font;
pub mod output;
pub mod pdf;
pub mod print;
pub mod qr;
pub mod sheet;
pub mod text;
mod unhint;
pub mod zpl;

use crate::assess::Assessed;
use crate::config::sheets::{self, Layout};
use crate::config::{LabelFormat, QrLevel};
use crate::content::{Lot, Product};
use crate::diagnostic::Diagnostic;
use crate::register::Register;
use crate::site::Site;
use fit::Failure;
use font::Fonts;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// Space kept clear along the label's edges for text and marks (mm).
pub const MARGIN: f32 = 1.5;
/// Space between the label's edge and the code's quiet zone (mm): the 4-module quiet
/// zone is itself clear space, so the code can sit closer to the edge than text.
pub const QR_EDGE: f32 = 0.5;
/// Height kept under the code for the identifier (mm).
pub const CAPTION_ROOM: f32 = CAPTION_SIZE * 1.4;
/// Type size of the identifier under the code (mm).
const CAPTION_SIZE: f32 = 1.7;
/// The smallest type the caption may shrink to (mm).
const CAPTION_MIN: f32 = 1.2;

/// What to print and how.
#[derive(Debug, Clone)]
pub struct Options {
    pub template: String,
    pub layout: &'static Layout,
    pub formats: Vec<LabelFormat>,
    pub dpi: u32,
    pub level: QrLevel,
}

impl Options {
    /// From site.toml, with an unknown sheet reported against it.
    pub fn from_config(site: &Site) -> Result<Options, Diagnostic> {
        let c = &site.config.labels;
        let layout = sheets::find(&c.sheet).ok_or_else(|| unknown_sheet(&c.sheet))?;
        Ok(Options {
            template: c.template.clone(),
            layout,
            formats: c.formats.clone(),
            dpi: c.dpi,
            level: c.qr_error_correction,
        })
    }
}

pub fn unknown_sheet(name: &str) -> Diagnostic {
    Diagnostic::error(
        "unknown-sheet",
        crate::config::FILE,
        format!("no sheet layout `{name}`"),
    )
    .with_help(match crate::suggest::closest(name, sheets::all()) {
        Some(close) => format!("did you mean `{close}`? layouts: {}", sheets::names()),
        None => format!("layouts: {}", sheets::names()),
    })
    .config()
}

/// Mark artwork from `themes/<name>/labels/marks/<id>.svg`.
#[derive(Debug, Clone, Serialize)]
pub struct Mark {
    pub id: String,
    pub view_box: String,
    /// The artwork's SVG markup (inside its root element).
    pub body: String,
    /// The smallest height the rules allow (mm), from `data-min-height-mm`.
    pub min_height: f32,
    /// Width over height, from the view box.
    pub aspect: f32,
}

fn attr<'t>(tag: &'t str, name: &str) -> Option<&'t str> {
    let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
    let len = tag[start..].find('"')?;
    Some(&tag[start..start + len])
}

impl Mark {
    fn parse(id: &str, text: &str) -> Result<Mark, String> {
        let open = text.find("<svg").ok_or("no <svg> element")?;
        let end_open = open + text[open..].find('>').ok_or("unclosed <svg>")?;
        let close = text.rfind("</svg>").ok_or("no </svg>")?;
        let tag = &text[open..end_open];
        let view_box = attr(tag, "viewBox").ok_or("the <svg> has no viewBox")?;
        let dims: Vec<f32> = view_box
            .split([' ', ','])
            .filter(|s| !s.is_empty())
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map_err(|_| format!("viewBox `{view_box}` is not four numbers"))?;
        let [_, _, w, h] = dims[..] else {
            return Err(format!("viewBox `{view_box}` is not four numbers"));
        };
        let min_height = attr(tag, "data-min-height-mm")
            .ok_or("the <svg> has no data-min-height-mm (the smallest height the rules allow)")?
            .parse::<f32>()
            .map_err(|_| "data-min-height-mm is not a number")?;
        Ok(Mark {
            id: id.to_string(),
            view_box: view_box.to_string(),
            body: text[end_open + 1..close].trim().to_string(),
            min_height,
            aspect: w / h,
        })
    }
}

/// One label to print.
pub struct Job<'a> {
    pub product: &'a Product,
    pub lot: Option<&'a Lot>,
    /// What the QR code encodes.
    pub url: String,
}

impl Job<'_> {
    /// Where the label is written in the format of `extension`.
    pub fn file(&self, extension: &str) -> crate::url::SitePath {
        crate::url::label(
            &self.product.id,
            self.lot.map(|l| l.lot.as_str()),
            extension,
        )
    }
}

/// The labels of `site`: one per lot, one per product without lots, optionally only
/// those of one product (and one lot).
pub fn jobs<'a>(site: &'a Site, product: Option<&str>, lot: Option<&str>) -> Vec<Job<'a>> {
    site.content
        .products
        .iter()
        .filter(|p| product.is_none_or(|id| id == p.id))
        .flat_map(|p| product_jobs(site, p))
        .filter(|j| lot.is_none_or(|x| j.lot.is_some_and(|l| l.lot == x)))
        .collect()
}

/// One product's labels: one per lot, or one for a product without lots.
pub fn product_jobs<'a>(site: &Site, p: &'a Product) -> Vec<Job<'a>> {
    let base_url = site.config.base_url.as_str();
    let gtin = p.gtin.map(|g| g.as_gtin14());
    p.labelled_lots()
        .into_iter()
        .map(|lot| Job {
            product: p,
            lot,
            // SPEC §8: the GS1 Digital Link URI when there is a GTIN, else the lot's (or
            // the product's) page.
            url: match (&gtin, lot) {
                (Some(g), _) => {
                    crate::url::digital_link_uri(base_url, g, lot.map(|l| l.lot.as_str()))
                }
                (None, Some(l)) => crate::url::lot(&p.id, &l.lot).under(base_url),
                (None, None) => crate::url::product(&p.id).under(base_url),
            },
        })
        .collect()
}

/// The tracking label's lines (15 U.S.C. 2063(a)(5)) before any warning: the product's
/// name, its model and lot, where and when the lot was made, and the manufacturer; each
/// with whether it is bold and how many lines it may wrap to. The ZPL label prints them,
/// and `export csv` gives them to label software (labels.csv), so both say the same.
pub fn tracking_lines(p: &Product, lot: Option<&Lot>) -> Vec<(String, bool, u32)> {
    let mut lines = vec![(p.name.clone(), true, 2)];
    lines.push((
        match lot {
            Some(l) => format!("Model {} · Lot {}", p.model, l.lot),
            None => format!("Model {}", p.model),
        },
        false,
        1,
    ));
    if let Some(l) = lot {
        lines.push((format!("Made {}, {}", l.made.display(), l.place), false, 2));
    }
    let m = &p.manufacturer;
    lines.push((
        format!("Manufacturer: {}, {}", m.name, m.address.join(", ")),
        false,
        2,
    ));
    lines
}

/// What the plugins assessing `market` ask the product's label to carry there: the
/// statements (texts and warnings, each once, in the plugins' order) and the ids of the
/// marks. [`Printer::requirements`] takes the same over all the product's markets.
pub fn market_requirements<'a>(
    assessed: &'a Assessed,
    product: &Product,
    market: &str,
) -> (Vec<&'a crate::assess::LabelText>, Vec<&'a str>) {
    let mut texts: Vec<&crate::assess::LabelText> = Vec::new();
    let mut marks: Vec<&str> = Vec::new();
    for a in assessed.by_product.get(&product.id).into_iter().flatten() {
        if a.market != market {
            continue;
        }
        for l in &a.labels {
            if !texts.iter().any(|t| t.text == l.text) {
                texts.push(l);
            }
        }
        for id in &a.marks {
            if !marks.contains(&id.as_str()) {
                marks.push(id);
            }
        }
    }
    (texts, marks)
}

/// The theme's label templates, marks and fonts, ready to draw.
pub struct Printer {
    tera: tera::Tera,
    pub fonts: Arc<Fonts>,
    marks: BTreeMap<String, Mark>,
    pub options: Options,
    usvg: resvg::usvg::Options<'static>,
    /// Every label template of the theme, by name: what an error may suggest instead.
    templates: Vec<String>,
}

fn theme_error(file: String, message: impl Into<String>) -> Diagnostic {
    Diagnostic::error("label-template", file, message).config()
}

impl Printer {
    /// Loads `themes/<theme>/labels/` (templates `*.svg`, `marks/*.svg`) and
    /// `themes/<theme>/fonts/`.
    pub fn load(site: &Site, options: Options) -> Result<Printer, Diagnostic> {
        let theme = site.root.join("themes").join(&site.config.theme);
        let dir = theme.join("labels");
        let rel = |p: &Path| crate::source::relative(&site.root, p);
        let fonts = Arc::new(Fonts::for_theme(&site.root, &theme)?);
        let mut tera = tera::Tera::new();
        // SVG is XML: record text in it is escaped like HTML (crates.md: tera escapes
        // only .html/.htm/.xml by default).
        tera.autoescape_on(vec![".svg"]);
        let template_file = dir.join(format!("{}.svg", options.template));
        // A missing template is named as such; any other failure (a link, a FIFO, an
        // unreadable file) is reported as it is, not as a missing template.
        if std::fs::symlink_metadata(&template_file).is_err() {
            return Err(theme_error(
                rel(&dir),
                format!(
                    "the theme has no label template `{}` ({}.svg)",
                    options.template, options.template
                ),
            ));
        }
        let text =
            crate::source::read_text(&site.root, &template_file).map_err(Diagnostic::config)?;
        let (svgs, _) = crate::source::walk(&site.root, &dir, Some(&["svg"]));
        let templates: Vec<String> = svgs
            .iter()
            .filter(|p| p.parent() == Some(dir.as_path()))
            .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .collect();
        let stack_fonts = fonts.clone();
        tera.register_function("stack", move |kwargs: tera::Kwargs, _: &tera::State| {
            #[derive(serde::Deserialize)]
            struct Args {
                items: Vec<font::Item>,
                width: f32,
                height: f32,
                #[serde(default = "gap")]
                gap: f32,
            }
            fn gap() -> f32 {
                0.25
            }
            let a: Args = kwargs.deserialize()?;
            font::stack(&stack_fonts, &a.items, a.width, a.height, a.gap)
                .map(|blocks| tera::Value::from_serializable(&blocks))
                .map_err(|m| {
                    fit::note_too_small(&m);
                    tera::Error::message(m)
                })
        });

        // Functions are known before templates are added: tera 2 checks calls then.
        let name = format!("{}.svg", options.template);
        tera.add_raw_template(&name, &text)
            .map_err(|e| theme_error(rel(&template_file), e.to_string()))?;
        // The theme's other templates, for an error to suggest one that works: one that
        // does not read is not suggested (and not reported: it is not the one in use).
        let templates: Vec<String> = templates
            .into_iter()
            .filter(|t| {
                *t == options.template
                    || crate::source::read_text(&site.root, &dir.join(format!("{t}.svg")))
                        .ok()
                        .is_some_and(|text| {
                            tera.add_raw_template(&format!("{t}.svg"), &text).is_ok()
                        })
            })
            .collect();

        let mut marks = BTreeMap::new();
        let (files, walked) = crate::source::walk(&site.root, &dir.join("marks"), Some(&["svg"]));
        // A link among the marks is an error (a mark printed from outside the site);
        // other files beside them are only ignored.
        if let Some(d) = walked.into_iter().find(|d| d.is_error()) {
            return Err(d.config());
        }
        for f in files {
            let id = f
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text = crate::source::read_text(&site.root, &f).map_err(Diagnostic::config)?;
            let mark = Mark::parse(&id, &text).map_err(|m| theme_error(rel(&f), m))?;
            marks.insert(id, mark);
        }
        let usvg = fonts.usvg_options();
        Ok(Printer {
            tera,
            fonts,
            marks,
            options,
            usvg,
            templates,
        })
    }

    /// Checks that a label's `svg` shows every mark (`data-mark`) and warning text the
    /// product's markets require, and that each mark is whole on the label at its legal
    /// size ([`check_placed`]). A template that leaves one off (the `compact` one prints
    /// no warnings) is an error naming what is missing, never a label that silently
    /// drops what the law asks of it.
    fn check_shows(
        &self,
        assessed: &Assessed,
        job: &Job,
        layout: &Layout,
        template: &str,
        svg: &str,
    ) -> Result<(), Failure> {
        let (marks, warnings) = self
            .requirements(assessed, job.product)
            .map_err(Failure::Other)?;
        if marks.is_empty() && warnings.is_empty() {
            return Ok(());
        }
        let doc = roxmltree::Document::parse(svg).map_err(|e| {
            Failure::Other(format!(
                "the label template made SVG that does not parse: {e}"
            ))
        })?;
        // What is drawn: not text in a title, description or definitions, nor anything
        // hidden.
        let drawn = |n: &roxmltree::Node| {
            n.ancestors().all(|a| {
                !matches!(a.tag_name().name(), "title" | "desc" | "defs" | "metadata")
                    && a.attribute("display") != Some("none")
                    && a.attribute("visibility") != Some("hidden")
                    && a.attribute("opacity") != Some("0")
            })
        };
        let shown: std::collections::HashSet<&str> = doc
            .descendants()
            .filter(|n| drawn(n))
            .filter_map(|n| n.attribute("data-mark"))
            .collect();
        // Text is wrapped into lines: compared without its white space.
        let squash = |t: &str| t.chars().filter(|c| !c.is_whitespace()).collect::<String>();
        let text: String = doc
            .descendants()
            .filter(|n| n.is_text() && drawn(n))
            .filter_map(|n| n.text())
            .map(squash)
            .collect();
        let mut missing: Vec<String> = warnings
            .iter()
            .filter(|w| !text.contains(&squash(w.text)))
            .map(|w| format!("the statement “{}” ({})", w.text, w.cite))
            .collect();
        missing.extend(
            marks
                .iter()
                .filter(|m| !shown.contains(m.id.as_str()))
                .map(|m| format!("the mark `{}`", m.id)),
        );
        if !missing.is_empty() {
            return Err(Failure::LeavesOff(format!(
                "the `{template}` label template leaves off what the product's markets require: {}",
                missing.join(", ")
            )));
        }
        check_placed(&doc, &marks, layout)
    }

    /// The theme's label templates that load, by name.
    pub fn templates(&self) -> &[String] {
        &self.templates
    }

    pub fn usvg_options(&self) -> &resvg::usvg::Options<'static> {
        &self.usvg
    }

    /// The label of `job` drawn with `template` on `layout`'s labels: its SVG, checked
    /// to show what the markets require, and split for drawing.
    pub fn draw(
        &self,
        assessed: &Assessed,
        register: &Register,
        job: &Job,
        layout: &Layout,
        template: &str,
    ) -> Result<(String, text::Lettered), Failure> {
        let svg = self.svg(assessed, register, job, layout, template)?;
        self.check_shows(assessed, job, layout, template, &svg)?;
        let lettered = text::split(&svg, &self.fonts, layout.label_w, layout.label_h)
            .map_err(Failure::Other)?;
        Ok((svg, lettered))
    }

    fn svg(
        &self,
        assessed: &Assessed,
        register: &Register,
        job: &Job,
        layout: &Layout,
        template: &str,
    ) -> Result<String, Failure> {
        let cx = self.context(assessed, register, job, layout, template)?;
        fit::take_too_small();
        self.tera
            .render(&format!("{template}.svg"), &cx)
            .map_err(|e| {
                if let Some(m) = fit::take_too_small() {
                    return Failure::TooSmall(m);
                }
                // The template error's innermost cause is the useful part.
                let mut msg = e.to_string();
                let mut src = std::error::Error::source(&e);
                while let Some(s) = src {
                    msg = s.to_string();
                    src = s.source();
                }
                Failure::Other(msg)
            })
    }

    /// The identifier under the code, for people who cannot scan: the GTIN, else the
    /// number of a certificate in force, else the model.
    pub fn caption(&self, assessed: &Assessed, register: &Register, job: &Job) -> String {
        let p = job.product;
        match (p.gtin, register.numbers_in_force(assessed, &p.id).first()) {
            (Some(g), _) => format!("GTIN {}", g.as_gtin14()),
            (None, Some(n)) => n.to_string(),
            (None, None) => format!("Model {}", p.model),
        }
    }

    /// The marks and warnings the plugins assessed for the product, over its markets.
    pub fn requirements<'a>(
        &self,
        assessed: &'a Assessed,
        product: &Product,
    ) -> Result<(Vec<&Mark>, Vec<Warning<'a>>), String> {
        let mut marks: Vec<&Mark> = Vec::new();
        let mut warnings: Vec<Warning> = Vec::new();
        for a in assessed.by_product.get(&product.id).into_iter().flatten() {
            for id in &a.marks {
                let mark = self.marks.get(id).ok_or_else(|| {
                    format!(
                        "the theme has no artwork for the mark `{id}` ({} asks for it): add themes/<theme>/labels/marks/{id}.svg",
                        a.plugin
                    )
                })?;
                if !marks.iter().any(|m| m.id == mark.id) {
                    marks.push(mark);
                }
            }
            for l in &a.labels {
                if !warnings.iter().any(|w| w.text == l.text) {
                    warnings.push(Warning {
                        text: &l.text,
                        cite: &l.cite,
                        // 16 CFR 1500.19 statements open with the signal word WARNING,
                        // which the safety-alert symbol precedes (regulations.md §1.6.1).
                        alert: l.text.starts_with("WARNING"),
                    });
                }
            }
        }
        Ok((marks, warnings))
    }

    fn context(
        &self,
        assessed: &Assessed,
        register: &Register,
        job: &Job,
        l: &Layout,
        template: &str,
    ) -> Result<tera::Context, Failure> {
        let o = &self.options;
        let code = qr::Code::encode(&job.url, o.level).map_err(Failure::Other)?;
        let dot = 25.4 / o.dpi as f32;
        let snap = |mm: f32| (mm / dot).round() * dot;
        let caption_h = CAPTION_ROOM;
        let qr_box = (l.label_h - 2.0 * QR_EDGE - caption_h).min(l.label_w - 2.0 * QR_EDGE);
        let sizing = qr::size(&code, qr_box, o.dpi, u32::MAX).map_err(|e| {
            Failure::TooSmall(format!(
                "{} (labels at least {:.1} mm tall fit it; {} labels are {:.1} mm; a shorter base_url or a lower qr_error_correction makes the code smaller)",
                e.message,
                e.needed_mm + 2.0 * QR_EDGE + caption_h,
                l.name,
                l.label_h
            ))
        })?;
        let qr_x = snap(QR_EDGE);
        let qr_y = snap(QR_EDGE);
        let p = job.product;
        let gtin = p.gtin.map(|g| g.as_gtin14());
        // A label shows only numbers with an issued version in force: never one that is
        // blocked, or ready but not yet issued (it has no page to look it up on).
        let certificates = register.numbers_in_force(assessed, &p.id);
        let caption_text = self.caption(assessed, register, job);
        let caption = font::fit(
            &self.fonts.regular,
            &caption_text,
            sizing.size_mm,
            CAPTION_SIZE,
            CAPTION_MIN,
            1,
        );
        let (marks, warnings) = self.requirements(assessed, p).map_err(Failure::Other)?;
        let gap = 1.0;
        let mut offset = 0.0;
        let placed: Vec<PlacedMark> = marks
            .iter()
            .map(|m| {
                let width = m.min_height * m.aspect;
                let pm = PlacedMark {
                    id: &m.id,
                    view_box: &m.view_box,
                    body: &m.body,
                    height: mm(m.min_height),
                    width: mm(width),
                    offset: mm(offset),
                };
                offset += width + gap;
                pm
            })
            .collect();
        let marks_width = (offset - gap).max(0.0);
        let marks_height = placed.iter().map(|m| m.height).fold(0.0, f64::max);

        let mut cx = tera::Context::new();
        cx.insert(
            "label",
            &LabelView {
                width: mm(l.label_w),
                height: mm(l.label_h),
                margin: mm(MARGIN),
                sheet: l.name,
                template,
                dpi: o.dpi,
            },
        );
        cx.insert(
            "qr",
            &QrView {
                x: mm(qr_x),
                y: mm(qr_y),
                size: mm(sizing.size_mm),
                module: mm(sizing.module_mm),
                dots: sizing.dots,
                view_box: format!("0 0 {0} {0}", code.side()),
                path: code.svg_path(),
                rows: code.svg_rows(),
                url: &job.url,
                version: code.version,
                level: format!("{:?}", o.level),
            },
        );
        cx.insert(
            "caption",
            &CaptionView {
                text: caption.lines.first().cloned().unwrap_or_default(),
                size: mm(caption.size),
                x: mm(qr_x + sizing.size_mm / 2.0),
                y: mm(qr_y + sizing.size_mm + caption.size * 1.15),
            },
        );
        cx.insert(
            "product",
            &ProductView {
                id: &p.id,
                name: &p.name,
                brand: p.brand.as_deref(),
                model: &p.model,
                gtin,
                sku: p.sku.as_deref(),
            },
        );
        cx.insert(
            "lot",
            &job.lot.map(|l| LotView {
                lot: &l.lot,
                made: l.made.display(),
                place: &l.place,
            }),
        );
        let m = &p.manufacturer;
        cx.insert(
            "maker",
            &MakerView {
                name: &m.name,
                address: m.address.join(", "),
                country: m.country.as_deref(),
                email: m.email.as_deref(),
            },
        );
        cx.insert("marks", &placed);
        cx.insert("marks_width", &mm(marks_width));
        cx.insert("marks_height", &marks_height);
        cx.insert("alert_symbol", &self.marks.get("safety-alert"));
        cx.insert("warnings", &warnings);
        cx.insert("certificates", &certificates);
        Ok(cx)
    }
}

/// Where a nested `<svg>` (a mark, the code) sits on the label, in mm: `[x, y, width,
/// height]`, when it and the groups around it are placed by plain attributes, as the
/// default theme draws them. `None` for anything placed otherwise (a transform), which
/// is left to the theme's author.
fn placed_box(n: &roxmltree::Node) -> Option<[f32; 4]> {
    if n.tag_name().name() != "svg" || n.has_attribute("transform") {
        return None;
    }
    for a in n.ancestors().skip(1) {
        if a.parent_element().is_none() {
            break;
        }
        if a.tag_name().name() != "g" || a.has_attribute("transform") {
            return None;
        }
    }
    // Plain numbers only (the label's mm); a length with units or a percentage is
    // placed otherwise, and left to the theme's author.
    let num = |k: &str, default: Option<f32>| match n.attribute(k) {
        Some(v) => v.trim().parse::<f32>().ok().filter(|v| v.is_finite()),
        None => default,
    };
    Some([
        num("x", Some(0.0))?,
        num("y", Some(0.0))?,
        num("width", None)?,
        num("height", None)?,
    ])
}

/// Each required mark the label places by attributes lies whole on the label, at least
/// as tall as the rules ask (`data-min-height-mm` of its artwork), clear of the QR code
/// and of the other marks: a narrow label must not print a mark cut off, shrunk below
/// its legal size or under the code.
fn check_placed(
    doc: &roxmltree::Document,
    marks: &[&Mark],
    layout: &Layout,
) -> Result<(), Failure> {
    // Drawing tolerance: a hundredth of a millimetre.
    const E: f32 = 0.01;
    let boxes: Vec<(&str, [f32; 4])> = doc
        .descendants()
        .filter_map(|n| {
            let what = n
                .attribute("data-mark")
                .or(n.has_attribute("data-qr-version").then_some("the QR code"))?;
            Some((what, placed_box(&n)?))
        })
        .collect();
    let overlap = |a: &[f32; 4], b: &[f32; 4]| {
        a[0] < b[0] + b[2] - E
            && b[0] < a[0] + a[2] - E
            && a[1] < b[1] + b[3] - E
            && b[1] < a[1] + a[3] - E
    };
    for m in marks {
        let Some((_, b)) = boxes.iter().find(|(id, _)| *id == m.id) else {
            continue;
        };
        let name = format!("the mark `{}`", m.id);
        // The artwork keeps its proportions inside the box (`xMidYMid meet`): a box
        // narrower than the mark draws it less tall than the box.
        let drawn = b[3].min(b[2] / m.aspect);
        if drawn + E < m.min_height {
            return Err(Failure::TooSmall(format!(
                "{name} is drawn {drawn:.1} mm tall, below the {:.1} mm its rules ask",
                m.min_height
            )));
        }
        if b[0] < -E
            || b[1] < -E
            || b[0] + b[2] > layout.label_w + E
            || b[1] + b[3] > layout.label_h + E
        {
            return Err(Failure::TooSmall(format!(
                "{name} ({:.1} × {:.1} mm) does not fit whole on a {} label ({:.1} × {:.1} mm)",
                b[2], b[3], layout.name, layout.label_w, layout.label_h
            )));
        }
        if let Some((other, _)) = boxes.iter().find(|(id, o)| *id != m.id && overlap(b, o)) {
            let other = if *other == "the QR code" {
                other.to_string()
            } else {
                format!("the mark `{other}`")
            };
            return Err(Failure::TooSmall(format!(
                "{name} overlaps {other} on a {} label ({:.1} × {:.1} mm)",
                layout.name, layout.label_w, layout.label_h
            )));
        }
    }
    Ok(())
}

#[derive(Serialize)]
pub struct Warning<'a> {
    pub text: &'a str,
    pub cite: &'a str,
    pub alert: bool,
}

#[derive(Serialize)]
struct PlacedMark<'a> {
    id: &'a str,
    view_box: &'a str,
    body: &'a str,
    height: f64,
    width: f64,
    /// From the left of the marks row (mm).
    offset: f64,
}

/// A length for a template: millimetres to 0.1 µm, so SVG attributes read `101.6`,
/// not the `101.5999984741211` of an f32 widened.
fn mm(x: f32) -> f64 {
    (f64::from(x) * 10_000.0).round() / 10_000.0
}

#[derive(Serialize)]
struct LabelView<'a> {
    width: f64,
    height: f64,
    margin: f64,
    sheet: &'a str,
    template: &'a str,
    dpi: u32,
}

#[derive(Serialize)]
struct QrView<'a> {
    x: f64,
    y: f64,
    size: f64,
    module: f64,
    dots: u32,
    view_box: String,
    /// The dark modules as filled rectangles (`fill`), and as row strokes (`stroke`,
    /// `stroke-width="1"`: a third of the bytes; what the default templates draw).
    path: String,
    rows: String,
    url: &'a str,
    version: i16,
    level: String,
}

#[derive(Serialize)]
struct CaptionView {
    text: String,
    size: f64,
    x: f64,
    y: f64,
}

#[derive(Serialize)]
struct ProductView<'a> {
    id: &'a str,
    name: &'a str,
    brand: Option<&'a str>,
    model: &'a str,
    gtin: Option<String>,
    sku: Option<&'a str>,
}

#[derive(Serialize)]
struct LotView<'a> {
    lot: &'a str,
    made: String,
    place: &'a str,
}

#[derive(Serialize)]
struct MakerView<'a> {
    name: &'a str,
    address: String,
    country: Option<&'a str>,
    email: Option<&'a str>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ce() -> Mark {
        Mark {
            id: "ce".into(),
            view_box: "0 0 14 10".into(),
            body: String::new(),
            min_height: 5.0,
            aspect: 1.4,
        }
    }

    /// A 50.8 × 25.4 mm label with the code at the left and the mark placed by `mark`.
    fn check(mark: &str) -> Result<(), Failure> {
        let svg = format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 50.8 25.4"><svg x="0.5" y="0.5" width="20" height="20" data-qr-version="3"/><g>{mark}</g></svg>"#
        );
        let doc = roxmltree::Document::parse(&svg).unwrap();
        check_placed(&doc, &[&ce()], sheets::find("roll-2x1").unwrap())
    }

    #[test]
    fn a_mark_must_be_whole_legal_size_and_clear_of_the_code() {
        assert!(check(r#"<svg x="43" y="20" width="7" height="5" data-mark="ce"/>"#).is_ok());
        let too_small = check(r#"<svg x="43" y="20" width="4.2" height="3" data-mark="ce"/>"#);
        assert!(
            matches!(&too_small, Err(Failure::TooSmall(m)) if m.contains("3.0 mm tall, below the 5.0 mm")),
            "{too_small:?}"
        );
        let off = check(r#"<svg x="47" y="20" width="7" height="5" data-mark="ce"/>"#);
        assert!(
            matches!(&off, Err(Failure::TooSmall(m)) if m.contains("does not fit whole on a roll-2x1 label")),
            "{off:?}"
        );
        let under = check(r#"<svg x="15" y="15" width="7" height="5" data-mark="ce"/>"#);
        assert!(
            matches!(&under, Err(Failure::TooSmall(m)) if m.contains("overlaps the QR code")),
            "{under:?}"
        );
        // A box of the right height but too narrow for the mark's proportions.
        let narrow = check(r#"<svg x="43" y="20" width="4.2" height="5" data-mark="ce"/>"#);
        assert!(
            matches!(&narrow, Err(Failure::TooSmall(m)) if m.contains("3.0 mm tall")),
            "{narrow:?}"
        );
        // Lengths with units are the theme's own placement.
        assert!(check(r#"<svg x="45mm" y="20" width="7" height="5" data-mark="ce"/>"#).is_ok());
        // Placed by a transform: the theme's author answers for it.
        assert!(
            check(r#"<g transform="scale(2)"><svg x="15" y="15" width="7" height="5" data-mark="ce"/></g>"#)
                .is_ok()
        );
    }
}
