//! Problems found in a site, each pinned to a file, line and column.
//!
//! Loading never stops at the first problem: every stage pushes into a [`Diagnostics`]
//! list, and the command line decides at the end how to print them and which exit code
//! they mean.

use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// Whether a problem is in the content (exit code 1) or in the configuration: site.toml,
/// plugins, theme (exit code 2). SPEC §9.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Origin {
    Content,
    Config,
}

/// Codes of warnings about the output a build replaces rather than about its inputs
/// (see [`Diagnostics::about_the_inputs`]).
pub const ABOUT_THE_OUTPUT: &[&str] = &["certificate-pdfs-off"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Short stable code, e.g. `unknown-party`.
    pub code: &'static str,
    /// Path relative to the site root, with `/` separators.
    pub file: String,
    /// 1-based; 0 when the problem concerns the whole file.
    pub line: usize,
    /// 1-based; 0 when unknown.
    pub column: usize,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    #[serde(skip)]
    pub origin: Origin,
}

impl Diagnostic {
    pub fn error(code: &'static str, file: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            file: file.into(),
            line: 0,
            column: 0,
            message: message.into(),
            help: None,
            origin: Origin::Content,
        }
    }

    pub fn warning(
        code: &'static str,
        file: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, file, message)
        }
    }

    pub fn at(mut self, line: usize, column: usize) -> Self {
        self.line = line;
        self.column = column;
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn config(mut self) -> Self {
        self.origin = Origin::Config;
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column.max(1))?;
        }
        write!(f, ": {level}[{}]: {}", self.code, self.message)
    }
}

/// An ordered collection of diagnostics.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    pub fn extend(&mut self, ds: impl IntoIterator<Item = Diagnostic>) {
        self.items.extend(ds);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    pub fn errors(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
    }

    pub fn warnings(&self) -> usize {
        self.items.len() - self.errors()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Those about the inputs: what a build records beside its output and a later build
    /// with nothing changed replays. Left out are those about the output being replaced
    /// ([`ABOUT_THE_OUTPUT`]), which no longer hold once this build's output is in place.
    pub fn about_the_inputs(&self) -> Diagnostics {
        Diagnostics {
            items: self
                .items
                .iter()
                .filter(|d| !ABOUT_THE_OUTPUT.contains(&d.code))
                .cloned()
                .collect(),
        }
    }

    /// Sorted by file, then position, so output does not depend on thread scheduling.
    pub fn sort(&mut self) {
        self.items.sort_by(|a, b| {
            (&a.file, a.line, a.column, a.code, &a.message)
                .cmp(&(&b.file, b.line, b.column, b.code, &b.message))
        });
        self.items.dedup();
    }

    /// The process exit code these diagnostics call for (SPEC §9): 2 for configuration
    /// errors, 1 for content errors (or, when `strict`, any warning), else 0.
    pub fn exit_code(&self, strict: bool) -> i32 {
        if self
            .items
            .iter()
            .any(|d| d.is_error() && d.origin == Origin::Config)
        {
            2
        } else if self.has_errors() || (strict && !self.items.is_empty()) {
            1
        } else {
            0
        }
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

/// Converts a byte offset in `text` to a 1-based (line, column); column counts characters.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        let text = "a: 1\nbé: 2\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 5), (2, 1));
        // `:` after the two-byte é is the third character of line 2.
        assert_eq!(line_col(text, 8), (2, 3));
    }

    #[test]
    fn config_errors_exit_two_before_content_errors() {
        let mut ds = Diagnostics::default();
        ds.push(Diagnostic::error("bad-gtin", "a.yaml", "x"));
        assert_eq!(ds.exit_code(false), 1);
        ds.push(Diagnostic::error("bad-config", "site.toml", "y").config());
        assert_eq!(ds.exit_code(false), 2);
    }

    #[test]
    fn warnings_fail_only_under_strict() {
        let mut ds = Diagnostics::default();
        ds.push(Diagnostic::warning("uncovered-market", "a.yaml", "x"));
        assert_eq!(ds.exit_code(false), 0);
        assert_eq!(ds.exit_code(true), 1);
    }
}
