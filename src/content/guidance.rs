//! Guidance pages (SPEC §4.3): YAML front matter between `---` lines, then Markdown.
//!
//! Pages are read in two passes: the first collects every page's heading ids, so the
//! second can check links to other pages *and* to their headings, and rewrite them to
//! the pages' URLs.

use super::problem::{Problem, locate};
use crate::date::RecordDate;
use crate::diagnostic::{Diagnostic, line_col};
use crate::markdown::{self, Heading, Resolved};
use crate::yaml;
use crate::ypath;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    title: String,
    summary: Option<String>,
    jurisdiction: Option<String>,
    weight: Option<i64>,
    updated: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TocEntry {
    pub level: u8,
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct GuidancePage {
    /// URL path under `/guidance/`, e.g. `us/childrens-product-certificate`.
    pub path: String,
    pub file: String,
    pub title: String,
    pub summary: Option<String>,
    pub jurisdiction: Option<String>,
    pub weight: i64,
    pub updated: Option<RecordDate>,
    /// Sanitised HTML.
    pub content: String,
    pub toc: Vec<TocEntry>,
}

/// A page after the first pass.
pub struct Draft {
    path: String,
    file: String,
    text: String,
    body_start: usize,
    front: FrontMatter,
    updated: Option<RecordDate>,
    headings: Vec<Heading>,
    /// Problems that do not stop the page from rendering.
    pub warnings: Vec<Diagnostic>,
}

/// Splits `---\n<yaml>\n---\n<body>`; returns (yaml, body start offset).
fn split_front_matter(text: &str) -> Option<(&str, usize)> {
    let rest = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))?;
    let start = text.len() - rest.len();
    let mut offset = start;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "---" {
            return Some((&text[start..offset], offset + line.len()));
        }
        offset += line.len();
    }
    None
}

/// The page's URL path from its file path under `content/guidance`: `us/cpc.md` → `us/cpc`.
fn url_path(under: &Path) -> Option<String> {
    let mut segments = Vec::new();
    for c in under.with_extension("").components() {
        let s = c.as_os_str().to_string_lossy();
        let ok = matches!(c, Component::Normal(_))
            && !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !ok {
            return None;
        }
        segments.push(s.into_owned());
    }
    Some(segments.join("/"))
}

impl Draft {
    /// URL path under `/guidance/`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The file, relative to the site root.
    pub fn file(&self) -> &str {
        &self.file
    }
}

/// First pass: front matter and headings. `rel` is the file relative to the site root,
/// `under` its path relative to its guidance folder.
pub fn draft(rel: &str, under: &Path, text: String) -> Result<Draft, Vec<Diagnostic>> {
    let Some(path) = url_path(under) else {
        return Err(vec![Diagnostic::error(
            "bad-path",
            rel,
            "guidance file and folder names become URLs: use lower-case letters, digits, `-` and `_`",
        )]);
    };
    let Some((yaml_text, body_start)) = split_front_matter(&text) else {
        return Err(vec![
            Diagnostic::error(
                "missing-front-matter",
                rel,
                "a guidance page starts with front matter between `---` lines (at least `title:`)",
            )
            .at(1, 1),
        ]);
    };
    // The YAML starts on line 2 of the file.
    let front: FrontMatter = yaml::parse(yaml_text).map_err(|e| vec![e.diagnostic(rel, 1)])?;
    let mut problems = Vec::new();
    let updated = front.updated.as_deref().and_then(|u| {
        RecordDate::parse(u)
            .map_err(|e| {
                problems.push(Problem::error("bad-date", ypath!["updated"], e.to_string()))
            })
            .ok()
    });
    if front.title.trim().is_empty() {
        problems.push(Problem::error(
            "empty-field",
            ypath!["title"],
            "title must not be empty",
        ));
    }
    if !problems.is_empty() {
        return Err(locate(rel, yaml_text, 1, problems));
    }

    let headings = markdown::headings(&text[body_start..]);
    // Each heading becomes an anchored section and a contents entry, 17 times its
    // Markdown: past the limit a page is megabytes of HTML and seconds of build.
    if let Some(h) = headings.get(markdown::MAX_HEADINGS) {
        let (line, column) = line_col(&text, body_start + h.offset);
        return Err(vec![
            Diagnostic::error(
                "guidance-too-complex",
                rel,
                format!(
                    "a guidance page has at most {} headings",
                    markdown::MAX_HEADINGS
                ),
            )
            .at(line, column)
            .with_help("split the page"),
        ]);
    }
    // One warning per page, at the first: tens of thousands of them, each placed and
    // quoted from the top of the file, took a minute.
    let h1s = headings.iter().filter(|h| h.level == 1).count();
    let warnings = headings
        .iter()
        .find(|h| h.level == 1)
        .map(|h| {
            let (line, column) = line_col(&text, body_start + h.offset);
            let more = match h1s - 1 {
                0 => String::new(),
                n => format!(
                    " (and {n} more level-1 heading{})",
                    if n == 1 { "" } else { "s" }
                ),
            };
            Diagnostic::warning(
                "guidance-h1",
                rel,
                format!("a level-1 heading in the body gives the page a second <h1>{more}"),
            )
            .at(line, column)
            .with_help(
                "the front matter `title` is the page's heading: start body headings at `##`",
            )
        })
        .into_iter()
        .collect();
    Ok(Draft {
        path,
        file: rel.to_string(),
        text,
        body_start,
        front,
        updated,
        headings,
        warnings,
    })
}

