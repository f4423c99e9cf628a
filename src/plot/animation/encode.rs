//! `training.gif` encoded: the first frame whole, each later one as the rectangle that
//! changed since the one before, its unchanged pixels transparent.

use plotters::prelude::*;

use super::Animation;
use super::draw::SIZE;
use crate::error::{Error, Result};

/// Hundredths of a second each frame shows; the first and last stay longer.
const DELAY: u16 = 8;
const FIRST_DELAY: u16 = 60;
const LAST_DELAY: u16 = 250;

impl Animation {
    /// The GIF's bytes: the first frame whole, each later one as the rectangle that changed,
    /// its unchanged pixels transparent.
    pub(super) fn encode(&self) -> Result<Vec<u8>> {
        crate::plot::register_fonts();
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
}
