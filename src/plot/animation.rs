//! `training.gif`: the decision regions of a network on 2-D inputs as it learns, with the loss
//! curve growing beside them.
//!
//! A frame needs the network at its step, and a run directory keeps only the last one. So the
//! networks are caught while the run trains, by a [`Recorder`] that the training loop hands
//! them to (`train --animate`, `reproduce`), or by training the run again from its
//! `config.json`, which gives the same steps bit for bit (`plot --animate`, [`animate_run`]);
//! the replayed losses are checked against `history.csv` at every frame.
//!
//! The frames are spaced evenly along the loss curve, not in time: along its arc length with
//! both axes scaled to one, the loss (log) counting twice the steps. Notebook 000's run sits
//! still on its plateau for 6000 iterations and then escapes within 100: even steps would show
//! the escape in one frame, these show it in a dozen. While the run trains, the curve is not
//! yet known, so the recorder keeps a network whenever the loss or the step has moved by a
//! small amount since the last one kept (at most [`CANDIDATES`], thinned by halves), and the
//! frames are chosen among those afterwards by the same rule.
//!
//! The GIF is encoded here (the `gif` crate, already in the build through `image`) rather than
//! by plotters' GIF backend, which writes to a path as it goes (so a failure would leave half
//! a file) and encodes whole frames: each frame after the first holds only the rectangle that
//! changed, its unchanged pixels transparent, which keeps 60 frames near a few hundred kB.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use burn::tensor::Device;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::neurons::output_field;
use super::plane::{Square, class, heat_map};
use super::{
    BLUE, DrawResult, ORANGE, RED, Size, label_font, log_span, span, tick, tick_font, title_font,
};
use crate::artifacts::{ANIMATION, HISTORY, RunDir, SUMMARY, write_atomic};
use crate::config::ExperimentConfig;
use crate::error::{Error, Result};
use crate::model::Mlp;
use crate::train::{
    self, EpochRecord, Experiment, History, Observer, RunStatus, RunSummary, StepRecord,
};

/// Frames in an animation (fewer if the run has fewer steps).
pub const FRAMES: usize = 60;
/// Networks a [`Recorder`] keeps at most while a run trains.
pub const CANDIDATES: usize = 1000;
/// The GIF's size: the input plane on the left, the loss on the right.
const SIZE: Size = (840, 420);
/// Grid cells along each side of the input plane.
const CELLS: usize = 84;
/// Training points drawn over the plane.
const POINTS: usize = 200;
/// Hundredths of a second each frame shows; the first and last stay longer.
const DELAY: u16 = 8;
const FIRST_DELAY: u16 = 60;
const LAST_DELAY: u16 = 250;
/// How much of the class colour the regions get (the points get all of it).
const STRENGTH: f64 = 0.55;
/// Largest relative difference between a replayed loss and the recorded one: a replay on the
/// run's own backend is bit-identical, so anything more means another backend or build.
const REPLAY_TOLERANCE: f64 = 1e-6;

/// The network at one recorded step.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// The step (the history row whose loss it has).
    pub step: usize,
    /// Its loss, as recorded.
    pub loss: f64,
    /// The network.
    pub model: Mlp,
}

/// Which steps a [`Recorder`] keeps.
#[derive(Clone, Debug)]
enum Plan {
    /// Exactly these (a replay, the frames chosen from `history.csv` beforehand).
    Steps(BTreeSet<usize>),
    /// Whenever the loss or the step moved far enough since the last kept (a run in progress).
    Adaptive {
        total: usize,
        step_gap: usize,
        log_gap: f64,
    },
}

/// An [`Observer`] that keeps the network at chosen steps and passes everything on to another.
pub struct Recorder<'a> {
    inner: &'a mut dyn Observer,
    plan: Plan,
    pending: Option<StepRecord>,
    snapshots: Vec<Snapshot>,
}

