//! The library's error type: every failure a user can cause, each with one sentence that names
//! the input and, where there is one, the fix.

use std::path::PathBuf;

/// Everything that can go wrong in burnprop, short of a bug.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A hyperparameter or option is out of range or inconsistent with another.
    #[error("{0}")]
    InvalidConfig(String),

    /// `--device`/`BURN_DEVICE` named no backend burnprop knows.
    #[error(
        "unknown device '{name}'; expected one of {known} (compiled into this build: {compiled})"
    )]
    UnknownDevice {
        /// What the user asked for.
        name: String,
        /// Every backend name burnprop understands.
        known: String,
        /// The backends this binary was built with.
        compiled: String,
    },

    /// `--device`/`BURN_DEVICE` named a backend this binary was built without.
    #[error(
        "device '{name}' is not compiled into this build (compiled in: {compiled}); rebuild with `--features {name}`"
    )]
    BackendNotCompiled {
        /// The backend asked for.
        name: String,
        /// The backends this binary was built with.
        compiled: String,
    },

    /// A compiled-in backend could not open its device: no adapter, no driver, no GPU.
    #[error("cannot start device '{backend}': {missing} ({reason}); {remedy}")]
    DeviceUnavailable {
        /// The backend's name.
        backend: &'static str,
        /// What the backend needs and did not find.
        missing: &'static str,
        /// The backend's own words, on one line.
        reason: String,
        /// What to install, or which device to use instead.
        remedy: &'static str,
    },

    /// The device cannot compute in the precision asked for.
    #[error("device '{backend}'{adapter} cannot compute in {dtype}; {remedy}")]
    UnsupportedPrecision {
        /// The backend's name.
        backend: &'static str,
        /// ` (adapter name)` where the backend reports one, else empty.
        adapter: String,
        /// The precision asked for (`f64`).
        dtype: &'static str,
        /// What to do instead.
        remedy: String,
    },

    /// The loss stopped being a finite number.
    #[error(
        "the loss became {value} at step {step} with learning rate {}; training stopped. Try a smaller learning rate, e.g. --lr {}",
        compact(*lr),
        compact(lr / 10.0)
    )]
    Diverged {
        /// The step whose loss was not finite (0 is the initial parameters).
        step: usize,
        /// `NaN`, `inf` or `-inf`.
        value: String,
        /// The learning rate in use.
        lr: f64,
    },

    /// Reading or writing a file failed; the operating system's reason is the error's source.
    #[error("cannot {action} {}", path.display())]
    Io {
        /// What burnprop was doing ("write", "read", "create directory").
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },

    /// A saved run directory holds something burnprop cannot use.
    #[error("{} is not a usable run: {reason}", path.display())]
    InvalidRun {
        /// The file that was wrong.
        path: PathBuf,
        /// What was wrong with it.
        reason: String,
    },

    /// Another process holds the run directory: a run writing it, or a command reading it.
    #[error("{} is in use: {holder}; {advice}", path.display())]
    RunInUse {
        /// The run directory.
        path: PathBuf,
        /// Who holds it (`process 1234 is writing it`).
        holder: String,
        /// What to do.
        advice: &'static str,
    },

    /// A new run would replace the run already in its directory, which it may not without
    /// being told to.
    #[error("{} holds {holds}; {advice}", path.display())]
    RunExists {
        /// The run directory.
        path: PathBuf,
        /// The run it holds (`an interrupted run of circles, 3575 of 20000 steps`).
        holds: String,
        /// How to continue it, keep it or replace it.
        advice: String,
    },

    /// A figure could not be drawn.
    #[error("cannot draw the {figure} figure: {reason}")]
    Plot {
        /// The figure's name.
        figure: &'static str,
        /// plotters' or the PNG encoder's reason.
        reason: String,
    },

    /// An MNIST file is missing, unreadable or malformed.
    #[error("MNIST file {}: {problem}", path.display())]
    Mnist {
        /// The file (or, for a missing file, where it was looked for).
        path: PathBuf,
        /// What was wrong with it.
        problem: String,
    },

    /// A `--data-file` is unreadable, malformed or not the file a run recorded.
    #[error("data file {}{place}: {problem}", path.display())]
    DataFile {
        /// The file.
        path: PathBuf,
        /// Where in it: `, line 7, column 'x2'`, or empty for the whole file.
        place: String,
        /// What is wrong, and the fix.
        problem: String,
    },

    /// No MNIST files were found anywhere burnprop looks.
    #[error(
        "MNIST not found: looked in {looked}; pass --data-dir DIR (or set BURNPROP_MNIST_DIR) to a directory holding train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, raw or .gz"
    )]
    MnistNotFound {
        /// The places searched, in order.
        looked: String,
    },

    /// A picture given to `burnprop predict` cannot be read as a digit.
    #[error("cannot read {} as a digit: {reason}", path.display())]
    Picture {
        /// The picture.
        path: PathBuf,
        /// Why not.
        reason: String,
    },

    /// Something could not be written as JSON (a trace that holds a NaN or an infinity).
    #[error("cannot write {what} as JSON: {reason}")]
    Json {
        /// What was to be written.
        what: &'static str,
        /// Why not.
        reason: String,
    },

    /// A run would need more memory than is available, or sizes whose bytes no 64-bit count
    /// holds: refused before anything is allocated.
    #[error("{asked} needs {needed} of memory, {available}; {fix}")]
    TooBig {
        /// What was asked: the work, preset, network, data and batch.
        asked: String,
        /// The estimate (`about 74.5 GiB`).
        needed: String,
        /// What is available, and where that figure comes from, or why there is no figure.
        available: String,
        /// The flag to change.
        fix: String,
    },

    /// A dataset could not provide a batch.
    #[error("cannot load a batch: {0}")]
    Data(String),
}

/// A number as a person would write it: `0.002`, `1e-5`, `1e30`.
pub fn compact(x: f64) -> String {
    let magnitude = x.abs();
    if magnitude != 0.0 && !(1e-3..1e5).contains(&magnitude) {
        let text = format!("{x:.6e}");
        match text.split_once('e') {
            Some((mantissa, exponent)) => {
                let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
                format!("{mantissa}e{exponent}")
            }
            None => text,
        }
    } else {
        let text = format!("{x:.6}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Shorthand for results whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::compact;

    #[test]
    fn compact_numbers() {
        assert_eq!(compact(1e30), "1e30");
        assert_eq!(compact(1e-5), "1e-5");
        assert_eq!(compact(0.002), "0.002");
        assert_eq!(compact(0.01), "0.01");
        assert_eq!(compact(2.5), "2.5");
        assert_eq!(compact(3.5e-4), "3.5e-4");
    }
}
