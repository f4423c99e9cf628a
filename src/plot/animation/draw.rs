//! One frame of `training.gif` drawn: the input plane coloured by the network's output with
//! the training points over it, and the loss curve up to the frame's step.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Animation, CELLS, Frame};
use crate::plot::plane::{class_colour, heat_map, paint, tint};
use crate::plot::{
    BLUE, DrawResult, RED, Size, label_font, log_span, span, tick, tick_font, title_font,
};

/// The GIF's size: the input plane on the left, the loss on the right.
pub(super) const SIZE: Size = (840, 420);
/// How much of the class colour the regions get (the points get all of it).
const STRENGTH: f64 = 0.55;

/// A loss in a title: four significant digits or one decimal, whichever says more.
fn short(loss: f64) -> String {
    if loss.abs() >= 1000.0 {
        format!("{loss:.1}")
    } else {
        format!("{loss:.4}")
    }
}

impl Animation {
    /// Draws `frame`: the input plane coloured by the output, the points, and the loss so far.
    pub(super) fn draw<DB: DrawingBackend>(
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
        let area = plane.plotting_area().strip_coord_spec();
        if self.classes {
            // Each class's region in its colour, as the decision-boundary figure draws them.
            paint(&area, &frame.levels, CELLS, |k| {
                Some(tint(class_colour(k), STRENGTH))
            })?;
        } else {
            heat_map(&area, &frame.levels, CELLS, STRENGTH)?;
        }
        // A few points (XOR's four) are drawn large; every point has a white rim, so that it
        // stands out from a region of its own colour.
        let radius = if self.points.len() <= 50 { 7 } else { 3 };
        plane.draw_series(
            self.points
                .iter()
                .map(|&(p, colour)| Circle::new((p[0], p[1]), radius, colour.filled())),
        )?;
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