impl<'a> Recorder<'a> {
    /// Keeps candidates for the frames while a run trains, to be chosen among by
    /// [`Recorder::frames`].
    pub fn adaptive(inner: &'a mut dyn Observer) -> Self {
        Self {
            inner,
            plan: Plan::Adaptive {
                total: 0,
                step_gap: 1,
                log_gap: 0.005,
            },
            pending: None,
            snapshots: Vec::new(),
        }
    }

    /// Keeps the networks of exactly `steps`.
    pub fn at_steps(inner: &'a mut dyn Observer, steps: impl IntoIterator<Item = usize>) -> Self {
        Self {
            inner,
            plan: Plan::Steps(steps.into_iter().collect()),
            pending: None,
            snapshots: Vec::new(),
        }
    }

    /// The kept networks, at most [`FRAMES`] of them chosen along the loss curve.
    pub fn frames(self) -> Vec<Snapshot> {
        let points: Vec<(usize, f64)> = self.snapshots.iter().map(|s| (s.step, s.loss)).collect();
        let chosen = choose(&points, FRAMES);
        let mut snapshots = self.snapshots;
        let mut k = 0;
        snapshots.retain(|_| {
            k += 1;
            chosen.binary_search(&(k - 1)).is_ok()
        });
        snapshots
    }

    fn wanted(&self, record: &StepRecord) -> bool {
        match &self.plan {
            Plan::Steps(steps) => steps.contains(&record.step),
            Plan::Adaptive {
                total,
                step_gap,
                log_gap,
            } => match self.snapshots.last() {
                None => true,
                Some(last) => {
                    record.step + 1 >= *total
                        || record.step >= last.step + step_gap
                        || (log_loss(record.loss) - log_loss(last.loss)).abs() >= *log_gap
                }
            },
        }
    }
}

impl Observer for Recorder<'_> {
    fn started(&mut self, done: usize, total_steps: usize) {
        if let Plan::Adaptive {
            total, step_gap, ..
        } = &mut self.plan
        {
            *total = total_steps;
            *step_gap = (total_steps / (4 * FRAMES)).max(1);
        }
        self.inner.started(done, total_steps);
    }

    fn step(&mut self, record: &StepRecord) {
        self.pending = self.wanted(record).then_some(*record);
        self.inner.step(record);
    }

    fn wants_snapshot(&self) -> bool {
        self.pending.is_some()
    }

    fn snapshot(&mut self, model: Mlp) {
        let Some(record) = self.pending.take() else {
            return;
        };
        self.snapshots.push(Snapshot {
            step: record.step,
            loss: record.loss,
            model,
        });
        if let Plan::Adaptive {
            step_gap, log_gap, ..
        } = &mut self.plan
            && self.snapshots.len() > CANDIDATES
        {
            // Keep every other candidate and halve how often new ones come.
            let mut k = 0;
            self.snapshots.retain(|_| {
                k += 1;
                k % 2 == 1
            });
            *step_gap *= 2;
            *log_gap *= 2.0;
        }
    }

    fn epoch(&mut self, record: &EpochRecord) {
        self.inner.epoch(record);
    }

    fn finished(&mut self) {
        self.inner.finished();
    }
}

/// A loss in a title: four significant digits or one decimal, whichever says more.
fn short(loss: f64) -> String {
    if loss.abs() >= 1000.0 {
        format!("{loss:.1}")
    } else {
        format!("{loss:.4}")
    }
}

/// `ln(loss)`, defined for a loss of 0.
fn log_loss(loss: f64) -> f64 {
    loss.max(1e-300).ln()
}

