//! The fingerprint of what a build is made from: every file it may read (site.toml,
//! certificates.lock, and all under `content/`, `plugins/`, `themes/` and `static/`),
//! hashed by content, and everything else that changes its output or its verdict (the
//! certpress binary, the command line's settings, the date `as_of` defaults to). A
//! build whose fingerprint equals the one its output was built from has nothing to do
//! ([`crate::pipeline::up_to_date`]).
//!
//! Contents, not modification times: an editor or a checkout may keep a file's size and
//! time across a change, and reading a 10,000-product site's sources takes a fraction of
//! a second.

use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::path::Path;

/// The folders whose every file a build may read, and the files at the top of the site.
const FOLDERS: [&str; 4] = ["content", "plugins", "themes", "static"];
const FILES: [&str; 2] = [crate::config::FILE, crate::ledger::FILE];

/// What a build read, file by file: each source's path (relative to the site root) and
/// the SHA-256 of its bytes, with the binary and settings it was built with.
#[derive(Debug, Clone)]
pub struct Sources {
    /// Path and hash of every file, in the order they were walked.
    files: Vec<(String, [u8; 32])>,
    /// The binary and settings, a line each.
    settings: Vec<String>,
}

impl Sources {
    /// The fingerprint of everything, as hex ([`crate::pipeline::up_to_date`]).
    pub fn whole(&self) -> String {
        self.digest(|_| true)
    }

    /// The fingerprint of everything but the files `left_out` names (the records whose
    /// effect a build tracks product by product, [`crate::render::keys`]), as hex.
    pub fn except(&self, left_out: &std::collections::HashSet<&str>) -> String {
        self.digest(|rel| !left_out.contains(rel))
    }

    fn digest(&self, keep: impl Fn(&str) -> bool) -> String {
        let mut h = Sha256::new();
        for line in &self.settings {
            h.update(line.as_bytes());
            h.update(b"\n");
        }
        for (rel, hash) in self.files.iter().filter(|(rel, _)| keep(rel)) {
            h.update(rel.as_bytes());
            h.update(b"\0");
            h.update(hash);
        }
        hex(&h.finalize())
    }
}

/// Bytes as lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// The fingerprint of the site at `root` built with `settings` (each a line naming a
/// setting and its value), as hex; `None` when a source could not be read (then the
/// build runs, and reports it).
pub fn of(root: &Path, settings: &[String]) -> Option<String> {
    read(root, settings).map(|s| s.whole())
}

/// Every source of the site at `root` hashed, with `settings`; `None` when a source could
/// not be read.
pub fn read(root: &Path, settings: &[String]) -> Option<Sources> {
    let mut files: Vec<std::path::PathBuf> = FILES.iter().map(|f| root.join(f)).collect();
    for folder in FOLDERS {
        for e in walkdir::WalkDir::new(root.join(folder))
            .follow_links(true)
            .sort_by_file_name()
        {
            match e {
                Ok(e) if e.file_type().is_dir() => {}
                Ok(e) => files.push(e.into_path()),
                // A folder that is not there is a fact about the site like any other.
                Err(e)
                    if e.io_error()
                        .is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound) => {}
                Err(_) => return None,
            }
        }
    }
    let hashes: Vec<Option<[u8; 32]>> = files
        .par_iter()
        .map(|path| match hash_file(path) {
            Ok(hash) => Some(hash),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some([0; 32]),
            Err(_) => None,
        })
        .collect();
    let files = files
        .iter()
        .zip(hashes)
        // Relative and `/`-separated, as records name their files.
        .map(|(path, hash)| Some((crate::source::relative(root, path), hash?)))
        .collect::<Option<Vec<_>>>()?;
    Some(Sources {
        files,
        settings: binary()
            .into_iter()
            .chain(settings.iter().cloned())
            .collect(),
    })
}

/// The SHA-256 of the file at `path`, read a block at a time: a 100,000-product site's
/// ledger is over 400 MB, and a build that finds nothing changed should not hold it.
fn hash_file(path: &Path) -> std::io::Result<[u8; 32]> {
    let mut file = std::io::BufReader::with_capacity(1 << 16, std::fs::File::open(path)?);
    let mut h = Sha256::new();
    std::io::copy(&mut file, &mut h)?;
    Ok(h.finalize().into())
}

/// The running certpress: its version, and its executable's size and time (a build of
/// another commit renders differently under the same version number).
fn binary() -> Vec<String> {
    let exe = std::env::current_exe()
        .and_then(std::fs::metadata)
        .map(|m| {
            format!(
                "{} {:?}",
                m.len(),
                crate::output::manifest::modified(&m).unwrap_or_default()
            )
        })
        .unwrap_or_default();
    vec![format!("certpress {}", env!("CARGO_PKG_VERSION")), exe]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_with_any_source_byte_and_setting() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("content/products")).unwrap();
        std::fs::write(root.join("site.toml"), "title = 'x'\n").unwrap();
        std::fs::write(root.join("content/products/a.yaml"), "id: a\n").unwrap();
        let settings = vec!["as_of 2026-01-01".to_string()];
        let first = of(root, &settings).unwrap();
        assert_eq!(of(root, &settings).unwrap(), first);
        // Same size and time, other bytes.
        let path = root.join("content/products/a.yaml");
        let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
        std::fs::write(&path, "id: b\n").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(modified)
            .unwrap();
        let edited = of(root, &settings).unwrap();
        assert_ne!(edited, first);
        assert_ne!(of(root, &["as_of 2026-01-02".to_string()]).unwrap(), edited);
        std::fs::create_dir_all(root.join("themes/default")).unwrap();
        std::fs::write(root.join("themes/default/x.html"), "").unwrap();
        assert_ne!(of(root, &settings).unwrap(), edited);
    }
}