/// Every page's heading ids, by page path: what links may point at.
pub type Anchors = BTreeMap<String, BTreeSet<String>>;

pub fn anchors(drafts: &[Draft]) -> Anchors {
    drafts
        .iter()
        .map(|d| {
            (
                d.path.clone(),
                d.headings.iter().map(|h| h.id.clone()).collect(),
            )
        })
        .collect()
}

/// Second pass: renders the Markdown, checking and rewriting links.
pub fn render(
    draft: Draft,
    anchors: &Anchors,
    base_path: &str,
    content_dir: &Path,
) -> Result<GuidancePage, Vec<Diagnostic>> {
    let page_dir = Path::new(&draft.path)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let own = anchors.get(&draft.path);
    let content = markdown::render(
        &draft.text[draft.body_start..],
        &draft.headings,
        |dest| resolve_link(dest, &page_dir, anchors, own, base_path),
        |dest| resolve_image(dest, &draft.file, content_dir, base_path),
    )
    .map_err(|bad| {
        bad.into_iter()
            .map(|b| {
                let (line, column) = line_col(&draft.text, draft.body_start + b.range.start);
                Diagnostic::error(b.code, &draft.file, b.message)
                    .at(line, column)
                    .with_help(b.help)
            })
            .collect::<Vec<_>>()
    })?;
    let toc = draft
        .headings
        .iter()
        .filter(|h| matches!(h.level, 2 | 3))
        .map(|h| TocEntry {
            level: h.level,
            id: h.id.clone(),
            title: h.title.clone(),
        })
        .collect();
    Ok(GuidancePage {
        path: draft.path,
        file: draft.file,
        title: draft.front.title,
        summary: draft.front.summary,
        jurisdiction: draft.front.jurisdiction,
        weight: draft.front.weight.unwrap_or(0),
        updated: draft.updated,
        content,
        toc,
    })
}

fn is_external(dest: &str) -> bool {
    dest.starts_with("//")
        || dest.split_once(':').is_some_and(|(scheme, _)| {
            !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        })
}

const ANCHOR_HELP: &str = "heading ids are the lower-cased, hyphenated heading text";

/// Checks a link and returns the href it becomes: relative `.md` links become the pages'
/// URLs, and their `#anchors` must name a heading there.
fn resolve_link(
    dest: &str,
    page_dir: &Path,
    anchors: &Anchors,
    own: Option<&BTreeSet<String>>,
    base_path: &str,
) -> Resolved {
    if is_external(dest) {
        return Ok(dest.to_string());
    }
    if let Some(rest) = dest.strip_prefix('/') {
        return Ok(crate::url::SitePath::from_root(rest).under(base_path));
    }
    let (target, fragment) = match dest.split_once('#') {
        Some((t, f)) => (t, Some(f)),
        None => (dest, None),
    };
    if target.is_empty() {
        let f = fragment.unwrap_or_default();
        if f.is_empty() || own.is_some_and(|ids| ids.contains(f)) {
            return Ok(dest.to_string());
        }
        return Err((
            "broken-link",
            format!("no heading with id `{f}` on this page"),
            ANCHOR_HELP,
        ));
    }
    let Some(stem) = target.strip_suffix(".md") else {
        return Err((
            "broken-link",
            format!("relative link `{dest}` does not point at a .md guidance page"),
            "link other guidance pages as relative .md paths, or use an absolute URL",
        ));
    };
    let page = normalise(&page_dir.join(stem)).ok_or((
        "broken-link",
        format!("`{dest}` leads outside content/guidance/"),
        "link other guidance pages as relative .md paths",
    ))?;
    let Some(ids) = anchors.get(&page) else {
        return Err((
            "broken-link",
            format!("`{dest}` does not exist (no content/guidance/{page}.md)"),
            "check the file name and folder",
        ));
    };
    match fragment {
        Some(f) if !ids.contains(f) => Err((
            "broken-link",
            format!("`{page}.md` has no heading with id `{f}`"),
            ANCHOR_HELP,
        )),
        Some(f) => Ok(format!(
            "{}#{f}",
            crate::url::guidance(&page).under(base_path)
        )),
        None => Ok(crate::url::guidance(&page).under(base_path)),
    }
}

