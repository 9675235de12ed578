//! The command line (SPEC §9). Exit codes: 0 success; 1 content errors, or any
//! diagnostic under `--strict`; 2 usage or configuration errors.

use crate::config::LabelFormat;
use crate::date::RecordDate;
use crate::diagnostic::Diagnostics;
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
    /// Check the site and report every problem, without writing anything.
    Check {
        /// Print one JSON document (SPEC §9) instead of human-readable diagnostics.
        #[arg(long, conflicts_with = "explain")]
        json: bool,
        /// Show, for each plugin, why each requirement applies to PRODUCT or not: the
        /// condition, the record values it read, and the evidence matched.
        #[arg(long, value_name = "PRODUCT")]
        explain: Option<String>,
        #[command(flatten)]
        judge: Judge,
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
    let (overrides, strict_flag) = match &cli.command {
        Command::New { dir } => return crate::scaffold::run(dir),
        Command::Build {
            base_url, judge, ..
        } => (
            Overrides {
                as_of: judge.as_of,
                base_url: base_url.clone(),
            },
            judge.strict,
        ),
        Command::Check { judge, .. } | Command::Issue { judge } => (
            Overrides {
                as_of: judge.as_of,
                base_url: None,
            },
            judge.strict,
        ),
        Command::Plugins => (Overrides::default(), false),
        Command::Labels { judge, .. } => (
            Overrides {
                as_of: judge.as_of,
                base_url: None,
            },
            judge.strict,
        ),
    };
    let root = match locate_root(cli.root) {
        Ok(r) => r,
        Err(m) => {
            eprintln!("error: {m}");
            return 2;
        }
    };
    // `issue` reads, extends and rewrites the ledger: runs on one site take turns, holding
    // the lock from before the ledger is loaded until this returns, so a second run sees
    // the first one's versions and issues nothing twice.
    let _issuing = match &cli.command {
        Command::Issue { .. } => match crate::ledger::SiteLock::acquire(&root, || {
            eprintln!("Waiting for another `certpress issue` on this site to finish…")
        }) {
            Ok(lock) => Some(lock),
            Err(e) => {
                eprintln!("error: cannot lock {} for `issue`: {e}", root.display());
                return 2;
            }
        },
        _ => None,
    };
    let started = std::time::Instant::now();
    let (site, mut diags) = site::load(&root, &overrides);
    let strict = strict_flag || site.as_ref().is_some_and(|s| s.config.strict);
    // Assess only when the configuration (plugins included) loaded cleanly: a plugin
    // that failed to compile would make every product look unregulated.
    let assessed = site
        .as_ref()
        .filter(|_| diags.exit_code(false) != 2)
        .map(|site| {
            let assessed = crate::assess::assess_site(site);
            diags.extend(assessed.diagnostics.iter().cloned());
            diags.extend(crate::assess::gap_diagnostics(site, &assessed));
            diags.sort();
            assessed
        });
    // The ledger of issued certificates, and where each certificate stands against it.
    let locked = matches!(cli.command, Command::Build { locked: true, .. });
    let mut ledger = crate::ledger::Ledger::default();
    let mut review = crate::ledger::Review::default();
    if let (Some(site), Some(assessed)) = (&site, &assessed) {
        match crate::ledger::Ledger::load(&site.root) {
            Ok(l) => {
                ledger = l;
                // Every version the configured output publishes must still be in the
                // ledger: `issue` must not issue a removed version again, and `check` says
                // why `build` will fail. (`build` checks the folder it replaces.)
                if matches!(cli.command, Command::Issue { .. } | Command::Check { .. })
                    && let Err(d) = crate::ledger::check_published(
                        &ledger,
                        &site.root,
                        &site.root.join(&site.config.output),
                    )
                {
                    diags.push(d);
                }
            }
            Err(d) => diags.push(d),
        }
        review = crate::ledger::review(site, assessed, &ledger);
        if !matches!(cli.command, Command::Issue { .. }) {
            diags.extend(crate::ledger::diagnostics(site, &review, locked));
        }
        diags.sort();
    }

    match cli.command {
        Command::New { .. } => unreachable!("handled above"),
        Command::Plugins => {
            if diags.exit_code(false) == 2 {
                report::human(&root, &diags);
                return 2;
            }
            match &site {
                Some(site) => {
                    let text = crate::plugins::describe(&site.plugins, &site.vocabulary);
                    print!("{}", report::terminal_safe(&text));
                    0
                }
                None => 2,
            }
        }
        Command::Issue { .. } => {
            report::human(&root, &diags);
            let Some(site) = site.filter(|_| !diags.has_errors()) else {
                report::summary(&diags, "issue");
                eprintln!("Nothing was issued; certificates.lock was left as it was.");
                return exit_code(&diags, strict).max(1);
            };
            let issued = ledger.issue(&review.ready, site.as_of);
            if let Err(e) = ledger.save(&site.root) {
                eprintln!("error: cannot write {}: {e}", crate::ledger::FILE);
                return 2;
            }
            // One line per new version, unless there are too many to read.
            if issued.len() <= 200 {
                for i in &issued {
                    println!("Issued {} v{}", i.number, i.version);
                }
            }
            let blocked = review
                .standing
                .values()
                .filter(|s| **s == crate::ledger::Standing::Blocked)
                .count();
            println!(
                "{} issued; {} ready certificates in all; {} blocked by gaps (not issued){}",
                plural(issued.len(), "new version"),
                review.ready.len(),
                blocked,
                warnings_suffix(&diags)
            );
            exit_code(&diags, strict)
        }
        Command::Check { json, explain, .. } => {
            // A theme that cannot render fails `build`; `check` says so first.
            if let Some(site) = &site {
                match crate::theme::load(&site.root, &site.config.theme) {
                    Ok(theme) => diags.extend(theme.warnings),
                    Err(ds) => diags.extend(ds),
                }
                diags.sort();
            }
            if let Some(id) = explain {
                return explain_product(site.as_ref(), assessed.as_ref(), &id, &root, &diags);
            }
            if json {
                println!("{}", report::json(site.as_ref(), assessed.as_ref(), &diags));
            } else {
                report::human(&root, &diags);
                report::summary(&diags, "check");
            }
            exit_code(&diags, strict)
        }
        Command::Labels {
            request, output, ..
        } => {
            report::human(&root, &diags);
            let (Some(site), Some(assessed)) = (site, assessed) else {
                return exit_code(&diags, strict).max(1);
            };
            if diags.has_errors() {
                report::summary(&diags, "labels");
                return exit_code(&diags, strict);
            }
            let target = output.unwrap_or_else(|| site.root.join(&site.config.output));
            let register = crate::register::Register::new(&ledger, &review);
            let request = request.into();
            match print_labels(&site, &assessed, &register, &request, &target) {
                Ok(summary) => {
                    println!(
                        "{summary} → {}",
                        display_path(&root, &target.join("labels"))
                    );
                    exit_code(&diags, strict)
                }
                Err(ds) => {
                    let mut all = Diagnostics::default();
                    all.extend(ds);
                    report::human(&root, &all);
                    eprintln!("No label was written; the previous labels were left as they were.");
                    exit_code(&all, false).max(1)
                }
            }
        }
        Command::Build { output, .. } => {
            let Some(site) = site else {
                report::human(&root, &diags);
                return exit_code(&diags, strict);
            };
            let register = crate::register::Register::new(&ledger, &review);
            let built = crate::build::build(
                &site,
                assessed.as_ref().map(|a| (a, &register)),
                output,
                strict,
                &mut diags,
            );
            report::human(&root, &diags);
            match built {
                Some(b) => {
                    println!(
                        "Built {}, {} and {} and copied {} in {:.2} s → {}{}",
                        plural(b.rendered.pages, "page"),
                        plural(b.rendered.data_files, "data file"),
                        plural(b.rendered.labels, "label"),
                        plural(b.rendered.files_copied, "file"),
                        started.elapsed().as_secs_f64(),
                        display_path(&root, &b.output),
                        warnings_suffix(&diags)
                    );
                    0
                }
                None => {
                    report::summary(&diags, "build");
                    eprintln!("The build failed; the previous output was left as it was.");
                    exit_code(&diags, strict).max(1)
                }
            }
        }
    }
}

