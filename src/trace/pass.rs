//! The pass a trace prints: one forward and one backward pass of a network on a batch, in
//! burn's row layout ([`rows`], from [`row`](mod@row)) or notebook 002's column layout
//! ([`columns`], from [`column`](mod@column)), the L2 penalty's terms added, every matrix
//! copied to the host.

use burn::tensor::Tensor;

use super::derivation::assemble;
use super::document::Trace;
use super::notation::{COLUMNS, ROWS};
use crate::error::Result;
use crate::loss::Objective;
use crate::manual::{Cache, column, l2_gradients, row};
use crate::model::Mlp;
use crate::tensor::{Layout, host_values};

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
    let grads = column::l2_gradients(backward.gradients, &network, l2)
        .into_iter()
        .map(|g| (g.weight, g.bias))
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

/// A tensor's shape and values, copied to the host for printing.
pub(super) struct Matrix {
    /// `[rows, columns]`, `[n]` for a vector, `[1]` for the loss.
    pub(super) shape: Vec<usize>,
    /// Row-major, widened to f64 exactly.
    pub(super) values: Vec<f64>,
}

/// `tensor` copied to the host.
fn matrix<const D: usize>(tensor: Tensor<D>) -> Result<Matrix> {
    Ok(Matrix {
        shape: tensor.dims().to_vec(),
        values: host_values(tensor)?,
    })
}

/// [`matrix`] of a tensor that may be absent (a bias).
fn matrices<const D: usize>(tensor: Option<Tensor<D>>) -> Result<Option<Matrix>> {
    tensor.map(matrix).transpose()
}

/// One forward and backward pass on the host, layer by layer (`l = 1..=L` at index `l − 1`).
pub(super) struct Pass {
    /// `(W_l, b_l)`.
    pub(super) params: Vec<(Matrix, Option<Matrix>)>,
    /// `X` and `Y`.
    pub(super) batch: (Matrix, Matrix),
    /// `(Z_l, A_l)`, `A_l` for the hidden layers only.
    pub(super) forward: Vec<(Matrix, Option<Matrix>)>,
    /// `Ŷ` and `J`.
    pub(super) output: (Matrix, Matrix),
    /// `(dZ_l, dW_l, db_l)`.
    pub(super) backward: Vec<(Matrix, Matrix, Option<Matrix>)>,
    /// Examples in the batch.
    pub(super) examples: usize,
}
