//! The command line. Exit codes: 0 success; 1 content errors, or any
//! diagnostic under `--strict`; 2 usage or configuration errors.

use crate::config::LabelFormat;
use crate::date::RecordDate;
use crate::diagnostic::Diagnostics;
use crate::pipeline::{Pipeline, Purpose};
use crate::report;
use crate::site::{self, Overrides};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use time::Date;

#[derive(Parser, Debug)]
#[command(
    name = "certpress",
    version,
    about = "Product-safety certificate sites and labels from YAML records"
)]
pub struct Cli {
    /// The site folder (default: the nearest folder, from here upward, holding site.toml).
    #[arg(long, global = true, value_name = "DIR")]
    root: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Create a new site that builds straight away (default theme and plugins included).
    New {
        /// Folder to create (must not exist, or be empty).
        dir: PathBuf,
    },
    /// Build the site into the output folder (swapped in only when the build succeeds).
    Build {
        /// Output folder (default: build.output from site.toml).
        #[arg(long, value_name = "DIR")]
        output: Option<PathBuf>,
        /// Override base_url (e.g. for a staging host).
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
        /// Fail when a ready certificate is not issued in certificates.lock as it stands.
        #[arg(long)]
        locked: bool,
        /// Write every file again: ignore what the previous build wrote (by default a
        /// file whose bytes did not change is kept, and a build with nothing changed
        /// writes nothing).
        #[arg(long)]
        clean: bool,
        #[command(flatten)]
        judge: Judge,
    },
    /// Record every ready certificate whose content changed in certificates.lock, as a
    /// new version dated as_of (earlier versions are kept).
    Issue {
        #[command(flatten)]
        judge: Judge,
    },
    /// List the enabled plugins: versions, markets, rule counts and vocabulary.
    Plugins,
    /// Print labels: one per lot (and per product without lots) in each format, and a
    /// PDF sheet, into <output>/labels/ (where `build` puts them).
    Labels {
        #[command(flatten)]
        request: LabelsArgs,
        /// Output folder (default: build.output from site.toml).
        #[arg(long, value_name = "DIR")]
        output: Option<PathBuf>,
        #[command(flatten)]
        judge: Judge,
    },
    /// Preview the site while you edit it: build it into memory, serve it on 127.0.0.1,
    /// and rebuild and reload the open pages on every change to site.toml, content/,
    /// plugins/, themes/ or certificates.lock. Nothing is written to disk.
    Serve {
        /// Port to listen on (default: a free one).
        #[arg(long, value_name = "N")]
        port: Option<u16>,
        /// Open the site in the default browser.
        #[arg(long)]
        open: bool,
        /// The date rules and test ages are judged on (YYYY-MM-DD; default: as_of in
        /// site.toml, else SOURCE_DATE_EPOCH, else today in UTC).
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        as_of: Option<Date>,
    },
    /// Create and update records from spreadsheets (CSV, XLSX, ODS) laid out as `export
    /// csv` writes them: products, lots, evidence and parties. Every cell and then the
    /// resulting site are checked first; nothing is written unless all is valid.
    Import {
        /// The sheets: CSV (any delimiter, UTF-8, UTF-16 or Windows-1252), XLSX, ODS.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// A TOML file: [columns] other headers, [fixed] values for every row, [sheets]
        /// which kind a sheet holds.
        #[arg(long, value_name = "FILE")]
        mapping: Option<PathBuf>,
        /// Print a unified diff of each record that would change, and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// The date the site is checked on (YYYY-MM-DD; default: as_of in site.toml,
        /// else SOURCE_DATE_EPOCH, else today in UTC).
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        as_of: Option<Date>,
    },
    /// Check the site and report every problem, without writing anything.
    Check {
        /// Print one JSON document instead of human-readable diagnostics: `as_of`, each
        /// product's assessments (requirements, certificate, labels, marks) and
        /// `diagnostics` (severity, code, file, line, column, message).
        #[arg(long, conflicts_with = "explain")]
        json: bool,
        /// Show, for each plugin, why each requirement applies to PRODUCT or not: the
        /// condition, the record values it read, and the evidence matched.
        #[arg(long, value_name = "PRODUCT")]
        explain: Option<String>,
        /// Warn of every test report that backs a certificate and lapses within DAYS of
        /// as_of under its retest interval (default: [reminders] days in site.toml, 60).
        #[arg(long, value_name = "DAYS", value_parser = days)]
        due: Option<u32>,
        #[command(flatten)]
        judge: Judge,
    },
    /// Write files for others from the records, into exports/ (never into the public site).
    Export {
        #[command(subcommand)]
        what: Export,
    },
}

