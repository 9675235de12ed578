//! Editing a YAML record's text in place, for `import` (issue 16): a value replaced, added
//! or removed, an entry of `lots:` or `evidence:` updated or appended, while every comment,
//! the key order, the quoting and the layout of what is not touched stay byte for byte.
//!
//! The record is never re-serialised. yaml-rust2's event parser gives where each key and
//! value starts; the end of a scalar is found from its style and the start of the next event
//! (the text between is only indentation, indicators and comments), and each operation
//! becomes one splice of the text. After every operation the text is parsed again, so later
//! operations see the new positions (a new record is built key by key, so that only the
//! key's own lines are read again). Last, the result is read with serde_yaml (the parser
//! the loader uses) and compared with the original tree changed as asked: an edit that would
//! read back as anything else is refused, never written.
//!
//! Anchors, aliases, tags and files with several documents are refused rather than guessed
//! at: no record needs them, and an edit through an alias would change two places.

use serde_yaml::Value as Tree;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A value to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A string; written plain when YAML reads it back as the same string, quoted otherwise
    /// (`"2026"`, `"true"`, `"00614141000012"`, `": x"`).
    Str(String),
    Bool(bool),
    Int(i64),
    /// A list of strings (`categories`, `markets`, `covers`), in the style of the list it
    /// replaces: flow stays flow, block stays block; a new list is flow (`[toy]`).
    List(Vec<String>),
}

impl Value {
    pub fn str(s: impl Into<String>) -> Self {
        Value::Str(s.into())
    }

    fn tree(&self) -> Tree {
        match self {
            Value::Str(s) => Tree::String(s.clone()),
            Value::Bool(b) => Tree::Bool(*b),
            Value::Int(i) => Tree::Number((*i).into()),
            Value::List(items) => Tree::Sequence(items.iter().cloned().map(Tree::String).collect()),
        }
    }
}

/// Why an edit was not made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// The text is not YAML the editor can read (line and column 1-based).
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    /// YAML the editor will not change: anchors, aliases, tags, several documents, a record
    /// that is not a mapping, or a path through something that is not a mapping.
    #[error("{0}")]
    Unsupported(String),
    /// The edited text would not read back as the record changed as asked (a safeguard: it
    /// means a case the editor does not handle, and nothing is written).
    #[error("the edit of `{0}` would not read back as intended; edit the file by hand")]
    Verify(String),
}

/// One change to a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Sets the value at a key path (`name`, `age.min_months`, `importers.US`), adding the
    /// key, and the mapping above it, when missing.
    Set(Vec<String>, Value),
    /// Removes the key at a path with its comment lines; a mapping left empty is removed
    /// with its key. A missing key is no change.
    Remove(Vec<String>),
    /// Updates the entry of a list of mappings whose `id_key` is `id` (`lots` by `lot`,
    /// `evidence` by `report`): each field set (`Some`) or removed (`None`); appends the
    /// entry, and the list, when missing.
    SetEntry {
        list: String,
        id_key: String,
        id: String,
        fields: Vec<(String, Option<Value>)>,
    },
}

/// A set of changes to apply to a record's text, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Edit {
    pub ops: Vec<Op>,
}

/// The order keys are written in when one is added, as in the example records (SPEC §4):
/// a new key goes after the nearest key before it in this list that the record has.
pub const KEY_ORDER: &[&str] = &[
    "id",
    "kind",
    "name",
    "brand",
    "model",
    "gtin",
    "sku",
    "cpsc",
    "description",
    "image",
    "address",
    "country",
    "email",
    "phone",
    "categories",
    "age",
    "attributes",
    "markets",
    "manufacturer",
    "importers",
    "records_custodian",
    "accreditations",
    "cpsc_certifier_id",
    "certifications",
    "lots",
    "evidence",
    "declarations",
    "status",
];

/// Field order inside a lot and an evidence entry.
pub const ENTRY_ORDER: &[&str] = &[
    "lot", "report", "made", "lab", "date", "place", "factory", "covers", "result", "lots", "file",
];

/// Mappings written as blocks when they are new (the example records' style); others
/// (`age`, `cpsc`, `importers`, `accreditations`) are written as flow mappings.
const BLOCK_MAPS: &[&str] = &["attributes", "declarations"];

fn path_of(path: &str) -> Vec<String> {
    path.split('.').map(str::to_string).collect()
}

impl Edit {
    pub fn new() -> Self {
        Edit::default()
    }

    /// Sets `path` (keys joined by `.`) to `value`.
    pub fn set(mut self, path: &str, value: Value) -> Self {
        self.ops.push(Op::Set(path_of(path), value));
        self
    }

    /// Removes `path` (keys joined by `.`).
    pub fn remove(mut self, path: &str) -> Self {
        self.ops.push(Op::Remove(path_of(path)));
        self
    }

