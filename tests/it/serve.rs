//! `burnprop serve`'s HTTP API (tests/it/http.rs speaks it): the token, `Host` and `Origin`
//! checks, settings refused in one line naming the key, frames on the event stream, play,
//! pause and single steps, the gradient check and backprop endpoints, the exports, uploads,
//! the run limit, shutdown on a signal, the exported command reproducing the session's
//! losses, and a fuzz of malformed requests against one server.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use crate::http::{Response, Server, base64, named, number, numbers, repo_file};

#[test]
fn the_page_needs_the_token_and_sets_its_cookie() {
    let server = Server::start();
    let page = server.request("GET", &format!("/?token={}", server.token), &[], &[]);
    assert_eq!(page.status, 200, "the page with its token: {page}");
    assert!(
        page.text().contains("app.js"),
        "the page loads app.js: {page}"
    );
    let cookie = page.header("set-cookie").expect("the page sets a cookie");
    let named = format!("burnprop_token={}", server.token);
    for part in [named.as_str(), "HttpOnly", "SameSite=Strict"] {
        assert!(cookie.contains(part), "{part} in {cookie:?}");
    }
    let with_cookie = format!("burnprop_token={}", server.token);
    for (path, kind) in [
        ("/app.js", "javascript"),
        ("/style.css", "text/css"),
        ("/api/options", "json"),
    ] {
        let response = server.request("GET", path, &[("Cookie", &with_cookie)], &[]);
        assert_eq!(response.status, 200, "{path} with the cookie: {response}");
        let content_type = response.header("content-type").unwrap_or_default();
        assert!(content_type.contains(kind), "{path}: {content_type:?}");
    }
    server
        .request("GET", "/", &[], &[])
        .refusal(401, "the page without a token");
    server
        .request("GET", "/api/options", &[], &[])
        .refusal(401, "the API without a token");
    server
        .request("GET", "/?token=wrong", &[], &[])
        .refusal(403, "the page with a wrong token");
    let wrong = [("X-Burnprop-Token", "wrong")];
    server
        .request("GET", "/api/options", &wrong, &[])
        .refusal(403, "a wrong header token");
    let wrong = [("Cookie", "burnprop_token=wrong")];
    server
        .request("GET", "/app.js", &wrong, &[])
        .refusal(403, "a wrong cookie");
}

#[test]
fn a_foreign_host_or_origin_is_refused() {
    let server = Server::start();
    let token = server.token.clone();
    let port = server.port;
    for host in [
        "evil.example",
        &format!("evil.example:{port}"),
        "127.0.0.1:1",
    ] {
        let response = server.request(
            "GET",
            "/api/options",
            &[("Host", host), ("X-Burnprop-Token", &token)],
            &[],
        );
        response.refusal(421, &format!("Host {host}"));
    }
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
    ] {
        let response = server.request(
            "GET",
            "/api/options",
            &[("Host", &host), ("X-Burnprop-Token", &token)],
            &[],
        );
        assert_eq!(response.status, 200, "Host {host}: {response}");
    }
    let post = |origin: &str| {
        server.request(
            "POST",
            "/api/runs",
            &[
                ("X-Burnprop-Token", &token),
                ("Content-Type", "application/json"),
                ("Origin", origin),
            ],
            b"{}",
        )
    };
    post("http://evil.example").refusal(403, "POST from a foreign Origin");
    post(&format!("http://evil.example:{port}"))
        .refusal(403, "POST from a foreign Origin, our port");
    let own = post(&format!("http://127.0.0.1:{port}"));
    assert_eq!(own.status, 201, "POST from the page's own origin: {own}");
    let id = own.json()["id"].as_str().expect("a run id").to_owned();
    let delete = server.request(
        "DELETE",
        &format!("/api/runs/{id}"),
        &[
            ("X-Burnprop-Token", &token),
            ("Origin", "http://evil.example"),
        ],
        &[],
    );
    delete.refusal(403, "DELETE from a foreign Origin");
}

/// Every settings key of the contract with its default for the circle (SERVE-CONTRACT.md's
/// settings table, which the page's URL query shares).
const DEFAULT_KEYS: [&str; 19] = [
    "data",
    "classes",
    "noise",
    "points",
    "test_fraction",
    "seed",
    "features",
    "hidden",
    "activations",
    "loss",
    "lr",
    "schedule",
    "lr_final",
    "momentum",
    "batch_size",
    "l2",
    "engine",
    "steps",
    "upload",
];

