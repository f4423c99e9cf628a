//! A training step from a sweep: the loss, the accuracy and the gradients, scaled by the
//! reduction.

use burn::tensor::Tensor;

use super::network::{Network, to_host};
use super::sweep::{Sums, sweep};
use crate::error::Result;
use crate::loss::{LossKind, Reduction};
use crate::manual::real::Real;
use crate::model::Mlp;
use crate::model::mlp::Gradients;

/// One step's measurements and gradients: a [`sweep`] scaled by the reduction's `s`.
#[derive(Clone, Debug, PartialEq)]
pub struct Step<R> {
    /// `J = s·Σᵢ ℓᵢ`.
    pub loss: f64,
    /// `s·Σᵢ ℓᵢₖ` for each output (BCE and MSE; empty for cross-entropy).
    pub outputs: Vec<f64>,
    /// Correct predictions (examples for cross-entropy, output units for BCE).
    pub right: usize,
    /// `dW_1, db_1, dW_2, …`: the gradients of `J`, in [`Network::parameters_mut`]'s order.
    pub gradients: Vec<Vec<R>>,
}

/// `J` and its gradients on `rows` examples: `dW_l = s·ΣA_{l−1}ᵀ·dZ_l`, `db_l = s·ΣdZ_l`,
/// plus, with an L2 penalty `α > 0`, `α·Σθ²` in `J` and `2α·θ` in every gradient (see
/// [`manual::l2_gradients`](crate::manual::l2_gradients) for the derivation).
pub fn step<R: Real>(
    network: &Network<R>,
    kind: LossKind,
    reduction: Reduction,
    l2: f64,
    x: &[R],
    y: &[R],
    rows: usize,
) -> Result<Step<R>> {
    let sums = sweep(network, kind, x, y, rows)?;
    Ok(scale(network, sums, reduction, l2, rows))
}

/// A step from a batch's [`Sums`] over `rows` examples: the sums scaled by the reduction's `s`,
/// and the L2 penalty added.
pub(in crate::manual) fn scale<R: Real>(
    network: &Network<R>,
    mut sums: Sums<R>,
    reduction: Reduction,
    l2: f64,
    rows: usize,
) -> Step<R> {
    let s = reduction.scale(rows);
    for v in sums.weights.iter_mut().chain(&mut sums.biases).flatten() {
        *v = *v * R::of(s);
    }
    finish(network, sums, s, l2)
}

/// A step from [`Sums`] whose gradients are already scaled by `s`: the loss and the per-output
/// costs scaled too, and the L2 penalty added.
pub(in crate::manual) fn finish<R: Real>(
    network: &Network<R>,
    sums: Sums<R>,
    s: f64,
    l2: f64,
) -> Step<R> {
    let mut gradients = Vec::with_capacity(2 * sums.weights.len());
    for ((w, b), bias) in sums
        .weights
        .into_iter()
        .zip(sums.biases)
        .zip(&network.biases)
    {
        gradients.push(w);
        if bias.is_some() {
            gradients.push(b);
        }
    }
    let mut penalty = 0.0;
    if l2 != 0.0 {
        let params = network
            .weights
            .iter()
            .zip(&network.biases)
            .flat_map(|(w, b)| std::iter::once(w).chain(b));
        let twice = R::of(2.0 * l2);
        for (grad, param) in gradients.iter_mut().zip(params) {
            for (g, &p) in grad.iter_mut().zip(param) {
                *g += twice * p;
                penalty += p.to_f64() * p.to_f64();
            }
        }
    }
    Step {
        loss: sums.loss * s + l2 * penalty,
        outputs: sums.outputs.iter().map(|c| c * s).collect(),
        right: sums.right,
        gradients,
    }
}

/// `J` and the gradients of `J` for one batch by the fused kernel, as tensors on `x`'s device:
/// what [`row::gradients`](crate::manual::row::gradients) and the autodiff engine compute.
///
/// # Shapes
/// - `x`: `[m, n_0]`, `targets`: `[m, n_L]`; the gradients have the parameters' shapes
pub fn gradients<R: Real>(
    model: &Mlp,
    x: Tensor<2>,
    targets: Tensor<2>,
    kind: LossKind,
    reduction: Reduction,
    l2: f64,
) -> Result<(f64, Gradients)> {
    on_host::<R>(model, x, targets, |network, x, y, rows| {
        step(network, kind, reduction, l2, x, y, rows)
    })
}

/// `J` and the gradients of `J` that `kernel` computes for one batch on the host, as tensors
/// on `x`'s device.
pub(in crate::manual) fn on_host<R: Real>(
    model: &Mlp,
    x: Tensor<2>,
    targets: Tensor<2>,
    kernel: impl FnOnce(&Network<R>, &[R], &[R], usize) -> Result<Step<R>>,
) -> Result<(f64, Gradients)> {
    let device = x.device();
    let rows = x.dims()[0];
    let mut network = Network::<R>::from_mlp(model)?;
    let step = kernel(&network, &to_host(x)?, &to_host(targets)?, rows)?;
    for (param, grad) in network.parameters_mut().into_iter().zip(step.gradients) {
        *param = grad;
    }
    let layers = network.params(R::PRECISION, &device);
    Ok((step.loss, Gradients { layers }))
}
