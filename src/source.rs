//! Reading the site's files safely: one walker for every folder (sorted, hidden files
//! skipped, nothing dropped without a word), a size cap (a 100 MB "record" is an error,
//! not an out-of-memory), UTF-8 only, no symbolic link out of the site, and file
//! references that must stay inside `content/assets/`.

use crate::diagnostic::{Diagnostic, line_col};
use std::fs;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// No record, guidance page or plugin file is anywhere near this; a bigger file is a
/// mistake (or an attack) and is refused before it is read.
pub const MAX_TEXT_BYTES: u64 = 4 * 1024 * 1024;

/// `path` relative to `root`, with `/` separators, for diagnostics and URLs.
pub fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Why `path` may not be read as part of the site at `root`, if it may not: a symbolic
/// link on the way from `root` down to `path` (the folder being a link is as bad as the
/// file being one: `content/assets -> /etc` would publish `/etc`). Links are refused
/// whatever they point at, so no check of where they lead can be fooled by a link that
/// changes, and what certpress reads is exactly what the site's folder holds. `root`
/// itself may be a link (a site kept on another disk); a path outside `root` is refused.
pub fn confined(root: &Path, path: &Path) -> Result<(), Diagnostic> {
    let rel = relative(root, path);
    let Ok(inner) = path.strip_prefix(root) else {
        return Err(Diagnostic::error(
            "path-escape",
            &rel,
            "outside the site folder, which certpress does not read",
        ));
    };
    let mut at = root.to_path_buf();
    for component in inner.components() {
        match component {
            Component::Normal(name) => at.push(name),
            Component::CurDir => continue,
            _ => {
                return Err(Diagnostic::error(
                    "path-escape",
                    &rel,
                    "a path with `..` or a root, which could leave the site folder",
                ));
            }
        }
        match fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(Diagnostic::error(
                    "path-escape",
                    relative(root, &at),
                    "a symbolic link: certpress does not follow links, so nothing outside \
                     the site folder is ever read or published",
                )
                .with_help("copy the files into the site folder instead"));
            }
            // A missing part is for the caller to report as missing.
            _ => {}
        }
    }
    Ok(())
}

/// Files under `dir` in path order (SPEC §4.1: "files are read in path order"), skipping
/// hidden files and folders. With `exts`, only files with one of those extensions are
/// returned and any other file is reported as ignored. Walk errors are reported, and
/// symbolic links (files or folders, `dir` itself or any folder above it in the site)
/// are errors, neither followed nor listed. A missing `dir` is simply empty.
pub fn walk(root: &Path, dir: &Path, exts: Option<&[&str]>) -> (Vec<PathBuf>, Vec<Diagnostic>) {
    let mut files = Vec::new();
    let mut diags = Vec::new();
    if fs::symlink_metadata(dir).is_err() {
        return (files, diags);
    }
    if let Err(d) = confined(root, dir) {
        diags.push(d);
        return (files, diags);
    }
    let walker = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .follow_root_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let file = e
                    .path()
                    .map_or_else(|| relative(root, dir), |p| relative(root, p));
                diags.push(Diagnostic::error(
                    "unreadable-file",
                    file,
                    format!("cannot read: {e}"),
                ));
                continue;
            }
        };
        let rel = || relative(root, entry.path());
        if entry.path_is_symlink() {
            // An error, not a skipped file: the site would be published without what the
            // link stands for (a whole `content/products`), replacing the live one.
            diags.push(
                Diagnostic::error(
                    "path-escape",
                    rel(),
                    "a symbolic link: certpress does not follow links, so nothing outside \
                     the site folder is ever read or published",
                )
                .with_help("copy the files into the site folder instead"),
            );
        } else if entry.file_type().is_file() {
            match exts {
                None => files.push(entry.into_path()),
                Some(exts)
                    if entry
                        .path()
                        .extension()
                        .is_some_and(|x| exts.iter().any(|e| x == *e)) =>
                {
                    files.push(entry.into_path());
                }
                Some(exts) => diags.push(Diagnostic::warning(
                    "ignored-file",
                    rel(),
                    format!("ignored: only .{} files are read here", exts.join(" and .")),
                )),
            }
        } else if !entry.file_type().is_dir() {
            // A FIFO would block the first read forever; a socket or device is no file.
            // Where a file of the kind read here is expected, it is an error, as a link
            // is: the site would go out without the record it stands for.
            let wanted = exts.is_none_or(|exts| {
                entry
                    .path()
                    .extension()
                    .is_some_and(|x| exts.iter().any(|e| x == *e))
            });
            let message = "not a regular file (a pipe, socket or device)";
            diags.push(if wanted {
                Diagnostic::error("unreadable-file", rel(), format!("cannot read: {message}"))
            } else {
                Diagnostic::warning("ignored-file", rel(), format!("ignored: {message}"))
            });
        }
    }
    (files, diags)
}

