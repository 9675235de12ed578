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
}

/// Deserialises `text`. On failure the error carries a diagnostic code and a position.
pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    serde_yaml::from_str(text).map_err(|e| classify(text, &e))
}

fn classify(text: &str, err: &serde_yaml::Error) -> YamlError {
    let full = err.to_string();
    // serde_yaml appends " at line L column C" to the message; the position is reported
    // separately, so strip it.
    let message = match full.find(" at line ") {
        Some(i) => full[..i].to_string(),
        None => full.clone(),
    };
    let code = if message.contains("unknown field") || message.contains("unknown variant") {
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
    };
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
    let message = if code == "yaml-too-complex" {
        format!("the YAML's aliases or nesting expand too far to read safely ({message})")
    } else {
        message
    };
    YamlError {
        code,
        message,
        line,
        column,
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Place {
    key: Option<(usize, usize)>,
    value: Option<(usize, usize)>,
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

#[cfg(test)]
mod tests {
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
        assert!(e.message.contains("expected `id` or `n`"), "{}", e.message);

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
}
