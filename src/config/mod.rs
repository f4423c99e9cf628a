//! Experiment configuration: every hyperparameter of a run in one `#[derive(Config)]` struct,
//! and the presets, one per notebook experiment, as values of it.
//!
//! A run writes its config as `config.json` before its first step, so any run directory says
//! exactly what produced it; CLI flags override fields of a preset (see `cli::overrides`).
//!
//! The parts: [`Preset`] (the notebook experiments and their configurations),
//! [`OptimizerConfig`] and [`Schedule`] (the update), [`Engine`] and [`Kernel`] (which
//! gradients train the network, and how the manual engine computes them).

mod engine;
mod optimizer;
mod preset;

use burn::config::Config;

use crate::data::features::IDENTITY;
use crate::data::{DataConfig, Feature, Standardize, Task};
use crate::error::{Error, Result};
use crate::loss::{L2Scope, LossKind, Penalty, Reduction};
use crate::model::activation::Activation;
use crate::model::init::{BiasInit, Init};
use crate::rng::RngKind;
use crate::tensor::{Layout, Precision};

pub use engine::{Engine, FUSED_MAX_WIDTH, Kernel};
pub use optimizer::{OptimizerConfig, Schedule};
pub use preset::{Preset, file};

/// Everything that defines one training run.
#[derive(Config, Debug)]
pub struct ExperimentConfig {
    /// The notebook experiment this run started from.
    pub preset: Preset,
    /// The training data and how it is generated.
    pub data: DataConfig,
    /// TensorFlow Playground's input features (`--features`): the 2-D point mapped to these
    /// before the first layer, which has one input per feature. Absent, the data's own
    /// inputs.
    #[config(default = "None")]
    pub features: Option<Vec<Feature>>,
    /// Hidden-layer widths, input side first (empty: a single layer, as in logistic regression).
    pub hidden: Vec<usize>,
    /// The activation of each hidden layer (one per entry of `hidden`).
    pub activations: Vec<Activation>,
    /// Whether every layer has a bias vector.
    pub bias: bool,
    /// The objective; it also fixes the output activation (softmax, sigmoid or identity).
    pub loss: LossKind,
    /// How per-example losses combine: summed (notebook 000) or averaged (001, 002, 003).
    pub reduction: Reduction,
    /// The L2 penalty `α` of the objective `J + α·Σθ²` over every weight and bias
    /// (micrograd's `reg_loss`): part of the reported loss and of both engines' gradients
    /// (`+2α·θ`). burn's weight decay (`optimizer.weight_decay`) adds `λ·θ` to the gradient only;
    /// `λ = 2α` takes the same steps without the term in the loss.
    #[config(default = 0.0)]
    pub l2: f64,
    /// Which parameters the L2 penalty covers: every weight and bias (micrograd's `reg_loss`)
    /// or the weights only (cs231n's `0.5*reg*ΣW²`, where `α = reg/2`).
    #[config(default = "L2Scope::All")]
    pub l2_on: L2Scope,
    /// How weights are initialised.
    pub init: Init,
    /// How biases are initialised.
    pub bias_init: BiasInit,
    /// Standard deviation of the `normal` initialiser; absent, it is drawn from U[0, 1) after the
    /// data, as notebook 002 draws `parameter_scale`.
    pub init_scale: Option<f64>,
    /// Which initialisation draw to train from: notebook 000 draws its weights once for the
    /// gradient check and again for training, so its preset trains from draw 2.
    pub init_draw: usize,
    /// The optimiser.
    pub optimizer: OptimizerConfig,
    /// Passes over the training data; with full-batch training one pass is one iteration.
    pub epochs: usize,
    /// Examples per step; absent, every step uses the whole training set (full batch).
    pub batch_size: Option<usize>,
    /// Stop after this many optimiser steps, even in the middle of an epoch.
    pub max_steps: Option<usize>,
    /// Where random numbers come from.
    pub rng: RngKind,
    /// The one seed behind every random draw of the run (numpy's seeds are 32-bit).
    pub seed: u32,
    /// Floating-point precision.
    pub dtype: Precision,
    /// The notebook's matrix notation, which fixes the numpy draw order of data and weights.
    pub layout: Layout,
    /// How the manual engine computes its steps on the CPU (the kernels round differently).
    #[config(default = "Kernel::Auto")]
    pub kernel: Kernel,
    /// Which gradients and update train the network (`burnprop train --engine`); `compare`
    /// runs both engines whatever this says.
    #[config(default = "Engine::Autodiff")]
    pub engine: Engine,
    /// The fraction of the examples held out as a test split (`--test-fraction`), drawn with
    /// the run's seed ([`crate::data::split`]); absent, the run trains on every example.
    /// MNIST has its own test split.
    #[config(default = "None")]
    pub test_fraction: Option<f64>,
    /// Inputs standardised with the training split's per-column mean and deviation
    /// (`--standardize` on data other than MNIST, whose pixels have their own switch); a run
    /// stores the values it applied. Absent, the inputs as drawn.
    #[config(default = "None")]
    pub standardize: Option<Standardize>,
}

