//! Training: setting a run up from its seed ([`Experiment`]), the engines' [`steppers`], the
//! loop ([`fit`]), what it records ([`history`], [`metrics`]), and a run kept in a run
//! directory.
//!
//! [`run_to_dir`] is what `burnprop train` and the examples call: it writes `config.json`,
//! trains with the chosen [`Engine`](crate::config::Engine) (reporting each step to an
//! [`Observer`]), and writes the history, the [`RunSummary`] and the model.

pub mod checkpoint;
mod claim;
pub mod fit;
pub mod history;
pub mod metrics;
mod run;
pub mod steppers;
mod summary;

use std::sync::Arc;
use std::sync::mpsc::{Receiver, sync_channel};
use std::thread::JoinHandle;

use burn::data::dataloader::batcher::Batcher;
use burn::data::dataloader::{DataLoader, DataLoaderBuilder};
use burn::data::dataset::Dataset;
use burn::tensor::Device;

use crate::config::ExperimentConfig;
use crate::data::mnist::{DigitBatcher, DigitDataset, DigitTargets};
use crate::data::{
    self, Batch, DataConfig, ExampleBatcher, Examples, Standardization, Standardize, TrainingData,
};
use crate::error::{Error, Result};
use crate::memory::{self, Work};
use crate::model::Mlp;
use crate::model::init::{Init, InitSpec, ParamSource};
use crate::rng::{NumpyRng, PythonRng, RngKind};
use crate::tensor::{Precision, host_tensor, host_values};

pub use claim::claim;
pub use fit::{CheckpointPolicy, Controls, Start, Trained, train_config, train_experiment};
pub use history::{EpochRecord, History, StepRecord};
pub use metrics::Evaluation;
pub use run::{
    OpenedRun, Resumable, RunOptions, RunStatus, RunSummary, TrainReport, config_differences,
    resume, run_to_dir, same_config,
};
pub use steppers::{Measured, Prepare, Stepper};

/// Receives a run's progress; printing is the caller's business.
pub trait Observer {
    /// Training is about to continue from step `done` (0 unless resumed) to `total_steps`.
    fn started(&mut self, _done: usize, _total_steps: usize) {}
    /// A step was recorded.
    fn step(&mut self, _record: &StepRecord) {}
    /// Whether the observer wants the network of the step it was last told of (asked after
    /// every [`Observer::step`]); if so, the loop hands it over through [`Observer::snapshot`].
    fn wants_snapshot(&self) -> bool {
        false
    }
    /// The network whose loss the last [`Observer::step`] record holds: the parameters before
    /// that step's update (after the last update, for a full-batch run's final record).
    fn snapshot(&mut self, _model: Mlp) {}
    /// An epoch ended and was evaluated on the test split.
    fn epoch(&mut self, _record: &EpochRecord) {}
    /// Training is over.
    fn finished(&mut self) {}
}

/// An observer that ignores everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct Silent;

impl Observer for Silent {}

/// A run's data and initial network, drawn from its seed.
#[derive(Debug)]
pub struct Experiment {
    /// The training data (and MNIST's test split).
    pub data: TrainingData,
    /// The initial network.
    pub model: Mlp,
}

