//! The certificate ledger, `certificates.lock` (SPEC §7): every issued version of every
//! certificate, one line each, sorted, never removed. A line holds the number, version,
//! issue date, the SHA-256 of the content and the content itself (canonical JSON), so a
//! version renders as issued however the records change later.
//!
//! ```text
//! LO-RAINBOW-STACKER-US-CPC v1 2026-11-23 sha256:… {"number":"LO-RAINBOW-STACKER-US-CPC",…}
//! LO-RAINBOW-STACKER-US-CPC v2 2026-12-01 sha256:… prev:sha256:… {"number":…}
//! ```
//!
//! "Never removed" is checked, not trusted:
//!
//! - From v2 on, a line names the SHA-256 of the whole line of the version before it
//!   (`prev:`), so a version taken out of the middle of a certificate's history, renumbered
//!   or re-dated breaks the chain at the next version's line. A chain per certificate, not
//!   one over the whole file: two branches that issue different certificates still merge
//!   line by line, with no trailer that conflicts on every merge.
//! - The last version of a certificate has no successor to vouch for it, so a build also
//!   writes [`MANIFEST`] into its output: every version it published. The next build, and
//!   `issue`, refuse a ledger that lacks one of them or holds it differently
//!   ([`check_published`]), instead of publishing fewer versions or issuing the missing
//!   one again under a new date.

mod index;

pub use index::{Digest, Entry, Index, Removed};

use crate::certificate::Snapshot;
use crate::diagnostic::Diagnostic;
use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::{self, Read as _, Write as _};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use time::Date;

pub const FILE: &str = "certificates.lock";

/// Written into every build's output: the versions it published (see [`manifest`]).
pub const MANIFEST: &str = ".certpress-ledger";

const HEADER: &str = "\
# certpress certificate ledger. Written by `certpress issue` (see `certpress issue --help`); do not edit.
# One line per issued version: number, version, issue date, content hash, content.
";

const MANIFEST_HEADER: &str = "\
# The certificate versions this output publishes (certpress): number, version,
# issue date, content hash. The next build and `certpress issue` refuse a ledger that
# lacks one of them: versions are never removed.
";

/// What a broken ledger's reader is told.
const RESTORE: &str = "versions are never removed; restore certificates.lock from version control";

#[derive(Debug, Clone, PartialEq)]
pub struct Version {
    pub number: String,
    pub version: u32,
    pub issued: Date,
    pub hash: String,
    pub snapshot: Snapshot,
    /// The line of `certificates.lock` it was read from; 0 when issued by this run and not
    /// yet saved.
    pub line: usize,
}

/// Every issued version, by certificate number, oldest first.
#[derive(Debug, Default, Clone)]
pub struct Ledger {
    pub certificates: BTreeMap<String, Vec<Version>>,
    /// How many lines the file it was read from has (0: there was no file), so a problem
    /// with a certificate that has no line left can still point into the file.
    pub lines: usize,
    /// The parties and products its versions name, each held once.
    pub shared: crate::certificate::Shared,
}

/// What `issue` did to one certificate.
#[derive(Debug, PartialEq, Eq)]
pub struct Issued {
    pub number: String,
    pub version: u32,
}

/// The largest ledger read (it holds every version's content, for its page).
pub const MAX_BYTES: u64 = 1 << 30;

/// `sha256:<hex>` of a ledger line (without its line break): what the next version of the
/// same certificate names as `prev:`.
fn line_hash(line: &str) -> String {
    line_hash_digest(line).to_string()
}

fn line_hash_digest(line: &str) -> Digest {
    Digest::of(line.as_bytes())
}

/// A version that is not the one after its certificate's last (SPEC §7: versions are
/// numbered from 1, in order).
fn out_of_order(line_no: usize, number: &str, version: u32, expected: u32) -> Diagnostic {
    bad_ledger(
        line_no,
        1,
        format!("{number} v{version} is out of order: expected v{expected}"),
    )
}

fn bad_ledger(line: usize, column: usize, message: String) -> Diagnostic {
    Diagnostic::error("bad-ledger", FILE, message)
        .at(line, column)
        .with_help(RESTORE)
}

