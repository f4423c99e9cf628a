//! scikit-learn's `make_moons`, drawing from the numpy stream exactly as
//! `np.random.seed(S); make_moons(n_samples=N, noise=σ)` does (no `random_state`, so numpy's
//! global legacy generator; karpathy/micrograd's `demo.ipynb` calls it with N = 100, σ = 0.1
//! after `np.random.seed(1337)`).
//!
//! The algorithm (scikit-learn 1.9.1, `sklearn/datasets/_samples_generator.py`):
//!
//! 1. `n_out = N // 2` points on the upper unit half circle, `(cos t, sin t)`, class 0, then
//!    `n_in = N − n_out` on the lower one shifted right and down, `(1 − cos t, (1 − sin t) −
//!    0.5)`, class 1, each at angles `t = linspace(0, π, n)` (numpy: `i · (π / (n − 1))`, the
//!    last one exactly π);
//! 2. always shuffled: `indices = arange(N); rng.shuffle(indices)`, rows reordered by it;
//! 3. if `noise`: `X += rng.normal(scale=noise, size=(N, 2))`, drawn in row-major order.
//!
//! A noise of 0 here is scikit-learn's `noise=None`: no normal is drawn.

use std::f64::consts::PI;

use super::circles::shuffle_and_jitter;
use crate::rng::NumpyRng;

/// numpy's `linspace(0, π, n)`: `arange(n) · step + 0` with `step = π / (n − 1)`, the last
/// element set to π exactly; `[0]` for `n = 1`.
fn half_turn(n: usize) -> Vec<f64> {
    if n == 1 {
        return vec![0.0];
    }
    let step = PI / (n - 1) as f64;
    let mut angles: Vec<f64> = (0..n).map(|i| i as f64 * step + 0.0).collect();
    if let Some(last) = angles.last_mut() {
        *last = PI;
    }
    angles
}

/// Two interleaving half circles: `N` points `[x, y]` and their classes (0 upper, 1 lower).
pub fn make_moons(samples: usize, noise: f64, rng: &mut NumpyRng) -> (Vec<[f64; 2]>, Vec<usize>) {
    let n_out = samples / 2;
    let n_in = samples - n_out;
    let mut points = Vec::with_capacity(samples);
    let mut labels = Vec::with_capacity(samples);
    for t in half_turn(n_out) {
        points.push([t.cos(), t.sin()]);
        labels.push(0);
    }
    for t in half_turn(n_in) {
        // scikit-learn's evaluation order: `1 - np.sin(t) - 0.5` is `(1 − sin t) − 0.5`.
        points.push([1.0 - t.cos(), (1.0 - t.sin()) - 0.5]);
        labels.push(1);
    }
    // make_moons always shuffles.
    shuffle_and_jitter(points, labels, true, noise, rng)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The dumps and this port evaluate the same `cos`/`sin` (glibc's, also numpy's on the
    /// machine that made the dumps), then the same additions: agreement to the last bits.
    const SKLEARN: f64 = 1e-12;

    /// `(points, labels)` of a dump in tests/fixtures/moons (`index x0 x1 y`, y = ±1); the
    /// command that wrote them is in that directory's README.md.
    fn dump(text: &str) -> (Vec<[f64; 2]>, Vec<usize>) {
        text.lines()
            .filter(|line| !line.starts_with('#'))
            .map(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                let value = |k: usize| fields[k].parse::<f64>().expect("a number in the dump");
                let label = if fields[3] == "1" { 1 } else { 0 };
                ([value(1), value(2)], label)
            })
            .unzip()
    }

    fn assert_matches(seed: u32, text: &str) {
        let (expected_x, expected_y) = dump(text);
        assert_eq!(expected_x.len(), 100);
        let mut rng = NumpyRng::new(seed);
        let (x, y) = make_moons(100, 0.1, &mut rng);
        assert_eq!(y, expected_y, "labels for seed {seed}");
        for (i, (a, e)) in x.iter().zip(&expected_x).enumerate() {
            assert!(
                (a[0] - e[0]).abs() < SKLEARN && (a[1] - e[1]).abs() < SKLEARN,
                "row {i} for seed {seed}: {a:?} vs {e:?}"
            );
        }
    }

    #[test]
    fn matches_scikit_learn_for_seed_1337() {
        assert_matches(
            1337,
            include_str!("../../tests/fixtures/moons/moons_seed1337.txt"),
        );
    }

    #[test]
    fn matches_scikit_learn_for_seed_42() {
        assert_matches(
            42,
            include_str!("../../tests/fixtures/moons/moons_seed42.txt"),
        );
    }

    #[test]
    fn linspace_ends_on_pi_and_odd_sizes_split_like_scikit_learn() {
        // np.linspace(0, np.pi, 3).tolist() == [0.0, 1.5707963267948966, 3.141592653589793]
        assert_eq!(half_turn(3), [0.0, PI / 2.0, PI]);
        assert_eq!(half_turn(1), [0.0]);
        // make_moons(5): n_out = 5 // 2 = 2 upper points, n_in = 3 lower ones.
        let (x, y) = make_moons(5, 0.0, &mut NumpyRng::new(0));
        assert_eq!(y.iter().filter(|&&c| c == 0).count(), 2);
        assert_eq!(x.len(), 5);
    }
}
