//! The autodiff training engine: burn computes the gradients, burn's `Sgd` applies them.
//!
//! The loop is written out, one line per stage, as burn's examples write it:
//!
//! ```text
//! logits = model.forward_logits(X)            forward
//! loss   = L(logits, Y)                       objective
//! grads  = loss.backward()                    reverse-mode autodiff
//! θ, s   = Sgd::step(lr, θ, ∂J/∂θ, s)         burn's SGD (with momentum), each parameter
//! ```
//!
//! burn's `ModuleOptimizer` would walk the parameters for `Sgd`; this stepper walks them
//! itself and calls the same `Optimizer::step` with the same inputs, so that it holds every
//! parameter's `SgdState` (the momentum velocity `v`) and a checkpoint can save and restore it
//! exactly. (burn 0.22's `ModuleOptimizer::load_record` materialises a saved state in the
//! default float type, f32, which would round an f64 run's velocity.)
//!
//! [`AutodiffStepper`] is this engine's step in the loop in [`fit`](crate::train::fit); [`gradients`]
//! gives the same gradients for one batch, for the gradient check.

use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::optim::momentum::MomentumState;
use burn::optim::{Optimizer, RecordState, Sgd, SgdState, StateSink};
use burn::tensor::{Device, Tensor, TensorData};

use super::{Measured, OptimizerState, Stepper, no_forward};
use crate::config::{Engine, ExperimentConfig, Kernel};
use crate::data::Batch;
use crate::error::{Error, Result};
use crate::loss::{LossKind, Penalty, Reduction};
use crate::model::Mlp;
use crate::model::mlp::{Gradients, LayerParams};
use crate::train::metrics::{measure, scalar};

/// burn's `SgdState` of one layer's weight and bias.
type LayerState = (Option<SgdState<2>>, Option<SgdState<1>>);

/// burn's training step: a tracked forward pass, `loss.backward()`, `Sgd`.
pub struct AutodiffStepper {
    loss: LossKind,
    reduction: Reduction,
    l2: Penalty,
    sgd: Sgd,
    /// Every layer's optimiser state; empty before the first step.
    states: Vec<LayerState>,
    /// The network, on the autodiff device; `None` only inside [`Stepper::step`].
    model: Option<Mlp>,
    /// The tracked loss of the last forward pass, whose graph `backward` walks.
    tracked_loss: Option<Tensor<1>>,
}

