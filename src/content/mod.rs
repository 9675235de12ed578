//! Loading `content/`: parties, products and guidance pages, from raw files into the
//! validated model, with every problem reported.

pub mod asset;
pub mod edit;
pub mod guidance;
pub mod overlay;
pub mod party;
mod problem;
pub mod product;
pub mod raw;
mod repair;

pub use guidance::GuidancePage;
pub use overlay::Overlay;
pub use party::Party;
pub use problem::Problem;
pub use product::{Age, CpscId, Evidence, Lot, Product};
pub use raw::{PartyKind, ProductIdType, Status, TestResult};

use crate::diagnostic::{Diagnostic, Diagnostics, Severity};
use crate::plugins::Vocabulary;
use crate::source;
use crate::yaml;
use crate::ypath;
use rayon::prelude::*;
use serde::de::DeserializeOwned;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Everything in `content/`, validated.
#[derive(Debug, Default)]
pub struct Content {
    pub parties: BTreeMap<String, Arc<Party>>,
    /// Sorted by id. Shared (`Arc`), so a rebuild that reads a record again can tell the
    /// products that changed from those it kept ([`Cache`]).
    pub products: Vec<Arc<Product>>,
    /// Sorted by path.
    pub guidance: Vec<GuidancePage>,
}

impl Content {
    /// The product with this id (products are sorted by id).
    pub fn product(&self, id: &str) -> Option<&Arc<Product>> {
        let i = self
            .products
            .binary_search_by(|p| p.id.as_str().cmp(id))
            .ok()?;
        Some(&self.products[i])
    }
}

/// One record file after its single pass: read, parsed, resolved, problems located.
/// The file's text and raw struct are dropped as soon as the pass ends, so a large site
/// holds only resolved records in memory.
#[derive(Clone)]
struct Loaded<M> {
    rel: String,
    /// The id the file claims, even when the rest fails to parse.
    id: Option<String>,
    /// The resolved record, when it has no errors.
    model: Option<M>,
    /// The parties the record names, as written (products only).
    refs: Vec<String>,
    diags: Vec<Diagnostic>,
}

/// What a previous load read, kept by `serve`: a rebuild reads again only the record
/// files that changed since (by size, modification time and inode), and the products
/// that name a party that changed or that failed to load. Whatever is kept is shared,
/// so the products a rebuild did not read are the same `Arc`s as before.
#[derive(Default)]
pub struct Cache {
    parties: Files<Party>,
    products: Files<Product>,
    /// The parties of the previous load, and the ids of those that failed, to tell which
    /// changed.
    last_parties: BTreeMap<String, Arc<Party>>,
    last_broken: BTreeSet<String>,
    /// The date the records read were judged on.
    as_of: Option<time::Date>,
}

impl Cache {
    /// Forgets what was read from `paths`, so they are read again whatever their stamp
    /// says (a save within one tick of the clock, of the same size, keeps both).
    pub fn forget(&mut self, paths: &[PathBuf]) {
        for p in paths {
            self.parties.remove(p);
            self.products.remove(p);
        }
    }
}

/// Each record file read, as it stood when read.
type Files<M> = HashMap<PathBuf, (Stamp, Shared<M>)>;

/// A record as loaded, shared between the cache and a load.
type Shared<M> = Arc<Loaded<Arc<M>>>;

/// What tells a file that changed from one that did not, without reading it.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
    #[cfg(unix)]
    inode: u64,
}

impl Stamp {
    fn of(path: &Path) -> Option<Stamp> {
        let m = std::fs::symlink_metadata(path).ok()?;
        Some(Stamp {
            len: m.len(),
            modified: m.modified().ok(),
            #[cfg(unix)]
            inode: std::os::unix::fs::MetadataExt::ino(&m),
        })
    }
}

/// How one kind of record file (`T` as written, `M` resolved) is read.
struct Reader<T, M, R> {
    /// The id the record claims.
    claimed: fn(&T) -> &str,
    resolve: R,
    /// Records in the model the positions it needs from the text, which is not kept.
    locate: fn(&mut M, &str),
    /// The parties the record names, as written.
    refs: fn(&T) -> Vec<String>,
}

