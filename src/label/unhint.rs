//! A TrueType font subset without its hinting: the glyph programs inside `glyf` and the
//! `cvt `, `fpgm` and `prep` tables they run with. Hinting snaps outlines to the pixel
//! grid of a low-resolution screen; a PDF is printed or shown scaled, where viewers
//! (pdf.js, Chrome, Preview, poppler) rasterise outlines without it. The outlines,
//! advances and every other table stay as they were, so a page looks and measures the
//! same; in the DejaVu subsets of a certificate PDF the hinting is a third or more of the
//! font program (done as fontTools' `--no-hinting` does it).
//!
//! The `name` table keeps only the font's identity (copyright, family, style, full and
//! PostScript names): DejaVu's carries its whole licence text, 10 KB per face, which no
//! viewer reads from an embedded subset (about 4 KB of a certificate PDF's 24 once
//! deflated). `post` drops its glyph names (format 3), which a PDF's CID font does not use.

/// Tables that only hinting uses.
const HINTING: [&[u8; 4]; 3] = [b"cvt ", b"fpgm", b"prep"];

/// `font` (a TrueType font with `glyf` outlines, one face) with its hinting removed;
/// `None` when it is not such a font or is malformed (the caller then embeds it as it is).
pub fn unhinted(font: &[u8]) -> Option<Vec<u8>> {
    let tables = directory(font)?;
    let table = |tag: &[u8; 4]| tables.iter().find(|(t, _)| t == tag).map(|(_, d)| *d);
    let head = table(b"head")?;
    let long = match read16(head, 50)? {
        0 => false,
        1 => true,
        _ => return None,
    };
    let (glyf, loca) = strip_glyphs(table(b"glyf")?, table(b"loca")?, long)?;
    let mut out: Vec<([u8; 4], Vec<u8>)> = Vec::with_capacity(tables.len());
    for (tag, data) in &tables {
        if HINTING.contains(&tag) {
            continue;
        }
        let data = match tag {
            b"glyf" => glyf.clone(),
            b"loca" => loca.clone(),
            b"maxp" => maxp(data),
            b"name" => name(data).unwrap_or_else(|| data.to_vec()),
            b"post" if data.len() >= 32 => post(data),
            b"head" => {
                // Recomputed over the whole font below.
                let mut h = data.to_vec();
                h.get_mut(8..12)?.fill(0);
                h
            }
            _ => data.to_vec(),
        };
        out.push((*tag, data));
    }
    Some(assemble(read32(font, 0)?, out))
}

fn read16(data: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(data.get(at..at + 2)?.try_into().ok()?))
}

