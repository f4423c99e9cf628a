//! Never lose a run: a run stopped between two steps (as Ctrl-C stops it) or killed at any
//! moment (`kill -9`), then resumed, ends with the history and the network of the same run
//! made without a stop, bit for bit, for both engines and every kernel, full-batch and
//! minibatch, in f32 and f64. The in-process tests stop runs through `RunOptions::stop`; the
//! command-line tests send real signals to a child `burnprop train`.

use std::cell::Cell;
use std::fs;
use std::path::Path;

use burn::tensor::Device;

use burnprop::artifacts::{CHECKPOINT, CONFIG, EPOCHS, HISTORY, OUTPUTS, RunDir, SUMMARY};
use burnprop::config::{Engine, ExperimentConfig, Kernel, Preset};
use burnprop::data::DataConfig;
use burnprop::device::Backend;
use burnprop::interrupt::Signal;
use burnprop::tensor::Precision;
use burnprop::train::{
    CheckpointPolicy, OpenedRun, RunOptions, Silent, TrainReport, resume, run_to_dir,
};

use crate::common::{burnprop, offline_config, values};

/// A short notebook-000 run: 400 points, 40 full-batch iterations.
fn circles(engine: Engine, kernel: Kernel, dtype: Precision) -> ExperimentConfig {
    let mut config = Preset::Circles.config();
    if let DataConfig::Circles { samples, .. } = &mut config.data {
        *samples = 400;
    }
    config.epochs = 40;
    config.engine = engine;
    config.kernel = kernel;
    config.dtype = dtype;
    config
}

/// The MNIST preset on the fixture (600 images, 10 minibatches of 64 per epoch), 3 epochs:
/// shuffled minibatches, a cosine schedule, momentum 0.9 and an evaluation per epoch.
fn mnist(engine: Engine, dtype: Precision) -> ExperimentConfig {
    let mut config = offline_config(Preset::Mnist);
    config.epochs = 3;
    config.engine = engine;
    config.dtype = dtype;
    config
}

/// Checkpoints every 3 steps, no timed ones; `stop` is asked after every step.
fn options(stop: &dyn Fn() -> Option<Signal>) -> RunOptions<'_> {
    RunOptions {
        checkpoints: CheckpointPolicy {
            every_steps: Some(3),
            every: None,
        },
        stop,
        overwrite: false,
    }
}

fn train(config: &ExperimentConfig, out: &Path, stop: &dyn Fn() -> Option<Signal>) -> TrainReport {
    run_to_dir(
        config,
        Backend::Flex,
        &Device::flex(),
        out,
        &options(stop),
        &mut Silent,
    )
    .expect("training succeeds")
}

/// A stop request on the `n`-th time the loop asks (1-based).
fn stop_at(n: usize) -> impl Fn() -> Option<Signal> {
    let asked = Cell::new(0);
    move || {
        asked.set(asked.get() + 1);
        (asked.get() == n).then_some(Signal::Interrupt)
    }
}

fn never() -> Option<Signal> {
    None
}

fn resumed(out: &Path, stop: &dyn Fn() -> Option<Signal>) -> TrainReport {
    let OpenedRun::Resumable(run) = OpenedRun::open(out).expect("the run directory reads") else {
        panic!("the run has steps left");
    };
    resume(
        *run,
        Backend::Flex,
        &Device::flex(),
        &options(stop),
        &mut Silent,
    )
    .expect("resuming succeeds")
}

/// A CSV file of the run without its `wall_seconds` column (the last), the one field that
/// differs between two runs of the same seed.
fn without_times(dir: &Path, name: &str) -> Option<String> {
    let text = fs::read_to_string(dir.join(name)).ok()?;
    Some(
        text.lines()
            .map(|line| line.rsplit_once(',').map_or(line, |(kept, _)| kept))
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

/// Every parameter of the run's saved network, as bits.
fn parameter_bits(dir: &Path) -> Vec<u64> {
    let run = RunDir::open(dir).expect("a run directory");
    let config = run.config().expect("its config");
    let model = run.model(&config, &Device::flex()).expect("its model");
    model
        .params()
        .into_iter()
        .flat_map(|p| {
            let mut v = values(p.weight);
            v.extend(p.bias.map(values).unwrap_or_default());
            v
        })
        .map(f64::to_bits)
        .collect()
}

/// Asserts that two runs recorded the same steps and epochs and ended with the same network,
/// bit for bit.
fn assert_same_run(a: &Path, b: &Path, what: &str) {
    for name in [HISTORY, EPOCHS, OUTPUTS] {
        assert_eq!(
            without_times(a, name),
            without_times(b, name),
            "{what}: {name} differs"
        );
    }
    assert!(
        parameter_bits(a) == parameter_bits(b),
        "{what}: the final networks differ"
    );
}

fn status(dir: &Path) -> String {
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join(SUMMARY)).expect("summary.json"))
            .expect("JSON");
    summary["status"].as_str().expect("a status").to_string()
}