impl Ledger {
    /// Reads `certificates.lock` under `root`; no file is an empty ledger.
    pub fn load(root: &Path) -> Result<Ledger, Diagnostic> {
        let path = root.join(FILE);
        if !path.exists() {
            return Ok(Ledger::default());
        }
        // About 1.3 KB per certificate version: room for a few hundred thousand.
        let text = crate::source::read_text_capped(root, &path, MAX_BYTES, "the ledger")?;
        Ledger::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Ledger, Diagnostic> {
        let mut ledger = Ledger::default();
        // Each certificate's latest line so far, for the chain: hashed only when a later
        // version names it, so a ledger of first versions costs no extra hashing.
        let mut last_line: HashMap<String, (&str, usize)> = HashMap::new();
        for (i, line) in text.lines().enumerate() {
            let line_no = i + 1;
            ledger.lines = line_no;
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let (mut v, prev) = parse_line(line).map_err(|(column, m)| {
                Diagnostic::error("bad-ledger", FILE, m)
                    .at(line_no, column)
                    .with_help("the ledger is written by `certpress issue`; restore it from version control")
            })?;
            v.line = line_no;
            ledger.shared.share(&mut v.snapshot);
            // Most certificates have one version: room for one, not the four a first
            // push makes room for.
            let versions = ledger
                .certificates
                .entry(v.number.clone())
                .or_insert_with(|| Vec::with_capacity(1));
            let expected = versions.last().map_or(1, |l| l.version + 1);
            if v.version != expected {
                return Err(out_of_order(line_no, &v.number, v.version, expected));
            }
            match (last_line.get(&v.number), prev) {
                (None, None) => {}
                (None, Some(p)) => {
                    return Err(bad_ledger(
                        line_no,
                        p.column,
                        format!(
                            "{} v1 names a previous version, but v1 is the first",
                            v.number
                        ),
                    ));
                }
                (Some(_), None) => {
                    return Err(bad_ledger(
                        line_no,
                        prev_column(line),
                        format!(
                            "{} v{} does not name the version before it: `prev:sha256:…`, the hash of the v{} line, is missing",
                            v.number,
                            v.version,
                            v.version - 1
                        ),
                    ));
                }
                (Some((before, before_no)), Some(p)) => {
                    if p.hash != line_hash(before) {
                        return Err(bad_ledger(
                            line_no,
                            p.column,
                            format!(
                                "{} v{} does not follow the v{} on line {before_no}: its `prev:` hash names another line, so a version was removed, renumbered or edited",
                                v.number,
                                v.version,
                                v.version - 1
                            ),
                        ));
                    }
                }
            }
            last_line.insert(v.number.clone(), (line, line_no));
            versions.push(v);
        }
        Ok(ledger)
    }

    pub fn latest(&self, number: &str) -> Option<&Version> {
        self.certificates.get(number).and_then(|v| v.last())
    }

    /// Records a new version of every snapshot whose content differs from its latest
    /// issued version, dated `as_of`.
    pub fn issue(&mut self, snapshots: &[Snapshot], as_of: Date) -> Vec<Issued> {
        let mut issued = Vec::new();
        for s in snapshots {
            let hash = s.hash();
            let versions = self.certificates.entry(s.number.clone()).or_default();
            if versions.last().is_some_and(|v| v.hash == hash) {
                continue;
            }
            let version = versions.len() as u32 + 1;
            let mut snapshot = s.clone();
            self.shared.share(&mut snapshot);
            versions.push(Version {
                number: s.number.clone(),
                version,
                issued: as_of,
                hash,
                snapshot,
                line: 0,
            });
            issued.push(Issued {
                number: s.number.clone(),
                version,
            });
        }
        issued
    }

    pub fn to_text(&self) -> String {
        let mut out = String::from(HEADER);
        for versions in self.certificates.values() {
            let mut prev: Option<String> = None;
            for (i, v) in versions.iter().enumerate() {
                let mut line = format!(
                    "{} v{} {} {} ",
                    v.number,
                    v.version,
                    crate::date::iso(v.issued),
                    v.hash
                );
                if let Some(p) = &prev {
                    line.push_str("prev:");
                    line.push_str(p);
                    line.push(' ');
                }
                line.push_str(&v.snapshot.canonical_json());
                // Only a line with a later version is named by one.
                prev = (i + 1 < versions.len()).then(|| line_hash(&line));
                out.push_str(&line);
                out.push('\n');
            }
        }
        out
    }

    /// Writes the ledger to a temporary file of its own beside it, flushed to disk, and
    /// renames it over the old one: whenever the process is killed or the machine stops,
    /// `certificates.lock` is the old ledger or the new one, never part of either. Call it
    /// holding [`SiteLock`], which also clears the temporary files of killed runs.
    pub fn save(&self, root: &Path) -> io::Result<()> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        // Unique per process and call, and created exclusively: no other writer's file
        // is ever truncated or renamed by this one.
        let tmp = root.join(format!(
            ".{FILE}.{}-{}.tmp",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let written = (|| {
            let mut file = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)?;
            file.write_all(self.to_text().as_bytes())?;
            // The bytes are on disk before the name points at them.
            file.sync_all()?;
            drop(file);
            fs::rename(&tmp, root.join(FILE))
        })();
        match written {
            Ok(()) => {
                // Makes the rename itself durable. Some file systems cannot sync a folder;
                // the ledger is written either way, so that is not an error.
                sync_dir(root);
                Ok(())
            }
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                Err(e)
            }
        }
    }
}

/// Takes the line break off a line read with `read_until(b'\n')`, as `str::lines` splits:
/// at `\n`, and a `\r` before it is not the line's.
fn trim_line_end(bytes: &mut Vec<u8>) {
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
    }
}

