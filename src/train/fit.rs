//! The training loop, the same for both engines.
//!
//! ```text
//! for each epoch, for each batch:
//!     J      = forward(θ, batch)          record loss and accuracy at the current θ
//!     θ      = step(θ, lr_t)              the engine's gradients and update
//!     a stop was asked for (Ctrl-C)?      checkpoint and stop
//!     a checkpoint is due?                checkpoint
//! after each epoch (MNIST): evaluate on the test split, checkpoint
//! after the last step: evaluate on the whole training set
//! ```
//!
//! A resumed run enters the same loop at its checkpoint's [`Position`]: the epochs before it
//! replay only their shuffles, the steps of its epoch already taken are skipped, and the
//! epoch's running means are summed again from the history, in the same order.

use std::time::{Duration, Instant};

use burn::tensor::Device;

use super::checkpoint::{Checkpoint, Position};
use super::history::{EpochRecord, History, StepRecord};
use super::metrics::{Evaluation, evaluate};
use super::steppers::{AutodiffStepper, ManualHostStepper, ManualTensorStepper, Stepper};
use super::{Batches, Experiment, Observer};
use crate::artifacts::RunDir;
use crate::config::{Engine, ExperimentConfig, Kernel};
use crate::device::Backend;
use crate::error::{Error, Result};
use crate::interrupt::Signal;
use crate::model::Mlp;
use crate::tensor::Precision;

/// A trained network and how it did.
#[derive(Debug)]
pub struct Trained {
    /// The network after the last step, on the plain (non-autodiff) device.
    pub model: Mlp,
    /// Loss and accuracy of that network over the whole training set.
    pub evaluation: Evaluation,
    /// Optimiser steps taken (by this run and, when it was resumed, before it).
    pub steps: usize,
    /// Seconds spent training (data generation and initialisation excluded), resumed runs
    /// included.
    pub wall_seconds: f64,
    /// The engine that trained it.
    pub engine: Engine,
    /// The kernel that computed it.
    pub kernel: Kernel,
    /// Whether it ran to its end or a signal stopped it.
    pub stopped_by: Option<Signal>,
}

/// When a run writes a checkpoint, besides when it is interrupted and at each epoch end of a
/// minibatch run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CheckpointPolicy {
    /// Every this many steps.
    pub every_steps: Option<usize>,
    /// Whenever this much time has passed since the last checkpoint (checked after each step).
    pub every: Option<Duration>,
}

impl Default for CheckpointPolicy {
    /// Every 60 seconds of training: at most a minute of work lost to a crash or `kill -9`,
    /// for a file write a minute (a circles history of 50000 rows is 2 MB).
    fn default() -> Self {
        Self {
            every_steps: None,
            every: Some(Duration::from_secs(60)),
        }
    }
}

/// How a run saves itself and learns that it should stop.
pub struct Controls<'a> {
    /// Where checkpoints go, and when; `None`: the run keeps none.
    pub checkpoints: Option<(&'a RunDir, Backend, CheckpointPolicy)>,
    /// Asked after every step: a signal that arrived stops the run there.
    pub stop: &'a dyn Fn() -> Option<Signal>,
}

impl Controls<'_> {
    /// No checkpoints, no stopping: a run that only ends at its last step (or diverges).
    pub fn none() -> Controls<'static> {
        Controls {
            checkpoints: None,
            stop: &|| None,
        }
    }
}

/// Where a loop begins: at step 0, or where a checkpoint left a run.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Start {
    /// The position.
    pub position: Position,
    /// Seconds trained before it.
    pub wall_seconds: f64,
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
    fit(
        stepper,
        (&batches, test.as_ref()),
        config,
        history,
        observer,
        Start::default(),
        &mut Controls::none(),
    )
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
            (Engine::Manual, kernel @ (Kernel::Fused | Kernel::Wide)) => match config.dtype {
                Precision::F32 => Box::new(ManualHostStepper::<f32>::new(
                    config, kernel, &model, device,
                )?),
                Precision::F64 => Box::new(ManualHostStepper::<f64>::new(
                    config, kernel, &model, device,
                )?),
            },
            (Engine::Manual, _) => Box::new(ManualTensorStepper::new(config, model)),
        },
    )
}

