//! `burnprop plot`: a run directory's figures, from its saved artifacts.

use anyhow::{Context as _, Result};

use crate::cli::args::RunArgs;
use crate::cli::{Outcome, open_run_device};
use crate::plot;

/// Runs `burnprop plot`.
pub fn run(args: &RunArgs) -> Result<Outcome> {
    let (_, device) = open_run_device(&args.run, args.device.as_deref())?;
    let plotted = plot::plot_run(&args.run, args.data_dir.as_deref(), &device)
        .with_context(|| format!("plotting {} failed", args.run.display()))?;
    for path in &plotted.written {
        println!("wrote {}", path.display());
    }
    for reason in &plotted.skipped {
        println!("skipped {reason}");
    }
    Ok(Outcome::Success)
}
