//! Notebook 002's random data: `X = randn(nx, m)`, `Y = randint(2, (ny, m))`.
//!
//! The notebook draws with PyTorch and sets no seed, so its exact numbers cannot be reproduced;
//! burnprop draws the same shapes from the numpy stream, in the notebook's order and notation
//! (column layout: `X` is `(nx, m)`, one column per example), so a seed fixes the data.

use super::Examples;
use crate::rng::NumpyRng;
use crate::tensor::Layout;

/// `samples` examples of `features` standard-normal inputs and `outputs` fair 0/1 targets.
pub fn random(
    features: usize,
    samples: usize,
    outputs: usize,
    layout: Layout,
    rng: &mut NumpyRng,
) -> Examples {
    let x = rng.randn_vec(features * samples);
    let y: Vec<f64> = (0..outputs * samples)
        .map(|_| f64::from(rng.randint(2)))
        .collect();
    // Drawn row-major in the given notation: a column layout's matrices are `(units, m)`,
    // one example per column, so their transposes are the examples' rows.
    let rows = |values: Vec<f64>, units: usize| match layout {
        Layout::Row => values,
        Layout::Column => (0..samples * units)
            .map(|i| values[(i % units) * samples + i / units])
            .collect(),
    };
    Examples::new(
        rows(x, features),
        rows(y, outputs),
        [features, outputs],
        samples,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_layout_takes_examples_from_columns() {
        // python3 -c "import numpy as np; np.random.seed(5); X = np.random.randn(3, 4);
        //   Y = np.random.randint(2, size=(2, 4)); print(X[:, 1].tolist(), Y.tolist())"
        let second_x = [
            -0.33087015189408764,
            1.5824811170615634,
            -0.32986995777935924,
        ];
        let y = [[1.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0]];
        let mut rng = NumpyRng::new(5);
        let data = random(3, 4, 2, Layout::Column, &mut rng);
        assert_eq!(data.len(), 4);
        assert_eq!(data.get(1).map(|e| e.x), Some(&second_x[..]));
        for (e, example) in data.iter().enumerate() {
            assert_eq!(example.y, [y[0][e], y[1][e]]);
        }
    }
}
