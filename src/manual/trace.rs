//! One forward and one backward pass, printed matrix by matrix in the order the notebooks
//! derive them: the parameters and the batch, then `Z1, A1, …, Ŷ`, the loss, then
//! `dZ_L, dW_L, db_L, …, dZ1, dW1, db1`. What `burnprop trace` prints.

use std::fmt;

use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use super::{Cache, column, l2_gradients, row};
use crate::config::{ExperimentConfig, Preset};
use crate::device::Backend;
use crate::error::{Error, Result};
use crate::loss::{LossKind, Objective, Reduction};
use crate::model::Mlp;
use crate::model::activation::Activation;
use crate::rng::RngKind;
use crate::tensor::{Layout, Precision, host_values};

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
            layout,
            dtype: config.dtype,
            rng: config.rng,
            seed: config.seed,
            backend: backend.name().to_string(),
            examples: trace.examples,
        }
    }
}

impl fmt::Display for Header {
    /// One line: what was traced, on which backend, in which layout.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "trace {} (notebook {}) on {}, {}: {}, {} examples, {} layout",
            self.preset.name(),
            self.notebook,
            self.backend,
            self.dtype.name(),
            self.network,
            self.examples,
            match self.layout {
                Layout::Row => "row (examples are rows)",
                Layout::Column => "column (examples are columns)",
            }
        )
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

/// The name of `A_l`: `X` for `l = 0`, `Ŷ` for the output, `A_l` otherwise.
fn activation_name(l: usize, depth: usize) -> String {
    match l {
        0 => "X".to_string(),
        l if l == depth => "Ŷ".to_string(),
        l => format!("A{l}"),
    }
}

/// `s·` as the equations print it: nothing for the sum, `(1/m)·` for the mean.
fn scale_prefix(reduction: Reduction, m: usize) -> String {
    match reduction {
        Reduction::Sum => String::new(),
        Reduction::Mean => format!("(1/{m})·"),
    }
}

fn loss_equation(kind: LossKind, reduction: Reduction) -> String {
    let reduction = match reduction {
        Reduction::Sum => "summed",
        Reduction::Mean => "mean",
    };
    format!("{reduction} {}(Ŷ, Y)", kind.name())
}

/// `\mathbf{letter}_{l}`: a layer's matrix in LaTeX.
fn bold(letter: &str, l: usize) -> String {
    format!("\\mathbf{{{letter}}}_{{{l}}}")
}

/// [`activation_name`] in LaTeX.
fn activation_tex(l: usize, depth: usize) -> String {
    match l {
        0 => "\\mathbf{X}".to_string(),
        l if l == depth => "\\hat{\\mathbf{Y}}".to_string(),
        l => bold("A", l),
    }
}

/// [`scale_prefix`] in LaTeX.
fn scale_tex(reduction: Reduction, m: usize) -> String {
    match reduction {
        Reduction::Sum => String::new(),
        Reduction::Mean => format!("\\frac{{1}}{{{m}}}"),
    }
}

/// `symbol ∈ ℝ^{shape}` in LaTeX, for the parameters and the batch.
fn space_tex(symbol: &str, shape: &[usize]) -> String {
    let dims = shape
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(" \\times ");
    format!("{symbol} \\in \\mathbb{{R}}^{{{dims}}}")
}

/// `J` written out in LaTeX: the sum over examples `i` and outputs `k` of each loss's `ℓ`
/// (see [`crate::loss`]), `element` the subscript of one element.
fn loss_tex(kind: LossKind, reduction: Reduction, m: usize, element: &str) -> String {
    let s = scale_tex(reduction, m);
    let y = format!("y_{{{element}}}");
    let y_hat = format!("\\hat{{y}}_{{{element}}}");
    match kind {
        LossKind::CrossEntropy => format!("J = -{s}\\sum_{{i,k}} {y} \\log {y_hat}"),
        LossKind::Bce => format!(
            "J = -{s}\\sum_{{i,k}} \\left[ {y} \\log {y_hat} + (1 - {y}) \\log (1 - {y_hat}) \\right]"
        ),
        LossKind::Mse => format!("J = {s}\\sum_{{i,k}} \\tfrac{{1}}{{2}} ({y_hat} - {y})^{{2}}"),
        LossKind::Hinge => format!("J = {s}\\sum_{{i,k}} \\max(0, 1 - (2 {y} - 1) {y_hat})"),
    }
}

