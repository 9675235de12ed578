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

use crate::diagnostic::{Diagnostic, Diagnostics, Severity};
use crate::plugins::Vocabulary;
use crate::source;
use crate::yaml;
use crate::ypath;
use rayon::prelude::*;
use serde::de::DeserializeOwned;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Everything in `content/`, validated.
#[derive(Debug, Default)]
pub struct Content {
    pub parties: BTreeMap<String, Arc<Party>>,
    /// Sorted by id.
    pub products: Vec<Product>,
    /// Sorted by path.
    pub guidance: Vec<GuidancePage>,
}

/// A record file, read and (if it could be) parsed.
struct Record<T> {
    rel: String,
    stem: String,
    /// Kept until the record is resolved, to locate its problems without reading again.
    text: String,
    /// The id the file claims, even when the rest fails to parse.
    id: Option<String>,
    parsed: Result<T, Diagnostic>,
}

/// Reads and parses record files in parallel.
fn read_all<T: DeserializeOwned + Send>(
    root: &Path,
    paths: &[PathBuf],
    claimed: fn(&T) -> &str,
) -> Vec<Record<T>> {
    paths
        .par_iter()
        .map(|path| {
            let rel = source::relative(root, path);
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text = match source::read_text(root, path) {
                Ok(t) => t,
                Err(d) => {
                    return Record {
                        rel,
                        stem,
                        text: String::new(),
                        id: None,
                        parsed: Err(d),
                    };
                }
            };
            let parsed = yaml::parse::<T>(&text).map_err(|e| {
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
            });
            let id = match &parsed {
                Ok(raw) => Some(claimed(raw).to_string()),
                Err(_) => claimed_id(&text),
            };
            Record {
                rel,
                stem,
                text,
                id,
                parsed,
            }
        })
        .collect()
}

/// The id a record claims, read without validating the rest, so a file that fails to
/// parse still owns its id (no second error when a duplicate appears elsewhere).
fn claimed_id(text: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct IdOnly {
        id: String,
    }
    yaml::parse::<IdOnly>(text).ok().map(|r| r.id)
}

/// For each id, the first file (in path order) that claims it.
fn first_claims<T>(records: &[Record<T>]) -> BTreeMap<String, String> {
    let mut first = BTreeMap::new();
    for r in records {
        if let Some(id) = &r.id {
            first.entry(id.clone()).or_insert_with(|| r.rel.clone());
        }
    }
    first
}

fn duplicate(kind: &str, id: &str, first: &str) -> Problem {
    Problem::error(
        "duplicate-id",
        ypath!["id"],
        format!("{kind} id `{id}` is already used by {first}"),
    )
    .help("ids are unique across all subfolders")
}

fn has_errors(problems: &[Problem]) -> bool {
    problems.iter().any(|p| p.severity == Severity::Error)
}

pub fn load(
    root: &Path,
    vocabulary: &Vocabulary,
    base_path: &str,
    diags: &mut Diagnostics,
) -> Content {
    let content_dir = root.join("content");
    let yaml_exts: &[&str] = &["yaml", "yml"];
    let (party_paths, walk_diags) =
        source::walk(root, &content_dir.join("parties"), Some(yaml_exts));
    diags.extend(walk_diags);
    let (product_paths, walk_diags) =
        source::walk(root, &content_dir.join("products"), Some(yaml_exts));
    diags.extend(walk_diags);

    // Assets are published as they are; what the walk skips is reported here.
    let (_, walk_diags) = source::walk(root, &content_dir.join("assets"), None);
    diags.extend(walk_diags);

    // Parties first: products refer to them. A party that fails keeps its id "known but
    // broken", so products naming it are not reported a second time.
    let records = read_all::<raw::RawParty>(root, &party_paths, |p| &p.id);
    let first = first_claims(&records);
    let mut parties: BTreeMap<String, Arc<Party>> = BTreeMap::new();
    let mut broken_parties: BTreeSet<String> = BTreeSet::new();
    for Record {
        rel,
        stem,
        text,
        id: claimed,
        parsed,
    } in records
    {
        let raw = match parsed {
            Ok(raw) => raw,
            Err(d) => {
                diags.push(d);
                broken_parties.extend(claimed);
                continue;
            }
        };
        let id = raw.id.clone();
        let (party, mut problems) = party::resolve(raw, &rel, &stem);
        if first.get(&id).is_some_and(|f| *f != rel) {
            problems.push(duplicate("party", &id, &first[&id]));
        } else {
            match party {
                Some(p) if !has_errors(&problems) => {
                    parties.insert(id, Arc::new(p));
                }
                _ => {
                    broken_parties.insert(id);
                }
            }
        }
        diags.extend(problem::locate(&rel, &text, 0, problems));
    }

    // Products: resolved in parallel; duplicates (ids, GTINs) decided in path order.
    let records = read_all::<raw::RawProduct>(root, &product_paths, |p| &p.id);
    let first = first_claims(&records);
    let cx = product::Context {
        parties: &parties,
        broken_parties: &broken_parties,
        vocabulary,
        content_dir: &content_dir,
    };
    let resolved: Vec<(Option<Product>, Vec<Diagnostic>)> = records
        .into_par_iter()
        .map(
            |Record {
                 rel,
                 stem,
                 text,
                 id,
                 parsed,
             }| {
                let raw = match parsed {
                    Ok(raw) => raw,
                    Err(d) => return (None, vec![d]),
                };
                let (product, mut problems) = product::resolve(raw, &rel, &stem, &cx);
                let id = id.unwrap_or_default();
                if first.get(&id).is_some_and(|f| *f != rel) {
                    problems.push(duplicate("product", &id, &first[&id]));
                }
                let keep = product.filter(|_| !has_errors(&problems));
                (keep, problem::locate(&rel, &text, 0, problems))
            },
        )
        .collect();
    let mut products = Vec::with_capacity(resolved.len());
    let mut gtin_owner: BTreeMap<crate::gtin::Gtin, String> = BTreeMap::new();
    for (product, ds) in resolved {
        diags.extend(ds);
        let Some(p) = product else { continue };
        // Two products with one GTIN would share a GS1 Digital Link path.
        if let Some(g) = p.gtin {
            if let Some(owner) = gtin_owner.get(&g) {
                diags.push(duplicate_gtin(root, &p.file, &g, owner));
                continue;
            }
            gtin_owner.insert(g, p.file.clone());
        }
        products.push(p);
    }
    products.sort_by(|a, b| a.id.cmp(&b.id));

    let guidance = load_guidance(root, &content_dir, base_path, diags);
    Content {
        parties,
        products,
        guidance,
    }
}

fn duplicate_gtin(root: &Path, file: &str, gtin: &crate::gtin::Gtin, owner: &str) -> Diagnostic {
    let text = source::read_text(root, &root.join(file)).unwrap_or_default();
    let problem = Problem::error(
        "duplicate-gtin",
        ypath!["gtin"],
        format!("GTIN {gtin} is already used by {owner}"),
    )
    .help("each trade item has its own GTIN; variants that differ need their own");
    problem::locate(file, &text, 0, vec![problem]).remove(0)
}

fn load_guidance(
    root: &Path,
    content_dir: &Path,
    base_path: &str,
    diags: &mut Diagnostics,
) -> Vec<GuidancePage> {
    let (paths, walk_diags) = source::walk(root, &content_dir.join("guidance"), Some(&["md"]));
    diags.extend(walk_diags);
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
