//! QR codes for print (labels.md §2): the `qrcode` crate's modules as one SVG path, a
//! 4-module quiet zone, and a module size of a whole number of printer dots, never below
//! the smallest X-dimension GS1 specifies for a Digital Link QR code.

use crate::config::QrLevel;
use qrcode::EcLevel;

/// Light modules on every side (ISO/IEC 18004).
pub const QUIET_ZONE: usize = 4;
/// The smallest module (X-dimension) in mm: GS1 General Specifications §5.12.3.1 for a
/// GS1 Digital Link QR code at retail point of sale, via labels.md §2 [2nd].
pub const MIN_MODULE_MM: f32 = 0.396;
/// The largest module GS1 specifies for the same use (labels.md §2): a bigger code only
/// takes room from the label's text.
pub const MAX_MODULE_MM: f32 = 0.990;
/// Printer dots per module at least (labels.md §2: otherwise modules print unevenly).
pub const MIN_DOTS: u32 = 2;

pub fn ec_level(level: QrLevel) -> EcLevel {
    match level {
        QrLevel::L => EcLevel::L,
        QrLevel::M => EcLevel::M,
        QrLevel::Q => EcLevel::Q,
        QrLevel::H => EcLevel::H,
    }
}

/// An encoded code: its dark modules.
pub struct Code {
    pub data: String,
    pub version: i16,
    /// Modules per side, without the quiet zone.
    pub width: usize,
    dark: Vec<bool>,
}

impl Code {
    pub fn encode(data: &str, level: QrLevel) -> Result<Code, String> {
        let ec = ec_level(level);
        let failed =
            |e: qrcode::types::QrError| format!("cannot encode `{data}` as a QR code: {e}");
        // QrCode::with_error_correction_level, step by step, so that the mask is chosen
        // by `penalty` below: the crate's own scoring took a quarter of the time of
        // printing 10,000 labels. The same rules give the same mask, hence the same code.
        let bits = qrcode::bits::encode_auto(data.as_bytes(), ec).map_err(failed)?;
        let version = bits.version();
        let (codewords, ec_codewords) =
            qrcode::ec::construct_codewords(&bits.into_bytes(), version, ec).map_err(failed)?;
        let mut canvas = qrcode::canvas::Canvas::new(version, ec);
        canvas.draw_all_functional_patterns();
        canvas.draw_data(&codewords, &ec_codewords);
        let width = version.width() as usize;
        let dark = MASKS
            .iter()
            .map(|&mask| {
                let mut c = canvas.clone();
                c.apply_mask(mask);
                let dark: Vec<bool> = c
                    .into_colors()
                    .into_iter()
                    .map(|c| c == qrcode::Color::Dark)
                    .collect();
                (penalty(&dark, width), dark)
            })
            // The first of equal scores, as the crate picks.
            .min_by_key(|(score, _)| *score)
            .map(|(_, dark)| dark)
            .expect("eight masks");
        let version = match version {
            qrcode::Version::Normal(v) | qrcode::Version::Micro(v) => v,
        };
        Ok(Code {
            data: data.to_string(),
            version,
            width,
            dark,
        })
    }

