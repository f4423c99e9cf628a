//! `burnprop reproduce`: every notebook experiment at the notebook's settings, with its
//! gradient check, the engine comparison and the figures, and a README gallery of them.
//!
//! ```text
//! artifacts/
//!   README.md                 the gallery and the table of final figures
//!   logreg/ xor/ circles/ three-layer/ mnist/ mnist-binary/
//!       config.json history.csv summary.json model.bpk gradcheck.json *.png *.svg
//!       training.gif              (runs on 2-D inputs: xor, circles)
//!   compare-circles/          compare.csv compare.json compare.png compare.svg
//! ```

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use burn::tensor::Device;

use crate::artifacts::{ANIMATION, GRADCHECK, RunDir, write_atomic};
use crate::compare::{self, Tolerance};
use crate::config::{ExperimentConfig, Preset};
use crate::data::DataConfig;
use crate::data::mnist;
use crate::device::Backend;
use crate::error::{Error, Result};
use crate::gradcheck::{self, Verdict};
use crate::plot::{Plotted, Recorder, plot_run, save_animation};
use crate::train::{self, RunOptions, Silent, StepRecord, TrainReport};

/// The steps `compare` takes in a full reproduction (the README's `compare circles`).
pub const COMPARE_STEPS: usize = 1000;

/// How to reproduce.
#[derive(Clone, Debug)]
pub struct ReproduceOptions {
    /// Shorten every run (for tests and a first look): a few hundred steps at most.
    pub quick: bool,
    /// The artifacts directory.
    pub out: PathBuf,
    /// Where MNIST's files are (else burn-dataset's cache).
    pub data_dir: Option<PathBuf>,
    /// The compute backend's name, for the summaries.
    pub backend: Backend,
}

/// One experiment of the reproduction.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The directory name under the artifacts directory.
    pub name: String,
    /// What it is, for the gallery.
    pub title: String,
    /// What the notebook (or the reference scripts) report.
    pub reference: &'static str,
    /// burnprop's final figures, or why the experiment did not run.
    pub measured: String,
    /// The figures drawn, PNG files (and `training.gif`) relative to the artifacts directory.
    pub figures: Vec<String>,
    /// Whether it ran.
    pub ran: bool,
}

/// What each notebook, or the reference implementation of its workload, reports.
fn reference(preset: Preset) -> &'static str {
    match preset {
        Preset::Logreg => {
            "A1 = [0.6084, 0.4586, 0.3263, 0.3638] before training; the reference run of its 22-iteration loop: loss 0.8223 → 0.1867"
        }
        Preset::Xor => {
            "Yhat = [0.5, 0.6269, 0.7372, 0.7876] before training; the notebook derives backprop but never trains"
        }
        Preset::Circles => {
            "a long plateau, then the loss \"declines very fast\"; the numpy reference: 39183.15 → 7.6502 (f64; 7.6528 in f32) after 50000 iterations, accuracy 0.99996"
        }
        Preset::ThreeLayer => {
            "cost 1.26 → 1.20 over 8 epochs (unseeded PyTorch data, so not reproducible; a seeded rerun: 1.0497 → 1.0342)"
        }
        Preset::Mnist => {
            "the reference numpy and PyTorch MLPs: 97.9% test accuracy after 10 epochs"
        }
        Preset::MnistBinary => "two digits with the 3-layer sigmoid network; no accuracy printed",
        Preset::Micrograd => {
            "demo.ipynb cell 7: step 0 loss 0.8958441028683222, accuracy 50.0% → step 99 loss 0.010978370135492717, accuracy 100.0%"
        }
        Preset::Cs231n => {
            "the case study's code with seed 0, data then W then W2 (scripts/cs231n): iteration 0: loss 1.098765 → iteration 9000: loss 0.245095, training accuracy: 0.98"
        }
        Preset::Cs231nLinear => {
            "the case study's notebook (seed 0): iteration 0: loss 1.096919 → iteration 190: loss 0.786302, training accuracy: 0.49"
        }
        Preset::File => "your own file: no notebook to compare with",
    }
}

/// The preset as the reproduction runs it: the notebook's settings, shortened by `quick`.
fn settings(preset: Preset, options: &ReproduceOptions) -> ExperimentConfig {
    let mut config = preset.config();
    if let DataConfig::Mnist { dir, .. } = &mut config.data {
        dir.clone_from(&options.data_dir);
    }
    if options.quick {
        match preset {
            Preset::Circles => config.epochs = 300,
            Preset::Mnist | Preset::MnistBinary => config.epochs = 1,
            Preset::Logreg
            | Preset::Xor
            | Preset::ThreeLayer
            | Preset::Micrograd
            | Preset::Cs231n
            | Preset::Cs231nLinear => {}
            Preset::File => {}
        }
    }
    config
}

