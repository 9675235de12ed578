//! Loading `content/`: parties, products and guidance pages, from raw files into the
//! validated model, with every problem reported.

pub mod guidance;
pub mod party;
mod problem;
pub mod product;
pub mod raw;

pub use guidance::GuidancePage;
pub use party::Party;
pub use problem::Problem;
pub use product::{Age, Evidence, Lot, Product};
pub use raw::{PartyKind, Status, TestResult};

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::plugins::Vocabulary;
use crate::source;
use crate::yaml;
use crate::ypath;
use rayon::prelude::*;
use serde::de::DeserializeOwned;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use walkdir::WalkDir;

/// Everything in `content/`, validated.
#[derive(Debug, Default)]
pub struct Content {
    pub parties: BTreeMap<String, Arc<Party>>,
    /// Sorted by id.
    pub products: Vec<Product>,
    /// Sorted by path.
    pub guidance: Vec<GuidancePage>,
}

/// Files under `dir` with one of `exts`, in path order (SPEC §4.1: "files are read in
/// path order"). Hidden files and folders are skipped.
fn files(dir: &Path, exts: &[&str]) -> Vec<PathBuf> {
    WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'))
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(walkdir::DirEntry::into_path)
        .filter(|p| p.extension().is_some_and(|x| exts.iter().any(|e| x == *e)))
        .collect()
}

/// A record file read and parsed into its raw struct.
struct Parsed<T> {
    rel: String,
    stem: String,
    raw: T,
}

/// Reads and parses record files in parallel. Files that fail are reported and dropped.
fn parse_all<T: DeserializeOwned + Send>(
    root: &Path,
    paths: &[PathBuf],
    diags: &mut Diagnostics,
) -> Vec<Parsed<T>> {
    let results: Vec<Result<Parsed<T>, Diagnostic>> = paths
        .par_iter()
        .map(|path| {
            let rel = source::relative(root, path);
            let text = source::read_text(root, path)?;
            let raw = yaml::parse::<T>(&text).map_err(|e| {
                let mut d = Diagnostic::error(e.code, &rel, e.message).at(e.line, e.column);
                let scalar = [
                    "invalid type: integer",
                    "invalid type: floating point",
                    "invalid type: boolean",
                ];
                if d.code == "wrong-type"
                    && d.message.contains("expected a string")
                    && scalar.iter().any(|s| d.message.contains(s))
                {
                    d = d.with_help("quote the value, e.g. \"2026\", so YAML keeps it as written");
                }
                d
            })?;
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            Ok(Parsed { rel, stem, raw })
        })
        .collect();
    let mut out = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Ok(p) => out.push(p),
            Err(d) => diags.push(d),
        }
    }
    out
}

/// Attaches line and column to a file's problems (re-reading it: only files with
/// problems pay for this).
fn locate(root: &Path, rel: &str, problems: Vec<Problem>) -> Vec<Diagnostic> {
    if problems.is_empty() {
        return Vec::new();
    }
    let text = std::fs::read_to_string(root.join(rel)).unwrap_or_default();
    problem::locate(rel, &text, 0, problems)
}

/// The id a record file claims, read without validating the rest (so a file that fails
/// to parse can still be recognised as the owner of its id).
fn claimed_id(root: &Path, path: &Path) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct IdOnly {
        id: String,
    }
    let text = source::read_text(root, path).ok()?;
    yaml::parse::<IdOnly>(&text).ok().map(|r| r.id)
}

