//! Bad files, one test each: everything burnprop reads from disk is checked before it is
//! trusted, and a bad file is refused with one sentence that names it and says what is wrong;
//! on the command line, one line on stderr and exit status 2, no panic.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use burn::tensor::Device;

use burnprop::artifacts::{COMPARE, CONFIG, EPOCHS, GRADCHECK, HISTORY, MODEL, OUTPUTS, RunDir};
use burnprop::compare::Comparison;
use burnprop::config::Preset;
use burnprop::data::mnist::{Digits, Split};
use burnprop::data::picture::read_digit;
use burnprop::device::Backend;
use burnprop::train::{History, Silent, run_to_dir};

use crate::cli::one_line_failure;
use crate::common::{burnprop, mnist_fixture, offline_config};

/// A copy of the MNIST fixture in a temporary directory: gzip as committed, or every file
/// decompressed (raw IDX).
fn fixture_copy(raw: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for entry in fs::read_dir(mnist_fixture()).expect("the fixture") {
        let path = entry.expect("an entry").path();
        let name = path.file_name().expect("a file name").to_owned();
        if raw {
            let mut bytes = Vec::new();
            flate2::read::GzDecoder::new(fs::File::open(&path).expect("the fixture"))
                .read_to_end(&mut bytes)
                .expect("the fixture is gzip");
            let name = Path::new(&name).with_extension("");
            fs::write(dir.path().join(name), bytes).expect("written");
        } else {
            fs::copy(&path, dir.path().join(name)).expect("copied");
        }
    }
    dir
}

/// `burnprop train mnist --data-dir DIR` (one step), which must fail in one line; its line.
fn train_mnist_fails(dir: &Path) -> String {
    let out = tempfile::tempdir().expect("a temporary directory");
    let mut cmd = burnprop();
    cmd.args(["train", "mnist", "--max-steps", "1", "--data-dir"])
        .arg(dir)
        .arg("--out")
        .arg(out.path().join("run"));
    one_line_failure(cmd, &["train", "mnist", "--data-dir", "(bad MNIST)"])
}

/// The error of reading the training split from `dir`.
fn train_split_error(dir: &Path) -> String {
    Digits::read(dir, Split::Train)
        .expect_err("the broken file is refused")
        .to_string()
}

/// Checks that the command's one line of stderr ends with the library's `error`.
fn assert_cli_says(line: &str, error: &str) {
    assert!(line.trim_end().ends_with(error), "{line}");
}

fn images_file(dir: &Path, gz: bool) -> PathBuf {
    let name = Split::Train.file_names().0;
    dir.join(if gz {
        format!("{name}.gz")
    } else {
        name.to_string()
    })
}

#[test]
fn a_raw_idx_file_is_read_like_the_gzip_one_and_refused_by_name_when_truncated() {
    let raw = fixture_copy(true);
    assert_eq!(
        Digits::read(raw.path(), Split::Train).expect("the raw fixture reads"),
        Digits::read(&mnist_fixture(), Split::Train).expect("the gzip fixture reads"),
    );
    let path = images_file(raw.path(), false);
    let bytes = fs::read(&path).expect("readable");
    fs::write(&path, &bytes[..bytes.len() - 100]).expect("written");
    // The fixture's 600 training images: 16 + 600·784 = 470416 bytes; 100 cut.
    let expected = format!(
        "MNIST file {}: its header declares 600 images (470416 bytes with the header) but the file has 470316 bytes: it is truncated",
        path.display()
    );
    assert_eq!(train_split_error(raw.path()), expected);
    assert_cli_says(&train_mnist_fails(raw.path()), &expected);
}

#[test]
fn a_corrupt_gzip_stream_is_refused_by_name() {
    let dir = fixture_copy(false);
    let path = images_file(dir.path(), true);
    let mut bytes = fs::read(&path).expect("readable");
    // A byte in the middle of the deflate data, every bit flipped.
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    fs::write(&path, &bytes).expect("written");
    // The flipped byte still inflates, to the wrong bytes: flate2's words for data that no
    // longer match the CRC-32 in the gzip trailer.
    let expected = format!(
        "MNIST file {}: it is not a readable gzip file (corrupt gzip stream does not have a matching checksum)",
        path.display()
    );
    assert_eq!(train_split_error(dir.path()), expected);
    assert_cli_says(&train_mnist_fails(dir.path()), &expected);
}

