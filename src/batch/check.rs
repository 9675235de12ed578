//! `certpress check` one batch of products at a time, so a catalogue of a million
//! products is checked in the memory of a few thousand: each batch's records are read,
//! assessed, reviewed against the ledger and reminded of, its problems kept and the
//! batch dropped before the next is read. What spans products is carried from batch to
//! batch in compact form: the file that first claimed each id and GTIN (the duplicates
//! a whole load finds), the ledger's index (read once, line by line), the reports due.
//!
//! The problems found are those [`Pipeline::load`], `assess`, `review(Check)` and
//! `remind` find on the whole site, in the same sorted order, and `check --json` writes
//! the same document: product files are read in the order of their names, which are the
//! products' ids, so each batch's products follow the last's in the document's order
//! (`tests/check_batches.rs` compares both ways on sites with every kind of problem).
//! Where only the whole site can
//! answer, the caller checks it whole instead ([`check`] returns `None`): a command
//! plugin answers for all its products at once, and a rule pack that fails on one
//! product answers for none.

#[cfg(doc)]
use super::BATCH;
use crate::assess::{self, Assessed};
use crate::diagnostic::Diagnostics;
use crate::due::{self, Due};
use crate::ledger::{self, Index, Keep};
use crate::pipeline::Pipeline;
use crate::plugins::Engine;
use crate::site::{self, Overrides, Site};
use crate::timings::Laps;
use std::collections::HashSet;
use std::io::{Seek as _, Write};
use std::path::Path;

/// What a batched check found: the pipeline (its site without products, and every
/// problem, sorted) and the reports due within `[reminders] days`, sorted as
/// [`due::due`] sorts them.
pub struct Checked {
    pub pipeline: Pipeline,
    pub due: Vec<Due>,
}

/// What a batched check is asked for.
pub struct Ask<'a> {
    /// `--due DAYS`, for `[reminders] days`.
    pub due_days: Option<u32>,
    /// Where `check --json` writes its document, when it is asked for.
    pub json: Option<&'a mut dyn Write>,
    /// Products a batch ([`BATCH`]; tests use small ones).
    pub batch: usize,
}