    /// Modules per side with the quiet zone.
    pub fn side(&self) -> usize {
        self.width + 2 * QUIET_ZONE
    }

    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        self.dark[y * self.width + x]
    }

    /// The dark modules as rectangles `[x, y, width, height]` in module units, the quiet
    /// zone included in the coordinates: each horizontal run of dark modules, merged with
    /// the same run in the rows below it (a finder pattern's sides are one rectangle
    /// each). A certificate PDF draws these: about 40% fewer than the runs.
    pub fn blocks(&self) -> Vec<[usize; 4]> {
        let mut out: Vec<[usize; 4]> = Vec::new();
        // The runs of the row above: (start, end) → the rectangle they extend.
        let mut open: std::collections::HashMap<(usize, usize), usize> = Default::default();
        for y in 0..self.width {
            let mut row = std::collections::HashMap::new();
            for (start, end) in self.runs(y) {
                let at = match open.get(&(start, end)) {
                    Some(&i) => {
                        out[i][3] += 1;
                        i
                    }
                    None => {
                        out.push([start + QUIET_ZONE, y + QUIET_ZONE, end - start, 1]);
                        out.len() - 1
                    }
                };
                row.insert((start, end), at);
            }
            open = row;
        }
        out
    }

    /// The runs of dark modules in row `y`: (first, one past the last), in the symbol's
    /// coordinates.
    fn runs(&self, y: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
        let mut x = 0;
        std::iter::from_fn(move || {
            while x < self.width && !self.is_dark(x, y) {
                x += 1;
            }
            let start = x;
            while x < self.width && self.is_dark(x, y) {
                x += 1;
            }
            (x > start).then_some((start, x))
        })
    }

    /// The dark modules as one SVG path in module units, the quiet zone included in the
    /// coordinates (the symbol starts at `QUIET_ZONE`). Each horizontal run of dark
    /// modules is one rectangle, so the path stays short and edges stay crisp.
    pub fn svg_path(&self) -> String {
        use std::fmt::Write;
        let mut d = String::new();
        for y in 0..self.width {
            for (start, end) in self.runs(y) {
                let w = end - start;
                // Writing to a String cannot fail.
                let _ = write!(d, "M{} {}h{w}v1h-{w}z", start + QUIET_ZONE, y + QUIET_ZONE);
            }
        }
        d
    }

    /// The dark modules as one SVG path of horizontal strokes in module units, for
    /// `stroke-width="1"` with no fill: each run of dark modules is a line through the
    /// middle of its row (`M<x> <y>.5h<w>`, later runs of the row `m<gap> 0h<w>`). It draws
    /// exactly what [`Code::svg_path`] fills in a third of the bytes (the code was 3.0 of a
    /// label's 4.35 KB), which matters on a site publishing a label per lot.
    pub fn svg_rows(&self) -> String {
        use std::fmt::Write;
        let mut d = String::new();
        for y in 0..self.width {
            let mut at = None;
            for (start, end) in self.runs(y) {
                let w = end - start;
                // Writing to a String cannot fail.
                let _ = match at {
                    None => write!(d, "M{} {}.5h{w}", start + QUIET_ZONE, y + QUIET_ZONE),
                    Some(prev) => write!(d, "m{} 0h{w}", start - prev),
                };
                at = Some(end);
            }
        }
        d
    }
}

/// The eight mask patterns of a QR code, in the order of their numbers.
const MASKS: [qrcode::canvas::MaskPattern; 8] = {
    use qrcode::canvas::MaskPattern::*;
    [
        Checkerboard,
        HorizontalLines,
        VerticalLines,
        DiagonalLines,
        LargeCheckerboard,
        Fields,
        Diamonds,
        Meadow,
    ]
};

/// A masked symbol's penalty (ISO/IEC 18004 §7.8.3), scored as the `qrcode` crate
/// scores it: runs of five or more alike, 2×2 blocks alike, finder-like patterns not
/// clear of dark modules on one side, and dark/light imbalance.
fn penalty(dark: &[bool], width: usize) -> u32 {
    if width <= 128 {
        return penalty_bits(dark, width);
    }
    penalty_slices(dark, width)
}