/// What `export` writes. Each is a file for someone outside the site (a calendar, a
/// regulator's data set, ...), made from the same assessment `check` makes.
#[derive(Subcommand, Debug)]
enum Export {
    /// An iCalendar file (exports/retests.ics) with an event on the last day each test
    /// report backing a certificate counts, before its retest interval runs out.
    Calendar {
        /// Folder to write retests.ics into (default: exports/ in the site folder; never
        /// inside the build output).
        #[arg(long, value_name = "DIR")]
        output: Option<PathBuf>,
        /// Only the reports that lapse within DAYS of as_of (default: every future lapse).
        #[arg(long, value_name = "DAYS", value_parser = days)]
        due: Option<u32>,
        /// The date the reports are judged on (YYYY-MM-DD; default: as_of in site.toml,
        /// else SOURCE_DATE_EPOCH, else today in UTC).
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        as_of: Option<Date>,
    },
    /// CPSC eFiling data for the US certificates (CPC, GCC) in force: the full data set
    /// per certificate version and lot (cpsc-efiling.json with its schema, and
    /// cpsc-efiling.csv), the Reference ids per SKU and lot (cpsc-reference.csv) and the
    /// US products that need a disclaim (cpsc-disclaim.csv).
    Efiling {
        /// Folder to write the files into (default: exports/ in the site folder; never
        /// inside the build output).
        #[arg(long, value_name = "DIR")]
        output: Option<PathBuf>,
        /// The date certificates are judged on (YYYY-MM-DD; default: as_of in
        /// site.toml, else SOURCE_DATE_EPOCH, else today in UTC).
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        as_of: Option<Date>,
    },
    /// Per product sold in the US, a folder for a marketplace's compliance page: the
    /// certificate PDF in force, the test report files its evidence names, and a
    /// checklist (checklist.json, checklist.html) of what marketplaces reject
    /// certificates for.
    Marketplace {
        /// Folder to write the product folders into (default: exports/marketplace/ in
        /// the site folder; never inside the build output).
        #[arg(long, value_name = "DIR")]
        output: Option<PathBuf>,
        /// The date certificates are judged on (YYYY-MM-DD; default: as_of in
        /// site.toml, else SOURCE_DATE_EPOCH, else today in UTC).
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        as_of: Option<Date>,
    },
    /// The records as spreadsheets: products.csv, lots.csv, evidence.csv and
    /// parties.csv (headers are the records' key paths), and labels.csv for label
    /// software (a row per label: the QR payload, the tracking label's text, and each
    /// market's statements and marks). A cell a spreadsheet would run as a formula gets
    /// a leading `'`.
    Csv {
        /// Folder to write the files into (default: exports/ in the site folder; never
        /// inside the build output).
        #[arg(long, value_name = "DIR")]
        output: Option<PathBuf>,
        /// Also write records.xlsx: the same sheets in one workbook, every cell text.
        #[arg(long)]
        xlsx: bool,
        /// The date the label requirements are judged on (YYYY-MM-DD; default: as_of in
        /// site.toml, else SOURCE_DATE_EPOCH, else today in UTC).
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        as_of: Option<Date>,
    },
}

#[derive(clap::Args, Debug)]
struct Judge {
    /// The date rules and test ages are judged on (YYYY-MM-DD; default: as_of in
    /// site.toml, else SOURCE_DATE_EPOCH, else today in UTC).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    as_of: Option<Date>,
    /// Treat every warning as an error.
    #[arg(long)]
    strict: bool,
}

/// `--due DAYS`: as `[reminders] days` takes it.
fn days(s: &str) -> Result<u32, String> {
    let max = crate::config::MAX_REMINDER_DAYS;
    s.parse::<u32>()
        .ok()
        .filter(|d| *d <= max)
        .ok_or_else(|| format!("`{s}` is not a number of days from 0 to {max}"))
}

fn parse_date(s: &str) -> Result<Date, String> {
    RecordDate::parse_day(s).map_err(|e| e.to_string())
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    ExitCode::from(run(cli))
}

fn locate_root(explicit: Option<PathBuf>) -> Result<PathBuf, String> {
    match explicit {
        Some(r) if r.join(crate::config::FILE).is_file() => Ok(r),
        Some(r) => Err(format!("{} holds no site.toml", r.display())),
        None => {
            let here = std::env::current_dir()
                .map_err(|e| format!("cannot read the current folder: {e}"))?;
            site::find_root(&here).ok_or_else(|| {
                format!(
                    "no site.toml in {} or any folder above it (use --root DIR, or `certpress new DIR`)",
                    here.display()
                )
            })
        }
    }
}

