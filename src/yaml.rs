//! All YAML parsing lives here, so the parser can be swapped in one place.
//!
//! serde_yaml deserialises records and locates syntax and type errors, but not duplicate
//! keys, and it cannot say where a *valid* value sits (an unknown party id, a bad GTIN).
//! For those, [`Locator`] re-reads the file's event stream with yaml-rust2 and maps a
//! path such as `lots[1].made` to its line and column. It only runs for files that have a
//! problem, so a clean build never parses twice.

use serde::de::DeserializeOwned;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// One step of a path into a YAML document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A path into a YAML document, e.g. `lots[1].made`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct YamlPath(pub Vec<Seg>);

impl YamlPath {
    pub fn root() -> Self {
        YamlPath(Vec::new())
    }

    pub fn key(&self, k: &str) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Key(k.to_string()));
        p
    }

    pub fn index(&self, i: usize) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Index(i));
        p
    }
}

/// Shorthand: `path!["lots", 1, "made"]`.
#[macro_export]
macro_rules! ypath {
    ($($seg:expr),* $(,)?) => {{
        #[allow(unused_mut)]
        let mut p = $crate::yaml::YamlPath::root();
        $( p = $crate::yaml::PathStep::step($seg, &p); )*
        p
    }};
}

/// Lets `ypath!` take both keys and indices.
pub trait PathStep {
    fn step(self, p: &YamlPath) -> YamlPath;
}
impl PathStep for &str {
    fn step(self, p: &YamlPath) -> YamlPath {
        p.key(self)
    }
}
impl PathStep for &String {
    fn step(self, p: &YamlPath) -> YamlPath {
        p.key(self)
    }
}
impl PathStep for usize {
    fn step(self, p: &YamlPath) -> YamlPath {
        p.index(self)
    }
}

impl fmt::Display for YamlPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// Deserialises a map, refusing a key that appears twice. serde's maps keep the last
/// value silently, so `importers: { US: a, US: b }` would quietly mean `b`.
pub fn unique_keys<'de, D, K, V>(d: D) -> Result<BTreeMap<K, V>, D::Error>
where
    D: serde::Deserializer<'de>,
    K: serde::Deserialize<'de> + Ord + fmt::Display,
    V: serde::Deserialize<'de>,
{
    struct Visit<K, V>(std::marker::PhantomData<(K, V)>);
    impl<'de, K, V> serde::de::Visitor<'de> for Visit<K, V>
    where
        K: serde::Deserialize<'de> + Ord + fmt::Display,
        V: serde::Deserialize<'de>,
    {
        type Value = BTreeMap<K, V>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a mapping")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some(k) = map.next_key::<K>()? {
                if out.contains_key(&k) {
                    return Err(serde::de::Error::custom(format!(
                        "duplicate entry with key `{k}`"
                    )));
                }
                let v = map.next_value()?;
                out.insert(k, v);
            }
            Ok(out)
        }
    }
    d.deserialize_map(Visit(std::marker::PhantomData))
}

/// Deserialises a map into (key, value) pairs in the order written, refusing a repeated
/// key: for sections where order means something (a `define` may use those above it).
pub fn ordered_pairs<'de, D, V>(d: D) -> Result<Vec<(String, V)>, D::Error>
where
    D: serde::Deserializer<'de>,
    V: serde::Deserialize<'de>,
{
    struct Visit<V>(std::marker::PhantomData<V>);
    impl<'de, V: serde::Deserialize<'de>> serde::de::Visitor<'de> for Visit<V> {
        type Value = Vec<(String, V)>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a mapping")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out: Vec<(String, V)> = Vec::new();
            while let Some(k) = map.next_key::<String>()? {
                if out.iter().any(|(seen, _)| *seen == k) {
                    return Err(serde::de::Error::custom(format!(
                        "duplicate entry with key `{k}`"
                    )));
                }
                out.push((k, map.next_value()?));
            }
            Ok(out)
        }
    }
    d.deserialize_map(Visit(std::marker::PhantomData))
}

/// A YAML file that could not be deserialised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub code: &'static str,
    pub message: String,
    /// 1-based line and column; (0, 0) when serde_yaml gave none and none could be found.
    pub line: usize,
    pub column: usize,
    /// How to fix it, when that is known (the valid names, the indentation to use).
    pub help: Option<String>,
}

impl YamlError {
    /// As a diagnostic in `file`, `line_offset` lines below the file's start (for YAML
    /// embedded in a larger file, such as front matter).
    pub fn diagnostic(self, file: &str, line_offset: usize) -> crate::diagnostic::Diagnostic {
        let mut d = crate::diagnostic::Diagnostic::error(self.code, file, self.message)
            .at(self.line + line_offset, self.column);
        d.help = self.help;
        d
    }
}

/// Deserialises `text`. On failure the error carries a diagnostic code and a position.
///
/// A document nested deeper than [`MAX_NESTING`] is refused before serde_yaml reads it
/// (see [`check_nesting`]).
///
/// When the error comes from a line indented unlike its siblings (YAML then reads another
/// structure, and serde says "missing field" or "invalid type" somewhere else), the error
/// is reported as that line's indentation instead ([`misindented`]).
pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    check_nesting(text)?;
    serde_yaml::from_str(text).map_err(|e| {
        let error = classify(text, &e);
        misindented::<T>(text, &error).unwrap_or(error)
    })
}

/// The largest document, and the most re-indented readings, [`misindented`] tries:
/// records are a few kilobytes, and this bounds the work on hostile input.
const INDENT_TEXT_MAX: usize = 16 * 1024;
const INDENT_TRIES_MAX: usize = 60;

/// Record maps whose keys are the author's (vocabulary terms, markets, schemes): a line
/// moved into one always reads, so such a reading proves nothing about indentation.
const FREE_FORM_MAPS: &[&str] = &["attributes", "importers", "declarations", "accreditations"];

/// One line of a document as [`misindented`] sees it.
struct IndentLine<'a> {
    /// Leading spaces.
    indent: usize,
    /// The line after them.
    rest: &'a str,
    /// `key:` (with any `- ` before it), when the line starts a mapping entry.
    key: Option<&'a str>,
    /// The key's column (0-based): the indentation, plus any `- ` before the key.
    key_column: usize,
    /// Whether the key has a value on its line (so nothing can sit under it).
    has_value: bool,
}

fn indent_lines(text: &str) -> Vec<IndentLine<'_>> {
    let mut out = Vec::new();
    // Inside a block scalar (`description: |`), lines deeper than its key are text.
    let mut scalar_under: Option<usize> = None;
    for line in text.split('\n') {
        let rest = line.trim_start_matches(' ');
        let indent = line.len() - rest.len();
        let blank = rest.trim().is_empty();
        if let Some(under) = scalar_under {
            if blank || indent > under {
                out.push(IndentLine {
                    indent,
                    rest,
                    key: None,
                    key_column: indent,
                    has_value: false,
                });
                continue;
            }
            scalar_under = None;
        }
        let mut entry = rest;
        while let Some(r) = entry.strip_prefix("- ") {
            entry = r.trim_start_matches(' ');
        }
        let key_len = entry
            .find(|c: char| !(c.is_ascii_alphanumeric() || "_-.".contains(c)))
            .unwrap_or(entry.len());
        let after = &entry[key_len..];
        let key = (key_len > 0
            && after.starts_with(':')
            && (after.len() == 1 || after[1..].starts_with([' ', '\r'])))
        .then(|| &rest[..rest.len() - entry.len() + key_len + 1]);
        let mut has_value = false;
        if key.is_some() {
            let value = after[1..].trim();
            if value.starts_with(['|', '>']) {
                scalar_under = Some(indent);
            }
            has_value = !value.is_empty() && !value.starts_with('#');
        }
        out.push(IndentLine {
            indent,
            rest,
            key,
            key_column: indent + rest.len() - entry.len(),
            has_value,
        });
    }
    out
}