/// The indices of at most `n` of `points` (`(step, loss)`, in step order) spaced evenly along
/// the loss curve's arc length, steps and `ln(loss)` each scaled to `[0, 1]` and the steps
/// weighted by a half; the first and last are always among them, and there are `n` of them
/// when there are that many points.
pub fn choose(points: &[(usize, f64)], n: usize) -> Vec<usize> {
    match n {
        0 => return Vec::new(),
        _ if points.len() <= n => return (0..points.len()).collect(),
        1 => return vec![points.len() - 1],
        _ => {}
    }
    let last_step = points.last().map_or(1, |p| p.0).max(1) as f64;
    let (lo, hi) = points
        .iter()
        .map(|p| log_loss(p.1))
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    let range = if hi > lo { hi - lo } else { 1.0 };
    let mut arc = Vec::with_capacity(points.len());
    let mut s = 0.0;
    for (i, p) in points.iter().enumerate() {
        if i > 0 {
            let q = points[i - 1];
            let du = 0.5 * (p.0 - q.0) as f64 / last_step;
            let dv = (log_loss(p.1) - log_loss(q.1)) / range;
            let ds = du.hypot(dv);
            s += if ds.is_finite() { ds } else { 0.0 };
        }
        arc.push(s);
    }
    // Where one step moves the curve further than the spacing, the next frames take the next
    // points, so that there are always n (and the last point stays last).
    let mut chosen: Vec<usize> = Vec::with_capacity(n);
    let mut i = 0;
    for k in 0..n {
        let target = s * k as f64 / (n - 1) as f64;
        while i + 1 < arc.len() && arc[i] < target {
            i += 1;
        }
        let room = points.len() - (n - k);
        let pick = chosen.last().map_or(i, |&last| i.max(last + 1)).min(room);
        chosen.push(pick);
    }
    chosen
}

/// One frame: the step, its loss and accuracy, and the output's colour level on the grid.
#[derive(Clone, Debug)]
struct Frame {
    step: usize,
    loss: f64,
    accuracy: Option<f64>,
    levels: Vec<usize>,
}

/// What [`animate_run`] and [`save_animation`] did.
#[derive(Clone, Debug)]
pub struct Animated {
    /// The GIF written.
    pub path: PathBuf,
    /// Its frames.
    pub frames: usize,
    /// Its size in bytes.
    pub bytes: usize,
    /// Steps trained again to catch the networks (0 when they were caught in training).
    pub replayed: usize,
}

/// The frames of a run drawn over its input plane, with its whole loss curve.
struct Animation {
    title: String,
    square: Square,
    points: Vec<([f64; 2], usize)>,
    curve: Vec<(f64, f64)>,
    log_y: bool,
    frames: Vec<Frame>,
}

/// Whether `config`'s network can be animated: it must see 2-D inputs.
pub fn check_animatable(config: &ExperimentConfig) -> Result<()> {
    let inputs = config.data.inputs();
    if inputs == 2 {
        Ok(())
    } else {
        Err(Error::Plot {
            figure: "training",
            reason: format!(
                "the animation draws the input plane, so it needs a run on 2 inputs, and {} has {inputs}",
                config.preset.name()
            ),
        })
    }
}

/// Draws the frames `snapshots` of the run in `dir` (trained with `config`, recording
/// `records`) into `dir/training.gif`, atomically.
pub fn save_animation(
    dir: &Path,
    config: &ExperimentConfig,
    records: &[StepRecord],
    snapshots: Vec<Snapshot>,
    device: &Device,
) -> Result<Animated> {
    check_animatable(config)?;
    let experiment = Experiment::new(config, device)?;
    let examples = experiment.examples().unwrap_or_default();
    let square = Square::around(examples);
    let stride = examples.len().div_ceil(POINTS).max(1);
    let points = examples
        .iter()
        .step_by(stride)
        .map(|e| {
            (
                [
                    e.x.first().copied().unwrap_or(0.0),
                    e.x.get(1).copied().unwrap_or(0.0),
                ],
                class(e.y),
            )
        })
        .collect();
    let accuracy = |step: usize| {
        records
            .iter()
            .rev()
            .find(|r| r.step == step)
            .and_then(|r| r.accuracy)
    };
    let mut frames = Vec::with_capacity(snapshots.len());
    for snapshot in snapshots {
        let (values, scale) = output_field(&snapshot.model, &square, CELLS, config.dtype, device)?;
        frames.push(Frame {
            step: snapshot.step,
            loss: snapshot.loss,
            accuracy: accuracy(snapshot.step),
            levels: values.into_iter().map(|v| scale.level(v)).collect(),
        });
    }
    let curve: Vec<(f64, f64)> = records.iter().map(|r| (r.step as f64, r.loss)).collect();
    let (lo, hi) = curve.iter().fold((f64::INFINITY, 0f64), |(lo, hi), p| {
        (lo.min(p.1), hi.max(p.1))
    });
    let animation = Animation {
        title: config.preset.name().to_string(),
        square,
        points,
        log_y: lo > 0.0 && hi / lo > 100.0,
        curve,
        frames,
    };
    let bytes = animation.encode()?;
    let path = dir.join(ANIMATION);
    write_atomic(&path, &bytes)?;
    Ok(Animated {
        path,
        frames: animation.frames.len(),
        bytes: bytes.len(),
        replayed: 0,
    })
}