    /// Updates or appends the entry of `list` whose `id_key` is `id`.
    pub fn set_entry(
        mut self,
        list: &str,
        id_key: &str,
        id: &str,
        fields: Vec<(String, Option<Value>)>,
    ) -> Self {
        self.ops.push(Op::SetEntry {
            list: list.to_string(),
            id_key: id_key.to_string(),
            id: id.to_string(),
            fields,
        });
        self
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The record's text with the changes made. A change to a value the record already has
    /// changes nothing, so applying a sheet's unchanged row returns the text as it was.
    pub fn apply(&self, text: &str) -> Result<String, EditError> {
        // A record saved on Windows (a byte-order mark, CRLF line ends) is edited as LF text
        // and given its BOM and CRLF back, so new lines match the old ones.
        let (bom, body) = match text.strip_prefix('\u{feff}') {
            Some(rest) => ("\u{feff}", rest),
            None => ("", text),
        };
        let crlf = body.contains("\r\n") && !body.replace("\r\n", "").contains('\n');
        if bom.is_empty() && !crlf {
            return self.apply_lf(text);
        }
        let lf = if crlf {
            body.replace("\r\n", "\n")
        } else {
            body.to_string()
        };
        let out = self.apply_lf(&lf)?;
        if out == lf {
            return Ok(text.to_string());
        }
        let out = if crlf { out.replace('\n', "\r\n") } else { out };
        Ok(format!("{bom}{out}"))
    }

    fn apply_lf(&self, text: &str) -> Result<String, EditError> {
        let original: Tree = read_tree(text)?;
        let mut expected = original.clone();
        // Only the operations that change something touch the text.
        let mut changing: Vec<&Op> = Vec::new();
        for op in &self.ops {
            if apply_to_tree(&mut expected, op)? {
                changing.push(op);
            }
        }
        if changing.is_empty() {
            return Ok(text.to_string());
        }
        let text = match key_by_key(text, &original, &changing) {
            Some(built) => built?,
            None => op_by_op(text, &changing)?,
        };
        let got = read_tree(&text)?;
        if got != expected {
            return Err(EditError::Verify(describe(&self.ops)));
        }
        Ok(text)
    }
}

/// The operations applied one after the other, the text read again before each, so each
/// sees where the ones before it put things.
fn op_by_op(text: &str, ops: &[&Op]) -> Result<String, EditError> {
    let mut text = text.to_string();
    for op in ops {
        text = apply_op(&text, op)?;
    }
    Ok(text)
}

/// The key path of what sits at `line` and `column` (1-based, the column in characters,
/// as diagnostics give them) of a record's text: the keys of the mappings it is in and,
/// for an item of a list named in `id_keys`, the value of the item's id field
/// (`["evidence", "R-1", "result"]`), so `import` can name the sheet cell a problem in an
/// imported record came from. `None` when the text does not parse or the place is in no
/// entry.
pub fn path_at(
    text: &str,
    line: usize,
    column: usize,
    id_keys: &[(&str, &str)],
) -> Option<Vec<String>> {
    let doc = Doc::parse(text).ok()?;
    let line_at = text
        .split_inclusive('\n')
        .take(line.checked_sub(1)?)
        .map(str::len)
        .sum::<usize>();
    let at = text[line_at..]
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(text.len(), |(i, _)| line_at + i);
    let mut path = Vec::new();
    let mut node = &doc.root;
    while let Kind::Map { entries, .. } = &node.kind {
        let Some(e) = entries
            .iter()
            .find(|e| e.key.start <= at && at <= e.value.end.max(e.colon))
        else {
            break;
        };
        let key = scalar_value(&e.key)?.to_string();
        let id_key = id_keys
            .iter()
            .find(|(list, _)| path.is_empty() && *list == key)
            .map(|(_, k)| *k);
        path.push(key);
        node = &e.value;
        if let (Some(id_key), Kind::Seq { items, .. }) = (id_key, &node.kind) {
            // From the start of the item's line: a problem with the whole item (a missing
            // field) is reported at its `-`.
            let Some(item) = items
                .iter()
                .find(|i| line_start(text, i.start) <= at && at <= i.end)
            else {
                break;
            };
            let Some(id) = item.entry(id_key).and_then(|(_, f)| scalar_value(&f.value)) else {
                break;
            };
            path.push(id.to_string());
            node = item;
        }
    }
    (!path.is_empty()).then_some(path)
}

/// The top-level key an operation changes.
fn top_key(op: &Op) -> &str {
    match op {
        Op::Set(path, _) | Op::Remove(path) => path.first().map(String::as_str).unwrap_or(""),
        Op::SetEntry { list, .. } => list,
    }
}

/// A new record (a lone `id:` line) built key by key: each top-level key's operations are
/// applied to the `id:` line alone and the keys' lines joined in the order `op_by_op`
/// would leave them (the ranked keys in `KEY_ORDER`, then the others as they came). The
/// same text as `op_by_op` (a test compares them), but each operation re-reads only its
/// own key's lines rather than the whole growing record: an import creating 10,000
/// records spends most of its time here. `None` when the text is not a new record.
fn key_by_key(text: &str, original: &Tree, ops: &[&Op]) -> Option<Result<String, EditError>> {
    let lone_id = original.as_mapping().is_some_and(|m| m.len() == 1)
        && original.get("id").is_some()
        && text.ends_with('\n')
        && text.lines().count() == 1
        && !text.contains('#');
    if !lone_id || ops.iter().any(|op| matches!(top_key(op), "id" | "")) {
        return None;
    }
    let mut groups: Vec<(&str, Vec<&Op>)> = Vec::new();
    for op in ops {
        let k = top_key(op);
        match groups.iter_mut().find(|(g, _)| *g == k) {
            Some((_, members)) => members.push(op),
            None => groups.push((k, vec![op])),
        }
    }
    let rank = |k: &str| KEY_ORDER.iter().position(|o| *o == k).unwrap_or(usize::MAX);
    groups.sort_by_key(|(k, _)| rank(k));
    let mut out = text.to_string();
    for (_, members) in &groups {
        let lines = match op_by_op(text, members) {
            Ok(t) => t,
            Err(e) => return Some(Err(e)),
        };
        match lines.strip_prefix(text) {
            Some(rest) if rest.ends_with('\n') || rest.is_empty() => out.push_str(rest),
            // A key written other than as whole lines after the `id:` line: the slow way.
            _ => return None,
        }
    }
    Some(Ok(out))
}

fn describe(ops: &[Op]) -> String {
    ops.iter()
        .map(|op| match op {
            Op::Set(p, _) | Op::Remove(p) => p.join("."),
            Op::SetEntry { list, id, .. } => format!("{list} {id}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn read_tree(text: &str) -> Result<Tree, EditError> {
    // What the editor will not touch (anchors, tags, ...) is refused by `Doc::parse` when
    // an operation changes something; an edit that changes nothing reads the text once.
    crate::yaml::check_nesting(text).map_err(|e| EditError::Syntax {
        line: e.line,
        column: e.column,
        message: e.message,
    })?;
    serde_yaml::from_str(text).map_err(|e| {
        let (line, column) = e
            .location()
            .map(|l| (l.line(), l.column()))
            .unwrap_or((0, 0));
        EditError::Syntax {
            line,
            column,
            message: e.to_string(),
        }
    })
}

// ---------------------------------------------------------------------------------------
// The expected tree

fn key(k: &str) -> Tree {
    Tree::String(k.to_string())
}

/// A scalar's text as an id is compared (`lot: 2026` and `lot: "2026"` both match `2026`).
fn tree_text(t: &Tree) -> Option<String> {
    match t {
        Tree::String(s) => Some(s.clone()),
        Tree::Number(n) => Some(n.to_string()),
        Tree::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn not_a_mapping(path: &[String]) -> EditError {
    EditError::Unsupported(format!("`{}` is not a mapping", path.join(".")))
}

/// Applies `op` to the tree; whether it changed anything.
fn apply_to_tree(root: &mut Tree, op: &Op) -> Result<bool, EditError> {
    let Tree::Mapping(top) = root else {
        return Err(EditError::Unsupported(
            "the record is not a mapping of keys".into(),
        ));
    };
    match op {
        Op::Set(path, value) => {
            let new = value.tree();
            match path.as_slice() {
                [k] => {
                    if top.get(k.as_str()) == Some(&new) {
                        return Ok(false);
                    }
                    top.insert(key(k), new);
                }
                [p, k] => {
                    let parent = top.entry(key(p)).or_insert(Tree::Null);
                    if parent.is_null() {
                        *parent = Tree::Mapping(Default::default());
                    }
                    let Tree::Mapping(m) = parent else {
                        return Err(not_a_mapping(&path[..1]));
                    };
                    if m.get(k.as_str()) == Some(&new) {
                        return Ok(false);
                    }
                    m.insert(key(k), new);
                }
                _ => return Err(EditError::Unsupported("a path has one or two keys".into())),
            }
        }
        Op::Remove(path) => match path.as_slice() {
            [k] => return Ok(top.remove(k.as_str()).is_some()),
            [p, k] => {
                let Some(parent) = top.get_mut(p.as_str()) else {
                    return Ok(false);
                };
                let Tree::Mapping(m) = parent else {
                    return Ok(false);
                };
                if m.remove(k.as_str()).is_none() {
                    return Ok(false);
                }
                if m.is_empty() {
                    top.remove(p.as_str());
                }
            }
            _ => return Err(EditError::Unsupported("a path has one or two keys".into())),
        },
        Op::SetEntry {
            list,
            id_key,
            id,
            fields,
        } => {
            let seq = top.entry(key(list)).or_insert(Tree::Null);
            if seq.is_null() {
                *seq = Tree::Sequence(Vec::new());
            }
            let Tree::Sequence(items) = seq else {
                return Err(EditError::Unsupported(format!("`{list}` is not a list")));
            };
            let found = items.iter_mut().find(|item| {
                item.get(id_key.as_str()).and_then(tree_text).as_deref() == Some(id.as_str())
            });
            match found {
                Some(Tree::Mapping(m)) => {
                    let mut changed = false;
                    for (f, v) in fields {
                        if f == id_key {
                            continue;
                        }
                        match v {
                            Some(v) => {
                                let new = v.tree();
                                if m.get(f.as_str()) != Some(&new) {
                                    m.insert(key(f), new);
                                    changed = true;
                                }
                            }
                            None => changed |= m.remove(f.as_str()).is_some(),
                        }
                    }
                    return Ok(changed);
                }
                Some(_) => {
                    return Err(EditError::Unsupported(format!(
                        "an entry of `{list}` is not a mapping"
                    )));
                }
                None => {
                    let mut m = serde_yaml::Mapping::new();
                    m.insert(key(id_key), Tree::String(id.clone()));
                    for (f, v) in fields {
                        if let (Some(v), false) = (v, f == id_key) {
                            m.insert(key(f), v.tree());
                        }
                    }
                    items.push(Tree::Mapping(m));
                }
            }
        }
    }
    Ok(true)
}

// ---------------------------------------------------------------------------------------
// The text's structure, with byte spans

#[derive(Debug, Clone)]
struct Node {
    /// Byte offset of the node's first character (a quote, `{`, `[`, the first key).
    start: usize,
    /// Byte offset just past the node's last character (no trailing comment or newline).
    end: usize,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    Scalar {
        style: TScalarStyle,
        value: String,
    },
    /// `key: value` pairs; `colon` is the byte just past each key's `:`.
    Map {
        flow: bool,
        entries: Vec<Entry>,
    },
    Seq {
        flow: bool,
        items: Vec<Node>,
    },
}

#[derive(Debug, Clone)]
struct Entry {
    key: Node,
    colon: usize,
    value: Node,
}

impl Node {
    fn is_null(&self) -> bool {
        matches!(&self.kind, Kind::Scalar { style: TScalarStyle::Plain, value } if value.is_empty())
    }

    fn entry(&self, k: &str) -> Option<(usize, &Entry)> {
        match &self.kind {
            Kind::Map { entries, .. } => entries
                .iter()
                .enumerate()
                .find(|(_, e)| scalar_value(&e.key) == Some(k)),
            _ => None,
        }
    }
}

fn scalar_value(n: &Node) -> Option<&str> {
    match &n.kind {
        Kind::Scalar { value, .. } => Some(value),
        _ => None,
    }
}

struct Collector {
    events: Vec<(Event, Marker)>,
}

impl MarkedEventReceiver for Collector {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        self.events.push((ev, mark));
    }
}

struct Doc<'t> {
    text: &'t str,
    root: Node,
}

impl<'t> Doc<'t> {
    fn parse(text: &'t str) -> Result<Doc<'t>, EditError> {
        // Nodes are built recursively: refuse hostile nesting first, as the loader does.
        crate::yaml::check_nesting(text).map_err(|e| EditError::Syntax {
            line: e.line,
            column: e.column,
            message: e.message,
        })?;
        let mut c = Collector { events: Vec::new() };
        Parser::new_from_str(text)
            .load(&mut c, true)
            .map_err(|e| EditError::Syntax {
                line: e.marker().line(),
                column: e.marker().col() + 1,
                message: e.info().to_string(),
            })?;
        // Splices need byte offsets. A marker's index is not one (it counts characters,
        // except that yaml-rust2 0.10 adds a block scalar's lines in bytes), but its line and
        // column (in characters) are exact.
        let line_starts: Vec<usize> = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        let at = |m: &Marker| -> usize {
            let Some(&ls) = m.line().checked_sub(1).and_then(|l| line_starts.get(l)) else {
                return text.len();
            };
            text[ls..]
                .char_indices()
                .nth(m.col())
                .map(|(i, _)| ls + i)
                .unwrap_or(text.len())
        };
        let mut events = Vec::with_capacity(c.events.len());
        let mut documents = 0;
        for (ev, mark) in c.events {
            let where_ = format!("line {}, column {}", mark.line(), mark.col() + 1);
            match &ev {
                Event::Alias(_) => {
                    return Err(EditError::Unsupported(format!(
                        "{where_}: the record uses a YAML alias (`*`); edit it by hand"
                    )));
                }
                Event::Scalar(_, _, anchor, tag)
                | Event::SequenceStart(anchor, tag)
                | Event::MappingStart(anchor, tag) => {
                    if *anchor != 0 {
                        return Err(EditError::Unsupported(format!(
                            "{where_}: the record uses a YAML anchor (`&`); edit it by hand"
                        )));
                    }
                    if tag.is_some() {
                        return Err(EditError::Unsupported(format!(
                            "{where_}: the record uses a YAML tag (`!`); edit it by hand"
                        )));
                    }
                }
                Event::DocumentStart => {
                    documents += 1;
                    if documents > 1 {
                        return Err(EditError::Unsupported(format!(
                            "{where_}: the file holds more than one YAML document"
                        )));
                    }
                }
                _ => {}
            }
            events.push((ev, at(&mark)));
        }
        let mut b = Builder { text, events, i: 0 };
        // StreamStart, DocumentStart.
        while b.i < b.events.len()
            && !matches!(
                b.events[b.i].0,
                Event::Scalar(..) | Event::MappingStart(..) | Event::SequenceStart(..)
            )
        {
            b.i += 1;
        }
        if b.i >= b.events.len() {
            return Err(EditError::Unsupported("the file is empty".into()));
        }
        let root = b.node(false)?;
        if !matches!(root.kind, Kind::Map { flow: false, .. }) {
            return Err(EditError::Unsupported(
                "the record is not a mapping of keys".into(),
            ));
        }
        Ok(Doc { text, root })
    }
}

struct Builder<'t> {
    text: &'t str,
    events: Vec<(Event, usize)>,
    i: usize,
}

impl Builder<'_> {
    /// Where the event after the current one starts (the end of the text after the last).
    fn next_start(&self) -> usize {
        self.events
            .get(self.i + 1)
            .map(|e| e.1)
            .unwrap_or(self.text.len())
    }

    fn node(&mut self, in_flow: bool) -> Result<Node, EditError> {
        let Some((ev, start)) = self.events.get(self.i).cloned() else {
            return Err(EditError::Unsupported("the YAML ends early".into()));
        };
        match ev {
            Event::Scalar(value, style, ..) => {
                let limit = self.next_start();
                self.i += 1;
                // The parser marks a block scalar at its first content line; its text
                // starts at the `|` or `>` header.
                let start = match style {
                    TScalarStyle::Literal | TScalarStyle::Folded => block_header(self.text, start),
                    _ => start,
                };
                let end = if value.is_empty() && style == TScalarStyle::Plain {
                    start
                } else {
                    scalar_end(self.text, start, style, in_flow, limit)
                };
                Ok(Node {
                    start,
                    end,
                    kind: Kind::Scalar { style, value },
                })
            }
            Event::MappingStart(..) => {
                let flow = self.text.as_bytes().get(start) == Some(&b'{');
                self.i += 1;
                let mut entries = Vec::new();
                loop {
                    match self.events.get(self.i) {
                        Some((Event::MappingEnd, end)) => {
                            let end = *end;
                            self.i += 1;
                            let end = if flow {
                                close_after(self.text, end, b'}')
                            } else {
                                entries
                                    .last()
                                    .map(|e: &Entry| e.value.end.max(e.colon))
                                    .unwrap_or(start)
                            };
                            return Ok(Node {
                                start,
                                end,
                                kind: Kind::Map { flow, entries },
                            });
                        }
                        Some(_) => {
                            let key = self.node(flow || in_flow)?;
                            let colon = colon_after(self.text, key.end);
                            let mut value = self.node(flow || in_flow)?;
                            if value.is_null() {
                                value.start = colon;
                                value.end = colon;
                            }
                            entries.push(Entry { key, colon, value });
                        }
                        None => return Err(EditError::Unsupported("the YAML ends early".into())),
                    }
                }
            }
            Event::SequenceStart(..) => {
                let flow = self.text.as_bytes().get(start) == Some(&b'[');
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    match self.events.get(self.i) {
                        Some((Event::SequenceEnd, end)) => {
                            let end = *end;
                            self.i += 1;
                            let end = if flow {
                                close_after(self.text, end, b']')
                            } else {
                                items.last().map(|n: &Node| n.end).unwrap_or(start)
                            };
                            return Ok(Node {
                                start,
                                end,
                                kind: Kind::Seq { flow, items },
                            });
                        }
                        Some(_) => items.push(self.node(flow || in_flow)?),
                        None => return Err(EditError::Unsupported("the YAML ends early".into())),
                    }
                }
            }
            _ => Err(EditError::Unsupported("unexpected YAML structure".into())),
        }
    }
}

/// Just past the closing bracket the parser marked at `at` (or the next one after it).
fn close_after(text: &str, at: usize, bracket: u8) -> usize {
    text.as_bytes()[at.min(text.len())..]
        .iter()
        .position(|&b| b == bracket)
        .map(|p| at + p + 1)
        .unwrap_or(text.len())
}

/// Just past the `:` that follows a key ending at `key_end`.
fn colon_after(text: &str, key_end: usize) -> usize {
    let b = text.as_bytes();
    let mut i = key_end;
    while i < b.len() && b[i] != b':' {
        i += 1;
    }
    (i + 1).min(b.len())
}

fn line_start(text: &str, at: usize) -> usize {
    text[..at.min(text.len())]
        .rfind('\n')
        .map(|i| i + 1)
        .unwrap_or(0)
}

/// The end of the line holding `at`, past its newline (or the end of the text).
fn line_end(text: &str, at: usize) -> usize {
    text[at.min(text.len())..]
        .find('\n')
        .map(|i| at + i + 1)
        .unwrap_or(text.len())
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// Where a scalar starting at `start` ends. `limit` is where the next event starts: what
/// lies between is indentation, indicators (`:`, `,`, `-`, brackets) and comments.
fn scalar_end(text: &str, start: usize, style: TScalarStyle, in_flow: bool, limit: usize) -> usize {
    let b = text.as_bytes();
    let limit = limit.clamp(start, b.len());
    match style {
        TScalarStyle::SingleQuoted => {
            let mut i = start + 1;
            while i < b.len() {
                if b[i] == b'\'' {
                    if b.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    return i + 1;
                }
                i += 1;
            }
            limit
        }
        TScalarStyle::DoubleQuoted => {
            let mut i = start + 1;
            while i < b.len() {
                match b[i] {
                    b'\\' => i += 2,
                    b'"' => return i + 1,
                    _ => i += 1,
                }
            }
            limit
        }
        TScalarStyle::Literal | TScalarStyle::Folded => block_scalar_end(text, start, limit),
        _ => plain_end(text, start, in_flow, limit),
    }
}

/// The `|` or `>` that starts the block scalar whose content the parser marked at `mark`:
/// the last one before it with only chomping and indentation digits, a comment, and line
/// breaks and spaces between.
fn block_header(text: &str, mark: usize) -> usize {
    let mark = mark.min(text.len());
    let Some(h) = text[..mark].rfind(['|', '>']) else {
        return mark;
    };
    let between = &text[h + 1..mark];
    let (header_rest, after) = between.split_once('\n').unwrap_or((between, ""));
    let header_rest =
        header_rest.trim_start_matches(|c: char| c == '-' || c == '+' || c.is_ascii_digit());
    let header_ok = header_rest.trim().is_empty() || header_rest.trim_start().starts_with('#');
    let after_ok = after.chars().all(|c| c == ' ' || c == '\n' || c == '\r');
    if header_ok && after_ok { h } else { mark }
}

/// The end of a `|` or `>` scalar: its last non-blank line indented at least as its first
/// content line (comment lines after it are less indented).
fn block_scalar_end(text: &str, start: usize, limit: usize) -> usize {
    let mut end = line_end(text, start);
    // The header line (`>-`, maybe with a comment) is the scalar's first line.
    let header_end = text[start..end].trim_end_matches(['\n', '\r']).len() + start;
    let header_end = text[start..header_end]
        .find(" #")
        .map(|i| start + i)
        .unwrap_or(header_end);
    let mut last = header_end;
    let mut content_indent: Option<usize> = None;
    while end < limit {
        let next = line_end(text, end);
        let line = text[end..next].trim_end_matches(['\n', '\r']);
        if !line.trim().is_empty() {
            let indent = indent_of(line);
            let ci = *content_indent.get_or_insert(indent);
            if indent < ci {
                break;
            }
            last = end + line.len();
        }
        end = next;
    }
    last.min(limit.max(header_end))
}

/// The end of a plain scalar: at a comment, a `: `, a flow indicator in flow context, or
/// the end of its last continuation line.
fn plain_end(text: &str, start: usize, in_flow: bool, limit: usize) -> usize {
    let b = text.as_bytes();
    let limit_line = line_start(text, limit);
    let mut pos = start;
    let mut end = start;
    let mut first = true;
    while pos < limit {
        let next = line_end(text, pos);
        if !first && next > limit_line {
            break;
        }
        let stop = if first { next.min(limit) } else { next };
        let mut i = pos;
        if !first {
            while i < stop && (b[i] == b' ' || b[i] == b'\t') {
                i += 1;
            }
            if i >= stop || b[i] == b'\n' || b[i] == b'\r' {
                pos = next;
                continue;
            }
            if b[i] == b'#' {
                break;
            }
        }
        let mut terminated = false;
        let mut j = i;
        while j < stop {
            let c = b[j];
            if c == b'\n' || c == b'\r' {
                break;
            }
            if c == b'#' && j > i && (b[j - 1] == b' ' || b[j - 1] == b'\t') {
                terminated = true;
                break;
            }
            if c == b':' {
                let after = b.get(j + 1).copied();
                let ends = matches!(after, None | Some(b' ' | b'\t' | b'\n' | b'\r'))
                    || (in_flow && matches!(after, Some(b',' | b'[' | b']' | b'{' | b'}')));
                if ends {
                    terminated = true;
                    break;
                }
            }
            if in_flow && matches!(c, b',' | b'[' | b']' | b'{' | b'}') {
                terminated = true;
                break;
            }
            j += 1;
        }
        let mut e = j;
        while e > i && (b[e - 1] == b' ' || b[e - 1] == b'\t') {
            e -= 1;
        }
        if e > i {
            end = e;
        }
        if terminated || in_flow {
            break;
        }
        first = false;
        pos = next;
    }
    end.max(start)
}

// ---------------------------------------------------------------------------------------
// Writing values

/// Whether `candidate`, written as a value, reads as exactly the string `s`: with
/// serde_yaml (the loader's parser) and with yaml-rust2 (which this editor reads positions
/// with, and which is stricter about some indicators, as `{ a: - }`). In flow context both
/// a flow sequence and a flow mapping are tried.
fn reads_as(candidate: &str, s: &str, in_flow: bool) -> bool {
    let want = Tree::String(s.to_string());
    type Pick = fn(&Tree) -> Option<&Tree>;
    let docs: Vec<(String, Pick)> = if in_flow {
        vec![
            (format!("k: [{candidate}]\n"), |t| {
                t.get("k")?.as_sequence().filter(|s| s.len() == 1)?.first()
            }),
            (format!("k: {{ x: {candidate} }}\n"), |t| {
                t.get("k")?.get("x")
            }),
        ]
    } else {
        vec![(format!("k: {candidate}\n"), |t| t.get("k"))]
    };
    docs.iter().all(|(doc, get)| {
        let serde_ok = serde_yaml::from_str::<Tree>(doc)
            .ok()
            .is_some_and(|t| get(&t) == Some(&want));
        let rust2_ok = yaml_rust2::YamlLoader::load_from_str(doc)
            .ok()
            .is_some_and(|docs| {
                let k = docs.first().map(|d| &d["k"]);
                let v = match (in_flow, k) {
                    (_, None) => None,
                    (false, Some(v)) => Some(v),
                    (true, Some(yaml_rust2::Yaml::Array(a))) if a.len() == 1 => a.first(),
                    (true, Some(h @ yaml_rust2::Yaml::Hash(_))) => Some(&h["x"]),
                    _ => None,
                };
                v.and_then(|v| v.as_str()) == Some(s)
            });
        serde_ok && rust2_ok
    })
}

/// Whether `s` written plain certainly reads back as itself, in block and flow context
/// alike, without parsing (`reads_as` parses two small documents with two parsers, which
/// would be most of an import's time): a letter first, then only letters, digits, spaces
/// and punctuation that is no YAML indicator inside a scalar, and not a word YAML reads as
/// null, a boolean or a number. A test holds it to `reads_as` on many strings.
fn plainly_a_string(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let lower = s.to_ascii_lowercase();
    first.is_ascii_alphabetic()
        // `[a -]` is a syntax error to yaml-rust2; a trailing space is trimmed.
        && s.ends_with(|c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | ')'))
        && chars.all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.' | '/' | '(' | ')' | '&' | '+')
        })
        && !matches!(lower.as_str(), "null" | "true" | "false")
        && s.parse::<f64>().is_err()
}

