//! Guidance pages (SPEC §4.3): YAML front matter between `---` lines, then CommonMark.
//!
//! Pages are read in two passes: the first collects every page's heading ids, so the
//! second can check links to other pages *and* to their headings, and rewrite them to
//! the pages' URLs.

use super::problem::{Problem, locate};
use crate::date::RecordDate;
use crate::diagnostic::{Diagnostic, line_col};
use crate::yaml;
use crate::ypath;
use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;

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
    /// URL path under `/guidance/`, e.g. `us/children-s-product-certificate`.
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
    headings: Vec<(HeadingLevel, String, String)>,
    /// Problems that do not stop the page from rendering.
    pub warnings: Vec<Diagnostic>,
}

impl Draft {
    pub fn path(&self) -> &str {
        &self.path
    }
}

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
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

/// URL-safe heading ids: "The seven elements" → `the-seven-elements`.
pub fn slugify(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if (c.is_whitespace() || c == '-' || c == '_')
            && !out.ends_with('-')
            && !out.is_empty()
        {
            out.push('-');
        }
    }
    let trimmed = out.trim_end_matches('-');
    if trimmed.is_empty() {
        "section".to_string()
    } else {
        trimmed.to_string()
    }
}

/// First pass: front matter and headings. `rel` is the file relative to the site root,
/// `under` its path relative to `content/guidance`.
pub fn draft(rel: &str, under: &Path, text: String) -> Result<Draft, Vec<Diagnostic>> {
    let mut path_ok = true;
    let mut segments = Vec::new();
    let stemmed = under.with_extension("");
    for c in stemmed.components() {
        let s = c.as_os_str().to_string_lossy();
        path_ok &= matches!(c, Component::Normal(_))
            && !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        segments.push(s.into_owned());
    }
    if !path_ok {
        return Err(vec![Diagnostic::error(
            "bad-path",
            rel,
            "guidance file and folder names become URLs: use lower-case letters, digits, `-` and `_`",
        )]);
    }
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
    let front: FrontMatter = yaml::parse(yaml_text)
        .map_err(|e| vec![Diagnostic::error(e.code, rel, e.message).at(e.line + 1, e.column)])?;
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

    let mut headings = Vec::new();
    let mut used: HashMap<String, usize> = HashMap::new();
    let mut current: Option<(HeadingLevel, Option<String>, String)> = None;
    let mut warnings = Vec::new();
    for (event, range) in Parser::new_ext(&text[body_start..], options()).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, id, .. }) => {
                if level == HeadingLevel::H1 {
                    let (line, column) = line_col(&text, body_start + range.start);
                    warnings.push(
                        Diagnostic::warning("guidance-h1", rel, "a level-1 heading in the body gives the page a second <h1>")
                            .at(line, column)
                            .with_help("the front matter `title` is the page's heading: start body headings at `##`"),
                    );
                }
                current = Some((level, id.map(|i| i.to_string()), String::new()));
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some((_, _, title)) = current.as_mut() {
                    title.push_str(&t);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, explicit, title)) = current.take() {
                    let base = explicit.map_or_else(|| slugify(&title), |e| slugify(&e));
                    let n = used.entry(base.clone()).or_insert(0);
                    let id = if *n == 0 {
                        base.clone()
                    } else {
                        format!("{base}-{n}")
                    };
                    *n += 1;
                    headings.push((level, id, title));
                }
            }
            _ => {}
        }
    }
    let updated_date = updated;
    Ok(Draft {
        path: segments.join("/"),
        file: rel.to_string(),
        text,
        body_start,
        front,
        updated: updated_date,
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
                d.headings.iter().map(|h| h.1.clone()).collect(),
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
    let body = &draft.text[draft.body_start..];
    let mut diags = Vec::new();
    let mut heading_ids = draft.headings.iter();
    let mut events: Vec<Event> = Vec::new();
    let page_dir = Path::new(&draft.path)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let own = anchors.get(&draft.path);

    let mut problem = |range: &Range<usize>, code: &'static str, message: String, help: &str| {
        let (line, column) = line_col(&draft.text, draft.body_start + range.start);
        diags.push(
            Diagnostic::error(code, &draft.file, message)
                .at(line, column)
                .with_help(help),
        );
    };

    for (event, range) in Parser::new_ext(body, options()).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading {
                level,
                classes,
                attrs,
                ..
            }) => {
                let id = heading_ids.next().map(|h| h.1.clone()).unwrap_or_default();
                events.push(Event::Start(Tag::Heading {
                    level,
                    id: Some(CowStr::from(id)),
                    classes,
                    attrs,
                }));
            }
            Event::End(TagEnd::Heading(level)) => {
                // A visible "#" link after each heading, for copying a link to the section.
                if let Some(id) = events.iter().rev().find_map(|e| match e {
                    Event::Start(Tag::Heading { id, .. }) => id.clone(),
                    _ => None,
                }) {
                    events.push(Event::InlineHtml(CowStr::from(format!(
                        " <a class=\"heading-anchor\" href=\"#{id}\" aria-label=\"Link to this section\">#</a>"
                    ))));
                }
                events.push(Event::End(TagEnd::Heading(level)));
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let dest = match rewrite_link(&dest_url, &page_dir, anchors, own, base_path) {
                    Ok(d) => d,
                    Err((code, msg, help)) => {
                        problem(&range, code, msg, help);
                        dest_url.to_string()
                    }
                };
                events.push(Event::Start(Tag::Link {
                    link_type,
                    dest_url: CowStr::from(dest),
                    title,
                    id,
                }));
            }
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let dest = match rewrite_image(&dest_url, &draft.file, content_dir, base_path) {
                    Ok(d) => d,
                    Err((code, msg)) => {
                        problem(
                            &range,
                            code,
                            msg,
                            "images in guidance live under content/assets/",
                        );
                        dest_url.to_string()
                    }
                };
                events.push(Event::Start(Tag::Image {
                    link_type,
                    dest_url: CowStr::from(dest),
                    title,
                    id,
                }));
            }
            other => events.push(other),
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    let mut html = String::with_capacity(body.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    let content = sanitizer().clean(&html).to_string();
    let toc = draft
        .headings
        .iter()
        .filter(|(l, ..)| matches!(l, HeadingLevel::H2 | HeadingLevel::H3))
        .map(|(l, id, t)| TocEntry {
            level: *l as u8,
            id: id.clone(),
            title: t.clone(),
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

type LinkError = (&'static str, String, &'static str);

fn is_external(dest: &str) -> bool {
    dest.starts_with("//")
        || dest.split_once(':').is_some_and(|(scheme, _)| {
            !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        })
}

/// Checks a link and returns the href it becomes.
fn rewrite_link(
    dest: &str,
    page_dir: &Path,
    anchors: &Anchors,
    own: Option<&BTreeSet<String>>,
    base_path: &str,
) -> Result<String, LinkError> {
    if is_external(dest) {
        return Ok(dest.to_string());
    }
    if let Some(rest) = dest.strip_prefix('/') {
        return Ok(format!("{base_path}{rest}"));
    }
    let (target, fragment) = match dest.split_once('#') {
        Some((t, f)) => (t, Some(f)),
        None => (dest, None),
    };
    if target.is_empty() {
        // `#section` on the same page.
        let f = fragment.unwrap_or_default();
        if own.is_some_and(|ids| ids.contains(f)) || f.starts_with("fn-") || f.is_empty() {
            return Ok(dest.to_string());
        }
        return Err((
            "broken-link",
            format!("no heading with id `{f}` on this page"),
            "heading ids are the lower-cased, hyphenated heading text",
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
            "heading ids are the lower-cased, hyphenated heading text",
        )),
        Some(f) => Ok(format!("{base_path}guidance/{page}/#{f}")),
        None => Ok(format!("{base_path}guidance/{page}/")),
    }
}

fn rewrite_image(
    dest: &str,
    file: &str,
    content_dir: &Path,
    base_path: &str,
) -> Result<String, (&'static str, String)> {
    if is_external(dest) {
        return Ok(dest.to_string());
    }
    // `file` is `content/guidance/...`; the reference is relative to its folder.
    let page_dir = Path::new(file)
        .parent()
        .and_then(|p| p.strip_prefix("content").ok())
        .unwrap_or(Path::new(""));
    let under_content = normalise(&page_dir.join(dest)).ok_or((
        "path-escape",
        format!("image `{dest}` leads outside content/"),
    ))?;
    if !under_content.starts_with("assets/") {
        return Err((
            "broken-link",
            format!("image `{dest}` is not under content/assets/"),
        ));
    }
    crate::source::asset(content_dir, &under_content)?;
    Ok(format!("{base_path}{under_content}"))
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

/// The HTML allowed out of guidance Markdown: what CommonMark produces, heading ids and
/// anchors, footnotes and task-list checkboxes; no scripts, styles or event handlers.
fn sanitizer() -> &'static ammonia::Builder<'static> {
    static B: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    B.get_or_init(|| {
        let mut b = ammonia::Builder::default();
        b.add_tags(["input"])
            .add_tag_attributes("input", ["type", "checked", "disabled"])
            .add_tag_attributes("a", ["aria-label", "class", "id"])
            .add_tag_attributes("sup", ["class", "id"])
            .add_tag_attributes("div", ["class", "id"])
            .add_tag_attributes("li", ["id"])
            .add_tag_attributes("code", ["class"])
            .add_tag_attributes("th", ["style"])
            .add_tag_attributes("td", ["style"])
            .add_generic_attributes(["id"])
            .filter_style_properties(["text-align"].into_iter().collect())
            .link_rel(None)
            .attribute_filter(|element, attribute, value| match (element, attribute) {
                ("input", "type") if value != "checkbox" => None,
                _ => Some(value.into()),
            });
        b
    })
}

/// Relative file path under `content/guidance` for a guidance file.
pub fn under_guidance(content_dir: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(content_dir.join("guidance"))
        .unwrap_or(path)
        .to_path_buf()
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
    fn slugs() {
        assert_eq!(slugify("The seven elements"), "the-seven-elements");
        assert_eq!(slugify("What is a CPC?"), "what-is-a-cpc");
        assert_eq!(slugify("16 CFR 1110.11 — content"), "16-cfr-111011-content");
        assert_eq!(slugify("!!!"), "section");
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
    }

    #[test]
    fn links_are_checked_and_rewritten() {
        let a = page(
            "us/a",
            "---\ntitle: A\n---\n## First part\n\nSee [b](../eu/b.md#doc) and [self](#first-part).\n",
        );
        let b = page("eu/b", "---\ntitle: B\n---\n# B\n## DoC\n");
        let anchors = anchors(&[a, b]);
        let a = page(
            "us/a",
            "---\ntitle: A\n---\n## First part\n\nSee [b](../eu/b.md#doc) and [self](#first-part).\n",
        );
        let out = render(a, &anchors, "/", Path::new("content")).unwrap();
        assert!(
            out.content.contains("href=\"/guidance/eu/b/#doc\""),
            "{}",
            out.content
        );
        assert!(out.content.contains("id=\"first-part\""), "{}", out.content);
        assert_eq!(out.toc.len(), 1);

        let bad = page(
            "us/a",
            "---\ntitle: A\n---\n\nText\n\nSee [c](c.md) and [d](../eu/b.md#nope).\n",
        );
        let e = render(bad, &anchors, "/", Path::new("content"))
            .err()
            .unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!((e[0].code, e[0].line, e[0].column), ("broken-link", 7, 5));
        assert!(e[1].message.contains("nope"));
    }

    #[test]
    fn raw_html_is_sanitised() {
        let p = page(
            "x",
            "---\ntitle: X\n---\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n- [x] done\n\n[js](javascript:alert(1))\n",
        );
        let out = render(p, &Anchors::new(), "/", Path::new("content")).unwrap();
        assert!(!out.content.contains("<script"), "{}", out.content);
        assert!(!out.content.contains("onerror"), "{}", out.content);
        assert!(!out.content.contains("javascript:"), "{}", out.content);
        assert!(out.content.contains("type=\"checkbox\""), "{}", out.content);
    }

    #[test]
    fn duplicate_headings_get_distinct_ids() {
        let p = page("x", "---\ntitle: X\n---\n## Notes\n## Notes\n");
        let ids: Vec<_> = p.headings.iter().map(|h| h.1.clone()).collect();
        assert_eq!(ids, vec!["notes", "notes-1"]);
    }
}
