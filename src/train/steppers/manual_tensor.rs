//! The manual training engine: the hand-derived backward pass and notebook 000's update.
//!
//! ```text
//! cache  = row::forward(θ, X)                 Z_l, A_l of every layer
//! J      = L(Z_L, Y)                          the same objective the autodiff engine records
//! ∇      = row::backward(θ, cache, Y)         dZ_L (Ŷ − Y, or the hinge's), then the chain rule
//! ∇     += 2α·θ                               the L2 penalty α·Σθ², when the objective has one
//! M, θ   = M ← mf·M − lr·∇, θ ← θ + M         notebook 000's momentum update
//! ```
//!
//! Nothing here records a graph: the network lives on the plain device. This is the readable
//! kernel, every line a tensor operation of the derivation; [`ManualHostStepper`](super::ManualHostStepper)
//! computes the same step in one sweep on the CPU.

use burn::module::Module;
use burn::tensor::Tensor;

use super::{Measured, OptimizerState, Stepper, no_forward};
use crate::config::{Engine, ExperimentConfig, Kernel};
use crate::data::Batch;
use crate::error::Result;
use crate::loss::{LossKind, Penalty, Reduction};
use crate::manual::momentum::NotebookMomentum;
use crate::manual::{Cache, l2_gradients, row};
use crate::model::Mlp;
use crate::train::metrics::measure;

/// The manual engine's training step, in burn tensor operations ([`Kernel::Tensor`]).
pub struct ManualTensorStepper {
    loss: LossKind,
    reduction: Reduction,
    l2: Penalty,
    momentum: NotebookMomentum,
    /// The network, on the plain device; `None` only inside [`Stepper::step`].
    model: Option<Mlp>,
    /// The last forward pass's cache and the batch's targets.
    last_forward: Option<(Cache, Tensor<2>)>,
}

impl ManualTensorStepper {
    /// The notebook's update with `config.optimizer`'s momentum factor, training `model`.
    pub fn new(config: &ExperimentConfig, model: Mlp) -> Self {
        Self {
            loss: config.loss,
            reduction: config.reduction,
            l2: config.penalty(),
            momentum: NotebookMomentum::new(&config.optimizer),
            model: Some(model.valid()),
            last_forward: None,
        }
    }

    fn network(&self) -> Result<&Mlp> {
        self.model.as_ref().ok_or_else(no_forward)
    }
}

impl Stepper for ManualTensorStepper {
    fn engine(&self) -> Engine {
        Engine::Manual
    }

    fn kernel(&self) -> Kernel {
        Kernel::Tensor
    }

    fn forward(&mut self, batch: &Batch) -> Result<Measured> {
        let network = self.network()?;
        let cache = row::forward(network, batch.inputs());
        let mut loss = row::loss(&cache, batch.targets(), self.loss, self.reduction); // [1]
        if let Some(penalty) = network.l2_penalty(self.l2) {
            loss = loss + penalty;
        }
        let measured = measure(
            self.loss,
            self.reduction,
            loss,
            cache.logits(),
            batch.targets(),
        )?;
        self.last_forward = Some((cache, batch.targets()));
        Ok(measured)
    }

    fn step(&mut self, lr: f64) -> Result<()> {
        let (cache, targets) = self.last_forward.take().ok_or_else(no_forward)?;
        let model = self.model.take().ok_or_else(no_forward)?;
        let gradients = row::backward(&model, &cache, targets, self.loss, self.reduction).gradients;
        let gradients = l2_gradients(gradients, &model, self.l2);
        self.model = Some(self.momentum.step(model, gradients, lr));
        Ok(())
    }

    fn model(&mut self) -> Result<Mlp> {
        self.network().cloned()
    }

    fn optimizer_state(&mut self) -> Result<OptimizerState> {
        let (momentum, previous_lr) = self.momentum.state();
        Ok(OptimizerState {
            momentum,
            previous_lr,
        })
    }

    fn restore(&mut self, state: OptimizerState) -> Result<()> {
        self.momentum.restore(state.momentum, state.previous_lr);
        Ok(())
    }
}