/// `labels`' options; the library takes them as a [`crate::label::print::Request`].
#[derive(clap::Args, Debug)]
pub struct LabelsArgs {
    /// Only this product's labels.
    #[arg(long, value_name = "ID")]
    pub product: Option<String>,
    /// Only this lot's label (with --product).
    #[arg(long, value_name = "LOT", requires = "product")]
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

/// `labels` writes as `build` does: into a folder certpress may replace, staged beside
/// it, and swapped in whole (`<output>/labels/` only) when every file is written.
fn print_labels(
    site: &crate::site::Site,
    assessed: &crate::assess::Assessed,
    register: &crate::register::Register,
    request: &crate::label::print::Request,
    target: &Path,
) -> Result<String, Vec<crate::diagnostic::Diagnostic>> {
    use crate::output;
    let _claim = output::claim(&site.root, target, || {
        eprintln!(
            "Waiting for another certpress run writing {} to finish…",
            target.display()
        )
    })
    .map_err(|d| vec![d])?;
    let _sweeper = output::sweep_trash(target);
    let failed = |e: std::io::Error| {
        vec![
            crate::diagnostic::Diagnostic::error(
                "write-failed",
                target.display().to_string(),
                format!("cannot write the labels: {e}"),
            )
            .config(),
        ]
    };
    let staging = output::Staging::subtree(target, "labels").map_err(failed)?;
    let summary = crate::label::print::run(site, assessed, register, request, &staging)?;
    staging.commit().map_err(failed)?;
    Ok(summary)
}

fn explain_product(
    site: Option<&crate::site::Site>,
    assessed: Option<&crate::assess::Assessed>,
    id: &str,
    root: &Path,
    diags: &Diagnostics,
) -> u8 {
    let (Some(site), Some(assessed)) = (site, assessed) else {
        report::human(root, diags);
        return 2;
    };
    let Some(product) = site.content.products.iter().find(|p| p.id == id) else {
        let known: Vec<&str> = site
            .content
            .products
            .iter()
            .map(|p| p.id.as_str())
            .collect();
        eprintln!(
            "error: no product `{id}` (or its record has errors); products: {}",
            known.join(", ")
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

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn warnings_suffix(diags: &Diagnostics) -> String {
    match diags.warnings() {
        0 => String::new(),
        1 => " (1 warning)".into(),
        n => format!(" ({n} warnings)"),
    }
}

fn display_path(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .map_or_else(|_| p.display().to_string(), |r| format!("{}/", r.display()))
}
