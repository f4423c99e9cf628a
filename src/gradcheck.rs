//! Gradient checking: the manual and the autodiff gradients against central finite
//! differences, in f64.
//!
//! Notebook 000 checks its backprop this way (`eps = 1e-4`, `np.allclose`); this module does it
//! for any network and reports, per parameter tensor, how far each analytic gradient is from the
//! numeric one.
//!
//! - **Element-wise** (the default): for every parameter element θⱼ,
//!   `nⱼ = (J(θ + ε·eⱼ) − J(θ − ε·eⱼ)) / 2ε`.
//! - **Directional** (for networks too large to perturb element by element): for each tensor, one
//!   seeded random unit direction `v`, and `n = (J(θ + ε·v) − J(θ − ε·v)) / 2ε` against the
//!   analytic slope `∇J·v`.
//!
//! The comparison, per tensor, over its elements `a` (analytic) and `n` (numeric):
//! `max |Δ| = maxⱼ |aⱼ − nⱼ|` and the relative error `‖a − n‖ / max(‖a‖ + ‖n‖, tiny)` (Euclidean
//! norms: an element whose gradient is zero up to round-off cannot blow the ratio up, as it can
//! element by element). The verdict follows cs231n's bands: ≤ 1e-7 passes; ≤ 1e-4 passes when the
//! network has ReLU units (their kinks make finite differences rougher); up to 1e-2 warns; above
//! fails.
//!
//! **Kinks.** ReLU is not differentiable at 0. When a perturbation moves a ReLU input across 0,
//! the finite difference straddles the kink and means nothing; such an element is marked and left
//! out of the comparison instead of failing it.

use std::fmt;

use burn::module::Module;
use burn::tensor::{DType, Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::config::ExperimentConfig;
use crate::error::{Error, Result};
use crate::loss::{LossKind, Reduction};
use crate::manual;
use crate::model::Mlp;
use crate::model::activation::Activation;
use crate::model::mlp::{Gradients, LayerParams};
use crate::rng::NumpyRng;
use crate::tensor::{Precision, host_tensor, host_values};
use crate::train::{self, Experiment};

/// The default finite-difference step.
pub const DEFAULT_EPS: f64 = 1e-6;
/// Relative errors up to this pass.
pub const PASS: f64 = 1e-7;
/// Relative errors up to this pass when the network has ReLU kinks.
pub const PASS_WITH_KINKS: f64 = 1e-4;
/// Relative errors above this fail; between the pass band and this, a warning.
pub const FAIL_ABOVE: f64 = 1e-2;
/// The floor of the relative error's denominator, so that two zero gradients agree.
pub const TINY: f64 = f64::MIN_POSITIVE;

/// A loss to differentiate: a network, one batch, an objective; all in f64.
#[derive(Debug)]
pub struct Problem {
    /// The network at the parameters θ where the gradient is checked.
    pub model: Mlp,
    /// `[m, n_0]`.
    pub inputs: Tensor<2>,
    /// `[m, n_L]`.
    pub targets: Tensor<2>,
    /// The objective.
    pub loss: LossKind,
    /// Sum or mean over the examples.
    pub reduction: Reduction,
}

/// A parameter tensor or a gradient, copied to the host.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HostTensor {
    /// `W1`, `b1`, `W2`, … (layer numbers from 1, burn's layout).
    pub name: String,
    /// Its shape.
    pub shape: Vec<usize>,
    /// Its values, row-major.
    pub values: Vec<f64>,
}

/// Copies per-layer tensors (parameters or gradients) to the host, named `W1, b1, W2, …`.
pub fn host_tensors(layers: &[LayerParams]) -> Result<Vec<HostTensor>> {
    let mut out = Vec::new();
    for (i, layer) in layers.iter().enumerate() {
        out.push(HostTensor {
            name: format!("W{}", i + 1),
            shape: layer.weight.dims().to_vec(),
            values: host_values(layer.weight.clone())?,
        });
        if let Some(b) = &layer.bias {
            out.push(HostTensor {
                name: format!("b{}", i + 1),
                shape: b.dims().to_vec(),
                values: host_values(b.clone())?,
            });
        }
    }
    Ok(out)
}

