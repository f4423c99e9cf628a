//! The notebooks' data, generated from a seed and exposed as burn datasets.
//!
//! [`DataConfig`] says which data a run uses; [`generate`] draws it from the numpy stream in the
//! notebook's order; the examples are served through burn-dataset's
//! [`Dataset`](burn::data::dataset::Dataset) trait and batched by [`ExampleBatcher`], the way
//! burn's own loaders serve MNIST.

pub mod batcher;
pub mod circles;
pub mod random;
pub mod toy;

use serde::{Deserialize, Serialize};

pub use batcher::{Batch, ExampleBatcher};

use crate::config::Layout;
use crate::error::{Error, Result};
use crate::rng::NumpyRng;

/// One example: input features and targets (one-hot classes or 0/1 values).
#[derive(Clone, Debug, PartialEq)]
pub struct Example {
    /// Input features.
    pub x: Vec<f64>,
    /// Targets, one per output unit.
    pub y: Vec<f64>,
}

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
    /// Notebook 002's random data: standard-normal features, fair 0/1 targets.
    Random {
        /// Input features `nx`.
        features: usize,
        /// Examples `m`.
        samples: usize,
        /// Output units `ny`.
        outputs: usize,
    },
}

impl DataConfig {
    /// A short name for messages.
    pub fn name(&self) -> &'static str {
        match self {
            DataConfig::Logreg => "logreg",
            DataConfig::Xor => "xor",
            DataConfig::Circles { .. } => "circles",
            DataConfig::Random { .. } => "random",
        }
    }

    /// Number of input features.
    pub fn inputs(&self) -> usize {
        match self {
            DataConfig::Logreg => 3,
            DataConfig::Xor | DataConfig::Circles { .. } => 2,
            DataConfig::Random { features, .. } => *features,
        }
    }

    /// Number of target columns.
    pub fn outputs(&self) -> usize {
        match self {
            DataConfig::Logreg | DataConfig::Xor => 1,
            DataConfig::Circles { .. } => 2,
            DataConfig::Random { outputs, .. } => *outputs,
        }
    }

    /// Whether each target row is a one-hot class (so a softmax over the outputs makes sense),
    /// rather than independent 0/1 targets.
    pub fn one_hot(&self) -> bool {
        matches!(self, DataConfig::Circles { .. })
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
            DataConfig::Random {
                features,
                samples,
                outputs,
            } => format!("random X ({features} × {samples}), Y ∈ {{0,1}}^({outputs} × {samples})"),
        }
    }

    /// Checks the sizes and ranges.
    pub fn validate(&self) -> Result<()> {
        let problem = match self {
            DataConfig::Circles { samples, .. } if *samples < 2 => Some(format!(
                "--samples must be at least 2 for circles (got {samples})"
            )),
            DataConfig::Circles { factor, .. } if !(0.0..1.0).contains(factor) => {
                Some(format!("--factor must lie in [0, 1) (got {factor})"))
            }
            DataConfig::Circles { noise, .. } if !(noise.is_finite() && *noise >= 0.0) => {
                Some(format!("--noise must be zero or positive (got {noise})"))
            }
            DataConfig::Random {
                features,
                samples,
                outputs,
            } if *features == 0 || *samples == 0 || *outputs == 0 => Some(format!(
                "random data needs at least one feature, example and output (got {features}, {samples}, {outputs})"
            )),
            _ => None,
        };
        problem.map_or(Ok(()), |message| Err(Error::InvalidConfig(message)))
    }
}

/// Generates the examples, drawing from `rng` in the notebook's order.
pub fn generate(config: &DataConfig, layout: Layout, rng: &mut NumpyRng) -> Vec<Example> {
    match config {
        DataConfig::Logreg => toy::logreg(),
        DataConfig::Xor => toy::xor(),
        DataConfig::Circles {
            samples,
            factor,
            noise,
            shuffle,
        } => {
            let (points, labels) = circles::make_circles(*samples, *factor, *noise, *shuffle, rng);
            points
                .into_iter()
                .zip(labels)
                .map(|(point, label)| {
                    // One-hot, as the notebook's Y: Y[y == c, c] = 1.
                    let mut y = vec![0.0; 2];
                    y[label] = 1.0;
                    Example {
                        x: point.to_vec(),
                        y,
                    }
                })
                .collect()
        }
        DataConfig::Random {
            features,
            samples,
            outputs,
        } => random::random(*features, *samples, *outputs, layout, rng),
    }
}
