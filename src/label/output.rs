//! A label rendered to PNG at the configured resolution: its artwork by resvg, its
//! text (`text::Run`s) as glyph outlines with tiny-skia, encoded by `image` as 8-bit
//! grey with its resolution recorded.

use super::font::Fonts;
use super::text::Run;
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
    // age warning symbol) keeps it.
    let rgba = image::RgbaImage::from_raw(w, h, pixmap.take())
        .ok_or("the rendered label has the wrong size")?;
    let coloured = rgba.pixels().any(|p| p[0] != p[1] || p[1] != p[2]);
    let img = image::DynamicImage::ImageRgba8(rgba);
    let mut out = Vec::new();
    let encoder = image::codecs::png::PngEncoder::new(&mut out);
    let written = if coloured {
        img.to_rgb8().write_with_encoder(encoder)
    } else {
        img.to_luma8().write_with_encoder(encoder)
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
    for run in runs {
        let face = fonts.face(run.bold);
        let [r, g, b] = run.fill;
        paint.set_color_rgba8(r, g, b, 255);
        let k = run.size / face.units_per_em;
        for &(_, id, offset) in &run.glyphs {
            let Some(outline) = face.outline(id) else {
                continue;
            };
            // Font units are y-up; the label is y-down.
            let at = to_px.pre_translate(run.x + offset, run.y).pre_scale(k, -k);
            pixmap.fill_path(outline, &paint, tiny_skia::FillRule::Winding, at, None);
        }
    }
}
