//! The preview server of `certpress serve`, over real sockets with a raw HTTP/1.1 client:
//! real clients normalise paths like `/%2e%2e/x` or `\`, which is exactly what these
//! tests must send verbatim.

mod common;

use certpress::diagnostic::Diagnostic;
use certpress::serve::http::{Server, Snapshot};
use common::http::{Conn, Events, get, request};
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

const INDEX: &str = "<!DOCTYPE html><html><head><title>Home</title></head>\
<body class=\"kind-home\"><h1>Products</h1></body></html>";
const PRODUCT: &str = "<!DOCTYPE html><html><body><h1>Product X</h1></body></html>";
const NOT_FOUND: &str = "<!DOCTYPE html><html><body><h1>Site says: no such page</h1></body></html>";
const CSS: &str = "body { color: #123; }\n/* </body> must stay */\n";
const SCRIPT: &str = "new EventSource('/__certpress/events')";
const OVERLAY: &str = "certpress: the site did not build";

fn snapshot(index: &str, problems: Vec<Diagnostic>) -> Snapshot {
    let files: certpress::output::Files = [
        ("index.html", index),
        ("404.html", NOT_FOUND),
        ("static/style.css", CSS),
        ("products/x/index.html", PRODUCT),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), Arc::<[u8]>::from(v.as_bytes())))
    .collect();
    Snapshot {
        files: Arc::new(files),
        problems,
    }
}

fn started() -> Server {
    let server = Server::start(0).unwrap();
    server.publish(snapshot(INDEX, Vec::new()));
    server
}

