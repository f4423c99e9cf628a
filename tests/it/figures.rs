//! Figures: valid PNGs of their stated size with an SVG twin, the decision boundary of a
//! trained circles model, `plot` from saved artifacts, training.gif (decoded frame by frame),
//! and `reproduce --quick` end to end.

use std::fs;
use std::path::{Path, PathBuf};

use burn::tensor::Device;

use burnprop::config::Preset;
use burnprop::data::DataConfig;
use burnprop::plot::animation::FRAMES;
use burnprop::plot::circles::{DecisionBoundary, View};
use burnprop::plot::{self, Figure, SQUARE, WIDE};

use crate::common::{burnprop, mnist_fixture, train_quietly};

/// The `width` and `height` attributes of an SVG's root element.
fn svg_size(path: &Path) -> (u32, u32) {
    let text = fs::read_to_string(path).expect("the SVG is text");
    assert!(text.contains("<svg"), "{} is not an SVG", path.display());
    let attribute = |name: &str| -> u32 {
        let start = text.find(&format!("{name}=\"")).expect("a size attribute") + name.len() + 2;
        let end = start + text[start..].find('"').expect("a closing quote");
        text[start..end].parse().expect("a number")
    };
    (attribute("width"), attribute("height"))
}

/// Checks the PNG decodes, has the size of its SVG twin, and returns that size.
fn checked_png(path: &Path) -> (u32, u32) {
    let image = image::open(path)
        .unwrap_or_else(|e| panic!("{} is not a valid PNG: {e}", path.display()))
        .to_rgb8();
    let size = image.dimensions();
    assert_eq!(
        size,
        svg_size(&path.with_extension("svg")),
        "{}",
        path.display()
    );
    size
}

/// The sizes the figures state (their `Figure::size`), by file stem.
fn stated_size(stem: &str) -> Option<(u32, u32)> {
    match stem {
        "loss" | "accuracy" | "epoch-accuracy" | "output-costs" | "predictions" | "gradcheck" => {
            Some(WIDE)
        }
        "data" | "decision-boundary" | "hidden-projection" | "output-surface" => Some(SQUARE),
        "confusion" => Some((SQUARE.0 + 40, SQUARE.1 + 40)),
        "compare" => Some((WIDE.0, 700)),
        _ => None,
    }
}

/// The GIF's size and its frames as whole pictures (RGBA), each frame painted over the one
/// before where it is not transparent, as a viewer shows them.
pub(crate) fn gif_frames(path: &Path) -> ((usize, usize), Vec<Vec<u8>>) {
    let file = fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    let mut decoder = options
        .read_info(file)
        .unwrap_or_else(|e| panic!("{} is not a GIF: {e}", path.display()));
    let (width, height) = (decoder.width() as usize, decoder.height() as usize);
    let mut canvas = vec![255u8; width * height * 4];
    let mut frames = Vec::new();
    while let Some(frame) = decoder.read_next_frame().expect("a whole frame") {
        let (left, top) = (frame.left as usize, frame.top as usize);
        let (w, h) = (frame.width as usize, frame.height as usize);
        assert!(
            left + w <= width && top + h <= height,
            "a frame outside the canvas"
        );
        for y in 0..h {
            for x in 0..w {
                let from = 4 * (y * w + x);
                if frame.buffer[from + 3] != 0 {
                    let to = 4 * ((top + y) * width + left + x);
                    canvas[to..to + 4].copy_from_slice(&frame.buffer[from..from + 4]);
                }
            }
        }
        frames.push(canvas.clone());
    }
    ((width, height), frames)
}

