//! The wgpu backend against flex: every preset trained with both engines, `compare`, models
//! that move between the two, gradcheck and trace, bench, and the errors of a device that
//! cannot start or cannot compute in f64.
//!
//! Built only with `--features wgpu`. CI runs it on Mesa's software Vulkan device (lavapipe,
//! `apt-get install mesa-vulkan-drivers`), which computes on the CPU: the workloads are small,
//! since every new kernel is compiled on first use.
#![cfg(feature = "wgpu")]

use std::fs;
use std::path::Path;

use burn::tensor::Device;

use burnprop::artifacts::RunDir;
use burnprop::compare::{self, Tolerance};
use burnprop::config::{Engine, ExperimentConfig, Kernel, Preset};
use burnprop::data::DataConfig;
use burnprop::device::{self, Backend};
use burnprop::eval;
use burnprop::gradcheck::host_tensors;
use burnprop::model::Mlp;
use burnprop::rng::RngKind;
use burnprop::train::{self, History, Silent, Trained};

use crate::common::{burnprop, mnist_fixture, offline_config};

/// Losses on wgpu against flex, relative, at every recorded step. Both compute in f32 with
/// the same operations in different orders (burn-flex's blocked loops, lavapipe's shader
/// reductions), so they differ by rounding only: measured worst 3.4e-7 (logreg, manual engine)
/// over this file's runs, circles' 301 steps included (`cargo nextest run --features wgpu
/// trains_on_wgpu`, lavapipe on this machine, 2026-11-30); the bound leaves room for another
/// device's rounding without admitting a wrong gradient, which parts the curves by far more.
const LOSS_VS_FLEX: f64 = 2e-5;
/// Parameters after training on wgpu against flex, relative to max(1, max|θ|).
const PARAM_VS_FLEX: f64 = 1e-4;
/// A model moved between devices computes the same outputs to f32 rounding.
const MOVED: f64 = 1e-5;

fn wgpu() -> Device {
    Backend::Wgpu
        .open()
        .expect("a wgpu adapter (CI installs mesa-vulkan-drivers)")
}

/// `preset` at a size lavapipe trains in seconds: 30 steps, except circles (a few thousand
/// examples, a few hundred steps, as notebook 000's run is 50000 × 50000).
fn small(preset: Preset) -> ExperimentConfig {
    let mut config = offline_config(preset);
    config.max_steps = Some(30);
    match &mut config.data {
        DataConfig::Circles { samples, .. } => {
            *samples = 2000;
            config.max_steps = Some(300);
        }
        DataConfig::Random { samples, .. }
        | DataConfig::Moons { samples, .. }
        | DataConfig::Playground { samples, .. } => {
            *samples = 1000;
        }
        // burn's device generator draws different initial weights on each backend; numpy's
        // stream draws them on the host, the same everywhere.
        DataConfig::Mnist { .. } => {
            config.epochs = 1;
            config.rng = RngKind::Numpy;
        }
        DataConfig::Logreg
        | DataConfig::Xor
        | DataConfig::PlaygroundRegression { .. }
        | DataConfig::Spiral { .. }
        | DataConfig::File(_) => {}
    }
    config
}

fn trained(config: &ExperimentConfig, engine: Engine, device: &Device) -> (Trained, History) {
    let mut history = History::default();
    let trained = train::train_config(config, engine, device, &mut history, &mut Silent)
        .unwrap_or_else(|e| panic!("{} trains with {engine}: {e}", config.preset.name()));
    (trained, history)
}

fn parameters(model: &Mlp) -> Vec<f64> {
    host_tensors(&model.params())
        .expect("parameters read back")
        .into_iter()
        .flat_map(|t| t.values)
        .collect()
}

fn relative(a: f64, b: f64) -> f64 {
    (a - b).abs() / a.abs().max(b.abs()).max(f64::MIN_POSITIVE)
}

fn assert_params_close(what: &str, a: &Mlp, b: &Mlp, tol: f64) {
    let (a, b) = (parameters(a), parameters(b));
    assert_eq!(a.len(), b.len(), "{what}: parameter counts");
    let scale = a.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    let worst = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max);
    assert!(
        worst <= tol * scale,
        "{what}: max |Δθ| {worst:e} with max |θ| {scale}"
    );
}

/// Trains `preset` with both engines on flex and on wgpu and holds the runs to each other.
fn trains_on_wgpu_as_on_flex(preset: Preset) {
    let (flex, gpu) = (Device::flex(), wgpu());
    for engine in [Engine::Autodiff, Engine::Manual] {
        let config = small(preset);
        let what = format!("{} with {engine}", preset.name());
        let (on_flex, flex_history) = trained(&config, engine, &flex);
        let (on_gpu, gpu_history) = trained(&config, engine, &gpu);
        // `--kernel auto` keeps the manual engine off the host kernel on a GPU device.
        if engine == Engine::Manual {
            assert_eq!(on_gpu.kernel, Kernel::Tensor, "{what}");
        }
        assert_eq!(on_gpu.steps, on_flex.steps, "{what}: steps");
        assert_eq!(
            gpu_history.records.len(),
            flex_history.records.len(),
            "{what}"
        );
        for (g, f) in gpu_history.records.iter().zip(&flex_history.records) {
            assert!(
                relative(g.loss, f.loss) <= LOSS_VS_FLEX,
                "{what}, step {}: loss {} on wgpu, {} on flex",
                g.step,
                g.loss,
                f.loss
            );
        }
        assert_params_close(&what, &on_gpu.model, &on_flex.model, PARAM_VS_FLEX);
    }
}

