//! The wide kernel: a training step as matrix products on all cores, for networks whose
//! layers are too wide for the [fused](super::fused) kernel (MNIST's 784-128-10).
//!
//! The fused kernel keeps an accumulator per weight and per lane, which is what makes it fast
//! on notebook 000's 17 parameters and slow on MNIST's 100 000. Here the batch moves through
//! the network layer by layer as `[m, n_l]` row-major matrices, as in [`row`](crate::manual::row), one
//! pass per line of the derivation:
//!
//! ```text
//! Z_l      = b_l + A_{l−1}·W_l,   A_l = g_l(Z_l)             product, then element-wise
//! J, dZ_L  = Σᵢ L(Z_Lᵢ, Yᵢ),  Ŷ − Y                          the fused kernel's output blocks
//! dW_l     = A_{l−1}ᵀ·dZ_l,   db_l = Σᵢ dZ_lᵢ                product, column sums
//! dZ_{l−1} = (dZ_l·W_lᵀ) ⊙ g'_{l−1}(Z_{l−1})                 product, then element-wise
//! J = s·J,   dW_l = s·dW_l,   db_l = s·db_l                   the reduction (and L2 penalty)
//! ```
//!
//! - **Products** are the `gemm` crate's, the library burn-flex multiplies with, called on
//!   rayon's threads. burn-flex gives gemm a single thread below 192³ multiply-adds, and
//!   MNIST's products (64·784·128) are below it, so burn's engines use one core of two.
//!   gemm splits a product's output between threads and never its inner dimension, so each
//!   entry is the same sum whatever the number of threads (a test runs 1, 2 and 3).
//! - **Sparse inputs.** Where at most a quarter of a layer's input is nonzero (MNIST's pixels
//!   are 19 % nonzero), `A_{l−1}·W_l` and `A_{l−1}ᵀ·dZ_l` skip the zeros ([`sparse`]): each
//!   nonzero `a_ik` adds `a_ik·W_k` to row `i` of `Z_l`, and `a_ik·dZ_i` to row `k` of `dW_l`.
//!   A batcher may give a batch's inputs by their nonzero entries, row by row and column by
//!   column ([`Batch::sparse_inputs`](crate::data::Batch::sparse_inputs),
//!   [`Batch::sparse_columns`](crate::data::Batch::sparse_columns)); the kernel gathers those
//!   of any other layer input itself.
//! - **Element-wise lines** run [`LANES`] values at a time through the fused kernel's lane
//!   functions (`activate`, `derivative`), and the loss through its output blocks
//!   ([`Outputs`](super::outputs::Outputs)): one implementation of each activation and loss for both host kernels.
//!
//! gemm multiplies and adds with fused multiply-adds where the CPU has them, so this kernel
//! rounds differently from the tensor and fused kernels; the tests hold it to the engines'
//! tolerance of autodiff, like the fused kernel.

mod sparse;

use super::lanes::{LANES, Lanes, activate, derivative, gather};
use super::network::Network;
use super::outputs::Outputs;
use super::real::Real;
use super::simd::{Matrix, product};
use super::step::{Step, Sums, check_batch, finish};
use crate::error::{Error, Result};
use crate::loss::{LossKind, Objective};
use sparse::Sparse;
pub(in crate::host) use sparse::SparseRef;

/// A batch's inputs as a wide step reads them.
#[derive(Clone, Copy)]
pub(in crate::host) enum Inputs<'a, R> {
    /// Every value, `[rows, n_0]` row-major; the step gathers the nonzero ones where they
    /// are few.
    Dense(&'a [R]),
    /// The nonzero entries, row by row (for `Z₁ = X·W₁`) and column by column (for
    /// `dW₁ = Xᵀ·dZ₁`).
    Sparse {
        by_row: SparseRef<'a, R>,
        by_column: SparseRef<'a, R>,
    },
}

impl<'a, R> Inputs<'a, R> {
    /// Layer `l`'s input: these inputs for the first layer, else the activations `a[l − 1]`.
    fn of_layer(self, a: &'a [Vec<R>], l: usize) -> Self {
        match l.checked_sub(1) {
            None => self,
            Some(previous) => Inputs::Dense(&a[previous]),
        }
    }
}

