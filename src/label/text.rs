//! Label text, taken out of the label's SVG and drawn by certpress itself: into PNGs as
//! glyph outlines (tiny-skia, as resvg would), into PDFs as real text in the bundled
//! fonts, embedded once per document.
//!
//! Why: usvg lays out every `<text>` with a full shaper and converts each glyph to a
//! path, parsing the font four times per glyph, even when svg2pdf then embeds the text
//! as text. That was four fifths of the time a 1,000-page sheet took. Label text is
//! simple (horizontal lines in one family, fitted by `font::stack` with the same
//! shaping used here: a glyph per character, and the faces' `fi`-style ligatures in
//! Latin text), so it is set here exactly as wide as it was measured, without kerning.
//!
//! A `<text>` this does not reproduce faithfully — other fonts, transforms, strokes,
//! opacity, `dx`, letter spacing, scripts that need shaping, or artwork painted over it
//! later in the SVG — stays in the SVG for usvg to draw (slower, same result); CSS or
//! `<use>` anywhere leaves the whole label to usvg.

use super::font::{self, Fonts};
use resvg::usvg::roxmltree::{Document, Node};

const SVG_NS: &str = "http://www.w3.org/2000/svg";

/// One glyph of a run: its id, its offset from the run's start (mm), and the bytes of
/// the run's text it shows (several for a ligature).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Glyph {
    pub id: u16,
    pub x: f32,
    pub start: u32,
    pub len: u32,
}

/// Glyphs set on one baseline in one style.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub bold: bool,
    /// Font size (mm).
    pub size: f32,
    /// Start of the baseline (mm from the label's top left).
    pub x: f32,
    pub y: f32,
    /// Advance width of the whole run (mm).
    pub width: f32,
    pub fill: [u8; 3],
    pub text: String,
    pub glyphs: Vec<Glyph>,
}

impl Run {
    /// The characters it shows.
    pub fn text(&self) -> String {
        self.text.clone()
    }

    /// The characters glyph `g` shows.
    pub fn chars(&self, g: &Glyph) -> &str {
        &self.text[g.start as usize..(g.start + g.len) as usize]
    }

    /// The same run moved by (`dx`, `dy`) mm.
    pub fn moved(&self, dx: f32, dy: f32) -> Run {
        Run {
            x: self.x + dx,
            y: self.y + dy,
            ..self.clone()
        }
    }

    /// Its box (mm): the advance across, an em above the baseline and a third below.
    fn bounds(&self) -> [f32; 4] {
        [
            self.x,
            self.y - self.size,
            self.x + self.width,
            self.y + self.size / 3.0,
        ]
    }
}

/// A label split for drawing: its SVG without the text certpress draws, and that text.
#[derive(Debug, Clone)]
pub struct Lettered {
    pub artwork: String,
    pub runs: Vec<Run>,
}

impl Lettered {
    /// The SVG left whole, all of it drawn by usvg.
    fn whole(svg: &str) -> Lettered {
        Lettered {
            artwork: svg.to_string(),
            runs: Vec::new(),
        }
    }
}

/// Splits `svg`, a label drawn `width_mm` × `height_mm`, into artwork and text runs in
/// millimetres; text it cannot show as usvg would stays in the artwork. An SVG that is
/// not well-formed XML is an error.
pub fn split(svg: &str, fonts: &Fonts, width_mm: f32, height_mm: f32) -> Result<Lettered, String> {
    let doc = Document::parse(svg).map_err(|e| format!("the label SVG does not parse: {e}"))?;
    Ok(take_text(&doc, svg, fonts, width_mm, height_mm).unwrap_or_else(|| Lettered::whole(svg)))
}

/// Maps a user-space point to label millimetres: uniform scale, then offset.
#[derive(Debug, Clone, Copy)]
struct Place {
    scale: f32,
    dx: f32,
    dy: f32,
}

impl Place {
    fn then(self, inner: Place) -> Place {
        Place {
            scale: self.scale * inner.scale,
            dx: self.dx + self.scale * inner.dx,
            dy: self.dy + self.scale * inner.dy,
        }
    }

    fn rect(self, x: f32, y: f32, w: f32, h: f32) -> [f32; 4] {
        [
            self.dx + self.scale * x,
            self.dy + self.scale * y,
            self.dx + self.scale * (x + w),
            self.dy + self.scale * (y + h),
        ]
    }
}

