//! The three objectives of the notebooks, computed from the output layer's pre-activations
//! (logits), with the output activation folded in for numerical stability.
//!
//! Every loss is a sum over examples `i` of a per-example loss `ℓᵢ`, itself summed over the
//! output units `k`; [`Reduction::Mean`] divides by the number of examples `m` (not by the
//! number of elements). With that convention each loss has the same output delta,
//! `∂ℓ/∂Z = Ŷ − Y` (divided by `m` for the mean), which is what every notebook uses:
//!
//! | loss | `ℓᵢ` | output `Ŷ` |
//! |---|---|---|
//! | cross-entropy (000) | `−Σₖ yᵢₖ log ŷᵢₖ` | `softmax(zᵢ)` |
//! | binary cross-entropy (001, 002, 003) | `−Σₖ [yᵢₖ log ŷᵢₖ + (1 − yᵢₖ) log(1 − ŷᵢₖ)]` | `σ(zᵢₖ)` |
//! | mean squared error | `½ Σₖ (ŷᵢₖ − yᵢₖ)²` | `zᵢₖ` |
//! | hinge (micrograd's SVM loss) | `Σₖ max(0, 1 − ỹᵢₖ·zᵢₖ)`, `ỹ = 2y − 1 ∈ {−1, +1}` | `zᵢₖ` |
//!
//! The hinge loss is the exception to `Ŷ − Y`: its output delta is
//! `∂ℓ/∂zᵢₖ = −ỹᵢₖ·[1 − ỹᵢₖ·zᵢₖ > 0]`, minus the signed target where the margin is violated
//! and 0 elsewhere. At the kink (margin exactly 1) the derivative is taken as 0, as
//! micrograd's `relu` takes it (`(out > 0) * out.grad`) and as burn's `relu` backward does.
//! Targets stay 0/1 like BCE's, so the same data feed both; the loss maps them to ±1.
//!
//! Notebook 002 prints `cost.mean()`, the average over its `n2` outputs as well; its six
//! backward equations differentiate the sum over outputs, which is what [`Reduction::Mean`]
//! computes here, so the notebook's printed cost is this loss divided by `n2`.

use burn::tensor::Tensor;
use burn::tensor::activation::{log_sigmoid, log_softmax, relu, sigmoid, softmax};
use clap::ValueEnum;
use serde::{Deserialize, Serialize};

/// Which objective to minimise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum LossKind {
    /// Softmax cross-entropy over classes (one-hot targets).
    CrossEntropy,
    /// Sigmoid binary cross-entropy, per output unit (0/1 targets).
    Bce,
    /// Squared error `½(ŷ − y)²` with an identity output.
    Mse,
    /// The hinge (SVM max-margin) loss `max(0, 1 − ỹ·z)` of micrograd's demo, with an identity
    /// output and 0/1 targets read as `ỹ = 2y − 1`.
    Hinge,
}

/// A whole objective: the loss, how it combines the examples, and the L2 penalty of
/// `J = s·Σᵢ ℓᵢ + α·Σθ²` (`α = 0`: none).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Objective {
    /// The per-example loss.
    pub kind: LossKind,
    /// Sum or mean over the examples.
    pub reduction: Reduction,
    /// The L2 penalty: `α` and the parameters `θ` it covers.
    pub l2: Penalty,
}

/// Which parameters an L2 penalty covers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum L2Scope {
    /// Every weight and bias: micrograd's `alpha * sum(p*p for p in model.parameters())`.
    #[default]
    All,
    /// The weights only, biases unpenalised: cs231n's case study,
    /// `0.5*reg*np.sum(W*W) + 0.5*reg*np.sum(W2*W2)`.
    Weights,
}

impl L2Scope {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            L2Scope::All => "all",
            L2Scope::Weights => "weights",
        }
    }
}

/// The L2 penalty `P(θ) = α·Σθ²` of an objective, over the parameters `on` names (the
/// derivation of its gradient is [`crate::manual::l2_gradients`]'s).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Penalty {
    /// The factor `α` (0: no penalty).
    pub alpha: f64,
    /// The parameters `θ` the sum runs over.
    pub on: L2Scope,
}

