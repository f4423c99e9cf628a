//! The notebooks' data, generated from a seed or read from MNIST's files, exposed as burn
//! datasets.
//!
//! [`DataConfig`] says which data a run uses; [`load`] draws it from the numpy stream in the
//! notebook's order, or reads and checks MNIST ([`mnist`]); [`load_seedrandom`] draws a
//! Playground set from the Playground's own stream (`--rng playground`). Generated examples
//! are stored flat ([`Examples`]); the examples are served through burn-dataset's [`Dataset`]
//! trait and batched by [`ExampleBatcher`] or [`mnist::DigitBatcher`].

pub mod batcher;
pub mod circles;
mod fdlibm;
pub mod mnist;
pub mod moons;
pub mod picture;
pub mod playground;
pub mod random;
pub mod toy;

use std::path::PathBuf;

use burn::data::dataset::{Dataset, DatasetError};
use burn::tensor::Device;
use clap::ValueEnum;
use serde::{Deserialize, Serialize};

pub use batcher::{Batch, ExampleBatcher};
pub use mnist::Digits;
pub use playground::PlaygroundSet;

use crate::error::{Error, Result};
use crate::rng::{self, NumpyRng, SeedRandom};
use crate::tensor::{HostValues, Layout, Precision};

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

/// The training data of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataConfig {
    /// Notebook 001's 4-row table (three features, one 0/1 target).
    Logreg,
    /// Notebook 003's XOR table (two features, one 0/1 target).
    Xor,
    /// scikit-learn's `make_circles` (notebook 000), targets one-hot over the two classes.
    Circles {
        /// Number of points, split evenly between the circles.
        samples: usize,
        /// Radius of the inner circle relative to the outer one, in `[0, 1)`.
        factor: f64,
        /// Standard deviation of the Gaussian noise added to every coordinate.
        noise: f64,
        /// Whether the points are shuffled (they are generated outer circle first).
        shuffle: bool,
    },
    /// scikit-learn's `make_moons` (karpathy/micrograd's `demo.ipynb`), always shuffled.
    Moons {
        /// Number of points, `N // 2` on the upper moon (class 0), the rest on the lower one.
        samples: usize,
        /// Standard deviation of the Gaussian noise added to every coordinate (0: none drawn).
        noise: f64,
        /// Targets one-hot over the two classes (two outputs) rather than one 0/1 target.
        one_hot: bool,
    },
    /// One of TensorFlow Playground's classification sets, drawn from the numpy stream or
    /// (`--rng playground`) from the Playground's own.
    Playground {
        /// Which set.
        set: PlaygroundSet,
        /// Number of points (the Playground's 500 by default).
        samples: usize,
        /// The Playground's noise slider, in percent from 0 to 50.
        noise: f64,
        /// Targets one-hot over the two classes (two outputs) rather than one 0/1 target.
        one_hot: bool,
    },
    /// Notebook 002's random data: standard-normal features, fair 0/1 targets.
    Random {
        /// Input features `nx`.
        features: usize,
        /// Examples `m`.
        samples: usize,
        /// Output units `ny`.
        outputs: usize,
    },
    /// MNIST's handwritten digits (notebooks 002 and 003), read from IDX files.
    Mnist {
        /// The directory of the IDX files (`--data-dir` or `BURNPROP_MNIST_DIR`); absent,
        /// burn-dataset's cache.
        dir: Option<PathBuf>,
        /// Notebook 002's two-class task: only these two digits, the second being target 1.
        /// Absent, all ten classes.
        digits: Option<[u8; 2]>,
        /// Standardise pixels to `(x − 0.1307) / 0.3081` instead of only scaling them to [0, 1].
        standardize: bool,
    },
}

/// The 2-D classification sets that can take the place of a 2-D preset's data (`--data`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PointSet {
    /// scikit-learn's `make_moons`: 100 points, noise 0.1 (karpathy/micrograd's demo).
    Moons,
    /// TensorFlow Playground's circle: a disc inside a ring (500 points, noise 0 %).
    Circle,
    /// TensorFlow Playground's XOR: the four quadrants (500 points, noise 0 %).
    Xor,
    /// TensorFlow Playground's two Gaussians (500 points, noise 0 %).
    Gauss,
    /// TensorFlow Playground's two spirals (500 points, noise 0 %).
    Spiral,
}

