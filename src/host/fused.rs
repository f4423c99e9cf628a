//! The fused kernel: a training step's forward pass, loss, accuracy, backward pass and
//! gradient sums in one sweep over the examples.
//!
//! [`row`](crate::manual::row) writes backpropagation as whole-batch tensor operations, one per line of
//! the derivation. Each allocates a `[m, n_l]` tensor and walks it once, so for notebook 000's
//! circles (2-3-2, m = 50000) a step is about forty passes over memory and forty dispatches,
//! for 3.6 Mflop of arithmetic. This kernel computes the same equations example by example,
//! keeping each example's `Z_l`, `A_l` and `dZ_l` in registers:
//!
//! ```text
//! for each example i (LANES of them side by side):
//!     Z_l = A_{l−1}·W_l + b_l,   A_l = g_l(Z_l)                 forward
//!     ℓᵢ  = L(Z_L, Yᵢ), correct?                                   loss and accuracy
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
//!   arithmetic ([`Real`]), so the compiler vectorises them across lanes;
//!   `ln_1p`, `tanh` and everything in f64 are the standard library's, as in burn's CPU
//!   backends.
//!
//! The fused and tensor kernels compute the same functions but round differently (different
//! summation orders, and burn's matmul may fuse multiply-adds); the tests hold them to the
//! engines' tolerance of each other.

use rayon::prelude::*;

use super::lanes::{LANES, Lanes, activate, add_product_lanes, derivative, gather};
use super::network::Network;
use super::outputs::Outputs;
use super::real::Real;
use super::simd::{Isa, vectorized};
use super::step::{Step, Sums, check_batch, scale};
use crate::error::Result;
use crate::loss::{LossKind, Objective};

/// Examples per chunk: the unit of work of one thread, and of the fixed summation order.
pub const CHUNK: usize = 1024;

/// `J` of `objective` and its gradients on `rows` examples (`x`: `[rows, n_0]`, `y`:
/// `[rows, n_L]`, row-major): a [`sweep`], scaled by the reduction's `s`, with the L2 penalty.
pub(in crate::host) fn step<R: Real>(
    network: &Network<R>,
    objective: &Objective,
    x: &[R],
    y: &[R],
    rows: usize,
) -> Result<Step<R>> {
    let sums = sweep(network, objective.kind, x, y, rows)?;
    Ok(scale(
        network,
        sums,
        objective.reduction,
        objective.l2,
        rows,
    ))
}

/// One sweep over `rows` examples: `x` is `[rows, n_0]` and `y` is `[rows, n_L]`, row-major.
fn sweep<R: Real>(
    network: &Network<R>,
    kind: LossKind,
    x: &[R],
    y: &[R],
    rows: usize,
) -> Result<Sums<R>> {
    check_batch(network, kind, x.len(), y, rows)?;
    let (n_in, n_out) = (network.sizes[0], network.outputs());
    let chunks: Vec<Sums<R>> = (0..rows.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let (start, end) = (c * CHUNK, rows.min((c + 1) * CHUNK));
            let x = &x[start * n_in..end * n_in];
            let y = &y[start * n_out..end * n_out];
            sweep_chunk(network, kind, x, y, end - start)
        })
        .collect();
    Ok(chunks
        .into_iter()
        .reduce(Sums::add)
        .unwrap_or_else(|| Sweep::new(network, kind).finish()))
}

/// One chunk's sums, in AVX-512 or AVX2 instructions where the CPU has them (16 or 8 f32 per
/// instruction instead of SSE2's 4).
fn sweep_chunk<R: Real>(
    network: &Network<R>,
    kind: LossKind,
    x: &[R],
    y: &[R],
    rows: usize,
) -> Sums<R> {
    sweep_chunk_on(Isa::widest(), network, kind, x, y, rows)
}

/// [`sweep_chunk`] compiled for `isa`. The AVX-512, AVX2 and baseline (SSE2) versions are the
/// same code compiled three times: none fuses a multiply with an add, so all round every
/// operation alike and give the same sums bit for bit (a test compares them).
fn sweep_chunk_on<R: Real>(
    isa: Isa,
    network: &Network<R>,
    kind: LossKind,
    x: &[R],
    y: &[R],
    rows: usize,
) -> Sums<R> {
    vectorized!(isa, Sweep::new(network, kind).run(x, y, rows))
}