/// The L2 penalty's term of `J`, `α·Σθ²`, as text and LaTeX (empty without one).
fn penalty_terms(l2: f64) -> (String, String) {
    if l2 == 0.0 {
        return (String::new(), String::new());
    }
    (
        format!(" + {l2}·Σθ²"),
        format!(" + {l2} \\sum \\theta^{{2}}"),
    )
}

/// The L2 penalty's term of a parameter's gradient, `+ 2α·θ`, as text and LaTeX.
fn penalty_gradient(l2: f64, name: &str, tex: &str) -> (String, String) {
    if l2 == 0.0 {
        return (String::new(), String::new());
    }
    let twice = 2.0 * l2;
    (format!(" + {twice}·{name}"), format!(" + {twice} {tex}"))
}

/// A tensor's shape and values, copied to the host for printing.
struct Matrix {
    shape: Vec<usize>,
    values: Vec<f64>,
}

fn matrix<const D: usize>(tensor: Tensor<D>) -> Result<Matrix> {
    Ok(Matrix {
        shape: tensor.dims().to_vec(),
        values: host_values(tensor)?,
    })
}

fn matrices<const D: usize>(tensor: Option<Tensor<D>>) -> Result<Option<Matrix>> {
    tensor.map(matrix).transpose()
}

/// One forward and backward pass on the host, layer by layer (`l = 1..=L` at index `l − 1`).
struct Pass {
    /// `(W_l, b_l)`.
    params: Vec<(Matrix, Option<Matrix>)>,
    /// `X` and `Y`.
    batch: (Matrix, Matrix),
    /// `(Z_l, A_l)`, `A_l` for the hidden layers only.
    forward: Vec<(Matrix, Option<Matrix>)>,
    /// `Ŷ` and `J`.
    output: (Matrix, Matrix),
    /// `(dZ_l, dW_l, db_l)`.
    backward: Vec<(Matrix, Matrix, Option<Matrix>)>,
    /// Examples in the batch.
    examples: usize,
}

/// How a layout writes the same equations.
struct Notation {
    /// The shape of `W_l`, described.
    weights: &'static str,
    /// What `b_l` is.
    bias: &'static str,
    /// How `X` holds the examples.
    inputs: &'static str,
    /// `Z_l` without its bias, from `A_{l−1}`'s name and `l`.
    z: fn(&str, usize) -> String,
    /// `dA_l` from `dZ_{l+1}`, given `l + 1`.
    back: fn(usize) -> String,
    /// `dW_l` without its scale, from `A_{l−1}`'s name and `l`.
    dw: fn(&str, usize) -> String,
    /// The index that `db_l` sums `dZ_l` over.
    examples_index: &'static str,
    /// [`Notation::z`] in LaTeX, from `A_{l−1}`'s LaTeX and `l`.
    z_tex: fn(&str, usize) -> String,
    /// [`Notation::back`] in LaTeX.
    back_tex: fn(usize) -> String,
    /// [`Notation::dw`] in LaTeX, from `A_{l−1}`'s LaTeX and `l`.
    dw_tex: fn(&str, usize) -> String,
    /// [`Notation::examples_index`] in LaTeX.
    examples_tex: &'static str,
    /// The subscript of one element, example `i` and output `k`, in index order.
    element: &'static str,
}

/// Examples as rows: burn's layout, notebooks 000, 001 and 003.
const ROWS: Notation = Notation {
    weights: "[n_in, n_out]",
    bias: "bias",
    inputs: "inputs, one example per row",
    z: |input, l| format!("{input}·W{l}"),
    back: |next| format!("(dZ{next}·W{next}ᵀ)"),
    dw: |input, l| format!("{input}ᵀ·dZ{l}"),
    examples_index: "[i, :]",
    z_tex: |input, l| format!("{input}{}", bold("W", l)),
    back_tex: |next| format!("(d{}{}^\\top)", bold("Z", next), bold("W", next)),
    dw_tex: |input, l| format!("{input}^\\top d{}", bold("Z", l)),
    examples_tex: "[i,:]",
    element: "ik",
};

