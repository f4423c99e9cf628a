//! A training step's result, from the sums of either kernel: the loss, the accuracy and the
//! gradients, scaled by the reduction, with the L2 penalty.

use super::network::Network;
use super::real::Real;
use crate::error::{Error, Result};
use crate::loss::{LossKind, Penalty, Reduction};

/// One step's measurements and gradients: the sums of a batch, scaled by the reduction's `s`.
#[derive(Clone, Debug, PartialEq)]
pub struct Step<R> {
    /// `J = s·Σᵢ ℓᵢ`.
    pub loss: f64,
    /// `s·Σᵢ ℓᵢₖ` for each output (BCE and MSE; empty for cross-entropy).
    pub outputs: Vec<f64>,
    /// Correct predictions (examples for cross-entropy, output units for BCE).
    pub correct: usize,
    /// `dW_1, db_1, dW_2, …`: the gradients of `J`, in [`Network::parameters_mut`]'s order.
    pub gradients: Vec<Vec<R>>,
}

/// What one sweep adds up over a batch.
#[derive(Clone, Debug, PartialEq)]
pub(in crate::host) struct Sums<R> {
    /// `Σᵢ ℓᵢ`.
    pub(in crate::host) loss: f64,
    /// `Σᵢ ℓᵢₖ` for each output `k` (BCE and MSE; empty for cross-entropy).
    pub(in crate::host) outputs: Vec<f64>,
    /// Correct predictions (examples for cross-entropy, output units for BCE).
    pub(in crate::host) correct: usize,
    /// `Σᵢ A_{l−1}ᵀ·dZ_l`, one per layer, `W_l`'s shape.
    pub(in crate::host) weights: Vec<Vec<R>>,
    /// `Σᵢ dZ_l`, one per layer (empty vectors for a network without biases).
    pub(in crate::host) biases: Vec<Vec<R>>,
}

impl<R: Real> Sums<R> {
    pub(in crate::host) fn add(mut self, other: Sums<R>) -> Sums<R> {
        self.loss += other.loss;
        for (a, b) in self.outputs.iter_mut().zip(other.outputs) {
            *a += b;
        }
        self.correct += other.correct;
        for (a, b) in self.weights.iter_mut().zip(other.weights) {
            add_into(a, &b);
        }
        for (a, b) in self.biases.iter_mut().zip(other.biases) {
            add_into(a, &b);
        }
        self
    }
}

fn add_into<R: Real>(sum: &mut [R], more: &[R]) {
    for (a, &b) in sum.iter_mut().zip(more) {
        *a += b;
    }
}

/// Whether `inputs` values of the inputs and `y` hold `rows` examples for `network`, and
/// `kind`'s output activation is the network's (the host kernels compute `dZ_L = Ŷ − Y` from
/// the loss).
pub(in crate::host) fn check_batch<R: Real>(
    network: &Network<R>,
    kind: LossKind,
    inputs: usize,
    y: &[R],
    rows: usize,
) -> Result<()> {
    let (n_in, n_out) = (network.sizes[0], network.outputs());
    if kind.output_activation() != network.output {
        return Err(Error::InvalidConfig(format!(
            "the manual kernels compute Ŷ − Y for {}'s output activation, and this network's differs",
            kind.name()
        )));
    }
    if inputs != rows * n_in || y.len() != rows * n_out {
        return Err(Error::Data(format!(
            "the manual kernel got {} inputs and {} targets for {rows} examples of a {}-input, {}-output network",
            inputs,
            y.len(),
            n_in,
            n_out
        )));
    }
    Ok(())
}

/// A step from a batch's [`Sums`] over `rows` examples: the sums scaled by the reduction's `s`,
/// and the L2 penalty added.
pub(in crate::host) fn scale<R: Real>(
    network: &Network<R>,
    mut sums: Sums<R>,
    reduction: Reduction,
    l2: Penalty,
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
pub(in crate::host) fn finish<R: Real>(
    network: &Network<R>,
    sums: Sums<R>,
    s: f64,
    l2: Penalty,
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
    if !l2.is_none() {
        // The penalised parameters in the order of `gradients` (W1, b1, W2, …), each paired
        // with whether the penalty covers it: every weight, and the biases only in its `All`
        // scope (manual::l2_gradients derives both).
        let params = network
            .weights
            .iter()
            .zip(&network.biases)
            .flat_map(|(w, b)| std::iter::once((w, true)).chain(b.iter().map(|b| (b, false))));
        let twice = R::of(2.0 * l2.alpha);
        for (grad, (param, weight)) in gradients.iter_mut().zip(params) {
            if !weight && !l2.covers_biases() {
                continue;
            }
            for (g, &p) in grad.iter_mut().zip(param) {
                *g += twice * p;
                penalty += p.to_f64() * p.to_f64();
            }
        }
    }
    Step {
        loss: sums.loss * s + l2.alpha * penalty,
        outputs: sums.outputs.iter().map(|c| c * s).collect(),
        correct: sums.correct,
        gradients,
    }
}
