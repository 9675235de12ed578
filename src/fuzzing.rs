//! Entry points of the coverage-guided fuzz targets (`fuzz/`, run with
//! `cargo +nightly fuzz run <target>`) and of their corpus replay (`tests/fuzz_corpus.rs`,
//! part of `cargo test`).
//!
//! Each target takes any bytes and drives the real loading code on them the way a site's
//! file reaches it: written where the loader looks, loaded, resolved, assessed, and its
//! diagnostics located and printed. What the fuzzer checks is that nothing panics, hangs
//! or grows memory without bound, whatever the input. A few cheap invariants are asserted
//! on the way, so breaking them is a crash too: a diagnostic about a file points at a line
//! the file has, a ledger certpress writes reads back as the same ledger, sanitised
//! guidance HTML holds no script, a GTIN or date written back parses to the same value,
//! a percent-encoded Digital Link segment decodes to what was encoded.
//!
//! Loaders that read files (records name parties, diagnostics quote source lines) work
//! in a small site of their own, built once per thread in a folder of this process under
//! `/dev/shm` (or the system's temporary folder): the example site's parties, a few of
//! its products and the shipped rule packs. Folders of processes that have ended are
//! removed when the next one starts. Assessment runs on one rayon worker, so a fuzzer
//! keeps to one core.

use crate::assess::{self, Assessed, command};
use crate::config::{self, Config};
use crate::content::{self, Content, Product};
use crate::date::RecordDate;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::gtin::Gtin;
use crate::ident::{self, Market};
use crate::ledger::{self, Ledger};
use crate::plugins::{self, AttrType, AttrValue, Engine, Vocabulary};
use crate::site::Site;
use crate::{report, scaffold, url, yaml};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fuzz target: takes any bytes, must never panic.
pub type Target = fn(&[u8]);

/// Every target by name, as `fuzz/fuzz_targets/<name>.rs` and `fuzz/corpus/<name>/` call it.
pub const TARGETS: &[(&str, Target)] = &[
    ("record", record),
    ("party", party),
    ("site_toml", site_toml),
    ("guidance", guidance),
    ("plugin", plugin),
    ("ident", ident),
    ("ledger", ledger),
    ("plugin_response", plugin_response),
];

/// A product record (`content/products/fuzz/<id>.yaml`) among the example parties, with
/// the shipped rule packs' vocabulary; when it resolves, it is assessed by the packs, its
/// certificates reviewed and, with no errors, issued into a ledger that must read back.
pub fn record(data: &[u8]) {
    with_fixture(|f| {
        let root = f.dirs.site.clone();
        let rel = format!("content/products/fuzz/{}.yaml", claimed_stem(data));
        replace_dir(&root.join("content/products/fuzz"));
        write(&root.join(&rel), data);
        let mut diags = Diagnostics::default();
        let loaded = content::load(
            &root,
            &f.site.vocabulary,
            f.site.as_of,
            "/",
            &[],
            &mut diags,
            None,
        );
        // The fixed product is the same every time: assess only the input's.
        let products = loaded
            .products
            .into_iter()
            .filter(|p| p.file == rel)
            .collect();
        f.site.root = root.clone();
        f.site.content = Content {
            products,
            ..Content::default()
        };
        assess_and_issue(&f.site, &mut diags);
        f.site.content = Content::default();
        settle(&root, &diags, &[(&rel, data)]);
    })
}

/// A party record (`content/parties/fuzz/<id>.yaml`) beside the example parties, less the
/// one with its id (so products that name that id get this record instead); two example
/// products that name most parties are loaded with it and assessed as in [`record`].
pub fn party(data: &[u8]) {
    with_fixture(|f| {
        let root = f.dirs.party.clone();
        let stem = claimed_stem(data);
        let parties = root.join("content/parties");
        replace_dir(&parties);
        for (file, text) in PARTIES {
            if Path::new(file).file_stem().and_then(|s| s.to_str()) != Some(&stem) {
                write(&parties.join(file), text.as_bytes());
            }
        }
        let rel = format!("content/parties/fuzz/{stem}.yaml");
        write(&root.join(&rel), data);
        let mut diags = Diagnostics::default();
        let loaded = content::load(
            &root,
            &f.site.vocabulary,
            f.site.as_of,
            "/",
            &[],
            &mut diags,
            None,
        );
        f.site.root = root.clone();
        f.site.content = loaded;
        assess_and_issue(&f.site, &mut diags);
        f.site.content = Content::default();
        settle(&root, &diags, &[(&rel, data)]);
    })
}

