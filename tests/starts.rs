//! A site that starts right and stays right: a placeholder base_url is flagged where it
//! would be printed.

mod common;

use common::*;
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
