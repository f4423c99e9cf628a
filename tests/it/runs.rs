//! Run directories: what a run writes, reproducibility, and loading a saved model.

use std::fs;
use std::path::Path;

use burn::tensor::Device;

use burnprop::artifacts::{CONFIG, HISTORY, MODEL, RunDir, SUMMARY};
use burnprop::config::{Engine, Preset};
use burnprop::device::Backend;
use burnprop::error::Error;
use burnprop::train::{RunOptions, Silent, run_to_dir};

use crate::common::{initial_network_and_inputs, values};

/// `history.csv` without its `wall_seconds` column, the one field that differs between two
/// runs of the same seed.
fn trajectory(dir: &Path) -> String {
    fs::read_to_string(dir.join(HISTORY))
        .expect("history.csv exists")
        .lines()
        .map(|line| line.rsplit_once(',').map_or(line, |(kept, _)| kept))
        .collect::<Vec<_>>()
        .join("\n")
}

fn short_circles(seed: u32, engine: Engine, out: &Path) {
    let mut config = Preset::Circles.config();
    config.seed = seed;
    config.max_steps = Some(40);
    config.batch_size = Some(5000);
    config.engine = engine;
    run_to_dir(
        &config,
        Backend::Flex,
        &Device::flex(),
        out,
        &RunOptions::default(),
        &mut Silent,
    )
    .expect("training succeeds");
}

#[test]
fn same_seed_same_history_and_a_different_seed_a_different_one() {
    for engine in [Engine::Autodiff, Engine::Manual] {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let (a, b, c) = (
            dir.path().join("a"),
            dir.path().join("b"),
            dir.path().join("c"),
        );
        short_circles(42, engine, &a);
        short_circles(42, engine, &b);
        short_circles(7, engine, &c);
        assert_eq!(
            trajectory(&a),
            trajectory(&b),
            "{engine}: the same seed must give the same history, bit for bit"
        );
        assert_ne!(
            trajectory(&a),
            trajectory(&c),
            "{engine}: another seed must give another history"
        );
        // 40 minibatch steps, recorded before each update.
        assert_eq!(trajectory(&a).lines().count(), 41);
    }
}

#[test]
fn a_run_writes_its_artifacts_and_the_model_loads_back() {
    for engine in [Engine::Autodiff, Engine::Manual] {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let out = dir.path().join("xor");
        written_and_loaded(engine, &out);
    }
}

fn written_and_loaded(engine: Engine, out: &Path) {
    let mut config = Preset::Xor.config();
    config.engine = engine;
    let report = run_to_dir(
        &config,
        Backend::Flex,
        &Device::flex(),
        out,
        &RunOptions::default(),
        &mut Silent,
    )
    .expect("training succeeds");
    for file in [CONFIG, HISTORY, SUMMARY, MODEL] {
        assert!(out.join(file).is_file(), "{engine}: {file} was not written");
    }

    let history = fs::read_to_string(out.join(HISTORY)).expect("readable");
    assert!(history.starts_with("step,epoch,loss,accuracy,wall_seconds\n0,0,"));
    assert_eq!(history.lines().count(), 1 + 1001);

    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join(SUMMARY)).expect("readable"))
            .expect("valid JSON");
    for key in [
        "final_loss",
        "accuracy",
        "steps",
        "wall_seconds",
        "steps_per_second",
        "engine",
        "backend",
        "dtype",
        "seed",
        "version",
    ] {
        assert!(summary.get(key).is_some(), "summary.json lacks {key}");
    }
    assert_eq!(summary["steps"], 1000);
    assert_eq!(summary["engine"], engine.name());
    assert_eq!(summary["backend"], "flex");
    assert_eq!(summary["dtype"], "f32");
    assert!(
        summary.get("test_accuracy").is_none(),
        "XOR has no test set"
    );

    let run_dir = RunDir::open(out).expect("a run directory");
    let saved = run_dir.config().expect("config.json parses");
    assert_eq!(saved.to_string(), config.to_string());
    let loaded = run_dir
        .model(&saved, &Device::flex())
        .expect("the model loads");
    let (_, x) = initial_network_and_inputs(&saved);
    assert_eq!(
        values(loaded.forward(x.clone())),
        values(report.trained.model.forward(x)),
        "the loaded model predicts what the trained one did"
    );
}