fn run(cli: Cli) -> u8 {
    let root = match &cli.command {
        Command::New { dir } => return crate::scaffold::run(dir),
        _ => match locate_root(cli.root) {
            Ok(r) => r,
            Err(m) => {
                eprintln!("error: {m}");
                return 2;
            }
        },
    };
    match cli.command {
        Command::New { .. } => unreachable!("handled above"),
        Command::Plugins => plugins(&root),
        Command::Check {
            json,
            explain,
            due,
            judge,
        } => check(&root, json, explain, due, &judge),
        Command::Export { what } => match what {
            Export::Calendar { output, due, as_of } => calendar(&root, output, due, as_of),
            Export::Efiling { output, as_of } => efiling(&root, output, as_of),
            Export::Marketplace { output, as_of } => marketplace(&root, output, as_of),
            Export::Csv {
                output,
                xlsx,
                as_of,
            } => sheets(&root, output, xlsx, as_of),
        },
        Command::Import {
            files,
            mapping,
            dry_run,
            as_of,
        } => crate::import::run(
            &root,
            &crate::import::Options {
                files,
                mapping,
                dry_run,
                as_of,
            },
        ),
        Command::Issue { judge } => issue(&root, &judge),
        Command::Serve { port, open, as_of } => serve(
            &root,
            &crate::serve::Options {
                port: port.unwrap_or(0),
                as_of,
            },
            open,
        ),
        Command::Labels {
            request,
            output,
            judge,
        } => labels(&root, request.into(), output, &judge),
        Command::Build {
            output,
            base_url,
            locked,
            clean,
            judge,
        } => build(&root, output, base_url, locked, clean, &judge),
    }
}

impl Judge {
    fn overrides(&self) -> Overrides {
        Overrides {
            as_of: self.as_of,
            base_url: None,
            ..Default::default()
        }
    }

    /// `--strict`, or `strict = true` in site.toml.
    fn strict(&self, p: &Pipeline) -> bool {
        self.strict || p.site.as_ref().is_some_and(|s| s.config.strict)
    }
}

fn plugins(root: &Path) -> u8 {
    let p = Pipeline::load(root, &Overrides::default());
    match &p.site {
        Some(site) if p.diagnostics.exit_code(false) != 2 => {
            let text = crate::plugins::describe(&site.plugins, &site.vocabulary);
            print!("{}", report::terminal_safe(&text));
            0
        }
        _ => {
            report::human(root, &p.diagnostics);
            2
        }
    }
}

fn check(root: &Path, json: bool, explain: Option<String>, due: Option<u32>, judge: &Judge) -> u8 {
    let mut laps = crate::timings::Laps::new();
    // A site whose products need not be held together is checked a batch of products
    // at a time (a million products in the memory of a few thousand).
    if explain.is_none() {
        let mut stdout = std::io::stdout().lock();
        let ask = crate::batch::Ask {
            due_days: due,
            json: json.then_some(&mut stdout as &mut dyn std::io::Write),
            batch: crate::batch::BATCH,
        };
        match crate::batch::check(root, &judge.overrides(), ask, &mut laps) {
            Ok(Some(checked)) if json => {
                let code = exit_code(
                    &checked.pipeline.diagnostics,
                    judge.strict(&checked.pipeline),
                );
                drop(checked);
                laps.lap("drop");
                laps.report();
                return code;
            }
            Ok(Some(checked)) => {
                return check_report(root, checked.pipeline, &checked.due, judge, laps);
            }
            Ok(None) => laps = crate::timings::Laps::new(),
            Err(e) => {
                eprintln!("error: cannot write the report: {e}");
                return 2;
            }
        }
    }
    let mut p = Pipeline::load(root, &judge.overrides());
    laps.lap_load("load");
    if let (Some(days), Some(site)) = (due, p.site.as_mut()) {
        site.config.reminder_days = days;
    }
    p.assess();
    laps.lap("assess");
    p.review(Purpose::Check);
    laps.lap("review");
    p.remind();
    laps.lap("remind");
    // A theme that cannot render fails `build`; `check` says so first.
    p.theme();
    laps.lap("theme");
    if let Some(id) = explain {
        return explain_product(&p, &id);
    }
    if json {
        println!(
            "{}",
            report::json(p.site.as_ref(), p.assessed.as_ref(), &p.diagnostics)
        );
        laps.lap("report");
        let code = exit_code(&p.diagnostics, judge.strict(&p));
        drop(p);
        laps.lap("drop");
        laps.report();
        return code;
    }
    let due = match &p.site {
        Some(site) => p.due(Some(site.config.reminder_days)),
        None => Vec::new(),
    };
    check_report(root, p, &due, judge, laps)
}

