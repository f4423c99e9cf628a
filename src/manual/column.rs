//! Backpropagation with examples as columns: notebook 002's notation.
//!
//! Notebook 002 stacks the `m` examples side by side, `X` of shape `[n_0, m]`, and gives layer
//! `l` a weight matrix `W^[l]` of shape `[n_l, n_{l−1}]` and a bias column `b^[l]` of shape
//! `[n_l, 1]`. burn's `Linear` stores the transpose, `[n_{l−1}, n_l]`, so
//! `W^[l] = (burn weight)ᵀ`; the bias is the same vector standing up.
//!
//! ```text
//! forward                                  shapes
//!   A^[0] = X                              [n_0, m]
//!   Z^[l] = W^[l]·A^[l−1] + b^[l]          [n_l, m]
//!   A^[l] = g(Z^[l])                       [n_l, m]   (the last one is Ŷ)
//!
//! backward (notebook 002's six equations, for any depth)
//!   dZ^[L]   = Ŷ − Y                                  [n_L, m]
//!   dW^[l]   = (1/m)·dZ^[l]·A^[l−1]ᵀ                  [n_l, n_{l−1}]
//!   db^[l]   = (1/m)·Σᵢ dZ^[l][:, i]                  [n_l, 1]
//!   dZ^[l−1] = W^[l]ᵀ·dZ^[l] ⊙ g'(Z^[l−1])            [n_{l−1}, m]
//! ```
//!
//! With the summed loss the `1/m` becomes 1. The notebook's sigmoid hidden layer gives
//! `g'(Z^[1]) = A^[1] ⊙ (1 − A^[1])`. These equations differentiate the cost summed over the
//! `n_2` outputs, each averaged over the examples; the notebook prints `cost.mean()`, whose
//! gradient is `1/n_2` of them.

use burn::tensor::Tensor;
use burn::tensor::activation::{sigmoid, softmax};

use super::{Cache, Gradients, activation_backward, output_delta};
use crate::loss::{LossKind, OutputActivation, Penalty, Reduction};
use crate::model::Mlp;
use crate::model::activation::Activation;
use crate::model::mlp::LayerParams;

/// One layer in notebook 002's orientation.
#[derive(Clone, Debug)]
pub struct ColumnLayer {
    /// `W^[l]`, `[n_l, n_{l−1}]`: the transpose of burn's weight.
    pub weight: Tensor<2>,
    /// `b^[l]`, `[n_l, 1]`.
    pub bias: Option<Tensor<2>>,
}

/// A network's parameters in notebook 002's orientation, read from an [`Mlp`].
#[derive(Clone, Debug)]
pub struct ColumnNetwork {
    /// The layers, input side first.
    pub layers: Vec<ColumnLayer>,
    /// The hidden activations (one fewer than `layers`).
    pub hidden_activations: Vec<Activation>,
    /// The output activation.
    pub output: OutputActivation,
}

impl ColumnNetwork {
    /// Reads `model`'s parameters (plain tensors, no autodiff) and turns them to columns:
    /// `W^[l] = Wᵀ`, `b^[l] = b` as an `[n_l, 1]` column.
    pub fn from_mlp(model: &Mlp) -> Self {
        let layers = model
            .layers
            .iter()
            .map(|layer| ColumnLayer {
                weight: layer.weight.val().inner().transpose(), // [n_l, n_{l−1}]
                bias: layer
                    .bias
                    .as_ref()
                    .map(|b| b.val().inner().unsqueeze_dim::<2>(1)), // [n_l, 1]
            })
            .collect();
        Self {
            layers,
            hidden_activations: model.hidden_activations.clone(),
            output: model.output,
        }
    }
}

/// The output activation down the columns: softmax normalises each example's column.
fn output_activation(output: OutputActivation, z: Tensor<2>) -> Tensor<2> {
    match output {
        OutputActivation::Softmax => softmax(z, 0),
        OutputActivation::Sigmoid => sigmoid(z),
        OutputActivation::Identity => z,
    }
}

/// Notebook 002's `forward_propagation`, for any depth:
/// `Z^[l] = W^[l]·A^[l−1] + b^[l]`, `A^[l] = g(Z^[l])`.
///
/// # Shapes
/// - `x`: `[n_0, m]`; every `Z^[l]`, `A^[l]`: `[n_l, m]`
pub fn forward(network: &ColumnNetwork, x: Tensor<2>) -> Cache {
    let mut z = Vec::with_capacity(network.layers.len());
    let mut a = Vec::with_capacity(network.hidden_activations.len());
    let mut input = x.clone();
    for (l, layer) in network.layers.iter().enumerate() {
        let mut z_l = layer.weight.clone().matmul(input); // [n_l, m]
        if let Some(b) = &layer.bias {
            z_l = z_l + b.clone(); // b^[l] broadcast across the columns
        }
        z.push(z_l.clone());
        input = match network.hidden_activations.get(l) {
            Some(g) => {
                let a_l = g.apply(z_l);
                a.push(a_l.clone());
                a_l
            }
            None => output_activation(network.output, z_l),
        };
    }
    Cache {
        inputs: x,
        z,
        a,
        output: input,
    }
}

