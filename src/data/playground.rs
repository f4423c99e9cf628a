//! TensorFlow Playground's four classification sets (`circle`, `xor`, `gauss`, `spiral`), with
//! the Playground's formulas, radii, noise and draw order, drawn from any [`Uniform`] stream.
//!
//! Ported from `src/dataset.ts` of tensorflow/playground (commit 02469bd, 2022-06-06):
//! `classifyCircleData`, `classifyXORData`, `classifyTwoGaussData`, `classifySpiralData`, then
//! the Fisher–Yates `shuffle` that `playground.ts`'s `generateData` applies to the whole set.
//! Each `Math.random()` of the TypeScript is one [`Uniform::random`] here. Drawn from
//! [`SeedRandom`](crate::rng::SeedRandom) (the Playground's own stream, `--rng playground`)
//! with [`MathLib::Fdlibm`], the points are node 20's for the same seed string, bit for bit
//! (`tests/fixtures/playground`); drawn from the numpy stream with [`MathLib::Std`], they have
//! the Playground's distribution but not its values.
//!
//! What else differs from the Playground: every point is a training example (the Playground
//! keeps its "ratio of training data", 50 % by default, for a test split), and labels −1/+1
//! become classes 0/1.
//!
//! The noise is the Playground's slider, in percent from 0 to 50; the generators take it as a
//! fraction (`state.noise / 100`), as the Playground does. On `circle` and `xor` it moves no
//! point: each point is stored where it was drawn, but labelled by where a uniform jitter of
//! up to ±5 · noise per coordinate takes it, so noise flips the labels near the boundary. On
//! `gauss` it widens the two Gaussians (variance 0.5 at 0 %, 4 at 50 %); on `spiral` it moves
//! each point by up to ±noise per coordinate.

use std::f64::consts::PI;

use clap::ValueEnum;
use serde::{Deserialize, Serialize};

use super::fdlibm;
use crate::rng::Uniform;

/// The Playground's classification data sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum PlaygroundSet {
    /// A disc of radius 2.5 (class 1) inside a ring from 3.5 to 5 (class 0).
    Circle,
    /// Uniform points in the square ±5.3 with a 0.3 gap along the axes, class 1 where x·y ≥ 0.
    Xor,
    /// Two Gaussians, centred on (2, 2) (class 1) and (−2, −2) (class 0).
    Gauss,
    /// Two interleaved spirals of 1.75 turns out to radius 5.
    Spiral,
}

/// The Playground's number of points for classification (`NUM_SAMPLES_CLASSIFY`).
pub const SAMPLES: usize = 500;
/// The Playground's noise slider runs from 0 to 50 %.
pub const MAX_NOISE: f64 = 50.0;

impl PlaygroundSet {
    /// The Playground's name of the set.
    pub fn name(self) -> &'static str {
        match self {
            PlaygroundSet::Circle => "circle",
            PlaygroundSet::Xor => "xor",
            PlaygroundSet::Gauss => "gauss",
            PlaygroundSet::Spiral => "spiral",
        }
    }
}

/// Whose `Math.sin`, `Math.cos` and `Math.log` the generators use (`circle` and `spiral` call
/// sin and cos, `gauss` log): the last bit of each differs between math libraries, and between
/// JavaScript engines, for a few percent of arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MathLib {
    /// Rust's `f64::sin`, `cos` and `ln` (the platform's libm: glibc on Linux), as burnprop
    /// has always drawn the sets from the numpy stream.
    Std,
    /// fdlibm's, as node 20 (V8 11.3) computes `Math.sin`, `Math.cos` and `Math.log`.
    Fdlibm,
}

impl MathLib {
    fn sin(self, x: f64) -> f64 {
        match self {
            MathLib::Std => x.sin(),
            MathLib::Fdlibm => fdlibm::sin(x),
        }
    }

    fn cos(self, x: f64) -> f64 {
        match self {
            MathLib::Std => x.cos(),
            MathLib::Fdlibm => fdlibm::cos(x),
        }
    }

    fn ln(self, x: f64) -> f64 {
        match self {
            MathLib::Std => x.ln(),
            MathLib::Fdlibm => fdlibm::log(x),
        }
    }
}

/// `randUniform(a, b)`: `Math.random() * (b − a) + a`.
pub(super) fn uniform(rng: &mut impl Uniform, a: f64, b: f64) -> f64 {
    rng.random() * (b - a) + a
}

