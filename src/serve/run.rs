//! One playground run: a plain thread that owns the engines and trains, and what the server
//! keeps of it (the controls it listens to, the frames it publishes, the network it last
//! showed).
//!
//! The thread steps exactly as `burnprop train` and `burnprop compare` do (the same
//! [`Experiment`], [`Batches`] and [`Stepper`]s; per batch: the loss at the current
//! parameters, then the update at `lr_at(step, total)`), so that the exported command line
//! retraces the session step for step. Between steps it reads the controls; paused, it waits
//! on them. It publishes a [`Frame`] at most [`FRAME_RATE`] times a second while playing,
//! after every single step, and when it pauses or ends, into a [`watch`] channel whose latest
//! value is all a viewer ever reads: a slow page skips frames instead of queueing them.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use burn::tensor::Device;
use serde::Serialize;
use tokio::sync::watch;

use super::frame::{Grid, Kind, Painter, Picture, Weights, weights};
use super::settings::{Engines, Settings};
use crate::config::{Engine, ExperimentConfig};
use crate::data::{DataFile, Examples, TrainingData};
use crate::error::{Error, Result};
use crate::model::Mlp;
use crate::train::fit::{check_finite, stepper};
use crate::train::metrics::evaluate;
use crate::train::{Batches, Experiment, Stepper};

/// Frames a second, at most, while a run plays.
pub const FRAME_RATE: u32 = 40;

/// What a viewer asks of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Step until paused or done.
    Play,
    /// Stop stepping.
    Pause,
    /// Take exactly one step, then pause.
    Step,
    /// End the thread.
    Stop,
}

/// Where a run stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Waiting for play or step.
    Paused,
    /// Stepping.
    Playing,
    /// All its steps taken.
    Finished,
    /// A loss was not finite; the run stopped there.
    Diverged,
}

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

/// The networks of the last frame: what the gradient check, backprop mode and the exports
/// read, without stopping the thread.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// Steps taken.
    pub step: usize,
    /// Where the run stands.
    pub state: State,
    /// The network of the first engine (autodiff, unless the run is manual only).
    pub model: Mlp,
}

/// A run as the thread reports it once it has drawn its data.
#[derive(Clone, Debug)]
pub struct Started {
    /// The configuration it trains, epochs set.
    pub config: ExperimentConfig,
    /// Its 2-D points `[x1, x2, target]`, training then test, if the inputs are a plane.
    pub points: Option<[Vec<[f64; 3]>; 2]>,
    /// The plane's extent.
    pub plane: Option<[[f64; 2]; 2]>,
    /// What the output means.
    pub kind: Kind,
    /// Output units (classes, for more than two).
    pub outputs: usize,
}

/// The server's handle on a run's thread.
pub struct Handle {
    /// The controls.
    controls: Sender<Control>,
    /// The latest frame, as JSON.
    pub frames: watch::Receiver<Arc<str>>,
    /// The networks of the latest frame (set before [`start`] returns).
    snapshot: Arc<Mutex<Option<Snapshot>>>,
    /// The thread.
    thread: Option<JoinHandle<()>>,
}

impl Handle {
    /// The latest snapshot.
    pub fn snapshot(&self) -> Result<Snapshot> {
        self.snapshot
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or_else(|| Error::Data("the run has published no network yet".to_string()))
    }

    /// Sends `control` to the thread (a thread that has ended ignores it).
    pub fn send(&self, control: Control) {
        let _ = self.controls.send(control);
    }

