//! What a run records: one row per optimiser step, written as `history.csv`.

use std::fmt::Write as _;

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
        let mut csv = String::with_capacity(64 * (self.epochs.len() + 1));
        csv.push_str(Self::EPOCHS_HEADER);
        csv.push('\n');
        let text = |a: Option<f64>| a.map(|a| a.to_string()).unwrap_or_default();
        for r in &self.epochs {
            // Writing to a String cannot fail.
            let _ = writeln!(
                csv,
                "{},{},{},{},{},{:.6}",
                r.epoch,
                r.train_loss,
                text(r.train_accuracy),
                r.test_loss,
                text(r.test_accuracy),
                r.wall_seconds
            );
        }
        csv
    }

    /// The losses, in step order.
    pub fn losses(&self) -> Vec<f64> {
        self.records.iter().map(|r| r.loss).collect()
    }

    /// The history as CSV. Floats use Rust's shortest round-trip form, so the file holds the
    /// exact values; `accuracy` is empty where the loss does not classify.
    pub fn to_csv(&self) -> String {
        let mut csv = String::with_capacity(48 * (self.records.len() + 1));
        csv.push_str(Self::HEADER);
        csv.push('\n');
        for r in &self.records {
            let accuracy = r.accuracy.map(|a| a.to_string()).unwrap_or_default();
            // Writing to a String cannot fail.
            let _ = writeln!(
                csv,
                "{},{},{},{},{:.6}",
                r.step, r.epoch, r.loss, accuracy, r.wall_seconds
            );
        }
        csv
    }
}
