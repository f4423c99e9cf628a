//! The command line: clap derive types, with their doc comments as help, and [`run`].

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use burn::tensor::Device;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Args, Parser, Subcommand};

use crate::artifacts::{CONFUSION, RunDir};
use crate::bench;
use crate::compare::{self, Tolerance};
use crate::config::{Engine, Kernel};
use crate::config::{ExperimentConfig, Preset, Schedule};
use crate::data::DataConfig;
use crate::device;
use crate::eval;
use crate::gradcheck::{self, CheckOptions, Mode, Problem};
use crate::loss::{LossKind, Reduction};
use crate::manual::trace;
use crate::model::activation::Activation;
use crate::model::init::{BiasInit, Init};
use crate::plot;
use crate::progress::Progress;
use crate::reproduce;
use crate::rng::RngKind;
use crate::tensor::{Layout, Precision};
use crate::train::{self, Experiment};

/// Backpropagation from scratch, verified: the classic feedforward notebooks, trained with burn.
#[derive(Debug, Parser)]
#[command(name = "burnprop", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train a notebook experiment and write its run directory.
    Train(Box<TrainArgs>),
    /// Check the manual and autodiff gradients against finite differences (f64), one table row
    /// per parameter tensor; exits non-zero when a gradient fails.
    Gradcheck(Box<GradcheckArgs>),
    /// One forward and one backward pass on a small batch, printing every intermediate matrix
    /// (Z1, A1, …, Ŷ, loss, dZ, dW, db) in the order the notebooks derive them.
    Trace(Box<TraceArgs>),
    /// Train one network with both engines on the same batches and compare them step by step:
    /// losses, |Δloss| and max|Δθ|; writes compare.csv and compare.json and exits non-zero when
    /// the trajectories part beyond the stated tolerance.
    Compare(Box<CompareArgs>),
    /// Draw a run directory's figures (PNG and SVG) from its saved artifacts, without
    /// retraining: loss and accuracy, the notebooks' pictures of the network, the engine
    /// comparison, the gradient check.
    Plot(RunArgs),
    /// Run every notebook experiment at the notebook's settings, with gradient checks, the
    /// engine comparison and every figure, and write a README gallery of them.
    Reproduce(ReproduceArgs),
    /// Evaluate a trained run on its test split (its training data if it has none): accuracy,
    /// per-class precision and recall, the confusion matrix (also written as confusion.csv).
    Eval(RunArgs),
    /// Classify pictures of digits (PNG or JPEG, any size) with a trained MNIST run.
    Predict(PredictArgs),
    /// List the presets: their notebook, network, data and training.
    List,
    /// Time a preset as `train` runs it: per iteration (full batch) or per epoch (minibatches,
    /// evaluation excluded), after a warm-up, over repeats; prints median/min/max, steps per
    /// second and peak memory. scripts/bench-vs-reference.sh sets it beside numpy and PyTorch.
    Bench(Box<BenchArgs>),
}

/// `burnprop train`: a preset, with any hyperparameter overridden by a flag.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The experiment and its overrides.
    #[command(flatten)]
    pub experiment: ExperimentArgs,

    /// Where the gradients and the update come from: burn's autodiff and burn's Sgd, or the
    /// hand-derived backward pass and notebook 000's update M ← mf·M − lr·∇, P ← P + M (no
    /// dampening). Both write the same run directory.
    #[arg(long, value_enum, default_value_t = Engine::Autodiff)]
    pub engine: Engine,

    /// Run directory [default: runs/PRESET].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Print the network layer by layer (as notebook 003's print(model)) and exit.
    #[arg(long)]
    pub summary: bool,

    /// With output piped, print a progress line every N steps [default: about 20 lines].
    #[arg(long, value_name = "N")]
    pub log_every: Option<usize>,
}

