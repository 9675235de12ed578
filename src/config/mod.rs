//! `site.toml`: raw structs that mirror the file, resolved into a validated [`Config`].

pub mod sheets;

use crate::date::RecordDate;
use crate::diagnostic::{Diagnostic, line_col};
use serde::Deserialize;
use std::path::{Component, Path, PathBuf};
use time::Date;
use toml::Spanned;
use url::Url;

pub const FILE: &str = "site.toml";

/// A printer's correction (site.toml `[labels.printers.<name>]`): content moves by the
/// offsets (mm, right and down) and scales about the page's top-left corner.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Calibration {
    pub x_offset_mm: f32,
    pub y_offset_mm: f32,
    pub x_scale: f32,
    pub y_scale: f32,
}

impl Default for Calibration {
    fn default() -> Self {
        Calibration {
            x_offset_mm: 0.0,
            y_offset_mm: 0.0,
            x_scale: 1.0,
            y_scale: 1.0,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    title: String,
    base_url: Spanned<String>,
    #[serde(default = "default_theme")]
    theme: Spanned<String>,
    #[serde(default = "default_language")]
    language: String,
    certificate_prefix: Option<Spanned<String>>,
    as_of: Option<Spanned<String>>,
    #[serde(default)]
    build: RawBuild,
    #[serde(default)]
    plugins: RawPlugins,
    #[serde(default)]
    labels: RawLabels,
    #[serde(default)]
    search: RawSearch,
    #[serde(default)]
    certificates: RawCertificates,
    #[serde(default)]
    reminders: RawReminders,
    #[serde(default)]
    extra: toml::Table,
}

fn default_theme() -> Spanned<String> {
    Spanned::new(0..0, "default".to_string())
}
fn default_language() -> String {
    "en".to_string()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBuild {
    #[serde(default = "default_output")]
    output: Spanned<String>,
    #[serde(default)]
    strict: bool,
    #[serde(default)]
    digital_link: Alias,
    #[serde(default)]
    version_in_force: Alias,
    #[serde(default)]
    certificate_pdfs: bool,
}
fn default_output() -> Spanned<String> {
    Spanned::new(0..0, "public".to_string())
}
impl Default for RawBuild {
    fn default() -> Self {
        RawBuild {
            output: default_output(),
            strict: false,
            digital_link: Alias::default(),
            version_in_force: Alias::default(),
            certificate_pdfs: false,
        }
    }
}

/// What a build publishes at a second URL of a page or PDF it already publishes: the GS1
/// Digital Link paths `/01/<gtin14>/` and `/01/<gtin14>/10/<lot>/` of product and lot pages
/// (`[build] digital_link`, SPEC §3), and the `/v<n>/` URLs of a certificate's version in
/// force, whose page and PDF are the certificate's own (`[build] version_in_force`).
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Alias {
    /// A byte copy (canonical to the original): no hop, but the file is published twice
    /// (Digital Link copies of a 10,000-product site's pages were about 650 MB of 3.6 GB;
    /// the versions in force's PDFs 430 MB).
    Copy,
    /// A page of a few hundred bytes that sends the browser on to the original
    /// (`rel=canonical`, a zero-second refresh and a link); for a PDF, a `_redirects` rule
    /// (hosts without redirect rules answer 404 there until the version is superseded,
    /// when it becomes a file of its own). The default: it keeps a large site within what
    /// static hosts take, and a phone that scans a label follows one refresh on any host.
    #[default]
    Stub,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPlugins {
    #[serde(default)]
    enabled: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawLabels {
    template: Spanned<String>,
    sheet: Spanned<String>,
    formats: Vec<LabelFormat>,
    dpi: Spanned<u32>,
    qr_error_correction: QrLevel,
    /// The printer whose calibration sheets use by default.
    printer: Option<Spanned<String>>,
    printers: std::collections::BTreeMap<String, Calibration>,
}

impl Default for RawLabels {
    fn default() -> Self {
        RawLabels {
            template: Spanned::new(0..0, "tracking".into()),
            sheet: Spanned::new(0..0, "avery-5163".into()),
            // The build publishes the SVG labels the product pages show; print formats
            // (PDF, PNG, ZPL) stay with `certpress labels --format` unless asked for here:
            // PDF labels were 370 MB of a 10,000-product site.
            formats: vec![LabelFormat::Svg],
            dpi: Spanned::new(0..0, 300),
            qr_error_correction: QrLevel::M,
            printer: None,
            printers: std::collections::BTreeMap::new(),
        }
    }
}

/// Label settings. They are read and checked now so a typo fails early; the label
/// printer uses them.
#[derive(Debug, Clone)]
pub struct Labels {
    /// A template name under `themes/<theme>/labels/`.
    pub template: String,
    /// A named sheet layout.
    pub sheet: String,
    pub formats: Vec<LabelFormat>,
    pub dpi: u32,
    pub qr_error_correction: QrLevel,
    /// The default printer (a key of `printers`).
    pub printer: Option<String>,
    /// Per-printer calibration: `[labels.printers.<name>]`.
    pub printers: std::collections::BTreeMap<String, Calibration>,
}

impl Labels {
    /// The calibration of `name` (or the default printer); none is the identity.
    pub fn calibration(&self, name: Option<&str>) -> Result<Calibration, String> {
        match name.or(self.printer.as_deref()) {
            None => Ok(Default::default()),
            Some(n) => self.printers.get(n).copied().ok_or_else(|| {
                let known: Vec<&str> = self.printers.keys().map(String::as_str).collect();
                format!(
                    "no printer `{n}` in site.toml: add [labels.printers.{n}] with x_offset_mm, y_offset_mm, x_scale, y_scale{}",
                    if known.is_empty() { String::new() } else { format!(" (known: {})", known.join(", ")) }
                )
            }),
        }
    }
}

/// A plugin listed in `[plugins] enabled`, with where it is listed.
#[derive(Debug, Clone)]
pub struct Enabled {
    pub id: String,
    pub line: usize,
    pub column: usize,
}

#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LabelFormat {
    Svg,
    Png,
    Pdf,
    Zpl,
}

#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum QrLevel {
    L,
    M,
    Q,
    H,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSearch {
    #[serde(default = "yes")]
    enabled: bool,
}
fn yes() -> bool {
    true
}
impl Default for RawSearch {
    fn default() -> Self {
        RawSearch { enabled: true }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawCertificates {
    #[serde(default)]
    paper: Paper,
}

/// The paper certificate PDFs are set on (`[certificates] paper`).
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Paper {
    /// US Letter for US certificates, A4 otherwise.
    #[default]
    Auto,
    A4,
    Letter,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReminders {
    /// Signed, so that `-5` is told it must not be negative rather than that it is not
    /// a `u32`.
    #[serde(default = "default_reminder_days")]
    days: Spanned<i64>,
}
fn default_reminder_days() -> Spanned<i64> {
    Spanned::new(0..0, i64::from(DEFAULT_REMINDER_DAYS))
}
impl Default for RawReminders {
    fn default() -> Self {
        RawReminders {
            days: default_reminder_days(),
        }
    }
}

/// `[reminders] days` when site.toml leaves it out (SPEC §3).
pub const DEFAULT_REMINDER_DAYS: u32 = 60;
/// The longest reminder window: a hundred years. Anything longer is a typo, and dates
/// that far ahead are past what the calendar arithmetic is asked to do.
pub const MAX_REMINDER_DAYS: u32 = 36_500;

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub title: String,
    /// Absolute, ending with `/`.
    pub base_url: Url,
    /// Where site.toml sets `base_url` (line, column); `None` once `--base-url` replaced it.
    pub base_url_at: Option<(usize, usize)>,
    pub theme: String,
    pub language: String,
    /// Upper-cased; starts every certificate number.
    pub certificate_prefix: String,
    /// Set in site.toml; the command line and the environment may supply it otherwise.
    pub as_of: Option<Date>,
    /// Relative to the site root.
    pub output: PathBuf,
    pub strict: bool,
    /// `[build] digital_link`: copies of pages or stubs at the GS1 Digital Link paths.
    pub digital_link: Alias,
    /// `[build] version_in_force`: copies or stubs at the `/v<n>/` URLs of each
    /// certificate's version in force.
    pub version_in_force: Alias,
    /// `[build] certificate_pdfs`: whether the site publishes each issued certificate
    /// version as a PDF beside its page. Off by default: the PDFs were 306 of a
    /// 10,000-product site's 1,141 MB and most of its rendering time, while the page itself
    /// prints to A4 and Letter and `export marketplace` makes the PDFs marketplaces ask for.
    pub certificate_pdfs: bool,
    /// Plugin ids to enable; empty means every folder in `plugins/`.
    pub plugins: Vec<Enabled>,
    pub labels: Labels,
    pub search: bool,
    /// `[certificates] paper`.
    pub certificate_paper: Paper,
    /// `[reminders] days`: `check` warns of test reports that lapse within this many
    /// days of `as_of` (`check --due DAYS` replaces it for one run).
    pub reminder_days: u32,
    pub extra: toml::Table,
}

impl Config {
    /// The URL path prefix, starting and ending with `/` (`/` for a site at the host root).
    pub fn base_path(&self) -> &str {
        self.base_url.path()
    }

    /// Replaces the base URL (from `--base-url`).
    pub fn set_base_url(&mut self, text: &str) -> Result<(), String> {
        self.base_url = parse_base_url(text)?;
        self.base_url_at = None;
        Ok(())
    }
}

/// Why `url` is a placeholder and not the address of a published site, if it is: a host
/// reserved for examples and tests (RFC 2606, RFC 6761) or this machine. Labels printed
/// with such a URL carry QR codes that lead nowhere.
pub fn placeholder(url: &Url) -> Option<String> {
    let host = match url.host()? {
        url::Host::Domain(d) => d.trim_end_matches('.').to_ascii_lowercase(),
        url::Host::Ipv4(ip) if ip.is_loopback() || ip.is_unspecified() => {
            return Some(format!("{ip} is this computer"));
        }
        url::Host::Ipv6(ip) if ip.is_loopback() || ip.is_unspecified() => {
            return Some(format!("{ip} is this computer"));
        }
        _ => return None,
    };
    let under = |name: &str| host == name || host.ends_with(&format!(".{name}"));
    if let Some(name) = ["example.com", "example.org", "example.net"]
        .into_iter()
        .find(|n| under(n))
    {
        return Some(format!("{name} is reserved for examples"));
    }
    if under("localhost") {
        return Some(format!("{host} is this computer"));
    }
    ["example", "test", "invalid"]
        .into_iter()
        .find(|tld| under(tld))
        .map(|tld| format!("`.{tld}` is a domain reserved for examples and tests"))
}

fn parse_base_url(text: &str) -> Result<Url, String> {
    let mut url = Url::parse(text).map_err(|e| format!("`{text}` is not an absolute URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(format!(
            "`{text}` must be an http:// or https:// URL with a host"
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("`{text}` must not carry a user name or password"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("`{text}` must not have a query or fragment"));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// A BCP 47-shaped tag: `en`, `en-GB`, `zh-Hant-TW`. It reaches `<html lang>`.
fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or_default();
    (2..=3).contains(&primary.len())
        && primary.bytes().all(|b| b.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// A path from the configuration that must stay inside the site folder.
fn is_contained(path: &Path) -> bool {
    !path.as_os_str().is_empty() && path.components().all(|c| matches!(c, Component::Normal(_)))
}

/// Reads and validates `site.toml`. Every problem is a configuration error (exit 2).
pub fn parse(text: &str) -> Result<Config, Vec<Diagnostic>> {
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map_or((0, 0), |s| line_col(text, s.start));
        let message = e.message().trim();
        // An unknown key names the nearest valid one (and all of them); a value outside
        // a closed set is a wrong value, with the choices.
        if let Some((code, message, help)) = crate::suggest::retell(message) {
            let mut d = Diagnostic::error(code, FILE, message)
                .at(line, column)
                .config();
            d.help = help;
            return vec![d];
        }
        let code = if message.contains("missing field") {
            "missing-key"
        } else {
            "bad-config"
        };
        vec![
            Diagnostic::error(code, FILE, message.to_string())
                .at(line, column)
                .config(),
        ]
    })?;

    let mut problems = Vec::new();
    let mut problem = |span: std::ops::Range<usize>, message: String| {
        let (line, column) = if span.is_empty() && span.start == 0 {
            (0, 0)
        } else {
            line_col(text, span.start)
        };
        problems.push(
            Diagnostic::error("bad-config", FILE, message)
                .at(line, column)
                .config(),
        );
    };

    let base_url_at = Some(line_col(text, raw.base_url.span().start));
    let base_url = parse_base_url(raw.base_url.get_ref()).unwrap_or_else(|m| {
        problem(raw.base_url.span(), format!("base_url: {m}"));
        Url::parse("http://localhost/").expect("static URL")
    });

    let theme = raw.theme.get_ref().clone();
    if !crate::ident::is_valid_id(&theme) {
        problem(
            raw.theme.span(),
            format!(
                "theme `{theme}` must be a folder name under themes/ (lower-case letters, digits, `-`)"
            ),
        );
    }

    let certificate_prefix = match &raw.certificate_prefix {
        None => "CERT".to_string(),
        Some(p) => {
            let upper = p.get_ref().to_ascii_uppercase();
            let ok = !upper.is_empty()
                && upper.len() <= 16
                && upper
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if !ok {
                problem(
                    p.span(),
                    format!(
                        "certificate_prefix `{}` must be 1–16 letters, digits or `-`",
                        p.get_ref()
                    ),
                );
            }
            upper
        }
    };

    let as_of = raw.as_of.as_ref().and_then(|a| {
        RecordDate::parse_day(a.get_ref())
            .map_err(|e| problem(a.span(), format!("as_of: {e}")))
            .ok()
    });

    let output = PathBuf::from(raw.build.output.get_ref());
    if !is_contained(&output) {
        problem(
            raw.build.output.span(),
            format!(
                "build.output `{}` must be a relative path inside the site folder",
                raw.build.output.get_ref()
            ),
        );
    }

    let mut plugins = Vec::new();
    for p in &raw.plugins.enabled {
        if crate::ident::is_valid_id(p.get_ref()) {
            let (line, column) = line_col(text, p.span().start);
            plugins.push(Enabled {
                id: p.get_ref().clone(),
                line,
                column,
            });
        } else {
            problem(
                p.span(),
                format!("plugin id `{}` is not a valid folder name", p.get_ref()),
            );
        }
    }

    let dpi = *raw.labels.dpi.get_ref();
    if !(72..=2400).contains(&dpi) {
        problem(
            raw.labels.dpi.span(),
            format!("labels.dpi {dpi} must be between 72 and 2400"),
        );
    }
    if let Some(p) = &raw.labels.printer
        && !raw.labels.printers.contains_key(p.get_ref())
    {
        problem(
            p.span(),
            format!(
                "labels.printer `{}` has no [labels.printers.{}] calibration",
                p.get_ref(),
                p.get_ref()
            ),
        );
    }
    for (name, c) in &raw.labels.printers {
        if c.x_scale <= 0.5 || c.x_scale >= 1.5 || c.y_scale <= 0.5 || c.y_scale >= 1.5 {
            problem(
                0..0,
                format!("labels.printers.{name}: scales must be near 1 (between 0.5 and 1.5)"),
            );
        }
    }
    // (A sheet that is not even a name is reported below, once.)
    if crate::ident::is_valid_id(raw.labels.sheet.get_ref())
        && sheets::find(raw.labels.sheet.get_ref()).is_none()
    {
        problem(
            raw.labels.sheet.span(),
            format!(
                "labels.sheet `{}` is not a known layout ({})",
                raw.labels.sheet.get_ref(),
                sheets::names()
            ),
        );
    }
    for (key, name) in [
        ("template", &raw.labels.template),
        ("sheet", &raw.labels.sheet),
    ] {
        if !crate::ident::is_valid_id(name.get_ref()) {
            problem(
                name.span(),
                format!(
                    "labels.{key} `{}` must be a name (lower-case letters, digits, `-`), not a path",
                    name.get_ref()
                ),
            );
        }
    }
    let days = *raw.reminders.days.get_ref();
    let reminder_days = u32::try_from(days)
        .ok()
        .filter(|d| *d <= MAX_REMINDER_DAYS)
        .unwrap_or_else(|| {
            problem(
                raw.reminders.days.span(),
                format!(
                    "reminders.days {days} must be a whole number of days from 0 to {MAX_REMINDER_DAYS}"
                ),
            );
            DEFAULT_REMINDER_DAYS
        });
    if !is_language_tag(&raw.language) {
        problem(
            0..0,
            format!(
                "language `{}` is not a language tag such as `en` or `en-GB`",
                raw.language
            ),
        );
    }

    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Config {
        title: raw.title,
        base_url,
        base_url_at,
        theme,
        language: raw.language,
        certificate_prefix,
        as_of,
        output,
        strict: raw.build.strict,
        digital_link: raw.build.digital_link,
        version_in_force: raw.build.version_in_force,
        certificate_pdfs: raw.build.certificate_pdfs,
        plugins,
        labels: Labels {
            template: raw.labels.template.into_inner(),
            sheet: raw.labels.sheet.into_inner(),
            formats: raw.labels.formats,
            dpi,
            qr_error_correction: raw.labels.qr_error_correction,
            printer: raw.labels.printer.map(Spanned::into_inner),
            printers: raw.labels.printers,
        },
        search: raw.search.enabled,
        certificate_paper: raw.certificates.paper,
        reminder_days,
        extra: raw.extra,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "title = \"T\"\nbase_url = \"https://certs.example/sub\"\n";

    #[test]
    fn defaults_fill_in() {
        let c = parse(MINIMAL).unwrap();
        assert_eq!(c.base_url.as_str(), "https://certs.example/sub/");
        assert_eq!(c.base_path(), "/sub/");
        assert_eq!(c.theme, "default");
        assert_eq!(c.certificate_prefix, "CERT");
        assert_eq!(c.output, PathBuf::from("public"));
        assert!(c.search);
        assert_eq!(c.labels.dpi, 300);
        assert_eq!(c.digital_link, Alias::Stub);
        assert_eq!(c.version_in_force, Alias::Stub);
        assert_eq!(c.labels.formats, [LabelFormat::Svg]);
        assert!(!c.certificate_pdfs);
        let c = parse(&format!("{MINIMAL}[build]\ncertificate_pdfs = true\n")).unwrap();
        assert!(c.certificate_pdfs);
    }

    #[test]
    fn version_in_force_is_copy_or_stub() {
        let c = parse(&format!("{MINIMAL}[build]\nversion_in_force = \"copy\"\n")).unwrap();
        assert_eq!(c.version_in_force, Alias::Copy);
        assert_eq!(c.digital_link, Alias::Stub);
        let e = parse(&format!("{MINIMAL}[build]\nversion_in_force = \"link\"\n")).unwrap_err();
        assert!(e[0].message.contains("`stub`"), "{}", e[0].message);
    }

    #[test]
    fn digital_link_is_copy_or_stub() {
        let c = parse(&format!("{MINIMAL}[build]\ndigital_link = \"copy\"\n")).unwrap();
        assert_eq!(c.digital_link, Alias::Copy);
        let c = parse(&format!("{MINIMAL}[build]\ndigital_link = \"stub\"\n")).unwrap();
        assert_eq!(c.digital_link, Alias::Stub);
        let e = parse(&format!("{MINIMAL}[build]\ndigital_link = \"redirect\"\n")).unwrap_err();
        assert_eq!(e[0].line, 4, "{e:?}");
        assert!(
            e[0].message.contains("`copy`") && e[0].message.contains("`stub`"),
            "{}",
            e[0].message
        );
        let e = parse(&format!("{MINIMAL}[build]\ndigitallink = \"copy\"\n")).unwrap_err();
        assert_eq!(e[0].code, "unknown-key");
        assert!(e[0].message.contains("`digital_link`"), "{}", e[0].message);
    }

    #[test]
    fn unknown_keys_name_the_valid_ones() {
        let e = parse(&format!("{MINIMAL}titel = \"x\"\n")).unwrap_err();
        assert_eq!(e[0].code, "unknown-key");
        assert_eq!(e[0].line, 3);
        assert!(
            e[0].message.contains("did you mean `title`?"),
            "{}",
            e[0].message
        );
        let help = e[0].help.as_deref().unwrap_or_default();
        assert!(help.contains("`base_url`"), "{help}");
        let e = parse(&format!("{MINIMAL}[build]\nouptut = \"x\"\n")).unwrap_err();
        assert!(e[0].message.contains("output"), "{}", e[0].message);
        let e = parse(&format!("{MINIMAL}[build]\nzzz = \"x\"\n")).unwrap_err();
        assert!(e[0].message.contains("valid fields: "), "{}", e[0].message);
        assert!(e[0].message.contains("`output`"), "{}", e[0].message);
    }

    #[test]
    fn semantic_problems_are_all_reported_with_positions() {
        let text = "title = \"T\"\nbase_url = \"ftp://x\"\nas_of = \"2026-02-30\"\n[build]\noutput = \"../elsewhere\"\n[labels]\ndpi = 5\nsheet = \"../../etc\"\n";
        let e = parse(text).unwrap_err();
        let lines: Vec<usize> = e.iter().map(|d| d.line).collect();
        assert_eq!(lines, vec![2, 3, 5, 7, 8], "{e:?}");
        let e = parse("title = \"T\"\nbase_url = \"https://u:p@x.example\"\n").unwrap_err();
        assert!(e[0].message.contains("password"));
        assert!(parse(&format!("{MINIMAL}language = \"en-GB\"\n")).is_ok());
        assert!(parse(&format!("{MINIMAL}language = \"<script>\"\n")).is_err());
        assert!(
            e.iter()
                .all(|d| d.origin == crate::diagnostic::Origin::Config)
        );
    }

    #[test]
    fn placeholder_hosts_are_told_from_real_ones() {
        let is = |u: &str| placeholder(&parse_base_url(u).unwrap());
        for u in [
            "https://certificates.example.com",
            "https://EXAMPLE.org/certs",
            "https://example.net.",
            "https://certs.littleoak.example",
            "https://certs.example.test",
            "http://x.invalid",
            "http://localhost:8080",
            "http://app.localhost",
            "http://127.0.0.1:3000",
            "http://[::1]/",
        ] {
            assert!(is(u).is_some(), "{u}");
        }
        for u in [
            "https://certs.littleoak.com",
            "https://myexample.com",
            "https://example.com.au",
            "https://testing.io",
            "http://192.168.1.10",
        ] {
            assert_eq!(is(u), None, "{u}");
        }
        assert!(is("https://x.example.com").unwrap().contains("example.com"));
        let c = parse(MINIMAL).unwrap();
        assert_eq!(c.base_url_at, Some((2, 12)));
    }

    #[test]
    fn reminders_take_a_number_of_days() {
        assert_eq!(parse(MINIMAL).unwrap().reminder_days, DEFAULT_REMINDER_DAYS);
        let c = parse(&format!("{MINIMAL}[reminders]\ndays = 0\n")).unwrap();
        assert_eq!(c.reminder_days, 0);
        let c = parse(&format!("{MINIMAL}[reminders]\ndays = 365\n")).unwrap();
        assert_eq!(c.reminder_days, 365);
        for bad in ["-1", "36501", "99999999999"] {
            let e = parse(&format!("{MINIMAL}[reminders]\ndays = {bad}\n")).unwrap_err();
            assert_eq!(
                (e[0].code, e[0].line, e[0].column),
                ("bad-config", 4, 8),
                "{bad}"
            );
            assert!(e[0].message.contains("reminders.days"), "{}", e[0].message);
        }
        let e = parse(&format!("{MINIMAL}[reminders]\ndays = \"60\"\n")).unwrap_err();
        assert_eq!((e[0].code, e[0].line), ("bad-config", 4), "{e:?}");
        let e = parse(&format!("{MINIMAL}[reminders]\ndayz = 30\n")).unwrap_err();
        assert_eq!((e[0].code, e[0].line), ("unknown-key", 4), "{e:?}");
        assert!(e[0].message.contains("`days`"), "{}", e[0].message);
    }

    #[test]
    fn prefix_is_upper_cased() {
        let c = parse(&format!("{MINIMAL}certificate_prefix = \"lo\"\n")).unwrap();
        assert_eq!(c.certificate_prefix, "LO");
    }
}
