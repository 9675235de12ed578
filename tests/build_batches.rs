//! `build` a batch of products at a time (`certpress::batch::build`) against `build` of
//! the whole site at once: the same files, byte for byte, the same keys for the next
//! build, the same summary and the same problems, whatever the batch size; and when the
//! build fails, the same problems and nothing published. Sites: the example site, and an
//! issued synthetic catalogue with retired, changed and new certificates, a product
//! without a GTIN and a static file, over several batches. And a rebuild in batches after
//! edits renders only what changed, its output that of a clean build.

mod common;
#[path = "../benches/synth.rs"]
mod synth;

use certpress::diagnostic::Diagnostic;
use certpress::output::Manifest;
use certpress::pipeline::{Pipeline, Purpose, Reuse};
use certpress::site::Overrides;
use common::disk::{add_copy_without_gtin, edit, owned_elsewhere, synth_edits, synth_owned};
use common::*;
use std::fs;
use std::path::Path;

/// What a build left: its problems, whether it succeeded, and the output's files and
/// manifest (keys and summary) when it did.
struct Outcome {
    problems: Vec<Diagnostic>,
    built: bool,
    files: std::collections::BTreeMap<String, Vec<u8>>,
    manifest: Option<(
        Option<certpress::output::manifest::Inputs>,
        certpress::output::manifest::Summary,
    )>,
}

fn reuse(root: &Path) -> Reuse {
    Reuse {
        sources: certpress::fingerprint::read(root, &["test".to_string()]),
        clean: true,
    }
}

fn outcome(problems: Vec<Diagnostic>, built: bool, out: &Path) -> Outcome {
    Outcome {
        problems,
        built,
        files: if out.exists() {
            read_tree(out)
        } else {
            Default::default()
        },
        manifest: Manifest::read(out).map(|m| (m.inputs, m.summary)),
    }
}

/// The whole site at once, as `build` ran before batches.
fn whole(root: &Path, out: &Path, strict: bool) -> Outcome {
    let mut p = Pipeline::load(root, &Overrides::default());
    p.assess().review(Purpose::Publish { locked: false });
    p.placeholder_base_url(strict);
    let built = p.build(Some(out.to_path_buf()), strict, &reuse(root));
    outcome(
        p.diagnostics.iter().cloned().collect(),
        built.is_some(),
        out,
    )
}

/// In batches of `batch`; `None` when the site is built whole instead.
fn batched(root: &Path, out: &Path, strict: bool, batch: usize) -> Option<Outcome> {
    let reuse = reuse(root);
    let ask = certpress::batch::build::Ask {
        output: Some(out.to_path_buf()),
        locked: false,
        strict,
        reuse: &reuse,
        batch,
    };
    let (p, built) =
        certpress::batch::build::build(root, &Overrides::default(), ask, &mut Default::default())?;
    Some(outcome(
        p.diagnostics.iter().cloned().collect(),
        built.is_some(),
        out,
    ))
}

/// Both ways agree at each batch size (each of which the site is built in batches at);
/// the whole build's outcome.
fn agree(root: &Path, strict: bool, sizes: &[usize]) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let expected = whole(root, &dir.path().join("whole"), strict);
    for &size in sizes {
        let out = dir.path().join(format!("batches-{size}"));
        let got = batched(root, &out, strict, size)
            .unwrap_or_else(|| panic!("batches of {size}: built whole instead"));
        let at = format!("{}: batches of {size}", root.display());
        assert_eq!(got.problems, expected.problems, "{at}: problems differ");
        assert_eq!(got.built, expected.built, "{at}");
        let names = |o: &Outcome| o.files.keys().cloned().collect::<Vec<_>>();
        assert_eq!(names(&got), names(&expected), "{at}: other files");
        for (path, bytes) in &expected.files {
            assert!(
                got.files[path] == *bytes,
                "{at}: {path} differs:\n{}\n---\n{}",
                String::from_utf8_lossy(&got.files[path]),
                String::from_utf8_lossy(bytes)
            );
        }
        assert_eq!(
            got.manifest, expected.manifest,
            "{at}: keys or summary differ"
        );
    }
    expected
}

/// A build in batches of 2 over the output at `out`, with `settings` (as `reuse` gives
/// them, "test", its previous keys may be reused); `None` when it is built whole.
fn rebuild(
    root: &Path,
    out: &Path,
    settings: &str,
) -> Option<(Pipeline, Option<certpress::pipeline::Built>)> {
    rebuild_in(root, out, settings, 2)
}