/// `burnprop compare`: the autodiff and manual engines, side by side.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The experiment and its overrides (--dampening other than 0 applies to burn's Sgd only:
    /// the notebook's update has none, so the engines then part on purpose).
    #[command(flatten)]
    pub experiment: ExperimentArgs,

    /// Updates each engine takes (the run stops there; a schedule spans these steps).
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub steps: usize,

    /// Print a row every K steps (the first departure is always printed) [default: about ten
    /// rows].
    #[arg(long, value_name = "K")]
    pub every: Option<usize>,

    /// Relative tolerance of the losses [default: 1e-5 in f32, 1e-10 in f64, 1e-5 in f64 when
    /// burn's f32 momentum factor is not exact].
    #[arg(long, allow_negative_numbers = true, value_name = "TOL")]
    pub loss_tol: Option<f64>,

    /// Tolerance of the largest parameter difference, relative to max(1, max|θ|) [default:
    /// 1e-4 in f32, 1e-9 in f64, 1e-4 in f64 when burn's f32 momentum factor is not exact].
    #[arg(long, allow_negative_numbers = true, value_name = "TOL")]
    pub param_tol: Option<f64>,

    /// Run directory [default: runs/PRESET-compare].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// `burnprop bench`: one workload, timed.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The experiment and its overrides (e.g. --samples, --batch-size, --hidden for scaling).
    #[command(flatten)]
    pub experiment: ExperimentArgs,

    /// The engine to time (as for train).
    #[arg(long, value_enum, default_value_t = Engine::Autodiff)]
    pub engine: Engine,

    /// Timed iterations per repeat (full-batch presets).
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub steps: usize,

    /// Untimed warm-up: iterations for a full batch, epochs for minibatches [default: 20
    /// iterations, 1 epoch].
    #[arg(long, value_name = "N")]
    pub warmup: Option<usize>,

    /// Timed repeats.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub repeats: usize,

    /// Print the measurement as one line of JSON.
    #[arg(long)]
    pub json: bool,
}

/// `burnprop gradcheck`: the three-way gradient check of a preset's initial network.
#[derive(Debug, Args)]
pub struct GradcheckArgs {
    /// The experiment and its overrides (the check always runs in f64).
    #[command(flatten)]
    pub experiment: ExperimentArgs,

    /// Finite-difference step ε.
    #[arg(long, value_name = "E", allow_negative_numbers = true, default_value_t = gradcheck::DEFAULT_EPS)]
    pub eps: f64,

    /// One random direction per tensor instead of every element [default: element by element
    /// up to 20000 parameters, directional above, as for MNIST].
    #[arg(long)]
    pub directional: bool,

    /// Check on the first N training examples [default: all of them, or one minibatch].
    #[arg(long, value_name = "N")]
    pub examples: Option<usize>,

    /// Print the report as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `burnprop trace`: every matrix of one forward and backward pass.
#[derive(Debug, Args)]
pub struct TraceArgs {
    /// The experiment and its overrides.
    #[command(flatten)]
    pub experiment: ExperimentArgs,

    /// Print examples as rows (burn, notebooks 000, 001, 003) or columns (notebook 002).
    #[arg(long, value_enum, default_value = "row")]
    pub layout: Layout,

    /// Trace the first N training examples.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub examples: usize,
}

/// `burnprop eval` and `burnprop plot`: a saved run directory.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The run directory: the --out of `burnprop train` (plot also takes that of `burnprop
    /// compare`), or one of `burnprop reproduce`'s.
    #[arg(long, value_name = "DIR")]
    pub run: PathBuf,

    /// Directory holding MNIST's IDX files [default: the one the run was trained from].
    #[arg(long, env = "BURNPROP_MNIST_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Compute device (as for train).
    #[arg(long, env = "BURN_DEVICE", value_name = "NAME")]
    pub device: Option<String>,
}

/// `burnprop reproduce`: everything, into one directory.
#[derive(Debug, Args)]
pub struct ReproduceArgs {
    /// Shorten every run (300 circles iterations, one MNIST epoch, 20 compared steps, gradient
    /// checks on 64 examples): a first look in seconds, not the notebooks' results.
    #[arg(long)]
    pub quick: bool,

    /// The artifacts directory.
    #[arg(long, value_name = "DIR", default_value = "artifacts")]
    pub out: PathBuf,

    /// Directory holding MNIST's IDX files; without it, MNIST runs only if burn-dataset's
    /// cache has it.
    #[arg(long, env = "BURNPROP_MNIST_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Compute device (as for train).
    #[arg(long, env = "BURN_DEVICE", value_name = "NAME")]
    pub device: Option<String>,
}

