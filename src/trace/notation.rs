//! How a trace names and writes things: each layout's way of writing the same equations
//! ([`Notation`], [`ROWS`] and [`COLUMNS`]), the names and scale factors the equations share,
//! and what each notebook calls the entries where its names differ from burnprop's
//! ([`notebook_names`]). The LaTeX counterparts are in [`super::latex`].

use super::latex::bold;
use crate::config::Preset;
use crate::loss::{L2Scope, LossKind, Penalty, Reduction};
use crate::tensor::Layout;

/// What `preset`'s notebook calls the entries of a trace through `depth` layers, where its
/// names differ from burnprop's (`(burnprop's, the notebook's)`), for
/// [`Trace::alias`](super::Trace::alias).
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

/// How a layout writes the same equations.
pub(super) struct Notation {
    /// The shape of `W_l`, described.
    pub(super) weights: &'static str,
    /// What `b_l` is.
    pub(super) bias: &'static str,
    /// How `X` holds the examples.
    pub(super) inputs: &'static str,
    /// `Z_l` without its bias, from `A_{l−1}`'s name and `l`.
    pub(super) z: fn(&str, usize) -> String,
    /// `dA_l` from `dZ_{l+1}`, given `l + 1`.
    pub(super) back: fn(usize) -> String,
    /// `dW_l` without its scale, from `A_{l−1}`'s name and `l`.
    pub(super) dw: fn(&str, usize) -> String,
    /// The index that `db_l` sums `dZ_l` over.
    pub(super) examples_index: &'static str,
    /// [`Notation::z`] in LaTeX, from `A_{l−1}`'s LaTeX and `l`.
    pub(super) z_tex: fn(&str, usize) -> String,
    /// [`Notation::back`] in LaTeX.
    pub(super) back_tex: fn(usize) -> String,
    /// [`Notation::dw`] in LaTeX, from `A_{l−1}`'s LaTeX and `l`.
    pub(super) dw_tex: fn(&str, usize) -> String,
    /// [`Notation::examples_index`] in LaTeX.
    pub(super) examples_tex: &'static str,
    /// The subscript of one element, example `i` and output `k`, in index order.
    pub(super) element: &'static str,
}

/// Examples as rows: burn's layout, notebooks 000, 001 and 003.
pub(super) const ROWS: Notation = Notation {
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
pub(super) const COLUMNS: Notation = Notation {
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

/// The name of `A_l`: `X` for `l = 0`, `Ŷ` for the output, `A_l` otherwise.
pub(super) fn activation_name(l: usize, depth: usize) -> String {
    match l {
        0 => "X".to_string(),
        l if l == depth => "Ŷ".to_string(),
        l => format!("A{l}"),
    }
}

/// `s·` as the equations print it: nothing for the sum, `(1/m)·` for the mean.
pub(super) fn scale_prefix(reduction: Reduction, m: usize) -> String {
    match reduction {
        Reduction::Sum => String::new(),
        Reduction::Mean => format!("(1/{m})·"),
    }
}

/// `J` as text, e.g. `mean bce(Ŷ, Y)`, without its penalty.
pub(super) fn loss_equation(kind: LossKind, reduction: Reduction) -> String {
    let reduction = match reduction {
        Reduction::Sum => "summed",
        Reduction::Mean => "mean",
    };
    format!("{reduction} {}(Ŷ, Y)", kind.name())
}

/// The L2 penalty's term of `J`, `α·Σθ²` (`α·ΣW²` over the weights only), as text and LaTeX
/// (empty without one).
pub(super) fn penalty_terms(l2: Penalty) -> (String, String) {
    if l2.is_none() {
        return (String::new(), String::new());
    }
    let alpha = l2.alpha;
    match l2.on {
        L2Scope::All => (
            format!(" + {alpha}·Σθ²"),
            format!(" + {alpha} \\sum \\theta^{{2}}"),
        ),
        L2Scope::Weights => (
            format!(" + {alpha}·ΣW²"),
            format!(" + {alpha} \\sum \\mathbf{{W}}^{{2}}"),
        ),
    }
}

/// The L2 penalty's term of a parameter's gradient, `+ 2α·θ`, as text and LaTeX (empty
/// without one, and for a bias the penalty does not cover).
pub(super) fn penalty_gradient(l2: Penalty, bias: bool, name: &str, tex: &str) -> (String, String) {
    if l2.is_none() || (bias && !l2.covers_biases()) {
        return (String::new(), String::new());
    }
    let twice = 2.0 * l2.alpha;
    (format!(" + {twice}·{name}"), format!(" + {twice} {tex}"))
}