/// The inherited properties text uses (SVG initial values by default).
#[derive(Debug, Clone, Copy)]
struct Style {
    size: f32,
    bold: bool,
    anchor: Anchor,
    fill: Option<[u8; 3]>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Anchor {
    Start,
    Middle,
    End,
}

/// The initial font size: CSS `medium`, as browsers have it (the printer's usvg options
/// say the same).
pub const DEFAULT_SIZE: f32 = 16.0;

impl Default for Style {
    fn default() -> Self {
        Style {
            size: DEFAULT_SIZE,
            bold: false,
            anchor: Anchor::Start,
            fill: Some([0, 0, 0]),
        }
    }
}

fn number(s: &str) -> Option<f32> {
    s.trim().parse::<f32>().ok().filter(|v| v.is_finite())
}

/// A length with no unit or `px`, or in `mm`, as px (96 dpi, as usvg reads it).
pub fn length(s: &str) -> Option<f32> {
    let s = s.trim();
    if let Some(mm) = s.strip_suffix("mm") {
        return number(mm).map(|v| v * 96.0 / 25.4);
    }
    number(s.strip_suffix("px").unwrap_or(s))
}

fn colour(s: &str) -> Option<Option<[u8; 3]>> {
    let s = s.trim();
    let hex = |h: &str| u8::from_str_radix(h, 16).ok();
    Some(Some(match s {
        "none" => return Some(None),
        "black" => [0, 0, 0],
        "white" => [255, 255, 255],
        _ => {
            let h = s.strip_prefix('#')?;
            if !h.is_ascii() {
                return None;
            }
            match h.len() {
                3 => {
                    let d = |i: usize| hex(&h[i..=i]).map(|v| v * 17);
                    [d(0)?, d(1)?, d(2)?]
                }
                6 => [hex(&h[0..2])?, hex(&h[2..4])?, hex(&h[4..6])?],
                _ => return None,
            }
        }
    }))
}

/// The element's own text properties applied over `inherited`; None if it sets one
/// this module does not reproduce.
fn style(node: Node, inherited: Style, extra: &[&str]) -> Option<Style> {
    let mut s = inherited;
    for a in node.attributes() {
        if a.namespace().is_some() {
            return None; // xml:space, xlink:href (namespace declarations are not attributes)
        }
        let v = a.value();
        match a.name() {
            "font-size" => s.size = number(v).filter(|&v| v > 0.0)?,
            "font-weight" => {
                // usvg reads exactly these; the closest of the two faces, as fontdb picks.
                s.bold = match v {
                    "normal" | "100" | "200" | "300" | "400" | "500" => false,
                    "bold" | "600" | "700" | "800" | "900" => true,
                    _ => return None,
                }
            }
            "font-family" => {
                // Only the bundled family (as fontdb matches it, by exact name): any
                // other would be a different font in usvg.
                let first = v.split(',').next()?.trim().trim_matches(['"', '\'']);
                if first != "DejaVu Sans" && first != "sans-serif" {
                    return None;
                }
            }
            "text-anchor" => {
                s.anchor = match v.trim() {
                    "start" => Anchor::Start,
                    "middle" => Anchor::Middle,
                    "end" => Anchor::End,
                    _ => return None,
                }
            }
            "fill" => s.fill = colour(v)?,
            "id" | "class" | "shape-rendering" => {}
            n if n.starts_with("data-") || extra.contains(&n) => {}
            _ => return None,
        }
    }
    Some(s)
}

/// The placement an `<svg>` element gives its content (viewBox, `xMidYMid meet`).
fn viewport(node: Node, nested: bool) -> Option<Place> {
    if node
        .attribute("preserveAspectRatio")
        .is_some_and(|p| p.trim() != "xMidYMid meet" && p.trim() != "xMidYMid")
    {
        return None;
    }
    let (x, y) = if nested {
        (
            node.attribute("x").map_or(Some(0.0), length)?,
            node.attribute("y").map_or(Some(0.0), length)?,
        )
    } else {
        (0.0, 0.0)
    };
    let Some(vb) = node.attribute("viewBox") else {
        return Some(Place {
            scale: 1.0,
            dx: x,
            dy: y,
        });
    };
    let v: Vec<f32> = vb
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(number)
        .collect::<Option<_>>()?;
    let [vx, vy, vw, vh] = v[..] else {
        return None;
    };
    let w = length(node.attribute("width")?)?;
    let h = length(node.attribute("height")?)?;
    if vw <= 0.0 || vh <= 0.0 || w <= 0.0 || h <= 0.0 {
        return None;
    }
    let scale = (w / vw).min(h / vh);
    Some(Place {
        scale,
        dx: x + (w - vw * scale) / 2.0 - vx * scale,
        dy: y + (h - vh * scale) / 2.0 - vy * scale,
    })
}

/// The attributes an `<svg>` may have around text this module sets.
const SVG_ATTRIBUTES: [&str; 8] = [
    "x",
    "y",
    "width",
    "height",
    "viewBox",
    "version",
    "preserveAspectRatio",
    // Text is not clipped to nested viewports (text in one, in a mark, stays in it).
    "overflow",
];

/// Where `node` is placed and how it is styled by its ancestors, walking down from the
/// root through `<svg>` and `<g>` only; None for anything else (defs, clipPath, a, ...).
fn context(node: Node, label: Place) -> Option<(Place, Style)> {
    let mut chain: Vec<Node> = node
        .ancestors()
        .skip(1) // itself
        .filter(|n| n.is_element())
        .collect();
    chain.reverse();
    let mut place = label;
    let mut s = Style::default();
    for (i, n) in chain.iter().enumerate() {
        if n.has_tag_name((SVG_NS, "svg")) {
            place = place.then(viewport(*n, i > 0)?);
            s = style(*n, s, &SVG_ATTRIBUTES)?;
        } else if n.has_tag_name((SVG_NS, "g")) {
            s = style(*n, s, &[])?;
        } else {
            return None;
        }
    }
    Some((place, s))
}

/// One stretch of characters of a `<text>`: its style and any absolute position.
struct Piece {
    style: Style,
    x: Option<f32>,
    y: Option<f32>,
    text: String,
}

fn position(node: Node, name: &str) -> Option<Option<f32>> {
    // A list of positions (one per character) is not a single line: refused.
    node.attribute(name)
        .map(number)
        .map_or(Some(None), |v| v.map(Some))
}

/// The `<text>` element's pieces, in order, white space handled and positions on the
/// characters they apply to; None if it holds more than text and `<tspan>`s of text.
fn pieces(text: Node, inherited: Style) -> Option<Vec<Piece>> {
    let mut out = vec![];
    for child in text.children() {
        if child.is_text() {
            out.push(Piece {
                style: inherited,
                x: None,
                y: None,
                text: child.text().unwrap_or_default().to_string(),
            });
        } else if child.has_tag_name((SVG_NS, "tspan")) {
            let mut content = String::new();
            for t in child.children() {
                if t.is_element() {
                    return None;
                }
                if t.is_text() {
                    content.push_str(t.text().unwrap_or_default());
                }
            }
            out.push(Piece {
                style: style(child, inherited, &["x", "y"])?,
                x: position(child, "x")?,
                y: position(child, "y")?,
                text: content,
            });
        } else if child.is_element() {
            return None; // textPath, a, ...
        }
    }
    white_space(&mut out);
    // Positions belong to characters: the text's own to its first, and one on a
    // stretch left empty applies to nothing.
    out.retain(|p| !p.text.is_empty());
    let (x, y) = (position(text, "x")?, position(text, "y")?);
    if let Some(first) = out.first_mut() {
        first.x = first.x.or(x).or(Some(0.0));
        first.y = first.y.or(y).or(Some(0.0));
    }
    Some(out)
}

/// White space as usvg and browsers treat it by default: newlines and tabs are spaces,
/// leading and trailing spaces go, runs of spaces are one (across tspans).
fn white_space(out: &mut [Piece]) {
    let mut space = true;
    for p in out.iter_mut() {
        let mut t = String::with_capacity(p.text.len());
        for c in p.text.chars() {
            let c = if matches!(c, '\n' | '\r' | '\t') {
                ' '
            } else {
                c
            };
            if c == ' ' {
                if space {
                    continue;
                }
                space = true;
            } else {
                space = false;
            }
            t.push(c);
        }
        p.text = t;
    }
    if let Some(last) = out.iter_mut().rev().find(|p| !p.text.is_empty()) {
        while last.text.ends_with(' ') {
            last.text.pop();
        }
    }
}

/// One line of `text` set as an SVG `<text>` element with these attributes (in mm, the
/// baseline at `y`) would be by [`split`], without writing and parsing the SVG: the
/// runs, or None when the bundled fonts lack a character (usvg must draw it).
pub fn line(
    fonts: &Fonts,
    x: f32,
    y: f32,
    size: f32,
    bold: bool,
    fill: [u8; 3],
    text: &str,
) -> Option<Vec<Run>> {
    let mut pieces = [Piece {
        style: Style {
            size,
            bold,
            anchor: Anchor::Start,
            fill: Some(fill),
        },
        x: Some(x),
        y: Some(y),
        text: text.to_string(),
    }];
    white_space(&mut pieces);
    if pieces[0].text.is_empty() {
        return Some(Vec::new());
    }
    let mm = Place {
        scale: 1.0,
        dx: 0.0,
        dy: 0.0,
    };
    set(&pieces, fonts, mm)
}

/// The text of `doc` (parsed from `svg`) that this module sets, cut out of it; None
/// when the whole label is left to usvg.
fn take_text(
    doc: &Document,
    svg: &str,
    fonts: &Fonts,
    width_mm: f32,
    height_mm: f32,
) -> Option<Lettered> {
    let root = doc.root_element();
    if !root.has_tag_name((SVG_NS, "svg")) {
        return None;
    }
    // CSS and references could restyle or repeat text: left to usvg.
    if doc
        .descendants()
        .any(|n| n.has_tag_name((SVG_NS, "style")) || n.has_tag_name((SVG_NS, "use")))
    {
        return None;
    }
    // The root's viewport is drawn at the label's size.
    let (w, h) = (
        length(root.attribute("width")?)?,
        length(root.attribute("height")?)?,
    );
    let (kx, ky) = (width_mm / w, height_mm / h);
    if (kx - ky).abs() > kx * 1e-3 {
        return None;
    }
    let label = Place {
        scale: kx,
        dx: 0.0,
        dy: 0.0,
    };

    let mut runs = Vec::new();
    let mut cut: Vec<std::ops::Range<usize>> = Vec::new();
    for text in doc
        .descendants()
        .filter(|n| n.has_tag_name((SVG_NS, "text")))
    {
        let Some(set) = lettering(text, fonts, label) else {
            continue; // stays in the artwork
        };
        if painted_over(text, &set, label) {
            continue;
        }
        cut.push(text.range());
        runs.extend(set);
    }
    let mut artwork = String::with_capacity(svg.len());
    let mut at = 0;
    for r in cut {
        artwork.push_str(&svg[at..r.start]);
        at = r.end;
    }
    artwork.push_str(&svg[at..]);
    Some(Lettered { artwork, runs })
}

/// The runs that set `text`, or None if usvg must draw it.
fn lettering(text: Node, fonts: &Fonts, label: Place) -> Option<Vec<Run>> {
    let (place, inherited) = context(text, label)?;
    let s = style(text, inherited, &["x", "y"])?;
    set(&pieces(text, s)?, fonts, place)
}

/// Whether anything painted after `text` in the SVG may cover `runs` (which, drawn
/// above all the artwork, would then wrongly show through it). Later text is set the
/// same way; later nested `<svg>`s (the code, marks) cover only their viewport.
fn painted_over(text: Node, runs: &[Run], label: Place) -> bool {
    let end = text.range().end;
    let later = text
        .document()
        .descendants()
        .filter(|n| n.is_element() && n.range().start >= end);
    // Inside a nested svg already judged by its viewport.
    let mut skip_to = 0;
    for n in later {
        if n.range().start < skip_to {
            continue;
        }
        let name = n.tag_name();
        if name.namespace() != Some(SVG_NS) {
            return true;
        }
        match name.name() {
            "g" => {}
            "text" | "title" | "desc" | "metadata" | "defs" => skip_to = n.range().end,
            "svg" => {
                let rect = context(n, label).and_then(|(place, _)| {
                    let num = |a: &str| n.attribute(a).and_then(length);
                    Some(place.rect(
                        num("x").unwrap_or(0.0),
                        num("y").unwrap_or(0.0),
                        num("width")?,
                        num("height")?,
                    ))
                });
                let Some(r) = rect else {
                    return true;
                };
                let overlaps =
                    |b: [f32; 4]| b[0] < r[2] && r[0] < b[2] && b[1] < r[3] && r[1] < b[3];
                if runs.iter().any(|run| overlaps(run.bounds())) {
                    return true;
                }
                skip_to = n.range().end;
            }
            _ => return true,
        }
    }
    false
}

/// Sets `pieces` as runs: chunks (each starting at an absolute position) anchored as
/// their first piece says and shaped as usvg shapes a chunk (ligatures when the chunk
/// reads as Latin).
fn set(pieces: &[Piece], fonts: &Fonts, place: Place) -> Option<Vec<Run>> {
    // Chunks: each starts at a piece with a position.
    let mut chunks: Vec<&[Piece]> = Vec::new();
    let mut from = 0;
    for i in 1..=pieces.len() {
        if i == pieces.len() || pieces[i].x.is_some() || pieces[i].y.is_some() {
            chunks.push(&pieces[from..i]);
            from = i;
        }
    }
    let mut runs: Vec<Run> = Vec::new();
    let (mut pen_x, mut pen_y) = (0.0f32, 0.0f32);
    for chunk in chunks {
        let Some(first) = chunk.first() else {
            continue;
        };
        pen_x = first.x.unwrap_or(pen_x);
        pen_y = first.y.unwrap_or(pen_y);
        let start = pen_x;
        let whole: String = chunk.iter().map(|p| p.text.as_str()).collect();
        let ligatures = font::latin(&whole);
        // A ligature across two tspans is formed by the shaper over the whole chunk:
        // left to usvg.
        if ligatures
            && chunk
                .windows(2)
                .any(|w| w[0].text.ends_with('f') && w[1].text.starts_with(['f', 'i', 'l']))
        {
            return None;
        }
        let from = runs.len();
        for p in chunk {
            let face = fonts.face(p.style.bold);
            let k = p.style.size / face.units_per_em;
            let mut glyphs = Vec::with_capacity(p.text.len());
            let mut advance = 0.0f32;
            let mut missing = false;
            face.shape(&p.text, ligatures, |g| match g {
                Some(g) => {
                    glyphs.push(Glyph {
                        id: g.id,
                        x: advance * k * place.scale,
                        start: g.start as u32,
                        len: g.len as u32,
                    });
                    advance += g.advance;
                }
                None => missing = true,
            });
            if missing {
                return None;
            }
            // Invisible text still moves the pen and counts in its chunk's anchor.
            if let Some(fill) = p.style.fill {
                runs.push(Run {
                    bold: p.style.bold,
                    size: p.style.size * place.scale,
                    x: place.dx + place.scale * pen_x,
                    y: place.dy + place.scale * pen_y,
                    width: advance * k * place.scale,
                    fill,
                    text: p.text.clone(),
                    glyphs,
                });
            }
            pen_x += advance * k;
        }
        // The anchor moves the chunk, and where the next chunk carries on from.
        let shift = match first.style.anchor {
            Anchor::Start => 0.0,
            Anchor::Middle => (pen_x - start) / 2.0,
            Anchor::End => pen_x - start,
        };
        for r in &mut runs[from..] {
            r.x -= shift * place.scale;
        }
        pen_x -= shift;
    }
    Some(runs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fonts() -> Fonts {
        Fonts::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default/fonts"))
            .unwrap()
    }

    /// A 100 × 50 mm label whose user units are millimetres.
    fn label(body: &str) -> String {
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100mm\" height=\"50mm\" viewBox=\"0 0 100 50\" font-family=\"DejaVu Sans\"><rect width=\"100\" height=\"50\" fill=\"#fff\"/>{body}</svg>"
        )
    }

    fn close(a: f32, b: f32) -> bool {
        (a - b).abs() < 1e-3
    }

    /// `line` sets a line as `split` sets the same SVG `<text>`: the same runs.
    #[test]
    fn a_line_is_set_as_its_svg_text_would_be() {
        let f = fonts();
        for (text, bold, fill) in [
            ("Tom & Jerry", false, [0, 0, 0]),
            ("  office  fit, waffle — 3 µm ", true, [0x55; 3]),
            ("Zürich · 100 %", false, [0x55; 3]),
        ] {
            let svg = label(&format!(
                "<text x=\"12.5\" y=\"20.25\" font-size=\"3.53\"{}{}>{}</text>",
                if bold { " font-weight=\"bold\"" } else { "" },
                if fill == [0; 3] {
                    ""
                } else {
                    " fill=\"#555555\""
                },
                crate::html::escape(text)
            ));
            let want = split(&svg, &f, 100.0, 50.0).unwrap().runs;
            let got = line(&f, 12.5, 20.25, 3.53, bold, fill, text).unwrap();
            assert_eq!(got.len(), want.len(), "{text}");
            for (g, w) in got.iter().zip(&want) {
                assert_eq!((&g.text, g.bold, g.fill), (&w.text, w.bold, w.fill));
                assert!(
                    close(g.x, w.x) && close(g.y, w.y) && close(g.size, w.size),
                    "{text}"
                );
                assert!(close(g.width, w.width), "{text}");
                let ids = |r: &Run| {
                    r.glyphs
                        .iter()
                        .map(|g| (g.id, g.start, g.len))
                        .collect::<Vec<_>>()
                };
                assert_eq!(ids(g), ids(w), "{text}");
            }
        }
        assert_eq!(
            line(&f, 0.0, 0.0, 3.0, false, [0; 3], "   "),
            Some(Vec::new())
        );
        assert_eq!(line(&f, 0.0, 0.0, 3.0, false, [0; 3], "株式会社"), None);
    }

    #[test]
    fn text_is_taken_out_and_set_where_the_svg_puts_it() {
        let f = fonts();
        let svg = label(
            "<path d=\"M0 0h1\"/><text x=\"10\" y=\"20\" font-size=\"4\" fill=\"#d2001e\">Tom &amp; Jerry</text>",
        );
        let l = split(&svg, &f, 100.0, 50.0).unwrap();
        assert!(!l.artwork.contains("<text") && l.artwork.contains("<path d=\"M0 0h1\"/>"));
        assert_eq!(l.runs.len(), 1);
        let r = &l.runs[0];
        assert_eq!(r.text(), "Tom & Jerry");
        assert!(close(r.x, 10.0) && close(r.y, 20.0) && close(r.size, 4.0));
        assert_eq!(r.fill, [0xd2, 0x00, 0x1e]);
        assert!(!r.bold);
        // Offsets are the face's advances at the size.
        let last = r.glyphs.last().unwrap().x;
        assert!(close(last, f.regular.width("Tom & Jerr", 4.0)));
    }

    #[test]
    fn anchors_tspans_and_white_space_follow_svg() {
        let f = fonts();
        let svg = label(
            "<g font-weight=\"bold\" text-anchor=\"middle\" font-size=\"3\">\
             <text x=\"50\" y=\"10\">\n   Made   in\tChina  </text>\
             <text font-weight=\"normal\" text-anchor=\"start\"><tspan x=\"5\" y=\"30\">One</tspan><tspan font-weight=\"700\"> two</tspan><tspan x=\"5\" y=\"34\" text-anchor=\"end\">Three</tspan></text></g>",
        );
        let l = split(&svg, &f, 100.0, 50.0).unwrap();
        let texts: Vec<String> = l.runs.iter().map(Run::text).collect();
        assert_eq!(texts, ["Made in China", "One", " two", "Three"]);
        let r = &l.runs;
        assert!(r[0].bold && close(r[0].x, 50.0 - f.bold.width("Made in China", 3.0) / 2.0));
        assert!(!r[1].bold && close(r[1].x, 5.0) && close(r[1].y, 30.0));
        // A tspan without a position continues the line, in its own style.
        assert!(r[2].bold && close(r[2].x, 5.0 + f.regular.width("One", 3.0)));
        assert!(close(r[2].y, 30.0));
        assert!(close(r[3].x, 5.0 - f.regular.width("Three", 3.0)) && close(r[3].y, 34.0));
    }

    #[test]
    fn nested_svgs_and_the_root_viewport_scale_text() {
        let f = fonts();
        // A mark: viewBox 0 0 100 100 drawn 10 mm square at (80, 35).
        let mark = "<svg x=\"80\" y=\"35\" width=\"10\" height=\"10\" viewBox=\"0 0 100 100\"><title>UKCA</title><text x=\"50\" y=\"45\" font-size=\"52\" text-anchor=\"middle\">UK</text></svg>";
        let l = split(&label(mark), &f, 100.0, 50.0).unwrap();
        let r = &l.runs[0];
        assert!(close(r.size, 5.2) && close(r.y, 39.5));
        assert!(close(r.x, 85.0 - f.regular.width("UK", 5.2) / 2.0));
        // The same label drawn at half size (a 50 × 25 mm position).
        let half = split(&label(mark), &f, 50.0, 25.0).unwrap();
        assert!(close(half.runs[0].size, 2.6) && close(half.runs[0].y, 19.75));
    }

    #[test]
    fn text_it_cannot_reproduce_is_left_to_usvg() {
        let f = fonts();
        for body in [
            "<text x=\"1\" y=\"5\" transform=\"rotate(90)\">Turned</text>",
            "<text x=\"1\" y=\"5\" font-family=\"Times\">Serif</text>",
            "<text x=\"1\" y=\"5\" stroke=\"#000\">Outlined</text>",
            "<text x=\"1\" y=\"5\" style=\"font-size:3px\">Styled</text>",
            "<text x=\"1 2 3\" y=\"5\">Per character</text>",
            "<text x=\"1\" y=\"5\"><tspan dx=\"2\">Nudged</tspan></text>",
            "<text x=\"1\" y=\"5\" xml:space=\"preserve\">Kept  spaces</text>",
            "<text x=\"1\" y=\"5\">Cafe\u{301}</text>",
            "<text x=\"1\" y=\"5\">\u{645}\u{631}\u{62d}\u{628}\u{627}</text>",
            "<text x=\"1\" y=\"5\">\u{4e2d}\u{6587}</text>",
            "<g opacity=\"0.5\"><text x=\"1\" y=\"5\">Faded</text></g>",
            "<g transform=\"translate(2 2)\"><text x=\"1\" y=\"5\">Moved</text></g>",
            "<defs><text id=\"t\" x=\"1\" y=\"5\">Reused</text></defs>",
            "<style>text { font-size: 2px }</style><text x=\"1\" y=\"5\">CSS</text>",
            "<text x=\"1\" y=\"5\"><textPath href=\"#p\">Path</textPath></text>",
        ] {
            let svg = label(body);
            let l = split(&svg, &f, 100.0, 50.0).unwrap();
            assert!(l.runs.is_empty(), "{body}");
            assert_eq!(l.artwork, svg, "{body}");
        }
    }

    /// usvg's glyphs for the root-level text of `svg` (user units = mm here): id, the
    /// characters it shows, and its origin.
    fn usvg_glyphs(svg: &str, f: &Fonts) -> Vec<(u16, String, f32, f32)> {
        let opts = f.usvg_options();
        fn walk(g: &resvg::usvg::Group, out: &mut Vec<(u16, String, f32, f32)>) {
            for node in g.children() {
                match node {
                    resvg::usvg::Node::Text(t) => {
                        for span in t.layouted() {
                            for g in &span.positioned_glyphs {
                                let ts = g.transform();
                                out.push((g.id.0, g.text.clone(), ts.tx, ts.ty));
                            }
                        }
                    }
                    resvg::usvg::Node::Group(g) => walk(g, out),
                    _ => {}
                }
            }
        }
        let tree = resvg::usvg::Tree::from_str(svg, &opts).unwrap();
        let mut out = vec![];
        walk(tree.root(), &mut out);
        out
    }

    #[test]
    fn glyphs_and_positions_are_usvgs() {
        let f = fonts();
        for body in [
            // Ligatures in Latin text, in both faces; none where the text reads as Greek.
            "<text x=\"5\" y=\"10\" font-size=\"3\">Certified office waffle, fjord</text>",
            "<text x=\"5\" y=\"10\" font-size=\"3\" font-weight=\"bold\">Fluffy Office Affiliates</text>",
            "<text x=\"5\" y=\"10\" font-size=\"3\">Ωmega office</text>",
            // Newlines are spaces; comments are not text.
            "<text x=\"5\" y=\"10\" font-size=\"4\">Made\nin China</text>",
            "<text x=\"5\" y=\"10\" font-size=\"4\"><tspan>A<!-- note -->B</tspan></text>",
            // A chunk after an anchored one carries on from where the anchor put it.
            "<text x=\"50\" y=\"10\" font-size=\"4\" text-anchor=\"middle\">Top<tspan y=\"16\">Next</tspan></text>",
            // The text's position goes to its first character, not to white space.
            "<text x=\"50\" y=\"10\" font-size=\"4\">\n  <tspan text-anchor=\"middle\">Centred</tspan>\n</text>",
            "<text x=\"10\" y=\"10\" font-size=\"4\">A<tspan x=\"50\"></tspan>B</text>",
            // No font size anywhere: the default.
            "<text x=\"1\" y=\"30\">Hi</text>",
            "<text x=\"95\" y=\"40\" font-size=\"2\" text-anchor=\"end\">Lot 2026-03A · GTIN 09521234000112 — “quoted” ½ €5</text>",
        ] {
            let svg = label(body);
            let l = split(&svg, &f, 100.0, 50.0).unwrap();
            assert!(!l.runs.is_empty(), "{body}");
            let ours: Vec<(u16, String, f32, f32)> = l
                .runs
                .iter()
                .flat_map(|r| {
                    r.glyphs
                        .iter()
                        .map(move |g| (g.id, r.chars(g).to_string(), r.x + g.x, r.y))
                })
                .collect();
            let theirs = usvg_glyphs(&svg, &f);
            let ids = |v: &[(u16, String, f32, f32)]| {
                v.iter()
                    .filter(|g| g.1 != " ")
                    .map(|g| (g.0, g.1.clone()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(ids(&ours), ids(&theirs), "{body}");
            // Positions agree but for kerning (a fraction of the size per pair).
            for (o, t) in ours
                .iter()
                .filter(|g| g.1 != " ")
                .zip(theirs.iter().filter(|g| g.1 != " "))
            {
                assert!(
                    (o.2 - t.2).abs() < 0.6 && (o.3 - t.3).abs() < 1e-3,
                    "{body}: {o:?} vs {t:?}"
                );
            }
        }
    }

    #[test]
    fn text_under_later_artwork_and_odd_text_stay_with_usvg_alone() {
        let f = fonts();
        // The age mark's "0-3" is crossed by the red bar drawn after it; the column text
        // beside it, and a later mark that does not overlap, do not stop the rest.
        let svg = label(
            "<text x=\"5\" y=\"10\" font-size=\"3\">Column</text>\
             <text x=\"5\" y=\"20\" font-size=\"3\" font-weight=\"650\">Odd weight</text>\
             <text x=\"5\" y=\"30\" font-size=\"3\" font-family=\"dejavu sans\">Lower-case family</text>\
             <svg x=\"80\" y=\"30\" width=\"10\" height=\"10\" viewBox=\"0 0 100 100\"><text x=\"50\" y=\"80\" font-size=\"19\" text-anchor=\"middle\">0-3</text><path d=\"M19 19L81 81\" stroke=\"#d2001e\"/></svg>\
             <svg x=\"60\" y=\"2\" width=\"5\" height=\"5\" viewBox=\"0 0 10 10\"><rect width=\"10\" height=\"10\"/></svg>\
             <text x=\"5\" y=\"45\" font-size=\"3\">Co\u{ad}op</text>",
        );
        let l = split(&svg, &f, 100.0, 50.0).unwrap();
        assert_eq!(l.runs.iter().map(Run::text).collect::<Vec<_>>(), ["Column"]);
        for kept in ["Odd weight", "Lower-case family", "0-3", "Co\u{ad}op"] {
            assert!(l.artwork.contains(kept), "{kept}");
        }
        assert!(!l.artwork.contains("Column"));
        // A mark drawn over the text's own line keeps that text with usvg too.
        let covered = label(
            "<text x=\"5\" y=\"10\" font-size=\"3\">Under</text><svg x=\"6\" y=\"8\" width=\"3\" height=\"3\" viewBox=\"0 0 1 1\"><rect width=\"1\" height=\"1\"/></svg>",
        );
        assert!(split(&covered, &f, 100.0, 50.0).unwrap().runs.is_empty());
        // Text in another namespace is not SVG text at all.
        let foreign = label("<x:text xmlns:x=\"urn:x\" x=\"1\" y=\"5\">Foreign</x:text>");
        let l = split(&foreign, &f, 100.0, 50.0).unwrap();
        assert!(l.runs.is_empty() && l.artwork.contains("Foreign"));
    }

    #[test]
    fn invisible_text_is_removed_and_unpainted() {
        let l = split(
            &label(
                "<text x=\"1\" y=\"5\" fill=\"none\">Hidden</text><text x=\"1\" y=\"9\">Shown</text>",
            ),
            &fonts(),
            100.0,
            50.0,
        )
        .unwrap();
        assert!(!l.artwork.contains("<text"));
        assert_eq!(l.runs.iter().map(Run::text).collect::<Vec<_>>(), ["Shown"]);
    }
}
