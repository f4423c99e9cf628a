//! The part of a step that depends on the loss: a batch's loss and accuracy, added up block
//! by block, and the output layer's `dZ_L` of each block, for both host kernels.

use super::lanes::{LANES, Lanes, add_lanes, argmax_lanes, exp_lanes, ln_lanes};
use super::real::{Real, max};
use crate::loss::LossKind;

/// A batch's loss and accuracy, added up block by block, and the output layer's `dZ_L` of each
/// block: the part of a step that depends on the loss. Both CPU kernels use it, the fused
/// one on its lanes and the [wide](super::wide) one on its output rows.
pub(in crate::host) struct Outputs<R> {
    /// `e^(zₖ − m)` of the softmax.
    e: Vec<Lanes<R>>,
    /// `Σ ℓ` and `Σ ℓₖ` per lane, in f64.
    loss: [f64; LANES],
    outputs: Vec<[f64; LANES]>,
    correct: usize,
}

impl<R: Real> Outputs<R> {
    /// Zero sums for `kind` on `n_out` outputs.
    pub(in crate::host) fn new(kind: LossKind, n_out: usize) -> Self {
        let per_output = kind != LossKind::CrossEntropy;
        Self {
            e: vec![[R::ZERO; LANES]; n_out],
            loss: [0.0; LANES],
            outputs: vec![[0.0; LANES]; if per_output { n_out } else { 0 }],
            correct: 0,
        }
    }

    /// The loss and accuracy of a block of examples, and `dZ_L = Ŷ − Y` in place of `Z_L`
    /// (zero in the padding lanes past `valid`).
    #[inline(always)]
    pub(in crate::host) fn block(
        &mut self,
        kind: LossKind,
        z: &mut [Lanes<R>],
        y: &[Lanes<R>],
        valid: usize,
    ) {
        let mut loss = [R::ZERO; LANES];
        match kind {
            LossKind::CrossEntropy => {
                // ℓ = Σₖ yₖ·((m − zₖ) + ln Σⱼ e^(zⱼ − m)), m = maxₖ zₖ, which is
                // lse − zₖ; ŷₖ = e^(zₖ − m) / Σⱼ e^(zⱼ − m), the softmax. The order matters
                // in f32: for an example the network is sure of, m − z_y is exactly 0 and the
                // small logarithm keeps its digits, where lse = m + ln Σ would round it to the
                // grid of the logit m (and with it the loss of a memorised batch, 1e-4 to 1e-3).
                let mut m = z[0];
                for zk in &z[1..] {
                    for t in 0..LANES {
                        m[t] = max(m[t], zk[t]);
                    }
                }
                let mut sum = [R::ZERO; LANES];
                for (e, zk) in self.e.iter_mut().zip(z.iter()) {
                    *e = exp_lanes(std::array::from_fn(|t| zk[t] - m[t]));
                    for t in 0..LANES {
                        sum[t] += e[t];
                    }
                }
                let ln_sum = ln_lanes(sum);
                let (predicted, labelled) = (argmax_lanes(z), argmax_lanes(y));
                self.correct += (0..valid).filter(|&t| predicted[t] == labelled[t]).count();
                for ((zk, yk), e) in z.iter_mut().zip(y).zip(&self.e) {
                    for t in 0..LANES {
                        loss[t] += yk[t] * ((m[t] - zk[t]) + ln_sum[t]);
                        zk[t] = e[t] / sum[t] - yk[t];
                    }
                }
            }
            LossKind::Bce => {
                // ℓₖ = max(zₖ, 0) − yₖ·zₖ + ln(1 + e^(−|zₖ|)), the stable form of
                // −[y·ln σ(z) + (1 − y)·ln σ(−z)]; ŷₖ = σ(zₖ) from the same e^(−|zₖ|)
                for ((zk, yk), cost) in z.iter_mut().zip(y).zip(&mut self.outputs) {
                    for t in 0..valid {
                        self.correct += usize::from((zk[t] > R::ZERO) == (yk[t] > R::of(0.5)));
                    }
                    let mut terms = [R::ZERO; LANES];
                    for t in 0..LANES {
                        let e = (-zk[t].abs()).exp();
                        terms[t] = max(zk[t], R::ZERO) - yk[t] * zk[t] + e.ln_1p();
                        let yhat = if zk[t] >= R::ZERO {
                            R::ONE / (R::ONE + e)
                        } else {
                            e / (R::ONE + e)
                        };
                        loss[t] += terms[t];
                        zk[t] = yhat - yk[t];
                    }
                    add_lanes(cost, &terms, valid);
                }
            }
            LossKind::Hinge => {
                // ℓₖ = max(0, uₖ), uₖ = 1 − ỹₖ·zₖ, ỹ = 2y − 1; dZ = −ỹ where uₖ > 0, else 0
                for ((zk, yk), cost) in z.iter_mut().zip(y).zip(&mut self.outputs) {
                    for t in 0..valid {
                        self.correct += usize::from((zk[t] > R::ZERO) == (yk[t] > R::of(0.5)));
                    }
                    let mut terms = [R::ZERO; LANES];
                    for t in 0..LANES {
                        let signed = R::of(2.0) * yk[t] - R::ONE;
                        let margin = R::ONE - signed * zk[t];
                        let violated = margin > R::ZERO;
                        terms[t] = if violated { margin } else { R::ZERO };
                        loss[t] += terms[t];
                        zk[t] = if violated { -signed } else { R::ZERO };
                    }
                    add_lanes(cost, &terms, valid);
                }
            }
            LossKind::Mse => {
                // ℓₖ = ½·(zₖ − yₖ)²; ŷ = z
                for ((zk, yk), cost) in z.iter_mut().zip(y).zip(&mut self.outputs) {
                    let mut terms = [R::ZERO; LANES];
                    for t in 0..LANES {
                        let d = zk[t] - yk[t];
                        terms[t] = R::of(0.5) * d * d;
                        loss[t] += terms[t];
                        zk[t] = d;
                    }
                    add_lanes(cost, &terms, valid);
                }
            }
        }
        add_lanes(&mut self.loss, &loss, valid);
        for zk in z.iter_mut() {
            for lane in &mut zk[valid..] {
                *lane = R::ZERO;
            }
        }
    }

    /// `Σᵢ ℓᵢ`, `Σᵢ ℓᵢₖ` per output and the correct predictions, lanes added in order.
    pub(in crate::host) fn finish(&self) -> (f64, Vec<f64>, usize) {
        (
            self.loss.iter().sum(),
            self.outputs.iter().map(|l| l.iter().sum()).collect(),
            self.correct,
        )
    }
}
