//! `burnprop serve`: the browser playground. A local web server (axum on tokio) serves one
//! page, embedded in the binary, that trains a network live and shows its forward and
//! backward passes; every run trains on a plain thread of its own with the library's own
//! engines ([`run`]), and the async threads only route requests and stream frames.
//!
//! | module | what it does |
//! |---|---|
//! | [`settings`] | the page's set-up (its URL) → a checked [`ExperimentConfig`](crate::config::ExperimentConfig), and the `burnprop train` line |
//! | [`run`] | a run's training thread: steps, controls |
//! | [`draw`] | its drawing thread: frames, the snapshot the inspectors read |
//! | [`frame`] | the pictures of a frame: decision grid, unit pictures, weights |
//! | [`inspect`] | "check gradients" and backprop mode, in f64 |
//! | [`export`] | the run directory, the data, the trace |
//! | [`uploads`] | CSV files read by the `--data-file` reader |
//! | [`guard`] | token, `Host` and `Origin` checks |
//! | [`api`] | the routes |
//!
//! The server listens on 127.0.0.1 unless told otherwise, needs the launch token on every
//! request, and stops on Ctrl-C or SIGTERM: it stops every run's thread (nothing of a run is
//! on disk but the scratch directory of uploads and exports, removed with it) and exits 0.

pub mod api;
pub mod draw;
pub mod export;
pub mod frame;
pub mod guard;
pub mod inspect;
pub mod options;
pub mod page;
pub mod run;
pub mod settings;
pub mod uploads;

use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use burn::tensor::Device;

use crate::device::Backend;
use crate::error::{Error, Result};
use crate::interrupt;

/// How `burnprop serve` was asked to listen.
#[derive(Clone, Debug)]
pub struct Options {
    /// The port (0: any free one).
    pub port: u16,
    /// The address to listen on; `None`: 127.0.0.1.
    pub host: Option<IpAddr>,
    /// Whether to open the page in the desktop's browser.
    pub open: bool,
}

/// A launch token: 128 bits from the operating system's generator, in hex.
fn token() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| Error::Data(format!("could not draw a launch token: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Serves the playground on `backend`'s `device` until Ctrl-C or SIGTERM.
pub fn serve(options: &Options, backend: Backend, device: Device) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Data(format!("could not start the server's threads: {e}")))?;
    runtime.block_on(listen(options, backend, device))
}

async fn listen(options: &Options, backend: Backend, device: Device) -> Result<()> {
    let ip = options.host.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
    let listener = tokio::net::TcpListener::bind(SocketAddr::new(ip, options.port))
        .await
        .map_err(|e| {
            Error::Data(format!(
                "could not listen on {ip} port {}: {e}",
                options.port
            ))
        })?;
    let port = listener
        .local_addr()
        .map_err(|e| Error::Data(format!("could not read the port listened on: {e}")))?
        .port();
    let given = options
        .host
        .filter(|ip| !ip.is_loopback())
        .map(|ip| ip.to_string());
    let app = Arc::new(api::App::new(
        token()?,
        guard::allowed_hosts(given.as_deref(), port),
        backend,
        device,
    )?);
    let url = format!("http://127.0.0.1:{port}/?token={}", app.token);
    if let Some(host) = &given {
        eprintln!(
            "warning: listening on {host}: anyone who can reach it and has the token can train here; the token is in the URL below"
        );
    }
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "burnprop playground: {url}");
    let _ = stdout.flush();
    if options.open {
        open_browser(&url);
    }
    let reaper = tokio::spawn(reap(app.clone()));
    let router = api::router(app.clone());
    let stopping = app.clone();
    let served = axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            while interrupt::requested().is_none() {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            // Ending every run ends its frame stream, which lets the connections close.
            api::stop_runs(stopping.all()).await;
        })
        .await;
    reaper.abort();
    api::stop_runs(app.all()).await;
    served.map_err(|e| Error::Data(format!("the server stopped: {e}")))
}

/// Every few seconds, stops the runs that sat idle too long.
async fn reap(app: Arc<api::App>) {
    loop {
        tokio::time::sleep(Duration::from_secs(5)).await;
        api::stop_runs(app.idle()).await;
    }
}

/// Opens `url` with the desktop's opener; a machine without one (a server, CI) just has the
/// printed line.
fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(target_os = "windows") {
        "explorer"
    } else {
        "xdg-open"
    };
    let _ = std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
}
