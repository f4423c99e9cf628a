//! Checkpoints: everything a stopped run needs to continue bit for bit, in one file
//! (`checkpoint.bin`) written atomically, so that a run killed at any moment leaves either the
//! previous checkpoint or the new one, never half of one.
//!
//! | part | what |
//! |---|---|
//! | `state.json` | the run id of the directory it was written into (absent in checkpoints written before run ids existed); the engine, kernel and backend; steps taken, the epoch and the steps taken in it; the total; the seconds trained |
//! | `config.json` | the run's [`ExperimentConfig`], which `--resume` holds the run directory's against |
//! | `history.csv`, `epochs.csv`, `outputs.csv` | the history so far, floats in Rust's shortest round-trip form (exact) |
//! | `model.bpk` | the network (burn's burnpack record) |
//! | `momentum.bpk` | the momentum of every parameter, as a network of the same shape (once a step has been taken with momentum): burn `Sgd`'s velocity `v` for the autodiff engine, notebook 000's `M` for the manual engine |
//!
//! The learning-rate schedule is a function of the step (`OptimizerConfig::lr_at`), so the
//! step is its position; the manual engine's last rate (for the momentum correction) is kept
//! in `state.json` as the bits of an `f64`. The data order is burn's `DataLoader`, reshuffled
//! at the start of every epoch by a generator seeded once with the run's seed: its state after
//! `e` epochs is a function of the seed and `e`, so resuming replays the `e` shuffles (cheap:
//! a permutation each) and skips the batches of the current epoch already trained on.
//!
//! The file: the magic line `burnprop checkpoint 1\n`, the number of parts (`u32`), each part
//! as its name's length (`u32`), the name, its length (`u64`) and its bytes, and a CRC-32 of
//! everything before it (`u32`), all little-endian. A damaged file fails the checksum and is
//! reported as such.

use burn::module::Module;
use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use super::history::{History, StepRecord};
use super::steppers::{OptimizerState, Stepper};
use crate::artifacts::{CHECKPOINT, RunDir, model_from_bytes};
use crate::config::{Engine, ExperimentConfig, Kernel};
use crate::error::{Error, Result};
use crate::model::Mlp;

/// The first bytes of a checkpoint file; the digit is the format's version.
const MAGIC: &[u8] = b"burnprop checkpoint 1\n";

/// Where a run stands between two steps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// Optimiser steps taken.
    pub step: usize,
    /// The epoch the next step belongs to (0-based).
    pub epoch: usize,
    /// Steps of that epoch already taken.
    pub epoch_steps: usize,
}

impl Position {
    /// The start of epoch `epoch` (0-based), `step` steps into the run.
    pub fn epoch_start(step: usize, epoch: usize) -> Self {
        Self {
            step,
            epoch,
            epoch_steps: 0,
        }
    }

    /// The steps of `epoch` taken before this position: those of its own epoch, none of a
    /// later one.
    pub fn taken_in(self, epoch: usize) -> usize {
        if epoch == self.epoch {
            self.epoch_steps
        } else {
            0
        }
    }
}

/// What `state.json` holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct State {
    /// The run id of the run directory the checkpoint was written into.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    run_id: Option<String>,
    /// The engine that trained the run.
    engine: Engine,
    /// The kernel that computed its steps (`tensor`, `fused` or `wide`).
    kernel: Kernel,
    /// The backend it ran on.
    backend: String,
    /// Where it stands.
    position: Position,
    /// The steps the run will take in all.
    total_steps: usize,
    /// Seconds spent training so far.
    wall_seconds: f64,
    /// The manual engine's last learning rate, as the bits of an `f64` (exact).
    previous_lr_bits: Option<u64>,
    /// burnprop's version.
    version: String,
}

/// A run's state between two steps: what `train --resume` continues from.
#[derive(Clone, Debug)]
pub struct Checkpoint {
    /// The run's configuration.
    pub config: ExperimentConfig,
    state: State,
    /// The history up to this point.
    pub history: History,
    /// `model.bpk`'s bytes.
    model: Vec<u8>,
    /// `momentum.bpk`'s bytes (after the first step with momentum).
    momentum: Option<Vec<u8>>,
}

impl Checkpoint {
    /// The state of `stepper` at `position`, with the history so far.
    #[allow(clippy::too_many_arguments)]
    pub fn capture(
        stepper: &mut dyn Stepper,
        config: &ExperimentConfig,
        backend: &str,
        position: Position,
        total_steps: usize,
        wall_seconds: f64,
        history: &History,
    ) -> Result<Self> {
        let model = stepper.model()?;
        let state = stepper.optimizer_state()?;
        let momentum = state
            .momentum
            .map(|layers| encode_model(model.with_params(layers)))
            .transpose()?;
        Ok(Self {
            config: config.clone(),
            state: State {
                run_id: None,
                engine: stepper.engine(),
                kernel: stepper.kernel(),
                backend: backend.to_string(),
                position,
                total_steps,
                wall_seconds,
                previous_lr_bits: state.previous_lr.map(f64::to_bits),
                version: env!("CARGO_PKG_VERSION").to_string(),
            },
            history: history.clone(),
            model: encode_model(model)?,
            momentum,
        })
    }