/// Finds the line whose indentation made a document fail: a mapping key that, moved to
/// the indentation of other keys around it (alone, or with the lines under it), makes
/// the whole document read as `T`. Returns an error at that line saying so, or `None`
/// when no single re-indented line mends the document (the error is something else).
///
/// Trying readings, rather than guessing from the text, means a line is blamed only when
/// its indentation is the whole problem. Lines whose indentation matches no other key,
/// or that sit deeper under a key that already has a value, are tried first.
fn misindented<T: DeserializeOwned>(text: &str, error: &YamlError) -> Option<YamlError> {
    if text.len() > INDENT_TEXT_MAX
        || !matches!(
            error.code,
            "missing-key" | "wrong-type" | "unknown-key" | "wrong-value" | "yaml-syntax"
        )
    {
        return None;
    }
    let lines = indent_lines(text);
    let keys: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].key.is_some())
        .collect();
    // The indentations a line may be moved to: those of the keys, and of keys after a
    // `- ` (the next keys of that sequence item sit there).
    let mut levels: Vec<usize> = keys
        .iter()
        .flat_map(|&i| [lines[i].indent, lines[i].key_column])
        .collect();
    levels.sort_unstable();
    levels.dedup();
    if levels.len() < 2 {
        return None;
    }
    // Odd lines first: an indentation no other key has, or deeper than the key above
    // when that key has a value of its own (so nothing can sit under it).
    let odd = |n: usize, i: usize| {
        let l = &lines[i];
        let alone = keys.iter().all(|&j| j == i || lines[j].indent != l.indent);
        let under_value = n > 0 && {
            let p = &lines[keys[n - 1]];
            p.has_value && l.indent > p.key_column
        };
        alone || under_value
    };
    // Only lines that can be the cause are tried: for a missing or unknown field, the
    // lines with that key (moved into or out of the mapping serde read); otherwise the
    // odd lines and those near the error.
    let named = matches!(error.code, "missing-key" | "unknown-key")
        .then(|| error.message.split('`').nth(1))
        .flatten();
    // A line at an indentation of its own is tried whatever the error names: moved left
    // inside an entry, it ends the entry early, and serde then misses a field that
    // comes after it (`covers`), not the line itself.
    let candidate = |n: usize, i: usize| match named {
        Some(name) => {
            lines[i]
                .key
                .is_some_and(|k| k.trim_start_matches(['-', ' ']).strip_suffix(':') == Some(name))
                || odd(n, i)
        }
        None => odd(n, i) || (i + 1).abs_diff(error.line) <= 3,
    };
    // Then keys before sequence items (`- key:`, which can often move with the same
    // effect, but are rarely what was mistyped), nearest the error first.
    let mut order: Vec<(bool, bool, usize, usize)> = keys
        .iter()
        .enumerate()
        .skip(1)
        .filter(|&(n, &i)| candidate(n, i))
        .map(|(n, &i)| {
            let item = lines[i].rest.starts_with("- ");
            (!odd(n, i), item, (i + 1).abs_diff(error.line), i)
        })
        .collect();
    order.sort_unstable();
    let mut tries = 0;
    for (_, _, _, i) in order {
        let from = lines[i].indent;
        let mut targets: Vec<usize> = levels.iter().copied().filter(|&t| t != from).collect();
        targets.sort_by_key(|&t| t.abs_diff(from));
        // Whether lines sit under this one, to move with it.
        let has_block = lines.get(i + 1).is_some_and(|l| l.indent > from);
        for to in targets {
            // Moved under a map whose keys are free (attributes, importers, ...), any key
            // reads: the reading parses without saying the key was misplaced (`imgae:`
            // would be blamed on indentation instead of being a misspelt `image`).
            let parent = lines[..i]
                .iter()
                .rev()
                .find(|l| l.key.is_some() && l.key_column < to)
                .and_then(|l| l.key)
                .map(|k| k.trim_start_matches(['-', ' ']).trim_end_matches(':'));
            if parent.is_some_and(|k| FREE_FORM_MAPS.contains(&k)) {
                continue;
            }
            for with_block in [false, true] {
                if with_block && !has_block {
                    continue;
                }
                tries += 1;
                if tries > INDENT_TRIES_MAX {
                    return None;
                }
                let mut out = String::with_capacity(text.len() + 16);
                let mut in_block = true;
                for (j, l) in lines.iter().enumerate() {
                    if j > 0 {
                        out.push('\n');
                    }
                    let shift = if j == i {
                        true
                    } else if j > i && with_block && in_block {
                        let deeper = l.rest.trim().is_empty() || l.indent > from;
                        in_block = deeper;
                        deeper
                    } else {
                        false
                    };
                    let indent = if shift {
                        (l.indent + to).saturating_sub(from)
                    } else {
                        l.indent
                    };
                    out.extend(std::iter::repeat_n(' ', indent));
                    out.push_str(l.rest);
                }
                if serde_yaml::from_str::<T>(&out).is_ok() {
                    let key = lines[i].key.unwrap_or_default();
                    let spaces = |n: usize| match n {
                        1 => "1 space".to_string(),
                        n => format!("{n} spaces"),
                    };
                    return Some(YamlError {
                        code: "bad-indent",
                        message: format!(
                            "`{key}` is indented {} where its siblings use {to}",
                            spaces(from)
                        ),
                        line: i + 1,
                        column: from + 1,
                        help: Some(format!(
                            "move `{key}` to column {}, in line with the other keys of its mapping (YAML reads indentation as structure: as written, {})",
                            to + 1,
                            error.message
                        )),
                    });
                }
            }
        }
    }
    None
}

/// How deep a YAML document may nest collections: flow `[`/`{` and block (indented)
/// mappings and sequences together. Records nest four or five levels; serde_yaml stops
/// at 128.
pub const MAX_NESTING: usize = 64;

/// Refuses a document whose collections nest deeper than [`MAX_NESTING`], at the line and
/// column of the collection that crosses the limit, in one linear pass.
///
/// Why before parsing: libyaml (under serde_yaml) and yaml-rust2 keep one "possible
/// simple key" per open flow collection and walk them all for every token, so
/// `name: [[[[…` takes time quadratic in its depth (a 100 KB one took 14 s; 1 MB, more
/// than 5 minutes), and serde_yaml then reported it as a wrong type for `name`.
///
/// The pass follows libyaml's scanner (scanner.c): its token starts, plain, quoted and
/// block scalars (whose extents depend on the block indentation, so that is tracked
/// too), comments, tags, anchors and line breaks, so a bracket inside a scalar or a
/// comment is not counted and one libyaml reads as structure is never missed. Where
/// libyaml would stop with a syntax error, the pass reads on; serde_yaml reports the
/// error. The depth counted is the flow level plus the block indentation levels (with
/// an indentless sequence under a mapping key as one more).
pub fn check_nesting(text: &str) -> Result<(), YamlError> {
    nesting(text, true)
}

/// [`check_nesting`] as libyaml reads (`libyaml`) or as yaml-rust2 does: it breaks lines
/// only at CR and LF (not NEL, LS, PS), keeps a byte-order mark as a character and skips
/// tabs between tokens, so it may see structure where libyaml saw a scalar.
fn nesting(text: &str, libyaml: bool) -> Result<(), YamlError> {
    match Nesting::new(text, MAX_NESTING, libyaml).run() {
        Ok(()) => Ok(()),
        Err((line, column)) => Err(YamlError {
            code: "yaml-too-complex",
            message: format!("nesting deeper than {MAX_NESTING} levels"),
            line,
            column,
            help: None,
        }),
    }
}

fn classify(text: &str, err: &serde_yaml::Error) -> YamlError {
    let full = err.to_string();
    // serde_yaml appends " at line L column C" to the message; the position is reported
    // separately, so strip it.
    let message = match full.find(" at line ") {
        Some(i) => full[..i].to_string(),
        None => full.clone(),
    };
    let code = code_of(&message);
    let (mut line, mut column) = err.location().map_or((0, 0), |l| (l.line(), l.column()));
    if code == "duplicate-key" || line == 0 {
        let locator = Locator::new(text);
        // serde names the repeated field: point at its second occurrence.
        let named = message.split('`').nth(1).unwrap_or_default();
        let dup = locator
            .duplicates
            .iter()
            .find(|(p, _)| matches!(p.0.last(), Some(Seg::Key(k)) if k == named))
            .or(locator.duplicates.first());
        if code == "duplicate-key"
            && let Some((_, pos)) = dup
        {
            (line, column) = *pos;
        }
        if line == 0 {
            // A missing key belongs to the mapping that lacks it: point at its start.
            (line, column) = locator.first_node.unwrap_or((1, 1));
        }
    }
    reading_error(&message, line, column)
}

