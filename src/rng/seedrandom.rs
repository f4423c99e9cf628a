//! TensorFlow Playground's `Math.random()`: seedrandom 2.4.4's ARC4 generator keyed by the
//! Playground's seed string, which `--rng playground` draws the Playground's sets from.
//!
//! The Playground's URL carries its seed as `#seed=0.SSSSS`; [`playground_seed`] maps a
//! `--seed` to that string, and [`SeedRandom`] is the stream `Math.seedrandom(string)` makes.

use super::Uniform;

/// The number of `--seed`s that `--rng playground` maps to the Playground's seed strings.
pub const PLAYGROUND_SEEDS: u32 = 100_000;

/// The Playground's seed string for `seed`: its seeds are `Math.random().toFixed(5)`, five
/// decimals after `0.`, so `12345` ↦ `"0.12345"` and `7` ↦ `"0.00007"`; `None` from
/// [`PLAYGROUND_SEEDS`] on, which have no such string.
pub fn playground_seed(seed: u32) -> Option<String> {
    (seed < PLAYGROUND_SEEDS).then(|| format!("0.{seed:05}"))
}

/// seedrandom 2.4.4's ARC4 generator, which `Math.seedrandom(seed)` installs as
/// `Math.random` (TensorFlow Playground seeds it with its URL's seed string).
///
/// The key is the seed string's UTF-16 code units, mixed by `mixkey` (for at most 256 units,
/// just the code units, each taken mod 256); then RC4's key schedule, 256 bytes dropped
/// (RC4-drop\[256\]), and each double built from the bytes as [`SeedRandom::random`] says.
#[derive(Clone, Debug)]
pub struct SeedRandom {
    s: [u8; 256],
    i: u8,
    j: u8,
}

/// seedrandom's `significance`, 2⁵²: the numerator is filled up to at least this.
const SIGNIFICANCE: u64 = 1 << 52;
/// seedrandom's `overflow`, 2⁵³: the numerator is halved below this.
const OVERFLOW: u64 = 1 << 53;

impl SeedRandom {
    /// `Math.seedrandom(seed)`.
    pub fn new(seed: &str) -> Self {
        // mixkey: key[j & 255] = 255 & ((smear ^= key[j & 255] · 19) + code(j)). On the
        // first pass key[j] is unset, `undefined · 19` is NaN and `smear ^= NaN` leaves 0.
        let mut key: Vec<u8> = Vec::new();
        let mut smear: u32 = 0;
        for (j, code) in seed.encode_utf16().enumerate() {
            let at = j & 255;
            if at < key.len() {
                smear ^= u32::from(key[at]) * 19;
                // `& 255` keeps the low byte: the truncation is seedrandom's.
                key[at] = (smear.wrapping_add(u32::from(code)) & 255) as u8;
            } else {
                key.push((u32::from(code) & 255) as u8);
            }
        }
        // "The empty key [] is treated as [0]."
        if key.is_empty() {
            key.push(0);
        }
        let mut s = [0u8; 256];
        for (k, v) in s.iter_mut().enumerate() {
            // k < 256: the cast cannot truncate.
            *v = k as u8;
        }
        let mut j: u8 = 0;
        for k in 0..256 {
            j = j.wrapping_add(key[k % key.len()]).wrapping_add(s[k]);
            s.swap(k, usize::from(j));
        }
        let mut rng = Self { s, i: 0, j: 0 };
        // RC4-drop[256]: ARC4's constructor calls `g(256)` once.
        for _ in 0..256 {
            rng.byte();
        }
        rng
    }

    /// One RC4 output byte (`g(1)`).
    fn byte(&mut self) -> u8 {
        self.i = self.i.wrapping_add(1);
        let t = self.s[usize::from(self.i)];
        self.j = self.j.wrapping_add(t);
        self.s[usize::from(self.i)] = self.s[usize::from(self.j)];
        self.s[usize::from(self.j)] = t;
        self.s[usize::from(self.s[usize::from(self.i)].wrapping_add(t))]
    }

    /// `Math.random()`: six bytes big-endian as `n < 2⁴⁸` over `d = 2⁴⁸`; while `n < 2⁵²`,
    /// `n = (n + x)·256`, `d ·= 256`, `x` = the next byte (`x = 0` at first); while
    /// `n ≥ 2⁵³`, halve `n` and `d` and shift `x` right; return `(n + x) / d`.
    ///
    /// As in the JavaScript, every step is exact: `n` stays an integer below 2⁶¹ (u64 here),
    /// `d` a power of two (an f64, which, like JavaScript's, grows past 2⁶⁴ after a run of
    /// zero bytes), and `n + x ≤ 2⁵³` (`n` is a multiple of `2⁸⁻ᵏ` after `k` halvings,
    /// `x < 2⁸⁻ᵏ`), so the one division rounds only once, as JavaScript's does.
    pub fn random(&mut self) -> f64 {
        let mut n: u64 = 0;
        for _ in 0..6 {
            n = (n << 8) | u64::from(self.byte());
        }
        let mut d = 281_474_976_710_656.0; // 2⁴⁸
        let mut x: u64 = 0;
        while n < SIGNIFICANCE {
            n = (n + x) << 8;
            d *= 256.0;
            x = u64::from(self.byte());
        }
        while n >= OVERFLOW {
            n >>= 1;
            d /= 2.0;
            x >>= 1;
        }
        // n + x ≤ 2⁵³: the conversion is exact.
        (n + x) as f64 / d
    }
}

impl Uniform for SeedRandom {
    fn random(&mut self) -> f64 {
        SeedRandom::random(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::testing::{BITWISE, assert_close};

    #[test]
    fn seedrandom_matches_node() {
        // The `random k v` lines of tests/fixtures/playground/circle_seed0.12345_noise0.txt:
        // node v20 with seedrandom 2.4.4, `Math.seedrandom("0.12345")` then eight
        // `Math.random()` (see that directory's README).
        let expected = [
            0.9152007406557323,
            0.4702753218035592,
            0.2736265229359467,
            0.4061024686767439,
            0.17774293688520318,
            0.7875019483296475,
            0.40238881445263436,
            0.4570958244646695,
        ];
        let mut rng = SeedRandom::new("0.12345");
        let actual: Vec<f64> = expected.iter().map(|_| rng.random()).collect();
        assert_close(&actual, &expected, BITWISE);
    }

    #[test]
    fn seedrandom_keys_empty_and_long_seeds_as_node() {
        // node v20.20.2 with seedrandom 2.4.4: Math.seedrandom(SEED); then two Math.random()
        // for SEED = "" (the key [0]), "x".repeat(300) (mixkey wraps past 256 characters) and
        // "0.00007" (`--seed 7`).
        let cases: [(String, [f64; 2]); 3] = [
            (String::new(), [0.23144008215179881, 0.27404636548159655]),
            ("x".repeat(300), [0.952495823023581, 0.9378530102966817]),
            (
                "0.00007".to_string(),
                [0.547327405923789, 0.3401801957688218],
            ),
        ];
        for (seed, expected) in cases {
            let mut rng = SeedRandom::new(&seed);
            assert_close(&[rng.random(), rng.random()], &expected, BITWISE);
        }
    }

    #[test]
    fn playground_seeds_are_five_decimals() {
        // The Playground's seeds are `Math.random().toFixed(5)`: "0." and five digits.
        assert_eq!(playground_seed(12345).as_deref(), Some("0.12345"));
        assert_eq!(playground_seed(7).as_deref(), Some("0.00007"));
        assert_eq!(playground_seed(99_999).as_deref(), Some("0.99999"));
        assert_eq!(playground_seed(100_000), None);
    }
}