#[test]
fn a_run_with_the_default_settings_is_the_circle_with_a_4_2_network() {
    let server = Server::start();
    let run = server.new_run(&json!({}));
    assert!(
        run["id"].as_str().is_some_and(|id| !id.is_empty()),
        "an id: {run}"
    );
    let settings = &run["settings"];
    // classes is cs231n's and upload the uploads' key: neither is the circle's.
    for key in DEFAULT_KEYS
        .iter()
        .filter(|&&key| key != "upload" && key != "classes")
    {
        assert!(
            settings.get(key).is_some(),
            "settings.{key} missing: {settings}"
        );
    }
    // The defaults of the contract's settings table.
    assert_eq!(settings["data"], "circle");
    assert_eq!(number(&settings["lr"], "lr"), 0.03);
    assert_eq!(settings["engine"], "autodiff");
    let query = run["query"].as_str().expect("a query");
    assert!(query.contains("data=circle"), "query {query:?}");
    // 2 inputs (x1, x2), hidden 4,2, one sigmoid output with BCE: the circle is two classes.
    let network = &run["network"];
    assert_eq!(network["sizes"], json!([2, 4, 2, 1]), "{network}");
    assert_eq!(network["features"], json!(["x1", "x2"]));
    assert_eq!(network["activations"], json!(["tanh", "tanh"]));
    assert_eq!(network["output"], "sigmoid");
    assert_eq!(network["loss"], "bce");
    assert_eq!(run["task"], "binary");
    for axis in ["x", "y"] {
        let range = numbers(&run["plane"][axis], "plane");
        assert!(
            range.len() == 2 && range[0] < range[1],
            "plane.{axis}: {range:?}"
        );
    }
    // 500 points, half held out (the defaults points 500 and test_fraction 0.5).
    let (train, test) = (&run["points"]["train"], &run["points"]["test"]);
    let (train, test) = (
        train.as_array().expect("train"),
        test.as_array().expect("test"),
    );
    assert_eq!(
        (train.len(), test.len()),
        (250, 250),
        "the split of 500 points"
    );
    assert!(
        train
            .iter()
            .all(|p| p.as_array().is_some_and(|p| p.len() == 3)),
        "[x1, x2, t]"
    );
    let command = run["command"].as_str().expect("a command");
    assert!(command.starts_with("burnprop train"), "command {command:?}");
}

/// Settings the contract refuses, each with the key its error must name.
fn bad_settings() -> Vec<(Value, &'static str)> {
    vec![
        (json!({"hidden": "4,4,4,4,4,4,4,4,4"}), "hidden"),
        (json!({"hidden": vec!["1"; 99].join(",")}), "hidden"),
        (json!({"hidden": "1000"}), "hidden"),
        (json!({"hidden": "0"}), "hidden"),
        (json!({"hidden": "four"}), "hidden"),
        (json!({"activations": "tanh,swish"}), "activations"),
        (json!({"lr": -1}), "lr"),
        (json!({"lr": 0}), "lr"),
        (json!({"lr": "abc"}), "lr"),
        (json!({"data": "mnist"}), "data"),
        (json!({"data": "upload"}), "upload"),
        (json!({"data": "upload", "upload": "00"}), "upload"),
        (json!({"bogus": 1}), "bogus"),
        (json!({"batch_size": -1}), "batch_size"),
        (json!({"batch_size": 5001}), "batch_size"),
        (json!({"points": 9}), "points"),
        (json!({"points": 5001}), "points"),
        (json!({"noise": 51}), "noise"),
        (json!({"noise": -1}), "noise"),
        (json!({"test_fraction": 0.95}), "test_fraction"),
        (json!({"seed": -1}), "seed"),
        (json!({"seed": 4_294_967_296_u64}), "seed"),
        (json!({"features": "x3"}), "features"),
        (json!({"loss": "l1"}), "loss"),
        (json!({"schedule": "step"}), "schedule"),
        (json!({"schedule": "cosine", "lr_final": -1}), "lr_final"),
        (json!({"momentum": 1}), "momentum"),
        (json!({"l2": -0.1}), "l2"),
        (json!({"engine": "gpu"}), "engine"),
        (json!({"steps": 0}), "steps"),
        (json!({"steps": 1_000_001}), "steps"),
        (json!({"data": "cs231n", "classes": 9}), "classes"),
    ]
}

#[test]
fn bad_settings_are_refused_in_one_line_naming_the_key() {
    let server = Server::start();
    let mut wrong = Vec::new();
    for (settings, key) in bad_settings() {
        let response = server.api("POST", "/api/runs", &settings);
        if !(400..500).contains(&response.status) {
            wrong.push(format!("{settings}: {response}"));
            continue;
        }
        let sentence = response.error(&settings.to_string());
        if !sentence.contains(key) && !sentence.contains(&key.replace('_', " ")) {
            wrong.push(format!(
                "{settings}: the error does not name {key}: {sentence:?}"
            ));
        }
    }
    for body in [&b"{"[..], b"[1, 2]", b"\"circle\"", b"null"] {
        let token = server.token.clone();
        let headers = [
            ("X-Burnprop-Token", token.as_str()),
            ("Content-Type", "application/json"),
        ];
        let response = server.request("POST", "/api/runs", &headers, body);
        if !(400..500).contains(&response.status) || response.json().get("error").is_none() {
            wrong.push(format!("{}: {response}", String::from_utf8_lossy(body)));
        }
    }
    assert!(
        wrong.is_empty(),
        "not refused as the contract says:\n{}",
        wrong.join("\n")
    );
}

