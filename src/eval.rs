//! Using a trained network: accuracy, per-class precision and recall, and the confusion matrix
//! of a saved run (`burnprop eval`).

use std::fmt;
use std::path::Path;

use burn::tensor::{Device, Tensor};

use crate::artifacts::RunDir;
use crate::config::ExperimentConfig;
use crate::data::mnist::{self, DigitDataset, Digits};
use crate::data::picture::read_digit;
use crate::data::{DataConfig, Task};
use crate::error::{Error, Result};
use crate::loss::LossKind;
use crate::model::Mlp;
use crate::tensor::host_values;
use crate::train::history::csv_text;
use crate::train::metrics::evaluate;
use crate::train::{Batches, Experiment, digit_batcher};
use burn::data::dataloader::batcher::Batcher;

/// How a classifier's decisions fall: `counts[true][predicted]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Confusion {
    /// The class names, in index order (MNIST's digits, or 0 and 1).
    pub classes: Vec<String>,
    /// `counts[t][p]`: examples of class `t` predicted as `p`.
    pub counts: Vec<Vec<usize>>,
}

impl Confusion {
    /// An empty matrix over `classes`.
    pub fn new(classes: Vec<String>) -> Self {
        let k = classes.len();
        Self {
            classes,
            counts: vec![vec![0; k]; k],
        }
    }

    /// The matrix of `(truth, predicted)` pairs over `classes`.
    pub fn from_pairs(
        classes: Vec<String>,
        pairs: impl IntoIterator<Item = (usize, usize)>,
    ) -> Self {
        let mut confusion = Self::new(classes);
        for (truth, predicted) in pairs {
            confusion.add(truth, predicted);
        }
        confusion
    }

    /// Counts one decision.
    pub fn add(&mut self, truth: usize, predicted: usize) {
        self.counts[truth][predicted] += 1;
    }

    /// Number of examples counted.
    pub fn total(&self) -> usize {
        self.counts.iter().flatten().sum()
    }

    /// Number of examples predicted correctly.
    pub fn correct(&self) -> usize {
        (0..self.classes.len()).map(|k| self.counts[k][k]).sum()
    }

    /// The fraction predicted correctly.
    pub fn accuracy(&self) -> f64 {
        self.correct() as f64 / self.total().max(1) as f64
    }

    /// Examples whose true class is `k`.
    pub fn support(&self, k: usize) -> usize {
        self.counts[k].iter().sum()
    }

    /// Of the examples predicted as `k`, the fraction that are `k` (`None` if none was).
    pub fn precision(&self, k: usize) -> Option<f64> {
        let predicted: usize = self.counts.iter().map(|row| row[k]).sum();
        (predicted > 0).then(|| self.counts[k][k] as f64 / predicted as f64)
    }

    /// Of the examples of class `k`, the fraction predicted as `k` (`None` if there are none).
    pub fn recall(&self, k: usize) -> Option<f64> {
        let support = self.support(k);
        (support > 0).then(|| self.counts[k][k] as f64 / support as f64)
    }

    /// The matrix as CSV: a header of predicted classes, then one row per true class.
    pub fn to_csv(&self) -> String {
        csv_text(
            std::iter::once("true\\predicted").chain(self.classes.iter().map(String::as_str)),
            self.classes.iter().zip(&self.counts).map(|(name, row)| {
                std::iter::once(name.clone()).chain(row.iter().map(usize::to_string))
            }),
        )
    }
}

/// What `burnprop eval` reports.
#[derive(Clone, Debug)]
pub struct EvalReport {
    /// `test` or `training`.
    pub split: &'static str,
    /// The objective over the split.
    pub loss: f64,
    /// The decisions; no class at all for a regression, which has none.
    pub confusion: Confusion,
}

/// The class names of `config`'s classifier, or why it has none.
pub fn classes(config: &ExperimentConfig) -> Result<Vec<String>> {
    let outputs = config.data.outputs();
    match (config.loss, &config.data) {
        (LossKind::CrossEntropy | LossKind::Bce | LossKind::Hinge, DataConfig::File(file))
            if file.task == Task::Classify =>
        {
            Ok(file.classes.clone())
        }
        (LossKind::CrossEntropy, _) => Ok((0..outputs).map(|k| k.to_string()).collect()),
        (
            LossKind::Bce,
            DataConfig::Mnist {
                digits: Some([a, b]),
                ..
            },
        ) => Ok(vec![a.to_string(), b.to_string()]),
        (LossKind::Bce | LossKind::Hinge, _) if outputs == 1 => {
            Ok(vec!["0".to_string(), "1".to_string()])
        }
        _ => Err(Error::InvalidConfig(format!(
            "eval needs a single-label classifier; {} trains {} outputs with {}, which has no confusion matrix",
            config.preset.name(),
            outputs,
            config.loss.name()
        ))),
    }
}

