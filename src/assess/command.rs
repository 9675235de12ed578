//! Running a command plugin (SPEC §5): a program in the plugin's folder that assesses
//! products.
//!
//! Protocol 1 ([`super::wire`]): the host sends ONE JSON request per build on the
//! program's stdin, `{"protocol":1,"as_of":..,"plugin":..,"products":[..]}`, and reads
//! one JSON response on stdout, `{"protocol":1,"assessments":[..],"diagnostics":[..]}`;
//! stderr passes through as the plugin's log. stdin is written on its own thread while
//! stdout is read, so neither side can block the other however large the batch. One
//! timeout covers the whole exchange, up to the program's exit; the program runs in a
//! process group of its own, killed with everything in it when the exchange ends; what
//! it writes on stdout is capped ([`output_limit`]). Its diagnostics become the run's
//! ([`answer`]).

use super::Answer;
use super::assessment::Assessment;
pub use super::wire::{Request, Response, WireProduct};
use crate::content::Product;
use crate::diagnostic::Diagnostic;
use crate::plugins::{CommandPlugin, Plugin};
use crate::site::Site;
use serde::Deserialize;
use std::io::{Read, Write};
use std::process::{Command as Process, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Assesses `products` by running the plugin's program once, with all of them; a run
/// that fails is one error at the plugin's manifest.
pub(super) fn assess(
    plugin: &Plugin,
    command: &CommandPlugin,
    products: &[&Product],
    site: &Site,
) -> Result<Answer, Diagnostic> {
    let request = Request {
        protocol: crate::plugins::PROTOCOL,
        plugin: &plugin.id,
        as_of: crate::date::iso(site.as_of),
        products: products
            .iter()
            .map(|p| WireProduct::new(p, &site.vocabulary, site.as_of))
            .collect(),
    };
    run(command, &request)
        .and_then(|response| answer(&plugin.id, &plugin.file, response, products))
        .map_err(|e| {
            Diagnostic::error(
                "plugin-failed",
                &plugin.file,
                format!("command plugin `{}` {e}", plugin.id),
            )
            .config()
        })
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
pub fn run(plugin: &CommandPlugin, request: &Request) -> Result<Response, RunError> {
    let started = std::time::Instant::now();
    // A year from now cannot overflow in practice; if it did, the deadline is now.
    let deadline = started
        .checked_add(plugin.timeout.min(MAX_TIMEOUT))
        .unwrap_or(started);
    let timed_out = || RunError::Timeout(plugin.timeout.as_secs());
    let body = serde_json::to_vec(request)
        .map_err(|e| RunError::Start(plugin.program.display().to_string(), e.to_string()))?;
    let products = request.products.len();
    let mut command = Process::new(&plugin.program);
    command
        .current_dir(&plugin.dir)
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
            .map_err(|e| RunError::Start(plugin.program.display().to_string(), e.to_string()))?,
        reaped: false,
    };
    let (Some(mut stdin), Some(stdout)) = (running.child.stdin.take(), running.child.stdout.take())
    else {
        return Err(RunError::Start(
            plugin.program.display().to_string(),
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

/// A started plugin program. Dropping it, on every way out of [`run`]
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
        Some(p) if p == crate::plugins::PROTOCOL => {}
        Some(p) => return Err(RunError::Protocol(p, crate::plugins::PROTOCOL)),
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
                let (line, column) = product.id_at;
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