/// Checks a training.gif: its size, at least `min_frames` (and at most `FRAMES`) frames, each
/// differing from the one before, under 2 MB; returns the frame count.
fn checked_gif(path: &Path, min_frames: usize) -> usize {
    let bytes = fs::metadata(path).expect("the GIF is there").len();
    assert!(bytes < 2_000_000, "{}: {bytes} bytes", path.display());
    let (size, frames) = gif_frames(path);
    assert_eq!(size, (840, 420), "{}", path.display());
    assert!(
        (min_frames..=FRAMES).contains(&frames.len()),
        "{}: {} frames",
        path.display(),
        frames.len()
    );
    for (k, pair) in frames.windows(2).enumerate() {
        let changed = pair[0]
            .chunks(4)
            .zip(pair[1].chunks(4))
            .filter(|(a, b)| a != b)
            .count();
        assert!(changed > 50, "frame {} repeats frame {k}", k + 1);
    }
    frames.len()
}

fn pngs(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(dir)
        .expect("a directory")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    found.sort();
    found
}

#[test]
fn reproduce_quick_runs_end_to_end_and_its_readme_links_only_files_that_exist() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("artifacts");
    burnprop()
        .args(["reproduce", "--quick", "--data-dir"])
        .arg(mnist_fixture())
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let readme = fs::read_to_string(out.join("README.md")).expect("README.md");
    let links: Vec<&str> = readme
        .split("](")
        .skip(1)
        .filter_map(|rest| rest.split(')').next())
        .filter(|link| !link.starts_with('#'))
        .collect();
    assert!(links.len() >= 30, "{} links: {readme}", links.len());
    for link in &links {
        assert!(
            out.join(link).is_file(),
            "README.md links {link}, which is missing"
        );
    }
    // Every experiment, and the figures each notebook draws.
    let expected: [(&str, &[&str]); 8] = [
        ("logreg", &["loss", "predictions", "gradcheck"]),
        (
            "xor",
            &["loss", "accuracy", "predictions", "gradcheck", "neurons"],
        ),
        (
            "circles",
            &[
                "loss",
                "data",
                "decision-boundary",
                "hidden-projection",
                "output-surface",
                "neurons",
            ],
        ),
        ("three-layer", &["loss", "output-costs", "gradcheck"]),
        (
            "mnist",
            &["digits", "confusion", "epoch-accuracy", "weights"],
        ),
        ("mnist-binary", &["digits", "confusion", "weights"]),
        (
            "micrograd",
            &[
                "loss",
                "data",
                "decision-boundary",
                "output-surface",
                "neurons",
            ],
        ),
        ("compare-circles", &["compare"]),
    ];
    for (experiment, figures) in expected {
        for figure in figures {
            let link = format!("{experiment}/{figure}.png");
            assert!(links.contains(&link.as_str()), "README.md lacks {link}");
        }
        for png in pngs(&out.join(experiment)) {
            let size = checked_png(&png);
            let stem = png.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
            if let Some(stated) = stated_size(stem) {
                assert_eq!(size, stated, "{}", png.display());
            }
        }
    }
    // The runs on 2-D inputs are animated; the others are not.
    for experiment in ["xor", "circles", "micrograd"] {
        let link = format!("{experiment}/training.gif");
        assert!(links.contains(&link.as_str()), "README.md lacks {link}");
        checked_gif(&out.join(&link), FRAMES);
    }
    for experiment in ["logreg", "three-layer", "mnist"] {
        assert!(!out.join(experiment).join("training.gif").exists());
    }
    assert!(readme.contains("| [mnist](#mnist) |"), "{readme}");
    // micrograd runs in full even in a quick reproduction: its line compares all 100 steps
    // with the notebook's printed losses.
    assert!(readme.contains("**every printed step within"), "{readme}");
    assert!(readme.contains("gradient check passes"), "{readme}");
}

