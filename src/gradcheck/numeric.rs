//! Central finite differences, element by element or along random directions, and how far an
//! analytic gradient is from them.

use serde::{Deserialize, Serialize};

use super::{HostTensor, Problem, TINY};
use crate::error::Result;
use crate::rng::NumpyRng;

/// Central differences for every parameter element.
#[derive(Clone, Debug)]
pub struct Numeric {
    /// `J(θ)`.
    pub loss: f64,
    /// `(J(θ + ε·eⱼ) − J(θ − ε·eⱼ)) / 2ε` per element, tensor by tensor.
    pub gradients: Vec<HostTensor>,
    /// Per element: whether `θ ± ε·eⱼ` moved a ReLU input or a hinge margin across 0.
    pub kinks: Vec<Vec<bool>>,
}

/// Element-wise central differences of `problem`'s loss with step `eps`.
pub fn numeric_gradients(problem: &Problem, eps: f64) -> Result<Numeric> {
    problem.check_precision()?;
    let base = problem.params()?;
    let at_base = problem.evaluate(&base)?;
    let loss = problem.objective(&at_base);
    let signs = &at_base.signs;
    let mut gradients = Vec::with_capacity(base.len());
    let mut kinks = Vec::with_capacity(base.len());
    let mut params = base.clone();
    for t in 0..base.len() {
        let mut grad = Vec::with_capacity(base[t].values.len());
        let mut kinked = Vec::with_capacity(base[t].values.len());
        for j in 0..base[t].values.len() {
            let theta = base[t].values[j];
            params[t].values[j] = theta + eps;
            let high = problem.evaluate(&params)?;
            params[t].values[j] = theta - eps;
            let low = problem.evaluate(&params)?;
            params[t].values[j] = theta;
            grad.push(problem.central_difference(&high, &low, eps));
            kinked.push(high.signs != *signs || low.signs != *signs);
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
    let at_base = problem.evaluate(&base)?;
    let loss = problem.objective(&at_base);
    let signs = &at_base.signs;
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
        let high = problem.evaluate(&params)?;
        step(&mut params, -1.0);
        let low = problem.evaluate(&params)?;
        slopes.push(Slope {
            name: base[t].name.clone(),
            direction,
            numeric: problem.central_difference(&high, &low, eps),
            kink: high.signs != *signs || low.signs != *signs,
        });
    }
    Ok((loss, slopes))
}

/// A compensated (Neumaier) sum: exact to about one rounding of the result, whatever the count.
pub(super) fn sum(values: impl Iterator<Item = f64>) -> f64 {
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
