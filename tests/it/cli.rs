//! The `burnprop` binary as a user meets it: bad input gets one clear line and a non-zero exit.

use assert_cmd::Command;
use predicates::prelude::*;

use crate::common::{F32, XOR_X2, XOR_YHAT, XOR_Z1, XOR_Z2, assert_close, burnprop};

/// Runs `args` (a training run, into a temporary directory) expecting failure, and returns
/// stderr after checking it is one line, no panic.
fn fails_with_one_line(args: &[&str], env: Option<(&str, &str)>) -> String {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut cmd = burnprop();
    cmd.args(args).arg("--out").arg(dir.path().join("run"));
    if let Some((key, value)) = env {
        cmd.env(key, value);
    }
    one_line_failure(cmd, args)
}

/// Runs `cmd` expecting failure, and returns stderr after checking it is one line, no panic.
pub(crate) fn one_line_failure(mut cmd: Command, args: &[&str]) -> String {
    let output = cmd.output().expect("the binary runs");
    assert!(!output.status.success(), "{args:?} should fail");
    assert_eq!(
        output.status.code(),
        Some(2),
        "{args:?}: an error exits with 2"
    );
    let stderr = String::from_utf8(output.stderr).expect("UTF-8");
    assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
    assert!(!stderr.contains("backtrace"), "{args:?}: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
    stderr
}

#[test]
fn unknown_preset() {
    let err = fails_with_one_line(&["train", "mnist-digits"], None);
    assert!(err.contains("'mnist-digits'"), "{err}");
    assert!(err.contains("logreg, xor, circles, three-layer"), "{err}");
}

#[test]
fn unknown_device_by_flag_and_by_environment() {
    let err = fails_with_one_line(&["train", "xor", "--device", "tpu"], None);
    assert!(err.contains("unknown device 'tpu'"), "{err}");
    let err = fails_with_one_line(&["train", "xor"], Some(("BURN_DEVICE", "tpu")));
    assert!(err.contains("unknown device 'tpu'"), "{err}");
}

#[test]
fn zero_batch_size() {
    let err = fails_with_one_line(&["train", "xor", "--batch-size", "0"], None);
    assert!(err.contains("--batch-size must be at least 1"), "{err}");
}

#[test]
fn negative_learning_rate() {
    let err = fails_with_one_line(&["train", "xor", "--lr", "-0.1"], None);
    assert!(
        err.contains("--lr must be a positive number (got -0.1)"),
        "{err}"
    );
}

#[test]
fn learning_rate_that_makes_the_loss_nan() {
    let err = fails_with_one_line(&["train", "xor", "--lr", "1e30"], None);
    assert!(err.contains("the loss became NaN at step 1"), "{err}");
    assert!(err.contains("--lr 1e29"), "{err}");
}

#[test]
fn run_directory_that_cannot_be_created() {
    let file = tempfile::NamedTempFile::new().expect("a temporary file");
    let out = file.path().join("run");
    let output = burnprop()
        .args(["train", "xor", "--out"])
        .arg(&out)
        .output()
        .expect("the binary runs");
    assert!(!output.status.success());
    assert_eq!(output.status.code(), Some(2), "an error exits with 2");
    let stderr = String::from_utf8(output.stderr).expect("UTF-8");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("cannot create directory"), "{stderr}");
    // The operating system's reason appears once, through the error chain.
    assert_eq!(stderr.matches("Not a directory").count(), 1, "{stderr}");
}

#[test]
fn list_shows_every_preset() {
    burnprop()
        .arg("list")
        .assert()
        .success()
        .stdout(predicate::str::contains("three-layer"))
        .stdout(predicate::str::contains("make_circles(N=50000"));
}

#[test]
fn summary_prints_the_network_like_notebook_003() {
    burnprop()
        .args(["train", "xor", "--summary"])
        .assert()
        .success()
        .stdout(
            "1) Fully connected layer: (2, 3) relu\n\
             2) Fully connected layer: (3, 1) sigmoid\n\
             9 parameters, no biases\n",
        );
}

#[test]
fn train_prints_progress_and_a_summary() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    burnprop()
        .args(["train", "logreg", "--out"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("step  0/22  loss 0.822323"))
        .stdout(predicate::str::contains("training accuracy 1"))
        .stderr("");
}

#[test]
fn gradcheck_prints_a_passing_table() {
    burnprop()
        .args(["gradcheck", "logreg"])
        .assert()
        .success()
        .stdout(predicate::str::contains("W1     [3, 1]"))
        .stdout(predicate::str::contains("b1     [1]"))
        .stdout(predicate::str::contains("verdict: pass"));
}

