//! Ctrl-C and `kill`: a request to stop, noted by a signal handler and read by the training
//! loop between steps.
//!
//! [`install`] makes SIGINT (Ctrl-C) and SIGTERM (`kill`, a scheduler's time limit) set a flag
//! instead of ending the process. The loop reads it with [`requested`] after each step, saves
//! the run and stops; the command then exits with `128 + signal` (130 for SIGINT, 143 for
//! SIGTERM), as a shell reports a process that a signal ended. A second signal while the first
//! is being handled ends the process at once with the same status: every file of a run is
//! written atomically (a temporary file renamed over the old one), so even then none is left
//! half-written, and the last complete checkpoint stays resumable.

use std::sync::atomic::{AtomicI32, Ordering};

/// The signal that asked the process to stop: its number, 0 when none came.
static REQUESTED: AtomicI32 = AtomicI32::new(0);

/// A signal that asks a run to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT, Ctrl-C at a terminal.
    Interrupt,
    /// SIGTERM, the default of `kill` and of schedulers ending a job.
    Terminate,
}

impl Signal {
    /// `SIGINT` or `SIGTERM`.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        }
    }

    /// The signal's number on Linux and macOS.
    pub fn number(self) -> i32 {
        match self {
            Signal::Interrupt => 2,
            Signal::Terminate => 15,
        }
    }

    /// The exit status of a process this signal stopped: `128 + number` (130, 143).
    pub fn exit_code(self) -> u8 {
        match self {
            Signal::Interrupt => 130,
            Signal::Terminate => 143,
        }
    }

    fn from_number(number: i32) -> Option<Self> {
        [Signal::Interrupt, Signal::Terminate]
            .into_iter()
            .find(|s| s.number() == number)
    }
}

/// The stop signal received since [`install`], if any.
pub fn requested() -> Option<Signal> {
    Signal::from_number(REQUESTED.load(Ordering::SeqCst))
}

/// Routes SIGINT and SIGTERM to [`requested`]: the first one is noted, a second one ends the
/// process at once with status `128 + signal`. Call it once, early in `main`.
#[cfg(unix)]
pub fn install() {
    let handler = on_signal as extern "C" fn(libc::c_int);
    for signal in [Signal::Interrupt, Signal::Terminate] {
        // SAFETY: `on_signal` only touches an atomic integer and calls `_exit`, both
        // async-signal-safe; the sigaction structure is zeroed and then filled in completely.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = handler as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal.number(), &action, std::ptr::null_mut());
        }
    }
}

/// On other systems Ctrl-C keeps its default: the process ends, and the run can be resumed
/// from its last checkpoint.
#[cfg(not(unix))]
pub fn install() {}

#[cfg(unix)]
extern "C" fn on_signal(number: libc::c_int) {
    if REQUESTED.swap(number, Ordering::SeqCst) != 0 {
        // SAFETY: `_exit` is async-signal-safe and ends the process without running anything
        // else; 128 + a signal number (2 or 15) fits the exit status.
        unsafe { libc::_exit(128 + number) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_128_plus_the_signal_number() {
        // POSIX shells report a process ended by signal n with status 128 + n.
        for signal in [Signal::Interrupt, Signal::Terminate] {
            assert_eq!(i32::from(signal.exit_code()), 128 + signal.number());
            assert_eq!(Signal::from_number(signal.number()), Some(signal));
        }
        assert_eq!(Signal::from_number(0), None);
    }
}
