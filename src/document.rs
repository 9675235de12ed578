//! A paged document set in the bundled fonts: headings, paragraphs, label–value facts
//! and tables, wrapped to the page and broken across pages, then written as a PDF by the
//! same writer as labels (text selectable, fonts embedded as subsets, byte-identical
//! from the same input). Certificate PDFs are made with it.
//!
//! Each page is laid out in millimetres as text runs in the bundled fonts
//! ([`crate::label::text::line`]) and filled rectangles (rules, the QR code's modules),
//! written straight into the PDF; only images (and text the fonts cannot set) are SVG
//! artwork, converted by svg2pdf.

use crate::label::font::{Face, Fonts, wrap};
use crate::label::pdf::{self, Drawn, Fill};
use crate::label::text::{self, Run};

/// A paper size, in millimetres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Paper {
    pub name: &'static str,
    pub width: f32,
    pub height: f32,
}

pub const A4: Paper = Paper {
    name: "A4",
    width: 210.0,
    height: 297.0,
};

pub const LETTER: Paper = Paper {
    name: "US Letter",
    width: 215.9,
    height: 279.4,
};

/// Millimetres per typographic point.
const PT: f32 = 25.4 / 72.0;
/// Page margin on every side (mm).
const MARGIN: f32 = 18.0;
/// Room kept at the foot of each page for its footer line (mm).
const FOOT: f32 = 8.0;
/// Line height over type size.
const LEADING: f32 = 1.3;
/// Width of the label column of [`Document::facts`] (mm).
const FACT_LABEL: f32 = 44.0;
/// Space between table columns (mm).
const GUTTER: f32 = 3.0;

/// How a run of text is set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Style {
    /// Type size in points.
    pub size: f32,
    pub bold: bool,
    /// Grey, for what is secondary (captions, notes, the footer).
    pub muted: bool,
}

pub const BODY: Style = Style {
    size: 9.5,
    bold: false,
    muted: false,
};
pub const STRONG: Style = Style { bold: true, ..BODY };
pub const SMALL: Style = Style {
    size: 8.0,
    bold: false,
    muted: true,
};
pub const HEADING: Style = Style {
    size: 11.0,
    bold: true,
    muted: false,
};
pub const TITLE: Style = Style {
    size: 17.0,
    bold: true,
    muted: false,
};

impl Style {
    fn mm(self) -> f32 {
        self.size * PT
    }

    fn line(self) -> f32 {
        self.mm() * LEADING
    }

    fn face(self, fonts: &Fonts) -> &Face {
        if self.bold {
            &fonts.bold
        } else {
            &fonts.regular
        }
    }
}

/// `&`, `<`, `>` and quotes escaped for SVG text and attributes; a character XML 1.0
/// cannot hold (controls, U+FFFE, U+FFFF) becomes a space: record text is anything a
/// seller typed, and a PDF that cannot be made would fail every later build (issued
/// versions are re-made from the ledger).
fn xml(text: &str) -> String {
    let held: String = text
        .chars()
        .map(|c| if xml_char(c) { c } else { ' ' })
        .collect();
    crate::html::escape(&held)
}

/// XML 1.0's `Char` production, without tab and line breaks (a line of text is one line).
fn xml_char(c: char) -> bool {
    matches!(c, '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// A number for SVG, to a hundredth of a millimetre (so output does not depend on
/// float noise in the last digits).
fn n(v: f32) -> String {
    let r = (v * 100.0).round() / 100.0;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r}")
    }
}

/// The grey of rules (#999999).
const RULE_GREY: f32 = 0.6;

/// A number rounded to a hundredth of a millimetre, as [`n`] writes it (so output does
/// not depend on float noise in the last digits).
fn hundredth(v: f32) -> f32 {
    (v * 100.0).round() / 100.0
}

/// One page as it is laid out. Its artwork (rectangles, images) is drawn before its
/// text, so that nothing is painted over text.
#[derive(Default)]
struct Sheet {
    /// Rules and the QR code's modules.
    fills: Vec<Fill>,
    /// Text set in the bundled fonts.
    runs: Vec<Run>,
    /// SVG elements only svg2pdf draws: images, and text the bundled fonts cannot set.
    art: String,
}

