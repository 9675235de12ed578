//! Command plugins (SPEC §5): a program in the plugin's folder that assesses products.
//!
//! Protocol 1: the host sends ONE JSON request per build on the program's stdin,
//! `{"protocol":1,"as_of":..,"plugin":..,"products":[..]}`, and reads one JSON response
//! on stdout, `{"protocol":1,"assessments":[..],"diagnostics":[..]}`; stderr passes
//! through as the plugin's log. stdin is written on its own thread while stdout is
//! read, so neither side can block the other however large the batch. One timeout
//! covers the whole exchange, up to the program's exit; the program runs in a process
//! group of its own, killed with everything in it when the exchange ends; what it
//! writes on stdout is capped ([`output_limit`]). Its diagnostics become the run's
//! ([`answer`]). The wire types are versioned, tolerant of fields they do not know, and
//! pinned by a golden test (tests/golden/).

use crate::assessment::{Answer, Assessment, CertificateStatus, LabelText, RequirementStatus};
use crate::content::Product;
use crate::diagnostic::Diagnostic;
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

/// A problem the plugin reports. It becomes a diagnostic of the run ([`answer`]): an
/// `error` counts as one (a build fails), a `warning` is a warning. Every field is
/// untrusted text, shown in the terminal (escaped by the report) and in JSON.
#[derive(Deserialize, Debug)]
pub struct WireDiagnostic {
    /// `error` (the default) or `warning`; anything else makes the response invalid.
    #[serde(default = "error_word")]
    pub severity: String,
    /// The plugin's own code for the problem, quoted in the message.
    #[serde(default)]
    pub code: Option<String>,
    /// The product the problem is about, one of the request's; none for a problem of
    /// the plugin itself.
    #[serde(default)]
    pub product: Option<String>,
    pub message: String,
}

fn error_word() -> String {
    "error".into()
}

/// Why a command plugin's run failed, for one error naming the plugin.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RunError {
    #[error("could not start `{0}`: {1}")]
    Start(String, String),
    #[error("did not finish within {0} s and was stopped, with every process it started")]
    Timeout(u64),
    #[error("exited with {0} (its messages are above, on stderr)")]
    Crashed(String),
    #[error("could not be read from: {0}")]
    Read(String),
    #[error(
        "wrote more than {} on stdout, the limit for {products} product(s) ({} plus {} a product), and was stopped",
        mib(*.limit),
        mib(OUTPUT_BASE),
        mib(OUTPUT_PER_PRODUCT)
    )]
    TooMuchOutput { limit: usize, products: usize },
    #[error("answered with invalid JSON: {0}")]
    BadJson(String),
    #[error("answered in protocol {0}, but this certpress speaks protocol {1}")]
    Protocol(u32, u32),
}

/// The answer a plugin may write on stdout, before it is stopped: a fixed part for the
/// envelope and diagnostics, and a part per product asked about. One assessment of the
/// shipped packs is 1.6 KB on average and 3.6 KB at most, and one product's assessments
/// by all five packs together at most 9.6 KB (the example site), so 64 KiB a product is
/// several times what even a plugin covering many markets writes, while a runaway
/// plugin costs the host at most this much memory, not all of it. The limit grows with
/// the batch because a legitimate answer does; for 10,000 products it is 641 MiB.
pub const OUTPUT_BASE: usize = 16 << 20;
/// See [`OUTPUT_BASE`].
pub const OUTPUT_PER_PRODUCT: usize = 64 << 10;

/// The most a plugin asked about `products` products may write on stdout.
pub fn output_limit(products: usize) -> usize {
    OUTPUT_BASE.saturating_add(OUTPUT_PER_PRODUCT.saturating_mul(products))
}

/// Bytes in MiB for messages, e.g. `16.1 MiB`.
fn mib(bytes: usize) -> String {
    let m = bytes as f64 / f64::from(1u32 << 20);
    if m.fract() == 0.0 {
        format!("{m:.0} MiB")
    } else if m < 1.0 {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{m:.1} MiB")
    }
}

