//! What `serve` shows: the site run through the pipeline into memory after each change,
//! and the last build that succeeded, kept on screen under the errors of a failed one.

use super::http::Snapshot;
use crate::diagnostic::Diagnostics;
use crate::output::{Files, Memory};
use crate::pipeline::{Pipeline, Purpose};
use crate::render::Rendered;
use crate::site::Overrides;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub struct Preview {
    root: PathBuf,
    overrides: Overrides,
    /// The files of the latest build that succeeded.
    good: Arc<Files>,
}

/// One rebuild: what to show, and what to tell the terminal.
pub struct Outcome {
    pub snapshot: Snapshot,
    pub diagnostics: Diagnostics,
    /// `None` when the build failed.
    pub rendered: Option<Rendered>,
    pub elapsed: std::time::Duration,
}

impl Preview {
    /// `overrides` carry the server's own URL as `base_url`, so every link stays on it.
    pub fn new(root: &Path, overrides: Overrides) -> Preview {
        Preview {
            root: root.to_path_buf(),
            overrides,
            good: Arc::default(),
        }
    }

    /// Runs the whole pipeline into memory. Ready certificates never issued are shown
    /// as previews; warnings do not stop the preview (`strict` is for builds).
    pub fn rebuild(&mut self) -> Outcome {
        let started = std::time::Instant::now();
        let mut p = Pipeline::load(&self.root, &self.overrides);
        p.assess()
            .review(Purpose::Publish { locked: false })
            .preview();
        let theme = p.theme();
        let memory = Memory::default();
        let published = match theme {
            Some(mut theme) if p.publishable(false).is_some() => {
                p.publish(&mut theme, &memory).map_err(|ds| {
                    p.diagnostics.extend(ds);
                    p.diagnostics.sort();
                })
            }
            _ => Err(()),
        };
        let rendered = published.ok();
        if rendered.is_some() {
            self.good = Arc::new(memory.into_files());
        }
        Outcome {
            snapshot: Snapshot {
                files: Arc::clone(&self.good),
                problems: if rendered.is_some() {
                    Vec::new()
                } else {
                    p.diagnostics.iter().cloned().collect()
                },
            },
            diagnostics: p.diagnostics,
            rendered,
            elapsed: started.elapsed(),
        }
    }
}