impl Sheet {
    fn is_empty(&self) -> bool {
        self.fills.is_empty() && self.runs.is_empty() && self.art.is_empty()
    }

    /// Where it has got to: what a heading moved to the next page truncates it to.
    fn mark(&self) -> (usize, usize, usize) {
        (self.fills.len(), self.runs.len(), self.art.len())
    }

    fn truncate(&mut self, (fills, runs, art): (usize, usize, usize)) {
        self.fills.truncate(fills);
        self.runs.truncate(runs);
        self.art.truncate(art);
    }

    /// `line` in `style`, its baseline at `baseline` mm from the top and starting `x` mm
    /// from the left.
    fn text(&mut self, fonts: &Fonts, x: f32, baseline: f32, line: &str, style: Style) {
        let held: String = line
            .chars()
            .map(|c| if xml_char(c) { c } else { ' ' })
            .collect();
        let fill = if style.muted { [0x55; 3] } else { [0; 3] };
        let (x, baseline, size) = (hundredth(x), hundredth(baseline), hundredth(style.mm()));
        match text::line(fonts, x, baseline, size, style.bold, fill, &held) {
            Some(runs) => self.runs.extend(runs),
            // A character the fonts lack: drawn by usvg, as an SVG text element.
            None => self.art.push_str(&format!(
                "<text x=\"{}\" y=\"{}\" font-size=\"{}\"{}{}>{}</text>\n",
                n(x),
                n(baseline),
                n(size),
                if style.bold {
                    " font-weight=\"bold\""
                } else {
                    ""
                },
                if style.muted { " fill=\"#555555\"" } else { "" },
                xml(line)
            )),
        }
    }
}

/// A document being laid out.
pub struct Document<'f> {
    fonts: &'f Fonts,
    paper: Paper,
    /// Finished pages.
    pages: Vec<Sheet>,
    /// The current page.
    sheet: Sheet,
    /// Top of the next line (mm from the page's top).
    y: f32,
    /// Width taken from the right of the text column until `y` passes the given depth
    /// (the QR code at the top of the first page).
    reserved: Option<(f32, f32)>,
    /// The heading just set, while nothing has followed it: if what follows does not
    /// fit on this page, the heading moves to the next page with it, so a heading never
    /// ends a page.
    pending: Option<Pending>,
}

/// A heading set at the end of the current text, and where its text begins.
struct Pending {
    lines: Vec<String>,
    style: Style,
    /// Where the heading begins on the page ([`Sheet::mark`]), and its top.
    mark: (usize, usize, usize),
    top: f32,
}

impl<'f> Document<'f> {
    pub fn new(fonts: &'f Fonts, paper: Paper) -> Self {
        Document {
            fonts,
            paper,
            pages: Vec::new(),
            sheet: Sheet::default(),
            y: MARGIN,
            reserved: None,
            pending: None,
        }
    }

    fn left(&self) -> f32 {
        MARGIN
    }

    /// The text column's width at the current line.
    fn width(&self) -> f32 {
        let full = self.paper.width - 2.0 * MARGIN;
        match self.reserved {
            Some((w, until)) if self.y < until => full - w,
            _ => full,
        }
    }

    fn bottom(&self) -> f32 {
        self.paper.height - MARGIN - FOOT
    }

    /// Starts a new page unless `height` more fits on this one (a block taller than a
    /// page starts at the top of one and runs on).
    fn room(&mut self, height: f32) {
        if self.y + height > self.bottom() && self.y > MARGIN + 0.01 {
            // A heading that starts its page stays: moving it would leave a blank page.
            let heading = self.pending.take().filter(|h| h.top > MARGIN + 0.01);
            if let Some(h) = &heading {
                self.sheet.truncate(h.mark);
            }
            self.new_page();
            if let Some(h) = heading {
                self.set_heading(&h.lines, h.style);
            }
        }
    }

