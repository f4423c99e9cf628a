//! What a run will hold in memory at its peak, estimated from its configuration before it
//! allocates anything, and a run that cannot fit refused in one sentence ([`ensure_fits`]).
//!
//! The estimate adds up what the code allocates, phase by phase, and takes the largest phase:
//!
//! ```text
//! setup      the data as generated or read (with the generator's own buffers), the initial draw
//! convert    the generated examples in f64 and the full batch made from them at the run's precision
//! train      the data kept (minibatches), the batches in flight, the network's copies,
//!            one step's activations and gradients, and what the work adds (compare, gradcheck, …)
//! ```
//!
//! Every product of sizes is checked: a width, sample count or batch size whose bytes do not fit
//! in a `u64` is refused, never wrapped. The figures are read from the code (what each phase
//! allocates), not fitted to measurements; where the data's content decides (how many of
//! MNIST's pixels are nonzero) they take the wide kernel's densest sparse input, and MNIST
//! counts as its full 70000 images. The bytes are counted as host memory whatever the device.
//! `tests/it/memory.rs` holds the estimate to the peak resident memory that `burnprop bench`
//! measures.

mod available;
mod estimate;

use burn::tensor::Device;

pub use available::{Available, LIMIT_VARIABLE, parse_size};
pub use estimate::estimate;

use estimate::{BASE, largest_by_size};

use crate::config::{Engine, ExperimentConfig};
use crate::data::DataConfig;
use crate::error::{Error, Result};
use crate::tensor::Precision;

/// What is done with a configuration: each work holds something of its own besides the data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Work {
    /// The data and the initial network only (`Experiment::new`: trace, eval, `--summary`).
    Setup,
    /// Training with `engine` (`train`, `bench`).
    Train {
        /// The engine that trains.
        engine: Engine,
    },
    /// Both engines trained side by side (`compare`).
    Compare,
    /// Gradients three ways in f64 on the first `examples` examples (default: one batch).
    Gradcheck {
        /// `--examples`.
        examples: Option<usize>,
    },
    /// One pass, every matrix kept and written out, on `examples` examples.
    Trace {
        /// `--examples`.
        examples: usize,
    },
    /// The figures: the network evaluated at `points` points of the plane at once.
    Plot {
        /// Points of the largest grid drawn.
        points: usize,
    },
}

impl Work {
    fn name(self) -> &'static str {
        match self {
            Work::Setup => "setting up",
            Work::Train { .. } => "training",
            Work::Compare => "comparing the engines on",
            Work::Gradcheck { .. } => "checking the gradients of",
            Work::Trace { .. } => "tracing",
            Work::Plot { .. } => "plotting",
        }
    }
}

/// Which of the run's sizes its estimate grows with most, and so the flag to change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Largest {
    /// The data: `--samples` (or `--features`).
    Data,
    /// The network: `--hidden`.
    Network,
    /// One batch's activations: `--batch-size` (or `--examples`).
    Batch,
}

/// A run's estimated peak memory, in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Estimate {
    /// The peak, the process's own memory before any data included.
    pub bytes: u64,
    /// The data alone, as generated or read and as kept.
    pub data: u64,
    /// The network's copies alone.
    pub network: u64,
    /// What it grows with most.
    pub largest: Largest,
}

impl Estimate {
    /// The size to change so that the run fits in `available` bytes: the data if they alone
    /// do not fit, else the network if it alone does not, else the largest part.
    pub fn to_change(&self, available: u64) -> Largest {
        let room = available.saturating_sub(BASE);
        if self.data > room {
            Largest::Data
        } else if self.network > room {
            Largest::Network
        } else {
            self.largest
        }
    }
}

/// Refuses `work` on `config` when its [`estimate`] exceeds the memory [`Available`] now, or
/// when its sizes overflow, with one sentence: what was asked, the estimate, what is
/// available, and which flag to change. Where the system gives no figure (not Linux, and no
/// [`LIMIT_VARIABLE`]), only overflow is refused.
///
/// # Errors
/// [`Error::TooBig`] as above; [`Error::InvalidConfig`] if [`LIMIT_VARIABLE`] is not a size.
pub fn ensure_fits(config: &ExperimentConfig, work: Work, device: &Device) -> Result<()> {
    fits_in(config, work, device, Available::now()?)
}

