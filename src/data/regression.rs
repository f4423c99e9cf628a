//! TensorFlow Playground's two regression sets (`plane`, `gaussian`): points uniform in the
//! square ±6, each with one real target in [−1, 1], drawn from any [`Uniform`] stream.
//!
//! Ported from `src/dataset.ts` of tensorflow/playground (commit 02469bd, 2022-06-06):
//! `regressPlane` and `regressGaussian` (its `reg-plane` and `reg-gauss`), then the
//! Fisher–Yates shuffle that `playground.ts`'s `generateData` applies, as
//! [`playground`](super::playground) ports the four classification sets. Each `Math.random()`
//! is one [`Uniform::random`]; the only other arithmetic is `+ − × ÷` and `Math.sqrt`, which
//! IEEE 754 rounds exactly, so drawn from [`SeedRandom`](crate::rng::SeedRandom)
//! (`--rng playground`) the points and targets are node's bit for bit
//! (`tests/fixtures/playground`), whatever the math library.
//!
//! The noise is the Playground's slider in percent (0 to 50), a fraction in the generators: it
//! moves no point, but each target is computed where a uniform jitter of up to ±6 · noise per
//! coordinate takes its point. The Playground draws 1200 points (`NUM_SAMPLES_REGRESS`) and
//! keeps half for a test split; here every point is a training example.

use clap::ValueEnum;
use serde::{Deserialize, Serialize};

use super::playground::{shuffle, uniform};
use crate::rng::Uniform;

/// The Playground's regression data sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum RegressionSet {
    /// `reg-plane`: the target rises linearly along the diagonal, `(x₁ + x₂) / 10`.
    Plane,
    /// `reg-gauss`: six signed bumps of radius 2, the target the one largest in magnitude.
    Gaussian,
}

/// The Playground's number of points for regression (`NUM_SAMPLES_REGRESS`).
pub const SAMPLES: usize = 1200;

/// Both sets draw their points in the square `±RADIUS` (`let radius = 6`).
const RADIUS: f64 = 6.0;

/// The six bumps of `regressGaussian`: centre `(x, y)` and sign.
const BUMPS: [(f64, f64, f64); 6] = [
    (-4.0, 2.5, 1.0),
    (0.0, 2.5, -1.0),
    (4.0, 2.5, 1.0),
    (-4.0, -2.5, -1.0),
    (0.0, -2.5, 1.0),
    (4.0, -2.5, -1.0),
];

impl RegressionSet {
    /// The set's name on the command line (`--data plane`).
    pub fn name(self) -> &'static str {
        match self {
            RegressionSet::Plane => "plane",
            RegressionSet::Gaussian => "gaussian",
        }
    }

    /// The target of the point `(x, y)` (already jittered by the noise).
    pub fn target(self, x: f64, y: f64) -> f64 {
        match self {
            // `labelScale = d3.scale.linear().domain([-10, 10]).range([-1, 1])` of `x + y`.
            RegressionSet::Plane => linear([-10.0, 10.0], [-1.0, 1.0], false, x + y),
            // `labelScale = d3.scale.linear().domain([0, 2]).range([1, 0]).clamp(true)` of
            // the distance to each centre, signed; the first largest |label| wins, starting
            // from 0.
            RegressionSet::Gaussian => BUMPS.iter().fold(0.0, |label: f64, &(cx, cy, sign)| {
                let (dx, dy) = (x - cx, y - cy);
                let distance = (dx * dx + dy * dy).sqrt();
                let bump = sign * linear([0.0, 2.0], [1.0, 0.0], true, distance);
                if bump.abs() > label.abs() {
                    bump
                } else {
                    label
                }
            }),
        }
    }
}

/// d3 v3's linear scale of a two-value domain and range, as d3 3.5.17 computes it:
/// `t = (v − d₀) / (d₁ − d₀)` (clamped to [0, 1] with `clamp`), then `r₀·(1 − t) + r₁·t`.
fn linear([d0, d1]: [f64; 2], [r0, r1]: [f64; 2], clamp: bool, v: f64) -> f64 {
    let t = (v - d0) / (d1 - d0);
    let t = if clamp { t.clamp(0.0, 1.0) } else { t };
    r0 * (1.0 - t) + r1 * t
}

