//! Label text, taken out of the label's SVG and drawn by certpress itself: into PNGs as
//! glyph outlines (tiny-skia, as resvg would), into PDFs as real text in the bundled
//! fonts, embedded once per document.
//!
//! Why: usvg lays out every `<text>` with a full shaper and converts each glyph to a
//! path, parsing the font four times per glyph, even when svg2pdf then embeds the text
//! as text. That was four fifths of the time a 1,000-page sheet took. Label text is
//! simple (horizontal lines in one family, fitted by `font::stack` with the same
//! advances used here), so it is set here from the face's glyph table, without kerning,
//! exactly as wide as it was measured.
//!
//! Anything this does not reproduce faithfully — other fonts, transforms, strokes,
//! opacity, `dx`, letter spacing, CSS, scripts that need shaping — leaves the label's
//! SVG whole, for usvg to draw (slower, same result). Text is drawn above the label's
//! other artwork.

use super::font::Fonts;
use resvg::usvg::roxmltree::{Document, Node};

/// Glyphs set on one baseline in one style.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub bold: bool,
    /// Font size (mm).
    pub size: f32,
    /// Start of the baseline (mm from the label's top left).
    pub x: f32,
    pub y: f32,
    pub fill: [u8; 3],
    /// Each glyph: its character, glyph id and offset from `x` (mm).
    pub glyphs: Vec<(char, u16, f32)>,
}

impl Run {
    /// The characters it shows.
    pub fn text(&self) -> String {
        self.glyphs.iter().map(|g| g.0).collect()
    }