/// The run's id.
fn id_of(run: &Value) -> String {
    run["id"].as_str().expect("a run id").to_owned()
}

/// The run's layer sizes, inputs first.
fn sizes_of(run: &Value) -> Vec<usize> {
    run["network"]["sizes"]
        .as_array()
        .expect("network.sizes")
        .iter()
        .map(|size| usize::try_from(size.as_u64().expect("a size")).expect("small"))
        .collect()
}

/// A frame's step.
fn step_of(frame: &Value) -> u64 {
    frame["step"].as_u64().expect("a frame's step")
}

/// A frame's training loss.
fn loss_of(frame: &Value) -> f64 {
    number(&frame["loss"]["train"], "loss.train")
}

/// Checks a frame's shape against its run: the grid's n × n bytes, one picture of
/// unit_size² bytes per unit of every layer, one weight matrix per layer after the inputs.
fn check_frame(frame: &Value, run: &Value) {
    let sizes = sizes_of(run);
    assert_eq!(frame["run"], run["id"], "the frame's run");
    assert!(
        loss_of(frame).is_finite(),
        "a finite loss: {}",
        frame["loss"]
    );
    let grid = &frame["grid"];
    let n = usize::try_from(grid["n"].as_u64().expect("grid.n")).expect("small");
    assert_eq!(
        base64(grid["values"].as_str().expect("grid.values")).len(),
        n * n,
        "grid bytes"
    );
    assert_eq!(
        grid["kind"], run["task"],
        "the grid's kind is the run's task"
    );
    let unit = usize::try_from(frame["unit_size"].as_u64().expect("unit_size")).expect("small");
    let units = frame["units"].as_array().expect("units");
    assert_eq!(
        units.len(),
        sizes.len(),
        "one list of units per layer, inputs first"
    );
    for (layer, (pictures, &size)) in units.iter().zip(&sizes).enumerate() {
        let pictures = pictures.as_array().expect("a layer's units");
        assert_eq!(pictures.len(), size, "units of layer {layer}");
        for picture in pictures {
            let values = base64(picture["values"].as_str().expect("a unit's values"));
            assert_eq!(values.len(), unit * unit, "a unit's bytes");
            assert!(number(&picture["lo"], "lo") <= number(&picture["hi"], "hi"));
        }
    }
    let weights = frame["weights"].as_array().expect("weights");
    assert_eq!(
        weights.len(),
        sizes.len() - 1,
        "one weight matrix per layer after the inputs"
    );
    for (layer, matrix) in weights.iter().enumerate() {
        let rows = matrix["w"].as_array().expect("w");
        assert_eq!(rows.len(), sizes[layer], "rows of w{}: n_in", layer + 1);
        for row in rows {
            assert_eq!(
                numbers(row, "w").len(),
                sizes[layer + 1],
                "w{}: n_out",
                layer + 1
            );
        }
        assert_eq!(
            numbers(&matrix["b"], "b").len(),
            sizes[layer + 1],
            "b{}",
            layer + 1
        );
    }
}

#[test]
fn a_new_run_sends_its_first_frame_at_once_paused_at_step_0() {
    let server = Server::start();
    for settings in [
        json!({}),
        json!({"data": "spiral", "hidden": "8,8,5", "activations": "relu,tanh,sigmoid", "features": "x1,x2,sinx1"}),
        json!({"data": "cs231n", "classes": 4, "hidden": ""}),
        json!({"data": "plane"}),
    ] {
        let run = server.new_run(&settings);
        let frame = server.latest_frame(&id_of(&run));
        assert_eq!(step_of(&frame), 0, "{settings}");
        assert_eq!(frame["state"], "paused", "{settings}");
        check_frame(&frame, &run);
    }
}

#[test]
fn play_trains_pause_stops_and_step_takes_exactly_one_step() {
    let server = Server::start();
    let run = server.new_run(&json!({}));
    let id = id_of(&run);
    let mut events = server.events(&id);
    let first = events.next_frame();
    server.control(&id, "play");
    let later = events.frame_where("step > 50", |frame| step_of(frame) > 50);
    assert_eq!(later["state"], "playing");
    check_frame(&later, &run);
    assert_ne!(
        loss_of(&later),
        loss_of(&first),
        "the loss moved in 50 steps"
    );
    server.control(&id, "pause");
    let paused = events.frame_where("state paused", |frame| frame["state"] == "paused");
    std::thread::sleep(Duration::from_millis(500));
    let still = server.latest_frame(&id);
    assert_eq!(step_of(&still), step_of(&paused), "no steps while paused");
    for n in 1..=3 {
        server.control(&id, "step");
        let frame = events.frame_where("the next step", |f| step_of(f) == step_of(&paused) + n);
        assert_eq!(frame["state"], "paused");
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        step_of(&server.latest_frame(&id)),
        step_of(&paused) + 3,
        "three steps, no more"
    );
}

