//! The write stage: a build writes into a staging folder beside the output folder and
//! swaps it in only when complete, so a failed build leaves the previous output exactly
//! as it was. The replaced output is moved aside into a trash folder and deleted in the
//! background: deleting 100k files takes over a minute on some disks, and no build
//! should wait for that.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn sibling(target: &Path, suffix: &str) -> PathBuf {
    let name = target
        .file_name()
        .map_or_else(|| "public".into(), |n| n.to_string_lossy().into_owned());
    target.with_file_name(format!(".{name}.{suffix}"))
}

/// Where replaced and abandoned output goes to be deleted.
pub fn trash_dir(target: &Path) -> PathBuf {
    sibling(target, "trash")
}

fn unique() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

fn move_to_trash(target: &Path, path: &Path) -> io::Result<()> {
    let trash = trash_dir(target);
    fs::create_dir_all(&trash)?;
    fs::rename(path, trash.join(unique()))
}

/// A build's output under construction.
#[derive(Debug)]
pub struct Staging {
    dir: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl Staging {
    pub fn new(target: &Path) -> io::Result<Staging> {
        if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent)?;
        }
        let dir = sibling(target, &format!("staging-{}", unique()));
        fs::create_dir(&dir)?;
        Ok(Staging {
            dir,
            target: target.to_path_buf(),
            committed: false,
        })
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Writes `bytes` at `rel` (a `/`-separated path inside the output), creating folders.
    pub fn write(&self, rel: &str, bytes: &[u8]) -> io::Result<()> {
        let path = self.dir.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(path, bytes)
    }

    /// Copies a file into the output at `rel`.
    pub fn copy(&self, from: &Path, rel: &str) -> io::Result<()> {
        let path = self.dir.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::copy(from, path).map(|_| ())
    }

    /// Swaps the finished output in place of the old one.
    pub fn commit(mut self) -> io::Result<()> {
        if fs::symlink_metadata(&self.target).is_ok() {
            move_to_trash(&self.target, &self.target)?;
        }
        fs::rename(&self.dir, &self.target)?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for Staging {
    /// An abandoned build's files are moved aside, never deleted inline.
    fn drop(&mut self) {
        if !self.committed {
            let _ = move_to_trash(&self.target, &self.dir);
        }
    }
}

/// Deletes what earlier builds moved aside, on a background thread. The build does not
/// wait for it; whatever is left when the process exits is deleted next time.
pub fn sweep_trash(target: &Path) -> std::thread::JoinHandle<()> {
    let trash = trash_dir(target);
    std::thread::spawn(move || {
        if let Ok(entries) = fs::read_dir(&trash) {
            for e in entries.flatten() {
                let _ = fs::remove_dir_all(e.path());
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_replaces_and_abandon_keeps_the_old_output() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("public");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("old.html"), "old").unwrap();

        let s = Staging::new(&target).unwrap();
        s.write("a/b/index.html", b"new").unwrap();
        drop(s);
        assert_eq!(fs::read_to_string(target.join("old.html")).unwrap(), "old");
        assert!(!target.join("a").exists());

        let s = Staging::new(&target).unwrap();
        s.write("a/b/index.html", b"new").unwrap();
        s.commit().unwrap();
        assert_eq!(
            fs::read_to_string(target.join("a/b/index.html")).unwrap(),
            "new"
        );
        assert!(!target.join("old.html").exists());

        sweep_trash(&target).join().unwrap();
        assert_eq!(fs::read_dir(trash_dir(&target)).unwrap().count(), 0);
    }
}
