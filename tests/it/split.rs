//! `--test-fraction` and `--standardize` on generated data: the test rows are held out of
//! training and evaluated per epoch, the split follows the run's seed alone, the network sees
//! standardised inputs, `eval` applies the stored values, resuming reproduces the run bit for
//! bit, and bad fractions are refused in one line.

use std::fs;
use std::path::Path;

use burn::tensor::Device;

use burnprop::artifacts::RunDir;
use burnprop::config::{ExperimentConfig, Preset};
use burnprop::data::split::{SPLIT_STREAM, split};
use burnprop::data::{DataConfig, Examples, Standardization, Standardize, TrainingData};
use burnprop::device::Backend;
use burnprop::eval::evaluate_run;
use burnprop::rng::NumpyRng;
use burnprop::train::{
    CheckpointPolicy, Experiment, History, OpenedRun, RunOptions, RunSummary, Silent, resume,
    run_to_dir,
};

use crate::cli::one_line_failure;
use crate::common::{burnprop, values};

/// micrograd's moons (100 points, 100 full-batch steps) with a quarter held out.
fn moons(fraction: Option<f64>, standardize: bool) -> ExperimentConfig {
    let mut config = Preset::Micrograd.config();
    config.test_fraction = fraction;
    config.standardize = standardize.then_some(Standardize::TrainingSplit);
    config
}

fn train(config: &ExperimentConfig, out: &Path) {
    run_to_dir(
        config,
        Backend::Flex,
        &Device::flex(),
        out,
        &RunOptions::default(),
        &mut Silent,
    )
    .expect("training succeeds");
}

fn summary(dir: &Path) -> RunSummary {
    let text = fs::read_to_string(dir.join("summary.json")).expect("summary.json");
    serde_json::from_str(&text).expect("a summary")
}

fn history(dir: &Path) -> History {
    let read = |name: &str| fs::read_to_string(dir.join(name)).expect(name);
    History {
        records: History::records_from_csv(&read("history.csv")).expect("history.csv reads"),
        epochs: History::epochs_from_csv(&read("epochs.csv")).expect("epochs.csv reads"),
        outputs: Vec::new(),
    }
}

/// The examples of `config`, drawn without split or standardisation.
fn drawn(config: &ExperimentConfig) -> Examples {
    let mut plain = config.clone();
    plain.test_fraction = None;
    plain.standardize = None;
    let experiment = Experiment::new(&plain, &Device::flex()).expect("data");
    experiment.examples().expect("generated data").clone()
}

fn rows(examples: &Examples) -> Vec<Vec<f64>> {
    examples.iter().map(|e| e.x.to_vec()).collect()
}

#[test]
fn the_test_rows_are_held_out_of_training_and_evaluated_after_every_epoch() {
    let out = tempfile::tempdir().expect("a temporary directory");
    let (all, held) = (out.path().join("all"), out.path().join("held"));
    train(&moons(None, false), &all);
    train(&moons(Some(0.25), false), &held);
    // ceil(0.25 × 100) = 25 test rows, 75 for training.
    let s = summary(&held);
    assert_eq!((s.training_examples, s.test_examples), (Some(75), Some(25)));
    assert_eq!(summary(&all).test_examples, None);
    assert!(!all.join("epochs.csv").exists());
    // Step 0's loss is the initial network's on the training rows: another set of rows.
    let h = history(&held);
    let first = History::records_from_csv(&fs::read_to_string(all.join("history.csv")).unwrap())
        .expect("history.csv reads")[0]
        .loss;
    assert_ne!(h.records[0].loss, first);
    // 100 epochs of one step each, at most 1000 evaluations: one after every epoch.
    assert_eq!(h.epochs.len(), 100);
    assert_eq!(h.epochs[99].epoch, 100);
    assert_eq!(s.test_loss, Some(h.epochs[99].test_loss));
    // eval evaluates the same 25 rows with the same network.
    let (_, report) =
        evaluate_run(&RunDir::open(&held).expect("a run"), None, &Device::flex()).expect("eval");
    assert_eq!((report.split, report.confusion.total()), ("test", 25));
    assert_eq!(Some(report.loss), s.test_loss);
}

