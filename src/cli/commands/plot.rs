//! `burnprop plot`: a run directory's figures, from its saved artifacts; with `--animate`,
//! also `training.gif`, from the run trained again.

use anyhow::{Context as _, Result};

use crate::cli::args::{PlotArgs, given_dir};
use crate::cli::{Outcome, open_run_device};
use crate::plot;

/// Runs `burnprop plot`.
pub fn run(args: &PlotArgs) -> Result<Outcome> {
    let run = &args.run;
    let (_, device) = open_run_device(&run.run, run.device.as_deref())?;
    let plotted = plot::plot_run(&run.run, given_dir(run.data_dir.as_deref()), &device)
        .with_context(|| format!("plotting {} failed", run.run.display()))?;
    for path in &plotted.written {
        println!("wrote {}", path.display());
    }
    for reason in &plotted.skipped {
        println!("skipped {reason}");
    }
    if args.animate {
        let animated = plot::animate_run(&run.run, &device)
            .with_context(|| format!("animating {} failed", run.run.display()))?;
        println!(
            "wrote {} ({} frames, {} bytes; {} steps trained again)",
            animated.path.display(),
            animated.frames,
            animated.bytes,
            animated.replayed
        );
    }
    Ok(Outcome::Success)
}