fn read32(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

/// The table directory: each table's tag and bytes, in the font's order.
fn directory(font: &[u8]) -> Option<Vec<([u8; 4], &[u8])>> {
    // TrueType outlines only (`\0\1\0\0` or `true`); an OpenType CFF font has no hinting
    // of this kind.
    if !matches!(read32(font, 0)?, 0x0001_0000 | 0x7472_7565) {
        return None;
    }
    let count = usize::from(read16(font, 4)?);
    (0..count)
        .map(|i| {
            let record = font.get(12 + 16 * i..28 + 16 * i)?;
            let tag: [u8; 4] = record[..4].try_into().ok()?;
            let offset = read32(record, 8)? as usize;
            let length = read32(record, 12)? as usize;
            Some((tag, font.get(offset..offset.checked_add(length)?)?))
        })
        .collect()
}

/// `glyf` without each glyph's instructions, and its new `loca` (in the same format).
fn strip_glyphs(glyf: &[u8], loca: &[u8], long: bool) -> Option<(Vec<u8>, Vec<u8>)> {
    let offsets: Vec<usize> = if long {
        loca.chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
            .collect()
    } else {
        loca.chunks_exact(2)
            .map(|c| 2 * usize::from(u16::from_be_bytes([c[0], c[1]])))
            .collect()
    };
    let mut out = Vec::with_capacity(glyf.len());
    let mut starts = Vec::with_capacity(offsets.len());
    for pair in offsets.windows(2) {
        starts.push(out.len());
        let (from, to) = (pair[0], pair[1]);
        if to > from {
            strip_glyph(glyf.get(from..to)?, &mut out)?;
            // Short offsets count words: each glyph starts on an even byte.
            while out.len() % if long { 4 } else { 2 } != 0 {
                out.push(0);
            }
        }
    }
    starts.push(out.len());
    let mut new_loca = Vec::with_capacity(loca.len());
    for s in starts {
        if long {
            new_loca.extend_from_slice(&u32::try_from(s).ok()?.to_be_bytes());
        } else {
            new_loca.extend_from_slice(&u16::try_from(s / 2).ok()?.to_be_bytes());
        }
    }
    Some((out, new_loca))
}

/// Appends glyph `g` to `out` without its instructions.
fn strip_glyph(g: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let contours = read16(g, 0)? as i16;
    if contours >= 0 {
        // Header, contour end points, then the instructions' length and bytes, then
        // flags and coordinates.
        let at = 10 + 2 * contours as usize;
        let length = usize::from(read16(g, at)?);
        let rest = g.get(at + 2 + length..)?;
        out.extend_from_slice(g.get(..at)?);
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(rest);
        return Some(());
    }
    // A composite: its components, the last of which may say instructions follow.
    const ARGS_ARE_WORDS: u16 = 0x0001;
    const HAS_SCALE: u16 = 0x0008;
    const MORE_COMPONENTS: u16 = 0x0020;
    const HAS_X_AND_Y_SCALE: u16 = 0x0040;
    const HAS_TWO_BY_TWO: u16 = 0x0080;
    const HAS_INSTRUCTIONS: u16 = 0x0100;
    let start = out.len();
    out.extend_from_slice(g.get(..10)?);
    let mut at = 10;
    loop {
        let flags = read16(g, at)?;
        let mut size = 4 + if flags & ARGS_ARE_WORDS != 0 { 4 } else { 2 };
        if flags & HAS_SCALE != 0 {
            size += 2;
        } else if flags & HAS_X_AND_Y_SCALE != 0 {
            size += 4;
        } else if flags & HAS_TWO_BY_TWO != 0 {
            size += 8;
        }
        let component = out.len();
        out.extend_from_slice(g.get(at..at + size)?);
        out[component..component + 2].copy_from_slice(&(flags & !HAS_INSTRUCTIONS).to_be_bytes());
        at += size;
        if flags & MORE_COMPONENTS == 0 {
            break;
        }
    }
    assert!(out.len() > start);
    Some(())
}

/// `maxp` with the limits hinting needs set as for a font without it.
fn maxp(data: &[u8]) -> Vec<u8> {
    let mut m = data.to_vec();
    // Version 1.0 (TrueType outlines): maxZones, maxTwilightPoints, maxStorage,
    // maxFunctionDefs, maxInstructionDefs, maxStackElements, maxSizeOfInstructions.
    if read32(&m, 0) == Some(0x0001_0000) && m.len() >= 28 {
        m[14..16].copy_from_slice(&1u16.to_be_bytes());
        m[16..28].fill(0);
    }
    m
}

/// Name ids a font keeps: copyright, family, subfamily, full name and PostScript name.
const KEPT_NAMES: [u16; 5] = [0, 1, 2, 4, 6];

/// `name` with only the records of [`KEPT_NAMES`] (in their order, with their strings);
/// `None` when it is not a well-formed format 0 or 1 table.
fn name(data: &[u8]) -> Option<Vec<u8>> {
    let count = usize::from(read16(data, 2)?);
    let strings = usize::from(read16(data, 4)?);
    let mut records = Vec::new();
    let mut pool: Vec<u8> = Vec::new();
    for i in 0..count {
        let r = data.get(6 + 12 * i..18 + 12 * i)?;
        if !KEPT_NAMES.contains(&read16(r, 6)?) {
            continue;
        }
        let (length, offset) = (usize::from(read16(r, 8)?), usize::from(read16(r, 10)?));
        let text = data.get(strings + offset..strings + offset + length)?;
        records.extend_from_slice(&r[..10]);
        records.extend_from_slice(&u16::try_from(pool.len()).ok()?.to_be_bytes());
        pool.extend_from_slice(text);
    }
    let kept = records.len() / 12;
    let mut out = Vec::with_capacity(6 + records.len() + pool.len());
    // Format 0: no language-tag records follow (format 1's are dropped with the rest).
    out.extend_from_slice(&0u16.to_be_bytes());
    out.extend_from_slice(&u16::try_from(kept).ok()?.to_be_bytes());
    out.extend_from_slice(&u16::try_from(6 + records.len()).ok()?.to_be_bytes());
    out.extend_from_slice(&records);
    out.extend_from_slice(&pool);
    Some(out)
}

/// `post` as version 3.0: its header (italic angle, underline, fixed pitch) without glyph
/// names.
fn post(data: &[u8]) -> Vec<u8> {
    let mut p = data[..32].to_vec();
    p[..4].copy_from_slice(&0x0003_0000u32.to_be_bytes());
    p
}

/// A font file of `tables` (sorted by tag, each on a four-byte boundary, with their
/// checksums and the `head` checksum adjustment).
fn assemble(version: u32, mut tables: Vec<([u8; 4], Vec<u8>)>) -> Vec<u8> {
    tables.sort_by_key(|t| t.0);
    let count = tables.len() as u16;
    let mut power = 1u16;
    let mut log = 0u16;
    while power * 2 <= count {
        power *= 2;
        log += 1;
    }
    let mut out = Vec::new();
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(&count.to_be_bytes());
    out.extend_from_slice(&(power * 16).to_be_bytes());
    out.extend_from_slice(&log.to_be_bytes());
    out.extend_from_slice(&(count * 16 - power * 16).to_be_bytes());
    let mut offset = 12 + 16 * tables.len();
    let mut head_at = None;
    for (tag, data) in &tables {
        out.extend_from_slice(tag);
        out.extend_from_slice(&checksum(data).to_be_bytes());
        out.extend_from_slice(&(offset as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        if tag == b"head" {
            head_at = Some(offset);
        }
        offset += data.len().next_multiple_of(4);
    }
    for (_, data) in &tables {
        out.extend_from_slice(data);
        out.resize(out.len().next_multiple_of(4), 0);
    }
    if let Some(at) = head_at {
        let adjustment = 0xB1B0_AFBAu32.wrapping_sub(checksum(&out));
        out[at + 8..at + 12].copy_from_slice(&adjustment.to_be_bytes());
    }
    out
}

/// The OpenType table checksum: the sum of big-endian u32 words, zero-padded.
fn checksum(data: &[u8]) -> u32 {
    data.chunks(4).fold(0u32, |sum, c| {
        let mut word = [0u8; 4];
        word[..c.len()].copy_from_slice(c);
        sum.wrapping_add(u32::from_be_bytes(word))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ttf_parser::{Face, GlyphId, OutlineBuilder};

    #[derive(Default, PartialEq, Debug)]
    struct Path(Vec<String>);
    impl OutlineBuilder for Path {
        fn move_to(&mut self, x: f32, y: f32) {
            self.0.push(format!("M{x} {y}"));
        }
        fn line_to(&mut self, x: f32, y: f32) {
            self.0.push(format!("L{x} {y}"));
        }
        fn quad_to(&mut self, a: f32, b: f32, x: f32, y: f32) {
            self.0.push(format!("Q{a} {b} {x} {y}"));
        }
        fn curve_to(&mut self, a: f32, b: f32, c: f32, d: f32, x: f32, y: f32) {
            self.0.push(format!("C{a} {b} {c} {d} {x} {y}"));
        }
        fn close(&mut self) {
            self.0.push("Z".into());
        }
    }

    fn outlines(font: &[u8]) -> Vec<(Path, Option<u16>)> {
        let face = Face::parse(font, 0).unwrap();
        (0..face.number_of_glyphs())
            .map(|g| {
                let mut p = Path::default();
                face.outline_glyph(GlyphId(g), &mut p);
                (p, face.glyph_hor_advance(GlyphId(g)))
            })
            .collect()
    }

    /// Every glyph of both bundled faces, whole and as a subset with composites (`é`,
    /// `Å`), keeps its outline and advance; the hinting tables and programs are gone and
    /// the checksums hold.
    #[test]
    fn outlines_stay_and_hinting_goes() {
        for file in ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("themes/default/fonts")
                .join(file);
            let whole = std::fs::read(path).unwrap();
            let face = Face::parse(&whole, 0).unwrap();
            let mut remapper = subsetter::GlyphRemapper::new();
            for c in "Aé Å·—0123456789 Certificate".chars() {
                remapper.remap(face.glyph_index(c).unwrap().0);
            }
            let subset = subsetter::subset(&whole, 0, &remapper).unwrap();
            for font in [&whole, &subset] {
                let bare = unhinted(font).unwrap();
                assert!(bare.len() < font.len(), "{file}");
                assert_eq!(outlines(&bare), outlines(font), "{file}");
                let tables = directory(&bare).unwrap();
                for (tag, data) in &tables {
                    assert!(!HINTING.contains(&tag), "{file}");
                    if tag != b"head" {
                        let record = bare.windows(4).position(|w| w == tag).unwrap();
                        assert_eq!(read32(&bare, record + 4), Some(checksum(data)));
                    }
                }
                assert_eq!(checksum(&bare), 0xB1B0_AFBA, "{file}");
                // No glyph keeps a program: every simple glyph's instruction length is 0.
                let b = Face::parse(&bare, 0).unwrap();
                // The font's identity stays; its licence text and glyph names go.
                let names = |f: &Face| -> Vec<(u16, Option<String>)> {
                    f.names()
                        .into_iter()
                        .filter(|n| KEPT_NAMES.contains(&n.name_id))
                        .map(|n| (n.name_id, n.to_string()))
                        .collect()
                };
                let before = Face::parse(font, 0).unwrap();
                assert_eq!(names(&b), names(&before), "{file}");
                assert!(
                    names(&b)
                        .iter()
                        .any(|(id, n)| *id == 1 && n.as_deref() == Some("DejaVu Sans"))
                );
                assert!(
                    b.names()
                        .into_iter()
                        .all(|n| KEPT_NAMES.contains(&n.name_id))
                );
                assert!(
                    before.names().into_iter().any(|n| n.name_id == 13),
                    "{file}: had a licence"
                );
                assert_eq!(b.glyph_name(GlyphId(3)), None, "{file}");
                assert_eq!(b.italic_angle(), before.italic_angle(), "{file}");
                assert_eq!(b.underline_metrics(), before.underline_metrics(), "{file}");
                assert_eq!(
                    b.number_of_glyphs(),
                    Face::parse(font, 0).unwrap().number_of_glyphs()
                );
                assert_eq!(unhinted(&bare).unwrap(), bare, "{file}: not idempotent");
            }
        }
    }

    #[test]
    fn what_is_not_truetype_is_left_alone() {
        assert_eq!(unhinted(b"OTTO\0\0\0\0\0\0\0\0"), None);
        assert_eq!(unhinted(b""), None);
        assert_eq!(unhinted(&[0, 1, 0, 0, 0, 1]), None);
    }
}
