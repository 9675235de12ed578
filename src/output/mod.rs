//! The write stage: a build writes into a staging folder beside the output folder and
//! swaps it in only when complete, so a failed or killed build leaves the previous
//! output exactly as it was. The replaced output is moved aside into a trash folder and
//! deleted in the background: deleting 100k files takes over a minute on some disks, and
//! no build should wait for that.
//!
//! `labels` replaces only `<output>/labels/` the same way ([`Staging::subtree`]): the
//! labels it does not rewrite are carried over as hard links, and the new folder is
//! swapped in whole.
//!
//! Because replacing a folder throws the old one away, certpress only ever replaces a
//! folder it wrote itself (it carries [`MARKER`]), and never one that holds or sits
//! inside the site's sources; and it only deletes from its trash what carries the
//! marker. A staging folder is locked while its run lives, so folders left by a killed
//! run are told apart from those of a run still going, and swept.

pub mod manifest;
mod memory;

pub use manifest::Manifest;
pub use memory::{Files, Memory};

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Where a run's files go: a staging folder (`build`, `labels`) or memory (`serve`). The
/// render and print stages write through this from many threads at once.
pub trait Sink: Sync {
    /// Writes `bytes` at `rel`, a `/`-separated path inside the output.
    fn write(&self, rel: &str, bytes: &[u8]) -> io::Result<()>;
    /// [`Sink::write`] for bytes kept elsewhere too (memory keeps them without a copy).
    fn write_shared(&self, rel: &str, bytes: &std::sync::Arc<[u8]>) -> io::Result<()> {
        self.write(rel, bytes)
    }
    /// Publishes the site file `from` at `rel`.
    fn copy(&self, from: &Path, rel: &str) -> io::Result<()>;
}

/// Written into every output folder; its presence says "certpress may replace this".
pub const MARKER: &str = ".certpress-output";
const MARKER_TEXT: &str = "Written by certpress: this folder is replaced on every build.\n";

/// How old an unlocked staging folder must be before it counts as abandoned.
pub const STAGING_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn name_of(target: &Path) -> String {
    target
        .file_name()
        .map_or_else(|| "public".into(), |n| n.to_string_lossy().into_owned())
}