/// [`ensure_fits`] against `available` (`None`: no figure, only overflow is refused).
fn fits_in(
    config: &ExperimentConfig,
    work: Work,
    device: &Device,
    available: Option<Available>,
) -> Result<()> {
    let estimate = estimate(config, work, device);
    let too_big = |needed: String, available: String, largest| Error::TooBig {
        asked: asked(config, work),
        needed,
        available,
        fix: fix(config, work, largest),
    };
    match (estimate, available) {
        (None, _) => Err(too_big(
            "more than 16 EiB".to_string(),
            "its sizes overflow a 64-bit count of bytes".to_string(),
            largest_by_size(config),
        )),
        (Some(estimate), Some(available)) if estimate.bytes > available.bytes => Err(too_big(
            format!("about {}", human(estimate.bytes)),
            format!(
                "more than the {} available ({})",
                human(available.bytes),
                available.source
            ),
            estimate.to_change(available.bytes),
        )),
        _ => Ok(()),
    }
}

/// What was asked, for the message: `training circles (2-3-2, 3000000000 examples, full
/// batch, autodiff engine, f32)`.
fn asked(config: &ExperimentConfig, work: Work) -> String {
    let sizes = config.widths();
    let examples = match &config.data {
        DataConfig::Mnist { .. } => "MNIST".to_string(),
        data => format!("{} examples", data_examples(data)),
    };
    let batch = match config.batch_size {
        Some(batch) => format!("batches of {batch}"),
        None => "full batch".to_string(),
    };
    let dtype = match work {
        Work::Gradcheck { .. } => Precision::F64.name(),
        _ => config.dtype.name(),
    };
    let engine = match work {
        Work::Train { engine } => format!(", {engine} engine"),
        Work::Compare => ", both engines".to_string(),
        _ => String::new(),
    };
    format!(
        "{} {} ({sizes}, {examples}, {batch}{engine}, {dtype})",
        work.name(),
        config.preset.name(),
    )
}

fn data_examples(data: &DataConfig) -> usize {
    match *data {
        DataConfig::Logreg | DataConfig::Xor => 4,
        DataConfig::Circles { samples, .. }
        | DataConfig::Moons { samples, .. }
        | DataConfig::Playground { samples, .. }
        | DataConfig::PlaygroundRegression { samples, .. }
        | DataConfig::Random { samples, .. } => samples,
        DataConfig::Spiral { classes, samples } => classes.saturating_mul(samples),
        DataConfig::File(ref file) => file.rows,
        DataConfig::Mnist { .. } => 0,
    }
}

/// The flag to change.
fn fix(config: &ExperimentConfig, work: Work, largest: Largest) -> String {
    match (largest, work) {
        (Largest::Network, _) | (Largest::Batch, Work::Plot { .. }) => {
            "use narrower --hidden layers".to_string()
        }
        (Largest::Batch, Work::Gradcheck { .. } | Work::Trace { .. }) => {
            "use fewer --examples".to_string()
        }
        (Largest::Batch, _) if config.batch_size.is_none() => {
            "train in minibatches with --batch-size (e.g. --batch-size 1024)".to_string()
        }
        (Largest::Batch, _) => "use a smaller --batch-size".to_string(),
        (Largest::Data, _) => match config.data {
            DataConfig::Mnist { .. } => "free some memory".to_string(),
            DataConfig::File(_) => "use a file of fewer rows".to_string(),
            _ => "use fewer --samples".to_string(),
        },
    }
}

