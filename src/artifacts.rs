//! The run directory: fixed file names, every file written atomically (a temporary file in the
//! same directory, flushed, then renamed over the target), so a reader never sees half a file
//! and an interrupted run never destroys a complete one.
//!
//! | file | written | contents |
//! |---|---|---|
//! | `.lock` | when a writer first holds the directory; left there | the last writer's process id (the lock itself is the OS's) |
//! | `config.json` | before the first step, once the directory is held | the run id, then the [`ExperimentConfig`] |
//! | `history.csv` | at the end, also when training stops early | one row per step |
//! | `summary.json` | at the end, also when training stops early | the run id, final figures and how the run ended (`train::RunSummary`) |
//! | `model.bpk` | at the end, also when training is interrupted | the trained weights (burn's burnpack record) |
//! | `checkpoint.bin` | every 60 s of training (or `--checkpoint-every` steps), at each epoch end, when interrupted; removed when the run completes | everything `train --resume` needs (`train::checkpoint`) |
//! | `compare.csv`, `compare.json` | by `burnprop compare` | both engines at every step, and the verdict |
//! | `training.gif` | by `train --animate`, `plot --animate`, `reproduce` (2-D inputs) | the decision regions as the network learns, beside the loss |
//! | `gradcheck.json`, `confusion.csv` | by `burnprop reproduce`, `burnprop eval` | the gradient check, the test-set confusion matrix |
//!
//! The directory knows the files by name only: each command writes its own results through
//! [`RunDir::write`] and [`RunDir::write_json`].
//!
//! One writer: a run directory is written only under an exclusive advisory lock on its file
//! `.lock` ([`RunDir::create`], [`RunDir::reopen`]), which holds the writer's process id; the
//! operating system releases the lock when the process ends, `kill -9` included. Readers
//! ([`RunDir::open`]) hold a shared lock, so a directory being written is refused in one line
//! instead of read half-written, and a writer is refused while it is read.
//!
//! One run: `config.json` records a run id, drawn when the run starts ([`RunDir::start`]); the
//! files that carry one (`summary.json`, `compare.json`, the checkpoint) are checked against it
//! when the directory is opened. Files written before run ids existed carry none and count as
//! the run's.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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

/// `.lock`: the file a run directory's writer holds locked, with its process id in it.
pub const LOCK: &str = ".lock";

/// The key of the run id in `config.json`, `summary.json` and `compare.json`.
pub const RUN_ID: &str = "run_id";

/// The files a run writes, which a new run removes before its `config.json` is written.
const RUN_FILES: [&str; 12] = [
    CHECKPOINT,
    SUMMARY,
    HISTORY,
    MODEL,
    EPOCHS,
    OUTPUTS,
    CONFUSION,
    COMPARE,
    COMPARE_SUMMARY,
    GRADCHECK,
    ANIMATION,
    CONFIG,
];

/// A run directory, with the lock it was opened under: exclusive for a writer, shared for a
/// reader; released when the last clone is dropped.
#[derive(Clone, Debug)]
pub struct RunDir {
    path: PathBuf,
    /// The open `.lock` file the lock is held on (none where a reader cannot create it: a
    /// directory nobody can write to).
    _lock: Option<Arc<Held>>,
    /// The run id of `config.json` (or of the run [`RunDir::start`] began).
    run_id: Option<String>,
}

impl RunDir {
    /// Creates the directory (and its parents) if needed and holds it for writing: another
    /// process holding it (writing or reading) is an error naming it. Nothing in the
    /// directory is touched until [`RunDir::start`].
    pub fn create(path: &Path) -> Result<Self> {
        fs::create_dir_all(path).map_err(|source| Error::Io {
            action: "create directory",
            path: path.to_path_buf(),
            source,
        })?;
        let lock = lock_exclusive(path)?;
        Ok(Self {
            path: path.to_path_buf(),
            _lock: Some(Arc::new(lock)),
            run_id: None,
        })
    }

    /// Opens an existing run directory to read it, under a shared lock: a directory a run is
    /// writing, or whose files come from different runs, is an error.
    pub fn open(path: &Path) -> Result<Self> {
        require_config(path)?;
        let lock = lock_shared(path)?;
        Self::checked(path, lock)
    }

    /// Opens an existing run directory to continue its run (`train --resume`), holding it for
    /// writing as [`RunDir::create`] does.
    pub fn reopen(path: &Path) -> Result<Self> {
        require_config(path)?;
        let lock = lock_exclusive(path)?;
        Self::checked(path, Some(lock))
    }

    /// The directory with its lock, once its files are seen to come from one run.
    fn checked(path: &Path, lock: Option<Held>) -> Result<Self> {
        let mut dir = Self {
            path: path.to_path_buf(),
            _lock: lock.map(Arc::new),
            run_id: None,
        };
        dir.run_id = dir.stamp(CONFIG)?;
        for name in [SUMMARY, COMPARE_SUMMARY] {
            dir.check_run_id(name, dir.stamp(name)?.as_deref())?;
        }
        Ok(dir)
    }

    /// Whether the directory holds (part of) a run: a config, a checkpoint or a summary.
    pub fn holds_run(&self) -> bool {
        [CONFIG, CHECKPOINT, SUMMARY, COMPARE_SUMMARY]
            .iter()
            .any(|name| self.path.join(name).exists())
    }

