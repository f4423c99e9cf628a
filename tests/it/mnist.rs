//! MNIST from the committed fixture: the loader's numbers, its errors, and training on it.

use std::path::Path;

use burnprop::config::{Engine, Preset};
use burnprop::data::DataConfig;
use burnprop::data::mnist::{self, Split};
use burnprop::error::Error;

use crate::common::{burnprop, mnist_fixture, offline_config, train_quietly, train_with, values};

fn broken(case: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/mnist-broken")
        .join(case)
}

#[test]
fn the_loader_reads_the_fixture() {
    let location = mnist::locate(Some(&mnist_fixture())).expect("the fixture is complete");
    let train = location.read(Split::Train).expect("a valid training split");
    let test = location.read(Split::Test).expect("a valid test split");
    assert_eq!((train.len(), test.len()), (600, 200));
    assert_eq!(train.pixels.len(), 600 * 784);
    assert_eq!(test.pixels.len(), 200 * 784);
    // numpy on the fixture: labels[:10], then int(images.sum()) and int(images[0].sum()) with
    // images = np.frombuffer(gzip.open(path).read(), np.uint8, offset=16).reshape(-1, 784).
    assert_eq!(train.labels[..10], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    assert_eq!(test.labels[..10], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    let sum = |pixels: &[u8]| pixels.iter().map(|&p| u64::from(p)).sum::<u64>();
    assert_eq!(sum(&train.pixels), 15_068_065);
    assert_eq!(sum(&test.pixels), 4_757_429);
    assert_eq!(sum(train.image(0)), 27_525);
    assert_eq!(sum(test.image(0)), 18_454);
    // np.bincount(labels): 0s and 1s of the two-class task.
    let zeros_and_ones = train.only(&[0, 1]);
    assert_eq!(zeros_and_ones.len(), 58 + 79);
}

/// The error of reading the test split of a broken fixture directory.
fn read_error(case: &str) -> String {
    let location = mnist::locate(Some(&broken(case))).expect("all four files are there");
    let err = location
        .read(Split::Test)
        .expect_err("the broken file is refused");
    assert!(matches!(err, Error::Mnist { .. }), "{err:?}");
    err.to_string()
}

#[test]
fn each_broken_file_gets_its_own_clear_error() {
    let err = read_error("truncated");
    // 20 images: 16 + 20·784 = 15696 bytes; the fixture script cut 100.
    assert!(err.contains("t10k-images-idx3-ubyte.gz"), "{err}");
    assert!(
        err.ends_with(
            "its header declares 20 images (15696 bytes with the header) but the file has 15596 bytes: it is truncated"
        ),
        "{err}"
    );

    let err = read_error("wrong-magic");
    assert!(err.contains("t10k-images-idx3-ubyte.gz"), "{err}");
    assert!(
        err.ends_with("its magic number is 2049, not 2051 as an IDX image file's is"),
        "{err}"
    );

    let err = read_error("label-out-of-range");
    assert!(err.contains("t10k-labels-idx1-ubyte.gz"), "{err}");
    assert!(
        err.ends_with("label 7 is 11, outside the digits 0–9"),
        "{err}"
    );

    let err = read_error("counts-disagree");
    assert!(err.contains("t10k-labels-idx1-ubyte.gz"), "{err}");
    assert!(err.contains("it holds 19 labels but"), "{err}");
    assert!(
        err.ends_with("t10k-images-idx3-ubyte.gz holds 20 images"),
        "{err}"
    );
}

#[test]
fn a_directory_without_mnist_names_the_missing_file_and_the_flag() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let err = mnist::locate(Some(dir.path()))
        .expect_err("an empty directory")
        .to_string();
    assert!(
        err.contains("neither train-images-idx3-ubyte nor train-images-idx3-ubyte.gz is in"),
        "{err}"
    );
    assert!(err.contains("--data-dir or BURNPROP_MNIST_DIR"), "{err}");
}

#[test]
fn mnist_reaches_its_measured_test_accuracy_on_the_fixture_with_either_engine() {
    // The preset's 10 epochs of 64-image minibatches: 100 steps on 600 images. Both engines
    // reach 177 of the 200 test images (0.885), measured with this test on an AMD EPYC (flex,
    // release; the wide kernel for the manual engine). The run is deterministic on a machine;
    // the band admits two images either way for another CPU's rounding (gemm's kernels differ
    // by SIMD width), a tenth of the margin the old bound (> 0.8) left.
    const MEASURED: f64 = 0.885;
    const BAND: f64 = 2.0 / 200.0;
    let config = offline_config(Preset::Mnist);
    for engine in [Engine::Autodiff, Engine::Manual] {
        let (trained, history) = train_with(&config, engine);
        assert_eq!(trained.steps, 100);
        assert_eq!(history.epochs.len(), 10);
        let last = history.epochs.last().expect("ten epochs");
        let test_accuracy = last.test_accuracy.expect("cross-entropy classifies");
        eprintln!("{engine}: test accuracy {test_accuracy} after 10 epochs on the fixture");
        assert!(
            (test_accuracy - MEASURED).abs() <= BAND + 1e-12,
            "{engine}: test accuracy {test_accuracy}, measured {MEASURED}"
        );
        assert!(
            history.epochs[9].train_loss < history.epochs[0].train_loss,
            "{engine}: {:?}",
            history.epochs
        );
    }
}

#[test]
fn mnist_binary_separates_zeros_from_ones_on_the_fixture_with_either_engine() {
    let config = offline_config(Preset::MnistBinary);
    assert!(matches!(
        config.data,
        DataConfig::Mnist {
            digits: Some([0, 1]),
            ..
        }
    ));
    for engine in [Engine::Autodiff, Engine::Manual] {
        let (_, history) = train_with(&config, engine);
        let test_accuracy = history
            .epochs
            .last()
            .and_then(|e| e.test_accuracy)
            .expect("an evaluated epoch");
        // 45 test images (17 zeros, 28 ones): at most one mistake.
        assert!(
            test_accuracy >= 44.0 / 45.0,
            "{engine}: test accuracy {test_accuracy}"
        );
    }
}

#[test]
fn same_seed_same_mnist_history() {
    let mut config = offline_config(Preset::Mnist);
    config.epochs = 2;
    let (_, first) = train_quietly(&config);
    let (_, second) = train_quietly(&config);
    assert_eq!(first.losses(), second.losses());
    assert_eq!(first.epochs_to_csv().lines().count(), 3);
}

/// Runs `burnprop train` with `args`, expecting one line on stderr and a non-zero exit.
fn train_fails(args: &[&str]) -> String {
    let out = tempfile::tempdir().expect("a temporary directory");
    let output = burnprop()
        .arg("train")
        .args(args)
        .arg("--out")
        .arg(out.path())
        .output()
        .expect("the binary runs");
    assert!(!output.status.success(), "{args:?} should fail");
    assert_eq!(
        output.status.code(),
        Some(2),
        "{args:?}: an error exits with 2"
    );
    let stderr = String::from_utf8(output.stderr).expect("UTF-8");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn the_command_line_reports_bad_mnist_input_in_one_line() {
    let truncated = broken("truncated");
    let err = train_fails(&[
        "mnist",
        "--data-dir",
        truncated.to_str().expect("UTF-8 path"),
    ]);
    assert!(err.contains("it is truncated"), "{err}");
    let fixture = mnist_fixture();
    let fixture = fixture.to_str().expect("UTF-8 path");
    let err = train_fails(&["mnist-binary", "--data-dir", fixture, "--digits", "3"]);
    assert!(err.contains("--digits takes exactly two digits"), "{err}");
    let err = train_fails(&["mnist-binary", "--data-dir", fixture, "--digits", "4,4"]);
    assert!(err.contains("two different digits"), "{err}");
    let err = train_fails(&["mnist", "--data-dir", fixture, "--digits", "3,5"]);
    assert!(err.contains("--digits applies to mnist-binary"), "{err}");
}

#[test]
fn a_run_on_the_fixture_writes_its_epochs() {
    let out = tempfile::tempdir().expect("a temporary directory");
    burnprop()
        .args(["train", "mnist", "--epochs", "3", "--data-dir"])
        .arg(mnist_fixture())
        .arg("--out")
        .arg(out.path())
        .assert()
        .success();
    let epochs = std::fs::read_to_string(out.path().join("epochs.csv")).expect("epochs.csv");
    assert_eq!(epochs.lines().count(), 4, "{epochs}");
    assert!(epochs.starts_with("epoch,train_loss,train_accuracy,test_loss,test_accuracy"));
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("summary.json")).expect("summary.json"),
    )
    .expect("JSON");
    assert!(summary["test_accuracy"].as_f64().is_some(), "{summary}");
}

