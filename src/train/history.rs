//! What a run records: one row per optimiser step, written as `history.csv`.

use std::fmt::Write as _;

use crate::error::compact;

/// The state of training before one optimiser step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepRecord {
    /// Optimiser steps taken so far: row 0 is the initial parameters.
    pub step: usize,
    /// The epoch this step belongs to (0-based).
    pub epoch: usize,
    /// The objective on this step's batch at the current parameters.
    pub loss: f64,
    /// The fraction of correct predictions on that batch, where the loss classifies.
    pub accuracy: Option<f64>,
    /// Seconds since training started.
    pub wall_seconds: f64,
}

/// How the network did after one epoch, on the training data and on a test split.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EpochRecord {
    /// Epochs completed (1 after the first).
    pub epoch: usize,
    /// The mean of the epoch's step losses (each on its batch, before its update).
    pub train_loss: f64,
    /// The fraction of correct predictions over the epoch's batches, where the loss classifies.
    pub train_accuracy: Option<f64>,
    /// The objective on the test split after the epoch.
    pub test_loss: f64,
    /// Test accuracy after the epoch, where the loss classifies.
    pub test_accuracy: Option<f64>,
    /// Seconds since training started (test evaluation included).
    pub wall_seconds: f64,
}

/// Every step of a run, in order, and (for data with a test split) every epoch.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    /// The rows, step 0 first.
    pub records: Vec<StepRecord>,
    /// One row per completed epoch, where the data have a test split.
    pub epochs: Vec<EpochRecord>,
    /// For networks with several independent outputs (BCE or MSE), the objective of each
    /// output at every step, on the step's batch before its update (notebook 002's `cost`).
    pub outputs: Vec<Vec<f64>>,
}

impl History {
    /// The CSV header.
    pub const HEADER: &'static str = "step,epoch,loss,accuracy,wall_seconds";

    /// Appends a row.
    pub fn push(&mut self, record: StepRecord) {
        self.records.push(record);
    }

    /// The CSV header of the epochs.
    pub const EPOCHS_HEADER: &'static str =
        "epoch,train_loss,train_accuracy,test_loss,test_accuracy,wall_seconds";

    /// The epochs as CSV, in the same conventions as [`History::to_csv`].
    pub fn epochs_to_csv(&self) -> String {
        csv_text(
            Self::EPOCHS_HEADER.split(','),
            self.epochs.iter().map(|r| {
                [
                    r.epoch.to_string(),
                    r.train_loss.to_string(),
                    optional(r.train_accuracy),
                    r.test_loss.to_string(),
                    optional(r.test_accuracy),
                    format!("{:.6}", r.wall_seconds),
                ]
            }),
        )
    }

    /// The per-output costs as CSV: `step,output_1,…,output_k`.
    pub fn outputs_to_csv(&self) -> String {
        csv_text(
            outputs_header(self.outputs.first().map_or(0, Vec::len)).split(','),
            self.outputs.iter().enumerate().map(|(step, costs)| {
                std::iter::once(step.to_string()).chain(costs.iter().map(f64::to_string))
            }),
        )
    }

    /// Reads `history.csv` back, checking every field: steps and epochs are whole numbers,
    /// accuracies fractions, times seconds (a loss may be anything, `NaN` included: a run that
    /// diverged records the step where it did).
    pub fn records_from_csv(text: &str) -> std::result::Result<Vec<StepRecord>, String> {
        csv_rows(text, Self::HEADER)?
            .into_iter()
            .enumerate()
            .map(|(i, row)| match row[..] {
                [
                    Some(step),
                    Some(epoch),
                    Some(loss),
                    accuracy,
                    Some(wall_seconds),
                ] => Ok(StepRecord {
                    step: count_field(step, i + 1, "step")?,
                    epoch: count_field(epoch, i + 1, "epoch")?,
                    loss,
                    accuracy: fraction_field(accuracy, i + 1, "accuracy")?,
                    wall_seconds: seconds_field(wall_seconds, i + 1)?,
                }),
                _ => Err(format!("row {} has missing fields: {row:?}", i + 1)),
            })
            .collect()
    }

