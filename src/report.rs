//! Printing diagnostics: compiler-style for people (file:line:col, the offending line, a
//! caret), one JSON document for machines (SPEC §9).

use crate::diagnostic::{Diagnostic, Diagnostics, Severity};
use crate::site::Site;
use codespan_reporting::diagnostic::{Diagnostic as Report, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, termcolor};
use serde::Serialize;
use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::Path;

/// The longest source line (in bytes) a diagnostic quotes.
const MAX_SHOWN_LINE: usize = 10_000;

/// The length of the line holding `span`.
fn line_len(text: &str, span: std::ops::Range<usize>) -> usize {
    let start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
    let end = text[span.start..]
        .find('\n')
        .map_or(text.len(), |i| span.start + i);
    end - start
}

/// Byte range of the token starting at (line, column) in `text`.
fn span(text: &str, line: usize, column: usize) -> Option<std::ops::Range<usize>> {
    let start_of_line = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum::<usize>();
    let line_text = text[start_of_line..].split('\n').next()?;
    let offset: usize = line_text
        .chars()
        .take(column.saturating_sub(1))
        .map(char::len_utf8)
        .sum();
    let rest = &line_text[offset.min(line_text.len())..];
    // A quoted value runs to its closing quote; a plain one to the next separator.
    let quoted = rest.chars().next().filter(|c| *c == '"' || *c == '\'');
    let len = match quoted {
        Some(q) => rest[1..].find(q).map_or(rest.trim_end().len(), |i| i + 2),
        None => rest
            .char_indices()
            .find(|(_, c)| c.is_whitespace() || matches!(c, ',' | ']' | '}' | '#'))
            .map_or(rest.trim_end().len(), |(i, _)| i),
    }
    .max(1);
    let start = start_of_line + offset;
    Some(start..(start + len).min(text.len()).max(start))
}

/// Renders diagnostics to a string (no colour), for tests and logs.
pub fn render_plain(root: &Path, diags: &Diagnostics) -> String {
    let mut out = Escaping(termcolor::NoColor::new(Vec::new()));
    emit(root, diags, &mut out);
    String::from_utf8_lossy(&out.0.into_inner()).into_owned()
}

/// Prints diagnostics to stderr.
pub fn human(root: &Path, diags: &Diagnostics) {
    let choice = if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        termcolor::ColorChoice::Auto
    } else {
        termcolor::ColorChoice::Never
    };
    let stream = termcolor::StandardStream::stderr(choice);
    emit(root, diags, &mut Escaping(stream.lock()));
}

/// `text` with the characters a terminal acts on (C0 and C1 controls, DEL) written as
/// `\u{1b}`, keeping newlines and tabs. Records, plugin answers and file names are
/// untrusted: an ESC or BEL in them must not move the cursor, retitle the window or
/// hide a line of the report when it is printed.
pub fn terminal_safe(text: &str) -> std::borrow::Cow<'_, str> {
    escape_chars(
        text,
        |c| c.is_control() && c != '\n' && c != '\t',
        |c| format!("\\u{{{:x}}}", c as u32),
    )
}