    /// Where the run stands.
    pub fn position(&self) -> Position {
        self.state.position
    }

    /// The run id of the directory the checkpoint was written into (none in a checkpoint
    /// written before run ids existed).
    pub fn run_id(&self) -> Option<&str> {
        self.state.run_id.as_deref()
    }

    /// The engine that trained the run.
    pub fn engine(&self) -> Engine {
        self.state.engine
    }

    /// The kernel that computed its steps.
    pub fn kernel(&self) -> Kernel {
        self.state.kernel
    }

    /// The backend it ran on (`flex`, `wgpu`, …).
    pub fn backend(&self) -> &str {
        &self.state.backend
    }

    /// The steps the run takes in all.
    pub fn total_steps(&self) -> usize {
        self.state.total_steps
    }

    /// Seconds spent training up to this point.
    pub fn wall_seconds(&self) -> f64 {
        self.state.wall_seconds
    }

    /// The network, on `device` (plain).
    pub fn model(&self, device: &Device) -> Result<Mlp> {
        decode_model(&self.config, &self.model, device).map_err(|reason| self.invalid(reason))
    }

    /// The optimiser's state, its tensors on `device`.
    pub fn optimizer_state(&self, device: &Device) -> Result<OptimizerState> {
        let momentum = self
            .momentum
            .as_ref()
            .map(|bytes| decode_model(&self.config, bytes, device))
            .transpose()
            .map_err(|reason| self.invalid(reason))?;
        Ok(OptimizerState {
            momentum: momentum.map(|m| m.params()),
            previous_lr: self.state.previous_lr_bits.map(f64::from_bits),
        })
    }

    fn invalid(&self, reason: String) -> Error {
        Error::Data(format!("{CHECKPOINT}: {reason}"))
    }

    /// Writes the checkpoint into `dir`, atomically, with `dir`'s run id.
    pub fn write(&self, dir: &RunDir) -> Result<()> {
        let unencodable = |e: serde_json::Error| {
            Error::Data(format!("cannot encode the checkpoint as JSON: {e}"))
        };
        let state = State {
            run_id: dir.run_id().map(str::to_string),
            ..self.state.clone()
        };
        let state = serde_json::to_vec_pretty(&state).map_err(unencodable)?;
        let config = serde_json::to_vec_pretty(&self.config).map_err(unencodable)?;
        let mut parts: Vec<(&str, Vec<u8>)> = vec![
            ("state.json", state),
            ("config.json", config),
            ("history.csv", self.history.to_csv().into_bytes()),
            ("epochs.csv", self.history.epochs_to_csv().into_bytes()),
            ("outputs.csv", self.history.outputs_to_csv().into_bytes()),
            ("model.bpk", self.model.clone()),
        ];
        parts.extend(self.momentum.clone().map(|b| ("momentum.bpk", b)));
        dir.write(CHECKPOINT, &encode(&parts))?;
        Ok(())
    }

