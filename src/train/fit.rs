//! The training loop, the same for both engines.
//!
//! ```text
//! for each epoch, for each batch:
//!     J, Z_L = forward(θ, batch)          record loss and accuracy at the current θ
//!     θ      = step(θ, lr_t)              the engine's gradients and update
//! after each epoch (MNIST): evaluate on the test split
//! after the last step: evaluate on the whole training set
//! ```

use std::time::Instant;

use burn::module::Module;
use burn::tensor::{Device, Tensor};

use super::autodiff::AutodiffStepper;
use super::engine::{Engine, Stepper};
use super::history::{EpochRecord, History, StepRecord};
use super::manual::ManualStepper;
use super::metrics::{Evaluation, correct, evaluate, scalar};
use super::{Experiment, Observer};
use crate::config::ExperimentConfig;
use crate::error::{Error, Result};
use crate::model::Mlp;
use crate::model::init::host_values;

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
    /// The engine that trained it.
    pub engine: Engine,
}

/// Trains `config` on `device` with `engine`, appending every step to `history`.
///
/// A loss that is not finite stops training with [`Error::Diverged`]; `history` then holds
/// every step up to and including the bad one.
pub fn train(
    config: &ExperimentConfig,
    engine: Engine,
    device: &Device,
    history: &mut History,
    observer: &mut dyn Observer,
) -> Result<Trained> {
    // Validates the config before drawing anything.
    engine.check(config)?;
    let experiment = Experiment::new(config, &device.clone().autodiff())?;
    train_experiment(experiment, config, engine, device, history, observer)
}

/// [`train`] from an experiment already set up on `device.autodiff()` (its data drawn or
/// read), so that a caller can fail on the data before it writes anything.
pub fn train_experiment(
    experiment: Experiment,
    config: &ExperimentConfig,
    engine: Engine,
    device: &Device,
    history: &mut History,
    observer: &mut dyn Observer,
) -> Result<Trained> {
    engine.check(config)?;
    match engine {
        Engine::Autodiff => fit(
            AutodiffStepper::new(config),
            experiment,
            config,
            device,
            history,
            observer,
        ),
        Engine::Manual => fit(
            ManualStepper::new(config),
            experiment,
            config,
            device,
            history,
            observer,
        ),
    }
}

/// The loop itself: data stay on the plain `device`; the network lives where `stepper` wants
/// it (the autodiff device for burn's autodiff, the plain one for the manual engine).
fn fit<S: Stepper>(
    mut stepper: S,
    experiment: Experiment,
    config: &ExperimentConfig,
    device: &Device,
    history: &mut History,
    observer: &mut dyn Observer,
) -> Result<Trained> {
    let mut model = stepper.prepare(experiment.model);
    let (batches, test) = experiment.data.batches(config, device)?;
    let total = config.total_steps(batches.examples());
    let lr = config.optimizer.lr;

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
            let (forward, pass) = stepper.forward(&model, &batch);
            if let Some(costs) = per_output(config, forward.logits.clone(), batch.targets.clone()) {
                history.outputs.push(host_values(costs)?);
            }
            let record = StepRecord {
                step,
                epoch,
                loss: scalar(forward.loss)?,
                accuracy: batch_accuracy(config, forward.logits, batch.targets)?,
                wall_seconds: start.elapsed().as_secs_f64(),
            };
            history.push(record);
            observer.step(&record);
            check_finite(record.loss, step, lr)?;
            seen.add(&record);
            model = stepper.step(model, pass, config.optimizer.lr_at(step, total));
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
        engine: S::ENGINE,
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

/// Each output's cost, for networks with several independent outputs (see
/// [`History::outputs`]).
fn per_output(
    config: &ExperimentConfig,
    logits: Tensor<2>,
    targets: Tensor<2>,
) -> Option<Tensor<1>> {
    if logits.dims()[1] < 2 {
        return None;
    }
    config.loss.per_output(config.reduction, logits, targets)
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