/// `normalRandom(mean, variance)`: Marsaglia's polar method on `Math.random()`, keeping only
/// the first of the pair, so each call draws afresh (unlike numpy's cached `gauss`).
fn normal(rng: &mut impl Uniform, math: MathLib, mean: f64, variance: f64) -> f64 {
    let (mut v1, mut s);
    loop {
        v1 = 2.0 * rng.random() - 1.0;
        let v2 = 2.0 * rng.random() - 1.0;
        s = v1 * v1 + v2 * v2;
        // `do { … } while (s > 1)`: the TypeScript also accepts s = 0 (probability 2⁻¹⁰⁶).
        if s <= 1.0 {
            break;
        }
    }
    let result = (-2.0 * math.ln(s) / s).sqrt() * v1;
    mean + variance.sqrt() * result
}

/// `dist(p, (0, 0))`.
fn norm(x: f64, y: f64) -> f64 {
    (x * x + y * y).sqrt()
}

/// `for (let i = 0; i < numSamples / 2; i++)`: JavaScript divides as floats, so an odd
/// `samples` gives `⌈samples / 2⌉` points per class.
fn half(samples: usize) -> usize {
    samples.div_ceil(2)
}

/// The set's points, in the Playground's order then shuffled as `generateData` shuffles them,
/// with their classes (Playground label +1 → 1, −1 → 0). `noise` is in percent (0 to 50).
///
/// `circle`, `gauss` and `spiral` make `⌈samples / 2⌉` points of each class (so one more point
/// than asked when `samples` is odd, as in the Playground); `xor` makes `samples` points.
pub fn generate(
    set: PlaygroundSet,
    samples: usize,
    noise: f64,
    rng: &mut impl Uniform,
    math: MathLib,
) -> (Vec<[f64; 2]>, Vec<usize>) {
    let noise = noise / 100.0;
    let mut points = match set {
        PlaygroundSet::Circle => circle(samples, noise, rng, math),
        PlaygroundSet::Xor => xor(samples, noise, rng),
        PlaygroundSet::Gauss => gauss(samples, noise, rng, math),
        PlaygroundSet::Spiral => spiral(samples, noise, rng, math),
    };
    shuffle(&mut points, rng);
    points.into_iter().unzip()
}

/// `classifyCircleData`: radius 5; class 1 uniform in radius on [0, 2.5), class 0 on
/// [3.5, 5), each labelled by whether its jittered copy lies within 2.5 of the centre.
fn circle(
    samples: usize,
    noise: f64,
    rng: &mut impl Uniform,
    math: MathLib,
) -> Vec<([f64; 2], usize)> {
    let radius = 5.0;
    let mut points = Vec::with_capacity(2 * half(samples));
    for (low, high) in [(0.0, radius * 0.5), (radius * 0.7, radius)] {
        for _ in 0..half(samples) {
            let r = uniform(rng, low, high);
            let angle = uniform(rng, 0.0, 2.0 * PI);
            // The Playground's x is r·sin, y is r·cos.
            let x = r * math.sin(angle);
            let y = r * math.cos(angle);
            let noise_x = uniform(rng, -radius, radius) * noise;
            let noise_y = uniform(rng, -radius, radius) * noise;
            let inside = norm(x + noise_x, y + noise_y) < radius * 0.5;
            points.push(([x, y], usize::from(inside)));
        }
    }
    points
}

/// `classifyXORData`: uniform on ±5, pushed 0.3 away from each axis, class 1 where the
/// jittered copy has x·y ≥ 0.
fn xor(samples: usize, noise: f64, rng: &mut impl Uniform) -> Vec<([f64; 2], usize)> {
    let padding = 0.3;
    let away = |v: f64| if v > 0.0 { v + padding } else { v - padding };
    (0..samples)
        .map(|_| {
            let x = away(uniform(rng, -5.0, 5.0));
            let y = away(uniform(rng, -5.0, 5.0));
            let noise_x = uniform(rng, -5.0, 5.0) * noise;
            let noise_y = uniform(rng, -5.0, 5.0) * noise;
            let same_sign = (x + noise_x) * (y + noise_y) >= 0.0;
            ([x, y], usize::from(same_sign))
        })
        .collect()
}