/// Reads, parses and resolves record files in parallel, in the order given; those `kept`
/// accepts come from `cache` unread. The cache is updated with what was read.
fn load_all<T, M, R>(
    root: &Path,
    overlay: &Overlay,
    paths: &[PathBuf],
    reader: &Reader<T, M, R>,
    cache: Option<&mut Files<M>>,
    kept: impl Fn(&Loaded<Arc<M>>) -> bool + Sync,
) -> Vec<Shared<M>>
where
    T: DeserializeOwned,
    M: Send + Sync,
    R: Fn(T, &str, &str) -> (Option<M>, Vec<Problem>) + Sync,
{
    // An overlaid text has no stamp to tell it changed by: nothing is cached then.
    let Some(cache) = cache.filter(|_| overlay.is_empty()) else {
        return paths
            .par_iter()
            .map(|path| Arc::new(load_one(root, overlay, path, reader)))
            .collect();
    };
    // What is kept is shared with the cache, not copied.
    let read: Vec<(Option<Stamp>, Shared<M>)> = paths
        .par_iter()
        .map(|path| {
            let stamp = Stamp::of(path);
            match cache.get(path) {
                Some((was, loaded)) if Some(*was) == stamp && kept(loaded) => {
                    (None, Arc::clone(loaded))
                }
                _ => (stamp, Arc::new(load_one(root, overlay, path, reader))),
            }
        })
        .collect();
    let listed: std::collections::HashSet<&PathBuf> = paths.iter().collect();
    cache.retain(|p, _| listed.contains(p));
    for (path, (stamp, loaded)) in paths.iter().zip(&read) {
        if let Some(stamp) = stamp {
            cache.insert(path.clone(), (*stamp, Arc::clone(loaded)));
        }
    }
    read.into_iter().map(|(_, l)| l).collect()
}

/// Reads, parses and resolves one record file.
fn load_one<T, M, R>(
    root: &Path,
    overlay: &Overlay,
    path: &Path,
    reader: &Reader<T, M, R>,
) -> Loaded<Arc<M>>
where
    T: DeserializeOwned,
    R: Fn(T, &str, &str) -> (Option<M>, Vec<Problem>),
{
    let rel = source::relative(root, path);
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let read = crate::timings::READ.time(|| match overlay.get(path) {
        Some(t) => Ok(t.to_string()),
        None => source::read_text(root, path),
    });
    let text = match read {
        Ok(t) => t,
        Err(d) => {
            return Loaded {
                rel,
                id: None,
                model: None,
                refs: Vec::new(),
                diags: vec![d],
            };
        }
    };
    let raw = match crate::timings::PARSE.time(|| yaml::parse::<T>(&text)) {
        Ok(raw) => raw,
        // A reading error hides nothing else: the record is read again with each
        // problem mended in turn, and every problem is reported in this run.
        Err(e) if let Some(mut repaired) = repair::repair::<T>(&text, &e) => {
            let mut diags: Vec<Diagnostic> = std::mem::take(&mut repaired.errors)
                .into_iter()
                .map(|e| parse_error(&rel, e))
                .collect();
            let mut id = None;
            if let Some(raw) = repaired.raw.take() {
                id = Some((reader.claimed)(&raw).to_string()).filter(|id| !id.is_empty());
                let (_, problems) = (reader.resolve)(raw, &rel, &stem);
                // Only errors: a warning of a record read with stand-ins may be the
                // stand-ins' doing anywhere in it (an empty `markets` for `markets: US`
                // warns at `id`), and warnings wait until the record reads.
                let problems: Vec<Problem> = problems
                    .into_iter()
                    .filter(|p| p.severity == Severity::Error && !repaired.made(&p.path))
                    .collect();
                diags.extend(problem::locate(&rel, &text, 0, problems));
            }
            return Loaded {
                rel,
                id: id.or_else(|| claimed_id(&text)),
                model: None,
                refs: Vec::new(),
                diags,
            };
        }
        Err(e) => {
            let d = parse_error(&rel, e);
            return Loaded {
                rel,
                id: claimed_id(&text),
                model: None,
                refs: Vec::new(),
                diags: vec![d],
            };
        }
    };
    crate::timings::RESOLVE.time(|| {
        let id = Some((reader.claimed)(&raw).to_string());
        let named = (reader.refs)(&raw);
        let (model, problems) = (reader.resolve)(raw, &rel, &stem);
        let model = model.filter(|_| !has_errors(&problems)).map(|mut m| {
            (reader.locate)(&mut m, &text);
            Arc::new(m)
        });
        let diags = problem::locate(&rel, &text, 0, problems);
        Loaded {
            rel,
            id,
            model,
            refs: named,
            diags,
        }
    })
}

