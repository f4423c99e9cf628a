//! `--data-file`: the user's own CSV file, as the `burnprop` binary takes it. Bad files are
//! refused in one line (exit 2) before any run directory exists; scikit-learn's tables
//! (examples/data, written by scripts/make-csv-examples.py) train as two classes, three
//! classes and a regression; `--target`, `--inputs` and `--task` change the network; gradcheck,
//! compare, trace and plot run on a file; eval refuses a file that changed.

use std::path::{Path, PathBuf};

use burnprop::config::ExperimentConfig;
use burnprop::data::table::{MAX_BYTES, MAX_COLUMNS};

use crate::cli::one_line_failure;
use crate::common::burnprop;

/// A CSV file of examples/data.
fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/data")
        .join(name)
}

/// Runs `burnprop` with `args`, expecting success; returns its standard output.
fn succeeds(args: &[&str]) -> String {
    let output = burnprop().args(args).output().expect("the binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{args:?} failed: {stderr}");
    String::from_utf8(output.stdout).expect("UTF-8")
}

/// Trains on `file` into `out` with the extra `args`; returns the run's configuration and its
/// summary.
fn train(file: &Path, out: &Path, args: &[&str]) -> (ExperimentConfig, serde_json::Value) {
    let (file, out) = (file.to_str().expect("UTF-8"), out.to_str().expect("UTF-8"));
    let mut all = vec!["train", "--data-file", file, "--out", out];
    all.extend(args);
    succeeds(&all);
    let read = |name: &str| std::fs::read(Path::new(out).join(name)).expect("written");
    let config = ExperimentConfig::from_json(&read("config.json")).expect("a config");
    let summary = serde_json::from_slice(&read("summary.json")).expect("a summary");
    (config, summary)
}

/// The file's recorded columns, task and classes.
fn file_of(config: &ExperimentConfig) -> &burnprop::data::DataFile {
    match &config.data {
        burnprop::data::DataConfig::File(file) => file,
        other => panic!("a file run, not {other:?}"),
    }
}

/// One bad file of each kind: what it is, its bytes, the flags beside it, and a part of the
/// line that refuses it.
type BadFile = (&'static str, Vec<u8>, &'static [&'static str], &'static str);

fn bad_files() -> Vec<BadFile> {
    vec![
        ("empty", b"".to_vec(), &[], "is empty"),
        (
            "header only",
            b"a,b\n".to_vec(),
            &[],
            "has a header but no rows",
        ),
        (
            "ragged",
            b"a,b\n1,0\n2\n".to_vec(),
            &[],
            "line 3: has 1 field(s) where the header has 2 columns",
        ),
        (
            "text input",
            b"a,b\n1,0\nx,1\n".to_vec(),
            &[],
            "line 3, column 'a': 'x' is not a number",
        ),
        (
            "missing",
            b"a,b\n1,0\n,1\n".to_vec(),
            &[],
            "line 3, column 'a': the value is missing",
        ),
        (
            "NA",
            b"a,b\n1,0\n2,NA\n".to_vec(),
            &[],
            "line 3, column 'b': the value is missing ('NA')",
        ),
        (
            "NaN",
            b"a,b\n1,0\nNaN,1\n".to_vec(),
            &[],
            "line 3, column 'a': 'NaN' is not a finite number",
        ),
        (
            "infinity",
            b"a,b\n1,0\n-inf,1\n".to_vec(),
            &[],
            "'-inf' is not a finite number",
        ),
        (
            "one class",
            b"a,b\n1,0\n2,0\n".to_vec(),
            &[],
            "column 'b': holds one class ('0') in all 2 rows",
        ),
        (
            "unknown column",
            b"a,b\n1,0\n2,1\n".to_vec(),
            &["--target", "label"],
            "--target names 'label', which is not a column; the columns are 'a', 'b'",
        ),
        (
            "unknown input",
            b"a,b\n1,0\n2,1\n".to_vec(),
            &["--inputs", "a,z"],
            "--inputs names 'z'",
        ),
        (
            "target as input",
            b"a,b\n1,0\n2,1\n".to_vec(),
            &["--inputs", "a,b"],
            "--inputs names the target column 'b'",
        ),
        (
            "duplicate",
            b"a,a,b\n1,2,0\n2,3,1\n".to_vec(),
            &[],
            "names the column 'a' twice",
        ),
        (
            "unnamed",
            b",a,b\n0,1,0\n1,2,1\n".to_vec(),
            &[],
            "column 1 has no name in the header",
        ),
        (
            "not UTF-8",
            b"a,b\n1,0\n2,\xff\n".to_vec(),
            &[],
            "line 3, column 'b': is not UTF-8 text",
        ),
        (
            "text to regress",
            b"a,b\n1,0.5\n2,cat\n".to_vec(),
            &["--task", "regress"],
            "line 3, column 'b': 'cat' is not a number, and regression (--task regress) needs numbers",
        ),
    ]
}

#[test]
fn bad_files_are_refused_in_one_line_before_any_run_directory() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("run");
    for (what, bytes, args, expected) in bad_files() {
        let path = dir.path().join("bad.csv");
        std::fs::write(&path, &bytes).expect("written");
        let mut cmd = burnprop();
        cmd.args(["train", "--data-file"])
            .arg(&path)
            .arg("--out")
            .arg(&out)
            .args(args);
        let err = one_line_failure(cmd, &[what]);
        assert!(
            err.contains("data file ") && err.contains(expected),
            "{what}: {err}"
        );
        assert!(!out.exists(), "{what}: a run directory was made");
    }
}

