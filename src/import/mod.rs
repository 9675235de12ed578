//! `certpress import FILE... [--mapping FILE] [--dry-run]` (issue 16, SPEC §9): sheets of
//! products, lots, test reports and parties, laid out as `export csv` writes them
//! ([`crate::sheet::layout`]), become edits of the records' YAML text
//! ([`crate::content::edit`]), so comments, key order and every field a sheet does not
//! name are kept. Every cell is checked against its field, then the site as it would be
//! after the import is loaded from memory ([`crate::content::Overlay`]) and assessed;
//! nothing is written unless all of it is valid.

pub mod kind;
pub mod mapping;
pub mod row;
pub mod wide;

use crate::content::edit::{Edit, Op, Value};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::pipeline::Pipeline;
use crate::report;
use crate::sheet::layout::{self, Column, Field, Type};
use crate::sheet::read::{Cell, Row, Table};
use crate::site::{Overrides, Site};
use kind::{Found, Kind};
use mapping::Mapping;
use rayon::prelude::*;
use row::{Change, Known};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// What the command line asks.
pub struct Options {
    pub files: Vec<PathBuf>,
    pub mapping: Option<PathBuf>,
    pub dry_run: bool,
    pub as_of: Option<time::Date>,
}

/// One record file the import edits or creates.
struct Target {
    id: String,
    /// The text on disk; `None` for a new record.
    original: Option<String>,
    edit: Edit,
    /// The rows that edit it (`products.csv row 3`), named in its errors.
    rows: BTreeSet<String>,
    /// Where each value the edit writes comes from, by its key path in the record (a list
    /// item by its id: `["evidence", "R-1", "result"]`; the row's id cell at the record's
    /// or item's own path), so a problem the check finds in the record is reported at
    /// its cell.
    origins: Vec<(Vec<String>, Origin)>,
}

/// A cell of a sheet, as a diagnostic names it.
#[derive(Clone)]
struct Origin {
    /// The sheet's file, as the diagnostic's file.
    file: String,
    /// `sheet Products, row 12, column C (gtin)`.
    place: String,
}

/// The lists whose items a record path names by their id field.
const ENTRY_IDS: &[(&str, &str)] = &[("lots", "lot"), ("evidence", "report")];

/// A column of a table resolved to its field: where its cells are (or the mapping file's
/// fixed text), and how the loaded record shows the field.
struct Col<R> {
    at: Source,
    /// The field's key path (`attributes.painted`).
    key: String,
    /// The name within a family (`painted`), empty for a single column.
    name: String,
    ty: Type,
    get: Get<R>,
}

enum Source {
    Cell(usize),
    Fixed(String),
}

enum Get<R> {
    One(fn(&R) -> String),
    Each(fn(&R, &str) -> String),
}

impl<R> Col<R> {
    fn now(&self, record: &R) -> String {
        match self.get {
            Get::One(get) => get(record),
            Get::Each(get) => get(record, &self.name),
        }
    }
}

/// The column of `columns` a key path names, if any (the key compared without case).
fn resolve<R>(columns: &[Column<R>], key: &str, at: Source) -> Option<Col<R>> {
    // ASCII case only: the name is cut from `key` at the same byte offset.
    let lower = key.to_ascii_lowercase();
    for c in columns {
        match &c.field {
            Field::One(get) if lower == c.key => {
                return Some(Col {
                    at,
                    key: c.key.to_string(),
                    name: String::new(),
                    ty: c.ty,
                    get: Get::One(*get),
                });
            }
            Field::Each { get, .. } => {
                if let Some(name) = lower
                    .strip_prefix(c.key)
                    .and_then(|r| r.strip_prefix('.'))
                    .filter(|n| !n.is_empty())
                {
                    // The name as written: attributes and market codes keep their case.
                    let name = &key[key.len() - name.len()..];
                    return Some(Col {
                        at,
                        key: format!("{}.{name}", c.key),
                        name: name.to_string(),
                        ty: c.ty,
                        get: Get::Each(*get),
                    });
                }
            }
            _ => {}
        }
    }
    None
}

