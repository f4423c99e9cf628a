//! `burnprop compare`: the two engines side by side, step by step.
//!
//! One network is drawn, copied into both engines, and both train on the same batches (each
//! minibatch is drawn once and handed to both). At every step `t` the record holds both
//! engines' loss at their parameters `θ_t` and the largest difference between those
//! parameters; row `N` is taken after the last update.
//!
//! The engines compute the same mathematics in a different order of floating-point operations,
//! so their trajectories differ by rounding only. A step **agrees** when
//!
//! ```text
//! |J_autodiff − J_manual| ≤ tol_loss · max(|J_autodiff|, |J_manual|)
//! max |θ_autodiff − θ_manual| ≤ tol_param · max(1, max |θ_autodiff|)
//! ```
//!
//! with the tolerances of [`Tolerance::for_config`]: 1e-5 and 1e-4 in f32, 1e-10 and 1e-9 in
//! f64 (f32's where burn rounds the momentum factor to f32).

use std::fmt;
use std::time::Instant;

use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::artifacts::{COMPARE, COMPARE_SUMMARY, RunDir};
use crate::config::{Engine, ExperimentConfig};
use crate::device::Backend;
use crate::error::{Error, Result};
use crate::memory::{self, Work};
use crate::model::Mlp;
use crate::tensor::{Precision, host_values};
use crate::train::Experiment;
use crate::train::fit::stepper;
use crate::train::history::{count_field, csv_rows, csv_text};

/// How far the two trajectories may drift apart and still agree.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tolerance {
    /// Relative difference of the two losses.
    pub loss: f64,
    /// Largest parameter difference, relative to `max(1, max |θ|)`.
    pub param: f64,
}

impl Tolerance {
    /// The tolerances for `precision`: a few hundred f32 roundings for the losses (1e-5) and
    /// ten times that for parameters, which accumulate every step's rounding (1e-4); in f64,
    /// the same margins over its 2⁻⁵³ (1e-10 and 1e-9).
    pub fn of(precision: Precision) -> Self {
        match precision {
            Precision::F32 => Self {
                loss: 1e-5,
                param: 1e-4,
            },
            Precision::F64 => Self {
                loss: 1e-10,
                param: 1e-9,
            },
        }
    }

    /// The tolerances `config` can be held to: those of its precision, except for an f64 run
    /// whose momentum factor f32 cannot represent (0.9, say), which gets f32's. burn's
    /// `Momentum` keeps `μ` as an `f32` whatever the tensors' precision, so its f64 velocity is
    /// `0.899999976·v + ∇`, while the manual engine uses `μ` exactly; the two then part at
    /// the relative 1e-8 of that rounding, amplified by training.
    pub fn for_config(config: &ExperimentConfig) -> Self {
        if burn_rounds_momentum(config) {
            Self::of(Precision::F32)
        } else {
            Self::of(config.dtype)
        }
    }

    /// These tolerances with the given ones in their place (`--loss-tol`, `--param-tol`), each
    /// zero or a positive number.
    pub fn with_overrides(mut self, loss: Option<f64>, param: Option<f64>) -> Result<Self> {
        for (given, field, flag) in [
            (loss, &mut self.loss, "--loss-tol"),
            (param, &mut self.param, "--param-tol"),
        ] {
            if let Some(value) = given {
                if !(value.is_finite() && value >= 0.0) {
                    return Err(Error::InvalidConfig(format!(
                        "{flag} must be zero or a positive number (got {value})"
                    )));
                }
                *field = value;
            }
        }
        Ok(self)
    }
}

/// What a reader of the comparison of `config` should know before it starts: where burn's
/// update differs from the notebook's by construction.
pub fn notes(config: &ExperimentConfig) -> Vec<String> {
    let opt = &config.optimizer;
    let mut notes = Vec::new();
    if opt.momentum != 0.0 && opt.dampening != 0.0 {
        notes.push(format!(
            "burn's dampening {} has no counterpart in the notebook's update, so the engines part from step 2",
            opt.dampening
        ));
    }
    if burn_rounds_momentum(config) {
        notes.push(format!(
            "burn keeps the momentum factor as f32 ({} → {}), so in f64 the engines are held to f32's tolerance",
            opt.momentum,
            f64::from(opt.momentum as f32)
        ));
    }
    notes
}

/// Whether burn's `Sgd` runs `config` with a momentum factor rounded to f32 that the f64
/// manual engine uses exactly (see [`Tolerance::for_config`]).
pub fn burn_rounds_momentum(config: &ExperimentConfig) -> bool {
    let mu = config.optimizer.momentum;
    config.dtype == Precision::F64 && f64::from(mu as f32) != mu
}