impl Experiment {
    /// Draws the data (or reads MNIST), then the initial parameters, in the notebook's order,
    /// once [`memory::ensure_fits`] finds room for them.
    ///
    /// One numpy stream, seeded with `config.seed`, generates the data. With `--rng numpy` the
    /// same stream then draws notebook 002's `parameter_scale` (when `init_scale` is absent) and
    /// the weights, `init_draw` times, keeping the last; with `--rng burn` the weights come from
    /// burn's initialisers on `device`'s generator. With `--rng playground` the data come from
    /// the Playground's own stream ([`DataConfig::seedrandom`]) instead, and the numpy stream,
    /// having drawn nothing, draws the weights as with `--rng numpy`.
    ///
    /// With `--features`, the examples' points are then mapped to the features
    /// ([`data::features`]): every engine trains on the mapped inputs.
    /// `--test-fraction` then splits the examples and `--standardize` standardises them
    /// ([`crate::data::split`]), from a stream of their own: the weights are drawn as without
    /// them.
    pub fn new(config: &ExperimentConfig, device: &Device) -> Result<Self> {
        config.validate()?;
        memory::ensure_fits(config, Work::Setup, device)?;
        let mut rng = NumpyRng::new(config.seed);
        let data = match (draw(config, &mut rng)?, &config.features) {
            (TrainingData::Examples(points), Some(features)) => {
                TrainingData::Examples(data::features::apply(features, &points))
            }
            (data, _) => data,
        };
        let data = prepare(data, config)?;
        let scale = match (config.init, config.init_scale) {
            (_, Some(scale)) => scale,
            (Init::Normal, None) => rng.random_sample(),
            (_, None) => 1.0,
        };
        let spec = InitSpec {
            sizes: config.sizes(),
            bias: config.bias,
            init: config.init,
            bias_init: config.bias_init,
            scale,
            layout: config.layout,
            precision: config.dtype,
        };
        let mut python = PythonRng::new(config.seed);
        let mut source = match config.rng {
            RngKind::Numpy | RngKind::Playground => ParamSource::Numpy(&mut rng),
            RngKind::Burn => ParamSource::Burn(u64::from(config.seed)),
            RngKind::Python => ParamSource::Python(&mut python),
        };
        let params = spec.draw(&mut source, config.init_draw, device);
        let model = Mlp::from_params(
            params,
            config.activations.clone(),
            config.loss.output_activation(),
        );
        Ok(Self { data, model })
    }

    /// The standardisation the run applies to its inputs (`--standardize`), if any.
    pub fn standardization(&self) -> Option<&Standardization> {
        match &self.data {
            TrainingData::Prepared {
                standardization, ..
            } => standardization.as_ref(),
            _ => None,
        }
    }

    /// `config` as this run applies it: with the standardisation's values in place of
    /// [`Standardize::TrainingSplit`], as `config.json` stores them.
    pub fn applied(&self, config: &ExperimentConfig) -> ExperimentConfig {
        let mut applied = config.clone();
        if let Some(values) = self.standardization() {
            applied.standardize = Some(Standardize::Columns(values.clone()));
        }
        applied
    }

    /// The generated training examples as drawn, before any standardisation (`None` for
    /// MNIST): their batches apply it ([`TrainingData::batches`]).
    pub fn examples(&self) -> Option<&Examples> {
        match &self.data {
            TrainingData::Examples(examples)
            | TrainingData::Prepared {
                train: examples, ..
            } => Some(examples),
            TrainingData::Digits { .. } => None,
        }
    }

    /// The first `n` training examples (all of them if there are fewer) as one batch, for
    /// `trace` and `gradcheck`.
    pub fn first_batch(&self, config: &ExperimentConfig, n: usize, device: &Device) -> Batch {
        match &self.data {
            TrainingData::Examples(examples) => examples.first(n).into_batch(config.dtype, device),
            TrainingData::Prepared {
                train,
                standardization,
                ..
            } => standardised(train.first(n), standardization.as_ref())
                .into_batch(config.dtype, device),
            TrainingData::Digits { train, .. } => {
                let items = DigitDataset::new(train.first(n)).items().collect();
                digit_batcher(config).batch(items, device)
            }
        }
    }
}

/// The data of `config` as drawn from its seed, before any `--features` map (the points
/// the figures of the input plane show): what [`Experiment::new`] draws from `rng`.
fn draw(config: &ExperimentConfig, rng: &mut NumpyRng) -> Result<TrainingData> {
    match config.rng {
        RngKind::Playground => {
            data::load_seedrandom(&config.data, &mut config.data.seedrandom(config.seed)?)
        }
        RngKind::Numpy | RngKind::Burn | RngKind::Python => {
            data::load(&config.data, config.layout, rng)
        }
    }
}

