//! Accuracy, and the evaluation of a network on a whole dataset.

use burn::tensor::Tensor;

use super::steppers::Measured;
use crate::config::ExperimentConfig;
use crate::data::Batch;
use crate::error::{Error, Result};
use crate::loss::{LossKind, Reduction};
use crate::model::Mlp;
use crate::tensor::host_values;

/// Correct predictions in a batch, and how many predictions were made.
///
/// - cross-entropy: an example is correct when `argmax ŷ` is its class;
/// - BCE: each output unit is correct when `ŷ > 0.5` (i.e. `z > 0`) agrees with its 0/1 target;
///   the hinge likewise (micrograd's `(yi > 0) == (scorei > 0)`).
///   The threshold is strict, as numpy's `round(0.5) = 0` makes it: notebook 003's bias-free
///   XOR net always outputs exactly 0.5 for input `[0, 0]`, which then counts as class 0.
///
/// Returns `None` for losses that do not classify.
///
/// # Shapes
/// - `logits`, `targets`: `[batch, outputs]`
pub fn correct(
    kind: LossKind,
    logits: Tensor<2>,
    targets: Tensor<2>,
) -> Option<(Tensor<1>, usize)> {
    let [batch, outputs] = logits.dims();
    let n = predictions(kind, batch, outputs)?;
    let correct = match kind {
        LossKind::CrossEntropy => logits.argmax(1).equal(targets.argmax(1)), // [batch, 1]
        _ => logits.greater_elem(0.0).equal(targets.greater_elem(0.5)),      // [batch, outputs]
    };
    Some((correct.float().sum(), n))
}

/// How many predictions [`correct`] counts in a batch of `batch` examples with `outputs`
/// outputs: one per example for cross-entropy, one per output unit for BCE, none for MSE.
pub fn predictions(kind: LossKind, batch: usize, outputs: usize) -> Option<usize> {
    match kind {
        LossKind::CrossEntropy => Some(batch),
        LossKind::Bce | LossKind::Hinge => Some(batch * outputs),
        LossKind::Mse => None,
    }
}

/// Whether a step records each output's cost: only a network with several independent
/// outputs (BCE or MSE; cross-entropy's softmax couples them) has them.
pub fn costs_per_output(kind: LossKind, outputs: usize) -> bool {
    outputs >= 2 && kind != LossKind::CrossEntropy
}

/// What a step records, from the batch's loss `J` (`[1]`), logits and targets, read back to the
/// host in one transfer: `J`, the number of correct predictions and, for several independent
/// outputs, each output's cost.
///
/// # Shapes
/// - `loss`: `[1]`; `logits`, `targets`: `[batch, outputs]`
pub fn measure(
    kind: LossKind,
    reduction: Reduction,
    loss: Tensor<1>,
    logits: Tensor<2>,
    targets: Tensor<2>,
) -> Result<Measured> {
    let dtype = loss.dtype();
    let mut parts = vec![loss];
    let counted = correct(kind, logits.clone(), targets.clone()).map(|(correct, n)| {
        parts.push(correct.cast(dtype));
        n
    });
    let costs = costs_per_output(kind, logits.dims()[1])
        .then(|| kind.per_output(reduction, logits, targets))
        .flatten();
    let outputs = costs.as_ref().map_or(0, |c| c.dims()[0]);
    parts.extend(costs);
    let values = host_values(Tensor::cat(parts, 0))?;
    let (loss, rest) = values
        .split_first()
        .ok_or_else(|| Error::Data("a step's loss came back empty".to_string()))?;
    let (accuracy, rest) = match counted {
        Some(n) => match rest.split_first() {
            Some((correct, rest)) => (Some(correct / n as f64), rest),
            None => return Err(Error::Data("a step's accuracy came back empty".to_string())),
        },
        None => (None, rest),
    };
    Ok(Measured {
        loss: *loss,
        accuracy,
        outputs: (outputs > 0).then(|| rest.to_vec()),
    })
}

/// Reads a one-element tensor as `f64`.
pub fn scalar(tensor: Tensor<1>) -> Result<f64> {
    host_values(tensor)?
        .first()
        .copied()
        .ok_or_else(|| Error::Data("a scalar tensor held no value".to_string()))
}

/// The loss and accuracy of a model over a whole dataset.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evaluation {
    /// The objective over all examples (summed or averaged as the reduction says).
    pub loss: f64,
    /// Fraction of correct predictions, where the loss classifies.
    pub accuracy: Option<f64>,
    /// Number of examples seen.
    pub examples: usize,
}

/// Evaluates `model` on every batch, combining the per-example losses exactly: their sum, or
/// their sum over the total number of examples for [`Reduction::Mean`]; plus the objective's
/// L2 penalty `config.l2·Σθ²` (over `config.l2_on`), which does not depend on the examples.
pub fn evaluate(
    model: &Mlp,
    batches: impl IntoIterator<Item = Result<Batch>>,
    config: &ExperimentConfig,
) -> Result<Evaluation> {
    let (kind, reduction) = (config.loss, config.reduction);
    let mut total = 0.0;
    let mut examples = 0;
    let mut correct_predictions = 0.0;
    let mut predictions = 0;
    for batch in batches {
        let batch = batch?;
        let logits = model.forward_logits(batch.inputs()); // [batch, outputs]
        examples += logits.dims()[0];
        if let Some((count, n)) = correct(kind, logits.clone(), batch.targets()) {
            correct_predictions += scalar(count)?;
            predictions += n;
        }
        total += scalar(kind.per_example(logits, batch.targets()).sum())?;
    }
    let penalty = model.l2_penalty(config.penalty()).map(scalar).transpose()?;
    let loss = total * reduction.scale(examples) + penalty.unwrap_or(0.0);
    let accuracy = (predictions > 0).then(|| correct_predictions / predictions as f64);
    Ok(Evaluation {
        loss,
        accuracy,
        examples,
    })
}