    /// Reads `dir`'s checkpoint, `None` if it has none; a damaged or inconsistent file is an
    /// error naming it.
    pub fn read(dir: &RunDir) -> Result<Option<Self>> {
        let path = dir.path().join(CHECKPOINT);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(Error::Io {
                    action: "read",
                    path,
                    source,
                });
            }
        };
        Self::decode(&bytes)
            .map(Some)
            .map_err(|reason| Error::InvalidRun { path, reason })
    }

    /// Parses a checkpoint file's bytes.
    pub fn decode(bytes: &[u8]) -> std::result::Result<Self, String> {
        let mut parts = decode(bytes)?;
        let mut take = |name: &str| {
            parts
                .iter()
                .position(|(n, _)| n == name)
                .map(|i| parts.swap_remove(i).1)
        };
        let mut need = |name: &str| take(name).ok_or_else(|| format!("it has no {name}"));
        let state: State = serde_json::from_slice(&need("state.json")?)
            .map_err(|e| format!("its state.json cannot be parsed: {e}"))?;
        let config = ExperimentConfig::from_json(&need("config.json")?)
            .map_err(|e| format!("its config.json cannot be parsed: {e}"))?;
        config
            .validate()
            .map_err(|e| format!("its config.json is not valid: {e}"))?;
        let text = |bytes: Vec<u8>, name: &str| {
            String::from_utf8(bytes).map_err(|_| format!("its {name} is not UTF-8 text"))
        };
        let records = History::records_from_csv(&text(need("history.csv")?, "history.csv")?)
            .map_err(|e| format!("its history.csv: {e}"))?;
        let epochs = History::epochs_from_csv(&text(need("epochs.csv")?, "epochs.csv")?)
            .map_err(|e| format!("its epochs.csv: {e}"))?;
        let outputs = History::outputs_from_csv(&text(need("outputs.csv")?, "outputs.csv")?)
            .map_err(|e| format!("its outputs.csv: {e}"))?;
        let model = need("model.bpk")?;
        let momentum = take("momentum.bpk");
        let checkpoint = Self {
            config,
            state,
            history: History {
                records,
                epochs,
                outputs,
            },
            model,
            momentum,
        };
        checkpoint.check()?;
        Ok(checkpoint)
    }

    /// Checks that the parts agree with each other.
    fn check(&self) -> std::result::Result<(), String> {
        let p = self.state.position;
        let rows = self.history.records.len();
        if p.step > self.state.total_steps || rows != p.step {
            return Err(format!(
                "it says {} of {} steps were taken, and its history has {rows} rows",
                p.step, self.state.total_steps
            ));
        }
        let in_epoch = self
            .history
            .records
            .iter()
            .filter(|r: &&StepRecord| r.epoch == p.epoch)
            .count();
        if in_epoch != p.epoch_steps || self.history.epochs.len() > p.epoch {
            return Err(format!(
                "its position (epoch {}, step {} of it) does not match its history",
                p.epoch, p.epoch_steps
            ));
        }
        if self.state.engine == Engine::Autodiff && self.state.previous_lr_bits.is_some() {
            return Err("its optimiser state is not the autodiff engine's".to_string());
        }
        Ok(())
    }
}

/// The network as burn's burnpack record.
fn encode_model(model: Mlp) -> Result<Vec<u8>> {
    model
        .into_record()
        .into_bytes()
        .map(|bytes| bytes.to_vec())
        .map_err(|e| Error::Data(format!("cannot encode the network for a checkpoint: {e}")))
}

/// A network of `config`'s shape on `device` from its burnpack record.
fn decode_model(
    config: &ExperimentConfig,
    bytes: &[u8],
    device: &Device,
) -> std::result::Result<Mlp, String> {
    model_from_bytes(config, bytes.to_vec(), device)
        .map_err(|reason| format!("a network in it is unusable: {reason}"))
}

/// The file: magic, the parts, the checksum.
fn encode(parts: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let size = parts
        .iter()
        .map(|(n, b)| 12 + n.len() + b.len())
        .sum::<usize>();
    let mut out = Vec::with_capacity(MAGIC.len() + 8 + size);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(parts.len() as u32).to_le_bytes());
    for (name, bytes) in parts {
        out.extend_from_slice(&(name.len() as u32).to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        out.extend_from_slice(bytes);
    }
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// The parts of a checkpoint file, after checking its magic and checksum.
fn decode(bytes: &[u8]) -> std::result::Result<Vec<(String, Vec<u8>)>, String> {
    let body = bytes
        .strip_prefix(MAGIC)
        .ok_or("it is not a burnprop checkpoint (or one of another version)")?;
    let (body, crc) = body.split_last_chunk::<4>().ok_or("it is truncated")?;
    let whole = &bytes[..bytes.len() - 4];
    if crc32fast::hash(whole) != u32::from_le_bytes(*crc) {
        return Err("it is damaged (its checksum does not match its contents)".to_string());
    }
    let mut rest = body;
    let mut take = |n: usize| -> std::result::Result<&[u8], String> {
        if rest.len() < n {
            return Err("it is truncated".to_string());
        }
        let (head, tail) = rest.split_at(n);
        rest = tail;
        Ok(head)
    };
    let count = u32::from_le_bytes(take(4)?.try_into().map_err(|_| "truncated")?);
    let mut parts = Vec::new();
    for _ in 0..count {
        let len = u32::from_le_bytes(take(4)?.try_into().map_err(|_| "truncated")?);
        let name = std::str::from_utf8(take(len as usize)?)
            .map_err(|_| "a part's name is not UTF-8")?
            .to_string();
        let len = u64::from_le_bytes(take(8)?.try_into().map_err(|_| "truncated")?);
        let len = usize::try_from(len).map_err(|_| "a part is larger than memory")?;
        parts.push((name, take(len)?.to_vec()));
    }
    if !rest.is_empty() {
        return Err("it has bytes after its last part".to_string());
    }
    Ok(parts)
}