fn parse_error(rel: &str, e: yaml::YamlError) -> Diagnostic {
    let d = e.diagnostic(rel, 0);
    let scalar = [
        "invalid type: integer",
        "invalid type: floating point",
        "invalid type: boolean",
    ];
    if d.code == "wrong-type"
        && d.message.contains("expected a string")
        && scalar.iter().any(|s| d.message.contains(s))
    {
        d.with_help("quote the value, e.g. \"2026\", so YAML keeps it as written")
    } else {
        d
    }
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

fn has_errors(problems: &[Problem]) -> bool {
    problems.iter().any(|p| p.severity == Severity::Error)
}

/// Keeps the first record (in the order read) of each id; a later one is an error at its
/// `id` line naming the first file. Returns (id, model) pairs and the ids whose first
/// record failed (known, but broken: references to them are not reported again).
/// `first`: the file of each id's first record in the batches before (ids are unique
/// across [`Batches`]), to which this batch's are added.
fn first_of_each_id<'r, M>(
    root: &Path,
    overlay: &Overlay,
    kind: &str,
    records: &'r [Arc<Loaded<M>>],
    first: &mut HashMap<Box<str>, Box<str>>,
    diags: &mut Diagnostics,
) -> (Vec<(&'r str, &'r M)>, BTreeSet<String>) {
    first.reserve(records.len());
    let mut kept = Vec::with_capacity(records.len());
    let mut broken = BTreeSet::new();
    for loaded in records {
        let Loaded {
            rel,
            id,
            model,
            diags: ds,
            ..
        } = &**loaded;
        diags.extend(ds.iter().cloned());
        let Some(id) = id else { continue };
        if let Some(owner) = first.get(id.as_str()) {
            let problem = Problem::error(
                "duplicate-id",
                ypath!["id"],
                format!("{kind} id `{id}` is already used by {owner}"),
            )
            .help("ids are unique across all subfolders");
            diags.extend(locate_in_file(root, overlay, rel, problem));
            continue;
        }
        first.insert(id.as_str().into(), rel.as_str().into());
        match model {
            Some(m) => kept.push((id.as_str(), m)),
            None => {
                broken.insert(id.clone());
            }
        }
    }
    (kept, broken)
}

/// Locates one problem in a file read again (only for the rare cross-file problems).
fn locate_in_file(root: &Path, overlay: &Overlay, rel: &str, problem: Problem) -> Vec<Diagnostic> {
    let path = root.join(rel);
    let text = match overlay.get(&path) {
        Some(t) => t.to_string(),
        None => source::read_text(root, &path).unwrap_or_default(),
    };
    problem::locate(rel, &text, 0, vec![problem])
}

/// `plugin_guidance`: each enabled plugin's `guidance/` folder (that exists), in
/// plugin order.
/// `cache`: what the previous load read (`serve`), updated with what this one reads.
pub fn load(
    root: &Path,
    vocabulary: &Vocabulary,
    as_of: time::Date,
    base_path: &str,
    plugin_guidance: &[PathBuf],
    diags: &mut Diagnostics,
    cache: Option<&mut Cache>,
) -> Content {
    load_overlaid(
        root,
        &Overlay::default(),
        vocabulary,
        as_of,
        base_path,
        plugin_guidance,
        diags,
        cache,
    )
}

/// [`load`] with the record texts of `overlay` in place of the files on disk (`import`
/// checks the site it is about to write).
#[allow(clippy::too_many_arguments)]
pub fn load_overlaid(
    root: &Path,
    overlay: &Overlay,
    vocabulary: &Vocabulary,
    as_of: time::Date,
    base_path: &str,
    plugin_guidance: &[PathBuf],
    diags: &mut Diagnostics,
    cache: Option<&mut Cache>,
) -> Content {
    let content_dir = root.join("content");
    check_assets(root, &content_dir, diags);
    let (parties, products) = load_records(root, overlay, vocabulary, as_of, diags, cache);
    let guidance = load_guidance(root, &content_dir, base_path, plugin_guidance, diags);
    Content {
        parties,
        products,
        guidance,
    }
}