    /// Begins a run in a directory held for writing ([`RunDir::create`]): removes every file
    /// of an earlier run, then writes `config.json` with a new run id, so that the directory's
    /// files always come from one run.
    pub fn start(&mut self, config: &ExperimentConfig) -> Result<()> {
        for stale in RUN_FILES {
            self.remove(stale)?;
        }
        let run_id = new_run_id();
        self.write_json(
            CONFIG,
            &Stamped {
                run_id: &run_id,
                value: config,
            },
        )?;
        self.run_id = Some(run_id);
        Ok(())
    }

    /// The run id of the directory's run: `config.json`'s (none in a run written before run
    /// ids existed).
    pub fn run_id(&self) -> Option<&str> {
        self.run_id.as_deref()
    }

    /// Fails unless `found`, the run id the run's file `name` carries, is `config.json`'s (a
    /// missing id matches any: files written before run ids existed carry none).
    pub fn check_run_id(&self, name: &str, found: Option<&str>) -> Result<()> {
        match (self.run_id(), found) {
            (Some(ours), Some(theirs)) if ours != theirs => Err(Error::InvalidRun {
                path: self.path.join(name),
                reason: format!(
                    "it comes from run {theirs} and {CONFIG} from run {ours}: the directory holds files of two runs; train it again with --overwrite"
                ),
            }),
            _ => Ok(()),
        }
    }

    /// The run id recorded in the run's JSON file `name`, if the file is there and has one (a
    /// file that is not JSON is left to its reader to report).
    fn stamp(&self, name: &str) -> Result<Option<String>> {
        Ok(self.read_optional(name)?.and_then(|text| {
            serde_json::from_str::<serde_json::Value>(&text)
                .ok()?
                .get(RUN_ID)?
                .as_str()
                .map(str::to_string)
        }))
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

/// A value written with the run id before its own fields.
#[derive(Serialize)]
struct Stamped<'a, T> {
    run_id: &'a str,
    #[serde(flatten)]
    value: &'a T,
}

/// A new run id: the start time in nanoseconds since 1970 and the process id, in hexadecimal
/// (unique among the runs of a directory, which are never two at once).
fn new_run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{nanos:x}-{:x}", std::process::id())
}

/// Fails unless `path` holds a `config.json`.
fn require_config(path: &Path) -> Result<()> {
    if path.join(CONFIG).is_file() {
        Ok(())
    } else {
        Err(Error::InvalidRun {
            path: path.to_path_buf(),
            reason: format!(
                "it has no {CONFIG}; pass the --out directory of a `burnprop train` run"
            ),
        })
    }
}

/// An open `.lock` file with the lock held on it, released by an explicit unlock when dropped.
/// The lock belongs to the open file, which a child process forked meanwhile by any thread
/// shares until it starts its program: closing the file alone left the lock held for that
/// moment, and a run resumed right after its stop in a process spawning children (the test
/// suite) was refused as in use by itself. Unlocking releases it for every copy.
#[derive(Debug)]
struct Held(fs::File);

impl Drop for Held {
    fn drop(&mut self) {
        // Closing the file follows, which releases the lock where unlocking failed.
        let _ = self.0.unlock();
    }
}

/// Takes the exclusive lock on `dir`'s `.lock` and writes this process's id into it, or names
/// whoever holds it.
fn lock_exclusive(dir: &Path) -> Result<Held> {
    let path = dir.join(LOCK);
    let io = |action: &'static str| {
        let path = path.clone();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    };
    let mut file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io("create"))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => {
            return Err(Error::RunInUse {
                path: dir.to_path_buf(),
                holder: holder(&path),
                advice: "wait for it to end, or choose another directory",
            });
        }
        Err(fs::TryLockError::Error(source)) => return Err(io("lock")(source)),
    }
    file.set_len(0).map_err(io("write"))?;
    writeln!(file, "{}", std::process::id()).map_err(io("write"))?;
    Ok(Held(file))
}

/// Who holds the lock on `.lock` at `path`, which an exclusive lock was just refused: readers
/// if a shared lock is granted, else the writer whose process id the file holds.
fn holder(path: &Path) -> String {
    let readers = fs::File::open(path).is_ok_and(|probe| {
        let shared = probe.try_lock_shared().is_ok();
        drop(Held(probe));
        shared
    });
    if readers {
        return "another burnprop process is reading it".to_string();
    }
    match fs::read_to_string(path)
        .ok()
        .and_then(|text| text.trim().parse::<u32>().ok())
    {
        Some(pid) => format!("process {pid} is writing it"),
        None => "another process is writing it".to_string(),
    }
}

/// Takes a shared lock on `dir`'s `.lock`, refused while a writer holds it. A directory where
/// the file can be neither created nor opened (read-only, and never written by a burnprop
/// that locks) is read without a lock.
fn lock_shared(dir: &Path) -> Result<Option<Held>> {
    let path = dir.join(LOCK);
    let file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .or_else(|_| fs::File::open(&path));
    let Ok(file) = file else {
        return Ok(None);
    };
    match file.try_lock_shared() {
        Ok(()) => Ok(Some(Held(file))),
        Err(fs::TryLockError::WouldBlock) => Err(Error::RunInUse {
            path: dir.to_path_buf(),
            holder: holder(&path),
            advice: "wait for it to end: until then its files are not all there",
        }),
        Err(fs::TryLockError::Error(source)) => Err(Error::Io {
            action: "lock",
            path,
            source,
        }),
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
