//! Labels, checked by reading what certpress writes: QR codes decoded from the PNGs
//! (rqrr), PDF page sizes, sheets rendered by poppler and each label's code decoded
//! where the layout puts it, ZPL magnification per printer resolution, escaping.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;

const BASE: &str = "https://certs.littleoak.example/";

/// (width, height) in mm of the layouts, as labels.md §1 gives them.
const LAYOUTS: [(&str, f32, f32, f32, f32); 8] = [
    // name, page w, page h, label w, label h (mm)
    ("avery-5160", 215.9, 279.4, 66.675, 25.4),
    ("avery-5163", 215.9, 279.4, 101.6, 50.8),
    ("avery-l7160", 210.0, 297.0, 63.5, 38.1),
    ("avery-l7163", 210.0, 297.0, 99.1, 38.1),
    ("avery-l7651", 210.0, 297.0, 38.1, 21.2),
    ("avery-22806", 215.9, 279.4, 50.8, 50.8),
    ("roll-4x6", 101.6, 152.4, 101.6, 152.4),
    ("roll-2x1", 50.8, 25.4, 50.8, 25.4),
];

fn decode_png(path: &Path) -> Vec<String> {
    let img = image::open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .to_luma8();
    decode_qr(&img)
}

/// What each lot's code must open (SPEC §8), from the records themselves.
fn expected_urls() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(repo().join("content/products"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "yaml"))
    {
        let r: serde_yaml::Value =
            serde_yaml::from_str(&fs::read_to_string(e.path()).unwrap()).unwrap();
        let id = r["id"].as_str().unwrap();
        let gtin = r["gtin"].as_str().map(|g| format!("{g:0>14}"));
        for lot in r["lots"].as_sequence().into_iter().flatten() {
            let lot = lot["lot"].as_str().unwrap();
            let url = match &gtin {
                Some(g) => format!("{BASE}01/{g}/10/{lot}"),
                None => format!("{BASE}products/{id}/lots/{lot}/"),
            };
            out.insert(format!("labels/{id}/{lot}"), url);
        }
    }
    out
}

/// The catalog's viewer preferences ask viewers to print at 100 %.
fn prints_unscaled(pdf: &[u8]) -> bool {
    let doc = lopdf::Document::load_mem(pdf).unwrap();
    doc.catalog()
        .and_then(|c| c.get(b"ViewerPreferences"))
        .and_then(|v| v.as_dict())
        .and_then(|v| v.get(b"PrintScaling"))
        .and_then(|n| n.as_name())
        .is_ok_and(|n| n == b"None")
}

fn pt(mm: f32) -> f32 {
    mm / 25.4 * 72.0
}

fn close(a: f32, b: f32) -> bool {
    (a - b).abs() < 0.05
}

fn pdftoppm() -> bool {
    poppler("pdftoppm")
}

/// Renders page `page` (1-based) of a PDF at `dpi`.
fn render_page(pdf: &Path, page: u32, dpi: u32) -> image::GrayImage {
    let out = pdf.with_extension(format!("p{page}"));
    let o = Command::new("pdftoppm")
        .args(["-gray", "-png", "-singlefile", "-r", &dpi.to_string()])
        .args(["-f", &page.to_string(), "-l", &page.to_string()])
        .arg(pdf)
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // -singlefile: the page is written as `<prefix>.png`.
    image::open(format!("{}.png", out.display()))
        .unwrap()
        .to_luma8()
}

