//! The clap types: every subcommand and flag, with their doc comments as `--help`.

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{Engine, Kernel, Preset, Schedule};
use crate::data::{Feature, PointSet, Task};
use crate::gradcheck;
use crate::loss::{L2Scope, LossKind, Reduction};
use crate::model::activation::Activation;
use crate::model::init::{BiasInit, Init};
use crate::rng::RngKind;
use crate::tensor::{Layout, Precision};

/// The exit status, as `--help` states it (grep's and diff's convention).
const EXIT_STATUS: &str = "Exit status: 0 success; 1 a check ran and failed (gradcheck, compare); \
2 an error (bad input, a missing or malformed file, a device that cannot start); 130 or 143 a \
training run that Ctrl-C or SIGTERM stopped after saving it (continue it with train --resume).";

/// Backpropagation from scratch, verified: the classic feedforward notebooks, trained with burn.
#[derive(Debug, Parser)]
#[command(name = "burnprop", version, about, long_about = None, after_help = EXIT_STATUS)]
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
    /// per parameter tensor; exits with 1 when a gradient fails.
    Gradcheck(Box<GradcheckArgs>),
    /// One forward and one backward pass on a small batch, printing every intermediate matrix
    /// (Z1, A1, …, Ŷ, loss, dZ, dW, db) in the order the notebooks derive them.
    Trace(Box<TraceArgs>),
    /// Train one network with both engines on the same batches and compare them step by step:
    /// losses, |Δloss| and max|Δθ|; writes compare.csv and compare.json and exits with 1 when the
    /// trajectories part beyond the stated tolerance.
    Compare(Box<CompareArgs>),
    /// Draw a run directory's figures (PNG and SVG) from its saved artifacts, without
    /// retraining: loss and accuracy, the notebooks' pictures of the network, what each unit
    /// computes (2-D inputs), the first layer's weights (MNIST), the engine comparison, the
    /// gradient check; with --animate, also training.gif.
    Plot(PlotArgs),
    /// Run every notebook experiment at the notebook's settings, with gradient checks, the
    /// engine comparison and every figure, and write a README gallery of them.
    Reproduce(ReproduceArgs),
    /// Evaluate a trained run on its test split (its training data if it has none): accuracy,
    /// per-class precision and recall, the confusion matrix (also written as confusion.csv).
    Eval(EvalArgs),
    /// Classify pictures of digits (PNG or JPEG, any size) with a trained MNIST run.
    Predict(PredictArgs),
    /// List the presets: their notebook, network, data and training.
    List,
    /// Time a preset as `train` runs it: per iteration (full batch) or per epoch (minibatches,
    /// evaluation excluded), after a warm-up, over repeats; prints median/min/max, steps per
    /// second and peak memory. scripts/bench-vs-reference.sh sets it beside numpy and PyTorch.
    Bench(Box<BenchArgs>),
    /// The playground in your browser: a local web server whose page trains a network live,
    /// shows every unit and link, sweeps the backward pass with its equations, checks the
    /// gradients three ways and exports the run. Prints one line with the page's URL (and its
    /// launch token), then serves until Ctrl-C.
    Serve(ServeArgs),
}

/// `burnprop serve`: the browser playground.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The port to listen on (0: any free port, printed in the URL).
    #[arg(long, default_value_t = 8350)]
    pub port: u16,
    /// The address to listen on. Anything but the loopback lets other machines reach the
    /// server (each request still needs the token); a warning says so.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    pub host: std::net::IpAddr,
    /// Do not open the page in the desktop's browser.
    #[arg(long)]
    pub no_open: bool,
    /// Compute device (as for train).
    #[arg(long, env = "BURN_DEVICE")]
    pub device: Option<String>,
}

