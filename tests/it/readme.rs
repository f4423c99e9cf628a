//! README.md is tested: its `console` blocks run here, command by command, with `trycmd`, and
//! its Layout section names every file of the source tree.
//!
//! trycmd (clap's and cargo's own tool for their documented command lines) runs each
//! `$ burnprop …` line of a `console` block against the binary cargo built and compares what it
//! prints (stdout and stderr together) with the lines below it: `[..]` stands for the rest of a
//! line's text up to what follows it (timings, steps per second), `...` on a line of its own for
//! any lines (progress), `? 2` states an exit status other than 0. The blocks run in order, in
//! one working directory, as a reader typing them would: a later block reads what an earlier one
//! wrote (`runs/xor`). `sh` and `text` blocks (commands that need the full MNIST set, a GPU, a
//! Ctrl-C or `cargo`) are not run; their figures come from scripts/readme-figures.sh.
//!
//! To see why a block fails: `TRYCMD=dump cargo test --release --test it readme` writes what
//! each command printed; the README is never rewritten by the test.

use std::fs;
use std::path::Path;

/// The repository's root: cargo runs integration tests there.
fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn readme() -> String {
    fs::read_to_string(root().join("README.md")).expect("README.md is readable")
}

/// The info strings of README.md's fenced blocks, in order.
fn fences(text: &str) -> Vec<&str> {
    let mut open = false;
    let mut infos = Vec::new();
    for line in text.lines() {
        if let Some(info) = line.strip_prefix("```") {
            if !open {
                infos.push(info.trim());
            }
            open = !open;
        }
    }
    infos
}

/// README.md as trycmd reads it. The README shows each command's output as a terminal does,
/// ending with its last line; trycmd drops the newline before the next `$` or the closing fence
/// (so that output without a final newline can be shown), so each output gets an empty line
/// there.
fn for_trycmd(text: &str) -> String {
    let mut out = String::new();
    let mut in_console = false;
    let mut commands = 0;
    for line in text.lines() {
        if in_console && (line.starts_with("$ ") && commands > 0 || line.starts_with("```")) {
            out.push('\n');
        }
        if line.starts_with("```") {
            in_console = !in_console && line == "```console";
            commands = 0;
        } else if in_console && line.starts_with("$ ") {
            commands += 1;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The working directory of the README's commands: a fresh directory holding README.md's copy
/// and, beside it, `README.in/` (trycmd's name for a case's working directory) with the
/// repository's `tests/` linked in, for the committed MNIST fixture, and `examples/`, for the
/// CSV files of `--data-file`.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    fs::write(dir.path().join("README.md"), for_trycmd(&readme())).expect("README.md copied");
    let work = dir.path().join("README.in");
    fs::create_dir(&work).expect("README.in");
    std::os::unix::fs::symlink(root().join("tests"), work.join("tests")).expect("tests/ linked");
    std::os::unix::fs::symlink(root().join("examples"), work.join("examples"))
        .expect("examples/ linked");
    dir
}

/// The `console` blocks of README.md, counted.
const CONSOLE_BLOCKS: usize = 16;

#[test]
fn every_console_block_of_the_readme_prints_what_it_shows() {
    let text = readme();
    let infos = fences(&text);
    // A fence without a language would run as a console block: every block says what it is.
    assert!(
        infos.iter().all(|info| !info.is_empty()),
        "README.md has a fenced block without a language: {infos:?}"
    );
    let consoles = infos.iter().filter(|info| **info == "console").count();
    // The console blocks this README has: a block dropped, turned into `text` or added is
    // noticed here (and this count, which the closing note of issue 31 quotes, updated).
    assert_eq!(consoles, CONSOLE_BLOCKS, "README.md's console blocks");
    let dir = workspace();
    trycmd::TestCases::new()
        .register_bin("burnprop", trycmd::cargo::cargo_bin("burnprop"))
        .env("BURN_DEVICE", "flex")
        .case(dir.path().join("README.md"));
}

/// The names under `dir` the Layout section must show, relative to `dir`: every file's, and
/// with `whole_dirs` each subdirectory's instead of its files'.
fn tree_files(dir: &Path, whole_dirs: bool, into: &mut Vec<String>) {
    for entry in fs::read_dir(dir).expect("a directory of the source tree") {
        let path = entry.expect("an entry").path();
        let name = path
            .file_name()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        match (path.is_dir(), whole_dirs) {
            (true, true) => into.push(format!("{name}/")),
            (true, false) => tree_files(&path, false, into),
            (false, _) => into.push(name),
        }
    }
}

#[test]
fn the_layout_section_names_every_file_of_the_source_tree() {
    let text = readme();
    let layout = text
        .split_once("\n## Layout\n")
        .map(|(_, rest)| rest)
        .expect("README.md has a Layout section");
    // src/ and tests/it/ file by file; examples and benchmarks by the name cargo runs them by
    // (`--example mnist`); scripts/ with its directories (micrograd/, reference/) as one entry.
    let tops = [
        ("src", false, ""),
        ("tests/it", false, ""),
        ("examples", false, ".rs"),
        ("benches", false, ".rs"),
        ("scripts", true, ""),
    ];
    let mut missing = Vec::new();
    for (top, whole_dirs, extension) in tops {
        let mut names = Vec::new();
        tree_files(&root().join(top), whole_dirs, &mut names);
        for name in names {
            let shown = name.strip_suffix(extension).unwrap_or(&name);
            if !layout.contains(shown) {
                missing.push(format!("{top}/{name}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "README.md's Layout leaves out {missing:?}"
    );
}