/// Reads back from `certificates.lock` under `root` only the versions of `numbers` (those
/// `index` holds; others are skipped), at the offsets `index` was read with: a build that
/// renders a huge site in batches holds one batch's content at a time, not the whole
/// ledger's (over 4 GB at a million products). The result is what [`Ledger::parse`] of the
/// file holds for those certificates, and `lines` is the whole file's. Lines are read in
/// file order, so versions written near each other are read together. The index checked
/// every line; one that no longer parses, or holds another version than the index says,
/// was changed since, and is an error rather than a page of content nobody checked. No
/// file is an empty ledger.
pub fn read_versions<'a>(
    root: &Path,
    index: &Index,
    numbers: impl IntoIterator<Item = &'a str>,
) -> Result<Ledger, Diagnostic> {
    use std::io::{BufRead as _, BufReader};
    let path = root.join(FILE);
    if !path.exists() {
        return Ok(Ledger::default());
    }
    let mut wanted: Vec<(&str, u32, &Entry)> = Vec::new();
    for number in numbers {
        for (i, e) in index.versions(number).enumerate() {
            wanted.push((number, i as u32 + 1, e));
        }
    }
    // In file order, each line once (a number may be given twice).
    wanted.sort_by_key(|(_, _, e)| e.at);
    wanted.dedup_by_key(|(_, _, e)| e.at);
    let mut ledger = Ledger {
        lines: index.lines,
        ..Ledger::default()
    };
    if wanted.is_empty() {
        return Ok(ledger);
    }
    let file = crate::source::open(root, &path)?;
    let rel = crate::source::relative(root, &path);
    let unreadable =
        |e: io::Error| Diagnostic::error("unreadable-file", &rel, format!("cannot read: {e}"));
    // Enough for a few lines: most batches read versions far apart.
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let mut pos: u64 = 0;
    let mut bytes = Vec::new();
    for (number, version, entry) in wanted {
        let changed = || {
            bad_ledger(
                entry.line,
                1,
                format!(
                    "{number} v{version} changed while it was being read: run the command again"
                ),
            )
        };
        // Forward within the buffer when the line is near the one before.
        reader
            .seek_relative(entry.at as i64 - pos as i64)
            .map_err(unreadable)?;
        bytes.clear();
        let n = reader.read_until(b'\n', &mut bytes).map_err(unreadable)?;
        pos = entry.at + n as u64;
        trim_line_end(&mut bytes);
        let line = std::str::from_utf8(&bytes).map_err(|_| changed())?;
        let (mut v, _) = parse_line(line).map_err(|_| changed())?;
        if v.number != number
            || v.version != version
            || v.issued != entry.issued
            || Digest::parse(&v.hash) != Some(entry.hash)
        {
            return Err(changed());
        }
        v.line = entry.line;
        ledger.shared.share(&mut v.snapshot);
        ledger
            .certificates
            .entry(v.number.clone())
            .or_insert_with(|| Vec::with_capacity(1))
            .push(v);
    }
    // File order is version order in any ledger the index read; this only makes it so.
    for versions in ledger.certificates.values_mut() {
        versions.sort_by_key(|v| v.version);
    }
    Ok(ledger)
}

#[cfg(unix)]
fn sync_dir(dir: &Path) {
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(not(unix))]
fn sync_dir(_: &Path) {}

/// `issue`'s hold on a site, from loading the ledger to saving it: concurrent runs take
/// turns, so each reads the ledger the one before it wrote and issues only what is still
/// new, instead of all reading the same ledger and overwriting each other. Released when
/// dropped, or by the system when the process dies (even by `kill -9`).
#[derive(Debug)]
pub struct SiteLock {
    _file: fs::File,
}

impl SiteLock {
    /// Waits for the lock on the site at `root`, calling `waiting` first if another run
    /// holds it.
    pub fn acquire(root: &Path, waiting: impl FnOnce()) -> io::Result<SiteLock> {
        let file = lock_file(root)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                waiting();
                file.lock()?;
            }
            Err(fs::TryLockError::Error(e)) => return Err(e),
        }
        // Temporary ledgers left by runs that were killed before renaming theirs: no run
        // is writing one now, since writers hold this lock.
        if let Ok(entries) = fs::read_dir(root) {
            for e in entries.flatten() {
                let name = e.file_name();
                let name = name.to_string_lossy();
                if name.starts_with(&format!(".{FILE}."))
                    && name.ends_with(".tmp")
                    && e.file_type().is_ok_and(|t| t.is_file())
                {
                    let _ = fs::remove_file(e.path());
                }
            }
        }
        Ok(SiteLock { _file: file })
    }
}

/// What is locked. Not the ledger: it is replaced by a rename, and a lock on the old file
/// would not stop a run that opens the new one. Not a lock file of our own either, which
/// would be one more file in every site. The site folder itself is never replaced, and a
/// lock on a folder (`flock`) is only advisory: editors and version control never notice.
#[cfg(unix)]
fn lock_file(root: &Path) -> io::Result<fs::File> {
    fs::File::open(root)
}

/// Windows cannot open a folder as a file; site.toml is always there (it is what makes a
/// folder a site), and opening it read-only changes nothing.
#[cfg(not(unix))]
fn lock_file(root: &Path) -> io::Result<fs::File> {
    fs::File::open(root.join(crate::config::FILE))
}

/// The `prev:` field of a version line.
struct Prev<'a> {
    hash: &'a str,
    column: usize,
}

/// Where the `prev:` field is, or would be: after the content hash.
fn prev_column(line: &str) -> usize {
    line.splitn(5, ' ')
        .take(4)
        .map(|f| f.chars().count() + 1)
        .sum::<usize>()
        + 1
}

/// One line; errors carry the 1-based column they concern.
fn parse_line(line: &str) -> Result<(Version, Option<Prev<'_>>), (usize, String)> {
    let mut fields = line.splitn(5, ' ');
    let mut next = |what: &str, column: usize| {
        fields
            .next()
            .filter(|f| !f.is_empty())
            .ok_or((column, format!("missing {what}")))
    };
    let number = next("certificate number", 1)?.to_string();
    let col_version = number.chars().count() + 2;
    let version = next("version", col_version)?;
    let version: u32 = version
        .strip_prefix('v')
        .and_then(|n| n.parse().ok())
        .filter(|n| *n >= 1)
        .ok_or((col_version, format!("`{version}` is not a version like v1")))?;
    let col_date = col_version + format!("v{version}").len() + 1;
    let date = next("issue date", col_date)?;
    let issued = crate::date::RecordDate::parse_day(date).map_err(|e| (col_date, e.to_string()))?;
    let col_hash = col_date + date.chars().count() + 1;
    let hash = next("content hash", col_hash)?.to_string();
    let mut col_json = col_hash + hash.chars().count() + 1;
    let mut json = next("content", col_json)?;
    // From v2 on: `prev:sha256:<hex>` before the content (which starts with `{`).
    let mut prev = None;
    if let Some(rest) = json.strip_prefix("prev:") {
        let (field, after) = rest.split_once(' ').ok_or((
            col_json,
            "missing content after the `prev:` hash".to_string(),
        ))?;
        let well_formed = field.strip_prefix("sha256:").is_some_and(|hex| {
            hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        });
        if !well_formed {
            return Err((
                col_json,
                format!("`prev:{field}` is not a hash like prev:sha256:<64 hex digits>"),
            ));
        }
        prev = Some(Prev {
            hash: field,
            column: col_json,
        });
        col_json += "prev:".len() + field.len() + 1;
        json = after;
    }
    let snapshot: Snapshot = serde_json::from_str(json).map_err(|e| {
        (
            col_json + e.column().saturating_sub(1),
            format!("content: {e}"),
        )
    })?;
    if snapshot.hash() != hash {
        return Err((
            col_hash,
            format!("{number} v{version}: the content does not match its hash (edited by hand?)"),
        ));
    }
    if snapshot.number != number {
        return Err((
            col_json,
            format!("the content is for {}, not {number}", snapshot.number),
        ));
    }
    Ok((
        Version {
            number,
            version,
            issued,
            hash,
            snapshot,
            line: 0,
        },
        prev,
    ))
}