#[test]
fn train_and_plot_animate_a_run_on_2d_inputs_and_refuse_others_in_one_line() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let run = dir.path().join("xor");
    let output = burnprop()
        .args(["train", "xor", "--animate", "--out"])
        .arg(&run)
        .output()
        .expect("the binary runs");
    assert!(output.status.success(), "{output:?}");
    // 1001 recorded steps, 60 frames along the loss curve.
    assert_eq!(checked_gif(&run.join("training.gif"), FRAMES), FRAMES);
    fs::remove_file(run.join("training.gif")).expect("removed");

    // plot --animate trains the run again and checks it against history.csv.
    let output = burnprop()
        .args(["plot", "--animate", "--run"])
        .arg(&run)
        .output()
        .expect("the binary runs");
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).expect("UTF-8");
    assert!(stdout.contains("1000 steps trained again"), "{stdout}");
    assert_eq!(checked_gif(&run.join("training.gif"), FRAMES), FRAMES);
    // XOR's 2-3-1 network: three hidden units and one output, each over the plane.
    checked_png(&run.join("neurons.png"));

    // A history the replay does not retrace: step 0's loss changed.
    let history = fs::read_to_string(run.join("history.csv")).expect("history.csv");
    let mut lines: Vec<String> = history.lines().map(str::to_string).collect();
    let mut fields: Vec<&str> = lines[1].split(',').collect();
    fields[2] = "0.5";
    lines[1] = fields.join(",");
    fs::write(run.join("history.csv"), lines.join("\n") + "\n").expect("written");
    let output = burnprop()
        .args(["plot", "--animate", "--run"])
        .arg(&run)
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8(output.stderr).expect("UTF-8");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("cannot be replayed"), "{stderr}");

    // A network on 3 inputs has no plane to draw: refused before training.
    let logreg = dir.path().join("logreg");
    let output = burnprop()
        .args(["train", "logreg", "--animate", "--out"])
        .arg(&logreg)
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8(output.stderr).expect("UTF-8");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("needs a run on 2 inputs"), "{stderr}");
    assert!(!logreg.join("config.json").exists(), "nothing written");
}

#[test]
fn the_decision_boundary_of_a_trained_circles_model_shows_both_classes() {
    // 400 iterations on 5000 points: the plateau network, which already puts the inner
    // circle in class 1 (a band through the middle) and the rest in class 0.
    let mut config = Preset::Circles.config();
    config.data = DataConfig::Circles {
        samples: 5000,
        factor: 0.1,
        noise: 0.1,
        shuffle: true,
    };
    config.epochs = 400;
    let (trained, _) = train_quietly(&config);
    let examples = burnprop::train::Experiment::new(&config, &Device::flex())
        .expect("the data")
        .examples()
        .expect("generated examples")
        .clone();
    let figure = DecisionBoundary::new(
        &trained.model,
        &examples,
        View::of(&config.data),
        config.input_features(),
        config.dtype,
        &Device::flex(),
    )
    .expect("the grid is evaluated");
    assert_eq!(
        figure.class_at(100, 100),
        Some(1),
        "the centre is the inner circle"
    );
    assert_eq!(figure.class_at(0, 0), Some(0), "a corner is outside");

    let dir = tempfile::tempdir().expect("a temporary directory");
    let [png, svg] = plot::save(&figure, dir.path()).expect("drawn");
    assert_eq!(checked_png(&png), figure.size());
    assert!(svg.is_file());
    // The regions are the class colours (matplotlib's blue and orange) at 25% over white.
    let light = |c: (f64, f64, f64)| {
        let over_white = |v: f64| (255.0 - 0.25 * (255.0 - v)).round() as i32;
        [over_white(c.0), over_white(c.1), over_white(c.2)]
    };
    let (blue, orange) = (light((31.0, 119.0, 180.0)), light((255.0, 127.0, 14.0)));
    let image = image::open(&png).expect("a PNG").to_rgb8();
    let count = |target: [i32; 3]| {
        image
            .pixels()
            .filter(|p| (0..3).all(|k| (i32::from(p.0[k]) - target[k]).abs() <= 2))
            .count()
    };
    let (blue_pixels, orange_pixels) = (count(blue), count(orange));
    assert!(
        blue_pixels > 5000 && orange_pixels > 5000,
        "class 0 region: {blue_pixels} pixels, class 1 region: {orange_pixels} pixels"
    );
}

