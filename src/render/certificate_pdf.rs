//! A certificate version as a PDF, from the same view as its page (SPEC §13): every
//! element its regime requires, in the order the page gives them, with the number,
//! version, status, dates, content hash and a QR code to the certificate's page. US
//! Letter for US certificates and A4 otherwise, unless `[certificates] paper` says.

use super::certificate::{CertificateView, PartyLines};
use crate::config::Paper as PaperSetting;
use crate::document::{self, BODY, Document, HEADING, Paper, SMALL, STRONG, TITLE};
use crate::label::font::Fonts;
use crate::ledger::Standing;

/// Side of the QR code at the top of the first page (mm): scanned from a printout or a
/// screen, well above the 0.33 mm module size of labels.md §2 for the URLs certpress makes.
const QR_MM: f32 = 30.0;

/// The paper for a certificate of `market`.
pub fn paper(setting: PaperSetting, market: &str) -> Paper {
    match setting {
        PaperSetting::A4 => document::A4,
        PaperSetting::Letter => document::LETTER,
        // The US uses Letter; the markets certpress knows besides it use A4.
        PaperSetting::Auto if market == "US" => document::LETTER,
        PaperSetting::Auto => document::A4,
    }
}

/// An image the certificate shows (the EU/UK declaration's colour image of the toy).
pub struct Image {
    pub mime: &'static str,
    pub bytes: Vec<u8>,
    /// Pixel width and height.
    pub size: (u32, u32),
}

impl Image {
    /// Reads an image file's bytes, when a PDF can carry its format (PNG, JPEG, GIF,
    /// and SVG, drawn as vectors); `None` otherwise.
    pub fn new(bytes: Vec<u8>, fonts: &Fonts) -> Option<Image> {
        if is_svg(&bytes) {
            let tree = resvg::usvg::Tree::from_data(&bytes, &fonts.usvg_options()).ok()?;
            let size = tree.size();
            return Some(Image {
                mime: "image/svg+xml",
                size: (size.width().round() as u32, size.height().round() as u32),
                bytes,
            });
        }
        let reader = image::ImageReader::new(std::io::Cursor::new(&bytes))
            .with_guessed_format()
            .ok()?;
        let mime = match reader.format()? {
            image::ImageFormat::Png => "image/png",
            image::ImageFormat::Jpeg => "image/jpeg",
            image::ImageFormat::Gif => "image/gif",
            _ => return None,
        };
        let size = reader.into_dimensions().ok()?;
        Some(Image { mime, bytes, size })
    }
}

/// An SVG file (checked safe when the record was read: no script, no outside
/// references), by its first element.
fn is_svg(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(2048)]);
    head.contains("<svg")
}

/// What the status line says, as the page's status block does; `certificate` is the
/// certificate page's absolute URL.
fn status(c: &CertificateView, certificate: &str) -> String {
    if c.preview {
        "Not issued — preview: not valid".into()
    } else if c.valid {
        "Valid: issued and in force".into()
    } else if c.superseded {
        format!("Superseded: replaced by a later version ({certificate})")
    } else if c.standing == Standing::Blocked {
        "Not valid: a requirement is open (below)".into()
    } else if c.standing == Standing::Withdrawn {
        "Withdrawn: the product has been withdrawn".into()
    } else if c.product_removed {
        "Not in force: the product's record was removed".into()
    } else {
        "Not in force: the product no longer needs this certificate".into()
    }
}

/// A party's block: name, full mailing address, contacts and accreditations, one per
/// line.
fn party(p: &PartyLines) -> String {
    let mut lines = vec![p.name.to_string()];
    lines.extend(p.mailing.mailing_address.iter().cloned());
    if let Some(phone) = p.phone {
        lines.push(format!("Telephone: {phone}"));
    }
    if let Some(email) = p.email {
        lines.push(format!("E-mail: {email}"));
    }
    lines.extend(p.accreditations.iter().map(|a| a.text.clone()));
    lines.join("\n")
}

/// Where a certificate version is online (absolute URLs).
pub struct Urls {
    /// The certificate's page: where it stands today, and every version. The QR code's.
    pub certificate: String,
    /// This version's own page, kept forever.
    pub version: String,
}

