//! `burnprop eval`: a trained run on its test split, or on another CSV file; writes
//! `confusion.csv` for a classifier.

use anyhow::Result;

use crate::artifacts::{CONFUSION, RunDir};
use crate::cli::args::{EvalArgs, given_dir};
use crate::cli::{Outcome, open_device};
use crate::eval;

/// Runs `burnprop eval`.
pub fn run(args: &EvalArgs) -> Result<Outcome> {
    let run = &args.run;
    let dir = RunDir::open(&run.run)?;
    let (backend, device) = open_device(run.device.as_deref(), dir.config()?.dtype)?;
    let (config, report) = eval::evaluate_run_on(
        &dir,
        given_dir(run.data_dir.as_deref()),
        args.data_file.as_deref(),
        &device,
    )?;
    println!(
        "{} run {} on {backend}: {}",
        config.preset.name(),
        run.run.display(),
        config.network()
    );
    println!("{report}");
    if !report.confusion.classes.is_empty() {
        let path = dir.write(CONFUSION, report.confusion.to_csv().as_bytes())?;
        println!("wrote {}", path.display());
    }
    Ok(Outcome::Success)
}
