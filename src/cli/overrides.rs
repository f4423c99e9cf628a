//! Flags onto an [`ExperimentConfig`]: a preset's configuration with every given flag in its
//! place, and the rules of which data flags apply to which data.

use anyhow::{Result, bail};

use super::args::{ExperimentArgs, given_dir};
use crate::artifacts::read_config;
use crate::config::{self, ExperimentConfig, Schedule};
use crate::data::table::{DataFile, Request};
use crate::data::{DataConfig, Standardize};
use crate::model::activation::Activation;

impl ExperimentArgs {
    /// The preset's config (or the --config file's) with every given flag applied.
    pub fn to_config(&self) -> Result<ExperimentConfig> {
        self.over(self.base()?)
    }

    /// The config these flags describe over `saved` (a run being resumed): `saved` itself
    /// unless a preset or --config names another base, with every given flag applied.
    pub fn over_saved(&self, saved: &ExperimentConfig) -> Result<ExperimentConfig> {
        let base = match (self.preset, &self.config, &self.data_file) {
            (None, None, None) => saved.clone(),
            _ => self.base()?,
        };
        let mut asked = self.over(base)?;
        // `--standardize` asks for the training split's values: the run stored them.
        if asked.standardize == Some(Standardize::TrainingSplit)
            && matches!(saved.standardize, Some(Standardize::Columns(_)))
        {
            asked.standardize.clone_from(&saved.standardize);
        }
        Ok(asked)
    }

    /// The preset's config, the --config file's, or the --data-file's (read and checked).
    pub(super) fn base(&self) -> Result<ExperimentConfig> {
        if let Some(path) = &self.data_file {
            return Ok(config::file(DataFile::describe(&Request {
                path,
                target: self.target.as_deref(),
                inputs: self.inputs.as_deref(),
                task: self.task,
            })?));
        }
        Ok(match (self.preset, &self.config) {
            (Some(preset), _) => preset.config(),
            (None, Some(path)) => read_config(path)?,
            (None, None) => {
                bail!(
                    "name a preset (`burnprop list` shows them), pass --config FILE, or train on your own CSV with --data-file FILE"
                )
            }
        })
    }

    /// `c` with every given flag applied, validated; a flag that it would not read is refused.
    pub(super) fn over(&self, mut c: ExperimentConfig) -> Result<ExperimentConfig> {
        let opt = &mut c.optimizer;
        set(&mut opt.lr, self.lr);
        set(&mut opt.momentum, self.momentum);
        set(&mut opt.dampening, self.dampening);
        set(&mut opt.weight_decay, self.weight_decay);
        if self.schedule == Some(Schedule::Constant) && self.lr_final.is_none() {
            // The base's decay target (micrograd's 0.1) means nothing without the decay.
            opt.lr_final = 0.0;
        }
        set(&mut opt.schedule, self.schedule);
        set(&mut opt.lr_final, self.lr_final);
        opt.nesterov |= self.nesterov;
        set(&mut c.epochs, self.epochs);
        if self.max_steps.is_some() {
            c.max_steps = self.max_steps;
        }
        if self.batch_size.is_some() {
            c.batch_size = self.batch_size;
        }
        if self.full_batch {
            c.batch_size = None;
        }
        if self.features.is_some() {
            c.features.clone_from(&self.features);
        }
        if let Some(hidden) = &self.hidden {
            c.hidden.clone_from(hidden);
        }
        match (&self.activation, &self.hidden) {
            // One activation (or the base's first) serves every hidden layer.
            (Some(given), _) if given.len() == 1 => c.activations = vec![given[0]; c.hidden.len()],
            (Some(given), _) => c.activations.clone_from(given),
            (None, Some(_)) => {
                // New layers: the base's first activation for all, or, for a logistic
                // regressor given hidden layers, the notebooks' sigmoid.
                let first = c
                    .activations
                    .first()
                    .copied()
                    .unwrap_or(Activation::Sigmoid);
                c.activations = vec![first; c.hidden.len()];
            }
            (None, None) => {}
        }
        set(&mut c.bias, self.bias);
        set(&mut c.loss, self.loss);
        set(&mut c.reduction, self.reduction);
        set(&mut c.l2, self.l2);
        set(&mut c.l2_on, self.l2_on);
        set(&mut c.init, self.init);
        set(&mut c.bias_init, self.bias_init);
        if self.init_scale.is_some() {
            c.init_scale = self.init_scale;
        }
        set(&mut c.init_draw, self.init_draw);
        set(&mut c.rng, self.rng);
        set(&mut c.seed, self.seed);
        set(&mut c.dtype, self.dtype);
        set(&mut c.kernel, self.kernel);
        if self.test_fraction.is_some() {
            c.test_fraction = self.test_fraction;
        }
        // MNIST's --standardize is its fixed pixel scaling (`apply_data_flags`); other data
        // take the training split's values, unless the base already holds them.
        if self.standardize
            && c.standardize.is_none()
            && !matches!(c.data, DataConfig::Mnist { .. })
        {
            c.standardize = Some(Standardize::TrainingSplit);
        }
        self.apply_data_flags(&mut c.data)?;
        self.refuse_ignored(&c)?;
        c.validate()?;
        Ok(c)
    }

