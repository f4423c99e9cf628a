//! `Mlp`: a stack of burn `Linear` layers, each followed by its activation.
//!
//! burn's `Linear` stores its weight as `[d_input, d_output]` and computes `Y = X·W + b` with
//! examples as rows, which is the notation of notebooks 000, 001 and 003. Notebook 002 writes
//! the same layer as `Z = W·A + b` with examples as columns and `W` of shape `[n_l, n_l−1]`: its
//! `W` is the transpose of burn's.

use std::fmt::Write as _;

use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::Tensor;

use crate::loss::{OutputActivation, Penalty};
use crate::model::activation::Activation;

/// A fully connected feedforward network.
#[derive(Module, Debug)]
pub struct Mlp {
    /// The layers, input side first; layer `l` maps `n_{l−1}` features to `n_l`.
    pub layers: Vec<Linear>,
    /// The activation after each hidden layer (one fewer than `layers`).
    #[module(skip)]
    pub hidden_activations: Vec<Activation>,
    /// The activation after the last layer, implied by the loss.
    #[module(skip)]
    pub output: OutputActivation,
}

/// One layer's parameters in burn's layout: `weight` is `[n_in, n_out]`, `bias` is `[n_out]`.
#[derive(Clone, Debug)]
pub struct LayerParams {
    /// `[n_in, n_out]`.
    pub weight: Tensor<2>,
    /// `[n_out]`, absent for a layer without bias.
    pub bias: Option<Tensor<1>>,
}

/// The parameter gradients of a network, one entry per layer, in burn's layout: `weight` is
/// `dW_l` of shape `[n_{l−1}, n_l]`, `bias` is `db_l` of shape `[n_l]` (absent without biases).
#[derive(Clone, Debug)]
pub struct Gradients {
    /// `dW_l`, `db_l` for each layer, input side first.
    pub layers: Vec<LayerParams>,
}

impl Mlp {
    /// Builds a network from explicit parameters, one [`LayerParams`] per layer.
    ///
    /// `hidden_activations` has one entry per layer but the last. The tensors become trainable
    /// parameters; create them on an autodiff device to train.
    pub fn from_params(
        params: Vec<LayerParams>,
        hidden_activations: Vec<Activation>,
        output: OutputActivation,
    ) -> Self {
        assert_eq!(
            hidden_activations.len() + 1,
            params.len(),
            "one hidden activation per layer but the last"
        );
        let layers = params
            .into_iter()
            .map(|p| Linear {
                weight: Param::from_tensor(p.weight),
                bias: p.bias.map(Param::from_tensor),
            })
            .collect();
        Self {
            layers,
            hidden_activations,
            output,
        }
    }

    /// A copy of the parameters as plain tensors (no autodiff), one [`LayerParams`] per layer.
    pub fn params(&self) -> Vec<LayerParams> {
        self.layers
            .iter()
            .map(|layer| LayerParams {
                weight: layer.weight.val().inner(),
                bias: layer.bias.as_ref().map(|b| b.val().inner()),
            })
            .collect()
    }

    /// The L2 penalty `α·Σθ²` over every weight and bias (micrograd's
    /// `alpha * sum(p*p for p in model.parameters())`), or over the weights only (cs231n's
    /// `0.5*reg*np.sum(W*W)`, with `α = reg/2`); `None` when `α = 0`. Built from the
    /// parameters as the network holds them, so on an autodiff device `backward` derives
    /// `2α·θ` through it.
    ///
    /// # Shapes
    /// - → `[1]`
    pub fn l2_penalty(&self, penalty: Penalty) -> Option<Tensor<1>> {
        if penalty.is_none() {
            return None;
        }
        let squares = self.layers.iter().flat_map(|layer| {
            let bias = (layer.bias.as_ref())
                .filter(|_| penalty.covers_biases())
                .map(|b| b.val().square().sum());
            std::iter::once(layer.weight.val().square().sum()).chain(bias)
        });
        squares
            .reduce(|total, part| total + part)
            .map(|total| total.mul_scalar(penalty.alpha))
    }