/// Whether a plain `s` that serde_yaml reads as a string is one other YAML readers (YAML
/// 1.1, spreadsheets' YAML plugins, yaml-rust2) take for a number or a boolean: a GTIN
/// `00614141000012`, `1_000`, `0x1F`, `12:30`, `yes`, `off`. Quoting those costs nothing
/// and keeps the record's meaning whoever reads it.
fn other_parsers_misread(s: &str) -> bool {
    if !matches!(yaml_rust2::Yaml::from_str(s), yaml_rust2::Yaml::String(_)) {
        return true;
    }
    let lower = s.to_ascii_lowercase();
    if matches!(lower.as_str(), "y" | "n" | "yes" | "no" | "on" | "off") {
        return true;
    }
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let numeric = body.chars().any(|c| c.is_ascii_digit())
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '_' | '.' | ':'));
    let radix = ["0x", "0o", "0b"].iter().any(|p| lower.starts_with(p));
    numeric || radix
}

/// `s` as a YAML double-quoted scalar.
fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            '\u{85}' | '\u{a0}' | '\u{2028}' | '\u{2029}' | '\u{feff}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A string as YAML: plain when it reads back as itself; otherwise in the quotes of the
/// value it replaces (`hint`) when that reads back, else double-quoted, which can write any
/// string.
fn scalar_text(s: &str, in_flow: bool, hint: Option<TScalarStyle>) -> String {
    let plain_ok = !s.is_empty()
        && s.trim() == s
        && !s.contains(['\n', '\r', '\t'])
        && !other_parsers_misread(s)
        && (plainly_a_string(s) || reads_as(s, s, in_flow));
    match hint {
        Some(TScalarStyle::SingleQuoted) if !s.contains(['\n', '\r', '\t']) => {
            let q = format!("'{}'", s.replace('\'', "''"));
            if reads_as(&q, s, in_flow) {
                return q;
            }
        }
        Some(TScalarStyle::DoubleQuoted) => return double_quoted(s),
        _ => {}
    }
    if plain_ok {
        s.to_string()
    } else {
        double_quoted(s)
    }
}