/// `burnprop predict`: pictures through a saved MNIST network.
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// The run directory (the --out of `burnprop train mnist`).
    #[arg(long, value_name = "DIR")]
    pub run: PathBuf,

    /// PNG or JPEG pictures of single digits, any size, dark on light or light on dark.
    #[arg(required = true, value_name = "IMAGE")]
    pub pictures: Vec<PathBuf>,

    /// How many classes to show per picture.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub top: usize,

    /// Compute device (as for train).
    #[arg(long, env = "BURN_DEVICE", value_name = "NAME")]
    pub device: Option<String>,
}

/// A preset and every hyperparameter flag that overrides it.
#[derive(Debug, Args)]
pub struct ExperimentArgs {
    /// The notebook experiment.
    #[arg(value_enum)]
    pub preset: Preset,

    /// Passes over the training data; a full-batch pass is one iteration.
    #[arg(long, visible_alias = "iterations", value_name = "N")]
    pub epochs: Option<usize>,

    /// Stop after this many optimiser steps, even mid-epoch.
    #[arg(long, value_name = "N")]
    pub max_steps: Option<usize>,

    /// Learning rate.
    #[arg(long, allow_negative_numbers = true, value_name = "LR")]
    pub lr: Option<f64>,

    /// Momentum factor μ of SGD (0 turns momentum off).
    #[arg(long, allow_negative_numbers = true, value_name = "MU")]
    pub momentum: Option<f64>,

    /// Dampening d of burn's momentum velocity: v ← g at the first step, then
    /// v ← μ·v + (1 − d)·g, θ ← θ − lr·v. With d = 0 (the default, as in PyTorch) this is
    /// notebook 000's M ← μ·M − lr·g, θ ← θ + M, step for step (M = −lr·v). burn's own
    /// MomentumConfig defaults to d = 0.1, which weighs every gradient after the first by 0.9
    /// and parts from the notebook at the second step. The manual engine has no dampening.
    #[arg(long, allow_negative_numbers = true, value_name = "D")]
    pub dampening: Option<f64>,

    /// Use Nesterov momentum (needs a positive --momentum and --dampening 0).
    #[arg(long)]
    pub nesterov: bool,

    /// Learning-rate schedule over the run's steps.
    #[arg(long, value_enum)]
    pub schedule: Option<Schedule>,

    /// L2 weight decay λ, added to the gradient as λ·θ.
    #[arg(long, allow_negative_numbers = true, value_name = "LAMBDA")]
    pub weight_decay: Option<f64>,

    /// Examples per step (minibatch SGD with seeded shuffling).
    #[arg(long, value_name = "N", conflicts_with = "full_batch")]
    pub batch_size: Option<usize>,

    /// Train on the whole training set at every step.
    #[arg(long)]
    pub full_batch: bool,

    /// Hidden-layer widths, comma-separated (e.g. 16,8).
    #[arg(long, value_delimiter = ',', value_name = "WIDTHS")]
    pub hidden: Option<Vec<usize>>,

    /// Hidden-layer activations: one for all layers, or one per layer, comma-separated.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "ACTIVATION")]
    pub activation: Option<Vec<Activation>>,

    /// Whether layers have biases.
    #[arg(long, value_name = "BOOL")]
    pub bias: Option<bool>,

    /// The objective; it also sets the output activation (softmax, sigmoid, identity).
    #[arg(long, value_enum)]
    pub loss: Option<LossKind>,

    /// Sum the per-example losses or average them.
    #[arg(long, value_enum)]
    pub reduction: Option<Reduction>,

    /// Weight initialiser.
    #[arg(long, value_enum)]
    pub init: Option<Init>,

    /// Bias initialiser.
    #[arg(long, value_enum)]
    pub bias_init: Option<BiasInit>,

    /// Standard deviation of the normal initialiser.
    #[arg(long, allow_negative_numbers = true, value_name = "SCALE")]
    pub init_scale: Option<f64>,

    /// Train from the N-th initialisation draw (notebook 000 trains from its second).
    #[arg(long, value_name = "N")]
    pub init_draw: Option<usize>,

    /// Where random numbers come from.
    #[arg(long, value_enum)]
    pub rng: Option<RngKind>,

    /// The seed of every random draw (data, weights, shuffling).
    #[arg(long)]
    pub seed: Option<u32>,

    /// Floating-point precision.
    #[arg(long, value_enum)]
    pub dtype: Option<Precision>,