    /// A network with these activations and new parameters (of the same shapes).
    pub fn with_params(&self, params: Vec<LayerParams>) -> Self {
        Self::from_params(params, self.hidden_activations.clone(), self.output)
    }

    /// The layer widths, input first: `[n_0, n_1, …, n_L]`.
    pub fn sizes(&self) -> Vec<usize> {
        let mut sizes = Vec::with_capacity(self.layers.len() + 1);
        for (i, layer) in self.layers.iter().enumerate() {
            let [n_in, n_out] = layer.weight.shape().dims();
            if i == 0 {
                sizes.push(n_in);
            }
            sizes.push(n_out);
        }
        sizes
    }

    /// Whether the layers carry biases.
    pub fn has_bias(&self) -> bool {
        self.layers.iter().any(|layer| layer.bias.is_some())
    }

    /// The name of layer `l`'s activation (the output activation for the last layer).
    pub fn activation_name(&self, layer: usize) -> &'static str {
        self.hidden_activations
            .get(layer)
            .map_or(self.output.name(), |a| a.name())
    }

    /// The pre-activation of the output layer, `Z_L`; softmax or sigmoid are left to the loss.
    ///
    /// `A_0 = X`, then for each layer `Z_l = A_{l−1}·W_l + b_l` and `A_l = g_l(Z_l)` for the
    /// hidden layers.
    ///
    /// # Shapes
    /// - `x`: `[batch, n_0]` → `[batch, n_L]`
    pub fn forward_logits(&self, x: Tensor<2>) -> Tensor<2> {
        let mut activation = x;
        for (l, layer) in self.layers.iter().enumerate() {
            let z = layer.forward(activation); // [batch, n_l]
            activation = match self.hidden_activations.get(l) {
                Some(g) => g.apply(z),
                None => z,
            };
        }
        activation
    }

    /// Every pre-activation `Z_1, …, Z_L` of a forward pass (the last is the logits).
    ///
    /// # Shapes
    /// - `x`: `[batch, n_0]` → `Z_l`: `[batch, n_l]`
    pub fn pre_activations(&self, x: Tensor<2>) -> Vec<Tensor<2>> {
        let mut z = Vec::with_capacity(self.layers.len());
        let mut activation = x;
        for (l, layer) in self.layers.iter().enumerate() {
            let z_l = layer.forward(activation); // [batch, n_l]
            z.push(z_l.clone());
            activation = match self.hidden_activations.get(l) {
                Some(g) => g.apply(z_l),
                None => z_l,
            };
        }
        z
    }

    /// The network's prediction `Ŷ = g_L(Z_L)`: class probabilities, sigmoid outputs or raw
    /// values, as the loss defines them.
    ///
    /// # Shapes
    /// - `x`: `[batch, n_0]` → `[batch, n_L]`
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.output.apply(self.forward_logits(x))
    }

    /// The network printed like notebook 003's `print(model)`, one line per layer, then its
    /// parameter count.
    ///
    /// ```text
    /// 1) Fully connected layer: (2, 3) relu
    /// 2) Fully connected layer: (3, 1) sigmoid
    /// 9 parameters, no biases
    /// ```
    pub fn summary(&self) -> String {
        let sizes = self.sizes();
        let mut out = String::new();
        for (l, pair) in sizes.windows(2).enumerate() {
            // Writing to a String cannot fail.
            let _ = writeln!(
                out,
                "{}) Fully connected layer: ({}, {}) {}",
                l + 1,
                pair[0],
                pair[1],
                self.activation_name(l)
            );
        }
        let biases = if self.has_bias() {
            "with biases"
        } else {
            "no biases"
        };
        let _ = write!(out, "{} parameters, {biases}", self.num_params());
        out
    }
}
