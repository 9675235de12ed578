//! A site that starts right and stays right: a placeholder base_url is flagged where it
//! would be printed, a certificate whose product record is gone says so, and the site's
//! `static/` folder is published at the output root.

mod common;

use common::*;
use scraper::{Html, Selector};
use std::fs;
use std::path::Path;

fn root(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A new site in a temp folder, its one certificate issued; (tempdir, site).
fn new_site() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("my-site");
    let o = certpress(&["new", root(&site)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = certpress(&["issue", "--root", root(&site)]);
    assert!(o.status.success(), "{}", stderr(&o));
    (dir, site)
}

fn placeholder_warnings(o: &std::process::Output) -> Vec<String> {
    stderr(o)
        .lines()
        .filter(|l| l.contains("[placeholder-base-url]"))
        .map(str::to_string)
        .collect()
}

#[test]
fn a_placeholder_base_url_is_a_warning_on_build_and_labels_and_an_error_under_strict() {
    let (_dir, site) = new_site();
    let out = site.join("public");
    // `check` judges the records; the address matters where it is printed.
    let o = certpress(&["check", "--root", root(&site)]);
    assert!(placeholder_warnings(&o).is_empty(), "{}", stderr(&o));

    let o = certpress(&["build", "--root", root(&site)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let w = placeholder_warnings(&o);
    assert_eq!(w.len(), 1, "{}", stderr(&o));
    assert!(w[0].starts_with(
        "warning[placeholder-base-url]: base_url `https://certificates.example.com/`"
    ));
    assert!(stderr(&o).contains("site.toml:3:12"), "{}", stderr(&o));
    assert!(stdout(&o).contains("(1 warning)"), "{}", stdout(&o));

    let o = certpress(&["labels", "--root", root(&site)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(placeholder_warnings(&o).len(), 1, "{}", stderr(&o));

    // Under --strict: an error, and nothing is written.
    fs::remove_dir_all(&out).unwrap();
    for command in ["build", "labels"] {
        let o = certpress(&[command, "--strict", "--root", root(&site)]);
        assert_eq!(o.status.code(), Some(1), "{command}: {}", stderr(&o));
        let w = placeholder_warnings(&o);
        assert!(
            w.len() == 1 && w[0].starts_with("error["),
            "{command}: {}",
            stderr(&o)
        );
        assert!(!out.join("labels").exists(), "{command} wrote labels");
    }

    // A real address: no word. A placeholder given on the command line is named as such.
    let o = certpress(&[
        "build",
        "--strict",
        "--base-url",
        "https://certs.mybrand.com",
        "--root",
        root(&site),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(placeholder_warnings(&o).is_empty(), "{}", stderr(&o));
    let o = certpress(&[
        "build",
        "--base-url",
        "http://localhost:8000",
        "--root",
        root(&site),
    ]);
    let w = placeholder_warnings(&o);
    assert!(
        w.len() == 1
            && w[0].starts_with(
                "warning[placeholder-base-url]: --base-url: the base URL `http://localhost:8000/`"
            ),
        "{}",
        stderr(&o)
    );

    // The example site keeps its `.example` address, and the warning.
    let dir = tempfile::tempdir().unwrap();
    let o = certpress(&[
        "build",
        "--root",
        root(&repo()),
        "--output",
        root(&dir.path().join("out")),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let w = placeholder_warnings(&o);
    assert_eq!(w.len(), 1, "{}", stderr(&o));
    assert!(w[0].contains("`.example`"), "{}", w[0]);
}

#[test]
fn a_certificate_whose_product_record_is_gone_says_so() {
    let (_dir, site) = new_site();
    fs::remove_file(site.join("content/products/wooden-blocks.yaml")).unwrap();
    let o = certpress(&["check", "--json", "--root", root(&site)]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let removed: Vec<&serde_json::Value> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "removed-product")
        .collect();
    assert_eq!(removed.len(), 1, "{json:#}");
    assert_eq!(removed[0]["severity"], "warning");
    assert_eq!(removed[0]["file"], "certificates.lock");
    let message = removed[0]["message"].as_str().unwrap();
    assert!(
        message.contains("CERT-WOODEN-BLOCKS-US-CPC")
            && message.contains("product record was removed"),
        "{message}"
    );

    let o = certpress(&[
        "build",
        "--base-url",
        "https://certs.mybrand.com",
        "--root",
        root(&site),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let html =
        fs::read_to_string(site.join("public/certificates/CERT-WOODEN-BLOCKS-US-CPC/index.html"))
            .unwrap();
    let html = Html::parse_document(&html);
    let status: String = html
        .select(&Selector::parse("[data-field=status]").unwrap())
        .next()
        .expect("a status")
        .text()
        .collect();
    assert!(status.contains("Not in force"), "{status}");
    assert!(status.contains("record was removed"), "{status}");
    assert!(!status.contains("no longer needs"), "{status}");

    // A record that fails to load is not a removed one.
    fs::write(
        site.join("content/products/wooden-blocks.yaml"),
        "id: wooden-blocks\nname: [\n",
    )
    .unwrap();
    let o = certpress(&["check", "--root", root(&site)]);
    assert!(!stderr(&o).contains("removed-product"), "{}", stderr(&o));
}

#[test]
fn the_sites_static_folder_is_published_at_the_root_and_may_not_replace_generated_files() {
    let (_dir, site) = new_site();
    let out = site.join("public");
    fs::create_dir(site.join("static")).unwrap();
    fs::write(site.join("static/CNAME"), "certs.mybrand.com\n").unwrap();
    fs::write(
        site.join("static/_headers"),
        "/*\n  X-Frame-Options: DENY\n",
    )
    .unwrap();
    fs::create_dir_all(site.join("static/docs")).unwrap();
    fs::write(site.join("static/docs/manual.txt"), "hello").unwrap();
    let o = certpress(&["build", "--root", root(&site)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        fs::read_to_string(out.join("CNAME")).unwrap(),
        "certs.mybrand.com\n"
    );
    assert!(out.join("_headers").is_file());
    assert_eq!(
        fs::read_to_string(out.join("docs/manual.txt")).unwrap(),
        "hello"
    );
    // The default theme's favicon, linked from every page.
    assert!(out.join("static/favicon.svg").is_file());
    let home = Html::parse_document(&fs::read_to_string(out.join("index.html")).unwrap());
    let icon = home
        .select(&Selector::parse("link[rel=icon]").unwrap())
        .next()
        .expect("a favicon link");
    assert_eq!(icon.value().attr("href"), Some("/static/favicon.svg"));

    // Collisions with what certpress generates: errors naming both, and the output kept.
    let before = read_tree(&out);
    fs::write(site.join("static/sitemap.xml"), "<urlset/>").unwrap();
    fs::write(site.join("static/index.html"), "mine").unwrap();
    let o = certpress(&["build", "--root", root(&site)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    for (file, generated) in [
        ("static/sitemap.xml", "sitemap.xml"),
        ("static/index.html", "index.html"),
    ] {
        assert!(
            err.lines().any(|l| l.starts_with(&format!(
                "error[static-collision]: {file}: `{file}` would be published as `{generated}`"
            ))),
            "{err}"
        );
    }
    assert_eq!(
        read_tree(&out),
        before,
        "a failed build left the output as it was"
    );
    fs::remove_file(site.join("static/sitemap.xml")).unwrap();
    fs::remove_file(site.join("static/index.html")).unwrap();

    // A link is refused as content/assets refuses one, by check as by build.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("/etc/hostname", site.join("static/host")).unwrap();
        for command in ["check", "build"] {
            let o = certpress(&[command, "--root", root(&site)]);
            assert_eq!(o.status.code(), Some(2), "{command}: {}", stderr(&o));
            assert!(
                stderr(&o).contains("error[path-escape]: static/host"),
                "{}",
                stderr(&o)
            );
        }
    }
}