/// The text of [`MANIFEST`]: every version `ledger` holds (a build publishes a page for
/// each), one line each, sorted: number, version, issue date, content hash.
pub fn manifest(ledger: &Ledger) -> String {
    let mut out = String::from(MANIFEST_HEADER);
    for v in ledger.certificates.values().flatten() {
        manifest_line(&mut out, &v.number, v.version, v.issued, &v.hash);
    }
    out
}

/// [`manifest`] of the ledger `index` was read from (a build in batches holds no more
/// of it): the same text.
pub fn manifest_of(index: &Index) -> String {
    let mut out = String::from(MANIFEST_HEADER);
    for number in index.numbers() {
        for (i, e) in index.versions(number).enumerate() {
            manifest_line(
                &mut out,
                number,
                i as u32 + 1,
                e.issued,
                &e.hash.to_string(),
            );
        }
    }
    out
}

fn manifest_line(out: &mut String, number: &str, version: u32, issued: Date, hash: &str) {
    use std::fmt::Write as _;
    let _ = writeln!(
        out,
        "{number} v{version} {} {hash}",
        crate::date::iso(issued)
    );
}

/// One version a published output holds.
struct Published<'a> {
    number: &'a str,
    version: u32,
    issued: &'a str,
    hash: &'a str,
}

/// Refuses `ledger` when the certpress output at `target` (the folder a build is about to
/// replace, or `issue`'s configured output) publishes a version the ledger lacks or holds
/// differently: versions are never removed, so a ledger like that was truncated or edited,
/// and building from it would take a version off the site, issuing from it would issue it
/// again under a new date. The error is at the ledger's line for that certificate (its
/// last remaining version, or the file's last line when none is left). A folder certpress
/// did not write, or that predates manifests, publishes nothing to check against.
pub fn check_published(ledger: &Index, root: &Path, target: &Path) -> Result<(), Diagnostic> {
    let path = target.join(MANIFEST);
    if !target.join(crate::output::MARKER).is_file() {
        return Ok(());
    }
    let shown = target.strip_prefix(root).map_or_else(
        |_| target.display().to_string(),
        |r| format!("{}/", r.display()),
    );
    let manifest_file = path.display().to_string();
    let damaged = |line: usize, column: usize, message: String| {
        Diagnostic::error("bad-manifest", &manifest_file, message)
            .at(line, column)
            .with_help(format!(
                "{MANIFEST} lists what {shown} publishes, and is written by `certpress build`; \
                 delete {shown} to publish afresh"
            ))
    };
    let text = match read_manifest(&path) {
        Ok(Some(t)) => t,
        Ok(None) => return Ok(()),
        Err(e) => return Err(damaged(0, 0, format!("cannot read it: {e}"))),
    };
    let mut problems: Vec<(&Published, Option<&Entry>)> = Vec::new();
    let mut entries = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        entries.push(parse_published(line).map_err(|(c, m)| damaged(i + 1, c, m))?);
    }
    for p in &entries {
        match ledger.version(p.number, p.version) {
            None => problems.push((p, None)),
            Some(v)
                if Digest::parse(p.hash) != Some(v.hash)
                    || crate::date::iso(v.issued) != p.issued =>
            {
                problems.push((p, Some(v)))
            }
            Some(_) => {}
        }
    }
    let Some((p, held)) = problems.first() else {
        return Ok(());
    };
    let published = match published_at(&path) {
        Some(when) => format!("published in {shown} by the build of {when}"),
        None => format!("published in {shown}"),
    };
    let more = match problems.len() - 1 {
        0 => String::new(),
        1 => " (and 1 more version)".into(),
        n => format!(" (and {n} more versions)"),
    };
    let (line, message) = match held {
        Some(v) => (
            v.line,
            format!(
                "{} v{} is not the version {published} (issued {}, {}): the ledger holds it issued {}, {}{more}",
                p.number,
                p.version,
                p.issued,
                p.hash,
                crate::date::iso(v.issued),
                v.hash
            ),
        ),
        None => {
            let gone = if ledger.lines == 0 {
                "certificates.lock is missing".to_string()
            } else {
                "the ledger no longer holds it".to_string()
            };
            (
                ledger.latest(p.number).map_or(ledger.lines, |v| v.line),
                format!(
                    "{} v{}, issued {} and {published}, is missing: {gone}{more}",
                    p.number, p.version, p.issued
                ),
            )
        }
    };
    Err(Diagnostic::error("ledger-shrunk", FILE, message)
        .at(line, usize::from(line > 0))
        .with_help(format!(
            "{RESTORE}. (If {shown} was built from another site's ledger on purpose, delete it first.)"
        )))
}

