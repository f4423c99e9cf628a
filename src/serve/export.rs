//! What a playground session takes home: the run directory `burnprop train` writes for it
//! (one `.tar.gz`), its data as CSV, and its trace as Markdown or JSON.
//!
//! The run directory is not assembled from the session's memory: the session's configuration
//! is trained again by [`run_to_dir`], the function behind `burnprop train`, and stopped after
//! as many steps as the session took, as Ctrl-C stops a run. Same seed, same steps: the
//! directory holds the session's network, a history whose losses are the session's, and a
//! checkpoint from which `burnprop train --resume` goes on to the session's last step with
//! the session's learning-rate schedule.

use std::cell::Cell;
use std::path::Path;

use burn::tensor::Device;
use flate2::Compression;
use flate2::write::GzEncoder;

use super::run::{Snapshot, Started};
use crate::device::Backend;
use crate::error::{Error, Result};
use crate::interrupt::Signal;
use crate::plot::plot_run;
use crate::tensor::Layout;
use crate::trace::{Document, Header, rows};
use crate::train::{CheckpointPolicy, Experiment, Observer, RunOptions, StepRecord, run_to_dir};

/// Counts the steps of a run (what the stop asks after every step).
struct Counter<'a>(&'a Cell<usize>);

impl Observer for Counter<'_> {
    fn step(&mut self, _record: &StepRecord) {
        self.0.set(self.0.get() + 1);
    }
}

/// The session's run directory, trained again to `snapshot.step` in a directory under
/// `scratch`, with its figures, as a gzipped tar of `burnprop-run/`.
pub fn run_archive(
    started: &Started,
    snapshot: &Snapshot,
    backend: Backend,
    device: &Device,
    scratch: &Path,
) -> Result<Vec<u8>> {
    if snapshot.step == 0 {
        return Err(Error::InvalidConfig(
            "the run has taken no step yet: press play or step first".to_string(),
        ));
    }
    let work = tempfile::tempdir_in(scratch).map_err(|e| io("a scratch directory", &e))?;
    let dir = work.path().join("burnprop-run");
    let steps = Cell::new(0);
    let stop = || (steps.get() >= snapshot.step).then_some(Signal::Interrupt);
    let options = RunOptions {
        checkpoints: CheckpointPolicy {
            every_steps: None,
            every: None,
        },
        stop: &stop,
        overwrite: false,
    };
    run_to_dir(
        &started.config,
        backend,
        device,
        &dir,
        &options,
        &mut Counter(&steps),
    )?;
    // The figures are a bonus: a run they cannot be drawn for still goes home.
    let _ = plot_run(&dir, None, device);
    archive(&dir).map_err(|e| io("the archive", &e))
}

/// `dir`'s files (not its lock, `.lock`) as a gzipped tar of `burnprop-run/`.
fn archive(dir: &Path) -> std::io::Result<Vec<u8>> {
    let mut archive = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::default()));
    let mut names: Vec<_> = std::fs::read_dir(dir)?
        .map(|entry| entry.map(|e| e.file_name()))
        .collect::<std::io::Result<_>>()?;
    names.sort();
    for name in names
        .iter()
        .filter(|n| !n.to_string_lossy().starts_with('.'))
    {
        archive.append_path_with_name(dir.join(name), Path::new("burnprop-run").join(name))?;
    }
    archive.into_inner()?.finish()
}

fn io(what: &str, e: &std::io::Error) -> Error {
    Error::Data(format!("could not write {what}: {e}"))
}

/// The session's 2-D points as CSV, `x1,x2,target,split`; `None` for a run without a plane.
pub fn data_csv(started: &Started) -> Option<String> {
    let [train, test] = started.points.as_ref()?;
    let mut text = String::from("x1,x2,target,split\n");
    for (rows, split) in [(train, "train"), (test, "test")] {
        for [x1, x2, t] in rows {
            text.push_str(&format!("{x1},{x2},{t},{split}\n"));
        }
    }
    Some(text)
}

/// The forward and backward pass of the session's network on its first `n` training examples
/// (at most 4), as `burnprop trace` documents it.
pub fn trace(
    started: &Started,
    snapshot: &Snapshot,
    backend: Backend,
    device: &Device,
) -> Result<Document> {
    let config = &started.config;
    let experiment = Experiment::new(config, device)?;
    let batch = experiment.first_batch(config, 4, device);
    let objective = crate::loss::Objective {
        kind: config.loss,
        reduction: config.reduction,
        l2: config.penalty(),
    };
    let trace = rows(&snapshot.model, batch.inputs(), batch.targets(), objective)?;
    let header = Header::new(config, Layout::Row, backend, &trace);
    Ok(Document::new(header, trace))
}