/// The certificate version `c` as a PDF on `paper`, `image` the product's colour image
/// when the regime shows it. The same bytes serve as the PDF of the version and, while
/// it is in force, of the certificate.
pub fn pdf(
    c: &CertificateView,
    fonts: &Fonts,
    paper: Paper,
    urls: &Urls,
    image: Option<&Image>,
) -> Result<Vec<u8>, String> {
    let mut d = Document::new(fonts, paper);
    let code = crate::label::qr::Code::encode(&urls.certificate, crate::config::QrLevel::M)?;
    d.code_top_right(&code, QR_MM);
    d.paragraph(c.title, TITLE);
    let declaration = c.kind.ends_with("-doc");
    d.paragraph(
        &if declaration {
            c.market_name.to_string()
        } else {
            format!(
                "{} · Consumer Product Safety Act §14 (15 U.S.C. 2063)",
                c.market_name
            )
        },
        SMALL,
    );
    d.skip(1.5);
    d.facts(&[
        ("Certificate number", c.number.to_string()),
        ("Version", format!("{} of {}", c.version, c.versions.len())),
        ("Status", status(c, &urls.certificate)),
        ("Issued", c.issued.clone()),
        ("Created", c.created.clone()),
        ("Last modified", c.modified.clone()),
        ("Content hash", c.hash.to_string()),
        ("Online", urls.certificate.clone()),
        ("This version", urls.version.clone()),
    ]);
    d.clear_art();
    if c.standing == Standing::Changed && c.valid {
        d.paragraph(
            "The records behind this certificate have changed since this version was issued; a new version awaits issue.",
            BODY,
        );
    }
    if !c.gaps.is_empty() {
        d.paragraph(
            "This certificate is not valid today. Open requirements:",
            STRONG,
        );
        let gaps: Vec<String> = c
            .gaps
            .iter()
            .map(|g| {
                // As the page words it: the status's name, its dashes as spaces.
                let status = serde_json::to_value(g.status)
                    .ok()
                    .and_then(|v| v.as_str().map(|s| s.replace('-', " ")))
                    .unwrap_or_default();
                let mut s = format!("{} {}: {status}", g.cite, g.title);
                if let Some(detail) = &g.detail {
                    s.push_str(&format!(" ({detail})"));
                }
                s
            })
            .collect();
        d.list(&gaps, BODY);
    }
    d.rule(0.3);
    d.skip(2.0);
    if declaration {
        declaration_body(&mut d, c, image);
    } else {
        certificate_body(&mut d, c);
    }
    let number = c.number;
    let version = c.version;
    d.pdf(|page, pages| format!("{number} · version {version} · page {page} of {pages}"))
}

fn product_facts(c: &CertificateView) -> Vec<(&'static str, String)> {
    let p = c.product;
    let mut rows = vec![("Name", p.name.clone())];
    if let Some(b) = &p.brand {
        rows.push(("Brand", b.clone()));
    }
    rows.push(("Model", p.model.clone()));
    if let Some(g) = &p.gtin {
        rows.push(("GTIN", g.clone()));
    }
    rows
}

/// The seven elements of 16 CFR 1110.11 (regulations.md §1.3), as the CPC/GCC page.
fn certificate_body(d: &mut Document, c: &CertificateView) {
    let p = c.product;
    d.heading("1. Identification of the product covered", HEADING);
    let mut rows = product_facts(c);
    if let Some(s) = &p.sku {
        rows.push(("SKU", s.clone()));
    }
    if let Some(desc) = &p.description {
        rows.push(("Description", desc.clone()));
    }
    d.facts(&rows);

    d.heading(
        "2. Each rule this product is certified to comply with",
        HEADING,
    );
    let rules: Vec<String> = c
        .rules
        .iter()
        .map(|r| format!("{}: {}", r.cite, r.title))
        .collect();
    d.list(&rules, BODY);

    d.heading(
        if c.certifier_role == "importer" {
            "3. Certifier (importer)"
        } else {
            "3. Certifier (domestic manufacturer)"
        },
        HEADING,
    );
    d.paragraph(&party(&c.certifier), BODY);

    d.heading("4. Individual maintaining records of test results", HEADING);
    match &c.records_custodian {
        Some(r) => d.paragraph(&party(r), BODY),
        None => d.paragraph("Not named in the product record.", BODY),
    }

    d.heading("5. Date and place of manufacture", HEADING);
    let lots: Vec<Vec<String>> = if c.lots.is_empty() {
        vec![vec![
            "All".into(),
            "—".into(),
            format!(
                "Every production lot of model {} (no lots recorded).",
                p.model
            ),
        ]]
    } else {
        c.lots
            .iter()
            .map(|l| {
                let mut place = l.place.to_string();
                if let Some(f) = &l.factory {
                    place.push_str(&format!(
                        " ({}, {})",
                        f.name,
                        f.mailing.mailing_address.join(", ")
                    ));
                }
                vec![l.lot.to_string(), l.made.clone(), place]
            })
            .collect()
    };
    d.table(
        "Lots covered",
        &[("Lot", 1.0), ("Made", 1.0), ("Place", 3.0)],
        &lots,
    );

    d.heading("6. Date and place where the product was tested", HEADING);
    let tests: Vec<Vec<String>> = c
        .tests
        .iter()
        .map(|t| {
            let mut rules = t.covers.join(", ");
            if !t.lots.is_empty() {
                rules.push_str(&format!(" (lots {})", t.lots.join(", ")));
            }
            vec![
                t.report.to_string(),
                t.date.clone(),
                t.place.unwrap_or(t.lab.name).to_string(),
                rules,
            ]
        })
        .collect();
    d.table(
        "Test reports relied on",
        &[
            ("Report", 1.2),
            ("Date", 1.0),
            ("Place", 1.5),
            ("Rules", 2.0),
        ],
        &tests,
    );

    d.heading("7. Third-party testing laboratory", HEADING);
    // Each laboratory once: by everything the certificate says of it, not by name
    // alone (two labs may share a name).
    let mut shown: Vec<String> = Vec::new();
    for t in &c.tests {
        let block = party(&t.lab);
        if !shown.contains(&block) {
            d.paragraph(&block, BODY);
            shown.push(block);
        }
    }
}