/// `text` with every character `unsafe_char` picks replaced by its `escape`.
fn escape_chars(
    text: &str,
    unsafe_char: impl Fn(char) -> bool,
    escape: impl Fn(char) -> String,
) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(&unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            out.push_str(&escape(c));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A terminal writer that passes every piece of text through [`terminal_safe`], while
/// the colours (set through `WriteColor`, not written as text) still reach the terminal.
struct Escaping<W>(W);

impl<W: std::io::Write> std::io::Write for Escaping<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // Text arrives in whole `str` pieces; a byte outside UTF-8 is shown as U+FFFD.
        let text = String::from_utf8_lossy(buf);
        self.0.write_all(terminal_safe(&text).as_bytes())?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

impl<W: termcolor::WriteColor> termcolor::WriteColor for Escaping<W> {
    fn supports_color(&self) -> bool {
        self.0.supports_color()
    }
    fn set_color(&mut self, spec: &termcolor::ColorSpec) -> std::io::Result<()> {
        self.0.set_color(spec)
    }
    fn reset(&mut self) -> std::io::Result<()> {
        self.0.reset()
    }
}

fn emit(root: &Path, diags: &Diagnostics, out: &mut dyn termcolor::WriteColor) {
    let mut files = SimpleFiles::new();
    let mut ids: HashMap<&str, Option<usize>> = HashMap::new();
    let config = term::Config::default();
    for d in diags.iter() {
        // Only diagnostics with a position show source lines; read each file once, through
        // the same size cap as loading (a `file-too-large` file is never read here).
        let id = if d.line > 0 {
            *ids.entry(&d.file).or_insert_with(|| {
                // Opened as loading opens files: never through a link or a FIFO.
                let bytes = crate::source::read_prefix(
                    root,
                    &root.join(&d.file),
                    crate::source::MAX_TEXT_BYTES,
                );
                // Lossy, so a file with invalid UTF-8 still shows its line.
                bytes.map(|b| files.add(d.file.clone(), String::from_utf8_lossy(&b).into_owned()))
            })
        } else {
            None
        };
        let mut report = match d.severity {
            Severity::Error => Report::error(),
            Severity::Warning => Report::warning(),
        }
        .with_code(d.code);
        let label = id.filter(|_| d.line > 0).and_then(|id| {
            let text = files.get(id).ok()?.source();
            span(text, d.line, d.column).map(|r| (Label::primary(id, r.clone()), line_len(text, r)))
        });
        report = match label {
            Some((l, len)) if len <= MAX_SHOWN_LINE => {
                report.with_message(&d.message).with_labels(vec![l])
            }
            // A line of megabytes (hostile input) is not printed: it would take seconds
            // and flood the terminal. The position is still given.
            Some(_) => report.with_message(format!(
                "{}:{}:{}: {} (the line is too long to show)",
                d.file, d.line, d.column, d.message
            )),
            // A file that is not shown (one outside the site, such as a sheet or a
            // mapping file) still gives its position.
            None if d.line > 0 => {
                report.with_message(format!("{}:{}:{}: {}", d.file, d.line, d.column, d.message))
            }
            None => report.with_message(format!("{}: {}", d.file, d.message)),
        };
        if let Some(help) = &d.help {
            report = report.with_notes(vec![format!("help: {help}")]);
        }
        let _ = term::emit(out, &config, &files, &report);
    }
}

/// "3 errors, 1 warning" after a failed command.
pub fn summary(diags: &Diagnostics, what: &str) {
    let (e, w) = (diags.errors(), diags.warnings());
    if e + w == 0 {
        eprintln!("{what}: no problems found");
    } else {
        eprintln!(
            "{what}: {} error{}, {} warning{}",
            e,
            if e == 1 { "" } else { "s" },
            w,
            if w == 1 { "" } else { "s" }
        );
    }
}

/// The whole `check --json` document as one value: what [`JsonWriter`] writes piece by
/// piece (the tests compare the two).
#[cfg(test)]
#[derive(Serialize)]
struct JsonReport<'a> {
    as_of: Option<String>,
    products: Vec<JsonProduct<'a>>,
    /// Reports that lapse within `[reminders] days` (or `--due DAYS`) of `as_of`.
    due: Vec<crate::due::Due>,
    diagnostics: Vec<&'a Diagnostic>,
}

#[derive(Serialize)]
struct JsonProduct<'a> {
    id: &'a str,
    file: &'a str,
    assessments: &'a [crate::assess::Assessment],
}