/// The loop itself, from `start` (with `history` holding the steps before it): data stay on
/// the plain device; the network lives in `stepper`.
pub fn fit(
    mut stepper: Box<dyn Stepper>,
    (batches, test): (&Batches, Option<&Batches>),
    config: &ExperimentConfig,
    history: &mut History,
    observer: &mut dyn Observer,
    start: Start,
    controls: &mut Controls<'_>,
) -> Result<Trained> {
    let total = config.total_steps(batches.examples());
    let per_epoch = config.steps_per_epoch(batches.examples());
    let lr = config.optimizer.lr;
    let mut saver = Saver {
        total,
        offset: start.wall_seconds,
        clock: Instant::now(),
        last: Instant::now(),
    };

    observer.started(start.position.step, total);
    batches.replay_shuffles(start.position.epoch);
    let mut step = start.position.step;
    let mut stopped_by = None;
    'epochs: for epoch in start.position.epoch..config.epochs {
        let skip = if epoch == start.position.epoch {
            start.position.epoch_steps
        } else {
            0
        };
        let mut seen = EpochTally::default();
        for record in history.records.iter().filter(|r| r.epoch == epoch) {
            seen.add(record);
        }
        for (taken, batch) in (skip + 1..).zip(batches.epoch(stepper.prepare()).skip(skip)) {
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
                wall_seconds: saver.elapsed(),
            };
            history.push(record);
            observer.step(&record);
            if observer.wants_snapshot() {
                observer.snapshot(stepper.model()?);
            }
            check_finite(record.loss, step, lr)?;
            seen.add(&record);
            stepper.step(config.optimizer.lr_at(step, total))?;
            step += 1;
            // After the epoch's last step, a run without a test split stands at the next
            // epoch; one with a test split has that epoch's evaluation still to do.
            let position = if taken == per_epoch && test.is_none() {
                Position {
                    step,
                    epoch: epoch + 1,
                    epoch_steps: 0,
                }
            } else {
                Position {
                    step,
                    epoch,
                    epoch_steps: taken,
                }
            };
            if step < total {
                stopped_by = (controls.stop)();
                let due = stopped_by.is_some() || saver.due(step, controls);
                if due {
                    saver.save(stepper.as_mut(), config, position, history, controls)?;
                }
                if stopped_by.is_some() {
                    break 'epochs;
                }
            }
        }
        if let Some(test) = test {
            let evaluation = evaluate(&stepper.model()?, test.in_order(), config)?;
            let record = seen.record(epoch + 1, &evaluation, saver.elapsed());
            history.epochs.push(record);
            observer.epoch(&record);
        }
        if step < total && !batches.is_full() {
            // Every epoch end of a minibatch run: a checkpoint, and a place to stop.
            let position = Position {
                step,
                epoch: epoch + 1,
                epoch_steps: 0,
            };
            saver.save(stepper.as_mut(), config, position, history, controls)?;
            stopped_by = (controls.stop)();
            if stopped_by.is_some() {
                break;
            }
        }
    }

    let model = stepper.model()?;
    let evaluation = evaluate(&model, batches.in_order(), config)?;
    if batches.is_full() && stopped_by.is_none() {
        // The notebooks record the loss after every update, the last one included. A full
        // batch takes one step per epoch, so `step` also counts the epochs completed.
        let record = StepRecord {
            step,
            epoch: step,
            loss: evaluation.loss,
            accuracy: evaluation.accuracy,
            wall_seconds: saver.elapsed(),
        };
        history.push(record);
        observer.step(&record);
        if observer.wants_snapshot() {
            observer.snapshot(model.clone());
        }
    }
    check_finite(evaluation.loss, step, lr)?;
    let wall_seconds = saver.elapsed();
    observer.finished();
    Ok(Trained {
        model,
        evaluation,
        steps: step,
        wall_seconds,
        engine: stepper.engine(),
        kernel: stepper.kernel(),
        stopped_by,
    })
}

/// The loop's clock, and its checkpoints.
struct Saver {
    total: usize,
    /// Seconds trained before this loop began.
    offset: f64,
    clock: Instant,
    /// When the last checkpoint was written (or the loop began).
    last: Instant,
}

impl Saver {
    /// Seconds trained, earlier runs of a resumed one included.
    fn elapsed(&self) -> f64 {
        self.offset + self.clock.elapsed().as_secs_f64()
    }

    /// Whether `controls`' policy asks for a checkpoint after step `step`.
    fn due(&self, step: usize, controls: &Controls<'_>) -> bool {
        let Some((_, _, policy)) = &controls.checkpoints else {
            return false;
        };
        policy.every_steps.is_some_and(|n| step.is_multiple_of(n))
            || policy
                .every
                .is_some_and(|every| self.last.elapsed() >= every)
    }

    /// Writes a checkpoint of `stepper` at `position`, where `controls` keeps them.
    fn save(
        &mut self,
        stepper: &mut dyn Stepper,
        config: &ExperimentConfig,
        position: Position,
        history: &History,
        controls: &Controls<'_>,
    ) -> Result<()> {
        let Some((dir, backend, _)) = &controls.checkpoints else {
            return Ok(());
        };
        let checkpoint = Checkpoint::capture(
            stepper,
            config,
            backend.name(),
            position,
            self.total,
            self.elapsed(),
            history,
        )?;
        checkpoint.write(dir)?;
        self.last = Instant::now();
        Ok(())
    }
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
