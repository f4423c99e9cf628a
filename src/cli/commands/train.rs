//! `burnprop train`: a preset (or a saved config), with any hyperparameter overridden by a
//! flag, into a run directory; or `--resume DIR`, a stopped run continued to its end.
//!
//! Ctrl-C and SIGTERM stop the run after the step in progress: the checkpoint, history, model
//! and summary are written, the last line says how to resume, and the exit status is 130 or
//! 143 (a second Ctrl-C ends the process at once; the last checkpoint stays resumable).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result, bail};

use crate::cli::args::{TrainArgs, given_dir};
use crate::cli::refusals::Job;
use crate::cli::{Outcome, open_device};
use crate::config::ExperimentConfig;
use crate::device::Backend;
use crate::interrupt;
use crate::memory::{self, Work};
use crate::plot::{self, Recorder, save_animation};
use crate::progress::Progress;
use crate::tensor::Precision;
use crate::train::{
    self, CheckpointPolicy, Experiment, OpenedRun, RunOptions, TrainReport, config_differences,
};

/// Runs `burnprop train`.
pub fn run(args: &TrainArgs) -> Result<Outcome> {
    if let Some(dir) = &args.resume {
        return resume(args, dir);
    }
    let mut config = args.experiment.config_for(Job::Train {
        engine: args.engine,
    })?;
    if let Some(engine) = args.engine {
        config.engine = engine;
    }
    let (backend, device) = open_device(args.experiment.device.as_deref(), config.dtype)?;
    if args.summary {
        let experiment = Experiment::new(&config, &device)?;
        println!("{}", experiment.model.summary());
        return Ok(Outcome::Success);
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("runs").join(config.run_name()));
    config.engine.check(&config)?;
    // Refused before the header, so that a run too big for the machine is one line.
    memory::ensure_fits(
        &config,
        Work::Train {
            engine: config.engine,
        },
        &device,
    )?;
    if args.animate {
        plot::animation::check_animatable(&config)?;
    }
    print_header(&config, backend, None);
    interrupt::install();
    let mut progress = Progress::new(args.log_every, config.dtype == Precision::F64);
    // Without --animate the recorder keeps nothing and only passes the steps on.
    let mut recorder = if args.animate {
        Recorder::adaptive(&mut progress)
    } else {
        Recorder::at_steps(&mut progress, [])
    };
    let report = train::run_to_dir(
        &config,
        backend,
        &device,
        &out,
        &options(args)?,
        &mut recorder,
    )
    .with_context(|| format!("training {} failed", config.run_name()))?;
    if args.animate {
        if report.stopped_by().is_some() {
            println!(
                "no training.gif: the run stopped before its end (plot --animate draws it once the run is complete)"
            );
        } else {
            let animated = save_animation(
                &out,
                &config,
                &report.history.records,
                recorder.frames(),
                &device,
            )
            .context("drawing training.gif failed")?;
            println!(
                "wrote {} ({} frames, {} bytes)",
                animated.path.display(),
                animated.frames,
                animated.bytes
            );
        }
    }
    Ok(ended(&report))
}

/// `train --resume DIR`.
fn resume(args: &TrainArgs, dir: &Path) -> Result<Outcome> {
    let mut run = match OpenedRun::open(dir)? {
        OpenedRun::Resumable(run) => *run,
        OpenedRun::Completed(summary) => {
            println!(
                "{} is complete: {} of {} steps, final loss {}; there is nothing to resume",
                dir.display(),
                summary.steps,
                summary.total_steps.max(summary.steps),
                summary
                    .final_loss
                    .map_or("?".to_string(), |l| l.to_string())
            );
            return Ok(Outcome::Success);
        }
        OpenedRun::Diverged(summary) => bail!(
            "{} diverged at step {}, and resuming it would diverge again; train it anew with a lower --lr",
            dir.display(),
            summary.steps
        ),
    };
    run.set_data_dir(given_dir(args.experiment.data_dir.as_deref()).map(Path::to_path_buf));
    let saved = run.config().clone();
    let mut asked = args.experiment.over_saved(&saved)?;
    if let Some(engine) = args.engine {
        asked.engine = engine;
    }
    let changes = config_differences(&saved, &asked);
    if !changes.is_empty() {
        bail!(
            "cannot resume {} with another configuration (it changes {}); resume without those flags, or train a new run with --out",
            dir.display(),
            changes.join(", ")
        );
    }
    // The checkpoint's backend unless --device (or BURN_DEVICE) names one.
    let requested = args.experiment.device.as_deref().or(run.backend());
    let (backend, device) = open_device(requested, saved.dtype)?;
    print_header(&saved, backend, Some(run.steps_done()));
    interrupt::install();
    let mut progress = Progress::new(args.log_every, saved.dtype == Precision::F64);
    let report = train::resume(run, backend, &device, &options(args)?, &mut progress)
        .with_context(|| format!("resuming {} failed", dir.display()))?;
    Ok(ended(&report))
}

/// The run's options: the checkpoint flags, and Ctrl-C.
fn options(args: &TrainArgs) -> Result<RunOptions<'static>> {
    let seconds = args.checkpoint_seconds;
    if !(seconds.is_finite() && seconds >= 0.0) {
        bail!("--checkpoint-seconds must be zero or a positive number (got {seconds})");
    }
    Ok(RunOptions {
        checkpoints: CheckpointPolicy {
            every_steps: args
                .checkpoint_every
                .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
            every: (seconds > 0.0).then(|| Duration::from_secs_f64(seconds)),
        },
        stop: &interrupt::requested,
        overwrite: args.overwrite,
    })
}

fn print_header(config: &ExperimentConfig, backend: Backend, resumed_at: Option<usize>) {
    println!("{} on {backend}, {}", config.title(), config.dtype.name());
    println!("{}", config.network());
    println!(
        "{} engine: {}",
        config.engine,
        config.engine.describe(config)
    );
    if let Some(step) = resumed_at {
        println!("resuming from step {step}");
    }
}

/// Prints the report; a run a signal stopped exits with `128 + signal`.
fn ended(report: &TrainReport) -> Outcome {
    println!("{report}");
    match report.stopped_by() {
        Some(signal) => Outcome::Stopped(signal),
        None => Outcome::Success,
    }
}