fn labels(root: &Path, out: &Path, args: &[&str]) -> String {
    let mut all = vec![
        "labels",
        "--root",
        root.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    let o = certpress(&all);
    assert!(
        o.status.success(),
        "{all:?}\n{}\n{}",
        stdout(&o),
        stderr(&o)
    );
    stdout(&o)
}

#[test]
fn every_png_label_decodes_to_its_lot_url() {
    let (_dir, out) = build_example();
    let expected = expected_urls();
    assert!(expected.len() >= 25);
    for (stem, url) in &expected {
        let png = out.join(format!("{stem}.png"));
        let found = decode_png(&png);
        assert_eq!(found, vec![url.clone()], "{stem}");
        // Printed at the configured 300 dpi, at the layout's size (avery-5163: 4 × 2 in).
        let img = image::open(&png).unwrap();
        assert_eq!((img.width(), img.height()), (1200, 600), "{stem}");
        // The code in the SVG is vector paths, with the same URL recorded on the label.
        let svg = fs::read_to_string(out.join(format!("{stem}.svg"))).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        assert_eq!(doc.root_element().attribute("data-url"), Some(url.as_str()));
        assert!(doc.descendants().any(|n| n.has_tag_name("path")));
        assert_eq!(doc.root_element().attribute("width"), Some("101.6mm"));
    }
}

#[test]
fn label_pdfs_are_exact_size_and_ask_viewers_not_to_scale() {
    let (_dir, out) = build_example();
    for stem in expected_urls().keys() {
        let pdf = fs::read(out.join(format!("{stem}.pdf"))).unwrap();
        let sizes = pdf_page_sizes(&pdf);
        assert_eq!(sizes.len(), 1, "{stem}");
        assert!(
            close(sizes[0].0, 288.0) && close(sizes[0].1, 144.0),
            "{stem}: {sizes:?}"
        );
        assert!(prints_unscaled(&pdf), "{stem}");
    }
    // Each PDF's text is text, set where the SVG puts it: the first word of every line
    // (a <tspan x y>) starts at x, with its baseline inside the word's box.
    if pdftoppm() {
        for stem in expected_urls().keys() {
            let found = words(&out.join(format!("{stem}.pdf")), 1);
            let svg = fs::read_to_string(out.join(format!("{stem}.svg"))).unwrap();
            let doc = roxmltree::Document::parse(&svg).unwrap();
            let mut lines = 0;
            for t in doc.descendants().filter(|n| n.has_tag_name("tspan")) {
                let first = t.text().unwrap().split_whitespace().next().unwrap();
                let x: f32 = t.attribute("x").unwrap().parse().unwrap();
                let y: f32 = t.attribute("y").unwrap().parse().unwrap();
                let at = found
                    .iter()
                    .find(|(w, b)| w == first && (b[0] - x).abs() < 0.15 && b[1] < y && y < b[3]);
                assert!(
                    at.is_some(),
                    "{stem}: `{first}` at ({x}, {y}) not in {found:?}"
                );
                lines += 1;
            }
            assert!(lines >= 4, "{stem}");
        }
    }
    // The build's sheet: every label, US Letter pages of ten.
    let sheet = fs::read(out.join("labels/sheets/avery-5163.pdf")).unwrap();
    let sizes = pdf_page_sizes(&sheet);
    assert_eq!(sizes.len(), expected_urls().len().div_ceil(10));
    assert!(
        sizes.iter().all(|s| close(s.0, 612.0) && close(s.1, 792.0)),
        "{sizes:?}"
    );
}

/// Top-left corner (mm) of position `i` (0-based) on a layout, from labels.md §1.
/// The words poppler finds on page `page` of a PDF: text and bounding box in mm from the
/// page's top left (`pdftotext -bbox`).
fn words(pdf: &Path, page: u32) -> Vec<(String, [f32; 4])> {
    let o = Command::new("pdftotext")
        .args(["-bbox", "-f", &page.to_string(), "-l", &page.to_string()])
        .arg(pdf)
        .arg("-")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let html = String::from_utf8(o.stdout).unwrap();
    let mm = |v: &str| v.parse::<f32>().unwrap() / 72.0 * 25.4;
    html.lines()
        .filter_map(|l| {
            let l = l.trim().strip_prefix("<word ")?;
            let attr = |name: &str| {
                let at = l.find(&format!("{name}=\""))? + name.len() + 2;
                Some(mm(&l[at..at + l[at..].find('"')?]))
            };
            let text = &l[l.find('>')? + 1..l.find("</word>")?];
            Some((
                text.replace("&amp;", "&"),
                [attr("xMin")?, attr("yMin")?, attr("xMax")?, attr("yMax")?],
            ))
        })
        .collect()
}

/// The share of `a`'s pixels with no pixel of about the same shade in `b` on the same
/// row within `slack` pixels either side.
fn unlike(a: &image::GrayImage, b: &image::GrayImage, slack: u32) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let (w, h) = a.dimensions();
    let differ = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .filter(|&(x, y)| {
            let shade = a.get_pixel(x, y)[0];
            (x.saturating_sub(slack)..(x + slack + 1).min(w))
                .all(|x2| b.get_pixel(x2, y)[0].abs_diff(shade) > 96)
        })
        .count();
    differ as f64 / f64::from(w * h)
}