impl Problem {
    /// The check of `config`'s network at its initial parameters, on the first `examples`
    /// training examples (default: the whole training set, or one minibatch if the preset
    /// trains on minibatches). Data and parameters are drawn in f64 from the run's seed.
    pub fn from_config(
        config: &ExperimentConfig,
        examples: Option<usize>,
        device: &Device,
    ) -> Result<Self> {
        let mut config = config.clone();
        config.dtype = Precision::F64;
        let experiment = Experiment::new(&config, device)?;
        let take = examples
            .or(config.batch_size)
            .unwrap_or(experiment.data.len());
        if take == 0 {
            return Err(Error::InvalidConfig(
                "--examples must be at least 1".to_string(),
            ));
        }
        let batch = experiment.first_batch(&config, take, device);
        Ok(Self {
            model: experiment.model,
            inputs: batch.inputs,
            targets: batch.targets,
            loss: config.loss,
            reduction: config.reduction,
        })
    }

    /// Number of examples in the batch.
    pub fn examples(&self) -> usize {
        self.inputs.dims()[0]
    }

    /// Whether any hidden layer is a ReLU (whose kinks the check must watch for).
    pub fn has_kinks(&self) -> bool {
        self.model.hidden_activations.contains(&Activation::Relu)
    }

    fn check_precision(&self) -> Result<()> {
        if self.inputs.dtype() != DType::F64 {
            return Err(Error::InvalidConfig(
                "the gradient check needs f64 tensors: finite differences in f32 lose half their digits".to_string(),
            ));
        }
        Ok(())
    }

    /// The network with its parameters replaced by `params` (host tensors, in order).
    fn model_at(&self, params: &[HostTensor]) -> Mlp {
        let device = self.inputs.device();
        let tensor = |t: &HostTensor| t.values.clone();
        let mut next = params.iter();
        let layers = self
            .model
            .layers
            .iter()
            .map(|layer| {
                let [n_in, n_out] = layer.weight.dims();
                let weight = next.next().map(tensor).unwrap_or_default();
                let bias = layer.bias.as_ref().map(|_| {
                    let values = next.next().map(tensor).unwrap_or_default();
                    host_tensor(values, [n_out], Precision::F64, &device)
                });
                LayerParams {
                    weight: host_tensor(weight, [n_in, n_out], Precision::F64, &device),
                    bias,
                }
            })
            .collect();
        self.model.with_params(layers)
    }

    /// The per-example losses `ℓᵢ` at `params`, and the sign of every ReLU input (`Z > 0`)
    /// when the network has any.
    fn evaluate(&self, params: &[HostTensor]) -> Result<(Vec<f64>, Vec<bool>)> {
        let model = self.model_at(params);
        let mut z = model.pre_activations(self.inputs.clone());
        let mut signs = Vec::new();
        for (l, g) in model.hidden_activations.iter().enumerate() {
            if *g == Activation::Relu {
                signs.extend(host_values(z[l].clone())?.into_iter().map(|v| v > 0.0));
            }
        }
        let logits = z.pop().unwrap_or_else(|| self.inputs.clone());
        let losses = host_values(self.loss.per_example(logits, self.targets.clone()))?;
        Ok((losses, signs))
    }

    /// `(J(θ⁺) − J(θ⁻)) / 2ε` from the per-example losses at `θ⁺` and `θ⁻`.
    ///
    /// The losses are differenced example by example before they are summed: `J` itself can be
    /// large (notebook 000's summed loss is about 39000 over 50000 examples), and two such sums
    /// differ by less than their own rounding error when ε is small.
    fn central_difference(&self, high: &[f64], low: &[f64], eps: f64) -> f64 {
        let s = self.reduction.scale(high.len());
        s * sum(high.iter().zip(low).map(|(h, l)| h - l)) / (2.0 * eps)
    }

    /// `J` from per-example losses.
    fn objective(&self, losses: &[f64]) -> f64 {
        self.reduction.scale(losses.len()) * sum(losses.iter().copied())
    }

    /// The parameters θ on the host.
    pub fn params(&self) -> Result<Vec<HostTensor>> {
        host_tensors(&self.model.params())
    }

    /// `J(θ)`.
    pub fn loss_value(&self) -> Result<f64> {
        Ok(self.objective(&self.evaluate(&self.params()?)?.0))
    }

    /// The manual module's gradients ([`manual::row`]).
    pub fn manual_gradients(&self) -> Gradients {
        manual::row::gradients(
            &self.model,
            self.inputs.clone(),
            self.targets.clone(),
            self.reduction,
        )
    }

    /// burn's autodiff gradients.
    pub fn autodiff_gradients(&self) -> Result<Gradients> {
        train::steppers::autodiff::gradients(
            &self.model,
            self.inputs.clone(),
            self.targets.clone(),
            self.loss,
            self.reduction,
        )
        .map(|(_, grads)| grads)
    }
}

