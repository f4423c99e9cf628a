//! Backpropagation by hand: the derivations of the four notebooks, written out as tensor code.
//!
//! Nothing here uses autodiff. The forward pass keeps every pre-activation `Z_l` and activation
//! `A_l` (its [`Cache`]); the backward pass walks the layers from the output down and
//! applies the chain rule to get every delta `dZ_l = ∂ℓ/∂Z_l` and every parameter gradient. The
//! weights are read from the same [`Mlp`] the autodiff engine trains, so the
//! two engines always see identical parameters.
//!
//! Two notations, two readable implementations of the same algebra:
//!
//! - [`row`](mod@row): examples are rows, `Z_l = A_{l−1}·W_l + b_l` with `W_l` of shape `[n_{l−1}, n_l]`,
//!   burn's `Linear` layout and that of notebooks 000 (circles), 001 (logistic regression) and
//!   003 (XOR);
//! - [`column`](mod@column): examples are columns, `Z_l = W_l·A_{l−1} + b_l` with `W_l` of shape
//!   `[n_l, n_{l−1}]`, notebook 002's notation. Its `W_l` is the transpose of burn's.
//!
//! The same step, computed for speed rather than to be read (in one sweep over the examples,
//! or as multi-threaded matrix products in host memory), is the host engine's:
//! [`crate::host`], which the tests hold to this module's gradients.
//!
//! [`momentum`] is the other half of notebook 000's training loop: its update
//! `M ← mf·M − lr·∇, P ← P + M`, and why it equals burn's `Sgd` (the manual engine
//! of `train` uses both).
//!
//! # The convention for reductions
//!
//! The objective is `J = s · Σᵢ ℓᵢ` with `s = 1` for the summed loss (notebook 000) and
//! `s = 1/m` for the mean over `m` examples (notebooks 001, 002, 003). The deltas `dZ_l` are the
//! per-example derivatives `∂ℓᵢ/∂Z_l` (so `dZ_L = Ŷ − Y` for every loss), and the factor `s`
//! enters where the examples are summed, in `dW_l` and `db_l`, exactly as notebook 002 writes
//! `dW = (1/m)·dZ·Aᵀ`. The gradients are therefore those of `J` itself.

pub mod column;
pub mod momentum;
pub mod row;

use burn::tensor::Tensor;

use crate::loss::{LossKind, Penalty, hinge_margin, signed_targets};
use crate::model::Mlp;
use crate::model::activation::Activation;
pub use crate::model::mlp::Gradients;
use crate::model::mlp::LayerParams;

/// What the forward pass keeps for the backward pass, in either layout: examples are rows in
/// [`row`](mod@row) (`Z_l`: `[m, n_l]`) and columns in [`column`](mod@column) (`[n_l, m]`).
#[derive(Clone, Debug)]
pub struct Cache {
    /// `A_0 = X`.
    pub inputs: Tensor<2>,
    /// `Z_l` for `l = 1..=L`.
    pub z: Vec<Tensor<2>>,
    /// `A_l = g_l(Z_l)` for the hidden layers `l = 1..L` (one fewer than `z`).
    pub a: Vec<Tensor<2>>,
    /// `Ŷ = g_out(Z_L)`.
    pub output: Tensor<2>,
}

impl Cache {
    /// `A_l` for `l = 0..L` (`A_0 = X`): the input of layer `l + 1`.
    pub fn layer_input(&self, l: usize) -> &Tensor<2> {
        if l == 0 { &self.inputs } else { &self.a[l - 1] }
    }

    /// `Z_L`, the output layer's pre-activation, from which the losses are computed stably.
    pub fn logits(&self) -> Tensor<2> {
        self.z
            .last()
            .cloned()
            .unwrap_or_else(|| self.inputs.clone())
    }
}

