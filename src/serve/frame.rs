//! One picture of a training run, as the page draws it: the network's output over the input
//! plane (decision regions or the regression surface), every unit's output over the plane
//! (the Playground's small pictures inside the network diagram), the weights, and the losses.
//!
//! The grids are evaluated by the network itself (`Mlp::forward`, `Mlp::pre_activations`) on
//! the grid's points mapped as the training examples were: through the run's `--features`,
//! then its standardisation. Values travel as bytes, 0 to 255 over each picture's range, in
//! base64: a 100 × 100 grid is 13 kB of text.

use serde::Serialize;

use crate::config::ExperimentConfig;
use crate::data::{Examples, Feature, Standardization, features};
use crate::error::Result;
use crate::loss::{LossKind, OutputActivation};
use crate::model::Mlp;
use crate::model::activation::Activation;
use crate::plot::plane::{Square, predicted};
use crate::tensor::host_values;

/// Cells on a side of the decision grid.
pub const GRID: usize = 100;
/// Cells on a side of a unit's picture.
pub const UNIT: usize = 32;

/// What a run's output means, for the page's colours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Two classes: the grid holds `P(class 1)`.
    Binary,
    /// K classes: the grid holds the predicted class.
    Classes,
    /// A real target: the grid holds the prediction.
    Regression,
}

impl Kind {
    /// What `config`'s output means: a regression for the squared error, classes for a
    /// softmax over more than two, else two classes (the hinge's score too, drawn through
    /// the logistic function so that its boundary, score 0, is the middle of the scale).
    pub fn of(config: &ExperimentConfig) -> Self {
        match (config.loss, config.sizes().last().copied().unwrap_or(1)) {
            (LossKind::Mse, _) => Kind::Regression,
            (_, 1 | 2) => Kind::Binary,
            _ => Kind::Classes,
        }
    }
}

/// A picture: bytes over `lo..hi`, row 0 at the top.
#[derive(Clone, Debug, Serialize)]
pub struct Picture {
    /// The value of byte 0.
    pub lo: f64,
    /// The value of byte 255.
    pub hi: f64,
    /// `n × n` bytes, base64.
    pub values: String,
}

/// The network's output over the plane.
#[derive(Clone, Debug, Serialize)]
pub struct Grid {
    /// Cells on a side.
    pub n: usize,
    /// What the bytes hold.
    pub kind: Kind,
    /// The value of byte 0 (regression).
    pub lo: f64,
    /// The value of byte 255 (regression).
    pub hi: f64,
    /// `n × n` bytes, base64.
    pub values: String,
}

/// One layer's parameters as the diagram draws its links.
#[derive(Clone, Debug, Serialize)]
pub struct Weights {
    /// `[n_in][n_out]`.
    pub w: Vec<Vec<f64>>,
    /// `[n_out]`.
    pub b: Option<Vec<f64>>,
}

/// The pictures of a network over the input plane of a 2-D run.
pub struct Painter {
    kind: Kind,
    square: Square,
    /// The network's inputs at the decision grid's points, `[GRID², features]`, row-major.
    grid: Vec<f64>,
    /// The same at the unit pictures' points, `[UNIT², features]`.
    small: Vec<f64>,
    /// Inputs per point.
    width: usize,
}

/// Points of `square`'s `n × n` grid, top row first, each as the network's inputs: mapped to
/// `features`, then standardised.
fn inputs(
    square: &Square,
    n: usize,
    features: &[Feature],
    standardization: Option<&Standardization>,
) -> Examples {
    let (x, y) = (square.x(), square.y());
    let at = |from: f64, to: f64, i: usize| from + (to - from) * (i as f64 + 0.5) / n as f64;
    let mut values = Vec::with_capacity(n * n * features.len());
    for row in 0..n {
        for col in 0..n {
            let point = [at(x.start, x.end, col), at(y.end, y.start, row)];
            values.extend(features::map(features, point));
        }
    }
    let examples = Examples::new(values, vec![0.0; n * n], [features.len(), 1], n * n);
    match standardization {
        Some(s) => s.apply(&examples),
        None => examples,
    }
}

/// The inputs of `examples`, row-major.
fn flat(examples: &Examples) -> Vec<f64> {
    examples.iter().flat_map(|e| e.x.to_vec()).collect()
}

impl Painter {
    /// The painter of a run whose 2-D points are `points` (all of them, to frame the plane),
    /// its inputs `features` of them, standardised by `standardization`.
    pub fn new(
        kind: Kind,
        points: &Examples,
        features: &[Feature],
        standardization: Option<&Standardization>,
    ) -> Self {
        let square = Square::around(points);
        Self {
            kind,
            grid: flat(&inputs(&square, GRID, features, standardization)),
            small: flat(&inputs(&square, UNIT, features, standardization)),
            width: features.len(),
            square,
        }
    }