#[test]
fn serves_pages_files_redirects_and_head() {
    let server = started();
    assert_eq!(server.addr().ip(), Ipv4Addr::LOCALHOST);
    assert_eq!(
        server.url(),
        format!("http://127.0.0.1:{}/", server.addr().port())
    );

    let home = get(server.addr(), "/");
    assert_eq!(home.status, 200);
    assert_eq!(
        home.header("Content-Type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(home.header("Cache-Control"), Some("no-store"));
    assert_eq!(home.header("X-Content-Type-Options"), Some("nosniff"));
    let text = home.text();
    assert!(text.starts_with(&INDEX[..INDEX.find("</body>").unwrap()]));
    assert!(text.ends_with("</script></body></html>"), "{text}");
    assert!(text.contains(SCRIPT));
    assert!(!text.contains(OVERLAY));

    let css = get(server.addr(), "/static/style.css");
    assert_eq!(css.status, 200);
    assert_eq!(css.header("Content-Type"), Some("text/css; charset=utf-8"));
    assert_eq!(css.header("Cache-Control"), Some("no-store"));
    assert_eq!(css.body, CSS.as_bytes());

    let redirect = get(server.addr(), "/products/x");
    assert_eq!(redirect.status, 301);
    assert_eq!(redirect.header("Location"), Some("/products/x/"));
    let redirect = get(server.addr(), "/products/x?lang=en");
    assert_eq!(redirect.header("Location"), Some("/products/x/?lang=en"));
    let product = get(server.addr(), "/products/x/");
    assert_eq!(product.status, 200);
    assert!(product.text().contains("Product X") && product.text().contains(SCRIPT));

    let head = request(server.addr(), "HEAD", "/");
    assert_eq!(head.status, 200);
    assert_eq!(
        head.header("Content-Type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(
        head.header("Content-Length"),
        Some(&*home.body.len().to_string())
    );
    assert!(head.body.is_empty(), "HEAD sent a body: {:?}", head.text());

    server.stop();
}

#[test]
fn before_the_first_publish_pages_say_building() {
    let server = Server::start(0).unwrap();
    let reply = get(server.addr(), "/");
    assert_eq!(reply.status, 503);
    assert!(reply.text().contains("Building"));
    assert!(reply.text().contains(SCRIPT));
    server.publish(snapshot(INDEX, Vec::new()));
    assert_eq!(get(server.addr(), "/").status, 200);
    server.stop();
}

#[test]
fn odd_paths_get_the_sites_404_and_other_methods_405() {
    let server = started();
    for target in [
        "/../Cargo.toml",
        "/%2e%2e/Cargo.toml",
        "/%2E%2E%2Fetc%2Fpasswd",
        "/products/..%2f..%2fCargo.toml",
        "/products\\..\\Cargo.toml",
        "//etc/passwd",
        "/etc/passwd",
        "http://127.0.0.1/../x",
        "http://127.0.0.1/index.html",
        "/%00",
        "/index.html%2500",
        "/index.html%00",
        "/%",
        "/__certpress/",
        "/__certpress/reload.js",
        "/products/",
    ] {
        let reply = get(server.addr(), target);
        assert_eq!(reply.status, 404, "{target}");
        assert_eq!(
            reply.header("Content-Type"),
            Some("text/html; charset=utf-8")
        );
        let text = reply.text();
        assert!(text.contains("Site says: no such page"), "{target}: {text}");
        assert!(text.contains(SCRIPT), "{target}");
    }
    for method in ["POST", "PUT", "DELETE", "OPTIONS"] {
        let reply = request(server.addr(), method, "/");
        assert_eq!(reply.status, 405, "{method}");
        assert_eq!(reply.header("Allow"), Some("GET, HEAD"));
    }
    server.stop();
}

#[test]
fn without_a_site_404_the_built_in_one_answers() {
    let server = Server::start(0).unwrap();
    let mut site = snapshot(INDEX, Vec::new());
    Arc::make_mut(&mut site.files).remove("404.html");
    server.publish(site);
    let reply = get(server.addr(), "/missing");
    assert_eq!(reply.status, 404);
    assert!(reply.text().contains("Not found") && reply.text().contains(SCRIPT));
    server.stop();
}

#[test]
fn publish_sends_a_reload_event_and_the_new_pages() {
    let server = started();
    let mut events = Events::open(server.addr());
    server.publish(snapshot(
        "<html><body>Second build</body></html>",
        Vec::new(),
    ));
    let event = events.next().unwrap();
    assert_eq!(event, "event: reload\ndata: 2\n\n");
    let home = get(server.addr(), "/");
    assert!(home.text().contains("Second build"), "{}", home.text());
    assert!(home.text().contains("const g=\"2\""));

    server.publish(snapshot(
        "<html><body>Third build</body></html>",
        Vec::new(),
    ));
    assert_eq!(events.next().unwrap(), "event: reload\ndata: 3\n\n");
    server.stop();
}

#[test]
fn a_failed_build_shows_the_overlay_over_the_last_good_pages() {
    let server = started();
    let error = Diagnostic::error(
        "unknown-party",
        "content/products/x.yaml",
        "party <script>alert(1)</script> is not known",
    )
    .at(4, 9)
    .with_help("add it to content/parties/");
    server.publish(snapshot(INDEX, vec![error]));

    for target in ["/", "/products/x/", "/missing"] {
        let text = get(server.addr(), target).text();
        assert!(text.contains(OVERLAY), "{target}");
        assert!(text.contains("content/products/x.yaml:4:9"));
        assert!(text.contains("party &lt;script&gt;alert(1)&lt;/script&gt; is not known"));
        assert!(!text.contains("<script>alert(1)"));
        assert!(text.contains("help: add it to content/parties/"));
    }
    let home = get(server.addr(), "/").text();
    assert!(
        home.contains("<body class=\"kind-home\"><div id=\"certpress-overlay\""),
        "{home}"
    );
    assert!(home.contains("<h1>Products</h1>"));
    assert_eq!(get(server.addr(), "/static/style.css").body, CSS.as_bytes());

    let warning = Diagnostic::warning("old-standard", "content/products/x.yaml", "old");
    server.publish(snapshot(INDEX, vec![warning]));
    assert!(!get(server.addr(), "/").text().contains(OVERLAY));
    server.publish(snapshot(INDEX, Vec::new()));
    assert!(!get(server.addr(), "/").text().contains(OVERLAY));
    server.stop();
}

/// 200 clients, each on one keep-alive connection, fetch pages in a loop for 10 s while
/// two event streams stay open. A correctness test: no speed is asserted.
#[test]
fn two_hundred_clients_and_event_streams_at_once() {
    let server = started();
    let mut streams = [Events::open(server.addr()), Events::open(server.addr())];
    let targets = [
        "/",
        "/static/style.css",
        "/products/x/",
        "/missing",
        "/products/x",
    ];
    let expected: Vec<(u16, Vec<u8>)> = targets
        .iter()
        .map(|t| {
            let r = get(server.addr(), t);
            (r.status, r.body)
        })
        .collect();
    assert_eq!(
        expected.iter().map(|e| e.0).collect::<Vec<_>>(),
        [200, 200, 200, 404, 301]
    );
    let expected = Arc::new(expected);
    let (ok, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let done = Arc::new(AtomicBool::new(false));
    let addr = server.addr();
    let clients: Vec<_> = (0..200)
        .map(|i| {
            let (expected, ok, failed, done) =
                (expected.clone(), ok.clone(), failed.clone(), done.clone());
            thread::spawn(move || {
                let mut conn = None;
                let mut n = i;
                while !done.load(Ordering::Relaxed) {
                    let which = n % targets.len();
                    n += 1;
                    let reply = match &mut conn {
                        Some(c) => Conn::send(c, "GET", targets[which], true),
                        None => Conn::open(addr).and_then(|mut c| {
                            let r = c.send("GET", targets[which], true);
                            conn = Some(c);
                            r
                        }),
                    };
                    match reply {
                        Ok(r) if (r.status, &r.body) == (expected[which].0, &expected[which].1) => {
                            ok.fetch_add(1, Ordering::Relaxed);
                        }
                        other => {
                            failed.fetch_add(1, Ordering::Relaxed);
                            eprintln!("{}: {:?}", targets[which], other.map(|r| r.status));
                            conn = None;
                        }
                    }
                }
            })
        })
        .collect();
    thread::sleep(Duration::from_secs(10));
    done.store(true, Ordering::Relaxed);
    for client in clients {
        client.join().unwrap();
    }
    let (ok, failed) = (ok.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    println!("200 keep-alive clients for 10 s: {ok} requests answered correctly, {failed} failed");
    assert_eq!(failed, 0);
    assert!(ok > 0);

    // The streams were not starved or dropped meanwhile.
    server.publish(snapshot(INDEX, Vec::new()));
    for stream in &mut streams {
        assert_eq!(stream.next().unwrap(), "event: reload\ndata: 2\n\n");
    }
    server.stop();
}

#[test]
fn stop_ends_open_event_streams_promptly() {
    let server = started();
    let mut events = Events::open(server.addr());
    let started = Instant::now();
    server.stop();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(events.next(), None);
}

/// The rest of `serve` publishes from its watcher thread while the server runs.
#[test]
fn server_and_snapshot_can_be_shared_between_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Server>();
    shareable::<Snapshot>();
}
