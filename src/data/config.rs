//! [`DataConfig`]: which data a run trains on, with its sizes and noise, as `config.json`
//! stores it; and [`PointSet`], the 2-D sets `--data` can put in a planar preset's place.

use std::path::PathBuf;

use clap::ValueEnum;
use serde::{Deserialize, Serialize};

use super::examples::classes;
use super::{DataFile, PlaygroundSet, RegressionSet, mnist, playground, regression};

/// The training data of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataConfig {
    /// Notebook 001's 4-row table (three features, one 0/1 target).
    Logreg,
    /// Notebook 003's XOR table (two features, one 0/1 target).
    Xor,
    /// scikit-learn's `make_circles` (notebook 000), targets one-hot over the two classes.
    Circles {
        /// Number of points, split evenly between the circles.
        samples: usize,
        /// Radius of the inner circle relative to the outer one, in `[0, 1)`.
        factor: f64,
        /// Standard deviation of the Gaussian noise added to every coordinate.
        noise: f64,
        /// Whether the points are shuffled (they are generated outer circle first).
        shuffle: bool,
    },
    /// scikit-learn's `make_moons` (karpathy/micrograd's `demo.ipynb`), always shuffled.
    Moons {
        /// Number of points, `N // 2` on the upper moon (class 0), the rest on the lower one.
        samples: usize,
        /// Standard deviation of the Gaussian noise added to every coordinate (0: none drawn).
        noise: f64,
        /// Targets one-hot over the two classes (two outputs) rather than one 0/1 target.
        one_hot: bool,
    },
    /// One of TensorFlow Playground's classification sets, drawn from the numpy stream or
    /// (`--rng playground`) from the Playground's own.
    Playground {
        /// Which set.
        set: PlaygroundSet,
        /// Number of points (the Playground's 500 by default).
        samples: usize,
        /// The Playground's noise slider, in percent from 0 to 50.
        noise: f64,
        /// Targets one-hot over the two classes (two outputs) rather than one 0/1 target.
        one_hot: bool,
    },
    /// One of TensorFlow Playground's regression sets (one real target in [−1, 1], trained
    /// with `--loss mse`), drawn from the numpy stream or (`--rng playground`) the
    /// Playground's own.
    PlaygroundRegression {
        /// Which set.
        set: RegressionSet,
        /// Number of points (the Playground's 1200 by default).
        samples: usize,
        /// The Playground's noise slider, in percent from 0 to 50.
        noise: f64,
    },
    /// cs231n's spiral ("Minimal neural network case study"): `classes` interleaved arms,
    /// targets one-hot over the classes.
    Spiral {
        /// Number of arms `K`, one class each.
        classes: usize,
        /// Points per class, the case study's `N` (the set has `classes × samples` points).
        samples: usize,
    },
    /// Notebook 002's random data: standard-normal features, fair 0/1 targets.
    Random {
        /// Input features `nx`.
        features: usize,
        /// Examples `m`.
        samples: usize,
        /// Output units `ny`.
        outputs: usize,
    },
    /// MNIST's handwritten digits (notebooks 002 and 003), read from IDX files.
    Mnist {
        /// The directory of the IDX files (`--data-dir` or `BURNPROP_MNIST_DIR`); absent,
        /// burn-dataset's cache.
        dir: Option<PathBuf>,
        /// Notebook 002's two-class task: only these two digits, the second being target 1.
        /// Absent, all ten classes.
        digits: Option<[u8; 2]>,
        /// Standardise pixels to `(x − 0.1307) / 0.3081` instead of only scaling them to [0, 1].
        standardize: bool,
    },
    /// The user's own CSV file (`--data-file`): its path, hash, columns, task and classes.
    File(DataFile),
}

/// The 2-D sets that can take the place of a 2-D preset's data (`--data`): classification
/// sets, and the Playground's two regression sets (which train with `--loss mse`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PointSet {
    /// scikit-learn's `make_moons`: 100 points, noise 0.1 (karpathy/micrograd's demo).
    Moons,
    /// TensorFlow Playground's circle: a disc inside a ring (500 points, noise 0 %).
    Circle,
    /// TensorFlow Playground's XOR: the four quadrants (500 points, noise 0 %).
    Xor,
    /// TensorFlow Playground's two Gaussians (500 points, noise 0 %).
    Gauss,
    /// TensorFlow Playground's two spirals (500 points, noise 0 %).
    Spiral,
    /// TensorFlow Playground's regression plane: target (x₁ + x₂) / 10 (1200 points, noise
    /// 0 %; --loss mse).
    Plane,
    /// TensorFlow Playground's regression Gaussians: six signed bumps (1200 points, noise 0 %;
    /// --loss mse).
    Gaussian,
}

impl PointSet {
    /// The set at its source's default size and noise, with one-hot targets or one 0/1 target
    /// (a regression set has one real target whatever `one_hot` says).
    pub fn config(self, one_hot: bool) -> DataConfig {
        let playground = |set| DataConfig::Playground {
            set,
            samples: playground::SAMPLES,
            noise: 0.0,
            one_hot,
        };
        let regression_set = |set| DataConfig::PlaygroundRegression {
            set,
            samples: regression::SAMPLES,
            noise: 0.0,
        };
        match self {
            PointSet::Moons => DataConfig::Moons {
                samples: 100,
                noise: 0.1,
                one_hot,
            },
            PointSet::Circle => playground(PlaygroundSet::Circle),
            PointSet::Xor => playground(PlaygroundSet::Xor),
            PointSet::Gauss => playground(PlaygroundSet::Gauss),
            PointSet::Spiral => playground(PlaygroundSet::Spiral),
            PointSet::Plane => regression_set(RegressionSet::Plane),
            PointSet::Gaussian => regression_set(RegressionSet::Gaussian),
        }
    }
}

