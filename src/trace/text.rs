//! `burnprop trace --format text`, the default: a line that says what was traced, then each
//! entry's name, equation and shape over its values, printed as numpy prints an array (8
//! decimals, aligned, only the corners of a large matrix).

use std::fmt;

use super::document::{Entry, Header, Trace};
use crate::tensor::Layout;

impl fmt::Display for Header {
    /// One line: what was traced, on which backend, in which layout.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "trace {} (notebook {}) on {}, {}: {}, {} examples, {} layout",
            self.preset.name(),
            self.notebook,
            self.backend,
            self.dtype.name(),
            self.network,
            self.examples,
            match self.layout {
                Layout::Row => "row (examples are rows)",
                Layout::Column => "column (examples are columns)",
            }
        )
    }
}

/// Rows and columns beyond which a matrix is shown by its corners, as numpy prints.
const FULL_UP_TO: usize = 10;
/// Rows or columns shown at each end of an elided dimension.
const EDGE: usize = 3;

/// The indices shown along a dimension of `n`, with `None` where the elision goes.
pub(super) fn shown(n: usize) -> Vec<Option<usize>> {
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
