//! The playground's HTTP API: the page, the runs (start, watch, play, pause, step, delete),
//! their inspectors and exports, and uploads. Every error is a 4xx (or, for a fault of the
//! server's own, a 500) with one JSON line, `{"error": "…"}`; handlers never panic on what a
//! request holds, and work that takes more than a moment runs off the async threads.

use std::collections::HashMap;
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Router, middleware};
use burn::tensor::Device;
use futures_util::Stream;
use serde_json::{Map, Value, json};

use super::guard::guard;
use super::options::LIMITS;
use super::run::{Control, Handle, Started, start};
use super::settings::{DataSet, Settings, spelled};
use super::uploads::Uploads;
use super::{export, inspect, options, page};
use crate::device::Backend;
use crate::error::Error;
use crate::trace::markdown;

/// A request refused: its status and one sentence.
#[derive(Debug)]
pub struct ApiError(StatusCode, String);

impl ApiError {
    /// `status` with `message`.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self(status, message.into())
    }

    fn bad(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    fn not_found(id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            format!(
                "no run {id} on this server (it ended, or sat idle for {} s)",
                LIMITS.idle_seconds
            ),
        )
    }
}

impl From<Error> for ApiError {
    /// The library's errors are about the request (its settings, its data), except where the
    /// server could not do its own work.
    fn from(e: Error) -> Self {
        let message = e.to_string().lines().next().unwrap_or_default().to_string();
        Self::bad(message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

type Answer<T> = Result<T, ApiError>;

/// A run the server holds.
pub struct Run {
    settings: Settings,
    started: Started,
    /// The upload's name, for the command line.
    file_name: String,
    handle: Mutex<Handle>,
    /// Streams open on it.
    watchers: AtomicUsize,
    /// When it was last asked for anything.
    seen: Mutex<Instant>,
}

impl Run {
    fn touch(&self) {
        *self.seen.lock().unwrap_or_else(PoisonError::into_inner) = Instant::now();
    }

    fn handle(&self) -> std::sync::MutexGuard<'_, Handle> {
        self.handle.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Everything the server holds.
pub struct App {
    /// The launch token.
    pub token: String,
    /// The `Host` values it answers to.
    pub hosts: Vec<String>,
    /// The compute backend and its device.
    pub backend: Backend,
    device: Device,
    runs: Mutex<HashMap<String, Arc<Run>>>,
    uploads: Mutex<Uploads>,
    next: AtomicU64,
    /// Uploads and exports in the making, removed with the server.
    scratch: tempfile::TempDir,
}

impl App {
    /// A server's state before any run.
    pub fn new(
        token: String,
        hosts: Vec<String>,
        backend: Backend,
        device: Device,
    ) -> crate::error::Result<Self> {
        let scratch = tempfile::Builder::new()
            .prefix("burnprop-serve-")
            .tempdir()
            .map_err(|e| Error::Data(format!("could not make a scratch directory: {e}")))?;
        Ok(Self {
            token,
            hosts,
            backend,
            device,
            runs: Mutex::new(HashMap::new()),
            uploads: Mutex::new(Uploads::default()),
            next: AtomicU64::new(1),
            scratch,
        })
    }

    fn runs(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Run>>> {
        self.runs.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn run(&self, id: &str) -> Answer<Arc<Run>> {
        let run = self
            .runs()
            .get(id)
            .cloned()
            .ok_or_else(|| ApiError::not_found(id))?;
        run.touch();
        Ok(run)
    }

    /// Removes runs nobody has watched or asked for in [`LIMITS`]`.idle_seconds`; returns
    /// them, for the caller to stop off the async threads.
    pub fn idle(&self) -> Vec<Arc<Run>> {
        let limit = Duration::from_secs(LIMITS.idle_seconds);
        let mut runs = self.runs();
        let idle: Vec<String> = runs
            .iter()
            .filter(|(_, r)| {
                r.watchers.load(Ordering::SeqCst) == 0
                    && r.seen
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .elapsed()
                        > limit
            })
            .map(|(id, _)| id.clone())
            .collect();
        idle.iter().filter_map(|id| runs.remove(id)).collect()
    }

    /// Removes every run (the server is stopping).
    pub fn all(&self) -> Vec<Arc<Run>> {
        self.runs().drain().map(|(_, r)| r).collect()
    }
}

/// Stops `runs`' threads, off the async threads.
pub async fn stop_runs(runs: Vec<Arc<Run>>) {
    let _ = tokio::task::spawn_blocking(move || {
        for run in runs {
            run.handle().stop();
        }
    })
    .await;
}

/// Runs `work` on the blocking pool, its panic (a bug) a 500.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Answer<T> + Send + 'static,
) -> Answer<T> {
    tokio::task::spawn_blocking(work).await.unwrap_or_else(|_| {
        Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the work for this request failed inside the server",
        ))
    })
}

/// The router, every route behind the [`guard`].
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(page::index))
        .route("/app.js", get(page::script))
        .route("/style.css", get(page::style))
        .route("/api/options", get(|| async { Json(options::options()) }))
        .route("/api/runs", post(create))
        .route("/api/runs/{id}", axum::routing::delete(delete))
        .route("/api/runs/{id}/events", get(events))
        .route(
            "/api/runs/{id}/play",
            post(|s, p| control(s, p, Control::Play)),
        )
        .route(
            "/api/runs/{id}/pause",
            post(|s, p| control(s, p, Control::Pause)),
        )
        .route(
            "/api/runs/{id}/step",
            post(|s, p| control(s, p, Control::Step)),
        )
        .route("/api/runs/{id}/gradcheck", post(gradcheck))
        .route("/api/runs/{id}/backprop", post(backprop))
        .route("/api/runs/{id}/export/{file}", get(exported))
        .route(
            "/api/uploads",
            post(upload).layer(DefaultBodyLimit::max(LIMITS.upload_bytes)),
        )
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such page or endpoint") })
        // axum's own 405 has an empty body; every error of this API is JSON.
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "this endpoint does not take that method",
            )
        })
        .layer(DefaultBodyLimit::max(64 << 10))
        .layer(middleware::from_fn_with_state(app.clone(), guard))
        .with_state(app)
}