/// The longest a plugin may be given, whatever its manifest says: a deadline further
/// away than this would overflow `Instant` arithmetic, and means "no deadline" anyway.
const MAX_TIMEOUT: Duration = Duration::from_secs(365 * 24 * 3600);

/// How often the host looks whether the program has exited, at most: it starts at 1 ms
/// (a plugin usually exits right after closing stdout) and doubles up to this.
const MAX_POLL: Duration = Duration::from_millis(50);

impl CommandPlugin {
    /// Runs the program once with `request`; returns its parsed response.
    ///
    /// One deadline, `timeout` from now, covers the whole exchange: starting the
    /// program, writing the request, reading the answer and the program's exit. The
    /// program runs in a process group of its own; whatever ends the exchange (the
    /// answer, the deadline, too much output, an error), every process left in that
    /// group is killed and the program reaped before this returns (see [`Running`]).
    /// The exchange ends when the program has exited and stdout has reached its end;
    /// once the program has exited, the group is killed at once, so a background
    /// process it left holding stdout cannot keep the host waiting for the end.
    pub fn run(&self, request: &Request) -> Result<Response, RunError> {
        let started = std::time::Instant::now();
        // A year from now cannot overflow in practice; if it did, the deadline is now.
        let deadline = started
            .checked_add(self.timeout.min(MAX_TIMEOUT))
            .unwrap_or(started);
        let timed_out = || RunError::Timeout(self.timeout.as_secs());
        let body = serde_json::to_vec(request)
            .map_err(|e| RunError::Start(self.program.display().to_string(), e.to_string()))?;
        let products = request.products.len();
        let mut command = Process::new(&self.program);
        command
            .current_dir(&self.dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // The plugin's log (SPEC §5). Inherited, not piped: the host never holds it,
            // so a plugin logging without end costs the host no memory (only the
            // terminal's or log file's space until the deadline stops it).
            .stderr(Stdio::inherit());
        contain(&mut command);
        let mut running = Running {
            child: command
                .spawn()
                .map_err(|e| RunError::Start(self.program.display().to_string(), e.to_string()))?,
            reaped: false,
        };
        let (Some(mut stdin), Some(stdout)) =
            (running.child.stdin.take(), running.child.stdout.take())
        else {
            return Err(RunError::Start(
                self.program.display().to_string(),
                "its stdin or stdout was not piped".into(),
            ));
        };
        // Writing on its own thread: a plugin that answers while still reading must not
        // deadlock against a full pipe. A plugin that stops reading early gets EPIPE,
        // which is its choice, not an error of the host. A plugin that never reads keeps
        // this thread blocked until the group is killed, which closes the pipe's read
        // end and fails the write; the thread is never joined, so even then it cannot
        // hold up the host.
        std::thread::spawn(move || {
            let _ = stdin.write_all(&body);
        });
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(read_capped(stdout, products));
        });
        let mut output: Option<Vec<u8>> = None;
        let mut exited = false;
        let mut poll = Duration::from_millis(1);
        while output.is_none() || !exited {
            let now = std::time::Instant::now();
            if now >= deadline {
                // `running` is dropped on return: the group is killed and reaped.
                return Err(timed_out());
            }
            let wait = (deadline - now).min(poll);
            poll = (poll * 2).min(MAX_POLL);
            if output.is_none() {
                match rx.recv_timeout(wait) {
                    Ok(read) => {
                        output = Some(read?);
                        // A program usually exits right after its answer: look soon.
                        poll = Duration::from_millis(1);
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    Err(mpsc::RecvTimeoutError::Disconnected) => {
                        return Err(RunError::Read("the reading thread stopped".into()));
                    }
                }
            } else {
                std::thread::sleep(wait);
            }
            if !exited
                && running
                    .exited()
                    .map_err(|e| RunError::Read(e.to_string()))?
            {
                exited = true;
                // The program is done: whatever it left running is killed now (see
                // `Running`), so stdout reaches its end even if a leftover held it.
                running.kill_group();
            }
        }
        let status = running
            .reap()
            .map_err(|e| RunError::Crashed(e.to_string()))?;
        if !status.success() {
            return Err(RunError::Crashed(status.to_string()));
        }
        parse_response(output.as_deref().unwrap_or_default())
    }
}