/// The manifest's text; `None` when the output has none (built before manifests).
fn read_manifest(path: &Path) -> io::Result<Option<String>> {
    let file = match fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut text = String::new();
    // One short line per version: far below the ledger's own cap.
    file.take(MAX_BYTES).read_to_string(&mut text)?;
    Ok(Some(text))
}

/// When the build that wrote the manifest ran, for the message (it is not in the output,
/// which is the same for the same inputs).
fn published_at(path: &Path) -> Option<String> {
    let modified = fs::metadata(path).ok()?.modified().ok()?;
    let when = time::OffsetDateTime::from(modified);
    when.format(time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute] UTC"
    ))
    .ok()
}

fn parse_published(line: &str) -> Result<Published<'_>, (usize, String)> {
    let fields: Vec<&str> = line.split(' ').collect();
    let column = |i: usize| {
        fields[..i]
            .iter()
            .map(|f| f.chars().count() + 1)
            .sum::<usize>()
            + 1
    };
    let [number, version, issued, hash] = fields[..] else {
        return Err((
            1,
            "expected four fields: number, version, issue date, content hash".into(),
        ));
    };
    let version = version
        .strip_prefix('v')
        .and_then(|n| n.parse::<u32>().ok())
        .filter(|n| *n >= 1)
        .ok_or((column(1), format!("`{version}` is not a version like v1")))?;
    if number.is_empty() {
        return Err((1, "missing certificate number".into()));
    }
    Ok(Published {
        number,
        version,
        issued,
        hash,
    })
}

/// Where a certificate stands against the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Standing {
    /// Ready, and its content is the latest issued version.
    Current,
    /// Ready, but its content changed since the latest issued version.
    Changed,
    /// Ready, never issued.
    Unissued,
    /// A requirement is open: not valid, whatever was issued before.
    Blocked,
    /// The product is withdrawn.
    Withdrawn,
    /// In the ledger, but the product no longer has this certificate.
    Retired,
}

impl Standing {
    /// The latest issued version is in force: the certificate is ready and issued (its
    /// content may have changed since). Blocked, withdrawn, retired and unissued ones
    /// have no version in force, whatever was issued before. Pages, twins, the lookup
    /// and labels ask [`crate::register::Register`], which reads this.
    pub fn in_force(self) -> bool {
        matches!(self, Standing::Current | Standing::Changed)
    }
}

/// The site's certificates against the ledger.
#[derive(Debug, Default)]
pub struct Review {
    /// The content of every ready certificate of an active product.
    pub ready: Vec<Snapshot>,
    /// Every certificate number assessed now or in the ledger.
    pub standing: BTreeMap<String, Standing>,
    /// `serve` only ([`Review::preview`]): each ready certificate never issued, as its
    /// first version would be if issued as of today. Shown marked "not issued —
    /// preview", never as valid; `build` leaves this empty.
    pub previews: BTreeMap<String, Version>,
    /// Each product's certificate numbers assessed now, so a review carried over an
    /// edit ([`review_again`]) forgets what a changed product no longer has.
    pub numbers: std::collections::HashMap<String, Vec<String>>,
}

impl Review {
    /// Fills [`Review::previews`]: what `certpress issue` would record on `as_of` for the
    /// ready certificates that were never issued.
    pub fn preview(&mut self, as_of: Date) {
        let mut ledger = Ledger::default();
        let unissued: Vec<Snapshot> = self
            .ready
            .iter()
            .filter(|s| self.standing.get(&s.number) == Some(&Standing::Unissued))
            .cloned()
            .collect();
        ledger.issue(&unissued, as_of);
        self.previews = ledger
            .certificates
            .into_iter()
            .filter_map(|(number, mut versions)| Some((number, versions.pop()?)))
            .collect();
    }
}

pub fn review(
    site: &crate::site::Site,
    assessed: &crate::assess::Assessed,
    ledger: &Ledger,
) -> Review {
    let index = Index::of(ledger, &|id| site.content.product(id).is_some());
    review_again(
        site,
        assessed,
        &index,
        ledger.shared.clone(),
        Keep::All,
        None,
    )
}

/// Which ready certificates a review keeps the content of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Every one: `issue` records the changed and unissued ones and counts them all;
    /// `build` and `serve` keep what they always kept.
    All,
    /// Only those not issued as they stand (changed or unissued), which is all `check`
    /// says anything about: a million products' current certificates are not held.
    NotCurrent,
}

