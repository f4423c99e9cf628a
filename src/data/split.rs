//! A run's own test split and input standardisation (`--test-fraction F`, `--standardize`),
//! for any data held as [`Examples`]: the generated sets and data read from files. MNIST
//! keeps its own test split and its own pixel scaling.
//!
//! The split is scikit-learn's
//! `train_test_split(X, Y, test_size=F, random_state=np.random.RandomState([seed, 0x73706C74]))`:
//! `p = permutation(n)` drawn from numpy's MT19937 seeded by `init_by_array` with the key
//! `[seed, "splt"]`, the test rows `p[:n_test]` and the training rows `p[n_test:]`, in that
//! order, with `n_test = ceil(F·n)` (scikit-learn's rounding, in the same floating-point
//! product). That stream is apart from the one `np.random.seed(seed)` starts, which draws the
//! data and the weights: a split leaves every other draw of the run as it was, so the same
//! seed with and without `--test-fraction` starts from the same data and the same network.
//!
//! Standardisation maps each input column to `(x − mean) / deviation`, with the training
//! split's mean and population deviation (numpy's `X.mean(0)` and `X.std(0)`, ddof 0, as
//! scikit-learn's `StandardScaler`; summed in row order, so the last bits may differ from
//! numpy's pairwise sums). A constant column is centred and left unscaled: its deviation is
//! stored as 1, as `StandardScaler` does. The values are stored in `config.json`
//! ([`Standardize::Columns`]), so a run's directory says exactly what was applied, and `eval`
//! and the figures apply them again rather than computing them anew. The examples stay in
//! memory as drawn; the batches the network sees are standardised.

use serde::{Deserialize, Serialize};

use super::Examples;
use crate::error::{Error, Result};
use crate::rng::NumpyRng;

/// The second word of the split's seed key, `splt` in ASCII: `[seed, SPLIT_STREAM]`.
pub const SPLIT_STREAM: u32 = 0x7370_6C74;

/// Whether and how the inputs are standardised, as `config.json` stores it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Standardize {
    /// With the training split's per-column mean and deviation, computed when the run draws
    /// its data (what `--standardize` asks for; the run stores them as [`Self::Columns`]).
    TrainingSplit,
    /// With these values: what a run computed, kept so that every later use of the run
    /// (`eval`, the figures, a resume) applies exactly them.
    Columns(Standardization),
}

/// Per-column `(x − mean) / deviation`, one entry per input feature.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Standardization {
    /// Each column's mean over the training split.
    pub mean: Vec<f64>,
    /// Each column's population standard deviation over the training split (1 for a constant
    /// column, which is centred only).
    pub deviation: Vec<f64>,
}

impl Standardization {
    /// The per-column mean and population deviation of `examples`' inputs.
    pub fn of(examples: &Examples) -> Self {
        let [width, _] = examples.widths();
        let n = examples.len().max(1) as f64;
        let mut mean = vec![0.0; width];
        for e in examples.iter() {
            for (m, x) in mean.iter_mut().zip(e.x) {
                *m += x;
            }
        }
        for m in &mut mean {
            *m /= n;
        }
        let mut variance = vec![0.0; width];
        for e in examples.iter() {
            for ((v, x), m) in variance.iter_mut().zip(e.x).zip(&mean) {
                *v += (x - m) * (x - m);
            }
        }
        let deviation = variance
            .iter()
            .map(|v| match (v / n).sqrt() {
                d if d > 0.0 => d,
                _ => 1.0,
            })
            .collect();
        Self { mean, deviation }
    }

    /// Checks that the values standardise `inputs` columns: one finite mean and one positive
    /// finite deviation per column.
    pub fn check(&self, inputs: usize) -> Result<()> {
        let fits = self.mean.len() == inputs && self.deviation.len() == inputs;
        let finite = self.mean.iter().all(|m| m.is_finite())
            && self.deviation.iter().all(|d| d.is_finite() && *d > 0.0);
        if fits && finite {
            return Ok(());
        }
        Err(Error::InvalidConfig(format!(
            "standardize holds {} means and {} deviations for {inputs} input columns; each mean must be finite and each deviation positive (train the run again with --standardize)",
            self.mean.len(),
            self.deviation.len()
        )))
    }

