//! The values of one row: inputs as finite numbers, the target as a number or a class, and
//! the one-line error that names the file, the line and the column.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::Path;

use super::{MAX_CLASSES, Task};
use crate::error::{Error, Result};

/// Values that mean "no value here".
const MISSING: [&str; 9] = ["", "NA", "N/A", "na", "n/a", "null", "NULL", "None", "?"];

/// `value`, the field of column `name`, unless it is missing.
pub(super) fn field<'a>(path: &Path, line: u64, name: &str, value: &'a str) -> Result<&'a str> {
    if MISSING.contains(&value) {
        return Err(fail(
            path,
            Some(line),
            Some(name),
            format!("the value is missing ('{value}'); fill it in or drop the row"),
        ));
    }
    Ok(value)
}

/// `value` of column `name` as a number: `None` where it does not parse as one, an error where
/// it parses as NaN or an infinity.
fn finite(path: &Path, line: u64, name: &str, value: &str) -> Result<Option<f64>> {
    match value.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(Some(x)),
        Ok(_) => Err(fail(
            path,
            Some(line),
            Some(name),
            format!(
                "'{value}' is not a finite number; replace NaN and infinities, or drop the row"
            ),
        )),
        Err(_) => Ok(None),
    }
}

/// The input `value` of column `name` as a finite number.
pub(super) fn number(path: &Path, line: u64, name: &str, value: &str) -> Result<f64> {
    if let Some(x) = finite(path, line, name, value)? {
        return Ok(x);
    }
    field(path, line, name, value)?;
    Err(fail(
        path,
        Some(line),
        Some(name),
        format!(
            "'{value}' is not a number; every input column must hold numbers (choose the inputs with --inputs)"
        ),
    ))
}

/// The regression target `value` of column `name`.
pub(super) fn target_number(path: &Path, line: u64, name: &str, value: &str) -> Result<f64> {
    finite(path, line, name, value)?.ok_or_else(|| {
        fail(
            path,
            Some(line),
            Some(name),
            format!(
                "'{value}' is not a number, and regression (--task regress) needs numbers; drop --task regress to classify"
            ),
        )
    })
}

/// What the target column holds, gathered row by row.
#[derive(Debug)]
pub(super) struct TargetValues {
    integers: BTreeSet<i64>,
    texts: BTreeSet<String>,
    all_integers: bool,
    /// The first value that is no number, and its line.
    first_text: Option<(u64, String)>,
}

impl Default for TargetValues {
    fn default() -> Self {
        Self {
            integers: BTreeSet::new(),
            texts: BTreeSet::new(),
            all_integers: true,
            first_text: None,
        }
    }
}

impl TargetValues {
    pub(super) fn add(&mut self, path: &Path, line: u64, name: &str, value: &str) -> Result<()> {
        let value = field(path, line, name, value)?;
        if let Ok(integer) = value.parse::<i64>() {
            if self.all_integers && self.integers.len() <= MAX_CLASSES {
                self.integers.insert(integer);
            }
        } else {
            self.all_integers = false;
            match value.parse::<f64>() {
                Ok(x) if !x.is_finite() => {
                    return Err(fail(
                        path,
                        Some(line),
                        Some(name),
                        format!(
                            "'{value}' is not a finite number; replace NaN and infinities, or drop the row"
                        ),
                    ));
                }
                Ok(_) => {}
                Err(_) => {
                    self.first_text
                        .get_or_insert_with(|| (line, value.to_string()));
                }
            }
        }
        if self.texts.len() <= MAX_CLASSES && !self.texts.contains(value) {
            self.texts.insert(value.to_string());
        }
        Ok(())
    }

    /// Classification for integers and text, regression for other numbers.
    pub(super) fn task(&self) -> Task {
        if self.all_integers || self.first_text.is_some() {
            Task::Classify
        } else {
            Task::Regress
        }
    }

    /// The classes of `task` in output order, or why there are none to train.
    pub(super) fn classes(
        &self,
        path: &Path,
        name: &str,
        task: Task,
        rows: usize,
    ) -> Result<Vec<String>> {
        if task == Task::Regress {
            return match &self.first_text {
                Some((line, value)) => Err(fail(
                    path,
                    Some(*line),
                    Some(name),
                    format!(
                        "'{value}' is not a number, and regression (--task regress) needs numbers; drop --task regress to classify"
                    ),
                )),
                None => Ok(Vec::new()),
            };
        }
        let classes: Vec<String> = if self.all_integers {
            self.integers.iter().map(ToString::to_string).collect()
        } else {
            self.texts.iter().cloned().collect()
        };
        if classes.len() > MAX_CLASSES {
            return Err(fail(
                path,
                None,
                Some(name),
                format!(
                    "holds more than {MAX_CLASSES} different values, too many classes to classify; if it is a measurement, add --task regress"
                ),
            ));
        }
        if classes.len() < 2 {
            let only = classes.first().map_or("", String::as_str);
            return Err(fail(
                path,
                None,
                Some(name),
                format!(
                    "holds one class ('{only}') in all {rows} rows, and a classifier needs at least two; choose another --target"
                ),
            ));
        }
        Ok(classes)
    }
}

/// A label's class index: by integer value when every class is an integer, else by its text.
pub(super) enum Labels {
    Integers(HashMap<i64, usize>),
    Texts(HashMap<String, usize>),
}

impl Labels {
    pub(super) fn new(classes: &[String]) -> Self {
        let integers: Option<HashMap<i64, usize>> = classes
            .iter()
            .enumerate()
            .map(|(k, c)| {
                c.parse::<i64>()
                    .ok()
                    .filter(|i| i.to_string() == *c)
                    .map(|i| (i, k))
            })
            .collect();
        match integers {
            Some(map) => Labels::Integers(map),
            None => Labels::Texts(
                classes
                    .iter()
                    .cloned()
                    .enumerate()
                    .map(|(k, c)| (c, k))
                    .collect(),
            ),
        }
    }

    pub(super) fn index(&self, value: &str) -> Option<usize> {
        match self {
            Labels::Integers(map) => value.parse::<i64>().ok().and_then(|i| map.get(&i).copied()),
            Labels::Texts(map) => map.get(value).copied(),
        }
    }
}

/// Up to eight names, quoted.
pub(super) fn list(names: &[String]) -> String {
    let mut shown: Vec<String> = names.iter().take(8).map(|n| format!("'{n}'")).collect();
    if names.len() > 8 {
        shown.push(format!("and {} more", names.len() - 8));
    }
    shown.join(", ")
}

/// The error for `path` at `line` and `column`.
pub(super) fn fail(path: &Path, line: Option<u64>, column: Option<&str>, problem: String) -> Error {
    let mut place = String::new();
    if let Some(line) = line {
        let _ = write!(place, ", line {line}");
    }
    if let Some(column) = column {
        let _ = write!(place, ", column '{column}'");
    }
    Error::DataFile {
        path: path.to_path_buf(),
        place,
        problem,
    }
}