impl AutodiffStepper {
    /// burn's `Sgd` as `config.optimizer` sets it up, training `model` (drawn on the autodiff
    /// device).
    pub fn new(config: &ExperimentConfig, model: Mlp) -> Self {
        Self {
            loss: config.loss,
            reduction: config.reduction,
            l2: config.penalty(),
            sgd: config.optimizer.sgd().build(),
            states: Vec::new(),
            model: Some(model),
            tracked_loss: None,
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
        let network = self.network()?;
        let logits = network.forward_logits(batch.inputs()); // [batch, outputs]
        let loss = objective(
            network,
            self.loss,
            self.reduction,
            self.l2,
            logits.clone(),
            batch.targets(),
        ); // [1]
        let measured = measure(
            self.loss,
            self.reduction,
            loss.clone().inner(),
            logits.inner(),
            batch.targets(),
        )?;
        self.tracked_loss = Some(loss);
        Ok(measured)
    }

    fn step(&mut self, lr: f64) -> Result<()> {
        let loss = self.tracked_loss.take().ok_or_else(no_forward)?;
        let model = self.model.take().ok_or_else(no_forward)?;
        let grads = loss.backward();
        self.states
            .resize_with(model.layers.len(), Default::default);
        let mut layers = Vec::with_capacity(model.layers.len());
        for (l, (layer, (weight_state, bias_state))) in
            model.layers.into_iter().zip(&mut self.states).enumerate()
        {
            let weight = update(&self.sgd, lr, layer.weight, &grads, weight_state)
                .ok_or_else(|| missing(format!("W{}", l + 1)))?;
            let bias = match layer.bias {
                Some(bias) => Some(
                    update(&self.sgd, lr, bias, &grads, bias_state)
                        .ok_or_else(|| missing(format!("b{}", l + 1)))?,
                ),
                None => None,
            };
            layers.push(Linear { weight, bias });
        }
        self.model = Some(Mlp {
            layers,
            hidden_activations: model.hidden_activations,
            output: model.output,
        });
        Ok(())
    }

    fn model(&mut self) -> Result<Mlp> {
        Ok(self.network()?.valid())
    }

    fn optimizer_state(&mut self) -> Result<OptimizerState> {
        // burn keeps a velocity once a step has been taken with momentum.
        let velocity = self
            .states
            .iter()
            .map(|(weight, bias)| {
                Some(LayerParams {
                    weight: velocity(weight.as_ref()?)?,
                    bias: match bias {
                        Some(state) => Some(velocity(state)?),
                        None => None,
                    },
                })
            })
            .collect::<Option<Vec<_>>>()
            .filter(|layers| !layers.is_empty());
        Ok(OptimizerState {
            momentum: velocity,
            previous_lr: None,
        })
    }

    fn restore(&mut self, state: OptimizerState) -> Result<()> {
        self.states = state
            .momentum
            .unwrap_or_default()
            .into_iter()
            .map(|layer| {
                (
                    with_velocity(layer.weight),
                    layer.bias.and_then(with_velocity),
                )
            })
            .collect();
        Ok(())
    }
}

/// One parameter through burn's `Sgd`: its gradient in `grads`, its state in `state`.
/// `None` if autodiff computed no gradient for it.
fn update<const D: usize>(
    sgd: &Sgd,
    lr: f64,
    param: Param<Tensor<D>>,
    grads: &burn::tensor::Gradients,
    state: &mut Option<SgdState<D>>,
) -> Option<Param<Tensor<D>>> {
    let grad = param.val().grad(grads)?;
    let (id, tensor, mapper) = param.consume();
    let require_grad = tensor.is_require_grad();
    let (updated, next) = sgd.step(lr, tensor.inner(), grad, state.take());
    *state = next;
    let mut updated = Tensor::from_inner(updated);
    if require_grad {
        updated = updated.require_grad();
    }
    Some(Param::from_mapped_value(id, updated, mapper))
}

/// The momentum velocity `v` in a parameter's `SgdState`, in its own precision.
fn velocity<const D: usize>(state: &SgdState<D>) -> Option<Tensor<D>> {
    let mut sink = StateSink::default();
    state.state_flatten("", &mut sink);
    let (_, data): (String, TensorData) = sink.tensors.into_iter().next()?;
    let device = Device::default();
    let dtype = data.dtype();
    Some(Tensor::from_data(data, (&device, dtype)))
}

/// burn's `SgdState` holding velocity `v`.
fn with_velocity<const D: usize>(v: Tensor<D>) -> Option<SgdState<D>> {
    Some(SgdState::new(Some(MomentumState::new(v))))
}

fn missing(name: String) -> Error {
    Error::Data(format!("autodiff produced no gradient for {name}"))
}

/// The objective from the network's logits: the loss, plus `α·Σθ²` when `l2.alpha > 0`. Both
/// are burn operations on the tracked parameters, so `backward` differentiates the penalty
/// too; nothing here is hand-derived.
///
/// # Shapes
/// - `logits`, `targets`: `[batch, outputs]` → `[1]`
fn objective(
    model: &Mlp,
    kind: LossKind,
    reduction: Reduction,
    l2: Penalty,
    logits: Tensor<2>,
    targets: Tensor<2>,
) -> Tensor<1> {
    let loss = kind.loss(reduction, logits, targets);
    match model.l2_penalty(l2) {
        Some(penalty) => loss + penalty,
        None => loss,
    }
}

/// The objective `J` (with its L2 penalty `α·Σθ²`) and burn's autodiff gradients of it, for
/// one batch, at `model`'s current parameters: what the autodiff engine's `loss.backward()`
/// computes at every step.
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
    l2: Penalty,
) -> Result<(f64, Gradients)> {
    let tracked = model.clone().train();
    let logits = tracked.forward_logits(inputs);
    let loss = objective(&tracked, kind, reduction, l2, logits, targets); // [1]
    let grads = loss.backward();
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