fn value_text(v: &Value, in_flow: bool, hint: Option<TScalarStyle>) -> String {
    match v {
        Value::Str(s) => scalar_text(s, in_flow, hint),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::List(items) => list_text_like(items, hint),
    }
}

fn flow_list(items: &[String]) -> String {
    let inner: Vec<String> = items.iter().map(|s| scalar_text(s, true, None)).collect();
    format!("[{}]", inner.join(", "))
}

/// The quoting the items of an existing list use, to write new items alike.
fn item_hint(items: &[Node]) -> Option<TScalarStyle> {
    items.iter().find_map(|n| match &n.kind {
        Kind::Scalar { style, .. } => Some(*style),
        _ => None,
    })
}

fn list_text_like(items: &[String], hint: Option<TScalarStyle>) -> String {
    let inner: Vec<String> = items.iter().map(|s| scalar_text(s, true, hint)).collect();
    format!("[{}]", inner.join(", "))
}

// ---------------------------------------------------------------------------------------
// Splices

struct Splice {
    start: usize,
    end: usize,
    text: String,
}

fn splice(text: &str, s: Splice) -> String {
    let mut out = String::with_capacity(text.len() + s.text.len());
    out.push_str(&text[..s.start]);
    out.push_str(&s.text);
    out.push_str(&text[s.end..]);
    out
}