/// Animates the finished run in `dir` by training it again from its `config.json` on `device`
/// (which must be the backend it was trained on), keeping the networks at [`FRAMES`] steps
/// chosen from its `history.csv`; a replayed loss that differs from the recorded one is an
/// error.
pub fn animate_run(dir: &Path, device: &Device) -> Result<Animated> {
    let run = RunDir::open(dir)?;
    let config = run.config()?;
    check_animatable(&config)?;
    let invalid = |name: &str, reason: String| Error::InvalidRun {
        path: dir.join(name),
        reason,
    };
    let summary: RunSummary = match run.read_optional(SUMMARY)? {
        Some(text) => serde_json::from_str(&text).map_err(|e| invalid(SUMMARY, e.to_string()))?,
        None => {
            return Err(invalid(
                SUMMARY,
                "it is missing, so the run has not finished; finish it (train --resume) before animating it".to_string(),
            ));
        }
    };
    if summary.status != RunStatus::Completed {
        return Err(invalid(
            SUMMARY,
            format!(
                "the run is {}, and only a completed run can be replayed to its end",
                summary.status.name()
            ),
        ));
    }
    let text = run.read_optional(HISTORY)?.ok_or_else(|| {
        invalid(
            HISTORY,
            "it is missing, and the frames are chosen from it".to_string(),
        )
    })?;
    let records = History::records_from_csv(&text).map_err(|e| invalid(HISTORY, e))?;
    let points: Vec<(usize, f64)> = records.iter().map(|r| (r.step, r.loss)).collect();
    let steps: Vec<usize> = choose(&points, FRAMES)
        .into_iter()
        .map(|i| points[i].0)
        .collect();
    let mut silent = train::Silent;
    let mut recorder = Recorder::at_steps(&mut silent, steps.iter().copied());
    let mut history = History::default();
    let trained = train::train_config(&config, config.engine, device, &mut history, &mut recorder)?;
    let snapshots = recorder.snapshots;
    for snapshot in &snapshots {
        let recorded = records
            .iter()
            .rev()
            .find(|r| r.step == snapshot.step)
            .map_or(f64::NAN, |r| r.loss);
        let scale = recorded.abs().max(f64::MIN_POSITIVE);
        let close = (snapshot.loss - recorded).abs() / scale <= REPLAY_TOLERANCE;
        if !close {
            return Err(invalid(
                HISTORY,
                format!(
                    "training config.json again gives loss {} at step {} where it records {recorded}, so the run cannot be replayed here; animate it on the backend and build that trained it",
                    snapshot.loss, snapshot.step
                ),
            ));
        }
    }
    let mut animated = save_animation(dir, &config, &records, snapshots, device)?;
    animated.replayed = trained.steps;
    Ok(animated)
}