/// Bytes as a person reads them: `1.5 GiB`, `812 MiB`.
pub fn human(bytes: u64) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Preset;

    fn limit(bytes: u64) -> Option<Available> {
        Some(Available {
            bytes,
            source: LIMIT_VARIABLE,
        })
    }

    fn refusal(config: &ExperimentConfig, work: Work, available: Option<Available>) -> String {
        match fits_in(config, work, &Device::flex(), available) {
            Err(err @ Error::TooBig { .. }) => err.to_string(),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    const TRAIN: Work = Work::Train {
        engine: Engine::Autodiff,
    };

    #[test]
    fn widths_whose_weights_overflow_are_refused_not_wrapped() {
        let mut config = Preset::Xor.config();
        // 2^32 · 2^32 weights: 2^64, one past u64::MAX; wrapped, it would be 0 bytes.
        config.hidden = vec![1 << 32, 1 << 32];
        config.activations = vec![config.activations[0]; 2];
        assert_eq!(estimate(&config, TRAIN, &Device::flex()), None);
        // Refused even with no figure for the memory available.
        let err = refusal(&config, TRAIN, None);
        assert!(err.contains("its sizes overflow"), "{err}");
        assert!(err.contains("--hidden"), "{err}");
        config.hidden = vec![usize::MAX, 4];
        assert_eq!(estimate(&config, TRAIN, &Device::flex()), None);
    }

    #[test]
    fn samples_whose_bytes_overflow_are_refused_not_wrapped() {
        let mut config = Preset::Circles.config();
        if let DataConfig::Circles { samples, .. } = &mut config.data {
            // 2^61 points of 4 f64 values: 2^66 bytes.
            *samples = 1 << 61;
        }
        assert_eq!(estimate(&config, TRAIN, &Device::flex()), None);
        let err = refusal(&config, TRAIN, None);
        assert!(err.contains("--samples"), "{err}");
        let mut config = Preset::ThreeLayer.config();
        if let DataConfig::Random { samples, .. } = &mut config.data {
            // 100 features + 4 outputs of 2^58 examples in f64: past 2^64 bytes.
            *samples = 1 << 58;
        }
        assert_eq!(estimate(&config, TRAIN, &Device::flex()), None);
    }

    #[test]
    fn a_batch_size_past_the_data_counts_as_the_data() {
        let mut config = Preset::Circles.config();
        config.batch_size = Some(usize::MAX);
        let huge = estimate(&config, TRAIN, &Device::flex()).expect("no overflow");
        config.batch_size = Some(50_000);
        let whole = estimate(&config, TRAIN, &Device::flex()).expect("no overflow");
        assert_eq!(huge, whole);
    }

    #[test]
    fn a_run_past_the_limit_is_refused_in_one_sentence() {
        let config = Preset::Circles.config();
        let err = refusal(&config, TRAIN, limit(1 << 20));
        assert_eq!(err.lines().count(), 1, "{err}");
        for part in [
            "training circles (2-3-2, 50000 examples, full batch, autodiff engine, f32)",
            "needs about",
            "more than the 1.0 MiB available (BURNPROP_MEMORY_LIMIT)",
        ] {
            assert!(err.contains(part), "{part}: {err}");
        }
        let fits = estimate(&config, TRAIN, &Device::flex()).expect("no overflow");
        assert!(fits_in(&config, TRAIN, &Device::flex(), limit(fits.bytes)).is_ok());
        assert!(fits_in(&config, TRAIN, &Device::flex(), None).is_ok());
    }

    #[test]
    fn the_flag_named_is_the_size_that_does_not_fit() {
        let device = Device::flex();
        let mut config = Preset::Circles.config();
        // The data alone (50000 points, about 2 MB) fit in 8 MiB beyond the base, the full
        // batch's activations do not.
        let room = limit(BASE + (8 << 20));
        if let DataConfig::Circles { samples, .. } = &mut config.data {
            *samples = 200_000;
        }
        let err = refusal(&config, TRAIN, room);
        assert!(err.contains("--batch-size"), "{err}");
        if let DataConfig::Circles { samples, .. } = &mut config.data {
            *samples = 1_000_000;
        }
        let err = refusal(&config, TRAIN, room);
        assert!(err.contains("--samples"), "{err}");
        let mut config = Preset::Xor.config();
        config.hidden = vec![2000, 2000];
        config.activations = vec![config.activations[0]; 2];
        let err = refusal(&config, TRAIN, room);
        assert!(err.contains("--hidden"), "{err}");
        let err = refusal(&config, Work::Gradcheck { examples: None }, room);
        assert!(err.contains("checking the gradients of xor"), "{err}");
        let mut config = Preset::Circles.config();
        config.batch_size = Some(100_000);
        let trace = Work::Trace { examples: 50_000 };
        assert!(estimate(&config, trace, &device).is_some());
        let err = refusal(&config, trace, room);
        assert!(err.contains("--examples"), "{err}");
    }

    #[test]
    fn bytes_read_as_a_person_writes_them() {
        assert_eq!(human(512), "512 B");
        assert_eq!(human(3 << 29), "1.5 GiB");
        assert_eq!(human(u64::MAX), "16.0 EiB");
    }
}
