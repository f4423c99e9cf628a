//! The run directory: fixed file names, every file written atomically (a temporary file in the
//! same directory, flushed, then renamed over the target), so a reader never sees half a file
//! and an interrupted run never destroys a complete one.
//!
//! | file | written | contents |
//! |---|---|---|
//! | `config.json` | before the first step | the [`ExperimentConfig`] |
//! | `history.csv` | at the end, also when training stops early | one row per step |
//! | `summary.json` | at the end | final figures ([`Summary`]) |
//! | `model.bpk` | at the end | the trained weights (burn's burnpack record) |
//! | `compare.csv`, `compare.json` | by `burnprop compare` | both engines at every step, and the verdict |

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::compare::Comparison;
use crate::config::ExperimentConfig;
use crate::device::Backend;
use crate::error::{Error, Result};
use crate::model::Mlp;
use crate::model::mlp::LayerParams;
use crate::train::{Engine, History, Kernel, Trained};

/// `config.json`.
pub const CONFIG: &str = "config.json";
/// `history.csv`.
pub const HISTORY: &str = "history.csv";
/// `epochs.csv`, for data with a test split.
pub const EPOCHS: &str = "epochs.csv";
/// `outputs.csv`, for networks with several independent outputs: each output's cost per step.
pub const OUTPUTS: &str = "outputs.csv";
/// `gradcheck.json`, written by `burnprop reproduce`: the gradient check of the initial network.
pub const GRADCHECK: &str = "gradcheck.json";
/// `confusion.csv`, written by `burnprop eval`.
pub const CONFUSION: &str = "confusion.csv";
/// `summary.json`.
pub const SUMMARY: &str = "summary.json";
/// `model.bpk`.
pub const MODEL: &str = "model.bpk";
/// `compare.csv`, written by `burnprop compare`: both engines at every step.
pub const COMPARE: &str = "compare.csv";
/// `compare.json`, written by `burnprop compare`: its verdict and figures.
pub const COMPARE_SUMMARY: &str = "compare.json";

/// The final figures of a run, as `summary.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
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

impl Summary {
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

/// A run directory.
#[derive(Clone, Debug)]
pub struct RunDir {
    path: PathBuf,
}

impl RunDir {
    /// Creates the directory (and its parents) if needed.
    pub fn create(path: &Path) -> Result<Self> {
        fs::create_dir_all(path).map_err(|source| Error::Io {
            action: "create directory",
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Self {
            path: path.to_path_buf(),
        })
    }

    /// Opens an existing run directory.
    pub fn open(path: &Path) -> Result<Self> {
        if path.join(CONFIG).is_file() {
            Ok(Self {
                path: path.to_path_buf(),
            })
        } else {
            Err(Error::InvalidRun {
                path: path.to_path_buf(),
                reason: format!(
                    "it has no {CONFIG}; pass the --out directory of a `burnprop train` run"
                ),
            })
        }
    }

    /// Begins a run: writes `config.json` and removes the summary and model of an earlier run
    /// in the same directory, which would otherwise sit beside a config they do not match.
    pub fn start(&self, config: &ExperimentConfig) -> Result<()> {
        for stale in [
            SUMMARY,
            MODEL,
            EPOCHS,
            OUTPUTS,
            CONFUSION,
            COMPARE,
            COMPARE_SUMMARY,
            GRADCHECK,
        ] {
            let path = self.path.join(stale);
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(Error::Io {
                        action: "remove",
                        path,
                        source,
                    });
                }
            }
        }
        self.write_json(CONFIG, config)
    }

    /// Writes `history.csv`, `epochs.csv` when epochs were evaluated on a test split, and
    /// `outputs.csv` when several outputs have their own cost.
    pub fn write_history(&self, history: &History) -> Result<()> {
        write_atomic(&self.path.join(HISTORY), history.to_csv().as_bytes())?;
        if !history.epochs.is_empty() {
            write_atomic(&self.path.join(EPOCHS), history.epochs_to_csv().as_bytes())?;
        }
        if !history.outputs.is_empty() {
            write_atomic(
                &self.path.join(OUTPUTS),
                history.outputs_to_csv().as_bytes(),
            )?;
        }
        Ok(())
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads a text file of the run, `None` if it is not there.
    pub fn read_optional(&self, name: &str) -> Result<Option<String>> {
        let path = self.path.join(name);
        match fs::read_to_string(&path) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(Error::Io {
                action: "read",
                path,
                source,
            }),
        }
    }

    /// Writes `gradcheck.json`.
    pub fn write_gradcheck(&self, report: &crate::gradcheck::Report) -> Result<()> {
        self.write_json(GRADCHECK, report)
    }