fn apply_op(text: &str, op: &Op) -> Result<String, EditError> {
    match op {
        Op::Set(path, value) => {
            let doc = Doc::parse(text)?;
            let s = match path.as_slice() {
                [k] => set_in_map(&doc, &doc.root, k, value, Some(KEY_ORDER), None)?,
                [p, k] => match doc.root.entry(p) {
                    Some((_, e)) if matches!(e.value.kind, Kind::Map { .. }) => {
                        set_in_map(&doc, &e.value, k, value, None, None)?
                    }
                    Some((_, e)) if e.value.is_null() => {
                        let block = BLOCK_MAPS.contains(&p.as_str());
                        let indent = indent_of(&text[line_start(text, e.key.start)..]);
                        let body = new_map_text(k, value, block, indent + 2);
                        Splice {
                            start: e.colon,
                            end: e.colon,
                            text: body,
                        }
                    }
                    Some(_) => return Err(not_a_mapping(&path[..1])),
                    None => {
                        let block = BLOCK_MAPS.contains(&p.as_str());
                        let body = new_map_text(k, value, block, 2);
                        insert_entry(&doc, &doc.root, p, &body, Some(KEY_ORDER))
                    }
                },
                _ => return Err(EditError::Unsupported("a path has one or two keys".into())),
            };
            Ok(splice(text, s))
        }
        Op::Remove(path) => {
            let doc = Doc::parse(text)?;
            let s = match path.as_slice() {
                [k] => remove_from_map(&doc, &doc.root, k),
                [p, k] => match doc.root.entry(p) {
                    Some((_, e)) => match &e.value.kind {
                        Kind::Map { entries, .. }
                            if entries.len() == 1 && e.value.entry(k).is_some() =>
                        {
                            remove_from_map(&doc, &doc.root, p)
                        }
                        Kind::Map { .. } => remove_from_map(&doc, &e.value, k),
                        _ => None,
                    },
                    None => None,
                },
                _ => return Err(EditError::Unsupported("a path has one or two keys".into())),
            };
            Ok(s.map(|s| splice(text, s))
                .unwrap_or_else(|| text.to_string()))
        }
        Op::SetEntry {
            list,
            id_key,
            id,
            fields,
        } => set_entry(text, list, id_key, id, fields),
    }
}

/// The text after a key's `:` for a new mapping holding `k: value`: ` { k: v }`, or a block
/// on the next lines at `indent`.
fn new_map_text(k: &str, value: &Value, block: bool, indent: usize) -> String {
    let k = scalar_text(k, !block, None);
    if block {
        format!(
            "\n{}{k}: {}",
            " ".repeat(indent),
            value_text(value, false, None)
        )
    } else {
        format!(" {{ {k}: {} }}", value_text(value, true, None))
    }
}

/// Sets `k` in the mapping `map` (replacing its value, or adding it).
fn set_in_map(
    doc: &Doc,
    map: &Node,
    k: &str,
    value: &Value,
    order: Option<&[&str]>,
    hint: Option<TScalarStyle>,
) -> Result<Splice, EditError> {
    let Kind::Map { flow, .. } = &map.kind else {
        return Err(EditError::Unsupported(format!("`{k}` is not in a mapping")));
    };
    match map.entry(k) {
        Some((_, e)) => Ok(replace_value(doc, e, value, *flow)),
        None => {
            let body = format!(" {}", value_text(value, *flow, hint));
            Ok(insert_entry(doc, map, k, &body, order))
        }
    }
}

/// Replaces an entry's value, keeping its style where the new value allows.
fn replace_value(doc: &Doc, e: &Entry, value: &Value, in_flow: bool) -> Splice {
    let text = doc.text;
    let v = &e.value;
    let whole = |t: String| Splice {
        start: e.colon,
        end: v.end.max(e.colon),
        text: format!(" {t}"),
    };
    if let (
        Value::Str(new),
        Kind::Scalar {
            style: TScalarStyle::Folded | TScalarStyle::Literal,
            ..
        },
    ) = (value, &v.kind)
        && let Some(t) = block_scalar_text(text, v, new)
    {
        return Splice {
            start: v.start,
            end: v.end,
            text: t,
        };
    }
    match (value, &v.kind) {
        (
            Value::List(items),
            Kind::Seq {
                flow: true,
                items: old,
            },
        ) => Splice {
            start: v.start,
            end: v.end,
            text: list_text_like(items, item_hint(old)),
        },
        (
            Value::List(items),
            Kind::Seq {
                flow: false,
                items: old,
            },
        ) if !items.is_empty() => {
            let first = old.first().map(|n| n.start).unwrap_or(v.start);
            let ls = line_start(text, first);
            let dash = text[ls..first].find('-').unwrap_or(0);
            let pad = " ".repeat(dash);
            let hint = item_hint(old);
            let lines: Vec<String> = items
                .iter()
                .map(|s| format!("{pad}- {}", scalar_text(s, false, hint)))
                .collect();
            Splice {
                start: ls,
                end: v.end,
                text: lines.join("\n"),
            }
        }
        (Value::List(items), _) => whole(flow_list(items)),
        (_, Kind::Scalar { style, .. }) if !v.is_null() => {
            let hint = match style {
                TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted => Some(*style),
                _ => None,
            };
            Splice {
                start: v.start,
                end: v.end,
                text: value_text(value, in_flow, hint),
            }
        }
        (_, Kind::Map { flow: true, .. } | Kind::Seq { flow: true, .. }) => Splice {
            start: v.start,
            end: v.end,
            text: value_text(value, in_flow, None),
        },
        _ => whole(value_text(value, in_flow, None)),
    }
}

