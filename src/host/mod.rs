//! The host engine: the manual engine's fast CPU kernels, behind one entry point, [`step`].
//!
//! [`manual`](crate::manual) writes backpropagation as it is taught: whole-batch tensor
//! operations, one per line of the derivation. This module computes the same equations for
//! speed, in host memory, and is checked against it (and against burn's autodiff and finite
//! differences) by the tests of `tests/it/gradients.rs` and `tests/it/engines.rs`:
//!
//! ```text
//! J, ∇ = step(kernel, θ, objective, batch)
//!        fused: forward, loss, backward and sums in one sweep over the examples,
//!               LANES examples side by side in SIMD lanes        (notebook-sized networks)
//!        wide:  layer by layer as matrix products on all cores,
//!               skipping the zeros of sparse inputs               (MNIST's 784-128-10)
//! M, θ = HostMomentum::step(θ, ∇, lr)     notebook 000's M ← mf·M − lr·∇, θ ← θ + M
//! ```
//!
//! The parts, each private to this module but for the types of [`step`]'s signature:
//!
//! | file | what |
//! |---|---|
//! | `network` | an [`Mlp`](crate::model::Mlp)'s parameters in host memory ([`Network`]) |
//! | `real` | the scalar type, f32 or f64 ([`Real`]), with vectorisable `exp` and `ln` |
//! | `lanes` | [`LANES`] examples side by side, and the element-wise math on them |
//! | `outputs` | the loss, accuracy and `dZ_L = Ŷ − Y` of a block of examples, for both kernels |
//! | `fused` | the fused kernel: one sweep, in chunks of [`CHUNK`] examples on rayon's threads |
//! | `wide` | the wide kernel: gemm's products, and sparse products where inputs are mostly zero |
//! | `step` | a step's result ([`Step`]) from either kernel's sums: reduction and L2 penalty |
//! | `update` | the momentum update in host memory ([`HostMomentum`]) |
//! | `simd` | every `unsafe` block: instruction-set dispatch, intrinsics, gemm, uninitialised writes |

mod fused;
mod lanes;
mod network;
mod outputs;
mod real;
mod simd;
mod step;
mod update;
mod wide;

pub use fused::CHUNK;
pub use lanes::LANES;
pub use network::Network;
pub use real::Real;
pub use step::Step;
pub use update::HostMomentum;

use crate::config::Kernel;
use crate::data::Batch;
use crate::error::{Error, Result};
use crate::loss::Objective;
use wide::{Inputs, SparseRef};

/// `J` of `objective` on `batch` at `network`'s parameters, and its gradients, computed by
/// `kernel` ([`Kernel::Fused`] or [`Kernel::Wide`]) in `R`, the batch's precision.
///
/// The fused kernel reads the batch's dense inputs; the wide kernel reads their nonzero
/// entries where the batcher gave them and they are sparse enough, and the dense inputs
/// otherwise.
///
/// # Errors
/// If `kernel` does not run on the host, if the batch is not of `R`'s precision, or if its
/// shapes or its loss's output activation are not the network's.
pub fn step<R: Real>(
    kernel: Kernel,
    network: &Network<R>,
    objective: &Objective,
    batch: &Batch,
) -> Result<Step<R>> {
    let other_precision = || {
        Error::Data(format!(
            "a batch of another precision than the network's {}",
            R::PRECISION.name()
        ))
    };
    let y = R::host_slice(batch.host_targets()).ok_or_else(other_precision)?;
    let dense = || R::host_slice(batch.host_inputs()).ok_or_else(other_precision);
    let rows = batch.len();
    match kernel {
        Kernel::Fused => fused::step(network, objective, dense()?, y, rows),
        Kernel::Wide => {
            let sparse = batch.sparse_inputs().and_then(SparseRef::given);
            let sparse = sparse.and_then(|by_row| {
                let by_column = SparseRef::given(batch.sparse_columns()?)?;
                Some(Inputs::Sparse { by_row, by_column })
            });
            let x = match sparse {
                Some(x) => x,
                None => Inputs::Dense(dense()?),
            };
            wide::step(network, objective, x, y, rows)
        }
        Kernel::Tensor | Kernel::Auto => Err(Error::InvalidConfig(format!(
            "the {kernel} kernel does not run on the host"
        ))),
    }
}
