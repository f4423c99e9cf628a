//! Experiment configuration: every hyperparameter of a run in one `#[derive(Config)]` struct,
//! and the presets, one per notebook experiment, as values of it.
//!
//! A run writes its config as `config.json` before its first step, so any run directory says
//! exactly what produced it; CLI flags override fields of a preset (see `cli.rs`).

use burn::config::Config;
use burn::optim::SgdConfig;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::tensor::{DType, FloatDType};
use clap::ValueEnum;
use serde::{Deserialize, Serialize};

use crate::data::DataConfig;
use crate::error::{Error, Result};
use crate::loss::{LossKind, Reduction};
use crate::model::activation::Activation;
use crate::model::init::{BiasInit, Init};
use crate::rng::RngKind;
use crate::train::Kernel;

/// The notebook experiments burnprop ships as presets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    /// Notebook 001: a logistic regressor (3-1, sigmoid) on a 4-row table.
    Logreg,
    /// Notebook 003: XOR with a 2-3-1 ReLU/sigmoid network without biases.
    Xor,
    /// Notebook 000: two concentric circles, 2-3-2 sigmoid/softmax, GD with momentum.
    Circles,
    /// Notebook 002: the n0-n1-n2 sigmoid/sigmoid network on random data.
    ThreeLayer,
    /// Notebooks 002/003's goal: MNIST's ten digits with a 784-128-10 ReLU/softmax network.
    Mnist,
    /// Notebook 002's two-class MNIST network: two digits, sigmoid hidden layer, one sigmoid
    /// output.
    MnistBinary,
}

impl Preset {
    /// Every preset, in notebook order of `list`.
    pub const ALL: [Preset; 6] = [
        Preset::Logreg,
        Preset::Xor,
        Preset::Circles,
        Preset::ThreeLayer,
        Preset::Mnist,
        Preset::MnistBinary,
    ];

