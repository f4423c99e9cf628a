//! The file read row by row: its size, its header and each row's length checked, its bytes
//! hashed as they go by (SHA-256), each row handed on as UTF-8 fields.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use csv::ByteRecord;
use sha2::{Digest, Sha256};

use super::values::{fail, list};
use super::{MAX_BYTES, MAX_COLUMNS, MAX_ROWS};
use crate::error::{Error, Result};

/// The columns a run reads, by index into the header.
#[derive(Clone, Debug)]
pub(super) struct Columns {
    /// Every column's name, in file order.
    pub names: Vec<String>,
    /// The target's index.
    pub target: usize,
    /// The inputs' indices, in the network's order.
    pub inputs: Vec<usize>,
}

impl Columns {
    /// The target and input columns of `names`, as asked.
    pub(super) fn find(
        path: &Path,
        names: &[String],
        target: Option<&str>,
        inputs: Option<&[String]>,
    ) -> Result<Self> {
        let index = |name: &str, flag: &str| {
            names.iter().position(|n| n == name).ok_or_else(|| {
                fail(
                    path,
                    Some(1),
                    None,
                    format!(
                        "{flag} names '{name}', which is not a column; the columns are {}",
                        list(names)
                    ),
                )
            })
        };
        let target = match target {
            Some(name) => index(name, "--target")?,
            None => names.len() - 1,
        };
        let inputs = match inputs {
            Some(given) => {
                let mut seen = BTreeSet::new();
                let mut inputs = Vec::with_capacity(given.len());
                for name in given {
                    let i = index(name, "--inputs")?;
                    if i == target {
                        return Err(fail(
                            path,
                            None,
                            None,
                            format!(
                                "--inputs names the target column '{name}'; drop it from --inputs or choose another --target"
                            ),
                        ));
                    }
                    if !seen.insert(i) {
                        return Err(fail(
                            path,
                            None,
                            None,
                            format!("--inputs names '{name}' twice"),
                        ));
                    }
                    inputs.push(i);
                }
                inputs
            }
            None => (0..names.len()).filter(|&i| i != target).collect(),
        };
        if let [only] = names
            && let Some(separator) = [';', '\t', '|'].into_iter().find(|&c| only.contains(c))
        {
            return Err(fail(
                path,
                Some(1),
                None,
                format!(
                    "has one column, named {only:?}: its values look separated by {separator:?}, and burnprop reads comma-separated values; save the file with commas"
                ),
            ));
        }
        if inputs.is_empty() {
            return Err(fail(
                path,
                Some(1),
                None,
                format!(
                    "has no input column beside the target '{}'; a network needs at least one (add a column, or name them with --inputs)",
                    names[target]
                ),
            ));
        }
        Ok(Self {
            names: names.to_vec(),
            target,
            inputs,
        })
    }
}

/// The fields of one row, each checked to be UTF-8 by [`read_rows`], without spaces around.
pub(super) struct Fields<'a>(&'a ByteRecord);

impl Fields<'_> {
    pub(super) fn get(&self, i: usize) -> &str {
        self.0
            .get(i)
            .and_then(|bytes| std::str::from_utf8(bytes).ok())
            .map_or("", str::trim_ascii)
    }
}

/// What a scan found.
pub(super) struct Scanned {
    /// The file's SHA-256, in hexadecimal.
    pub sha256: String,
    /// Rows of values.
    pub rows: usize,
}

