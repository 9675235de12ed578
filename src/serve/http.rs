//! The HTTP server of `certpress serve`: shows the latest build from memory on
//! 127.0.0.1, tells open pages to reload when a new build is published, and covers
//! pages with the error overlay while the latest build is broken.
//!
//! Nothing is read from disk, so no request can reach a file outside the build; paths are
//! still checked strictly (`resolve`, below) so that the preview answers odd paths the way
//! a careful static host would.

use super::overlay;
use crate::diagnostic::Diagnostic;
use std::io::{self, Cursor, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};
use tiny_http::{Header, Method, Request, Response, StatusCode};

/// What the server shows: the files of the latest successful build and, when the latest build failed, its errors.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// The site's files by output path: "index.html", "products/x/index.html", "static/style.css", "404.html".
    pub files: Arc<crate::output::Files>,
    /// Problems of the latest build attempt that failed (errors and warnings); empty when it succeeded.
    pub problems: Vec<Diagnostic>,
}

/// Workers answer ordinary requests, which take microseconds from memory; event streams
/// get threads of their own, so a handful of open tabs never takes a worker away.
const WORKERS: usize = 8;
/// More open event streams than this is a runaway client, not a person with tabs.
const MAX_STREAMS: usize = 64;
/// Dead event-stream connections are only noticed when a write fails.
const PING: Duration = Duration::from_secs(15);
/// How often an idle worker looks at the stop flag.
const POLL: Duration = Duration::from_millis(100);
const RESERVED: &str = "__certpress";
const EVENTS: &str = "events";

pub struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
    http: Option<Arc<tiny_http::Server>>,
    workers: Vec<JoinHandle<()>>,
}

struct Shared {
    /// Cloned out under the lock and used after it, so a slow client never holds it.
    current: Mutex<Arc<State>>,
    /// Wakes event streams on publish and on stop.
    wake: Condvar,
    stopping: AtomicBool,
    streams: Mutex<Vec<JoinHandle<()>>>,
}

struct State {
    /// Counts publishes; pages carry it so a page built before a publish it missed
    /// (between loading and connecting its event stream) still reloads.
    generation: u64,
    snapshot: Option<Snapshot>,
    overlay: Option<String>,
}