/// [`rebuild`] in batches of `batch`.
fn rebuild_in(
    root: &Path,
    out: &Path,
    settings: &str,
    batch: usize,
) -> Option<(Pipeline, Option<certpress::pipeline::Built>)> {
    let reuse = Reuse {
        sources: certpress::fingerprint::read(root, &[settings.to_string()]),
        clean: false,
    };
    let ask = certpress::batch::build::Ask {
        output: Some(out.to_path_buf()),
        locked: false,
        strict: false,
        reuse: &reuse,
        batch,
    };
    certpress::batch::build::build(root, &Overrides::default(), ask, &mut Default::default())
}

fn codes(o: &Outcome) -> Vec<&str> {
    let mut codes: Vec<&str> = o.problems.iter().map(|d| d.code).collect();
    codes.sort_unstable();
    codes.dedup();
    codes
}

/// The example site prints its labels in every format but the sheet (which holds every
/// label, so it is printed by a whole build).
fn example_without_sheet() -> tempfile::TempDir {
    let site = example_copy();
    let config = fs::read_to_string(site.path().join("site.toml")).unwrap();
    let formats = "formats = [\"svg\", \"png\", \"pdf\", \"zpl\"]";
    assert!(config.contains(formats), "{config}");
    let config = config.replace(formats, "formats = [\"svg\", \"png\", \"zpl\"]");
    fs::write(site.path().join("site.toml"), config).unwrap();
    site
}

#[test]
fn the_example_site_is_built_alike_in_batches() {
    let site = example_without_sheet();
    let built = agree(site.path(), false, &[1, 2, 3]);
    assert!(built.built, "{:#?}", built.problems);
    assert!(built.files.len() > 50, "{} files", built.files.len());
    assert!(built.manifest.unwrap().0.is_some(), "keys are kept");
}

