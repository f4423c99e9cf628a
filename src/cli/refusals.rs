//! Flags that would change nothing are refused, in one line naming the flag and the setting
//! that makes it meaningless (issue 31: `trace xor --init-scale 1e30` printed xor's Glorot
//! weights as if the flag were not there).
//!
//! Only flags typed on the command line are judged: a preset or a `--config` file may hold a
//! value its other settings never read (circles' `init_scale` under `--init glorot`), and that
//! is no mistake of the user's. Two kinds of refusal:
//!
//! - `ExperimentArgs::refuse_ignored`: a flag the final configuration never reads, whatever
//!   the command (`--init-scale` without `--init normal`); `to_config` applies it.
//! - [`ExperimentArgs::config_for`]: a flag the command never reads (`--lr` for `trace`, which
//!   takes no step).

use anyhow::Result;
use clap::ValueEnum;

use super::args::{ExperimentArgs, given_dir};
use crate::config::{Engine, ExperimentConfig, Kernel, Schedule};
use crate::data::DataConfig;
use crate::error::Error;
use crate::model::init::Init;

/// The command a configuration is for, and what it reads beside the configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Job {
    /// `train`, with its `--engine` where given (else the configuration's engine).
    Train {
        /// `--engine`.
        engine: Option<Engine>,
    },
    /// `compare`: both engines, for `--steps` updates.
    Compare,
    /// `bench`: `engine`'s steps at the constant `--lr`, timed.
    Bench {
        /// `--engine` (or bench's default).
        engine: Engine,
    },
    /// `gradcheck`: the initial network's gradients.
    Gradcheck {
        /// Whether `--examples` is given (then the batch size is not read).
        examples: bool,
    },
    /// `trace`: one forward and backward pass of the first `--examples` examples.
    Trace,
}

/// One line: `FLAG has no effect …; FIX`.
fn refuse(message: String) -> Result<()> {
    Err(Error::InvalidConfig(message).into())
}

/// `3-1 network`: the layer widths.
fn sizes_network(c: &ExperimentConfig) -> String {
    format!("{} network", c.widths())
}

/// A closed choice as it is spelled on the command line (`glorot-network`).
fn spelled<T: ValueEnum>(value: &T) -> String {
    value
        .to_possible_value()
        .map_or_else(String::new, |v| v.get_name().to_string())
}

impl ExperimentArgs {
    /// The configuration for `job`: [`to_config`](Self::to_config), after refusing every
    /// flag given that `job` never reads.
    pub fn config_for(&self, job: Job) -> Result<ExperimentConfig> {
        for (flag, given) in self.stepping_flags() {
            if given && let Some((why, fix)) = job.ignores(flag) {
                refuse(format!("{flag} has no effect on {why}; {fix}"))?;
            }
        }
        let base = self.base()?;
        let config = self.over(base.clone())?;
        let engine = match job {
            Job::Train { engine } => engine.unwrap_or(config.engine),
            Job::Bench { engine } => engine,
            _ => return Ok(config),
        };
        // burn's autodiff runs burn's tensor operations whatever the kernel; `auto` or
        // `tensor` still matters over a base whose fused or wide kernel it replaces.
        let host = |k: Kernel| matches!(k, Kernel::Fused | Kernel::Wide);
        if let Some(kernel) = self.kernel
            && engine == Engine::Autodiff
            && !host(kernel)
            && !host(base.kernel)
        {
            refuse(format!(
                "--kernel {kernel} has no effect with --engine autodiff, whose gradients are burn's own tensor operations; add --engine manual, or drop the flag"
            ))?;
        }
        Ok(config)
    }

