//! The theme's bundled fonts: loaded from bytes into the font database that renders
//! labels (no system fonts, so a label looks the same on every machine), and measured
//! here so label text can wrap and shrink to its box before it is drawn.

use resvg::tiny_skia;
use std::path::Path;
use std::sync::{Arc, OnceLock};

/// The families a label template may name, and their files in `themes/<name>/fonts/`.
pub const FACES: [(&str, &str); 2] = [
    ("regular", "DejaVuSans.ttf"),
    ("bold", "DejaVuSans-Bold.ttf"),
];

/// Characters below this are looked up in a table; others count as an `M` when measured.
const TABLE: u32 = 0x2C00;

/// The ligatures the bundled faces' `liga` feature forms for Latin text (and shapers
/// apply by default, as browsers and usvg do), longest first, by their code points.
const LIGATURES: [(&str, char); 5] = [
    ("ffi", '\u{FB03}'),
    ("ffl", '\u{FB04}'),
    ("ff", '\u{FB00}'),
    ("fi", '\u{FB01}'),
    ("fl", '\u{FB02}'),
];

/// Whether a shaper takes `text` for Latin script: its first letter of any script is
/// Latin (as HarfBuzz guesses a run's script), which is when `liga` applies.
pub fn latin(text: &str) -> bool {
    for c in text.chars() {
        match c as u32 {
            0x41..=0x5A
            | 0x61..=0x7A
            | 0xAA
            | 0xBA
            | 0xC0..=0xD6
            | 0xD8..=0xF6
            | 0xF8..=0x24F
            | 0x250..=0x2AF
            | 0x1E00..=0x1EFF => return true,
            0x370..=0x3FF | 0x400..=0x52F | 0x531..=0x58F | 0x1F00..=0x1FFF => return false,
            _ => {}
        }
    }
    false
}

/// One glyph of shaped text: its id, advance (font units) and the bytes of the text it
/// shows (a ligature shows several characters).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shaped {
    pub id: u16,
    pub advance: f32,
    pub start: usize,
    pub len: usize,
}

/// Characters that are one glyph each, set one after another: Latin, Greek, Cyrillic,
/// Armenian, punctuation, currency, letter-like symbols, arrows. Combining marks,
/// scripts that need shaping (Hebrew to Mongolian), controls and bidi marks are not:
/// text with them is measured as `M`s and drawn by usvg's shaper.
fn one_glyph_each(u: u32) -> bool {
    matches!(u,
        0x20..=0x7E | 0xA0..=0xAC | 0xAE..=0x2FF | 0x370..=0x482 | 0x48A..=0x58F | 0x1E00..=0x1FFF
        | 0x2000..=0x200A | 0x2010..=0x2027 | 0x2030..=0x205F | 0x2070..=0x20CF
        | 0x2100..=0x2BFF)
}

/// One bundled face: its bytes (embedded in PDFs), glyph ids and advances for the
/// characters labels use, and glyph outlines (drawn into PNGs), built when first used.
pub struct Face {
    pub data: Arc<Vec<u8>>,
    pub units_per_em: f32,
    /// Glyph id and advance (font units) of each char below `TABLE`; id 0 = none.
    glyphs: Vec<(u16, u16)>,
    fallback: f32,
    /// The ligatures the face has: characters, glyph id, advance.
    ligatures: Vec<(&'static str, u16, f32)>,
    /// Outlines in font units (y up), by glyph id.
    outlines: Vec<OnceLock<Option<tiny_skia::Path>>>,
}

impl Face {
    fn new(data: Vec<u8>, name: &str) -> Result<Face, String> {
        let face =
            ttf_parser::Face::parse(&data, 0).map_err(|e| format!("{name} is not a font: {e}"))?;
        let units_per_em = f32::from(face.units_per_em());
        let glyph = |c: char| {
            let id = face.glyph_index(c)?;
            Some((id.0, face.glyph_hor_advance(id)?))
        };
        let fallback = glyph('M').map_or(units_per_em * 0.6, |(_, a)| f32::from(a));
        let glyphs = (0..TABLE)
            .map(|u| {
                char::from_u32(u)
                    .filter(|_| one_glyph_each(u))
                    .and_then(glyph)
                    .unwrap_or((0, 0))
            })
            .collect();
        let ligatures = LIGATURES
            .iter()
            .filter_map(|&(text, c)| glyph(c).map(|(id, a)| (text, id, f32::from(a))))
            .collect();
        let outlines = (0..face.number_of_glyphs())
            .map(|_| OnceLock::new())
            .collect();
        Ok(Face {
            units_per_em,
            glyphs,
            fallback,
            ligatures,
            outlines,
            data: Arc::new(data),
        })
    }

