//! Which of the site's sources changed: `site.toml`, `certificates.lock`, and everything
//! under `content/`, `plugins/` and `themes/`. Nothing else (the output folder, `target/`,
//! editors' files beside site.toml) starts a rebuild.

use notify_debouncer_full::notify::{self, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Duration;

/// The folders watched whole, and the files watched at the top of the site.
const FOLDERS: [&str; 3] = ["content", "plugins", "themes"];
const FILES: [&str; 2] = [crate::config::FILE, crate::ledger::FILE];

/// How long a burst of events (an editor's save is several) settles before a rebuild.
const SETTLE: Duration = Duration::from_millis(50);

enum Message {
    Changed(DebounceEventResult),
    Stop,
}

pub struct Watch {
    root: PathBuf,
    debouncer: Debouncer<notify::RecommendedWatcher, RecommendedCache>,
    events: Receiver<Message>,
    sender: Sender<Message>,
    /// The source folders watched, with the inode each had: one created later, or
    /// deleted and made again (a branch switch, a restore), is watched anew.
    watched: Vec<(&'static str, u64)>,
}

/// Ends a [`Watch::next`] wait from another thread.
#[derive(Clone)]
pub struct Stopper(Sender<Message>);

impl Stopper {
    pub fn stop(&self) {
        let _ = self.0.send(Message::Stop);
    }
}

impl Watch {
    pub fn new(root: &Path) -> notify::Result<Watch> {
        // Events name absolute paths; a root given as `--root site` must compare.
        let root = &root.canonicalize()?;
        let (sender, events) = channel();
        let forward = sender.clone();
        let mut debouncer = new_debouncer(SETTLE, None, move |r| {
            let _ = forward.send(Message::Changed(r));
        })?;
        // The root alone (not its subfolders: `target/` or the output may be huge), to
        // see site.toml, the ledger, and source folders that appear later.
        debouncer.watch(root, RecursiveMode::NonRecursive)?;
        let mut watch = Watch {
            root: root.to_path_buf(),
            debouncer,
            events,
            sender,
            watched: Vec::new(),
        };
        watch.watch_folders()?;
        Ok(watch)
    }

    pub fn stopper(&self) -> Stopper {
        Stopper(self.sender.clone())
    }

    fn watch_folders(&mut self) -> notify::Result<()> {
        for folder in FOLDERS {
            let dir = self.root.join(folder);
            let Some(inode) = identity(&dir) else {
                continue;
            };
            if self.watched.contains(&(folder, inode)) {
                continue;
            }
            if self.watched.iter().any(|(f, _)| *f == folder) {
                // The old folder's watch died with it; this may say so.
                let _ = self.debouncer.unwatch(&dir);
                self.watched.retain(|(f, _)| *f != folder);
            }
            self.debouncer.watch(&dir, RecursiveMode::Recursive)?;
            self.watched.push((folder, inode));
        }
        Ok(())
    }

    /// Waits for the next change to the sources; the changed paths, relative to the
    /// site root. `None` once stopped. A watcher error (a folder removed under it, too
    /// many files to watch) counts as a change to everything, so the site is rebuilt
    /// and shows the problem rather than going stale.
    pub fn next(&mut self) -> Option<Vec<PathBuf>> {
        loop {
            let mut changed = match self.events.recv().ok()? {
                Message::Stop => return None,
                // Events were lost (the kernel's queue overflowed): anything may have
                // changed.
                Message::Changed(Ok(events)) if events.iter().any(|e| e.need_rescan()) => {
                    vec![PathBuf::from(crate::config::FILE)]
                }
                Message::Changed(Ok(events)) => events
                    .iter()
                    // Reading a file (as every rebuild does) is an event too.
                    .filter(|e| !matches!(e.kind, notify::EventKind::Access(_)))
                    .flat_map(|e| e.paths.iter())
                    .filter_map(|p| self.source(p))
                    .collect::<Vec<_>>(),
                Message::Changed(Err(errors)) => {
                    for e in errors {
                        eprintln!("warning: watching the site: {e}");
                    }
                    vec![PathBuf::from(crate::config::FILE)]
                }
            };
            if let Err(e) = self.watch_folders() {
                eprintln!("warning: watching the site: {e}");
            }
            changed.sort();
            changed.dedup();
            if !changed.is_empty() {
                return Some(changed);
            }
        }
    }

    /// `path` relative to the root, when it is one of the site's sources.
    fn source(&self, path: &Path) -> Option<PathBuf> {
        let rel = path.strip_prefix(&self.root).ok()?;
        let first = rel.components().next()?.as_os_str().to_str()?;
        let is_source = if rel.components().count() == 1 {
            FILES.contains(&first) || FOLDERS.contains(&first)
        } else {
            FOLDERS.contains(&first)
        };
        is_source.then(|| rel.to_path_buf())
    }
}

/// What tells a folder from another made at the same path (its inode on Unix).
fn identity(dir: &Path) -> Option<u64> {
    let m = std::fs::metadata(dir).ok().filter(|m| m.is_dir())?;
    #[cfg(unix)]
    {
        Some(std::os::unix::fs::MetadataExt::ino(&m))
    }
    #[cfg(not(unix))]
    {
        let _ = m;
        Some(0)
    }
}