/// Everything the import found: the edits per record file, and every problem.
struct Plan<'s> {
    root: &'s Path,
    site: &'s Site,
    mapping: &'s Mapping,
    new_parties: BTreeSet<String>,
    /// By the record's path relative to the root.
    targets: BTreeMap<String, Target>,
    /// (kind, id) → the record's path, for the records this import creates.
    created: HashMap<(Kind, String), String>,
    /// The rows seen, by kind and key, to report a duplicate with the first.
    seen: HashMap<(Kind, String), String>,
    /// Rows per kind: created, updated, unchanged.
    counts: BTreeMap<Kind, [usize; 3]>,
    diags: Vec<Diagnostic>,
    /// The rows with a problem of their own (`row_name`): the records they edit are left
    /// out of the check of the site as it would be, so what the check finds elsewhere is
    /// reported in the same run, not after these are mended.
    bad_rows: std::collections::HashSet<String>,
}

/// `products.csv row 3` / `records.xlsx sheet Lots row 3`, as errors in records name rows.
fn row_name(table: &Table, row: &Row) -> String {
    let file = table
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match &table.sheet {
        Some(s) => format!("{file} sheet {s} row {}", row.number),
        None => format!("{file} row {}", row.number),
    }
}

impl<'s> Plan<'s> {
    /// A problem with a row's cells.
    fn row_error(&mut self, table: &Table, row: &Row, d: Diagnostic) {
        self.bad_rows.insert(row_name(table, row));
        self.diags.push(d);
    }

    /// A problem with the cell of a row in `column`.
    fn error_at(
        &mut self,
        table: &Table,
        row: &Row,
        column: usize,
        code: &'static str,
        message: String,
    ) {
        let cell = Cell {
            row: row.number,
            column,
        };
        self.row_error(table, row, table.error(code, cell, message));
    }

    /// A problem with the value a column gives a row (its cell, or the mapping file's).
    fn cell_error<R>(&mut self, table: &Table, row: &Row, col: &Col<R>, message: String) {
        let o = Self::origin(table, row, col);
        let d = Diagnostic::error("bad-cell", o.file, format!("{}: {message}", o.place));
        self.row_error(table, row, d);
    }

    /// Where a column's value in a row comes from: its cell, or the mapping file.
    fn origin<R>(table: &Table, row: &Row, col: &Col<R>) -> Origin {
        let file = table.file.to_string_lossy().replace('\\', "/");
        let place = match &col.at {
            Source::Cell(i) => table.place(Cell {
                row: row.number,
                column: *i,
            }),
            Source::Fixed(_) => format!(
                "{}row {}, `{}` fixed by the mapping file",
                table
                    .sheet
                    .as_ref()
                    .map(|s| format!("sheet {s}, "))
                    .unwrap_or_default(),
                row.number,
                col.key
            ),
        };
        Origin { file, place }
    }

    fn text<R>(table: &Table, row: &Row, col: &Col<R>) -> String {
        match &col.at {
            Source::Cell(i) => {
                let t = row.cells.get(*i).map(String::as_str).unwrap_or("");
                // Only CSV cells were neutralised by the export (SPEC §13).
                if table.sheet.is_none() {
                    crate::sheet::csv::restore(t).into_owned()
                } else {
                    t.to_string()
                }
            }
            Source::Fixed(t) => t.clone(),
        }
    }

    /// The columns of `table` for a kind laid out by `columns`: the headers (through the
    /// mapping), then the fixed values of the mapping the sheet has no column for. An
    /// unknown header is an error with the nearest known one.
    fn columns<R>(&mut self, table: &Table, kind: Kind, columns: &[Column<R>]) -> Vec<Col<R>> {
        let known = layout::grid(self.site, columns, std::iter::empty::<&R>()).header;
        let mut out: Vec<Col<R>> = Vec::new();
        for (i, header) in table.header.iter().enumerate() {
            if header.trim().is_empty() {
                continue;
            }
            let key = self.mapping.column(header);
            match resolve(columns, key, Source::Cell(i)) {
                Some(c) if out.iter().any(|o| o.key == c.key) => {
                    self.diags.push(table.error(
                        "bad-header",
                        Cell {
                            row: header_row(table),
                            column: i,
                        },
                        format!("`{}` is a second column for `{}`", header.trim(), c.key),
                    ));
                }
                Some(c) => out.push(c),
                None => {
                    let mut m = format!("unknown column `{}` for {}", header.trim(), kind.name());
                    if let Some(s) = crate::suggest::closest(key, known.iter()) {
                        m.push_str(&format!(" (did you mean `{s}`?)"));
                    }
                    self.diags.push(
                        table
                            .error("bad-header", Cell { row: header_row(table), column: i }, m)
                            .with_help(format!(
                                "headers are the records' key paths, as `export csv` writes them: {}",
                                crate::suggest::quoted(&known)
                            )),
                    );
                }
            }
        }
        for (for_kind, key, value) in &self.mapping.fixed {
            if for_kind.is_some_and(|k| k != kind) {
                continue;
            }
            match resolve(columns, key, Source::Fixed(value.clone())) {
                Some(c) if out.iter().any(|o| o.key == c.key) => {}
                Some(c) => out.push(c),
                // Reported where the mapping file is read (`mapping::parse`).
                None => {}
            }
        }
        out
    }