/// Examples as columns: notebook 002's notation.
const COLUMNS: Notation = Notation {
    weights: "[n_l, n_l−1] (burn's transposed)",
    bias: "bias column",
    inputs: "inputs, one example per column",
    z: |input, l| format!("W{l}·{input}"),
    back: |next| format!("(W{next}ᵀ·dZ{next})"),
    dw: |input, l| format!("dZ{l}·{input}ᵀ"),
    examples_index: "[:, i]",
    z_tex: |input, l| format!("{}{input}", bold("W", l)),
    back_tex: |next| format!("({}^\\top d{})", bold("W", next), bold("Z", next)),
    dw_tex: |input, l| format!("d{}{input}^\\top", bold("Z", l)),
    examples_tex: "[:,i]",
    element: "ki",
};

/// The entries of `pass` in derivation order, their equations written in `notation`.
fn assemble(notation: &Notation, pass: Pass, model: &Mlp, objective: Objective) -> Trace {
    let Objective {
        kind,
        reduction,
        l2,
    } = objective;
    let depth = pass.params.len();
    let m = pass.examples;
    let mut entries = Vec::new();
    let mut push = |stage: Stage, name: String, equation: String, latex: String, matrix: Matrix| {
        entries.push(Entry {
            name,
            alias: None,
            stage,
            shape: matrix.shape,
            equation,
            latex,
            values: matrix.values,
        });
    };
    let mut has_bias = Vec::with_capacity(depth);
    for (i, (weight, bias)) in pass.params.into_iter().enumerate() {
        let l = i + 1;
        let latex = space_tex(&bold("W", l), &weight.shape);
        let equation = format!("layer {l} weights {}", notation.weights);
        push(Stage::Input, format!("W{l}"), equation, latex, weight);
        has_bias.push(bias.is_some());
        if let Some(b) = bias {
            let latex = space_tex(&bold("b", l), &b.shape);
            let equation = format!("layer {l} {}", notation.bias);
            push(Stage::Input, format!("b{l}"), equation, latex, b);
        }
    }
    let (x, y) = pass.batch;
    let latex = space_tex("\\mathbf{X}", &x.shape);
    push(Stage::Input, "X".into(), notation.inputs.into(), latex, x);
    let latex = space_tex("\\mathbf{Y}", &y.shape);
    push(Stage::Input, "Y".into(), "targets".into(), latex, y);

    for (i, (z, a)) in pass.forward.into_iter().enumerate() {
        let l = i + 1;
        let (bias, bias_tex) = if has_bias[i] {
            (format!(" + b{l}"), format!(" + {}", bold("b", l)))
        } else {
            (String::new(), String::new())
        };
        let input = activation_name(l - 1, depth);
        let equation = format!("{}{bias}", (notation.z)(&input, l));
        let input = activation_tex(l - 1, depth);
        let latex = format!(
            "{} = {}{bias_tex}",
            bold("Z", l),
            (notation.z_tex)(&input, l)
        );
        push(Stage::Forward, format!("Z{l}"), equation, latex, z);
        if let Some(a) = a {
            let g = model.hidden_activations[i].name();
            let latex = format!("{} = \\mathrm{{{g}}}({})", bold("A", l), bold("Z", l));
            push(
                Stage::Forward,
                format!("A{l}"),
                format!("{g}(Z{l})"),
                latex,
                a,
            );
        }
    }
    let (output, loss) = pass.output;
    let g = model.output.name();
    let latex = format!(
        "{} = \\mathrm{{{g}}}({})",
        activation_tex(depth, depth),
        bold("Z", depth)
    );
    push(
        Stage::Forward,
        "Ŷ".into(),
        format!("{g}(Z{depth})"),
        latex,
        output,
    );
    let (penalty, penalty_tex) = penalty_terms(l2);
    let latex = format!(
        "{}{penalty_tex}",
        loss_tex(kind, reduction, m, notation.element)
    );
    push(
        Stage::Loss,
        "J".into(),
        format!("{}{penalty}", loss_equation(kind, reduction)),
        latex,
        loss,
    );

    let s = scale_prefix(reduction, m);
    let s_tex = scale_tex(reduction, m);
    for (i, (dz, dw, db)) in pass.backward.into_iter().enumerate().rev() {
        let l = i + 1;
        let (equation, rhs) = if l == depth && kind == LossKind::Hinge {
            // manual::output_delta's derivation, with Ỹ = 2Y − 1.
            let z = bold("Z", l);
            (
                format!("−(2Y − 1) ⊙ [1 − (2Y − 1) ⊙ Z{l} > 0]"),
                format!(
                    "-(2 \\mathbf{{Y}} - 1) \\odot \\left[ 1 - (2 \\mathbf{{Y}} - 1) \\odot {z} > 0 \\right]"
                ),
            )
        } else if l == depth {
            (
                "Ŷ − Y".to_string(),
                "\\hat{\\mathbf{Y}} - \\mathbf{Y}".to_string(),
            )
        } else {
            let g = model.hidden_activations[i].name();
            (
                format!("{} ⊙ {g}'(Z{l})", (notation.back)(l + 1)),
                format!(
                    "{} \\odot \\mathrm{{{g}}}'({})",
                    (notation.back_tex)(l + 1),
                    bold("Z", l)
                ),
            )
        };
        let latex = format!("d{} = {rhs}", bold("Z", l));
        push(Stage::Backward, format!("dZ{l}"), equation, latex, dz);
        let input = activation_name(l - 1, depth);
        let (decay, decay_tex) = penalty_gradient(l2, &format!("W{l}"), &bold("W", l));
        let equation = format!("{s}{}{decay}", (notation.dw)(&input, l));
        let input = activation_tex(l - 1, depth);
        let latex = format!(
            "d{} = {s_tex}{}{decay_tex}",
            bold("W", l),
            (notation.dw_tex)(&input, l)
        );
        push(Stage::Backward, format!("dW{l}"), equation, latex, dw);
        if let Some(db) = db {
            let (decay, decay_tex) = penalty_gradient(l2, &format!("b{l}"), &bold("b", l));
            let equation = format!("{s}Σᵢ dZ{l}{}{decay}", notation.examples_index);
            let latex = format!(
                "d{} = {s_tex}\\sum_{{i}} d{}{}{decay_tex}",
                bold("b", l),
                bold("Z", l),
                notation.examples_tex
            );
            push(Stage::Backward, format!("db{l}"), equation, latex, db);
        }
    }
    Trace {
        examples: m,
        entries,
    }
}