/// `check`'s report on the terminal: every problem, the certificates that reports due
/// soon would block, the summary; the exit code.
fn check_report(
    root: &Path,
    p: Pipeline,
    due: &[crate::due::Due],
    judge: &Judge,
    mut laps: crate::timings::Laps,
) -> u8 {
    report::human(root, &p.diagnostics);
    if let Some(site) = &p.site {
        let window = site.config.reminder_days;
        if let Some(text) = crate::due::blocked_summary(due, window) {
            eprintln!("{}", report::terminal_safe(&text));
        }
    }
    report::summary(&p.diagnostics, "check");
    laps.lap("report");
    let code = exit_code(&p.diagnostics, judge.strict(&p));
    drop(p);
    laps.lap("drop");
    laps.report();
    code
}

/// Why an export wrote nothing (the records' errors, their summary, then `nothing`);
/// the exit code.
fn export_failed(root: &Path, p: &Pipeline, what: &str, nothing: &str) -> u8 {
    report::human(root, &p.diagnostics);
    report::summary(&p.diagnostics, what);
    eprintln!("{nothing}");
    exit_code(&p.diagnostics, false).max(1)
}

/// The folder an export writes into (`--output`, else exports/), or the exit code after
/// saying why it may not (inside the site's output folder, ...).
fn export_target(site: &crate::site::Site, output: Option<PathBuf>) -> Result<PathBuf, u8> {
    crate::export::target(site, output).map_err(|m| {
        eprintln!("{}", report::terminal_safe(&format!("error: {m}")));
        2
    })
}

fn calendar(root: &Path, output: Option<PathBuf>, due: Option<u32>, as_of: Option<Date>) -> u8 {
    let overrides = Overrides {
        as_of,
        base_url: None,
        ..Default::default()
    };
    let mut p = Pipeline::load(root, &overrides);
    p.assess();
    // A calendar made from records with errors would leave their products out.
    let (Some(site), false) = (&p.site, p.diagnostics.has_errors()) else {
        return export_failed(root, &p, "export calendar", "No calendar was written.");
    };
    let target = match export_target(site, output) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let due = p.due(due);
    let text = crate::calendar::calendar(site, &due);
    match crate::export::write(&target, crate::calendar::FILE, text.as_bytes()) {
        Ok(path) => {
            println!(
                "Wrote {} → {}",
                plural(due.len(), "retest date"),
                display_file(root, &path)
            );
            0
        }
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", target.display());
            2
        }
    }
}

fn efiling(root: &Path, output: Option<PathBuf>, as_of: Option<Date>) -> u8 {
    let overrides = Overrides {
        as_of,
        base_url: None,
        ..Default::default()
    };
    let mut p = Pipeline::load(root, &overrides);
    // Which version is in force comes from the review, as for pages and labels.
    p.assess().review(Purpose::Publish { locked: false });
    let failed =
        |p: &Pipeline| export_failed(root, p, "export efiling", "No eFiling files were written.");
    // Records with errors would leave their products, and their certificates, out.
    let (Some(site), Some(assessed), false) = (&p.site, &p.assessed, p.diagnostics.has_errors())
    else {
        return failed(&p);
    };
    let target = match export_target(site, output) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let export = match crate::efiling::export_site(site, assessed, &p.register()) {
        Ok(e) => e,
        Err(problems) => {
            p.diagnostics.extend(problems);
            p.diagnostics.sort();
            return failed(&p);
        }
    };
    // A catalogue of thousands would print thousands of lines: the first ones say what
    // kind of thing is meant, a count says how many more.
    const SHOWN: usize = 20;
    for (what, list) in [("Skipped", &export.skipped), ("Note", &export.notes)] {
        for (number, text) in list.iter().take(SHOWN) {
            println!(
                "{}",
                report::terminal_safe(&format!("{what} {number}: {text}"))
            );
        }
        if list.len() > SHOWN {
            println!("{what}: … and {} more", list.len() - SHOWN);
        }
    }
    for (name, bytes) in &export.files {
        if let Err(e) = crate::export::write(&target, name, bytes) {
            eprintln!("error: cannot write {}: {e}", target.join(name).display());
            return 2;
        }
    }
    println!(
        "Wrote {} and {} → {}",
        plural(export.certificates, "certificate version"),
        plural(export.disclaims, "disclaim"),
        display_file(root, &target)
    );
    0
}