#[test]
fn a_raw_idx_file_named_gz_is_told_apart_from_a_corrupt_one() {
    let raw = fixture_copy(true);
    let dir = fixture_copy(false);
    let path = images_file(dir.path(), true);
    fs::copy(images_file(raw.path(), false), &path).expect("copied");
    assert_eq!(
        train_split_error(dir.path()),
        format!(
            "MNIST file {}: it is not gzip but a raw IDX file: remove .gz from its name",
            path.display()
        )
    );
}

#[test]
fn a_header_that_claims_a_billion_images_is_refused_by_name() {
    let raw = fixture_copy(true);
    let path = images_file(raw.path(), false);
    let mut bytes = fs::read(&path).expect("readable");
    // The count is the header's second big-endian word.
    bytes[4..8].copy_from_slice(&1_000_000_000u32.to_be_bytes());
    fs::write(&path, &bytes).expect("written");
    // 10⁹ is more than burnprop's cap of 10⁶ images (src/data/mnist/idx.rs, MAX_ITEMS).
    let expected = format!(
        "MNIST file {}: its header declares 1000000000 images, more than any data set in MNIST's format holds (burnprop reads at most 1000000): the header is corrupt",
        path.display()
    );
    assert_eq!(train_split_error(raw.path()), expected);
    assert_cli_says(&train_mnist_fails(raw.path()), &expected);
}

/// A run of the mnist preset on the fixture, one step long: enough for `burnprop predict`.
fn mnist_run() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut config = offline_config(Preset::Mnist);
    config.max_steps = Some(1);
    config.epochs = 1;
    run_to_dir(
        &config,
        Backend::Flex,
        &Device::flex(),
        dir.path(),
        &burnprop::train::RunOptions::default(),
        &mut Silent,
    )
    .expect("training succeeds");
    dir
}

/// `burnprop predict --run RUN PICTURE`, which must fail in one line; its line.
fn predict_fails(run: &Path, picture: &Path) -> String {
    let mut cmd = burnprop();
    cmd.args(["predict", "--run"]).arg(run).arg(picture);
    one_line_failure(cmd, &["predict", "(bad picture)"])
}

/// Test digit 0 of the fixture (a 7) as a 56 × 56 picture, dark ink on light paper.
fn seven(dir: &Path, extension: &str) -> PathBuf {
    let digits = Digits::read(&mnist_fixture(), Split::Test).expect("the fixture");
    let digit = image::GrayImage::from_raw(28, 28, digits.image(0).to_vec()).expect("784 pixels");
    let mut big = image::imageops::resize(&digit, 56, 56, image::imageops::FilterType::Triangle);
    image::imageops::invert(&mut big);
    let path = dir.join(format!("seven.{extension}"));
    big.save(&path).expect("the picture is written");
    path
}

/// The error `read_digit` gives for `path`, and the line `burnprop predict` prints for it;
/// both must end with `reason`, after the file's name.
fn assert_picture_refused(run: &Path, path: &Path, reason: &str) {
    let expected = format!("cannot read {} as a digit: {reason}", path.display());
    let err = read_digit(path).expect_err("the picture is refused");
    assert_eq!(err.to_string(), expected);
    assert_cli_says(&predict_fails(run, path), &expected);
}

#[test]
fn an_empty_picture_is_refused_by_name() {
    let run = mnist_run();
    let path = run.path().join("empty.png");
    fs::write(&path, b"").expect("written");
    assert_picture_refused(run.path(), &path, "it is empty (0 bytes)");
}

#[test]
fn a_one_pixel_picture_is_refused_by_name() {
    let run = mnist_run();
    let path = run.path().join("dot.png");
    image::GrayImage::from_pixel(1, 1, image::Luma([128]))
        .save(&path)
        .expect("written");
    // MIN_SIDE is 8 (src/data/picture.rs).
    assert_picture_refused(
        run.path(),
        &path,
        "it is 1×1 pixels, too small to hold a digit (at least 8×8)",
    );
}