    /// The glyph id and advance (font units) that draw `c`, if the face has one.
    pub fn glyph(&self, c: char) -> Option<(u16, f32)> {
        match self.glyphs.get(c as usize) {
            Some(&(id, advance)) if id != 0 => Some((id, f32::from(advance))),
            _ => None,
        }
    }

    /// Width of `text` set at `size` (any unit: the result is in the same one), shaped
    /// as one run (`shape`); characters the face lacks count as an `M`.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        let mut units = 0.0;
        self.shape(text, latin(text), |g| {
            units += g.map_or(self.fallback, |g| g.advance);
        });
        units / self.units_per_em * size
    }

    /// Sets `text`: each character its glyph, except where `liga` (when `ligatures`)
    /// joins several into one; `each` gets None for a character the face cannot set
    /// alone (which only usvg's shaper can).
    pub fn shape(&self, text: &str, ligatures: bool, mut each: impl FnMut(Option<Shaped>)) {
        let mut at = 0;
        while at < text.len() {
            let rest = &text[at..];
            let joined = if ligatures && rest.starts_with('f') {
                self.ligatures.iter().find(|l| rest.starts_with(l.0))
            } else {
                None
            };
            if let Some(&(chars, id, advance)) = joined {
                each(Some(Shaped {
                    id,
                    advance,
                    start: at,
                    len: chars.len(),
                }));
                at += chars.len();
                continue;
            }
            let c = rest.chars().next().expect("not at the end");
            each(self.glyph(c).map(|(id, advance)| Shaped {
                id,
                advance,
                start: at,
                len: c.len_utf8(),
            }));
            at += c.len_utf8();
        }
    }

    /// Glyph `id`'s outline in font units (y up); None for a blank glyph (a space).
    pub fn outline(&self, id: u16) -> Option<&tiny_skia::Path> {
        self.outlines
            .get(usize::from(id))?
            .get_or_init(|| {
                struct Builder(tiny_skia::PathBuilder);
                impl ttf_parser::OutlineBuilder for Builder {
                    fn move_to(&mut self, x: f32, y: f32) {
                        self.0.move_to(x, y);
                    }
                    fn line_to(&mut self, x: f32, y: f32) {
                        self.0.line_to(x, y);
                    }
                    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
                        self.0.quad_to(x1, y1, x, y);
                    }
                    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
                        self.0.cubic_to(x1, y1, x2, y2, x, y);
                    }
                    fn close(&mut self) {
                        self.0.close();
                    }
                }
                // Parsed once per glyph, the first time a label draws it.
                let face = ttf_parser::Face::parse(&self.data, 0).ok()?;
                let mut b = Builder(tiny_skia::PathBuilder::new());
                face.outline_glyph(ttf_parser::GlyphId(id), &mut b)?;
                b.0.finish()
            })
            .as_ref()
    }
}

/// The fonts: the database usvg renders with, and the faces that fit and draw text.
pub struct Fonts {
    pub db: Arc<resvg::usvg::fontdb::Database>,
    pub regular: Face,
    pub bold: Face,
}

impl Fonts {
    /// Loads the theme's fonts from `dir` (`themes/<name>/fonts`).
    /// The fonts of the theme in `theme_dir` (its `fonts/` folder), read as every site
    /// file is: not through a link, not from a FIFO.
    pub fn for_theme(
        root: &Path,
        theme_dir: &Path,
    ) -> Result<Fonts, crate::diagnostic::Diagnostic> {
        let dir = theme_dir.join("fonts");
        for (_, file) in FACES {
            crate::source::open(root, &dir.join(file))
                .map_err(crate::diagnostic::Diagnostic::config)?;
        }
        Fonts::load(&dir).map_err(|m| {
            crate::diagnostic::Diagnostic::error(
                "label-template",
                crate::source::relative(root, theme_dir),
                m,
            )
            .config()
        })
    }

    pub fn load(dir: &Path) -> Result<Fonts, String> {
        let mut db = resvg::usvg::fontdb::Database::new();
        let mut faces = Vec::new();
        for (_, file) in FACES {
            let path = dir.join(file);
            let bytes = std::fs::read(&path)
                .map_err(|e| format!("cannot read the label font {}: {e}", path.display()))?;
            let face = Face::new(bytes, &path.display().to_string())?;
            db.load_font_source(resvg::usvg::fontdb::Source::Binary(face.data.clone()));
            // `sans-serif` names the bundled family in usvg as it does here.
            db.set_sans_serif_family("DejaVu Sans");
            faces.push(face);
        }
        let bold = faces.pop().expect("two faces");
        let regular = faces.pop().expect("two faces");
        Ok(Fonts {
            db: Arc::new(db),
            regular,
            bold,
        })
    }