    /// How the manual engine computes a step on the CPU: `fused` sweeps the examples once
    /// (forward, loss, backward and gradient sums together, on all cores), `tensor` runs one
    /// burn operation per line of the derivation. `auto` picks `fused` for layers up to 64
    /// wide on flex or ndarray.
    #[arg(long, value_enum)]
    pub kernel: Option<Kernel>,

    /// Number of examples of generated data (circles, three-layer).
    #[arg(long, value_name = "N")]
    pub samples: Option<usize>,

    /// Noise of the circles data.
    #[arg(long, allow_negative_numbers = true)]
    pub noise: Option<f64>,

    /// Inner-circle radius of the circles data, relative to the outer one.
    #[arg(long, allow_negative_numbers = true)]
    pub factor: Option<f64>,

    /// Directory holding MNIST's four IDX files, raw or .gz (the MNIST presets) [default:
    /// burn-dataset's cache, ~/.cache/burn-dataset/mnist].
    #[arg(long, env = "BURNPROP_MNIST_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// The two digits of mnist-binary, comma-separated; the second is target 1.
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub digits: Option<Vec<u8>>,

    /// Standardise MNIST pixels to (x − 0.1307) / 0.3081 instead of scaling them to [0, 1].
    #[arg(long)]
    pub standardize: bool,

    /// Compute device: flex, ndarray, wgpu, vulkan, metal, cuda, rocm or cpu (must be compiled
    /// in; default: the first compiled-in of cuda, metal, rocm, vulkan, wgpu, cpu, flex, ndarray).
    #[arg(long, env = "BURN_DEVICE", value_name = "NAME")]
    pub device: Option<String>,
}

impl ExperimentArgs {
    /// The preset's config with every given flag applied.
    pub fn config(&self) -> Result<ExperimentConfig> {
        let mut c = self.preset.config();
        let opt = &mut c.optimizer;
        set(&mut opt.lr, self.lr);
        set(&mut opt.momentum, self.momentum);
        set(&mut opt.dampening, self.dampening);
        set(&mut opt.weight_decay, self.weight_decay);
        set(&mut opt.schedule, self.schedule);
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
        if let Some(hidden) = &self.hidden {
            c.hidden.clone_from(hidden);
        }
        let activations = self
            .activation
            .clone()
            .unwrap_or_else(|| c.activations.first().map(|&a| vec![a]).unwrap_or_default());
        c.activations = match activations.as_slice() {
            // One activation (or the preset's first) serves every hidden layer.
            [one] => vec![*one; c.hidden.len()],
            // A logistic regressor given hidden layers gets the notebooks' sigmoid.
            [] => vec![Activation::Sigmoid; c.hidden.len()],
            many => many.to_vec(),
        };
        set(&mut c.bias, self.bias);
        set(&mut c.loss, self.loss);
        set(&mut c.reduction, self.reduction);
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
        self.apply_data_flags(&mut c.data)?;
        c.validate()?;
        Ok(c)
    }

    fn apply_data_flags(&self, data: &mut DataConfig) -> Result<()> {
        let name = data.name();
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
                if self.data_dir.is_some() {
                    dir.clone_from(&self.data_dir);
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
            DataConfig::Logreg | DataConfig::Xor => {
                reject("--samples", self.samples.is_some(), name)?;
                reject("--noise", self.noise.is_some(), name)?;
                reject("--factor", self.factor.is_some(), name)?;
            }
        }
        // --data-dir (also read from BURNPROP_MNIST_DIR) only concerns MNIST; the MNIST-only
        // switches do not apply here.
        reject("--digits", self.digits.is_some(), name)?;
        reject("--standardize", self.standardize, name)?;
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

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Train(args) => train_command(&args),
        Command::Gradcheck(args) => gradcheck_command(&args),
        Command::Trace(args) => trace_command(&args),
        Command::Compare(args) => compare_command(&args),
        Command::Plot(args) => plot_command(&args),
        Command::Reproduce(args) => reproduce_command(&args),
        Command::Eval(args) => eval_command(&args),
        Command::Predict(args) => predict_command(&args),
        Command::List => {
            print!("{}", list());
            Ok(())
        }
        Command::Bench(args) => bench_command(&args),
    }
}