impl ExperimentConfig {
    /// Reads a `config.json`, also one written before some fields existed: each field added
    /// since the first release (`kernel`, `engine`, `l2`, `l2_on`, the optimiser's `lr_final`, …) takes
    /// the value that reproduces what such a run did, its `#[config(default)]`. burn's
    /// `Config` derive, unlike serde's `#[serde(default)]`, requires every field.
    pub fn from_json(bytes: &[u8]) -> serde_json::Result<Self> {
        let mut value: serde_json::Value = serde_json::from_slice(bytes)?;
        if let Some(fields) = value.as_object_mut() {
            for (name, default) in [
                ("kernel", serde_json::json!(Kernel::Auto)),
                ("engine", serde_json::json!(Engine::Autodiff)),
                ("l2", serde_json::json!(0.0)),
                ("features", serde_json::Value::Null),
                ("l2_on", serde_json::json!(L2Scope::All)),
                ("test_fraction", serde_json::Value::Null),
                ("standardize", serde_json::Value::Null),
            ] {
                fields.entry(name).or_insert(default);
            }
            if let Some(optimizer) = fields.get_mut("optimizer").and_then(|o| o.as_object_mut()) {
                for (name, default) in [
                    ("momentum", serde_json::json!(0.0)),
                    ("dampening", serde_json::json!(0.0)),
                    ("nesterov", serde_json::json!(false)),
                    ("weight_decay", serde_json::json!(0.0)),
                    ("schedule", serde_json::json!(Schedule::Constant)),
                    ("lr_final", serde_json::json!(0.0)),
                ] {
                    optimizer.entry(name).or_insert(default);
                }
            }
        }
        serde_json::from_value(value)
    }

    /// The map from a 2-D point to the network's inputs: `--features`, or the identity
    /// (`x1,x2`) without them.
    pub fn input_features(&self) -> &[Feature] {
        self.features.as_deref().unwrap_or(&IDENTITY)
    }

    /// The network's inputs: one per feature with `--features`, else the data's.
    pub fn inputs(&self) -> usize {
        self.features.as_ref().map_or(self.data.inputs(), Vec::len)
    }

    /// The objective's L2 penalty: `α = l2` over the parameters `l2_on` names.
    pub fn penalty(&self) -> Penalty {
        Penalty {
            alpha: self.l2,
            on: self.l2_on,
        }
    }

    /// What the run is of, for the first line of a command: `xor (notebook 003 "…")`, or a
    /// `--data-file` with its rows, columns and task.
    pub fn title(&self) -> String {
        match &self.data {
            DataConfig::File(file) => file.describe_line(),
            _ => format!(
                "{} (notebook {})",
                self.preset.name(),
                self.preset.notebook()
            ),
        }
    }

    /// The name of the run's default directory under `runs/`: the preset's, or for a
    /// `--data-file` the file's name without its extension (`runs/iris` for `iris.csv`).
    pub fn run_name(&self) -> String {
        match &self.data {
            DataConfig::File(file) => file
                .path
                .file_stem()
                .map_or_else(|| "file".to_string(), |s| s.to_string_lossy().into_owned()),
            _ => self.preset.name().to_string(),
        }
    }

    /// The layer widths `[n_0, hidden…, n_L]`: the inputs (see [`inputs`](Self::inputs)),
    /// the hidden layers, and the outputs the data's targets need.
    pub fn sizes(&self) -> Vec<usize> {
        let mut sizes = Vec::with_capacity(self.hidden.len() + 2);
        sizes.push(self.inputs());
        sizes.extend(&self.hidden);
        sizes.push(self.data.outputs());
        sizes
    }

    /// The layer widths as written, e.g. `2-3-1`.
    pub fn widths(&self) -> String {
        self.sizes()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("-")
    }