/// [`penalty`] over rows and columns as bits (module `i` of a line is bit `i`), for codes
/// up to version 28: every certificate and label URL. Eight masks are scored for every
/// code, and scanning them module by module was a sixteenth of a build's CPU.
fn penalty_bits(dark: &[bool], width: usize) -> u32 {
    let mut rows = vec![0u128; width];
    let mut columns = vec![0u128; width];
    for (i, _) in dark.iter().enumerate().filter(|(_, d)| **d) {
        let (y, x) = (i / width, i % width);
        rows[y] |= 1 << x;
        columns[x] |= 1 << y;
    }
    let full: u128 = if width == 128 { !0 } else { (1 << width) - 1 };
    let mut score = 0u32;
    for &line in rows.iter().chain(&columns) {
        // Runs of 5 + n alike: 3 + n. A run ends where a module differs from the next
        // (or at the edge).
        let ends = (line ^ (line >> 1)) & (full >> 1) | (1 << (width - 1));
        let mut start = 0;
        let mut rest = ends;
        while rest != 0 {
            let end = rest.trailing_zeros() as usize;
            let len = end + 1 - start;
            if len >= 5 {
                score += len as u32 - 2;
            }
            start = end + 1;
            rest &= rest - 1;
        }
        // 1:1:3:1:1 dark-light-dark-light-dark, without four light modules on both
        // sides (outside the symbol counts as light): 40.
        if width >= 7 {
            let mut finders = line
                & !(line >> 1)
                & (line >> 2)
                & (line >> 3)
                & (line >> 4)
                & !(line >> 5)
                & (line >> 6)
                & (full >> 6);
            while finders != 0 {
                let j = finders.trailing_zeros() as usize;
                let before = line & ((1u128 << j) - 1) & !((1u128 << j.saturating_sub(4)) - 1);
                let after = (line >> (j + 7).min(127)) & 0xf;
                let after = if j + 7 >= width { 0 } else { after };
                if before == 0 || after == 0 {
                    score += 40;
                }
                finders &= finders - 1;
            }
        }
    }
    // 2×2 blocks alike: 3 each.
    for pair in rows.windows(2) {
        let vertical = !(pair[0] ^ pair[1]);
        let horizontal = !(pair[0] ^ (pair[0] >> 1));
        let blocks = vertical & (vertical >> 1) & horizontal & (full >> 1);
        score += 3 * blocks.count_ones();
    }
    let dark_count: usize = rows.iter().map(|r| r.count_ones() as usize).sum();
    let ratio = dark_count * 200 / dark.len();
    score + ratio.abs_diff(100) as u32
}

/// [`penalty`] module by module, for codes wider than 128 modules.
fn penalty_slices(dark: &[bool], width: usize) -> u32 {
    // Rows, then columns (the symbol transposed), each scanned as a slice.
    let columns: Vec<bool> = (0..width * width)
        .map(|i| dark[(i % width) * width + i / width])
        .collect();
    let mut score = 0u32;
    for line in dark.chunks_exact(width).chain(columns.chunks_exact(width)) {
        // Runs of 5 + n alike: 3 + n.
        for run in line.chunk_by(|a, b| a == b) {
            if run.len() >= 5 {
                score += run.len() as u32 - 2;
            }
        }
        // 1:1:3:1:1 dark-light-dark-light-dark, without four light modules on both
        // sides (outside the symbol counts as light): 40.
        const FINDER: [bool; 7] = [true, false, true, true, true, false, true];
        for (j, window) in line.windows(7).enumerate() {
            if window != FINDER {
                continue;
            }
            let dark_before = line[j.saturating_sub(4)..j].contains(&true);
            let dark_after = line[j + 7..(j + 11).min(width)].contains(&true);
            if !dark_before || !dark_after {
                score += 40;
            }
        }
    }
    // (The crate subtracts 360 from each direction's finder score, for the finder
    // patterns themselves: the same for every mask, so left out here.)
    for y in 0..width - 1 {
        for x in 0..width - 1 {
            let c = dark[y * width + x];
            if dark[y * width + x + 1] == c
                && dark[(y + 1) * width + x] == c
                && dark[(y + 1) * width + x + 1] == c
            {
                score += 3;
            }
        }
    }
    let ratio = dark.iter().filter(|&&d| d).count() * 200 / dark.len();
    score + ratio.abs_diff(100) as u32
}

/// How big a code prints: dots per module at a printer's resolution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sizing {
    pub dots: u32,
    pub dpi: u32,
    /// Module size in mm (a whole number of dots).
    pub module_mm: f32,
    /// The whole symbol with its quiet zone, in mm.
    pub size_mm: f32,
}

