//! `certpress serve`: the site built into memory and served on 127.0.0.1, rebuilt on
//! every change to its sources, with the open pages reloaded after each rebuild and a
//! failed rebuild's errors laid over the last good pages. Nothing is written to disk.

pub mod http;
pub mod overlay;
pub mod preview;
mod watch;

pub use preview::{Outcome, Preview};

use crate::site::Overrides;
use std::path::Path;
use std::sync::Arc;
use std::thread::JoinHandle;
use time::Date;

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// 0: a free port.
    pub port: u16,
    pub as_of: Option<Date>,
}

/// A running preview: the server, and the thread that rebuilds on change.
pub struct Serve {
    server: Arc<http::Server>,
    stopper: watch::Stopper,
    rebuilder: JoinHandle<()>,
}

impl Serve {
    /// Binds 127.0.0.1, builds the site once, and rebuilds on every change from then on.
    /// `report` hears each build's outcome (first build included) on the thread that
    /// rebuilds.
    pub fn start(
        root: &Path,
        options: &Options,
        mut report: impl FnMut(&Outcome) + Send + 'static,
    ) -> Result<Serve, String> {
        let server = http::Server::start(options.port)
            .map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e}", options.port))?;
        let server = Arc::new(server);
        // Watching starts before the first build, so an edit made during it is seen.
        let mut watch = watch::Watch::new(root)
            .map_err(|e| format!("cannot watch {} for changes: {e}", root.display()))?;
        let stopper = watch.stopper();
        // Links point at this server, wherever the site is published.
        let overrides = Overrides {
            as_of: options.as_of,
            base_url: Some(server.url()),
            ..Default::default()
        };
        let mut preview = preview::Preview::new(root, overrides);
        let outcome = preview.rebuild(&[]);
        report(&outcome);
        server.publish(outcome.snapshot);
        let shown = Arc::clone(&server);
        let rebuilder = std::thread::spawn(move || {
            while let Some(changed) = watch.next() {
                let outcome = preview.rebuild(&changed);
                report(&outcome);
                shown.publish(outcome.snapshot);
            }
        });
        Ok(Serve {
            server,
            stopper,
            rebuilder,
        })
    }

    /// `http://127.0.0.1:<port>/`
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The address served: 127.0.0.1 and the port.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.server.addr()
    }

    /// Waits until the rebuilding thread ends (it does not, unless stopped).
    pub fn wait(self) {
        let _ = self.rebuilder.join();
    }

    /// Stops watching and serving.
    pub fn stop(self) {
        self.stopper.stop();
        let _ = self.rebuilder.join();
        if let Ok(server) = Arc::try_unwrap(self.server) {
            server.stop();
        }
    }
}