/// `classifyTwoGaussData`: variance `d3.scale.linear().domain([0, .5]).range([0.5, 4])` of the
/// noise, class 1 around (2, 2) first, then class 0 around (−2, −2).
fn gauss(
    samples: usize,
    noise: f64,
    rng: &mut impl Uniform,
    math: MathLib,
) -> Vec<([f64; 2], usize)> {
    // d3 v3's linear scale: u = (noise − 0) / 0.5, then 0.5 · (1 − u) + 4 · u.
    let u = noise / 0.5;
    let variance = 0.5 * (1.0 - u) + 4.0 * u;
    let mut points = Vec::with_capacity(2 * half(samples));
    for (centre, class) in [(2.0, 1), (-2.0, 0)] {
        for _ in 0..half(samples) {
            let x = normal(rng, math, centre, variance);
            let y = normal(rng, math, centre, variance);
            points.push(([x, y], class));
        }
    }
    points
}

/// `classifySpiralData`: for `i < n = samples / 2`, radius `i / n · 5` at angle
/// `1.75 · i / n · 2π + Δ` (Δ = 0 for class 1, π for class 0), each coordinate moved by
/// `uniform(−1, 1) · noise`.
fn spiral(
    samples: usize,
    noise: f64,
    rng: &mut impl Uniform,
    math: MathLib,
) -> Vec<([f64; 2], usize)> {
    // JavaScript's n is a float: 2.5 for 5 samples.
    let n = samples as f64 / 2.0;
    let mut points = Vec::with_capacity(2 * half(samples));
    for (delta, class) in [(0.0, 1), (PI, 0)] {
        for i in 0..half(samples) {
            let i = i as f64;
            let r = i / n * 5.0;
            // Evaluated left to right, as the TypeScript: ((1.75 · i) / n) · 2 · π + Δ.
            let t = 1.75 * i / n * 2.0 * PI + delta;
            let x = r * math.sin(t) + uniform(rng, -1.0, 1.0) * noise;
            let y = r * math.cos(t) + uniform(rng, -1.0, 1.0) * noise;
            points.push(([x, y], class));
        }
    }
    points
}