fn bench_command(args: &BenchArgs) -> Result<()> {
    let config = args.experiment.config()?;
    let (backend, device) = open_device(args.experiment.device.as_deref(), config.dtype)?;
    let settings = bench::Settings {
        warmup: args
            .warmup
            .unwrap_or(if config.batch_size.is_some() { 1 } else { 20 }),
        repeats: args.repeats,
        steps: args.steps,
    };
    let measurement = bench::bench(&config, args.engine, backend, &device, settings)
        .with_context(|| format!("benchmarking {} failed", config.preset.name()))?;
    if args.json {
        println!("{}", serde_json::to_string(&measurement)?);
    } else {
        println!("{}", measurement.line());
    }
    Ok(())
}

fn train_command(args: &TrainArgs) -> Result<()> {
    let config = args.experiment.config()?;
    let (backend, device) = open_device(args.experiment.device.as_deref(), config.dtype)?;
    if args.summary {
        let experiment = Experiment::new(&config, &device)?;
        println!("{}", experiment.model.summary());
        return Ok(());
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("runs").join(config.preset.name()));
    args.engine.check(&config)?;
    println!(
        "{} (notebook {}) on {backend}, {}",
        config.preset.name(),
        config.preset.notebook(),
        config.dtype.name()
    );
    println!("{}", config.network());
    println!("{} engine: {}", args.engine, args.engine.describe(&config));
    let mut progress = Progress::new(args.log_every);
    let report = train::run_to_dir(&config, args.engine, backend, &device, &out, &mut progress)
        .with_context(|| format!("training {} failed", config.preset.name()))?;
    println!("{report}");
    Ok(())
}

fn gradcheck_command(args: &GradcheckArgs) -> Result<()> {
    if args.experiment.dtype == Some(Precision::F32) {
        bail!(
            "gradcheck runs in f64 only: finite differences in f32 lose half their digits; drop --dtype f32"
        );
    }
    let config = args.experiment.config()?;
    let (backend, device) = device::select(args.experiment.device.as_deref())?;
    // The check is of the derivations, in f64: a device without f64 hands it to the host.
    let (backend, device, moved) = device::for_f64(backend, device)?;
    let problem = Problem::from_config(&config, args.examples, &device)?;
    let mode = if args.directional {
        Mode::Directional
    } else {
        gradcheck::auto_mode(&problem)
    };
    let options = CheckOptions {
        eps: args.eps,
        mode,
        seed: config.seed,
    };
    let report = gradcheck::check(&problem, options)?;
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
            "gradcheck {} (notebook {}) on {backend}: {}",
            config.preset.name(),
            config.preset.notebook(),
            config.network()
        );
        if let Some(note) = &moved {
            println!("note: {note}");
        }
        println!("{report}");
    }
    if report.verdict == gradcheck::Verdict::Fail {
        let worst = report
            .tensors
            .iter()
            .filter(|t| t.verdict == gradcheck::Verdict::Fail)
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        bail!(
            "gradient check failed for {worst}: relative error above {:e}",
            gradcheck::FAIL_ABOVE
        );
    }
    Ok(())
}

fn trace_command(args: &TraceArgs) -> Result<()> {
    let config = args.experiment.config()?;
    let (backend, device) = open_device(args.experiment.device.as_deref(), config.dtype)?;
    if args.examples == 0 {
        bail!("--examples must be at least 1");
    }
    let experiment = Experiment::new(&config, &device)?;
    let batch = experiment.first_batch(&config, args.examples, &device);
    let m = batch.len();
    let build = match args.layout {
        Layout::Row => trace::rows,
        Layout::Column => trace::columns,
    };
    let mut trace = build(
        &experiment.model,
        batch.inputs,
        batch.targets,
        config.loss,
        config.reduction,
    )?;
    for (name, alias) in notebook_names(config.preset, args.layout) {
        trace.alias(name, alias);
    }
    println!(
        "trace {} (notebook {}) on {backend}, {}: {}, {m} examples, {} layout",
        config.preset.name(),
        config.preset.notebook(),
        config.dtype.name(),
        config.network(),
        match args.layout {
            Layout::Row => "row (examples are rows)",
            Layout::Column => "column (examples are columns)",
        }
    );
    println!();
    print!("{trace}");
    Ok(())
}

