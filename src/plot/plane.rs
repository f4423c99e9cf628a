//! The input plane of a network on 2-D inputs, whatever its data: the square the data lie in,
//! a grid over it evaluated in one batched forward pass, and heat maps drawn as rectangles
//! (TensorFlow Playground's pictures, `src/heatmap.ts` there).

use burn::tensor::{Device, Tensor};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{BLUE, DrawResult, ORANGE, SERIES};
use crate::data::Examples;
use crate::data::features::{self, Feature};
use crate::tensor::{Precision, host_tensor};

/// Colour levels of a heat map: few enough that equal neighbours merge into one rectangle (a
/// small SVG, a GIF that compresses), enough that the shading reads as continuous.
pub const LEVELS: usize = 15;

/// A square region of the input plane, `centre ± half` along both axes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Square {
    /// `(x₁, x₂)` at the centre.
    pub centre: (f64, f64),
    /// Half the side.
    pub half: f64,
}

impl Square {
    /// The square around `examples`' first two inputs, with a margin of a quarter of its
    /// half-side (notebook 000's ±1.5 for the circles, −0.125…1.125 for XOR's corners).
    pub fn around(examples: &Examples) -> Self {
        let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
        for e in examples.iter() {
            for k in 0..2 {
                let v = e.x.get(k).copied().unwrap_or(0.0);
                if v.is_finite() {
                    lo[k] = lo[k].min(v);
                    hi[k] = hi[k].max(v);
                }
            }
        }
        if !(lo[0].is_finite() && lo[1].is_finite()) {
            return Self {
                centre: (0.0, 0.0),
                half: 1.0,
            };
        }
        let half = ((hi[0] - lo[0]).max(hi[1] - lo[1]) / 2.0).max(1e-6) * 1.25;
        Self {
            centre: ((lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0),
            half,
        }
    }

    /// The `x₁` range.
    pub fn x(&self) -> std::ops::Range<f64> {
        self.centre.0 - self.half..self.centre.0 + self.half
    }

    /// The `x₂` range.
    pub fn y(&self) -> std::ops::Range<f64> {
        self.centre.1 - self.half..self.centre.1 + self.half
    }

    /// The centre of cell `i` of `n` along an axis starting at `from`.
    fn at(&self, from: f64, i: usize, n: usize) -> f64 {
        from + 2.0 * self.half * (i as f64 + 0.5) / n as f64
    }

    /// The centres of an `n × n` grid of cells, `x₁` varying fastest, as one batch of the
    /// network's inputs (see [`inputs`]), `[n², features]`.
    pub fn grid(
        &self,
        n: usize,
        features: &[Feature],
        precision: Precision,
        device: &Device,
    ) -> Tensor<2> {
        let (x0, y0) = (self.x().start, self.y().start);
        let points =
            (0..n).flat_map(|j| (0..n).map(move |i| [self.at(x0, i, n), self.at(y0, j, n)]));
        inputs(points, features, precision, device)
    }
}

/// Points of the input plane as one batch of the network's inputs, `[points, features]`: each
/// point mapped by the run's `--features` ([`data::features`](crate::data::features); the
/// identity `x1,x2` without them), as the training examples were.
pub fn inputs(
    points: impl Iterator<Item = [f64; 2]>,
    features: &[Feature],
    precision: Precision,
    device: &Device,
) -> Tensor<2> {
    let values: Vec<f64> = points.flat_map(|p| features::map(features, p)).collect();
    let rows = values.len() / features.len().max(1);
    host_tensor(values, [rows, features.len()], precision, device)
}

/// The colour of class `k`: blue and orange for the first two (the notebooks' and the
/// Playground's), then the other [`SERIES`] colours, in turn.
pub fn class_colour(k: usize) -> RGBColor {
    SERIES[k % SERIES.len()]
}

/// The class of a target: the hot column of a one-hot row, or 1 for a single target above 0.5.
pub fn class(values: &[f64]) -> usize {
    match values {
        [single] => usize::from(*single > 0.5),
        _ => argmax(values),
    }
}

/// The class a network predicts from its logits: the first largest one, or 1 for a single
/// output whose logit is positive (a sigmoid above 0.5, a margin on the positive side).
pub fn predicted(logits: &[f64]) -> usize {
    match logits {
        [single] => usize::from(*single > 0.0),
        _ => argmax(logits),
    }
}

/// The index of the first largest entry (numpy's and burn's `argmax`).
fn argmax(values: &[f64]) -> usize {
    values
        .iter()
        .enumerate()
        .fold(None, |best: Option<(usize, f64)>, (k, &v)| match best {
            Some((_, b)) if b >= v => best,
            _ => Some((k, v)),
        })
        .map_or(0, |(k, _)| k)
}

/// How values map to colours: `mid` is white, `lo` full blue (class 0), `hi` full orange
/// (class 1), in [`LEVELS`] steps.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scale {
    /// Drawn fully blue (and anything below).
    pub lo: f64,
    /// Drawn white.
    pub mid: f64,
    /// Drawn fully orange (and anything above).
    pub hi: f64,
}

