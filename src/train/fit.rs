//! The training loop, the same for both engines.
//!
//! ```text
//! for each epoch, for each batch:
//!     J      = forward(θ, batch)          record loss and accuracy at the current θ
//!     θ      = step(θ, lr_t)              the engine's gradients and update
//!     a stop was asked for (Ctrl-C)?      checkpoint and stop
//!     a checkpoint is due?                checkpoint
//! after each epoch (a test split): evaluate on it (full batch: every `test_every`), checkpoint
//! after the last step: evaluate on the whole training set
//! ```
//!
//! A resumed run enters the same loop at its checkpoint's [`Position`]: the epochs before it
//! replay only their shuffles, the steps of its epoch already taken are skipped, and the
//! epoch's running means are summed again from the history, in the same order.

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use burn::tensor::Device;

use super::checkpoint::{Checkpoint, Position};
use super::history::{EpochRecord, History, StepRecord};
use super::metrics::{Evaluation, evaluate};
use super::steppers::{AutodiffStepper, ManualHostStepper, ManualTensorStepper, Stepper};
use super::{Batches, Experiment, Observer};
use crate::artifacts::RunDir;
use crate::config::{Engine, ExperimentConfig, Kernel};
use crate::data::Batch;
use crate::device::Backend;
use crate::error::{Error, Result};
use crate::interrupt::Signal;
use crate::memory::{self, Work};
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
    memory::ensure_fits(config, Work::Train { engine }, device)?;
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
    stepper: Box<dyn Stepper>,
    (batches, test): (&Batches, Option<&Batches>),
    config: &ExperimentConfig,
    history: &mut History,
    observer: &mut dyn Observer,
    start: Start,
    controls: &mut Controls<'_>,
) -> Result<Trained> {
    let mut run = Fitting {
        stepper,
        batches,
        test,
        config,
        history,
        observer,
        controls,
        clock: Clock::start(start.wall_seconds),
        total: config.total_steps(batches.examples()),
        per_epoch: config.steps_per_epoch(batches.examples()),
        step: start.position.step,
        stopped_by: None,
    };
    run.observer.started(run.step, run.total);
    // A resumed run replays only the shuffles of the epochs before its checkpoint's.
    batches.replay_shuffles(start.position.epoch);
    for epoch in start.position.epoch..config.epochs {
        if run.epoch(epoch, start.position.taken_in(epoch))?.is_break() {
            break;
        }
    }
    run.finish()
}

/// A run in the loop: what it trains on, where it records, and where it stands.
struct Fitting<'a> {
    stepper: Box<dyn Stepper>,
    batches: &'a Batches,
    test: Option<&'a Batches>,
    config: &'a ExperimentConfig,
    history: &'a mut History,
    observer: &'a mut dyn Observer,
    controls: &'a Controls<'a>,
    clock: Clock,
    /// The steps the run takes in all.
    total: usize,
    /// The steps of a whole epoch.
    per_epoch: usize,
    /// Optimiser steps taken.
    step: usize,
    /// The signal that stopped the run, once one has.
    stopped_by: Option<Signal>,
}

