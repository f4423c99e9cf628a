//! What each unit of a network on 2-D inputs computes, as TensorFlow Playground draws it: every
//! hidden unit's activation, and the output, as a small heat map over the input plane, one
//! column per layer.

use burn::tensor::Device;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::plane::{Scale, Square, heat_map, predicted};
use super::{DrawResult, Figure, Size, draw_title, label_font, tick_font};
use crate::data::Feature;
use crate::error::Result;
use crate::loss::OutputActivation;
use crate::model::Mlp;
use crate::model::activation::Activation;
use crate::tensor::{Precision, host_values};

/// Grid cells along each side of a unit's picture.
const CELLS: usize = 40;
/// Units drawn per layer; wider layers show their first ones.
const MAX_UNITS: usize = 32;
/// Units stacked in one column; a wider layer takes several columns side by side.
const PER_COLUMN: usize = 8;
/// Side of a unit's picture, in pixels.
const TILE: u32 = 96;
/// Horizontal room per column of units.
const COLUMN: u32 = 112;
/// The least horizontal room of a layer (its heading's).
const LAYER: u32 = 170;
/// Vertical room per unit.
const ROW: u32 = TILE + 24;
/// Above the first row: the title and the layer names.
const HEAD: u32 = 90;
/// Below the last row: the colour key.
const FOOT: u32 = 48;

/// One layer's column: its name and each shown unit's levels on the grid.
#[derive(Clone, Debug)]
struct Column {
    title: String,
    units: Vec<Vec<usize>>,
    width: usize,
}

/// How the output layer's values are coloured, and what the figures call them: the sigmoid
/// and softmax outputs are probabilities (white at 0.5), an identity output is spread over its
/// own range.
pub fn output_scale(output: OutputActivation, values: &[f64]) -> Scale {
    match output {
        OutputActivation::Sigmoid | OutputActivation::Softmax => Scale {
            lo: 0.0,
            mid: 0.5,
            hi: 1.0,
        },
        // A linear output (the hinge's score, a regression) is white at 0, the hinge's
        // decision boundary, and spread over its largest |value|.
        OutputActivation::Identity => {
            let m = largest_magnitude(values);
            Scale {
                lo: -m,
                mid: 0.0,
                hi: m,
            }
        }
    }
}

/// The largest finite |value| (at least a tiny positive number, so a scale never collapses).
fn largest_magnitude(values: &[f64]) -> f64 {
    values
        .iter()
        .filter(|v| v.is_finite())
        .fold(0f64, |m, v| m.max(v.abs()))
        .max(1e-12)
}

/// A hidden activation's colours: a sigmoid's 0.5 and the others' 0 are white; bounded
/// activations use their whole range, unbounded ones the largest |value| in the layer.
fn hidden_scale(activation: Activation, values: &[f64]) -> Scale {
    let symmetric = |m: f64| Scale {
        lo: -m,
        mid: 0.0,
        hi: m,
    };
    match activation {
        Activation::Sigmoid => Scale {
            lo: 0.0,
            mid: 0.5,
            hi: 1.0,
        },
        Activation::Tanh => symmetric(1.0),
        Activation::Relu | Activation::Identity => symmetric(largest_magnitude(values)),
    }
}

/// The last output unit over an `n × n` grid of `square` (`P(class 1)` for a two-class
/// softmax or a sigmoid output), with its colour scale.
pub fn output_field(
    model: &Mlp,
    square: &Square,
    n: usize,
    features: &[Feature],
    precision: Precision,
    device: &Device,
) -> Result<(Vec<f64>, Scale)> {
    let outputs = model.forward(square.grid(n, features, precision, device)); // [n², n_L]
    let [_, width] = outputs.dims();
    let values: Vec<f64> = host_values(outputs)?
        .chunks(width.max(1))
        .map(|o| o.last().copied().unwrap_or(0.0))
        .collect();
    let scale = output_scale(model.output, &values);
    Ok((values, scale))
}

/// The class `model` predicts ([`predicted`]: the largest output) at each cell of an `n × n`
/// grid of `square`, each point mapped to `features`.
pub fn class_field(
    model: &Mlp,
    square: &Square,
    n: usize,
    features: &[Feature],
    precision: Precision,
    device: &Device,
) -> Result<Vec<usize>> {
    let logits = model.forward_logits(square.grid(n, features, precision, device)); // [n², n_L]
    let [_, width] = logits.dims();
    Ok(host_values(logits)?
        .chunks(width.max(1))
        .map(predicted)
        .collect())
}