#[test]
fn logreg_trains_on_wgpu_as_on_flex() {
    trains_on_wgpu_as_on_flex(Preset::Logreg);
}

#[test]
fn xor_trains_on_wgpu_as_on_flex() {
    trains_on_wgpu_as_on_flex(Preset::Xor);
}

#[test]
fn circles_trains_on_wgpu_as_on_flex() {
    trains_on_wgpu_as_on_flex(Preset::Circles);
}

#[test]
fn three_layer_trains_on_wgpu_as_on_flex() {
    trains_on_wgpu_as_on_flex(Preset::ThreeLayer);
}

#[test]
fn mnist_trains_on_wgpu_as_on_flex() {
    trains_on_wgpu_as_on_flex(Preset::Mnist);
}

#[test]
fn mnist_binary_trains_on_wgpu_as_on_flex() {
    trains_on_wgpu_as_on_flex(Preset::MnistBinary);
}

#[test]
fn the_engines_agree_on_wgpu() {
    let gpu = wgpu();
    for preset in [Preset::Xor, Preset::Circles, Preset::Mnist] {
        let mut config = small(preset);
        config.max_steps = None;
        let tolerance = Tolerance::for_config(&config);
        let comparison = compare::compare_engines(&config, 20, tolerance, &gpu, &mut |_| {})
            .expect("the comparison runs");
        assert_eq!(comparison.records.len(), 21, "{}", preset.name());
        assert!(
            comparison.first_departure().is_none(),
            "{}: the engines part on wgpu: {:?}",
            preset.name(),
            comparison.first_departure()
        );
    }
}

/// Trains `config` on `from` into `dir` as `burnprop train` does.
fn train_into(dir: &Path, config: &ExperimentConfig, backend: Backend, device: &Device) {
    train::run_to_dir(
        config,
        backend,
        device,
        dir,
        &train::RunOptions::default(),
        &mut Silent,
    )
    .expect("the run trains");
}

#[test]
fn a_model_trained_on_one_device_evaluates_on_the_other() {
    let (flex, gpu) = (Device::flex(), wgpu());
    let fixture = mnist_fixture();
    for (backend, device) in [(Backend::Wgpu, &gpu), (Backend::Flex, &flex)] {
        let dir = tempfile::tempdir().expect("a temporary directory");
        train_into(dir.path(), &small(Preset::Mnist), backend, device);
        let run = RunDir::open(dir.path()).expect("the run directory");
        let on_flex = run
            .model(&run.config().unwrap(), &flex)
            .expect("loads on flex");
        let on_gpu = run
            .model(&run.config().unwrap(), &gpu)
            .expect("loads on wgpu");
        assert_params_close("model.bpk on both devices", &on_flex, &on_gpu, 0.0);
        let (_, flex_report) = eval::evaluate_run(&run, Some(&fixture), &flex).expect("eval");
        let (_, gpu_report) = eval::evaluate_run(&run, Some(&fixture), &gpu).expect("eval");
        assert!(
            relative(flex_report.loss, gpu_report.loss) <= MOVED,
            "trained on {backend}: test loss {} on flex, {} on wgpu",
            flex_report.loss,
            gpu_report.loss
        );
        assert_eq!(
            flex_report.confusion.to_csv(),
            gpu_report.confusion.to_csv(),
            "trained on {backend}: the confusion matrices"
        );
    }
}

#[test]
fn eval_on_flex_reads_a_run_trained_on_wgpu_from_the_command_line() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    burnprop()
        .args([
            "train",
            "mnist-binary",
            "--epochs",
            "1",
            "--device",
            "wgpu",
            "--out",
        ])
        .arg(dir.path())
        .arg("--data-dir")
        .arg(mnist_fixture())
        .assert()
        .success();
    let summary = fs::read_to_string(dir.path().join("summary.json")).expect("summary.json");
    assert!(summary.contains("\"backend\": \"wgpu\""), "{summary}");
    burnprop()
        .args(["eval", "--device", "flex", "--run"])
        .arg(dir.path())
        .arg("--data-dir")
        .arg(mnist_fixture())
        .assert()
        .success()
        .stdout(predicates::str::contains("on flex"));
}

