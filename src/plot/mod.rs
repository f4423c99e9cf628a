//! The notebooks' figures, drawn with plotters from a run directory's saved artifacts.
//!
//! Every figure is a [`Figure`]: a name, a size, and a `draw` on any plotters backend, so one
//! drawing makes both the PNG (plotters' bitmap backend, encoded by `image`) and the SVG. Text
//! is set in DejaVu Sans, embedded in the binary and rendered with ab_glyph: nothing is read
//! from the system, so the figures look the same everywhere.
//!
//! [`plot_run`] redraws every figure a run directory supports without retraining: the loss and
//! accuracy from `history.csv`, the network's pictures from `model.bpk` and the data its
//! `config.json` describes (drawn again from the seed, or read from MNIST's files), the engine
//! comparison from `compare.csv`, the gradient check from `gradcheck.json`.

pub mod animation;
pub mod circles;
pub mod curves;
pub mod digits;
pub mod neurons;
pub mod plane;
pub mod regression;
pub mod run;

use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontStyle, register_font};

use crate::artifacts::write_atomic;
use crate::error::{Error, Result};

pub use animation::{Animated, Recorder, animate_run, save_animation};
pub use run::{Plotted, plot_run};

/// The family every figure's text is set in.
pub const FONT: &str = "sans-serif";

/// Class 0 (matplotlib's first colour, as in the notebooks' plots).
pub const BLUE: RGBColor = RGBColor(31, 119, 180);
/// Class 1.
pub const ORANGE: RGBColor = RGBColor(255, 127, 14);
/// A third series.
pub const GREEN: RGBColor = RGBColor(44, 160, 44);
/// A fourth series, and mistakes.
pub const RED: RGBColor = RGBColor(214, 39, 40);
/// The colours of successive series.
pub const SERIES: [RGBColor; 6] = [
    BLUE,
    ORANGE,
    GREEN,
    RED,
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

/// The width and height of a figure, in pixels (PNG) and user units (SVG).
pub type Size = (u32, u32);

/// The size of a one-panel figure, as a README shows it.
pub const WIDE: Size = (800, 450);
/// The size of a square figure (scatter plots, the confusion matrix).
pub const SQUARE: Size = (600, 600);

/// Something drawn from a run's artifacts.
pub trait Figure {
    /// The file stem: `loss` becomes `loss.png` and `loss.svg`.
    fn name(&self) -> &'static str;

    /// The size in pixels.
    fn size(&self) -> Size {
        WIDE
    }

    /// Draws the figure on `root`, a white canvas of [`Figure::size`].
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB>;
}

/// The result of drawing on a backend.
pub type DrawResult<DB> =
    std::result::Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Draws a figure's `title` centred at its top, for a figure `width` pixels wide.
fn draw_title<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    width: u32,
) -> DrawResult<DB> {
    let centred = Pos::new(HPos::Center, VPos::Top);
    root.draw(&Text::new(
        title,
        (width as i32 / 2, 12),
        title_font().pos(centred),
    ))
}

/// Registers the embedded fonts with plotters (once per process).
fn register_fonts() {
    static FONTS: Once = Once::new();
    FONTS.call_once(|| {
        // The bytes are a valid TrueType font shipped by the dejavu crate; a failure here
        // would only mean text is not drawn, which the figure tests would catch.
        let _ = register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
        let _ = register_font(FONT, FontStyle::Italic, dejavu::sans::oblique());
    });
}