/// `burnprop train`: a preset, with any hyperparameter overridden by a flag.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The experiment and its overrides.
    #[command(flatten)]
    pub experiment: ExperimentArgs,

    /// Where the gradients and the update come from: burn's autodiff and burn's Sgd, or the
    /// hand-derived backward pass and notebook 000's update M ← mf·M − lr·∇, P ← P + M (no
    /// dampening). Both write the same run directory [default: autodiff, or the --config's].
    #[arg(long, value_enum)]
    pub engine: Option<Engine>,

    /// Run directory [default: runs/PRESET, or runs/NAME for --data-file NAME.csv].
    #[arg(long, value_name = "DIR", conflicts_with = "resume")]
    pub out: Option<PathBuf>,

    /// Replace the run already in the --out directory, completed or interrupted; without it
    /// such a directory is refused (an interrupted run is continued with --resume).
    #[arg(long, conflicts_with = "resume")]
    pub overwrite: bool,

    /// Continue the run in DIR, stopped by Ctrl-C, `kill` or a crash, from its last
    /// checkpoint to its configured end; the result equals an uninterrupted run's bit for
    /// bit. Flags that would change its configuration are refused.
    #[arg(long, value_name = "DIR")]
    pub resume: Option<PathBuf>,

    /// Also write a checkpoint every N steps (one is written every --checkpoint-seconds, at
    /// each epoch end of a minibatch run, and when the run is interrupted).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub checkpoint_every: Option<u64>,

    /// Write a checkpoint whenever this many seconds of training have passed since the last
    /// one (0: only at epoch ends, every --checkpoint-every steps and when interrupted).
    #[arg(long, value_name = "S", default_value_t = 60.0)]
    pub checkpoint_seconds: f64,

    /// Print the network layer by layer (as notebook 003's print(model)) and exit.
    #[arg(long)]
    pub summary: bool,

    /// Print a progress line every N steps, instead of the bar a terminal gets [default, piped:
    /// every step of a run of at most 100 steps, else about 20 lines]. f64 runs print each
    /// loss to every digit.
    #[arg(long, value_name = "N", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub log_every: Option<usize>,

    /// Also write training.gif: the decision regions as the network learns, beside the loss
    /// (runs on 2-D inputs; the networks are kept while it trains, about 60 frames chosen
    /// along the loss curve).
    #[arg(long, conflicts_with_all = ["resume", "summary"])]
    pub animate: bool,
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

    /// Run directory [default: runs/PRESET-compare, or runs/NAME-compare for --data-file
    /// NAME.csv].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Replace the run already in the --out directory; without it such a directory is refused.
    #[arg(long)]
    pub overwrite: bool,
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

    /// How to write the pass: numpy-style text (8 decimals), JSON (every value at full
    /// precision, with names, shapes, equations and what was traced), or a Markdown derivation
    /// sheet (each equation in LaTeX, then its matrix; renders on GitHub).
    #[arg(long, value_enum, default_value = "text")]
    pub format: TraceFormat,

    /// Write to FILE (atomically: a reader never sees half of it) instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// The formats of `burnprop trace`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TraceFormat {
    /// Each entry's name, equation and shape, then its values, numpy-style.
    Text,
    /// The whole pass as one JSON document (the README's trace section has its schema).
    Json,
    /// A derivation sheet: Markdown with `$$` LaTeX blocks.
    Markdown,
}

/// `burnprop eval` and `burnprop plot`: a saved run directory.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The run directory: the --out of `burnprop train` (plot also takes that of `burnprop
    /// compare`), or one of `burnprop reproduce`'s.
    #[arg(long, value_name = "DIR")]
    pub run: PathBuf,

    /// Directory holding MNIST's IDX files [default: the one the run was trained from].
    #[arg(long, env = "BURNPROP_MNIST_DIR", value_name = "DIR", value_parser = mnist_dir)]
    pub data_dir: Option<PathBuf>,

    /// Compute device (as for train).
    #[arg(long, env = "BURN_DEVICE", value_name = "NAME")]
    pub device: Option<String>,
}

/// `burnprop eval`: a saved run, on its own data or on another CSV file.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The run.
    #[command(flatten)]
    pub run: RunArgs,

    /// For a run trained on a --data-file: evaluate on this CSV file instead (held-out rows
    /// with the same columns and labels) [default: the run's own file, refused if its SHA-256
    /// has changed].
    #[arg(long, value_name = "FILE")]
    pub data_file: Option<PathBuf>,
}