fn compare_command(args: &CompareArgs) -> Result<()> {
    if args.steps == 0 {
        bail!("--steps must be at least 1");
    }
    if args.experiment.max_steps.is_some() {
        bail!("compare stops after --steps updates; drop --max-steps");
    }
    if args.every == Some(0) {
        bail!("--every must be at least 1");
    }
    let config = args.experiment.config()?;
    let mut tolerance = Tolerance::for_config(&config);
    for (given, field, flag) in [
        (args.loss_tol, &mut tolerance.loss, "--loss-tol"),
        (args.param_tol, &mut tolerance.param, "--param-tol"),
    ] {
        if let Some(value) = given {
            if !(value.is_finite() && value >= 0.0) {
                bail!("{flag} must be zero or a positive number (got {value})");
            }
            *field = value;
        }
    }
    let (backend, device) = open_device(args.experiment.device.as_deref(), config.dtype)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("runs").join(format!("{}-compare", config.preset.name())));
    let every = args.every.unwrap_or_else(|| (args.steps / 10).max(1));

    println!(
        "compare {} (notebook {}) on {backend}, {}: {}, {} steps",
        config.preset.name(),
        config.preset.notebook(),
        config.dtype.name(),
        config.network(),
        args.steps
    );
    for line in compare::engine_descriptions(&config) {
        println!("  {line}");
    }
    let opt = &config.optimizer;
    if opt.momentum != 0.0 && opt.dampening != 0.0 {
        println!(
            "  note: burn's dampening {} has no counterpart in the notebook's update, so the engines part from step 2",
            opt.dampening
        );
    }
    if compare::burn_rounds_momentum(&config) {
        println!(
            "  note: burn keeps the momentum factor as f32 ({} → {}), so in f64 the engines are held to f32's tolerance",
            opt.momentum,
            f64::from(opt.momentum as f32)
        );
    }
    println!("tolerance: {tolerance}\n");
    println!("{}", compare::table_header());
    let mut departed = false;
    let comparison =
        compare::compare_engines(&config, args.steps, tolerance, &device, &mut |record| {
            let departs = !departed && !record.agrees(&tolerance);
            departed |= departs;
            if departs || record.step % every == 0 || record.step == args.steps || !record.finite()
            {
                let mark = if departs { "  ← parts here" } else { "" };
                println!("{}{mark}", compare::table_row(record, config.dtype));
            }
        })
        .with_context(|| format!("comparing the engines on {} failed", config.preset.name()))?;

    comparison.save(&out, backend)?;
    let summary = comparison.summary(backend);
    let [autodiff, manual] = summary.seconds;
    println!(
        "\ntime in each engine: autodiff {autodiff:.3} s, manual {manual:.3} s (manual/autodiff {:.2})",
        manual / autodiff.max(f64::MIN_POSITIVE)
    );
    if let Some(record) = comparison.first_non_finite() {
        bail!(
            "the loss stopped being finite at step {} (autodiff {}, manual {}); lower --lr (wrote {})",
            record.step,
            record.loss_autodiff,
            record.loss_manual,
            out.display()
        );
    }
    let (worst_loss, worst_param) = (summary.worst_rel_delta_loss, summary.worst_rel_delta_param);
    if let Some(record) = comparison.first_departure() {
        bail!(
            "the engines part at step {}: relative |Δloss| {:.2e} (tolerance {:e}), max|Δθ| {:.2e} relative (tolerance {:e}) (wrote {})",
            record.step,
            record.relative_delta_loss(),
            tolerance.loss,
            record.relative_delta_param(),
            tolerance.param,
            out.display()
        );
    }
    println!(
        "agree: all {} steps within tolerance; largest relative |Δloss| {:.2e} (step {}), largest relative max|Δθ| {:.2e} (step {})",
        summary.steps, worst_loss.0, worst_loss.1, worst_param.0, worst_param.1
    );
    println!("wrote {}", out.display());
    Ok(())
}

fn plot_command(args: &RunArgs) -> Result<()> {
    let (_, device) = open_run_device(&args.run, args.device.as_deref())?;
    let plotted = plot::plot_run(&args.run, args.data_dir.as_deref(), &device)
        .with_context(|| format!("plotting {} failed", args.run.display()))?;
    for path in &plotted.written {
        println!("wrote {}", path.display());
    }
    for reason in &plotted.skipped {
        println!("skipped {reason}");
    }
    Ok(())
}

