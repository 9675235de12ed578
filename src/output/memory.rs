//! Output held in memory: what `serve` renders into and shows, so a preview never
//! touches the output folder and a rebuild replaces pages without writing a file.

use super::Sink;
use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

/// Output files by path (`index.html`, `products/x/index.html`), sorted, shared without
/// copying with whoever serves them; a clone is cheap and shares every file and most of
/// the map.
pub type Files = imbl::OrdMap<String, Arc<[u8]>>;

#[derive(Debug, Default)]
pub struct Memory {
    files: Mutex<Files>,
}

impl Memory {
    /// Starts from `files` (an earlier run's), so a partial run replaces what it writes
    /// and keeps the rest.
    pub fn new(files: Files) -> Memory {
        Memory {
            files: Mutex::new(files),
        }
    }

    /// Forgets the files under `prefix` that `whose` accepts (a partial run forgets what
    /// it makes again first, so what it no longer makes is gone). Only the files under
    /// the prefix are looked at, however many there are in all.
    pub fn forget(&self, prefix: &str, whose: impl Fn(&str) -> bool) {
        let mut files = self.lock();
        let under: Vec<String> = files
            .range::<_, str>((
                std::ops::Bound::Included(prefix),
                std::ops::Bound::Unbounded,
            ))
            .map(|(path, _)| path)
            .take_while(|path| path.starts_with(prefix))
            .filter(|path| whose(path))
            .cloned()
            .collect();
        for path in under {
            files.remove(&path);
        }
    }

    pub fn into_files(self) -> Files {
        self.files
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Files> {
        // A panic elsewhere cannot leave the map half-changed: inserts are single steps.
        self.files.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Sink for Memory {
    fn write(&self, rel: &str, bytes: &[u8]) -> io::Result<()> {
        self.lock().insert(rel.to_string(), Arc::from(bytes));
        Ok(())
    }

    fn write_shared(&self, rel: &str, bytes: &Arc<[u8]>) -> io::Result<()> {
        self.lock().insert(rel.to_string(), Arc::clone(bytes));
        Ok(())
    }

    fn copy(&self, from: &Path, rel: &str) -> io::Result<()> {
        let bytes = std::fs::read(from)?;
        self.lock().insert(rel.to_string(), Arc::from(bytes));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_writes_replace_earlier_ones_and_forget_looks_under_its_prefix() {
        let m = Memory::default();
        m.write("a/index.html", b"one").unwrap();
        m.write("a/index.html", b"two").unwrap();
        m.write("b.css", b"x").unwrap();
        m.write("a/b/index.html", b"x").unwrap();
        m.write("ab.css", b"x").unwrap();
        m.forget("b.css", |_| true);
        m.forget("a/", |p| p != "a/index.html");
        let files = m.into_files();
        let paths: Vec<&String> = files.keys().collect();
        assert_eq!(paths, ["a/index.html", "ab.css"]);
        assert_eq!(&*files["a/index.html"], b"two");
    }
}
