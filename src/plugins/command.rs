//! Command plugins (SPEC §5): a program in the plugin's folder that assesses products.
//!
//! Protocol 1: the host sends ONE JSON request per build on the program's stdin,
//! `{"protocol":1,"as_of":..,"plugin":..,"products":[..]}`, and reads one JSON response
//! on stdout, `{"protocol":1,"assessments":[..],"diagnostics":[..]}`; stderr passes
//! through as the plugin's log. stdin is written on its own thread while stdout is
//! read, so neither side can block the other however large the batch, and the run is
//! bounded by a timeout. The wire types are versioned, tolerant of fields they do not
//! know, and pinned by a golden test (tests/golden/).

use crate::assessment::{Assessment, CertificateStatus, LabelText, RequirementStatus};
use crate::content::Product;
use crate::plugins::Vocabulary;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The default time a command plugin has for a whole build's batch.
pub const DEFAULT_TIMEOUT_SECONDS: u64 = 60;

#[derive(Debug, Clone)]
pub struct CommandPlugin {
    /// The program, inside the plugin's folder.
    pub program: PathBuf,
    /// The plugin's folder: the program runs there.
    pub dir: PathBuf,
    pub timeout: Duration,
}

/// Checks the `command:` of a plugin: a relative path inside the plugin's folder that
/// exists and is a file.
pub fn resolve(dir: &Path, command: &str) -> Result<PathBuf, String> {
    let rel = Path::new(command);
    if rel.is_absolute()
        || !rel
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(format!(
            "command `{command}` must be a relative path inside the plugin's folder"
        ));
    }
    let full = dir.join(rel);
    match (full.canonicalize(), dir.canonicalize()) {
        (Ok(f), Ok(d)) if f.starts_with(&d) && f.is_file() => Ok(f),
        (Ok(_), Ok(_)) => Err(format!(
            "command `{command}` is not a file inside the plugin's folder"
        )),
        _ => Err(format!(
            "command `{command}` does not exist in {}",
            dir.display()
        )),
    }
}

// ---------- The wire format, protocol 1 ----------

#[derive(Serialize, Debug)]
pub struct Request<'a> {
    pub protocol: u32,
    pub plugin: &'a str,
    pub as_of: String,
    pub products: Vec<WireProduct<'a>>,
}

#[derive(Serialize, Debug)]
pub struct WireParty<'a> {
    pub id: &'a str,
    pub kind: &'static str,
    pub name: &'a str,
    pub country: Option<&'a str>,
    pub accreditations: &'a BTreeMap<String, String>,
}

impl<'a> WireParty<'a> {
    fn new(p: &'a crate::content::Party) -> Self {
        WireParty {
            id: &p.id,
            kind: p.kind.as_str(),
            name: &p.name,
            country: p.country.as_deref(),
            accreditations: &p.accreditations,
        }
    }
}

#[derive(Serialize, Debug)]
pub struct WireLot<'a> {
    pub lot: &'a str,
    pub made: String,
    pub place: &'a str,
}

#[derive(Serialize, Debug)]
pub struct WireEvidence<'a> {
    pub report: &'a str,
    pub lab: WireParty<'a>,
    pub date: String,
    pub covers: &'a [String],
    pub result: crate::content::TestResult,
    pub lots: &'a [String],
}

/// A product as a command plugin receives it: the validated record, every declared
/// attribute and declaration filled in, parties resolved.
#[derive(Serialize, Debug)]
pub struct WireProduct<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub brand: Option<&'a str>,
    pub model: &'a str,
    pub gtin: Option<String>,
    pub categories: &'a [String],
    pub age: Option<crate::content::Age>,
    pub attributes: BTreeMap<&'a str, &'a crate::plugins::AttrValue>,
    pub declarations: BTreeMap<&'a str, bool>,
    pub markets: Vec<&'a str>,
    pub status: crate::content::Status,
    pub manufacturer: WireParty<'a>,
    pub importers: BTreeMap<&'a str, WireParty<'a>>,
    pub lots: Vec<WireLot<'a>>,
    pub evidence: Vec<WireEvidence<'a>>,
}

impl<'a> WireProduct<'a> {
    pub fn new(p: &'a Product, vocabulary: &'a Vocabulary) -> Self {
        WireProduct {
            id: &p.id,
            name: &p.name,
            brand: p.brand.as_deref(),
            model: &p.model,
            gtin: p.gtin.map(|g| g.as_gtin14()),
            categories: &p.categories,
            age: p.age,
            attributes: vocabulary
                .attributes
                .iter()
                .map(|(k, a)| (k.as_str(), p.attributes.get(k).unwrap_or(&a.default)))
                .collect(),
            declarations: vocabulary
                .declarations
                .keys()
                .map(|k| (k.as_str(), p.declarations.get(k).copied().unwrap_or(false)))
                .collect(),
            markets: p.markets.iter().map(|m| m.code()).collect(),
            status: p.status,
            manufacturer: WireParty::new(&p.manufacturer),
            importers: p
                .importers
                .iter()
                .map(|(m, i)| (m.code(), WireParty::new(i)))
                .collect(),
            lots: p
                .lots
                .iter()
                .map(|l| WireLot {
                    lot: &l.lot,
                    made: l.made.to_string(),
                    place: &l.place,
                })
                .collect(),
            evidence: p
                .evidence
                .iter()
                .map(|e| WireEvidence {
                    report: &e.report,
                    lab: WireParty::new(&e.lab),
                    date: crate::date::iso(e.date),
                    covers: &e.covers,
                    result: e.result,
                    lots: &e.lots,
                })
                .collect(),
        }
    }
}