/// [`review`], keeping what `earlier` (a review of the same site against the same
/// ledger, of the products given) found for the products that are the same `Arc` and
/// whose assessments were kept (`serve` rebuilds).
/// `shared`: the parties and products the ledger's versions name (its
/// [`Ledger::shared`]), which ready certificates then share.
pub fn review_again(
    site: &crate::site::Site,
    assessed: &crate::assess::Assessed,
    ledger: &Index,
    mut shared: crate::certificate::Shared,
    keep: Keep,
    earlier: Option<(Review, &[std::sync::Arc<crate::content::Product>])>,
) -> Review {
    use std::sync::Arc;
    let mut out = Review::default();
    // The products to review, and the numbers that may now be only in the ledger.
    let mut redo: Vec<&Arc<crate::content::Product>> = Vec::new();
    let mut dropped: Vec<String> = Vec::new();
    match earlier {
        Some((mut review, products)) => {
            let same: std::collections::HashMap<&str, &Arc<crate::content::Product>> =
                products.iter().map(|p| (p.id.as_str(), p)).collect();
            // The products that are the same `Arc` as before, looked up once each.
            let kept: std::collections::HashSet<&str> = site
                .content
                .products
                .iter()
                .filter(|p| same.get(p.id.as_str()).is_some_and(|q| Arc::ptr_eq(q, p)))
                .map(|p| p.id.as_str())
                .collect();
            // Kept products' ready certificates and standings stay (in no particular
            // order among the new ones: `serve` never issues from this review); those
            // of products that changed or went are forgotten.
            review
                .ready
                .retain(|s| kept.contains(s.product.id.as_str()));
            out.ready = review.ready;
            out.standing = review.standing;
            out.numbers = review.numbers;
            for p in products.iter().filter(|p| !kept.contains(p.id.as_str())) {
                for number in out.numbers.remove(&p.id).unwrap_or_default() {
                    out.standing.remove(&number);
                    dropped.push(number);
                }
            }
            redo.extend(
                site.content
                    .products
                    .iter()
                    .filter(|p| !kept.contains(p.id.as_str())),
            );
        }
        None => {
            redo.extend(&site.content.products);
            dropped.extend(ledger.numbers().map(str::to_string));
        }
    }
    review_products(
        &mut out,
        site,
        assessed,
        redo,
        ledger,
        Some(&mut shared),
        keep,
    );
    // A number the ledger holds that no product is assessed for now is retired.
    for number in dropped {
        if ledger.contains(&number) {
            out.standing.entry(number).or_insert(Standing::Retired);
        }
    }
    // Kept until the output is written: no room left over from growing.
    out.ready.shrink_to_fit();
    out
}

/// [`review`] of the site's products alone, against `ledger` read beforehand: numbers
/// only the ledger holds are not looked for (`check` in batches: a batch's products are
/// reviewed with the batch, and the ledger's numbers once, by [`removed_products`]).
pub fn review_batch(
    site: &crate::site::Site,
    assessed: &crate::assess::Assessed,
    ledger: &Index,
    keep: Keep,
) -> Review {
    let mut out = Review::default();
    // Nothing is shared: what is kept of a batch is dropped with it.
    review_products(
        &mut out,
        site,
        assessed,
        site.content.products.iter(),
        ledger,
        None,
        keep,
    );
    out
}

/// Where the certificates of `products` stand against `ledger`, added to `out`; the
/// snapshots kept point at the parties and products `shared` holds, when given.
fn review_products<'p>(
    out: &mut Review,
    site: &crate::site::Site,
    assessed: &crate::assess::Assessed,
    products: impl IntoIterator<Item = &'p std::sync::Arc<crate::content::Product>>,
    ledger: &Index,
    mut shared: Option<&mut crate::certificate::Shared>,
    keep: Keep,
) {
    for product in products {
        let Some(list) = assessed.by_product.get(&product.id) else {
            continue;
        };
        for a in list {
            let Some(cert) = &a.certificate else { continue };
            let plugin = site.plugins.iter().find(|p| p.id == a.plugin);
            let standing = if product.status == crate::content::Status::Withdrawn {
                Standing::Withdrawn
            } else {
                match plugin.and_then(|p| crate::certificate::snapshot(product, a, p)) {
                    None => Standing::Blocked,
                    Some(mut s) => {
                        if let Some(shared) = shared.as_deref_mut() {
                            shared.share(&mut s);
                        }
                        let standing = match ledger.latest(&s.number) {
                            Some(v) if v.hash == s.digest() => Standing::Current,
                            Some(_) => Standing::Changed,
                            None => Standing::Unissued,
                        };
                        if keep == Keep::All || standing != Standing::Current {
                            out.ready.push(s);
                        }
                        standing
                    }
                }
            };
            out.standing.insert(cert.number.clone(), standing);
            out.numbers
                .entry(product.id.clone())
                .or_default()
                .push(cert.number.clone());
        }
    }
}

/// A warning (an error under `--locked`) for every ready certificate the ledger does not
/// hold as issued, at the product's `id` line.
pub fn diagnostics(site: &crate::site::Site, review: &Review, locked: bool) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for s in &review.ready {
        let message = match review.standing.get(&s.number) {
            Some(Standing::Unissued) => format!(
                "{} {} is ready but not issued: its page is not published until `certpress issue` records it",
                s.title, s.number
            ),
            Some(Standing::Changed) => format!(
                "{} {} changed since its last issued version: the site shows that version until `certpress issue` records the new one",
                s.title, s.number
            ),
            _ => continue,
        };
        let Some(product) = site.content.product(&s.product.id) else {
            continue;
        };
        let (line, column) = product.id_at;
        let d = if locked {
            Diagnostic::error("unissued", &product.file, message)
        } else {
            Diagnostic::warning("unissued", &product.file, message)
        };
        out.push(
            d.at(line, column).with_help(
                "run `certpress issue` to record ready certificates in certificates.lock",
            ),
        );
    }
    out
}