    /// Asks the thread to end and waits for it.
    pub fn stop(&mut self) {
        self.send(Control::Stop);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts run `id` of `settings` on `device`: its thread draws the data and the network, and
/// this returns once it has (or has failed to, with the error that says why).
pub fn start(
    id: &str,
    settings: &Settings,
    file: Option<&DataFile>,
    device: &Device,
) -> Result<(Handle, Started)> {
    let config = settings.config(file)?;
    let (controls, listen) = channel();
    let (started_tx, started_rx) = channel();
    let (frames_tx, frames) = watch::channel(Arc::<str>::from("{}"));
    let snapshot = Arc::new(Mutex::new(None));
    let outbox = Outbox {
        id: id.to_string(),
        frames: frames_tx,
        snapshot: snapshot.clone(),
    };
    let (settings, device) = (settings.clone(), device.clone());
    let thread = std::thread::Builder::new()
        .name(format!("playground {id}"))
        .spawn(
            move || match Trainer::new(&settings, config, &device, listen, outbox) {
                Ok((trainer, batches, started)) => {
                    if started_tx.send(Ok(started)).is_ok() {
                        trainer.run(&batches);
                    }
                }
                Err(e) => {
                    let _ = started_tx.send(Err(e));
                }
            },
        )
        .map_err(|e| Error::Data(format!("could not start a training thread: {e}")))?;
    let mut handle = Handle {
        controls,
        frames,
        snapshot,
        thread: Some(thread),
    };
    match started_rx.recv() {
        Ok(Ok(started)) => Ok((handle, started)),
        Ok(Err(e)) => {
            handle.stop();
            Err(e)
        }
        Err(_) => {
            handle.stop();
            Err(Error::Data(
                "the training thread ended before it started".to_string(),
            ))
        }
    }
}

/// Where the thread publishes.
struct Outbox {
    id: String,
    frames: watch::Sender<Arc<str>>,
    snapshot: Arc<Mutex<Option<Snapshot>>>,
}

/// The thread's side of a run.
struct Trainer {
    config: ExperimentConfig,
    /// One engine, or autodiff then manual.
    steppers: Vec<Box<dyn Stepper>>,
    test: Option<Batches>,
    painter: Option<Painter>,
    listen: Receiver<Control>,
    outbox: Outbox,
    step: usize,
    total: usize,
    epoch: usize,
    state: State,
    message: Option<String>,
    /// Steps still to take before pausing, when not playing.
    budget: usize,
    /// The last frame's time and step.
    last_frame: (Instant, usize),
    steps_per_second: f64,
    /// The batch losses of the last step, one per engine.
    losses: Vec<f64>,
    worst_delta_loss: f64,
    /// A step was taken since the last frame.
    dirty: bool,
}

impl Trainer {
    /// Draws the data and the network of `config`, sets up the engines, and publishes the
    /// first frame.
    fn new(
        settings: &Settings,
        config: ExperimentConfig,
        device: &Device,
        listen: Receiver<Control>,
        outbox: Outbox,
    ) -> Result<(Self, Batches, Started)> {
        let experiment = Experiment::new(&config, &device.clone().autodiff())?;
        let examples = experiment.examples().map_or(0, Examples::len);
        let config = settings.with_epochs(config, examples);
        let plane = Plane::of(&config, &experiment)?;
        let painter = plane.as_ref().map(|plane| {
            Painter::new(
                plane.kind,
                &plane.all,
                config.input_features(),
                experiment.standardization(),
                config.dtype,
                device,
            )
        });
        let engines = match settings.engine {
            Engines::Autodiff => vec![Engine::Autodiff],
            Engines::Manual => vec![Engine::Manual],
            Engines::Both => vec![Engine::Autodiff, Engine::Manual],
        };
        let model = experiment.model.clone();
        let (batches, test) = experiment.data.batches(&config, device)?;
        let steppers = engines
            .into_iter()
            .map(|engine| stepper(&config, engine, model.clone(), device))
            .collect::<Result<Vec<_>>>()?;
        let total = config.total_steps(batches.examples());
        let started = Started {
            config: config.clone(),
            points: plane.as_ref().map(|p| p.points.clone()),
            plane: painter.as_ref().map(Painter::extent),
            kind: plane.as_ref().map_or(Kind::Regression, |p| p.kind),
            outputs: config.sizes().last().copied().unwrap_or(1),
        };
        let mut trainer = Self {
            config,
            steppers,
            test,
            painter,
            listen,
            outbox,
            step: 0,
            total,
            epoch: 0,
            state: State::Paused,
            message: None,
            budget: 0,
            last_frame: (Instant::now(), 0),
            steps_per_second: 0.0,
            losses: Vec::new(),
            worst_delta_loss: 0.0,
            dirty: true,
        };
        trainer.publish(&batches)?;
        Ok((trainer, batches, started))
    }
}

/// A 2-D run's points and what its output means.
struct Plane {
    kind: Kind,
    /// Every point, to frame the plane.
    all: Examples,
    /// `[x1, x2, target]`, training then test.
    points: [Vec<[f64; 3]>; 2],
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
        let outputs = config.sizes().last().copied().unwrap_or(1);
        let kind = match (config.loss, outputs) {
            (crate::loss::LossKind::Mse | crate::loss::LossKind::Hinge, _) => Kind::Regression,
            (_, 1 | 2) => Kind::Binary,
            _ => Kind::Classes,
        };
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

impl Trainer {
    /// Trains until the last step, a divergence or [`Control::Stop`]; then waits for the stop.
    fn run(mut self, batches: &Batches) {
        let prepare = self.steppers[0].prepare();
        let outcome = self.epochs(batches, prepare);
        match outcome {
            Ok(true) => return,
            Ok(false) => self.state = State::Finished,
            Err(e) => {
                self.state = State::Diverged;
                self.message = Some(e.to_string());
            }
        }
        self.dirty = true;
        if let Err(e) = self.publish(batches) {
            self.message = Some(e.to_string());
        }
        // Ended: the last frame stays; the thread waits to be stopped.
        while !matches!(self.listen.recv(), Ok(Control::Stop) | Err(_)) {}
    }

    /// Every epoch's steps; `Ok(true)` when stopped, `Ok(false)` at the last step.
    fn epochs(&mut self, batches: &Batches, prepare: crate::train::Prepare) -> Result<bool> {
        for epoch in 0..self.config.epochs {
            self.epoch = epoch;
            for batch in batches.epoch(prepare) {
                let batch = batch?;
                if self.step == self.total {
                    return Ok(false);
                }
                if !self.wait(batches)? {
                    return Ok(true);
                }
                self.step_on(&batch)?;
                let due = self.last_frame.0.elapsed() >= Duration::from_secs(1) / FRAME_RATE;
                if self.budget == 0 && (self.state != State::Playing || due) {
                    self.publish(batches)?;
                }
            }
        }
        Ok(false)
    }

    /// Reads the controls; paused, publishes and waits. `false` when told to stop.
    fn wait(&mut self, batches: &Batches) -> Result<bool> {
        loop {
            while let Ok(control) = self.listen.try_recv() {
                if !self.apply(control) {
                    return Ok(false);
                }
            }
            if self.state == State::Playing {
                return Ok(true);
            }
            if self.budget > 0 {
                self.budget -= 1;
                return Ok(true);
            }
            if self.dirty {
                self.publish(batches)?;
            }
            match self.listen.recv() {
                Ok(control) if self.apply(control) => {}
                _ => return Ok(false),
            }
        }
    }

    /// Applies `control`; `false` for [`Control::Stop`].
    fn apply(&mut self, control: Control) -> bool {
        let was = self.state;
        match control {
            Control::Play => self.state = State::Playing,
            Control::Pause => self.state = State::Paused,
            Control::Step => {
                self.state = State::Paused;
                self.budget += 1;
            }
            Control::Stop => return false,
        }
        if was != self.state {
            self.dirty = true;
            self.last_frame = (Instant::now(), self.step);
        }
        true
    }

    /// One step of every engine on `batch`: the loss at the current parameters, then the
    /// update, as the training loop takes it.
    fn step_on(&mut self, batch: &crate::data::Batch) -> Result<()> {
        self.losses.clear();
        for stepper in &mut self.steppers {
            let loss = stepper.forward(batch)?.loss;
            check_finite(loss, self.step, self.config.optimizer.lr)?;
            self.losses.push(loss);
        }
        if let [a, m] = self.losses[..] {
            self.worst_delta_loss = self.worst_delta_loss.max((a - m).abs());
        }
        let lr = self.config.optimizer.lr_at(self.step, self.total);
        for stepper in &mut self.steppers {
            stepper.step(lr)?;
        }
        self.step += 1;
        self.dirty = true;
        Ok(())
    }

    /// Publishes a frame of the current networks and stores them for the inspectors.
    fn publish(&mut self, batches: &Batches) -> Result<()> {
        let models = self
            .steppers
            .iter_mut()
            .map(|s| s.model())
            .collect::<Result<Vec<_>>>()?;
        let model = &models[0];
        let (now, (then, step_then)) = (Instant::now(), self.last_frame);
        let seconds = now.duration_since(then).as_secs_f64();
        self.steps_per_second = if self.state == State::Playing && seconds > 0.0 {
            (self.step - step_then) as f64 / seconds
        } else {
            0.0
        };
        self.last_frame = (now, self.step);
        let train = evaluate(model, batches.in_order(), &self.config)?;
        let test = self
            .test
            .as_ref()
            .map(|t| evaluate(model, t.in_order(), &self.config))
            .transpose()?;
        let compare = match (&self.losses[..], &models[..]) {
            ([a, m], [ma, mm]) => Some(Comparison {
                loss_autodiff: *a,
                loss_manual: *m,
                delta_loss: (a - m).abs(),
                worst_delta_loss: self.worst_delta_loss,
                max_delta_param: max_difference(ma, mm)?,
            }),
            _ => None,
        };
        let frame = Frame {
            run: self.outbox.id.clone(),
            step: self.step,
            total: self.total,
            epoch: self.epoch,
            state: self.state,
            message: self.message.clone(),
            steps_per_second: self.steps_per_second,
            loss: Losses {
                train: train.loss,
                test: test.map(|t| t.loss),
            },
            accuracy: Accuracy {
                train: train.accuracy,
                test: test.and_then(|t| t.accuracy),
            },
            grid: self.painter.as_ref().map(|p| p.grid(model)).transpose()?,
            unit_size: super::frame::UNIT,
            units: self.painter.as_ref().map(|p| p.units(model)).transpose()?,
            weights: weights(model)?,
            compare,
        };
        let json = serde_json::to_string(&frame)
            .map_err(|e| Error::Data(format!("could not write a frame: {e}")))?;
        *self
            .outbox
            .snapshot
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Snapshot {
            step: self.step,
            state: self.state,
            model: model.clone(),
        });
        self.outbox.frames.send_replace(Arc::from(json));
        self.dirty = false;
        Ok(())
    }
}

/// `max |θ_a − θ_m|` over every parameter of two networks of one shape.
fn max_difference(a: &Mlp, m: &Mlp) -> Result<f64> {
    let (a, m) = (weights(a)?, weights(m)?);
    let mut worst = 0.0_f64;
    for (la, lm) in a.iter().zip(&m) {
        for (ra, rm) in la.w.iter().zip(&lm.w) {
            for (x, y) in ra.iter().zip(rm) {
                worst = worst.max((x - y).abs());
            }
        }
        if let (Some(ba), Some(bm)) = (&la.b, &lm.b) {
            for (x, y) in ba.iter().zip(bm) {
                worst = worst.max((x - y).abs());
            }
        }
    }
    Ok(worst)
}