/// Reads a text file of the site, refusing oversized and non-UTF-8 files and symbolic
/// links anywhere on its way from `root`.
pub fn read_text(root: &Path, path: &Path) -> Result<String, Diagnostic> {
    read_text_capped(root, path, MAX_TEXT_BYTES, "a record, page or plugin file")
}

/// Opens a regular file of the site for reading: no symbolic link on the way
/// ([`confined`]), and never blocking. A FIFO opened for reading waits for a writer
/// forever, so the file is opened non-blocking and refused unless it is a regular file.
pub fn open(root: &Path, path: &Path) -> Result<fs::File, Diagnostic> {
    confined(root, path)?;
    let rel = relative(root, path);
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW);
    }
    let file = options
        .open(path)
        .map_err(|e| Diagnostic::error("unreadable-file", &rel, format!("cannot read: {e}")))?;
    let meta = file
        .metadata()
        .map_err(|e| Diagnostic::error("unreadable-file", &rel, format!("cannot read: {e}")))?;
    if !meta.is_file() {
        return Err(Diagnostic::error(
            "unreadable-file",
            &rel,
            "not a regular file (a folder, pipe, socket or device)",
        ));
    }
    Ok(file)
}

/// Up to `cap` bytes of a site file opened by [`open`]; `None` when it cannot be read.
/// For showing source lines beside a diagnostic, where the file was read before.
pub fn read_prefix(root: &Path, path: &Path, cap: u64) -> Option<Vec<u8>> {
    let file = open(root, path).ok()?;
    let mut bytes = Vec::new();
    file.take(cap).read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

/// [`read_text`] with its own size cap, for files certpress writes itself (the
/// certificate ledger grows with every product and version).
pub fn read_text_capped(
    root: &Path,
    path: &Path,
    cap: u64,
    what: &str,
) -> Result<String, Diagnostic> {
    let rel = relative(root, path);
    let unreadable =
        |e: std::io::Error| Diagnostic::error("unreadable-file", &rel, format!("cannot read: {e}"));
    let file = open(root, path)?;
    let mut bytes = Vec::new();
    // Read at most one byte past the cap, however large the file is or grows.
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > cap {
        return Err(Diagnostic::error(
            "file-too-large",
            &rel,
            format!("file is over {cap} bytes, the most {what} may be"),
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let prefix = String::from_utf8_lossy(&e.as_bytes()[..valid]).into_owned();
        let (line, column) = line_col(&prefix, valid);
        Diagnostic::error("not-utf8", &rel, "file is not valid UTF-8").at(line, column)
    })
}

/// Asset file names become URL path segments: keep them to characters that need no
/// encoding.
fn is_url_safe(segment: &str) -> bool {
    !segment.is_empty()
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Resolves a file reference (`image`, a report `file`, a guidance image): relative to
/// `content/`, under `assets/` (the folder published as `/assets/`), made of URL-safe
/// names, not a symbolic link, and existing. Returns the path relative to `content/`.
pub fn asset(content_dir: &Path, reference: &str) -> Result<String, (&'static str, String)> {
    asset_in(content_dir, reference, &Folders::default())
}

/// The folders under `content/` that one load found to be folders and not links:
/// records name files in a few folders, which are then looked at once, not once a file.
#[derive(Debug, Default)]
pub struct Folders(std::sync::Mutex<std::collections::HashSet<PathBuf>>);

impl Folders {
    fn known(&self, dir: &Path) -> bool {
        self.0.lock().is_ok_and(|seen| seen.contains(dir))
    }

    fn add(&self, dir: &Path) {
        if let Ok(mut seen) = self.0.lock() {
            seen.insert(dir.to_path_buf());
        }
    }
}

/// [`asset`], with the folders already looked at during this load in `folders`.
pub fn asset_in(
    content_dir: &Path,
    reference: &str,
    folders: &Folders,
) -> Result<String, (&'static str, String)> {
    let rel = Path::new(reference);
    if reference.is_empty()
        || rel.is_absolute()
        || !rel.components().all(|c| matches!(c, Component::Normal(_)))
    {
        return Err((
            "path-escape",
            format!(
                "`{reference}` must be a relative path inside content/ (no `..`, no leading `/`)"
            ),
        ));
    }
    if !reference.starts_with("assets/") {
        return Err((
            "asset-outside-assets",
            format!("`{reference}` must be under content/assets/ to be published"),
        ));
    }
    if !reference.split('/').all(is_url_safe) {
        return Err((
            "bad-path",
            format!(
                "`{reference}`: file and folder names may use only A–Z, a–z, 0–9, `.`, `_` and `-`"
            ),
        ));
    }
    let full = content_dir.join(rel);
    let meta = fs::symlink_metadata(&full).map_err(|_| {
        (
            "missing-file",
            format!("`{reference}` does not exist (looked for content/{reference})"),
        )
    })?;
    // A link anywhere on the way would publish something else than the reference names:
    // the file and every folder between content/ and it must be what they say.
    let through_link = || {
        (
            "path-escape",
            format!("`{reference}` goes through a symbolic link, which certpress does not follow"),
        )
    };
    if meta.file_type().is_symlink() {
        return Err(through_link());
    }
    for dir in rel
        .ancestors()
        .skip(1)
        .filter(|d| !d.as_os_str().is_empty())
    {
        if folders.known(dir) {
            continue;
        }
        match fs::symlink_metadata(content_dir.join(dir)) {
            Ok(m) if m.file_type().is_dir() => folders.add(dir),
            _ => return Err(through_link()),
        }
    }
    if !meta.is_file() {
        return Err(("missing-file", format!("`{reference}` is not a file")));
    }
    Ok(reference.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_references_stay_inside_content_assets() {
        let dir = tempfile::tempdir().unwrap();
        let content = dir.path().join("content");
        fs::create_dir_all(content.join("assets")).unwrap();
        fs::write(content.join("assets/a.svg"), "<svg/>").unwrap();
        fs::write(content.join("assets/a b.svg"), "<svg/>").unwrap();
        fs::write(dir.path().join("secret.txt"), "x").unwrap();
        fs::write(content.join("loose.svg"), "<svg/>").unwrap();
        assert_eq!(asset(&content, "assets/a.svg").unwrap(), "assets/a.svg");
        assert_eq!(
            asset(&content, "loose.svg").unwrap_err().0,
            "asset-outside-assets"
        );
        assert_eq!(
            asset(&content, "assets/b.svg").unwrap_err().0,
            "missing-file"
        );
        assert_eq!(asset(&content, "assets/a b.svg").unwrap_err().0, "bad-path");
        assert_eq!(
            asset(&content, "assets/a.svg?x=1").unwrap_err().0,
            "bad-path"
        );
        assert_eq!(
            asset(&content, "../secret.txt").unwrap_err().0,
            "path-escape"
        );
        assert_eq!(
            asset(&content, "assets/../../secret.txt").unwrap_err().0,
            "path-escape"
        );
        assert_eq!(asset(&content, "/etc/passwd").unwrap_err().0, "path-escape");
        assert_eq!(
            asset(&content, "assets").unwrap_err().0,
            "asset-outside-assets"
        );
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(
                dir.path().join("secret.txt"),
                content.join("assets/link.txt"),
            )
            .unwrap();
            assert_eq!(
                asset(&content, "assets/link.txt").unwrap_err().0,
                "path-escape"
            );
            std::os::unix::fs::symlink(dir.path(), content.join("assets/up")).unwrap();
            assert_eq!(
                asset(&content, "assets/up/secret.txt").unwrap_err().0,
                "path-escape"
            );
        }
    }

    #[test]
    fn oversized_files_are_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.yaml");
        let f = fs::File::create(&big).unwrap();
        f.set_len(MAX_TEXT_BYTES + 1).unwrap();
        assert_eq!(
            read_text(dir.path(), &big).unwrap_err().code,
            "file-too-large"
        );
    }

    #[test]
    fn symlinks_out_of_the_site_are_refused() {
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("secret.yaml"), "id: x\n").unwrap();
        let site = tempfile::tempdir().unwrap();
        #[cfg(unix)]
        {
            let link = site.path().join("site.toml");
            std::os::unix::fs::symlink(outside.path().join("secret.yaml"), &link).unwrap();
            assert_eq!(
                read_text(site.path(), &link).unwrap_err().code,
                "path-escape"
            );
        }
    }

    #[test]
    fn walking_reports_what_it_skips() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("products");
        fs::create_dir_all(d.join("sub")).unwrap();
        fs::write(d.join("b.yaml"), "").unwrap();
        fs::write(d.join("sub/a.yml"), "").unwrap();
        fs::write(d.join("notes.txt"), "").unwrap();
        fs::write(d.join(".hidden.yaml"), "").unwrap();
        let (files, diags) = walk(dir.path(), &d, Some(&["yaml", "yml"]));
        let names: Vec<String> = files.iter().map(|p| relative(dir.path(), p)).collect();
        assert_eq!(names, vec!["products/b.yaml", "products/sub/a.yml"]);
        assert_eq!(diags.len(), 1);
        assert_eq!(
            (diags[0].code, diags[0].file.as_str()),
            ("ignored-file", "products/notes.txt")
        );
    }
}