/// `J` of `objective` and its gradients on `rows` examples (`x`: `[rows, n_0]`, `y`:
/// `[rows, n_L]`, row-major), scaled by the reduction, plus the L2 penalty `α·Σθ²`: what
/// the [fused](super::fused) kernel's step computes, by matrix products.
pub(in crate::host) fn step<R: Real>(
    network: &Network<R>,
    objective: &Objective,
    x: Inputs<'_, R>,
    y: &[R],
    rows: usize,
) -> Result<Step<R>> {
    let inputs = match x {
        Inputs::Dense(x) => x.len(),
        Inputs::Sparse { by_row, .. } if by_row.cols == network.sizes[0] => {
            by_row.rows() * by_row.cols
        }
        Inputs::Sparse { by_row, .. } => {
            return Err(Error::Data(format!(
                "the wide kernel got the nonzero entries of {}-wide inputs for a {}-input network",
                by_row.cols, network.sizes[0]
            )));
        }
    };
    check_batch(network, objective.kind, inputs, y, rows)?;
    let s = objective.reduction.scale(rows);
    // The step's joins and parallel loops are each one push onto a worker's own queue when
    // made from one of rayon's threads; made from any other, each would hand its work to the
    // pool and sleep until it is done, two context switches. So the whole step runs on the
    // pool, one hand-off (BENCHMARKS.md, round four).
    let sums = rayon::scope(|_| sums(network, objective.kind, x, y, rows, R::of(s)));
    Ok(finish(network, sums, s, objective.l2))
}

/// The sums of one batch, whose shapes `check_batch` has checked: the loss and costs unscaled,
/// the gradients those of `s·Σᵢ ℓᵢ`. `s` multiplies `dZ_L` as it leaves the output blocks, so
/// that no pass over the gradients is needed to scale them; for a power of two (the mean over
/// MNIST's batches of 64 and 32) that is exactly `s·Σᵢ A_{l−1}ᵀ·dZ_l`.
fn sums<R: Real>(
    network: &Network<R>,
    kind: LossKind,
    x: Inputs<'_, R>,
    y: &[R],
    rows: usize,
    s: R,
) -> Sums<R> {
    let sizes = &network.sizes;
    let depth = network.depth();
    // Forward: z[l] = Z_{l+1} = b + A_l·W_{l+1}, a[l] = A_{l+1} of the hidden layers.
    let mut z: Vec<Vec<R>> = Vec::with_capacity(depth);
    let mut a: Vec<Vec<R>> = Vec::with_capacity(depth.saturating_sub(1));
    // A_lᵀ's nonzero entries, where A_l is dense in memory but sparse enough for the products
    // to skip its zeros.
    let mut gathered: Vec<Option<Sparse<R>>> = Vec::with_capacity(depth);
    for l in 0..depth {
        let (n_in, n_out) = (sizes[l], sizes[l + 1]);
        let weights = &network.weights[l];
        let bias = network.biases[l].as_deref();
        let (zl, transposed) = match x.of_layer(&a, l) {
            Inputs::Sparse { by_row, .. } => (by_row.times(weights, n_out, bias), None),
            Inputs::Dense(dense) => match Sparse::of(dense, rows, n_in) {
                // The transpose, for the backward pass, is built while the product runs.
                Some(sparse) => {
                    let sparse = sparse.view();
                    let (zl, transposed) = rayon::join(
                        || sparse.times(weights, n_out, bias),
                        || sparse.transposed(),
                    );
                    (zl, Some(transposed))
                }
                None => {
                    let mut zl = match bias {
                        Some(b) => b.repeat(rows),
                        None => vec![R::ZERO; rows * n_out],
                    };
                    let weights = Matrix::row_major(weights, n_in, n_out);
                    product(&mut zl, Matrix::row_major(dense, rows, n_in), weights, true);
                    (zl, None)
                }
            },
        };
        gathered.push(transposed);
        if let Some(&g) = network.hidden.get(l) {
            a.push(lanewise(&[&zl], |[z]| activate(g, z)));
        }
        z.push(zl);
    }

    // The loss, the accuracy and dZ_L, in blocks of LANES examples.
    let n_out = network.outputs();
    let mut outputs = Outputs::new(kind, n_out);
    let mut dz = z.pop().unwrap_or_default();
    let (mut zb, mut yb) = (vec![[R::ZERO; LANES]; n_out], vec![[R::ZERO; LANES]; n_out]);
    for block in (0..rows).step_by(LANES) {
        let valid = LANES.min(rows - block);
        gather(&dz, block, valid, &mut zb);
        gather(y, block, valid, &mut yb);
        outputs.block(kind, &mut zb, &yb, valid);
        for t in 0..valid {
            for k in 0..n_out {
                dz[(block + t) * n_out + k] = zb[k][t] * s;
            }
        }
    }

    // Backward, from the output layer down.
    let mut weights = vec![Vec::new(); depth];
    let mut biases = vec![Vec::new(); depth];
    for l in (0..depth).rev() {
        let (n_in, n_out) = (sizes[l], sizes[l + 1]);
        let delta = Matrix::row_major(&dz, rows, n_out);
        weights[l] = match (x.of_layer(&a, l), &gathered[l]) {
            (Inputs::Sparse { by_column, .. }, _) => by_column.times(&dz, n_out, None),
            (Inputs::Dense(_), Some(transposed)) => transposed.view().times(&dz, n_out, None),
            (Inputs::Dense(dense), None) => {
                let mut dw = vec![R::ZERO; n_in * n_out];
                let dense = Matrix::row_major(dense, rows, n_in);
                product(&mut dw, dense.t(), delta, false);
                dw
            }
        };
        if network.biases[l].is_some() {
            biases[l] = column_sums(&dz, n_out);
        }
        if l == 0 {
            break;
        }
        let mut da = vec![R::ZERO; rows * n_in];
        let w = Matrix::row_major(&network.weights[l], n_in, n_out);
        product(&mut da, delta, w.t(), false);
        let g = network.hidden[l - 1];
        let zl = z.pop().unwrap_or_default();
        dz = lanewise(&[&da, &zl, &a[l - 1]], |[da, z, a]| derivative(g, da, z, a));
    }
    let (loss, outputs, correct) = outputs.finish();
    Sums {
        loss,
        outputs,
        correct,
        weights,
        biases,
    }
}

