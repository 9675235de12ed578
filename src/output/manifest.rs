//! What a build wrote, kept beside the output folder (`.<output>.manifest`) for the next
//! build: each file's size, modification time and a hash of its bytes, what the build was
//! made from (a fingerprint of its sources) and what it reported. The next build links a
//! file whose new bytes hash the same into its staging folder instead of writing it, so
//! the file keeps its bytes, inode and modification time and a deploy (rsync, an object
//! store sync) sends only what changed; and a build whose sources did not change at all
//! writes nothing ([`crate::pipeline::up_to_date`]).
//!
//! The manifest lives beside the output, not in it, so a deploy of the output never sends
//! it. It names the folder it describes by device and inode (a swap moves the staging
//! folder, inode and all, to the output's place): a manifest left from another tree, or
//! one that does not read, is ignored and the build writes every file. A file whose size
//! or modification time differs from its entry (edited by hand) is never linked.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

const MAGIC: &str = "certpress-manifest 1";

/// One output file as it was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub size: u64,
    /// Nanoseconds since the Unix epoch (an i64 holds ±292 years: 32 bytes an entry,
    /// held for every file of a 100,000-product output).
    pub modified: i64,
    /// The first 16 bytes of the SHA-256 of its bytes.
    pub hash: [u8; 16],
}

impl Entry {
    /// The file at `rel` in `target` still has this entry's size and modification time
    /// (not edited, replaced or removed since it was written).
    pub fn intact(&self, target: &Path, rel: &str) -> bool {
        fs::symlink_metadata(target.join(rel)).is_ok_and(|m| {
            m.is_file() && m.len() == self.size && modified(&m) == Some(self.modified)
        })
    }
}

/// What a build printed and counted: a build that finds nothing changed says it again.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Summary {
    pub pages: usize,
    pub data_files: usize,
    pub labels: usize,
    pub files_copied: usize,
    pub warnings: usize,
    /// The diagnostics as the build reported them (plain text).
    pub report: String,
    /// Every plugin is a rule pack: the same records get the same answers.
    pub pure: bool,
}

/// What the files of each product and certificate were made from
/// ([`crate::render::keys`]): the next build renders again only those whose key
/// changed, and links the files of the rest from this output without reading them.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Inputs {
    /// The fingerprint of every source but the records and the ledger, with the binary
    /// and settings: when it changes, every file is rendered again.
    pub site: String,
    /// Product id → key (hex).
    pub products: BTreeMap<String, String>,
    /// Certificate number → key (hex).
    pub certificates: BTreeMap<String, String>,
    /// The files that belong to no one product or certificate and are drawn from the
    /// records (home list pages, lookup shards, API index, sitemap, redirects, the ledger
    /// manifest): every build makes them again, so none is linked from the last output.
    pub lists: Vec<String>,
}

/// The header line: everything but the files.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
struct Header {
    /// Device and inode of the output folder this manifest describes.
    tree: (u64, u64),
    /// [`crate::fingerprint`] of what the build read.
    sources: String,
    summary: Summary,
    /// Absent from manifests of builds that kept none (then the next build renders all).
    #[serde(default)]
    inputs: Option<Inputs>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    pub tree: (u64, u64),
    pub sources: String,
    pub summary: Summary,
    pub inputs: Option<Inputs>,
    pub files: HashMap<String, Entry>,
}

/// Where the manifest of output folder `target` is kept.
pub fn path(target: &Path) -> PathBuf {
    super::sibling(target, "manifest")
}

/// The hash an [`Entry`] keeps of `bytes`.
pub fn hash(bytes: &[u8]) -> [u8; 16] {
    let digest = Sha256::digest(bytes);
    let mut out = [0; 16];
    out.copy_from_slice(&digest[..16]);
    out
}

/// Device and inode of `dir` (`None` where the platform has no inodes: nothing is reused).
pub fn tree_id(dir: &Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let m = fs::symlink_metadata(dir).ok()?;
        Some((m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        None
    }
}

/// Nanoseconds since the epoch of `m`'s modification time.
pub fn modified(m: &fs::Metadata) -> Option<i64> {
    let t = m.modified().ok()?;
    match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_nanos()).ok(),
        Err(e) => i64::try_from(e.duration().as_nanos()).ok().map(|n| -n),
    }
}

