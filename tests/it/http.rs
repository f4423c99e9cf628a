//! Speaking to `burnprop serve` over raw HTTP/1.1 on a `TcpStream` (no HTTP client in the
//! build): [`Server`] starts one on a free port and reads its token; requests are written by
//! hand and their responses read by `Content-Length` or chunk by chunk; [`Events`] reads a
//! run's event stream frame by frame. Shared by the API tests (serve.rs) and the browser tests
//! (browser.rs).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The longest any one wait of these tests may take (a server start, a response, a frame): the
/// server answers in milliseconds, but the suite runs many servers at once on 2 cores.
pub(crate) const PATIENCE: Duration = Duration::from_secs(20);

/// A `burnprop serve --port 0 --no-open` child on flex, killed when dropped.
pub(crate) struct Server {
    child: Child,
    /// The port the OS picked, read from the server's one line.
    pub(crate) port: u16,
    /// The session token, read from the same line.
    pub(crate) token: String,
    /// The server's stderr, kept for the messages of failing tests.
    log: tempfile::NamedTempFile,
}

impl Server {
    /// Starts a server and reads its line `burnprop playground: http://127.0.0.1:PORT/?token=T`.
    pub(crate) fn start() -> Self {
        let log = tempfile::NamedTempFile::new().expect("a temporary file");
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("burnprop"))
            .args(["serve", "--port", "0", "--no-open"])
            .env("BURN_DEVICE", "flex")
            .env_remove("BURNPROP_MNIST_DIR")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log.reopen().expect("the log file"))
            .spawn()
            .expect("burnprop serve starts");
        let stdout = child.stdout.take().expect("piped");
        let (send, lines) = mpsc::channel();
        // The line arrives on a thread, so that a server that never prints fails the test
        // instead of hanging it; the thread then drains stdout, so that the server never blocks.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let _ = send.send(line);
            }
        });
        let line = match lines.recv_timeout(PATIENCE) {
            Ok(Ok(line)) => line,
            other => {
                let _ = child.kill();
                panic!("burnprop serve printed no line within {PATIENCE:?}: {other:?}");
            }
        };
        let (port, token) = line
            .strip_prefix("burnprop playground: http://127.0.0.1:")
            .and_then(|rest| rest.split_once("/?token="))
            .unwrap_or_else(|| panic!("not the playground's line: {line:?}"));
        let port = port
            .parse()
            .unwrap_or_else(|_| panic!("a port in {line:?}"));
        assert!(!token.is_empty(), "an empty token in {line:?}");
        Self {
            child,
            port,
            token: token.to_owned(),
            log,
        }
    }

    /// The page's URL with the token, as the server printed it.
    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}/?token={}", self.port, self.token)
    }

    /// The server's process id.
    pub(crate) fn pid(&self) -> i32 {
        i32::try_from(self.child.id()).expect("a pid")
    }

    /// What the server wrote to stderr so far.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    /// The server's resident memory in bytes (`VmRSS` of /proc/PID/status).
    pub(crate) fn rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("the server is still running");
        let kib: u64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("a VmRSS line");
        kib * 1024
    }

    /// Whether the server is still running.
    pub(crate) fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends `signal` and waits up to `within` for the server to exit: its exit code, or `None`
    /// if it is still running (or was ended by a signal).
    pub(crate) fn stop_with(&mut self, signal: i32, within: Duration) -> Option<i32> {
        // SAFETY: sending a signal to our own child process.
        assert_eq!(unsafe { libc::kill(self.pid(), signal) }, 0);
        let start = Instant::now();
        while start.elapsed() < within {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Opens a connection with [`PATIENCE`] as its read and write timeouts.
    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).expect("the server accepts");
        stream.set_read_timeout(Some(PATIENCE)).expect("a timeout");
        stream.set_write_timeout(Some(PATIENCE)).expect("a timeout");
        stream
    }

    /// Writes one request (`Host: 127.0.0.1:PORT` unless `headers` has its own `Host`,
    /// `Connection: close`, the body's length) and returns the open connection.
    fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> TcpStream {
        let mut head = format!("{method} {path} HTTP/1.1\r\n");
        if !headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("host"))
        {
            head.push_str(&format!("Host: 127.0.0.1:{}\r\n", self.port));
        }
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(&format!(
            "Connection: close\r\nContent-Length: {}\r\n\r\n",
            body.len()
        ));
        let mut stream = self.connect();
        stream
            .write_all(head.as_bytes())
            .expect("the request is sent");
        stream.write_all(body).expect("the body is sent");
        stream
    }

    /// One request with the given headers only (no token unless they carry one).
    pub(crate) fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        let stream = self.send(method, path, headers, body);
        Response::read(&mut BufReader::new(stream))
            .unwrap_or_else(|e| panic!("{method} {path}: {e}\nserver log:\n{}", self.log()))
    }

    /// One request with the token in `X-Burnprop-Token` and a JSON body (none if `Null`).
    pub(crate) fn api(&self, method: &str, path: &str, body: &Value) -> Response {
        let body = if body.is_null() {
            Vec::new()
        } else {
            body.to_string().into_bytes()
        };
        let token = self.token.clone();
        self.request(
            method,
            path,
            &[
                ("X-Burnprop-Token", &token),
                ("Content-Type", "application/json"),
            ],
            &body,
        )
    }

    /// POST /api/runs with `settings`, which must be accepted (201): the new run.
    pub(crate) fn new_run(&self, settings: &Value) -> Value {
        let response = self.api("POST", "/api/runs", settings);
        assert_eq!(
            response.status, 201,
            "POST /api/runs {settings}: {response}"
        );
        response.json()
    }

    /// POST /api/runs/{id}/{action} (play, pause, step) without a body, which must succeed:
    /// the answer (the state it left the run in: `control_answers_the_state` checks that).
    pub(crate) fn control(&self, id: &str, action: &str) -> Value {
        let response = self.api("POST", &format!("/api/runs/{id}/{action}"), &Value::Null);
        assert_eq!(response.status, 200, "{action}: {response}");
        response.json()
    }

    /// The event stream of run `id`.
    pub(crate) fn events(&self, id: &str) -> Events {
        let stream = self.send(
            "GET",
            &format!("/api/runs/{id}/events"),
            &[("X-Burnprop-Token", &self.token.clone())],
            &[],
        );
        let mut reader = BufReader::new(stream);
        let head = Response::head(&mut reader).unwrap_or_else(|e| panic!("events: {e}"));
        assert_eq!(head.status, 200, "events of {id}: {head}");
        let kind = head.header("content-type").unwrap_or_default();
        assert!(
            kind.starts_with("text/event-stream"),
            "events of {id}: {kind:?}"
        );
        let chunked = head
            .header("transfer-encoding")
            .is_some_and(|coding| coding.eq_ignore_ascii_case("chunked"));
        Events {
            reader,
            chunked,
            pending: Vec::new(),
        }
    }

    /// The latest frame of run `id` (the first a new event stream sends).
    pub(crate) fn latest_frame(&self, id: &str) -> Value {
        self.events(id).next_frame()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP response, its body read whole.
pub(crate) struct Response {
    pub(crate) status: u16,
    /// Header names in lower case, in the order sent.
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl std::fmt::Display for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {} {:?}", self.status, self.text())
    }
}

