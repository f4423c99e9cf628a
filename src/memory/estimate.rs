//! The estimate itself: the sizes of a configuration's data, network, batches and steps, every
//! product checked, phase by phase (the module's doc lists the phases).

use burn::tensor::Device;

use super::{Estimate, Largest, Work};
use crate::config::{Engine, ExperimentConfig, Kernel};
use crate::data::{DataConfig, mnist};
use crate::tensor::{Layout, Precision};

/// The process before any data: the binary, burn's and rayon's state.
pub(super) const BASE: u64 = 16 << 20;
/// Examples per evaluation batch of a minibatch run (`train::EVAL_BATCH`).
const EVAL_BATCH: u64 = 4096;
/// Minibatches alive at once: two prefetched (`train::PREFETCH`), one being made, one
/// training; and two more that the loader's thread made and the training thread freed, which
/// the allocator keeps in the loader thread's arena for a while rather than handing back.
const BATCHES_IN_FLIGHT: u64 = 6;
/// What a minibatch item costs beyond its values: a `Vec` header for the inputs and one for
/// the targets, and the allocator's rounding of each.
const ITEM_OVERHEAD: u64 = 96;
/// What an MNIST item costs: its dataset's handle and the image's index.
const DIGIT_ITEM: u64 = 32;
/// The wide kernel skips the zeros of inputs at most a quarter nonzero (`host`'s
/// `SPARSE_DENSITY`): the sparse copies of MNIST's digits (a fifth nonzero) are counted at that
/// density, as the reciprocal of the fraction.
const SPARSE_DENSITY: u64 = 4;
/// `[m, n]` tensors a tensor engine keeps per unit of each layer in one step: `Z`, `A`,
/// their gradients, and the loss's and the update's temporaries.
const TENSOR_ACTIVATIONS: u64 = 5;
/// `[m, n]` buffers the wide host kernel holds per unit of each layer: `Z`, `A`, `dZ`, `dA`.
const WIDE_ACTIVATIONS: u64 = 4;
/// Copies of the parameters while training: the parameters, their gradients, the momentum (if
/// any: one more), the update's temporary, and the host engine's or the autodiff graph's copy.
const NETWORK_COPIES: u64 = 4;
/// The fused kernel's lanes (`host::LANES`): every per-unit and per-weight accumulator of
/// a sweep is that many values wide.
const FUSED_LANES: u64 = 64;
/// Rows per chunk of the fused kernel (`host::CHUNK`): each chunk's sums are kept until the
/// sweep ends.
const FUSED_CHUNK: u64 = 1024;
/// Bytes a trace keeps per value: the f64 itself, and the text, JSON or Markdown it becomes.
const TRACE_VALUE: u64 = 64;
/// MNIST's training and test images (the reader refuses files that claim more than they hold,
/// so a smaller set, such as the test fixture, only lowers the peak).
const MNIST_IMAGES: [u64; 2] = [60_000, 10_000];

/// Bytes, every operation checked: `None` once a product or sum leaves `u64`.
type Bytes = Option<u64>;

fn mul(factors: &[u64]) -> Bytes {
    factors
        .iter()
        .try_fold(1u64, |acc, &factor| acc.checked_mul(factor))
}

fn add(terms: &[Bytes]) -> Bytes {
    terms
        .iter()
        .try_fold(0u64, |acc, &term| acc.checked_add(term?))
}

