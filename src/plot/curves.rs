//! Curves: loss and accuracy over a run, per-output costs, predictions against targets, the
//! engine comparison and the gradient check.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    BLUE, DrawResult, Figure, GREEN, ORANGE, RED, SERIES, Size, WIDE, label_font, legend, log_span,
    span, tick, tick_font, title_font,
};
use crate::compare::CompareRecord;
use crate::gradcheck::{self, GradcheckReport};

/// One named series of `(x, y)` points.
#[derive(Clone, Debug)]
pub struct Series {
    /// The legend entry.
    pub label: String,
    /// The points, in drawing order.
    pub points: Vec<(f64, f64)>,
    /// Drawn thin and pale, behind the others (raw minibatch losses under their mean).
    pub faint: bool,
}

impl Series {
    /// A series drawn in full colour.
    pub fn new(label: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            label: label.into(),
            points,
            faint: false,
        }
    }
}

/// A line chart: one or more series over a shared x axis, y linear or logarithmic.
#[derive(Clone, Debug)]
pub struct Lines {
    /// File stem.
    pub name: &'static str,
    /// Title.
    pub title: String,
    /// x-axis label.
    pub x_label: String,
    /// y-axis label.
    pub y_label: String,
    /// The series, drawn in [`SERIES`] colours.
    pub series: Vec<Series>,
    /// A logarithmic y axis (notebook 000 plots its loss with `logy=True`).
    pub log_y: bool,
    /// Fixed y range (e.g. `[0, 1]` for accuracies); `None` fits the data.
    pub y_range: Option<(f64, f64)>,
    /// Mark every point, not only the line (for short series such as 8 epochs).
    pub markers: bool,
    /// The series may coincide (the two engines): earlier ones are drawn wider, so that each
    /// stays visible under the next.
    pub overlapping: bool,
    /// Where the legend goes (where the curves are not).
    pub legend: SeriesLabelPosition,
}

impl Figure for Lines {
    fn name(&self) -> &'static str {
        self.name
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let points = || self.series.iter().flat_map(|s| s.points.iter());
        let (x0, x1) = span(points().map(|p| p.0), 0.0);
        // A log axis is drawn as log₁₀ y on a linear one, labelled with 10^v: the range, and
        // so what is drawn inside the frame, stays exactly the one computed here.
        let (transform, y0, y1): (fn(f64) -> f64, f64, f64) = if self.log_y {
            let (lo, hi) = self
                .y_range
                .unwrap_or_else(|| log_span(points().map(|p| p.1)));
            (f64::log10, lo.log10(), hi.log10())
        } else {
            let (lo, hi) = self
                .y_range
                .unwrap_or_else(|| span(points().map(|p| p.1), 0.05));
            (|v| v, lo, hi)
        };
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, title_font())
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(72)
            .build_cartesian_2d(x0..x1, y0..y1)?;
        let log_y = self.log_y;
        // On a log axis spanning decades only whole decades are labelled (10^4.5 = 31622.78
        // helps no one); within two decades every tick is, to two significant digits.
        let few_decades = y1 - y0 < 2.0;
        let y_tick = move |v: &f64| match (log_y, (v - v.round()).abs() < 1e-9) {
            (false, _) => tick(v),
            (true, true) => tick(&10f64.powi(v.round() as i32)),
            (true, false) if few_decades => tick(&significant(10f64.powf(*v), 2)),
            (true, false) => String::new(),
        };
        chart
            .configure_mesh()
            .x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str())
            .axis_desc_style(label_font())
            .label_style(tick_font())
            .x_label_formatter(&tick)
            .y_label_formatter(&y_tick)
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        let n = self.series.len();
        for (i, s) in self.series.iter().enumerate() {
            let colour = SERIES[i % SERIES.len()];
            let width = if self.overlapping {
                2 + 2 * (n - 1 - i) as u32
            } else {
                2
            };
            let style = if s.faint {
                ShapeStyle::from(&colour.mix(0.3)).stroke_width(1)
            } else {
                ShapeStyle::from(&colour).stroke_width(width)
            };
            let shown = s
                .points
                .iter()
                .filter(|p| p.1.is_finite() && (!self.log_y || p.1 > 0.0))
                .map(|&(x, y)| (x, transform(y).clamp(y0, y1)));
            chart
                .draw_series(LineSeries::new(shown.clone(), style))?
                .label(s.label.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
            if self.markers {
                chart.draw_series(
                    shown.map(|p| Circle::new(p, 4, ShapeStyle::from(&colour).filled())),
                )?;
            }
        }
        if n > 1 {
            legend(&mut chart, self.legend.clone())?;
        }
        Ok(())
    }
}