fn sheets(root: &Path, output: Option<PathBuf>, xlsx: bool, as_of: Option<Date>) -> u8 {
    let overrides = Overrides {
        as_of,
        base_url: None,
        ..Default::default()
    };
    let mut p = Pipeline::load(root, &overrides);
    // labels.csv carries what the assessment asks of each label.
    p.assess();
    // A sheet made from records with errors would leave those records out, and an
    // import of it would take them for deleted.
    let (Some(site), Some(assessed), false) = (&p.site, &p.assessed, p.diagnostics.has_errors())
    else {
        return export_failed(root, &p, "export csv", "No spreadsheets were written.");
    };
    let target = match export_target(site, output) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let sheets = crate::sheet::sheets(site, assessed);
    let mut files: Vec<(&str, Vec<u8>, String)> = sheets
        .iter()
        .map(|s| (s.file, s.csv(), plural(s.grid.rows.len(), "row")))
        .collect();
    if xlsx {
        match crate::sheet::xlsx::workbook(&sheets, site.as_of) {
            Ok(bytes) => files.push((
                crate::sheet::xlsx::FILE,
                bytes,
                plural(sheets.len(), "sheet"),
            )),
            Err(e) => {
                eprintln!("error: cannot make {}: {e}", crate::sheet::xlsx::FILE);
                return 2;
            }
        }
    }
    for (name, bytes, what) in &files {
        match crate::export::write(&target, name, bytes) {
            Ok(path) => println!(
                "{}",
                report::terminal_safe(&format!("Wrote {what} → {}", display_file(root, &path)))
            ),
            Err(e) => {
                eprintln!("error: cannot write {}: {e}", target.join(name).display());
                return 2;
            }
        }
    }
    0
}

fn marketplace(root: &Path, output: Option<PathBuf>, as_of: Option<Date>) -> u8 {
    let overrides = Overrides {
        as_of,
        base_url: None,
        ..Default::default()
    };
    let mut p = Pipeline::load(root, &overrides);
    // Which version is in force comes from the review, as for pages and labels.
    p.assess().review(Purpose::Publish { locked: false });
    let theme = p.theme();
    let failed = |p: &Pipeline| {
        export_failed(
            root,
            p,
            "export marketplace",
            "No marketplace files were written.",
        )
    };
    // Records with errors would leave their products, and their certificates, out.
    let (Some(site), Some(assessed), Some(theme), false) =
        (&p.site, &p.assessed, &theme, p.diagnostics.has_errors())
    else {
        return failed(&p);
    };
    let default = output.is_none();
    let target = match export_target(site, output) {
        Ok(t) if default => t.join(crate::marketplace::FOLDER),
        Ok(t) => t,
        Err(code) => return code,
    };
    let folders = match theme
        .fonts()
        .map_err(|d| vec![d])
        .and_then(|fonts| crate::marketplace::export(site, assessed, &p.register(), &fonts))
    {
        Ok(f) => f,
        Err(problems) => {
            p.diagnostics.extend(problems);
            p.diagnostics.sort();
            return failed(&p);
        }
    };
    // The site folder is anyone's: a link planted where the default folder or a product's
    // folder goes must not send files elsewhere (`--output` itself is the user's own
    // choice and may be a link). Checked for every folder before any is written.
    let planted = default
        .then(|| target.clone())
        .into_iter()
        .chain(folders.iter().map(|f| target.join(&f.product)))
        .find(|d| std::fs::symlink_metadata(d).is_ok_and(|m| m.file_type().is_symlink()));
    if let Some(link) = planted {
        eprintln!(
            "{}",
            report::terminal_safe(&format!(
                "error: {} is a link: marketplace folders are written into real folders; nothing was written",
                link.display()
            ))
        );
        return 2;
    }
    for folder in &folders {
        let dir = target.join(&folder.product);
        for path in crate::marketplace::stale(&dir, &folder.files) {
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    eprintln!("error: cannot remove {}: {e}", path.display());
                    return 2;
                }
                _ => {}
            }
        }
        for (name, bytes) in &folder.files {
            if let Err(e) = crate::export::write(&dir, name, bytes) {
                eprintln!("error: cannot write {}: {e}", dir.join(name).display());
                return 2;
            }
        }
        let c = &folder.checklist;
        let failing: Vec<&str> = c
            .items
            .iter()
            .filter(|i| i.status == crate::marketplace::checklist::Verdict::Fail)
            .map(|i| i.id.as_str())
            .collect();
        let line = if failing.is_empty() {
            format!("{}: {} pass", c.product, c.passes)
        } else {
            format!(
                "{}: {} pass, {} fail ({})",
                c.product,
                c.passes,
                c.fails,
                failing.join(", ")
            )
        };
        println!("{}", report::terminal_safe(&line));
    }
    println!(
        "Wrote {} → {}",
        plural(folders.len(), "product folder"),
        display_path(root, &target)
    );
    0
}