    /// Writes `summary.json`.
    pub fn write_summary(&self, summary: &Summary) -> Result<()> {
        self.write_json(SUMMARY, summary)
    }

    /// Writes `model.bpk`, the network's burnpack record.
    pub fn write_model(&self, model: &Mlp) -> Result<()> {
        let path = self.path.join(MODEL);
        let bytes = model
            .clone()
            .into_record()
            .into_bytes()
            .map_err(|e| Error::InvalidRun {
                path: path.clone(),
                reason: format!("cannot encode the model: {e}"),
            })?;
        write_atomic(&path, &bytes)
    }

    /// Writes `compare.csv` and `compare.json`.
    pub fn write_comparison(&self, comparison: &Comparison, backend: Backend) -> Result<()> {
        write_atomic(&self.path.join(COMPARE), comparison.to_csv().as_bytes())?;
        self.write_json(COMPARE_SUMMARY, &comparison.summary(backend))
    }

    /// Writes `confusion.csv`.
    pub fn write_confusion(&self, csv: &str) -> Result<PathBuf> {
        let path = self.path.join(CONFUSION);
        write_atomic(&path, csv.as_bytes())?;
        Ok(path)
    }

    /// Reads `config.json`.
    pub fn config(&self) -> Result<ExperimentConfig> {
        let path = self.path.join(CONFIG);
        serde_json::from_slice(&read(&path)?).map_err(|e| {
            // A field added since (such as the optimiser's `schedule`) is the likely cause.
            let hint = if e.to_string().contains("missing field") {
                "; an older burnprop may have written it: train the run again"
            } else {
                ""
            };
            Error::InvalidRun {
                path,
                reason: format!("cannot parse it: {e}{hint}"),
            }
        })
    }

    /// Loads the trained network saved by a finished run, on `device`.
    pub fn model(&self, config: &ExperimentConfig, device: &Device) -> Result<Mlp> {
        let path = self.path.join(MODEL);
        let bytes = read(&path)?;
        let invalid = |reason: String| Error::InvalidRun {
            path: path.clone(),
            reason,
        };
        let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes))
            .map_err(|e| invalid(format!("cannot decode the model: {e}")))?;
        skeleton(config, device)
            .try_load_record(record)
            .map_err(|e| invalid(format!("the model does not match config.json: {e}")))
    }

    fn write_json<T: Serialize>(&self, name: &str, value: &T) -> Result<()> {
        let path = self.path.join(name);
        let mut json = serde_json::to_string_pretty(value).map_err(|e| Error::InvalidRun {
            path: path.clone(),
            reason: format!("cannot encode JSON: {e}"),
        })?;
        json.push('\n');
        write_atomic(&path, json.as_bytes())
    }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).map_err(|source| Error::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    })
}

/// A network of `config`'s shape with zero parameters, ready to receive a saved record.
fn skeleton(config: &ExperimentConfig, device: &Device) -> Mlp {
    let params = config
        .sizes()
        .windows(2)
        .map(|pair| {
            let options = (device, config.dtype.dtype());
            LayerParams {
                weight: Tensor::zeros([pair[0], pair[1]], options),
                bias: config.bias.then(|| Tensor::zeros([pair[1]], options)),
            }
        })
        .collect();
    Mlp::from_params(
        params,
        config.activations.clone(),
        config.loss.output_activation(),
    )
}

/// Writes `bytes` to `path` atomically: a uniquely named temporary file in the same directory,
/// synced to disk, then renamed over `path`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |action: &'static str, at: &Path| {
        let at = at.to_path_buf();
        move |source| Error::Io {
            action,
            path: at,
            source,
        }
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = fs::File::create(&tmp).map_err(io("write", &tmp))?;
        file.write_all(bytes).map_err(io("write", &tmp))?;
        file.sync_all().map_err(io("write", &tmp))?;
        fs::rename(&tmp, path).map_err(io("write", path))
    })();
    if result.is_err() {
        // Best effort: the temporary file is ours and useless after a failure.
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("a.txt");
        write_atomic(&path, b"first").expect("written");
        write_atomic(&path, b"second").expect("rewritten");
        assert_eq!(fs::read_to_string(&path).expect("readable"), "second");
        let names: Vec<_> = fs::read_dir(dir.path())
            .expect("listable")
            .map(|e| e.expect("an entry").file_name())
            .collect();
        assert_eq!(names, ["a.txt"]);
    }

    #[test]
    fn atomic_write_into_a_missing_directory_fails_cleanly() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let err = write_atomic(&dir.path().join("missing/a.txt"), b"x").unwrap_err();
        assert!(err.to_string().starts_with("cannot write"), "{err}");
    }
}