/// The diagnostic code of serde_yaml's message.
fn code_of(message: &str) -> &'static str {
    if message.contains("unknown field") || message.contains("unknown variant") {
        "unknown-key"
    } else if message.contains("missing field") {
        "missing-key"
    } else if message.contains("duplicate entry") || message.contains("duplicate field") {
        "duplicate-key"
    } else if message.contains("recursion limit exceeded")
        || message.contains("repetition limit exceeded")
    {
        "yaml-too-complex"
    } else if message.contains("invalid type")
        || message.contains("invalid value")
        || message.contains("invalid length")
    {
        "wrong-type"
    } else {
        "yaml-syntax"
    }
}

/// A reading error from serde_yaml's `message` (without its position), classified and
/// worded as [`parse`] reports it, at `line` and `column`.
pub fn reading_error(message: &str, line: usize, column: usize) -> YamlError {
    let code = code_of(message);
    let mut help = None;
    let (code, message) = if code == "yaml-too-complex" {
        (
            code,
            format!("the YAML's aliases or nesting expand too far to read safely ({message})"),
        )
    } else if let Some((code, message, h)) = crate::suggest::retell(message) {
        // An unknown key names the nearest valid one; a value outside a closed set
        // (`result: passed`) is a wrong value, with the choices.
        help = h;
        (code, message)
    } else {
        help = list_help(message).or_else(|| missing_help(message));
        (code, message.to_string())
    };
    YamlError {
        code,
        message,
        line,
        column,
        help,
    }
}

/// For a missing field, what to add.
fn missing_help(message: &str) -> Option<String> {
    let field = message.split("missing field `").nth(1)?.split('`').next()?;
    Some(format!("add `{field}:` with its value here"))
}

/// For one value where a list belongs (`markets: US`), the list to write instead.
fn list_help(message: &str) -> Option<String> {
    let rest = message.split("invalid type: string \"").nth(1)?;
    let (value, tail) = rest.rsplit_once("\", expected a sequence")?;
    tail.is_empty()
        .then(|| format!("write a list, even of one: `[{value}]`"))
}

#[derive(Debug, Clone, Copy, Default)]
struct Place {
    key: Option<(usize, usize)>,
    value: Option<(usize, usize)>,
}

/// Line and column of a record's top-level `id` value. Records write it as a block
/// mapping's `id: value` line, found by a scan of the lines; anything else (flow style,
/// the value on the next line) is left to the full [`Locator`], which parses the text.
pub fn id_position(text: &str) -> (usize, usize) {
    let quick = text.lines().enumerate().find_map(|(i, line)| {
        let rest = line.strip_prefix("id:")?;
        let value = rest.trim_start_matches(' ');
        if value.is_empty() || value.starts_with(['#', '\t']) || !rest.starts_with(' ') {
            return None;
        }
        let column = line.chars().count() - value.chars().count() + 1;
        Some((i + 1, column))
    });
    quick.unwrap_or_else(|| Locator::new(text).value(&crate::ypath!["id"]))
}

/// Line and column (column 1) of each of `keys` written as a top-level block mapping key
/// (`evidence:` at the start of a line): where a fix naming the key points. A quick scan
/// of the lines, done when the file is read, so nothing is parsed again to report.
pub fn top_level_keys(text: &str, keys: &[&'static str]) -> Vec<(&'static str, (usize, usize))> {
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(&key) = keys.iter().find(|k| {
            line.strip_prefix(**k)
                .is_some_and(|rest| rest.starts_with(':'))
        }) && !found.iter().any(|(k, _)| *k == key)
        {
            found.push((key, (i + 1, 1)));
        }
    }
    found
}

/// The text of a top-level block `key:` and the lines under it (up to the next
/// top-level line), with the number of lines before it.
pub fn section<'t>(text: &'t str, key: &str) -> Option<(usize, &'t str)> {
    let mut start = None;
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let top = !line.starts_with([' ', '\t', '#', '\n', '\r', '-']);
        match start {
            None if top && line.strip_prefix(key).is_some_and(|r| r.starts_with(':')) => {
                start = Some((i, offset));
            }
            Some((first, from)) if top && i > first => return Some((first, &text[from..offset])),
            _ => {}
        }
        offset += line.len();
    }
    start.map(|(first, from)| (first, &text[from..]))
}

/// The `key: value` entries anywhere in `text` (`report: R-1` in a list of reports,
/// block or flow style), found by one scan of its lines: each value's line and column and
/// the rest of its line. A record's reports and lots are each looked up here; searching
/// the whole section once per report was most of the string searching `check` did.
pub struct Entries<'t>(Vec<(usize, usize, &'t str)>);

impl<'t> Entries<'t> {
    pub fn new(text: &'t str, key: &str) -> Self {
        let prefix = format!("{key}: ");
        let mut found = Vec::new();
        for (i, line) in text.lines().enumerate() {
            // Not in a comment, nor in a block of other text (a description quoting it).
            if line.trim_start().starts_with('#') {
                continue;
            }
            let mut from = 0;
            while let Some(at) = line[from..].find(&prefix) {
                let start = from + at + prefix.len();
                let column = line[..start].chars().count() + 1;
                found.push((i + 1, column, &line[start..]));
                from = start;
            }
        }
        Entries(found)
    }

    /// Line and column of the first entry whose value is `value`, plain or double-quoted;
    /// `None` when it is written some other way.
    pub fn find(&self, value: &str) -> Option<(usize, usize)> {
        self.0.iter().find_map(|&(line, column, rest)| {
            let after = rest.strip_prefix(value).or_else(|| {
                rest.strip_prefix('"')?
                    .strip_prefix(value)?
                    .strip_prefix('"')
            })?;
            // Not a longer value that starts the same (`R-1` in `R-12`).
            let next = after.chars().next();
            (!next.is_some_and(|c| !matches!(c, ',' | '}' | ' ' | '#'))).then_some((line, column))
        })
    }
}

/// Where each key and value of a YAML document sits.
#[derive(Debug, Default)]
pub struct Locator {
    places: HashMap<Vec<Seg>, Place>,
    /// Keys that appear twice in one mapping: (path of the second one, its position).
    pub duplicates: Vec<(YamlPath, (usize, usize))>,
    first_node: Option<(usize, usize)>,
}

impl Locator {
    /// Reads the event stream of `text`. A document that does not even scan yields an
    /// empty locator (serde_yaml will already have reported the syntax error).
    pub fn new(text: &str) -> Self {
        // yaml-rust2's scanner is as slow on deep flow nesting as libyaml's. Such a
        // document is refused by `parse`, so there is nothing to locate in it; the check
        // reads as yaml-rust2 does, which may see structure where libyaml saw a scalar.
        if nesting(text, false).is_err() {
            return Locator::default();
        }
        let mut walker = Walker::default();
        let _ = Parser::new_from_str(text).load(&mut walker, false);
        walker.locator
    }

    /// Position of the value at `path`, falling back to its key, then to the nearest
    /// ancestor that exists (a missing `lots[0].factory` points at `lots[0]`).
    pub fn value(&self, path: &YamlPath) -> (usize, usize) {
        self.lookup(path, |p| p.value.or(p.key))
    }

    /// Position of the key at `path` (for problems with the entry as a whole).
    pub fn key(&self, path: &YamlPath) -> (usize, usize) {
        self.lookup(path, |p| p.key.or(p.value))
    }