/// `site.toml`: parsed and validated; a valid one's label settings and enabled plugins
/// are looked up as a build would (in a site with one small plugin).
pub fn site_toml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return; // the loader refuses a file that is not UTF-8 before parsing it
    };
    with_fixture(|f| {
        let root = f.dirs.toml.clone();
        let mut diags = Diagnostics::default();
        match config::parse(text) {
            Ok(c) => {
                let _ = c.base_path();
                let _ = c.labels.calibration(None);
                let _ = c.labels.calibration(Some("no-such-printer"));
                for name in c.labels.printers.keys() {
                    let _ = c.labels.calibration(Some(name));
                }
                let (_, _, ds) = plugins::load(&root, &c.plugins);
                diags.extend(ds);
            }
            Err(ds) => diags.extend(ds),
        }
        write(&root.join(config::FILE), data);
        settle(&root, &diags, &[(config::FILE, data)]);
    })
}

/// A guidance page (`content/guidance/fuzz/page.md`: front matter and Markdown) loaded
/// with a fixed page that links to it, rendered to sanitised HTML.
pub fn guidance(data: &[u8]) {
    with_fixture(|f| {
        let root = f.dirs.guide.clone();
        let rel = "content/guidance/fuzz/page.md";
        write(&root.join(rel), data);
        let mut diags = Diagnostics::default();
        let loaded = content::load(
            &root,
            &Vocabulary::default(),
            time::macros::date!(2026 - 11 - 23),
            "/sub/",
            &[],
            &mut diags,
            None,
        );
        for page in &loaded.guidance {
            let html = page.content.to_ascii_lowercase();
            for tag in ["<script", "<iframe", "<object", "<embed", "<style"] {
                assert!(
                    !html.contains(tag),
                    "{}: sanitised HTML holds {tag}",
                    page.file
                );
            }
        }
        settle(&root, &diags, &[(rel, data)]);
    })
}

/// A plugin manifest (`plugins/<id>/plugin.yaml`, with CEL conditions) loaded alone: its
/// vocabulary merged, its rules checked and compiled, and, when it loads cleanly, the
/// example products (resolved as its vocabulary would have them) assessed by it, their
/// certificates reviewed and issued into a ledger that must read back.
pub fn plugin(data: &[u8]) {
    with_fixture(|f| {
        let root = f.dirs.samples.clone();
        let stem = claimed_stem(data);
        replace_dir(&root.join("plugins"));
        let rel = format!("plugins/{stem}/plugin.yaml");
        write(&root.join(&rel), data);
        let mut diags = Diagnostics::default();
        let (mut loaded, vocabulary, ds) = plugins::load(&root, &[]);
        diags.extend(ds);
        let _ = plugins::describe(&loaded, &vocabulary);
        // A command plugin's program is never run here (the plugin_response target reads
        // what one answers).
        loaded.retain(|p| !matches!(p.engine, Engine::Command(_)));
        let products = f
            .samples
            .content
            .products
            .iter()
            .map(|p| std::sync::Arc::new(as_resolved_with(p, &vocabulary)))
            .collect();
        let site = Site {
            root: root.clone(),
            config: f.site.config.clone(),
            as_of: f.site.as_of,
            plugins: loaded,
            vocabulary,
            content: Content {
                products,
                ..Content::default()
            },
        };
        assess_and_issue(&site, &mut diags);
        settle(&root, &diags, &[(&rel, data)]);
    })
}

