//! The two training engines behind one interface, a [`Stepper`] each, and the manual engine on
//! each of its kernels:
//!
//! | stepper | engine, kernel | gradients | update |
//! |---|---|---|---|
//! | [`AutodiffStepper`] | autodiff | `loss.backward()` (burn's reverse-mode autodiff) | burn's `Sgd` with momentum |
//! | [`ManualTensorStepper`] | manual, tensor | [`manual::row`](crate::manual::row), the chain rule by hand, one burn operation per line | notebook 000's `M ← mf·M − lr·∇`, `P ← P + M` ([`NotebookMomentum`](crate::manual::momentum::NotebookMomentum)) |
//! | [`ManualHostStepper`] | manual, fused or wide | the same equations on the host ([`host::step`](crate::host::step)): in one sweep over the examples (fused), or layer by layer as multi-threaded matrix products (wide) | the same, in host memory ([`HostMomentum`](crate::host::HostMomentum)) |
//!
//! A [`Stepper`] is one engine's training step: [`Stepper::forward`] measures the loss at the
//! current parameters (what a step records), and [`Stepper::step`] turns what that forward
//! pass kept into an update. The training loop ([`fit`](super::fit)) and `burnprop compare`
//! drive every engine through it.

pub mod autodiff;
pub mod manual_host;
pub mod manual_tensor;

use crate::config::{Engine, Kernel};
use crate::data::Batch;
pub use crate::data::batcher::Prepare;
use crate::error::{Error, Result};
use crate::model::Mlp;
use crate::model::mlp::LayerParams;

pub use autodiff::AutodiffStepper;
pub use manual_host::ManualHostStepper;
pub use manual_tensor::ManualTensorStepper;

/// What a step records of the current parameters, read back to the host.
#[derive(Clone, Debug, PartialEq)]
pub struct Measured {
    /// The objective `J` on the batch.
    pub loss: f64,
    /// The fraction of correct predictions on the batch, where the loss classifies.
    pub accuracy: Option<f64>,
    /// Each output's cost `s·Σᵢ ℓᵢₖ`, for networks with several independent outputs (see
    /// [`History::outputs`](crate::train::History::outputs)).
    pub outputs: Option<Vec<f64>>,
}

/// One engine's training step, in two halves: [`Stepper::forward`] measures a batch at the
/// current parameters (what a step records) and keeps what the update needs, and
/// [`Stepper::step`] applies that update, there and then. The stepper owns the network while it trains.
pub trait Stepper {
    /// Which engine this is.
    fn engine(&self) -> Engine;

    /// Which kernel computes it (`tensor`, `fused` or `wide`, never `auto`).
    fn kernel(&self) -> Kernel;

    /// What of each batch a loader's thread makes ahead of [`Stepper::forward`]: by default
    /// the batch's tensors ([`Batch::inputs`], [`Batch::targets`]); the host kernels read
    /// [`Batch::host_inputs`] and [`Batch::host_targets`] instead.
    fn prepare(&self) -> Prepare {
        Prepare::Tensors
    }

    /// The loss, accuracy and per-output costs of `batch` at the current parameters.
    fn forward(&mut self, batch: &Batch) -> Result<Measured>;

    /// One optimiser step at learning rate `lr`, from the gradients of the last
    /// [`Stepper::forward`].
    fn step(&mut self, lr: f64) -> Result<()>;

    /// The network at the current parameters, on the plain (non-autodiff) device. The
    /// autodiff engine's keeps its parameter ids, which key burn's optimiser state.
    fn model(&mut self) -> Result<Mlp>;

    /// The optimiser's state after the last step, for a checkpoint.
    fn optimizer_state(&mut self) -> Result<OptimizerState>;

    /// Continues from a checkpoint: the optimiser state saved by
    /// [`optimizer_state`](Stepper::optimizer_state) of a stepper of the same kind, whose
    /// network this one was created with.
    fn restore(&mut self, state: OptimizerState) -> Result<()>;
}

/// Where an engine's optimiser stands between two steps: what a checkpoint keeps besides the
/// network, so that the run continues bit for bit.
#[derive(Clone, Debug)]
pub struct OptimizerState {
    /// The momentum of every layer's weight and bias, `None` before the first step (or
    /// without momentum): burn's velocity `v` for the autodiff engine, notebook 000's `M` for
    /// the manual engine.
    pub momentum: Option<Vec<LayerParams>>,
    /// The manual engine's learning rate of the last step (for its momentum correction under
    /// a schedule); burn's `Sgd` keeps none.
    pub previous_lr: Option<f64>,
}

/// The error of a [`Stepper::step`] without a [`Stepper::forward`] before it.
pub(crate) fn no_forward() -> Error {
    Error::Data("an optimiser step was asked for before any forward pass".to_string())
}