    fn lookup(
        &self,
        path: &YamlPath,
        pick: impl Fn(&Place) -> Option<(usize, usize)>,
    ) -> (usize, usize) {
        let mut segs = path.0.as_slice();
        loop {
            if let Some(pos) = self.places.get(segs).and_then(&pick) {
                return pos;
            }
            match segs.split_last() {
                Some((_, rest)) => segs = rest,
                None => return self.first_node.unwrap_or((1, 1)),
            }
        }
    }
}

enum Frame {
    Map {
        key: Option<String>,
        seen: HashSet<String>,
    },
    Seq {
        index: usize,
    },
}

#[derive(Default)]
struct Walker {
    locator: Locator,
    frames: Vec<Frame>,
    path: Vec<Seg>,
}

impl Walker {
    /// Called for every node (scalar, alias, or the start of a collection). Returns true
    /// when the node is a mapping key rather than a value.
    fn node(&mut self, scalar: Option<&str>, pos: (usize, usize)) -> bool {
        self.locator.first_node.get_or_insert(pos);
        match self.frames.last_mut() {
            Some(Frame::Map {
                key: key @ None,
                seen,
            }) => {
                let k = scalar.unwrap_or("").to_string();
                if seen.is_empty() {
                    // yaml-rust2 marks a block mapping after its first key; the first
                    // key is where a reader sees the mapping begin.
                    if let Some(place) = self.locator.places.get_mut(&self.path) {
                        place.value = Some(pos);
                    }
                }
                let mut at = self.path.clone();
                at.push(Seg::Key(k.clone()));
                if !seen.insert(k.clone()) {
                    self.locator.duplicates.push((YamlPath(at.clone()), pos));
                }
                self.locator
                    .places
                    .entry(at)
                    .or_default()
                    .key
                    .get_or_insert(pos);
                *key = Some(k);
                true
            }
            Some(Frame::Map { key: Some(k), .. }) => {
                let mut at = self.path.clone();
                at.push(Seg::Key(k.clone()));
                self.locator
                    .places
                    .entry(at)
                    .or_default()
                    .value
                    .get_or_insert(pos);
                false
            }
            Some(Frame::Seq { index }) => {
                let mut at = self.path.clone();
                at.push(Seg::Index(*index));
                self.locator
                    .places
                    .entry(at)
                    .or_default()
                    .value
                    .get_or_insert(pos);
                false
            }
            None => {
                self.locator
                    .places
                    .entry(Vec::new())
                    .or_default()
                    .value
                    .get_or_insert(pos);
                false
            }
        }
    }

    /// A value (scalar or whole collection) has ended: move the parent to its next slot.
    fn value_done(&mut self) {
        match self.frames.last_mut() {
            Some(Frame::Map { key, .. }) => *key = None,
            Some(Frame::Seq { index }) => *index += 1,
            None => {}
        }
    }

    fn enter(&mut self) {
        // The segment for the collection being entered is the parent's current slot.
        match self.frames.last() {
            Some(Frame::Map { key: Some(k), .. }) => self.path.push(Seg::Key(k.clone())),
            Some(Frame::Seq { index }) => self.path.push(Seg::Index(*index)),
            _ => {}
        }
    }

    fn leave(&mut self) {
        self.frames.pop();
        if !self.frames.is_empty() {
            self.path.pop();
        }
        self.value_done();
    }
}

impl MarkedEventReceiver for Walker {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let pos = (mark.line(), mark.col() + 1);
        match ev {
            Event::Scalar(..) | Event::Alias(_) => {
                let scalar = match &ev {
                    Event::Scalar(s, ..) => Some(s.as_str()),
                    _ => None,
                };
                // A key only names the slot; a value fills it, moving the parent on.
                let is_key = self.node(scalar, pos);
                if !is_key {
                    self.value_done();
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let is_key = self.node(None, pos);
                if is_key {
                    // A complex key: track it as an anonymous collection that ends a key.
                    if let Some(Frame::Map { key, .. }) = self.frames.last_mut() {
                        *key = Some(String::new());
                    }
                }
                if !self.frames.is_empty() {
                    self.enter();
                }
                self.frames.push(if matches!(ev, Event::MappingStart(..)) {
                    Frame::Map {
                        key: None,
                        seen: HashSet::new(),
                    }
                } else {
                    Frame::Seq { index: 0 }
                });
            }
            Event::MappingEnd | Event::SequenceEnd => self.leave(),
            _ => {}
        }
    }
}

/// A block collection libyaml's scanner has opened: its column, whether it is a mapping,
/// and whether an indentless sequence (`key:` then `- item` at the key's column) is
/// open in it.
struct Level {
    column: isize,
    mapping: bool,
    indentless: bool,
}

/// Where libyaml's scanner would have saved the block context's "simple key": the
/// token that becomes a mapping key if a `:` follows on the same line, and whose
/// column the new mapping's indentation is.
#[derive(Clone, Copy)]
struct Key {
    line: usize,
    index: usize,
    column: usize,
    /// The depth inside the key (a flow collection can be one, `[a, b]: c`): the
    /// mapping it opens holds it, one level deeper.
    inner: usize,
}

/// An open flow collection. A sequence entry with a `:` is a one-pair mapping inside the
/// sequence (`[a: b]` is `[{a: b}]`), holding its key one level deeper.
struct Flow {
    sequence: bool,
    pair: bool,
    /// The depth inside the current entry, and inside the whole collection.
    entry: usize,
    all: usize,
}

/// The state of [`check_nesting`]'s pass: the part of libyaml's scanner that decides
/// where tokens start and end (see scanner.c, whose function names the comments give).
struct Nesting<'a> {
    text: &'a [u8],
    /// Byte offset, as libyaml's `mark.index`.
    i: usize,
    /// 0-based line and column (in characters), as libyaml's marks.
    line: usize,
    col: usize,
    /// The flow level, `flows.len()`, for brevity.
    flow: usize,
    flows: Vec<Flow>,
    indent: isize,
    levels: Vec<Level>,
    /// `simple_key_allowed`.
    allowed: bool,
    /// The block context's possible simple key.
    key: Option<Key>,
    /// Reading as libyaml does, or as yaml-rust2 (see [`nesting`]).
    libyaml: bool,
    /// The depth that is an error, and the deepest seen (for tests).
    limit: usize,
    deepest: usize,
    deepest_flow: usize,
}

impl<'a> Nesting<'a> {
    fn new(text: &'a str, limit: usize, libyaml: bool) -> Self {
        Nesting {
            text: text.as_bytes(),
            i: 0,
            line: 0,
            col: 0,
            flow: 0,
            flows: Vec::new(),
            indent: -1,
            levels: Vec::new(),
            allowed: true,
            key: None,
            libyaml,
            limit,
            deepest: 0,
            deepest_flow: 0,
        }
    }

    /// The byte `k` bytes ahead, or 0 at the end (as libyaml's NUL-terminated buffer).
    fn at(&self, k: usize) -> u8 {
        self.text.get(self.i + k).copied().unwrap_or(0)
    }

    fn ch(&self) -> u8 {
        self.at(0)
    }

    /// The width in bytes of a line break at `k` bytes ahead (`\r\n` is one), or 0. Like
    /// libyaml, NEL, LS and PS break lines too.
    fn break_at(&self, k: usize) -> usize {
        match (self.at(k), self.at(k + 1), self.at(k + 2)) {
            (b'\r', b'\n', _) => 2,
            (b'\r' | b'\n', _, _) => 1,
            (0xC2, 0x85, _) if self.libyaml => 2,
            (0xE2, 0x80, 0xA8 | 0xA9) if self.libyaml => 3,
            _ => 0,
        }
    }

    fn is_break(&self) -> bool {
        self.break_at(0) > 0
    }

    fn blank_at(&self, k: usize) -> bool {
        matches!(self.at(k), b' ' | b'\t')
    }

    /// A blank, a line break or the end.
    fn blankz_at(&self, k: usize) -> bool {
        self.blank_at(k) || self.break_at(k) > 0 || self.at(k) == 0
    }

    fn breakz(&self) -> bool {
        self.is_break() || self.ch() == 0
    }

    /// SKIP: one character.
    fn skip(&mut self) {
        let width = match self.ch() {
            0x00..=0x7F => 1,
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            _ => 4,
        };
        self.i = (self.i + width).min(self.text.len());
        self.col += 1;
    }

