//! Label PDFs at exact physical size: each page's artwork converted by svg2pdf, its
//! text (`text::Run`s) written here in the bundled fonts, embedded once per document as
//! subsets; viewers are asked not to scale it (labels.md §2).

use super::font::{Face, Fonts};
use super::text::Run;
use crate::config::Calibration;
use crate::progress::Progress;
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};
use rayon::prelude::*;
use resvg::usvg;
use std::collections::{BTreeMap, HashMap};

const PT_PER_MM: f32 = 72.0 / 25.4;

/// One page of a sheet: its size in mm, its artwork as an SVG of the same size, and its
/// text in mm from the top left, moved and scaled by `calibration` as the artwork is.
pub struct Page {
    pub width_mm: f32,
    pub height_mm: f32,
    pub svg: String,
    pub runs: Vec<Run>,
    pub calibration: Calibration,
}

/// The glyphs a face draws in one document: numbered from 1 in the order first used
/// (0 is `.notdef`), with the characters each stands for (a ligature, several), for
/// copying and search.
#[derive(Default)]
struct Used {
    remapper: subsetter::GlyphRemapper,
    chars: BTreeMap<u16, String>,
}

const FONT_NAMES: [&[u8]; 2] = [b"F0", b"F1"];

/// What a page is besides its artwork: its size in mm, filled rectangles and its text,
/// moved and scaled by `calibration` as the artwork is.
struct Frame<'a> {
    width_mm: f32,
    height_mm: f32,
    fills: &'a [Fill],
    runs: &'a [Run],
    calibration: Calibration,
}

/// A page set without an SVG of it (a certificate): filled rectangles (rules, a QR
/// code's modules) and text runs, in mm from the top left, drawn straight into the
/// page; `art`, an SVG of the page's size holding what only svg2pdf draws (an image), if
/// any, is drawn under them.
pub struct Drawn {
    pub width_mm: f32,
    pub height_mm: f32,
    pub fills: Vec<Fill>,
    pub runs: Vec<Run>,
    pub art: Option<String>,
}

/// A rectangle filled with a grey (0 black, 1 white), in mm from the page's top left.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fill {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
    pub grey: f32,
}

/// A page's artwork as PDF objects (a form XObject first), made canonical and
/// compressed by `canonical`.
type Artwork = Vec<lopdf::Object>;

/// The artwork of `tree` (an SVG parsed by usvg) as one PDF form XObject.
fn artwork(tree: &usvg::Tree) -> Result<Artwork, String> {
    let conversion = svg2pdf::ConversionOptions {
        compress: false, // deflated by `canonical`, at `DEFLATE_LEVEL`
        ..Default::default()
    };
    let (chunk, root) =
        svg2pdf::to_chunk(tree, conversion).map_err(|e| format!("cannot convert to PDF: {e}"))?;
    canonical(&chunk, root)
}

/// A PDF of `pages` at their exact physical size, with `/PrintScaling /None` so viewers
/// print at 100 %. Pages' artwork converts (and is made canonical and compressed) in
/// parallel, counted on `progress`; the document is then assembled from compressed
/// pieces, so a thousand-page sheet is never held uncompressed at once.
pub fn pdf(
    pages: &[Page],
    fonts: &Fonts,
    options: &usvg::Options,
    progress: Option<&Progress>,
) -> Result<Vec<u8>, String> {
    let art: Vec<Artwork> = pages
        .par_iter()
        .map(|p| {
            let art = artwork(&super::output::parse(&p.svg, options)?);
            progress.inspect(|p| p.inc());
            art
        })
        .collect::<Result<_, String>>()?;
    let frames: Vec<Frame> = pages
        .iter()
        .map(|p| Frame {
            width_mm: p.width_mm,
            height_mm: p.height_mm,
            fills: &[],
            runs: &p.runs,
            calibration: p.calibration,
        })
        .collect();
    document(&frames, art.into_iter().map(Some).collect(), fonts)
}