impl Response {
    /// The status line and headers; the body is left unread.
    fn head(reader: &mut impl BufRead) -> Result<Self, String> {
        let mut line = String::new();
        reader
            .read_line(&mut line)
            .map_err(|e| format!("no status line: {e}"))?;
        let status = line
            .strip_prefix("HTTP/1.1 ")
            .and_then(|rest| rest.get(..3))
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| format!("not an HTTP/1.1 status line: {line:?}"))?;
        let mut headers = Vec::new();
        loop {
            line.clear();
            reader
                .read_line(&mut line)
                .map_err(|e| format!("headers cut off: {e}"))?;
            let header = line.trim_end_matches(['\r', '\n']);
            if header.is_empty() {
                break;
            }
            let (name, value) = header
                .split_once(':')
                .ok_or_else(|| format!("not a header: {header:?}"))?;
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
        Ok(Self {
            status,
            headers,
            body: Vec::new(),
        })
    }

    /// A whole response: its body by `Content-Length`, chunks, or to the end of the stream.
    fn read(reader: &mut impl BufRead) -> Result<Self, String> {
        let mut response = Self::head(reader)?;
        if response
            .header("transfer-encoding")
            .is_some_and(|coding| coding.eq_ignore_ascii_case("chunked"))
        {
            while let Some(chunk) = read_chunk(reader)? {
                response.body.extend(chunk);
            }
        } else if let Some(length) = response.header("content-length") {
            let length: usize = length.parse().map_err(|_| "a bad Content-Length")?;
            response.body = vec![0; length];
            reader
                .read_exact(&mut response.body)
                .map_err(|e| format!("body cut off: {e}"))?;
        } else {
            reader
                .read_to_end(&mut response.body)
                .map_err(|e| format!("body cut off: {e}"))?;
        }
        Ok(response)
    }

    /// The value of header `name` (lower case).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as text.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON.
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): HTTP {} {:?}", self.status, self.text()))
    }

    /// Asserts a refusal: status `status`, body `{"error": one line}`; returns the sentence.
    pub(crate) fn refusal(&self, status: u16, what: &str) -> String {
        assert_eq!(self.status, status, "{what}: {self}");
        self.error(what)
    }

    /// Asserts that the body is `{"error": one non-empty line}` and returns it.
    pub(crate) fn error(&self, what: &str) -> String {
        let sentence = self.json()["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: no \"error\" string: {self}"))
            .to_owned();
        assert!(
            !sentence.is_empty() && !sentence.contains('\n'),
            "{what}: not one line: {sentence:?}"
        );
        sentence
    }
}