/// Images are files under `content/assets/`, referenced relative to the page.
fn resolve_image(dest: &str, file: &str, content_dir: &Path, base_path: &str) -> Resolved {
    const HELP: &str = "images in guidance live under content/assets/";
    if is_external(dest) {
        return Ok(dest.to_string());
    }
    if !file.starts_with("content/") {
        return Err((
            "path-escape",
            format!("image `{dest}`: a plugin's guidance page cannot use the site's files"),
            "link the image by absolute URL, or copy the page to content/guidance/ to tailor it",
        ));
    }
    // `file` is `content/guidance/...`; the reference is relative to its folder.
    let page_dir = Path::new(file)
        .parent()
        .and_then(|p| p.strip_prefix("content").ok())
        .unwrap_or(Path::new(""));
    let under_content = normalise(&page_dir.join(dest)).ok_or((
        "path-escape",
        format!("image `{dest}` leads outside content/"),
        HELP,
    ))?;
    crate::source::asset(content_dir, &under_content)
        .map_err(|(code, message)| (code, message, HELP))?;
    Ok(crate::url::asset(&under_content).under(base_path))
}

/// Resolves `.` and `..` without touching the disk; None when it climbs above the start.
fn normalise(path: &Path) -> Option<String> {
    let mut out: Vec<String> = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(s) => out.push(s.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop()?;
            }
            _ => return None,
        }
    }
    Some(out.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(path: &str, text: &str) -> Draft {
        draft(
            &format!("content/guidance/{path}.md"),
            Path::new(&format!("{path}.md")),
            text.to_string(),
        )
        .unwrap()
    }

    #[test]
    fn front_matter_errors_point_into_the_file() {
        let e = draft(
            "content/guidance/a.md",
            Path::new("a.md"),
            "---\ntitle: A\ncolour: red\n---\nbody\n".into(),
        )
        .err()
        .unwrap();
        assert_eq!((e[0].code, e[0].line), ("unknown-key", 3));
        let e = draft(
            "content/guidance/a.md",
            Path::new("a.md"),
            "---\ntitle: A\nupdated: 2026-13-01\n---\n".into(),
        )
        .err()
        .unwrap();
        assert_eq!((e[0].code, e[0].line, e[0].column), ("bad-date", 3, 10));
        let e = draft(
            "content/guidance/a.md",
            Path::new("a.md"),
            "# no front matter\n".into(),
        )
        .err()
        .unwrap();
        assert_eq!(e[0].code, "missing-front-matter");
        let e = draft(
            "content/guidance/A b.md",
            Path::new("A b.md"),
            "---\ntitle: A\n---\n".into(),
        )
        .err()
        .unwrap();
        assert_eq!(e[0].code, "bad-path");
    }

    #[test]
    fn a_body_h1_is_a_warning_at_its_line() {
        let d = page("x", "---\ntitle: X\n---\n\n# Second title\n");
        assert_eq!(d.warnings.len(), 1);
        assert_eq!((d.warnings[0].code, d.warnings[0].line), ("guidance-h1", 5));
        // Many: one warning, at the first, counting the others.
        let d = page(
            "x",
            &format!("---\ntitle: X\n---\n\n{}", "# T\n\n".repeat(40_000)),
        );
        assert_eq!(d.warnings.len(), 1);
        assert_eq!(d.warnings[0].line, 5);
        assert!(
            d.warnings[0].message.contains("and 39999 more"),
            "{:?}",
            d.warnings[0]
        );
    }

    #[test]
    fn links_are_checked_and_rewritten() {
        let a_text = "---\ntitle: A\n---\n## First part\n\nSee [b](../eu/b.md#doc) and [self](#first-part).\n";
        let b = page("eu/b", "---\ntitle: B\n---\n## DoC\n");
        let anchors = anchors(&[page("us/a", a_text), b]);
        let out = render(page("us/a", a_text), &anchors, "/", Path::new("content")).unwrap();
        assert!(
            out.content.contains("href=\"/guidance/eu/b/#doc\""),
            "{}",
            out.content
        );
        assert!(out.content.contains("id=\"first-part\""), "{}", out.content);
        assert_eq!(out.toc.len(), 1);

        let bad = page(
            "us/a",
            "---\ntitle: A\n---\n\nText\n\nSee [c](c.md) and [d](../eu/b.md#nope) and [e](#nowhere).\n",
        );
        let e = render(bad, &anchors, "/", Path::new("content"))
            .err()
            .unwrap();
        assert_eq!(e.len(), 3);
        assert_eq!((e[0].code, e[0].line, e[0].column), ("broken-link", 7, 5));
        assert!(e[1].message.contains("nope"));
        assert!(e[2].message.contains("nowhere"));
    }
}
