//! `burnprop compare`: the autodiff and manual engines trained side by side, step by step.

use std::path::PathBuf;

use anyhow::{Context as _, Result, bail};

use crate::cli::args::CompareArgs;
use crate::cli::refusals::Job;
use crate::cli::{Outcome, open_device};
use crate::compare::{self, Tolerance};
use crate::train;

/// Runs `burnprop compare`: [`Outcome::CheckFailed`] when the engines part beyond the
/// tolerance, an error when a loss stops being finite; what was measured is written either way.
pub fn run(args: &CompareArgs) -> Result<Outcome> {
    compare::check_steps(args.steps)?;
    if args.experiment.max_steps.is_some() {
        bail!("compare stops after --steps updates; drop --max-steps");
    }
    if args.every == Some(0) {
        bail!("--every must be at least 1");
    }
    let config = args.experiment.config_for(Job::Compare)?;
    let tolerance = Tolerance::for_config(&config).with_overrides(args.loss_tol, args.param_tol)?;
    let (backend, device) = open_device(args.experiment.device.as_deref(), config.dtype)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("runs").join(format!("{}-compare", config.run_name())));
    let every = args.every.unwrap_or_else(|| (args.steps / 10).max(1));
    // Held before the engines run: a directory in use or holding a run is refused at once.
    let mut dir = train::claim(&out, args.overwrite)?;

    println!(
        "compare {} on {backend}, {}: {}, {} steps",
        config.title(),
        config.dtype.name(),
        config.network(),
        args.steps
    );
    for line in compare::engine_descriptions(&config) {
        println!("  {line}");
    }
    for note in compare::notes(&config) {
        println!("  note: {note}");
    }
    println!("tolerance: {tolerance}\n");
    println!("{}", compare::table_header());
    let mut departed = false;
    let comparison =
        compare::compare_engines(&config, args.steps, tolerance, &device, &mut |record| {
            let departs = !departed && !record.agrees(&tolerance);
            departed |= departs;
            if departs || record.step % every == 0 || record.step == args.steps || !record.finite()
            {
                let mark = if departs { "  ← parts here" } else { "" };
                println!("{}{mark}", compare::table_row(record, config.dtype));
            }
        })
        .with_context(|| format!("comparing the engines on {} failed", config.preset.name()))?;

    comparison.save(&mut dir, backend)?;
    let summary = comparison.summary(backend);
    let [autodiff, manual] = summary.seconds;
    println!(
        "\ntime in each engine: autodiff {autodiff:.3} s, manual {manual:.3} s (manual/autodiff {:.2})",
        manual / autodiff.max(f64::MIN_POSITIVE)
    );
    let wrote = || format!("(wrote {})", out.display());
    match comparison.verdict() {
        Err(err) => bail!("{err} {}", wrote()),
        Ok(Some(why)) => return Ok(Outcome::CheckFailed(format!("{why} {}", wrote()))),
        Ok(None) => {}
    }
    let (worst_loss, worst_param) = (summary.worst_rel_delta_loss, summary.worst_rel_delta_param);
    println!(
        "agree: all {} steps within tolerance; largest relative |Δloss| {:.2e} (step {}), largest relative max|Δθ| {:.2e} (step {})",
        summary.steps, worst_loss.0, worst_loss.1, worst_param.0, worst_param.1
    );
    println!("wrote {}", out.display());
    Ok(Outcome::Success)
}