/// Every hidden unit's activation and the output over the input plane.
#[derive(Clone, Debug)]
pub struct Neurons {
    title: String,
    columns: Vec<Column>,
}

impl Neurons {
    /// Evaluates `model` over `square` of the input plane in one forward pass, each point
    /// mapped to `features`.
    pub fn new(
        model: &Mlp,
        square: &Square,
        title: String,
        features: &[Feature],
        precision: Precision,
        device: &Device,
    ) -> Result<Self> {
        let grid = square.grid(CELLS, features, precision, device);
        let layers = model.layers.len();
        let mut columns = Vec::with_capacity(layers);
        for (l, z) in model.pre_activations(grid).into_iter().enumerate() {
            let [_, width] = z.dims();
            let (a, name) = match model.hidden_activations.get(l) {
                Some(g) => (g.apply(z), format!("layer {} ({})", l + 1, g.name())),
                None => (
                    model.output.apply(z),
                    format!("output ({})", model.output.name()),
                ),
            };
            let values = host_values(a)?; // [CELLS², width]
            let scale = match model.hidden_activations.get(l) {
                Some(g) => hidden_scale(*g, &values),
                None => output_scale(model.output, &values),
            };
            let units = (0..width.min(MAX_UNITS))
                .map(|k| {
                    values
                        .iter()
                        .skip(k)
                        .step_by(width.max(1))
                        .map(|&v| scale.level(v))
                        .collect()
                })
                .collect();
            columns.push(Column {
                title: name,
                units,
                width,
            });
        }
        Ok(Self { title, columns })
    }

    /// Each layer's horizontal room: its columns of units, or its heading's if wider.
    fn layer_widths(&self) -> Vec<u32> {
        self.columns
            .iter()
            .map(|c| (c.units.len().div_ceil(PER_COLUMN) as u32 * COLUMN).max(LAYER))
            .collect()
    }
}

impl Figure for Neurons {
    fn name(&self) -> &'static str {
        "neurons"
    }

    fn size(&self) -> Size {
        let rows = self
            .columns
            .iter()
            .map(|c| c.units.len().min(PER_COLUMN))
            .max()
            .unwrap_or(1) as u32;
        let layers: u32 = self.layer_widths().iter().sum();
        ((60 + layers).max(560), HEAD + rows * ROW + FOOT)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let (width, height) = self.size();
        let centred = Pos::new(HPos::Center, VPos::Top);
        draw_title(root, &self.title, width)?;
        let widths = self.layer_widths();
        let mut left = (width - widths.iter().sum::<u32>()) / 2;
        for (column, room) in self.columns.iter().zip(widths) {
            let blocks = column.units.len().div_ceil(PER_COLUMN) as u32;
            let first = left + (room - blocks * COLUMN) / 2;
            let mut heading = column.title.clone();
            if column.width > column.units.len() {
                heading = format!("{heading}, {} of {}", column.units.len(), column.width);
            }
            root.draw(&Text::new(
                heading,
                ((left + room / 2) as i32, HEAD as i32 - 34),
                label_font().pos(centred),
            ))?;
            left += room;
            for (k, levels) in column.units.iter().enumerate() {
                let block = (k / PER_COLUMN) as u32;
                let x = (first + block * COLUMN + (COLUMN - TILE) / 2) as i32;
                let middle = x + TILE as i32 / 2;
                let y = (HEAD + (k % PER_COLUMN) as u32 * ROW) as i32;
                let tile = root.clone().shrink((x, y), (TILE, TILE));
                heat_map(&tile, levels, CELLS, 0.9)?;
                root.draw(&Rectangle::new(
                    [(x, y), (x + TILE as i32, y + TILE as i32)],
                    ShapeStyle::from(&BLACK.mix(0.35)).stroke_width(1),
                ))?;
                root.draw(&Text::new(
                    format!("unit {}", k + 1),
                    (middle, y + TILE as i32 + 3),
                    tick_font().pos(centred),
                ))?;
            }
        }
        for (i, line) in [
            "each square: one unit's activation over the input plane (x₁ across, x₂ up)",
            "blue low, white at 0.5 (sigmoid, softmax) or 0 (relu, tanh, a linear output), orange high",
        ]
        .into_iter()
        .enumerate()
        {
            root.draw(&Text::new(
                line,
                (12, height as i32 - FOOT as i32 + 4 + 18 * i as i32),
                tick_font(),
            ))?;
        }
        Ok(())
    }
}