/// `f` over `N` equally long slices, [`LANES`] entries at a time (the last block padded with
/// zeros), into a new vector.
fn lanewise<R: Real, const N: usize>(
    inputs: &[&[R]; N],
    f: impl Fn([&Lanes<R>; N]) -> Lanes<R>,
) -> Vec<R> {
    let len = inputs.first().map_or(0, |v| v.len());
    let mut out = vec![R::ZERO; len];
    for (block, out) in out.chunks_mut(LANES).enumerate() {
        let start = block * LANES;
        let lanes: [Lanes<R>; N] = std::array::from_fn(|i| {
            let mut lanes = [R::ZERO; LANES];
            lanes[..out.len()].copy_from_slice(&inputs[i][start..start + out.len()]);
            lanes
        });
        let result = f(std::array::from_fn(|i| &lanes[i]));
        out.copy_from_slice(&result[..out.len()]);
    }
    out
}

/// `Σᵢ` of the rows of a row-major matrix `n` wide, in row order.
fn column_sums<R: Real>(values: &[R], n: usize) -> Vec<R> {
    let mut sums = vec![R::ZERO; n];
    for row in values.chunks(n.max(1)) {
        for (sum, &v) in sums.iter_mut().zip(row) {
            *sum += v;
        }
    }
    sums
}

#[cfg(test)]
mod tests {
    use burn::tensor::Device;

    use super::*;
    use crate::config::Kernel;
    use crate::data::Batch;
    use crate::host::simd::Isa;
    use crate::loss::{OutputActivation, Penalty, Reduction};
    use crate::model::activation::Activation;
    use crate::rng::NumpyRng;
    use crate::tensor::{HostValues, SparseRows};

    /// A random `sizes` network with biases and ReLU, and `rows` one-hot examples.
    fn problem(sizes: &[usize], rows: usize) -> (Network<f32>, Vec<f32>, Vec<f32>) {
        let mut rng = NumpyRng::new(11);
        let mut draw =
            |n: usize| -> Vec<f32> { rng.randn_vec(n).into_iter().map(|v| v as f32).collect() };
        let depth = sizes.len() - 1;
        let n_out = sizes[depth];
        let network = Network {
            weights: sizes.windows(2).map(|n| draw(n[0] * n[1])).collect(),
            biases: sizes[1..].iter().map(|&n| Some(draw(n))).collect(),
            sizes: sizes.to_vec(),
            hidden: vec![Activation::Relu; depth - 1],
            output: OutputActivation::Softmax,
        };
        let x = draw(rows * sizes[0]);
        let y = (0..rows)
            .flat_map(|i| (0..n_out).map(move |k| if i % n_out == k { 1.0 } else { 0.0 }))
            .collect();
        (network, x, y)
    }