    fn new_page(&mut self) {
        self.pages.push(std::mem::take(&mut self.sheet));
        self.y = MARGIN;
        self.reserved = None;
    }

    fn text(&mut self, x: f32, top: f32, line: &str, style: Style) {
        // Something follows the heading: it stays where it is.
        self.pending = None;
        // The baseline sits about 0.8 em below the line's top, the rest is leading.
        let baseline = top + style.mm() * 0.95;
        self.sheet.text(self.fonts, x, baseline, line, style);
    }

    fn lines(&self, text: &str, width: f32, style: Style) -> Vec<String> {
        text.split('\n')
            .flat_map(|para| {
                let lines = wrap(style.face(self.fonts), para, width, style.mm());
                if lines.is_empty() {
                    vec![String::new()]
                } else {
                    lines
                }
            })
            .collect()
    }

    /// Keeps `width` mm at the right of the column free down to `depth` mm from the top
    /// of this page (for art placed there with [`Document::art`]).
    pub fn reserve_right(&mut self, width: f32, depth: f32) {
        self.reserved = Some((width, depth));
    }

    /// A paragraph of `text` (a `\n` starts a new line), wrapped to the column.
    pub fn paragraph(&mut self, text: &str, style: Style) {
        for line in self.lines(text, self.width(), style) {
            self.room(style.line());
            let (x, y) = (self.left(), self.y);
            self.text(x, y, &line, style);
            self.y += style.line();
        }
        self.y += style.mm() * 0.5;
    }

    /// A heading, kept on the page with what follows it: at least two lines of it, and
    /// whatever the next block must start with (a table's caption, headings and first
    /// row), as the block itself asks for room.
    pub fn heading(&mut self, text: &str, style: Style) {
        let lines = self.lines(text, self.width(), style);
        self.room(lines.len() as f32 * style.line() + 2.0 * BODY.line() + 2.0);
        let (mark, top) = (self.sheet.mark(), self.y);
        self.set_heading(&lines, style);
        self.pending = Some(Pending {
            lines,
            style,
            mark,
            top,
        });
    }

    fn set_heading(&mut self, lines: &[String], style: Style) {
        self.y += style.mm() * 0.4;
        for line in lines {
            let (x, y) = (self.left(), self.y);
            self.text(x, y, line, style);
            self.y += style.line();
        }
        self.y += 0.8;
    }

    /// Label–value rows: the label in its column, the value wrapped beside it (a value's
    /// `\n` starts a new line).
    pub fn facts(&mut self, rows: &[(&str, String)]) {
        for (label, value) in rows {
            let label_lines = self.lines(label, FACT_LABEL - GUTTER, SMALL);
            let value_w = self.width() - FACT_LABEL;
            // One word (a hash, a URL, a number) is set smaller to stay on one line, as
            // it is copied whole; down to 6 pt, then broken.
            let mut style = BODY;
            if !value.contains(char::is_whitespace) {
                let w = self.fonts.regular.width(value, BODY.mm());
                if w > value_w {
                    style.size = (BODY.size * value_w / w * 0.99).max(6.0);
                }
            }
            let value_lines = self.lines(value, value_w, style);
            let lines = label_lines.len().max(value_lines.len());
            // A row is kept on one page when a page can hold it; a longer one (a long
            // description) runs on line by line, never off the page.
            self.keep(lines as f32 * style.line().max(BODY.line()));
            let x = self.left();
            for i in 0..lines {
                self.room(style.line().max(BODY.line()));
                let y = self.y;
                if let Some(l) = label_lines.get(i) {
                    // Set on the value's baseline grid, in the smaller type.
                    self.text(x, y + 0.5, l, SMALL);
                }
                if let Some(l) = value_lines.get(i) {
                    self.text(x + FACT_LABEL, y, l, style);
                }
                self.y += style.line().max(BODY.line());
            }
            self.y += 0.6;
        }
        self.y += 1.0;
    }

