//! The crate's layering, enforced: every `crate::` (and `super::` that leaves its top-level
//! module) path in `src/**/*.rs` must point to a module on a lower level than its own. The
//! levels are those written at the top of `src/lib.rs` and in the README's Layout section.

use std::fs;
use std::path::{Path, PathBuf};

/// The levels, from the bottom. A module may use the modules of the levels below its own, and
/// no other module of its own level.
const LEVELS: &[&[&str]] = &[
    &["error"],
    &["rng", "loss", "tensor", "device", "interrupt"],
    &["data", "model"],
    &["config"],
    &["artifacts", "memory"],
    &["manual"],
    &["host"],
    &["train"],
    &["trace", "compare", "gradcheck", "bench"],
    &["eval"],
    &["plot"],
    &["reproduce", "progress"],
    &["serve"],
    &["cli"],
];

fn level(module: &str) -> Option<usize> {
    LEVELS.iter().position(|level| level.contains(&module))
}

/// One use of a module by another.
#[derive(Debug, PartialEq)]
struct Use {
    from: String,
    to: String,
    line: usize,
    text: String,
}

/// The top-level modules that one source line names through `crate::` paths (also inside a
/// `crate::{…}` group) and through `super::` chains that climb out of the file's top-level
/// module. `depth` is how many modules the file sits below its top-level module
/// (`src/data/picture.rs`: 1, `src/data/mod.rs` and `src/tensor.rs`: 0), `inline` whether the line
/// is inside an inline `mod … {` block, which adds one.
fn named_modules(line: &str, depth: usize, inline: bool) -> Vec<String> {
    let mut found = Vec::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut rest = line;
    while let Some(at) = rest.find("crate::") {
        let after = &rest[at + "crate::".len()..];
        if let Some(group) = after.strip_prefix('{') {
            // `crate::{a::X, b}`: the first segment of every top-level item of the group.
            let mut nesting = 0;
            let mut item_start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => nesting += 1,
                    '}' if nesting == 0 => break,
                    '}' => nesting -= 1,
                    ',' if nesting == 0 => item_start = true,
                    c if item_start && !c.is_whitespace() => {
                        found.push(ident(&group[i..]));
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            found.push(ident(after));
        }
        rest = after;
    }
    let mut rest = line;
    while let Some(at) = rest.find("super::") {
        // Only where `super` starts a path, not inside a longer name.
        let before = rest[..at].chars().last();
        let mut after = &rest[at..];
        let mut climbs = 0;
        while let Some(next) = after.strip_prefix("super::") {
            climbs += 1;
            after = next;
        }
        let standalone = before.is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        if standalone && climbs > depth + usize::from(inline) {
            found.push(ident(after));
        }
        rest = after;
    }
    found.retain(|name| !name.is_empty() && name != "self");
    found
}

/// Every use of another top-level module in the file `path` of top-level module `module`.
fn uses_in(module: &str, depth: usize, source: &str) -> Vec<Use> {
    let mut inline = false;
    let mut uses = Vec::new();
    for (i, line) in source.lines().enumerate() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        if code.starts_with("mod ") || code.starts_with("pub mod ") {
            inline |= code.trim_end().ends_with('{');
        }
        for to in named_modules(code, depth, inline) {
            if to != module {
                uses.push(Use {
                    from: module.to_string(),
                    to,
                    line: i + 1,
                    text: line.trim().to_string(),
                });
            }
        }
    }
    uses
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .expect("src/ is readable")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The uses that point up a level, or sideways within one.
fn violations(uses: &[Use]) -> Vec<String> {
    uses.iter()
        .filter_map(|u| {
            let (from, to) = (level(&u.from)?, level(&u.to));
            match to {
                Some(to) if to < from => None,
                Some(_) => Some(format!(
                    "{} (level {from}) uses {} (level {}), which is not below it: line {}: {}",
                    u.from,
                    u.to,
                    to.map_or(0, |t| t),
                    u.line,
                    u.text
                )),
                None => Some(format!(
                    "{} uses {}, which has no level in LEVELS: line {}: {}",
                    u.from, u.to, u.line, u.text
                )),
            }
        })
        .collect()
}

#[test]
fn no_module_imports_one_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut problems = Vec::new();
    let mut seen_modules = Vec::new();
    for path in &files {
        let relative = path.strip_prefix(&src).expect("under src/");
        let parts: Vec<String> = relative
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        if parts.len() == 1 && matches!(parts[0].as_str(), "lib.rs" | "main.rs") {
            continue;
        }
        let module = parts[0].trim_end_matches(".rs").to_string();
        let file = parts.last().expect("a file name");
        // src/a.rs and src/a/mod.rs are module `a` itself; src/a/b.rs is one below it.
        let depth = parts.len() - 1 - usize::from(file == "mod.rs");
        let source = fs::read_to_string(path).expect("a readable source file");
        for u in uses_in(&module, depth, &source) {
            for problem in violations(std::slice::from_ref(&u)) {
                problems.push(format!("{}: {problem}", relative.display()));
            }
        }
        if !seen_modules.contains(&module) {
            seen_modules.push(module);
        }
    }
    assert!(
        problems.is_empty(),
        "upward imports:\n{}",
        problems.join("\n")
    );
    for module in &seen_modules {
        assert!(
            level(module).is_some(),
            "src/{module} has no level in LEVELS"
        );
    }
    // Every level names modules that exist.
    for module in LEVELS.iter().flat_map(|l| l.iter()) {
        assert!(
            seen_modules.iter().any(|m| m == module),
            "LEVELS names {module}, which src/ does not have"
        );
    }
}

#[test]
fn the_check_finds_upward_and_sideways_imports() {
    // A data file that reaches up into train, and sideways into model.
    let source = "use crate::error::Result;\nuse crate::train::History;\nlet x = crate::model::Mlp::new();\n";
    let uses = uses_in("data", 1, source);
    let problems = violations(&uses);
    assert_eq!(problems.len(), 2, "{problems:?}");
    let train = level("train").expect("train has a level");
    assert!(problems[0].contains(&format!("data (level 2) uses train (level {train})")));
    assert!(problems[0].contains("line 2: use crate::train::History;"));
    assert!(problems[1].contains("uses model (level 2)"));
    // Groups, `super::` chains out of the module, comments and strings of other names.
    assert_eq!(
        named_modules(
            "use crate::{config::Engine, error::{Error, Result}};",
            0,
            false
        ),
        ["config", "error"]
    );
    assert_eq!(
        named_modules("use super::super::train::X;", 1, false),
        ["train"]
    );
    assert!(named_modules("use super::row;", 1, false).is_empty());
    assert_eq!(named_modules("use super::super::cli::X;", 0, true), ["cli"]);
    assert!(uses_in("data", 0, "/// see [`crate::train`]\n").is_empty());
}

/// The longest a file under `src/` may be: a longer one holds more than one job, and is split
/// by job (DESIGN.md, habits).
const MAX_FILE_LINES: usize = 600;

#[test]
fn no_source_file_is_longer_than_600_lines() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 50, "only {} files under src/", files.len());
    let long: Vec<String> = files
        .iter()
        .filter_map(|path| {
            let lines = fs::read_to_string(path)
                .expect("a source file")
                .lines()
                .count();
            (lines > MAX_FILE_LINES).then(|| format!("{}: {lines} lines", path.display()))
        })
        .collect();
    assert!(
        long.is_empty(),
        "files over {MAX_FILE_LINES} lines:\n{}",
        long.join("\n")
    );
}
