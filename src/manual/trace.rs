//! One forward and one backward pass, printed matrix by matrix in the order the notebooks
//! derive them: the parameters and the batch, then `Z1, A1, …, Ŷ`, the loss, then
//! `dZ_L, dW_L, db_L, …, dZ1, dW1, db1`. What `burnprop trace` prints.

use std::fmt;

use burn::tensor::Tensor;

use super::{Cache, column, row};
use crate::config::Preset;
use crate::error::Result;
use crate::loss::{LossKind, Reduction};
use crate::model::Mlp;
use crate::tensor::{Layout, host_values};

/// One named matrix (or vector, or scalar) of a trace.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// Its name: `W1`, `Z1`, `A1`, `Ŷ`, `J`, `dZ2`, …
    pub name: String,
    /// How it is computed, e.g. `X·W1 + b1`.
    pub equation: String,
    /// What the notebook calls it, where the name differs (notebook 003's `X2`, `Yhat`).
    pub alias: Option<String>,
    /// Its shape (empty for a scalar).
    pub shape: Vec<usize>,
    /// Its values, row-major.
    pub values: Vec<f64>,
}

/// A whole forward and backward pass, entry by entry.
#[derive(Clone, Debug, PartialEq)]
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
};

/// The entries of `pass` in derivation order, their equations written in `notation`.
fn assemble(
    notation: &Notation,
    pass: Pass,
    model: &Mlp,
    kind: LossKind,
    reduction: Reduction,
) -> Trace {
    let depth = pass.params.len();
    let examples = pass.examples;
    let mut entries = Vec::new();
    let mut push = |name: String, equation: String, m: Matrix| {
        entries.push(Entry {
            name,
            equation,
            alias: None,
            shape: m.shape,
            values: m.values,
        });
    };
    let mut has_bias = Vec::with_capacity(depth);
    for (i, (weight, bias)) in pass.params.into_iter().enumerate() {
        let l = i + 1;
        push(
            format!("W{l}"),
            format!("layer {l} weights {}", notation.weights),
            weight,
        );
        has_bias.push(bias.is_some());
        if let Some(b) = bias {
            push(format!("b{l}"), format!("layer {l} {}", notation.bias), b);
        }
    }
    let (x, y) = pass.batch;
    push("X".into(), notation.inputs.into(), x);
    push("Y".into(), "targets".into(), y);

    for (i, (z, a)) in pass.forward.into_iter().enumerate() {
        let l = i + 1;
        let bias = if has_bias[i] {
            format!(" + b{l}")
        } else {
            String::new()
        };
        let input = activation_name(l - 1, depth);
        push(
            format!("Z{l}"),
            format!("{}{bias}", (notation.z)(&input, l)),
            z,
        );
        if let Some(a) = a {
            let g = model.hidden_activations[i].name();
            push(format!("A{l}"), format!("{g}(Z{l})"), a);
        }
    }
    let (output, loss) = pass.output;
    push(
        "Ŷ".into(),
        format!("{}(Z{depth})", model.output.name()),
        output,
    );
    push("J".into(), loss_equation(kind, reduction), loss);

    let s = scale_prefix(reduction, pass.examples);
    for (i, (dz, dw, db)) in pass.backward.into_iter().enumerate().rev() {
        let l = i + 1;
        let dz_equation = if l == depth {
            "Ŷ − Y".to_string()
        } else {
            let g = model.hidden_activations[i].name();
            format!("{} ⊙ {g}'(Z{l})", (notation.back)(l + 1))
        };
        push(format!("dZ{l}"), dz_equation, dz);
        let input = activation_name(l - 1, depth);
        push(
            format!("dW{l}"),
            format!("{s}{}", (notation.dw)(&input, l)),
            dw,
        );
        if let Some(db) = db {
            push(
                format!("db{l}"),
                format!("{s}Σᵢ dZ{l}{}", notation.examples_index),
                db,
            );
        }
    }
    Trace { examples, entries }
}

/// A trace in `layout`: [`rows`] or [`columns`].
pub fn in_layout(
    layout: Layout,
    model: &Mlp,
    x: Tensor<2>,
    targets: Tensor<2>,
    kind: LossKind,
    reduction: Reduction,
) -> Result<Trace> {
    match layout {
        Layout::Row => rows(model, x, targets, kind, reduction),
        Layout::Column => columns(model, x, targets, kind, reduction),
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
pub fn rows(
    model: &Mlp,
    x: Tensor<2>,
    targets: Tensor<2>,
    kind: LossKind,
    reduction: Reduction,
) -> Result<Trace> {
    let [m, _] = x.dims();
    let cache = row::forward(model, x);
    let loss = row::loss(&cache, targets.clone(), kind, reduction);
    let backward = row::backward(model, &cache, targets.clone(), reduction);
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
    Ok(assemble(&ROWS, pass, model, kind, reduction))
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
    kind: LossKind,
    reduction: Reduction,
) -> Result<Trace> {
    let [m, _] = x.dims();
    let network = column::ColumnNetwork::from_mlp(model);
    let x = x.transpose(); // [n_0, m]
    let targets = targets.transpose(); // [n_L, m]
    let cache = column::forward(&network, x);
    let loss = column::loss(&cache, targets.clone(), kind, reduction);
    let backward = column::backward(&network, &cache, targets.clone(), reduction);
    let params = network
        .layers
        .into_iter()
        .map(|layer| Ok((matrix(layer.weight)?, matrices(layer.bias)?)))
        .collect::<Result<_>>()?;
    let grads = backward
        .gradients
        .into_iter()
        .map(|g| (g.weight, g.bias))
        .collect();
    let pass = host_pass(params, targets, cache, loss, backward.deltas, grads, m)?;
    Ok(assemble(&COLUMNS, pass, model, kind, reduction))
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
fn shown(n: usize) -> Vec<Option<usize>> {
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