    /// SKIP_LINE: one line break.
    fn skip_line(&mut self) {
        let width = self.break_at(0);
        if width > 0 {
            self.i += width;
            self.line += 1;
            self.col = 0;
        }
    }

    fn document_marker(&self) -> bool {
        self.col == 0
            && (self.text[self.i..].starts_with(b"---") || self.text[self.i..].starts_with(b"..."))
            && self.blankz_at(3)
    }

    fn flow_depth(&self) -> usize {
        self.flow + self.flows.iter().filter(|f| f.pair).count()
    }

    fn depth(&self) -> usize {
        self.flow_depth()
            + self
                .levels
                .iter()
                .map(|l| 1 + usize::from(l.indentless))
                .sum::<usize>()
    }

    /// After a collection opens at 0-based `line` and `col`, holding something `depth`
    /// deep (more than the current depth when a key turns out to be inside it): the
    /// 1-based position to report if that is too deep.
    fn opened(&mut self, depth: usize, line: usize, col: usize) -> Result<(), (usize, usize)> {
        let depth = depth.max(self.depth());
        self.deepest = self.deepest.max(depth);
        self.deepest_flow = self.deepest_flow.max(self.flow);
        if let Some(key) = &mut self.key {
            key.inner = key.inner.max(depth);
        }
        if let Some(top) = self.flows.last_mut() {
            top.entry = top.entry.max(depth);
            top.all = top.all.max(depth);
        }
        if depth > self.limit {
            Err((line + 1, col + 1))
        } else {
            Ok(())
        }
    }

    /// yaml_parser_roll_indent: a block collection opens at `column` (block context
    /// only), holding a key `inner` deep.
    fn roll(
        &mut self,
        column: usize,
        mapping: bool,
        inner: usize,
        at: (usize, usize),
    ) -> Result<(), (usize, usize)> {
        let column = column as isize;
        if self.flow > 0 {
            return Ok(());
        }
        if self.indent < column {
            self.levels.push(Level {
                column,
                mapping,
                indentless: false,
            });
            self.indent = column;
            return self.opened(inner + 1, at.0, at.1);
        }
        if let Some(top) = self.levels.last_mut().filter(|l| l.column == column) {
            // `- ` at a mapping's column opens an indentless sequence in it; a key there
            // ends it.
            top.indentless = top.mapping && !mapping;
        }
        self.opened(0, at.0, at.1)
    }

    /// A key or value indicator: in a flow sequence, the start of a pair, which holds
    /// the entry so far one level deeper.
    fn pair(&mut self, line: usize, col: usize) -> Result<(), (usize, usize)> {
        match self.flows.last_mut() {
            Some(top) if top.sequence && !top.pair => {
                top.pair = true;
                let inner = top.entry + 1;
                self.opened(inner, line, col)
            }
            _ => Ok(()),
        }
    }

    /// yaml_parser_unroll_indent.
    fn unroll(&mut self, column: isize) {
        if self.flow > 0 {
            return;
        }
        while self.indent > column {
            self.levels.pop();
            self.indent = self.levels.last().map_or(-1, |l| l.column);
        }
    }

    /// yaml_parser_save_simple_key (only the block context's key matters here).
    fn save_key(&mut self) {
        if self.allowed && self.flow == 0 {
            self.key = Some(Key {
                line: self.line,
                index: self.i,
                column: self.col,
                inner: self.depth(),
            });
        }
    }

    /// yaml_parser_remove_simple_key.
    fn remove_key(&mut self) {
        if self.flow == 0 {
            self.key = None;
        }
    }

    fn run(&mut self) -> Result<(), (usize, usize)> {
        loop {
            self.skip_to_next_token();
            // yaml_parser_stale_simple_keys: a key must be on one line, within 1024 bytes.
            if self
                .key
                .is_some_and(|k| k.line < self.line || k.index + 1024 < self.i)
            {
                self.key = None;
            }
            self.unroll(self.col as isize);
            let c = self.ch();
            let (line, col) = (self.line, self.col);
            if c == 0 {
                return Ok(());
            }
            if self.col == 0 && c == b'%' {
                // A directive fills its line.
                while !self.breakz() {
                    self.skip();
                }
            } else if self.document_marker() {
                self.unroll(-1);
                self.remove_key();
                self.allowed = false;
                for _ in 0..3 {
                    self.skip();
                }
            } else if c == b'[' || c == b'{' {
                self.save_key();
                self.flow += 1;
                self.flows.push(Flow {
                    sequence: c == b'[',
                    pair: false,
                    entry: 0,
                    all: 0,
                });
                self.allowed = true;
                self.skip();
                self.opened(0, line, col)?;
            } else if c == b']' || c == b'}' {
                self.remove_key();
                self.flow = self.flow.saturating_sub(1);
                if let Some(inner) = self.flows.pop()
                    && let Some(outer) = self.flows.last_mut()
                {
                    outer.entry = outer.entry.max(inner.all);
                    outer.all = outer.all.max(inner.all);
                }
                self.allowed = false;
                self.skip();
            } else if c == b',' {
                if let Some(top) = self.flows.last_mut() {
                    top.pair = false;
                }
                let depth = self.depth();
                if let Some(top) = self.flows.last_mut() {
                    top.entry = depth;
                }
                self.remove_key();
                self.allowed = true;
                self.skip();
            } else if c == b'-' && self.blankz_at(1) {
                self.roll(col, false, 0, (line, col))?;
                self.remove_key();
                self.allowed = true;
                self.skip();
            } else if c == b'?' && (self.flow > 0 || self.blankz_at(1)) {
                self.pair(line, col)?;
                self.roll(col, true, 0, (line, col))?;
                self.remove_key();
                self.allowed = self.flow == 0;
                self.skip();
            } else if c == b':' && (self.flow > 0 || self.blankz_at(1)) {
                self.pair(line, col)?;
                // In a flow collection the key is that collection's, not the block's.
                let key = if self.flow == 0 {
                    self.key.take()
                } else {
                    None
                };
                match key {
                    Some(k) => {
                        self.roll(k.column, true, k.inner, (k.line, k.column))?;
                        self.allowed = false;
                    }
                    None => {
                        self.roll(col, true, 0, (line, col))?;
                        self.allowed = self.flow == 0;
                    }
                }
                self.skip();
            } else if c == b'*' || c == b'&' {
                self.save_key();
                self.allowed = false;
                self.skip();
                while self.ch().is_ascii_alphanumeric() || matches!(self.ch(), b'_' | b'-') {
                    self.skip();
                }
            } else if c == b'!' {
                self.save_key();
                self.allowed = false;
                self.tag();
            } else if (c == b'|' || c == b'>') && self.flow == 0 {
                self.remove_key();
                self.allowed = true;
                self.block_scalar();
            } else if c == b'\'' || c == b'"' {
                self.save_key();
                self.allowed = false;
                self.quoted(c);
            } else if self.plain_can_start() {
                self.save_key();
                self.allowed = false;
                self.plain();
            } else {
                // libyaml stops here ("found character that cannot start any token");
                // reading on can only count more.
                self.skip();
            }
        }
    }

    /// yaml_parser_scan_to_next_token: spaces, comments and line breaks.
    fn skip_to_next_token(&mut self) {
        loop {
            if self.libyaml
                && self.col == 0
                && self.text[self.i..].starts_with("\u{FEFF}".as_bytes())
            {
                self.i += 3;
                self.col += 1;
            }
            let tab_skipped = self.flow > 0 || !self.allowed || !self.libyaml;
            while self.ch() == b' ' || (tab_skipped && self.ch() == b'\t') {
                self.skip();
            }
            if self.ch() == b'#' {
                while !self.breakz() {
                    self.skip();
                }
            }
            if !self.is_break() {
                return;
            }
            self.skip_line();
            if self.flow == 0 {
                self.allowed = true;
            }
        }
    }

