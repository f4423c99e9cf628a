//! burnprop: backpropagation from scratch, verified.
//!
//! Four classic "feedforward network from scratch" notebooks, reimplemented with burn: the
//! networks are burn modules ([`model::Mlp`]) trained with burn's autodiff and SGD with momentum,
//! or with the hand-derived gradients and notebook 000's momentum update ([`train`]), on the
//! notebooks' own data drawn from a numpy-compatible random stream ([`rng`], [`data`]), so that
//! a preset reproduces the numbers its notebook prints.
//!
//! # Layers
//!
//! The modules form layers, and a module uses only the layers below its own (the test
//! `tests/it/layering.rs` fails on any `crate::` path that points up or sideways):
//!
//! ```text
//! cli                                   the command line: clap types, flags → config, one module per command
//! serve                                 the browser playground: HTTP, live frames, its page
//! reproduce, progress                   every experiment into a gallery; progress lines for train
//! plot                                  the figures, drawn from a run directory
//! eval                                  a trained run on its test set, pictures of digits
//! trace, compare, gradcheck, bench      one pass matrix by matrix; the engines side by side; gradients three ways; timings
//! train                                 the steppers of both engines, the loop, a run kept in a directory
//! host                                  the manual engine's fast CPU kernels (fused, wide), one entry point
//! manual                                backpropagation by hand: row, column, deltas, penalties, momentum
//! artifacts, memory                     the run directory: file names, atomic writes, config and model; a run's peak memory, estimated and checked
//! config                                every hyperparameter, the presets, Engine and Kernel
//! data, model                           the notebooks' data and MNIST; the network and its initialisers
//! rng, loss, tensor, device, interrupt  numpy's, CPython's and the Playground's streams; the objectives; Precision, Layout, host tensors; backends; Ctrl-C
//! error                                 one error type
//! ```
//!
//! - [`config`]: every hyperparameter, and the presets named after the notebooks;
//! - [`device`]: cargo features and `--device` to a burn device;
//! - [`tensor`]: precision, the notebooks' matrix layout, values to and from a device;
//! - [`loss`]: the three objectives and their output activations;
//! - [`manual`]: backpropagation by hand, no autodiff: the notebooks' derivations as code, in
//!   burn's row layout and notebook 002's column layout, and notebook 000's momentum update;
//! - [`host`]: the same derivations computed fast on the CPU, the manual engine's fused and
//!   wide kernels, behind one entry point ([`host::step`]);
//! - [`train`]: both engines behind one stepper interface, the training loop, checkpoints
//!   and resuming;
//! - [`interrupt`]: Ctrl-C and SIGTERM, noted and answered between steps;
//! - [`trace`]: one forward and backward pass, every matrix with its equation, as text, JSON
//!   or a Markdown derivation sheet;
//! - [`gradcheck`]: manual and autodiff gradients against finite differences in f64;
//! - [`compare`]: the autodiff and manual engines trained side by side, step by step;
//! - [`data::mnist`], [`eval`]: MNIST from checked IDX files, and what a trained run does on
//!   its test set and on pictures of digits;
//! - [`plot`]: the notebooks' figures, PNG and SVG, drawn from a run directory;
//! - [`reproduce`]: every experiment, its checks and figures, and a gallery of them;
//! - [`memory`]: a run's peak memory, estimated from its configuration, and a run that cannot
//!   fit refused before it allocates;
//! - [`artifacts`]: the run directory (`config.json`, `history.csv`, `summary.json`, model);
//! - [`serve`]: `burnprop serve`, the playground in the browser;
//! - [`cli`], [`progress`]: the `burnprop` command.

#![warn(missing_docs)]

pub mod artifacts;
pub mod bench;
pub mod cli;
pub mod compare;
pub mod config;
pub mod data;
pub mod device;
pub mod error;
pub mod eval;
pub mod gradcheck;
pub mod host;
pub mod interrupt;
pub mod loss;
pub mod manual;
pub mod memory;
pub mod model;
pub mod plot;
pub mod progress;
pub mod reproduce;
pub mod rng;
pub mod serve;
pub mod tensor;
pub mod trace;
pub mod train;