/// A poisoned lock only means another request panicked; the data (an `Arc` swap) is whole.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Server {
    /// Binds 127.0.0.1:port (port 0: a free port chosen by the OS) and starts serving on background threads.
    /// Before the first `publish`, pages answer 503 with a small "Building…" HTML page that carries the reload script.
    pub fn start(port: u16) -> io::Result<Server> {
        let http = tiny_http::Server::http(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
            .map_err(io::Error::other)?;
        let addr = http
            .server_addr()
            .to_ip()
            .ok_or_else(|| io::Error::other("the server did not bind an IP address"))?;
        let http = Arc::new(http);
        let shared = Arc::new(Shared {
            current: Mutex::new(Arc::new(State {
                generation: 0,
                snapshot: None,
                overlay: None,
            })),
            wake: Condvar::new(),
            stopping: AtomicBool::new(false),
            streams: Mutex::new(Vec::new()),
        });
        let mut server = Server {
            addr,
            shared,
            http: Some(http.clone()),
            workers: Vec::with_capacity(WORKERS),
        };
        for i in 0..WORKERS {
            let (shared, http) = (server.shared.clone(), http.clone());
            let worker = thread::Builder::new()
                .name(format!("serve-http-{i}"))
                .spawn(move || work(&shared, &http))?;
            // On failure `server` drops here and stops the workers already started.
            server.workers.push(worker);
        }
        Ok(server)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// "http://127.0.0.1:PORT/"
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Shows `snapshot` from now on and tells every open page to reload (one server-sent event per publish).
    pub fn publish(&self, snapshot: Snapshot) {
        let overlay = overlay::html(&snapshot.problems);
        let mut current = lock(&self.shared.current);
        *current = Arc::new(State {
            generation: current.generation + 1,
            snapshot: Some(snapshot),
            overlay,
        });
        drop(current);
        self.shared.wake.notify_all();
    }

    /// Stops accepting, ends open event streams, joins the threads.
    pub fn stop(self) {
        drop(self);
    }

    fn shut_down(&mut self) {
        {
            // Set under the lock so a stream between its check and its wait still wakes.
            let _current = lock(&self.shared.current);
            self.shared.stopping.store(true, Ordering::SeqCst);
        }
        self.shared.wake.notify_all();
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
        // Workers are gone, so no new stream can start while these are joined.
        let streams = std::mem::take(&mut *lock(&self.shared.streams));
        for stream in streams {
            let _ = stream.join();
        }
        // The last reference: tiny_http closes the listening socket on drop.
        self.http = None;
    }
}

/// `stop` is the way to end a server, but one dropped without it must not leave
/// threads serving a site nobody shows any more.
impl Drop for Server {
    fn drop(&mut self) {
        self.shut_down();
    }
}

fn work(shared: &Arc<Shared>, http: &tiny_http::Server) {
    while !shared.stopping.load(Ordering::SeqCst) {
        // An `Err` is one connection that failed to read; the next may be fine.
        if let Ok(Some(request)) = http.recv_timeout(POLL) {
            // A panic drops the request, which tiny_http answers with a 500; the
            // worker itself keeps serving.
            let _ = catch_unwind(AssertUnwindSafe(|| handle(shared, request)));
        }
    }
}

fn handle(shared: &Arc<Shared>, request: Request) {
    if !matches!(request.method(), Method::Get | Method::Head) {
        let body = b"405 Method Not Allowed: this preview only answers GET and HEAD.\n".to_vec();
        let response = reply(405, "text/plain; charset=utf-8", Body::Owned(body))
            .with_header(header("Allow", "GET, HEAD"));
        let _ = request.respond(response);
        return;
    }
    let state = lock(&shared.current).clone();
    let files = state.snapshot.as_ref().map(|s| &*s.files);
    let resolved = resolve(request.url(), |path| {
        files.is_some_and(|f| f.contains_key(path))
    });
    let response = match resolved {
        Resolved::Reserved(name) if name == EVENTS => return open_stream(shared, request),
        Resolved::Reserved(_) => not_found(&state),
        _ if state.snapshot.is_none() => building(),
        Resolved::NotFound => not_found(&state),
        Resolved::File(path) => file(&state, &path),
        Resolved::Redirect(location) => reply(301, "text/plain; charset=utf-8", Body::empty())
            .with_header(header("Location", &location)),
    };
    let _ = request.respond(response);
}

type Reply = Response<Cursor<Body>>;

/// Site files are answered straight from the snapshot's shared bytes, without a copy.
enum Body {
    Shared(Arc<[u8]>),
    Owned(Vec<u8>),
}

impl Body {
    fn empty() -> Body {
        Body::Owned(Vec::new())
    }
}

impl AsRef<[u8]> for Body {
    fn as_ref(&self) -> &[u8] {
        match self {
            Body::Shared(b) => b,
            Body::Owned(b) => b,
        }
    }
}

fn reply(status: u16, content_type: &str, body: Body) -> Reply {
    let len = body.as_ref().len();
    let headers = vec![
        header("Content-Type", content_type),
        // A preview must never show a page from before the latest build.
        header("Cache-Control", "no-store"),
        header("X-Content-Type-Options", "nosniff"),
    ];
    Response::new(
        StatusCode(status),
        headers,
        Cursor::new(body),
        Some(len),
        None,
    )
}

/// Every value given here is ASCII (locations are percent-encoded), which is all
/// `from_bytes` refuses; the fallback is only there so a bug cannot panic.
fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes())
        .unwrap_or_else(|()| Header::from_bytes(&b"X-Invalid-Header"[..], &b"1"[..]).unwrap())
}

fn file(state: &State, path: &str) -> Reply {
    let bytes = state
        .snapshot
        .as_ref()
        .and_then(|s| s.files.get(path))
        .cloned()
        .unwrap_or_else(|| Arc::from(&b""[..]));
    page(state, 200, content_type(path), Body::Shared(bytes))
}

fn not_found(state: &State) -> Reply {
    let site_404 = state
        .snapshot
        .as_ref()
        .and_then(|s| s.files.get("404.html"));
    let body = match site_404 {
        Some(bytes) => Body::Shared(bytes.clone()),
        None => Body::Owned(NOT_FOUND.as_bytes().to_vec()),
    };
    page(state, 404, "text/html; charset=utf-8", body)
}

fn building() -> Reply {
    let state = State {
        generation: 0,
        snapshot: None,
        overlay: None,
    };
    page(
        &state,
        503,
        "text/html; charset=utf-8",
        Body::Owned(BUILDING.as_bytes().to_vec()),
    )
    .with_header(header("Retry-After", "1"))
}

