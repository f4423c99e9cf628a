//! CPython's `random` module: the Mersenne Twister of numpy's stream, seeded as
//! `random.seed(n)` seeds it (`init_by_array`), with `random.uniform` and `random.gauss`.
//!
//! micrograd's `MLP` draws its weights with `random.uniform(-1, 1)` after `random.seed(1337)`:
//! `--rng python`, the preset `micrograd`.

use super::NumpyRng;
use super::numpy::{STATE_LEN, init_genrand};

/// CPython's `random.Random`: the same MT19937 and 53-bit `random()` as numpy's
/// `random_sample`, seeded differently (`init_by_array`), with its own Gaussian
/// (`random.gauss`: Box–Muller on `random()`, caching the second value).
#[derive(Clone, Debug)]
pub struct PythonRng {
    mt: NumpyRng,
    gauss_next: Option<f64>,
}

impl PythonRng {
    /// `random.seed(seed)`.
    pub fn new(seed: u32) -> Self {
        Self {
            mt: init_by_array(&[seed]),
            gauss_next: None,
        }
    }

    /// `random.random()`: `(a·2²⁶ + b)·2⁻⁵³` from two words, `a = w₁ ≫ 5`, `b = w₂ ≫ 6`.
    pub fn random(&mut self) -> f64 {
        self.mt.random_sample()
    }

    /// `random.uniform(a, b)`: `a + (b − a)·random()`.
    pub fn uniform(&mut self, a: f64, b: f64) -> f64 {
        a + (b - a) * self.random()
    }

    /// `random.gauss(mu, sigma)` (CPython 3.x):
    /// `z = cos(2π·u₁)·√(−2·ln(1 − u₂))`, caching `sin(2π·u₁)·√(…)` for the next call;
    /// returns `mu + z·sigma`.
    pub fn gauss(&mut self, mu: f64, sigma: f64) -> f64 {
        let z = match self.gauss_next.take() {
            Some(z) => z,
            None => {
                let x2pi = self.random() * std::f64::consts::TAU;
                let g2rad = (-2.0 * (1.0 - self.random()).ln()).sqrt();
                self.gauss_next = Some(x2pi.sin() * g2rad);
                x2pi.cos() * g2rad
            }
        };
        mu + z * sigma
    }
}

/// MT19937's `init_by_array` with `key` (`init_genrand(19650218)`, then two mixing passes):
/// CPython's `random.seed(n)` for `n < 2³²` is the one-word key `[n]`, a different state from
/// numpy's `seed(n)`; numpy's `RandomState(key)` for an array of words takes the key as is.
pub(super) fn init_by_array(key: &[u32]) -> NumpyRng {
    let mut mt = init_genrand(19_650_218);
    let (mut i, mut j) = (1usize, 0usize);
    for _ in 0..STATE_LEN.max(key.len()) {
        let prev = mt[i - 1] ^ (mt[i - 1] >> 30);
        // j < key.len(), a few words: the cast cannot truncate.
        mt[i] = (mt[i] ^ prev.wrapping_mul(1_664_525))
            .wrapping_add(key[j])
            .wrapping_add(j as u32);
        i += 1;
        j += 1;
        if i >= STATE_LEN {
            mt[0] = mt[STATE_LEN - 1];
            i = 1;
        }
        if j >= key.len() {
            j = 0;
        }
    }
    for _ in 0..STATE_LEN - 1 {
        let prev = mt[i - 1] ^ (mt[i - 1] >> 30);
        // i < 624: the cast cannot truncate.
        mt[i] = (mt[i] ^ prev.wrapping_mul(1_566_083_941)).wrapping_sub(i as u32);
        i += 1;
        if i >= STATE_LEN {
            mt[0] = mt[STATE_LEN - 1];
            i = 1;
        }
    }
    mt[0] = 0x8000_0000;
    NumpyRng::from_state(mt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::testing::assert_close;

    #[test]
    fn python_random_matches_cpython() {
        // python3 (CPython 3.11.7) -c "import random;
        //   random.seed(1337); print([random.random() for _ in range(3)])
        //   random.seed(0); print([random.random() for _ in range(2)])
        //   random.seed(4294967295); print([random.random() for _ in range(2)])"
        let cases: [(u32, &[f64]); 3] = [
            (
                1337,
                &[0.6177528569514706, 0.5332655736050008, 0.36584835924937553],
            ),
            (0, &[0.8444218515250481, 0.7579544029403025]),
            (u32::MAX, &[0.6353574441341173, 0.20319993954407756]),
        ];
        for (seed, expected) in cases {
            let mut rng = PythonRng::new(seed);
            let actual: Vec<f64> = expected.iter().map(|_| rng.random()).collect();
            assert_eq!(actual, expected, "seed {seed}");
        }
    }

    #[test]
    fn python_gauss_matches_cpython() {
        // CPython 3.11.7: random.seed(7); print([random.gauss(0.5, 2.0) for _ in range(3)])
        let expected = [
            -0.011760576895200825,
            1.522863025033028,
            0.04780767043379058,
        ];
        let mut rng = PythonRng::new(7);
        let actual: Vec<f64> = (0..3).map(|_| rng.gauss(0.5, 2.0)).collect();
        // cos/sin/ln of glibc against Rust's (the same libm here): an ulp or two.
        assert_close(&actual, &expected, 1e-15);
    }
}