/// Checks the site at `root` a batch of products at a time; `None` when only the whole
/// site can be checked (see the module's notes), having written nothing and dropped the
/// batches read so far.
pub fn check(
    root: &Path,
    overrides: &Overrides,
    ask: Ask,
    laps: &mut Laps,
) -> std::io::Result<Option<Checked>> {
    let Ask {
        due_days,
        json,
        batch,
    } = ask;
    // The products' JSON waits in a file of its own until the whole check is known to
    // be answered a batch at a time; then it is copied out between the document's start
    // and its `due` and `diagnostics`.
    let mut spill = match json {
        Some(_) => Some(std::io::BufWriter::new(tempfile::tempfile()?)),
        None => None,
    };
    let (site, mut diags, unread) = site::load_deferred(root, overrides);
    let (Some(mut site), Some(unread)) = (site, unread) else {
        // The configuration did not load: nothing else is read, batched or not.
        if let Some(out) = json {
            let w = crate::report::JsonWriter::start(&mut *out, None)?;
            w.finish(&[], &diags)?;
            writeln!(out)?;
        }
        let pipeline = Pipeline::from_parts(root, None, diags);
        return Ok(Some(Checked {
            pipeline,
            due: Vec::new(),
        }));
    };
    if site
        .plugins
        .iter()
        .any(|p| matches!(p.engine, Engine::Command(_)))
    {
        return Ok(None);
    }
    if let Some(days) = due_days {
        site.config.reminder_days = days;
    }
    // A configuration error stops the pipeline after load: the records are still read
    // for their own problems, but not assessed.
    let configured = diags.exit_code(false) != 2;
    laps.lap_load("load");

    let index = if configured {
        read_ledger(&site, &unread.products, &mut diags)
    } else {
        Index::default()
    };
    laps.lap("review");

    let content_dir = root.join("content");
    let overlay = crate::content::Overlay::default();
    let mut batches = crate::content::Batches::new(
        root,
        &overlay,
        crate::content::product::Context {
            parties: &site.content.parties,
            broken_parties: &unread.broken_parties,
            vocabulary: &site.vocabulary,
            content_dir: &content_dir,
            as_of: site.as_of,
            folders: Default::default(),
        },
    );
    let mut due = Vec::new();
    let mut found = Vec::new();
    let mut products_json = spill.as_mut().map(crate::report::JsonWriter::products_only);
    for paths in unread.products.chunks(batch.max(1)) {
        site.content.products = batches.next(paths, &mut diags);
        laps.lap_load("load");
        let assessed = if configured {
            let assessed = assess::assess_site(&site);
            if !assessed.failed.is_empty() {
                return Ok(None);
            }
            found.extend(assessed.diagnostics.iter().cloned());
            found.extend(assess::gap_diagnostics(&site, &assessed));
            laps.lap("assess");
            found.extend(review(&site, &assessed, &index));
            laps.lap("review");
            let soon = due::due(&site, &assessed, Some(site.config.reminder_days));
            found.extend(due::warnings(&site, &soon));
            due.extend(soon);
            laps.lap("remind");
            Some(assessed)
        } else {
            None
        };
        if let Some(w) = products_json.as_mut() {
            w.products(&site, assessed.as_ref())?;
            laps.lap("report");
        }
        // Dropped here, before the next batch is read.
        site.content.products = Vec::new();
        drop(assessed);
        laps.lap("drop");
    }
    let products_written = products_json.map_or(0, |w| w.written());
    diags.extend(found);
    if configured {
        // A product that names a broken party is dropped without an error of its own:
        // any record error means a missing product may not be removed.
        let records_have_errors = diags
            .iter()
            .any(|d| d.is_error() && crate::content::is_record(&d.file));
        diags.extend(ledger::removed_products(&index, records_have_errors));
    }
    due::sort(&mut due);
    diags.sort();
    let mut pipeline = Pipeline::from_parts(root, Some(site), diags);
    laps.lap("review");
    // A theme that cannot render fails `build`; `check` says so first.
    pipeline.theme();
    laps.lap("theme");
    if let (Some(out), Some(spill)) = (json, spill) {
        let as_of = pipeline.site.as_ref().map(|s| s.as_of);
        let mut file = spill.into_inner().map_err(|e| e.into_error())?;
        file.seek(std::io::SeekFrom::Start(0))?;
        let mut w = crate::report::JsonWriter::start(&mut *out, as_of)?;
        w.copy_products(&mut file, products_written)?;
        w.finish(&due, &pipeline.diagnostics)?;
        writeln!(out)?;
        laps.lap("report");
    }
    Ok(Some(Checked { pipeline, due }))
}

/// The ledger's index, read line by line, with what `review(Check)` says of it before
/// any product is reviewed: a broken ledger, or a published version it no longer holds.
///
/// Which products the site has is not known until every batch is read, so a product is
/// taken to be there when a record file is named after it. That is exact whenever the
/// records have no error (each record's id is its file's name, `id-mismatch`), and
/// removed products are reported only then.
fn read_ledger(site: &Site, products: &[std::path::PathBuf], diags: &mut Diagnostics) -> Index {
    let stems: HashSet<&str> = products
        .iter()
        .filter_map(|p| p.file_stem()?.to_str())
        .collect();
    match Index::load(&site.root, &|id| stems.contains(id)) {
        Ok(index) => {
            if let Err(d) =
                ledger::check_published(&index, &site.root, &site.root.join(&site.config.output))
            {
                diags.push(d);
            }
            index
        }
        Err(d) => {
            diags.push(d);
            Index::default()
        }
    }
}

/// What `review(Check)` reports of one batch's certificates.
fn review(site: &Site, assessed: &Assessed, index: &Index) -> Vec<crate::diagnostic::Diagnostic> {
    let review = ledger::review_batch(site, assessed, index, Keep::NotCurrent);
    ledger::diagnostics(site, &review, false)
}
