//! TensorFlow Playground's input features (`--features`) and regression sets (`--data plane`,
//! `--data gaussian`), and the figures of K classes and of a regression.

use std::fs;
use std::path::Path;

use burn::tensor::{Device, Tensor, TensorData};

use burnprop::config::{ExperimentConfig, Preset};
use burnprop::data::{Examples, Feature, PointSet};
use burnprop::loss::OutputActivation;
use burnprop::model::Mlp;
use burnprop::model::mlp::LayerParams;
use burnprop::plot::circles::{Data, DecisionBoundary, View};
use burnprop::plot::regression::{PredictedSurface, Residuals};
use burnprop::plot::{self, SERIES};

use crate::cli::one_line_failure;
use crate::common::{burnprop, train_quietly};

/// Runs `args` (a command writing into `run`) and returns what `plot --run` printed.
fn run_and_plot(args: &[&str], run: &Path) -> String {
    burnprop()
        .args(args)
        .arg("--out")
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
    stdout
}

fn saved_config(run: &Path) -> ExperimentConfig {
    let bytes = fs::read(run.join("config.json")).expect("config.json");
    ExperimentConfig::from_json(&bytes).expect("a config")
}

#[test]
fn features_widen_the_first_layer_and_are_recorded() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let run = dir.path().join("circle");
    let args = [
        "train",
        "xor",
        "--data",
        "circle",
        "--features",
        "x1,x2,x1sq",
        "--iterations",
        "20",
    ];
    let stdout = run_and_plot(&args, &run);
    let config = saved_config(&run);
    assert_eq!(
        config.features,
        Some(vec![Feature::X1, Feature::X2, Feature::X1sq])
    );
    // Three features in, xor's 3 hidden units and single sigmoid output.
    assert_eq!(config.widths(), "3-3-1");
    // Every figure of the plane is drawn through the map.
    for figure in ["data", "decision-boundary", "output-surface", "neurons"] {
        assert!(stdout.contains(&format!("{figure}.png")), "{stdout}");
    }
    // A config.json written before --features existed reads as a run without them.
    let text = fs::read_to_string(run.join("config.json")).expect("config.json");
    let mut old: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    old.as_object_mut().expect("an object").remove("features");
    let old = ExperimentConfig::from_json(old.to_string().as_bytes()).expect("reads");
    assert_eq!((&old.features, old.widths()), (&None, "2-3-1".to_string()));
}

#[test]
fn features_change_training_and_gradients_stay_checked() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let history = |features: Option<&str>, name: &str| {
        let run = dir.path().join(name);
        let mut cmd = burnprop();
        cmd.args(["train", "xor", "--data", "gauss", "--iterations", "10"]);
        if let Some(features) = features {
            cmd.args(["--features", features]);
        }
        cmd.arg("--out").arg(&run).assert().success();
        let text = fs::read_to_string(run.join("history.csv")).expect("history.csv");
        // The step, epoch, loss and accuracy of each row (not its wall-clock seconds).
        text.lines()
            .map(|line| {
                line.rsplit_once(',')
                    .map_or(line, |(row, _)| row)
                    .to_string()
            })
            .collect::<Vec<_>>()
    };
    // `x1,x2` is the identity: the same run, step for step; a third feature another.
    let plain = history(None, "plain");
    assert_eq!(history(Some("x1,x2"), "identity"), plain);
    assert_ne!(history(Some("x1,x2,sinx1"), "sine"), plain);
    // The features are inputs like any other: both engines and the finite differences agree.
    let with = ["--data", "circle", "--features", "x1sq,x2sq,x1x2"];
    burnprop()
        .args(["gradcheck", "xor"])
        .args(with)
        .assert()
        .success()
        .stdout(predicates::str::contains("verdict: pass"));
    burnprop()
        .args(["compare", "xor", "--steps", "5"])
        .args(with)
        .arg("--out")
        .arg(dir.path().join("compare"))
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "agree: all 5 steps within tolerance",
        ));
}

#[test]
fn squared_features_make_the_circle_linearly_separable() {
    // A logistic regressor (no hidden layer) on the Playground's circle: the disc x₁² + x₂² <
    // 6.25 is a half-plane in (x₁², x₂²), but no half-plane of (x₁, x₂).
    let accuracy = |features: Option<Vec<Feature>>| {
        let mut config = Preset::Xor.config();
        config.data = PointSet::Circle.config(false);
        config.features = features;
        config.hidden = vec![];
        config.activations = vec![];
        config.bias = true;
        config.optimizer.lr = 0.05;
        config.epochs = 500;
        let (trained, _) = train_quietly(&config);
        trained.evaluation.accuracy.expect("BCE classifies")
    };
    let squared = accuracy(Some(vec![Feature::X1sq, Feature::X2sq]));
    let plain = accuracy(None);
    assert!(squared > 0.98, "with x1sq, x2sq: {squared}");
    assert!(plain < 0.8, "with x1, x2: {plain}");
}