#[test]
fn a_catalogue_with_retired_changed_and_new_certificates_is_built_alike() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    synth::generate(&repo(), &site, 40);
    // Certificate PDFs too, so that the outputs are compared on them as well.
    with_certificate_pdfs(&site);
    let o = certpress(&["issue", "--root", site.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let files: Vec<std::path::PathBuf> = walkdir::WalkDir::new(site.join("content/products"))
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    let text = |i: usize| fs::read_to_string(&files[i]).unwrap();
    // Removed products: their certificates stay published, retired.
    let gone_text = text(3);
    fs::remove_file(&files[3]).unwrap();
    fs::remove_file(&files[30]).unwrap();
    // A changed certificate (its issued version stays in force), and a new product,
    // without a GTIN, never issued.
    fs::write(&files[10], text(10).replace("name: ", "name: Renamed ")).unwrap();
    let new: String = gone_text
        .replace(
            &format!("id: {}", files[3].file_stem().unwrap().to_string_lossy()),
            "id: brand-new",
        )
        .lines()
        .filter(|l| !l.starts_with("gtin:"))
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(files[3].with_file_name("brand-new.yaml"), new).unwrap();
    // A file of the site's own to publish as it is.
    fs::create_dir_all(site.join("static/files")).unwrap();
    fs::write(site.join("static/files/terms.txt"), "Terms.\n").unwrap();

    let built = agree(&site, false, &[1, 7, 16]);
    assert!(built.built, "{:#?}", built.problems);
    assert!(codes(&built).contains(&"unissued"), "{:?}", codes(&built));
    assert!(built.files.contains_key("files/terms.txt"));
    let ledger = fs::read_to_string(site.join("certificates.lock")).unwrap();
    let retired = ledger
        .lines()
        .find(|l| l.contains(&*files[30].file_stem().unwrap().to_string_lossy()))
        .and_then(|l| l.split(' ').next())
        .unwrap()
        .to_string();
    let page =
        String::from_utf8(built.files[&format!("certificates/{retired}/index.html")].clone())
            .unwrap();
    assert!(
        page.contains(&retired),
        "the retired certificate's page is built"
    );

    // A static file where a page goes, and (separately) strict with warnings: refused
    // alike, nothing published.
    let id = files[20].file_stem().unwrap().to_string_lossy().to_string();
    let clash = site.join(format!("static/products/{id}"));
    fs::create_dir_all(&clash).unwrap();
    fs::write(clash.join("index.html"), "mine").unwrap();
    let refused = agree(&site, false, &[7]);
    assert!(!refused.built && refused.files.is_empty());
    assert!(codes(&refused).contains(&"static-collision"));
    fs::remove_dir_all(site.join("static/products")).unwrap();
    let strict = agree(&site, true, &[7]);
    assert!(!strict.built && strict.files.is_empty());

    // A record that does not parse in a late batch: every problem reported alike.
    fs::write(&files[38], "id: [unclosed\n").unwrap();
    let broken = agree(&site, false, &[1, 7]);
    assert!(!broken.built && broken.files.is_empty());
    assert!(codes(&broken).contains(&"bad-yaml") || codes(&broken).len() > 1);
}

#[test]
fn what_only_the_whole_site_can_answer_is_built_whole() {
    let site = example_without_sheet();
    let out = site.path().join("out");
    // One batch.
    assert!(batched(site.path(), &out, false, 10_000).is_none());
    // The label sheet holds every label.
    let config = fs::read_to_string(site.path().join("site.toml")).unwrap();
    let with_sheet = config.replace("\"zpl\"]", "\"zpl\", \"pdf\"]");
    fs::write(site.path().join("site.toml"), with_sheet).unwrap();
    assert!(batched(site.path(), &out, false, 2).is_none());
    fs::write(site.path().join("site.toml"), &config).unwrap();
    let first = batched(site.path(), &out, false, 2).unwrap();
    assert!(first.built, "{:#?}", first.problems);
    // Other settings (every file rendered again): built in batches, each file with the
    // bytes it had linked from the output it replaces, not written.
    let before = read_tree(&out);
    let (p, built) = rebuild(site.path(), &out, "other").expect("built in batches");
    let built = built.unwrap_or_else(|| panic!("{:#?}", p.diagnostics));
    assert_eq!(read_tree(&out), before);
    assert_eq!(built.written, 0, "every file linked: {} kept", built.kept);
    // A file edited by hand since is written again, not linked.
    let page = before
        .keys()
        .find(|k| k.starts_with("products/") && k.ends_with("index.html"))
        .unwrap()
        .clone();
    fs::write(out.join(&page), "edited by hand").unwrap();
    let (_, built) = rebuild(site.path(), &out, "third").expect("built in batches");
    assert_eq!(built.expect("built").written, 1);
    assert_eq!(read_tree(&out), before);
    assert!(!out.join("..").join("staging").exists());
}

#[test]
fn a_rebuild_in_batches_renders_only_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    synth::generate(&repo(), &site, 40);
    // Certificate PDFs too, so that the outputs are compared on them as well.
    with_certificate_pdfs(&site);
    let o = certpress(&["issue", "--root", site.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = site.join("public");
    let (p, built) = rebuild_in(&site, &out, "test", 7).expect("built in batches");
    assert!(built.is_some(), "{:#?}", p.diagnostics);
    let pdfs = walkdir::WalkDir::new(out.join("certificates"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_name() == "certificate.pdf")
        .count();
    assert!(pdfs > 40, "{pdfs} certificate PDFs");
    let product = |i: usize| {
        format!(
            "content/products/{}/{:03}/product-{i}.yaml",
            synth::category(i),
            i / 1000
        )
    };
    // Rebuilds in batches of 7, after `what`: rendered only what changed (`mine`, when
    // given: the files of what changed), and left what a clean build leaves.
    let step = |what: &str, mine: Option<&dyn Fn(&str) -> bool>, partial: bool| {
        let (p, built) = rebuild_in(&site, &out, "test", 7).expect("built in batches");
        let built = built.unwrap_or_else(|| panic!("{what}: {:#?}", p.diagnostics));
        let files = read_tree(&out);
        match (built.partial, partial) {
            (Some(x), true) => {
                assert_eq!(
                    (x.files + x.carried) as usize,
                    files.len(),
                    "{what}: every file rendered or carried: {x:?}"
                );
                let elsewhere = owned_elsewhere(&out, |rel| mine.is_some_and(|m| m(rel))).len();
                let bound = if mine.is_some() { elsewhere } else { 1 };
                assert!(x.carried as usize >= bound, "{what}: {x:?}, {elsewhere}");
            }
            (None, false) => {}
            (x, _) => panic!("{what}: partial {x:?}, expected {partial}"),
        }
        let fresh = dir.path().join("fresh");
        let clean = whole(&site, &fresh, false);
        assert!(clean.built);
        let differ: Vec<&String> = files
            .keys()
            .chain(clean.files.keys())
            .filter(|k| files.get(*k) != clean.files.get(*k))
            .collect();
        assert!(
            differ.is_empty(),
            "{what}: differ from a clean build: {differ:?}"
        );
        let manifest = Manifest::read(&out).map(|m| (m.inputs, m.summary));
        assert_eq!(manifest, clean.manifest, "{what}: keys or summary differ");
        fs::remove_dir_all(&fresh).unwrap();
    };
    for (what, i, file, change) in synth_edits(product, [5, 20, 33, 9]) {
        edit(&site, &file, &change, &what);
        match i {
            Some(i) => step(&what, Some(&synth_owned(i)), true),
            None => step(&what, None, true),
        }
    }
    let o = certpress(&["issue", "--root", site.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    step("issue", None, true);
    fs::remove_file(site.join(product(12))).unwrap();
    step("remove a product", None, true);
    add_copy_without_gtin(&site, &product(13), "product-13", "product-new");
    step("add a product", None, true);
    // Files edited or removed by hand: their owners are rendered again.
    fs::write(out.join("products/product-25/index.html"), "edited").unwrap();
    let pdf = read_tree(&out)
        .into_keys()
        .find(|k| k.contains("-PRODUCT-31-") && k.ends_with(".pdf"))
        .expect("a certificate PDF");
    fs::remove_file(out.join(&pdf)).unwrap();
    let (a, b) = (synth_owned(25), synth_owned(31));
    step(
        "files edited by hand",
        Some(&|rel: &str| a(rel) || b(rel)),
        true,
    );
    // One that belongs to no product or certificate: everything is rendered.
    fs::write(out.join("404.html"), "edited").unwrap();
    step("a site page edited by hand", None, false);
    step("nothing changed", Some(&|_: &str| false), true);
}

#[test]
fn labels_are_printed_a_group_at_a_time_and_a_late_failure_fails_them_all() {
    // 300 products, 600 labels: more than one group of labels drawn and written together.
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    synth::generate(&repo(), &site, 300);
    let out = site.join("public");
    let o = common::disk::build(&site, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let labels: Vec<String> = read_tree(&out.join("labels")).into_keys().collect();
    assert_eq!(labels.len(), 600, "every lot's label: {}", labels.len());
    let before = read_tree(&out);
    // The `compact` template shows marks only: every label of a product whose markets
    // require a warning (small parts, for 3 years and up; under 3 they are a gap, not a
    // warning) fails, in whichever group, with the advice, and nothing is published.
    let config = fs::read_to_string(site.join("site.toml")).unwrap();
    let config = config.replace("[labels]\n", "[labels]\ntemplate = \"compact\"\n");
    fs::write(site.join("site.toml"), config).unwrap();
    let o = common::disk::build(&site, &out, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let e = stderr(&o);
    let failed: std::collections::BTreeSet<String> = e
        .lines()
        .filter_map(|l| l.strip_prefix("error[label]: the label for lot "))
        .map(|l| l.split(':').next().unwrap().to_string())
        .collect();
    let warned: std::collections::BTreeSet<String> = (0..300)
        .filter(|i| {
            let record = site.join(format!(
                "content/products/{}/000/product-{i}.yaml",
                synth::category(*i)
            ));
            let text = fs::read_to_string(record).unwrap();
            let months = text.split("min_months: ").nth(1).and_then(|t| {
                let digits: String = t.chars().take_while(char::is_ascii_digit).collect();
                digits.parse::<u32>().ok()
            });
            text.contains("small_parts: true") && months.is_some_and(|m| m >= 36)
        })
        .flat_map(|i| (0..2).map(move |l| format!("L{i}-{l} of `product-{i}`")))
        .collect();
    assert!(warned.len() > 20, "{}", warned.len());
    assert_eq!(failed, warned);
    assert_eq!(e.matches("error[label]").count(), warned.len(), "{e}");
    assert_eq!(
        e.matches("use a template that fits on").count(),
        warned.len(),
        "the advice on each: {e}"
    );
    assert_eq!(read_tree(&out), before, "nothing published");
}