#[test]
fn play_pause_and_step_answer_the_state_they_leave_the_run_in() {
    let server = Server::start();
    let id = id_of(&server.new_run(&json!({})));
    // The contract's answer, `{"state": ...}`, after each action.
    for (action, state) in [("play", "playing"), ("pause", "paused"), ("step", "paused")] {
        let answer = server.control(&id, action);
        assert_eq!(answer["state"], state, "{action} answers {answer}");
    }
}

#[test]
fn deleting_a_run_ends_its_event_stream() {
    let server = Server::start();
    let id = id_of(&server.new_run(&json!({})));
    let mut events = server.events(&id);
    events.next_frame();
    let response = server.api("DELETE", &format!("/api/runs/{id}"), &Value::Null);
    assert_eq!(response.status, 204, "DELETE: {response}");
    assert!(events.ends(), "the event stream ends with its run");
    let gone = server.api("POST", &format!("/api/runs/{id}/play"), &Value::Null);
    assert!(
        (400..500).contains(&gone.status),
        "play on a deleted run: {gone}"
    );
    gone.error("play on a deleted run");
}

#[test]
fn the_gradient_check_of_the_default_run_passes() {
    let server = Server::start();
    let id = id_of(&server.new_run(&json!({})));
    let response = server.api("POST", &format!("/api/runs/{id}/gradcheck"), &Value::Null);
    assert_eq!(response.status, 200, "gradcheck: {response}");
    let answer = response.json();
    assert_eq!(answer["report"]["verdict"], "pass", "{}", answer["report"]);
    // W1 maps the 2 inputs to the 4 units of the first hidden layer (burn's W[n_in][n_out]).
    let w1 = named(&answer["tensors"], "W1");
    assert_eq!(w1["shape"], json!([2, 4]));
    for field in ["values", "manual", "autodiff", "numeric"] {
        assert_eq!(numbers(&w1[field], field).len(), 8, "W1.{field}");
    }
    let (manual, numeric) = (
        numbers(&w1["manual"], "manual"),
        numbers(&w1["numeric"], "numeric"),
    );
    for (m, n) in manual.iter().zip(&numeric) {
        // Central differences in f64 (src/gradcheck, eps 1e-6) agree to about 1e-8 relative;
        // the verdict "pass" already holds them to 1e-7 (gradcheck::PASS).
        let relative = (m - n).abs() / m.abs().max(n.abs()).max(1e-12);
        assert!(
            relative < 1e-4 || (m - n).abs() < 1e-10,
            "manual {m} vs numeric {n}"
        );
    }
}

#[test]
fn backprop_of_example_0_shows_the_manual_gradient() {
    let server = Server::start();
    let run = server.new_run(&json!({}));
    let id = id_of(&run);
    let response = server.api(
        "POST",
        &format!("/api/runs/{id}/backprop"),
        &json!({"example": 0}),
    );
    assert_eq!(response.status, 200, "backprop: {response}");
    let answer = response.json();
    assert_eq!(answer["example"], 0);
    assert_eq!(
        numbers(&answer["x"], "x"),
        numbers(&run["points"]["train"][0], "x")[..2]
    );
    let dw1 = named(&answer["entries"], "dW1");
    assert_eq!(dw1["stage"], "backward");
    assert_eq!(dw1["quantity"], "dW");
    assert_eq!(dw1["layer"], 1);
    assert_eq!(dw1["shape"], json!([2, 4]), "dW1 is W1's shape");
    assert!(
        dw1["mathml"]
            .as_str()
            .is_some_and(|m| m.starts_with("<math")),
        "{dw1}"
    );
    let manual = numbers(&named(&answer["tensors"], "W1")["manual"], "W1.manual");
    crate::common::assert_close(
        &numbers(&dw1["values"], "dW1"),
        &manual,
        1e-12,
        "dW1 vs W1's manual gradient",
    );
    for stage in ["input", "forward", "loss", "backward"] {
        let entries = answer["entries"].as_array().expect("entries");
        assert!(
            entries.iter().any(|e| e["stage"] == stage),
            "no {stage} entry"
        );
    }
    let beyond = server.api(
        "POST",
        &format!("/api/runs/{id}/backprop"),
        &json!({"example": 250}),
    );
    let sentence = beyond.error("example 250 of 250 training points");
    assert!(
        (400..500).contains(&beyond.status) && sentence.contains("example"),
        "{beyond}"
    );
}

/// GET /api/runs/{id}/export/{name}, which must succeed.
fn export(server: &Server, id: &str, name: &str) -> Response {
    let response = server.api(
        "GET",
        &format!("/api/runs/{id}/export/{name}"),
        &Value::Null,
    );
    assert_eq!(response.status, 200, "export {name}: {response}");
    response
}