/// Assets are published as they are; what the walk skips is reported here, and what
/// would run in a browser is refused.
fn check_assets(root: &Path, content_dir: &Path, diags: &mut Diagnostics) {
    let (asset_paths, walk_diags) = source::walk(root, &content_dir.join("assets"), None);
    diags.extend(walk_diags);
    let asset_diags: Vec<Vec<Diagnostic>> = asset_paths
        .par_iter()
        .map(|p| asset::check(root, p))
        .collect();
    diags.extend(asset_diags.into_iter().flatten());
}

/// [`load`] without the product records (`content.products` is empty): what it leaves
/// for [`Batches`] to read.
pub fn load_deferred(
    root: &Path,
    base_path: &str,
    plugin_guidance: &[PathBuf],
    diags: &mut Diagnostics,
) -> (Content, Unread) {
    let content_dir = root.join("content");
    let overlay = Overlay::default();
    check_assets(root, &content_dir, diags);
    let (party_paths, product_paths) = record_paths(root, &overlay, diags);
    let (parties, broken_parties) = load_parties(root, &overlay, &party_paths, diags, None);
    let guidance = load_guidance(root, &content_dir, base_path, plugin_guidance, diags);
    let content = Content {
        parties,
        products: Vec::new(),
        guidance,
    };
    let unread = Unread {
        products: product_paths,
        broken_parties,
    };
    (content, unread)
}

/// The records alone: parties, then the products that name them (`serve`, after an
/// edit to records only, keeps the rest of what [`load`] read).
pub fn load_records(
    root: &Path,
    overlay: &Overlay,
    vocabulary: &Vocabulary,
    as_of: time::Date,
    diags: &mut Diagnostics,
    mut cache: Option<&mut Cache>,
) -> (BTreeMap<String, Arc<Party>>, Vec<Arc<Product>>) {
    // Records are judged on `as_of` (dates after it are warned about): a cache filled on
    // another day is read again.
    if let Some(c) = cache.as_deref_mut()
        && c.as_of != Some(as_of)
    {
        *c = Cache {
            as_of: Some(as_of),
            ..Cache::default()
        };
    }
    let (party_paths, product_paths) = record_paths(root, overlay, diags);
    let (parties, broken_parties) = load_parties(
        root,
        overlay,
        &party_paths,
        diags,
        cache.as_deref_mut().map(|c| &mut c.parties),
    );
    // The parties that changed since the previous load: products naming one, and those
    // that failed (they may name one that now exists), are read again.
    let changed_parties: BTreeSet<String> = match &mut cache {
        Some(c) => {
            let last = std::mem::replace(&mut c.last_parties, parties.clone());
            let last_broken = std::mem::replace(&mut c.last_broken, broken_parties.clone());
            let differs = |a: &BTreeMap<String, Arc<Party>>, b: &BTreeMap<String, Arc<Party>>| {
                a.iter()
                    .filter(|(id, p)| b.get(*id).is_none_or(|q| !Arc::ptr_eq(p, q)))
                    .map(|(id, _)| id.clone())
                    .collect::<Vec<_>>()
            };
            let mut ids = differs(&parties, &last);
            ids.extend(differs(&last, &parties));
            // A party that failed is named by products that dropped it without a word:
            // they are read again when it fails, mends or goes.
            ids.extend(last_broken.symmetric_difference(&broken_parties).cloned());
            ids.into_iter().collect()
        }
        None => BTreeSet::new(),
    };
    let content_dir = root.join("content");
    let mut batches = Batches::new(
        root,
        overlay,
        product::Context {
            parties: &parties,
            broken_parties: &broken_parties,
            vocabulary,
            content_dir: &content_dir,
            as_of,
            folders: Default::default(),
        },
    );
    let products = batches.read(
        &product_paths,
        cache.map(|c| &mut c.products),
        |loaded| {
            changed_parties.is_empty()
                || (loaded.model.is_some()
                    && loaded.refs.iter().all(|id| !changed_parties.contains(id)))
        },
        diags,
    );
    (parties, products)
}