    /// Reads `epochs.csv` back, checking every field as [`History::records_from_csv`] does.
    pub fn epochs_from_csv(text: &str) -> std::result::Result<Vec<EpochRecord>, String> {
        csv_rows(text, Self::EPOCHS_HEADER)?
            .into_iter()
            .enumerate()
            .map(|(i, row)| match row[..] {
                [
                    Some(epoch),
                    Some(train_loss),
                    train_accuracy,
                    Some(test_loss),
                    test_accuracy,
                    Some(wall_seconds),
                ] => Ok(EpochRecord {
                    epoch: count_field(epoch, i + 1, "epoch")?,
                    train_loss,
                    train_accuracy: fraction_field(train_accuracy, i + 1, "train_accuracy")?,
                    test_loss,
                    test_accuracy: fraction_field(test_accuracy, i + 1, "test_accuracy")?,
                    wall_seconds: seconds_field(wall_seconds, i + 1)?,
                }),
                _ => Err(format!("row {} has missing fields: {row:?}", i + 1)),
            })
            .collect()
    }

    /// Reads `outputs.csv` back: the costs of each step.
    pub fn outputs_from_csv(text: &str) -> std::result::Result<Vec<Vec<f64>>, String> {
        let (width, rows) = csv_rows_under(text, |width| outputs_header(width.saturating_sub(1)))?;
        rows.into_iter()
            .map(|row| {
                if row.len() != width {
                    return Err(format!(
                        "a row has {} fields, the header {width}",
                        row.len()
                    ));
                }
                row.iter()
                    .skip(1)
                    .map(|v| v.ok_or_else(|| "a cost is missing".to_string()))
                    .collect()
            })
            .collect()
    }

    /// The losses, in step order.
    pub fn losses(&self) -> Vec<f64> {
        self.records.iter().map(|r| r.loss).collect()
    }

    /// The history as CSV. Floats use Rust's shortest round-trip form, so the file holds the
    /// exact values; `accuracy` is empty where the loss does not classify.
    pub fn to_csv(&self) -> String {
        csv_text(
            Self::HEADER.split(','),
            self.records.iter().map(|r| {
                [
                    r.step.to_string(),
                    r.epoch.to_string(),
                    r.loss.to_string(),
                    optional(r.accuracy),
                    format!("{:.6}", r.wall_seconds),
                ]
            }),
        )
    }
}

/// An optional number as a CSV field: empty where there is none.
fn optional(value: Option<f64>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// The header of `outputs.csv` for `outputs` outputs.
fn outputs_header(outputs: usize) -> String {
    let mut header = String::from("step");
    for k in 1..=outputs {
        let _ = write!(header, ",output_{k}");
    }
    header
}

/// Field `column` of data row `row` (counted from 1) as a count (a step, an epoch): a whole
/// number from 0 to 2⁵³, beyond which an f64 no longer holds every integer.
pub(crate) fn count_field(
    value: f64,
    row: usize,
    column: &str,
) -> std::result::Result<usize, String> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2⁵³
    if (0.0..=EXACT).contains(&value) && value.fract() == 0.0 {
        Ok(value as usize)
    } else {
        Err(format!(
            "row {row} has {column} {}, not a whole number from 0 up",
            compact(value)
        ))
    }
}

/// Field `column` of data row `row` as a fraction in [0, 1], where there is one.
fn fraction_field(
    value: Option<f64>,
    row: usize,
    column: &str,
) -> std::result::Result<Option<f64>, String> {
    match value {
        Some(v) if !(0.0..=1.0).contains(&v) => Err(format!(
            "row {row} has {column} {}, outside the fractions 0 to 1",
            compact(v)
        )),
        _ => Ok(value),
    }
}