/// `shuffle` of `dataset.ts`: Fisher–Yates from the end, `index = ⌊Math.random() · counter⌋`
/// drawn before `counter` is decremented (so an element may swap with itself).
pub(super) fn shuffle<T>(items: &mut [T], rng: &mut impl Uniform) {
    let mut counter = items.len();
    while counter > 0 {
        let index = (rng.random() * counter as f64).floor() as usize;
        counter -= 1;
        items.swap(counter, index);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::NumpyRng;

    fn draw(set: PlaygroundSet, samples: usize, noise: f64, seed: u32) -> Vec<([f64; 2], usize)> {
        let (x, y) = generate(set, samples, noise, &mut NumpyRng::new(seed), MathLib::Std);
        x.into_iter().zip(y).collect()
    }

    fn count(points: &[([f64; 2], usize)], class: usize) -> usize {
        points.iter().filter(|p| p.1 == class).count()
    }

    const ALL: [PlaygroundSet; 4] = [
        PlaygroundSet::Circle,
        PlaygroundSet::Xor,
        PlaygroundSet::Gauss,
        PlaygroundSet::Spiral,
    ];

    #[test]
    fn sizes_follow_the_typescript_loops() {
        for set in ALL {
            // 500 points (NUM_SAMPLES_CLASSIFY): 250 per class loop, or 500 xor draws.
            assert_eq!(draw(set, SAMPLES, 0.0, 1).len(), 500, "{set:?}");
            // `i < 5 / 2` runs i = 0, 1, 2: three per class, six in all; xor draws five.
            let expected = if set == PlaygroundSet::Xor { 5 } else { 6 };
            assert_eq!(draw(set, 5, 0.0, 1).len(), expected, "{set:?}");
        }
    }

    #[test]
    fn circle_is_a_disc_inside_a_ring() {
        let points = draw(PlaygroundSet::Circle, SAMPLES, 0.0, 7);
        // Without noise each label is the side of radius 2.5 its point lies on, and the two
        // loops draw radii in [0, 2.5) and [3.5, 5): 250 each.
        assert_eq!(count(&points, 1), 250);
        assert_eq!(count(&points, 0), 250);
        for ([x, y], class) in &points {
            let r = norm(*x, *y);
            // r·sin, r·cos and the square root round within a few ulps of r.
            let inside = r < 2.5 + 1e-12;
            let ring = (3.5 - 1e-12..5.0 + 1e-12).contains(&r);
            assert!(if *class == 1 { inside } else { ring }, "{x} {y} {class}");
        }
        // Noise moves no point; it relabels some near the boundary.
        let noisy = draw(PlaygroundSet::Circle, SAMPLES, 50.0, 7);
        assert!(noisy.iter().all(|([x, y], _)| norm(*x, *y) < 5.0 + 1e-12));
        assert_ne!(count(&noisy, 1), 250);
    }

    #[test]
    fn xor_labels_are_the_quadrants() {
        let points = draw(PlaygroundSet::Xor, SAMPLES, 0.0, 7);
        for ([x, y], class) in &points {
            assert!((0.3..=5.3).contains(&x.abs()) && (0.3..=5.3).contains(&y.abs()));
            assert_eq!(*class, usize::from(x * y >= 0.0), "{x} {y}");
        }
        // Uniform draws: the classes are only balanced on average (binomial, sd ≈ 11 for
        // 500), not fixed at 250 each.
        assert!((200..=300).contains(&count(&points, 1)));
    }

    #[test]
    fn gauss_centres_and_spread_follow_the_noise() {
        let points = draw(PlaygroundSet::Gauss, SAMPLES, 0.0, 7);
        assert_eq!(count(&points, 1), 250);
        let mean = |class: usize, points: &[([f64; 2], usize)]| {
            let members: Vec<_> = points.iter().filter(|p| p.1 == class).collect();
            let sum = members
                .iter()
                .fold([0.0, 0.0], |s, p| [s[0] + p.0[0], s[1] + p.0[1]]);
            [sum[0] / members.len() as f64, sum[1] / members.len() as f64]
        };
        // Variance 0.5 at 0 % noise: the mean of 250 draws is within 0.2 (≈ 4.5 standard
        // errors of √(0.5 / 250) ≈ 0.045) of the centre.
        for (class, centre) in [(1, 2.0), (0, -2.0)] {
            let m = mean(class, &points);
            assert!(
                (m[0] - centre).abs() < 0.2 && (m[1] - centre).abs() < 0.2,
                "{m:?}"
            );
        }
        // Variance 4 at 50 %: the spread of class 1's x around 2 is near 2 (not 0.71).
        let wide = draw(PlaygroundSet::Gauss, SAMPLES, 50.0, 7);
        let xs: Vec<f64> = wide.iter().filter(|p| p.1 == 1).map(|p| p.0[0]).collect();
        let var = xs.iter().map(|x| (x - 2.0).powi(2)).sum::<f64>() / xs.len() as f64;
        assert!((3.0..5.0).contains(&var), "{var}");
    }

    #[test]
    fn spiral_without_noise_lies_on_the_two_arms() {
        let points = draw(PlaygroundSet::Spiral, SAMPLES, 0.0, 7);
        assert_eq!(count(&points, 1), 250);
        // Without noise the points are deterministic; only their order is random. Arm 1 holds
        // i = 0..250 at r = i / 250 · 5, t = 1.75 · i / 250 · 2π; arm 0 the same turned by π,
        // i.e. (x, y) negated.
        let mut radii: Vec<f64> = points
            .iter()
            .filter(|p| p.1 == 0)
            .map(|p| norm(p.0[0], p.0[1]))
            .collect();
        radii.sort_by(f64::total_cmp);
        for (i, r) in radii.iter().enumerate() {
            assert!((r - i as f64 / 250.0 * 5.0).abs() < 1e-12, "{i}: {r}");
        }
        let i = 100.0;
        let (r, t) = (i / 250.0 * 5.0, 1.75 * i / 250.0 * 2.0 * PI);
        let on_arm = |class: usize, sign: f64| {
            points.iter().any(|p| {
                p.1 == class
                    && (p.0[0] - sign * r * t.sin()).abs() < 1e-12
                    && (p.0[1] - sign * r * t.cos()).abs() < 1e-12
            })
        };
        assert!(on_arm(1, 1.0) && on_arm(0, -1.0));
    }

    #[test]
    fn the_seed_fixes_the_points() {
        for set in ALL {
            assert_eq!(draw(set, 50, 20.0, 3), draw(set, 50, 20.0, 3), "{set:?}");
            assert_ne!(draw(set, 50, 20.0, 3), draw(set, 50, 20.0, 4), "{set:?}");
        }
    }

    #[test]
    fn the_shuffle_mixes_the_classes() {
        // Unshuffled, the first half would be class 1 only (circle, gauss, spiral).
        for set in [
            PlaygroundSet::Circle,
            PlaygroundSet::Gauss,
            PlaygroundSet::Spiral,
        ] {
            let points = draw(set, SAMPLES, 0.0, 11);
            let first: Vec<_> = points[..250].to_vec();
            assert!(count(&first, 0) > 50 && count(&first, 1) > 50, "{set:?}");
        }
    }
}