fn position(name: &str, i: u32) -> (f32, f32) {
    let inch = 25.4;
    let (cols, x0, y0, dx, dy) = match name {
        "avery-5163" => (2, 0.1625 * inch, 0.5 * inch, 4.1875 * inch, 2.0 * inch),
        "avery-l7160" => (3, 7.21, 15.15, 66.04, 38.10),
        other => panic!("no geometry for {other} in this test"),
    };
    ((i % cols) as f32 * dx + x0, (i / cols) as f32 * dy + y0)
}

#[test]
fn each_label_sits_where_the_layout_says_from_start_at() {
    if !pdftoppm() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // Two products' labels on a partly used L7160 sheet, from position 5.
    let printed = labels(
        &repo(),
        &out,
        &[
            "--sheet",
            "avery-l7160",
            "--template",
            "tracking",
            "--format",
            "svg",
            "--start-at",
            "5",
        ],
    );
    assert!(printed.contains("starting at position 5"), "{printed}");
    let expected: Vec<String> = expected_urls().into_values().collect();
    let pdf = out.join("labels/sheets/avery-l7160.pdf");
    let dpi = 200;
    let mut checked = 0;
    let per_page = 21;
    for (n, url) in expected.iter().enumerate() {
        let slot = 4 + n as u32;
        let page = slot / per_page + 1;
        if checked >= 25 {
            break;
        }
        let img = render_page(&pdf, page, dpi);
        let (x, y) = position("avery-l7160", slot % per_page);
        let px = |mm: f32| (mm / 25.4 * dpi as f32).round() as u32;
        let crop = image::imageops::crop_imm(&img, px(x), px(y), px(63.5), px(38.1)).to_image();
        assert_eq!(
            decode_qr(&crop),
            vec![url.clone()],
            "label {n} at position {}",
            slot + 1
        );
        checked += 1;
    }
    assert!(checked >= 20);
    // Positions 1-4 of the first page are left blank.
    let first = render_page(&pdf, 1, dpi);
    let (x, y) = position("avery-l7160", 0);
    let px = |mm: f32| (mm / 25.4 * dpi as f32).round() as u32;
    let blank = image::imageops::crop_imm(&first, px(x), px(y), px(63.5), px(38.1)).to_image();
    assert!(
        blank.pixels().all(|p| p.0[0] > 200),
        "position 1 is not blank"
    );
}

