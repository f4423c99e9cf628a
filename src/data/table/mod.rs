//! The user's own data: a CSV file (`--data-file`), read with the `csv` crate as RFC 4180 has
//! it (a header row, quoted fields, CRLF or LF, a UTF-8 byte-order mark), checked, and stored
//! flat as [`Examples`].
//!
//! A file is read twice. [`DataFile::describe`] reads it when the configuration is made: it
//! checks every row, finds the columns, the task and the classes, and hashes the bytes
//! (SHA-256), so that a bad file is refused in one line before any run directory is touched,
//! and `config.json` records what a later `eval` or `--resume` must find again.
//! [`DataFile::load`] reads it into [`Examples`] when the run draws its data, hashing again: a
//! file whose hash differs from the recorded one is refused. Neither pass keeps the text: each
//! row is parsed from csv's reused [`ByteRecord`](csv::ByteRecord) and dropped (`scan.rs`;
//! the values of a row in `values.rs`).
//!
//! # What a file holds
//!
//! - The header names every column, each name once. The target is `--target` (default: the
//!   last column); the inputs are `--inputs` (default: every other column), each a number
//!   (`3`, `-0.5`, `1e-3`) in every row. Columns that are neither are skipped.
//! - The task is classification when the target holds integers (as written: `3`, not `3.0`)
//!   or text, regression when it holds other numbers; `--task` decides otherwise.
//! - Classes are ordered integers ascending, text in byte (lexicographic) order, and recorded in
//!   that order: two classes train one sigmoid output (target 1 is the second class), K > 2
//!   train K softmax outputs, one-hot.
//! - Refused, in one line naming the file, the line and the column: an empty file, a header
//!   without rows, rows of another length than the header, a missing value (an empty field,
//!   `NA`, `N/A`, `null`, `None`, `?`), text or NaN or infinity in an input, a target with one class
//!   (or more than [`MAX_CLASSES`]), an unknown or duplicate column name, bytes that are not
//!   UTF-8, and a file over [`MAX_BYTES`], [`MAX_ROWS`] or [`MAX_COLUMNS`].

mod scan;
mod values;

use std::path::{Path, PathBuf};

use clap::ValueEnum;
use serde::{Deserialize, Serialize};

use super::Examples;
use crate::error::{Error, Result};
use scan::{Columns, file_len, scan};
use values::{Labels, TargetValues, fail, field, list, number, target_number};

/// The largest file read, in bytes (2 GiB): checked before reading, and again as it is read.
pub const MAX_BYTES: u64 = 2 << 30;
/// The most rows of values (10 000 000): at 10 inputs, 800 MB of f64 examples.
pub const MAX_ROWS: usize = 10_000_000;
/// The most columns in the header (4096).
pub const MAX_COLUMNS: usize = 4096;
/// The most classes a classification target may hold (1000); a target with more different
/// values is likely a measurement (`--task regress`).
pub const MAX_CLASSES: usize = 1000;

/// What the target asks of the network.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    /// Predict a class: sigmoid + BCE for two, softmax + cross-entropy for more.
    #[default]
    Classify,
    /// Predict a number: identity output, mean squared error.
    Regress,
}

/// A CSV file as a run uses it: where it is, its hash, and what its columns mean. Written to
/// `config.json`, so that a later command reads the same columns and maps labels identically.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DataFile {
    /// The file, as given.
    pub path: PathBuf,
    /// SHA-256 of its bytes, lowercase hexadecimal.
    pub sha256: String,
    /// Rows of values (the header excluded).
    pub rows: usize,
    /// The target column's name.
    pub target: String,
    /// The input columns' names, in the network's input order.
    pub inputs: Vec<String>,
    /// Classification or regression.
    pub task: Task,
    /// The classes in output order (integers ascending, text lexicographic); empty for
    /// regression. A list of integers as Rust writes them (`7`, `-1`) means the target is read
    /// as integers, so that `07` is class `7`.
    pub classes: Vec<String>,
}

/// What `--data-file`, `--target`, `--inputs` and `--task` ask for.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// `--data-file`.
    pub path: &'a Path,
    /// `--target` (default: the last column).
    pub target: Option<&'a str>,
    /// `--inputs` (default: every column but the target).
    pub inputs: Option<&'a [String]>,
    /// `--task` (default: from the target's values).
    pub task: Option<Task>,
}

impl DataFile {
    /// Reads and checks the file `request` names: its columns, task, classes, rows and hash.
    pub fn describe(request: &Request<'_>) -> Result<Self> {
        Self::read(request, None)
    }

