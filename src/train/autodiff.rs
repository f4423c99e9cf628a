//! The autodiff training engine: burn computes the gradients, burn's `Sgd` applies them.
//!
//! The loop is written out, one line per stage, as burn's examples write it:
//!
//! ```text
//! logits = model.forward_logits(X)            forward
//! loss   = L(logits, Y)                       objective
//! grads  = loss.backward()                    reverse-mode autodiff
//! grads  = GradientsParams::from_grads(…)     gradients keyed by parameter
//! model  = optim.step(lr, model, grads)       SGD (with momentum) update
//! ```
//!
//! Before each step the loss and accuracy at the current parameters are recorded; after the
//! last step a final pass over the whole training set gives the trained network's figures.

use std::time::Instant;

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor};

use super::history::{EpochRecord, History, StepRecord};
use super::metrics::{Evaluation, correct, evaluate, scalar};
use super::{Experiment, Observer};
use crate::config::ExperimentConfig;
use crate::error::{Error, Result};
use crate::loss::{LossKind, Reduction};
use crate::model::Mlp;
use crate::model::mlp::{Gradients, LayerParams};

/// A trained network and how it did.
#[derive(Debug)]
pub struct Trained {
    /// The network after the last step, on the plain (non-autodiff) device.
    pub model: Mlp,
    /// Loss and accuracy of that network over the whole training set.
    pub evaluation: Evaluation,
    /// Optimiser steps taken.
    pub steps: usize,
    /// Seconds spent training (data generation and initialisation excluded).
    pub wall_seconds: f64,
}

/// Trains `config` on `device` with burn's autodiff, appending every step to `history`.
///
/// The network lives on `device.autodiff()`; data stay on the plain device and enter the graph
/// as constants. A loss that is not finite stops training with [`Error::Diverged`]; `history`
/// then holds every step up to and including the bad one.
pub fn train(
    config: &ExperimentConfig,
    device: &Device,
    history: &mut History,
    observer: &mut dyn Observer,
) -> Result<Trained> {
    // Validates the config before drawing anything.
    let experiment = Experiment::new(config, &device.clone().autodiff())?;
    train_experiment(experiment, config, device, history, observer)
}

/// [`train`] from an experiment already set up on `device.autodiff()` (its data drawn or
/// read), so that a caller can fail on the data before it writes anything.
pub fn train_experiment(
    experiment: Experiment,
    config: &ExperimentConfig,
    device: &Device,
    history: &mut History,
    observer: &mut dyn Observer,
) -> Result<Trained> {
    let mut model = experiment.model;
    let (batches, test) = experiment.data.batches(config, device)?;
    let total = config.total_steps(batches.examples());
    let lr = config.optimizer.lr;
    let mut optim = config.optimizer.sgd().init();

    observer.started(total);
    let start = Instant::now();
    let mut step = 0;
    'epochs: for epoch in 0..config.epochs {
        let mut seen = EpochTally::default();
        for batch in batches.epoch() {
            if step == total {
                break 'epochs;
            }
            let batch = batch?;
            let logits = model.forward_logits(batch.inputs); // [batch, outputs]
            let loss = config
                .loss
                .loss(config.reduction, logits.clone(), batch.targets.clone()); // [1]
            let record = StepRecord {
                step,
                epoch,
                loss: scalar(loss.clone().inner())?,
                accuracy: batch_accuracy(config, logits.inner(), batch.targets)?,
                wall_seconds: start.elapsed().as_secs_f64(),
            };
            history.push(record);
            observer.step(&record);
            check_finite(record.loss, step, lr)?;
            seen.add(&record);

            let grads = loss.backward();
            let grads = GradientsParams::from_grads(grads, &model);
            model = optim.step(config.optimizer.lr_at(step, total), model, grads);
            step += 1;
        }
        if let Some(test) = &test {
            let evaluation = evaluate(
                &model.valid(),
                test.in_order(),
                config.loss,
                config.reduction,
            )?;
            let record = seen.record(epoch + 1, &evaluation, start.elapsed().as_secs_f64());
            history.epochs.push(record);
            observer.epoch(&record);
        }
    }

    let model = model.valid();
    let evaluation = evaluate(&model, batches.in_order(), config.loss, config.reduction)?;
    if batches.is_full() {
        // The notebooks record the loss after every update, the last one included. A full
        // batch takes one step per epoch, so `step` also counts the epochs completed.
        let record = StepRecord {
            step,
            epoch: step,
            loss: evaluation.loss,
            accuracy: evaluation.accuracy,
            wall_seconds: start.elapsed().as_secs_f64(),
        };
        history.push(record);
        observer.step(&record);
    }
    check_finite(evaluation.loss, step, lr)?;
    let wall_seconds = start.elapsed().as_secs_f64();
    observer.finished();
    Ok(Trained {
        model,
        evaluation,
        steps: step,
        wall_seconds,
    })
}

