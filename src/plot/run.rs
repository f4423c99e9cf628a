//! Every figure a run directory supports, drawn from what it saved.

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use plotters::chart::SeriesLabelPosition;

use super::circles::{self, Data, DecisionBoundary, HiddenProjection, OutputSurface, View};
use super::curves::{EngineComparison, GradientCheck, Lines, Predictions, Series};
use super::digits::{ConfusionMap, Digit, DigitGrid, WeightGrid};
use super::neurons::Neurons;
use super::plane::Square;
use super::regression::{PredictedSurface, Residuals};
use super::{Figure, save};
use crate::artifacts::{COMPARE, CONFIG, EPOCHS, GRADCHECK, HISTORY, MODEL, OUTPUTS, RunDir};
use crate::compare::Comparison;
use crate::config::{ExperimentConfig, Preset};
use crate::data::{DataConfig, Examples, Task, TrainingData};
use crate::error::{Error, Result};
use crate::eval;
use crate::gradcheck::GradcheckReport;
use crate::memory::{self, Work};
use crate::model::Mlp;
use crate::train::{self, Experiment, History, predict};

/// Digits in the MNIST grid: the first test images, then the first mistakes among the rest.
const GRID_FIRST: usize = 30;
/// Mistakes added to the grid.
const GRID_MISTAKES: usize = 10;
/// Digits per row of the grid.
const GRID_COLUMNS: usize = 8;
/// Minibatch curves are smoothed over this fraction of the run (1/SMOOTHING of its steps).
const SMOOTHING: usize = 100;

/// What [`plot_run`] did.
#[derive(Clone, Debug, Default)]
pub struct Plotted {
    /// The files written, PNG then SVG for each figure.
    pub written: Vec<PathBuf>,
    /// Figures that could not be drawn, with the reason (MNIST data not found, say).
    pub skipped: Vec<String>,
}

impl Plotted {
    fn save<F: Figure>(&mut self, figure: &F, dir: &Path) -> Result<()> {
        self.written.extend(save(figure, dir)?);
        Ok(())
    }

    /// The PNG files written, in order.
    pub fn pngs(&self) -> impl Iterator<Item = &PathBuf> {
        self.written
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "png"))
    }
}

/// Draws every figure the run in `dir` supports, into `dir`: `data_dir` overrides where MNIST
/// is read from. Figures that need something the run lacks are skipped with a reason; a file
/// the run has but that is broken is an error.
pub fn plot_run(dir: &Path, data_dir: Option<&Path>, device: &Device) -> Result<Plotted> {
    let run = RunDir::open(dir)?;
    let mut config = run.config()?;
    if let (DataConfig::Mnist { dir: mnist, .. }, Some(given)) = (&mut config.data, data_dir) {
        *mnist = Some(given.to_path_buf());
    }
    let mut plotted = Plotted::default();
    let invalid = |name: &str, reason: String| Error::InvalidRun {
        path: dir.join(name),
        reason,
    };

    let epochs = match run.read_optional(EPOCHS)? {
        Some(text) => History::epochs_from_csv(&text).map_err(|e| invalid(EPOCHS, e))?,
        None => Vec::new(),
    };
    if let Some(text) = run.read_optional(HISTORY)? {
        let records = History::records_from_csv(&text).map_err(|e| invalid(HISTORY, e))?;
        for figure in history_figures(&config, &records, &epochs) {
            plotted.save(&figure, dir)?;
        }
    }
    if !epochs.is_empty() {
        plotted.save(&epoch_accuracy(&config, &epochs), dir)?;
    }
    if let Some(text) = run.read_optional(OUTPUTS)? {
        let outputs = History::outputs_from_csv(&text).map_err(|e| invalid(OUTPUTS, e))?;
        plotted.save(&output_costs(&config, &outputs), dir)?;
    }
    if let Some(text) = run.read_optional(COMPARE)? {
        let records = Comparison::records_from_csv(&text).map_err(|e| invalid(COMPARE, e))?;
        let figure = EngineComparison {
            preset: config.preset.name().to_string(),
            log_y: config.preset == Preset::Circles,
            records,
        };
        plotted.save(&figure, dir)?;
    }
    if let Some(text) = run.read_optional(GRADCHECK)? {
        let report: GradcheckReport =
            serde_json::from_str(&text).map_err(|e| invalid(GRADCHECK, e.to_string()))?;
        let figure = GradientCheck {
            preset: config.preset.name().to_string(),
            report,
        };
        plotted.save(&figure, dir)?;
    }
    if dir.join(MODEL).is_file() {
        let model = run.model(&config, device)?;
        model_figures(&config, &model, dir, device, &mut plotted)?;
    } else {
        plotted.skipped.push(format!(
            "the network's figures: {MODEL} is not in the run (only {CONFIG} and what was measured)"
        ));
    }
    Ok(plotted)
}

