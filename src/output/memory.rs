//! Output held in memory: what `serve` renders into and shows, so a preview never
//! touches the output folder and a rebuild replaces pages without writing a file.

use super::Sink;
use std::collections::BTreeMap;
use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

/// Output files by path (`index.html`, `products/x/index.html`), shared without copying
/// with whoever serves them.
pub type Files = BTreeMap<String, Arc<[u8]>>;

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

    /// Keeps only the files `keep` accepts (a partial run forgets what no longer
    /// exists before it writes what it makes again).
    pub fn retain(&self, keep: impl Fn(&str) -> bool) {
        self.lock().retain(|path, _| keep(path));
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
    fn later_writes_replace_earlier_ones_and_retain_forgets() {
        let m = Memory::default();
        m.write("a/index.html", b"one").unwrap();
        m.write("a/index.html", b"two").unwrap();
        m.write("b.css", b"x").unwrap();
        m.retain(|p| p != "b.css");
        let files = m.into_files();
        assert_eq!(files.len(), 1);
        assert_eq!(&*files["a/index.html"], b"two");
    }
}