    /// Whether the (kind, key) row was seen; reports a duplicate.
    fn first(
        &mut self,
        table: &Table,
        row: &Row,
        at: usize,
        kind: Kind,
        key: String,
        what: &str,
    ) -> bool {
        let here = row_name(table, row);
        if let Some(first) = self.seen.get(&(kind, key.clone())) {
            let first = first.clone();
            self.error_at(
                table,
                row,
                at,
                "duplicate-row",
                format!("{what} is also in {first}"),
            );
            return false;
        }
        self.seen.insert((kind, key), here);
        true
    }

    /// The changes a row makes to the fields of `cols` (all but `ids`), against the
    /// record as loaded (`None`: a new record or entry).
    fn changes<R>(
        &mut self,
        table: &Table,
        row: &Row,
        cols: &[Col<R>],
        ids: &[&str],
        record: Option<&R>,
    ) -> Vec<(String, Change, Origin)> {
        let mut out = Vec::new();
        for c in cols.iter().filter(|c| !ids.contains(&c.key.as_str())) {
            let text = Self::text(table, row, c);
            let now = record.map(|r| c.now(r));
            let known = Known {
                site: self.site,
                new_parties: &self.new_parties,
            };
            match row::change(c.ty, &c.name, &text, now.as_deref(), &known) {
                Ok(Change::Keep) => {}
                Ok(change) => out.push((c.key.clone(), change, Self::origin(table, row, c))),
                Err(m) => self.cell_error(table, row, c, m),
            }
        }
        out
    }

    fn count(&mut self, kind: Kind, new: bool, changed: bool) {
        let i = if new {
            0
        } else if changed {
            1
        } else {
            2
        };
        self.counts.entry(kind).or_default()[i] += 1;
    }

    /// The id in column `key` of a row; an error when missing or not an id.
    fn id<R>(
        &mut self,
        table: &Table,
        row: &Row,
        cols: &[Col<R>],
        key: &str,
    ) -> Option<(String, usize, Origin)> {
        let c = cols.iter().find(|c| c.key == key)?;
        let at = match c.at {
            Source::Cell(i) => i,
            Source::Fixed(_) => 0,
        };
        let id = Self::text(table, row, c).trim().to_string();
        if id.is_empty() {
            self.cell_error(table, row, c, format!("no {key}: every row needs one"));
            return None;
        }
        Some((id, at, Self::origin(table, row, c)))
    }

    /// A products or parties row: the record `id` edited, or created.
    fn record<R: 's>(
        &mut self,
        table: &Table,
        row: &Row,
        kind: Kind,
        cols: &[Col<R>],
        find: impl Fn(&str) -> Option<(&'s R, String)>,
    ) {
        let Some((id, at, id_origin)) = self.id(table, row, cols, "id") else {
            return;
        };
        if !crate::ident::is_valid_id(&id) {
            self.error_at(
                table,
                row,
                at,
                "bad-cell",
                format!("`{id}` is not an id: lowercase letters, digits and hyphens"),
            );
            return;
        }
        if !self.first(table, row, at, kind, id.clone(), &format!("id `{id}`")) {
            return;
        }
        let (model, rel) = match find(&id) {
            Some((m, rel)) => (Some(m), rel),
            None => {
                let rel = format!("content/{}/{id}.yaml", kind.name());
                if self.root.join(&rel).exists() {
                    self.error_at(
                        table,
                        row,
                        at,
                        "bad-cell",
                        format!("{rel} exists but does not load as `{id}`: mend it first"),
                    );
                    return;
                }
                self.created.insert((kind, id.clone()), rel.clone());
                (None, rel)
            }
        };
        let changes = self.changes(table, row, cols, &["id"], model);
        let mut origins = vec![(Vec::new(), id_origin)];
        let ops: Vec<Op> = changes
            .into_iter()
            .map(|(key, change, origin)| {
                let path: Vec<String> = key.split('.').map(String::from).collect();
                origins.push((path.clone(), origin));
                match change {
                    Change::Set(v) => Op::Set(path, v),
                    _ => Op::Remove(path),
                }
            })
            .collect();
        self.count(kind, model.is_none(), !ops.is_empty());
        let t = self.target(&rel, &id, row_name(table, row));
        t.edit.ops.extend(ops);
        t.origins.extend(origins);
    }