impl Scale {
    /// White at 0, full blue at −m and full orange at m, `m` the largest finite |value| (a
    /// regression's targets and outputs).
    pub fn symmetric(values: impl Iterator<Item = f64>) -> Self {
        let m = values
            .filter(|v| v.is_finite())
            .fold(0f64, |m, v| m.max(v.abs()))
            .max(1e-12);
        Self {
            lo: -m,
            mid: 0.0,
            hi: m,
        }
    }

    /// The level of `v`, `0..LEVELS`, `LEVELS / 2` being white.
    pub fn level(&self, v: f64) -> usize {
        let half = (LEVELS / 2) as f64;
        let t = if v < self.mid {
            -((self.mid - v) / (self.mid - self.lo).max(f64::MIN_POSITIVE))
        } else {
            (v - self.mid) / (self.hi - self.mid).max(f64::MIN_POSITIVE)
        };
        if t.is_finite() {
            (half + (t.clamp(-1.0, 1.0) * half).round()) as usize
        } else {
            LEVELS / 2
        }
    }
}

/// The colour of a level: white at the middle, blue below, orange above, at most `strength`
/// of the full colour.
pub fn level_colour(level: usize, strength: f64) -> RGBColor {
    let half = (LEVELS / 2) as f64;
    let t = (level as f64 - half) / half;
    let target = if t < 0.0 { BLUE } else { ORANGE };
    tint(target, t.abs() * strength)
}

/// `colour` at `strength` (0: white, 1: itself) over white.
pub fn tint(colour: RGBColor, strength: f64) -> RGBColor {
    let mix = |c: u8| (255.0 + (f64::from(c) - 255.0) * strength).round() as u8;
    RGBColor(mix(colour.0), mix(colour.1), mix(colour.2))
}

/// Draws an `n × n` grid of levels (row `j` is `x₂`'s `j`-th cell, bottom up) filling `area`,
/// one rectangle per run of equal levels along a row; white runs are left to the background.
pub fn heat_map<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    levels: &[usize],
    n: usize,
    strength: f64,
) -> DrawResult<DB> {
    paint(area, levels, n, |level| {
        (level != LEVELS / 2).then(|| level_colour(level, strength))
    })
}

/// Draws an `n × n` grid of cells (row `j` is `x₂`'s `j`-th cell, bottom up) filling `area`,
/// one rectangle per run of equal cells along a row, each in `colour` of its value; a run
/// without a colour is left to the background.
pub fn paint<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    cells: &[usize],
    n: usize,
    colour: impl Fn(usize) -> Option<RGBColor>,
) -> DrawResult<DB> {
    let (w, h) = area.dim_in_pixel();
    let x = |i: usize| (i * w as usize / n) as i32;
    let y = |j: usize| h as i32 - (j * h as usize / n) as i32;
    for (j, row) in cells.chunks(n).enumerate() {
        let mut start = 0;
        for i in 1..=row.len() {
            if i == row.len() || row[i] != row[start] {
                if let Some(colour) = colour(row[start]) {
                    area.draw(&Rectangle::new(
                        [(x(start), y(j + 1)), (x(i), y(j))],
                        colour.filled(),
                    ))?;
                }
                start = i;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_square_holds_the_data_with_a_margin() {
        let corners = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
        let corners = Examples::of_rows(corners.iter().map(|x| (&x[..], &[0.0][..])));
        let square = Square::around(&corners);
        // Half-side 0.5 · 1.25 around (0.5, 0.5): exact in binary.
        assert_eq!(square.x(), -0.125..1.125);
        assert_eq!(square.y(), -0.125..1.125);
    }

    #[test]
    fn levels_run_from_blue_through_white_to_orange() {
        let scale = Scale {
            lo: 0.0,
            mid: 0.5,
            hi: 1.0,
        };
        assert_eq!(scale.level(0.0), 0);
        assert_eq!(scale.level(0.5), LEVELS / 2);
        assert_eq!(scale.level(1.0), LEVELS - 1);
        assert_eq!(scale.level(7.0), LEVELS - 1, "clamped");
        assert_eq!(scale.level(f64::NAN), LEVELS / 2);
        assert_eq!(level_colour(LEVELS / 2, 1.0), WHITE);
        assert_eq!(level_colour(0, 1.0), BLUE);
        assert_eq!(level_colour(LEVELS - 1, 1.0), ORANGE);
        assert_eq!(class(&[0.7]), 1);
        assert_eq!(class(&[0.2, 0.8]), 1);
    }
}
