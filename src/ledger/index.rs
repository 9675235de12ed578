//! What the review of a site needs of the ledger, and no more: every version's issue
//! date, content hash and line, by certificate number, and what a `removed-product`
//! warning names. `check` reads it straight from `certificates.lock`, line by line, so the
//! versions' content (most of the file: about 2.4 KB a version) is parsed, verified
//! against its hash and dropped, never held; a million products' ledger is over 4 GB.
//! `build`, `issue` and `serve` hold the whole [`Ledger`] (pages show each version's
//! content) and make this index of it ([`Index::of`]).
//!
//! Reading it checks exactly what [`Ledger::parse`] checks, and reports the same first
//! problem at the same line and column.

use super::{FILE, Ledger, bad_ledger, line_hash_digest, parse_line, prev_column};
use crate::diagnostic::Diagnostic;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;
use time::Date;

/// A SHA-256, written `sha256:<64 lowercase hex digits>` in the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    pub fn of(bytes: &[u8]) -> Digest {
        use sha2::Digest as _;
        Digest(sha2::Sha256::digest(bytes).into())
    }

    /// `sha256:<hex>` as written; `None` for anything else (upper case included, which no
    /// ledger holds).
    pub fn parse(text: &str) -> Option<Digest> {
        let hex = text.strip_prefix("sha256:")?;
        if hex.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, pair) in hex.as_bytes().chunks(2).enumerate() {
            let digit = |b: u8| match b {
                b'0'..=b'9' => Some(b - b'0'),
                b'a'..=b'f' => Some(b - b'a' + 10),
                _ => None,
            };
            out[i] = digit(pair[0])? << 4 | digit(pair[1])?;
        }
        Some(Digest(out))
    }
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("sha256:")?;
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// One issued version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub issued: Date,
    pub hash: Digest,
    /// Its line in `certificates.lock`; 0 when not read from the file.
    pub line: usize,
    /// The byte offset in `certificates.lock` where that line starts (0 when not read
    /// from the file), so a build that renders in batches reads back only the versions a
    /// batch shows ([`super::read_versions`]) instead of the whole file.
    pub at: u64,
}

/// What a `removed-product` warning says of a certificate whose latest version names a
/// product the site no longer has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    pub title: String,
    pub id: String,
    pub name: String,
}

/// One certificate's versions.
#[derive(Debug, Clone)]
struct Held {
    latest: Entry,
    /// v1 .. v(n-1), oldest first; empty (no allocation) for most certificates.
    earlier: Vec<Entry>,
    /// The SHA-256 of the latest version's whole line, which a next version names as
    /// `prev:` (only while reading; zero in an index made of a [`Ledger`]).
    chain: Digest,
    removed: Option<Box<Removed>>,
    /// The product ids its versions name, sorted, each once: nearly always one, so a
    /// batch of products finds its certificates without reading their content.
    named: Box<[Box<str>]>,
}

/// Every issued version's date, hash and line, by certificate number.
#[derive(Debug, Default, Clone)]
pub struct Index {
    held: BTreeMap<Box<str>, Held>,
    /// How many lines the file it was read from has (0: there was no file).
    pub lines: usize,
}

/// One content line, parsed and verified on some thread.
struct Parsed {
    number: String,
    version: u32,
    entry: Entry,
    prev: Option<(Digest, usize)>,
    /// Where the `prev:` field would be, for a line that lacks one.
    prev_column: usize,
    chain: Digest,
    removed: Option<Box<Removed>>,
    /// The product id its content names.
    product: Box<str>,
}

/// Lines parsed together on every thread: enough to keep them busy, few enough bytes
/// (a few MB) to hold.
const BLOCK_LINES: usize = 2048;

impl Index {
    /// The index of a whole ledger; `known` tells whether the site has a product (for
    /// [`Index::removed`]).
    pub fn of(ledger: &Ledger, known: &dyn Fn(&str) -> bool) -> Index {
        let held = ledger
            .certificates
            .iter()
            .filter_map(|(number, versions)| {
                let (last, earlier) = versions.split_last()?;
                let entry = |v: &super::Version| Entry {
                    issued: v.issued,
                    hash: Digest::parse(&v.hash).unwrap_or_default(),
                    line: v.line,
                    at: 0,
                };
                let mut named: Vec<&str> = versions
                    .iter()
                    .map(|v| v.snapshot.product.id.as_str())
                    .collect();
                named.sort_unstable();
                named.dedup();
                let held = Held {
                    latest: entry(last),
                    earlier: earlier.iter().map(entry).collect(),
                    chain: Digest::default(),
                    removed: removed(&last.snapshot, known),
                    named: named.into_iter().map(Box::from).collect(),
                };
                Some((number.as_str().into(), held))
            })
            .collect();
        Index {
            held,
            lines: ledger.lines,
        }
    }