/// A PDF of `pages` drawn without SVG but for their `art`: no SVG to write, parse and
/// convert per page, and a QR code's modules as rectangles (a certificate PDF took a
/// third of a build's CPU, most of it in that round trip).
pub fn drawn(pages: &[Drawn], fonts: &Fonts, options: &usvg::Options) -> Result<Vec<u8>, String> {
    let art: Vec<Option<Artwork>> = pages
        .iter()
        .map(|p| {
            p.art
                .as_deref()
                .map(|svg| artwork(&super::output::parse(svg, options)?))
                .transpose()
        })
        .collect::<Result<_, String>>()?;
    let frames: Vec<Frame> = pages
        .iter()
        .map(|p| Frame {
            width_mm: p.width_mm,
            height_mm: p.height_mm,
            fills: &p.fills,
            runs: &p.runs,
            calibration: Calibration::default(),
        })
        .collect();
    document(&frames, art, fonts)
}

/// One label's PDF, `width_mm` × `height_mm`: its artwork `tree` (already parsed for
/// the PNG) and its text `runs`.
pub fn label(
    tree: &usvg::Tree,
    runs: &[Run],
    width_mm: f32,
    height_mm: f32,
    fonts: &Fonts,
) -> Result<Vec<u8>, String> {
    let frame = Frame {
        width_mm,
        height_mm,
        fills: &[],
        runs,
        calibration: Calibration::default(),
    };
    document(&[frame], vec![Some(artwork(tree)?)], fonts)
}

/// The document: each frame with its artwork, the fonts its text uses, the page tree.
fn document(frames: &[Frame], art: Vec<Option<Artwork>>, fonts: &Fonts) -> Result<Vec<u8>, String> {
    use lopdf::{Object, Stream, dictionary};
    // Objects 1-4: catalog, page tree, the two fonts; then each page's, in order.
    let (catalog, tree, font_ids) = (1, 2, [3, 4]);
    let mut doc = lopdf::Document::with_version("1.7");
    let mut next = 5;
    let mut used = [Used::default(), Used::default()];
    let mut kids = Vec::with_capacity(frames.len());
    for (page, objects) in frames.iter().zip(art) {
        let xobject = objects.map(|o| insert(&mut doc, o, None, &mut next));
        let (w, h) = (page.width_mm * PT_PER_MM, page.height_mm * PT_PER_MM);
        let mut content = Content::new();
        if xobject.is_some() {
            // The SVG's XObject is one unit square: scaled to the page.
            content.save_state();
            content.transform([w, 0.0, 0.0, h, 0.0, 0.0]);
            content.x_object(Name(b"L"));
            content.restore_state();
        }
        fills(&mut content, page, h);
        let faces = text(&mut content, page, h, &mut used);
        let content = deflate(&content.finish());
        let contents = add(
            &mut doc,
            Object::Stream(Stream::new(
                dictionary! { "Filter" => "FlateDecode" },
                content,
            )),
            &mut next,
        );
        let mut font_dict = lopdf::Dictionary::new();
        for (i, _) in faces.iter().enumerate().filter(|(_, f)| **f) {
            font_dict.set(FONT_NAMES[i], Object::Reference((font_ids[i], 0)));
        }
        let mut resources = lopdf::Dictionary::new();
        if let Some(x) = xobject {
            resources.set("XObject", dictionary! { "L" => Object::Reference((x, 0)) });
        }
        if !font_dict.is_empty() {
            resources.set("Font", font_dict);
        }
        let page = dictionary! {
            "Contents" => Object::Reference((contents, 0)),
            "MediaBox" => vec![0.into(), 0.into(), w.into(), h.into()],
            "Parent" => Object::Reference((tree, 0)),
            "Resources" => resources,
            "Type" => "Page",
        };
        kids.push(Object::Reference((
            add(&mut doc, Object::Dictionary(page), &mut next),
            0,
        )));
    }
    for (i, u) in used.iter().enumerate() {
        if u.chars.is_empty() {
            continue;
        }
        let mut chunk = pdf_writer::Chunk::new();
        let font = Ref::new(1);
        embed(&mut chunk, &mut Ref::new(2), font, fonts.face(i == 1), u)?;
        let objects = canonical(&chunk, font)?;
        insert(&mut doc, objects, Some(font_ids[i]), &mut next);
    }
    doc.objects.insert(
        (tree, 0),
        Object::Dictionary(dictionary! {
            "Count" => kids.len() as i64,
            "Kids" => kids,
            "Type" => "Pages",
        }),
    );
    doc.objects.insert(
        (catalog, 0),
        Object::Dictionary(dictionary! {
            "Pages" => Object::Reference((tree, 0)),
            "Type" => "Catalog",
            "ViewerPreferences" => dictionary! { "PrintScaling" => "None" },
        }),
    );
    doc.max_id = next - 1;
    doc.trailer.set("Root", Object::Reference((catalog, 0)));
    let mut out = Vec::new();
    doc.save_to(&mut out).map_err(|e| format!("PDF: {e}"))?;
    Ok(out)
}