#[test]
fn printer_calibration_moves_the_sheet() {
    if !pdftoppm() {
        return;
    }
    let site = example_copy();
    let toml = fs::read_to_string(site.path().join("site.toml"))
        .unwrap()
        .replace("[labels]\n", "[labels]\nprinter = \"office\"\n")
        + "\n[labels.printers.office]\nx_offset_mm = 5.0\ny_offset_mm = 10.0\nx_scale = 1.0\ny_scale = 1.0\n";
    fs::write(site.path().join("site.toml"), toml).unwrap();
    let out = site.path().join("out");
    labels(
        site.path(),
        &out,
        &[
            "--product",
            "rainbow-stacker",
            "--lot",
            "2026-03A",
            "--format",
            "pdf",
        ],
    );
    let pdf = out.join("labels/sheets/avery-5163-rainbow-stacker-2026-03A.pdf");
    // The text moved with the artwork: each word sits 5 and 10 mm further than on the
    // label's own PDF placed at the layout's position.
    let (x, y) = position("avery-5163", 0);
    let alone = words(&out.join("labels/rainbow-stacker/2026-03A.pdf"), 1);
    let on_sheet = words(&pdf, 1);
    assert!(alone.len() > 10, "{alone:?}");
    assert_eq!(alone.len(), on_sheet.len());
    for ((a, ab), (s, sb)) in alone.iter().zip(&on_sheet) {
        assert_eq!(a, s);
        assert!(
            (sb[0] - (ab[0] + x + 5.0)).abs() < 0.1 && (sb[1] - (ab[1] + y + 10.0)).abs() < 0.1,
            "{a}: {ab:?} on the label, {sb:?} on the sheet"
        );
    }
    assert!(alone.iter().any(|(w, _)| w == "Rainbow"), "{alone:?}");
    let dpi = 150;
    let img = render_page(&pdf, 1, dpi);
    let (x, y) = position("avery-5163", 0);
    let px = |mm: f32| (mm / 25.4 * dpi as f32).round() as u32;
    // The label moved 5 mm right and 10 mm down: found there, not at the layout's spot.
    let moved =
        image::imageops::crop_imm(&img, px(x + 5.0), px(y + 10.0), px(101.6), px(50.8)).to_image();
    assert_eq!(
        decode_qr(&moved),
        vec![format!("{BASE}01/09521234000112/10/2026-03A")]
    );
    let corner = image::imageops::crop_imm(&img, px(x), px(y), px(4.5), px(9.5)).to_image();
    assert!(corner.pixels().all(|p| p.0[0] > 200));
}

#[test]
fn every_layout_prints_a_sheet_of_its_size_and_a_scannable_label() {
    let dir = tempfile::tempdir().unwrap();
    for (name, pw, ph, lw, lh) in LAYOUTS {
        let out = dir.path().join(name);
        // The tracking label needs room for its text; small layouts get the compact one.
        let template = if lh < 30.0 { "compact" } else { "tracking" };
        labels(
            &repo(),
            &out,
            &[
                "--sheet",
                name,
                "--template",
                template,
                "--product",
                "rainbow-stacker",
                "--lot",
                "2026-03A",
                "--format",
                "png",
                "--format",
                "pdf",
            ],
        );
        let sheet =
            fs::read(out.join(format!("labels/sheets/{name}-rainbow-stacker-2026-03A.pdf")))
                .unwrap();
        let sizes = pdf_page_sizes(&sheet);
        assert_eq!(sizes.len(), 1, "{name}");
        assert!(
            close(sizes[0].0, pt(pw)) && close(sizes[0].1, pt(ph)),
            "{name}: {sizes:?}"
        );
        let single = fs::read(out.join("labels/rainbow-stacker/2026-03A.pdf")).unwrap();
        let s = pdf_page_sizes(&single)[0];
        assert!(close(s.0, pt(lw)) && close(s.1, pt(lh)), "{name}: {s:?}");
        // The printed-size PNG (300 dpi) scans.
        let png = out.join("labels/rainbow-stacker/2026-03A.png");
        assert_eq!(
            decode_png(&png),
            vec![format!("{BASE}01/09521234000112/10/2026-03A")],
            "{name}"
        );
        let img = image::open(&png).unwrap();
        // (Half a pixel either way: 2.625 in is 787.5 px.)
        assert!(
            (img.width() as f32 - lw / 25.4 * 300.0).abs() <= 0.51,
            "{name}"
        );
    }
}

#[test]
fn the_outline_test_page_numbers_every_position() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let said = labels(&repo(), &out, &["--sheet", "avery-l7651", "--outline"]);
    assert!(said.contains("outline test page of avery-l7651"), "{said}");
    let pdf = fs::read(out.join("labels/sheets/avery-l7651.outline.pdf")).unwrap();
    let sizes = pdf_page_sizes(&pdf);
    assert!(close(sizes[0].0, pt(210.0)) && close(sizes[0].1, pt(297.0)));
}

