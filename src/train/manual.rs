//! The manual training engine: the hand-derived backward pass and notebook 000's update.
//!
//! ```text
//! cache  = row::forward(θ, X)                 Z_l, A_l of every layer
//! J      = L(Z_L, Y)                          the same objective the autodiff engine records
//! ∇      = row::backward(θ, cache, Y)         dZ_L = Ŷ − Y, then the chain rule down
//! M, θ   = M ← mf·M − lr·∇, θ ← θ + M         notebook 000's momentum update
//! ```
//!
//! Nothing here records a graph: the network lives on the plain device.

use burn::module::Module;
use burn::tensor::Tensor;

use super::engine::{Engine, Forward, Stepper};
use crate::config::ExperimentConfig;
use crate::data::Batch;
use crate::loss::{LossKind, Reduction};
use crate::manual::momentum::NotebookMomentum;
use crate::manual::{Cache, row};
use crate::model::Mlp;

/// The manual engine's half of a training step.
pub struct ManualStepper {
    loss: LossKind,
    reduction: Reduction,
    momentum: NotebookMomentum,
}

impl ManualStepper {
    /// The notebook's update with `config.optimizer`'s momentum factor.
    pub fn new(config: &ExperimentConfig) -> Self {
        Self {
            loss: config.loss,
            reduction: config.reduction,
            momentum: NotebookMomentum::new(&config.optimizer),
        }
    }
}

impl Stepper for ManualStepper {
    const ENGINE: Engine = Engine::Manual;
    /// The forward pass's cache and the batch's targets.
    type Pass = (Cache, Tensor<2>);

    fn prepare(&self, model: Mlp) -> Mlp {
        model.valid()
    }

    fn forward(&self, model: &Mlp, batch: &Batch) -> (Forward, Self::Pass) {
        let cache = row::forward(model, batch.inputs.clone());
        let loss = row::loss(&cache, batch.targets.clone(), self.loss, self.reduction); // [1]
        let forward = Forward {
            loss,
            logits: cache.logits(),
        };
        (forward, (cache, batch.targets.clone()))
    }

    fn step(&mut self, model: Mlp, (cache, targets): Self::Pass, lr: f64) -> Mlp {
        let gradients = row::backward(&model, &cache, targets, self.reduction).gradients;
        self.momentum.step(model, gradients, lr)
    }
}
