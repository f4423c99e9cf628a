//! A trace as a derivation sheet: Markdown that GitHub (or any Markdown with `$$` math)
//! renders, one section per stage of the pass, each entry's equation in LaTeX followed by its
//! matrix. What `burnprop trace --format markdown` writes.
//!
//! GitHub reads Markdown before it hands a `$$` block to MathJax, and a backslash before ASCII
//! punctuation is a Markdown escape there (`\{`, `\,` lose their backslash). So the LaTeX here
//! uses only backslashes before letters, and `\\` (a matrix row's end) only at the end of a
//! line, where GitHub keeps it; every `$$` stands on a line of its own, with blank lines around
//! the block.

use std::fmt::Write as _;

use super::document::{Document, Entry, Stage};
use super::text::shown;
use crate::loss::{L2Scope, Reduction};
use crate::tensor::Layout;

/// The stages of a trace, in order, with their headings.
const STAGES: [(Stage, &str); 4] = [
    (Stage::Input, "Parameters and batch"),
    (Stage::Forward, "Forward pass"),
    (Stage::Loss, "Loss"),
    (Stage::Backward, "Backward pass"),
];

/// The derivation sheet of `document`.
pub fn markdown(document: &Document) -> String {
    let header = &document.header;
    let mut out = String::new();
    // Writing to a String cannot fail: the results of writeln! are ignored below.
    let _ = writeln!(
        out,
        "# Backpropagation, step by step: `{}`\n",
        header.preset.name()
    );
    let reduction = match header.reduction {
        Reduction::Sum => "summed over the examples",
        Reduction::Mean => "averaged over the examples",
    };
    let layout = match header.layout {
        Layout::Row => "row: examples are rows, as in burn and notebooks 000, 001, 003",
        Layout::Column => "column: examples are columns, as in notebook 002",
    };
    let penalty = if header.l2 == 0.0 {
        String::new()
    } else {
        match header.l2_on {
            L2Scope::All => format!(", plus the L2 penalty {}·Σθ²", header.l2),
            L2Scope::Weights => format!(", plus the L2 penalty {}·ΣW² (weights only)", header.l2),
        }
    };
    let rows = [
        ("notebook", header.notebook.clone()),
        ("network", header.network.clone()),
        (
            "loss",
            format!("{}, {reduction}{penalty}", header.loss.name()),
        ),
        ("layout", layout.to_string()),
        ("examples", header.examples.to_string()),
        (
            "precision",
            format!("{} on {}", header.dtype.name(), header.backend),
        ),
        (
            "random numbers",
            format!("{:?} stream, seed {}", header.rng, header.seed).to_lowercase(),
        ),
    ];
    let _ = writeln!(out, "| setting | value |\n|---|---|");
    for (key, value) in rows {
        let _ = writeln!(out, "| {key} | {} |", value.replace('|', "\\|"));
    }
    let _ = writeln!(
        out,
        "\nWritten by `burnprop trace --format markdown`. Each entry states its equation, then \
         its value, rounded to 8 decimals; `burnprop trace --format json` holds every value at \
         full precision."
    );
    for (stage, heading) in STAGES {
        let entries: Vec<&Entry> = document
            .entries
            .iter()
            .filter(|e| e.stage == stage)
            .collect();
        if entries.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n## {heading}");
        for entry in entries {
            section(&mut out, entry);
        }
    }
    out
}

/// One entry: its heading, its equation, its shape, its value.
fn section(out: &mut String, entry: &Entry) {
    let _ = write!(out, "\n### `{}`", entry.name);
    if let Some(alias) = &entry.alias {
        let _ = write!(out, " (the notebook's `{alias}`)");
    }
    let shape: Vec<String> = entry.shape.iter().map(usize::to_string).collect();
    let shape = shape.join(", ");
    let _ = match entry.stage {
        // The parameters and the batch have a description, not an equation.
        Stage::Input => writeln!(
            out,
            "\n\n`{}`: {}; shape [{shape}].",
            entry.name, entry.equation
        ),
        _ => writeln!(
            out,
            "\n\n`{} = {}`; shape [{shape}].",
            entry.name, entry.equation
        ),
    };
    let _ = writeln!(out, "\n$$\n{}\n$$", entry.latex);
    let (rows, cols) = match entry.shape.as_slice() {
        [n] => (1, *n),
        [rows, cols] => (*rows, *cols),
        _ => (1, entry.values.len()),
    };
    let symbol = symbol(&entry.latex);
    if entry.values.len() == 1 {
        let _ = writeln!(out, "\n$$\n{symbol} = {}\n$$", number(entry.values[0]));
        return;
    }
    let row_idx = shown(rows);
    let col_idx = shown(cols);
    let _ = writeln!(out, "\n$$\n{symbol} = \\begin{{bmatrix}}");
    let lines: Vec<String> = row_idx
        .iter()
        .map(|r| {
            let cells: Vec<String> = col_idx
                .iter()
                .map(|c| match (r, c) {
                    (Some(r), Some(c)) => number(entry.values[r * cols + c]),
                    (Some(_), None) => "\\cdots".to_string(),
                    (None, Some(_)) => "\\vdots".to_string(),
                    (None, None) => "\\ddots".to_string(),
                })
                .collect();
            cells.join(" & ")
        })
        .collect();
    let _ = writeln!(out, "{}\n\\end{{bmatrix}}\n$$", lines.join(" \\\\\n"));
    if row_idx.len() < rows || col_idx.len() < cols {
        let _ = writeln!(
            out,
            "\nShown: {}, {}; `--format json` holds every value.",
            extent(row_idx.iter().flatten().count(), rows, "row"),
            extent(col_idx.iter().flatten().count(), cols, "column"),
        );
    }
}

/// How much of a dimension of `n` is shown, e.g. `6 of 784 rows (the first and last 3)`.
fn extent(shown: usize, n: usize, what: &str) -> String {
    if shown == n {
        format!("all {n} {what}s")
    } else {
        format!("{shown} of {n} {what}s (the first and last {})", shown / 2)
    }
}

/// The left-hand side of an entry's LaTeX: its symbol, before ` = ` or ` \in `.
fn symbol(latex: &str) -> &str {
    [" = ", " \\in "]
        .iter()
        .filter_map(|sep| latex.find(sep))
        .min()
        .map_or(latex, |at| &latex[..at])
}

/// A value in LaTeX, as the text format rounds it; NaN and the infinities in words.
fn number(value: f64) -> String {
    if value.is_nan() {
        "\\mathrm{NaN}".to_string()
    } else if value.is_infinite() {
        let sign = if value < 0.0 { "-" } else { "" };
        format!("{sign}\\infty")
    } else {
        format!("{value:.8}")
    }
}
