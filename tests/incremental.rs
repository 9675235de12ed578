//! Incremental builds on disk (issue 17, point 5): a rebuild links every file whose bytes
//! did not change from the previous output (same inode and modification time), writes
//! nothing at all when no source changed, and always equals a clean build. The random
//! edits of the serve tests are run on disk in tests/serve.rs.

mod common;

use common::disk::{build, built, rewritten, stamps};
use common::*;
use std::fs;

#[test]
fn a_rebuild_with_nothing_changed_writes_no_file() {
    let site = example_copy();
    let out = site.path().join("public");
    let first = built(site.path(), &out, &[]);
    assert!(first.contains(" 0 unchanged)"), "{first}");
    let before = stamps(&out);
    let bytes = read_tree(&out);
    let again = built(site.path(), &out, &[]);
    assert!(
        again.contains("nothing changed: no file written"),
        "{again}"
    );
    assert_eq!(stamps(&out), before, "a file was written");
    assert_eq!(read_tree(&out), bytes);

    // `labels` swapped in a labels folder of its own since: its files (new times) are
    // written again, nothing else.
    let o = certpress(&[
        "labels",
        "--root",
        site.path().to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let labelled = stamps(&out);
    let text = built(site.path(), &out, &[]);
    assert!(!text.contains("nothing changed"), "{text}");
    let after = stamps(&out);
    let written = rewritten(&labelled, &after);
    assert!(!written.is_empty());
    assert!(
        written.iter().all(|w| w.starts_with("labels/")),
        "rewritten: {written:?}"
    );
    assert_eq!(read_tree(&out), bytes);
}

#[test]
fn a_file_edited_by_hand_is_written_again_and_the_rest_kept() {
    let site = example_copy();
    let out = site.path().join("public");
    built(site.path(), &out, &[]);
    let clean = read_tree(&out);
    let page = "products/rainbow-stacker/index.html";
    // Same size, another byte: only the time tells.
    let path = out.join(page);
    let mut text = fs::read(&path).unwrap();
    let last = text.len() - 2;
    text[last] = b'!';
    fs::write(&path, &text).unwrap();
    fs::remove_file(out.join("sitemap.xml")).unwrap();
    let before = stamps(&out);
    let o = built(site.path(), &out, &[]);
    assert!(o.contains("2 files written"), "{o}");
    let written = rewritten(&before, &stamps(&out));
    assert_eq!(
        written,
        ["products/rainbow-stacker/index.html", "sitemap.xml"]
    );
    assert_eq!(read_tree(&out), clean);
}

#[test]
fn a_damaged_manifest_or_clean_writes_every_file_with_the_same_bytes() {
    let site = example_copy();
    let out = site.path().join("public");
    built(site.path(), &out, &[]);
    let clean = read_tree(&out);
    let manifest = site.path().join(".public.manifest");
    let text = fs::read_to_string(&manifest).unwrap();
    fs::write(&manifest, &text[..text.len() / 2]).unwrap();
    for extra in [&[][..], &["--clean"][..]] {
        let before = stamps(&out);
        let o = built(site.path(), &out, extra);
        assert!(o.contains(" 0 unchanged"), "{extra:?}: {o}");
        let after = stamps(&out);
        assert_eq!(rewritten(&before, &after).len(), after.len(), "{extra:?}");
        assert_eq!(read_tree(&out), clean, "{extra:?}");
    }
}

#[test]
fn a_changed_theme_or_configuration_renders_everything_again() {
    let site = example_copy();
    let out = site.path().join("public");
    built(site.path(), &out, &[]);
    // Every page shows the site's title and the theme's frame (a stub at a Digital Link
    // path or at the version in force's `/v<n>/` does not: it may be kept).
    let pages = |out: &std::path::Path| {
        read_tree(out)
            .into_iter()
            .filter(|(k, bytes)| {
                k.ends_with(".html")
                    && !String::from_utf8_lossy(bytes).contains("<meta http-equiv=\"refresh\"")
            })
            .map(|(k, _)| k)
            .collect::<Vec<String>>()
    };
    type Change = fn(String) -> String;
    let changes: [(&str, Change); 2] = [
        ("site.toml", |t| {
            t.replacen("title = \"", "title = \"Renamed ", 1)
        }),
        ("themes/default/templates/base.html", |t| {
            t.replacen("</body>", "<!-- edited --></body>", 1)
        }),
    ];
    for (file, change) in changes {
        let path = site.path().join(file);
        let text = fs::read_to_string(&path).unwrap();
        let changed = change(text.clone());
        assert_ne!(changed, text, "{file}: the edit changes nothing");
        fs::write(&path, changed).unwrap();
        let before = stamps(&out);
        built(site.path(), &out, &[]);
        let after = stamps(&out);
        let written = rewritten(&before, &after);
        for page in pages(&out) {
            assert!(written.contains(&page), "{file}: {page} was kept");
        }
        let fresh = site.path().join("fresh");
        built(site.path(), &fresh, &[]);
        assert_eq!(read_tree(&out), read_tree(&fresh), "{file}");
        fs::remove_dir_all(&fresh).unwrap();
    }
    // A failed build changes nothing, the manifest included: the next one keeps all.
    let record = site
        .path()
        .join("content/products/toys/rainbow-stacker.yaml");
    let good = fs::read_to_string(&record).unwrap();
    fs::write(&record, good.replacen("\nmodel: ", "\nmodel: [", 1)).unwrap();
    let before = stamps(&out);
    assert!(!build(site.path(), &out, &[]).status.success());
    assert_eq!(stamps(&out), before);
    fs::write(&record, good).unwrap();
    let o = built(site.path(), &out, &[]);
    assert!(o.contains("nothing changed"), "{o}");
    assert_eq!(stamps(&out), before);
}