    /// Starts a new page for a block `height` tall that does not fit on this one but
    /// fits on a page; a taller block starts here and is broken by its lines.
    fn keep(&mut self, height: f32) {
        if height <= self.bottom() - MARGIN {
            self.room(height);
        }
    }

    /// A list, one wrapped item after another, each after a bullet.
    pub fn list(&mut self, items: &[String], style: Style) {
        let indent = 4.0;
        for item in items {
            let lines = self.lines(item, self.width() - indent, style);
            self.room(style.line().min(lines.len() as f32 * style.line()));
            let (x, y) = (self.left(), self.y);
            self.text(x + 0.8, y, "•", style);
            for (i, l) in lines.iter().enumerate() {
                if i > 0 {
                    self.room(style.line());
                }
                let y = self.y;
                self.text(x + indent, y, l, style);
                self.y += style.line();
            }
            self.y += 0.4;
        }
        self.y += 1.0;
    }

    /// A table under a small `caption`: `columns` are the headings and each column's
    /// share of the width; each row's cells are wrapped; the headings are repeated on a
    /// new page. It starts on a page that holds its caption, headings and first row.
    pub fn table(&mut self, caption: &str, columns: &[(&str, f32)], rows: &[Vec<String>]) {
        let total: f32 = columns.iter().map(|(_, share)| share).sum();
        let width = self.width();
        let widths: Vec<f32> = columns
            .iter()
            .map(|(_, share)| width * share / total)
            .collect();
        let header: Vec<String> = columns.iter().map(|(h, _)| h.to_string()).collect();
        let caption_lines = self.lines(caption, width, SMALL);
        let row_height = |d: &Self, row: &[String], style: Style| {
            row.iter()
                .zip(&widths)
                .map(|(c, w)| d.lines(c, w - GUTTER, style).len())
                .max()
                .unwrap_or(1) as f32
                * style.line()
        };
        let start = caption_lines.len() as f32 * SMALL.line()
            + SMALL.mm() * 0.5
            + row_height(self, &header, SMALL)
            + 1.4
            + rows.first().map_or(0.0, |r| row_height(self, r, BODY));
        self.keep(start);
        for line in caption_lines {
            let (x, y) = (self.left(), self.y);
            self.text(x, y, &line, SMALL);
            self.y += SMALL.line();
        }
        self.y += SMALL.mm() * 0.5;
        self.table_row(&header, &widths, SMALL, true);
        for row in rows {
            let cells: Vec<Vec<String>> = row
                .iter()
                .zip(&widths)
                .map(|(c, w)| self.lines(c, w - GUTTER, BODY))
                .collect();
            let lines = cells.iter().map(Vec::len).max().unwrap_or(1);
            let height = lines as f32 * BODY.line();
            // Kept on one page when a page holds it; a longer row runs on line by line,
            // the headings repeated on each new page.
            if self.y + height > self.bottom() && height <= self.bottom() - MARGIN - 8.0 {
                self.new_page();
                self.table_row(&header, &widths, SMALL, true);
            }
            for i in 0..lines {
                if self.y + BODY.line() > self.bottom() {
                    self.new_page();
                    self.table_row(&header, &widths, SMALL, true);
                }
                let line: Vec<Vec<String>> = cells
                    .iter()
                    .map(|c| c.get(i).cloned().into_iter().collect())
                    .collect();
                self.cells(&line, &widths, BODY);
                self.y += BODY.line();
            }
            self.y += 0.8;
            self.rule(0.15);
            self.y += 0.8;
        }
        self.y += 2.0;
    }

