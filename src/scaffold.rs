//! `certpress new <dir>`: a site that builds straight away. The default theme and the
//! rule packs are embedded in the binary, so `new` works anywhere.
//!
//! The sample's dates are written relative to the day `new` runs (SOURCE_DATE_EPOCH when
//! set, as for `as_of`): its test report is dated that day and its lot made that month,
//! so the new site checks clean that day and for the shipped packs' whole retest
//! interval (12 months) after.

use include_dir::{Dir, include_dir};
use std::fs;
use std::path::Path;
use time::Date;

static THEME: Dir = include_dir!("$CARGO_MANIFEST_DIR/themes/default");
static PLUGINS: Dir = include_dir!("$CARGO_MANIFEST_DIR/plugins");
static STARTER: Dir = include_dir!("$CARGO_MANIFEST_DIR/src/scaffold");

/// The starter files' placeholders and what `new` writes for them on `today`.
fn placeholders(today: Date) -> Vec<(&'static str, String)> {
    // A report dated today tests a lot made this month: never before it was made.
    let made = format!("{:04}-{:02}", today.year(), u8::from(today.month()));
    vec![
        ("{{REPORT_DATE}}", crate::date::iso(today)),
        ("{{LOT}}", format!("{made}A")),
        ("{{LOT_MADE}}", made),
    ]
}

/// Writes `dir`'s files under `to`; `fill` gives the text to write in place of each
/// placeholder (the starter files'), or is empty (the theme's and plugins' files are
/// written byte for byte).
fn write_tree(dir: &Dir, to: &Path, fill: &[(&str, String)]) -> std::io::Result<usize> {
    let mut n = 0;
    for file in dir.files() {
        // `gitignore` is stored without its dot, so it does not apply to this repository.
        let rel = match file.path().to_str() {
            Some("gitignore") => Path::new(".gitignore"),
            _ => file.path(),
        };
        let path = to.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        match file.contents_utf8() {
            Some(text) if !fill.is_empty() => {
                let text = fill
                    .iter()
                    .fold(text.to_string(), |t, (from, to)| t.replace(from, to));
                fs::write(path, text)?;
            }
            _ => fs::write(path, file.contents())?,
        }
        n += 1;
    }
    for sub in dir.dirs() {
        n += write_tree(sub, to, fill)?;
    }
    Ok(n)
}

/// Writes the new site; returns the exit code.
pub fn run(dir: &Path) -> u8 {
    match create(dir) {
        Ok(n) => {
            println!("Created a new site in {} ({n} files).", dir.display());
            println!(
                "Next: cd {}, then `certpress serve --open` to preview it, `certpress check`, \
                 `certpress issue` and `certpress build` (its README.md says more)",
                dir.display()
            );
            0
        }
        Err(m) => {
            eprintln!("error: {m}");
            2
        }
    }
}

pub fn create(dir: &Path) -> Result<usize, String> {
    if dir.exists() && fs::read_dir(dir).map_or(true, |mut rd| rd.next().is_some()) {
        return Err(format!("{} already exists and is not empty", dir.display()));
    }
    let today = crate::site::default_as_of()?;
    let mut n = write_tree(&STARTER, dir, &placeholders(today))
        .map_err(|e| format!("cannot write {}: {e}", dir.display()))?;
    fs::create_dir_all(dir.join("content/assets")).map_err(|e| e.to_string())?;
    n += write_tree(&THEME, &dir.join("themes/default"), &[]).map_err(|e| e.to_string())?;
    n += write_tree(&PLUGINS, &dir.join("plugins"), &[]).map_err(|e| e.to_string())?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Date {
        crate::date::RecordDate::parse_day(s).unwrap()
    }

    #[test]
    fn sample_dates_follow_the_day_new_runs() {
        let at = |s| {
            placeholders(day(s))
                .into_iter()
                .map(|(_, v)| v)
                .collect::<Vec<_>>()
        };
        assert_eq!(at("2026-12-05"), ["2026-12-05", "2026-12A", "2026-12"]);
        assert_eq!(at("2027-01-10"), ["2027-01-10", "2027-01A", "2027-01"]);
        assert_eq!(at("2028-03-01"), ["2028-03-01", "2028-03A", "2028-03"]);
    }
}