impl fmt::Display for Tolerance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "|Δloss| ≤ {:e}·|loss|, max|Δθ| ≤ {:e}·max(1, max|θ|)",
            self.loss, self.param
        )
    }
}

/// Both engines at one step.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct CompareRecord {
    /// Updates taken (0: the shared initial network).
    pub step: usize,
    /// The epoch of the step's batch (0-based).
    pub epoch: usize,
    /// The autodiff engine's loss on the batch.
    pub loss_autodiff: f64,
    /// The manual engine's loss on the same batch.
    pub loss_manual: f64,
    /// `max |θ_autodiff − θ_manual|` over every parameter.
    pub max_delta_param: f64,
    /// `max |θ_autodiff|`, the scale of the parameter tolerance.
    pub max_param: f64,
}

impl CompareRecord {
    /// `|J_autodiff − J_manual|`.
    pub fn delta_loss(&self) -> f64 {
        (self.loss_autodiff - self.loss_manual).abs()
    }

    /// `|ΔJ| / max(|J_autodiff|, |J_manual|)` (0 when both are 0).
    pub fn relative_delta_loss(&self) -> f64 {
        let scale = self.loss_autodiff.abs().max(self.loss_manual.abs());
        if scale == 0.0 {
            self.delta_loss()
        } else {
            self.delta_loss() / scale
        }
    }

    /// `max |Δθ| / max(1, max |θ|)`.
    pub fn relative_delta_param(&self) -> f64 {
        self.max_delta_param / self.max_param.max(1.0)
    }

    /// Whether both figures are within `tolerance` (never for a loss that is not finite).
    pub fn agrees(&self, tolerance: &Tolerance) -> bool {
        self.relative_delta_loss() <= tolerance.loss
            && self.relative_delta_param() <= tolerance.param
    }

    /// Whether both losses are finite numbers.
    pub fn finite(&self) -> bool {
        self.loss_autodiff.is_finite() && self.loss_manual.is_finite()
    }
}

/// A finished comparison.
#[derive(Clone, Debug)]
pub struct Comparison {
    /// The configuration both engines trained (`max_steps` is the number of updates).
    pub config: ExperimentConfig,
    /// What counts as agreeing.
    pub tolerance: Tolerance,
    /// Rows `0..=N`, or fewer if a loss stopped being finite.
    pub records: Vec<CompareRecord>,
    /// Seconds spent in each engine's forward passes and updates: `[autodiff, manual]`.
    pub seconds: [f64; 2],
}

impl Comparison {
    /// The verdict: `Ok(None)` when every step is within the tolerance, `Ok(Some(why))` with
    /// the first step outside it when the engines part, and an error when a loss stopped being
    /// finite (the learning rate is the likely cause: that is bad input, not a verdict).
    pub fn verdict(&self) -> Result<Option<String>> {
        if let Some(record) = self.first_non_finite() {
            return Err(Error::InvalidConfig(format!(
                "the loss stopped being finite at step {} (autodiff {}, manual {}); lower --lr",
                record.step, record.loss_autodiff, record.loss_manual
            )));
        }
        Ok(self.first_departure().map(|record| {
            format!(
                "the engines part at step {}: relative |Δloss| {:.2e} (tolerance {:e}), max|Δθ| {:.2e} relative (tolerance {:e})",
                record.step,
                record.relative_delta_loss(),
                self.tolerance.loss,
                record.relative_delta_param(),
                self.tolerance.param
            )
        }))
    }

    /// The first step outside the tolerance, if any.
    pub fn first_departure(&self) -> Option<&CompareRecord> {
        self.records.iter().find(|r| !r.agrees(&self.tolerance))
    }

    /// The first step whose loss was not finite in either engine, if any.
    pub fn first_non_finite(&self) -> Option<&CompareRecord> {
        self.records.iter().find(|r| !r.finite())
    }

    /// The record with the largest relative loss difference, and the one with the largest
    /// relative parameter difference.
    pub fn worst(&self) -> Option<(&CompareRecord, &CompareRecord)> {
        let by = |key: fn(&CompareRecord) -> f64| {
            self.records.iter().max_by(|a, b| key(a).total_cmp(&key(b)))
        };
        by(CompareRecord::relative_delta_loss).zip(by(CompareRecord::relative_delta_param))
    }

    /// The CSV header of [`Comparison::to_csv`].
    pub const HEADER: &'static str = "step,epoch,loss_autodiff,loss_manual,abs_delta_loss,rel_delta_loss,max_abs_delta_param,max_abs_param";