/// The `check --json` document. Its `due` list holds the reports that lapse within
/// `[reminders] days` of `as_of` (set `site.config.reminder_days` for `--due DAYS`).
pub fn json(
    site: Option<&Site>,
    assessed: Option<&crate::assess::Assessed>,
    diags: &Diagnostics,
) -> String {
    let due = match (site, assessed) {
        (Some(s), Some(a)) => crate::due::due(s, a, Some(s.config.reminder_days)),
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    let written = JsonWriter::start(&mut out, site.map(|s| s.as_of)).and_then(|mut w| {
        if let Some(s) = site {
            w.products(s, assessed)?;
        }
        w.finish(&due, diags)
    });
    match written {
        Ok(()) => String::from_utf8(out).expect("serde_json writes UTF-8"),
        Err(e) => format!("{{\"error\":\"{e}\"}}"),
    }
}

/// The `check --json` document written as it is made, products a batch at a time
/// (`check` of a large site in batches, whose products are never all held): the same
/// bytes `serde_json::to_string_pretty` makes of the whole report. Products must come
/// in id order across calls to [`JsonWriter::products`].
pub struct JsonWriter<W: std::io::Write> {
    out: W,
    products: usize,
}

impl<W: std::io::Write> JsonWriter<W> {
    /// Writes the document's start: `as_of` (`None` when the site did not load).
    pub fn start(mut out: W, as_of: Option<time::Date>) -> std::io::Result<JsonWriter<W>> {
        let as_of = serde_json::to_string(&as_of.map(crate::date::iso))?;
        write!(out, "{{\n  \"as_of\": {as_of},\n  \"products\": [")?;
        Ok(JsonWriter { out, products: 0 })
    }

    /// A writer of products alone, whose bytes [`JsonWriter::copy_products`] puts in a
    /// document later.
    pub fn products_only(out: W) -> JsonWriter<W> {
        JsonWriter { out, products: 0 }
    }

    /// How many products were written.
    pub fn written(&self) -> usize {
        self.products
    }

    /// Copies the bytes a [`JsonWriter::products_only`] wrote of `count` products, as
    /// the document's first products.
    pub fn copy_products(
        &mut self,
        from: &mut impl std::io::Read,
        count: usize,
    ) -> std::io::Result<()> {
        assert_eq!(self.products, 0, "copied products come first");
        std::io::copy(from, &mut self.out)?;
        self.products = count;
        Ok(())
    }

    /// Writes the site's products with their assessments, in the site's (id) order.
    pub fn products(
        &mut self,
        site: &Site,
        assessed: Option<&crate::assess::Assessed>,
    ) -> std::io::Result<()> {
        for p in &site.content.products {
            let product = JsonProduct {
                id: &p.id,
                file: &p.file,
                assessments: assessed
                    .and_then(|a| a.by_product.get(&p.id))
                    .map_or(&[], Vec::as_slice),
            };
            let sep = if self.products == 0 { "" } else { "," };
            write!(self.out, "{sep}\n    ")?;
            self.nested(&product, 2)?;
            self.products += 1;
        }
        Ok(())
    }

    /// Writes the `due` list and every problem, and the document's end.
    pub fn finish(mut self, due: &[crate::due::Due], diags: &Diagnostics) -> std::io::Result<()> {
        let close = if self.products == 0 { "]" } else { "\n  ]" };
        write!(self.out, "{close},\n  \"due\": ")?;
        self.nested(&due, 1)?;
        write!(self.out, ",\n  \"diagnostics\": ")?;
        let diagnostics: Vec<&Diagnostic> = diags.iter().collect();
        self.nested(&diagnostics, 1)?;
        write!(self.out, "\n}}")?;
        self.out.flush()
    }

    /// `value` as pretty JSON nested `depth` levels deep: its own pretty text with every
    /// line after the first indented two spaces a level (JSON strings hold no line
    /// breaks, only `\n` escapes), made safe for a terminal.
    fn nested(&mut self, value: &impl Serialize, depth: usize) -> std::io::Result<()> {
        let text = json_terminal_safe(serde_json::to_string_pretty(value)?);
        let indent = "  ".repeat(depth);
        let mut lines = text.split('\n');
        if let Some(first) = lines.next() {
            self.out.write_all(first.as_bytes())?;
        }
        for line in lines {
            write!(self.out, "\n{indent}{line}")?;
        }
        Ok(())
    }
}

/// serde_json escapes U+0000–U+001F but writes DEL and the C1 controls (U+0080–U+009F,
/// U+009B is a CSI on many terminals) raw. They can only stand inside a JSON string
/// there, where `\u00XX` means the same character, so the document's value is unchanged
/// and a terminal showing it is not driven by record text.
fn json_terminal_safe(text: String) -> String {
    escape_chars(
        &text,
        |c| ('\u{7f}'..='\u{9f}').contains(&c),
        |c| format!("\\u{:04x}", c as u32),
    )
    .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`json`] against `to_string_pretty` of the whole report, for the example site (the
    /// crate's root), as checked, and for a site whose configuration did not load.
    #[test]
    fn the_json_written_in_pieces_is_the_pretty_document() {
        use crate::pipeline::{Pipeline, Purpose};
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut p = Pipeline::load(root, &crate::site::Overrides::default());
        if let Some(site) = p.site.as_mut() {
            // Every lapse within ten years, so the `due` list has entries.
            site.config.reminder_days = 3650;
        }
        p.assess().review(Purpose::Check).remind();
        let (site, assessed) = (p.site.as_ref().unwrap(), p.assessed.as_ref().unwrap());
        let due = crate::due::due(site, assessed, Some(site.config.reminder_days));
        assert!(!due.is_empty());
        let whole = JsonReport {
            as_of: Some(crate::date::iso(site.as_of)),
            products: site
                .content
                .products
                .iter()
                .map(|p| JsonProduct {
                    id: &p.id,
                    file: &p.file,
                    assessments: assessed.by_product.get(&p.id).map_or(&[], Vec::as_slice),
                })
                .collect(),
            due,
            diagnostics: p.diagnostics.iter().collect(),
        };
        let expected = json_terminal_safe(serde_json::to_string_pretty(&whole).unwrap());
        assert_eq!(json(Some(site), Some(assessed), &p.diagnostics), expected);

        let mut diags = Diagnostics::default();
        diags.push(Diagnostic::error("bad-config", "site.toml", "x"));
        let none = JsonReport {
            as_of: None,
            products: Vec::new(),
            due: Vec::new(),
            diagnostics: diags.iter().collect(),
        };
        let expected = serde_json::to_string_pretty(&none).unwrap();
        assert_eq!(json(None, None, &diags), expected);
    }

    #[test]
    fn json_escapes_the_controls_serde_json_leaves_raw() {
        let doc =
            serde_json::to_string(&serde_json::json!({"m": "a\u{9b}31m\u{7f}\u{1b}z"})).unwrap();
        let safe = json_terminal_safe(doc);
        assert!(!safe.chars().any(|c| c.is_control()), "{safe}");
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back["m"], "a\u{9b}31m\u{7f}\u{1b}z");
    }

    #[test]
    fn spans_cover_the_token() {
        let text = "id: x\nmanufacturer: nobody-here # comment\n";
        let r = span(text, 2, 15).unwrap();
        assert_eq!(&text[r], "nobody-here");
        let r = span("  - lot: \"bad lot\"\n", 1, 10).unwrap();
        assert_eq!(&"  - lot: \"bad lot\"\n"[r], "\"bad lot\"");
        let r = span("markets: [US, XX]\n", 1, 15).unwrap();
        assert_eq!(&"markets: [US, XX]\n"[r], "XX");
    }

    #[test]
    fn control_characters_never_reach_the_terminal() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("p.yaml"),
            "id: x\nname: \"\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m\"\n",
        )
        .unwrap();
        let mut ds = Diagnostics::default();
        ds.push(
            Diagnostic::error("bad", "p.yaml", "name `\u{1b}[8mhidden\r` is odd")
                .at(2, 7)
                .with_help("\u{7}bell"),
        );
        ds.push(Diagnostic::warning("bad", "q\u{1b}.yaml", "whole file"));
        let out = render_plain(dir.path(), &ds);
        assert!(
            !out.chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t'),
            "{out:?}"
        );
        assert!(out.contains("\\u{1b}[8mhidden\\u{d}"), "{out}");
        assert!(out.contains("\\u{1b}]0;pwned\\u{7}"), "{out}");
        assert!(out.contains("\\u{9b}31m"), "{out}");
        assert!(out.contains("q\\u{1b}.yaml"), "{out}");
        assert_eq!(terminal_safe("a\tb\nc"), "a\tb\nc");
    }

    #[test]
    fn plain_rendering_shows_the_line_and_a_caret() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("p.yaml"), "id: x\nmanufacturer: nobody\n").unwrap();
        let mut ds = Diagnostics::default();
        ds.push(
            Diagnostic::error("unknown-party", "p.yaml", "no party with id `nobody`")
                .at(2, 15)
                .with_help("add it"),
        );
        let out = render_plain(dir.path(), &ds);
        assert!(
            out.contains("error[unknown-party]: no party with id `nobody`"),
            "{out}"
        );
        assert!(out.contains("p.yaml:2:15"), "{out}");
        assert!(out.contains("manufacturer: nobody"), "{out}");
        assert!(out.contains("^^^^^^"), "{out}");
        assert!(out.contains("help: add it"), "{out}");
    }
}