    /// The plane's `x₁` and `x₂` ranges.
    pub fn extent(&self) -> [[f64; 2]; 2] {
        let (x, y) = (self.square.x(), self.square.y());
        [[x.start, x.end], [y.start, y.end]]
    }

    /// The network's output over the plane.
    pub fn grid(&self, network: &HostNetwork) -> Grid {
        let values = network.outputs(&self.grid, self.width); // [GRID², n_L]
        let width = network.outputs_per_point();
        let (bytes, lo, hi): (Vec<u8>, f64, f64) = match self.kind {
            Kind::Binary => {
                // A score (the hinge's identity output) through the logistic function.
                let score = network.output == OutputActivation::Identity;
                let p = values.chunks(width).map(|o| {
                    let v = o.last().copied().unwrap_or(0.0);
                    if score { 1.0 / (1.0 + (-v).exp()) } else { v }
                });
                (p.map(|p| byte(p, 0.0, 1.0)).collect(), 0.0, 1.0)
            }
            Kind::Classes => {
                let k = values.chunks(width).map(|o| predicted(o) as u8);
                (k.collect(), 0.0, (width - 1) as f64)
            }
            Kind::Regression => {
                let v: Vec<f64> = values.chunks(width).map(|o| o[0]).collect();
                let (lo, hi) = range(&v);
                (v.iter().map(|&v| byte(v, lo, hi)).collect(), lo, hi)
            }
        };
        Grid {
            n: GRID,
            kind: self.kind,
            lo,
            hi,
            values: base64(&bytes),
        }
    }

    /// Every unit's output over the plane, layer by layer: the input features (layer 0),
    /// each hidden layer's activations, the outputs.
    pub fn units(&self, network: &HostNetwork) -> Vec<Vec<Picture>> {
        let mut layers = vec![columns(&self.small, self.width)];
        for (a, n) in network.activations(&self.small, self.width) {
            layers.push(columns(&a, n));
        }
        layers
    }
}

/// A network's parameters on the host, to draw it over a grid: its forward pass written out
/// in f64, which for a display grid of 10 000 points is a tenth of the time of the same pass
/// through burn's tensors (one small matrix product per layer, where burn's per-operation
/// costs dominate). The frames' numbers (losses, gradients) come from the library's own
/// passes; these are pictures.
pub struct HostNetwork {
    layers: Vec<Weights>,
    hidden: Vec<Activation>,
    output: OutputActivation,
}

impl HostNetwork {
    /// `model`'s parameters, read to the host.
    pub fn of(model: &Mlp) -> Result<Self> {
        Ok(Self {
            layers: weights(model)?,
            hidden: model.hidden_activations.clone(),
            output: model.output,
        })
    }

    /// The weights, as the frame sends them.
    pub fn weights(&self) -> &[Weights] {
        &self.layers
    }

    fn outputs_per_point(&self) -> usize {
        self.layers
            .last()
            .map_or(1, |l| l.b.as_ref().map_or(1, Vec::len))
            .max(1)
    }

    /// Each layer's activations at `points` (`width` inputs each): `(values, units)`, the
    /// last after the output activation.
    fn activations(&self, points: &[f64], width: usize) -> Vec<(Vec<f64>, usize)> {
        let mut layers: Vec<(Vec<f64>, usize)> = Vec::with_capacity(self.layers.len());
        let mut input = (points.to_vec(), width.max(1));
        for (l, layer) in self.layers.iter().enumerate() {
            let n_out = layer.w.first().map_or(0, Vec::len);
            let mut out = Vec::with_capacity(input.0.len() / input.1 * n_out);
            for x in input.0.chunks(input.1) {
                for j in 0..n_out {
                    let mut z = layer.b.as_ref().map_or(0.0, |b| b[j]);
                    for (xi, row) in x.iter().zip(&layer.w) {
                        z += xi * row[j];
                    }
                    out.push(match self.hidden.get(l) {
                        Some(Activation::Tanh) => z.tanh(),
                        Some(Activation::Sigmoid) => 1.0 / (1.0 + (-z).exp()),
                        Some(Activation::Relu) => z.max(0.0),
                        Some(Activation::Identity) | None => z,
                    });
                }
            }
            if l + 1 == self.layers.len() {
                finish(self.output, &mut out, n_out);
            }
            layers.push((out.clone(), n_out));
            input = (out, n_out.max(1));
        }
        layers
    }

    /// The network's outputs `Ŷ` at `points`.
    fn outputs(&self, points: &[f64], width: usize) -> Vec<f64> {
        self.activations(points, width)
            .pop()
            .map(|(values, _)| values)
            .unwrap_or_default()
    }
}