    fn table_row(&mut self, cells: &[String], widths: &[f32], style: Style, rule: bool) {
        let cells: Vec<Vec<String>> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| self.lines(c, w - GUTTER, style))
            .collect();
        let height = cells.iter().map(Vec::len).max().unwrap_or(1) as f32 * style.line();
        self.cells(&cells, widths, style);
        self.y += height + 0.6;
        if rule {
            self.rule(0.3);
            self.y += 0.8;
        }
    }

    fn cells(&mut self, cells: &[Vec<String>], widths: &[f32], style: Style) {
        let mut x = self.left();
        let y = self.y;
        for (lines, w) in cells.iter().zip(widths) {
            for (i, l) in lines.iter().enumerate() {
                self.text(x, y + i as f32 * style.line(), l, style);
            }
            x += w;
        }
    }

    /// A horizontal rule across the column at the current line.
    pub fn rule(&mut self, weight: f32) {
        self.sheet.fills.push(Fill {
            x: hundredth(self.left()),
            y: hundredth(self.y),
            width: hundredth(self.paper.width - 2.0 * MARGIN),
            height: hundredth(weight),
            grey: RULE_GREY,
        });
    }

    /// Space before what follows (mm).
    pub fn skip(&mut self, mm: f32) {
        self.y += mm;
    }

    /// QR `code` drawn at the top right of the column, `size` mm square with its quiet
    /// zone, on the current page; the text beside it is kept clear of it.
    pub fn code_top_right(&mut self, code: &crate::label::qr::Code, size: f32) {
        let (left, top) = (self.paper.width - MARGIN - size, self.y);
        let module = size / code.side() as f32;
        self.sheet
            .fills
            .extend(code.blocks().into_iter().map(|[x, y, w, h]| Fill {
                x: left + x as f32 * module,
                y: top + y as f32 * module,
                width: w as f32 * module,
                height: h as f32 * module,
                grey: 0.0,
            }));
        let depth = self.y + size + 2.0;
        self.reserve_right(size + 4.0, depth);
    }

    /// Moves below art placed with [`Document::code_top_right`], if the text is not
    /// already past it.
    pub fn clear_art(&mut self) {
        if let Some((_, depth)) = self.reserved.take() {
            self.y = self.y.max(depth);
        }
    }

    /// An image file's bytes (PNG, JPEG, GIF or SVG; svg2pdf embeds them) at most `max_w` ×
    /// `max_h` mm, its aspect kept, with a caption under it.
    pub fn image(
        &mut self,
        mime: &str,
        bytes: &[u8],
        size: (u32, u32),
        max: (f32, f32),
        caption: &str,
    ) {
        use base64::Engine as _;
        let (w, h) = (size.0.max(1) as f32, size.1.max(1) as f32);
        let scale = (max.0 / w).min(max.1 / h);
        let (iw, ih) = (w * scale, h * scale);
        self.room(ih + SMALL.line() + 2.0);
        let data = base64::engine::general_purpose::STANDARD.encode(bytes);
        self.sheet.art.push_str(&format!(
            "<image x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" href=\"data:{mime};base64,{data}\"/>\n",
            n(self.left()),
            n(self.y),
            n(iw),
            n(ih)
        ));
        self.y += ih + 1.0;
        self.paragraph(caption, SMALL);
    }

    /// The pages as SVG, each with `footer(page, pages)` at its foot.
    fn pages(mut self, footer: impl Fn(usize, usize) -> String) -> Vec<Drawn> {
        if !self.sheet.is_empty() || self.pages.is_empty() {
            self.pages.push(std::mem::take(&mut self.sheet));
        }
        let count = self.pages.len();
        let (w, h) = (self.paper.width, self.paper.height);
        let foot = Style {
            muted: true,
            ..SMALL
        };
        self.pages
            .into_iter()
            .enumerate()
            .map(|(i, mut sheet)| {
                sheet.text(self.fonts, MARGIN, h - MARGIN, &footer(i + 1, count), foot);
                let art = (!sheet.art.is_empty()).then(|| {
                    format!(
                        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}mm\" height=\"{h}mm\" viewBox=\"0 0 {w} {h}\" font-family=\"DejaVu Sans\">\n{}</svg>\n",
                        sheet.art
                    )
                });
                Drawn {
                    width_mm: w,
                    height_mm: h,
                    fills: sheet.fills,
                    runs: sheet.runs,
                    art,
                }
            })
            .collect()
    }

    /// The document as a PDF, `footer(page, pages)` at the foot of each page.
    pub fn pdf(self, footer: impl Fn(usize, usize) -> String) -> Result<Vec<u8>, String> {
        let fonts = self.fonts;
        pdf::drawn(&self.pages(footer), fonts, &fonts.usvg_options())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fonts() -> Fonts {
        Fonts::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default/fonts"))
            .unwrap()
    }

    /// Each page's text, a run per line.
    fn texts(pages: &[Drawn]) -> Vec<String> {
        pages
            .iter()
            .map(|p| {
                p.runs
                    .iter()
                    .map(|r| r.text.as_str())
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .collect()
    }

    #[test]
    fn all_text_is_set_as_text_across_pages() {
        let fonts = fonts();
        let mut d = Document::new(&fonts, LETTER);
        let code = crate::label::qr::Code::encode(
            "https://certs.example/certificates/X-1/",
            crate::config::QrLevel::M,
        )
        .unwrap();
        d.code_top_right(&code, 30.0);
        d.paragraph("A title that is set in large type", TITLE);
        d.facts(&[("Number", "X-1".into()), ("Hash", "sha256:0123".into())]);
        d.clear_art();
        for i in 0..40 {
            d.heading(&format!("{i}. A heading"), HEADING);
            d.table(
                "Lots covered",
                &[("Lot", 1.0), ("Place", 2.0)],
                &[vec![
                    "L1".into(),
                    "A place that is long enough to wrap onto a second line of the cell, and more"
                        .into(),
                ]],
            );
        }
        let pages = d.pages(|p, n| format!("page {p} of {n}"));
        assert!(pages.len() > 2, "{}", pages.len());
        let n = pages.len();
        for (i, (page, text)) in pages.iter().zip(texts(&pages)).enumerate() {
            assert!(page.art.is_none(), "page {i}: artwork {:?}", page.art);
            assert!(text.ends_with(&format!("page {} of {n}", i + 1)), "{text}");
            // The footer is muted, the rest black; rules are grey.
            assert!(page.runs.iter().any(|r| r.fill == [0x55; 3]));
            assert!(page.fills.iter().any(|f| f.grey == RULE_GREY));
        }
        // The code's modules, on the first page only, inside its 30 mm square at the
        // top right, and dark where the code is.
        let dark: Vec<&Fill> = pages[0].fills.iter().filter(|f| f.grey == 0.0).collect();
        assert!(dark.len() > 20, "{}", dark.len());
        let left = LETTER.width - MARGIN - 30.0;
        let module = 30.0 / code.side() as f32;
        let q = crate::label::qr::QUIET_ZONE;
        let mut area = 0.0;
        for f in &dark {
            assert!(
                f.x >= left - 1e-3 && f.x + f.width <= LETTER.width - MARGIN + 1e-3,
                "{f:?}"
            );
            assert!(
                f.y >= MARGIN - 1e-3 && f.y + f.height <= MARGIN + 30.0 + 1e-3,
                "{f:?}"
            );
            let at = |v: f32, from: f32| ((v - from) / module).round() as usize;
            for y in at(f.y, MARGIN)..at(f.y + f.height, MARGIN) {
                for x in at(f.x, left)..at(f.x + f.width, left) {
                    assert!(code.is_dark(x - q, y - q), "{f:?}");
                }
            }
            area += f.width * f.height;
        }
        let count = (0..code.width)
            .flat_map(|y| (0..code.width).map(move |x| (x, y)))
            .filter(|&(x, y)| code.is_dark(x, y))
            .count();
        assert!(
            (area / (module * module) - count as f32).abs() < 0.5,
            "{area} {count}"
        );
        assert!(
            pages[1..]
                .iter()
                .all(|p| p.fills.iter().all(|f| f.grey != 0.0))
        );
    }

    #[test]
    fn text_longer_than_a_page_runs_on_and_is_never_cut() {
        let fonts = fonts();
        let long: String = (0..1500).map(|i| format!("word{i} ")).collect();
        let mut d = Document::new(&fonts, A4);
        d.facts(&[("Description", long.clone())]);
        d.table(
            "Lots covered",
            &[("Lot", 1.0), ("Place", 3.0)],
            &[vec!["L1".into(), long.clone()]],
        );
        let pages = d.pages(|_, _| String::new());
        let all = texts(&pages).join("\n");
        let words: Vec<&str> = all.split_whitespace().collect();
        for i in [0, 499, 1000, 1499] {
            let word = format!("word{i}");
            assert_eq!(
                words.iter().filter(|w| **w == word).count(),
                2,
                "word{i} once in the facts and once in the table"
            );
        }
        // Every line's baseline is on the page, above the foot.
        for page in &pages {
            for r in &page.runs {
                assert!(r.y <= A4.height - MARGIN + 0.01, "{}", r.y);
            }
        }
    }

    /// Wherever the page breaks, a heading and a table's caption and column headings
    /// are followed on their page by the table's first row: none ends a page.
    #[test]
    fn headings_and_captions_never_end_a_page() {
        let fonts = fonts();
        // Filler of every length moves the break through each line of the group.
        for filler in 0..60 {
            let mut d = Document::new(&fonts, LETTER);
            for _ in 0..filler {
                d.paragraph("filler", BODY);
            }
            d.heading("5. Date and place of manufacture", HEADING);
            d.table(
                "Lots covered",
                &[("Lot", 1.0), ("Place", 3.0)],
                &[vec!["L1-FIRST-ROW".into(), "Ningbo".into()]],
            );
            let pages = texts(&d.pages(|_, _| String::new()));
            let lines = |p: &String| p.lines().map(str::to_string).collect::<Vec<_>>();
            let page_of = |line: &str| {
                pages
                    .iter()
                    .position(|p| lines(p).iter().any(|l| l == line))
                    .unwrap_or_else(|| panic!("{line} not set"))
            };
            let row = page_of("L1-FIRST-ROW");
            for part in ["5. Date and place of manufacture", "Lots covered", "Lot"] {
                assert_eq!(page_of(part), row, "filler {filler}: {part}");
                assert_eq!(
                    pages
                        .iter()
                        .map(|p| lines(p).iter().filter(|l| *l == part).count())
                        .sum::<usize>(),
                    1,
                    "{part}"
                );
            }
        }
    }

    /// A heading at the top of a page followed by a block too tall for the rest of that
    /// page stays where it is: moving it would leave a page with nothing on it.
    #[test]
    fn a_heading_that_starts_a_page_is_not_moved_to_leave_it_blank() {
        let fonts = fonts();
        let mut d = Document::new(&fonts, LETTER);
        d.heading("1. Identification of the product covered", HEADING);
        let long: String = (0..420).map(|i| format!("word{i} ")).collect();
        d.facts(&[("Description", long)]);
        let pages = texts(&d.pages(|_, _| String::new()));
        assert!(pages[0].starts_with("1. Identification"), "{}", pages[0]);
        assert!(pages.iter().all(|p| p.contains("word")));
    }

    /// Text the bundled fonts cannot set is left to usvg as SVG text, never dropped.
    #[test]
    fn text_the_fonts_lack_is_drawn_as_artwork() {
        let fonts = fonts();
        let mut d = Document::new(&fonts, A4);
        d.paragraph("Made by 株式会社 & Co", BODY);
        d.paragraph("Plain", BODY);
        let pages = d.pages(|_, _| String::new());
        let art = pages[0].art.as_deref().unwrap();
        assert!(art.contains(">Made by 株式会社 &amp; Co</text>"), "{art}");
        assert_eq!(texts(&pages)[0], "Plain");
    }

    #[test]
    fn numbers_are_short_and_stable() {
        assert_eq!(n(18.0), "18");
        assert_eq!(n(3.352_777), "3.35");
        assert_eq!(xml("a < b & \"c\"\u{7}"), "a &lt; b &amp; &quot;c&quot; ");
        assert_eq!(xml("x\u{FFFE}\u{FFFF}\u{1F600}"), "x  \u{1F600}");
    }
}
