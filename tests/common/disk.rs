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

/// The files of product `i` of a synthetic catalogue (`benches/synth.rs`) and of its
/// certificates: pages, twin, labels, Digital Link paths.
pub fn synth_owned(i: usize) -> impl Fn(&str) -> bool {
    let (id, number) = (format!("product-{i}"), format!("-PRODUCT-{i}-"));
    let gtin = format!("01/095212{i:07}");
    move |rel: &str| {
        rel.starts_with(&format!("products/{id}/"))
            || rel == format!("api/v1/products/{id}.json")
            || rel.starts_with(&format!("labels/{id}/"))
            || rel.starts_with(&format!("labels/{id}."))
            || rel.starts_with(&gtin)
            || (rel.starts_with("certificates/") && rel.contains(&number))
    }
}

/// An edit a user makes to a record: what it is, the synthetic product it changes (`None`:
/// many), the record's path (relative to the site) and the change to its text.
pub type Edit = (String, Option<usize>, String, Box<dyn Fn(String) -> String>);

/// Edits to the records of a synthetic catalogue: rename product `renamed`, change the
/// model of `remodelled`, add a lot to `lot`, fail a test report of `failed`, and rename
/// a lab half the products name. `product(i)`: the path of product `i`'s record.
pub fn synth_edits(
    product: impl Fn(usize) -> String,
    [renamed, remodelled, lot, failed]: [usize; 4],
) -> Vec<Edit> {
    vec![
        (
            "rename a product".into(),
            Some(renamed),
            product(renamed),
            Box::new(move |t| {
                t.replace(
                    &format!("name: Synthetic product {renamed}"),
                    "name: Aardvark",
                )
            }),
        ),
        (
            "change a model".into(),
            Some(remodelled),
            product(remodelled),
            Box::new(move |t| t.replace(&format!("model: BB-{remodelled:06}"), "model: XQ-77")),
        ),
        (
            "add a lot".into(),
            Some(lot),
            product(lot),
            Box::new(move |t| {
                t.replace(
                    "evidence:\n",
                    &format!(
                        "  - {{ lot: \"L{lot}-new\", made: 2026-05, place: \"Ningbo, China\", factory: maker-1 }}\nevidence:\n"
                    ),
                )
            }),
        ),
        (
            "fail a test report".into(),
            Some(failed),
            product(failed),
            Box::new(|t| t.replacen("result: pass", "result: fail", 1)),
        ),
        (
            "rename a lab half the products name".into(),
            None,
            "content/parties/lab-1.yaml".into(),
            Box::new(|t| t.replace("name: Testing Lab 1", "name: Renamed Lab")),
        ),
    ]
}

/// The files of `out` that belong to a product or certificate (pages, twins, labels,
/// Digital Link paths), but not to one `mine` says is the edited one.
pub fn owned_elsewhere(out: &Path, mine: impl Fn(&str) -> bool) -> Vec<String> {
    super::read_tree(out)
        .into_keys()
        .filter(|rel| {
            [
                "products/",
                "certificates/",
                "01/",
                "api/v1/products/",
                "labels/",
            ]
            .iter()
            .any(|area| rel.starts_with(area))
                && !mine(rel)
        })
        .collect()
}

/// Applies `change` to the record at `file` (relative to `site`), which it must change.
pub fn edit(site: &Path, file: &str, change: &dyn Fn(String) -> String, what: &str) {
    let path = site.join(file);
    let before = std::fs::read_to_string(&path).unwrap();
    let after = change(before.clone());
    assert_ne!(before, after, "{what}: the edit changes nothing");
    std::fs::write(&path, after).unwrap();
}

/// Adds a product record `new_id` to `site`: the record at `file` (of product `id`) under
/// the new id, without its GTIN.
pub fn add_copy_without_gtin(site: &Path, file: &str, id: &str, new_id: &str) {
    let text: String = std::fs::read_to_string(site.join(file))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("gtin:"))
        .map(|l| match l.strip_prefix("id: ") {
            Some(i) if i == id => format!("id: {new_id}\n"),
            _ => format!("{l}\n"),
        })
        .collect();
    std::fs::write(site.join(format!("content/products/{new_id}.yaml")), text).unwrap();
}
