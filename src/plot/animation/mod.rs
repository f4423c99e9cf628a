//! `training.gif`: the decision regions of a network on 2-D inputs as it learns, with the loss
//! curve growing beside them.
//!
//! A frame needs the network at its step, and a run directory keeps only the last one. So the
//! networks are caught while the run trains, by a [`Recorder`] that the training loop hands
//! them to (`train --animate`, `reproduce`), or by training the run again from its
//! `config.json`, which gives the same steps bit for bit (`plot --animate`, [`animate_run`]);
//! the replayed losses are checked against `history.csv` at every frame.
//!
//! The frames are spaced evenly along the loss curve, not in time: along its arc length with
//! both axes scaled to one, the loss (log) counting twice the steps. Notebook 000's run sits
//! still on its plateau for 6000 iterations and then escapes within 100: even steps would show
//! the escape in one frame, these show it in a dozen. While the run trains, the curve is not
//! yet known, so the recorder keeps a network whenever the loss or the step has moved by a
//! small amount since the last one kept (at most [`CANDIDATES`], thinned by halves), and the
//! frames are chosen among those afterwards by the same rule.
//!
//! The GIF is encoded here (the `gif` crate, already in the build through `image`) rather than
//! by plotters' GIF backend, which writes to a path as it goes (so a failure would leave half
//! a file) and encodes whole frames: each frame after the first holds only the rectangle that
//! changed, its unchanged pixels transparent, which keeps 60 frames near a few hundred kB.
//!
//! The [`Recorder`] and the choice of frames are in `recorder.rs`, a frame's picture in
//! `draw.rs`, the GIF's bytes in `encode.rs`; this file builds the frames of a run and writes
//! them.

mod draw;
mod encode;
mod recorder;

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use plotters::style::RGBColor;

pub use recorder::{Recorder, Snapshot, choose};

use crate::artifacts::{ANIMATION, HISTORY, RunDir, SUMMARY, write_atomic};
use crate::config::ExperimentConfig;
use crate::data::{Examples, TrainingData};
use crate::error::{Error, Result};
use crate::plot::neurons::{class_field, output_field};
use crate::plot::plane::{Scale, Square, class, class_colour, level_colour};
use crate::train::{self, Experiment, History, RunStatus, RunSummary, StepRecord};

/// Frames in an animation (fewer if the run has fewer steps).
pub const FRAMES: usize = 60;
/// Networks a [`Recorder`] keeps at most while a run trains.
pub const CANDIDATES: usize = 1000;
/// Grid cells along each side of the input plane.
const CELLS: usize = 84;
/// Training points drawn over the plane.
const POINTS: usize = 200;
/// Largest relative difference between a replayed loss and the recorded one: a replay on the
/// run's own backend is bit-identical, so anything more means another backend or build.
const REPLAY_TOLERANCE: f64 = 1e-6;

/// One frame: the step, its loss and accuracy, and the output's colour level on the grid.
#[derive(Clone, Debug)]
struct Frame {
    step: usize,
    loss: f64,
    accuracy: Option<f64>,
    /// Each cell of the plane: the output's level on its colour scale, or (more than two
    /// classes) the class predicted there.
    levels: Vec<usize>,
}

/// What [`animate_run`] and [`save_animation`] did.
#[derive(Clone, Debug)]
pub struct Animated {
    /// The GIF written.
    pub path: PathBuf,
    /// Its frames.
    pub frames: usize,
    /// Its size in bytes.
    pub bytes: usize,
    /// Steps trained again to catch the networks (0 when they were caught in training).
    pub replayed: usize,
}

/// The frames of a run drawn over its input plane, with its whole loss curve.
struct Animation {
    title: String,
    square: Square,
    /// Each drawn point and its colour.
    points: Vec<([f64; 2], RGBColor)>,
    curve: Vec<(f64, f64)>,
    log_y: bool,
    /// Whether the frames' cells are classes (more than two: regions by the largest output)
    /// rather than levels of one output.
    classes: bool,
    frames: Vec<Frame>,
}

/// Whether `config`'s network can be animated: it must see 2-D inputs.
pub fn check_animatable(config: &ExperimentConfig) -> Result<()> {
    let inputs = config.data.inputs();
    if inputs == 2 {
        Ok(())
    } else {
        Err(Error::Plot {
            figure: "training",
            reason: format!(
                "the animation draws the input plane, so it needs a run on 2 inputs, and {} has {inputs}",
                config.preset.name()
            ),
        })
    }
}

