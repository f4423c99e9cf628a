//! The manual engine's fused CPU kernel: a training step's forward pass, loss, accuracy,
//! backward pass and gradient sums in one sweep over the examples, on the host.
//!
//! [`row`](super::row) writes backpropagation as whole-batch tensor operations, one per line of
//! the derivation. Each allocates a `[m, n_l]` tensor and walks it once, so for notebook 000's
//! circles (2-3-2, m = 50000) a step is about forty passes over memory and forty dispatches,
//! for 3.6 Mflop of arithmetic. This kernel computes the same equations example by example,
//! keeping each example's `Z_l`, `A_l` and `dZ_l` in registers:
//!
//! ```text
//! for each example i (LANES of them side by side):
//!     Z_l = A_{l−1}·W_l + b_l,   A_l = g_l(Z_l)                 forward
//!     ℓᵢ  = L(Z_L, Yᵢ), right?                                   loss and accuracy
//!     dZ_L = Ŷ − Yᵢ,   dZ_{l−1} = (dZ_l·W_lᵀ) ⊙ g'_{l−1}(Z_{l−1})   backward
//!     ΣdW_l += A_{l−1}ᵀ·dZ_l,   Σdb_l += dZ_l                    gradient sums
//! J = s·Σᵢ ℓᵢ,   dW_l = s·ΣdW_l,   db_l = s·Σdb_l
//! ```
//!
//! The sweep reads `X` and `Y` once (16 bytes per circles example in f32) and writes nothing
//! but the sums.
//!
//! - **Lanes.** [`LANES`] examples go through the network side by side, each in its own lane
//!   of a `[R; LANES]` array, so every line above is an element-wise loop over lanes that the
//!   compiler turns into SIMD instructions. The last block of a batch is padded with examples
//!   whose `dZ_L` is zero, which adds nothing to any sum.
//! - **Chunks.** The examples are cut into chunks of [`CHUNK`] rows, swept on rayon's threads;
//!   each chunk's sums are added lane by lane, then chunk by chunk, in a fixed order. The result
//!   is the same bit for bit whatever the number of threads.
//! - **Transcendentals**: in f32, `exp` and `ln` are Cephes' polynomials written in plain
//!   arithmetic ([`Real`](super::real::Real)), so the compiler vectorises them across lanes;
//!   `ln_1p`, `tanh` and everything in f64 are the standard library's, as in burn's CPU
//!   backends.
//!
//! The fused and tensor kernels compute the same functions but round differently (different
//! summation orders, and burn's matmul may fuse multiply-adds); the tests hold them to the
//! engines' tolerance of each other.
//!
//! The parts: [`network`] (an [`Mlp`](crate::model::Mlp)'s parameters in host memory),
//! [`lanes`] (the lane type and its vector math), [`sweep`](mod@sweep) (a batch's sums, chunk by chunk,
//! lane by lane) and [`step`](mod@step) (a training step's loss and gradients from a sweep). The scalar
//! type is [`Real`](super::real::Real).

pub mod lanes;
pub mod network;
pub mod step;
pub mod sweep;

pub use lanes::LANES;
pub use network::{Network, to_host};
pub use step::{Step, gradients, step};
pub use sweep::{CHUNK, Sums, sweep};
