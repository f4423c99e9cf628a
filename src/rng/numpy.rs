//! numpy's legacy random stream: MT19937 exactly as `np.random.seed(n)` / `RandomState`
//! draws it.
//!
//! The notebooks seed numpy's global generator (`np.random.seed(42)`, `seed(1)`, `seed(0)`) and
//! then draw data and weights from it in a fixed order. Reproducing their printed numbers needs
//! the same 32-bit words turned into doubles and Gaussians the same way, including the state
//! that numpy carries between calls (the second Gaussian of each polar-method pair is cached,
//! so an odd number of `randn` draws shifts every later one).
//!
//! The algorithms follow numpy's `mt19937.c`, `distributions.c` and `legacy-distributions.c`:
//!
//! - `seed(n)`: Knuth's initialisation `mt[i] = 1812433253 · (mt[i−1] ⊕ (mt[i−1] ≫ 30)) + i`;
//! - `random_sample`: 53 random bits from two words, `((a ≫ 5)·2²⁶ + (b ≫ 6)) / 2⁵³`;
//! - `randn`: Marsaglia's polar method, returning `f·x2` and caching `f·x1`;
//! - `shuffle`: Fisher–Yates from the end, `j` drawn by masked rejection sampling.

use super::Uniform;

/// Number of 32-bit words in the MT19937 state.
pub(super) const STATE_LEN: usize = 624;
const PERIOD: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;
const UPPER_MASK: u32 = 0x8000_0000;
const LOWER_MASK: u32 = 0x7fff_ffff;

/// numpy's legacy `RandomState`: an MT19937 generator plus the cached second Gaussian.
///
/// Every method names the numpy call it reproduces; draws happen in row-major (C) order, as
/// numpy fills arrays.
#[derive(Clone, Debug)]
pub struct NumpyRng {
    state: [u32; STATE_LEN],
    pos: usize,
    cached_gauss: Option<f64>,
}

/// Knuth's initialisation of the state for `seed` (`init_genrand`): numpy's `seed(n)`, and
/// the start of CPython's `init_by_array`.
pub(super) fn init_genrand(seed: u32) -> [u32; STATE_LEN] {
    let mut state = [0u32; STATE_LEN];
    state[0] = seed;
    for i in 1..STATE_LEN {
        let prev = state[i - 1];
        // i < 624, so the cast cannot truncate.
        state[i] = 1_812_433_253u32
            .wrapping_mul(prev ^ (prev >> 30))
            .wrapping_add(i as u32);
    }
    state
}

impl NumpyRng {
    /// `np.random.seed(seed)` (numpy accepts seeds in `0..2³²`).
    pub fn new(seed: u32) -> Self {
        Self::from_state(init_genrand(seed))
    }

    /// `np.random.RandomState(key)` for an array of 32-bit words (MT19937's `init_by_array`,
    /// as CPython's `random.seed` seeds): a stream apart from `seed(n)`'s for every `n`, for
    /// draws that must not shift a notebook's own (the test split's shuffle).
    pub fn from_key(key: &[u32]) -> Self {
        super::python::init_by_array(key)
    }

    /// A generator whose next word is the first of `state` twisted, as after seeding.
    pub(super) fn from_state(state: [u32; STATE_LEN]) -> Self {
        Self {
            state,
            pos: STATE_LEN,
            cached_gauss: None,
        }
    }

    /// Regenerates the 624 words of state (the "twist").
    fn generate(&mut self) {
        for i in 0..STATE_LEN {
            let y = (self.state[i] & UPPER_MASK) | (self.state[(i + 1) % STATE_LEN] & LOWER_MASK);
            let mag = if y & 1 == 1 { MATRIX_A } else { 0 };
            self.state[i] = self.state[(i + PERIOD) % STATE_LEN] ^ (y >> 1) ^ mag;
        }
        self.pos = 0;
    }

    /// One tempered 32-bit word (`mt19937_next32`).
    pub fn next_u32(&mut self) -> u32 {
        if self.pos == STATE_LEN {
            self.generate();
        }
        let mut y = self.state[self.pos];
        self.pos += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^= y >> 18;
        y
    }

