//! CSV files uploaded to the playground, read and checked by the `--data-file` reader.
//!
//! A file is saved under the server's own scratch directory by its SHA-256 (no request names
//! a path on the server's disk) and then described exactly as `burnprop train --data-file`
//! describes a file: its columns, task and classes, or the reader's one-line error. The
//! server keeps the [`MAX_UPLOADS`] latest.

use std::collections::VecDeque;
use std::io::Write as _;
use std::path::Path;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::data::table::{DataFile, Request, Task};
use crate::error::{Error, Result};

/// Uploads kept at once; the oldest goes first.
pub const MAX_UPLOADS: usize = 16;

/// An uploaded file.
#[derive(Clone, Debug)]
pub struct Upload {
    /// Its SHA-256, hex: how a run names it.
    pub id: String,
    /// The name the user gave it (for the command line), letters, digits and `._-` only.
    pub name: String,
    /// Its description.
    pub file: DataFile,
}

/// What the page learns of an upload.
#[derive(Clone, Debug, Serialize)]
pub struct Described {
    /// The SHA-256 to name it by.
    pub upload: String,
    /// Data rows.
    pub rows: usize,
    /// Every column.
    pub columns: Vec<String>,
    /// The target column.
    pub target: String,
    /// The input columns.
    pub inputs: Vec<String>,
    /// Classify or regress.
    pub task: &'static str,
    /// The classes, for a classification.
    pub classes: Vec<String>,
}

/// The uploads a server holds.
#[derive(Debug, Default)]
pub struct Uploads {
    kept: VecDeque<Upload>,
}

/// `name` reduced to a safe file name (`data.csv` if nothing is left).
fn safe_name(name: Option<&str>) -> String {
    let kept: String = name
        .unwrap_or("")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .take(64)
        .collect();
    if kept.trim_start_matches('.').is_empty() {
        "data.csv".to_string()
    } else {
        kept
    }
}

impl Uploads {
    /// Saves `bytes` under `dir` and describes them, the target being `target` (default: the
    /// last column) and the inputs `inputs` (default: every other column), as `--target` and
    /// `--inputs` choose them. Errors name the file by `name`, not by where the server keeps it.
    pub fn add(
        &mut self,
        dir: &Path,
        bytes: &[u8],
        name: Option<&str>,
        (target, inputs): (Option<&str>, Option<&[String]>),
    ) -> Result<Described> {
        let id = format!("{:x}", Sha256::digest(bytes));
        let path = dir.join(format!("{id}.csv"));
        let mut out = tempfile::NamedTempFile::new_in(dir)
            .map_err(|e| Error::Data(format!("could not keep the upload: {e}")))?;
        out.write_all(bytes)
            .map_err(|e| Error::Data(format!("could not keep the upload: {e}")))?;
        out.persist(&path)
            .map_err(|e| Error::Data(format!("could not keep the upload: {e}")))?;
        let file = DataFile::describe(&Request {
            path: &path,
            target,
            inputs,
            task: None,
        });
        let file = match file {
            Ok(file) => file,
            Err(e) => {
                let _ = std::fs::remove_file(&path);
                let shown = path.display().to_string();
                let message = e.to_string().replace(&shown, &safe_name(name));
                return Err(Error::Data(message));
            }
        };
        let columns = csv::Reader::from_path(&path)
            .and_then(|mut r| r.headers().map(|h| h.iter().map(str::to_string).collect()))
            .unwrap_or_default();
        self.kept.retain(|u| u.id != id);
        if self.kept.len() == MAX_UPLOADS
            && let Some(old) = self.kept.pop_front()
        {
            let _ = std::fs::remove_file(dir.join(format!("{}.csv", old.id)));
        }
        let described = Described {
            upload: id.clone(),
            rows: file.rows,
            columns,
            target: file.target.clone(),
            inputs: file.inputs.clone(),
            task: match file.task {
                Task::Classify => "classify",
                Task::Regress => "regress",
            },
            classes: file.classes.iter().map(ToString::to_string).collect(),
        };
        self.kept.push_back(Upload {
            id,
            name: safe_name(name),
            file,
        });
        Ok(described)
    }

    /// The upload `id` names.
    pub fn get(&self, id: &str) -> Option<&Upload> {
        self.kept.iter().find(|u| u.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_paths_and_odd_characters() {
        assert_eq!(safe_name(Some("../../etc/passwd")), "....etcpasswd");
        assert_eq!(safe_name(Some("my data (1).csv")), "mydata1.csv");
        assert_eq!(safe_name(Some("..")), "data.csv");
        assert_eq!(safe_name(None), "data.csv");
    }
}
