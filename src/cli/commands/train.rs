//! `burnprop train`: a preset, with any hyperparameter overridden by a flag, into a run
//! directory.

use std::path::PathBuf;

use anyhow::{Context as _, Result};

use crate::cli::args::TrainArgs;
use crate::cli::{Outcome, open_device};
use crate::progress::Progress;
use crate::train::{self, Experiment};

/// Runs `burnprop train`.
pub fn run(args: &TrainArgs) -> Result<Outcome> {
    let config = args.experiment.to_config()?;
    let (backend, device) = open_device(args.experiment.device.as_deref(), config.dtype)?;
    if args.summary {
        let experiment = Experiment::new(&config, &device)?;
        println!("{}", experiment.model.summary());
        return Ok(Outcome::Success);
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("runs").join(config.preset.name()));
    args.engine.check(&config)?;
    println!(
        "{} (notebook {}) on {backend}, {}",
        config.preset.name(),
        config.preset.notebook(),
        config.dtype.name()
    );
    println!("{}", config.network());
    println!("{} engine: {}", args.engine, args.engine.describe(&config));
    let mut progress = Progress::new(args.log_every);
    let report = train::run_to_dir(&config, args.engine, backend, &device, &out, &mut progress)
        .with_context(|| format!("training {} failed", config.preset.name()))?;
    println!("{report}");
    Ok(Outcome::Success)
}