    /// The same run moved by (`dx`, `dy`) mm.
    pub fn moved(&self, dx: f32, dy: f32) -> Run {
        Run {
            x: self.x + dx,
            y: self.y + dy,
            ..self.clone()
        }
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
/// millimetres; or leaves it whole when its text uses anything `Run` cannot show.
pub fn split(svg: &str, fonts: &Fonts, width_mm: f32, height_mm: f32) -> Lettered {
    match try_split(svg, fonts, width_mm, height_mm) {
        Some(l) => l,
        None => Lettered::whole(svg),
    }
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

impl Default for Style {
    fn default() -> Self {
        Style {
            size: 16.0, // SVG's `medium`
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
fn length(s: &str) -> Option<f32> {
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
                s.bold = match v.trim() {
                    "normal" => false,
                    "bold" => true,
                    n => {
                        // The closest of the two faces, as fontdb's query picks it.
                        let w = number(n)?;
                        w >= 600.0
                    }
                }
            }
            "font-family" => {
                // Only the bundled family: any other would be a different font in usvg.
                let first = v.split(',').next()?.trim().trim_matches(['"', '\'']);
                if !(first.eq_ignore_ascii_case("DejaVu Sans")
                    || first.eq_ignore_ascii_case("sans-serif"))
                {
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

/// The `<text>` element's pieces, in order; None if it holds more than text and
/// `<tspan>`s of text.
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
        } else if child.has_tag_name("tspan") {
            let mut content = String::new();
            for t in child.children() {
                if t.is_element() {
                    return None;
                }
                content.push_str(t.text().unwrap_or_default());
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
    // The text's own position starts its first piece (unless that piece has one).
    let (x, y) = (position(text, "x")?, position(text, "y")?);
    if let Some(first) = out.first_mut() {
        first.x = first.x.or(x).or(Some(0.0));
        first.y = first.y.or(y).or(Some(0.0));
    }
    // SVG's default white-space handling: newlines dropped, tabs as spaces, leading and
    // trailing spaces stripped, runs of spaces kept as one (across tspans).
    let mut space = true;
    for p in &mut out {
        let mut t = String::with_capacity(p.text.len());
        for c in p.text.chars() {
            let c = match c {
                '\n' | '\r' => continue,
                '\t' => ' ',
                c => c,
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
    Some(out)
}

fn try_split(svg: &str, fonts: &Fonts, width_mm: f32, height_mm: f32) -> Option<Lettered> {
    let doc = Document::parse(svg).ok()?;
    let root = doc.root_element();
    if !root.has_tag_name("svg") {
        return None;
    }
    // CSS and references could restyle or repeat text: left to usvg.
    if doc
        .descendants()
        .any(|n| n.has_tag_name("style") || n.has_tag_name("use"))
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
    for text in doc.descendants().filter(|n| n.has_tag_name("text")) {
        // The chain of containers from the root down: <svg> and <g> only.
        let mut chain: Vec<Node> = text
            .ancestors()
            .skip(1)
            .filter(|n| n.is_element())
            .collect();
        chain.reverse();
        let mut place = label;
        let mut s = Style::default();
        for (i, n) in chain.iter().enumerate() {
            if n.has_tag_name("svg") {
                place = place.then(viewport(*n, i > 0)?);
                s = style(
                    *n,
                    s,
                    &[
                        "x",
                        "y",
                        "width",
                        "height",
                        "viewBox",
                        "version",
                        "preserveAspectRatio",
                        // Text is not clipped to nested viewports (text inside one,
                        // in a mark, stays inside it).
                        "overflow",
                    ],
                )?;
            } else if n.has_tag_name("g") {
                s = style(*n, s, &[])?;
            } else {
                return None; // defs, clipPath, mask, pattern, a, switch ...
            }
        }
        let s = style(text, s, &["x", "y"])?;
        cut.push(text.range());
        let pieces = pieces(text, s)?;
        runs.extend(set(&pieces, fonts, place)?);
    }
    if runs.is_empty() && cut.is_empty() {
        return Some(Lettered::whole(svg));
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

/// Sets `pieces` as runs: chunks (each starting at an absolute position) anchored as
/// their first piece says.
fn set(pieces: &[Piece], fonts: &Fonts, place: Place) -> Option<Vec<Run>> {
    let mut runs: Vec<Run> = Vec::new();
    let (mut pen_x, mut pen_y) = (0.0f32, 0.0f32);
    // Runs of the current chunk start at this index, with this anchor.
    let mut chunk = (0usize, Anchor::Start, 0.0f32);
    let close = |runs: &mut Vec<Run>, (from, anchor, start): (usize, Anchor, f32), end: f32| {
        let shift = match anchor {
            Anchor::Start => 0.0,
            Anchor::Middle => (end - start) / 2.0,
            Anchor::End => end - start,
        };
        for r in &mut runs[from..] {
            r.x -= shift * place.scale;
        }
    };
    for p in pieces {
        if p.x.is_some() || p.y.is_some() {
            close(&mut runs, chunk, pen_x);
            pen_x = p.x.unwrap_or(pen_x);
            pen_y = p.y.unwrap_or(pen_y);
            chunk = (runs.len(), p.style.anchor, pen_x);
        }
        if p.text.is_empty() {
            continue;
        }
        let face = fonts.face(p.style.bold);
        let k = p.style.size / face.units_per_em;
        let mut glyphs = Vec::with_capacity(p.text.len());
        let mut advance = 0.0f32;
        for c in p.text.chars() {
            let (id, a) = face.glyph(c)?;
            glyphs.push((c, id, advance * k * place.scale));
            advance += a;
        }
        if let Some(fill) = p.style.fill {
            runs.push(Run {
                bold: p.style.bold,
                size: p.style.size * place.scale,
                x: place.dx + place.scale * pen_x,
                y: place.dy + place.scale * pen_y,
                fill,
                glyphs,
            });
        } else {
            // Invisible text still moves the pen (and anchors its chunk).
            runs.push(Run {
                bold: p.style.bold,
                size: 0.0,
                x: place.dx + place.scale * pen_x,
                y: 0.0,
                fill: [0, 0, 0],
                glyphs: Vec::new(),
            });
        }
        pen_x += advance * k;
    }
    close(&mut runs, chunk, pen_x);
    runs.retain(|r| !r.glyphs.is_empty());
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

    #[test]
    fn text_is_taken_out_and_set_where_the_svg_puts_it() {
        let f = fonts();
        let svg = label(
            "<text x=\"10\" y=\"20\" font-size=\"4\" fill=\"#d2001e\">Tom &amp; Jerry</text><path d=\"M0 0h1\"/>",
        );
        let l = split(&svg, &f, 100.0, 50.0);
        assert!(!l.artwork.contains("<text") && l.artwork.contains("<path d=\"M0 0h1\"/>"));
        assert_eq!(l.runs.len(), 1);
        let r = &l.runs[0];
        assert_eq!(r.text(), "Tom & Jerry");
        assert!(close(r.x, 10.0) && close(r.y, 20.0) && close(r.size, 4.0));
        assert_eq!(r.fill, [0xd2, 0x00, 0x1e]);
        assert!(!r.bold);
        // Offsets are the face's advances at the size.
        let last = r.glyphs.last().unwrap().2;
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
        let l = split(&svg, &f, 100.0, 50.0);
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
        let l = split(&label(mark), &f, 100.0, 50.0);
        let r = &l.runs[0];
        assert!(close(r.size, 5.2) && close(r.y, 39.5));
        assert!(close(r.x, 85.0 - f.regular.width("UK", 5.2) / 2.0));
        // The same label drawn at half size (a 50 × 25 mm position).
        let half = split(&label(mark), &f, 50.0, 25.0);
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
            let l = split(&svg, &f, 100.0, 50.0);
            assert!(l.runs.is_empty(), "{body}");
            assert_eq!(l.artwork, svg, "{body}");
        }
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
        );
        assert!(!l.artwork.contains("<text"));
        assert_eq!(l.runs.iter().map(Run::text).collect::<Vec<_>>(), ["Shown"]);
    }
}
