//! The presets: one per notebook experiment, each a complete [`ExperimentConfig`].

use clap::ValueEnum;
use serde::{Deserialize, Serialize};

use super::{Engine, ExperimentConfig, Kernel, OptimizerConfig, Schedule};
use crate::data::{DataConfig, DataFile, Task, spiral};
use crate::loss::{L2Scope, LossKind, Reduction};
use crate::model::activation::Activation;
use crate::model::init::{BiasInit, Init};
use crate::rng::RngKind;
use crate::tensor::{Layout, Precision};

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
    /// karpathy/micrograd's `demo.ipynb`: a 2-16-16-1 ReLU network on `make_moons` with the
    /// SVM hinge loss and an L2 penalty, 100 steps of plain SGD with a decaying rate.
    Micrograd,
    /// cs231n's "Minimal neural network case study": a 2-100-3 ReLU/softmax network on its
    /// spiral, full-batch GD with an L2 penalty on the weights.
    Cs231n,
    /// The case study's first model: a linear softmax classifier (2-3) on the same spiral.
    Cs231nLinear,
    /// Your own CSV file (`--data-file`, no preset named): a 16-unit ReLU hidden layer, the
    /// loss of the file's task. Not a command-line value: `--data-file` picks it.
    #[value(skip)]
    File,
}

impl Preset {
    /// Every preset, in notebook order of `list`.
    pub const ALL: [Preset; 9] = [
        Preset::Logreg,
        Preset::Xor,
        Preset::Circles,
        Preset::ThreeLayer,
        Preset::Mnist,
        Preset::MnistBinary,
        Preset::Micrograd,
        Preset::Cs231n,
        Preset::Cs231nLinear,
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
            Preset::Micrograd => "micrograd",
            Preset::Cs231n => "cs231n",
            Preset::Cs231nLinear => "cs231n-linear",
            Preset::File => "file",
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
            Preset::Micrograd => "karpathy/micrograd demo.ipynb (beyond the four notebooks)",
            Preset::Cs231n => {
                "cs231n \"Minimal neural network case study\", its two-layer net (beyond the four notebooks)"
            }
            Preset::Cs231nLinear => {
                "cs231n \"Minimal neural network case study\", its softmax classifier (beyond the four notebooks)"
            }
            Preset::File => "none: your own CSV file (--data-file)",
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
            Preset::Micrograd => {
                "mean hinge loss + 1e-4·Σθ², full-batch SGD lr 1 → 0.1 (linear), 100 steps, f64"
            }
            Preset::Cs231n => {
                "mean cross-entropy + ½·1e-3·ΣW² (weights only), full-batch GD lr 1, 10000 iterations, f64"
            }
            Preset::Cs231nLinear => {
                "mean cross-entropy + ½·1e-3·ΣW² (weights only), full-batch GD lr 1, 200 iterations, f64"
            }
            Preset::File => {
                "mean BCE (2 classes), cross-entropy (more) or squared error (regression), full-batch GD lr 0.1 (regression 0.001) with momentum 0.9, 1000 iterations"
            }
        }
    }

    /// The preset's configuration: the notebook's hyperparameters, seed and draw order.
    pub fn config(self) -> ExperimentConfig {
        match self {
            Preset::Logreg => logreg(),
            Preset::Xor => xor(),
            Preset::Circles => circles(),
            Preset::ThreeLayer => three_layer(),
            Preset::Mnist => mnist(),
            Preset::MnistBinary => mnist_binary(),
            Preset::Micrograd => micrograd(),
            Preset::Cs231n => cs231n(vec![100], 10_000),
            Preset::Cs231nLinear => cs231n(vec![], 200),
            Preset::File => file(DataFile::default()),
        }
    }
}

/// The configuration `--data-file` trains `data` with: one hidden layer of 16 ReLU units
/// (Glorot-uniform weights from numpy's stream seeded 0, zero biases), the loss of the file's
/// task (BCE with one sigmoid output for two classes, softmax cross-entropy for more, squared
/// error with an identity output for regression), averaged over the examples, and 1000
/// full-batch steps of gradient descent with momentum 0.9: lr 0.1 for classes, 0.001 for
/// regression, whose squared error grows with the targets' scale (on scikit-learn's diabetes,
/// targets 25 to 346, lr 0.01 kills every ReLU in the first steps and leaves the mean).
pub fn file(data: DataFile) -> ExperimentConfig {
    let (loss, lr) = match (data.task, data.classes.len()) {
        (Task::Regress, _) => (LossKind::Mse, 0.001),
        (Task::Classify, k) if k > 2 => (LossKind::CrossEntropy, 0.1),
        (Task::Classify, _) => (LossKind::Bce, 0.1),
    };
    ExperimentConfig {
        preset: Preset::File,
        data: DataConfig::File(data),
        hidden: vec![16],
        activations: vec![Activation::Relu],
        bias: true,
        loss,
        reduction: Reduction::Mean,
        l2: 0.0,
        l2_on: L2Scope::All,
        features: None,
        test_fraction: None,
        standardize: None,
        init: Init::Glorot,
        bias_init: BiasInit::Zeros,
        init_scale: None,
        init_draw: 1,
        optimizer: OptimizerConfig {
            lr,
            momentum: 0.9,
            dampening: 0.0,
            nesterov: false,
            weight_decay: 0.0,
            schedule: Schedule::Constant,
            lr_final: 0.0,
        },
        epochs: 1000,
        batch_size: None,
        max_steps: None,
        rng: RngKind::Numpy,
        seed: 0,
        dtype: Precision::F32,
        layout: Layout::Row,
        kernel: Kernel::Auto,
        engine: Engine::Autodiff,
    }
}