    /// The condition in yaml_parser_fetch_next_token under which a plain scalar starts.
    fn plain_can_start(&self) -> bool {
        let c = self.ch();
        !(self.blankz_at(0) || b"-?:,[]{}#&*!|>'\"%@`".contains(&c))
            || (c == b'-' && !self.blank_at(1))
            || (self.flow == 0 && (c == b'?' || c == b':') && !self.blankz_at(1))
    }

    /// yaml_parser_scan_tag: `!<verbatim>` may hold `,`, `[` and `]`; other tags only
    /// URI characters without them.
    fn tag(&mut self) {
        let uri = |c: u8| c.is_ascii_alphanumeric() || b"_-;/?:@&=+$.%!~*'()".contains(&c);
        self.skip();
        if self.ch() == b'<' {
            self.skip();
            while uri(self.ch()) || b",[]".contains(&self.ch()) {
                self.skip();
            }
            if self.ch() == b'>' {
                self.skip();
            }
        } else {
            while uri(self.ch()) {
                self.skip();
            }
        }
    }

    /// yaml_parser_scan_flow_scalar: `''` is a quote in single quotes, `\` escapes in
    /// double quotes (a backslash before a line break continues the line).
    fn quoted(&mut self, quote: u8) {
        let single = quote == b'\'';
        self.skip();
        loop {
            if self.ch() == 0 {
                return;
            }
            while !self.blankz_at(0) {
                if single && self.ch() == b'\'' && self.at(1) == b'\'' {
                    self.skip();
                    self.skip();
                } else if self.ch() == quote {
                    break;
                } else if !single && self.ch() == b'\\' && self.break_at(1) > 0 {
                    self.skip();
                    self.skip_line();
                    break;
                } else if !single && self.ch() == b'\\' {
                    self.skip();
                    self.skip();
                } else {
                    self.skip();
                }
            }
            if self.ch() == quote {
                self.skip();
                return;
            }
            while self.blank_at(0) || self.is_break() {
                if self.is_break() {
                    self.skip_line();
                } else {
                    self.skip();
                }
            }
        }
    }

    /// yaml_parser_scan_plain_scalar: in the block context it continues on the next line
    /// when that is indented past the current block collection.
    fn plain(&mut self) {
        let indent = self.indent + 1;
        let mut leading_blanks = false;
        loop {
            if self.document_marker() || self.ch() == b'#' {
                break;
            }
            while !self.blankz_at(0) {
                let c = self.ch();
                if (c == b':' && self.blankz_at(1)) || (self.flow > 0 && b",[]{}".contains(&c)) {
                    break;
                }
                self.skip();
            }
            if !(self.blank_at(0) || self.is_break()) {
                break;
            }
            while self.blank_at(0) || self.is_break() {
                if self.is_break() {
                    self.skip_line();
                    leading_blanks = true;
                } else {
                    self.skip();
                }
            }
            if self.flow == 0 && (self.col as isize) < indent {
                break;
            }
        }
        if leading_blanks {
            self.allowed = true;
        }
    }

    /// yaml_parser_scan_block_scalar: the header, then every line indented at least as
    /// far as the first (or as the header's indentation indicator says).
    fn block_scalar(&mut self) {
        self.skip();
        let mut increment = 0;
        if matches!(self.ch(), b'+' | b'-') {
            self.skip();
            if self.ch().is_ascii_digit() {
                increment = isize::from(self.ch() - b'0');
                self.skip();
            }
        } else if self.ch().is_ascii_digit() {
            increment = isize::from(self.ch() - b'0');
            self.skip();
            if matches!(self.ch(), b'+' | b'-') {
                self.skip();
            }
        }
        while self.blank_at(0) {
            self.skip();
        }
        if self.ch() == b'#' {
            while !self.breakz() {
                self.skip();
            }
        }
        if !self.breakz() {
            // libyaml stops here; reading on as tokens can only count more.
            return;
        }
        self.skip_line();
        let mut indent = match increment {
            0 => 0,
            n if self.indent >= 0 => self.indent + n,
            n => n,
        };
        self.block_breaks(&mut indent);
        while self.col as isize == indent && self.ch() != 0 {
            while !self.breakz() {
                self.skip();
            }
            self.skip_line();
            self.block_breaks(&mut indent);
        }
    }

    /// yaml_parser_scan_block_scalar_breaks: empty lines and indentation; fixes the
    /// indentation from the first non-empty line when the header did not give it.
    fn block_breaks(&mut self, indent: &mut isize) {
        let mut max_indent = 0;
        loop {
            while (*indent == 0 || (self.col as isize) < *indent) && self.ch() == b' ' {
                self.skip();
            }
            max_indent = max_indent.max(self.col as isize);
            if !self.is_break() {
                break;
            }
            self.skip_line();
        }
        if *indent == 0 {
            *indent = max_indent.max(self.indent + 1).max(1);
        }
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_misspelt_key_after_a_free_map_is_not_blamed_on_indentation() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct R {
            id: String,
            #[serde(default)]
            attributes: BTreeMap<String, bool>,
            image: Option<String>,
        }
        let text = "id: x\nattributes:\n  painted: true\nimgae: assets/x.jpg\n";
        let e = parse::<R>(text).unwrap_err();
        assert_eq!(e.code, "unknown-key", "{e:?}");
    }

    #[test]
    fn a_report_is_found_in_its_section_not_in_text_quoting_it() {
        let text = "id: x\ndescription: see report: R-1\nevidence:\n  # report: R-1 (old)\n  - report: R-1\n    lab: l\nlots: []\n";
        let (before, evidence) = section(text, "evidence").unwrap();
        assert_eq!(before, 2);
        assert!(evidence.starts_with("evidence:") && !evidence.contains("lots"));
        let reports = Entries::new(evidence, "report");
        let (line, column) = reports.find("R-1").unwrap();
        assert_eq!((line + before, column), (5, 13));
        assert_eq!(reports.find("R-"), None);
        assert_eq!(section(text, "absent"), None);
    }

    /// Flow style, quoted values, and a value that another on the same line starts with.
    #[test]
    fn entries_are_found_on_a_line_in_any_order_and_quoting() {
        let text = "- {report: R-12, lab: l}\n- [{report: \"R-2\"}, {report: R-1}]\n";
        let reports = Entries::new(text, "report");
        assert_eq!(reports.find("R-12"), Some((1, 12)));
        assert_eq!(reports.find("R-2"), Some((2, 13)));
        assert_eq!(reports.find("R-1"), Some((2, 30)));
        assert_eq!(reports.find("R"), None);
    }