/// The per-lane state of one chunk's sweep.
struct Sweep<'a, R> {
    network: &'a Network<R>,
    kind: LossKind,
    /// `A_0 = X` and `A_l` of the hidden layers, `n_l` lanes each.
    a: Vec<Vec<Lanes<R>>>,
    /// `Z_l`, then overwritten by `dZ_l` on the way back.
    z: Vec<Vec<Lanes<R>>>,
    /// `Σ A_{l−1}ᵀ·dZ_l` per lane.
    gw: Vec<Vec<Lanes<R>>>,
    /// `Σ dZ_l` per lane.
    gb: Vec<Vec<Lanes<R>>>,
    /// The loss and accuracy sums.
    out: Outputs<R>,
}

impl<'a, R: Real> Sweep<'a, R> {
    fn new(network: &'a Network<R>, kind: LossKind) -> Self {
        let lanes = |n: usize| vec![[R::ZERO; LANES]; n];
        let sizes = &network.sizes;
        let depth = network.depth();
        Self {
            network,
            kind,
            a: sizes[..depth].iter().map(|&n| lanes(n)).collect(),
            z: sizes[1..].iter().map(|&n| lanes(n)).collect(),
            gw: sizes.windows(2).map(|n| lanes(n[0] * n[1])).collect(),
            gb: network
                .biases
                .iter()
                .zip(&sizes[1..])
                .map(|(b, &n)| lanes(if b.is_some() { n } else { 0 }))
                .collect(),
            out: Outputs::new(kind, network.outputs()),
        }
    }

    #[inline(always)]
    fn run(mut self, x: &[R], y: &[R], rows: usize) -> Sums<R> {
        let mut target = vec![[R::ZERO; LANES]; self.network.outputs()];
        for block in (0..rows).step_by(LANES) {
            let valid = LANES.min(rows - block);
            gather(x, block, valid, &mut self.a[0]);
            gather(y, block, valid, &mut target);
            self.forward();
            self.output(&target, valid);
            self.backward();
        }
        self.finish()
    }

    /// `Z_l = A_{l−1}·W_l + b_l`, `A_l = g_l(Z_l)` for every layer.
    #[inline(always)]
    fn forward(&mut self) {
        let network = self.network;
        for l in 0..network.depth() {
            let (n_in, n_out) = (network.sizes[l], network.sizes[l + 1]);
            let w = &network.weights[l];
            for j in 0..n_out {
                let mut z = [R::ZERO; LANES];
                for k in 0..n_in {
                    z = add_product_lanes(z, &self.a[l][k], &[w[k * n_out + j]; LANES]);
                }
                if let Some(b) = &network.biases[l] {
                    for lane in &mut z {
                        *lane += b[j];
                    }
                }
                self.z[l][j] = z;
                if let Some(&g) = network.hidden.get(l) {
                    self.a[l + 1][j] = activate(g, &z);
                }
            }
        }
    }

    /// The loss and accuracy of the block, and `dZ_L` in place of `Z_L`.
    #[inline(always)]
    fn output(&mut self, y: &[Lanes<R>], valid: usize) {
        if let Some(z) = self.z.last_mut() {
            self.out.block(self.kind, z, y, valid);
        }
    }

    /// Accumulates `A_{l−1}ᵀ·dZ_l` and `dZ_l`, and carries `dZ` down a layer, from the output
    /// layer to the first.
    #[inline(always)]
    fn backward(&mut self) {
        let network = self.network;
        for l in (0..network.depth()).rev() {
            let (n_in, n_out) = (network.sizes[l], network.sizes[l + 1]);
            let (below, this) = self.z.split_at_mut(l);
            let dz = &this[0];
            // Lanes are copied in and out by value: the compiler then knows the sums and the
            // deltas do not overlap, and vectorises the adds.
            for (sum, d) in self.gb[l].iter_mut().zip(dz) {
                *sum = add_product_lanes(*sum, &[R::ONE; LANES], d);
            }
            let gw = &mut self.gw[l];
            for k in 0..n_in {
                let a = self.a[l][k];
                for j in 0..n_out {
                    let sum = &mut gw[k * n_out + j];
                    *sum = add_product_lanes(*sum, &a, &dz[j]);
                }
            }
            if l == 0 {
                break;
            }
            // dZ_{l−1} = (dZ_l·W_lᵀ) ⊙ g'(Z_{l−1}), written over Z_{l−1}
            let (w, g) = (&network.weights[l], network.hidden[l - 1]);
            for (k, z) in below[l - 1].iter_mut().enumerate() {
                let mut da = [R::ZERO; LANES];
                for j in 0..n_out {
                    da = add_product_lanes(da, &dz[j], &[w[k * n_out + j]; LANES]);
                }
                *z = derivative(g, &da, z, &self.a[l][k]);
            }
        }
    }

