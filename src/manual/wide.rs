//! The manual engine's wide CPU kernel: a training step as matrix products on all cores, for
//! networks whose layers are too wide for the [fused](super::fused) kernel (MNIST's 784-128-10).
//!
//! The fused kernel keeps an accumulator per weight and per lane, which is what makes it fast
//! on notebook 000's 17 parameters and slow on MNIST's 100 000. Here the batch moves through
//! the network layer by layer as `[m, n_l]` row-major matrices, as in [`row`](super::row), one
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
//!   are 19 % nonzero), `A_{l−1}·W_l` and `A_{l−1}ᵀ·dZ_l` skip the zeros: each nonzero
//!   `a_ik` adds `a_ik·W_k` to row `i` of `Z_l`, and `a_ik·dZ_i` to row `k` of `dW_l`.
//! - **Element-wise lines** run [`LANES`] values at a time through the fused kernel's lane
//!   functions (`activate`, `derivative`), and the loss through its output blocks
//!   (`Outputs`): one implementation of each activation and loss for both host kernels.
//!
//! gemm multiplies and adds with fused multiply-adds where the CPU has them, so this kernel
//! rounds differently from the tensor and fused kernels; the tests hold it to the engines'
//! tolerance of autodiff, like the fused kernel.

use gemm::Parallelism;
use std::mem::MaybeUninit;

use rayon::prelude::*;

use super::fused::Network;
use super::fused::lanes::{LANES, Lanes, activate, derivative, gather};
use super::fused::step::{Step, finish, on_host};
use super::fused::sweep::{Outputs, Sums, check_batch};
use super::real::Real;
use super::vector::Isa;
use crate::error::{Error, Result};
use crate::loss::{LossKind, Objective, Reduction};
use crate::model::Mlp;
use crate::model::mlp::Gradients;
use crate::tensor::SparseRows;
use burn::tensor::Tensor;

/// `J` and its gradients on `rows` examples (`x`: `[rows, n_0]`, `y`: `[rows, n_L]`,
/// row-major), scaled by the reduction, plus the L2 penalty `α·Σθ²` when `l2 > 0`: what
/// [`fused::step`](fn@super::fused::step) computes, by matrix products.
pub fn step<R: Real>(
    network: &Network<R>,
    kind: LossKind,
    reduction: Reduction,
    l2: f64,
    x: &[R],
    y: &[R],
    rows: usize,
) -> Result<Step<R>> {
    let objective = Objective {
        kind,
        reduction,
        l2,
    };
    step_with(network, &objective, (Inputs::Dense(x), y, rows))
}

