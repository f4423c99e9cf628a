//! The drawing side of a playground run: a thread beside the training thread that turns the
//! networks it is handed ([`Sketch`]) into [`Frame`]s, the JSON the page draws, and keeps the
//! last network for the inspectors ([`Snapshot`]).
//!
//! Drawing a frame (the losses over both splits, the 100 × 100 decision grid, every unit's
//! picture) costs more than many training steps of a small network; on a thread of its own it
//! takes the machine's other core, and the training thread only hands over its parameters.
//! While the run plays, a sketch the drawer is too busy to take is dropped, never queued: the
//! page sees the latest network, and training does not wait for the picture.

use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex, PoisonError};

use burn::tensor::Device;
use serde::Serialize;
use tokio::sync::watch;

use super::frame::{Grid, HostNetwork, Kind, Painter, Picture, Weights};
use super::run::{Snapshot, State};
use crate::compare::parameter_difference;
use crate::config::ExperimentConfig;
use crate::data::{Batch, Examples, TrainingData};
use crate::error::{Error, Result};
use crate::model::Mlp;
use crate::train::metrics::evaluate;
use crate::train::{Batches, Experiment};

/// The losses and accuracies of one network.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Losses {
    /// Over the training split.
    pub train: f64,
    /// Over the test split, if there is one.
    pub test: Option<f64>,
}

/// Both engines at one step, as `burnprop compare` reports them.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Comparison {
    /// The autodiff engine's batch loss at this step.
    pub loss_autodiff: f64,
    /// The manual engine's.
    pub loss_manual: f64,
    /// `|J_a − J_m|`.
    pub delta_loss: f64,
    /// The largest `|J_a − J_m|` of any step so far.
    pub worst_delta_loss: f64,
    /// `max |θ_a − θ_m|` at this step.
    pub max_delta_param: f64,
}

/// What the page draws.
#[derive(Clone, Debug, Serialize)]
pub struct Frame {
    /// The run's id.
    pub run: String,
    /// Steps taken.
    pub step: usize,
    /// Steps of the run.
    pub total: usize,
    /// The epoch of the next step.
    pub epoch: usize,
    /// Where the run stands.
    pub state: State,
    /// Why it stopped, if it diverged.
    pub message: Option<String>,
    /// Steps a second over the last frame's interval (0 when paused).
    pub steps_per_second: f64,
    /// The batch loss of the last step taken (of the first engine): history.csv's `loss` of
    /// step `step − 1` for the same run trained by `burnprop train`.
    pub batch_loss: Option<f64>,
    /// The network's loss over each split.
    pub loss: Losses,
    /// Its accuracy over each split, where the loss classifies.
    pub accuracy: Accuracy,
    /// The output over the plane (2-D runs).
    pub grid: Option<Grid>,
    /// Cells on a side of each unit's picture.
    pub unit_size: usize,
    /// Every unit's picture, layer 0 (the inputs) first.
    pub units: Option<Vec<Vec<Picture>>>,
    /// Each layer's parameters.
    pub weights: Vec<Weights>,
    /// Both engines side by side (engine = both).
    pub compare: Option<Comparison>,
}

/// Accuracy over each split.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Accuracy {
    /// Over the training split.
    pub train: Option<f64>,
    /// Over the test split.
    pub test: Option<f64>,
}

/// The networks of one step, as the training thread hands them over.
pub struct Sketch {
    /// Steps taken.
    pub step: usize,
    /// The epoch of the next step.
    pub epoch: usize,
    /// Where the run stands.
    pub state: State,
    /// Why it stopped, if it did.
    pub message: Option<String>,
    /// Steps a second since the last sketch.
    pub steps_per_second: f64,
    /// One network per engine, autodiff first.
    pub models: Vec<Mlp>,
    /// The batch loss of the last step, per engine.
    pub losses: Vec<f64>,
    /// The largest `|J_a − J_m|` of any step so far.
    pub worst_delta_loss: f64,
}

/// Where a run's frames and snapshot go.
pub struct Outbox {
    /// The latest frame, as JSON.
    pub frames: watch::Sender<Arc<str>>,
    /// The network of the latest frame.
    pub snapshot: Arc<Mutex<Option<Snapshot>>>,
}

/// The drawing thread's state.
pub struct Drawer {
    id: String,
    config: ExperimentConfig,
    total: usize,
    painter: Option<Painter>,
    /// The training split, whole, in order.
    train: Batch,
    /// The test split, whole.
    test: Option<Batch>,
    frames: watch::Sender<Arc<str>>,
    snapshot: Arc<Mutex<Option<Snapshot>>>,
}