fn issue(root: &Path, judge: &Judge) -> u8 {
    // `issue` reads, extends and rewrites the ledger: runs on one site take turns, holding
    // the lock from before the ledger is loaded until this returns, so a second run sees
    // the first one's versions and issues nothing twice.
    let _issuing = match crate::ledger::SiteLock::acquire(root, || {
        eprintln!("Waiting for another `certpress issue` on this site to finish…")
    }) {
        Ok(lock) => lock,
        Err(e) => {
            eprintln!("error: cannot lock {} for `issue`: {e}", root.display());
            return 2;
        }
    };
    let mut p = Pipeline::load(root, &judge.overrides());
    p.assess().review(Purpose::Issue);
    let strict = judge.strict(&p);
    report::human(root, &p.diagnostics);
    if p.site.is_none() || p.diagnostics.has_errors() {
        report::summary(&p.diagnostics, "issue");
        eprintln!("Nothing was issued; certificates.lock was left as it was.");
        return exit_code(&p.diagnostics, strict).max(1);
    }
    let issued = match p.issue() {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", crate::ledger::FILE);
            return 2;
        }
    };
    // One line per new version, unless there are too many to read.
    if issued.len() <= 200 {
        for i in &issued {
            println!("Issued {} v{}", i.number, i.version);
        }
    }
    let blocked = p
        .review
        .standing
        .values()
        .filter(|s| **s == crate::ledger::Standing::Blocked)
        .count();
    println!(
        "{} issued; {} ready certificates in all; {} blocked by gaps (not issued){}",
        plural(issued.len(), "new version"),
        p.review.ready.len(),
        blocked,
        warnings_suffix(&p.diagnostics)
    );
    exit_code(&p.diagnostics, strict)
}

fn labels(
    root: &Path,
    request: crate::label::print::Request,
    output: Option<PathBuf>,
    judge: &Judge,
) -> u8 {
    let mut p = Pipeline::load(root, &judge.overrides());
    // A product, lot, sheet, template or printer that does not exist is a mistake in the
    // command (exit 2), said before anything else, with what does exist.
    if let Some(site) = &p.site
        && let Some(usage) = request.usage_error(site, p.diagnostics.has_errors())
    {
        eprintln!("{}", report::terminal_safe(&usage.to_string()));
        return 2;
    }
    p.assess().review(Purpose::Publish { locked: false });
    let strict = judge.strict(&p);
    p.placeholder_base_url(strict);
    report::human(root, &p.diagnostics);
    let Some(site) = &p.site else {
        return exit_code(&p.diagnostics, strict).max(1);
    };
    if p.assessed.is_none() || p.diagnostics.has_errors() {
        report::summary(&p.diagnostics, "labels");
        return exit_code(&p.diagnostics, strict).max(1);
    }
    let target = site.output(output.as_deref());
    match p.labels(&request, &target) {
        Ok(summary) => {
            println!("{summary} → {}", display_path(root, &target.join("labels")));
            exit_code(&p.diagnostics, strict)
        }
        Err(ds) => {
            let mut all = Diagnostics::default();
            all.extend(ds);
            report::human(root, &all);
            eprintln!("No label was written; the previous labels were left as they were.");
            exit_code(&all, false).max(1)
        }
    }
}