/// HTML gets the reload script and, while the build is broken, the overlay; other files
/// go out byte for byte.
fn page(state: &State, status: u16, content_type: &str, body: Body) -> Reply {
    if !content_type.starts_with("text/html") {
        return reply(status, content_type, body);
    }
    let mut html = inject_script(body.as_ref(), &reload_script(state.generation));
    if let Some(overlay) = &state.overlay {
        html = overlay::inject(&html, overlay);
    }
    reply(status, content_type, Body::Owned(html))
}

const NOT_FOUND: &str = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Not found</title></head><body><h1>Not found</h1>\
<p>The latest build has no page at this address.</p></body></html>\n";

const BUILDING: &str = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Building… · certpress</title></head><body><h1>Building…</h1>\
<p>This page reloads by itself when the site is ready.</p></body></html>\n";

/// Inline because the default theme sets no Content-Security-Policy. The `hello` event
/// on (re)connect carries the server's publish count: a page that missed a publish, or
/// whose stream comes back after the server restarted, reloads once.
fn reload_script(generation: u64) -> String {
    format!(
        "<script>(()=>{{const g=\"{generation}\";let n=0;\
const s=new EventSource('/__certpress/events');\
s.addEventListener('hello',e=>{{if(n++>0||e.data!==g)location.reload()}});\
s.addEventListener('reload',()=>location.reload())}})()</script>"
    )
}

/// Puts `script` right before the last `</body>`, or at the end of a page without one.
fn inject_script(page: &[u8], script: &str) -> Vec<u8> {
    let at = overlay::rfind_ascii_ci(page, b"</body").unwrap_or(page.len());
    let mut out = Vec::with_capacity(page.len() + script.len());
    out.extend_from_slice(&page[..at]);
    out.extend_from_slice(script.as_bytes());
    out.extend_from_slice(&page[at..]);
    out
}

fn content_type(path: &str) -> &'static str {
    let name = path.rsplit('/').next().unwrap_or(path);
    // The digital-link resolver's linksets (`01/<gtin>/linkset.json`, RFC 9264).
    if name == "linkset.json" || name.ends_with(".linkset.json") {
        return "application/linkset+json; charset=utf-8";
    }
    let ext = name.rsplit_once('.').map_or("", |(_, ext)| ext);
    match ext.to_ascii_lowercase().as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json; charset=utf-8",
        "webmanifest" => "application/manifest+json; charset=utf-8",
        // Label printer files are text; shown rather than downloaded.
        "txt" | "zpl" => "text/plain; charset=utf-8",
        "xml" => "application/xml",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "pdf" => "application/pdf",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        _ => "application/octet-stream",
    }
}

/// Where a request target leads in the snapshot.
#[derive(Debug, PartialEq, Eq)]
enum Resolved {
    /// A file of the snapshot, by output path.
    File(String),
    /// A folder asked for without its slash: the `Location` to send it to.
    Redirect(String),
    /// A path under `/__certpress/`: the rest of it.
    Reserved(String),
    NotFound,
}

/// Resolves a raw request target against the files `exists` knows. Pure, so that every
/// odd path can be tested without a socket.
fn resolve(target: &str, exists: impl Fn(&str) -> bool) -> Resolved {
    let Some((path, query)) = parse_target(target) else {
        return Resolved::NotFound;
    };
    if path == RESERVED {
        return Resolved::Reserved(String::new());
    }
    if let Some(rest) = path
        .strip_prefix(RESERVED)
        .and_then(|p| p.strip_prefix('/'))
    {
        return Resolved::Reserved(rest.to_owned());
    }
    if path.is_empty() || path.ends_with('/') {
        let index = format!("{path}index.html");
        return if exists(&index) {
            Resolved::File(index)
        } else {
            Resolved::NotFound
        };
    }
    if exists(&path) {
        return Resolved::File(path);
    }
    if exists(&format!("{path}/index.html")) {
        let mut location = format!("/{}/", encode(&path, keep_in_path));
        if let Some(query) = query {
            location.push('?');
            location.push_str(&encode(query, keep_in_query));
        }
        return Resolved::Redirect(location);
    }
    Resolved::NotFound
}

