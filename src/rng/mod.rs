//! The random streams that the notebooks and their peers draw from, each reproduced word for
//! word, so that a preset prints the numbers its notebook prints.
//!
//! - [`NumpyRng`] ([`numpy`]): numpy's legacy MT19937 stream, `np.random.seed(n)` and the
//!   `RandomState` draws (`random_sample`, `randn` with its cached pair, `randint`,
//!   `shuffle`). Every preset's generated data come from it (notebooks 000 to 003 seed
//!   numpy's global generator, micrograd's demo draws `make_moons` from it), and with
//!   `--rng numpy` the weights too: the presets `logreg`, `xor`, `circles` and `three-layer`.
//! - [`PythonRng`] ([`python`]): CPython's `random` module, the same MT19937 seeded by
//!   `init_by_array`, with `random.uniform` and `random.gauss`. `--rng python` draws the
//!   weights from it as micrograd's `MLP` does (`random.uniform(-1, 1)`): the preset
//!   `micrograd`.
//! - [`SeedRandom`] ([`seedrandom`]): seedrandom's ARC4, TensorFlow Playground's
//!   `Math.random()`. `--rng playground` draws the Playground's sets from it (`--data circle`,
//!   `xor`, `gauss`, `spiral`); no preset uses it by default.
//!
//! The presets `mnist` and `mnist-binary` take `--rng burn`: their weights come from burn's
//! device generator, not from any of these. [`RngKind`] is the choice, and [`Uniform`] the
//! one interface the Playground's formulas draw through, from either [`SeedRandom`] or
//! [`NumpyRng`].

pub mod numpy;
pub mod python;
pub mod seedrandom;

use clap::ValueEnum;
use serde::{Deserialize, Serialize};

pub use numpy::NumpyRng;
pub use python::PythonRng;
pub use seedrandom::{PLAYGROUND_SEEDS, SeedRandom, playground_seed};

/// Where a run's random numbers come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum RngKind {
    /// numpy's legacy MT19937 stream for data and weights alike, drawn in the notebook's order,
    /// so that a preset prints the numbers its notebook prints.
    Numpy,
    /// burn's device generator (`device.seed(seed)`) for the weights, through burn's own
    /// initialisers; the data still come from MT19937 seeded with the same seed.
    Burn,
    /// Python's `random` module for the weights (micrograd: `random.seed(s)`, then
    /// `random.uniform(-1, 1)` weight by weight, neuron by neuron), numpy's stream for the
    /// data (`np.random.seed(s)`), both seeded with the run's seed.
    Python,
    /// TensorFlow Playground's own stream for its data sets (`--data circle|xor|gauss|spiral`):
    /// seedrandom's ARC4 keyed by the string `0.SSSSS` for `--seed SSSSS` (the Playground's
    /// URL `#seed=0.SSSSS`), so seeds run from 0 to 99999; the weights come from numpy's
    /// stream seeded with the same seed, as with `numpy`.
    Playground,
}

/// A stream of doubles uniform on `[0, 1)`, as JavaScript's `Math.random()` returns them.
pub trait Uniform {
    /// The next double of the stream, in `[0, 1)`.
    fn random(&mut self) -> f64;
}

/// The comparison the streams' tests share.
#[cfg(test)]
mod testing {
    /// Exact-equality tolerance for values the reference and this port compute with the same
    /// IEEE operations in the same order.
    pub(super) const BITWISE: f64 = 0.0;

    /// Element by element, `actual` within `tol` of the reference's `expected`.
    pub(super) fn assert_close(actual: &[f64], expected: &[f64], tol: f64) {
        assert_eq!(actual.len(), expected.len());
        for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
            assert!((a - e).abs() <= tol, "element {i}: {a} vs reference {e}");
        }
    }
}