fn dot_mm(dpi: u32) -> f32 {
    25.4 / dpi as f32
}

/// The fewest dots per module that give a readable module at `dpi`.
pub fn min_dots(dpi: u32) -> u32 {
    ((MIN_MODULE_MM / dot_mm(dpi)).ceil() as u32).max(MIN_DOTS)
}

/// A code too big for its label.
#[derive(Debug)]
pub struct TooSmall {
    /// The smallest readable symbol, quiet zone included, in mm.
    pub needed_mm: f32,
    pub message: String,
}

/// The largest code that fits a square of `box_mm` at `dpi` (dots per module at most
/// `max_dots`, as ZPL allows 10), or what the smallest readable one would need.
pub fn size(code: &Code, box_mm: f32, dpi: u32, max_dots: u32) -> Result<Sizing, TooSmall> {
    let side = code.side() as f32;
    let dot = dot_mm(dpi);
    let largest = ((MAX_MODULE_MM / dot).floor() as u32).max(min_dots(dpi));
    let fits = ((box_mm / (side * dot)).floor() as u32)
        .min(max_dots)
        .min(largest);
    let need = min_dots(dpi);
    if fits < need {
        let needed_mm = side * need as f32 * dot;
        return Err(TooSmall {
            needed_mm,
            message: format!(
                "the QR code for {} needs {needed_mm:.1} mm square (version {}: {} modules with the quiet zone, each {need} dots of {dot:.3} mm at {dpi} dpi, the smallest readable module being {MIN_MODULE_MM} mm), but the label leaves {box_mm:.1} mm",
                code.data,
                code.version,
                code.side(),
            ),
        });
    }
    Ok(Sizing {
        dots: fits,
        dpi,
        module_mm: fits as f32 * dot,
        size_mm: side * fits as f32 * dot,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use qrcode::QrCode;

    #[test]
    fn modules_are_whole_dots_and_readable() {
        let code = Code::encode(
            "https://certs.littleoak.example/01/09521234000112/10/2026-03A",
            QrLevel::M,
        )
        .unwrap();
        assert_eq!(code.version, 4);
        let s = size(&code, 22.0, 300, 10).unwrap();
        assert!(s.module_mm >= MIN_MODULE_MM);
        let big = size(&code, 80.0, 300, u32::MAX).unwrap();
        assert!(big.module_mm <= MAX_MODULE_MM, "{}", big.module_mm);
        assert!(s.size_mm <= 22.0);
        assert!((s.module_mm / (25.4 / 300.0) - s.dots as f32).abs() < 1e-4);
        assert_eq!(min_dots(203), 4);
        assert_eq!(min_dots(300), 5);
        assert_eq!(min_dots(600), 10);
    }

    #[test]
    fn the_mask_is_the_one_the_qrcode_crate_picks() {
        // Lengths across versions 1-10, every level: the same modules as QrCode's own
        // encoder, which scores masks the slow way.
        for n in [1, 7, 20, 33, 48, 61, 77, 90, 120, 150, 190, 230] {
            let data: String = "https://certs.example/01/09521234000112/10/LOT-"
                .chars()
                .cycle()
                .take(n)
                .collect();
            for level in [QrLevel::L, QrLevel::M, QrLevel::Q, QrLevel::H] {
                let ours = Code::encode(&data, level).unwrap();
                let theirs = QrCode::with_error_correction_level(&data, ec_level(level)).unwrap();
                let expected: Vec<bool> = theirs
                    .to_colors()
                    .into_iter()
                    .map(|c| c == qrcode::Color::Dark)
                    .collect();
                assert_eq!(ours.width, theirs.width());
                assert!(ours.dark == expected, "{n} characters at {level:?}");
            }
        }
    }

    #[test]
    fn penalty_by_bits_is_penalty_by_modules() {
        // Random symbols of every width up to 128, and the edge cases: all light, all
        // dark, finder-like patterns at both edges.
        let mut state = 0x9e3779b97f4a7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for width in (1..=128).chain([21, 25, 57, 128]) {
            for fill in 0..4 {
                let dark: Vec<bool> = (0..width * width)
                    .map(|i| match fill {
                        0 => false,
                        1 => true,
                        2 => [true, false, true, true, true, false, true][i % width % 7],
                        _ => next() % 3 == 0,
                    })
                    .collect();
                assert_eq!(
                    penalty_bits(&dark, width),
                    penalty_slices(&dark, width),
                    "width {width}, fill {fill}"
                );
            }
        }
    }

    /// The blocks cover every dark module once and no light one, fewer than the runs.
    #[test]
    fn blocks_cover_exactly_the_dark_modules() {
        for data in [
            "https://certs.example/certificates/LO-X-US-CPC/",
            "a",
            &"x".repeat(300),
        ] {
            let code = Code::encode(data, QrLevel::M).unwrap();
            let mut covered = vec![0u8; code.width * code.width];
            let blocks = code.blocks();
            for [x, y, w, h] in &blocks {
                for yy in *y..y + h {
                    for xx in *x..x + w {
                        covered[(yy - QUIET_ZONE) * code.width + xx - QUIET_ZONE] += 1;
                    }
                }
            }
            for y in 0..code.width {
                for x in 0..code.width {
                    assert_eq!(
                        covered[y * code.width + x],
                        u8::from(code.is_dark(x, y)),
                        "{data}: ({x}, {y})"
                    );
                }
            }
            let runs = code.svg_path().matches('M').count();
            assert!(
                blocks.len() < runs,
                "{data}: {} blocks, {runs} runs",
                blocks.len()
            );
        }
    }

    /// The row strokes draw exactly the filled rectangles, pixel for pixel, at whole
    /// pixels per module as labels print, and at a fraction of a pixel (anti-aliased).
    #[test]
    fn row_strokes_draw_what_the_rectangles_fill() {
        use resvg::{tiny_skia, usvg};
        let draw = |code: &Code, path: &str, scale: f32| {
            let side = code.side();
            let svg = format!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" shape-rendering="crispEdges">{path}</svg>"#
            );
            let tree = usvg::Tree::from_str(&svg, &usvg::Options::default()).unwrap();
            let px = (side as f32 * scale).round() as u32;
            let mut pixmap = tiny_skia::Pixmap::new(px, px).unwrap();
            pixmap.fill(tiny_skia::Color::WHITE);
            let k = px as f32 / side as f32;
            resvg::render(
                &tree,
                tiny_skia::Transform::from_scale(k, k),
                &mut pixmap.as_mut(),
            );
            pixmap.data().to_vec()
        };
        for data in [
            "https://certs.example/01/09521234000112/10/2026-03A",
            "a",
            &"x".repeat(300),
        ] {
            let code = Code::encode(data, QrLevel::M).unwrap();
            let filled = format!(r##"<path d="{}" fill="#000"/>"##, code.svg_path());
            let stroked = format!(
                r##"<path d="{}" fill="none" stroke="#000" stroke-width="1"/>"##,
                code.svg_rows()
            );
            for scale in [1.0, 4.0, 2.7] {
                assert!(
                    draw(&code, &filled, scale) == draw(&code, &stroked, scale),
                    "{data} at {scale} px a module"
                );
            }
            assert!(
                code.svg_rows().len() * 2 < code.svg_path().len(),
                "{data}: {} against {} bytes",
                code.svg_rows().len(),
                code.svg_path().len()
            );
        }
    }

    #[test]
    fn too_small_a_label_says_what_would_fit() {
        let code = Code::encode(
            "https://certs.littleoak.example/01/09521234000112/10/2026-03A",
            QrLevel::M,
        )
        .unwrap();
        let e = size(&code, 12.0, 203, 10).unwrap_err();
        assert!(e.message.contains("needs 20.5 mm"), "{}", e.message);
        assert!((e.needed_mm - 20.5).abs() < 0.05);
    }
}
