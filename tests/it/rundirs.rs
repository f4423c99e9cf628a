//! A run directory belongs to one run (issue 29): a second writer is refused while the first
//! holds it, naming its process; readers refuse a directory being written; a run already in a
//! directory is replaced only with `--overwrite`, and an interrupted one says how to resume;
//! files from two runs are refused in one line. Real child processes, signalled while they
//! are blocked on a full pipe (`resume::signals::Trainee`), so every race is decided.

#![cfg(target_os = "linux")]

use std::fs;
use std::path::Path;

use burnprop::artifacts::{CHECKPOINT, CONFIG, LOCK, SUMMARY};

use crate::cli::one_line_failure;
use crate::common::burnprop;
use crate::resume::signals::Trainee;

/// The flags of a full-batch circles run of 400 steps: more than a child blocked on its pipe
/// can print (`Trainee::lead`, 150 steps), so it is still running when the tests act.
const CIRCLES: [&str; 5] = ["circles", "--samples", "2000", "--iterations", "400"];

/// A field of one of the run's JSON files.
/// A child process training `CIRCLES`, with `extra` flags, into `out`.
fn circles_child(out: &Path, extra: &[&str]) -> Trainee {
    let mut args: Vec<&str> = CIRCLES.to_vec();
    args.extend(extra);
    args.extend(["--out", out.to_str().expect("UTF-8")]);
    Trainee::spawn(&args)
}

fn field(dir: &Path, name: &str, key: &str) -> serde_json::Value {
    let text = fs::read_to_string(dir.join(name)).expect("the file is there");
    let value: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    value[key].clone()
}

/// Every file of the directory but the lock, with its bytes.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = fs::read_dir(dir)
        .expect("the run directory")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.file_name().is_some_and(|n| n != LOCK))
        .map(|p| {
            let name = p
                .file_name()
                .expect("a name")
                .to_string_lossy()
                .into_owned();
            (name, fs::read(&p).expect("readable"))
        })
        .collect();
    files.sort();
    files
}

/// `burnprop train ARGS --out DIR`.
fn train(args: &[&str], out: &Path) -> assert_cmd::Command {
    let mut cmd = burnprop();
    cmd.arg("train").args(args).arg("--out").arg(out);
    cmd
}

#[test]
fn a_second_run_into_an_interrupted_run_is_refused_and_says_how_to_resume_or_start_afresh() {
    let root = tempfile::tempdir().expect("a temporary directory");
    let out = root.path().join("run");
    let out_text = out.to_str().expect("UTF-8");
    let mut trainee = circles_child(&out, &[]);
    trainee.read_to_step(20);
    trainee.signal(libc::SIGINT);
    let (code, printed) = trainee.finish();
    assert_eq!(code, Some(130), "128 + SIGINT: {printed}");
    assert!(
        out.join(CHECKPOINT).is_file(),
        "the stop wrote a checkpoint"
    );
    let before = files(&out);

    // The same command without --resume, another length: the scenario 1.
    let again = ["circles", "--samples", "2000", "--iterations", "50"];
    let err = one_line_failure(train(&again, &out), &again);
    assert!(err.contains("holds an interrupted run of circles"), "{err}");
    assert!(
        err.contains(&format!("burnprop train --resume {out_text}")) && err.contains("--overwrite"),
        "says how to resume or start afresh: {err}"
    );
    assert_eq!(files(&out), before, "the interrupted run is untouched");

    burnprop()
        .args(["train", "--resume", out_text])
        .assert()
        .success();
    assert_eq!(field(&out, SUMMARY, "status"), "completed");

    // A completed run is kept too (Hugging Face's convention), and replaced when told to.
    let err = one_line_failure(train(&again, &out), &again);
    assert!(
        err.contains("holds a completed run of circles (400 steps)"),
        "{err}"
    );
    assert!(err.contains("add --overwrite"), "{err}");
    let mut overwrite = again.to_vec();
    overwrite.push("--overwrite");
    train(&overwrite, &out).assert().success();
    assert_eq!(field(&out, SUMMARY, "steps"), 50);
    assert_eq!(
        field(&out, SUMMARY, "run_id"),
        field(&out, CONFIG, "run_id"),
        "the summary is the new run's"
    );
    assert!(!out.join(CHECKPOINT).exists());
}

