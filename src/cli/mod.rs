//! The `burnprop` command line, split by job:
//!
//! - [`args`]: the clap types, whose doc comments are `--help`;
//! - [`overrides`]: flags onto a preset's [`ExperimentConfig`](crate::config::ExperimentConfig);
//! - [`refusals`]: flags that would change nothing, refused;
//! - [`commands`]: one small module per subcommand, each reading its arguments, calling the
//!   library and printing what it returns;
//! - here: dispatch, the device every command opens, and the exit status.
//!
//! Exit status, as grep and diff have it: 0 success; 1 a check ran and failed (a gradient
//! check, an engine comparison: the library returns the verdict, [`Outcome::CheckFailed`]
//! carries it); 2 an error (bad input, a missing or malformed file, a device that cannot
//! start); 130 or 143 a run that Ctrl-C or SIGTERM stopped, after saving it (`train`). Every
//! error and every failed check is one line on stderr.

pub mod args;
pub mod commands;
pub mod overrides;
pub mod refusals;

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use burn::tensor::Device;
use clap::error::{ContextKind, ContextValue, ErrorKind};

pub use args::{Cli, Command};

use crate::artifacts::RunDir;
use crate::device;
use crate::interrupt::Signal;
use crate::tensor::Precision;

/// How a command that ran to its end came out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It did what it was asked, and every check it made passed.
    Success,
    /// A check ran and failed; the sentence says which and why.
    CheckFailed(String),
    /// A signal stopped it before its end, after it saved its work (the command said how to
    /// continue); the exit status is `128 + signal`.
    Stopped(Signal),
}

/// Exit status 1: a check ran and failed.
pub const EXIT_CHECK_FAILED: u8 = 1;
/// Exit status 2: an error (bad input, a missing file, a device that cannot start).
pub const EXIT_ERROR: u8 = 2;

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<Outcome> {
    match cli.command {
        Command::Train(args) => commands::train::run(&args),
        Command::Gradcheck(args) => commands::gradcheck::run(&args),
        Command::Trace(args) => commands::trace::run(&args),
        Command::Compare(args) => commands::compare::run(&args),
        Command::Plot(args) => commands::plot::run(&args),
        Command::Reproduce(args) => commands::reproduce::run(&args),
        Command::Eval(args) => commands::eval::run(&args),
        Command::Predict(args) => commands::predict::run(&args),
        Command::List => commands::list::run(),
        Command::Bench(args) => commands::bench::run(&args),
        Command::Serve(args) => commands::serve::run(&args),
    }
}

/// Prints how `result` ended on stderr (nothing for success, one line otherwise) and returns
/// its exit status.
pub fn finish(result: Result<Outcome>) -> ExitCode {
    match result {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::CheckFailed(why)) => {
            eprintln!("error: {why}");
            ExitCode::from(EXIT_CHECK_FAILED)
        }
        Ok(Outcome::Stopped(signal)) => ExitCode::from(signal.exit_code()),
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// The device of `--device` (or the default), opened, and able to compute in `dtype`.
pub(crate) fn open_device(
    requested: Option<&str>,
    dtype: Precision,
) -> Result<(device::Backend, Device)> {
    let (backend, device) = device::select(requested)?;
    device::ensure_precision(backend, &device, dtype.float_dtype())?;
    Ok((backend, device))
}

/// [`open_device`] for a saved run, in the run's precision; a directory without a readable
/// config (the command's own error names what is missing) is opened in f32.
pub(crate) fn open_run_device(
    run: &Path,
    requested: Option<&str>,
) -> Result<(device::Backend, Device)> {
    let dtype = RunDir::open(run)
        .and_then(|dir| dir.config())
        .map_or(Precision::F32, |config| config.dtype);
    open_device(requested, dtype)
}

/// Prints a command-line error as one line on stderr and returns exit status 2; help and
/// version requests print as usual (to stdout, status 0).
pub fn report_parse_error(err: &clap::Error) -> ExitCode {
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        // Help goes to stdout; if that fails there is nobody left to tell.
        let _ = err.print();
        return ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(EXIT_ERROR));
    }
    let rendered = err.render().to_string();
    let mut line = rendered
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("error: invalid command line")
        .to_string();
    if let Some(ContextValue::Strings(values)) = err.get(ContextKind::ValidValue) {
        line.push_str(&format!("; expected one of: {}", values.join(", ")));
    }
    for kind in [ContextKind::SuggestedArg, ContextKind::SuggestedValue] {
        if let Some(ContextValue::String(suggestion)) = err.get(kind) {
            line.push_str(&format!(" (did you mean '{suggestion}'?)"));
        }
    }
    eprintln!("{line}");
    ExitCode::from(EXIT_ERROR)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn help_states_the_exit_status() {
        let help = Cli::command().render_long_help().to_string();
        assert!(help.contains("1 a check ran and failed"), "{help}");
        assert!(help.contains("2 an error"), "{help}");
    }
}
