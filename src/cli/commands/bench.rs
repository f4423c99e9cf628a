//! `burnprop bench`: one workload, timed as `train` runs it.

use anyhow::{Context as _, Result};

use crate::bench::{self, BenchSettings};
use crate::cli::args::BenchArgs;
use crate::cli::refusals::Job;
use crate::cli::{Outcome, open_device};

/// Runs `burnprop bench`.
pub fn run(args: &BenchArgs) -> Result<Outcome> {
    let config = args.experiment.config_for(Job::Bench {
        engine: args.engine,
    })?;
    let (backend, device) = open_device(args.experiment.device.as_deref(), config.dtype)?;
    let settings = BenchSettings {
        warmup: args
            .warmup
            .unwrap_or_else(|| BenchSettings::default_warmup(&config)),
        repeats: args.repeats,
        steps: args.steps,
    };
    let measurement = bench::bench(&config, args.engine, backend, &device, settings)
        .with_context(|| format!("benchmarking {} failed", config.preset.name()))?;
    if args.json {
        println!("{}", serde_json::to_string(&measurement)?);
    } else {
        println!("{}", measurement.line());
    }
    Ok(Outcome::Success)
}
