//! Training: setting a run up from its seed, the two engines, and the run directory.
//!
//! [`run`] is what `burnprop train` and the examples call: it writes `config.json`, trains with
//! the chosen [`Engine`] (reporting each step to an [`Observer`]), and writes the history,
//! summary and model.

pub mod autodiff;
pub mod engine;
pub mod fit;
pub mod fused;
pub mod history;
pub mod manual;
pub mod metrics;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, sync_channel};
use std::thread::JoinHandle;

use burn::data::dataloader::batcher::Batcher;
use burn::data::dataloader::{DataLoader, DataLoaderBuilder};
use burn::data::dataset::{Dataset, InMemDataset};
use burn::tensor::Device;

use crate::artifacts::{RunDir, Summary};
use crate::config::ExperimentConfig;
use crate::data::mnist::{DigitBatcher, DigitDataset, DigitTargets};
use crate::data::{self, Batch, DataConfig, Example, ExampleBatcher, TrainingData};
use crate::device::Backend;
use crate::error::{Error, Result};
use crate::model::Mlp;
use crate::model::init::{Init, InitSpec, ParamSource, host_values};
use crate::rng::{NumpyRng, RngKind};

pub use engine::{Engine, Kernel, Measured, Stepper};
pub use fit::{Trained, train, train_experiment};
pub use history::{EpochRecord, History, StepRecord};
pub use metrics::Evaluation;

/// Receives a run's progress; printing is the caller's business.
pub trait Observer {
    /// Training is about to take `total_steps` optimiser steps.
    fn started(&mut self, _total_steps: usize) {}
    /// A step was recorded.
    fn step(&mut self, _record: &StepRecord) {}
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
    /// Draws the data (or reads MNIST), then the initial parameters, in the notebook's order.
    ///
    /// One numpy stream, seeded with `config.seed`, generates the data. With `--rng numpy` the
    /// same stream then draws notebook 002's `parameter_scale` (when `init_scale` is absent) and
    /// the weights, `init_draw` times, keeping the last; with `--rng burn` the weights come from
    /// burn's initialisers on `device`'s generator.
    pub fn new(config: &ExperimentConfig, device: &Device) -> Result<Self> {
        config.validate()?;
        let mut rng = NumpyRng::new(config.seed);
        let data = data::load(&config.data, config.layout, &mut rng)?;
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
        let mut source = match config.rng {
            RngKind::Numpy => ParamSource::Numpy(&mut rng),
            RngKind::Burn => ParamSource::Burn(u64::from(config.seed)),
        };
        let params = spec.draw(&mut source, config.init_draw, device);
        let model = Mlp::from_params(
            params,
            config.activations.clone(),
            config.loss.output_activation(),
        );
        Ok(Self { data, model })
    }

    /// The generated examples (`None` for MNIST).
    pub fn examples(&self) -> Option<&[Example]> {
        match &self.data {
            TrainingData::Examples(examples) => Some(examples),
            TrainingData::Digits { .. } => None,
        }
    }

    /// The first `n` training examples (all of them if there are fewer) as one batch, for
    /// `trace` and `gradcheck`.
    pub fn first_batch(&self, config: &ExperimentConfig, n: usize, device: &Device) -> Batch {
        match &self.data {
            TrainingData::Examples(examples) => ExampleBatcher {
                precision: config.dtype,
            }
            .batch(examples.iter().take(n).cloned().collect(), device),
            TrainingData::Digits { train, .. } => {
                let items = (0..n.min(train.len())).map(|i| train.item(i)).collect();
                digit_batcher(config).batch(items, device)
            }
        }
    }
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
        examples: Vec<Example>,
        device: &Device,
    ) -> Result<Self> {
        let batcher = ExampleBatcher {
            precision: config.dtype,
        };
        Self::new(
            Arc::new(InMemDataset::new(examples)),
            batcher,
            config.batch_size,
            u64::from(config.seed),
            device,
        )
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

    /// One epoch of training batches.
    pub fn epoch(&self) -> Box<dyn Iterator<Item = Result<Batch>> + '_> {
        match self {
            Batches::Full(batch) => Box::new(std::iter::once(Ok(batch.as_ref().clone()))),
            Batches::Mini { train, .. } => Box::new(Prefetch::start(train.clone())),
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
    fn start(loader: Arc<dyn DataLoader<Batch>>) -> Self {
        let (sender, batches) = sync_channel(PREFETCH);
        let loader = std::thread::spawn(move || {
            for batch in loader_batches(loader.as_ref()) {
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
    examples: Vec<Example>,
    config: &ExperimentConfig,
    device: &Device,
) -> Result<Vec<Vec<f64>>> {
    let batch = ExampleBatcher {
        precision: config.dtype,
    }
    .batch(examples, device);
    let predictions = model.forward(batch.inputs); // [examples, outputs]
    let [_, columns] = predictions.dims();
    let values = host_values(predictions)?;
    Ok(values.chunks(columns.max(1)).map(<[f64]>::to_vec).collect())
}

/// What a finished run reports.
#[derive(Debug)]
pub struct Report {
    /// The configuration it ran.
    pub config: ExperimentConfig,
    /// The trained network and its figures.
    pub trained: Trained,
    /// Every recorded step.
    pub history: History,
    /// What `summary.json` says.
    pub summary: Summary,
    /// The run directory.
    pub out: PathBuf,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.summary;
        write!(
            f,
            "{}: {} steps in {:.2} s ({:.1} steps/s) on {} ({}), {} engine ({} kernel)\nfinal loss {}",
            s.preset,
            s.steps,
            s.wall_seconds,
            s.steps_per_second,
            s.backend,
            s.dtype,
            s.engine,
            s.kernel,
            s.final_loss
        )?;
        if let Some(accuracy) = s.accuracy {
            write!(f, ", training accuracy {accuracy}")?;
        }
        if let Some(accuracy) = s.test_accuracy {
            write!(f, ", test accuracy {accuracy}")?;
        }
        write!(f, "\nwrote {}", self.out.display())
    }
}

/// Trains `config` with `engine` and keeps everything in `out`: `config.json` before the first
/// step, then `history.csv`, `summary.json` and `model.bpk` (the same files for both engines).
///
/// The data are drawn or read before the directory is touched, so a missing or malformed data
/// file leaves an earlier run in `out` as it was. If training stops early (a loss that is not
/// finite), the history up to that step is still written and the error is returned; files are
/// written atomically, so none is ever half there.
pub fn run(
    config: &ExperimentConfig,
    engine: Engine,
    backend: Backend,
    device: &Device,
    out: &Path,
    observer: &mut dyn Observer,
) -> Result<Report> {
    engine.check(config)?;
    // Data and initial network first: a missing MNIST file must not touch an earlier run.
    let experiment = Experiment::new(config, &device.clone().autodiff())?;
    let dir = RunDir::create(out)?;
    dir.start(config)?;
    let mut history = History::default();
    let outcome = train_experiment(experiment, config, engine, device, &mut history, observer);
    dir.write_history(&history)?;
    let trained = outcome?;
    let summary = Summary::new(config, &trained, &history, backend);
    dir.write_model(&trained.model)?;
    dir.write_summary(&summary)?;
    Ok(Report {
        config: config.clone(),
        trained,
        history,
        summary,
        out: out.to_path_buf(),
    })
}
