//! `burnprop reproduce`: every experiment, its checks and figures, into one directory.

use std::time::Instant;

use anyhow::{Context as _, Result};

use crate::cli::Outcome;
use crate::cli::args::{ReproduceArgs, given_dir};
use crate::device;
use crate::reproduce::{self, ReproduceOptions};

/// Runs `burnprop reproduce`.
pub fn run(args: &ReproduceArgs) -> Result<Outcome> {
    let (backend, device) = device::select(args.device.as_deref())?;
    let options = ReproduceOptions {
        quick: args.quick,
        out: args.out.clone(),
        data_dir: given_dir(args.data_dir.as_deref()).map(std::path::Path::to_path_buf),
        backend,
    };
    let start = Instant::now();
    let entries = reproduce::reproduce(&options, &device, &mut |line| {
        println!("[{:>6.1} s] {line}", start.elapsed().as_secs_f64());
    })
    .context("reproducing the notebooks failed")?;
    let ran = entries.iter().filter(|e| e.ran).count();
    println!(
        "{ran} of {} experiments ran; wrote {}",
        entries.len(),
        args.out.join("README.md").display()
    );
    Ok(Outcome::Success)
}
