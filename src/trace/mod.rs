//! One forward and one backward pass, printed matrix by matrix in the order the notebooks
//! derive them: the parameters and the batch, then `Z1, A1, …, Ŷ`, the loss, then
//! `dZ_L, dW_L, db_L, …, dZ1, dW1, db1`. What `burnprop trace` prints.
//!
//! [`of_experiment`] traces an experiment's initial network on its first examples. The parts,
//! one file each:
//!
//! - the pass ([`in_layout`]): [`rows`] from [`manual::row`](crate::manual::row), burn's
//!   layout, or [`columns`] from [`manual::column`](crate::manual::column), notebook 002's;
//! - the derivation: each matrix of the pass as an [`Entry`], with its equation as text and as
//!   LaTeX, written in the layout's notation;
//! - the notation: how each layout writes the equations, and what each notebook calls the
//!   entries ([`notebook_names`]);
//! - the document: a [`Trace`] and its [`Header`], as `--format json` writes them
//!   ([`Document`]);
//! - the printers: `--format text`, numpy-style ([`format_matrix`], the `Display` of
//!   [`Header`] and [`Trace`]), and `--format markdown`, a derivation sheet ([`markdown`]).

mod derivation;
mod document;
mod latex;
mod notation;
mod pass;
mod sheet;
mod text;

use burn::tensor::Device;

pub use document::{Document, Entry, Header, Stage, Trace};
pub use notation::notebook_names;
pub use pass::{columns, in_layout, rows};
pub use sheet::markdown;
pub use text::format_matrix;

use crate::config::ExperimentConfig;
use crate::error::Result;
use crate::loss::Objective;
use crate::tensor::Layout;
use crate::train::Experiment;

/// One forward and backward pass of `experiment`'s initial network on its first `n` training
/// examples, written in `layout`, its entries named also as `config.preset`'s notebook names
/// them ([`notebook_names`]): what `burnprop trace` prints.
pub fn of_experiment(
    experiment: &Experiment,
    config: &ExperimentConfig,
    layout: Layout,
    n: usize,
    device: &Device,
) -> Result<Trace> {
    let batch = experiment.first_batch(config, n, device);
    let mut trace = in_layout(
        layout,
        &experiment.model,
        batch.inputs(),
        batch.targets(),
        Objective {
            kind: config.loss,
            reduction: config.reduction,
            l2: config.penalty(),
        },
    )?;
    let depth = config.hidden.len() + 1;
    for (name, alias) in notebook_names(config.preset, layout, depth) {
        trace.alias(&name, &alias);
    }
    Ok(trace)
}
