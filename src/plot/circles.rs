//! Notebook 000's pictures of the circles network: the data, the decision boundary, the data
//! projected onto the hidden layer, and the output surface; drawn as well for every other 2-D
//! data set (moons, the Playground's sets) over the square that [`View`] gives it.

use std::ops::Range;

use burn::tensor::{Device, Tensor};
use plotters::coord::Shift;
use plotters::coord::ranged3d::Cartesian3d;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::plane::{class, class_colour, inputs, predicted};
use super::{
    BLUE, DrawResult, Figure, ORANGE, SQUARE, Size, label_font, legend, tick, tick_font, title_font,
};
use crate::data::{DataConfig, Examples, Feature, PlaygroundSet};
use crate::error::Result;
use crate::loss::OutputActivation;
use crate::model::Mlp;
use crate::tensor::{Precision, host_values};

/// Points drawn in scatter plots: every k-th example, so that the SVG stays small.
const SCATTER_POINTS: usize = 2500;
/// The notebook's grid: `np.linspace(-1.5, 1.5, 200)` along each axis.
pub const GRID: usize = 200;
/// The plotted square of the circles data: the notebook's `[-1.5, 1.5]²`.
pub const EXTENT: f64 = 1.5;
/// The plotted square of the moons: `x₁` spans about −1.2 to 2.2 at noise 0.1.
const MOONS_EXTENT: f64 = 2.5;
/// The plotted square of the Playground's sets: its own view, `xDomain = [-6, 6]`.
const PLAYGROUND_EXTENT: f64 = 6.0;
/// The coarser grid of the output surface (the notebook's `n_vals = 25` of its 3-D plots).
const SURFACE_GRID: usize = 60;

/// How the plane figures show a 2-D data set.
#[derive(Clone, Debug, PartialEq)]
pub struct View {
    /// The data's name in the scatter plot's title.
    pub title: &'static str,
    /// The legend entry of each class, in order.
    pub classes: Vec<String>,
    /// The figures show the square `[-extent, extent]²` of the input plane.
    pub extent: f64,
}

impl View {
    /// The view of `data`: its own for the circles, the moons, the Playground's sets and
    /// cs231n's spiral (radius at most 1, so the circles' square);
    /// for any other data, its name, `class k` for each of its classes and the Playground's
    /// square.
    pub fn of(data: &DataConfig) -> Self {
        let (title, classes, extent) = match data {
            DataConfig::Moons { .. } => (
                "make_moons",
                ["class 0 (upper moon)", "class 1 (lower moon)"],
                MOONS_EXTENT,
            ),
            DataConfig::Playground { set, .. } => {
                let (title, classes) = match set {
                    PlaygroundSet::Circle => {
                        ("Playground circle", ["class 0 (ring)", "class 1 (disc)"])
                    }
                    PlaygroundSet::Xor => (
                        "Playground xor",
                        ["class 0 (x₁·x₂ < 0)", "class 1 (x₁·x₂ ≥ 0)"],
                    ),
                    PlaygroundSet::Gauss => (
                        "Playground gauss",
                        ["class 0 (around (−2, −2))", "class 1 (around (2, 2))"],
                    ),
                    PlaygroundSet::Spiral => (
                        "Playground spiral",
                        ["class 0 (arm turned by π)", "class 1 (arm from angle 0)"],
                    ),
                };
                (title, classes, PLAYGROUND_EXTENT)
            }
            DataConfig::Circles { .. } | DataConfig::Xor => (
                "make_circles",
                ["class 0 (outer circle)", "class 1 (inner circle)"],
                EXTENT,
            ),
            DataConfig::Spiral { classes, .. } => {
                return Self {
                    title: "cs231n spiral",
                    classes: (0..*classes).map(|k| format!("class {k}")).collect(),
                    extent: EXTENT,
                };
            }
            _ => {
                let k = if data.one_hot() { data.outputs() } else { 2 };
                return Self {
                    title: data.name(),
                    classes: (0..k).map(|k| format!("class {k}")).collect(),
                    extent: PLAYGROUND_EXTENT,
                };
            }
        };
        Self {
            title,
            classes: classes.map(str::to_string).to_vec(),
            extent,
        }
    }
}

/// Every k-th example, at most [`SCATTER_POINTS`] of them, with its class.
fn sample(examples: &Examples) -> Vec<([f64; 2], usize)> {
    let step = examples.len().div_ceil(SCATTER_POINTS).max(1);
    examples
        .iter()
        .step_by(step)
        .map(|e| ([e.x[0], e.x[1]], class(e.y)))
        .collect()
}