    /// `examples` with every input `x` of column `j` as `(x − mean_j) / deviation_j`.
    pub fn apply(&self, examples: &Examples) -> Examples {
        let [n_inputs, n_outputs] = examples.widths();
        let mut inputs = Vec::with_capacity(examples.len() * n_inputs);
        let mut targets = Vec::with_capacity(examples.len() * n_outputs);
        for e in examples.iter() {
            let columns = e.x.iter().zip(&self.mean).zip(&self.deviation);
            inputs.extend(columns.map(|((&x, &mean), &deviation)| (x - mean) / deviation));
            targets.extend_from_slice(e.y);
        }
        Examples::new(inputs, targets, examples.widths(), examples.len())
    }
}

/// `examples` split into `(training, test)` rows as the module doc says: `ceil(fraction·n)`
/// test rows chosen by the stream `[seed, SPLIT_STREAM]`. An error naming `--test-fraction`
/// when a side would be empty.
pub fn split(examples: &Examples, fraction: f64, seed: u32) -> Result<(Examples, Examples)> {
    let n = examples.len();
    // scikit-learn's `ceil(test_size * n_samples)`; 0 < fraction < 1, so 0 < n_test ≤ n.
    let n_test = (fraction * n as f64).ceil() as usize;
    if n_test == 0 || n_test >= n {
        return Err(Error::InvalidConfig(format!(
            "--test-fraction {fraction} leaves no training example: ceil({fraction} × {n}) = {n_test} of the {n} examples would be test examples; choose a fraction below {}",
            (n.saturating_sub(1)) as f64 / n.max(1) as f64
        )));
    }
    let order = NumpyRng::from_key(&[seed, SPLIT_STREAM]).permutation(n);
    let rows = |indices: &[usize]| {
        Examples::of_rows(
            indices
                .iter()
                .filter_map(|&i| examples.get(i))
                .map(|e| (e.x, e.y)),
        )
    };
    let (test, train) = order.split_at(n_test);
    Ok((rows(train), rows(test)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Examples {
        let rows = [
            ([1.0, 5.0], [0.0]),
            ([2.0, 5.0], [1.0]),
            ([3.0, 5.0], [0.0]),
            ([6.0, 5.0], [1.0]),
        ];
        Examples::of_rows(rows.iter().map(|(x, y)| (&x[..], &y[..])))
    }

    #[test]
    fn standardised_columns_have_mean_0_and_deviation_1_and_constant_ones_are_centred() {
        let examples = table();
        let s = Standardization::of(&examples);
        // numpy: X[:, 0] = [1, 2, 3, 6]: mean 3, std(ddof=0) = sqrt((4 + 1 + 0 + 9) / 4).
        assert_eq!(s.mean, [3.0, 5.0]);
        assert_eq!(s.deviation, [3.5f64.sqrt(), 1.0]);
        let standardised = s.apply(&examples);
        let again = Standardization::of(&standardised);
        assert!(again.mean[0].abs() < 1e-15, "{:?}", again.mean);
        assert!((again.deviation[0] - 1.0).abs() < 1e-15);
        assert!(standardised.iter().all(|e| e.x[1] == 0.0));
        assert!(
            standardised
                .iter()
                .zip(examples.iter())
                .all(|(a, b)| a.y == b.y)
        );
        assert!(s.check(2).is_ok());
        assert!(s.check(3).is_err());
    }

    #[test]
    fn the_split_takes_the_test_rows_first_from_the_keyed_permutation() {
        // np.random.RandomState([42, 0x73706C74]).permutation(4) = [1, 3, 0, 2]
        // (python3 -c "import numpy as np; print(np.random.RandomState([42, 0x73706C74]).permutation(4))"),
        // and ceil(0.25 × 4) = 1 test row: row 1, then rows 3, 0, 2 for training.
        let (train, test) = split(&table(), 0.25, 42).expect("a split");
        let first = |e: &Examples| e.iter().map(|e| e.x[0]).collect::<Vec<_>>();
        assert_eq!(first(&test), [2.0]);
        assert_eq!(first(&train), [6.0, 1.0, 3.0]);
        let err = split(&table(), 0.8, 42).expect_err("ceil(3.2) = 4 test rows of 4");
        assert!(
            err.to_string().contains("leaves no training example"),
            "{err}"
        );
    }
}