    /// The quick scan finds what the parser finds, on every record in the repository
    /// and on the ways one may be written.
    #[test]
    fn the_quick_id_position_agrees_with_the_locator() {
        let mut texts: Vec<String> = [
            "id: x\nname: y\n",
            "\u{feff}id: x\n",
            "# a comment\n---\nid:   'quoted'  # trailing\n",
            "name: y\nid:\ttabbed\n",
            "{id: flow, name: y}\n",
            "id:\n  next-line\n",
            "ids: no\nid: yes\n",
            "name: \"é\"\nid: ünïcode\n",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        for dir in ["content", "tests/invalid"] {
            for e in walkdir::WalkDir::new(repo.join(dir)).into_iter().flatten() {
                if e.path().extension().is_some_and(|x| x == "yaml") {
                    texts.push(std::fs::read_to_string(e.path()).unwrap_or_default());
                }
            }
        }
        assert!(texts.len() > 40);
        for text in &texts {
            assert_eq!(
                id_position(text),
                Locator::new(text).value(&crate::ypath!["id"]),
                "{text}"
            );
        }
    }

    use super::*;
    use serde::Deserialize;

    const DOC: &str = "id: toy\nlots:\n  - lot: A1\n    made: 2026-03\n  - lot: B2\n    made: nope\nmarkets: [US, EU]\n";

    #[test]
    fn locates_nested_values_and_keys() {
        let loc = Locator::new(DOC);
        assert_eq!(loc.value(&crate::ypath!["id"]), (1, 5));
        assert_eq!(loc.key(&crate::ypath!["lots"]), (2, 1));
        assert_eq!(loc.value(&crate::ypath!["lots", 1, "made"]), (6, 11));
        assert_eq!(loc.value(&crate::ypath!["markets", 1]), (7, 15));
    }

    #[test]
    fn missing_paths_fall_back_to_the_nearest_ancestor() {
        let loc = Locator::new(DOC);
        assert_eq!(loc.value(&crate::ypath!["lots", 0, "factory"]), (3, 5));
    }

    #[test]
    fn finds_duplicate_keys() {
        let loc = Locator::new("a: 1\nb:\n  c: 1\n  c: 2\n");
        assert_eq!(loc.duplicates.len(), 1);
        assert_eq!(loc.duplicates[0].0.to_string(), "b.c");
        assert_eq!(loc.duplicates[0].1, (4, 3));
    }

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Rec {
        id: String,
        n: Option<u32>,
    }

    #[test]
    fn classifies_serde_errors_with_positions() {
        let e = parse::<Rec>("id: x\nnn: 3\n").unwrap_err();
        assert_eq!(e.code, "unknown-key");
        assert_eq!((e.line, e.column), (2, 1));
        assert_eq!(e.message, "unknown field `nn`; valid fields: `id`, `n`");

        let e = parse::<Rec>("id: x\nn: many\n").unwrap_err();
        assert_eq!(e.code, "wrong-type");
        assert_eq!(e.line, 2);

        let e = parse::<Rec>("id: x\nid: y\n").unwrap_err();
        assert_eq!(e.code, "duplicate-key");
        assert_eq!((e.line, e.column), (2, 1));

        let e = parse::<Rec>("n: 1\n").unwrap_err();
        assert_eq!(e.code, "missing-key");
        assert!(e.line >= 1);

        let e = parse::<Rec>("id: x\nn: 1: 2\n").unwrap_err();
        assert_eq!(e.code, "yaml-syntax");
        assert!(e.line >= 1);
    }

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        lot: String,
        made: String,
        place: Option<String>,
    }

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Nested {
        id: String,
        model: String,
        age: Option<BTreeMap<String, u32>>,
        #[serde(default)]
        lots: Vec<Item>,
    }

    #[test]
    fn a_misindented_line_is_reported_as_indentation() {
        // One space too many: YAML reads `model:` inside `id`'s value (a syntax error).
        let e = parse::<Nested>("id: x\n model: M\n").unwrap_err();
        assert_eq!((e.code, e.line, e.column), ("bad-indent", 2, 2), "{e:?}");
        assert_eq!(
            e.message,
            "`model:` is indented 1 space where its siblings use 0"
        );
        // Under a mapping it does not belong to: serde says unknown field in `age`.
        let e = parse::<Nested>("id: x\nage:\n  min: 1\n  model: M\n").unwrap_err();
        assert_eq!((e.code, e.line, e.column), ("bad-indent", 4, 3), "{e:?}");
        assert_eq!(
            e.message,
            "`model:` is indented 2 spaces where its siblings use 0"
        );
        // One space too few in a sequence item.
        let text = "id: x\nmodel: M\nlots:\n  - lot: A\n   made: 2026-03\n";
        let e = parse::<Nested>(text).unwrap_err();
        assert_eq!((e.code, e.line), ("bad-indent", 5), "{e:?}");
        assert_eq!(
            e.message,
            "`made:` is indented 3 spaces where its siblings use 4"
        );
        // An item's key out at the sequence's level: serde says `made` is missing.
        let text = "id: x\nmodel: M\nlots:\n  - lot: A\n  made: 2026-03\n";
        let e = parse::<Nested>(text).unwrap_err();
        assert_eq!((e.code, e.line), ("bad-indent", 5), "{e:?}");
        // A middle key one space short: the entry ends there, and serde misses the key
        // after it (`made`), not the short one.
        let text = "id: x\nmodel: M\nlots:\n  - lot: A\n   place: X\n    made: 2026-03\n";
        let e = parse::<Nested>(text).unwrap_err();
        assert_eq!((e.code, e.line), ("bad-indent", 5), "{e:?}");
        // A missing field or a wrong value that indentation cannot mend stays as it is.
        let e = parse::<Nested>("id: x\nage:\n  min: 1\n").unwrap_err();
        assert_eq!(e.code, "missing-key");
        let e = parse::<Nested>("id: x\nmodel: M\nage:\n  min: many\n").unwrap_err();
        assert_eq!(e.code, "wrong-type");
    }

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct WithMap {
        id: String,
        #[serde(default, deserialize_with = "unique_keys")]
        importers: BTreeMap<String, String>,
    }

    #[test]
    fn duplicate_map_keys_are_errors_at_the_second_key() {
        let e = parse::<WithMap>("id: x\nimporters:\n  US: a\n  EU: b\n  US: c\n").unwrap_err();
        assert_eq!(e.code, "duplicate-key", "{e:?}");
        assert_eq!(e.line, 5, "{e:?}");
        let ok = parse::<WithMap>("id: x\nimporters: { US: a, EU: b }\n").unwrap();
        assert_eq!(ok.importers.len(), 2);
    }

    #[test]
    fn alias_bombs_are_refused_not_expanded() {
        let mut doc = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            doc.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let e = parse::<serde_yaml::Value>(&doc).unwrap_err();
        assert_eq!(e.code, "yaml-too-complex", "{e:?}");
    }

    /// (deepest nesting, deepest flow nesting) as the pre-scan counts them.
    fn depths(text: &str) -> (usize, usize) {
        depths_as(text, true)
    }

    fn depths_as(text: &str, libyaml: bool) -> (usize, usize) {
        let mut n = Nesting::new(text, usize::MAX, libyaml);
        let _ = n.run();
        (n.deepest, n.deepest_flow)
    }

    #[test]
    fn deep_flow_nesting_is_refused_where_it_crosses_the_limit() {
        for (open, close) in [("[", "]"), ("{a: ", "}")] {
            let ok = format!("id: x\nname: {}1{}\n", open.repeat(63), close.repeat(63));
            assert!(check_nesting(&ok).is_ok(), "{ok}");
            let deep = format!(
                "id: x\nname: {}1{}\n",
                open.repeat(100_000),
                close.repeat(100_000)
            );
            let e = parse::<Rec>(&deep).unwrap_err();
            assert_eq!(e.code, "yaml-too-complex", "{e:?}");
            assert_eq!(e.message, "nesting deeper than 64 levels");
            // The mapping is level 1; the 64th bracket is level 65.
            assert_eq!((e.line, e.column), (2, 7 + 63 * open.len()), "{e:?}");
        }
    }

    #[test]
    fn deep_block_nesting_is_refused() {
        let dashes = format!("name:\n  {}x\n", "- ".repeat(70));
        let e = check_nesting(&dashes).unwrap_err();
        assert_eq!((e.line, e.column), (2, 3 + 2 * 63), "{e:?}");
        let mut keys = String::from("name:\n");
        for i in 0..70 {
            keys.push_str(&format!("{}k{i}:\n", " ".repeat(i + 1)));
        }
        let e = check_nesting(&keys).unwrap_err();
        assert_eq!(e.line, 65, "{e:?}");
        // An indentless sequence under a key is a level of its own.
        assert_eq!(depths("a:\n- b:\n  - c\n").0, 4);
    }

    #[test]
    fn brackets_inside_scalars_and_comments_do_not_count() {
        let deep = "[".repeat(80);
        for doc in [
            format!("a: '{deep}'\n"),
            format!("a: \"{deep}\\\" {deep}\"\n"),
            format!("a: it's {deep}\n"),
            format!("a: x {deep}\n  {deep}\n"),
            format!("a: 1 # {deep}\n"),
            format!("a: |\n  {deep}\n  {deep}\nb: 1\n"),
            format!("a: >-\n\n    {deep}\n     {deep}\n"),
            format!("- '{deep}'\n- \"{deep}\"\n"),
        ] {
            assert!(check_nesting(&doc).is_ok(), "{doc}");
            assert!(depths(&doc).0 <= 2, "{doc}: {:?}", depths(&doc));
        }
    }