/// A run's id from the path, or the extractor's complaint (a path that is not UTF-8) as JSON.
type Id = Result<Path<String>, PathRejection>;

fn id_of(given: Id) -> Answer<String> {
    given
        .map(|Path(id)| id)
        .map_err(|e| ApiError::bad(e.body_text()))
}

/// A JSON object from a body (an empty body: no keys).
fn object(body: &Bytes) -> Answer<Map<String, Value>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::bad("the body must be a JSON object")),
        Err(e) => Err(ApiError::bad(format!("the body is not JSON: {e}"))),
    }
}

async fn create(State(app): State<Arc<App>>, body: Bytes) -> Answer<Response> {
    let given = object(&body)?;
    let (settings, file) = {
        let uploads = app.uploads.lock().unwrap_or_else(PoisonError::into_inner);
        let find = |id: &str| uploads.get(id).map(|u| u.file.clone());
        Settings::parse(&given, &find)?
    };
    let file_name = settings
        .upload
        .as_deref()
        .and_then(|id| {
            let uploads = app.uploads.lock().unwrap_or_else(PoisonError::into_inner);
            uploads.get(id).map(|u| u.name.clone())
        })
        .unwrap_or_else(|| "data.csv".to_string());
    if app.runs().len() >= LIMITS.runs {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "{} runs are open, the most this server keeps: close one first",
                LIMITS.runs
            ),
        ));
    }
    let id = format!("r{}", app.next.fetch_add(1, Ordering::SeqCst));
    let (run_id, device) = (id.clone(), app.device.clone());
    let run = blocking(move || {
        let (handle, started) = start(&run_id, &settings, file.as_ref(), &device)?;
        Ok(Run {
            settings,
            started,
            file_name,
            handle: Mutex::new(handle),
            watchers: AtomicUsize::new(0),
            seen: Mutex::new(Instant::now()),
        })
    })
    .await?;
    let body = described(&id, &run);
    app.runs().insert(id, Arc::new(run));
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// What the page learns of a new run.
fn described(id: &str, run: &Run) -> Value {
    let started = &run.started;
    let config = &started.config;
    let features: Vec<&str> = config.input_features().iter().map(|f| f.name()).collect();
    let (train, test) = match &started.points {
        Some([train, test]) => (train.clone(), test.clone()),
        None => (Vec::new(), Vec::new()),
    };
    json!({
        "id": id,
        "settings": run.settings,
        "query": run.settings.query(),
        "network": {
            "sizes": config.sizes(),
            "features": if run.settings.data == DataSet::Upload && started.plane.is_none() {
                match &config.data {
                    crate::data::DataConfig::File(file) => file.inputs.clone(),
                    _ => Vec::new(),
                }
            } else {
                features.iter().map(ToString::to_string).collect()
            },
            "activations": config.activations.iter().map(spelled).collect::<Vec<_>>(),
            "output": config.loss.output_activation().name(),
            "loss": spelled(&config.loss),
        },
        "task": started.kind,
        "classes": started.outputs.max(2),
        "plane": started.plane.map(|[x, y]| json!({ "x": x, "y": y })),
        "points": { "train": train, "test": test },
        "command": run.settings.command(config, &run.file_name),
    })
}