/// A trace in `layout`: [`rows`] or [`columns`].
pub fn in_layout(
    layout: Layout,
    model: &Mlp,
    x: Tensor<2>,
    targets: Tensor<2>,
    objective: Objective,
) -> Result<Trace> {
    match layout {
        Layout::Row => rows(model, x, targets, objective),
        Layout::Column => columns(model, x, targets, objective),
    }
}

/// What `preset`'s notebook calls the entries of a trace through `depth` layers, where its
/// names differ from burnprop's (`(burnprop's, the notebook's)`), for [`Trace::alias`].
///
/// The notebooks name layers in two ways, and a network deeper than the notebook's keeps each
/// one's rule. Notebook 000 names by role: `H` and `δ^h` for its hidden layer, `y_hat` and
/// `δ^o` for the output, so every hidden layer takes the hidden names and only the output
/// layer's `dZ` is `δ^o`. Notebook 003 calls the input of layer `l` `X_l`, so `A_l` is its
/// `X_{l+1}` at any depth. Notebooks 001 and 002 number the output as the last layer of their
/// own network (001's `A1`, 002's `A2`), which names `Ŷ` only at the notebook's depth.
pub fn notebook_names(preset: Preset, layout: Layout, depth: usize) -> Vec<(String, String)> {
    let named = |pairs: &[(String, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(name, alias)| (name.clone(), alias.to_string()))
            .collect()
    };
    let hidden = 1..depth;
    match (preset, layout) {
        (Preset::Xor, Layout::Row) => hidden
            .map(|l| (format!("A{l}"), format!("X{}", l + 1)))
            .chain(named(&[("Ŷ".into(), "Yhat")]))
            .collect(),
        (Preset::Circles, Layout::Row) => hidden
            .flat_map(|l| named(&[(format!("A{l}"), "H"), (format!("dZ{l}"), "δ^h")]))
            .chain(named(&[
                ("Ŷ".into(), "y_hat"),
                (format!("dZ{depth}"), "δ^o"),
            ]))
            .collect(),
        (Preset::Logreg, _) if depth == 1 => named(&[("Ŷ".into(), "A1")]),
        (Preset::ThreeLayer, Layout::Column) if depth == 2 => named(&[("Ŷ".into(), "A2")]),
        _ => Vec::new(),
    }
}