/// Stops `config`'s run at each of `stops` (the loop's n-th question), resumes it, and holds
/// the result to the uninterrupted run.
fn stopped_and_resumed_equals_uninterrupted(config: &ExperimentConfig, stops: &[usize]) {
    let root = tempfile::tempdir().expect("a temporary directory");
    let whole = root.path().join("whole");
    train(config, &whole, &never);
    assert_eq!(status(&whole), "completed");
    assert!(
        !whole.join(CHECKPOINT).exists(),
        "a completed run keeps no checkpoint"
    );
    for &n in stops {
        let what = format!(
            "{} {} {} {}, stopped at question {n}",
            config.preset.name(),
            config.engine,
            config.kernel,
            config.dtype.name()
        );
        let out = root.path().join(format!("stopped-{n}"));
        let first = train(config, &out, &stop_at(n));
        assert_eq!(first.stopped_by(), Some(Signal::Interrupt), "{what}");
        assert_eq!(status(&out), "interrupted", "{what}");
        assert!(out.join(CHECKPOINT).exists(), "{what}: no checkpoint");
        let last = resumed(&out, &never);
        assert_eq!(last.stopped_by(), None, "{what}");
        assert_eq!(status(&out), "completed", "{what}");
        assert_same_run(&whole, &out, &what);
    }
}

#[test]
fn circles_full_batch_resumes_bit_for_bit_on_every_engine_kernel_and_precision() {
    for dtype in [Precision::F32, Precision::F64] {
        for (engine, kernel) in [
            (Engine::Autodiff, Kernel::Auto),
            (Engine::Manual, Kernel::Fused),
            (Engine::Manual, Kernel::Tensor),
        ] {
            // Question 1 stops after the first step (before any momentum has built up),
            // 17 in the middle, between two checkpoints.
            stopped_and_resumed_equals_uninterrupted(&circles(engine, kernel, dtype), &[1, 17]);
        }
    }
}

#[test]
fn mnist_minibatches_resume_bit_for_bit_on_both_engines_and_precisions() {
    for dtype in [Precision::F32, Precision::F64] {
        for engine in [Engine::Autodiff, Engine::Manual] {
            // The loop asks after each of an epoch's 10 steps and at its end: question 5 is
            // mid-epoch, 11 the end of epoch 1 (before its evaluation is recorded: asked
            // after its last step), 12 the start of epoch 2 after that evaluation.
            stopped_and_resumed_equals_uninterrupted(&mnist(engine, dtype), &[5, 11, 12]);
        }
    }
}

#[test]
fn minibatches_on_the_fused_kernel_resume_bit_for_bit() {
    let mut config = circles(Engine::Manual, Kernel::Fused, Precision::F32);
    config.batch_size = Some(64);
    config.epochs = 4;
    stopped_and_resumed_equals_uninterrupted(&config, &[9, 15]);
}

#[test]
fn a_run_stopped_twice_still_ends_where_the_uninterrupted_one_does() {
    let config = mnist(Engine::Autodiff, Precision::F32);
    let root = tempfile::tempdir().expect("a temporary directory");
    let (whole, out) = (root.path().join("whole"), root.path().join("twice"));
    train(&config, &whole, &never);
    train(&config, &out, &stop_at(4));
    assert_eq!(
        resumed(&out, &stop_at(9)).stopped_by(),
        Some(Signal::Interrupt)
    );
    resumed(&out, &never);
    assert_same_run(&whole, &out, "stopped twice");
}