    /// Reads the records of `compare.csv` back; steps and epochs must be whole numbers.
    pub fn records_from_csv(text: &str) -> std::result::Result<Vec<CompareRecord>, String> {
        csv_rows(text, Self::HEADER)?
            .into_iter()
            .enumerate()
            .map(|(i, row)| match row[..] {
                [
                    Some(step),
                    Some(epoch),
                    Some(loss_autodiff),
                    Some(loss_manual),
                    Some(_),
                    Some(_),
                    Some(max_delta_param),
                    Some(max_param),
                ] => Ok(CompareRecord {
                    step: count_field(step, i + 1, "step")?,
                    epoch: count_field(epoch, i + 1, "epoch")?,
                    loss_autodiff,
                    loss_manual,
                    max_delta_param,
                    max_param,
                }),
                _ => Err(format!(
                    "a row does not have the 8 fields of the header: {row:?}"
                )),
            })
            .collect()
    }

    /// Every record as `compare.csv`.
    pub fn to_csv(&self) -> String {
        csv_text(
            Self::HEADER.split(','),
            self.records.iter().map(|r| {
                [
                    r.step.to_string(),
                    r.epoch.to_string(),
                    r.loss_autodiff.to_string(),
                    r.loss_manual.to_string(),
                    r.delta_loss().to_string(),
                    r.relative_delta_loss().to_string(),
                    r.max_delta_param.to_string(),
                    r.max_param.to_string(),
                ]
            }),
        )
    }
}

/// What `compare.json` says of a comparison.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompareSummary {
    /// The run id of `config.json` (absent in comparisons written before run ids existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// The preset.
    pub preset: String,
    /// Updates taken by each engine.
    pub steps: usize,
    /// The agreement criterion.
    pub tolerance: Tolerance,
    /// Whether every step agreed.
    pub agree: bool,
    /// The first step outside the tolerance.
    pub first_departure: Option<usize>,
    /// The largest relative loss difference, and its step.
    pub worst_rel_delta_loss: (f64, usize),
    /// The largest `max|Δθ|` relative to `max(1, max|θ|)`, and its step.
    pub worst_rel_delta_param: (f64, usize),
    /// One line per engine: its gradients and update.
    pub engines: [String; 2],
    /// Seconds in each engine's forward passes and updates: `[autodiff, manual]`.
    pub seconds: [f64; 2],
    /// The compute backend.
    pub backend: String,
    /// `f32` or `f64`.
    pub dtype: String,
    /// burnprop's version.
    pub version: String,
}

impl Comparison {
    /// Keeps the comparison in `dir`, a run directory held for writing
    /// ([`claim`](crate::train::claim)): `config.json`, `compare.csv` (both engines at every
    /// step) and `compare.json` (the verdict and figures, with the run id).
    pub fn save(&self, dir: &mut RunDir, backend: Backend) -> Result<()> {
        dir.start(&self.config)?;
        dir.write(COMPARE, self.to_csv().as_bytes())?;
        let mut summary = self.summary(backend);
        summary.run_id = dir.run_id().map(str::to_string);
        dir.write_json(COMPARE_SUMMARY, &summary)
    }

