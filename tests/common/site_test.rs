//! A small site builder for engine tests, after mdBook's `BookTest`: state the records and
//! packs a test needs in a few lines, then `check()` runs what `certpress check --json`
//! runs (load, assessment, gaps, ledger review, and the theme when the test asks for it)
//! in-process and returns its JSON document, exit code and terminal text. The loaders read
//! files, so the site is written to a temporary folder; nothing is copied but what the
//! test asks for.
//!
//! ```ignore
//! let json = SiteTest::new()
//!     .plugin("zz", "id: zz\n...")
//!     .product("duck", "id: duck\n...")
//!     .check_clean();
//! ```

use super::repo;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

const SITE_TOML: &str =
    "title = \"Test site\"\nbase_url = \"https://certs.example.test\"\nas_of = \"2026-11-23\"\n";

/// The parties most records name: a maker in China, a US importer, a CPSC-accepted lab and
/// a records custodian.
const PARTIES: &[(&str, &str)] = &[
    (
        "maker",
        "id: maker\nkind: manufacturer\nname: Maker Ltd\naddress: [\"1 Road\", \"Ningbo\"]\ncountry: CN\nphone: \"+86 574 0000 0000\"\n",
    ),
    (
        "importer",
        "id: importer\nkind: importer\nname: Importer LLC\naddress: [\"2 Street\", \"Portland, OR\"]\ncountry: US\nphone: \"+1 503 555 0100\"\n",
    ),
    (
        "lab",
        "id: lab\nkind: lab\nname: Test Lab\naddress: [\"3 Lab Road\", \"Shenzhen\"]\ncountry: CN\nphone: \"+86 755 0000 0000\"\naccreditations: { cpsc: \"1\", iso17025: \"L1\" }\n",
    ),
    (
        "keeper",
        "id: keeper\nkind: person\nname: Kim Keeper\naddress: [\"2 Street\", \"Portland, OR\"]\nemail: kim@example.test\nphone: \"+1 503 555 0101\"\n",
    ),
];

#[derive(Default)]
pub struct SiteTest {
    files: BTreeMap<String, Vec<u8>>,
    /// Folders of the repository copied in whole (`plugins`, `themes`).
    shipped: Vec<&'static str>,
}

/// What `check` found.
pub struct Checked {
    /// The `check --json` document.
    pub json: Value,
    /// The exit code `check` would return.
    pub exit: i32,
    /// The diagnostics as the terminal shows them (without colour).
    pub human: String,
}

impl SiteTest {
    /// A site with a `site.toml` (as of 2026-11-23) and the parties `maker`, `importer`,
    /// `lab` and `keeper`; no products, no plugins, no theme.
    pub fn new() -> Self {
        let mut t = SiteTest::default().file("site.toml", SITE_TOML);
        for (id, yaml) in PARTIES {
            t = t.party(id, yaml);
        }
        t
    }

    /// The invalid cases' base site, `tests/invalid/_base`: [`SiteTest::new`] plus the
    /// certified product `good`, a guidance page and the ledger that issued `good`.
    pub fn invalid_base() -> Self {
        SiteTest::default().overlay(&repo().join("tests/invalid/_base"), &[])
    }

    /// Any file, by path from the site root; replaces one given before. Bytes, so that a
    /// test can write a file that is not UTF-8.
    pub fn file(mut self, path: &str, bytes: impl Into<Vec<u8>>) -> Self {
        self.files.insert(path.to_string(), bytes.into());
        self
    }

    /// Every file under `dir`, laid over the site at the same relative paths, except
    /// those `skip` names.
    pub fn overlay(mut self, dir: &Path, skip: &[&str]) -> Self {
        for e in walkdir::WalkDir::new(dir)
            .into_iter()
            .filter_map(Result::ok)
        {
            if e.file_type().is_file() {
                let rel = e.path().strip_prefix(dir).unwrap().to_string_lossy();
                let rel = rel.replace('\\', "/");
                if !skip.contains(&rel.as_str()) {
                    self = self.file(&rel, fs::read(e.path()).unwrap());
                }
            }
        }
        self
    }

    /// `content/products/<name>.yaml`.
    pub fn product(self, name: &str, yaml: &str) -> Self {
        self.file(&format!("content/products/{name}.yaml"), yaml)
    }

    /// `content/parties/<name>.yaml`.
    pub fn party(self, name: &str, yaml: &str) -> Self {
        self.file(&format!("content/parties/{name}.yaml"), yaml)
    }

    /// `plugins/<id>/plugin.yaml`; replaces a shipped pack of that id.
    pub fn plugin(self, id: &str, yaml: &str) -> Self {
        self.file(&format!("plugins/{id}/plugin.yaml"), yaml)
    }

    /// The five rule packs of `plugins/`, with their guidance.
    pub fn with_shipped_plugins(mut self) -> Self {
        self.shipped.push("plugins");
        self
    }

    /// The themes of `themes/`; `check` then also loads the site's theme, as the binary
    /// does. Engine tests leave it out.
    pub fn with_shipped_theme(mut self) -> Self {
        self.shipped.push("themes");
        self
    }

    /// Writes the site into a new folder (for tests that run the binary on it).
    pub fn write(&self) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for part in &self.shipped {
            super::copy_dir(&repo().join(part), &dir.path().join(part));
        }
        for (path, text) in &self.files {
            let dest = dir.path().join(path);
            fs::create_dir_all(dest.parent().unwrap()).unwrap();
            fs::write(dest, text).unwrap();
        }
        dir
    }

    /// Writes the site and checks it, as `certpress check --json` does.
    pub fn check(&self) -> Checked {
        let dir = self.write();
        check_site(dir.path(), self.shipped.contains(&"themes"))
    }

    /// Writes the site and builds it with the binary (which needs the shipped theme);
    /// the folder and its `public/`, asserting the build succeeded.
    pub fn build(&self) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = self.write();
        let o = super::certpress(&["build", "--root", dir.path().to_str().unwrap()]);
        assert!(o.status.success(), "build failed: {}", super::stderr(&o));
        let public = dir.path().join("public");
        (dir, public)
    }

    /// [`SiteTest::check`], asserting that nothing is an error (gaps and other warnings
    /// are fine); the `check --json` document.
    pub fn check_clean(&self) -> Value {
        self.check().clean()
    }
}

impl Checked {
    /// The JSON document, asserting that no diagnostic is an error.
    pub fn clean(self) -> Value {
        super::assert_no_errors(&self.json);
        self.json
    }
}

/// `certpress check` of the site at `root`, in-process, through the library's pipeline
/// as the command runs it. `theme` also loads the site's theme, as `check` does; engine
/// tests leave it out.
pub fn check_site(root: &Path, theme: bool) -> Checked {
    use certpress::pipeline::{Pipeline, Purpose};
    let mut p = Pipeline::load(root, &certpress::site::Overrides::default());
    p.assess().review(Purpose::Check).remind();
    if theme {
        p.theme();
    }
    let strict = p.site.as_ref().is_some_and(|s| s.config.strict);
    let text = certpress::report::json(p.site.as_ref(), p.assessed.as_ref(), &p.diagnostics);
    Checked {
        json: serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}:\n{text}")),
        exit: p.diagnostics.exit_code(strict),
        human: certpress::report::render_plain(root, &p.diagnostics),
    }
}
