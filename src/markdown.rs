//! Markdown to safe HTML: CommonMark with tables, footnotes, strikethrough and task
//! lists; unique heading ids with a "#" link to each section; links and images passed
//! through the caller's resolver; raw HTML sanitised.

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::OnceLock;

/// Ids the default theme's page chrome uses; a heading never takes one.
const RESERVED_IDS: [&str; 3] = ["main", "toc-heading", "content"];

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// URL-safe heading ids: "The seven elements" → `the-seven-elements`.
pub fn slugify(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if (c.is_whitespace() || c == '-' || c == '_')
            && !out.is_empty()
            && !out.ends_with('-')
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    pub level: u8,
    /// Unique on the page.
    pub id: String,
    pub title: String,
    /// Byte offset of the heading in the Markdown.
    pub offset: usize,
}

/// The headings of `markdown`, each with a unique id: `{#explicit}` or the slug of its
/// text, made unique with `-1`, `-2`, ... and never one of the theme's own ids.
pub fn headings(markdown: &str) -> Vec<Heading> {
    let mut used: HashSet<String> = RESERVED_IDS.iter().map(|s| s.to_string()).collect();
    let mut out = Vec::new();
    let mut current: Option<(HeadingLevel, Option<String>, String, usize)> = None;
    for (event, range) in Parser::new_ext(markdown, options()).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, id, .. }) => {
                current = Some((level, id.map(|i| i.to_string()), String::new(), range.start));
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some((.., title, _)) = current.as_mut() {
                    title.push_str(&t);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, explicit, title, offset)) = current.take() {
                    let base = slugify(explicit.as_deref().unwrap_or(&title));
                    let mut id = base.clone();
                    let mut n = 0;
                    while !used.insert(id.clone()) {
                        n += 1;
                        id = format!("{base}-{n}");
                    }
                    out.push(Heading {
                        level: level as u8,
                        id,
                        title,
                        offset,
                    });
                }
            }
            _ => {}
        }
    }
    out
}

/// A link or image the resolver refused: where it is, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLink {
    pub range: Range<usize>,
    pub code: &'static str,
    pub message: String,
    pub help: &'static str,
}

/// What a resolver says about a link destination: the href to use, or why it is broken.
pub type Resolved = Result<String, (&'static str, String, &'static str)>;

/// Renders `markdown` to sanitised HTML. `headings` must come from [`headings`] on the
/// same text. `link` and `image` resolve each destination.
pub fn render(
    markdown: &str,
    headings: &[Heading],
    link: impl Fn(&str) -> Resolved,
    image: impl Fn(&str) -> Resolved,
) -> Result<String, Vec<BadLink>> {
    let mut bad = Vec::new();
    let mut ids = headings.iter();
    let mut current_id: Option<String> = None;
    let mut events: Vec<Event> = Vec::new();
    let mut footnotes: HashMap<CowStr, usize> = HashMap::new();
    for (event, range) in Parser::new_ext(markdown, options()).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading {
                level,
                classes,
                attrs,
                ..
            }) => {
                let id = ids.next().map(|h| h.id.clone()).unwrap_or_default();
                current_id = Some(id.clone());
                events.push(Event::Start(Tag::Heading {
                    level,
                    id: Some(CowStr::from(id)),
                    classes,
                    attrs,
                }));
            }
            Event::End(TagEnd::Heading(level)) => {
                // A visible "#" after each heading, for copying a link to the section.
                if let Some(id) = current_id.take() {
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
                let dest_url = resolve(&range, dest_url, &link, &mut bad);
                events.push(Event::Start(Tag::Link {
                    link_type,
                    dest_url,
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
                let dest_url = resolve(&range, dest_url, &image, &mut bad);
                events.push(Event::Start(Tag::Image {
                    link_type,
                    dest_url,
                    title,
                    id,
                }));
            }
            // Raw HTML is cleaned on its own first, with no ids or classes, so it cannot
            // take the ids of headings or of the theme, or borrow the theme's styles.
            Event::Html(h) => {
                events.push(Event::Html(CowStr::from(raw_html().clean(&h).to_string())))
            }
            Event::InlineHtml(h) => {
                events.push(Event::InlineHtml(CowStr::from(
                    raw_html().clean(&h).to_string(),
                )));
            }
            // Footnotes are numbered as pulldown-cmark numbers them (first mention), and
            // their ids are `fn:<n>`: a label of the author's (`[^main]`) would otherwise
            // become an id that can equal the theme's own or a heading's. Slugs and the
            // theme's ids never contain `:`.
            Event::FootnoteReference(name) => {
                let n = footnote_number(&mut footnotes, name);
                events.push(Event::InlineHtml(CowStr::from(format!(
                    "<sup class=\"footnote-reference\"><a href=\"#fn:{n}\">{n}</a></sup>"
                ))));
            }
            Event::Start(Tag::FootnoteDefinition(name)) => {
                let n = footnote_number(&mut footnotes, name);
                events.push(Event::Html(CowStr::from(format!(
                    "\n<div class=\"footnote-definition\" id=\"fn:{n}\"><sup class=\"footnote-definition-label\">{n}</sup>"
                ))));
            }
            Event::End(TagEnd::FootnoteDefinition) => {
                events.push(Event::Html(CowStr::from("</div>\n")));
            }
            // A task-list checkbox is a form control: without a name, screen readers
            // announce an unlabelled checkbox (axe `label`, critical).
            Event::TaskListMarker(done) => {
                events.push(Event::InlineHtml(CowStr::from(if done {
                    "<input type=\"checkbox\" disabled checked aria-label=\"Done\"> "
                } else {
                    "<input type=\"checkbox\" disabled aria-label=\"To do\"> "
                })));
            }
            other => events.push(other),
        }
    }
    if !bad.is_empty() {
        return Err(bad);
    }
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    Ok(generated().clean(&html).to_string())
}

/// The number of footnote `name`: the next one at its first mention.
fn footnote_number<'a>(numbers: &mut HashMap<CowStr<'a>, usize>, name: CowStr<'a>) -> usize {
    let next = numbers.len() + 1;
    *numbers.entry(name).or_insert(next)
}

