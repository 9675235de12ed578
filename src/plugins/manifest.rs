//! Reading `plugin.yaml`: protocol check first, then the manifest itself.

use super::command::CommandPlugin;
use super::rules::{self, RawCertificate, RawMark, RawRequirement, RawRules, RawWarning, Rules};
use super::vocabulary::{RawVocabulary, Vocabulary};
use crate::diagnostic::Diagnostic;
use crate::ident::Market;
use crate::yaml::{self, Locator, YamlPath};
use crate::{source, ypath};
use serde::Deserialize;
use std::path::Path;

#[derive(Deserialize)]
struct ProtocolProbe {
    protocol: Option<serde_yaml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlugin {
    id: String,
    name: String,
    #[allow(dead_code)]
    protocol: u32,
    version: String,
    markets: Vec<String>,
    #[serde(default)]
    vocabulary: RawVocabulary,
    #[serde(default, deserialize_with = "crate::yaml::ordered_pairs")]
    define: Vec<(String, String)>,
    #[serde(default)]
    certificates: Vec<RawCertificate>,
    #[serde(default)]
    requirements: Vec<RawRequirement>,
    #[serde(default)]
    marks: Vec<RawMark>,
    #[serde(default)]
    warnings: Vec<RawWarning>,
    /// A command plugin's program, relative to the plugin's folder.
    command: Option<String>,
    timeout_seconds: Option<u64>,
}

/// A loaded plugin.
#[derive(Debug)]
pub struct Plugin {
    pub id: String,
    pub name: String,
    pub version: String,
    pub markets: Vec<Market>,
    /// `plugins/<id>/plugin.yaml`, relative to the site root.
    pub file: String,
    pub vocabulary: RawVocabulary,
    pub engine: Engine,
}

/// How a plugin assesses products: a plugin is a rule pack or a command plugin, never
/// both (a manifest with both is refused).
#[derive(Debug)]
pub enum Engine {
    /// The pack's conditions, compiled against the merged vocabulary. A pack whose
    /// conditions do not all compile keeps none: its errors are reported at load and it
    /// assesses nothing.
    Rules(Rules),
    /// A program that assesses by protocol 1.
    Command(CommandPlugin),
}

impl Plugin {
    /// The rule pack, for a pack; a command plugin has no conditions to show.
    pub fn rules(&self) -> Option<&Rules> {
        match &self.engine {
            Engine::Rules(rules) => Some(rules),
            Engine::Command(_) => None,
        }
    }
}

/// A manifest as read, before the vocabularies of all enabled plugins are merged: a
/// pack's conditions are type-checked against the merged vocabulary, so they compile
/// only then ([`Manifest::compile`]).
pub(super) struct Manifest {
    pub(super) id: String,
    name: String,
    version: String,
    pub(super) markets: Vec<Market>,
    pub(super) file: String,
    pub(super) vocabulary: RawVocabulary,
    source: Source,
    /// The manifest's text, to locate problems found after it was parsed.
    text: String,
}

/// What a manifest says about assessing, as written.
enum Source {
    Rules(RawRules),
    Command(CommandPlugin),
}

/// Loads the enabled plugins (all folders in `plugins/` when `enabled` is empty) in id
/// order, and merges their vocabularies.
pub fn load(
    root: &Path,
    enabled: &[crate::config::Enabled],
) -> (Vec<Plugin>, Vocabulary, Vec<Diagnostic>) {
    let dir = root.join("plugins");
    let mut diags = Vec::new();
    // (id, where site.toml enables it): every folder with a plugin.yaml when none is named.
    let mut ids: Vec<(String, usize, usize)> = if enabled.is_empty() {
        std::fs::read_dir(&dir)
            .map(|rd| {
                rd.filter_map(Result::ok)
                    // Whatever is there is read and reported (a FIFO or a link named
                    // plugin.yaml is an error, not a plugin silently left out).
                    .filter(|e| std::fs::symlink_metadata(e.path().join("plugin.yaml")).is_ok())
                    .map(|e| (e.file_name().to_string_lossy().into_owned(), 0, 0))
                    .collect()
            })
            .unwrap_or_default()
    } else {
        enabled
            .iter()
            .map(|e| (e.id.clone(), e.line, e.column))
            .collect()
    };
    ids.sort();
    ids.dedup_by(|a, b| a.0 == b.0);

    let mut manifests = Vec::new();
    for (id, line, column) in ids {
        let path = dir.join(&id).join("plugin.yaml");
        let rel = source::relative(root, &path);
        // Anything there but a file (a link, a FIFO) is read and refused by read_text.
        if std::fs::symlink_metadata(&path).is_err() {
            diags.push(
                Diagnostic::error(
                    "unknown-plugin",
                    crate::config::FILE,
                    format!("plugin `{id}` is enabled but {rel} does not exist"),
                )
                .at(line, column)
                .config(),
            );
            continue;
        }
        match load_one(root, &path, &id) {
            Ok(m) => manifests.push(m),
            Err(mut ds) => diags.append(&mut ds),
        }
    }
    if manifests.is_empty() && diags.is_empty() {
        diags.push(
            Diagnostic::error(
                "no-plugins",
                crate::config::FILE,
                "no plugins: plugins/ holds no plugin.yaml",
            )
            .with_help("`certpress new` creates a site with the shipped rule packs")
            .config(),
        );
    }
    let (mut vocabulary, mut vdiags) = Vocabulary::merge(&manifests);
    vocabulary.complete = diags.is_empty() && vdiags.is_empty();
    diags.append(&mut vdiags);
    let plugins = manifests
        .into_iter()
        .map(|m| {
            let (plugin, problems) = m.compile(&vocabulary);
            diags.extend(problems);
            plugin
        })
        .collect();
    (plugins, vocabulary, diags)
}

fn load_one(root: &Path, path: &Path, folder: &str) -> Result<Manifest, Vec<Diagnostic>> {
    let rel = source::relative(root, path);
    let text = source::read_text(root, path).map_err(|d| vec![d.config()])?;
    let located = |code, path: &YamlPath, message: String| {
        let (l, c) = Locator::new(&text).value(path);
        Diagnostic::error(code, &rel, message).at(l, c).config()
    };

    // A plugin written for another protocol may use keys this host does not know; say
    // what is really wrong before complaining about those keys.
    let probe: Result<ProtocolProbe, _> = yaml::parse(&text);
    if let Ok(ProtocolProbe { protocol: Some(p) }) = &probe
        && p.as_u64() != Some(u64::from(super::PROTOCOL))
    {
        return Err(vec![located(
            "protocol-mismatch",
            &ypath!["protocol"],
            format!(
                "plugin `{folder}` speaks protocol {}, but this certpress speaks protocol {}",
                serde_yaml::to_string(p).unwrap_or_default().trim(),
                super::PROTOCOL
            ),
        )]);
    }

    let raw: RawPlugin = yaml::parse(&text).map_err(|e| vec![e.diagnostic(&rel, 0).config()])?;
    let mut problems = Vec::new();
    if raw.id != folder {
        problems.push(located(
            "id-mismatch",
            &ypath!["id"],
            format!(
                "plugin id `{}` must equal its folder name `{folder}`",
                raw.id
            ),
        ));
    }
    let mut markets = Vec::new();
    for (i, m) in raw.markets.iter().enumerate() {
        match Market::parse(m) {
            Ok(m) => markets.push(m),
            Err(msg) => problems.push(located("bad-market", &ypath!["markets", i], msg)),
        }
    }
    problems.extend(
        raw.vocabulary
            .check()
            .into_iter()
            .map(|(path, msg)| located("bad-vocabulary", &path, msg)),
    );
    let has_rules = !(raw.define.is_empty()
        && raw.certificates.is_empty()
        && raw.requirements.is_empty()
        && raw.marks.is_empty()
        && raw.warnings.is_empty());
    let command = match &raw.command {
        None => None,
        Some(_) if has_rules => {
            problems.push(located(
                "bad-plugin",
                &ypath!["command"],
                "a plugin is a rule pack or a command plugin, not both".into(),
            ));
            None
        }
        Some(c) => match super::command::resolve(path.parent().unwrap_or(Path::new(".")), c) {
            Ok(program) => Some(CommandPlugin {
                program,
                dir: path.parent().unwrap_or(Path::new(".")).to_path_buf(),
                timeout: std::time::Duration::from_secs(
                    raw.timeout_seconds
                        .unwrap_or(super::command::DEFAULT_TIMEOUT_SECONDS),
                ),
            }),
            Err(m) => {
                problems.push(located("bad-plugin", &ypath!["command"], m));
                None
            }
        },
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    let source = match command {
        Some(command) => Source::Command(command),
        None => Source::Rules(RawRules {
            define: raw.define,
            certificates: raw.certificates,
            requirements: raw.requirements,
            marks: raw.marks,
            warnings: raw.warnings,
        }),
    };
    Ok(Manifest {
        id: raw.id,
        name: raw.name,
        version: raw.version,
        markets,
        file: rel,
        vocabulary: raw.vocabulary,
        source,
        text,
    })
}

impl Manifest {
    /// The plugin, its pack compiled against the merged vocabulary, with the problems
    /// found, located in `plugin.yaml`.
    fn compile(self, vocabulary: &Vocabulary) -> (Plugin, Vec<Diagnostic>) {
        let (engine, problems) = match &self.source {
            Source::Command(command) => (Engine::Command(command.clone()), Vec::new()),
            Source::Rules(raw) => {
                let (rules, problems) = self.compile_rules(raw, vocabulary);
                (Engine::Rules(rules), problems)
            }
        };
        let plugin = Plugin {
            id: self.id,
            name: self.name,
            version: self.version,
            markets: self.markets,
            file: self.file,
            vocabulary: self.vocabulary,
            engine,
        };
        (plugin, problems)
    }

    fn compile_rules(&self, raw: &RawRules, vocabulary: &Vocabulary) -> (Rules, Vec<Diagnostic>) {
        let locator = Locator::new(&self.text);
        let at = |path: &YamlPath, offset: usize| {
            let (line, column) = locator.value(path);
            // Point inside the condition: past the opening quote of a quoted scalar.
            let line_text = self
                .text
                .lines()
                .nth(line.saturating_sub(1))
                .unwrap_or_default();
            let quoted = line_text
                .chars()
                .nth(column.saturating_sub(1))
                .is_some_and(|c| c == '"' || c == '\'');
            (line, column + usize::from(quoted) + offset)
        };
        let mut diags: Vec<Diagnostic> = rules::check(raw, vocabulary)
            .into_iter()
            .map(|(path, message)| {
                let (line, column) = at(&path, 0);
                Diagnostic::error("bad-rule", &self.file, message)
                    .at(line, column)
                    .config()
            })
            .collect();
        let rules = match rules::compile(raw, vocabulary) {
            Ok(compiled) => compiled,
            Err(errors) => {
                diags.extend(errors.into_iter().map(|e| {
                    let (line, column) = at(&e.path, e.error.offset);
                    Diagnostic::error(
                        "bad-condition",
                        &self.file,
                        format!("{}: {}", e.path, e.error.message),
                    )
                    .at(line, column)
                    .config()
                }));
                Rules::default()
            }
        };
        (rules, diags)
    }
}
