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
///
/// The suffix tried first for a slug is the one after the last it took: every smaller
/// one is taken already (ids are only ever added), so the id is the same as trying from
/// `-1`, and 40,000 identical headings take linear time, not quadratic.
pub fn headings(markdown: &str) -> Vec<Heading> {
    let mut used: HashSet<String> = RESERVED_IDS.iter().map(|s| s.to_string()).collect();
    let mut next_suffix: HashMap<String, usize> = HashMap::new();
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
                    let n = next_suffix.entry(base.clone()).or_insert(0);
                    let mut id = if *n == 0 {
                        base.clone()
                    } else {
                        format!("{base}-{n}")
                    };
                    while !used.insert(id.clone()) {
                        *n += 1;
                        id = format!("{base}-{n}");
                    }
                    *n += 1;
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

/// How deep the rendered page may nest elements: Markdown's blocks and inlines
/// (quotes, lists, emphasis, links...) and the elements of raw HTML inside them. The
/// HTML parser under the sanitiser (html5ever) walks the open elements for many start
/// tags, so its time grows with the depth times the number of tags: 50,000 nested `>`
/// took 21 s, 40,000 nested `<div>` 14 s. Guidance nests a handful of levels; 100 is
/// markdown-it's default `maxNesting`.
pub const MAX_NESTING: usize = 100;

/// The most headings a page may have (see `content::guidance`).
pub const MAX_HEADINGS: usize = 50_000;

/// The most tags one piece of raw HTML (one line of an HTML block, or one inline tag)
/// may have, counted before the sanitiser parses it: bounds that parse, which repairs
/// misnested HTML in time up to quadratic in the tags.
pub const MAX_RAW_HTML_TAGS: usize = 500;

/// How much larger than itself a piece of raw HTML may become once sanitised. HTML's
/// repair of misnested formatting tags re-opens every unclosed `<b>`, `<i>`... at each
/// new element: 240 KB of `<b title=n>` and `<div>x</div>` became 2,000,000 elements.
/// Well-formed HTML grows by its closing tags (`<table><td>` by 4.4 times).
const MAX_RAW_HTML_GROWTH: usize = 8;

/// Renders `markdown` to sanitised HTML. `headings` must come from [`headings`] on the
/// same text. `link` and `image` resolve each destination.
///
/// Structure nested deeper than [`MAX_NESTING`], or raw HTML past
/// [`MAX_RAW_HTML_TAGS`] or expanding more than 8-fold, is a `guidance-too-complex`
/// error at its offset (the first one only: the page is not rendered further).
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
    let mut depth = 0usize;
    let too_complex = |range: &Range<usize>, message: String| BadLink {
        range: range.clone(),
        code: "guidance-too-complex",
        message,
        help: "guidance nests a few levels of lists, quotes and HTML: flatten this part",
    };
    for (event, range) in Parser::new_ext(markdown, options()).into_offset_iter() {
        match &event {
            Event::Start(_) => {
                depth += 1;
                if depth > MAX_NESTING {
                    bad.push(too_complex(
                        &range,
                        format!("this nests elements more than {MAX_NESTING} levels deep"),
                    ));
                    return Err(bad);
                }
            }
            Event::End(_) => depth -= 1,
            _ => {}
        }
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
            Event::Html(ref h) | Event::InlineHtml(ref h) => {
                let clean = match clean_raw_html(h, depth) {
                    Ok(clean) => CowStr::from(clean),
                    Err(message) => {
                        bad.push(too_complex(&range, message));
                        return Err(bad);
                    }
                };
                events.push(match event {
                    Event::Html(_) => Event::Html(clean),
                    _ => Event::InlineHtml(clean),
                });
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

/// Sanitises one piece of raw HTML found `depth` elements deep in the Markdown, within
/// the limits of [`render`].
fn clean_raw_html(html: &str, depth: usize) -> Result<String, String> {
    // Every start tag is `<` and a letter: this counts each, and more (in comments or
    // attribute values), never fewer.
    let tags = html
        .as_bytes()
        .windows(2)
        .filter(|w| w[0] == b'<' && w[1].is_ascii_alphabetic())
        .count();
    if tags > MAX_RAW_HTML_TAGS {
        return Err(format!(
            "this raw HTML has more than {MAX_RAW_HTML_TAGS} tags on one line"
        ));
    }
    let clean = raw_html().clean(html).to_string();
    if clean.len() > MAX_RAW_HTML_GROWTH * html.len() + 1024 {
        return Err(
            "this raw HTML grows more than 8-fold once repaired (unclosed formatting \
             tags such as `<b>` are re-opened at every element)"
                .into(),
        );
    }
    if depth + serialized_depth(&clean) > MAX_NESTING {
        return Err(format!(
            "this nests elements more than {MAX_NESTING} levels deep"
        ));
    }
    Ok(clean)
}

/// How deep the elements of `html` nest, for HTML as the sanitiser writes it: comments,
/// scripts and styles removed, `<` escaped in text and attribute values in double quotes.
fn serialized_depth(html: &str) -> usize {
    const VOID: [&str; 14] = [
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr",
    ];
    let b = html.as_bytes();
    let (mut depth, mut deepest, mut i) = (0usize, 0usize, 0);
    while let Some(lt) = b[i..].iter().position(|&c| c == b'<') {
        i += lt + 1;
        let close = b.get(i) == Some(&b'/');
        let name_start = i + usize::from(close);
        let name_len = b[name_start..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric())
            .count();
        let name = &html[name_start..name_start + name_len];
        // To the tag's `>`, past attribute values.
        let mut quoted = false;
        while let Some(&c) = b.get(i) {
            i += 1;
            match c {
                b'"' => quoted = !quoted,
                b'>' if !quoted => break,
                _ => {}
            }
        }
        if close {
            depth = depth.saturating_sub(1);
        } else if !VOID.iter().any(|v| v.eq_ignore_ascii_case(name)) {
            depth += 1;
            deepest = deepest.max(depth);
        }
    }
    deepest
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

    /// The ids as they were assigned before the per-slug counter: the first free one of
    /// `slug`, `slug-1`, `slug-2`...
    fn ids_by_search(titles: &[&str]) -> Vec<String> {
        let mut used: HashSet<String> = RESERVED_IDS.iter().map(|s| s.to_string()).collect();
        titles
            .iter()
            .map(|t| {
                let base = slugify(t);
                let (mut id, mut n) = (base.clone(), 0);
                while !used.insert(id.clone()) {
                    n += 1;
                    id = format!("{base}-{n}");
                }
                id
            })
            .collect()
    }

    #[test]
    fn heading_ids_are_as_before_and_linear_for_many_identical_headings() {
        let titles = [
            "Notes", "Notes 1", "Notes", "Notes", "Notes 1", "Notes-2", "Notes 2", "Notes", "Main",
            "Main", "main 1", "Content", "x", "x-1-1", "x", "x", "x 1", "x-1",
        ];
        let md: String = titles.iter().map(|t| format!("## {t}\n\n")).collect();
        let ids: Vec<String> = headings(&md).into_iter().map(|h| h.id).collect();
        assert_eq!(ids, ids_by_search(&titles));
        // 40,000 identical headings: unique ids, in a moment (the search took minutes).
        let md = "## Notes\n\n".repeat(40_000);
        let ids: HashSet<String> = headings(&md).into_iter().map(|h| h.id).collect();
        assert_eq!(ids.len(), 40_000);
        assert!(ids.contains("notes") && ids.contains("notes-39999"));
    }

    fn too_complex(md: &str) -> BadLink {
        let mut err = render(md, &headings(md), keep, keep).unwrap_err();
        assert_eq!(err.len(), 1, "{err:?}");
        let e = err.remove(0);
        assert_eq!(e.code, "guidance-too-complex", "{e:?}");
        e
    }

    #[test]
    fn deep_nesting_is_a_located_error() {
        // Quotes and lists: at the element that crosses the limit.
        let md = format!("Intro.\n\n{} deep\n", ">".repeat(50_000));
        let e = too_complex(&md);
        assert_eq!(e.range.start, "Intro.\n\n".len() + MAX_NESTING, "{e:?}");
        too_complex(&format!("{}x\n", "- ".repeat(200)));
        // Raw HTML, on its own or inside Markdown's nesting.
        let e = too_complex(&format!("Intro.\n\n{}\n", "<div>".repeat(40_000)));
        assert!(e.message.contains("more than 500 tags"), "{e:?}");
        assert_eq!(e.range.start, "Intro.\n\n".len());
        let e = too_complex(&format!("{}\n", "<div>".repeat(150)));
        assert!(e.message.contains("levels deep"), "{e:?}");
        too_complex(&format!("{}<div><div>\n", "> ".repeat(99)));
        // Unclosed formatting tags re-opened at every element.
        let bold: String = (0..100).map(|i| format!("<b title=\"{i}\">")).collect();
        let e = too_complex(&format!("<div>{bold}</div>{}\n", "<p>x</p>".repeat(350)));
        assert!(e.message.contains("8-fold"), "{e:?}");
        // At the limits: renders.
        let md = format!(
            "{}x\n\n<table><tr><td>a</td></tr></table>\n",
            "> ".repeat(MAX_NESTING - 2)
        );
        assert!(render(&md, &headings(&md), keep, keep).is_ok());
    }

    #[test]
    fn serialized_depth_follows_tags_not_text_or_attributes() {
        assert_eq!(
            serialized_depth("<div><p>a &lt;b&gt; <br><img src=\"x\"></p></div>"),
            2
        );
        assert_eq!(
            serialized_depth("<a title=\"<i>x</i> >\" href=\"y\"><b>z</b></a>"),
            2
        );
        assert_eq!(
            serialized_depth("<ul><li>a</li><li>b<ul><li>c</li></ul></li></ul>"),
            4
        );
        assert_eq!(serialized_depth("text only"), 0);
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