#[test]
fn gradcheck_on_wgpu_runs_its_f64_numerics_on_the_host() {
    let output = burnprop()
        .args(["gradcheck", "xor", "--device", "wgpu"])
        .output()
        .expect("the binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains("note: wgpu cannot compute in f64, so the f64 numerics run on flex"),
        "{stdout}"
    );
    assert!(stdout.contains("gradcheck xor (notebook 003"), "{stdout}");
    assert!(stdout.contains(") on flex: 2-3-1"), "{stdout}");
    assert!(stdout.contains("verdict: pass"), "{stdout}");
}

/// The numbers in `text`, in order.
fn numbers(text: &str) -> Vec<f64> {
    text.split(|c: char| c.is_whitespace() || matches!(c, ',' | '[' | ']' | '(' | ')' | '='))
        .filter_map(|token| token.parse::<f64>().ok())
        .collect()
}

#[test]
fn trace_on_wgpu_prints_the_matrices_flex_prints() {
    let trace = |device: &str| {
        let output = burnprop()
            .args(["trace", "xor", "--device", device])
            .output()
            .expect("the binary runs");
        assert!(output.status.success(), "trace on {device}");
        let text = String::from_utf8(output.stdout).expect("UTF-8");
        // Past the header, which names the device.
        text.split_once('\n')
            .map(|(_, rest)| rest.to_string())
            .unwrap_or_default()
    };
    let (on_flex, on_gpu) = (numbers(&trace("flex")), numbers(&trace("wgpu")));
    assert!(on_flex.len() > 40, "{on_flex:?}");
    assert_eq!(on_flex.len(), on_gpu.len());
    for (i, (f, g)) in on_flex.iter().zip(&on_gpu).enumerate() {
        // Printed to 8 significant digits: equal but for the last one.
        assert!(
            (f - g).abs() <= 1e-6 * f.abs().max(1.0),
            "number {i}: {f} vs {g}"
        );
    }
}

#[test]
fn bench_times_wgpu_and_names_its_adapter() {
    let output = burnprop()
        .args([
            "bench",
            "xor",
            "--device",
            "wgpu",
            "--steps",
            "3",
            "--warmup",
            "1",
            "--repeats",
            "1",
            "--json",
        ])
        .output()
        .expect("the binary runs");
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["backend"], "wgpu");
    assert!(json["adapter"].is_string(), "{json}");
    assert!(
        json["last_loss"].as_f64().is_some_and(f64::is_finite),
        "{json}"
    );
}

/// Runs `args` expecting one line on stderr, no panic, and a non-zero exit; returns the line.
fn one_line_failure(cmd: &mut assert_cmd::Command) -> String {
    let output = cmd.output().expect("the binary runs");
    let stderr = String::from_utf8(output.stderr).expect("UTF-8");
    assert!(!output.status.success(), "{stderr}");
    assert_eq!(
        output.status.code(),
        Some(2),
        "an error exits with 2: {stderr}"
    );
    assert_ne!(
        output.status.code(),
        Some(101),
        "a panic's exit code: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    stderr.trim_end().to_string()
}

#[test]
fn f64_on_wgpu_is_one_clear_error_that_writes_nothing() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("run");
    let err = one_line_failure(
        burnprop()
            .args([
                "train", "xor", "--device", "wgpu", "--dtype", "f64", "--out",
            ])
            .arg(&out),
    );
    assert!(err.contains("device 'wgpu'"), "{err}");
    assert!(err.contains("cannot compute in f64"), "{err}");
    assert!(
        err.contains("use --dtype f32, or --device flex for f64"),
        "{err}"
    );
    assert!(!out.exists(), "the run directory was created");
}

#[test]
fn a_machine_without_an_adapter_is_one_clear_error_that_keeps_the_earlier_run() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    fs::write(dir.path().join("history.csv"), "an earlier run\n").expect("writes");
    // Point Vulkan's loader and libglvnd's EGL at drivers that do not exist: no adapter.
    let missing = dir.path().join("no-driver.json");
    let err = one_line_failure(
        burnprop()
            .env("VK_ICD_FILENAMES", &missing)
            .env("VK_DRIVER_FILES", &missing)
            .env("__EGL_VENDOR_LIBRARY_FILENAMES", &missing)
            .args(["train", "xor", "--device", "wgpu", "--out"])
            .arg(dir.path()),
    );
    assert!(
        err.starts_with("error: cannot start device 'wgpu'"),
        "{err}"
    );
    assert!(
        err.contains("no Vulkan or OpenGL adapter was found"),
        "{err}"
    );
    assert!(err.contains("apt-get install mesa-vulkan-drivers"), "{err}");
    assert!(err.contains("--device flex"), "{err}");
    let left: Vec<_> = fs::read_dir(dir.path())
        .expect("lists")
        .map(|e| e.expect("an entry").file_name())
        .collect();
    assert_eq!(left, ["history.csv"], "nothing new in the run directory");
    let kept = fs::read_to_string(dir.path().join("history.csv")).expect("reads");
    assert_eq!(kept, "an earlier run\n");
}

#[test]
fn the_default_device_of_a_wgpu_build_is_wgpu() {
    let (backend, _) = device::select(None).expect("wgpu opens");
    assert_eq!(backend, Backend::Wgpu);
}