#[test]
fn a_second_writer_is_refused_with_the_holders_process_id_and_readers_wait() {
    let root = tempfile::tempdir().expect("a temporary directory");
    let out = root.path().join("run");
    let out_text = out.to_str().expect("UTF-8");
    let mut trainee = circles_child(&out, &["--seed", "1"]);
    // Step 10 printed: the child holds the directory and has written its config.json.
    trainee.read_to_step(10);
    let holder = format!("is in use: process {} is writing it", trainee.pid());

    // The scenario 2: the same directory, seed 2, even with --overwrite.
    let second = ["circles", "--seed", "2", "--overwrite"];
    let err = one_line_failure(train(&second, &out), &second);
    assert!(err.contains(&holder), "{err}");
    for args in [
        vec!["train", "--resume", out_text],
        vec!["eval", "--run", out_text],
        vec!["plot", "--run", out_text],
        vec![
            "compare",
            "circles",
            "--steps",
            "3",
            "--overwrite",
            "--out",
            out_text,
        ],
    ] {
        let mut cmd = burnprop();
        cmd.args(&args);
        let err = one_line_failure(cmd, &args);
        assert!(err.contains(&holder), "{args:?}: {err}");
    }

    let (code, printed) = trainee.finish();
    assert_eq!(code, Some(0), "the first run ends as if alone: {printed}");
    assert_eq!(field(&out, CONFIG, "seed"), 1);
    assert_eq!(field(&out, SUMMARY, "seed"), 1);
    assert_eq!(
        field(&out, SUMMARY, "run_id"),
        field(&out, CONFIG, "run_id")
    );
}

#[test]
fn a_run_killed_with_sigkill_leaves_the_directory_free_for_the_next() {
    let root = tempfile::tempdir().expect("a temporary directory");
    let out = root.path().join("run");
    let mut trainee = circles_child(&out, &[]);
    trainee.read_to_step(10);
    trainee.signal(libc::SIGKILL);
    let (code, _) = trainee.finish();
    assert_eq!(
        code, None,
        "SIGKILL ends the process without an exit status"
    );
    let killed = field(&out, CONFIG, "run_id");

    // The lock died with its holder: what stops a new run now is the run left behind.
    let again = ["circles", "--samples", "2000", "--iterations", "30"];
    let err = one_line_failure(train(&again, &out), &again);
    assert!(err.contains("holds an interrupted run"), "{err}");
    assert!(!err.contains("in use"), "{err}");
    let mut overwrite = again.to_vec();
    overwrite.push("--overwrite");
    train(&overwrite, &out).assert().success();
    let run_id = field(&out, CONFIG, "run_id");
    assert_ne!(run_id, killed, "a new run has a new id");
    assert_eq!(field(&out, SUMMARY, "run_id"), run_id);
    assert_eq!(field(&out, SUMMARY, "steps"), 30);
}

#[test]
fn files_of_two_runs_in_one_directory_are_refused_in_one_line() {
    let root = tempfile::tempdir().expect("a temporary directory");
    let (a, b) = (root.path().join("a"), root.path().join("b"));
    for out in [&a, &b] {
        train(&["xor"], out).assert().success();
    }
    fs::copy(b.join(SUMMARY), a.join(SUMMARY)).expect("copied");
    let a_text = a.to_str().expect("UTF-8");
    for args in [
        vec!["eval", "--run", a_text],
        vec!["plot", "--run", a_text],
        vec!["train", "--resume", a_text],
    ] {
        let mut cmd = burnprop();
        cmd.args(&args);
        let err = one_line_failure(cmd, &args);
        assert!(
            err.contains("summary.json is not a usable run: it comes from run")
                && err.contains("the directory holds files of two runs"),
            "{args:?}: {err}"
        );
    }
}