/// Lines of a block scalar wrap here, as in the example records.
const WRAP: usize = 88;

/// `s` in the style of the block scalar `old` (`>-` folded, `|-` literal) at its
/// indentation, when the style can hold it and it reads back as `s`: a description stays a
/// folded paragraph.
fn block_scalar_text(text: &str, old: &Node, s: &str) -> Option<String> {
    let header_line = text[old.start..line_end(text, old.start)].trim_end_matches(['\n', '\r']);
    let header = header_line
        .split(" #")
        .next()
        .unwrap_or(header_line)
        .trim_end();
    let after = line_end(text, old.start);
    let indent = text[after..]
        .lines()
        .find(|l| !l.trim().is_empty())
        .map(indent_of)
        .filter(|i| *i > 0)?;
    let pad = " ".repeat(indent);
    let lines: Vec<String> = match header {
        ">-" => {
            if s.is_empty() || s.trim() != s || s.contains(['\n', '\r', '\t']) || s.contains("  ") {
                return None;
            }
            let mut lines = Vec::new();
            let mut line = String::new();
            for word in s.split(' ') {
                if !line.is_empty() && indent + line.len() + 1 + word.len() > WRAP {
                    lines.push(format!("{pad}{line}"));
                    line.clear();
                }
                if !line.is_empty() {
                    line.push(' ');
                }
                line.push_str(word);
            }
            lines.push(format!("{pad}{line}"));
            lines
        }
        "|-" => {
            if s.is_empty()
                || s.starts_with([' ', '\n'])
                || s.ends_with('\n')
                || s.contains(['\r', '\t'])
            {
                return None;
            }
            s.split('\n')
                .map(|l| {
                    if l.is_empty() {
                        String::new()
                    } else {
                        format!("{pad}{l}")
                    }
                })
                .collect()
        }
        _ => return None,
    };
    let candidate = format!("{header_line}\n{}", lines.join("\n"));
    // Read back alone, as the value of a key at column 0 (the lines are indented deeper).
    let doc = format!("k: {candidate}\n");
    let serde_ok = serde_yaml::from_str::<Tree>(&doc)
        .ok()
        .is_some_and(|t| t.get("k") == Some(&Tree::String(s.to_string())));
    let rust2_ok = yaml_rust2::YamlLoader::load_from_str(&doc)
        .ok()
        .is_some_and(|d| d.first().and_then(|d| d["k"].as_str()) == Some(s));
    (serde_ok && rust2_ok).then_some(candidate)
}

/// The end of an entry's text for inserting after it or removing it: past the newline of
/// its last line and of the comment lines under it indented deeper than its key (the
/// continuation of its trailing comment, as in SPEC §4).
fn entry_block_end(text: &str, e: &Entry, key_indent: usize) -> usize {
    let mut end = line_end(text, e.value.end.max(e.colon));
    while end < text.len() {
        let next = line_end(text, end);
        let line = &text[end..next];
        let t = line.trim_start();
        if t.starts_with('#') && indent_of(line) > key_indent {
            end = next;
        } else {
            break;
        }
    }
    end
}

/// Adds `k` with `body` (the text after `k:`) to `map`: after the nearest key before it in
/// `order`, else after the last entry; in a flow mapping, at its end.
fn insert_entry(doc: &Doc, map: &Node, k: &str, body: &str, order: Option<&[&str]>) -> Splice {
    let text = doc.text;
    let Kind::Map { flow, entries } = &map.kind else {
        return Splice {
            start: 0,
            end: 0,
            text: String::new(),
        };
    };
    let key_text = scalar_text(k, *flow, None);
    if *flow {
        return match entries.last() {
            Some(last) => {
                let at = last.value.end.max(last.colon);
                Splice {
                    start: at,
                    end: at,
                    text: format!(", {key_text}:{body}"),
                }
            }
            None => Splice {
                start: map.start,
                end: map.end,
                text: format!("{{ {key_text}:{body} }}"),
            },
        };
    }
    let Some(first) = entries.first() else {
        return Splice {
            start: map.start,
            end: map.end,
            text: format!("{key_text}:{body}"),
        };
    };
    let indent = first.key.start - line_start(text, first.key.start);
    let pad = " ".repeat(indent);
    let after: Option<(&Entry, bool)> = order.and_then(|order| {
        let rank = |name: &str| order.iter().position(|o| *o == name);
        let mine = rank(k)?;
        let ranked = |e: &&Entry| scalar_value(&e.key).and_then(rank);
        match entries
            .iter()
            .filter(|e| ranked(e).is_some_and(|r| r < mine))
            .max_by_key(ranked)
        {
            Some(e) => Some((e, true)),
            // Nothing before it: before the first key that comes after it.
            None => entries
                .iter()
                .filter(|e| ranked(e).is_some_and(|r| r > mine))
                .min_by_key(|e| e.key.start)
                .map(|e| (e, false)),
        }
    });
    let line = format!("{pad}{key_text}:{body}\n");
    match after {
        Some((e, false)) => {
            let at = comments_above(text, e, indent);
            Splice {
                start: at,
                end: at,
                text: line,
            }
        }
        Some((e, true)) => {
            let at = entry_block_end(text, e, indent);
            insert_at_line(text, at, line)
        }
        None => {
            let last = entries.last().unwrap_or(first);
            let at = entry_block_end(text, last, indent);
            insert_at_line(text, at, line)
        }
    }
}

/// An insertion of whole lines at `at`, the start of a line or the end of the text (which
/// may lack its last newline).
fn insert_at_line(text: &str, at: usize, line: String) -> Splice {
    if at == text.len() && !text.is_empty() && !text.ends_with('\n') {
        let trimmed = line.strip_suffix('\n').unwrap_or(&line);
        Splice {
            start: at,
            end: at,
            text: format!("\n{trimmed}"),
        }
    } else {
        Splice {
            start: at,
            end: at,
            text: line,
        }
    }
}

/// The start of the comment lines directly above an entry's key at its indentation (they
/// belong to it), or of the key's line.
fn comments_above(text: &str, e: &Entry, indent: usize) -> usize {
    let mut at = line_start(text, e.key.start);
    // A key after `- ` in a list item: its line is the item's, nothing above is its own.
    if text[at..e.key.start].trim().starts_with('-') || indent != e.key.start - at {
        return at;
    }
    while at > 0 {
        let prev = line_start(text, at - 1);
        let line = &text[prev..at];
        if line.trim_start().starts_with('#') && indent_of(line) == indent {
            at = prev;
        } else {
            break;
        }
    }
    at
}

/// Removes `k` from `map` with the comment lines that belong to it; `None` when absent.
fn remove_from_map(doc: &Doc, map: &Node, k: &str) -> Option<Splice> {
    let text = doc.text;
    let Kind::Map { flow, entries } = &map.kind else {
        return None;
    };
    let (i, e) = map.entry(k)?;
    if *flow {
        let value_end = e.value.end.max(e.colon);
        return Some(if i > 0 {
            let prev = &entries[i - 1];
            Splice {
                start: prev.value.end.max(prev.colon),
                end: value_end,
                text: String::new(),
            }
        } else if let Some(next) = entries.get(1) {
            Splice {
                start: e.key.start,
                end: next.key.start,
                text: String::new(),
            }
        } else {
            Splice {
                start: map.start,
                end: map.end,
                text: "{}".into(),
            }
        });
    }
    let indent = e.key.start - line_start(text, e.key.start);
    let start = comments_above(text, e, indent);
    if text[line_start(text, e.key.start)..e.key.start]
        .trim()
        .starts_with('-')
    {
        // The first key of a list item (`- lot: x`): remove the key and keep the dash, the
        // next key moving up onto the dash's line.
        let end = entry_block_end(text, e, indent);
        let next = entries.get(i + 1)?;
        return Some(Splice {
            start: e.key.start,
            end: next.key.start.max(end),
            text: String::new(),
        });
    }
    Some(Splice {
        start,
        end: entry_block_end(text, e, indent),
        text: String::new(),
    })
}

