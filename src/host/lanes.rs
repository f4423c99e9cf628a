//! The lane type: [`LANES`] examples side by side, one per SIMD lane, and the element-wise
//! math of the sweep on it. Every function takes and returns lane arrays by value, so the
//! compiler can prove they do not overlap and vectorises the loops.

use crate::host::real::{Real, max};
use crate::model::activation::Activation;

/// Examples swept side by side, one per SIMD lane: four AVX-512 registers of f32 (eight of
/// AVX2). One block is a long chain of dependent operations (the forward pass, the softmax's
/// `exp` and `ln`, the backward pass); with 64 lanes each link of the chain is several
/// independent instructions, which keep the CPU busy while the chain's latency passes.
/// 64 lanes were measured against 8 and 128 (BENCHMARKS.md, round two).
pub const LANES: usize = 64;

/// `LANES` values, one per example of a block.
pub(in crate::host) type Lanes<R> = [R; LANES];

/// Adds the first `valid` lanes of `terms` to `sums`, in f64.
pub(super) fn add_lanes<R: Real>(sums: &mut [f64; LANES], terms: &Lanes<R>, valid: usize) {
    for (sum, term) in sums.iter_mut().zip(terms).take(valid) {
        *sum += term.to_f64();
    }
}

/// `sum + a ⊙ b`, lane by lane (a multiply, then an add: no fused multiply-add, so every
/// instruction set rounds alike).
#[inline(always)]
pub(super) fn add_product_lanes<R: Real>(
    mut sum: Lanes<R>,
    a: &Lanes<R>,
    b: &Lanes<R>,
) -> Lanes<R> {
    for t in 0..LANES {
        sum[t] += a[t] * b[t];
    }
    sum
}

/// `eˣ` of every lane.
#[inline(always)]
pub(super) fn exp_lanes<R: Real>(mut x: Lanes<R>) -> Lanes<R> {
    for x in &mut x {
        *x = x.exp();
    }
    x
}

/// `ln x` of every lane.
#[inline(always)]
pub(super) fn ln_lanes<R: Real>(mut x: Lanes<R>) -> Lanes<R> {
    for x in &mut x {
        *x = x.ln();
    }
    x
}

/// `g(Z)` of a hidden layer, lane by lane.
#[inline(always)]
pub(in crate::host) fn activate<R: Real>(g: Activation, z: &Lanes<R>) -> Lanes<R> {
    let mut a = *z;
    match g {
        Activation::Identity => {}
        Activation::Sigmoid => {
            let e = exp_lanes(a.map(|z| -z));
            for t in 0..LANES {
                a[t] = R::ONE / (R::ONE + e[t]);
            }
        }
        Activation::Relu => {
            for a in &mut a {
                *a = max(*a, R::ZERO);
            }
        }
        Activation::Tanh => {
            for a in &mut a {
                *a = a.tanh();
            }
        }
    }
    a
}

/// `dA ⊙ g'(Z)`, lane by lane, with `g'` from `Z` or `A` as
/// [`activation_backward`](super::activation_backward) writes it.
#[inline(always)]
pub(in crate::host) fn derivative<R: Real>(
    g: Activation,
    da: &Lanes<R>,
    z: &Lanes<R>,
    a: &Lanes<R>,
) -> Lanes<R> {
    let mut dz = *da;
    match g {
        Activation::Identity => {}
        Activation::Sigmoid => {
            for t in 0..LANES {
                dz[t] = dz[t] * a[t] * (R::ONE - a[t]);
            }
        }
        Activation::Relu => {
            for t in 0..LANES {
                dz[t] = if z[t] > R::ZERO { dz[t] } else { R::ZERO };
            }
        }
        Activation::Tanh => {
            for t in 0..LANES {
                dz[t] = dz[t] * (R::ONE - a[t] * a[t]);
            }
        }
    }
    dz
}

/// The index of each lane's largest value in `values` (one lane array per class), the first
/// on ties; 0 where every value is NaN.
#[inline(always)]
pub(super) fn argmax_lanes<R: Real>(values: &[Lanes<R>]) -> [u32; LANES] {
    let mut index = [0; LANES];
    let Some((first, rest)) = values.split_first() else {
        return index;
    };
    let mut best = *first;
    for (k, v) in (1..).zip(rest) {
        for t in 0..LANES {
            let more = v[t] > best[t];
            best[t] = if more { v[t] } else { best[t] };
            index[t] = if more { k } else { index[t] };
        }
    }
    index
}

/// Lane `t` of `lanes[k]` is `rows[(block + t)·n + k]`: a block of row-major rows, one
/// column per lane array, zeros past the first `valid` rows.
#[inline(always)]
pub(in crate::host) fn gather<R: Real>(
    rows: &[R],
    block: usize,
    valid: usize,
    lanes: &mut [Lanes<R>],
) {
    let n = lanes.len();
    let rows = &rows[block * n..(block + valid) * n];
    if valid == LANES {
        // A whole block of narrow rows (circles: 2 inputs, 2 targets) is transposed in
        // registers when the row length is known at compile time.
        match lanes {
            [one] => return transpose::<R, 1>(rows, [one]),
            [a, b] => return transpose::<R, 2>(rows, [a, b]),
            [a, b, c] => return transpose::<R, 3>(rows, [a, b, c]),
            [a, b, c, d] => return transpose::<R, 4>(rows, [a, b, c, d]),
            _ => {}
        }
    } else {
        lanes.fill([R::ZERO; LANES]);
    }
    for (t, row) in (0..LANES).zip(rows.chunks_exact(n)) {
        for (lane, &value) in lanes.iter_mut().zip(row) {
            lane[t] = value;
        }
    }
}

/// `lanes[k][t] = rows[t·N + k]` for a whole block of rows `N` values long.
#[inline(always)]
fn transpose<R: Real, const N: usize>(rows: &[R], lanes: [&mut Lanes<R>; N]) {
    let (rows, _) = rows.as_chunks::<N>();
    for (k, lane) in lanes.into_iter().enumerate() {
        for (value, row) in lane.iter_mut().zip(rows) {
            *value = row[k];
        }
    }
}
