//! The small tables of notebooks 001 and 003.

use super::Examples;

/// Notebook 001's table: three features `X1 X2 X3` and the target `y`, which copies `X1`.
///
/// ```text
/// X1 X2 X3 y
///  0  1  0 0
///  1  0  0 1
///  1  1  1 1
///  0  1  1 0
/// ```
pub fn logreg() -> Examples {
    let rows = [
        ([0.0, 1.0, 0.0], [0.0]),
        ([1.0, 0.0, 0.0], [1.0]),
        ([1.0, 1.0, 1.0], [1.0]),
        ([0.0, 1.0, 1.0], [0.0]),
    ];
    Examples::of_rows(rows.iter().map(|(x, y)| (&x[..], &y[..])))
}

/// Notebook 003's XOR table: `a ⊕ b` for the four inputs, in the notebook's order.
pub fn xor() -> Examples {
    let rows = [
        ([0.0, 0.0], [0.0]),
        ([0.0, 1.0], [1.0]),
        ([1.0, 0.0], [1.0]),
        ([1.0, 1.0], [0.0]),
    ];
    Examples::of_rows(rows.iter().map(|(x, y)| (&x[..], &y[..])))
}