/// The `wall_seconds` field of data row `row`: a finite number of seconds, 0 or more.
fn seconds_field(value: f64, row: usize) -> std::result::Result<f64, String> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(format!(
            "row {row} has wall_seconds {}, not a time from 0 seconds up",
            compact(value)
        ))
    }
}

/// A run's CSV file (`history.csv`, `epochs.csv`, `outputs.csv`, `compare.csv`,
/// `confusion.csv`) as text: the `header`'s names, then `rows`, each field already formatted (floats in Rust's shortest round-trip form, so the file holds the exact
/// values). The `csv` crate writes it, RFC 4180 with `\n` line ends: a field is quoted only
/// where it holds a comma, a quote or a line end, which no number does.
pub(crate) fn csv_text<H, R, F>(header: H, rows: R) -> String
where
    H: IntoIterator<Item: AsRef<[u8]>>,
    R: IntoIterator,
    R::Item: IntoIterator<Item = F>,
    F: AsRef<[u8]>,
{
    let mut bytes = Vec::with_capacity(64);
    {
        let mut writer = csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(&mut bytes);
        // The writer's only errors are its sink's, and a Vec<u8> takes every byte; the
        // writer flushes into it when dropped at the end of this block.
        let _ = writer.write_record(header);
        for row in rows {
            let _ = writer.write_record(row);
        }
    }
    // Every field was a `str` and the writer adds only commas, quotes and line ends.
    String::from_utf8_lossy(&bytes).into_owned()
}

/// One row of a CSV file of numbers: `None` where a field is empty.
pub(crate) type NumberRow = Vec<Option<f64>>;

/// The rows of a run's CSV file of numbers (`history.csv`, `epochs.csv`, `outputs.csv`,
/// `compare.csv`), after checking that its header is `header`; empty fields are `None`. The
/// `csv` crate reads it (RFC 4180: quoted fields, `\n` or `\r\n` line ends, blank lines
/// skipped); rows may have any number of fields, for the caller to check.
pub(crate) fn csv_rows(text: &str, header: &str) -> std::result::Result<Vec<NumberRow>, String> {
    Ok(csv_rows_under(text, |_| header.to_string())?.1)
}

