//! Backpropagation with examples as rows: burn's layout, and that of notebooks 000, 001, 003.
//!
//! ```text
//! forward                                  shapes
//!   A_0 = X                                [m, n_0]
//!   Z_l = A_{l−1}·W_l + b_l                [m, n_l]      W_l: [n_{l−1}, n_l], b_l: [n_l]
//!   A_l = g_l(Z_l)        (hidden layers)  [m, n_l]
//!   Ŷ   = g_out(Z_L)      (softmax, sigmoid or identity, fixed by the loss)
//!
//! backward                                 J = s·Σᵢ ℓᵢ, s = 1 (sum) or 1/m (mean)
//!   dZ_L = Ŷ − Y                           [m, n_L]
//!   dW_l = s · A_{l−1}ᵀ·dZ_l               [n_{l−1}, n_l]
//!   db_l = s · Σᵢ dZ_l[i, :]               [n_l]
//!   dZ_{l−1} = (dZ_l·W_lᵀ) ⊙ g'_{l−1}(Z_{l−1})   [m, n_{l−1}]
//! ```
//!
//! Notebook 000 names the output delta `δ^o = Ŷ − Y` and writes `∂J/∂W^o = Hᵀ·δ^o`,
//! `∂J/∂b^o = Σᵢ δ^o_i`, `δ^h = δ^o·W^oᵀ ⊙ H ⊙ (1 − H)`; notebook 003 writes
//! `δ_2 = δ_3·W_3ᵀ ∗ ReLU'(Z_2)` and `∂J/∂W_2 = X_2ᵀ·δ_2`. These are the same equations for
//! one and two hidden layers.

use burn::tensor::Tensor;

use super::{Cache, Gradients, activation_backward, output_delta};
use crate::loss::{LossKind, Reduction};
use crate::model::Mlp;
use crate::model::mlp::LayerParams;

/// The forward pass, keeping every `Z_l` and `A_l`.
///
/// `Z_l = A_{l−1}·W_l + b_l`, `A_l = g_l(Z_l)`, `Ŷ = g_out(Z_L)` (notebook 000's
/// `hidden_layer`/`output_layer`, notebook 003's `Layer.forward`).
///
/// # Shapes
/// - `x`: `[m, n_0]`; every `Z_l`, `A_l`: `[m, n_l]`
pub fn forward(model: &Mlp, x: Tensor<2>) -> Cache {
    let layers = model.params();
    let depth = layers.len();
    let mut z = Vec::with_capacity(depth);
    let mut a = Vec::with_capacity(depth.saturating_sub(1));
    let mut input = x.clone();
    for (l, layer) in layers.into_iter().enumerate() {
        let mut z_l = input.matmul(layer.weight); // [m, n_l]
        if let Some(b) = layer.bias {
            z_l = z_l + b.unsqueeze::<2>(); // b_l broadcast over the rows
        }
        z.push(z_l.clone());
        input = match model.hidden_activations.get(l) {
            Some(g) => {
                let a_l = g.apply(z_l);
                a.push(a_l.clone());
                a_l
            }
            None => model.output.apply(z_l),
        };
    }
    Cache {
        inputs: x,
        z,
        a,
        output: input,
    }
}

/// The objective `J` at the cached forward pass (computed stably from `Z_L`, see
/// [`LossKind::loss`]).
///
/// # Shapes
/// - `targets`: `[m, n_L]` → `[1]`
pub fn loss(cache: &Cache, targets: Tensor<2>, kind: LossKind, reduction: Reduction) -> Tensor<1> {
    kind.loss(reduction, cache.logits(), targets)
}

/// Everything the backward pass computes: the deltas and the parameter gradients.
#[derive(Clone, Debug)]
pub struct Backward {
    /// `dZ_l = ∂ℓ/∂Z_l` for `l = 1..=L` (per example; the reduction's `s` is not in them).
    pub deltas: Vec<Tensor<2>>,
    /// `dW_l`, `db_l`: the gradients of `J`.
    pub gradients: Gradients,
}

/// The backward pass: every delta and parameter gradient by the chain rule.
///
/// ```text
/// dZ_L     = Ŷ − Y                           the output delta of CE, BCE and MSE
///            −ỹ ⊙ [1 − ỹ ⊙ Z_L > 0]           the hinge's (ỹ = 2Y − 1)
/// dW_l     = s · A_{l−1}ᵀ·dZ_l
/// db_l     = s · Σᵢ dZ_l[i, :]
/// dZ_{l−1} = (dZ_l·W_lᵀ) ⊙ g'_{l−1}(Z_{l−1})
/// ```
///
/// `dZ_L = Ŷ − Y` holds for softmax + cross-entropy, sigmoid + binary cross-entropy and
/// identity + squared error alike (see [`crate::loss`]); the hinge has its own
/// ([`output_delta`]); `s` is 1 for [`Reduction::Sum`] and
/// `1/m` for [`Reduction::Mean`].
///
/// # Shapes
/// - `targets`: `[m, n_L]`; `dZ_l`: `[m, n_l]`; `dW_l`: `[n_{l−1}, n_l]`; `db_l`: `[n_l]`
pub fn backward(
    model: &Mlp,
    cache: &Cache,
    targets: Tensor<2>,
    kind: LossKind,
    reduction: Reduction,
) -> Backward {
    let layers = model.params();
    let [m, _] = cache.inputs.dims();
    let s = reduction.scale(m);
    let mut deltas = Vec::with_capacity(layers.len());
    let mut grads = Vec::with_capacity(layers.len());
    let mut dz = output_delta(kind, cache, targets); // dZ_L, [m, n_L]
    for l in (0..layers.len()).rev() {
        let a_prev = cache.layer_input(l);
        let dw = a_prev.clone().transpose().matmul(dz.clone()).mul_scalar(s); // [n_{l−1}, n_l]
        let db = layers[l]
            .bias
            .as_ref()
            .map(|_| dz.clone().sum_dim(0).squeeze_dim::<1>(0).mul_scalar(s)); // [n_l]
        deltas.push(dz.clone());
        grads.push(LayerParams {
            weight: dw,
            bias: db,
        });
        if l > 0 {
            let d_a = dz.matmul(layers[l].weight.clone().transpose()); // [m, n_{l−1}]
            dz = activation_backward(
                model.hidden_activations[l - 1],
                d_a,
                &cache.z[l - 1],
                &cache.a[l - 1],
            );
        }
    }
    deltas.reverse();
    grads.reverse();
    Backward {
        deltas,
        gradients: Gradients { layers: grads },
    }
}

/// The gradients of `J` for one batch: [`forward`], then [`backward`].
///
/// # Shapes
/// - `x`: `[m, n_0]`, `targets`: `[m, n_L]`
pub fn gradients(
    model: &Mlp,
    x: Tensor<2>,
    targets: Tensor<2>,
    kind: LossKind,
    reduction: Reduction,
) -> Gradients {
    let cache = forward(model, x);
    backward(model, &cache, targets, kind, reduction).gradients
}
