//! A problem found while resolving a record, pointing into the record by path until it
//! is located (line and column) for printing.

use crate::diagnostic::{Diagnostic, Severity};
use crate::yaml::{Locator, YamlPath};

#[derive(Debug, Clone)]
pub struct Problem {
    pub severity: Severity,
    pub code: &'static str,
    pub path: YamlPath,
    /// Point at the key (the entry as a whole) rather than its value.
    pub on_key: bool,
    pub message: String,
    pub help: Option<String>,
}

impl Problem {
    pub fn error(code: &'static str, path: YamlPath, message: impl Into<String>) -> Self {
        Problem {
            severity: Severity::Error,
            code,
            path,
            on_key: false,
            message: message.into(),
            help: None,
        }
    }

    pub fn warning(code: &'static str, path: YamlPath, message: impl Into<String>) -> Self {
        Problem {
            severity: Severity::Warning,
            ..Problem::error(code, path, message)
        }
    }

    pub fn on_key(mut self) -> Self {
        self.on_key = true;
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// Turns a file's problems into diagnostics, finding each one's line and column in the
/// file's text. `line_offset` shifts positions for YAML embedded in a larger file
/// (front matter).
pub fn locate(
    file: &str,
    text: &str,
    line_offset: usize,
    problems: Vec<Problem>,
) -> Vec<Diagnostic> {
    if problems.is_empty() {
        return Vec::new();
    }
    let locator = Locator::new(text);
    problems
        .into_iter()
        .map(|p| {
            let (line, column) = if p.on_key {
                locator.key(&p.path)
            } else {
                locator.value(&p.path)
            };
            let mut d = Diagnostic::error(p.code, file, p.message).at(line + line_offset, column);
            d.severity = p.severity;
            d.help = p.help;
            d
        })
        .collect()
}

/// Product ids certpress keeps for its own paths.
pub const RESERVED_PRODUCT_IDS: [&str; 1] = ["sheets"];

/// Checks a record's `id`: the id format, and that the file is named after it.
pub fn check_id(kind: &str, id: &str, file: &str, stem: &str) -> Option<Problem> {
    use crate::ypath;
    if !crate::ident::is_valid_id(id) {
        return Some(Problem::error(
            "bad-id",
            ypath!["id"],
            format!("{kind} id `{id}` must match ^[a-z0-9][a-z0-9-]{{0,63}}$"),
        ));
    }
    // Product ids name folders under /labels/, beside /labels/sheets/ (SPEC §4.1): a
    // product `sheets` with a lot named like a layout would share a path with a sheet.
    if kind == "product" && RESERVED_PRODUCT_IDS.contains(&id) {
        return Some(
            Problem::error(
                "reserved-id",
                ypath!["id"],
                format!("`{id}` is reserved: /labels/{id}/ holds the label sheets"),
            )
            .help(format!(
                "choose another id, e.g. `{id}-1`, and rename the file to match"
            )),
        );
    }
    if id != stem {
        let ext = file.rsplit_once('.').map_or("yaml", |(_, e)| e);
        return Some(
            Problem::error(
                "id-mismatch",
                ypath!["id"],
                format!("id `{id}` must equal the file name `{stem}`"),
            )
            .help(format!("rename the file to {id}.{ext} or set `id: {stem}`")),
        );
    }
    None
}