/// One chunk of a chunked body: `None` at the last (empty) chunk.
fn read_chunk(reader: &mut impl BufRead) -> Result<Option<Vec<u8>>, String> {
    let mut line = String::new();
    reader
        .read_line(&mut line)
        .map_err(|e| format!("no chunk size: {e}"))?;
    let size = line.trim_end().split(';').next().unwrap_or_default();
    let size =
        usize::from_str_radix(size, 16).map_err(|_| format!("not a chunk size: {line:?}"))?;
    let mut chunk = vec![0; size + 2];
    reader
        .read_exact(&mut chunk)
        .map_err(|e| format!("chunk cut off: {e}"))?;
    chunk.truncate(size);
    Ok((size > 0).then_some(chunk))
}

/// A run's open event stream (`text/event-stream`), read frame by frame.
pub(crate) struct Events {
    reader: BufReader<TcpStream>,
    chunked: bool,
    /// Bytes received but not yet parsed into events.
    pending: Vec<u8>,
}

impl Events {
    /// Reads more of the stream into `pending`: false when the stream ended.
    fn fill(&mut self) -> bool {
        if self.chunked {
            match read_chunk(&mut self.reader) {
                Ok(Some(chunk)) => self.pending.extend(chunk),
                Ok(None) => return false,
                Err(e) => panic!("event stream: {e} (a frame is due within {PATIENCE:?})"),
            }
        } else {
            let mut buffer = [0; 8192];
            match self.reader.read(&mut buffer) {
                Ok(0) => return false,
                Ok(n) => self.pending.extend(&buffer[..n]),
                Err(e) => panic!("event stream: {e} (a frame is due within {PATIENCE:?})"),
            }
        }
        true
    }

    /// The next event's name and data, or `None` when the stream ended.
    fn next_event(&mut self) -> Option<(String, String)> {
        loop {
            let text = String::from_utf8_lossy(&self.pending).replace("\r\n", "\n");
            if let Some(end) = text.find("\n\n") {
                let (block, rest) = text.split_at(end + 2);
                let (mut name, mut data) = (String::from("message"), Vec::new());
                for line in block.lines() {
                    if let Some(value) = line.strip_prefix("event:") {
                        value.trim().clone_into(&mut name);
                    } else if let Some(value) = line.strip_prefix("data:") {
                        data.push(value.strip_prefix(' ').unwrap_or(value).to_owned());
                    }
                }
                self.pending = rest.as_bytes().to_vec();
                if !data.is_empty() {
                    return Some((name, data.join("\n")));
                }
            } else if !self.fill() {
                return None;
            }
        }
    }

    /// The next `frame` event's JSON.
    pub(crate) fn next_frame(&mut self) -> Value {
        loop {
            let (name, data) = self.next_event().expect("the event stream ended");
            if name == "frame" {
                return serde_json::from_str(&data)
                    .unwrap_or_else(|e| panic!("a frame that is not JSON ({e}): {data}"));
            }
        }
    }

    /// Reads frames until one satisfies `wanted`, for at most [`PATIENCE`].
    pub(crate) fn frame_where(&mut self, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            let frame = self.next_frame();
            if wanted(&frame) {
                return frame;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "no frame with {what} within {PATIENCE:?}; the last: step {} state {}",
                frame["step"],
                frame["state"]
            );
        }
    }

    /// Whether the stream ends (rather than sending more frames) within [`PATIENCE`].
    pub(crate) fn ends(&mut self) -> bool {
        let start = Instant::now();
        while start.elapsed() < PATIENCE {
            if self.next_event().is_none() {
                return true;
            }
        }
        false
    }
}

/// Standard base64 (RFC 4648, with padding), as the frames' `values`.
pub(crate) fn base64(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bytes = Vec::with_capacity(text.len() / 4 * 3);
    let (mut bits, mut held) = (0u32, 0);
    for c in text.bytes().filter(|&c| c != b'=') {
        let digit = ALPHABET
            .iter()
            .position(|&a| a == c)
            .unwrap_or_else(|| panic!("not base64: {c:?} in {text:?}"));
        bits = (bits << 6) | u32::try_from(digit).expect("below 64");
        held += 6;
        if held >= 8 {
            held -= 8;
            bytes.push(u8::try_from((bits >> held) & 0xff).expect("a byte"));
        }
    }
    bytes
}

/// A JSON number as f64, or a panic naming `what`.
pub(crate) fn number(value: &Value, what: &str) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("{what}: not a number: {value}"))
}

/// A JSON array of numbers as f64s.
pub(crate) fn numbers(value: &Value, what: &str) -> Vec<f64> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("{what}: not an array: {value}"))
        .iter()
        .map(|v| number(v, what))
        .collect()
}

/// The entry named `name` of a list of tensors or backprop entries.
pub(crate) fn named<'a>(list: &'a Value, name: &str) -> &'a Value {
    list.as_array()
        .and_then(|items| items.iter().find(|item| item["name"] == name))
        .unwrap_or_else(|| panic!("no {name} in {list}"))
}

/// The repository's file `path`.
pub(crate) fn repo_file(path: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).expect("a repository file")
}