/// What a command plugin writes on stdout: parsed as protocol 1, turned into the
/// host's assessments and diagnostics about the example products it was asked about,
/// then reviewed and reported as `check` does.
pub fn plugin_response(data: &[u8]) {
    with_fixture(|f| {
        let response = match command::parse_response(data) {
            Ok(r) => r,
            Err(e) => {
                let _ = e.to_string();
                return;
            }
        };
        let asked: Vec<&Product> = f.samples.content.products.iter().map(|p| &**p).collect();
        let answer = match command::answer("fuzz", "plugins/fuzz/plugin.yaml", response, &asked) {
            Ok(a) => a,
            Err(e) => {
                let _ = e.to_string();
                return;
            }
        };
        let mut by_product: BTreeMap<String, Vec<_>> = BTreeMap::new();
        for (id, a) in answer.assessments {
            by_product.entry(id).or_default().push(a);
        }
        let assessed = Assessed {
            by_product,
            diagnostics: answer.diagnostics,
            failed: Vec::new(),
        };
        let mut diags = Diagnostics::default();
        diags.extend(assessed.diagnostics.iter().cloned());
        diags.extend(assess::gap_diagnostics(&f.samples, &assessed));
        let review = ledger::review(&f.samples, &assessed, &Ledger::default());
        diags.extend(ledger::diagnostics(&f.samples, &review, false));
        diags.sort();
        let _ = report::json(Some(&f.samples), Some(&assessed), &diags);
        settle(&f.samples.root, &diags, &[]);
    })
}

/// GTINs, lot codes, market codes, ids, record dates and GS1 Digital Link paths: the
/// whole input and each of its lines (a line `<gtin> <lot>` is also made a Digital
/// Link path and URI).
pub fn ident(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for s in std::iter::once(text).chain(text.lines()) {
        one_ident(s);
        if let Some((g, lot)) = s.split_once(' ') {
            digital_link_of(g, lot);
        }
    }
}

/// `certificates.lock`: read; what reads is written back and must read back the same.
/// The input is also read with its content hashes and `prev:` chain recomputed, so the
/// fuzzer reaches the checks past the hashes (version order, the chain).
pub fn ledger(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return; // the loader refuses a ledger that is not UTF-8 before parsing it
    };
    with_fixture(|f| {
        let root = f.dirs.ledger.clone();
        let mut diags = Diagnostics::default();
        let rehashed = rehash(text);
        for t in [text, rehashed.as_str()] {
            match Ledger::parse(t) {
                Ok(l) => {
                    round_trip(&l);
                    let _ = ledger::manifest(&l);
                }
                Err(d) => diags.push(d),
            }
        }
        // Only the input's own diagnostic is shown with its source line.
        if let Some(first) = diags.iter().next().cloned() {
            let mut own = Diagnostics::default();
            own.push(first);
            write(&root.join(ledger::FILE), data);
            settle(&root, &own, &[(ledger::FILE, data)]);
        }
    })
}

fn one_ident(s: &str) {
    if let Ok(g) = Gtin::parse(s) {
        let full = g.as_gtin14();
        assert_eq!(Gtin::parse(&full), Ok(g), "GTIN-14 of {s:?}");
        for short in g.short_forms() {
            assert_eq!(Gtin::parse(&short), Ok(g), "short form {short} of {s:?}");
        }
    }
    let encoded = url::encode_segment(s);
    assert!(
        encoded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)),
        "{encoded:?} is not a plain URI segment"
    );
    assert_eq!(
        percent_decode(&encoded),
        s.as_bytes(),
        "{s:?} → {encoded:?}"
    );
    if ident::is_valid_lot(s) {
        assert_eq!(encoded, s, "a valid lot code needs no encoding");
    }
    if ident::is_valid_id(s) {
        assert!(s.len() <= 64 && !s.contains(['/', '.']), "{s:?}");
    }
    if let Ok(m) = Market::parse(s) {
        assert_eq!(m.code(), s);
        let _ = m.name();
    }
    let _ = ident::is_country(s);
    if let Ok(d) = RecordDate::parse(s) {
        assert_eq!(RecordDate::parse(&d.to_string()), Ok(d), "{s:?} → {d}");
        let _ = d.display();
    }
    let _ = RecordDate::parse_day(s);
}

