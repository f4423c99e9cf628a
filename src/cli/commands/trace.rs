//! `burnprop trace`: every matrix of one forward and backward pass.

use anyhow::{Result, bail};

use crate::cli::args::TraceArgs;
use crate::cli::{Outcome, open_device};
use crate::tensor::Layout;
use crate::train::Experiment;

/// Runs `burnprop trace`.
pub fn run(args: &TraceArgs) -> Result<Outcome> {
    let config = args.experiment.to_config()?;
    let (backend, device) = open_device(args.experiment.device.as_deref(), config.dtype)?;
    if args.examples == 0 {
        bail!("--examples must be at least 1");
    }
    let experiment = Experiment::new(&config, &device)?;
    let trace = experiment.trace(&config, args.layout, args.examples, &device)?;
    let m = trace.examples;
    println!(
        "trace {} (notebook {}) on {backend}, {}: {}, {m} examples, {} layout",
        config.preset.name(),
        config.preset.notebook(),
        config.dtype.name(),
        config.network(),
        match args.layout {
            Layout::Row => "row (examples are rows)",
            Layout::Column => "column (examples are columns)",
        }
    );
    println!();
    print!("{trace}");
    Ok(Outcome::Success)
}
