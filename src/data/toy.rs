//! The small tables of notebooks 001 and 003.

use super::Example;

/// Notebook 001's table: three features `X1 X2 X3` and the target `y`, which copies `X1`.
///
/// ```text
/// X1 X2 X3 y
///  0  1  0 0
///  1  0  0 1
///  1  1  1 1
///  0  1  1 0
/// ```
pub fn logreg() -> Vec<Example> {
    [
        ([0.0, 1.0, 0.0], 0.0),
        ([1.0, 0.0, 0.0], 1.0),
        ([1.0, 1.0, 1.0], 1.0),
        ([0.0, 1.0, 1.0], 0.0),
    ]
    .into_iter()
    .map(|(x, y)| Example {
        x: x.to_vec(),
        y: vec![y],
    })
    .collect()
}

/// Notebook 003's XOR table: `a ⊕ b` for the four inputs, in the notebook's order.
pub fn xor() -> Vec<Example> {
    [
        ([0.0, 0.0], 0.0),
        ([0.0, 1.0], 1.0),
        ([1.0, 0.0], 1.0),
        ([1.0, 1.0], 0.0),
    ]
    .into_iter()
    .map(|(x, y)| Example {
        x: x.to_vec(),
        y: vec![y],
    })
    .collect()
}
