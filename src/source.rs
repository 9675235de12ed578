//! Reading the site's files safely: a size cap (a 100 MB "record" is an error, not an
//! out-of-memory), UTF-8 only, and references that must stay inside `content/`.

use crate::diagnostic::Diagnostic;
use std::fs;
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

/// Reads a text file of the site, refusing oversized and non-UTF-8 files.
pub fn read_text(root: &Path, path: &Path) -> Result<String, Diagnostic> {
    let rel = relative(root, path);
    let meta = fs::metadata(path)
        .map_err(|e| Diagnostic::error("unreadable-file", &rel, format!("cannot read: {e}")))?;
    if meta.len() > MAX_TEXT_BYTES {
        return Err(Diagnostic::error(
            "file-too-large",
            &rel,
            format!(
                "file is {} bytes; records, pages and plugin files may be at most {} bytes",
                meta.len(),
                MAX_TEXT_BYTES
            ),
        ));
    }
    let bytes = fs::read(path)
        .map_err(|e| Diagnostic::error("unreadable-file", &rel, format!("cannot read: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        let (line, column) = crate::diagnostic::line_col(
            &String::from_utf8_lossy(&e.as_bytes()[..e.utf8_error().valid_up_to()]),
            e.utf8_error().valid_up_to(),
        );
        Diagnostic::error("not-utf8", &rel, "file is not valid UTF-8").at(line, column)
    })
}

/// Resolves a file reference from a record (`image`, a report `file`): relative to
/// `content/`, it must exist and must not leave `content/` (no `..`, no absolute path,
/// no symbolic link pointing outside). Returns the path relative to `content/`.
pub fn asset(content_dir: &Path, reference: &str) -> Result<String, (&'static str, String)> {
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
    let full = content_dir.join(rel);
    let canonical = full.canonicalize().map_err(|_| {
        (
            "missing-file",
            format!("`{reference}` does not exist (looked for content/{reference})"),
        )
    })?;
    let base: PathBuf = content_dir
        .canonicalize()
        .unwrap_or_else(|_| content_dir.to_path_buf());
    if !canonical.starts_with(&base) {
        return Err((
            "path-escape",
            format!("`{reference}` leads outside content/ through a symbolic link"),
        ));
    }
    if !canonical.is_file() {
        return Err(("missing-file", format!("`{reference}` is not a file")));
    }
    // Only content/assets/ is published (as /assets/), so a reference elsewhere would
    // be a broken link on the site.
    if !reference.starts_with("assets/") {
        return Err((
            "asset-outside-assets",
            format!("`{reference}` must be under content/assets/ to be published"),
        ));
    }
    Ok(rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_references_stay_inside_content() {
        let dir = tempfile::tempdir().unwrap();
        let content = dir.path().join("content");
        fs::create_dir_all(content.join("assets")).unwrap();
        fs::write(content.join("assets/a.svg"), "<svg/>").unwrap();
        fs::write(dir.path().join("secret.txt"), "x").unwrap();
        fs::write(content.join("loose.svg"), "<svg/>").unwrap();
        assert_eq!(
            asset(&content, "loose.svg").unwrap_err().0,
            "asset-outside-assets"
        );
        assert_eq!(asset(&content, "assets/a.svg").unwrap(), "assets/a.svg");
        assert_eq!(
            asset(&content, "assets/b.svg").unwrap_err().0,
            "missing-file"
        );
        assert_eq!(
            asset(&content, "../secret.txt").unwrap_err().0,
            "path-escape"
        );
        assert_eq!(asset(&content, "/etc/passwd").unwrap_err().0, "path-escape");
        assert_eq!(asset(&content, "assets").unwrap_err().0, "missing-file");
        assert_eq!(
            asset(&content, "assets/../../secret.txt").unwrap_err().0,
            "path-escape"
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
}
