//! `burnprop bench`: a whole workload timed as `burnprop train` runs it, with warm-up and
//! repeats.
//!
//! A full-batch preset (circles, the toy sets) is timed per **iteration**: each repeat runs
//! `steps` iterations after the warm-up and counts their mean. A minibatch preset (MNIST) is
//! timed per **epoch**: each repeat is one pass over the training set, batching included and
//! evaluation excluded, as the reference scripts time theirs. Every step does what a training
//! step does: the forward pass, reading the loss and accuracy back, the update.
//!
//! The report gives the median, min and max of the repeats, steps per second at the median,
//! the seconds the data took to load (generated, or a `--data-file` read, hashed and
//! checked) and the process's peak resident memory.

use std::time::Instant;

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use crate::config::{Engine, ExperimentConfig};
use crate::device::Backend;
use crate::error::{Error, Result};
use crate::memory::{self, Work};
use crate::train::fit::{check_finite, stepper};
use crate::train::{Experiment, Stepper};

/// How a workload is timed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BenchSettings {
    /// Untimed iterations (full batch) or epochs (minibatches) before the first repeat.
    pub warmup: usize,
    /// Timed repeats.
    pub repeats: usize,
    /// Iterations per repeat (full batch only).
    pub steps: usize,
}

impl BenchSettings {
    /// The warm-up `burnprop bench` runs unless told: one epoch of minibatches, or 20
    /// full-batch iterations.
    pub fn default_warmup(config: &ExperimentConfig) -> usize {
        if config.batch_size.is_some() { 1 } else { 20 }
    }
}

/// The unit one repeat times.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// One full-batch step.
    Iteration,
    /// One pass over the training set in minibatches.
    Epoch,
}

/// Median, min, max and mean of the repeats, in seconds per unit.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// The middle repeat (the mean of the two middle ones for an even count).
    pub median: f64,
    /// The fastest repeat.
    pub min: f64,
    /// The slowest repeat.
    pub max: f64,
    /// The mean of the repeats.
    pub mean: f64,
    /// The number of repeats.
    pub n: usize,
}

impl Stats {
    /// The statistics of `samples`; `None` when there are none.
    pub fn of(samples: &[f64]) -> Option<Stats> {
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = match n {
            0 => return None,
            _ if n % 2 == 1 => sorted[n / 2],
            _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
        };
        Some(Stats {
            median,
            min: sorted[0],
            max: sorted[n - 1],
            mean: sorted.iter().sum::<f64>() / n as f64,
            n,
        })
    }
}

/// One workload's timing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// The preset.
    pub preset: String,
    /// `autodiff` or `manual`.
    pub engine: String,
    /// `tensor`, `fused` or `wide`.
    pub kernel: String,
    /// The compute backend.
    pub backend: String,
    /// The device's own name (`llvmpipe (LLVM 15.0.6, 256 bits)` is Mesa's software Vulkan on
    /// the CPU, not a GPU); absent for the host backends.
    pub adapter: Option<String>,
    /// `f32` or `f64`.
    pub dtype: String,
    /// The network in one line.
    pub network: String,
    /// Training examples.
    pub examples: usize,
    /// Examples per step (absent: full batch).
    pub batch_size: Option<usize>,
    /// What one repeat times.
    pub unit: Unit,
    /// Optimiser steps in one unit.
    pub steps_per_unit: usize,
    /// Seconds per unit over the repeats.
    pub seconds: Stats,
    /// Steps per second at the median.
    pub steps_per_second: f64,
    /// The loss of the last step timed (a check that the run trained, not a result).
    pub last_loss: f64,
    /// Seconds to set the run up before its first step: the data generated, or read from
    /// their files and checked (a `--data-file`: read, hashed and parsed once), split and the
    /// weights drawn.
    pub load_seconds: f64,
    /// The process's peak resident memory so far, in MB (absent where the OS does not say).
    pub peak_rss_mb: Option<f64>,
}

impl Measurement {
    /// One line: what was timed and how long it took.
    pub fn line(&self) -> String {
        let (scale, unit) = match self.unit {
            Unit::Iteration => (1e3, "ms/iteration"),
            Unit::Epoch => (1.0, "s/epoch"),
        };
        let memory = self
            .peak_rss_mb
            .map_or_else(String::new, |mb| format!(", peak RSS {mb:.0} MB"));
        format!(
            "{} {} ({} kernel) on {} ({}): median {:.4} {unit} (min {:.4}, max {:.4}, {} repeats), {:.1} steps/s{memory}",
            self.preset,
            self.engine,
            self.kernel,
            match &self.adapter {
                Some(adapter) => format!("{} [{adapter}]", self.backend),
                None => self.backend.clone(),
            },
            self.dtype,
            self.seconds.median * scale,
            self.seconds.min * scale,
            self.seconds.max * scale,
            self.seconds.n,
            self.steps_per_second,
        )
    }
}

