//! The `burnprop` binary as a user meets it: bad input gets one clear line and a non-zero exit.

use assert_cmd::Command;
use predicates::prelude::*;

fn burnprop() -> Command {
    let mut cmd = Command::cargo_bin("burnprop").expect("the binary is built");
    cmd.env_remove("BURN_DEVICE");
    cmd
}

/// Runs `args` expecting failure, and returns stderr after checking it is one line, no panic.
fn fails_with_one_line(args: &[&str], env: Option<(&str, &str)>) -> String {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut cmd = burnprop();
    cmd.args(args).arg("--out").arg(dir.path().join("run"));
    if let Some((key, value)) = env {
        cmd.env(key, value);
    }
    let output = cmd.output().expect("the binary runs");
    assert!(!output.status.success(), "{args:?} should fail");
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