/// The decoded path without its leading `/`, and the raw query; `None` for anything a
/// static host has no business answering (see the module's tests for the list).
fn parse_target(target: &str) -> Option<(String, Option<&str>)> {
    let end = target.find(['?', '#']).unwrap_or(target.len());
    let (raw, rest) = target.split_at(end);
    let query = rest
        .strip_prefix('?')
        .map(|q| q.split_once('#').map_or(q, |(q, _)| q));
    // Also refuses absolute-form (`http://host/...`) and `*`.
    let raw = raw.strip_prefix('/')?;
    let path = String::from_utf8(percent_decode(raw)?).ok()?;
    if path.chars().any(|c| c == '\\' || c.is_control()) {
        return None;
    }
    let segments: Vec<&str> = path.split('/').collect();
    let last = segments.len() - 1;
    let bad = segments
        .iter()
        .enumerate()
        .any(|(i, s)| *s == "." || *s == ".." || (s.is_empty() && i != last));
    (!bad).then_some((path, query))
}

/// `None` on a `%` not followed by two hex digits.
fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hi = hex(*bytes.get(i + 1)?)?;
            let lo = hex(*bytes.get(i + 2)?)?;
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Percent-encodes every byte `keep` refuses, so a `Location` is always plain ASCII.
fn encode(s: &str, keep: fn(u8) -> bool) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if keep(b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn keep_in_path(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&b)
}

/// The query came in raw and is sent back raw, its escapes included; only what a header
/// cannot carry is encoded.
fn keep_in_query(b: u8) -> bool {
    b.is_ascii_graphic()
}

fn open_stream(shared: &Arc<Shared>, request: Request) {
    if *request.method() == Method::Head {
        let _ = request.respond(reply(200, "text/event-stream", Body::empty()));
        return;
    }
    // The stream is framed in chunks by hand below, which HTTP/1.0 does not have.
    let version = request.http_version();
    if (version.0, version.1) < (1, 1) {
        let _ = request.respond(reply(505, "text/plain; charset=utf-8", Body::empty()));
        return;
    }
    let mut streams = lock(&shared.streams);
    streams.retain(|s| !s.is_finished());
    if streams.len() >= MAX_STREAMS {
        let _ = request.respond(reply(503, "text/plain; charset=utf-8", Body::empty()));
        return;
    }
    let owned = shared.clone();
    // If the thread cannot start, the request is dropped and tiny_http answers 500.
    if let Ok(stream) = thread::Builder::new()
        .name("serve-events".into())
        .spawn(move || stream_events(&owned, request))
    {
        streams.push(stream);
    }
}

/// tiny_http buffers a streamed body in 8 KiB chunks before sending any, so events are
/// written to the raw connection, one flushed chunk each.
fn stream_events(shared: &Shared, request: Request) {
    let mut out = request.into_writer();
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
                Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n\
                Transfer-Encoding: chunked\r\n\r\n";
    let mut seen = lock(&shared.current).generation;
    // `retry`: after a restart the page is back within a second.
    let hello = format!("retry: 1000\nevent: hello\ndata: {seen}\n\n");
    if out.write_all(head.as_bytes()).is_err() || write_chunk(&mut out, &hello).is_err() {
        return;
    }
    while let Some(event) = next_event(shared, &mut seen) {
        if write_chunk(&mut out, &event).is_err() {
            // The page went away.
            return;
        }
    }
    let _ = out.write_all(b"0\r\n\r\n").and_then(|()| out.flush());
}

fn write_chunk(out: &mut impl Write, data: &str) -> io::Result<()> {
    write!(out, "{:x}\r\n{data}\r\n", data.len())?;
    out.flush()
}

