//! A label's SVG rendered for printers: PNG at the configured resolution (resvg, encoded
//! by `image` as 8-bit grey with its resolution recorded), and PDF at exact physical
//! size (svg2pdf into a pdf-writer document that asks viewers not to scale it).

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref};
use rayon::prelude::*;
use resvg::{tiny_skia, usvg};
use std::collections::HashMap;

const PT_PER_MM: f32 = 72.0 / 25.4;

pub fn parse(svg: &str, options: &usvg::Options) -> Result<usvg::Tree, String> {
    usvg::Tree::from_str(svg, options).map_err(|e| format!("the label SVG does not parse: {e}"))
}

/// The label as a PNG of `width_mm` × `height_mm` at `dpi`.
pub fn png(tree: &usvg::Tree, width_mm: f32, height_mm: f32, dpi: u32) -> Result<Vec<u8>, String> {
    let px = |mm: f32| (mm / 25.4 * dpi as f32).round() as u32;
    let (w, h) = (px(width_mm), px(height_mm));
    let mut pixmap =
        tiny_skia::Pixmap::new(w, h).ok_or_else(|| format!("a {w}×{h} px label is too large"))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    let size = tree.size();
    let transform =
        tiny_skia::Transform::from_scale(w as f32 / size.width(), h as f32 / size.height());
    resvg::render(tree, transform, &mut pixmap.as_mut());
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

/// One PDF page: its size in mm and its content as an SVG of the same size.
pub struct Page {
    pub width_mm: f32,
    pub height_mm: f32,
    pub svg: String,
}

/// A PDF of `pages` at their exact physical size, with `/PrintScaling /None` so viewers
/// print at 100 % (labels.md §2). Pages convert in parallel.
pub fn pdf(pages: &[Page], options: &usvg::Options) -> Result<Vec<u8>, String> {
    // Text becomes outlines: what prints is exactly what the bundled font draws, and
    // the file does not depend on the order svg2pdf happens to write font subsets in
    // (a hash map's), so builds stay byte-identical.
    let conversion = svg2pdf::ConversionOptions {
        embed_text: false,
        ..Default::default()
    };
    let chunks: Vec<(pdf_writer::Chunk, Ref)> = pages
        .par_iter()
        .map(|p| {
            let tree = parse(&p.svg, options)?;
            svg2pdf::to_chunk(&tree, conversion).map_err(|e| format!("cannot convert to PDF: {e}"))
        })
        .collect::<Result<_, String>>()?;

    let mut alloc = Ref::new(1);
    let catalog = alloc.bump();
    let tree = alloc.bump();
    let mut pdf = Pdf::new();
    let mut page_refs = Vec::with_capacity(pages.len());
    let mut bodies = Vec::with_capacity(pages.len());
    for (chunk, svg_ref) in chunks {
        let mut map = HashMap::new();
        let chunk = chunk.renumber(|old| *map.entry(old).or_insert_with(|| alloc.bump()));
        bodies.push((chunk, map[&svg_ref]));
    }
    for (page, (chunk, svg_ref)) in pages.iter().zip(&bodies) {
        let page_ref = alloc.bump();
        let content_ref = alloc.bump();
        page_refs.push(page_ref);
        let (w, h) = (page.width_mm * PT_PER_MM, page.height_mm * PT_PER_MM);
        let mut p = pdf.page(page_ref);
        p.media_box(Rect::new(0.0, 0.0, w, h));
        p.parent(tree);
        p.contents(content_ref);
        p.resources().x_objects().pair(Name(b"L"), *svg_ref);
        p.finish();
        // The SVG's XObject is one unit square: scale it to the page.
        let mut content = Content::new();
        content.save_state();
        content.transform([w, 0.0, 0.0, h, 0.0, 0.0]);
        content.x_object(Name(b"L"));
        content.restore_state();
        pdf.stream(content_ref, &content.finish());
        pdf.extend(chunk);
    }
    pdf.pages(tree)
        .kids(page_refs.iter().copied())
        .count(page_refs.len() as i32);
    let mut cat = pdf.catalog(catalog);
    cat.pages(tree);
    cat.viewer_preferences()
        .pair(Name(b"PrintScaling"), Name(b"None"));
    cat.finish();
    Ok(pdf.finish())
}
