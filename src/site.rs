//! The load stage: `site.toml`, plugins and content, resolved into one [`Site`].

use crate::config::{self, Config};
use crate::content::{self, Content};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::plugins::{self, Plugin, Vocabulary};
use crate::source;
use std::path::{Path, PathBuf};
use time::Date;

/// A loaded site: its configuration, plugins and validated content.
#[derive(Debug)]
pub struct Site {
    pub root: PathBuf,
    pub config: Config,
    /// The date rules and test ages are judged on.
    pub as_of: Date,
    pub plugins: Vec<Plugin>,
    pub vocabulary: Vocabulary,
    pub content: Content,
}

impl Site {
    /// The folder a build writes: `output` (`--output`) when given, else the configured
    /// `[build] output` in the site folder.
    pub fn output(&self, output: Option<&Path>) -> PathBuf {
        output.map_or_else(|| self.root.join(&self.config.output), Path::to_path_buf)
    }
}

/// What the command line may override.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub as_of: Option<Date>,
    pub base_url: Option<String>,
    /// Record texts read in place of the files on disk (`import` checks the site it is
    /// about to write); empty for every other command.
    pub overlay: content::Overlay,
}

/// Finds the site root: the nearest folder, from `start` upward, holding `site.toml`.
pub fn find_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|d| d.join(config::FILE).is_file())
        .map(Path::to_path_buf)
}

/// `as_of` when neither the command line nor site.toml sets it: SOURCE_DATE_EPOCH (for
/// reproducible builds), else today in UTC.
pub fn default_as_of() -> Result<Date, String> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(s) => {
            let secs: i64 = s
                .trim()
                .parse()
                .map_err(|_| format!("SOURCE_DATE_EPOCH `{s}` is not a number of seconds"))?;
            time::OffsetDateTime::from_unix_timestamp(secs)
                .map(|t| t.date())
                .map_err(|e| format!("SOURCE_DATE_EPOCH `{s}`: {e}"))
        }
        Err(_) => Ok(time::OffsetDateTime::now_utc().date()),
    }
}

/// Loads the site at `root`. Returns `None` only when the configuration itself cannot be
/// read; content errors come back as diagnostics beside a (partial) site.
pub fn load(root: &Path, overrides: &Overrides) -> (Option<Site>, Diagnostics) {
    load_cached(root, overrides, None)
}

/// [`load_cached`] after an edit to records only (`serve`): the configuration, plugins,
/// assets and guidance of `site` are kept, with `kept` (what the load that made `site`
/// found wrong outside the records), and only the records are read again, through
/// `cache`. `as_of` is worked out again: a preview left running past midnight moves on.
pub fn reload_records(
    mut site: Site,
    overrides: &Overrides,
    kept: &[Diagnostic],
    cache: &mut content::Cache,
) -> (Option<Site>, Diagnostics) {
    let mut diags = Diagnostics::default();
    diags.extend(kept.iter().cloned());
    if let Ok(d) = overrides
        .as_of
        .or(site.config.as_of)
        .map(Ok)
        .unwrap_or_else(default_as_of)
    {
        site.as_of = d;
    }
    let (parties, products) = content::load_records(
        &site.root,
        &overrides.overlay,
        &site.vocabulary,
        site.as_of,
        &mut diags,
        Some(cache),
    );
    site.content.parties = parties;
    site.content.products = products;
    diags.sort();
    (Some(site), diags)
}

/// [`load`], reading again only the records that changed since the load that filled
/// `cache` (`serve`).
pub fn load_cached(
    root: &Path,
    overrides: &Overrides,
    cache: Option<&mut content::Cache>,
) -> (Option<Site>, Diagnostics) {
    let (site, diags, _) = load_with(root, overrides, Records::All(cache));
    (site, diags)
}

/// [`load`] without the product records: the site's `content.products` is empty, and
/// what was left unread comes back for [`content::Batches`] (`check` of a large
/// catalogue). The command line's overlay is not read.
pub fn load_deferred(
    root: &Path,
    overrides: &Overrides,
) -> (Option<Site>, Diagnostics, Option<content::Unread>) {
    load_with(root, overrides, Records::Deferred)
}

/// Which records a load reads.
enum Records<'c> {
    All(Option<&'c mut content::Cache>),
    /// Parties only.
    Deferred,
}

fn load_with(
    root: &Path,
    overrides: &Overrides,
    records: Records,
) -> (Option<Site>, Diagnostics, Option<content::Unread>) {
    let mut diags = Diagnostics::default();
    let config_path = root.join(config::FILE);
    let text = match source::read_text(root, &config_path) {
        Ok(t) => t,
        Err(d) => {
            diags.push(d.config());
            return (None, diags, None);
        }
    };
    let mut config = match config::parse(&text) {
        Ok(c) => c,
        Err(ds) => {
            diags.extend(ds);
            return (None, diags, None);
        }
    };
    if let Some(url) = &overrides.base_url
        && let Err(m) = config.set_base_url(url)
    {
        diags.push(Diagnostic::error("bad-config", "--base-url", m).config());
        return (None, diags, None);
    }
    let as_of = match overrides
        .as_of
        .or(config.as_of)
        .map(Ok)
        .unwrap_or_else(default_as_of)
    {
        Ok(d) => d,
        Err(m) => {
            diags.push(Diagnostic::error("bad-config", "SOURCE_DATE_EPOCH", m).config());
            return (None, diags, None);
        }
    };

    let (plugins, vocabulary, plugin_diags) = plugins::load(root, &config.plugins);
    diags.extend(plugin_diags);
    let plugin_guidance: Vec<PathBuf> = plugins
        .iter()
        .filter_map(|p| {
            Path::new(&p.file)
                .parent()
                .map(|d| root.join(d).join("guidance"))
        })
        .filter(|d| d.is_dir())
        .collect();
    let (content, unread) = match records {
        Records::All(cache) => {
            let content = content::load_overlaid(
                root,
                &overrides.overlay,
                &vocabulary,
                as_of,
                config.base_path(),
                &plugin_guidance,
                &mut diags,
                cache,
            );
            (content, None)
        }
        Records::Deferred => {
            let (content, unread) =
                content::load_deferred(root, config.base_path(), &plugin_guidance, &mut diags);
            (content, Some(unread))
        }
    };
    diags.sort();
    (
        Some(Site {
            root: root.to_path_buf(),
            config,
            as_of,
            plugins,
            vocabulary,
            content,
        }),
        diags,
        unread,
    )
}
