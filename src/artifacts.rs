//! The run directory: fixed file names, every file written atomically (a temporary file in the
//! same directory, flushed, then renamed over the target), so a reader never sees half a file
//! and an interrupted run never destroys a complete one.
//!
//! | file | written | contents |
//! |---|---|---|
//! | `config.json` | before the first step | the [`ExperimentConfig`] |
//! | `history.csv` | at the end, also when training stops early | one row per step |
//! | `summary.json` | at the end, also when training stops early | final figures and how the run ended (`train::RunSummary`) |
//! | `model.bpk` | at the end, also when training is interrupted | the trained weights (burn's burnpack record) |
//! | `checkpoint.bin` | every 60 s of training (or `--checkpoint-every` steps), at each epoch end, when interrupted; removed when the run completes | everything `train --resume` needs (`train::checkpoint`) |
//! | `compare.csv`, `compare.json` | by `burnprop compare` | both engines at every step, and the verdict |
//! | `training.gif` | by `train --animate`, `plot --animate`, `reproduce` (2-D inputs) | the decision regions as the network learns, beside the loss |
//! | `gradcheck.json`, `confusion.csv` | by `burnprop reproduce`, `burnprop eval` | the gradient check, the test-set confusion matrix |
//!
//! The directory knows the files by name only: each command writes its own results through
//! [`RunDir::write`] and [`RunDir::write_json`].

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device, Tensor};
use serde::Serialize;

use crate::config::ExperimentConfig;
use crate::error::{Error, Result};
use crate::model::Mlp;
use crate::model::mlp::LayerParams;

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
/// `checkpoint.bin`: where an unfinished run stands (written by `train`).
pub const CHECKPOINT: &str = "checkpoint.bin";
/// `compare.csv`, written by `burnprop compare`: both engines at every step.
pub const COMPARE: &str = "compare.csv";
/// `compare.json`, written by `burnprop compare`: its verdict and figures.
pub const COMPARE_SUMMARY: &str = "compare.json";
/// `training.gif`, written by `train --animate`, `plot --animate` and `reproduce` for runs on
/// 2-D inputs: the decision regions over training.
pub const ANIMATION: &str = "training.gif";

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
            CHECKPOINT,
            SUMMARY,
            MODEL,
            EPOCHS,
            OUTPUTS,
            CONFUSION,
            COMPARE,
            COMPARE_SUMMARY,
            GRADCHECK,
            ANIMATION,
        ] {
            self.remove(stale)?;
        }
        self.write_json(CONFIG, config)
    }

    /// Removes the run's file `name` if it is there.
    pub fn remove(&self, name: &str) -> Result<()> {
        let path = self.path.join(name);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(Error::Io {
                action: "remove",
                path,
                source,
            }),
        }
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

    /// Reads `config.json`, checked as flags are.
    pub fn config(&self) -> Result<ExperimentConfig> {
        read_config(&self.path.join(CONFIG))
    }

    /// Loads the trained network saved by a finished run, on `device`, after checking that it
    /// is the network `config` describes: the same parameters, of the same shapes, in the
    /// config's precision.
    pub fn model(&self, config: &ExperimentConfig, device: &Device) -> Result<Mlp> {
        let path = self.path.join(MODEL);
        let bytes = read(&path)?;
        model_from_bytes(config, bytes, device).map_err(|reason| Error::InvalidRun { path, reason })
    }

    /// Writes the run's file `name` (one of the names above), atomically.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<PathBuf> {
        let path = self.path.join(name);
        write_atomic(&path, bytes)?;
        Ok(path)
    }

    /// Writes `value` as pretty-printed JSON to the run's file `name`, atomically.
    pub fn write_json<T: Serialize>(&self, name: &str, value: &T) -> Result<()> {
        let path = self.path.join(name);
        let mut json = serde_json::to_string_pretty(value).map_err(|e| Error::InvalidRun {
            path: path.clone(),
            reason: format!("cannot encode JSON: {e}"),
        })?;
        json.push('\n');
        write_atomic(&path, json.as_bytes())
    }
}

/// Reads a run's configuration: a `config.json` file, or the one in a run directory. It is
/// checked as flags are ([`ExperimentConfig::validate`]), and every problem names the file.
pub fn read_config(path: &Path) -> Result<ExperimentConfig> {
    let path = if path.is_dir() {
        path.join(CONFIG)
    } else {
        path.to_path_buf()
    };
    let config = ExperimentConfig::from_json(&read(&path)?).map_err(|e| {
        // from_json fills in the fields added since the first release; a field still missing
        // means another program or a much older burnprop wrote the file.
        let hint = if e.to_string().contains("missing field") {
            "; an older burnprop may have written it: train the run again"
        } else {
            ""
        };
        Error::InvalidRun {
            path: path.clone(),
            reason: format!("cannot parse it: {e}{hint}"),
        }
    })?;
    config.validate().map_err(|e| Error::InvalidRun {
        path,
        reason: format!("it is not a valid configuration: {e}"),
    })?;
    Ok(config)
}

fn read(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).map_err(|source| Error::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    })
}

/// The network `config` describes, on `device`, from a burnpack record (`model.bpk`'s
/// bytes, or a checkpoint's): the same parameters, of the same shapes, in the config's
/// precision; otherwise the reason, as a clause about the file.
pub fn model_from_bytes(
    config: &ExperimentConfig,
    bytes: Vec<u8>,
    device: &Device,
) -> std::result::Result<Mlp, String> {
    // The network is allocated before the record is loaded into it: a config.json whose
    // widths were changed to billions must not allocate them. The file holds every
    // parameter, so it is at least as long as they are.
    let parameter_bytes = parameters(config).saturating_mul(config.dtype.dtype().size());
    if parameter_bytes > bytes.len() {
        return Err(format!(
            "it has {} bytes, too few for the {} network of config.json ({parameter_bytes} bytes of parameters): they are not from the same run",
            bytes.len(),
            config.network()
        ));
    }
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes))
        .map_err(|e| format!("cannot decode the model: {e}"))?;
    let model = skeleton(config, device)
        .try_load_record(record)
        .map_err(|e| {
            format!(
                "it is not the {} network of config.json ({e})",
                config.network()
            )
        })?;
    let expected = config.dtype.dtype();
    let stored = model
        .params()
        .into_iter()
        .flat_map(|layer| [Some(layer.weight.dtype()), layer.bias.map(|b| b.dtype())])
        .flatten()
        .find(|dtype| *dtype != expected);
    if let Some(dtype) = stored {
        return Err(format!(
            "its parameters are {dtype:?}, but config.json says {}",
            config.dtype.name()
        ));
    }
    Ok(model)
}

/// The number of parameters of `config`'s network, saturating rather than overflowing.
fn parameters(config: &ExperimentConfig) -> usize {
    config
        .sizes()
        .windows(2)
        .map(|pair| {
            let biases = if config.bias { pair[1] } else { 0 };
            pair[0].saturating_mul(pair[1]).saturating_add(biases)
        })
        .fold(0, usize::saturating_add)
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
