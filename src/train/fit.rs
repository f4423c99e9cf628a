//! The training loop, the same for both engines.
//!
//! ```text
//! for each epoch, for each batch:
//!     J      = forward(θ, batch)          record loss and accuracy at the current θ
//!     θ      = step(θ, lr_t)              the engine's gradients and update
//! after each epoch (MNIST): evaluate on the test split
//! after the last step: evaluate on the whole training set
//! ```

use std::time::Instant;

use burn::tensor::Device;

use super::history::{EpochRecord, History, StepRecord};
use super::metrics::{Evaluation, evaluate};
use super::steppers::{AutodiffStepper, ManualFusedStepper, ManualTensorStepper, Stepper};
use super::{Batches, Experiment, Observer};
use crate::config::{Engine, ExperimentConfig, Kernel};
use crate::error::{Error, Result};
use crate::model::Mlp;
use crate::tensor::Precision;

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
    /// The kernel that computed it.
    pub kernel: Kernel,
}

/// Trains `config` on `device` with `engine`, appending every step to `history`.
///
/// A loss that is not finite stops training with [`Error::Diverged`]; `history` then holds
/// every step up to and including the bad one.
pub fn train_config(
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

/// [`train_config`] from an experiment already set up on `device.autodiff()` (its data drawn or
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
    let stepper = stepper(config, engine, experiment.model, device)?;
    let (batches, test) = experiment.data.batches(config, device)?;
    fit_loop(stepper, &batches, test.as_ref(), config, history, observer)
}

/// The stepper that trains `model` (drawn on `device.autodiff()`) with `engine`, on the kernel
/// `config.kernel` resolves to; networks it hands back live on the plain `device`. It does
/// not [`check`](Engine::check) that the engine suits `config` (`compare` runs the manual
/// engine with dampening on purpose).
pub fn stepper(
    config: &ExperimentConfig,
    engine: Engine,
    model: Mlp,
    device: &Device,
) -> Result<Box<dyn Stepper>> {
    Ok(
        match (
            engine,
            config.kernel.resolve(engine, &model.sizes(), device),
        ) {
            (Engine::Autodiff, _) => Box::new(AutodiffStepper::new(config, model)),
            (Engine::Manual, Kernel::Fused) => match config.dtype {
                Precision::F32 => Box::new(ManualFusedStepper::<f32>::new(config, &model, device)?),
                Precision::F64 => Box::new(ManualFusedStepper::<f64>::new(config, &model, device)?),
            },
            (Engine::Manual, _) => Box::new(ManualTensorStepper::new(config, model)),
        },
    )
}

/// The loop itself: data stay on the plain device; the network lives in `stepper`.
fn fit_loop(
    mut stepper: Box<dyn Stepper>,
    batches: &Batches,
    test: Option<&Batches>,
    config: &ExperimentConfig,
    history: &mut History,
    observer: &mut dyn Observer,
) -> Result<Trained> {
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
            let measured = stepper.forward(&batch?)?;
            if let Some(costs) = measured.outputs {
                history.outputs.push(costs);
            }
            let record = StepRecord {
                step,
                epoch,
                loss: measured.loss,
                accuracy: measured.accuracy,
                wall_seconds: start.elapsed().as_secs_f64(),
            };
            history.push(record);
            observer.step(&record);
            check_finite(record.loss, step, lr)?;
            seen.add(&record);
            stepper.step(config.optimizer.lr_at(step, total))?;
            step += 1;
        }
        if let Some(test) = test {
            let evaluation = evaluate(
                &stepper.model()?,
                test.in_order(),
                config.loss,
                config.reduction,
            )?;
            let record = seen.record(epoch + 1, &evaluation, start.elapsed().as_secs_f64());
            history.epochs.push(record);
            observer.epoch(&record);
        }
    }

    let model = stepper.model()?;
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
        engine: stepper.engine(),
        kernel: stepper.kernel(),
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
