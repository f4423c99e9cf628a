//! An [`Mlp`]'s parameters in host memory, in the kernel's type.

use burn::tensor::{Device, Tensor};

use super::real::Real;
use crate::error::Result;
use crate::loss::OutputActivation;
use crate::model::Mlp;
use crate::model::activation::Activation;
use crate::model::mlp::LayerParams;
use crate::tensor::{Precision, host_tensor};

/// An [`Mlp`]'s parameters in host memory, row layout (`W_l`: `[n_{l−1}, n_l]`, row-major).
#[derive(Clone, Debug, PartialEq)]
pub struct Network<R> {
    /// `[n_0, n_1, …, n_L]`.
    pub sizes: Vec<usize>,
    /// `g_l` of the hidden layers.
    pub hidden: Vec<Activation>,
    /// `g_out`, fixed by the loss.
    pub output: OutputActivation,
    /// `W_l`, `n_{l−1}·n_l` values each.
    pub weights: Vec<Vec<R>>,
    /// `b_l`, `n_l` values each, where the network has biases.
    pub biases: Vec<Option<Vec<R>>>,
}

impl<R: Real> Network<R> {
    /// Copies `model`'s parameters to the host.
    pub fn from_mlp(model: &Mlp) -> Result<Self> {
        let mut weights = Vec::with_capacity(model.layers.len());
        let mut biases = Vec::with_capacity(model.layers.len());
        for layer in model.params() {
            weights.push(to_host(layer.weight)?);
            biases.push(layer.bias.map(to_host).transpose()?);
        }
        Ok(Self {
            sizes: model.sizes(),
            hidden: model.hidden_activations.clone(),
            output: model.output,
            weights,
            biases,
        })
    }

    /// The parameters as tensors on `device`, for [`Mlp::with_params`].
    pub fn params(&self, precision: Precision, device: &Device) -> Vec<LayerParams> {
        self.weights
            .iter()
            .zip(&self.biases)
            .zip(self.sizes.windows(2))
            .map(|((w, b), n)| LayerParams {
                weight: host_tensor(to_f64(w), [n[0], n[1]], precision, device),
                bias: b
                    .as_ref()
                    .map(|b| host_tensor(to_f64(b), [n[1]], precision, device)),
            })
            .collect()
    }

    /// Every parameter vector, layer by layer, the weight before the bias.
    pub fn parameters_mut(&mut self) -> Vec<&mut Vec<R>> {
        let mut all = Vec::with_capacity(2 * self.weights.len());
        for (w, b) in self.weights.iter_mut().zip(self.biases.iter_mut()) {
            all.push(w);
            all.extend(b.as_mut());
        }
        all
    }

    /// Vectors laid out as [`parameters_mut`](Self::parameters_mut) lists the parameters (one
    /// per weight and bias, such as the momentum `M` of each) as tensors of the parameters'
    /// shapes on `device`; `None` if their number or lengths do not match.
    pub fn shaped(
        &self,
        values: &[Vec<R>],
        precision: Precision,
        device: &Device,
    ) -> Option<Vec<LayerParams>> {
        let mut values = values.iter();
        let mut next = |len: usize| values.next().filter(|v| v.len() == len).map(|v| to_f64(v));
        let mut layers = Vec::with_capacity(self.weights.len());
        for (b, n) in self.biases.iter().zip(self.sizes.windows(2)) {
            let weight = host_tensor(next(n[0] * n[1])?, [n[0], n[1]], precision, device);
            let bias = match b {
                Some(_) => Some(host_tensor(next(n[1])?, [n[1]], precision, device)),
                None => None,
            };
            layers.push(LayerParams { weight, bias });
        }
        values.next().is_none().then_some(layers)
    }

    pub(in crate::host) fn depth(&self) -> usize {
        self.weights.len()
    }

    pub(in crate::host) fn outputs(&self) -> usize {
        self.sizes.last().copied().unwrap_or(0)
    }
}

/// A tensor's values on the host, in the kernel's type.
fn to_host<const D: usize, R: Real>(tensor: Tensor<D>) -> Result<Vec<R>> {
    R::host_values(tensor)
}

fn to_f64<R: Real>(values: &[R]) -> Vec<f64> {
    values.iter().map(|v| v.to_f64()).collect()
}