/// The `^BQN,2,m` magnification in a ZPL file, and its field data.
fn bq(zpl: &str) -> (u32, String) {
    let at = zpl.find("^BQN,2,").expect("a QR field");
    let rest = &zpl[at + 7..];
    let m: u32 = rest[..rest.find('^').unwrap()].parse().unwrap();
    let fd = &rest[rest.find("^FD").unwrap() + 3..];
    (m, fd[..fd.find("^FS").unwrap()].to_string())
}

#[test]
fn zpl_magnification_is_whole_dots_for_each_printer() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("{BASE}01/09521234000112/10/2026-03A");
    let mut seen = Vec::new();
    for dpi in [203u32, 300, 600] {
        let out = dir.path().join(dpi.to_string());
        labels(
            &repo(),
            &out,
            &[
                "--product",
                "rainbow-stacker",
                "--lot",
                "2026-03A",
                "--format",
                "zpl",
                "--dpi",
                &dpi.to_string(),
            ],
        );
        let zpl = fs::read_to_string(out.join("labels/rainbow-stacker/2026-03A.zpl")).unwrap();
        let (m, data) = bq(&zpl);
        // Level M, automatic input mode, then the URL.
        assert_eq!(data, format!("MA,{url}"));
        let dot = 25.4 / dpi as f32;
        assert!((1..=10).contains(&m), "{dpi}: {m}");
        assert!(
            m as f32 * dot >= 0.396 - 1e-4,
            "{dpi} dpi: {m} dots is below GS1's smallest module"
        );
        assert!(
            m as f32 * dot <= 0.990 + 1e-4,
            "{dpi} dpi: {m} dots is above GS1's largest module"
        );
        // The symbol (version 4: 33 modules, 41 with the quiet zone) fits the label height.
        let height_dots = (50.8 / 25.4 * dpi as f32) as u32;
        assert!(41 * m < height_dots);
        assert!(zpl.contains(&format!(
            "^PW{}",
            (101.6 / 25.4 * dpi as f32).round() as u32
        )));
        seen.push(m);
    }
    // 4 in × 2 in label: 0.875 mm modules at 203 dpi, 0.931 mm at 300 dpi, 0.423 mm × 10 at 600.
    assert_eq!(seen, vec![7, 10, 10]);
}

#[test]
fn record_text_is_escaped_in_label_svgs() {
    let site = example_copy();
    let record = site
        .path()
        .join("content/products/toys/rainbow-stacker.yaml");
    let hostile = r#"Rings <script>&amp; "quoted" & 'single' </svg>"#;
    let text = fs::read_to_string(&record).unwrap().replace(
        "name: Rainbow Stacking Rings",
        &format!("name: '{}'", hostile.replace('\'', "''")),
    );
    assert!(text.contains("<script>"));
    fs::write(&record, text).unwrap();
    let out = site.path().join("out");
    labels(
        site.path(),
        &out,
        &[
            "--product",
            "rainbow-stacker",
            "--format",
            "svg",
            "--format",
            "png",
        ],
    );
    let svg = fs::read_to_string(out.join("labels/rainbow-stacker/2026-03A.svg")).unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
    assert!(!doc.descendants().any(|n| n.has_tag_name("script")));
    let all_text: String = doc
        .descendants()
        .filter(|n| n.has_tag_name("tspan"))
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(all_text.contains("<script>&amp;"), "{all_text}");
    assert!(all_text.contains("\"quoted\" & 'single'"), "{all_text}");
    // And the code still scans.
    assert_eq!(
        decode_png(&out.join("labels/rainbow-stacker/2026-03A.png")).len(),
        1
    );
}

#[test]
fn a_label_too_small_for_its_code_is_an_error_that_says_what_fits() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = certpress(&[
        "labels",
        "--root",
        repo().to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
        "--sheet",
        "avery-l7651",
        "--template",
        "compact",
        "--dpi",
        "203",
        "--product",
        "rainbow-stacker",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("needs 20.5 mm square"), "{e}");
    assert!(e.contains("at least 23.9 mm tall"), "{e}");
    assert!(!out.join("labels/rainbow-stacker").exists());
}