/// Puts the program in a process group of its own (its pid is the group's id), so that
/// it and everything it starts can be killed together; on Linux it is also killed if
/// certpress dies first: in a group of its own it no longer receives the terminal's
/// Ctrl-C with certpress.
#[cfg(unix)]
fn contain(command: &mut Process) {
    use std::os::unix::process::CommandExt;
    command.process_group(0);
    #[cfg(target_os = "linux")]
    {
        // SAFETY: the closure runs in the forked child before exec and calls only
        // async-signal-safe functions (prctl, getppid), allocating nothing.
        // PR_SET_PDEATHSIG fires when the thread that forked exits; that thread is
        // blocked in `run` until the program is reaped, so it fires only if certpress
        // dies. getppid afterwards catches a certpress that died before the prctl.
        let parent = std::process::id() as libc::pid_t;
        unsafe {
            command.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                if libc::getppid() != parent {
                    return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
                }
                Ok(())
            });
        }
    }
}

#[cfg(not(unix))]
fn contain(_: &mut Process) {}

/// A started plugin program. Dropping it, on every way out of [`CommandPlugin::run`]
/// (an answer, the deadline, too much output, an error), kills the program's whole
/// process group and reaps the program.
///
/// The group is killed even after a normal exit: a plugin answers one request and is
/// done, so a process it leaves behind (a forgotten `&`, a helper daemon) would only
/// hold the host's pipes and the machine's resources after the build. The program is
/// reaped only after its group is killed: until then its pid, which is the group's id,
/// cannot be reused, so the signal cannot reach an unrelated group. A process that left
/// the group (`setsid`) is out of reach; stopping that would need a cgroup.
struct Running {
    child: std::process::Child,
    reaped: bool,
}

