//! What to do when a label cannot be drawn on the chosen sheet with the chosen template:
//! its text or QR code needs more room than the label has, or the template leaves off
//! a mark or statement the product's markets require. certpress tries the label on the
//! other sheets and templates it knows and names those that work, so the error says
//! what to change rather than "use a larger label".

use super::{Job, Printer};
use crate::assess::Assessed;
use crate::config::sheets::{self, Layout};
use crate::register::Register;
use std::cell::RefCell;

/// Why a label could not be drawn.
#[derive(Debug, Clone)]
pub enum Failure {
    /// Its text or code needs more room than the label leaves.
    TooSmall(String),
    /// The template does not show a mark or statement the markets require.
    LeavesOff(String),
    /// Anything else (a template error, a mark without artwork).
    Other(String),
}

impl Failure {
    pub fn message(&self) -> &str {
        match self {
            Failure::TooSmall(m) | Failure::LeavesOff(m) | Failure::Other(m) => m,
        }
    }

    /// Whether another sheet or template could mend it.
    pub fn mendable(&self) -> bool {
        !matches!(self, Failure::Other(_))
    }
}

thread_local! {
    /// The message of a template function that found the label too small (`stack`),
    /// kept by the thread rendering the label: tera wraps a function's error in a
    /// report quoting the template's code, which is the theme's business, not the
    /// seller's.
    static TOO_SMALL: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Notes that the label being rendered on this thread does not fit.
pub fn note_too_small(message: &str) {
    TOO_SMALL.with(|t| *t.borrow_mut() = Some(message.to_string()));
}

/// Takes what [`note_too_small`] noted on this thread (and forgets it).
pub fn take_too_small() -> Option<String> {
    TOO_SMALL.with(|t| t.borrow_mut().take())
}

/// At most this many failing labels are tried on each other sheet and template: enough
/// for the advice to hold for the products that failed, bounded for large catalogues.
const TRIED: usize = 12;

/// Sheets and templates on which the failing labels can all be drawn.
#[derive(Debug, Default, PartialEq)]
pub struct Alternatives {
    /// Other sheets, with the chosen template.
    pub sheets: Vec<&'static str>,
    /// Other templates, on the chosen sheet.
    pub templates: Vec<String>,
    /// Other sheets with other templates, when neither of the above works.
    pub pairs: Vec<(&'static str, String)>,
}

/// Tries the first of `failing` on every other sheet and template.
pub fn alternatives(
    printer: &Printer,
    assessed: &Assessed,
    register: &Register,
    failing: &[&Job],
) -> Alternatives {
    let failing = &failing[..failing.len().min(TRIED)];
    let layout = printer.options.layout;
    let template = printer.options.template.as_str();
    let works = |l: &Layout, t: &str| {
        failing
            .iter()
            .all(|job| printer.draw(assessed, register, job, l, t).is_ok())
    };
    let others: Vec<&Layout> = sheets::LAYOUTS
        .iter()
        .filter(|l| l.name != layout.name)
        .collect();
    let mut found = Alternatives {
        sheets: others
            .iter()
            .filter(|l| works(l, template))
            .map(|l| l.name)
            .collect(),
        templates: printer
            .templates()
            .iter()
            .filter(|t| *t != template && works(layout, t))
            .cloned()
            .collect(),
        pairs: Vec::new(),
    };
    if found.sheets.is_empty() && found.templates.is_empty() {
        for t in printer.templates().iter().filter(|t| *t != template) {
            for l in &others {
                if works(l, t) {
                    found.pairs.push((l.name, t.clone()));
                }
            }
        }
    }
    found
}

impl Alternatives {
    /// What to change, for a label drawn with `template` on `sheet`.
    pub fn advice(&self, sheet: &str, template: &str) -> String {
        let list = |names: &mut dyn Iterator<Item = String>| {
            names
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut ways = Vec::new();
        if !self.sheets.is_empty() {
            ways.push(format!(
                "a sheet whose labels fit it with the `{template}` template: {} (`[labels] sheet` in site.toml, or `--sheet`)",
                list(&mut self.sheets.iter().map(|s| s.to_string()))
            ));
        }
        if !self.templates.is_empty() {
            ways.push(format!(
                "a template that fits on {sheet} labels: {} (`[labels] template` in site.toml, or `--template`)",
                list(&mut self.templates.iter().cloned())
            ));
        }
        if !self.pairs.is_empty() {
            ways.push(format!(
                "one of these sheets and templates: {}",
                self.pairs
                    .iter()
                    .map(|(s, t)| format!("`{s}` with `{t}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if ways.is_empty() {
            return "no sheet or template this theme has can hold it: shorten the text, or add a template for larger labels to the theme".into();
        }
        format!("use {}", ways.join("; or "))
    }
}
