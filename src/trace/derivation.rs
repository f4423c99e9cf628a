//! A pass's matrices as the entries of a trace, in the order the notebooks derive them: the
//! parameters and the batch, the forward pass, the loss, then the backward pass from the
//! output layer down, each with its equation as text and as LaTeX.

use super::document::{Entry, Stage, Trace};
use super::latex::{activation_tex, bold, loss_tex, scale_tex, space_tex};
use super::notation::{
    Notation, activation_name, loss_equation, penalty_gradient, penalty_terms, scale_prefix,
};
use super::pass::{Matrix, Pass};
use crate::loss::{LossKind, Objective};
use crate::model::Mlp;

/// The entries of `pass` in derivation order, their equations written in `notation`.
pub(super) fn assemble(
    notation: &Notation,
    pass: Pass,
    model: &Mlp,
    objective: Objective,
) -> Trace {
    let derivation = Derivation {
        notation,
        model,
        objective,
        depth: pass.params.len(),
        examples: pass.examples,
    };
    let has_bias: Vec<bool> = pass.params.iter().map(|(_, b)| b.is_some()).collect();
    let (output, loss) = pass.output;
    let mut entries = derivation.parameters(pass.params);
    entries.extend(derivation.batch(pass.batch));
    entries.extend(derivation.forward(pass.forward, &has_bias));
    entries.push(derivation.output(output));
    entries.push(derivation.loss(loss));
    entries.extend(derivation.backward(pass.backward));
    Trace {
        examples: pass.examples,
        entries,
    }
}

/// One entry, with no alias yet (the notebook's names are added by [`Trace::alias`]).
fn entry(stage: Stage, name: String, equation: String, latex: String, matrix: Matrix) -> Entry {
    Entry {
        name,
        alias: None,
        stage,
        shape: matrix.shape,
        equation,
        latex,
        values: matrix.values,
    }
}

/// What every equation of one trace shares.
struct Derivation<'a> {
    /// How the layout writes the equations.
    notation: &'a Notation,
    /// The network, for the names of its activations.
    model: &'a Mlp,
    /// The loss, its reduction and its L2 penalty.
    objective: Objective,
    /// The number of layers `L`.
    depth: usize,
    /// The number of examples `m`.
    examples: usize,
}