    /// Options for usvg that draw with these fonts only: the bundled family by default,
    /// at CSS's initial size as browsers (and `label::text`) have it, not usvg's 12.
    /// Options for reading the SVG certpress draws (labels, sheets, certificate PDF
    /// pages, and the images inside them). An `<image>` is read only from a `data:` URL:
    /// usvg's default would open any path an image names (an asset SVG of a record may
    /// name `/dev/zero` or a FIFO), and nothing certpress draws refers to a file.
    pub fn usvg_options(&self) -> resvg::usvg::Options<'static> {
        resvg::usvg::Options {
            fontdb: self.db.clone(),
            font_family: "DejaVu Sans".into(),
            font_size: super::text::DEFAULT_SIZE,
            image_href_resolver: resvg::usvg::ImageHrefResolver {
                resolve_data: resvg::usvg::ImageHrefResolver::default_data_resolver(),
                resolve_string: Box::new(|_, _| None),
            },
            ..Default::default()
        }
    }

    pub fn face(&self, bold: bool) -> &Face {
        if bold { &self.bold } else { &self.regular }
    }
}

/// Text set to fit a box: its font size and lines.
#[derive(serde::Serialize, Debug, PartialEq)]
pub struct Fitted {
    pub size: f32,
    pub lines: Vec<String>,
    /// False when even the smallest size needed more lines than allowed; the last line
    /// then ends in an ellipsis. Label builders treat this as an error for texts that
    /// must be complete (warnings).
    pub complete: bool,
}