fn wide(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// The layer widths and the counts the estimate needs.
struct Shape {
    /// `n_0`.
    inputs: u64,
    /// `n_L`.
    outputs: u64,
    /// `Σ_{l≥1} n_l`: the units a batch row has activations for.
    units: u64,
    /// `Σ_{l≥0} n_l`.
    all_units: u64,
    /// Weights and biases.
    params: u64,
    /// Bytes per value.
    value: u64,
}

impl Shape {
    fn of(config: &ExperimentConfig, precision: Precision) -> Option<Self> {
        let sizes: Vec<u64> = config.sizes().into_iter().map(wide).collect();
        let mut params = 0u64;
        for pair in sizes.windows(2) {
            let bias = if config.bias { pair[1] } else { 0 };
            params = params.checked_add(pair[0].checked_mul(pair[1])?.checked_add(bias)?)?;
        }
        let inputs = sizes.first().copied().unwrap_or(0);
        let all_units = sizes.iter().try_fold(0u64, |acc, &n| acc.checked_add(n))?;
        Some(Shape {
            inputs,
            outputs: sizes.last().copied().unwrap_or(0),
            units: all_units - inputs,
            all_units,
            params,
            value: match precision {
                Precision::F32 => 4,
                Precision::F64 => 8,
            },
        })
    }
}

/// The data's sizes, in bytes.
struct DataBytes {
    /// Training examples.
    examples: u64,
    /// The peak while the data are generated or read.
    generating: Bytes,
    /// The data as `Experiment` keeps them: examples in f64, or MNIST's pixels with their
    /// index of nonzero pixels.
    kept: Bytes,
    /// Whether a full batch is made from the kept examples, consuming them.
    generated: bool,
}

impl DataBytes {
    /// `sparse`: whether a kernel that skips zero inputs reads the data, for which MNIST's
    /// dataset indexes every image's nonzero pixels.
    fn of(data: &DataConfig, layout: Layout, shape: &Shape, sparse: bool) -> Self {
        let row = shape.inputs.saturating_add(shape.outputs);
        let examples_f64 = |samples: u64| mul(&[samples, row, 8]);
        // `m` generated 2-D points: `[f64; 2]` with a `usize` label each, then the targets
        // beside the points.
        let points = |m: u64| Self {
            examples: m,
            generating: add(&[mul(&[m, 24]), mul(&[m, shape.outputs, 8])]),
            kept: examples_f64(m),
            generated: true,
        };
        match *data {
            DataConfig::Logreg | DataConfig::Xor => Self {
                examples: 4,
                generating: examples_f64(4),
                kept: examples_f64(4),
                generated: true,
            },
            DataConfig::Circles { samples, .. }
            | DataConfig::Moons { samples, .. }
            | DataConfig::Playground { samples, .. }
            | DataConfig::PlaygroundRegression { samples, .. } => points(wide(samples)),
            DataConfig::Spiral { classes, samples } => {
                points(wide(classes).saturating_mul(wide(samples)))
            }
            DataConfig::File(ref file) => {
                // Read row by row into the examples: no second copy.
                let m = wide(file.rows);
                Self {
                    examples: m,
                    generating: examples_f64(m),
                    kept: examples_f64(m),
                    generated: true,
                }
            }
            DataConfig::Random { samples, .. } => {
                let m = wide(samples);
                // A column layout's draw is transposed into rows: two copies for a moment.
                let copies = if layout == Layout::Column { 2 } else { 1 };
                Self {
                    examples: m,
                    generating: examples_f64(m).and_then(|b| b.checked_mul(copies)),
                    kept: examples_f64(m),
                    generated: true,
                }
            }
            DataConfig::Mnist { .. } => {
                let [train, test] = MNIST_IMAGES;
                let image = wide(mnist::PIXELS) + 1;
                // The pixels and labels; for a sparse kernel, the index of the nonzero pixels
                // (a u8 value and a u16 column each) at the sparse products' densest.
                let index = if sparse { 3 } else { 0 };
                let kept = add(&[
                    mul(&[train + test, image]),
                    mul(&[train + test, image, index]).map(|b| b / SPARSE_DENSITY),
                ]);
                Self {
                    examples: train,
                    // Both splits, and a digit filter's copy of the training split.
                    generating: mul(&[train + test + train, image]),
                    kept,
                    generated: false,
                }
            }
        }
    }
}

/// The estimate of `work` on `config` with `device`'s kernels; `None` when its sizes overflow
/// (a product of widths, samples and batch sizes past `u64::MAX` bytes).
pub fn estimate(config: &ExperimentConfig, work: Work, device: &Device) -> Option<Estimate> {
    let precision = match work {
        Work::Gradcheck { .. } => Precision::F64,
        _ => config.dtype,
    };
    let shape = Shape::of(config, precision)?;
    let d = shape.value;
    let engines = engines(config, work, device);
    let data = DataBytes::of(
        &config.data,
        config.layout,
        &shape,
        engines.contains(&Kernel::Wide),
    );
    let kept = data.kept?;
    let model = mul(&[shape.params, d])?;
    // The initial draw in f64, and the network made of it.
    let setup = data
        .generating?
        .max(add(&[Some(kept), mul(&[shape.params, 8]), Some(model)])?);
    let rows = match work {
        Work::Gradcheck { examples } => examples.or(config.batch_size),
        Work::Trace { examples } => Some(examples),
        _ => config.batch_size,
    }
    .map_or(data.examples, wide)
    .min(data.examples);
    let full = config.batch_size.is_none() || !matches!(work, Work::Train { .. } | Work::Compare);
    let batches = batches(config, &shape, &engines, rows, full, data.examples)?;
    // A full batch is made of the generated examples, which it consumes (convert); otherwise
    // the data stay for the run.
    let consumed = full && data.generated && matches!(work, Work::Train { .. } | Work::Compare);
    let convert = if consumed {
        add(&[Some(kept), mul(&[rows, shape.inputs + shape.outputs, d])])?
    } else {
        0
    };
    let momentum = u64::from(config.optimizer.momentum != 0.0);
    let mut steps = 0u64;
    let mut networks = model;
    for &kernel in &engines {
        steps = add(&[Some(steps), step(kernel, &shape, rows)])?;
        networks = add(&[
            Some(networks),
            mul(&[NETWORK_COPIES + momentum, shape.params, d]),
        ])?;
    }
    let extra = match work {
        Work::Gradcheck { .. } => {
            add(&[mul(&[rows, 2, shape.units, d]), mul(&[2, shape.params, d])])?
        }
        Work::Trace { .. } => add(&[mul(&[rows, shape.all_units, 6]), mul(&[shape.params, 3])])
            .and_then(|values| values.checked_mul(TRACE_VALUE))?,
        Work::Plot { points } => mul(&[wide(points), shape.all_units, TENSOR_ACTIVATIONS, d])?,
        Work::Setup | Work::Train { .. } | Work::Compare => 0,
    };
    let held = if consumed { 0 } else { kept };
    let per_batch = add(&[Some(batches), Some(steps), Some(extra)])?;
    let train = if work == Work::Setup {
        0
    } else {
        add(&[Some(held), Some(networks), Some(per_batch)])?
    };
    let bytes = BASE.checked_add(setup.max(convert).max(train))?;
    let largest = if networks >= per_batch && networks >= kept {
        Largest::Network
    } else if per_batch >= kept {
        Largest::Batch
    } else {
        Largest::Data
    };
    Some(Estimate {
        bytes,
        data: data.generating?.max(kept),
        network: networks,
        largest,
    })
}

/// The kernels `work` steps with, one per engine it trains: the configured engine's for
/// `train`, both engines' for `compare` and `gradcheck` (whose manual gradients are the tensor
/// kernel's), none for the rest.
fn engines(config: &ExperimentConfig, work: Work, device: &Device) -> Vec<Kernel> {
    let resolve = |engine| config.kernel.resolve(engine, &config.sizes(), device);
    match work {
        Work::Train { engine } => vec![resolve(engine)],
        Work::Compare => vec![resolve(Engine::Autodiff), resolve(Engine::Manual)],
        Work::Gradcheck { .. } => vec![Kernel::Tensor, Kernel::Tensor],
        Work::Setup | Work::Trace { .. } | Work::Plot { .. } => Vec::new(),
    }
}

/// The batches alive at once: the full batch (its host values, and its tensors where a tensor
/// kernel reads them), or the minibatches in flight and an evaluation batch.
fn batches(
    config: &ExperimentConfig,
    shape: &Shape,
    kernels: &[Kernel],
    rows: u64,
    full: bool,
    examples: u64,
) -> Bytes {
    let d = shape.value;
    let row = shape.inputs.checked_add(shape.outputs)?;
    let tensors = u64::from(kernels.is_empty() || kernels.contains(&Kernel::Tensor));
    let mnist = matches!(config.data, DataConfig::Mnist { .. });
    let sparse = if kernels.contains(&Kernel::Wide) && mnist {
        // The nonzero inputs by row and by column (value and u32 column), at the wide kernel's
        // densest sparse input, a quarter of them nonzero.
        mul(&[2, shape.inputs, d + 4])? / SPARSE_DENSITY
    } else {
        0
    };
    let per_row = add(&[mul(&[row, d, 1 + tensors]), Some(sparse)])?;
    if full {
        return rows.checked_mul(per_row);
    }
    // The loader's items: an example's values in f64, or a digit's index into its dataset.
    let item = if mnist {
        DIGIT_ITEM
    } else {
        add(&[mul(&[row, 8]), Some(ITEM_OVERHEAD)])?
    };
    let item = per_row.checked_add(item)?;
    let evaluation = add(&[Some(item), mul(&[2, shape.units, d])])?;
    add(&[
        mul(&[BATCHES_IN_FLIGHT, rows, item]),
        mul(&[EVAL_BATCH.min(examples), evaluation]),
    ])
}

/// One step's activations and gradient buffers for `rows` examples.
fn step(kernel: Kernel, shape: &Shape, rows: u64) -> Bytes {
    let d = shape.value;
    match kernel {
        Kernel::Fused => {
            // Each sweep in flight holds its lanes of every accumulator; each chunk's sums are
            // kept until the sweep ends.
            let chunks = rows.div_ceil(FUSED_CHUNK);
            let threads = wide(rayon::current_num_threads()).min(chunks.max(1));
            let lanes = add(&[Some(shape.params), mul(&[2, shape.all_units])])?;
            add(&[
                mul(&[threads, lanes, FUSED_LANES, d]),
                mul(&[chunks, shape.params, d]),
            ])
        }
        Kernel::Wide => mul(&[
            rows,
            add(&[mul(&[WIDE_ACTIVATIONS, shape.units]), Some(shape.inputs)])?,
            d,
        ]),
        Kernel::Tensor | Kernel::Auto => mul(&[rows, TENSOR_ACTIVATIONS, shape.units, d]),
    }
}
/// For sizes that overflow: the network when its widths do, else the data when they do, else
/// the batch.
pub(super) fn largest_by_size(config: &ExperimentConfig) -> Largest {
    let Some(shape) = Shape::of(config, Precision::F64) else {
        return Largest::Network;
    };
    let data = DataBytes::of(&config.data, config.layout, &shape, true);
    if data.generating.is_none() || data.kept.is_none() {
        Largest::Data
    } else if mul(&[NETWORK_COPIES + 1, shape.params, shape.value]).is_none() {
        Largest::Network
    } else {
        Largest::Batch
    }
}
