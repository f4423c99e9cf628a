//! What a run directory's `summary.json` says of its run: how it ended ([`RunStatus`]) and
//! what it measured ([`RunSummary`]).

use serde::{Deserialize, Serialize};

use super::{History, Trained};
use crate::config::{Engine, ExperimentConfig, Kernel};
use crate::device::Backend;

/// How a run ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// It took every step it was configured for.
    #[default]
    Completed,
    /// A signal (Ctrl-C, `kill`) stopped it between two steps; `train --resume` continues it.
    Interrupted,
    /// Its loss stopped being a finite number.
    Diverged,
}

impl RunStatus {
    /// `completed`, `interrupted` or `diverged`.
    pub fn name(self) -> &'static str {
        match self {
            RunStatus::Completed => "completed",
            RunStatus::Interrupted => "interrupted",
            RunStatus::Diverged => "diverged",
        }
    }
}

/// The final figures of a run, as `summary.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// The run id of `config.json` (absent in summaries written before run ids existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// The preset the run started from.
    pub preset: String,
    /// How the run ended (summaries written before there was a choice: `completed`).
    #[serde(default)]
    pub status: RunStatus,
    /// The objective over the whole training set after the last step taken (absent when the
    /// run diverged).
    pub final_loss: Option<f64>,
    /// Training accuracy after the last step taken, where the loss classifies.
    pub accuracy: Option<f64>,
    /// Test loss after the last epoch, where the data have a test set.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub test_loss: Option<f64>,
    /// Test accuracy after the last epoch, where the data have a test set.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub test_accuracy: Option<f64>,
    /// Training examples, where the data have a test split (`--test-fraction`, MNIST).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub training_examples: Option<usize>,
    /// Test examples, where the data have a test split.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub test_examples: Option<usize>,
    /// Optimiser steps taken.
    pub steps: usize,
    /// The steps the run is configured for.
    #[serde(default)]
    pub total_steps: usize,
    /// Seconds spent training.
    pub wall_seconds: f64,
    /// `steps / wall_seconds`.
    pub steps_per_second: f64,
    /// The engine that trained it: `autodiff` or `manual`.
    #[serde(default = "autodiff")]
    pub engine: String,
    /// The kernel that computed its steps: `tensor` (burn operations), or one of the manual
    /// engine's host kernels, `fused` (one sweep over the examples) or `wide` (matrix
    /// products).
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
    /// The summary of a run that completed or was interrupted.
    pub fn new(
        config: &ExperimentConfig,
        trained: &Trained,
        history: &History,
        backend: Backend,
        total_steps: usize,
    ) -> Self {
        let last_epoch = history.epochs.last();
        let mut summary = Self::of(config, history, backend, total_steps);
        summary.status = if trained.stopped_by.is_some() {
            RunStatus::Interrupted
        } else {
            RunStatus::Completed
        };
        summary.final_loss = Some(trained.evaluation.loss);
        summary.accuracy = trained.evaluation.accuracy;
        summary.test_loss = last_epoch.map(|e| e.test_loss);
        summary.test_accuracy = last_epoch.and_then(|e| e.test_accuracy);
        summary.steps = trained.steps;
        summary.wall_seconds = trained.wall_seconds;
        summary.steps_per_second = if trained.wall_seconds > 0.0 {
            trained.steps as f64 / trained.wall_seconds
        } else {
            0.0
        };
        summary.kernel = trained.kernel.name().to_string();
        summary
    }

    /// The summary of a run that diverged at `step`: no final figures.
    pub(super) fn diverged(
        config: &ExperimentConfig,
        history: &History,
        backend: Backend,
        total_steps: usize,
        step: usize,
    ) -> Self {
        let mut summary = Self::of(config, history, backend, total_steps);
        summary.status = RunStatus::Diverged;
        summary.steps = step;
        summary
    }

    /// What every summary of `config`'s run says, figures left empty.
    fn of(
        config: &ExperimentConfig,
        history: &History,
        backend: Backend,
        total_steps: usize,
    ) -> Self {
        let wall_seconds = history.records.last().map_or(0.0, |r| r.wall_seconds);
        Self {
            run_id: None,
            preset: config.preset.name().to_string(),
            status: RunStatus::Completed,
            final_loss: None,
            accuracy: None,
            test_loss: None,
            test_accuracy: None,
            training_examples: None,
            test_examples: None,
            steps: 0,
            total_steps,
            wall_seconds,
            steps_per_second: 0.0,
            engine: config.engine.name().to_string(),
            kernel: config.kernel.name().to_string(),
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
