//! The two engines: the same trajectories from the same network and batches, and `compare`.

use std::fs;

use burn::tensor::Device;

use burnprop::artifacts::{COMPARE, COMPARE_SUMMARY, CONFIG};
use burnprop::compare::{self, CompareRecord, CompareSummary, Comparison, Tolerance};
use burnprop::config::{Engine, ExperimentConfig, Kernel, Preset};
use burnprop::tensor::Precision;

use crate::common::{burnprop, offline_config, train_with};

/// The agreement in f32: losses to relative 1e-5 at every step…
const LOSS_RELATIVE: f64 = 1e-5;
/// …and parameters to 1e-4 (relative to max(1, max |θ|)).
const PARAM_RELATIVE: f64 = 1e-4;

fn compared(config: &ExperimentConfig, steps: usize) -> Comparison {
    compare::compare_engines(
        config,
        steps,
        Tolerance::for_config(config),
        &Device::flex(),
        &mut |_| {},
    )
    .expect("the comparison runs")
}

fn assert_agree(what: &str, comparison: &Comparison) {
    for r in &comparison.records {
        assert!(
            r.relative_delta_loss() <= LOSS_RELATIVE,
            "{what}, step {}: losses {} (autodiff) and {} (manual), relative difference {:e}",
            r.step,
            r.loss_autodiff,
            r.loss_manual,
            r.relative_delta_loss()
        );
        assert!(
            r.max_delta_param <= PARAM_RELATIVE * r.max_param.max(1.0),
            "{what}, step {}: max |Δθ| = {:e} with max |θ| = {}",
            r.step,
            r.max_delta_param,
            r.max_param
        );
    }
}

#[test]
fn every_preset_trains_the_same_with_both_engines_for_100_steps() {
    for (preset, kernel) in Preset::ALL
        .into_iter()
        .flat_map(|p| [(p, Kernel::Tensor), (p, Kernel::Fused), (p, Kernel::Wide)])
    {
        let mut config = offline_config(preset);
        config.kernel = kernel;
        // Every preset trains in f32 but micrograd and cs231n's two, which reproduce Python's
        // floats (their f64 trajectories have their own tests, tests/it/micrograd.rs and
        // tests/it/cs231n.rs); all are compared here in f32, the precision assert_agree's
        // tolerances are for.
        if matches!(
            preset,
            Preset::Micrograd | Preset::Cs231n | Preset::Cs231nLinear
        ) {
            assert_eq!(config.dtype, Precision::F64);
            config.dtype = Precision::F32;
        }
        assert_eq!(config.dtype, Precision::F32);
        let comparison = compared(&config, 100);
        let what = format!("{} ({kernel} kernel)", preset.name());
        assert_eq!(comparison.records.len(), 101, "{what}");
        assert_agree(&what, &comparison);
        let (first, last) = (&comparison.records[0], &comparison.records[100]);
        assert_eq!(first.max_delta_param, 0.0, "one initial network for both");
        assert!(
            last.loss_autodiff < first.loss_autodiff,
            "{}: training went somewhere ({} → {})",
            preset.name(),
            first.loss_autodiff,
            last.loss_autodiff
        );
        assert!(comparison.first_departure().is_none());
    }
}

#[test]
fn minibatches_schedules_and_nesterov_agree_too() {
    let mut circles = offline_config(Preset::Circles);
    circles.batch_size = Some(5000);
    circles.optimizer.schedule = burnprop::config::Schedule::Linear;
    circles.optimizer.lr = 1e-3;
    let mut xor = offline_config(Preset::Xor);
    xor.optimizer.momentum = 0.9;
    xor.optimizer.nesterov = true;
    xor.optimizer.weight_decay = 0.01;
    for (what, config) in [
        ("circles minibatch, linear", circles),
        ("xor nesterov", xor),
    ] {
        assert_agree(what, &compared(&config, 100));
    }
}

/// In f64, 100 steps of notebook 000 (μ = 0.5): the largest relative loss and parameter
/// differences between the engines with the fused kernel (measured: printed by the test)…
const F64_FUSED: (f64, f64) = (3e-14, 2e-14);
/// …and with the tensor kernel.
const F64_TENSOR: (f64, f64) = (1e-15, 1e-15);

#[test]
fn in_f64_the_engines_agree_to_rounding() {
    // μ = 0.5 is exact in f32, so burn's f32 momentum factor changes nothing here.
    for (kernel, (loss_tol, param_tol)) in
        [(Kernel::Fused, F64_FUSED), (Kernel::Tensor, F64_TENSOR)]
    {
        let mut config = offline_config(Preset::Circles);
        config.dtype = Precision::F64;
        config.kernel = kernel;
        let comparison = compared(&config, 100);
        assert_eq!(comparison.tolerance, Tolerance::of(Precision::F64));
        let worst =
            |f: fn(&CompareRecord) -> f64| comparison.records.iter().map(f).fold(0.0, f64::max);
        let (loss, param) = (
            worst(CompareRecord::relative_delta_loss),
            worst(CompareRecord::relative_delta_param),
        );
        eprintln!("f64, {kernel} kernel: worst relative Δloss {loss:e}, Δθ {param:e}");
        for r in &comparison.records {
            assert!(
                r.relative_delta_loss() <= loss_tol && r.relative_delta_param() <= param_tol,
                "{kernel} kernel, step {}: {r:?}",
                r.step
            );
        }
    }
}