/// `value` rounded to `digits` significant digits.
fn significant(value: f64, digits: i32) -> f64 {
    if value == 0.0 || !value.is_finite() {
        return value;
    }
    let scale = 10f64.powi(digits - 1 - value.abs().log10().floor() as i32);
    (value * scale).round() / scale
}

/// Final predictions `ŷ` against the targets, one column per example and output (notebooks
/// 001 and 003 print them as arrays).
#[derive(Clone, Debug)]
pub struct Predictions {
    /// Title.
    pub title: String,
    /// One label per column, e.g. the inputs `[0, 1]`.
    pub labels: Vec<String>,
    /// The 0/1 targets.
    pub targets: Vec<f64>,
    /// The network's outputs.
    pub predictions: Vec<f64>,
}

impl Figure for Predictions {
    fn name(&self) -> &'static str {
        "predictions"
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let n = self.targets.len();
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, title_font())
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(60)
            .build_cartesian_2d((0..n.saturating_sub(1)).into_segmented(), -0.05f64..1.05)?;
        let labels = self.labels.clone();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_desc("example (inputs)")
            .y_desc("ŷ and y")
            .axis_desc_style(label_font())
            .label_style(tick_font())
            .y_label_formatter(&tick)
            .light_line_style(WHITE.mix(0.0))
            .x_labels(n)
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .draw()?;
        chart
            .draw_series(self.predictions.iter().enumerate().map(|(i, &p)| {
                let mut bar = Rectangle::new(
                    [
                        (SegmentValue::Exact(i), 0.0),
                        (SegmentValue::Exact(i + 1), p),
                    ],
                    BLUE.mix(0.6).filled(),
                );
                bar.set_margin(0, 0, 18, 18);
                bar
            }))?
            .label("prediction ŷ")
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], BLUE.mix(0.6).filled()));
        chart
            .draw_series(self.targets.iter().enumerate().map(|(i, &t)| {
                Cross::new(
                    (SegmentValue::CenterOf(i), t),
                    9,
                    ShapeStyle::from(&RED).stroke_width(3),
                )
            }))?
            .label("target y")
            .legend(|(x, y)| Cross::new((x + 8, y), 6, ShapeStyle::from(&RED).stroke_width(3)));
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(SegmentValue::Exact(0), 0.5), (SegmentValue::Exact(n), 0.5)],
            ShapeStyle::from(&BLACK.mix(0.5)).stroke_width(1),
        )))?;
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    }
}

/// `burnprop compare`: both engines' losses overlaid, and `|Δloss|` per step.
#[derive(Clone, Debug)]
pub struct EngineComparison {
    /// The preset, for the title.
    pub preset: String,
    /// Every step of `compare.csv`.
    pub records: Vec<CompareRecord>,
    /// A logarithmic loss axis (circles).
    pub log_y: bool,
}