/// The party record files in path order, and the product record files in order of
/// their names, then folders: a product's file is named after its id (`id-mismatch`),
/// so products are read in the order of their ids, which lets `check` write its JSON a
/// batch at a time, and the first of two records with one id or GTIN (the one kept) is
/// the same whatever folders they are moved between.
fn record_paths(
    root: &Path,
    overlay: &Overlay,
    diags: &mut Diagnostics,
) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let content_dir = root.join("content");
    let yaml_exts: &[&str] = &["yaml", "yml"];
    let (party_paths, walk_diags) =
        source::walk(root, &content_dir.join("parties"), Some(yaml_exts));
    diags.extend(walk_diags);
    let party_paths = overlay.list(&content_dir.join("parties"), yaml_exts, party_paths);
    let (product_paths, walk_diags) =
        source::walk(root, &content_dir.join("products"), Some(yaml_exts));
    diags.extend(walk_diags);
    let mut product_paths = overlay.list(&content_dir.join("products"), yaml_exts, product_paths);
    product_paths.sort_by(|a, b| (a.file_stem(), a).cmp(&(b.file_stem(), b)));
    (party_paths, product_paths)
}

/// The parties by id, and the ids whose first record failed (products naming them are
/// not told again).
fn load_parties(
    root: &Path,
    overlay: &Overlay,
    paths: &[PathBuf],
    diags: &mut Diagnostics,
    cache: Option<&mut Files<Party>>,
) -> (BTreeMap<String, Arc<Party>>, BTreeSet<String>) {
    let parties_reader = Reader {
        claimed: |p: &raw::RawParty| &p.id,
        resolve: party::resolve,
        locate: |_, _| {},
        refs: |_| Vec::new(),
    };
    let loaded = load_all(root, overlay, paths, &parties_reader, cache, |_| true);
    let mut owners = HashMap::with_capacity(loaded.len());
    let (kept, broken) = first_of_each_id(root, overlay, "party", &loaded, &mut owners, diags);
    let parties = kept
        .into_iter()
        .map(|(id, p)| (id.to_string(), Arc::clone(p)))
        .collect();
    (parties, broken)
}

/// What [`load_deferred`] left unread: the product records, for [`Batches`].
pub struct Unread {
    /// In the order [`record_paths`] gives.
    pub products: Vec<PathBuf>,
    /// Party ids whose records failed to load.
    pub broken_parties: BTreeSet<String>,
}

/// Product records read one batch of files at a time, each batch as [`load_records`]
/// reads them all: `check` of a catalogue too large to hold at once reads, assesses and
/// forgets one batch before the next. Batches are read in [`record_paths`]'s order, so
/// the first record of an id or a GTIN is the same one a whole load keeps, and each
/// batch's products come after the last batch's in id order.
pub struct Batches<'a> {
    root: &'a Path,
    overlay: &'a Overlay,
    cx: product::Context<'a>,
    /// The file that first claimed each product id.
    ids: HashMap<Box<str>, Box<str>>,
    /// The file of the product kept with each GTIN.
    gtins: HashMap<crate::gtin::Gtin, Box<str>>,
}