    #[test]
    fn structure_a_naive_scan_would_miss_is_counted() {
        // A quote inside a plain scalar is not a quote: the brackets after it are
        // structure, however the quotes pair up later.
        let mut doc = String::from("a: it's\nb: [");
        doc.push_str(&" ']', [".repeat(80));
        assert_eq!(
            check_nesting(&doc).map_err(|e| e.code),
            Err("yaml-too-complex")
        );
        // A continuation line of a plain scalar, then a new key whose value is deep.
        let doc = format!("a: x\n  'y\nb: {}\n", "[".repeat(80));
        assert!(check_nesting(&doc).is_err());
        // A block scalar ends where its indentation does.
        let doc = format!("a: |\n  text\nb: {}\n", "[".repeat(80));
        assert!(check_nesting(&doc).is_err());
        // A comment ends at any line break libyaml knows, LS included.
        let doc = format!("# c\u{2028}{}\n", "[".repeat(80));
        assert!(check_nesting(&doc).is_err());
        // A verbatim tag may hold `]`; a plain one may not.
        let doc = format!("a: {}\n", "[ !<t]> ".repeat(80));
        assert!(check_nesting(&doc).is_err());
        let doc = format!("a: [{}]\n", " !t], [".repeat(80));
        assert!(check_nesting(&doc).is_ok(), "{doc}");
    }

    #[test]
    fn the_example_site_yaml_is_shallow() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut seen = 0;
        for dir in ["content", "plugins"] {
            for entry in walkdir::WalkDir::new(root.join(dir))
                .into_iter()
                .filter_map(Result::ok)
            {
                let path = entry.path();
                if path.extension().is_some_and(|e| e == "yaml" || e == "md") {
                    let text = std::fs::read_to_string(path).unwrap();
                    let (depth, _) = depths(&text);
                    assert!(depth <= 8, "{}: {depth}", path.display());
                    seen += 1;
                }
            }
        }
        assert!(seen > 20);
    }

    /// How deep serde_yaml (libyaml) nests a parsed value.
    fn value_depth(v: &serde_yaml::Value) -> usize {
        match v {
            serde_yaml::Value::Sequence(s) => 1 + s.iter().map(value_depth).max().unwrap_or(0),
            serde_yaml::Value::Mapping(m) => {
                1 + m
                    .iter()
                    .map(|(k, v)| value_depth(k).max(value_depth(v)))
                    .max()
                    .unwrap_or(0)
            }
            serde_yaml::Value::Tagged(t) => value_depth(&t.value),
            _ => 0,
        }
    }

    /// The deepest nesting of `[` and `{` yaml-rust2's scanner reaches before its first
    /// error (not counting the mappings it opens for pairs in a flow sequence).
    fn yaml_rust2_flow_depth(text: &str) -> usize {
        use yaml_rust2::scanner::{Scanner, TokenType};
        let chars: Vec<char> = text.chars().collect();
        let (mut open, mut deepest) = (Vec::new(), 0);
        for token in Scanner::new(text.chars()) {
            match token.1 {
                TokenType::FlowSequenceStart | TokenType::FlowMappingStart => {
                    let bracket = matches!(chars.get(token.0.index()), Some('[' | '{'));
                    open.push(bracket);
                    deepest = deepest.max(open.iter().filter(|b| **b).count());
                }
                TokenType::FlowSequenceEnd | TokenType::FlowMappingEnd => {
                    open.pop();
                }
                _ => {}
            }
        }
        deepest
    }

    /// Valid YAML of every style, with scalars that hold brackets, quotes and `#`.
    fn yaml_docs() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let scalar = proptest::sample::select(vec![
            "a",
            "b c",
            "it's",
            "x#y",
            "a:b",
            "-x",
            "'[{'",
            "'it''s ]'",
            "'# ]'",
            "\"]\\\" [\"",
            "\"a\\\n  b]\"",
            "\"{#\"",
            "!t x",
            "&a y",
            "!<u]> z",
            "7",
        ])
        .prop_map(str::to_string);
        // A value as (text, fits in a flow collection).
        let leaf = scalar.prop_map(|s| (s, true));
        let value = leaf.prop_recursive(6, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(|items| {
                    let flow: Vec<String> =
                        items.iter().filter(|i| i.1).map(|i| i.0.clone()).collect();
                    (format!("[{}]", flow.join(", ")), true)
                }),
                proptest::collection::vec(inner.clone(), 0..4).prop_map(|items| {
                    let flow: Vec<String> = items
                        .iter()
                        .filter(|i| i.1)
                        .enumerate()
                        .map(|(n, i)| format!("k{n}: {}", i.0))
                        .collect();
                    (format!("{{{}}}", flow.join(", ")), true)
                }),
                proptest::collection::vec(inner.clone(), 1..4).prop_map(|items| {
                    // A block sequence, each item indented under its dash.
                    let lines: Vec<String> = items
                        .iter()
                        .map(|i| format!("- {}", i.0.replace('\n', "\n  ")))
                        .collect();
                    (format!("\n{}", lines.join("\n")), false)
                }),
                proptest::collection::vec(inner, 1..4).prop_map(|items| {
                    let lines: Vec<String> = items
                        .iter()
                        .enumerate()
                        .map(|(n, i)| format!("k{n}: {}", i.0.replace('\n', "\n  ")))
                        .collect();
                    (format!("\n{}", lines.join("\n")), false)
                }),
                Just(("|\n  [[ {'\n  # ]\n".to_string(), false)),
            ]
        });
        value.prop_map(|(text, _)| format!("top: {}\n", text.replace('\n', "\n  ")))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1000))]
        /// The same on valid documents, and on ones with a fragment spliced in.
        #[test]
        fn never_counts_less_than_the_parsers_on_documents(
            doc in yaml_docs(),
            at in 0usize..1000,
            splice in proptest::sample::select(vec!["", "'", "\"", " #", "[", "]", ": ", "\n", "- ", "\\"]),
        ) {
            for text in [doc.clone(), {
                let mut t = doc.clone();
                let mut at = at % (t.len() + 1);
                while !t.is_char_boundary(at) { at -= 1; }
                t.insert_str(at, splice);
                t
            }] {
                if let Ok(v) = serde_yaml::from_str::<serde_yaml::Value>(&text) {
                    let (deepest, _) = depths(&text);
                    proptest::prop_assert!(deepest >= value_depth(&v), "{text:?}: {deepest} < {}", value_depth(&v));
                    let theirs = yaml_rust2_flow_depth(&text);
                    let (_, ours) = depths_as(&text, false);
                    proptest::prop_assert!(ours >= theirs, "{text:?}: {ours} < {theirs}");
                } else {
                    proptest::prop_assert!(text != doc, "generated invalid YAML: {doc}");
                }
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]
        /// The pre-scan never counts less nesting than the parsers find, whatever the
        /// mix of quotes, comments, scalars and brackets.
        #[test]
        fn never_counts_less_than_the_parsers(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "[", "]", "{", "}", ", ", ",", ": ", ":", "- ", "-", "? ", "'", "''", "\"",
                    "\\", "\\\"", " #", "#", "\n", "\n  ", "\n    ", "\r\n", "a", "b c", "|",
                    "|2", ">-", "&a ", "!t ", "!<u]> ", "\t", "---\n", "x'y", " ", "\u{2028}",
                    "...\n", "%YAML 1.2\n", "\u{85}", "\u{FEFF}", "!!str ", "|+", "\n- ", ":x",
                    "-x", "x:", "'[", "]'", "\\\n", "\n\n", "  ", "#[",
                ]),
                0..60,
            )
        ) {
            let text: String = parts.concat();
            let (deepest, _) = depths(&text);
            // yaml-rust2 (the Locator) only reads documents libyaml has read.
            if let Ok(v) = serde_yaml::from_str::<serde_yaml::Value>(&text) {
                proptest::prop_assert!(deepest >= value_depth(&v), "{text:?}: {deepest} < {}", value_depth(&v));
                let theirs = yaml_rust2_flow_depth(&text);
                let (_, ours) = depths_as(&text, false);
                proptest::prop_assert!(ours >= theirs, "{text:?}: {ours} < {theirs}");
            }
        }
    }
}