impl Figure for EngineComparison {
    fn name(&self) -> &'static str {
        "compare"
    }

    fn size(&self) -> Size {
        (WIDE.0, 700)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let (top, bottom) = root.split_vertically(400);
        let losses = Lines {
            name: "compare",
            title: format!("{}: the two engines' losses", self.preset),
            x_label: "step".to_string(),
            y_label: "loss".to_string(),
            series: vec![
                Series::new(
                    "autodiff engine",
                    self.records
                        .iter()
                        .map(|r| (r.step as f64, r.loss_autodiff))
                        .collect(),
                ),
                Series::new(
                    "manual engine",
                    self.records
                        .iter()
                        .map(|r| (r.step as f64, r.loss_manual))
                        .collect(),
                ),
            ],
            log_y: self.log_y,
            y_range: None,
            markers: false,
            overlapping: true,
            legend: SeriesLabelPosition::UpperRight,
        };
        losses.draw(&top)?;

        // |Δloss| is often exactly 0 (the same f32); a log axis shows the non-zero ones.
        let deltas: Vec<(f64, f64)> = self
            .records
            .iter()
            .filter(|r| r.delta_loss() > 0.0)
            .map(|r| (r.step as f64, r.relative_delta_loss()))
            .collect();
        let x1 = self.records.last().map_or(1.0, |r| r.step.max(1) as f64);
        let (y0, y1) = log_span(deltas.iter().map(|p| p.1));
        let mut chart = ChartBuilder::on(&bottom)
            .caption(
                "relative |Δloss| per step (steps with Δ = 0 not shown)",
                label_font(),
            )
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(72)
            .build_cartesian_2d(0f64..x1, (y0..y1).log_scale())?;
        chart
            .configure_mesh()
            .x_desc("step")
            .y_desc("|Δloss| / loss")
            .axis_desc_style(label_font())
            .label_style(tick_font())
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        chart.draw_series(
            deltas
                .iter()
                .map(|&p| Circle::new(p, 2, ShapeStyle::from(&GREEN).filled())),
        )?;
        Ok(())
    }
}

/// The gradient check: relative error of each parameter tensor's gradients on a log axis,
/// over the pass, warn and fail bands.
#[derive(Clone, Debug)]
pub struct GradientCheck {
    /// The preset, for the title.
    pub preset: String,
    /// `burnprop gradcheck`'s report.
    pub report: GradcheckReport,
}

impl Figure for GradientCheck {
    fn name(&self) -> &'static str {
        "gradcheck"
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let tensors = &self.report.tensors;
        let n = tensors.len();
        // Errors of exactly 0 sit at the bottom of the axis.
        const FLOOR: f64 = 1e-17;
        let (y0, y1) = (FLOOR, 1.0);
        let pass = self.report.pass_below;
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!("{}: gradients against finite differences", self.preset),
                title_font(),
            )
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(72)
            .build_cartesian_2d(0f64..n as f64, (y0..y1).log_scale())?;
        let names: Vec<String> = tensors.iter().map(|t| t.name.clone()).collect();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n * 2 + 1)
            .x_label_formatter(&|v| {
                let i = v - 0.5;
                if i >= 0.0 && i.fract().abs() < 1e-9 {
                    names.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .x_desc("parameter tensor")
            .y_desc("relative error")
            .axis_desc_style(label_font())
            .label_style(tick_font())
            .y_label_formatter(&tick)
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        let band = |lo: f64, hi: f64, colour: RGBColor| {
            Rectangle::new([(0.0, lo), (n as f64, hi)], colour.mix(0.12).filled())
        };
        chart
            .draw_series(std::iter::once(band(y0, pass, GREEN)))?
            .label(format!("pass (≤ {pass:e})"))
            .legend(|(x, y)| {
                Rectangle::new([(x, y - 5), (x + 16, y + 5)], GREEN.mix(0.3).filled())
            });
        chart
            .draw_series(std::iter::once(band(pass, gradcheck::FAIL_ABOVE, ORANGE)))?
            .label("warn")
            .legend(|(x, y)| {
                Rectangle::new([(x, y - 5), (x + 16, y + 5)], ORANGE.mix(0.3).filled())
            });
        chart
            .draw_series(std::iter::once(band(gradcheck::FAIL_ABOVE, y1, RED)))?
            .label(format!("fail (> {:e})", gradcheck::FAIL_ABOVE))
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], RED.mix(0.3).filled()));
        let bars = |offset: f64, value: fn(&gradcheck::TensorCheck) -> f64, colour: RGBColor| {
            tensors.iter().enumerate().map(move |(i, t)| {
                let x = i as f64 + offset;
                Rectangle::new([(x, y0), (x + 0.3, value(t).max(FLOOR))], colour.filled())
            })
        };
        chart
            .draw_series(bars(0.2, |t| t.manual.rel, BLUE))?
            .label("manual vs numeric")
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], BLUE.filled()));
        chart
            .draw_series(bars(0.5, |t| t.autodiff.rel, ORANGE))?
            .label("autodiff vs numeric")
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], ORANGE.filled()));
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    }
}
