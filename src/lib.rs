//! burnprop: backpropagation from scratch, verified.
//!
//! Four classic "feedforward network from scratch" notebooks, reimplemented with burn: the
//! networks are burn modules ([`model::Mlp`]) trained with burn's autodiff and SGD with momentum,
//! or with the hand-derived gradients and notebook 000's momentum update ([`train`]), on the
//! notebooks' own data drawn from a numpy-compatible random stream ([`rng`], [`data`]), so that
//! a preset reproduces the numbers its notebook prints.
//!
//! - [`config`]: every hyperparameter, and the presets named after the notebooks;
//! - [`device`]: cargo features and `--device` to a burn device;
//! - [`loss`]: the three objectives and their output activations;
//! - [`manual`]: backpropagation by hand, no autodiff: the notebooks' derivations as code, in
//!   burn's row layout and notebook 002's column layout, and notebook 000's momentum update;
//! - [`gradcheck`]: manual and autodiff gradients against finite differences in f64;
//! - [`compare`]: the autodiff and manual engines trained side by side, step by step;
//! - [`data::mnist`], [`eval`]: MNIST from checked IDX files, and what a trained run does on
//!   its test set and on pictures of digits;
//! - [`plot`]: the notebooks' figures, PNG and SVG, drawn from a run directory;
//! - [`reproduce`]: every experiment, its checks and figures, and a gallery of them;
//! - [`artifacts`]: the run directory (`config.json`, `history.csv`, `summary.json`, model);
//! - [`cli`], [`progress`]: the `burnprop` command.

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
pub mod loss;
pub mod manual;
pub mod model;
pub mod plot;
pub mod progress;
pub mod reproduce;
pub mod rng;
pub mod tensor;
pub mod train;
