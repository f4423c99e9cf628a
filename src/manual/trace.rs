//! One forward and one backward pass, printed matrix by matrix in the order the notebooks
//! derive them: the parameters and the batch, then `Z1, A1, …, Ŷ`, the loss, then
//! `dZ_L, dW_L, db_L, …, dZ1, dW1, db1`. What `burnprop trace` prints.

use std::fmt;

use burn::tensor::Tensor;

use super::{column, row};
use crate::error::Result;
use crate::loss::{LossKind, Reduction};
use crate::model::Mlp;
use crate::model::init::host_values;

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
    /// The entries in derivation order.
    pub entries: Vec<Entry>,
}

impl Trace {
    /// The entry named `name`, if any.
    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.name == name)
    }

    /// Notes that the notebook calls the entry `name` something else.
    pub fn alias(&mut self, name: &str, alias: &str) {
        if let Some(entry) = self.entries.iter_mut().find(|e| e.name == name) {
            entry.alias = Some(alias.to_string());
        }
    }

    fn push<const D: usize>(
        &mut self,
        name: impl Into<String>,
        equation: impl Into<String>,
        tensor: Tensor<D>,
    ) -> Result<()> {
        let shape = tensor.dims().to_vec();
        self.entries.push(Entry {
            name: name.into(),
            equation: equation.into(),
            alias: None,
            shape,
            values: host_values(tensor)?,
        });
        Ok(())
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
    let mut trace = Trace {
        entries: Vec::new(),
    };
    let params = model.params();
    let depth = params.len();
    for (i, p) in params.iter().enumerate() {
        let l = i + 1;
        trace.push(
            format!("W{l}"),
            format!("layer {l} weights [n_in, n_out]"),
            p.weight.clone(),
        )?;
        if let Some(b) = &p.bias {
            trace.push(format!("b{l}"), format!("layer {l} bias"), b.clone())?;
        }
    }
    trace.push("X", "inputs, one example per row", x.clone())?;
    trace.push("Y", "targets", targets.clone())?;

    let cache = row::forward(model, x);
    for l in 1..=depth {
        let bias = if params[l - 1].bias.is_some() {
            format!(" + b{l}")
        } else {
            String::new()
        };
        let input = activation_name(l - 1, depth);
        trace.push(
            format!("Z{l}"),
            format!("{input}·W{l}{bias}"),
            cache.z[l - 1].clone(),
        )?;
        if l < depth {
            let g = model.hidden_activations[l - 1].name();
            trace.push(
                format!("A{l}"),
                format!("{g}(Z{l})"),
                cache.a[l - 1].clone(),
            )?;
        }
    }
    trace.push(
        "Ŷ",
        format!("{}(Z{depth})", model.output.name()),
        cache.output.clone(),
    )?;
    let loss = row::loss(&cache, targets.clone(), kind, reduction);
    trace.push("J", loss_equation(kind, reduction), loss)?;

    let backward = row::backward(model, &cache, targets, reduction);
    let [m, _] = cache.inputs.dims();
    let s = scale_prefix(reduction, m);
    for l in (1..=depth).rev() {
        let dz_equation = if l == depth {
            "Ŷ − Y".to_string()
        } else {
            let g = model.hidden_activations[l - 1].name();
            format!("(dZ{}·W{}ᵀ) ⊙ {g}'(Z{l})", l + 1, l + 1)
        };
        trace.push(
            format!("dZ{l}"),
            dz_equation,
            backward.deltas[l - 1].clone(),
        )?;
        let grads = &backward.gradients.layers[l - 1];
        let input = activation_name(l - 1, depth);
        trace.push(
            format!("dW{l}"),
            format!("{s}{input}ᵀ·dZ{l}"),
            grads.weight.clone(),
        )?;
        if let Some(db) = &grads.bias {
            trace.push(format!("db{l}"), format!("{s}Σᵢ dZ{l}[i, :]"), db.clone())?;
        }
    }
    Ok(trace)
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
    let mut trace = Trace {
        entries: Vec::new(),
    };
    let network = column::ColumnNetwork::from_mlp(model);
    let depth = network.layers.len();
    for (i, layer) in network.layers.iter().enumerate() {
        let l = i + 1;
        trace.push(
            format!("W{l}"),
            format!("layer {l} weights [n_l, n_l−1] (burn's transposed)"),
            layer.weight.clone(),
        )?;
        if let Some(b) = &layer.bias {
            trace.push(format!("b{l}"), format!("layer {l} bias column"), b.clone())?;
        }
    }
    let x = x.transpose(); // [n_0, m]
    let targets = targets.transpose(); // [n_L, m]
    trace.push("X", "inputs, one example per column", x.clone())?;
    trace.push("Y", "targets", targets.clone())?;

    let cache = column::forward(&network, x);
    for l in 1..=depth {
        let bias = if network.layers[l - 1].bias.is_some() {
            format!(" + b{l}")
        } else {
            String::new()
        };
        let input = activation_name(l - 1, depth);
        trace.push(
            format!("Z{l}"),
            format!("W{l}·{input}{bias}"),
            cache.z[l - 1].clone(),
        )?;
        if l < depth {
            let g = network.hidden_activations[l - 1].name();
            trace.push(
                format!("A{l}"),
                format!("{g}(Z{l})"),
                cache.a[l - 1].clone(),
            )?;
        }
    }
    trace.push(
        "Ŷ",
        format!("{}(Z{depth})", network.output.name()),
        cache.output.clone(),
    )?;
    let loss = column::loss(&cache, targets.clone(), kind, reduction);
    trace.push("J", loss_equation(kind, reduction), loss)?;

    let backward = column::backward(&network, &cache, targets, reduction);
    let [_, m] = cache.inputs.dims();
    let s = scale_prefix(reduction, m);
    for l in (1..=depth).rev() {
        let dz_equation = if l == depth {
            "Ŷ − Y".to_string()
        } else {
            let g = network.hidden_activations[l - 1].name();
            format!("(W{}ᵀ·dZ{}) ⊙ {g}'(Z{l})", l + 1, l + 1)
        };
        trace.push(
            format!("dZ{l}"),
            dz_equation,
            backward.deltas[l - 1].clone(),
        )?;
        let grads = &backward.gradients[l - 1];
        let input = activation_name(l - 1, depth);
        trace.push(
            format!("dW{l}"),
            format!("{s}dZ{l}·{input}ᵀ"),
            grads.weight.clone(),
        )?;
        if let Some(db) = &grads.bias {
            trace.push(format!("db{l}"), format!("{s}Σᵢ dZ{l}[:, i]"), db.clone())?;
        }
    }
    Ok(trace)
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
