//! Files certpress writes for others (`certpress export ...`): where they go and how.
//! Never into the public site: retest plans, customs data and marketplace packs are the
//! seller's business, and a build would publish them or delete them.

use crate::site::Site;
use std::path::{Component, Path, PathBuf};

/// The folder `export` writes to when no `--output` is given, beside `content/`.
pub const DEFAULT_FOLDER: &str = "exports";

/// Where `export` writes: `--output DIR`, else `exports/` in the site folder. Refused
/// when it is, or lies inside, the public site's output folder (`build.output`): a build
/// would publish the seller's retest plan, or delete it.
pub fn target(site: &Site, output: Option<PathBuf>) -> Result<PathBuf, String> {
    // The default folder is inside the site, which anyone may have written: it must be
    // a folder of the site, not a link to one elsewhere (`--output` is the user's own
    // choice and may be anywhere).
    if output.is_none() {
        let default = site.root.join(DEFAULT_FOLDER);
        if std::fs::symlink_metadata(&default).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(format!(
                "{} is a link: exports go into a folder of the site, or where --output says",
                default.display()
            ));
        }
    }
    let target = output.unwrap_or_else(|| site.root.join(DEFAULT_FOLDER));
    let public = site.root.join(&site.config.output);
    if resolved(&target).starts_with(resolved(&public)) {
        return Err(format!(
            "{} is inside the site's output folder ({}): exports are not published; choose a folder outside it",
            target.display(),
            site.config.output.display()
        ));
    }
    Ok(target)
}

/// `path` made absolute, with `.` and `..` taken out and the links in the part that
/// exists followed, so two spellings of one folder compare equal.
fn resolved(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut clean = PathBuf::new();
    for c in absolute.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                clean.pop();
            }
            c => clean.push(c),
        }
    }
    // The longest part that exists, with its links followed, and the rest as written.
    let mut rest = Vec::new();
    let mut base = clean.as_path();
    loop {
        if let Ok(real) = base.canonicalize() {
            let mut out = real;
            out.extend(rest.iter().rev());
            return out;
        }
        match (base.file_name(), base.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_os_string());
                base = parent;
            }
            _ => return clean,
        }
    }
}

/// Writes `contents` as `<dir>/<name>`, whole or not at all (a temporary file renamed
/// over it), creating `dir`. The temporary file is made new, never opened through a
/// link left where it goes (a site folder is anyone's: a link there must not make
/// certpress write over a file elsewhere); the rename replaces a link at `name` itself
/// rather than writing through it.
pub fn write(dir: &Path, name: &str, contents: &[u8]) -> std::io::Result<PathBuf> {
    use std::io::Write;
    std::fs::create_dir_all(dir)?;
    let path = dir.join(name);
    let temporary = dir.join(format!(".{name}.tmp"));
    // A temporary file left by an interrupted run (or a planted link) is removed, not
    // followed: removing a link removes the link.
    match std::fs::remove_file(&temporary) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temporary)?;
    file.write_all(contents)?;
    file.sync_all()?;
    std::fs::rename(&temporary, &path)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(unix)]
    fn a_link_where_the_temporary_file_goes_is_not_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, "keep").unwrap();
        let out = dir.path().join("exports");
        std::fs::create_dir(&out).unwrap();
        std::os::unix::fs::symlink(&victim, out.join(".retests.ics.tmp")).unwrap();
        write(&out, "retests.ics", b"BEGIN:VCALENDAR").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        assert_eq!(
            std::fs::read_to_string(out.join("retests.ics")).unwrap(),
            "BEGIN:VCALENDAR"
        );
    }
}