#[test]
fn plot_redraws_a_run_from_its_files_and_reports_broken_ones_in_one_line() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let run = dir.path().join("xor");
    burnprop()
        .args(["train", "xor", "--out"])
        .arg(&run)
        .assert()
        .success();
    let output = burnprop()
        .args(["plot", "--run"])
        .arg(&run)
        .output()
        .expect("the binary runs");
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).expect("UTF-8");
    for figure in ["loss", "accuracy", "predictions"] {
        assert!(stdout.contains(&format!("{figure}.png")), "{stdout}");
        checked_png(&run.join(format!("{figure}.png")));
    }

    fs::write(
        run.join("history.csv"),
        "step,epoch,loss,accuracy,wall_seconds\n0,0,oops,,0\n",
    )
    .expect("written");
    let output = burnprop()
        .args(["plot", "--run"])
        .arg(&run)
        .output()
        .expect("the binary runs");
    assert!(!output.status.success());
    assert_eq!(output.status.code(), Some(2), "an error exits with 2");
    let stderr = String::from_utf8(output.stderr).expect("UTF-8");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("history.csv"), "{stderr}");
    assert!(stderr.contains("`oops` where a number belongs"), "{stderr}");

    let output = burnprop()
        .args(["plot", "--run"])
        .arg(dir.path())
        .output()
        .expect("the binary runs");
    assert!(!output.status.success());
    assert_eq!(output.status.code(), Some(2), "an error exits with 2");
    let stderr = String::from_utf8(output.stderr).expect("UTF-8");
    assert!(stderr.contains("has no config.json"), "{stderr}");
}

#[test]
fn the_readme_shows_committed_figures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = fs::read_to_string(root.join("README.md")).expect("README.md");
    let shown: Vec<&str> = readme
        .split("src=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect();
    assert!(shown.len() >= 2, "the README shows no figures");
    for figure in shown {
        if figure.ends_with(".gif") {
            checked_gif(&root.join(figure), 2);
        } else {
            checked_png(&root.join(figure));
        }
    }
    let gallery = fs::read_to_string(root.join("artifacts/README.md")).expect("the gallery");
    for link in gallery
        .split("](")
        .skip(1)
        .filter_map(|rest| rest.split(')').next())
        .filter(|link| !link.starts_with('#'))
    {
        assert!(
            root.join("artifacts").join(link).is_file(),
            "artifacts/README.md links {link}, which is not committed"
        );
    }
}

/// artifacts/README.md says which committed run directories `burnprop eval --run DIR` evaluates:
/// the classifiers whose data needs no MNIST files, each to the training accuracy its
/// summary.json records (eval recomputes it on the same data). Each is evaluated in a copy, as
/// eval writes confusion.csv into the directory.
#[test]
fn the_committed_classifiers_evaluate_as_the_gallery_says() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let gallery = fs::read_to_string(root.join("artifacts/README.md")).expect("the gallery");
    assert!(
        gallery.contains(
            "`burnprop eval --run DIR` evaluates the classifiers (logreg, xor, circles, micrograd"
        ),
        "artifacts/README.md no longer names the directories eval reads"
    );
    let scratch = tempfile::tempdir().expect("a temporary directory");
    for run in ["logreg", "xor", "circles", "micrograd"] {
        let dir = scratch.path().join(run);
        fs::create_dir(&dir).expect("a copy's directory");
        for entry in fs::read_dir(root.join("artifacts").join(run)).expect("a committed run") {
            let path = entry.expect("an entry").path();
            fs::copy(&path, dir.join(path.file_name().expect("a name"))).expect("a copy");
        }
        let summary: serde_json::Value = serde_json::from_str(
            &fs::read_to_string(dir.join("summary.json")).expect("summary.json"),
        )
        .expect("JSON");
        let accuracy = summary["accuracy"].as_f64().expect("an accuracy");
        burnprop()
            .args(["eval", "--run"])
            .arg(&dir)
            .env("BURN_DEVICE", "flex")
            .assert()
            .success()
            .stdout(predicates::str::contains(format!(
                "training accuracy {accuracy} ("
            )));
    }
}