    /// The summary written as `compare.json`.
    pub fn summary(&self, backend: Backend) -> CompareSummary {
        let (loss, param) = self.worst().map_or(((0.0, 0), (0.0, 0)), |(l, p)| {
            (
                (l.relative_delta_loss(), l.step),
                (p.relative_delta_param(), p.step),
            )
        });
        let departure = self.first_departure().map(|r| r.step);
        CompareSummary {
            run_id: None,
            preset: self.config.preset.name().to_string(),
            steps: self.records.len().saturating_sub(1),
            tolerance: self.tolerance,
            agree: departure.is_none(),
            first_departure: departure,
            worst_rel_delta_loss: loss,
            worst_rel_delta_param: param,
            engines: engine_descriptions(&self.config),
            seconds: self.seconds,
            backend: backend.name().to_string(),
            dtype: self.config.dtype.name().to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// A comparison takes at least one step.
pub fn check_steps(steps: usize) -> Result<()> {
    if steps == 0 {
        return Err(Error::InvalidConfig(
            "--steps must be at least 1".to_string(),
        ));
    }
    Ok(())
}

/// The header of the table [`table_row`] prints under.
pub fn table_header() -> String {
    format!(
        "{:>7} {:>6}  {:>18} {:>18}  {:>9} {:>9}  {:>9}",
        "step", "epoch", "loss (autodiff)", "loss (manual)", "|Δloss|", "rel", "max|Δθ|"
    )
}

/// One row of the table, losses printed to the precision they were computed in.
pub fn table_row(record: &CompareRecord, precision: Precision) -> String {
    let loss = |v: f64| match precision {
        Precision::F32 => format!("{}", v as f32),
        Precision::F64 => format!("{v}"),
    };
    format!(
        "{:>7} {:>6}  {:>18} {:>18}  {:>9.2e} {:>9.2e}  {:>9.2e}",
        record.step,
        record.epoch,
        loss(record.loss_autodiff),
        loss(record.loss_manual),
        record.delta_loss(),
        record.relative_delta_loss(),
        record.max_delta_param
    )
}

/// Trains `config` for `steps` updates with both engines in lock step, calling `each` with
/// every record as it is made; `tolerance` is the criterion the result is judged by.
///
/// The run is `config` stopped after `steps` updates (`max_steps`, with as many epochs as
/// that takes), so a learning-rate schedule spans those steps and `burnprop train` with the
/// returned config retraces either column. Stops early when a loss is not finite.
pub fn compare_engines(
    config: &ExperimentConfig,
    steps: usize,
    tolerance: Tolerance,
    device: &Device,
    each: &mut dyn FnMut(&CompareRecord),
) -> Result<Comparison> {
    check_steps(steps)?;
    let mut config = config.clone();
    config.max_steps = Some(steps);
    config.validate()?;
    memory::ensure_fits(&config, Work::Compare, device)?;
    let experiment = Experiment::new(&config, &device.clone().autodiff())?;
    let (batches, _) = experiment.data.batches(&config, device)?;
    let per_epoch = config.steps_per_epoch(batches.examples());
    config.epochs = config.epochs.max(steps.div_ceil(per_epoch));
    let total = config.total_steps(batches.examples());

    // `stepper` runs burn's own operations for autodiff whatever `--kernel` says: the flag
    // chooses the manual engine's kernel.
    let mut autodiff = stepper(&config, Engine::Autodiff, experiment.model.clone(), device)?;
    let mut manual = stepper(&config, Engine::Manual, experiment.model, device)?;
    let mut records = Vec::with_capacity(steps + 1);
    let mut seconds = [0.0; 2];
    let mut step = 0;
    'epochs: for epoch in 0.. {
        let before = records.len();
        for batch in batches.epoch(autodiff.prepare()) {
            let batch = batch?;
            let clock = Instant::now();
            let loss_autodiff = autodiff.forward(&batch)?.loss;
            seconds[0] += clock.elapsed().as_secs_f64();
            let clock = Instant::now();
            let loss_manual = manual.forward(&batch)?.loss;
            seconds[1] += clock.elapsed().as_secs_f64();

            let (max_delta_param, max_param) =
                parameter_difference(&autodiff.model()?, &manual.model()?)?;
            let record = CompareRecord {
                step,
                epoch,
                loss_autodiff,
                loss_manual,
                max_delta_param,
                max_param,
            };
            records.push(record);
            each(&record);
            if step == total || !record.finite() {
                break 'epochs;
            }

            let lr = config.optimizer.lr_at(step, total);
            let clock = Instant::now();
            autodiff.step(lr)?;
            seconds[0] += clock.elapsed().as_secs_f64();
            let clock = Instant::now();
            manual.step(lr)?;
            seconds[1] += clock.elapsed().as_secs_f64();
            step += 1;
        }
        if records.len() == before {
            break; // an epoch without batches: no data to go on with
        }
    }
    Ok(Comparison {
        tolerance,
        config,
        records,
        seconds,
    })
}

/// `max |θ_a − θ_m|` and `max |θ_a|` over every parameter of two networks of one shape,
/// computed on the device and read back together.
pub fn parameter_difference(a: &Mlp, m: &Mlp) -> Result<(f64, f64)> {
    // `params` reads plain tensors from either engine's network.
    let mut deltas = Vec::new();
    let mut sizes = Vec::new();
    for (pa, pm) in a.params().into_iter().zip(m.params()) {
        deltas.push((pa.weight.clone() - pm.weight).abs().max());
        sizes.push(pa.weight.abs().max());
        if let (Some(ba), Some(bm)) = (pa.bias, pm.bias) {
            deltas.push((ba.clone() - bm).abs().max());
            sizes.push(ba.abs().max());
        }
    }
    let both = Tensor::cat(
        vec![Tensor::cat(deltas, 0).max(), Tensor::cat(sizes, 0).max()],
        0,
    );
    match host_values(both)?[..] {
        [delta, size] => Ok((delta, size)),
        _ => Err(Error::Data(
            "the parameter difference came back with the wrong shape".to_string(),
        )),
    }
}

/// The engines of a comparison, one line each.
pub fn engine_descriptions(config: &ExperimentConfig) -> [String; 2] {
    [Engine::Autodiff, Engine::Manual]
        .map(|engine| format!("{engine}: {}", engine.describe(config)))
}
