//! A training run kept in a run directory: [`run_to_dir`] is what `burnprop train` and the
//! examples call. It writes `config.json`, trains with the config's [`Engine`](crate::config::Engine) (reporting each
//! step to an [`Observer`], writing a checkpoint now and then), and writes the history, the
//! [`RunSummary`] and the model. [`OpenedRun::open`] finds a run that a signal, a crash or
//! `kill -9` stopped, and [`resume`] continues it from its last checkpoint to the end it was
//! configured for.

use std::fmt;
use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::tensor::Device;

use super::checkpoint::Checkpoint;
use super::fit::{CheckpointPolicy, Controls, Start, fit, stepper};
pub use super::summary::{RunStatus, RunSummary};
use super::{Experiment, History, Observer, Trained};
use crate::artifacts::{CHECKPOINT, EPOCHS, HISTORY, OUTPUTS, RunDir, SUMMARY};
use crate::config::ExperimentConfig;
use crate::device::Backend;
use crate::error::{Error, Result};
use crate::interrupt::Signal;
use crate::memory::{self, Work};

/// What a run that ended reports: completed, or stopped by a signal.
#[derive(Debug)]
pub struct TrainReport {
    /// The configuration it ran.
    pub config: ExperimentConfig,
    /// The trained network and its figures.
    pub trained: Trained,
    /// Every recorded step.
    pub history: History,
    /// What `summary.json` says.
    pub summary: RunSummary,
    /// The run directory.
    pub out: PathBuf,
}

impl TrainReport {
    /// The signal that stopped the run before its end, if one did.
    pub fn stopped_by(&self) -> Option<Signal> {
        self.trained.stopped_by
    }
}

impl fmt::Display for TrainReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.summary;
        write!(
            f,
            "{}: {} steps in {:.2} s ({:.1} steps/s) on {} ({}), {} engine ({} kernel)\nfinal loss {}",
            s.preset,
            s.steps,
            s.wall_seconds,
            s.steps_per_second,
            s.backend,
            s.dtype,
            s.engine,
            s.kernel,
            self.trained.evaluation.loss
        )?;
        if let Some(accuracy) = s.accuracy {
            write!(f, ", training accuracy {accuracy}")?;
        }
        if let Some(accuracy) = s.test_accuracy {
            write!(f, ", test accuracy {accuracy}")?;
        }
        write!(f, "\nwrote {}", self.out.display())?;
        if let Some(signal) = self.stopped_by() {
            write!(
                f,
                "\n{} stopped the run after {} of {} steps; to continue it: burnprop train --resume {}",
                signal.name(),
                s.steps,
                s.total_steps,
                self.out.display()
            )?;
        }
        Ok(())
    }
}

/// How a run in a directory checkpoints and learns that it should stop.
#[derive(Clone, Copy)]
pub struct RunOptions<'a> {
    /// When to write checkpoints (besides each epoch end of a minibatch run and a stop).
    pub checkpoints: CheckpointPolicy,
    /// Asked after every step; a signal stops the run there (`interrupt::requested` in the
    /// command line).
    pub stop: &'a dyn Fn() -> Option<Signal>,
    /// Whether a new run may replace a run already in its directory (`--overwrite`);
    /// otherwise that is an error saying how to continue or keep it.
    pub overwrite: bool,
}

impl Default for RunOptions<'static> {
    /// A checkpoint every 60 s of training; nothing stops the run but its end; a run already
    /// in the directory is not replaced.
    fn default() -> Self {
        Self {
            checkpoints: CheckpointPolicy::default(),
            stop: &|| None,
            overwrite: false,
        }
    }
}

/// Trains `config` with its engine and keeps everything in `out`: `config.json` before the
/// first step, checkpoints while it trains, then `history.csv`, `summary.json` and `model.bpk`
/// (the same files for both engines).
///
/// The directory is held for writing first ([`claim`](super::claim): a run already there is
/// refused unless `options.overwrite`); the data are drawn or read before any file in it is
/// touched, so a missing or malformed data file leaves an earlier run in `out` as it was. If training stops early (a loss that is not
/// finite), the history up to that step and a summary saying so are still written and the
/// error is returned; files are written atomically, so none is ever half there.
pub fn run_to_dir(
    config: &ExperimentConfig,
    backend: Backend,
    device: &Device,
    out: &Path,
    options: &RunOptions<'_>,
    observer: &mut dyn Observer,
) -> Result<TrainReport> {
    config.engine.check(config)?;
    memory::ensure_fits(
        config,
        Work::Train {
            engine: config.engine,
        },
        device,
    )?;
    // Data and initial network first: a missing MNIST file must not touch an earlier run.
    let mut dir = super::claim(out, options.overwrite)?;
    let experiment = Experiment::new(config, &device.clone().autodiff())?;
    // `config.json` keeps the standardisation's values, not only that there is one.
    let config = &experiment.applied(config);
    dir.start(config)?;
    let stepper = stepper(config, config.engine, experiment.model, device)?;
    let run = RunInDir {
        dir,
        config,
        backend,
        device,
    };
    run.train(
        stepper,
        experiment.data,
        History::default(),
        Start::default(),
        options,
        observer,
    )
}

