//! On-disk builds as a user runs them, and what they leave on disk: for the tests of
//! incremental builds (a file kept keeps its inode and modification time).

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Output;

/// `certpress build --root site --output out` with `extra` arguments.
pub fn build(site: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "build",
        "--root",
        site.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    super::certpress(&args)
}

/// [`build`], which must succeed; its stdout.
pub fn built(site: &Path, out: &Path, extra: &[&str]) -> String {
    let o = build(site, out, extra);
    assert!(
        o.status.success(),
        "build failed:\n{}\n{}",
        super::stdout(&o),
        super::stderr(&o)
    );
    super::stdout(&o)
}

/// A file as it lies on disk: its inode and modification time (nanoseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub inode: u64,
    pub modified: i128,
}

/// Every file under `dir` by relative path, with its stamp.
pub fn stamps(dir: &Path) -> BTreeMap<String, Stamp> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let m = e.metadata().unwrap();
            let rel = e
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let stamp = Stamp {
                inode: m.ino(),
                modified: i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
            };
            (rel, stamp)
        })
        .collect()
}

/// The files of `after` that were written by the build between (a new inode or time),
/// given the bytes and stamps `before` it.
pub fn rewritten(before: &BTreeMap<String, Stamp>, after: &BTreeMap<String, Stamp>) -> Vec<String> {
    after
        .iter()
        .filter(|(rel, s)| before.get(*rel) != Some(s))
        .map(|(rel, _)| rel.clone())
        .collect()
}
