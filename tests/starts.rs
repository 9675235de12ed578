//! A site that starts right and stays right: `new` writes a site that checks clean for the
//! retest interval, a placeholder base_url is flagged where it would be printed, a
//! certificate whose product record is gone says so, the site's `static/` folder is
//! published at the output root, and help texts name nothing a user does not have.

mod common;

use common::*;
use scraper::{Html, Selector};
use std::fs;
use std::path::Path;

fn root(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn iso(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
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

/// The shortest `retest_months` of the site's packs.
fn retest_months(site: &Path) -> u32 {
    let mut months = Vec::new();
    for e in fs::read_dir(site.join("plugins")).unwrap() {
        let text = fs::read_to_string(e.unwrap().path().join("plugin.yaml")).unwrap();
        for line in text.lines() {
            let line = line.trim();
            if let Some(v) = line.strip_prefix("retest_months:") {
                months.push(v.trim().parse::<u32>().unwrap());
            }
        }
    }
    months.into_iter().min().expect("a pack with retest_months")
}

#[test]
fn new_site_checks_clean_today_and_for_the_retest_interval() {
    let (_dir, site) = new_site();
    let today = time::OffsetDateTime::now_utc().date();
    let months = retest_months(&site);
    assert_eq!(months, 12, "the shipped US pack retests every 12 months");
    // The sample report is dated today: 365 days on, it is still inside 12 months (its
    // last day, of which `check` reminds: `--due 0` asks for no reminder).
    let later = today + time::Duration::days(365);
    for as_of in [iso(today), iso(later)] {
        let o = certpress(&[
            "check",
            "--strict",
            "--due",
            "0",
            "--as-of",
            &as_of,
            "--root",
            root(&site),
        ]);
        assert_eq!(o.status.code(), Some(0), "as of {as_of}: {}", stderr(&o));
        assert!(stderr(&o).contains("no problems found"), "{}", stderr(&o));
    }
    let o = certpress(&["check", "--as-of", &iso(later), "--root", root(&site)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("warning[retest-due]")
            && stderr(&o).contains("(12-month retest, 1 day left)"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("check: 0 errors, 1 warning"),
        "{}",
        stderr(&o)
    );
    // The dates are the day's, not fixed ones that age.
    let record = fs::read_to_string(site.join("content/products/wooden-blocks.yaml")).unwrap();
    let report = iso(today);
    assert!(record.contains(&format!("date: {report}")), "{record}");
    assert!(!record.contains("{{"), "{record}");

    let gitignore = fs::read_to_string(site.join(".gitignore")).unwrap();
    let ignored: Vec<&str> = gitignore.lines().filter(|l| !l.starts_with('#')).collect();
    assert!(ignored.contains(&"/public/"), "{gitignore}");
    assert!(ignored.contains(&"/.public.*"), "{gitignore}");
    let readme = fs::read_to_string(site.join("README.md")).unwrap();
    for command in [
        "certpress serve",
        "certpress check",
        "certpress issue",
        "certpress build",
    ] {
        assert!(readme.contains(command), "README lacks {command}");
    }
    // No file `new` writes of its own points at documents the user does not have.
    for rel in [
        "README.md",
        "site.toml",
        ".gitignore",
        "content/products/wooden-blocks.yaml",
        "content/guidance/getting-started.md",
    ] {
        let text = fs::read_to_string(site.join(rel)).unwrap();
        for word in ["SPEC", "§", "docs/", "regulations.md", "see the README"] {
            assert!(!text.contains(word), "{rel} mentions {word}");
        }
    }
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
    // On macOS and Windows `Robots.TXT` is `robots.txt`; `products` is a folder of pages.
    fs::write(site.join("static/Robots.TXT"), "mine").unwrap();
    fs::write(site.join("static/products"), "mine").unwrap();
    let o = certpress(&["build", "--root", root(&site)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    for (file, _) in [("static/Robots.TXT", ""), ("static/products", "")] {
        assert!(
            err.lines()
                .any(|l| l.starts_with(&format!("error[static-collision]: {file}:"))),
            "{err}"
        );
    }
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
    for f in ["sitemap.xml", "index.html", "Robots.TXT", "products"] {
        fs::remove_file(site.join("static").join(f)).unwrap();
    }

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

#[test]
fn help_texts_name_no_document_the_user_lacks() {
    let commands = [
        "", "new", "build", "issue", "plugins", "labels", "serve", "check",
    ];
    for command in commands {
        let args: Vec<&str> = command.split_whitespace().chain(["--help"]).collect();
        let o = certpress(&args);
        assert!(o.status.success(), "{command}: {}", stderr(&o));
        let help = stdout(&o);
        assert!(help.contains("Usage"), "{help}");
        for word in ["SPEC", "§", "docs/", "regulations.md"] {
            assert!(
                !help.contains(word),
                "`{command} --help` mentions {word}:\n{help}"
            );
        }
    }
    let o = certpress(&["check", "--help"]);
    assert!(stdout(&o).contains("diagnostics"), "{}", stdout(&o));
}
