//! `burnprop trace` in its three formats: the text a person reads, the JSON another program
//! checks, the Markdown derivation sheet; and the notebooks' names for its entries.

use crate::common::burnprop;

/// `burnprop trace ARGS`'s standard output, after checking that it succeeded.
fn trace_stdout(args: &[&str]) -> String {
    let output = burnprop()
        .arg("trace")
        .args(args)
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "trace {args:?}: {stderr}");
    String::from_utf8(output.stdout).expect("UTF-8")
}

/// The header lines of the text entries that carry a notebook name: `(header, alias)`.
fn aliased(text: &str) -> Vec<(&str, &str)> {
    text.lines()
        .filter_map(|line| {
            let (_, alias) = line.split_once("  (the notebook's ")?;
            Some((line, alias.strip_suffix(')')?))
        })
        .collect()
}

#[test]
fn a_deeper_circles_network_names_its_deltas_by_role() {
    // Notebook 000 calls the output delta δ^o and the hidden delta δ^h (its cells
    // "∂J/∂z = δ^o = ŷ − y" and "δ_h = ∂J/∂Z^h"), and the hidden activation H. With two
    // hidden layers, both are hidden: only dZ3, the output layer's, is δ^o. The shapes follow
    // from --hidden 4,3, the 2 inputs and 2 classes of circles, and 4 examples (the default).
    let text = trace_stdout(&["circles", "--hidden", "4,3"]);
    let expected = [
        ("A1 = sigmoid(Z1)  [4, 4]  (the notebook's H)", "H"),
        ("A2 = sigmoid(Z2)  [4, 3]  (the notebook's H)", "H"),
        ("Ŷ = softmax(Z3)  [4, 2]  (the notebook's y_hat)", "y_hat"),
        ("dZ3 = Ŷ − Y  [4, 2]  (the notebook's δ^o)", "δ^o"),
        (
            "dZ2 = (dZ3·W3ᵀ) ⊙ sigmoid'(Z2)  [4, 3]  (the notebook's δ^h)",
            "δ^h",
        ),
        (
            "dZ1 = (dZ2·W2ᵀ) ⊙ sigmoid'(Z1)  [4, 4]  (the notebook's δ^h)",
            "δ^h",
        ),
    ];
    assert_eq!(aliased(&text), expected, "{text}");
}

#[test]
fn the_notebooks_own_depth_keeps_its_trace_names() {
    // What the notebooks call these (000: H, y_hat, δ^o, δ^h; 003: X2, Yhat; 001: its output
    // A1), at each notebook's own depth: the names the trace printed before deeper networks
    // were labelled by role.
    let circles = trace_stdout(&["circles"]);
    let names: Vec<_> = aliased(&circles).into_iter().map(|(_, a)| a).collect();
    assert_eq!(names, ["H", "y_hat", "δ^o", "δ^h"], "{circles}");
    assert!(circles.contains("dZ2 = Ŷ − Y  [4, 2]  (the notebook's δ^o)"));
    let xor = trace_stdout(&["xor"]);
    let names: Vec<_> = aliased(&xor).into_iter().map(|(_, a)| a).collect();
    assert_eq!(names, ["X2", "Yhat"], "{xor}");
    let logreg = trace_stdout(&["logreg"]);
    assert!(logreg.contains("Ŷ = sigmoid(Z1)  [4, 1]  (the notebook's A1)"));
}

#[test]
fn deeper_networks_keep_each_notebooks_naming_rule() {
    // Notebook 003 calls the input of layer l X_l (its derivation's X2, X3): A2 is its X3.
    let xor = trace_stdout(&["xor", "--hidden", "4,3"]);
    let names: Vec<_> = aliased(&xor).into_iter().map(|(_, a)| a).collect();
    assert_eq!(names, ["X2", "X3", "Yhat"], "{xor}");
    // Notebook 001's A1 is the output of its one layer; with a hidden layer burnprop's A1 is
    // that layer, so Ŷ is not called A1.
    let logreg = trace_stdout(&["logreg", "--hidden", "4"]);
    assert!(aliased(&logreg).is_empty(), "{logreg}");
}
