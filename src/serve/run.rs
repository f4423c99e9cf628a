//! One playground run: a plain thread that owns the engines and trains, and what the server
//! keeps of it (the controls it listens to, the frames it publishes, the network it last
//! showed).
//!
//! The thread steps exactly as `burnprop train` and `burnprop compare` do (the same
//! [`Experiment`], [`Batches`] and [`Stepper`]s; per batch: the loss at the current
//! parameters, then the update at `lr_at(step, total)`), so that the exported command line
//! retraces the session step for step. Between steps it reads the controls; paused, it waits
//! on them. It hands its networks to the drawing thread ([`super::draw`]) at most
//! [`FRAME_RATE`] times a second while playing, after every single step, and when it pauses
//! or ends; the frames go into a [`watch`] channel whose latest value is all a viewer ever
//! reads: a slow page skips frames instead of queueing them.
//!
//! The training thread runs on a rayon pool of one thread of its own: the manual engine's
//! host kernels call rayon, and from a thread of its pool a call is work done in place
//! rather than a hand-off to another thread and back (BENCHMARKS.md, round five).

use std::sync::mpsc::{Receiver, Sender, SyncSender, TrySendError, channel, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use burn::tensor::Device;
use serde::Serialize;
use tokio::sync::watch;

use super::draw::{Drawer, Outbox, Sketch};
use super::frame::Kind;
use super::settings::{Engines, Settings};
use crate::config::{Engine, ExperimentConfig};
use crate::data::{Batch, DataFile, Examples};
use crate::error::{Error, Result};
use crate::model::Mlp;
use crate::train::fit::{check_finite, stepper};
use crate::train::{Batches, Experiment, Prepare, Stepper};

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
/// this returns once it has published the first frame (or has failed to, with the error that
/// says why).
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
    let outbox = (
        id.to_string(),
        Outbox {
            frames: frames_tx,
            snapshot: snapshot.clone(),
        },
    );
    let (settings, device) = (settings.clone(), device.clone());
    let body = move || match Trainer::new(&settings, config, &device, listen, outbox) {
        Ok((trainer, batches, started)) => {
            if started_tx.send(Ok(started)).is_ok() {
                trainer.run(&batches);
            }
        }
        Err(e) => {
            let _ = started_tx.send(Err(e));
        }
    };
    let thread = std::thread::Builder::new()
        .name(format!("playground {id}"))
        .spawn(
            move || match rayon::ThreadPoolBuilder::new().num_threads(1).build() {
                Ok(pool) => pool.install(body),
                Err(_) => body(),
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

/// The thread's side of a run.
struct Trainer {
    config: ExperimentConfig,
    /// One engine, or autodiff then manual.
    steppers: Vec<Box<dyn Stepper>>,
    listen: Receiver<Control>,
    /// To the drawing thread, and the thread.
    sketches: Option<SyncSender<Sketch>>,
    drawer: Option<JoinHandle<()>>,
    step: usize,
    total: usize,
    epoch: usize,
    state: State,
    message: Option<String>,
    /// Steps still to take before pausing, when not playing.
    budget: usize,
    /// The last sketch's time and step.
    last_sketch: (Instant, usize),
    /// The batch losses of the last step, one per engine.
    losses: Vec<f64>,
    worst_delta_loss: f64,
    /// A step was taken or the state changed since the last sketch.
    dirty: bool,
}

impl Trainer {
    /// Draws the data and the network of `config`, sets up the engines and the drawing thread,
    /// and draws the first frame.
    fn new(
        settings: &Settings,
        config: ExperimentConfig,
        device: &Device,
        listen: Receiver<Control>,
        (id, outbox): (String, Outbox),
    ) -> Result<(Self, Batches, Started)> {
        let experiment = Experiment::new(&config, &device.clone().autodiff())?;
        let examples = experiment.examples().map_or(0, Examples::len);
        let config = settings.with_epochs(config, examples);
        let engines = match settings.engine {
            Engines::Autodiff => vec![Engine::Autodiff],
            Engines::Manual => vec![Engine::Manual],
            Engines::Both => vec![Engine::Autodiff, Engine::Manual],
        };
        let steppers = engines
            .into_iter()
            .map(|engine| stepper(&config, engine, experiment.model.clone(), device))
            .collect::<Result<Vec<_>>>()?;
        let (batches, _) = experiment.data.clone().batches(&config, device)?;
        let total = config.total_steps(batches.examples());
        let (drawer, plane) = Drawer::new(&id, &config, &experiment, total, device, outbox)?;
        let started = Started {
            config: config.clone(),
            plane: drawer.extent(),
            points: plane.as_ref().map(|p| p.points.clone()),
            kind: Kind::of(&config),
            outputs: config.sizes().last().copied().unwrap_or(1),
        };
        let mut trainer = Self {
            config,
            steppers,
            listen,
            sketches: None,
            drawer: None,
            step: 0,
            total,
            epoch: 0,
            state: State::Paused,
            message: None,
            budget: 0,
            last_sketch: (Instant::now(), 0),
            losses: Vec::new(),
            worst_delta_loss: 0.0,
            dirty: false,
        };
        drawer.draw(trainer.sketch()?)?;
        let (sketches, inbox) = sync_channel(1);
        let thread = std::thread::Builder::new()
            .name(format!("playground {id} drawing"))
            .spawn(move || drawer.run(&inbox))
            .map_err(|e| Error::Data(format!("could not start a drawing thread: {e}")))?;
        trainer.sketches = Some(sketches);
        trainer.drawer = Some(thread);
        Ok((trainer, batches, started))
    }

    /// The networks as they stand.
    fn sketch(&mut self) -> Result<Sketch> {
        let models = self
            .steppers
            .iter_mut()
            .map(|s| s.model())
            .collect::<Result<Vec<Mlp>>>()?;
        let (now, (then, step_then)) = (Instant::now(), self.last_sketch);
        let seconds = now.duration_since(then).as_secs_f64();
        let steps_per_second = if self.state == State::Playing && seconds > 0.0 {
            (self.step - step_then) as f64 / seconds
        } else {
            0.0
        };
        self.last_sketch = (now, self.step);
        self.dirty = false;
        Ok(Sketch {
            step: self.step,
            epoch: self.epoch,
            state: self.state,
            message: self.message.clone(),
            steps_per_second,
            models,
            losses: self.losses.clone(),
            worst_delta_loss: self.worst_delta_loss,
        })
    }

    /// Hands the networks to the drawing thread: dropped if it is busy and `wait` is false
    /// (the next one will do), else queued for it.
    fn hand_over(&mut self, wait: bool) -> Result<()> {
        let sketch = self.sketch()?;
        let Some(sketches) = &self.sketches else {
            return Ok(());
        };
        let sent = if wait {
            sketches
                .send(sketch)
                .map_err(|e| TrySendError::Disconnected(e.0))
        } else {
            sketches.try_send(sketch)
        };
        match sent {
            Ok(()) | Err(TrySendError::Full(_)) => Ok(()),
            Err(TrySendError::Disconnected(_)) => {
                Err(Error::Data("the drawing thread stopped".to_string()))
            }
        }
    }

    /// Trains until the last step, a divergence or [`Control::Stop`]; then, unless stopped,
    /// waits for the stop. Ends the drawing thread on the way out.
    fn run(mut self, batches: &Batches) {
        let prepare = self.steppers[0].prepare();
        let stopped = match self.epochs(batches, prepare) {
            Ok(stopped) => stopped,
            Err(e) => {
                self.state = State::Diverged;
                self.message = Some(e.to_string());
                false
            }
        };
        if !stopped {
            if self.state != State::Diverged {
                self.state = State::Finished;
            }
            let _ = self.hand_over(true);
            // Ended: the last frame stays; the thread waits to be stopped.
            while !matches!(self.listen.recv(), Ok(Control::Stop) | Err(_)) {}
        }
        self.sketches = None;
        if let Some(drawer) = self.drawer.take() {
            let _ = drawer.join();
        }
    }

    /// Every epoch's steps; `Ok(true)` when stopped, `Ok(false)` after the last step.
    fn epochs(&mut self, batches: &Batches, prepare: Prepare) -> Result<bool> {
        for epoch in 0..self.config.epochs {
            self.epoch = epoch;
            for batch in batches.epoch(prepare) {
                let batch = batch?;
                if self.step == self.total {
                    return Ok(false);
                }
                if !self.wait()? {
                    return Ok(true);
                }
                self.step_on(&batch)?;
                if self.state != State::Playing {
                    self.hand_over(true)?;
                } else if self.last_sketch.0.elapsed() >= Duration::from_secs(1) / FRAME_RATE {
                    self.hand_over(false)?;
                }
            }
        }
        Ok(false)
    }

    /// Reads the controls; paused, hands over its networks and waits. `false` when told to
    /// stop.
    fn wait(&mut self) -> Result<bool> {
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
                self.hand_over(true)?;
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
            self.last_sketch = (Instant::now(), self.step);
        }
        true
    }

    /// One step of every engine on `batch`: the loss at the current parameters, then the
    /// update, as the training loop takes it.
    fn step_on(&mut self, batch: &Batch) -> Result<()> {
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
}