    /// The chunk's sums, lanes added in order.
    fn finish(self) -> Sums<R> {
        let fold = |lanes: &Vec<Lanes<R>>| -> Vec<R> {
            lanes
                .iter()
                .map(|l| l.iter().copied().fold(R::ZERO, |s, v| s + v))
                .collect()
        };
        let (loss, outputs, correct) = self.out.finish();
        Sums {
            loss,
            outputs,
            correct,
            weights: self.gw.iter().map(fold).collect(),
            biases: self.gb.iter().map(fold).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::OutputActivation;
    use crate::model::activation::Activation;
    use crate::rng::NumpyRng;

    /// A random 2-5-3 network with biases, sigmoid and tanh, and `rows` examples.
    fn problem(rows: usize) -> (Network<f32>, Vec<f32>, Vec<f32>) {
        let mut rng = NumpyRng::new(7);
        let sizes = vec![2, 5, 3];
        let mut draw =
            |n: usize| -> Vec<f32> { rng.randn_vec(n).into_iter().map(|v| v as f32).collect() };
        let network = Network {
            weights: vec![draw(10), draw(15)],
            biases: vec![Some(draw(5)), Some(draw(3))],
            sizes,
            hidden: vec![Activation::Tanh],
            output: OutputActivation::Softmax,
        };
        let x = draw(rows * 2);
        let y = (0..rows)
            .flat_map(|i| (0..3).map(move |k| if i % 3 == k { 1.0 } else { 0.0 }))
            .collect();
        (network, x, y)
    }

    #[test]
    fn the_sums_do_not_depend_on_the_number_of_threads() {
        let rows = 3 * CHUNK + 5;
        let (network, x, y) = problem(rows);
        let on = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("a thread pool")
                .install(|| sweep(&network, LossKind::CrossEntropy, &x, &y, rows))
                .expect("a sweep")
        };
        let one = on(1);
        assert_eq!(one, on(2));
        assert_eq!(one, on(3));
        assert!(one.loss > 0.0 && one.correct > 0);
    }

    #[test]
    fn the_vector_builds_give_the_baseline_sums_bit_for_bit() {
        // 1000 rows: 15 whole blocks of 64 and a partial one
        let rows = 1000;
        let (network, x, y) = problem(rows);
        let baseline = Sweep::new(&network, LossKind::CrossEntropy).run(&x, &y, rows);
        // every x86-64 CI machine of this project has AVX2
        #[cfg(target_arch = "x86_64")]
        assert!(Isa::all().len() > 1, "no vector build was compared");
        for isa in Isa::all() {
            let sums = sweep_chunk_on(isa, &network, LossKind::CrossEntropy, &x, &y, rows);
            assert_eq!(baseline, sums, "{isa:?}");
        }
        assert_eq!(
            baseline,
            sweep_chunk(&network, LossKind::CrossEntropy, &x, &y, rows)
        );
    }

    #[test]
    fn a_batch_with_wrong_lengths_is_an_error() {
        let (network, x, y) = problem(10);
        let err = sweep(&network, LossKind::CrossEntropy, &x, &y, 11).expect_err("11 ≠ 10 rows");
        assert!(err.to_string().contains("for 11 examples"), "{err}");
        let err = sweep(&network, LossKind::Bce, &x, &y, 10).expect_err("softmax ≠ BCE");
        assert!(err.to_string().contains("output activation"), "{err}");
    }

    #[test]
    fn an_empty_batch_sums_to_zero() {
        let (network, _, _) = problem(0);
        let sums = sweep(&network, LossKind::CrossEntropy, &[], &[], 0).expect("a sweep");
        assert_eq!((sums.loss, sums.correct), (0.0, 0));
        assert!(sums.weights.iter().flatten().all(|&g| g == 0.0));
    }
}
