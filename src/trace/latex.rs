//! The pieces of LaTeX an entry's `latex` field is built from: a layer's bold matrix, the
//! names of the activations, the scale `s`, the space a parameter lies in, and the loss `J`
//! written out. The same equations as text are in [`super::notation`].

use crate::loss::{LossKind, Reduction};

/// `\mathbf{letter}_{l}`: a layer's matrix in LaTeX.
pub(super) fn bold(letter: &str, l: usize) -> String {
    format!("\\mathbf{{{letter}}}_{{{l}}}")
}

/// [`activation_name`](super::notation::activation_name) in LaTeX.
pub(super) fn activation_tex(l: usize, depth: usize) -> String {
    match l {
        0 => "\\mathbf{X}".to_string(),
        l if l == depth => "\\hat{\\mathbf{Y}}".to_string(),
        l => bold("A", l),
    }
}

/// [`scale_prefix`](super::notation::scale_prefix) in LaTeX.
pub(super) fn scale_tex(reduction: Reduction, m: usize) -> String {
    match reduction {
        Reduction::Sum => String::new(),
        Reduction::Mean => format!("\\frac{{1}}{{{m}}}"),
    }
}

/// `symbol ∈ ℝ^{shape}` in LaTeX, for the parameters and the batch.
pub(super) fn space_tex(symbol: &str, shape: &[usize]) -> String {
    let dims = shape
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(" \\times ");
    format!("{symbol} \\in \\mathbb{{R}}^{{{dims}}}")
}

/// `J` written out in LaTeX: the sum over examples `i` and outputs `k` of each loss's `ℓ`
/// (see [`crate::loss`]), `element` the subscript of one element.
pub(super) fn loss_tex(kind: LossKind, reduction: Reduction, m: usize, element: &str) -> String {
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