/// A Digital Link path and URI for a GTIN and lot that records would accept.
fn digital_link_of(gtin: &str, lot: &str) {
    let (Ok(g), true) = (Gtin::parse(gtin), ident::is_valid_lot(lot)) else {
        return;
    };
    let g14 = g.as_gtin14();
    let path = url::digital_link(&g14, Some(lot));
    let path = path.as_str();
    assert_eq!(path, format!("01/{g14}/10/{lot}/"));
    assert!(
        path.split('/').all(|seg| seg != "." && seg != ".."),
        "{path}"
    );
    let uri = url::digital_link_uri("https://certs.example/sub/", &g14, Some(lot));
    assert_eq!(uri, format!("https://certs.example/sub/01/{g14}/10/{lot}"));
}

fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| char::from(c).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, ..) => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// The stages of `check` and `issue` after loading: assessment (only when the
/// configuration loaded cleanly, as `check` does), gaps, the review against an empty
/// ledger, the JSON report; with no errors, the ready certificates issued into a ledger
/// whose text must read back as the same ledger.
fn assess_and_issue(site: &Site, diags: &mut Diagnostics) {
    if diags.exit_code(false) == 2 {
        return;
    }
    let assessed = assess::assess_site(site);
    diags.extend(assessed.diagnostics.iter().cloned());
    diags.extend(assess::gap_diagnostics(site, &assessed));
    let review = ledger::review(site, &assessed, &Ledger::default());
    diags.extend(ledger::diagnostics(site, &review, false));
    diags.sort();
    let _ = report::json(Some(site), Some(&assessed), diags);
    if !diags.has_errors() {
        let mut issued = Ledger::default();
        issued.issue(&review.ready, site.as_of);
        round_trip(&issued);
    }
}

/// Writes `ledger` as certpress saves it and reads it back: every version must come back
/// as it was.
fn round_trip(ledger: &Ledger) {
    let text = ledger.to_text();
    let back = Ledger::parse(&text)
        .unwrap_or_else(|d| panic!("a ledger certpress wrote does not read back: {d}\n{text}"));
    let versions = |l: &Ledger| -> Vec<_> {
        l.certificates
            .values()
            .flatten()
            .map(|v| {
                (
                    v.number.clone(),
                    v.version,
                    v.issued,
                    v.hash.clone(),
                    v.snapshot.clone(),
                )
            })
            .collect()
    };
    assert!(
        versions(ledger) == versions(&back),
        "a ledger certpress wrote reads back differently:\n{text}"
    );
}

/// `text` with each version line's content hash recomputed from its content, and each
/// `prev:` naming the line before it of the same certificate (as rewritten); everything
/// else (which lines name a `prev:`, order, numbers, dates) is left as written.
fn rehash(text: &str) -> String {
    use sha2::Digest;
    let mut last: BTreeMap<&str, String> = BTreeMap::new();
    let mut out = String::with_capacity(text.len());
    for piece in text.split_inclusive('\n') {
        let line = piece.trim_end_matches('\n');
        let line = line.strip_suffix('\r').unwrap_or(line);
        let end = &piece[line.len()..];
        let fixed = (|| {
            if line.trim().is_empty() || line.starts_with('#') {
                return None;
            }
            let mut fields = line.splitn(5, ' ');
            let (number, version, date, _hash, rest) = (
                fields.next()?,
                fields.next()?,
                fields.next()?,
                fields.next()?,
                fields.next()?,
            );
            let (prev, json) = match rest.strip_prefix("prev:") {
                Some(r) => {
                    let (named, json) = r.split_once(' ')?;
                    (Some(last.get(number).map_or(named, String::as_str)), json)
                }
                None => (None, rest),
            };
            let snapshot: crate::certificate::Snapshot = serde_json::from_str(json).ok()?;
            let mut fixed = format!("{number} {version} {date} {} ", snapshot.hash());
            if let Some(p) = prev {
                fixed.push_str("prev:");
                fixed.push_str(p);
                fixed.push(' ');
            }
            fixed.push_str(json);
            let digest = sha2::Sha256::digest(fixed.as_bytes());
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            last.insert(number, format!("sha256:{hex}"));
            Some(fixed)
        })();
        out.push_str(fixed.as_deref().unwrap_or(line));
        out.push_str(end);
    }
    out
}