#[test]
fn the_exports_are_the_run_directory_the_data_the_trace_and_the_command() {
    let server = Server::start();
    let run = server.new_run(&json!({}));
    let id = id_of(&run);
    let mut events = server.events(&id);
    for n in 1..=3 {
        server.control(&id, "step");
        events.frame_where("the next step", |frame| step_of(frame) == n);
    }
    let archive = export(&server, &id, "run.tar.gz").body;
    assert_eq!(
        archive.get(..2),
        Some(&[0x1f, 0x8b][..]),
        "gzip's magic number"
    );
    let mut files = std::collections::BTreeMap::new();
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(&archive[..]));
    for entry in tar.entries().expect("a tar archive") {
        let mut entry = entry.expect("a tar entry");
        let path = entry.path().expect("a path").display().to_string();
        let mut text = Vec::new();
        entry.read_to_end(&mut text).expect("the entry's bytes");
        files.insert(path, text);
    }
    let file = |name: &str| {
        files
            .iter()
            .find(|(path, _)| Path::new(path).file_name().is_some_and(|f| f == name))
            .map(|(_, bytes)| String::from_utf8_lossy(bytes).into_owned())
            .unwrap_or_else(|| panic!("no {name} in run.tar.gz: {:?}", files.keys()))
    };
    serde_json::from_str::<Value>(&file("config.json")).expect("config.json is JSON");
    let history = burnprop::train::History::records_from_csv(&file("history.csv"))
        .expect("history.csv reads back");
    // `burnprop train`'s history of a 3-step run: one row per optimiser step, each the loss
    // before it (src/train/history.rs), steps 0, 1 and 2.
    assert_eq!(history.len(), 3, "one row per step taken");
    let command = export(&server, &id, "command.txt").text();
    assert!(
        command.starts_with("burnprop train"),
        "command.txt: {command:?}"
    );
    let data = export(&server, &id, "data.csv").text();
    let mut lines = data.lines();
    let header = lines.next().unwrap_or_default();
    assert!(
        header.starts_with("x1,x2,") && header.ends_with(",split"),
        "header {header:?}"
    );
    let split: Vec<&str> = lines
        .map(|line| line.rsplit(',').next().unwrap_or_default())
        .collect();
    assert_eq!(split.len(), 500, "the circle's 500 points");
    assert_eq!(
        split.iter().filter(|&&s| s == "train").count(),
        250,
        "half for training"
    );
    assert!(
        !export(&server, &id, "trace.md").text().trim().is_empty(),
        "trace.md"
    );
    export(&server, &id, "trace.json").json();
}

#[test]
fn an_uploaded_csv_file_trains_and_a_bad_one_is_refused() {
    let server = Server::start();
    let token = server.token.clone();
    let headers = [
        ("X-Burnprop-Token", token.as_str()),
        ("Content-Type", "text/csv"),
    ];
    let iris = repo_file("examples/data/iris.csv");
    let response = server.request("POST", "/api/uploads", &headers, &iris);
    assert_eq!(response.status, 201, "upload iris.csv: {response}");
    let upload = response.json();
    // examples/data/iris.csv: scikit-learn's 150 flowers, 4 measurements and the species.
    assert_eq!(upload["rows"], 150);
    assert_eq!(upload["target"], "species");
    assert_eq!(upload["inputs"].as_array().map(Vec::len), Some(4));
    assert_eq!(upload["task"], "classify");
    assert_eq!(
        upload["classes"].as_array().map(Vec::len),
        Some(3),
        "{upload}"
    );
    let hash = upload["upload"].as_str().expect("the upload's hash");
    assert_eq!(hash.len(), 64, "a SHA-256 in hex");
    let run = server.new_run(&json!({"data": "upload", "upload": hash}));
    assert_eq!(sizes_of(&run).first(), Some(&4), "4 inputs");
    assert_eq!(sizes_of(&run).last(), Some(&3), "3 outputs");
    assert_eq!(
        (&run["task"], &run["classes"]),
        (&json!("classes"), &json!(3))
    );
    assert!(
        run["plane"].is_null(),
        "no plane for 4 inputs: {}",
        run["plane"]
    );
    check_frame_without_grid(&server.latest_frame(&id_of(&run)), &run);
    // `?target=` and `?inputs=` choose the columns as --target and --inputs do: the species
    // (text) cannot be an input.
    let query = "/api/uploads?target=petal_width&inputs=sepal_length,sepal_width,petal_length";
    let regress = server.request("POST", query, &headers, &iris);
    assert_eq!(regress.status, 201, "upload with ?target: {regress}");
    assert_eq!(regress.json()["task"], "regress", "petal_width is a number");
    for bad in [&b""[..], b"a,b\n1,2,3\n", b"x,y\n1,\xff\n", b"x,y\nnan,1\n"] {
        let response = server.request("POST", "/api/uploads", &headers, bad);
        response.refusal(400, &format!("upload {:?}", String::from_utf8_lossy(bad)));
    }
}