    /// The network in one line, e.g. `2-3-1 relu → sigmoid, no biases`.
    pub fn network(&self) -> String {
        let sizes = self.widths();
        let mut activations: Vec<&str> = self.activations.iter().map(|a| a.name()).collect();
        activations.push(self.loss.output_activation().name());
        let biases = if self.bias { "biases" } else { "no biases" };
        format!("{sizes} {}, {biases}", activations.join(" → "))
    }

    /// The number of optimiser steps per epoch for a training set of `examples` examples.
    pub fn steps_per_epoch(&self, examples: usize) -> usize {
        match self.batch_size {
            Some(batch) if batch > 0 => examples.div_ceil(batch),
            _ => 1,
        }
    }

    /// Every how many epochs the test split is evaluated: after every epoch of a minibatch
    /// run, and after every `⌈epochs / 1000⌉`-th epoch of a full-batch run (one step per
    /// epoch, tens of thousands of them: circles' 50000 iterations get 1000 evaluations, every
    /// 50th), and always after the last step.
    pub fn test_every(&self) -> usize {
        match self.batch_size {
            Some(_) => 1,
            None => self.epochs.div_ceil(FULL_BATCH_EVALUATIONS).max(1),
        }
    }

    /// The total number of optimiser steps the run will take.
    pub fn total_steps(&self, examples: usize) -> usize {
        let planned = self.epochs.saturating_mul(self.steps_per_epoch(examples));
        self.max_steps.map_or(planned, |cap| planned.min(cap))
    }

    /// Checks every field, returning the first problem as one sentence naming the flag.
    pub fn validate(&self) -> Result<()> {
        let opt = &self.optimizer;
        check(
            opt.lr.is_finite() && opt.lr > 0.0,
            format!("--lr must be a positive number (got {})", opt.lr),
        )?;
        check(
            opt.momentum.is_finite() && opt.momentum >= 0.0,
            format!("--momentum must be zero or positive (got {})", opt.momentum),
        )?;
        check(
            (0.0..=1.0).contains(&opt.dampening),
            format!("--dampening must lie in [0, 1] (got {})", opt.dampening),
        )?;
        check(
            !opt.nesterov || (opt.momentum > 0.0 && opt.dampening == 0.0),
            "--nesterov needs a positive --momentum and --dampening 0".to_string(),
        )?;
        check(
            opt.lr_final.is_finite() && opt.lr_final >= 0.0,
            format!("--lr-final must be zero or positive (got {})", opt.lr_final),
        )?;
        check(
            opt.lr_final == 0.0 || opt.schedule != Schedule::Constant,
            "--lr-final needs a decaying schedule: add --schedule linear (or cosine)".to_string(),
        )?;
        check(
            self.l2.is_finite() && self.l2 >= 0.0,
            format!("--l2 must be zero or positive (got {})", self.l2),
        )?;
        check(
            opt.weight_decay.is_finite() && opt.weight_decay >= 0.0,
            format!(
                "--weight-decay must be zero or positive (got {})",
                opt.weight_decay
            ),
        )?;
        check(
            self.batch_size != Some(0),
            "--batch-size must be at least 1 (omit it to train on the full batch)".to_string(),
        )?;
        check(
            self.max_steps != Some(0),
            "--max-steps must be at least 1".to_string(),
        )?;
        check(
            self.hidden.iter().all(|&width| width > 0),
            "--hidden widths must be at least 1".to_string(),
        )?;
        check(
            self.activations.len() == self.hidden.len(),
            format!(
                "--activation needs one activation for every hidden layer (or one for all): {} hidden layers, {} activations",
                self.hidden.len(),
                self.activations.len()
            ),
        )?;
        if let Some(scale) = self.init_scale {
            check(
                scale.is_finite() && scale > 0.0,
                format!("--init-scale must be a positive number (got {scale})"),
            )?;
        }
        check(self.init_draw >= 1, "--init-draw counts from 1".to_string())?;
        self.data.validate()?;
        self.validate_features()?;
        self.validate_split()?;
        if self.rng == RngKind::Playground {
            self.data.seedrandom(self.seed)?;
        }
        if let DataConfig::File(file) = &self.data {
            check(
                file.task == Task::Classify || self.loss == LossKind::Mse,
                format!(
                    "--loss {} needs classes, but {} is read as a regression of its column '{}'; use --loss mse, or add --task classify",
                    self.loss.name(),
                    file.path.display(),
                    file.target
                ),
            )?;
        }
        check(
            !self.data.is_regression() || self.loss == LossKind::Mse,
            format!(
                "the {} data is regression (one real target per point), which only --loss mse fits; add --loss mse",
                self.data.name()
            ),
        )?;
        check(
            self.loss != LossKind::CrossEntropy || self.data.one_hot(),
            format!(
                "--loss cross-entropy needs one-hot class targets, but the {} data has independent 0/1 targets; use --loss bce",
                self.data.name()
            ),
        )?;
        Ok(())
    }
}