/// The number of fields of the header and the rows of a CSV file of numbers, after
/// checking that its header is `header(its number of fields)`.
fn csv_rows_under(
    text: &str,
    header: impl FnOnce(usize) -> String,
) -> std::result::Result<(usize, Vec<NumberRow>), String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let names = match records.next() {
        Some(record) => record.map_err(|e| format!("its header cannot be read: {e}"))?,
        None => csv::StringRecord::new(),
    };
    let header = header(names.len());
    if !names.iter().eq(header.split(',')) {
        return Err(format!("its header is not `{header}`"));
    }
    let rows = records
        .enumerate()
        .map(|(i, record)| {
            let record = record.map_err(|e| format!("row {} cannot be read: {e}", i + 1))?;
            record
                .iter()
                .map(|field| match field {
                    "" => Ok(None),
                    _ => field
                        .parse::<f64>()
                        .map(Some)
                        .map_err(|_| format!("row {} has `{field}` where a number belongs", i + 1)),
                })
                .collect()
        })
        .collect::<std::result::Result<_, String>>()?;
    Ok((names.len(), rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history() -> History {
        let record = |step: usize, loss: f64, accuracy: Option<f64>| StepRecord {
            step,
            epoch: step / 2,
            loss,
            accuracy,
            wall_seconds: 0.25 * step as f64,
        };
        History {
            records: vec![
                record(0, std::f64::consts::LN_2, Some(0.5)),
                record(1, 1e-7, None),
                record(2, 12894.115234375, Some(0.90016)),
            ],
            epochs: vec![EpochRecord {
                epoch: 1,
                train_loss: 0.3,
                train_accuracy: Some(0.9),
                test_loss: 0.25,
                test_accuracy: None,
                wall_seconds: 1.5,
            }],
            outputs: vec![vec![1.25, 0.5], vec![1.0, 0.125]],
        }
    }

    #[test]
    fn the_csv_files_read_back_to_the_same_values() {
        // Shortest round-trip floats: every value comes back exactly (wall times are
        // written to the microsecond, and these are exact at that precision).
        let h = history();
        assert_eq!(
            History::records_from_csv(&h.to_csv()).expect("readable"),
            h.records
        );
        assert_eq!(
            History::epochs_from_csv(&h.epochs_to_csv()).expect("readable"),
            h.epochs
        );
        assert_eq!(
            History::outputs_from_csv(&h.outputs_to_csv()).expect("readable"),
            h.outputs
        );
    }

    #[test]
    fn the_csv_crate_reads_rfc_4180_and_writes_numbers_unquoted() {
        // The bytes the hand-written writer produced before the `csv` crate wrote the files
        // (header, then `step,epoch,loss,accuracy,wall_seconds` with `{:.6}` seconds).
        let h = history();
        assert_eq!(
            h.to_csv(),
            "step,epoch,loss,accuracy,wall_seconds\n\
             0,0,0.6931471805599453,0.5,0.000000\n\
             1,0,0.0000001,,0.250000\n\
             2,1,12894.115234375,0.90016,0.500000\n"
        );
        // Windows line ends, quoted fields and blank lines read as the same rows.
        let crlf = "step,epoch,\"loss\",accuracy,wall_seconds\r\n\r\n0,\"0\",1,,0\r\n";
        assert_eq!(
            History::records_from_csv(crlf).expect("readable")[0].loss,
            1.0
        );
        // A name with a comma is quoted rather than split.
        assert_eq!(csv_text(["a,b", "c"], [["1", "2"]]), "\"a,b\",c\n1,2\n");
    }

    #[test]
    fn a_broken_csv_says_what_is_wrong() {
        let err = History::records_from_csv("step,epoch,loss\n").unwrap_err();
        assert!(err.contains("header"), "{err}");
        let err = History::records_from_csv("step,epoch,loss,accuracy,wall_seconds\n0,0,x,,0\n")
            .unwrap_err();
        assert!(err.contains("`x` where a number belongs"), "{err}");
        let err =
            History::records_from_csv("step,epoch,loss,accuracy,wall_seconds\n0,0\n").unwrap_err();
        assert_eq!(err, "row 1 has missing fields: [Some(0.0), Some(0.0)]");
    }

    #[test]
    fn every_field_is_checked_before_it_is_trusted() {
        let header = History::HEADER;
        let read = |row: &str| History::records_from_csv(&format!("{header}\n0,0,1,,0\n{row}\n"));
        // A diverged run records its last loss as NaN: that row is read.
        assert!(read("1,0,NaN,,0.5").expect("readable")[1].loss.is_nan());
        for (row, expected) in [
            (
                "-1,0,1,,0",
                "row 2 has step -1, not a whole number from 0 up",
            ),
            (
                "1.5,0,1,,0",
                "row 2 has step 1.5, not a whole number from 0 up",
            ),
            (
                "1e300,0,1,,0",
                "row 2 has step 1e300, not a whole number from 0 up",
            ),
            (
                "1,NaN,1,,0",
                "row 2 has epoch NaN, not a whole number from 0 up",
            ),
            (
                "1,0,1,1.5,0",
                "row 2 has accuracy 1.5, outside the fractions 0 to 1",
            ),
            (
                "1,0,1,,-3",
                "row 2 has wall_seconds -3, not a time from 0 seconds up",
            ),
            (
                "1,0,1,,inf",
                "row 2 has wall_seconds inf, not a time from 0 seconds up",
            ),
        ] {
            assert_eq!(read(row).unwrap_err(), expected, "{row}");
        }
        let epochs = format!("{}\n1,0.5,-0.1,0.4,,1\n", History::EPOCHS_HEADER);
        assert_eq!(
            History::epochs_from_csv(&epochs).unwrap_err(),
            "row 1 has train_accuracy -0.1, outside the fractions 0 to 1"
        );
    }
}