#[test]
fn the_split_follows_the_seed_alone_and_leaves_the_other_draws_as_they_were() {
    let config = moons(Some(0.25), false);
    let examples = drawn(&config);
    let experiment = Experiment::new(&config, &Device::flex()).expect("data");
    let TrainingData::Prepared {
        train,
        test: Some(test),
        standardization: None,
    } = &experiment.data
    else {
        panic!("a split without standardisation");
    };
    // The test rows are the first 25 of numpy's RandomState([seed, 0x73706C74]).permutation,
    // the training rows the other 75, in the permutation's order.
    let order = NumpyRng::from_key(&[config.seed, SPLIT_STREAM]).permutation(100);
    let all = rows(&examples);
    let pick = |indices: &[usize]| indices.iter().map(|&i| all[i].clone()).collect::<Vec<_>>();
    assert_eq!(rows(test), pick(&order[..25]));
    assert_eq!(rows(train), pick(&order[25..]));
    // Same seed, same split; another seed, another split of the same rows.
    let (_, again) = split(&examples, 0.25, config.seed).expect("a split");
    assert_eq!(rows(&again), rows(test));
    let (_, other) = split(&examples, 0.25, config.seed + 1).expect("a split");
    assert_ne!(rows(&other), rows(test));
    // The initial network is drawn as without the split.
    let plain = Experiment::new(&moons(None, false), &Device::flex()).expect("data");
    for (a, b) in experiment
        .model
        .params()
        .into_iter()
        .zip(plain.model.params())
    {
        assert_eq!(values(a.weight), values(b.weight));
    }
}

#[test]
fn standardize_feeds_the_network_the_training_split_with_mean_0_and_deviation_1() {
    let config = moons(Some(0.25), true);
    let experiment = Experiment::new(&config, &Device::flex()).expect("data");
    let values_applied = experiment.standardization().expect("standardised").clone();
    let train = experiment.examples().expect("examples");
    assert_eq!(values_applied, Standardization::of(train));
    // config.json stores the values, not only the request.
    assert_eq!(
        experiment.applied(&config).standardize,
        Some(Standardize::Columns(values_applied.clone()))
    );
    // The batch the network trains on: every column with mean 0 and deviation 1 (f64 runs;
    // micrograd's preset computes in f64, so only summation rounding remains).
    let batch = experiment.first_batch(&config, 75, &Device::flex());
    let inputs = values(batch.inputs());
    for column in 0..2 {
        let x: Vec<f64> = inputs.iter().skip(column).step_by(2).copied().collect();
        let mean = x.iter().sum::<f64>() / 75.0;
        let deviation = (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 75.0).sqrt();
        assert!(mean.abs() < 1e-14, "column {column}: mean {mean}");
        assert!(
            (deviation - 1.0).abs() < 1e-14,
            "column {column}: {deviation}"
        );
    }
    // The drawn moons are not standardised: their first column's mean is about 0.5.
    assert!(values_applied.mean[0] > 0.3, "{:?}", values_applied.mean);
}

#[test]
fn eval_applies_the_values_config_json_stores() {
    let out = tempfile::tempdir().expect("a temporary directory");
    let dir = out.path().join("run");
    train(&moons(Some(0.25), true), &dir);
    let eval = || {
        let run = RunDir::open(&dir).expect("a run");
        evaluate_run(&run, None, &Device::flex())
            .expect("eval")
            .1
            .loss
    };
    assert_eq!(Some(eval()), summary(&dir).test_loss);
    // Shift the stored means: eval standardises with them, not with values computed anew.
    let path = dir.join("config.json");
    let mut config = ExperimentConfig::from_json(&fs::read(&path).unwrap()).expect("config");
    let Some(Standardize::Columns(values)) = &mut config.standardize else {
        panic!("config.json stores the values");
    };
    values.mean[0] += 1.0;
    fs::write(&path, serde_json::to_vec(&config).unwrap()).expect("written");
    assert_ne!(Some(eval()), summary(&dir).test_loss);
}

