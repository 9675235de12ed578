//! Sheets: labels placed on a layout's pages (labels.md §1), starting at any position of
//! a partly used sheet, shifted and scaled by a printer's calibration; and the outline
//! test page that shows where a printer puts each label on plain paper.

use super::font::Fonts;
use super::pdf::Page;
use super::text::{self, Lettered, Run};
use crate::config::Calibration;
use crate::config::sheets::Layout;

/// A label SVG made placeable: its root `<svg>` with the given position and size in the
/// page's units (mm), replacing its own width and height (which carry `mm` units).
fn placed(svg: &str, x: f32, y: f32, w: f32, h: f32) -> String {
    let Some(open) = svg.find("<svg") else {
        return String::new();
    };
    let end = open + svg[open..].find('>').unwrap_or(0);
    let mut tag = svg[open..end].to_string();
    let mut size = [None, None];
    for (i, name) in ["width", "height", "x", "y"].into_iter().enumerate() {
        let key = format!(" {name}=\"");
        if let Some(at) = tag.find(&key) {
            let close = tag[at + key.len()..]
                .find('"')
                .map_or(tag.len(), |i| at + key.len() + i + 1);
            if i < 2 {
                size[i] = super::text::length(&tag[at + key.len()..close.saturating_sub(1)]);
            }
            tag.replace_range(at..close, "");
        }
    }
    // Without a viewBox, the label's user units are its own px: kept so, at the new size.
    if !tag.contains(" viewBox=\"")
        && let [Some(vw), Some(vh)] = size
    {
        tag.push_str(&format!(" viewBox=\"0 0 {vw} {vh}\""));
    }
    format!(
        "{tag} x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\"{}",
        &svg[end..]
    )
}

fn page_svg(l: &Layout, cal: &Calibration, body: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}mm\" height=\"{h}mm\" viewBox=\"0 0 {w} {h}\"><g transform=\"translate({dx} {dy}) scale({sx} {sy})\">{body}</g></svg>",
        w = l.page_w,
        h = l.page_h,
        dx = cal.x_offset_mm,
        dy = cal.y_offset_mm,
        sx = cal.x_scale,
        sy = cal.y_scale,
    )
}

/// The pages of `labels` on layout `l`, the first at position `start_at` (1-based, row
/// by row) of the first page.
pub fn pages(l: &Layout, labels: &[Lettered], start_at: u32, cal: &Calibration) -> Vec<Page> {
    let per = l.per_page();
    let skip = start_at.saturating_sub(1) % per;
    let mut pages = Vec::new();
    let mut body = String::new();
    let mut runs: Vec<Run> = Vec::new();
    let page = |body: &str, runs: Vec<Run>| Page {
        width_mm: l.page_w,
        height_mm: l.page_h,
        svg: page_svg(l, cal, body),
        runs,
        calibration: *cal,
    };
    for (i, label) in labels.iter().enumerate() {
        let slot = skip + i as u32;
        if slot.is_multiple_of(per) && !body.is_empty() {
            pages.push(page(&body, std::mem::take(&mut runs)));
            body.clear();
        }
        let (x, y) = l.position(slot);
        body.push_str(&placed(&label.artwork, x, y, l.label_w, l.label_h));
        runs.extend(label.runs.iter().map(|r| r.moved(x, y)));
        body.push('\n');
    }
    if !body.is_empty() {
        pages.push(page(&body, runs));
    }
    pages
}

