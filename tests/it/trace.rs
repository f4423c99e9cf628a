//! `burnprop trace` in its three formats: the text a person reads, the JSON another program
//! checks, the Markdown derivation sheet; and the notebooks' names for its entries.

use burn::tensor::Device;
use clap::Parser;

use burnprop::cli::{Cli, Command};
use burnprop::device::Backend;
use burnprop::trace::{self, Document, Header, Stage};
use burnprop::train::Experiment;

use crate::cli::one_line_failure;
use crate::common::{PRINTED, burnprop, mnist_fixture};

/// The traces the formats are checked on: the three presets whose notebooks print their
/// matrices in rows, a network deeper than any notebook's, the column layout, and micrograd's
/// hinge loss and L2 penalty in both layouts (narrowed from 16 units). Each is small enough that the text prints every
/// value.
const CASES: &[&[&str]] = &[
    &["xor"],
    &["circles"],
    &["logreg"],
    &["circles", "--hidden", "4,3", "--examples", "5"],
    &["xor", "--hidden", "4,3", "--activation", "relu,tanh"],
    &["logreg", "--layout", "column", "--hidden", "2"],
    &["micrograd", "--hidden", "4,3", "--examples", "3"],
    &[
        "micrograd",
        "--layout",
        "column",
        "--hidden",
        "4,3",
        "--examples",
        "3",
    ],
];

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

/// One entry of the text format, read back: `(name, equation, shape, alias, values)`.
type TextEntry = (String, String, Vec<usize>, Option<String>, Vec<f64>);

/// The text format read back: its header line and its entries. Each entry is a line
/// `NAME = EQUATION  [SHAPE]` (then `  (the notebook's ALIAS)`), its values on the lines
/// below, and a blank line.
fn parse_text(text: &str) -> (String, Vec<TextEntry>) {
    let mut blocks = text.split("\n\n");
    let header = blocks.next().expect("a header line").to_string();
    let entries = blocks
        .map(|block| {
            let mut lines = block.lines();
            let head = lines.next().expect("an entry header");
            let parts: Vec<&str> = head.split("  ").collect();
            let (name, equation) = parts[0].split_once(" = ").expect("NAME = EQUATION");
            let shape = parts[1]
                .trim_matches(|c| c == '[' || c == ']')
                .split(", ")
                .map(|n| n.parse().expect("a dimension"))
                .collect();
            let alias = parts.get(2).map(|a| {
                a.trim_start_matches("(the notebook's ")
                    .trim_end_matches(')')
                    .to_string()
            });
            let values = lines
                .flat_map(|l| l.split(|c: char| c == '[' || c == ']' || c.is_whitespace()))
                .filter(|t| !t.is_empty())
                .map(|t| {
                    t.parse()
                        .unwrap_or_else(|_| panic!("{t} in {name}: not a number"))
                })
                .collect();
            (name.into(), equation.into(), shape, alias, values)
        })
        .collect();
    (header, entries)
}

/// `burnprop trace ARGS --format json`, read into the library's schema.
fn trace_json(args: &[&str]) -> Document {
    let mut args = args.to_vec();
    args.extend(["--format", "json"]);
    serde_json::from_str(&trace_stdout(&args)).expect("trace --format json reads back")
}