impl Drawer {
    /// The drawer of `experiment` (before its data become batches), publishing to `frames` and
    /// `snapshot`.
    pub fn new(
        id: &str,
        config: &ExperimentConfig,
        experiment: &Experiment,
        total: usize,
        device: &Device,
        Outbox { frames, snapshot }: Outbox,
    ) -> Result<(Self, Option<Plane>)> {
        let plane = Plane::of(config, experiment)?;
        let painter = plane.as_ref().map(|plane| {
            Painter::new(
                plane.kind,
                &plane.all,
                config.input_features(),
                experiment.standardization(),
            )
        });
        // Both splits as one batch each, for the losses of every frame.
        let mut whole = config.clone();
        whole.batch_size = None;
        let (train, test) = experiment.data.clone().batches(&whole, device)?;
        let one = |batches: Batches| match batches {
            Batches::Full(batch) => Ok(*batch),
            Batches::Mini { .. } => Err(Error::Data(
                "the playground's data came back in minibatches".to_string(),
            )),
        };
        Ok((
            Self {
                id: id.to_string(),
                config: config.clone(),
                total,
                painter,
                train: one(train)?,
                test: test.map(one).transpose()?,
                frames,
                snapshot,
            },
            plane,
        ))
    }

    /// The plane's extent, for a 2-D run.
    pub fn extent(&self) -> Option<[[f64; 2]; 2]> {
        self.painter.as_ref().map(Painter::extent)
    }

    /// Draws every sketch until the training thread hangs up.
    pub fn run(self, sketches: &Receiver<Sketch>) {
        for sketch in sketches {
            let (step, state) = (sketch.step, sketch.state);
            if let Err(e) = self.draw(sketch) {
                let message = format!("could not draw step {step} ({state:?}): {e}");
                self.frames.send_replace(Arc::from(
                    serde_json::json!({ "error": message }).to_string(),
                ));
            }
        }
    }

    /// Publishes the frame of `sketch` and keeps its first network for the inspectors.
    pub fn draw(&self, sketch: Sketch) -> Result<()> {
        let Some(model) = sketch.models.first() else {
            return Err(Error::Data("a sketch without a network".to_string()));
        };
        let network = HostNetwork::of(model)?;
        let train = evaluate(model, std::iter::once(Ok(self.train.clone())), &self.config)?;
        let test = self
            .test
            .as_ref()
            .map(|t| evaluate(model, std::iter::once(Ok(t.clone())), &self.config))
            .transpose()?;
        let compare = match (&sketch.losses[..], &sketch.models[..]) {
            ([a, m], [ma, mm]) => Some(Comparison {
                loss_autodiff: *a,
                loss_manual: *m,
                delta_loss: (a - m).abs(),
                worst_delta_loss: sketch.worst_delta_loss,
                max_delta_param: parameter_difference(ma, mm)?.0,
            }),
            _ => None,
        };
        let frame = Frame {
            run: self.id.clone(),
            step: sketch.step,
            total: self.total,
            epoch: sketch.epoch,
            state: sketch.state,
            message: sketch.message.clone(),
            steps_per_second: sketch.steps_per_second,
            batch_loss: sketch.losses.first().copied(),
            loss: Losses {
                train: train.loss,
                test: test.map(|t| t.loss),
            },
            accuracy: Accuracy {
                train: train.accuracy,
                test: test.and_then(|t| t.accuracy),
            },
            grid: self.painter.as_ref().map(|p| p.grid(&network)),
            unit_size: super::frame::UNIT,
            units: self.painter.as_ref().map(|p| p.units(&network)),
            weights: network.weights().to_vec(),
            compare,
        };
        let json = serde_json::to_string(&frame)
            .map_err(|e| Error::Data(format!("could not write a frame: {e}")))?;
        *self.snapshot.lock().unwrap_or_else(PoisonError::into_inner) = Some(Snapshot {
            step: sketch.step,
            state: sketch.state,
            model: model.clone(),
        });
        self.frames.send_replace(Arc::from(json));
        Ok(())
    }
}

/// A 2-D run's points and what its output means.
pub struct Plane {
    /// What the output means.
    pub kind: Kind,
    /// Every point, to frame the plane.
    pub all: Examples,
    /// `[x1, x2, target]`, training then test.
    pub points: [Vec<[f64; 3]>; 2],
}

impl Plane {
    /// The plane of `config`'s run, `None` unless its points are 2-D.
    fn of(config: &ExperimentConfig, experiment: &Experiment) -> Result<Option<Self>> {
        let TrainingData::Examples(all) = crate::train::points(config)? else {
            return Ok(None);
        };
        if all.widths()[0] != 2 || experiment.examples().is_none() {
            return Ok(None);
        }
        let kind = Kind::of(config);
        let (train, test) = match config.test_fraction {
            Some(fraction) => {
                let (train, test) = crate::data::split::split(&all, fraction, config.seed)?;
                (train, Some(test))
            }
            None => (all.clone(), None),
        };
        let rows = |examples: &Examples| -> Vec<[f64; 3]> {
            examples
                .iter()
                .map(|e| {
                    let target = match e.y {
                        [t] => *t,
                        one_hot => crate::plot::plane::class(one_hot) as f64,
                    };
                    [e.x[0], e.x[1], target]
                })
                .collect()
        };
        Ok(Some(Self {
            kind,
            points: [rows(&train), test.as_ref().map(rows).unwrap_or_default()],
            all,
        }))
    }
}
