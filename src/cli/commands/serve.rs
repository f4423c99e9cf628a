//! `burnprop serve`: the browser playground, served until Ctrl-C or SIGTERM (exit 0).

use anyhow::Result;

use crate::cli::args::ServeArgs;
use crate::cli::{Outcome, open_device};
use crate::interrupt;
use crate::serve::{Options, serve};
use crate::tensor::Precision;

/// Runs `burnprop serve`.
pub fn run(args: &ServeArgs) -> Result<Outcome> {
    let (backend, device) = open_device(args.device.as_deref(), Precision::F32)?;
    interrupt::install();
    let options = Options {
        port: args.port,
        host: (!args.host.is_loopback()).then_some(args.host),
        open: !args.no_open,
    };
    serve(&options, backend, device)?;
    Ok(Outcome::Success)
}