#[test]
fn trace_json_holds_the_matrices_the_text_prints() {
    for case in CASES {
        let (header, text) = parse_text(&trace_stdout(case));
        let json = trace_json(case);
        assert_eq!(json.header.to_string(), header, "{case:?}: the header");
        let names: Vec<&str> = json.entries.iter().map(|e| e.name.as_str()).collect();
        let text_names: Vec<&str> = text.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(names, text_names, "{case:?}: the entries, in order");
        for (entry, (name, equation, shape, alias, values)) in json.entries.iter().zip(&text) {
            let what = format!("{case:?} {name}");
            assert_eq!(&entry.equation, equation, "{what}");
            assert_eq!(&entry.shape, shape, "{what}");
            assert_eq!(&entry.alias, alias, "{what}");
            assert_eq!(
                entry.values.len(),
                shape.iter().product::<usize>(),
                "{what}: size"
            );
            assert_eq!(entry.values.len(), values.len(), "{what}: printed values");
            for (i, (full, printed)) in entry.values.iter().zip(values).enumerate() {
                // The text rounds to 8 decimals: half a unit of the 8th, and the rounding
                // of reading the decimal back.
                let tol = PRINTED + full.abs() * f64::EPSILON;
                assert!(
                    (full - printed).abs() <= tol,
                    "{what}[{i}]: JSON {full}, text {printed}"
                );
            }
        }
    }
}

/// The `TraceArgs` of `burnprop trace ARGS`, parsed as the binary parses them.
fn trace_args(args: &[&str]) -> Box<burnprop::cli::args::TraceArgs> {
    let argv = ["burnprop", "trace"].iter().chain(args);
    match Cli::try_parse_from(argv).expect("valid arguments").command {
        Command::Trace(args) => args,
        _ => unreachable!("a trace command line parses as trace"),
    }
}

#[test]
fn trace_json_values_are_the_librarys_bit_for_bit() {
    let device = Device::flex();
    for case in CASES {
        let args = trace_args(case);
        let config = args.experiment.to_config().expect("a valid config");
        let experiment = Experiment::new(&config, &device).expect("the experiment");
        let trace = trace::of_experiment(&experiment, &config, args.layout, args.examples, &device)
            .expect("the trace");
        let json = trace_json(case);
        let header = Header::new(&config, args.layout, Backend::Flex, &trace);
        assert_eq!(json.header, header, "{case:?}");
        assert_eq!(json.entries.len(), trace.entries.len(), "{case:?}");
        for (read, computed) in json.entries.iter().zip(&trace.entries) {
            assert_eq!(read.name, computed.name, "{case:?}");
            let bits = |values: &[f64]| values.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(
                bits(&read.values),
                bits(&computed.values),
                "{case:?} {}: every value, bit for bit",
                read.name
            );
            assert_eq!(read, computed, "{case:?}");
        }
    }
}

#[test]
fn trace_text_is_the_default_format() {
    assert_eq!(
        trace_stdout(&["xor"]),
        trace_stdout(&["xor", "--format", "text"])
    );
}

/// Checks what GitHub needs to render `sheet`'s math: every `$$` alone on its line, with a
/// blank line before a block opens and after it closes, no blank line inside a block, every
/// block closed; inside a block a backslash only before a letter (GitHub's Markdown eats
/// the backslash of `\{` or `\,`), or as `\\` ending a line; outside, `$` in pairs on one line
/// (inline math does not break across lines).
fn assert_renders_on_github(sheet: &str) {
    let lines: Vec<&str> = sheet.lines().collect();
    let mut in_math = false;
    for (i, line) in lines.iter().enumerate() {
        let at = format!("line {}: {line}", i + 1);
        if line.contains("$$") {
            assert_eq!(*line, "$$", "{at}: `$$` stands alone");
            let beside = if in_math {
                lines.get(i + 1)
            } else {
                lines.get(i - 1)
            };
            assert!(
                beside.is_none_or(|l| l.is_empty()),
                "{at}: a blank line beside"
            );
            in_math = !in_math;
        } else if in_math {
            assert!(!line.trim().is_empty(), "{at}: a blank line ends the math");
            let body = line.strip_suffix(" \\\\").unwrap_or(line);
            for (j, _) in body.match_indices('\\') {
                let next = body[j + 1..].chars().next();
                assert!(
                    next.is_some_and(|c| c.is_ascii_alphabetic()),
                    "{at}: a backslash before {next:?}"
                );
            }
        } else {
            assert_eq!(line.matches('$').count() % 2, 0, "{at}: inline math");
        }
    }
    assert!(!in_math, "a `$$` block is not closed");
}