/// The loss per step (log scale where the notebook uses it, or where it spans two decades),
/// and the accuracy per step where the loss classifies. Minibatch runs show each step's batch
/// faintly and its running mean over [`SMOOTHING`] of the run's steps on top. Where the run
/// has a test split, its loss and accuracy after each evaluated epoch (`epochs`) are drawn
/// beside the training curves, at the step where the epoch ended.
fn history_figures(
    config: &ExperimentConfig,
    records: &[crate::train::StepRecord],
    epochs: &[crate::train::EpochRecord],
) -> Vec<Lines> {
    let full_batch = config.batch_size.is_none();
    let unit = if full_batch { "iteration" } else { "step" };
    let losses: Vec<(f64, f64)> = records.iter().map(|r| (r.step as f64, r.loss)).collect();
    let (lo, hi) = losses.iter().fold((f64::INFINITY, 0f64), |(lo, hi), p| {
        (lo.min(p.1), hi.max(p.1))
    });
    let log_y = config.preset == Preset::Circles || (lo > 0.0 && hi / lo > 100.0);
    let accuracy: Vec<(f64, f64)> = records
        .iter()
        .filter_map(|r| r.accuracy.map(|a| (r.step as f64, a)))
        .collect();
    let shown = |label: &str, points: Vec<(f64, f64)>| {
        if full_batch {
            vec![Series::new(label, points)]
        } else {
            let mean = running_mean(&points, (points.len() / SMOOTHING).max(1));
            vec![
                Series {
                    faint: true,
                    ..Series::new(format!("{label} (each step's batch)"), points)
                },
                Series::new(format!("{label}, running mean"), mean),
            ]
        }
    };
    let test_label = match config.reduction {
        crate::loss::Reduction::Sum => "test (after the epoch; summed over the fewer test rows)",
        crate::loss::Reduction::Mean => "test (after the epoch)",
    };
    let classifies = !accuracy.is_empty();
    // The steps taken when epoch `e` ended: the records of the epochs before it.
    let test = |label: &str, value: fn(&crate::train::EpochRecord) -> Option<f64>| {
        let points: Vec<(f64, f64)> = epochs
            .iter()
            .filter_map(|e| {
                let step = records.partition_point(|r| r.epoch < e.epoch);
                value(e).map(|v| (step as f64, v))
            })
            .collect();
        (!points.is_empty()).then(|| Series::new(label, points))
    };
    let mut loss_series = shown("training loss", losses);
    loss_series.extend(test(test_label, |e| Some(e.test_loss)));
    let mut accuracy_series = shown("accuracy", accuracy);
    accuracy_series.extend(test("test (after the epoch)", |e| e.test_accuracy));
    let mut figures = vec![Lines {
        name: "loss",
        title: format!("{}: loss per {unit}", config.preset.name()),
        x_label: unit.to_string(),
        y_label: format!("{} ({})", config.loss.name(), reduction_word(config)),
        series: loss_series,
        log_y,
        y_range: None,
        markers: records.len() <= 30,
        overlapping: false,
        legend: SeriesLabelPosition::UpperRight,
    }];
    if classifies {
        figures.push(Lines {
            name: "accuracy",
            title: format!("{}: training accuracy per {unit}", config.preset.name()),
            x_label: unit.to_string(),
            y_label: "accuracy".to_string(),
            series: accuracy_series,
            log_y: false,
            y_range: Some((0.0, 1.02)),
            markers: records.len() <= 30,
            overlapping: false,
            legend: SeriesLabelPosition::LowerRight,
        });
    }
    figures
}