fn sibling(target: &Path, suffix: &str) -> PathBuf {
    target.with_file_name(format!(".{}.{suffix}", name_of(target)))
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
    // The staging and trash folders are named after the target's last component: a
    // target like `.` or `out/..` has none to go beside.
    if !matches!(
        target.components().next_back(),
        Some(std::path::Component::Normal(_))
    ) {
        return Some(format!(
            "{} does not end in a folder name; name the output folder itself (e.g. ../public)",
            target.display()
        ));
    }
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
    // A folder that cannot be listed is not known to be empty.
    let occupied = match fs::read_dir(target) {
        Ok(mut rd) => rd.next().is_some(),
        Err(e) => e.kind() != io::ErrorKind::NotFound,
    };
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

/// [`refuse_target`] as the diagnostic a command reports (a configuration error).
pub fn check_target(root: &Path, target: &Path) -> Result<(), crate::diagnostic::Diagnostic> {
    match refuse_target(root, target) {
        None => Ok(()),
        Some(why) => Err(crate::diagnostic::Diagnostic::error(
            "bad-output",
            target.display().to_string(),
            why,
        )
        .config()),
    }
}

/// Checks `target` may be written ([`check_target`]), then takes its [`TargetLock`] and
/// checks again under it: nothing is created beside a refused folder, and what was
/// checked is what the run replaces.
pub fn claim(
    root: &Path,
    target: &Path,
    waiting: impl FnOnce(),
) -> Result<TargetLock, crate::diagnostic::Diagnostic> {
    check_target(root, target)?;
    let lock = TargetLock::acquire(target, waiting).map_err(|e| {
        crate::diagnostic::Diagnostic::error(
            "write-failed",
            target.display().to_string(),
            format!("cannot lock the output folder: {e}"),
        )
        .config()
    })?;
    check_target(root, target)?;
    Ok(lock)
}

/// A build's output under construction.
#[derive(Debug)]
pub struct Staging {
    /// The staging folder, a sibling of the target.
    dir: PathBuf,
    target: PathBuf,
    /// `None`: the staging folder becomes the whole target. `Some(sub)`: only
    /// `dir/sub` replaces `target/sub`; the rest of the target stays.
    subtree: Option<String>,
    /// Held open and locked while this run lives: an unlocked staging folder is one a
    /// killed run left behind ([`sweep_trash`]).
    _lock: Option<fs::File>,
    committed: bool,
    /// The previous output's files that may be linked instead of written again, by path
    /// (those whose size and time still match its manifest); empty for a clean build.
    reuse: manifest::Reusable,
    /// The manifest of this output, written as files are (`build` only).
    record: Option<manifest::Writer>,
    /// Files written, files rendered and linked from the previous output (the same
    /// bytes), and files linked from it without being rendered ([`Staging::carry`]).
    pub written: AtomicU64,
    pub linked: AtomicU64,
    pub carried: AtomicU64,
}

/// Locks `dir` for as long as the returned handle lives (flock on the folder itself;
/// the kernel drops it when the process dies, however it dies).
fn lock(dir: &Path) -> Option<fs::File> {
    let handle = fs::File::open(dir).ok()?;
    handle.try_lock().ok()?;
    Some(handle)
}

impl Staging {
    /// Staging for the whole output folder `target` (what `build` writes).
    pub fn new(target: &Path) -> io::Result<Staging> {
        Self::create(target, None)
    }

    /// Staging for the whole output folder `target` that records a [`Manifest`], and
    /// links a file whose bytes equal those of the previous output's file at the same path
    /// (in `reuse`, its entries still intact) instead of writing it: that file keeps its
    /// bytes, inode and modification time.
    pub fn reusing(target: &Path, reuse: manifest::Reusable) -> io::Result<Staging> {
        let mut staging = Self::create(target, None)?;
        staging.record = Some(manifest::Writer::new(target)?);
        staging.reuse = reuse;
        // The marker too: its bytes never change.
        staging.put(MARKER, MARKER_TEXT.as_bytes())?;
        Ok(staging)
    }

    /// Staging for `target/sub` only (what `labels` writes): starts as a copy of what is
    /// there now (hard links, so nothing is read or duplicated), and replaces that
    /// folder alone. A target that does not exist yet, or is empty, is staged whole, so
    /// it gets its marker and a later `build` may replace it.
    pub fn subtree(target: &Path, sub: &str) -> io::Result<Staging> {
        // A target that does not exist, or is empty, is staged whole (`check_target`
        // has refused one that cannot be listed).
        let whole = match fs::read_dir(target) {
            Ok(mut rd) => rd.next().is_none(),
            Err(e) => e.kind() == io::ErrorKind::NotFound,
        };
        if whole {
            return Self::create(target, None);
        }
        let staging = Self::create(target, Some(sub.to_string()))?;
        let from = target.join(sub);
        if from.is_dir() {
            link_tree(&from, &staging.dir.join(sub))?;
        }
        Ok(staging)
    }

    fn create(target: &Path, subtree: Option<String>) -> io::Result<Staging> {
        if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent)?;
        }
        let dir = sibling(target, &format!("staging-{}", unique()));
        fs::create_dir(&dir)?;
        let lock = lock(&dir);
        fs::write(dir.join(MARKER), MARKER_TEXT)?;
        Ok(Staging {
            dir,
            target: target.to_path_buf(),
            subtree,
            _lock: lock,
            committed: false,
            reuse: Default::default(),
            record: None,
            written: AtomicU64::new(0),
            linked: AtomicU64::new(0),
            carried: AtomicU64::new(0),
        })
    }

    /// Puts `bytes` at `rel`: a hard link to the previous output's file when its bytes
    /// are the same, else a new file; and records it in the manifest.
    fn put(&self, rel: &str, bytes: &[u8]) -> io::Result<()> {
        let Some(record) = &self.record else {
            self.written.fetch_add(1, Ordering::Relaxed);
            return io::Write::write_all(&mut self.new_file(rel)?, bytes);
        };
        let hash = manifest::hash(bytes);
        if let Some(old) = self.reuse.get(rel)
            && old.size == bytes.len() as u64
            && old.hash == hash
            && fs::hard_link(self.target.join(rel), self.place(rel)?).is_ok()
        {
            record.record(rel, old);
            self.linked.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        let mut file = self.new_file(rel)?;
        io::Write::write_all(&mut file, bytes)?;
        // The time the kernel stamped on the write; closing does not change it.
        let meta = file.metadata()?;
        if let Some(modified) = manifest::modified(&meta) {
            let entry = manifest::Entry {
                size: bytes.len() as u64,
                modified,
                hash,
            };
            record.record(rel, &entry);
        }
        self.written.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Links each of `files` (paths in the output this one replaces, with their entries
    /// in its manifest, intact) into the staging folder without reading it, and records
    /// it: the files of what did not change since the previous build, which this one does
    /// not render. A file that cannot be linked is copied.
    pub fn carry(&self, files: &[(String, manifest::Entry)]) -> io::Result<()> {
        use rayon::prelude::*;
        // Each folder once, not once per file (a site has nearly a folder per file): a
        // level at a time, each level's folders side by side.
        let mut folders: std::collections::BTreeSet<(usize, &str)> = Default::default();
        for (rel, _) in files {
            let mut path = rel.as_str();
            while let Some((dir, _)) = path.rsplit_once('/') {
                if !folders.insert((dir.matches('/').count(), dir)) {
                    break;
                }
                path = dir;
            }
        }
        let folders: Vec<(usize, &str)> = folders.into_iter().collect();
        for level in folders.chunk_by(|a, b| a.0 == b.0) {
            level
                .par_iter()
                .try_for_each(|(_, dir)| match fs::create_dir(self.dir.join(dir)) {
                    Err(e) if e.kind() != io::ErrorKind::AlreadyExists => Err(e),
                    _ => Ok(()),
                })?;
        }
        files.par_iter().try_for_each(|(rel, entry)| {
            let (from, to) = (self.target.join(rel), self.dir.join(rel));
            match fs::hard_link(&from, &to) {
                Ok(()) => {
                    if let Some(record) = &self.record {
                        record.record(rel, entry);
                    }
                    self.carried.fetch_add(1, Ordering::Relaxed);
                    return Ok(());
                }
                // Put there already by this build (and recorded): never copied over, as
                // it may be a link to the very file it would be copied from.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(()),
                Err(_) => {}
            }
            fs::copy(&from, &to)?;
            let meta = fs::metadata(&to)?;
            if let (Some(record), Some(modified)) = (&self.record, manifest::modified(&meta)) {
                let copied = manifest::Entry { modified, ..*entry };
                record.record(rel, &copied);
            }
            self.written.fetch_add(1, Ordering::Relaxed);
            Ok(())
        })
    }

    /// Whether the previous output's file at `rel` is still as `entry` (its manifest's
    /// last line for it) says.
    pub fn as_written(&self, rel: &str, entry: &manifest::Entry) -> bool {
        self.reuse.get(rel) == Some(entry)
    }

    /// The path of `rel` in the staging folder, its folders created, and no file there:
    /// a file carried over by [`Staging::subtree`] is a hard link to the published one,
    /// which must never be written through.
    fn place(&self, rel: &str) -> io::Result<PathBuf> {
        let path = self.dir.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        match fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        Ok(path)
    }

    /// A new file at `rel` in the staging folder, as [`Staging::place`] leaves it (its
    /// folders made, nothing there before) but in one system call when its folder exists
    /// and the path is free, as it is for nearly every file a build writes: the folder is
    /// made, or what is there removed, only when creating the file says so. A fresh
    /// 10,000-product build made 137,000 files with a `mkdir`, a `statx` and an `unlink`
    /// before each.
    fn new_file(&self, rel: &str) -> io::Result<fs::File> {
        let path = self.dir.join(rel);
        match fs::File::create_new(&path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if let Some(parent) = path.parent() {
                    fs::create_dir_all(parent)?;
                }
            }
            // A file carried over is a hard link to the published one: never written
            // through.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => fs::remove_file(&path)?,
            made => return made,
        }
        fs::File::create_new(&path)
    }

    /// Swaps the finished output in place of the old one: atomically where the platform
    /// can exchange two paths, else by two renames, putting the old output back if the
    /// second fails.
    pub fn commit(mut self) -> io::Result<()> {
        self.record = None;
        self.swap()
    }

    /// [`Staging::commit`], then puts the manifest recorded since [`Staging::reusing`]
    /// beside the output, with `sources`, `summary` and `inputs` (the swap has happened
    /// even when this fails: the old manifest is removed, and the next build writes every
    /// file).
    pub fn commit_recorded(
        mut self,
        (sources, summary, inputs): (String, manifest::Summary, Option<manifest::Inputs>),
    ) -> io::Result<()> {
        let record = self.record.take();
        let tree = manifest::tree_id(&self.dir);
        let target = self.target.clone();
        self.swap()?;
        if let (Some(record), Some(tree)) = (record, tree)
            && record
                .finish(&target, tree, sources, summary, inputs)
                .is_err()
        {
            Manifest::remove(&target);
        }
        Ok(())
    }

    fn swap(&mut self) -> io::Result<()> {
        let (new, old) = match &self.subtree {
            None => (self.dir.clone(), self.target.clone()),
            Some(sub) => {
                let new = self.dir.join(sub);
                fs::create_dir_all(&new)?;
                (new, self.target.join(sub))
            }
        };
        // Once the new output is in place the run has succeeded: putting the old one
        // aside is housekeeping, and a staging folder left behind is swept later.
        if fs::symlink_metadata(&old).is_err() {
            fs::rename(&new, &old)?;
            self.committed = true;
            if self.subtree.is_some() {
                let _ = move_to_trash(&self.target, &self.dir);
            }
        } else if exchange(&new, &old).is_ok() {
            // The staging path now holds the old output.
            self.committed = true;
            let _ = move_to_trash(&self.target, &self.dir);
        } else {
            // The old output is parked where the trash will know it: a whole output
            // carries the marker itself; a subtree goes inside the staging folder.
            let parked = match self.subtree {
                None => move_to_trash(&self.target, &old)?,
                Some(_) => {
                    let parked = self.dir.join(".replaced");
                    fs::rename(&old, &parked)?;
                    parked
                }
            };
            if let Err(e) = fs::rename(&new, &old) {
                let _ = fs::rename(&parked, &old);
                return Err(e);
            }
            self.committed = true;
            if self.subtree.is_some() {
                let _ = move_to_trash(&self.target, &self.dir);
            }
        }
        Ok(())
    }
}

/// Recreates the tree `from` at `to` with hard links to its files (a copy where a link
/// cannot be made).
fn link_tree(from: &Path, to: &Path) -> io::Result<()> {
    for entry in walkdir::WalkDir::new(from).follow_links(false) {
        let entry = entry.map_err(io::Error::other)?;
        let dest = to.join(entry.path().strip_prefix(from).map_err(io::Error::other)?);
        if entry.file_type().is_dir() {
            fs::create_dir_all(&dest)?;
        } else if entry.file_type().is_file() && fs::hard_link(entry.path(), &dest).is_err() {
            fs::copy(entry.path(), &dest)?;
        }
    }
    Ok(())
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

impl Sink for Staging {
    /// Creates the folders `rel` needs.
    fn write(&self, rel: &str, bytes: &[u8]) -> io::Result<()> {
        self.put(rel, bytes)
    }

    fn copy(&self, from: &Path, rel: &str) -> io::Result<()> {
        if self.record.is_some() {
            // Read to be hashed: the site's static files are small.
            return self.put(rel, &fs::read(from)?);
        }
        self.written.fetch_add(1, Ordering::Relaxed);
        fs::copy(from, self.place(rel)?).map(|_| ())
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

/// Deletes what earlier runs moved aside, and the staging folders of runs that were
/// killed (unlocked ones: a run still going holds its lock), on a background thread.
/// The run does not wait for it; whatever is left when the process exits is deleted
/// next time. Only folders carrying [`MARKER`] are deleted: the trash folder's name could
/// be someone else's.
pub fn sweep_trash(target: &Path) -> std::thread::JoinHandle<()> {
    let target = target.to_path_buf();
    std::thread::spawn(move || {
        background_priority();
        park_abandoned(&target);
        if let Ok(entries) = fs::read_dir(trash_dir(&target)) {
            for e in entries.flatten() {
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    remove_marked(&e.path());
                }
            }
        }
    })
}

/// Gives the calling thread the lowest CPU and I/O priority (Linux): deleting the last
/// build's 170,000 files took a sixth of a build's CPU and contended with its writes.
/// Best effort: where the calls are refused the sweep runs as it did.
fn background_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: plain system calls on this thread, with no pointers.
    unsafe {
        let thread = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, thread as libc::id_t, 19);
        // ioprio_set(IOPRIO_WHO_PROCESS, thread, IOPRIO_CLASS_IDLE << 13).
        const IOPRIO_WHO_PROCESS: libc::c_long = 1;
        const IOPRIO_CLASS_IDLE: libc::c_long = 3;
        libc::syscall(
            libc::SYS_ioprio_set,
            IOPRIO_WHO_PROCESS,
            libc::c_long::from(thread),
            IOPRIO_CLASS_IDLE << 13,
        );
    }
}

/// Moves the staging folders of killed runs beside `target` into its trash (renames
/// only, quick: a build with nothing to do does this before it returns, and leaves the
/// deleting to [`sweep_trash`]).
pub fn park_abandoned(target: &Path) {
    let prefix = format!(".{}.staging-", name_of(target));
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if let Ok(entries) = fs::read_dir(&parent) {
        for e in entries.flatten() {
            // A run creates its folder and then locks it: a folder only just made
            // may be a live run's that is not locked yet.
            let settled = e
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t.elapsed().is_ok_and(|age| age >= STAGING_GRACE));
            let abandoned = e.file_name().to_string_lossy().starts_with(&prefix)
                && e.file_type().is_ok_and(|t| t.is_dir())
                && settled
                && lock(&e.path()).is_some();
            if abandoned {
                let _ = move_to_trash(target, &e.path());
            }
        }
    }
}

