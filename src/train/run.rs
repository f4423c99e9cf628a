//! A training run kept in a run directory: [`run_to_dir`] is what `burnprop train` and the
//! examples call. It writes `config.json`, trains with the chosen [`Engine`] (reporting each step
//! to an [`Observer`]), and writes the history, the [`RunSummary`] and the model.

use std::fmt;
use std::path::{Path, PathBuf};

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use super::{Experiment, History, Observer, Trained, train_experiment};
use crate::artifacts::{EPOCHS, HISTORY, OUTPUTS, RunDir, SUMMARY};
use crate::config::{Engine, ExperimentConfig, Kernel};
use crate::device::Backend;
use crate::error::Result;

/// The final figures of a run, as `summary.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// The preset the run started from.
    pub preset: String,
    /// The objective over the whole training set after training.
    pub final_loss: f64,
    /// Training accuracy after training, where the loss classifies.
    pub accuracy: Option<f64>,
    /// Test loss after the last epoch, where the data have a test set.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub test_loss: Option<f64>,
    /// Test accuracy after the last epoch, where the data have a test set.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub test_accuracy: Option<f64>,
    /// Optimiser steps taken.
    pub steps: usize,
    /// Seconds spent training.
    pub wall_seconds: f64,
    /// `steps / wall_seconds`.
    pub steps_per_second: f64,
    /// The engine that trained it: `autodiff` or `manual`.
    #[serde(default = "autodiff")]
    pub engine: String,
    /// The kernel that computed its steps: `tensor` (burn operations) or `fused` (the manual
    /// engine's CPU sweep).
    #[serde(default = "tensor")]
    pub kernel: String,
    /// The compute backend.
    pub backend: String,
    /// `f32` or `f64`.
    pub dtype: String,
    /// The run's seed.
    pub seed: u32,
    /// burnprop's version.
    pub version: String,
}

impl RunSummary {
    /// The summary of a trained run.
    pub fn new(
        config: &ExperimentConfig,
        trained: &Trained,
        history: &History,
        backend: Backend,
    ) -> Self {
        let last_epoch = history.epochs.last();
        let steps_per_second = if trained.wall_seconds > 0.0 {
            trained.steps as f64 / trained.wall_seconds
        } else {
            0.0
        };
        Self {
            preset: config.preset.name().to_string(),
            final_loss: trained.evaluation.loss,
            accuracy: trained.evaluation.accuracy,
            test_loss: last_epoch.map(|e| e.test_loss),
            test_accuracy: last_epoch.and_then(|e| e.test_accuracy),
            steps: trained.steps,
            wall_seconds: trained.wall_seconds,
            steps_per_second,
            engine: trained.engine.name().to_string(),
            kernel: trained.kernel.name().to_string(),
            backend: backend.name().to_string(),
            dtype: config.dtype.name().to_string(),
            seed: config.seed,
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// What a summary written before the manual engine existed trained with.
fn autodiff() -> String {
    Engine::Autodiff.name().to_string()
}

/// What a summary written before the fused kernel existed computed its steps with.
fn tensor() -> String {
    Kernel::Tensor.name().to_string()
}

/// What a finished run reports.
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
            s.final_loss
        )?;
        if let Some(accuracy) = s.accuracy {
            write!(f, ", training accuracy {accuracy}")?;
        }
        if let Some(accuracy) = s.test_accuracy {
            write!(f, ", test accuracy {accuracy}")?;
        }
        write!(f, "\nwrote {}", self.out.display())
    }
}

/// Trains `config` with `engine` and keeps everything in `out`: `config.json` before the first
/// step, then `history.csv`, `summary.json` and `model.bpk` (the same files for both engines).
///
/// The data are drawn or read before the directory is touched, so a missing or malformed data
/// file leaves an earlier run in `out` as it was. If training stops early (a loss that is not
/// finite), the history up to that step is still written and the error is returned; files are
/// written atomically, so none is ever half there.
pub fn run_to_dir(
    config: &ExperimentConfig,
    engine: Engine,
    backend: Backend,
    device: &Device,
    out: &Path,
    observer: &mut dyn Observer,
) -> Result<TrainReport> {
    engine.check(config)?;
    // Data and initial network first: a missing MNIST file must not touch an earlier run.
    let experiment = Experiment::new(config, &device.clone().autodiff())?;
    let dir = RunDir::create(out)?;
    dir.start(config)?;
    let mut history = History::default();
    let outcome = train_experiment(experiment, config, engine, device, &mut history, observer);
    write_history(&dir, &history)?;
    let trained = outcome?;
    let summary = RunSummary::new(config, &trained, &history, backend);
    dir.write_model(&trained.model)?;
    dir.write_json(SUMMARY, &summary)?;
    Ok(TrainReport {
        config: config.clone(),
        trained,
        history,
        summary,
        out: out.to_path_buf(),
    })
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