/// Times `config` trained by `engine` on `device`.
pub fn bench(
    config: &ExperimentConfig,
    engine: Engine,
    backend: Backend,
    device: &Device,
    settings: BenchSettings,
) -> Result<Measurement> {
    if settings.repeats == 0 || settings.steps == 0 {
        return Err(Error::InvalidConfig(
            "--repeats and --steps must be at least 1".to_string(),
        ));
    }
    engine.check(config)?;
    memory::ensure_fits(config, Work::Train { engine }, device)?;
    let clock = Instant::now();
    let experiment = Experiment::new(config, &device.clone().autodiff())?;
    let load_seconds = clock.elapsed().as_secs_f64();
    let mut stepper = stepper(config, engine, experiment.model, device)?;
    let (batches, _) = experiment.data.batches(config, device)?;
    let lr = config.optimizer.lr;
    let kernel = stepper.kernel();
    let prepare = stepper.prepare();
    let mut timer = Timer {
        stepper: stepper.as_mut(),
        lr,
        steps: 0,
        last_loss: f64::NAN,
    };
    let full = batches.is_full();
    let (unit, steps_per_unit, samples) = if full {
        let batch = batches
            .epoch(prepare)
            .next()
            .ok_or_else(|| Error::Data("the training set is empty".to_string()))??;
        let iterations = |timer: &mut Timer, n: usize| -> Result<()> {
            (0..n).try_for_each(|_| timer.step(&batch))
        };
        iterations(&mut timer, settings.warmup)?;
        let mut samples = Vec::with_capacity(settings.repeats);
        for _ in 0..settings.repeats {
            let clock = Instant::now();
            iterations(&mut timer, settings.steps)?;
            samples.push(clock.elapsed().as_secs_f64() / settings.steps as f64);
        }
        (Unit::Iteration, 1, samples)
    } else {
        let epoch = |timer: &mut Timer| -> Result<()> {
            batches
                .epoch(prepare)
                .try_for_each(|batch| timer.step(&batch?))
        };
        (0..settings.warmup).try_for_each(|_| epoch(&mut timer))?;
        let mut samples = Vec::with_capacity(settings.repeats);
        for _ in 0..settings.repeats {
            let clock = Instant::now();
            epoch(&mut timer)?;
            samples.push(clock.elapsed().as_secs_f64());
        }
        let per_epoch = config.steps_per_epoch(batches.examples());
        (Unit::Epoch, per_epoch, samples)
    };
    let seconds = Stats::of(&samples)
        .ok_or_else(|| Error::InvalidConfig("no repeat was timed".to_string()))?;
    Ok(Measurement {
        preset: config.preset.name().to_string(),
        engine: engine.name().to_string(),
        kernel: kernel.name().to_string(),
        backend: backend.name().to_string(),
        adapter: crate::device::adapter(device),
        dtype: config.dtype.name().to_string(),
        network: config.network(),
        examples: batches.examples(),
        batch_size: config.batch_size,
        unit,
        steps_per_unit,
        steps_per_second: steps_per_unit as f64 / seconds.median,
        seconds,
        last_loss: timer.last_loss,
        load_seconds,
        peak_rss_mb: peak_rss_mb(),
    })
}

/// Runs training steps as the training loop does.
struct Timer<'a> {
    stepper: &'a mut dyn Stepper,
    lr: f64,
    steps: usize,
    last_loss: f64,
}

impl Timer<'_> {
    fn step(&mut self, batch: &crate::data::Batch) -> Result<()> {
        let measured = self.stepper.forward(batch)?;
        check_finite(measured.loss, self.steps, self.lr)?;
        self.stepper.step(self.lr)?;
        self.last_loss = measured.loss;
        self.steps += 1;
        Ok(())
    }
}

/// The peak resident set size of this process, in MB: `VmHWM` of `/proc/self/status`.
///
/// Not `getrusage`'s `ru_maxrss`, which Linux carries across `exec`: under `cargo run` it
/// reports cargo's own peak when that is the larger.
#[cfg(target_os = "linux")]
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// The peak resident set size of this process: not measured on this platform.
#[cfg(not(target_os = "linux"))]
pub fn peak_rss_mb() -> Option<f64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn peak_memory_is_at_least_what_this_process_holds() {
        // black_box: in an optimised build the compiler would otherwise drop the unread vector.
        let held = std::hint::black_box(vec![1u8; 64 << 20]);
        let peak = peak_rss_mb().expect("Linux reports VmHWM");
        assert!(peak >= 64.0, "peak {peak} MB while holding 64 MB");
        drop(held);
    }

    #[test]
    fn stats_of_odd_and_even_counts() {
        let odd = Stats::of(&[3.0, 1.0, 2.0]).expect("three samples");
        assert_eq!(
            (odd.median, odd.min, odd.max, odd.mean, odd.n),
            (2.0, 1.0, 3.0, 2.0, 3)
        );
        let even = Stats::of(&[4.0, 1.0, 2.0, 3.0]).expect("four samples");
        assert_eq!(
            (even.median, even.min, even.max, even.n),
            (2.5, 1.0, 4.0, 4)
        );
        assert!(Stats::of(&[]).is_none());
    }
}