async fn delete(State(app): State<Arc<App>>, id: Id) -> Answer<StatusCode> {
    let id = id_of(id)?;
    let run = app
        .runs()
        .remove(&id)
        .ok_or_else(|| ApiError::not_found(&id))?;
    stop_runs(vec![run]).await;
    Ok(StatusCode::NO_CONTENT)
}

async fn control(State(app): State<Arc<App>>, id: Id, control: Control) -> Answer<Json<Value>> {
    let id = id_of(id)?;
    let run = app.run(&id)?;
    run.handle().send(control);
    // The state the run is asked to be in (a finished run stays finished).
    let state = if control == Control::Play {
        "playing"
    } else {
        "paused"
    };
    Ok(Json(json!({ "run": id, "state": state })))
}

/// Counts a stream as a watcher while it lives.
struct Watching(Arc<Run>);

impl Watching {
    fn new(run: Arc<Run>) -> Self {
        run.watchers.fetch_add(1, Ordering::SeqCst);
        Self(run)
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        self.0.touch();
        self.0.watchers.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn events(
    State(app): State<Arc<App>>,
    id: Id,
) -> Answer<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let id = id_of(id)?;
    let run = app.run(&id)?;
    let frames = run.handle().frames.clone();
    let watching = Watching::new(run);
    let stream = futures_util::stream::unfold(
        (frames, true, watching),
        |(mut frames, first, watching)| async move {
            if !first && frames.changed().await.is_err() {
                return None; // the run's thread ended: the stream ends with it
            }
            let data = frames.borrow_and_update().clone();
            let event = Event::default().event("frame").data(&*data);
            Some((Ok(event), (frames, false, watching)))
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

async fn gradcheck(State(app): State<Arc<App>>, id: Id) -> Answer<Json<Value>> {
    let id = id_of(id)?;
    let run = app.run(&id)?;
    let snapshot = run.handle().snapshot()?;
    let (backend, device) = (app.backend, app.device.clone());
    let checked = blocking(move || {
        Ok(inspect::gradcheck(
            &run.started.config,
            &snapshot,
            backend,
            &device,
        )?)
    })
    .await?;
    Ok(Json(json!(checked)))
}

async fn backprop(State(app): State<Arc<App>>, id: Id, body: Bytes) -> Answer<Json<Value>> {
    let id = id_of(id)?;
    let given = object(&body)?;
    if let Some(key) = given.keys().find(|k| k.as_str() != "example") {
        return Err(ApiError::bad(format!(
            "unknown key `{key}`; backprop takes `example`"
        )));
    }
    let example = match given.get("example") {
        None => 0,
        Some(v) => v
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| ApiError::bad("`example` must be a whole number"))?,
    };
    let run = app.run(&id)?;
    let snapshot = run.handle().snapshot()?;
    let (backend, device) = (app.backend, app.device.clone());
    let pass = blocking(move || {
        Ok(inspect::backprop(
            &run.started.config,
            &snapshot,
            example,
            backend,
            &device,
        )?)
    })
    .await?;
    Ok(Json(json!(pass)))
}

async fn exported(
    State(app): State<Arc<App>>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Answer<Response> {
    let Path((id, file)) = path.map_err(|e| ApiError::bad(e.body_text()))?;
    let run = app.run(&id)?;
    let snapshot = run.handle().snapshot()?;
    let (backend, device) = (app.backend, app.device.clone());
    let scratch: PathBuf = app.scratch.path().to_path_buf();
    let attach = |name: &str, kind: &'static str, body: Vec<u8>| {
        let disposition = format!("attachment; filename=\"{name}\"");
        (
            [
                (header::CONTENT_TYPE, kind.to_string()),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            body,
        )
            .into_response()
    };
    match file.as_str() {
        "run.tar.gz" => {
            let bytes = blocking(move || {
                Ok(export::run_archive(
                    &run.started,
                    &snapshot,
                    backend,
                    &device,
                    &scratch,
                )?)
            })
            .await?;
            Ok(attach("burnprop-run.tar.gz", "application/gzip", bytes))
        }
        "data.csv" => {
            let text = export::data_csv(&run.started).ok_or_else(|| {
                ApiError::bad("this run's data are your uploaded file, which you already have")
            })?;
            Ok(attach("data.csv", "text/csv", text.into_bytes()))
        }
        "trace.md" | "trace.json" => {
            let markdown_wanted = file == "trace.md";
            let text = blocking(move || {
                let document = export::trace(&run.started, &snapshot, backend, &device)?;
                Ok(if markdown_wanted {
                    markdown(&document)
                } else {
                    document.to_json()?
                })
            })
            .await?;
            let kind = if markdown_wanted {
                "text/markdown"
            } else {
                "application/json"
            };
            Ok(attach(&file, kind, text.into_bytes()))
        }
        "command.txt" => {
            let line = run.settings.command(&run.started.config, &run.file_name);
            Ok(attach(
                "command.txt",
                "text/plain",
                format!("{line}\n").into_bytes(),
            ))
        }
        other => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!(
                "no export `{other}`: run.tar.gz, data.csv, trace.md, trace.json or command.txt"
            ),
        )),
    }
}

async fn upload(
    State(app): State<Arc<App>>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Answer<Response> {
    let query = query.unwrap_or_default();
    let (mut target, mut inputs, mut name) = (None, None, None);
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("target", v)) => target = Some(decode(v)?),
            Some(("inputs", v)) => {
                inputs = Some(
                    decode(v)?
                        .split(',')
                        .map(str::to_string)
                        .collect::<Vec<_>>(),
                );
            }
            Some(("name", v)) => name = Some(decode(v)?),
            _ => {}
        }
    }
    let dir = app.scratch.path().to_path_buf();
    let app2 = app.clone();
    let described = blocking(move || {
        let mut uploads = app2.uploads.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(uploads.add(
            &dir,
            &body,
            name.as_deref(),
            (target.as_deref(), inputs.as_deref()),
        )?)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(json!(described))).into_response())
}

/// A query string's value, percent-decoded.
fn decode(value: &str) -> Answer<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = value
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| ApiError::bad("a query value has a bad % escape"))?;
                out.push(hex);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| ApiError::bad("a query value is not UTF-8"))
}
