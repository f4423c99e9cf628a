//! burnprop: backpropagation from scratch, verified.

pub mod artifacts;
pub mod config;
pub mod data;
pub mod device;
pub mod error;
pub mod loss;
pub mod model;
pub mod progress;
pub mod rng;
pub mod train;
