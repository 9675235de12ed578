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
        let loaded = content::load(&root, &f.site.vocabulary, "/", &[], &mut diags);
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
        let loaded = content::load(&root, &f.site.vocabulary, "/", &[], &mut diags);
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
        let loaded = content::load(&root, &Vocabulary::default(), "/sub/", &[], &mut diags);
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
            .map(|p| as_resolved_with(p, &vocabulary))
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
        let asked: Vec<&Product> = f.samples.content.products.iter().collect();
        let answer = match command::answer(
            "fuzz",
            "plugins/fuzz/plugin.yaml",
            response,
            &asked,
            &f.samples.root,
        ) {
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
        let samples = content::load(&dirs.samples, &vocabulary, "/", &[], &mut ds);
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

/// The example site's parties (content/parties), as records cite them.
const PARTIES: &[(&str, &str)] = &[
    (
        "importers/oak-canada-inc.yaml",
        r#"id: oak-canada-inc
kind: importer
name: Little Oak Canada Inc. / Petit Chêne Canada Inc.
address:
  - "455 Example Street West, Unit 210"
  - "Toronto, ON M5V 0X0"
  - "Canada"
country: CA
email: compliance-ca@littleoak.example
phone: "+1 416 555 0142"
"#,
    ),
    (
        "importers/oak-eu-gmbh.yaml",
        r#"id: oak-eu-gmbh
kind: importer
name: Little Oak Europe GmbH
address:
  - "Beispielstraße 12"
  - "20095 Hamburg"
  - "Germany"
country: DE
email: compliance-eu@littleoak.example
phone: "+49 40 0000 0142"
"#,
    ),
    (
        "importers/oak-imports-usa.yaml",
        r#"id: oak-imports-usa
kind: importer
name: Little Oak Imports USA, Inc.
address:
  - "1200 Example Avenue, Suite 300"
  - "Portland, OR 97201"
  - "United States"
country: US
email: compliance-us@littleoak.example
phone: "+1 503 555 0142"
"#,
    ),
    (
        "importers/oak-uk-ltd.yaml",
        r#"id: oak-uk-ltd
kind: importer
name: Little Oak UK Ltd
address:
  - "Unit 4, Example Wharf"
  - "Bristol BS1 4XX"
  - "United Kingdom"
country: GB
email: compliance-uk@littleoak.example
phone: "+44 117 496 0142"
"#,
    ),
    (
        "labs/deccan-test-house.yaml",
        r#"id: deccan-test-house
kind: lab
name: Deccan Test House Pvt. Ltd.
address:
  - "21 Example Industrial Estate, Guindy"
  - "Chennai, Tamil Nadu 600032"
  - "India"
country: IN
email: textiles@deccan-test.test
phone: "+91 44 0000 0300"
accreditations: { cpsc: "9902", iso17025: "TC-0000-EX" }
"#,
    ),
    (
        "labs/harbour-testing-ningbo.yaml",
        r#"id: harbour-testing-ningbo
kind: lab
name: Harbour Testing Services (Ningbo) Co., Ltd.
address:
  - "Building 3, 88 Example Lab Road, Beilun District"
  - "Ningbo, Zhejiang 315800"
  - "China"
country: CN
email: reports@harbour-testing.test
phone: "+86 574 0000 0300"
accreditations: { cpsc: "9901", iso17025: "L9901-EX" }
"#,
    ),
    (
        "labs/yiwu-quality-lab.yaml",
        r#"# Accredited to ISO/IEC 17025 but NOT a CPSC-accepted laboratory: reports from this
# lab cannot support a US Children's Product Certificate (see kids-rain-jacket).
id: yiwu-quality-lab
kind: lab
name: Yiwu Example Quality Inspection Centre
address:
  - "Floor 5, 9 Example Market Road"
  - "Yiwu, Zhejiang 322000"
  - "China"
country: CN
email: service@yiwu-quality.test
phone: "+86 579 0000 0300"
accreditations: { iso17025: "L0000-YW" }
"#,
    ),
    (
        "makers/kaveri-knits.yaml",
        r#"id: kaveri-knits
kind: manufacturer
name: Kaveri Knitwear Pvt. Ltd.
address:
  - "Plot 7, Example Textile Park, Avinashi Road"
  - "Tiruppur, Tamil Nadu 641600"
  - "India"
country: IN
email: orders@kaveri-knits.example
phone: "+91 421 000 0177"
certifications:
  - { standard: "GOTS 7.0", number: "GOTS-EX-55821", issuer: "Example Organic Certifiers", valid_until: 2027-03-31 }
"#,
    ),
    (
        "makers/little-oak-ltd.yaml",
        r#"id: little-oak-ltd
kind: manufacturer
name: Little Oak Toys & Textiles Ltd.
address:
  - "No. 18 Example Industrial Road, Yinzhou District"
  - "Ningbo, Zhejiang 315000"
  - "China"
country: CN
email: factory@littleoak.example
phone: "+86 574 0000 0101"
certifications:
  - { standard: "ISO 9001:2015", number: "Q-2024-0418", issuer: "Example Certification Ltd.", valid_until: 2027-05-01 }
  - { standard: "ISO 14001:2015", number: "E-2025-0112", issuer: "Example Certification Ltd.", valid_until: 2028-02-14 }
"#,
    ),
    (
        "people/jane-doe.yaml",
        r#"id: jane-doe
kind: person
name: Jane Doe, Compliance Manager
address:
  - "Little Oak Imports USA, Inc."
  - "1200 Example Avenue, Suite 300"
  - "Portland, OR 97201"
  - "United States"
country: US
email: jane.doe@littleoak.example
phone: "+1 503 555 0199"
"#,
    ),
];

/// Products of the example site that plugins and command-plugin answers are tried on:
/// every market, a test that failed, a general-use product, no GTIN.
const SAMPLES: &[(&str, &str)] = &[
    (
        "toys/rainbow-stacker.yaml",
        r#"id: rainbow-stacker
name: Rainbow Stacking Rings
brand: Little Oak
model: LO-RS-01
gtin: "9521234000112"
sku: LO-RS-01-EA
description: >-
  Seven chunky beech-wood rings in rainbow colours on a rounded peg. Finished with
  water-based paint and sanded smooth for small hands learning size and order.
image: assets/products/rainbow-stacker.svg
categories: [toy]
age: { min_months: 12, max_months: 36 }
attributes:
  small_parts: false
  painted: true
markets: [US, EU, GB, CA, AU]
manufacturer: little-oak-ltd
importers: { US: oak-imports-usa, EU: oak-eu-gmbh, GB: oak-uk-ltd, CA: oak-canada-inc }
records_custodian: jane-doe
lots:
  - lot: "2026-03A"
    made: 2026-03
    place: Ningbo, Zhejiang, China
    factory: little-oak-ltd
  - lot: "2026-07B"
    made: 2026-07
    place: Ningbo, Zhejiang, China
    factory: little-oak-ltd
evidence:
  - report: HTS-2026-0311
    lab: harbour-testing-ningbo
    date: 2026-03-11
    place: Ningbo, China
    covers: ["16 CFR 1303", "15 U.S.C. 1278a", "16 CFR 1250", "16 CFR 1501"]
    result: pass
    lots: ["2026-03A"]
  - report: HTS-2026-0802
    lab: harbour-testing-ningbo
    date: 2026-08-02
    place: Ningbo, China
    covers: ["16 CFR 1303", "15 U.S.C. 1278a", "16 CFR 1250", "16 CFR 1501"]
    result: pass
  - report: HTS-EU-2026-0314
    lab: harbour-testing-ningbo
    date: 2026-03-14
    place: Ningbo, China
    covers: ["Directive 2009/48/EC", "SI 2011/1881", "EN 71-1", "EN 71-2", "EN 71-3"]
    result: pass
  - report: HTS-CA-2026-0315
    lab: harbour-testing-ningbo
    date: 2026-03-15
    place: Ningbo, China
    covers: ["SOR/2011-17", "SOR/2011-17 s. 23", "SOR/2018-83"]
    result: pass
  - report: HTS-AU-2026-0316
    lab: harbour-testing-ningbo
    date: 2026-03-16
    place: Ningbo, China
    covers: ["Consumer Goods (Toys for Children up to and including 36 Months of Age) Safety Standard 2023"]
    result: pass
declarations:
  tracking-label: true
status: active
"#,
    ),
    (
        "jewelry/acorn-necklace.yaml",
        r#"# DELIBERATE GAP (failed test): the only report covering lead in substrate
# (15 U.S.C. 1278a) and the Canadian Children's Jewellery Regulations (SOR/2018-82)
# failed: the zinc-alloy clasp exceeded the lead limit. No certificate can be issued;
# this lot is on hold pending a new clasp supplier and a retest.
id: acorn-necklace
name: Little Acorn Pendant Necklace
brand: Little Oak
model: LO-AN-17
sku: LO-AN-17-GLD
description: >-
  A tiny gold-tone acorn pendant on a 40 cm cotton cord with a breakaway clasp, made
  for dress-up and birthdays. Gift-boxed.
image: assets/products/acorn-necklace.svg
categories: [childrens-jewelry]
age: { min_months: 96, max_months: 144 }
attributes:
  small_parts: true
markets: [US, CA]
manufacturer: little-oak-ltd
importers: { US: oak-imports-usa, CA: oak-canada-inc }
records_custodian: jane-doe
lots:
  - lot: "2026-10J"
    made: 2026-10
    place: Ningbo, Zhejiang, China
evidence:
  - report: HTS-2026-1027
    lab: harbour-testing-ningbo
    date: 2026-10-27
    place: Ningbo, China
    covers: ["15 U.S.C. 1278a", "SOR/2018-82"]
    result: fail
declarations:
  tracking-label: true
status: active
"#,
    ),
    (
        "adult/commuter-bike-helmet.yaml",
        r#"# General-use (adult) product: no `age`, so the US market needs a General
# Certificate of Conformity (GCC) rather than a CPC. Bicycle helmets are subject
# to 16 CFR part 1203.
id: commuter-bike-helmet
name: Ride-Along Commuter Bike Helmet (Adult)
brand: Little Oak
model: LO-BH-18
gtin: "9521234000174"
sku: LO-BH-18-M
description: >-
  A lightweight in-mould adult bicycle helmet in matt oak green, with 14 vents, a dial
  fit system and a side-release buckle. Sized for grown-ups riding alongside little ones.
image: assets/products/commuter-bike-helmet.svg
categories: [general, bicycle-helmet]
markets: [US, CA]
manufacturer: little-oak-ltd
importers: { US: oak-imports-usa, CA: oak-canada-inc }
records_custodian: jane-doe
lots:
  - lot: "2026-06M"
    made: 2026-06
    place: Ningbo, Zhejiang, China
    factory: little-oak-ltd
  - lot: "2026-10M"
    made: 2026-10
    place: Ningbo, Zhejiang, China
    factory: little-oak-ltd
evidence:
  - report: HTS-2026-0612
    lab: harbour-testing-ningbo
    date: 2026-06-12
    place: Ningbo, China
    covers: ["16 CFR 1203"]
    result: pass
    lots: ["2026-06M"]
  - report: HTS-2026-1030
    lab: harbour-testing-ningbo
    date: 2026-10-30
    place: Ningbo, China
    covers: ["16 CFR 1203"]
    result: pass
status: active
"#,
    ),
    (
        "apparel/organic-cotton-romper.yaml",
        r#"id: organic-cotton-romper
name: Organic Cotton Romper
brand: Little Oak
model: LO-RO-10
sku: LO-RO-10-OAT
description: >-
  A soft short-sleeved romper in GOTS-certified organic cotton rib, with nickel-free
  press studs along the legs for quick changes. Oat colour, sizes 0–3 to 18–24 months.
image: assets/products/organic-cotton-romper.svg
categories: [childrens-apparel]
age: { min_months: 0, max_months: 24 }
attributes:
  small_parts: false
markets: [US, EU, CA]
manufacturer: kaveri-knits
importers: { US: oak-imports-usa, EU: oak-eu-gmbh, CA: oak-canada-inc }
records_custodian: jane-doe
lots:
  - lot: "K2604-ROM"
    made: 2026-04
    place: Tiruppur, Tamil Nadu, India
    factory: kaveri-knits
  - lot: "K2609-ROM"
    made: 2026-09
    place: Tiruppur, Tamil Nadu, India
    factory: kaveri-knits
evidence:
  - report: DTH-26-04117
    lab: deccan-test-house
    date: 2026-04-17
    place: Chennai, India
    covers: ["16 CFR 1610", "15 U.S.C. 1278a"]
    result: pass
    lots: ["K2604-ROM"]
  - report: DTH-26-09230
    lab: deccan-test-house
    date: 2026-09-23
    place: Chennai, India
    covers: ["16 CFR 1610", "15 U.S.C. 1278a"]
    result: pass
  - report: DTH-CA-26-04118
    lab: deccan-test-house
    date: 2026-04-18
    place: Chennai, India
    covers: ["SOR/2018-83"]
    result: pass
declarations:
  tracking-label: true
status: active
"#,
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