/// `certpress labels ARGS` on the example site: the exit code and the error's message and
/// help lines (`error: …` and `  = help: …`).
fn labels_mistake(out: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let root = repo();
    let mut all = vec![
        "labels",
        "--root",
        root.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    let o = certpress(&all);
    let e = stderr(&o);
    let line = |prefix: &str| {
        e.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("{args:?}: no `{prefix}` line in\n{e}"))
            .to_string()
    };
    // A mistake in the command, said first and alone: not blamed on site.toml, and
    // not after the site's own warnings.
    assert!(e.starts_with("error: "), "{args:?}:\n{e}");
    assert!(!e.contains("site.toml:"), "{args:?}:\n{e}");
    (o.status.code(), line("error: "), line("  = help: "))
}

#[test]
fn a_mistake_in_the_labels_command_is_a_usage_error_that_says_what_exists() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let cases: [(&[&str], &str, &[&str]); 7] = [
        (
            &["--product", "knight-castle"],
            "no product `knight-castle`",
            &[
                "products: `acorn-necklace`, `bath-boats`",
                "`rainbow-stacker`",
            ],
        ),
        (
            &["--product", "rainbow-stacke"],
            "no product `rainbow-stacke`",
            &["did you mean `rainbow-stacker`? products: "],
        ),
        (
            &["--sheet", "avery-9999"],
            "no sheet layout `avery-9999`",
            &["layouts: `avery-5160`, `avery-5163`", "`roll-2x1`"],
        ),
        (
            &["--sheet", "avery5160"],
            "no sheet layout `avery5160`",
            &["did you mean `avery-5160`? layouts: "],
        ),
        (
            &["--product", "rainbow-stacker", "--lot", "2026-03"],
            "product `rainbow-stacker` has no lot `2026-03`",
            &["did you mean `2026-03A`? its lots: `2026-03A`, `2026-07B`"],
        ),
        (
            &["--template", "compac"],
            "the theme `default` has no label template `compac`",
            &["did you mean `compact`? templates: `compact`, `tracking`"],
        ),
        (
            &["--printer", "zebra"],
            "no printer `zebra`",
            &["site.toml sets up no printers: add [labels.printers.zebra]"],
        ),
    ];
    for (args, message, help) in cases {
        let (code, got, got_help) = labels_mistake(&out, args);
        assert_eq!(code, Some(2), "{args:?}");
        assert_eq!(got, message, "{args:?}");
        for h in help {
            assert!(
                got_help.contains(h),
                "{args:?}: help lacks {h:?}: {got_help}"
            );
        }
    }
    assert!(!out.join("labels").exists(), "a usage error writes nothing");
    // `--lot` needs `--product`: the error names the products with that lot, or the lots.
    let (code, message, help) = labels_mistake(&out, &["--lot", "2026-03A"]);
    assert_eq!(code, Some(2));
    assert_eq!(
        message,
        "--lot needs --product: a lot code names a lot within one product"
    );
    assert!(
        help.starts_with("lot `2026-03A` is a lot of `")
            && help.contains("`rainbow-stacker`")
            && help.contains(": add e.g. --product "),
        "{help}"
    );
    let (code, _, help) = labels_mistake(&out, &["--lot", "2026-03Z"]);
    assert_eq!(code, Some(2));
    assert!(
        help.starts_with("no product has lot `2026-03Z`; lots: `2025-09A`, "),
        "{help}"
    );
    assert!(!out.join("labels").exists(), "a usage error writes nothing");
}

