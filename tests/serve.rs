//! `certpress serve` in-process: the server on a free port over a real site folder, fetched
//! over HTTP while the test edits the site's files as an author would.

mod common;
#[path = "../benches/synth.rs"]
mod synth;

use certpress::serve::{Options, Serve};
use common::http::{Events, Reply, get};
use std::fs;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

const PRODUCT: &str = "/products/good/";
const RECORD: &str = "content/products/good.yaml";
const OVERLAY: &str = "certpress: the site did not build";

/// A running preview of the base site (one product, issued) in a temporary folder.
struct Preview {
    site: tempfile::TempDir,
    serve: Serve,
    addr: SocketAddr,
}

impl Preview {
    fn start() -> Preview {
        Self::start_with(|_| {})
    }

    /// Starts after `prepare` changed the site.
    fn start_with(prepare: impl FnOnce(&Path)) -> Preview {
        let site = common::base_site();
        prepare(site.path());
        let serve = Serve::start(site.path(), &Options::default(), |_| {}).unwrap();
        let addr = serve.addr();
        Preview { site, serve, addr }
    }

    fn get(&self, target: &str) -> Reply {
        get(self.addr, target)
    }

    fn edit(&self, file: &str, change: impl FnOnce(String) -> String) {
        let path = self.site.path().join(file);
        let text = fs::read_to_string(&path).unwrap();
        let changed = change(text.clone());
        assert_ne!(changed, text, "the edit of {file} changed nothing");
        fs::write(&path, changed).unwrap();
    }