#[test]
fn a_jpeg_digit_is_read_and_a_truncated_one_is_refused_by_name() {
    let run = mnist_run();
    let png = read_digit(&seven(run.path(), "png")).expect("the PNG reads");
    let path = seven(run.path(), "jpg");
    let jpeg = read_digit(&path).expect("the JPEG reads");
    // JPEG is lossy, but after the conversion to 28 × 28 it is the same 7: the mean pixel
    // difference measured 0.23 grey levels (of 255); 8 leaves room for another encoder.
    let mean_difference = png
        .iter()
        .zip(&jpeg)
        .map(|(&a, &b)| f64::from(a.abs_diff(b)))
        .sum::<f64>()
        / png.len() as f64;
    assert!(mean_difference < 8.0, "{mean_difference}");
    let bytes = fs::read(&path).expect("readable");
    // Half the file: zune-jpeg alone would decode it, inventing the missing rows.
    fs::write(&path, &bytes[..bytes.len() / 2]).expect("written");
    assert_picture_refused(
        run.path(),
        &path,
        "it is a truncated or damaged JPEG: its image data do not reach the end-of-image marker",
    );
}

#[test]
fn a_picture_that_claims_100000_pixels_a_side_is_refused_before_it_is_decoded() {
    let run = mnist_run();
    let path = seven(run.path(), "png");
    let mut bytes = fs::read(&path).expect("readable");
    // The IHDR chunk follows the 8-byte signature: length (4), "IHDR" (4), width (4),
    // height (4), 5 more bytes, then the CRC-32 of type and data.
    bytes[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    bytes[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let mut crc = flate2::Crc::new();
    crc.update(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.sum().to_be_bytes());
    fs::write(&path, &bytes).expect("written");
    // 100000² one-byte grey pixels = 10¹⁰ bytes = 9536.7 MiB; MAX_DECODED_BYTES is 128 MiB.
    assert_picture_refused(
        run.path(),
        &path,
        "it is 100000×100000 pixels, 9536 MiB decoded, more than the 128 MiB burnprop reads; scale it down",
    );
}

/// A short run of the xor preset (20 steps).
fn xor_run() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut config = Preset::Xor.config();
    config.max_steps = Some(20);
    run_to_dir(
        &config,
        Backend::Flex,
        &Device::flex(),
        dir.path(),
        &burnprop::train::RunOptions::default(),
        &mut Silent,
    )
    .expect("training succeeds");
    dir
}

/// Rewrites the run's `config.json` with `change` applied to its JSON.
fn edit_config(run: &Path, change: impl FnOnce(&mut serde_json::Value)) {
    let path = run.join(CONFIG);
    let mut json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&path).expect("readable")).expect("JSON");
    change(&mut json);
    fs::write(&path, json.to_string()).expect("written");
}

/// `burnprop COMMAND --run RUN`, which must fail in one line; its line.
fn run_command_fails(command: &str, run: &Path) -> String {
    let mut cmd = burnprop();
    cmd.args([command, "--run"]).arg(run);
    one_line_failure(cmd, &[command, "--run", "(bad run)"])
}

/// The library's error for the run in `run` (`config.json`, then `model.bpk`), which must be
/// the one `burnprop eval` prints.
fn run_error(run: &Path) -> String {
    let dir = RunDir::open(run).expect("a run directory");
    let err = dir
        .config()
        .and_then(|config| dir.model(&config, &Device::flex()))
        .expect_err("the run is refused")
        .to_string();
    assert_cli_says(&run_command_fails("eval", run), &err);
    err
}

#[test]
fn a_config_json_out_of_range_is_refused_as_its_flag_would_be() {
    let run = xor_run();
    edit_config(run.path(), |json| json["optimizer"]["lr"] = (-1.0).into());
    // The sentence of ExperimentConfig::validate for --lr -1 (src/config/mod.rs).
    assert_eq!(
        run_error(run.path()),
        format!(
            "{} is not a usable run: it is not a valid configuration: --lr must be a positive number (got -1)",
            run.path().join(CONFIG).display()
        )
    );
    let line = run_command_fails("plot", run.path());
    assert!(line.contains("--lr must be a positive number"), "{line}");
}

#[test]
fn a_model_bpk_of_another_shape_than_its_config_is_refused_by_name() {
    let run = xor_run();
    // xor is 2-3-1; the saved first weight is [2, 3].
    edit_config(run.path(), |json| json["hidden"] = serde_json::json!([4]));
    let err = run_error(run.path());
    let prefix = format!(
        "{} is not a usable run: it is not the 2-4-1 relu → sigmoid, no biases network of config.json (",
        run.path().join(MODEL).display()
    );
    assert!(err.starts_with(&prefix), "{err}");
    assert!(err.contains("shape mismatch"), "{err}");
    assert!(err.contains("[2, 4]") && err.contains("[2, 3]"), "{err}");
}