#[test]
fn a_template_that_cannot_show_what_a_market_requires_says_so_per_product() {
    // The compact template has no room for warning statements: the felt ball set needs
    // the US small-ball warning, so its label is refused, naming the statement and the
    // template that shows it; nothing is written.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = certpress(&[
        "labels",
        "--root",
        repo().to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
        "--template",
        "compact",
        "--product",
        "felt-ball-catch-set",
        "--format",
        "svg",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("felt-ball-catch-set`: the `compact` label template leaves off what the product's markets require: the statement “WARNING: CHOKING HAZARD—Toy contains a small ball."),
        "{e}"
    );
    // The advice names what was tried and works: the `tracking` template, on this sheet
    // or another.
    assert!(
        e.contains("use a template that fits on") && e.contains("`tracking`"),
        "{e}"
    );
    assert!(!out.join("labels/felt-ball-catch-set").exists());
    // A product whose markets require only marks prints with them.
    let o = certpress(&[
        "labels",
        "--root",
        repo().to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
        "--template",
        "compact",
        "--product",
        "rainbow-stacker",
        "--format",
        "svg",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let svg = fs::read_to_string(out.join("labels/rainbow-stacker/2026-03A.svg")).unwrap();
    assert!(svg.contains("data-mark=\"ce\""), "{svg}");
}

#[test]
fn the_product_page_shows_its_labels() {
    let (_dir, out) = build_example();
    let html = scraper::Html::parse_document(
        &fs::read_to_string(out.join("products/rainbow-stacker/index.html")).unwrap(),
    );
    let sel = scraper::Selector::parse(".label-list img").unwrap();
    let srcs: Vec<&str> = html
        .select(&sel)
        .filter_map(|i| i.value().attr("src"))
        .collect();
    assert_eq!(
        srcs,
        vec![
            "/labels/rainbow-stacker/2026-03A.svg",
            "/labels/rainbow-stacker/2026-07B.svg"
        ]
    );
    for s in srcs {
        assert!(out.join(s.trim_start_matches('/')).is_file());
    }
}

/// The caption of a product without a GTIN is a certificate number only when a version
/// of it is in force: an issued one, kept while the records change (until `issue`), but
/// never a certificate that is ready and not yet issued, which has no page to look up.
#[test]
fn a_label_prints_only_the_number_of_an_issued_certificate() {
    // (caption, SVG) of one of the product's labels.
    let caption = |root: &Path, product: &str, lot: &str| -> (String, String) {
        let out = tempfile::tempdir().unwrap();
        labels(root, out.path(), &["--product", product, "--format", "svg"]);
        let svg =
            fs::read_to_string(out.path().join(format!("labels/{product}/{lot}.svg"))).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let caption = doc
            .descendants()
            .find(|n| n.attribute("data-caption").is_some())
            .and_then(|n| n.text())
            .unwrap_or_default()
            .to_string();
        (caption, svg)
    };
    const ROMPER: &str = "LO-ORGANIC-COTTON-ROMPER-US-CPC";
    // Issued and current in the example.
    assert_eq!(
        caption(&repo(), "organic-cotton-romper", "K2604-ROM").0,
        ROMPER
    );

    let site = example_copy();
    // The romper's certificate is ready, but the ledger never issued it.
    let lock = site.path().join("certificates.lock");
    let ledger = fs::read_to_string(&lock).unwrap();
    let kept: String = ledger
        .lines()
        .filter(|l| !l.starts_with(&format!("{ROMPER} ")))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(kept, ledger);
    fs::write(&lock, kept).unwrap();
    // The apron's record changed since its certificate was issued: v1 stays in force.
    let apron = site.path().join("content/products/adult/linen-apron.yaml");
    let text = fs::read_to_string(&apron).unwrap();
    let changed = text.replace(
        "name: Grown-Up Linen Apron",
        "name: Grown-Up Linen Apron Plus",
    );
    assert_ne!(changed, text);
    fs::write(&apron, changed).unwrap();
    let check = check_json(site.path());
    let unissued: Vec<&str> = check["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "unissued")
        .filter_map(|d| d["message"].as_str())
        .collect();
    assert!(
        unissued
            .iter()
            .any(|m| m.contains(ROMPER) && m.contains("ready but not issued")),
        "{unissued:?}"
    );
    assert!(
        unissued
            .iter()
            .any(|m| m.contains("LO-LINEN-APRON-US-GCC") && m.contains("changed")),
        "{unissued:?}"
    );

    let (text, svg) = caption(site.path(), "organic-cotton-romper", "K2604-ROM");
    assert_eq!(text, "Model LO-RO-10");
    assert!(
        !svg.contains(ROMPER),
        "a ready but unissued number is printed"
    );
    assert_eq!(
        caption(site.path(), "linen-apron", "K2607-APR").0,
        "LO-LINEN-APRON-US-GCC",
        "the issued version stays in force while the record changes"
    );
}

/// Label text is drawn by certpress (`label::text`), not by usvg: the PNG it gives must
/// look like usvg's rendering of the whole SVG (kerning aside), for every example label.
#[test]
fn text_drawn_by_certpress_matches_usvg() {
    use certpress::label::{font::Fonts, output, text};
    let (_dir, out) = build_example();
    let fonts =
        Fonts::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default/fonts")).unwrap();
    let options = fonts.usvg_options();
    let grey = |png: Vec<u8>| image::load_from_memory(&png).unwrap().to_luma8();
    let mut worst: f64 = 0.0;
    for stem in expected_urls().keys() {
        let svg = fs::read_to_string(out.join(format!("{stem}.svg"))).unwrap();
        let whole = output::parse(&svg, &options).unwrap();
        let by_usvg = grey(output::png(&whole, &[], &fonts, 101.6, 50.8, 300).unwrap());
        let split = text::split(&svg, &fonts, 101.6, 50.8).unwrap();
        assert!(
            !split.runs.is_empty(),
            "{stem}: the example's text is set by certpress"
        );
        // All text is set by certpress but text in marks whose artwork is painted over
        // it (the age symbol's bar crosses its "0-3"), which usvg still draws.
        let left = roxmltree::Document::parse(&split.artwork).unwrap();
        for t in left.descendants().filter(|n| n.has_tag_name("text")) {
            assert!(
                t.ancestors().any(|a| a.attribute("data-mark").is_some()),
                "{stem}: {:?} left to usvg",
                t.text()
            );
        }
        let artwork = output::parse(&split.artwork, &options).unwrap();
        let ours = grey(output::png(&artwork, &split.runs, &fonts, 101.6, 50.8, 300).unwrap());
        let ink = |img: &image::GrayImage| img.pixels().map(|p| 255 - u64::from(p[0])).sum::<u64>();
        // Without kerning, a line of ours ends up to ~0.4 mm (5 px) further right than
        // usvg's; vertically nothing may move.
        let differ = unlike(&ours, &by_usvg, 6);
        let ink_ratio = ink(&ours) as f64 / ink(&by_usvg) as f64;
        eprintln!(
            "{stem}: {:.4} % of pixels differ, ink ratio {ink_ratio:.4}",
            differ * 100.0
        );
        worst = worst.max(differ);
        assert!((ink_ratio - 1.0).abs() < 0.005, "{stem}: ink {ink_ratio}");
    }
    assert!(worst < 0.001, "worst {worst}");
}

#[test]
fn a_label_too_small_for_its_text_names_the_sheets_that_hold_it() {
    // On 2 × 1 inch labels the playset's tracking label needs more height than there is.
    // The error says so in the seller's terms (no template code) and names the sheets
    // whose labels hold it; each named sheet then prints it.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let run = |sheet: &str| {
        certpress(&[
            "labels",
            "--root",
            repo().to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
            "--template",
            "tracking",
            "--sheet",
            sheet,
            "--product",
            "forest-animals-playset",
            "--format",
            "svg",
        ])
    };
    let o = run("roll-2x1");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("the label's text needs") && e.contains("the label leaves"),
        "{e}"
    );
    assert!(
        !e.contains("-->") && !e.contains("stack(") && !e.contains("tracking.svg:"),
        "the template's code is the theme's business: {e}"
    );
    let marker = "use a sheet whose labels fit it with the `tracking` template: ";
    let at = e
        .find(marker)
        .unwrap_or_else(|| panic!("no sheets named: {e}"));
    let rest = &e[at + marker.len()..];
    let sheets: Vec<&str> = rest[..rest.find(" (`[labels] sheet`").unwrap()]
        .split(", ")
        .map(|s| s.trim_matches('`'))
        .collect();
    assert!(!sheets.is_empty() && !sheets.contains(&"roll-2x1"), "{e}");
    for sheet in sheets {
        let o = run(sheet);
        assert_eq!(o.status.code(), Some(0), "{sheet}: {}", stderr(&o));
    }
}