    /// Reads `certificates.lock` under `root` line by line; no file is an empty index.
    pub fn load(root: &Path, known: &(dyn Fn(&str) -> bool + Sync)) -> Result<Index, Diagnostic> {
        let path = root.join(FILE);
        if !path.exists() {
            return Ok(Index::default());
        }
        let file = crate::source::open(root, &path)?;
        let rel = crate::source::relative(root, &path);
        Index::read(
            std::io::BufReader::with_capacity(1 << 20, file),
            &rel,
            known,
        )
    }

    /// Reads a ledger's text from `reader` (`rel`: its name in messages).
    pub fn read(
        mut reader: impl BufRead,
        rel: &str,
        known: &(dyn Fn(&str) -> bool + Sync),
    ) -> Result<Index, Diagnostic> {
        let unreadable = |e: std::io::Error| {
            Diagnostic::error("unreadable-file", rel, format!("cannot read: {e}"))
        };
        let not_utf8 = |line: usize, column: usize| {
            Diagnostic::error("not-utf8", rel, "file is not valid UTF-8").at(line, column)
        };
        let mut index = Index::default();
        let mut block: Vec<(usize, u64, String)> = Vec::with_capacity(BLOCK_LINES);
        let mut bytes = Vec::new();
        let mut line_no = 0;
        // Where the next line starts: every byte read, line breaks included.
        let mut offset: u64 = 0;
        loop {
            bytes.clear();
            let n = reader.read_until(b'\n', &mut bytes).map_err(unreadable)?;
            let at = offset;
            offset += n as u64;
            if n > 0 {
                line_no += 1;
                super::trim_line_end(&mut bytes);
                match std::str::from_utf8(&bytes) {
                    Ok(text) => block.push((line_no, at, text.to_string())),
                    Err(e) => {
                        let valid = String::from_utf8_lossy(&bytes[..e.valid_up_to()]);
                        return Err(not_utf8(line_no, valid.chars().count() + 1));
                    }
                }
            }
            if block.len() == BLOCK_LINES || (n == 0 && !block.is_empty()) {
                if let Err(d) = index.add(&block, known) {
                    // The whole file is read as UTF-8 before any line is parsed: a byte
                    // that is not UTF-8 later on is the first problem.
                    return Err(first_not_utf8(reader, line_no, not_utf8).unwrap_or(d));
                }
                block.clear();
            }
            if n == 0 {
                break;
            }
        }
        index.lines = line_no;
        Ok(index)
    }

    /// Parses a block of lines in parallel, then checks them in order against what the
    /// lines before them hold.
    fn add(
        &mut self,
        block: &[(usize, u64, String)],
        known: &(dyn Fn(&str) -> bool + Sync),
    ) -> Result<(), Diagnostic> {
        let parsed: Vec<Result<Option<Parsed>, Diagnostic>> = block
            .par_iter()
            .map(|(line_no, at, line)| parse(*line_no, *at, line, known))
            .collect();
        for (p, (line_no, _, _)) in parsed.into_iter().zip(block) {
            let Some(p) = p? else { continue };
            self.push(*line_no, p)?;
        }
        Ok(())
    }