/// The indices a truncated dimension of `n` shows: all of them up to 10, else the first and
/// last 3 with `None` for the elision (the text format's numpy-style corners, whose limits
/// are those of `format_matrix` in src/trace/text.rs).
fn shown(n: usize) -> Vec<Option<usize>> {
    if n <= 10 {
        (0..n).map(Some).collect()
    } else {
        [
            Some(0),
            Some(1),
            Some(2),
            None,
            Some(n - 3),
            Some(n - 2),
            Some(n - 1),
        ]
        .to_vec()
    }
}

/// Checks the structure of the derivation sheet `sheet` against the JSON of the same trace:
/// the stage headings in order, one `###` section per entry, each with one equation block
/// (the entry's LaTeX) and one value block whose matrix has the entry's shape and values.
fn assert_sheet_matches(sheet: &str, json: &Document, what: &str) {
    assert_renders_on_github(sheet);
    let stages = [
        (Stage::Input, "## Parameters and batch"),
        (Stage::Forward, "## Forward pass"),
        (Stage::Loss, "## Loss"),
        (Stage::Backward, "## Backward pass"),
    ];
    let headings: Vec<&str> = sheet.lines().filter(|l| l.starts_with("## ")).collect();
    let expected: Vec<&str> = stages.iter().map(|(_, h)| *h).collect();
    assert_eq!(headings, expected, "{what}: the stages");
    // Each section: its stage heading, its `###` line, the math blocks and prose below it.
    let mut stage = "";
    let mut sections: Vec<(&str, &str, Vec<&str>)> = Vec::new();
    for line in sheet.lines() {
        if line.starts_with("## ") {
            stage = line;
        } else if line.starts_with("### ") {
            sections.push((stage, line, Vec::new()));
        } else if let Some(section) = sections.last_mut() {
            section.2.push(line);
        }
    }
    assert_eq!(
        sections.len(),
        json.entries.len(),
        "{what}: one section per entry"
    );
    for (entry, (stage, heading, body)) in json.entries.iter().zip(&sections) {
        let at = format!("{what} {}", entry.name);
        let expected_stage = stages
            .iter()
            .find(|(s, _)| *s == entry.stage)
            .map(|(_, h)| *h);
        assert_eq!(Some(*stage), expected_stage, "{at}: its stage");
        let mut expected_heading = format!("### `{}`", entry.name);
        if let Some(alias) = &entry.alias {
            expected_heading += &format!(" (the notebook's `{alias}`)");
        }
        assert_eq!(*heading, expected_heading, "{at}");
        let dims: Vec<String> = entry.shape.iter().map(usize::to_string).collect();
        let stated = format!("; shape [{}].", dims.join(", "));
        assert!(
            body.iter().any(|l| l.ends_with(&stated)),
            "{at}: states {stated}"
        );
        let blocks: Vec<&[&str]> = body.split(|l| *l == "$$").skip(1).step_by(2).collect();
        assert_eq!(blocks.len(), 2, "{at}: an equation block and a value block");
        assert_eq!(blocks[0], [entry.latex.as_str()], "{at}: the equation");
        assert!(!blocks[0][0].contains("bmatrix"), "{at}");
        let value = blocks[1];
        let number = |cell: &str| -> Option<f64> { cell.trim().parse().ok() };
        let close =
            |printed: f64, full: f64| (printed - full).abs() <= PRINTED + full.abs() * f64::EPSILON;
        if entry.values.len() == 1 {
            let (_, printed) = value[0].rsplit_once(" = ").expect("SYMBOL = VALUE");
            let printed = number(printed).expect("a number");
            assert!(close(printed, entry.values[0]), "{at}: {printed}");
            continue;
        }
        let (rows, cols) = match entry.shape.as_slice() {
            [n] => (1, *n),
            [r, c] => (*r, *c),
            shape => panic!("{at}: a shape {shape:?}"),
        };
        assert!(
            value[0].ends_with(" = \\begin{bmatrix}"),
            "{at}: {}",
            value[0]
        );
        assert_eq!(value[value.len() - 1], "\\end{bmatrix}", "{at}");
        let matrix = &value[1..value.len() - 1];
        let (row_idx, col_idx) = (shown(rows), shown(cols));
        assert_eq!(matrix.len(), row_idx.len(), "{at}: rows shown");
        for (line, r) in matrix.iter().zip(&row_idx) {
            let cells: Vec<&str> = line.trim_end_matches(" \\\\").split(" & ").collect();
            assert_eq!(cells.len(), col_idx.len(), "{at}: columns shown in {line}");
            for (cell, c) in cells.iter().zip(&col_idx) {
                match (r, c) {
                    (Some(r), Some(c)) => {
                        let full = entry.values[r * cols + c];
                        let printed = number(cell).expect("a number");
                        assert!(close(printed, full), "{at}[{r}, {c}]: {printed} vs {full}");
                    }
                    (Some(_), None) => assert_eq!(*cell, "\\cdots", "{at}"),
                    (None, Some(_)) => assert_eq!(*cell, "\\vdots", "{at}"),
                    (None, None) => assert_eq!(*cell, "\\ddots", "{at}"),
                }
            }
        }
        let truncated = row_idx.len() < rows || col_idx.len() < cols;
        let noted = body.iter().any(|l| l.starts_with("Shown: "));
        assert_eq!(
            noted, truncated,
            "{at}: a note exactly where values are left out"
        );
    }
}