/// Back through a hidden activation: `dZ = dA ⊙ g'(Z)`, element-wise, in either layout.
///
/// `g'` is written with whichever of `Z` or `A = g(Z)` makes it cheapest, as the notebooks do:
///
/// | `g` | `g'(Z)` | notebook |
/// |---|---|---|
/// | identity | `1` | |
/// | sigmoid | `A ⊙ (1 − A)` | 000 (`H * (1 - H)`), 002 (`A1 * (1 - A1)`) |
/// | relu | `1` where `Z > 0`, else `0` (0 at the kink `Z = 0`, as burn's autodiff) | 003 (`ReLU'(Z)`) |
/// | tanh | `1 − A²` | |
///
/// # Shapes
/// - `d_a`, `z`, `a`: the same shape → that shape
pub fn activation_backward(
    g: Activation,
    d_a: Tensor<2>,
    z: &Tensor<2>,
    a: &Tensor<2>,
) -> Tensor<2> {
    match g {
        Activation::Identity => d_a,
        Activation::Sigmoid => d_a * a.clone() * a.clone().neg().add_scalar(1.0),
        Activation::Relu => d_a.mask_fill(z.clone().lower_equal_elem(0.0), 0.0),
        Activation::Tanh => d_a * a.clone().square().neg().add_scalar(1.0),
    }
}

/// The output delta `dZ_L = ∂ℓᵢ/∂Z_L`, element-wise, in either layout.
///
/// For softmax + cross-entropy, sigmoid + BCE and identity + squared error it is `Ŷ − Y`
/// (see [`crate::loss`]). For the hinge `ℓ = Σₖ max(0, 1 − ỹₖ·zₖ)` with `ỹ = 2y − 1`:
///
/// ```text
/// ∂ℓ/∂zₖ = ∂/∂zₖ max(0, uₖ) with uₖ = 1 − ỹₖ·zₖ
///        = [uₖ > 0] · ∂uₖ/∂zₖ = −ỹₖ·[1 − ỹₖ·zₖ > 0]
/// ```
///
/// 0 where the margin is met (`ỹ·z ≥ 1`), `−ỹ` where it is violated; at the kink `ỹ·z = 1`
/// the one-sided derivatives are `−ỹ` and 0, and 0 is taken, as micrograd's
/// `relu` backward `(out > 0) * grad` and burn's do.
///
/// # Shapes
/// - `targets`: the shape of `Z_L` → that shape
pub fn output_delta(kind: LossKind, cache: &Cache, targets: Tensor<2>) -> Tensor<2> {
    match kind {
        LossKind::Hinge => {
            let met = hinge_margin(cache.logits(), targets.clone()).lower_equal_elem(0.0);
            signed_targets(targets).neg().mask_fill(met, 0.0)
        }
        LossKind::CrossEntropy | LossKind::Bce | LossKind::Mse => cache.output.clone() - targets,
    }
}

/// The gradients of `J + P(θ)` from those of `J`: the L2 penalty's derivation, in either
/// scope ([`L2Scope`](crate::loss::L2Scope)).
///
/// Over every weight and bias, as micrograd's `reg_loss`:
///
/// ```text
/// P(θ) = α · Σ_l (Σ W_l² + Σ b_l²)
/// ∂P/∂W_l = 2α·W_l,  ∂P/∂b_l = 2α·b_l
/// ```
///
/// so each gradient gains `2α·θ`. Over the weights only, as cs231n's case study
/// (`reg_loss = 0.5*reg*np.sum(W*W) + 0.5*reg*np.sum(W2*W2)`):
///
/// ```text
/// P(θ) = ½λ · Σ_l Σ W_l² = α · Σ_l Σ W_l²      with α = λ/2 (λ = 1e-3: α = 5e-4)
/// ∂P/∂W_l = 2α·W_l = λ·W_l                     the case study's `dW += reg * W`
/// ∂P/∂b_l = 0                                  no b_l appears in P
/// ```
///
/// so only the weight gradients gain `2α·W_l`. Either derivation holds unchanged in notebook
/// 002's column layout: its `W_l` is burn's `W_lᵀ`, and `Σ (W_lᵀ)² = Σ W_l²`, so its gradient
/// gains `2α·W_lᵀ` ([`column::l2_gradients`]). burn's weight decay with `λ = 2α` adds the same term to
/// every gradient, biases included, but leaves the reported loss without `P`.
pub fn l2_gradients(gradients: Gradients, model: &Mlp, penalty: Penalty) -> Gradients {
    if penalty.is_none() {
        return gradients;
    }
    let twice = 2.0 * penalty.alpha;
    let layers = gradients
        .layers
        .into_iter()
        .zip(model.params())
        .map(|(grad, param)| LayerParams {
            weight: grad.weight + param.weight.mul_scalar(twice),
            bias: match (grad.bias, param.bias) {
                (Some(g), Some(b)) if penalty.covers_biases() => Some(g + b.mul_scalar(twice)),
                (g, _) => g,
            },
        })
        .collect();
    Gradients { layers }
}