#[test]
fn resuming_a_completed_run_says_there_is_nothing_to_do() {
    let root = tempfile::tempdir().expect("a temporary directory");
    let out = root.path().join("done");
    train(&Preset::Xor.config(), &out, &never);
    match OpenedRun::open(&out).expect("readable") {
        OpenedRun::Completed(summary) => assert_eq!(summary.steps, 1000),
        other => panic!("expected a completed run, got {other:?}"),
    }
    // The command line says so and exits with 0.
    let output = burnprop()
        .args(["train", "--resume"])
        .arg(&out)
        .output()
        .expect("burnprop runs");
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    // Preset xor: notebook 003's 1000 iterations.
    assert!(
        stdout.contains("is complete: 1000 of 1000 steps"),
        "{stdout}"
    );
}

#[test]
fn a_resume_that_would_change_the_configuration_is_refused() {
    let root = tempfile::tempdir().expect("a temporary directory");
    let out = root.path().join("stopped");
    train(&Preset::Xor.config(), &out, &stop_at(10));
    for (flags, change) in [
        (&["--seed", "7"][..], "seed (0 → 7)"),
        (&["circles"][..], "preset"),
        (&["--engine", "manual"][..], "engine"),
        (&["--lr", "0.5"][..], "optimizer.lr"),
    ] {
        let output = burnprop()
            .args(["train", "--resume"])
            .arg(&out)
            .args(flags)
            .output()
            .expect("burnprop runs");
        assert_eq!(output.status.code(), Some(2), "{flags:?}: {output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains("cannot resume") && stderr.contains(change),
            "{flags:?}: {stderr}"
        );
    }
    // The same flags as the run's own are not a change.
    burnprop()
        .args([
            "train",
            "xor",
            "--seed",
            "0",
            "--log-every",
            "1000",
            "--resume",
        ])
        .arg(&out)
        .assert()
        .success();
    assert_eq!(status(&out), "completed");
}

#[test]
fn a_saved_config_reruns_the_same_history_and_flags_override_it() {
    let root = tempfile::tempdir().expect("a temporary directory");
    let (first, again, changed) = (
        root.path().join("first"),
        root.path().join("again"),
        root.path().join("changed"),
    );
    let run = |args: &[&str], out: &Path| {
        burnprop()
            .args(args)
            .arg("--out")
            .arg(out)
            .assert()
            .success();
    };
    run(
        &[
            "train",
            "circles",
            "--samples",
            "300",
            "--iterations",
            "25",
            "--engine",
            "manual",
        ],
        &first,
    );
    let saved = first.join(CONFIG);
    let saved = saved.to_str().expect("a UTF-8 path");
    run(&["train", "--config", saved], &again);
    assert_same_run(&first, &again, "--config");
    // Each run has its own id (the first line); the rest is the saved configuration.
    let config = |dir: &Path| {
        let text = fs::read_to_string(dir.join(CONFIG)).expect("config.json");
        let (id, rest) = text.split_once(",\n").expect("lines");
        (id.to_string(), rest.to_string())
    };
    let ((first_id, first_config), (again_id, again_config)) = (config(&first), config(&again));
    assert_eq!(
        first_config, again_config,
        "the rerun's config.json is the saved one"
    );
    assert!(first_id.contains("\"run_id\"") && again_id.contains("\"run_id\""));
    assert_ne!(first_id, again_id, "a rerun is another run");
    run(
        &["train", "--config", saved, "--iterations", "30"],
        &changed,
    );
    let rows = without_times(&changed, HISTORY).expect("history.csv");
    // 30 iterations: rows 0 to 30 and the header.
    assert_eq!(rows.lines().count(), 32);
    assert_eq!(
        rows.lines().take(26).collect::<Vec<_>>(),
        without_times(&first, HISTORY)
            .expect("history.csv")
            .lines()
            .take(26)
            .collect::<Vec<_>>(),
        "the first 25 steps are the saved run's"
    );
}

/// Trains `args` through the command line into `out`, to its end.
fn train_cli(args: &[&str], out: &Path) {
    burnprop()
        .arg("train")
        .args(args)
        .arg("--out")
        .arg(out)
        .assert()
        .success();
}

/// The command-line tests: real signals to a child `burnprop train`, made deterministic with
/// Linux's pipe sizes (`F_SETPIPE_SZ`) and its view of a process's pending signals (`/proc`).
#[cfg(target_os = "linux")]
pub(crate) mod signals {
    use std::fs;
    use std::io::{BufRead, BufReader};
    use std::os::fd::AsRawFd;
    use std::process::{Child, Stdio};
    use std::time::{SystemTime, UNIX_EPOCH};