/// The output activation on each row of `values` (`n` outputs each).
fn finish(output: OutputActivation, values: &mut [f64], n: usize) {
    match output {
        OutputActivation::Identity => {}
        OutputActivation::Sigmoid => {
            for v in values.iter_mut() {
                *v = 1.0 / (1.0 + (-*v).exp());
            }
        }
        OutputActivation::Softmax => {
            for row in values.chunks_mut(n.max(1)) {
                let top = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let sum: f64 = row.iter().map(|v| (v - top).exp()).sum();
                for v in row.iter_mut() {
                    *v = (*v - top).exp() / sum;
                }
            }
        }
    }
}

/// Column `j` of a row-major `[UNIT², width]` table as a picture, for every `j`.
fn columns(values: &[f64], width: usize) -> Vec<Picture> {
    (0..width)
        .map(|j| {
            let column: Vec<f64> = values
                .iter()
                .skip(j)
                .step_by(width.max(1))
                .copied()
                .collect();
            let (lo, hi) = range(&column);
            let bytes: Vec<u8> = column.iter().map(|&v| byte(v, lo, hi)).collect();
            Picture {
                lo,
                hi,
                values: base64(&bytes),
            }
        })
        .collect()
}

/// Each layer's weights and biases, read to the host.
pub fn weights(model: &Mlp) -> Result<Vec<Weights>> {
    model
        .params()
        .into_iter()
        .map(|layer| {
            let [_, n_out] = layer.weight.dims();
            let w = host_values(layer.weight)?;
            let b = layer.bias.map(host_values).transpose()?;
            Ok(Weights {
                w: w.chunks(n_out.max(1)).map(<[f64]>::to_vec).collect(),
                b,
            })
        })
        .collect()
}

/// The smallest and largest finite values (`0..1` when there are none or all are equal).
fn range(values: &[f64]) -> (f64, f64) {
    let finite = values.iter().copied().filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if lo.is_finite() && hi > lo {
        (lo, hi)
    } else if lo.is_finite() {
        (lo - 0.5, lo + 0.5)
    } else {
        (0.0, 1.0)
    }
}

/// `v` on `lo..hi` as a byte (a value that is not finite as 0).
fn byte(v: f64, lo: f64, hi: f64) -> u8 {
    if !v.is_finite() {
        return 0;
    }
    ((v - lo) / (hi - lo) * 255.0).round().clamp(0.0, 255.0) as u8
}

/// Standard base64 with padding (RFC 4648), what the page's `atob` reads.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::settings::Settings;
    use crate::tensor::{Precision, host_tensor};
    use crate::train::Experiment;

    #[test]
    fn the_host_pass_draws_what_the_network_computes() {
        // Three networks of the playground: tanh into a sigmoid output, ReLU and sigmoid
        // layers into a softmax over 3 classes, and an identity output (regression).
        for given in [
            serde_json::json!({"hidden": "8,8", "activations": "tanh"}),
            serde_json::json!({"data": "cs231n", "hidden": "5,4", "activations": "relu,sigmoid"}),
            serde_json::json!({"data": "plane", "hidden": "3", "features": "x1,x2,x1x2,sinx1"}),
        ] {
            let serde_json::Value::Object(given) = given else {
                panic!("an object")
            };
            let (settings, _) = Settings::parse(&given, &|_| None).expect("valid settings");
            let config = settings.config(None).expect("a valid config");
            let (_, device) = crate::device::select(None).expect("the default device");
            let model = Experiment::new(&config, &device).expect("drawn").model;
            let width = config.inputs();
            let points: Vec<f64> = (0..40 * width)
                .map(|i| (i as f64 * 0.37).sin() * 3.0)
                .collect();
            let expected = host_values(model.forward(host_tensor(
                points.clone(),
                [40, width],
                Precision::F32,
                &device,
            )))
            .expect("read back");
            let drawn = HostNetwork::of(&model)
                .expect("read")
                .outputs(&points, width);
            assert_eq!(drawn.len(), expected.len());
            for (d, e) in drawn.iter().zip(&expected) {
                // f64 on the host against f32 in burn: agreement to f32's rounding.
                assert!((d - e).abs() <= 1e-5 * (1.0 + e.abs()), "{d} against {e}");
            }
        }
    }

    #[test]
    fn base64_matches_rfc_4648_test_vectors() {
        // RFC 4648, section 10.
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

    #[test]
    fn bytes_span_the_range_and_flat_pictures_do_not_divide_by_zero() {
        assert_eq!(range(&[1.0, 3.0]), (1.0, 3.0));
        assert_eq!(range(&[2.0, 2.0]), (1.5, 2.5));
        assert_eq!(range(&[f64::NAN]), (0.0, 1.0));
        assert_eq!(byte(1.0, 1.0, 3.0), 0);
        assert_eq!(byte(3.0, 1.0, 3.0), 255);
        assert_eq!(byte(f64::NAN, 1.0, 3.0), 0);
    }
}
