//! `burnprop predict`: pictures of digits through a trained MNIST run.

use anyhow::Result;

use crate::artifacts::RunDir;
use crate::cli::args::PredictArgs;
use crate::cli::{Outcome, open_device};
use crate::eval;

/// Runs `burnprop predict`.
pub fn run(args: &PredictArgs) -> Result<Outcome> {
    let dir = RunDir::open(&args.run)?;
    let (_, device) = open_device(args.device.as_deref(), dir.config()?.dtype)?;
    let (_, predictions) = eval::predict_pictures(&dir, &args.pictures, &device)?;
    for (path, prediction) in args.pictures.iter().zip(predictions) {
        let ranked: Vec<String> = prediction
            .ranked
            .iter()
            .take(args.top.max(1))
            .map(|(class, p)| format!("{class} ({:.2}%)", 100.0 * p))
            .collect();
        println!("{}: {}", path.display(), ranked.join(", "));
    }
    Ok(Outcome::Success)
}