/// The running mean of `points`' values over `window` points (fewer at the start).
fn running_mean(points: &[(f64, f64)], window: usize) -> Vec<(f64, f64)> {
    let mut sum = 0.0;
    points
        .iter()
        .enumerate()
        .map(|(i, &(x, y))| {
            sum += y;
            if i >= window {
                sum -= points[i - window].1;
            }
            (x, sum / (i + 1).min(window) as f64)
        })
        .collect()
}

fn reduction_word(config: &ExperimentConfig) -> &'static str {
    match config.reduction {
        crate::loss::Reduction::Sum => "summed",
        crate::loss::Reduction::Mean => "mean",
    }
}

/// Train and test accuracy after every epoch (MNIST).
fn epoch_accuracy(config: &ExperimentConfig, epochs: &[crate::train::EpochRecord]) -> Lines {
    let series = |label: &str, value: fn(&crate::train::EpochRecord) -> Option<f64>| {
        Series::new(
            label,
            epochs
                .iter()
                .filter_map(|e| value(e).map(|v| (e.epoch as f64, v)))
                .collect(),
        )
    };
    let series = vec![
        series("training (mean over the epoch's batches)", |e| {
            e.train_accuracy
        }),
        series("test (after the epoch)", |e| e.test_accuracy),
    ];
    let (lo, _) = super::span(
        series.iter().flat_map(|s| s.points.iter().map(|p| p.1)),
        0.1,
    );
    Lines {
        name: "epoch-accuracy",
        title: format!("{}: accuracy per epoch", config.preset.name()),
        x_label: "epoch".to_string(),
        y_label: "accuracy".to_string(),
        series,
        log_y: false,
        y_range: Some((lo.clamp(0.0, 0.99), 1.0)),
        markers: true,
        overlapping: false,
        legend: SeriesLabelPosition::LowerRight,
    }
}

/// Notebook 002's cost per epoch, one line per output.
fn output_costs(config: &ExperimentConfig, outputs: &[Vec<f64>]) -> Lines {
    let width = outputs.first().map_or(0, Vec::len);
    let series = (0..width)
        .map(|k| {
            Series::new(
                format!("output {}", k + 1),
                outputs
                    .iter()
                    .enumerate()
                    .filter_map(|(step, costs)| Some(((step + 1) as f64, *costs.get(k)?)))
                    .collect(),
            )
        })
        .collect();
    let unit = if config.batch_size.is_none() {
        "epoch"
    } else {
        "step"
    };
    Lines {
        name: "output-costs",
        title: format!("{}: cost per {unit}, per output", config.preset.name()),
        x_label: unit.to_string(),
        y_label: "cost (BCE averaged over examples)".to_string(),
        series,
        log_y: false,
        y_range: None,
        markers: outputs.len() <= 30,
        overlapping: false,
        legend: SeriesLabelPosition::MiddleRight,
    }
}

