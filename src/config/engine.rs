//! The two training engines, and the manual engine's three kernels, as configuration values.
//!
//! | engine | gradients | update |
//! |---|---|---|
//! | [`Engine::Autodiff`] | `loss.backward()` (burn's reverse-mode autodiff) | burn's `Sgd` with momentum |
//! | [`Engine::Manual`] | the chain rule by hand (`manual::row`) | notebook 000's `M ← mf·M − lr·∇`, `P ← P + M` |
//!
//! The manual engine has three [`Kernel`]s: burn tensor operations (any backend), and two on
//! the host engine (`host`): a fused CPU sweep for narrow networks and the derivation layer
//! by layer as matrix products for wide ones. The engines themselves live in `train`.

use burn::tensor::Device;
use clap::ValueEnum;
use serde::{Deserialize, Serialize};

use super::ExperimentConfig;
use crate::error::{Error, Result};

/// Which gradients and which update train the network.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// burn's autodiff gradients and burn's `Sgd` with momentum.
    #[default]
    Autodiff,
    /// the hand-derived backward pass and notebook 000's momentum update.
    Manual,
}

impl Engine {
    /// `"autodiff"` or `"manual"`.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Autodiff => "autodiff",
            Engine::Manual => "manual",
        }
    }

    /// The engine's gradients and update, in one line.
    pub fn describe(self, config: &ExperimentConfig) -> String {
        let opt = &config.optimizer;
        match self {
            Engine::Autodiff if opt.momentum == 0.0 => {
                "burn autodiff gradients, burn Sgd: P ← P − lr·∇".to_string()
            }
            Engine::Autodiff => format!(
                "burn autodiff gradients, burn Sgd (μ = {}, dampening {}): v ← μ·v + (1 − d)·∇, P ← P − lr·v",
                opt.momentum, opt.dampening
            ),
            Engine::Manual if opt.momentum == 0.0 => {
                "hand-derived gradients, notebook update: P ← P − lr·∇".to_string()
            }
            Engine::Manual => format!(
                "hand-derived gradients, notebook 000's update (mf = {}): M ← mf·M − lr·∇, P ← P + M",
                opt.momentum
            ),
        }
    }

    /// Checks that the engine can train `config`: the manual engine's update has no dampening,
    /// and only the manual engine has host kernels (fused, wide).
    pub fn check(self, config: &ExperimentConfig) -> Result<()> {
        if self == Engine::Autodiff && matches!(config.kernel, Kernel::Fused | Kernel::Wide) {
            return Err(Error::InvalidConfig(format!(
                "--kernel {} is the manual engine's; burn's autodiff runs tensor operations (use --engine manual, or --kernel auto)",
                config.kernel
            )));
        }
        let opt = &config.optimizer;
        if self == Engine::Manual && opt.momentum != 0.0 && opt.dampening != 0.0 {
            return Err(Error::InvalidConfig(format!(
                "--engine manual applies notebook 000's update M ← mf·M − lr·∇, P ← P + M, which has no dampening (got --dampening {}); use --dampening 0 or --engine autodiff",
                opt.dampening
            )));
        }
        Ok(())
    }
}

impl std::fmt::Display for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How the manual engine computes a training step.
///
/// The kernels compute the same equations ([`manual::row`](crate::manual::row)); they differ
/// in how the work is laid out, and so in floating-point rounding (the tests hold them to
/// each other's tolerance).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Kernel {
    /// `fused` for narrow networks and `wide` for wide ones on a CPU backend, `tensor`
    /// otherwise.
    #[default]
    Auto,
    /// whole-batch burn tensor operations, one per line of the derivation (any backend).
    Tensor,
    /// one sweep over the examples on the host per step: forward, loss, backward and gradient
    /// sums fused, vectorised across examples, on all cores.
    Fused,
    /// the derivation layer by layer on the host, its products multi-threaded matrix
    /// multiplications (gemm): for wide layers such as MNIST's.
    Wide,
}

impl Kernel {
    /// `"auto"`, `"tensor"`, `"fused"` or `"wide"`.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Auto => "auto",
            Kernel::Tensor => "tensor",
            Kernel::Fused => "fused",
            Kernel::Wide => "wide",
        }
    }

    /// The kernel `engine` runs for a network of layer widths `sizes` on `device`: where the
    /// device computes in host memory, `auto` becomes `fused` for the manual engine when every
    /// layer is at most [`FUSED_MAX_WIDTH`] wide and `wide` otherwise; on other devices it
    /// becomes `tensor`. The autodiff engine always runs burn's tensor operations.
    pub fn resolve(self, engine: Engine, sizes: &[usize], device: &Device) -> Kernel {
        match (engine, self) {
            (Engine::Autodiff, _) => Kernel::Tensor,
            (Engine::Manual, Kernel::Auto) => {
                let narrow = sizes.iter().all(|&n| n <= FUSED_MAX_WIDTH);
                match (crate::device::computes_on_host(device), narrow) {
                    (true, true) => Kernel::Fused,
                    (true, false) => Kernel::Wide,
                    (false, _) => Kernel::Tensor,
                }
            }
            (Engine::Manual, kernel) => kernel,
        }
    }
}

impl std::fmt::Display for Kernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The widest layer for which `--kernel auto` picks the fused kernel. The fused kernel keeps
/// one gradient accumulator per weight and per lane, which pays off for notebook-sized layers;
/// wider layers are matrix products, where the wide kernel's blocked, multi-threaded gemm is
/// faster.
pub const FUSED_MAX_WIDTH: usize = 64;