#[test]
fn files_over_the_limits_are_refused() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let wide = dir.path().join("wide.csv");
    let header: Vec<String> = (0..=MAX_COLUMNS).map(|i| format!("c{i}")).collect();
    std::fs::write(&wide, format!("{}\n", header.join(","))).expect("written");
    let mut cmd = burnprop();
    cmd.args(["trace", "--data-file"]).arg(&wide);
    let err = one_line_failure(cmd, &["wide"]);
    assert!(
        err.contains("has 4097 columns, more than the 4096 burnprop reads"),
        "{err}"
    );
    // A file over the byte limit is refused from its size, before a byte is read (a sparse
    // file: no disk space taken).
    let big = dir.path().join("big.csv");
    std::fs::File::create(&big)
        .and_then(|f| f.set_len(MAX_BYTES + 1))
        .expect("a sparse file");
    let mut cmd = burnprop();
    cmd.args(["gradcheck", "--data-file"]).arg(&big);
    let err = one_line_failure(cmd, &["big"]);
    assert!(err.contains("more than the 2147483648 (2 GiB)"), "{err}");
}

#[test]
fn a_two_class_file_trains_one_sigmoid_output() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = example("classification.csv");
    let (config, summary) = train(&file, &dir.path().join("run"), &[]);
    let recorded = file_of(&config);
    // `sha256sum examples/data/classification.csv`.
    assert_eq!(
        recorded.sha256,
        "ef8f19574042cef94206d80eb5229d355f9fca7dd03ed541d851ebcbde6a8567"
    );
    // make_classification(n_samples=500, …) in scripts/make-csv-examples.py; labels 0 and 1.
    assert_eq!((recorded.rows, recorded.target.as_str()), (500, "label"));
    assert_eq!(recorded.classes, ["0", "1"]);
    assert_eq!(config.widths(), "4-16-1");
    assert_eq!(config.loss.name(), "bce");
    // Chance is 0.5; the default run reaches 0.942 (measured, README "Your own data").
    let accuracy = summary["accuracy"].as_f64().expect("an accuracy");
    assert!(accuracy > 0.9, "training accuracy {accuracy}");

    // --task regress reads the same 0/1 labels as numbers: one identity output, squared error.
    let (config, _) = train(
        &file,
        &dir.path().join("regress"),
        &["--task", "regress", "--epochs", "5"],
    );
    assert_eq!(config.loss.name(), "mse");
    assert!(file_of(&config).classes.is_empty());
}

#[test]
fn iris_trains_a_softmax_over_its_species_and_the_column_flags_change_the_network() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let iris = example("iris.csv");
    let (config, summary) = train(&iris, &dir.path().join("run"), &[]);
    // The species as text, in byte order.
    assert_eq!(
        file_of(&config).classes,
        ["setosa", "versicolor", "virginica"]
    );
    assert_eq!(config.widths(), "4-16-3");
    assert_eq!(config.loss.name(), "cross-entropy");
    // Chance is 1/3; the default run classifies 148 of 150 (README "Your own data").
    let accuracy = summary["accuracy"].as_f64().expect("an accuracy");
    assert!(accuracy > 0.95, "training accuracy {accuracy}");

    let (config, _) = train(
        &iris,
        &dir.path().join("petals"),
        &["--inputs", "petal_length,petal_width", "--epochs", "5"],
    );
    assert_eq!(config.widths(), "2-16-3");
    assert_eq!(file_of(&config).inputs, ["petal_length", "petal_width"]);

    // A target of measurements (5.1, 4.9, …) is a regression.
    let (config, _) = train(
        &iris,
        &dir.path().join("width"),
        &[
            "--target",
            "petal_width",
            "--inputs",
            "sepal_length,sepal_width,petal_length",
            "--epochs",
            "5",
        ],
    );
    assert_eq!(config.widths(), "3-16-1");
    assert_eq!(config.loss.name(), "mse");
}

