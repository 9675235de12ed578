//! Hostile sites and hostile moments: links out of the site folder, output folders that
//! are not ours, killed and starved runs of `build` and `labels`, text that would drive
//! a terminal or a label printer, assets that would run in a browser. Each test is one
//! class of finding from the security review (issue 12), run against the binary.

mod common;

use common::*;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SECRET: &str = "TOP-SECRET-0b1c2d";

fn run(site: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec![args[0], "--root", site.to_str().unwrap()];
    all.extend_from_slice(&args[1..]);
    certpress(&all)
}

/// Every file under `dir` whose bytes contain `needle`.
fn files_containing(dir: &Path, needle: &str) -> Vec<String> {
    read_tree(dir)
        .into_iter()
        .filter(|(_, bytes)| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
        .map(|(path, _)| path)
        .collect()
}

#[cfg(unix)]
#[test]
fn nothing_outside_the_site_is_read_through_a_symbolic_link() {
    use std::os::unix::fs::symlink;
    let site = example_copy();
    let root = site.path();
    let outside = tempfile::tempdir().unwrap();
    // A folder of secrets, shaped to be picked up by every folder certpress walks.
    let secrets = outside.path();
    fs::write(secrets.join("shadow"), SECRET).unwrap();
    fs::write(
        secrets.join("secret.svg"),
        format!("<svg><!--{SECRET}--></svg>"),
    )
    .unwrap();
    fs::write(
        secrets.join("secret.md"),
        format!("---\ntitle: {SECRET}\n---\n{SECRET}\n"),
    )
    .unwrap();
    fs::write(
        secrets.join("plugin.yaml"),
        format!("id: evil\nname: {SECRET}\n"),
    )
    .unwrap();

    // content/assets itself is a link (images dropped, as a user would to build).
    for entry in walkdir::WalkDir::new(root.join("content/products")) {
        let path = entry.unwrap().into_path();
        if !path.is_file() {
            continue;
        }
        let text = fs::read_to_string(&path).unwrap();
        let kept: Vec<&str> = text.lines().filter(|l| !l.starts_with("image:")).collect();
        fs::write(&path, kept.join("\n") + "\n").unwrap();
    }
    fs::remove_dir_all(root.join("content/assets")).unwrap();
    symlink(secrets, root.join("content/assets")).unwrap();
    // A guidance subfolder, a whole plugin, theme static files, a theme template folder.
    symlink(secrets, root.join("content/guidance/linked")).unwrap();
    symlink(secrets, root.join("plugins/evil")).unwrap();
    symlink(secrets, root.join("themes/default/static/linked")).unwrap();
    symlink(
        secrets.join("shadow"),
        root.join("themes/default/static/shadow.txt"),
    )
    .unwrap();

    let out = outside.path().join("public");
    let o = run(root, &["build", "--output", out.to_str().unwrap()]);
    let err = stderr(&o);
    for link in ["content/assets", "content/guidance/linked", "plugins/evil"] {
        assert!(err.contains(link), "{link} not reported:\n{err}");
    }
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        !err.contains(SECRET),
        "a secret reached the terminal:\n{err}"
    );
    if out.exists() {
        assert_eq!(files_containing(&out, SECRET), Vec::<String>::new());
    }

    // Without the plugin link the other links still fail the build (a site published
    // without what a link stood for would replace the live one), each reported, and
    // nothing is published.
    fs::remove_file(root.join("plugins/evil")).unwrap();
    let o = run(root, &["build", "--output", out.to_str().unwrap()]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    for link in ["content/assets", "content/guidance/linked"] {
        assert!(err.contains(link), "{link} not reported:\n{err}");
    }
    assert!(err.contains("path-escape"), "{err}");
    assert!(!out.exists(), "a failed build published {}", out.display());
    // With the content links gone, the theme's (read once the content is sound) fail it.
    fs::remove_file(root.join("content/assets")).unwrap();
    fs::remove_file(root.join("content/guidance/linked")).unwrap();
    let o = run(root, &["build", "--output", out.to_str().unwrap()]);
    let err = stderr(&o);
    assert!(!o.status.success(), "{err}");
    for link in [
        "themes/default/static/linked",
        "themes/default/static/shadow.txt",
    ] {
        assert!(err.contains(link), "{link} not reported:\n{err}");
    }
    assert!(!out.exists(), "a failed build published {}", out.display());
}

/// The label printer's theme files (template, marks, fonts) are read as every site file
/// is: a link among them is an error that names it, not a missing file or a print
/// from outside the site.
#[cfg(unix)]
#[test]
fn label_theme_files_are_not_read_through_links() {
    use std::os::unix::fs::symlink;
    let outside = tempfile::tempdir().unwrap();
    let labels = "themes/default/labels";
    for (what, file) in [
        ("template", format!("{labels}/tracking.svg")),
        ("mark", format!("{labels}/marks/ce.svg")),
        ("font", "themes/default/fonts/DejaVuSans.ttf".to_string()),
    ] {
        let site = example_copy();
        let root = site.path();
        let path = root.join(&file);
        assert!(path.is_file(), "{what}: {file} is not in the example theme");
        let copy = outside.path().join(what);
        fs::copy(&path, &copy).unwrap();
        fs::remove_file(&path).unwrap();
        symlink(&copy, &path).unwrap();
        let o = run(root, &["labels", "--format", "svg"]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{what}: {err}");
        assert!(err.contains(&file), "{what}: {file} not named:\n{err}");
        assert!(err.contains("path-escape"), "{what}: {err}");
        assert!(!err.contains("no label template"), "{what}: {err}");
        assert!(!root.join("public").exists(), "{what}: output written");
    }
}

#[cfg(unix)]
#[test]
fn a_fifo_where_a_file_should_be_is_an_error_not_a_hang() {
    let site = example_copy();
    let root = site.path();
    for (file, code) in [
        ("certificates.lock", "unreadable-file"),
        ("plugins/us-cpsc/plugin.yaml", "unreadable-file"),
        (
            "content/products/toys/rainbow-stacker.yaml",
            "unreadable-file",
        ),
    ] {
        let path = root.join(file);
        let keep = fs::read(&path).unwrap();
        fs::remove_file(&path).unwrap();
        let made = Command::new("mkfifo").arg(&path).status().unwrap();
        assert!(made.success());
        let mut child = Command::new(env!("CARGO_BIN_EXE_certpress"))
            .args(["check", "--root", root.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let started = Instant::now();
        // A watchdog, not a speed target: check takes about a second; a hang is forever.
        while child.try_wait().unwrap().is_none() {
            if started.elapsed() > Duration::from_secs(60) {
                let _ = child.kill();
                panic!("check hangs on a FIFO at {file}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let o = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(code) && err.contains(file), "{file}:\n{err}");
        assert!(!o.status.success(), "{file}: check passed:\n{err}");
        fs::remove_file(&path).unwrap();
        fs::write(&path, keep).unwrap();
    }
}

#[test]
fn labels_write_only_where_build_may() {
    let site = example_copy();
    let root = site.path();
    let rs = root.to_str().unwrap();
    // Into the site's sources, a folder certpress did not write, the filesystem root.
    let foreign = tempfile::tempdir().unwrap();
    fs::write(foreign.path().join("thesis.txt"), "precious").unwrap();
    // A target that does not end in a folder name (here an empty folder named through
    // `..`) has nowhere beside it to stage.
    let empty = tempfile::tempdir().unwrap();
    fs::create_dir_all(empty.path().join("sub")).unwrap();
    for target in [
        empty.path().join("sub/..").display().to_string(),
        root.join("content").display().to_string(),
        root.join("content/assets/x").display().to_string(),
        foreign.path().display().to_string(),
        "/".to_string(),
    ] {
        let o = certpress(&[
            "labels", "--root", rs, "--output", &target, "--format", "svg",
        ]);
        assert_eq!(o.status.code(), Some(2), "{target}: {}", stderr(&o));
        assert!(stderr(&o).contains("bad-output"), "{}", stderr(&o));
    }
    assert!(!root.join("content/labels").exists());
    assert!(!root.join("content/assets/x").exists());
    assert_eq!(fs::read_dir(foreign.path()).unwrap().count(), 1);
    assert_eq!(fs::read_dir(empty.path()).unwrap().count(), 1);

    // On a fresh site, labels make an output folder that a later build may replace.
    let o = run(root, &["labels", "--format", "svg"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(root.join("public/.certpress-output").is_file());
    let o = run(root, &["build"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(root.join("public/index.html").is_file());
}

#[test]
fn a_run_for_one_product_keeps_the_full_sheet_and_the_other_labels() {
    let site = example_copy();
    let root = site.path();
    let o = run(root, &["build"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let public = root.join("public");
    let before = read_tree(&public);
    let full = "labels/sheets/avery-5163.pdf";
    assert!(before.contains_key(full));

    let o = run(
        root,
        &["labels", "--product", "rainbow-stacker", "--format", "pdf"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(
        root,
        &[
            "labels",
            "--product",
            "rainbow-stacker",
            "--lot",
            "2026-03A",
            "--format",
            "pdf",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let after = read_tree(&public);
    assert_eq!(after[full], before[full], "the full sheet was replaced");
    assert!(after.contains_key("labels/sheets/avery-5163-rainbow-stacker.pdf"));
    assert!(after.contains_key("labels/sheets/avery-5163-rainbow-stacker-2026-03A.pdf"));
    // Every other file is as the build left it (the product's own PDFs are rewritten
    // with the same bytes).
    for (path, bytes) in &before {
        assert_eq!(after.get(path), Some(bytes), "{path} changed");
    }
}

#[test]
fn the_product_id_sheets_is_reserved() {
    let site = example_copy();
    let root = site.path();
    let text = fs::read_to_string(root.join("content/products/toys/rainbow-stacker.yaml")).unwrap();
    fs::remove_file(root.join("content/products/toys/rainbow-stacker.yaml")).unwrap();
    fs::write(
        root.join("content/products/toys/sheets.yaml"),
        text.replace("id: rainbow-stacker", "id: sheets")
            .replace("2026-03A", "avery-5163"),
    )
    .unwrap();
    let o = run(root, &["check"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("reserved-id"), "{err}");
    assert!(err.contains("content/products/toys/sheets.yaml:"), "{err}");
}

/// A run whose files cannot all be written (the file-size limit stands in for a full
/// disk: writes past it fail with EFBIG) leaves the published labels as they were.
#[cfg(target_os = "linux")]
#[test]
fn labels_that_cannot_be_written_leave_the_old_ones_whole() {
    let site = example_copy();
    let root = site.path();
    let o = run(root, &["build"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let before = read_tree(&root.join("public"));
    // A changed record, so a successful run would change the labels.
    let rec = root.join("content/products/toys/rainbow-stacker.yaml");
    let text = fs::read_to_string(&rec).unwrap();
    fs::write(
        &rec,
        text.replace("Rainbow Stacking Rings", "Rainbow Rings"),
    )
    .unwrap();
    // ulimit -f counts 512-byte blocks: 40 KB is more than an SVG, less than a PNG.
    let o = Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 80; exec \"$0\" labels --root \"$1\" --format svg --format png")
        .arg(env!("CARGO_BIN_EXE_certpress"))
        .arg(root)
        .output()
        .unwrap();
    assert!(!o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("write-failed"), "{}", stderr(&o));
    assert_eq!(read_tree(&root.join("public")), before, "labels changed");
}

/// A published tree: path → bytes.
type Tree = std::collections::BTreeMap<String, Vec<u8>>;

/// The published tree under `dir/labels`.
fn labels_tree(dir: &Path) -> Tree {
    read_tree(&dir.join("labels"))
}

#[cfg(unix)]
#[test]
fn killed_runs_leave_old_or_new_output_never_a_mix() {
    let site = example_copy();
    let root = site.path();
    let public = root.join("public");
    let o = run(root, &["build"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let old_site = read_tree(&public);
    let old = labels_tree(&public);
    let rec = root.join("content/products/toys/rainbow-stacker.yaml");
    let text = fs::read_to_string(&rec).unwrap();
    fs::write(
        &rec,
        text.replace("Rainbow Stacking Rings", "Rainbow Rings"),
    )
    .unwrap();

    // What a finished run writes, for comparison.
    let done = tempfile::tempdir().unwrap();
    let reference = done.path().join("public");
    copy_dir(&public, &reference);
    let o = run(
        root,
        &[
            "labels",
            "--output",
            reference.to_str().unwrap(),
            "--format",
            "png",
            "--format",
            "pdf",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let new = labels_tree(&reference);
    assert_ne!(old, new);
    let o = run(root, &["build", "--output", reference.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let new_site = read_tree(&reference);

    let kill_at = |args: &[&str], delay: Duration| {
        let mut all = vec![args[0], "--root", root.to_str().unwrap()];
        all.extend_from_slice(&args[1..]);
        let mut child = Command::new(env!("CARGO_BIN_EXE_certpress"))
            .args(&all)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
        child.wait().unwrap()
    };
    // Kills `args` ten times at growing delays: after each, `read` must give the old
    // tree or the new one, never a mix, and at least one run must really be killed.
    let killed_runs =
        |args: &[&str], step_ms: u64, read: &dyn Fn() -> Tree, old: &Tree, new: &Tree| {
            let mut finished = 0;
            for i in 0..10u64 {
                let delay = Duration::from_millis(step_ms * i + 30);
                finished += usize::from(kill_at(args, delay).success());
                let now = read();
                assert!(
                    now == *old || now == *new,
                    "{args:?}: output mixed after a kill at {delay:?}"
                );
            }
            assert!(
                finished < 10,
                "no {args:?} run was killed: the delays are too long"
            );
        };
    // A killed `labels` leaves the labels as they were, or as a finished run makes them.
    killed_runs(
        &["labels", "--format", "png", "--format", "pdf"],
        120,
        &|| labels_tree(&public),
        &old,
        &new,
    );
    // The same for `build`, over the whole output.
    let before = read_tree(&public);
    killed_runs(&["build"], 250, &|| read_tree(&public), &before, &new_site);
    assert!(old_site != new_site);

    // Killed runs leave staging folders; once settled, the next run sweeps them.
    let parent = root;
    let staged: Vec<_> = fs::read_dir(parent)
        .unwrap()
        .filter_map(|e| {
            let e = e.unwrap();
            e.file_name()
                .to_string_lossy()
                .starts_with(".public.staging-")
                .then(|| e.path())
        })
        .collect();
    let old_time = std::time::SystemTime::now() - Duration::from_secs(3600);
    for dir in &staged {
        fs::File::open(dir).unwrap().set_modified(old_time).unwrap();
    }
    let o = run(root, &["build"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The sweep runs beside the build; give it a moment to finish moving.
    std::thread::sleep(Duration::from_millis(500));
    for dir in &staged {
        assert!(!dir.exists(), "{} was not swept", dir.display());
    }
}

#[test]
fn the_trash_sweep_touches_only_what_certpress_put_there() {
    let site = example_copy();
    let root = site.path();
    // Someone's own folder that happens to have the trash folder's name.
    let trash = root.join(".public.trash");
    fs::create_dir_all(trash.join("mine")).unwrap();
    fs::write(trash.join("mine/notes.txt"), "keep").unwrap();
    // What earlier runs left: old output in the trash (it carries the marker) and the
    // staging folder of a killed run, settled long ago and locked by nobody.
    let old_output = trash.join("old-output");
    fs::create_dir_all(&old_output).unwrap();
    fs::write(old_output.join(".certpress-output"), "").unwrap();
    fs::write(old_output.join("index.html"), "old").unwrap();
    let killed = root.join(".public.staging-4242-7");
    fs::create_dir_all(&killed).unwrap();
    fs::write(killed.join(".certpress-output"), "").unwrap();
    fs::write(killed.join("index.html"), "half").unwrap();
    let long_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
    fs::File::open(&killed)
        .unwrap()
        .set_modified(long_ago)
        .unwrap();
    // Refused builds (a folder that is not ours, a bad site) sweep nothing at all.
    fs::create_dir_all(root.join("public")).unwrap();
    fs::write(root.join("public/thesis.txt"), "precious").unwrap();
    let o = run(root, &["build"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = run(root, &["labels", "--format", "svg"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        old_output.join("index.html").is_file(),
        "swept by a refused run"
    );
    assert!(
        killed.join("index.html").is_file(),
        "swept by a refused run"
    );
    // An accepted one sweeps only what carries the output marker.
    fs::remove_dir_all(root.join("public")).unwrap();
    for _ in 0..2 {
        let o = run(root, &["build"]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        fs::read_to_string(trash.join("mine/notes.txt")).unwrap(),
        "keep"
    );
    assert!(!old_output.exists(), "old output was not swept");
    assert!(
        !killed.exists(),
        "an abandoned staging folder was not swept"
    );
}

#[test]
fn record_text_cannot_drive_the_terminal() {
    let site = example_copy();
    let root = site.path();
    let rec = root.join("content/products/toys/rainbow-stacker.yaml");
    let text = fs::read_to_string(&rec).unwrap();
    // An unknown party whose name is terminal commands: the message quotes it and the
    // report shows its line.
    let text: Vec<String> = text
        .lines()
        .map(|l| {
            if l.starts_with("manufacturer:") {
                "manufacturer: \"\\e]0;owned\\a\\e[2J\\u009b31m\"".to_string()
            } else {
                l.to_string()
            }
        })
        .collect();
    let text = text.join("\n");
    fs::write(&rec, text).unwrap();
    let o = run(root, &["check"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let raw = &o.stderr;
    assert!(
        !raw.contains(&0x1b) && !raw.contains(&0x07),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains('\u{9b}'), "{}", stderr(&o));
    assert!(stderr(&o).contains("\\u{1b}"), "{}", stderr(&o));
    // `check --json` (serde_json leaves DEL and C1 controls raw) is as safe to show, and
    // still says what the record says.
    let o = run(root, &["check", "--json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let messages: Vec<&str> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["message"].as_str())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("\u{1b}]0;owned\u{7}") && m.contains('\u{9b}')),
        "{messages:?}"
    );
}

#[test]
fn assets_that_would_run_in_a_browser_are_refused() {
    let site = example_copy();
    let root = site.path();
    let assets = root.join("content/assets");
    fs::write(assets.join("page.html"), "<script>alert(1)</script>").unwrap();
    fs::write(
        assets.join("logo.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\">\n  <rect width=\"1\" height=\"1\"/>\n  <script>fetch('/api')</script>\n</svg>\n",
    )
    .unwrap();
    let out = root.join("public");
    let o = run(root, &["build"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("active-content"), "{err}");
    assert!(err.contains("content/assets/page.html"), "{err}");
    assert!(err.contains("content/assets/logo.svg:3:3"), "{err}");
    assert!(!out.exists());
    // Every way an SVG can bring in script is refused at its place, and so is any type
    // that is not on the published list.
    let svg = |body: &str| format!("<svg xmlns=\"http://www.w3.org/2000/svg\">{body}</svg>");
    let cases = [
        (
            "attlist.svg",
            "<!DOCTYPE svg [ <!ATTLIST svg onload CDATA \"alert(1)\"> ]>\n".to_string() + &svg(""),
        ),
        (
            "xslt.svg",
            "<?xml-stylesheet type=\"text/xsl\" href=\"#x\"?>\n".to_string() + &svg(""),
        ),
        (
            "transform.svg",
            svg("<x:stylesheet xmlns:x=\"http://www.w3.org/1999/XSL/Transform\"/>"),
        ),
        ("handler.svg", svg("<rect onclick=\"alert(1)\"/>")),
        ("link.svg", svg("<a href=\" java\tscript:alert(1)\">x</a>")),
        (
            "html.svg",
            svg("<div xmlns=\"http://www.w3.org/1999/xhtml\"/>"),
        ),
        ("noextension", "plain".to_string()),
        ("feed.xml", "<x/>".to_string()),
    ];
    for (name, body) in &cases {
        fs::write(assets.join(name), body).unwrap();
    }
    let o = run(root, &["check", "--json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let refused: Vec<(String, Option<u64>)> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "active-content")
        .map(|d| (d["file"].as_str().unwrap().to_string(), d["line"].as_u64()))
        .collect();
    for (name, _) in &cases {
        let file = format!("content/assets/{name}");
        let found = refused.iter().find(|(f, _)| *f == file);
        assert!(found.is_some(), "{name} not refused: {refused:?}");
        if name.ends_with(".svg") {
            assert!(
                found.unwrap().1 > Some(0),
                "{name} without a line: {refused:?}"
            );
        }
    }
    for (name, _) in &cases {
        fs::remove_file(assets.join(name)).unwrap();
    }
    // A plain SVG and a text file still go out.
    fs::write(
        assets.join("notes.txt"),
        "<script>inert as text/plain</script>",
    )
    .unwrap();
    fs::remove_file(assets.join("page.html")).unwrap();
    fs::write(
        assets.join("logo.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><rect width=\"1\" height=\"1\"/></svg>",
    )
    .unwrap();
    let o = run(root, &["build"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.join("assets/logo.svg").is_file());
    assert!(out.join("assets/notes.txt").is_file());
}

#[test]
fn base_url_cannot_inject_printer_commands() {
    let site = example_copy();
    let root = site.path();
    let config = fs::read_to_string(root.join("site.toml")).unwrap();
    fs::write(
        root.join("site.toml"),
        config.replace(
            "base_url = \"https://certs.littleoak.example\"",
            "base_url = \"https://certs.littleoak.example/~x^XZ^XA^PQ99^FS\"",
        ),
    )
    .unwrap();
    let o = run(root, &["labels", "--format", "zpl"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let tree = labels_tree(&root.join("public"));
    let mut seen = 0;
    for (path, bytes) in tree.iter().filter(|(p, _)| p.ends_with(".zpl")) {
        let zpl = String::from_utf8_lossy(bytes);
        assert_eq!(zpl.matches("^XA").count(), 1, "{path}: {zpl}");
        assert_eq!(zpl.matches("^XZ").count(), 1, "{path}: {zpl}");
        assert!(!zpl.contains("^PQ"), "{path}: {zpl}");
        seen += 1;
    }
    assert!(seen > 10);
}

/// `build` and `labels` on one output take turns: neither swaps in a tree made from
/// output the other has since replaced (labels carried over the old pages and swapped
/// them back over a newer build's).
#[test]
fn build_and_labels_at_once_lose_neither() {
    let site = example_copy();
    let root = site.path();
    let o = run(root, &["build"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rec = root.join("content/products/toys/rainbow-stacker.yaml");
    let original = fs::read_to_string(&rec).unwrap();
    for round in 0..3 {
        let name = format!("Rainbow Rings Round {round}");
        fs::write(&rec, original.replace("Rainbow Stacking Rings", &name)).unwrap();
        let spawn = |args: &[&str]| {
            let mut all = vec![args[0], "--root", root.to_str().unwrap()];
            all.extend_from_slice(&args[1..]);
            Command::new(env!("CARGO_BIN_EXE_certpress"))
                .args(&all)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let labels = spawn(&["labels", "--format", "svg"]);
        let build = spawn(&["build"]);
        for child in [labels, build] {
            let o = child.wait_with_output().unwrap();
            assert!(o.status.success(), "round {round}: {}", stderr(&o));
        }
        let page =
            fs::read_to_string(root.join("public/products/rainbow-stacker/index.html")).unwrap();
        assert!(
            page.contains(&name),
            "round {round}: the build's pages were lost"
        );
        assert!(root.join("public/labels").is_dir());
    }
}

/// A guidance author's footnote labels and headings cannot take each other's ids or the
/// theme's (`main`, `toc-heading`): every id on the page is unique, and every footnote
/// reference leads to its own note.
#[test]
fn guidance_ids_never_collide() {
    let site = example_copy();
    let root = site.path();
    fs::write(
        root.join("content/guidance/ids.md"),
        "---\ntitle: Ids\n---\n\n# main\n\nSee[^main] and[^toc-heading] and[^fn-1].\n\n\
         ## toc heading\n\n## fn 1\n\n[^main]: one\n[^toc-heading]: two\n[^fn-1]: three\n",
    )
    .unwrap();
    let o = run(root, &["build"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let html = fs::read_to_string(root.join("public/guidance/ids/index.html")).unwrap();
    let doc = scraper::Html::parse_document(&html);
    let all = scraper::Selector::parse("[id]").unwrap();
    let mut ids = std::collections::BTreeMap::<String, usize>::new();
    for e in doc.select(&all) {
        *ids.entry(e.value().attr("id").unwrap().to_string())
            .or_default() += 1;
    }
    let repeated: Vec<_> = ids.iter().filter(|(_, n)| **n > 1).collect();
    assert!(repeated.is_empty(), "ids used twice: {repeated:?}");
    let refs = scraper::Selector::parse("a[href^='#']").unwrap();
    let mut notes = 0;
    for a in doc.select(&refs) {
        let target = &a.value().attr("href").unwrap()[1..];
        assert!(ids.contains_key(target), "#{target} leads nowhere");
        notes += usize::from(target.starts_with("fn:"));
    }
    assert_eq!(notes, 3, "{html}");
}