/// The items of Directive 2009/48/EC Annex III (UK: SI 2011/1881 Schedule 3), as the
/// declaration's page.
fn declaration_body(d: &mut Document, c: &CertificateView, image: Option<&Image>) {
    let gb = c.market == "GB";
    d.heading(
        "1. Declaration number (unique identification of the toy)",
        HEADING,
    );
    d.paragraph(&format!("No. {} (version {})", c.number, c.version), BODY);

    d.heading("2. Name and address of the manufacturer", HEADING);
    d.paragraph(&party(&c.manufacturer), BODY);

    d.heading("3. Responsibility", HEADING);
    d.paragraph(
        "This declaration of conformity is issued under the sole responsibility of the manufacturer.",
        BODY,
    );

    d.heading("4. Object of the declaration", HEADING);
    let mut rows = product_facts(c);
    if !c.lots.is_empty() {
        let lots: Vec<&str> = c.lots.iter().map(|l| l.lot).collect();
        rows.push(("Batches", lots.join(", ")));
    }
    d.facts(&rows);
    match (image, &c.product.image) {
        (Some(img), _) => d.image(
            img.mime,
            &img.bytes,
            img.size,
            (90.0, 70.0),
            "Colour image identifying the toy",
        ),
        (None, Some(path)) => d.paragraph(
            &format!(
                "Colour image identifying the toy: {path}, shown on the declaration's web page (a PDF carries PNG, JPEG, GIF or SVG images)."
            ),
            SMALL,
        ),
        (None, None) => {}
    }

    d.heading("5. Conformity", HEADING);
    d.paragraph(
        &format!(
            "The object of the declaration described above is in conformity with the relevant {}:",
            if gb {
                "statutory requirements"
            } else {
                "Union harmonisation legislation"
            }
        ),
        BODY,
    );
    let rules: Vec<String> = c.rules.iter().map(|r| r.cite.clone()).collect();
    d.list(&rules, BODY);

    d.heading(
        if gb {
            "6. Designated standards or other specifications applied"
        } else {
            "6. Harmonised standards or other specifications applied"
        },
        HEADING,
    );
    if c.standards.is_empty() {
        d.paragraph(
            &format!(
                "No {} standard is named by the test reports; conformity rests on the reports below.",
                if gb { "designated" } else { "harmonised" }
            ),
            BODY,
        );
    } else {
        d.list(c.standards, BODY);
    }
    let reports: Vec<String> = c
        .tests
        .iter()
        .map(|t| {
            let mut s = format!("Report {}, {}, {}", t.report, t.date, t.lab.name);
            if let Some(place) = t.place {
                s.push_str(&format!(", {place}"));
            }
            s
        })
        .collect();
    d.list(&reports, BODY);

    d.heading(
        if gb {
            "7. Approved body"
        } else {
            "7. Notified body"
        },
        HEADING,
    );
    d.paragraph(
        &format!(
            "Where applicable: no {} or type-examination certificate is recorded for this toy.",
            if gb {
                "UK approved body"
            } else {
                "notified body"
            }
        ),
        BODY,
    );

    d.heading("8. Additional information", HEADING);
    d.facts(&[
        (
            "Signed for and on behalf of",
            c.manufacturer.name.to_string(),
        ),
        ("Date of issue", c.issued.clone()),
    ]);
    d.paragraph(
        "The signed original, with the place of issue and the signatory's name and function, is kept with the technical documentation.",
        SMALL,
    );
}
