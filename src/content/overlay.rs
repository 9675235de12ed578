//! Record texts that stand in for files on disk, for `import` (issue 16): the site is
//! checked as it will be after the import, before anything is written, without copying
//! it. The record walker lists an overlaid file as if it were on disk (a new record), and
//! the reader takes its text from here rather than from the file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Path (as the loader joins it: the site root joined with the relative path) → text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overlay {
    texts: BTreeMap<PathBuf, String>,
}

impl Overlay {
    pub fn new() -> Self {
        Overlay::default()
    }

    /// `path` reads as `text` from now on.
    pub fn insert(&mut self, path: PathBuf, text: String) {
        self.texts.insert(path, text);
    }

    pub fn get(&self, path: &Path) -> Option<&str> {
        self.texts.get(path).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// `walked` (a folder's files as the walker found them, sorted) with the overlaid
    /// files under `dir` whose extension is one of `exts` added, sorted, each once.
    pub fn list(&self, dir: &Path, exts: &[&str], mut walked: Vec<PathBuf>) -> Vec<PathBuf> {
        if self.texts.is_empty() {
            return walked;
        }
        let extra = self.texts.keys().filter(|p| {
            p.starts_with(dir)
                && p.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| exts.contains(&e))
        });
        walked.extend(extra.cloned());
        walked.sort();
        walked.dedup();
        walked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_new_files_once_in_order_and_only_under_the_folder() {
        let mut o = Overlay::new();
        o.insert("/s/content/products/b.yaml".into(), "id: b\n".into());
        o.insert("/s/content/products/a.yaml".into(), "id: a\n".into());
        o.insert("/s/content/parties/p.yaml".into(), "id: p\n".into());
        o.insert("/s/content/products/notes.txt".into(), "x".into());
        let walked = vec![
            PathBuf::from("/s/content/products/a.yaml"),
            PathBuf::from("/s/content/products/c.yaml"),
        ];
        let listed = o.list(Path::new("/s/content/products"), &["yaml", "yml"], walked);
        assert_eq!(
            listed,
            ["a", "b", "c"].map(|n| PathBuf::from(format!("/s/content/products/{n}.yaml")))
        );
        assert_eq!(
            o.get(Path::new("/s/content/products/a.yaml")),
            Some("id: a\n")
        );
        assert_eq!(o.get(Path::new("/s/content/products/c.yaml")), None);
    }
}