/// [`check_frame`] for a run without a plane: no grid and no unit pictures (there is no
/// plane to draw them over), the weights of every layer as ever.
fn check_frame_without_grid(frame: &Value, run: &Value) {
    assert!(
        frame["grid"].is_null() && frame["units"].is_null(),
        "no grid and no unit pictures without a plane: {} {}",
        frame["grid"],
        frame["units"]
    );
    let weights = frame["weights"].as_array().expect("weights");
    assert_eq!(
        weights.len(),
        sizes_of(run).len() - 1,
        "one weight matrix per layer"
    );
}

#[test]
fn runs_beyond_the_limit_are_refused_until_one_is_deleted() {
    let server = Server::start();
    let options = server.api("GET", "/api/options", &Value::Null).json();
    let limit = options["limits"]["runs"].as_u64().expect("limits.runs");
    let ids: Vec<String> = (0..limit)
        .map(|_| id_of(&server.new_run(&json!({}))))
        .collect();
    let refused = server.api("POST", "/api/runs", &json!({}));
    assert!(
        (400..500).contains(&refused.status),
        "run {} of {limit}: {refused}",
        limit + 1
    );
    refused.error("one run too many");
    let deleted = server.api("DELETE", &format!("/api/runs/{}", ids[0]), &Value::Null);
    assert_eq!(deleted.status, 204, "DELETE: {deleted}");
    server.new_run(&json!({}));
}

#[test]
fn sigterm_and_ctrl_c_end_the_server_promptly_with_status_0() {
    for signal in [libc::SIGTERM, libc::SIGINT] {
        let mut server = Server::start();
        // A playing run and an open event stream must not hold the server up.
        let id = id_of(&server.new_run(&json!({})));
        let mut events = server.events(&id);
        events.next_frame();
        server.control(&id, "play");
        let code = server.stop_with(signal, Duration::from_secs(5));
        assert_eq!(
            code,
            Some(0),
            "signal {signal}: exit within 5 s\n{}",
            server.log()
        );
    }
}

/// Splits a POSIX shell command line into words (single and double quotes, backslashes): the
/// exported command is meant to be pasted into a shell.
fn shell_words(line: &str) -> Vec<String> {
    let (mut words, mut word, mut in_word) = (Vec::new(), String::new(), false);
    let mut chars = line.trim().chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                word.extend(chars.by_ref().take_while(|&c| c != '\''));
            }
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => word.extend(chars.next()),
                        c => word.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.extend(chars.next().filter(|&c| c != '\n'));
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                }
                in_word = false;
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

#[test]
fn shell_words_reads_quotes_and_backslashes() {
    assert_eq!(
        shell_words(r#"burnprop train --a 'x y' --b "p\"q" c\ d"#),
        ["burnprop", "train", "--a", "x y", "--b", "p\"q", "c d"]
    );
}

/// Steps taken one at a time in the session before its command is run: past the end of the
/// first epoch (35 minibatches of 10 of the 350 training points below), so that the next
/// epoch's shuffle is reproduced too.
const SESSION_STEPS: u64 = 40;

#[test]
fn the_exported_command_reproduces_the_sessions_losses() {
    let server = Server::start();
    // Settings other than the defaults, so that the command must carry them; xor's 500 points,
    // 30 % held out, leave 350 to train on.
    let settings = json!({"data": "xor", "noise": 10, "seed": 7, "hidden": "5,3", "activations": "relu,tanh",
        "features": "x1,x2,x1x2", "lr": 0.1, "momentum": 0.5, "batch_size": 10, "steps": 60, "test_fraction": 0.3});
    let run = server.new_run(&settings);
    let id = id_of(&run);
    let mut events = server.events(&id);
    events.next_frame();
    // Frame k's batch_loss is the loss of step k's batch before its update: history.csv's
    // row k − 1 (src/serve/draw.rs).
    let mut losses = Vec::new();
    for step in 1..=SESSION_STEPS {
        server.control(&id, "step");
        let frame = events.frame_where("the next step", |f| step_of(f) == step);
        losses.push(number(&frame["batch_loss"], "batch_loss"));
    }
    let command = export(&server, &id, "command.txt").text();
    let words = shell_words(&command);
    assert_eq!(
        words.get(..2),
        Some(&["burnprop".to_owned(), "train".to_owned()][..]),
        "{command}"
    );
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut train = crate::common::burnprop();
    train.current_dir(dir.path()).args(&words[1..]);
    if !words
        .iter()
        .any(|w| w == "--out" || w.starts_with("--out="))
    {
        train.args(["--out", "run"]);
    }
    let output = train.output().expect("burnprop train runs");
    assert!(
        output.status.success(),
        "{command}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let history = find_file(dir.path(), "history.csv")
        .unwrap_or_else(|| panic!("no history.csv under the run directory of {command}"));
    let history = std::fs::read_to_string(history).expect("history.csv");
    let records = burnprop::train::History::records_from_csv(&history).expect("history.csv reads");
    let printed: Vec<String> = records.iter().map(|r| r.loss.to_string()).collect();
    let session: Vec<String> = losses.iter().map(f64::to_string).collect();
    // The same program on the same machine: the same bits, compared as history.csv prints them.
    let largest = records
        .iter()
        .zip(&losses)
        .map(|(r, l)| (r.loss - l).abs() / l.abs())
        .fold(0.0, f64::max);
    assert_eq!(
        printed.get(..session.len()),
        Some(&session[..]),
        "history.csv of `{command}` (left) against the session's frames (right): largest relative difference {largest:e}"
    );
}

/// The first file named `name` under `dir`, depth first.
fn find_file(dir: &Path, name: &str) -> Option<std::path::PathBuf> {
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if let Some(found) = find_file(&path, name) {
                return Some(found);
            }
        } else if path.file_name().is_some_and(|f| f == name) {
            return Some(path);
        }
    }
    None
}