/// A run directory whose run can be continued ([`OpenedRun::open`] finds one): its config, and
/// its last checkpoint if it got to write one (without one, the run starts again from step 0,
/// which is where it stood).
#[derive(Debug)]
pub struct Resumable {
    dir: RunDir,
    config: ExperimentConfig,
    checkpoint: Option<Checkpoint>,
}

/// What a run directory holds, as [`OpenedRun::open`] finds it.
#[derive(Debug)]
pub enum OpenedRun {
    /// A run that a stop left unfinished: `train --resume` continues it (boxed: a config and
    /// a checkpoint are several times a summary's size).
    Resumable(Box<Resumable>),
    /// The run took every step; its summary says so.
    Completed(RunSummary),
    /// The run diverged; resuming would diverge again at the same step.
    Diverged(RunSummary),
}

impl OpenedRun {
    /// Opens the run in `path`, held for writing: `config.json` (validated), `summary.json` if
    /// the run ended, and `checkpoint.bin` if there is one. A damaged or inconsistent file, or
    /// one from another run, is an error naming it.
    pub fn open(path: &Path) -> Result<Self> {
        let dir = RunDir::reopen(path)?;
        let config = dir.config()?;
        config.validate()?;
        if let Some(text) = dir.read_optional(SUMMARY)? {
            let summary: RunSummary =
                serde_json::from_str(&text).map_err(|e| Error::InvalidRun {
                    path: path.join(SUMMARY),
                    reason: format!("cannot parse it: {e}"),
                })?;
            match summary.status {
                RunStatus::Completed => return Ok(Self::Completed(summary)),
                RunStatus::Diverged => return Ok(Self::Diverged(summary)),
                RunStatus::Interrupted => {}
            }
        }
        let checkpoint = Checkpoint::read(&dir)?;
        if let Some(checkpoint) = &checkpoint {
            dir.check_run_id(CHECKPOINT, checkpoint.run_id())?;
        }
        if let Some(checkpoint) = &checkpoint
            && !same_config(&checkpoint.config, &config)
        {
            return Err(Error::InvalidRun {
                path: path.join(CHECKPOINT),
                reason: "it was written by a run of another configuration than config.json's"
                    .to_string(),
            });
        }
        Ok(Self::Resumable(Box::new(Resumable {
            dir,
            config,
            checkpoint,
        })))
    }
}

impl Resumable {
    /// The run's configuration.
    pub fn config(&self) -> &ExperimentConfig {
        &self.config
    }

    /// Steps taken before the stop (0 without a checkpoint).
    pub fn steps_done(&self) -> usize {
        self.checkpoint.as_ref().map_or(0, |c| c.position().step)
    }

    /// The backend the checkpoint was computed on, if there is a checkpoint.
    pub fn backend(&self) -> Option<&str> {
        self.checkpoint.as_ref().map(Checkpoint::backend)
    }

    /// Where MNIST's files are read from this time (the run's own location otherwise); the
    /// data are the same wherever they lie.
    pub fn set_data_dir(&mut self, dir: Option<PathBuf>) {
        if let (Some(dir), crate::data::DataConfig::Mnist { dir: own, .. }) =
            (dir, &mut self.config.data)
        {
            *own = Some(dir);
        }
    }
}

/// Whether two configurations describe the same run (MNIST's location aside).
pub fn same_config(a: &ExperimentConfig, b: &ExperimentConfig) -> bool {
    config_differences(a, b).is_empty()
}

/// The fields in which two configurations differ, each as `field (a → b)`, MNIST's location
/// aside (the same files can lie anywhere).
pub fn config_differences(a: &ExperimentConfig, b: &ExperimentConfig) -> Vec<String> {
    let value = |c: &ExperimentConfig| {
        let mut v = serde_json::to_value(c).unwrap_or_default();
        if let Some(mnist) = v.pointer_mut("/data/mnist")
            && let Some(fields) = mnist.as_object_mut()
        {
            fields.remove("dir");
        }
        v
    };
    let (a, b) = (value(a), value(b));
    let mut differences = Vec::new();
    differ("", &a, &b, &mut differences);
    differences
}

fn differ(path: &str, a: &serde_json::Value, b: &serde_json::Value, out: &mut Vec<String>) {
    match (a, b) {
        (serde_json::Value::Object(x), serde_json::Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let null = serde_json::Value::Null;
                let name = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                differ(
                    &name,
                    x.get(key).unwrap_or(&null),
                    y.get(key).unwrap_or(&null),
                    out,
                );
            }
        }
        _ if a != b => out.push(format!("{path} ({a} → {b})")),
        _ => {}
    }
}

