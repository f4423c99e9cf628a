//! The loss to differentiate: a network, one batch and an objective, in f64, with its manual,
//! autodiff and perturbed evaluations.

use burn::tensor::{DType, Device, Tensor};
use serde::Serialize;

use super::numeric::sum;
use crate::config::ExperimentConfig;
use crate::error::{Error, Result};
use crate::loss::{LossKind, Penalty, Reduction, hinge_margin};
use crate::manual;
use crate::memory::{self, Work};
use crate::model::Mlp;
use crate::model::activation::Activation;
use crate::model::mlp::{Gradients, LayerParams};
use crate::tensor::{Precision, host_tensor, host_values};
use crate::train::{self, Experiment};

/// A loss to differentiate: a network, one batch, an objective; all in f64.
#[derive(Debug)]
pub struct Problem {
    /// The network at the parameters θ where the gradient is checked.
    pub model: Mlp,
    /// `[m, n_0]`.
    pub inputs: Tensor<2>,
    /// `[m, n_L]`.
    pub targets: Tensor<2>,
    /// The objective.
    pub loss: LossKind,
    /// Sum or mean over the examples.
    pub reduction: Reduction,
    /// The L2 penalty `α·Σθ²` of `J + α·Σθ²` and the parameters it covers (`α = 0`: none).
    pub l2: Penalty,
}

/// The objective at one point θ, in the pieces the finite differences need.
#[derive(Clone, Debug)]
pub(super) struct Evaluation {
    /// The per-example losses `ℓᵢ`.
    pub losses: Vec<f64>,
    /// `α·Σθ²`.
    pub penalty: f64,
    /// The side of every kink: each ReLU input `Z > 0` and, for the hinge, each margin
    /// `1 − ỹ·z > 0`.
    pub signs: Vec<bool>,
}

/// A parameter tensor or a gradient, copied to the host.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HostTensor {
    /// `W1`, `b1`, `W2`, … (layer numbers from 1, burn's layout).
    pub name: String,
    /// Its shape.
    pub shape: Vec<usize>,
    /// Its values, row-major.
    pub values: Vec<f64>,
}

/// Copies per-layer tensors (parameters or gradients) to the host, named `W1, b1, W2, …`.
pub fn host_tensors(layers: &[LayerParams]) -> Result<Vec<HostTensor>> {
    let mut out = Vec::new();
    for (i, layer) in layers.iter().enumerate() {
        out.push(HostTensor {
            name: format!("W{}", i + 1),
            shape: layer.weight.dims().to_vec(),
            values: host_values(layer.weight.clone())?,
        });
        if let Some(b) = &layer.bias {
            out.push(HostTensor {
                name: format!("b{}", i + 1),
                shape: b.dims().to_vec(),
                values: host_values(b.clone())?,
            });
        }
    }
    Ok(out)
}

impl Problem {
    /// The check of `config`'s network at its initial parameters, on the first `examples`
    /// training examples (default: the whole training set, or one minibatch if the preset
    /// trains on minibatches). Data and parameters are drawn in f64 from the run's seed.
    pub fn from_config(
        config: &ExperimentConfig,
        examples: Option<usize>,
        device: &Device,
    ) -> Result<Self> {
        let mut config = config.clone();
        config.dtype = Precision::F64;
        memory::ensure_fits(&config, Work::Gradcheck { examples }, device)?;
        let experiment = Experiment::new(&config, device)?;
        let take = examples
            .or(config.batch_size)
            .unwrap_or(experiment.data.len());
        if take == 0 {
            return Err(Error::InvalidConfig(
                "--examples must be at least 1".to_string(),
            ));
        }
        let batch = experiment.first_batch(&config, take, device);
        Ok(Self {
            model: experiment.model,
            inputs: batch.inputs(),
            targets: batch.targets(),
            loss: config.loss,
            reduction: config.reduction,
            l2: config.penalty(),
        })
    }

    /// Number of examples in the batch.
    pub fn examples(&self) -> usize {
        self.inputs.dims()[0]
    }

    /// Whether any hidden layer is a ReLU or the loss is the hinge (whose kinks the check must
    /// watch for).
    pub fn has_kinks(&self) -> bool {
        self.model.hidden_activations.contains(&Activation::Relu) || self.loss == LossKind::Hinge
    }