/// Every label position outlined and numbered, to print on plain paper and hold
/// against a sheet (labels.md §1).
pub fn outline(l: &Layout, cal: &Calibration, fonts: &Fonts) -> Page {
    // The outlines, then the numbers: text drawn after all artwork is set by certpress.
    let mut body = String::new();
    let mut numbers = String::new();
    for i in 0..l.per_page() {
        let (x, y) = l.position(i);
        body.push_str(&format!(
            "<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" rx=\"{r}\" fill=\"none\" stroke=\"#000\" stroke-width=\"0.2\"/>\n",
            w = l.label_w,
            h = l.label_h,
            r = l.corner_r,
        ));
        numbers.push_str(&format!(
            "<text x=\"{tx}\" y=\"{ty}\" font-family=\"DejaVu Sans\" font-size=\"3\" text-anchor=\"middle\">{n}</text>\n",
            tx = x + l.label_w / 2.0,
            ty = y + l.label_h / 2.0 + 1.0,
            n = i + 1
        ));
    }
    body.push_str(&numbers);
    body.push_str(&format!(
        "<text x=\"{}\" y=\"6\" font-family=\"DejaVu Sans\" font-size=\"3\" text-anchor=\"middle\">{} outline test: print at 100 %, hold against a sheet</text>",
        l.page_w / 2.0,
        l.name
    ));
    // Drawn like a label of the page's size, its text set by certpress.
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}mm\" height=\"{h}mm\" viewBox=\"0 0 {w} {h}\">{body}</svg>",
        w = l.page_w,
        h = l.page_h
    );
    let page =
        text::split(&svg, fonts, l.page_w, l.page_h).expect("the outline page is well-formed XML");
    Page {
        width_mm: l.page_w,
        height_mm: l.page_h,
        svg: page_svg(l, cal, &placed(&page.artwork, 0.0, 0.0, l.page_w, l.page_h)),
        runs: page.runs,
        calibration: *cal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::sheets::find;

    #[test]
    fn start_at_skips_used_positions_and_pages_fill_up() {
        let l = find("avery-5163").unwrap(); // 10 per page
        let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"101.6mm\" height=\"50.8mm\" viewBox=\"0 0 101.6 50.8\"><rect/></svg>".to_string();
        let labels = vec![
            Lettered {
                artwork: svg,
                runs: Vec::new()
            };
            12
        ];
        let pages = pages(l, &labels, 4, &Calibration::default());
        assert_eq!(pages.len(), 2, "positions 4-10, then 5 on the next page");
        assert_eq!(pages[0].svg.matches("<rect/>").count(), 7);
        assert_eq!(pages[1].svg.matches("<rect/>").count(), 5);
        let (x, y) = l.position(3);
        assert!(pages[0].svg.contains(&format!(
            "x=\"{x}\" y=\"{y}\" width=\"101.6\" height=\"50.8\""
        )));
        assert!(!pages[0].svg.contains("101.6mm\""));
    }

    #[test]
    fn a_label_without_a_view_box_keeps_its_proportions_when_placed() {
        let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"101.6mm\" height=\"50.8mm\"><rect/></svg>";
        let p = placed(svg, 5.0, 6.0, 101.6, 50.8);
        // 101.6 mm is 384 px at 96 dpi.
        assert!(p.contains("viewBox=\"0 0 384 192\""), "{p}");
        assert!(
            p.contains("x=\"5\" y=\"6\" width=\"101.6\" height=\"50.8\""),
            "{p}"
        );
    }

    #[test]
    fn the_outline_numbers_every_position() {
        let l = find("avery-l7651").unwrap();
        let fonts = Fonts::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default/fonts"),
        )
        .unwrap();
        let page = outline(l, &Calibration::default(), &fonts);
        assert_eq!(page.svg.matches("<rect ").count(), 65);
        let numbers: Vec<String> = page.runs.iter().map(Run::text).collect();
        for n in [1, 33, 65] {
            let (x, y) = l.position(n - 1);
            let run = page.runs[numbers.iter().position(|t| *t == n.to_string()).unwrap()].clone();
            // Centred in its position, a little below the middle.
            let middle = run.x + fonts.regular.width(&run.text(), run.size) / 2.0;
            assert!(
                (middle - (x + l.label_w / 2.0)).abs() < 0.01,
                "{n}: {middle}"
            );
            assert!((run.y - (y + l.label_h / 2.0 + 1.0)).abs() < 0.01, "{n}");
        }
        let (x, y) = l.position(64);
        assert!(page.svg.contains(&format!("<rect x=\"{x}\" y=\"{y}\"")));
    }
}
