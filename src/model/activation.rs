//! Hidden-layer activations. The output activation is not among them: it is fixed by the loss
//! (see [`crate::loss::OutputActivation`]).

use burn::tensor::Tensor;
use burn::tensor::activation::{relu, sigmoid, tanh};
use clap::ValueEnum;
use serde::{Deserialize, Serialize};

/// The nonlinearity `g` of a hidden layer, `A = g(Z)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// `g(z) = z`.
    Identity,
    /// `g(z) = 1 / (1 + e^(−z))` (notebooks 000, 001, 002).
    Sigmoid,
    /// `g(z) = max(z, 0)` (notebook 003).
    Relu,
    /// `g(z) = tanh(z)`.
    Tanh,
}

impl Activation {
    /// The name used on the command line and in network summaries.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Identity => "identity",
            Activation::Sigmoid => "sigmoid",
            Activation::Relu => "relu",
            Activation::Tanh => "tanh",
        }
    }

    /// Applies `g` element-wise.
    ///
    /// # Shapes
    /// - `z`: `[batch, width]` → `[batch, width]`
    pub fn apply(self, z: Tensor<2>) -> Tensor<2> {
        match self {
            Activation::Identity => z,
            Activation::Sigmoid => sigmoid(z),
            Activation::Relu => relu(z),
            Activation::Tanh => tanh(z),
        }
    }
}
