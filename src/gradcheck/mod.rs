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
//!
//! The parts: [`Problem`] (the loss and its gradients), [`numeric_gradients`] and
//! [`numeric_slopes`] (the finite differences), and here the verdicts and the report.

mod numeric;
mod problem;

use std::fmt;

use burn::module::Module;
use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use crate::config::ExperimentConfig;
use crate::device::{self, Backend};
use crate::error::{Error, Result};

use numeric::sum;
pub use numeric::{ErrorStats, Numeric, Slope, error_stats, numeric_gradients, numeric_slopes};
pub use problem::{HostTensor, Problem, host_tensors};

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

impl GradcheckReport {
    /// Why the check failed, in one sentence naming the failing tensors, or `None` when it
    /// passed (a warning passes: the gradient is suspicious, not wrong).
    pub fn failure(&self) -> Option<String> {
        if self.verdict != Verdict::Fail {
            return None;
        }
        let failing = self
            .tensors
            .iter()
            .filter(|t| t.verdict == Verdict::Fail)
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        Some(format!(
            "gradient check failed for {failing}: relative error above {FAIL_ABOVE:e}"
        ))
    }
}

/// The check of `config`'s initial network as `burnprop gradcheck` and `reproduce` run it: on
/// `examples` of its training examples (all of them with `None`), element by element unless
/// `directional` or the network is too large for that ([`auto_mode`]), in f64. A device without
/// f64 hands the numerics to the host backend ([`device::for_f64`]); the backend that ran it
/// comes back with the note that says so.
pub fn check_config(
    config: &ExperimentConfig,
    examples: Option<usize>,
    eps: f64,
    directional: bool,
    backend: Backend,
    device: Device,
) -> Result<(GradcheckReport, Backend, Option<String>)> {
    let (backend, device, moved) = device::for_f64(backend, device)?;
    let problem = Problem::from_config(config, examples, &device)?;
    let mode = if directional {
        Mode::Directional
    } else {
        auto_mode(&problem)
    };
    let options = CheckOptions {
        eps,
        mode,
        seed: config.seed,
    };
    Ok((check(&problem, options)?, backend, moved))
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
