//! `--data`: scikit-learn's moons and TensorFlow Playground's sets in place of a 2-D preset's
//! data, trained and plotted from the command line.

use std::fs;
use std::path::Path;

use burnprop::data::{self, DataConfig, PlaygroundSet, RegressionSet, TrainingData};

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
    let cases: [(&[&str], &str); 8] = [
        (
            &["train", "xor", "--data", "plane"],
            "the playground plane data is regression (one real target per point), which only --loss mse fits; add --loss mse",
        ),
        (
            &[
                "train",
                "circles",
                "--data",
                "gaussian",
                "--loss",
                "cross-entropy",
            ],
            "the playground gaussian data is regression",
        ),
        (
            &["train", "mnist", "--data", "moons"],
            "--data replaces 2-D data (the circles, xor and micrograd presets); the mnist data is not 2-D",
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
        (
            &[
                "train",
                "xor",
                "--data",
                "circle",
                "--rng",
                "playground",
                "--seed",
                "100000",
            ],
            "--rng playground needs a --seed from 0 to 99999",
        ),
        (
            &["train", "xor", "--rng", "playground"],
            "--rng playground draws only TensorFlow Playground's sets, not the xor data",
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

/// One point of a node reference file: `k orig_index x y label split`.
struct NodePoint {
    x: f64,
    y: f64,
    /// ±1 for a classification set, the real target for a regression set.
    label: f64,
}

/// The points of `tests/fixtures/playground/<set>_seed0.12345_noise<noise>.txt`, in the
/// Playground's shuffled order (its README says how node produced them).
fn node_points(set: &str, noise: u32) -> Vec<NodePoint> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!(
        "tests/fixtures/playground/{set}_seed0.12345_noise{noise}.txt"
    ));
    let text = fs::read_to_string(&path).expect("the fixture");
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.starts_with("random"))
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(fields.len(), 6, "{line}");
            NodePoint {
                x: fields[2].parse().expect("x"),
                y: fields[3].parse().expect("y"),
                label: fields[4].parse().expect("label"),
            }
        })
        .collect()
}

#[test]
fn playground_stream_reproduces_node_bit_for_bit() {
    let sets = [
        PlaygroundSet::Circle,
        PlaygroundSet::Xor,
        PlaygroundSet::Gauss,
        PlaygroundSet::Spiral,
    ];
    for set in sets {
        for noise in [0, 25, 50] {
            let config = DataConfig::Playground {
                set,
                // NUM_SAMPLES_CLASSIFY, as in the files' header (numSamples=500).
                samples: 500,
                noise: f64::from(noise),
                one_hot: false,
            };
            // `--seed 12345` is the Playground's `#seed=0.12345`, the files' seed.
            let mut rng = config.seedrandom(12345).expect("a Playground seed");
            let Ok(TrainingData::Examples(examples)) = data::load_seedrandom(&config, &mut rng)
            else {
                panic!("{set:?}: the Playground's sets are examples");
            };
            let expected = node_points(set.name(), noise);
            assert_eq!(examples.len(), expected.len(), "{set:?} {noise}");
            for (k, (example, node)) in examples.iter().zip(&expected).enumerate() {
                // Bitwise: the ARC4 stream, the draw order and fdlibm's sin/cos/log are node's.
                let at = format!("{set:?}, noise {noise}, point {k}");
                assert_eq!(example.x[0].to_bits(), node.x.to_bits(), "x of {at}");
                assert_eq!(example.x[1].to_bits(), node.y.to_bits(), "y of {at}");
                // The Playground's +1 is class 1, its −1 class 0.
                assert_eq!(example.y, [f64::from(u8::from(node.label == 1.0))], "{at}");
            }
        }
    }
}

#[test]
fn playground_regression_stream_reproduces_node_bit_for_bit() {
    for set in [RegressionSet::Plane, RegressionSet::Gaussian] {
        for noise in [0, 50] {
            let config = DataConfig::PlaygroundRegression {
                set,
                // NUM_SAMPLES_REGRESS, as in the files' header (numSamples=1200).
                samples: 1200,
                noise: f64::from(noise),
            };
            let mut rng = config.seedrandom(12345).expect("a Playground seed");
            let Ok(TrainingData::Examples(examples)) = data::load_seedrandom(&config, &mut rng)
            else {
                panic!("{set:?}: the Playground's sets are examples");
            };
            let expected = node_points(set.name(), noise);
            assert_eq!(examples.len(), expected.len(), "{set:?} {noise}");
            for (k, (example, node)) in examples.iter().zip(&expected).enumerate() {
                // Bitwise: the ARC4 stream, the draw order, d3's scales and Math.sqrt are
                // node's; so is the target, which the Playground keeps as it is.
                let at = format!("{set:?}, noise {noise}, point {k}");
                assert_eq!(example.x[0].to_bits(), node.x.to_bits(), "x of {at}");
                assert_eq!(example.x[1].to_bits(), node.y.to_bits(), "y of {at}");
                assert_eq!(
                    example.y[0].to_bits(),
                    node.label.to_bits(),
                    "target of {at}"
                );
            }
        }
    }
}

#[test]
fn rng_playground_trains_and_records_its_seed() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let run = dir.path().join("gauss");
    train_and_plot(
        &[
            "train",
            "xor",
            "--data",
            "gauss",
            "--rng",
            "playground",
            "--seed",
            "12345",
        ],
        &run,
    );
    let config = config_json(&run);
    assert_eq!(config["rng"], "playground");
    assert_eq!(config["seed"], 12345);
}
