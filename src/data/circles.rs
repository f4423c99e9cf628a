//! scikit-learn's `make_circles`, drawing from the numpy stream exactly as notebook 000's call
//! does: `make_circles(n_samples=N, shuffle=True, factor=.1, noise=.1)` with no
//! `random_state`, i.e. from numpy's global generator after `np.random.seed(42)`.
//!
//! The algorithm (scikit-learn 1.x, `sklearn/datasets/_samples_generator.py`):
//!
//! 1. `n_out = N // 2` points on the unit circle and `n_in = N − n_out` on a circle of radius
//!    `factor`, at angles `linspace(0, 2π, n, endpoint=False)`; outer points are class 0,
//!    inner points class 1, outer first;
//! 2. if `shuffle`: `indices = arange(N); rng.shuffle(indices)`, rows reordered by it;
//! 3. if `noise`: `X += rng.normal(scale=noise, size=(N, 2))`, drawn in row-major order.

use std::f64::consts::PI;

use crate::rng::NumpyRng;

/// Two concentric circles: `N` points `[x, y]` and their classes (0 outer, 1 inner).
pub fn make_circles(
    samples: usize,
    factor: f64,
    noise: f64,
    shuffle: bool,
    rng: &mut NumpyRng,
) -> (Vec<[f64; 2]>, Vec<usize>) {
    let n_out = samples / 2;
    let n_in = samples - n_out;
    let mut points = Vec::with_capacity(samples);
    let mut labels = Vec::with_capacity(samples);
    for (count, radius, label) in [(n_out, 1.0, 0), (n_in, factor, 1)] {
        // np.linspace(0, 2π, n, endpoint=False) computes i * (2π / n).
        let step = 2.0 * PI / count as f64;
        for i in 0..count {
            let angle = i as f64 * step;
            // scikit-learn scales only the inner circle; `× 1.0` is exact for the outer one.
            points.push([angle.cos() * radius, angle.sin() * radius]);
            labels.push(label);
        }
    }
    shuffle_and_jitter(points, labels, shuffle, noise, rng)
}

/// The common end of scikit-learn's `make_circles` and `make_moons`: with `shuffle`,
/// `util_shuffle(X, y)` (one permutation of `arange(N)`, rows and labels reordered by it); then,
/// for `noise > 0`, `X += rng.normal(scale=noise, size=X.shape)`, drawn in row-major order as
/// `0.0 + noise·g` (scikit-learn's `noise=None` draws nothing; so does 0 here).
pub(super) fn shuffle_and_jitter(
    mut points: Vec<[f64; 2]>,
    mut labels: Vec<usize>,
    shuffle: bool,
    noise: f64,
    rng: &mut NumpyRng,
) -> (Vec<[f64; 2]>, Vec<usize>) {
    if shuffle {
        // The permutation's swaps, made on the points and labels themselves: the order
        // `X[permutation(N)]` gives, without the copies (5M examples: 200 MB).
        rng.shuffle_with(points.len(), |i, j| {
            points.swap(i, j);
            labels.swap(i, j);
        });
    }
    if noise > 0.0 {
        for point in &mut points {
            point[0] += rng.normal(0.0, noise);
            point[1] += rng.normal(0.0, noise);
        }
    }
    (points, labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// numpy's and Rust's `cos`/`sin` both call the platform libm; allow an ulp or two.
    const LIBM: f64 = 1e-15;

    #[test]
    fn matches_scikit_learn_on_a_small_draw() {
        // python3 -c "import numpy as np; from sklearn.datasets import make_circles;
        //   np.random.seed(0); X, y = make_circles(7, factor=0.5, noise=0.2);
        //   print(X.tolist(), y.tolist())"
        let expected_x = [
            [-0.16854481076585756, -0.10601511042602108],
            [-0.24677629402844475, -0.9672007117365408],
            [0.009040155694211016, 1.0821877863955278],
            [0.5968624308241329, 0.1158280957413457],
            [0.9636834854537608, 0.2820409262262428],
            [-0.5748943381960412, 0.05503966311526411],
            [-0.1921509223467576, 0.5753853949990566],
        ];
        let expected_y = [1, 0, 0, 1, 0, 1, 1];
        let mut rng = NumpyRng::new(0);
        let (x, y) = make_circles(7, 0.5, 0.2, true, &mut rng);
        assert_eq!(y, expected_y);
        for (a, e) in x.iter().zip(&expected_x) {
            // cos/sin of the same angles agree with numpy's libm to the last bit or so.
            assert!(
                (a[0] - e[0]).abs() < LIBM && (a[1] - e[1]).abs() < LIBM,
                "{a:?} vs {e:?}"
            );
        }
    }

    #[test]
    fn notebook_000_data_for_seed_42() {
        // python3 -c "import numpy as np; from sklearn.datasets import make_circles;
        //   np.random.seed(42); X, y = make_circles(50000, factor=0.1, noise=0.1);
        //   print(X[:3].tolist(), y[:10].tolist(), X.sum())"
        let first_rows = [
            [0.009988943834678868, 0.13752023972122907],
            [-0.8048308577733283, 0.7588945035972721],
            [0.8707298280449695, 0.019858526282011787],
        ];
        let first_labels = [1, 0, 0, 0, 1, 1, 0, 1, 0, 1];
        let sum = 5.309259744322375;
        let mut rng = NumpyRng::new(42);
        let (x, y) = make_circles(50_000, 0.1, 0.1, true, &mut rng);
        assert_eq!(&y[..10], &first_labels);
        for (a, e) in x.iter().zip(&first_rows) {
            assert!(
                (a[0] - e[0]).abs() < LIBM && (a[1] - e[1]).abs() < LIBM,
                "{a:?} vs {e:?}"
            );
        }
        let total: f64 = x.iter().map(|p| p[0] + p[1]).sum();
        // 100000 terms summed in a different order than numpy's pairwise sum.
        assert!((total - sum).abs() < 1e-9, "{total} vs {sum}");
    }
}
