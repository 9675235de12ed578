//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod disk;
pub mod http;
pub mod site_test;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root, which is also the example site.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the certpress binary with `args`.
pub fn certpress(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_certpress"))
        .args(args)
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .expect("run certpress")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from)
        .into_iter()
        .filter_map(Result::ok)
    {
        let rel = entry.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            fs::create_dir_all(&dest).unwrap();
        } else {
            fs::create_dir_all(dest.parent().unwrap()).unwrap();
            fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// Every file under `dir`, by relative path, with its bytes.
pub fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, fs::read(e.path()).unwrap())
        })
        .collect()
}

/// A copy of the example site (content, plugins, theme, site.toml, certificate ledger) in
/// a temp folder.
pub fn example_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for part in ["content", "plugins", "themes"] {
        copy_dir(&repo().join(part), &dir.path().join(part));
    }
    fs::copy(repo().join("site.toml"), dir.path().join("site.toml")).unwrap();
    fs::copy(
        repo().join("certificates.lock"),
        dir.path().join("certificates.lock"),
    )
    .unwrap();
    dir
}

/// Builds the example site into a fresh temp folder; returns (tempdir, output path).
pub fn build_example() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    let o = certpress(&[
        "build",
        "--root",
        repo().to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert!(
        o.status.success(),
        "build failed:\n{}\n{}",
        stdout(&o),
        stderr(&o)
    );
    (dir, out)
}

/// Turns on `[build] certificate_pdfs` (off by default) in the site at `root`, whose
/// site.toml has no `[build]` table.
pub fn with_certificate_pdfs(root: &Path) {
    let config = fs::read_to_string(root.join("site.toml")).unwrap();
    assert!(!config.contains("[build]"), "{config}");
    fs::write(
        root.join("site.toml"),
        format!("{config}[build]\ncertificate_pdfs = true\n"),
    )
    .unwrap();
}

/// `check --json` of the site at `root`, asserting it has no errors (gaps and other
/// warnings are fine).
pub fn check_json(root: &Path) -> serde_json::Value {
    let o = certpress(&["check", "--json", "--root", root.to_str().unwrap()]);
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&o)).unwrap_or_else(|e| panic!("{e}: {}", stderr(&o)));
    assert_no_errors(&json);
    json
}

/// Asserts that a `check --json` document holds no error (gaps and other warnings are
/// fine).
pub fn assert_no_errors(json: &serde_json::Value) {
    let errors: Vec<&serde_json::Value> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error")
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

/// The invalid cases' base site (`tests/invalid/_base`: one product, one guidance page)
/// with the shipped plugins and theme, in a temporary folder.
pub fn base_site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("tests/invalid/_base"), dir.path());
    copy_dir(&repo().join("plugins"), &dir.path().join("plugins"));
    copy_dir(&repo().join("themes"), &dir.path().join("themes"));
    dir
}

/// Decodes every QR code in a greyscale image (rqrr).
pub fn decode_qr(img: &image::GrayImage) -> Vec<String> {
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
        img.width() as usize,
        img.height() as usize,
        |x, y| img.get_pixel(x as u32, y as u32).0[0],
    );
    prepared
        .detect_grids()
        .into_iter()
        .filter_map(|g| g.decode().ok().map(|(_, s)| s))
        .collect()
}

/// Whether poppler's `tool` (pdftoppm, pdftotext, ...) runs here. CI installs
/// poppler-utils and requires it (`CERTPRESS_BROWSER_TESTS=required`); elsewhere the
/// checks that need it are skipped with a note.
pub fn poppler(tool: &str) -> bool {
    let ok = Command::new(tool).arg("-v").output().is_ok();
    if !ok {
        assert!(
            std::env::var("CERTPRESS_BROWSER_TESTS").as_deref() != Ok("required"),
            "{tool} (poppler-utils) is required"
        );
        eprintln!("note: {tool} not found (apt install poppler-utils): its checks skipped");
    }
    ok
}

/// Page sizes (pt) of a PDF, read with lopdf: each page's MediaBox width and height.
pub fn pdf_page_sizes(pdf: &[u8]) -> Vec<(f32, f32)> {
    let doc = lopdf::Document::load_mem(pdf).expect("a PDF");
    doc.get_pages()
        .values()
        .map(|id| {
            let page = doc.get_dictionary(*id).unwrap();
            let b: Vec<f32> = page
                .get(b"MediaBox")
                .unwrap()
                .as_array()
                .unwrap()
                .iter()
                .map(|o| {
                    o.as_float()
                        .or_else(|_| o.as_i64().map(|i| i as f32))
                        .unwrap()
                })
                .collect();
            (b[2] - b[0], b[3] - b[1])
        })
        .collect()
}

/// `export csv --xlsx` of the site at `root` into `out` (every CSV and records.xlsx),
/// asserting success.
pub fn export_csv(root: &Path, out: &Path) {
    let o = certpress(&[
        "export",
        "csv",
        "--xlsx",
        "--root",
        root.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
}