fn reproduce_command(args: &ReproduceArgs) -> Result<()> {
    let (backend, device) = device::select(args.device.as_deref())?;
    let options = reproduce::ReproduceOptions {
        quick: args.quick,
        out: args.out.clone(),
        data_dir: args.data_dir.clone(),
        backend,
    };
    let start = std::time::Instant::now();
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
    Ok(())
}

fn eval_command(args: &RunArgs) -> Result<()> {
    let dir = RunDir::open(&args.run)?;
    let (backend, device) = open_device(args.device.as_deref(), dir.config()?.dtype)?;
    let (config, report) = eval::evaluate_run(&dir, args.data_dir.as_deref(), &device)?;
    println!(
        "{} run {} on {backend}: {}",
        config.preset.name(),
        args.run.display(),
        config.network()
    );
    println!("{report}");
    let path = dir.write(CONFUSION, report.confusion.to_csv().as_bytes())?;
    println!("wrote {}", path.display());
    Ok(())
}

fn predict_command(args: &PredictArgs) -> Result<()> {
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
    Ok(())
}

/// The device of `--device` (or the default), opened, and able to compute in `dtype`.
fn open_device(requested: Option<&str>, dtype: Precision) -> Result<(device::Backend, Device)> {
    let (backend, device) = device::select(requested)?;
    device::ensure_precision(backend, &device, dtype.float_dtype())?;
    Ok((backend, device))
}

/// [`open_device`] for a saved run, in the run's precision; a directory without a readable
/// config (plot's own error names what is missing) is opened in f32.
fn open_run_device(run: &Path, requested: Option<&str>) -> Result<(device::Backend, Device)> {
    let dtype = RunDir::open(run)
        .and_then(|dir| dir.config())
        .map_or(Precision::F32, |config| config.dtype);
    open_device(requested, dtype)
}

/// What each notebook calls the trace's entries, where its names differ.
fn notebook_names(preset: Preset, layout: Layout) -> &'static [(&'static str, &'static str)] {
    match (preset, layout) {
        (Preset::Xor, Layout::Row) => &[("A1", "X2"), ("Ŷ", "Yhat")],
        (Preset::Circles, Layout::Row) => {
            &[("A1", "H"), ("Ŷ", "y_hat"), ("dZ2", "δ^o"), ("dZ1", "δ^h")]
        }
        (Preset::Logreg, _) => &[("Ŷ", "A1")],
        (Preset::ThreeLayer, Layout::Column) => &[("Ŷ", "A2")],
        _ => &[],
    }
}

/// The text of `burnprop list`.
pub fn list() -> String {
    let mut out = String::new();
    for preset in Preset::ALL {
        let config = preset.config();
        out.push_str(&format!(
            "{:<12} notebook {}\n{:<12} network  {}\n{:<12} data     {}\n{:<12} training {}\n\n",
            preset.name(),
            preset.notebook(),
            "",
            config.network(),
            "",
            config.data.describe(),
            "",
            preset.training(),
        ));
    }
    out
}

/// Prints a command-line error as one line on stderr and returns clap's exit code; help and
/// version requests print as usual.
pub fn report_parse_error(err: &clap::Error) -> ExitCode {
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        // Help goes to stdout; if that fails there is nobody left to tell.
        let _ = err.print();
        return ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2));
    }
    let rendered = err.render().to_string();
    let mut line = rendered
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("error: invalid command line")
        .to_string();
    if let Some(ContextValue::Strings(values)) = err.get(ContextKind::ValidValue) {
        line.push_str(&format!("; expected one of: {}", values.join(", ")));
    }
    for kind in [ContextKind::SuggestedArg, ContextKind::SuggestedValue] {
        if let Some(ContextValue::String(suggestion)) = err.get(kind) {
            line.push_str(&format!(" (did you mean '{suggestion}'?)"));
        }
    }
    eprintln!("{line}");
    ExitCode::from(2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

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
        .config()
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
            .config()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--samples does not apply to the xor data"),
            "{err}"
        );
    }

    #[test]
    fn list_names_every_preset_and_notebook() {
        let text = list();
        for preset in Preset::ALL {
            assert!(text.contains(preset.name()));
            assert!(text.contains(preset.notebook()));
        }
        assert!(text.contains("2-3-1 relu → sigmoid, no biases"));
    }
}