/// Central differences for every parameter element.
#[derive(Clone, Debug)]
pub struct Numeric {
    /// `J(θ)`.
    pub loss: f64,
    /// `(J(θ + ε·eⱼ) − J(θ − ε·eⱼ)) / 2ε` per element, tensor by tensor.
    pub gradients: Vec<HostTensor>,
    /// Per element: whether `θ ± ε·eⱼ` moved a ReLU input across 0.
    pub kinks: Vec<Vec<bool>>,
}

/// Element-wise central differences of `problem`'s loss with step `eps`.
pub fn numeric_gradients(problem: &Problem, eps: f64) -> Result<Numeric> {
    problem.check_precision()?;
    let base = problem.params()?;
    let (losses, signs) = problem.evaluate(&base)?;
    let loss = problem.objective(&losses);
    let mut gradients = Vec::with_capacity(base.len());
    let mut kinks = Vec::with_capacity(base.len());
    let mut params = base.clone();
    for t in 0..base.len() {
        let mut grad = Vec::with_capacity(base[t].values.len());
        let mut kinked = Vec::with_capacity(base[t].values.len());
        for j in 0..base[t].values.len() {
            let theta = base[t].values[j];
            params[t].values[j] = theta + eps;
            let (high, high_signs) = problem.evaluate(&params)?;
            params[t].values[j] = theta - eps;
            let (low, low_signs) = problem.evaluate(&params)?;
            params[t].values[j] = theta;
            grad.push(problem.central_difference(&high, &low, eps));
            kinked.push(high_signs != signs || low_signs != signs);
        }
        gradients.push(HostTensor {
            values: grad,
            ..base[t].clone()
        });
        kinks.push(kinked);
    }
    Ok(Numeric {
        loss,
        gradients,
        kinks,
    })
}

/// One tensor's numeric directional derivative.
#[derive(Clone, Debug)]
pub struct Slope {
    /// The tensor's name.
    pub name: String,
    /// The unit direction `v` (only this tensor moves).
    pub direction: Vec<f64>,
    /// `(J(θ + ε·v) − J(θ − ε·v)) / 2ε`.
    pub numeric: f64,
    /// Whether the step crossed a ReLU kink.
    pub kink: bool,
}

/// Directional central differences, one seeded random unit direction per tensor.
pub fn numeric_slopes(problem: &Problem, eps: f64, seed: u32) -> Result<(f64, Vec<Slope>)> {
    problem.check_precision()?;
    let base = problem.params()?;
    let (losses, signs) = problem.evaluate(&base)?;
    let loss = problem.objective(&losses);
    let mut rng = NumpyRng::new(seed);
    let mut slopes = Vec::with_capacity(base.len());
    for t in 0..base.len() {
        let mut direction = rng.randn_vec(base[t].values.len());
        let norm = direction.iter().map(|v| v * v).sum::<f64>().sqrt();
        direction.iter_mut().for_each(|v| *v /= norm.max(TINY));
        let mut params = base.clone();
        let step = |params: &mut Vec<HostTensor>, sign: f64| {
            for (p, (theta, v)) in params[t]
                .values
                .iter_mut()
                .zip(base[t].values.iter().zip(&direction))
            {
                *p = theta + sign * eps * v;
            }
        };
        step(&mut params, 1.0);
        let (high, high_signs) = problem.evaluate(&params)?;
        step(&mut params, -1.0);
        let (low, low_signs) = problem.evaluate(&params)?;
        slopes.push(Slope {
            name: base[t].name.clone(),
            direction,
            numeric: problem.central_difference(&high, &low, eps),
            kink: high_signs != signs || low_signs != signs,
        });
    }
    Ok((loss, slopes))
}

/// A compensated (Neumaier) sum: exact to about one rounding of the result, whatever the count.
fn sum(values: impl Iterator<Item = f64>) -> f64 {
    let (mut total, mut carry) = (0.0f64, 0.0f64);
    for v in values {
        let t = total + v;
        carry += if total.abs() >= v.abs() {
            (total - t) + v
        } else {
            (v - t) + total
        };
        total = t;
    }
    total + carry
}

/// How far an analytic gradient is from another (numeric) one, over one tensor.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorStats {
    /// `maxⱼ |aⱼ − nⱼ|`.
    pub max_abs: f64,
    /// `‖a − n‖ / max(‖a‖ + ‖n‖, tiny)`.
    pub rel: f64,
}

