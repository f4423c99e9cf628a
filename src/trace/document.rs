//! The trace as data: its entries ([`Trace`], [`Entry`], [`Stage`]), what it was computed from
//! ([`Header`]), and both together as `burnprop trace --format json` writes them ([`Document`]),
//! a schema another program reads back with serde.

use serde::{Deserialize, Serialize};

use crate::config::{ExperimentConfig, Preset};
use crate::device::Backend;
use crate::error::{Error, Result};
use crate::loss::{L2Scope, LossKind, Reduction};
use crate::model::activation::Activation;
use crate::rng::RngKind;
use crate::tensor::{Layout, Precision};

/// Where an entry belongs in the derivation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// The parameters `W_l`, `b_l` and the batch `X`, `Y`.
    Input,
    /// `Z_l`, `A_l` and `Ŷ`.
    Forward,
    /// The objective `J`.
    Loss,
    /// `dZ_l`, `dW_l` and `db_l`, from the output layer down.
    Backward,
}

/// One named matrix (or vector, or scalar) of a trace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Its name: `W1`, `Z1`, `A1`, `Ŷ`, `J`, `dZ2`, …
    pub name: String,
    /// What the notebook calls it, where the name differs (notebook 003's `X2`, `Yhat`).
    pub alias: Option<String>,
    /// The stage of the derivation it belongs to.
    pub stage: Stage,
    /// Its shape: `[rows, columns]` for a matrix, `[n]` for a vector (a bias in the row
    /// layout), `[1]` for the loss.
    pub shape: Vec<usize>,
    /// How it is computed, e.g. `X·W1 + b1` (what the parameters and the batch are, for them).
    pub equation: String,
    /// The same in LaTeX, its left-hand side included, e.g.
    /// `\mathbf{Z}_{1} = \mathbf{X}\mathbf{W}_{1} + \mathbf{b}_{1}`; for the parameters and
    /// the batch, the space they lie in, e.g. `\mathbf{W}_{1} \in \mathbb{R}^{2 \times 3}`.
    pub latex: String,
    /// Its values, row-major, at the precision of the run (an f32 value widened to f64
    /// exactly).
    pub values: Vec<f64>,
}

/// A whole forward and backward pass, entry by entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    /// The number of examples `m` in the batch.
    pub examples: usize,
    /// The entries in derivation order.
    pub entries: Vec<Entry>,
}

impl Trace {
    /// Notes that the notebook calls the entry `name` something else.
    pub fn alias(&mut self, name: &str, alias: &str) {
        if let Some(entry) = self.entries.iter_mut().find(|e| e.name == name) {
            entry.alias = Some(alias.to_string());
        }
    }
}

/// What a trace was computed from: enough for another program to recompute every entry
/// from the trace's `W`, `b`, `X` and `Y` and compare.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// The preset (or the preset of the saved configuration).
    pub preset: Preset,
    /// The notebook the preset reproduces.
    pub notebook: String,
    /// The network in one line, e.g. `2-3-1 relu → sigmoid, no biases`.
    pub network: String,
    /// The layer widths `n_0, …, n_L`.
    pub sizes: Vec<usize>,
    /// The activations `g` of the hidden layers, `l = 1..L−1`.
    pub activations: Vec<Activation>,
    /// The output activation (`softmax`, `sigmoid` or `identity`), fixed by the loss.
    pub output: String,
    /// Whether the layers have biases.
    pub bias: bool,
    /// The objective.
    pub loss: LossKind,
    /// Whether `J` sums the per-example losses or averages them over the `m` examples.
    pub reduction: Reduction,
    /// The L2 penalty `α` of `J = s·Σᵢ ℓᵢ + α·Σθ²` (0: none).
    pub l2: f64,
    /// The parameters `θ` the penalty covers; absent from the JSON when it is every one (as
    /// traces written before the option existed read).
    #[serde(default, skip_serializing_if = "covers_all")]
    pub l2_on: L2Scope,
    /// How the matrices hold the examples: as rows (burn) or as columns (notebook 002).
    pub layout: Layout,
    /// The precision the pass was computed in.
    pub dtype: Precision,
    /// Where the data and weights were drawn from.
    pub rng: RngKind,
    /// The seed of every draw.
    pub seed: u32,
    /// The compute backend, e.g. `flex`.
    pub backend: String,
    /// The number of examples `m` in the batch.
    pub examples: usize,
}

impl Header {
    /// The header of `trace`, computed in `layout` on `backend` from `config`'s experiment.
    pub fn new(config: &ExperimentConfig, layout: Layout, backend: Backend, trace: &Trace) -> Self {
        Self {
            preset: config.preset,
            notebook: config.preset.notebook().to_string(),
            network: config.network(),
            sizes: config.sizes(),
            activations: config.activations.clone(),
            output: config.loss.output_activation().name().to_string(),
            bias: config.bias,
            loss: config.loss,
            reduction: config.reduction,
            l2: config.l2,
            l2_on: config.l2_on,
            layout,
            dtype: config.dtype,
            rng: config.rng,
            seed: config.seed,
            backend: backend.name().to_string(),
            examples: trace.examples,
        }
    }
}

/// `burnprop trace --format json`: a trace and its header. Every value is held at full
/// precision: serde_json writes the shortest decimal that reads back as the same f64.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// What was traced.
    pub header: Header,
    /// The entries in derivation order.
    pub entries: Vec<Entry>,
}

impl Document {
    /// A trace with its header.
    pub fn new(header: Header, trace: Trace) -> Self {
        Self {
            header,
            entries: trace.entries,
        }
    }

    /// The document as pretty-printed JSON. JSON has no NaN or infinity, so a trace that holds
    /// one (a pass that overflowed) is refused, naming the first such element.
    pub fn to_json(&self) -> Result<String> {
        let refuse = |reason: String| Error::Json {
            what: "the trace",
            reason,
        };
        for entry in &self.entries {
            if let Some(at) = entry.values.iter().position(|v| !v.is_finite()) {
                return Err(refuse(format!(
                    "{}{} is {}, and JSON has no NaN or infinity; --format text or markdown prints it, and a smaller --init-scale keeps the pass finite",
                    entry.name,
                    element_index(&entry.shape, at),
                    entry.values[at]
                )));
            }
        }
        serde_json::to_string_pretty(self).map_err(|e| refuse(e.to_string()))
    }
}

/// The index of the `at`-th element (row-major) of a tensor of `shape`, as `[i, j]`.
fn element_index(shape: &[usize], at: usize) -> String {
    let mut rest = at;
    let mut index = vec![0; shape.len()];
    for (slot, &n) in index.iter_mut().zip(shape).rev() {
        *slot = rest % n.max(1);
        rest /= n.max(1);
    }
    let index: Vec<String> = index.iter().map(usize::to_string).collect();
    format!("[{}]", index.join(", "))
}

/// Whether a penalty covers every parameter (serde's test for leaving `l2_on` out).
fn covers_all(on: &L2Scope) -> bool {
    *on == L2Scope::All
}