/// A trace in burn's row layout (examples are rows), from [`row::forward`] and
/// [`row::backward`].
///
/// # Shapes
/// - `x`: `[m, n_0]`, `targets`: `[m, n_L]`
pub fn rows(model: &Mlp, x: Tensor<2>, targets: Tensor<2>, objective: Objective) -> Result<Trace> {
    let Objective {
        kind,
        reduction,
        l2,
    } = objective;
    let [m, _] = x.dims();
    let cache = row::forward(model, x);
    let mut loss = row::loss(&cache, targets.clone(), kind, reduction);
    if let Some(penalty) = model.l2_penalty(l2) {
        loss = loss + penalty;
    }
    let mut backward = row::backward(model, &cache, targets.clone(), kind, reduction);
    backward.gradients = l2_gradients(backward.gradients, model, l2);
    let params = model
        .params()
        .into_iter()
        .map(|p| Ok((matrix(p.weight)?, matrices(p.bias)?)))
        .collect::<Result<_>>()?;
    let grads = backward
        .gradients
        .layers
        .into_iter()
        .map(|g| (g.weight, g.bias))
        .collect();
    let pass = host_pass(params, targets, cache, loss, backward.deltas, grads, m)?;
    Ok(assemble(&ROWS, pass, model, objective))
}

/// A trace in notebook 002's column layout (examples are columns), from [`column::forward`]
/// and [`column::backward`].
///
/// # Shapes
/// - `x`: `[m, n_0]`, `targets`: `[m, n_L]`, given as rows and printed as columns
pub fn columns(
    model: &Mlp,
    x: Tensor<2>,
    targets: Tensor<2>,
    objective: Objective,
) -> Result<Trace> {
    let Objective {
        kind,
        reduction,
        l2,
    } = objective;
    let [m, _] = x.dims();
    let network = column::ColumnNetwork::from_mlp(model);
    let x = x.transpose(); // [n_0, m]
    let targets = targets.transpose(); // [n_L, m]
    let cache = column::forward(&network, x);
    let mut loss = column::loss(&cache, targets.clone(), kind, reduction);
    if let Some(penalty) = model.l2_penalty(l2) {
        loss = loss + penalty;
    }
    let backward = column::backward(&network, &cache, targets.clone(), kind, reduction);
    // The penalty's 2α·θ, in the column layout's W_l = burn's W_lᵀ and b_l of shape [n_l, 1].
    let grads = backward
        .gradients
        .into_iter()
        .zip(&network.layers)
        .map(|(g, layer)| {
            let twice = 2.0 * l2;
            let weight = g.weight + layer.weight.clone().mul_scalar(twice);
            let bias = g
                .bias
                .zip(layer.bias.clone())
                .map(|(g, b)| g + b.mul_scalar(twice));
            (weight, bias)
        })
        .collect();
    let params = network
        .layers
        .into_iter()
        .map(|layer| Ok((matrix(layer.weight)?, matrices(layer.bias)?)))
        .collect::<Result<_>>()?;
    let pass = host_pass(params, targets, cache, loss, backward.deltas, grads, m)?;
    Ok(assemble(&COLUMNS, pass, model, objective))
}