#[test]
fn a_config_claiming_billions_of_hidden_units_is_refused_before_they_are_allocated() {
    let run = xor_run();
    edit_config(run.path(), |json| {
        json["hidden"] = serde_json::json!([4_000_000_000u64])
    });
    let on_disk = fs::metadata(run.path().join(MODEL)).expect("there").len();
    // 2·4·10⁹ + 4·10⁹·1 weights (xor has no biases), 4 bytes each in f32.
    assert_eq!(
        run_error(run.path()),
        format!(
            "{} is not a usable run: it has {on_disk} bytes, too few for the 2-4000000000-1 relu → sigmoid, no biases network of config.json (48000000000 bytes of parameters): they are not from the same run",
            run.path().join(MODEL).display()
        )
    );
}

#[test]
fn a_model_bpk_in_another_precision_than_its_config_is_refused_by_name() {
    let run = xor_run();
    edit_config(run.path(), |json| json["dtype"] = "f64".into());
    // The run trained in f32, burn's DType::F32.
    assert_eq!(
        run_error(run.path()),
        format!(
            "{} is not a usable run: its parameters are F32, but config.json says f64",
            run.path().join(MODEL).display()
        )
    );
}

/// Writes `text` as the run's `name` and checks that `burnprop plot` refuses it in one line,
/// naming it and saying `reason`.
fn assert_plot_refuses(run: &Path, name: &str, text: &[u8], reason: &str) {
    let path = run.join(name);
    fs::write(&path, text).expect("written");
    assert_cli_says(
        &run_command_fails("plot", run),
        &format!("{}{reason}", path.display()),
    );
}

#[test]
fn a_history_csv_with_a_bad_field_is_refused_by_name() {
    let run = xor_run();
    let header = History::HEADER;
    assert_plot_refuses(
        run.path(),
        HISTORY,
        format!("{header}\n0,0,0.7,0.75,0\n-1,0,0.7,0.75,0.1\n").as_bytes(),
        " is not a usable run: row 2 has step -1, not a whole number from 0 up",
    );
    assert_plot_refuses(
        run.path(),
        HISTORY,
        format!("{header}\n0,0,0.7,1.5,0\n").as_bytes(),
        " is not a usable run: row 1 has accuracy 1.5, outside the fractions 0 to 1",
    );
    // Latin-1 "é": the operating system's words for text that is not UTF-8.
    assert_plot_refuses(
        run.path(),
        HISTORY,
        b"step,\xe9poch\n",
        ": stream did not contain valid UTF-8",
    );
}

#[test]
fn an_epochs_csv_with_a_bad_field_is_refused_by_name() {
    let run = xor_run();
    assert_plot_refuses(
        run.path(),
        EPOCHS,
        format!("{}\n1,0.5,2,0.4,,1\n", History::EPOCHS_HEADER).as_bytes(),
        " is not a usable run: row 1 has train_accuracy 2, outside the fractions 0 to 1",
    );
}

#[test]
fn an_outputs_csv_with_a_missing_cost_is_refused_by_name() {
    let run = xor_run();
    assert_plot_refuses(
        run.path(),
        OUTPUTS,
        b"step,output_1,output_2\n0,0.5,\n",
        " is not a usable run: a cost is missing",
    );
}

#[test]
fn a_compare_csv_with_a_fractional_step_is_refused_by_name() {
    let run = xor_run();
    assert_plot_refuses(
        run.path(),
        COMPARE,
        format!("{}\n0.5,0,1,1,0,0,0,1\n", Comparison::HEADER).as_bytes(),
        " is not a usable run: row 1 has step 0.5, not a whole number from 0 up",
    );
}

#[test]
fn a_gradcheck_json_that_is_not_json_is_refused_by_name() {
    let run = xor_run();
    // serde_json's words for a file cut after its first brace.
    assert_plot_refuses(
        run.path(),
        GRADCHECK,
        b"{",
        " is not a usable run: EOF while parsing an object at line 1 column 1",
    );
}
