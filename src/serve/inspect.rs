//! The playground's two views of the gradients of the network on the page: "check
//! gradients" (the three-way check `burnprop gradcheck` runs, at the current parameters) and
//! backprop mode (one example's forward and backward pass, entry by entry, as `burnprop
//! trace` writes it, with each entry's equation as MathML).
//!
//! Both work in f64 on a copy of the network the run last showed ([`Snapshot`]), its
//! parameters widened exactly from f32, on the training split as the run's batches serve it
//! (through `--features` and the standardisation).

use burn::tensor::Device;
use serde::Serialize;

use super::run::Snapshot;
use crate::config::ExperimentConfig;
use crate::device::{self, Backend};
use crate::error::{Error, Result};
use crate::gradcheck::{
    CheckOptions, GradcheckReport, HostTensor, Mode, Problem, check, host_tensors,
    numeric_gradients,
};
use crate::loss::Objective;
use crate::model::Mlp;
use crate::tensor::{Precision, host_tensor, host_values};
use crate::trace::{Stage, rows};
use crate::train::Experiment;

/// One parameter tensor: its values and its gradient three ways.
#[derive(Clone, Debug, Serialize)]
pub struct Gradients {
    /// `W1`, `b1`, …
    pub name: String,
    /// Its shape.
    pub shape: Vec<usize>,
    /// The parameters, row-major.
    pub values: Vec<f64>,
    /// By the hand-derived backward pass.
    pub manual: Vec<f64>,
    /// By burn's autodiff.
    pub autodiff: Vec<f64>,
    /// By central differences.
    pub numeric: Vec<f64>,
}

/// "Check gradients": the report `burnprop gradcheck --json` prints, and every element.
#[derive(Clone, Debug, Serialize)]
pub struct Checked {
    /// The step of the network checked.
    pub step: usize,
    /// The verdicts.
    pub report: GradcheckReport,
    /// Every element, three ways.
    pub tensors: Vec<Gradients>,
}

/// One entry of backprop mode.
#[derive(Clone, Debug, Serialize)]
pub struct Entry {
    /// The trace's name (`Z1`, `dW2`, …).
    pub name: String,
    /// Input, forward, loss or backward.
    pub stage: Stage,
    /// The layer it belongs to (0: the inputs).
    pub layer: usize,
    /// `x`, `y`, `W`, `b`, `z`, `a`, `yhat`, `loss`, `delta`, `dW` or `db`.
    pub quantity: &'static str,
    /// Its shape.
    pub shape: Vec<usize>,
    /// Its values, row-major.
    pub values: Vec<f64>,
    /// Its equation in LaTeX.
    pub latex: String,
    /// The same as MathML.
    pub mathml: String,
}

/// Backprop mode on one example.
#[derive(Clone, Debug, Serialize)]
pub struct Backprop {
    /// The step of the network.
    pub step: usize,
    /// The example's index in the training split.
    pub example: usize,
    /// Its inputs as the network reads them.
    pub x: Vec<f64>,
    /// Its targets.
    pub target: Vec<f64>,
    /// The pass, entry by entry.
    pub entries: Vec<Entry>,
    /// Every parameter's gradient on this example, three ways.
    pub tensors: Vec<Gradients>,
}

/// The finite-difference step, `burnprop gradcheck`'s default.
const EPS: f64 = 1e-6;

/// The problem of `snapshot`'s network on the training examples `rows` (all of them with
/// `None`), in f64.
fn problem(
    config: &ExperimentConfig,
    snapshot: &Snapshot,
    example: Option<usize>,
    device: &Device,
) -> Result<Problem> {
    let mut config = config.clone();
    config.dtype = Precision::F64;
    let experiment = Experiment::new(&config, device)?;
    let n = experiment.examples().map_or(0, |e| e.len());
    let take = match example {
        Some(i) if i < n => i + 1,
        Some(i) => {
            return Err(Error::InvalidConfig(format!(
                "example {i} is not in the training split, which has {n} examples"
            )));
        }
        None => n,
    };
    let batch = experiment.first_batch(&config, take, device);
    let (mut inputs, mut targets) = (batch.inputs(), batch.targets());
    if let Some(i) = example {
        let ([_, n_in], [_, n_out]) = (inputs.dims(), targets.dims());
        inputs = inputs.slice([i..i + 1, 0..n_in]);
        targets = targets.slice([i..i + 1, 0..n_out]);
    }
    Ok(Problem {
        model: widened(&snapshot.model, &experiment.model, device)?,
        inputs,
        targets,
        loss: config.loss,
        reduction: config.reduction,
        l2: config.penalty(),
    })
}

/// `trained`'s parameters in the f64 network `shape` (same sizes), on `device`.
fn widened(trained: &Mlp, shape: &Mlp, device: &Device) -> Result<Mlp> {
    let mut params = shape.params();
    for (to, from) in params.iter_mut().zip(trained.params()) {
        let dims = from.weight.dims();
        to.weight = host_tensor(host_values(from.weight)?, dims, Precision::F64, device);
        to.bias = match from.bias {
            Some(b) => {
                let dims = b.dims();
                Some(host_tensor(host_values(b)?, dims, Precision::F64, device))
            }
            None => None,
        };
    }
    Ok(shape.with_params(params))
}

