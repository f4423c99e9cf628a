//! Generated examples in memory: [`Examples`] stores a set flat, two allocations for the
//! whole set, and serves it one [`Example`] at a time through burn's [`Dataset`] trait.

use burn::data::dataset::{Dataset, DatasetError};
use burn::tensor::Device;

use super::Batch;
use crate::error::Error;
use crate::tensor::{HostValues, Precision};

/// One example: input features and targets (one-hot classes or 0/1 values).
#[derive(Clone, Debug, PartialEq)]
pub struct Example {
    /// Input features.
    pub x: Vec<f64>,
    /// Targets, one per output unit.
    pub y: Vec<f64>,
}

/// A set of examples stored flat: every example's inputs in one vector and every example's
/// targets in another, row-major, two allocations for the whole set where a vector of
/// [`Example`]s makes two per example (notebook 000's circles at 5M examples: 160 MB against
/// 560 MB). Served one [`Example`] at a time through burn's [`Dataset`] trait.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Examples {
    inputs: Vec<f64>,
    targets: Vec<f64>,
    widths: [usize; 2],
    len: usize,
}

/// One example of [`Examples`], borrowed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ExampleRef<'a> {
    /// Input features.
    pub x: &'a [f64],
    /// Targets, one per output unit.
    pub y: &'a [f64],
}

impl Examples {
    /// `len` examples of `n_inputs` inputs and `n_outputs` targets each, row-major.
    ///
    /// # Panics
    /// If the lengths are not `len` times the widths.
    pub fn new(
        inputs: Vec<f64>,
        targets: Vec<f64>,
        [n_inputs, n_outputs]: [usize; 2],
        len: usize,
    ) -> Self {
        assert!(
            inputs.len() == len * n_inputs && targets.len() == len * n_outputs,
            "{len} examples of {n_inputs} inputs and {n_outputs} targets made of {} and {} values",
            inputs.len(),
            targets.len()
        );
        Self {
            inputs,
            targets,
            widths: [n_inputs, n_outputs],
            len,
        }
    }

    /// The examples of `rows`, each `(inputs, targets)`, all as wide as the first.
    ///
    /// # Panics
    /// If an example is wider or narrower than the first.
    pub fn of_rows<'a>(rows: impl IntoIterator<Item = (&'a [f64], &'a [f64])>) -> Self {
        let (mut inputs, mut targets, mut widths, mut len) = (Vec::new(), Vec::new(), None, 0);
        for (x, y) in rows {
            let widths = *widths.get_or_insert([x.len(), y.len()]);
            assert_eq!([x.len(), y.len()], widths, "examples of different widths");
            inputs.extend_from_slice(x);
            targets.extend_from_slice(y);
            len += 1;
        }
        Self::new(inputs, targets, widths.unwrap_or_default(), len)
    }

    /// The number of examples.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there is no example.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The inputs and the targets per example.
    pub fn widths(&self) -> [usize; 2] {
        self.widths
    }

    /// Example `i`, if there is one.
    pub fn get(&self, i: usize) -> Option<ExampleRef<'_>> {
        (i < self.len).then(|| self.example(i))
    }

    /// Every example, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = ExampleRef<'_>> + Clone {
        (0..self.len).map(|i| self.example(i))
    }

    /// Example `i`, which is below `len`.
    fn example(&self, i: usize) -> ExampleRef<'_> {
        let [n_inputs, n_outputs] = self.widths;
        ExampleRef {
            x: &self.inputs[i * n_inputs..(i + 1) * n_inputs],
            y: &self.targets[i * n_outputs..(i + 1) * n_outputs],
        }
    }

    /// The first `n` examples (all of them if there are fewer).
    pub fn first(&self, n: usize) -> Self {
        let n = n.min(self.len);
        let [n_inputs, n_outputs] = self.widths;
        Self::new(
            self.inputs[..n * n_inputs].to_vec(),
            self.targets[..n * n_outputs].to_vec(),
            self.widths,
            n,
        )
    }

    /// All the examples as one batch at `precision`, each value moved or rounded into it and
    /// its f64 freed as soon as its batch values are made.
    pub fn into_batch(self, precision: Precision, device: &Device) -> Batch {
        let (len, widths) = (self.len, self.widths);
        let inputs = HostValues::rounded(self.inputs, precision);
        let targets = HostValues::rounded(self.targets, precision);
        Batch::new(inputs, targets, len, widths, device)
    }
}