// ---------------------------------------------------------------------------------------
// Entries of lists of mappings

fn set_entry(
    text: &str,
    list: &str,
    id_key: &str,
    id: &str,
    fields: &[(String, Option<Value>)],
) -> Result<String, EditError> {
    let mut text = text.to_string();
    let doc = Doc::parse(&text)?;
    let existing = doc.root.entry(list).map(|(_, e)| e.clone());
    let siblings: Vec<Node> = match existing.as_ref().map(|e| &e.value.kind) {
        Some(Kind::Seq { items, .. }) => items.clone(),
        _ => Vec::new(),
    };
    let find = |doc: &Doc| -> Option<Node> {
        let (_, e) = doc.root.entry(list)?;
        let Kind::Seq { items, .. } = &e.value.kind else {
            return None;
        };
        items
            .iter()
            .find(|item| item.entry(id_key).and_then(|(_, f)| scalar_value(&f.value)) == Some(id))
            .cloned()
    };
    if find(&doc).is_some() {
        // Field by field, reading the text again after each change.
        for (f, v) in fields {
            if f == id_key {
                continue;
            }
            let doc = Doc::parse(&text)?;
            let Some(item) = find(&doc) else { break };
            let s = match v {
                Some(v) => {
                    if entry_field(&text, list, id_key, id, f).as_ref() == Some(&v.tree()) {
                        continue;
                    }
                    let hint = sibling_style(&siblings, f);
                    set_in_map(&doc, &item, f, v, Some(ENTRY_ORDER), hint)?
                }
                None => match remove_from_map(&doc, &item, f) {
                    Some(s) => s,
                    None => continue,
                },
            };
            text = splice(&text, s);
        }
        return Ok(text);
    }
    let id_value = Value::Str(id.to_string());
    let mut new_fields: Vec<(&str, &Value)> = std::iter::once((id_key, &id_value))
        .chain(
            fields
                .iter()
                .filter(|(f, _)| f != id_key)
                .filter_map(|(f, v)| Some((f.as_str(), v.as_ref()?))),
        )
        .collect();
    // In the order the existing entries have their keys, then the records' order.
    let rank = |k: &str| {
        let sibling = siblings.first().and_then(|first| match &first.kind {
            Kind::Map { entries, .. } => {
                entries.iter().position(|e| scalar_value(&e.key) == Some(k))
            }
            _ => None,
        });
        let known = ENTRY_ORDER.iter().position(|o| *o == k);
        (sibling.unwrap_or(usize::MAX), known.unwrap_or(usize::MAX))
    };
    new_fields.sort_by_key(|(k, _)| rank(k));
    let styled: Vec<(&str, &Value, Option<TScalarStyle>)> = new_fields
        .iter()
        .map(|(k, v)| (*k, *v, sibling_style(&siblings, k)))
        .collect();
    let s = match existing {
        Some(e) => match &e.value.kind {
            Kind::Seq { flow: false, items } if !items.is_empty() => {
                let last = items.last().unwrap_or(&items[0]);
                let first = &items[0];
                let ls = line_start(&text, first.start);
                let dash = text[ls..first.start].find('-').unwrap_or(0);
                let item_flow = matches!(first.kind, Kind::Map { flow: true, .. });
                let key_col = match &first.kind {
                    Kind::Map { entries, .. } if !entries.is_empty() => entries[0].key.start - ls,
                    _ => dash + 2,
                };
                let body = item_text(&styled, dash, key_col, item_flow);
                let at = match &last.kind {
                    Kind::Map { entries, .. } if !entries.is_empty() => {
                        let le = &entries[entries.len() - 1];
                        entry_block_end(&text, le, dash)
                    }
                    _ => line_end(&text, last.end),
                };
                insert_at_line(&text, at, body)
            }
            Kind::Seq { .. } | Kind::Scalar { .. } => {
                if let Kind::Scalar { .. } = e.value.kind
                    && !e.value.is_null()
                {
                    return Err(EditError::Unsupported(format!("`{list}` is not a list")));
                }
                let indent = indent_of(&text[line_start(&text, e.key.start)..]);
                let body = item_text(&styled, indent + 2, indent + 4, false);
                let body = body.strip_suffix('\n').unwrap_or(&body);
                Splice {
                    start: e.colon,
                    end: e.value.end.max(e.colon),
                    text: format!("\n{body}"),
                }
            }
            Kind::Map { .. } => {
                return Err(EditError::Unsupported(format!("`{list}` is not a list")));
            }
        },
        None => {
            let body = item_text(&styled, 2, 4, false);
            let body = body.strip_suffix('\n').unwrap_or(&body);
            insert_entry(&doc, &doc.root, list, &format!("\n{body}"), Some(KEY_ORDER))
        }
    };
    Ok(splice(&text, s))
}

/// The value a field of a list entry has now, as the loader reads it.
fn entry_field(text: &str, list: &str, id_key: &str, id: &str, field: &str) -> Option<Tree> {
    let tree: Tree = serde_yaml::from_str(text).ok()?;
    tree.get(list)?
        .as_sequence()?
        .iter()
        .find(|item| item.get(id_key).and_then(tree_text).as_deref() == Some(id))?
        .get(field)
        .cloned()
}

/// The quoting the other entries of a list use for `field` (`lot: "2026-03A"`, `covers:
/// ["16 CFR 1303"]`), so a new value is written alike; `None` for plain.
fn sibling_style(siblings: &[Node], field: &str) -> Option<TScalarStyle> {
    siblings.iter().find_map(|item| {
        let (_, e) = item.entry(field)?;
        match &e.value.kind {
            Kind::Scalar {
                style: style @ (TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted),
                ..
            } => Some(*style),
            Kind::Seq { items, .. } => item_hint(items)
                .filter(|s| matches!(s, TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted)),
            _ => None,
        }
    })
}

