//! MNIST pictures: test digits with their predicted and true labels, and the confusion matrix.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{BLUE, DrawResult, FONT, Figure, RED, SQUARE, Size, label_font, tick_font, title_font};
use crate::eval::Confusion;

/// Side of an MNIST image.
const SIDE: usize = 28;

/// One test image, what it is and what the network said.
#[derive(Clone, Debug)]
pub struct Digit {
    /// 28 × 28 grey levels, row by row, 0 = background.
    pub pixels: Vec<u8>,
    /// The label.
    pub truth: String,
    /// The network's class.
    pub predicted: String,
}

/// A grid of test digits, misclassified ones framed in red.
#[derive(Clone, Debug)]
pub struct DigitGrid {
    /// The digits, row by row.
    pub digits: Vec<Digit>,
    /// Digits per row.
    pub columns: usize,
    /// What the grid shows, for the title.
    pub title: String,
}

impl Figure for DigitGrid {
    fn name(&self) -> &'static str {
        "digits"
    }

    fn size(&self) -> Size {
        let rows = self.digits.len().div_ceil(self.columns.max(1)) as u32;
        (800, 70 + rows * 120)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let root = root.titled(&self.title, title_font())?;
        let columns = self.columns.max(1);
        let rows = self.digits.len().div_ceil(columns);
        let cells = root.split_evenly((rows, columns));
        for (cell, digit) in cells.iter().zip(&self.digits) {
            let (w, h) = cell.dim_in_pixel();
            let scale = ((h as i32 - 34).min(w as i32 - 8) / SIDE as i32).max(1);
            let size = scale * SIDE as i32;
            let left = (w as i32 - size) / 2;
            let top = 4;
            // Only the ink is drawn, one square per pixel: small SVGs, exact PNGs.
            for (i, &v) in digit.pixels.iter().enumerate() {
                if v == 0 {
                    continue;
                }
                let (r, c) = ((i / SIDE) as i32, (i % SIDE) as i32);
                let grey = 255 - v;
                cell.draw(&Rectangle::new(
                    [
                        (left + c * scale, top + r * scale),
                        (left + (c + 1) * scale, top + (r + 1) * scale),
                    ],
                    RGBColor(grey, grey, grey).filled(),
                ))?;
            }
            let wrong = digit.truth != digit.predicted;
            let frame = if wrong {
                ShapeStyle::from(&RED).stroke_width(3)
            } else {
                ShapeStyle::from(&BLACK.mix(0.25)).stroke_width(1)
            };
            cell.draw(&Rectangle::new(
                [(left - 2, top - 2), (left + size + 2, top + size + 2)],
                frame,
            ))?;
            let text = format!("pred {}  (true {})", digit.predicted, digit.truth);
            let style = if wrong {
                (FONT, 14).into_font().style(FontStyle::Bold).color(&RED)
            } else {
                tick_font()
            };
            cell.draw(&Text::new(text, (left - 6, top + size + 8), style))?;
        }
        Ok(())
    }
}

/// The confusion matrix as a heat map: rows are true classes, columns predicted ones, each
/// cell shaded by the share of its row.
#[derive(Clone, Debug)]
pub struct ConfusionMap {
    /// The counts.
    pub confusion: Confusion,
    /// Title.
    pub title: String,
}

impl Figure for ConfusionMap {
    fn name(&self) -> &'static str {
        "confusion"
    }

    fn size(&self) -> Size {
        (SQUARE.0 + 40, SQUARE.1 + 40)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let classes = &self.confusion.classes;
        let n = classes.len();
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, title_font())
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(56)
            // A segmented range `0..m` has the m + 1 segments 0..=m.
            .build_cartesian_2d(
                (0..n.saturating_sub(1)).into_segmented(),
                (0..n.saturating_sub(1)).into_segmented(),
            )?;
        // Row 0 at the top, as a printed matrix: true class t sits at y = n − 1 − t.
        let name = |v: &SegmentValue<usize>, flip: bool| match v {
            SegmentValue::CenterOf(k) => {
                let k = if flip { n.checked_sub(1 + k) } else { Some(*k) };
                k.and_then(|k| classes.get(k).cloned()).unwrap_or_default()
            }
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(n)
            .y_labels(n)
            .x_label_formatter(&|v| name(v, false))
            .y_label_formatter(&|v| name(v, true))
            .x_desc("predicted")
            .y_desc("true")
            .axis_desc_style(label_font())
            .label_style(tick_font())
            .draw()?;
        let centred = Pos::new(HPos::Center, VPos::Center);
        for (t, row) in self.confusion.counts.iter().enumerate() {
            let support = row.iter().sum::<usize>().max(1) as f64;
            let y = n - 1 - t;
            for (p, &count) in row.iter().enumerate() {
                let share = count as f64 / support;
                let fill = if t == p {
                    BLUE.mix(0.15 + 0.85 * share)
                } else {
                    // Mistakes in red, visible even when rare.
                    RED.mix(if count == 0 {
                        0.0
                    } else {
                        0.15 + 0.85 * share.sqrt()
                    })
                };
                chart.draw_series(std::iter::once(Rectangle::new(
                    [
                        (SegmentValue::Exact(p), SegmentValue::Exact(y)),
                        (SegmentValue::Exact(p + 1), SegmentValue::Exact(y + 1)),
                    ],
                    fill.filled(),
                )))?;
                if count > 0 {
                    let colour = if share > 0.5 { WHITE } else { BLACK };
                    let style = (FONT, if n > 5 { 13 } else { 20 })
                        .into_font()
                        .color(&colour)
                        .pos(centred);
                    chart.draw_series(std::iter::once(Text::new(
                        count.to_string(),
                        (SegmentValue::CenterOf(p), SegmentValue::CenterOf(y)),
                        style,
                    )))?;
                }
            }
        }
        Ok(())
    }
}
