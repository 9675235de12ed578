//! Sheet layouts (labels.md §1): where each label sits on a page. The geometry is
//! gLabels' template database, read in the primary source, except where `verified` is
//! false; published templates disagree by up to ~1.3 mm, which is what per-printer
//! calibration in site.toml corrects.

const IN: f32 = 25.4;

#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Layout {
    pub name: &'static str,
    pub title: &'static str,
    /// Page size in mm.
    pub page_w: f32,
    pub page_h: f32,
    /// Label size in mm.
    pub label_w: f32,
    pub label_h: f32,
    pub corner_r: f32,
    pub cols: u32,
    pub rows: u32,
    /// Top-left corner of the first label, from the page's top-left, in mm.
    pub x0: f32,
    pub y0: f32,
    /// Pitch: from one label's left (top) edge to the next, in mm.
    pub dx: f32,
    pub dy: f32,
    /// Where the geometry comes from.
    pub provenance: &'static str,
    /// The geometry was read in a primary source (gLabels' template database or the
    /// maker's template); false where only secondary sources agree.
    pub verified: bool,
}

impl Layout {
    pub fn per_page(&self) -> u32 {
        self.cols * self.rows
    }

    /// Top-left corner of label `i` (0-based, row by row) on its page, in mm.
    pub fn position(&self, i: u32) -> (f32, f32) {
        let i = i % self.per_page();
        let (col, row) = (i % self.cols, i / self.cols);
        (
            self.x0 + col as f32 * self.dx,
            self.y0 + row as f32 * self.dy,
        )
    }
}

const LETTER: (f32, f32) = (8.5 * IN, 11.0 * IN);
const A4: (f32, f32) = (210.0, 297.0);
const GLABELS: &str = "gLabels template database (labels.md §1)";

pub const LAYOUTS: [Layout; 8] = [
    Layout {
        name: "avery-5160",
        title: "Avery 5160 address labels, 30 per US Letter sheet (2⅝ × 1 in)",
        page_w: LETTER.0,
        page_h: LETTER.1,
        label_w: 2.625 * IN,
        label_h: 1.0 * IN,
        corner_r: 0.0625 * IN,
        cols: 3,
        rows: 10,
        x0: 0.15625 * IN,
        y0: 0.5 * IN,
        dx: 2.78125 * IN,
        dy: 1.0 * IN,
        provenance: GLABELS,
        verified: true,
    },
    Layout {
        name: "avery-5163",
        title: "Avery 5163 shipping labels, 10 per US Letter sheet (4 × 2 in)",
        page_w: LETTER.0,
        page_h: LETTER.1,
        label_w: 4.0 * IN,
        label_h: 2.0 * IN,
        corner_r: 0.125 * IN,
        cols: 2,
        rows: 5,
        x0: 0.1625 * IN,
        y0: 0.5 * IN,
        dx: 4.1875 * IN,
        dy: 2.0 * IN,
        provenance: GLABELS,
        verified: true,
    },
    Layout {
        name: "avery-l7160",
        title: "Avery L7160, 21 per A4 sheet (63.5 × 38.1 mm)",
        page_w: A4.0,
        page_h: A4.1,
        // Avery's published width; gLabels stores 63.99 mm (labels.md §1).
        label_w: 63.5,
        label_h: 38.1,
        corner_r: 1.76,
        cols: 3,
        rows: 7,
        x0: 7.21,
        y0: 15.15,
        dx: 66.04,
        dy: 38.10,
        provenance: GLABELS,
        verified: true,
    },
    Layout {
        name: "avery-l7163",
        title: "Avery L7163, 14 per A4 sheet (99.1 × 38.1 mm)",
        page_w: A4.0,
        page_h: A4.1,
        label_w: 99.1,
        label_h: 38.1,
        corner_r: 1.76,
        cols: 2,
        rows: 7,
        x0: 4.65,
        y0: 15.15,
        dx: 101.6,
        dy: 38.10,
        provenance: GLABELS,
        verified: true,
    },
    Layout {
        name: "avery-l7651",
        title: "Avery L7651 mini labels, 65 per A4 sheet (38.1 × 21.2 mm)",
        page_w: A4.0,
        page_h: A4.1,
        label_w: 38.1,
        label_h: 21.2,
        corner_r: 1.76,
        cols: 5,
        rows: 13,
        x0: 4.70,
        y0: 10.90,
        dx: 40.60,
        dy: 21.20,
        provenance: GLABELS,
        verified: true,
    },
    Layout {
        name: "avery-22806",
        title: "Avery 22806 square labels, 12 per US Letter sheet (2 × 2 in)",
        page_w: LETTER.0,
        page_h: LETTER.1,
        label_w: 2.0 * IN,
        label_h: 2.0 * IN,
        corner_r: 0.0,
        cols: 3,
        rows: 4,
        x0: 0.625 * IN,
        y0: 0.6 * IN,
        dx: 2.625 * IN,
        dy: 2.6 * IN,
        provenance: "margins and pitch from secondary sources, not confirmed (labels.md §1 [unv])",
        verified: false,
    },
    Layout {
        name: "roll-4x6",
        title: "Thermal roll, one 4 × 6 in label per page",
        page_w: 4.0 * IN,
        page_h: 6.0 * IN,
        label_w: 4.0 * IN,
        label_h: 6.0 * IN,
        corner_r: 0.0,
        cols: 1,
        rows: 1,
        x0: 0.0,
        y0: 0.0,
        dx: 4.0 * IN,
        dy: 6.0 * IN,
        provenance: "a thermal roll is one label per page (labels.md §1)",
        verified: true,
    },
    Layout {
        name: "roll-2x1",
        title: "Thermal roll, one 2 × 1 in label per page",
        page_w: 2.0 * IN,
        page_h: 1.0 * IN,
        label_w: 2.0 * IN,
        label_h: 1.0 * IN,
        corner_r: 0.0,
        cols: 1,
        rows: 1,
        x0: 0.0,
        y0: 0.0,
        dx: 2.0 * IN,
        dy: 1.0 * IN,
        provenance: "a thermal roll is one label per page (labels.md §1)",
        verified: true,
    },
];

pub fn find(name: &str) -> Option<&'static Layout> {
    LAYOUTS.iter().find(|l| l.name == name)
}

/// The layouts' names, in the order labels.md lists them.
pub fn all() -> impl Iterator<Item = &'static str> + Clone {
    LAYOUTS.iter().map(|l| l.name)
}

pub fn names() -> String {
    LAYOUTS
        .iter()
        .map(|l| l.name)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_lies_on_its_page() {
        for l in &LAYOUTS {
            for i in 0..l.per_page() {
                let (x, y) = l.position(i);
                assert!(x >= 0.0 && y >= 0.0, "{}", l.name);
                assert!(x + l.label_w <= l.page_w + 0.01, "{} label {i} x", l.name);
                assert!(y + l.label_h <= l.page_h + 0.01, "{} label {i} y", l.name);
            }
            assert!(
                l.dx >= l.label_w - 0.01 && l.dy >= l.label_h - 0.01,
                "{}",
                l.name
            );
        }
    }

    #[test]
    fn positions_follow_rows() {
        let l = find("avery-5160").unwrap();
        assert_eq!(l.position(0), (l.x0, l.y0));
        let (x, y) = l.position(4);
        assert!((x - (l.x0 + l.dx)).abs() < 1e-4 && (y - (l.y0 + l.dy)).abs() < 1e-4);
        assert_eq!(l.position(30), l.position(0));
    }
}