impl<'a> Batches<'a> {
    pub fn new(root: &'a Path, overlay: &'a Overlay, cx: product::Context<'a>) -> Batches<'a> {
        Batches {
            root,
            overlay,
            cx,
            ids: HashMap::new(),
            gtins: HashMap::new(),
        }
    }

    /// The products of `paths` (the next files in [`Unread::products`]) that load, are the first
    /// with their id and GTIN, sorted by id; the problems of the rest in `diags`.
    pub fn next(&mut self, paths: &[PathBuf], diags: &mut Diagnostics) -> Vec<Arc<Product>> {
        self.read(paths, None, |_| true, diags)
    }

    /// [`Batches::next`], through `cache` ([`load_all`]).
    fn read(
        &mut self,
        paths: &[PathBuf],
        cache: Option<&mut Files<Product>>,
        kept: impl Fn(&Loaded<Arc<Product>>) -> bool + Sync,
        diags: &mut Diagnostics,
    ) -> Vec<Arc<Product>> {
        let cx = &self.cx;
        let products_reader = Reader {
            claimed: |p: &raw::RawProduct| &p.id,
            resolve: |raw, rel: &str, stem: &str| product::resolve(raw, rel, stem, cx),
            locate: locate_product,
            refs: raw::RawProduct::party_refs,
        };
        let loaded = load_all(
            self.root,
            self.overlay,
            paths,
            &products_reader,
            cache,
            kept,
        );
        let (kept, _) = first_of_each_id(
            self.root,
            self.overlay,
            "product",
            &loaded,
            &mut self.ids,
            diags,
        );
        let mut products = Vec::with_capacity(kept.len());
        for (_, p) in kept {
            // Two products with one GTIN would share a GS1 Digital Link path.
            if let Some(g) = p.gtin {
                if let Some(owner) = self.gtins.get(&g) {
                    let problem = Problem::error(
                        "duplicate-gtin",
                        ypath!["gtin"],
                        format!("GTIN {g} is already used by {owner}"),
                    )
                    .help("each trade item has its own GTIN; variants that differ need their own");
                    diags.extend(locate_in_file(self.root, self.overlay, &p.file, problem));
                    continue;
                }
                self.gtins.insert(g, p.file.as_str().into());
            }
            products.push(Arc::clone(p));
        }
        products.par_sort_unstable_by(|a, b| a.id.cmp(&b.id));
        products
    }
}

/// Records in a product the positions its messages point at, from its text (which is
/// not kept): where a gap's fix is made is known without reading the file again.
fn locate_product(p: &mut Product, text: &str) {
    p.id_at = yaml::id_position(text);
    p.keys_at = yaml::top_level_keys(text, product::FIX_KEYS);
    // Only in the `evidence` section: a description may quote a report id.
    if let Some((before, evidence)) = yaml::section(text, "evidence") {
        let reports = yaml::Entries::new(evidence, "report");
        for e in &mut p.evidence {
            e.at = reports
                .find(&e.report)
                .map(|(line, column)| (line + before, column));
        }
    }
    if let Some((before, lots)) = yaml::section(text, "lots") {
        let codes = yaml::Entries::new(lots, "lot");
        for l in &mut p.lots {
            l.at = codes
                .find(&l.lot)
                .map(|(line, column)| (line + before, column));
        }
    }
}

/// Whether a diagnostic's file (relative to the site root) is a record's, or the
/// records' folders.
pub fn is_record(file: &str) -> bool {
    file.starts_with("content/products") || file.starts_with("content/parties")
}

/// Guidance from `content/guidance` and from plugins' `guidance/` folders, in one URL
/// space: `plugins/<id>/guidance/us/x.md` is `/guidance/us/x/`, so pages link each other
/// the same way wherever they live. A site page at the same path replaces a plugin's
/// (the way a site tailors the guidance a rule pack ships); two plugins claiming one
/// path is an error.
fn load_guidance(
    root: &Path,
    content_dir: &Path,
    base_path: &str,
    plugin_guidance: &[PathBuf],
    diags: &mut Diagnostics,
) -> Vec<GuidancePage> {
    // (file, its folder of guidance) in load order: the site's first.
    let site_dir = content_dir.join("guidance");
    let mut files: Vec<(PathBuf, PathBuf)> = Vec::new();
    for dir in std::iter::once(&site_dir).chain(plugin_guidance) {
        let (paths, walk_diags) = source::walk(root, dir, Some(&["md"]));
        diags.extend(walk_diags);
        files.extend(paths.into_iter().map(|p| (p, dir.clone())));
    }
    let drafts: Vec<Result<guidance::Draft, Vec<Diagnostic>>> = files
        .par_iter()
        .map(|(path, dir)| {
            let rel = source::relative(root, path);
            let text = source::read_text(root, path).map_err(|d| vec![d])?;
            let under = path.strip_prefix(dir).unwrap_or(path);
            guidance::draft(&rel, under, text)
        })
        .collect();
    let mut ok: Vec<guidance::Draft> = Vec::new();
    // URL path → the file that holds it.
    let mut owner: BTreeMap<String, String> = BTreeMap::new();
    for d in drafts {
        match d {
            Ok(mut d) => {
                if let Some(first) = owner.get(d.path()) {
                    // Site pages come first, so a later page with a taken path is a
                    // plugin's: replaced by the site's silently, a clash between plugins.
                    if !first.starts_with("content/") {
                        diags.push(Diagnostic::error(
                            "duplicate-guidance",
                            d.file(),
                            format!(
                                "`{}` is also the URL of {first}: two plugins cannot ship the same guidance page",
                                d.path()
                            ),
                        ));
                    }
                    continue;
                }
                owner.insert(d.path().to_string(), d.file().to_string());
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