/// Compares `a` with `n`, leaving out the elements marked in `skip` (kinks).
pub fn error_stats(a: &[f64], n: &[f64], skip: &[bool]) -> ErrorStats {
    let mut max_abs: f64 = 0.0;
    let (mut diff, mut norm_a, mut norm_n) = (0.0, 0.0, 0.0);
    for (j, (a, n)) in a.iter().zip(n).enumerate() {
        if skip.get(j).copied().unwrap_or(false) {
            continue;
        }
        let d = (a - n).abs();
        // NaN must not hide behind max: it fails the check.
        max_abs = if d.is_nan() { f64::NAN } else { max_abs.max(d) };
        diff += d * d;
        norm_a += a * a;
        norm_n += n * n;
    }
    ErrorStats {
        max_abs,
        rel: diff.sqrt() / (norm_a.sqrt() + norm_n.sqrt()).max(TINY),
    }
}

/// The outcome of a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Within the pass band.
    Pass,
    /// Between the pass band and [`FAIL_ABOVE`]: suspicious.
    Warn,
    /// Above [`FAIL_ABOVE`] (or not a number): the gradient is wrong.
    Fail,
}

impl Verdict {
    /// cs231n's bands for a relative error; `kinks` widens the pass band to
    /// [`PASS_WITH_KINKS`].
    pub fn of(rel: f64, kinks: bool) -> Self {
        let pass = if kinks { PASS_WITH_KINKS } else { PASS };
        if rel <= pass {
            Verdict::Pass
        } else if rel <= FAIL_ABOVE {
            Verdict::Warn
        } else {
            // Also NaN, which compares false everywhere.
            Verdict::Fail
        }
    }

    /// `pass`, `warn` or `fail`.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
        }
    }
}

/// The check of one parameter tensor.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TensorCheck {
    /// `W1`, `b1`, …
    pub name: String,
    /// Its shape (burn's layout).
    pub shape: Vec<usize>,
    /// How many elements it has.
    pub elements: usize,
    /// Elements (or, in directional mode, the one direction) that crossed a ReLU kink and were
    /// left out.
    pub kinks: usize,
    /// The manual gradient against the numeric one.
    pub manual: ErrorStats,
    /// The autodiff gradient against the numeric one.
    pub autodiff: ErrorStats,
    /// The manual gradient against the autodiff one.
    pub manual_vs_autodiff: ErrorStats,
    /// The worse of the two verdicts against the numeric gradient.
    pub verdict: Verdict,
}

/// How the numeric gradient was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Every element perturbed on its own.
    Elementwise,
    /// One random direction per tensor.
    Directional,
}

/// Above this many parameters, [`auto_mode`] checks along directions: element by element,
/// MNIST's 101770 parameters would take two forward passes each.
pub const ELEMENTWISE_UP_TO: usize = 20_000;

/// Element-wise for networks up to [`ELEMENTWISE_UP_TO`] parameters, directional above.
pub fn auto_mode(problem: &Problem) -> Mode {
    if problem.model.num_params() <= ELEMENTWISE_UP_TO {
        Mode::Elementwise
    } else {
        Mode::Directional
    }
}

/// What to check and how.
#[derive(Clone, Copy, Debug)]
pub struct CheckOptions {
    /// The finite-difference step ε.
    pub eps: f64,
    /// Directional instead of element-wise.
    pub mode: Mode,
    /// The seed of the directions.
    pub seed: u32,
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            eps: DEFAULT_EPS,
            mode: Mode::Elementwise,
            seed: 0,
        }
    }
}

/// The whole three-way check.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GradcheckReport {
    /// Element-wise or directional.
    pub mode: Mode,
    /// The step ε.
    pub eps: f64,
    /// Examples in the batch.
    pub examples: usize,
    /// `J(θ)`.
    pub loss: f64,
    /// Whether the network has ReLU units (and so the wider pass band).
    pub relu: bool,
    /// The pass band used.
    pub pass_below: f64,
    /// One row per parameter tensor.
    pub tensors: Vec<TensorCheck>,
    /// The worst verdict.
    pub verdict: Verdict,
}