impl Manifest {
    /// The manifest of `target`, when there is one that reads and describes the folder
    /// now at `target`.
    pub fn read(target: &Path) -> Option<Manifest> {
        let text = fs::read_to_string(path(target)).ok()?;
        let manifest = Self::parse(&text)?;
        (tree_id(target)? == manifest.tree).then_some(manifest)
    }

    fn parse(text: &str) -> Option<Manifest> {
        let body = text.strip_prefix(MAGIC)?.strip_prefix('\n')?;
        let body = body.strip_suffix('\n')?;
        // The last two lines: the header, and the count of files (a manifest cut short
        // does not read).
        let (body, end) = body.rsplit_once('\n')?;
        let count: usize = end.strip_prefix("end\t")?.parse().ok()?;
        let (body, header) = match body.rsplit_once('\n') {
            Some((body, header)) => (body, header),
            None => ("", body),
        };
        let header: Header = serde_json::from_str(header.strip_prefix("header\t")?).ok()?;
        let mut files = HashMap::with_capacity(count);
        let mut lines = 0;
        // A path recorded twice (a file linked from the previous output, then made again)
        // is as its last line says.
        for line in body.split('\n').filter(|l| !l.is_empty()) {
            let (rel, entry) = parse_line(line)?;
            files.insert(rel.to_string(), entry);
            lines += 1;
        }
        if count != lines {
            return None;
        }
        Some(Manifest {
            tree: header.tree,
            sources: header.sources,
            summary: header.summary,
            inputs: header.inputs,
            files,
        })
    }

    /// Forgets the manifest of `target`: what is there no longer matches it.
    pub fn remove(target: &Path) {
        let _ = fs::remove_file(path(target));
    }

    /// The entries whose file in `target` still has the size and modification time the
    /// manifest says (not edited, replaced or removed since), and whether all of them do.
    pub fn intact(self, target: &Path) -> (HashMap<String, Entry>, bool) {
        let total = self.files.len();
        let kept: HashMap<String, Entry> = self
            .files
            .into_par_iter()
            .filter(|(rel, e)| e.intact(target, rel))
            .collect();
        let all = kept.len() == total;
        (kept, all)
    }
}

/// The files of a previous output that a build may link instead of writing again, by a
/// hash of their path: a 100,000-product output has 1.5 million files, whose paths alone
/// would take a quarter of a gigabyte to hold. Two paths with one hash (one chance in
/// about 10^13 on such a site) cost nothing but a file written: a file is linked only
/// when the new bytes' size and SHA-256 are its entry's.
#[derive(Debug, Default)]
pub struct Reusable(Vec<(u64, Entry)>);

impl Reusable {
    fn key(rel: &str) -> u64 {
        use std::hash::{Hash, Hasher};
        // SipHash with fixed keys: the same for every build.
        let mut h = std::hash::DefaultHasher::new();
        rel.hash(&mut h);
        h.finish()
    }

    /// The entry of the previous output's file at `rel`, if it is there as written.
    pub fn get(&self, rel: &str) -> Option<&Entry> {
        let key = Self::key(rel);
        let at = self.0.binary_search_by_key(&key, |(k, _)| *k).ok()?;
        Some(&self.0[at].1)
    }

