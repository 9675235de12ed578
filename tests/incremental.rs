//! Incremental builds on disk (issue 17, point 5): a rebuild links every file whose bytes
//! did not change from the previous output (same inode and modification time), writes
//! nothing at all when no source changed, renders only the products and certificates an
//! edit to records or the ledger changed (linking the rest unread), and always equals a
//! clean build. The random edits of the serve tests are run on disk in tests/serve.rs.

mod common;
#[path = "../benches/synth.rs"]
mod synth;

use common::disk::{
    add_copy_without_gtin, build, built, edit, owned_elsewhere, rewritten, stamps, synth_edits,
    synth_owned,
};
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

/// What a build that rendered only what changed says it did: the files it rendered and
/// those it linked from the previous output unread; `None` when it rendered everything.
fn partial(summary: &str) -> Option<(usize, usize)> {
    let (_, rest) = summary.split_once(" feed: ")?;
    let (rendered, rest) = rest.split_once(" file")?;
    let (_, rest) = rest.split_once(", ")?;
    let (unread, _) = rest.split_once(" kept unread")?;
    Some((rendered.parse().ok()?, unread.parse().ok()?))
}

/// `out` equals a clean build of `site`, byte for byte.
fn assert_clean(site: &std::path::Path, out: &std::path::Path, what: &str) {
    let fresh = site.join("fresh");
    built(site, &fresh, &[]);
    let (a, b) = (read_tree(out), read_tree(&fresh));
    let differ: Vec<&String> = a
        .keys()
        .chain(b.keys())
        .filter(|k| a.get(*k) != b.get(*k))
        .collect();
    assert!(
        differ.is_empty(),
        "{what}: {} files differ from a clean build, first {:?}",
        differ.len(),
        &differ[..differ.len().min(5)]
    );
    fs::remove_dir_all(&fresh).unwrap();
    let _ = fs::remove_file(site.join(".fresh.manifest"));
}

#[test]
fn after_one_product_changed_only_its_files_and_the_lists_are_rendered() {
    let site = example_copy();
    let out = site.path().join("public");
    built(site.path(), &out, &[]);
    let record = site
        .path()
        .join("content/products/toys/rainbow-stacker.yaml");
    let text = fs::read_to_string(&record).unwrap();
    fs::write(&record, text.replacen("\nname: ", "\nname: Renamed ", 1)).unwrap();
    let before = stamps(&out);
    let o = built(site.path(), &out, &[]);
    let (rendered, unread) = partial(&o).unwrap_or_else(|| panic!("not partial: {o}"));
    let after = stamps(&out);
    assert_eq!(rendered + unread, after.len(), "{o}");
    // Every other product's and certificate's files were linked unread (the example
    // prints a label sheet, which holds every label: labels are printed again).
    let gtin = "09521234000112";
    let elsewhere = owned_elsewhere(&out, |rel| {
        rel.starts_with("labels/")
            || rel.starts_with("products/rainbow-stacker/")
            || rel == "api/v1/products/rainbow-stacker.json"
            || rel.starts_with(&format!("01/{gtin}/"))
            || rel.starts_with("certificates/LO-RAINBOW-STACKER-")
    });
    assert!(elsewhere.len() > 100, "{}", elsewhere.len());
    assert!(
        unread >= elsewhere.len(),
        "{o}: {unread} < {}",
        elsewhere.len()
    );
    for rel in &elsewhere {
        assert_eq!(before[rel], after[rel], "{rel} was written");
    }
    assert_clean(site.path(), &out, "renamed");

    // Issued: the ledger gained versions of its certificates, rendered with it alone.
    let o = certpress(&["issue", "--root", site.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = built(site.path(), &out, &[]);
    let (_, unread) = partial(&o).unwrap_or_else(|| panic!("not partial: {o}"));
    assert!(unread >= elsewhere.len(), "{o}");
    assert_clean(site.path(), &out, "issued");
}

#[test]
fn on_a_site_of_many_list_pages_record_edits_render_only_what_they_change() {
    // 250 products: three home list pages, several lookup shards and API index pages;
    // labels as SVG only (no sheet), so labels are rendered product by product too.
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    synth::generate(&repo(), &site, 250);
    let o = certpress(&["issue", "--root", site.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = site.join("public");
    built(&site, &out, &[]);
    let product = |i: usize| {
        format!(
            "content/products/{}/{:03}/product-{i}.yaml",
            synth::category(i),
            i / 1000
        )
    };
    // Renamed to the top of the list: every list page before its old place shifts.
    let edits = synth_edits(product, [205, 150, 7, 9]);
    let step = |what: &str, mine: Option<&dyn Fn(&str) -> bool>| {
        let o = built(&site, &out, &[]);
        let (rendered, unread) = partial(&o).unwrap_or_else(|| panic!("{what}: not partial: {o}"));
        assert_eq!(rendered + unread, stamps(&out).len(), "{what}: {o}");
        if let Some(mine) = mine {
            let elsewhere = owned_elsewhere(&out, mine);
            assert!(
                unread >= elsewhere.len(),
                "{what}: {o}: {unread} < {}",
                elsewhere.len()
            );
        }
        assert_clean(&site, &out, what);
    };
    for (what, i, file, change) in edits {
        edit(&site, &file, &change, &what);
        match i {
            Some(i) => step(&what, Some(&synth_owned(i))),
            None => step(&what, None),
        }
    }
    // Issued: new versions of the edited products' certificates.
    let o = certpress(&["issue", "--root", site.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    step("issue", None);
    // Removed: its files go; its certificates say the record was removed.
    fs::remove_file(site.join(product(42))).unwrap();
    step("remove a product", None);
    // Added: another's record under a new id, without a GTIN.
    add_copy_without_gtin(&site, &product(43), "product-43", "product-new");
    step("add a product", None);
}