    /// The checks of [`Ledger::parse`] that span lines: versions in order, each later
    /// one naming the line before it.
    fn push(&mut self, line_no: usize, p: Parsed) -> Result<(), Diagnostic> {
        let held = self.held.get_mut(p.number.as_str());
        let expected = held.as_ref().map_or(1, |h| h.earlier.len() as u32 + 2);
        if p.version != expected {
            return Err(super::out_of_order(line_no, &p.number, p.version, expected));
        }
        match (held, p.prev) {
            (None, None) => {
                self.held.insert(
                    p.number.into(),
                    Held {
                        latest: p.entry,
                        earlier: Vec::new(),
                        chain: p.chain,
                        removed: p.removed,
                        named: Box::new([p.product]),
                    },
                );
                Ok(())
            }
            (None, Some((_, column))) => Err(bad_ledger(
                line_no,
                column,
                format!(
                    "{} v1 names a previous version, but v1 is the first",
                    p.number
                ),
            )),
            (Some(_), None) => Err(bad_ledger(
                line_no,
                p.prev_column,
                format!(
                    "{} v{} does not name the version before it: `prev:sha256:…`, the hash of the v{} line, is missing",
                    p.number,
                    p.version,
                    p.version - 1
                ),
            )),
            (Some(h), Some((prev, column))) => {
                if prev != h.chain {
                    return Err(bad_ledger(
                        line_no,
                        column,
                        format!(
                            "{} v{} does not follow the v{} on line {}: its `prev:` hash names another line, so a version was removed, renumbered or edited",
                            p.number,
                            p.version,
                            p.version - 1,
                            h.latest.line
                        ),
                    ));
                }
                let before = std::mem::replace(&mut h.latest, p.entry);
                h.earlier.push(before);
                h.chain = p.chain;
                h.removed = p.removed;
                // A product renamed between versions, rarely: the one allocation is then.
                if let Err(i) = h.named.binary_search(&p.product) {
                    let mut named = std::mem::take(&mut h.named).into_vec();
                    named.insert(i, p.product);
                    h.named = named.into_boxed_slice();
                }
                Ok(())
            }
        }
    }

    /// The latest issued version of `number`.
    pub fn latest(&self, number: &str) -> Option<&Entry> {
        self.held.get(number).map(|h| &h.latest)
    }

    /// Version `version` (from 1) of `number`.
    pub fn version(&self, number: &str, version: u32) -> Option<&Entry> {
        let h = self.held.get(number)?;
        let i = (version as usize).checked_sub(1)?;
        match i.cmp(&h.earlier.len()) {
            std::cmp::Ordering::Less => h.earlier.get(i),
            std::cmp::Ordering::Equal => Some(&h.latest),
            std::cmp::Ordering::Greater => None,
        }
    }

    pub fn contains(&self, number: &str) -> bool {
        self.held.contains_key(number)
    }

    /// Every certificate number, in order.
    pub fn numbers(&self) -> impl Iterator<Item = &str> {
        self.held.keys().map(|n| &**n)
    }

    /// How many certificates it holds.
    pub fn len(&self) -> usize {
        self.held.len()
    }

    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    /// Every version of `number`, oldest first (none when it holds no such certificate).
    pub(super) fn versions(&self, number: &str) -> impl Iterator<Item = &Entry> {
        self.held
            .get(number)
            .into_iter()
            .flat_map(|h| h.earlier.iter().chain(std::iter::once(&h.latest)))
    }

    /// Every certificate with the product ids its versions name (sorted, each once), in
    /// number order: which certificates a batch of products shows, without their content.
    pub fn named(&self) -> impl Iterator<Item = (&str, &[Box<str>])> {
        self.held.iter().map(|(n, h)| (&**n, &*h.named))
    }

    /// The product ids the versions of certificate `number` name (sorted, each once).
    pub fn named_of(&self, number: &str) -> Option<&[Box<str>]> {
        self.held.get(number).map(|h| &*h.named)
    }

    /// The certificates whose latest version names a product the site does not have, in
    /// number order.
    pub fn removed(&self) -> impl Iterator<Item = (&str, &Removed)> {
        self.held
            .iter()
            .filter_map(|(n, h)| Some((&**n, h.removed.as_deref()?)))
    }
}

fn removed(s: &crate::certificate::Snapshot, known: &dyn Fn(&str) -> bool) -> Option<Box<Removed>> {
    (!known(&s.product.id)).then(|| {
        Box::new(Removed {
            title: s.title.clone(),
            id: s.product.id.clone(),
            name: s.product.name.clone(),
        })
    })
}

/// One line as [`Ledger::parse`] reads it; `None` for a blank or comment line.
fn parse(
    line_no: usize,
    at: u64,
    line: &str,
    known: &(dyn Fn(&str) -> bool + Sync),
) -> Result<Option<Parsed>, Diagnostic> {
    if line.trim().is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let (v, prev) = parse_line(line).map_err(|(column, m)| {
        Diagnostic::error("bad-ledger", FILE, m)
            .at(line_no, column)
            .with_help(
                "the ledger is written by `certpress issue`; restore it from version control",
            )
    })?;
    Ok(Some(Parsed {
        prev_column: if prev.is_none() { prev_column(line) } else { 0 },
        prev: prev.map(|p| (Digest::parse(p.hash).unwrap_or_default(), p.column)),
        chain: line_hash_digest(line),
        removed: removed(&v.snapshot, known),
        product: v.snapshot.product.id.as_str().into(),
        entry: Entry {
            issued: v.issued,
            hash: Digest::parse(&v.hash).unwrap_or_default(),
            line: line_no,
            at,
        },
        number: v.number,
        version: v.version,
    }))
}