/// The running means of one epoch's step records.
#[derive(Default)]
struct EpochTally {
    steps: usize,
    loss: f64,
    accuracy: f64,
    classifies: bool,
}

impl EpochTally {
    fn add(&mut self, record: &StepRecord) {
        self.steps += 1;
        self.loss += record.loss;
        if let Some(accuracy) = record.accuracy {
            self.accuracy += accuracy;
            self.classifies = true;
        }
    }

    fn record(&self, epoch: usize, test: &Evaluation, wall_seconds: f64) -> EpochRecord {
        let steps = self.steps.max(1) as f64;
        EpochRecord {
            epoch,
            train_loss: self.loss / steps,
            train_accuracy: self.classifies.then(|| self.accuracy / steps),
            test_loss: test.loss,
            test_accuracy: test.accuracy,
            wall_seconds,
        }
    }
}

fn batch_accuracy(
    config: &ExperimentConfig,
    logits: Tensor<2>,
    targets: Tensor<2>,
) -> Result<Option<f64>> {
    correct(config.loss, logits, targets)
        .map(|(right, n)| Ok(scalar(right)? / n as f64))
        .transpose()
}

/// Stops a run whose loss is NaN or infinite.
pub fn check_finite(loss: f64, step: usize, lr: f64) -> Result<()> {
    if loss.is_finite() {
        return Ok(());
    }
    Err(Error::Diverged {
        step,
        value: if loss.is_nan() {
            "NaN".to_string()
        } else {
            loss.to_string()
        },
        lr,
    })
}

/// The objective `J` and burn's autodiff gradients of it, for one batch, at `model`'s current
/// parameters: what the autodiff engine's `loss.backward()` computes at every step.
///
/// The network is copied onto the autodiff device of its own backend (`Module::train`); the
/// inputs and targets enter as constants.
///
/// # Shapes
/// - `inputs`: `[m, n_0]`, `targets`: `[m, n_L]`; the gradients have the parameters' shapes
pub fn gradients(
    model: &Mlp,
    inputs: Tensor<2>,
    targets: Tensor<2>,
    kind: LossKind,
    reduction: Reduction,
) -> Result<(f64, Gradients)> {
    let tracked = model.clone().train();
    let loss = kind.loss(reduction, tracked.forward_logits(inputs), targets); // [1]
    let grads = loss.backward();
    let missing = |name: String| Error::Data(format!("autodiff produced no gradient for {name}"));
    let layers = tracked
        .layers
        .iter()
        .enumerate()
        .map(|(l, layer)| {
            let weight = layer
                .weight
                .val()
                .grad(&grads)
                .ok_or_else(|| missing(format!("W{}", l + 1)))?;
            let bias = layer
                .bias
                .as_ref()
                .map(|b| {
                    b.val()
                        .grad(&grads)
                        .ok_or_else(|| missing(format!("b{}", l + 1)))
                })
                .transpose()?;
            Ok(LayerParams { weight, bias })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((scalar(loss.inner())?, Gradients { layers }))
}