    fn target(&mut self, rel: &str, id: &str, row: String) -> &mut Target {
        let root = self.root;
        let t = self
            .targets
            .entry(rel.to_string())
            .or_insert_with(|| Target {
                id: id.to_string(),
                original: std::fs::read_to_string(root.join(rel)).ok(),
                edit: Edit::new(),
                rows: BTreeSet::new(),
                origins: Vec::new(),
            });
        t.rows.insert(row);
        t
    }

    /// A lots or evidence row: the entry `id_key` of `list` in its product's record.
    fn entry<R>(
        &mut self,
        table: &Table,
        row: &Row,
        kind: Kind,
        cols: &[Col<R>],
        (list, id_key): (&str, &str),
        find: impl Fn(&'s crate::content::Product, &str) -> Option<R>,
    ) {
        let Some((product, at, _)) = self.id(table, row, cols, "product") else {
            return;
        };
        let Some((id, _, id_origin)) = self.id(table, row, cols, id_key) else {
            return;
        };
        if !self.first(
            table,
            row,
            at,
            kind,
            format!("{product}\n{id}"),
            &format!("{id_key} `{id}` of `{product}`"),
        ) {
            return;
        }
        let site = self.site;
        let loaded = site.content.product(&product);
        let rel = match (loaded, self.created.get(&(Kind::Products, product.clone()))) {
            (Some(p), _) => p.file.clone(),
            (None, Some(rel)) => rel.clone(),
            (None, None) => {
                let ids: Vec<&String> = site.content.products.iter().map(|p| &p.id).collect();
                let mut m =
                    format!("no product `{product}` in content/products or in the products sheet");
                if let Some(s) = crate::suggest::closest(&product, ids.iter().copied()) {
                    m.push_str(&format!(" (did you mean `{s}`?)"));
                }
                self.error_at(table, row, at, "unknown-product", m);
                return;
            }
        };
        let record = loaded.and_then(|p| find(p, &id));
        let changes = self.changes(table, row, cols, &["product", id_key], record.as_ref());
        let item = || vec![list.to_string(), id.clone()];
        let mut origins = vec![(item(), id_origin)];
        let fields: Vec<(String, Option<Value>)> = changes
            .into_iter()
            .map(|(key, change, origin)| {
                origins.push(([item(), vec![key.clone()]].concat(), origin));
                match change {
                    Change::Set(v) => (key, Some(v)),
                    _ => (key, None),
                }
            })
            .collect();
        let new = record.is_none();
        self.count(kind, new, !fields.is_empty());
        let t = self.target(&rel, &product, row_name(table, row));
        t.origins.extend(origins);
        if new || !fields.is_empty() {
            t.edit.ops.push(Op::SetEntry {
                list: list.to_string(),
                id_key: id_key.to_string(),
                id,
                fields,
            });
        }
    }

    fn table(&mut self, table: &Table, kind: Kind, progress: &crate::progress::Progress) {
        let site = self.site;
        match kind {
            Kind::Products => {
                let cols = self.columns(table, kind, layout::PRODUCTS);
                if self.needs(table, &cols, &["id"]) {
                    for row in &table.rows {
                        self.record(table, row, kind, &cols, |id| {
                            site.content
                                .product(id)
                                .map(|p| (p.as_ref(), p.file.clone()))
                        });
                        progress.inc();
                    }
                }
            }
            Kind::Parties => {
                let cols = self.columns(table, kind, layout::PARTIES);
                if self.needs(table, &cols, &["id"]) {
                    for row in &table.rows {
                        self.record(table, row, kind, &cols, |id| {
                            site.content
                                .parties
                                .get(id)
                                .map(|p| (p.as_ref(), p.file.clone()))
                        });
                        progress.inc();
                    }
                }
            }
            Kind::Lots => {
                let cols = self.columns(table, kind, &layout::lots());
                if self.needs(table, &cols, &["product", "lot"]) {
                    for row in &table.rows {
                        self.entry(table, row, kind, &cols, ("lots", "lot"), |p, id| {
                            p.lots.iter().find(|l| l.lot == id).map(|l| (p, l))
                        });
                        progress.inc();
                    }
                }
            }
            Kind::Evidence => {
                let cols = self.columns(table, kind, &layout::evidence());
                if self.needs(table, &cols, &["product", "report"]) {
                    for row in &table.rows {
                        self.entry(table, row, kind, &cols, ("evidence", "report"), |p, id| {
                            p.evidence.iter().find(|e| e.report == id).map(|e| (p, e))
                        });
                        progress.inc();
                    }
                }
            }
        }
    }

    /// Whether the table has the columns that say which record a row is; an error if not.
    fn needs<R>(&mut self, table: &Table, cols: &[Col<R>], keys: &[&str]) -> bool {
        let missing: Vec<&str> = keys
            .iter()
            .copied()
            .filter(|k| !cols.iter().any(|c| c.key == *k))
            .collect();
        if missing.is_empty() {
            return true;
        }
        self.diags.push(Diagnostic::error(
            "bad-header",
            table.file.to_string_lossy(),
            format!(
                "{}no column {}: it says which record each row is",
                table
                    .sheet
                    .as_ref()
                    .map(|s| format!("sheet {s}: "))
                    .unwrap_or_default(),
                crate::suggest::quoted(&missing)
            ),
        ));
        false
    }
}

fn header_row(table: &Table) -> usize {
    table
        .rows
        .first()
        .map_or(1, |r| r.number.saturating_sub(1))
        .max(1)
}

/// The ids in the `id` column of the party tables: products may name them.
fn party_ids(tables: &[(Table, Kind)], mapping: &Mapping) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for (t, _) in tables.iter().filter(|(_, k)| *k == Kind::Parties) {
        if let Some(i) = t
            .header
            .iter()
            .position(|h| mapping.column(h).eq_ignore_ascii_case("id"))
        {
            ids.extend(
                t.rows
                    .iter()
                    .filter_map(|r| r.cells.get(i))
                    .map(|c| c.trim().to_string()),
            );
        }
    }
    ids
}