/// Continues `run` from its last checkpoint on `device` to the end its config sets, writing
/// the same files as [`run_to_dir`]. The history and network it ends with are those of the
/// same run made without a stop, bit for bit; so are its checkpoints. The checkpoint must have
/// been computed on the same backend with the same kernel: another would round differently.
pub fn resume(
    run: Resumable,
    backend: Backend,
    device: &Device,
    options: &RunOptions<'_>,
    observer: &mut dyn Observer,
) -> Result<TrainReport> {
    let Resumable {
        dir,
        config,
        checkpoint,
    } = run;
    let engine = config.engine;
    engine.check(&config)?;
    memory::ensure_fits(&config, Work::Train { engine }, device)?;
    let experiment = Experiment::new(&config, &device.clone().autodiff())?;
    let refuse = |reason: String| Error::InvalidRun {
        path: dir.path().join(CHECKPOINT),
        reason,
    };
    let (stepper, history, start) = match checkpoint {
        None => (
            stepper(&config, engine, experiment.model, device)?,
            History::default(),
            Start::default(),
        ),
        Some(checkpoint) => {
            if checkpoint.backend() != backend.name() {
                return Err(refuse(format!(
                    "it was computed on {}, and a resumed run continues bit for bit only on the same backend: add --device {}",
                    checkpoint.backend(),
                    checkpoint.backend()
                )));
            }
            let total = config.total_steps(experiment.data.len());
            if checkpoint.total_steps() != total {
                return Err(refuse(format!(
                    "it counts {} steps in all, the config {total}",
                    checkpoint.total_steps()
                )));
            }
            let model = checkpoint.model(device)?.train();
            let mut stepper = stepper(&config, engine, model, device)?;
            if stepper.kernel() != checkpoint.kernel() || stepper.engine() != checkpoint.engine() {
                return Err(refuse(format!(
                    "it was computed by the {} engine's {} kernel, and this device runs the {} kernel",
                    checkpoint.engine(),
                    checkpoint.kernel(),
                    stepper.kernel()
                )));
            }
            stepper.restore(checkpoint.optimizer_state(device)?)?;
            let start = Start {
                position: checkpoint.position(),
                wall_seconds: checkpoint.wall_seconds(),
            };
            (stepper, checkpoint.history, start)
        }
    };
    let run = RunInDir {
        dir,
        config: &config,
        backend,
        device,
    };
    run.train(stepper, experiment.data, history, start, options, observer)
}

/// A run bound to its directory, backend and device: what [`run_to_dir`] and [`resume`] share.
struct RunInDir<'a> {
    dir: RunDir,
    config: &'a ExperimentConfig,
    backend: Backend,
    device: &'a Device,
}

impl RunInDir<'_> {
    /// Trains from `start` and writes the run's files as it ended.
    fn train(
        self,
        stepper: Box<dyn super::Stepper>,
        data: crate::data::TrainingData,
        mut history: History,
        start: Start,
        options: &RunOptions<'_>,
        observer: &mut dyn Observer,
    ) -> Result<TrainReport> {
        let RunInDir {
            dir,
            config,
            backend,
            device,
        } = self;
        let (batches, test) = data.batches(config, device)?;
        let total = config.total_steps(batches.examples());
        let mut controls = Controls {
            checkpoints: Some((&dir, backend, options.checkpoints)),
            stop: options.stop,
        };
        let outcome = fit(
            stepper,
            (&batches, test.as_ref()),
            config,
            &mut history,
            observer,
            start,
            &mut controls,
        );
        write_history(&dir, &history)?;
        let trained = match outcome {
            Ok(trained) => trained,
            Err(err) => {
                if let Error::Diverged { step, .. } = err {
                    let mut summary = RunSummary::diverged(config, &history, backend, total, step);
                    summary.run_id = dir.run_id().map(str::to_string);
                    dir.write_json(SUMMARY, &summary)?;
                }
                return Err(err);
            }
        };
        let mut summary = RunSummary::new(config, &trained, &history, backend, total);
        summary.run_id = dir.run_id().map(str::to_string);
        if let Some(test) = &test {
            summary.training_examples = Some(batches.examples());
            summary.test_examples = Some(test.examples());
        }
        dir.write_model(&trained.model)?;
        dir.write_json(SUMMARY, &summary)?;
        if trained.stopped_by.is_none() {
            // Complete: nothing is left to resume, and the summary says so.
            dir.remove(CHECKPOINT)?;
        }
        Ok(TrainReport {
            config: config.clone(),
            trained,
            history,
            summary,
            out: dir.path().to_path_buf(),
        })
    }
}

/// Writes `history.csv`, `epochs.csv` when epochs were evaluated on a test split, and
/// `outputs.csv` when several outputs have their own cost.
fn write_history(dir: &RunDir, history: &History) -> Result<()> {
    dir.write(HISTORY, history.to_csv().as_bytes())?;
    if !history.epochs.is_empty() {
        dir.write(EPOCHS, history.epochs_to_csv().as_bytes())?;
    }
    if !history.outputs.is_empty() {
        dir.write(OUTPUTS, history.outputs_to_csv().as_bytes())?;
    }
    Ok(())
}