/// `n` evenly spaced values from `-extent` to `extent`, as `np.linspace`.
fn linspace(n: usize, extent: f64) -> Vec<f64> {
    (0..n)
        .map(|i| -extent + 2.0 * extent * i as f64 / (n - 1).max(1) as f64)
        .collect()
}

/// The grid points `(x1, x2)`, x1 varying fastest (`np.meshgrid` order), mapped to
/// `features`, as one batch.
fn grid_batch(
    n: usize,
    extent: f64,
    features: &[Feature],
    precision: Precision,
    device: &Device,
) -> Tensor<2> {
    let axis = linspace(n, extent);
    let points = axis
        .iter()
        .flat_map(|&x2| axis.iter().map(move |&x1| [x1, x2]));
    inputs(points, features, precision, device)
}

/// The two classes of a 2-D data set.
#[derive(Clone, Debug)]
pub struct Data {
    points: Vec<([f64; 2], usize)>,
    total: usize,
    view: View,
}

impl Data {
    /// The training examples (a sample of them is drawn), shown as `view` says.
    pub fn new(examples: &Examples, view: View) -> Self {
        Self {
            points: sample(examples),
            total: examples.len(),
            view,
        }
    }
}

/// A chart of the input plane.
type Plane<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Draws the sampled points by class on a chart of the input square.
fn scatter<'a, DB: DrawingBackend + 'a>(
    chart: &mut Plane<'a, DB>,
    points: &[([f64; 2], usize)],
    view: &View,
) -> DrawResult<DB> {
    for (k, name) in view.classes.iter().enumerate() {
        let c = class_colour(k);
        chart
            .draw_series(
                points
                    .iter()
                    .filter(|p| p.1 == k)
                    .map(|p| Circle::new((p.0[0], p.0[1]), 2, c.mix(0.7).filled())),
            )?
            .label(name)
            .legend(move |(x, y)| Circle::new((x + 8, y), 4, c.filled()));
    }
    Ok(())
}

fn plane<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    title: &str,
    extent: f64,
) -> std::result::Result<Plane<'a, DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    let mut chart = ChartBuilder::on(root)
        .caption(title, title_font())
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(56)
        .build_cartesian_2d(-extent..extent, -extent..extent)?;
    chart
        .configure_mesh()
        .x_desc("x₁")
        .y_desc("x₂")
        .axis_desc_style(label_font())
        .label_style(tick_font())
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    Ok(chart)
}

/// A chart of 3-D space.
type Space<'a, DB> =
    ChartContext<'a, DB, Cartesian3d<RangedCoordf64, RangedCoordf64, RangedCoordf64>>;

/// A 3-D chart of `x × y × z` (y up), seen from `pitch` and `yaw`, with its axes drawn.
fn space<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    title: &str,
    (x, y, z): (Range<f64>, Range<f64>, Range<f64>),
    (pitch, yaw): (f64, f64),
) -> std::result::Result<Space<'a, DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    let mut chart = ChartBuilder::on(root)
        .caption(title, title_font())
        .margin(20)
        .build_cartesian_3d(x, y, z)?;
    chart.with_projection(|mut p| {
        p.pitch = pitch;
        p.yaw = yaw;
        p.scale = 0.75;
        p.into_matrix()
    });
    chart
        .configure_axes()
        .label_style(tick_font())
        .x_formatter(&tick)
        .y_formatter(&tick)
        .z_formatter(&tick)
        .x_labels(3)
        .y_labels(3)
        .z_labels(3)
        .light_grid_style(BLACK.mix(0.08))
        .max_light_lines(4)
        .draw()?;
    Ok(chart)
}

/// A line under a square 3-D figure naming its axes (plotters' 3-D charts have no axis titles).
fn footnote<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, text: &str) -> DrawResult<DB> {
    root.draw(&Text::new(text, (20, SQUARE.1 as i32 - 28), tick_font()))
}

impl Figure for Data {
    fn name(&self) -> &'static str {
        "data"
    }

    fn size(&self) -> Size {
        SQUARE
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let title = format!(
            "{}: {} of {} points",
            self.view.title,
            self.points.len(),
            self.total
        );
        let mut chart = plane(root, &title, self.view.extent)?;
        scatter(&mut chart, &self.points, &self.view)?;
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    }
}

/// The predicted class over notebook 000's 200 × 200 grid, with the data on top.
#[derive(Clone, Debug)]
pub struct DecisionBoundary {
    /// `classes[j][i]`: the class at `x1 = linspace[i]`, `x2 = linspace[j]`.
    classes: Vec<Vec<usize>>,
    points: Vec<([f64; 2], usize)>,
    view: View,
}