fn serve(root: &Path, options: &crate::serve::Options, open: bool) -> u8 {
    let shown = root.to_path_buf();
    // Warnings are printed when they change, not on every save.
    let mut printed: Option<Vec<crate::diagnostic::Diagnostic>> = None;
    let report = move |o: &crate::serve::Outcome| {
        let now: Vec<_> = o.diagnostics.iter().cloned().collect();
        if printed.as_ref() != Some(&now) {
            report::human(&shown, &o.diagnostics);
            printed = Some(now);
        }
        match &o.rendered {
            Some(r) => println!(
                "{} {} and {} in {:.2} s{}",
                if o.incremental {
                    "Rebuilt what changed:"
                } else {
                    "Built"
                },
                plural(r.pages, "page"),
                plural(r.labels, "label"),
                o.elapsed.as_secs_f64(),
                warnings_suffix(&o.diagnostics)
            ),
            None => eprintln!(
                "The site did not build: the browser shows the errors over the last pages that built. Fix and save to rebuild."
            ),
        }
    };
    let running = match crate::serve::Serve::start(root, options, report) {
        Ok(s) => s,
        Err(m) => {
            eprintln!("error: {m}");
            return 2;
        }
    };
    let url = running.url();
    println!(
        "Serving the site at {url}\nEdits to site.toml, content/, plugins/, themes/ and certificates.lock rebuild it and reload the page. Ctrl+C to stop."
    );
    if open {
        open_browser(&url);
    }
    running.wait();
    0
}

/// Opens `url` in the desktop's browser; says so when it cannot (the URL is printed).
fn open_browser(url: &str) {
    let program = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    let opened = std::process::Command::new(program)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if let Err(e) = opened {
        eprintln!("warning: cannot open a browser ({program}: {e}); open {url} yourself");
    }
}

fn build(
    root: &Path,
    output: Option<PathBuf>,
    base_url: Option<String>,
    locked: bool,
    clean: bool,
    judge: &Judge,
) -> u8 {
    let started = std::time::Instant::now();
    // Everything besides the sources that changes what a build makes or says, read
    // before the sources are: an edit made during the build is seen by the next one.
    let settings = vec![
        format!("base_url {base_url:?}"),
        format!("as_of {:?}", judge.as_of),
        format!("strict {} locked {locked}", judge.strict),
        format!(
            "SOURCE_DATE_EPOCH {:?}",
            std::env::var_os("SOURCE_DATE_EPOCH")
        ),
        format!("today {}", time::OffsetDateTime::now_utc().date()),
    ];
    let sources = crate::fingerprint::read(root, &settings);
    if !clean
        && let Some(up) = sources
            .as_ref()
            .and_then(|s| crate::pipeline::up_to_date(root, output.as_deref(), &s.whole()))
    {
        // What the build that made this output reported, as it said it.
        eprint!("{}", up.summary.report);
        println!(
            "{} in {:.2} s → {} (nothing changed: no file written){}",
            built_what(&up.summary),
            started.elapsed().as_secs_f64(),
            display_path(root, &up.output),
            warnings_count_suffix(up.summary.warnings)
        );
        return 0;
    }
    let overrides = Overrides {
        base_url,
        ..judge.overrides()
    };
    let reuse = crate::pipeline::Reuse { sources, clean };
    // A catalogue larger than a batch is built a batch at a time where it can be.
    let ask = crate::batch::build::Ask {
        output: output.clone(),
        locked,
        strict: judge.strict,
        reuse: &reuse,
        batch: crate::batch::BUILD_BATCH,
    };
    let mut laps = crate::timings::Laps::new();
    let batched = crate::batch::build::build(root, &overrides, ask, &mut laps);
    laps.report();
    let (p, built) = batched.unwrap_or_else(|| {
        let mut p = Pipeline::load(root, &overrides);
        p.assess().review(Purpose::Publish { locked });
        let strict = judge.strict(&p);
        p.placeholder_base_url(strict)
            .dropped_pdfs(output.as_deref());
        let built = p.build(output, strict, &reuse);
        (p, built)
    });
    let strict = judge.strict(&p);
    report::human(root, &p.diagnostics);
    match built {
        Some(b) => {
            // After an edit to records: how little was rendered.
            let partial = b.partial.map_or_else(String::new, |x| {
                format!(
                    "; rendered only what {} and {} feed: {}, {} kept unread",
                    plural(x.products, "changed product"),
                    plural(x.certificates, "certificate"),
                    plural(x.files as usize, "file"),
                    x.carried
                )
            });
            println!(
                "{} in {:.2} s → {} ({} written, {} unchanged{}){}",
                built_what(&b.summary),
                started.elapsed().as_secs_f64(),
                display_path(root, &b.output),
                plural(b.written as usize, "file"),
                b.kept,
                partial,
                warnings_suffix(&p.diagnostics)
            );
            0
        }
        None => {
            report::summary(&p.diagnostics, "build");
            eprintln!("The build failed; the previous output was left as it was.");
            exit_code(&p.diagnostics, strict).max(1)
        }
    }
}