    /// The flags of the training loop, and whether each is given.
    fn stepping_flags(&self) -> [(&'static str, bool); 12] {
        [
            ("--epochs (or --iterations)", self.epochs.is_some()),
            ("--max-steps", self.max_steps.is_some()),
            ("--lr", self.lr.is_some()),
            ("--momentum", self.momentum.is_some()),
            ("--dampening", self.dampening.is_some()),
            ("--nesterov", self.nesterov),
            ("--weight-decay", self.weight_decay.is_some()),
            ("--schedule", self.schedule.is_some()),
            ("--lr-final", self.lr_final.is_some()),
            ("--kernel", self.kernel.is_some()),
            ("--batch-size", self.batch_size.is_some()),
            ("--full-batch", self.full_batch),
        ]
    }

    /// Refuses a flag given that `c`, the configuration with every flag applied, never reads.
    pub(super) fn refuse_ignored(&self, c: &ExperimentConfig) -> Result<()> {
        // Whose the setting is when no flag gave it.
        let whose = match (self.preset, &self.config) {
            (Some(preset), _) => format!("{}'s", preset.name()),
            (None, Some(_)) => "the --config file's".to_string(),
            (None, None) if self.data_file.is_some() => "--data-file's".to_string(),
            (None, None) => "the resumed run's".to_string(),
        };
        let from = |given: bool, what: &str| {
            if given {
                String::new()
            } else {
                format!(" ({whose} {what})")
            }
        };
        if self.init_scale.is_some() && c.init != Init::Normal {
            refuse(format!(
                "--init-scale has no effect with --init {}{}; add --init normal, or drop the flag",
                spelled(&c.init),
                from(self.init.is_some(), "initialiser")
            ))?;
        }
        if self.bias_init.is_some() && !c.bias {
            refuse(format!(
                "--bias-init has no effect with --bias false{}; add --bias true, or drop the flag",
                from(self.bias.is_some(), "layers have no biases")
            ))?;
        }
        if self.dampening.is_some() && c.optimizer.momentum == 0.0 {
            refuse(format!(
                "--dampening has no effect with --momentum 0{}; add --momentum MU, or drop the flag",
                from(self.momentum.is_some(), "plain gradient descent")
            ))?;
        }
        if self.lr_final.is_some() && c.optimizer.schedule == Schedule::Constant {
            refuse(format!(
                "--lr-final has no effect with --schedule constant{}; add --schedule linear (or cosine), or drop the flag",
                from(self.schedule.is_some(), "learning rate")
            ))?;
        }
        if self.l2_on.is_some() && c.l2 == 0.0 {
            refuse(format!(
                "--l2-on has no effect with --l2 0{}; add --l2 ALPHA, or drop the flag",
                from(self.l2.is_some(), "objective has no penalty")
            ))?;
        }
        if self.activation.is_some() && c.hidden.is_empty() {
            refuse(format!(
                "--activation has no effect on a network without hidden layers{}; add --hidden WIDTHS, or drop the flag",
                from(self.hidden.is_some(), &sizes_network(c))
            ))?;
        }
        // BURNPROP_MNIST_DIR fills --data-dir too: only a value the environment did not give
        // is known to be typed.
        let typed_dir = given_dir(self.data_dir.as_deref()).is_some_and(|dir| {
            std::env::var_os("BURNPROP_MNIST_DIR").is_none_or(|env| env != dir.as_os_str())
        });
        if typed_dir && let DataConfig::File(file) = &c.data {
            refuse(format!(
                "--data-dir has no effect on a run of {}, which --data-file names (the MNIST presets read --data-dir); drop the flag",
                file.path.display()
            ))?;
        }
        if typed_dir && !matches!(c.data, DataConfig::Mnist { .. }) {
            refuse(format!(
                "--data-dir has no effect on the {} data, which no file holds (the MNIST presets read it); drop the flag",
                c.data.name()
            ))?;
        }
        Ok(())
    }
}

impl Job {
    /// Why `flag` (one of [`ExperimentArgs::stepping_flags`]) means nothing to this job, and
    /// what to do instead; `None` where it reads the flag.
    fn ignores(self, flag: &str) -> Option<(&'static str, &'static str)> {
        let drop = "drop the flag";
        let batch = matches!(flag, "--batch-size" | "--full-batch");
        match self {
            Job::Train { .. } => None,
            Job::Compare => flag.starts_with("--epochs").then_some((
                "compare, which runs --steps updates",
                "use --steps N, or drop the flag",
            )),
            Job::Bench { .. } => match flag {
                "--schedule" | "--lr-final" => {
                    Some(("bench, which steps at the constant --lr", drop))
                }
                _ if flag.starts_with("--epochs") || flag == "--max-steps" => Some((
                    "bench, which times --repeats rounds of --steps iterations (a full batch) or of one epoch (minibatches)",
                    drop,
                )),
                _ => None,
            },
            Job::Gradcheck { examples } if batch => examples.then_some((
                "gradcheck with --examples, which checks the first --examples examples",
                "drop one of them",
            )),
            Job::Gradcheck { .. } => Some((
                "gradcheck, which checks the initial network's gradients and takes no step",
                drop,
            )),
            Job::Trace if batch => Some((
                "trace, which passes the first --examples examples",
                "use --examples N, or drop the flag",
            )),
            Job::Trace => Some((
                "trace, which prints one forward and backward pass and takes no step",
                drop,
            )),
        }
    }
}