/// Copies a pass to the host, in either layout (`D` is the rank of its bias gradients).
fn host_pass<const D: usize>(
    params: Vec<(Matrix, Option<Matrix>)>,
    targets: Tensor<2>,
    cache: Cache,
    loss: Tensor<1>,
    deltas: Vec<Tensor<2>>,
    grads: Vec<(Tensor<2>, Option<Tensor<D>>)>,
    examples: usize,
) -> Result<Pass> {
    let mut hidden = cache.a.into_iter();
    let forward = cache
        .z
        .into_iter()
        .map(|z| Ok((matrix(z)?, matrices(hidden.next())?)))
        .collect::<Result<_>>()?;
    let backward = deltas
        .into_iter()
        .zip(grads)
        .map(|(dz, (dw, db))| Ok((matrix(dz)?, matrix(dw)?, matrices(db)?)))
        .collect::<Result<_>>()?;
    Ok(Pass {
        params,
        batch: (matrix(cache.inputs)?, matrix(targets)?),
        forward,
        output: (matrix(cache.output)?, matrix(loss)?),
        backward,
        examples,
    })
}

/// Rows and columns beyond which a matrix is shown by its corners, as numpy prints.
const FULL_UP_TO: usize = 10;
/// Rows or columns shown at each end of an elided dimension.
const EDGE: usize = 3;

/// The indices shown along a dimension of `n`, with `None` where the elision goes.
pub(super) fn shown(n: usize) -> Vec<Option<usize>> {
    if n <= FULL_UP_TO {
        (0..n).map(Some).collect()
    } else {
        (0..EDGE)
            .map(Some)
            .chain(std::iter::once(None))
            .chain((n - EDGE..n).map(Some))
            .collect()
    }
}

/// A matrix printed numpy-style, 8 decimals, aligned, corners only when large.
pub fn format_matrix(values: &[f64], rows: usize, cols: usize) -> String {
    let cell = |r: usize, c: usize| format!("{:.8}", values[r * cols + c]);
    let row_idx = shown(rows);
    let col_idx = shown(cols);
    let width = row_idx
        .iter()
        .flatten()
        .flat_map(|&r| col_idx.iter().flatten().map(move |&c| (r, c)))
        .map(|(r, c)| cell(r, c).chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (i, r) in row_idx.iter().enumerate() {
        out.push_str(if i == 0 { "[[" } else { " [" });
        match r {
            Some(r) => {
                let cells: Vec<String> = col_idx
                    .iter()
                    .map(|c| match c {
                        Some(c) => format!("{:>width$}", cell(*r, *c)),
                        None => "...".to_string(),
                    })
                    .collect();
                out.push_str(&cells.join(" "));
            }
            None => out.push_str("..."),
        }
        out.push(']');
        out.push_str(if i + 1 == row_idx.len() { "]" } else { "\n" });
    }
    out
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shape = self
            .shape
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        write!(f, "{} = {}  [{shape}]", self.name, self.equation)?;
        if let Some(alias) = &self.alias {
            write!(f, "  (the notebook's {alias})")?;
        }
        writeln!(f)?;
        match self.shape.as_slice() {
            [] | [1] if self.values.len() == 1 => write!(f, "{:.8}", self.values[0]),
            [n] => {
                let matrix = format_matrix(&self.values, 1, *n);
                // One row: drop the outer brackets numpy would not print for a vector.
                write!(f, "{}", &matrix[1..matrix.len() - 1])
            }
            [rows, cols] => write!(f, "{}", format_matrix(&self.values, *rows, *cols)),
            _ => write!(f, "{:?}", self.values),
        }
    }
}

impl fmt::Display for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, entry) in self.entries.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            writeln!(f, "{entry}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_matrices_print_in_full_and_aligned() {
        let text = format_matrix(&[0.0, -0.5, 1.25, 10.0], 2, 2);
        assert_eq!(
            text,
            "[[ 0.00000000 -0.50000000]\n [ 1.25000000 10.00000000]]"
        );
    }

    #[test]
    fn large_matrices_print_their_corners() {
        let values: Vec<f64> = (0..12 * 12).map(f64::from).collect();
        let text = format_matrix(&values, 12, 12);
        assert_eq!(text.lines().count(), 7);
        assert!(text.starts_with("[[  0.00000000   1.00000000   2.00000000 ...   9.00000000"));
        assert!(text.ends_with("143.00000000]]"));
        assert!(text.contains(" [...]\n"));
    }
}