impl PointSet {
    /// The set at its source's default size and noise, with one-hot targets or one 0/1 target.
    pub fn config(self, one_hot: bool) -> DataConfig {
        let playground = |set| DataConfig::Playground {
            set,
            samples: playground::SAMPLES,
            noise: 0.0,
            one_hot,
        };
        match self {
            PointSet::Moons => DataConfig::Moons {
                samples: 100,
                noise: 0.1,
                one_hot,
            },
            PointSet::Circle => playground(PlaygroundSet::Circle),
            PointSet::Xor => playground(PlaygroundSet::Xor),
            PointSet::Gauss => playground(PlaygroundSet::Gauss),
            PointSet::Spiral => playground(PlaygroundSet::Spiral),
        }
    }
}

/// The training data of a run, in memory.
#[derive(Clone, Debug)]
pub enum TrainingData {
    /// Examples generated by a notebook's code.
    Examples(Examples),
    /// MNIST's two splits.
    Digits {
        /// The training images.
        train: Digits,
        /// The test images.
        test: Digits,
    },
}

impl TrainingData {
    /// Number of training examples.
    pub fn len(&self) -> usize {
        match self {
            TrainingData::Examples(examples) => examples.len(),
            TrainingData::Digits { train, .. } => train.len(),
        }
    }

