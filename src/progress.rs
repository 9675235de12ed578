//! A progress bar for long builds. It stays hidden for the first moments, so quick
//! builds print only their summary line, and it never draws when stderr is not a terminal.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const DELAY: Duration = Duration::from_millis(400);

pub struct Progress {
    bar: ProgressBar,
    start: Instant,
    shown: AtomicBool,
    enabled: bool,
}

impl Progress {
    /// A bar for `len` items (`unit`, plural) of a step called `what`.
    pub fn new(len: usize, what: &str, unit: &str) -> Self {
        let bar = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template(&format!(
            "{{prefix:>10}} [{{bar:40}}] {{pos}}/{{len}} {unit}, {{eta}} left"
        )) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(what.to_string());
        Progress {
            bar,
            start: Instant::now(),
            shown: AtomicBool::new(false),
            enabled: std::io::stderr().is_terminal(),
        }
    }

    pub fn inc(&self) {
        self.inc_by(1);
    }

    /// `n` more items done (a batch of them).
    pub fn inc_by(&self, n: usize) {
        self.bar.inc(n as u64);
        if self.enabled
            && !self.shown.load(Ordering::Relaxed)
            && self.start.elapsed() > DELAY
            && !self.shown.swap(true, Ordering::Relaxed)
        {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