/// np.random.seed(1); W1 = 2*np.random.random((3,1)) - 1; b1 = 0; 22 iterations
/// of W1 -= dW1 (no learning rate) on the mean log loss.
fn logreg() -> ExperimentConfig {
    ExperimentConfig {
        preset: Preset::Logreg,
        data: DataConfig::Logreg,
        features: None,
        hidden: vec![],
        activations: vec![],
        bias: true,
        loss: LossKind::Bce,
        reduction: Reduction::Mean,
        l2: 0.0,
        l2_on: L2Scope::All,
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
        engine: Engine::Autodiff,
        test_fraction: None,
        standardize: None,
    }
}

/// np.random.seed(0); bounds = sqrt(6 / (n_inputs + n_outputs)) for both layers;
/// no biases; the notebook derives backprop but never trains, so the schedule is
/// ours (all four points are right after 39 iterations at lr 0.1).
fn xor() -> ExperimentConfig {
    ExperimentConfig {
        preset: Preset::Xor,
        data: DataConfig::Xor,
        features: None,
        hidden: vec![3],
        activations: vec![Activation::Relu],
        bias: false,
        loss: LossKind::Bce,
        reduction: Reduction::Mean,
        l2: 0.0,
        l2_on: L2Scope::All,
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
        engine: Engine::Autodiff,
        test_fraction: None,
        standardize: None,
    }
}

/// np.random.seed(42); make_circles(50000, factor=.1, noise=.1); randn weights and
/// biases drawn twice (gradient check, then training); M = .5 M - 1e-4 grad; P += M.
fn circles() -> ExperimentConfig {
    ExperimentConfig {
        preset: Preset::Circles,
        data: DataConfig::Circles {
            samples: 50_000,
            factor: 0.1,
            noise: 0.1,
            shuffle: true,
        },
        features: None,
        hidden: vec![3],
        activations: vec![Activation::Sigmoid],
        bias: true,
        loss: LossKind::CrossEntropy,
        reduction: Reduction::Sum,
        l2: 0.0,
        l2_on: L2Scope::All,
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
            lr_final: 0.0,
        },
        epochs: 50_000,
        batch_size: None,
        max_steps: None,
        rng: RngKind::Numpy,
        seed: 42,
        dtype: Precision::F32,
        layout: Layout::Row,
        kernel: Kernel::Auto,
        engine: Engine::Autodiff,
        test_fraction: None,
        standardize: None,
    }
}

/// X = randn(nx, m), Y = randint(2, (ny, m)), n1 = 12 (the notebook's printed draw),
/// parameter_scale = rand(), W = randn(n_l, n_l-1) * scale, b = 0; lr 0.01, 8 epochs.
fn three_layer() -> ExperimentConfig {
    ExperimentConfig {
        preset: Preset::ThreeLayer,
        data: DataConfig::Random {
            features: 100,
            samples: 10_000,
            outputs: 4,
        },
        features: None,
        hidden: vec![12],
        activations: vec![Activation::Sigmoid],
        bias: true,
        loss: LossKind::Bce,
        reduction: Reduction::Mean,
        l2: 0.0,
        l2_on: L2Scope::All,
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
        engine: Engine::Autodiff,
        test_fraction: None,
        standardize: None,
    }
}

/// The 784-128-10 MLP of the reference scripts: torch's Linear initialisation
/// (burn's default, U(±1/√n_in) for weights and biases), minibatches of 64. The
/// references train at a constant lr 0.05 and reach 97.9%; twice the rate, annealed
/// to 0 along a cosine, ends at 98.16–98.30 % test accuracy over seeds 0, 1, 2 (README, MNIST).
fn mnist() -> ExperimentConfig {
    ExperimentConfig {
        preset: Preset::Mnist,
        data: DataConfig::Mnist {
            dir: None,
            digits: None,
            standardize: false,
        },
        features: None,
        hidden: vec![128],
        activations: vec![Activation::Relu],
        bias: true,
        loss: LossKind::CrossEntropy,
        reduction: Reduction::Mean,
        l2: 0.0,
        l2_on: L2Scope::All,
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
            lr_final: 0.0,
        },
        epochs: 10,
        batch_size: Some(64),
        max_steps: None,
        rng: RngKind::Burn,
        seed: 0,
        dtype: Precision::F32,
        layout: Layout::Row,
        kernel: Kernel::Auto,
        engine: Engine::Autodiff,
        test_fraction: None,
        standardize: None,
    }
}