/// The first byte that is not UTF-8 in the rest of `reader` (after line `line_no`).
fn first_not_utf8(
    mut reader: impl BufRead,
    mut line_no: usize,
    not_utf8: impl Fn(usize, usize) -> Diagnostic,
) -> Option<Diagnostic> {
    let mut bytes = Vec::new();
    loop {
        bytes.clear();
        match reader.read_until(b'\n', &mut bytes) {
            Ok(0) | Err(_) => return None,
            Ok(_) => line_no += 1,
        }
        if let Err(e) = std::str::from_utf8(&bytes) {
            let valid = String::from_utf8_lossy(&bytes[..e.valid_up_to()]);
            return Some(not_utf8(line_no, valid.chars().count() + 1));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certificate::Snapshot;
    use crate::ledger::tests::{snapshot, three_versions};

    /// What `check` reads (the index, line by line) against what `build` reads (the
    /// whole ledger, then its index), from the same file: the same versions, or the same
    /// first problem.
    fn both(bytes: &[u8], known: &(dyn Fn(&str) -> bool + Sync)) -> Result<Index, Diagnostic> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE), bytes).unwrap();
        let full = Ledger::load(dir.path()).map(|l| Index::of(&l, known));
        let streamed = Index::load(dir.path(), known);
        match (&full, &streamed) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a.lines, b.lines);
                let entries = |i: &Index| {
                    i.held
                        .iter()
                        .map(|(n, h)| {
                            // `at` is the file's alone: the whole ledger has no offsets.
                            let no_at = |e: &Entry| Entry { at: 0, ..*e };
                            (
                                n.clone(),
                                h.earlier.iter().map(no_at).collect::<Vec<_>>(),
                                no_at(&h.latest),
                                h.removed.clone(),
                                h.named.clone(),
                            )
                        })
                        .collect::<Vec<_>>()
                };
                assert_eq!(entries(a), entries(b));
            }
            (a, b) => assert_eq!(a.as_ref().err(), b.as_ref().err()),
        }
        streamed
    }

    fn line_of(text: &str, start: &str) -> usize {
        text.lines().position(|l| l.starts_with(start)).unwrap() + 1
    }

    /// What a batch reads back at the index's offsets ([`crate::ledger::read_versions`]),
    /// for every number and for every other one (and one the index lacks), against the
    /// whole ledger kept to the same numbers.
    fn reads_back_as_the_whole_ledger(bytes: &[u8]) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE), bytes).unwrap();
        let index = Index::load(dir.path(), &|_| true).unwrap();
        let whole = Ledger::parse(std::str::from_utf8(bytes).unwrap()).unwrap();
        let all: Vec<&str> = index.numbers().collect();
        let some: Vec<&str> = all.iter().copied().step_by(2).chain(["NONE-1"]).collect();
        for numbers in [all.clone(), some] {
            let read = crate::ledger::read_versions(dir.path(), &index, numbers.clone()).unwrap();
            let mut expected = whole.certificates.clone();
            expected.retain(|n, _| numbers.contains(&n.as_str()));
            assert_eq!(read.certificates, expected);
            assert_eq!(read.lines, whole.lines);
        }
        let nothing = crate::ledger::read_versions(dir.path(), &index, []).unwrap();
        assert!(nothing.certificates.is_empty());
    }

    #[test]
    fn reads_every_version_as_the_whole_ledger_does() {
        let text = three_versions();
        let index = both(text.as_bytes(), &|_| true).unwrap();
        assert_eq!(index.lines, text.lines().count());
        assert_eq!(index.numbers().collect::<Vec<_>>(), ["A-1", "B-1"]);
        let ledger = Ledger::parse(&text).unwrap();
        for (number, versions) in &ledger.certificates {
            for v in versions {
                let e = index.version(number, v.version).unwrap();
                assert_eq!(
                    (e.issued, e.hash.to_string(), e.line),
                    (v.issued, v.hash.clone(), v.line)
                );
            }
            assert_eq!(
                index.latest(number),
                index.version(number, versions.len() as u32)
            );
            assert!(index.version(number, versions.len() as u32 + 1).is_none());
        }
        assert!(index.version("A-1", 0).is_none() && !index.contains("C-1"));
        // Windows line ends, and versions of one certificate apart (a merge), read alike.
        both(text.replace('\n', "\r\n").as_bytes(), &|_| true).unwrap();
        reads_back_as_the_whole_ledger(text.as_bytes());
        reads_back_as_the_whole_ledger(text.replace('\n', "\r\n").as_bytes());
        let mut lines: Vec<&str> = text.lines().collect();
        let b1 = lines.remove(line_of(&text, "B-1 v1 ") - 1);
        lines.insert(line_of(&text, "A-1 v2 ") - 1, b1);
        let apart_text = format!("{}\n", lines.join("\n"));
        assert!(line_of(&apart_text, "B-1 v1 ") < line_of(&apart_text, "A-1 v2 "));
        let apart = both(apart_text.as_bytes(), &|_| true).unwrap();
        assert_eq!(
            apart.latest("A-1").unwrap().line,
            line_of(&apart_text, "A-1 v3 ")
        );
        reads_back_as_the_whole_ledger(apart_text.as_bytes());
        // Offsets count every byte before the line, line breaks included.
        let at = |t: &str, start: &str| t.find(&format!("\n{start}")).unwrap() as u64 + 1;
        assert_eq!(apart.latest("A-1").unwrap().at, at(&apart_text, "A-1 v3 "));
        let crlf = text.replace('\n', "\r\n");
        let crlf_index = both(crlf.as_bytes(), &|_| true).unwrap();
        assert_eq!(
            crlf_index.version("A-1", 2).unwrap().at,
            at(&crlf, "A-1 v2 ")
        );
    }

    #[test]
    fn a_version_changed_after_the_index_was_read_is_an_error() {
        let text = three_versions();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        std::fs::write(&path, &text).unwrap();
        let index = Index::load(dir.path(), &|_| true).unwrap();
        assert_eq!(
            crate::ledger::read_versions(dir.path(), &index, ["A-1"])
                .unwrap()
                .certificates["A-1"]
                .len(),
            3
        );
        // One byte of content, the same length: the line no longer matches its hash.
        // Another issue date, the line still whole: not the version the index read.
        for changed in [
            text.replacen("\"M2\"", "\"M9\"", 1),
            text.replacen("A-1 v2 2026-02-01", "A-1 v2 2026-02-02", 1),
        ] {
            assert_eq!(changed.len(), text.len());
            std::fs::write(&path, &changed).unwrap();
            let e = crate::ledger::read_versions(dir.path(), &index, ["B-1", "A-1"]).unwrap_err();
            assert_eq!(
                (e.code, e.line, e.column),
                ("bad-ledger", line_of(&text, "A-1 v2 "), 1)
            );
            assert!(
                e.message.contains("changed while it was being read"),
                "{}",
                e.message
            );
            // Versions the change did not touch still read.
            assert!(crate::ledger::read_versions(dir.path(), &index, ["B-1"]).is_ok());
        }
        // A file cut short.
        std::fs::write(&path, &text[..text.len() - 10]).unwrap();
        assert!(crate::ledger::read_versions(dir.path(), &index, ["B-1"]).is_err());
        // No file: nothing to read.
        std::fs::remove_file(&path).unwrap();
        let none = crate::ledger::read_versions(dir.path(), &index, ["A-1"]).unwrap();
        assert!(none.certificates.is_empty());
    }

    #[test]
    fn names_only_the_certificates_of_products_the_site_no_longer_has() {
        // The product of every test snapshot is `x`; A-1's latest version names `y`.
        let mut l = Ledger::default();
        let mut moved = snapshot("A-1", "M2");
        std::sync::Arc::make_mut(&mut moved.product).id = "y".into();
        l.issue(
            &[snapshot("A-1", "M1"), snapshot("B-1", "M")],
            time::macros::date!(2026 - 01 - 01),
        );
        l.issue(&[moved], time::macros::date!(2026 - 01 - 01));
        let index = both(l.to_text().as_bytes(), &|id| id == "x").unwrap();
        let removed: Vec<_> = index.removed().collect();
        assert_eq!(removed.len(), 1);
        assert_eq!(removed[0].0, "A-1");
        assert_eq!(
            (removed[0].1.id.as_str(), removed[0].1.name.as_str()),
            ("y", "X")
        );
        let named: Vec<(&str, Vec<&str>)> = index
            .named()
            .map(|(n, ids)| (n, ids.iter().map(|i| &**i).collect()))
            .collect();
        assert_eq!(named, [("A-1", vec!["x", "y"]), ("B-1", vec!["x"])]);
        assert_eq!(
            both(l.to_text().as_bytes(), &|id| id == "y")
                .unwrap()
                .removed()
                .count(),
            1
        );
    }

    #[test]
    fn a_broken_line_is_the_same_first_error_at_the_same_line_and_column() {
        let text = three_versions();
        let v2 = line_of(&text, "A-1 v2 ");
        let v2_line = text.lines().nth(v2 - 1).unwrap();
        let prev = &v2_line[v2_line.find("prev:").unwrap()..v2_line.find(" {").unwrap() + 1];
        let b1 = text.lines().nth(line_of(&text, "B-1 v1 ") - 1).unwrap();
        let hash_end = b1.find(" {").unwrap();
        let b1_with_prev = format!("{}{}{}", &b1[..hash_end + 1], prev, &b1[hash_end + 1..]);
        let broken: Vec<(String, &str)> = vec![
            (text.replace("\"M1\"", "\"M9\""), "does not match its hash"),
            (text.replacen("A-1 v2 ", "A-1 v4 ", 1), "out of order"),
            (
                text.replacen("A-1 v1 2026-01-01", "A-1 v1 2025-12-01", 1),
                "does not follow",
            ),
            (text.replacen(prev, "", 1), "does not name"),
            (text.replacen(b1, &b1_with_prev, 1), "v1 is the first"),
            (
                text.replacen("prev:sha256:", "prev:sha1:", 1),
                "is not a hash",
            ),
            (
                text.replacen("A-1 v3 ", "A-1 version ", 1),
                "is not a version",
            ),
            (format!("{text}A-1 v4 2026-04-01\n"), "missing content hash"),
            (
                format!("{text}Z-1 v1 2026-04-01 sha256:00 {{\"number\":\n"),
                "content",
            ),
        ];
        for (text, says) in broken {
            let e = both(text.as_bytes(), &|_| true).unwrap_err();
            assert_eq!(e.file, FILE);
            assert!(e.line > 0 && e.message.contains(says), "{}", e.message);
        }
        // Two problems: the first in the file is reported, as the whole ledger reports it,
        // and a byte that is not UTF-8 comes before any line's problem.
        let two = text
            .replacen("A-1 v2 ", "A-1 v4 ", 1)
            .replacen("\"M3\"", "\"M9\"", 1);
        assert_eq!(both(two.as_bytes(), &|_| true).unwrap_err().line, v2);
        let mut bytes = text.replacen("A-1 v2 ", "A-1 v4 ", 1).into_bytes();
        bytes.extend_from_slice(b"\xff\n");
        let e = both(&bytes, &|_| true).unwrap_err();
        assert_eq!(
            (e.code, e.line, e.column),
            ("not-utf8", text.lines().count() + 1, 1)
        );
    }

    #[test]
    fn a_long_ledger_is_read_in_blocks_with_the_same_result() {
        let mut l = Ledger::default();
        let firsts: Vec<Snapshot> = (0..BLOCK_LINES + 10)
            .map(|i| snapshot(&format!("N-{i:05}"), "M1"))
            .collect();
        l.issue(&firsts, time::macros::date!(2026 - 01 - 01));
        l.issue(
            &[snapshot("N-00000", "M2")],
            time::macros::date!(2026 - 01 - 01),
        );
        let text = l.to_text();
        let index = both(text.as_bytes(), &|_| true).unwrap();
        assert_eq!(index.numbers().count(), BLOCK_LINES + 10);
        assert_eq!(index.len(), BLOCK_LINES + 10);
        reads_back_as_the_whole_ledger(text.as_bytes());
        // A problem past the first block is found at its line.
        let last = text.lines().count();
        let e = both(
            text.replacen(
                &format!("N-{:05} v1", BLOCK_LINES + 9),
                &format!("N-{:05} v2", BLOCK_LINES + 9),
                1,
            )
            .as_bytes(),
            &|_| true,
        )
        .unwrap_err();
        assert_eq!(e.line, last);
    }

    #[test]
    fn digests_read_back_as_written() {
        let d = Digest::of(b"certpress");
        assert_eq!(Digest::parse(&d.to_string()), Some(d));
        assert_eq!(Digest::parse(&d.to_string().to_uppercase()), None);
        assert_eq!(Digest::parse("sha256:00"), None);
    }
}
