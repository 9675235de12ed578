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
    // Text is embedded with subsets of the bundled fonts (a page of labels as outlines
    // is ~20 times larger); `canonical` then makes the file independent of the order
    // svg2pdf happens to write fonts and resources in, and compresses the streams, at a
    // faster level than svg2pdf's (its deflate was a sixth of a sheet's time).
    let conversion = svg2pdf::ConversionOptions {
        compress: false,
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
    canonical(&pdf.finish())
}

/// The same PDF with every dictionary's keys sorted and objects numbered in the order a
/// walk from the catalog meets them. svg2pdf writes font subsets and resource entries
/// in hash-map order, which differs from run to run; this makes the same labels give a
/// byte-identical file (SPEC §11). Uncompressed streams are deflated.
fn canonical(bytes: &[u8]) -> Result<Vec<u8>, String> {
    use lopdf::{Dictionary, Object, ObjectId};
    fn sort(o: &mut Object) {
        match o {
            Object::Dictionary(d) => sort_dict(d),
            Object::Stream(s) => sort_dict(&mut s.dict),
            Object::Array(a) => a.iter_mut().for_each(sort),
            _ => {}
        }
    }
    fn sort_dict(d: &mut Dictionary) {
        let mut entries: Vec<(Vec<u8>, Object)> = std::mem::take(d).into_iter().collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, v) in &mut entries {
            sort(v);
        }
        *d = entries.into_iter().collect();
    }
    fn refs(o: &Object, out: &mut Vec<ObjectId>) {
        match o {
            Object::Reference(id) => out.push(*id),
            Object::Dictionary(d) => d.iter().for_each(|(_, v)| refs(v, out)),
            Object::Stream(s) => s.dict.iter().for_each(|(_, v)| refs(v, out)),
            Object::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    fn renumber(o: &mut Object, map: &std::collections::HashMap<ObjectId, ObjectId>) {
        match o {
            Object::Reference(id) => *id = map[id],
            Object::Dictionary(d) => d.iter_mut().for_each(|(_, v)| renumber(v, map)),
            Object::Stream(s) => s.dict.iter_mut().for_each(|(_, v)| renumber(v, map)),
            Object::Array(a) => a.iter_mut().for_each(|v| renumber(v, map)),
            _ => {}
        }
    }
    let mut doc = lopdf::Document::load_mem(bytes).map_err(|e| format!("PDF: {e}"))?;
    doc.objects.values_mut().for_each(sort);
    // Deflated in parallel: a thousand-page sheet has thousands of streams.
    let mut streams: Vec<&mut lopdf::Stream> = doc
        .objects
        .values_mut()
        .filter_map(|o| match o {
            Object::Stream(s) if !s.dict.has(b"Filter") => Some(s),
            _ => None,
        })
        .collect();
    streams.par_iter_mut().for_each(|s| {
        let packed = miniz_oxide::deflate::compress_to_vec_zlib(&s.content, 1);
        s.dict.set("Filter", Object::Name(b"FlateDecode".to_vec()));
        s.set_content(packed);
    });
    let root = doc
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(|e| format!("PDF: {e}"))?;
    let mut map = std::collections::HashMap::new();
    let mut queue = std::collections::VecDeque::from([root]);
    while let Some(id) = queue.pop_front() {
        if map.contains_key(&id) {
            continue;
        }
        map.insert(id, (map.len() as u32 + 1, 0));
        let mut next = Vec::new();
        if let Some(o) = doc.objects.get(&id) {
            refs(o, &mut next);
        }
        queue.extend(next);
    }
    let mut objects = std::collections::BTreeMap::new();
    for (id, mut o) in std::mem::take(&mut doc.objects) {
        let Some(new) = map.get(&id).copied() else {
            continue; // unreachable from the catalog: nothing refers to it
        };
        renumber(&mut o, &map);
        objects.insert(new, o);
    }
    doc.objects = objects;
    doc.max_id = map.len() as u32;
    doc.trailer = Dictionary::new();
    doc.trailer.set("Root", Object::Reference(map[&root]));
    let mut out = Vec::new();
    doc.save_to(&mut out).map_err(|e| format!("PDF: {e}"))?;
    Ok(out)
}