/// Notebook 002's n0-n1-1 sigmoid network on two digits (target 1 for the second);
/// Glorot-uniform weights, since randn weights saturate 784-input sigmoids.
fn mnist_binary() -> ExperimentConfig {
    ExperimentConfig {
        preset: Preset::MnistBinary,
        data: DataConfig::Mnist {
            dir: None,
            digits: Some([0, 1]),
            standardize: false,
        },
        features: None,
        hidden: vec![32],
        activations: vec![Activation::Sigmoid],
        bias: true,
        loss: LossKind::Bce,
        reduction: Reduction::Mean,
        l2: 0.0,
        l2_on: L2Scope::All,
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
            lr_final: 0.0,
        },
        epochs: 5,
        batch_size: Some(64),
        max_steps: None,
        rng: RngKind::Burn,
        seed: 0,
        dtype: Precision::F32,
        layout: Layout::Row,
        kernel: Kernel::Auto,
        engine: Engine::Autodiff,
        test_fraction: None,
        standardize: None,
    }
}

/// micrograd demo.ipynb, cells 3–7: np.random.seed(1337); random.seed(1337);
/// X, y = make_moons(n_samples=100, noise=0.1); y = y*2 - 1;
/// model = MLP(2, [16, 16, 1]) (random.uniform(-1, 1) weights, zero biases, ReLU
/// hidden layers, linear output); loss = mean(relu(1 - yi*scorei)) + 1e-4*Σp²;
/// 100 steps of p -= (1.0 - 0.9*k/100) * grad, in Python floats (f64).
fn micrograd() -> ExperimentConfig {
    ExperimentConfig {
        preset: Preset::Micrograd,
        data: DataConfig::Moons {
            samples: 100,
            noise: 0.1,
            one_hot: false,
        },
        features: None,
        hidden: vec![16, 16],
        activations: vec![Activation::Relu, Activation::Relu],
        bias: true,
        loss: LossKind::Hinge,
        reduction: Reduction::Mean,
        l2: 1e-4,
        l2_on: L2Scope::All,
        init: Init::SymmetricUniform,
        bias_init: BiasInit::Zeros,
        init_scale: None,
        init_draw: 1,
        optimizer: OptimizerConfig::plain(1.0)
            .with_schedule(Schedule::Linear)
            .with_lr_final(0.1),
        epochs: 100,
        batch_size: None,
        max_steps: None,
        rng: RngKind::Python,
        seed: 1337,
        dtype: Precision::F64,
        layout: Layout::Row,
        kernel: Kernel::Auto,
        engine: Engine::Autodiff,
        test_fraction: None,
        standardize: None,
    }
}

/// cs231n's "Minimal neural network case study", with `np.random.seed(0)` (its notebook's
/// seed; the page's code sets none): the spiral (N = 100 points per class, K = 3), then
/// `W = 0.01 * np.random.randn(D, h)` for each layer in turn (`[d_in, d_out]`, burn's
/// layout), zero biases; `step_size = 1e-0`, `reg = 1e-3` in `0.5*reg*np.sum(W*W)` over the
/// weights only (α = reg/2 = 5e-4); mean cross-entropy of a softmax; 10000 iterations for
/// the two-layer net (`hidden = [100]`, ReLU), 200 for the linear classifier (`hidden = []`).
fn cs231n(hidden: Vec<usize>, epochs: usize) -> ExperimentConfig {
    let preset = if hidden.is_empty() {
        Preset::Cs231nLinear
    } else {
        Preset::Cs231n
    };
    ExperimentConfig {
        preset,
        data: DataConfig::Spiral {
            classes: spiral::CLASSES,
            samples: spiral::SAMPLES,
        },
        activations: vec![Activation::Relu; hidden.len()],
        hidden,
        bias: true,
        loss: LossKind::CrossEntropy,
        reduction: Reduction::Mean,
        l2: 5e-4,
        l2_on: L2Scope::Weights,
        features: None,
        test_fraction: None,
        standardize: None,
        init: Init::Normal,
        bias_init: BiasInit::Zeros,
        init_scale: Some(0.01),
        init_draw: 1,
        optimizer: OptimizerConfig::plain(1.0),
        epochs,
        batch_size: None,
        max_steps: None,
        rng: RngKind::Numpy,
        seed: 0,
        dtype: Precision::F64,
        layout: Layout::Row,
        kernel: Kernel::Auto,
        engine: Engine::Autodiff,
    }
}