    /// Sorted by key for [`Reusable::get`]. Of a path recorded twice the last entry
    /// counts, and only when its file is intact (`None`: it is not).
    fn of(mut files: Vec<(u64, Option<Entry>)>) -> Reusable {
        // A stable sort keeps each key's entries in the order read.
        files.sort_by_key(|(k, _)| *k);
        let mut last: Vec<(u64, Option<Entry>)> = Vec::with_capacity(files.len());
        for (k, e) in files {
            match last.last_mut() {
                Some((key, entry)) if *key == k => *entry = e,
                _ => last.push((k, e)),
            }
        }
        Reusable(
            last.into_iter()
                .filter_map(|(k, e)| Some((k, e?)))
                .collect(),
        )
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<HashMap<String, Entry>> for Reusable {
    fn from(files: HashMap<String, Entry>) -> Reusable {
        Reusable::of(
            files
                .into_iter()
                .map(|(rel, e)| (Self::key(&rel), Some(e)))
                .collect(),
        )
    }
}

/// The keys a build kept ([`Inputs`]) as a build in batches holds them: each key as the
/// 128 bits its hex spells (a 100,000-product site keeps about 400,000 keys). A key
/// that is not 32 hex digits (`unhashable`) is left out: it equals nothing.
#[derive(Debug, Default, Deserialize)]
pub struct KeptKeys {
    pub site: String,
    products: CompactKeys,
    certificates: CompactKeys,
    /// The files drawn from the records ([`Inputs::lists`]).
    pub lists: HashSet<String>,
}

impl KeptKeys {
    /// Whether product `id`'s key was `key` (hex).
    pub fn product_is(&self, id: &str, key: &str) -> bool {
        self.products.is(id, key)
    }

    /// Whether certificate `number`'s key was `key` (hex).
    pub fn certificate_is(&self, number: &str, key: &str) -> bool {
        self.certificates.is(number, key)
    }
}

#[derive(Debug, Default)]
struct CompactKeys(HashMap<Box<str>, u128>);

impl CompactKeys {
    fn bits(key: &str) -> Option<u128> {
        let hex = key.len() == 32 && key.bytes().all(|b| b.is_ascii_hexdigit());
        hex.then(|| u128::from_str_radix(key, 16).ok()).flatten()
    }

    fn is(&self, id: &str, key: &str) -> bool {
        Self::bits(key).is_some_and(|bits| self.0.get(id) == Some(&bits))
    }
}

impl<'de> Deserialize<'de> for CompactKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Keys;
        impl<'de> serde::de::Visitor<'de> for Keys {
            type Value = CompactKeys;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map of keys")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<CompactKeys, A::Error> {
                let mut keys = HashMap::with_capacity(map.size_hint().unwrap_or(0));
                while let Some((id, key)) =
                    map.next_entry::<Box<str>, std::borrow::Cow<'de, str>>()?
                {
                    if let Some(bits) = CompactKeys::bits(&key) {
                        keys.insert(id, bits);
                    }
                }
                Ok(CompactKeys(keys))
            }
        }
        d.deserialize_map(Keys)
    }
}

/// What a build in batches needs of the output it replaces ([`previous`]), and what
/// tells whether a build would change it ([`crate::pipeline::up_to_date`]).
#[derive(Debug, Default)]
pub struct Previous {
    /// What the build that wrote it read ([`crate::fingerprint`]) and reported.
    pub sources: String,
    pub summary: Summary,
    /// The keys it was made with, `None` when it kept none.
    pub keys: Option<KeptKeys>,
    /// Its files still as it wrote them.
    pub reuse: Reusable,
    /// Its files that are not (edited, replaced or removed by hand since).
    pub damaged: Vec<String>,
}

/// What a build in batches needs of the manifest of `target` ([`Previous`]). Read line
/// by line, as [`Manifest::read`] reads it whole (the same checks), holding neither its
/// text nor the paths of its intact files.
pub fn previous(target: &Path) -> Option<Previous> {
    /// The header, but for what a build in batches does not need.
    #[derive(Deserialize)]
    struct Glance {
        tree: (u64, u64),
        sources: String,
        summary: Summary,
        #[serde(default)]
        inputs: Option<KeptKeys>,
    }
    let mut files: Vec<(u64, Option<Entry>)> = Vec::new();
    let mut damaged: Vec<String> = Vec::new();
    let mut intact = |block: &mut Vec<(String, Entry)>| {
        let kept: Vec<(u64, Option<Entry>, String)> = block
            .par_drain(..)
            .map(|(rel, e)| {
                (
                    Reusable::key(&rel),
                    e.intact(target, &rel).then_some(e),
                    rel,
                )
            })
            .collect();
        for (key, entry, rel) in kept {
            if entry.is_none() {
                damaged.push(rel);
            }
            files.push((key, entry));
        }
    };
    let mut block: Vec<(String, Entry)> = Vec::new();
    let header = read_lines(target, |rel, entry| {
        block.push((rel.to_string(), entry));
        if block.len() == 1 << 16 {
            intact(&mut block);
        }
    })?;
    intact(&mut block);
    let header: Glance = serde_json::from_str(&header).ok()?;
    if tree_id(target)? != header.tree {
        return None;
    }
    let reuse = Reusable::of(files);
    // Of a path recorded twice, the last entry counts.
    damaged.retain(|rel| reuse.get(rel).is_none());
    Some(Previous {
        sources: header.sources,
        summary: header.summary,
        keys: header.inputs,
        reuse,
        damaged,
    })
}

