//! QR codes for print (labels.md §2): the `qrcode` crate's modules as one SVG path, a
//! 4-module quiet zone, and a module size of a whole number of printer dots, never below
//! the smallest X-dimension GS1 specifies for a Digital Link QR code.

use crate::config::QrLevel;
use qrcode::{EcLevel, QrCode};

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
        let code = QrCode::with_error_correction_level(data.as_bytes(), ec_level(level))
            .map_err(|e| format!("cannot encode `{data}` as a QR code: {e}"))?;
        let version = match code.version() {
            qrcode::Version::Normal(v) | qrcode::Version::Micro(v) => v,
        };
        Ok(Code {
            data: data.to_string(),
            version,
            width: code.width(),
            dark: code
                .to_colors()
                .into_iter()
                .map(|c| c == qrcode::Color::Dark)
                .collect(),
        })
    }

    /// Modules per side with the quiet zone.
    pub fn side(&self) -> usize {
        self.width + 2 * QUIET_ZONE
    }

    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        self.dark[y * self.width + x]
    }

    /// The dark modules as one SVG path in module units, the quiet zone included in the
    /// coordinates (the symbol starts at `QUIET_ZONE`). Each horizontal run of dark
    /// modules is one rectangle, so the path stays short and edges stay crisp.
    pub fn svg_path(&self) -> String {
        let mut d = String::new();
        for y in 0..self.width {
            let mut x = 0;
            while x < self.width {
                if !self.is_dark(x, y) {
                    x += 1;
                    continue;
                }
                let start = x;
                while x < self.width && self.is_dark(x, y) {
                    x += 1;
                }
                d.push_str(&format!(
                    "M{} {}h{}v1h-{}z",
                    start + QUIET_ZONE,
                    y + QUIET_ZONE,
                    x - start,
                    x - start
                ));
            }
        }
        d
    }
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