impl Fitting<'_> {
    /// Epoch `epoch` from its step `skip` on (the steps before it were taken before a stop):
    /// its steps, its evaluation on the test split, and its checkpoint. Breaks where the run
    /// ends: its last step taken, or a stop asked for.
    fn epoch(&mut self, epoch: usize, skip: usize) -> Result<ControlFlow<()>> {
        let mut tally = EpochTally::from_history(self.history, epoch);
        if self.steps(epoch, skip, &mut tally)?.is_break() {
            return Ok(ControlFlow::Break(()));
        }
        if let Some(test) = self.test
            && self.evaluates(epoch)
        {
            let evaluation = evaluate(&self.stepper.model()?, test.in_order(), self.config)?;
            let record = tally.record(epoch + 1, &evaluation, self.clock.elapsed());
            self.history.epochs.push(record);
            self.observer.epoch(&record);
        }
        if self.step < self.total && !self.batches.is_full() {
            // Every epoch end of a minibatch run: a checkpoint, and a place to stop.
            self.checkpoint(Position::epoch_start(self.step, epoch + 1))?;
            return Ok(self.ask_to_stop());
        }
        Ok(ControlFlow::Continue(()))
    }

    /// The steps of epoch `epoch` from its step `skip` on, each added to `tally`.
    fn steps(
        &mut self,
        epoch: usize,
        skip: usize,
        tally: &mut EpochTally,
    ) -> Result<ControlFlow<()>> {
        let batches = self.batches;
        let batches = batches.epoch(self.stepper.prepare()).skip(skip);
        for (taken, batch) in (skip + 1..).zip(batches) {
            if self.step == self.total {
                return Ok(ControlFlow::Break(()));
            }
            tally.add(&self.step_on(&batch?, epoch)?);
            if self.step < self.total {
                let position = self.position_after(epoch, taken);
                if self.checkpoint_if_due(position)?.is_break() {
                    return Ok(ControlFlow::Break(()));
                }
            }
        }
        Ok(ControlFlow::Continue(()))
    }

    /// One step on `batch`: the loss at the current θ recorded, then the update.
    fn step_on(&mut self, batch: &Batch, epoch: usize) -> Result<StepRecord> {
        let measured = self.stepper.forward(batch)?;
        if let Some(costs) = measured.outputs {
            self.history.outputs.push(costs);
        }
        let record = StepRecord {
            step: self.step,
            epoch,
            loss: measured.loss,
            accuracy: measured.accuracy,
            wall_seconds: self.clock.elapsed(),
        };
        self.record(record, None)?;
        check_finite(record.loss, self.step, self.config.optimizer.lr)?;
        self.stepper
            .step(self.config.optimizer.lr_at(self.step, self.total))?;
        self.step += 1;
        Ok(record)
    }

    /// Whether the end of epoch `epoch` evaluates the test split: where there is one, after
    /// every [`ExperimentConfig::test_every`]-th epoch and after the run's last step.
    fn evaluates(&self, epoch: usize) -> bool {
        self.test.is_some()
            && ((epoch + 1).is_multiple_of(self.config.test_every()) || self.step == self.total)
    }

    /// Where the run stands after the `taken`-th step of epoch `epoch`.
    fn position_after(&self, epoch: usize, taken: usize) -> Position {
        // After the epoch's last step, a run stands at the next epoch, unless the epoch's
        // evaluation on the test split is still to do.
        if taken == self.per_epoch && !self.evaluates(epoch) {
            Position::epoch_start(self.step, epoch + 1)
        } else {
            Position {
                step: self.step,
                epoch,
                epoch_steps: taken,
            }
        }
    }

    /// After a step: asks whether to stop, and checkpoints at `position` where a stop or the
    /// policy asks for one.
    fn checkpoint_if_due(&mut self, position: Position) -> Result<ControlFlow<()>> {
        let stop = self.ask_to_stop();
        if stop.is_break() || self.clock.due(self.step, self.controls) {
            self.checkpoint(position)?;
        }
        Ok(stop)
    }

    /// Asks whether a signal arrived; breaks if one did.
    fn ask_to_stop(&mut self) -> ControlFlow<()> {
        self.stopped_by = (self.controls.stop)();
        if self.stopped_by.is_some() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }

    /// Writes a checkpoint at `position`, where the controls keep them.
    fn checkpoint(&mut self, position: Position) -> Result<()> {
        let Some((dir, backend, _)) = &self.controls.checkpoints else {
            return Ok(());
        };
        let checkpoint = Checkpoint::capture(
            self.stepper.as_mut(),
            self.config,
            backend.name(),
            position,
            self.total,
            self.clock.elapsed(),
            self.history,
        )?;
        checkpoint.write(dir)?;
        self.clock.last_checkpoint = Instant::now();
        Ok(())
    }

    /// Records a step and tells the observer, with the network `model` if it wants it (the
    /// stepper's when `None`).
    fn record(&mut self, record: StepRecord, model: Option<&Mlp>) -> Result<()> {
        self.history.push(record);
        self.observer.step(&record);
        if self.observer.wants_snapshot() {
            let snapshot = match model {
                Some(model) => model.clone(),
                None => self.stepper.model()?,
            };
            self.observer.snapshot(snapshot);
        }
        Ok(())
    }

    /// The final record: the network after the last step, evaluated on the whole training set.
    fn finish(mut self) -> Result<Trained> {
        let model = self.stepper.model()?;
        let evaluation = evaluate(&model, self.batches.in_order(), self.config)?;
        if self.batches.is_full() && self.stopped_by.is_none() {
            // The notebooks record the loss after every update, the last one included. A full
            // batch takes one step per epoch, so `step` also counts the epochs completed.
            let record = StepRecord {
                step: self.step,
                epoch: self.step,
                loss: evaluation.loss,
                accuracy: evaluation.accuracy,
                wall_seconds: self.clock.elapsed(),
            };
            self.record(record, Some(&model))?;
        }
        check_finite(evaluation.loss, self.step, self.config.optimizer.lr)?;
        let wall_seconds = self.clock.elapsed();
        self.observer.finished();
        Ok(Trained {
            model,
            evaluation,
            steps: self.step,
            wall_seconds,
            engine: self.stepper.engine(),
            kernel: self.stepper.kernel(),
            stopped_by: self.stopped_by,
        })
    }
}

/// The loop's clock: the seconds trained, and those since the last checkpoint.
struct Clock {
    /// Seconds trained before this loop began.
    offset: f64,
    began: Instant,
    /// When the last checkpoint was written (or the loop began).
    last_checkpoint: Instant,
}

impl Clock {
    /// A clock started now, `offset` seconds into the run.
    fn start(offset: f64) -> Self {
        Self {
            offset,
            began: Instant::now(),
            last_checkpoint: Instant::now(),
        }
    }

    /// Seconds trained, earlier runs of a resumed one included.
    fn elapsed(&self) -> f64 {
        self.offset + self.began.elapsed().as_secs_f64()
    }

    /// Whether `controls`' policy asks for a checkpoint after step `step`.
    fn due(&self, step: usize, controls: &Controls<'_>) -> bool {
        let Some((_, _, policy)) = &controls.checkpoints else {
            return false;
        };
        policy.every_steps.is_some_and(|n| step.is_multiple_of(n))
            || policy
                .every
                .is_some_and(|every| self.last_checkpoint.elapsed() >= every)
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
    /// The tally of the steps of `epoch` that `history` holds (those a resumed run took before
    /// its stop), in their order.
    fn from_history(history: &History, epoch: usize) -> Self {
        let mut tally = Self::default();
        for record in history.records.iter().filter(|r| r.epoch == epoch) {
            tally.add(record);
        }
        tally
    }

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