#[test]
fn a_run_with_a_test_split_resumes_bit_for_bit() {
    // Circles: 200 points, 2500 full-batch iterations: evaluated every ⌈2500 / 1000⌉ = 3rd
    // epoch and after the last, 833 + 1 times.
    let mut config = Preset::Circles.config();
    if let DataConfig::Circles { samples, .. } = &mut config.data {
        *samples = 200;
    }
    config.epochs = 2500;
    config.test_fraction = Some(0.2);
    config.standardize = Some(Standardize::TrainingSplit);
    let out = tempfile::tempdir().expect("a temporary directory");
    let (whole, stopped) = (out.path().join("whole"), out.path().join("stopped"));
    train(&config, &whole);
    // Stopped after step 1236, whose epoch's evaluation (1236 = 3 × 412) is still to do.
    let asked = std::cell::Cell::new(0);
    let stop = || {
        asked.set(asked.get() + 1);
        (asked.get() == 1236).then_some(burnprop::interrupt::Signal::Interrupt)
    };
    let options = RunOptions {
        checkpoints: CheckpointPolicy {
            every_steps: Some(500),
            every: None,
        },
        stop: &stop,
        overwrite: false,
    };
    let report = run_to_dir(
        &config,
        Backend::Flex,
        &Device::flex(),
        &stopped,
        &options,
        &mut Silent,
    )
    .expect("stopped");
    assert_eq!(report.summary.steps, 1236);
    let OpenedRun::Resumable(run) = OpenedRun::open(&stopped).expect("readable") else {
        panic!("steps are left");
    };
    resume(
        *run,
        Backend::Flex,
        &Device::flex(),
        &RunOptions::default(),
        &mut Silent,
    )
    .expect("resumed");
    let (a, b) = (history(&whole), history(&stopped));
    assert_eq!(a.epochs.len(), 834);
    assert_eq!(a.epochs[0].epoch, 3);
    assert_eq!(a.epochs[833].epoch, 2500);
    let without_times = |h: &History| {
        let losses: Vec<u64> = h.records.iter().map(|r| r.loss.to_bits()).collect();
        let tests: Vec<u64> = h.epochs.iter().map(|e| e.test_loss.to_bits()).collect();
        (losses, tests)
    };
    assert_eq!(without_times(&a), without_times(&b));
    assert_eq!(parameter_bits(&whole), parameter_bits(&stopped));
    assert_eq!(summary(&whole).test_loss, summary(&stopped).test_loss);
}

/// Every parameter of the run's saved network, as bits.
fn parameter_bits(dir: &Path) -> Vec<u64> {
    let run = RunDir::open(dir).expect("a run directory");
    let config = run.config().expect("its config");
    let model = run.model(&config, &Device::flex()).expect("its model");
    let params = model.params().into_iter();
    params
        .flat_map(|p| [values(p.weight), p.bias.map(values).unwrap_or_default()].concat())
        .map(f64::to_bits)
        .collect()
}

#[test]
fn fractions_that_leave_a_side_empty_are_refused_in_one_line() {
    for (fraction, expected) in [
        (
            "0",
            "--test-fraction must lie strictly between 0 and 1 (got 0)",
        ),
        (
            "1",
            "--test-fraction must lie strictly between 0 and 1 (got 1)",
        ),
        (
            "-0.5",
            "--test-fraction must lie strictly between 0 and 1 (got -0.5)",
        ),
        (
            "NaN",
            "--test-fraction must lie strictly between 0 and 1 (got NaN)",
        ),
        // ceil(0.9 × 4) = 4 of xor's 4 rows.
        ("0.9", "--test-fraction 0.9 leaves no training example"),
    ] {
        let out = tempfile::tempdir().expect("a temporary directory");
        let args = ["train", "xor", "--test-fraction", fraction, "--out"];
        let mut cmd = burnprop();
        cmd.args(args).arg(out.path());
        let err = one_line_failure(cmd, &args);
        assert!(err.contains(expected), "{fraction}: {err}");
        assert!(!out.path().join("config.json").exists(), "{fraction}");
    }
    let args = ["train", "mnist", "--test-fraction", "0.2"];
    let mut cmd = burnprop();
    cmd.args(args);
    let err = one_line_failure(cmd, &args);
    assert!(err.contains("has its own test split"), "{err}");
}

#[test]
fn a_full_batch_run_prints_its_test_figures_as_often_as_its_steps() {
    // A full-batch run with a test split ends an epoch at every step: 1000 epochs of xor's
    // 1000 iterations. Piped, its step lines come every 1000 / 20 = 50 steps
    // (`progress::default_spacing`), and its epoch lines with them: epochs 50, 100, …, 1000.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = burnprop()
        .args(["train", "xor", "--data", "moons", "--test-fraction", "0.25"])
        .arg("--out")
        .arg(dir.path().join("run"))
        .output()
        .expect("burnprop runs");
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let epochs: Vec<usize> = stdout
        .lines()
        .filter_map(|line| {
            line.strip_prefix("epoch")?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .collect();
    assert_eq!(
        epochs,
        (1..=20).map(|k| 50 * k).collect::<Vec<_>>(),
        "{stdout}"
    );
}