#[test]
fn features_on_data_that_are_not_points_are_one_line_errors() {
    let cases: [(&[&str], &str); 2] = [
        (
            &["train", "three-layer", "--features", "x1,x2"],
            "--features maps 2-D points, but the random data has 100 inputs; drop the flag",
        ),
        (
            &["train", "logreg", "--features", "x1sq"],
            "--features maps 2-D points, but the logreg data has 3 inputs",
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

#[test]
fn regression_sets_train_with_mse_and_draw_their_surface_and_residuals() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for (set, rng) in [("plane", "numpy"), ("gaussian", "playground")] {
        let run = dir.path().join(set);
        let args = [
            "train",
            "xor",
            "--data",
            set,
            "--loss",
            "mse",
            "--rng",
            rng,
            "--features",
            "x1,x2,sinx1,sinx2",
            "--iterations",
            "20",
        ];
        let stdout = run_and_plot(&args, &run);
        for figure in ["loss", "neurons", "predicted-surface", "residuals"] {
            assert!(stdout.contains(&format!("{figure}.png")), "{set}: {stdout}");
        }
        // No class, so no accuracy and no decision regions.
        for figure in ["accuracy", "decision-boundary"] {
            assert!(
                !stdout.contains(&format!("{figure}.png")),
                "{set}: {stdout}"
            );
        }
        let config = saved_config(&run);
        // NUM_SAMPLES_REGRESS of playground.ts; one real target, one identity output.
        assert!(config.data.describe().contains("1200 points"), "{set}");
        assert_eq!(config.widths(), "4-3-1");
    }
}

/// A network without hidden layers whose three logits are `x₁`, `x₂` and `−x₁ − x₂`: three
/// regions of the plane meeting at the origin.
fn three_class_network(device: &Device) -> Mlp {
    let weight = Tensor::from_data(
        TensorData::new(vec![1.0f32, 0.0, -1.0, 0.0, 1.0, -1.0], [2, 3]),
        device,
    );
    Mlp::from_params(
        vec![LayerParams { weight, bias: None }],
        vec![],
        OutputActivation::Softmax,
    )
}

#[test]
fn k_class_figures_colour_each_class_and_its_region() {
    let device = Device::flex();
    // One point deep in each region, with its one-hot class.
    let rows = [
        ([4.0, -1.0], [1.0, 0.0, 0.0]),
        ([-1.0, 4.0], [0.0, 1.0, 0.0]),
        ([-3.0, -3.0], [0.0, 0.0, 1.0]),
    ];
    let examples = Examples::of_rows(rows.iter().map(|(x, y)| (&x[..], &y[..])));
    let view = View {
        title: "three classes",
        classes: (0..3).map(|k| format!("class {k}")).collect(),
        extent: 6.0,
    };
    let features = [Feature::X1, Feature::X2];
    let regions = DecisionBoundary::new(
        &three_class_network(&device),
        &examples,
        view.clone(),
        &features,
        burnprop::tensor::Precision::F32,
        &device,
    )
    .expect("the grid is evaluated");
    // Grid cell i of 200 is x = −6 + 12·i/199: cell 180 ≈ 4.85, cell 20 ≈ −4.79.
    assert_eq!(regions.class_at(180, 100), Some(0), "x₁ largest");
    assert_eq!(regions.class_at(100, 180), Some(1), "x₂ largest");
    assert_eq!(regions.class_at(20, 20), Some(2), "−x₁ − x₂ largest");

    let dir = tempfile::tempdir().expect("a temporary directory");
    let [png, _] = plot::save(&regions, dir.path()).expect("drawn");
    let [points, _] = plot::save(&Data::new(&examples, view), dir.path()).expect("drawn");
    // The third class's region is its colour (SERIES[2], green) at 25 % over white.
    let c = SERIES[2];
    let light = [c.0, c.1, c.2].map(|v| (255.0 - 0.25 * (255.0 - f64::from(v))).round() as i32);
    let count = |path: &Path, target: [i32; 3]| {
        let image = image::open(path).expect("a PNG").to_rgb8();
        image
            .pixels()
            .filter(|p| (0..3).all(|k| (i32::from(p.0[k]) - target[k]).abs() <= 2))
            .count()
    };
    assert!(count(&png, light) > 5000, "the green region");
    // Its point, and its legend entry, in the full colour.
    let full = [c.0, c.1, c.2].map(i32::from);
    assert!(count(&points, full) > 10, "the green point");
}

#[test]
fn regression_figures_show_the_output_and_the_residuals() {
    let device = Device::flex();
    // Targets x₁ / 10 at three points; the network's one identity output is x₁ / 10 too.
    let rows = [
        ([5.0, 0.0], [0.5]),
        ([-5.0, 1.0], [-0.5]),
        ([0.0, -2.0], [0.0]),
    ];
    let examples = Examples::of_rows(rows.iter().map(|(x, y)| (&x[..], &y[..])));
    let weight = Tensor::from_data(TensorData::new(vec![0.1f32, 0.0], [2, 1]), &device);
    let model = Mlp::from_params(
        vec![LayerParams { weight, bias: None }],
        vec![],
        OutputActivation::Identity,
    );
    let features = [Feature::X1, Feature::X2];
    let surface = PredictedSurface::new(
        &model,
        &examples,
        &features,
        burnprop::tensor::Precision::F32,
        &device,
    )
    .expect("the grid is evaluated");
    // The square around the points is x₁ ∈ ±6.25; the targets' largest |y| (0.5) is full
    // colour: the right edge (x₁ ≈ 6.2, output 0.62) is full orange, the left full blue.
    let levels = burnprop::plot::plane::LEVELS;
    assert_eq!(surface.level_at(99, 50), Some(levels - 1));
    assert_eq!(surface.level_at(0, 50), Some(0));
    let residuals = Residuals::new(&[0.5, -0.5, 0.0], &[0.5, -0.25, 0.0]);
    // √(0.25² / 3).
    assert!((residuals.rmse() - (0.0625f64 / 3.0).sqrt()).abs() < 1e-15);
    let dir = tempfile::tempdir().expect("a temporary directory");
    plot::save(&surface, dir.path()).expect("drawn");
    plot::save(&residuals, dir.path()).expect("drawn");
    assert!(dir.path().join("predicted-surface.png").is_file());
    assert!(dir.path().join("residuals.svg").is_file());
}
