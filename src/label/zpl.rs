//! Zebra ZPL II (labels.md §4): the same label data for thermal printers. The QR code is
//! the printer's own (`^BQN,2,m`, model 2, m dots per module), placed inside a quiet zone
//! we leave ourselves; text is in field blocks the printer wraps.

use super::qr::{self, Code};
use crate::config::QrLevel;

/// Resolutions Zebra printers come in.
pub const DPIS: [u32; 3] = [203, 300, 600];
/// `^BQ` magnification is 1 to 10 dots per module.
pub const MAX_MAGNIFICATION: u32 = 10;

/// What a ZPL label shows.
pub struct Data<'a> {
    pub width_mm: f32,
    pub height_mm: f32,
    pub url: &'a str,
    pub level: QrLevel,
    pub caption: String,
    /// Text lines for the column beside the code, top to bottom: (text, bold, max lines).
    pub lines: Vec<(String, bool, u32)>,
}

fn dots(mm: f32, dpi: u32) -> u32 {
    (mm / 25.4 * dpi as f32).round() as u32
}

/// Field data with `^` and `~` (ZPL commands) and `_` (our escape character) escaped
/// as hex under `^FH`.
fn field(text: &str) -> String {
    let mut out = String::from("^FH_^FD");
    for c in text.chars() {
        match c {
            '^' => out.push_str("_5E"),
            '~' => out.push_str("_7E"),
            '_' => out.push_str("_5F"),
            c => out.push(c),
        }
    }
    out.push_str("^FS");
    out
}

/// The ZPL for one label at `dpi`, with the magnification the code gets there.
pub fn label(d: &Data, dpi: u32) -> Result<(String, u32), String> {
    let code = Code::encode(d.url, d.level)?;
    let margin = super::MARGIN;
    let edge = super::QR_EDGE;
    let qr_box = (d.height_mm - 2.0 * edge - super::CAPTION_ROOM).min(d.width_mm - 2.0 * edge);
    let sizing = qr::size(&code, qr_box, dpi, MAX_MAGNIFICATION).map_err(|e| e.message)?;
    let m = sizing.dots;
    let (w, h) = (dots(d.width_mm, dpi), dots(d.height_mm, dpi));
    let quiet = qr::QUIET_ZONE as u32 * m;
    let x0 = dots(edge, dpi);
    let level = match d.level {
        QrLevel::L => 'L',
        QrLevel::M => 'M',
        QrLevel::Q => 'Q',
        QrLevel::H => 'H',
    };
    let mut z = String::new();
    z.push_str("^XA\n^CI28\n"); // UTF-8 field data
    z.push_str(&format!("^PW{w}\n^LL{h}\n^LH0,0\n"));
    // The symbol starts inside its quiet zone.
    // The URL is field data like any text: `base_url` comes from site.toml and could
    // carry `^` or `~`, which would end the field and start printer commands.
    z.push_str(&format!(
        "^FO{},{}^BQN,2,{m}{}\n",
        x0 + quiet,
        x0 + quiet,
        field(&format!("{level}A,{}", d.url))
    ));
    let symbol = code.width as u32 * m;
    let cap = dots(1.7, dpi);
    z.push_str(&format!(
        "^FO{},{}^A0N,{cap},{cap}^FB{},1,0,C{}\n",
        x0,
        x0 + 2 * quiet + symbol + dots(0.3, dpi),
        2 * quiet + symbol,
        field(&d.caption)
    ));
    // The quiet zone already clears the code; the column starts right after it.
    let col_x = x0 + 2 * quiet + symbol;
    let col_w = w.saturating_sub(col_x + dots(margin, dpi));
    let mut y = dots(margin, dpi);
    for (text, bold, max_lines) in &d.lines {
        let size = dots(if *bold { 2.4 } else { 1.8 }, dpi);
        z.push_str(&format!(
            "^FO{col_x},{y}^A0N,{size},{size}^FB{col_w},{max_lines},0,L{}\n",
            field(text)
        ));
        y += size * max_lines + dots(0.5, dpi);
    }
    z.push_str("^XZ\n");
    Ok((z, m))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(url: &str) -> Data<'_> {
        Data {
            width_mm: 66.675,
            height_mm: 25.4,
            url,
            level: QrLevel::M,
            caption: "GTIN 09521234000112".into(),
            lines: vec![("Caret ^ and tilde ~ and _".into(), false, 1)],
        }
    }

    #[test]
    fn magnification_is_whole_dots_within_zpl_limits() {
        let url = "https://certs.littleoak.example/01/09521234000112/10/2026-03A";
        for dpi in DPIS {
            let (z, m) = label(&data(url), dpi).unwrap();
            assert!(z.contains(&format!("^BQN,2,{m}^FH_^FDMA,{url}^FS")), "{z}");
            assert!((1..=MAX_MAGNIFICATION).contains(&m));
            assert!(m >= qr::min_dots(dpi));
        }
        // Field data cannot inject commands.
        let (z, _) = label(&data(url), 300).unwrap();
        assert!(z.contains("Caret _5E and tilde _7E and _5F"));
        // Nor can the URL, whatever base_url holds.
        let (z, _) = label(&data("https://x.example/~a^XZ^XA^PQ999_"), 300).unwrap();
        assert!(
            z.contains("^FDMA,https://x.example/_7Ea_5EXZ_5EXA_5EPQ999_5F^FS"),
            "{z}"
        );
        assert_eq!(z.matches("^XA").count(), 1, "{z}");
        assert_eq!(z.matches("^XZ").count(), 1, "{z}");
    }
}