/// 1000 MNIST steps on the 600-image fixture (about 107 epochs of 64-image batches), where the
/// network memorises its batches: the smallest batch loss the autodiff engine reaches
/// (measured: 4.25e-4, at about step 970)…
const FIXTURE_LOSS_FALLS_BELOW: f64 = 1e-3;
/// …the largest parameter difference over the 1000 steps in f32, relative to max(1, max |θ|)
/// (measured with this test on an AMD EPYC with AVX-512, flex, release: 3.5e-6 with the wide and
/// the tensor kernels; issue 31's run 1.8e-6; a margin of about 6)…
const FIXTURE_F32_PARAM: f64 = 2e-5;
/// …the largest relative Δloss with either kernel (measured 2.1e-5 at step 866 with the wide,
/// fused and tensor kernels alike; before the host kernels computed the loss as
/// (m − z_y) + ln Σ, their lse − z_y rounded a memorised example's loss to its logit's f32 grid
/// and the wide kernel's reached 6.4e-4, issue 31's figure; a margin of about 10)…
const FIXTURE_F32_LOSS: f64 = 2e-4;
/// …and in f64, with μ = f32(0.9) so that burn's f32 momentum factor is the manual engine's
/// (measured: 1.2e-12 and 6.7e-16 before that change, a few units in the last place of f64;
/// margins over 10).
const FIXTURE_F64: (f64, f64) = (2e-11, 1e-14);

fn worst(comparison: &Comparison, f: fn(&CompareRecord) -> f64) -> f64 {
    comparison.records.iter().map(f).fold(0.0, f64::max)
}

#[test]
fn on_the_mnist_fixture_the_engines_part_only_in_the_rounding_of_tiny_losses() {
    // Issue 31: `compare mnist --steps 1000 --data-dir tests/fixtures/mnist` parted at a step
    // past 100 (113 in the issue, 117 on an AMD EPYC) on the relative loss difference alone: the
    // host kernels computed each example's loss as lse − z_y with lse = m + ln Σₖ e^(zₖ − m),
    // which for a memorised example (m = z_y, ln Σ tiny) rounds to the f32 grid of the logit.
    // They now add (m − z_y) + ln Σ, exact for that example: their loss is as close to
    // autodiff's as burn's own log_softmax (the tensor kernel), and what remains is f32's
    // rounding of a batch loss of 5e-4. The gradients (softmax − y) never saw lse: the
    // parameters agree as closely with every kernel, and in f64 the engines agree to rounding.
    let mut config = offline_config(Preset::Mnist);
    assert_eq!(config.dtype, Precision::F32);
    for kernel in [Kernel::Wide, Kernel::Tensor] {
        config.kernel = kernel;
        let comparison = compared(&config, 1000);
        assert_eq!(comparison.records.len(), 1001, "{kernel} kernel");
        let lowest = comparison
            .records
            .iter()
            .map(|r| r.loss_autodiff)
            .fold(f64::INFINITY, f64::min);
        let (loss, param) = (
            worst(&comparison, CompareRecord::relative_delta_loss),
            worst(&comparison, CompareRecord::relative_delta_param),
        );
        eprintln!(
            "f32, {kernel} kernel: lowest loss {lowest:e}, worst relative Δloss {loss:e}, \
             Δθ {param:e}"
        );
        assert!(
            lowest < FIXTURE_LOSS_FALLS_BELOW,
            "{kernel} kernel: {lowest}"
        );
        assert!(param <= FIXTURE_F32_PARAM, "{kernel} kernel: Δθ {param:e}");
        assert!(
            loss <= FIXTURE_F32_LOSS,
            "{kernel} kernel: relative Δloss {loss:e}"
        );
    }

    config.kernel = Kernel::Wide;
    config.dtype = Precision::F64;
    config.optimizer.momentum = f64::from(0.9_f32);
    let comparison = compared(&config, 1000);
    assert_eq!(comparison.tolerance, Tolerance::of(Precision::F64));
    let (loss, param) = (
        worst(&comparison, CompareRecord::relative_delta_loss),
        worst(&comparison, CompareRecord::relative_delta_param),
    );
    eprintln!("f64, wide kernel, μ = f32(0.9): worst relative Δloss {loss:e}, Δθ {param:e}");
    assert!(comparison.first_departure().is_none());
    assert!(
        loss <= FIXTURE_F64.0 && param <= FIXTURE_F64.1,
        "{loss:e}, {param:e}"
    );
}

