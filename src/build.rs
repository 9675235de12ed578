//! `certpress build`: load → render → write, with the output swapped in only on success.

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::output::{self, Staging};
use crate::render::{self, Rendered};
use crate::site::Site;
use crate::theme;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Built {
    pub output: PathBuf,
    pub rendered: Rendered,
    pub elapsed: Duration,
}

/// Renders `site` into `output` (default: the configured output folder). Fails, leaving
/// the previous output untouched, when there are errors in `diags` (or any diagnostic
/// under `strict`), or when rendering fails.
pub fn build(
    site: &Site,
    assessed: Option<(&crate::assess::Assessed, &crate::register::Register)>,
    output: Option<PathBuf>,
    strict: bool,
    diags: &mut Diagnostics,
) -> Option<Built> {
    let start = Instant::now();
    let target = output.unwrap_or_else(|| site.root.join(&site.config.output));
    if diags.has_errors() || (strict && !diags.is_empty()) {
        return None;
    }
    let _claim = match output::claim(&site.root, &target, || {
        eprintln!(
            "Waiting for another certpress run writing {} to finish…",
            target.display()
        )
    }) {
        Ok(lock) => lock,
        Err(d) => {
            diags.push(d);
            return None;
        }
    };
    // Old output from earlier runs is deleted while this one renders; only once the
    // target is known to be ours, so nothing beside a refused folder is touched.
    let _sweeper = output::sweep_trash(&target);
    let mut theme = match theme::load(&site.root, &site.config.theme) {
        Ok(mut t) => {
            diags.extend(std::mem::take(&mut t.warnings));
            if strict && !diags.is_empty() {
                return None;
            }
            t
        }
        Err(ds) => {
            diags.extend(ds);
            return None;
        }
    };
    let staging = match Staging::new(&target) {
        Ok(s) => s,
        Err(e) => {
            diags.push(write_error(&target, &e));
            return None;
        }
    };
    let Some(assessed) = assessed else {
        // Only configuration errors stop assessment, and those are errors above.
        return None;
    };
    let (assessed, register) = assessed;
    let ledger = register.ledger();
    let mut rendered = match render::render(site, assessed, register, &mut theme, &staging) {
        Ok(r) => r,
        Err(ds) => {
            diags.extend(ds);
            return None;
        }
    };
    match crate::label::print::for_build(site, assessed, register, &staging) {
        Ok(labels) => rendered.labels = labels,
        Err(ds) => {
            diags.extend(ds);
            return None;
        }
    }
    // What this output publishes, and no swap for a ledger that lost versions the
    // output it replaces publishes (SPEC §7: versions are never removed).
    let manifest = crate::ledger::manifest(ledger);
    if let Err(e) = staging.write(crate::ledger::MANIFEST, manifest.as_bytes()) {
        diags.push(write_error(&target, &e));
        return None;
    }
    if let Err(d) = crate::ledger::check_published(ledger, &site.root, &target) {
        diags.push(d);
        return None;
    }
    if let Err(e) = staging.commit() {
        diags.push(write_error(&target, &e));
        return None;
    }
    Some(Built {
        output: target,
        rendered,
        elapsed: start.elapsed(),
    })
}

fn write_error(target: &std::path::Path, e: &std::io::Error) -> Diagnostic {
    Diagnostic::error(
        "write-failed",
        target.display().to_string(),
        format!("cannot write the output: {e}"),
    )
    .config()
}