/// `burnprop plot`: a run's figures.
#[derive(Debug, Args)]
pub struct PlotArgs {
    /// The run.
    #[command(flatten)]
    pub run: RunArgs,

    /// Also write training.gif, the decision regions as the network learns, beside the loss
    /// (runs on 2-D inputs): trains the finished run again from its config.json, which gives
    /// the same steps bit for bit on the backend that trained it, keeping the network at about
    /// 60 steps chosen along its loss curve (checked against history.csv).
    #[arg(long)]
    pub animate: bool,
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
    #[arg(long, env = "BURNPROP_MNIST_DIR", value_name = "DIR", value_parser = mnist_dir)]
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

/// A preset (or a saved configuration) and every hyperparameter flag that overrides it. A flag
/// given that the configuration or the command would not read is refused (`cli::refusals`).
#[derive(Debug, Args)]
pub struct ExperimentArgs {
    /// The notebook experiment (`burnprop list`); or give --config.
    #[arg(value_enum, conflicts_with = "config")]
    pub preset: Option<Preset>,

    /// Start from a saved configuration instead of a preset: a run's config.json (or its
    /// directory), rerun exactly; flags given beside it override it as they override a preset.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

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

    /// The L2 penalty α of the objective `J + α·Σθ²` over every weight and bias (micrograd's
    /// `1e-4`): part of the printed loss and of both engines' gradients (`+2α·θ`). Unlike
    /// --weight-decay λ, which only adds `λ·θ` to the gradient (`λ = 2α` takes the same steps).
    #[arg(long, allow_negative_numbers = true, value_name = "ALPHA")]
    pub l2: Option<f64>,

    /// The parameters the --l2 penalty covers: every weight and bias (`all`, micrograd's), or
    /// the weights only (`weights`, cs231n's `½λ·ΣW²`, which is --l2 λ/2); biases then get no
    /// `2α·b` in their gradients.
    #[arg(long, value_enum, value_name = "PARAMS")]
    pub l2_on: Option<L2Scope>,

    /// The rate a --schedule linear or cosine decays to (default 0), reached after the last
    /// step; micrograd's demo: --lr 1 --schedule linear --lr-final 0.1.
    #[arg(long, allow_negative_numbers = true, value_name = "LR")]
    pub lr_final: Option<f64>,

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

    /// Bias initialiser (layers with biases; refused with --bias false).
    #[arg(long, value_enum)]
    pub bias_init: Option<BiasInit>,

    /// Standard deviation of the normal initialiser (refused without --init normal).
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

    /// How the manual engine computes a step: `fused` sweeps the examples once on the CPU
    /// (forward, loss, backward and gradient sums together, on all cores), `wide` goes layer
    /// by layer on the CPU with multi-threaded matrix products, `tensor` runs one burn
    /// operation per line of the derivation (any backend). `auto` picks `fused` for layers up
    /// to 64 wide and `wide` for wider ones on flex or ndarray, `tensor` elsewhere.
    #[arg(long, value_enum)]
    pub kernel: Option<Kernel>,

    /// Another 2-D data set in place of the preset's (circles, xor and micrograd presets):
    /// scikit-learn's moons or TensorFlow Playground's circle, xor, gauss or spiral, whose
    /// targets keep the preset's encoding (one-hot for circles, one 0/1 target otherwise);
    /// or the Playground's regression sets plane and gaussian (one real target; add --loss
    /// mse).
    #[arg(long, value_enum, value_name = "SET")]
    pub data: Option<PointSet>,

    /// TensorFlow Playground's input features, comma-separated, for 2-D data: the network
    /// sees these of each point (x1, x2, x1sq, x2sq, x1x2, sinx1, sinx2) instead of the point
    /// [default: x1,x2].
    #[arg(long, value_enum, value_delimiter = ',', value_name = "FEATURES")]
    pub features: Option<Vec<Feature>>,

