//! MNIST pictures: test digits with their predicted and true labels, the confusion matrix,
//! and the first layer's weights.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    BLUE, DrawResult, FONT, Figure, RED, SQUARE, Size, draw_title, label_font, tick_font,
    title_font,
};
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

/// The first layer's weights of an MNIST network as pictures: one 28 × 28 tile per hidden
/// unit, the weight of each pixel in a diverging colour map (blue negative, white 0, red
/// positive), each tile scaled to its own largest |w|: what each unit looks for.
#[derive(Clone, Debug)]
pub struct WeightGrid {
    /// `tiles[k]`: unit `k`'s 784 weights, row by row of the image.
    pub tiles: Vec<Vec<f64>>,
    /// Tiles per row.
    pub columns: usize,
    /// Title.
    pub title: String,
}

/// Colour levels on each side of 0 in a weight tile (few, so that equal neighbours merge
/// into one rectangle of the SVG).
const WEIGHT_LEVELS: usize = 3;
/// Pixels per weight.
const WEIGHT_SCALE: u32 = 3;

impl WeightGrid {
    /// Tiles from a first-layer weight matrix in burn's layout, `[784, n_hidden]` row-major.
    pub fn from_weights(weights: &[f64], hidden: usize, title: String) -> Self {
        let tiles = (0..hidden)
            .map(|k| {
                weights
                    .iter()
                    .skip(k)
                    .step_by(hidden.max(1))
                    .copied()
                    .collect()
            })
            .collect();
        Self {
            tiles,
            columns: if hidden > 32 { 16 } else { 8 },
            title,
        }
    }

    fn rows(&self) -> usize {
        self.tiles.len().div_ceil(self.columns.max(1))
    }
}

/// The room a tile takes, its frame and gap included.
const WEIGHT_CELL: u32 = SIDE as u32 * WEIGHT_SCALE + 10;

impl Figure for WeightGrid {
    fn name(&self) -> &'static str {
        "weights"
    }

    fn size(&self) -> Size {
        let columns = self.columns.max(1) as u32;
        (
            (columns * WEIGHT_CELL + 40).max(700),
            100 + self.rows() as u32 * WEIGHT_CELL,
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let (width, height) = self.size();
        draw_title(root, &self.title, width)?;
        let columns = self.columns.max(1);
        let left = (width - columns as u32 * WEIGHT_CELL) as i32 / 2 + 5;
        let side = (SIDE as u32 * WEIGHT_SCALE) as i32;
        let scale = WEIGHT_SCALE as i32;
        for (k, tile) in self.tiles.iter().enumerate() {
            let x = left + (k % columns) as i32 * WEIGHT_CELL as i32;
            let y = 56 + (k / columns) as i32 * WEIGHT_CELL as i32;
            let largest = tile
                .iter()
                .filter(|w| w.is_finite())
                .fold(0f64, |m, w| m.max(w.abs()))
                .max(f64::MIN_POSITIVE);
            // −WEIGHT_LEVELS (blue) … 0 (white) … WEIGHT_LEVELS (red).
            let level = |w: f64| {
                let t = (w / largest).clamp(-1.0, 1.0);
                if t.is_finite() {
                    (t * WEIGHT_LEVELS as f64).round() as i32
                } else {
                    0
                }
            };
            for (r, row) in tile.chunks(SIDE).enumerate() {
                let mut start = 0;
                for c in 1..=row.len() {
                    if c == row.len() || level(row[c]) != level(row[start]) {
                        let l = level(row[start]);
                        if l != 0 {
                            let target = if l < 0 { BLUE } else { RED };
                            let s = f64::from(l.abs()) / WEIGHT_LEVELS as f64;
                            let mix = |v: u8| (255.0 + (f64::from(v) - 255.0) * s).round() as u8;
                            root.draw(&Rectangle::new(
                                [
                                    (x + start as i32 * scale, y + r as i32 * scale),
                                    (x + c as i32 * scale, y + (r as i32 + 1) * scale),
                                ],
                                RGBColor(mix(target.0), mix(target.1), mix(target.2)).filled(),
                            ))?;
                        }
                        start = c;
                    }
                }
            }
            root.draw(&Rectangle::new(
                [(x - 1, y - 1), (x + side + 1, y + side + 1)],
                ShapeStyle::from(&BLACK.mix(0.25)).stroke_width(1),
            ))?;
        }
        root.draw(&Text::new(
            "blue negative, white 0, red positive; each tile scaled to its own largest |w|",
            (14, height as i32 - 30),
            tick_font(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_tile_is_one_hidden_units_column_of_weights() {
        // burn's layout [784, 3], row-major: w[i][k] = i·3 + k.
        let weights: Vec<f64> = (0..784 * 3).map(f64::from).collect();
        let grid = WeightGrid::from_weights(&weights, 3, String::new());
        assert_eq!(grid.tiles.len(), 3);
        for (k, tile) in grid.tiles.iter().enumerate() {
            assert_eq!(tile.len(), SIDE * SIDE);
            assert_eq!(tile[0], k as f64);
            assert_eq!(tile[783], (783 * 3 + k) as f64);
        }
    }
}
