//! The manual engine on a host kernel, fused ([`Kernel::Fused`]) or wide ([`Kernel::Wide`]):
//! the same gradients and the same update as
//! [`ManualTensorStepper`](super::ManualTensorStepper), computed in host memory.
//!
//! ```text
//! X, Y   = the batch's host values (Batch::host_inputs, Batch::host_targets)
//! J, ∇   = fused::step(θ, X, Y)         forward, loss, backward, sums in one pass
//!        | wide::step_with(θ, X, Y)     or layer by layer, as matrix products, X given by its
//!                                       nonzero entries where it is sparse (as the batcher
//!                                       gave them, or gathered on the loader's thread)
//! M, θ   = M ← mf·M − lr·∇, θ ← θ + M  NotebookMomentum::step_host, at the start of the
//!                                       next forward pass (settle)
//! ```
//!
//! The parameters stay on the host while the network trains; [`Stepper::model`] copies them
//! into an [`Mlp`] on the device whenever the loop evaluates or saves it.

use std::sync::Arc;

use burn::module::Module;
use burn::tensor::Device;

use super::{Measured, OptimizerState, Prepare, Stepper, no_forward};
use crate::config::{Engine, ExperimentConfig, Kernel};
use crate::data::Batch;
use crate::error::{Error, Result};
use crate::loss::Objective;
use crate::manual::fused::{self, Network};
use crate::manual::momentum::NotebookMomentum;
use crate::manual::real::Real;
use crate::manual::wide::{self, Inputs, SparseInput};
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
    momentum: NotebookMomentum,
    /// `M` for each of `network`'s parameter vectors.
    buffers: Vec<Vec<R>>,
    /// The gradients of the last forward pass, one per parameter vector.
    pending: Option<Vec<Vec<R>>>,
    /// The update of the last [`Stepper::step`], its gradients and learning rate, not yet
    /// applied: see [`ManualHostStepper::settle`].
    deferred: Option<(Vec<Vec<R>>, f64)>,
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
                l2: config.l2,
            },
            device: device.clone(),
            template: model.valid(),
            network: Network::from_mlp(model)?,
            momentum: NotebookMomentum::new(&config.optimizer),
            buffers: Vec::new(),
            pending: None,
            deferred: None,
        })
    }

    /// Applies the update that [`Stepper::step`] left for later, if any: `M ← mf·M − lr·∇`,
    /// `θ ← θ + M` ([`NotebookMomentum::step_host`]).
    ///
    /// The next [`Stepper::forward`] applies it on rayon's threads, in the same hand-off to
    /// the pool as its own step; applied in `step`, the update would be a second hand-off, and
    /// the calling thread would sleep and be woken twice a step instead of once (MNIST: 0.1125
    /// against 0.1201 s per epoch). Whatever reads the parameters or `M` settles first, so
    /// that no one sees the difference.
    fn settle(&mut self) {
        if let Some((grads, lr)) = self.deferred.take() {
            let (momentum, buffers) = (&mut self.momentum, &mut self.buffers);
            momentum.step_host(self.network.parameters_mut(), &grads, buffers, lr);
        }
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
            Kernel::Wide => Arc::new(|batch: &Batch| {
                sparse_input::<R>(batch);
            }),
            _ => Arc::new(|_: &Batch| {}),
        }
    }

    fn forward(&mut self, batch: &Batch) -> Result<Measured> {
        let other_precision = || {
            Error::Data(format!(
                "a batch of another precision than the network's {}",
                R::PRECISION.name()
            ))
        };
        let y = R::host_slice(batch.host_targets()).ok_or_else(other_precision)?;
        let dense = || R::host_slice(batch.host_inputs()).ok_or_else(other_precision);
        let rows = batch.len();
        let (examples, outputs) = (rows, self.network.sizes.last().copied().unwrap_or(0));
        let (objective, kernel) = (self.objective, self.kernel);
        let Objective {
            kind,
            reduction,
            l2,
        } = objective;
        // Only the wide kernel reads the nonzero entries: the fused one never derives them.
        let given = (kernel == Kernel::Wide)
            .then(|| sparse_input::<R>(batch))
            .flatten();
        let x = match given {
            Some(given) => Inputs::Sparse(given),
            None => Inputs::Dense(dense()?),
        };
        // The last step's update, then this step, in one hand-off to rayon's pool.
        let step = rayon::scope(|_| {
            self.settle();
            let network = &self.network;
            match x {
                Inputs::Dense(x) if kernel != Kernel::Wide => {
                    fused::step(network, kind, reduction, l2, x, y, examples)
                }
                _ => wide::step_with(network, &objective, (x, y, examples)),
            }
        })?;
        self.pending = Some(step.gradients);
        Ok(Measured {
            loss: step.loss,
            accuracy: predictions(kind, examples, outputs).map(|n| step.right as f64 / n as f64),
            outputs: costs_per_output(kind, outputs).then_some(step.outputs),
        })
    }

    fn step(&mut self, lr: f64) -> Result<()> {
        let grads = self.pending.take().ok_or_else(no_forward)?;
        self.deferred = Some((grads, lr));
        Ok(())
    }

    fn model(&mut self) -> Result<Mlp> {
        self.settle();
        Ok(self
            .template
            .with_params(self.network.params(R::PRECISION, &self.device)))
    }

    fn optimizer_state(&mut self) -> Result<OptimizerState> {
        self.settle();
        let momentum = if self.buffers.is_empty() {
            None
        } else {
            let shaped = self
                .network
                .shaped(&self.buffers, R::PRECISION, &self.device)
                .ok_or_else(|| mismatch("the network's"))?;
            Some(shaped)
        };
        Ok(OptimizerState {
            momentum,
            previous_lr: self.momentum.previous_lr(),
        })
    }

    fn restore(&mut self, state: OptimizerState) -> Result<()> {
        self.settle();
        self.buffers = match state.momentum {
            None => Vec::new(),
            Some(layers) => {
                let m = Network::<R>::from_mlp(&self.template.with_params(layers))?;
                if m.sizes != self.network.sizes {
                    return Err(mismatch("the checkpoint's"));
                }
                m.weights
                    .into_iter()
                    .zip(m.biases)
                    .flat_map(|(w, b)| std::iter::once(w).chain(b))
                    .collect()
            }
        };
        self.momentum.restore(None, state.previous_lr);
        Ok(())
    }
}

/// The nonzero entries of `batch`'s inputs as the wide kernel's first layer reads them, `None`
/// where they are dense: those the batcher gave, or those of its dense inputs, derived once
/// per batch ([`Batch::derived`]), on the loader's thread when it
/// [prepares](Stepper::prepare) the batch.
fn sparse_input<R: Real>(batch: &Batch) -> Option<&SparseInput<R>> {
    let [n_inputs, _] = batch.widths();
    batch
        .derived(|batch| match batch.sparse_inputs() {
            Some(given) => SparseInput::given(given),
            None => SparseInput::of(R::host_slice(batch.host_inputs())?, batch.len(), n_inputs),
        })
        .and_then(Option::as_ref)
}

/// The error of momentum matrices whose shapes are not the network's.
fn mismatch(whose: &str) -> Error {
    Error::Data(format!(
        "{whose} momentum matrices do not have the network's shapes"
    ))
}
