//! burnprop: backpropagation from scratch, verified.

pub mod device;
pub mod error;
pub mod rng;