/// The href for a link destination, or the destination unchanged with the refusal noted.
fn resolve<'a>(
    range: &Range<usize>,
    dest: CowStr<'a>,
    f: &dyn Fn(&str) -> Resolved,
    bad: &mut Vec<BadLink>,
) -> CowStr<'a> {
    match f(&dest) {
        Ok(href) => CowStr::from(href),
        Err((code, message, help)) => {
            bad.push(BadLink {
                range: range.clone(),
                code,
                message,
                help,
            });
            dest
        }
    }
}

/// For raw HTML in the Markdown: ammonia's defaults (no scripts, styles, event handlers
/// or `javascript:` URLs), and no `id` or `class`.
fn raw_html() -> &'static ammonia::Builder<'static> {
    static B: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    B.get_or_init(ammonia::Builder::default)
}

/// For the whole page, after rendering: what CommonMark produces, heading ids and
/// anchors, footnotes and task-list checkboxes.
fn generated() -> &'static ammonia::Builder<'static> {
    static B: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    B.get_or_init(|| {
        let mut b = ammonia::Builder::default();
        b.add_tags(["input"])
            .add_tag_attributes("input", ["type", "checked", "disabled", "aria-label"])
            .add_tag_attributes("a", ["aria-label", "class"])
            .add_tag_attributes("sup", ["class", "id"])
            .add_tag_attributes("div", ["class", "id"])
            .add_tag_attributes("code", ["class"])
            .add_tag_attributes("th", ["style"])
            .add_tag_attributes("td", ["style"])
            .add_tag_attributes("h1", ["id"])
            .add_tag_attributes("h2", ["id"])
            .add_tag_attributes("h3", ["id"])
            .add_tag_attributes("h4", ["id"])
            .add_tag_attributes("h5", ["id"])
            .add_tag_attributes("h6", ["id"])
            .filter_style_properties(["text-align"].into_iter().collect())
            .link_rel(None)
            .attribute_filter(|element, attribute, value| match (element, attribute) {
                ("input", "type") if value != "checkbox" => None,
                _ => Some(value.into()),
            });
        b
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keep(dest: &str) -> Resolved {
        Ok(dest.to_string())
    }

    #[test]
    fn slugs() {
        assert_eq!(slugify("The seven elements"), "the-seven-elements");
        assert_eq!(slugify("What is a CPC?"), "what-is-a-cpc");
        assert_eq!(slugify("16 CFR 1110.11 — content"), "16-cfr-111011-content");
        assert_eq!(slugify("!!!"), "section");
    }

    #[test]
    fn heading_ids_are_unique_and_avoid_the_theme() {
        let ids: Vec<String> = headings("## Notes\n## Notes\n## Notes 1\n## Main\n")
            .into_iter()
            .map(|h| h.id)
            .collect();
        assert_eq!(ids, vec!["notes", "notes-1", "notes-1-1", "main-1"]);
    }

    #[test]
    fn raw_html_is_sanitised_and_cannot_take_ids() {
        let md = "## Intro\n\n<script>alert(1)</script>\n\n<div id=\"intro\" class=\"skip-link\" onclick=\"x()\">hi</div>\n\n<img src=x onerror=alert(1)>\n\n- [x] done\n\n[js](javascript:alert(1))\n";
        let out = render(md, &headings(md), keep, keep).unwrap();
        assert!(!out.contains("<script"), "{out}");
        assert!(
            !out.contains("onerror") && !out.contains("onclick"),
            "{out}"
        );
        assert!(!out.contains("javascript:"), "{out}");
        assert!(!out.contains("skip-link"), "{out}");
        assert_eq!(out.matches("id=\"intro\"").count(), 1, "{out}");
        assert!(out.contains("type=\"checkbox\""), "{out}");
    }

    #[test]
    fn footnote_ids_cannot_take_the_themes_or_a_headings() {
        let md = "## Main\n\nText[^main] and[^toc-heading] again[^main].\n\n[^main]: First.\n[^toc-heading]: Second.\n";
        let out = render(md, &headings(md), keep, keep).unwrap();
        for taken in ["id=\"main\"", "id=\"toc-heading\""] {
            assert!(!out.contains(taken), "{out}");
        }
        assert_eq!(out.matches("href=\"#fn:1\"").count(), 2, "{out}");
        assert_eq!(out.matches("href=\"#fn:2\"").count(), 1, "{out}");
        assert!(
            out.contains("id=\"fn:1\"") && out.contains("id=\"fn:2\""),
            "{out}"
        );
        assert!(out.contains("id=\"main-1\""), "{out}");
    }

    #[test]
    fn refused_links_are_reported_with_their_offset() {
        let md = "Intro.\n\nSee [x](nope.md).\n";
        let err = render(md, &[], |_| Err(("broken-link", "no".into(), "")), keep).unwrap_err();
        assert_eq!(err.len(), 1);
        assert_eq!(&md[err[0].range.clone()], "[x](nope.md)");
    }
}