/// Draws `figure` into `dir` as `NAME.png` and `NAME.svg`, each written atomically; returns
/// the two paths.
pub fn save<F: Figure>(figure: &F, dir: &Path) -> Result<[PathBuf; 2]> {
    register_fonts();
    let (width, height) = figure.size();
    let failed = |e: String| Error::Plot {
        figure: figure.name(),
        reason: e,
    };

    let mut pixels = vec![0u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| failed(e.to_string()))?;
        figure.draw(&root).map_err(|e| failed(e.to_string()))?;
        root.present().map_err(|e| failed(e.to_string()))?;
    }
    let png_path = dir.join(format!("{}.png", figure.name()));
    write_atomic(
        &png_path,
        &encode_png(pixels, (width, height)).map_err(failed)?,
    )?;

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| failed(e.to_string()))?;
        figure.draw(&root).map_err(|e| failed(e.to_string()))?;
        root.present().map_err(|e| failed(e.to_string()))?;
    }
    let svg_path = dir.join(format!("{}.svg", figure.name()));
    write_atomic(&svg_path, svg.as_bytes())?;
    Ok([png_path, svg_path])
}

/// An RGB buffer as PNG bytes.
fn encode_png(pixels: Vec<u8>, (width, height): Size) -> std::result::Result<Vec<u8>, String> {
    let image = image::RgbImage::from_raw(width, height, pixels)
        .ok_or_else(|| "the pixel buffer does not match the figure's size".to_string())?;
    let mut bytes = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut bytes, image::ImageFormat::Png)
        .map_err(|e| e.to_string())?;
    Ok(bytes.into_inner())
}

/// Draws the legend of `chart`'s labelled series at `position`, as every figure does.
pub fn legend<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> DrawResult<DB>
where
    DB: DrawingBackend + 'a,
    CT: CoordTranslate,
{
    chart
        .configure_series_labels()
        .label_font(tick_font())
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.3))
        .position(position)
        .draw()
}

/// The title style of every figure.
pub fn title_font() -> TextStyle<'static> {
    (FONT, 22).into_font().style(FontStyle::Bold).color(&BLACK)
}

/// Axis labels.
pub fn label_font() -> TextStyle<'static> {
    (FONT, 16).into_font().color(&BLACK)
}

/// Tick labels and legends.
pub fn tick_font() -> TextStyle<'static> {
    (FONT, 13).into_font().color(&BLACK)
}

/// A tick label: integers as integers, small and large magnitudes in scientific notation,
/// anything else with at most three decimals.
pub fn tick(value: &f64) -> String {
    let v = *value;
    let a = v.abs();
    if a == 0.0 {
        "0".to_string()
    } else if !(1e-3..1e6).contains(&a) {
        format!("{v:.0e}")
    } else if (v - v.round()).abs() <= 1e-9 * a.max(1.0) {
        format!("{}", v.round() as i64)
    } else {
        let text = format!("{v:.3}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// The range `[lo, hi]` of finite values, widened by `margin` of its span (and made non-empty).
pub fn span(values: impl IntoIterator<Item = f64>, margin: f64) -> (f64, f64) {
    let (lo, hi) = values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * margin).max(1e-12 * lo.abs().max(1.0));
    (lo - pad, hi + pad)
}

/// The range of positive values for a log axis, padded by a factor on each side.
pub fn log_span(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .into_iter()
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        return (1e-3, 1.0);
    }
    (lo / 1.5, hi * 1.5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_short() {
        for (value, text) in [
            (0.0, "0"),
            (80000.0, "80000"),
            (2e-7, "2e-7"),
            (1e7, "1e7"),
            (0.5, "0.5"),
            (0.125, "0.125"),
            (-1.5, "-1.5"),
            (100.0, "100"),
        ] {
            assert_eq!(tick(&value), text);
        }
    }

    #[test]
    fn spans_ignore_what_cannot_be_plotted() {
        // Exact in binary: 1 − 0.25·2 and 3 + 0.25·2; 1.5/1.5 and 15·1.5.
        assert_eq!(span([1.0, f64::NAN, 3.0], 0.25), (0.5, 3.5));
        assert_eq!(span([], 0.1), (0.0, 1.0));
        assert_eq!(log_span([0.0, -1.0, 1.5, 15.0]), (1.0, 22.5));
        let (lo, hi) = span([2.0, 2.0], 0.1);
        assert!(lo < 2.0 && hi > 2.0, "a single value still gets a range");
    }
}
