//! The lane type: [`LANES`] examples side by side, one per SIMD lane, and the element-wise
//! math of the sweep on it. Every function takes and returns lane arrays by value, so the
//! compiler can prove they do not overlap and vectorises the loops.

use crate::manual::real::{Real, max};
use crate::model::activation::Activation;

/// Examples swept side by side, one per SIMD lane (8 f32 fill an AVX register).
pub const LANES: usize = 8;

/// `LANES` values, one per example of a block.
pub(in crate::manual) type Lanes<R> = [R; LANES];

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

/// `g(Z)` of a hidden layer, lane by lane.
#[inline(always)]
pub(in crate::manual) fn activate<R: Real>(g: Activation, z: &Lanes<R>) -> Lanes<R> {
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
pub(in crate::manual) fn derivative<R: Real>(
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

/// The index of the largest value, the first on ties.
pub(super) fn argmax<R: Real>(values: impl Iterator<Item = R>) -> usize {
    let mut best: Option<(usize, R)> = None;
    for (i, v) in values.enumerate() {
        if best.is_none_or(|(_, b)| v > b) {
            best = Some((i, v));
        }
    }
    best.map_or(0, |(i, _)| i)
}