/// Reads `path` row by row: checks its size, its header (through `header`, which picks the
/// columns) and every row's length, and hands each row to `row` with its line number, hashing
/// the bytes as they go by. With `expected`, a hash that differs is the error, whatever else
/// went wrong.
pub(super) fn scan(
    path: &Path,
    expected: Option<&str>,
    header: impl FnOnce(&[String]) -> Result<Columns>,
    mut row: impl FnMut(u64, &Columns, &Fields<'_>) -> Result<()>,
) -> Result<Scanned> {
    let len = file_len(path)?;
    if len > MAX_BYTES {
        return Err(fail(
            path,
            None,
            None,
            format!(
                "holds {len} bytes, more than the {MAX_BYTES} (2 GiB) burnprop reads; use fewer rows"
            ),
        ));
    }
    let file = File::open(path).map_err(|source| Error::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(Hashing::new(file));
    let result = read_rows(path, &mut reader, header, &mut row);
    let hashing = reader.into_inner();
    // After an error, the rest of the file is hashed only to tell a changed file from a bad one.
    let digest = if result.is_ok() || expected.is_some() {
        hashing.finish().ok()
    } else {
        None
    };
    if let (Some(expected), Some(found)) = (expected, &digest)
        && found != expected
    {
        return Err(fail(
            path,
            None,
            None,
            format!(
                "has changed since the run read it: its SHA-256 was {expected}, it is now {found}; put the original back or train anew on this one (eval --data-file FILE evaluates a run on other rows)"
            ),
        ));
    }
    let rows = result?;
    Ok(Scanned {
        sha256: digest.unwrap_or_default(),
        rows,
    })
}

/// The header and every row of `reader`, as [`scan`] describes; the number of rows.
fn read_rows(
    path: &Path,
    reader: &mut csv::Reader<Hashing<File>>,
    header: impl FnOnce(&[String]) -> Result<Columns>,
    row: &mut impl FnMut(u64, &Columns, &Fields<'_>) -> Result<()>,
) -> Result<usize> {
    let csv_error = |e: csv::Error, reader: &csv::Reader<Hashing<File>>| {
        if reader.get_ref().read > MAX_BYTES {
            fail(
                path,
                None,
                None,
                format!("grew past the {MAX_BYTES} bytes (2 GiB) burnprop reads while it was read"),
            )
        } else {
            let line = e.position().map(csv::Position::line);
            fail(path, line, None, format!("cannot be read: {e}"))
        }
    };
    let names = match reader.byte_headers() {
        Ok(names) => names.clone(),
        Err(e) => return Err(csv_error(e, reader)),
    };
    if names.is_empty() || (names.len() == 1 && names[0].trim_ascii().is_empty()) {
        return Err(fail(path, None, None, "is empty; it needs a header row naming the columns, then one row of values per example".to_string()));
    }
    let names = header_names(path, &names)?;
    let columns = header(&names)?;
    let mut record = ByteRecord::new();
    let mut rows = 0;
    while reader
        .read_byte_record(&mut record)
        .map_err(|e| csv_error(e, reader))?
    {
        let line = record.position().map_or(0, csv::Position::line);
        if record.len() != names.len() {
            return Err(fail(
                path,
                Some(line),
                None,
                format!(
                    "has {} field(s) where the header has {} columns; every row needs one value per column",
                    record.len(),
                    names.len()
                ),
            ));
        }
        rows += 1;
        if rows > MAX_ROWS {
            return Err(fail(
                path,
                Some(line),
                None,
                format!("has more than {MAX_ROWS} rows, the most burnprop reads; use fewer rows"),
            ));
        }
        for (i, bytes) in record.iter().enumerate() {
            if std::str::from_utf8(bytes).is_err() {
                let problem = "is not UTF-8 text; save the file as UTF-8".to_string();
                return Err(fail(path, Some(line), Some(&names[i]), problem));
            }
        }
        row(line, &columns, &Fields(&record))?;
    }
    if rows == 0 {
        return Err(fail(
            path,
            None,
            None,
            "has a header but no rows; add one row of values per example".to_string(),
        ));
    }
    Ok(rows)
}

/// The header's column names: UTF-8, not empty, each once, at most [`MAX_COLUMNS`].
fn header_names(path: &Path, header: &ByteRecord) -> Result<Vec<String>> {
    if header.len() > MAX_COLUMNS {
        return Err(fail(
            path,
            Some(1),
            None,
            format!(
                "has {} columns, more than the {MAX_COLUMNS} burnprop reads",
                header.len()
            ),
        ));
    }
    let mut names = Vec::with_capacity(header.len());
    let mut seen = BTreeSet::new();
    for (i, name) in header.iter().enumerate() {
        let name = std::str::from_utf8(name).map_err(|_| {
            fail(
                path,
                Some(1),
                None,
                format!(
                    "column {} of the header is not UTF-8 text; save the file as UTF-8",
                    i + 1
                ),
            )
        })?;
        let name = name.trim_ascii();
        if name.is_empty() {
            return Err(fail(
                path,
                Some(1),
                None,
                format!(
                    "column {} has no name in the header; name every column (pandas: to_csv(index=False) drops the unnamed index)",
                    i + 1
                ),
            ));
        }
        if !seen.insert(name) {
            return Err(fail(
                path,
                Some(1),
                None,
                format!("names the column '{name}' twice; give every column its own name"),
            ));
        }
        names.push(name.to_string());
    }
    Ok(names)
}

/// A reader that hashes (SHA-256) and counts the bytes read through it.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    read: u64,
}

impl<R: Read> Hashing<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            read: 0,
        }
    }

    /// Reads what is left, and returns the hash of everything, in hexadecimal.
    fn finish(mut self) -> io::Result<String> {
        io::copy(&mut self, &mut io::sink())?;
        let mut hex = String::with_capacity(64);
        for byte in self.hasher.finalize() {
            // Writing to a String cannot fail.
            let _ = write!(hex, "{byte:02x}");
        }
        Ok(hex)
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.read += n as u64;
        if self.read > MAX_BYTES {
            return Err(io::Error::other("the file grew past the limit"));
        }
        Ok(n)
    }
}

pub(super) fn file_len(path: &Path) -> Result<u64> {
    std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|source| Error::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        })
}
