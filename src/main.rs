//! The `burnprop` command: parse, run, print how it ended, exit with 0, 1 (a check failed) or 2
//! (an error).

use std::process::ExitCode;

use clap::Parser;

use burnprop::cli::{self, Cli};

fn main() -> ExitCode {
    restore_sigpipe();
    quiet_wayland_probe();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return cli::report_parse_error(&err),
    };
    cli::finish(on_the_pool(move || cli::run(cli)))
}

/// Runs `command` on one of rayon's threads, with the stack the main thread would have had.
///
/// The host kernels split every training step between rayon's threads. Started from a thread
/// outside the pool, each step is a hand-off: the caller queues the work, sleeps, and is woken
/// when the step is done, two context switches per step. Started from a thread of the pool, it
/// is a push onto that thread's own queue, and the thread works on the step itself
/// (BENCHMARKS.md, round five, change 2).
fn on_the_pool<T: Send>(command: impl FnOnce() -> T + Send) -> T {
    // Where the pool cannot be built as asked (it already exists), the default pool serves.
    let _ = rayon::ThreadPoolBuilder::new()
        .stack_size(MAIN_STACK)
        .build_global();
    rayon::scope(|_| command())
}

/// The stack of Linux's main thread (`ulimit -s`): rayon's threads get 2 MiB otherwise.
const MAIN_STACK: usize = 8 << 20;

/// Lets a closed pipe end the process quietly, as it ends `cat` or `grep`: Rust ignores
/// SIGPIPE, which turns `burnprop eval … | head` into a panic when `head` stops reading.
#[cfg(unix)]
fn restore_sigpipe() {
    // SAFETY: called first thing in `main`, before any thread exists; SIG_DFL is a valid
    // disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(unix))]
fn restore_sigpipe() {}

/// wgpu looks for a Wayland display when it opens a device, and libwayland-client prints
/// "error: XDG_RUNTIME_DIR is invalid or not set in the environment." on every look where the
/// variable is unset, as on a headless server or in CI, although nothing is wrong. An absolute
/// directory quiets it: the look then finds no display socket there and says nothing. A
/// session with a display has the variable set and is left alone.
#[cfg(target_os = "linux")]
fn quiet_wayland_probe() {
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        // SAFETY: called in `main` before any thread exists, so nothing reads the
        // environment concurrently.
        unsafe {
            std::env::set_var("XDG_RUNTIME_DIR", std::env::temp_dir());
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn quiet_wayland_probe() {}
