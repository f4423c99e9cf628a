//! Claiming a run directory for a new run: held for writing, and refused while it holds a run
//! unless told to replace it. The convention is Hugging Face `Trainer`'s (a non-empty output
//! directory is refused without `overwrite_output_dir`): runs keep the fixed paths the
//! commands and the README name (`runs/PRESET`), and nothing is lost by a command typed twice.

use std::path::Path;

use super::checkpoint::Checkpoint;
use super::run::{RunStatus, RunSummary};
use crate::artifacts::{COMPARE_SUMMARY, RunDir, SUMMARY};
use crate::error::{Error, Result};

/// Holds `out` for a new run (creating it if needed): another process holding it is an error
/// naming it; so is a run already there, unless `overwrite`. Its files are left as they are
/// until [`RunDir::start`].
pub fn claim(out: &Path, overwrite: bool) -> Result<RunDir> {
    let dir = RunDir::create(out)?;
    if overwrite || !dir.holds_run() {
        return Ok(dir);
    }
    Err(existing(&dir))
}

/// The error for the run in `dir`: what it is, and how to continue, keep or replace it.
fn existing(dir: &RunDir) -> Error {
    let shown = dir.path().display();
    let keep = "to keep it, choose another --out; to replace it, add --overwrite".to_string();
    let summary = dir
        .read_optional(SUMMARY)
        .ok()
        .flatten()
        .and_then(|text| serde_json::from_str::<RunSummary>(&text).ok());
    let (holds, advice) = match &summary {
        Some(s) if s.status == RunStatus::Completed => (
            format!("a completed run of {} ({} steps)", s.preset, s.steps),
            keep,
        ),
        Some(s) if s.status == RunStatus::Diverged => (
            format!("a run of {} that diverged at step {}", s.preset, s.steps),
            keep,
        ),
        None if dir.path().join(COMPARE_SUMMARY).is_file() => {
            ("a comparison of the engines".to_string(), keep)
        }
        _ => {
            let steps = Checkpoint::read(dir)
                .ok()
                .flatten()
                .map(|c| {
                    (
                        c.config.preset.name().to_string(),
                        c.position().step,
                        c.total_steps(),
                    )
                })
                .or_else(|| summary.map(|s| (s.preset, s.steps, s.total_steps)));
            let holds = match steps {
                Some((preset, step, total)) => {
                    format!("an interrupted run of {preset}, stopped after {step} of {total} steps")
                }
                None => "an unfinished run".to_string(),
            };
            (
                holds,
                format!(
                    "to continue it: burnprop train --resume {shown}; to start afresh and lose it, add --overwrite"
                ),
            )
        }
    };
    Error::RunExists {
        path: dir.path().to_path_buf(),
        holds,
        advice,
    }
}