/// `labels`' options; the library takes them as a [`crate::label::print::Request`].
#[derive(clap::Args, Debug)]
pub struct LabelsArgs {
    /// Only this product's labels.
    #[arg(long, value_name = "ID")]
    pub product: Option<String>,
    /// Only this lot's label (with --product: without it, the products with this lot
    /// are listed).
    #[arg(long, value_name = "LOT")]
    pub lot: Option<String>,
    /// Formats to write (repeatable; default: labels.formats in site.toml).
    #[arg(long = "format", value_enum, value_name = "FORMAT")]
    pub formats: Vec<FormatArg>,
    /// Sheet layout for the labels' size and the PDF sheet (default: labels.sheet).
    #[arg(long, value_name = "LAYOUT")]
    pub sheet: Option<String>,
    /// Label template in themes/<theme>/labels/ (default: labels.template).
    #[arg(long, value_name = "NAME")]
    pub template: Option<String>,
    /// First free position on a partly used sheet (1 = top left, row by row).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub start_at: u32,
    /// Printer whose calibration to apply ([labels.printers.<name>] in site.toml).
    #[arg(long, value_name = "NAME")]
    pub printer: Option<String>,
    /// Resolution for PNG and ZPL (default: labels.dpi; Zebra printers: 203, 300, 600).
    #[arg(long, value_name = "DPI", value_parser = clap::value_parser!(u32).range(72..=2400))]
    pub dpi: Option<u32>,
    /// Write the sheet's outline test page (every position outlined and numbered, to
    /// print on plain paper and hold against a sheet) instead of labels.
    #[arg(long)]
    pub outline: bool,
}

impl From<LabelsArgs> for crate::label::print::Request {
    fn from(a: LabelsArgs) -> Self {
        Self {
            product: a.product,
            lot: a.lot,
            formats: a.formats.into_iter().map(LabelFormat::from).collect(),
            sheet: a.sheet,
            template: a.template,
            start_at: a.start_at,
            printer: a.printer,
            dpi: a.dpi,
            outline: a.outline,
        }
    }
}

/// `--format`: the label formats, as the command line spells them.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum FormatArg {
    Svg,
    Png,
    Pdf,
    Zpl,
}

impl From<FormatArg> for LabelFormat {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Svg => LabelFormat::Svg,
            FormatArg::Png => LabelFormat::Png,
            FormatArg::Pdf => LabelFormat::Pdf,
            FormatArg::Zpl => LabelFormat::Zpl,
        }
    }
}

fn explain_product(p: &Pipeline, id: &str) -> u8 {
    let (Some(site), Some(assessed)) = (&p.site, &p.assessed) else {
        report::human(&p.root, &p.diagnostics);
        return 2;
    };
    let Some(product) = site.content.product(id) else {
        let known: Vec<&str> = site
            .content
            .products
            .iter()
            .map(|x| x.id.as_str())
            .collect();
        let likely = crate::suggest::closest(id, known.iter().copied())
            .map_or(String::new(), |c| format!("did you mean `{c}`? "));
        eprintln!(
            "{}",
            report::terminal_safe(&format!(
                "error: no product `{id}` (or its record has errors)\n  = help: {likely}products: {}",
                known.join(", ")
            ))
        );
        return 2;
    };
    let list = assessed.by_product.get(id).map_or(&[][..], Vec::as_slice);
    // Record values and plugin text: no control character reaches the terminal.
    let text = crate::explain::explain(site, product, list);
    print!("{}", report::terminal_safe(&text));
    0
}

fn exit_code(diags: &Diagnostics, strict: bool) -> u8 {
    diags.exit_code(strict) as u8
}

/// "Built 12 pages, 5 data files and 4 labels and copied 9 files": what a build made.
fn built_what(s: &crate::output::manifest::Summary) -> String {
    format!(
        "Built {}, {} and {} and copied {}",
        plural(s.pages, "page"),
        plural(s.data_files, "data file"),
        plural(s.labels, "label"),
        plural(s.files_copied, "file")
    )
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn warnings_suffix(diags: &Diagnostics) -> String {
    warnings_count_suffix(diags.warnings())
}

fn warnings_count_suffix(warnings: usize) -> String {
    match warnings {
        0 => String::new(),
        1 => " (1 warning)".into(),
        n => format!(" ({n} warnings)"),
    }
}

fn display_file(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .map_or_else(|_| p.display().to_string(), |r| r.display().to_string())
}

fn display_path(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .map_or_else(|_| p.display().to_string(), |r| format!("{}/", r.display()))
}