    fn apply_data_flags(&self, data: &mut DataConfig) -> Result<()> {
        if let Some(set) = self.data {
            if let DataConfig::Spiral { classes, .. } = data {
                bail!(
                    "--data replaces two-class 2-D data (the circles, xor and micrograd presets); cs231n's spiral has {classes} classes: draw another spiral with --classes and --samples"
                );
            }
            if !data.is_planar() {
                bail!(
                    "--data replaces 2-D data (the circles, xor and micrograd presets); the {} data is not 2-D",
                    data.name()
                );
            }
            // The preset's network and loss stay: so does its target encoding.
            *data = set.config(data.one_hot());
        }
        let name = data.name();
        if !matches!(data, DataConfig::Spiral { .. }) {
            reject("--classes", self.classes.is_some(), name)?;
        }
        match data {
            DataConfig::Circles {
                samples,
                factor,
                noise,
                ..
            } => {
                set(samples, self.samples);
                set(factor, self.factor);
                set(noise, self.noise);
            }
            DataConfig::Moons { samples, noise, .. }
            | DataConfig::Playground { samples, noise, .. }
            | DataConfig::PlaygroundRegression { samples, noise, .. } => {
                set(samples, self.samples);
                set(noise, self.noise);
                reject("--factor", self.factor.is_some(), name)?;
            }
            DataConfig::Spiral { classes, samples } => {
                set(classes, self.classes);
                set(samples, self.samples);
                reject("--noise", self.noise.is_some(), name)?;
                reject("--factor", self.factor.is_some(), name)?;
            }
            DataConfig::Random { samples, .. } => {
                set(samples, self.samples);
                reject("--noise", self.noise.is_some(), name)?;
                reject("--factor", self.factor.is_some(), name)?;
            }
            DataConfig::Mnist {
                dir,
                digits,
                standardize,
            } => {
                reject("--samples", self.samples.is_some(), name)?;
                reject("--noise", self.noise.is_some(), name)?;
                reject("--factor", self.factor.is_some(), name)?;
                if let Some(given) = given_dir(self.data_dir.as_deref()) {
                    *dir = Some(given.to_path_buf());
                }
                *standardize |= self.standardize;
                match (&self.digits, digits.as_mut()) {
                    (None, _) => {}
                    (Some(given), Some(pair)) => {
                        *pair = <[u8; 2]>::try_from(given.as_slice()).map_err(|_| {
                            anyhow::anyhow!(
                                "--digits takes exactly two digits, e.g. --digits 3,5 (got {})",
                                given.len()
                            )
                        })?;
                    }
                    (Some(_), None) => {
                        bail!("--digits applies to mnist-binary; mnist classifies all ten digits")
                    }
                }
                return Ok(());
            }
            DataConfig::Logreg | DataConfig::Xor | DataConfig::File(_) => {
                reject("--samples", self.samples.is_some(), name)?;
                reject("--noise", self.noise.is_some(), name)?;
                reject("--factor", self.factor.is_some(), name)?;
            }
        }
        // The MNIST-only switch does not apply here (a typed --data-dir is refused with the
        // other flags that change nothing, in `refusals`).
        reject("--digits", self.digits.is_some(), name)?;
        Ok(())
    }
}

fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *field = value;
    }
}

fn reject(flag: &str, given: bool, data: &str) -> Result<()> {
    if given {
        bail!(
            "{flag} does not apply to the {data} data, which is a fixed table or has no such parameter"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::args::{Cli, Command};

    fn parse(args: &[&str]) -> ExperimentArgs {
        let cli = Cli::try_parse_from(std::iter::once("burnprop").chain(args.iter().copied()))
            .expect("valid arguments");
        match cli.command {
            Command::Train(args) => args.experiment,
            _ => panic!("expected train"),
        }
    }
    #[test]
    fn flags_override_the_preset() {
        let config = parse(&[
            "train",
            "circles",
            "--iterations",
            "300",
            "--lr",
            "0.001",
            "--hidden",
            "4,4",
            "--activation",
            "tanh",
            "--samples",
            "500",
        ])
        .to_config()
        .expect("a valid config");
        assert_eq!(config.epochs, 300);
        assert_eq!(config.optimizer.lr, 0.001);
        assert_eq!(config.hidden, [4, 4]);
        assert_eq!(config.activations, [Activation::Tanh, Activation::Tanh]);
        assert!(matches!(
            config.data,
            DataConfig::Circles { samples: 500, .. }
        ));
        // Untouched fields keep the notebook's values.
        assert_eq!(config.optimizer.momentum, 0.5);
    }

    #[test]
    fn data_flags_that_do_not_apply_are_errors() {
        let err = parse(&["train", "xor", "--samples", "10"])
            .to_config()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--samples does not apply to the xor data"),
            "{err}"
        );
    }
}
