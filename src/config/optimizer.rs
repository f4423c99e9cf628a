//! The optimiser's settings: SGD with momentum and a learning-rate schedule.

use burn::config::Config;
use burn::optim::SgdConfig;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use clap::ValueEnum;
use serde::{Deserialize, Serialize};

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