    /// Waits for `target` to satisfy `ok` (a rebuild may take a few event batches).
    fn wait_for(&self, target: &str, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let text = self.get(target).text();
            if ok(&text) {
                return text;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "{target} never showed {what}:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The next `reload` event on `events` (a `hello` or ping may come first).
fn next_reload(events: &mut Events) {
    loop {
        let event = events.next().expect("the event stream ended");
        if event.contains("event: reload") {
            return;
        }
    }
}

#[test]
fn an_edit_rebuilds_the_site_and_reloads_open_pages() {
    let p = Preview::start();
    assert!(p.serve.url().starts_with("http://127.0.0.1:"));
    let page = p.get(PRODUCT);
    assert_eq!(page.status, 200);
    let text = page.text();
    assert!(text.contains("Good Toy"), "{text}");
    assert!(text.contains("/__certpress/events"), "no reload script");
    // Links point at the server, not at the published base_url.
    assert!(!text.contains("certs.example.test/products"), "{text}");

    let mut events = Events::open(p.addr);
    p.edit(RECORD, |t| t.replace("name: Good Toy", "name: Better Toy"));
    next_reload(&mut events);
    p.wait_for(PRODUCT, "the new name", |t| t.contains("Better Toy"));
    p.wait_for("/", "the new name on the home page", |t| {
        t.contains("Better Toy")
    });
    p.serve.stop();
}

#[test]
fn edits_are_seen_after_a_source_folder_is_replaced() {
    // A branch switch or a restore from backup deletes content/ and makes it again.
    let p = Preview::start();
    let content = p.site.path().join("content");
    let aside = p.site.path().join("content-aside");
    fs::rename(&content, &aside).unwrap();
    common::copy_dir(&aside, &content);
    p.wait_for(PRODUCT, "the site again", |t| t.contains("Good Toy"));
    // Let the rebuild for the replacement finish before the edit.
    std::thread::sleep(Duration::from_millis(500));
    p.edit(RECORD, |t| t.replace("name: Good Toy", "name: Renamed Toy"));
    p.wait_for(PRODUCT, "the edit after the replacement", |t| {
        t.contains("Renamed Toy")
    });
    p.serve.stop();
}

#[test]
fn a_bad_edit_shows_its_error_over_the_last_good_page_and_the_fix_recovers() {
    let p = Preview::start();
    // (file, how the edit breaks it, where the overlay must point)
    type Case = (&'static str, fn(String) -> String, &'static str);
    let cases: [Case; 3] = [
        (
            RECORD,
            |t| t.replace("model: G-1", "model: [G-1"),
            "content/products/good.yaml:",
        ),
        (
            "themes/default/templates/product.html",
            |t| t.replacen("{{", "{{ product.name | no_such_filter }} {{", 1),
            "themes/default/templates/product.html",
        ),
        (
            "plugins/us-cpsc/plugin.yaml",
            |t| format!("{t}\nunknown_key_here: 1\n"),
            "plugins/us-cpsc/plugin.yaml",
        ),
    ];
    for (file, breaks, located) in cases {
        let good = fs::read_to_string(p.site.path().join(file)).unwrap();
        p.edit(file, breaks);
        let shown = p.wait_for(PRODUCT, "the overlay", |t| t.contains(OVERLAY));
        assert!(
            shown.contains(located),
            "{file}: overlay lacks {located}:\n{shown}"
        );
        // The page under the overlay is the last one that built.
        assert!(shown.contains("Good Toy"), "{shown}");
        assert_eq!(p.get(PRODUCT).status, 200);
        fs::write(p.site.path().join(file), good).unwrap();
        p.wait_for(PRODUCT, "recovery", |t| !t.contains(OVERLAY));
    }
    p.serve.stop();
}

#[test]
fn a_ready_certificate_never_issued_is_a_preview_never_valid() {
    // Without its ledger, the base site's certificate is ready but not issued.
    let p = Preview::start_with(|site| fs::remove_file(site.join("certificates.lock")).unwrap());
    let cert = p.get("/certificates/CERT-GOOD-US-CPC/");
    assert_eq!(cert.status, 200);
    let text = cert.text();
    assert!(text.contains("Not issued — preview"), "{text}");
    assert!(!text.contains("✓ Valid"), "{text}");
    let product = p.get(PRODUCT).text();
    assert!(product.contains("(not issued — preview)"), "{product}");
    assert!(!product.contains("View the certificate"), "{product}");
    p.serve.stop();

    // A build of the same site publishes no page for it.
    let out = p.site.path().join("public");
    let o = common::certpress(&[
        "build",
        "--root",
        p.site.path().to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    assert!(!out.join("certificates/CERT-GOOD-US-CPC").exists());
    let built = fs::read_to_string(out.join("products/good/index.html")).unwrap();
    assert!(!built.contains("preview"), "{built}");
}

#[test]
fn paths_out_of_the_site_get_its_own_404_page() {
    let p = Preview::start();
    for target in [
        "/../site.toml",
        "/%2e%2e/site.toml",
        "/products/%2E%2E/%2E%2E/certificates.lock",
        "/products\\..\\..\\site.toml",
        "//etc/passwd",
        "/etc/passwd",
    ] {
        let reply = p.get(target);
        assert_eq!(reply.status, 404, "{target}");
        let text = reply.text();
        assert!(text.contains("Page not found"), "{target}: {text}");
        assert!(!text.contains("base_url"), "{target} leaked a file");
    }
    p.serve.stop();
}

/// One edit an author might make: the files it changes, relative to the site root. An
/// edit that breaks the site records in `undo` each file's text before it (`None`: the
/// file did not exist), to be put back as a second edit, so the sequence goes on from a
/// site that builds.
type Edit = fn(&Path, &mut Rng, &mut Vec<(String, Option<String>)>) -> Vec<String>;

/// A small deterministic generator (xorshift), so a failing sequence can be replayed
/// with `CERTPRESS_EDIT_SEED`.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// The record files under `folder`, sorted.
fn records(site: &Path, folder: &str) -> Vec<String> {
    let mut out: Vec<String> = walkdir::WalkDir::new(site.join(folder))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "yaml"))
        .map(|e| {
            e.path()
                .strip_prefix(site)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    out.sort();
    out
}

fn rewrite(site: &Path, file: &str, change: impl FnOnce(String) -> String) -> Vec<String> {
    let path = site.join(file);
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, change(text)).unwrap();
    vec![file.to_string()]
}

/// [`rewrite`], remembering the text before for `undo`.
fn spoil(
    site: &Path,
    file: &str,
    undo: &mut Vec<(String, Option<String>)>,
    change: impl FnOnce(String) -> String,
) -> Vec<String> {
    undo.push((file.to_string(), fs::read_to_string(site.join(file)).ok()));
    rewrite(site, file, change)
}

fn pick(site: &Path, folder: &str, rng: &mut Rng) -> String {
    let all = records(site, folder);
    all[rng.below(all.len())].clone()
}

const EDITS: &[(&str, Edit)] = &[
    ("rename a product", |site, rng, _| {
        let file = pick(site, "content/products", rng);
        let n = rng.below(1000);
        rewrite(site, &file, |t| {
            t.replacen("\nname: ", &format!("\nname: Renamed {n} "), 1)
        })
    }),
    ("rename a product keeping size and time", |site, rng, _| {
        // Filesystems that keep times to the second miss such a save by its stamp.
        let file = pick(site, "content/products", rng);
        let path = site.join(&file);
        let modified = fs::metadata(&path).unwrap().modified().unwrap();
        let text = fs::read_to_string(&path).unwrap();
        let at = text.find("\nname: ").unwrap() + "\nname: ".len();
        let first = text[at..].chars().next().unwrap();
        let swapped = if first == 'Q' { 'Z' } else { 'Q' };
        let changed = format!("{}{swapped}{}", &text[..at], &text[at + first.len_utf8()..]);
        assert_eq!(changed.len(), text.len(), "ASCII names in the example");
        fs::write(&path, changed).unwrap();
        let f = fs::File::options().write(true).open(&path).unwrap();
        f.set_modified(modified).unwrap();
        vec![file]
    }),
    ("move a lot's place", |site, rng, _| {
        let file = pick(site, "content/products", rng);
        let n = rng.below(1000);
        rewrite(site, &file, |t| {
            t.replacen("place: ", &format!("place: Hall {n}, "), 1)
        })
    }),
    ("fail a test report", |site, rng, _| {
        let file = pick(site, "content/products", rng);
        rewrite(site, &file, |t| {
            t.replacen("result: pass", "result: fail", 1)
        })
    }),
    ("rename a party", |site, rng, _| {
        let file = pick(site, "content/parties", rng);
        let n = rng.below(1000);
        rewrite(site, &file, |t| {
            t.replacen("\nname: ", &format!("\nname: Party {n} "), 1)
        })
    }),
    ("rename a product and a party at once", |site, rng, _| {
        let product = pick(site, "content/products", rng);
        let party = pick(site, "content/parties", rng);
        let n = rng.below(1000);
        let mut changed = rewrite(site, &product, |t| {
            t.replacen("\nname: ", &format!("\nname: Both {n} "), 1)
        });
        changed.extend(rewrite(site, &party, |t| {
            t.replacen("\nname: ", &format!("\nname: Both {n} "), 1)
        }));
        changed
    }),
    ("break a record", |site, rng, undo| {
        let file = pick(site, "content/products", rng);
        spoil(site, &file, undo, |t| {
            t.replacen("\nmodel: ", "\nmodel: [", 1)
        })
    }),
    ("break a party, keeping its id", |site, rng, undo| {
        let file = pick(site, "content/parties", rng);
        spoil(site, &file, undo, |t| {
            let kind = t
                .lines()
                .find(|l| l.starts_with("kind: "))
                .unwrap()
                .to_string();
            t.replacen(&kind, "kind: nonsense", 1)
        })
    }),
    ("delete a party", |site, rng, undo| {
        let file = pick(site, "content/parties", rng);
        undo.push((file.clone(), fs::read_to_string(site.join(&file)).ok()));
        fs::remove_file(site.join(&file)).unwrap();
        vec![file]
    }),
    ("add a product", |site, rng, _| {
        let from = pick(site, "content/products", rng);
        let text = fs::read_to_string(site.join(&from)).unwrap();
        let id = format!("added-{}", rng.below(100_000));
        let text: String = text
            .lines()
            .filter(|l| !l.starts_with("gtin:"))
            .map(|l| match l.strip_prefix("id: ") {
                Some(_) => format!("id: {id}\n"),
                None => format!("{l}\n"),
            })
            .collect();
        let file = format!("content/products/{id}.yaml");
        fs::write(site.join(&file), text).unwrap();
        vec![file]
    }),
    ("delete a product", |site, rng, _| {
        let file = pick(site, "content/products", rng);
        fs::remove_file(site.join(&file)).unwrap();
        vec![file]
    }),
    ("edit a template", |site, rng, _| {
        let file = "themes/default/templates/product.html";
        let n = rng.below(1000);
        rewrite(site, file, |t| format!("{t}{{# edit {n} #}}\n"))
    }),
    ("edit guidance", |site, rng, _| {
        let file = "content/guidance/how-to-read-this-site.md";
        let n = rng.below(1000);
        rewrite(site, file, |t| format!("{t}\nEdited {n}.\n"))
    }),
];

#[test]
fn on_a_site_of_many_list_and_index_pages_edits_equal_a_clean_build() {
    // 1,100 products: the home list, the API index and the lookup index each span many
    // files, so each edit tests what a partial render keeps of them.
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    synth::generate(&common::repo(), &site, 1_100);
    let overrides = certpress::site::Overrides {
        as_of: None,
        base_url: Some("http://127.0.0.1:9/".into()),
        ..Default::default()
    };
    let mut preview = certpress::serve::Preview::new(&site, overrides.clone());
    assert!(preview.rebuild(&[]).rendered.is_some());
    let product = |i: usize| {
        format!(
            "content/products/{}/{:03}/product-{i}.yaml",
            synth::category(i),
            i / 1000
        )
    };
    type Change = fn(String) -> String;
    let edits: [(&str, String, Change); 5] = [
        // To the top of the list: every list page before its old place shifts.
        ("rename a product", product(505), |t| {
            t.replace("name: Synthetic product 505", "name: Aardvark")
        }),
        (
            "rename a lab 550 products name",
            "content/parties/lab-1.yaml".into(),
            |t| t.replace("name: Testing Lab 1", "name: Renamed Lab"),
        ),
        (
            "change a model on the second API index page",
            product(1_050),
            |t| t.replace("model: BB-001050", "model: XQ-77"),
        ),
        ("add a lot", product(7), |t| {
            t.replace(
                "evidence:\n",
                "  - { lot: \"L7-new\", made: 2026-05, place: \"Ningbo, China\", factory: maker-1 }\nevidence:\n",
            )
        }),
        ("fail a test report", product(9), |t| {
            t.replacen("result: pass", "result: fail", 1)
        }),
    ];
    for (what, file, change) in edits {
        let before = fs::read_to_string(site.join(&file)).unwrap();
        let after = change(before.clone());
        assert_ne!(before, after, "{what}: the edit changes nothing");
        fs::write(site.join(&file), after).unwrap();
        let incremental = step_and_compare(&mut preview, &site, &overrides, &[file], what);
        assert_eq!(incremental, 1, "{what}: not incremental");
    }
}

/// The files a clean build of `site` shows (`None`: it does not build).
fn clean_build(site: &Path, overrides: &certpress::site::Overrides) -> Option<Files> {
    let mut fresh = certpress::serve::Preview::new(site, overrides.clone());
    let outcome = fresh.rebuild(&[]);
    outcome.rendered.map(|_| (*outcome.snapshot.files).clone())
}

type Files = certpress::output::Files;

/// The files shown equal a clean build's, or the first few that differ are named.
fn assert_same(clean: &Files, shown: &Files, when: &str) {
    let differ: Vec<&String> = clean
        .keys()
        .chain(shown.keys())
        .filter(|k| clean.get(*k) != shown.get(*k))
        .collect();
    assert!(
        differ.is_empty(),
        "{when}: {} files differ from a clean build, first {:?}",
        differ.len(),
        &differ[..differ.len().min(5)]
    );
}

/// Rebuilds the preview after `changed` and compares it with a clean build of the same
/// folder; 1 when the rebuild was incremental.
fn step_and_compare(
    preview: &mut certpress::serve::Preview,
    site: &Path,
    overrides: &certpress::site::Overrides,
    changed: &[String],
    what: &str,
) -> usize {
    let paths: Vec<std::path::PathBuf> = changed.iter().map(Into::into).collect();
    let outcome = preview.rebuild(&paths);
    let shown = (*outcome.snapshot.files).clone();
    match clean_build(site, overrides) {
        Some(clean) => {
            assert!(
                outcome.rendered.is_some(),
                "{what} {changed:?}: the preview failed"
            );
            assert_same(&clean, &shown, &format!("{what} {changed:?}"));
        }
        None => assert!(
            outcome.rendered.is_none(),
            "{what} {changed:?}: the preview built what a clean build refuses"
        ),
    }
    usize::from(outcome.incremental)
}

/// The random edits' generator: `CERTPRESS_EDIT_SEED` replays a sequence.
fn edit_rng() -> Rng {
    let seed: u64 = std::env::var("CERTPRESS_EDIT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_2026);
    println!("seed {seed} (set CERTPRESS_EDIT_SEED to replay)");
    Rng(seed)
}

#[test]
fn after_any_sequence_of_edits_the_preview_equals_a_clean_build() {
    let mut rng = edit_rng();
    let site = common::example_copy();
    let overrides = certpress::site::Overrides {
        as_of: None,
        base_url: Some("http://127.0.0.1:9/".into()),
        ..Default::default()
    };
    let mut preview = certpress::serve::Preview::new(site.path(), overrides.clone());
    assert!(preview.rebuild(&[]).rendered.is_some());
    let mut incremental = 0;
    for step in 0..12 {
        let (what, edit) = EDITS[rng.below(EDITS.len())];
        let mut undo = Vec::new();
        let changed = edit(site.path(), &mut rng, &mut undo);
        incremental += step_and_compare(&mut preview, site.path(), &overrides, &changed, what);
        // What broke the site is put back, as a second edit.
        for (file, text) in undo {
            let path = site.path().join(&file);
            match &text {
                Some(t) => fs::write(&path, t).unwrap(),
                None => fs::remove_file(&path).unwrap(),
            }
            incremental += step_and_compare(&mut preview, site.path(), &overrides, &[file], "undo");
        }
        println!("step {step}: {what}");
    }
    assert!(
        incremental >= 3,
        "only {incremental} incremental rebuilds: the sequence tests little"
    );
}

/// The random edits above, built on disk: each incremental build of the edited site
/// equals a clean build of it byte for byte, and every file whose bytes it kept keeps its
/// inode and modification time (a deploy sends only what changed); after an edit to
/// records only it rendered only what changed, linking the rest unread. A build that
/// fails leaves the output as it was.
#[test]
fn after_any_sequence_of_edits_an_on_disk_build_equals_a_clean_build() {
    use common::disk::{build, stamps};
    let mut rng = edit_rng();
    let site = common::example_copy();
    let out = site.path().join("public");
    let fresh = site.path().join("fresh");
    assert!(build(site.path(), &out, &[]).status.success());
    let mut kept_some = 0;
    let mut partial = 0;
    let mut step_and_compare = |what: &str, changed: &[String]| {
        let (bytes, before) = (common::read_tree(&out), stamps(&out));
        let incremental = build(site.path(), &out, &[]);
        let clean = build(site.path(), &fresh, &[]);
        assert_eq!(
            incremental.status.success(),
            clean.status.success(),
            "{what} {changed:?}: {}",
            common::stderr(&incremental)
        );
        if !clean.status.success() {
            assert_eq!(
                stamps(&out),
                before,
                "{what} {changed:?}: a failed build wrote"
            );
            return;
        }
        let (after, clean) = (common::read_tree(&out), common::read_tree(&fresh));
        let differ: Vec<&String> = after
            .keys()
            .chain(clean.keys())
            .filter(|k| after.get(*k) != clean.get(*k))
            .collect();
        assert!(
            differ.is_empty(),
            "{what} {changed:?}: {} files differ from a clean build, first {:?}",
            differ.len(),
            &differ[..differ.len().min(5)]
        );
        let now = stamps(&out);
        for (rel, b) in &after {
            if bytes.get(rel) == Some(b) {
                assert_eq!(
                    now[rel], before[rel],
                    "{what} {changed:?}: {rel} was written again"
                );
                kept_some += 1;
            }
        }
        let records_only = changed
            .iter()
            .all(|f| f.starts_with("content/products/") || f.starts_with("content/parties/"));
        // (An undo that puts back the sources of the last build that succeeded finds
        // nothing changed.)
        let said = common::stdout(&incremental);
        if said.contains("rendered only what") {
            partial += 1;
        } else if !said.contains("nothing changed") {
            assert!(
                !records_only,
                "{what} {changed:?}: rendered everything: {said}"
            );
        }
        fs::remove_dir_all(&fresh).unwrap();
    };
    for step in 0..12 {
        let (what, edit) = EDITS[rng.below(EDITS.len())];
        let mut undo = Vec::new();
        let changed = edit(site.path(), &mut rng, &mut undo);
        step_and_compare(what, &changed);
        for (file, text) in undo {
            let path = site.path().join(&file);
            match &text {
                Some(t) => fs::write(&path, t).unwrap(),
                None => fs::remove_file(&path).unwrap(),
            }
            step_and_compare("undo", &[file]);
        }
        println!("step {step}: {what}");
    }
    assert!(
        kept_some > 0,
        "no build kept a file: the sequence tests little"
    );
    assert!(partial > 0, "no build rendered only what changed");
}