/// The data of a valid `config` as drawn from its seed, its 2-D points not yet mapped by
/// `--features`: the points the figures of the input plane show.
pub fn points(config: &ExperimentConfig) -> Result<TrainingData> {
    config.validate()?;
    draw(config, &mut NumpyRng::new(config.seed))
}

impl TrainingData {
    /// The training batches as `config` serves them, and MNIST's test split as one batch.
    pub fn batches(
        self,
        config: &ExperimentConfig,
        device: &Device,
    ) -> Result<(Batches, Option<Batches>)> {
        match self {
            TrainingData::Examples(examples) => {
                Ok((Batches::from_examples(config, examples, device)?, None))
            }
            TrainingData::Prepared {
                train,
                test,
                standardization,
            } => {
                let values = standardization.as_ref();
                // The test split is evaluated whole, as one batch.
                let test = test.map(|test| {
                    let batch = standardised(test, values).into_batch(config.dtype, device);
                    Batches::Full(Box::new(batch))
                });
                let train = standardised(train, values);
                Ok((Batches::from_examples(config, train, device)?, test))
            }
            TrainingData::Digits { train, test } => {
                let seed = u64::from(config.seed);
                let batcher = digit_batcher(config);
                let train = Batches::new(
                    Arc::new(DigitDataset::new(train)),
                    batcher.clone(),
                    config.batch_size,
                    seed,
                    device,
                )?;
                let test = Batches::new(
                    Arc::new(DigitDataset::new(test)),
                    batcher,
                    None,
                    seed,
                    device,
                )?;
                Ok((train, Some(test)))
            }
        }
    }
}

impl Experiment {
    /// `model`, which takes standardised inputs, as a network of the inputs as drawn: the
    /// standardisation folded into its first layer, `x·(W/σ) + (b − (μ/σ)·W)` for
    /// `((x − μ)/σ)·W + b`, row `i` of `W` divided by column `i`'s deviation (a first layer
    /// without bias gets one). The figures of the input plane feed their grid points to it
    /// in the units the data were drawn in. `model` itself where nothing was standardised.
    pub fn on_drawn_inputs(&self, model: &Mlp, precision: Precision) -> Result<Mlp> {
        let mut params = model.params();
        let (Some(values), Some(first)) = (self.standardization(), params.first_mut()) else {
            return Ok(model.clone());
        };
        let device = first.weight.device();
        let [n_in, n_out] = first.weight.dims();
        let mut weight = host_values(first.weight.clone())?; // [n_in, n_out], row-major
        let mut bias = match &first.bias {
            Some(bias) => host_values(bias.clone())?,
            None => vec![0.0; n_out],
        };
        let columns = values.mean.iter().zip(&values.deviation);
        for (row, (mean, deviation)) in weight.chunks_mut(n_out.max(1)).zip(columns) {
            for (w, b) in row.iter_mut().zip(&mut bias) {
                *b -= mean / deviation * *w;
                *w /= deviation;
            }
        }
        first.weight = host_tensor(weight, [n_in, n_out], precision, &device);
        first.bias = Some(host_tensor(bias, [n_out], precision, &device));
        Ok(model.with_params(params))
    }
}

/// `data` split by `config.test_fraction`, with the standardisation `config.standardize`
/// asks for (the stored values, or the training split's) to be applied to its batches.
/// MNIST passes through: [`ExperimentConfig::validate`] refuses both settings for it.
fn prepare(data: TrainingData, config: &ExperimentConfig) -> Result<TrainingData> {
    let TrainingData::Examples(examples) = data else {
        return Ok(data);
    };
    if config.test_fraction.is_none() && config.standardize.is_none() {
        return Ok(TrainingData::Examples(examples));
    }
    let (train, test) = match config.test_fraction {
        Some(fraction) => {
            let (train, test) = data::split::split(&examples, fraction, config.seed)?;
            (train, Some(test))
        }
        None => (examples, None),
    };
    let standardization = match &config.standardize {
        None => None,
        Some(Standardize::TrainingSplit) => Some(Standardization::of(&train)),
        Some(Standardize::Columns(values)) => Some(values.clone()),
    };
    Ok(TrainingData::Prepared {
        train,
        test,
        standardization,
    })
}