#[test]
fn a_diverging_run_keeps_its_config_and_history_and_says_it_diverged() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("nan");
    let mut config = Preset::Xor.config();
    config.optimizer.lr = 1e30;
    let err = run_to_dir(
        &config,
        Backend::Flex,
        &Device::flex(),
        &out,
        &RunOptions::default(),
        &mut Silent,
    )
    .unwrap_err();
    assert!(matches!(err, Error::Diverged { step: 1, .. }), "{err}");
    assert!(out.join(CONFIG).is_file());
    let history = fs::read_to_string(out.join(HISTORY)).expect("history.csv was written");
    assert_eq!(
        history.lines().count(),
        3,
        "header, step 0, and the step that diverged"
    );
    assert!(!out.join(MODEL).exists(), "a network of NaNs is not kept");
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join(SUMMARY)).expect("summary.json"))
            .expect("JSON");
    assert_eq!(summary["status"], "diverged");
    assert_eq!(summary["steps"], 1, "the step whose loss was NaN");
    assert!(summary["final_loss"].is_null());
}

#[test]
fn a_new_run_replaces_an_old_one_only_when_told_to_and_then_all_of_it() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("run");
    let config = Preset::Xor.config();
    run_to_dir(
        &config,
        Backend::Flex,
        &Device::flex(),
        &out,
        &RunOptions::default(),
        &mut Silent,
    )
    .expect("training succeeds");
    assert!(out.join(MODEL).exists() && out.join(SUMMARY).exists());
    let mut diverging = config.clone();
    diverging.optimizer.lr = 1e30;
    let refused = run_to_dir(
        &diverging,
        Backend::Flex,
        &Device::flex(),
        &out,
        &RunOptions::default(),
        &mut Silent,
    )
    .unwrap_err();
    assert!(
        matches!(refused, Error::RunExists { .. }),
        "a completed run is kept without overwrite: {refused}"
    );
    assert!(out.join(MODEL).exists(), "and left as it was");
    let overwrite = RunOptions {
        overwrite: true,
        ..RunOptions::default()
    };
    run_to_dir(
        &diverging,
        Backend::Flex,
        &Device::flex(),
        &out,
        &overwrite,
        &mut Silent,
    )
    .unwrap_err();
    assert!(
        !out.join(MODEL).exists(),
        "a model left from the first run would not match the new config.json"
    );
    let summary = fs::read_to_string(out.join(SUMMARY)).expect("the new run's summary.json");
    assert!(
        summary.contains("\"status\": \"diverged\""),
        "the summary is the new run's: {summary}"
    );
}

#[test]
fn opening_a_directory_that_is_not_a_run_fails_clearly() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let err = RunDir::open(dir.path()).unwrap_err().to_string();
    assert!(err.contains("has no config.json"), "{err}");
}

#[test]
fn a_config_from_an_older_burnprop_reads_and_a_broken_one_says_so() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut old = serde_json::to_value(Preset::Xor.config()).expect("JSON");
    // config.json as burnprop wrote it before the learning-rate schedule existed: the field
    // takes the value such runs had.
    old["optimizer"]
        .as_object_mut()
        .expect("an object")
        .remove("schedule");
    let path = dir.path().join("config.json");
    std::fs::write(&path, old.to_string()).expect("written");
    let run = RunDir::open(dir.path()).expect("a config.json is there");
    let config = run.config().expect("an older config reads");
    assert_eq!(
        config.optimizer.schedule,
        Preset::Xor.config().optimizer.schedule
    );
    // A field no burnprop ever left out is named, with the likely cause.
    old.as_object_mut().expect("an object").remove("loss");
    std::fs::write(&path, old.to_string()).expect("written");
    let err = run.config().unwrap_err().to_string();
    assert!(err.contains("missing field `loss`"), "{err}");
    assert!(
        err.contains("an older burnprop may have written it"),
        "{err}"
    );
}