    /// `np.random.random_sample()`: a double in `[0, 1)` with 53 random bits.
    pub fn random_sample(&mut self) -> f64 {
        let a = f64::from(self.next_u32() >> 5);
        let b = f64::from(self.next_u32() >> 6);
        (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    /// `np.random.uniform(low, high)`: `low + (high − low) · random_sample()`.
    pub fn uniform(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.random_sample()
    }

    /// `np.random.randn()` / `standard_normal()`: the legacy polar method with its cache.
    pub fn randn(&mut self) -> f64 {
        if let Some(cached) = self.cached_gauss.take() {
            return cached;
        }
        loop {
            let x1 = 2.0 * self.random_sample() - 1.0;
            let x2 = 2.0 * self.random_sample() - 1.0;
            let r2 = x1 * x1 + x2 * x2;
            if r2 < 1.0 && r2 != 0.0 {
                let f = (-2.0 * r2.ln() / r2).sqrt();
                self.cached_gauss = Some(f * x1);
                return f * x2;
            }
        }
    }

    /// `np.random.normal(loc, scale)`: `loc + scale · randn()`.
    pub fn normal(&mut self, loc: f64, scale: f64) -> f64 {
        loc + scale * self.randn()
    }

    /// A uniform integer in `0..=max` (numpy's `random_interval`): the smallest all-ones mask
    /// covering `max`, then rejection of masked words above `max`.
    pub fn interval(&mut self, max: u32) -> u32 {
        if max == 0 {
            return 0;
        }
        let mut mask = max;
        mask |= mask >> 1;
        mask |= mask >> 2;
        mask |= mask >> 4;
        mask |= mask >> 8;
        mask |= mask >> 16;
        loop {
            let value = self.next_u32() & mask;
            if value <= max {
                return value;
            }
        }
    }

    /// `np.random.randint(0, high)` for `high ≥ 1` with numpy's default int64 output: masked
    /// rejection sampling on 32-bit words, as `random_bounded_uint64_fill` does for ranges
    /// below 2³².
    pub fn randint(&mut self, high: u32) -> u32 {
        self.interval(high.saturating_sub(1))
    }

    /// `np.random.shuffle(x)` for a 1-d sequence: Fisher–Yates from the last element down.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        self.shuffle_with(items.len(), |i, j| items.swap(i, j));
    }

    /// The swaps of [`shuffle`](Self::shuffle) on `n` items, each `swap(i, j)`: applied to
    /// several sequences at once, they reorder each as `np.random.permutation(n)` would
    /// index it, in place.
    pub fn shuffle_with(&mut self, n: usize, mut swap: impl FnMut(usize, usize)) {
        for i in (1..n).rev() {
            // Slices longer than u32::MAX are far beyond any dataset here; numpy switches to
            // 64-bit draws there, which this port does not need.
            let j = self.interval(u32::try_from(i).unwrap_or(u32::MAX)) as usize;
            swap(i, j);
        }
    }

    /// `np.random.permutation(n)`: `arange(n)` shuffled.
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut indices: Vec<usize> = (0..n).collect();
        self.shuffle(&mut indices);
        indices
    }

    /// `n` draws of [`random_sample`](Self::random_sample), in order.
    pub fn random_samples(&mut self, n: usize) -> Vec<f64> {
        (0..n).map(|_| self.random_sample()).collect()
    }

    /// `n` draws of [`randn`](Self::randn), in order (`np.random.randn(*shape).ravel()`).
    pub fn randn_vec(&mut self, n: usize) -> Vec<f64> {
        (0..n).map(|_| self.randn()).collect()
    }
}