impl DecisionBoundary {
    /// Evaluates `model` on the whole grid of `view`'s square, each point mapped to
    /// `features`, in one batched forward pass; the class of a point is its largest output
    /// (one output: its sign), whatever the number of classes.
    pub fn new(
        model: &Mlp,
        examples: &Examples,
        view: View,
        features: &[Feature],
        precision: Precision,
        device: &Device,
    ) -> Result<Self> {
        let grid = grid_batch(GRID, view.extent, features, precision, device);
        let logits = model.forward_logits(grid); // [GRID², n_L]
        let [_, columns] = logits.dims();
        let logits = host_values(logits)?;
        let predictions: Vec<usize> = logits.chunks(columns.max(1)).map(predicted).collect();
        let classes = predictions.chunks(GRID).map(<[usize]>::to_vec).collect();
        Ok(Self {
            classes,
            points: sample(examples),
            view,
        })
    }

    /// The predicted class at grid cell `(i, j)`.
    pub fn class_at(&self, i: usize, j: usize) -> Option<usize> {
        self.classes.get(j).and_then(|row| row.get(i)).copied()
    }
}

impl Figure for DecisionBoundary {
    fn name(&self) -> &'static str {
        "decision-boundary"
    }

    fn size(&self) -> Size {
        SQUARE
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let extent = self.view.extent;
        let mut chart = plane(root, "Decision boundary", extent)?;
        // One rectangle per run of equal classes along a grid row keeps the SVG small.
        let cell = 2.0 * extent / (GRID - 1) as f64;
        let centre = |i: usize| -extent + cell * i as f64;
        let mut runs = Vec::new();
        for (j, row) in self.classes.iter().enumerate() {
            let mut start = 0;
            for i in 1..=row.len() {
                if i == row.len() || row[i] != row[start] {
                    runs.push((start, i - 1, j, row[start]));
                    start = i;
                }
            }
        }
        chart.draw_series(runs.into_iter().map(|(i0, i1, j, k)| {
            let half = cell / 2.0;
            Rectangle::new(
                [
                    (centre(i0) - half, centre(j) - half),
                    (centre(i1) + half, centre(j) + half),
                ],
                class_colour(k).mix(0.25).filled(),
            )
        }))?;
        scatter(&mut chart, &self.points, &self.view)?;
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    }
}

/// The data mapped onto the three hidden units, `H = σ(X·W_h + b_h)`, in 3-D (notebook 000's
/// "Projection of X onto the hidden layer H").
#[derive(Clone, Debug)]
pub struct HiddenProjection {
    points: Vec<([f64; 3], usize)>,
}

impl HiddenProjection {
    /// The first hidden layer's activations of a sample of `examples` (points of the plane,
    /// mapped to `features`), if it has three units.
    pub fn new(
        model: &Mlp,
        examples: &Examples,
        features: &[Feature],
        precision: Precision,
        device: &Device,
    ) -> Result<Option<Self>> {
        let sampled = sample(examples);
        let inputs = inputs(sampled.iter().map(|p| p.0), features, precision, device);
        let (Some(z), Some(g)) = (
            model.pre_activations(inputs).into_iter().next(),
            model.hidden_activations.first(),
        ) else {
            return Ok(None);
        };
        if z.dims()[1] != 3 {
            return Ok(None);
        }
        let h = host_values(g.apply(z))?; // [n, 3]
        let points = h
            .chunks(3)
            .zip(&sampled)
            .map(|(h, p)| ([h[0], h[1], h[2]], p.1))
            .collect();
        Ok(Some(Self { points }))
    }
}

impl Figure for HiddenProjection {
    fn name(&self) -> &'static str {
        "hidden-projection"
    }

    fn size(&self) -> Size {
        SQUARE
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let mut chart = space(
            root,
            "Projection of X onto the hidden layer H",
            (0.0..1.0, 0.0..1.0, 0.0..1.0),
            (0.4, -0.5),
        )?;
        let classes = self
            .points
            .iter()
            .map(|p| p.1 + 1)
            .max()
            .unwrap_or(0)
            .max(2);
        for k in 0..classes {
            let c = class_colour(k);
            chart
                .draw_series(
                    self.points
                        .iter()
                        .filter(|p| p.1 == k)
                        // h₁ across, h₃ up, h₂ into the page.
                        .map(|p| Circle::new((p.0[0], p.0[2], p.0[1]), 2, c.mix(0.7).filled())),
                )?
                .label(format!("class {k}"))
                .legend(move |(x, y)| Circle::new((x + 8, y), 4, c.filled()));
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
        footnote(root, "axes: h₁ (left–right), h₂ (depth), h₃ (up)")
    }
}

/// The half-range of the score a linear output's surface shows: margins beyond ±2 are
/// clamped, so that the hinge's ±1 margins and the 0 level stay readable.
const SCORE_RANGE: f64 = 2.0;