/// The figures drawn from the trained network and the run's data.
fn model_figures(
    config: &ExperimentConfig,
    model: &Mlp,
    dir: &Path,
    device: &Device,
    plotted: &mut Plotted,
) -> Result<()> {
    if let DataConfig::Mnist { .. } = config.data {
        // Drawn from the network alone: no MNIST file needed.
        plotted.save(&first_layer_weights(config, model)?, dir)?;
    }
    let points = circles::GRID * circles::GRID;
    memory::ensure_fits(config, Work::Plot { points }, device)?;
    let experiment = match Experiment::new(config, device) {
        Ok(experiment) => experiment,
        Err(e @ (Error::MnistNotFound { .. } | Error::Mnist { .. })) => {
            plotted.skipped.push(format!("the digit figures: {e}"));
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    // The figures show the data as drawn; a standardised run's network sees them through
    // its standardisation, which this folds into the network's first layer.
    let model = &experiment.on_drawn_inputs(model, config.dtype)?;
    // The points as drawn, before any --features map: the figures show the input plane.
    let drawn = if config.data.inputs() == 2 {
        Some(train::points(config)?)
    } else {
        None
    };
    let points = match &drawn {
        Some(TrainingData::Examples(points)) => points,
        _ => <&Examples>::default(),
    };
    let features = config.input_features();
    if !points.is_empty() {
        let title = format!("{}: what each unit computes", config.preset.name());
        let square = Square::around(points);
        plotted.save(
            &Neurons::new(model, &square, title, features, config.dtype, device)?,
            dir,
        )?;
    }
    match &config.data {
        DataConfig::Circles { .. }
        | DataConfig::Moons { .. }
        | DataConfig::Playground { .. }
        | DataConfig::Spiral { .. } => {
            class_figures(config, model, points, dir, device, plotted)?;
        }
        DataConfig::PlaygroundRegression { .. } => {
            regression_figures(config, model, &experiment, points, dir, device, plotted)?;
        }
        // A file: the regression's residuals whatever its width; on two input columns, the
        // plane's figures too.
        DataConfig::File(file) if file.task == Task::Regress => {
            regression_figures(config, model, &experiment, points, dir, device, plotted)?;
        }
        DataConfig::File(_) if !points.is_empty() => {
            class_figures(config, model, points, dir, device, plotted)?;
        }
        DataConfig::Logreg | DataConfig::Xor => {
            let examples = experiment.examples().unwrap_or_default().clone();
            // Each example named by its point (its inputs before any --features map).
            let shown = if points.is_empty() { &examples } else { points };
            let labels = shown
                .iter()
                .map(|e| {
                    let x: Vec<String> = e.x.iter().map(|v| format!("{v}")).collect();
                    format!("[{}]", x.join(", "))
                })
                .collect();
            let targets = examples.iter().flat_map(|e| e.y.to_vec()).collect();
            let predictions = predict(model, examples, config, device)?
                .into_iter()
                .flatten()
                .collect();
            plotted.save(
                &Predictions {
                    title: format!(
                        "{}: final predictions against the targets",
                        config.preset.name()
                    ),
                    labels,
                    targets,
                    predictions,
                },
                dir,
            )?;
        }
        DataConfig::Mnist { .. } => {
            digit_figures(config, model, experiment, dir, device, plotted)?;
        }
        DataConfig::Random { .. } | DataConfig::File(_) => {}
    }
    Ok(())
}

/// The pictures of a regression: the trained network's residuals on the training examples
/// and, for points of the plane (`points`, as drawn; empty for wider inputs), its output over
/// the plane.
fn regression_figures(
    config: &ExperimentConfig,
    model: &Mlp,
    experiment: &Experiment,
    points: &Examples,
    dir: &Path,
    device: &Device,
    plotted: &mut Plotted,
) -> Result<()> {
    let examples = experiment.examples().unwrap_or_default().clone();
    let targets: Vec<f64> = examples.iter().map(|e| e.y[0]).collect();
    let predictions: Vec<f64> = predict(model, examples, config, device)?
        .into_iter()
        .map(|p| p[0])
        .collect();
    if !points.is_empty() {
        let features = config.input_features();
        let surface = PredictedSurface::new(model, points, features, config.dtype, device)?;
        plotted.save(&surface, dir)?;
    }
    plotted.save(&Residuals::new(&targets, &predictions), dir)
}

/// The pictures of a classifier on points of the plane (`points`, as drawn): the data, the
/// regions of each class (its largest output), the data on three hidden units, and (two
/// classes) the output surface.
fn class_figures(
    config: &ExperimentConfig,
    model: &Mlp,
    points: &Examples,
    dir: &Path,
    device: &Device,
    plotted: &mut Plotted,
) -> Result<()> {
    let (features, dtype) = (config.input_features(), config.dtype);
    let mut view = View::of(&config.data);
    if let DataConfig::File(file) = &config.data {
        view.classes.clone_from(&file.classes);
        // A file's columns have no known range: the plane's figures show the square
        // `[−e, e]²`, so `e` reaches the farthest coordinate, with Square::around's margin.
        let farthest = points
            .iter()
            .flat_map(|e| e.x.iter().take(2).copied())
            .filter(|v| v.is_finite())
            .fold(0.0, |m: f64, v| m.max(v.abs()));
        view.extent = if farthest > 0.0 { farthest * 1.25 } else { 1.0 };
    }
    let extent = view.extent;
    plotted.save(&Data::new(points, view.clone()), dir)?;
    let regions = DecisionBoundary::new(model, points, view, features, dtype, device)?;
    plotted.save(&regions, dir)?;
    match HiddenProjection::new(model, points, features, dtype, device)? {
        Some(projection) => plotted.save(&projection, dir)?,
        None => plotted
            .skipped
            .push("the hidden-layer projection: it needs three hidden units".to_string()),
    }
    if config.data.outputs() <= 2 {
        plotted.save(
            &OutputSurface::new(model, extent, features, dtype, device)?,
            dir,
        )?;
    } else {
        plotted.skipped.push(format!(
            "the output surface: it shows P(class 1) of two classes, and the {} data has {}",
            config.data.name(),
            config.data.outputs()
        ));
    }
    Ok(())
}

/// The first layer's weights as 28 × 28 pictures, one per hidden unit.
fn first_layer_weights(config: &ExperimentConfig, model: &Mlp) -> Result<WeightGrid> {
    let sizes = model.sizes();
    let hidden = sizes.get(1).copied().unwrap_or(0);
    let weights = model
        .layers
        .first()
        .map(|layer| crate::tensor::host_values(layer.weight.val()))
        .transpose()?
        .unwrap_or_default(); // [784, hidden]
    Ok(WeightGrid::from_weights(
        &weights,
        hidden,
        format!(
            "{}: the first layer's weights, one 28 × 28 picture per hidden unit",
            config.preset.name()
        ),
    ))
}

/// The MNIST grid of test digits and the confusion matrix on the test split.
fn digit_figures(
    config: &ExperimentConfig,
    model: &Mlp,
    experiment: Experiment,
    dir: &Path,
    device: &Device,
    plotted: &mut Plotted,
) -> Result<()> {
    let classes = eval::classes(config)?;
    let TrainingData::Digits { test, .. } = &experiment.data else {
        return Ok(());
    };
    let images: Vec<Vec<u8>> = (0..test.len()).map(|i| test.image(i).to_vec()).collect();
    let (_, batches) = experiment.data.batches(config, device)?;
    let Some(batches) = batches else {
        return Ok(());
    };
    let pairs = eval::classify(model, &batches)?;
    let name = |k: usize| classes.get(k).cloned().unwrap_or_default();
    let mut chosen: Vec<usize> = (0..GRID_FIRST.min(pairs.len())).collect();
    chosen.extend(
        pairs
            .iter()
            .enumerate()
            .skip(GRID_FIRST)
            .filter(|(_, (t, p))| t != p)
            .map(|(i, _)| i)
            .take(GRID_MISTAKES),
    );
    let wrong = pairs.iter().filter(|(t, p)| t != p).count();
    let digits = chosen
        .into_iter()
        .map(|i| Digit {
            pixels: images[i].clone(),
            truth: name(pairs[i].0),
            predicted: name(pairs[i].1),
        })
        .collect();
    plotted.save(
        &DigitGrid {
            digits,
            columns: GRID_COLUMNS,
            title: format!(
                "{}: the first {GRID_FIRST} test digits, then mistakes ({wrong} of {} wrong)",
                config.preset.name(),
                pairs.len()
            ),
        },
        dir,
    )?;
    let confusion = eval::Confusion::from_pairs(classes.clone(), pairs);
    let accuracy = confusion.accuracy();
    plotted.save(
        &ConfusionMap {
            confusion,
            title: format!(
                "{}: test confusion matrix (accuracy {:.2}%)",
                config.preset.name(),
                100.0 * accuracy
            ),
        },
        dir,
    )?;
    Ok(())
}