    /// Whether there is no training example.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl DataConfig {
    /// A short name for messages.
    pub fn name(&self) -> &'static str {
        match self {
            DataConfig::Logreg => "logreg",
            DataConfig::Xor => "xor",
            DataConfig::Circles { .. } => "circles",
            DataConfig::Moons { .. } => "moons",
            DataConfig::Playground { set, .. } => match set {
                PlaygroundSet::Circle => "playground circle",
                PlaygroundSet::Xor => "playground xor",
                PlaygroundSet::Gauss => "playground gauss",
                PlaygroundSet::Spiral => "playground spiral",
            },
            DataConfig::Random { .. } => "random",
            DataConfig::Mnist { .. } => "mnist",
        }
    }

    /// Number of input features.
    pub fn inputs(&self) -> usize {
        match self {
            DataConfig::Logreg => 3,
            DataConfig::Xor
            | DataConfig::Circles { .. }
            | DataConfig::Moons { .. }
            | DataConfig::Playground { .. } => 2,
            DataConfig::Random { features, .. } => *features,
            DataConfig::Mnist { .. } => mnist::PIXELS,
        }
    }

    /// Number of target columns.
    pub fn outputs(&self) -> usize {
        match self {
            DataConfig::Logreg | DataConfig::Xor => 1,
            DataConfig::Circles { .. } => 2,
            DataConfig::Moons { one_hot, .. } | DataConfig::Playground { one_hot, .. } => {
                classes(*one_hot)
            }
            DataConfig::Random { outputs, .. } => *outputs,
            DataConfig::Mnist { digits: None, .. } => mnist::CLASSES,
            DataConfig::Mnist {
                digits: Some(_), ..
            } => 1,
        }
    }

    /// Whether each target row is a one-hot class (so a softmax over the outputs makes sense),
    /// rather than independent 0/1 targets.
    pub fn one_hot(&self) -> bool {
        matches!(
            self,
            DataConfig::Circles { .. }
                | DataConfig::Moons { one_hot: true, .. }
                | DataConfig::Playground { one_hot: true, .. }
                | DataConfig::Mnist { digits: None, .. }
        )
    }

    /// One line for `burnprop list`.
    pub fn describe(&self) -> String {
        match self {
            DataConfig::Logreg => "the 4-row table X1 X2 X3 → y".to_string(),
            DataConfig::Xor => "the XOR truth table".to_string(),
            DataConfig::Circles {
                samples,
                factor,
                noise,
                ..
            } => format!("make_circles(N={samples}, factor={factor}, noise={noise})"),
            DataConfig::Moons { samples, noise, .. } => {
                format!("make_moons(N={samples}, noise={noise})")
            }
            DataConfig::Playground {
                set,
                samples,
                noise,
                ..
            } => format!(
                "TensorFlow Playground's {} ({samples} points, noise {noise} %)",
                set.name()
            ),
            DataConfig::Random {
                features,
                samples,
                outputs,
            } => format!("random X ({features} × {samples}), Y ∈ {{0,1}}^({outputs} × {samples})"),
            DataConfig::Mnist { digits, .. } => match digits {
                None => "MNIST, 60000 training and 10000 test digits (--data-dir)".to_string(),
                Some([a, b]) => format!(
                    "MNIST, digits {a} (target 0) and {b} (target 1) only (--data-dir, --digits)"
                ),
            },
        }
    }

    /// Whether the examples are points of the plane in two classes, so that any of the
    /// [`PointSet`]s can take their place.
    pub fn is_planar(&self) -> bool {
        matches!(
            self,
            DataConfig::Xor
                | DataConfig::Circles { .. }
                | DataConfig::Moons { .. }
                | DataConfig::Playground { .. }
        )
    }

    /// Checks the sizes and ranges.
    pub fn validate(&self) -> Result<()> {
        let problem = match self {
            DataConfig::Circles { samples, .. } if *samples < 2 => Some(format!(
                "--samples must be at least 2 for circles (got {samples})"
            )),
            DataConfig::Circles { factor, .. } if !(0.0..1.0).contains(factor) => {
                Some(format!("--factor must lie in [0, 1) (got {factor})"))
            }
            DataConfig::Circles { noise, .. } if !(noise.is_finite() && *noise >= 0.0) => {
                Some(format!("--noise must be zero or positive (got {noise})"))
            }
            DataConfig::Moons { samples, .. } if *samples < 2 => Some(format!(
                "--samples must be at least 2 for moons (got {samples})"
            )),
            DataConfig::Moons { noise, .. } if !(noise.is_finite() && *noise >= 0.0) => {
                Some(format!("--noise must be zero or positive (got {noise})"))
            }
            DataConfig::Playground { samples, set, .. } if *samples < 2 => Some(format!(
                "--samples must be at least 2 for the playground's {} (got {samples})",
                set.name()
            )),
            DataConfig::Playground { noise, set, .. }
                if !(0.0..=playground::MAX_NOISE).contains(noise) =>
            {
                Some(format!(
                    "--noise is in percent from 0 to 50 for the playground's {}, like its slider (got {noise})",
                    set.name()
                ))
            }
            DataConfig::Random {
                features,
                samples,
                outputs,
            } if *features == 0 || *samples == 0 || *outputs == 0 => Some(format!(
                "random data needs at least one feature, example and output (got {features}, {samples}, {outputs})"
            )),
            DataConfig::Mnist {
                digits: Some([a, b]),
                ..
            } if a == b || *a > 9 || *b > 9 => Some(format!(
                "--digits needs two different digits from 0 to 9 (got {a},{b})"
            )),
            _ => None,
        };
        problem.map_or(Ok(()), |message| Err(Error::InvalidConfig(message)))
    }

    /// The stream `--rng playground --seed seed` draws this data from: seedrandom's ARC4 keyed
    /// by the Playground's seed string `0.SSSSS` ([`rng::playground_seed`]). An error unless the
    /// data is one of the Playground's sets and `seed` is below 100000.
    pub fn seedrandom(&self, seed: u32) -> Result<SeedRandom> {
        if !matches!(self, DataConfig::Playground { .. }) {
            return Err(Error::InvalidConfig(format!(
                "--rng playground draws only TensorFlow Playground's sets, not the {} data; add --data circle, xor, gauss or spiral, or choose another --rng",
                self.name()
            )));
        }
        let string = rng::playground_seed(seed).ok_or_else(|| {
            Error::InvalidConfig(format!(
                "--rng playground needs a --seed from 0 to {} (the Playground's seeds are 0.00000 to 0.99999; --seed 12345 is #seed=0.12345), got {seed}",
                rng::PLAYGROUND_SEEDS - 1
            ))
        })?;
        Ok(SeedRandom::new(&string))
    }
}