/// `examples` standardised by `values`, or as they are.
fn standardised(examples: Examples, values: Option<&Standardization>) -> Examples {
    match values {
        Some(values) => values.apply(&examples),
        None => examples,
    }
}

/// The batcher of `config`'s MNIST data (ten one-hot classes, or two digits as 0/1).
pub fn digit_batcher(config: &ExperimentConfig) -> DigitBatcher {
    let (targets, standardize) = match &config.data {
        DataConfig::Mnist {
            digits,
            standardize,
            ..
        } => (
            digits.map_or(DigitTargets::OneHot, |[_, positive]| DigitTargets::Binary {
                positive,
            }),
            *standardize,
        ),
        _ => (DigitTargets::OneHot, false),
    };
    DigitBatcher {
        precision: config.dtype,
        targets,
        standardize,
    }
}

/// The batches of a run: one full batch reused every step, or shuffled minibatches.
pub enum Batches {
    /// Every step sees the whole training set (built once).
    Full(Box<Batch>),
    /// Minibatches from burn's data loader, reshuffled every epoch from the run's seed.
    Mini {
        /// Shuffled minibatches for training.
        train: Arc<dyn DataLoader<Batch>>,
        /// Large batches in dataset order, for evaluation.
        ordered: Arc<dyn DataLoader<Batch>>,
        /// Number of examples.
        examples: usize,
    },
}

/// Examples per evaluation batch when the training set is served in minibatches.
const EVAL_BATCH: usize = 4096;

impl Batches {
    /// Serves a burn [`Dataset`] through `batcher`: the whole set as one batch when
    /// `batch_size` is `None`, else minibatches reshuffled every epoch from `seed`. Tensors are
    /// created on `device`.
    pub fn new<I, B>(
        dataset: Arc<dyn Dataset<I>>,
        batcher: B,
        batch_size: Option<usize>,
        seed: u64,
        device: &Device,
    ) -> Result<Self>
    where
        I: Send + Sync + Clone + std::fmt::Debug + 'static,
        B: Batcher<I, Batch> + Clone + 'static,
    {
        let examples = dataset.len();
        match batch_size {
            None => {
                let items = (0..examples)
                    .map(|index| dataset.get(index).map_err(|e| Error::Data(e.to_string())))
                    .collect::<Result<Vec<I>>>()?;
                Ok(Batches::Full(Box::new(batcher.batch(items, device))))
            }
            Some(batch_size) => {
                let train = DataLoaderBuilder::new(batcher.clone())
                    .batch_size(batch_size)
                    .shuffle(seed)
                    .set_device(device.clone())
                    .build(dataset.clone());
                let ordered = DataLoaderBuilder::new(batcher)
                    .batch_size(EVAL_BATCH)
                    .set_device(device.clone())
                    .build(dataset);
                Ok(Batches::Mini {
                    train,
                    ordered,
                    examples,
                })
            }
        }
    }

    /// The notebooks' generated examples, served as `config` says.
    pub fn from_examples(
        config: &ExperimentConfig,
        examples: Examples,
        device: &Device,
    ) -> Result<Self> {
        let precision = config.dtype;
        match config.batch_size {
            // The examples go straight into the one batch, their f64 values freed as the
            // batch's are made: the loader's way would copy them all first.
            None => Ok(Batches::Full(Box::new(
                examples.into_batch(precision, device),
            ))),
            Some(_) => Self::new(
                Arc::new(examples),
                ExampleBatcher { precision },
                config.batch_size,
                u64::from(config.seed),
                device,
            ),
        }
    }