/// Runs the command; the exit code (SPEC §9: 0 done, 1 invalid content, 2 usage).
pub fn run(root: &Path, options: &Options) -> u8 {
    let overrides = Overrides {
        as_of: options.as_of,
        ..Default::default()
    };
    let p = Pipeline::load(root, &overrides);
    let site = match &p.site {
        Some(s) if p.diagnostics.exit_code(false) != 2 => s,
        _ => {
            report::human(root, &p.diagnostics);
            return 2;
        }
    };
    let mut usage = Diagnostics::default();
    let is_column = |kind: Option<Kind>, key: &str| match kind {
        Some(k) => is_column(k, key),
        None => kind::ALL.iter().any(|k| is_column(*k, key)),
    };
    let mapping = match &options.mapping {
        Some(path) => match mapping::read(path, &is_column) {
            Ok(m) => m,
            Err(ds) => {
                usage.extend(ds);
                Mapping::default()
            }
        },
        None => Mapping::default(),
    };
    // Without the mapping the user wrote, which sheet is which is not known.
    let mapping_failed = usage.has_errors();
    let mut tables: Vec<(Table, Kind)> = Vec::new();
    let mut wide_problems: Vec<Diagnostic> = Vec::new();
    for file in &options.files {
        match crate::sheet::read::read(file) {
            Ok(ts) => {
                for t in ts {
                    let headers: Vec<String> = t
                        .header
                        .iter()
                        .map(|h| mapping.column(h).to_string())
                        .collect();
                    match kind::of(&t, &headers, &|n| mapping.sheet(n)) {
                        // A row per lot with the product's columns beside the lot's.
                        Some(Found::Records(Kind::Lots)) if wide::is_wide(&headers) => {
                            let (split, problems) = wide::split(&t, &headers);
                            tables.extend(split);
                            wide_problems.extend(problems);
                        }
                        Some(Found::Records(k)) => tables.push((t, k)),
                        Some(Found::Labels) => eprintln!(
                            "{}",
                            report::terminal_safe(&format!(
                                "note: {}{}: skipped: labels are what `export csv` writes for label software, not records",
                                t.file.display(),
                                t.sheet.as_ref().map(|s| format!(", sheet {s}")).unwrap_or_default()
                            ))
                        ),
                        None if mapping_failed => {}
                        None => usage.push(
                            Diagnostic::error(
                                "unknown-sheet",
                                t.file.to_string_lossy(),
                                format!(
                                    "{}cannot tell which records this sheet holds",
                                    t.sheet.as_ref().map(|s| format!("sheet {s}: ")).unwrap_or_default()
                                ),
                            )
                            .with_help("name the sheet or file products, lots, evidence or parties, or say it in the mapping file's [sheets]"),
                        ),
                    }
                }
            }
            Err(d) => usage.push(d),
        }
    }
    if !usage.is_empty() {
        usage.sort();
        report::human(root, &usage);
        eprintln!("Nothing was imported.");
        return 2;
    }
    tables.sort_by_key(|(_, k)| *k);
    let total = tables.iter().map(|(t, _)| t.rows.len()).sum();
    let progress = crate::progress::Progress::new(total, "import", "rows");
    let mut plan = Plan {
        root,
        site,
        mapping: &mapping,
        new_parties: party_ids(&tables, &mapping),
        targets: BTreeMap::new(),
        created: HashMap::new(),
        seen: HashMap::new(),
        counts: BTreeMap::new(),
        diags: Vec::new(),
        bad_rows: Default::default(),
    };
    plan.diags.extend(wide_problems);
    for (t, k) in &tables {
        plan.table(t, *k, &progress);
    }
    progress.finish();
    // The records as they will be: an edit re-reads the lines it changes after every
    // change (a new record key by key), still the bulk of an import's work, so records are
    // edited in parallel.
    let edited: Vec<(&String, &Target, Result<String, _>)> = plan
        .targets
        .par_iter()
        .map(|(rel, t)| {
            let base = t
                .original
                .clone()
                .unwrap_or_else(|| format!("id: {}\n", t.id));
            (rel, t, t.edit.apply(&base))
        })
        .collect();
    let mut changed: BTreeMap<String, (Option<String>, String)> = BTreeMap::new();
    let mut failed = Vec::new();
    for (rel, t, result) in edited {
        match result {
            Ok(text) if Some(&text) == t.original.as_ref() => {}
            Ok(text) => {
                changed.insert(rel.clone(), (t.original.clone(), text));
            }
            Err(e) => failed.push(Diagnostic::error(
                "bad-edit",
                rel,
                format!("{e} (from {})", rows_of(t)),
            )),
        }
    }
    plan.diags.extend(failed);
    let mut diags = Diagnostics::default();
    diags.extend(plan.diags.drain(..));
    // A record a row with a problem edits is checked once the row is mended: as it would
    // be now, it would only repeat that problem.
    let tainted = |t: &Target| t.rows.iter().any(|r| plan.bad_rows.contains(r));
    let checked: BTreeMap<&String, &String> = changed
        .iter()
        .filter(|(rel, _)| plan.targets.get(*rel).is_none_or(|t| !tainted(t)))
        .map(|(rel, (_, text))| (rel, text))
        .collect();
    {
        // The site as the import leaves it, loaded with the new texts in place.
        let mut overlay = crate::content::Overlay::new();
        for (rel, text) in &checked {
            overlay.insert(root.join(rel), (*text).clone());
        }
        let mut after = Pipeline::load(
            root,
            &Overrides {
                overlay,
                ..overrides
            },
        );
        after.assess();
        // Every error counts (the site must be valid as a whole); warnings are shown for
        // the records the import changes, not for the rest of the site.
        for mut d in after.diagnostics.iter().cloned() {
            let ours = checked.contains_key(&d.file);
            if !(d.is_error() || ours) {
                continue;
            }
            if let (true, Some(t)) = (ours, plan.targets.get(&d.file)) {
                let text = changed.get(&d.file).map(|(_, new)| new.as_str());
                match text.and_then(|text| origin_of(t, text, &d)) {
                    // At the cell the value came from: the sheet is what the user edits.
                    Some(o) => {
                        d.message = format!("{}: {} ({} as imported)", o.place, d.message, d.file);
                        d.file = o.file.clone();
                        d.line = 0;
                        d.column = 0;
                    }
                    None => d.message = format!("{} (from {})", d.message, rows_of(t)),
                }
            }
            diags.push(d);
        }
        if after.diagnostics.exit_code(false) == 2 {
            diags.sort();
            report::human(root, &diags);
            return 2;
        }
    }
    diags.sort();
    report::human(root, &diags);
    if diags.has_errors() {
        report::summary(&diags, "import");
        eprintln!("Nothing was written.");
        return diags.exit_code(false).max(1) as u8;
    }
    for kind in kind::ALL {
        if let Some([c, u, n]) = plan.counts.get(&kind) {
            println!("{}: {c} created, {u} updated, {n} unchanged", kind.name());
        }
    }
    if options.dry_run {
        for (rel, (old, new)) in &changed {
            let old = old.as_deref().unwrap_or("");
            let diff = similar::TextDiff::from_lines(old, new.as_str());
            let from = if old.is_empty() {
                "/dev/null".to_string()
            } else {
                format!("a/{rel}")
            };
            print!(
                "{}",
                report::terminal_safe(
                    &diff
                        .unified_diff()
                        .header(&from, &format!("b/{rel}"))
                        .to_string()
                )
            );
        }
        println!(
            "--dry-run: {} would change; nothing was written.",
            files(changed.len())
        );
        return 0;
    }
    // Each record whole or not at all: a temporary file in the same folder, synced and
    // renamed over. In parallel, so the syncs of a large import overlap.
    let failed: Vec<String> = changed
        .par_iter()
        .filter_map(|(rel, (_, text))| {
            let path = root.join(rel);
            let (dir, name) = (path.parent()?, path.file_name()?);
            crate::export::write(dir, &name.to_string_lossy(), text.as_bytes())
                .err()
                .map(|e| format!("error: cannot write {rel}: {e}"))
        })
        .collect();
    if !failed.is_empty() {
        for f in &failed {
            eprintln!("{}", report::terminal_safe(f));
        }
        eprintln!(
            "{} of {} written; the others are as they were.",
            changed.len() - failed.len(),
            files(changed.len())
        );
        return 2;
    }
    println!("Wrote {}.", files(changed.len()));
    0
}

