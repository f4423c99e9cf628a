//! The pictures of a network that regresses one real target on 2-D points (TensorFlow
//! Playground's `plane` and `gaussian`): its output over the input plane with the points
//! coloured by their targets on the same scale, as the Playground shows a regression, and the
//! residuals `ŷ − y` against the targets.

use burn::tensor::Device;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::plane::{LEVELS, Scale, Square, heat_map, level_colour};
use super::{
    BLUE, DrawResult, Figure, RED, SQUARE, WIDE, label_font, span, tick, tick_font, title_font,
};
use crate::data::{Examples, Feature};
use crate::error::Result;
use crate::model::Mlp;
use crate::tensor::{Precision, host_values};

/// Grid cells along each side of the predicted surface.
const CELLS: usize = 100;
/// Points drawn over the surface and in the residual plot (every k-th example).
const POINTS: usize = 1200;
/// How much of the colour the surface gets (the points get all of it).
const STRENGTH: f64 = 0.6;

/// Every k-th example's point and target, at most [`POINTS`].
fn sample(examples: &Examples) -> Vec<([f64; 2], f64)> {
    let step = examples.len().div_ceil(POINTS).max(1);
    examples
        .iter()
        .step_by(step)
        .map(|e| ([e.x[0], e.x[1]], e.y[0]))
        .collect()
}

/// The network's output over the input plane, the training points on it, both coloured on one
/// scale: blue for −m, white for 0, orange for +m, `m` the largest |target|.
#[derive(Clone, Debug)]
pub struct PredictedSurface {
    square: Square,
    /// The output's colour level on the grid, row `j` being `x₂`'s `j`-th cell.
    levels: Vec<usize>,
    /// Each drawn point and its target's colour level.
    points: Vec<([f64; 2], usize)>,
    scale: Scale,
}

impl PredictedSurface {
    /// Evaluates `model` over the square around `examples` (points of the plane with one
    /// target each), each grid point mapped to `features`, in one forward pass.
    pub fn new(
        model: &Mlp,
        examples: &Examples,
        features: &[Feature],
        precision: Precision,
        device: &Device,
    ) -> Result<Self> {
        let square = Square::around(examples);
        let outputs = model.forward(square.grid(CELLS, features, precision, device)); // [n², 1]
        let [_, width] = outputs.dims();
        let values: Vec<f64> = host_values(outputs)?
            .chunks(width.max(1))
            .map(|o| o[0])
            .collect();
        let scale = Scale::symmetric(examples.iter().map(|e| e.y[0]));
        let points = sample(examples)
            .into_iter()
            .map(|(p, y)| (p, scale.level(y)))
            .collect();
        Ok(Self {
            square,
            levels: values.into_iter().map(|v| scale.level(v)).collect(),
            points,
            scale,
        })
    }

    /// The output's colour level at grid cell `(i, j)` (`LEVELS / 2` is white, 0).
    pub fn level_at(&self, i: usize, j: usize) -> Option<usize> {
        self.levels.get(j * CELLS + i).copied()
    }
}

impl Figure for PredictedSurface {
    fn name(&self) -> &'static str {
        "predicted-surface"
    }

    fn size(&self) -> (u32, u32) {
        SQUARE
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let m = self.scale.hi;
        let title = format!("Network output over the plane; points: targets (±{m:.2})");
        let mut plane = ChartBuilder::on(root)
            .caption(title, title_font())
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(56)
            .build_cartesian_2d(self.square.x(), self.square.y())?;
        plane
            .configure_mesh()
            .disable_mesh()
            .x_desc("x₁")
            .y_desc("x₂")
            .axis_desc_style(label_font())
            .label_style(tick_font())
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .draw()?;
        heat_map(
            &plane.plotting_area().strip_coord_spec(),
            &self.levels,
            CELLS,
            STRENGTH,
        )?;
        plane.draw_series(
            self.points
                .iter()
                .map(|&(p, level)| Circle::new((p[0], p[1]), 3, level_colour(level, 1.0).filled())),
        )?;
        // A rim keeps a point visible on a region of its own colour.
        plane.draw_series(
            self.points
                .iter()
                .map(|&(p, _)| Circle::new((p[0], p[1]), 3, BLACK.mix(0.3).stroke_width(1))),
        )?;
        let key = format!("blue −{m:.2}, white 0, orange +{m:.2} ({LEVELS} levels)");
        root.draw(&Text::new(key, (20, SQUARE.1 as i32 - 22), tick_font()))
    }
}

/// The residuals `ŷ − y` of every drawn example against its target `y`: a perfect fit lies on
/// the zero line.
#[derive(Clone, Debug)]
pub struct Residuals {
    /// `(y, ŷ − y)` of each drawn example.
    points: Vec<(f64, f64)>,
    /// The root of the mean squared residual over every example.
    rmse: f64,
}

impl Residuals {
    /// The residuals of `predictions` (one per example) against `targets`.
    pub fn new(targets: &[f64], predictions: &[f64]) -> Self {
        let pairs: Vec<(f64, f64)> = targets
            .iter()
            .zip(predictions)
            .map(|(&y, &p)| (y, p - y))
            .collect();
        let rmse =
            (pairs.iter().map(|(_, r)| r * r).sum::<f64>() / pairs.len().max(1) as f64).sqrt();
        let step = pairs.len().div_ceil(POINTS).max(1);
        Self {
            points: pairs.into_iter().step_by(step).collect(),
            rmse,
        }
    }

    /// The root of the mean squared residual.
    pub fn rmse(&self) -> f64 {
        self.rmse
    }
}

impl Figure for Residuals {
    fn name(&self) -> &'static str {
        "residuals"
    }

    fn size(&self) -> (u32, u32) {
        WIDE
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let (x0, x1) = span(self.points.iter().map(|p| p.0), 0.05);
        let reach =
            self.points.iter().fold(
                1e-3f64,
                |m, p| if p.1.is_finite() { m.max(p.1.abs()) } else { m },
            ) * 1.1;
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!("Residuals ŷ − y against the target (RMSE {:.4})", self.rmse),
                title_font(),
            )
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(x0..x1, -reach..reach)?;
        chart
            .configure_mesh()
            .x_desc("target y")
            .y_desc("residual ŷ − y")
            .axis_desc_style(label_font())
            .label_style(tick_font())
            .x_label_formatter(&|v| tick(&exact_zero(*v, x1 - x0)))
            .y_label_formatter(&|v| tick(&exact_zero(*v, reach)))
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(x0, 0.0), (x1, 0.0)],
            ShapeStyle::from(&RED).stroke_width(1),
        )))?;
        chart.draw_series(
            self.points
                .iter()
                .map(|&(y, r)| Circle::new((y, r), 2, BLUE.mix(0.6).filled())),
        )?;
        Ok(())
    }
}

/// `v`, or 0 where it is a rounding error away from 0 on an axis spanning `span` (plotters
/// steps its ticks from the range's start, so the middle one of ±r lands on ±1e-16).
fn exact_zero(v: f64, span: f64) -> f64 {
    if v.abs() < 1e-9 * span.abs() { 0.0 } else { v }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn residuals_are_the_prediction_less_the_target() {
        let residuals = Residuals::new(&[1.0, -1.0, 0.5], &[1.5, -1.0, 0.5]);
        assert_eq!(residuals.points, [(1.0, 0.5), (-1.0, 0.0), (0.5, 0.0)]);
        // √(0.25 / 3).
        assert!((residuals.rmse() - (0.25f64 / 3.0).sqrt()).abs() < 1e-15);
    }
}
