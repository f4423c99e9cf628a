//! Flags that would change nothing are refused (issue 31): one line naming the flag and the
//! setting that makes it meaningless, exit status 2, nothing written. The same flags where
//! they mean something are accepted and have their effect.

use std::path::Path;

use burnprop::artifacts::RunDir;
use burnprop::config::{Engine, Kernel, Preset};

use crate::cli::one_line_failure;
use crate::common::burnprop;

/// Runs `burnprop ARGS` in an empty directory, expecting a one-line error, and checks that
/// the directory stays empty (no run directory, no trace file: the default `--out`s are
/// relative to it). `config` is copied in as `config.json` first where given.
fn refused(args: &[&str], config: Option<&str>) -> String {
    let dir = tempfile::tempdir().expect("a temporary directory");
    if let Some(json) = config {
        std::fs::write(dir.path().join("config.json"), json).expect("config.json is written");
    }
    let mut cmd = burnprop();
    cmd.current_dir(dir.path()).args(args);
    let err = one_line_failure(cmd, args);
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .expect("the directory reads")
        .map(|entry| entry.expect("an entry").file_name())
        .filter(|name| name != "config.json")
        .collect();
    assert!(left.is_empty(), "{args:?} wrote {left:?}");
    err
}

/// xor's preset as a `--config` file (with `kernel` set to `kernel`).
fn xor_config(kernel: Kernel) -> String {
    let mut config = Preset::Xor.config();
    config.kernel = kernel;
    serde_json::to_string(&config).expect("a config serialises")
}

#[test]
fn flags_the_configuration_never_reads_are_refused_whatever_the_command() {
    // The expected lines are refusals.rs's messages, filled with the presets' settings
    // (preset.rs: xor's init is glorot-network, it has no biases and momentum 0; logreg is
    // 3-1 with no hidden layer).
    for (args, expected) in [
        (
            &["trace", "xor", "--init-scale", "1e30"][..],
            "error: --init-scale has no effect with --init glorot-network (xor's initialiser); add --init normal, or drop the flag",
        ),
        (
            &["train", "xor", "--init", "glorot", "--init-scale", "2"][..],
            "error: --init-scale has no effect with --init glorot; add --init normal, or drop the flag",
        ),
        (
            &["gradcheck", "mnist-binary", "--init-scale", "0.1"][..],
            "error: --init-scale has no effect with --init glorot (mnist-binary's initialiser)",
        ),
        (
            &["train", "xor", "--bias-init", "same"][..],
            "error: --bias-init has no effect with --bias false (xor's layers have no biases); add --bias true, or drop the flag",
        ),
        (
            &[
                "compare",
                "circles",
                "--bias",
                "false",
                "--bias-init",
                "zeros",
            ][..],
            "error: --bias-init has no effect with --bias false; add --bias true",
        ),
        (
            &["train", "xor", "--dampening", "0.1"][..],
            "error: --dampening has no effect with --momentum 0 (xor's plain gradient descent); add --momentum MU, or drop the flag",
        ),
        (
            &["train", "circles", "--momentum", "0", "--dampening", "0"][..],
            "error: --dampening has no effect with --momentum 0; add --momentum MU",
        ),
        (
            &["train", "xor", "--lr-final", "0"][..],
            "error: --lr-final has no effect with --schedule constant (xor's learning rate); add --schedule linear (or cosine), or drop the flag",
        ),
        (
            &[
                "train",
                "micrograd",
                "--schedule",
                "constant",
                "--lr-final",
                "0.1",
            ][..],
            "error: --lr-final has no effect with --schedule constant; add --schedule linear",
        ),
        (
            &["train", "xor", "--l2-on", "weights"][..],
            "error: --l2-on has no effect with --l2 0 (xor's objective has no penalty); add --l2 ALPHA, or drop the flag",
        ),
        (
            &["train", "micrograd", "--l2", "0", "--l2-on", "all"][..],
            "error: --l2-on has no effect with --l2 0; add --l2 ALPHA",
        ),
        (
            &["train", "logreg", "--activation", "relu"][..],
            "error: --activation has no effect on a network without hidden layers (logreg's 3-1 network); add --hidden WIDTHS, or drop the flag",
        ),
        (
            &["train", "xor", "--data-dir", "tests/fixtures/mnist"][..],
            "error: --data-dir has no effect on the xor data, which no file holds (the MNIST presets read it); drop the flag",
        ),
        (
            &["train", "xor", "--kernel", "tensor"][..],
            "error: --kernel tensor has no effect with --engine autodiff, whose gradients are burn's own tensor operations; add --engine manual, or drop the flag",
        ),
        (
            &["bench", "xor", "--kernel", "auto"][..],
            "error: --kernel auto has no effect with --engine autodiff",
        ),
    ] {
        let err = refused(args, None);
        assert!(err.starts_with(expected), "{args:?}: {err}");
    }
}

#[test]
fn a_config_files_settings_are_named_as_the_files() {
    let args = ["train", "--config", "config.json", "--init-scale", "2"];
    let err = refused(&args, Some(&xor_config(Kernel::Auto)));
    assert!(
        err.contains("--init-scale has no effect with --init glorot-network (the --config file's initialiser)"),
        "{err}"
    );
}