/// Every stream of a PDF is deflated at this level (libdeflate). Measured with miniz on
/// the example's certificate PDFs (font subsets, artwork, content): level 1 gave 1,295 KB
/// for 45 PDFs at about 1.1 ms a PDF, level 3 959 KB (26 % less) at 1.6 ms, level 6 930 KB
/// at 3 ms. On the 10,000-product site (18,000 certificate PDFs, one build each), miniz
/// at level 3 took 40.6 s of CPU for 306.0 MB of PDFs, libdeflate at level 3 37.5 s for
/// 307.3 MB, and at level 6 47.2 s for 299.8 MB.
const DEFLATE_LEVEL: u8 = 3;

fn deflate(bytes: &[u8]) -> Vec<u8> {
    thread_local! {
        // A compressor holds its tables: one a thread, not one a stream.
        static COMPRESSOR: std::cell::RefCell<libdeflater::Compressor> =
            std::cell::RefCell::new(libdeflater::Compressor::new(
                libdeflater::CompressionLvl::new(DEFLATE_LEVEL.into())
                    .unwrap_or_default(),
            ));
    }
    COMPRESSOR.with_borrow_mut(|c| {
        let mut out = vec![0; c.zlib_compress_bound(bytes.len())];
        match c.zlib_compress(bytes, &mut out) {
            Ok(n) => {
                out.truncate(n);
                out
            }
            // Cannot happen (the bound is the bound): miniz then.
            Err(_) => miniz_oxide::deflate::compress_to_vec_zlib(bytes, DEFLATE_LEVEL),
        }
    })
}

/// Adds `object` (whose references are final) as number `next`, and returns it.
fn add(doc: &mut lopdf::Document, object: lopdf::Object, next: &mut u32) -> u32 {
    let id = *next;
    doc.objects.insert((id, 0), object);
    *next += 1;
    id
}

/// Adds `objects` (as `canonical` numbers them: 1, 2, ...) to `doc`, the first at
/// `first` if given, the rest from `next` on; returns the first one's number.
fn insert(
    doc: &mut lopdf::Document,
    objects: Vec<lopdf::Object>,
    first: Option<u32>,
    next: &mut u32,
) -> u32 {
    let base = *next;
    let id = |n: u32| match first {
        Some(f) if n == 1 => f,
        Some(_) => base + n - 2,
        None => base + n - 1,
    };
    let count = objects.len() as u32;
    for (k, mut o) in objects.into_iter().enumerate() {
        renumber(&mut o, &|(n, g)| Some((id(n), g)));
        doc.objects.insert((id(k as u32 + 1), 0), o);
    }
    *next += if first.is_some() { count - 1 } else { count };
    id(1)
}

/// Points each reference in `o` where `map` says; one `map` has no place for (none are
/// expected) becomes null, as PDF reads a reference to nothing.
fn renumber(o: &mut lopdf::Object, map: &dyn Fn(lopdf::ObjectId) -> Option<lopdf::ObjectId>) {
    use lopdf::Object;
    match o {
        Object::Reference(id) => match map(*id) {
            Some(new) => *id = new,
            None => *o = Object::Null,
        },
        Object::Dictionary(d) => d.iter_mut().for_each(|(_, v)| renumber(v, map)),
        Object::Stream(s) => s.dict.iter_mut().for_each(|(_, v)| renumber(v, map)),
        Object::Array(a) => a.iter_mut().for_each(|v| renumber(v, map)),
        _ => {}
    }
}