impl Running {
    /// SIGKILL to every process in the program's group; an error (the group is already
    /// gone) leaves nothing to kill.
    fn kill_group(&mut self) {
        #[cfg(unix)]
        if let Ok(pid) = libc::pid_t::try_from(self.child.id()) {
            // SAFETY: kill has no memory effects; -pid names the group the program
            // leads (process_group(0)), which exists at least as long as the unreaped
            // program does.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
        #[cfg(not(unix))]
        let _ = self.child.kill();
    }

    /// Whether the program has exited, leaving it unreaped (WNOWAIT) so its group id
    /// stays ours until [`Running::kill_group`].
    #[cfg(unix)]
    fn exited(&mut self) -> std::io::Result<bool> {
        let pid = libc::id_t::from(self.child.id());
        // SAFETY: a zeroed siginfo_t is a valid value for waitid to fill in.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: `info` is a valid siginfo_t that outlives the call.
        let r = unsafe {
            libc::waitid(
                libc::P_PID,
                pid,
                &mut info,
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
            )
        };
        if r == -1 {
            return Err(std::io::Error::last_os_error());
        }
        // With WNOHANG, si_pid stays 0 while the program is still running.
        // SAFETY: waitid filled in `info` for a child that changed state, or left it
        // zeroed; si_pid is valid for both.
        Ok(unsafe { info.si_pid() } != 0)
    }

    #[cfg(not(unix))]
    fn exited(&mut self) -> std::io::Result<bool> {
        Ok(self.child.try_wait()?.is_some())
    }

    /// Kills what is left of the group and reaps the program, for its exit status.
    fn reap(mut self) -> std::io::Result<std::process::ExitStatus> {
        self.kill_group();
        self.reaped = true;
        self.child.wait()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if !self.reaped {
            self.kill_group();
            // SIGKILL cannot be caught: this returns as soon as the kernel has
            // stopped the program.
            let _ = self.child.wait();
        }
    }
}

/// Reads stdout to its end, refusing more than [`output_limit`] bytes. The buffer never holds
/// more than `limit` bytes of capacity, and a failed allocation is an error, not an
/// abort. Returning drops stdout, so a plugin still writing gets EPIPE.
fn read_capped(mut from: impl Read, products: usize) -> Result<Vec<u8>, RunError> {
    let limit = output_limit(products);
    let mut out: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 64 << 10];
    loop {
        let n = match from.read(&mut chunk) {
            Ok(0) => return Ok(out),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(RunError::Read(e.to_string())),
        };
        if n > limit - out.len() {
            return Err(RunError::TooMuchOutput { limit, products });
        }
        if out.len() + n > out.capacity() {
            // Doubling, as Vec would, but never past the limit.
            let target = (out.capacity() * 2).max(out.len() + n).min(limit);
            out.try_reserve_exact(target - out.len()).map_err(|_| {
                RunError::Read(format!("no memory for an answer of {}", mib(target)))
            })?;
        }
        out.extend_from_slice(&chunk[..n]);
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

/// Turns a response into the host's assessments and diagnostics, checking that both are
/// about products that were asked about (`asked`, with the site's `root` to locate
/// them). `plugin` is the plugin's id and `manifest` its `plugin.yaml`, relative to the
/// root. A response that breaks these rules is refused whole, as invalid.
pub fn answer(
    plugin: &str,
    manifest: &str,
    response: Response,
    asked: &[&Product],
    root: &Path,
) -> Result<Answer, RunError> {
    let find = |id: &str| asked.iter().find(|p| p.id == id).copied();
    let mut assessments = Vec::new();
    for a in response.assessments {
        if find(&a.product).is_none() {
            return Err(RunError::BadJson(format!(
                "an assessment for product `{}`, which was not in the request",
                a.product
            )));
        }
        assessments.push((
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
    let mut diagnostics = Vec::new();
    for d in response.diagnostics {
        // The plugin's own code is untrusted free text: it goes into the message, and
        // every plugin diagnostic has one stable code of ours.
        let message = match &d.code {
            Some(code) => format!("plugin `{plugin}` reports `{code}`: {}", d.message),
            None => format!("plugin `{plugin}` reports: {}", d.message),
        };
        // One line, as every diagnostic is: a newline in the plugin's text could print
        // what looks like another diagnostic of certpress's own.
        let message = message.replace(['\n', '\r'], " ");
        let diagnostic = match d.severity.as_str() {
            "error" => Diagnostic::error(PLUGIN_DIAGNOSTIC, "", message),
            "warning" => Diagnostic::warning(PLUGIN_DIAGNOSTIC, "", message),
            other => {
                return Err(RunError::BadJson(format!(
                    "a diagnostic with severity {other:?}; protocol 1 knows \"error\" and \"warning\""
                )));
            }
        };
        diagnostics.push(match &d.product {
            // About a product: a problem in its record, for its author to fix (exit
            // code 1), at the record's `id` line as gaps are.
            Some(id) => {
                let Some(product) = find(id) else {
                    return Err(RunError::BadJson(format!(
                        "a diagnostic for product `{id}`, which was not in the request"
                    )));
                };
                let (line, column) = product.id_position(root);
                Diagnostic {
                    file: product.file.clone(),
                    ..diagnostic
                }
                .at(line, column)
            }
            // About no product: a problem of the plugin or its setup (exit code 2), at
            // its manifest.
            None => Diagnostic {
                file: manifest.to_string(),
                ..diagnostic
            }
            .config(),
        });
    }
    Ok(Answer {
        assessments,
        diagnostics,
    })
}

/// The code of every diagnostic a command plugin reports (its own code is in the
/// message).
pub const PLUGIN_DIAGNOSTIC: &str = "plugin-diagnostic";
