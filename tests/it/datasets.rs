//! `--data`: scikit-learn's moons and TensorFlow Playground's sets in place of a 2-D preset's
//! data, trained and plotted from the command line.

use std::fs;
use std::path::Path;

use crate::cli::one_line_failure;
use crate::common::burnprop;

/// Trains `args` for 20 iterations into `run`, then draws its figures; returns `plot`'s stdout.
fn train_and_plot(args: &[&str], run: &Path) -> String {
    burnprop()
        .args(args)
        .args(["--iterations", "20", "--out"])
        .arg(run)
        .assert()
        .success();
    let output = burnprop()
        .args(["plot", "--run"])
        .arg(run)
        .output()
        .expect("the binary runs");
    let stdout = String::from_utf8(output.stdout).expect("UTF-8");
    assert!(output.status.success(), "{stdout}");
    for figure in ["data", "decision-boundary"] {
        assert!(stdout.contains(&format!("{figure}.png")), "{stdout}");
        assert!(run.join(format!("{figure}.png")).is_file(), "{figure}");
    }
    stdout
}

fn config_json(run: &Path) -> serde_json::Value {
    let text = fs::read_to_string(run.join("config.json")).expect("config.json");
    serde_json::from_str(&text).expect("JSON")
}

#[test]
fn xor_preset_on_moons_keeps_its_single_sigmoid_target() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let run = dir.path().join("moons");
    train_and_plot(&["train", "xor", "--data", "moons"], &run);
    let data = &config_json(&run)["data"]["moons"];
    // make_moons' size and noise in karpathy/micrograd's demo; the xor preset's one output.
    assert_eq!(data["samples"], 100);
    assert_eq!(data["noise"], 0.1);
    assert_eq!(data["one_hot"], false);
}

#[test]
fn circles_preset_on_the_spiral_keeps_its_one_hot_targets() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let run = dir.path().join("spiral");
    train_and_plot(
        &[
            "train",
            "circles",
            "--data",
            "spiral",
            "--samples",
            "200",
            "--noise",
            "10",
        ],
        &run,
    );
    let data = &config_json(&run)["data"]["playground"];
    assert_eq!(data["set"], "spiral");
    assert_eq!(data["samples"], 200);
    assert_eq!(data["noise"], 10.0);
    assert_eq!(data["one_hot"], true);
}

#[test]
fn data_flags_that_do_not_fit_are_one_line_errors() {
    let cases: [(&[&str], &str); 4] = [
        (
            &["train", "mnist", "--data", "moons"],
            "--data replaces 2-D data (the circles and xor presets); the mnist data is not 2-D",
        ),
        (
            &["train", "logreg", "--data", "gauss"],
            "the logreg data is not 2-D",
        ),
        (
            &["train", "xor", "--data", "spiral", "--noise", "70"],
            "--noise is in percent from 0 to 50 for the playground's spiral, like its slider (got 70)",
        ),
        (
            &["train", "circles", "--data", "moons", "--factor", "0.5"],
            "--factor does not apply to the moons data",
        ),
    ];
    for (args, expected) in cases {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut cmd = burnprop();
        cmd.args(args).arg("--out").arg(dir.path().join("run"));
        let err = one_line_failure(cmd, args);
        assert!(err.contains(expected), "{args:?}: {err}");
    }
}