/// [`step`] of `objective` on the batch `(x, y, rows)`, whose inputs `x` may be given by
/// their nonzero entries gathered before the step (for example on a loader's thread).
pub fn step_with<R: Real>(
    network: &Network<R>,
    objective: &Objective,
    (x, y, rows): (Inputs<'_, R>, &[R], usize),
) -> Result<Step<R>> {
    let &Objective {
        kind,
        reduction,
        l2,
    } = objective;
    let inputs = match x {
        Inputs::Dense(x) => x.len(),
        Inputs::Sparse(given) if given.rows.cols == network.sizes[0] => {
            given.rows.rows() * given.rows.cols
        }
        Inputs::Sparse(given) => {
            return Err(Error::Data(format!(
                "the wide kernel got the nonzero entries of {}-wide inputs for a {}-input network",
                given.rows.cols, network.sizes[0]
            )));
        }
    };
    check_batch(network, kind, inputs, y, rows)?;
    let s = reduction.scale(rows);
    // The step's joins and parallel loops are each one push onto a worker's own queue when
    // made from one of rayon's threads; made from any other, each would hand its work to the
    // pool and sleep until it is done, two context switches. So the whole step runs on the
    // pool, one hand-off (MNIST: 0.140 against 0.235 s per epoch).
    let sums = rayon::scope(|_| sums(network, kind, x, y, rows, R::of(s)));
    Ok(finish(network, sums, s, l2))
}

/// A batch's inputs as a wide step reads them.
#[derive(Clone, Copy)]
pub enum Inputs<'a, R> {
    /// Every value, `[rows, n_0]` row-major; the step gathers the nonzero ones where they
    /// are few.
    Dense(&'a [R]),
    /// The nonzero entries, gathered before the step.
    Sparse(&'a SparseInput<R>),
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

/// A batch's inputs as the wide kernel's first layer reads them when they are sparse: their
/// nonzero entries row by row, for `Z₁ = X·W₁`, and column by column, for `dW₁ = Xᵀ·dZ₁`.
/// Made from the inputs alone, so it can be made before the step that reads it.
pub struct SparseInput<R> {
    rows: Sparse<R>,
    columns: Sparse<R>,
}

impl<R: Real> SparseInput<R> {
    /// The nonzero entries of the row-major `rows × cols` inputs `x`, or `None` when they are
    /// too dense for the sparse products (more than a quarter of them nonzero), all on the
    /// calling thread.
    ///
    /// # Panics
    /// If `x` does not hold `rows × cols` values.
    pub fn of(x: &[R], rows: usize, cols: usize) -> Option<Self> {
        assert_eq!(
            x.len(),
            rows * cols,
            "inputs of {rows}×{cols} of {} values",
            x.len()
        );
        let nonzero = Sparse::sparse(x, rows, cols)?;
        Some(Self::with_columns(Sparse::rows_of(x, cols, nonzero)))
    }

    /// The inputs whose nonzero entries a batcher gave ([`SparseRows`]), or `None` when they
    /// are too dense for the sparse products or not of this precision.
    pub fn given(x: &SparseRows) -> Option<Self> {
        let values = R::host_slice(x.values())?;
        let (rows, cols) = (x.rows(), x.cols());
        Sparse::<R>::skips_zeros(values.len(), rows, cols).then(|| {
            Self::with_columns(Sparse {
                cols,
                starts: x.starts().to_vec(),
                index: x.columns().to_vec(),
                values: values.to_vec(),
            })
        })
    }

    fn with_columns(rows: Sparse<R>) -> Self {
        let columns = rows.transposed();
        Self { rows, columns }
    }
}

/// `J` and the gradients of `J` for one batch by the wide kernel, as tensors on `x`'s device:
/// what [`fused::gradients`](super::fused::gradients) and the autodiff engine compute.
///
/// # Shapes
/// - `x`: `[m, n_0]`, `targets`: `[m, n_L]`; the gradients have the parameters' shapes
pub fn gradients<R: Real>(
    model: &Mlp,
    x: Tensor<2>,
    targets: Tensor<2>,
    kind: LossKind,
    reduction: Reduction,
    l2: f64,
) -> Result<(f64, Gradients)> {
    on_host::<R>(model, x, targets, |network, x, y, rows| {
        step(network, kind, reduction, l2, x, y, rows)
    })
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
            Inputs::Sparse(given) => (given.rows.times(weights, n_out, bias), None),
            Inputs::Dense(dense) => match Sparse::of(dense, rows, n_in) {
                // The transpose, for the backward pass, is built while the product runs.
                Some(sparse) => {
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
            (Inputs::Sparse(given), _) => given.columns.times(&dz, n_out, None),
            (Inputs::Dense(_), Some(transposed)) => transposed.times(&dz, n_out, None),
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
    let (loss, outputs, right) = outputs.finish();
    Sums {
        loss,
        outputs,
        right,
        weights,
        biases,
    }
}

/// The densest input for which a layer's products skip its zeros: a sparse row costs a pass
/// over one row of `W` per nonzero entry, a fraction of what gemm's blocked product of the
/// whole row costs; MNIST's pixels are 19 % nonzero.
const SPARSE_DENSITY: f64 = 0.25;

/// Columns of a [`Sparse`] product's row summed at a time, in registers (8 AVX-512 registers
/// of f32; an MNIST hidden layer's 128 units in one block).
const SPARSE_BLOCK: usize = 128;

/// Rows of a [`Sparse`] product per task on rayon's threads.
const SPARSE_ROWS: usize = 16;

/// A row-major matrix's nonzero entries, row by row (compressed sparse rows).
#[derive(Clone)]
struct Sparse<R> {
    /// The width of the dense matrix.
    cols: usize,
    /// Row `i`'s entries are `index[starts[i]..starts[i + 1]]` and `values[…]`.
    starts: Vec<usize>,
    index: Vec<u32>,
    values: Vec<R>,
}

impl<R: Real> Sparse<R> {
    /// The nonzero entries of the row-major `rows × cols` matrix `dense`, or `None` when more
    /// than [`SPARSE_DENSITY`] of them are nonzero. The two halves of the rows are gathered
    /// on rayon's threads.
    fn of(dense: &[R], rows: usize, cols: usize) -> Option<Self> {
        let all = Self::sparse(dense, rows, cols)?;
        let (top, bottom) = dense.split_at(rows.div_ceil(2) * cols);
        let in_top = nonzero(top);
        let (mut first, second) = rayon::join(
            || Self::rows_of(top, cols, in_top),
            || Self::rows_of(bottom, cols, all - in_top),
        );
        let offset = first.index.len();
        first
            .starts
            .extend(second.starts[1..].iter().map(|&s| s + offset));
        first.index.extend(second.index);
        first.values.extend(second.values);
        Some(first)
    }

    /// The number of nonzero entries of the row-major `rows × cols` matrix `dense`, where it is
    /// [sparse enough](Self::skips_zeros) for its products to skip its zeros.
    fn sparse(dense: &[R], rows: usize, cols: usize) -> Option<usize> {
        let nonzero = nonzero(dense);
        Self::skips_zeros(nonzero, rows, cols).then_some(nonzero)
    }

    /// Whether the products of a `rows × cols` matrix with `nonzero` nonzero entries skip its
    /// zeros: when at most [`SPARSE_DENSITY`] of its entries are nonzero, and its positions
    /// fit u32s (half the memory of usizes, and the lanes of AVX-512's stores).
    fn skips_zeros(nonzero: usize, rows: usize, cols: usize) -> bool {
        let narrow = u32::try_from(rows.max(cols)).is_ok();
        let sparse = nonzero as f64 <= SPARSE_DENSITY * (rows * cols) as f64;
        rows > 0 && narrow && sparse
    }

    /// The `nonzero` nonzero entries of every row of `dense`, `cols` wide: in f32 with AVX-512's
    /// compressing stores where the CPU has them ([`Isa::nonzero_f32`]), else by the loop of
    /// [`nonzero_entries`].
    fn rows_of(dense: &[R], cols: usize, nonzero: usize) -> Self {
        let isa = Isa::widest();
        let mut starts = Vec::with_capacity(dense.len() / cols.max(1) + 1);
        // 16 slots of slack past the last entry, which both ways may overwrite.
        let mut index = vec![0; nonzero + 16];
        let mut values = vec![R::ZERO; nonzero + 16];
        let mut next = 0;
        starts.push(0);
        for row in dense.chunks(cols.max(1)) {
            let (index, values) = (&mut index[next..], &mut values[next..]);
            let compressed = match (R::as_f32(row), R::as_f32_mut(values)) {
                (Some(row), Some(values)) => isa.nonzero_f32(row, index, values),
                _ => None,
            };
            next += compressed.unwrap_or_else(|| nonzero_entries(row, index, values));
            starts.push(next);
        }
        index.truncate(nonzero);
        values.truncate(nonzero);
        Self {
            cols,
            starts,
            index,
            values,
        }
    }

    fn rows(&self) -> usize {
        self.starts.len() - 1
    }

    /// The transpose, each of its rows in increasing order of the original rows.
    fn transposed(&self) -> Self {
        let mut counts = vec![0; self.cols + 1];
        for &j in &self.index {
            counts[j as usize + 1] += 1;
        }
        for j in 0..self.cols {
            counts[j + 1] += counts[j];
        }
        let starts = counts.clone();
        let mut index = vec![0; self.index.len()];
        let mut values = vec![R::ZERO; self.values.len()];
        for i in 0..self.rows() {
            for e in self.starts[i]..self.starts[i + 1] {
                let slot = &mut counts[self.index[e] as usize];
                index[*slot] = i as u32;
                values[*slot] = self.values[e];
                *slot += 1;
            }
        }
        Self {
            cols: self.rows(),
            starts,
            index,
            values,
        }
    }

    /// `S·D` for the row-major `D` (`self.cols × n`), each row of the product starting from
    /// `start` (a bias row) or zero: row `i` is `start + Σ_j S_ij·D_j` over the entries of row
    /// `i`, in order. Rows are split between rayon's threads, and each is one thread's, so the
    /// sums do not depend on their number. The product is written once, into memory that
    /// nothing zeroes first.
    fn times(&self, dense: &[R], n: usize, start: Option<&[R]>) -> Vec<R> {
        self.times_on(Isa::widest(), dense, n, start)
    }

    /// [`times`](Self::times) compiled for `isa` (without fused multiply-adds, so that every
    /// build rounds alike).
    fn times_on(&self, isa: Isa, dense: &[R], n: usize, start: Option<&[R]>) -> Vec<R> {
        assert!(
            dense.len() == self.cols * n && start.is_none_or(|start| start.len() == n),
            "a sparse product of mismatched matrices"
        );
        let len = self.rows() * n;
        let mut out = Vec::with_capacity(len);
        (out.spare_capacity_mut()[..len].par_chunks_mut(SPARSE_ROWS * n.max(1)))
            .enumerate()
            .for_each(|(task, out)| {
                isa.run(
                    #[inline(always)]
                    || self.rows_times(task * SPARSE_ROWS, dense, n, start, out),
                );
            });
        // SAFETY: the chunks cover the first `len` entries, and `rows_times` writes every
        // entry of every row it is given.
        unsafe { out.set_len(len) };
        out
    }

    /// The rows from `first` on that `out` holds, in blocks of [`SPARSE_BLOCK`] columns, the
    /// block's sums held in registers while the row's entries go by (one load of `D` per entry
    /// and column, and one store of each sum).
    #[inline(always)]
    fn rows_times(
        &self,
        first: usize,
        dense: &[R],
        n: usize,
        start: Option<&[R]>,
        out: &mut [MaybeUninit<R>],
    ) {
        for (i, out) in (first..).zip(out.chunks_mut(n.max(1))) {
            let entries = self.starts[i]..self.starts[i + 1];
            for (block, out) in out.chunks_mut(SPARSE_BLOCK).enumerate() {
                let (from, width) = (block * SPARSE_BLOCK, out.len());
                let mut sums = [R::ZERO; SPARSE_BLOCK];
                if let Some(start) = start {
                    sums[..width].copy_from_slice(&start[from..from + width]);
                }
                for e in entries.clone() {
                    let (j, v) = (self.index[e] as usize, self.values[e]);
                    let row = &dense[j * n + from..j * n + from + width];
                    if let Ok(row) = <&[R; SPARSE_BLOCK]>::try_from(row) {
                        for (sum, &d) in sums.iter_mut().zip(row) {
                            *sum += v * d;
                        }
                    } else {
                        for (sum, &d) in sums.iter_mut().zip(row) {
                            *sum += v * d;
                        }
                    }
                }
                out.write_copy_of_slice(&sums[..width]);
            }
        }
    }
}

/// Writes the nonzero entries of `row` to the front of `index` (their positions) and `values`,
/// in order, and returns how many there are; the 16 slots past the last may be overwritten.
/// Runs of 16 zeros (an image's margins) are skipped with one vector test; inside a run every
/// entry is written, and the next overwrites it unless it was nonzero (no branch to
/// mispredict).
fn nonzero_entries<R: Real>(row: &[R], index: &mut [u32], values: &mut [R]) -> usize {
    let mut next = 0;
    for (run, entries) in row.chunks(16).enumerate() {
        if entries.iter().fold(false, |any, &v| any | (v != R::ZERO)) {
            for (k, &v) in entries.iter().enumerate() {
                index[next] = (16 * run + k) as u32;
                values[next] = v;
                next += usize::from(v != R::ZERO);
            }
        }
    }
    next
}

/// The number of nonzero entries of `values`, counted in u32 lanes, which the compiler
/// vectorises.
fn nonzero<R: Real>(values: &[R]) -> usize {
    values
        .chunks(1024)
        .map(|c| c.iter().map(|&v| u32::from(v != R::ZERO)).sum::<u32>() as usize)
        .sum()
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

/// A matrix viewed in a slice: entry `(i, j)` at `i·row_stride + j·col_stride`.
#[derive(Clone, Copy)]
struct Matrix<'a, R> {
    data: &'a [R],
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
}

impl<'a, R> Matrix<'a, R> {
    /// `data` as a row-major `rows × cols` matrix.
    fn row_major(data: &'a [R], rows: usize, cols: usize) -> Self {
        Self {
            data,
            rows,
            cols,
            row_stride: cols,
            col_stride: 1,
        }
    }

    /// The transpose, without a copy.
    fn t(self) -> Self {
        Self {
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
            ..self
        }
    }

    /// Whether every entry lies inside `data`.
    fn fits(&self) -> bool {
        self.rows == 0
            || self.cols == 0
            || (self.rows - 1) * self.row_stride + (self.cols - 1) * self.col_stride
                < self.data.len()
    }
}

/// `out = a·b`, or `out += a·b` with `accumulate`, `out` row-major `a.rows × b.cols`, on
/// rayon's threads.
fn product<R: Real>(out: &mut [R], a: Matrix<R>, b: Matrix<R>, accumulate: bool) {
    assert!(
        a.cols == b.rows && a.fits() && b.fits() && out.len() == a.rows * b.cols,
        "a product of mismatched matrices: {}×{} by {}×{} into {}",
        a.rows,
        a.cols,
        b.rows,
        b.cols,
        out.len()
    );
    if out.is_empty() {
        return;
    }
    let stride = |s: usize| s as isize;
    // SAFETY: the assertion above keeps every entry gemm reads (`(i, k)` of `a`, `(k, j)` of
    // `b`) and writes (`(i, j)` of `out`, at `i·b.cols + j`) inside its slice; `out` is borrowed
    // mutably, so it overlaps neither input. gemm computes `out ← 1·out + 1·a·b` when it reads
    // `out` and `out ← 1·a·b` when it does not.
    unsafe {
        gemm::gemm(
            a.rows,
            b.cols,
            a.cols,
            out.as_mut_ptr(),
            1,
            stride(b.cols),
            accumulate,
            a.data.as_ptr(),
            stride(a.col_stride),
            stride(a.row_stride),
            b.data.as_ptr(),
            stride(b.col_stride),
            stride(b.row_stride),
            R::ONE,
            R::ONE,
            false,
            false,
            false,
            Parallelism::Rayon(0),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::OutputActivation;
    use crate::model::activation::Activation;
    use crate::rng::NumpyRng;
    use crate::tensor::HostValues;

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
        assert!(one.loss > 0.0 && one.right > 0);
    }

    /// MNIST's objective.
    const MEAN_CROSS_ENTROPY: Objective = Objective {
        kind: LossKind::CrossEntropy,
        reduction: Reduction::Mean,
        l2: 0.0,
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

    #[test]
    fn a_step_given_its_sparse_inputs_is_the_step_that_gathers_them() {
        let rows = 64;
        let (network, x, y) = problem(&[784, 128, 10], rows);
        let x = sparse(&x);
        let gathered_ahead = SparseInput::of(&x, rows, 784).expect("20 % nonzero is sparse");
        let from_batcher = SparseInput::given(&given(&x, 784)).expect("20 % nonzero is sparse");
        let on = |threads: usize, x: Inputs<f32>| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("a thread pool")
                .install(|| step_with(&network, &MEAN_CROSS_ENTROPY, (x, &y, rows)))
                .expect("a valid batch")
        };
        let gathered = on(2, Inputs::Dense(&x));
        for threads in [1, 2, 3] {
            for input in [&gathered_ahead, &from_batcher] {
                let given = on(threads, Inputs::Sparse(input));
                assert_eq!(given.loss.to_bits(), gathered.loss.to_bits());
                assert_eq!(given.right, gathered.right);
                assert_eq!(given.gradients, gathered.gradients, "{threads} threads");
            }
        }
        // Dense inputs are not gathered, nor given ones of another precision.
        let dense = problem(&[784, 1], 4).1;
        assert!(SparseInput::<f32>::of(&dense, 4, 784).is_none());
        assert!(SparseInput::<f32>::given(&given(&dense, 784)).is_none());
        assert!(SparseInput::<f64>::given(&given(&x, 784)).is_none());
    }

    #[test]
    fn sparse_inputs_of_another_shape_are_refused() {
        let (network, x, y) = problem(&[784, 16, 10], 64);
        let x = sparse(&x);
        let input = SparseInput::of(&x, 64, 784).expect("20 % nonzero is sparse");
        let err = step_with(
            &network,
            &MEAN_CROSS_ENTROPY,
            (Inputs::Sparse(&input), &y[..320], 32),
        )
        .expect_err("64 rows given for 32");
        assert!(
            err.to_string()
                .contains("50176 inputs and 320 targets for 32 examples"),
            "{err}"
        );
        let (narrow, _, y) = problem(&[392, 16, 10], 128);
        let err = step_with(
            &narrow,
            &MEAN_CROSS_ENTROPY,
            (Inputs::Sparse(&input), &y, 128),
        )
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
        let transposed = sparse.transposed().times(&baseline, 130, None);
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
        let err = step(
            &network,
            LossKind::CrossEntropy,
            Reduction::Mean,
            0.0,
            &x,
            &y,
            11,
        )
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
        assert_eq!((sums.loss, sums.right), (0.0, 0));
        assert!(sums.weights.iter().flatten().all(|&g| g == 0.0));
    }
}