/// `p` as it would have resolved against `vocabulary`: attributes that vocabulary does
/// not declare, or declares with another type, are not in the record's model (resolution
/// refuses a wrong type, and conditions only see declared attributes).
fn as_resolved_with(p: &Product, vocabulary: &Vocabulary) -> Product {
    let mut p = p.clone();
    p.attributes.retain(|name, v| {
        vocabulary.attributes.get(name).is_some_and(|a| {
            matches!(
                (a.ty, v),
                (AttrType::Bool, AttrValue::Bool(_))
                    | (AttrType::Int, AttrValue::Int(_))
                    | (AttrType::String, AttrValue::String(_))
            )
        })
    });
    p
}

/// Checks where each diagnostic about an input points, and prints them all as the
/// terminal report does (source line and caret, read back from `root`).
fn settle(root: &Path, diags: &Diagnostics, inputs: &[(&str, &[u8])]) {
    for d in diags.iter() {
        let _ = d.to_string();
        if let Some((_, bytes)) = inputs.iter().find(|(rel, _)| *rel == d.file) {
            // The end of a file that does not end in a line break is the start of the
            // line after its last: where YAML reports an error at the end of input.
            let lines = line_count(bytes);
            assert!(
                d.line <= lines || (d.line == lines + 1 && d.column <= 1),
                "{d}\npoints at line {} of a file of {lines} lines",
                d.line
            );
        }
    }
    let _ = report::render_plain(root, diags);
}

/// How many lines `bytes` has for any reader: every line break YAML, TOML or Markdown
/// may count (LF, CR, NEL, LS, PS) starts one.
fn line_count(bytes: &[u8]) -> usize {
    let text = String::from_utf8_lossy(bytes);
    1 + text
        .chars()
        .filter(|c| matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}'))
        .count()
}

/// The file name an input is written under: the `id` it claims when that is a valid id
/// (so it may match its file name, as a real record does), else `fuzz`.
fn claimed_stem(data: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct IdOnly {
        id: String,
    }
    std::str::from_utf8(data)
        .ok()
        .and_then(|t| yaml::parse::<IdOnly>(t).ok())
        .map(|r| r.id)
        .filter(|id| ident::is_valid_id(id))
        .unwrap_or_else(|| "fuzz".to_string())
}

fn write(path: &Path, bytes: &[u8]) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{}: {e}", parent.display()));
    }
    fs::write(path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// Empties `dir` (what the previous input left there).
fn replace_dir(dir: &Path) {
    if dir.exists() {
        fs::remove_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    }
}

// ---------- The fixture: a small site per thread ----------

/// The fixture's folders, each the root of a site one or two targets load.
struct Dirs {
    /// The example parties and one product; `record` adds its input.
    site: PathBuf,
    /// Two products; `party` rewrites the parties with its input among them.
    party: PathBuf,
    /// The sample products; `plugin` adds its input as the only plugin.
    samples: PathBuf,
    /// A fixed guidance page; `guidance` adds its input.
    guide: PathBuf,
    /// `site_toml` writes its input here (beside one small plugin).
    toml: PathBuf,
    /// `ledger` writes its input here.
    ledger: PathBuf,
}

struct Fixture {
    dirs: Dirs,
    /// The shipped rule packs, their vocabulary and the fixture's configuration; each
    /// input's content is put in for its assessment.
    site: Site,
    /// The sample products, resolved against the shipped vocabulary (no plugins).
    samples: Site,
}

thread_local! {
    static FIXTURE: RefCell<Option<Fixture>> = const { RefCell::new(None) };
}

fn with_fixture<R>(run: impl FnOnce(&mut Fixture) -> R) -> R {
    FIXTURE.with(|cell| {
        let mut slot = cell.borrow_mut();
        run(slot.get_or_insert_with(Fixture::new))
    })
}

const PREFIX: &str = "certpress-fuzz-";

/// Where fixtures live: memory, when the system has /dev/shm.
fn base() -> PathBuf {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    }
}

