//! The autodiff training engine: burn computes the gradients, burn's `Sgd` applies them.
//!
//! The loop is written out, one line per stage, as burn's examples write it:
//!
//! ```text
//! logits = model.forward_logits(X)            forward
//! loss   = L(logits, Y)                       objective
//! grads  = loss.backward()                    reverse-mode autodiff
//! grads  = GradientsParams::from_grads(…)     gradients keyed by parameter
//! model  = optim.step(lr, model, grads)       SGD (with momentum) update
//! ```
//!
//! [`AutodiffStepper`] is this engine's step in the loop in [`fit`](crate::train::fit); [`gradients`]
//! gives the same gradients for one batch, for the gradient check.

use burn::module::Module;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::Tensor;

use super::{Measured, Stepper, no_forward};
use crate::config::{Engine, ExperimentConfig, Kernel};
use crate::data::Batch;
use crate::error::{Error, Result};
use crate::loss::{LossKind, Reduction};
use crate::model::Mlp;
use crate::model::mlp::{Gradients, LayerParams};
use crate::train::metrics::{measure, scalar};

/// burn's training step: a tracked forward pass, `loss.backward()`, `Sgd`.
pub struct AutodiffStepper {
    loss: LossKind,
    reduction: Reduction,
    optim: ModuleOptimizer,
    /// The network, on the autodiff device; `None` only inside [`Stepper::step`].
    model: Option<Mlp>,
    /// The tracked loss of the last forward pass, whose graph `backward` walks.
    pending: Option<Tensor<1>>,
}

impl AutodiffStepper {
    /// burn's `Sgd` as `config.optimizer` sets it up, training `model` (drawn on the autodiff
    /// device).
    pub fn new(config: &ExperimentConfig, model: Mlp) -> Self {
        Self {
            loss: config.loss,
            reduction: config.reduction,
            optim: config.optimizer.sgd().init(),
            model: Some(model),
            pending: None,
        }
    }

    fn network(&self) -> Result<&Mlp> {
        self.model.as_ref().ok_or_else(no_forward)
    }
}

impl Stepper for AutodiffStepper {
    fn engine(&self) -> Engine {
        Engine::Autodiff
    }

    fn kernel(&self) -> Kernel {
        Kernel::Tensor
    }

    fn forward(&mut self, batch: &Batch) -> Result<Measured> {
        let logits = self.network()?.forward_logits(batch.inputs.clone()); // [batch, outputs]
        let loss = self
            .loss
            .loss(self.reduction, logits.clone(), batch.targets.clone()); // [1]
        let measured = measure(
            self.loss,
            self.reduction,
            loss.clone().inner(),
            logits.inner(),
            batch.targets.clone(),
        )?;
        self.pending = Some(loss);
        Ok(measured)
    }

    fn step(&mut self, lr: f64) -> Result<()> {
        let loss = self.pending.take().ok_or_else(no_forward)?;
        let model = self.model.take().ok_or_else(no_forward)?;
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        self.model = Some(self.optim.step(lr, model, grads));
        Ok(())
    }

    fn model(&self) -> Result<Mlp> {
        Ok(self.network()?.valid())
    }
}

/// The objective `J` and burn's autodiff gradients of it, for one batch, at `model`'s current
/// parameters: what the autodiff engine's `loss.backward()` computes at every step.
///
/// The network is copied onto the autodiff device of its own backend (`Module::train`); the
/// inputs and targets enter as constants.
///
/// # Shapes
/// - `inputs`: `[m, n_0]`, `targets`: `[m, n_L]`; the gradients have the parameters' shapes
pub fn gradients(
    model: &Mlp,
    inputs: Tensor<2>,
    targets: Tensor<2>,
    kind: LossKind,
    reduction: Reduction,
) -> Result<(f64, Gradients)> {
    let tracked = model.clone().train();
    let loss = kind.loss(reduction, tracked.forward_logits(inputs), targets); // [1]
    let grads = loss.backward();
    let missing = |name: String| Error::Data(format!("autodiff produced no gradient for {name}"));
    let layers = tracked
        .layers
        .iter()
        .enumerate()
        .map(|(l, layer)| {
            let weight = layer
                .weight
                .val()
                .grad(&grads)
                .ok_or_else(|| missing(format!("W{}", l + 1)))?;
            let bias = layer
                .bias
                .as_ref()
                .map(|b| {
                    b.val()
                        .grad(&grads)
                        .ok_or_else(|| missing(format!("b{}", l + 1)))
                })
                .transpose()?;
            Ok(LayerParams { weight, bias })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((scalar(loss.inner())?, Gradients { layers }))
}