/// Checks the manual and autodiff gradients of `problem` against finite differences.
pub fn check(problem: &Problem, options: CheckOptions) -> Result<GradcheckReport> {
    if !(options.eps > 0.0 && options.eps.is_finite()) {
        return Err(Error::InvalidConfig(format!(
            "--eps must be a positive number, got {}",
            options.eps
        )));
    }
    let manual = host_tensors(&problem.manual_gradients().layers)?;
    let autodiff = host_tensors(&problem.autodiff_gradients()?.layers)?;
    let relu = problem.has_kinks();
    let (loss, tensors): (f64, Vec<TensorCheck>) = match options.mode {
        Mode::Elementwise => {
            let numeric = numeric_gradients(problem, options.eps)?;
            let rows = numeric
                .gradients
                .iter()
                .zip(&numeric.kinks)
                .enumerate()
                .map(|(t, (n, kinks))| {
                    let (m, a) = (&manual[t].values, &autodiff[t].values);
                    TensorCheck::new(
                        &manual[t],
                        kinks,
                        [
                            error_stats(m, &n.values, kinks),
                            error_stats(a, &n.values, kinks),
                        ],
                        error_stats(m, a, &[]),
                        relu,
                    )
                })
                .collect();
            (numeric.loss, rows)
        }
        Mode::Directional => {
            let (loss, slopes) = numeric_slopes(problem, options.eps, options.seed)?;
            let rows = slopes
                .iter()
                .enumerate()
                .map(|(t, slope)| {
                    // ∇J·v, the slope the analytic gradient predicts along v.
                    let dot = |g: &[f64]| sum(g.iter().zip(&slope.direction).map(|(g, v)| g * v));
                    let (m, a) = (&manual[t].values, &autodiff[t].values);
                    let kink = [slope.kink];
                    TensorCheck::new(
                        &manual[t],
                        &kink,
                        [
                            error_stats(&[dot(m)], &[slope.numeric], &kink),
                            error_stats(&[dot(a)], &[slope.numeric], &kink),
                        ],
                        error_stats(m, a, &[]),
                        relu,
                    )
                })
                .collect();
            (loss, rows)
        }
    };
    let verdict = tensors
        .iter()
        .map(|t| t.verdict)
        .max()
        .unwrap_or(Verdict::Pass);
    Ok(GradcheckReport {
        mode: options.mode,
        eps: options.eps,
        examples: problem.examples(),
        loss,
        relu,
        pass_below: if relu { PASS_WITH_KINKS } else { PASS },
        tensors,
        verdict,
    })
}

impl TensorCheck {
    /// The row of `tensor`: `kinks` marks the compared values (elements, or the one direction)
    /// that crossed a kink; `against_numeric` holds the manual and the autodiff comparison.
    fn new(
        tensor: &HostTensor,
        kinks: &[bool],
        against_numeric: [ErrorStats; 2],
        manual_vs_autodiff: ErrorStats,
        relu: bool,
    ) -> Self {
        let kinked = kinks.iter().filter(|&&k| k).count();
        let [manual, autodiff] = against_numeric;
        let verdict = if kinked == kinks.len() && !kinks.is_empty() {
            // Every compared value straddled a kink: nothing was checked.
            Verdict::Warn
        } else {
            Verdict::of(manual.rel, relu).max(Verdict::of(autodiff.rel, relu))
        };
        Self {
            name: tensor.name.clone(),
            shape: tensor.shape.clone(),
            elements: tensor.values.len(),
            kinks: kinked,
            manual,
            autodiff,
            manual_vs_autodiff,
            verdict,
        }
    }
}

impl fmt::Display for GradcheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let how = match self.mode {
            Mode::Elementwise => "element by element",
            Mode::Directional => "along one random unit direction per tensor",
        };
        writeln!(
            f,
            "central differences in f64, eps {:e}, {how}, on {} examples; J(θ) = {}",
            self.eps, self.examples, self.loss
        )?;
        writeln!(
            f,
            "relative error ‖a − n‖ / (‖a‖ + ‖n‖) per tensor: pass ≤ {:e}{}, warn ≤ {:e}, fail above",
            self.pass_below,
            if self.relu { " (ReLU kinks)" } else { "" },
            FAIL_ABOVE
        )?;
        writeln!(f)?;
        writeln!(
            f,
            "{:<6} {:<10} {:>5} {:>5}   {:>9} {:>9}   {:>9} {:>9}   {:>9}   verdict",
            "tensor",
            "shape",
            "elems",
            "kinks",
            "manual−numeric",
            "",
            "autodiff−numeric",
            "",
            "man−auto"
        )?;
        writeln!(
            f,
            "{:<6} {:<10} {:>5} {:>5}   {:>9} {:>9}   {:>9} {:>9}   {:>9}",
            "", "", "", "", "max|Δ|", "rel", "max|Δ|", "rel", "rel"
        )?;
        for t in &self.tensors {
            let shape = format!("{:?}", t.shape);
            writeln!(
                f,
                "{:<6} {:<10} {:>5} {:>5}   {:>9.2e} {:>9.2e}   {:>9.2e} {:>9.2e}   {:>9.2e}   {}",
                t.name,
                shape,
                t.elements,
                t.kinks,
                t.manual.max_abs,
                t.manual.rel,
                t.autodiff.max_abs,
                t.autodiff.rel,
                t.manual_vs_autodiff.rel,
                t.verdict.name()
            )?;
        }
        write!(f, "\nverdict: {}", self.verdict.name())
    }
}