#[test]
fn diabetes_trains_a_regression_below_the_mean_predictor() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("run");
    let (config, summary) = train(&example("diabetes.csv"), &out, &[]);
    assert_eq!(config.widths(), "10-16-1");
    assert_eq!(config.loss.name(), "mse");
    // Predicting the mean scores ½·var(y) = 2964.9 (numpy: 0.5 * load_diabetes().target.var());
    // the default run ends at 1425.6 (`burnprop train --data-file examples/data/diabetes.csv`
    // on the project's AMD EPYC, 2026-12-07), a linear fit's level.
    let loss = summary["final_loss"].as_f64().expect("a loss");
    assert!(loss < 1500.0, "final loss {loss}");
    assert!(
        summary
            .get("accuracy")
            .is_none_or(serde_json::Value::is_null)
    );
    // A classifier's loss on a regression is refused.
    let mut cmd = burnprop();
    cmd.args(["train", "--data-file"])
        .arg(example("diabetes.csv"))
        .args(["--loss", "bce", "--out"])
        .arg(dir.path().join("bce"));
    let err = one_line_failure(cmd, &["bce on a regression"]);
    assert!(err.contains("--loss bce needs classes"), "{err}");
    // eval and plot cope without classes.
    let run = out.to_str().expect("UTF-8");
    let eval = succeeds(&["eval", "--run", run]);
    assert!(eval.contains("a regression: no accuracy"), "{eval}");
    let plot = succeeds(&["plot", "--run", run]);
    assert!(plot.contains("loss.png"), "{plot}");
    // A regression's residuals whatever its width; the plane's output only on two inputs.
    assert!(plot.contains("residuals.png"), "{plot}");
    assert!(!plot.contains("predicted-surface.png"), "{plot}");
}

#[test]
fn a_file_of_two_input_columns_gets_the_plane_s_figures() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let two = dir.path().join("two");
    train(
        &example("iris.csv"),
        &two,
        &["--inputs", "petal_length,petal_width"],
    );
    let plot = succeeds(&["plot", "--run", two.to_str().expect("UTF-8")]);
    for figure in ["data.png", "decision-boundary.png", "neurons.png"] {
        assert!(plot.contains(figure), "{figure}: {plot}");
    }
    let svg = std::fs::read_to_string(two.join("data.svg")).expect("data.svg");
    assert!(
        svg.contains("versicolor"),
        "the legend names the file's classes"
    );
    // Four input columns: no plane to draw.
    let four = dir.path().join("four");
    train(&example("iris.csv"), &four, &[]);
    let plot = succeeds(&["plot", "--run", four.to_str().expect("UTF-8")]);
    assert!(!plot.contains("decision-boundary.png"), "{plot}");
}

#[test]
fn gradcheck_compare_and_trace_run_on_a_file() {
    let iris = example("iris.csv");
    let iris = iris.to_str().expect("UTF-8");
    let report = succeeds(&["gradcheck", "--data-file", iris]);
    assert!(report.contains("verdict: pass"), "{report}");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("compare");
    let compared = succeeds(&[
        "compare",
        "--data-file",
        iris,
        "--steps",
        "20",
        "--out",
        out.to_str().expect("UTF-8"),
    ]);
    assert!(compared.contains("agree"), "{compared}");
    let trace = succeeds(&["trace", "--data-file", iris, "--examples", "2"]);
    assert!(trace.contains("Z1"), "{trace}");
}

#[test]
fn eval_refuses_a_changed_file_and_reads_another_of_the_same_columns() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mine = dir.path().join("mine.csv");
    std::fs::copy(example("iris.csv"), &mine).expect("copied");
    let out = dir.path().join("run");
    train(&mine, &out, &["--epochs", "20"]);
    let run = out.to_str().expect("UTF-8");
    let eval = succeeds(&["eval", "--run", run]);
    assert!(eval.contains("setosa"), "{eval}");

    // One measurement changed: the hash differs.
    let text = std::fs::read_to_string(&mine).expect("read");
    std::fs::write(&mine, text.replacen("5.1,3.5", "5.2,3.5", 1)).expect("written");
    let mut cmd = burnprop();
    cmd.args(["eval", "--run", run]);
    let err = one_line_failure(cmd, &["eval of a changed file"]);
    assert!(err.contains("has changed since the run read it"), "{err}");
    // As does resuming, or plotting, a run of it.
    let mut cmd = burnprop();
    cmd.args(["plot", "--run", run]);
    let err = one_line_failure(cmd, &["plot of a changed file"]);
    assert!(err.contains("has changed since the run read it"), "{err}");

    // Held-out rows in the same columns: the first 20 setosas, every label one of the run's.
    let held = dir.path().join("held.csv");
    let rows: Vec<&str> = text.lines().take(21).collect();
    std::fs::write(&held, rows.join("\n")).expect("written");
    let eval = succeeds(&[
        "eval",
        "--run",
        run,
        "--data-file",
        held.to_str().expect("UTF-8"),
    ]);
    assert!(eval.contains("of 20)"), "{eval}");
    // A label the run never saw is refused.
    std::fs::write(&held, format!("{}\n1,2,3,4,rose\n", rows.join("\n"))).expect("written");
    let mut cmd = burnprop();
    cmd.args(["eval", "--run", run, "--data-file"]).arg(&held);
    let err = one_line_failure(cmd, &["an unknown label"]);
    assert!(
        err.contains("line 22, column 'species': 'rose' is not one of the run's classes"),
        "{err}"
    );
}