/// Breaks `text` into lines no wider than `width` at `size`; a word longer than a line
/// is broken by characters.
pub fn wrap(m: &Face, text: &str, width: f32, size: f32) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if m.width(&candidate, size) <= width {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        // The word alone: split it where it must.
        for c in word.chars() {
            let mut next = line.clone();
            next.push(c);
            if m.width(&next, size) > width && !line.is_empty() {
                lines.push(std::mem::replace(&mut line, c.to_string()));
            } else {
                line = next;
            }
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Fits `text` into at most `max_lines` lines of `width`: at `size` if it can, else
/// shrinking in steps of 5 % down to `min_size`; at `min_size` the text is cut with an
/// ellipsis (and `complete` is false). Never wider than the box.
pub fn fit(m: &Face, text: &str, width: f32, size: f32, min_size: f32, max_lines: usize) -> Fitted {
    let max_lines = max_lines.max(1);
    let mut s = size;
    loop {
        let lines = wrap(m, text, width, s);
        if lines.len() <= max_lines {
            return Fitted {
                size: s,
                lines,
                complete: true,
            };
        }
        if s <= min_size {
            let mut lines = lines;
            lines.truncate(max_lines);
            let last = lines.last_mut().expect("at least one line");
            while !last.is_empty() && m.width(&format!("{last}…"), s) > width {
                last.pop();
            }
            last.push('…');
            return Fitted {
                size: s,
                lines,
                complete: false,
            };
        }
        s = (s * 0.95).max(min_size);
    }
}

/// One text block of a label's column, as a template asks for it.
#[derive(serde::Deserialize, Debug, Clone)]
pub struct Item {
    pub text: Option<String>,
    /// Preferred font size (mm).
    pub size: f32,
    /// Smallest font size allowed (mm).
    pub min: f32,
    #[serde(default = "one")]
    pub lines: usize,
    #[serde(default)]
    pub bold: bool,
    /// Must appear whole (a warning): the label is an error otherwise.
    #[serde(default)]
    pub required: bool,
    /// Space left before the text, e.g. for the safety-alert symbol (mm).
    #[serde(default)]
    pub indent: f32,
    /// Passed through to the template (e.g. `alert`).
    #[serde(default)]
    pub alert: bool,
}

fn one() -> usize {
    1
}

/// A block placed by [`stack`]. Lengths are f64 rounded to 0.1 µm, so templates write
/// `2.6`, not the `2.5999999046325684` of a widened f32.
#[derive(serde::Serialize, Debug)]
pub struct Block {
    /// Top of the block, from the top of the column (mm).
    pub y: f64,
    pub size: f64,
    /// Baseline-to-baseline distance (mm).
    pub line_height: f64,
    pub lines: Vec<String>,
    pub bold: bool,
    pub indent: f64,
    pub alert: bool,
    /// Height of the block (mm).
    pub height: f64,
}

fn mm(x: f32) -> f64 {
    (f64::from(x) * 10_000.0).round() / 10_000.0
}

/// Lines are set 1.2 times their size apart; blocks `gap` × size apart.
const LEADING: f32 = 1.2;

/// Lays `items` out top to bottom in a column `width` × `height` mm: every item at its
/// preferred size if they all fit, else all shrunk together (never below each one's
/// `min`); an item without text is skipped. Errors when a required item cannot be shown
/// whole, or the column cannot hold the items even at their smallest.
pub fn stack(
    fonts: &Fonts,
    items: &[Item],
    width: f32,
    height: f32,
    gap: f32,
) -> Result<Vec<Block>, String> {
    let items: Vec<&Item> = items
        .iter()
        .filter(|i| i.text.as_deref().is_some_and(|t| !t.trim().is_empty()))
        .collect();
    let mut scale = 1.0f32;
    loop {
        let mut blocks = Vec::new();
        let mut y = 0.0;
        let mut all_min = true;
        for item in &items {
            let text = item.text.as_deref().unwrap_or_default();
            let metrics = if item.bold {
                &fonts.bold
            } else {
                &fonts.regular
            };
            let size = (item.size * scale).max(item.min);
            all_min &= size <= item.min;
            let fitted = fit(
                metrics,
                text,
                width - item.indent,
                size,
                item.min,
                item.lines,
            );
            if item.required && !fitted.complete {
                return Err(format!(
                    "“{text}” does not fit in {} lines of {:.1} mm at {:.1} mm type",
                    item.lines,
                    width - item.indent,
                    item.min
                ));
            }
            let h = fitted.lines.len() as f32 * fitted.size * LEADING;
            blocks.push(Block {
                y: mm(y),
                size: mm(fitted.size),
                line_height: mm(fitted.size * LEADING),
                lines: fitted.lines,
                bold: item.bold,
                indent: mm(item.indent),
                alert: item.alert,
                height: mm(h),
            });
            y += h + gap * fitted.size;
        }
        let used = blocks.last().map_or(0.0, |b| (b.y + b.height) as f32);
        if used <= height + 1e-3 {
            return Ok(blocks);
        }
        if all_min {
            return Err(format!(
                "the label's text needs {used:.1} mm of height even at its smallest type, and the label leaves {height:.1} mm"
            ));
        }
        scale *= 0.95;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fonts() -> Fonts {
        Fonts::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default/fonts")).unwrap()
    }

    #[test]
    fn widths_scale_with_size() {
        let f = fonts();
        let w = f.regular.width("Rainbow Stacking Rings", 10.0);
        assert!(w > 80.0 && w < 140.0, "{w}");
        assert!(
            (f.regular.width("Rainbow", 20.0) - 2.0 * f.regular.width("Rainbow", 10.0)).abs()
                < 1e-3
        );
        assert!(f.bold.width("Rainbow", 10.0) > f.regular.width("Rainbow", 10.0));
    }

    #[test]
    fn long_text_wraps_then_shrinks_never_overflows() {
        let f = fonts();
        let text = "Woodland Party Balloons with an extraordinarily long descriptive name";
        let one = fit(&f.regular, "Short", 30.0, 3.0, 1.5, 2);
        assert_eq!((one.size, one.lines.len(), one.complete), (3.0, 1, true));
        let fitted = fit(&f.regular, text, 30.0, 3.0, 1.5, 2);
        assert!(fitted.lines.len() <= 2);
        for l in &fitted.lines {
            assert!(f.regular.width(l, fitted.size) <= 30.0, "{l}");
        }
        let cut = fit(&f.regular, text, 10.0, 3.0, 2.5, 1);
        assert!(!cut.complete && cut.lines[0].ends_with('…'));
        assert!(f.regular.width(&cut.lines[0], cut.size) <= 10.0);
    }

    fn item(text: &str, size: f32, required: bool) -> Item {
        Item {
            text: Some(text.into()),
            size,
            min: size / 2.0,
            lines: 2,
            bold: false,
            required,
            indent: 0.0,
            alert: false,
        }
    }

    #[test]
    fn a_stack_shrinks_to_its_column_or_says_it_cannot() {
        let f = fonts();
        let items = [
            item("Rainbow Stacking Rings", 3.0, false),
            item("Model LO-RS-01", 2.0, false),
        ];
        let roomy = stack(&f, &items, 40.0, 30.0, 0.3).unwrap();
        assert_eq!(roomy[0].size, 3.0);
        let tight = stack(&f, &items, 40.0, 6.0, 0.3).unwrap();
        assert!(tight[0].size < 3.0);
        let last = tight.last().unwrap();
        assert!(last.y + last.height <= 6.0 + 1e-3);
        assert_eq!(roomy[0].size, 3.0);
        let warning = [item(
            "WARNING: CHOKING HAZARD—Small parts. Not for children under 3 yrs.",
            2.0,
            true,
        )];
        assert!(
            stack(&f, &warning, 8.0, 20.0, 0.3)
                .unwrap_err()
                .contains("does not fit")
        );
        assert!(
            stack(&f, &items, 40.0, 1.0, 0.3)
                .unwrap_err()
                .contains("needs")
        );
    }
}