    /// The name used on the command line and in run directories.
    pub fn name(self) -> &'static str {
        match self {
            Preset::Logreg => "logreg",
            Preset::Xor => "xor",
            Preset::Circles => "circles",
            Preset::ThreeLayer => "three-layer",
            Preset::Mnist => "mnist",
            Preset::MnistBinary => "mnist-binary",
        }
    }

    /// The notebook this preset reproduces (file in `shared/seeds/` and its title).
    pub fn notebook(self) -> &'static str {
        match self {
            Preset::Logreg => "001 \"Building a neural net from scratch\"",
            Preset::Xor => "003 \"Feed-Forward Neural Network\"",
            Preset::Circles => "000 \"How to use backpropagation to train a feedforward NN\"",
            Preset::ThreeLayer => "002 \"Code and Equations for a 3-Layer Neural Network\"",
            Preset::Mnist => "003 \"Feed-Forward Neural Network\" (its MNIST goal)",
            Preset::MnistBinary => {
                "002 \"Code and Equations for a 3-Layer Neural Network\" (its two-class MNIST)"
            }
        }
    }

    /// How the preset trains, in one line for `burnprop list`.
    pub fn training(self) -> &'static str {
        match self {
            Preset::Logreg => {
                "mean log loss, plain GD with lr 1 (the notebook has none), 22 iterations"
            }
            Preset::Xor => {
                "mean BCE, plain GD lr 0.1, 1000 iterations (the notebook stops before training)"
            }
            Preset::Circles => {
                "summed cross-entropy, full-batch GD lr 1e-4 with momentum 0.5, 50000 iterations"
            }
            Preset::ThreeLayer => "BCE averaged over examples, batch GD lr 0.01, 8 epochs",
            Preset::Mnist => {
                "mean cross-entropy, SGD lr 0.1 cosine-annealed, momentum 0.9, minibatch 64 shuffled per epoch, 10 epochs"
            }
            Preset::MnistBinary => {
                "mean BCE, SGD lr 0.1 momentum 0.9, minibatch 64 shuffled per epoch, 5 epochs"
            }
        }
    }

    /// The preset's configuration: the notebook's hyperparameters, seed and draw order.
    pub fn config(self) -> ExperimentConfig {
        match self {
            // np.random.seed(1); W1 = 2*np.random.random((3,1)) - 1; b1 = 0; 22 iterations
            // of W1 -= dW1 (no learning rate) on the mean log loss.
            Preset::Logreg => ExperimentConfig {
                preset: self,
                data: DataConfig::Logreg,
                hidden: vec![],
                activations: vec![],
                bias: true,
                loss: LossKind::Bce,
                reduction: Reduction::Mean,
                init: Init::SymmetricUniform,
                bias_init: BiasInit::Zeros,
                init_scale: None,
                init_draw: 1,
                optimizer: OptimizerConfig::plain(1.0),
                epochs: 22,
                batch_size: None,
                max_steps: None,
                rng: RngKind::Numpy,
                seed: 1,
                dtype: Precision::F32,
                layout: Layout::Row,
                kernel: Kernel::Auto,
            },
            // np.random.seed(0); bounds = sqrt(6 / (n_inputs + n_outputs)) for both layers;
            // no biases; the notebook derives backprop but never trains, so the schedule is
            // ours (all four points are right after 39 iterations at lr 0.1).
            Preset::Xor => ExperimentConfig {
                preset: self,
                data: DataConfig::Xor,
                hidden: vec![3],
                activations: vec![Activation::Relu],
                bias: false,
                loss: LossKind::Bce,
                reduction: Reduction::Mean,
                init: Init::GlorotNetwork,
                bias_init: BiasInit::Zeros,
                init_scale: None,
                init_draw: 1,
                optimizer: OptimizerConfig::plain(0.1),
                epochs: 1000,
                batch_size: None,
                max_steps: None,
                rng: RngKind::Numpy,
                seed: 0,
                dtype: Precision::F32,
                layout: Layout::Row,
                kernel: Kernel::Auto,
            },
            // np.random.seed(42); make_circles(50000, factor=.1, noise=.1); randn weights and
            // biases drawn twice (gradient check, then training); M = .5 M - 1e-4 grad; P += M.
            Preset::Circles => ExperimentConfig {
                preset: self,
                data: DataConfig::Circles {
                    samples: 50_000,
                    factor: 0.1,
                    noise: 0.1,
                    shuffle: true,
                },
                hidden: vec![3],
                activations: vec![Activation::Sigmoid],
                bias: true,
                loss: LossKind::CrossEntropy,
                reduction: Reduction::Sum,
                init: Init::Normal,
                bias_init: BiasInit::Same,
                init_scale: Some(1.0),
                init_draw: 2,
                optimizer: OptimizerConfig {
                    lr: 1e-4,
                    momentum: 0.5,
                    dampening: 0.0,
                    nesterov: false,
                    weight_decay: 0.0,
                    schedule: Schedule::Constant,
                },
                epochs: 50_000,
                batch_size: None,
                max_steps: None,
                rng: RngKind::Numpy,
                seed: 42,
                dtype: Precision::F32,
                layout: Layout::Row,
                kernel: Kernel::Auto,
            },
            // X = randn(nx, m), Y = randint(2, (ny, m)), n1 = 12 (the notebook's printed draw),
            // parameter_scale = rand(), W = randn(n_l, n_l-1) * scale, b = 0; lr 0.01, 8 epochs.
            Preset::ThreeLayer => ExperimentConfig {
                preset: self,
                data: DataConfig::Random {
                    features: 100,
                    samples: 10_000,
                    outputs: 4,
                },
                hidden: vec![12],
                activations: vec![Activation::Sigmoid],
                bias: true,
                loss: LossKind::Bce,
                reduction: Reduction::Mean,
                init: Init::Normal,
                bias_init: BiasInit::Zeros,
                init_scale: None,
                init_draw: 1,
                optimizer: OptimizerConfig::plain(0.01),
                epochs: 8,
                batch_size: None,
                max_steps: None,
                rng: RngKind::Numpy,
                seed: 0,
                dtype: Precision::F32,
                layout: Layout::Column,
                kernel: Kernel::Auto,
            },
            // The 784-128-10 MLP of the reference scripts: torch's Linear initialisation
            // (burn's default, U(±1/√n_in) for weights and biases), minibatches of 64. The
            // references train at a constant lr 0.05 and reach 97.9%; twice the rate, annealed
            // to 0 along a cosine, ends at 98.2–98.3% test accuracy over seeds 0, 1, 2.
            Preset::Mnist => ExperimentConfig {
                preset: self,
                data: DataConfig::Mnist {
                    dir: None,
                    digits: None,
                    standardize: false,
                },
                hidden: vec![128],
                activations: vec![Activation::Relu],
                bias: true,
                loss: LossKind::CrossEntropy,
                reduction: Reduction::Mean,
                init: Init::Burn,
                bias_init: BiasInit::Same,
                init_scale: None,
                init_draw: 1,
                optimizer: OptimizerConfig {
                    lr: 0.1,
                    momentum: 0.9,
                    dampening: 0.0,
                    nesterov: false,
                    weight_decay: 0.0,
                    schedule: Schedule::Cosine,
                },
                epochs: 10,
                batch_size: Some(64),
                max_steps: None,
                rng: RngKind::Burn,
                seed: 0,
                dtype: Precision::F32,
                layout: Layout::Row,
                kernel: Kernel::Auto,
            },
            // Notebook 002's n0-n1-1 sigmoid network on two digits (target 1 for the second);
            // Glorot-uniform weights, since randn weights saturate 784-input sigmoids.
            Preset::MnistBinary => ExperimentConfig {
                preset: self,
                data: DataConfig::Mnist {
                    dir: None,
                    digits: Some([0, 1]),
                    standardize: false,
                },
                hidden: vec![32],
                activations: vec![Activation::Sigmoid],
                bias: true,
                loss: LossKind::Bce,
                reduction: Reduction::Mean,
                init: Init::Glorot,
                bias_init: BiasInit::Zeros,
                init_scale: None,
                init_draw: 1,
                optimizer: OptimizerConfig {
                    lr: 0.1,
                    momentum: 0.9,
                    dampening: 0.0,
                    nesterov: false,
                    weight_decay: 0.0,
                    schedule: Schedule::Constant,
                },
                epochs: 5,
                batch_size: Some(64),
                max_steps: None,
                rng: RngKind::Burn,
                seed: 0,
                dtype: Precision::F32,
                layout: Layout::Row,
                kernel: Kernel::Auto,
            },
        }
    }
}