#[test]
fn trace_markdown_is_a_derivation_sheet_of_every_entry() {
    for case in CASES {
        let mut args = case.to_vec();
        args.extend(["--format", "markdown"]);
        let sheet = trace_stdout(&args);
        assert_sheet_matches(&sheet, &trace_json(case), &format!("{case:?}"));
    }
}

#[test]
fn trace_markdown_shows_the_corners_of_mnists_matrices() {
    let dir = mnist_fixture();
    let dir = dir.to_str().expect("a UTF-8 path");
    let case = ["mnist", "--data-dir", dir];
    let sheet = trace_stdout(&["mnist", "--data-dir", dir, "--format", "markdown"]);
    let json = trace_json(&case);
    assert_sheet_matches(&sheet, &json, "mnist");
    // W1 is [784, 128] (MNIST's 28 × 28 pixels, the preset's 128 hidden units: `burnprop
    // list`): the sheet shows the first and last 3 of each dimension, as the text does.
    assert!(
        sheet.contains("### `W1`\n\n`W1`: layer 1 weights [n_in, n_out]; shape [784, 128].\n"),
        "{sheet}"
    );
    assert!(sheet.contains(
        "Shown: 6 of 784 rows (the first and last 3), 6 of 128 columns (the first and last 3); \
         `--format json` holds every value."
    ));
    // The JSON holds every value: 784 · 128 weights.
    let w1 = &json.entries[0];
    assert_eq!((w1.name.as_str(), w1.values.len()), ("W1", 784 * 128));
}

#[test]
fn trace_out_writes_the_file_atomically() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for (format, file) in [
        ("text", "trace.txt"),
        ("json", "trace.json"),
        ("markdown", "trace.md"),
    ] {
        let path = dir.path().join(file);
        let path_arg = path.to_str().expect("a UTF-8 path");
        let said = trace_stdout(&["xor", "--format", format, "--out", path_arg]);
        assert_eq!(said, format!("wrote {path_arg}\n"));
        let written = std::fs::read_to_string(&path).expect("the file is written");
        assert_eq!(
            written,
            trace_stdout(&["xor", "--format", format]),
            "{format}"
        );
    }
    // Nothing else is left behind: no temporary file.
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("listable")
        .map(|e| e.expect("an entry").file_name())
        .collect();
    names.sort();
    assert_eq!(names, ["trace.json", "trace.md", "trace.txt"]);
}