pub fn load(
    root: &Path,
    vocabulary: &Vocabulary,
    base_path: &str,
    diags: &mut Diagnostics,
) -> Content {
    let content_dir = root.join("content");
    let party_paths = files(&content_dir.join("parties"), &["yaml", "yml"]);
    let product_paths = files(&content_dir.join("products"), &["yaml", "yml"]);

    // Parties first: products refer to them.
    let raw_parties = parse_all::<raw::RawParty>(root, &party_paths, diags);
    let mut broken_parties: BTreeSet<String> = BTreeSet::new();
    let loaded: BTreeSet<&str> = raw_parties.iter().map(|p| p.rel.as_str()).collect();
    for path in &party_paths {
        if !loaded.contains(source::relative(root, path).as_str())
            && let Some(id) = claimed_id(root, path)
        {
            broken_parties.insert(id);
        }
    }
    let mut parties: BTreeMap<String, Arc<Party>> = BTreeMap::new();
    for Parsed { rel, stem, raw } in raw_parties {
        let id = raw.id.clone();
        let (party, mut problems) = party::resolve(raw, &rel, &stem);
        match party {
            Some(p) => match parties.get(&id) {
                Some(first) => problems.push(
                    Problem::error(
                        "duplicate-id",
                        ypath!["id"],
                        format!("party id `{id}` is already used by {}", first.file),
                    )
                    .help("ids are unique across all folders"),
                ),
                None => {
                    parties.insert(id, Arc::new(p));
                }
            },
            None => {
                broken_parties.insert(id);
            }
        }
        diags.extend(locate(root, &rel, problems));
    }

    // Products: resolved in parallel, then checked for duplicate ids in path order.
    let raw_products = parse_all::<raw::RawProduct>(root, &product_paths, diags);
    let cx = product::Context {
        parties: &parties,
        broken_parties: &broken_parties,
        vocabulary,
        content_dir: &content_dir,
    };
    let resolved: Vec<(String, String, Option<Product>, Vec<Problem>)> = raw_products
        .into_par_iter()
        .map(|Parsed { rel, stem, raw }| {
            let id = raw.id.clone();
            let (p, problems) = product::resolve(raw, &rel, &stem, &cx);
            (rel, id, p, problems)
        })
        .collect();
    let mut first_file: BTreeMap<String, String> = BTreeMap::new();
    let mut products = Vec::with_capacity(resolved.len());
    let mut located: Vec<(String, Vec<Problem>)> = Vec::new();
    for (rel, id, product, mut problems) in resolved {
        match first_file.get(&id) {
            Some(first) => problems.push(
                Problem::error(
                    "duplicate-id",
                    ypath!["id"],
                    format!("product id `{id}` is already used by {first}"),
                )
                .help("ids are unique across all subfolders of content/products"),
            ),
            None => {
                first_file.insert(id, rel.clone());
                if let Some(p) = product {
                    products.push(p);
                }
            }
        }
        if !problems.is_empty() {
            located.push((rel, problems));
        }
    }
    diags.extend(
        located
            .into_par_iter()
            .flat_map_iter(|(rel, problems)| locate(root, &rel, problems))
            .collect::<Vec<_>>(),
    );
    products.sort_by(|a, b| a.id.cmp(&b.id));

    let guidance = load_guidance(root, &content_dir, base_path, diags);
    Content {
        parties,
        products,
        guidance,
    }
}

fn load_guidance(
    root: &Path,
    content_dir: &Path,
    base_path: &str,
    diags: &mut Diagnostics,
) -> Vec<GuidancePage> {
    let paths = files(&content_dir.join("guidance"), &["md"]);
    let drafts: Vec<Result<guidance::Draft, Vec<Diagnostic>>> = paths
        .par_iter()
        .map(|path| {
            let rel = source::relative(root, path);
            let text = source::read_text(root, path).map_err(|d| vec![d])?;
            guidance::draft(&rel, &guidance::under_guidance(content_dir, path), text)
        })
        .collect();
    let mut ok = Vec::new();
    for d in drafts {
        match d {
            Ok(mut d) => {
                diags.extend(std::mem::take(&mut d.warnings));
                ok.push(d);
            }
            Err(ds) => diags.extend(ds),
        }
    }
    let anchors = guidance::anchors(&ok);
    let rendered: Vec<_> = ok
        .into_par_iter()
        .map(|d| guidance::render(d, &anchors, base_path, content_dir))
        .collect();
    let mut pages = Vec::new();
    for r in rendered {
        match r {
            Ok(p) => pages.push(p),
            Err(ds) => diags.extend(ds),
        }
    }
    pages.sort_by(|a, b| a.path.cmp(&b.path));
    pages
}