/// Target columns of a two-class set: two one-hot columns, or one 0/1 column.
fn classes(one_hot: bool) -> usize {
    if one_hot { 2 } else { 1 }
}

/// Examples of a two-class set of 2-D points: targets one-hot (as notebook 000's
/// `Y[y == c, c] = 1`) or the class itself as one 0/1 target. The points' memory becomes the
/// inputs' without a copy.
fn examples(points: Vec<[f64; 2]>, labels: Vec<usize>, one_hot: bool) -> Examples {
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

/// A Playground set drawn as the Playground draws it: from `rng` (see
/// [`DataConfig::seedrandom`]), with `Math.sin`, `Math.cos` and `Math.log` computed as node 20
/// computes them (fdlibm). An error for any other data.
pub fn load_seedrandom(config: &DataConfig, rng: &mut SeedRandom) -> Result<TrainingData> {
    let DataConfig::Playground {
        set,
        samples,
        noise,
        one_hot,
    } = config
    else {
        return Err(Error::InvalidConfig(format!(
            "the Playground's stream draws only its own sets, not the {} data",
            config.name()
        )));
    };
    let (points, labels) =
        playground::generate(*set, *samples, *noise, rng, playground::MathLib::Fdlibm);
    Ok(TrainingData::Examples(examples(points, labels, *one_hot)))
}

/// The training data: generated from `rng` in the notebook's order, or read from MNIST's files.
pub fn load(config: &DataConfig, layout: Layout, rng: &mut NumpyRng) -> Result<TrainingData> {
    let examples = match config {
        DataConfig::Logreg => toy::logreg(),
        DataConfig::Xor => toy::xor(),
        DataConfig::Circles {
            samples,
            factor,
            noise,
            shuffle,
        } => {
            let (points, labels) = circles::make_circles(*samples, *factor, *noise, *shuffle, rng);
            examples(points, labels, true)
        }
        DataConfig::Moons {
            samples,
            noise,
            one_hot,
        } => {
            let (points, labels) = moons::make_moons(*samples, *noise, rng);
            examples(points, labels, *one_hot)
        }
        DataConfig::Playground {
            set,
            samples,
            noise,
            one_hot,
        } => {
            let (points, labels) =
                playground::generate(*set, *samples, *noise, rng, playground::MathLib::Std);
            examples(points, labels, *one_hot)
        }
        DataConfig::Random {
            features,
            samples,
            outputs,
        } => random::random(*features, *samples, *outputs, layout, rng),
        DataConfig::Mnist { dir, digits, .. } => {
            let location = mnist::locate(dir.as_deref())?;
            let mut train = location.read(mnist::Split::Train)?;
            let mut test = location.read(mnist::Split::Test)?;
            if let Some(digits) = digits {
                train = train.only(digits);
                test = test.only(digits);
            }
            return Ok(TrainingData::Digits { train, test });
        }
    };
    Ok(TrainingData::Examples(examples))
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

    #[test]
    fn moons_targets_follow_the_encoding() {
        for one_hot in [false, true] {
            let config = DataConfig::Moons {
                samples: 6,
                noise: 0.1,
                one_hot,
            };
            let data = load(&config, Layout::Row, &mut NumpyRng::new(3)).expect("generated data");
            let TrainingData::Examples(examples) = data else {
                panic!("moons are examples");
            };
            // make_moons(6) puts 6 // 2 = 3 points on each moon.
            let ones = examples
                .iter()
                .filter(|e| *e.y.last().unwrap_or(&0.0) == 1.0);
            assert_eq!(ones.count(), 3);
            assert!(examples.iter().all(|e| e.y.len() == config.outputs()));
            assert_eq!(config.one_hot(), one_hot);
        }
    }
}