/// Runs every experiment, printing one line per stage through `say`, and writes the gallery.
pub fn reproduce(
    options: &ReproduceOptions,
    device: &Device,
    say: &mut dyn FnMut(&str),
) -> Result<Vec<Entry>> {
    std::fs::create_dir_all(&options.out).map_err(|source| Error::Io {
        action: "create directory",
        path: options.out.clone(),
        source,
    })?;
    let mut entries = Vec::new();
    for preset in Preset::ALL {
        let config = settings(preset, options);
        let name = preset.name().to_string();
        let title = format!("{} — notebook {}", preset.name(), preset.notebook());
        if matches!(config.data, DataConfig::Mnist { .. })
            && let Err(e) = mnist::locate(options.data_dir.as_deref())
        {
            say(&format!("{name}: skipped, MNIST is not here ({e})"));
            entries.push(Entry {
                name,
                title,
                reference: reference(preset),
                measured: format!("not run: MNIST was not found ({e})"),
                figures: Vec::new(),
                ran: false,
            });
            continue;
        }
        say(&format!("{name}: training ({})", config.network()));
        let dir = options.out.join(&name);
        // Runs on 2-D inputs keep networks for training.gif as they train.
        let animate = config.data.inputs() == 2;
        let mut silent = Silent;
        let mut recorder = if animate {
            Recorder::adaptive(&mut silent)
        } else {
            Recorder::at_steps(&mut silent, [])
        };
        let report = train::run_to_dir(
            &config,
            options.backend,
            device,
            &dir,
            // reproduce regenerates its directories, whatever they held.
            &RunOptions {
                overwrite: true,
                ..RunOptions::default()
            },
            &mut recorder,
        )?;
        say(&format!("{name}: gradient check"));
        let check = gradient_check(&config, options, device)?;
        RunDir::open(&dir)?.write_json(GRADCHECK, &check)?;
        let plotted = plot_run(&dir, None, device)?;
        say(&format!("{name}: {} figures", plotted.pngs().count()));
        let mut drawn = figures(&plotted, &options.out);
        if animate {
            let animated = save_animation(
                &dir,
                &config,
                &report.history.records,
                recorder.frames(),
                device,
            )?;
            say(&format!("{name}: {ANIMATION}, {} frames", animated.frames));
            drawn.push(format!("{name}/{ANIMATION}"));
        }
        entries.push(Entry {
            measured: measured(&config, &report, &check),
            figures: drawn,
            name,
            title,
            reference: reference(preset),
            ran: true,
        });
    }
    entries.push(engine_comparison(options, device, say)?);
    write_atomic(
        &options.out.join("README.md"),
        gallery(&entries, options).as_bytes(),
    )?;
    Ok(entries)
}

/// The gradient check of the preset's initial network: every element, on all examples (on 64
/// with `quick`), directional for MNIST's 100k parameters; in f64, on the host where the
/// device has no f64.
fn gradient_check(
    config: &ExperimentConfig,
    options: &ReproduceOptions,
    device: &Device,
) -> Result<gradcheck::GradcheckReport> {
    let examples = options.quick.then_some(64);
    let (report, _, _) = gradcheck::check_config(
        config,
        examples,
        gradcheck::DEFAULT_EPS,
        false,
        options.backend,
        device.clone(),
    )?;
    Ok(report)
}

/// `compare circles` into `compare-circles/`.
fn engine_comparison(
    options: &ReproduceOptions,
    device: &Device,
    say: &mut dyn FnMut(&str),
) -> Result<Entry> {
    let config = Preset::Circles.config();
    let steps = if options.quick { 20 } else { COMPARE_STEPS };
    say(&format!("compare-circles: both engines, {steps} steps"));
    let tolerance = Tolerance::for_config(&config);
    let comparison = compare::compare_engines(&config, steps, tolerance, device, &mut |_| {})?;
    let dir = options.out.join("compare-circles");
    comparison.save(&mut train::claim(&dir, true)?, options.backend)?;
    let plotted = plot_run(&dir, None, device)?;
    let summary = comparison.summary(options.backend);
    let verdict = if summary.agree {
        "agree at every step"
    } else {
        "PART"
    };
    Ok(Entry {
        name: "compare-circles".to_string(),
        title: "compare circles — the autodiff and the manual engine, step by step".to_string(),
        reference: "notebook 000's update M ← mf·M − lr·∇, P ← P + M equals burn's Sgd with dampening 0",
        measured: format!(
            "{} steps: the engines {verdict}; largest relative |Δloss| {:.1e}, largest relative max|Δθ| {:.1e} (tolerance {:e} and {:e})",
            summary.steps,
            summary.worst_rel_delta_loss.0,
            summary.worst_rel_delta_param.0,
            tolerance.loss,
            tolerance.param
        ),
        figures: figures(&plotted, &options.out),
        ran: true,
    })
}

/// The 100 lines cell 7 of micrograd's `demo.ipynb` prints (seed 1337), verbatim.
const MICROGRAD_CELL7: &str = include_str!("../tests/fixtures/micrograd/demo_cell7.txt");