/// The gradients of `problem` three ways, element by element.
fn three_ways(problem: &Problem) -> Result<Vec<Gradients>> {
    let values = problem.params()?;
    let manual = host_tensors(&problem.manual_gradients().layers)?;
    let autodiff = host_tensors(&problem.autodiff_gradients()?.layers)?;
    let numeric = numeric_gradients(problem, EPS)?.gradients;
    let take = |t: Option<&HostTensor>| t.map(|t| t.values.clone()).unwrap_or_default();
    Ok(values
        .into_iter()
        .enumerate()
        .map(|(i, v)| Gradients {
            manual: take(manual.get(i)),
            autodiff: take(autodiff.get(i)),
            numeric: take(numeric.get(i)),
            name: v.name,
            shape: v.shape,
            values: v.values,
        })
        .collect())
}

/// The f64 device of `device` (the host backend where it has no f64).
fn f64_device(backend: Backend, device: &Device) -> Result<Device> {
    Ok(device::for_f64(backend, device.clone())?.1)
}

/// "Check gradients" at `snapshot`'s parameters, on the whole training split.
pub fn gradcheck(
    config: &ExperimentConfig,
    snapshot: &Snapshot,
    backend: Backend,
    device: &Device,
) -> Result<Checked> {
    let device = f64_device(backend, device)?;
    let problem = problem(config, snapshot, None, &device)?;
    let options = CheckOptions {
        eps: EPS,
        mode: Mode::Elementwise,
        seed: config.seed,
    };
    Ok(Checked {
        step: snapshot.step,
        report: check(&problem, options)?,
        tensors: three_ways(&problem)?,
    })
}

/// Backprop mode on training example `example` at `snapshot`'s parameters.
pub fn backprop(
    config: &ExperimentConfig,
    snapshot: &Snapshot,
    example: usize,
    backend: Backend,
    device: &Device,
) -> Result<Backprop> {
    let device = f64_device(backend, device)?;
    let problem = problem(config, snapshot, Some(example), &device)?;
    let objective = Objective {
        kind: problem.loss,
        reduction: problem.reduction,
        l2: problem.l2,
    };
    let trace = rows(
        &problem.model,
        problem.inputs.clone(),
        problem.targets.clone(),
        objective,
    )?;
    let depth = problem.model.layers.len();
    let entries = trace
        .entries
        .into_iter()
        .map(|e| {
            let (layer, quantity) = role(&e.name, depth);
            Entry {
                mathml: mathml(&e.latex),
                name: e.name,
                stage: e.stage,
                layer,
                quantity,
                shape: e.shape,
                values: e.values,
                latex: e.latex,
            }
        })
        .collect();
    Ok(Backprop {
        step: snapshot.step,
        example,
        x: host_values(problem.inputs.clone())?,
        target: host_values(problem.targets.clone())?,
        entries,
        tensors: three_ways(&problem)?,
    })
}

/// The layer and quantity a trace entry's name stands for.
fn role(name: &str, depth: usize) -> (usize, &'static str) {
    let split = name
        .find(|c: char| c.is_ascii_digit())
        .unwrap_or(name.len());
    let (stem, number) = name.split_at(split);
    let layer = number.parse().unwrap_or(0);
    match stem {
        "X" => (0, "x"),
        "Y" => (depth, "y"),
        "W" => (layer, "W"),
        "b" => (layer, "b"),
        "Z" => (layer, "z"),
        "A" => (layer, "a"),
        "Ŷ" => (depth, "yhat"),
        "J" => (depth, "loss"),
        "dZ" => (layer, "delta"),
        "dW" => (layer, "dW"),
        "db" => (layer, "db"),
        _ => (layer, "other"),
    }
}

/// `latex` as a MathML block; the LaTeX itself in an `<mtext>` where the converter cannot
/// read it.
fn mathml(latex: &str) -> String {
    latex2mathml::latex_to_mathml(latex, latex2mathml::DisplayStyle::Block).unwrap_or_else(|_| {
        let escaped = latex
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        format!("<math display=\"block\"><mtext>{escaped}</mtext></math>")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_names_map_to_layers_and_quantities() {
        // The names `trace::derivation` gives its entries, for a network of two layers.
        assert_eq!(role("X", 2), (0, "x"));
        assert_eq!(role("Z1", 2), (1, "z"));
        assert_eq!(role("A1", 2), (1, "a"));
        assert_eq!(role("Ŷ", 2), (2, "yhat"));
        assert_eq!(role("dZ2", 2), (2, "delta"));
        assert_eq!(role("dW1", 2), (1, "dW"));
        assert_eq!(role("db2", 2), (2, "db"));
    }

    #[test]
    fn every_equation_of_a_trace_becomes_mathml() {
        let math = mathml(r"\mathbf{Z}_{1} = \mathbf{X}\mathbf{W}_{1} + \mathbf{b}_{1}");
        assert!(math.starts_with("<math") && math.contains("<mi"), "{math}");
    }
}