#[derive(Deserialize, Debug)]
pub struct Response {
    pub protocol: u32,
    #[serde(default)]
    pub assessments: Vec<WireAssessment>,
    #[serde(default)]
    pub diagnostics: Vec<WireDiagnostic>,
}

#[derive(Deserialize, Debug)]
pub struct WireAssessment {
    pub product: String,
    pub market: String,
    #[serde(default)]
    pub certificate: Option<CertificateStatus>,
    #[serde(default)]
    pub requirements: Vec<RequirementStatus>,
    #[serde(default)]
    pub labels: Vec<LabelText>,
    #[serde(default)]
    pub marks: Vec<String>,
}

#[derive(Deserialize, Debug)]
pub struct WireDiagnostic {
    #[serde(default = "error_word")]
    pub severity: String,
    #[serde(default = "plugin_code")]
    pub code: String,
    #[serde(default)]
    pub product: Option<String>,
    pub message: String,
}

fn error_word() -> String {
    "error".into()
}
fn plugin_code() -> String {
    "plugin-diagnostic".into()
}

/// Why a command plugin's run failed, for one error naming the plugin.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RunError {
    #[error("could not start `{0}`: {1}")]
    Start(String, String),
    #[error("did not answer within {0} s and was stopped")]
    Timeout(u64),
    #[error("exited with {0} (its messages are above, on stderr)")]
    Crashed(String),
    #[error("answered with invalid JSON: {0}")]
    BadJson(String),
    #[error("answered in protocol {0}, but this certpress speaks protocol {1}")]
    Protocol(u32, u32),
}

impl CommandPlugin {
    /// Runs the program once with `request`; returns its parsed response.
    pub fn run(&self, request: &Request) -> Result<Response, RunError> {
        let body = serde_json::to_vec(request)
            .map_err(|e| RunError::Start(self.program.display().to_string(), e.to_string()))?;
        let mut child = Process::new(&self.program)
            .current_dir(&self.dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| RunError::Start(self.program.display().to_string(), e.to_string()))?;
        let mut stdin = child.stdin.take().expect("stdin was piped");
        let mut stdout = child.stdout.take().expect("stdout was piped");
        // Writing on its own thread: a plugin that answers while still reading must not
        // deadlock against a full pipe. A plugin that stops reading early gets EPIPE,
        // which is its choice, not an error of the host.
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&body);
        });
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut out = Vec::new();
            let r = stdout.read_to_end(&mut out).map(|_| out);
            let _ = tx.send(r);
        });
        let output = match rx.recv_timeout(self.timeout) {
            Ok(r) => r.map_err(|e| RunError::Crashed(e.to_string()))?,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(RunError::Timeout(self.timeout.as_secs()));
            }
        };
        let _ = writer.join();
        let status = child.wait().map_err(|e| RunError::Crashed(e.to_string()))?;
        if !status.success() {
            return Err(RunError::Crashed(status.to_string()));
        }
        parse_response(&output)
    }
}

/// Parses a response, checking the protocol first.
pub fn parse_response(bytes: &[u8]) -> Result<Response, RunError> {
    #[derive(Deserialize)]
    struct Probe {
        protocol: Option<u32>,
    }
    let probe: Probe =
        serde_json::from_slice(bytes).map_err(|e| RunError::BadJson(e.to_string()))?;
    match probe.protocol {
        Some(p) if p == super::PROTOCOL => {}
        Some(p) => return Err(RunError::Protocol(p, super::PROTOCOL)),
        None => return Err(RunError::BadJson("no `protocol` field".into())),
    }
    serde_json::from_slice(bytes).map_err(|e| RunError::BadJson(e.to_string()))
}

/// Turns a response's assessments into the host's, checking they are about products and
/// markets that were asked for.
pub fn assessments(
    plugin: &str,
    response: Response,
    asked: &[&str],
) -> Result<Vec<(String, Assessment)>, RunError> {
    let mut out = Vec::new();
    for a in response.assessments {
        if !asked.contains(&a.product.as_str()) {
            return Err(RunError::BadJson(format!(
                "an assessment for product `{}`, which was not in the request",
                a.product
            )));
        }
        out.push((
            a.product,
            Assessment {
                plugin: plugin.to_string(),
                market: a.market,
                certificate: a.certificate,
                requirements: a.requirements,
                labels: a.labels,
                marks: a.marks,
            },
        ));
    }
    Ok(out)
}