/// `check`: a warning for every certificate in the ledger whose product has no record
/// any more. (While product or party records have errors, a product that failed to load
/// is not one that was removed: nothing is said then.)
///
/// `ledger` says which products it names the site has no record of (made with the
/// site's products, [`Index::of`] and [`Index::load`]).
pub fn removed_products(ledger: &Index, records_have_errors: bool) -> Vec<Diagnostic> {
    if records_have_errors {
        return Vec::new();
    }
    ledger
        .removed()
        .map(|(number, removed)| {
            Diagnostic::warning(
                "removed-product",
                FILE,
                format!(
                    "{} {number} was issued for `{}` ({}), whose product record was removed from content/products/: its pages stay published, marked not in force",
                    removed.title, removed.id, removed.name
                ),
            )
            .with_help(format!(
                "if the product is no longer sold, restore its record with `status: withdrawn` to keep its page; issued versions stay in {FILE} either way"
            ))
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::certificate::{PartySnap, ProductId};

    /// A certificate's content with what tests vary: its number and the product's model.
    pub(crate) fn snapshot(number: &str, model: &str) -> Snapshot {
        let party = PartySnap {
            name: "P".into(),
            address: vec![],
            country: None,
            email: None,
            phone: None,
            accreditations: vec![],
        };
        Snapshot {
            number: number.into(),
            kind: "us-cpc".into(),
            title: "Children's Product Certificate".into(),
            plugin: "us-cpsc".into(),
            market: "US".into(),
            template: "certificate.html".into(),
            product: std::sync::Arc::new(ProductId {
                id: "x".into(),
                name: "X".into(),
                brand: None,
                model: model.into(),
                gtin: None,
                sku: None,
                description: None,
                image: None,
            }),
            rules: vec![],
            standards: vec![],
            certifier_role: "importer".into(),
            certifier: party.clone().into(),
            manufacturer: party.into(),
            records_custodian: None,
            lots: vec![],
            tests: vec![],
        }
    }

    fn day(s: &str) -> Date {
        crate::date::RecordDate::parse_day(s).unwrap()
    }

    #[test]
    fn a_snapshot_is_hashed_as_the_ledger_writes_it() {
        let s = snapshot("LO-X-US-CPC", "M-1 \u{e9}\u{9b}\"q\"");
        assert_eq!(s.digest(), Digest::of(s.canonical_json().as_bytes()));
    }

    #[test]
    fn issues_a_version_only_when_content_changes_and_round_trips() {
        let mut l = Ledger::default();
        let a = snapshot("A-1", "M1");
        assert_eq!(
            l.issue(std::slice::from_ref(&a), day("2026-01-01")).len(),
            1
        );
        assert!(
            l.issue(std::slice::from_ref(&a), day("2026-02-01"))
                .is_empty()
        );
        let changed = snapshot("A-1", "M2");
        let issued = l.issue(&[changed, snapshot("B-1", "M")], day("2026-03-01"));
        assert_eq!(
            issued,
            [
                Issued {
                    number: "A-1".into(),
                    version: 2
                },
                Issued {
                    number: "B-1".into(),
                    version: 1
                }
            ]
        );
        let text = l.to_text();
        let back = Ledger::parse(&text).unwrap();
        assert_eq!(back.to_text(), text);
        assert_eq!(back.latest("A-1").unwrap().version, 2);
        assert_eq!(back.certificates["A-1"][0].snapshot.product.model, "M1");
        assert_eq!(back.certificates["A-1"][0].issued, day("2026-01-01"));
    }

    #[test]
    fn a_hand_edited_line_is_an_error_at_its_line_and_column() {
        let mut l = Ledger::default();
        l.issue(&[snapshot("A-1", "M1")], day("2026-01-01"));
        let text = l.to_text().replace("\"M1\"", "\"M9\"");
        let e = Ledger::parse(&text).unwrap_err();
        assert_eq!(e.line, 3);
        assert!(
            e.message.contains("does not match its hash"),
            "{}",
            e.message
        );
        let e = Ledger::parse("A-1 v2 2026-01-01 sha256:x {}\n").unwrap_err();
        assert!(e.message.contains("content"), "{}", e.message);
        let e = Ledger::parse("A-1 version 2026-01-01 h {}\n").unwrap_err();
        assert_eq!((e.line, e.column), (1, 5));
    }

    /// A-1 v1..v3 and B-1 v1, as written.
    pub(crate) fn three_versions() -> String {
        let mut l = Ledger::default();
        l.issue(
            &[snapshot("A-1", "M1"), snapshot("B-1", "M")],
            day("2026-01-01"),
        );
        l.issue(&[snapshot("A-1", "M2")], day("2026-02-01"));
        l.issue(&[snapshot("A-1", "M3")], day("2026-03-01"));
        l.to_text()
    }

    fn line_of(text: &str, start: &str) -> usize {
        text.lines().position(|l| l.starts_with(start)).unwrap() + 1
    }

    #[test]
    fn each_later_version_names_the_line_before_it() {
        let text = three_versions();
        let lines: Vec<&str> = text.lines().collect();
        let v1 = lines[line_of(&text, "A-1 v1 ") - 1];
        let v2 = lines[line_of(&text, "A-1 v2 ") - 1];
        assert!(!v1.contains("prev:") && !lines[line_of(&text, "B-1 v1 ") - 1].contains("prev:"));
        assert!(v2.contains(&format!(" prev:{} {{", line_hash(v1))), "{v2}");
        let back = Ledger::parse(&text).unwrap();
        assert_eq!(back.to_text(), text);
        assert_eq!(back.certificates["A-1"][2].line, line_of(&text, "A-1 v3 "));
        assert_eq!(back.lines, text.lines().count());
    }

    #[test]
    fn a_removed_renumbered_or_redated_version_breaks_the_chain_at_the_next_line() {
        let text = three_versions();
        let v3 = line_of(&text, "A-1 v3 ");
        // v2 removed and v3 renumbered to v2: the numbering is whole, the chain is not.
        let renumbered: String = text
            .lines()
            .filter(|l| !l.starts_with("A-1 v2 "))
            .map(|l| format!("{}\n", l.replacen("A-1 v3 ", "A-1 v2 ", 1)))
            .collect();
        let e = Ledger::parse(&renumbered).unwrap_err();
        assert_eq!((e.code, e.line), ("bad-ledger", v3 - 1));
        assert!(e.message.contains("removed"), "{}", e.message);
        assert!(e.help.unwrap().contains("never removed"));
        // v1 re-dated: its content hash still matches, but v2 names the line as issued.
        let redated = text.replacen("A-1 v1 2026-01-01", "A-1 v1 2025-12-01", 1);
        let e = Ledger::parse(&redated).unwrap_err();
        assert_eq!(e.line, line_of(&text, "A-1 v2 "));
        let column = text.lines().nth(e.line - 1).unwrap().find("prev:").unwrap() + 1;
        assert_eq!(e.column, column);
        // A later version without its prev field, and a first version with one.
        let v2_line = text.lines().nth(line_of(&text, "A-1 v2 ") - 1).unwrap();
        let prev = &v2_line[v2_line.find("prev:").unwrap()..v2_line.find(" {").unwrap() + 1];
        let e = Ledger::parse(&text.replacen(prev, "", 1)).unwrap_err();
        assert_eq!((e.line, e.column), (line_of(&text, "A-1 v2 "), column));
        assert!(e.message.contains("does not name"), "{}", e.message);
        let b1 = text.lines().nth(line_of(&text, "B-1 v1 ") - 1).unwrap();
        let hash_end = b1.find(" {").unwrap();
        let with_prev = format!("{}{}{}", &b1[..hash_end + 1], prev, &b1[hash_end + 1..]);
        let e = Ledger::parse(&text.replacen(b1, &with_prev, 1)).unwrap_err();
        assert!(e.message.contains("v1 is the first"), "{}", e.message);
        // A malformed prev field.
        let e = Ledger::parse(&text.replacen("prev:sha256:", "prev:sha1:", 1)).unwrap_err();
        assert!(e.message.contains("is not a hash"), "{}", e.message);
    }

    #[test]
    fn an_output_that_publishes_a_version_the_ledger_lacks_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let target = root.join("public");
        let text = three_versions();
        let full = Ledger::parse(&text).unwrap();
        // Not certpress output, or output without a manifest: nothing to check against.
        std::fs::create_dir(&target).unwrap();
        assert!(check_published(&Index::of(&Ledger::default(), &|_| true), root, &target).is_ok());
        std::fs::write(target.join(crate::output::MARKER), "").unwrap();
        assert!(check_published(&Index::of(&Ledger::default(), &|_| true), root, &target).is_ok());
        std::fs::write(target.join(MANIFEST), manifest(&full)).unwrap();
        assert!(check_published(&Index::of(&full, &|_| true), root, &target).is_ok());

        // The last version of A-1 removed: at the line of the version left.
        let v3 = line_of(&text, "A-1 v3 ");
        let lines: Vec<&str> = text.lines().collect();
        let without = |n: usize| {
            lines
                .iter()
                .enumerate()
                .filter(|(i, _)| *i + 1 != n)
                .map(|(_, l)| format!("{l}\n"))
                .collect::<String>()
        };
        let shrunk = Ledger::parse(&without(v3)).unwrap();
        let e = check_published(&Index::of(&shrunk, &|_| true), root, &target).unwrap_err();
        assert_eq!((e.code, e.file.as_str()), ("ledger-shrunk", FILE));
        assert_eq!((e.line, e.column), (line_of(&text, "A-1 v2 "), 1));
        assert!(
            e.message
                .contains("A-1 v3, issued 2026-03-01 and published in public/"),
            "{}",
            e.message
        );
        // B-1 gone entirely: at the last line.
        let b1 = line_of(&text, "B-1 v1 ");
        let gone = Ledger::parse(&without(b1)).unwrap();
        let e = check_published(&Index::of(&gone, &|_| true), root, &target).unwrap_err();
        assert_eq!(e.line, gone.lines);
        assert!(e.message.contains("B-1 v1"), "{}", e.message);
        // No ledger at all.
        let e =
            check_published(&Index::of(&Ledger::default(), &|_| true), root, &target).unwrap_err();
        assert!(e.message.contains("(and 3 more versions)"), "{}", e.message);
        assert!(
            e.message.contains("certificates.lock is missing"),
            "{}",
            e.message
        );
        // A version held differently (issued again under another date).
        let mut redated = full.clone();
        redated.certificates.get_mut("B-1").unwrap()[0].issued = day("2026-05-01");
        let e = check_published(&Index::of(&redated, &|_| true), root, &target).unwrap_err();
        assert!(
            e.message.contains("is not the version published"),
            "{}",
            e.message
        );
        // A damaged manifest is an error at its line and column.
        std::fs::write(target.join(MANIFEST), "# x\nA-1 vX 2026-01-01 sha256:00\n").unwrap();
        let e = check_published(&Index::of(&full, &|_| true), root, &target).unwrap_err();
        assert_eq!((e.code, e.line, e.column), ("bad-manifest", 2, 5));
    }

    #[test]
    fn save_leaves_no_temporary_file_and_the_lock_clears_stale_ones() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join(format!(".{FILE}.999-0.tmp")), "half a ledg").unwrap();
        let lock = SiteLock::acquire(root, || panic!("nobody else holds it")).unwrap();
        let ledger = Ledger::parse(&three_versions()).unwrap();
        ledger.save(root).unwrap();
        drop(lock);
        let names: Vec<String> = std::fs::read_dir(root)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, [FILE]);
        assert_eq!(
            std::fs::read_to_string(root.join(FILE)).unwrap(),
            three_versions()
        );
    }
}