    /// Number of training examples.
    pub fn examples(&self) -> usize {
        match self {
            Batches::Full(batch) => batch.len(),
            Batches::Mini { examples, .. } => *examples,
        }
    }

    /// Whether every step uses the whole training set.
    pub fn is_full(&self) -> bool {
        matches!(self, Batches::Full(_))
    }

    /// One epoch of training batches; the loader's thread `prepare`s each minibatch before
    /// handing it over (what the [`Stepper`] that reads them would do first:
    /// [`Stepper::prepare`]).
    pub fn epoch(&self, prepare: Prepare) -> Box<dyn Iterator<Item = Result<Batch>> + '_> {
        match self {
            Batches::Full(batch) => Box::new(std::iter::once(Ok(batch.as_ref().clone()))),
            Batches::Mini { train, .. } => Box::new(Prefetch::start(train.clone(), prepare)),
        }
    }

    /// Advances the minibatch shuffle past `epochs` epochs, as a resumed run must: burn's
    /// loader draws each epoch's order from one generator seeded with the run's seed when the
    /// epoch's iteration begins, so beginning (and dropping) `epochs` iterations leaves it
    /// where the interrupted run left it. No batch is made.
    pub fn replay_shuffles(&self, epochs: usize) {
        if let Batches::Mini { train, .. } = self {
            for _ in 0..epochs {
                drop(train.iter());
            }
        }
    }

    /// The whole training set, in order, for evaluation.
    pub fn in_order(&self) -> Box<dyn Iterator<Item = Result<Batch>> + '_> {
        match self {
            Batches::Full(batch) => Box::new(std::iter::once(Ok(batch.as_ref().clone()))),
            Batches::Mini { ordered, .. } => Box::new(loader_batches(ordered.as_ref())),
        }
    }
}

/// Minibatches made on a background thread, in the loader's order, up to [`PREFETCH`] ahead of
/// the training loop: the next batch is gathered while the current one trains.
struct Prefetch {
    batches: Receiver<Result<Batch>>,
    loader: Option<JoinHandle<()>>,
}

/// Batches made ahead of the step that uses them.
const PREFETCH: usize = 2;

impl Prefetch {
    fn start(loader: Arc<dyn DataLoader<Batch>>, prepare: Prepare) -> Self {
        let (sender, batches) = sync_channel(PREFETCH);
        let loader = std::thread::spawn(move || {
            for batch in loader_batches(loader.as_ref()) {
                if let Ok(batch) = &batch {
                    batch.prepare(prepare);
                }
                // The loop stopped listening (it reached its last step): stop making batches.
                if sender.send(batch).is_err() {
                    break;
                }
            }
        });
        Self {
            batches,
            loader: Some(loader),
        }
    }
}

impl Iterator for Prefetch {
    type Item = Result<Batch>;

    fn next(&mut self) -> Option<Result<Batch>> {
        match self.batches.recv() {
            Ok(batch) => Some(batch),
            // The loader is done; if it panicked the epoch is incomplete, which is an error.
            Err(_) => match self.loader.take()?.join() {
                Ok(()) => None,
                Err(_) => Some(Err(Error::Data(
                    "the batch loader stopped in the middle of an epoch".to_string(),
                ))),
            },
        }
    }
}

fn loader_batches(loader: &dyn DataLoader<Batch>) -> impl Iterator<Item = Result<Batch>> + '_ {
    loader
        .iter()
        .map(|batch| batch.map_err(|e| Error::Data(e.to_string())))
}

/// The network's predictions `Ŷ` for `examples`, one row per example.
pub fn predict(
    model: &Mlp,
    examples: Examples,
    config: &ExperimentConfig,
    device: &Device,
) -> Result<Vec<Vec<f64>>> {
    let batch = examples.into_batch(config.dtype, device);
    let predictions = model.forward(batch.inputs()); // [examples, outputs]
    let [_, columns] = predictions.dims();
    let values = host_values(predictions)?;
    Ok(values.chunks(columns.max(1)).map(<[f64]>::to_vec).collect())
}