impl ExperimentConfig {
    /// `--features`: a map of 2-D points, to at least one feature.
    fn validate_features(&self) -> Result<()> {
        let Some(features) = &self.features else {
            return Ok(());
        };
        check(
            self.data.inputs() == 2,
            format!(
                "--features maps 2-D points, but the {} data has {} inputs; drop the flag",
                self.data.name(),
                self.data.inputs()
            ),
        )?;
        check(
            !features.is_empty(),
            "--features needs at least one feature, e.g. --features x1,x2".to_string(),
        )
    }

    /// Checks `test_fraction` and `standardize`: a fraction strictly between 0 and 1, stored
    /// values as wide as the inputs, and neither on MNIST, which has its own test split and
    /// pixel scaling.
    fn validate_split(&self) -> Result<()> {
        let mnist = matches!(self.data, DataConfig::Mnist { .. });
        if let Some(fraction) = self.test_fraction {
            check(
                fraction > 0.0 && fraction < 1.0,
                format!("--test-fraction must lie strictly between 0 and 1 (got {fraction})"),
            )?;
            check(
                !mnist,
                "--test-fraction does not apply to the mnist data, which has its own test split of 10000 digits".to_string(),
            )?;
        }
        match &self.standardize {
            None => Ok(()),
            Some(_) if mnist => Err(Error::InvalidConfig(
                "standardize (the training split's mean and deviation) does not apply to the mnist data; --standardize scales its pixels as (x − 0.1307) / 0.3081".to_string(),
            )),
            Some(Standardize::TrainingSplit) => Ok(()),
            Some(Standardize::Columns(values)) => values.check(self.inputs()),
        }
    }
}

/// The most test evaluations of a full-batch run ([`ExperimentConfig::test_every`]).
const FULL_BATCH_EVALUATIONS: usize = 1000;