impl Penalty {
    /// No penalty.
    pub const NONE: Penalty = Penalty {
        alpha: 0.0,
        on: L2Scope::All,
    };

    /// `α·Σθ²` over every weight and bias.
    pub fn all(alpha: f64) -> Self {
        Self {
            alpha,
            on: L2Scope::All,
        }
    }

    /// Whether there is no penalty (`α = 0`).
    pub fn is_none(self) -> bool {
        self.alpha == 0.0
    }

    /// Whether the biases are penalised (as well as the weights).
    pub fn covers_biases(self) -> bool {
        self.on == L2Scope::All
    }
}

/// How per-example losses combine into the objective.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Reduction {
    /// `Σᵢ ℓᵢ` (notebook 000).
    Sum,
    /// `(1/m) Σᵢ ℓᵢ` (notebooks 001, 002, 003).
    Mean,
}

impl Reduction {
    /// The factor `s` of `J = s · Σᵢ ℓᵢ`: 1 for the sum, `1/m` for the mean over `m` examples.
    pub fn scale(self, examples: usize) -> f64 {
        match self {
            Reduction::Sum => 1.0,
            // usize → f64 is exact for any batch that fits in memory.
            Reduction::Mean => 1.0 / examples.max(1) as f64,
        }
    }
}

/// The activation of the output layer, implied by the loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputActivation {
    /// `ŷ = softmax(z)` across the outputs of an example.
    Softmax,
    /// `ŷ = σ(z)` per output.
    Sigmoid,
    /// `ŷ = z`.
    Identity,
}

impl OutputActivation {
    /// The name printed in network summaries.
    pub fn name(self) -> &'static str {
        match self {
            OutputActivation::Softmax => "softmax",
            OutputActivation::Sigmoid => "sigmoid",
            OutputActivation::Identity => "identity",
        }
    }

    /// Applies the activation to logits.
    ///
    /// # Shapes
    /// - `logits`: `[batch, outputs]` → `[batch, outputs]`
    pub fn apply(self, logits: Tensor<2>) -> Tensor<2> {
        match self {
            OutputActivation::Softmax => softmax(logits, 1),
            OutputActivation::Sigmoid => sigmoid(logits),
            OutputActivation::Identity => logits,
        }
    }
}

