//! The examples (`examples/*.rs`) run, each on small settings, and print what they promise.
//!
//! `cargo test` builds every example beside the test binary (`target/<profile>/examples/`);
//! cargo gives integration tests no variable for their paths, so they are found from this
//! binary's own path (`target/<profile>/deps/it-…`).

use std::path::PathBuf;
use std::process::Output;

use crate::common::{PRINTED, mnist_fixture};

/// `target/<profile>/examples/NAME`, built by the same `cargo test`.
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let profile = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps/it-…");
    let path = profile.join("examples").join(name);
    assert!(
        path.exists(),
        "{} is missing: `cargo test` builds the examples (not `cargo test --test it`)",
        path.display()
    );
    path
}

/// Runs example `name` with `args` in a fresh directory (the examples write `runs/examples/NAME`
/// there), on flex; asserts that it succeeds and returns its standard output.
fn run(name: &str, args: &[&str]) -> String {
    let dir = tempfile::tempdir().expect("a temporary directory");
    run_in(dir.path(), name, args)
}

/// Runs example `name` with `args` in `dir`; asserts as [`run`] does.
fn run_in(dir: &std::path::Path, name: &str, args: &[&str]) -> String {
    let output: Output = std::process::Command::new(example(name))
        .args(args)
        .current_dir(dir)
        .env("BURN_DEVICE", "flex")
        .env_remove("BURNPROP_MNIST_DIR")
        .output()
        .expect("the example runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{name}: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        dir.join("runs/examples").exists() || name == "gradients",
        "{name} writes its run under runs/examples/"
    );
    stdout
}

/// The number after `key` on the first line that has it.
fn number_after(text: &str, key: &str) -> f64 {
    let rest = text
        .lines()
        .find_map(|line| line.split_once(key).map(|(_, rest)| rest))
        .unwrap_or_else(|| panic!("no `{key}` in:\n{text}"));
    rest.trim_start()
        .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == 'e'))
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number after `{key}` in:\n{text}"))
}

#[test]
fn the_xor_example_prints_notebook_003s_network_and_its_predictions() {
    let stdout = run("xor", &[]);
    assert!(stdout.contains("xor: 1000 steps"), "{stdout}");
    // The network has no biases: [0, 0] gives Z2 = 0 and ŷ = 0.5 exactly, class 0 by the
    // strict ŷ > 0.5 rule (DESIGN.md's pitfall).
    assert!(
        stdout.contains("[0.0, 0.0] → ŷ = 0.5000 → 0 (target 0)"),
        "{stdout}"
    );
    let predictions = stdout.lines().filter(|l| l.contains("→ ŷ = ")).count();
    assert_eq!(
        predictions, 4,
        "one line per row of the XOR table: {stdout}"
    );
}

#[test]
fn the_logistic_regression_example_prints_notebook_001s_a1_and_learns_y_equals_x1() {
    let stdout = run("logistic_regression", &[]);
    // Notebook 001, In[5]: np.random.seed(1); W1 = 2*np.random.random((3, 1)) - 1;
    // print(sigmoid(X @ W1)), printed to 8 decimals (as tests/it/notebooks.rs holds the library).
    let a1 = [0.60841366, 0.45860596, 0.3262757, 0.36375058];
    let parse = |key: &str| -> Vec<f64> {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(key))
            .unwrap_or_else(|| panic!("no `{key}` in:\n{stdout}"));
        line[key.len()..]
            .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == 'e'))
            .filter_map(|n| n.parse().ok())
            .collect()
    };
    let before = parse("A1 before training:");
    assert_eq!(before.len(), 4, "{stdout}");
    for (got, want) in before.iter().zip(a1) {
        // Printed to 8 decimals, computed in f32.
        assert!((got - want).abs() <= PRINTED + 1e-6, "A1 {got} vs {want}");
    }
    // y copies X1 (the table's rows 0 0 1, 1 1 1, 1 0 1, 0 1 1): after 22 steps the two
    // rows with X1 = 1 predict above 0.5 and the others below.
    let after = parse("A1 after training:");
    assert_eq!(after.len(), 4, "{stdout}");
    for (row, (a, y)) in after.iter().zip([0.0, 1.0, 1.0, 0.0]).enumerate() {
        assert_eq!(f64::from(u8::from(*a > 0.5)), y, "row {row}: {a}");
    }
}