/// Removes the fixtures of processes that have ended (where /proc tells).
fn sweep() {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = fs::read_dir(base()) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split('-').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

const SITE_TOML: &str = "title = \"Fuzz\"\nbase_url = \"https://certs.example/\"\ncertificate_prefix = \"LO\"\nas_of = \"2026-11-23\"\n";

const MINI_PLUGIN: &str = "id: mini\nname: Mini\nprotocol: 1\nversion: \"1\"\nmarkets: [US]\nvocabulary:\n  categories: { toy: Toys }\n";

const GUIDE: &str = "---\ntitle: Reading certificates\nsummary: A fixed page that links to the input.\nupdated: 2026-03\n---\n\n## What a certificate says {#says}\n\nSee [the other page](../fuzz/page.md), [a section of it](../fuzz/page.md#section)\nand [this one](#says). ![A stacker](/assets/products/rainbow-stacker.svg)\n\n### Lots\n\n| Lot | Made |\n|-----|------|\n| 2026-03A | 2026-03 |\n";

impl Fixture {
    fn new() -> Fixture {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        // Conditions are evaluated on rayon's pool: one worker keeps a fuzzer to one core.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build_global();
        sweep();
        let dir = base().join(format!(
            "{PREFIX}{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        replace_dir(&dir);
        let packs = dir.join("packs");
        scaffold::create(&packs).unwrap_or_else(|e| panic!("fixture: {e}"));
        let _ = fs::remove_dir_all(packs.join("themes"));
        let (plugins, vocabulary, ds) = plugins::load(&packs, &[]);
        assert!(
            ds.is_empty(),
            "fixture: the shipped packs do not load: {ds:?}"
        );
        let config: Config = config::parse(SITE_TOML).expect("fixture: site.toml");
        let as_of = config.as_of.expect("fixture: as_of");

        let dirs = Dirs {
            site: dir.join("site"),
            party: dir.join("party"),
            samples: dir.join("samples"),
            guide: dir.join("guide"),
            toml: dir.join("toml"),
            ledger: dir.join("ledger"),
        };
        let sample = |name: &str| {
            SAMPLES
                .iter()
                .find(|(f, _)| f.ends_with(name))
                .copied()
                .expect("fixture: a sample product")
        };
        write_site(
            &dirs.site,
            IMAGES,
            PARTIES,
            &[sample("/rainbow-stacker.yaml")],
        );
        write_site(
            &dirs.party,
            IMAGES,
            PARTIES,
            &[
                sample("/rainbow-stacker.yaml"),
                sample("/organic-cotton-romper.yaml"),
            ],
        );
        write_site(&dirs.samples, IMAGES, PARTIES, SAMPLES);
        write_site(&dirs.guide, &["rainbow-stacker.svg"], &[], &[]);
        write(
            &dirs.guide.join("content/guidance/us/reading.md"),
            GUIDE.as_bytes(),
        );
        write(&dirs.toml.join(config::FILE), SITE_TOML.as_bytes());
        write(
            &dirs.toml.join("plugins/mini/plugin.yaml"),
            MINI_PLUGIN.as_bytes(),
        );
        fs::create_dir_all(&dirs.ledger).expect("fixture: ledger folder");

        let mut ds = Diagnostics::default();
        let samples = content::load(
            &dirs.samples,
            &vocabulary,
            time::macros::date!(2026 - 11 - 23),
            "/",
            &[],
            &mut ds,
            None,
        );
        assert!(
            !ds.has_errors() && samples.products.len() == SAMPLES.len(),
            "fixture: the sample products do not load: {:?}",
            ds.iter().map(Diagnostic::to_string).collect::<Vec<_>>()
        );
        Fixture {
            samples: Site {
                root: dirs.samples.clone(),
                config: config.clone(),
                as_of,
                plugins: Vec::new(),
                vocabulary: vocabulary.clone(),
                content: samples,
            },
            site: Site {
                root: dirs.site.clone(),
                config,
                as_of,
                plugins,
                vocabulary,
                content: Content::default(),
            },
            dirs,
        }
    }
}

/// A site folder: site.toml, placeholder product images, `parties` under
/// content/parties and `products` under content/products.
fn write_site(root: &Path, images: &[&str], parties: &[(&str, &str)], products: &[(&str, &str)]) {
    write(&root.join(config::FILE), SITE_TOML.as_bytes());
    for image in images {
        write(
            &root.join("content/assets/products").join(image),
            b"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1 1\"/>",
        );
    }
    for (file, text) in parties {
        write(&root.join("content/parties").join(file), text.as_bytes());
    }
    for (file, text) in products {
        write(&root.join("content/products").join(file), text.as_bytes());
    }
}

/// The example site's parties (content/parties), as records cite them: the files
/// themselves, so the fixture follows the example.
const PARTIES: &[(&str, &str)] = &[
    (
        "importers/oak-canada-inc.yaml",
        include_str!("../content/parties/importers/oak-canada-inc.yaml"),
    ),
    (
        "importers/oak-eu-gmbh.yaml",
        include_str!("../content/parties/importers/oak-eu-gmbh.yaml"),
    ),
    (
        "importers/oak-imports-usa.yaml",
        include_str!("../content/parties/importers/oak-imports-usa.yaml"),
    ),
    (
        "importers/oak-uk-ltd.yaml",
        include_str!("../content/parties/importers/oak-uk-ltd.yaml"),
    ),
    (
        "labs/deccan-test-house.yaml",
        include_str!("../content/parties/labs/deccan-test-house.yaml"),
    ),
    (
        "labs/harbour-testing-ningbo.yaml",
        include_str!("../content/parties/labs/harbour-testing-ningbo.yaml"),
    ),
    (
        "labs/yiwu-quality-lab.yaml",
        include_str!("../content/parties/labs/yiwu-quality-lab.yaml"),
    ),
    (
        "makers/kaveri-knits.yaml",
        include_str!("../content/parties/makers/kaveri-knits.yaml"),
    ),
    (
        "makers/little-oak-ltd.yaml",
        include_str!("../content/parties/makers/little-oak-ltd.yaml"),
    ),
    (
        "people/jane-doe.yaml",
        include_str!("../content/parties/people/jane-doe.yaml"),
    ),
];

/// Products of the example site that plugins and command-plugin answers are tried on:
/// every market, a test that failed, a general-use product, no GTIN.
const SAMPLES: &[(&str, &str)] = &[
    (
        "toys/rainbow-stacker.yaml",
        include_str!("../content/products/toys/rainbow-stacker.yaml"),
    ),
    (
        "jewelry/acorn-necklace.yaml",
        include_str!("../content/products/jewelry/acorn-necklace.yaml"),
    ),
    (
        "adult/commuter-bike-helmet.yaml",
        include_str!("../content/products/adult/commuter-bike-helmet.yaml"),
    ),
    (
        "apparel/organic-cotton-romper.yaml",
        include_str!("../content/products/apparel/organic-cotton-romper.yaml"),
    ),
];

/// The example site's product images (placeholders: records may cite them).
const IMAGES: &[&str] = &[
    "acorn-necklace.svg",
    "bath-boats.svg",
    "cloud-crib-mobile.svg",
    "commuter-bike-helmet.svg",
    "felt-ball-catch-set.svg",
    "firefly-torch.svg",
    "first-sips-cup.svg",
    "forest-animals-playset.svg",
    "kids-rain-jacket.svg",
    "oak-crayons.svg",
    "oak-high-chair.svg",
    "organic-cotton-romper.svg",
    "party-balloons.svg",
    "rainbow-stacker.svg",
    "sky-tiles-magnetic.svg",
    "starry-night-pajamas.svg",
    "wooden-pull-duck.svg",
];