/// Draws `page`'s filled rectangles into `content`, each run of one grey as one path.
fn fills(content: &mut Content, page: &Frame, height_pt: f32) {
    if page.fills.is_empty() {
        return;
    }
    let c = &page.calibration;
    content.save_state();
    content.transform([PT_PER_MM, 0.0, 0.0, -PT_PER_MM, 0.0, height_pt]);
    content.transform([c.x_scale, 0.0, 0.0, c.y_scale, c.x_offset_mm, c.y_offset_mm]);
    let mut grey = None;
    for f in page.fills {
        if grey != Some(f.grey) {
            if grey.is_some() {
                content.fill_nonzero();
            }
            content.set_fill_gray(f.grey);
            grey = Some(f.grey);
        }
        content.rect(f.x, f.y, f.width, f.height);
    }
    content.fill_nonzero();
    content.restore_state();
}

/// Writes `page`'s text into `content`, numbering its glyphs in `used`; returns which
/// faces (regular, bold) the page uses.
fn text(content: &mut Content, page: &Frame, height_pt: f32, used: &mut [Used; 2]) -> [bool; 2] {
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
    for run in page.runs {
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
            // A character the font lacks is drawn as its `.notdef` box: it stands for no
            // text (else every missing character would copy as the first one met).
            if g.id != 0 {
                used[f]
                    .chars
                    .entry(cid)
                    .or_insert_with(|| run.chars(g).to_string());
            }
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
    pdf: &mut pdf_writer::Chunk,
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
        // Without hinting, which a PDF viewer does not use (`unhint`).
        let bare = super::unhint::unhinted(&subset).unwrap_or(subset);
        pdf.stream(data_ref, &bare);
    }
    Ok(())
}

const SYSTEM_INFO: SystemInfo = SystemInfo {
    registry: Str(b"Adobe"),
    ordering: Str(b"Identity"),
    supplement: 0,
};

/// A piece of PDF written by pdf-writer (svg2pdf's artwork, a font) as lopdf objects
/// in a canonical form: dictionary keys sorted, streams deflated, and objects numbered
/// 1, 2, ... in the order a walk from `root` meets them (so `root` is 1). svg2pdf writes
/// resource entries in hash-map order, which differs from run to run; this makes the
/// same labels give a byte-identical file (SPEC §11).
fn canonical(chunk: &pdf_writer::Chunk, root: Ref) -> Result<Vec<lopdf::Object>, String> {
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
    // Read back through a one-object document whose catalog points at `root`.
    let mut pdf = Pdf::new();
    let mut next = Ref::new(2);
    let mut map = HashMap::new();
    let chunk = chunk.renumber(|old| *map.entry(old).or_insert_with(|| next.bump()));
    pdf.extend(&chunk);
    let root = *map.get(&root).ok_or("PDF: the root object is missing")?;
    pdf.catalog(Ref::new(1)).pair(Name(b"Root"), root);
    let mut doc = lopdf::Document::load_mem(&pdf.finish()).map_err(|e| format!("PDF: {e}"))?;
    let root = (root.get() as u32, 0);
    let mut order: HashMap<ObjectId, u32> = HashMap::new();
    let mut walk = Vec::new();
    let mut queue = std::collections::VecDeque::from([root]);
    while let Some(id) = queue.pop_front() {
        if order.contains_key(&id) {
            continue;
        }
        let Some(mut o) = doc.objects.remove(&id) else {
            continue;
        };
        order.insert(id, order.len() as u32 + 1);
        sort(&mut o);
        if let Object::Stream(s) = &mut o
            && !s.dict.has(b"Filter")
        {
            let packed = deflate(&s.content);
            s.dict.set("Filter", Object::Name(b"FlateDecode".to_vec()));
            s.set_content(packed);
        }
        let mut next = Vec::new();
        refs(&o, &mut next);
        queue.extend(next);
        walk.push(o);
    }
    for o in &mut walk {
        renumber(o, &|id| order.get(&id).map(|&n| (n, 0)));
    }
    Ok(walk)
}