/// A new list item: `- k: v` lines with the dash at `dash` and keys at `key_col`, or one
/// `- { k: v, ... }` line; each value quoted as `hint` says when it can be.
fn item_text(
    fields: &[(&str, &Value, Option<TScalarStyle>)],
    dash: usize,
    key_col: usize,
    flow: bool,
) -> String {
    let pad = " ".repeat(dash);
    if flow {
        let inner: Vec<String> = fields
            .iter()
            .map(|(k, v, hint)| {
                format!(
                    "{}: {}",
                    scalar_text(k, true, None),
                    value_text(v, true, *hint)
                )
            })
            .collect();
        return format!("{pad}- {{ {} }}\n", inner.join(", "));
    }
    let mut out = String::new();
    for (i, (k, v, hint)) in fields.iter().enumerate() {
        let lead = if i == 0 {
            format!(
                "{pad}-{}",
                " ".repeat(key_col.saturating_sub(dash).max(2) - 1)
            )
        } else {
            " ".repeat(key_col.max(dash + 2))
        };
        out.push_str(&format!(
            "{lead}{}: {}\n",
            scalar_text(k, false, None),
            value_text(v, false, *hint)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_of_scalars_and_flow_collections() {
        let text = "a: plain text  # c\nb: \"q\" # c\nc: { x: 1, y: two }\nd: [p, \"q\"]\ne: >-\n  folded\n  text\n# trailing\nf:\n  - one\n  - two # c\ng:\n";
        let doc = Doc::parse(text).unwrap();
        let spans: Vec<(&str, &str)> = match &doc.root.kind {
            Kind::Map { entries, .. } => entries
                .iter()
                .map(|e| {
                    (
                        scalar_value(&e.key).unwrap(),
                        &text[e.value.start..e.value.end],
                    )
                })
                .collect(),
            _ => panic!(),
        };
        assert_eq!(
            spans,
            [
                ("a", "plain text"),
                ("b", "\"q\""),
                ("c", "{ x: 1, y: two }"),
                ("d", "[p, \"q\"]"),
                ("e", ">-\n  folded\n  text"),
                ("f", "- one\n  - two"),
                ("g", "")
            ]
        );
    }

    #[test]
    fn a_new_record_built_key_by_key_is_the_text_op_by_op_writes() {
        let set = |p: &str, v: Value| Op::Set(p.split('.').map(String::from).collect(), v);
        let list = |items: &[&str]| Value::List(items.iter().map(|s| s.to_string()).collect());
        let entry =
            |list: &str, id_key: &str, id: &str, fields: &[(&str, Option<Value>)]| Op::SetEntry {
                list: list.into(),
                id_key: id_key.into(),
                id: id.into(),
                fields: fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.clone()))
                    .collect(),
            };
        let pool = vec![
            set("name", Value::str("Rainbow: Stacker")),
            set("brand", Value::str("Little Oak")),
            set("gtin", Value::str("00614141000012")),
            set(
                "description",
                Value::str("A \"quoted\" one\nover two lines"),
            ),
            set("categories", list(&["toy", "child care"])),
            set("markets", list(&["US", "EU"])),
            set("age.min_months", Value::Int(6)),
            set("age.max_months", Value::Int(36)),
            set("attributes.plasticized", Value::Bool(true)),
            set("attributes.magnets", Value::Bool(false)),
            set("importers.US", Value::str("importer-us")),
            set("importers.EU", Value::str("importer-eu")),
            set("manufacturer", Value::str("maker")),
            set("records_custodian", Value::str("keeper")),
            set("status", Value::str("active")),
            set("zeta", Value::str("unknown key")),
            set("alpha", Value::str("another")),
            set("declarations.tracking-label", Value::Bool(true)),
            Op::Remove(vec!["brand".into()]),
            Op::Remove(vec!["age".into(), "max_months".into()]),
            entry(
                "lots",
                "lot",
                "2026",
                &[("made", Some(Value::str("2026-03")))],
            ),
            entry(
                "lots",
                "lot",
                "L2",
                &[
                    ("made", Some(Value::str("2026-04"))),
                    ("place", Some(Value::str("Ningbo, China"))),
                ],
            ),
            entry(
                "lots",
                "lot",
                "2026",
                &[("place", Some(Value::str("Yiwu")))],
            ),
            entry(
                "evidence",
                "report",
                "R-1",
                &[
                    ("lab", Some(Value::str("lab"))),
                    ("covers", Some(list(&["16 CFR 1303", "EN 71-1"]))),
                    ("result", Some(Value::str("pass"))),
                ],
            ),
            entry(
                "evidence",
                "report",
                "R-2",
                &[
                    ("date", Some(Value::str("2026-04-10"))),
                    ("covers", Some(list(&["ASTM F963"]))),
                ],
            ),
            entry("evidence", "report", "R-1", &[("result", None)]),
        ];
        // A fixed linear congruential generator: many orders and subsets, the same each run.
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) as usize % n
        };
        let base = "id: product-1\n";
        let original: Tree = read_tree(base).unwrap();
        for round in 0..400 {
            let mut ops: Vec<&Op> = pool.iter().filter(|_| next(3) != 0).collect();
            for i in (1..ops.len()).rev() {
                ops.swap(i, next(i + 1));
            }
            let mut tree = original.clone();
            let changing: Vec<&Op> = ops
                .into_iter()
                .filter(|op| apply_to_tree(&mut tree, op).unwrap())
                .collect();
            let slow = op_by_op(base, &changing).unwrap();
            let fast = key_by_key(base, &original, &changing)
                .expect("a new record")
                .unwrap();
            assert_eq!(fast, slow, "round {round}: {changing:?}");
            assert_eq!(read_tree(&fast).unwrap(), tree, "round {round}");
        }
    }

    #[test]
    fn path_at_names_the_key_and_the_list_item_at_a_place() {
        let text = "id: a\nname: \"x\"\nage: { min_months: 6 }\nlots:\n  - lot: L1\n    made: 2026-03\n  - lot: L2\n    made: 2026-13\nevidence:\n  - { report: R-1, result: maybe }\n";
        let ids = [("lots", "lot"), ("evidence", "report")];
        let at = |line, column| path_at(text, line, column, &ids);
        assert_eq!(at(2, 7), Some(vec!["name".to_string()]));
        assert_eq!(at(3, 8), Some(vec!["age".into(), "min_months".into()]));
        assert_eq!(
            at(8, 11),
            Some(vec!["lots".into(), "L2".into(), "made".into()])
        );
        assert_eq!(
            at(5, 12),
            Some(vec!["lots".into(), "L1".into(), "lot".into()])
        );
        assert_eq!(at(7, 3), Some(vec!["lots".into(), "L2".into()]));
        assert_eq!(
            at(10, 30),
            Some(vec!["evidence".into(), "R-1".into(), "result".into()])
        );
        assert_eq!(at(1, 1), Some(vec!["id".to_string()]));
        assert_eq!(path_at("a: [", 1, 1, &ids), None);
    }

    #[test]
    fn plainly_a_string_never_claims_what_reads_as_denies() {
        // Every string of up to three characters over an alphabet of letters, digits,
        // spaces and indicators, and words YAML gives other types.
        let alphabet: Vec<char> = "aZe0 -_./()&+:#,[]{}'\"!*|>?%@`~".chars().collect();
        let mut strings: Vec<String> = Vec::new();
        for a in &alphabet {
            strings.push(a.to_string());
            for b in &alphabet {
                strings.push(format!("{a}{b}"));
                for c in &alphabet {
                    strings.push(format!("{a}{b}{c}"));
                }
            }
        }
        for w in [
            "null",
            "Null",
            "NULL",
            "true",
            "True",
            "FALSE",
            "inf",
            "Infinity",
            "nan",
            "NaN",
            "e5",
            "x - y",
            "a-b",
            "Bench Brand",
            "Synthetic product 618",
            "E1e5",
            "a.b.c",
        ] {
            strings.push(w.to_string());
        }
        let mut fast = 0;
        for s in &strings {
            if plainly_a_string(s) {
                fast += 1;
                for in_flow in [false, true] {
                    assert!(reads_as(s, s, in_flow), "{s:?} (in flow: {in_flow})");
                }
            }
        }
        assert!(fast > 200, "the fast path took only {fast} strings");
    }

    #[test]
    fn strings_are_quoted_exactly_when_needed() {
        for s in [
            "Little Oak",
            "2026-03",
            "a#b",
            "x:y",
            "Crème brûlée",
            "16 CFR 1303",
        ] {
            assert_eq!(scalar_text(s, false, None), s);
        }
        for (s, q) in [
            ("2026", "\"2026\""),
            ("true", "\"true\""),
            ("null", "\"null\""),
            ("~", "\"~\""),
            ("00614141000012", "\"00614141000012\""),
            ("1.0", "\"1.0\""),
            (": x", "\": x\""),
            ("#x", "\"#x\""),
            (" lead", "\" lead\""),
            ("trail ", "\"trail \""),
            ("", "\"\""),
            ("a\nb", "\"a\\nb\""),
            ("\"hi\" she said", "\"\\\"hi\\\" she said\""),
            ("- x", "\"- x\""),
            ("*x", "\"*x\""),
        ] {
            assert_eq!(scalar_text(s, false, None), q, "{s:?}");
        }
        assert_eq!(scalar_text("a, b", true, None), "\"a, b\"");
        assert_eq!(scalar_text("a, b", false, None), "a, b");
        assert_eq!(
            scalar_text("it's", false, Some(TScalarStyle::SingleQuoted)),
            "'it''s'"
        );
    }
}