/// Deletes `dir` if it carries [`MARKER`], the marker last: a sweep cut short (the
/// process exits as soon as its run is done) leaves a folder the next sweep still
/// recognises. An empty folder (a swapped-out empty target, a staging folder killed
/// before its marker was written) goes too: deleting it cannot lose anything.
fn remove_marked(dir: &Path) {
    let marker = dir.join(MARKER);
    if fs::symlink_metadata(&marker).is_ok_and(|m| m.is_file()) {
        if let Ok(entries) = fs::read_dir(dir) {
            for e in entries.flatten() {
                if e.file_name() == MARKER {
                    continue;
                }
                let _ = match e.file_type() {
                    Ok(t) if t.is_dir() => fs::remove_dir_all(e.path()),
                    _ => fs::remove_file(e.path()),
                };
            }
        }
        let _ = fs::remove_file(&marker);
    }
    let _ = fs::remove_dir(dir);
}

/// Held by a run that writes an output folder, from the check of the folder until its
/// new content is swapped in: a `build` and a `labels` (or two of either) on one output
/// take turns, so neither swaps in a tree made from what the other replaced. The lock
/// is on `.<output>.lock` beside the output (not the output, which is swapped).
#[derive(Debug)]
pub struct TargetLock {
    _file: fs::File,
}

impl TargetLock {
    /// Waits for the lock, calling `waiting` once if another run holds it.
    pub fn acquire(target: &Path, waiting: impl FnOnce()) -> io::Result<TargetLock> {
        if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent)?;
        }
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(sibling(target, "lock"))?;
        if file.try_lock().is_err() {
            waiting();
            file.lock()?;
        }
        Ok(TargetLock { _file: file })
    }
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
