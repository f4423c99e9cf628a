//! `burnprop gradcheck`: the three-way gradient check of a preset's initial network.

use anyhow::{Result, bail};

use crate::cli::Outcome;
use crate::cli::args::GradcheckArgs;
use crate::cli::refusals::Job;
use crate::device;
use crate::gradcheck;
use crate::tensor::Precision;

/// Runs `burnprop gradcheck`: [`Outcome::CheckFailed`] when a gradient fails.
pub fn run(args: &GradcheckArgs) -> Result<Outcome> {
    if args.experiment.dtype == Some(Precision::F32) {
        bail!(
            "gradcheck runs in f64 only: finite differences in f32 lose half their digits; drop --dtype f32"
        );
    }
    let config = args.experiment.config_for(Job::Gradcheck {
        examples: args.examples.is_some(),
    })?;
    let (backend, device) = device::select(args.experiment.device.as_deref())?;
    let (report, backend, moved) = gradcheck::check_config(
        &config,
        args.examples,
        args.eps,
        args.directional,
        backend,
        device,
    )?;
    if args.json {
        let json = serde_json::json!({
            "preset": config.preset.name(),
            "network": config.network(),
            "backend": backend.to_string(),
            "note": moved,
            "report": report,
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        println!(
            "gradcheck {} on {backend}: {}",
            config.title(),
            config.network()
        );
        if let Some(note) = &moved {
            println!("note: {note}");
        }
        println!("{report}");
    }
    Ok(report
        .failure()
        .map_or(Outcome::Success, Outcome::CheckFailed))
}