/// The class of each row: `argmax` over the outputs, or `z > 0` (ŷ > 0.5) for one sigmoid
/// output.
fn decisions(values: &[f64], width: usize) -> Vec<usize> {
    values
        .chunks(width.max(1))
        .map(|row| match row {
            [z] => usize::from(*z > 0.0),
            _ => {
                row.iter()
                    .enumerate()
                    .fold((0, f64::NEG_INFINITY), |best, (k, &v)| {
                        if v > best.1 { (k, v) } else { best }
                    })
                    .0
            }
        })
        .collect()
}

/// The true class of each row: the one-hot index, or `y > 0.5` for a 0/1 target.
fn truths(values: &[f64], width: usize) -> Vec<usize> {
    values
        .chunks(width.max(1))
        .map(|row| match row {
            [y] => usize::from(*y > 0.5),
            _ => row.iter().position(|&y| y > 0.5).unwrap_or(0),
        })
        .collect()
}

/// The true and the predicted class of every example of `batches`, in order.
pub fn classify(model: &Mlp, batches: &Batches) -> Result<Vec<(usize, usize)>> {
    let mut pairs = Vec::new();
    for batch in batches.in_order() {
        let batch = batch?;
        let logits: Tensor<2> = model.forward_logits(batch.inputs()); // [batch, outputs]
        let [_, width] = logits.dims();
        let predicted = decisions(&host_values(logits)?, width);
        let truth = truths(&host_values(batch.targets())?, width);
        pairs.extend(truth.into_iter().zip(predicted));
    }
    Ok(pairs)
}

/// Evaluates `model` on every batch of `batches` into a confusion matrix over `classes`.
pub fn confusion(model: &Mlp, batches: &Batches, classes: Vec<String>) -> Result<Confusion> {
    Ok(Confusion::from_pairs(classes, classify(model, batches)?))
}

/// Evaluates the run in `dir` on its test split (MNIST), or on its training data when it has
/// none; `data_dir` overrides where MNIST is read from.
pub fn evaluate_run(
    dir: &RunDir,
    data_dir: Option<&Path>,
    device: &Device,
) -> Result<(ExperimentConfig, EvalReport)> {
    evaluate_run_on(dir, data_dir, None, device)
}

/// [`evaluate_run`], on `data_file` (rows held out, in the same columns) instead of the file a
/// run trained on. The run's own file is read again only if its SHA-256 is the recorded one.
/// A regression is evaluated by its loss alone.
pub fn evaluate_run_on(
    dir: &RunDir,
    data_dir: Option<&Path>,
    data_file: Option<&Path>,
    device: &Device,
) -> Result<(ExperimentConfig, EvalReport)> {
    let mut config = dir.config()?;
    if let (DataConfig::Mnist { dir: mnist_dir, .. }, Some(given)) = (&mut config.data, data_dir) {
        *mnist_dir = Some(given.to_path_buf());
    }
    match (&mut config.data, data_file) {
        (DataConfig::File(file), Some(other)) => *file = file.with_file(other)?,
        (data, Some(_)) => {
            return Err(Error::InvalidConfig(format!(
                "--data-file evaluates a run trained on a CSV file; {} trained on the {} data",
                dir.path().display(),
                data.name()
            )));
        }
        (_, None) => {}
    }
    let regression = matches!(&config.data, DataConfig::File(file) if file.task == Task::Regress);
    let classes = if regression {
        Vec::new()
    } else {
        classes(&config)?
    };
    let model = dir.model(&config, device)?;
    let experiment = Experiment::new(&config, device)?;
    let (train, test) = experiment.data.batches(&config, device)?;
    let (split, batches) = match test {
        Some(test) => ("test", test),
        None => ("training", train),
    };
    let loss = evaluate(&model, batches.in_order(), &config)?.loss;
    let confusion = if regression {
        Confusion::new(classes)
    } else {
        confusion(&model, &batches, classes)?
    };
    Ok((
        config,
        EvalReport {
            split,
            loss,
            confusion,
        },
    ))
}

/// One picture's classes, most probable first.
#[derive(Clone, Debug, PartialEq)]
pub struct Prediction {
    /// Class names and their probabilities, in decreasing probability.
    pub ranked: Vec<(String, f64)>,
}

