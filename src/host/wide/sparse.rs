//! Matrices by their nonzero entries, for the wide kernel's layers whose input is mostly zero
//! (MNIST's pixels are 19 % nonzero): `A·W` and `Aᵀ·dZ` that skip the zeros, each nonzero
//! `a_ik` adding `a_ik·W_k` to row `i` of the product.

use crate::host::real::Real;
use crate::host::simd::{Isa, Slots, filled_in_parallel, vectorized};
use crate::tensor::{SparseRows, transpose_entries};

/// The densest input for which a layer's products skip its zeros: a sparse row costs a pass
/// over one row of `W` per nonzero entry, a fraction of what gemm's blocked product of the
/// whole row costs; MNIST's pixels are 19 % nonzero.
const SPARSE_DENSITY: f64 = 0.25;

/// Columns of a sparse product's row summed at a time, in registers (8 AVX-512 registers of
/// f32; an MNIST hidden layer's 128 units in one block).
const SPARSE_BLOCK: usize = 128;

/// Rows of a sparse product per task on rayon's threads.
const SPARSE_ROWS: usize = 16;

/// A row-major matrix's nonzero entries, row by row (compressed sparse rows), in vectors of
/// its own: those the wide kernel gathers from a dense layer input.
#[derive(Clone)]
pub(in crate::host) struct Sparse<R> {
    /// The width of the dense matrix.
    cols: usize,
    /// Row `i`'s entries are `index[starts[i]..starts[i + 1]]` and `values[…]`.
    starts: Vec<usize>,
    index: Vec<u32>,
    values: Vec<R>,
}

/// A [`Sparse`] matrix's entries where they lie: in a [`Sparse`], or in a batch's
/// [`SparseRows`].
#[derive(Clone, Copy)]
pub(in crate::host) struct SparseRef<'a, R> {
    /// The width of the dense matrix.
    pub(in crate::host) cols: usize,
    pub(super) starts: &'a [usize],
    pub(super) index: &'a [u32],
    pub(super) values: &'a [R],
}

impl<R: Real> Sparse<R> {
    /// The nonzero entries of the row-major `rows × cols` matrix `dense`, or `None` when more
    /// than [`SPARSE_DENSITY`] of them are nonzero. The two halves of the rows are gathered
    /// on rayon's threads.
    pub(in crate::host) fn of(dense: &[R], rows: usize, cols: usize) -> Option<Self> {
        let all = Self::count_if_sparse(dense, rows, cols)?;
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
    /// [sparse enough](skips_zeros) for its products to skip its zeros.
    fn count_if_sparse(dense: &[R], rows: usize, cols: usize) -> Option<usize> {
        let nonzero = nonzero(dense);
        skips_zeros(nonzero, rows, cols).then_some(nonzero)
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

    /// The entries, to read.
    pub(in crate::host) fn view(&self) -> SparseRef<'_, R> {
        SparseRef {
            cols: self.cols,
            starts: &self.starts,
            index: &self.index,
            values: &self.values,
        }
    }
}

impl<'a, R: Real> SparseRef<'a, R> {
    /// The nonzero entries a batcher gave ([`SparseRows`]), or `None` when they are too dense
    /// for the sparse products or not of this precision.
    pub(in crate::host) fn given(x: &'a SparseRows) -> Option<Self> {
        let values = R::host_slice(x.values())?;
        skips_zeros(values.len(), x.rows(), x.cols()).then_some(Self {
            cols: x.cols(),
            starts: x.starts(),
            index: x.columns(),
            values,
        })
    }

    /// The number of rows.
    pub(in crate::host) fn rows(&self) -> usize {
        self.starts.len() - 1
    }

    /// The transpose, each of its rows in increasing order of the original rows, by the
    /// counting sort [`SparseRows::transposed`] uses ([`transpose_entries`]).
    pub(in crate::host) fn transposed(&self) -> Sparse<R> {
        let (starts, index, values) =
            transpose_entries(self.cols, self.starts, self.index, self.values);
        Sparse {
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
    pub(in crate::host) fn times(&self, dense: &[R], n: usize, start: Option<&[R]>) -> Vec<R> {
        self.times_on(Isa::widest(), dense, n, start)
    }

    /// [`times`](Self::times) compiled for `isa` (without fused multiply-adds, so that every
    /// build rounds alike).
    pub(in crate::host) fn times_on(
        &self,
        isa: Isa,
        dense: &[R],
        n: usize,
        start: Option<&[R]>,
    ) -> Vec<R> {
        assert!(
            dense.len() == self.cols * n && start.is_none_or(|start| start.len() == n),
            "a sparse product of mismatched matrices"
        );
        filled_in_parallel(self.rows() * n, SPARSE_ROWS * n.max(1), |task, out| {
            vectorized!(
                isa,
                self.rows_times(task * SPARSE_ROWS, dense, n, start, out)
            );
        })
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
        out: &mut Slots<'_, R>,
    ) {
        for i in first..first + out.len() / n.max(1) {
            let entries = self.starts[i]..self.starts[i + 1];
            for from in (0..n).step_by(SPARSE_BLOCK) {
                let width = SPARSE_BLOCK.min(n - from);
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
                out.push(&sums[..width]);
            }
        }
    }
}

/// Whether the products of a `rows × cols` matrix with `nonzero` nonzero entries skip its
/// zeros: when at most [`SPARSE_DENSITY`] of its entries are nonzero, and its positions fit
/// u32s (half the memory of usizes, and the lanes of AVX-512's stores).
fn skips_zeros(nonzero: usize, rows: usize, cols: usize) -> bool {
    let narrow = u32::try_from(rows.max(cols)).is_ok();
    let sparse = nonzero as f64 <= SPARSE_DENSITY * (rows * cols) as f64;
    rows > 0 && narrow && sparse
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