    /// The same columns, task and classes read from another file (rows held out for `eval`),
    /// checked as [`describe`](Self::describe) checks, except that one class is enough; a
    /// label outside the run's classes is refused when the file is loaded.
    pub fn with_file(&self, path: &Path) -> Result<Self> {
        let request = Request {
            path,
            target: Some(&self.target),
            inputs: Some(&self.inputs),
            task: Some(self.task),
        };
        Self::read(&request, Some(&self.classes))
    }

    /// [`describe`](Self::describe), with the classes `known` (a run's) where given.
    fn read(request: &Request<'_>, known: Option<&[String]>) -> Result<Self> {
        let path = request.path;
        let mut names = Vec::new();
        let mut target = TargetValues::default();
        let scan = scan(
            path,
            None,
            |headers| {
                let found = Columns::find(path, headers, request.target, request.inputs)?;
                names = found.inputs.iter().map(|&i| headers[i].clone()).collect();
                names.push(headers[found.target].clone());
                Ok(found)
            },
            |line, columns, fields| {
                for &i in &columns.inputs {
                    number(path, line, &columns.names[i], fields.get(i))?;
                }
                let name = &columns.names[columns.target];
                target.add(path, line, name, fields.get(columns.target))
            },
        )?;
        let target_name = names.pop().unwrap_or_default();
        let task = request.task.unwrap_or(target.task());
        let classes = match known {
            Some(classes) if task == Task::Classify => classes.to_vec(),
            _ => target.classes(path, &target_name, task, scan.rows)?,
        };
        Ok(Self {
            path: path.to_path_buf(),
            sha256: scan.sha256,
            rows: scan.rows,
            target: target_name,
            inputs: names,
            task,
            classes,
        })
    }

    /// Network outputs: one for regression and for two classes, one per class beyond.
    pub fn outputs(&self) -> usize {
        match (self.task, self.classes.len()) {
            (Task::Classify, k) if k > 2 => k,
            _ => 1,
        }
    }

    /// Whether targets are one-hot rows over more than two classes.
    pub fn one_hot(&self) -> bool {
        self.task == Task::Classify && self.classes.len() > 2
    }

    /// Reads the file into examples, after checking that its hash is the recorded one.
    pub fn load(&self) -> Result<Examples> {
        let path = &self.path;
        let labels = Labels::new(&self.classes);
        let (n_inputs, width) = (self.inputs.len(), self.outputs());
        // Room for the recorded rows, bounded by what the file's size can hold: every row
        // has at least one byte per column it reads.
        let len = usize::try_from(file_len(path)?).unwrap_or(usize::MAX);
        let rows = self.rows.min(len / (n_inputs + 1)).min(MAX_ROWS);
        let mut inputs = Vec::with_capacity(rows.saturating_mul(n_inputs));
        let mut targets = Vec::with_capacity(rows.saturating_mul(width));
        let target = Some(self.target.as_str());
        let scan = scan(
            path,
            Some(&self.sha256),
            |headers| Columns::find(path, headers, target, Some(&self.inputs)),
            |line, columns, fields| {
                for &i in &columns.inputs {
                    inputs.push(number(path, line, &columns.names[i], fields.get(i))?);
                }
                let name = &columns.names[columns.target];
                let value = field(path, line, name, fields.get(columns.target))?;
                if self.task == Task::Regress {
                    targets.push(target_number(path, line, name, value)?);
                    return Ok(());
                }
                let class = labels.index(value).ok_or_else(|| {
                    let classes = list(&self.classes);
                    let problem = format!("'{value}' is not one of the run's classes ({classes})");
                    fail(path, Some(line), Some(name), problem)
                })?;
                if width == 1 {
                    targets.push(class as f64);
                } else {
                    let start = targets.len();
                    targets.resize(start + width, 0.0);
                    targets[start + class] = 1.0;
                }
                Ok(())
            },
        )?;
        Ok(Examples::new(inputs, targets, [n_inputs, width], scan.rows))
    }

    /// One line for `burnprop list` and the run's header.
    pub fn describe_line(&self) -> String {
        let what = match self.task {
            Task::Classify => format!("{} classes", self.classes.len()),
            Task::Regress => "regression".to_string(),
        };
        format!(
            "{} ({} rows, {} inputs → {}: {what})",
            self.path.display(),
            self.rows,
            self.inputs.len(),
            self.target
        )
    }

