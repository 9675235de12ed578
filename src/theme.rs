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
    /// The site's own `static/` folder (not the theme's), published at the output root
    /// (`CNAME`, `favicon.ico`, `_headers`): (absolute path, path relative to `static/`).
    /// Loaded with the theme, so `check` reports its problems as `build` does.
    pub root_files: Vec<(PathBuf, String)>,
    /// What loading skipped and said so (symbolic links, ...), for the command to report.
    pub warnings: Vec<Diagnostic>,
    /// The theme's fonts (`fonts/`), read when a document set by certpress (a
    /// certificate PDF) first needs them.
    fonts: std::sync::OnceLock<Result<std::sync::Arc<crate::label::font::Fonts>, Diagnostic>>,
    root: PathBuf,
}

impl Theme {
    /// The theme's fonts, for certificate PDFs (labels load their own with the printer).
    pub fn fonts(&self) -> Result<std::sync::Arc<crate::label::font::Fonts>, Diagnostic> {
        self.fonts
            .get_or_init(|| {
                crate::label::font::Fonts::for_theme(&self.root, &self.dir).map(std::sync::Arc::new)
            })
            .clone()
    }
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
        let rel = source::relative(root, &templates_dir);
        diags.extend(template_error(&rel, &rel, &e));
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
    // The site's static/ folder, walked as content/assets is: no link followed, nothing
    // outside the site read.
    let root_dir = root.join("static");
    let (root_paths, walk_diags) = source::walk(root, &root_dir, None);
    diags.extend(walk_diags.into_iter().map(Diagnostic::config));
    if diags.iter().any(Diagnostic::is_error) {
        return Err(diags);
    }
    let relative_to = |dir: &Path, paths: Vec<PathBuf>| -> Vec<(PathBuf, String)> {
        paths
            .into_iter()
            .map(|p| {
                let rel = source::relative(dir, &p);
                (p, rel)
            })
            .collect()
    };
    let static_files = relative_to(&static_dir, static_paths);
    let root_files = relative_to(&root_dir, root_paths);
    Ok(Theme {
        tera,
        dir,
        static_files,
        root_files,
        warnings: diags,
        fonts: std::sync::OnceLock::new(),
        root: root.to_path_buf(),
    })
}

/// A template problem at its template's file, line and column when tera located it (the
/// terminal and `serve`'s overlay show the source there); else at `fallback`, with tera's
/// whole report as the message. Tera reports the unknown filters, tests, functions and
/// includes of all templates in one message, a located report each: those become one
/// diagnostic each.
pub fn template_error(templates_dir: &str, fallback: &str, e: &tera::Error) -> Vec<Diagnostic> {
    let located = |file: &str, line: usize, column: usize, message: &str| {
        Diagnostic::error("template-error", format!("{templates_dir}/{file}"), message)
            .at(line, column)
            .config()
    };
    match e.kind() {
        tera::ErrorKind::SyntaxError(r) | tera::ErrorKind::RenderingError(r)
            if !r.filename().is_empty() =>
        {
            let span = r.span();
            vec![located(
                r.filename(),
                span.start_line,
                span.start_col + 1,
                r.message(),
            )]
        }
        _ => {
            let text = e.to_string();
            let reports: Vec<Diagnostic> = reports(&text)
                .into_iter()
                .map(|(message, file, line, column)| located(file, line, column, message))
                .collect();
            if reports.is_empty() {
                vec![Diagnostic::error("template-error", fallback, text).config()]
            } else {
                reports
            }
        }
    }
}

/// The `error: <message>` lines of tera's reports, each with the `--> file:line:col`
/// line that follows it.
fn reports(text: &str) -> Vec<(&str, &str, usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    lines
        .windows(2)
        .filter_map(|pair| {
            let message = pair[0].strip_prefix("error: ")?;
            let place = pair[1].trim_start().strip_prefix("--> ")?;
            let mut parts = place.rsplitn(3, ':');
            let column = parts.next()?.trim().parse().ok()?;
            let line = parts.next()?.parse().ok()?;
            Some((message, parts.next()?, line, column))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_error(templates: &[(&str, &str)]) -> Vec<Diagnostic> {
        let mut tera = tera::Tera::new();
        let e = tera
            .add_raw_templates(templates.iter().copied())
            .unwrap_err();
        template_error("themes/t/templates", "themes/t/templates", &e)
    }

    #[test]
    fn syntax_errors_are_located_in_their_template() {
        let ds = load_error(&[("a.html", "ok"), ("b.html", "line 1\n{{ x }")]);
        assert_eq!(ds.len(), 1, "{ds:?}");
        assert_eq!(ds[0].file, "themes/t/templates/b.html");
        assert_eq!(
            (ds[0].line, ds[0].column),
            (2, 6),
            "at the lone closing brace"
        );
    }

    #[test]
    fn each_unknown_filter_is_its_own_located_diagnostic() {
        let ds = load_error(&[
            ("a.html", "{{ x | nope }}"),
            ("b.html", "\n\n  {{ y | nada }}"),
        ]);
        let found: Vec<(&str, usize, usize)> = ds
            .iter()
            .map(|d| (d.file.as_str(), d.line, d.column))
            .collect();
        assert!(
            found.contains(&("themes/t/templates/a.html", 1, 8)),
            "{ds:?}"
        );
        assert!(
            found.contains(&("themes/t/templates/b.html", 3, 10)),
            "{ds:?}"
        );
        assert!(
            ds.iter().all(|d| d.message.starts_with("Unknown filter")),
            "{ds:?}"
        );
    }
}