/// The objective `J` at the cached forward pass.
///
/// # Shapes
/// - `targets`: `[n_L, m]` → `[1]`
pub fn loss(cache: &Cache, targets: Tensor<2>, kind: LossKind, reduction: Reduction) -> Tensor<1> {
    // The losses are written for rows; a transpose turns columns into rows.
    kind.loss(reduction, cache.logits().transpose(), targets.transpose())
}

/// The gradients in notebook 002's orientation.
#[derive(Clone, Debug)]
pub struct ColumnBackward {
    /// `dZ^[l]` for `l = 1..=L`, each `[n_l, m]`.
    pub deltas: Vec<Tensor<2>>,
    /// `dW^[l]`, `[n_l, n_{l−1}]`, and `db^[l]`, `[n_l, 1]`.
    pub gradients: Vec<ColumnLayer>,
}

impl ColumnBackward {
    /// The same gradients in burn's layout: `dW = (dW^[l])ᵀ`, `db` flattened.
    pub fn to_row(&self) -> Gradients {
        let layers = self
            .gradients
            .iter()
            .map(|g| LayerParams {
                weight: g.weight.clone().transpose(),
                bias: g.bias.clone().map(|b| b.squeeze_dim::<1>(1)),
            })
            .collect();
        Gradients { layers }
    }
}

/// Notebook 002's `backward_propagation`, for any depth and reduction:
///
/// ```text
/// dZ^[L]   = Ŷ − Y                          (the hinge: −ỹ ⊙ [1 − ỹ ⊙ Z^[L] > 0])
/// dW^[l]   = s · dZ^[l]·A^[l−1]ᵀ           s = 1/m (mean) or 1 (sum)
/// db^[l]   = s · dZ^[l].sum(dim=1, keepdim=True)
/// dZ^[l−1] = W^[l]ᵀ·dZ^[l] ⊙ g'(Z^[l−1])
/// ```
///
/// # Shapes
/// - `targets`: `[n_L, m]`; `dZ^[l]`: `[n_l, m]`; `dW^[l]`: `[n_l, n_{l−1}]`; `db^[l]`: `[n_l, 1]`
pub fn backward(
    network: &ColumnNetwork,
    cache: &Cache,
    targets: Tensor<2>,
    kind: LossKind,
    reduction: Reduction,
) -> ColumnBackward {
    let [_, m] = cache.inputs.dims();
    let s = reduction.scale(m);
    let depth = network.layers.len();
    let mut deltas = Vec::with_capacity(depth);
    let mut grads = Vec::with_capacity(depth);
    let mut dz = output_delta(kind, cache, targets); // dZ^[L], [n_L, m]
    for l in (0..depth).rev() {
        let layer = &network.layers[l];
        let a_prev = cache.layer_input(l);
        let dw = dz.clone().matmul(a_prev.clone().transpose()).mul_scalar(s); // [n_l, n_{l−1}]
        let db = layer
            .bias
            .as_ref()
            .map(|_| dz.clone().sum_dim(1).mul_scalar(s)); // [n_l, 1]
        deltas.push(dz.clone());
        grads.push(ColumnLayer {
            weight: dw,
            bias: db,
        });
        if l > 0 {
            let d_a = layer.weight.clone().transpose().matmul(dz); // [n_{l−1}, m]
            dz = activation_backward(
                network.hidden_activations[l - 1],
                d_a,
                &cache.z[l - 1],
                &cache.a[l - 1],
            );
        }
    }
    deltas.reverse();
    grads.reverse();
    ColumnBackward {
        deltas,
        gradients: grads,
    }
}

/// The L2 penalty's gradients in notebook 002's orientation, added to `backward`'s: the
/// derivation of [`super::l2_gradients`] with `W^[l] = Wᵀ` and `b^[l]` a column.
///
/// ```text
/// P = α · Σ_l (Σ (W^[l])² + Σ (b^[l])²)   every parameter ([`L2Scope::All`](crate::loss::L2Scope::All))
/// P = α · Σ_l Σ (W^[l])²                  the weights only ([`L2Scope::Weights`](crate::loss::L2Scope::Weights), cs231n)
/// dW^[l] += 2α·W^[l]                      [n_l, n_{l−1}], in either scope
/// db^[l] += 2α·b^[l]                      [n_l, 1], only when P covers the biases
/// ```
///
/// A sum of squares does not see a transpose, so `P` is the same number in both layouts, and
/// the column gradients are the transposes of the row ones.
pub fn l2_gradients(
    gradients: Vec<ColumnLayer>,
    network: &ColumnNetwork,
    penalty: Penalty,
) -> Vec<ColumnLayer> {
    let twice = 2.0 * penalty.alpha;
    gradients
        .into_iter()
        .zip(&network.layers)
        .map(|(g, layer)| ColumnLayer {
            weight: g.weight + layer.weight.clone().mul_scalar(twice),
            bias: match (g.bias, layer.bias.clone()) {
                (Some(g), Some(b)) if penalty.covers_biases() => Some(g + b.mul_scalar(twice)),
                (g, _) => g,
            },
        })
        .collect()
}