fn files(n: usize) -> String {
    if n == 1 {
        "1 file".into()
    } else {
        format!("{n} files")
    }
}

/// The rows that edit a record, in the order of the sheets' row numbers.
fn rows_of(t: &Target) -> String {
    let mut rows: Vec<&String> = t.rows.iter().collect();
    rows.sort_by_key(|r| match r.rsplit_once(" row ") {
        Some((sheet, n)) => (sheet, n.parse::<usize>().unwrap_or(0)),
        None => (r.as_str(), 0),
    });
    rows.iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The cell the value at a diagnostic's place in an imported record came from: the
/// nearest key path above it that a sheet wrote.
fn origin_of<'t>(t: &'t Target, text: &str, d: &Diagnostic) -> Option<&'t Origin> {
    if d.line == 0 {
        return None;
    }
    let mut path = crate::content::edit::path_at(text, d.line, d.column.max(1), ENTRY_IDS)?;
    loop {
        // The last writer of a path is the one whose value stands.
        if let Some((_, o)) = t.origins.iter().rev().find(|(p, _)| *p == path) {
            return Some(o);
        }
        path.pop()?;
    }
}

/// Whether `key` is a column of `kind`'s sheet.
fn is_column(kind: Kind, key: &str) -> bool {
    let at = || Source::Fixed(String::new());
    match kind {
        Kind::Products => resolve(layout::PRODUCTS, key, at()).is_some(),
        Kind::Parties => resolve(layout::PARTIES, key, at()).is_some(),
        Kind::Lots => resolve(&layout::lots(), key, at()).is_some(),
        Kind::Evidence => resolve(&layout::evidence(), key, at()).is_some(),
    }
}