    /// Number of examples of generated data (circles, moons, the playground sets,
    /// three-layer); for cs231n's spiral, the number of points per class (its N).
    #[arg(long, value_name = "N")]
    pub samples: Option<usize>,

    /// Number of classes (arms) of cs231n's spiral, its K (the cs231n presets).
    #[arg(long, value_name = "K")]
    pub classes: Option<usize>,

    /// Noise of the generated 2-D data: the standard deviation for circles and moons, the
    /// Playground's percentage from 0 to 50 for its sets.
    #[arg(long, allow_negative_numbers = true)]
    pub noise: Option<f64>,

    /// Inner-circle radius of the circles data, relative to the outer one.
    #[arg(long, allow_negative_numbers = true)]
    pub factor: Option<f64>,

    /// Directory holding MNIST's four IDX files, raw or .gz (the MNIST presets) [default:
    /// burn-dataset's cache, ~/.cache/burn-dataset/mnist].
    #[arg(long, env = "BURNPROP_MNIST_DIR", value_name = "DIR", value_parser = mnist_dir)]
    pub data_dir: Option<PathBuf>,

    /// The two digits of mnist-binary, comma-separated; the second is target 1.
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub digits: Option<Vec<u8>>,

    /// Standardise the inputs: each column with the training split's mean and (population)
    /// deviation, stored in config.json and applied again by eval and plot; MNIST's pixels to
    /// (x − 0.1307) / 0.3081 instead of scaling them to [0, 1].
    #[arg(long)]
    pub standardize: bool,

    /// Train on your own CSV file instead of a preset: a header row naming the columns, then
    /// one row per example (RFC 4180: quoted fields, CRLF, a UTF-8 BOM); at most 2 GiB,
    /// 10000000 rows, 4096 columns. The network is one hidden layer of 16 ReLU units, the loss
    /// the task's; other flags override it as they override a preset.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["preset", "config"])]
    pub data_file: Option<PathBuf>,

    /// The --data-file column to predict [default: the last column].
    #[arg(long, value_name = "COLUMN", requires = "data_file")]
    pub target: Option<String>,

    /// The --data-file columns the network reads, comma-separated [default: every column but
    /// the target].
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "A,B,…",
        requires = "data_file"
    )]
    pub inputs: Option<Vec<String>>,

    /// What to learn from the --data-file target: classes (2: sigmoid + BCE; more: softmax +
    /// cross-entropy) or a number (identity + squared error) [default: classify when the
    /// target holds integers or text, regress when it holds other numbers].
    #[arg(long, value_enum, requires = "data_file")]
    pub task: Option<Task>,
    /// Hold out this fraction of the examples (0 < F < 1) as a test split, drawn with the
    /// run's seed: the test loss and accuracy are recorded per epoch in epochs.csv (a
    /// full-batch run: every ⌈epochs / 1000⌉ epochs) and plotted beside the training curves.
    /// Not for MNIST, which has its own test split.
    #[arg(long, value_name = "F", allow_negative_numbers = true)]
    pub test_fraction: Option<f64>,

    /// Compute device: flex, ndarray, wgpu, vulkan, metal, cuda, rocm or cpu (must be compiled
    /// in; default: the first compiled-in of cuda, metal, rocm, vulkan, wgpu, cpu, flex, ndarray).
    #[arg(long, env = "BURN_DEVICE", value_name = "NAME")]
    pub device: Option<String>,
}

/// `--data-dir`'s value, from the flag or `BURNPROP_MNIST_DIR`. clap hands a variable that is
/// set but empty (`BURNPROP_MNIST_DIR=`) over as an empty value, which its own path parser
/// refuses, failing every command, `train xor` included; this parser takes it, and
/// [`given_dir`] reads it as no directory given, as an empty variable is to a shell.
fn mnist_dir(value: &str) -> Result<PathBuf, std::convert::Infallible> {
    Ok(PathBuf::from(value))
}

/// The directory a `--data-dir` field gives, if any: an empty value gives none.
pub fn given_dir(dir: Option<&Path>) -> Option<&Path> {
    dir.filter(|dir| !dir.as_os_str().is_empty())
}