/// The fuzz test's requests: [`FUZZ_CASES`] of them, against one server.
mod fuzz {
    use proptest::prelude::*;
    use proptest::sample::{Index, select};
    use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};
    use serde_json::Value;

    use super::{Response, Server, repo_file};

    /// How many requests the fuzz test sends (a few milliseconds each, more for the runs
    /// that random settings happen to make valid).
    pub(super) const FUZZ_CASES: u32 = 3000;

    /// The most resident memory the server may hold after them: it starts near 20 MB; every
    /// run it makes is deleted again, so growth beyond this is a leak.
    pub(super) const MAX_RSS: u64 = 200 << 20;

    /// One request.
    #[derive(Clone, Debug)]
    pub(super) enum Case {
        /// POST /api/runs with a JSON body.
        Settings(Value),
        /// POST /api/runs with a body that is probably not JSON.
        Bytes(Vec<u8>),
        /// A method on a path with a query, no body.
        Path(&'static str, String),
        /// POST /api/runs/{real run}/backprop with a JSON body.
        Backprop(Value),
        /// POST /api/uploads with the first lines of iris.csv, bytes changed.
        Upload(Vec<u8>),
    }

    /// Settings keys (the contract's) and a few that are not.
    const KEYS: &[&str] = &[
        "data",
        "upload",
        "classes",
        "noise",
        "points",
        "test_fraction",
        "seed",
        "features",
        "hidden",
        "activations",
        "loss",
        "lr",
        "schedule",
        "lr_final",
        "momentum",
        "batch_size",
        "l2",
        "engine",
        "steps",
        "example",
        "",
        "id",
        "__proto__",
    ];

    /// Strings a setting might hold, valid or nearly.
    const WORDS: &[&str] = &[
        "circle",
        "xor",
        "gauss",
        "spiral",
        "plane",
        "gaussian",
        "moons",
        "circles",
        "cs231n",
        "upload",
        "tanh",
        "relu",
        "sigmoid",
        "identity",
        "4,2",
        "8,8,8,8,8,8,8,8",
        "32,32",
        "x1,x2,x1x2",
        "sinx1,sinx2",
        "cosine",
        "linear",
        "both",
        "manual",
        "hinge",
        "mse",
        "bce",
        "cross-entropy",
        "0",
        "",
        "1e308",
        "-0",
        "NaN",
        "Infinity",
        "0x10",
        "33",
        "5000",
        ",",
    ];

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            (0u64..40).prop_map(Value::from),
            (-2.0f64..2.0).prop_map(Value::from),
            any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
                .map(Value::Number)),
            select(WORDS).prop_map(Value::from),
            any::<String>().prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[a-z_]{0,8}", inner, 0..4)
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    fn settings() -> impl Strategy<Value = Value> {
        prop::collection::btree_map(select(KEYS).prop_map(str::to_owned), json_value(), 0..6)
            .prop_map(|map| Value::Object(map.into_iter().collect()))
    }

    /// A path of the API (or near it) with a random id, export name and query.
    fn path(real: String) -> impl Strategy<Value = String> {
        let id = prop_oneof![Just(real), "[A-Za-z0-9%._~-]{0,12}"];
        let template = select(
            &[
                "/",
                "/app.js",
                "/style.css",
                "/api/options",
                "/api/runs",
                "/api/runs/{id}",
                "/api/runs/{id}/play",
                "/api/runs/{id}/pause",
                "/api/runs/{id}/step",
                "/api/runs/{id}/gradcheck",
                "/api/runs/{id}/backprop",
                "/api/runs/{id}/export/{name}",
                "/api/uploads",
                "/api/{name}",
                "/{name}",
            ][..],
        );
        let name = prop_oneof![
            select(
                &[
                    "run.tar.gz",
                    "data.csv",
                    "trace.md",
                    "trace.json",
                    "command.txt"
                ][..]
            )
            .prop_map(str::to_owned),
            "[A-Za-z0-9%._~-]{0,12}",
        ];
        (template, id, name, "[A-Za-z0-9=&%._~,+-]{0,40}").prop_map(
            |(template, id, name, query)| {
                let path = template.replace("{id}", &id).replace("{name}", &name);
                if query.is_empty() {
                    path
                } else {
                    format!("{path}?{query}")
                }
            },
        )
    }

    /// Lines of iris.csv with some bytes changed.
    fn upload(iris: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
        (
            0usize..20,
            prop::collection::vec((any::<Index>(), any::<u8>()), 0..8),
        )
            .prop_map(move |(lines, changes)| {
                let end = iris
                    .iter()
                    .enumerate()
                    .filter(|&(_, &b)| b == b'\n')
                    .nth(lines)
                    .map_or(iris.len(), |(i, _)| i + 1);
                let mut bytes = iris[..end].to_vec();
                for (at, byte) in changes {
                    if !bytes.is_empty() {
                        let i = at.index(bytes.len());
                        bytes[i] = byte;
                    }
                }
                bytes
            })
    }

    pub(super) fn cases(real: &str) -> impl Strategy<Value = Case> {
        let text = (
            settings(),
            any::<Index>(),
            prop::collection::vec(any::<u8>(), 0..6),
        )
            .prop_map(|(s, cut, junk)| {
                let mut bytes = s.to_string().into_bytes();
                bytes.truncate(cut.index(bytes.len() + 1));
                bytes.extend(junk);
                bytes
            });
        let backprop = prop_oneof![
            json_value().prop_map(|example| serde_json::json!({"example": example})),
            json_value(),
        ];
        prop_oneof![
            4 => settings().prop_map(Case::Settings),
            2 => text.prop_map(Case::Bytes),
            4 => (select(&["GET", "POST", "DELETE"][..]), path(real.to_owned())).prop_map(|(m, p)| Case::Path(m, p)),
            1 => backprop.prop_map(Case::Backprop),
            1 => upload(repo_file("examples/data/iris.csv")).prop_map(Case::Upload),
        ]
    }

    /// Sends one case; a run it made is deleted again, so that the limit is never reached.
    pub(super) fn send(server: &Server, real: &str, case: &Case) -> Response {
        let token = server.token.clone();
        let json = [
            ("X-Burnprop-Token", token.as_str()),
            ("Content-Type", "application/json"),
        ];
        let response = match case {
            Case::Settings(value) => {
                server.request("POST", "/api/runs", &json, value.to_string().as_bytes())
            }
            Case::Bytes(bytes) => server.request("POST", "/api/runs", &json, bytes),
            Case::Path(method, path) => server.request(method, path, &json[..1], &[]),
            Case::Backprop(value) => server.request(
                "POST",
                &format!("/api/runs/{real}/backprop"),
                &json,
                value.to_string().as_bytes(),
            ),
            Case::Upload(bytes) => server.request("POST", "/api/uploads", &json[..1], bytes),
        };
        let made = matches!(case, Case::Settings(_) | Case::Bytes(_)) && response.status == 201;
        if made {
            let id = response.json()["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            server.api("DELETE", &format!("/api/runs/{id}"), &Value::Null);
        }
        response
    }

    /// A response as the contract allows: 2xx, or 4xx with `{"error": one line}`.
    pub(super) fn check(response: &Response, case: &Case) -> Result<(), TestCaseError> {
        prop_assert!(
            (200..500).contains(&response.status),
            "{case:?}: {response}"
        );
        if response.status >= 400 {
            let error: Option<Value> = serde_json::from_slice(&response.body).ok();
            let sentence = error.as_ref().and_then(|e| e["error"].as_str());
            prop_assert!(
                sentence.is_some_and(|s| !s.is_empty() && !s.contains('\n')),
                "{case:?}: {response}"
            );
        }
        Ok(())
    }

    pub(super) fn runner() -> TestRunner {
        TestRunner::new(Config {
            cases: FUZZ_CASES,
            rng_seed: RngSeed::Fixed(0x73_6572_7665), // "serve" in ASCII
            failure_persistence: None,
            max_shrink_iters: 64,
            ..Config::default()
        })
    }
}

#[test]
fn thousands_of_malformed_requests_get_4xx_json_and_leave_the_server_small() {
    let mut server = Server::start();
    let real = id_of(&server.new_run(&json!({})));
    let strategy = fuzz::cases(&real);
    let result = fuzz::runner().run(&strategy, |case| {
        // A connection the server drops makes the request helper panic: caught as a failure.
        let response = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            fuzz::send(&server, &real, &case)
        }))
        .map_err(|_| {
            proptest::test_runner::TestCaseError::fail(format!("{case:?}: no response"))
        })?;
        fuzz::check(&response, &case)
    });
    if let Err(failure) = result {
        panic!("{failure}\nserver log:\n{}", server.log());
    }
    assert!(server.alive(), "the server died:\n{}", server.log());
    let options = server.api("GET", "/api/options", &Value::Null);
    assert_eq!(options.status, 200, "the server still answers: {options}");
    let rss = server.rss();
    assert!(
        rss < fuzz::MAX_RSS,
        "the server holds {} MB after the fuzz",
        rss >> 20
    );
}