#[test]
fn compare_replays_the_batches_each_engine_trains_on() {
    // mnist-binary shuffles its minibatches every epoch: compare must hand both engines the
    // batches `train` would, in the same order.
    let mut config = offline_config(Preset::MnistBinary);
    config.epochs = 20; // three 64-image batches of the fixture's 0s and 1s per epoch
    config.max_steps = Some(30);
    let comparison = compared(&config, 30);
    type Column = fn(&CompareRecord) -> f64;
    let columns: [(Engine, Column); 2] = [
        (Engine::Autodiff, |r| r.loss_autodiff),
        (Engine::Manual, |r| r.loss_manual),
    ];
    for (engine, column) in columns {
        let (_, history) = train_with(&config, engine);
        let trained: Vec<f64> = history.records.iter().map(|r| r.loss).take(30).collect();
        let compared: Vec<f64> = comparison.records.iter().map(column).take(30).collect();
        assert_eq!(trained, compared, "{engine}");
    }
}

fn summary(dir: &std::path::Path) -> CompareSummary {
    serde_json::from_str(&fs::read_to_string(dir.join(COMPARE_SUMMARY)).expect("compare.json"))
        .expect("valid compare.json")
}

#[test]
fn compare_prints_agreeing_trajectories_and_writes_its_files() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("cmp");
    let output = burnprop()
        .args(["compare", "xor", "--steps", "50", "--every", "25", "--out"])
        .arg(&out)
        .output()
        .expect("the binary runs");
    let stdout = String::from_utf8(output.stdout).expect("UTF-8");
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("loss (autodiff)"), "{stdout}");
    assert!(
        stdout.contains("agree: all 50 steps within tolerance"),
        "{stdout}"
    );
    // Rows 0, 25 and 50.
    let rows: Vec<&str> = stdout
        .lines()
        .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        .collect();
    assert_eq!(rows.len(), 3, "{stdout}");
    let csv = fs::read_to_string(out.join(COMPARE)).expect("compare.csv");
    assert!(csv.starts_with(Comparison::HEADER));
    assert_eq!(csv.lines().count(), 1 + 51);
    let summary = summary(&out);
    assert!(summary.agree && summary.first_departure.is_none());
    assert_eq!(summary.steps, 50);
    assert!(out.join(CONFIG).is_file());
}

#[test]
fn compare_reports_a_perturbed_engine_and_exits_non_zero() {
    // burn's default dampening 0.1 perturbs the autodiff engine's update away from the
    // notebook's: the trajectories part at the second step.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("cmp");
    let output = burnprop()
        .args(["compare", "circles", "--steps", "5", "--dampening", "0.1"])
        .arg("--out")
        .arg(&out)
        .output()
        .expect("the binary runs");
    assert!(!output.status.success());
    assert_eq!(
        output.status.code(),
        Some(1),
        "a check that failed exits with 1"
    );
    let stdout = String::from_utf8(output.stdout).expect("UTF-8");
    let stderr = String::from_utf8(output.stderr).expect("UTF-8");
    assert!(stdout.contains("← parts here"), "{stdout}");
    assert!(
        stdout.contains("dampening 0.1 has no counterpart"),
        "{stdout}"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: the engines part at step 2: relative |Δloss|"),
        "{stderr}"
    );
    // What was measured is kept for inspection.
    assert_eq!(
        fs::read_to_string(out.join(COMPARE))
            .expect("compare.csv")
            .lines()
            .count(),
        1 + 6
    );
    let summary = summary(&out);
    assert!(!summary.agree);
    assert_eq!(summary.first_departure, Some(2));
}

#[test]
fn compare_rejects_bad_input_in_one_line() {
    for (args, expected) in [
        (
            &["compare", "xor", "--steps", "0"][..],
            "--steps must be at least 1",
        ),
        (
            &["compare", "xor", "--max-steps", "5"][..],
            "drop --max-steps",
        ),
        (&["compare", "xor", "--loss-tol", "-1"][..], "--loss-tol"),
        (
            &["compare", "xor", "--lr", "1e30", "--steps", "5"][..],
            "the loss stopped being finite at step 1",
        ),
        (
            &[
                "train",
                "circles",
                "--engine",
                "manual",
                "--dampening",
                "0.1",
            ][..],
            "has no dampening",
        ),
    ] {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let output = burnprop()
            .args(args)
            .arg("--out")
            .arg(dir.path().join("run"))
            .output()
            .expect("the binary runs");
        assert!(!output.status.success(), "{args:?}");
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: an error exits with 2"
        );
        let stderr = String::from_utf8(output.stderr).expect("UTF-8");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn both_engines_reach_the_same_place_on_circles() {
    // 1000 of the notebook's 50000 iterations: the same loss and accuracy, to f32 rounding.
    let mut config = offline_config(Preset::Circles);
    config.epochs = 1000;
    let (auto, _) = train_with(&config, Engine::Autodiff);
    let (manual, _) = train_with(&config, Engine::Manual);
    let relative = (auto.evaluation.loss - manual.evaluation.loss).abs() / auto.evaluation.loss;
    assert!(relative <= LOSS_RELATIVE, "{auto:?} vs {manual:?}");
    assert_eq!(auto.evaluation.accuracy, manual.evaluation.accuracy);
    assert_eq!(manual.engine, Engine::Manual);
}
