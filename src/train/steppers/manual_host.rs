//! The manual engine on a host kernel, fused ([`Kernel::Fused`]) or wide ([`Kernel::Wide`]):
//! the same gradients and the same update as
//! [`ManualTensorStepper`](super::ManualTensorStepper), computed in host memory by the host
//! engine ([`crate::host`]).
//!
//! ```text
//! forward:  J, ∇ = host::step(kernel, θ, objective, batch)
//! step:     M, θ = M ← mf·M − lr·∇, θ ← θ + M       (HostMomentum::step)
//! ```
//!
//! The parameters stay on the host while the network trains; [`Stepper::model`] copies them
//! into an [`Mlp`] on the device whenever the loop evaluates or saves it.

use burn::module::Module;
use burn::tensor::Device;

use super::{Measured, OptimizerState, Prepare, Stepper, no_forward};
use crate::config::{Engine, ExperimentConfig, Kernel};
use crate::data::Batch;
use crate::error::{Error, Result};
use crate::host::{self, HostMomentum, Network, Real};
use crate::loss::Objective;
use crate::manual::momentum::NotebookMomentum;
use crate::model::Mlp;
use crate::train::metrics::{costs_per_output, predictions};

/// The manual engine's training step on a host kernel, in `R` (`f32` or `f64`).
pub struct ManualHostStepper<R> {
    /// [`Kernel::Fused`] or [`Kernel::Wide`].
    kernel: Kernel,
    objective: Objective,
    device: Device,
    /// The network's shape and activations; its parameter values are those it started with.
    template: Mlp,
    network: Network<R>,
    momentum: HostMomentum<R>,
    /// The gradients of the last forward pass, one per parameter vector, until the step
    /// that applies them.
    gradients: Option<Vec<Vec<R>>>,
}

impl<R: Real> ManualHostStepper<R> {
    /// The notebook's update with `config.optimizer`'s momentum factor, training a host copy
    /// of `model` on `kernel` (fused or wide); [`Stepper::model`] creates networks on `device`.
    pub fn new(
        config: &ExperimentConfig,
        kernel: Kernel,
        model: &Mlp,
        device: &Device,
    ) -> Result<Self> {
        if !matches!(kernel, Kernel::Fused | Kernel::Wide) {
            return Err(Error::InvalidConfig(format!(
                "the {kernel} kernel does not run on the host"
            )));
        }
        Ok(Self {
            kernel,
            objective: Objective {
                kind: config.loss,
                reduction: config.reduction,
                l2: config.penalty(),
            },
            device: device.clone(),
            template: model.valid(),
            network: Network::from_mlp(model)?,
            momentum: HostMomentum::new(NotebookMomentum::new(&config.optimizer)),
            gradients: None,
        })
    }
}

impl<R: Real> Stepper for ManualHostStepper<R> {
    fn engine(&self) -> Engine {
        Engine::Manual
    }

    fn kernel(&self) -> Kernel {
        self.kernel
    }

    fn prepare(&self) -> Prepare {
        match self.kernel {
            Kernel::Wide => Prepare::SparseColumns,
            _ => Prepare::Nothing,
        }
    }

    fn forward(&mut self, batch: &Batch) -> Result<Measured> {
        let step = host::step(self.kernel, &self.network, &self.objective, batch)?;
        let (kind, examples) = (self.objective.kind, batch.len());
        let outputs = self.network.sizes.last().copied().unwrap_or(0);
        self.gradients = Some(step.gradients);
        Ok(Measured {
            loss: step.loss,
            accuracy: predictions(kind, examples, outputs).map(|n| step.correct as f64 / n as f64),
            outputs: costs_per_output(kind, outputs).then_some(step.outputs),
        })
    }

    fn step(&mut self, lr: f64) -> Result<()> {
        let gradients = self.gradients.take().ok_or_else(no_forward)?;
        self.momentum.step(&mut self.network, &gradients, lr);
        Ok(())
    }

    fn model(&mut self) -> Result<Mlp> {
        Ok(self
            .template
            .with_params(self.network.params(R::PRECISION, &self.device)))
    }

    fn optimizer_state(&mut self) -> Result<OptimizerState> {
        let buffers = self.momentum.buffers();
        let momentum = if buffers.is_empty() {
            None
        } else {
            let shaped = self
                .network
                .shaped(buffers, R::PRECISION, &self.device)
                .ok_or_else(|| mismatch("the network's"))?;
            Some(shaped)
        };
        Ok(OptimizerState {
            momentum,
            previous_lr: self.momentum.previous_lr(),
        })
    }

    fn restore(&mut self, state: OptimizerState) -> Result<()> {
        let buffers = match state.momentum {
            None => Vec::new(),
            Some(layers) => {
                let mut m = Network::<R>::from_mlp(&self.template.with_params(layers))?;
                if m.sizes != self.network.sizes {
                    return Err(mismatch("the checkpoint's"));
                }
                m.parameters_mut().into_iter().map(std::mem::take).collect()
            }
        };
        self.momentum.restore(buffers, state.previous_lr);
        Ok(())
    }
}

/// The error of momentum matrices whose shapes are not the network's.
fn mismatch(whose: &str) -> Error {
    Error::Data(format!(
        "{whose} momentum matrices do not have the network's shapes"
    ))
}
