//! cs231n's spiral: the data of the "Minimal neural network case study"
//! (<https://cs231n.github.io/neural-networks-case-study/>), drawn from the numpy stream as
//! its code draws it after `np.random.seed(0)`:
//!
//! ```text
//! N = 100 # number of points per class
//! D = 2 # dimensionality
//! K = 3 # number of classes
//! X = np.zeros((N*K,D)) # data matrix (each row = single example)
//! y = np.zeros(N*K, dtype='uint8') # class labels
//! for j in range(K):
//!   ix = range(N*j,N*(j+1))
//!   r = np.linspace(0.0,1,N) # radius
//!   t = np.linspace(j*4,(j+1)*4,N) + np.random.randn(N)*0.2 # theta
//!   X[ix] = np.c_[r*np.sin(t), r*np.cos(t)]
//!   y[ix] = j
//! ```
//!
//! Class `j`'s `N` points run out from the origin (radius 0 to 1) while their angle turns
//! through `[4j, 4j + 4]` radians, jittered by `0.2·randn`; the arms interleave. The first
//! column is `r·sin t`, the second `r·cos t`, and the classes come in order, unshuffled.
//!
//! To the bit: numpy 2.x's `linspace(start, stop, n)` computes `i·step + start` with
//! `step = (stop − start)/(n − 1)` and then sets the last value to `stop` exactly
//! (`start + i·(stop − start)/(n − 1)` rounds differently); `randn(N)*0.2` is scaled before it
//! is added; `sin` and `cos` are the platform libm's, as numpy's are on Linux.

use crate::rng::NumpyRng;

/// The case study's `N`, points per class.
pub const SAMPLES: usize = 100;
/// The case study's `K`, classes (arms).
pub const CLASSES: usize = 3;

/// `classes` spiral arms of `samples` points each: the points `[r·sin t, r·cos t]`, class 0's
/// first, and their classes.
pub fn make_spiral(
    classes: usize,
    samples: usize,
    rng: &mut NumpyRng,
) -> (Vec<[f64; 2]>, Vec<usize>) {
    let mut points = Vec::with_capacity(classes * samples);
    let mut labels = Vec::with_capacity(classes * samples);
    let radius = linspace(0.0, 1.0, samples);
    for j in 0..classes {
        let start = (4 * j) as f64;
        let angles = linspace(start, start + 4.0, samples);
        for (r, angle) in radius.iter().zip(angles) {
            let t = angle + rng.randn() * 0.2;
            points.push([r * t.sin(), r * t.cos()]);
            labels.push(j);
        }
    }
    (points, labels)
}

/// numpy 2.x's `np.linspace(start, stop, n)` (`endpoint=True`): `i·step + start`, the last
/// value `stop` itself; one value is `start` alone.
fn linspace(start: f64, stop: f64, n: usize) -> Vec<f64> {
    if n < 2 {
        return vec![start; n];
    }
    // n − 1 is far below 2⁵³: exact as a double.
    let step = (stop - start) / (n - 1) as f64;
    let mut values: Vec<f64> = (0..n).map(|i| i as f64 * step + start).collect();
    values[n - 1] = stop;
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row index of `X` and the row.
    type Row = (usize, [f64; 2]);

    #[test]
    fn the_case_study_data_for_seeds_0_and_1() {
        // The X rows printed by the pure-Python model of numpy's legacy stream, checked bit
        // for bit against numpy 2.4.6 (scripts/cs231n/verify_rng_output.txt).
        let checkpoints: [(u32, [Row; 5]); 2] = [
            (
                0,
                [
                    (1, [0.0012135812756681982, 0.010027842517114818]),
                    (99, [-0.8068528567098163, -0.5907524588346701]),
                    (100, [-0.0, -0.0]),
                    (150, [-0.13793781591089843, 0.48584891848547046]),
                    (299, [-0.47270638487404987, 0.8812199916588971]),
                ],
            ),
            (
                1,
                [
                    (1, [-0.0008268237950234196, 0.010067113164790151]),
                    (99, [-0.8403961519256677, -0.5419726080057276]),
                    (100, [-0.0, -0.0]),
                    (150, [-0.16127024234542986, 0.4786104068923038]),
                    (299, [-0.4342347034957515, 0.9007997681393778]),
                ],
            ),
        ];
        for (seed, rows) in checkpoints {
            let mut rng = NumpyRng::new(seed);
            let (points, labels) = make_spiral(CLASSES, SAMPLES, &mut rng);
            assert_eq!(points.len(), 300);
            assert_eq!(points[0], [0.0, 0.0], "seed {seed}: r = 0 at the centre");
            for (i, expected) in rows {
                // Bitwise: `to_bits` also tells −0.0 (row 100's) from 0.0.
                assert_eq!(
                    points[i].map(f64::to_bits),
                    expected.map(f64::to_bits),
                    "seed {seed}, X[{i}] = {:?}, numpy {expected:?}",
                    points[i]
                );
                assert_eq!(labels[i], i / SAMPLES, "seed {seed}, y[{i}]");
            }
        }
    }

    #[test]
    fn the_data_draws_one_normal_per_point() {
        // seed 0: numpy's first normal after the data is the linear W's first,
        // -1.3065268517353166 (scripts/cs231n/verify_rng_output.txt, "linear randn(2,3)").
        let mut rng = NumpyRng::new(0);
        make_spiral(CLASSES, SAMPLES, &mut rng);
        assert_eq!(rng.randn(), -1.3065268517353166);
    }

    #[test]
    fn linspace_ends_on_stop_and_steps_from_start() {
        // np.linspace(4, 8, 100)[[1, 98, 99]].tolist() == [4.040404040404041, 7.95959595959596, 8.0]
        let values = linspace(4.0, 8.0, 100);
        assert_eq!(values[1], 4.040404040404041);
        assert_eq!(values[98], 7.95959595959596);
        assert_eq!(values[99], 8.0);
        // np.linspace(0, 1, 1).tolist() == [0.0]
        assert_eq!(linspace(0.0, 1.0, 1), [0.0]);
    }
}