    #[test]
    fn the_sums_do_not_depend_on_the_number_of_threads() {
        // MNIST's shape, large enough for gemm to split every product between threads.
        let rows = 64;
        let (network, x, y) = problem(&[784, 128, 10], rows);
        let on = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("a thread pool")
                .install(|| {
                    sums(
                        &network,
                        LossKind::CrossEntropy,
                        Inputs::Dense(&x),
                        &y,
                        rows,
                        1.0,
                    )
                })
        };
        let one = on(1);
        assert_eq!(one, on(2));
        assert_eq!(one, on(3));
        assert!(one.loss > 0.0 && one.correct > 0);
    }

    /// MNIST's objective.
    const MEAN_CROSS_ENTROPY: Objective = Objective {
        kind: LossKind::CrossEntropy,
        reduction: Reduction::Mean,
        l2: Penalty::NONE,
    };

    /// `x` with four entries in five zeroed: as sparse as MNIST's pixels.
    fn sparse(x: &[f32]) -> Vec<f32> {
        (x.iter().enumerate())
            .map(|(i, &v)| if i % 5 == 0 { v } else { 0.0 })
            .collect()
    }

    /// The nonzero entries of the row-major `x`, `cols` wide, as a batcher gives them.
    fn given(x: &[f32], cols: usize) -> SparseRows {
        let (mut starts, mut columns, mut values) = (vec![0], Vec::new(), Vec::new());
        for row in x.chunks(cols) {
            for (j, &v) in row.iter().enumerate().filter(|&(_, &v)| v != 0.0) {
                columns.push(j as u32);
                values.push(v);
            }
            starts.push(columns.len());
        }
        SparseRows::new(cols, starts, columns, HostValues::F32(values))
    }

    /// A batch of `x` as a batcher that gives the nonzero entries makes it.
    fn sparse_batch(x: &[f32], y: &[f32], cols: usize) -> Batch {
        let targets = HostValues::F32(y.to_vec());
        Batch::sparse(given(x, cols), targets, 10, &Device::flex())
    }

    #[test]
    fn a_step_given_its_sparse_inputs_is_the_step_that_gathers_them() {
        let rows = 64;
        let (network, x, y) = problem(&[784, 128, 10], rows);
        let x = sparse(&x);
        let batch = sparse_batch(&x, &y, 784);
        let on = |threads: usize, batch: &Batch| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("a thread pool")
                .install(|| crate::host::step(Kernel::Wide, &network, &MEAN_CROSS_ENTROPY, batch))
                .expect("a valid batch")
        };
        let dense = Batch::new(
            HostValues::F32(x.clone()),
            HostValues::F32(y.clone()),
            rows,
            [784, 10],
            &Device::flex(),
        );
        let gathered = on(2, &dense);
        for threads in [1, 2, 3] {
            let given = on(threads, &batch);
            assert_eq!(given.loss.to_bits(), gathered.loss.to_bits());
            assert_eq!(given.correct, gathered.correct);
            assert_eq!(given.gradients, gathered.gradients, "{threads} threads");
        }
        // Dense inputs are not read by their entries, nor given ones of another precision.
        let dense = problem(&[784, 1], 4).1;
        assert!(SparseRef::<f32>::given(&given(&dense, 784)).is_none());
        assert!(SparseRef::<f64>::given(&given(&x, 784)).is_none());
        let entries = given(&x, 784);
        let by_row = SparseRef::<f32>::given(&entries).expect("20 % nonzero is sparse");
        let transposed = entries.transposed();
        let by_column = SparseRef::<f32>::given(&transposed).expect("as sparse");
        let ours = by_row.transposed();
        assert_eq!(
            (ours.view().starts, ours.view().index, ours.view().values),
            (by_column.starts, by_column.index, by_column.values),
            "the batch's transpose is the kernel's"
        );
    }

    #[test]
    fn sparse_inputs_of_another_shape_are_refused() {
        let (network, x, y) = problem(&[784, 16, 10], 64);
        let x = sparse(&x);
        let entries = given(&x, 784);
        let transposed = entries.transposed();
        let input = Inputs::Sparse {
            by_row: SparseRef::given(&entries).expect("20 % nonzero is sparse"),
            by_column: SparseRef::given(&transposed).expect("as sparse"),
        };
        let err = step(&network, &MEAN_CROSS_ENTROPY, input, &y[..320], 32)
            .expect_err("64 rows given for 32");
        assert!(
            err.to_string()
                .contains("50176 inputs and 320 targets for 32 examples"),
            "{err}"
        );
        let (narrow, _, y) = problem(&[392, 16, 10], 128);
        let err = step(&narrow, &MEAN_CROSS_ENTROPY, input, &y, 128)
            .expect_err("784 columns given for 392");
        assert!(
            err.to_string()
                .contains("784-wide inputs for a 392-input network"),
            "{err}"
        );
    }

    #[test]
    fn sparse_products_are_the_same_in_every_vector_build_and_near_gemms() {
        let (network, x, _) = problem(&[784, 130, 10], 64);
        // One entry in five nonzero; 130 columns: two full blocks of sums and a partial one.
        let x = sparse(&x);
        let sparse = Sparse::of(&x, 64, 784).expect("20 % nonzero is sparse");
        let sparse = sparse.view();
        let w = &network.weights[0];
        let bias = network.biases[0].as_deref();
        // The definition, entry by entry: each row starts from the bias row (or zero) and
        // adds x_ij·W_j for its nonzero x_ij, j in order.
        let textbook = |start: Option<&[f32]>| -> Vec<f32> {
            let mut out = Vec::new();
            for row in x.chunks(784) {
                let mut sums = start.map_or(vec![0.0; 130], <[f32]>::to_vec);
                for (j, &v) in row.iter().enumerate().filter(|(_, v)| **v != 0.0) {
                    for (sum, &d) in sums.iter_mut().zip(&w[j * 130..(j + 1) * 130]) {
                        *sum += v * d;
                    }
                }
                out.extend(sums);
            }
            out
        };
        let baseline = textbook(None);
        for isa in Isa::all() {
            assert_eq!(sparse.times_on(isa, w, 130, None), baseline, "{isa:?}");
            assert_eq!(
                sparse.times_on(isa, w, 130, bias),
                textbook(bias),
                "{isa:?}"
            );
        }
        assert_eq!(sparse.times(w, 130, None), baseline);
        // The same product by gemm, and Xᵀ·W' through the transpose: other summation orders,
        // so equal to f32's rounding of sums of ~160 terms (about 1e-5 relative), within
        // bounds ten (and a hundred, for the larger second sums) times that.
        let mut dense = vec![0.0; 64 * 130];
        let (xm, wm) = (
            Matrix::row_major(&x, 64, 784),
            Matrix::row_major(w, 784, 130),
        );
        product(&mut dense, xm, wm, false);
        for (s, d) in baseline.iter().zip(&dense) {
            assert!((s - d).abs() <= 1e-4 * (1.0 + d.abs()), "{s} against {d}");
        }
        let transposed = sparse.transposed().view().times(&baseline, 130, None);
        let mut by_gemm = vec![0.0; 784 * 130];
        product(
            &mut by_gemm,
            xm.t(),
            Matrix::row_major(&baseline, 64, 130),
            false,
        );
        for (s, d) in transposed.iter().zip(&by_gemm) {
            assert!((s - d).abs() <= 1e-3 * (1.0 + d.abs()), "{s} against {d}");
        }
    }

    #[test]
    fn a_product_is_the_textbook_sum() {
        // [[1, 2], [3, 4]]·[[5, 6], [7, 8]] = [[19, 22], [43, 50]]; with the transposed left
        // side [[1, 3], [2, 4]]: [[26, 30], [38, 44]].
        let (a, b) = ([1.0_f64, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]);
        let mut out = [1.0; 4];
        product(
            &mut out,
            Matrix::row_major(&a, 2, 2),
            Matrix::row_major(&b, 2, 2),
            false,
        );
        assert_eq!(out, [19.0, 22.0, 43.0, 50.0]);
        product(
            &mut out,
            Matrix::row_major(&a, 2, 2).t(),
            Matrix::row_major(&b, 2, 2),
            true,
        );
        assert_eq!(out, [19.0 + 26.0, 22.0 + 30.0, 43.0 + 38.0, 50.0 + 44.0]);
    }

    #[test]
    fn a_batch_with_wrong_lengths_is_an_error() {
        let (network, x, y) = problem(&[3, 5, 2], 10);
        let err = step(&network, &MEAN_CROSS_ENTROPY, Inputs::Dense(&x), &y, 11)
            .expect_err("11 ≠ 10 rows");
        assert!(err.to_string().contains("for 11 examples"), "{err}");
    }

    #[test]
    fn an_empty_batch_sums_to_zero() {
        let (network, _, _) = problem(&[3, 5, 2], 0);
        let sums = sums(
            &network,
            LossKind::CrossEntropy,
            Inputs::Dense(&[]),
            &[],
            0,
            1.0,
        );
        assert_eq!((sums.loss, sums.correct), (0.0, 0));
        assert!(sums.weights.iter().flatten().all(|&g| g == 0.0));
    }
}
