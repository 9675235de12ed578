//! Label PDFs at exact physical size: each page's artwork converted by svg2pdf, its
//! text (`text::Run`s) written here in the bundled fonts, embedded once per document as
//! subsets; viewers are asked not to scale it (labels.md §2).

use super::font::{Face, Fonts};
use super::sheet::Calibration;
use super::text::Run;
use crate::progress::Progress;
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};
use rayon::prelude::*;
use resvg::usvg;
use std::collections::{BTreeMap, HashMap};

const PT_PER_MM: f32 = 72.0 / 25.4;

/// One PDF page: its size in mm, its artwork as an SVG of the same size, and its text
/// in mm from the top left, moved and scaled by `calibration` as the artwork is.
pub struct Page {
    pub width_mm: f32,
    pub height_mm: f32,
    pub svg: String,
    pub runs: Vec<Run>,
    pub calibration: Calibration,
}

/// The glyphs a face draws in one document: numbered from 1 in the order first used
/// (0 is `.notdef`), with the character each stands for (for copying and search).
#[derive(Default)]
struct Used {
    remapper: subsetter::GlyphRemapper,
    chars: BTreeMap<u16, String>,
}

const FONT_NAMES: [&[u8]; 2] = [b"F0", b"F1"];

/// A PDF of `pages` at their exact physical size, with `/PrintScaling /None` so viewers
/// print at 100 %. Pages' artwork converts in parallel, counted on `progress`.
pub fn pdf(
    pages: &[Page],
    fonts: &Fonts,
    options: &usvg::Options,
    progress: Option<&Progress>,
) -> Result<Vec<u8>, String> {
    // `canonical` makes the file independent of the order svg2pdf writes resources in,
    // and compresses the streams at a faster level than svg2pdf's.
    let conversion = svg2pdf::ConversionOptions {
        compress: false,
        ..Default::default()
    };
    let chunks: Vec<(pdf_writer::Chunk, Ref)> = pages
        .par_iter()
        .map(|p| {
            let tree = super::output::parse(&p.svg, options)?;
            let chunk = svg2pdf::to_chunk(&tree, conversion)
                .map_err(|e| format!("cannot convert to PDF: {e}"));
            progress.inspect(|p| p.inc());
            chunk
        })
        .collect::<Result<_, String>>()?;

    let mut alloc = Ref::new(1);
    let catalog = alloc.bump();
    let tree = alloc.bump();
    let font_refs = [alloc.bump(), alloc.bump()];
    let mut used = [Used::default(), Used::default()];
    let mut pdf = Pdf::new();
    let mut page_refs = Vec::with_capacity(pages.len());
    for (page, (chunk, svg_ref)) in pages.iter().zip(chunks) {
        let mut map = HashMap::new();
        let chunk = chunk.renumber(|old| *map.entry(old).or_insert_with(|| alloc.bump()));
        let page_ref = alloc.bump();
        let content_ref = alloc.bump();
        page_refs.push(page_ref);
        let (w, h) = (page.width_mm * PT_PER_MM, page.height_mm * PT_PER_MM);
        let mut content = Content::new();
        // The SVG's XObject is one unit square: scaled to the page.
        content.save_state();
        content.transform([w, 0.0, 0.0, h, 0.0, 0.0]);
        content.x_object(Name(b"L"));
        content.restore_state();
        let faces = text(&mut content, page, h, &mut used);

        let mut p = pdf.page(page_ref);
        p.media_box(Rect::new(0.0, 0.0, w, h));
        p.parent(tree);
        p.contents(content_ref);
        let mut resources = p.resources();
        resources.x_objects().pair(Name(b"L"), map[&svg_ref]);
        if faces.iter().any(|&f| f) {
            let mut dict = resources.fonts();
            for (i, _) in faces.iter().enumerate().filter(|(_, f)| **f) {
                dict.pair(Name(FONT_NAMES[i]), font_refs[i]);
            }
        }
        resources.finish();
        p.finish();
        pdf.stream(content_ref, &content.finish());
        pdf.extend(&chunk);
    }
    for (i, u) in used.iter().enumerate() {
        if u.chars.is_empty() {
            continue;
        }
        let face = fonts.face(i == 1);
        embed(&mut pdf, &mut alloc, font_refs[i], face, u)?;
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

/// Writes `page`'s text into `content`, numbering its glyphs in `used`; returns which
/// faces (regular, bold) the page uses.
fn text(content: &mut Content, page: &Page, height_pt: f32, used: &mut [Used; 2]) -> [bool; 2] {
    let mut faces = [false; 2];
    if page.runs.is_empty() {
        return faces;
    }
    let c = &page.calibration;
    content.save_state();
    // Millimetres from the top left, as the runs are; then the printer's calibration.
    content.transform([PT_PER_MM, 0.0, 0.0, -PT_PER_MM, 0.0, height_pt]);
    content.transform([c.x_scale, 0.0, 0.0, c.y_scale, c.x_offset_mm, c.y_offset_mm]);
    content.begin_text();
    let mut fill = None;
    let mut font = None;
    let mut codes = Vec::new();
    for run in &page.runs {
        let f = usize::from(run.bold);
        faces[f] = true;
        if fill != Some(run.fill) {
            let [r, g, b] = run.fill.map(|v| f32::from(v) / 255.0);
            content.set_fill_rgb(r, g, b);
            fill = Some(run.fill);
        }
        if font != Some((f, run.size)) {
            content.set_font(Name(FONT_NAMES[f]), run.size);
            font = Some((f, run.size));
        }
        // Glyphs upright in the y-down space; the fonts' widths advance the pen.
        content.set_text_matrix([1.0, 0.0, 0.0, -1.0, run.x, run.y]);
        codes.clear();
        for g in &run.glyphs {
            let cid = used[f].remapper.remap(g.id);
            used[f]
                .chars
                .entry(cid)
                .or_insert_with(|| run.chars(g).to_string());
            codes.extend_from_slice(&cid.to_be_bytes());
        }
        content.show(Str(&codes));
    }
    content.end_text();
    content.restore_state();
    faces
}

/// Embeds the subset of `face` that `used` numbers as a Type 0 font at `font_ref`
/// (Identity-H, so each code is a glyph; ToUnicode, so text copies as text).
fn embed(
    pdf: &mut Pdf,
    alloc: &mut Ref,
    font_ref: Ref,
    face: &Face,
    used: &Used,
) -> Result<(), String> {
    let ttf = ttf_parser::Face::parse(&face.data, 0).map_err(|e| format!("font: {e}"))?;
    let cid_ref = alloc.bump();
    let descriptor_ref = alloc.bump();
    let cmap_ref = alloc.bump();
    let data_ref = alloc.bump();
    let postscript = ttf
        .names()
        .into_iter()
        .filter(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
        .find_map(|n| n.to_string())
        .unwrap_or_else(|| "LabelFont".to_string());
    // A subset is named with a tag of six capitals that depends on its glyphs.
    let gids: Vec<u16> = used.remapper.remapped_gids().collect();
    let hash = gids.iter().fold(0xcbf29ce484222325u64, |h, &g| {
        (h ^ u64::from(g)).wrapping_mul(0x100000001b3)
    });
    let tag: String = (0..6)
        .map(|i| char::from(b'A' + ((hash >> (i * 5)) % 26) as u8))
        .collect();
    let base = format!("{tag}+{postscript}");

    // TrueType outlines embed as they are; a CFF-flavoured font (OpenType .otf) embeds
    // its CFF table (PDF 1.7 §9.7.4, CIDFontType0).
    const CFF: ttf_parser::Tag = ttf_parser::Tag::from_bytes(b"CFF ");
    let raw = ttf.raw_face();
    if raw.table(ttf_parser::Tag::from_bytes(b"CFF2")).is_some() {
        return Err("label fonts with CFF2 outlines cannot be embedded in PDF 1.7: use a TrueType or CFF font".into());
    }
    let cff = raw.table(CFF).is_some();
    let type0_name = if cff {
        format!("{base}-Identity-H")
    } else {
        base.clone()
    };
    pdf.type0_font(font_ref)
        .base_font(Name(type0_name.as_bytes()))
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid_ref)
        .to_unicode(cmap_ref);

    let per_mille = 1000.0 / face.units_per_em;
    let mut cid = pdf.cid_font(cid_ref);
    cid.subtype(if cff {
        CidFontType::Type0
    } else {
        CidFontType::Type2
    });
    cid.base_font(Name(base.as_bytes()));
    cid.system_info(SYSTEM_INFO);
    cid.font_descriptor(descriptor_ref);
    cid.default_width(0.0);
    if !cff {
        cid.cid_to_gid_map_predefined(Name(b"Identity"));
    }
    cid.widths().consecutive(
        0,
        gids.iter().map(|&g| {
            f32::from(ttf.glyph_hor_advance(ttf_parser::GlyphId(g)).unwrap_or(0)) * per_mille
        }),
    );
    cid.finish();

    let bbox = ttf.global_bounding_box();
    let scaled = |v: i16| f32::from(v) * per_mille;
    let mut flags = FontFlags::SYMBOLIC;
    flags.set(FontFlags::FIXED_PITCH, ttf.is_monospaced());
    let mut descriptor = pdf.font_descriptor(descriptor_ref);
    descriptor
        .name(Name(base.as_bytes()))
        .flags(flags)
        .bbox(Rect::new(
            scaled(bbox.x_min),
            scaled(bbox.y_min),
            scaled(bbox.x_max),
            scaled(bbox.y_max),
        ))
        .italic_angle(ttf.italic_angle())
        .ascent(scaled(ttf.ascender()))
        .descent(scaled(ttf.descender()))
        .cap_height(scaled(ttf.capital_height().unwrap_or(ttf.ascender())))
        .stem_v(10.0 + 0.244 * (f32::from(ttf.weight().to_number()) - 50.0));
    if cff {
        descriptor.font_file3(data_ref);
    } else {
        descriptor.font_file2(data_ref);
    }
    descriptor.finish();

    let mut cmap = UnicodeCmap::new(Name(b"Custom"), SYSTEM_INFO);
    for (&cid, text) in &used.chars {
        cmap.pair_with_multiple(cid, text.chars());
    }
    pdf.cmap(cmap_ref, &cmap.finish());
    let subset = subsetter::subset(&face.data, 0, &used.remapper)
        .map_err(|e| format!("cannot subset the label font: {e:?}"))?;
    if cff {
        let program = ttf_parser::RawFace::parse(&subset, 0)
            .ok()
            .and_then(|f| f.table(CFF))
            .ok_or("the label font's subset has no CFF table")?;
        pdf.stream(data_ref, program)
            .pair(Name(b"Subtype"), Name(b"CIDFontType0C"));
    } else {
        pdf.stream(data_ref, &subset);
    }
    Ok(())
}

const SYSTEM_INFO: SystemInfo = SystemInfo {
    registry: Str(b"Adobe"),
    ordering: Str(b"Identity"),
    supplement: 0,
};

/// The same PDF with every dictionary's keys sorted and objects numbered in the order a
/// walk from the catalog meets them. svg2pdf writes resource entries in hash-map order,
/// which differs from run to run; this makes the same labels give a byte-identical file
/// (SPEC §11). Uncompressed streams are deflated.
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
    fn renumber(o: &mut Object, map: &HashMap<ObjectId, ObjectId>) {
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
    let mut map = HashMap::new();
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
    let mut objects = BTreeMap::new();
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