impl Uniform for NumpyRng {
    /// [`NumpyRng::random_sample`].
    fn random(&mut self) -> f64 {
        self.random_sample()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::testing::{BITWISE, assert_close};

    #[test]
    fn raw_words_match_the_reference_mt19937() {
        // python3 -c "import numpy.random as r; g = r.MT19937(); g._legacy_seeding(5489);
        //   print([g.random_raw() for _ in range(3)])"
        // (also the published first outputs of Matsumoto and Nishimura's mt19937ar.c)
        let mut rng = NumpyRng::new(5489);
        assert_eq!(rng.next_u32(), 3_499_211_612);
        assert_eq!(rng.next_u32(), 581_869_302);
        assert_eq!(rng.next_u32(), 3_890_346_734);
    }

    #[test]
    fn random_sample_matches_numpy() {
        // python3 -c "import numpy as np; np.random.seed(1); print(np.random.random_sample(3).tolist())"
        let expected = [
            0.417022004702574,
            0.7203244934421581,
            0.00011437481734488664,
        ];
        let mut rng = NumpyRng::new(1);
        assert_close(&rng.random_samples(3), &expected, BITWISE);
    }

    #[test]
    fn randn_matches_numpy_including_the_cached_pair() {
        // python3 -c "import numpy as np; np.random.seed(42); print(np.random.randn(5).tolist())"
        let expected = [
            0.4967141530112327,
            -0.13826430117118466,
            0.6476885381006925,
            1.5230298564080254,
            -0.23415337472333597,
        ];
        let mut rng = NumpyRng::new(42);
        assert_close(&rng.randn_vec(5), &expected, BITWISE);
    }

    #[test]
    fn uniform_matches_numpy() {
        // python3 -c "import numpy as np; np.random.seed(0); print(np.random.uniform(-2, 3, 3).tolist())"
        let expected = [0.7440675196366238, 1.5759468318620975, 1.0138168803582195];
        let mut rng = NumpyRng::new(0);
        let actual: Vec<f64> = (0..3).map(|_| rng.uniform(-2.0, 3.0)).collect();
        assert_close(&actual, &expected, 1e-15);
    }

    #[test]
    fn permutation_matches_numpy() {
        // python3 -c "import numpy as np; np.random.seed(3); print(np.random.permutation(10).tolist())"
        let expected = [5, 4, 1, 2, 9, 6, 7, 0, 3, 8];
        let mut rng = NumpyRng::new(3);
        assert_eq!(rng.permutation(10), expected);
    }

    #[test]
    fn a_key_of_words_seeds_as_numpys_random_state_of_an_array() {
        // python3 -c "import numpy as np;
        //   print(np.random.RandomState([42, 0x73706C74]).permutation(10).tolist())"
        let expected = [9, 0, 8, 5, 6, 3, 1, 7, 4, 2];
        let mut rng = NumpyRng::from_key(&[42, 0x7370_6C74]);
        assert_eq!(rng.permutation(10), expected);
    }

    #[test]
    fn swaps_in_place_reorder_as_the_permutation_indexes() {
        // `X[permutation(10)]` for the same seed, made by swapping two sequences in place.
        let expected = [5, 4, 1, 2, 9, 6, 7, 0, 3, 8];
        let (mut items, mut doubled): (Vec<usize>, Vec<usize>) =
            (0..10).map(|i| (i, 2 * i)).unzip();
        NumpyRng::new(3).shuffle_with(10, |i, j| {
            items.swap(i, j);
            doubled.swap(i, j);
        });
        assert_eq!(items, expected);
        assert_eq!(doubled, expected.map(|i| 2 * i));
    }

    #[test]
    fn randint_matches_numpy() {
        // python3 -c "import numpy as np; np.random.seed(7); print(np.random.randint(0, 2, 8).tolist(), np.random.randint(40))"
        let expected = [1, 0, 1, 0, 1, 1, 1, 1];
        let mut rng = NumpyRng::new(7);
        let actual: Vec<u32> = (0..8).map(|_| rng.randint(2)).collect();
        assert_eq!(actual, expected);
        assert_eq!(rng.randint(40), 28);
    }

    #[test]
    fn normal_matches_numpy() {
        // python3 -c "import numpy as np; np.random.seed(2); print(np.random.normal(1.5, 0.1, 3).tolist())"
        let expected = [1.4583242152594529, 1.494373317277367, 1.2863803904331546];
        let mut rng = NumpyRng::new(2);
        let actual: Vec<f64> = (0..3).map(|_| rng.normal(1.5, 0.1)).collect();
        assert_close(&actual, &expected, 1e-15);
    }
}
