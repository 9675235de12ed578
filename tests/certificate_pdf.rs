//! Certificate PDFs (SPEC §13), read back: every issued version of the example site has
//! one beside its page, with every element its page shows (pdftotext), on US Letter for
//! US certificates and A4 otherwise (lopdf), its fonts embedded (pdffonts), a QR code
//! that opens the page (pdftoppm + rqrr), the same bytes from a second build; the page
//! links it.

mod common;

use common::*;
use scraper::{Html, Selector};
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;

/// Poppler's tools, which CI installs.
fn poppler_tools() -> bool {
    ["pdftotext", "pdffonts", "pdftoppm"]
        .iter()
        .all(|t| poppler(t))
}

fn run(cmd: &str, args: &[&str]) -> String {
    let o = Command::new(cmd).args(args).output().unwrap();
    assert!(
        o.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// The PDF's text with all white space folded to single spaces.
fn text(pdf: &Path) -> String {
    squash(&run("pdftotext", &[pdf.to_str().unwrap(), "-"]))
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The QR codes on page 1, rendered as a printer would (tried at a few resolutions:
/// rqrr, unlike a phone, can miss a code whose modules fall between pixels).
fn codes(pdf: &Path) -> Vec<String> {
    for dpi in ["300", "200", "150"] {
        let prefix = pdf.with_extension(format!("p1-{dpi}"));
        run(
            "pdftoppm",
            &[
                "-gray",
                "-png",
                "-singlefile",
                "-r",
                dpi,
                "-f",
                "1",
                "-l",
                "1",
                pdf.to_str().unwrap(),
                prefix.to_str().unwrap(),
            ],
        );
        let img = image::open(format!("{}.png", prefix.display()))
            .unwrap()
            .to_luma8();
        let found = decode_qr(&img);
        if !found.is_empty() {
            return found;
        }
    }
    Vec::new()
}

/// Every issued version in the example's ledger: (number, version) → market.
fn issued() -> BTreeMap<(String, u32), String> {
    let lock = fs::read_to_string(repo().join("certificates.lock")).unwrap();
    lock.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let mut parts = l.splitn(5, ' ');
            let number = parts.next().unwrap().to_string();
            let version: u32 = parts.next().unwrap()[1..].parse().unwrap();
            // A later version carries `prev:<hash>` before its content.
            let json: serde_json::Value = serde_json::from_str(&l[l.find('{').unwrap()..]).unwrap();
            (
                (number, version),
                json["market"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The text nodes of each element a certificate page shows (`data-element`), with white
/// space folded.
fn elements(html: &str) -> Vec<(String, Vec<String>)> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse("[data-element]").unwrap();
    doc.select(&sel)
        .map(|e| {
            (
                e.value().attr("data-element").unwrap().to_string(),
                e.text().map(squash).filter(|t| !t.is_empty()).collect(),
            )
        })
        .collect()
}

/// Text nodes that the PDF must hold whole, each on its own line or run of lines:
/// headings and party blocks (name, each address line, contacts).
fn whole(html: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse("[data-element] h2, .party-block").unwrap();
    doc.select(&sel)
        .flat_map(|e| e.text().map(squash).collect::<Vec<_>>())
        .filter(|t| !t.is_empty())
        .collect()
}

fn base_url() -> String {
    let toml: toml::Table =
        toml::from_str(&fs::read_to_string(repo().join("site.toml")).unwrap()).unwrap();
    let mut u = toml["base_url"].as_str().unwrap().to_string();
    if !u.ends_with('/') {
        u.push('/');
    }
    u
}

#[test]
fn every_issued_version_has_a_pdf_with_every_element_of_its_page() {
    let (_dir, out) = build_example();
    let issued = issued();
    assert!(issued.len() >= 20, "{}", issued.len());
    let poppler = poppler_tools();
    let base = base_url();
    let link = Selector::parse("a[data-field=pdf]").unwrap();
    let mut in_force = 0;
    let redirects = fs::read_to_string(out.join("_redirects")).unwrap();
    let mut pdfs: BTreeMap<(String, u32), String> = BTreeMap::new();
    for ((number, version), market) in &issued {
        // The version in force is published once, at the certificate's own URLs (`[build]
        // version_in_force = "stub"`, the default): its `/v<n>/` page is a stub that sends
        // the browser there, and `_redirects` sends its `/v<n>/` PDF URL there.
        let own = out.join(format!("certificates/{number}"));
        let top_html = fs::read_to_string(own.join("index.html")).unwrap();
        let latest = !own.join(format!("v{}", version + 1)).exists();
        let valid = top_html.contains("data-field=\"status\"><span class=\"result result-pass\">");
        let in_force_here = latest && valid;
        let version_folder = own.join(format!("v{version}"));
        let (folder, href) = if in_force_here {
            in_force += 1;
            let stub = fs::read_to_string(version_folder.join("index.html")).unwrap();
            assert!(
                stub.contains(&format!(
                    "<link rel=\"canonical\" href=\"{base}certificates/{number}/\">"
                )) && stub.contains(&format!("url=/certificates/{number}/\"")),
                "{number} v{version}: not a stub of the certificate's page:\n{stub}"
            );
            assert!(
                stub.len() < 1024,
                "{number} v{version}: {} bytes",
                stub.len()
            );
            assert!(!version_folder.join("certificate.pdf").exists());
            let rule = format!(
                "/certificates/{number}/v{version}/certificate.pdf /certificates/{number}/certificate.pdf 302"
            );
            assert!(
                redirects.lines().any(|l| l == rule),
                "no `{rule}` in _redirects"
            );
            (
                own.clone(),
                format!("/certificates/{number}/certificate.pdf"),
            )
        } else {
            if latest {
                assert!(
                    !own.join("certificate.pdf").exists(),
                    "{number}: not in force"
                );
            }
            (
                version_folder,
                format!("/certificates/{number}/v{version}/certificate.pdf"),
            )
        };
        let pdf_path = folder.join("certificate.pdf");
        pdfs.insert(
            (number.clone(), *version),
            pdf_path
                .strip_prefix(&out)
                .unwrap()
                .to_string_lossy()
                .into_owned(),
        );
        let pdf = fs::read(&pdf_path).unwrap_or_else(|e| panic!("{}: {e}", pdf_path.display()));
        // US Letter for the US, A4 elsewhere.
        let want = if market == "US" {
            (612.0, 792.0)
        } else {
            (595.3, 841.9)
        };
        for (w, h) in pdf_page_sizes(&pdf) {
            assert!(
                (w - want.0).abs() < 0.2 && (h - want.1).abs() < 0.2,
                "{number} v{version} ({market}): {w} × {h}"
            );
        }
        // The page showing the version links its PDF.
        let html = fs::read_to_string(folder.join("index.html")).unwrap();
        let page = Html::parse_document(&html);
        let links: Vec<&str> = page
            .select(&link)
            .filter_map(|a| a.value().attr("href"))
            .collect();
        assert_eq!(links, [href], "{number} v{version}");
        if !poppler {
            continue;
        }
        let text = text(&pdf_path);
        // Every element the page shows, in the PDF's words: headings and party blocks
        // (name, each line of the full mailing address, contacts) whole, and every word
        // of the rest (table cells wrap in the PDF, so a cell's words need not be in one
        // run of text).
        let words: std::collections::HashSet<&str> = text.split(' ').collect();
        for t in whole(&html) {
            assert!(
                text.contains(&t),
                "{number} v{version}: the page says “{t}”, the PDF does not:\n{text}"
            );
        }
        for (element, nodes) in elements(&html) {
            if element == "certificate-meta" {
                continue; // the status block: checked field by field below
            }
            for node in nodes {
                for word in node.split(' ') {
                    let word = word.trim_matches(|c: char| ",.:;()".contains(c));
                    if word.len() > 1 {
                        assert!(
                            words.iter().any(|w| w.contains(word)),
                            "{number} v{version}: element `{element}` says “{word}” (in “{node}”), the PDF does not:\n{text}"
                        );
                    }
                }
            }
        }
        let meta = Selector::parse("[data-field]").unwrap();
        for field in page.select(&meta) {
            let name = field.value().attr("data-field").unwrap();
            if matches!(name, "status" | "pdf") {
                continue;
            }
            let value = squash(&field.text().collect::<String>());
            assert!(
                text.contains(&value),
                "{number} v{version}: {name} “{value}” not in the PDF:\n{text}"
            );
        }
        assert!(text.contains(&format!("version {version}")), "{text}");
        // Fonts embedded: pdffonts lists each with `yes` under `emb`.
        let fonts = run("pdffonts", &[pdf_path.to_str().unwrap()]);
        let rows: Vec<&str> = fonts.lines().skip(2).collect();
        assert!(!rows.is_empty(), "{fonts}");
        for row in rows {
            let cols: Vec<&str> = row.split_whitespace().collect();
            assert_eq!(
                cols[cols.len() - 5],
                "yes",
                "{number} v{version}: a font not embedded:\n{fonts}"
            );
        }
        // The code opens the certificate's page (where it stands today, every version);
        // the PDF names this version's own page too.
        assert_eq!(
            codes(&pdf_path),
            [format!("{base}certificates/{number}/")],
            "{number} v{version}"
        );
        assert!(
            text.contains(&format!("{base}certificates/{number}/v{version}/")),
            "{text}"
        );
    }
    assert!(in_force >= 5, "only {in_force} certificates in force");

    // The same inputs, the same bytes.
    let (_again_dir, again) = build_example();
    for rel in pdfs.values() {
        assert!(
            fs::read(out.join(rel)).unwrap() == fs::read(again.join(rel)).unwrap(),
            "{rel} differs between builds"
        );
    }
}

/// Without `[build] certificate_pdfs` (off by default) a build publishes no certificate
/// PDF and nothing names one: no page links it, no `_redirects` rule leads to one, and the
/// eFiling data's `pdf_url` is null (its schema allows that); everything else is as built
/// with them. The build that drops the PDFs of the output it replaces says so, once.
#[test]
fn a_site_without_certificate_pdfs_publishes_and_names_none() {
    let site = example_copy();
    let root = site.path();
    let out = root.join("public");
    let build = || {
        let o = certpress(&["build", "--root", root.to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
        stderr(&o) + &stdout(&o)
    };
    let said = build();
    assert!(!said.contains("certificate-pdfs-off"), "{said}");
    let with_files = read_tree(&out);

    let config = fs::read_to_string(root.join("site.toml")).unwrap();
    let line = config
        .lines()
        .find(|l| l.starts_with("certificate_pdfs = true"))
        .expect("the example site publishes PDFs");
    fs::write(root.join("site.toml"), config.replace(line, "")).unwrap();
    let said = build();
    assert!(
        said.contains("certificate-pdfs-off") && said.contains("certificate_pdfs = true"),
        "{said}"
    );
    let without_files = read_tree(&out);
    // Said once: not by the next build, which has nothing to do, nor by one that renders.
    let said = build();
    assert!(
        said.contains("nothing changed") && !said.contains("certificate-pdfs-off"),
        "{said}"
    );
    // With its manifest gone, the next build renders everything again.
    fs::remove_file(out.with_file_name(".public.manifest")).unwrap();
    let said = build();
    assert!(!said.contains("certificate-pdfs-off"), "{said}");

    let pdfs: Vec<&String> = with_files
        .keys()
        .filter(|p| p.starts_with("certificates/") && p.ends_with(".pdf"))
        .collect();
    assert!(pdfs.len() >= 20, "{pdfs:?}");
    for (path, bytes) in &without_files {
        assert!(
            !path.ends_with(".pdf") || path.starts_with("labels/"),
            "{path}"
        );
        let text = String::from_utf8_lossy(bytes);
        assert!(!text.contains("certificate.pdf"), "{path} names a PDF");
    }
    let pages: Vec<&String> = with_files
        .keys()
        .filter(|p| !p.ends_with(".pdf") && !p.starts_with('.'))
        .collect();
    let missing: Vec<&&String> = pages
        .iter()
        .filter(|p| !without_files.contains_key(**p))
        .collect();
    assert!(missing.is_empty(), "{missing:?}");

    let exports = root.join("exports");
    let o = certpress(&[
        "export",
        "efiling",
        "--root",
        root.to_str().unwrap(),
        "--output",
        exports.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: serde_json::Value =
        serde_json::from_slice(&fs::read(exports.join("cpsc-efiling.json")).unwrap()).unwrap();
    let schema: serde_json::Value =
        serde_json::from_slice(&fs::read(exports.join("cpsc-efiling.schema.json")).unwrap())
            .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(validator.is_valid(&doc));
    let certificates = doc["certificates"].as_array().unwrap();
    assert!(!certificates.is_empty());
    for c in certificates {
        assert!(c["pdf_url"].is_null(), "{c}");
    }
}