impl Derivation<'_> {
    /// `W_l` and `b_l` for `l = 1..=L`, each described, with the space it lies in.
    fn parameters(&self, params: Vec<(Matrix, Option<Matrix>)>) -> Vec<Entry> {
        let mut entries = Vec::new();
        for (i, (weight, bias)) in params.into_iter().enumerate() {
            let l = i + 1;
            let latex = space_tex(&bold("W", l), &weight.shape);
            let equation = format!("layer {l} weights {}", self.notation.weights);
            entries.push(entry(
                Stage::Input,
                format!("W{l}"),
                equation,
                latex,
                weight,
            ));
            if let Some(b) = bias {
                let latex = space_tex(&bold("b", l), &b.shape);
                let equation = format!("layer {l} {}", self.notation.bias);
                entries.push(entry(Stage::Input, format!("b{l}"), equation, latex, b));
            }
        }
        entries
    }

    /// `X` and `Y`.
    fn batch(&self, (x, y): (Matrix, Matrix)) -> [Entry; 2] {
        let x_latex = space_tex("\\mathbf{X}", &x.shape);
        let y_latex = space_tex("\\mathbf{Y}", &y.shape);
        [
            entry(
                Stage::Input,
                "X".into(),
                self.notation.inputs.into(),
                x_latex,
                x,
            ),
            entry(Stage::Input, "Y".into(), "targets".into(), y_latex, y),
        ]
    }

    /// `Z_l = A_{l−1}·W_l + b_l` (in the layout's order) and, below the output layer,
    /// `A_l = g(Z_l)`; `has_bias[l − 1]` says whether layer `l` adds a bias.
    fn forward(&self, forward: Vec<(Matrix, Option<Matrix>)>, has_bias: &[bool]) -> Vec<Entry> {
        let mut entries = Vec::new();
        for (i, (z, a)) in forward.into_iter().enumerate() {
            let l = i + 1;
            let (bias, bias_tex) = if has_bias[i] {
                (format!(" + b{l}"), format!(" + {}", bold("b", l)))
            } else {
                (String::new(), String::new())
            };
            let input = activation_name(l - 1, self.depth);
            let equation = format!("{}{bias}", (self.notation.z)(&input, l));
            let input = activation_tex(l - 1, self.depth);
            let latex = format!(
                "{} = {}{bias_tex}",
                bold("Z", l),
                (self.notation.z_tex)(&input, l)
            );
            entries.push(entry(Stage::Forward, format!("Z{l}"), equation, latex, z));
            if let Some(a) = a {
                let g = self.model.hidden_activations[i].name();
                let latex = format!("{} = \\mathrm{{{g}}}({})", bold("A", l), bold("Z", l));
                let equation = format!("{g}(Z{l})");
                entries.push(entry(Stage::Forward, format!("A{l}"), equation, latex, a));
            }
        }
        entries
    }

    /// `Ŷ = g_out(Z_L)`.
    fn output(&self, output: Matrix) -> Entry {
        let depth = self.depth;
        let g = self.model.output.name();
        let latex = format!(
            "{} = \\mathrm{{{g}}}({})",
            activation_tex(depth, depth),
            bold("Z", depth)
        );
        let equation = format!("{g}(Z{depth})");
        entry(Stage::Forward, "Ŷ".into(), equation, latex, output)
    }

    /// `J`, its L2 penalty included.
    fn loss(&self, loss: Matrix) -> Entry {
        let Objective {
            kind,
            reduction,
            l2,
        } = self.objective;
        let (penalty, penalty_tex) = penalty_terms(l2);
        let latex = format!(
            "{}{penalty_tex}",
            loss_tex(kind, reduction, self.examples, self.notation.element)
        );
        let equation = format!("{}{penalty}", loss_equation(kind, reduction));
        entry(Stage::Loss, "J".into(), equation, latex, loss)
    }

    /// `dZ_l`, `dW_l` and `db_l` from the output layer down (`backward` holds them from
    /// layer 1 up).
    fn backward(&self, backward: Vec<(Matrix, Matrix, Option<Matrix>)>) -> Vec<Entry> {
        let mut entries = Vec::new();
        for (i, (dz, dw, db)) in backward.into_iter().enumerate().rev() {
            let l = i + 1;
            let (equation, rhs) = self.delta(l);
            let latex = format!("d{} = {rhs}", bold("Z", l));
            entries.push(entry(
                Stage::Backward,
                format!("dZ{l}"),
                equation,
                latex,
                dz,
            ));
            entries.push(self.weight_gradient(l, dw));
            if let Some(db) = db {
                entries.push(self.bias_gradient(l, db));
            }
        }
        entries
    }

    /// The right-hand side of `dZ_l = …`, as text and LaTeX: the output delta for `l = L`,
    /// the chain rule through `g'` below it.
    fn delta(&self, l: usize) -> (String, String) {
        if l == self.depth && self.objective.kind == LossKind::Hinge {
            // manual::output_delta's derivation, with Ỹ = 2Y − 1.
            let z = bold("Z", l);
            (
                format!("−(2Y − 1) ⊙ [1 − (2Y − 1) ⊙ Z{l} > 0]"),
                format!(
                    "-(2 \\mathbf{{Y}} - 1) \\odot \\left[ 1 - (2 \\mathbf{{Y}} - 1) \\odot {z} > 0 \\right]"
                ),
            )
        } else if l == self.depth {
            (
                "Ŷ − Y".to_string(),
                "\\hat{\\mathbf{Y}} - \\mathbf{Y}".to_string(),
            )
        } else {
            let g = self.model.hidden_activations[l - 1].name();
            (
                format!("{} ⊙ {g}'(Z{l})", (self.notation.back)(l + 1)),
                format!(
                    "{} \\odot \\mathrm{{{g}}}'({})",
                    (self.notation.back_tex)(l + 1),
                    bold("Z", l)
                ),
            )
        }
    }

    /// `dW_l = s·A_{l−1}ᵀ·dZ_l` (in the layout's order), plus the penalty's `2α·W_l`.
    fn weight_gradient(&self, l: usize, dw: Matrix) -> Entry {
        let Objective { reduction, l2, .. } = self.objective;
        let s = scale_prefix(reduction, self.examples);
        let s_tex = scale_tex(reduction, self.examples);
        let input = activation_name(l - 1, self.depth);
        let (decay, decay_tex) = penalty_gradient(l2, false, &format!("W{l}"), &bold("W", l));
        let equation = format!("{s}{}{decay}", (self.notation.dw)(&input, l));
        let input = activation_tex(l - 1, self.depth);
        let latex = format!(
            "d{} = {s_tex}{}{decay_tex}",
            bold("W", l),
            (self.notation.dw_tex)(&input, l)
        );
        entry(Stage::Backward, format!("dW{l}"), equation, latex, dw)
    }

    /// `db_l = s·Σᵢ dZ_l` over the examples, plus the penalty's `2α·b_l` when it covers biases.
    fn bias_gradient(&self, l: usize, db: Matrix) -> Entry {
        let Objective { reduction, l2, .. } = self.objective;
        let s = scale_prefix(reduction, self.examples);
        let s_tex = scale_tex(reduction, self.examples);
        let (decay, decay_tex) = penalty_gradient(l2, true, &format!("b{l}"), &bold("b", l));
        let equation = format!("{s}Σᵢ dZ{l}{}{decay}", self.notation.examples_index);
        let latex = format!(
            "d{} = {s_tex}\\sum_{{i}} d{}{}{decay_tex}",
            bold("b", l),
            bold("Z", l),
            self.notation.examples_tex
        );
        entry(Stage::Backward, format!("db{l}"), equation, latex, db)
    }
}