fn check(ok: bool, message: String) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidConfig(message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::file as file_config;

    #[test]
    fn a_config_written_before_the_newer_fields_still_reads() {
        // artifacts/xor/config.json as burnprop wrote it before `kernel`, `engine`, `l2` and
        // `lr_final` existed (git show ca10273:artifacts/xor/config.json, reflowed).
        let old = br#"{"preset": "xor", "data": "xor", "hidden": [3], "activations": ["relu"],
            "bias": false, "loss": "bce", "reduction": "mean", "init": "glorot-network",
            "bias_init": "zeros", "init_draw": 1,
            "optimizer": {"lr": 0.1, "momentum": 0.0, "dampening": 0.0, "nesterov": false,
                          "weight_decay": 0.0, "schedule": "constant"},
            "epochs": 1000, "rng": "numpy", "seed": 0, "dtype": "f32", "layout": "row",
            "init_scale": null, "batch_size": null, "max_steps": null}"#;
        let config = ExperimentConfig::from_json(old).expect("an older config reads");
        let mut expected = Preset::Xor.config();
        expected.kernel = Kernel::Auto;
        assert_eq!(
            serde_json::to_value(&config).ok(),
            serde_json::to_value(&expected).ok()
        );
        // A required field stays required.
        let err = ExperimentConfig::from_json(br#"{"preset": "xor"}"#).expect_err("no data");
        assert!(err.to_string().contains("missing field"), "{err}");
    }

    #[test]
    fn every_preset_is_valid() {
        for preset in Preset::ALL {
            preset
                .config()
                .validate()
                .unwrap_or_else(|e| panic!("{}: {e}", preset.name()));
        }
    }

    #[test]
    fn config_round_trips_through_json() {
        for preset in Preset::ALL {
            let config = preset.config();
            let json = serde_json::to_string(&config).expect("configs serialise");
            let back: ExperimentConfig = serde_json::from_str(&json).expect("and deserialise");
            assert_eq!(back.to_string(), config.to_string());
        }
    }

    #[test]
    fn circles_preset_has_the_notebook_hyperparameters() {
        // Notebook 000, cells [4]-[5]: N = 50000, factor .1, noise .1; n_iterations = 50000,
        // learning_rate = 0.0001, momentum_factor = .5.
        let config = Preset::Circles.config();
        assert_eq!(config.epochs, 50_000);
        assert_eq!(config.optimizer.lr, 1e-4);
        assert_eq!(config.optimizer.momentum, 0.5);
        assert_eq!(config.optimizer.dampening, 0.0);
        assert_eq!(config.batch_size, None);
        assert_eq!(config.seed, 42);
    }

    #[test]
    fn cs231n_presets_have_the_case_study_s_hyperparameters() {
        // The case study: N = 100, K = 3; h = 100 (two-layer); W = 0.01 * np.random.randn(...),
        // b = 0; step_size = 1e-0; reg = 1e-3 in 0.5*reg*np.sum(W*W) (α = reg/2, weights
        // only); range(10000) and range(200) iterations; the notebook's np.random.seed(0).
        for (preset, hidden, epochs) in [
            (Preset::Cs231n, vec![100], 10_000),
            (Preset::Cs231nLinear, vec![], 200),
        ] {
            let config = preset.config();
            assert_eq!(
                config.data,
                DataConfig::Spiral {
                    classes: 3,
                    samples: 100
                }
            );
            assert_eq!(config.hidden, hidden);
            assert_eq!(config.epochs, epochs);
            assert_eq!(config.optimizer.lr, 1.0);
            assert_eq!(config.optimizer.momentum, 0.0);
            assert_eq!(config.batch_size, None);
            assert_eq!(
                config.penalty(),
                Penalty {
                    alpha: 5e-4,
                    on: L2Scope::Weights
                }
            );
            assert_eq!((config.init, config.init_scale), (Init::Normal, Some(0.01)));
            assert_eq!(config.bias_init, BiasInit::Zeros);
            assert_eq!(
                (config.loss, config.reduction),
                (LossKind::CrossEntropy, Reduction::Mean)
            );
            assert_eq!((config.seed, config.dtype), (0, Precision::F64));
        }
    }

    #[test]
    fn a_file_run_is_named_and_titled_after_its_file() {
        let file = crate::data::DataFile {
            path: "data/iris.csv".into(),
            rows: 150,
            target: "species".to_string(),
            inputs: vec!["a".to_string(), "b".to_string()],
            classes: vec!["x".to_string(), "y".to_string(), "z".to_string()],
            ..Default::default()
        };
        let config = file_config(file);
        assert_eq!(config.run_name(), "iris");
        assert_eq!(
            config.title(),
            "data/iris.csv (150 rows, 2 inputs → species: 3 classes)"
        );
        assert_eq!(config.widths(), "2-16-3");
        assert_eq!(Preset::Xor.config().run_name(), "xor");
    }

    #[test]
    fn zero_batch_size_is_rejected() {
        let mut config = Preset::Xor.config();
        config.batch_size = Some(0);
        let err = config.validate().unwrap_err().to_string();
        assert!(err.contains("--batch-size must be at least 1"), "{err}");
    }

    #[test]
    fn negative_learning_rate_is_rejected() {
        let mut config = Preset::Xor.config();
        config.optimizer.lr = -0.1;
        let err = config.validate().unwrap_err().to_string();
        assert!(
            err.contains("--lr must be a positive number (got -0.1)"),
            "{err}"
        );
    }

    #[test]
    fn cross_entropy_is_only_for_one_hot_classes() {
        for preset in [Preset::Logreg, Preset::Xor, Preset::ThreeLayer] {
            let mut config = preset.config();
            config.loss = LossKind::CrossEntropy;
            let err = config.validate().unwrap_err().to_string();
            assert!(err.contains("needs one-hot class targets"), "{err}");
        }
    }

    #[test]
    fn total_steps_respects_epochs_batches_and_the_cap() {
        let mut config = Preset::Circles.config();
        assert_eq!(config.total_steps(50_000), 50_000);
        config.batch_size = Some(64);
        config.epochs = 2;
        // ceil(1000 / 64) = 16 steps per epoch.
        assert_eq!(config.total_steps(1000), 32);
        config.max_steps = Some(20);
        assert_eq!(config.total_steps(1000), 20);
    }
}
