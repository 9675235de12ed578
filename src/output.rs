//! The write stage: a build writes into a staging folder beside the output folder and
//! swaps it in only when complete, so a failed build leaves the previous output exactly
//! as it was. The replaced output is moved aside into a trash folder and deleted in the
//! background: deleting 100k files takes over a minute on some disks, and no build
//! should wait for that.
//!
//! Because replacing a folder throws the old one away, certpress only ever replaces a
//! folder it wrote itself (it carries [`MARKER`]), and never one that holds or sits
//! inside the site's sources.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Written into every output folder; its presence says "certpress may replace this".
pub const MARKER: &str = ".certpress-output";

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

fn move_to_trash(target: &Path, path: &Path) -> io::Result<PathBuf> {
    let trash = trash_dir(target);
    fs::create_dir_all(&trash)?;
    let to = trash.join(unique());
    fs::rename(path, &to)?;
    Ok(to)
}

/// Why `target` may not be used as the output folder of the site at `root`, if it may not.
pub fn refuse_target(root: &Path, target: &Path) -> Option<String> {
    let canon = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    // The target may not exist yet: judge it by its parent's real location.
    let real = match (target.parent(), target.file_name()) {
        (Some(parent), Some(name)) if !parent.as_os_str().is_empty() => canon(parent).join(name),
        _ => canon(target),
    };
    let root = canon(root);
    if root.starts_with(&real) {
        return Some(format!(
            "{} holds the site itself; choose an output folder inside or beside it",
            target.display()
        ));
    }
    for source in ["content", "plugins", "themes", "site.toml"] {
        if real.starts_with(root.join(source)) {
            return Some(format!(
                "{} is inside the site's {source}; choose another output folder",
                target.display()
            ));
        }
    }
    let occupied = fs::read_dir(target).is_ok_and(|mut rd| rd.next().is_some());
    if occupied && !target.join(MARKER).is_file() {
        return Some(format!(
            "{} is not empty and was not written by certpress ({MARKER} is missing); \
             certpress replaces its output folder, so it will not use this one",
            target.display()
        ));
    }
    if fs::symlink_metadata(target).is_ok_and(|m| !m.is_dir()) {
        return Some(format!("{} exists and is not a folder", target.display()));
    }
    None
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
        fs::write(
            dir.join(MARKER),
            "Written by certpress: this folder is replaced on every build.\n",
        )?;
        Ok(Staging {
            dir,
            target: target.to_path_buf(),
            committed: false,
        })
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

    /// Swaps the finished output in place of the old one: atomically where the platform
    /// can exchange two paths, else by two renames, putting the old output back if the
    /// second fails.
    pub fn commit(mut self) -> io::Result<()> {
        if fs::symlink_metadata(&self.target).is_err() {
            fs::rename(&self.dir, &self.target)?;
        } else if exchange(&self.dir, &self.target).is_ok() {
            // The staging path now holds the old output.
            move_to_trash(&self.target, &self.dir)?;
        } else {
            let old = move_to_trash(&self.target, &self.target)?;
            if let Err(e) = fs::rename(&self.dir, &self.target) {
                let _ = fs::rename(&old, &self.target);
                return Err(e);
            }
        }
        self.committed = true;
        Ok(())
    }
}

/// Atomically swaps two paths (Linux `renameat2(RENAME_EXCHANGE)`).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let a = CString::new(a.as_os_str().as_bytes())?;
    let b = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both are valid NUL-terminated paths; AT_FDCWD resolves them relative to
    // the current folder, as std's rename does.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn exchange(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
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
        let first = Staging::new(&target).unwrap();
        first.write("old.html", b"old").unwrap();
        first.commit().unwrap();

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
        assert!(target.join(MARKER).is_file());

        sweep_trash(&target).join().unwrap();
        assert_eq!(fs::read_dir(trash_dir(&target)).unwrap().count(), 0);
    }

    #[test]
    fn refuses_targets_that_would_destroy_sources_or_foreign_folders() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in ["content", "plugins", "themes"] {
            fs::create_dir(root.join(f)).unwrap();
        }
        fs::write(root.join("site.toml"), "").unwrap();
        assert!(refuse_target(root, &root.join("public")).is_none());
        assert!(refuse_target(root, root).is_some());
        assert!(refuse_target(root, root.parent().unwrap()).is_some());
        assert!(refuse_target(root, &root.join("content")).is_some());
        assert!(refuse_target(root, &root.join("content/assets/out")).is_some());
        assert!(refuse_target(root, &root.join("site.toml")).is_some());

        let foreign = root.join("documents");
        fs::create_dir(&foreign).unwrap();
        fs::write(foreign.join("thesis.txt"), "precious").unwrap();
        assert!(refuse_target(root, &foreign).unwrap().contains(MARKER));
        fs::write(foreign.join(MARKER), "").unwrap();
        assert!(refuse_target(root, &foreign).is_none());
    }
}