/// Draws the frames `snapshots` of the run in `dir` (trained with `config`, recording
/// `records`) into `dir/training.gif`, atomically.
pub fn save_animation(
    dir: &Path,
    config: &ExperimentConfig,
    records: &[StepRecord],
    snapshots: Vec<Snapshot>,
    device: &Device,
) -> Result<Animated> {
    check_animatable(config)?;
    let experiment = Experiment::new(config, device)?;
    // The points as drawn, before any --features map: the plane's coordinates.
    let data = train::points(config)?;
    let examples = match &data {
        TrainingData::Examples(examples) => examples,
        TrainingData::Digits { .. } | TrainingData::Prepared { .. } => <&Examples>::default(),
    };
    let square = Square::around(examples);
    let stride = examples.len().div_ceil(POINTS).max(1);
    // A class's colour, or for a regression the target's on the output's colour scale.
    let targets = Scale::symmetric(examples.iter().flat_map(|e| e.y.iter().copied()));
    let regression = config.data.is_regression();
    let points = examples
        .iter()
        .step_by(stride)
        .map(|e| {
            let colour = if regression {
                level_colour(targets.level(e.y[0]), 1.0)
            } else {
                class_colour(class(e.y))
            };
            (
                [
                    e.x.first().copied().unwrap_or(0.0),
                    e.x.get(1).copied().unwrap_or(0.0),
                ],
                colour,
            )
        })
        .collect();
    let accuracy = |step: usize| {
        records
            .iter()
            .rev()
            .find(|r| r.step == step)
            .and_then(|r| r.accuracy)
    };
    let classes = config.data.one_hot() && config.data.outputs() > 2;
    let mut frames = Vec::with_capacity(snapshots.len());
    for snapshot in snapshots {
        // In the plane the data were drawn in, as the run's other figures.
        let model = experiment.on_drawn_inputs(&snapshot.model, config.dtype)?;
        let (features, dtype) = (config.input_features(), config.dtype);
        let levels = if classes {
            class_field(&model, &square, CELLS, features, dtype, device)?
        } else {
            let (values, scale) = output_field(&model, &square, CELLS, features, dtype, device)?;
            values.into_iter().map(|v| scale.level(v)).collect()
        };
        frames.push(Frame {
            step: snapshot.step,
            loss: snapshot.loss,
            accuracy: accuracy(snapshot.step),
            levels,
        });
    }
    let curve: Vec<(f64, f64)> = records.iter().map(|r| (r.step as f64, r.loss)).collect();
    let (lo, hi) = curve.iter().fold((f64::INFINITY, 0f64), |(lo, hi), p| {
        (lo.min(p.1), hi.max(p.1))
    });
    let animation = Animation {
        title: config.preset.name().to_string(),
        square,
        points,
        log_y: lo > 0.0 && hi / lo > 100.0,
        classes,
        curve,
        frames,
    };
    let bytes = animation.encode()?;
    let path = dir.join(ANIMATION);
    write_atomic(&path, &bytes)?;
    Ok(Animated {
        path,
        frames: animation.frames.len(),
        bytes: bytes.len(),
        replayed: 0,
    })
}

/// Animates the finished run in `dir` by training it again from its `config.json` on `device`
/// (which must be the backend it was trained on), keeping the networks at [`FRAMES`] steps
/// chosen from its `history.csv`; a replayed loss that differs from the recorded one is an
/// error.
pub fn animate_run(dir: &Path, device: &Device) -> Result<Animated> {
    let run = RunDir::open(dir)?;
    let config = run.config()?;
    check_animatable(&config)?;
    let invalid = |name: &str, reason: String| Error::InvalidRun {
        path: dir.join(name),
        reason,
    };
    let summary: RunSummary = match run.read_optional(SUMMARY)? {
        Some(text) => serde_json::from_str(&text).map_err(|e| invalid(SUMMARY, e.to_string()))?,
        None => {
            return Err(invalid(
                SUMMARY,
                "it is missing, so the run has not finished; finish it (train --resume) before animating it".to_string(),
            ));
        }
    };
    if summary.status != RunStatus::Completed {
        return Err(invalid(
            SUMMARY,
            format!(
                "the run is {}, and only a completed run can be replayed to its end",
                summary.status.name()
            ),
        ));
    }
    let text = run.read_optional(HISTORY)?.ok_or_else(|| {
        invalid(
            HISTORY,
            "it is missing, and the frames are chosen from it".to_string(),
        )
    })?;
    let records = History::records_from_csv(&text).map_err(|e| invalid(HISTORY, e))?;
    let points: Vec<(usize, f64)> = records.iter().map(|r| (r.step, r.loss)).collect();
    let steps: Vec<usize> = choose(&points, FRAMES)
        .into_iter()
        .map(|i| points[i].0)
        .collect();
    let mut silent = train::Silent;
    let mut recorder = Recorder::at_steps(&mut silent, steps.iter().copied());
    let mut history = History::default();
    let trained = train::train_config(&config, config.engine, device, &mut history, &mut recorder)?;
    let snapshots = recorder.into_snapshots();
    for snapshot in &snapshots {
        let recorded = records
            .iter()
            .rev()
            .find(|r| r.step == snapshot.step)
            .map_or(f64::NAN, |r| r.loss);
        let scale = recorded.abs().max(f64::MIN_POSITIVE);
        let close = (snapshot.loss - recorded).abs() / scale <= REPLAY_TOLERANCE;
        if !close {
            return Err(invalid(
                HISTORY,
                format!(
                    "training config.json again gives loss {} at step {} where it records {recorded}, so the run cannot be replayed here; animate it on the backend and build that trained it",
                    snapshot.loss, snapshot.step
                ),
            ));
        }
    }
    let mut animated = save_animation(dir, &config, &records, snapshots, device)?;
    animated.replayed = trained.steps;
    Ok(animated)
}
