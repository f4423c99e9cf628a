//! `burnprop eval`: a trained run on its test split; writes `confusion.csv`.

use anyhow::Result;

use crate::artifacts::{CONFUSION, RunDir};
use crate::cli::args::{RunArgs, given_dir};
use crate::cli::{Outcome, open_device};
use crate::eval;

/// Runs `burnprop eval`.
pub fn run(args: &RunArgs) -> Result<Outcome> {
    let dir = RunDir::open(&args.run)?;
    let (backend, device) = open_device(args.device.as_deref(), dir.config()?.dtype)?;
    let (config, report) = eval::evaluate_run(&dir, given_dir(args.data_dir.as_deref()), &device)?;
    println!(
        "{} run {} on {backend}: {}",
        config.preset.name(),
        args.run.display(),
        config.network()
    );
    println!("{report}");
    let path = dir.write(CONFUSION, report.confusion.to_csv().as_bytes())?;
    println!("wrote {}", path.display());
    Ok(Outcome::Success)
}
