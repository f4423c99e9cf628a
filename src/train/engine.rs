//! The two training engines, behind one interface.
//!
//! Both engines train the same [`Mlp`] on the same batches; they differ in where the gradients
//! and the update come from:
//!
//! | engine | gradients | update |
//! |---|---|---|
//! | [`Engine::Autodiff`] | `loss.backward()` (burn's reverse-mode autodiff) | burn's `Sgd` with momentum |
//! | [`Engine::Manual`] | [`manual::row`](crate::manual::row), the chain rule by hand | notebook 000's `M ← mf·M − lr·∇`, `P ← P + M` ([`NotebookMomentum`](crate::manual::momentum::NotebookMomentum)) |
//!
//! A [`Stepper`] is one engine's half of a training step: [`Stepper::forward`] computes the loss
//! and logits at the current parameters (what a step records), and [`Stepper::step`] turns what
//! that forward pass kept into an update. The training loop ([`fit`](super::fit)) and
//! `burnprop compare` drive either engine through it.

use burn::tensor::Tensor;
use clap::ValueEnum;
use serde::{Deserialize, Serialize};

use crate::config::ExperimentConfig;
use crate::data::Batch;
use crate::error::{Error, Result};
use crate::model::Mlp;

/// Which gradients and which update train the network.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// burn's autodiff gradients and burn's `Sgd` with momentum.
    #[default]
    Autodiff,
    /// the hand-derived backward pass and notebook 000's momentum update.
    Manual,
}

impl Engine {
    /// `"autodiff"` or `"manual"`.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Autodiff => "autodiff",
            Engine::Manual => "manual",
        }
    }

    /// The engine's gradients and update, in one line.
    pub fn describe(self, config: &ExperimentConfig) -> String {
        let opt = &config.optimizer;
        match self {
            Engine::Autodiff if opt.momentum == 0.0 => {
                "burn autodiff gradients, burn Sgd: P ← P − lr·∇".to_string()
            }
            Engine::Autodiff => format!(
                "burn autodiff gradients, burn Sgd (μ = {}, dampening {}): v ← μ·v + (1 − d)·∇, P ← P − lr·v",
                opt.momentum, opt.dampening
            ),
            Engine::Manual if opt.momentum == 0.0 => {
                "hand-derived gradients, notebook update: P ← P − lr·∇".to_string()
            }
            Engine::Manual => format!(
                "hand-derived gradients, notebook 000's update (mf = {}): M ← mf·M − lr·∇, P ← P + M",
                opt.momentum
            ),
        }
    }

    /// Checks that the engine can train `config`: the manual engine's update has no dampening.
    pub fn check(self, config: &ExperimentConfig) -> Result<()> {
        let opt = &config.optimizer;
        if self == Engine::Manual && opt.momentum != 0.0 && opt.dampening != 0.0 {
            return Err(Error::InvalidConfig(format!(
                "--engine manual applies notebook 000's update M ← mf·M − lr·∇, P ← P + M, which has no dampening (got --dampening {}); use --dampening 0 or --engine autodiff",
                opt.dampening
            )));
        }
        Ok(())
    }
}

impl std::fmt::Display for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What a forward pass shows of the current parameters, as plain (non-autodiff) tensors.
#[derive(Clone, Debug)]
pub struct Forward {
    /// The objective `J` on the batch, `[1]`.
    pub loss: Tensor<1>,
    /// `Z_L`, `[batch, n_L]`.
    pub logits: Tensor<2>,
}

/// One engine's forward pass and update.
pub trait Stepper {
    /// Which engine this is.
    const ENGINE: Engine;

    /// What [`Stepper::forward`] keeps for [`Stepper::step`].
    type Pass;

    /// The network as this engine trains it, from one drawn on the autodiff device.
    fn prepare(&self, model: Mlp) -> Mlp;

    /// The loss and logits of `batch` at `model`'s parameters, and what the update needs.
    fn forward(&self, model: &Mlp, batch: &Batch) -> (Forward, Self::Pass);

    /// One optimiser step at learning rate `lr` from the gradients of `pass`.
    fn step(&mut self, model: Mlp, pass: Self::Pass, lr: f64) -> Mlp;
}