#[test]
fn the_three_layer_example_prints_eight_falling_costs() {
    let stdout = run("three_layer", &[]);
    let costs: Vec<f64> = stdout
        .lines()
        .filter(|l| l.contains("/8: Cost="))
        .map(|l| number_after(l, "Cost="))
        .collect();
    assert_eq!(costs.len(), 8, "notebook 002's 8 epochs: {stdout}");
    for pair in costs.windows(2) {
        assert!(pair[1] < pair[0], "the cost falls every epoch: {costs:?}");
    }
}

#[test]
fn the_circles_example_starts_from_notebook_000s_loss() {
    // Three of the notebook's 50000 iterations (the example's argument).
    let stdout = run("circles", &["3"]);
    assert!(stdout.contains("circles: 3 steps"), "{stdout}");
    // Notebook 000's loop in numpy (scripts/reference/seed000_circles_numpy.py --iterations 3, the same
    // figure tests/it/notebooks.rs holds the library to): loss 39183.15151047596 at θ0;
    // printed to 2 decimals from an f32 sum of 50000 terms.
    let first = number_after(&stdout, "iteration      0: loss");
    assert!((first - 39183.15151047596).abs() <= 0.02, "{first}");
}

#[test]
fn the_gradients_example_prints_three_agreeing_gradients_and_a_passing_check() {
    let stdout = run("gradients", &[]);
    let rows: Vec<[f64; 3]> = stdout
        .lines()
        .filter(|l| l.starts_with('W') || l.starts_with('b'))
        .filter_map(|l| {
            let n: Vec<f64> = l
                .split_whitespace()
                .skip(1)
                .filter_map(|w| w.parse().ok())
                .collect();
            (n.len() == 3).then(|| [n[0], n[1], n[2]])
        })
        .collect();
    // Notebook 000's 2-3-2 network with biases: 6 + 3 + 6 + 2 parameters.
    assert_eq!(rows.len(), 17, "{stdout}");
    for [manual, autodiff, numeric] in rows {
        // Printed to 12 decimals; central differences with ε = 1e-6 in f64 carry ~1e-9
        // relative error on gradients of order 100.
        let scale = numeric.abs().max(1.0);
        assert!(
            (manual - autodiff).abs() <= 1e-11 * scale,
            "{manual} vs {autodiff}"
        );
        assert!(
            (manual - numeric).abs() <= 1e-6 * scale,
            "{manual} vs {numeric}"
        );
    }
    assert!(stdout.contains("pass"), "the check's verdict: {stdout}");
}

#[test]
fn the_mnist_example_trains_on_the_fixture_and_prints_its_confusion_matrix() {
    let fixture = mnist_fixture();
    let stdout = run("mnist", &[fixture.to_str().expect("a UTF-8 path")]);
    // 10 epochs of ⌈600/64⌉ = 10 minibatches on the fixture's 600 training images.
    assert!(stdout.contains("mnist: 100 steps"), "{stdout}");
    let accuracy = number_after(&stdout, "test accuracy");
    assert!((0.0..=1.0).contains(&accuracy), "{stdout}");
    assert!(stdout.to_lowercase().contains("confusion"), "{stdout}");
}

#[test]
fn an_example_run_again_rewrites_its_own_directory() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let first = run_in(dir.path(), "xor", &[]);
    let config = || std::fs::read_to_string(dir.path().join("runs/examples/xor/config.json"));
    let first_config = config().expect("the first run's config.json");
    let again = run_in(dir.path(), "xor", &[]);
    // The same predictions; a new run (its own run id) in the same directory.
    let predictions = |out: &str| -> Vec<String> {
        out.lines()
            .filter(|l| l.contains("ŷ ="))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(predictions(&first).len(), 4, "{first}");
    assert_eq!(predictions(&first), predictions(&again));
    assert_ne!(
        config().expect("the second run's config.json"),
        first_config
    );
}