#[test]
fn gradcheck_json_is_a_report() {
    let output = burnprop()
        .args(["gradcheck", "xor", "--json", "--directional"])
        .output()
        .expect("the binary runs");
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    assert_eq!(json["preset"], "xor");
    assert_eq!(json["report"]["mode"], "directional");
    assert_eq!(json["report"]["verdict"], "pass");
    assert_eq!(json["report"]["tensors"][0]["name"], "W1");
}

#[test]
fn gradcheck_refuses_f32_and_a_bad_step() {
    let mut cmd = burnprop();
    cmd.args(["gradcheck", "xor", "--dtype", "f32"]);
    let err = one_line_failure(cmd, &["gradcheck --dtype f32"]);
    assert!(err.contains("gradcheck runs in f64 only"), "{err}");
    let mut cmd = burnprop();
    cmd.args(["gradcheck", "xor", "--eps", "0"]);
    let err = one_line_failure(cmd, &["gradcheck --eps 0"]);
    assert!(err.contains("--eps must be a positive number"), "{err}");
}

/// The numbers printed under the trace entry whose header starts with `name = `.
fn trace_entry(trace: &str, name: &str) -> Vec<f64> {
    let header = format!("{name} = ");
    let mut lines = trace.lines().skip_while(|l| !l.starts_with(&header));
    assert!(lines.next().is_some(), "no entry {name} in:\n{trace}");
    lines
        .take_while(|l| !l.trim().is_empty())
        .flat_map(|l| {
            l.split(|c: char| c == '[' || c == ']' || c.is_whitespace())
                .filter(|t| !t.is_empty())
                .map(|t| t.parse::<f64>().expect("a number"))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn trace_xor_prints_notebook_003s_matrices() {
    let output = burnprop()
        .args(["trace", "xor", "--rng", "numpy", "--seed", "0"])
        .output()
        .expect("the binary runs");
    assert!(output.status.success());
    let trace = String::from_utf8(output.stdout).expect("UTF-8");
    for (name, expected) in [
        ("Z1", &XOR_Z1[..]),
        ("A1", &XOR_X2[..]),
        ("Z2", &XOR_Z2[..]),
        ("Ŷ", &XOR_YHAT[..]),
    ] {
        assert_close(&trace_entry(&trace, name), expected, F32, name);
    }
    assert!(
        trace.contains("A1 = relu(Z1)  [4, 3]  (the notebook's X2)"),
        "{trace}"
    );
    // The backward pass follows, in the notebooks' order.
    let order: Vec<usize> = ["J = ", "dZ2 = ", "dW2 = ", "dZ1 = ", "dW1 = "]
        .iter()
        .map(|h| trace.find(h).expect("every entry is printed"))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{trace}");
}

#[test]
fn trace_in_columns_prints_notebook_002s_shapes() {
    burnprop()
        .args([
            "trace",
            "three-layer",
            "--layout",
            "column",
            "--examples",
            "5",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "W1 = layer 1 weights [n_l, n_l−1]",
        ))
        .stdout(predicate::str::contains("[12, 100]"))
        .stdout(predicate::str::contains(
            "X = inputs, one example per column  [100, 5]",
        ))
        .stdout(predicate::str::contains("dW1 = (1/5)·dZ1·Xᵀ  [12, 100]"));
}

#[cfg(unix)]
#[test]
fn a_reader_that_stops_early_ends_the_run_quietly_as_cat_would() {
    use std::os::unix::process::ExitStatusExt;
    // 3000 progress lines (about 180 kB) overflow a pipe's buffer (64 kB), so the run writes
    // after its reader has gone, whatever the timing. main.rs restores SIGPIPE's default
    // disposition, so the closed pipe ends the process as it ends `cat` or `grep`: killed by
    // SIGPIPE (no exit status; a shell says 141 = 128 + 13), with nothing on stderr: neither
    // a panic ("failed printing to stdout") nor an error sentence.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("burnprop"))
        .args([
            "train",
            "circles",
            "--iterations",
            "3000",
            "--log-every",
            "1",
            "--out",
        ])
        .arg(dir.path())
        .env("BURN_DEVICE", "flex")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary starts");
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("the binary ends");
    let stderr = String::from_utf8(output.stderr).expect("UTF-8");
    assert_eq!(output.status.code(), None, "{stderr}");
    assert_eq!(output.status.signal(), Some(libc::SIGPIPE), "{stderr}");
    assert_eq!(stderr, "", "a closed pipe is not an error to report");
}

#[test]
fn the_fused_kernel_belongs_to_the_manual_engine() {
    let stderr = fails_with_one_line(&["train", "xor", "--kernel", "fused"], None);
    assert!(
        stderr.contains("--kernel fused is the manual engine's"),
        "{stderr}"
    );
    let stderr = one_line_failure(
        burnprop_with(&["train", "xor", "--kernel", "vectorised"]),
        &["--kernel vectorised"],
    );
    assert!(stderr.contains("vectorised"), "{stderr}");
}

fn burnprop_with(args: &[&str]) -> Command {
    let mut cmd = burnprop();
    cmd.args(args);
    cmd
}

#[test]
fn train_names_the_kernel_it_ran() {
    for (kernel, expected) in [("auto", "fused kernel"), ("tensor", "tensor kernel")] {
        let dir = tempfile::tempdir().expect("a temporary directory");
        burnprop()
            .args([
                "train", "xor", "--engine", "manual", "--kernel", kernel, "--out",
            ])
            .arg(dir.path())
            .assert()
            .success()
            .stdout(predicate::str::contains(expected));
        let summary = std::fs::read_to_string(dir.path().join("summary.json")).expect("summary");
        let summary: serde_json::Value = serde_json::from_str(&summary).expect("JSON");
        assert_eq!(summary["kernel"], expected.trim_end_matches(" kernel"));
    }
}

#[test]
fn bench_times_a_workload_and_prints_json() {
    let output = burnprop()
        .args([
            "bench",
            "xor",
            "--engine",
            "manual",
            "--steps",
            "5",
            "--repeats",
            "3",
        ])
        .args(["--warmup", "1", "--json"])
        .output()
        .expect("the binary runs");
    assert!(output.status.success(), "{output:?}");
    let line = String::from_utf8(output.stdout).expect("UTF-8");
    let json: serde_json::Value = serde_json::from_str(line.trim()).expect("one JSON line");
    assert_eq!(json["preset"], "xor");
    assert_eq!(json["engine"], "manual");
    assert_eq!(json["kernel"], "fused");
    assert_eq!(json["unit"], "iteration");
    assert_eq!(json["seconds"]["n"], 3);
    let (min, median, max) = (
        json["seconds"]["min"].as_f64().expect("min"),
        json["seconds"]["median"].as_f64().expect("median"),
        json["seconds"]["max"].as_f64().expect("max"),
    );
    assert!(0.0 < min && min <= median && median <= max, "{json}");
    assert!(json["steps_per_second"].as_f64().expect("steps/s") > 0.0);
    assert!(json["last_loss"].as_f64().expect("a loss").is_finite());
    assert!(json["load_seconds"].as_f64().expect("the set-up's time") > 0.0);

    burnprop()
        .args([
            "bench",
            "mnist",
            "--data-dir",
            "tests/fixtures/mnist",
            "--repeats",
            "1",
        ])
        .args(["--warmup", "0"])
        .assert()
        .success()
        .stdout(predicate::str::contains("s/epoch"))
        .stdout(predicate::str::contains("peak RSS"));
}

#[test]
fn bench_rejects_bad_input_in_one_line() {
    for (args, expected) in [
        (
            &["bench", "xor", "--repeats", "0"][..],
            "--repeats and --steps must be at least 1",
        ),
        (
            &["bench", "xor", "--steps", "0"][..],
            "--repeats and --steps must be at least 1",
        ),
        (
            &["bench", "xor", "--lr", "1e30"][..],
            "the loss became NaN at step 1",
        ),
        (
            &["bench", "mnist", "--data-dir", "no/such/dir"][..],
            "no/such/dir",
        ),
    ] {
        let stderr = one_line_failure(burnprop_with(args), args);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

#[test]
fn an_empty_mnist_variable_reads_as_unset() {
    // `BURNPROP_MNIST_DIR=` (set but empty) was handed to --data-dir as an empty value, which
    // clap's path parser refused for every command: `train xor` exited 2 with "a value is
    // required for '--data-dir <DIR>'".
    let dir = tempfile::tempdir().expect("a temporary directory");
    burnprop()
        .args(["train", "xor", "--max-steps", "5", "--out"])
        .arg(dir.path().join("xor"))
        .env("BURNPROP_MNIST_DIR", "")
        .assert()
        .success();
    // MNIST is then looked for where no directory was given (HOME moved off burn-dataset's
    // cache): one line naming both as not given.
    let mut cmd = burnprop();
    cmd.args(["train", "mnist", "--out"])
        .arg(dir.path().join("mnist"))
        .env("BURNPROP_MNIST_DIR", "")
        .env("HOME", dir.path());
    let err = one_line_failure(cmd, &["train", "mnist"]);
    assert!(
        err.contains("looked in --data-dir and BURNPROP_MNIST_DIR (neither given)"),
        "{err}"
    );
}
