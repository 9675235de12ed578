//! A label rendered to PNG at the configured resolution: its artwork by resvg, its
//! text (`text::Run`s) as glyph outlines with tiny-skia, encoded by `image` as 8-bit
//! grey with its resolution recorded.

use super::font::Fonts;
use super::text::Run;
use image::ImageEncoder;
use resvg::{tiny_skia, usvg};

pub fn parse(svg: &str, options: &usvg::Options) -> Result<usvg::Tree, String> {
    usvg::Tree::from_str(svg, options).map_err(|e| format!("the label SVG does not parse: {e}"))
}

/// The label (artwork `tree`, text `runs`) as a PNG of `width_mm` × `height_mm` at `dpi`.
pub fn png(
    tree: &usvg::Tree,
    runs: &[Run],
    fonts: &Fonts,
    width_mm: f32,
    height_mm: f32,
    dpi: u32,
) -> Result<Vec<u8>, String> {
    let px = |mm: f32| (mm / 25.4 * dpi as f32).round() as u32;
    let (w, h) = (px(width_mm), px(height_mm));
    let mut pixmap =
        tiny_skia::Pixmap::new(w, h).ok_or_else(|| format!("a {w}×{h} px label is too large"))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    let size = tree.size();
    let transform =
        tiny_skia::Transform::from_scale(w as f32 / size.width(), h as f32 / size.height());
    resvg::render(tree, transform, &mut pixmap.as_mut());
    draw(
        runs,
        fonts,
        &mut pixmap,
        tiny_skia::Transform::from_scale(w as f32 / width_mm, h as f32 / height_mm),
    );
    // Opaque on white, so the premultiplied RGBA is plain RGB. A label in black and
    // white is written as 8-bit grey (4× smaller); one with colour (the red of the
    // age warning symbol) keeps it. The channels are copied as they are: `image`'s own
    // conversions go through colour-space arithmetic per pixel, a third of the time a
    // PNG label took, for the same values.
    let rgba = pixmap.take();
    let mut grey = Vec::with_capacity(rgba.len() / 4);
    let mut colour = 0u8;
    for p in rgba.chunks_exact(4) {
        colour |= (p[0] ^ p[1]) | (p[1] ^ p[2]);
        grey.push(p[0]);
    }
    let coloured = colour != 0;
    let mut out = Vec::new();
    let encoder = image::codecs::png::PngEncoder::new(&mut out);
    let written = if coloured {
        let rgb: Vec<u8> = rgba
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect();
        encoder.write_image(&rgb, w, h, image::ExtendedColorType::Rgb8)
    } else {
        encoder.write_image(&grey, w, h, image::ExtendedColorType::L8)
    };
    written.map_err(|e| format!("cannot encode the PNG: {e}"))?;
    Ok(with_resolution(out, dpi))
}

/// Adds a `pHYs` chunk (pixels per metre) after `IHDR`, so the PNG prints at its size.
fn with_resolution(png: Vec<u8>, dpi: u32) -> Vec<u8> {
    // Signature (8) + IHDR chunk (4 length + 4 type + 13 data + 4 CRC).
    const AFTER_IHDR: usize = 33;
    let ppm = (dpi as f64 / 0.0254).round() as u32;
    let mut chunk = Vec::with_capacity(21);
    chunk.extend_from_slice(&9u32.to_be_bytes());
    let mut body = b"pHYs".to_vec();
    body.extend_from_slice(&ppm.to_be_bytes());
    body.extend_from_slice(&ppm.to_be_bytes());
    body.push(1); // unit: metre
    chunk.extend_from_slice(&body);
    chunk.extend_from_slice(&crc32fast::hash(&body).to_be_bytes());
    let mut out = png;
    out.splice(AFTER_IHDR..AFTER_IHDR, chunk);
    out
}

/// Fills each run's glyph outlines, anti-aliased as resvg fills text; `to_px` maps
/// label millimetres to pixels.
fn draw(runs: &[Run], fonts: &Fonts, pixmap: &mut tiny_skia::Pixmap, to_px: tiny_skia::Transform) {
    let mut paint = tiny_skia::Paint {
        anti_alias: true,
        ..Default::default()
    };
    // One path per run: a fill per glyph cost more in setting up than in drawing.
    for run in runs {
        let face = fonts.face(run.bold);
        let [r, g, b] = run.fill;
        paint.set_color_rgba8(r, g, b, 255);
        let k = run.size / face.units_per_em;
        let mut builder = tiny_skia::PathBuilder::new();
        for g in &run.glyphs {
            let Some(outline) = face.outline(g.id) else {
                continue;
            };
            // Font units are y-up; the label is y-down.
            let (x0, y0) = (run.x + g.x, run.y);
            let pt = |p: tiny_skia::Point| (x0 + p.x * k, y0 - p.y * k);
            for segment in outline.segments() {
                use tiny_skia::PathSegment::*;
                match segment {
                    MoveTo(p) => {
                        let (x, y) = pt(p);
                        builder.move_to(x, y);
                    }
                    LineTo(p) => {
                        let (x, y) = pt(p);
                        builder.line_to(x, y);
                    }
                    QuadTo(p1, p) => {
                        let ((x1, y1), (x, y)) = (pt(p1), pt(p));
                        builder.quad_to(x1, y1, x, y);
                    }
                    CubicTo(p1, p2, p) => {
                        let ((x1, y1), (x2, y2), (x, y)) = (pt(p1), pt(p2), pt(p));
                        builder.cubic_to(x1, y1, x2, y2, x, y);
                    }
                    Close => builder.close(),
                }
            }
        }
        if let Some(path) = builder.finish() {
            pixmap.fill_path(&path, &paint, tiny_skia::FillRule::Winding, to_px, None);
        }
    }
}
