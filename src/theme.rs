//! Themes: `themes/<name>/templates/` (tera) and `themes/<name>/static/` (copied as is).

use crate::diagnostic::Diagnostic;
use crate::source;
use std::path::{Path, PathBuf};

/// Templates every theme must provide.
pub const REQUIRED: [&str; 5] = [
    "index.html",
    "product.html",
    "guidance.html",
    "guidance_index.html",
    "404.html",
];

pub struct Theme {
    pub tera: tera::Tera,
    pub dir: PathBuf,
    /// Static files: (absolute path, path relative to `static/`).
    pub static_files: Vec<(PathBuf, String)>,
    /// What loading skipped and said so (symbolic links, ...), for the command to report.
    pub warnings: Vec<Diagnostic>,
}

pub fn load(root: &Path, name: &str) -> Result<Theme, Vec<Diagnostic>> {
    let dir = root.join("themes").join(name);
    if !dir.is_dir() {
        let mut available: Vec<String> = std::fs::read_dir(root.join("themes"))
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        available.sort();
        return Err(vec![
            Diagnostic::error(
                "unknown-theme",
                crate::config::FILE,
                format!("theme `{name}` not found: no folder themes/{name}/"),
            )
            .with_help(if available.is_empty() {
                "no themes/ folder: `certpress new` creates one".into()
            } else {
                format!("available: {}", available.join(", "))
            })
            .config(),
        ]);
    }
    let templates_dir = dir.join("templates");
    let mut sources = Vec::new();
    let (template_files, walk_diags) = source::walk(root, &templates_dir, None);
    let mut diags: Vec<Diagnostic> = walk_diags.into_iter().map(Diagnostic::config).collect();
    for path in template_files {
        let name = source::relative(&templates_dir, &path);
        match source::read_text(root, &path) {
            Ok(text) => sources.push((name, text)),
            Err(d) => diags.push(d.config()),
        }
    }
    let mut tera = tera::Tera::new();
    if let Err(e) = tera.add_raw_templates(sources.iter().map(|(n, t)| (n.as_str(), t.as_str()))) {
        diags.push(
            Diagnostic::error(
                "template-error",
                source::relative(root, &templates_dir),
                e.to_string(),
            )
            .config(),
        );
    }
    for required in REQUIRED {
        if !sources.iter().any(|(n, _)| n == required) {
            diags.push(
                Diagnostic::error(
                    "missing-template",
                    source::relative(root, &templates_dir),
                    format!("the theme has no `{required}` template"),
                )
                .config(),
            );
        }
    }
    let static_dir = dir.join("static");
    let (static_paths, walk_diags) = source::walk(root, &static_dir, None);
    diags.extend(walk_diags.into_iter().map(Diagnostic::config));
    if diags.iter().any(Diagnostic::is_error) {
        return Err(diags);
    }
    let static_files = static_paths
        .into_iter()
        .map(|p| {
            let rel = source::relative(&static_dir, &p);
            (p, rel)
        })
        .collect();
    Ok(Theme {
        tera,
        dir,
        static_files,
        warnings: diags,
    })
}
