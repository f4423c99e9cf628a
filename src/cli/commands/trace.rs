//! `burnprop trace`: every matrix of one forward and backward pass, as text, JSON or a
//! Markdown derivation sheet, on standard output or into a file.

use anyhow::{Result, bail};

use crate::artifacts::write_atomic;
use crate::cli::args::{TraceArgs, TraceFormat};
use crate::cli::refusals::Job;
use crate::cli::{Outcome, open_device};
use crate::memory::{self, Work};
use crate::trace::{self, Document, Header};
use crate::train::Experiment;

/// Runs `burnprop trace`.
pub fn run(args: &TraceArgs) -> Result<Outcome> {
    let config = args.experiment.config_for(Job::Trace)?;
    let (backend, device) = open_device(args.experiment.device.as_deref(), config.dtype)?;
    if args.examples == 0 {
        bail!("--examples must be at least 1");
    }
    let work = Work::Trace {
        examples: args.examples,
    };
    memory::ensure_fits(&config, work, &device)?;
    let experiment = Experiment::new(&config, &device)?;
    let trace = trace::of_experiment(&experiment, &config, args.layout, args.examples, &device)?;
    let header = Header::new(&config, args.layout, backend, &trace);
    let written = match args.format {
        TraceFormat::Text => format!("{header}\n\n{trace}"),
        TraceFormat::Json => Document::new(header, trace).to_json()? + "\n",
        TraceFormat::Markdown => trace::markdown(&Document::new(header, trace)),
    };
    match &args.out {
        Some(path) => {
            write_atomic(path, written.as_bytes())?;
            println!("wrote {}", path.display());
        }
        None => print!("{written}"),
    }
    Ok(Outcome::Success)
}