/// The largest relative difference between a micrograd run's step losses and the notebook's
/// printed ones, if the run is the notebook's (the preset at its seed, 100 steps).
fn against_micrograd(config: &ExperimentConfig, history: &[StepRecord]) -> Option<f64> {
    let notebook = Preset::Micrograd.config();
    if config.seed != notebook.seed || history.len() <= 100 {
        return None;
    }
    let printed = MICROGRAD_CELL7.lines().filter_map(|line| {
        // `step 17 loss 0.24…, accuracy 91.0%`
        let mut words = line.split([' ', ',']).filter(|w| !w.is_empty());
        let step: usize = words.nth(1)?.parse().ok()?;
        let loss: f64 = words.nth(1)?.parse().ok()?;
        Some((step, loss))
    });
    printed
        .map(|(step, loss)| ((history[step].loss - loss) / loss).abs())
        .reduce(f64::max)
}

/// A run's final figures and its gradient check, in one line.
fn measured(
    config: &ExperimentConfig,
    report: &TrainReport,
    check: &gradcheck::GradcheckReport,
) -> String {
    let summary = &report.summary;
    // A run that returned a summary completed, so it has a final loss.
    let final_loss = summary.final_loss.unwrap_or(f64::NAN);
    let mut text = format!("{} steps, final loss {final_loss:.6}", summary.steps);
    if config.preset == Preset::ThreeLayer {
        // Notebook 002 prints cost.mean(), the loss averaged over its outputs too.
        let _ = write!(
            text,
            " (cost.mean() = {:.4})",
            final_loss / config.data.outputs() as f64
        );
    }
    if let Some(accuracy) = summary.accuracy {
        let _ = write!(text, ", training accuracy {accuracy:.5}");
    }
    if let Some(accuracy) = summary.test_accuracy {
        let _ = write!(text, ", **test accuracy {:.2}%**", 100.0 * accuracy);
    }
    if config.preset == Preset::Micrograd
        && let Some(worst) = against_micrograd(config, &report.history.records)
    {
        let _ = write!(
            text,
            "; step 99 loss {}, **every printed step within {worst:.1e} relative of the notebook's**",
            report.history.records[99].loss
        );
    }
    let worst = check
        .tensors
        .iter()
        .map(|t| t.manual.rel.max(t.autodiff.rel))
        .fold(0.0, f64::max);
    let verdict = match check.verdict {
        Verdict::Pass => "passes",
        Verdict::Warn => "warns",
        Verdict::Fail => "FAILS",
    };
    let _ = write!(
        text,
        "; gradient check {verdict} (largest relative error {worst:.1e}); {:.1} s",
        summary.wall_seconds
    );
    text
}

/// The PNGs drawn, relative to the artifacts directory.
fn figures(plotted: &Plotted, root: &Path) -> Vec<String> {
    plotted
        .pngs()
        .filter_map(|p| p.strip_prefix(root).ok())
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .collect()
}

/// `artifacts/README.md`.
fn gallery(entries: &[Entry], options: &ReproduceOptions) -> String {
    let mut md = String::from("# burnprop: the notebooks, reproduced\n\n");
    let command = if options.quick {
        "reproduce --quick"
    } else {
        "reproduce"
    };
    let data = options
        .data_dir
        .as_ref()
        .map(|d| format!(" --data-dir {}", d.display()))
        .unwrap_or_default();
    let _ = writeln!(
        md,
        "Regenerate everything here with `cargo run --release -- {command}{data} --out {}` \
         (burnprop {}, {} backend). Each directory is a run directory: `burnprop plot --run DIR` \
         redraws its figures, and `burnprop eval --run DIR` evaluates the classifiers (logreg, \
         xor, circles, micrograd, and the MNIST presets with their files at hand; mnist's \
         400 kB `model.bpk` is left out of git, so evaluate a `reproduce` of your own). \
         three-layer's four independent outputs have no confusion matrix, and compare-circles \
         holds a comparison, not a model. Every figure is also there as SVG.\n",
        options.out.display(),
        env!("CARGO_PKG_VERSION"),
        options.backend.name()
    );
    if options.quick {
        md.push_str(
            "**Quick run**: every experiment was shortened, so the figures show early training, \
             not the notebooks' results.\n\n",
        );
    }
    md.push_str("| experiment | the notebook reports | burnprop |\n|---|---|---|\n");
    for e in entries {
        let _ = writeln!(
            md,
            "| [{}](#{}) | {} | {} |",
            e.name,
            e.name,
            e.reference,
            e.measured.replace('|', "\\|")
        );
    }
    for e in entries {
        let _ = writeln!(md, "\n<a id=\"{}\"></a>\n## {}\n", e.name, e.title);
        let _ = writeln!(md, "{}\n", e.measured);
        if !e.ran {
            continue;
        }
        for figure in &e.figures {
            let _ = writeln!(md, "![{figure}]({figure})\n");
        }
    }
    md
}