impl DataConfig {
    /// A short name for messages.
    pub fn name(&self) -> &'static str {
        match self {
            DataConfig::Logreg => "logreg",
            DataConfig::Xor => "xor",
            DataConfig::Circles { .. } => "circles",
            DataConfig::Moons { .. } => "moons",
            DataConfig::Playground { set, .. } => match set {
                PlaygroundSet::Circle => "playground circle",
                PlaygroundSet::Xor => "playground xor",
                PlaygroundSet::Gauss => "playground gauss",
                PlaygroundSet::Spiral => "playground spiral",
            },
            DataConfig::PlaygroundRegression { set, .. } => match set {
                RegressionSet::Plane => "playground plane",
                RegressionSet::Gaussian => "playground gaussian",
            },
            DataConfig::Spiral { .. } => "spiral",
            DataConfig::Random { .. } => "random",
            DataConfig::Mnist { .. } => "mnist",
            DataConfig::File(_) => "csv file",
        }
    }

    /// Number of input features.
    pub fn inputs(&self) -> usize {
        match self {
            DataConfig::Logreg => 3,
            DataConfig::Xor
            | DataConfig::Circles { .. }
            | DataConfig::Moons { .. }
            | DataConfig::Playground { .. }
            | DataConfig::PlaygroundRegression { .. }
            | DataConfig::Spiral { .. } => 2,
            DataConfig::Random { features, .. } => *features,
            DataConfig::Mnist { .. } => mnist::PIXELS,
            DataConfig::File(file) => file.inputs.len(),
        }
    }

    /// Number of target columns.
    pub fn outputs(&self) -> usize {
        match self {
            DataConfig::Logreg | DataConfig::Xor | DataConfig::PlaygroundRegression { .. } => 1,
            DataConfig::Circles { .. } => 2,
            DataConfig::Moons { one_hot, .. } | DataConfig::Playground { one_hot, .. } => {
                classes(*one_hot)
            }
            DataConfig::Spiral { classes, .. } => *classes,
            DataConfig::Random { outputs, .. } => *outputs,
            DataConfig::Mnist { digits: None, .. } => mnist::CLASSES,
            DataConfig::Mnist {
                digits: Some(_), ..
            } => 1,
            DataConfig::File(file) => file.outputs(),
        }
    }

    /// Whether each target row is a one-hot class (so a softmax over the outputs makes sense),
    /// rather than independent 0/1 targets.
    pub fn one_hot(&self) -> bool {
        matches!(
            self,
            DataConfig::Circles { .. }
                | DataConfig::Moons { one_hot: true, .. }
                | DataConfig::Playground { one_hot: true, .. }
                | DataConfig::Spiral { .. }
                | DataConfig::Mnist { digits: None, .. }
        ) || matches!(self, DataConfig::File(file) if file.one_hot())
    }

    /// One line for `burnprop list`.
    pub fn describe(&self) -> String {
        match self {
            DataConfig::Logreg => "the 4-row table X1 X2 X3 → y".to_string(),
            DataConfig::Xor => "the XOR truth table".to_string(),
            DataConfig::Circles {
                samples,
                factor,
                noise,
                ..
            } => format!("make_circles(N={samples}, factor={factor}, noise={noise})"),
            DataConfig::Moons { samples, noise, .. } => {
                format!("make_moons(N={samples}, noise={noise})")
            }
            DataConfig::Playground {
                set,
                samples,
                noise,
                ..
            } => format!(
                "TensorFlow Playground's {} ({samples} points, noise {noise} %)",
                set.name()
            ),
            DataConfig::PlaygroundRegression {
                set,
                samples,
                noise,
            } => format!(
                "TensorFlow Playground's regression {} ({samples} points, noise {noise} %)",
                set.name()
            ),
            DataConfig::Spiral { classes, samples } => {
                format!("cs231n's spiral, {classes} classes of {samples} points")
            }
            DataConfig::Random {
                features,
                samples,
                outputs,
            } => format!("random X ({features} × {samples}), Y ∈ {{0,1}}^({outputs} × {samples})"),
            DataConfig::Mnist { digits, .. } => match digits {
                None => "MNIST, 60000 training and 10000 test digits (--data-dir)".to_string(),
                Some([a, b]) => format!(
                    "MNIST, digits {a} (target 0) and {b} (target 1) only (--data-dir, --digits)"
                ),
            },
            DataConfig::File(file) => file.describe_line(),
        }
    }

    /// Whether the examples are points of the plane (in two classes, or with one real
    /// target), so that any of the [`PointSet`]s can take their place.
    pub fn is_planar(&self) -> bool {
        matches!(
            self,
            DataConfig::Xor
                | DataConfig::Circles { .. }
                | DataConfig::Moons { .. }
                | DataConfig::Playground { .. }
                | DataConfig::PlaygroundRegression { .. }
        )
    }

    /// Whether the targets are real values to regress on (trained with `--loss mse`) rather
    /// than classes.
    pub fn is_regression(&self) -> bool {
        matches!(self, DataConfig::PlaygroundRegression { .. })
    }
}