impl Animation {
    /// The GIF's bytes: the first frame whole, each later one as the rectangle that changed,
    /// its unchanged pixels transparent.
    fn encode(&self) -> Result<Vec<u8>> {
        super::register_fonts();
        let failed = |reason: String| Error::Plot {
            figure: "training",
            reason,
        };
        let (width, height) = SIZE;
        let (w, h) = (width as usize, height as usize);
        let mut encoder = gif::Encoder::new(Vec::new(), width as u16, height as u16, &[])
            .map_err(|e| failed(e.to_string()))?;
        encoder
            .set_repeat(gif::Repeat::Infinite)
            .map_err(|e| failed(e.to_string()))?;
        let mut previous: Option<Vec<u8>> = None;
        for (k, frame) in self.frames.iter().enumerate() {
            let mut pixels = vec![0u8; w * h * 3];
            {
                let root = BitMapBackend::with_buffer(&mut pixels, SIZE).into_drawing_area();
                root.fill(&WHITE).map_err(|e| failed(e.to_string()))?;
                self.draw(&root, frame).map_err(|e| failed(e.to_string()))?;
                root.present().map_err(|e| failed(e.to_string()))?;
            }
            let changed = |x: usize, y: usize| {
                previous.as_ref().is_none_or(|p| {
                    let i = 3 * (y * w + x);
                    p[i..i + 3] != pixels[i..i + 3]
                })
            };
            // The rectangle that changed (a 1 × 1 corner when nothing did).
            let (mut x0, mut y0, mut x1, mut y1) = (w, h, 0, 0);
            for y in 0..h {
                for x in 0..w {
                    if changed(x, y) {
                        (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x + 1), y1.max(y + 1));
                    }
                }
            }
            if x0 >= x1 {
                (x0, y0, x1, y1) = (0, 0, 1, 1);
            }
            let mut rgba = Vec::with_capacity((x1 - x0) * (y1 - y0) * 4);
            for y in y0..y1 {
                for x in x0..x1 {
                    let i = 3 * (y * w + x);
                    let alpha = if changed(x, y) { 255 } else { 0 };
                    rgba.extend_from_slice(&[pixels[i], pixels[i + 1], pixels[i + 2], alpha]);
                }
            }
            let mut gif_frame =
                gif::Frame::from_rgba_speed((x1 - x0) as u16, (y1 - y0) as u16, &mut rgba, 10);
            gif_frame.left = x0 as u16;
            gif_frame.top = y0 as u16;
            gif_frame.dispose = gif::DisposalMethod::Keep;
            gif_frame.delay = if k + 1 == self.frames.len() {
                LAST_DELAY
            } else if k == 0 {
                FIRST_DELAY
            } else {
                DELAY
            };
            encoder
                .write_frame(&gif_frame)
                .map_err(|e| failed(e.to_string()))?;
            previous = Some(pixels);
        }
        encoder.into_inner().map_err(|e| failed(e.to_string()))
    }

    /// Draws `frame`: the input plane coloured by the output, the points, and the loss so far.
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        frame: &Frame,
    ) -> DrawResult<DB> {
        let (left, right) = root.split_horizontally(SIZE.0 / 2);
        let accuracy = frame
            .accuracy
            .map(|a| format!(", accuracy {a:.4}"))
            .unwrap_or_default();
        let mut plane = ChartBuilder::on(&left)
            .caption(format!("{}: step {}", self.title, frame.step), title_font())
            .margin(12)
            .x_label_area_size(30)
            .y_label_area_size(40)
            .build_cartesian_2d(self.square.x(), self.square.y())?;
        plane
            .configure_mesh()
            .disable_mesh()
            .label_style(tick_font())
            .x_labels(5)
            .y_labels(5)
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .draw()?;
        heat_map(
            &plane.plotting_area().strip_coord_spec(),
            &frame.levels,
            CELLS,
            STRENGTH,
        )?;
        // A few points (XOR's four) are drawn large; every point has a white rim, so that it
        // stands out from a region of its own colour.
        let radius = if self.points.len() <= 50 { 7 } else { 3 };
        plane.draw_series(self.points.iter().map(|&(p, k)| {
            let colour = if k == 0 { BLUE } else { ORANGE };
            Circle::new((p[0], p[1]), radius, colour.filled())
        }))?;
        plane.draw_series(
            self.points
                .iter()
                .map(|&(p, _)| Circle::new((p[0], p[1]), radius, WHITE.stroke_width(1))),
        )?;

        let x1 = self.curve.last().map_or(1.0, |p| p.0).max(1.0);
        let (transform, y0, y1): (fn(f64) -> f64, f64, f64) = if self.log_y {
            let (lo, hi) = log_span(self.curve.iter().map(|p| p.1));
            (f64::log10, lo.log10(), hi.log10())
        } else {
            let (lo, hi) = span(self.curve.iter().map(|p| p.1), 0.05);
            (|v| v, lo, hi)
        };
        let log_y = self.log_y;
        let y_tick = move |v: &f64| {
            if log_y {
                tick(&10f64.powf(*v))
            } else {
                tick(v)
            }
        };
        let mut loss = ChartBuilder::on(&right)
            .caption(
                format!("loss {}{accuracy}", short(frame.loss)),
                label_font(),
            )
            .margin(12)
            .x_label_area_size(30)
            .y_label_area_size(56)
            .build_cartesian_2d(0.0..x1, y0..y1)?;
        loss.configure_mesh()
            .light_line_style(WHITE.mix(0.0))
            .label_style(tick_font())
            .x_labels(4)
            .y_labels(5)
            .x_label_formatter(&tick)
            .y_label_formatter(&y_tick)
            .draw()?;
        let shown = self
            .curve
            .iter()
            .filter(|p| p.0 <= frame.step as f64 && p.1.is_finite() && (!log_y || p.1 > 0.0))
            .map(|&(x, y)| (x, transform(y).clamp(y0, y1)));
        loss.draw_series(LineSeries::new(
            shown,
            ShapeStyle::from(&BLUE).stroke_width(2),
        ))?;
        if frame.loss.is_finite() && (!log_y || frame.loss > 0.0) {
            loss.draw_series(std::iter::once(Circle::new(
                (frame.step as f64, transform(frame.loss).clamp(y0, y1)),
                5,
                RED.filled(),
            )))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_follow_the_loss_not_the_clock() {
        // Notebook 000's shape (artifacts/circles/history.csv, rounded): 39183 at step 0, a
        // plateau at 12890 from step 500 to 6000, 765 by step 6100, 7.65 at step 50000.
        let loss = |step: usize| match step {
            0..500 => 39183.0 * (12890.0f64 / 39183.0).powf(step as f64 / 500.0),
            500..6000 => 12890.0,
            6000..6100 => 12890.0 * (765.0f64 / 12890.0).powf((step - 6000) as f64 / 100.0),
            _ => 765.0 * (7.65f64 / 765.0).powf((step - 6100) as f64 / 43900.0),
        };
        let points: Vec<(usize, f64)> = (0..=50000).map(|s| (s, loss(s))).collect();
        let chosen = choose(&points, FRAMES);
        assert_eq!(chosen.len(), FRAMES);
        assert!(chosen.windows(2).all(|w| w[0] < w[1]), "{chosen:?}");
        assert_eq!(chosen.first(), Some(&0));
        assert_eq!(chosen.last(), Some(&50000));
        let within =
            |range: std::ops::Range<usize>| chosen.iter().filter(|&&i| range.contains(&i)).count();
        // 100 steps of the escape get more frames than 5500 steps of plateau.
        assert!(
            within(6000..6100) > 2 * within(500..6000),
            "escape {}, plateau {}",
            within(6000..6100),
            within(500..6000)
        );
        assert!(within(500..6000) >= 1, "the plateau is shown");
        assert_eq!(choose(&points[..10], FRAMES), (0..10).collect::<Vec<_>>());
        assert_eq!(choose(&points, 1), vec![50000]);
    }
}