    use burnprop::rng::NumpyRng;

    use super::{assert_same_run, status, train_cli};
    use crate::common::burnprop;

    /// The path of the `burnprop` binary cargo built for these tests.
    fn binary() -> std::path::PathBuf {
        assert_cmd::cargo::cargo_bin("burnprop")
    }

    /// The pipe capacity the signal tests ask for: Linux's smallest, one page.
    const PIPE_BYTES: libc::c_int = 4096;

    /// What the tests read of the child's output at a time, ahead of the line they act on.
    const READ_AHEAD: usize = 64;

    /// The shortest progress line: `step N/T  loss ` and the loss padded to 12 characters
    /// (src/progress.rs), with N and T at least 1 and 2 digits, and the newline: 29 bytes.
    const SHORTEST_LINE: usize = 29;

    /// A child running `burnprop train` with a one-page stdout pipe: once the tests stop reading,
    /// it can print at most this many lines before it blocks on the pipe, so a run with more steps
    /// left than that is still running when the signal arrives, whatever the machine's speed.
    pub(crate) struct Trainee {
        child: Child,
        lines: std::io::Lines<BufReader<std::process::ChildStdout>>,
        pipe: usize,
        printed: String,
    }

    impl Trainee {
        /// Starts `burnprop train ARGS --log-every 1 --checkpoint-every 5` on flex.
        pub(crate) fn spawn(args: &[&str]) -> Self {
            let mut child = std::process::Command::new(binary())
                .args(["train"])
                .args(args)
                .args(["--log-every", "1", "--checkpoint-every", "5"])
                .env("BURN_DEVICE", "flex")
                .env_remove("BURNPROP_MNIST_DIR")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("burnprop starts");
            let stdout = child.stdout.take().expect("piped");
            let fd = stdout.as_raw_fd();
            // SAFETY: F_SETPIPE_SZ on the pipe this process holds the reading end of.
            let pipe = unsafe { libc::fcntl(fd, libc::F_SETPIPE_SZ, PIPE_BYTES) };
            let pipe = usize::try_from(pipe).expect("the pipe's size can be set");
            Self {
                child,
                lines: BufReader::with_capacity(READ_AHEAD, stdout).lines(),
                pipe,
                printed: String::new(),
            }
        }

        /// The most steps the child can take past the last line read before it blocks.
        fn lead(&self) -> usize {
            (self.pipe + READ_AHEAD) / SHORTEST_LINE + 1
        }

        /// Reads progress lines up to the one of step `step` (`step  17/400  loss …`).
        pub(crate) fn read_to_step(&mut self, step: usize) {
            let step_of = |line: &str| -> Option<usize> {
                let rest = line.trim_start().strip_prefix("step")?.trim_start();
                rest.split('/').next()?.parse().ok()
            };
            for line in self.lines.by_ref() {
                let line = line.expect("text");
                self.printed.push_str(&line);
                self.printed.push('\n');
                if step_of(&line) == Some(step) {
                    return;
                }
            }
            panic!("the run ended before step {step}: {}", self.printed);
        }

        pub(crate) fn pid(&self) -> i32 {
            i32::try_from(self.child.id()).expect("a pid")
        }

        pub(crate) fn signal(&self, signal: i32) {
            // SAFETY: sending a signal to our own child process.
            assert_eq!(unsafe { libc::kill(self.pid(), signal) }, 0);
        }

        /// Reads on to the child's end, so that it does not meet a closed pipe, and returns its
        /// exit status and everything it printed.
        pub(crate) fn finish(mut self) -> (Option<i32>, String) {
            for line in self.lines {
                self.printed.push_str(&line.expect("text"));
                self.printed.push('\n');
            }
            let status = self.child.wait().expect("the child ends");
            (status.code(), self.printed)
        }
    }

    /// Sends `signal` to a child run of `total` steps once it prints step `step`, which leaves it
    /// more steps than it can print unread; returns its exit status and everything it printed.
    fn signal_at_step(
        args: &[&str],
        total: usize,
        step: usize,
        signal: i32,
    ) -> (Option<i32>, String) {
        let mut trainee = Trainee::spawn(args);
        assert!(
            step + trainee.lead() < total,
            "step {step} of {total} leaves fewer than {} steps: the child could finish first",
            trainee.lead()
        );
        trainee.read_to_step(step);
        trainee.signal(signal);
        trainee.finish()
    }