#[test]
fn trace_errors_are_one_sentence() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let missing = dir.path().join("missing/trace.json");
    let mut cmd = burnprop();
    cmd.args(["trace", "xor", "--format", "json", "--out"])
        .arg(&missing);
    let err = one_line_failure(cmd, &["trace --out missing/trace.json"]);
    assert!(err.contains("cannot write"), "{err}");
    assert!(!missing.exists());
    // Weights of order 1e30 overflow f32: relu(X·W1)·W2 meets inf − inf, and Z2 is NaN for
    // every input but [0, 0] (which has no weights to meet: the xor net has no biases).
    let args = [
        "trace",
        "xor",
        "--init",
        "normal",
        "--init-scale",
        "1e30",
        "--format",
        "json",
    ];
    let mut cmd = burnprop();
    cmd.args(args);
    let err = one_line_failure(cmd, &args);
    assert!(
        err.contains(
            "cannot write the trace as JSON: Z2[1, 0] is NaN, and JSON has no NaN or infinity"
        ),
        "{err}"
    );
    // The other formats print what JSON cannot hold.
    let text = trace_stdout(&args[1..6]);
    assert!(text.contains("J = mean bce(Ŷ, Y)  [1]\nNaN\n"), "{text}");
}

#[test]
fn a_micrograd_trace_is_the_objective_autodiff_differentiates() {
    // The trace's J and gradients include the hinge's own output delta and the penalty's
    // α·Σθ² and 2α·θ: they equal burn's autodiff of the whole objective, in both layouts (the
    // column layout's W_l is burn's W_lᵀ).
    let device = Device::flex();
    for layout in ["row", "column"] {
        let args = trace_args(&["micrograd", "--examples", "5", "--layout", layout]);
        let config = args.experiment.to_config().expect("a valid config");
        let experiment = Experiment::new(&config, &device).expect("the experiment");
        let trace = trace::of_experiment(&experiment, &config, args.layout, args.examples, &device)
            .expect("the trace");
        let batch = experiment.first_batch(&config, args.examples, &device);
        let (loss, gradients) = burnprop::train::steppers::autodiff::gradients(
            &experiment.model,
            batch.inputs(),
            batch.targets(),
            config.loss,
            config.reduction,
            config.penalty(),
        )
        .expect("autodiff gradients");
        let entry = |name: &str| {
            trace
                .entries
                .iter()
                .find(|e| e.name == name)
                .unwrap_or_else(|| panic!("{layout}: the trace has {name}"))
        };
        // f64 sums of a handful of terms in another order.
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-13 * b.abs().max(1.0);
        assert!(close(entry("J").values[0], loss), "{layout}: J");
        for (l, layer) in gradients.layers.iter().enumerate() {
            let [n_in, n_out] = layer.weight.dims();
            let autodiff = crate::common::values(layer.weight.clone());
            let traced = &entry(&format!("dW{}", l + 1)).values;
            for i in 0..n_in {
                for j in 0..n_out {
                    // Row layout: [n_in, n_out] as burn; column layout: [n_out, n_in].
                    let t = if layout == "row" {
                        traced[i * n_out + j]
                    } else {
                        traced[j * n_in + i]
                    };
                    let a = autodiff[i * n_out + j];
                    assert!(close(t, a), "{layout} dW{}[{i}, {j}]: {t} vs {a}", l + 1);
                }
            }
            let bias = layer
                .bias
                .clone()
                .map(crate::common::values)
                .unwrap_or_default();
            for (t, a) in entry(&format!("db{}", l + 1)).values.iter().zip(&bias) {
                assert!(close(*t, *a), "{layout} db{}: {t} vs {a}", l + 1);
            }
        }
    }
}