#[test]
fn flags_a_command_never_reads_are_refused() {
    // The expected lines are refusals.rs's messages: trace and gradcheck take no step,
    // compare runs --steps updates, bench steps at the constant --lr for --steps iterations.
    for (args, expected) in [
        (
            &["trace", "xor", "--lr", "0.5"][..],
            "error: --lr has no effect on trace, which prints one forward and backward pass and takes no step; drop the flag",
        ),
        (
            &["trace", "xor", "--full-batch"][..],
            "error: --full-batch has no effect on trace, which passes the first --examples examples; use --examples N, or drop the flag",
        ),
        (
            &["gradcheck", "xor", "--momentum", "0.9"][..],
            "error: --momentum has no effect on gradcheck, which checks the initial network's gradients and takes no step; drop the flag",
        ),
        (
            &["gradcheck", "circles", "--kernel", "fused"][..],
            "error: --kernel has no effect on gradcheck",
        ),
        (
            &["gradcheck", "xor", "--examples", "2", "--batch-size", "2"][..],
            "error: --batch-size has no effect on gradcheck with --examples, which checks the first --examples examples; drop one of them",
        ),
        (
            &["compare", "xor", "--epochs", "3"][..],
            "error: --epochs (or --iterations) has no effect on compare, which runs --steps updates; use --steps N, or drop the flag",
        ),
        (
            &["compare", "xor", "--iterations", "3"][..],
            "error: --epochs (or --iterations) has no effect on compare",
        ),
        (
            &["bench", "xor", "--schedule", "linear"][..],
            "error: --schedule has no effect on bench, which steps at the constant --lr; drop the flag",
        ),
        (
            &["bench", "xor", "--max-steps", "3"][..],
            "error: --max-steps has no effect on bench, which times --repeats rounds",
        ),
    ] {
        let err = refused(args, None);
        assert!(err.starts_with(expected), "{args:?}: {err}");
    }
}

/// The initial loss `J` of `burnprop trace xor ARGS`: the value under the line `J = …`.
fn initial_loss(args: &[&str]) -> f64 {
    let output = burnprop()
        .args(["trace", "xor"])
        .args(args)
        .output()
        .expect("the binary runs");
    assert!(output.status.success(), "{args:?}: {output:?}");
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    let mut lines = text.lines().skip_while(|line| !line.starts_with("J = "));
    lines
        .nth(1)
        .and_then(|line| line.trim().parse().ok())
        .unwrap_or_else(|| panic!("{args:?}: no loss in {text}"))
}

#[test]
fn the_same_flags_are_accepted_where_they_apply() {
    // --init-scale with --init normal scales the weights, so it changes the initial loss.
    let small = initial_loss(&["--init", "normal", "--init-scale", "0.01"]);
    let large = initial_loss(&["--init", "normal", "--init-scale", "3"]);
    assert!((small - large).abs() > 1e-3, "{small} vs {large}");

    let root = tempfile::tempdir().expect("a temporary directory");
    let train = |name: &str, args: &[&str]| {
        let out = root.path().join(name);
        burnprop()
            .args(args)
            .args(["--max-steps", "1", "--out"])
            .arg(&out)
            .assert()
            .success();
        RunDir::open(&out)
            .and_then(|run| run.config())
            .expect("config.json reads")
    };
    let config = train(
        "bias",
        &["train", "xor", "--bias", "true", "--bias-init", "same"],
    );
    assert!(config.bias);
    let config = train(
        "momentum",
        &["train", "xor", "--momentum", "0.5", "--dampening", "0.25"],
    );
    assert_eq!(config.optimizer.dampening, 0.25);
    let config = train(
        "decay",
        &["train", "xor", "--schedule", "linear", "--lr-final", "0.01"],
    );
    assert_eq!(config.optimizer.lr_final, 0.01);
    let config = train(
        "manual",
        &["train", "xor", "--engine", "manual", "--kernel", "tensor"],
    );
    assert_eq!(config.kernel, Kernel::Tensor);
    let config = train(
        "relu",
        &["train", "logreg", "--hidden", "4", "--activation", "relu"],
    );
    assert_eq!(config.hidden, [4]);
    // micrograd decays to 0.1 (preset.rs); made constant, its decay target goes with it.
    let config = train(
        "constant",
        &["train", "micrograd", "--schedule", "constant"],
    );
    assert_eq!(config.optimizer.lr_final, 0.0);
}

#[test]
fn a_flag_that_undoes_a_files_setting_or_comes_from_the_environment_is_accepted() {
    let root = tempfile::tempdir().expect("a temporary directory");
    // A config file with the fused kernel and the autodiff engine is refused (engine.rs);
    // --kernel auto mends it, so it changes something.
    let file = root.path().join("config.json");
    std::fs::write(&file, xor_config(Kernel::Fused)).expect("config.json is written");
    let out = root.path().join("run");
    burnprop()
        .args(["train", "--max-steps", "1", "--kernel", "auto", "--config"])
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let config = RunDir::open(&out)
        .and_then(|run| run.config())
        .expect("config.json reads");
    assert_eq!(
        (config.engine, config.kernel),
        (Engine::Autodiff, Kernel::Auto)
    );
    // BURNPROP_MNIST_DIR fills --data-dir for every preset: set for MNIST, it is no flag
    // typed for xor.
    burnprop()
        .env("BURNPROP_MNIST_DIR", Path::new("tests/fixtures/mnist"))
        .args(["train", "xor", "--max-steps", "1", "--out"])
        .arg(root.path().join("env"))
        .assert()
        .success();
}