/// Blocks until there is something to send: the next publish after `seen`, or a ping
/// when nothing happened for [`PING`]. `None` when the server stops.
fn next_event(shared: &Shared, seen: &mut u64) -> Option<String> {
    let deadline = Instant::now() + PING;
    let mut current = lock(&shared.current);
    loop {
        if shared.stopping.load(Ordering::SeqCst) {
            return None;
        }
        if current.generation > *seen {
            *seen += 1;
            return Some(format!("event: reload\ndata: {seen}\n\n"));
        }
        let now = Instant::now();
        if now >= deadline {
            return Some(": ping\n\n".to_owned());
        }
        current = shared
            .wake
            .wait_timeout(current, deadline - now)
            .unwrap_or_else(PoisonError::into_inner)
            .0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(path: &str) -> bool {
        [
            "index.html",
            "a/b/index.html",
            "a/b.css",
            "404.html",
            "x y/index.html",
        ]
        .contains(&path)
    }

    fn file(path: &str) -> Resolved {
        Resolved::File(path.to_owned())
    }

    #[test]
    fn resolves_files_and_folders() {
        assert_eq!(resolve("/", site), file("index.html"));
        assert_eq!(resolve("/?q=1#f", site), file("index.html"));
        assert_eq!(resolve("/index.html", site), file("index.html"));
        assert_eq!(resolve("/a/b/", site), file("a/b/index.html"));
        assert_eq!(resolve("/a/b.css", site), file("a/b.css"));
        assert_eq!(resolve("/a/b%2Ecss", site), file("a/b.css"));
        assert_eq!(resolve("/x%20y/", site), file("x y/index.html"));
        assert_eq!(resolve("/a/", site), Resolved::NotFound);
        assert_eq!(resolve("/nope", site), Resolved::NotFound);
    }

    #[test]
    fn folders_without_their_slash_redirect() {
        let redirect = |s: &str| Resolved::Redirect(s.to_owned());
        assert_eq!(resolve("/a/b", site), redirect("/a/b/"));
        assert_eq!(resolve("/a/b?x=1&y=%20", site), redirect("/a/b/?x=1&y=%20"));
        assert_eq!(resolve("/a/b#top", site), redirect("/a/b/"));
        assert_eq!(resolve("/x%20y", site), redirect("/x%20y/"));
    }

    #[test]
    fn reserved_paths() {
        let reserved = |s: &str| Resolved::Reserved(s.to_owned());
        assert_eq!(resolve("/__certpress/events", site), reserved("events"));
        assert_eq!(resolve("/__certpress/events?x", site), reserved("events"));
        assert_eq!(resolve("/__certpress/x/y", site), reserved("x/y"));
        assert_eq!(resolve("/__certpress", site), reserved(""));
        assert_eq!(resolve("/__certpressx", site), Resolved::NotFound);
    }

    #[test]
    fn refuses_odd_paths() {
        let everything = |_: &str| true;
        for target in [
            "",
            "*",
            "index.html",
            "http://127.0.0.1/index.html",
            "/../index.html",
            "/./index.html",
            "/a/./b/",
            "/a/b/..",
            "/%2e%2e/index.html",
            "/%2E%2E%2Fetc%2Fpasswd",
            "/a/..%2f..%2fx",
            "/a/%2e/b/",
            "/a\\..\\x",
            "/a%5cx",
            "//etc/passwd",
            "/a//b",
            "/%00",
            "/a%0a",
            "/a%7f",
            "/%",
            "/%4",
            "/%zz",
            "/%ff",
            "/a\tb",
        ] {
            assert_eq!(
                resolve(target, everything),
                Resolved::NotFound,
                "{target:?}"
            );
        }
    }

    #[test]
    fn decodes_percent_escapes() {
        assert_eq!(percent_decode("a%41%6a%2F").unwrap(), b"aAj/");
        assert_eq!(percent_decode("100%25").unwrap(), b"100%");
        assert_eq!(percent_decode("%"), None);
        assert_eq!(percent_decode("%g0"), None);
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("static/style.CSS"), "text/css; charset=utf-8");
        assert_eq!(content_type("labels/x.zpl"), "text/plain; charset=utf-8");
        assert_eq!(
            content_type("01/00614141000012/linkset.json"),
            "application/linkset+json; charset=utf-8"
        );
        assert_eq!(content_type("a.json"), "application/json; charset=utf-8");
        assert_eq!(content_type("labels/x.pdf"), "application/pdf");
        assert_eq!(content_type("a.b/README"), "application/octet-stream");
        assert_eq!(content_type("x.tar.gz"), "application/octet-stream");
    }

    #[test]
    fn script_goes_before_the_last_body_end() {
        let out = inject_script(b"<body><p>'</body>'</p></BODY></html>", "[S]");
        assert_eq!(out, b"<body><p>'</body>'</p>[S]</BODY></html>");
        assert_eq!(inject_script(b"<p>x</p>", "[S]"), b"<p>x</p>[S]");
    }

    #[test]
    fn script_carries_the_generation_and_no_end_tag_before_its_own() {
        let script = reload_script(7);
        assert!(script.contains("const g=\"7\""));
        assert!(script.contains("new EventSource('/__certpress/events')"));
        assert_eq!(script.matches("</").count(), 1);
    }
}