/// The set's points, in the Playground's order then shuffled as `generateData` shuffles them,
/// with their targets. `noise` is in percent (0 to 50).
pub fn generate(
    set: RegressionSet,
    samples: usize,
    noise: f64,
    rng: &mut impl Uniform,
) -> (Vec<[f64; 2]>, Vec<f64>) {
    let noise = noise / 100.0;
    let mut points: Vec<([f64; 2], f64)> = (0..samples)
        .map(|_| {
            let x = uniform(rng, -RADIUS, RADIUS);
            let y = uniform(rng, -RADIUS, RADIUS);
            let noise_x = uniform(rng, -RADIUS, RADIUS) * noise;
            let noise_y = uniform(rng, -RADIUS, RADIUS) * noise;
            ([x, y], set.target(x + noise_x, y + noise_y))
        })
        .collect();
    shuffle(&mut points, rng);
    points.into_iter().unzip()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::NumpyRng;

    #[test]
    fn plane_targets_are_the_scaled_diagonal() {
        // (x + y + 10) / 20 mapped onto [−1, 1]: (x + y) / 10, exact for these binary values.
        assert_eq!(RegressionSet::Plane.target(0.0, 0.0), 0.0);
        assert_eq!(RegressionSet::Plane.target(5.0, 5.0), 1.0);
        assert_eq!(RegressionSet::Plane.target(-2.5, -2.5), -0.5);
        // d3's scale does not clamp: the corner (6, 6) is 1.2.
        assert!((RegressionSet::Plane.target(6.0, 6.0) - 1.2).abs() < 1e-15);
    }

    #[test]
    fn gaussian_targets_are_the_strongest_bump() {
        let target = |x, y| RegressionSet::Gaussian.target(x, y);
        // On a centre the bump is its sign; 2 or more from every centre, 0.
        assert_eq!(target(-4.0, 2.5), 1.0);
        assert_eq!(target(0.0, 2.5), -1.0);
        assert_eq!(target(4.0, -2.5), -1.0);
        assert_eq!(target(0.0, 0.0), 0.0, "2.5 from the nearest centres");
        // One unit right of (−4, 2.5): 1 − 1/2.
        assert_eq!(target(-3.0, 2.5), 0.5);
        // Halfway between (−4, 2.5) (+) and (0, 2.5) (−), 2 from each: both bumps are 0.
        assert_eq!(target(-2.0, 2.5), 0.0);
    }

    #[test]
    fn points_fill_the_square_and_the_seed_fixes_them() {
        for set in [RegressionSet::Plane, RegressionSet::Gaussian] {
            let (points, targets) = generate(set, SAMPLES, 0.0, &mut NumpyRng::new(5));
            assert_eq!((points.len(), targets.len()), (1200, 1200));
            assert!(points.iter().flatten().all(|v| v.abs() <= RADIUS));
            // Without noise each target is its point's.
            for (p, t) in points.iter().zip(&targets) {
                assert_eq!(*t, set.target(p[0], p[1]));
            }
            let again = generate(set, 50, 20.0, &mut NumpyRng::new(5));
            assert_eq!(again, generate(set, 50, 20.0, &mut NumpyRng::new(5)));
            assert_ne!(again, generate(set, 50, 20.0, &mut NumpyRng::new(6)));
        }
        // The plane's targets cover most of [−1.2, 1.2].
        let (_, targets) = generate(RegressionSet::Plane, SAMPLES, 0.0, &mut NumpyRng::new(5));
        let (lo, hi) = targets
            .iter()
            .fold((0f64, 0f64), |(lo, hi), &t| (lo.min(t), hi.max(t)));
        assert!(lo < -0.9 && hi > 0.9, "{lo} {hi}");
    }
}