/// Trains the mnist preset on the fixture into a temporary run directory.
fn trained_fixture_run() -> tempfile::TempDir {
    trained_fixture_run_with(Engine::Autodiff)
}

/// Trains the mnist preset on the fixture with `engine`.
fn trained_fixture_run_with(engine: Engine) -> tempfile::TempDir {
    let out = tempfile::tempdir().expect("a temporary directory");
    burnprop()
        .args(["train", "mnist", "--engine", engine.name(), "--data-dir"])
        .arg(mnist_fixture())
        .arg("--out")
        .arg(out.path())
        .assert()
        .success();
    out
}

#[test]
fn eval_reports_what_training_measured_and_writes_the_confusion_matrix() {
    for engine in [Engine::Autodiff, Engine::Manual] {
        let run = trained_fixture_run_with(engine);
        evaluated(&run);
    }
}

fn evaluated(run: &tempfile::TempDir) {
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(run.path().join("summary.json")).expect("summary.json"),
    )
    .expect("JSON");
    let trained_accuracy = summary["test_accuracy"].as_f64().expect("a test accuracy");
    let output = burnprop()
        .args(["eval", "--run"])
        .arg(run.path())
        .output()
        .expect("the binary runs");
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).expect("UTF-8");
    let correct = (trained_accuracy * 200.0).round() as usize;
    assert!(
        stdout.contains(&format!(
            "test accuracy {trained_accuracy} ({correct} of 200)"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("class  support  precision  recall"),
        "{stdout}"
    );
    let csv = std::fs::read_to_string(run.path().join("confusion.csv")).expect("confusion.csv");
    let rows: Vec<Vec<usize>> = csv
        .lines()
        .skip(1)
        .map(|l| {
            l.split(',')
                .skip(1)
                .map(|c| c.parse().expect("a count"))
                .collect()
        })
        .collect();
    assert_eq!(rows.len(), 10);
    assert_eq!(rows.iter().flatten().sum::<usize>(), 200);
    assert_eq!((0..10).map(|k| rows[k][k]).sum::<usize>(), correct);
    // np.bincount of the fixture's test labels: the rows' sums.
    let support: Vec<usize> = rows.iter().map(|r| r.iter().sum()).collect();
    assert_eq!(support, [17, 28, 16, 16, 28, 20, 20, 24, 10, 21]);
}

/// Writes test image `i` of the fixture as a PNG: 28 × 28 as stored, or `side` × `side`
/// dark-on-light, as a phone picture of paper would be.
fn fixture_png(i: usize, side: u32, dir: &Path) -> std::path::PathBuf {
    let location = mnist::locate(Some(&mnist_fixture())).expect("the fixture");
    let test = location.read(Split::Test).expect("the test split");
    let digit = image::GrayImage::from_raw(28, 28, test.image(i).to_vec()).expect("784 pixels");
    let picture = if side == 28 {
        digit
    } else {
        let mut big =
            image::imageops::resize(&digit, side, side, image::imageops::FilterType::Triangle);
        image::imageops::invert(&mut big);
        big
    };
    let path = dir.join(format!("digit-{i}-{side}.png"));
    picture.save(&path).expect("a PNG is written");
    path
}

#[test]
fn predict_classifies_pictures_like_the_network_classifies_the_test_set() {
    let run = trained_fixture_run();
    let pictures = tempfile::tempdir().expect("a temporary directory");
    let paths: Vec<_> = (0..10)
        .map(|i| fixture_png(i, 28, pictures.path()))
        .collect();
    let dir = burnprop::artifacts::RunDir::open(run.path()).expect("a run");
    let device = burn::tensor::Device::flex();
    let (config, predictions) =
        burnprop::eval::predict_pictures(&dir, &paths, &device).expect("predictions");

    // The network's own decisions on the same ten test images, straight from the IDX file.
    let location = mnist::locate(Some(&mnist_fixture())).expect("the fixture");
    let test = location.read(Split::Test).expect("the test split");
    let items = mnist::DigitDataset::new(test.first(10)).items().collect();
    use burn::data::dataloader::batcher::Batcher;
    let batch = burnprop::train::digit_batcher(&config).batch(items, &device);
    let model = dir.model(&config, &device).expect("the model");
    let direct: Vec<usize> = values(model.forward_logits(batch.inputs()).argmax(1).float())
        .into_iter()
        .map(|c| c as usize)
        .collect();
    let predicted: Vec<usize> = predictions
        .iter()
        .map(|p| p.ranked[0].0.parse().expect("a digit"))
        .collect();
    assert_eq!(predicted, direct);
    for p in &predictions {
        let total: f64 = p.ranked.iter().map(|(_, q)| q).sum();
        assert!((total - 1.0).abs() < 1e-5, "probabilities sum to {total}");
    }

    // The same "7" photographed large, dark on light: converted the MNIST way, still a 7.
    let big = fixture_png(0, 140, pictures.path());
    burnprop()
        .args(["predict", "--run"])
        .arg(run.path())
        .arg(&big)
        .assert()
        .success()
        .stdout(predicates::str::contains("digit-0-140.png: 7 ("));
}

#[test]
fn predict_refuses_a_file_that_is_not_a_picture_in_one_line() {
    let run = trained_fixture_run();
    let text = run.path().join("config.json");
    let output = burnprop()
        .args(["predict", "--run"])
        .arg(run.path())
        .arg(&text)
        .output()
        .expect("the binary runs");
    assert!(!output.status.success());
    assert_eq!(output.status.code(), Some(2), "an error exits with 2");
    let stderr = String::from_utf8(output.stderr).expect("UTF-8");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("config.json as a digit: it is not a readable PNG or JPEG image"),
        "{stderr}"
    );
}

#[test]
fn a_retry_with_broken_data_leaves_the_earlier_run_intact() {
    let run = trained_fixture_run();
    let before: Vec<(String, Vec<u8>)> = [
        "config.json",
        "history.csv",
        "epochs.csv",
        "summary.json",
        "model.bpk",
    ]
    .iter()
    .map(|name| {
        let bytes = std::fs::read(run.path().join(name)).expect("the run's files");
        (name.to_string(), bytes)
    })
    .collect();
    let output = burnprop()
        .args(["train", "mnist", "--data-dir"])
        .arg(broken("wrong-magic"))
        .arg("--out")
        .arg(run.path())
        .output()
        .expect("the binary runs");
    assert!(!output.status.success());
    assert_eq!(output.status.code(), Some(2), "an error exits with 2");
    for (name, bytes) in before {
        let after = std::fs::read(run.path().join(&name)).expect("still there");
        assert!(after == bytes, "{name} changed");
    }
}