/// Classifies pictures of digits (PNG or JPEG, any size, see [`crate::data::picture`]) with the
/// MNIST run in `dir`, one [`Prediction`] per picture.
pub fn predict_pictures(
    dir: &RunDir,
    pictures: &[impl AsRef<Path>],
    device: &Device,
) -> Result<(ExperimentConfig, Vec<Prediction>)> {
    let config = dir.config()?;
    if !matches!(config.data, DataConfig::Mnist { .. }) {
        return Err(Error::InvalidConfig(format!(
            "predict classifies pictures with an MNIST run; {} takes {} inputs, not 28 × 28 pixels",
            config.preset.name(),
            config.data.inputs()
        )));
    }
    let classes = classes(&config)?;
    let model = dir.model(&config, device)?;
    let mut digits = Digits {
        pixels: Vec::with_capacity(pictures.len() * mnist::PIXELS),
        labels: vec![0; pictures.len()],
    };
    for path in pictures {
        digits.pixels.extend(read_digit(path.as_ref())?);
    }
    let items = DigitDataset::new(digits).items().collect();
    let batch = digit_batcher(&config).batch(items, device);
    let outputs = model.forward(batch.inputs()); // [pictures, outputs]
    let [_, width] = outputs.dims();
    let probabilities = host_values(outputs)?;
    let predictions = probabilities
        .chunks(width.max(1))
        .map(|row| {
            let mut ranked: Vec<(String, f64)> = match row {
                // One sigmoid output: P(second digit) = ŷ.
                [p] => vec![(classes[0].clone(), 1.0 - p), (classes[1].clone(), *p)],
                _ => classes.iter().cloned().zip(row.iter().copied()).collect(),
            };
            ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
            Prediction { ranked }
        })
        .collect();
    Ok((config, predictions))
}

impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.confusion;
        if c.classes.is_empty() {
            return write!(
                f,
                "{} loss {:.6} (a regression: no accuracy, no confusion matrix)",
                self.split, self.loss
            );
        }
        writeln!(
            f,
            // The accuracy in full (Rust's shortest repr, as train's summary prints it): four
            // decimals would show 49998 of 50000 as 1.0000.
            "{} loss {:.6}, {} accuracy {} ({} of {})",
            self.split,
            self.loss,
            self.split,
            c.accuracy(),
            c.correct(),
            c.total()
        )?;
        writeln!(f)?;
        // Class names as wide as the longest (a CSV file's may be words), at least 5.
        let w = c
            .classes
            .iter()
            .map(|n| n.chars().count())
            .max()
            .unwrap_or(0)
            .max(5);
        writeln!(f, "{:<w$}  support  precision  recall", "class")?;
        let figure = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{x:.4}"));
        for (k, name) in c.classes.iter().enumerate() {
            writeln!(
                f,
                "{name:<w$}  {:>7}  {:>9}  {:>6}",
                c.support(k),
                figure(c.precision(k)),
                figure(c.recall(k))
            )?;
        }
        writeln!(f)?;
        writeln!(f, "confusion matrix (rows: true class, columns: predicted)")?;
        let width = c.total().to_string().len().max(3);
        write!(f, "{:<w$}", "")?;
        for name in &c.classes {
            let width = width.max(name.chars().count());
            write!(f, " {name:>width$}")?;
        }
        for (name, row) in c.classes.iter().zip(&c.counts) {
            write!(f, "\n{name:<w$}")?;
            for (count, column) in row.iter().zip(&c.classes) {
                let width = width.max(column.chars().count());
                write!(f, " {count:>width$}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_recall_and_csv_of_a_small_matrix() {
        let mut c = Confusion::new(vec!["0".into(), "1".into()]);
        // Two zeros predicted correctly, one zero called 1, one 1 predicted correctly.
        for (t, p) in [(0, 0), (0, 0), (0, 1), (1, 1)] {
            c.add(t, p);
        }
        assert_eq!(c.accuracy(), 0.75);
        assert_eq!(c.precision(1), Some(0.5));
        assert_eq!(c.recall(0), Some(2.0 / 3.0));
        assert_eq!(c.to_csv(), "true\\predicted,0,1\n0,2,1\n1,0,1\n");
    }

    #[test]
    fn decisions_take_the_argmax_or_the_sign() {
        assert_eq!(decisions(&[0.1, 2.0, -1.0, 3.0, 0.0, 0.0], 3), [1, 0]);
        assert_eq!(decisions(&[0.2, -0.2, 0.0], 1), [1, 0, 0]);
        assert_eq!(truths(&[0.0, 1.0, 1.0, 0.0], 2), [1, 0]);
    }
}