/// Floating-point precision of parameters and data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// 32-bit floats (the default; what the notebooks' PyTorch code uses).
    F32,
    /// 64-bit floats (what the notebooks' numpy code uses).
    F64,
}

impl Precision {
    /// The burn dtype.
    pub fn dtype(self) -> DType {
        match self {
            Precision::F32 => DType::F32,
            Precision::F64 => DType::F64,
        }
    }

    /// The burn float dtype.
    pub fn float_dtype(self) -> FloatDType {
        match self {
            Precision::F32 => FloatDType::F32,
            Precision::F64 => FloatDType::F64,
        }
    }

    /// `"f32"` or `"f64"`.
    pub fn name(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::F64 => "f64",
        }
    }
}

/// The matrix notation of a notebook, which fixes the order in which `--rng numpy` draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// Examples are rows: X is `[examples, features]`, W is `[n_in, n_out]` (burn's layout;
    /// notebooks 000, 001, 003).
    Row,
    /// Examples are columns: X is `[features, examples]`, W is `[n_l, n_l-1]` (notebook 002).
    Column,
}

/// How the learning rate changes over a run of `T` steps (`t` counts the steps taken).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Schedule {
    /// `lr` at every step (every notebook).
    Constant,
    /// Cosine annealing to 0: `lr · (1 + cos(π·t/T)) / 2`.
    Cosine,
    /// Linear decay to 0: `lr · (1 − t/T)`.
    Linear,
}

/// Stochastic gradient descent with momentum, as burn's `Sgd` implements it.
///
/// burn's momentum keeps a velocity `v ← μ·v + (1 − d)·g` (the first step sets `v = g`) and
/// updates `θ ← θ − lr·v`. With dampening `d = 0` and a constant `lr` this is the notebooks'
/// `M ← μ·M − lr·g; θ ← θ + M` with `M = −lr·v`. burn's own default dampening is 0.1, which
/// scales every gradient after the first by 0.9; burnprop's default is 0, like PyTorch's.
#[derive(Config, Debug)]
pub struct OptimizerConfig {
    /// Learning rate.
    pub lr: f64,
    /// Momentum factor μ (0 turns momentum off).
    #[config(default = 0.0)]
    pub momentum: f64,
    /// Dampening d of the momentum velocity (burn's default is 0.1; burnprop's is 0).
    #[config(default = 0.0)]
    pub dampening: f64,
    /// Nesterov momentum: step along `g + μ·v` instead of `v`.
    #[config(default = false)]
    pub nesterov: bool,
    /// L2 penalty added to the gradient: `g ← g + λ·θ`.
    #[config(default = 0.0)]
    pub weight_decay: f64,
    /// How the learning rate changes over the run.
    #[config(default = "Schedule::Constant")]
    pub schedule: Schedule,
}

impl OptimizerConfig {
    /// Plain gradient descent with learning rate `lr`.
    pub fn plain(lr: f64) -> Self {
        Self::new(lr)
    }

    /// The learning rate of step `step` (0-based) of `total`.
    pub fn lr_at(&self, step: usize, total: usize) -> f64 {
        let progress = step as f64 / total.max(1) as f64;
        match self.schedule {
            Schedule::Constant => self.lr,
            Schedule::Cosine => self.lr * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos()),
            Schedule::Linear => self.lr * (1.0 - progress),
        }
    }

    /// The equivalent burn optimiser config.
    pub fn sgd(&self) -> SgdConfig {
        let momentum = (self.momentum != 0.0).then(|| {
            MomentumConfig::new()
                .with_momentum(self.momentum)
                .with_dampening(self.dampening)
                .with_nesterov(self.nesterov)
        });
        let weight_decay =
            (self.weight_decay != 0.0).then(|| WeightDecayConfig::new(self.weight_decay as f32));
        SgdConfig::new()
            .with_momentum(momentum)
            .with_weight_decay(weight_decay)
    }
}

/// Everything that defines one training run.
#[derive(Config, Debug)]
pub struct ExperimentConfig {
    /// The notebook experiment this run started from.
    pub preset: Preset,
    /// The training data and how it is generated.
    pub data: DataConfig,
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
}

impl ExperimentConfig {
    /// The layer widths `[n_0, hidden…, n_L]`, inputs and outputs taken from the data.
    pub fn sizes(&self) -> Vec<usize> {
        let mut sizes = Vec::with_capacity(self.hidden.len() + 2);
        sizes.push(self.data.inputs());
        sizes.extend(&self.hidden);
        sizes.push(self.data.outputs());
        sizes
    }

    /// The network in one line, e.g. `2-3-1 relu → sigmoid, no biases`.
    pub fn network(&self) -> String {
        let sizes = self
            .sizes()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("-");
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