/// No example, as `&[]` is no item: what a run without generated examples shows.
impl Default for &Examples {
    fn default() -> Self {
        static EMPTY: Examples = Examples {
            inputs: Vec::new(),
            targets: Vec::new(),
            widths: [0, 0],
            len: 0,
        };
        &EMPTY
    }
}

impl Dataset<Example> for Examples {
    fn get(&self, index: usize) -> std::result::Result<Example, DatasetError> {
        let e = Examples::get(self, index).ok_or_else(|| {
            DatasetError::new(Error::Data(format!(
                "example {index} asked of a set of {}",
                self.len
            )))
        })?;
        Ok(Example {
            x: e.x.to_vec(),
            y: e.y.to_vec(),
        })
    }

    fn len(&self) -> usize {
        self.len
    }
}

/// Target columns of a two-class set: two one-hot columns, or one 0/1 column.
pub(super) fn classes(one_hot: bool) -> usize {
    if one_hot { 2 } else { 1 }
}

/// Examples of 2-D points in `classes` classes, targets one-hot (cs231n's spiral).
pub(super) fn of_classes(points: Vec<[f64; 2]>, labels: Vec<usize>, classes: usize) -> Examples {
    let len = points.len();
    let mut targets = vec![0.0; len * classes];
    for (y, &label) in targets.chunks_mut(classes).zip(&labels) {
        y[label] = 1.0;
    }
    Examples::new(points.into_flattened(), targets, [2, classes], len)
}

/// Examples of a two-class set of 2-D points: targets one-hot (as notebook 000's
/// `Y[y == c, c] = 1`) or the class itself as one 0/1 target. The points' memory becomes the
/// inputs' without a copy.
pub(super) fn of_points(points: Vec<[f64; 2]>, labels: Vec<usize>, one_hot: bool) -> Examples {
    let len = points.len();
    let outputs = classes(one_hot);
    let mut targets = vec![0.0; len * outputs];
    for (y, &label) in targets.chunks_mut(outputs).zip(&labels) {
        if one_hot {
            y[label] = 1.0;
        } else {
            y[0] = label as f64;
        }
    }
    Examples::new(points.into_flattened(), targets, [2, outputs], len)
}

/// Examples of 2-D points with one real target each (a regression set). The memory of both
/// becomes the examples' without a copy.
pub(super) fn of_targets(points: Vec<[f64; 2]>, targets: Vec<f64>) -> Examples {
    let len = points.len();
    Examples::new(points.into_flattened(), targets, [2, 1], len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_examples_serve_their_rows() {
        let rows = [
            ([0.5, -1.0], [1.0, 0.0]),
            ([2.0, 3.0], [0.0, 1.0]),
            ([-4.0, 0.25], [1.0, 0.0]),
        ];
        let examples = Examples::of_rows(rows.iter().map(|(x, y)| (&x[..], &y[..])));
        assert_eq!((examples.len(), examples.widths()), (3, [2, 2]));
        for (e, (x, y)) in examples.iter().zip(&rows) {
            assert_eq!((e.x, e.y), (&x[..], &y[..]));
        }
        assert_eq!(examples.get(3), None);
        // Through burn's Dataset trait, as the minibatch loader reads them.
        let second = Dataset::get(&examples, 1).expect("example 1");
        assert_eq!((second.x, second.y), (vec![2.0, 3.0], vec![0.0, 1.0]));
        let err = Dataset::get(&examples, 3).expect_err("no example 3");
        assert!(
            err.to_string().contains("example 3 asked of a set of 3"),
            "{err}"
        );
        // The first two as one batch, at f32 as the batcher rounds.
        let batch = examples
            .first(2)
            .into_batch(Precision::F32, &Device::flex());
        assert_eq!(
            batch.host_inputs(),
            &HostValues::F32(vec![0.5, -1.0, 2.0, 3.0])
        );
        assert_eq!(
            batch.host_targets(),
            &HostValues::F32(vec![1.0, 0.0, 0.0, 1.0])
        );
        assert!(<&Examples>::default().is_empty());
    }

    #[test]
    #[should_panic(expected = "2 examples of 2 inputs and 1 targets made of 4 and 3 values")]
    fn flat_examples_of_mismatched_lengths_are_refused() {
        Examples::new(vec![0.0; 4], vec![0.0; 3], [2, 1], 2);
    }
}