/// Calls `file` with each file line of the manifest of `target` in order, and returns
/// its header (JSON) when the manifest reads to its end as written.
pub fn read_lines(target: &Path, mut file: impl FnMut(&str, Entry)) -> Option<String> {
    use std::io::BufRead;
    let handle = fs::File::open(path(target)).ok()?;
    let mut lines = io::BufReader::with_capacity(1 << 20, handle).lines();
    if lines.next()?.ok()? != MAGIC {
        return None;
    }
    let (mut count, mut header, mut end) = (0, None, None);
    for line in lines {
        let line = line.ok()?;
        if end.is_some() {
            return None;
        }
        if let Some(json) = line.strip_prefix("header\t") {
            header = Some(json.to_string());
        } else if let Some(n) = line.strip_prefix("end\t") {
            end = Some(n.parse::<usize>().ok()?);
        } else if !line.is_empty() {
            if header.is_some() {
                return None;
            }
            let (rel, entry) = parse_line(&line)?;
            file(rel, entry);
            count += 1;
        }
    }
    (end? == count).then_some(header?)
}

fn parse_line(line: &str) -> Option<(&str, Entry)> {
    let mut parts = line.splitn(4, '\t');
    let size = parts.next()?.parse().ok()?;
    let modified = parts.next()?.parse().ok()?;
    let hex = parts.next()?;
    let rel = parts.next()?;
    let mut hash = [0u8; 16];
    if hex.len() != 32 {
        return None;
    }
    for (i, b) in hash.iter_mut().enumerate() {
        *b = u8::from_str_radix(hex.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some((
        rel,
        Entry {
            size,
            modified,
            hash,
        },
    ))
}

fn line(rel: &str, e: &Entry) -> String {
    use std::fmt::Write as _;
    let mut out = format!("{}\t{}\t", e.size, e.modified);
    for b in e.hash {
        let _ = write!(out, "{b:02x}");
    }
    out.push('\t');
    out.push_str(rel);
    out.push('\n');
    out
}

/// A manifest written as the build writes its files (a line each, held by no one: a
/// 100,000-product site has over a million files), finished once the output is swapped in.
#[derive(Debug)]
pub struct Writer {
    file: Mutex<io::BufWriter<fs::File>>,
    tmp: PathBuf,
    count: AtomicUsize,
    failed: std::sync::atomic::AtomicBool,
    done: bool,
}

impl Writer {
    /// Starts the manifest of the output `target` will get.
    pub fn new(target: &Path) -> io::Result<Writer> {
        let tmp = super::sibling(target, &format!("manifest-{}", super::unique()));
        let mut file = io::BufWriter::new(fs::File::create(&tmp)?);
        file.write_all(MAGIC.as_bytes())?;
        file.write_all(b"\n")?;
        Ok(Writer {
            file: Mutex::new(file),
            tmp,
            count: AtomicUsize::new(0),
            failed: false.into(),
            done: false,
        })
    }

    /// Notes the file at `rel` (a path a line cannot hold is left out: that file is
    /// written again next time).
    pub fn record(&self, rel: &str, entry: &Entry) {
        if rel.contains(['\n', '\r']) {
            return;
        }
        let text = line(rel, entry);
        let mut file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        if file.write_all(text.as_bytes()).is_err() {
            self.failed.store(true, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    /// Ends the manifest of `target`, whose output folder is now the tree `tree`, and puts
    /// it in place.
    pub fn finish(
        mut self,
        target: &Path,
        tree: (u64, u64),
        sources: String,
        summary: Summary,
        inputs: Option<Inputs>,
    ) -> io::Result<()> {
        if self.failed.load(Ordering::Relaxed) {
            return Err(io::Error::other("a manifest line could not be written"));
        }
        let header = Header {
            tree,
            sources,
            summary,
            inputs,
        };
        let file = self.file.get_mut().unwrap_or_else(PoisonError::into_inner);
        writeln!(
            file,
            "header\t{}",
            serde_json::to_string(&header).map_err(io::Error::other)?
        )?;
        writeln!(file, "end\t{}", self.count.load(Ordering::Relaxed))?;
        file.flush()?;
        fs::rename(&self.tmp, path(target))?;
        self.done = true;
        Ok(())
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if !self.done {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reusable_files_are_the_last_entry_of_each_path_when_intact() {
        let e = |size| Entry {
            size,
            modified: 0,
            hash: [0; 16],
        };
        let key = Reusable::key;
        let r = Reusable::of(vec![
            (key("a"), Some(e(1))),
            (key("b"), Some(e(2))),
            (key("a"), None),
            (key("b"), Some(e(3))),
            (key("c"), None),
            (key("c"), Some(e(4))),
        ]);
        assert!(r.get("a").is_none(), "its last entry's file was edited");
        assert_eq!(r.get("b").map(|e| e.size), Some(3));
        assert_eq!(r.get("c").map(|e| e.size), Some(4));
        assert!(r.get("d").is_none());
        assert_eq!(r.len(), 2);
    }

    #[test]
    fn previous_holds_keys_compactly_and_names_files_no_longer_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("public");
        fs::create_dir(&target).unwrap();
        let w = Writer::new(&target).unwrap();
        for (rel, bytes) in [("a.html", "a"), ("b.html", "bb")] {
            fs::write(target.join(rel), bytes).unwrap();
            let meta = fs::metadata(target.join(rel)).unwrap();
            let entry = Entry {
                size: bytes.len() as u64,
                modified: modified(&meta).unwrap(),
                hash: hash(bytes.as_bytes()),
            };
            w.record(rel, &entry);
        }
        let key = "0123456789abcdef0123456789abcdef";
        let inputs = Inputs {
            site: "s".into(),
            products: [("p".into(), key.into()), ("q".into(), "unhashable".into())].into(),
            certificates: [("C-1".into(), key.into())].into(),
            lists: vec!["index.html".into()],
        };
        let summary = Summary {
            pages: 2,
            ..Summary::default()
        };
        let tree = tree_id(&target).unwrap();
        w.finish(&target, tree, "src".into(), summary.clone(), Some(inputs))
            .unwrap();
        fs::write(target.join("b.html"), "edited").unwrap();

        let p = previous(&target).unwrap();
        assert_eq!((p.sources.as_str(), &p.summary), ("src", &summary));
        let keys = p.keys.unwrap();
        assert_eq!(keys.site, "s");
        assert!(keys.product_is("p", key));
        assert!(!keys.product_is("p", "0123456789abcdef0123456789abcdee"));
        assert!(!keys.product_is("q", "unhashable"), "equals nothing");
        assert!(keys.certificate_is("C-1", key) && !keys.certificate_is("C-2", key));
        assert!(keys.lists.contains("index.html"));
        assert!(p.reuse.get("a.html").is_some() && p.reuse.get("b.html").is_none());
        assert_eq!(p.damaged, vec!["b.html".to_string()]);
        // Another folder at the same place: not its manifest.
        fs::rename(&target, dir.path().join("moved")).unwrap();
        fs::create_dir(&target).unwrap();
        assert!(previous(&target).is_none());
    }

    #[test]
    fn reads_back_what_it_wrote_and_refuses_what_is_damaged() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("public");
        fs::create_dir(&target).unwrap();
        let entry = Entry {
            size: 5,
            modified: 1_700_000_000_123_456_789,
            hash: hash(b"hello"),
        };
        let w = Writer::new(&target).unwrap();
        w.record("a b/index.html", &entry);
        w.record("bad\nname", &entry);
        let summary = Summary {
            pages: 3,
            warnings: 1,
            report: "warning: x\n  at y\n".into(),
            ..Summary::default()
        };
        let tree = tree_id(&target).unwrap();
        let inputs = Inputs {
            site: "s".into(),
            products: [("a".to_string(), "k".to_string())].into(),
            lists: vec!["index.html".into()],
            ..Inputs::default()
        };
        w.finish(
            &target,
            tree,
            "abc".into(),
            summary.clone(),
            Some(inputs.clone()),
        )
        .unwrap();
        let m = Manifest::read(&target).unwrap();
        assert_eq!(m.sources, "abc");
        assert_eq!(m.inputs, Some(inputs));
        assert_eq!(m.summary, summary);
        assert_eq!(m.files.len(), 1);
        assert_eq!(m.files["a b/index.html"], entry);

        let text = fs::read_to_string(path(&target)).unwrap();
        assert!(Manifest::parse(&text).is_some());
        assert!(Manifest::parse(&text.replace(MAGIC, "other")).is_none());
        for cut in [1, 10, text.len() / 2] {
            assert!(
                Manifest::parse(&text[..text.len() - cut]).is_none(),
                "{cut}"
            );
        }
        // Another folder at the same place: the manifest is not its.
        fs::rename(&target, dir.path().join("moved")).unwrap();
        fs::create_dir(&target).unwrap();
        assert!(Manifest::read(&target).is_none());
    }
}