    /// Checks what a hand-edited `config.json` could break.
    pub fn validate(&self) -> Result<()> {
        let problem = if self.path.as_os_str().is_empty() {
            Some("the file preset trains on your own CSV: pass --data-file FILE".to_string())
        } else if self.inputs.is_empty() {
            Some(format!("{} has no input column", self.path.display()))
        } else if self.task == Task::Classify && self.classes.len() < 2 {
            Some(format!(
                "{} classifies into {} class(es); a classifier needs at least two",
                self.path.display(),
                self.classes.len()
            ))
        } else {
            None
        };
        problem.map_or(Ok(()), |message| Err(Error::InvalidConfig(message)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` written to a temporary file, described with `target` and `task` as given.
    fn described(
        text: &[u8],
        target: Option<&str>,
        task: Option<Task>,
    ) -> (tempfile::TempDir, Result<DataFile>) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("data.csv");
        std::fs::write(&path, text).expect("written");
        let request = Request {
            path: &path,
            target,
            inputs: None,
            task,
        };
        let file = DataFile::describe(&request);
        (dir, file)
    }

    #[test]
    fn rfc_4180_corners_read_as_written() {
        // A BOM, CRLF, a quoted header holding a comma and a doubled quote, a quoted number,
        // spaces around a number, a quoted label holding a line break.
        let text = b"\xef\xbb\xbf\"x, first\",\"x \"\"2\"\"\",label\r\n1.5,\"-2\",cat\r\n\"0\",3e-2,\"big\r\ndog\"\r\n-1, 4 ,cat\r\n";
        let (_dir, file) = described(text, None, None);
        let file = file.expect("a good file");
        assert_eq!(file.inputs, ["x, first", "x \"2\""]);
        assert_eq!(file.target, "label");
        // Text in byte order: 'b' (0x62) before 'c' (0x63).
        assert_eq!(file.classes, ["big\r\ndog", "cat"]);
        assert_eq!(
            (file.task, file.rows, file.outputs()),
            (Task::Classify, 3, 1)
        );
        let examples = file.load().expect("loads");
        let rows: Vec<(Vec<f64>, Vec<f64>)> = examples
            .iter()
            .map(|e| (e.x.to_vec(), e.y.to_vec()))
            .collect();
        assert_eq!(
            rows,
            [
                (vec![1.5, -2.0], vec![1.0]),
                (vec![0.0, 0.03], vec![0.0]),
                (vec![-1.0, 4.0], vec![1.0]),
            ]
        );
    }

    #[test]
    fn integer_classes_sort_by_value_and_more_than_two_are_one_hot() {
        // 10 after 9 (by value, not text), and 07 is class 7.
        let (_dir, file) = described(b"x,y\n1,10\n2,9\n3,07\n4,7\n", None, None);
        let file = file.expect("a good file");
        assert_eq!(file.classes, ["7", "9", "10"]);
        assert!(file.one_hot());
        let targets: Vec<Vec<f64>> = file
            .load()
            .expect("loads")
            .iter()
            .map(|e| e.y.to_vec())
            .collect();
        assert_eq!(
            targets,
            [
                [0.0, 0.0, 1.0],
                [0.0, 1.0, 0.0],
                [1.0, 0.0, 0.0],
                [1.0, 0.0, 0.0]
            ]
        );
    }

    #[test]
    fn the_task_follows_the_target_unless_told() {
        let text = b"x,y,z\n1,0.5,0\n2,1.5,1\n";
        let (_dir, file) = described(text, Some("y"), None);
        let file = file.expect("a regression");
        assert_eq!(
            (file.task, file.inputs.as_slice()),
            (Task::Regress, ["x".to_string(), "z".to_string()].as_slice())
        );
        let (_dir, file) = described(text, None, Some(Task::Regress));
        assert_eq!(file.expect("integers as numbers").task, Task::Regress);
        // Numbers as classes, by text.
        let (_dir, file) = described(text, Some("y"), Some(Task::Classify));
        assert_eq!(file.expect("classes").classes, ["0.5", "1.5"]);
    }

    #[test]
    fn a_file_separated_by_semicolons_is_refused_with_the_reason() {
        let (_dir, file) = described(b"a;b\n1;0\n2;1\n", None, None);
        let err = file.expect_err("one column").to_string();
        assert!(
            err.contains("line 1: has one column, named \"a;b\""),
            "{err}"
        );
        assert!(err.contains("separated by ';'"), "{err}");
    }

    #[test]
    fn a_target_of_many_values_is_not_a_classifier() {
        let rows: String = (0..=MAX_CLASSES).map(|i| format!("{i},{i}\n")).collect();
        let (_dir, file) = described(format!("x,y\n{rows}").as_bytes(), None, None);
        let err = file.expect_err("too many classes").to_string();
        assert!(err.contains("more than 1000 different values"), "{err}");
        assert!(err.contains("--task regress"), "{err}");
    }
}
