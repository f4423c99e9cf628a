//! The checks on a [`DataConfig`]: sizes and ranges that no generator can draw from, refused
//! with one sentence that names the flag.

use super::{DataConfig, playground};
use crate::error::{Error, Result};

impl DataConfig {
    /// Checks the sizes and ranges.
    pub fn validate(&self) -> Result<()> {
        let problem = match self {
            DataConfig::Circles { samples, .. } if *samples < 2 => Some(format!(
                "--samples must be at least 2 for circles (got {samples})"
            )),
            DataConfig::Circles { factor, .. } if !(0.0..1.0).contains(factor) => {
                Some(format!("--factor must lie in [0, 1) (got {factor})"))
            }
            DataConfig::Circles { noise, .. } if !(noise.is_finite() && *noise >= 0.0) => {
                Some(format!("--noise must be zero or positive (got {noise})"))
            }
            DataConfig::Moons { samples, .. } if *samples < 2 => Some(format!(
                "--samples must be at least 2 for moons (got {samples})"
            )),
            DataConfig::Moons { noise, .. } if !(noise.is_finite() && *noise >= 0.0) => {
                Some(format!("--noise must be zero or positive (got {noise})"))
            }
            DataConfig::Playground { samples, set, .. } if *samples < 2 => Some(format!(
                "--samples must be at least 2 for the playground's {} (got {samples})",
                set.name()
            )),
            DataConfig::Playground { noise, set, .. }
                if !(0.0..=playground::MAX_NOISE).contains(noise) =>
            {
                Some(format!(
                    "--noise is in percent from 0 to 50 for the playground's {}, like its slider (got {noise})",
                    set.name()
                ))
            }
            DataConfig::PlaygroundRegression { samples, set, .. } if *samples < 2 => Some(format!(
                "--samples must be at least 2 for the playground's {} (got {samples})",
                set.name()
            )),
            DataConfig::PlaygroundRegression { noise, set, .. }
                if !(0.0..=playground::MAX_NOISE).contains(noise) =>
            {
                Some(format!(
                    "--noise is in percent from 0 to 50 for the playground's {}, like its slider (got {noise})",
                    set.name()
                ))
            }
            DataConfig::Spiral { classes, .. } if *classes < 2 => Some(format!(
                "--classes must be at least 2 for the spiral (got {classes})"
            )),
            DataConfig::Spiral { samples, .. } if *samples < 2 => Some(format!(
                "--samples (points per class) must be at least 2 for the spiral (got {samples})"
            )),
            DataConfig::Random {
                features,
                samples,
                outputs,
            } if *features == 0 || *samples == 0 || *outputs == 0 => Some(format!(
                "random data needs at least one feature, example and output (got {features}, {samples}, {outputs})"
            )),
            DataConfig::Mnist {
                digits: Some([a, b]),
                ..
            } if a == b || *a > 9 || *b > 9 => Some(format!(
                "--digits needs two different digits from 0 to 9 (got {a},{b})"
            )),
            DataConfig::File(file) => return file.validate(),
            _ => None,
        };
        problem.map_or(Ok(()), |message| Err(Error::InvalidConfig(message)))
    }
}