/// The network's probability of class 1 over the input plane, as a surface (notebook 000's
/// "Network Output Surface Plot"); for a linear output (the hinge's score), the score itself.
#[derive(Clone, Debug)]
pub struct OutputSurface {
    /// `p[j][i]`: `P(class 1)` (or the score) at `x1 = linspace[i]`, `x2 = linspace[j]`.
    p: Vec<Vec<f64>>,
    /// Half the side of the square.
    extent: f64,
    /// Whether `p` holds a linear output's score, clamped to `±SCORE_RANGE`, rather than a
    /// probability.
    score: bool,
}

impl OutputSurface {
    /// Evaluates `model` on a 60 × 60 grid of the square `[-extent, extent]²`, each point
    /// mapped to `features`, in one forward pass.
    pub fn new(
        model: &Mlp,
        extent: f64,
        features: &[Feature],
        precision: Precision,
        device: &Device,
    ) -> Result<Self> {
        let grid = grid_batch(SURFACE_GRID, extent, features, precision, device);
        let outputs = model.forward(grid); // [n², n_L]
        let [_, columns] = outputs.dims();
        let values = host_values(outputs)?;
        let last = columns.saturating_sub(1);
        let score = model.output == OutputActivation::Identity;
        let shown = |v: f64| {
            if score {
                v.clamp(-SCORE_RANGE, SCORE_RANGE)
            } else {
                v
            }
        };
        let p = values
            .chunks(columns.max(1) * SURFACE_GRID)
            .map(|row| row.chunks(columns.max(1)).map(|o| shown(o[last])).collect())
            .collect();
        Ok(Self { p, extent, score })
    }
}

impl Figure for OutputSurface {
    fn name(&self) -> &'static str {
        "output-surface"
    }

    fn size(&self) -> Size {
        SQUARE
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let extent = self.extent;
        let (low, high, title, note) = if self.score {
            (
                -SCORE_RANGE,
                SCORE_RANGE,
                "Network output: the score over the input plane",
                "axes: x₁, x₂ (floor), score clamped to ±2 (up); the 0 level is the decision boundary",
            )
        } else {
            (
                0.0,
                1.0,
                "Network output: P(class 1) over the input plane",
                "axes: x₁, x₂ (floor), P(class 1) (up); the 0.5 level is the decision boundary",
            )
        };
        let chart = &mut space(
            root,
            title,
            (-extent..extent, low..high, -extent..extent),
            (0.5, -0.6),
        )?;
        let axis = linspace(SURFACE_GRID, extent);
        let value = |x1: f64, x2: f64| {
            let at = |v: f64| {
                (((v + extent) / (2.0 * extent)) * (SURFACE_GRID - 1) as f64).round() as usize
            };
            self.p
                .get(at(x2))
                .and_then(|row| row.get(at(x1)))
                .copied()
                .unwrap_or(low)
        };
        chart.draw_series(
            // Back to front for this view (x₁ falling, x₂ rising): plotters paints the
            // quads in order, with no depth buffer.
            SurfaceSeries::xoz(axis.iter().rev().copied(), axis.iter().copied(), value).style_func(
                &|&v: &f64| {
                    // Blue for class 0, orange for class 1, as in the other figures.
                    let p = (v - low) / (high - low);
                    let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * p) as u8;
                    RGBColor(
                        mix(BLUE.0, ORANGE.0),
                        mix(BLUE.1, ORANGE.1),
                        mix(BLUE.2, ORANGE.2),
                    )
                    .filled()
                },
            ),
        )?;
        footnote(root, note)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Preset;
    use crate::data::PointSet;

    #[test]
    fn one_output_networks_and_targets_have_two_classes() {
        // A single 0/1 target, a single logit (sigmoid 0.5 or margin 0 is the boundary).
        assert_eq!((class(&[0.0]), class(&[1.0])), (0, 1));
        assert_eq!((predicted(&[-0.1]), predicted(&[0.1])), (0, 1));
        // One-hot rows and softmax logits: the first largest, as numpy's and burn's argmax.
        assert_eq!(class(&[0.0, 1.0]), 1);
        assert_eq!(predicted(&[0.3, 0.3]), 0);
    }

    #[test]
    fn each_data_set_is_shown_on_its_own_square() {
        // The notebook's square for circles, one that holds the moons, the Playground's ±6.
        assert_eq!(View::of(&Preset::Circles.config().data).extent, 1.5);
        assert_eq!(View::of(&PointSet::Moons.config(false)).extent, 2.5);
        assert_eq!(View::of(&PointSet::Spiral.config(true)).extent, 6.0);
    }
}