    /// A step in `range`, drawn from a seed: the clock's, or `BURNPROP_TEST_SEED`'s to replay a
    /// failure (each draw prints its seed).
    fn random_step(range: std::ops::Range<usize>, what: &str) -> usize {
        let seed = std::env::var("BURNPROP_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.subsec_nanos())
            });
        let mut rng = NumpyRng::new(seed);
        let step = range.start + (rng.random_sample() * (range.end - range.start) as f64) as usize;
        eprintln!(
            "{what}: the signal goes at step {step} of {range:?} (BURNPROP_TEST_SEED={seed})"
        );
        step
    }

    /// The flags of the two command-line workloads, circles full-batch (400 steps) and mnist on
    /// the fixture (20 epochs of 10 steps), each with its number of steps: both long enough that
    /// a child signalled in the first half still has more than `Trainee::lead` (150) steps to go.
    fn workloads() -> Vec<(Vec<String>, usize)> {
        let fixture = crate::common::mnist_fixture();
        vec![
            (
                ["circles", "--samples", "2000", "--iterations", "400"]
                    .map(String::from)
                    .to_vec(),
                400,
            ),
            (
                vec![
                    "mnist".to_string(),
                    "--epochs".to_string(),
                    "20".to_string(),
                    "--data-dir".to_string(),
                    fixture.display().to_string(),
                ],
                200,
            ),
        ]
    }

    /// The last step at which a run of `total` steps can be signalled and still be running.
    fn last_signal_step(total: usize) -> usize {
        total - (PIPE_BYTES as usize + READ_AHEAD) / SHORTEST_LINE - 2
    }

    #[test]
    fn ctrl_c_and_sigterm_stop_a_child_run_which_then_resumes_bit_for_bit() {
        // The autodiff runs get Ctrl-C's SIGINT (exit 130 = 128 + 2), the manual ones `kill`'s
        // SIGTERM (143 = 128 + 15), as a shell reports a process a signal ended.
        let signals = [
            ("autodiff", libc::SIGINT, 130, "SIGINT"),
            ("manual", libc::SIGTERM, 143, "SIGTERM"),
        ];
        for (flags, total) in workloads() {
            for (engine, signal, exit, name) in signals {
                let root = tempfile::tempdir().expect("a temporary directory");
                let (whole, out) = (root.path().join("whole"), root.path().join("stopped"));
                let mut args: Vec<&str> = flags.iter().map(String::as_str).collect();
                args.extend(["--engine", engine]);
                let what = format!("{args:?}");
                train_cli(&args, &whole);
                let mut stopped = args.clone();
                let out_text = out.to_str().expect("UTF-8");
                stopped.extend(["--out", out_text]);
                let step = random_step(1..last_signal_step(total), &what);
                let (code, printed) = signal_at_step(&stopped, total, step, signal);
                assert_eq!(code, Some(exit), "{what}: {printed}");
                let last = printed.lines().last().unwrap_or_default();
                assert!(
                    last.contains(&format!("{name} stopped the run after"))
                        && last.ends_with(&format!("burnprop train --resume {out_text}")),
                    "{what}: the last line says how to resume: {last}"
                );
                assert_eq!(status(&out), "interrupted", "{what}");
                burnprop()
                    .args(["train", "--resume", out_text])
                    .assert()
                    .success();
                assert_same_run(&whole, &out, &what);
            }
        }
    }

    #[test]
    fn kill_9_at_random_moments_leaves_a_run_that_resumes_bit_for_bit() {
        for (flags, total) in workloads() {
            let root = tempfile::tempdir().expect("a temporary directory");
            let (whole, out) = (root.path().join("whole"), root.path().join("killed"));
            let args: Vec<&str> = flags.iter().map(String::as_str).collect();
            train_cli(&args, &whole);
            let out_text = out.to_str().expect("UTF-8");
            let mut killed = args.clone();
            killed.extend(["--out", out_text]);
            let (last, what) = (last_signal_step(total), format!("{args:?}"));
            let first = random_step(1..last / 2, &what);
            let (code, _) = signal_at_step(&killed, total, first, libc::SIGKILL);
            assert_eq!(
                code, None,
                "SIGKILL ends the process without an exit status"
            );
            // Killed again while resuming, later on, with steps still to go.
            let second = random_step(last / 2..last, &what);
            let (code, _) = signal_at_step(&["--resume", out_text], total, second, libc::SIGKILL);
            assert_eq!(code, None);
            for entry in fs::read_dir(&out).expect("the run directory") {
                let name = entry.expect("an entry").file_name();
                let name = name.to_string_lossy();
                assert!(
                    !name.ends_with(".tmp") || name.starts_with('.'),
                    "only hidden temporary files may be left: {name}"
                );
            }
            burnprop()
                .args(["train", "--resume", out_text])
                .assert()
                .success();
            assert_same_run(&whole, &out, &format!("{args:?}, killed twice"));
        }
    }

    /// Whether a thread of process `pid` sleeps in `write(1, …)`, blocked on its full stdout
    /// pipe: its `/proc/PID/task/TID/syscall` names the call and its first argument (a running
    /// thread's reads `running`), its `stat` the state `S`. The pipe's byte count cannot tell:
    /// a one-page pipe takes no write past the page's end, so a writer can block with far less
    /// than a page unread, once the reader has taken the page's start.
    fn blocked_on_stdout(pid: i32) -> bool {
        let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
            return false;
        };
        tasks.flatten().any(|task| {
            let path = task.path();
            let in_write = fs::read_to_string(path.join("syscall")).is_ok_and(|call| {
                let mut fields = call.split_whitespace();
                fields.next() == Some(&libc::SYS_write.to_string()) && fields.next() == Some("0x1")
            });
            // The state follows the command name, which is in parentheses.
            let sleeping = fs::read_to_string(path.join("stat")).is_ok_and(|stat| {
                stat.rsplit_once(')')
                    .is_some_and(|(_, rest)| rest.trim_start().starts_with('S'))
            });
            in_write && sleeping
        })
    }

    /// Whether `signal` is waiting, not yet taken by any thread of process `pid`
    /// (`/proc/PID/status`'s `ShdPnd`, the process's pending set, in hexadecimal).
    fn pending(pid: i32, signal: i32) -> bool {
        let status = fs::read_to_string(format!("/proc/{pid}/status")).expect("the child's status");
        let mask = status
            .lines()
            .find_map(|line| line.strip_prefix("ShdPnd:"))
            .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
            .expect("a ShdPnd line");
        mask & (1 << (signal - 1)) != 0
    }

    /// Polls `done` every 5 ms for up to a minute.
    fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
        let start = std::time::Instant::now();
        while !done() {
            assert!(start.elapsed().as_secs() < 60, "waited a minute for {what}");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    #[test]
    fn a_second_ctrl_c_ends_the_process_at_once_and_the_run_still_resumes() {
        let (flags, total) = workloads().remove(1);
        let root = tempfile::tempdir().expect("a temporary directory");
        let (whole, out) = (root.path().join("whole"), root.path().join("twice"));
        let args: Vec<&str> = flags.iter().map(String::as_str).collect();
        train_cli(&args, &whole);
        let out_text = out.to_str().expect("UTF-8");
        let mut twice = args.clone();
        twice.extend(["--out", out_text]);
        // After step 12 (a checkpoint was written at step 10) the tests stop reading until the
        // child is seen blocked writing its next line to the full pipe: the
        // lines a first SIGINT's stop prints (the summary, "SIGINT stopped the run after …") can
        // never get out, so that stop cannot end the process. The first SIGINT is sent and seen
        // taken (no longer pending), then the second: only the second's immediate exit can end it.
        let at = random_step(12..last_signal_step(total), "two Ctrl-C");
        let mut trainee = Trainee::spawn(&twice);
        trainee.read_to_step(at);
        let pid = trainee.pid();
        wait_for("the child blocked on its full pipe", || {
            blocked_on_stdout(pid)
        });
        trainee.signal(libc::SIGINT);
        wait_for("the first SIGINT to be taken", || {
            !pending(pid, libc::SIGINT)
        });
        trainee.signal(libc::SIGINT);
        let (code, printed) = trainee.finish();
        // 130 = 128 + SIGINT, the second signal's `_exit`.
        assert_eq!(code, Some(130), "{printed}");
        assert!(
            !printed.contains("stopped the run after"),
            "the first SIGINT's orderly stop cannot have finished: {printed}"
        );
        burnprop()
            .args(["train", "--resume", out_text])
            .assert()
            .success();
        assert_same_run(&whole, &out, "two Ctrl-C");
    }
}