    pub(super) fn check_precision(&self) -> Result<()> {
        if self.inputs.dtype() != DType::F64 {
            return Err(Error::InvalidConfig(
                "the gradient check needs f64 tensors: finite differences in f32 lose half their digits".to_string(),
            ));
        }
        Ok(())
    }

    /// The network with its parameters replaced by `params` (host tensors, in order).
    pub(super) fn model_at(&self, params: &[HostTensor]) -> Mlp {
        let device = self.inputs.device();
        let tensor = |t: &HostTensor| t.values.clone();
        let mut next = params.iter();
        let layers = self
            .model
            .layers
            .iter()
            .map(|layer| {
                let [n_in, n_out] = layer.weight.dims();
                let weight = next.next().map(tensor).unwrap_or_default();
                let bias = layer.bias.as_ref().map(|_| {
                    let values = next.next().map(tensor).unwrap_or_default();
                    host_tensor(values, [n_out], Precision::F64, &device)
                });
                LayerParams {
                    weight: host_tensor(weight, [n_in, n_out], Precision::F64, &device),
                    bias,
                }
            })
            .collect();
        self.model.with_params(layers)
    }

    /// The per-example losses `ℓᵢ` at `params`, the penalty, and the side of every kink.
    pub(super) fn evaluate(&self, params: &[HostTensor]) -> Result<Evaluation> {
        let model = self.model_at(params);
        let mut z = model.pre_activations(self.inputs.clone());
        let mut signs = Vec::new();
        for (l, g) in model.hidden_activations.iter().enumerate() {
            if *g == Activation::Relu {
                signs.extend(host_values(z[l].clone())?.into_iter().map(|v| v > 0.0));
            }
        }
        let logits = z.pop().unwrap_or_else(|| self.inputs.clone());
        if self.loss == LossKind::Hinge {
            let margins = hinge_margin(logits.clone(), self.targets.clone());
            signs.extend(host_values(margins)?.into_iter().map(|v| v > 0.0));
        }
        let losses = host_values(self.loss.per_example(logits, self.targets.clone()))?;
        // Weights are the 2-d parameters, biases the 1-d ones.
        let squares = (params.iter())
            .filter(|t| t.shape.len() == 2 || self.l2.covers_biases())
            .flat_map(|t| t.values.iter().map(|v| v * v));
        Ok(Evaluation {
            losses,
            penalty: self.l2.alpha * sum(squares),
            signs,
        })
    }

    /// `(J(θ⁺) − J(θ⁻)) / 2ε` from the per-example losses at `θ⁺` and `θ⁻`.
    ///
    /// The losses are differenced example by example before they are summed: `J` itself can be
    /// large (notebook 000's summed loss is about 39000 over 50000 examples), and two such sums
    /// differ by less than their own rounding error when ε is small.
    pub(super) fn central_difference(&self, high: &Evaluation, low: &Evaluation, eps: f64) -> f64 {
        let s = self.reduction.scale(high.losses.len());
        let data = s * sum(high.losses.iter().zip(&low.losses).map(|(h, l)| h - l));
        (data + (high.penalty - low.penalty)) / (2.0 * eps)
    }

    /// `J` from per-example losses and the penalty.
    pub(super) fn objective(&self, at: &Evaluation) -> f64 {
        self.reduction.scale(at.losses.len()) * sum(at.losses.iter().copied()) + at.penalty
    }

    /// The parameters θ on the host.
    pub fn params(&self) -> Result<Vec<HostTensor>> {
        host_tensors(&self.model.params())
    }

    /// `J(θ)`.
    pub fn loss_value(&self) -> Result<f64> {
        Ok(self.objective(&self.evaluate(&self.params()?)?))
    }

    /// The manual module's gradients ([`manual::row`]).
    pub fn manual_gradients(&self) -> Gradients {
        let data = manual::row::gradients(
            &self.model,
            self.inputs.clone(),
            self.targets.clone(),
            self.loss,
            self.reduction,
        );
        manual::l2_gradients(data, &self.model, self.l2)
    }

    /// burn's autodiff gradients.
    pub fn autodiff_gradients(&self) -> Result<Gradients> {
        train::steppers::autodiff::gradients(
            &self.model,
            self.inputs.clone(),
            self.targets.clone(),
            self.loss,
            self.reduction,
            self.l2,
        )
        .map(|(_, grads)| grads)
    }
}