impl LossKind {
    /// The output activation this loss is paired with.
    pub fn output_activation(self) -> OutputActivation {
        match self {
            LossKind::CrossEntropy => OutputActivation::Softmax,
            LossKind::Bce => OutputActivation::Sigmoid,
            LossKind::Mse | LossKind::Hinge => OutputActivation::Identity,
        }
    }

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            LossKind::CrossEntropy => "cross-entropy",
            LossKind::Bce => "bce",
            LossKind::Mse => "mse",
            LossKind::Hinge => "hinge",
        }
    }

    /// Whether classification accuracy means anything for this loss.
    pub fn has_accuracy(self) -> bool {
        !matches!(self, LossKind::Mse)
    }

    /// The per-example losses `ℓᵢ`, computed stably from logits.
    ///
    /// - cross-entropy: `−Σₖ yₖ · log_softmax(z)ₖ` (log-sum-exp, never `log(0)`);
    /// - BCE: `−Σₖ [yₖ log σ(zₖ) + (1 − yₖ) log σ(−zₖ)]`, using `1 − σ(z) = σ(−z)`;
    /// - MSE: `½ Σₖ (zₖ − yₖ)²`;
    /// - hinge: `Σₖ relu(1 − (2yₖ − 1)·zₖ)`.
    ///
    /// # Shapes
    /// - `logits`, `targets`: `[batch, outputs]` → `[batch, 1]`
    pub fn per_example(self, logits: Tensor<2>, targets: Tensor<2>) -> Tensor<2> {
        self.finish(self.terms(logits, targets).sum_dim(1))
    }

    /// The summands of the losses before their sign or factor: `yₖ·log_softmax(z)ₖ` (CE),
    /// `y log σ(z) + (1 − y) log σ(−z)` (BCE), `(z − y)²` (MSE), `relu(1 − ỹ·z)` (hinge),
    /// element by element.
    fn terms(self, logits: Tensor<2>, targets: Tensor<2>) -> Tensor<2> {
        match self {
            LossKind::CrossEntropy => log_softmax(logits, 1) * targets,
            LossKind::Bce => {
                let positive = log_sigmoid(logits.clone()) * targets.clone();
                let negative = log_sigmoid(logits.neg()) * targets.neg().add_scalar(1.0);
                positive + negative
            }
            LossKind::Mse => (logits - targets).square(),
            LossKind::Hinge => relu(hinge_margin(logits, targets)),
        }
    }

    /// The sign or factor that turns summed [`terms`](LossKind::terms) into losses: `−1` for
    /// the log losses, `½` for MSE, nothing for the hinge.
    fn finish<const D: usize>(self, sums: Tensor<D>) -> Tensor<D> {
        match self {
            LossKind::CrossEntropy | LossKind::Bce => sums.neg(),
            LossKind::Mse => sums.mul_scalar(0.5),
            LossKind::Hinge => sums,
        }
    }

    /// The objective of each output unit on its own, `s · Σᵢ ℓᵢₖ`: notebook 002's `cost`
    /// vector, `(1/m)·Σᵢ BCE(ŷᵢₖ, yᵢₖ)` per output `k`, whose sum is [`LossKind::loss`].
    /// Only the independent outputs of BCE, MSE and the hinge have one (`None` for cross-entropy, whose
    /// softmax couples the outputs).
    ///
    /// # Shapes
    /// - `logits`, `targets`: `[batch, outputs]` → `[outputs]`
    pub fn per_output(
        self,
        reduction: Reduction,
        logits: Tensor<2>,
        targets: Tensor<2>,
    ) -> Option<Tensor<1>> {
        if self == LossKind::CrossEntropy {
            return None;
        }
        let [batch, _] = logits.dims();
        let sums = self.terms(logits, targets).sum_dim(0).squeeze_dim::<1>(0); // [outputs]
        Some(self.finish(sums).mul_scalar(reduction.scale(batch)))
    }

    /// The objective: per-example losses summed, or averaged over the `batch` examples.
    ///
    /// # Shapes
    /// - `logits`, `targets`: `[batch, outputs]` → `[1]`
    pub fn loss(self, reduction: Reduction, logits: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
        let [batch, _] = logits.dims();
        // Σᵢ ℓᵢ in one reduction over every element: the sign or ½ is applied to the sum, not
        // to each example (fewer whole-batch operations to run and to differentiate).
        let total = self.finish(self.terms(logits, targets).sum());
        match reduction {
            Reduction::Sum => total,
            // Multiply by 1/m rather than divide by m: burn-autodiff 0.22.1 differentiates
            // `div_scalar` through an f32 reciprocal, which would put a 2.5e-8 relative error
            // into every f64 gradient for m = 10000; `mul_scalar` keeps the scalar exact.
            Reduction::Mean => total.mul_scalar(reduction.scale(batch)),
        }
    }
}

/// The signed targets `ỹ = 2y − 1` of 0/1 targets `y`: micrograd's `y = y*2 - 1`.
///
/// # Shapes
/// - `targets`: any → the same
pub fn signed_targets<const D: usize>(targets: Tensor<D>) -> Tensor<D> {
    targets.mul_scalar(2.0).sub_scalar(1.0)
}

/// The hinge's margin term `1 − ỹ·z` (the loss is its positive part).
///
/// # Shapes
/// - `logits`, `targets`: `[batch, outputs]` → `[batch, outputs]`
pub fn hinge_margin(logits: Tensor<2>, targets: Tensor<2>) -> Tensor<2> {
    (signed_targets(targets) * logits).neg().add_scalar(1.0)
}
