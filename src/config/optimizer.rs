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
    /// Cosine annealing to `lr_final`: `lr_f + (lr − lr_f) · (1 + cos(π·t/T)) / 2`.
    Cosine,
    /// Linear decay to `lr_final`: `lr − (lr − lr_f)·t / T`; micrograd's demo decays
    /// `1.0 − 0.9·k/100`, i.e. `lr = 1`, `lr_final = 0.1`, `T = 100`.
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
    /// The rate a decaying schedule ends at (reached after the last step, at `t = T`).
    #[config(default = 0.0)]
    pub lr_final: f64,
}

impl OptimizerConfig {
    /// Plain gradient descent with learning rate `lr`.
    pub fn plain(lr: f64) -> Self {
        Self::new(lr)
    }

    /// The learning rate of step `step` (0-based) of `total`.
    pub fn lr_at(&self, step: usize, total: usize) -> f64 {
        // Step counts are far below 2⁵³: usize → f64 is exact.
        let (t, total) = (step as f64, total.max(1) as f64);
        let span = self.lr - self.lr_final;
        match self.schedule {
            Schedule::Constant => self.lr,
            Schedule::Cosine => {
                let progress = t / total;
                self.lr_final + span * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())
            }
            // `(span·t)/T`, in micrograd's order of operations (`1.0 - 0.9*k/100`), so that
            // its rates come out to the last bit.
            Schedule::Linear => self.lr - span * t / total,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_decay_to_a_final_rate_is_micrograds_schedule_to_the_bit() {
        // micrograd's demo.ipynb, cell 7: `learning_rate = 1.0 - 0.9*k/100` for k in 0..100.
        let config = OptimizerConfig::plain(1.0)
            .with_schedule(Schedule::Linear)
            .with_lr_final(0.1);
        for k in 0..100 {
            let micrograd = 1.0 - 0.9 * k as f64 / 100.0;
            assert_eq!(
                config.lr_at(k, 100).to_bits(),
                micrograd.to_bits(),
                "step {k}"
            );
        }
        assert!((config.lr_at(100, 100) - 0.1).abs() < 1e-15);
    }

    #[test]
    fn schedules_end_at_the_final_rate() {
        for schedule in [Schedule::Linear, Schedule::Cosine] {
            let config = OptimizerConfig::plain(0.5)
                .with_schedule(schedule)
                .with_lr_final(0.05);
            assert_eq!(config.lr_at(0, 40), 0.5, "{schedule:?}");
            assert!((config.lr_at(40, 40) - 0.05).abs() < 1e-15, "{schedule:?}");
            assert!(config.lr_at(20, 40) < 0.5 && config.lr_at(20, 40) > 0.05);
        }
    }
}
